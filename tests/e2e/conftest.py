from contextlib import ExitStack

import pytest

from tests.servers import start_rasa_stack


@pytest.fixture(scope="module")
def rasa_stack(shop_db_module, tmp_path_factory):
    """Real action server + Rasa server over a fresh demo database."""
    with ExitStack() as stack:
        yield start_rasa_stack(
            stack, tmp_path_factory.mktemp("stack"), env={"DATABASE_URL": shop_db_module}
        )


@pytest.fixture(scope="module")
def rasa_without_actions(shop_db_module, tmp_path_factory):
    """A Rasa server whose action server is down (nothing listens on its port)."""
    with ExitStack() as stack:
        yield start_rasa_stack(
            stack,
            tmp_path_factory.mktemp("noactions"),
            env={"DATABASE_URL": shop_db_module},
            with_actions=False,
        )

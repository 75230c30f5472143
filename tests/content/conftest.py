"""The content tests reuse the handoff tests' fixtures: a migrated handoff database, the
console app in this process (``make_console``), the test's clock."""

from tests.handoff.conftest import (  # noqa: F401 - fixtures
    clock,
    handoff_url,
    make_console,
    pg_handoff_url,
    shop_settings,
    two_agents,
)

"""Fuzz tests: Hypothesis profiles (``ci`` unless ``SEBA_FUZZ_PROFILE=soak``), the outcome
counts for the soak report (``SEBA_FUZZ_STATS``), and the full real stack shared by every
stack-level fuzz test of the session.

The stack (``fuzz_stack``) is started once: the action server, ``python -m seba.server run``
with the REST, web chat, Telegram and Messenger channels (fake Bot API and Graph API on
threads of this process), and the agent console on its own handoff database, with two agents
(``tests/e2e/handoff_stack.py``); ``stack_<channel>`` talk to it.
"""

import os
from contextlib import ExitStack

import pytest

from tests.conftest import copy_demo_db
from tests.fuzz import profiles, stats

PROFILE = profiles.register()


def pytest_configure(config):
    # Deeply nested bodies make Hypothesis warn that their repr is long: that is the point.
    config.addinivalue_line("filterwarnings", "ignore:Generating overly large repr")


def pytest_report_header(config):
    return f"hypothesis fuzz profile: {PROFILE} (set {profiles.PROFILE_ENV}=soak for the long run)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """In the soak profile the tests go on after a failed property: fail them at the end."""
    result = yield
    if stats.violations(item.nodeid):
        raise AssertionError(stats.violation_summary(item.nodeid))
    return result


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        stats.record_result(
            item.nodeid,
            report.outcome,
            report.duration,
            report.longreprtext if report.outcome != "passed" else "",
        )


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get(stats.STATS_ENV)
    if path:
        stats.write(path, PROFILE)


@pytest.fixture(scope="session")
def fake_bot_api():
    from tests.channels.fakes import FakeTelegram

    api = FakeTelegram().start_in_thread()
    yield api
    api.stop_thread()


@pytest.fixture(scope="session")
def fake_graph_api():
    from tests.channels.fakes import FakeGraph

    api = FakeGraph().start_in_thread()
    yield api
    api.stop_thread()


@pytest.fixture(scope="session")
def fuzz_stack(demo_template_db, fake_bot_api, fake_graph_api, tmp_path_factory):
    """Rasa + action server + console (real processes, real databases) for the session."""
    from tests.e2e.handoff_stack import start_handoff_stack

    workdir = tmp_path_factory.mktemp("fuzz-stack")
    shop_url = copy_demo_db(demo_template_db, workdir / "shop.db")
    with ExitStack() as exits:
        stack = start_handoff_stack(
            exits, workdir, shop_url, fake_bot_api, fake_graph=fake_graph_api
        )
        stack.shop_url = shop_url  # the console's order locks live there
        yield stack


# One channel of the stack each (their repr is short in Hypothesis' reports).


@pytest.fixture(scope="session")
def stack_telegram(fuzz_stack, fake_bot_api):
    from tests.fuzz.stack_turns import TelegramChats

    return TelegramChats(fuzz_stack, fake_bot_api)


@pytest.fixture(scope="session")
def stack_messenger(fuzz_stack, fake_graph_api):
    from tests.fuzz.stack_turns import MessengerChats

    return MessengerChats(fuzz_stack, fake_graph_api)


@pytest.fixture(scope="session")
def stack_rest(fuzz_stack):
    from tests.fuzz.stack_turns import RestCustomers

    return RestCustomers(fuzz_stack)


@pytest.fixture(scope="session")
def stack_web(fuzz_stack):
    from tests.fuzz.stack_turns import WebVisitors

    return WebVisitors(fuzz_stack)

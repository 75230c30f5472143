"""Fuzzing the agent console's forms: every POST route, any fields, with and without CSRF,
logged in (each role) and not.

Connector level: the console app (``create_app``) in this process over real databases, with
a stub of Rasa's HTTP API that accepts everything. Stack level: the console process of the
fuzz stack with the real Rasa, the tickets made by Telegram customers asking for a person.
What each request must bring is in ``console_driver``.
"""

import dataclasses
import datetime as dt
import os

import pytest
from hypothesis import assume, given, settings

from channels import split_message, utf16_len
from channels.telegram import MAX_MESSAGE_LENGTH
from handoff import agents, migrate, queue
from handoff.db import dispose, local_now
from handoff.rasa_client import RasaClient
from seba import verification
from tests.conftest import copy_demo_db
from tests.content.helpers import copy_project
from tests.fuzz import stats
from tests.fuzz.console_driver import ConsoleWorld
from tests.fuzz.console_requests import ConsoleRequest, console_requests
from tests.fuzz.fake_rasa import FakeRasaApi
from tests.fuzz.profiles import console_examples, stack_examples
from tests.fuzz.stack_turns import TelegramChats, fresh_id
from tests.handoff.helpers import LOCK_RULES, LOCKED_ORDER, PASSWORD, FakeClock, InProcessConsole

#: Three wrong phones lock the order; every phone is new, so no phone limit is reached.
RULES = dataclasses.replace(LOCK_RULES, max_failures_per_phone=10**6)
ASK_FOR_A_PERSON = ("I want to talk to a real person please", "আমি একজন মানুষের সাথে কথা বলতে চাই")


def lock_an_order(shop_url: str, now: dt.datetime) -> None:
    """Lock the demo order the way a stranger does, unless it is locked already."""
    if verification.active_locks(now=now, url=shop_url):
        return
    conversation = f"tg:{fresh_id()}"
    for minutes in (3, 2, 1):
        phone = f"0171{fresh_id() % 10**7:07d}"
        verification.check(
            LOCKED_ORDER,
            phone,
            conversation,
            "telegram",
            now=now - dt.timedelta(minutes=minutes),
            rules=RULES,
            url=shop_url,
        )
    assert verification.active_locks(now=now, url=shop_url), "could not lock the demo order"


@pytest.fixture(scope="module")
def console_world(demo_template_db, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz-console")
    # The content pages edit a project, read a tracker store and run retrain jobs: all of
    # them here in throwaway copies, never this checkout's data/, models or var/.
    content = {
        "SEBA_CONTENT_ROOT": str(copy_project(workdir / "project")),
        "SEBA_TRACKER_URL": f"sqlite:///{workdir / 'tracker.db'}",
        "SEBA_RETRAIN_DIR": str(workdir / "retrain"),
        "SEBA_MODELS_DIR": str(workdir / "models"),
        "SEBA_LIVE_MODEL": str(workdir / "models" / "live.tar.gz"),
    }
    saved = {name: os.environ.get(name) for name in content}
    os.environ.update(content)
    db_url = f"sqlite:///{workdir / 'handoff.db'}"
    migrate.upgrade(db_url)
    accounts = {"agent": "rina", "other": "karim", "content": "cora", "owner": "owen"}
    for role, name in accounts.items():
        agents.create_agent(
            name, name.title(), PASSWORD, url=db_url, role="agent" if role == "other" else role
        )
    shop_url = copy_demo_db(demo_template_db, workdir / "shop.db")
    rasa = FakeRasaApi().start_in_thread()
    clock = FakeClock()
    console = InProcessConsole(db_url, shop_url, clock, rasa=RasaClient(base_url=rasa.url)).start()

    def new_ticket() -> int:
        return queue.enqueue(
            f"tg:{fresh_id()}",
            "telegram",
            "bn",
            "customer_request",
            "আমার অর্ডারটা আসেনি",
            now=clock(),
            url=db_url,
        ).ticket_id

    world = ConsoleWorld(
        console.url,
        db_url,
        shop_url,
        accounts,
        new_ticket,
        lambda conversation, text: text in rasa.bot_texts(conversation),
        clock,
    )
    yield world
    console.stop()
    rasa.stop_thread()
    dispose(db_url)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# Allowed calls of these start a training or a trial Rasa server (minutes of both cores
# each): the fuzzing sends them only as strangers (wrong role, no or a wrong CSRF token);
# tests/handoff/test_retrain_pages.py and tests/e2e/test_retrain.py run them for real.
STARTS_A_PROCESS = {"/content/retrain/start", "/content/retrain/try"}


def _starts_a_process(request: ConsoleRequest) -> bool:
    return (
        request.route in STARTS_A_PROCESS
        and request.who in ("content", "owner")
        and request.csrf in ("right", "header")
    )


@settings(max_examples=console_examples())
@given(form_post=console_requests(["agent", "content", "owner"]))
@stats.checked
def test_any_form_post_gets_its_documented_answer(console_world, form_post):
    assume(not _starts_a_process(form_post))
    lock_an_order(console_world.shop_url, console_world.now())
    stats.note(console_world.check(form_post))
    console_world.check_still_working()


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"\x80", "application/x-www-form-urlencoded"),
        (b"", "multipart/form-data; boundary=xyz"),
    ],
)
def test_a_form_body_that_cannot_be_read_gets_400(console_world, body, content_type):
    request = ConsoleRequest(
        route="/claim-next",
        ticket="waiting",
        who="agent",
        csrf="right",
        encoding="raw",
        fields=body,
        content_type=content_type,
    )
    console_world.prepare(request)
    answer = console_world.post(request)
    assert answer.status_code == 400, answer.status_code


# --- the real stack -------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack_world(fuzz_stack, fake_bot_api):
    db_url = fuzz_stack.db_url
    if "cora" not in {a.username for a in agents.list_agents(url=db_url)}:
        agents.create_agent("cora", "Cora", PASSWORD, url=db_url, role="content")
    chats = TelegramChats(fuzz_stack, fake_bot_api)

    def new_ticket() -> int:
        chat_id = fresh_id()
        for text in ASK_FOR_A_PERSON:
            chats.say(chat_id, text)
            ticket = queue.open_ticket(f"tg:{chat_id}", url=db_url)
            if ticket is not None:
                return ticket.id
        raise AssertionError("a customer asking for a person got no ticket")

    def delivered(conversation: str, text: str) -> bool:
        first_bubble = split_message(text, MAX_MESSAGE_LENGTH, utf16_len)[0]
        return first_bubble in fake_bot_api.texts(conversation.split(":", 1)[1])

    return ConsoleWorld(
        fuzz_stack.console.url,
        db_url,
        fuzz_stack.shop_url,
        {"agent": "rina", "other": "karim", "content": "cora"},
        new_ticket,
        delivered,
        local_now,
    )


@pytest.mark.slow
@settings(max_examples=stack_examples())
@given(form_post=console_requests(["agent", "content"]))
@stats.checked
def test_on_the_real_stack_any_form_post_gets_its_documented_answer(stack_world, form_post):
    lock_an_order(stack_world.shop_url, stack_world.now())
    stats.note(stack_world.check(form_post))
    stack_world.check_still_working()

"""The verification locks page and the locks on a conversation's page.

Locks are made the way a stranger makes them, with ``seba.verification.check`` on a demo
shop database; the console runs in this process (``make_console``) over real HTTP.
"""

import requests
from sqlalchemy import select

from handoff import queue
from seba import verification
from seba.db import session_scope
from seba.db.models import VerificationLock
from tests.handoff.helpers import (
    LOCK_RULES,
    LOCKED_ORDER,
    ORDER_PHONE,
    PASSWORD,
    WRONG_PHONES,
    make_lock,
)

# A channel whose conversation ids are the customer's phone number.
PHONE_CONVERSATION = "8801711000555"


def active(db_url):
    return [lock.order_number for lock in verification.active_locks(url=db_url)]


def test_lifting_needs_csrf_and_a_support_role(make_console, two_agents, handoff_url, db_url):
    from handoff import agents

    agents.create_agent("mita", "Mita", PASSWORD, role="content", url=handoff_url)
    make_lock(db_url, PHONE_CONVERSATION)
    console = make_console()
    # Not logged in: nothing.
    anonymous = requests.post(
        console.url + "/locks/lift",
        data={"order_number": LOCKED_ORDER},
        allow_redirects=False,
        timeout=30,
    )
    assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/login"
    # Logged in, but the form comes from another site (no or a forged token).
    rina = console.login("rina")
    assert rina.post("/locks/lift", {"order_number": LOCKED_ORDER}, csrf=False).status_code == 403
    assert (
        rina.post("/locks/lift", {"order_number": LOCKED_ORDER, "csrf_token": "forged"}).status_code
        == 403
    )
    # A content account with its own valid token.
    mita = console.login("mita")
    assert mita.post("/locks/lift", {"order_number": LOCKED_ORDER}).status_code == 403
    assert mita.get("/locks").status_code == 403
    assert active(db_url) == [LOCKED_ORDER]


def test_locks_page_lists_a_lock_and_lift_lifts_it(make_console, two_agents, db_url):
    make_lock(db_url, PHONE_CONVERSATION)
    ticket = queue.enqueue(PHONE_CONVERSATION, "rest", "bn", "verification_locked", "হ্যালো")
    console = make_console()
    rina = console.login("rina")
    page = rina.get("/locks")
    assert page.status_code == 200
    assert f'data-order="{LOCKED_ORDER}"' in page.text
    assert f"<td>{LOCK_RULES.max_failures_per_order}</td>" in page.text  # failed checks
    assert f'href="/tickets/{ticket.ticket_id}"' in page.text
    # No full phone number anywhere: not the conversation id, not the phones that were tried.
    for phone in [PHONE_CONVERSATION, ORDER_PHONE] + WRONG_PHONES:
        assert phone not in page.text
    assert "880•••••••555" in page.text

    lifted = rina.post("/locks/lift", {"order_number": LOCKED_ORDER, "back": "/locks"})
    assert lifted.status_code == 303
    assert lifted.headers["Location"] == f"/locks?done=lifted&order={LOCKED_ORDER}"
    assert active(db_url) == []
    with session_scope(db_url) as session:
        row = session.execute(select(VerificationLock)).scalar_one()
        assert row.lifted_by == "রিনা" and row.lifted_at is not None
    after = rina.get(lifted.headers["Location"]).text
    assert f"Lock lifted on order {LOCKED_ORDER}" in after and "No order is locked." in after
    # The customer can check the order with the bot again.
    outcome = verification.check(
        LOCKED_ORDER, ORDER_PHONE, PHONE_CONVERSATION, "rest", rules=LOCK_RULES, url=db_url
    )
    assert outcome.status == verification.VERIFIED


def test_lifting_twice_or_a_foreign_back_address(make_console, two_agents, db_url):
    make_lock(db_url, "tg:42")
    console = make_console()
    rina = console.login("rina")
    first = rina.post("/locks/lift", {"order_number": LOCKED_ORDER}, json_api=True)
    assert first.status_code == 200 and first.json()["ok"] is True
    again = rina.post("/locks/lift", {"order_number": LOCKED_ORDER}, json_api=True)
    assert again.status_code == 409 and "not locked any more" in again.json()["message"]
    # "back" only ever leads to the console's own pages.
    away = rina.post(
        "/locks/lift", {"order_number": LOCKED_ORDER, "back": "https://phish.example/"}
    )
    assert away.status_code == 303 and away.headers["Location"].startswith("/locks?")


def test_the_conversation_page_shows_its_locks_with_a_lift_button(make_console, two_agents, db_url):
    make_lock(db_url, "tg:42")
    make_lock(db_url, "tg:other", order="10457")  # another conversation's order
    ticket_id = queue.enqueue(
        "tg:42", "telegram", "bn", "verification_locked", "আমার অর্ডার দেখতে পাচ্ছি না"
    ).ticket_id
    console = make_console()
    rina = console.login("rina")
    page = rina.get(f"/tickets/{ticket_id}").text
    assert "Order locked after failed checks" in page  # the reason's label
    assert f'data-order="{LOCKED_ORDER}"' in page and 'data-order="10457"' not in page
    assert f'value="/tickets/{ticket_id}"' in page  # Lift comes back to this page
    assert "Verify the customer another way first" in page
    queue_page = rina.get("/").text
    assert "Order locked after failed checks" in queue_page

    lifted = rina.post(
        "/locks/lift", {"order_number": LOCKED_ORDER, "back": f"/tickets/{ticket_id}"}
    )
    assert lifted.headers["Location"] == f"/tickets/{ticket_id}?done=lifted"
    after = rina.get(lifted.headers["Location"]).text
    assert "Lock lifted" in after and f'data-order="{LOCKED_ORDER}"' not in after
    assert active(db_url) == ["10457"]


def test_a_shop_database_that_is_down_is_said_so(make_console, two_agents, tmp_path):
    missing = f"sqlite:///{tmp_path / 'no-such-dir' / 'shop.db'}"
    console = make_console(shop_url=missing)
    rina = console.login("rina")
    page = rina.get("/locks")
    assert page.status_code == 503 and "shop database is not available" in page.text
    ticket_id = queue.enqueue("tg:9", "telegram", "bn", "verification_locked", "?").ticket_id
    ticket_page = rina.get(f"/tickets/{ticket_id}")
    assert ticket_page.status_code == 200 and "order locks cannot be shown" in ticket_page.text

"""The console's customer panel (handoff/console/customer_panel.py) over real HTTP: the console
app in this process, a real handoff database and a demo shop database. Attacks first: no CSRF
token, a content account, no login; a note never reaches Rasa. Then what agents see: masked
phone, orders with courier events, earlier conversations and ratings, notes.
"""

import datetime as dt
import json
from typing import Any, Dict, List

import requests

from handoff import agents, customer_notes, queue
from handoff.db import session_scope as handoff_session
from handoff.models import BotRating, CustomerNote, Ticket
from handoff.rasa_client import RasaClient
from seba import customers
from seba.db import local_now
from seba.db import session_scope as shop_session
from seba.db.models import CourierEvent, Order
from tests.handoff.helpers import PASSWORD

CONVERSATION = "tg:4242"
SECRET_NOTE = "VIP: calls after 6pm, husband picks up parcels — NOTE-7731"


class RecordingRasa(RasaClient):
    """Rasa as the console sees it, recording every request (nothing is sent anywhere)."""

    def __init__(self) -> None:
        super().__init__("http://rasa.invalid")
        self.requests: List[Dict[str, Any]] = []

    async def _request(self, method: str, url: str, params: Dict[str, str], json: Any = None):
        self.requests.append({"method": method, "url": url, "params": params, "json": json})
        return {"events": [], "paused": True, "latest_input_channel": "telegram"}


def ticket_for(conversation: str = CONVERSATION) -> int:
    return queue.enqueue(conversation, "telegram", "bn", "customer_request", "hello").ticket_id


def notes_in(handoff_url: str) -> List[str]:
    with handoff_session(handoff_url) as session:
        return [n.body for n in session.query(CustomerNote).all()]


def test_a_note_needs_login_csrf_and_a_support_role(make_console, two_agents, handoff_url):
    agents.create_agent("mita", "Mita", PASSWORD, role="content", url=handoff_url)
    ticket = ticket_for()
    console = make_console()
    path = f"/tickets/{ticket}/notes"
    anonymous = requests.post(
        console.url + path, data={"body": "x"}, allow_redirects=False, timeout=30
    )
    assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/login"
    rina = console.login("rina")
    assert rina.post(path, {"body": "no token"}, csrf=False).status_code == 403
    assert rina.post(path, {"body": "forged", "csrf_token": "forged"}).status_code == 403
    mita = console.login("mita")  # a content account with its own valid token
    assert mita.post(path, {"body": "content staff"}).status_code == 403
    assert mita.get(f"/tickets/{ticket}/customer").status_code == 403
    assert notes_in(handoff_url) == []


def test_a_note_never_reaches_rasa_or_the_customer(make_console, two_agents, handoff_url, db_url):
    rasa = RecordingRasa()
    ticket = ticket_for()
    console = make_console(rasa=rasa)
    rina = console.login("rina")
    assert rina.post(f"/tickets/{ticket}/claim").status_code == 303
    added = rina.post(f"/tickets/{ticket}/notes", {"body": SECRET_NOTE})
    assert added.status_code == 303 and added.headers["Location"] == f"/tickets/{ticket}#customer"
    rina.get(f"/tickets/{ticket}")  # the page with its panel link, the JSON the page polls
    rina.get(f"/api/tickets/{ticket}")
    panel = rina.get(f"/tickets/{ticket}/customer?part=1").text
    assert "NOTE-7731" in panel and "রিনা" in panel
    assert rasa.requests  # the console did talk to Rasa (claim, transcript) ...
    sent = json.dumps(rasa.requests, ensure_ascii=False)
    assert "NOTE-7731" not in sent  # ... but never with the note
    assert not any(
        r["method"] == "POST" and "/tracker/events" in r["url"] and "NOTE" in json.dumps(r["json"])
        for r in rasa.requests
    )


def test_an_unlinked_conversation_says_so_and_notes_still_work(
    make_console, two_agents, handoff_url
):
    ticket = ticket_for("web:abcdef")
    console = make_console()
    rina = console.login("rina")
    page = rina.get(f"/tickets/{ticket}/customer").text
    assert "data-not-linked" in page and "Not linked yet" in page
    assert "data-no-notes" in page
    assert rina.post(f"/tickets/{ticket}/notes", {"body": "asked twice", "back": "panel"}).headers[
        "Location"
    ] == (f"/tickets/{ticket}/customer?done=noted")
    page = rina.get(f"/tickets/{ticket}/customer?done=noted").text
    assert "Note added" in page and "asked twice" in page and "data-not-linked" in page
    with handoff_session(handoff_url) as session:
        note = session.query(CustomerNote).one()
        assert (note.conversation_id, note.customer_id, note.author) == ("web:abcdef", None, "রিনা")


def test_bad_notes_get_a_polite_answer_and_lose_nothing(make_console, two_agents, handoff_url):
    ticket = ticket_for()
    console = make_console()
    rina = console.login("rina")
    empty = rina.post(f"/tickets/{ticket}/notes", {"body": "   "})
    assert empty.status_code == 400 and "Write the note first" in empty.text
    long = "ক" * (customer_notes.MAX_NOTE_CHARS + 1)
    too_long = rina.post(f"/tickets/{ticket}/notes", {"body": long})
    assert too_long.status_code == 400 and "at most 2000 characters" in too_long.text
    assert long in too_long.text  # the typed text comes back in the form
    as_json = rina.post(f"/tickets/{ticket}/notes", {"body": ""}, json_api=True)
    assert as_json.status_code == 400 and as_json.json()["ok"] is False
    script = rina.post(f"/tickets/{ticket}/notes", {"body": "<script>alert(1)</script>"})
    assert script.status_code == 303
    page = rina.get(f"/tickets/{ticket}/customer").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert notes_in(handoff_url) == ["<script>alert(1)</script>"]


def test_a_linked_customer_shows_masked_phone_orders_courier_events_history(
    make_console, two_agents, handoff_url, db_url
):
    ticket = ticket_for()
    customers.link(CONVERSATION, "10456", url=db_url)
    customers.link("fb:9090", "10456", url=db_url)  # the same customer on Messenger
    with shop_session(db_url) as session:
        order = session.query(Order).filter(Order.number == "10456").one()
        now = local_now()
        for n, (status, stage, message) in enumerate(
            [("Pickup", "picked_up", None), ("Out", "out_for_delivery", "রাইডার আজ ০১৭১১০০০০০১")]
        ):
            session.add(
                CourierEvent(
                    courier="pathao",
                    event_key=f"e{n}",
                    tracking_code="PTH123456",
                    order_id=order.id,
                    raw_status=status,
                    stage=stage,
                    message=message,
                    occurred_at=now - dt.timedelta(hours=5 - n),
                    payload="{}",
                    applied=True,
                )
            )
    with handoff_session(handoff_url) as session:
        session.add(
            Ticket(
                conversation_id="fb:9090",
                channel="facebook",
                language="bn",
                reason="complaint",
                state="resolved",
                created_at=local_now() - dt.timedelta(days=3),
                rating=4,
            )
        )
        session.add(BotRating(conversation_id=CONVERSATION, rating=5))
    customer_notes.add_note(
        CONVERSATION,
        "কাল বিকেল ৪টার পর দিলে ভালো, 01711000001 এ কল দিবেন",
        "Seba",
        kind="delivery_time",
        order_number="10456",
        url=handoff_url,
    )
    console = make_console()
    rina = console.login("rina")
    page = rina.get(f"/tickets/{ticket}/customer").text
    assert "data-customer-phone>017•••••001<" in page
    assert "01711000001" not in page and "০১৭১১০০০০০১" not in page  # masked everywhere
    assert 'data-order="10456"' in page and "PTH123456" in page
    events = page.split("data-courier-event")
    assert len(events) == 3 and "out for delivery" in events[1] and "picked up" in events[2]
    assert "fb:9090" in page.split("data-other-conversation")[1]  # their Messenger chat
    assert "data-past-ticket" in page and "★★★★☆" in page  # the Messenger ticket, rated 4
    assert "data-bot-rating" in page and "★★★★★" in page
    assert 'data-kind="delivery_time"' in page and "delivery time" in page
    # In Bangla too.
    rina.http.cookies.set("seba_console_lang", "bn")
    bangla = rina.get(f"/tickets/{ticket}/customer").text
    assert "গোপন নোট" in bangla and "ডেলিভারির জন্য বের হয়েছে" in bangla


def test_the_conversation_page_has_the_panel_box(make_console, two_agents):
    ticket = ticket_for()
    console = make_console()
    page = console.login("rina").get(f"/tickets/{ticket}").text
    assert f'data-src="/tickets/{ticket}/customer?part=1"' in page
    assert "/static/customer_panel.js" in page and "<script>" not in page

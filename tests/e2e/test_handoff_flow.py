"""A person takes over, end to end: real Rasa server, real action server, real agent
console, real SQLite; only the far side of Telegram's Bot API is a fake.

One customer on the web bubble (socket.io) and one on Telegram ask for a person; their tickets
appear in the console's queue; agents claim them (a second claim of the same ticket is
refused), reply into the customer's own channel (the transcript keeps the agent's name), and
hand back; the bot answers again, and the customers' ratings are stored on the tickets.
"""

import random
import re
import time
from contextlib import ExitStack

import pytest

from channels.telegram import SECRET_HEADER
from handoff import queue
from tests.channels.helpers import tg_callback, tg_message, tg_update
from tests.e2e.handoff_stack import (
    TELEGRAM_SECRET,
    WebCustomer,
    http,
    logs,
    start_handoff_stack,
    tracker,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

JSON = {"Accept": "application/json"}
BENGALI = re.compile(r"[\u0980-\u09FF]")


@pytest.fixture(scope="module")
def handoff_stack(shop_db_module, fake_telegram, tmp_path_factory):
    with ExitStack() as stack:
        yield start_handoff_stack(
            stack, tmp_path_factory.mktemp("handoff-e2e"), shop_db_module, fake_telegram
        )


@pytest.fixture
def web_customer(handoff_stack):
    customer = WebCustomer(handoff_stack.rasa.url, language="bn").connect()
    yield customer
    customer.close()


def telegram_says(stack, chat_id: int, text: str = None, update: dict = None) -> None:
    body = update or tg_update(message=tg_message(chat_id, text))
    status, answer = http(
        "POST",
        f"{stack.rasa.url}/webhooks/telegram/webhook",
        body,
        {SECRET_HEADER: TELEGRAM_SECRET},
    )
    assert status == 200, answer


def queue_api(agent) -> dict:
    response = agent.get("/api/queue", headers=JSON)
    assert response.status_code == 200, response.text
    return response.json()


def ticket_api(agent, ticket_id: int) -> dict:
    response = agent.get(f"/api/tickets/{ticket_id}", headers=JSON)
    assert response.status_code == 200, response.text
    return response.json()


def test_web_and_telegram_customers_get_a_person_and_the_bot_back(
    handoff_stack, web_customer, fake_telegram
):
    stack = handoff_stack
    rina, karim = stack.login("rina"), stack.login("karim")  # logging in sets them online
    web = web_customer
    chat_id = random.randint(10**8, 10**9)
    telegram = f"tg:{chat_id}"

    # --- both customers ask for a person ----------------------------------------------------------
    since = web.say("আমি একজন মানুষের সাথে কথা বলতে চাই")
    queued = web.wait_for_text(lambda t: "পরের জন" in t, since)  # first in line, in Bangla
    assert "মিনিট" in queued["text"]
    assert wait_for(
        lambda: tracker(stack.rasa, web.conversation_id)["paused"], 30, "web not paused"
    )

    telegram_says(stack, chat_id, "I want to talk to a real person please")
    told = fake_telegram.wait_for(
        lambda api: [t for t in api.texts(chat_id) if "in line" in t], timeout=90
    )
    assert "number 2 in line" in told[-1] and "minutes" in told[-1], told
    assert wait_for(lambda: tracker(stack.rasa, telegram)["paused"], 30, "telegram not paused")

    # --- the tickets are in the console's queue ---------------------------------------------------
    waiting = queue_api(rina)["waiting"]
    assert [
        (t["conversation_id"], t["channel"], t["language"], t["reason"], t["position"])
        for t in waiting
    ] == [
        (web.conversation_id, "socketio", "bn", "customer_request", 1),
        (telegram, "telegram", "en", "customer_request", 2),
    ], waiting
    web_ticket, tg_ticket = waiting[0]["id"], waiting[1]["id"]

    # While waiting, the customer writes: logged, the bot stays silent, the queue shows it.
    since = web.say("আমার পার্সেল ১০ দিনেও আসেনি")
    wait_for(
        lambda: queue.get_ticket(web_ticket, url=stack.db_url).last_message
        == "আমার পার্সেল ১০ দিনেও আসেনি",
        30,
        "the console did not pick up the message",
    )
    assert web.texts(since) == []

    # --- claims: one agent per conversation -------------------------------------------------------
    assert rina.post(f"/tickets/{web_ticket}/claim").status_code == 303
    refused = karim.post(f"/tickets/{web_ticket}/claim", json_api=True)
    assert refused.status_code == 409
    assert refused.json()["message"] == "Already taken: রিনা is handling this conversation."
    assert queue.get_ticket(web_ticket, url=stack.db_url).agent_name == "রিনা"
    taken = karim.post("/claim-next", json_api=True)  # the next one in line: Telegram
    assert taken.status_code == 200 and taken.json()["ticket"]["id"] == tg_ticket

    # --- the agents' replies reach each customer's own channel ------------------------------------
    since = len(web.received)
    reply = "আমি রিনা, সেবা ফ্যাশন হাউস থেকে বলছি। আপনার অর্ডারটা দেখছি।"
    sent = rina.post(f"/tickets/{web_ticket}/reply", {"text": reply}, json_api=True)
    assert sent.status_code == 200 and sent.json()["ok"], sent.text
    assert web.wait_for_text(lambda t: t == reply, since)["text"] == reply

    before = len(fake_telegram.texts(chat_id))
    sent = karim.post(
        f"/tickets/{tg_ticket}/reply",
        {"text": "Hi, this is Karim from Seba Fashion House. How can I help?"},
        json_api=True,
    )
    assert sent.status_code == 200, sent.text
    assert fake_telegram.texts(chat_id)[before:] == [
        "Hi, this is Karim from Seba Fashion House. How can I help?"
    ]
    # Karim cannot write into Rina's conversation.
    assert (
        karim.post(f"/tickets/{web_ticket}/reply", {"text": "hi"}, json_api=True).status_code == 409
    )

    # The transcript keeps the agent's name: in the console and in Rasa's tracker.
    items = ticket_api(rina, web_ticket)["transcript"]
    assert {"kind": "agent", "agent": "রিনা", "text": reply}.items() <= next(
        i for i in items if i["kind"] == "agent"
    ).items()
    waited = [i["text"] for i in items if i["kind"] == "customer" and i["while_waiting"]]
    assert waited == ["আমার পার্সেল ১০ দিনেও আসেনি"]
    agent_events = [
        e
        for e in tracker(stack.rasa, web.conversation_id)["events"]
        if e["event"] == "bot" and (e.get("metadata") or {}).get("agent")
    ]
    assert [(e["text"], e["metadata"]["agent"]) for e in agent_events] == [(reply, "রিনা")]

    # The customer answers the agent: still only the agent talks.
    since = web.say("অর্ডার নম্বর ১০৪৫৬")
    wait_for(
        lambda: queue.get_ticket(web_ticket, url=stack.db_url).last_message == "অর্ডার নম্বর ১০৪৫৬", 30
    )
    assert web.texts(since) == []

    # --- hand back: the bot is back and asks for a rating -----------------------------------------
    since = len(web.received)
    back = rina.post(f"/tickets/{web_ticket}/handback", json_api=True)
    assert back.status_code == 200 and back.json()["welcomed_back"] is True, back.text
    welcome = web.wait_for_text(lambda t: "রেটিং" in t, since)
    assert [q["payload"] for q in welcome["quick_replies"]] == [
        f'/rate{{"rating": "{n}"}}' for n in range(1, 6)
    ]
    state = tracker(stack.rasa, web.conversation_id)
    assert not state["paused"]
    closed = queue.get_ticket(web_ticket, url=stack.db_url)
    assert (closed.state, closed.resolution) == ("resolved", "handed_back")

    since = web.say('/rate{"rating": "5"}')  # the "৫ ⭐" quick reply
    web.wait_for_text(lambda t: "ধন্যবাদ" in t, since)
    assert queue.get_ticket(web_ticket, url=stack.db_url).rating == 5

    # The bot answers the next message again.
    since = web.say("ডেলিভারি চার্জ কত?")
    answer = web.wait_for_text(lambda t: "৭০ টাকা" in t, since)
    assert BENGALI.search(answer["text"])

    # --- Telegram: hand back, rate with the inline button, the bot answers ------------------------
    before = len(fake_telegram.sent(chat_id))
    back = karim.post(f"/tickets/{tg_ticket}/handback", json_api=True)
    assert back.status_code == 200 and back.json()["welcomed_back"] is True, back.text
    welcome = fake_telegram.wait_for(
        lambda api: [m for m in api.sent(chat_id)[before:] if "rate" in m.get("text", "")],
        timeout=60,
    )[-1]
    keyboard = welcome["reply_markup"]["inline_keyboard"]
    buttons = [button for row in keyboard for button in row]
    assert [b["text"] for b in buttons] == [f"{n} ⭐" for n in range(1, 6)]
    four = next(b for b in buttons if b["text"] == "4 ⭐")
    before = len(fake_telegram.texts(chat_id))
    telegram_says(stack, chat_id, update=tg_callback(chat_id, four["callback_data"], keyboard))
    fake_telegram.wait_for(
        lambda api: [t for t in api.texts(chat_id)[before:] if "Thank you for the rating" in t],
        timeout=60,
    )
    assert queue.get_ticket(tg_ticket, url=stack.db_url).rating == 4
    assert not tracker(stack.rasa, telegram)["paused"]

    before = len(fake_telegram.texts(chat_id))
    telegram_says(stack, chat_id, "What is the delivery charge?")
    answers = fake_telegram.wait_for(
        lambda api: [t for t in api.texts(chat_id)[before:] if "BDT 70" in t], timeout=60
    )
    assert answers, logs(stack)

    # Both conversations are closed; nobody waits.
    snapshot = queue_api(rina)
    assert snapshot["waiting"] == [] and snapshot["assigned"] == []
    assert snapshot["resolved_today"] >= 2


def test_a_new_session_keeps_the_conversation_with_the_agents(handoff_stack):
    """The bot is silent while the customer waits. When the session expires (60 quiet
    minutes) Rasa starts a new one, which would un-pause the bot; action_session_start keeps
    it paused, and asking again finds the same ticket (no duplicate)."""
    stack = handoff_stack
    stack.login("rina")
    sender = f"app-user-{random.randint(10**6, 10**7)}"
    conversation = f"rest:{sender}"

    def say(text):
        return [r.get("text", "") for r in stack.rasa.say(sender, text)]

    first = say("I need to speak to a human agent")
    assert any("in line" in t for t in first), first
    assert say("hello? anyone?") == []  # paused: logged, no answer
    ticket = queue.open_ticket(conversation, url=stack.db_url)
    # The customer's last message was two hours ago: the next one starts a new session.
    status, body = http(
        "POST",
        stack.rasa.api(f"/conversations/{conversation}/tracker/events"),
        [
            {
                "event": "user",
                "text": "hello?",
                "timestamp": time.time() - 7200,
                "parse_data": {"intent": {"name": "greet", "confidence": 1.0}},
            }
        ],
        stack.rasa.auth,
    )
    assert status == 200, body
    assert say("can I talk to a person?") == []  # still with the agents: the bot stays quiet
    events = tracker(stack.rasa, conversation)["events"]
    assert [e["event"] for e in events].count("session_started") >= 1
    assert tracker(stack.rasa, conversation)["paused"]
    assert queue.open_ticket(conversation, url=stack.db_url).id == ticket.id
    assert [
        t["conversation_id"] for t in queue.queue_snapshot(url=stack.db_url).to_json()["waiting"]
    ].count(conversation) == 1

"""action_handoff, the rating actions and their helpers against a real SQLite handoff queue.

The queue's clock (``handoff.db.local_now``) is fixed per test, so "within agent hours" does
not depend on when the suite runs. Agent hours here (a copy of shop.yml): 10:00-20:00,
closed on Friday. Trackers are built the way the action server receives them (events as
dicts, see tests/test_actions.py).
"""

import asyncio
import datetime as dt
from typing import Any, Dict, Iterable, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import handoff.db
from actions.handoff import (
    ActionAskRating,
    ActionHandoff,
    ActionRecordRating,
    handoff_reason,
    parse_rating,
    rating_due_events,
)
from actions.returns import ActionCreateReturn, ValidateReturnReasonForm
from handoff import agents, migrate, queue
from handoff.db import dispose, session_scope
from handoff.models import BotRating, Ticket
from seba import PROJECT_ROOT

with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as _f:
    DOMAIN: Dict[str, Any] = yaml.safe_load(_f)

# 2025-01-06 is a Monday.
MONDAY_NOON = dt.datetime(2025, 1, 6, 12, 0)
MONDAY_NIGHT = dt.datetime(2025, 1, 6, 21, 0)
THURSDAY_NIGHT = dt.datetime(2025, 1, 9, 21, 0)
PASSWORD = "correct horse 42"
ASK_FOR_PERSON = "আমি একজন মানুষের সাথে কথা বলতে চাই"


# --- fixtures ------------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fixed = Clock(MONDAY_NOON)
    monkeypatch.setattr(handoff.db, "local_now", fixed)
    return fixed


@pytest.fixture
def handoff_db(tmp_path, monkeypatch, clock) -> str:
    """A migrated handoff queue (SQLite) and shop.yml with known agent hours."""
    raw = yaml.safe_load((PROJECT_ROOT / "shop.yml").read_text(encoding="utf-8"))
    raw["hours"]["agents"] = {"open": "10:00", "close": "20:00", "closed_days": ["friday"]}
    raw.pop("handoff", None)
    settings = tmp_path / "shop.yml"
    settings.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SEBA_SHOP_SETTINGS", str(settings))
    url = f"sqlite:///{tmp_path / 'handoff.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", url)
    monkeypatch.delenv("HANDOFF_RATING_WINDOW_MINUTES", raising=False)
    monkeypatch.delenv("HANDOFF_ABANDON_AFTER_MINUTES", raising=False)
    yield url
    dispose(url)


@pytest.fixture
def rina(handoff_db, clock):
    return agents.create_agent("rina", "রিনা", PASSWORD, url=handoff_db)


@pytest.fixture
def online(rina, clock):
    agents.set_status(rina.id, "online", now=clock.now)
    return rina


# --- trackers ------------------------------------------------------------------------------------


def user(text: str, intent: str, entities: Iterable[dict] = (), channel: str = "telegram") -> dict:
    return {
        "event": "user",
        "text": text,
        "input_channel": channel,
        "metadata": {},
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": list(entities),
        },
    }


def action(name: str) -> dict:
    return {"event": "action", "name": name}


def bot(response: str, text: str = "…") -> dict:
    return {"event": "bot", "text": text, "metadata": {"utter_action": response}}


def slot(name: str, value: Any) -> dict:
    return {"event": "slot", "name": name, "value": value}


def tracker_of(
    events: List[dict],
    slots: Optional[Dict[str, Any]] = None,
    sender_id: str = "customer-1",
    active_loop: Optional[str] = None,
) -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")["parse_data"]
    return Tracker(
        sender_id,
        dict(slots or {}),
        latest,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def asks_for_person(
    text: str = ASK_FOR_PERSON,
    channel: str = "telegram",
    sender_id: str = "customer-1",
    intent: str = "human_handoff",
) -> Tracker:
    return tracker_of(
        [action("action_listen"), user(text, intent, channel=channel)], sender_id=sender_id
    )


def run(action_, tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action_.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages, events


def responses(messages: List[dict]) -> List[str]:
    return [m["response"] for m in messages]


def slots_set(events: List[dict]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def kinds(events: List[dict]) -> List[str]:
    return [e["event"] for e in events]


def tickets(url: str) -> List[Ticket]:
    with session_scope(url) as session:
        rows = session.execute(select(Ticket).order_by(Ticket.id)).scalars().all()
        session.expunge_all()
        return rows


def bot_ratings(url: str) -> List[int]:
    with session_scope(url) as session:
        return [r.rating for r in session.execute(select(BotRating)).scalars().all()]


def assert_paused(events: List[dict]) -> None:
    """Paused, and the turn ends as every turn does (listening)."""
    assert kinds(events)[-2:] == ["pause", "action"]
    assert events[-1]["name"] == "action_listen"


# --- action_handoff: what the customer is told ----------------------------------------------------


def test_in_hours_with_an_agent_online_queues_and_pauses(handoff_db, online):
    messages, events = run(ActionHandoff(), asks_for_person())
    assert responses(messages) == ["utter_handoff_queued_next"]
    assert messages[0]["queue_position"] == "১" and messages[0]["wait_minutes"] == "৫"
    assert_paused(events)
    assert slots_set(events)["rating_due"] is False
    [ticket] = tickets(handoff_db)
    assert (ticket.conversation_id, ticket.state, ticket.channel, ticket.language) == (
        "customer-1",
        "waiting",
        "telegram",
        "bn",
    )
    assert ticket.reason == "customer_request"
    assert ticket.last_message == ASK_FOR_PERSON


def test_the_second_customer_hears_their_place_and_wait_in_english(handoff_db, online):
    run(ActionHandoff(), asks_for_person(sender_id="first"))
    messages, events = run(
        ActionHandoff(),
        asks_for_person(
            "can I talk to a real person please", channel="socketio", sender_id="second"
        ),
    )
    assert responses(messages) == ["utter_handoff_queued"]
    assert messages[0]["queue_position"] == "2" and messages[0]["wait_minutes"] == "10"
    assert_paused(events)
    assert [(t.conversation_id, t.channel, t.language) for t in tickets(handoff_db)] == [
        ("first", "telegram", "bn"),
        ("second", "socketio", "en"),
    ]


def test_outside_agent_hours_says_when_people_are_back_and_still_queues(handoff_db, online, clock):
    clock.now = MONDAY_NIGHT
    messages, events = run(ActionHandoff(), asks_for_person("ekjon manusher sathe kotha bolbo"))
    assert responses(messages) == ["utter_handoff_after_hours"]
    assert messages[0]["agents_back"] == "আগামীকাল সকাল ১০টা"  # Banglish is answered in Bangla
    assert_paused(events)  # the message is kept for the agents
    assert [t.state for t in tickets(handoff_db)] == ["waiting"]


def test_before_a_closed_day_the_weekday_is_named(handoff_db, clock):
    clock.now = THURSDAY_NIGHT  # Friday is closed
    messages, _ = run(ActionHandoff(), asks_for_person("I want to talk to a human"))
    assert responses(messages) == ["utter_handoff_after_hours"]
    assert messages[0]["agents_back"] == "Saturday 10 AM"


def test_nobody_online_within_hours(handoff_db, rina):
    messages, events = run(ActionHandoff(), asks_for_person())
    assert responses(messages) == ["utter_handoff_no_agent"]
    assert_paused(events)
    assert len(tickets(handoff_db)) == 1


def test_asking_again_keeps_the_place_and_makes_no_second_ticket(handoff_db, online, clock):
    run(ActionHandoff(), asks_for_person(sender_id="other"))
    run(ActionHandoff(), asks_for_person())
    clock.advance(minutes=1)  # (the agent counts as online for 2 minutes after last seen)
    messages, events = run(ActionHandoff(), asks_for_person("হ্যালো? কেউ আছেন? মানুষ চাই"))
    assert responses(messages) == ["utter_handoff_still_waiting", "utter_handoff_queued"]
    assert messages[1]["queue_position"] == "২"
    assert_paused(events)
    rows = tickets(handoff_db)
    assert len(rows) == 2 and rows[1].last_message == "হ্যালো? কেউ আছেন? মানুষ চাই"


def test_asking_while_an_agent_has_the_conversation_names_the_agent(handoff_db, online):
    run(ActionHandoff(), asks_for_person())
    assert queue.claim(tickets(handoff_db)[0].id, online.id)
    messages, events = run(ActionHandoff(), asks_for_person())
    assert responses(messages) == ["utter_handoff_with_agent"]
    assert messages[0]["agent_name"] == "রিনা"
    assert_paused(events)
    assert len(tickets(handoff_db)) == 1


def test_a_closed_conversation_can_be_queued_again(handoff_db, online):
    run(ActionHandoff(), asks_for_person())
    ticket_id = tickets(handoff_db)[0].id
    assert queue.claim(ticket_id, online.id) and queue.hand_back(ticket_id, online.id)
    messages, _ = run(ActionHandoff(), asks_for_person())
    assert responses(messages) == ["utter_handoff_queued_next"]
    assert [t.state for t in tickets(handoff_db)] == ["resolved", "waiting"]


def test_queue_unreachable_gives_the_phone_and_does_not_pause(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("HANDOFF_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    messages, events = run(ActionHandoff(), asks_for_person())
    assert responses(messages) == ["utter_handoff_unavailable"]
    assert events == []  # the bot keeps answering
    assert "could not queue" in caplog.text


# --- action_handoff: why, and what the agent sees -------------------------------------------------


def test_reason_complaint_keeps_the_complaint_as_the_message(handoff_db, online):
    complaint = "৭ দিন হয়ে গেল, কেউ ফোন ধরে না! এটা কেমন সার্ভিস?"
    tracker = tracker_of(
        [
            action("action_listen"),
            user(complaint, "complaint"),
            action("utter_complaint"),
            bot("utter_complaint"),
            action("action_listen"),
            user("হ্যাঁ", "affirm"),
        ]
    )
    assert handoff_reason(tracker) == "complaint"
    run(ActionHandoff(), tracker)
    [ticket] = tickets(handoff_db)
    assert ticket.reason == "complaint"
    assert ticket.last_message == complaint  # not the "yes"
    assert complaint in ticket.summary


def test_reason_complaint_button(handoff_db):
    tracker = tracker_of(
        [
            action("action_listen"),
            user("this is ridiculous, nobody answers", "complaint"),
            action("utter_complaint"),
            action("action_listen"),
            user("/human_handoff", "human_handoff"),
        ]
    )
    assert handoff_reason(tracker) == "complaint"


def test_reason_low_confidence(handoff_db, online):
    events = [
        action("action_listen"),
        user("oita ki hobe tahole", "nlu_fallback"),
        action("utter_please_rephrase"),
        action("action_listen"),
        user("mane oi je ager ta", "nlu_fallback"),
        action("utter_offer_handoff_not_understood"),
    ]
    yes = tracker_of(events + [action("action_listen"), user("/human_handoff", "human_handoff")])
    third = tracker_of(events + [action("action_listen"), user("oi je oita", "nlu_fallback")])
    assert handoff_reason(yes) == handoff_reason(third) == "low_confidence"
    run(ActionHandoff(), yes)
    [ticket] = tickets(handoff_db)
    assert ticket.reason == "low_confidence"
    assert ticket.last_message == "mane oi je ager ta"  # what the bot did not understand
    assert "not understood" in ticket.summary and "oita ki hobe tahole" in ticket.summary


def test_reason_verification_failed(handoff_db, online):
    tracker = tracker_of(
        [
            action("action_listen"),
            user("10456 01700000003", "inform"),
            action("order_verify_form"),
            action("action_check_verification"),
            slot("verification", "failed"),
            action("utter_verification_failed"),
        ],
        slots={"verification": "failed", "order_task": "status"},
    )
    assert handoff_reason(tracker) == "verification_failed"
    run(ActionHandoff(), tracker)
    [ticket] = tickets(handoff_db)
    assert ticket.reason == "verification_failed"
    assert ticket.summary.startswith("Order check failed 3 times (order status)")
    # A later request for a person in the same conversation is the customer's own request.
    later = tracker_of(
        list(tracker.events) + [action("action_listen"), user("manush chai", "human_handoff")],
        slots={"verification": "failed"},
    )
    assert handoff_reason(later) == "customer_request"


def test_summary_names_the_verified_order(handoff_db, online):
    tracker = asks_for_person()
    tracker.slots.update(order_task="return", verified_order="10457")
    run(ActionHandoff(), tracker)
    assert tickets(handoff_db)[0].summary == "Wanted: a return; order #10457 verified"


def test_return_reason_not_understood_three_times_hands_over(handoff_db, online):
    unclear = [
        ("ইয়ে, মানে বলতে পারছি না", True),
        ("আসলে ব্যাপারটা বোঝানো কঠিন", True),
        ("ওই যে কালকে যেটা এসেছে", False),
    ]
    events = [action("action_return_check"), action("return_reason_form")]
    form = ValidateReturnReasonForm()
    for text, asked_again in unclear:
        events += [
            action("action_listen"),
            user(text, "inform"),
            action("return_reason_form"),
            slot("return_reason", text),
        ]
        tracker = tracker_of(
            events,
            slots={"return_reason": text, "requested_slot": "return_reason"},
            active_loop="return_reason_form",
        )
        messages, result = run(form, tracker)
        if asked_again:
            assert responses(messages) == ["utter_return_reason_unclear"]
            assert "return_failed" not in slots_set(result)
            events.append(bot("utter_return_reason_unclear"))
        else:  # the third time: the form stops asking
            assert messages == []
            assert slots_set(result) == {
                "return_reason": None,
                "return_failed": True,
                "requested_slot": None,
            }
    tracker = tracker_of(
        events,
        slots={
            "return_failed": True,
            "order_task": "return",
            "verified_order": "10457",
            "verified_phone": "01811000002",
        },
    )
    messages, result = run(ActionCreateReturn(), tracker)
    assert responses(messages) == ["utter_return_needs_person", "utter_handoff_queued_next"]
    assert slots_set(result)["return_failed"] is None
    assert_paused(result)
    [ticket] = tickets(handoff_db)
    assert ticket.reason == "repeated_failure"
    assert ticket.summary == "Bot could not finish a return; order #10457 verified"


# --- ratings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("5", 5),
        ("৫ দিলাম", 5),
        ("5 star", 5),
        ("excellent 5", 5),
        ("4 out of 5", 4),
        ("5/5", 5),
        ("rating: ৩", 3),
        ("পাঁচ", 5),
        ("five stars", 5),
        ("ekdom 5 dilam", 5),
        ("১", 1),
        ("10", None),
        ("3.5", None),
        ("ভালো", None),
        (None, None),
    ],
)
def test_parse_rating(value, expected):
    assert parse_rating(value) == expected


ASKED_FOR_A_RATING = (action("action_ask_rating"), bot("utter_ask_rating"))


def rating_tracker(
    text: str,
    entities: Iterable[dict] = (),
    earlier: Iterable[dict] = ASKED_FOR_A_RATING,
    sender_id: str = "customer-1",
) -> Tracker:
    return tracker_of(
        list(earlier) + [action("action_listen"), user(text, "rate", entities)], sender_id=sender_id
    )


@pytest.mark.parametrize(
    "earlier",
    [
        (),  # out of the blue
        (action("utter_greet"), bot("utter_greet")),  # after something else
        ASKED_FOR_A_RATING
        + (
            action("action_listen"),
            user("ok", "affirm"),
            action("utter_how_can_i_help"),
            bot("utter_how_can_i_help"),
        ),
    ],
)
def test_a_rating_without_a_pending_question_writes_nothing(handoff_db, earlier):
    """A stranger's `/rate{"rating": "1"}` anywhere must not add or overwrite ratings."""
    messages, _ = run(
        ActionRecordRating(),
        rating_tracker(
            '/rate{"rating": "1"}', [{"entity": "rating", "value": "1"}], earlier=earlier
        ),
    )
    assert responses(messages) == ["utter_please_rephrase"]
    assert bot_ratings(handoff_db) == [] and tickets(handoff_db) == []


def test_rating_after_a_hand_back_is_stored_on_the_agents_ticket(handoff_db, online, clock):
    run(ActionHandoff(), asks_for_person())
    ticket_id = tickets(handoff_db)[0].id
    assert queue.claim(ticket_id, online.id)
    clock.advance(minutes=6)
    assert queue.hand_back(ticket_id, online.id)
    clock.advance(minutes=1)
    messages, events = run(
        ActionRecordRating(),
        rating_tracker('/rate{"rating": "5"}', [{"entity": "rating", "value": "5"}]),
    )
    assert responses(messages) == ["utter_rating_thanks"]
    assert slots_set(events)["rating_asked"] is True
    assert tickets(handoff_db)[0].rating == 5
    assert bot_ratings(handoff_db) == []


def test_rating_of_the_bot_goes_to_bot_ratings(handoff_db):
    messages, _ = run(ActionRecordRating(), rating_tracker("৪ দিলাম"))  # typed, no entity
    assert responses(messages) == ["utter_rating_thanks"]
    assert bot_ratings(handoff_db) == [4]
    assert tickets(handoff_db) == []


def test_a_late_rating_after_the_window_counts_for_the_bot(handoff_db, online, clock):
    run(ActionHandoff(), asks_for_person())
    ticket_id = tickets(handoff_db)[0].id
    queue.claim(ticket_id, online.id)
    queue.resolve(ticket_id, online.id)
    clock.advance(hours=2)  # rating window: 60 minutes
    run(ActionRecordRating(), rating_tracker("5 stars"))
    assert tickets(handoff_db)[0].rating is None and bot_ratings(handoff_db) == [5]


def test_a_low_rating_is_stored_apologised_for_and_offers_a_person(handoff_db):
    messages, _ = run(ActionRecordRating(), rating_tracker("kharap, 1 dilam"))
    assert responses(messages) == ["utter_rating_thanks_low"]
    assert bot_ratings(handoff_db) == [1]


def test_an_unclear_rating_is_asked_again_and_not_stored(handoff_db):
    messages, _ = run(ActionRecordRating(), rating_tracker("ভালোই"))
    assert responses(messages) == ["utter_rating_unclear"]
    assert bot_ratings(handoff_db) == []


def test_a_rating_is_not_lost_for_the_customer_when_the_queue_is_down(monkeypatch, tmp_path):
    monkeypatch.setenv("HANDOFF_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    messages, _ = run(ActionRecordRating(), rating_tracker("5"))
    assert responses(messages) == ["utter_rating_thanks"]  # thanked; the error is logged


def test_rating_is_due_once_per_conversation():
    fresh = tracker_of([action("action_listen"), user("thanks", "thank")])
    assert slots_set(rating_due_events(fresh)) == {"rating_due": True}
    asked = tracker_of(
        [
            action("utter_ask_rating"),
            bot("utter_ask_rating"),
            action("action_listen"),
            user("thanks", "thank"),
        ]
    )
    assert rating_due_events(asked) == []
    assert rating_due_events(tracker_of(list(fresh.events), slots={"rating_asked": True})) == []
    handed_over = tracker_of(
        [action("action_handoff"), action("action_listen"), user("order kothay", "order_status")]
    )
    assert rating_due_events(handed_over) == []  # the hand back asks instead
    # A new session (Rasa's session_config) is a new conversation: asked again then.
    new_session = tracker_of(
        list(asked.events)
        + [{"event": "session_started"}, action("action_listen"), user("hi", "greet")]
    )
    assert rating_due_events(new_session) != []


def test_ask_rating_asks_once():
    messages, events = run(
        ActionAskRating(), tracker_of([action("action_listen"), user("ধন্যবাদ", "thank")])
    )
    assert responses(messages) == ["utter_ask_rating"]
    assert slots_set(events) == {"rating_due": False, "rating_asked": True}
    again = tracker_of(
        [
            action("utter_ask_rating"),
            bot("utter_ask_rating"),
            action("action_listen"),
            user("ধন্যবাদ", "thank"),
        ]
    )
    messages, _ = run(ActionAskRating(), again)
    assert messages == []


# --- the queue keeps night-time requests (handoff/queue.py sweep_abandoned) -----------------------


def test_a_request_made_at_night_is_not_abandoned_before_agents_had_their_time(handoff_db, clock):
    clock.now = MONDAY_NIGHT
    run(ActionHandoff(), asks_for_person())
    tuesday = dt.datetime(2025, 1, 7)
    assert queue.sweep_abandoned(now=tuesday.replace(hour=2)) == []  # outside agent hours
    assert queue.sweep_abandoned(now=tuesday.replace(hour=10, minute=20)) == []  # 20 min in
    swept = queue.sweep_abandoned(now=tuesday.replace(hour=10, minute=31))
    assert [t.conversation_id for t in swept] == ["customer-1"]


def test_the_hand_back_event_does_not_change_the_reply_language():
    """trigger_intent logs "EXTERNAL: EXTERNAL_handback" as a user message: not English."""
    from seba.language import language_for_tracker

    tracker = tracker_of(
        [
            action("action_listen"),
            user("আমার পার্সেল এখনো আসেনি", "human_handoff"),
            action("action_handoff"),
            {"event": "resume"},
            {
                "event": "user",
                "text": "EXTERNAL: EXTERNAL_handback",
                "metadata": {"is_external": True},
                "parse_data": {"intent": {"name": "EXTERNAL_handback"}, "entities": []},
            },
        ]
    )
    assert language_for_tracker(tracker) == "bn"


def test_reason_low_confidence_after_clarify(handoff_db, online):
    # The bot asked which of two close guesses was meant (seba/clarify.py), then did not
    # understand the answer either: the summary quotes both messages it was unsure of.
    tracker = tracker_of(
        [
            action("action_listen"),
            user("order ta ferot niben ki na", "clarify"),
            action("action_clarify"),
            action("action_listen"),
            user("mane oi je ager ta", "nlu_fallback"),
            action("utter_offer_handoff_not_understood"),
            action("action_listen"),
            user("/human_handoff", "human_handoff"),
        ]
    )
    assert handoff_reason(tracker) == "low_confidence"
    run(ActionHandoff(), tracker)
    [ticket] = tickets(handoff_db)
    assert "order ta ferot niben ki na" in ticket.summary
    assert "mane oi je ager ta" in ticket.summary

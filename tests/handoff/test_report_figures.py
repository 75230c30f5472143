"""The owner's report counts exactly what happened: 18 scripted conversations over three
days (Rasa's SQLTrackerStore writing real events; the tickets and ratings the bot and the
console would have stored), on SQLite and on PostgreSQL, and every figure asserted.

The days are Monday 6 – Wednesday 8 January 2025 in the shop's timezone (Asia/Dhaka; the
test machine may run in UTC). Around them: a conversation that began at 23:59 the day
before and goes on past midnight, one at 00:00:00 on the first day (counted), one at
00:00:00 after the last day (not counted), and one that begins at 23:59:30 on the last day
and ends after midnight (counted on that day).
"""

import datetime as dt

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from handoff.report import SessionCache, build_report
from handoff.report.dates import DateRange
from tests.handoff.report_script import Chats, local

RANGE = DateRange(dt.date(2025, 1, 6), dt.date(2025, 1, 8))
X_TEXT = '=HYPERLINK("http://evil.example")<script>alert(1)</script> call 01711000001'


def d(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return local(2025, 1, day, hour, minute, second)


def scripted() -> Chats:
    chats = Chats()
    # --- around the range ---------------------------------------------------------------
    chats.chat("tg:105").session(d(5, 23, 59)).say(d(5, 23, 59), "আমার অর্ডার কোথায়?", "order_status")
    chats.chat("tg:105").say(d(6, 0, 1), "ধন্যবাদ", "thank")  # same session, after midnight
    chats.bot_rating("tg:105", 1, d(6, 0, 1, 30))  # its conversation began on the 5th
    chats.chat("tg:107").session(d(6)).say(d(6), "hi", "greet")  # 00:00:00: counted
    chats.chat("tg:106").session(d(9)).say(d(9), "হ্যালো", "greet")  # after the range
    chats.bot_rating("tg:106", 3, d(9, 0, 1))

    # --- Monday 6 --------------------------------------------------------------------------
    c1 = chats.chat("tg:101").session(d(6, 9))
    c1.say(d(6, 9), "আমার অর্ডার কোথায়?", "order_status")
    c1.say(d(6, 9, 1), "ধন্যবাদ", "thank", answer="utter_ask_rating")
    c1.say(d(6, 9, 2), "৫", "rate", confidence=0.9)
    chats.bot_rating("tg:101", 5, d(6, 9, 2))

    c2 = chats.chat("fb:201").session(d(6, 10))
    c2.say(d(6, 10), "I want to talk to a human", "human_handoff", 0.96).hand_over(d(6, 10, 0, 1))
    chats.ticket(
        "fb:201",
        "customer_request",
        d(6, 10, 0, 1),
        claimed=d(6, 10, 4, 1),
        closed=d(6, 10, 14, 1),
        resolution="resolved",
        rating=4,
    )
    c2.agent_says(d(6, 10, 5), "Hello, this is Rina").handed_back(d(6, 10, 14))
    c2.say(d(6, 10, 15), "4", "rate")

    c3 = chats.chat("web:301").session(d(6, 11))
    c3.say(
        d(6, 11),
        "blah blah xyz",
        "nlu_fallback",
        0.2,
        guess="faq",
        page_language="en",
        answer="utter_please_rephrase",
    )
    c3.say(
        d(6, 11, 1),
        "asdf qwerty",
        "nlu_fallback",
        0.1,
        guess="greet",
        page_language="en",
        answer="utter_offer_handoff_not_understood",
    )

    c17 = chats.chat("tg:108").session(d(6, 9, 30))
    c17.say(d(6, 9, 30), "ডেলিভারি চার্জ কত?", "faq", 0.9, faq="faq/delivery_charge")
    c17.session(d(6, 15)).say(d(6, 15), "বিকাশে পেমেন্ট করা যায়?", "faq", faq="faq/payment_methods")

    # --- Tuesday 7 -------------------------------------------------------------------------
    c4 = chats.chat("rest:401").session(d(7, 9))
    c4.say(d(7, 9), "vai amar order ta kobe pabo?", "order_status", 0.55)
    c4.say(d(7, 9, 1), "10456", "inform", 0.99)

    c5 = chats.chat("tg:102").session(d(7, 10))
    c5.say(
        d(7, 10), "এটা কেমন সার্ভিস? ১০ দিনেও পার্সেল আসেনি", "complaint", 0.9, answer="utter_complaint"
    )
    c5.say(d(7, 10, 1), "হ্যাঁ", "affirm").hand_over(d(7, 10, 1, 1))
    chats.ticket(
        "tg:102",
        "complaint",
        d(7, 10, 1, 1),
        claimed=d(7, 10, 21, 1),
        closed=d(7, 10, 26, 1),
        resolution="handed_back",
        rating=2,
    )
    c5.handed_back(d(7, 10, 26)).say(d(7, 10, 27), "২", "rate")

    c6 = chats.chat("fb:202").session(d(7, 11))
    c6.say(d(7, 11), X_TEXT, "nlu_fallback", 0.25, guess="complaint")
    c6.say(d(7, 11, 1), X_TEXT, "nlu_fallback", 0.25, guess="complaint")
    c6.say(d(7, 11, 2), "@support where are you", "nlu_fallback", 0.2, guess="human_handoff")
    c6.hand_over(d(7, 11, 2, 1))
    chats.ticket(
        "fb:202", "low_confidence", d(7, 11, 2, 1), closed=d(7, 11, 32, 1), resolution="abandoned"
    )

    c7 = chats.chat("web:302").session(d(7, 12))
    c7.say(d(7, 12), "ডেলিভারি চার্জ কত?", "faq", 0.92, faq="faq/delivery_charge", page_language="bn")
    c7.say(d(7, 12, 1), "ধন্যবাদ", "thank", page_language="bn", answer="utter_ask_rating")
    c7.say(d(7, 12, 2), "4", "rate", page_language="bn")
    chats.bot_rating("web:302", 4, d(7, 12, 2))

    # Asked for a person at 13:00, wrote again at 15:00 while waiting (a new Rasa session
    # that the bot's session start keeps paused): one conversation.
    c16 = chats.chat("fb:204").session(d(7, 13))
    c16.say(d(7, 13), "I need to speak to a person", "human_handoff", 0.97)
    c16.hand_over(d(7, 13, 0, 1))
    c16.session(d(7, 15)).say(d(7, 15), "hello? anyone there?", "greet", 0.8, paused=True)
    chats.ticket(
        "fb:204",
        "customer_request",
        d(7, 13, 0, 1),
        claimed=d(7, 15, 5, 1),
        closed=d(7, 15, 15, 1),
        resolution="resolved",
        rating=5,
    )
    c16.agent_says(d(7, 15, 6), "Sorry for the wait!").handed_back(d(7, 15, 15))
    c16.say(d(7, 15, 16), "5", "rate")

    chats.chat("default").session(d(7, 14)).say(d(7, 14), "hello", "greet")  # rasa shell
    chats.ticket("tg:999", "complaint", d(7, 16))  # no such conversation in the store

    # --- Wednesday 8 -----------------------------------------------------------------------
    c8 = chats.chat("tg:103").session(d(8, 9))
    c8.say(d(8, 9), "অর্ডার ১০৪৫৬ কোথায়?", "order_status", 0.97)
    for minute, phone in enumerate(["01711000101", "01711000102", "01711000103"], start=1):
        c8.say(d(8, 9, minute), phone, "inform")
    c8.hand_over(d(8, 9, 5))
    chats.ticket(
        "tg:103",
        "verification_failed",
        d(8, 9, 5),
        claimed=d(8, 9, 7),
        closed=d(8, 9, 10),
        resolution="resolved",
    )

    c9 = chats.chat("fb:203").session(d(8, 10))
    c9.say(d(8, 10), "where is my order 10457", "order_status", 0.9)
    c9.say(d(8, 10, 1), "01811000009", "inform").hand_over(d(8, 10, 1, 30))
    chats.ticket("fb:203", "verification_locked", d(8, 10, 1, 30))  # still waiting

    c10 = chats.chat("rest:402").session(d(8, 11))
    c10.say(d(8, 11), "I want to return my borka", "return_request", 0.93)
    c10.say(d(8, 11, 1), "it is too big", "inform", 0.4)
    c10.say(d(8, 11, 2), "I said it is too big!!", "inform", 0.45).hand_over(d(8, 11, 3))
    chats.ticket("rest:402", "repeated_failure", d(8, 11, 3), claimed=d(8, 11, 10))  # with Rina

    # The queue was down: the customer asked for a person and got the shop's phone.
    c11 = chats.chat("web:303").session(d(8, 12))
    c11.say(
        d(8, 12),
        "I want to talk to a person",
        "human_handoff",
        0.96,
        page_language="en",
        answer="utter_handoff_unavailable",
    )

    # The agent handed back at 15:00, after the session had expired: the console's trigger
    # opens a new session, still the same conversation.
    c18 = chats.chat("web:304").session(d(8, 13))
    c18.say(d(8, 13), "customer care please", "human_handoff", 0.9, page_language="en")
    c18.hand_over(d(8, 13, 0, 1)).agent_says(d(8, 13, 3), "Hi, Rina here")
    chats.ticket(
        "web:304",
        "customer_request",
        d(8, 13, 0, 1),
        claimed=d(8, 13, 2, 1),
        closed=d(8, 15, 0, 1),
        resolution="handed_back",
        rating=5,
    )
    c18.session(d(8, 15)).handed_back(d(8, 15)).say(d(8, 15, 1), "5", "rate", page_language="en")

    c12 = chats.chat("tg:104").session(d(8, 23, 59, 30))
    c12.say(d(8, 23, 59, 30), "ডেলিভারি কত দিনে পাব?", "faq", 0.88, faq="faq/delivery_time")
    c12.say(d(9, 0, 0, 30), "ধন্যবাদ", "thank")
    return chats


EXPECTED = {
    "days": [["2025-01-06", 6, 4, 1, 1], ["2025-01-07", 6, 3, 3, 0], ["2025-01-08", 6, 1, 4, 1]],
    "channels": [
        ["Messenger", 4, 22.2],
        ["Telegram", 7, 38.9],
        ["Web chat", 4, 22.2],
        ["REST", 2, 11.1],
        ["Other", 1, 5.6],
    ],
    "languages": [["বাংলা", 10, 55.6], ["English", 8, 44.4]],
    "outcomes": [
        ["Solved by the bot alone", 8, 44.4],
        ["Handed to a person", 8, 44.4],
        ["Left without help", 2, 11.1],
    ],
    "reasons": [
        ["Asked for a person", 3, 37.5],
        ["Bot did not understand", 1, 12.5],
        ["Bot failed repeatedly", 1, 12.5],
        ["Complaint", 1, 12.5],
        ["Order check failed", 1, 12.5],
        ["Order locked after failed checks", 1, 12.5],
    ],
    "times": [
        ["Waiting for an agent (handover → claimed)", 6, 5.5, 125.0],
        ["Handling by the agent (claimed → resolved or handed back)", 5, 10.0, 118.0],
        ["Left waiting (handover → taken off the queue)", 1, 30.0, 30.0],
    ],
    "handovers": [
        ["Resolved by an agent", 3, 37.5],
        ["Handed back to the bot", 2, 25.0],
        ["Left waiting (customer went quiet)", 1, 12.5],
        ["Still waiting", 1, 12.5],
        ["Still with an agent", 1, 12.5],
    ],
    "ratings": [
        ["With a person (after the agent's chat)", 4, 4.0, 0, 1, 0, 1, 2],
        ["Bot alone", 2, 4.5, 0, 0, 0, 1, 1],
    ],
    "questions": [
        ["Asked for a person", "human_handoff", 4, 4],
        ["Where is my order?", "order_status", 4, 4],
        ["FAQ: delivery charge", "faq/delivery_charge", 2, 2],
        ["Complaint", "complaint", 1, 1],
        ["FAQ: delivery time", "faq/delivery_time", 1, 1],
        ["FAQ: payment methods", "faq/payment_methods", 1, 1],
        ["Return an item", "return_request", 1, 1],
    ],
    "misses": [
        [
            '=HYPERLINK("http://evil.example")<script>alert(1)</script> call 017•••••001',
            2,
            1,
            "Not understood",
            "complaint",
        ],
        ["@support where are you", 1, 1, "Not understood", "human_handoff"],
        ["asdf qwerty", 1, 1, "Not understood", "greet"],
        ["blah blah xyz", 1, 1, "Not understood", "faq"],
        ["I said it is too big!!", 1, 1, "Unsure (below 60%)", "inform"],
        ["it is too big", 1, 1, "Unsure (below 60%)", "inform"],
        ["vai amar order ta kobe pabo?", 1, 1, "Unsure (below 60%)", "order_status"],
    ],
}
SUMMARY = {
    "conversations": 18,
    "solved": 44.4,
    "handed_over": 44.4,
    "left": 11.1,
    "median_wait": 5.5,
    "rating_people": 4.0,
    "rating_bot": 4.5,
}


def assert_scripted_figures(report) -> None:
    for key, rows in EXPECTED.items():
        assert report.tables[key].rows == rows, key
    assert report.summary == SUMMARY
    assert report.notes == [
        "1 handover ticket(s) of these days belong to no conversation in "
        "the tracker store (deleted, or another store) and are left out."
    ]
    assert report.charts["days"]["series"][1] == {
        "label": "Handed to a person",
        "values": [1, 3, 4],
    }
    assert report.charts["ratings"]["series"][0]["values"] == [0, 1, 0, 1, 2]


@pytest.fixture
def sqlite_stores(tmp_path, handoff_url):
    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    yield store, sa.create_engine(f"sqlite:///{path}"), handoff_url
    store.engine.dispose()


@pytest.fixture
def pg_stores(pg_handoff_url):
    """Rasa's events table and the handoff tables in one PostgreSQL database."""
    url = make_url(pg_handoff_url)
    store = SQLTrackerStore(
        Domain.empty(),
        dialect="postgresql",
        host=url.host,
        port=url.port,
        db=url.database,
        username=url.username,
        password=url.password,
    )
    yield store, sa.create_engine(url), pg_handoff_url
    store.engine.dispose()


@pytest.mark.parametrize("stores", ["sqlite_stores", "pg_stores"])
def test_every_figure_matches_the_scripted_conversations(request, stores):
    store, tracker, handoff_url = request.getfixturevalue(stores)
    scripted().save(store, handoff_url)
    report = build_report(RANGE, tracker, handoff_url)
    assert_scripted_figures(report)
    assert report.range == RANGE


def test_one_day_at_the_range_edges(sqlite_stores):
    store, tracker, handoff_url = sqlite_stores
    scripted().save(store, handoff_url)
    first = build_report(DateRange(dt.date(2025, 1, 6), dt.date(2025, 1, 6)), tracker, handoff_url)
    # tg:107 at 00:00:00 is in; tg:105 (from 23:59 the day before) is not, nor its rating.
    assert first.tables["days"].rows == [["2025-01-06", 6, 4, 1, 1]]
    assert first.tables["ratings"].rows[1][1:3] == [1, 5.0]
    last = build_report(DateRange(dt.date(2025, 1, 9), dt.date(2025, 1, 9)), tracker, handoff_url)
    # tg:106 at 00:00:00 on the 9th; tg:104's "thanks" at 00:00:30 belongs to the 8th.
    assert last.tables["days"].rows == [["2025-01-09", 1, 1, 0, 0]]
    assert last.tables["questions"].rows == []
    assert last.tables["ratings"].rows[1][1:3] == [1, 3.0]
    before = build_report(DateRange(dt.date(2025, 1, 5), dt.date(2025, 1, 5)), tracker, handoff_url)
    assert before.tables["days"].rows == [["2025-01-05", 1, 1, 0, 0]]


def test_an_empty_store_gives_an_empty_report(tmp_path, handoff_url):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'nothing.db'}")
    report = build_report(RANGE, engine, handoff_url)
    assert report.summary["conversations"] == 0
    assert report.summary["solved"] is None and report.summary["median_wait"] is None
    assert [r[1] for r in report.tables["days"].rows] == [0, 0, 0]
    assert report.tables["misses"].rows == [] and report.notes == []


def test_the_cache_is_used_until_rasa_stores_another_event(sqlite_stores):
    store, tracker, handoff_url = sqlite_stores
    chats = scripted()
    chats.save(store, handoff_url)
    cache = SessionCache()
    build_report(RANGE, tracker, handoff_url, cache)
    again = build_report(RANGE, tracker, handoff_url, cache)
    assert (cache.misses, cache.hits) == (1, 1)
    assert_scripted_figures(again)

    # A new conversation on the 8th: the next report reads the store again and counts it.
    late = Chats()
    late.chat("tg:500").session(d(8, 18)).say(d(8, 18), "হ্যালো", "greet")
    late.save(store, handoff_url)
    fresh = build_report(RANGE, tracker, handoff_url, cache)
    assert cache.misses == 2
    assert fresh.tables["days"].rows[2] == ["2025-01-08", 7, 2, 4, 1]

    # Tickets are read every time: a claim shows at once, with the cache unchanged.
    from sqlalchemy import update

    from handoff.db import session_scope
    from handoff.models import Ticket

    with session_scope(handoff_url) as session:
        session.execute(
            update(Ticket)
            .where(Ticket.conversation_id == "fb:203")
            .values(state="assigned", assigned_at=d(8, 10, 31, 30))
        )
    claimed = build_report(RANGE, tracker, handoff_url, cache)
    assert cache.misses == 2
    assert claimed.tables["times"].rows[0][1] == 7
    assert claimed.tables["handovers"].rows[3:] == [
        ["Still waiting", 0, 0.0],
        ["Still with an agent", 2, 25.0],
    ]

"""A scripted week of conversations for the review page's tests (and the browser test): a
copy of the project as a git repository, a tracker store written by Rasa's own
SQLTrackerStore, and handoff tickets. What should and should not be in the queue is known."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from handoff import queue
from tests.content.helpers import Conversation, copy_project, store

# A channel whose conversation ids are the customer's phone number.
PHONE_SENDER = "8801711000555"
CUSTOMER_PHONE = "01711999888"

# Not understood, twice (written differently: case, digits, punctuation) in two chats.
BROKEN = "parcel er box ta venge geche, ki korbo? 2 din holo"
BROKEN_AGAIN = "Parcel er box ta venge geche ki korbo ২ din holo!!"
# Unsure: an FAQ with a weak key (0.9 x 0.5 = 45% < 60%).
UNSURE = "courier charge koto porbe khulna te"
# Handed over: confident, but the customer ended with a person.
HANDED = "amar taka ferot chai ekhoni"
WHILE_PAUSED = "hello? keu achen?"  # went to an agent: not the bot's business
WITH_PHONE = f"amar number {CUSTOMER_PHONE} e call dilei hobe"
# Junk and what is already known.
JUNK = ["ক" * 1500, "!!!??? 123", "hahahahaha", "delivery hote koydin lage"]


@dataclass
class Scene:
    root: Path  # the project copy (a git repository)
    tracker_url: str


def build_scene(tmp_path: Path, start: dt.datetime, handoff_url: str, git: bool = True) -> Scene:
    root = copy_project(tmp_path / "project", git=git)
    fallback = dict(
        intent="nlu_fallback",
        confidence=0.3,
        ranking=[("nlu_fallback", 0.3), ("order_status", 0.25), ("return_request", 0.2)],
    )
    one = (
        Conversation(PHONE_SENDER, start)
        .user("assalamualaikum", "greet", 0.97)
        .bot("ওয়ালাইকুম আসসালাম! কীভাবে সাহায্য করতে পারি?")
        .user(BROKEN, **fallback)
        .bot("দুঃখিত, বুঝতে পারিনি।", buttons=["অর্ডার কোথায়", "মানুষের সাথে কথা"])
        .user(WITH_PHONE, **fallback)
    )
    two = (
        Conversation("tg:200", start + dt.timedelta(minutes=5))
        .user(BROKEN_AGAIN, **fallback)
        .bot("দুঃখিত, বুঝতে পারিনি।")
        .user(
            UNSURE,
            "faq",
            0.9,
            ranking=[("faq", 0.9), ("order_status", 0.05)],
            faq=[("faq/delivery_charge", 0.5), ("faq/delivery_time", 0.4)],
        )
    )
    for text in JUNK:
        two.user(text, **fallback)
    three = (
        Conversation("tg:300", start + dt.timedelta(minutes=10))
        .user(HANDED, "return_request", 0.95)
        .bot("আপনার অর্ডার নম্বরটি দিন।")
    )
    handed_at = three.now()
    three.pause().user(WHILE_PAUSED, **fallback)
    tracker_url = store(tmp_path / "tracker.db", [one, two, three])
    queue.enqueue(
        "tg:300", "telegram", "bn", "customer_request", HANDED, now=handed_at, url=handoff_url
    )
    return Scene(root, tracker_url)

"""The customer's own answer to "A or B?" (seba.clarify) in the review queue and on the review
page: the original message, marked "customer chose X", the label pre-selected; one click
makes it an example. Conversations written by Rasa's SQLTrackerStore, the console over HTTP."""

import datetime as dt
import html
import re

import pytest
from rasa.shared.core.events import BotUttered, UserUttered

from handoff import agents
from handoff.db import local_now, to_epoch
from seba import clarify
from seba.content import review_queue as rq
from tests.content.helpers import Conversation, copy_project, run_git, store
from tests.handoff.helpers import PASSWORD

CHOSEN = "delivery ta kobe pabo ar koto lagbe"
TYPED_INSTEAD = "parcel kobe ashbe vai bolen to"
FORGED = "keu ekta bolen plz"
PAGE = "/content/review"
CHOICES = ("faq/delivery_time", "faq/delivery_charge")


def asked(chat: Conversation, text: str) -> dict:
    """The customer wrote ``text``; the bot asked which of CHOICES."""
    original = clarify.mark_ambiguous(
        {
            "text": text,
            "intent": {"name": "faq", "confidence": 0.8},
            "intent_ranking": [{"name": "faq", "confidence": 0.8}],
            "entities": [],
            "response_selector": {
                "faq": {
                    "ranking": [
                        {"intent_response_key": CHOICES[0], "confidence": 0.52},
                        {"intent_response_key": CHOICES[1], "confidence": 0.48},
                    ]
                }
            },
        },
        CHOICES,
    )
    chat.events.append(UserUttered(text, original["intent"], [], original, timestamp=tick(chat)))
    buttons = [{"title": c, "payload": clarify.payload(c)} for c in CHOICES]
    chat.events.append(BotUttered("আপনি কি …?", {"buttons": buttons}, timestamp=tick(chat)))
    return original


def pressed(chat: Conversation, original: dict, label: str) -> None:
    parse = clarify.chosen_parse(clarify.payload(label), label, original)
    if label not in CHOICES:  # written by hand: no processor would let it through
        parse[clarify.CHOSE]["label"] = label
    chat.events.append(UserUttered(parse["text"], parse["intent"], [], parse, timestamp=tick(chat)))


def tick(chat: Conversation) -> float:
    chat.moment += dt.timedelta(seconds=1)
    return to_epoch(chat.moment)


@pytest.fixture
def scene(tmp_path, handoff_url, monkeypatch):
    root = copy_project(tmp_path / "project", git=True)
    chat = Conversation("tg:77", local_now() - dt.timedelta(hours=1))
    pressed(chat, asked(chat, CHOSEN), "faq/delivery_charge")
    asked(chat, TYPED_INSTEAD)
    chat.user("kobe ashbe parcel ta", "faq", 0.95, faq=[("faq/delivery_time", 0.99)])
    pressed(chat, asked(chat, FORGED), "human_handoff")  # a label that was not offered
    url = store(tmp_path / "tracker.db", [chat])
    monkeypatch.setenv("SEBA_CONTENT_ROOT", str(root))
    monkeypatch.setenv("SEBA_TRACKER_URL", url)
    return root, url


def queue_of(root, url, handoff_url):
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    since = local_now() - dt.timedelta(days=1)
    return {i.text: i for i in rq.build(root, engine, since, 0.6, url=handoff_url).items}


def test_the_choice_goes_on_the_message_it_answered(scene, handoff_url):
    found = queue_of(*scene, handoff_url)
    chosen = found[CHOSEN]
    assert chosen.chosen == "faq/delivery_charge"
    assert chosen.reasons == [rq.UNSURE, rq.CUSTOMER_CHOSE]
    assert [g.label for g in chosen.guesses] == list(CHOICES)  # not "clarify"
    # Typed instead of clicking: still a question the bot was unsure of, nothing chosen.
    assert found[TYPED_INSTEAD].chosen is None
    assert found[TYPED_INSTEAD].reasons == [rq.UNSURE]
    # A "choice" of a label the bot did not offer is not taken.
    assert found[FORGED].chosen is None
    # The button presses themselves are not messages to review.
    assert not any(t.startswith("/") for t in found)


@pytest.fixture
def console(make_console, handoff_url, two_agents, scene):
    agents.create_agent("mita", "মিতা রায়", PASSWORD, role="content", url=handoff_url)
    return make_console()


def section(page_html, text):
    return next(
        part
        for part in page_html.split("<section")[1:]
        if f"data-item-text>{html.escape(text)}</p>" in part
    )


def test_the_review_page_preselects_the_customers_choice_one_click_saves_it(console, scene):
    root, _url = scene
    mita = console.login("mita")
    page = mita.get(PAGE).text
    item = section(page, CHOSEN)
    assert 'data-chosen="faq/delivery_charge"' in item
    assert "customer chose FAQ: delivery charge" in html.unescape(item)
    selected = re.findall(r'<option value="([^"]+)" selected>', item)
    assert selected == ["faq/delivery_charge"]
    assert "data-chosen" not in section(page, TYPED_INSTEAD)
    assert not re.findall(r"<option [^>]*selected>", section(page, TYPED_INSTEAD))

    # The one click: the form as the page filled it in.
    event = re.search(r'name="event_id" value="(\d+)"', item).group(1)
    example = html.unescape(re.search(r'name="text" value="([^"]*)"', item).group(1))
    answer = mita.post(
        "/content/review/label",
        {"event_id": event, "label": "faq/delivery_charge", "text": example},
    )
    assert answer.status_code == 303, answer.text[:500]
    faq = (root / "data" / "nlu" / "faq.yml").read_text(encoding="utf-8")
    assert f"    - {CHOSEN}\n" in faq
    after = mita.get(PAGE).text
    assert f"data-item-text>{html.escape(CHOSEN)}</p>" not in after  # labelled: out of the queue
    assert "faq.yml" in run_git(root, "show", "--stat", "HEAD")


def test_the_review_page_in_bangla_says_the_customer_chose(console, scene):
    mita = console.login("mita")
    mita.post("/language", {"lang": "bn", "back": PAGE})
    item = section(mita.get(PAGE).text, CHOSEN)
    assert "গ্রাহক বেছেছেন" in html.unescape(item)

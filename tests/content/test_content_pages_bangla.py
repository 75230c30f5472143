"""The content staff's pages in Bangla (review, answers, new FAQ, paths, retrain and its
confirmation): no English left of the strings the catalog translates, seba.content's
two-language messages shown in Bangla only, refusals and JSON answers in Bangla, and the
retrain script's own dictionary. English stays the default (the pages' own tests).

Real parts: the console in this process over HTTP (``make_console``), a project copy with a
Rasa tracker store (``review_scene``), fabricated retrain jobs and kept models."""

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from handoff import agents
from handoff.console import i18n
from seba.content import answers
from seba.content.jobs import Jobs
from seba.content.locations import Paths
from seba.content.model_store import write_json
from tests.content.helpers import promoted_b
from tests.content.review_scene import build_scene
from tests.handoff.helpers import PASSWORD
from tests.handoff.test_console_i18n import _catalog, _in, _texts

JSON = {"Accept": "application/json"}
RETRAIN_JS = i18n.HERE / "static" / "retrain.js"


@pytest.fixture
def site(tmp_path, handoff_url, clock, monkeypatch, make_console, two_agents):
    scene = build_scene(tmp_path, clock.moment - dt.timedelta(hours=2), handoff_url)
    monkeypatch.setenv("SEBA_CONTENT_ROOT", str(scene.root))
    monkeypatch.setenv("SEBA_TRACKER_URL", scene.tracker_url)
    paths = Paths(
        root=scene.root,
        live_model=tmp_path / "models" / "seba.tar.gz",
        models_dir=tmp_path / "var" / "models",
        retrain_dir=tmp_path / "var" / "retrain",
    )
    paths.live_model.parent.mkdir()
    paths.live_model.write_bytes(b"model A")
    for name, value in paths.env().items():
        monkeypatch.setenv(name, value)
    agents.create_agent("mita", "মিতা", PASSWORD, role="content", url=handoff_url)
    _, a, _ = promoted_b(paths, tmp_path)
    job_id = "20250106-120000-ab12"
    Jobs(paths).job_dir(job_id).mkdir(parents=True)
    Jobs(paths).write(
        {
            "id": job_id,
            "state": "refused",
            "step": "checks",
            "percent": 8,
            "step_label": "Checking the content",
            "step_label_bn": "কনটেন্ট যাচাই করা হচ্ছে",
            "started_by": "mita",
            "started_at": "2025-01-06T12:00:00",
            "finished_at": None,
            "go_live": True,
            "scores": None,
            "pid": None,
            "message": "The content checks found mistakes.",
            "message_bn": "কনটেন্ট যাচাইয়ে ভুল পাওয়া গেছে, তাই কিছু ট্রেইন করা হয়নি।",
            "problems": [
                {
                    "title": "A rule uses a missing answer",
                    "detail": "utter_nothing",
                    "fix": "Add the answer to domain.yml.",
                    "title_bn": "একটি রুলে এমন উত্তর আছে যা নেই",
                    "detail_bn": "utter_nothing",
                    "fix_bn": "উত্তরটি domain.yml-এ যোগ করুন।",
                }
            ],
            "notes": [],
        }
    )
    write_json(paths.retrain_dir / "current.json", {"id": job_id})
    return make_console(), a


def test_content_pages_in_bangla_show_no_english_of_the_translated_strings(site):
    console, previous = site
    msgids = {m.id for m in _catalog() if isinstance(m.id, str) and m.id}
    english, bangla = console.login("mita"), _in(console.login("mita"), "bn")
    pages = [
        "/content/review",
        "/content/answers",
        "/content/answers/edit?name=utter_greet",
        "/content/faqs/new",
        "/content/paths",
        "/content/retrain",
        f"/content/retrain/use?model={previous['id']}",
    ]
    # What the bot says (an answer's English buttons) is content, not the console's words.
    greet = answers.get_answer(Path(os.environ["SEBA_CONTENT_ROOT"]), "utter_greet")
    customer_words = {b for v in (greet.bn, greet.en) if v for b in v.buttons}
    checked = 0
    for path in pages:
        en_page, bn_page = english.get(path), bangla.get(path)
        assert en_page.status_code == bn_page.status_code == 200, path
        shown_in_english = _texts(en_page.text) & msgids
        assert len(shown_in_english) >= 3, path  # the page has translated strings at all
        left = _texts(bn_page.text) & shown_in_english - customer_words
        assert not left, f"{path} still in English: {left}"
        assert '<html lang="bn">' in bn_page.text
        checked += len(shown_in_english)
    assert checked > 60

    review = bangla.get("/content/review").text
    for text in (
        "রিভিউ",
        "সাম্প্রতিক পরিবর্তন",
        "বাদ দিন (শেখানোর দরকার নেই)",
        "বট বোঝেনি",
        "বট রিট্রেইন করুন →",
    ):
        assert text in review
    assert "that the bot did not understand" not in review  # the {% trans %} paragraph
    assert "কথোপকথনের ধারা" in bangla.get("/content/answers").text
    steps = bangla.get("/content/paths").text  # seba.content.paths' steps, in Bangla
    assert "কাস্টমার: greet" in steps and "বট বলে (utter_greet): হ্যালো!" in steps
    assert "Customer: " not in steps and "Bot says" not in steps


def test_retrain_in_bangla_shows_seba_contents_bangla_only(site):
    console = site[0]
    bn_page = _in(console.login("mita"), "bn").get("/content/retrain").text
    for text in (
        "কনটেন্ট যাচাইয়ে ভুল পাওয়া গেছে, তাই কিছু ট্রেইন করা হয়নি।",
        "যে ধাপে থেমেছে: কনটেন্ট যাচাই করা হচ্ছে",
        "একটি রুলে এমন উত্তর আছে যা নেই",
        "যা করবেন: উত্তরটি domain.yml-এ যোগ করুন।",
        "পাস করেনি",
        "বাংলা: 90.0%",
    ):
        assert text in bn_page, text
    for text in (
        "The content checks found mistakes.",
        "Stopped at",
        "Checking the content",
        "A rule uses a missing answer",
        "What to do",
        "Put it live as soon as",
    ):
        assert text not in bn_page, text
    en_page = console.login("mita").get("/content/retrain").text  # as before: both languages
    assert "The content checks found mistakes." in en_page and "Stopped at" in en_page
    assert "কনটেন্ট যাচাইয়ে ভুল পাওয়া গেছে" in en_page and "Bangla: 90.0%" in en_page


def test_retrain_js_gets_exactly_its_strings_in_bangla(site):
    console = site[0]
    msgids = i18n.js_msgids(RETRAIN_JS)
    assert "Try it did not answer." in msgids and "Claim" not in msgids  # its own, not console.js
    block = r'id="retrain-i18n">(.*?)</script>'
    bn_page = _in(console.login("mita"), "bn").get("/content/retrain").text
    strings = json.loads(re.search(block, bn_page).group(1))
    assert set(strings) == set(msgids) and all(strings[m] != m for m in msgids)
    en_page = console.login("mita").get("/content/retrain").text
    assert json.loads(re.search(block, en_page).group(1)) == {}


def test_refusals_and_json_answers_come_in_bangla(site):
    console = site[0]
    mita = _in(console.login("mita"), "bn")
    empty = mita.post("/content/retrain/try", {"text": "  "}, json_api=True)
    assert empty.status_code == 400 and empty.json()["message"] == "আগে একটি বার্তা লিখুন।"
    unknown = mita.get("/content/retrain/use?model=ffff")
    assert unknown.status_code == 404 and "এই মডেলটি রাখা মডেলগুলোর একটি নয়।" in unknown.text
    unlabelled = mita.post("/content/review/label", {"event_id": "1", "label": ""})
    assert unlabelled.status_code == 400
    assert "বার্তাটি কোন ইনটেন্ট বা FAQ বোঝায় তা বেছে নিন" in unlabelled.text
    which = mita.post("/content/review/ignore", {"event_id": "<script>"})
    assert which.status_code == 400 and "কোন বার্তা? পাতাটি রিলোড করে" in which.text
    english = console.login("mita").post("/content/retrain/try", {"text": ""}, json_api=True)
    assert english.json()["message"] == "Write a message first."


def test_seba_contents_refusals_come_in_bangla_and_keep_what_was_typed(site):
    console = site[0]
    mita = _in(console.login("mita"), "bn")
    typed = {
        "key": "Gift Wrap!",
        "bn_examples": "উপহার মোড়ক হবে?",
        "en_examples": "",
        "banglish_examples": "",
        "bn": "হ্যাঁ",
        "en": "Yes",
        "action": "save",
    }
    refused = mita.post("/content/faqs/new", typed)
    assert refused.status_code == 400
    assert "FAQ-এর key হবে ৩ থেকে ৪০টি ইংরেজি ছোট হাতের অক্ষর" in refused.text
    assert "small English letters" not in refused.text
    assert "Gift Wrap!" in refused.text and "উপহার মোড়ক হবে?" in refused.text  # nothing lost
    nested = mita.post(
        "/content/faqs/new", {**typed, "key": "gift_wrap", "bn_examples": "/restart"}
    )
    assert nested.status_code == 400 and "বাংলা উদাহরণ 1: উদাহরণ “/” দিয়ে শুরু হতে পারে না" in nested.text
    assert "cannot start with" not in nested.text and "/restart" in nested.text
    gone = mita.post("/content/review/label", {"event_id": "999999", "label": "greet"})
    assert gone.status_code == 400 and "no longer in the conversations store" not in gone.text
    assert "বার্তাটি কথোপকথনের স্টোরে আর নেই (মুছে ফেলা হয়েছে?): কিছু করার নেই।" in gone.text
    english = console.login("mita").post("/content/faqs/new", typed)
    assert "The FAQ&#39;s key is 3 to 40 small English letters" in english.text

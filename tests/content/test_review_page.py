"""The review page over real HTTP (the console app in this process, ``make_console``), on a
tracker store written by Rasa's SQLTrackerStore and a project copy that is a git repository.

The stranger's attempts first: wrong role, no CSRF token, labels that are paths, typed text
that is YAML, made-up message ids. Then: the queue shows what it should (and no phone
number), labelling writes exactly one line and commits it as the staff member, the message
leaves the queue, and undo brings back the file's bytes and the message."""

import datetime as dt
import difflib
import hashlib
import html
import re

import pytest

from handoff import agents
from seba.content import changes
from tests.content.helpers import run_git
from tests.content.review_scene import (
    BROKEN,
    BROKEN_AGAIN,
    CUSTOMER_PHONE,
    HANDED,
    JUNK,
    PHONE_SENDER,
    UNSURE,
    WHILE_PAUSED,
    WITH_PHONE,
    build_scene,
)
from tests.handoff.helpers import PASSWORD

PAGE = "/content/review"


@pytest.fixture
def scene(tmp_path, handoff_url, clock, monkeypatch):
    built = build_scene(tmp_path, clock.moment - dt.timedelta(hours=2), handoff_url)
    monkeypatch.setenv("SEBA_CONTENT_ROOT", str(built.root))
    monkeypatch.setenv("SEBA_TRACKER_URL", built.tracker_url)
    return built


@pytest.fixture
def people(handoff_url, two_agents):
    agents.create_agent("mita", "মিতা রায়", PASSWORD, role="content", url=handoff_url)
    agents.create_agent("boss", "Shop owner", PASSWORD, role="owner", url=handoff_url)


@pytest.fixture
def console(make_console, people, scene):
    return make_console()


def snapshot(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.yml"))
    }


def items(page_html):
    """{event id: shown text} of the queue on the page."""
    found = re.findall(r'data-item="(\d+)".*?data-item-text>(.*?)</p>', page_html, re.S)
    return {int(event): html.unescape(text) for event, text in found}


def section(page_html, text):
    """The item on the page whose message is ``text``."""
    return next(
        part
        for part in page_html.split("<section")[1:]
        if f"data-item-text>{html.escape(text)}</p>" in part
    )


def event_of(page_html, text):
    return next(e for e, t in items(page_html).items() if t == text)


# --- the stranger's attempts -------------------------------------------------------------------


def test_agents_and_strangers_cannot_see_or_change_the_review(console, scene):
    before = snapshot(scene.root)
    mita = console.login("mita")
    event = event_of(mita.get(PAGE).text, BROKEN_AGAIN)
    fields = {"event_id": str(event), "label": "faq/delivery_time"}
    # An agent (a support role, not content): refused before the handler runs.
    rina = console.login("rina")
    assert rina.get(PAGE).status_code == 403
    for path in ("/content/review/label", "/content/review/ignore", "/content/changes/undo"):
        assert rina.post(path, {**fields, "change_id": "1"}).status_code == 403
    # Not logged in: to the login page.
    anonymous = console.client()
    assert (
        anonymous.post("/content/review/label", fields, csrf=False).headers["Location"] == "/login"
    )
    # Content staff, but the form comes from another site: no or a forged token.
    assert mita.post("/content/review/label", fields, csrf=False).status_code == 403
    assert mita.post("/content/review/label", {**fields, "csrf_token": "forged"}).status_code == 403
    assert mita.post("/content/review/ignore", fields, csrf=False).status_code == 403
    assert snapshot(scene.root) == before
    assert changes.list_changes() == []
    assert BROKEN_AGAIN in items(mita.get(PAGE).text).values()


@pytest.mark.parametrize(
    "label",
    [
        "../../etc/passwd",
        "faq/../../../domain",
        "/etc/passwd",
        "data/nlu/faq.yml",
        "faq",
        "nlu_fallback",
        "greet\n- intent: evil",
        "made_up_intent",
        "faq/made_up",
    ],
)
def test_a_label_that_is_not_an_intent_or_faq_is_refused_politely(console, scene, label):
    before = snapshot(scene.root)
    mita = console.login("mita")
    event = event_of(mita.get(PAGE).text, BROKEN_AGAIN)
    answer = mita.post("/content/review/label", {"event_id": str(event), "label": label})
    assert answer.status_code == 400
    assert "is not an intent or FAQ of the bot. Pick one from the list." in html.unescape(
        answer.text
    )
    assert snapshot(scene.root) == before and changes.list_changes() == []
    assert BROKEN_AGAIN in items(answer.text).values()  # the message is still there


@pytest.mark.parametrize(
    "event_id,why",
    [
        ("abc", "Which message?"),
        ("", "Which message?"),
        ("-1", "Which message?"),
        ("1 OR 1=1", "Which message?"),
        ("999999", "no longer in the conversations store"),
    ],
)
def test_a_made_up_message_id_is_refused(console, scene, event_id, why):
    before = snapshot(scene.root)
    mita = console.login("mita")
    answer = mita.post("/content/review/label", {"event_id": event_id, "label": "greet"})
    assert answer.status_code == 400 and why in answer.text
    assert snapshot(scene.root) == before


def test_typed_text_is_written_as_one_clean_line_never_as_yaml(console, scene):
    faq = scene.root / "data" / "nlu" / "faq.yml"
    before = faq.read_text(encoding="utf-8")
    mita = console.login("mita")
    event = event_of(mita.get(PAGE).text, BROKEN_AGAIN)
    typed = "box venge geche\n- intent: evil\n  examples: |\n    - <script>alert(1)</script>"
    answer = mita.post(
        "/content/review/label", {"event_id": str(event), "label": "faq/warranty", "text": typed}
    )
    assert answer.status_code == 303, answer.text[:500]
    diff = [
        d
        for d in difflib.ndiff(
            before.splitlines(True), faq.read_text(encoding="utf-8").splitlines(True)
        )
        if d[:2] in ("+ ", "- ")
    ]
    assert diff == [
        "+     - box venge geche - intent: evil examples: | - <script>alert(1)</script>\n"
    ]
    page = mita.get(answer.headers["Location"]).text
    assert "<script>alert(1)</script>" not in page  # escaped where the change list shows it
    assert "&lt;script&gt;" in page


# --- what the queue shows ----------------------------------------------------------------------


def test_the_queue_shows_what_the_bot_missed_grouped_with_guesses_and_context(console, scene):
    page = console.login("mita").get(PAGE)
    assert page.status_code == 200
    shown = list(items(page.text).values())
    # The group of two is first; each once; junk, known examples and paused chat left out.
    assert shown[0] == BROKEN_AGAIN or shown[0] == BROKEN
    assert sorted(shown[1:]) == sorted(
        [UNSURE, HANDED, WITH_PHONE.replace(CUSTOMER_PHONE, "017•••••888")]
    )
    for text in JUNK + [WHILE_PAUSED]:  # (the conversation around a message may show them)
        assert text not in shown
    first = section(page.text, shown[0])
    assert "2 times in 2 chats" in first and "Not understood" in first
    assert 'data-guess="order_status"' in first and 'data-guess="return_request"' in first
    unsure = section(page.text, UNSURE)
    assert "Unsure" in unsure and "FAQ: delivery charge 45%" in unsure
    assert "FAQ: delivery time 36%" in unsure
    handed = section(page.text, HANDED)
    assert "Handed over" in handed and "Asked for a person" in handed
    assert "Left out: " in page.text and "repeated characters" in page.text
    assert "already an example" in page.text and "too long" in page.text
    # No phone number anywhere: not the customer's, not the conversation id.
    assert CUSTOMER_PHONE not in page.text and PHONE_SENDER not in page.text
    assert "017•••••888" in page.text
    # The example offered for the message with a phone number uses the demo number.
    assert "amar number 01711000001 e call dilei hobe" in page.text
    # The conversation around a message: the bot's answer and its buttons.
    assert "মানুষের সাথে কথা" in page.text and "bubble current" in page.text
    assert 'href="/content/retrain"' in page.text


# --- labelling, its record, undo --------------------------------------------------------------


def test_labelling_writes_one_line_commits_as_the_staff_member_and_undo_restores(console, scene):
    orders = scene.root / "data" / "nlu" / "orders.yml"
    original, others = orders.read_bytes(), snapshot(scene.root)
    commits_before = run_git(scene.root, "rev-list", "--count", "HEAD").strip()
    mita = console.login("mita")
    event = event_of(mita.get(PAGE).text, BROKEN_AGAIN)

    saved = mita.post("/content/review/label", {"event_id": str(event), "label": "return_request"})
    assert saved.status_code == 303
    assert saved.headers["Location"] == "/content/review?done=labelled&label=return_request"
    # Exactly one new line, in the file that holds return_request, nothing else changed.
    diff = [
        d
        for d in difflib.ndiff(
            original.decode().splitlines(True), orders.read_text(encoding="utf-8").splitlines(True)
        )
        if d[:2] in ("+ ", "- ")
    ]
    assert diff == [f"+     - {BROKEN_AGAIN}\n"]
    assert {k for k, v in snapshot(scene.root).items() if others[k] != v} == {"data/nlu/orders.yml"}
    # A git commit of that file with mita as its author; the change log says the same.
    log = run_git(scene.root, "log", "-1", "--format=%an|%s", "--name-only")
    assert log.startswith(f"মিতা রায়|Labelled “{BROKEN_AGAIN}” as return_request")
    assert "data/nlu/orders.yml" in log
    change = changes.list_changes()[0]
    assert change.author == "মিতা রায়" and change.username == "mita" and change.commit
    # The message (and the way it was written elsewhere) left the queue.
    after = mita.get(saved.headers["Location"]).text
    assert "now an example of return request" in after
    assert BROKEN not in items(after).values() and BROKEN_AGAIN not in items(after).values()
    assert f'data-change="{change.id}"' in after and change.commit[:10] in after

    undone = mita.post("/content/changes/undo", {"change_id": str(change.id)})
    assert undone.status_code == 303, re.findall(r"data-error>(.*?)<", undone.text)
    assert orders.read_bytes() == original and snapshot(scene.root) == others
    assert int(run_git(scene.root, "rev-list", "--count", "HEAD")) == int(commits_before) + 2
    assert run_git(scene.root, "log", "-1", "--format=%an").strip() == "মিতা রায়"
    back = mita.get(undone.headers["Location"].split("#")[0]).text
    assert "Undone" in back and BROKEN_AGAIN in items(back).values()
    # An undo is not undone, and the same undo twice is refused.
    again = mita.post("/content/changes/undo", {"change_id": str(change.id)})
    assert again.status_code == 400 and "already undone" in again.text


def test_ignore_takes_the_message_out_and_undo_brings_it_back(console, scene):
    before = snapshot(scene.root)
    mita = console.login("mita")
    event = event_of(mita.get(PAGE).text, UNSURE)
    ignored = mita.post("/content/review/ignore", {"event_id": str(event)})
    assert ignored.status_code == 303
    page = mita.get(ignored.headers["Location"]).text
    assert UNSURE not in items(page).values() and "Ignored" in page
    assert snapshot(scene.root) == before  # no file changed
    change = changes.list_changes()[0]
    assert change.kind == "ignore" and change.commit is None
    mita.post("/content/changes/undo", {"change_id": str(change.id)})
    assert UNSURE in items(mita.get(PAGE).text).values()


def test_of_two_staff_labelling_one_message_the_second_is_told_who_was_first(console, scene):
    mita, boss = console.login("mita"), console.login("boss")
    event = event_of(mita.get(PAGE).text, HANDED)
    boss_page = boss.get(PAGE).text  # both have the page open
    assert HANDED in items(boss_page).values()
    assert (
        mita.post(
            "/content/review/label", {"event_id": str(event), "label": "return_request"}
        ).status_code
        == 303
    )
    late = boss.post("/content/review/label", {"event_id": str(event), "label": "greet"})
    assert late.status_code == 409
    assert "মিতা রায় labelled it return_request" in late.text
    assert HANDED not in (scene.root / "data/nlu/general.yml").read_text(encoding="utf-8")
    assert HANDED in (scene.root / "data/nlu/orders.yml").read_text(encoding="utf-8")


def test_without_git_the_change_log_still_records_and_undoes(
    tmp_path, handoff_url, clock, monkeypatch, make_console, people
):
    built = build_scene(tmp_path, clock.moment - dt.timedelta(hours=1), handoff_url, git=False)
    monkeypatch.setenv("SEBA_CONTENT_ROOT", str(built.root))
    monkeypatch.setenv("SEBA_TRACKER_URL", built.tracker_url)
    original = snapshot(built.root)
    mita = make_console().login("mita")
    event = event_of(mita.get(PAGE).text, UNSURE)
    assert (
        mita.post(
            "/content/review/label", {"event_id": str(event), "label": "faq/delivery_charge"}
        ).status_code
        == 303
    )
    change = changes.list_changes()[0]
    assert change.commit is None and "not a git repository" in change.commit_note
    assert "change log only" in mita.get(PAGE).text
    mita.post("/content/changes/undo", {"change_id": str(change.id)})
    assert snapshot(built.root) == original


def test_a_refused_label_keeps_what_was_typed(console, scene):
    mita = console.login("mita")
    event = event_of(mita.get(PAGE).text, BROKEN_AGAIN)
    typed = "box ta venge geche [ekdom](broken) ki korbo"
    answer = mita.post(
        "/content/review/label", {"event_id": str(event), "text": typed, "label": "order_status"}
    )
    assert answer.status_code == 400 and "entity mark-up" in answer.text
    assert f'value="{html.escape(typed)}"' in section(answer.text, BROKEN_AGAIN)

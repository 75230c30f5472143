"""The answers pages over real HTTP: the stranger's attempts (wrong role, no CSRF token, an
answer name that is a path, typed text that is YAML or a made-up {value}), the preview as
the customer sees it, saving (exactly the two text lines of domain.yml change, a commit
as the staff member) and undo (the file's bytes come back); the paths page."""

import difflib
import hashlib
import html

import pytest
import yaml
from rasa.shared.core.domain import Domain

from handoff import agents
from seba.content import changes
from tests.content.helpers import copy_project, run_git
from tests.handoff.helpers import PASSWORD

EDIT = "/content/answers/edit"
NAME = "utter_faq/delivery_charge"


@pytest.fixture
def root(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "project", git=True)
    monkeypatch.setenv("SEBA_CONTENT_ROOT", str(project))
    return project


@pytest.fixture
def console(make_console, two_agents, handoff_url, root):
    agents.create_agent("mita", "মিতা রায়", PASSWORD, role="content", url=handoff_url)
    return make_console()


def snapshot(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.yml"))
    }


def texts(root, name=NAME):
    return [
        v["text"]
        for v in yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))["responses"][
            name
        ]
    ]


def changed_lines(before, after):
    return [
        d
        for d in difflib.ndiff(before.splitlines(True), after.splitlines(True))
        if d[:2] in ("+ ", "- ")
    ]


def test_agents_and_forged_forms_cannot_edit_answers(console, root):
    before = snapshot(root)
    rina = console.login("rina")
    for path in ("/content/answers", f"{EDIT}?name={NAME}", "/content/paths"):
        assert rina.get(path).status_code == 403
    fields = {"name": NAME, "bn": "x", "en": "y", "action": "save"}
    assert rina.post(EDIT, fields).status_code == 403
    mita = console.login("mita")
    assert mita.post(EDIT, fields, csrf=False).status_code == 403
    assert mita.post(EDIT, {**fields, "csrf_token": "forged"}).status_code == 403
    assert snapshot(root) == before and changes.list_changes() == []


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "utter_faq/../../domain",
        "domain.yml",
        "utter_made_up",
        "",
        "utter_greet\n- text: x",
    ],
)
def test_an_answer_name_that_is_not_an_answer_is_refused(console, root, name):
    before = snapshot(root)
    mita = console.login("mita")
    assert mita.get(EDIT, params={"name": name}).status_code == 404
    answer = mita.post(EDIT, {"name": name, "bn": "x", "en": "y", "action": "save"})
    assert answer.status_code in (400, 404) and "There is no such answer" in answer.text
    assert snapshot(root) == before


@pytest.mark.parametrize(
    "bn,why",
    [
        ("চার্জ {evil_value}", "uses {evil_value}, which the bot does not know here"),
        ("চার্জ {", "has a { or } that is not a value"),
        ("চার্জ {0}", "uses {0}"),
        ("", "The Bangla answer is empty."),
    ],
)
def test_an_answer_with_a_broken_value_is_refused_and_nothing_is_written(console, root, bn, why):
    before = snapshot(root)
    mita = console.login("mita")
    answer = mita.post(EDIT, {"name": NAME, "bn": bn, "en": "Delivery is cheap.", "action": "save"})
    assert answer.status_code == 400 and why in html.unescape(answer.text)
    assert snapshot(root) == before


def test_the_preview_fills_the_shops_values_in_bengali_digits_and_writes_nothing(console, root):
    before = snapshot(root)
    mita = console.login("mita")
    page = mita.get(EDIT, params={"name": "utter_greet"}).text
    assert "মানুষের সাথে কথা" in page and "Talk to a person" in page  # the buttons
    preview = mita.post(
        EDIT,
        {
            "name": NAME,
            "action": "preview",
            "bn": "ঢাকায় চার্জ {delivery_charge_inside_dhaka}, ফেরত {return_window_days} দিনে",
            "en": "Inside Dhaka: {delivery_charge_inside_dhaka}",
        },
    )
    assert preview.status_code == 200
    shown = html.unescape(preview.text)
    assert "ঢাকায় চার্জ ৭০ টাকা, ফেরত ৭ দিনে" in shown
    assert "Inside Dhaka: BDT 70" in shown
    assert snapshot(root) == before


def test_saving_changes_the_two_text_lines_commits_and_undo_restores(console, root):
    domain = root / "domain.yml"
    original = domain.read_bytes()
    mita = console.login("mita")
    old_bn, old_en = texts(root)
    typed_bn = old_bn + ' আরও জানতে কল করুন {shop_phone}"\n  - text: "evil"\n    condition: []'
    saved = mita.post(
        EDIT, {"name": NAME, "bn": typed_bn, "en": old_en + " Call {shop_phone}.", "action": "save"}
    )
    assert saved.status_code == 303, html.unescape(saved.text)[-2000:]
    assert saved.headers["Location"] == f"{EDIT}?name={NAME}&done=saved"
    diff = changed_lines(original.decode(), domain.read_text(encoding="utf-8"))
    assert sorted(d[:9] for d in diff) == ["+   - tex"] * 2 + ["-   - tex"] * 2
    # Rasa reads the typed text back as text (line breaks kept), not as a new variation.
    read = Domain.from_path(str(domain)).responses[NAME]
    assert len(read) == 2 and read[0]["text"].startswith(old_bn + " আরও জানতে")
    assert '\n  - text: "evil"' in read[0]["text"]
    assert run_git(root, "log", "-1", "--format=%an|%s").strip() == (
        f"মিতা রায়|Edited the answer {NAME}"
    )
    change = changes.list_changes()[0]
    assert change.kind == "answer" and change.files == ["domain.yml"]
    assert "Saved." in mita.get(saved.headers["Location"]).text

    undone = mita.post("/content/changes/undo", {"change_id": str(change.id)})
    assert undone.status_code == 303
    assert domain.read_bytes() == original


def test_the_paths_page_shows_rules_and_stories_as_steps(console, root):
    page = html.unescape(console.login("mita").get("/content/paths").text)
    assert 'data-path="rule:greet"' in page and "Customer: greet" in page
    assert "Bot says (utter_greet): হ্যালো!" in page and "{shop_name}" not in page
    assert 'data-path="story:' in page and "Bot asks the questions of order verify form" in page
    assert "01711000001" not in page  # phone numbers in the stories are masked too


# --- a new FAQ -----------------------------------------------------------------------------------

GIFT = {
    "bn": [
        "গিফট র‍্যাপ করে দেন?",
        "উপহার হিসেবে প্যাক করে দিতে পারবেন?",
        "গিফট প্যাকিং আছে?",
        "উপহারের মোড়ক দেন কি?",
        "গিফট বক্সে পাঠানো যাবে?",
        "জন্মদিনের উপহার হিসেবে পাঠাতে চাই, প্যাক করবেন?",
        "গিফট র‍্যাপিংয়ের খরচ কত?",
        "উপহার মোড়ানো যাবে?",
        "সুন্দর করে গিফট প্যাক করে দিবেন?",
        "গিফট কার্ড লিখে দেওয়া যায়?",
        "উপহারের সাথে নোট দেওয়া যাবে?",
        "গিফট হিসেবে দাম ছাড়া পাঠাবেন?",
        "বিয়ের উপহার প্যাক করে দেন?",
        "গিফট মোড়ক কি ফ্রি?",
        "র‍্যাপিং পেপারে মুড়িয়ে দিবেন?",
    ],
    "en": [
        "do you offer gift wrapping",
        "can you gift wrap my order",
        "is gift packing available",
        "can I send it as a gift",
        "how much is gift wrapping",
        "can you add a gift note",
        "can you wrap it as a birthday present",
        "do you have gift boxes",
        "can the parcel go without the price tag as a gift",
        "is gift wrap free",
    ],
    "banglish": [
        "gift wrap kore diben?",
        "gift packing ache naki",
        "upohar hisebe pack kore diben vai",
        "gift box e pathano jabe?",
        "gift wrap er khoroch koto",
        "jonmodiner gift pack korben?",
        "gift note likhe deya jabe?",
        "sundor kore gift pack kore diyen",
        "gift wrap ki free naki taka lage",
        "biyer gift pack kore den?",
    ],
}


def faq_form(key="gift_wrapping", **overrides):
    fields = {
        "key": key,
        "action": "save",
        "bn_examples": "\n".join(GIFT["bn"]),
        "en_examples": "\n".join(GIFT["en"]),
        "banglish_examples": "\n".join(GIFT["banglish"]),
        "bn": 'হ্যাঁ, {shop_name} থেকে গিফট র‍্যাপ করে পাঠাতে পারি "ফ্রি"!',
        "en": "Yes, we gift wrap for free.\n- text: evil",
    }
    fields.update(overrides)
    return fields


@pytest.mark.parametrize(
    "overrides,why",
    [
        ({"key": "../../etc/passwd"}, "The FAQ's key is 3 to 40 small English letters"),
        ({"key": "delivery_time"}, "There is an FAQ delivery_time already"),
        ({"bn_examples": "\n".join(GIFT["bn"][:4])}, "Write at least 15 Bangla examples"),
        ({"en_examples": "\n".join(GIFT["en"][:9] + ["গিফট দেন?"])}, "is not written in Latin"),
        (
            {"banglish_examples": "\n".join(GIFT["banglish"][:9] + ["delivery hote koydin lage"])},
            "already has it, under faq/delivery_time",
        ),
        ({"en": "Yes {made_up}"}, "uses {made_up}"),
    ],
)
def test_a_new_faq_that_is_not_right_is_refused_and_nothing_is_written(
    console, root, overrides, why
):
    before = snapshot(root)
    answer = console.login("mita").post("/content/faqs/new", faq_form(**overrides))
    assert answer.status_code == 400 and why in html.unescape(answer.text)
    assert snapshot(root) == before and changes.list_changes() == []


def test_a_new_faq_adds_its_block_and_answer_commits_and_undo_removes_both(
    console, root, handoff_url
):
    from rasa.shared.nlu.training_data.loading import load_data

    faq_file, domain = root / "data/nlu/faq.yml", root / "domain.yml"
    original = {faq_file: faq_file.read_bytes(), domain: domain.read_bytes()}
    assert console.login("rina").post("/content/faqs/new", faq_form()).status_code == 403
    mita = console.login("mita")
    saved = mita.post("/content/faqs/new", faq_form())
    assert saved.status_code == 303, html.unescape(saved.text)[-1500:]
    # Only lines added, at the end of each file; Rasa reads exactly what was typed.
    for path in (faq_file, domain):
        assert path.read_bytes().startswith(original[path])
    read = [
        m.get("text")
        for m in load_data(str(faq_file)).intent_examples
        if m.get("intent_response_key") == "faq/gift_wrapping"
    ]
    assert read == GIFT["bn"] + GIFT["en"] + GIFT["banglish"]
    answer = Domain.from_path(str(domain)).responses["utter_faq/gift_wrapping"]
    assert answer[0]["text"] == 'হ্যাঁ, {shop_name} থেকে গিফট র‍্যাপ করে পাঠাতে পারি "ফ্রি"!'
    assert answer[1]["text"] == "Yes, we gift wrap for free.\n- text: evil"
    assert answer[1]["condition"] == [{"type": "slot", "name": "language", "value": "en"}]
    assert run_git(root, "log", "-1", "--format=%an|%s").strip() == (
        "মিতা রায়|Added the FAQ gift_wrapping"
    )
    page = html.unescape(mita.get(saved.headers["Location"]).text)
    assert "থেকে গিফট র‍্যাপ করে পাঠাতে পারি" in page and "{shop_name}" not in page.split("<textarea")[0]

    change = changes.list_changes()[0]
    assert change.kind == "faq" and change.files == ["data/nlu/faq.yml", "domain.yml"]
    assert mita.post("/content/changes/undo", {"change_id": str(change.id)}).status_code == 303
    for path in (faq_file, domain):
        assert path.read_bytes() == original[path]

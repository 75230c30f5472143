"""The console in Bangla: the catalog is complete, pages and JSON answers come in the chosen
language, and the language switch is CSRF-checked and redirects only to this site.

The completeness check extracts the strings itself (Babel, with the project's babel.cfg),
so a new string without a Bangla translation fails here. The console runs in this process
(``make_console``) and is used over real HTTP.
"""

import json
import re
from html.parser import HTMLParser

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from handoff import agents, queue
from handoff.console import i18n, render, roles
from handoff.console.app import create_app
from tests.handoff.helpers import PASSWORD, make_lock
from tests.servers import ROOT

JSON = {"Accept": "application/json"}
BN_CATALOG = i18n.LOCALE_DIR / "bn" / "LC_MESSAGES" / "console.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog():
    with BN_CATALOG.open("rb") as po:
        return read_po(po, locale="bn")


def _extracted() -> set:
    with (i18n.HERE / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=i18n.KEYWORDS,
        directory_filter=lambda path: not any(
            part in ("node_modules", ".venv", "models", "var") or part.startswith(".")
            for part in path.split("/")[-1:]
        ),
    ):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


def _strings(msgid) -> list:
    return list(msgid) if isinstance(msgid, tuple) else [msgid]


# --- the catalog ---------------------------------------------------------------------------


def test_every_console_string_has_a_bangla_translation():
    extracted = _extracted()
    assert len(extracted) > 150  # templates, Python and console.js were all read
    assert "Take the next customer" in extracted  # a template
    assert "Wrong username or password." in extracted  # auth.py
    assert "Connection lost; retrying…" in extracted  # console.js
    assert ("%(num)s second", "%(num)s seconds") in extracted  # a plural
    catalog = _catalog()
    missing = []
    for msgid in sorted(extracted, key=str):
        message = catalog.get(msgid if isinstance(msgid, str) else msgid[0])
        strings = message and (_strings(message.string) if message.string else [])
        if not message or message.fuzzy or not strings or not all(s.strip() for s in strings):
            missing.append(msgid)
    assert not missing, f"no Bangla yet (make console-messages, then console.po): {missing}"


def test_translations_keep_the_placeholders_and_are_bangla():
    for message in _catalog():
        if not message.id:
            continue
        english = " ".join(_strings(message.id))
        bangla = " ".join(_strings(message.string))
        assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(bangla)), message.id
        assert re.search("[\u0980-\u09ff]", bangla), f"not Bangla: {message.id!r} → {bangla!r}"


def test_menu_role_and_reason_labels_are_in_the_catalog(handoff_url, db_url):
    """A page whose ``nav=`` label was not marked with N_() is caught here."""
    catalog = _catalog()
    app = create_app(url=handoff_url, shop_url=db_url, background=False)
    labels = [item.label for item in app[render.NAV]]
    labels += list(roles.ROLE_LABELS.values()) + list(roles.ROLE_PEOPLE.values())
    labels += list(render.REASON_LABELS.values()) + list(render.STATE_LABELS.values())
    for label in labels:
        assert catalog.get(label) and catalog.get(label).string, label


def test_console_js_gets_exactly_its_strings():
    msgids = i18n.js_msgids()
    assert "Hand this conversation back to the bot?" in msgids
    bn = i18n.js_messages("bn")
    assert set(bn) == set(msgids) and all(bn[m] != m for m in msgids)
    assert i18n.js_messages("en") == {}


# --- pages in Bangla -------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text nodes and attribute values people read (no scripts, no code)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "code", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in ("script", "code", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def _texts(html: str) -> set:
    parser = _Text()
    parser.feed(html)
    return set(parser.texts)


@pytest.fixture
def people(handoff_url, two_agents):
    agents.create_agent("mita", "মিতা", PASSWORD, role="content", url=handoff_url)
    agents.create_agent("boss", "Shop owner", PASSWORD, role="owner", url=handoff_url)


def _in(client, language: str):
    client.http.cookies.set(i18n.COOKIE, language)
    return client


def test_pages_in_bangla_show_no_english_of_the_translated_strings(make_console, people, db_url):
    waiting = queue.enqueue("tg:42", "telegram", "bn", "verification_locked", "হ্যালো").ticket_id
    make_lock(db_url, "tg:42")
    console = make_console()
    pages = {
        "rina": ["/", f"/tickets/{waiting}", "/locks", "/home", "/accounts"],
        "boss": ["/accounts", "/"],
        "mita": ["/home"],
    }
    msgids = {m.id for m in _catalog() if isinstance(m.id, str) and m.id}
    checked = 0
    for username, paths in pages.items():
        english, bangla = console.login(username), _in(console.login(username), "bn")
        for path in paths:
            en_page, bn_page = english.get(path), bangla.get(path)
            assert en_page.status_code == bn_page.status_code, path
            shown_in_english = _texts(en_page.text) & msgids
            assert shown_in_english, path  # the page has translated strings at all
            left = _texts(bn_page.text) & shown_in_english
            assert not left, f"{username} {path} still in English: {left}"
            assert '<html lang="bn">' in bn_page.text and '<html lang="en">' in en_page.text
            checked += len(shown_in_english)
    assert checked > 60
    queue_page = _in(console.login("rina"), "bn").get("/").text
    for bangla in ("পরের কাস্টমারকে নিন", "অপেক্ষায়", "বারবার ভুল যাচাইয়ে অর্ডার লক হয়েছে", "লগ আউট", "অনলাইন"):
        assert bangla in queue_page
    labels = json.loads(re.search(r'id="labels">(.*?)</script>', queue_page).group(1))
    assert labels["reasons"]["complaint"] == "অভিযোগ"
    strings = json.loads(re.search(r'id="i18n">(.*?)</script>', queue_page).group(1))
    assert strings["Connection lost; retrying…"] == "সংযোগ বিচ্ছিন্ন; আবার চেষ্টা করছে…"


def test_the_login_page_and_its_errors_in_bangla(make_console, people):
    console = make_console()
    client = _in(console.client(), "bn")
    page = client.get("/login").text
    assert '<html lang="bn">' in page and "এজেন্ট লগ ইন" in page and "Agent login" not in page
    answer = client.login("rina", "wrong password")
    assert answer.status_code == 401 and "ইউজারনেম বা পাসওয়ার্ড ভুল।" in answer.text
    assert "Wrong username" not in answer.text


def test_console_language_sets_the_default_and_a_cookie_overrides_it(
    make_console, people, monkeypatch
):
    monkeypatch.setenv("CONSOLE_LANGUAGE", "bn")
    console = make_console()
    assert "এজেন্ট লগ ইন" in console.client().get("/login").text
    assert "Agent login" in _in(console.client(), "en").get("/login").text
    junk = _in(console.client(), "<script>alert(1)</script>").get("/login").text
    assert '<html lang="bn">' in junk and "alert(1)" not in junk  # unknown value: the default
    monkeypatch.setenv("CONSOLE_LANGUAGE", "fr")
    assert i18n.default_language() == "en"


# --- JSON answers in the chosen language ---------------------------------------------------------


def test_json_answers_come_in_the_chosen_language(make_console, people, db_url):
    ticket_id = queue.enqueue("c-1", "telegram", "bn", "customer_request", "হ্যালো").ticket_id
    console = make_console()
    karim = console.login("karim")
    assert karim.post(f"/tickets/{ticket_id}/claim").status_code == 303
    rina = _in(console.login("rina"), "bn")
    taken = rina.post(f"/tickets/{ticket_id}/claim", json_api=True)
    assert taken.status_code == 409
    assert taken.json()["message"] == "আগেই নেওয়া হয়েছে: চ্যাটটি Karim দেখছেন।"
    english = console.login("rina").post(f"/tickets/{ticket_id}/claim", json_api=True).json()
    assert english["message"] == "Already taken: Karim is handling this conversation."
    assert rina.get(f"/api/tickets/{ticket_id}", headers=JSON).json()["refusal"] == (
        "আগেই নেওয়া হয়েছে: চ্যাটটি Karim দেখছেন।"
    )
    nobody = rina.post("/claim-next", json_api=True)
    assert nobody.status_code == 409 and nobody.json()["message"] == "কেউ অপেক্ষায় নেই।"
    lift = rina.post("/locks/lift", {"order_number": "10456"}, json_api=True).json()
    assert lift["message"] == (
        "অর্ডার 10456 আর লক করা ছিল না (এর মধ্যে কেউ খুলে দিয়েছেন বা মেয়াদ শেষ হয়েছে)।"
    )
    refused = _in(console.login("mita"), "bn").get("/api/queue", headers=JSON).json()
    assert refused["message"] == (
        "অনুমতি নেই: এই পাতা ব্যবহার করতে পারেন এজেন্টরা ও মালিক, আর আপনার অ্যাকাউন্টের ভূমিকা কনটেন্ট।"
    )
    anonymous = _in(console.client(), "bn").get("/api/queue", headers=JSON)
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "আগে লগ ইন করুন।"


# --- the switch ------------------------------------------------------------------------------


def _lang_cookie(response):
    return [
        c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith(i18n.COOKIE + "=")
    ]


def test_the_switch_sets_a_year_long_lax_cookie_and_goes_back(make_console, people):
    console = make_console()
    rina = console.login("rina")
    assert 'action="/language"' in rina.get("/").text
    switched = rina.post("/language", {"lang": "bn", "back": "/locks?done=lifted&order=1"})
    assert switched.status_code == 303
    assert switched.headers["Location"] == "/locks?done=lifted&order=1"
    (cookie,) = _lang_cookie(switched)
    assert cookie.startswith("seba_console_lang=bn;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert '<html lang="bn">' in rina.get("/locks").text
    back = rina.post("/language", {"lang": "en", "back": "/"})
    assert back.headers["Location"] == "/" and '<html lang="en">' in rina.get("/").text


@pytest.mark.parametrize(
    "back",
    [
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
        "",
    ],
)
def test_the_switch_redirects_only_to_this_site(make_console, people, back):
    console = make_console()
    rina = console.login("rina")
    switched = rina.post("/language", {"lang": "bn", "back": back})
    assert switched.status_code == 303
    assert switched.headers["Location"] == "/"  # rina's home, not the stranger's address
    assert _lang_cookie(switched)
    anonymous = console.client()
    token = anonymous.csrf_in(anonymous.get("/login").text)
    at_login = anonymous.post("/login/language", {"lang": "bn", "back": back, "csrf_token": token})
    assert at_login.status_code == 303 and at_login.headers["Location"] == "/login"


def test_the_switch_without_its_csrf_token_is_refused(make_console, people):
    console = make_console()
    rina = console.login("rina")
    for data in ({"lang": "bn", "back": "/"}, {"lang": "bn", "csrf_token": "forged"}):
        refused = rina.post("/language", data, csrf=False)
        assert refused.status_code == 403 and not _lang_cookie(refused)
    assert '<html lang="en">' in rina.get("/").text

    anonymous = console.client()
    page = anonymous.get("/login").text
    assert 'action="/login/language"' in page
    for data in ({"lang": "bn"}, {"lang": "bn", "csrf_token": "forged"}):
        refused = anonymous.post("/login/language", data)
        assert refused.status_code == 403 and not _lang_cookie(refused)
    token = anonymous.csrf_in(page)
    ok = anonymous.post("/login/language", {"lang": "bn", "back": "/login", "csrf_token": token})
    assert ok.status_code == 303 and _lang_cookie(ok)
    assert "এজেন্ট লগ ইন" in anonymous.get("/login").text


def test_an_unknown_language_gets_a_polite_answer_and_changes_nothing(make_console, people):
    console = make_console()
    rina = _in(console.login("rina"), "bn")
    for lang in ("fr", "", "bn; Path=/evil", "<b>en</b>"):
        answer = rina.post("/language", {"lang": lang, "back": "/"})
        assert answer.status_code == 400 and not _lang_cookie(answer)
        assert "English অথবা বাংলা" in answer.text
    assert '<html lang="bn">' in rina.get("/").text


@pytest.mark.parametrize("language", ["en", "bn"])
def test_text_from_data_through_gettext_is_escaped(language):
    """Jinja marks gettext's answer as safe HTML; a value that is not one of the catalog's
    msgids (stored or typed text given to ``_()``) must still come out escaped."""
    env = render.jinja_env()
    page = env.from_string("{{ _(value) }}|{{ _('Waiting') }}").render(
        value="<script>alert(1)</script>", ui_lang=language
    )
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.endswith(
        "|" + ("Waiting" if language == "en" else i18n.gettext_for("bn", "Waiting"))
    )

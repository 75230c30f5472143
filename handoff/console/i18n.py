"""The console's languages: English (the msgids) and Bangla (``locale/bn/LC_MESSAGES/console.po``).

Standard gettext: templates use ``{{ _("...") }}`` / ``{% trans %}`` (jinja2.ext.i18n,
newstyle), Python marks strings with ``N_()`` where they are defined and translates them
where they are shown (``translate(request, msg, **vars)``), console.js calls ``T("...")``
on a JSON dictionary of its own strings (``js_messages``). Placeholders are ``%(name)s``
everywhere. The .po file is read with Babel at start-up (no compiled .mo in git); new
strings: ``make console-messages``, then translate them in the .po (docs/handoff.md).

The language of a request: the ``seba_console_lang`` cookie (set by the switch in the top
bar and on the login page), else ``CONSOLE_LANGUAGE`` (bn|en, default en).
"""

import functools
import gettext
import io
import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import markupsafe
from aiohttp import web
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
DOMAIN = "console"
LANGUAGES = ("en", "bn")
LANGUAGE_NAMES = {"en": "English", "bn": "বাংলা"}  # each in its own script, for the switch
COOKIE = "seba_console_lang"
COOKIE_DAYS = 365
#: gettext keywords: Babel's (``_``, ``N_``, ``ngettext`` …) and console.js's ``T``.
KEYWORDS = {**DEFAULT_KEYWORDS, "T": None, "translate_n": (2, 3)}
JS_FILE = HERE / "static" / "console.js"
UI_LANGUAGE = web.AppKey("ui_language", str)  # the console's default (create_app)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; translated where it is shown."""
    return message


def default_language() -> str:
    value = (os.environ.get("CONSOLE_LANGUAGE") or "en").strip().lower()
    return value if value in LANGUAGES else "en"


@functools.lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language`` (English: the msgids themselves)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # in memory: fuzzy entries are left out, like msgfmt does
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def language_of(request: Any) -> str:
    """The request's console language: its cookie, else the console's default."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    default = request.app.get(UI_LANGUAGE)
    return default if default in LANGUAGES else default_language()


@functools.lru_cache(maxsize=None)
def known_msgids() -> frozenset:
    """Every msgid of the catalog (singular forms), whatever the language shown."""
    path = LOCALE_DIR / "bn" / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return frozenset()
    with path.open("rb") as po:
        catalog = read_po(po, locale="bn", domain=DOMAIN)
    return frozenset(m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id)


def gettext_for(language: str, message: str, **variables: Any) -> str:
    text = translations(language).gettext(message)
    return text % variables if variables else text


def ngettext_for(language: str, singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def translate(request: Any, message: str, **variables: Any) -> str:
    """``message`` (an English msgid, ``%(name)s`` placeholders) in the request's language."""
    return gettext_for(language_of(request), message, **variables)


def translate_n(request: Any, singular: str, plural: str, n: int, **variables: Any) -> str:
    """The plural form for ``n`` (``%(num)s`` is ``n``)."""
    return ngettext_for(language_of(request), singular, plural, n, **variables)


def translated(request: Any, labels: Mapping[str, str]) -> Dict[str, str]:
    """A label table (values marked with ``N_``) in the request's language."""
    return {key: translate(request, value) for key, value in labels.items()}


@functools.lru_cache(maxsize=None)
def js_msgids(script: Path = JS_FILE) -> tuple:
    """The strings a script (console.js, or a page's own, e.g. retrain.js) passes to ``T()``
    (extracted from the file, so the page's dictionary always has exactly them)."""
    found = extract_from_file("javascript", str(script), keywords={"T": None})
    return tuple(sorted({message for _line, message, _comments, _ctx in found}))


def js_messages(language: str, script: Path = JS_FILE) -> Dict[str, str]:
    """A script's dictionary for ``language`` (English: none needed)."""
    if language == "en":
        return {}
    return {msgid: gettext_for(language, msgid) for msgid in js_msgids(script)}


def install(env: Any) -> None:
    """gettext callables for jinja2 that read the language of each render (``ui_lang``)."""
    import jinja2

    # Jinja marks what gettext returns as safe HTML (translations may hold markup). A msgid
    # the catalog does not know may have come from data (``_(some_value)``): it is escaped,
    # so no stored or typed text can ever reach a page as markup through ``_()``.
    known = known_msgids()

    @jinja2.pass_context
    def _gettext(context: Any, message: str) -> str:
        if message not in known:
            return markupsafe.escape(message)
        return translations(context.get("ui_lang") or "en").gettext(message)

    @jinja2.pass_context
    def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
        if singular not in known:
            return markupsafe.escape(singular if n == 1 else plural)
        return translations(context.get("ui_lang") or "en").ngettext(singular, plural, n)

    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)


def local_path(back: Optional[str], fallback: str) -> str:
    """``back`` if it is a path on this site, else ``fallback`` (no open redirect: no
    scheme or host, no ``//host`` or ``/\\host`` that browsers read as another site)."""
    from urllib.parse import urlsplit

    if not back or len(back) > 2000 or not back.startswith("/") or back.startswith("//"):
        return fallback
    if "\\" in back or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in back):
        return fallback
    parts = urlsplit(back)
    if parts.scheme or parts.netloc:
        return fallback
    return back


def untranslated(language: str = "bn") -> list:
    """msgids of the catalog with no (or only a fuzzy) translation."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    return [
        m.id
        for m in catalog
        if m.id
        and (m.fuzzy or not all(m.string if isinstance(m.string, (list, tuple)) else [m.string]))
    ]


if __name__ == "__main__":  # python -m handoff.console.i18n untranslated
    missing = untranslated()
    for msgid in missing:
        print(f"  {msgid!r}")
    print(f"{len(missing)} untranslated" if missing else "  none")

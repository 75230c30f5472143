"""Rendering pages: the jinja2 environment, the labels shown for stored codes, and what
every page's frame (base.html) needs: the account, its role and its menu."""

import datetime as dt
import re
from pathlib import Path
from typing import Any, Dict, Optional

import jinja2
from aiohttp import web

from handoff.console import i18n, roles
from handoff.console.helpers import JINJA, NAV
from handoff.console.i18n import N_, translate, translated
from handoff.db import to_epoch
from seba.text import mask_phone

HERE = Path(__file__).resolve().parent

CHANNEL_LABELS = {
    "telegram": "Telegram",
    "facebook": "Messenger",
    "socketio": N_("Web chat"),
    "rest": "REST",
    "cmdline": N_("Shell"),
}
LANGUAGE_LABELS = {"bn": "বাংলা", "en": "English"}
REASON_LABELS = {
    "customer_request": N_("Asked for a person"),
    "low_confidence": N_("Bot did not understand"),
    "repeated_failure": N_("Bot failed repeatedly"),
    "complaint": N_("Complaint"),
    "verification_failed": N_("Order check failed"),
    "verification_locked": N_("Order locked after failed checks"),
}
STATE_LABELS = {
    "waiting": N_("waiting"),
    "assigned": N_("with an agent"),
    "resolved": N_("resolved"),
    "abandoned": N_("abandoned"),
}
MONTHS = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)
#: An account's presence (accounts page).
STATUS_LABELS = {"online": N_("online"), "away": N_("away")}


def labels(request: web.Request) -> Dict[str, Dict[str, str]]:
    """The label tables in the request's language (pages and their scripts)."""
    return {
        "channels": translated(request, CHANNEL_LABELS),
        "languages": LANGUAGE_LABELS,
        "reasons": translated(request, REASON_LABELS),
        "states": translated(request, STATE_LABELS),
    }


_LONG_DIGITS = re.compile(r"\d{7,}")


def masked(text: Optional[str]) -> str:
    """``text`` with every phone-length run of digits masked (a conversation id may be the
    customer's phone number on some channels)."""
    return _LONG_DIGITS.sub(lambda m: mask_phone(m.group(0)), text or "")


def jinja_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(env)  # _() / {% trans %} in the language of each render (ui_lang)

    def hhmm(moment: Optional[dt.datetime]) -> str:
        return moment.strftime("%H:%M") if moment else ""

    @jinja2.pass_context
    def day(context: Any, moment: Optional[dt.datetime]) -> str:
        """``05 Jan`` with the month in the page's language (strftime's is the C locale's)."""
        if not moment:
            return ""
        month = i18n.gettext_for(context.get("ui_lang") or "en", MONTHS[moment.month - 1])
        return f"{moment.day:02d} {month}"

    @jinja2.pass_context
    def day_time(context: Any, moment: Optional[dt.datetime]) -> str:
        return f"{day(context, moment)} {moment:%H:%M}" if moment else ""

    def epoch(moment: Optional[dt.datetime]) -> str:
        value = to_epoch(moment)
        return "" if value is None else f"{value:.0f}"

    env.filters.update(hhmm=hhmm, day=day, day_time=day_time, epoch=epoch, masked=masked)
    env.globals["state_labels"] = STATE_LABELS  # msgids: templates show _(state_labels[s])
    # Cache busting: browsers fetch console.css/js again after an update.
    env.globals["static_version"] = str(
        int(max(p.stat().st_mtime for p in (HERE / "static").iterdir() if p.is_file()))
    )
    return env


def frame(request: web.Request) -> Dict[str, Any]:
    """What base.html needs: the account, its role, its menu, where "home" is, the
    language (``ui_lang``, the switch and console.js's strings)."""
    me = request.get("agent")
    nav = request.app[NAV]
    language = i18n.language_of(request)
    common = {
        "path": request.path,
        "back": request.path_qs,
        "ui_lang": language,
        "languages": i18n.LANGUAGE_NAMES,
        "js_messages": i18n.js_messages(language),
    }
    if me is None:
        return {
            "me": None,
            "nav": [],
            "home": "/login",
            "role_label": None,
            "takes_chats": False,
            **common,
        }
    return {
        "me": me,
        "nav": roles.nav_for(nav, me.role),
        "home": roles.home_for(nav, me.role),
        "role_label": translate(request, roles.ROLE_LABELS.get(me.role, me.role)),
        "takes_chats": me.role in roles.SUPPORT,
        **common,
    }


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    env: jinja2.Environment = request.app[JINJA]
    for key, value in frame(request).items():
        context.setdefault(key, value)
    context.setdefault("csrf_token", request.get("csrf"))
    html = env.get_template(template).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")

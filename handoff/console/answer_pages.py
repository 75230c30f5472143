"""The content staff's answers pages: the bot's answers in Bangla and English, editing one
with a preview as the customer sees it (``seba.content.answers``), and the conversation
paths (rules and stories) as readable steps (``seba.content.paths``).

A saved answer is a change like a labelled message (``seba.content.changes``: who, when,
a git commit where there is one), listed and undone under the review page's "Recent
changes". Previews are POSTs too (they carry typed text), so they are CSRF-checked; no
script runs on these pages.
"""

import logging
from typing import Any, Dict, Optional
from urllib.parse import quote

from aiohttp import web

from handoff.console.helpers import DB_URL, form, in_thread, now
from handoff.console.i18n import N_, translate
from handoff.console.render import render
from handoff.console.review_pages import content_root, refusal
from handoff.console.roles import CONTENT_STAFF, Route
from seba.content import answers as answers_mod
from seba.content import changes, faqs, paths
from seba.content.files import ContentError, edit_lock

logger = logging.getLogger(__name__)


def _preview(text: str, language: str) -> str:
    try:
        return answers_mod.preview(text, language)
    except Exception:  # noqa: BLE001 - unreadable shop.yml: show the text as written
        logger.exception("answer preview")
        return text


def _values(language: str) -> Dict[str, str]:
    from seba.settings import load_settings

    return load_settings().template_vars(language)


async def answers_page(request: web.Request) -> web.StreamResponse:
    found = await in_thread(answers_mod.answers, content_root())
    return render(request, "answers.html", answers=found)


async def _edit_page(
    request: web.Request,
    name: str,
    status: int = 200,
    typed: Optional[Dict[str, str]] = None,
    error: Optional[str] = None,
    notice: Optional[str] = None,
) -> web.Response:
    try:
        answer = await in_thread(answers_mod.get_answer, content_root(), name)
    except ContentError as exc:
        return render(
            request,
            "answer_edit.html",
            status=404,
            answer=None,
            error=refusal(request, exc),
            notice=None,
            texts={},
            previews={},
            values={},
        )
    texts = typed or {
        "bn": answer.bn.text if answer.bn else "",
        "en": answer.en.text if answer.en else "",
    }
    previews = {lang: _preview(texts[lang], lang) for lang in ("bn", "en")}
    values = {lang: _values(lang) for lang in ("bn", "en")}
    return render(
        request,
        "answer_edit.html",
        status=status,
        answer=answer,
        texts=texts,
        previews=previews,
        values=values,
        error=error,
        notice=notice,
    )


async def edit_page(request: web.Request) -> web.StreamResponse:
    notice = (
        translate(request, N_("Saved. Customers see it after the next retrain."))
        if (request.query.get("done") == "saved")
        else None
    )
    return await _edit_page(request, request.query.get("name", ""), notice=notice)


async def save_answer(request: web.Request) -> web.StreamResponse:
    me, fields = request["agent"], form(request)
    name = fields.get("name", "")
    typed = {"bn": fields.get("bn", ""), "en": fields.get("en", "")}
    root, url, moment = content_root(), request.app[DB_URL], now(request)
    if fields.get("action") == "preview":
        return await _edit_page(request, name, typed=typed)

    def save():
        with edit_lock(root):
            return changes.make(
                root,
                me,
                "answer",
                f"Edited the answer {name}",
                [lambda: answers_mod.set_answer(root, name, typed["bn"], typed["en"])],
                now=moment,
                url=url,
            )

    try:
        change = await in_thread(save)
    except ContentError as exc:
        return await _edit_page(request, name, status=400, typed=typed, error=refusal(request, exc))
    logger.info("%s edited %s (change %s)", me.username, name, change.id)
    raise web.HTTPSeeOther(f"/content/answers/edit?name={quote(name, safe='')}&done=saved")


FAQ_FIELDS = ("key", "bn_examples", "en_examples", "banglish_examples", "bn", "en")


def _faq_page(
    request: web.Request,
    status: int = 200,
    typed: Optional[Dict[str, str]] = None,
    error: Optional[str] = None,
) -> web.Response:
    typed = typed or {name: "" for name in FAQ_FIELDS}
    previews = {lang: _preview(typed[lang], lang) for lang in ("bn", "en") if typed[lang]}
    return render(
        request,
        "faq_new.html",
        status=status,
        typed=typed,
        previews=previews,
        minimum=faqs.MINIMUM_EXAMPLES,
        values={lang: _values(lang) for lang in ("bn", "en")},
        error=error,
    )


async def new_faq_page(request: web.Request) -> web.StreamResponse:
    return _faq_page(request)


async def add_faq(request: web.Request) -> web.StreamResponse:
    me, fields = request["agent"], form(request)
    typed = {name: fields.get(name, "") for name in FAQ_FIELDS}
    if fields.get("action") == "preview":
        return _faq_page(request, typed=typed)
    root, url, moment = content_root(), request.app[DB_URL], now(request)

    def save():
        with edit_lock(root):
            key, steps = faqs.faq_steps(
                root,
                typed["key"],
                {
                    "bn": typed["bn_examples"],
                    "en": typed["en_examples"],
                    "banglish": typed["banglish_examples"],
                },
                typed["bn"],
                typed["en"],
            )
            return key, changes.make(
                root, me, "faq", f"Added the FAQ {key}", steps, now=moment, url=url
            )

    try:
        key, change = await in_thread(save)
    except ContentError as exc:
        return _faq_page(request, status=400, typed=typed, error=refusal(request, exc))
    logger.info("%s added the FAQ %s (change %s)", me.username, key, change.id)
    raise web.HTTPSeeOther(f"/content/answers/edit?name=utter_faq/{key}&done=saved")


def _step_view(request: web.Request, step: paths.Step) -> Dict[str, Any]:
    """A path's step in the page's language (plain text: the template escapes it once)."""
    text = translate(request, step.msgid, **dict(step.values)) if step.msgid else step.text
    detail = [translate(request, d) for d in step.detail] if step.detail_is_msgid else step.detail
    return {"kind": step.kind, "text": text, "detail": detail}


async def paths_page(request: web.Request) -> web.StreamResponse:
    found: Any = await in_thread(paths.conversation_paths, content_root())
    shown = [
        {"kind": p.kind, "name": p.name, "steps": [_step_view(request, s) for s in p.steps]}
        for p in found
    ]
    return render(request, "paths.html", paths=shown)


ROUTES = [
    Route("GET", "/content/answers", answers_page, CONTENT_STAFF, nav=N_("Answers")),
    Route("GET", "/content/answers/edit", edit_page, CONTENT_STAFF),
    Route("POST", "/content/answers/edit", save_answer, CONTENT_STAFF),
    Route("GET", "/content/faqs/new", new_faq_page, CONTENT_STAFF),
    Route("POST", "/content/faqs/new", add_faq, CONTENT_STAFF),
    Route("GET", "/content/paths", paths_page, CONTENT_STAFF, nav=N_("Paths")),
]

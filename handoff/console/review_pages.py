"""The content staff's review page: what the bot did not understand or was unsure of,
labelling a message as an intent or FAQ (it becomes a training example), ignoring it, and
undoing a change.

The queue is built by ``seba.content.review_queue`` from Rasa's tracker store and the
handoff tickets; labels are written by ``seba.content.labelling`` and recorded by
``seba.content.changes`` (a git commit with the staff member as author where the project
is a git repository). The forms send only the event id of the message and the label: the
text is read again from the tracker store, and a label must be one the training files
already have, so nothing the browser sends names a file.

Where things are (environment, read on each request so tests can point elsewhere):
``SEBA_CONTENT_ROOT`` the Rasa project whose data/ is edited (default: this project);
``SEBA_TRACKER_URL`` / ``SEBA_ENDPOINTS`` Rasa's tracker store (``seba.tracker_db``).
"""

import datetime as dt
import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, Optional

from aiohttp import web

from handoff.console.helpers import DB_URL, form, in_thread, now
from handoff.console.i18n import N_, translate
from handoff.console.render import REASON_LABELS, render
from handoff.console.roles import CONTENT_STAFF, Route
from seba import PROJECT_ROOT
from seba.content import changes, labelling
from seba.content import review_queue as rq
from seba.content import training_files as tf
from seba.content.decisions import AlreadyDecided
from seba.content.files import ContentError
from seba.text import mask_phones
from seba.tracker_db import TrackerStoreUnsupported, tracker_engine

logger = logging.getLogger(__name__)

CONTENT_ROOT_ENV = "SEBA_CONTENT_ROOT"
RETRAIN_PAGE = "/content/retrain"  # the models engineer's page (retrain, gate, hot-swap)
SHOWN = 50  # items on the page; the rest wait for the next visit
NOTICES = {
    "labelled": N_(
        "Saved: the message is now an example of %(label)s. It counts after the next retrain."
    ),
    "ignored": N_("Ignored: the message and the ones written like it are out of the queue."),
    "undone": N_("Undone: the change was taken back, and the message is in the queue again."),
}
ALREADY = {  # seba.content.decisions.AlreadyDecided, in the page's language
    "labelled": N_(
        "%(who)s labelled it %(label)s at %(time)s (%(day)s), just before you: "
        "nothing more to do for this message."
    ),
    "ignored": N_(
        "%(who)s ignored it at %(time)s (%(day)s), just before you: nothing more to "
        "do for this message."
    ),
}
WHICH_MESSAGE = N_("Which message? Reload the page and pick it again.")


def content_root() -> Path:
    return Path(os.environ.get(CONTENT_ROOT_ENV) or PROJECT_ROOT)


def refusal(request: web.Request, exc: Exception) -> str:
    """seba.content's refusal (ContentError, ModelRefused) in the page's language: those
    marked ``N_`` there are in the catalog; the others are shown as written (English)."""
    msgid = getattr(exc, "msgid", "")
    if not msgid:
        return str(exc)
    values = {
        k: refusal(request, v) if isinstance(v, Exception) else v  # a refusal inside
        for k, v in exc.values.items()
    }  # type: ignore[attr-defined]
    return translate(request, msgid, **values)


def label_title(label: str) -> str:
    """How a label reads for staff: ``faq/delivery_time`` -> ``FAQ: delivery time``."""
    if label.startswith(tf.FAQ + "/"):
        return "FAQ: " + label.split("/", 1)[1].replace("_", " ")
    return label.replace("_", " ")


def _item_view(item: rq.ReviewItem, engine) -> Dict[str, Any]:
    return {
        "event_id": item.sample.event_id,
        "text": mask_phones(item.text),
        "example": item.example,  # phone numbers already replaced by the demo number
        "count": item.count,
        "conversations": item.conversations,
        "reasons": [rq.REASON_LABELS[r] for r in item.reasons],
        "handovers": item.handovers,
        "guesses": [
            {"label": g.label, "title": label_title(g.label), "percent": f"{g.confidence:.0%}"}
            for g in item.guesses
        ],
        "last_seen": item.last_seen,
        "chosen": item.chosen,  # seba.clarify: the customer's own choice, pre-selected
        "chosen_title": label_title(item.chosen) if item.chosen else "",
        "context": rq.context(engine, item.sample.sender_id, item.sample.event_id),
    }


def _change_view(change: changes.ChangeView) -> Dict[str, Any]:
    return {
        "id": change.id,
        "when": change.created_at,
        "author": change.author,
        "kind": change.kind,
        "summary": mask_phones(change.summary),
        "commit": (change.commit or "")[:10],
        "commit_note": change.commit_note,
        "revertable": change.revertable,
        "undone": change.reverted_by_id is not None,
    }


def _load(root: Path, moment: dt.datetime, url: str) -> Dict[str, Any]:
    """Everything the page shows (blocking: runs in a worker thread)."""
    line, days = rq.review_settings()
    engine = tracker_engine()
    queue = rq.build(root, engine, moment - dt.timedelta(days=days), line, url=url)
    options = tf.labels(root)
    return {
        "items": [_item_view(item, engine) for item in queue.items[:SHOWN]],
        "total": len(queue.items),
        "kept_out": queue.kept_out.most_common(),
        "days": days,
        "confidence_line": f"{line:.0%}",
        "intents": [(o, label_title(o)) for o in options if not o.startswith(tf.FAQ + "/")],
        "faqs": [(o, label_title(o)) for o in options if o.startswith(tf.FAQ + "/")],
        "changes": [_change_view(c) for c in changes.list_changes(limit=20, url=url)],
        "labels_reasons": REASON_LABELS,
    }


async def _page(
    request: web.Request,
    status: int = 200,
    error: Optional[str] = None,
    notice: Optional[str] = None,
    typed: Optional[Dict[str, Any]] = None,
) -> web.Response:
    """The page; ``typed``: what was sent for one message ({"event_id", "text", "label"}),
    shown again in its form when it was refused, so nothing typed is lost."""
    try:
        data = await in_thread(_load, content_root(), now(request), request.app[DB_URL])
    except TrackerStoreUnsupported as exc:
        logger.warning("review page: %s", exc)
        return render(
            request,
            "review.html",
            status=503,
            items=[],
            total=0,
            kept_out=[],
            changes=[],
            intents=[],
            faqs=[],
            days=0,
            confidence_line="",
            labels_reasons=REASON_LABELS,
            retrain=RETRAIN_PAGE,
            notice=None,
            typed={},
            error=translate(
                request,
                N_(
                    "The conversations store cannot be read (its type is not SQL), so "
                    "there is nothing to review. Ask the administrator."
                ),
            ),
        )
    return render(
        request,
        "review.html",
        status=status,
        error=error,
        notice=notice,
        retrain=RETRAIN_PAGE,
        typed=typed or {},
        **data,
    )


async def review_page(request: web.Request) -> web.StreamResponse:
    done = request.query.get("done", "")
    label = request.query.get("label", "")
    template = NOTICES.get(done)
    notice = None
    if template:
        shown = (
            label_title(label)
            if re.fullmatch(r"[a-z0-9_]+(/[a-z0-9_]+)?", label)
            else translate(request, N_("it"))
        )
        notice = translate(request, template, label=shown)
    return await _page(request, notice=notice)


def _event_id(fields: Dict[str, str]) -> Optional[int]:
    value = (fields.get("event_id") or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def _already(request: web.Request, exc: AlreadyDecided) -> str:
    d = exc.decision
    template = ALREADY["labelled" if d.decision == "labelled" else "ignored"]
    return translate(
        request,
        template,
        who=d.author,
        label=d.label,
        time=f"{d.created_at:%H:%M}",
        day=f"{d.created_at:%d %b}",
    )


async def _act(
    request: web.Request, action, done: str, label: str = "", typed: Optional[Dict[str, Any]] = None
) -> web.StreamResponse:
    """Run a change; redirect to the page with a notice, or show the page with why not."""
    try:
        await in_thread(action)
    except AlreadyDecided as exc:
        return await _page(request, status=409, error=_already(request, exc))
    except ContentError as exc:
        return await _page(request, status=400, error=refusal(request, exc), typed=typed)
    query = f"done={done}" + (f"&label={label}" if label else "")
    raise web.HTTPSeeOther(
        f"/content/review?{query}#changes" if done == "undone" else f"/content/review?{query}"
    )


async def label_message(request: web.Request) -> web.StreamResponse:
    me, fields = request["agent"], form(request)
    event_id, label = _event_id(fields), (fields.get("label") or "").strip()
    if event_id is None:
        return await _page(request, status=400, error=translate(request, WHICH_MESSAGE))
    if not label:
        return await _page(
            request,
            status=400,
            error=translate(
                request, N_("Pick the intent or FAQ the message means (or press Ignore).")
            ),
        )
    text = fields.get("text")
    root, engine, url, moment = content_root(), tracker_engine(), request.app[DB_URL], now(request)

    def action():
        change = labelling.label(
            root,
            engine,
            me,
            event_id,
            label,
            text=text if text and text.strip() else None,
            now=moment,
            url=url,
        )
        logger.info(
            "%s labelled event %s as %s (change %s)", me.username, event_id, label, change.id
        )

    return await _act(
        request,
        action,
        "labelled",
        label,
        typed={"event_id": event_id, "text": text, "label": label},
    )


async def ignore_message(request: web.Request) -> web.StreamResponse:
    me, fields = request["agent"], form(request)
    event_id = _event_id(fields)
    if event_id is None:
        return await _page(request, status=400, error=translate(request, WHICH_MESSAGE))
    root, engine, url, moment = content_root(), tracker_engine(), request.app[DB_URL], now(request)
    return await _act(
        request,
        lambda: labelling.ignore(root, engine, me, event_id, now=moment, url=url),
        "ignored",
    )


async def undo_change(request: web.Request) -> web.StreamResponse:
    me, fields = request["agent"], form(request)
    value = (fields.get("change_id") or "").strip()
    if not (value.isdigit() and len(value) < 19):
        return await _page(
            request, status=400, error=translate(request, N_("Which change? Reload the page."))
        )
    root, url, moment = content_root(), request.app[DB_URL], now(request)
    return await _act(
        request, lambda: changes.revert(root, me, int(value), now=moment, url=url), "undone"
    )


ROUTES = [
    Route("GET", "/content/review", review_page, CONTENT_STAFF, nav=N_("Review")),
    Route("POST", "/content/review/label", label_message, CONTENT_STAFF),
    Route("POST", "/content/review/ignore", ignore_message, CONTENT_STAFF),
    Route("POST", "/content/changes/undo", undo_change, CONTENT_STAFF),
]

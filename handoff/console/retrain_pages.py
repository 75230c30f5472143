"""Retrain (content staff and the owner): train a new model from the project's data behind
the gate, watch its progress, see why a candidate was refused, put a model live or go back
to the previous one, and chat with a candidate before it goes live ("try it").

The work is done by ``seba.content`` (jobs in their own process, the model store, the
gate) and ``seba.content.tryit``; this module only shows it and passes the staff's clicks
on, with the account's name. Every POST is CSRF-checked by ``auth.guarded``.
"""

import asyncio
import logging
import re
from typing import Any, Dict, Optional

from aiohttp import web

from handoff.console import i18n
from handoff.console.helpers import RASA, form, in_thread, json_answer, wants_json
from handoff.console.i18n import N_, language_of, translate
from handoff.console.render import render
from handoff.console.review_pages import refusal as content_refusal
from handoff.console.roles import CONTENT_STAFF, Route
from seba.content import gate
from seba.content import jobs as job_states
from seba.content.jobs import Jobs
from seba.content.locations import Paths
from seba.content.model_store import ModelRefused, ModelStore
from seba.content.retrain import promote
from seba.content.tryit import TryIt

logger = logging.getLogger(__name__)

PAGE = "/content/retrain"
PATHS = web.AppKey("retrain_paths", Paths)
TRYIT = web.AppKey("tryit", object)
NOTICES = {
    "started": N_("Retraining started. You can leave this page: it goes on without you."),
    "already": N_("A retrain is already running (started by %(by)s). Wait for it to finish."),
    "live": N_("Model %(model)s is live: the bot answers with it within a few seconds."),
}
SCRIPT = i18n.HERE / "static" / "retrain.js"  # its T() strings: the page's #retrain-i18n
_MODEL_ID = re.compile(r"[0-9a-f-]{1,40}")


_TRYITS: Dict[Paths, TryIt] = {}


def paths_of(request: web.Request) -> Paths:
    paths = request.app.get(PATHS)
    return paths if paths is not None else Paths.from_env()


def tryit_of(request: web.Request) -> TryIt:
    """The app's try-it (tests set one), else one per set of paths in this process."""
    found = request.app.get(TRYIT)
    if found is not None:
        return found
    paths = paths_of(request)
    if paths not in _TRYITS:
        _TRYITS[paths] = TryIt(paths)
    return _TRYITS[paths]


def _job_json(job: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if not job:
        return None
    keep = (
        "id",
        "state",
        "step",
        "step_label",
        "step_label_bn",
        "percent",
        "started_by",
        "started_at",
        "finished_at",
        "message",
        "message_bn",
        "problems",
        "notes",
        "go_live",
        "model_id",
    )
    return {k: job.get(k) for k in keep}


def _overview(paths: Paths) -> Dict[str, Any]:
    store, jobs = ModelStore(paths), Jobs(paths)
    recent = jobs.recent(8)
    live = store.live_entry()
    history = store.history()
    for row in history:
        row["summary"] = gate.summary(row.get("scores"))
    return {
        "live": live,
        "live_summary": gate.summary((live or {}).get("scores")),
        "previous": store.previous(),
        "history": history,
        "job": recent[0] if recent else None,
        "jobs": recent,
        "running": jobs.current() is not None,
    }


async def rasa_model(request: web.Request, live_model_id: Optional[str]) -> str:
    """Whether the Rasa worker that answers ``/status`` runs the live model (Rasa's
    ``model_id`` of each): "same", "other" or "unknown"."""
    rasa = request.app.get(RASA)
    if rasa is None or not live_model_id:
        return "unknown"
    try:
        status = await asyncio.wait_for(rasa.status(), 5)
    except Exception:  # noqa: BLE001 - Rasa down or slow: the page still opens
        return "unknown"
    running = status.get("model_id") if isinstance(status, dict) else None
    if not running:
        return "unknown"
    return "same" if running == live_model_id else "other"


async def retrain_page(request: web.Request) -> web.StreamResponse:
    data = await in_thread(_overview, paths_of(request))
    data["rasa_model"] = await rasa_model(
        request, await in_thread(ModelStore(paths_of(request)).live_model_id)
    )
    tryit = tryit_of(request)
    notice = NOTICES.get(request.query.get("done", ""), "")
    if notice:
        by = (data["job"] or {}).get("started_by") or translate(request, N_("someone"))
        notice = translate(request, notice, by=by, model=(data["live"] or {}).get("id", ""))
    return render(
        request,
        "retrain.html",
        **data,
        notice=notice,
        error=request.query.get("error", "")[:300] if request.query.get("error") else "",
        tryit=await in_thread(tryit.state),
        steps=job_states.STEPS,
        variety_names=variety_names(request),
        retrain_messages=i18n.js_messages(language_of(request), SCRIPT),
    )


def variety_names(request: web.Request) -> Dict[str, str]:
    """gate.summary's keys (English names) as the page's language shows them (gate has both)."""
    bn = language_of(request) == "bn"
    return {name: gate.VARIETIES_BN[key] if bn else name for key, name in gate.VARIETIES.items()}


async def status_api(request: web.Request) -> web.StreamResponse:
    paths = paths_of(request)
    recent = await in_thread(Jobs(paths).recent, 1)
    return web.json_response({"ok": True, "job": _job_json(recent[0] if recent else None)})


async def start(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    go_live = form(request).get("go_live") in ("1", "on", "yes", "true")
    job, new = await in_thread(Jobs(paths_of(request)).start, me.username, go_live)
    if new:
        logger.info("%s started retrain job %s", me.username, job["id"])
    if wants_json(request):
        message = (
            translate(request, NOTICES["started"])
            if new
            else translate(request, NOTICES["already"], by=job["started_by"])
        )
        return json_answer(new, message, 202 if new else 409, job=_job_json(job))
    raise web.HTTPSeeOther(f"{PAGE}?done={'started' if new else 'already'}")


def _refused(request: web.Request, message: str, status: int = 409) -> web.Response:
    if wants_json(request):
        return json_answer(False, message, status)
    return render(
        request,
        "retrain_confirm.html",
        status=status,
        error=message,
        model=None,
        live=None,
        kind=None,
    )


async def put_live(request: web.Request) -> web.StreamResponse:
    """The passed candidate of a job that was started "try it first"."""
    me = request["agent"]
    job_id = form(request).get("job_id", "")
    paths = paths_of(request)
    try:
        status = Jobs(paths).read(job_id)
    except ValueError:
        status = None
    if status is None:
        return _refused(request, translate(request, N_("There is no such retrain.")), 404)
    try:
        entry = await in_thread(promote, ModelStore(paths), status, me.username)
    except ModelRefused as refusal:
        return _refused(request, content_refusal(request, refusal))
    logger.info("%s put model %s live (job %s)", me.username, entry["id"], job_id)
    return _done(request, entry)


def _done(request: web.Request, entry: Dict[str, Any]) -> web.StreamResponse:
    if wants_json(request):
        return json_answer(
            True, translate(request, NOTICES["live"], model=entry["id"]), model=entry["id"]
        )
    raise web.HTTPSeeOther(f"{PAGE}?done=live")


async def confirm_use(request: web.Request) -> web.StreamResponse:
    """ "Use the previous model" (or an older kept one): a page that asks first."""
    store = ModelStore(paths_of(request))
    model_id = request.query.get("model", "")
    entry = await in_thread(store.get, model_id) if _MODEL_ID.fullmatch(model_id) else None
    if entry is None:
        return _refused(
            request, translate(request, N_("That model is not one of the kept models.")), 404
        )
    live = await in_thread(store.live_entry)
    previous = await in_thread(store.previous)
    kind = "rollback" if previous and previous["id"] == entry["id"] else "use"
    return render(
        request,
        "retrain_confirm.html",
        model=entry,
        live=live,
        kind=kind,
        summary=gate.summary(entry.get("scores")),
        error=None,
        variety_names=variety_names(request),
    )


async def use_model(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    fields = form(request)
    if fields.get("confirmed") != "yes":
        return _refused(
            request, translate(request, N_("Please confirm on the confirmation page.")), 400
        )
    store = ModelStore(paths_of(request))
    try:
        entry = await in_thread(store.activate, fields.get("model_id", ""), me.username, "rollback")
    except ModelRefused as refusal:
        return _refused(request, content_refusal(request, refusal))
    logger.info("%s put the kept model %s live again", me.username, entry["id"])
    return _done(request, entry)


async def try_it(request: web.Request) -> web.StreamResponse:
    """One message to the candidate model; the conversation is the account's own."""
    me = request["agent"]
    tryit = tryit_of(request)
    text = (form(request).get("text") or "").strip()
    if not text:
        return json_answer(False, translate(request, N_("Write a message first.")), 400)
    if len(text) > 1000:
        return json_answer(
            False,
            translate(request, N_("That message is too long to try (1,000 letters at most).")),
            400,
        )
    answer = await tryit.say(me.username, text, fresh=form(request).get("fresh") == "1")
    if not answer.get("ok") and isinstance(answer.get("message"), str):  # tryit's N_ messages
        answer = {**answer, "message": translate(request, answer["message"])}
    return web.json_response(answer, status=200 if answer.get("ok") else 503)


ROUTES = [
    Route("GET", PAGE, retrain_page, CONTENT_STAFF, nav=N_("Retrain")),
    Route("GET", PAGE + "/status", status_api, CONTENT_STAFF),
    Route("POST", PAGE + "/start", start, CONTENT_STAFF),
    Route("POST", PAGE + "/put-live", put_live, CONTENT_STAFF),
    Route("GET", PAGE + "/use", confirm_use, CONTENT_STAFF),
    Route("POST", PAGE + "/use", use_model, CONTENT_STAFF),
    Route("POST", PAGE + "/try", try_it, CONTENT_STAFF),
]

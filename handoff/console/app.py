"""The agent console: an aiohttp web app (``python -m handoff serve --port 5070``).

Screens: login; the queue (live over Server-Sent Events, polling as a fallback); a
conversation (transcript from Rasa's tracker, claim, reply with canned replies, hand back,
resolve, release).

Security: passwords are scrypt hashes; a login is a server-side session whose random token
sits in an HttpOnly, SameSite=Lax cookie (only its SHA-256 is stored); every POST carries
the session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``); the login
form uses a double-submit cookie; failed logins are rate limited per username and per
address; pages send a strict Content-Security-Policy (no inline script, nothing from other
origins).

Background work while the console runs: every ``HANDOFF_SYNC_SECONDS`` (5) it reads the
trackers of open tickets and records the customers' newest messages (so the queue shows
them and a talking customer is not abandoned); every minute it abandons quiet waiting
tickets and resumes their paused Rasa conversations.
"""

import asyncio
import collections
import datetime as dt
import functools
import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Deque, Dict, Optional

import jinja2
from aiohttp import web

from handoff import agents as agent_store
from handoff import config
from handoff import queue
from handoff.db import HandoffUnavailable, local_now, to_epoch
from handoff.rasa_client import RasaClient, RasaError
from handoff.security import new_token, same
from handoff.transcript import build_transcript, latest_customer_message
from handoff.views import AgentView, TicketView

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "seba_console"
LOGIN_CSRF_COOKIE = "seba_login_csrf"
MAX_REPLY_CHARS = 4000
SSE_INTERVAL_SECONDS = 2.0
TOUCH_EVERY_SECONDS = 30

CHANNEL_LABELS = {
    "telegram": "Telegram",
    "facebook": "Messenger",
    "socketio": "Web chat",
    "rest": "REST",
    "cmdline": "Shell",
}
LANGUAGE_LABELS = {"bn": "বাংলা", "en": "English"}
REASON_LABELS = {
    "customer_request": "Asked for a person",
    "low_confidence": "Bot did not understand",
    "repeated_failure": "Bot failed repeatedly",
    "complaint": "Complaint",
    "verification_failed": "Order check failed",
}
DONE_MESSAGES = {
    "claimed": "You have this conversation now. The customer sees your replies in their own app.",
    "resolved": "Marked resolved. The bot is back and asks the customer for a rating.",
    "handed_back": "Handed back to the bot.",
    "released": "Put back in the queue.",
    "sent": "Reply sent.",
}

DB_URL = web.AppKey("db_url", str)
RASA = web.AppKey("rasa", RasaClient)
JINJA = web.AppKey("jinja", jinja2.Environment)
LIMITER = web.AppKey("limiter", object)
TOUCHED = web.AppKey("touched", dict)
BACKGROUND = web.AppKey("background", bool)
CLOSING = web.AppKey("closing", asyncio.Event)
TASKS = web.AppKey("tasks", list)

# --- settings from the environment --------------------------------------------------------


def _float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def _cookie_secure() -> bool:
    return os.environ.get("HANDOFF_COOKIE_SECURE", "").lower() in ("1", "true", "yes")


# --- login rate limiting ---------------------------------------------------------------------


class LoginLimiter:
    """Failed logins per username and per client address in a sliding window."""

    def __init__(self, per_user: int = 5, per_address: int = 20, window_seconds: int = 900):
        self.per_user, self.per_address, self.window = per_user, per_address, window_seconds
        self._failures: Dict[str, Deque[float]] = collections.defaultdict(collections.deque)

    def _recent(self, key: str, now: float) -> Deque[float]:
        stamps = self._failures[key]
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        return stamps

    def retry_after(self, username: str, address: str) -> int:
        """Seconds to wait before another try, 0 when allowed."""
        now = time.monotonic()
        waits = []
        for key, limit in (("u:" + username, self.per_user), ("a:" + address, self.per_address)):
            stamps = self._recent(key, now)
            if len(stamps) >= limit:
                waits.append(int(stamps[0] + self.window - now) + 1)
        return max(waits, default=0)

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        for key in ("u:" + username, "a:" + address):
            self._recent(key, now).append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop("u:" + username, None)


# --- helpers -------------------------------------------------------------------------------


async def _db(request_or_app: Any, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Run a (blocking) queue/agents call in a worker thread, on the app's database."""
    app = request_or_app.app if isinstance(request_or_app, web.Request) else request_or_app
    kwargs.setdefault("url", app[DB_URL])
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    env: jinja2.Environment = request.app[JINJA]
    context.setdefault("me", request.get("agent"))
    context.setdefault("csrf_token", request.get("csrf"))
    html = env.get_template(template).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def _client_address(request: web.Request) -> str:
    return request.remote or "unknown"


async def _form(request: web.Request) -> Dict[str, str]:
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="invalid JSON")
        return {k: str(v) for k, v in (data or {}).items()} if isinstance(data, dict) else {}
    form = await request.post()
    return {k: str(v) for k, v in form.items()}


async def _checked_form(request: web.Request) -> Dict[str, str]:
    """The POSTed fields, after the session's CSRF token was checked (403 otherwise)."""
    form = await _form(request)
    sent = request.headers.get("X-CSRF-Token") or form.get("csrf_token")
    if not same(sent, request.get("csrf")):
        raise web.HTTPForbidden(text="Missing or wrong CSRF token. Reload the page and try again.")
    return form


def _ticket_id(request: web.Request) -> int:
    try:
        return int(request.match_info["ticket_id"])
    except (KeyError, ValueError):
        raise web.HTTPNotFound()


def _me(request: web.Request) -> AgentView:
    agent = request.get("agent")
    if agent is None:
        if _wants_json(request) or request.path.startswith(("/api/", "/events")):
            raise web.HTTPUnauthorized(text="Log in first.")
        raise web.HTTPSeeOther("/login")
    return agent


def _labels() -> Dict[str, Dict[str, str]]:
    return {"channels": CHANNEL_LABELS, "languages": LANGUAGE_LABELS, "reasons": REASON_LABELS}


# --- middlewares ---------------------------------------------------------------------------


@web.middleware
async def security_headers(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _add_headers(request, response)
        raise
    _add_headers(request, response)
    return response


def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    if response.prepared:
        return
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def session_middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
    request["agent"], request["csrf"] = None, None
    if not request.path.startswith("/static/") and request.path != "/healthz":
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                loaded = await _db(request, agent_store.load_session, token)
            except HandoffUnavailable:
                loaded = None
            if loaded:
                request["agent"], request["csrf"] = loaded
                request["session_token"] = token
                await _touch(request.app, loaded[0].id)
    return await handler(request)


@web.middleware
async def db_errors(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        return await handler(request)
    except HandoffUnavailable as exc:
        logger.error("handoff database unavailable: %s", exc)
        if _wants_json(request):
            return web.json_response(
                {"ok": False, "message": "The queue database is not available."}, status=503
            )
        return web.Response(
            text="The queue database is not available. Run `python -m handoff upgrade`?",
            status=503,
        )


async def _touch(app: web.Application, agent_id: int) -> None:
    """Record that the agent's console is open, at most every TOUCH_EVERY_SECONDS."""
    last = app[TOUCHED].get(agent_id, 0.0)
    now = time.monotonic()
    if now - last < TOUCH_EVERY_SECONDS:
        return
    app[TOUCHED][agent_id] = now
    try:
        await _db(app, agent_store.touch, agent_id)
    except HandoffUnavailable:
        pass


# --- login / logout -------------------------------------------------------------------------


def _set_login_csrf(response: web.StreamResponse, value: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE, value, httponly=True, samesite="Lax", secure=_cookie_secure(),
        path="/login", max_age=3600,
    )


async def login_page(request: web.Request) -> web.StreamResponse:
    if request.get("agent") is not None:
        raise web.HTTPSeeOther("/")
    token = new_token()
    response = _render(request, "login.html", login_csrf=token, error=None, username="")
    _set_login_csrf(response, token)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    username = (form.get("username") or "").strip().lower()[:64]
    password = form.get("password") or ""

    def again(error: str, status: int) -> web.Response:
        token = new_token()
        response = _render(
            request, "login.html", status=status, login_csrf=token, error=error, username=username
        )
        _set_login_csrf(response, token)
        return response

    if not same(form.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)):
        return again("The form expired. Please try again.", 403)
    limiter: LoginLimiter = request.app[LIMITER]
    address = _client_address(request)
    wait = limiter.retry_after(username, address)
    if wait:
        response = again(
            f"Too many failed logins. Try again in {max(1, wait // 60)} minute(s).", 429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    agent = await _db(request, agent_store.authenticate, username, password)
    if agent is None:
        limiter.failed(username, address)
        return again("Wrong username or password.", 401)
    limiter.succeeded(username)
    token, _csrf = await _db(request, agent_store.create_session, agent.id)
    await _db(request, agent_store.set_status, agent.id, "online")
    response = web.HTTPSeeOther("/")
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="Lax", secure=_cookie_secure(), path="/",
        max_age=agent_store.SESSION_HOURS * 3600,
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    logger.info("agent %s logged in", agent.username)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    await _checked_form(request)
    await _db(request, agent_store.set_status, me.id, "away")
    await _db(request, agent_store.end_session, request.get("session_token"))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


# --- queue -----------------------------------------------------------------------------------


def _snapshot_json(snapshot: queue.QueueSnapshot, me: AgentView) -> Dict[str, Any]:
    data = snapshot.to_json()
    data["me"] = {"id": me.id, "display_name": me.display_name}
    return data


async def queue_page(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    snapshot = await _db(request, queue.queue_snapshot)
    return _render(
        request, "queue.html",
        snapshot=snapshot, initial=_snapshot_json(snapshot, me),
        labels=_labels(), notice=None,
    )


async def queue_api(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    snapshot = await _db(request, queue.queue_snapshot)
    return web.json_response(_snapshot_json(snapshot, me), dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: the queue snapshot every SSE_INTERVAL_SECONDS."""
    me = _me(request)
    token = request.get("session_token")
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-store",
        "X-Accel-Buffering": "no",
    })
    _add_headers(request, response)
    await response.prepare(request)
    closing: asyncio.Event = request.app[CLOSING]
    last_check = time.monotonic()
    try:
        while not closing.is_set():
            if time.monotonic() - last_check > TOUCH_EVERY_SECONDS:
                last_check = time.monotonic()
                if not await _db(request, agent_store.load_session, token):
                    await response.write(b"event: logout\ndata: {}\n\n")
                    break
                await _touch(request.app, me.id)
            try:
                snapshot = await _db(request, queue.queue_snapshot)
                payload = _dumps(_snapshot_json(snapshot, me))
                await response.write(f"event: queue\ndata: {payload}\n\n".encode("utf-8"))
            except HandoffUnavailable:
                await response.write(b"event: dberror\ndata: {}\n\n")
            try:
                await asyncio.wait_for(closing.wait(), timeout=SSE_INTERVAL_SECONDS)
            except asyncio.TimeoutError:
                pass
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def set_status(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    form = await _checked_form(request)
    status = form.get("status")
    if status not in ("online", "away"):
        raise web.HTTPBadRequest(text="status must be online or away")
    await _db(request, agent_store.set_status, me.id, status)
    if _wants_json(request):
        return web.json_response({"ok": True, "status": status})
    raise web.HTTPSeeOther("/")


async def claim_next(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    await _checked_form(request)
    ticket = await _db(request, queue.claim_next, me.id)
    if ticket is None:
        if _wants_json(request):
            return web.json_response({"ok": False, "message": "Nobody is waiting."}, status=409)
        raise web.HTTPSeeOther("/")
    await _keep_bot_quiet(request, ticket)
    if _wants_json(request):
        return web.json_response({"ok": True, "ticket": ticket.to_json()}, dumps=_dumps)
    raise web.HTTPSeeOther(f"/tickets/{ticket.id}?done=claimed")


# --- a conversation --------------------------------------------------------------------------


async def _ticket_or_404(request: web.Request) -> TicketView:
    ticket = await _db(request, queue.get_ticket, _ticket_id(request))
    if ticket is None:
        raise web.HTTPNotFound(text="No such conversation in the queue.")
    return ticket


def _permissions(ticket: TicketView, me: AgentView) -> Dict[str, bool]:
    mine = ticket.state == "assigned" and ticket.agent_id == me.id
    return {
        "claim": ticket.state == "waiting",
        "reply": mine,
        "hand_back": mine,
        "resolve": mine,
        "release": mine,
    }


def _refusal(ticket: TicketView, me: AgentView) -> str:
    """Why ``me`` cannot act on the ticket."""
    if ticket.state == "assigned" and ticket.agent_id != me.id:
        return (
            f"Already taken: {ticket.agent_name or 'another agent'} is handling this "
            "conversation."
        )
    if ticket.state == "waiting":
        return "Claim the conversation first."
    if ticket.state == "abandoned":
        return "This conversation was abandoned: the customer left before an agent came."
    return "This conversation is closed."


async def _conversation(request: web.Request, ticket: TicketView) -> Dict[str, Any]:
    """Transcript and bot state from Rasa (errors are reported, not raised)."""
    rasa: RasaClient = request.app[RASA]
    result: Dict[str, Any] = {"transcript": [], "rasa_error": None, "paused": None}
    try:
        tracker = await rasa.get_tracker(ticket.conversation_id)
    except RasaError as exc:
        result["rasa_error"] = (
            "Rasa is not reachable, so the transcript cannot be shown; replies cannot be "
            "sent either." if exc.status is None else f"Rasa answered {exc.status}."
        )
        return result
    events = (tracker or {}).get("events") or []
    result["transcript"] = build_transcript(
        events, ticket.created_at, ticket.assigned_at or ticket.resolved_at
    )
    result["paused"] = bool((tracker or {}).get("paused"))
    result["latest_input_channel"] = (tracker or {}).get("latest_input_channel")
    return result


async def ticket_page(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    ticket = await _ticket_or_404(request)
    done = request.query.get("done")
    return await _ticket_response(
        request, ticket, me, notice=DONE_MESSAGES.get(done or ""), error=None, status=200
    )


async def _ticket_response(
    request: web.Request, ticket: TicketView, me: AgentView, notice: Optional[str],
    error: Optional[str], status: int,
) -> web.StreamResponse:
    replies = config.canned_replies()
    canned = []
    for reply in replies:
        canned.append({
            "id": reply.id,
            "primary": config.render_canned(reply, ticket.language, me.display_name),
            "other": config.render_canned(
                reply, "en" if ticket.language == "bn" else "bn", me.display_name
            ),
        })
    conversation = await _conversation(request, ticket)
    can = _permissions(ticket, me)
    return _render(
        request, "ticket.html", status=status,
        ticket=ticket, can=can, canned=canned, labels=_labels(),
        notice=notice, error=error, now=local_now(),
        refusal=None if can["reply"] else _refusal(ticket, me),
        transcript=conversation["transcript"], rasa_error=conversation["rasa_error"],
        paused=conversation["paused"],
    )


async def ticket_api(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    ticket = await _ticket_or_404(request)
    data = await _conversation(request, ticket)
    data.update(
        ticket=ticket.to_json(local_now()),
        can=_permissions(ticket, me),
        refusal=None if _permissions(ticket, me)["reply"] else _refusal(ticket, me),
        me={"id": me.id, "display_name": me.display_name},
    )
    return web.json_response(data, dumps=_dumps)


async def _answer(
    request: web.Request, ticket_id: int, ok: bool, done: str, message: str, status: int,
    me: AgentView, extra: Optional[Dict[str, Any]] = None,
) -> web.StreamResponse:
    if _wants_json(request):
        body = {"ok": ok, "message": message}
        if extra:
            body.update(extra)
        return web.json_response(body, status=200 if ok else status, dumps=_dumps)
    if ok:
        raise web.HTTPSeeOther(f"/tickets/{ticket_id}?done={done}")
    ticket = await _db(request, queue.get_ticket, ticket_id)
    return await _ticket_response(request, ticket, me, notice=None, error=message, status=status)


async def _keep_bot_quiet(request: web.Request, ticket: TicketView) -> None:
    """Make sure the bot is paused while the agent has the conversation.

    ``action_handoff`` paused it when the customer was queued, but Rasa un-pauses a
    conversation by itself when its session expires (a new session resets the tracker): a
    customer who asked at night and writes again in the morning gets the bot back while the
    ticket still waits. Without this the bot and the agent would both answer. Best effort:
    the claim stands even when Rasa cannot be reached (replies need Rasa anyway)."""
    rasa: RasaClient = request.app[RASA]
    try:
        state = await rasa.get_tracker(ticket.conversation_id, include_events="NONE")
        if not (state or {}).get("paused"):
            await rasa.pause(ticket.conversation_id)
    except RasaError as exc:
        logger.warning("claim of %s: could not pause the bot: %s", ticket.conversation_id, exc)


async def claim(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    await _checked_form(request)
    ticket = await _ticket_or_404(request)
    won = await _db(request, queue.claim, ticket.id, me.id)
    if won:
        await _keep_bot_quiet(request, ticket)
        return await _answer(request, ticket.id, True, "claimed", DONE_MESSAGES["claimed"], 200, me)
    ticket = await _db(request, queue.get_ticket, ticket.id)
    return await _answer(request, ticket.id, False, "", _refusal(ticket, me), 409, me)


async def reply(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    form = await _checked_form(request)
    ticket = await _ticket_or_404(request)
    text = (form.get("text") or "").strip()
    if not _permissions(ticket, me)["reply"]:
        return await _answer(request, ticket.id, False, "", _refusal(ticket, me), 409, me)
    if not text:
        return await _answer(request, ticket.id, False, "", "Write a reply first.", 400, me)
    if len(text) > MAX_REPLY_CHARS:
        return await _answer(
            request, ticket.id, False, "", f"A reply can have at most {MAX_REPLY_CHARS} "
            "characters.", 400, me,
        )
    rasa: RasaClient = request.app[RASA]
    try:
        await rasa.send_agent_message(ticket.conversation_id, text, me.display_name)
    except RasaError as exc:
        logger.warning("reply to %s failed: %s", ticket.conversation_id, exc)
        return await _answer(
            request, ticket.id, False, "", "Not sent: Rasa is not reachable or refused the "
            "message. Try again in a moment.", 502, me,
        )
    return await _answer(request, ticket.id, True, "sent", DONE_MESSAGES["sent"], 200, me)


async def _close(request: web.Request, resolution: str) -> web.StreamResponse:
    me = _me(request)
    await _checked_form(request)
    ticket = await _ticket_or_404(request)
    if not _permissions(ticket, me)["resolve"]:
        return await _answer(request, ticket.id, False, "", _refusal(ticket, me), 409, me)
    rasa: RasaClient = request.app[RASA]
    try:
        # Rasa first: if the bot cannot be resumed, the ticket stays with the agent.
        result = await rasa.hand_back(ticket.conversation_id, welcome_back=True)
    except RasaError as exc:
        logger.warning("hand back of %s failed: %s", ticket.conversation_id, exc)
        return await _answer(
            request, ticket.id, False, "", "Rasa is not reachable: the bot could not take the "
            "conversation back. The conversation is still yours; try again.", 502, me,
        )
    close = queue.hand_back if resolution == "handed_back" else queue.resolve
    if not await _db(request, close, ticket.id, me.id):
        ticket = await _db(request, queue.get_ticket, ticket.id)
        return await _answer(request, ticket.id, False, "", _refusal(ticket, me), 409, me)
    message = DONE_MESSAGES[resolution]
    if not result.triggered:
        message += f" (Note: {result.detail}.)"
    return await _answer(
        request, ticket.id, True, resolution, message, 200, me,
        extra={"welcomed_back": result.triggered},
    )


async def hand_back(request: web.Request) -> web.StreamResponse:
    return await _close(request, "handed_back")


async def resolve(request: web.Request) -> web.StreamResponse:
    return await _close(request, "resolved")


async def release(request: web.Request) -> web.StreamResponse:
    me = _me(request)
    await _checked_form(request)
    ticket = await _ticket_or_404(request)
    if await _db(request, queue.release, ticket.id, me.id):
        return await _answer(request, ticket.id, True, "released", DONE_MESSAGES["released"], 200, me)
    ticket = await _db(request, queue.get_ticket, ticket.id)
    return await _answer(request, ticket.id, False, "", _refusal(ticket, me), 409, me)


async def healthz(request: web.Request) -> web.StreamResponse:
    return web.json_response({"ok": True})


# --- background work -------------------------------------------------------------------------


async def _sync_once(app: web.Application) -> None:
    """Record the newest customer message of every open ticket (from Rasa's trackers)."""
    rasa: RasaClient = app[RASA]
    tickets = await _db(app, queue.open_tickets)
    for ticket in tickets:
        tracker = await rasa.get_tracker(ticket.conversation_id, include_events="AFTER_RESTART")
        text, when = latest_customer_message((tracker or {}).get("events") or [])
        if not text or when is None:
            continue
        known = ticket.last_customer_message_at
        if known is None or when > known:
            await _db(app, queue.touch_customer, ticket.conversation_id, when, text)


async def _sweep_once(app: web.Application) -> None:
    """Abandon quiet waiting tickets and give their conversations back to the bot."""
    abandoned = await _db(app, queue.sweep_abandoned)
    rasa: RasaClient = app[RASA]
    for ticket in abandoned:
        try:
            await rasa.hand_back(ticket.conversation_id, welcome_back=False)
        except RasaError as exc:
            logger.warning(
                "abandoned ticket %s: could not resume conversation %s: %s",
                ticket.id, ticket.conversation_id, exc,
            )


async def _every(app: web.Application, seconds: float, job: Callable, name: str) -> None:
    closing: asyncio.Event = app[CLOSING]
    failing = False
    while not closing.is_set():
        try:
            await job(app)
            if failing:
                logger.info("%s works again", name)
            failing = False
        except (RasaError, HandoffUnavailable) as exc:
            if not failing:  # say it once per outage, not every few seconds
                logger.warning("%s: %s", name, exc)
            failing = True
        except Exception:  # keep the loop alive; this is background housekeeping
            logger.exception("%s failed", name)
        try:
            await asyncio.wait_for(closing.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass


async def _start_background(app: web.Application) -> None:
    app[TASKS] = []
    if not app[BACKGROUND]:
        return
    sync_seconds = _float_env("HANDOFF_SYNC_SECONDS", 5.0)
    sweep_seconds = _float_env("HANDOFF_SWEEP_SECONDS", 60.0)
    app[TASKS] = [
        asyncio.create_task(_every(app, sync_seconds, _sync_once, "tracker sync")),
        asyncio.create_task(_every(app, sweep_seconds, _sweep_once, "abandon sweep")),
    ]


async def _on_shutdown(app: web.Application) -> None:
    app[CLOSING].set()  # ends SSE streams and background loops


async def _on_cleanup(app: web.Application) -> None:
    for task in app.get(TASKS, []):
        task.cancel()
    for task in app.get(TASKS, []):
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass
    await app[RASA].close()


async def _init_closing(app: web.Application) -> None:
    app[CLOSING] = asyncio.Event()


# --- the app ---------------------------------------------------------------------------------


def _jinja() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def hhmm(moment: Optional[dt.datetime]) -> str:
        return moment.strftime("%H:%M") if moment else ""

    def epoch(moment: Optional[dt.datetime]) -> str:
        value = to_epoch(moment)
        return "" if value is None else f"{value:.0f}"

    env.filters["hhmm"] = hhmm
    env.filters["epoch"] = epoch
    # Cache busting: browsers fetch console.css/js again after an update.
    env.globals["static_version"] = str(int(max(
        p.stat().st_mtime for p in (HERE / "static").iterdir() if p.is_file()
    )))
    return env


def create_app(
    url: Optional[str] = None,
    rasa: Optional[RasaClient] = None,
    background: bool = True,
) -> web.Application:
    """The console app. ``url``: the handoff database (default ``config.database_url()``)."""
    app = web.Application(middlewares=[security_headers, db_errors, session_middleware])
    app[DB_URL] = url or config.database_url()
    app[RASA] = rasa or RasaClient()
    app[JINJA] = _jinja()
    app[LIMITER] = LoginLimiter()
    app[TOUCHED] = {}
    app[BACKGROUND] = background
    app.on_startup.append(_init_closing)
    app.on_startup.append(_start_background)
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)

    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", queue_page)
    app.router.add_get("/api/queue", queue_api)
    app.router.add_get("/events", events)
    app.router.add_post("/status", set_status)
    app.router.add_post("/claim-next", claim_next)
    app.router.add_get("/tickets/{ticket_id:\\d+}", ticket_page)
    app.router.add_get("/api/tickets/{ticket_id:\\d+}", ticket_api)
    app.router.add_post("/tickets/{ticket_id:\\d+}/claim", claim)
    app.router.add_post("/tickets/{ticket_id:\\d+}/reply", reply)
    app.router.add_post("/tickets/{ticket_id:\\d+}/handback", hand_back)
    app.router.add_post("/tickets/{ticket_id:\\d+}/resolve", resolve)
    app.router.add_post("/tickets/{ticket_id:\\d+}/release", release)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static/", str(HERE / "static"), name="static")
    return app


def serve(host: str = "127.0.0.1", port: int = 5070, url: Optional[str] = None) -> None:
    app = create_app(url=url)

    def announce(message: str) -> None:
        print(f"Seba agent console on http://{host}:{port}/ (Rasa at {app[RASA].base_url})",
              flush=True)

    web.run_app(app, host=host, port=port, print=announce, shutdown_timeout=5)

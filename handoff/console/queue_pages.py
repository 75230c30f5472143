"""The queue: the page, its JSON, its live stream (Server-Sent Events, polling as a
fallback), the online/away toggle and "take the next customer"."""

import asyncio
import dataclasses
import time
from typing import Any, Dict

from aiohttp import web

from handoff import agents as agent_store
from handoff import queue
from handoff.console.auth import touch
from handoff.console.helpers import CLOSING, db, dumps, form, now, wants_json
from handoff.console.i18n import N_, translate
from handoff.console.middleware import add_headers
from handoff.console.render import labels, render
from handoff.console.roles import SUPPORT, Route
from handoff.console.ticket_pages import keep_bot_quiet
from handoff.db import HandoffUnavailable
from handoff.views import AgentView

SSE_INTERVAL_SECONDS = 2.0
SESSION_CHECK_SECONDS = 30  # how often an open stream checks that its login is still valid


async def _snapshot(request: web.Request) -> queue.QueueSnapshot:
    """The queue, listing only the accounts that take chats (not content staff)."""
    snapshot = await db(request, queue.queue_snapshot)
    return dataclasses.replace(snapshot, agents=[a for a in snapshot.agents if a.role in SUPPORT])


def _snapshot_json(snapshot: queue.QueueSnapshot, me: AgentView) -> Dict[str, Any]:
    data = snapshot.to_json()
    data["me"] = {"id": me.id, "display_name": me.display_name, "role": me.role}
    return data


async def queue_page(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    snapshot = await _snapshot(request)
    return render(
        request,
        "queue.html",
        snapshot=snapshot,
        initial=_snapshot_json(snapshot, me),
        labels=labels(request),
        notice=None,
    )


async def queue_api(request: web.Request) -> web.StreamResponse:
    snapshot = await _snapshot(request)
    return web.json_response(_snapshot_json(snapshot, request["agent"]), dumps=dumps)


async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: the queue snapshot every SSE_INTERVAL_SECONDS."""
    me = request["agent"]
    token = request.get("session_token")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    add_headers(request, response)
    await response.prepare(request)
    closing: asyncio.Event = request.app[CLOSING]
    last_check = time.monotonic()
    try:
        while not closing.is_set():
            if time.monotonic() - last_check > SESSION_CHECK_SECONDS:
                last_check = time.monotonic()
                # Logged out, expired or given another role meanwhile: the page goes away.
                loaded = await db(request, agent_store.load_session, token, now=now(request))
                if not loaded or loaded[0].role not in SUPPORT:
                    await response.write(b"event: logout\ndata: {}\n\n")
                    break
                await touch(request.app, me.id)
            try:
                payload = dumps(_snapshot_json(await _snapshot(request), me))
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
    status = form(request).get("status")
    if status not in ("online", "away"):
        raise web.HTTPBadRequest(text=translate(request, N_("status must be online or away")))
    await db(request, agent_store.set_status, request["agent"].id, status)
    if wants_json(request):
        return web.json_response({"ok": True, "status": status})
    raise web.HTTPSeeOther("/")


async def claim_next(request: web.Request) -> web.StreamResponse:
    ticket = await db(request, queue.claim_next, request["agent"].id)
    if ticket is None:
        if wants_json(request):
            return web.json_response(
                {"ok": False, "message": translate(request, N_("Nobody is waiting."))},
                status=409,
                dumps=dumps,
            )
        raise web.HTTPSeeOther("/")
    await keep_bot_quiet(request, ticket)
    if wants_json(request):
        return web.json_response({"ok": True, "ticket": ticket.to_json()}, dumps=dumps)
    raise web.HTTPSeeOther(f"/tickets/{ticket.id}?done=claimed")


ROUTES = [
    Route("GET", "/", queue_page, SUPPORT, nav=N_("Queue")),
    Route("GET", "/api/queue", queue_api, SUPPORT),
    Route("GET", "/events", events, SUPPORT),
    Route("POST", "/status", set_status, SUPPORT),
    Route("POST", "/claim-next", claim_next, SUPPORT),
]

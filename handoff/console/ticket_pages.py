"""One conversation: the page and its JSON (transcript from Rasa's tracker, the order locks
of the conversation), claim, reply, hand back, resolve, release."""

import logging
from typing import Any, Dict, List, Optional

from aiohttp import web

from handoff import config, queue
from handoff.console.helpers import RASA, db, dumps, form, now, wants_json
from handoff.console.i18n import N_, translate
from handoff.console.lock_pages import conversation_locks
from handoff.console.render import labels, render
from handoff.console.roles import SUPPORT, Route
from handoff.rasa_client import RasaClient, RasaError
from handoff.transcript import build_transcript
from handoff.views import AgentView, TicketView

logger = logging.getLogger(__name__)

MAX_REPLY_CHARS = 4000
DONE_MESSAGES = {
    "claimed": N_(
        "You have this conversation now. The customer sees your replies in their own app."
    ),
    "resolved": N_("Marked resolved. The bot is back and asks the customer for a rating."),
    "handed_back": N_("Handed back to the bot."),
    "released": N_("Put back in the queue."),
    "sent": N_("Reply sent."),
    "lifted": N_("Lock lifted: the customer can check this order with the bot again."),
    "not_locked": N_("That order was not locked any more (lifted or expired meanwhile)."),
}


def _ticket_id(request: web.Request) -> int:
    try:
        return int(request.match_info["ticket_id"])
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None


async def _ticket_or_404(request: web.Request) -> TicketView:
    ticket = await db(request, queue.get_ticket, _ticket_id(request))
    if ticket is None:
        raise web.HTTPNotFound(text=translate(request, N_("No such conversation in the queue.")))
    return ticket


def permissions(ticket: TicketView, me: AgentView) -> Dict[str, bool]:
    mine = ticket.state == "assigned" and ticket.agent_id == me.id
    return {
        "claim": ticket.state == "waiting",
        "reply": mine,
        "hand_back": mine,
        "resolve": mine,
        "release": mine,
    }


def refusal(request: web.Request, ticket: TicketView, me: AgentView) -> str:
    """Why ``me`` cannot act on the ticket (in the request's language)."""
    if ticket.state == "assigned" and ticket.agent_id != me.id:
        if ticket.agent_name:
            return translate(
                request,
                N_("Already taken: %(agent)s is handling this conversation."),
                agent=ticket.agent_name,
            )
        return translate(request, N_("Already taken: another agent is handling this conversation."))
    if ticket.state == "waiting":
        return translate(request, N_("Claim the conversation first."))
    if ticket.state == "abandoned":
        return translate(
            request, N_("This conversation was abandoned: the customer left before an agent came.")
        )
    return translate(request, N_("This conversation is closed."))


def translate_notes(request: web.Request, items: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The transcript's system notes (``transcript.SYSTEM_NOTES``) in the request's language."""
    for item in items:
        if item.get("kind") == "system":
            item["text"] = translate(request, item["text"])
    return items


def delivery_notes(conversation_id: str, url: Optional[str] = None) -> List[Dict[str, Any]]:
    """What the customer answered after a failed delivery attempt (the bot's
    ``delivery_time`` notes, actions/notices.py), newest first, phones masked."""
    from sqlalchemy import select

    from handoff.console.render import masked
    from handoff.db import session_scope
    from handoff.models import CustomerNote

    with session_scope(url) as session:
        rows = session.execute(
            select(CustomerNote)
            .where(
                CustomerNote.conversation_id == conversation_id,
                CustomerNote.kind == "delivery_time",
            )
            .order_by(CustomerNote.created_at.desc(), CustomerNote.id.desc())
            .limit(10)
        ).scalars()
        return [
            {"order_number": n.order_number, "body": masked(n.body), "created_at": n.created_at}
            for n in rows
        ]


async def _conversation(request: web.Request, ticket: TicketView) -> Dict[str, Any]:
    """Transcript and bot state from Rasa (errors are reported, not raised)."""
    rasa: RasaClient = request.app[RASA]
    result: Dict[str, Any] = {"transcript": [], "rasa_error": None, "paused": None}
    try:
        tracker = await rasa.get_tracker(ticket.conversation_id)
    except RasaError as exc:
        result["rasa_error"] = (
            translate(
                request,
                N_(
                    "Rasa is not reachable, so the transcript cannot be shown; replies cannot be "
                    "sent either."
                ),
            )
            if exc.status is None
            else translate(request, N_("Rasa answered %(status)s."), status=exc.status)
        )
        return result
    events = (tracker or {}).get("events") or []
    result["transcript"] = translate_notes(
        request,
        build_transcript(events, ticket.created_at, ticket.assigned_at or ticket.resolved_at),
    )
    result["paused"] = bool((tracker or {}).get("paused"))
    result["latest_input_channel"] = (tracker or {}).get("latest_input_channel")
    return result


async def ticket_page(request: web.Request) -> web.StreamResponse:
    ticket = await _ticket_or_404(request)
    done = request.query.get("done")
    notice = DONE_MESSAGES.get(done or "")
    return await _ticket_response(
        request,
        ticket,
        error=None,
        status=200,
        notice=translate(request, notice) if notice else None,
    )


async def _ticket_response(
    request: web.Request,
    ticket: TicketView,
    notice: Optional[str],
    error: Optional[str],
    status: int,
) -> web.StreamResponse:
    me = request["agent"]
    canned = []
    for reply in config.canned_replies():
        canned.append(
            {
                "id": reply.id,
                "primary": config.render_canned(reply, ticket.language, me.display_name),
                "other": config.render_canned(
                    reply, "en" if ticket.language == "bn" else "bn", me.display_name
                ),
            }
        )
    conversation = await _conversation(request, ticket)
    locks, locks_error = await conversation_locks(request, ticket.conversation_id)
    notes = await db(request, delivery_notes, ticket.conversation_id)
    can = permissions(ticket, me)
    return render(
        request,
        "ticket.html",
        status=status,
        ticket=ticket,
        can=can,
        canned=canned,
        labels=labels(request),
        notice=notice,
        error=error,
        now=now(request),
        refusal=None if can["reply"] else refusal(request, ticket, me),
        transcript=conversation["transcript"],
        rasa_error=conversation["rasa_error"],
        paused=conversation["paused"],
        locks=locks,
        locks_error=locks_error,
        delivery_notes=notes,
    )


async def ticket_api(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    ticket = await _ticket_or_404(request)
    data = await _conversation(request, ticket)
    can = permissions(ticket, me)
    data.update(
        ticket=ticket.to_json(now(request)),
        can=can,
        refusal=None if can["reply"] else refusal(request, ticket, me),
        me={"id": me.id, "display_name": me.display_name, "role": me.role},
    )
    return web.json_response(data, dumps=dumps)


async def _answer(
    request: web.Request,
    ticket_id: int,
    ok: bool,
    done: str,
    message: str,
    status: int,
    extra: Optional[Dict[str, Any]] = None,
) -> web.StreamResponse:
    if wants_json(request):
        body = {"ok": ok, "message": message}
        if extra:
            body.update(extra)
        return web.json_response(body, status=200 if ok else status, dumps=dumps)
    if ok:
        raise web.HTTPSeeOther(f"/tickets/{ticket_id}?done={done}")
    ticket = await db(request, queue.get_ticket, ticket_id)
    return await _ticket_response(request, ticket, notice=None, error=message, status=status)


async def keep_bot_quiet(request: web.Request, ticket: TicketView) -> None:
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
    me = request["agent"]
    ticket = await _ticket_or_404(request)
    if await db(request, queue.claim, ticket.id, me.id):
        await keep_bot_quiet(request, ticket)
        return await _answer(
            request, ticket.id, True, "claimed", translate(request, DONE_MESSAGES["claimed"]), 200
        )
    ticket = await db(request, queue.get_ticket, ticket.id)
    return await _answer(request, ticket.id, False, "", refusal(request, ticket, me), 409)


async def reply(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    ticket = await _ticket_or_404(request)
    text = (form(request).get("text") or "").strip()
    if not permissions(ticket, me)["reply"]:
        return await _answer(request, ticket.id, False, "", refusal(request, ticket, me), 409)
    if not text:
        return await _answer(
            request, ticket.id, False, "", translate(request, N_("Write a reply first.")), 400
        )
    if len(text) > MAX_REPLY_CHARS:
        return await _answer(
            request,
            ticket.id,
            False,
            "",
            translate(
                request, N_("A reply can have at most %(max)s characters."), max=MAX_REPLY_CHARS
            ),
            400,
        )
    rasa: RasaClient = request.app[RASA]
    try:
        await rasa.send_agent_message(ticket.conversation_id, text, me.display_name)
    except RasaError as exc:
        logger.warning("reply to %s failed: %s", ticket.conversation_id, exc)
        return await _answer(
            request,
            ticket.id,
            False,
            "",
            translate(
                request,
                N_(
                    "Not sent: Rasa is not reachable or refused the message. Try again in a moment."
                ),
            ),
            502,
        )
    return await _answer(
        request, ticket.id, True, "sent", translate(request, DONE_MESSAGES["sent"]), 200
    )


async def _close(request: web.Request, resolution: str) -> web.StreamResponse:
    me = request["agent"]
    ticket = await _ticket_or_404(request)
    if not permissions(ticket, me)["resolve"]:
        return await _answer(request, ticket.id, False, "", refusal(request, ticket, me), 409)
    rasa: RasaClient = request.app[RASA]
    try:
        # Rasa first: if the bot cannot be resumed, the ticket stays with the agent.
        result = await rasa.hand_back(ticket.conversation_id, welcome_back=True)
    except RasaError as exc:
        logger.warning("hand back of %s failed: %s", ticket.conversation_id, exc)
        return await _answer(
            request,
            ticket.id,
            False,
            "",
            translate(
                request,
                N_(
                    "Rasa is not reachable: the bot could not take the conversation "
                    "back. The conversation is still yours; try again."
                ),
            ),
            502,
        )
    close = queue.hand_back if resolution == "handed_back" else queue.resolve
    if not await db(request, close, ticket.id, me.id):
        ticket = await db(request, queue.get_ticket, ticket.id)
        return await _answer(request, ticket.id, False, "", refusal(request, ticket, me), 409)
    message = translate(request, DONE_MESSAGES[resolution])
    if not result.triggered:  # the detail comes from Rasa, in English
        message += " " + translate(request, N_("(Note: %(detail)s.)"), detail=result.detail)
    return await _answer(
        request,
        ticket.id,
        True,
        resolution,
        message,
        200,
        extra={"welcomed_back": result.triggered},
    )


async def hand_back(request: web.Request) -> web.StreamResponse:
    return await _close(request, "handed_back")


async def resolve(request: web.Request) -> web.StreamResponse:
    return await _close(request, "resolved")


async def release(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    ticket = await _ticket_or_404(request)
    if await db(request, queue.release, ticket.id, me.id):
        return await _answer(
            request, ticket.id, True, "released", translate(request, DONE_MESSAGES["released"]), 200
        )
    ticket = await db(request, queue.get_ticket, ticket.id)
    return await _answer(request, ticket.id, False, "", refusal(request, ticket, me), 409)


TICKET = "/tickets/{ticket_id:\\d+}"
ROUTES = [
    Route("GET", TICKET, ticket_page, SUPPORT),
    Route("GET", "/api" + TICKET, ticket_api, SUPPORT),
    Route("POST", TICKET + "/claim", claim, SUPPORT),
    Route("POST", TICKET + "/reply", reply, SUPPORT),
    Route("POST", TICKET + "/handback", hand_back, SUPPORT),
    Route("POST", TICKET + "/resolve", resolve, SUPPORT),
    Route("POST", TICKET + "/release", release, SUPPORT),
]

"""The customer panel beside a conversation: who the customer is (when the conversation is
linked to one: seba/customers.py), their orders with courier updates, earlier conversations
and ratings, and the staff's private notes.

``GET /tickets/{id}/customer`` is a page of its own (it works without JavaScript);
``?part=1`` is the panel alone, which customer_panel.js puts beside the transcript on the
conversation page. ``POST /tickets/{id}/notes`` adds a note (agents and the owner; CSRF
checked by ``auth.guarded`` like every POST). Notes are stored in the handoff database and
sent nowhere: not to Rasa, not to the customer's channel. Phones are masked everywhere.
"""

import logging
from dataclasses import replace
from typing import Any, Dict, Optional

from aiohttp import web

from handoff import customer_notes, queue
from handoff.console.helpers import db, form, json_answer, shop_db, wants_json
from handoff.console.i18n import N_, translate
from handoff.console.render import labels, render
from handoff.console.roles import SUPPORT, Route
from handoff.views import TicketView
from seba import customers
from seba.db import ShopUnavailable
from seba.text import mask_phone, mask_phones

logger = logging.getLogger(__name__)

SHOP_DOWN = N_("The shop database is not available, so the customer's orders cannot be shown.")
#: The couriers' stages (seba.db.models.COURIER_STAGES) as agents read them.
STAGE_LABELS = {
    "picked_up": N_("picked up"),
    "in_transit": N_("in transit"),
    "out_for_delivery": N_("out for delivery"),
    "delivered": N_("delivered"),
    "failed_attempt": N_("delivery attempt failed"),
    "returned": N_("returned to the shop"),
}
#: The order statuses (seba.db.models.ORDER_STATUSES) as agents read them.
STATUS_LABELS = {
    "placed": N_("placed"),
    "confirmed": N_("confirmed"),
    "packed": N_("packed"),
    "shipped": N_("shipped"),
    "out_for_delivery": N_("out for delivery"),
    "delivered": N_("delivered"),
    "cancelled": N_("cancelled"),
    "returned": N_("returned"),
}
NOTE_ADDED = N_("Note added. Only staff see it.")


async def _ticket_or_404(request: web.Request) -> TicketView:
    try:
        ticket_id = int(request.match_info["ticket_id"])
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None
    ticket = await db(request, queue.get_ticket, ticket_id)
    if ticket is None:
        raise web.HTTPNotFound(text=translate(request, N_("No such conversation in the queue.")))
    return ticket


async def _linked(request: web.Request, ticket: TicketView):
    """(the customer panel data or None, an error to show or None)."""
    try:
        return await shop_db(request, customers.panel, ticket.conversation_id), None
    except ShopUnavailable:
        return None, translate(request, SHOP_DOWN)


async def panel_context(request: web.Request, ticket: TicketView) -> Dict[str, Any]:
    customer, shop_error = await _linked(request, ticket)
    others = customer.other_conversations if customer else []
    past, ratings = await db(
        request, customer_notes.history, [ticket.conversation_id, *others], ticket.id
    )
    notes = await db(
        request,
        customer_notes.notes_for,
        ticket.conversation_id,
        customer.customer_id if customer else None,
    )
    # Phones are masked wherever staff read text (a note may quote the customer).
    notes = [replace(n, body=mask_phones(n.body)) for n in notes]
    if customer:
        customer = replace(
            customer,
            orders=[
                replace(
                    o,
                    updates=[replace(u, message=mask_phones(u.message or "")) for u in o.updates],
                )
                for o in customer.orders
            ],
        )
    return {
        "ticket": ticket,
        "customer": customer,
        "phone": mask_phone(customer.phone) if customer else None,
        "shop_error": shop_error,
        "other_conversations": others,
        "past_tickets": past,
        "ratings": ratings,
        "notes": notes,
        "labels": labels(request),
        "stage_labels": STAGE_LABELS,
        "status_labels": STATUS_LABELS,
        "max_note_chars": customer_notes.MAX_NOTE_CHARS,
    }


async def customer_page(request: web.Request) -> web.StreamResponse:
    ticket = await _ticket_or_404(request)
    context = await panel_context(request, ticket)
    notice = translate(request, NOTE_ADDED) if request.query.get("done") == "noted" else None
    template = "customer_panel.html" if request.query.get("part") == "1" else "customer.html"
    return render(request, template, notice=notice, error=None, draft="", **context)


async def add_note(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    ticket = await _ticket_or_404(request)
    fields = form(request)
    body = (fields.get("body") or "").strip()
    error: Optional[str] = None
    if not body:
        error = translate(request, N_("Write the note first."))
    elif len(body) > customer_notes.MAX_NOTE_CHARS:
        error = translate(
            request,
            N_("A note can have at most %(max)s characters."),
            max=customer_notes.MAX_NOTE_CHARS,
        )
    if error:
        if wants_json(request):
            return json_answer(False, error, 400)
        context = await panel_context(request, ticket)
        # The typed text comes back in the form: nothing is lost.
        return render(
            request, "customer.html", status=400, notice=None, error=error, draft=body, **context
        )
    customer, _ = await _linked(request, ticket)
    await db(
        request,
        customer_notes.add_note,
        ticket.conversation_id,
        body,
        me.display_name,
        agent_id=me.id,
        customer_id=customer.customer_id if customer else None,
    )
    logger.info("%s added a note to conversation %s", me.username, ticket.id)
    if wants_json(request):
        return json_answer(True, translate(request, NOTE_ADDED))
    if fields.get("back") == "panel":
        raise web.HTTPSeeOther(f"/tickets/{ticket.id}/customer?done=noted")
    raise web.HTTPSeeOther(f"/tickets/{ticket.id}#customer")


TICKET = "/tickets/{ticket_id:\\d+}"
ROUTES = [
    Route("GET", TICKET + "/customer", customer_page, SUPPORT),
    Route("POST", TICKET + "/notes", add_note, SUPPORT),
]

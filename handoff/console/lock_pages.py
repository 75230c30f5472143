"""Verification locks: orders locked for self-service after too many failed order checks
(``seba/verification.py``), and lifting them.

A locked order shows nothing to anyone through the bot, not even to the right phone, until
the lock expires or an agent lifts it here (or on the conversation's page). The agent should
first make sure they talk to the customer some other way (e.g. call the phone on the order):
lifting a lock gives the bot's order checks a fresh count for that order.

The locks live in the shop database (``SHOP_URL``: ``seba.db.database_url()`` unless
``create_app(shop_url=...)``), which may be another database than the handoff one.
"""

import logging
import re
from typing import List, Optional, Tuple

from aiohttp import web

from handoff import queue
from handoff.console.helpers import db, form, json_answer, now, shop_db, wants_json
from handoff.console.i18n import N_, translate
from handoff.console.render import render
from handoff.console.roles import SUPPORT, Route
from seba import verification
from seba.db import ShopUnavailable
from seba.verification import LockView

logger = logging.getLogger(__name__)

SHOP_DOWN = N_("The shop database is not available, so order locks cannot be shown.")
NOTICES = {
    "lifted": N_("Lock lifted on order %(order)s: the customer can check it with the bot again."),
    "not_locked": N_("Order %(order)s was not locked any more (lifted or expired meanwhile)."),
}
_BACK = re.compile(r"/tickets/\d+|/locks")


async def conversation_locks(
    request: web.Request, conversation_id: str
) -> Tuple[List[LockView], Optional[str]]:
    """The active locks of the orders this conversation tried, or an error to show."""
    try:
        locks = await shop_db(
            request, verification.locks_for_conversation, conversation_id, now=now(request)
        )
    except ShopUnavailable:
        return [], translate(request, SHOP_DOWN)
    return locks, None


async def locks_page(request: web.Request) -> web.StreamResponse:
    try:
        locks = await shop_db(request, verification.active_locks, now=now(request))
    except ShopUnavailable:
        return render(
            request,
            "locks.html",
            status=503,
            locks=[],
            tickets={},
            error=translate(request, SHOP_DOWN),
            notice=None,
        )
    tickets = {}
    for lock in locks:  # a link to the conversation when it is in the queue
        if lock.conversation_id and lock.conversation_id not in tickets:
            tickets[lock.conversation_id] = await db(
                request, queue.open_ticket, lock.conversation_id
            )
    template = NOTICES.get(request.query.get("done", ""))
    order = re.sub(r"\D", "", request.query.get("order", ""))[:32]
    return render(
        request,
        "locks.html",
        locks=locks,
        tickets=tickets,
        error=None,
        notice=translate(request, template, order=order) if template else None,
    )


async def lift(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    fields = form(request)
    order = (fields.get("order_number") or "").strip()[:32]
    back = fields.get("back") or "/locks"
    if not _BACK.fullmatch(back):  # only our own pages: no open redirect
        back = "/locks"
    if not order:
        if wants_json(request):
            return json_answer(
                False, translate(request, N_("Which order? order_number is missing.")), 400
            )
        raise web.HTTPBadRequest(text=translate(request, N_("order_number is missing")))
    lifted = await shop_db(request, verification.lift, order, me.display_name, now=now(request))
    if lifted:
        logger.info("%s lifted the verification lock on order %s", me.username, order)
    done = "lifted" if lifted else "not_locked"
    if wants_json(request):
        return json_answer(
            lifted, translate(request, NOTICES[done], order=order), 200 if lifted else 409
        )
    query = f"done={done}" + (f"&order={re.sub(r'[^0-9]', '', order)}" if back == "/locks" else "")
    raise web.HTTPSeeOther(f"{back}?{query}")


ROUTES = [
    Route("GET", "/locks", locks_page, SUPPORT, nav=N_("Order locks")),
    Route("POST", "/locks/lift", lift, SUPPORT),
]

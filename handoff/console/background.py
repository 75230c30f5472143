"""Work the console does while it runs, besides answering pages.

- every ``HANDOFF_SYNC_SECONDS`` (5): read the trackers of open tickets and record the
  customers' newest messages (so the queue shows them and a talking customer is not
  abandoned);
- every ``HANDOFF_SWEEP_SECONDS`` (60): abandon quiet waiting tickets and resume their
  paused Rasa conversations.
"""

import asyncio
import logging
from typing import Callable

from aiohttp import web

from handoff import queue
from handoff.console.helpers import BACKGROUND, CLOSING, RASA, TASKS, db, float_env
from handoff.db import HandoffUnavailable
from handoff.rasa_client import RasaClient, RasaError
from handoff.transcript import latest_customer_message

logger = logging.getLogger(__name__)


async def sync_once(app: web.Application) -> None:
    """Record the newest customer message of every open ticket (from Rasa's trackers)."""
    rasa: RasaClient = app[RASA]
    tickets = await db(app, queue.open_tickets)
    for ticket in tickets:
        tracker = await rasa.get_tracker(ticket.conversation_id, include_events="AFTER_RESTART")
        text, when = latest_customer_message((tracker or {}).get("events") or [])
        if not text or when is None:
            continue
        known = ticket.last_customer_message_at
        if known is None or when > known:
            await db(app, queue.touch_customer, ticket.conversation_id, when, text)


async def sweep_once(app: web.Application) -> None:
    """Abandon quiet waiting tickets and give their conversations back to the bot — also
    the ones abandoned earlier while Rasa could not be reached: retried on every sweep until
    the bot has them back, so no customer stays paused with nobody answering."""
    await db(app, queue.sweep_abandoned)
    rasa: RasaClient = app[RASA]
    for ticket in await db(app, queue.unreleased_abandoned):
        try:
            await rasa.hand_back(ticket.conversation_id, welcome_back=False)
        except RasaError as exc:
            logger.warning(
                "abandoned ticket %s: could not resume conversation %s yet (retried at the "
                "next sweep): %s",
                ticket.id,
                ticket.conversation_id,
                exc,
            )
            continue
        await db(app, queue.mark_released, ticket.id)


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


async def init_closing(app: web.Application) -> None:
    app[CLOSING] = asyncio.Event()


async def start(app: web.Application) -> None:
    app[TASKS] = []
    if not app[BACKGROUND]:
        return
    sync_seconds = float_env("HANDOFF_SYNC_SECONDS", 5.0)
    sweep_seconds = float_env("HANDOFF_SWEEP_SECONDS", 60.0)
    app[TASKS] = [
        asyncio.create_task(_every(app, sync_seconds, sync_once, "tracker sync")),
        asyncio.create_task(_every(app, sweep_seconds, sweep_once, "abandon sweep")),
    ]


async def on_shutdown(app: web.Application) -> None:
    app[CLOSING].set()  # ends SSE streams and background loops


async def on_cleanup(app: web.Application) -> None:
    for task in app.get(TASKS, []):
        task.cancel()
    for task in app.get(TASKS, []):
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass
    await app[RASA].close()

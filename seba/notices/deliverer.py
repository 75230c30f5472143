"""Sends order notices through Rasa: one task in every Rasa worker (``attach``).

Each tick a worker leases due notices (``outbox.lease_due``), and for each one, under the
conversation's lock (Rasa's lock store, shared by the workers):

1. already in the transcript (an ``EXTERNAL_*`` event carrying this notice's id: a worker
   died after sending, before writing ``sent``) → marked sent, not sent again;
2. the conversation is with an agent, or a form is open → ``waiting`` (``with_agent`` /
   ``busy``), looked at again later;
3. Messenger, the customer's last message older than 24 hours → ``waiting``
   (``outside_window``) unless the shop allows a message tag (docs/customer-updates.md);
4. web, no socket of that visitor on this worker → ``waiting`` (``not_connected``): the
   worker that holds the visitor's socket takes it at its next tick;
5. else ``trigger_intent`` with the channel's output channel: the rule runs
   ``action_order_update``, which speaks in the conversation's language.

Guarantee: one worker at a time holds a notice (the lease); the check against the
transcript and the send happen under the conversation's lock, so a notice is in the
transcript once. The customer can get it twice only if the process dies after the
platform took the message and before Rasa saved the tracker (the same step: milliseconds).
"""

import asyncio
import datetime as dt
import logging
import os
from typing import Any, List, Optional, Tuple

from rasa.shared.core.events import BotUttered, UserUttered

from channels import ChannelDeliveryError
from seba.db import local_now
from seba.notices import outbox
from seba.notices.config import notice_settings, poll_seconds, recheck_seconds

logger = logging.getLogger(__name__)

UPDATE_INTENT = "EXTERNAL_order_update"
FAILED_INTENT = "EXTERNAL_delivery_failed"
NOTICE_INTENTS = (UPDATE_INTENT, FAILED_INTENT)
MESSENGER_WINDOW = dt.timedelta(hours=24)
MAX_ATTEMPTS = 6  # sends the platform refused; then ``failed`` (the shop sees it)
ENABLED_ENV = "SEBA_NOTICES"  # "off": no deliverer in this process


def intent_for(kind: str) -> str:
    return FAILED_INTENT if kind == "failed_attempt" else UPDATE_INTENT


def entities_for(plan: outbox.Plan) -> List[dict]:
    values = {
        "notice_id": str(plan.id),
        "notice_order": plan.order_number,
        "notice_stage": plan.stage if plan.kind == "stage" else plan.kind,
    }
    if plan.detail:
        values["notice_detail"] = plan.detail
    return [{"entity": name, "value": value} for name, value in values.items()]


def already_told(events: Any, notice_id: int) -> bool:
    wanted = str(notice_id)
    for event in events:
        if isinstance(event, UserUttered) and event.intent_name in NOTICE_INTENTS:
            if any(
                e.get("entity") == "notice_id" and str(e.get("value")) == wanted
                for e in event.entities or []
            ):
                return True
    return False


def last_customer_message(events: Any) -> Optional[float]:
    """When the customer last wrote (an external event is not the customer)."""
    for event in reversed(list(events)):
        if isinstance(event, UserUttered) and not (event.metadata or {}).get("is_external"):
            return event.timestamp
    return None


def inside_window(events: Any, now: float) -> bool:
    last = last_customer_message(events)
    return last is not None and now - last < MESSENGER_WINDOW.total_seconds()


class Deliverer:
    """The notice loop of one Rasa worker (``app``: Rasa's Sanic app)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._task: Optional[asyncio.Task] = None

    # -- the channels this worker serves -------------------------------------------------

    def _input(self, name: str) -> Any:
        for channel in getattr(self.app.ctx, "input_channels", None) or []:
            if channel.name() == name:
                return channel
        return None

    def connected(self) -> List[str]:
        """Web conversations with a socket on this worker (socket.io rooms are per process,
        also with the Redis manager)."""
        web = self._input("socketio")
        sio = getattr(web, "sio", None)
        if sio is None:
            return []
        rooms = sio.manager.rooms.get(web.namespace or "/", {})
        return [r for r, sids in list(rooms.items()) if r and r.startswith("web:") and sids]

    def output_for(self, channel: str, tag: Optional[str] = None) -> Any:
        source = self._input(channel)
        if source is None:
            return None
        if channel == "facebook" and tag:
            from channels.facebook import SebaMessengerBot

            if source.problem:
                return None
            return SebaMessengerBot(source.client(), strict=True, tag=tag)
        return source.get_output_channel()

    # -- the loop ------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the loop must outlive one bad tick
                logger.exception("Order notices: tick failed; trying again.")
            await asyncio.sleep(poll_seconds())

    async def tick(self) -> int:
        agent = getattr(self.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return 0
        ids = await asyncio.to_thread(outbox.lease_due, None, self.connected())
        for notice_id in ids:
            await self.deliver(agent, notice_id)
        return len(ids)

    async def deliver(self, agent: Any, notice_id: int) -> str:
        try:
            plan = await asyncio.to_thread(outbox.plan, notice_id)
            if plan.skip_reason:
                state, reason = "skipped", plan.skip_reason
            else:
                state, reason = await self._send(agent, plan)
        except Exception:  # noqa: BLE001 - the notice is retried after a rest
            logger.exception("Order notice %s: could not be delivered now.", notice_id)
            state, reason = "waiting", "error"
        due = None
        if state == "waiting":
            due = local_now() + dt.timedelta(seconds=recheck_seconds())
        await asyncio.to_thread(outbox.finish, notice_id, state, reason, due)
        logger.info("Order notice %s: %s%s", notice_id, state, f" ({reason})" if reason else "")
        return state

    async def _send(self, agent: Any, plan: outbox.Plan) -> Tuple[str, Optional[str]]:
        conversation = plan.conversation_id
        tag = notice_settings().messenger_tag if plan.channel == "facebook" else None
        async with agent.lock_store.lock(conversation):
            processor = agent.processor
            tracker = await processor.get_tracker(conversation)
            events = list(tracker.events)
            if already_told(events, plan.id):
                return "sent", "found_in_transcript"
            if tracker.is_paused():
                return "waiting", "with_agent"
            if tracker.active_loop_name:
                return "waiting", "busy"
            if plan.channel == "facebook" and inside_window(events, local_now().timestamp()):
                tag = None  # inside the window: a normal message
            elif plan.channel == "facebook" and not tag:
                return "waiting", "outside_window"
            if plan.channel == "socketio" and conversation not in self.connected():
                return "waiting", "not_connected"
            output = self.output_for(plan.channel, tag)
            if output is None:
                return "waiting", "channel_unavailable"
            # As Rasa's trigger_intent endpoint does: a new session starts if the old expired.
            tracker = await processor.fetch_tracker_and_update_session(conversation, output)
            before = len(tracker.events)
            try:
                await agent.trigger_intent(
                    intent_for(plan.kind), entities_for(plan), output, tracker
                )
            except ChannelDeliveryError as error:
                logger.warning("Order notice %s not delivered: %s", plan.id, error)
                return ("failed", "refused") if self._attempts(plan) else ("waiting", "refused")
            said = [e for e in list(tracker.events)[before:] if isinstance(e, BotUttered)]
            if not said:  # the model has no rule for it: nothing reached the customer
                return "failed", "no_reply"
            return "sent", None

    @staticmethod
    def _attempts(plan: outbox.Plan) -> bool:
        return plan.attempts >= MAX_ATTEMPTS


def attach(app: Any) -> None:
    """Run a deliverer in this Rasa server's workers (``SEBA_NOTICES=off``: not at all)."""
    if os.environ.get(ENABLED_ENV, "").strip().lower() in ("off", "0", "false", "no"):
        return

    async def start(running_app: Any, _loop: Any = None) -> None:
        running_app.ctx.seba_notices = Deliverer(running_app)
        running_app.ctx.seba_notices.start()

    async def stop(running_app: Any, _loop: Any = None) -> None:
        deliverer = getattr(running_app.ctx, "seba_notices", None)
        if deliverer is not None:
            await deliverer.stop()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")

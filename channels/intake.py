"""Durable intake for webhooks: stored before the platform gets its 200, handled once, in order.

Telegram and Meta do not resend an update they got a 200 for, and resend one they did not.
So a connector stores each update (``store``, in the shop database: table
``channel_updates``) and answers 200 only after the row is committed — if the database
cannot take it, the webhook answers 503 and the platform tries again later. A redelivery has
the same platform id (Telegram ``update_id``, Messenger message id) and is stored, and
answered, once.

A worker in each Rasa process (``start``, when the server starts) handles the stored updates:
in arrival order within a conversation, different conversations at the same time. It
**claims** a row — the oldest unfinished one of its conversation, and only when no other row
of that conversation is being handled — with a conditional UPDATE, so several Rasa processes
on one database never handle one update twice or two of one conversation at once. A claim is
a lease (``LEASE_SECONDS``, renewed while the handler runs): if the process dies (kill -9, a
restart) the lease runs out and the update is handled again — by the restarted process at
once on SQLite (only one Rasa process uses an SQLite file), by any process after the lease
on PostgreSQL. Rasa skips a message whose ``message_id`` it already recorded
(``SebaMessageProcessor``), so a crash after the reply but before the row was marked done
does not answer twice. Done rows keep no message text and are deleted after ``KEEP_DONE``.
"""

import asyncio
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Set, Tuple

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from seba.db import local_now, session_scope
from seba.db.models import ChannelUpdate

logger = logging.getLogger(__name__)

LEASE_SECONDS = 30
POLL_SECONDS = 1.0  # how often other processes' rows and expired leases are looked for
IDLE_POLL_SECONDS = 10.0  # ... when nothing came for a while (a new update wakes it at once)
MAX_ATTEMPTS = 5  # an update that failed this often is given up (logged)
KEEP_DONE = dt.timedelta(days=2)  # redeliveries come within hours
CONCURRENCY = 32


def _several_workers() -> bool:
    try:
        return int(os.environ.get("SANIC_WORKERS") or 1) > 1
    except ValueError:
        return False


class IntakeUnavailable(Exception):
    """The update could not be stored: the webhook answers 503 and the platform retries."""


@dataclass(frozen=True)
class Job:
    id: int
    conversation_id: str
    payload: Dict[str, Any]


Handler = Callable[[Dict[str, Any]], Awaitable[Any]]


class Intake:
    def __init__(
        self, channel: str, url: Optional[str] = None, concurrency: int = CONCURRENCY
    ) -> None:
        self.channel = channel
        self._url = url
        self.concurrency = concurrency
        self._handler: Optional[Handler] = None
        self._wake: Optional[asyncio.Event] = None  # made on the running loop
        self._worker: Optional[asyncio.Task] = None
        self._running: Set[asyncio.Task] = set()
        self._stopping = False
        self._last_cleanup = dt.datetime.min

    @property
    def url(self) -> Optional[str]:
        return self._url  # None: seba.db's DATABASE_URL, read when used

    # --- the webhook side --------------------------------------------------------------

    async def store(self, items: Iterable[Tuple[str, str, Dict[str, Any]]]) -> int:
        """Store (external id, conversation id, payload) rows; returns how many were new.
        Raises IntakeUnavailable when the database cannot take them."""
        rows = list(items)
        if not rows:
            return 0
        try:
            new = await asyncio.to_thread(self._insert, rows)
        except Exception as error:  # noqa: BLE001 - any database failure: let the platform retry
            raise IntakeUnavailable(str(error)) from error
        if new:
            self.notify()
        return new

    def _insert(self, rows: List[Tuple[str, str, Dict[str, Any]]]) -> int:
        now = local_now()
        with session_scope(self.url) as session:
            dialect = session.get_bind().dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            new = 0
            for external_id, conversation_id, payload in rows:
                result = session.execute(
                    insert(ChannelUpdate)
                    .values(
                        channel=self.channel,
                        external_id=str(external_id)[:120],
                        conversation_id=conversation_id,
                        received_at=now,
                        state="pending",
                        attempts=0,
                        payload=json.dumps(payload, ensure_ascii=False),
                    )
                    .on_conflict_do_nothing()
                )
                new += result.rowcount or 0
            return new

    # --- the worker -----------------------------------------------------------------------

    def start(self, handler: Handler) -> None:
        """Start handling stored updates on the running loop (Sanic's after_server_start)."""
        self._handler = handler
        self._wake = asyncio.Event()
        self._stopping = False
        self._worker = asyncio.get_running_loop().create_task(self._work())

    def notify(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def stop(self, timeout: float = 10.0) -> None:
        """Let running handlers finish for a while; unfinished rows stay for the next start."""
        self._stopping = True
        self.notify()
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)
        for task in list(self._running) + ([self._worker] if self._worker else []):
            task.cancel()
        await asyncio.gather(
            *self._running, *([self._worker] if self._worker else []), return_exceptions=True
        )

    async def join(self, timeout: float = 30.0) -> bool:
        """Wait until every stored update of this channel is done (tests, shutdown)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if not self._running and not await asyncio.to_thread(self._unfinished):
                return True
            await asyncio.sleep(0.05)
        return False

    def _unfinished(self) -> int:
        with session_scope(self.url) as session:
            return session.execute(
                select(func.count(ChannelUpdate.id)).where(
                    ChannelUpdate.channel == self.channel,
                    ChannelUpdate.state != "done",
                )
            ).scalar_one()

    async def _work(self) -> None:
        try:
            await asyncio.to_thread(self._recover)
        except Exception:  # noqa: BLE001 - the database may come back: leases expire anyway
            logger.exception("%s intake: could not recover unfinished updates", self.channel)
        failing, idle = False, 0
        while not self._stopping:
            self._wake.clear()
            jobs: List[Job] = []
            try:
                free = self.concurrency - len(self._running)
                jobs = await asyncio.to_thread(self._claim, free) if free > 0 else []
                for job in jobs:
                    task = asyncio.get_running_loop().create_task(self._run(job))
                    self._running.add(task)
                    task.add_done_callback(self._finished)
                await asyncio.to_thread(self._cleanup)
                if failing:
                    logger.info("%s intake: the database is back", self.channel)
                failing = False
            except Exception:  # noqa: BLE001 - keep the worker alive through outages
                if not failing:
                    logger.exception("%s intake: cannot read stored updates", self.channel)
                failing = True
            # Poll often while there is work, then rarely: stores on this process notify.
            idle = 0 if (jobs or self._running) else idle + 1
            wait = POLL_SECONDS if idle < 10 else IDLE_POLL_SECONDS
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except asyncio.TimeoutError:
                pass

    def _finished(self, task: asyncio.Task) -> None:
        self._running.discard(task)
        self.notify()  # the next update of that conversation may go

    async def _run(self, job: Job) -> None:
        renew = asyncio.get_running_loop().create_task(self._keep_lease(job.id))
        try:
            await self._handler(job.payload)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - logged; the update is not retried forever
            logger.exception(
                "%s intake: handling update %s of %s failed",
                self.channel,
                job.id,
                job.conversation_id,
            )
        finally:
            renew.cancel()
        try:
            await asyncio.to_thread(self._done, job.id)
        except Exception:  # noqa: BLE001 - its lease runs out; it is handled again (once)
            logger.exception("%s intake: could not mark update %s done", self.channel, job.id)

    async def _keep_lease(self, job_id: int) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            try:
                await asyncio.to_thread(self._renew, job_id)
            except Exception:  # noqa: BLE001 - try again at the next beat
                logger.warning("%s intake: could not renew the lease of %s", self.channel, job_id)

    # --- SQL ------------------------------------------------------------------------------

    def _recover(self) -> None:
        """At start-up on SQLite with one Rasa process: rows left 'processing' by a process
        that died are handled again at once. With several workers (SANIC_WORKERS) another
        worker may be handling them right now: their leases run out instead."""
        if _several_workers():
            return
        with session_scope(self.url) as session:
            if session.get_bind().dialect.name != "sqlite":
                return
            session.execute(
                update(ChannelUpdate)
                .where(
                    ChannelUpdate.channel == self.channel,
                    ChannelUpdate.state == "processing",
                )
                .values(state="pending", lease_until=None)
                .execution_options(synchronize_session=False)
            )

    def _claim(self, limit: int) -> List[Job]:
        now = local_now()
        row, unfinished, busy = (
            aliased(ChannelUpdate),
            aliased(ChannelUpdate),
            aliased(ChannelUpdate),
        )
        claimable = or_(
            row.state == "pending", and_(row.state == "processing", row.lease_until < now)
        )
        oldest_of_conversation = (
            row.id
            == select(func.min(unfinished.id))
            .where(
                unfinished.conversation_id == row.conversation_id,
                unfinished.state != "done",
            )
            .scalar_subquery()
        )
        someone_handles_it = exists().where(
            busy.conversation_id == row.conversation_id,
            busy.state == "processing",
            busy.lease_until >= now,
        )
        jobs: List[Job] = []
        with session_scope(self.url) as session:
            candidates = session.execute(
                select(row.id, row.conversation_id, row.payload, row.attempts)
                .where(
                    row.channel == self.channel,
                    claimable,
                    oldest_of_conversation,
                    ~someone_handles_it,
                )
                .order_by(row.id)
                .limit(limit)
            ).all()
            for job_id, conversation_id, payload, attempts in candidates:
                if attempts >= MAX_ATTEMPTS:
                    logger.error(
                        "%s intake: update %s of %s failed %d times; given up",
                        self.channel,
                        job_id,
                        conversation_id,
                        attempts,
                    )
                    self._mark_done(session, job_id, now)
                    continue
                won = session.execute(
                    update(ChannelUpdate)
                    .where(
                        ChannelUpdate.id == job_id,
                        or_(
                            ChannelUpdate.state == "pending",
                            and_(
                                ChannelUpdate.state == "processing", ChannelUpdate.lease_until < now
                            ),
                        ),
                    )
                    .values(
                        state="processing",
                        attempts=ChannelUpdate.attempts + 1,
                        lease_until=now + dt.timedelta(seconds=LEASE_SECONDS),
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount
                if won:
                    jobs.append(Job(job_id, conversation_id, json.loads(payload)))
        return jobs

    @staticmethod
    def _mark_done(session: Any, job_id: int, now: dt.datetime) -> None:
        session.execute(
            update(ChannelUpdate)
            .where(ChannelUpdate.id == job_id)
            .values(
                state="done",
                done_at=now,
                lease_until=None,
                payload="{}",
            )
            .execution_options(synchronize_session=False)
        )

    def _done(self, job_id: int) -> None:
        with session_scope(self.url) as session:
            self._mark_done(session, job_id, local_now())

    def _renew(self, job_id: int) -> None:
        with session_scope(self.url) as session:
            session.execute(
                update(ChannelUpdate)
                .where(
                    ChannelUpdate.id == job_id,
                    ChannelUpdate.state == "processing",
                )
                .values(lease_until=local_now() + dt.timedelta(seconds=LEASE_SECONDS))
                .execution_options(synchronize_session=False)
            )

    def _cleanup(self) -> None:
        now = local_now()
        if now - self._last_cleanup < dt.timedelta(minutes=10):
            return
        self._last_cleanup = now
        with session_scope(self.url) as session:
            session.execute(
                delete(ChannelUpdate).where(
                    ChannelUpdate.channel == self.channel,
                    ChannelUpdate.state == "done",
                    ChannelUpdate.done_at < now - KEEP_DONE,
                )
            )

"""Rasa's Redis lock store, with each change of a conversation's ticket lock made atomic.

Rasa's ``RedisLockStore`` reads a conversation's ticket lock from Redis, changes it and writes
it back, with nothing in between keeping another process out. Two Rasa processes taking
messages of one conversation at the same moment (the scale-out path, or ``make run``'s two
workers) can then overwrite each other's ticket, and the one whose ticket was lost finds the
lock deleted by the other's clean-up and fails with ``LockError``: the customer gets an
apology and the message is not recorded (tests/e2e/test_scale_out.py caught it). Here each
read-modify-write (issue a ticket, drop expired ones, finish and clean up) runs under a short
Redis mutex of that conversation (redis-py's ``Lock``: SET NX with expiry), so tickets are
never lost. Waiting for one's turn stays Rasa's own loop.

endpoints.yml::

    lock_store:
      type: seba.lock_store.AtomicRedisLockStore
      url: ...   # the same settings as type: redis
"""

from typing import Any, Optional, Text

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

MUTEX_SECONDS = 10  # a ticket change takes milliseconds; the mutex expires if a process dies


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # built by Rasa from endpoints.yml (a custom type)
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs}
        super().__init__(**kwargs)

    def _mutex(self, conversation_id: Text) -> Any:
        return self.red.lock(
            f"{self.key_prefix}{conversation_id}:mutex",
            timeout=MUTEX_SECONDS,
            blocking_timeout=MUTEX_SECONDS,
        )

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)

"""Login throttling that slows a guesser down but cannot be used to lock a real agent out.

Failed logins are rows in ``handoff_login_failures`` (they survive restarts and hold across
several console processes), counted per key over a sliding window (``window``, 24 h):

- ``account:<username>`` and ``address:<client address>`` for a browser without a device
  cookie of that account;
- ``device:<username>:<device id>`` alone for a browser that shows a valid device cookie of
  that account: it logged in as that account before, so a stranger's failures on the
  account (which land on the account key) do not slow the real agent down.

A key's first ``free_failures`` cost nothing; after that the next attempt waits
``first_delay × 2^(n − free)`` seconds from the latest failure (1 s, 2 s, 4 s …), at most
``max_delay`` (15 minutes). An attempt that comes too early is refused (429, Retry-After)
without looking at the password, and is not counted: never a permanent lockout.

Each attempt is counted *before* the password is checked (and uncounted on success), in
one transaction that racing attempts take one after another, so a burst of parallel
guesses cannot all slip through before the first one is recorded.

The device cookie (``seba_device_<username>``, 180 days, HttpOnly, only sent to /login) is
``<device id>.<issued>.<HMAC>``, signed with ``seba.secrets.derived_key("console-device")``
over the username too: it cannot be forged, nor moved to another account.
"""

import base64
import datetime as dt
import hashlib
import hmac
import math
import re
import secrets as _random
from dataclasses import dataclass
from typing import List, Optional, Sequence

from sqlalchemy import delete, func, or_, select, text

from handoff.db import session_scope
from handoff.models import LoginFailure

DEVICE_COOKIE_PREFIX = "seba_device_"
DEVICE_DAYS = 180
_USERNAME = re.compile(r"[a-z0-9._-]{1,64}")


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 3  # per account, and per account + device
    free_failures_per_address: int = 10  # several agents of one office may share an address
    first_delay_seconds: int = 1
    max_delay_seconds: int = 15 * 60
    window: dt.timedelta = dt.timedelta(hours=24)

    def delay_after(self, failures: int, free: int) -> int:
        """Seconds the next attempt waits after ``failures`` failures (0: at once)."""
        if failures < free:
            return 0
        doublings = min(failures - free, 30)  # 2**30 s is far past the cap anyway
        return min(self.first_delay_seconds * 2**doublings, self.max_delay_seconds)


@dataclass(frozen=True)
class ThrottleKey:
    name: str
    free: int  # failures without delay


@dataclass(frozen=True)
class Attempt:
    """A login attempt the throttle let through (counted as a failure until it succeeds)."""

    wait_seconds: int  # > 0: refused, try again after this long
    keys: Sequence[ThrottleKey] = ()
    failure_ids: Sequence[int] = ()


def _lock_id(key: str) -> int:
    """A signed 64-bit number for PostgreSQL's advisory lock on ``key``."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big", signed=True)


class LoginThrottle:
    def __init__(self, policy: Optional[ThrottlePolicy] = None) -> None:
        self.policy = policy or ThrottlePolicy()

    def keys(self, username: str, address: str, device_id: Optional[str]) -> List[ThrottleKey]:
        if device_id:
            return [ThrottleKey(f"device:{username}:{device_id}"[:200], self.policy.free_failures)]
        return [
            ThrottleKey(f"account:{username}"[:200], self.policy.free_failures),
            ThrottleKey(f"address:{address}"[:200], self.policy.free_failures_per_address),
        ]

    def begin(
        self, keys: Sequence[ThrottleKey], now: dt.datetime, url: Optional[str] = None
    ) -> Attempt:
        """Refuse the attempt (``wait_seconds`` > 0) or count it as a failure in advance."""
        since = now - self.policy.window
        with session_scope(url) as session:
            if session.get_bind().dialect.name == "postgresql":
                for key in sorted({k.name for k in keys}):  # sorted: no deadlock between keys
                    session.execute(
                        text("SELECT pg_advisory_xact_lock(:id)"), {"id": _lock_id(key)}
                    )
            # A write first: on SQLite it takes the write lock, so racing attempts (threads
            # or processes) run this transaction one after another.
            session.execute(delete(LoginFailure).where(LoginFailure.created_at <= since))
            wait = 0
            for key in keys:
                count, latest = session.execute(
                    select(func.count(LoginFailure.id), func.max(LoginFailure.created_at)).where(
                        LoginFailure.throttle_key == key.name, LoginFailure.created_at > since
                    )
                ).one()
                delay = self.policy.delay_after(int(count), key.free)
                if delay and latest is not None:
                    left = math.ceil((latest + dt.timedelta(seconds=delay) - now).total_seconds())
                    wait = max(wait, min(left, delay))
            if wait > 0:
                return Attempt(wait)
            rows = [LoginFailure(throttle_key=key.name, created_at=now) for key in keys]
            session.add_all(rows)
            session.flush()
            return Attempt(0, tuple(keys), tuple(row.id for row in rows))

    def succeeded(self, attempt: Attempt, url: Optional[str] = None) -> None:
        """The password was right: uncount the attempt and forget the account's (or the
        device's) failures. The address's failures stay: a login to one's own account must
        not reset a guesser's count on the shared address."""
        forget = [k.name for k in attempt.keys if not k.name.startswith("address:")]
        with session_scope(url) as session:
            session.execute(
                delete(LoginFailure).where(
                    or_(
                        LoginFailure.id.in_(list(attempt.failure_ids)),
                        LoginFailure.throttle_key.in_(forget),
                    )
                )
            )

    def failures(self, key: str, now: dt.datetime, url: Optional[str] = None) -> int:
        """How many failures ``key`` had within the window (the accounts page shows them)."""
        with session_scope(url) as session:
            return int(
                session.execute(
                    select(func.count(LoginFailure.id)).where(
                        LoginFailure.throttle_key == key,
                        LoginFailure.created_at > now - self.policy.window,
                    )
                ).scalar_one()
            )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


class DeviceCookies:
    """Signed "this browser logged in as <username> before" cookies."""

    def __init__(self, key: bytes, days: int = DEVICE_DAYS) -> None:
        self._key = key
        self.days = days

    @staticmethod
    def cookie_name(username: str) -> Optional[str]:
        """The account's cookie name; None for a name no account can have."""
        return DEVICE_COOKIE_PREFIX + username if _USERNAME.fullmatch(username or "") else None

    def _mac(self, username: str, device_id: str, issued: int) -> str:
        message = f"console-device\n{username}\n{device_id}\n{issued}".encode("utf-8")
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def issue(self, username: str, now_epoch: float, device_id: Optional[str] = None) -> str:
        device_id = device_id or _b64(_random.token_bytes(16))
        issued = int(now_epoch)
        return f"{device_id}.{issued}.{self._mac(username, device_id, issued)}"

    def device_of(self, username: str, value: Optional[str], now_epoch: float) -> Optional[str]:
        """The device id in a valid, unexpired cookie of ``username``; else None."""
        if not value or len(value) > 200 or value.count(".") != 2:
            return None
        device_id, issued_text, mac = value.split(".")
        try:
            issued = int(issued_text)
        except ValueError:
            return None
        if not hmac.compare_digest(
            mac.encode("ascii", "replace"), self._mac(username, device_id, issued).encode("ascii")
        ):
            return None
        if not 0 <= now_epoch - issued <= self.days * 86400:
            return None
        return device_id

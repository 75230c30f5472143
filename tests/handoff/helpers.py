"""Helpers shared by the handoff tests (constants, an agent's HTTP client, starting the console).

Kept out of conftest.py so that test modules import them as ``tests.handoff.helpers``.
"""

import asyncio
import datetime as dt
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import requests

from handoff.db import local_now
from seba import verification
from seba.settings import VerificationPolicy
from tests.servers import Server, free_port

PASSWORD = "correct horse 42"

# Agent hours used by the tests (shop.yml copy): 10:00-20:00, closed on Friday.
# 2025-01-06 is a Monday, 2025-01-10 a Friday.
MONDAY_NOON = dt.datetime(2025, 1, 6, 12, 0)
MONDAY_NIGHT = dt.datetime(2025, 1, 6, 21, 0)
THURSDAY_NIGHT = dt.datetime(2025, 1, 9, 21, 0)
FRIDAY_NOON = dt.datetime(2025, 1, 10, 12, 0)


# --- the console as a real process ------------------------------------------------------------


@dataclass
class Console:
    url: str
    db_url: str
    server: Server

    def login(self, username: str, password: str = PASSWORD) -> "AgentClient":
        client = AgentClient(self.url)
        client.login(username, password)
        return client


class AgentClient:
    """An agent's browser: a requests.Session that keeps the cookies and the CSRF token."""

    def __init__(self, base: str, headers: Optional[Dict[str, str]] = None) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers.update(headers or {})  # e.g. X-Forwarded-For from a proxy
        self.csrf: Optional[str] = None

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return self.http.get(self.base + path, **kwargs)

    def post(
        self,
        path: str,
        data: Optional[Dict] = None,
        csrf: bool = True,
        json_api: bool = False,
        **kwargs,
    ) -> requests.Response:
        data = dict(data or {})
        if csrf and self.csrf:
            data.setdefault("csrf_token", self.csrf)
        headers = kwargs.pop("headers", {})
        if json_api:
            headers["Accept"] = "application/json"
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        return self.http.post(self.base + path, data=data, headers=headers, **kwargs)

    @staticmethod
    def csrf_in(html: str) -> Optional[str]:
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        return match.group(1) if match else None

    def login(self, username: str, password: str) -> requests.Response:
        page = self.get("/login")
        token = self.csrf_in(page.text)
        response = self.http.post(
            self.base + "/login",
            data={"csrf_token": token, "username": username, "password": password},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code == 303:
            queue_page = self.get("/")
            self.csrf = self.csrf_in(queue_page.text)
        return response


def start_console(workdir: Path, db_url: str, env: Dict[str, str]) -> Server:
    port = free_port()
    server = Server(
        "handoff console",
        [sys.executable, "-m", "handoff", "serve", "--host", "127.0.0.1", "--port", str(port)],
        workdir / "console.log",
        env={"HANDOFF_DATABASE_URL": db_url, **env},
    )
    server.port = port  # type: ignore[attr-defined]
    return server.wait_ready(f"http://127.0.0.1:{port}/healthz", timeout=60)


def set_cookies(response: requests.Response) -> List[str]:
    """Every Set-Cookie header of a response, one string each."""
    return response.raw.headers.getlist("Set-Cookie")


# --- the console app in this process (injected clock and proxy settings) -------------------------


class FakeClock:
    """The console's "now" (naive shop-local time), moved by the test instead of sleeping."""

    def __init__(self, start: Optional[dt.datetime] = None) -> None:
        self.moment = start or local_now()

    def __call__(self) -> dt.datetime:
        return self.moment

    def advance(self, **delta: float) -> dt.datetime:
        self.moment += dt.timedelta(**delta)
        return self.moment


class InProcessConsole:
    """``create_app`` on a free port, served by a thread of the test process, so that the
    test can inject the clock and the trusted proxies. Talk to it over real HTTP
    (``AgentClient``) like to the console process."""

    def __init__(self, handoff_url: str, shop_url: str, clock: FakeClock, **options) -> None:
        self.db_url, self.shop_url, self.clock, self.options = handoff_url, shop_url, clock, options
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner = None

    def start(self) -> "InProcessConsole":
        from aiohttp import web

        from handoff.console.app import create_app

        async def up():
            app = create_app(
                url=self.db_url,
                shop_url=self.shop_url,
                clock=self.clock,
                background=False,
                **self.options,
            )
            self.app = app
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

        self._thread.start()
        asyncio.run_coroutine_threadsafe(up(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        if self._loop.is_closed():
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def client(self, **headers: str) -> AgentClient:
        return AgentClient(self.url, headers={k.replace("_", "-"): v for k, v in headers.items()})

    def login(self, username: str, password: str = PASSWORD, **headers: str) -> AgentClient:
        client = self.client(**headers)
        response = client.login(username, password)
        assert response.status_code == 303, (response.status_code, response.text[:300])
        client.csrf = client.csrf or client.csrf_in(client.get(response.headers["Location"]).text)
        return client


# --- verification locks in the shop database ---------------------------------------------------

# Three wrong phones for one order lock it (the demo shop's order 10456 has 01711000001).
LOCK_RULES = VerificationPolicy(
    window_minutes=60,
    max_failures_per_order=3,
    lock_hours=24,
    max_failures_per_phone=10,
    max_failures_per_conversation=5,
    slow_down_seconds=1,
    idle_minutes=30,
)
LOCKED_ORDER, ORDER_PHONE = "10456", "01711000001"
WRONG_PHONES = ["01711000101", "01711000102", "01711000103"]


def make_lock(
    shop_url: str,
    conversation_id: str,
    order: str = LOCKED_ORDER,
    now: Optional[dt.datetime] = None,
) -> None:
    """Lock ``order`` the way a stranger does: wrong phones from ``conversation_id``."""
    now = now or local_now()
    outcomes = [
        verification.check(
            order,
            phone,
            conversation_id,
            "telegram",
            now=now - dt.timedelta(minutes=len(WRONG_PHONES) - n),
            rules=LOCK_RULES,
            url=shop_url,
        ).status
        for n, phone in enumerate(WRONG_PHONES)
    ]
    assert outcomes == [verification.MISMATCH, verification.MISMATCH, verification.LOCKED]

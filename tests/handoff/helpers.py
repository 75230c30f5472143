"""Helpers shared by the handoff tests (constants, an agent's HTTP client, starting the console).

Kept out of conftest.py so that test modules import them as ``tests.handoff.helpers``.
"""

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

import requests

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

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.csrf: Optional[str] = None

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return self.http.get(self.base + path, **kwargs)

    def post(self, path: str, data: Optional[Dict] = None, csrf: bool = True,
             json_api: bool = False, **kwargs) -> requests.Response:
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
            allow_redirects=False, timeout=30,
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

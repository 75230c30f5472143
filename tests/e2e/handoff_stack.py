"""The whole handoff path as real processes, for the end-to-end handoff tests.

``start_handoff_stack`` starts the action server, ``python -m seba.server run`` (REST,
web chat and Telegram channels, Messenger too with ``fake_graph``; HTTP API with JWT) and
the agent console (``python -m handoff serve``) over one migrated SQLite handoff database,
with two agents (rina "রিনা", karim "Karim") and a copy of shop.yml whose agent hours cover
the whole day, every day, so the "in the queue" branch does not depend on the wall clock.
Only the far sides of Telegram's Bot API and Meta's Graph API are fakes
(tests/channels/fakes.py).

``WebCustomer`` is a customer on the website chat bubble: python-socketio's AsyncClient
against the web chat channel (``session_request`` with the token it holds, if any — the
server confirms it or issues a new one —, ``user_uttered`` with ``customData``,
``bot_uttered``), on its own event loop in a background thread so that tests stay plain
functions.
"""

import asyncio
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import yaml

from handoff import agents, migrate
from handoff.db import dispose
from tests.handoff.helpers import PASSWORD, AgentClient, Console, start_console
from tests.servers import ROOT, RasaStack, http, start_rasa_stack  # noqa: F401 - http re-exported

TELEGRAM_SECRET = "handoff-e2e-secret"
#: Messenger's settings when a fake Graph API is given (``fake_graph``).
FACEBOOK = {
    "verify": "handoff-e2e-verify",
    "secret": "handoff-e2e-app-secret",
    "token": "HANDOFF-E2E-PAGE-TOKEN",
}

CREDENTIALS = """\
channels.rest.RestInput:
channels.webchat.WebChatInput:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  metadata_key: customData
channels.telegram.TelegramInput:
"""
MESSENGER_CREDENTIALS = "channels.facebook.MessengerInput:\n"


@dataclass
class HandoffStack:
    rasa: RasaStack
    console: Console
    db_url: str
    settings: Path

    def login(self, username: str) -> AgentClient:
        client = self.console.login(username, PASSWORD)
        assert client.csrf, f"{username} could not log in to the console"
        return client


def all_day_settings(path: Path, overrides: Optional[Dict[str, Any]] = None) -> Path:
    """shop.yml with agent hours 00:00-23:59:59 on every day (and ``overrides`` per section)."""
    raw = yaml.safe_load((ROOT / "shop.yml").read_text(encoding="utf-8"))
    raw["hours"]["agents"] = {"open": "00:00", "close": "23:59:59", "closed_days": []}
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update(values)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def start_handoff_stack(
    stack: ExitStack,
    workdir: Path,
    shop_db_url: str,
    fake_telegram: Any = None,
    settings_overrides: Optional[Dict[str, Any]] = None,
    fake_graph: Any = None,
) -> HandoffStack:
    workdir.mkdir(parents=True, exist_ok=True)
    settings = all_day_settings(workdir / "shop.yml", settings_overrides)
    db_url = f"sqlite:///{workdir / 'handoff.db'}"
    migrate.upgrade(db_url)
    agents.create_agent("rina", "রিনা", PASSWORD, url=db_url)
    agents.create_agent("karim", "Karim", PASSWORD, url=db_url)
    stack.callback(dispose, db_url)
    credentials = workdir / "credentials.yml"
    credentials.write_text(
        CREDENTIALS + (MESSENGER_CREDENTIALS if fake_graph is not None else ""), encoding="utf-8"
    )
    env = {
        "DATABASE_URL": shop_db_url,
        "HANDOFF_DATABASE_URL": db_url,
        "SEBA_SHOP_SETTINGS": str(settings),
    }
    if fake_telegram is not None:
        env.update(
            {
                "TELEGRAM_TOKEN": fake_telegram.token,
                "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
                "TELEGRAM_BOT_NAME": fake_telegram.username,
                "TELEGRAM_API_BASE_URL": fake_telegram.url,
            }
        )
    if fake_graph is not None:
        env.update(
            {
                "FACEBOOK_VERIFY_TOKEN": FACEBOOK["verify"],
                "FACEBOOK_APP_SECRET": FACEBOOK["secret"],
                "FACEBOOK_PAGE_ACCESS_TOKEN": FACEBOOK["token"],
                "FACEBOOK_GRAPH_URL": fake_graph.url,
            }
        )
    rasa = start_rasa_stack(stack, workdir / "rasa", env=env, credentials=credentials)
    server = start_console(
        workdir,
        db_url,
        {
            **env,
            "RASA_URL": rasa.url,
            "HANDOFF_SYNC_SECONDS": "1",
            "HANDOFF_SWEEP_SECONDS": "1",
        },
    )
    stack.callback(server.stop)
    return HandoffStack(
        rasa, Console(f"http://127.0.0.1:{server.port}", db_url, server), db_url, settings
    )


# --- HTTP helpers ------------------------------------------------------------------------------


def tracker(rasa: RasaStack, sender_id: str) -> Dict[str, Any]:
    return rasa.tracker(sender_id)


def wait_for(
    predicate: Callable[[], Any], timeout: float = 60, message: str = "", interval: float = 0.25
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(interval)


def logs(stack: HandoffStack, lines: int = 40) -> str:
    servers = list(stack.rasa.servers) + [stack.console.server]
    return "\n".join(f"--- {s.name} ---\n{s.log_tail(lines)}" for s in servers)


# --- a customer on the web bubble (socket.io) -----------------------------------------------------


class WebCustomer:
    """Rasa's socket.io channel as rasa-webchat uses it, from a background event loop."""

    def __init__(
        self,
        rasa_url: str,
        language: str = "bn",
        session_id: Optional[str] = None,
        transports: Optional[List[str]] = None,
    ) -> None:
        import socketio

        self.url = rasa_url
        self.language = language
        self.asked_for = session_id  # what the page holds (None: a first visit)
        self.transports = transports  # None: polling first, then websocket (the default)
        self.session_id: Optional[str] = None  # the token the server confirmed
        self.received: List[Dict[str, Any]] = []
        self._confirmed = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="web-customer", daemon=True
        )
        self._thread.start()
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("bot_uttered", self._on_bot_uttered)
        self.sio.on("session_confirm", self._on_session_confirm)

    async def _on_bot_uttered(self, data: Dict[str, Any]) -> None:
        self.received.append(data)

    async def _on_session_confirm(self, data: Any) -> None:
        self.session_id = data.get("session_id") if isinstance(data, dict) else data
        self._confirmed.set()

    @property
    def conversation_id(self) -> str:
        """Rasa's sender id for this visitor: ``web:`` + the token's random half."""
        assert self.session_id, "not connected"
        return f"web:{self.session_id[:32]}"

    def _run(self, coroutine, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def connect(self) -> "WebCustomer":
        self._run(
            self.sio.connect(self.url, socketio_path="/socket.io", transports=self.transports)
        )
        self._run(self.sio.emit("session_request", {"session_id": self.asked_for}))
        if not self._confirmed.wait(30):
            raise AssertionError("Rasa did not confirm the socket.io session")
        return self

    def say(self, text: str) -> int:
        """Send a message like the bubble does; returns how many messages had arrived."""
        before = len(self.received)
        self._run(
            self.sio.emit(
                "user_uttered",
                {
                    "message": text,
                    "session_id": self.session_id,
                    "customData": {"language": self.language, "session_id": self.session_id},
                },
            )
        )
        return before

    def texts(self, since: int = 0) -> List[str]:
        return [m.get("text", "") for m in self.received[since:]]

    def wait_for_text(
        self, predicate: Callable[[str], bool], since: int = 0, timeout: float = 90
    ) -> Dict[str, Any]:
        def found() -> Optional[Dict[str, Any]]:
            return next((m for m in self.received[since:] if predicate(m.get("text", ""))), None)

        return wait_for(found, timeout, f"no bot_uttered matched; got {self.texts(since)}")

    def close(self) -> None:
        try:
            self._run(self.sio.disconnect(), timeout=15)
        except Exception:  # already gone
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

"""Fake far sides for the channel tests: a Telegram Bot API and a Facebook Graph API.

Each is a small aiohttp app on 127.0.0.1 (a free port) that records every call and
answers like the real service does for the methods Seba uses. They run either on the
test's event loop (``async with FakeTelegram() as api``) or, for end-to-end tests with a
separate Rasa process, on a background thread (``api.start_in_thread()``).

Failures can be scripted: ``api.fail("sendMessage", 403, "Forbidden: bot was blocked")``.
"""

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web


@dataclass
class Call:
    method: str  # Bot API method ("sendMessage") or Graph path ("me/messages")
    params: Dict[str, Any]  # decoded parameters / JSON body
    query: Dict[str, str] = field(default_factory=dict)
    headers: Dict[str, str] = field(default_factory=dict)
    token: Optional[str] = None


@dataclass
class _Failure:
    method: str
    status: int
    body: Dict[str, Any]
    times: int


class FakeApi:
    """Records calls; subclasses add routes in ``routes()``."""

    def __init__(self) -> None:
        self.calls: List[Call] = []
        self._failures: List[_Failure] = []
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> "FakeApi":
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeApi":
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    def start_in_thread(self) -> "FakeApi":
        """Serve from a daemon thread with its own loop (for other processes to call)."""
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self.start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.stop())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        if not ready.wait(15):
            raise RuntimeError(f"{type(self).__name__} did not start")
        return self

    def stop_thread(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(15)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting and inspection ---------------------------------------------------

    def fail(
        self, method: str, status: int, description: str, times: int = 1, **extra: Any
    ) -> None:
        """The next ``times`` calls of ``method`` answer with this error."""
        self._failures.append(
            _Failure(method, status, self.error_body(status, description, extra), times)
        )

    def error_body(self, status: int, description: str, extra: Dict[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    def _take_failure(self, method: str) -> Optional[_Failure]:
        for failure in self._failures:
            if failure.method == method and failure.times > 0:
                failure.times -= 1
                return failure
        return None

    def of(self, method: str) -> List[Call]:
        return [c for c in list(self.calls) if c.method == method]

    def wait_for(self, predicate: Callable[["FakeApi"], Any], timeout: float = 30.0) -> Any:
        """Block until ``predicate(self)`` is truthy (for tests on another thread)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {self.calls}")
            time.sleep(0.1)

    async def until(self, predicate: Callable[["FakeApi"], Any], timeout: float = 10.0) -> Any:
        """Await until ``predicate(self)`` is truthy (for tests on the same loop)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls so far: {self.calls}")
            await asyncio.sleep(0.02)


def _decode(value: Any) -> Any:
    """PTB sends form fields; objects (reply_markup) arrive as JSON strings."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegram(FakeApi):
    """The Bot API at ``{url}/bot<token>/<method>``."""

    def __init__(self, token: str = "123456:TEST-token", username: str = "SebaShopBot") -> None:
        super().__init__()
        self.token = token
        self.username = username
        self._message_ids = itertools.count(1000)

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)

    def error_body(self, status: int, description: str, extra: Dict[str, Any]) -> Dict[str, Any]:
        body: Dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if extra:
            body["parameters"] = extra
        return body

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: _decode(v) for k, v in (await request.post()).items()}
        self.calls.append(
            Call(
                method,
                params,
                dict(request.query),
                dict(request.headers),
                request.match_info["token"],
            )
        )
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        failure = self._take_failure(method)
        if failure:
            return web.json_response(failure.body, status=failure.status)
        result = self._result(method, params)
        if result is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.json_response({"ok": True, "result": result})

    def _result(self, method: str, params: Dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 123456, "is_bot": True, "first_name": "Seba", "username": self.username}
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            chat_id = params.get("chat_id")
            message: Dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {
                    "id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0,
                    "type": "private",
                },
            }
            if "text" in params:
                message["text"] = params["text"]
            return message
        if method in ("sendChatAction", "answerCallbackQuery", "setWebhook", "deleteWebhook"):
            return True
        if method == "getWebhookInfo":
            webhooks = self.of("setWebhook")
            return {
                "url": webhooks[-1].params.get("url", "") if webhooks else "",
                "has_custom_certificate": False,
                "pending_update_count": 0,
            }
        return None

    # -- inspection helpers -----------------------------------------------------------

    def sent(self, chat_id: Any = None, method: str = "sendMessage") -> List[Dict[str, Any]]:
        return [
            c.params
            for c in self.of(method)
            if chat_id is None or str(c.params.get("chat_id")) == str(chat_id)
        ]

    def texts(self, chat_id: Any = None) -> List[str]:
        return [p.get("text", "") for p in self.sent(chat_id)]


class FakeGraph(FakeApi):
    """The Graph API Send endpoint at ``{url}/v<version>/me/messages``."""

    def __init__(self) -> None:
        super().__init__()
        self._message_ids = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/{version}/me/messages", self._handle)

    def error_body(self, status: int, description: str, extra: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "error": {
                "message": description,
                "type": "OAuthException",
                "code": extra.get("code", 10),
                "fbtrace_id": "fake",
            }
        }

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = Call("me/messages", body, dict(request.query), dict(request.headers))
        call.params["_version"] = request.match_info["version"]
        self.calls.append(call)
        failure = self._take_failure("me/messages")
        if failure:
            return web.json_response(failure.body, status=failure.status)
        recipient = (body.get("recipient") or {}).get("id")
        if "sender_action" in body:
            return web.json_response({"recipient_id": recipient})
        return web.json_response(
            {"recipient_id": recipient, "message_id": f"m_{next(self._message_ids)}"}
        )

    # -- inspection helpers -----------------------------------------------------------

    def messages(self, recipient: Any = None) -> List[Dict[str, Any]]:
        """The ``message`` objects sent (sender actions left out)."""
        return [
            c.params["message"]
            for c in list(self.calls)
            if "message" in c.params
            and (recipient is None or c.params["recipient"]["id"] == str(recipient))
        ]

    def actions(self, recipient: Any = None) -> List[str]:
        return [
            c.params["sender_action"]
            for c in list(self.calls)
            if "sender_action" in c.params
            and (recipient is None or c.params["recipient"]["id"] == str(recipient))
        ]

    def texts(self, recipient: Any = None) -> List[str]:
        out = []
        for message in self.messages(recipient):
            if "text" in message:
                out.append(message["text"])
            elif message.get("attachment", {}).get("type") == "template":
                out.append(message["attachment"]["payload"].get("text", ""))
        return out

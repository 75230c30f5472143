"""Rasa's calls to the action server over kept-alive connections.

Rasa's ``EndpointConfig.request`` opens a new ``aiohttp.ClientSession`` — a new TCP
connection — for every custom-action call and closes it afterwards. Under load that was
about a tenth of the Rasa process's CPU (py-spy, bench/notes.md): connecting, the first
write on a fresh socket, closing. ``pooled(endpoint)`` is the same endpoint whose requests
share one session per event loop, so the connections to the action server stay open.

The action server keeps idle connections for ``SERVER_KEEP_ALIVE_S`` (75 s,
seba/action_server.py); the client lets them go sooner (``CLIENT_KEEP_ALIVE_S``) so that it
never sends on a connection the server is about to close.
"""

import asyncio
import weakref
from typing import Any, Dict

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

CLIENT_KEEP_ALIVE_S = 30  # < seba.action_server.SERVER_KEEP_ALIVE_S
MAX_CONNECTIONS = 64

_sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession]" = (
    weakref.WeakKeyDictionary()
)
_pooled: Dict[int, "PooledEndpointConfig"] = {}


class _Borrowed:
    """``async with`` the shared session without closing it at the end."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc: Any) -> None:
        return None


class PooledEndpointConfig(EndpointConfig):
    """An ``EndpointConfig`` whose ``request`` reuses connections (same headers, auth and
    timeouts as Rasa's own session)."""

    def session(self) -> Any:  # Rasa's request() does ``async with self.session() as s``
        loop = asyncio.get_running_loop()
        session = _sessions.get(loop)
        if session is None or session.closed:
            auth = (
                aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                if self.basic_auth
                else None
            )
            session = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(
                    limit=MAX_CONNECTIONS, keepalive_timeout=CLIENT_KEEP_ALIVE_S
                ),
            )
            _sessions[loop] = session
        return _Borrowed(session)


def pooled(endpoint: EndpointConfig) -> EndpointConfig:
    """The pooled twin of ``endpoint`` (made once per endpoint object)."""
    if isinstance(endpoint, PooledEndpointConfig):
        return endpoint
    twin = _pooled.get(id(endpoint))
    if twin is None or twin._source is not endpoint:  # type: ignore[attr-defined]
        twin = PooledEndpointConfig(
            endpoint.url,
            params=endpoint.params,
            headers=endpoint.headers,
            basic_auth=endpoint.basic_auth,
            token=endpoint.token,
            token_name=endpoint.token_name,
            cafile=endpoint.cafile,
            **endpoint.kwargs,
        )
        twin.type = endpoint.type
        twin._source = endpoint  # type: ignore[attr-defined]
        _pooled[id(endpoint)] = twin
    return twin


async def close_all() -> None:
    """Close this event loop's shared session (at server stop)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()

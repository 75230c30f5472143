"""What every console module shares: the app's keys, the clock, database calls in a worker
thread, reading forms and answering JSON."""

import asyncio
import datetime as dt
import functools
import json
import os
from typing import Any, Callable, Dict

import jinja2
from aiohttp import web

from handoff.db import local_now
from handoff.rasa_client import RasaClient

# --- the app's state (set up in app.create_app) ----------------------------------------------

DB_URL = web.AppKey("db_url", str)  # the handoff database
SHOP_URL = web.AppKey("shop_url", str)  # the shop database (orders, verification locks)
RASA = web.AppKey("rasa", RasaClient)
JINJA = web.AppKey("jinja", jinja2.Environment)
CLOCK = web.AppKey("clock", object)  # () -> naive shop-local datetime; tests inject one
THROTTLE = web.AppKey("throttle", object)  # throttle.LoginThrottle
DEVICES = web.AppKey("devices", object)  # throttle.DeviceCookies
PROXIES = web.AppKey("proxies", object)  # proxy.TrustedProxies
NAV = web.AppKey("nav", list)  # roles.NavItem, in menu order
TOUCHED = web.AppKey("touched", dict)
BACKGROUND = web.AppKey("background", bool)
CLOSING = web.AppKey("closing", asyncio.Event)
TASKS = web.AppKey("tasks", list)


def app_of(request_or_app: Any) -> web.Application:
    return request_or_app.app if isinstance(request_or_app, web.Request) else request_or_app


def now(request_or_app: Any) -> dt.datetime:
    """The console's clock (naive shop-local time, like the stored datetimes)."""
    clock = app_of(request_or_app).get(CLOCK) or local_now
    return clock()


async def db(request_or_app: Any, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call on the handoff database (``url=`` the app's) in a worker thread."""
    kwargs.setdefault("url", app_of(request_or_app)[DB_URL])
    return await in_thread(fn, *args, **kwargs)


async def shop_db(request_or_app: Any, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """The same on the shop database (orders, verification locks)."""
    kwargs.setdefault("url", app_of(request_or_app)[SHOP_URL])
    return await in_thread(fn, *args, **kwargs)


async def in_thread(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))


def float_env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


# --- requests and answers ----------------------------------------------------------------------


def wants_json(request: web.Request) -> bool:
    """JSON callers: the page's scripts (Accept header), the API and the event stream."""
    return "application/json" in request.headers.get("Accept", "") or request.path.startswith(
        ("/api/", "/events")
    )


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def json_answer(ok: bool, message: str, status: int = 200, **extra: Any) -> web.Response:
    return web.json_response({"ok": ok, "message": message, **extra}, status=status, dumps=dumps)


async def read_form(request: web.Request) -> Dict[str, str]:
    """The POSTed fields, from a form or a JSON object."""
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="invalid JSON") from None
        return {k: str(v) for k, v in (data or {}).items()} if isinstance(data, dict) else {}
    try:
        form = await request.post()
    except ValueError:  # not UTF-8 (UnicodeDecodeError), a multipart body without its parts
        raise web.HTTPBadRequest(text="The form could not be read.") from None
    return {k: str(v) for k, v in form.items()}


def form(request: web.Request) -> Dict[str, str]:
    """The fields of a POST whose CSRF token the route guard checked (roles.guarded)."""
    return request.get("form") or {}

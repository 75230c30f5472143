"""Who is asking, and may they: sessions, login and logout, CSRF, the role check.

- A login is a server-side session: a random token in an HttpOnly, SameSite=Lax cookie
  (only its SHA-256 is stored). It ends at logout, after a shift (12 h) or after 2 h without
  a request (``handoff.agents``).
- Every POST of a logged-in account carries the session's CSRF token (form field
  ``csrf_token`` or header ``X-CSRF-Token``); the login form uses a double-submit cookie.
- ``guarded`` wraps every route's handler: not logged in → the login page (401 for JSON);
  wrong role → 403; POST → CSRF checked, the fields in ``request["form"]``.
- Failed logins are throttled (``throttle``); cookies get ``Secure`` over HTTPS (``proxy``).
"""

import functools
import logging
import time
from typing import Callable, Dict, Optional

from aiohttp import web

from handoff import agents as agent_store
from handoff.console import roles
from handoff.console.helpers import (
    DEVICES,
    NAV,
    THROTTLE,
    TOUCHED,
    db,
    json_answer,
    now,
    read_form,
    wants_json,
)
from handoff.console.i18n import N_, translate, translate_n
from handoff.console.proxy import client_address, cookie_secure
from handoff.console.render import render
from handoff.console.roles import ANY_ROLE, PUBLIC, Route
from handoff.console.throttle import DEVICE_DAYS, DeviceCookies, LoginThrottle
from handoff.db import HandoffUnavailable, to_epoch
from handoff.security import new_token, same

logger = logging.getLogger(__name__)

SESSION_COOKIE = "seba_console"
LOGIN_CSRF_COOKIE = "seba_login_csrf"
TOUCH_EVERY_SECONDS = 30
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


# --- the session of each request -------------------------------------------------------------


@web.middleware
async def session_middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
    request["agent"], request["csrf"] = None, None
    if not request.path.startswith("/static/") and request.path != "/healthz":
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            try:
                loaded = await db(request, agent_store.load_session, token, now=now(request))
            except HandoffUnavailable:
                loaded = None
            if loaded:
                request["agent"], request["csrf"] = loaded
                request["session_token"] = token
                await touch(request.app, loaded[0].id)
    return await handler(request)


async def touch(app: web.Application, agent_id: int) -> None:
    """Record that the account's console is open, at most every TOUCH_EVERY_SECONDS."""
    last = app[TOUCHED].get(agent_id, 0.0)
    moment = time.monotonic()
    if moment - last < TOUCH_EVERY_SECONDS:
        return
    app[TOUCHED][agent_id] = moment
    try:
        await db(app, agent_store.touch, agent_id)
    except HandoffUnavailable:
        pass


async def check_csrf(request: web.Request) -> Dict[str, str]:
    """The POSTed fields, after the session's CSRF token was checked (403 otherwise)."""
    fields = await read_form(request)
    sent = request.headers.get("X-CSRF-Token") or fields.get("csrf_token")
    if not same(sent, request.get("csrf")):
        raise web.HTTPForbidden(
            text=translate(
                request, N_("Missing or wrong CSRF token. Reload the page and try again.")
            )
        )
    return fields


def forbidden(request: web.Request, allowed: frozenset) -> web.StreamResponse:
    me = request["agent"]
    message = roles.refusal(allowed, me.role, lambda msg: translate(request, msg))
    logger.info("%s (%s) refused %s %s", me.username, me.role, request.method, request.path)
    if wants_json(request):
        return json_answer(False, message, 403)
    return render(request, "forbidden.html", status=403, message=message)


def guarded(route: Route) -> Callable:
    """The route's handler behind the login, role and CSRF checks (the one place for them)."""

    @functools.wraps(route.handler)
    async def handler(request: web.Request) -> web.StreamResponse:
        if route.roles is not PUBLIC:
            me = request.get("agent")
            if me is None:
                if wants_json(request):
                    return json_answer(False, translate(request, N_("Log in first.")), 401)
                raise web.HTTPSeeOther("/login")
            if me.role not in route.roles:
                return forbidden(request, route.roles)
            if request.method not in SAFE_METHODS:
                request["form"] = await check_csrf(request)
        return await route.handler(request)

    handler.allowed_roles = route.roles  # type: ignore[attr-defined]  # for tests and docs
    return handler


# --- login / logout -------------------------------------------------------------------------


def expire_cookie(response: web.StreamResponse, name: str, path: str, secure: bool) -> None:
    """Delete a cookie with the attributes it was set with (aiohttp's del_cookie drops
    Secure)."""
    response.set_cookie(
        name,
        "",
        max_age=0,
        expires="Thu, 01 Jan 1970 00:00:00 GMT",
        path=path,
        secure=secure,
        httponly=True,
        samesite="Lax",
    )


def _wait_text(request: web.Request, seconds: int) -> str:
    if seconds < 90:
        return translate_n(request, "%(num)s second", "%(num)s seconds", seconds)
    minutes = round(seconds / 60)
    return translate_n(request, "about %(num)s minute", "about %(num)s minutes", minutes)


def _login_form(
    request: web.Request, status: int = 200, error: Optional[str] = None, username: str = ""
) -> web.Response:
    token = new_token()
    response = render(
        request, "login.html", status=status, login_csrf=token, error=error, username=username
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=cookie_secure(request),
        path="/login",
        max_age=3600,
    )
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    me = request.get("agent")
    if me is not None:
        raise web.HTTPSeeOther(roles.home_for(request.app[NAV], me.role))
    return _login_form(request)


async def login(request: web.Request) -> web.StreamResponse:
    fields = await read_form(request)
    username = (fields.get("username") or "").strip().lower()[:64]
    password = fields.get("password") or ""
    if not same(fields.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_form(
            request, 403, translate(request, N_("The form expired. Please try again.")), username
        )

    moment = now(request)
    devices: DeviceCookies = request.app[DEVICES]
    throttle: LoginThrottle = request.app[THROTTLE]
    cookie_name = devices.cookie_name(username)
    device_id = devices.device_of(
        username, request.cookies.get(cookie_name) if cookie_name else None, to_epoch(moment)
    )
    address = client_address(request)
    attempt = await db(request, throttle.begin, throttle.keys(username, address, device_id), moment)
    if attempt.wait_seconds:
        logger.info(
            "login for %r from %s refused for %s s (too many failures)",
            username,
            address,
            attempt.wait_seconds,
        )
        response = _login_form(
            request,
            429,
            translate(
                request,
                N_("Too many failed logins for now. Please wait %(wait)s, then try again."),
                wait=_wait_text(request, attempt.wait_seconds),
            ),
            username,
        )
        response.headers["Retry-After"] = str(attempt.wait_seconds)
        return response

    agent = await db(request, agent_store.authenticate, username, password)
    if agent is None:
        logger.info("failed login for %r from %s", username, address)
        return _login_form(
            request, 401, translate(request, N_("Wrong username or password.")), username
        )

    await db(request, throttle.succeeded, attempt)
    token, _csrf = await db(request, agent_store.create_session, agent.id, now=moment)
    if agent.role in agent_store.QUEUE_ROLES:
        await db(request, agent_store.set_status, agent.id, "online")
    secure = cookie_secure(request)
    response = web.HTTPSeeOther(roles.home_for(request.app[NAV], agent.role))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=secure,
        path="/",
        max_age=agent_store.SESSION_HOURS * 3600,
    )
    # "This browser logged in as <agent> before": its failures get their own throttle key.
    response.set_cookie(
        devices.cookie_name(agent.username),
        devices.issue(agent.username, to_epoch(moment), device_id),
        httponly=True,
        samesite="Strict",
        secure=secure,
        path="/login",
        max_age=DEVICE_DAYS * 86400,
    )
    expire_cookie(response, LOGIN_CSRF_COOKIE, "/login", secure)
    logger.info("%s %s logged in from %s", agent.role, agent.username, address)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    await db(request, agent_store.set_status, me.id, "away")
    await db(request, agent_store.end_session, request.get("session_token"))
    response = web.HTTPSeeOther("/login")
    expire_cookie(response, SESSION_COOKIE, "/", cookie_secure(request))
    raise response


ROUTES = [
    Route("GET", "/login", login_page, PUBLIC),
    Route("POST", "/login", login, PUBLIC),
    Route("POST", "/logout", logout, ANY_ROLE),
]

"""Middlewares for every response: security headers, and a clear 503 when a database is
down (instead of a stack trace)."""

import json
import logging
from typing import Callable

from aiohttp import web

from handoff.console.helpers import wants_json
from handoff.console.i18n import N_, translate
from handoff.db import HandoffUnavailable
from seba.db import ShopUnavailable

logger = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        add_headers(request, exc)
        raise
    add_headers(request, response)
    return response


def add_headers(request: web.Request, response: web.StreamResponse) -> None:
    """No inline script, nothing from other origins, no framing, no caching of pages."""
    if response.prepared:
        return
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")


def _unavailable(request: web.Request, what: str, hint: str) -> web.Response:
    message = translate(request, what)
    if wants_json(request):
        return web.json_response(
            {"ok": False, "message": message},
            status=503,
            dumps=lambda data: json.dumps(data, ensure_ascii=False),
        )
    return web.Response(text=f"{message}{hint}", status=503)


@web.middleware
async def db_errors(request: web.Request, handler: Callable) -> web.StreamResponse:
    try:
        return await handler(request)
    except HandoffUnavailable as exc:
        logger.error("handoff database unavailable: %s", exc)
        return _unavailable(
            request, N_("The queue database is not available."), " Run `python -m handoff upgrade`?"
        )
    except ShopUnavailable as exc:
        logger.error("shop database unavailable: %s", exc)
        return _unavailable(
            request, N_("The shop database is not available."), " Run `python -m seba.db init`?"
        )

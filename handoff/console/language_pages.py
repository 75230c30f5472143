"""The language switch (English / বাংলা) in the top bar and on the login page.

A POST that sets the ``seba_console_lang`` cookie and goes back to the page it came from,
only ever a path on this site. Logged in: ``/language``, the session's CSRF token (checked
by ``auth.guarded``). On the login page: ``/login/language``, the login form's
double-submit token (its cookie is scoped to ``/login``)."""

import logging

from aiohttp import web

from handoff.console import i18n
from handoff.console.auth import LOGIN_CSRF_COOKIE
from handoff.console.helpers import NAV, form, read_form, wants_json
from handoff.console.i18n import N_, translate
from handoff.console.proxy import cookie_secure
from handoff.console.roles import ANY_ROLE, PUBLIC, Route, home_for
from handoff.security import same

logger = logging.getLogger(__name__)

UNKNOWN = N_("Unknown language: choose English or বাংলা.")


def _switch(request: web.Request, fields: dict, fallback: str) -> web.StreamResponse:
    language = fields.get("lang")
    if language not in i18n.LANGUAGES:
        if wants_json(request):
            return web.json_response(
                {"ok": False, "message": translate(request, UNKNOWN)}, status=400
            )
        raise web.HTTPBadRequest(text=translate(request, UNKNOWN))
    back = i18n.local_path(fields.get("back"), fallback)
    response = web.HTTPSeeOther(back)
    response.set_cookie(
        i18n.COOKIE,
        language,
        max_age=i18n.COOKIE_DAYS * 86400,
        path="/",
        samesite="Lax",
        httponly=True,
        secure=cookie_secure(request),
    )
    raise response


async def switch_language(request: web.Request) -> web.StreamResponse:
    """Logged in: the guard checked the session's CSRF token."""
    me = request["agent"]
    return _switch(request, form(request), home_for(request.app[NAV], me.role))


async def switch_language_at_login(request: web.Request) -> web.StreamResponse:
    """Not logged in: the login page's double-submit token."""
    fields = await read_form(request)
    if not same(fields.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise web.HTTPForbidden(
            text=translate(request, N_("The form expired. Please reload the page and try again."))
        )
    return _switch(request, fields, "/login")


ROUTES = [
    Route("POST", "/language", switch_language, ANY_ROLE),
    Route("POST", "/login/language", switch_language_at_login, PUBLIC),
]

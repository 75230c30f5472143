"""Every account's home page: what its role is and which pages it has.

Content staff land here after login until their pages exist (``roles.COMING``); agents and
the owner land on their first menu page (the queue). Every role may open it."""

from aiohttp import web

from handoff.console import roles
from handoff.console.helpers import NAV
from handoff.console.i18n import translate
from handoff.console.render import render
from handoff.console.roles import ANY_ROLE, Route


async def home_page(request: web.Request) -> web.StreamResponse:
    me = request["agent"]
    return render(
        request,
        "home.html",
        pages=roles.nav_for(request.app[NAV], me.role),
        description=translate(request, roles.ROLE_DESCRIPTIONS.get(me.role, "")),
        coming=translate(request, roles.COMING[me.role]) if me.role in roles.COMING else None,
    )


ROUTES = [Route("GET", "/home", home_page, ANY_ROLE)]

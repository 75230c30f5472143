"""The agent console: an aiohttp web app (``python -m handoff serve --port 5070``).

This module only builds the app: settings, middlewares, background work and the route
table. The pages live in one module each (see ``handoff/console/__init__.py``); every
route is registered through ``auth.guarded`` with the roles that may use it.
"""

import datetime as dt
from typing import Callable, List, Optional

from aiohttp import web

from handoff import config
from handoff.console import (
    account_pages,
    answer_pages,
    auth,
    customer_panel,
    home_pages,
    i18n,
    language_pages,
    lock_pages,
    queue_pages,
    report_pages,
    retrain_pages,
    review_pages,
    ticket_pages,
)
from handoff.console import background as jobs
from handoff.console.helpers import (
    BACKGROUND,
    CLOCK,
    DB_URL,
    DEVICES,
    JINJA,
    NAV,
    PROXIES,
    RASA,
    SHOP_URL,
    THROTTLE,
    TOUCHED,
)
from handoff.console.middleware import db_errors, security_headers
from handoff.console.proxy import TrustedProxies
from handoff.console.render import HERE, jinja_env
from handoff.console.roles import PUBLIC, Route, nav_items
from handoff.console.throttle import DeviceCookies, LoginThrottle, ThrottlePolicy
from handoff.db import local_now
from handoff.rasa_client import RasaClient
from seba import secrets

# The console's pages, in menu order: a new page is a new module with ROUTES, listed here.
PAGE_MODULES = [
    queue_pages,
    ticket_pages,
    customer_panel,
    lock_pages,
    review_pages,
    answer_pages,
    retrain_pages,
    report_pages,
    account_pages,
    home_pages,
    auth,
    language_pages,
]


async def healthz(request: web.Request) -> web.StreamResponse:
    return web.json_response({"ok": True})


def routes() -> List[Route]:
    table = [route for module in PAGE_MODULES for route in module.ROUTES]
    return table + [Route("GET", "/healthz", healthz, PUBLIC)]


def create_app(
    url: Optional[str] = None,
    rasa: Optional[RasaClient] = None,
    background: bool = True,
    *,
    shop_url: Optional[str] = None,
    clock: Optional[Callable[[], dt.datetime]] = None,
    trusted_proxies: Optional[str] = None,
    throttle_policy: Optional[ThrottlePolicy] = None,
    language: Optional[str] = None,
) -> web.Application:
    """The console app.

    ``url``: the handoff database (default ``config.database_url()``); ``shop_url``: the
    shop database with the verification locks (default ``seba.db.database_url()``);
    ``trusted_proxies``: like ``HANDOFF_TRUSTED_PROXIES``; ``clock``: naive shop-local
    "now" (tests move it); ``language``: the default interface language, like
    ``CONSOLE_LANGUAGE`` (bn|en)."""
    from seba.db import database_url as shop_database_url

    app = web.Application(middlewares=[security_headers, db_errors, auth.session_middleware])
    app[DB_URL] = url or config.database_url()
    app[SHOP_URL] = shop_url or shop_database_url()
    app[RASA] = rasa or RasaClient()
    app[JINJA] = jinja_env()
    app[i18n.UI_LANGUAGE] = language if language in i18n.LANGUAGES else i18n.default_language()
    for code in i18n.LANGUAGES:  # read the catalogs now: a broken .po fails at start-up
        i18n.translations(code)
    app[CLOCK] = clock or local_now
    app[PROXIES] = TrustedProxies(trusted_proxies)
    app[THROTTLE] = LoginThrottle(throttle_policy)
    app[DEVICES] = DeviceCookies(secrets.derived_key("console-device"))
    app[TOUCHED] = {}
    app[BACKGROUND] = background  # False: no tracker sync / abandon sweep (tests)
    app.on_startup.append(jobs.init_closing)
    app.on_startup.append(jobs.start)
    app.on_shutdown.append(jobs.on_shutdown)
    app.on_cleanup.append(jobs.on_cleanup)

    table = routes()
    app[NAV] = nav_items(table)
    for route in table:
        if route.method == "GET":
            app.router.add_get(route.path, auth.guarded(route))  # answers HEAD too
        else:
            app.router.add_route(route.method, route.path, auth.guarded(route))
    app.router.add_static("/static/", str(HERE / "static"), name="static")
    return app


def serve(host: str = "127.0.0.1", port: int = 5070, url: Optional[str] = None) -> None:
    app = create_app(url=url)

    def announce(message: str) -> None:
        print(
            f"Seba agent console on http://{host}:{port}/ (Rasa at {app[RASA].base_url})",
            flush=True,
        )

    web.run_app(app, host=host, port=port, print=announce, shutdown_timeout=5)

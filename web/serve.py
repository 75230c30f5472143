"""Serve the demo shop page and the Seba chat bubble.

    python -m web.serve --port 8080 --rasa-url http://localhost:5005

What it serves (nothing comes from a CDN):

- ``/``                      the demo shop page (``web/index.html``) and its files
                             (``shop.css``, ``shop.js``, ``img/*``);
- ``/seba-bubble.js``        the one-script-tag loader a shop puts on its own site;
- ``/seba-bubble.css``       the bubble's colours and fonts (the loader adds it);
- ``/vendor/rasa-webchat.js`` the widget bundle from
                             ``web/node_modules/rasa-webchat/lib/index.js``
                             (``npm ci --prefix web`` installs it), minus its
                             ``@import`` of Google Fonts (nothing leaves the site),
                             and opening its socket as a websocket first;
- ``/seba-config.js`` and ``/seba-config.json``
                             where the browser finds Rasa's socket.io channel, made
                             from ``--rasa-url`` so the same page works wherever Rasa runs;
- ``/healthz``               ``{"status": "ok", "widget": true}`` for scripts and tests.

Only page files are served: this module, ``package*.json``, Markdown and
``node_modules`` (apart from the one bundle above) stay private.

Without ``--rasa-url`` (and without ``RASA_URL`` in the environment) the browser
talks to port ``--rasa-port`` (default 5005) on the host it loaded the page from,
which is right when the page and Rasa run on the same machine.
"""

import argparse
import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from aiohttp import web

logger = logging.getLogger("seba.web")

WEB_DIR = Path(__file__).resolve().parent
WIDGET_BUNDLE = WEB_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"
PAGE_SUFFIXES = {".html", ".css", ".js", ".svg", ".png", ".jpg", ".jpeg", ".webp", ".ico"}
PRIVATE_NAMES = {"serve.py", "package.json", "package-lock.json"}

CONFIG_KEY = web.AppKey("seba_config", dict)

# Files a shop's own site loads from this server (the loader, its CSS, the
# widget bundle and the config) may be fetched from any origin.
PUBLIC_HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}

# rasa-webchat's CSS imports the Inter font from fonts.googleapis.com. The page
# must work offline and send nothing to third parties, so the import is cut out
# of the bundle as it is served (the bubble's own CSS sets local fonts).
REMOTE_IMPORT = re.compile(rb"@import url\(https?://[^)]*\);?")
# The widget opens socket.io with long-polling first, then upgrades. With several Rasa
# processes (make run starts two) the polling requests of one session may reach different
# processes, so the socket opens as a websocket at once, which stays on the process that
# accepted it; polling remains only for browsers without WebSocket. rasa-webchat has no
# option for it: its one io() call (pinned in web/package-lock.json) is given the option.
SOCKET_OPTIONS = b"var r=n?{path:n}:{}"
SOCKET_OPTIONS_WEBSOCKET_FIRST = (
    b'var r=n?{path:n,transports:["websocket","polling"]}:{transports:["websocket","polling"]}'
)
_bundle_cache: Dict[str, Any] = {}


def widget_bytes() -> bytes:
    """The widget bundle without remote @imports (cached until the file changes)."""
    mtime = WIDGET_BUNDLE.stat().st_mtime_ns
    if _bundle_cache.get("mtime") != mtime:
        body, removed = REMOTE_IMPORT.subn(b"", WIDGET_BUNDLE.read_bytes())
        websocket_first = body.count(SOCKET_OPTIONS)
        body = body.replace(SOCKET_OPTIONS, SOCKET_OPTIONS_WEBSOCKET_FIRST)
        if websocket_first != 1:
            logger.warning(
                "Widget bundle: its socket.io options were not found (another "
                "rasa-webchat version?); it will try long-polling first, which "
                "fails with several Rasa processes."
            )
        _bundle_cache.update(
            mtime=mtime,
            body=body,
            removed=removed,
            websocket_first=websocket_first == 1,
            etag='"%s"' % hashlib.sha256(body).hexdigest()[:32],
        )
        logger.info(
            "Widget bundle loaded (%d bytes, %d remote @import removed).", len(body), removed
        )
    return _bundle_cache["body"]


def browser_config(
    rasa_url: Optional[str], rasa_port: int, socket_path: str, init_payload: Optional[str]
) -> Dict[str, Any]:
    """What the page's JavaScript needs to reach Rasa (``window.SEBA_CONFIG``)."""
    if rasa_url:
        parts = urlsplit(rasa_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"--rasa-url must look like http(s)://host[:port], not {rasa_url!r}")
        rasa_url = rasa_url.rstrip("/")
    return {
        "rasaUrl": rasa_url or None,  # None: the page's own host, on rasaPort
        "rasaPort": rasa_port,
        "socketPath": socket_path,
        "initPayload": init_payload or None,
    }


async def index(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def config_js(request: web.Request) -> web.Response:
    body = "window.SEBA_CONFIG = " + json.dumps(request.app[CONFIG_KEY]) + ";\n"
    return web.Response(
        text=body, content_type="application/javascript", charset="utf-8", headers=PUBLIC_HEADERS
    )


async def config_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[CONFIG_KEY], headers=PUBLIC_HEADERS)


async def widget_bundle(request: web.Request) -> web.StreamResponse:
    if not WIDGET_BUNDLE.is_file():
        raise web.HTTPServiceUnavailable(
            text="The chat widget is not installed: run `npm ci --prefix web` (or `make setup`).\n"
        )
    body = widget_bytes()
    headers = dict(PUBLIC_HEADERS, ETag=_bundle_cache["etag"])
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return web.Response(status=304, headers=headers)
    response = web.Response(
        body=body, content_type="application/javascript", charset="utf-8", headers=headers
    )
    response.enable_compression()  # gzip when the browser accepts it: ~700 kB -> ~200 kB
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "widget": WIDGET_BUNDLE.is_file()})


async def page_file(request: web.Request) -> web.StreamResponse:
    """A file of the page under web/ (never node_modules, dotfiles or sources)."""
    rel = request.match_info["path"]
    parts = Path(rel).parts
    if (
        not parts
        or any(p.startswith(".") or p == "node_modules" for p in parts)
        or parts[-1] in PRIVATE_NAMES
    ):
        raise web.HTTPNotFound()
    path = (WEB_DIR / rel).resolve()
    if (
        WEB_DIR not in path.parents
        or path.suffix.lower() not in PAGE_SUFFIXES
        or not path.is_file()
    ):
        raise web.HTTPNotFound()
    headers = (
        dict(PUBLIC_HEADERS)
        if path.name.startswith("seba-bubble")
        else {"Cache-Control": "no-cache"}
    )
    return web.FileResponse(path, headers=headers)


def make_app(config: Dict[str, Any]) -> web.Application:
    app = web.Application()
    app[CONFIG_KEY] = config
    app.router.add_get("/", index)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/seba-config.js", config_js)
    app.router.add_get("/seba-config.json", config_json)
    app.router.add_get("/vendor/rasa-webchat.js", widget_bundle)
    app.router.add_get("/{path:.+}", page_file)
    return app


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m web.serve", description="Serve Seba's demo shop page and chat bubble."
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("WEB_HOST", "127.0.0.1"),
        help="interface to listen on [WEB_HOST or 127.0.0.1; 0.0.0.0 for all]",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("WEB_PORT", "8080")),
        help="port of the page [WEB_PORT or 8080]",
    )
    parser.add_argument(
        "--rasa-url",
        default=os.environ.get("RASA_URL") or None,
        help="Rasa server as the browser sees it, e.g. https://bot.example.com "
        "[RASA_URL; default: the page's host on --rasa-port]",
    )
    parser.add_argument(
        "--rasa-port",
        type=int,
        default=int(os.environ.get("RASA_PORT", "5005")),
        help="Rasa's port when --rasa-url is not given [RASA_PORT or 5005]",
    )
    parser.add_argument(
        "--socket-path",
        default="/socket.io/",
        help="socketio_path of credentials.yml [/socket.io/]",
    )
    parser.add_argument(
        "--init-payload",
        default=None,
        help="text sent when a customer first opens the bubble, so the bot "
        "greets them [a hello in the page's language]",
    )
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s  %(message)s"
    )
    try:
        config = browser_config(args.rasa_url, args.rasa_port, args.socket_path, args.init_payload)
    except ValueError as exc:
        parser.error(str(exc))
    if not WIDGET_BUNDLE.is_file():
        logger.warning("Widget bundle missing (%s): run `npm ci --prefix web`.", WIDGET_BUNDLE)
    logger.info(
        "Seba web page on http://%s:%d/ (Rasa: %s)",
        args.host,
        args.port,
        config["rasaUrl"] or f"page host, port {config['rasaPort']}",
    )
    web.run_app(
        make_app(config),
        host=args.host,
        port=args.port,
        print=None,
        access_log_format='%a "%r" %s %b',
    )


if __name__ == "__main__":
    main()

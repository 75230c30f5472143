"""The action server: rasa-sdk's, reachable by Rasa only.

    python -m seba.action_server --port 5055 --actions actions

rasa-sdk's own server (``rasa run actions``) listens on every interface, has no
authentication and trusts the tracker it is sent — slots included — so anyone who reaches
it could test order/phone pairs, enqueue handoffs or write ratings for any conversation.
This one is the same app (``rasa_sdk.endpoint.create_app``, plugins included) with:

* every request except ``GET /health`` refused (401) unless it carries the shared secret in
  ``X-Seba-Action-Secret`` (``SEBA_ACTION_SECRET``; Rasa sends it from endpoints.yml), compared
  in constant time — so moving the server to another host does not open it;
* loopback only by default (``ACTION_HOST``, ``--host``);
* no CORS (browsers have no business here) and error answers that do not echo the request
  (rasa-sdk returns the whole tracker it was sent);
* phone numbers masked in every log line (``seba.logmask``);
* lean and ready at once: TensorFlow is kept out of the process (spaCy's thinc would import
  it — 10-15 s and ~400 MB — though the blank Bengali tokenizer and PhraseMatcher that
  product search uses never need it), and the product matcher is built at start-up.
"""

import argparse
import hmac
import logging
import os
import sys
from typing import Optional

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME, DEFAULT_SERVER_PORT
from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request

from seba import logmask
from seba.secrets import ACTION_SECRET_HEADER, MissingSecret, get
from seba.threads import one_blas_thread

logger = logging.getLogger(__name__)
PUBLIC_PATHS = {"/health"}


def guard(app: Sanic, secret: str) -> Sanic:
    """Refuse every call without the shared secret (see the module docstring)."""
    expected = secret.encode("utf-8")

    @app.on_request
    async def require_secret(request: Request):
        if request.path in PUBLIC_PATHS and request.method == "GET":
            return None
        given = (request.headers.get(ACTION_SECRET_HEADER) or "").encode("utf-8")
        if given and hmac.compare_digest(given, expected):
            return None
        logger.warning(
            "Action server: call to %s without the right %s refused (from %s).",
            request.path,
            ACTION_SECRET_HEADER,
            request.ip,
        )
        return response.json({"error": "unauthorised"}, status=401)

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception):
        logger.error("Action server: %s failed", request.path, exc_info=exception)
        return response.json({"error": "the action failed"}, status=500)

    return app


#: How long an idle connection from Rasa stays open; Rasa lets its own go sooner
#: (``seba.action_client.CLIENT_KEEP_ALIVE_S``).
SERVER_KEEP_ALIVE_S = 75


def keep_tensorflow_out() -> None:
    """Before the actions import spaCy: thinc probes for TensorFlow with ``import tensorflow``,
    and a None entry makes that import fail fast. Nothing in the action server needs it. Called
    when the server is built, not at import, so importing this module (tests do) leaves
    TensorFlow importable for the rest of that process."""
    sys.modules.setdefault("tensorflow", None)


def make_app(actions: str, secret: str) -> Sanic:
    keep_tensorflow_out()
    app = guard(create_app(actions, cors_origins=None), secret)
    # Rasa keeps its connections to this server open (seba/action_client.py) for less
    # time than this, so it never writes on one this server is closing.
    app.config.KEEP_ALIVE_TIMEOUT = SERVER_KEEP_ALIVE_S
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    return app


def _warm_up() -> None:
    from seba import shop
    from seba.db import ShopUnavailable

    try:
        shop.warm_up()
    except ShopUnavailable as error:  # the first product question will build it
        logger.warning("Action server: product matcher not built at start-up (%s)", error)


def main(argv: Optional[list] = None) -> None:
    one_blas_thread()
    parser = argparse.ArgumentParser(
        prog="python -m seba.action_server",
        description="Seba's action server (rasa-sdk, Rasa only).",
    )
    parser.add_argument("--actions", default="actions", help="package with the actions")
    parser.add_argument(
        "--host",
        default=os.environ.get("ACTION_HOST") or "127.0.0.1",
        help="interface to listen on [ACTION_HOST or 127.0.0.1]",
    )
    parser.add_argument(
        "-p", "--port", type=int, default=int(os.environ.get("ACTION_PORT") or DEFAULT_SERVER_PORT)
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_const",
        const=logging.DEBUG,
        dest="loglevel",
        default=logging.INFO,
    )
    args = parser.parse_args(argv)

    logmask.install()
    utils.configure_colored_logging(args.loglevel)
    logging.getLogger(APPLICATION_ROOT_LOGGER_NAME).setLevel(args.loglevel)
    utils.update_sanic_log_level()
    try:
        secret = get("SEBA_ACTION_SECRET")
    except MissingSecret as error:
        raise SystemExit(
            f"seba.action_server: refusing to start without a secret: {error}"
        ) from None
    app = make_app(args.actions, secret)
    _warm_up()
    logger.info(
        "Action server on http://%s:%d (calls need %s)", args.host, args.port, ACTION_SECRET_HEADER
    )
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()

"""The live model, served to every Rasa worker: Rasa's model-server protocol, on loopback.

    python -m seba.model_server serve [--port 5077] [--model models/seba.tar.gz]
    python -m seba.model_server endpoints IN OUT [--url http://127.0.0.1:5077/model] [--wait 5]

Why: ``make run`` starts Rasa as two Sanic workers on one port, so Rasa's ``PUT /model``
reaches only the worker that accepted the request. Rasa's model server reaches them all:
each worker asks ``GET <url>`` every ``wait_time_between_pulls`` seconds with
``If-None-Match: <its model's fingerprint>`` and loads the answer when it is a new model
(``rasa/core/agent.py``). The file at ``models/seba.tar.gz`` *is* the live model: a promotion
or a rollback (``seba.content.model_store``) replaces it atomically, every worker picks it up
within a few seconds, and a restart of Rasa starts from the same file.

- The ETag is the SHA-256 of the file; Rasa's side (``seba.model_pull``) starts every worker
  from the file on disk with that same fingerprint, so an unchanged model answers 304 and a
  model server that is down changes nothing (the workers keep their model and ask again).
- Only Rasa may fetch it: the server listens on 127.0.0.1 and every request must carry
  ``X-Seba-Model-Secret`` (a key derived from ``SEBA_SECRET_KEY``, compared in constant
  time). A model archive is code to Rasa (it unpacks and runs it), so nothing else may hand
  one to the workers: there is one path, no upload, no file name from the request.
- ``endpoints`` writes OUT: the endpoints file IN with ``models:`` pointing here
  (``scripts/run.sh``); the secret is not written into it, the workers add the header.
"""

import argparse
import hashlib
import hmac
import os
import sys
import threading
from pathlib import Path
from typing import Optional, Tuple

from seba import PROJECT_ROOT

SECRET_HEADER = "X-Seba-Model-Secret"
DEFAULT_PORT = 5077
DEFAULT_WAIT_SECONDS = 5
LIVE_MODEL = PROJECT_ROOT / "models" / "seba.tar.gz"
PATH = "/model"


def token() -> str:
    """The model server's shared secret (Rasa workers and this server compute it alike)."""
    from seba.secrets import derived_key

    return derived_key("model-server").hex()


def file_fingerprint(path: Path) -> str:
    """SHA-256 of the file: the model's ETag here and its fingerprint in every worker."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LiveModel:
    """The bytes and fingerprint of the file at ``path``, read again when it changed."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._key: Optional[Tuple[int, int, int]] = None
        self._data = b""
        self._etag = ""

    def current(self) -> Optional[Tuple[str, bytes]]:
        with self._lock:
            try:
                with open(self.path, "rb") as f:  # one open file: replaced whole, never torn
                    st = os.fstat(f.fileno())
                    key = (st.st_ino, st.st_size, st.st_mtime_ns)
                    if key != self._key:
                        self._data = f.read()
                        self._etag = hashlib.sha256(self._data).hexdigest()
                        self._key = key
            except FileNotFoundError:
                return None
            return self._etag, self._data


def _etags(header: str) -> set:
    return {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",") if tag.strip()}


def create_app(model_path: Path = LIVE_MODEL, secret: Optional[str] = None):
    from aiohttp import web

    live = LiveModel(model_path)
    expected = (secret or token()).encode()

    async def model(request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=401, text="model server: secret missing or wrong\n")
        found = live.current()
        if found is None:
            return web.Response(status=404, text="no model\n")
        etag, data = found
        if etag in _etags(request.headers.get("If-None-Match", "")):
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=data,
            content_type="application/gzip",
            headers={"ETag": etag, "filename": "seba.tar.gz"},
        )

    app = web.Application()
    app.router.add_get(PATH, model)
    return app


def with_model_server(endpoints: dict, url: str, wait: int) -> dict:
    out = dict(endpoints)
    out["models"] = {"url": url, "wait_time_between_pulls": wait}
    return out


def _endpoints(args: argparse.Namespace) -> int:
    import yaml

    source = Path(args.source)
    data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    out = with_model_server(data, args.url, args.wait)
    target = Path(args.target)
    header = (
        f"# Written by scripts/run.sh from {source}: the workers load new models from "
        "seba.model_server (edit the source, not this file).\n"
    )
    target.write_text(
        header + yaml.safe_dump(out, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    target.chmod(0o600)
    return 0


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m seba.model_server", description="The live model for Rasa's workers."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument(
        "--port", type=int, default=int(os.environ.get("MODEL_SERVER_PORT") or DEFAULT_PORT)
    )
    serve.add_argument("--model", default=str(LIVE_MODEL))
    ends = sub.add_parser("endpoints")
    ends.add_argument("source")
    ends.add_argument("target")
    ends.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_PORT}{PATH}")
    ends.add_argument("--wait", type=int, default=DEFAULT_WAIT_SECONDS)
    args = parser.parse_args(argv)
    if args.command == "endpoints":
        return _endpoints(args)
    from aiohttp import web

    from seba import logmask

    logmask.install()
    app = create_app(Path(args.model))
    # Loopback only, whatever the environment says: the model is for this machine's Rasa.
    web.run_app(
        app,
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=lambda _: print(
            f"model server on 127.0.0.1:{args.port}{PATH} ({args.model})", flush=True
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

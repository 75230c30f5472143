"""The shared secrets of one Seba installation, in ``var/secrets.env`` (mode 0600).

| name | shared by | what it protects |
|---|---|---|
| ``RASA_JWT_SECRET`` | Rasa, console, scripts | Rasa's HTTP API (HS256 bearer, never ``?token=``) |
| ``SEBA_ACTION_SECRET`` | Rasa, action server | action server calls (``X-Seba-Action-Secret``) |
| ``SEBA_SECRET_KEY`` | Rasa, action server, console | web-chat session tokens, keyed phone hashes |
| ``PATHAO_WEBHOOK_SECRET`` | Rasa, Pathao's panel | Pathao's webhook (``X-PATHAO-Signature``) |
| ``STEADFAST_WEBHOOK_TOKEN`` | Rasa, Steadfast's panel | Steadfast's webhook (bearer token) |
| ``REDX_WEBHOOK_TOKEN`` | Rasa, RedX's panel | RedX's webhook (``?token=`` in its callback URL) |

The couriers' secrets are typed into each courier's merchant panel (docs/couriers.md): to
use one the panel gave you instead, replace its line in the file.

``python -m seba.secrets`` (``make secrets``, run by ``make setup``) creates the file with the
names that are missing, and tightens its mode to 0600 if it was created more open. Processes
read a secret from the environment first (``scripts/run.sh`` exports the file), then from
the file; secrets never travel in process arguments or URLs.
"""

import hashlib
import hmac
import logging
import os
import secrets as _random
import stat
import sys
from pathlib import Path
from typing import Dict, Optional

from seba import PROJECT_ROOT

logger = logging.getLogger(__name__)

NAMES = (
    "RASA_JWT_SECRET",
    "SEBA_ACTION_SECRET",
    "SEBA_SECRET_KEY",
    # The couriers' webhooks (couriers/): generated here, copied into their panels.
    "PATHAO_WEBHOOK_SECRET",
    "STEADFAST_WEBHOOK_TOKEN",
    "REDX_WEBHOOK_TOKEN",
)
ACTION_SECRET_HEADER = "X-Seba-Action-Secret"


class MissingSecret(RuntimeError):
    """A secret the process needs is neither in the environment nor in the secrets file."""


def secrets_file() -> Path:
    return Path(os.environ.get("SEBA_SECRETS_FILE") or PROJECT_ROOT / "var" / "secrets.env")


def _read(path: Path) -> Dict[str, str]:
    values: Dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    for line in text.splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name and not name.startswith("#"):
            values[name.strip()] = value.strip().strip("'\"")
    return values


def ensure(path: Optional[Path] = None) -> Path:
    """Create the secrets file (0600) or add the names it lacks; returns its path."""
    path = path or secrets_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    current = _read(path)
    missing = [name for name in NAMES if not current.get(name)]
    # O_CREAT with mode 0600: the file is never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
        for name in missing:
            os.write(fd, f"{name}={_random.token_urlsafe(32)}\n".encode("ascii"))
    finally:
        os.close(fd)
    return path


def get(name: str) -> str:
    """The secret ``name``: the environment, else the secrets file; MissingSecret if neither."""
    value = os.environ.get(name, "").strip() or _read(secrets_file()).get(name, "")
    if not value:
        raise MissingSecret(
            f"{name} is not set: run `make secrets` (creates {secrets_file()}) or export it."
        )
    return value


def derived_key(purpose: str) -> bytes:
    """A key for one purpose (``web-session``, ``phone``), derived from SEBA_SECRET_KEY."""
    master = get("SEBA_SECRET_KEY").encode("utf-8")
    return hmac.new(master, b"seba:" + purpose.encode("utf-8"), hashlib.sha256).digest()


#: Lifetime of the bearer tokens this installation mints for Rasa's HTTP API.
API_TOKEN_SECONDS = 300


def rasa_api_token(seconds: int = API_TOKEN_SECONDS) -> str:
    """A short-lived HS256 bearer token for Rasa's HTTP API (role admin), signed with
    RASA_JWT_SECRET: what ``--jwt-secret`` makes Rasa accept (seba/server.py)."""
    import time

    import jwt

    now = int(time.time())
    claims = {"user": {"username": "seba", "role": "admin"}, "iat": now, "exp": now + seconds}
    return jwt.encode(claims, get("RASA_JWT_SECRET"), algorithm="HS256")


def rasa_api_headers() -> Dict[str, str]:
    return {"Authorization": f"Bearer {rasa_api_token()}"}


def main(argv: Optional[list] = None) -> int:
    """``python -m seba.secrets``: create/complete the file; ``… token``: print a bearer token
    for Rasa's HTTP API (``curl -H "Authorization: Bearer $(… token)" …``)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["token"]:
        print(rasa_api_token())
        return 0
    path = ensure()
    print(f"secrets in {path} (mode 0600)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

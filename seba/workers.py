"""Several Rasa workers on one machine: the endpoints they need (scripts/run.sh).

    python -m seba.workers ENDPOINTS REDIS_URL OUT

writes OUT: the endpoints file ENDPOINTS with Rasa's Redis lock store on database 1 of
REDIS_URL (``redis://host:port``) unless ENDPOINTS already names a lock store, and prints
the URL the web chat's socket.io pub/sub uses (database 2 of the same Redis), for
``SEBA_SOCKETIO_REDIS_URL``.

Why Redis: Rasa runs its Sanic workers only with a Redis lock store (one message of a
conversation at a time, whichever worker receives it), and an agent's reply sent through
one worker must reach a web customer's socket held by the other (channels/webchat.py).
"""

import sys
from pathlib import Path
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

import yaml

ATOMIC_REDIS = "seba.lock_store.AtomicRedisLockStore"  # Rasa's, made atomic
LOCK_STORE_DB = 1
SOCKETIO_DB = 2


def parse_redis_url(url: str) -> Tuple[str, int, Optional[str]]:
    """(host, port, password) of ``redis://[:password@]host[:port][/db]``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(f"not a redis:// URL: {url!r}")
    return parts.hostname, parts.port or 6379, parts.password


def redis_db_url(url: str, db: int) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}/{db}"


def with_lock_store(endpoints: Dict[str, Any], redis_url: str) -> Dict[str, Any]:
    """``endpoints`` with a Redis lock store, keeping one it already names."""
    out = dict(endpoints)
    if out.get("lock_store"):
        return out
    host, port, password = parse_redis_url(redis_url)
    lock: Dict[str, Any] = {"type": ATOMIC_REDIS, "url": host, "port": port, "db": LOCK_STORE_DB}
    if password:
        lock["password"] = password
    if redis_url.startswith("rediss://"):
        lock["use_ssl"] = True
    out["lock_store"] = lock
    return out


def main(argv: Optional[list] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    source, redis_url, target = args
    try:
        endpoints = yaml.safe_load(Path(source).read_text(encoding="utf-8")) or {}
        out = with_lock_store(endpoints, redis_url)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"seba.workers: {exc}", file=sys.stderr)
        return 1
    text = (
        f"# Written by scripts/run.sh from {source} for several Rasa workers "
        "(seba/workers.py); edit the source, not this file.\n"
    )
    path = Path(target)
    path.write_text(
        text + yaml.safe_dump(out, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    path.chmod(0o600)  # it may hold the Redis password
    print(redis_db_url(redis_url, SOCKETIO_DB))
    return 0


if __name__ == "__main__":
    sys.exit(main())

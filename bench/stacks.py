"""The servers of one system under test: a shop database, its action server, Redis when it
runs several workers, and its Rasa server — started as a ``Stack`` and stopped together.

- stock: ``rasa run`` with Rasa's own channels, in-memory tracker and lock store
  (bench/credentials.stock.yml, an endpoints file with only the action server and NLG);
- ours: ``python -m seba.server run`` as scripts/run.sh starts it: the project's
  endpoints.yml, ``workers`` Sanic workers on a Redis lock store (two, like ``make run``).
"""

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bench import scripts
from bench.paths import ROOT, VENV_BIN
from bench.procs import (
    REST_HEADERS,
    Proc,
    env,
    free_port,
    log,
    post_json,
    start_redis,
    wait_first_reply,
    wait_port,
)
from bench.settings import TOKEN, Settings


# --- shop database -------------------------------------------------------------------
def make_shop_db(path: Path, log_path: Path) -> Tuple[str, List[Tuple[str, str]], str]:
    """A fresh SQLite shop DB for one system's run; returns (url, [(order, phone)], how)."""
    if path.exists():
        path.unlink()
    url = f"sqlite:///{path}"
    how = "python -m seba.db init"
    with open(log_path, "ab") as f:
        r = subprocess.run(
            [str(VENV_BIN / "python"), "-m", "seba.db", "init"],
            cwd=ROOT,
            env=env(DATABASE_URL=url),
            stdout=f,
            stderr=subprocess.STDOUT,
        )
    if r.returncode == 0:
        # The handoff tables live in the shop database too (as `make setup` makes them):
        # without them every session start logs "the queue is unavailable" with a
        # traceback, which is not what a shop's action server does.
        with open(log_path, "ab") as f:
            r = subprocess.run(
                [str(VENV_BIN / "python"), "-m", "handoff", "upgrade"],
                cwd=ROOT,
                env=env(DATABASE_URL=url, HANDOFF_DATABASE_URL=url),
                stdout=f,
                stderr=subprocess.STDOUT,
            )
        how += " && python -m handoff upgrade"
    if r.returncode != 0 or not path.exists():
        src = ROOT / "var" / "shop.db"
        if src.exists():
            shutil.copyfile(src, path)
            how = "copy of var/shop.db"
        else:
            how = "none (seba.db init failed and var/shop.db missing; order lookups will fail)"
    return url, read_orders(url), how


def shop_env(url: str) -> Dict[str, str]:
    """The settings that point a server at this run's shop database (and its handoff queue)."""
    return {"DATABASE_URL": url, "HANDOFF_DATABASE_URL": url}


def read_orders(url: str, limit: int = 40) -> List[Tuple[str, str]]:
    """(order number, phone) pairs from the shop DB: the demo orders first."""
    try:
        from sqlalchemy import create_engine, text

        eng = create_engine(url, future=True)
        with eng.connect() as c:
            rows = c.execute(text("SELECT number, phone FROM orders ORDER BY number")).fetchall()
        eng.dispose()
    except Exception:
        return list(scripts.DEMO_ORDERS)
    demo = [(n, p) for n, p in scripts.DEMO_ORDERS if (n, p) in set(map(tuple, rows))]
    others = [tuple(r) for r in rows if tuple(r) not in set(demo)]
    out = (demo or list(scripts.DEMO_ORDERS)) + others[: max(0, limit - len(demo))]
    return [(str(n), str(p)) for n, p in out]


# --- servers -------------------------------------------------------------------------
def start_action_server(
    run_dir: Path, shop_url: str, name: str, enabled: bool = True, tag: Optional[str] = None
) -> Optional[Tuple[Proc, int]]:
    """``name``: stock (``rasa run actions``) or ours (``seba.action_server``)."""
    if not enabled:
        log("--no-actions: running without an action server")
        return None
    if not (ROOT / "actions").is_dir():
        log("no actions/ package: running without an action server")
        return None
    port = free_port()
    # Stock Rasa calls rasa-sdk's own server; ours calls Seba's, which needs the secret.
    cmd = (
        [str(VENV_BIN / "rasa"), "run", "actions"]
        if name == "stock"
        else [str(VENV_BIN / "python"), "-m", "seba.action_server"]
    )
    tag = tag or name
    proc = Proc(
        f"actions-{tag}",
        cmd + ["--port", str(port), "--actions", "actions"],
        run_dir / f"actions-{tag}.log",
        environ=env(**shop_env(shop_url)),
    )
    if not wait_port(port, 180, proc):
        raise RuntimeError(f"action server did not start:\n{proc.tail()}")
    return proc, port


def endpoints_for(
    system: str,
    run_dir: Path,
    action_port: Optional[int],
    tracker: Optional[dict] = None,
    lock: Optional[dict] = None,
    source: str = "endpoints.yml",
    tag: Optional[str] = None,
) -> Path:
    """ours: the project's endpoints.yml with the action URL pointed at the bench's
    action server and a SQLite tracker DB moved under the run dir; stock: only the
    action endpoint and the project's NLG (Rasa's default in-memory tracker store)."""
    if system == "stock":
        cfg: dict = {"nlg": {"type": "seba.nlg.SebaNLG"}}
    else:
        cfg = yaml.safe_load((ROOT / source).read_text(encoding="utf-8")) or {}
        ts = cfg.get("tracker_store") or {}
        # Rasa's SQL store or a subclass of it (type: module.Class) on SQLite: a fresh
        # DB file under the run dir, never the project's var/tracker.db.
        if (
            ts
            and (str(ts.get("type", "")).lower() == "sql" or "." in str(ts.get("type", "")))
            and ts.get("dialect", "sqlite") == "sqlite"
        ):
            ts["db"] = str(run_dir / f"tracker-{tag or system}.db")
            cfg["tracker_store"] = ts
    if action_port:
        cfg["action_endpoint"] = {"url": f"http://127.0.0.1:{action_port}/webhook"}
        if system != "stock":  # as in the project's endpoints.yml
            cfg["action_endpoint"]["headers"] = {"X-Seba-Action-Secret": "${SEBA_ACTION_SECRET}"}
            cfg["action_endpoint"]["enable_selective_domain"] = True
    else:
        cfg.pop("action_endpoint", None)
    if tracker is not None:
        cfg["tracker_store"] = tracker
    if lock is not None:
        cfg["lock_store"] = lock
    path = run_dir / f"endpoints-{tag or system}{'-scale' if tracker else ''}.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def rasa_server_args(system: str, model: Path, port: int, endpoints: Path) -> List[str]:
    common = [
        "run",
        "--enable-api",
        "--port",
        str(port),
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
    ]
    if system == "stock":
        # Rasa's own REST and socket.io channels, its token auth, open CORS.
        return (
            [str(VENV_BIN / "rasa")]
            + common
            + [
                "--auth-token",
                TOKEN,
                "--cors",
                "*",
                "-i",
                "127.0.0.1",
                "--credentials",
                str(ROOT / "bench" / "credentials.stock.yml"),
            ]
        )
    # As scripts/run.sh starts it (loopback, JWT for the API, the shop's origins).
    return (
        [str(VENV_BIN / "python"), "-m", "seba.server"]
        + common
        + ["--credentials", str(ROOT / "credentials.yml")]
    )


def for_workers(endpoints: Path, workers: int, redis_port: int) -> Tuple[Path, Dict[str, str]]:
    """(endpoints, environment) for several Rasa workers, made as scripts/run.sh makes them
    (seba/workers.py): Redis lock store, the web chat's emits through Redis."""
    from seba import workers as seba_workers

    url = f"redis://127.0.0.1:{redis_port}"
    cfg = seba_workers.with_lock_store(yaml.safe_load(endpoints.read_text(encoding="utf-8")), url)
    target = endpoints.with_name(endpoints.stem + "-workers.yml")
    target.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return target, {
        "SANIC_WORKERS": str(workers),
        "SEBA_SOCKETIO_REDIS_URL": seba_workers.redis_db_url(url, seba_workers.SOCKETIO_DB),
    }


READY_LINE = b"Rasa server is up and running"


def start_rasa(
    system: str,
    model: Path,
    endpoints: Path,
    run_dir: Path,
    tag: str,
    timeout: float,
    environ: Optional[Dict[str, str]] = None,
    workers: int = 1,
) -> Tuple[Proc, int, float]:
    """A Rasa server; its start-up time is process start → first reply (with several
    workers: → first reply once every worker has loaded the model)."""
    port = free_port()
    proc = Proc(
        f"rasa-{tag}",
        rasa_server_args(system, model, port, endpoints),
        run_dir / f"rasa-{tag}.log",
        environ=env(**(environ or {})),
    )
    startup = None
    deadline = time.monotonic() + timeout
    while workers > 1 and proc.alive() and time.monotonic() < deadline:
        if proc.log_path.read_bytes().count(READY_LINE) >= workers:
            break
        time.sleep(0.1)
    startup = wait_first_reply(port, proc, max(1.0, deadline - time.monotonic()))
    if startup is None:
        tail = proc.tail(40)
        proc.stop()
        raise RuntimeError(
            f"Rasa server ({tag}) gave no first reply within {timeout:.0f}s:\n{tail}"
        )
    return proc, port, startup


# --- a whole stack ------------------------------------------------------------------------
FIRST_PRODUCT_QUESTION = "কালো বোরকার দাম কত?"


@dataclass
class Stack:
    """One running system: ``watch`` holds its processes by role (rasa, actions, redis)."""

    system: str  # stock | ours
    tag: str  # stock | ours | ours1 (ours on one worker)
    model: Path
    workers: int
    base_url: str
    watch: Dict[str, Proc]
    orders: List[Tuple[str, str]]
    info: Dict[str, object] = field(default_factory=dict)
    rasa_env: Dict[str, str] = field(default_factory=dict)
    endpoints: Optional[Path] = None

    @property
    def rasa(self) -> Proc:
        return self.watch["rasa"]

    def rss_mb(self) -> Dict[str, float]:
        return {k: round(p.rss_kb() / 1024, 1) for k, p in self.watch.items()}

    def hwm_mb(self) -> Dict[str, float]:
        return {k: round(p.hwm_kb() / 1024, 1) for k, p in self.watch.items()}

    def stop(self) -> None:
        for proc in reversed(list(self.watch.values())):
            proc.stop()


def start_stack(
    system: str, tag: str, model: Path, run_dir: Path, settings: Settings, workers: int = 1
) -> Stack:
    """Shop DB, action server, (Redis,) Rasa; start-up time = process start → first reply,
    then the first product question right after it (the action server's first spaCy use)."""
    shop_url, orders, how = make_shop_db(run_dir / f"shop-{tag}.db", run_dir / "shop-db.log")
    watch: Dict[str, Proc] = {}
    info: Dict[str, object] = {
        "shop_db": how,
        "orders_used": len(orders),
        "workers": workers,
        "model": str(model.relative_to(ROOT)) if model.is_relative_to(ROOT) else str(model),
    }
    act = start_action_server(run_dir, shop_url, system, settings.actions, tag=tag)
    if act:
        watch["actions"] = act[0]
    endpoints = endpoints_for(
        system, run_dir, act[1] if act else None, source=settings.ours_endpoints, tag=tag
    )
    # Rasa reads the shop database too (order notices, verification guards): the same one.
    rasa_env: Dict[str, str] = shop_env(shop_url)
    try:
        if workers > 1:
            redis, redis_port = start_redis(run_dir / f"redis-{tag}", run_dir / f"redis-{tag}.log")
            watch["redis"] = redis
            endpoints, worker_env = for_workers(endpoints, workers, redis_port)
            rasa_env.update(worker_env)
        info["endpoints"] = yaml.safe_load(endpoints.read_text())
        log(f"{tag}: starting Rasa server ({model.name}, {workers} worker(s))")
        proc, port, startup = start_rasa(
            system, model, endpoints, run_dir, tag, settings.startup_timeout, rasa_env, workers
        )
        watch["rasa"] = proc
    except Exception:
        for p in watch.values():
            p.stop()
        raise
    base = f"http://127.0.0.1:{port}"
    info["startup_s"] = [round(startup, 2)]
    log(f"{tag}: first reply {startup:.1f}s after process start")
    stack = Stack(system, tag, model, workers, base, watch, orders, info, rasa_env, endpoints)
    if act:
        info["actions_rss_before_product_mb"] = round(act[0].rss_kb() / 1024, 1)
        t = time.perf_counter()
        try:
            post_json(
                f"{base}/webhooks/rest/webhook",
                {"sender": f"bench-first-product-{tag}", "message": FIRST_PRODUCT_QUESTION},
                timeout=60,
                headers=REST_HEADERS,
            )
            info["first_product_question_s"] = round(time.perf_counter() - t, 3)
        except OSError as exc:
            info["first_product_question_error"] = str(exc)[:300]
        info["actions_rss_after_product_mb"] = round(act[0].rss_kb() / 1024, 1)
    time.sleep(1.0)
    info["rss_idle_mb"] = stack.rss_mb()
    return stack


def action_server_cold(
    system: str, run_dir: Path, shop_url: str, timeout: float = 180
) -> Dict[str, object]:
    """A fresh action server: seconds from its start to /health, and to the answer of a
    product question sent the moment it is healthy; its memory before and after."""
    from bench.procs import BASE_ENV

    act = start_action_server(run_dir, shop_url, system, tag=f"{system}-cold")
    if act is None:
        return {"error": "no action server"}
    proc, port = act
    out: Dict[str, object] = {
        "ready_s": round(time.perf_counter() - proc.t_start, 2),
        "rss_ready_mb": round(proc.rss_kb() / 1024, 1),
    }
    call = {
        "next_action": "action_product_info",
        "sender_id": "bench-cold",
        "version": "3.6.21",
        "tracker": {
            "sender_id": "bench-cold",
            "slots": {"language": "bn"},
            "latest_message": {
                "text": FIRST_PRODUCT_QUESTION,
                "entities": [],
                "intent": {"name": "product_info", "confidence": 1.0},
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
    }
    t = time.perf_counter()
    try:
        post_json(
            f"http://127.0.0.1:{port}/webhook",
            call,
            timeout=timeout,
            headers={"X-Seba-Action-Secret": BASE_ENV["SEBA_ACTION_SECRET"]},
        )
        out["first_product_answer_s"] = round(time.perf_counter() - t, 3)
    except OSError as exc:
        out["error"] = str(exc)[:300]
    out["rss_after_mb"] = round(proc.rss_kb() / 1024, 1)
    out["hwm_mb"] = round(proc.hwm_kb() / 1024, 1)
    proc.stop()
    return out

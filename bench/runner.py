"""The benchmark run: train, serve, measure stock and ours one after the other.

Order of a full run (``python -m bench``):
1. train stock and ours from the same data (full, then after adding one example);
2. stock: shop DB copy + action server + Rasa server -> start-up time, held-out
   accuracy, serial reference transcripts, load (REST and socket.io at each
   concurrency), the long conversation, memory; servers stopped;
3. ours: the same;
4. scale-out (ours): PostgreSQL tracker store + Redis lock store, 1 then 2 Rasa
   servers behind bench/lb.py, the same load;
5. bench/results.json, bench/report.md and the PNG plots.
"""

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import yaml

from bench import accuracy, scripts, training
from bench.paths import RESULTS_JSON, ROOT, RUNS, VENV_BIN
from bench.procs import (REST_HEADERS, MemorySampler, Proc, cpu_seconds, env, free_port,
                         start_postgres,
                         start_redis, stop_all, wait_first_reply, wait_port)

PARTS = ("train", "accuracy", "load", "long", "startup", "scale")
SYSTEMS = ("stock", "ours")
TOKEN = "bench-token"


@dataclass
class Settings:
    quick: bool = False
    parts: Tuple[str, ...] = PARTS
    systems: Tuple[str, ...] = SYSTEMS
    concurrencies: Tuple[int, ...] = (1, 10, 50)
    channels: Tuple[str, ...] = ("rest", "socketio")
    duration: float = 25.0  # seconds of load per (system, channel, concurrency)
    long_turns: int = 100
    long_repeats: int = 2
    startup_repeats: int = 2
    scale_processes: Tuple[int, ...] = (1, 2)
    scale_concurrencies: Tuple[int, ...] = (10, 50)
    scale_channels: Tuple[str, ...] = ("rest", "socketio")
    scale_duration: float = 20.0
    turn_timeout: float = 30.0
    startup_timeout: float = 420.0
    max_conversations: int = 5000
    incremental_train: bool = True
    retrain: bool = True  # False: reuse bench/runs/models/*.tar.gz when their inputs match
    profile: bool = False
    ours_model: Optional[str] = None
    stock_model: Optional[str] = None
    scratch: bool = False  # True: results only in the run dir, bench/results.json untouched
    ours_endpoints: str = "endpoints.yml"  # relative to the repo root (try variants with --ours-endpoints)
    actions: bool = True  # False: no action server (development only)
    ours_workers: int = 2  # Rasa workers of ours, as `make run` starts them (RASA_WORKERS)

    @classmethod
    def quick_settings(cls) -> "Settings":
        return cls(quick=True, concurrencies=(1, 10), duration=8.0, long_turns=100,
                   long_repeats=1, startup_repeats=1, scale_concurrencies=(10,),
                   scale_channels=("rest",), scale_duration=8.0, incremental_train=False,
                   retrain=False)


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def loadavg() -> float:
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except (OSError, ValueError):
        return -1.0


# --- machine ---------------------------------------------------------------------
def machine_info() -> Dict[str, object]:
    info: Dict[str, object] = {}
    try:
        cpuinfo = open("/proc/cpuinfo").read()
        models = [l.split(":", 1)[1].strip() for l in cpuinfo.splitlines() if l.startswith("model name")]
        info["cpu"] = models[0] if models else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    info["cores"] = os.cpu_count()
    try:
        mem = [l for l in open("/proc/meminfo") if l.startswith("MemTotal")][0]
        info["ram_gb"] = round(int(mem.split()[1]) / 1024 / 1024, 1)
    except (OSError, IndexError):
        pass
    try:
        rel = dict(l.strip().split("=", 1) for l in open("/etc/os-release") if "=" in l)
        info["os"] = rel.get("PRETTY_NAME", "").strip('"')
    except OSError:
        info["os"] = platform.platform()
    info["kernel"] = platform.release()
    info["python"] = platform.python_version()
    from importlib import metadata

    for pkg in ("rasa", "rasa-sdk", "tensorflow", "sanic", "python-socketio", "aiohttp"):
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    try:
        info["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                     capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        info["git_dirty"] = bool(dirty)
    except OSError:
        pass
    info["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    info["loadavg_at_start"] = loadavg()
    return info


# --- shop database -------------------------------------------------------------------
def make_shop_db(path: Path, log_path: Path) -> Tuple[str, List[Tuple[str, str]], str]:
    """A fresh SQLite shop DB for one system's run; returns (url, [(order, phone)], how)."""
    if path.exists():
        path.unlink()
    url = f"sqlite:///{path}"
    how = "python -m seba.db init"
    with open(log_path, "ab") as f:
        r = subprocess.run([str(VENV_BIN / "python"), "-m", "seba.db", "init"], cwd=ROOT,
                           env=env(DATABASE_URL=url), stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0 or not path.exists():
        src = ROOT / "var" / "shop.db"
        if src.exists():
            shutil.copyfile(src, path)
            how = "copy of var/shop.db"
        else:
            how = "none (seba.db init failed and var/shop.db missing; order lookups will fail)"
    return url, read_orders(url), how


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
def start_action_server(run_dir: Path, shop_url: str, name: str,
                        enabled: bool = True) -> Optional[Tuple[Proc, int]]:
    if not enabled:
        log("--no-actions: running without an action server")
        return None
    if not (ROOT / "actions").is_dir():
        log("no actions/ package: running without an action server")
        return None
    port = free_port()
    # Stock Rasa calls rasa-sdk's own server; ours calls Seba's, which needs the secret.
    cmd = ([str(VENV_BIN / "rasa"), "run", "actions"] if name == "stock" else
           [str(VENV_BIN / "python"), "-m", "seba.action_server"])
    proc = Proc(f"actions-{name}", cmd + ["--port", str(port), "--actions", "actions"],
                run_dir / f"actions-{name}.log", environ=env(DATABASE_URL=shop_url))
    if not wait_port(port, 180, proc):
        raise RuntimeError(f"action server did not start:\n{proc.tail()}")
    return proc, port


def endpoints_for(system: str, run_dir: Path, action_port: Optional[int],
                  tracker: Optional[dict] = None, lock: Optional[dict] = None,
                  source: str = "endpoints.yml") -> Path:
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
        if ts and (str(ts.get("type", "")).lower() == "sql" or "." in str(ts.get("type", ""))) \
                and ts.get("dialect", "sqlite") == "sqlite":
            ts["db"] = str(run_dir / f"tracker-{system}.db")
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
    path = run_dir / f"endpoints-{system}{'-scale' if tracker else ''}.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def rasa_server_args(system: str, model: Path, port: int, endpoints: Path) -> List[str]:
    common = ["run", "--enable-api", "--port", str(port), "--model", str(model),
              "--endpoints", str(endpoints)]
    if system == "stock":
        # Rasa's own REST and socket.io channels, its token auth, open CORS.
        return [str(VENV_BIN / "rasa")] + common + [
            "--auth-token", TOKEN, "--cors", "*", "-i", "127.0.0.1",
            "--credentials", str(ROOT / "bench" / "credentials.stock.yml")]
    # As scripts/run.sh starts it (loopback, JWT for the API, the shop's origins).
    return [str(VENV_BIN / "python"), "-m", "seba.server"] + common + [
        "--credentials", str(ROOT / "credentials.yml")]


def for_workers(endpoints: Path, workers: int, redis_port: int) -> Tuple[Path, Dict[str, str]]:
    """(endpoints, environment) for several Rasa workers, made as scripts/run.sh makes them
    (seba/workers.py): Redis lock store, the web chat's emits through Redis."""
    from seba import workers as seba_workers

    url = f"redis://127.0.0.1:{redis_port}"
    cfg = seba_workers.with_lock_store(yaml.safe_load(endpoints.read_text(encoding="utf-8")), url)
    target = endpoints.with_name(endpoints.stem + "-workers.yml")
    target.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return target, {"SANIC_WORKERS": str(workers),
                    "SEBA_SOCKETIO_REDIS_URL": seba_workers.redis_db_url(url, seba_workers.SOCKETIO_DB)}


READY_LINE = b"Rasa server is up and running"


def start_rasa(system: str, model: Path, endpoints: Path, run_dir: Path, tag: str,
               timeout: float, environ: Optional[Dict[str, str]] = None,
               workers: int = 1) -> Tuple[Proc, int, float]:
    """A Rasa server; its start-up time is process start → first reply (with several
    workers: → first reply once every worker has loaded the model)."""
    port = free_port()
    proc = Proc(f"rasa-{tag}", rasa_server_args(system, model, port, endpoints),
                run_dir / f"rasa-{tag}.log", environ=env(**(environ or {})))
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
        raise RuntimeError(f"Rasa server ({tag}) gave no first reply within {timeout:.0f}s:\n{tail}")
    return proc, port, startup


# --- load ----------------------------------------------------------------------------
def socketio_count(msg: dict) -> int:
    """How many bot_uttered events Rasa's socket.io channel sends for one REST message."""
    n = 0
    text = msg.get("text")
    if msg.get("buttons") or msg.get("quick_replies"):
        n += len((text or "").strip().split("\n\n")) or 1
    elif text:
        n += 1  # REST already split the text on blank lines
    for k in ("custom", "image", "attachment"):
        if msg.get(k):
            n += 1
    return n


def run_loadgen(spec: dict, run_dir: Path, tag: str, watch: Dict[str, Proc]) -> dict:
    spec = {**spec, "rest_headers": REST_HEADERS}  # ours' REST channel needs its secret
    spec_path = run_dir / f"load-{tag}.spec.json"
    out_path = run_dir / f"load-{tag}.json"
    spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    cpu0 = {k: cpu_seconds(p.pid) for k, p in watch.items()}
    la0 = loadavg()
    limit = float(spec["duration"]) + float(spec.get("turn_timeout", 30)) + 120
    import resource

    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with MemorySampler(watch) as mem:
        t = time.perf_counter()
        with open(run_dir / f"load-{tag}.log", "ab") as f:
            subprocess.run([str(VENV_BIN / "python"), "-m", "bench.loadgen", str(spec_path),
                            str(out_path)], cwd=ROOT, env=env(), stdout=f, stderr=subprocess.STDOUT,
                           timeout=limit, check=True)
        wall = time.perf_counter() - t
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out_path.read_text(encoding="utf-8"))
    result["loadgen_cpu_s"] = round((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), 2)
    result["cpu_s"] = {k: round(cpu_seconds(p.pid) - cpu0[k], 2) for k, p in watch.items()}
    result["peak_rss_mb"] = {k: round(v / 1024, 1) for k, v in mem.peak.items()}
    result["loadavg"] = [la0, loadavg()]
    result["wall_s"] = round(wall, 1)
    return result


def summarise_load(result: dict) -> dict:
    turns = result["turns"]
    ok = [r for r in turns if r[7] == "ok" and r[3] is not None]
    lat = np.array([r[3] for r in ok]) if ok else np.array([])
    first = np.array([r[4] for r in ok if r[4] is not None]) if ok else np.array([])
    statuses: Dict[str, int] = {}
    for r in turns:
        statuses[r[7]] = statuses.get(r[7], 0) + 1
    elapsed = result.get("elapsed") or 0.0
    errors = sum(v for k, v in statuses.items()
                 if k.startswith("http_") or k in ("timeout", "exception", "connect_failed",
                                                   "session_timeout", "no_reference"))
    s = {
        "channel": result["channel"],
        "concurrency": result["concurrency"],
        "replies": len(ok),
        "turns_sent": len([r for r in turns if r[1] >= 0]),
        "elapsed_s": round(elapsed, 2),
        "replies_per_s": round(len(ok) / elapsed, 2) if elapsed else 0.0,
        "p50_ms": round(float(np.percentile(lat, 50)) * 1000, 1) if len(lat) else None,
        "p95_ms": round(float(np.percentile(lat, 95)) * 1000, 1) if len(lat) else None,
        "p99_ms": round(float(np.percentile(lat, 99)) * 1000, 1) if len(lat) else None,
        "max_ms": round(float(lat.max()) * 1000, 1) if len(lat) else None,
        "first_msg_p50_ms": round(float(np.percentile(first, 50)) * 1000, 1) if len(first) else None,
        "errors": errors,
        "lost": statuses.get("lost", 0),
        "extra": result.get("extra_messages", 0) + statuses.get("extra", 0),
        "differs_from_reference": statuses.get("count_mismatch", 0),
        "statuses": statuses,
        "conversations": result.get("conversations_started", 0),
        "conversations_completed": result.get("conversations_completed", 0),
        "cpu_s": {**result.get("cpu_s", {}), "loadgen": result.get("loadgen_cpu_s")},
        "peak_rss_mb": result.get("peak_rss_mb", {}),
        "loadavg": result.get("loadavg"),
        "error_samples": result.get("errors", [])[:5],
    }
    rasa_cpu = sum(v for k, v in s["cpu_s"].items() if k.startswith("rasa"))
    if s["replies"]:
        s["rasa_cpu_ms_per_reply"] = round(1000 * rasa_cpu / s["replies"], 1)
        act = s["cpu_s"].get("actions")
        if act is not None:
            s["actions_cpu_ms_per_reply"] = round(1000 * act / s["replies"], 1)
    return s


def reference(base_url: str, convs: List[scripts.Conversation], run_dir: Path, tag: str,
              watch: Dict[str, Proc], settings: Settings) -> Tuple[List[dict], dict]:
    """Every conversation once, serially, over REST: the expected reply counts per turn
    (REST and socket.io), and the transcripts for the report's appendix."""
    spec = {"base_url": base_url, "channel": "rest", "concurrency": 1, "duration": 3600,
            "max_conversations": len(convs), "turn_timeout": settings.turn_timeout,
            "sender_prefix": f"ref-{tag}", "keep_transcripts": True,
            "conversations": [asdict(c) for c in convs]}
    # Pass 1 warms up and brings the shop DB into its steady state (a return request
    # made once is "already requested" afterwards); pass 2 is the reference.
    warm = run_loadgen({**spec, "sender_prefix": f"warm-{tag}"}, run_dir, f"{tag}-warmup", watch)
    res = run_loadgen(spec, run_dir, f"{tag}-reference", watch)
    state_dependent = 0
    for i in range(len(convs)):
        a = [len(m) for m in warm["transcripts"].get(str(i), [])]
        b = [len(m) for m in res["transcripts"].get(str(i), [])]
        state_dependent += sum(x != y for x, y in zip(a, b))
    specs = []
    for i, c in enumerate(convs):
        tr = res["transcripts"].get(str(i), [])
        d = asdict(c)
        d["expected_rest"] = [len(m) for m in tr]
        d["expected_socketio"] = [sum(socketio_count(x) for x in m) for m in tr]
        specs.append(d)
    summary = summarise_load(res)
    empty = sum(1 for d in specs for n in d["expected_rest"] if n == 0)
    summary["turns_without_reply"] = empty
    summary["turns_differing_warmup_vs_reference"] = state_dependent
    summary["transcripts"] = {c.script: [[m.get("text", "") if isinstance(m, dict) else str(m)
                                          for m in turn] for turn in res["transcripts"].get(str(i), [])]
                              for i, c in enumerate(convs)}
    return specs, summary


def load_matrix(base_url: str, conv_specs: List[dict], run_dir: Path, tag: str,
                watch: Dict[str, Proc], channels, concurrencies, duration: float,
                settings: Settings, profile_hook=None) -> Dict[str, Dict[str, dict]]:
    out: Dict[str, Dict[str, dict]] = {}
    for channel in channels:
        for c in concurrencies:
            log(f"{tag}: {channel} x{c} for {duration:.0f}s (load {loadavg():.2f})")
            spec = {"base_url": base_url, "channel": channel, "concurrency": c,
                    "duration": duration, "max_conversations": settings.max_conversations,
                    "turn_timeout": settings.turn_timeout, "ramp": min(2.0, 0.05 * c),
                    "sender_prefix": f"{tag}-{channel}-{c}", "conversations": conv_specs}
            prof = profile_hook(channel, c, duration) if profile_hook else None
            res = run_loadgen(spec, run_dir, f"{tag}-{channel}-{c}", watch)
            if prof is not None:
                prof()
            s = summarise_load(res)
            out.setdefault(channel, {})[str(c)] = s
            log(f"  -> {s['replies_per_s']} replies/s, p50 {s['p50_ms']} p95 {s['p95_ms']} ms, "
                f"errors {s['errors']} lost {s['lost']} extra {s['extra']} "
                f"differ {s['differs_from_reference']}")
    return out


def long_conversation(base_url: str, orders, run_dir: Path, tag: str, watch: Dict[str, Proc],
                      settings: Settings) -> dict:
    turns = scripts.long_conversation(orders, settings.long_turns)
    per_turn: List[List[float]] = [[] for _ in turns]
    errors = 0
    for rep in range(settings.long_repeats):
        spec = {"base_url": base_url, "channel": "rest", "concurrency": 1, "duration": 3600,
                "max_conversations": 1, "turn_timeout": settings.turn_timeout,
                "sender_prefix": f"long-{tag}-{rep}",
                "conversations": [{"script": "long", "variety": "mix", "kind": "long", "turns": turns}]}
        res = run_loadgen(spec, run_dir, f"{tag}-long-{rep}", watch)
        for r in res["turns"]:
            if r[7] == "ok" and r[3] is not None:
                per_turn[r[1]].append(r[3])
            else:
                errors += 1
    med = [float(np.median(x)) * 1000 if x else None for x in per_turn]
    first = [m for m in med[:10] if m is not None]
    last = [m for m in med[-10:] if m is not None]
    out = {"turns": len(turns), "repeats": settings.long_repeats, "errors": errors,
           "per_turn_ms": [None if m is None else round(m, 1) for m in med],
           "first10_mean_ms": round(float(np.mean(first)), 1) if first else None,
           "last10_mean_ms": round(float(np.mean(last)), 1) if last else None}
    if first and last:
        out["last_over_first"] = round(out["last10_mean_ms"] / out["first10_mean_ms"], 3)
    return out


# --- profiling ---------------------------------------------------------------------------
def py_spy() -> Optional[str]:
    for cand in (shutil.which("py-spy"), str(RUNS / "tools" / "bin" / "py-spy")):
        if cand and os.path.exists(cand):
            return cand
    return None


def make_profile_hook(proc: Proc, run_dir: Path, tag: str, when: Tuple[str, int]):
    """A hook for load_matrix: records py-spy (raw collapsed stacks, on-CPU only) of ``proc`` during
    the phase ``when`` = (channel, concurrency), or ("long", 0) for the long conversation."""
    exe = py_spy()
    if exe is None:
        log("py-spy not found: no profile (pip install --target bench/runs/tools py-spy)")
        return None

    def hook(channel: str, c: int, duration: float):
        if (channel, c) != when:
            return None
        out = run_dir / f"profile-{tag}-{channel}-{c}.txt"
        p = subprocess.Popen([exe, "record", "--pid", str(proc.pid), "--duration",
                              str(int(duration)), "--rate", "50", "--format", "raw",
                              "--output", str(out), "--nonblocking", "--subprocesses"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def done() -> None:
            try:
                p.send_signal(2)  # SIGINT: py-spy writes what it has and exits
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
            log(f"  profile written: {out.relative_to(ROOT)} (python -m bench.profile {out.relative_to(ROOT)})")
        return done
    return hook


# --- one system ----------------------------------------------------------------------------
def run_system(system: str, model: Path, run_dir: Path, settings: Settings) -> dict:
    res: dict = {"model": str(model.relative_to(ROOT)) if model.is_relative_to(ROOT) else str(model)}
    shop_url, orders, how = make_shop_db(run_dir / f"shop-{system}.db", run_dir / "shop-db.log")
    res["shop_db"] = how
    res["orders_used"] = len(orders)
    act = start_action_server(run_dir, shop_url, system, settings.actions)
    action_port = act[1] if act else None
    endpoints = endpoints_for(system, run_dir, action_port, source=settings.ours_endpoints)
    watch: Dict[str, Proc] = {}
    if act:
        watch["actions"] = act[0]
    workers, rasa_env, redis = 1, {}, None
    if system == "ours" and settings.ours_workers > 1:
        workers = settings.ours_workers
        redis, redis_port = start_redis(run_dir / "redis-ours", run_dir / "redis-ours.log")
        watch["redis"] = redis
        endpoints, rasa_env = for_workers(endpoints, workers, redis_port)
    res["endpoints"] = yaml.safe_load(endpoints.read_text())
    res["workers"] = workers
    startups: List[float] = []
    try:
        log(f"{system}: starting Rasa server ({model.name}, {workers} worker(s))")
        proc, port, startup = start_rasa(system, model, endpoints, run_dir, system,
                                         settings.startup_timeout, rasa_env, workers)
        startups.append(round(startup, 2))
        log(f"{system}: first reply {startup:.1f}s after process start")
        watch["rasa"] = proc
        base = f"http://127.0.0.1:{port}"
        time.sleep(1.0)
        res["rss_idle_mb"] = {k: round(p.rss_kb() / 1024, 1) for k, p in watch.items()}
        if "accuracy" in settings.parts:
            data = accuracy.load_heldout()
            if data:
                log(f"{system}: held-out accuracy ({sum(len(v) for v in data.values())} messages)")
                ev = accuracy.evaluate_server(base, TOKEN if system == "stock" else None, data)
                res["accuracy"] = accuracy.summarise(ev)
                (run_dir / f"accuracy-{system}.json").write_text(
                    json.dumps(ev, ensure_ascii=False, indent=1), encoding="utf-8")
            else:
                res["accuracy"] = {"error": "no held-out data under tests/nlu/heldout"}
        if "load" in settings.parts or "long" in settings.parts:
            convs = scripts.conversations(orders)
            log(f"{system}: reference transcripts ({len(convs)} conversations, serial REST)")
            conv_specs, ref = reference(base, convs, run_dir, system, watch, settings)
            res["reference"] = ref
            if "load" in settings.parts:
                hook = None
                if settings.profile:
                    hook = make_profile_hook(proc, run_dir, system, ("rest", 10))
                res["load"] = load_matrix(base, conv_specs, run_dir, system, watch,
                                          settings.channels, settings.concurrencies,
                                          settings.duration, settings, hook)
            if "long" in settings.parts:
                log(f"{system}: long conversation ({settings.long_turns} turns x{settings.long_repeats})")
                prof = None
                if settings.profile:
                    h = make_profile_hook(proc, run_dir, system, ("long", 0))
                    prof = h("long", 0, 3600) if h else None
                res["long"] = long_conversation(base, orders, run_dir, system, watch, settings)
                if prof:
                    prof()
        res["rss_after_mb"] = {k: round(p.rss_kb() / 1024, 1) for k, p in watch.items()}
        res["hwm_mb"] = {k: round(p.hwm_kb() / 1024, 1) for k, p in watch.items()}
        proc.stop()
        watch.pop("rasa", None)
        if "startup" in settings.parts:
            for i in range(1, settings.startup_repeats):
                log(f"{system}: start-up again ({i + 1}/{settings.startup_repeats})")
                p2, _, s2 = start_rasa(system, model, endpoints, run_dir, f"{system}-restart{i}",
                                       settings.startup_timeout, rasa_env, workers)
                startups.append(round(s2, 2))
                p2.stop()
        res["startup_s"] = startups
        res["startup_median_s"] = round(float(np.median(startups)), 2)
    finally:
        for p in list(watch.values()):
            p.stop()
        if act:
            act[0].stop()
    return res


# --- scale-out --------------------------------------------------------------------------------
def run_scale(model: Path, run_dir: Path, settings: Settings) -> dict:
    out: dict = {"processes": {}}
    pg, pg_port, pg_user = start_postgres(run_dir / "pg", run_dir / "postgres.log")
    redis, redis_port = start_redis(run_dir / "redis", run_dir / "redis.log")
    shop_url, orders, how = make_shop_db(run_dir / "shop-scale.db", run_dir / "shop-db.log")
    act = start_action_server(run_dir, shop_url, "scale", settings.actions)
    tracker = {"type": "SQL", "dialect": "postgresql", "url": "127.0.0.1", "port": pg_port,
               "db": "rasa", "username": pg_user, "password": ""}
    lock = {"type": "redis", "url": "127.0.0.1", "port": redis_port, "db": 1}
    endpoints = endpoints_for("ours", run_dir, act[1] if act else None, tracker=tracker, lock=lock,
                              source=settings.ours_endpoints)
    out["endpoints"] = {"tracker_store": {k: v for k, v in tracker.items() if k != "password"},
                        "lock_store": lock}
    convs = scripts.conversations(orders)
    try:
        for n in settings.scale_processes:
            servers: List[Proc] = []
            ports: List[int] = []
            startups = []
            lb = None
            try:
                # One after the other: the first creates the tracker tables.
                for i in range(n):
                    log(f"scale: starting Rasa server {i + 1}/{n}")
                    p, port, s = start_rasa("ours", model, endpoints, run_dir, f"scale{n}-{i}",
                                            settings.startup_timeout)
                    servers.append(p)
                    ports.append(port)
                    startups.append(round(s, 1))
                lb_port = free_port()
                lb = Proc("lb", [str(VENV_BIN / "python"), "-m", "bench.lb", str(lb_port)]
                          + [str(p) for p in ports] + ["--max-seconds", "3600"],
                          run_dir / f"lb-{n}.log")
                if not wait_port(lb_port, 20, lb):
                    raise RuntimeError("load balancer did not start: " + lb.tail())
                base = f"http://127.0.0.1:{lb_port}"
                watch: Dict[str, Proc] = {f"rasa{i}": p for i, p in enumerate(servers)}
                watch.update({"lb": lb, "postgres": pg, "redis": redis})
                if act:
                    watch["actions"] = act[0]
                conv_specs, ref = reference(base, convs, run_dir, f"scale{n}", watch, settings)
                res = load_matrix(base, conv_specs, run_dir, f"scale{n}", watch,
                                  settings.scale_channels, settings.scale_concurrencies,
                                  settings.scale_duration, settings)
                out["processes"][str(n)] = {"startup_s": startups, "load": res,
                                            "reference_errors": ref["errors"]}
            finally:
                if lb:
                    lb.stop()
                for p in servers:
                    p.stop()
    finally:
        if act:
            act[0].stop()
        redis.stop()
        pg.stop()
    return out


# --- the whole run --------------------------------------------------------------------------------
def run(settings: Settings) -> dict:
    run_id = time.strftime("%Y%m%d-%H%M%S") + ("-quick" if settings.quick else "")
    run_dir = RUNS / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    models = RUNS / "models"
    models.mkdir(parents=True, exist_ok=True)
    tag = {"run": run_id, "mode": "quick" if settings.quick else "full"}
    t_start = time.perf_counter()
    global _RESULTS_PATH
    _RESULTS_PATH = (run_dir / "results.json") if settings.scratch else RESULTS_JSON
    results = json.loads(RESULTS_JSON.read_text(encoding="utf-8")) \
        if RESULTS_JSON.exists() and not settings.scratch else {}
    results["machine"] = machine_info()
    results["last_run"] = {**tag, "parts": list(settings.parts), "settings": asdict(settings)}
    results.setdefault("notes", [])
    if not training.stock_config_is_verbatim():
        log("WARNING: bench/stock/config.yml differs from the installed rasa init config.yml")
        results["last_run"]["stock_config_verbatim"] = False
    else:
        results["last_run"]["stock_config_verbatim"] = True
    log(f"run {run_id}: parts {', '.join(settings.parts)}; files in {run_dir}")
    try:
        # 1. training
        train_res = results.get("train", {}) if isinstance(results.get("train"), dict) else {}
        for system in settings.systems:
            if (system == "ours" and settings.ours_model) or (system == "stock" and settings.stock_model):
                continue
            need = "train" in settings.parts and settings.retrain
            if need or not training.model_is_current(system, models):
                log(f"train {system} ({'full' + (' + one example' if settings.incremental_train else '')})")
                try:
                    r = training.train_system(system, run_dir / "train", models,
                                              incremental=settings.incremental_train and "train" in settings.parts,
                                              log_dir=run_dir)
                except (RuntimeError, subprocess.SubprocessError) as exc:
                    log(f"  {system}: training FAILED: {exc}")
                    train_res[system] = {"error": str(exc)[:1000], **tag}
                    (models / f"{system}.tar.gz").unlink(missing_ok=True)
                    continue
                r.update(tag)
                if settings.quick and (train_res.get(system) or {}).get("mode") == "full":
                    log(f"  (quick run: keeping the full run's training figures for {system})")
                else:
                    train_res[system] = r
                log(f"  {system}: full {r['full']['wall_s']}s"
                    + (f", +1 example {r['plus_one_example']['wall_s']}s" if "plus_one_example" in r else ""))
            else:
                log(f"train {system}: model is current, reused ({models / (system + '.tar.gz')})")
        results["train"] = train_res
        _save(results)
        # 2./3. each system, one after the other
        system_parts = {"accuracy", "load", "long", "startup"} & set(settings.parts)
        results.setdefault("systems", {})
        if system_parts:
            for system in settings.systems:
                given = settings.ours_model if system == "ours" else settings.stock_model
                model = Path(given) if given else models / f"{system}.tar.gz"
                if not model.exists():
                    log(f"{system}: no model ({model}); skipped")
                    results["systems"].setdefault(system, {})["error"] = f"no model {model}"
                    continue
                try:
                    r = run_system(system, model, run_dir, settings)
                except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
                    log(f"{system}: FAILED: {exc}")
                    r = {"error": str(exc)[:2000]}
                    stop_all()
                r["config"] = config_summary(system)
                r["model_info"] = model_summary(model)
                prev = results["systems"].get(system, {})
                prev.pop("error", None)
                for k, v in r.items():  # keep parts not measured this time
                    prev[k] = v
                prev["_run"] = tag
                results["systems"][system] = prev
                _save(results)
        # 4. scale-out
        if "scale" in settings.parts:
            model = Path(settings.ours_model) if settings.ours_model else models / "ours.tar.gz"
            try:
                results["scale"] = run_scale(model, run_dir, settings)
                results["scale"].update(tag)
            except (RuntimeError, subprocess.SubprocessError) as exc:
                log(f"scale-out failed: {exc}")
                results["scale"] = {"error": str(exc)[:2000], **tag}
            _save(results)
    finally:
        stop_all()
    results["last_run"]["duration_s"] = round(time.perf_counter() - t_start, 1)
    _save(results)
    return results


def model_summary(model: Path) -> Dict[str, object]:
    """What a trained model holds: its graph's components/policies (from metadata.json)."""
    import tarfile

    try:
        with tarfile.open(model) as tf:
            for m in tf:
                if m.name.lstrip("./").endswith("metadata.json") and m.name.lstrip("./").count("/") == 0:
                    meta = json.load(tf.extractfile(m))
                    break
            else:
                return {}
    except (OSError, tarfile.TarError, ValueError):
        return {}
    nodes = (meta.get("predict_schema") or {}).get("nodes", {})
    comps = [v["uses"].rsplit(".", 1)[-1] for k, v in nodes.items()
             if k.startswith("run_") and k != "run_RegexMessageHandler"]
    return {"components": comps, "trained_at": meta.get("trained_at"),
            "size_mb": round(model.stat().st_size / 1e6, 1)}


def config_summary(system: str) -> Dict[str, object]:
    """Component and policy names of the config a system was trained with."""
    try:
        cfg = yaml.safe_load(training.config_for(system).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}

    def names(items):
        return [(i.get("alias") and f"{i['name']} ({i['alias']})") or i.get("name") for i in items or []]

    return {"file": str(training.config_for(system).relative_to(ROOT)),
            "pipeline": names(cfg.get("pipeline")) or "Rasa default (empty in config)",
            "policies": names(cfg.get("policies")) or "Rasa default (empty in config)"}


_RESULTS_PATH = RESULTS_JSON


def _save(results: dict) -> None:
    _RESULTS_PATH.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str),
                            encoding="utf-8")

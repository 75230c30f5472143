"""Scale-out (ours): 1, then 2 Rasa processes behind bench/lb.py on a PostgreSQL tracker
store and a Redis lock store — the path a shop takes past one machine (README, Scaling out).
Each process's CPU is reported with the load figures (``cpu_s``: rasa0, rasa1, ...)."""

from pathlib import Path
from typing import Dict, List

import yaml

from bench import scripts
from bench.paths import ROOT, VENV_BIN
from bench.phases import load_matrix, reference
from bench.procs import Proc, free_port, log, start_postgres, start_redis, wait_port
from bench.settings import Settings
from bench.stacks import (
    endpoints_for,
    make_shop_db,
    shop_env,
    start_action_server,
    start_rasa,
)

DEPLOYED_ENDPOINTS = ROOT / "deploy" / "endpoints.postgres.yml"


def deployed_stores() -> Dict[str, str]:
    """The tracker and lock store classes of the PostgreSQL + Redis deployment."""
    data = yaml.safe_load(DEPLOYED_ENDPOINTS.read_text(encoding="utf-8"))
    return {key: data[key]["type"] for key in ("tracker_store", "lock_store")}


def run_scale(model: Path, run_dir: Path, settings: Settings) -> dict:
    out: dict = {"processes": {}}
    pg, pg_port, pg_user = start_postgres(run_dir / "pg", run_dir / "postgres.log")
    redis, redis_port = start_redis(run_dir / "redis", run_dir / "redis.log")
    shop_url, orders, how = make_shop_db(run_dir / "shop-scale.db", run_dir / "shop-db.log")
    act = start_action_server(run_dir, shop_url, "scale", settings.actions)
    # The stores a shop deploys past one machine (deploy/endpoints.postgres.yml), not
    # Rasa's plain SQL store: the bench measures what the README tells shops to run.
    deployed = deployed_stores()
    tracker = {
        "type": deployed["tracker_store"],
        "dialect": "postgresql",
        "url": "127.0.0.1",
        "port": pg_port,
        "db": "rasa",
        "username": pg_user,
        "password": "",
    }
    lock = {
        "type": deployed["lock_store"],
        "url": "127.0.0.1",
        "port": redis_port,
        "db": 1,
    }
    endpoints = endpoints_for(
        "ours",
        run_dir,
        act[1] if act else None,
        tracker=tracker,
        lock=lock,
        source=settings.ours_endpoints,
    )
    out["endpoints"] = {
        "tracker_store": {k: v for k, v in tracker.items() if k != "password"},
        "lock_store": lock,
    }
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
                    p, port, s = start_rasa(
                        "ours",
                        model,
                        endpoints,
                        run_dir,
                        f"scale{n}-{i}",
                        settings.startup_timeout,
                        shop_env(shop_url),
                    )
                    servers.append(p)
                    ports.append(port)
                    startups.append(round(s, 1))
                lb_port = free_port()
                lb = Proc(
                    "lb",
                    [str(VENV_BIN / "python"), "-m", "bench.lb", str(lb_port)]
                    + [str(p) for p in ports]
                    + ["--max-seconds", "3600"],
                    run_dir / f"lb-{n}.log",
                )
                if not wait_port(lb_port, 20, lb):
                    raise RuntimeError("load balancer did not start: " + lb.tail())
                base = f"http://127.0.0.1:{lb_port}"
                watch: Dict[str, Proc] = {f"rasa{i}": p for i, p in enumerate(servers)}
                watch.update({"lb": lb, "postgres": pg, "redis": redis})
                if act:
                    watch["actions"] = act[0]
                conv_specs, ref = reference(base, convs, run_dir, f"scale{n}", watch, settings)
                res = load_matrix(
                    base,
                    conv_specs,
                    run_dir,
                    f"scale{n}",
                    watch,
                    settings.scale_channels,
                    settings.scale_concurrencies,
                    settings.scale_duration,
                    settings,
                )
                out["processes"][str(n)] = {
                    "startup_s": startups,
                    "load": res,
                    "reference_errors": ref["errors"],
                }
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

"""The benchmark run: train, serve, measure stock and ours side by side.

Order of a full run (``python -m bench``):
1. train stock and ours from the same data (full, then after adding one example; ours a
   second time from scratch to check that the same data gives the same model);
2. the action servers cold: start-up, the first product question, memory;
3. start every system (bench/stacks.py): stock; ours as ``make run`` starts it (two
   workers on Redis); ours on one worker (CPU per reply of one process) — start-up
   times, the first product question after start-up, memory;
4. held-out accuracy and the serial reference transcripts of each;
5. the load phases **interleaved**: each (channel, customers) phase runs on every system
   in turn, the order alternating from phase to phase, so slow drifts in the machine's
   background load fall on all of them alike; the long conversation likewise;
6. start-up again (each system alone); scale-out (bench/scale.py);
7. bench/results.json, bench/report.md and the PNG plots.
"""

import datetime as dt
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List

import numpy as np
import yaml

from bench import accuracy, scripts, training
from bench.paths import RESULTS_JSON, ROOT, RUNS
from bench.phases import load_phase, long_run, long_summary, make_profile_hook, reference
from bench.procs import loadavg, log, stop_all
from bench.scale import run_scale
from bench.settings import PARTS, SYSTEMS, TOKEN, Settings  # noqa: F401 (re-exported)
from bench.stacks import Stack, action_server_cold, make_shop_db, start_rasa, start_stack


# --- machine ---------------------------------------------------------------------
def machine_info() -> Dict[str, object]:
    info: Dict[str, object] = {}
    try:
        cpuinfo = open("/proc/cpuinfo").read()
        models = [
            ln.split(":", 1)[1].strip()
            for ln in cpuinfo.splitlines()
            if ln.startswith("model name")
        ]
        info["cpu"] = models[0] if models else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    info["cores"] = os.cpu_count()
    try:
        mem = [ln for ln in open("/proc/meminfo") if ln.startswith("MemTotal")][0]
        info["ram_gb"] = round(int(mem.split()[1]) / 1024 / 1024, 1)
    except (OSError, IndexError):
        pass
    try:
        rel = dict(ln.strip().split("=", 1) for ln in open("/etc/os-release") if "=" in ln)
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
        info["git"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        info["git_dirty"] = bool(dirty)
    except OSError:
        pass
    info["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    info["loadavg_at_start"] = loadavg()
    return info


# --- the systems, side by side ----------------------------------------------------------------
def _model_of(system: str, settings: Settings, models: Path) -> Path:
    given = settings.ours_model if system == "ours" else settings.stock_model
    return Path(given) if given else models / f"{system}.tar.gz"


def _variants(settings: Settings) -> List[tuple]:
    """(system, tag, workers) of every stack to start: stock; ours as make run starts it;
    ours on one worker (one process's CPU per reply) when make run starts several."""
    out = []
    for system in settings.systems:
        if system == "stock":
            out.append(("stock", "stock", 1))
        elif system == "ours":
            out.append(("ours", "ours", settings.ours_workers))
            if settings.ours_workers > 1 and "load" in settings.parts:
                out.append(("ours", "ours1", 1))
    return out


def run_systems(settings: Settings, models: Path, run_dir: Path, results: dict) -> None:
    """Steps 2-6 of the module docstring; results["systems"][system] as before, with ours'
    one-worker figures under results["systems"]["ours"]["one_worker"]."""
    parts = set(settings.parts)
    fresh: Dict[str, dict] = {}
    for system in settings.systems:
        model = _model_of(system, settings, models)
        fresh[system] = {"model_info": model_summary(model), "config": config_summary(system)}
        if "startup" in parts:
            shop_url, _, _ = make_shop_db(
                run_dir / f"shop-{system}-cold.db", run_dir / "shop-db.log"
            )
            log(f"{system}: action server cold start + first product question")
            fresh[system]["actions_cold"] = action_server_cold(system, run_dir, shop_url)
            log(f"  -> {fresh[system]['actions_cold']}")
    stacks: List[Stack] = []
    try:
        for system, tag, workers in _variants(settings):
            model = _model_of(system, settings, models)
            if not model.exists():
                log(f"{tag}: no model ({model}); skipped")
                fresh[system]["error"] = f"no model {model}"
                continue
            stacks.append(start_stack(system, tag, model, run_dir, settings, workers))
        main = [s for s in stacks if s.tag in ("stock", "ours")]
        for stack in stacks:
            figures = (
                fresh[stack.system]
                if stack.tag != "ours1"
                else fresh["ours"].setdefault("one_worker", {})
            )
            figures.update(stack.info)
        if "accuracy" in parts:
            for stack in main:
                data = accuracy.load_heldout()
                if not data:
                    fresh[stack.system]["accuracy"] = {"error": "no held-out data"}
                    continue
                held_out = sum(len(v) for v in data.values())
                log(f"{stack.tag}: held-out accuracy ({held_out} messages)")
                ev = accuracy.evaluate_server(
                    stack.base_url, TOKEN if stack.system == "stock" else None, data
                )
                fresh[stack.system]["accuracy"] = accuracy.summarise(ev)
                (run_dir / f"accuracy-{stack.system}.json").write_text(
                    json.dumps(ev, ensure_ascii=False, indent=1), encoding="utf-8"
                )
        if parts & {"load", "long"}:
            _interleaved(stacks, settings, run_dir, fresh)
        for stack in stacks:
            figures = fresh[stack.system] if stack.tag != "ours1" else fresh["ours"]["one_worker"]
            figures["rss_after_mb"] = stack.rss_mb()
            figures["hwm_mb"] = stack.hwm_mb()
    finally:
        for stack in stacks:
            stack.stop()
    if "startup" in parts:
        for stack in [s for s in stacks if s.tag != "ours1"]:
            for i in range(1, settings.startup_repeats):
                log(f"{stack.tag}: start-up again ({i + 1}/{settings.startup_repeats})")
                proc, _, seconds = start_rasa(
                    stack.system,
                    stack.model,
                    stack.endpoints,
                    run_dir,
                    f"{stack.tag}-restart{i}",
                    settings.startup_timeout,
                    stack.rasa_env,
                    stack.workers,
                )
                fresh[stack.system]["startup_s"].append(round(seconds, 2))
                proc.stop()
    for system, figures in fresh.items():
        if figures.get("startup_s"):
            figures["startup_median_s"] = round(float(np.median(figures["startup_s"])), 2)
        prev = results["systems"].get(system, {})
        prev.pop("error", None)
        prev.update(figures)  # parts not measured this time keep their figures
        prev["_run"] = results["last_run"]["run"]
        results["systems"][system] = prev


def _interleaved(
    stacks: List[Stack], settings: Settings, run_dir: Path, fresh: Dict[str, dict]
) -> None:
    """Reference transcripts of each stack, then every load phase on each stack in turn
    (the order reversed from one phase to the next), then the long conversation likewise."""

    def figures(stack: Stack) -> dict:
        return fresh[stack.system] if stack.tag != "ours1" else fresh["ours"]["one_worker"]

    specs = {}
    for stack in stacks:
        convs = scripts.conversations(stack.orders)
        log(f"{stack.tag}: reference transcripts ({len(convs)} conversations, serial REST)")
        specs[stack.tag], figures(stack)["reference"] = reference(
            stack.base_url, convs, run_dir, stack.tag, stack.watch, settings
        )
    turn = 0
    if "load" in settings.parts:
        for channel in settings.channels:
            for c in settings.concurrencies:
                # one worker of ours: only where the target is (10 customers)
                here = [s for s in stacks if s.tag != "ours1" or c == 10]
                order = here if turn % 2 == 0 else list(reversed(here))
                turn += 1
                for stack in order:
                    hook = None
                    if (
                        settings.profile
                        and stack.tag in ("ours1", "stock")
                        and (channel, c) == ("rest", 10)
                    ):
                        hook = make_profile_hook(stack.rasa, run_dir, stack.tag, ("rest", 10))
                    figures(stack).setdefault("load", {}).setdefault(channel, {})[str(c)] = (
                        load_phase(
                            stack.base_url,
                            specs[stack.tag],
                            run_dir,
                            stack.tag,
                            stack.watch,
                            channel,
                            c,
                            settings.duration,
                            settings,
                            hook,
                        )
                    )
    if "long" in settings.parts:
        main = [s for s in stacks if s.tag != "ours1"]
        runs: Dict[str, list] = {s.tag: [] for s in main}
        turns = {s.tag: scripts.long_conversation(s.orders, settings.long_turns) for s in main}
        for rep in range(settings.long_repeats):
            for stack in main if rep % 2 == 0 else list(reversed(main)):
                log(f"{stack.tag}: long conversation ({settings.long_turns} turns, pass {rep + 1})")
                runs[stack.tag].append(
                    long_run(
                        stack.base_url,
                        turns[stack.tag],
                        run_dir,
                        stack.tag,
                        stack.watch,
                        settings,
                        rep,
                    )
                )
        for stack in main:
            figures(stack)["long"] = long_summary(turns[stack.tag], runs[stack.tag])


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
    results = (
        json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        if RESULTS_JSON.exists() and not settings.scratch
        else {}
    )
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
            if (system == "ours" and settings.ours_model) or (
                system == "stock" and settings.stock_model
            ):
                continue
            need = "train" in settings.parts and settings.retrain
            if need or not training.model_is_current(system, models):
                extra = " + one example" if settings.incremental_train else ""
                log(f"train {system} (full{extra})")
                try:
                    r = training.train_system(
                        system,
                        run_dir / "train",
                        models,
                        incremental=settings.incremental_train and "train" in settings.parts,
                        log_dir=run_dir,
                        train_twice=system == "ours"
                        and "train" in settings.parts
                        and not settings.quick,
                    )
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
                log(
                    f"  {system}: full {r['full']['wall_s']}s"
                    + (
                        f", +1 example {r['plus_one_example']['wall_s']}s"
                        if "plus_one_example" in r
                        else ""
                    )
                )
            else:
                log(f"train {system}: model is current, reused ({models / (system + '.tar.gz')})")
        results["train"] = train_res
        _save(results)
        # 2.-6. the systems side by side
        if {"accuracy", "load", "long", "startup"} & set(settings.parts):
            results.setdefault("systems", {})
            try:
                run_systems(settings, models, run_dir, results)
            except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
                log(f"systems: FAILED: {exc}")
                results.setdefault("systems", {})["error"] = str(exc)[:2000]
                stop_all()
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
                if (
                    m.name.lstrip("./").endswith("metadata.json")
                    and m.name.lstrip("./").count("/") == 0
                ):
                    meta = json.load(tf.extractfile(m))
                    break
            else:
                return {}
    except (OSError, tarfile.TarError, ValueError):
        return {}
    nodes = (meta.get("predict_schema") or {}).get("nodes", {})
    comps = [
        v["uses"].rsplit(".", 1)[-1]
        for k, v in nodes.items()
        if k.startswith("run_") and k != "run_RegexMessageHandler"
    ]
    return {
        "components": comps,
        "trained_at": meta.get("trained_at"),
        "size_mb": round(model.stat().st_size / 1e6, 1),
    }


def config_summary(system: str) -> Dict[str, object]:
    """Component and policy names of the config a system was trained with."""
    try:
        cfg = yaml.safe_load(training.config_for(system).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}

    def names(items):
        return [
            (i.get("alias") and f"{i['name']} ({i['alias']})") or i.get("name") for i in items or []
        ]

    return {
        "file": str(training.config_for(system).relative_to(ROOT)),
        "pipeline": names(cfg.get("pipeline")) or "Rasa default (empty in config)",
        "policies": names(cfg.get("policies")) or "Rasa default (empty in config)",
    }


_RESULTS_PATH = RESULTS_JSON


def _save(results: dict) -> None:
    _RESULTS_PATH.write_text(
        json.dumps(results, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
    )

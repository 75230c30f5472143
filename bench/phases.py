"""The measurements, each against one running stack: the load generator's runs (reference
transcripts, a load phase, the long conversation), their summaries, py-spy profiles."""

import json
import os
import shutil
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from bench import scripts
from bench.paths import ROOT, RUNS, VENV_BIN
from bench.procs import REST_HEADERS, MemorySampler, Proc, cpu_seconds, env, loadavg, log
from bench.settings import Settings


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
            subprocess.run(
                [str(VENV_BIN / "python"), "-m", "bench.loadgen", str(spec_path), str(out_path)],
                cwd=ROOT,
                env=env(),
                stdout=f,
                stderr=subprocess.STDOUT,
                timeout=limit,
                check=True,
            )
        wall = time.perf_counter() - t
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out_path.read_text(encoding="utf-8"))
    result["loadgen_cpu_s"] = round(
        (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), 2
    )
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
    errors = sum(
        v
        for k, v in statuses.items()
        if k.startswith("http_")
        or k in ("timeout", "exception", "connect_failed", "session_timeout", "no_reference")
    )
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
        "first_msg_p50_ms": round(float(np.percentile(first, 50)) * 1000, 1)
        if len(first)
        else None,
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


def reference(
    base_url: str,
    convs: List[scripts.Conversation],
    run_dir: Path,
    tag: str,
    watch: Dict[str, Proc],
    settings: Settings,
) -> Tuple[List[dict], dict]:
    """Every conversation once, serially, over REST: the expected reply counts per turn
    (REST and socket.io), and the transcripts for the report's appendix."""
    spec = {
        "base_url": base_url,
        "channel": "rest",
        "concurrency": 1,
        "duration": 3600,
        "max_conversations": len(convs),
        "turn_timeout": settings.turn_timeout,
        "sender_prefix": f"ref-{tag}",
        "keep_transcripts": True,
        "conversations": [asdict(c) for c in convs],
    }
    # Pass 1 warms up and brings the shop DB into its steady state (a return request
    # made once is "already requested" afterwards); pass 2 is the reference.
    warm = run_loadgen({**spec, "sender_prefix": f"warm-{tag}"}, run_dir, f"{tag}-warmup", watch)
    res = run_loadgen(spec, run_dir, f"{tag}-reference", watch)
    state_dependent = 0
    for i in range(len(convs)):
        a = [len(m) for m in warm["transcripts"].get(str(i), [])]
        b = [len(m) for m in res["transcripts"].get(str(i), [])]
        state_dependent += sum(x != y for x, y in zip(a, b, strict=False))
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
    summary["transcripts"] = {
        c.script: [
            [m.get("text", "") if isinstance(m, dict) else str(m) for m in turn]
            for turn in res["transcripts"].get(str(i), [])
        ]
        for i, c in enumerate(convs)
    }
    return specs, summary


def load_phase(
    base_url: str,
    conv_specs: List[dict],
    run_dir: Path,
    tag: str,
    watch: Dict[str, Proc],
    channel: str,
    c: int,
    duration: float,
    settings: Settings,
    profile_hook=None,
) -> dict:
    """``c`` scripted customers on ``channel`` for ``duration`` seconds: the summary."""
    log(f"{tag}: {channel} x{c} for {duration:.0f}s (load {loadavg():.2f})")
    spec = {
        "base_url": base_url,
        "channel": channel,
        "concurrency": c,
        "duration": duration,
        "max_conversations": settings.max_conversations,
        "turn_timeout": settings.turn_timeout,
        "ramp": min(2.0, 0.05 * c),
        "sender_prefix": f"{tag}-{channel}-{c}",
        "conversations": conv_specs,
    }
    prof = profile_hook(channel, c, duration) if profile_hook else None
    res = run_loadgen(spec, run_dir, f"{tag}-{channel}-{c}", watch)
    if prof is not None:
        prof()
    s = summarise_load(res)
    log(
        f"  -> {s['replies_per_s']} replies/s, p50 {s['p50_ms']} p95 {s['p95_ms']} ms, "
        f"Rasa CPU {s.get('rasa_cpu_ms_per_reply')} ms/reply, errors {s['errors']} "
        f"lost {s['lost']} extra {s['extra']} differ {s['differs_from_reference']}"
    )
    return s


def load_matrix(
    base_url: str,
    conv_specs: List[dict],
    run_dir: Path,
    tag: str,
    watch: Dict[str, Proc],
    channels,
    concurrencies,
    duration: float,
    settings: Settings,
    profile_hook=None,
) -> Dict[str, Dict[str, dict]]:
    out: Dict[str, Dict[str, dict]] = {}
    for channel in channels:
        for c in concurrencies:
            out.setdefault(channel, {})[str(c)] = load_phase(
                base_url,
                conv_specs,
                run_dir,
                tag,
                watch,
                channel,
                c,
                duration,
                settings,
                profile_hook,
            )
    return out


def long_run(
    base_url: str,
    turns: List[str],
    run_dir: Path,
    tag: str,
    watch: Dict[str, Proc],
    settings: Settings,
    rep: int,
) -> Tuple[List[Tuple[int, float]], int]:
    """One pass of the long conversation: ([(turn index, seconds)], errors)."""
    spec = {
        "base_url": base_url,
        "channel": "rest",
        "concurrency": 1,
        "duration": 3600,
        "max_conversations": 1,
        "turn_timeout": settings.turn_timeout,
        "sender_prefix": f"long-{tag}-{rep}",
        "conversations": [{"script": "long", "variety": "mix", "kind": "long", "turns": turns}],
    }
    res = run_loadgen(spec, run_dir, f"{tag}-long-{rep}", watch)
    ok = [(r[1], r[3]) for r in res["turns"] if r[7] == "ok" and r[3] is not None]
    return ok, len(res["turns"]) - len(ok)


def long_summary(turns: List[str], runs: List[Tuple[List[Tuple[int, float]], int]]) -> dict:
    per_turn: List[List[float]] = [[] for _ in turns]
    for ok, _ in runs:
        for index, seconds in ok:
            per_turn[index].append(seconds)
    med = [float(np.median(x)) * 1000 if x else None for x in per_turn]
    first = [m for m in med[:10] if m is not None]
    last = [m for m in med[-10:] if m is not None]
    out = {
        "turns": len(turns),
        "repeats": len(runs),
        "errors": sum(e for _, e in runs),
        "per_turn_ms": [None if m is None else round(m, 1) for m in med],
        "first10_mean_ms": round(float(np.mean(first)), 1) if first else None,
        "last10_mean_ms": round(float(np.mean(last)), 1) if last else None,
    }
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
        p = subprocess.Popen(
            [
                exe,
                "record",
                "--pid",
                str(proc.pid),
                "--duration",
                str(int(duration)),
                "--rate",
                "50",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
                "--subprocesses",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def done() -> None:
            try:
                p.send_signal(2)  # SIGINT: py-spy writes what it has and exits
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
            log(
                f"  profile written: {out.relative_to(ROOT)} "
                f"(python -m bench.profile {out.relative_to(ROOT)})"
            )

        return done

    return hook

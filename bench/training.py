"""Training both models from the same data, timed.

- full: a copy of the project's training inputs (domain, data/) with the system's config,
  trained with an empty Rasa cache (``RASA_CACHE_DIRECTORY``), so nothing is reused;
- after adding one example: one new NLU example is added to the copy and the model is
  retrained with the cache the full training left behind, i.e. with Rasa's own
  fingerprinting/caching as it is (only the graph nodes whose inputs changed retrain).

The stock config is copied before training because Rasa rewrites the config file it
trains from (it fills in a random ``assistant_id`` and writes the default pipeline into
it as comments).
"""

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from bench.paths import ROOT, STOCK_CONFIG, VENV_BIN
from bench.procs import env

# One new example for an existing intent (Bangla, not in the data or the held-out split).
EXTRA_EXAMPLE_FILE = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - শুভ সন্ধ্যা ভাইয়া, কেমন আছেন আপনারা
"""
# Ours, after the one above: one more example, trained as the console's retrain trains it.
SECOND_EXAMPLE_FILE = """version: "3.1"
nlu:
- intent: thank
  examples: |
    - onek dhonnobad vaiya, khub help holo
"""
# The console's retrain trains with --skip-validation: its checks step has just run this
# on the same files (seba/content/retrain.py); the bench times both.
VALIDATE_ARGS = ["data", "validate", "--fail-on-warnings", "--config", "config.yml"]


def training_inputs() -> List[Path]:
    """Files that the models are trained from (besides the config)."""
    files: List[Path] = []
    domain = ROOT / "domain.yml"
    if domain.exists():
        files.append(domain)
    elif (ROOT / "domain").is_dir():
        files += sorted((ROOT / "domain").rglob("*.yml"))
    files += sorted((ROOT / "data").rglob("*.yml"))
    files += sorted((ROOT / "seba" / "nlu").glob("*.py"))
    return files


def inputs_fingerprint(config: Path) -> str:
    h = hashlib.sha256()
    for p in [config] + training_inputs():
        h.update(str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def make_project(dest: Path, config: Path) -> Path:
    """A throwaway project dir: config.yml + domain + data/ copied from the repo."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    shutil.copyfile(config, dest / "config.yml")
    if (ROOT / "domain.yml").exists():
        shutil.copyfile(ROOT / "domain.yml", dest / "domain.yml")
    elif (ROOT / "domain").is_dir():
        shutil.copytree(ROOT / "domain", dest / "domain")
    shutil.copytree(ROOT / "data", dest / "data")
    return dest


def _domain_arg(project: Path) -> str:
    return "domain.yml" if (project / "domain.yml").exists() else "domain"


STARTED = re.compile(r"Starting to train component '([^']+)'")
FINISHED = re.compile(r"Finished training component '([^']+)'")
RESTORED = re.compile(r"Restored component '([^']+)' from cache")


# Stock's full training on today's data took 1,501 s on 2 quiet cores (DIET alone 16 min):
# an hour, so a full run under some load still ends with its figures.
TRAIN_TIMEOUT_S = 3600


def rasa_train(
    project: Path,
    out: Path,
    name: str,
    cache: Path,
    log: Path,
    timeout: float = TRAIN_TIMEOUT_S,
    extra_args: Sequence[str] = (),
) -> Dict[str, object]:
    """``rasa train`` in ``project``; returns wall and CPU seconds (children) and the seconds
    of each step: every graph component trained (from Rasa's "Starting/Finished training
    component" lines, timed as they arrive), the ones restored from Rasa's cache, and the
    time before the first and after the last component (reading, validating and
    fingerprinting the data; packing the model)."""
    out.mkdir(parents=True, exist_ok=True)
    args = [
        str(VENV_BIN / "rasa"),
        "train",
        "--config",
        "config.yml",
        "--domain",
        _domain_arg(project),
        "--data",
        "data",
        "--fixed-model-name",
        name,
        "--out",
        str(out),
        *extra_args,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    steps: Dict[str, float] = {}
    started: Dict[str, float] = {}
    restored: List[str] = []
    first = last = None
    with open(log, "ab") as f:
        proc = subprocess.Popen(
            args,
            cwd=str(project),
            env=env(**cache_env(cache)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        deadline = t + timeout
        for raw in proc.stdout:  # type: ignore[union-attr]
            now = time.perf_counter() - t
            f.write(f"[{now:8.2f}s] ".encode() + raw)
            line = raw.decode("utf-8", "replace")
            if m := STARTED.search(line):
                started[m.group(1)] = now
                first = now if first is None else first
            elif (m := FINISHED.search(line)) and m.group(1) in started:
                key = m.group(1)
                while key in steps:  # the same component class twice (e.g. two featurizers)
                    key += "'"
                steps[key] = round(now - started.pop(m.group(1)), 2)
                last = now
            elif m := RESTORED.search(line):
                restored.append(m.group(1))
                first = now if first is None else first
                last = now
            if time.perf_counter() > deadline:
                proc.kill()
        code = proc.wait()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise RuntimeError(f"rasa train ({name}) failed, see {log}")
    model = out / f"{name}.tar.gz"
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "model_mb": round(model.stat().st_size / 1e6, 1),
        "steps_s": steps,
        "restored_from_cache": restored,
        "before_components_s": round(first, 1) if first is not None else None,
        "after_components_s": round(wall - last, 1) if last is not None else None,
    }


def cache_env(cache: Path) -> Dict[str, str]:
    """Rasa's cache and ours of parsed files (seba.importer) in ``cache``: empty for a full
    training, what the full one left for the retrains."""
    return {
        "RASA_CACHE_DIRECTORY": str(cache),
        "SEBA_PARSE_CACHE": str(cache / "seba-parse-cache.sqlite"),
    }


def rasa_validate(project: Path, cache: Path, log: Path) -> Dict[str, object]:
    """``rasa data validate --fail-on-warnings`` in ``project``: wall seconds, passed."""
    t = time.perf_counter()
    with open(log, "ab") as f:
        code = subprocess.run(
            [str(VENV_BIN / "rasa"), *VALIDATE_ARGS, "--domain", _domain_arg(project)],
            cwd=str(project),
            env=env(**cache_env(cache)),
            stdout=f,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=TRAIN_TIMEOUT_S,
        ).returncode
    return {"wall_s": round(time.perf_counter() - t, 1), "passed": code == 0}


def config_for(system: str) -> Path:
    return STOCK_CONFIG if system == "stock" else ROOT / "config.yml"


def train_system(
    system: str,
    workdir: Path,
    models: Path,
    incremental: bool = True,
    log_dir: Optional[Path] = None,
    train_twice: bool = False,
) -> Dict[str, object]:
    """Full training (and the one-example retrain) for 'stock' or 'ours'; ``train_twice``:
    a second full training from scratch, and whether both models answer the held-out
    split the same (bench/same_model.py)."""
    log_dir = log_dir or workdir
    project = make_project(workdir / f"project-{system}", config_for(system))
    cache = workdir / f"cache-{system}"
    if cache.exists():
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    load = _loadavg()
    result: Dict[str, object] = {"loadavg_before": load}
    result["full"] = rasa_train(project, models, system, cache, log_dir / f"train-{system}.log")
    if train_twice:
        again_cache = workdir / f"cache-{system}-again"
        shutil.rmtree(again_cache, ignore_errors=True)
        again_cache.mkdir(parents=True)
        again = workdir / "models-again"
        result["full_again"] = rasa_train(
            project, again, system, again_cache, log_dir / f"train-{system}-again.log"
        )
        shutil.rmtree(again_cache, ignore_errors=True)
        result["same_model"] = compare_models(
            models / f"{system}.tar.gz", again / f"{system}.tar.gz", log_dir
        )
        shutil.rmtree(again, ignore_errors=True)
    if incremental:
        (project / "data" / "nlu").mkdir(parents=True, exist_ok=True)
        (project / "data" / "nlu" / "zz_bench_one_more_example.yml").write_text(
            EXTRA_EXAMPLE_FILE, encoding="utf-8"
        )
        result["plus_one_example"] = rasa_train(
            project,
            workdir / "models-plus-one",
            system + "-plus1",
            cache,
            log_dir / f"train-{system}-plus1.log",
        )
        if system == "ours":
            # The content staff's path: one more example, the checks step's validation,
            # then the retrain's training (seba/content/retrain.py).
            (project / "data" / "nlu" / "zz_bench_second_example.yml").write_text(
                SECOND_EXAMPLE_FILE, encoding="utf-8"
            )
            log = log_dir / f"train-{system}-retrain.log"
            result["retrain_validation"] = rasa_validate(project, cache, log)
            result["retrain"] = rasa_train(
                project,
                workdir / "models-plus-one",
                system + "-retrain",
                cache,
                log,
                extra_args=["--skip-validation"],
            )
        shutil.rmtree(workdir / "models-plus-one", ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    (models / f"{system}.fingerprint").write_text(
        json.dumps({"inputs": inputs_fingerprint(config_for(system))})
    )
    return result


def compare_models(a: Path, b: Path, log_dir: Path) -> Dict[str, object]:
    """bench/same_model.py in its own process: held-out predictions of two models."""
    out = log_dir / "same-model.json"
    with open(log_dir / "same-model.log", "ab") as f:
        code = subprocess.run(
            [str(VENV_BIN / "python"), "-m", "bench.same_model", str(a), str(b), str(out)],
            cwd=str(ROOT),
            env=env(),
            stdout=f,
            stderr=subprocess.STDOUT,
            timeout=900,
        ).returncode
    if code != 0 or not out.exists():
        return {"error": f"bench.same_model failed, see {log_dir / 'same-model.log'}"}
    return json.loads(out.read_text(encoding="utf-8"))


def model_is_current(system: str, models: Path) -> bool:
    model = models / f"{system}.tar.gz"
    fp = models / f"{system}.fingerprint"
    if not model.exists() or not fp.exists():
        return False
    try:
        return json.loads(fp.read_text())["inputs"] == inputs_fingerprint(config_for(system))
    except (ValueError, KeyError):
        return False


def _loadavg() -> str:
    try:
        return open("/proc/loadavg").read().split(" ")[0]
    except OSError:
        return "?"


def stock_config_is_verbatim() -> bool:
    """bench/stock/config.yml (minus its comment header) == the installed rasa init config."""
    import importlib.util

    spec = importlib.util.find_spec("rasa")  # locate, do not import (slow)
    installed = Path(os.path.dirname(spec.origin)) / "cli" / "initial_project" / "config.yml"
    ours = STOCK_CONFIG.read_text(encoding="utf-8")
    theirs = installed.read_text(encoding="utf-8")
    return ours.endswith(theirs)

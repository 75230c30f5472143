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
import resource
import shutil
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

from bench.paths import ROOT, STOCK_CONFIG, VENV_BIN
from bench.procs import env

# One new example for an existing intent (Bangla, not in the data or the held-out split).
EXTRA_EXAMPLE_FILE = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - শুভ সন্ধ্যা ভাইয়া, কেমন আছেন আপনারা
"""


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


def rasa_train(project: Path, out: Path, name: str, cache: Path, log: Path,
               timeout: float = 1800) -> Dict[str, float]:
    """``rasa train`` in ``project``; returns wall and CPU seconds (children)."""
    out.mkdir(parents=True, exist_ok=True)
    args = [str(VENV_BIN / "rasa"), "train", "--config", "config.yml",
            "--domain", _domain_arg(project), "--data", "data",
            "--fixed-model-name", name, "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    with open(log, "ab") as f:
        r = subprocess.run(args, cwd=str(project), env=env(RASA_CACHE_DIRECTORY=str(cache)),
                           stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=timeout)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError(f"rasa train ({name}) failed, see {log}")
    model = out / f"{name}.tar.gz"
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "model_mb": round(model.stat().st_size / 1e6, 1),
    }


def config_for(system: str) -> Path:
    return STOCK_CONFIG if system == "stock" else ROOT / "config.yml"


def train_system(system: str, workdir: Path, models: Path, incremental: bool = True,
                 log_dir: Optional[Path] = None) -> Dict[str, object]:
    """Full training (and the one-example retrain) for 'stock' or 'ours'."""
    log_dir = log_dir or workdir
    project = make_project(workdir / f"project-{system}", config_for(system))
    cache = workdir / f"cache-{system}"
    if cache.exists():
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    load = _loadavg()
    result: Dict[str, object] = {"loadavg_before": load}
    result["full"] = rasa_train(project, models, system, cache, log_dir / f"train-{system}.log")
    if incremental:
        (project / "data" / "nlu").mkdir(parents=True, exist_ok=True)
        (project / "data" / "nlu" / "zz_bench_one_more_example.yml").write_text(
            EXTRA_EXAMPLE_FILE, encoding="utf-8")
        result["plus_one_example"] = rasa_train(
            project, workdir / "models-plus-one", system + "-plus1", cache,
            log_dir / f"train-{system}-plus1.log")
        shutil.rmtree(workdir / "models-plus-one", ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    (models / f"{system}.fingerprint").write_text(
        json.dumps({"inputs": inputs_fingerprint(config_for(system))}))
    return result


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

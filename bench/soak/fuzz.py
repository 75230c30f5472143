"""The soak's fuzz part: ``pytest tests/fuzz`` with the ``soak`` Hypothesis profile.

The tests count what they generated per outcome and write it, with each test's result and
Hypothesis' falsifying (shrunk) example for a failure, to ``fuzz.json`` in the run directory
(``SEBA_FUZZ_STATS``; ``tests/fuzz/stats.py``). pytest's own per-test timeout is raised for
the long profile; the whole run is bounded by ``timeout`` (then pytest gets a Ctrl-C, so its
fixtures stop the servers they started).
"""

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Dict

from bench.paths import ROOT
from bench.procs import python
from bench.soak.stack import model_copy

PER_TEST_TIMEOUT = 3 * 3600


def run(run_dir: Path, timeout: float) -> Dict[str, Any]:
    stats_path = run_dir / "fuzz.json"
    log_path = run_dir / "fuzz-pytest.log"
    environ = {
        **os.environ,
        "SEBA_FUZZ_PROFILE": "soak",
        "SEBA_FUZZ_STATS": str(stats_path),
        "SEBA_TEST_MODEL": str(model_copy(run_dir)),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    started = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                python(),
                "-m",
                "pytest",
                "tests/fuzz",
                "-p",
                "no:cacheprovider",
                "-q",
                "-o",
                f"timeout={PER_TEST_TIMEOUT}",
                "--show-capture=no",
                "--hypothesis-show-statistics",
            ],
            cwd=ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            exit_code: Any = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            # Ctrl-C for pytest: its fixtures stop the servers they started.
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(180)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            exit_code = f"stopped after {timeout:.0f} s"
    result: Dict[str, Any] = {
        "exit_code": exit_code,
        "seconds": round(time.monotonic() - started),
        "log": str(log_path.relative_to(ROOT)),
    }
    if stats_path.exists():
        result.update(json.loads(stats_path.read_text(encoding="utf-8")))
    return result

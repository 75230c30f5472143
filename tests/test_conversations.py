"""The Rasa test stories in tests/conversations/, run against the trained model.

Runs ``rasa test core --stories tests/conversations --fail-on-prediction-errors`` with
the project's venv, so every flow (Bangla, English, Banglish) is checked against the
rules and forms exactly as the model predicts them. Needs a trained model in models/
(``make train``; ``make test`` trains first).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seba import PROJECT_ROOT

MODELS = PROJECT_ROOT / "models"
STORIES = PROJECT_ROOT / "tests" / "conversations"
RASA = Path(sys.executable).parent / "rasa"

pytestmark = pytest.mark.slow


def _model_present() -> bool:
    return any(MODELS.glob("*.tar.gz"))


@pytest.mark.skipif(not _model_present(), reason="no trained model in models/ (make train)")
def test_conversation_stories(tmp_path):
    out = tmp_path / "results"
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    command = [
        str(RASA if RASA.exists() else "rasa"),
        "test",
        "core",
        "--stories",
        str(STORIES),
        "--fail-on-prediction-errors",
        "--model",
        str(MODELS),
        "--out",
        str(out),
    ]
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    failed = out / "failed_test_stories.yml"
    failed_text = failed.read_text(encoding="utf-8") if failed.exists() else ""
    output = (result.stdout + result.stderr)[-8000:]
    assert result.returncode == 0, (
        f"rasa test core failed (exit {result.returncode}).\n"
        f"--- failed stories ---\n{failed_text}\n--- output (tail) ---\n{output}"
    )
    assert "None of the test stories failed" in failed_text, failed_text

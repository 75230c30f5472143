"""Where things are. The benchmark always works from the repository root."""

from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = ROOT / ".venv" / "bin"
RUNS = BENCH / "runs"  # git-ignored: models, logs, databases, raw results
STOCK_CONFIG = BENCH / "stock" / "config.yml"
REPORT = BENCH / "report.md"
RESULTS_JSON = BENCH / "results.json"  # the figures behind report.md (committed with it)
HELDOUT = ROOT / "tests" / "nlu" / "heldout"

"""Where the retrain machinery reads and writes (one place, so tests can point it elsewhere).

- the project (training inputs, tests/conversations, tests/nlu/heldout): the repository,
  or ``SEBA_CONTENT_ROOT``;
- the live model, which Rasa loads at start and ``seba.model_server`` serves:
  ``models/seba.tar.gz``, or ``SEBA_LIVE_MODEL``;
- kept models and their registry: ``var/models/``, or ``SEBA_MODELS_DIR``;
- retrain jobs (workspace, logs, status) and the try-it servers: ``var/retrain/``, or
  ``SEBA_RETRAIN_DIR``;
- Rasa's training cache, shared with ``make train``: the repository's ``.rasa/cache``, or
  ``RASA_CACHE_DIRECTORY``.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from seba import PROJECT_ROOT


@dataclass(frozen=True)
class Paths:
    root: Path
    live_model: Path
    models_dir: Path
    retrain_dir: Path

    @property
    def rasa_cache(self) -> Path:
        return Path(os.environ.get("RASA_CACHE_DIRECTORY") or PROJECT_ROOT / ".rasa" / "cache")

    @classmethod
    def from_env(cls) -> "Paths":
        root = Path(os.environ.get("SEBA_CONTENT_ROOT") or PROJECT_ROOT)
        return cls(
            root=root,
            live_model=Path(os.environ.get("SEBA_LIVE_MODEL") or root / "models" / "seba.tar.gz"),
            models_dir=Path(os.environ.get("SEBA_MODELS_DIR") or root / "var" / "models"),
            retrain_dir=Path(os.environ.get("SEBA_RETRAIN_DIR") or root / "var" / "retrain"),
        )

    def env(self) -> dict:
        """The same paths for a child process, which imports Seba's code from this checkout
        (not whichever one the virtualenv's editable install names) whatever its cwd."""
        path = os.environ.get("PYTHONPATH", "")
        return {
            "SEBA_CONTENT_ROOT": str(self.root),
            "SEBA_LIVE_MODEL": str(self.live_model),
            "SEBA_MODELS_DIR": str(self.models_dir),
            "SEBA_RETRAIN_DIR": str(self.retrain_dir),
            "PYTHONPATH": str(PROJECT_ROOT) + (os.pathsep + path if path else ""),
        }

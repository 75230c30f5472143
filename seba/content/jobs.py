"""Retrain jobs: one at a time, in their own process, their state in files under var/retrain/.

``var/retrain/jobs/<id>/status.json`` says where a job is (step, percent, result); the job
process (``python -m seba.content.retrain run <id>``) writes it, the console reads it. The
process runs in its own session, so restarting the console neither stops nor forgets it; a
job whose process is gone (the machine restarted) reads as *interrupted*, and nothing of it
went live. ``start`` takes a lock and looks at ``current.json`` before it starts a process,
so two clicks (or two console processes) start one job: the second is told it is running.
"""

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from seba.content.locations import Paths
from seba.content.model_store import now_text, write_json

#: (key, what the page says, percent at its start, percent at its end)
STEPS = [
    ("copy", "Copying the training data", 0, 4),
    ("checks", "Checking the content", 4, 12),
    ("train", "Training the new model", 12, 62),
    ("conversations", "Running the conversation tests", 62, 80),
    ("heldout", "Scoring the held-out messages", 80, 96),
    ("promote", "Putting it live", 96, 100),
]
STEP_LABELS = {key: label for key, label, _, _ in STEPS}
STEP_LABELS_BN = {
    "copy": "ট্রেনিং ডেটা কপি করা হচ্ছে",
    "checks": "কনটেন্ট যাচাই করা হচ্ছে",
    "train": "নতুন মডেল ট্রেইন করা হচ্ছে",
    "conversations": "কথোপকথনের পরীক্ষা চলছে",
    "heldout": "যাচাইয়ের বার্তাগুলোতে মাপা হচ্ছে",
    "promote": "চালু করা হচ্ছে",
}
RUNNING, PASSED, PROMOTED, REFUSED, FAILED, INTERRUPTED = (
    "running",
    "passed",
    "promoted",
    "refused",
    "failed",
    "interrupted",
)
FINISHED = (PASSED, PROMOTED, REFUSED, FAILED, INTERRUPTED)
#: A running job writes its status at least this often; older than this, it is gone.
STALE_SECONDS = 120
_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")


class Jobs:
    def __init__(self, paths: Optional[Paths] = None) -> None:
        self.paths = paths or Paths.from_env()
        self.dir = self.paths.retrain_dir / "jobs"

    def job_dir(self, job_id: str) -> Path:
        if not _ID.fullmatch(job_id or ""):
            raise ValueError(f"not a job id: {job_id!r}")
        return self.dir / job_id

    def read(self, job_id: str) -> Optional[Dict[str, Any]]:
        try:
            status = json.loads((self.job_dir(job_id) / "status.json").read_text("utf-8"))
        except (ValueError, OSError):
            return None
        if status.get("state") == RUNNING and not self._alive(status):
            status = {
                **status,
                "state": INTERRUPTED,
                "message": (
                    "The retrain stopped before it finished (the server was restarted, or the "
                    "job was stopped). Nothing went live. Start it again."
                ),
                "message_bn": (
                    "ট্রেইন শেষ হওয়ার আগেই থেমে গেছে (সার্ভার রিস্টার্ট হয়েছে, বা কাজটি বন্ধ করা "
                    "হয়েছে)। কিছুই চালু হয়নি। আবার শুরু করুন।"
                ),
            }
        return status

    def write(self, status: Dict[str, Any]) -> None:
        status["heartbeat"] = time.time()
        write_json(self.job_dir(status["id"]) / "status.json", status)

    def recent(self, limit: int = 10) -> List[Dict[str, Any]]:
        if not self.dir.exists():
            return []
        ids = sorted((p.name for p in self.dir.iterdir() if _ID.fullmatch(p.name)), reverse=True)[
            :limit
        ]
        return [s for s in (self.read(i) for i in ids) if s]

    def current(self) -> Optional[Dict[str, Any]]:
        """The running job, if one is."""
        try:
            job_id = json.loads((self.paths.retrain_dir / "current.json").read_text())["id"]
        except (ValueError, OSError, KeyError):
            return None
        status = self.read(job_id)
        return status if status and status["state"] == RUNNING else None

    @staticmethod
    def _alive(status: Dict[str, Any]) -> bool:
        if time.time() - float(status.get("heartbeat") or 0) > STALE_SECONDS:
            return False
        pid = status.get("pid")
        if not pid:
            return True  # being started: the heartbeat decides
        try:
            cmdline = Path(f"/proc/{int(pid)}/cmdline").read_bytes()
        except (OSError, ValueError):
            return False
        return b"seba.content.retrain" in cmdline  # not a reused pid

    def start(self, started_by: str, go_live: bool = True) -> Tuple[Dict[str, Any], bool]:
        """(job, True) for a new job, or (the running job, False) when one is running."""
        self.paths.retrain_dir.mkdir(parents=True, exist_ok=True)
        with open(self.paths.retrain_dir / ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            running = self.current()
            if running:
                return running, False
            job_id = dt.datetime.now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)
            self.job_dir(job_id).mkdir(parents=True)
            status = {
                "id": job_id,
                "state": RUNNING,
                "step": "copy",
                "step_label": STEP_LABELS["copy"],
                "step_label_bn": STEP_LABELS_BN["copy"],
                "percent": 0,
                "started_by": started_by,
                "started_at": now_text(),
                "finished_at": None,
                "go_live": bool(go_live),
                "message": "Starting…",
                "message_bn": "শুরু হচ্ছে…",
                "problems": [],
                "notes": [],
                "scores": None,
                "pid": None,
            }
            self.write(status)
            write_json(self.paths.retrain_dir / "current.json", {"id": job_id})
            log = open(self.job_dir(job_id) / "job.log", "ab")
            process = subprocess.Popen(
                [sys.executable, "-m", "seba.content.retrain", "run", job_id],
                cwd=self.paths.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, **self.paths.env(), "PYTHONUNBUFFERED": "1"},
            )
            log.close()
            # The job writes its own pid; this thread only reaps it (no zombie left behind).
            threading.Thread(target=process.wait, daemon=True).start()
            return status, True

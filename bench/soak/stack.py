"""The real stack for the soak, started the way ``scripts/run.sh`` starts it.

``python -m seba.action_server`` and ``python -m seba.server run --enable-api`` with the
project's ``credentials.yml`` and ``endpoints.yml`` (the action URL pointed at this run's
action server, the SQLite tracker store moved under the run directory), over a fresh demo
shop database and handoff database in the run directory. The installation's secrets are the
benchmark's own, made per run (``bench.procs``); the Telegram connector talks to the fake Bot
API of this process. Everything listens on 127.0.0.1.
"""

import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Tuple

from bench.paths import ROOT
from bench.procs import Proc, env, free_port, python, wait_first_reply, wait_port
from bench.stacks import endpoints_for, make_shop_db, rasa_server_args

MODEL = ROOT / "models" / "seba.tar.gz"
RUN_MODEL = "seba.tar.gz"  # the copy in the run directory: one model for the whole soak
TELEGRAM_SECRET = "soak-" + secrets.token_hex(16)
START_TIMEOUT = 420


@dataclass
class SoakStack:
    rasa_url: str
    rasa: Proc
    actions: Proc
    orders: List[Tuple[str, str]]
    shop_url: str
    environ: Dict[str, str] = field(default_factory=dict)

    @property
    def procs(self) -> Dict[str, Proc]:
        return {"action server": self.actions, "rasa server": self.rasa}

    def stop(self) -> None:
        self.rasa.stop()
        self.actions.stop()


def model_copy(run_dir: Path) -> Path:
    """``models/seba.tar.gz`` copied into the run directory once (a retrain during the soak
    must not change the model between its parts)."""
    copy = run_dir / RUN_MODEL
    if not copy.exists():
        shutil.copyfile(MODEL, copy)
    return copy


def start(run_dir: Path, fake_telegram: Any) -> SoakStack:
    run_dir.mkdir(parents=True, exist_ok=True)
    shop_url, orders, how = make_shop_db(run_dir / "shop.db", run_dir / "shop-db.log")
    if not how.startswith("python -m seba.db"):
        raise RuntimeError(f"no shop database for the soak: {how}")
    handoff_url = f"sqlite:///{run_dir / 'handoff.db'}"
    environ = env(
        DATABASE_URL=shop_url,
        HANDOFF_DATABASE_URL=handoff_url,
        TELEGRAM_TOKEN=fake_telegram.token,
        TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
        TELEGRAM_BOT_NAME=fake_telegram.username,
        TELEGRAM_API_BASE_URL=fake_telegram.url,
    )
    with open(run_dir / "handoff-db.log", "ab") as log:
        subprocess.run(
            [python(), "-m", "handoff", "upgrade"],
            cwd=ROOT,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    action_port = free_port()
    actions = Proc(
        "action server",
        [python(), "-m", "seba.action_server", "--port", str(action_port), "--actions", "actions"],
        run_dir / "actions.log",
        environ=environ,
    )
    if not wait_port(action_port, START_TIMEOUT, actions):
        raise RuntimeError(f"the action server did not start:\n{actions.tail()}")
    endpoints = endpoints_for("ours", run_dir, action_port)
    rasa_port = free_port()
    rasa = Proc(
        "rasa server",
        rasa_server_args("ours", model_copy(run_dir), rasa_port, endpoints),
        run_dir / "rasa.log",
        environ=environ,
    )
    if wait_first_reply(rasa_port, rasa, START_TIMEOUT) is None:
        tail = rasa.tail(40)
        rasa.stop()
        actions.stop()
        raise RuntimeError(f"the Rasa server gave no first reply:\n{tail}")
    return SoakStack(f"http://127.0.0.1:{rasa_port}", rasa, actions, orders, shop_url, environ)

"""Start the real servers for end-to-end tests: action server, Rasa server, others.

Every process logs to a file under the test's temp dir; when a server does not
come up, the error shows its log tail.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "seba.tar.gz"
QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONUNBUFFERED": "1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A child process that is ready once ``health_url`` answers 200."""

    def __init__(self, name: str, cmd: List[str], log: Path, env: Optional[Dict] = None,
                 cwd: Path = ROOT) -> None:
        self.name, self.log = name, log
        self._log_file = open(log, "wb")
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, stdout=self._log_file, stderr=subprocess.STDOUT,
            env={**os.environ, **QUIET_ENV, **(env or {})}, start_new_session=True,
        )

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, health_url: str, timeout: float = 240) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(health_url, timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


@dataclass
class RasaStack:
    """A running action server + Rasa server (HTTP API enabled) on free ports."""

    url: str
    action_url: str
    token: str
    endpoints: Path
    servers: List[Server] = field(default_factory=list)

    def api(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}token={self.token}"


def write_endpoints(path: Path, action_port: int, tracker_db: Path, extra: str = "") -> Path:
    path.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        "nlg:\n  type: seba.nlg.SebaNLG\n"
        f"tracker_store:\n  type: seba.tracker_store.CachingSQLTrackerStore\n  dialect: sqlite\n  db: {tracker_db}\n{extra}",
        encoding="utf-8",
    )
    return path


def start_rasa_stack(stack: ExitStack, workdir: Path, env: Dict[str, str],
                     credentials: Path = ROOT / "credentials.yml",
                     token: str = "test-token", with_actions: bool = True) -> RasaStack:
    """Start the servers; ``stack`` stops them. ``env`` must carry DATABASE_URL."""
    if not MODEL.exists():
        raise RuntimeError(f"No trained model at {MODEL}: run `make train` first.")
    workdir.mkdir(parents=True, exist_ok=True)
    action_port, rasa_port = free_port(), free_port()
    endpoints = write_endpoints(workdir / "endpoints.yml", action_port, workdir / "tracker.db")
    servers = []
    if with_actions:
        actions = Server(
            "action server",
            [str(VENV_BIN / "rasa"), "run", "actions", "--port", str(action_port),
             "--actions", "actions"],
            workdir / "actions.log", env,
        )
        stack.callback(actions.stop)
        servers.append(actions.wait_ready(f"http://127.0.0.1:{action_port}/health"))
    rasa = Server(
        "rasa server",
        [str(VENV_BIN / "python"), "-m", "seba.server", "run", "--enable-api",
         "--auth-token", token, "--port", str(rasa_port), "--model", str(MODEL),
         "--endpoints", str(endpoints), "--credentials", str(credentials)],
        workdir / "rasa.log", env,
    )
    stack.callback(rasa.stop)
    servers.append(rasa.wait_ready(f"http://127.0.0.1:{rasa_port}/status?token={token}"))
    return RasaStack(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}",
                     token, endpoints, servers)

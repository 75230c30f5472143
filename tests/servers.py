"""Start the real servers for end-to-end tests: action server, Rasa server, others.

Every process logs to a file under the test's temp dir; when a server does not
come up, the error shows its log tail.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
#: The trained model the test servers load (``SEBA_TEST_MODEL``: another one, e.g. a copy
#: that a retrain elsewhere cannot replace during a long run).
MODEL = Path(os.environ.get("SEBA_TEST_MODEL") or ROOT / "models" / "seba.tar.gz")
QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONUNBUFFERED": "1",
}


#: The REST channel's secret in every test stack (the channel is off without one).
REST_SECRET = "test-rest-secret"
REST_HEADERS = {"Authorization": f"Bearer {REST_SECRET}"}


def api_headers() -> Dict[str, str]:
    """A bearer token for Rasa's HTTP API (RASA_JWT_SECRET is set by tests/conftest.py)."""
    from seba.secrets import rasa_api_headers

    return rasa_api_headers()


def http(
    method: str,
    url: str,
    body: Any = None,
    headers: Optional[Dict[str, str]] = None,
    timeout: float = 60,
) -> Any:
    """(status, parsed JSON or text), without raising on HTTP errors. ``body``: JSON-able or
    bytes (sent as they are)."""
    data = (
        body
        if isinstance(body, (bytes, type(None)))
        else json.dumps(body, ensure_ascii=False).encode()
    )
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def action_server_cmd(port: int) -> List[str]:
    return [
        str(VENV_BIN / "python"),
        "-m",
        "seba.action_server",
        "--port",
        str(port),
        "--actions",
        "actions",
    ]


def rasa_server_cmd(
    port: int, endpoints: Path, credentials: Path, *extra: str, model: Path = MODEL
) -> List[str]:
    """``python -m seba.server run`` as scripts/run.sh starts it (loopback, JWT API)."""
    return [
        str(VENV_BIN / "python"),
        "-m",
        "seba.server",
        "run",
        "--enable-api",
        "--port",
        str(port),
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
        *extra,
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A child process that is ready once ``health_url`` answers 200."""

    def __init__(
        self, name: str, cmd: List[str], log: Path, env: Optional[Dict] = None, cwd: Path = ROOT
    ) -> None:
        self.name, self.log = name, log
        self._cmd, self._cwd = cmd, cwd
        self._env = {**os.environ, **QUIET_ENV, **(env or {})}
        self._log_file = open(log, "wb")
        self.health_url: Optional[str] = None
        self._start()

    def _start(self) -> None:
        self._log_offset = self.log.stat().st_size if self.log.exists() else 0
        self.proc = subprocess.Popen(
            self._cmd,
            cwd=self._cwd,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=self._env,
            start_new_session=True,
        )

    def restart(self, kill: bool = False, timeout: float = 240) -> "Server":
        """Stop (SIGTERM, or SIGKILL with ``kill``) and start the same command again."""
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(timeout=30)
        self._log_file.close()
        self._log_file = open(self.log, "ab")
        self._start()
        if not self.health_url:
            return self
        ready_line, count = getattr(self, "_ready", ("", 1))
        return self.wait_ready(self.health_url, timeout, ready_line, count)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _log_since_start(self) -> str:
        with open(self.log, "rb") as f:
            f.seek(self._log_offset)
            return f.read().decode("utf-8", "replace")

    def children(self) -> List[int]:
        """Pids of this server's child processes (Sanic's workers), oldest first."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def wait_ready(
        self, health_url: str, timeout: float = 240, ready_line: str = "", count: int = 1
    ) -> "Server":
        """Ready when ``health_url`` answers 200 (and the log has ``ready_line`` ``count``
        times: one per worker)."""
        self.health_url = health_url
        self._ready = (ready_line, count)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.proc.returncode}):\n{self.log_tail()}"
                )
            if ready_line and self._log_since_start().count(ready_line) < count:
                time.sleep(0.5)
                continue
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
        try:  # workers it left behind (its own session: nothing else is in the group)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self._log_file.close()


@dataclass
class RasaStack:
    """A running action server + Rasa server (HTTP API enabled) on free ports."""

    url: str
    action_url: str
    endpoints: Path
    servers: List[Server] = field(default_factory=list)

    def api(self, path: str) -> str:
        """The URL of an HTTP-API path; send it with ``auth`` headers."""
        return f"{self.url}{path}"

    @property
    def auth(self) -> Dict[str, str]:
        return api_headers()

    def tracker(self, conversation_id: str) -> Dict[str, Any]:
        status, body = http(
            "GET", self.api(f"/conversations/{conversation_id}/tracker"), headers=self.auth
        )
        assert status == 200, body
        return body

    def say(self, sender: str, text: str, timeout: float = 60) -> List[Dict[str, Any]]:
        """One message over the REST channel (conversation ``rest:<sender>``)."""
        status, body = http(
            "POST",
            f"{self.url}/webhooks/rest/webhook",
            {"sender": sender, "message": text},
            REST_HEADERS,
            timeout,
        )
        assert status == 200, body
        return body


def write_endpoints(
    path: Path, action_port: int, tracker_db: Path, extra: str = "", tracker: Optional[str] = None
) -> Path:
    """The endpoints file of a test stack: the action server, Seba's NLG, and the tracker
    store on SQLite at ``tracker_db`` (or ``tracker``: another tracker_store block)."""
    tracker = tracker or (
        f"tracker_store:\n  type: seba.tracker_store.CachingSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {tracker_db}\n"
    )
    path.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        "  headers:\n    X-Seba-Action-Secret: ${SEBA_ACTION_SECRET}\n"
        "  enable_selective_domain: true\n"
        "nlg:\n  type: seba.nlg.SebaNLG\n" + tracker + extra,
        encoding="utf-8",
    )
    return path


RASA_READY_LINE = "Rasa server is up and running"


def for_workers(endpoints: Path, workers: int, redis_url: str):
    """(endpoints file, environment) for ``workers`` Sanic workers on ``redis_url``, made the
    way scripts/run.sh makes them (``python -m seba.workers``)."""
    target = endpoints.with_name(endpoints.stem + ".workers.yml")
    out = subprocess.run(
        [str(VENV_BIN / "python"), "-m", "seba.workers", str(endpoints), redis_url, str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return target, {"SANIC_WORKERS": str(workers), "SEBA_SOCKETIO_REDIS_URL": out.stdout.strip()}


def start_rasa_stack(
    stack: ExitStack,
    workdir: Path,
    env: Dict[str, str],
    credentials: Path = ROOT / "credentials.yml",
    with_actions: bool = True,
    tracker: Optional[str] = None,
    workers: int = 1,
    redis_url: str = "",
    model: Path = MODEL,
    model_server: str = "",
    **_ignored: Any,
) -> RasaStack:
    """Start the servers; ``stack`` stops them. ``env`` must carry DATABASE_URL;
    ``tracker``: a tracker_store block for endpoints.yml (default: SQLite in ``workdir``);
    ``workers`` > 1: Rasa's Sanic workers on ``redis_url`` as scripts/run.sh starts them;
    ``model``: the model file Rasa starts from; ``model_server``: a ``seba.model_server``
    URL the workers follow (the endpoints made as scripts/run.sh makes them)."""
    if not MODEL.exists():
        raise RuntimeError(f"No trained model at {MODEL}: run `make train` first.")
    workdir.mkdir(parents=True, exist_ok=True)
    env = {"SEBA_REST_SECRET": REST_SECRET, **env}
    action_port, rasa_port = free_port(), free_port()
    endpoints = write_endpoints(
        workdir / "endpoints.yml", action_port, workdir / "tracker.db", tracker=tracker
    )
    rasa_env = dict(env)
    if workers > 1:
        endpoints, extra = for_workers(endpoints, workers, redis_url)
        rasa_env.update(extra)
    if model_server:
        live = endpoints.with_name(endpoints.stem + ".live.yml")
        subprocess.run(
            [
                str(VENV_BIN / "python"),
                "-m",
                "seba.model_server",
                "endpoints",
                str(endpoints),
                str(live),
                "--url",
                model_server,
                "--wait",
                "2",
            ],
            cwd=ROOT,
            check=True,
        )
        endpoints = live
    servers = []
    if with_actions:
        actions = Server(
            "action server", action_server_cmd(action_port), workdir / "actions.log", env
        )
        stack.callback(actions.stop)
        servers.append(actions.wait_ready(f"http://127.0.0.1:{action_port}/health"))
    rasa = Server(
        "rasa server",
        rasa_server_cmd(rasa_port, endpoints, credentials, model=model),
        workdir / "rasa.log",
        rasa_env,
    )
    stack.callback(rasa.stop)
    servers.append(
        rasa.wait_ready(f"http://127.0.0.1:{rasa_port}/", ready_line=RASA_READY_LINE, count=workers)
    )
    return RasaStack(
        f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", endpoints, servers
    )

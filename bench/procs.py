"""Processes the benchmark starts and stops: Rasa servers, the action server,
PostgreSQL, Redis, the load balancer. Everything listens on 127.0.0.1 on free ports
and is stopped by process group when its phase ends (also on Ctrl-C / errors)."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from bench.paths import ROOT, VENV_BIN


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def loadavg() -> float:
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except (OSError, ValueError):
        return -1.0


# The secrets of the benchmark's own installation (seba/secrets.py), made per run: the
# project's var/secrets.env is never read. The REST channel needs its bearer secret
# (stock Rasa ignores the header).
_BENCH_SECRETS = {
    name: secrets.token_urlsafe(32)
    for name in ("RASA_JWT_SECRET", "SEBA_ACTION_SECRET", "SEBA_SECRET_KEY", "SEBA_REST_SECRET")
}
BASE_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONUNBUFFERED": "1",
    "SEBA_SECRETS_FILE": "/dev/null",
    **_BENCH_SECRETS,
}
REST_HEADERS = {"Authorization": f"Bearer {_BENCH_SECRETS['SEBA_REST_SECRET']}"}


def api_headers() -> Dict[str, str]:
    """A bearer token for the Rasa HTTP API of ours (signed with the bench's JWT secret)."""
    import jwt

    now = int(time.time())
    claims = {"user": {"username": "bench", "role": "admin"}, "iat": now, "exp": now + 3600}
    return {
        "Authorization": "Bearer "
        + jwt.encode(claims, _BENCH_SECRETS["RASA_JWT_SECRET"], algorithm="HS256")
    }


_started: List["Proc"] = []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: Optional["Proc"] = None) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and not proc.alive():
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def env(**extra: str) -> Dict[str, str]:
    e = dict(os.environ)
    e.update(BASE_ENV)
    e.update({k: v for k, v in extra.items() if v is not None})
    return e


class Proc:
    """A child process in its own process group, with its log in a file."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        log: Path,
        cwd: Path = ROOT,
        environ: Optional[Dict[str, str]] = None,
        user: Optional[str] = None,
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.stop_signal = stop_signal
        self.args = list(args)
        self.log_path = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log, "ab")
        self.t_start = time.perf_counter()
        preexec = None
        if user:
            import pwd

            pw = pwd.getpwnam(user)

            def preexec() -> None:  # noqa: F811
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)

        self.popen = subprocess.Popen(
            self.args,
            cwd=str(cwd),
            env=environ or env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=preexec,
        )
        self.pid = self.popen.pid
        _started.append(self)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, n: int = 30) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20) -> None:
        if self.alive():
            try:
                os.killpg(self.pid, self.stop_signal)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(5)
        self._log.close()
        if self in _started:
            _started.remove(self)

    def rss_kb(self) -> int:
        return tree_rss_kb(self.pid)

    def hwm_kb(self) -> int:
        return sum(_status_field(p, "VmHWM") for p in [self.pid] + descendants(self.pid))


def stop_all() -> None:
    for p in reversed(list(_started)):
        try:
            p.stop(timeout=10)
        except Exception:
            pass


# --- memory -------------------------------------------------------------------
def _status_field(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def tree_rss_kb(pid: int) -> int:
    """VmRSS of a process plus all its descendants (kB)."""
    return sum(_status_field(p, "VmRSS") for p in [pid] + descendants(pid))


def cpu_seconds(pid: int) -> float:
    """utime+stime of a process and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in [pid] + descendants(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            total += int(parts[11]) + int(parts[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


class MemorySampler:
    """Samples tree RSS of some processes every ``interval`` s in a thread; keeps peaks."""

    def __init__(self, procs: Dict[str, "Proc"], interval: float = 0.5) -> None:
        self.procs = procs
        self.interval = interval
        self.peak: Dict[str, int] = {k: 0 for k in procs}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for k, p in self.procs.items():
                self.peak[k] = max(self.peak[k], p.rss_kb())
            self._stop.wait(self.interval)

    def __enter__(self) -> "MemorySampler":
        self._t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join(5)


# --- HTTP helpers -------------------------------------------------------------
def post_json(
    url: str, payload: dict, timeout: float = 30, headers: Optional[Dict[str, str]] = None
) -> object:
    data = json.dumps(payload).encode()
    req = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def get_json(url: str, timeout: float = 10) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


def wait_first_reply(
    port: int, proc: Proc, timeout: float, message: str = "hello"
) -> Optional[float]:
    """Poll the REST channel until a reply with at least one message comes back.
    Returns seconds from the process start to that reply (None on failure)."""
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    end = time.monotonic() + timeout
    i = 0
    while time.monotonic() < end:
        if not proc.alive():
            return None
        i += 1
        try:
            msgs = post_json(
                url,
                {"sender": f"bench-startup-{proc.pid}-{i}", "message": message},
                timeout=30,
                headers=REST_HEADERS,
            )
            if isinstance(msgs, list) and msgs:
                return time.perf_counter() - proc.t_start
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        time.sleep(0.1)
    return None


# --- PostgreSQL and Redis (Debian packages) ------------------------------------
def pg_bindir() -> Optional[Path]:
    for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (cand / "initdb").exists():
            return cand
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _pg_user() -> Optional[str]:
    if os.geteuid() != 0:
        return None  # we are not root: run as ourselves
    import pwd

    try:
        pwd.getpwnam("postgres")
        return "postgres"
    except KeyError:
        return None


def start_postgres(workdir: Path, log: Path) -> "tuple[Proc, int, str]":
    """initdb a throwaway cluster under workdir, start it on a free port (127.0.0.1),
    create database 'rasa'. Returns (proc, port, sqlalchemy-style parts)."""
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
    user = _pg_user()
    if os.geteuid() == 0 and user is None:
        raise RuntimeError("running as root and no 'postgres' user to run PostgreSQL as")
    workdir = workdir.resolve()
    data = workdir / "pgdata"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    if user:
        shutil.chown(workdir, user)
        shutil.chown(data, user)
    demote = None
    if user:
        import pwd

        pw = pwd.getpwnam(user)

        def demote() -> None:  # noqa: F811
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)

    subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "bench",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        preexec_fn=demote,
    )
    port = free_port()
    proc = Proc(
        "postgres",
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "unix_socket_directories=",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "max_connections=200",
            "-c",
            "shared_buffers=128MB",
        ],
        log,
        user=user,
        stop_signal=signal.SIGINT,
    )  # SIGINT: PostgreSQL's fast shutdown
    if not wait_port(port, 30, proc):
        raise RuntimeError("PostgreSQL did not start:\n" + proc.tail())
    for _ in range(50):
        r = subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "bench", "rasa"],
            capture_output=True,
            text=True,
        )
        if r.returncode == 0:
            break
        time.sleep(0.2)
    else:
        raise RuntimeError("createdb failed: " + r.stderr)
    return proc, port, "bench"


def start_redis(workdir: Path, log: Path) -> "tuple[Proc, int]":
    exe = shutil.which("redis-server")
    if not exe:
        raise RuntimeError("redis-server not found (apt-get install redis-server)")
    port = free_port()
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = Proc(
        "redis",
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        log,
    )
    if not wait_port(port, 15, proc):
        raise RuntimeError("redis-server did not start:\n" + proc.tail())
    return proc, port


def python() -> str:
    return str(VENV_BIN / "python")

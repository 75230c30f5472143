"""A throwaway PostgreSQL server from Debian's packages, for tests that need a real one —
also to stop and start it again mid-test (tests/e2e/test_faults.py).

PostgreSQL refuses to run as root: then initdb/pg_ctl run as the ``postgres`` user.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import List, Optional


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries (or no way to run them): tests that need them skip."""


def _bin_dir() -> Optional[Path]:
    """The directory with initdb, pg_ctl and postgres (PATH first, then Debian's layout)."""
    candidates = []
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(Path(os.path.realpath(found)).parent)

    def version(path: str) -> float:
        try:
            return float(Path(path).parts[-3])
        except ValueError:
            return 0.0

    for pg_ctl in sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version, reverse=True):
        candidates.append(Path(pg_ctl).parent)
    for directory in candidates:
        if all((directory / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        if self.bin is None:
            raise PostgresUnavailable(
                "PostgreSQL binaries not found (install the Debian package 'postgresql')"
            )
        self.as_user: List[str] = []
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' user"
                ) from None
            if not shutil.which("runuser"):
                raise PostgresUnavailable("running as root and 'runuser' is missing")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        # Not under pytest's root-only tmp dirs: the postgres user must reach it.
        self.base = Path(tempfile.mkdtemp(prefix="seba-pg-"))
        if self.as_user:
            user = pwd.getpwnam("postgres")
            os.chown(self.base, user.pw_uid, user.pw_gid)
        self.data, self.log = self.base / "data", self.base / "server.log"
        self.port = _free_port()
        self._env = {**os.environ, "LC_ALL": "C", "LANG": "C"}

    def _run(self, *args: str) -> None:
        try:
            subprocess.run(
                self.as_user + list(args),
                check=True,
                env=self._env,
                capture_output=True,
                timeout=120,
            )
        except subprocess.CalledProcessError as exc:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {exc.stderr.decode()}\n{log}") from exc

    def start(self) -> "PostgresServer":
        if not self.data.exists():
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.base} -F",
            "start",
        )
        return self

    def stop(self) -> None:
        """Stop at once (as a crash or an outage would): connections are cut."""
        subprocess.run(
            self.as_user
            + [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
            env=self._env,
            capture_output=True,
            timeout=60,
        )

    def create_database(self, name: str) -> str:
        import psycopg2

        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres"
        )
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url(name)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

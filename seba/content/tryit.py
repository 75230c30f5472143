""" "Try it": content staff chat with a newly trained model before it goes live.

The console (``TryIt``) starts, on demand, one small supervisor process
(``python -m seba.content.tryit serve``) for the newest trained candidate. The supervisor
runs, all on 127.0.0.1 and on free ports:

- a Rasa server with the candidate model and Seba's runtime, **without** the HTTP API
  (no ``--enable-api``: nothing can read or change conversations through it), with the REST
  channel only (a secret made for this run), Rasa's in-memory tracker and lock stores
  (nothing is written to the real tracker database), and no model server (the candidate
  stays the candidate);
- an action server on a **throwaway shop database**: a fresh SQLite file with the demo data
  (the orders in the README: 10456-10460), and the handoff tables in the same file, so an
  order cancelled, a return requested or a hand-over asked for in "try it" changes only that
  file, never a real order or the real queue, and staff see no real customer's order;
- a loopback endpoint ``POST /say`` for the console, behind ``X-Seba-Tryit-Secret`` (a key
  derived from ``SEBA_SECRET_KEY``).

It stops by itself (its servers and its throwaway files with it) after ``IDLE_SECONDS``
without a message, or when the console starts one for a newer candidate; so a console that
restarts leaves nothing running for long.
"""

import argparse
import asyncio
import hmac
import json
import os
import secrets as random_secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from seba.content import N_
from seba.content.jobs import Jobs
from seba.content.locations import Paths
from seba.content.model_store import write_json
from seba.model_server import file_fingerprint

SECRET_HEADER = "X-Seba-Tryit-Secret"
IDLE_SECONDS = 600
START_SECONDS = 300
QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "PYTHONUNBUFFERED": "1",
}


def token() -> str:
    from seba.secrets import derived_key

    return derived_key("tryit").hex()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def newest_candidate(paths: Paths) -> Optional[Dict[str, Any]]:
    """The newest job that trained a model (passed, live, or refused after training)."""
    jobs = Jobs(paths)
    for job in jobs.recent(10):
        model = jobs.job_dir(job["id"]) / "candidate.tar.gz"
        if job["state"] != "running" and model.exists():
            return {"job_id": job["id"], "model": model, "state": job["state"]}
    return None


# --- the supervisor process ----------------------------------------------------------------------


class Supervisor:
    def __init__(self, candidate: Path, port: int, workdir: Path) -> None:
        self.candidate, self.port, self.workdir = candidate, port, workdir
        self.rest_secret = random_secrets.token_urlsafe(24)
        self.children: List[subprocess.Popen] = []
        self.rasa_url = ""
        self.last_used = time.monotonic()
        self.ready = False

    def _spawn(self, cmd: List[str], log: str, env: Dict[str, str]) -> None:
        out = open(self.workdir / log, "wb")
        self.children.append(
            subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **QUIET_ENV, **env},
            )
        )
        out.close()

    def prepare(self) -> None:
        from handoff import migrate
        from seba.db.__main__ import init as init_shop

        self.workdir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{self.workdir / 'shop.db'}"
        init_shop(url)  # demo data: the README's orders
        migrate.upgrade(url)  # the handoff tables in the same throwaway file
        action_port, rasa_port = free_port(), free_port()
        action_secret = random_secrets.token_urlsafe(24)
        (self.workdir / "endpoints.yml").write_text(
            f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
            "  headers:\n    X-Seba-Action-Secret: ${SEBA_ACTION_SECRET}\n"
            "  enable_selective_domain: true\nnlg:\n  type: seba.nlg.SebaNLG\n",
            "utf-8",
        )
        (self.workdir / "credentials.yml").write_text("channels.rest.RestInput:\n", "utf-8")
        env = {
            "DATABASE_URL": url,
            "HANDOFF_DATABASE_URL": url,
            "SANIC_WORKERS": "1",
            "SEBA_ACTION_SECRET": action_secret,
            "SEBA_REST_SECRET": self.rest_secret,
        }
        self._spawn(
            [
                sys.executable,
                "-m",
                "seba.action_server",
                "--port",
                str(action_port),
                "--actions",
                "actions",
            ],
            "actions.log",
            env,
        )
        self._spawn(
            [
                sys.executable,
                "-m",
                "seba.server",
                "run",
                "--port",
                str(rasa_port),
                "--model",
                str(self.candidate),
                "--endpoints",
                str(self.workdir / "endpoints.yml"),
                "--credentials",
                str(self.workdir / "credentials.yml"),
            ],
            "rasa.log",
            env,
        )
        self.rasa_url = f"http://127.0.0.1:{rasa_port}"

    async def wait_ready(self, session: Any) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if any(c.poll() is not None for c in self.children):
                raise SystemExit("a try-it server exited; see " + str(self.workdir))
            try:
                async with session.get(self.rasa_url + "/") as resp:
                    if resp.status == 200:
                        self.ready = True
                        return
            except Exception:  # noqa: BLE001 - not up yet
                pass
            await asyncio.sleep(1)
        raise SystemExit("the try-it Rasa server did not start")

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        for child in self.children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    async def serve(self) -> None:
        import aiohttp
        from aiohttp import web

        expected = token().encode()
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90))

        async def say(request: web.Request) -> web.Response:
            if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), expected):
                return web.json_response({"ok": False, "message": "forbidden"}, status=401)
            self.last_used = time.monotonic()
            if not self.ready:
                return web.json_response(
                    {
                        "ok": False,
                        "starting": True,
                        "message": N_("The trial bot is starting (about a minute)."),
                    },
                    status=503,
                )
            body = await request.json()
            async with session.post(
                self.rasa_url + "/webhooks/rest/webhook",
                json={"sender": str(body["conversation"])[:80], "message": str(body["text"])},
                headers={"Authorization": f"Bearer {self.rest_secret}"},
            ) as resp:
                replies = await resp.json() if resp.status == 200 else []
            self.last_used = time.monotonic()
            return web.json_response(
                {
                    "ok": resp.status == 200,
                    "replies": [
                        {
                            "text": r.get("text") or "",
                            "buttons": [b.get("title", "") for b in r.get("buttons") or []],
                        }
                        for r in replies
                        if isinstance(r, dict)
                    ],
                }
            )

        async def health(request: web.Request) -> web.Response:
            return web.json_response({"ready": self.ready, "candidate": str(self.candidate)})

        app = web.Application()
        app.router.add_post("/say", say)
        app.router.add_get("/health", health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        try:
            await self.wait_ready(session)
            while time.monotonic() - self.last_used < IDLE_SECONDS:
                await asyncio.sleep(2)
                if any(c.poll() is not None for c in self.children):
                    break
        finally:
            await session.close()
            await runner.cleanup()


def serve_main(candidate: Path, port: int, workdir: Path) -> int:
    supervisor = Supervisor(candidate, port, workdir)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop: KeyboardInterrupt
    try:
        supervisor.prepare()
        asyncio.run(supervisor.serve())
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop()
    return 0


# --- the console's side ---------------------------------------------------------------------


class TryIt:
    """Starts the supervisor for the newest candidate and passes staff messages to it."""

    def __init__(self, paths: Optional[Paths] = None) -> None:
        self.paths = paths or Paths.from_env()
        self.dir = self.paths.retrain_dir / "tryit"
        self.state_file = self.dir / "state.json"
        self._conversations: Dict[str, int] = {}
        self._lock = asyncio.Lock()

    def state(self) -> Dict[str, Any]:
        found = newest_candidate(self.paths)
        return {"candidate": found["job_id"] if found else None}

    def _running(self) -> Optional[Dict[str, Any]]:
        try:
            state = json.loads(self.state_file.read_text())
            cmdline = Path(f"/proc/{int(state['pid'])}/cmdline").read_bytes()
        except (OSError, ValueError, KeyError):
            return None
        return state if b"seba.content.tryit" in cmdline else None

    def stop(self) -> None:
        state = self._running()
        if state:
            try:
                os.kill(int(state["pid"]), signal.SIGTERM)
            except OSError:
                pass

    def _start(self, model: Path, sha: str) -> Dict[str, Any]:
        self.stop()
        self.dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        workdir = self.dir / f"run-{int(time.time())}-{random_secrets.token_hex(2)}"
        log = open(self.dir / "supervisor.log", "ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seba.content.tryit",
                "serve",
                "--candidate",
                str(model),
                "--port",
                str(port),
                "--workdir",
                str(workdir),
            ],
            cwd=self.paths.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **QUIET_ENV, **self.paths.env()},
        )
        log.close()
        import threading

        threading.Thread(target=process.wait, daemon=True).start()
        state = {"pid": process.pid, "port": port, "sha": sha, "started": time.time()}
        write_json(self.state_file, state)
        return state

    async def say(self, username: str, text: str, fresh: bool = False) -> Dict[str, Any]:
        import aiohttp

        found = newest_candidate(self.paths)
        if found is None:
            return {"ok": False, "message": N_("Retrain first: there is no new model to try.")}
        loop = asyncio.get_running_loop()
        async with self._lock:
            sha = await loop.run_in_executor(None, file_fingerprint, found["model"])
            state = await loop.run_in_executor(None, self._running)
            if state is None or state.get("sha") != sha:
                state = await loop.run_in_executor(None, self._start, found["model"], sha)
        if fresh:
            self._conversations[username] = self._conversations.get(username, 0) + 1
        # The conversation is the account's own: chosen here, never by the browser.
        conversation = f"tryit-{username}-{self._conversations.get(username, 0)}"
        url = f"http://127.0.0.1:{state['port']}/say"
        deadline = time.monotonic() + START_SECONDS
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            while True:
                try:
                    async with http.post(
                        url,
                        json={"conversation": conversation, "text": text},
                        headers={SECRET_HEADER: token()},
                    ) as resp:
                        answer = await resp.json()
                        if resp.status != 503 or not answer.get("starting"):
                            return answer
                except aiohttp.ClientError:
                    pass  # the supervisor is not listening yet
                if time.monotonic() > deadline:
                    return {"ok": False, "message": N_("The trial bot did not start; try again.")}
                await asyncio.sleep(1)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seba.content.tryit")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--candidate", required=True)
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--workdir", required=True)
    args = parser.parse_args(argv)
    return serve_main(Path(args.candidate), args.port, Path(args.workdir))


if __name__ == "__main__":
    sys.exit(main())

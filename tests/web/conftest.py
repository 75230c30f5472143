"""Servers and a browser for the web-bubble tests.

- ``web_stack`` (module): action server + Rasa server with two workers on Redis, as
  ``make run`` starts it (the web chat channel from
  ``credentials.yml``, the page's origin allowed as scripts/run.sh does) over a fresh demo
  database, a TCP proxy in front of Rasa that can drop every connection (a
  customer's flaky mobile network), and ``web/serve.py`` pointing the page at
  the proxy.
- ``browser`` (test): headless Debian Chromium through /usr/bin/chromedriver
  with a fresh profile; skips when Chromium, ChromeDriver or Selenium is missing.
- ``shot``: saves numbered screenshots under tests/artifacts/web/<test>/.

When a test fails, the tails of the servers' logs and the browser console are
added to its report.
"""

import asyncio
import os
import re
import shutil
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.servers import (
    MODEL,
    RASA_READY_LINE,
    ROOT,
    VENV_BIN,
    Server,
    action_server_cmd,
    api_headers,
    for_workers,
    free_port,
    rasa_server_cmd,
    write_endpoints,
)

ARTIFACTS = ROOT / "tests" / "artifacts" / "web"
WIDGET_BUNDLE = ROOT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
]

_servers: List[Server] = []  # running servers, for their logs in a failure report
_console: Dict[str, List[str]] = {}  # test nodeid -> browser console lines


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in _servers:
            if server.log.exists():
                report.sections.append((f"{server.name} log (last lines)", server.log_tail(80)))
        driver = item.funcargs.get("browser") if hasattr(item, "funcargs") else None
        if driver is not None:
            _drain_console(item.nodeid, driver)
        lines = _console.get(item.nodeid)
        if lines:
            report.sections.append(("browser console", "\n".join(lines[-80:])))


def _drain_console(nodeid: str, driver) -> None:
    """Move the browser's console entries (read once by Chromium) into ``_console``."""
    try:
        entries = driver.get_log("browser")
    except Exception as exc:  # the browser may be gone already
        entries = [{"level": "ERROR", "message": f"(console log unavailable: {exc})"}]
    _console.setdefault(nodeid, []).extend(f"{e.get('level')} {e.get('message')}" for e in entries)


class DroppingProxy:
    """A TCP proxy on a free port; ``drop()`` cuts every open connection at once."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._writers: set = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dropping-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("proxy did not start")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self._loop.run_forever()

    async def _pipe(self, reader, writer) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader, client_writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        pair = {client_writer, up_writer}
        self._writers |= pair
        try:
            await asyncio.gather(
                self._pipe(client_reader, up_writer), self._pipe(up_reader, client_writer)
            )
        finally:
            self._writers -= pair

    def drop(self) -> None:
        """Abort every connection (RST), like a mobile network going away."""

        def abort_all():
            for writer in list(self._writers):
                writer.transport.abort()

        self._loop.call_soon_threadsafe(abort_all)

    def close(self) -> None:
        self.drop()
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@dataclass
class WebStack:
    page_url: str  # the demo shop page
    rasa_url: str  # Rasa itself (HTTP API: send ``auth`` headers)
    proxy: DroppingProxy  # what the browser talks to instead of Rasa

    def api(self, path: str) -> str:
        return f"{self.rasa_url}{path}"

    @property
    def auth(self) -> Dict[str, str]:
        return api_headers()


def _start(
    stack: ExitStack, server: Server, health_url: str, timeout: float = 240, **ready: Any
) -> Server:
    stack.callback(server.stop)
    _servers.append(server)
    stack.callback(_servers.remove, server)
    return server.wait_ready(health_url, timeout, **ready)


@pytest.fixture(scope="module")
def web_stack(shop_db_module, redis, tmp_path_factory):
    """As ``make run`` starts it: two Rasa workers sharing Redis."""
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run `make train` first.")
    if not WIDGET_BUNDLE.exists():
        pytest.skip("the chat widget is not installed: run `npm ci --prefix web`")
    workdir = tmp_path_factory.mktemp("web-stack")
    action_port, rasa_port, web_port = free_port(), free_port(), free_port()
    env = {"DATABASE_URL": shop_db_module, "SEBA_ALLOWED_ORIGINS": f"http://127.0.0.1:{web_port}"}
    endpoints = write_endpoints(workdir / "endpoints.yml", action_port, workdir / "tracker.db")
    endpoints, workers_env = for_workers(endpoints, 2, f"redis://127.0.0.1:{redis.port}")
    with ExitStack() as stack:
        _start(
            stack,
            Server("action server", action_server_cmd(action_port), workdir / "actions.log", env),
            f"http://127.0.0.1:{action_port}/health",
        )
        _start(
            stack,
            Server(
                "rasa server",
                rasa_server_cmd(rasa_port, endpoints, ROOT / "credentials.yml"),
                workdir / "rasa.log",
                {**env, **workers_env},
            ),
            f"http://127.0.0.1:{rasa_port}/",
            ready_line=RASA_READY_LINE,
            count=2,
        )
        proxy = DroppingProxy(rasa_port)
        stack.callback(proxy.close)
        _start(
            stack,
            Server(
                "web page server",
                [
                    str(VENV_BIN / "python"),
                    "-m",
                    "web.serve",
                    "--port",
                    str(web_port),
                    "--rasa-url",
                    f"http://127.0.0.1:{proxy.port}",
                ],
                workdir / "web.log",
                env,
            ),
            f"http://127.0.0.1:{web_port}/healthz",
            timeout=30,
        )
        yield WebStack(f"http://127.0.0.1:{web_port}/", f"http://127.0.0.1:{rasa_port}", proxy)


@pytest.fixture
def artifacts_dir(request) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    path = ARTIFACTS / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser(request, tmp_path, artifacts_dir):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    for program in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(program) and os.access(program, os.X_OK)):
            pytest.skip(
                f"{program} not found (install the Debian packages chromium and "
                "chromium-driver, or set CHROMIUM_BIN / CHROMEDRIVER_BIN)"
            )
    from selenium.webdriver.chrome.service import Service as ChromeService

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = ChromeService(
        executable_path=CHROMEDRIVER, log_output=str(artifacts_dir / "chromedriver.log")
    )
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        _drain_console(request.node.nodeid, driver)
        lines = _console.pop(request.node.nodeid, [])
        (artifacts_dir / "console.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
        driver.quit()


@pytest.fixture
def shot(browser, artifacts_dir):
    """shot("name") saves tests/artifacts/web/<test>/NN-name.png."""
    counter = {"n": 0}

    def save(name: str) -> Path:
        counter["n"] += 1
        path = artifacts_dir / f"{counter['n']:02d}-{name}.png"
        browser.save_screenshot(str(path))
        return path

    return save

"""The documented reverse proxy (deploy/nginx/seba-public.conf) with a real nginx in front of
the real Rasa server and page server: the internet reaches the webhooks, the web chat's
socket and the bubble's files, and nothing of Rasa's HTTP API."""

import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.servers import ROOT, VENV_BIN, Server, free_port, http

pytestmark = pytest.mark.slow
SNIPPET = ROOT / "deploy" / "nginx" / "seba-public.conf"


def nginx_conf(prefix: Path, port: int, rasa_port: int, web_port: int) -> Path:
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream seba_rasa {{ server 127.0.0.1:{rasa_port}; }}
    upstream seba_web {{ server 127.0.0.1:{web_port}; }}
    server {{
        listen 127.0.0.1:{port};
        include {SNIPPET};
    }}
}}
""",
        encoding="utf-8",
    )
    return conf


@pytest.fixture(scope="module")
def proxy(rasa_stack, tmp_path_factory):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx not installed (Debian package nginx; scripts/system-deps.sh)")
    prefix = tmp_path_factory.mktemp("nginx")
    port, web_port = free_port(), free_port()
    rasa_port = int(rasa_stack.url.rsplit(":", 1)[1])
    conf = nginx_conf(prefix, port, rasa_port, web_port)
    check = subprocess.run(
        [nginx, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    with ExitStack() as stack:
        web = Server(
            "web page server",
            [str(VENV_BIN / "python"), "-m", "web.serve", "--port", str(web_port)],
            prefix / "web.log",
        )
        stack.callback(web.stop)
        web.wait_ready(f"http://127.0.0.1:{web_port}/healthz", timeout=30)
        server = Server("nginx", [nginx, "-p", str(prefix), "-c", str(conf)], prefix / "out.log")
        stack.callback(server.stop)
        server.wait_ready(f"http://127.0.0.1:{port}/seba-bubble.js", timeout=30)
        yield f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/"),
        ("GET", "/status"),
        ("GET", "/version"),
        ("POST", "/model/parse"),
        ("GET", "/conversations/tg:1/tracker"),
        ("POST", "/conversations/tg:1/tracker/events"),
        ("POST", "/conversations/tg:1/trigger_intent"),
        ("GET", "/domain"),
        ("PUT", "/model"),
        ("POST", "/webhooks/rest/webhook"),
        ("GET", "/webhooks/telegram/"),
        ("GET", "/webhooks/telegram/webhook/../../status"),
        ("GET", "/%2e%2e/status"),
    ],
)
def test_rasas_api_is_not_reachable_through_the_proxy(rasa_stack, proxy, method, path):
    """Even with a valid bearer token: the API is for the machine, not the internet."""
    status, _ = http(method, proxy + path, {} if method != "GET" else None, rasa_stack.auth)
    assert status in (400, 404), (method, path, status)


def test_the_public_paths_reach_rasa_and_the_page_server(proxy):
    # Reached Rasa, which refuses the unsigned calls itself (503: channel not configured).
    assert http("POST", proxy + "/webhooks/telegram/webhook", {"update_id": 1})[0] in (403, 503)
    assert http("POST", proxy + "/webhooks/facebook/webhook", {"object": "page"})[0] in (403, 503)
    status, body = http("GET", proxy + "/socket.io/?EIO=4&transport=polling")
    assert status == 200 and "sid" in str(body)
    for path in ("/seba-bubble.js", "/seba-config.json"):
        assert http("GET", proxy + path)[0] == 200, path
    assert http("GET", proxy + "/web/serve.py")[0] == 404

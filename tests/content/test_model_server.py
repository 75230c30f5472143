"""seba.model_server over real HTTP: the secret, 304 for the model a worker has, the new
file after a swap, nothing else served."""

import threading
import time

import pytest
import requests

from seba import model_server
from seba.content.model_store import replace_file
from tests.servers import free_port


@pytest.fixture
def served(tmp_path):
    import asyncio

    from aiohttp import web

    live = tmp_path / "seba.tar.gz"
    live.write_bytes(b"model A")
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(model_server.create_app(live))

    async def up():
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(up(), loop).result(10)
    yield f"http://127.0.0.1:{port}", live
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def auth():
    return {model_server.SECRET_HEADER: model_server.token()}


def test_no_secret_or_a_wrong_one_gets_no_model(served):
    url, _ = served
    for headers in (
        {},
        {model_server.SECRET_HEADER: "guess"},
        {model_server.SECRET_HEADER: model_server.token()[:-1]},
        {"Authorization": f"Bearer {model_server.token()}"},
    ):
        response = requests.get(url + "/model", headers=headers, timeout=10)
        assert response.status_code == 401 and b"model A" not in response.content


def test_the_model_its_etag_and_304_for_the_same_one(served):
    url, live = served
    first = requests.get(url + "/model", headers=auth(), timeout=10)
    assert first.status_code == 200 and first.content == b"model A"
    etag = first.headers["ETag"]
    assert etag == model_server.file_fingerprint(live)
    same = requests.get(url + "/model", headers={**auth(), "If-None-Match": etag}, timeout=10)
    assert same.status_code == 304 and same.content == b""

    time.sleep(0.01)
    other = live.with_name("b.tar.gz")
    other.write_bytes(b"model B")
    replace_file(other, live)  # what a promotion does
    new = requests.get(url + "/model", headers={**auth(), "If-None-Match": etag}, timeout=10)
    assert new.status_code == 200 and new.content == b"model B" and new.headers["ETag"] != etag


def test_only_the_one_path_is_served(served):
    url, _ = served
    for path in (
        "/model/../secrets.env",
        "/",
        "/models",
        "/model/seba.tar.gz",
        "/%2e%2e/%2e%2e/var/secrets.env",
    ):
        assert requests.get(url + path, headers=auth(), timeout=10).status_code == 404, path
    assert (
        requests.put(url + "/model", data=b"forged", headers=auth(), timeout=10).status_code == 405
    )


def test_the_endpoints_file_names_the_server_and_holds_no_secret(tmp_path):
    import yaml

    source = tmp_path / "endpoints.yml"
    source.write_text("nlg:\n  type: seba.nlg.SebaNLG\n")
    target = tmp_path / "out.yml"
    assert (
        model_server.main(
            [
                "endpoints",
                str(source),
                str(target),
                "--url",
                "http://127.0.0.1:5077/model",
                "--wait",
                "3",
            ]
        )
        == 0
    )
    data = yaml.safe_load(target.read_text())
    assert data["models"] == {"url": "http://127.0.0.1:5077/model", "wait_time_between_pulls": 3}
    assert data["nlg"] == {"type": "seba.nlg.SebaNLG"}
    assert model_server.token() not in target.read_text()
    assert target.stat().st_mode & 0o077 == 0

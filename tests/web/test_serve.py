"""web/serve.py without a browser: what it serves, what it keeps private."""

import asyncio
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from web import serve


def fetch(config, *paths, headers=None):
    """GET each path from a fresh app; returns [(status, headers, body bytes)]."""

    async def run():
        client = TestClient(TestServer(serve.make_app(config)))
        await client.start_server()
        try:
            results = []
            for path in paths:
                r = await client.get(path, headers=headers or {})
                results.append((r.status, r.headers, await r.read()))
            return results
        finally:
            await client.close()

    return asyncio.run(run())


CONFIG = serve.browser_config("http://bot.example.com:5005/", 5005, "/socket.io/", "/greet")


def test_page_and_loader_are_served():
    (page_status, _, page), (js_status, js_headers, js), (css_status, _, _) = fetch(
        CONFIG, "/", "/seba-bubble.js", "/seba-bubble.css"
    )
    assert page_status == 200 and b"seba-bubble.js" in page and b'lang="bn"' in page
    assert js_status == 200 and js_headers["Access-Control-Allow-Origin"] == "*"
    assert b"seba.sessionId" in js
    assert css_status == 200


def test_config_tells_the_browser_where_rasa_is():
    (status, headers, body), (js_status, _, js) = fetch(
        CONFIG, "/seba-config.json", "/seba-config.js"
    )
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert json.loads(body) == {
        "rasaUrl": "http://bot.example.com:5005",
        "rasaPort": 5005,
        "socketPath": "/socket.io/",
        "initPayload": "/greet",
    }
    assert js_status == 200 and js.startswith(b"window.SEBA_CONFIG = {")


def test_without_rasa_url_the_page_uses_its_own_host():
    assert serve.browser_config(None, 5005, "/socket.io/", "/greet")["rasaUrl"] is None


@pytest.mark.parametrize("bad", ["localhost:5005", "ftp://x", "http://"])
def test_bad_rasa_url_is_refused(bad):
    with pytest.raises(ValueError):
        serve.browser_config(bad, 5005, "/socket.io/", None)


@pytest.mark.parametrize(
    "path",
    [
        "/serve.py",
        "/__init__.py",
        "/package.json",
        "/package-lock.json",
        "/node_modules/rasa-webchat/package.json",
        "/node_modules/rasa-webchat/lib/index.js",
        "/../Makefile",
        "/%2e%2e/Makefile",
        "/.gitignore",
        "/nothing.html",
    ],
)
def test_private_and_missing_files_are_not_served(path):
    [(status, _, _)] = fetch(CONFIG, path)
    assert status == 404


@pytest.mark.skipif(not serve.WIDGET_BUNDLE.is_file(), reason="run `npm ci --prefix web`")
def test_widget_bundle_is_served_without_google_fonts():
    [(status, headers, body)] = fetch(
        CONFIG, "/vendor/rasa-webchat.js", headers={"Accept-Encoding": "identity"}
    )
    assert status == 200 and headers["Content-Type"].startswith("application/javascript")
    assert b"WebChat" in body[:1000]
    assert b"fonts.googleapis.com" not in body  # the page must not call third parties

    etag = headers["ETag"]
    [(again, _, _)] = fetch(CONFIG, "/vendor/rasa-webchat.js", headers={"If-None-Match": etag})
    assert again == 304


def test_widget_bundle_opens_its_socket_as_a_websocket_first():
    # With several Rasa processes a long-polling session would be split between them.
    [(status, _, body)] = fetch(
        CONFIG, "/vendor/rasa-webchat.js", headers={"Accept-Encoding": "identity"}
    )
    assert status == 200
    assert serve.SOCKET_OPTIONS not in body
    assert body.count(serve.SOCKET_OPTIONS_WEBSOCKET_FIRST) == 1

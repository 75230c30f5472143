"""seba/action_client.py: Rasa's action calls reuse their connections."""

import asyncio

from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from seba import action_client
from seba.action_client import CLIENT_KEEP_ALIVE_S, pooled
from seba.action_server import SERVER_KEEP_ALIVE_S


async def _serve(peers: list) -> web.AppRunner:
    """An action-server stand-in that notes each request's client address (host, port):
    one address per TCP connection."""

    async def webhook(request: web.Request) -> web.Response:
        assert request.headers.get("X-Seba-Action-Secret") == "s3cret"
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": [], "n": (await request.json())["n"]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


def _port(runner: web.AppRunner) -> int:
    return runner.addresses[0][1]


def test_calls_share_one_connection_and_keep_rasas_headers():
    async def run():
        peers: list = []
        runner = await _serve(peers)
        try:
            url = f"http://127.0.0.1:{_port(runner)}/webhook"
            endpoint = EndpointConfig(
                url, headers={"X-Seba-Action-Secret": "s3cret"}, enable_selective_domain=True
            )
            twin = pooled(endpoint)
            assert pooled(endpoint) is twin and twin.kwargs["enable_selective_domain"] is True
            answers = [
                await twin.request(json={"n": n}, method="post", timeout=5) for n in range(5)
            ]
            assert [a["n"] for a in answers] == list(range(5))
            pooled_connections = len(set(peers))

            for n in range(3):  # Rasa's own endpoint: a new connection every time
                await endpoint.request(json={"n": n}, method="post", timeout=5)
            return pooled_connections, len(set(peers[5:]))
        finally:
            await action_client.close_all()
            await runner.cleanup()

    pooled_connections, rasa_connections = asyncio.run(run())
    assert pooled_connections == 1
    assert rasa_connections == 3


def test_rasa_lets_idle_connections_go_before_the_action_server_does():
    assert CLIENT_KEEP_ALIVE_S < SERVER_KEEP_ALIVE_S

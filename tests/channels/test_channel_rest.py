"""The REST channel (channels/rest.py) on a real Sanic server: off without a secret, and a
caller cannot name another channel's conversation or a shared one."""

import pytest

from channels.rest import RestInput
from tests.channels.helpers import Collector, async_test, echo, post, serve_channel

SECRET = "app-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}


@async_test
async def test_without_a_secret_the_channel_is_off():
    collector = Collector()
    async with serve_channel(RestInput(None), collector) as url:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer x"}):
            answer = await post(url + "/webhook", {"sender": "a", "message": "hi"}, headers)
            assert answer.status == 403
    assert collector.messages == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": SECRET}, {"X-Secret": SECRET}],
)
@async_test
async def test_a_wrong_or_missing_secret_is_refused(headers):
    collector = Collector()
    async with serve_channel(RestInput(SECRET), collector) as url:
        answer = await post(
            url + f"/webhook?token={SECRET}", {"sender": "a", "message": "hi"}, headers
        )
        assert answer.status == 403
    assert collector.messages == []


@async_test
async def test_senders_get_their_own_namespace_and_input_channel_is_ignored():
    collector = Collector(reply=echo)
    async with serve_channel(RestInput(SECRET), collector) as url:
        for sender in ("app-user-7", "4242"):  # "4242" might be someone's Telegram chat id
            answer = await post(
                url + "/webhook",
                {"sender": sender, "message": "hi", "input_channel": "telegram"},
                AUTH,
            )
            assert answer.status == 200
    assert [(m.sender_id, m.input_channel) for m in collector.messages] == [
        ("rest:app-user-7", "rest"),
        ("rest:4242", "rest"),
    ]


@pytest.mark.parametrize(
    "body, reason",
    [
        ({"message": "hi"}, "sender"),  # would land in "default"
        ({"sender": "", "message": "hi"}, "sender"),
        ({"sender": "tg:4242", "message": "hi"}, "sender"),  # no prefixes of other channels
        ({"sender": "x" * 200, "message": "hi"}, "sender"),
        ({"sender": 42, "message": "hi"}, "sender"),
        ({"sender": "a", "message": None}, "message"),
        ({"sender": "a", "message": ["hi"]}, "message"),
        ({"sender": "a"}, "message"),
        (["not", "an", "object"], "object"),
        (b"{not json", "object"),
    ],
)
@async_test
async def test_bad_requests_get_400_and_a_reason(body, reason):
    collector = Collector()
    async with serve_channel(RestInput(SECRET), collector) as url:
        answer = await post(url + "/webhook", body, AUTH)
        assert answer.status == 400
        assert reason in (await answer.json())["error"]
    assert collector.messages == []

"""Messenger connector over real HTTP: signed webhooks in, fake Graph API on the far side."""

import asyncio
import hashlib
import hmac
import logging
from contextlib import asynccontextmanager

import pytest

from channels import TEXT_ONLY_REPLY, ChannelDeliveryError
from channels.facebook import (
    MAX_QUICK_REPLIES,
    MAX_TEMPLATE_TEXT_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    MORE_OPTIONS_TEXT,
    MessengerInput,
    SebaMessengerBot,
)
from tests.channels.fakes import FakeGraph
from tests.channels.helpers import (
    Collector,
    async_test,
    echo,
    fb_body,
    fb_event,
    fb_payload,
    fb_sign,
    get,
    post,
    serve_channel,
)

VERIFY, SECRET, TOKEN = "verify-me", "app-secret", "PAGE-TOKEN"


class Harness:
    def __init__(self, api, channel, collector, url):
        self.api, self.channel, self.collector, self.url = api, channel, collector, url

    async def send(self, payload, headers=None, sign=True):
        body = payload if isinstance(payload, bytes) else fb_body(payload)
        signed = fb_sign(SECRET, body) if sign else {}
        return await post(self.url + "/webhook", body, {**signed, **(headers or {})})

    async def settle(self):
        assert await self.channel.intake.join(20), "message handling did not finish"


@asynccontextmanager
async def messenger(reply=echo, verify=VERIFY, secret=SECRET, token=TOKEN, api_version="19.0"):
    async with FakeGraph() as api:
        channel = MessengerInput(verify, secret, token, graph_url=api.url, api_version=api_version)
        collector = Collector(reply)
        async with serve_channel(channel, collector) as url:
            yield Harness(api, channel, collector, url)


# --- verification and signatures ---------------------------------------------------


@async_test
async def test_meta_webhook_verification():
    async with messenger() as h:
        ok = await get(
            h.url + "/webhook",
            {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"},
        )
        assert ok.status == 200 and await ok.text() == "1158201444"
        for params in (
            {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
            {"hub.challenge": "1"},
            {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY},
        ):
            assert (await get(h.url + "/webhook", params)).status == 403


@pytest.mark.parametrize(
    "headers",
    [
        {},  # unsigned
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature": "sha1=" + "0" * 40},
        {"X-Hub-Signature-256": "garbage"},
        {"X-Hub-Signature": "md5=abc"},
    ],
)
def test_unsigned_or_badly_signed_posts_are_refused_and_logged(headers, caplog):
    @async_test
    async def run():
        async with messenger() as h:
            payload = fb_payload(fb_event("PSID1", message={"mid": "m1", "text": "hi"}))
            with caplog.at_level(logging.WARNING, logger="channels.facebook"):
                resp = await h.send(payload, headers, sign=False)
            assert resp.status == 403
            await h.settle()
            assert h.collector.messages == [] and h.api.calls == []
        assert any("refused" in r.getMessage() for r in caplog.records)

    run()


@async_test
async def test_signed_with_another_secret_or_one_bad_header_is_refused():
    async with messenger() as h:
        body = fb_body(fb_payload(fb_event("PSID1", message={"mid": "m1", "text": "hi"})))
        assert (await h.send(body, fb_sign("other-secret", body), sign=False)).status == 403
        good = fb_sign(SECRET, body)
        mixed = {**good, "X-Hub-Signature": "sha1=" + "1" * 40}  # right sha256, wrong sha1
        assert (await h.send(body, mixed, sign=False)).status == 403
        tampered = body.replace(b"hi", b"ho")
        assert (await h.send(tampered, good, sign=False)).status == 403
        await h.settle()
        assert h.collector.messages == []


@async_test
async def test_either_signature_alone_is_accepted():
    async with messenger() as h:
        for sha1, sha256 in ((True, False), (False, True)):
            body = fb_body(
                fb_payload(fb_event(f"P{sha1}", message={"mid": f"m{sha1}", "text": "hi"}))
            )
            headers = fb_sign(SECRET, body, sha1=sha1, sha256=sha256)
            assert (await h.send(body, headers, sign=False)).status == 200
        await h.settle()
        assert h.collector.texts == ["hi", "hi"]


@async_test
async def test_malformed_json_gets_400():
    async with messenger() as h:
        for body in (b"{not json", b"[]", b""):
            assert (await h.send(body)).status == 400


@async_test
async def test_unconfigured_channel_loads_and_answers_503():
    async with messenger(token=None) as h:
        assert (await h.send(fb_payload())).status == 503
        assert (
            await get(h.url + "/webhook", {"hub.mode": "subscribe", "hub.verify_token": VERIFY})
        ).status == 503
        assert (await get(h.url + "/")).status == 200
        assert h.channel.get_output_channel() is None


def test_config_comes_from_credentials_then_environment(monkeypatch):
    for name in (
        "FACEBOOK_VERIFY_TOKEN",
        "FACEBOOK_APP_SECRET",
        "FACEBOOK_PAGE_ACCESS_TOKEN",
        "FACEBOOK_GRAPH_URL",
        "FACEBOOK_API_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)
    empty = MessengerInput.from_credentials(None)
    assert "FACEBOOK_APP_SECRET" in empty.problem

    monkeypatch.setenv("FACEBOOK_VERIFY_TOKEN", "v-env")
    monkeypatch.setenv("FACEBOOK_APP_SECRET", "s-env")
    monkeypatch.setenv("FACEBOOK_PAGE_ACCESS_TOKEN", "t-env")
    monkeypatch.setenv("FACEBOOK_GRAPH_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("FACEBOOK_API_VERSION", "v19.0")
    channel = MessengerInput.from_credentials({"verify": "v-file", "secret": ""})
    assert (channel.fb_verify, channel.fb_secret, channel.fb_access_token) == (
        "v-file",
        "s-env",
        "t-env",
    )
    assert channel.problem is None
    assert channel.client().graph_url == "http://127.0.0.1:9/v19.0"
    assert (
        MessengerInput("v", "s", "t").client().graph_url.startswith("https://graph.facebook.com/v")
    )


# --- receiving ----------------------------------------------------------------------


@async_test
async def test_text_message_reaches_rasa_and_the_reply_reaches_the_graph_api():
    async with messenger() as h:
        resp = await h.send(
            fb_payload(
                fb_event(
                    "PSID42",
                    message={"mid": "m_1", "text": "Where is my order 10456? আমার ফোন 01711000001"},
                )
            )
        )
        assert resp.status == 200
        await h.settle()

        [message] = h.collector.messages
        assert message.text == "Where is my order 10456? আমার ফোন 01711000001"
        assert message.sender_id == "fb:PSID42" and message.input_channel == "facebook"
        assert message.metadata["facebook"] == {
            "page_id": "PAGE1",
            "timestamp": message.metadata["facebook"]["timestamp"],
            "mid": "m_1",
            "kind": "text",
        }

        assert h.api.texts("PSID42") == ["echo: Where is my order 10456? আমার ফোন 01711000001"]
        assert h.api.actions("PSID42") == ["mark_seen", "typing_on", "typing_off"]
        call = h.api.calls[-2]  # the reply
        assert call.params["_version"] == "v19.0"
        assert call.query["access_token"] == TOKEN
        assert (
            call.query["appsecret_proof"]
            == hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
        )
        assert call.params["messaging_type"] == "RESPONSE"


@async_test
async def test_postbacks_and_quick_replies_pass_their_payload():
    async with messenger() as h:
        await h.send(
            fb_payload(
                fb_event(
                    "P1", postback={"title": "Track order", "payload": "/order_status", "mid": "m2"}
                ),
                fb_event(
                    "P1",
                    message={
                        "mid": "m3",
                        "text": "ফেরত",
                        "quick_reply": {"payload": "/return_request"},
                    },
                ),
            )
        )
        await h.settle()
        assert h.collector.texts == ["/order_status", "/return_request"]
        kinds = [m.metadata["facebook"]["kind"] for m in h.collector.messages]
        assert kinds == ["postback", "quick_reply"]


@async_test
async def test_typed_intents_are_read_as_text():
    async with messenger() as h:
        await h.send(
            fb_payload(
                fb_event("P2", message={"mid": "m", "text": '/inform{"order_number": "10457"}'})
            )
        )
        await h.settle()
        assert h.collector.texts == ['inform{"order_number": "10457"}']


@async_test
async def test_echoes_delivery_and_read_receipts_are_ignored():
    async with messenger() as h:
        resp = await h.send(
            fb_payload(
                fb_event(
                    "PAGE1",
                    message={"mid": "m9", "text": "our own reply", "is_echo": True, "app_id": 1},
                ),
                fb_event("P3", delivery={"mids": ["m9"], "watermark": 1}),
                fb_event("P3", read={"watermark": 1}),
                fb_event("P3", reaction={"reaction": "love", "action": "react", "mid": "m9"}),
            )
        )
        assert resp.status == 200
        await h.settle()
        assert h.collector.messages == [] and h.api.calls == []


@pytest.mark.parametrize(
    "attachment",
    [
        {"type": "image", "payload": {"url": "https://scontent.example/photo.jpg"}},
        {"type": "audio", "payload": {"url": "https://cdn.example/voice.mp4"}},
        {"type": "file", "payload": {"url": "https://cdn.example/invoice.pdf"}},
        {
            "type": "image",
            "payload": {"url": "https://cdn.example/like.png", "sticker_id": 369239263222822},
        },
        {"type": "location", "payload": {"coordinates": {"lat": 23.8, "long": 90.4}}},
    ],
)
def test_attachments_get_the_polite_text_only_reply(attachment):
    @async_test
    async def run():
        async with messenger() as h:
            message = {"mid": "m", "attachments": [attachment]}
            if "sticker_id" in attachment["payload"]:
                message["sticker_id"] = attachment["payload"]["sticker_id"]
            assert (await h.send(fb_payload(fb_event("P4", message=message)))).status == 200
            await h.settle()
            assert h.collector.messages == []  # the URL is not read as the customer's words
            assert h.api.texts("P4") == [TEXT_ONLY_REPLY]

    run()


@async_test
async def test_all_events_of_a_batch_are_handled_in_order():
    async def uneven_bot(message):
        await asyncio.sleep(0.3 if message.text == "one" else 0)
        await echo(message)

    async with messenger(reply=uneven_bot) as h:
        await h.send(
            fb_payload(
                *(
                    fb_event("P5", message={"mid": f"m{i}", "text": t})
                    for i, t in enumerate(["one", "two", "three"])
                ),
                fb_event("P6", message={"mid": "x", "text": "other customer"}),
            )
        )
        await h.settle()
        assert h.api.texts("P5") == ["echo: one", "echo: two", "echo: three"]
        assert h.api.texts("P6") == ["echo: other customer"]


@async_test
async def test_other_objects_are_acknowledged_and_ignored():
    async with messenger() as h:
        assert (await h.send({"object": "instagram", "entry": []})).status == 200
        assert (
            await h.send({"object": "page", "entry": [{"id": "1", "changes": []}]})
        ).status == 200
        await h.settle()
        assert h.collector.messages == []


# --- sending within Messenger's limits -----------------------------------------------


def _templates(messages):
    return [
        m["attachment"]["payload"]
        for m in messages
        if m.get("attachment", {}).get("type") == "template"
    ]


@async_test
async def test_up_to_three_buttons_make_a_button_template_with_short_titles():
    async with messenger() as h:
        out = h.channel.get_output_channel()
        await out.send_text_with_buttons(
            "fb:P7",
            "ফেরতের কারণ কী?",
            [
                {
                    "title": "সাইজ বা রং ভুল হয়েছে, বদলাতে চাই",
                    "payload": '/return_reason{"return_reason":"wrong_size_or_colour"}',
                },
                {"title": "Damaged", "payload": '/return_reason{"return_reason":"damaged"}'},
                {"title": "Our website", "url": "https://shop.example.com.bd"},
            ],
        )
        [template] = _templates(h.api.messages("P7"))
        assert template["template_type"] == "button" and template["text"] == "ফেরতের কারণ কী?"
        titles = [b["title"] for b in template["buttons"]]
        assert all(len(t) <= MAX_TITLE_LENGTH for t in titles)
        assert titles[0].startswith("সাইজ বা রং") and titles[0].endswith("…")
        assert template["buttons"][0]["type"] == "postback"
        assert template["buttons"][0]["payload"].endswith('wrong_size_or_colour"}')
        assert template["buttons"][2] == {
            "type": "web_url",
            "title": "Our website",
            "url": "https://shop.example.com.bd",
        }


@async_test
async def test_four_to_thirteen_buttons_become_quick_replies():
    async with messenger() as h:
        buttons = [{"title": f"অপশন {i}", "payload": f'/choose{{"n":{i}}}'} for i in range(13)]
        await h.channel.get_output_channel().send_text_with_buttons("fb:P8", "Choose one", buttons)
        [message] = h.api.messages("P8")
        assert message["text"] == "Choose one"
        assert len(message["quick_replies"]) == MAX_QUICK_REPLIES == 13
        assert message["quick_replies"][12] == {
            "content_type": "text",
            "title": "অপশন 12",
            "payload": '/choose{"n":12}',
        }


@async_test
async def test_more_than_thirteen_choices_are_split_into_button_templates():
    async with messenger() as h:
        choices = [{"title": f"Size {i}", "payload": f"/size{i}"} for i in range(15)]
        out = h.channel.get_output_channel()
        await out.send_quick_replies("fb:P9", "Which size?", choices)
        templates = _templates(h.api.messages("P9"))
        assert len(templates) == 5 and all(len(t["buttons"]) <= 3 for t in templates)
        assert templates[0]["text"] == "Which size?"
        assert all(t["text"] == MORE_OPTIONS_TEXT for t in templates[1:])
        assert [b["payload"] for t in templates for b in t["buttons"]] == [
            f"/size{i}" for i in range(15)
        ]


@async_test
async def test_long_texts_are_split_within_2000_and_template_text_within_640():
    sentence = "আপনার রিফান্ড প্রক্রিয়াধীন আছে এবং সাত দিনের মধ্যে বিকাশে পৌঁছাবে। "
    long_text = (sentence * 80).strip()
    async with messenger() as h:
        out = h.channel.get_output_channel()
        await out.send_text_message("fb:P10", long_text)
        parts = h.api.texts("P10")
        assert len(parts) >= 3 and all(len(p) <= MAX_TEXT_LENGTH for p in parts)
        assert " ".join(parts) == long_text and all(p.endswith("।") for p in parts)

        await out.send_text_with_buttons(
            "fb:P11", long_text, [{"title": "OK", "payload": "/affirm"}]
        )
        messages = h.api.messages("P11")
        template = _templates(messages)[-1]
        assert len(template["text"]) <= MAX_TEMPLATE_TEXT_LENGTH
        assert all(len(m.get("text", "")) <= MAX_TEXT_LENGTH for m in messages)
        assert " ".join(h.api.texts("P11")) == long_text


@async_test
async def test_blank_lines_make_separate_bubbles_like_every_rasa_channel():
    async with messenger() as h:
        await h.channel.get_output_channel().send_text_message("fb:P12", "প্রথম।\n\nSecond.\n\n\n")
        assert h.api.texts("P12") == ["প্রথম।", "Second."]


@async_test
async def test_push_through_get_output_channel_reaches_any_customer():
    async with messenger() as h:
        out = h.channel.get_output_channel()
        assert isinstance(out, SebaMessengerBot) and out.name() == "facebook"
        await out.send_response(
            "fb:P13",
            {
                "text": "আমি রিনা, সাপোর্ট টিম থেকে। Your refund is approved.",
                "image": "https://img.example/receipt.png",
            },
        )
        messages = h.api.messages("P13")
        assert messages[0] == {"text": "আমি রিনা, সাপোর্ট টিম থেকে। Your refund is approved."}
        assert messages[1]["attachment"] == {
            "type": "image",
            "payload": {"url": "https://img.example/receipt.png"},
        }


@async_test
async def test_failed_push_raises_but_failed_webhook_reply_is_only_logged():
    async with messenger() as h:
        h.api.fail("me/messages", 400, "(#551) This person isn't available right now.", code=551)
        with pytest.raises(ChannelDeliveryError):
            await h.channel.get_output_channel().send_text_message("fb:P14", "hello")

        h.api.fail("me/messages", 400, "(#10) outside of allowed window", times=5)
        await h.send(fb_payload(fb_event("P14", message={"mid": "m", "text": "hi"})))
        await h.settle()
        assert h.collector.texts == ["hi"]


@async_test
async def test_rasa_messages_with_every_key_are_sent_as_rasa_sends_them():
    """Rasa passes the whole bot message (buttons=None, quick_replies=…) to send_response."""
    from rasa.shared.core.events import BotUttered

    async with messenger() as h:
        out = h.channel.get_output_channel()
        with_quick_replies = BotUttered(
            "Did that help?",
            data={
                "quick_replies": [
                    {"title": "Yes", "payload": "/affirm"},
                    {"title": "No", "payload": "/deny"},
                ],
                "buttons": None,
            },
            metadata={"utter_action": "utter_ask_helpful"},
        )
        with_buttons = BotUttered(
            "Choose", data={"buttons": [{"title": "A", "payload": "/a"}], "quick_replies": None}
        )
        for event in (with_quick_replies, with_buttons):
            await out.send_response("fb:P20", event.message())
        first, second = h.api.messages("P20")
        assert [q["payload"] for q in first["quick_replies"]] == ["/affirm", "/deny"]
        assert _templates([second])[0]["buttons"] == [
            {"type": "postback", "title": "A", "payload": "/a"}
        ]


@async_test
async def test_a_push_to_another_channels_conversation_is_refused():
    async with messenger() as h:
        out = h.channel.get_output_channel()
        for stranger in ("tg:P30", "web:P30", "P30", "fb:"):
            with pytest.raises(ChannelDeliveryError):
                await out.send_text_message(stranger, "your order PTH123456")
        assert h.api.messages("P30") == []


@async_test
async def test_a_custom_payload_cannot_pick_another_recipient():
    """Rasa's own connector lets a custom payload's "sender" redirect the message."""
    async with messenger() as h:
        out = h.channel.get_output_channel()
        await out.send_custom_json("fb:P31", {"sender": {"id": "P32"}, "text": "only for P31"})
        assert h.api.messages("P32") == []
        assert [m.get("text") for m in h.api.messages("P31")] == ["only for P31"]

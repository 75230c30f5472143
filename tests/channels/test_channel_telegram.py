"""Telegram connector over real HTTP: webhook in a Sanic server, fake Bot API on the far side."""

import asyncio
import logging
from contextlib import asynccontextmanager

import pytest

from channels import TEXT_ONLY_REPLY, ChannelDeliveryError, utf16_len
from channels.telegram import (
    MAX_CALLBACK_DATA,
    SECRET_HEADER,
    START_TEXT,
    TelegramConfig,
    TelegramInput,
    TelegramOutput,
)
from tests.channels.fakes import FakeTelegram
from tests.channels.helpers import (
    Collector,
    async_test,
    echo,
    get,
    post,
    serve_channel,
    tg_callback,
    tg_message,
    tg_update,
    wait_until,
)

SECRET = "test_secret-123"
OK = {SECRET_HEADER: SECRET}


class Harness:
    def __init__(self, api, channel, collector, url):
        self.api, self.channel, self.collector, self.url = api, channel, collector, url

    async def send(self, update, headers=OK):
        return await post(self.url + "/webhook", update, headers)

    async def settle(self):
        assert await self.channel.intake.join(20), "message handling did not finish"


@asynccontextmanager
async def telegram(reply=echo, **config):
    async with FakeTelegram() as api:
        settings = dict(token=api.token, webhook_secret=SECRET, api_base_url=api.url)
        settings.update(config)
        channel = TelegramInput(TelegramConfig(**settings))
        collector = Collector(reply)
        async with serve_channel(channel, collector) as url:
            yield Harness(api, channel, collector, url)


# --- receiving ----------------------------------------------------------------------


@async_test
async def test_text_message_reaches_rasa_and_the_reply_reaches_telegram():
    async with telegram() as h:
        resp = await h.send(tg_update(message=tg_message(4242, "আমার অর্ডার ১০৪৫৬ কোথায়?")))
        assert resp.status == 200
        await h.settle()

        [message] = h.collector.messages
        assert message.text == "আমার অর্ডার ১০৪৫৬ কোথায়?"
        assert message.sender_id == "tg:4242" and message.input_channel == "telegram"
        meta = message.metadata["telegram"]
        assert meta["language_code"] == "bn" and meta["username"] == "rahim"
        assert meta["chat_type"] == "private" and meta["kind"] == "message"

        assert h.api.texts(4242) == ["echo: আমার অর্ডার ১০৪৫৬ কোথায়?"]
        methods = [c.method for c in h.api.calls if c.method != "getMe"]
        assert methods[:2] == ["sendChatAction", "sendMessage"]  # typing… before the reply
        assert h.api.of("sendChatAction")[0].params["action"] == "typing"
        assert not h.api.of("setWebhook")  # never touched by messages


@async_test
async def test_webhook_answers_before_rasa_is_done():
    release = asyncio.Event()

    async def slow_bot(message):
        await release.wait()

    async with telegram(reply=slow_bot) as h:
        resp = await asyncio.wait_for(h.send(tg_update(message=tg_message(1, "hi"))), 5)
        assert resp.status == 200  # while the bot is still busy
        await wait_until(lambda: h.collector.texts == ["hi"])
        release.set()
        await h.settle()


@pytest.mark.parametrize(
    "headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}, {SECRET_HEADER: SECRET + "x"}]
)
def test_missing_or_wrong_secret_is_refused_and_logged(headers, caplog):
    @async_test
    async def run():
        async with telegram() as h:
            with caplog.at_level(logging.WARNING, logger="channels.telegram"):
                resp = await h.send(tg_update(message=tg_message(5, "hello")), headers)
            assert resp.status == 403
            await h.settle()
            assert h.collector.messages == []
            assert not h.api.of("sendMessage")
        assert any("refused" in r.getMessage() for r in caplog.records)

    run()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[1, 2]",
        b'"text"',
        b"{}",
        b'{"update_id": 1, "message": {"text": "no chat"}}',
        b'{"update_id": 1, "message": "oops"}',
    ],
)
def test_malformed_updates_get_400_never_500(body):
    @async_test
    async def run():
        async with telegram() as h:
            resp = await h.send(body)
            assert resp.status == 400
            assert h.collector.messages == []

    run()


@async_test
async def test_secret_is_checked_before_the_body_is_parsed():
    async with telegram() as h:
        assert (await h.send(b"{not json", {})).status == 403


@async_test
async def test_unconfigured_channel_loads_and_answers_503():
    for config in ({"token": None}, {"webhook_secret": None}):
        async with telegram(**config) as h:
            assert (await h.send(tg_update(message=tg_message(1, "hi")))).status == 503
            health = await get(h.url + "/")
            assert health.status == 200
            assert h.collector.messages == []


def test_config_comes_from_credentials_then_environment(monkeypatch):
    for name in (
        "TELEGRAM_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "TELEGRAM_BOT_NAME",
        "TELEGRAM_API_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    empty = TelegramInput.from_credentials(None)
    assert empty.config.problem and empty.get_output_channel() is None

    monkeypatch.setenv("TELEGRAM_TOKEN", "1:env")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "envsecret")
    monkeypatch.setenv("TELEGRAM_BOT_NAME", "@EnvBot")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/")
    from_env = TelegramInput.from_credentials({"token": ""})  # empty -> environment
    assert from_env.config.token == "1:env" and from_env.config.webhook_secret == "envsecret"
    assert from_env.config.bot_name == "EnvBot"
    assert from_env.config.api_base_url == "http://127.0.0.1:9"
    assert from_env.config.problem is None

    from_file = TelegramInput.from_credentials({"token": "2:file", "webhook_secret": "f"})
    assert from_file.config.token == "2:file" and from_file.config.webhook_secret == "f"
    assert TelegramConfig().api_base_url == "https://api.telegram.org"


@async_test
async def test_duplicate_delivery_is_answered_once():
    async with telegram() as h:
        update = tg_update(message=tg_message(8, "one"))
        assert (await h.send(update)).status == 200
        assert (await h.send(update)).status == 200
        await h.settle()
        assert h.collector.texts == ["one"]


@async_test
async def test_messages_of_one_chat_are_handled_in_order():
    async def uneven_bot(message):
        await asyncio.sleep(0.3 if message.text == "first" else 0)
        await echo(message)

    async with telegram(reply=uneven_bot) as h:
        for text in ("first", "second", "third"):
            await h.send(tg_update(message=tg_message(11, text)))
        await h.settle()
        assert h.api.texts(11) == ["echo: first", "echo: second", "echo: third"]


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "u",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {
            "photo": [{"file_id": "p", "file_unique_id": "u", "width": 90, "height": 90}],
            "caption": "ভাঙা এসেছে",
        },
        {"voice": {"file_id": "v", "file_unique_id": "u", "duration": 3}},
        {"document": {"file_id": "d", "file_unique_id": "u", "file_name": "invoice.pdf"}},
        {"location": {"latitude": 23.81, "longitude": 90.41}},
        {"contact": {"phone_number": "+8801711000001", "first_name": "R"}},
    ],
)
def test_non_text_messages_get_a_polite_text_only_reply(content):
    @async_test
    async def run():
        async with telegram() as h:
            resp = await h.send(tg_update(message=tg_message(77, **content)))
            assert resp.status == 200
            await h.settle()
            assert h.collector.messages == []
            assert h.api.texts(77) == [TEXT_ONLY_REPLY]
            assert "শুধু লেখা" in TEXT_ONLY_REPLY and "only read text" in TEXT_ONLY_REPLY

    run()


@async_test
async def test_other_update_kinds_and_group_chats_are_ignored():
    async with telegram() as h:
        blocked = tg_update(
            my_chat_member={
                "chat": {"id": 9, "type": "private"},
                "from": {"id": 9, "is_bot": False, "first_name": "R"},
                "date": 1,
                "old_chat_member": {
                    "status": "member",
                    "user": {"id": 1, "is_bot": True, "first_name": "S"},
                },
                "new_chat_member": {
                    "status": "kicked",
                    "until_date": 0,
                    "user": {"id": 1, "is_bot": True, "first_name": "S"},
                },
            }
        )
        group = tg_update(message=tg_message(-100123, "order 10456 please", chat_type="group"))
        for update in (
            blocked,
            group,
            tg_update(
                poll={
                    "id": "p",
                    "question": "q",
                    "options": [],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                }
            ),
        ):
            assert (await h.send(update)).status == 200
        await h.settle()
        assert h.collector.messages == [] and not h.api.of("sendMessage")


@async_test
async def test_commands_and_typed_intents_go_through_nlu_as_text():
    async with telegram() as h:
        for text in ("/start", "/start@SebaShopBot promo", "/help", '/inform{"phone": "0171"}'):
            await h.send(tg_update(message=tg_message(3, text)))
        await h.settle()
        assert h.collector.texts == [START_TEXT, START_TEXT, "help", 'inform{"phone": "0171"}']


@async_test
async def test_edit_of_the_latest_message_is_answered_older_edits_are_ignored():
    async with telegram() as h:
        first = tg_message(21, "order 10465", message_id=501)
        second = tg_message(21, "01711000001", message_id=502)
        await h.send(tg_update(message=first))
        await h.send(tg_update(message=second))
        await h.send(tg_update(edited_message={**first, "text": "order 10456", "edit_date": 2}))
        await h.send(tg_update(edited_message={**second, "text": "01711000002", "edit_date": 3}))
        await h.settle()
        assert h.collector.texts == ["order 10465", "01711000001", "01711000002"]
        assert h.collector.messages[-1].metadata["telegram"]["kind"] == "edited_message"


# --- buttons -----------------------------------------------------------------------


@async_test
async def test_button_press_answers_the_callback_and_passes_the_payload():
    async with telegram() as h:
        keyboard = [[{"text": "অর্ডার ট্র্যাক", "callback_data": "/order_status"}]]
        resp = await h.send(tg_callback(31, "/order_status", keyboard))
        assert resp.status == 200
        await h.settle()
        assert h.collector.texts == ["/order_status"]  # a payload may carry an intent
        assert h.collector.messages[0].sender_id == "tg:31"
        [answer] = h.api.of("answerCallbackQuery")
        assert answer.params["callback_query_id"]
        assert h.collector.messages[0].metadata["telegram"]["kind"] == "callback_query"


@async_test
async def test_long_payloads_are_mapped_to_short_callback_data_and_back():
    long_payload = '/return_reason{"return_reason": "wrong_size_or_colour", "note": "সাইজ ছোট"}'
    assert len(long_payload.encode()) > MAX_CALLBACK_DATA
    async with telegram() as h:
        out = h.channel.get_output_channel()
        await out.send_text_with_buttons(
            "tg:32",
            "কেন ফেরত দিতে চান?",
            [
                {"title": "সাইজ/রং ভুল", "payload": long_payload},
                {"title": "Damaged", "payload": '/return_reason{"return_reason": "damaged"}'},
                {"title": "Website", "url": "https://shop.example.com.bd"},
            ],
        )
        [sent] = h.api.sent(32)
        rows = sent["reply_markup"]["inline_keyboard"]
        buttons = [b for row in rows for b in row]
        assert [b["text"] for b in buttons] == ["সাইজ/রং ভুল", "Damaged", "Website"]
        assert buttons[2]["url"] == "https://shop.example.com.bd"
        data = [b["callback_data"] for b in buttons[:2]]
        assert all(len(d.encode()) <= MAX_CALLBACK_DATA for d in data)
        assert data[1] == '/return_reason{"return_reason": "damaged"}'  # short: unchanged

        await h.send(tg_callback(32, data[0], rows))
        await h.settle()
        assert h.collector.texts == [long_payload]


@async_test
async def test_forgotten_short_id_falls_back_to_the_button_title():
    async with telegram() as h:
        keyboard = [[{"text": "Track my order", "callback_data": "seba:0123456789abcdef01234567"}]]
        await h.send(tg_callback(33, "seba:0123456789abcdef01234567", keyboard))
        await h.settle()
        assert h.collector.texts == ["Track my order"]


@async_test
async def test_callback_data_not_on_the_pressed_message_is_ignored():
    async with telegram() as h:
        keyboard = [[{"text": "Yes", "callback_data": "/affirm"}]]
        await h.send(tg_callback(34, '/inform{"order_number": "10457"}', keyboard))
        await h.settle()
        assert h.collector.messages == []


@async_test
async def test_short_choices_share_a_row_long_ones_get_a_row_each():
    async with telegram() as h:
        out = h.channel.get_output_channel()
        await out.send_text_with_buttons(
            "tg:35",
            "ঠিক আছে?",
            [{"title": "হ্যাঁ", "payload": "/affirm"}, {"title": "না", "payload": "/deny"}],
        )
        await out.send_quick_replies(
            "tg:35",
            "Which one?",
            [
                {"title": "Where is my order?", "payload": "/order_status"},
                {"title": "Return an item", "payload": "/return_request"},
            ],
        )
        first, second = h.api.sent(35)
        assert len(first["reply_markup"]["inline_keyboard"]) == 1
        assert len(second["reply_markup"]["inline_keyboard"]) == 2


# --- sending -------------------------------------------------------------------------


@async_test
async def test_long_replies_are_split_within_4096_at_sentence_ends():
    sentence = "আপনার অর্ডারটি আজ পাঠানো হয়েছে এবং দুই দিনের মধ্যে পৌঁছাবে। "
    long_paragraph = (sentence * 200).strip()
    emoji_paragraph = "📦" * 3000  # 2 UTF-16 units each
    async with telegram() as h:
        out = h.channel.get_output_channel()
        await out.send_text_message(
            "tg:36", f"প্রথম অনুচ্ছেদ।\n\n{long_paragraph}\n\n{emoji_paragraph}"
        )
        texts = h.api.texts(36)
        assert texts[0] == "প্রথম অনুচ্ছেদ।"
        assert all(utf16_len(t) <= 4096 for t in texts)
        body = [t for t in texts[1:] if "📦" not in t]
        assert len(body) >= 3
        assert all(t.endswith("।") for t in body)  # cut at sentence ends
        assert " ".join(body) == long_paragraph  # nothing lost
        assert "".join(t for t in texts if "📦" in t) == emoji_paragraph


@async_test
async def test_push_through_get_output_channel_reaches_any_chat():
    """What Rasa does for output_channel=latest: no request in flight, no webhook reset."""
    async with telegram() as h:
        out = h.channel.get_output_channel()
        assert isinstance(out, TelegramOutput) and out.name() == "telegram"
        await out.send_response(
            "tg:555", {"text": "আমি রিনা, সাপোর্ট টিম থেকে। Your refund is approved."}
        )
        await out.send_response(
            "tg:556", {"text": "Hello again", "image": "https://img.example/p.png"}
        )
        await h.channel.get_output_channel().send_text_message("tg:555", "দ্বিতীয় বার্তা")
        assert h.api.texts(555) == [
            "আমি রিনা, সাপোর্ট টিম থেকে। Your refund is approved.",
            "দ্বিতীয় বার্তা",
        ]
        assert h.api.texts(556) == ["Hello again"]
        assert h.api.sent(556, "sendPhoto")[0]["photo"] == "https://img.example/p.png"
        assert len(h.api.of("getMe")) == 1  # one bot per process, reused
        assert not h.api.of("setWebhook")


def test_output_channel_is_made_without_an_event_loop_and_survives_a_new_loop():
    api = FakeTelegram().start_in_thread()
    try:
        channel = TelegramInput(
            TelegramConfig(token=api.token, webhook_secret=SECRET, api_base_url=api.url)
        )
        out = channel.get_output_channel()  # plain sync call: no loop, no network
        assert api.calls == []
        asyncio.run(asyncio.wait_for(out.send_text_message("tg:1", "first loop"), 30))
        # Another loop (Rasa restarted in-process, another test) gets a fresh bot.
        asyncio.run(asyncio.wait_for(out.send_text_message("tg:1", "second loop"), 30))
        assert api.texts(1) == ["first loop", "second loop"]
    finally:
        api.stop_thread()


@async_test
async def test_failed_push_raises_but_failed_webhook_reply_is_only_logged():
    async with telegram() as h:
        h.api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
        with pytest.raises(ChannelDeliveryError):
            await h.channel.get_output_channel().send_text_message("tg:41", "hello")

        h.api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
        await h.send(tg_update(message=tg_message(41, "hi")))
        await h.settle()
        assert h.collector.texts == ["hi"]  # handled, nothing crashed


@async_test
async def test_flood_control_waits_and_retries_once():
    async with telegram() as h:
        h.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await h.channel.get_output_channel().send_text_message("tg:42", "আবার চেষ্টা")
        assert h.api.texts(42) == ["আবার চেষ্টা", "আবার চেষ্টা"]  # refused, then delivered
        assert len(h.api.of("sendMessage")) == 2


@async_test
async def test_unreachable_image_falls_back_to_its_link():
    async with telegram() as h:
        h.api.fail("sendPhoto", 400, "Bad Request: wrong file identifier/HTTP URL specified")
        await h.channel.get_output_channel().send_image_url("tg:43", "https://img.example/x.png")
        assert h.api.texts(43) == ["https://img.example/x.png"]


@async_test
async def test_a_message_the_library_cannot_read_gets_the_polite_reply():
    """A newer Bot API content type PTB 22.8 cannot parse: no 400 (Telegram would retry)."""
    async with telegram() as h:
        odd = tg_message(79, poll={"id": "p", "question": "?", "options": []})  # incomplete
        resp = await h.send(tg_update(message=odd))
        assert resp.status == 200
        await h.settle()
        assert h.api.texts(79) == [TEXT_ONLY_REPLY] and h.collector.messages == []


@async_test
async def test_rasa_messages_with_every_key_are_sent_as_rasa_sends_them():
    """Rasa passes the whole bot message (buttons=None, quick_replies=…) to send_response."""
    from rasa.shared.core.events import BotUttered

    async with telegram() as h:
        out = h.channel.get_output_channel()
        with_quick_replies = BotUttered(
            "সাহায্য হয়েছে?",
            data={
                "quick_replies": [
                    {"title": "হ্যাঁ", "payload": "/affirm"},
                    {"title": "না", "payload": "/deny"},
                ],
                "buttons": None,
            },
            metadata={"utter_action": "utter_ask_helpful"},
        )
        with_buttons = BotUttered(
            "Choose", data={"buttons": [{"title": "A", "payload": "/a"}], "quick_replies": None}
        )
        for event in (with_quick_replies, with_buttons):
            await out.send_response("tg:61", event.message())
        first, second = h.api.sent(61)
        assert first["text"] == "সাহায্য হয়েছে?"
        assert [b["callback_data"] for b in first["reply_markup"]["inline_keyboard"][0]] == [
            "/affirm",
            "/deny",
        ]
        assert second["reply_markup"]["inline_keyboard"] == [[{"text": "A", "callback_data": "/a"}]]


@async_test
async def test_a_push_to_another_channels_conversation_is_refused():
    """A reply can reach a Telegram chat only through a ``tg:`` conversation: a web chat's,
    a Messenger customer's or a bare id is never turned into a chat id."""
    async with telegram() as h:
        out = h.channel.get_output_channel()
        for stranger in ("web:4242", "fb:4242", "rest:4242", "4242", "tg:", ""):
            with pytest.raises(ChannelDeliveryError):
                await out.send_text_message(stranger, "your order PTH123456")
        assert h.api.texts(4242) == [] and not h.api.of("sendMessage")

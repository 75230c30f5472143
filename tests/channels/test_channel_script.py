"""scripts/telegram_set_webhook.py against the fake Bot API (a real subprocess)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.channels.fakes import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "telegram_set_webhook.py"
CREDENTIALS = Path(__file__).with_name("credentials.test.yml")


@pytest.fixture
def bot_api():
    api = FakeTelegram().start_in_thread()
    yield api
    api.stop_thread()


def run_script(api, *args, secret="A_good-secret_123", credentials=""):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(TELEGRAM_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.url)
    if secret is not None:
        env["TELEGRAM_WEBHOOK_SECRET"] = secret
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--credentials", credentials, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_sets_the_webhook_with_the_secret_and_the_handled_updates(bot_api):
    done = run_script(
        bot_api,
        "https://shop.example.com.bd",
        "--drop-pending-updates",
        credentials=str(CREDENTIALS),
    )
    assert done.returncode == 0, done.stderr
    [call] = bot_api.of("setWebhook")
    assert call.params["url"] == "https://shop.example.com.bd/webhooks/telegram/webhook"
    assert call.params["secret_token"] == "A_good-secret_123"
    assert call.params["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert call.params["drop_pending_updates"] in (True, "true", "True")
    assert "@SebaShopBot" in done.stdout and "webhooks/telegram/webhook" in done.stdout
    assert bot_api.token not in done.stdout + done.stderr  # never prints the token


def test_info_and_delete(bot_api):
    assert run_script(bot_api, "--info").returncode == 0
    assert run_script(bot_api, "--delete").returncode == 0
    assert bot_api.of("deleteWebhook") and not bot_api.of("setWebhook")


@pytest.mark.parametrize("secret", [None, "has spaces", "x" * 257])
def test_refuses_to_set_a_webhook_without_a_valid_secret(bot_api, secret):
    done = run_script(bot_api, "https://shop.example.com.bd", secret=secret)
    assert done.returncode == 2 and "TELEGRAM_WEBHOOK_SECRET" in done.stderr
    assert not bot_api.of("setWebhook")


def test_refuses_plain_http(bot_api):
    done = run_script(bot_api, "http://shop.example.com.bd")
    assert done.returncode != 0 and "https" in done.stderr
    assert not bot_api.of("setWebhook")


def test_a_wrong_token_is_reported(bot_api):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(TELEGRAM_TOKEN="999:wrong", TELEGRAM_API_BASE_URL=bot_api.url)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--credentials", "", "--info"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 1 and "refused" in done.stderr

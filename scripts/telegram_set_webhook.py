#!/usr/bin/env python
"""Register (or show, or remove) Seba's Telegram webhook — a one-off command, run by the
shop owner; the running server never changes the webhook by itself.

    .venv/bin/python scripts/telegram_set_webhook.py https://shop.example.com.bd
    .venv/bin/python scripts/telegram_set_webhook.py --info
    .venv/bin/python scripts/telegram_set_webhook.py --delete

A bare https://host gets Seba's path (/webhooks/telegram/webhook) appended. The token and
webhook secret are read like the server reads them: the ``channels.telegram.TelegramInput``
block of credentials.yml, else TELEGRAM_TOKEN / TELEGRAM_WEBHOOK_SECRET (and
TELEGRAM_API_BASE_URL) from the environment. Telegram then sends the secret in the
X-Telegram-Bot-Api-Secret-Token header of every update, and the server refuses calls
without it.
"""

import argparse
import asyncio
import re
import sys
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram.error import InvalidToken, TelegramError  # noqa: E402

from channels.telegram import ALLOWED_UPDATES, TelegramConfig  # noqa: E402

CHANNEL_KEY = "channels.telegram.TelegramInput"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def read_credentials(path: Optional[str]) -> Optional[Dict[str, Any]]:
    if not path:
        return None
    file = Path(path)
    if not file.exists():
        raise SystemExit(f"Credentials file not found: {file}")
    from rasa.shared.utils.io import read_config_file  # same reader (and ${ENV}) as Rasa

    return (read_config_file(file) or {}).get(CHANNEL_KEY)


def webhook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise SystemExit(f"Telegram only calls https:// URLs; got {url!r}.")
    if parts.path in ("", "/"):
        return url.rstrip("/") + WEBHOOK_PATH
    return url


def describe(info: Any) -> str:
    lines = [
        f"  url:              {info.url or '(none)'}",
        f"  pending updates:  {info.pending_update_count}",
    ]
    if info.allowed_updates:
        lines.append(f"  allowed updates:  {', '.join(info.allowed_updates)}")
    if info.last_error_message:
        lines.append(f"  last error:       {info.last_error_message} ({info.last_error_date})")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> int:
    config = TelegramConfig.from_credentials(read_credentials(args.credentials))
    if not config.token:
        print("No bot token: set TELEGRAM_TOKEN (from @BotFather).", file=sys.stderr)
        return 2
    async with config.make_bot() as bot:  # initialize() = getMe: checks the token
        print(f"Bot: @{bot.username}")
        if args.delete:
            await bot.delete_webhook(drop_pending_updates=args.drop_pending_updates)
            print("Webhook removed.")
        elif args.url:
            secret = config.webhook_secret
            if not secret or not SECRET_PATTERN.match(secret):
                print(
                    "TELEGRAM_WEBHOOK_SECRET must be set to 1-256 characters of "
                    "A-Z a-z 0-9 _ - (e.g. `openssl rand -hex 32`), and the server must "
                    "run with the same value.",
                    file=sys.stderr,
                )
                return 2
            url = webhook_url(args.url)
            await bot.set_webhook(
                url=url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=args.drop_pending_updates,
                max_connections=args.max_connections,
            )
            print(f"Webhook set: {url}")
        print("Telegram says:")
        print(describe(await bot.get_webhook_info()))
    return 0


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "url", nargs="?", help="public https URL of the Seba server (or the full webhook URL)"
    )
    parser.add_argument("--info", action="store_true", help="only show the current webhook")
    parser.add_argument("--delete", action="store_true", help="remove the webhook")
    parser.add_argument(
        "--drop-pending-updates",
        action="store_true",
        help="discard updates Telegram queued while no webhook answered",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=10,
        help="parallel webhook connections Telegram may open (default 10)",
    )
    parser.add_argument(
        "--credentials",
        default=str(ROOT / "credentials.yml"),
        help="credentials file to read (default: credentials.yml); '' for env only",
    )
    args = parser.parse_args(argv)
    if not (args.url or args.info or args.delete):
        parser.error("give the server's https URL, or --info, or --delete")
    if args.url and args.delete:
        parser.error("give either a URL or --delete")
    try:
        return asyncio.run(run(args))
    except InvalidToken:
        print(
            "Telegram refused: the bot token was rejected (check TELEGRAM_TOKEN).", file=sys.stderr
        )
        return 1
    except TelegramError as error:
        print(f"Telegram refused: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

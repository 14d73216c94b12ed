"""Sending to Telegram with the retries a real network needs: flood waits honoured, network blips retried.

Parse mode (HTML) and link previews (off) come from the application's `Defaults` (app.py), not from each call.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.telegram.splitting import split_html

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 4
MAX_FLOOD_WAIT = 60.0


async def with_retries(call: Callable[[], Awaitable[T]], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Retry on RetryAfter (waiting what Telegram asks) and on network errors (backing off); re-raise the rest."""
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else exc.retry_after
            if attempt == attempts or wait > MAX_FLOOD_WAIT:
                raise
            log.warning("flood limit: waiting %.1f s as Telegram asks", wait)
            await asyncio.sleep(float(wait))
        except BadRequest:
            raise  # a final answer, although python-telegram-bot derives it from NetworkError
        except (TimedOut, NetworkError) as exc:
            if attempt == attempts:
                raise
            log.warning("network error talking to Telegram (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


async def send_html(bot: Bot, chat_id: int, html: str, keyboard: InlineKeyboardMarkup | None = None) -> Message:
    """Send `html` in as many messages as Telegram's limit needs; the keyboard goes under the last one."""
    parts = split_html(html)
    message: Message | None = None
    for index, part in enumerate(parts):
        markup = keyboard if index == len(parts) - 1 else None
        message = await with_retries(partial(bot.send_message, chat_id, part, reply_markup=markup))
    assert message is not None
    return message


async def show_typing(bot: Bot, chat_id: int) -> None:
    """Cosmetic: a failure here must never stop the answer."""
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:
        log.info("typing action failed (ignored): %s", exc)

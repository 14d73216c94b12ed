"""Sending to Telegram with the retries a real network needs, and never twice.

Flood waits are honoured and requests that certainly did not reach Telegram (connection refused, Telegram's
429/500/502/503) are tried again. A request whose answer was lost after it went out (a read timeout, a dropped
connection) may well have been carried out: the Bot API has no idempotency key, so sending it again could show the
user the same message twice. Such a send is presumed delivered and not repeated, as the broadcast engine does
(bot/reminders/delivery.py, whose `certainly_not_sent` decides). Edits are safe to repeat and say so.

Parse mode (HTML) and link previews (off) come from the application's `Defaults` (app.py), not from each call.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.reminders.delivery import certainly_not_sent, retry_seconds
from bot.telegram.splitting import split_html

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 4
MAX_FLOOD_WAIT = 60.0
#: How long to wait for Telegram's answer to a reply (python-telegram-bot's default read timeout).
REPLY_READ_TIMEOUT = 5.0
#: A reply not ready after this long gets Telegram's "typing..." (answers take a millisecond or two).
TYPING_AFTER_SECONDS = 1.0
TYPING_REPEAT_SECONDS = 4.5
TYPING_STOP_WAIT_SECONDS = 1.0


class MaybeDelivered(NetworkError):
    """The request went out but its answer was lost: Telegram may have carried it out, so it is not repeated."""


async def with_retries(
    call: Callable[[], Awaitable[T]], *, attempts: int = MAX_ATTEMPTS, idempotent: bool = False
) -> T:
    """Retry on RetryAfter (waiting what Telegram asks) and on network errors that certainly did not reach
    Telegram (backing off); with `idempotent`, on any network error. An unknowable outcome of a call that is not
    idempotent raises MaybeDelivered; everything else is re-raised."""
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            if attempt == attempts or wait > MAX_FLOOD_WAIT:
                raise
            log.warning("flood limit: waiting %.1f s as Telegram asks", wait)
            await asyncio.sleep(wait)
        except BadRequest:
            raise  # a final answer, although python-telegram-bot derives it from NetworkError
        except (TimedOut, NetworkError) as exc:
            if not idempotent and not certainly_not_sent(exc):
                raise MaybeDelivered(str(exc)) from exc
            if attempt == attempts:
                raise
            log.warning("network error talking to Telegram (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


async def send_html(
    bot: Bot, chat_id: int, html: str, keyboard: InlineKeyboardMarkup | None = None, *, reply_to: int | None = None
) -> Message | None:
    """Send `html` in as many messages as Telegram's limit needs; the keyboard goes under the last one. With
    `reply_to`, the first part replies to that message (in groups: whose question this answers).

    Returns the last message, or None when Telegram's answer to it was lost (it was presumably delivered).
    """
    parts = split_html(html)
    message: Message | None = None
    for index, part in enumerate(parts):
        markup = keyboard if index == len(parts) - 1 else None
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to and index == 0 else None
        send = partial(
            bot.send_message,
            chat_id,
            part,
            reply_markup=markup,
            reply_parameters=quote,
            read_timeout=REPLY_READ_TIMEOUT,
        )
        try:
            message = await with_retries(send)
        except MaybeDelivered as exc:
            log.warning("Telegram's answer to a message was lost (%s); presumed delivered, not sent again", exc)
            message = None
    return message


class TypingWhileSlow:
    """Telegram's "typing..." for a reply that takes long, and only for one: an answer ready in a millisecond would
    gain nothing from it but an extra request, and the user would see the status flash.

        async with TypingWhileSlow(bot, chat_id):
            ...work out the reply...
        ...send it...

    The status is sent once the block has run `after` seconds, and again every TYPING_REPEAT_SECONDS while it
    still runs (Telegram shows it for about 5 s); leaving the block stops it, and waits briefly for a status already
    on its way, so that it cannot reach Telegram after the reply and show "typing..." under it.
    """

    def __init__(self, bot: Bot, chat_id: int, after: float | None = None) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.after = TYPING_AFTER_SECONDS if after is None else after
        self._timer: asyncio.TimerHandle | None = None
        self._sending: asyncio.Task[None] | None = None

    async def __aenter__(self) -> "TypingWhileSlow":
        self._timer = asyncio.get_running_loop().call_later(self.after, self._start)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        sending, self._sending = self._sending, None
        if sending is not None and not sending.done():
            await asyncio.wait({sending}, timeout=TYPING_STOP_WAIT_SECONDS)
            sending.cancel()

    def _start(self) -> None:
        self._sending = asyncio.ensure_future(self._send())

    async def _send(self) -> None:
        await show_typing(self.bot, self.chat_id)
        if self._sending is not None:  # the block still runs
            self._timer = asyncio.get_running_loop().call_later(TYPING_REPEAT_SECONDS, self._start)


async def show_typing(bot: Bot, chat_id: int) -> None:
    """Cosmetic: a failure here must never stop the answer."""
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:
        log.info("typing action failed (ignored): %s", exc)

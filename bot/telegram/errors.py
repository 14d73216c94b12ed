"""One error handler, and logs that never show the bot token nor bury a network blip in a traceback."""

import copy
import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from bot.telegram.context import BotContext
from bot.telegram.sending import send_html

log = logging.getLogger(__name__)
REDACTED = "<redacted-token>"


def describe(exc: BaseException) -> str:
    """One short line for the log: the error's kind and message, never a traceback."""
    text = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {text[:200]}"


class RedactingFormatter(logging.Formatter):
    """Wraps a formatter and blanks every secret out of the finished line, tracebacks included. A network error
    (Telegram unreachable, a timeout) is one line: its traceback says nothing an operator can act on."""

    def __init__(self, inner: logging.Formatter | None, secrets: list[str]) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NetworkError):
            record = copy.copy(record)
            record.msg, record.args = f"{record.getMessage()} ({describe(error)})", None
            record.exc_info = record.exc_text = None
        return redact(self._inner.format(record), self._secrets)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def install_redaction(token: str | None) -> None:
    """Redact the token from every handler of the root logger; keep httpx from logging request URLs."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not token:
        return
    secrets = [token, token.split(":", 1)[-1]]
    for handler in logging.getLogger().handlers:
        handler.setFormatter(RedactingFormatter(handler.formatter, secrets))


async def on_error(update: object, context: BotContext) -> None:
    """Log the details; tell the user briefly that something went wrong, in their language."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await send_html(
            context.bot,
            update.effective_chat.id,
            context.tr.gettext("Sorry, something went wrong on my side. Please try again."),
        )
    except Forbidden:
        log.info("could not apologise: the user blocked the bot")
    except TelegramError:
        log.warning("could not send the apology for the error above")

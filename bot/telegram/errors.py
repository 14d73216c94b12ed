"""One error handler, and logs that never show the bot token nor bury a network blip in a traceback.

Unhandled errors are also told to the staff chats (`StaffAlerts`): the same error at most once per quarter of an
hour, with the number of repeats in between, and a cap per hour overall. An alert names the kind of error and the
place in the code, never its message, the update or the user: those may carry the token or someone's words, and
the log (redacted) has the details.
"""

import copy
import logging
import time
import traceback
from collections.abc import Callable
from html import escape
from pathlib import Path

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.i18n import Translator
from bot.telegram.context import BotContext, Services
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


ALERTS_KEY = "staff_alerts"
SAME_ERROR_SECONDS = 15 * 60.0
ALERTS_PER_HOUR = 10
STAFF_LANGUAGE = "it"  # as the staff command menus
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class StaffAlerts:
    """Decides which errors staff hear about: deduplicated by signature, rate-limited overall."""

    def __init__(
        self,
        *,
        same_error_seconds: float = SAME_ERROR_SECONDS,
        per_hour: int = ALERTS_PER_HOUR,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._same_error_seconds = same_error_seconds
        self._per_hour = per_hour
        self._now = monotonic
        self._last_told: dict[str, float] = {}
        self._unreported: dict[str, int] = {}
        self._told_at: list[float] = []

    def admit(self, signature: str) -> int | None:
        """None: keep quiet (counted for the next alert); else how many repeats went unreported before this one."""
        now = self._now()
        self._told_at = [at for at in self._told_at if now - at < 3600.0]
        last = self._last_told.get(signature)
        if (last is not None and now - last < self._same_error_seconds) or len(self._told_at) >= self._per_hour:
            self._unreported[signature] = self._unreported.get(signature, 0) + 1
            return None
        if len(self._last_told) > 1000:  # bounded: forget the oldest signatures
            for old in sorted(self._last_told, key=self._last_told.__getitem__)[:500]:
                del self._last_told[old]
                self._unreported.pop(old, None)
        self._last_told[signature] = now
        self._told_at.append(now)
        return self._unreported.pop(signature, 0)


def worth_telling_staff(error: BaseException | None) -> bool:
    """Telegram being slow or unreachable, a flood wait or a user who blocked the bot are weather, not faults;
    a refused request (BadRequest) is the bot's own mistake and is told."""
    if error is None or isinstance(error, (Forbidden, RetryAfter)):
        return False
    return isinstance(error, BadRequest) or not isinstance(error, NetworkError)


def error_place(error: BaseException) -> str:
    """The innermost frame in the bot's own code (else the innermost at all): file:line (function)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if Path(frame.filename).resolve().is_relative_to(_PACKAGE_ROOT)]
    chosen = ours or list(frames)
    if not chosen:
        return "?"
    frame = chosen[-1]
    path = Path(frame.filename).resolve()
    shown = path.relative_to(_PACKAGE_ROOT.parent) if path.is_relative_to(_PACKAGE_ROOT) else Path(path.name)
    return f"{shown}:{frame.lineno} ({frame.name})"


def activity(update: object, tr: Translator) -> str:
    if isinstance(update, Update):
        if update.callback_query is not None:
            return tr.gettext("handling a button")
        if update.effective_message is not None:
            return tr.gettext("handling a message")
        return tr.gettext("handling an update")
    return tr.gettext("running a scheduled job")


def alert_text(error: BaseException, update: object, repeats: int, services: Services) -> str:
    tr = services.catalogs[STAFF_LANGUAGE]
    when = tr.moment(services.clock(), services.config.timezone)
    text = tr.gettext(
        "⚠️ Bot error: %(kind)s at %(place)s, while %(activity)s. The details are in the bot's log (%(time)s).",
        kind=type(error).__name__,
        place=error_place(error),
        activity=activity(update, tr),
        time=when,
    )
    if repeats:
        text += "\n" + tr.ngettext(
            "The same error happened %(count)d more time since the last alert.",
            "The same error happened %(count)d more times since the last alert.",
            repeats,
        )
    return escape(text, quote=False)


async def tell_staff(context: BotContext, error: BaseException, update: object) -> None:
    services = context.services
    if not services.config.staff_ids or not worth_telling_staff(error):
        return
    alerts: StaffAlerts = context.bot_data.setdefault(ALERTS_KEY, StaffAlerts())
    repeats = alerts.admit(f"{type(error).__name__}@{error_place(error)}")
    if repeats is None:
        return
    text = alert_text(error, update, repeats, services)
    for staff_id in sorted(services.config.staff_ids):
        try:
            await send_html(context.bot, staff_id, text)
        except TelegramError as exc:  # e.g. a staff member who never opened the bot
            log.warning("could not alert staff chat %s: %s", staff_id, describe(exc))


async def on_error(update: object, context: BotContext) -> None:
    """Log the details; tell staff (deduplicated); tell the user briefly that something went wrong, in their
    language."""
    log.error("error while handling an update", exc_info=context.error)
    if context.error is not None:
        await tell_staff(context, context.error, update)
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

"""One configuration object, read from the environment (and a `.env` file) in one place."""

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.shipped import KNOWLEDGE_DIR

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{5,}$")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")  # Telegram allows 1-256 of these; 16 makes it worth one
_NUMBER = re.compile(r"[0-9]{1,6}")  # ASCII digits only: str.isdigit() also accepts '²', which int() refuses


class ConfigError(Exception):
    """The configuration is missing or malformed; the message says which variable and why (never the token)."""


@dataclass(frozen=True)
class Config:
    token: str | None = field(default=None, repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    staff_ids: frozenset[int] = frozenset()
    database: Path = Path("data/bot.sqlite3")
    knowledge_dir: Path = KNOWLEDGE_DIR  # the shipped knowledge base unless BOT_KNOWLEDGE_DIR says otherwise
    timezone: str = "Europe/Rome"
    retention_days: int = 90  # after this, unanswered questions and feedback lose their user id
    webhook_url: str | None = None  # public HTTPS URL: webhook mode instead of long polling
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    log_level: str = "INFO"  # the bot's own logs; DEBUG also shows python-telegram-bot's
    reminder_hours: tuple[int, int] = (9, 20)  # reminders go out from the first hour until the second, local time
    staff_digest_time: dt.time | None = dt.time(9, 0)  # the daily staff digest, local time; None: no digest
    staff_new_question_notes: bool = False  # a note to staff for each new group of unanswered questions
    staff_lang: str | None = None  # it | en: the staff tools' language where no staff member's own is known
    # The prepared knowledge base is kept here (bot/assistant_cache.py); None: not kept. load_config puts it next to
    # the database unless BOT_CACHE_DIR says otherwise ("off": not kept).
    cache_dir: Path | None = None

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and put it in the environment or in .env."
            )
        if not _TOKEN.match(self.token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is malformed: expected the form 123456789:ABC... given by @BotFather."
            )
        return self.token


def _staff_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"-?\d+", part):
            raise ConfigError(f"BOT_STAFF_IDS must be comma-separated Telegram user ids; {part!r} is not a number.")
        ids.add(int(part))
    return frozenset(ids)


def _hours(raw: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})\s*-\s*(\d{1,2})", raw)
    if not match or not 0 <= int(match[1]) < int(match[2]) <= 24:
        raise ConfigError(f"BOT_REMINDER_HOURS must be two hours like 9-20 (from 9:00 until 20:00), got {raw!r}.")
    return int(match[1]), int(match[2])


def _digest_time(raw: str) -> dt.time | None:
    if raw.lower() in ("off", "no", "none"):
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError(f"BOT_STAFF_DIGEST_TIME must be a time like 09:00, or off, got {raw!r}.")
    return dt.time(int(match[1]), int(match[2]))


def _switch(name: str, raw: str) -> bool:
    if raw.lower() in ("on", "yes", "true", "1"):
        return True
    if raw.lower() in ("off", "no", "false", "0"):
        return False
    raise ConfigError(f"{name} must be on or off, got {raw!r}.")


def load_config(environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Config:
    """Read the configuration; with `dotenv`, a `.env` file in the working directory fills unset variables."""
    if environ is None:
        if dotenv:
            from dotenv import load_dotenv

            load_dotenv(Path.cwd() / ".env", override=False)
        environ = os.environ
    timezone = environ.get("BOT_TIMEZONE", "").strip() or Config.timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"BOT_TIMEZONE {timezone!r} is not a known time zone (e.g. Europe/Rome).") from exc
    base_url = environ.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL
    if not re.match(r"^https?://", base_url):
        raise ConfigError("TELEGRAM_API_BASE_URL must start with http:// or https://.")
    webhook_url = environ.get("BOT_WEBHOOK_URL", "").strip() or None
    if webhook_url and not webhook_url.startswith("https://"):
        raise ConfigError("BOT_WEBHOOK_URL must be a public https:// address (Telegram only calls HTTPS webhooks).")
    webhook_secret = environ.get("BOT_WEBHOOK_SECRET", "").strip() or None
    if webhook_url and not (webhook_secret and _WEBHOOK_SECRET.fullmatch(webhook_secret)):
        raise ConfigError(
            "BOT_WEBHOOK_SECRET must be set with BOT_WEBHOOK_URL: 16 to 256 letters, digits, _ or - (e.g. the output "
            "of `openssl rand -hex 32`), so that only Telegram can send updates to the webhook."
        )
    port = environ.get("PORT", "").strip() or "8443"
    if not _NUMBER.fullmatch(port) or not 0 < int(port) < 65536:
        raise ConfigError(f"PORT must be a TCP port number, got {port!r}.")
    retention = environ.get("BOT_RETENTION_DAYS", "").strip() or "90"
    if not _NUMBER.fullmatch(retention) or not 1 <= int(retention) <= 3650:
        raise ConfigError(f"BOT_RETENTION_DAYS must be a number of days between 1 and 3650, got {retention!r}.")
    log_level = environ.get("BOT_LOG_LEVEL", "").strip().upper() or Config.log_level
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"BOT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}.")
    reminder_hours = _hours(environ.get("BOT_REMINDER_HOURS", "").strip() or "9-20")
    digest_time = _digest_time(environ.get("BOT_STAFF_DIGEST_TIME", "").strip() or "09:00")
    notes = _switch("BOT_STAFF_NEW_QUESTION_NOTES", environ.get("BOT_STAFF_NEW_QUESTION_NOTES", "").strip() or "off")
    staff_lang = environ.get("BOT_STAFF_LANG", "").strip().lower()
    if staff_lang not in ("", "it", "en"):
        raise ConfigError(f"BOT_STAFF_LANG must be it or en, got {staff_lang[:20]!r}.")
    database = Path(environ.get("BOT_DATABASE", "").strip() or Config.database)
    cache_dir = environ.get("BOT_CACHE_DIR", "").strip()
    return Config(
        token=environ.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        api_base_url=base_url,
        staff_ids=_staff_ids(environ.get("BOT_STAFF_IDS", "")),
        database=database,
        knowledge_dir=Path(environ.get("BOT_KNOWLEDGE_DIR", "").strip() or Config.knowledge_dir),
        timezone=timezone,
        retention_days=int(retention),
        webhook_url=webhook_url,
        webhook_port=int(port),
        webhook_secret=webhook_secret,
        log_level=log_level,
        reminder_hours=reminder_hours,
        staff_digest_time=digest_time,
        staff_new_question_notes=notes,
        staff_lang=staff_lang or None,
        cache_dir=None if cache_dir.lower() == "off" else Path(cache_dir) if cache_dir else database.parent / "cache",
    )

"""One configuration object, read from the environment (and a `.env` file) in one place."""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
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
    knowledge_dir: Path = Path("knowledge")
    timezone: str = "Europe/Rome"
    retention_days: int = 90  # after this, unanswered questions and feedback lose their user id
    webhook_url: str | None = None  # public HTTPS URL: webhook mode instead of long polling
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)

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
    return Config(
        token=environ.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
        api_base_url=base_url,
        staff_ids=_staff_ids(environ.get("BOT_STAFF_IDS", "")),
        database=Path(environ.get("BOT_DATABASE", "").strip() or Config.database),
        knowledge_dir=Path(environ.get("BOT_KNOWLEDGE_DIR", "").strip() or Config.knowledge_dir),
        timezone=timezone,
        retention_days=int(retention),
        webhook_url=webhook_url,
        webhook_port=int(port),
        webhook_secret=webhook_secret,
    )

"""Run the real bot Application against the loopback fake Bot API, as end-to-end tests need it."""

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from telegram import Update

from bot.config import Config
from bot.storage import Storage
from bot.storage.connection import DEFAULT_BUSY_TIMEOUT_MS
from bot.telegram.app import build_application, publish_commands
from bot.telegram.context import SERVICES_KEY, BotApplication, Services
from tests.support.bot_api import FakeBotAPI


class Clock:
    """A clock a test sets by hand (bot.clock.Clock is any callable returning an aware datetime)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def config_for(
    api: FakeBotAPI,
    tmp_path: Path,
    *,
    knowledge_dir: Path,
    staff_ids: frozenset[int] = frozenset(),
    staff_digest_time: dt.time | None = None,
    staff_new_question_notes: bool = False,
) -> Config:
    """The staff digest is off unless a test asks for it: it would otherwise come at a time of day."""
    return Config(
        token=api.token,
        api_base_url=api.base_url,
        staff_ids=staff_ids,
        database=tmp_path / "bot.sqlite3",
        knowledge_dir=knowledge_dir,
        timezone="Europe/Rome",
        staff_digest_time=staff_digest_time,
        staff_new_question_notes=staff_new_question_notes,
    )


@asynccontextmanager
async def running_bot(
    api: FakeBotAPI,
    tmp_path: Path,
    *,
    knowledge_dir: Path,
    staff_ids: frozenset[int] = frozenset(),
    clock: Callable[[], dt.datetime] | None = None,
    knowledge_check_seconds: float = 3600.0,
    staff_digest_time: dt.time | None = None,
    staff_new_question_notes: bool = False,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
) -> AsyncIterator[BotApplication]:
    """The Application polling the fake server, with its database in tmp_path; stopped cleanly afterwards."""
    config = config_for(
        api,
        tmp_path,
        knowledge_dir=knowledge_dir,
        staff_ids=staff_ids,
        staff_digest_time=staff_digest_time,
        staff_new_question_notes=staff_new_question_notes,
    )
    storage = await Storage.open(config.database, busy_timeout_ms=busy_timeout_ms)
    application = build_application(
        config, storage, knowledge_check_seconds=knowledge_check_seconds, **({"clock": clock} if clock else {})
    )
    await application.initialize()
    await publish_commands(application, services(application).catalogs)
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await storage.close()


def services(application: BotApplication) -> Services:
    found: Services = application.bot_data[SERVICES_KEY]
    return found

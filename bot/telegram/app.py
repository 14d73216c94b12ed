"""The one place that builds the python-telegram-bot Application (service.py runs it).

It only assembles: each feature module (conversation, topics, deadlines, privacy, the staff tools, the fallback)
brings its handlers, command-menu entries and jobs; the custom context carries the services; `Defaults` carries
the parse mode and link previews.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from telegram import BotCommand, BotCommandScope, BotCommandScopeChat, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, CommandHandler, ContextTypes, Defaults, ExtBot, Job

from bot.assistant import Assistant, Prepared
from bot.assistant_cache import configured_cache
from bot.clock import Clock, utc_now
from bot.config import Config
from bot.i18n import Catalogs
from bot.knowledge import KnowledgeBase
from bot.live import LiveAssistant
from bot.storage import Storage, StorageError
from bot.telegram import conversation, deadlines, fallback, groups, privacy, topics
from bot.telegram.context import SERVICES_KEY, BotApplication, BotContext, Services
from bot.telegram.delivery import start_reminder_jobs
from bot.telegram.errors import on_error
from bot.telegram.feature import DEEP_LINKS_KEY, Feature
from bot.telegram.flood import FloodControl
from bot.telegram.ordering import ChatQueues, ScreenedUpdatesRequest
from bot.telegram.reader import KNOWN_COMMANDS_KEY, reader_handler
from bot.telegram.staff import (
    answering,
    broadcast,
    changes,
    database,
    digest,
    knowledge,
    notices,
    spreadsheet,
    stats,
    unanswered,
)
from bot.telegram.staff.common import keep_served, staff_filter
from bot.telegram.transport import AiohttpRequest

log = logging.getLogger(__name__)

STORAGE_BUSY_TIMEOUT_MS = 1000
#: After this long answering, the knowledge base start-up built is written to the assistant cache.
CACHE_STORE_DELAY_SECONDS = 2.0
CACHE_STORE_KEY = "cache store timer"
MENUS_KEY = "features"
# Before the features (group 0): the reader; then dialogues waiting for a staff member's text.
READER_GROUP, INPUT_GROUP = -2, -1
#: Every message is HTML the bot wrote (escaped where it quotes users); links never unfurl into previews.
DEFAULTS = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))


class LeanApplication(Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]):
    """python-telegram-bot notes the user and chat of every update for its persistence even when there is none,
    and then nothing ever empties those sets: an entry per user and per chat, forever. The bot has no persistence
    (what must last is in SQLite), so nothing is noted."""

    def _mark_for_persistence_update(self, *, update: object | None = None, job: Job[Any] | None = None) -> None:
        if self.persistence is not None:
            super()._mark_for_persistence_update(update=update, job=job)


def file_base_url(api_base_url: str) -> str:
    """Telegram serves files beside the API: .../bot -> .../file/bot."""
    root = api_base_url.rstrip("/")
    return root[: -len("bot")] + "file/bot" if root.endswith("bot") else root + "/file/bot"


def assistant_factory(
    config: Config, catalogs: Catalogs, clock: Clock = utc_now
) -> Callable[[KnowledgeBase, Prepared | None], Assistant]:
    def build(kb: KnowledgeBase, prepared: Prepared | None = None) -> Assistant:
        return Assistant(kb, catalogs=catalogs, timezone=config.timezone, clock=clock, prepared=prepared)

    return build


def features(config: Config, knowledge_check_seconds: float) -> Sequence[Feature]:
    """Every feature, in registration order: the staff tools first, as their links (/start staff-stats) must reach
    them before the conversation's /start; the fallback last, where it takes only what no other did."""
    staff = staff_filter(config.staff_ids)
    return (
        unanswered.feature(staff),
        stats.feature(staff),
        knowledge.feature(staff, knowledge_check_seconds),
        answering.feature(staff),
        changes.feature(staff),
        spreadsheet.feature(staff),
        digest.feature(staff),
        broadcast.feature(staff),
        notices.feature(staff),
        database.feature(),
        conversation.feature(),
        topics.feature(),
        deadlines.feature(),
        privacy.feature(),
        groups.feature(),
        fallback.feature(),
    )


def build_application(
    config: Config,
    storage: Storage | None = None,
    *,
    live: LiveAssistant | None = None,
    clock: Clock = utc_now,
    knowledge_check_seconds: float = knowledge.RELOAD_CHECK_SECONDS,
    last_good: Callable[[], Mapping[str, bytes] | None] | None = None,
) -> BotApplication:
    """Wire the Application. With no `storage`, the database is opened when the application starts. `last_good`
    gives the last knowledge base served, for when the files have errors (see bot/live.py)."""
    catalogs = Catalogs()
    live = live or LiveAssistant(
        config.knowledge_dir,
        assistant_factory(config, catalogs, clock),
        last_good=last_good,
        cache=configured_cache(config),
        store_later=True,
    )
    queues = ChatQueues()
    application = (
        ApplicationBuilder()
        .request(AiohttpRequest())
        .get_updates_request(ScreenedUpdatesRequest(queues))
        .application_class(LeanApplication)
        .token(config.require_token())
        .base_url(config.api_base_url)
        .base_file_url(file_base_url(config.api_base_url))
        .defaults(DEFAULTS)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(queues)
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        .build()
    )
    application.bot_data[SERVICES_KEY] = Services(config, live, catalogs, clock, database=storage)
    queues.gate = FloodControl(application)  # flood control decides as updates arrive, before they queue
    application.add_handler(reader_handler(), group=READER_GROUP)
    enabled = features(config, knowledge_check_seconds)
    for feature in enabled:
        application.add_handlers(feature.handlers)
        if feature.input_handlers:
            application.add_handlers(feature.input_handlers, group=INPUT_GROUP)
        if feature.start is not None:
            feature.start(application)
    application.bot_data[MENUS_KEY] = enabled
    application.bot_data[KNOWN_COMMANDS_KEY] = frozenset(
        name
        for feature in enabled
        for handler in feature.handlers
        if isinstance(handler, CommandHandler)
        for name in handler.commands
    )
    application.bot_data[DEEP_LINKS_KEY] = {
        name: link for feature in enabled for name, link in feature.deep_links.items()
    }
    application.add_error_handler(on_error)
    return application


async def on_startup(application: BotApplication) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    if services.database is None:
        # A short busy timeout: when the file is locked, users wait at most a second, then get the answer anyway.
        services.database = await Storage.open(services.config.database, busy_timeout_ms=STORAGE_BUSY_TIMEOUT_MS)
    await publish_commands(application, services.catalogs)
    await keep_served(services)
    await start_reminder_jobs(application)
    # what start-up built goes into the assistant cache once the bot is answering (off the event loop)
    application.bot_data[CACHE_STORE_KEY] = asyncio.get_running_loop().call_later(
        CACHE_STORE_DELAY_SECONDS, lambda: application.create_task(asyncio.to_thread(services.live.store_pending))
    )


async def on_shutdown(application: BotApplication) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    if (timer := application.bot_data.pop(CACHE_STORE_KEY, None)) is not None:
        timer.cancel()
    await asyncio.to_thread(services.live.store_pending)  # stopped before it was stored: stored now (or nothing)
    if services.database is not None:
        await services.database.close()


async def publish_commands(application: BotApplication, catalogs: Catalogs) -> None:
    """The command menu in each language, and for staff chats the staff commands too (only they see them).
    Cosmetic: a failure is logged, never fatal."""
    enabled: Sequence[Feature] = application.bot_data[MENUS_KEY]
    services: Services = application.bot_data[SERVICES_KEY]
    user_menu = {name: text for feature in enabled for name, text in feature.commands.items()}
    staff_menu = {**user_menu, **{name: text for feature in enabled for name, text in feature.staff_commands.items()}}
    menus: list[tuple[Mapping[str, str], BotCommandScope | None, str | None]] = [
        (user_menu, None, lang) for lang in ("it", "en", None)
    ]
    menus += [(staff_menu, BotCommandScopeChat(staff_id), None) for staff_id in services.config.staff_ids]
    for commands, scope, lang in menus:
        tr = catalogs[lang or ("it" if scope else "en")]  # staff menus in Italian, the default menu in English
        menu = [BotCommand(name, tr.gettext(description)) for name, description in commands.items()]
        try:
            await application.bot.set_my_commands(menu, scope=scope, language_code=lang)
        except TelegramError as exc:
            log.warning("could not set the command menu (%s): %s", lang or "default", exc)


def last_good_knowledge(database: Path) -> Callable[[], Mapping[str, bytes] | None]:
    """Reads the last knowledge base served from the database, when the start-up needs it (before the event loop)."""

    async def fetch() -> Mapping[str, bytes] | None:
        async with await Storage.open(database) as storage:
            snapshot = await storage.knowledge_snapshot()
        return snapshot.files if snapshot else None

    def read() -> Mapping[str, bytes] | None:
        if not database.is_file():
            return None
        try:
            return asyncio.run(fetch())
        except StorageError:
            log.exception("could not read the last good knowledge base from %s", database)
            return None

    return read

"""The one place that builds the python-telegram-bot Application and runs it."""

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Callable

from telegram import Bot, BotCommand, BotCommandScope, BotCommandScopeChat, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot.assistant import Assistant
from bot.clock import utc_now
from bot.config import Config, ConfigError
from bot.i18n import Catalogs, mark
from bot.knowledge import KnowledgeBase
from bot.live import LiveAssistant
from bot.reminders.jobs import start_reminder_jobs
from bot.storage import Storage
from bot.telegram.broadcast import BROADCAST_BUTTONS, BROADCAST_COMMANDS, broadcast_handlers
from bot.telegram.errors import install_redaction, on_error
from bot.telegram.flood import flood_handler
from bot.telegram.handlers import conversation_handlers, fallback_handlers
from bot.telegram.ordering import PerChatOrderedProcessor
from bot.telegram.privacy import PRIVACY_BUTTONS, privacy_handlers, start_retention_job
from bot.telegram.services import SERVICES_KEY, Services
from bot.telegram.staff import (
    RELOAD_CHECK_SECONDS,
    STAFF_BUTTONS,
    STAFF_COMMANDS,
    staff_handlers,
    start_knowledge_watch,
)
from bot.telegram.subscriptions import SUBSCRIPTION_BUTTONS, SUBSCRIPTION_COMMANDS, subscription_handlers

log = logging.getLogger(__name__)

STORAGE_BUSY_TIMEOUT_MS = 1000
USER_COMMANDS = {
    "start": mark("Start and pick a topic"),
    "topics": mark("Browse questions by topic"),
    "deadline": mark("Deadlines and their status"),
    "lang": mark("Choose the language"),
    "help": mark("What I can do"),
    "privacy": mark("What I store about you"),
    **SUBSCRIPTION_COMMANDS,
}


def file_base_url(api_base_url: str) -> str:
    """Telegram serves files beside the API: .../bot -> .../file/bot."""
    root = api_base_url.rstrip("/")
    return root[: -len("bot")] + "file/bot" if root.endswith("bot") else root + "/file/bot"


def assistant_factory(
    config: Config, catalogs: Catalogs, clock: Callable[[], dt.datetime] = utc_now
) -> Callable[[KnowledgeBase], Assistant]:
    return lambda kb: Assistant(kb, catalogs=catalogs, timezone=config.timezone, clock=clock)


def build_application(
    config: Config,
    storage: Storage | None = None,
    *,
    live: LiveAssistant | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    knowledge_check_seconds: float = RELOAD_CHECK_SECONDS,
) -> Application:
    """Wire the Application. With no `storage`, the database is opened when the application starts."""
    catalogs = Catalogs()
    live = live or LiveAssistant(config.knowledge_dir, assistant_factory(config, catalogs, clock))
    application = (
        ApplicationBuilder()
        .token(config.require_token())
        .base_url(config.api_base_url)
        .base_file_url(file_base_url(config.api_base_url))
        .concurrent_updates(PerChatOrderedProcessor())
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        .build()
    )
    services = Services(config, live, storage, catalogs, clock)  # type: ignore[arg-type]
    services.buttons.update(STAFF_BUTTONS)
    services.buttons.update(PRIVACY_BUTTONS)
    services.buttons.update(SUBSCRIPTION_BUTTONS | BROADCAST_BUTTONS)
    application.bot_data[SERVICES_KEY] = services
    application.add_handler(flood_handler(), group=-1)
    application.add_handlers(conversation_handlers())
    application.add_handlers(privacy_handlers())
    application.add_handlers(staff_handlers())
    application.add_handlers(subscription_handlers() + broadcast_handlers())
    application.add_handlers(fallback_handlers())
    start_knowledge_watch(application, knowledge_check_seconds)
    start_retention_job(application)
    application.add_error_handler(on_error)
    return application


async def on_startup(application: Application) -> None:
    svc: Services = application.bot_data[SERVICES_KEY]
    if svc.storage is None:
        # A short busy timeout: when the file is locked, users wait at most a second, then get the answer anyway.
        svc.storage = await Storage.open(svc.config.database, busy_timeout_ms=STORAGE_BUSY_TIMEOUT_MS)
    await publish_commands(application, svc.catalogs)
    await start_reminder_jobs(application)


async def on_shutdown(application: Application) -> None:
    svc: Services = application.bot_data[SERVICES_KEY]
    if svc.storage is not None:
        await svc.storage.close()


async def publish_commands(application: Application, catalogs: Catalogs) -> None:
    """The command menu in each language, and for staff chats the staff commands too (only they see them).
    Cosmetic: a failure is logged, never fatal."""
    staff_ids = application.bot_data[SERVICES_KEY].config.staff_ids
    menus: list[tuple[dict[str, str], BotCommandScope | None, str | None]] = [
        (USER_COMMANDS, None, lang) for lang in ("it", "en", None)
    ]
    staff_menu = {**USER_COMMANDS, **STAFF_COMMANDS, **BROADCAST_COMMANDS}
    menus += [(staff_menu, BotCommandScopeChat(staff_id), None) for staff_id in staff_ids]
    for commands, scope, lang in menus:
        tr = catalogs[lang or ("it" if scope else "en")]  # staff menus in Italian, the default menu in English
        menu = [BotCommand(name, tr.gettext(description)) for name, description in commands.items()]
        try:
            await application.bot.set_my_commands(menu, scope=scope, language_code=lang)
        except TelegramError as exc:
            log.warning("could not set the command menu (%s): %s", lang or "default", exc)


def run_bot(config: Config) -> None:
    """Long polling by default; a webhook when BOT_WEBHOOK_URL is set (deployment behind HTTPS)."""
    install_redaction(config.token)
    logging.getLogger("bot").setLevel(logging.INFO)
    application = build_application(config)
    log.info("bot starting (%s mode)", "webhook" if config.webhook_url else "polling")
    asyncio.run(check_token(config))
    _run(application, config)


async def check_token(config: Config) -> None:
    """Ask Telegram who we are before starting, so a wrong token is one clear line, not a retry loop's traceback."""
    bot = Bot(config.require_token(), base_url=config.api_base_url)
    try:
        await bot.initialize()
    except InvalidToken:
        raise ConfigError("Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather.") from None
    except TelegramError as exc:
        log.warning("could not reach Telegram to check the token (%s); starting anyway", exc)
    finally:
        await bot.shutdown()


def _run(application: Application, config: Config) -> None:
    if config.webhook_url:
        path = hashlib.sha256(config.require_token().encode()).hexdigest()[:32]
        application.run_webhook(
            listen="0.0.0.0",
            port=config.webhook_port,
            url_path=path,
            webhook_url=f"{config.webhook_url.rstrip('/')}/{path}",
            secret_token=config.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)

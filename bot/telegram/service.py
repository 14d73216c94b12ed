"""Running the bot as a service: wait for Telegram, serve (long polling or a webhook with /health), stop on a signal.

python-telegram-bot's `run_polling`/`run_webhook` are not used because an operator needs three things they do not
give: start-up that waits for an unreachable Bot API with one clear line per attempt instead of a traceback; a
stop within seconds of SIGTERM/SIGINT at any moment, including while waiting; and a health endpoint beside the
webhook (PTB's own examples add routes the same way, with a web server of one's own feeding `update_queue`).
"""

import asyncio
import datetime as dt
import json
import logging
import os
import signal
from contextlib import suppress
from http import HTTPStatus

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.error import InvalidToken, TelegramError

from bot.config import Config, ConfigError
from bot.heartbeat import INTERVAL_SECONDS, Heartbeat, health_report, heartbeat_path, write_heartbeat
from bot.storage import StorageError
from bot.telegram.app import build_application, last_good_knowledge
from bot.telegram.context import SERVICES_KEY, BotApplication, BotContext, Services, job_queue
from bot.telegram.errors import describe, install_redaction
from bot.telegram.webhook import webhook_path, webhook_server

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0
HEALTH_PATH = "/health"
#: python-telegram-bot's polling loop sleeps up to 30 s between failed attempts and only then notices a stop; past
#: this the sleep is cancelled (the last updates are then confirmed at the next start instead).
STOP_POLLING_SECONDS = 2.0


def run_bot(config: Config) -> None:
    """Long polling by default; a webhook when BOT_WEBHOOK_URL is set. Returns when stopped by a signal."""
    install_redaction(config.token)
    application = build_application(config, last_good=last_good_knowledge(config.database))
    asyncio.run(serve(application, config))


async def serve(application: BotApplication, config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    mode = "webhook" if config.webhook_url else "polling"
    log.info("bot starting (%s mode)", mode)
    if not await wait_for_telegram(application, stop):
        log.info("stopped before Telegram could be reached")
        await application.bot.shutdown()
        return
    await application.initialize()
    server: tornado.httpserver.HTTPServer | None = None
    try:
        if application.post_init:
            await application.post_init(application)
        await start_heartbeat(application, mode)
        if config.webhook_url:
            server = await start_webhook(application, config)
        else:
            await application.updater.start_polling(  # type: ignore[union-attr]
                allowed_updates=Update.ALL_TYPES, error_callback=polling_failed
            )
        await application.start()
        log.info("bot running (%s mode); stop it with Ctrl-C or SIGTERM", mode)
        await stop.wait()
        log.info("stopping")
    finally:
        if server is not None:
            server.stop()
            await server.close_all_connections()
        if application.updater and application.updater.running:
            try:
                await asyncio.wait_for(application.updater.stop(), STOP_POLLING_SECONDS)
            except TimeoutError:
                log.info("stopped polling without confirming the last updates (Telegram did not answer)")
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
        with suppress(OSError):
            heartbeat_path(config.database).unlink()
    log.info("stopped")


async def wait_for_telegram(application: BotApplication, stop: asyncio.Event) -> bool:
    """Ask Telegram who we are until it answers, backing off; False if told to stop first.

    A rejected token is a configuration error (exit status 2), not something to retry."""
    delay, attempt = FIRST_RETRY_SECONDS, 0
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while True:
            attempt += 1
            trying = asyncio.ensure_future(application.bot.initialize())
            await asyncio.wait((trying, stopping), return_when=asyncio.FIRST_COMPLETED)
            if stopping.done():
                trying.cancel()
                with suppress(asyncio.CancelledError, TelegramError):
                    await trying
                return False
            try:
                trying.result()
                if attempt > 1:
                    log.info("Telegram reached after %d attempts", attempt)
                return True
            except InvalidToken:
                raise ConfigError("Telegram rejected TELEGRAM_BOT_TOKEN: check it with @BotFather.") from None
            except TelegramError as exc:
                log.warning(
                    "Telegram Bot API not reachable (attempt %d, %s); next try in %.0f s", attempt, describe(exc), delay
                )
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(stopping), timeout=delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)
    finally:
        stopping.cancel()


def polling_failed(exc: TelegramError) -> None:
    """python-telegram-bot retries polling by itself, backing off up to 30 s: one line per failure, no traceback."""
    log.warning("Telegram not reachable while polling (%s); retrying", describe(exc))


# -- heartbeat ---------------------------------------------------------------------------------------------------


async def start_heartbeat(application: BotApplication, mode: str) -> None:
    """The first beat now, so a health check right after start-up sees it; then one every few seconds."""
    services: Services = application.bot_data[SERVICES_KEY]
    path = heartbeat_path(services.config.database)
    started = services.clock().astimezone(dt.UTC).isoformat()

    async def beat(context: BotContext | None = None) -> None:
        try:
            await services.storage.ping()
        except StorageError as exc:
            log.error("health: the database does not answer (%s); no heartbeat written", exc)
            return
        now = services.clock().astimezone(dt.UTC).isoformat()
        try:
            write_heartbeat(path, Heartbeat(os.getpid(), mode, started, now))
        except OSError as exc:
            log.error("health: cannot write the heartbeat %s (%s)", path, exc)

    await beat()
    job_queue(application).run_repeating(beat, interval=INTERVAL_SECONDS, first=INTERVAL_SECONDS, name="heartbeat")


# -- webhook -----------------------------------------------------------------------------------------------------


class HealthHandler(tornado.web.RequestHandler):
    """GET /health: 200 while the heartbeat is fresh, else 503; what `python -m bot health` says, as JSON."""

    def initialize(self, config: Config, services: Services) -> None:
        self.config = config
        self.services = services

    def get(self) -> None:
        healthy, line = health_report(heartbeat_path(self.config.database), self.services.clock())
        self.set_status(HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"healthy": healthy, "status": line}))


async def start_webhook(
    application: BotApplication, config: Config, listen: str = "0.0.0.0"
) -> tornado.httpserver.HTTPServer:
    token, secret = config.require_token(), config.webhook_secret
    if not secret:  # load_config refuses a webhook URL without one; this is for a Config built by hand
        raise ConfigError("BOT_WEBHOOK_SECRET must be set with BOT_WEBHOOK_URL.")
    path = webhook_path(token)
    health = (HEALTH_PATH, HealthHandler, {"config": config, "services": application.bot_data[SERVICES_KEY]})
    server = webhook_server(application, path=path, secret=secret, routes=[health])
    server.listen(config.webhook_port, address=listen)
    url = f"{(config.webhook_url or '').rstrip('/')}{path}"
    await application.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
    log.info("webhook listening on port %d; health at %s", config.webhook_port, HEALTH_PATH)
    return server

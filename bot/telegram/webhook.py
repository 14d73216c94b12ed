"""Webhook mode: Telegram POSTs each update to a secret path, with the secret header BOT_WEBHOOK_SECRET.

Everything from outside is checked before a byte of the body is read: the path, the method, the secret header, and
the size the body announces (MAX_BODY_BYTES; a body that announces less and sends more is cut off by the server's
own limit). A refused request is answered at once and its connection closed, so its body is never read. Only
then is the update parsed and queued, exactly as python-telegram-bot's own webhook would (whose server reads up to
100 MB of any request, at any path, before looking at it).

The application runs here as in python-telegram-bot's `run_webhook`: initialise, `post_init`, start, serve until
SIGINT or SIGTERM, then stop and shut down, `post_shutdown` last.
"""

import asyncio
import hashlib
import hmac
import json
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.config import Config
from bot.telegram.context import BotApplication
from bot.telegram.ordering import ChatQueues

log = logging.getLogger(__name__)

#: An update is a few KB (a 4,096-character message with its entities and the message it replies to): 1 MiB is ample.
MAX_BODY_BYTES = 1 << 20
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BODY_TIMEOUT_SECONDS = 10.0
IDLE_CONNECTION_SECONDS = 60.0


def webhook_path(token: str) -> str:
    """A path derived from the token, so it is unguessable without it, and never the token itself."""
    return "/" + hashlib.sha256(token.encode()).hexdigest()[:32]


class _Handler(tornado.web.RequestHandler):
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """No body; and the connection closes (a refused request's body is not read), so say so."""
        self.set_header("Connection", "close")
        self.finish()

    def log_exception(self, *args: Any) -> None:
        """Refusals are expected; nothing to log."""


@tornado.web.stream_request_body
class _Refused(_Handler):
    """Any other path: 404 before the body is read."""

    def prepare(self) -> None:
        self.send_error(HTTPStatus.NOT_FOUND)


@tornado.web.stream_request_body
class _Updates(_Handler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, listener: "WebhookListener") -> None:
        self.listener = listener
        self.body = bytearray()

    def prepare(self) -> None:
        secret = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(secret.encode(), self.listener.secret.encode()):
            self.listener.refused += 1
            self.send_error(HTTPStatus.FORBIDDEN)
            return
        declared = self.request.headers.get("Content-Length")
        if declared is not None and (
            not declared.isascii() or not declared.isdigit() or int(declared) > MAX_BODY_BYTES
        ):
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)  # a longer body than declared: the server's limit

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk

    async def post(self) -> None:
        try:
            data = json.loads(self.body)
            if isinstance(data, dict) and isinstance(self.listener.application.update_processor, ChatQueues):
                (data,) = self.listener.application.update_processor.screen([data])  # as for getUpdates
            update = Update.de_json(data, self.listener.application.bot)
        except Exception:
            log.warning("webhook: a request with the right secret carried no readable update")
            self.send_error(HTTPStatus.BAD_REQUEST)
            return
        await self.listener.application.update_queue.put(update)
        self.set_status(HTTPStatus.OK)
        self.finish()


class WebhookListener:
    """The HTTP server Telegram calls: one path, one secret, bounded bodies."""

    def __init__(self, application: BotApplication, *, path: str, secret: str) -> None:
        self.application = application
        self.path = path
        self.secret = secret
        self.refused = 0  # requests without the right secret
        self.port = 0
        self._server: HTTPServer | None = None

    def routes(self) -> tornado.web.Application:
        return tornado.web.Application(
            [(rf"{self.path}/?", _Updates, {"listener": self})], default_handler_class=_Refused, log_function=_quiet
        )

    async def start(self, listen: str, port: int) -> None:
        self._server = HTTPServer(
            self.routes(),
            max_body_size=MAX_BODY_BYTES,
            max_buffer_size=MAX_BODY_BYTES,
            body_timeout=BODY_TIMEOUT_SECONDS,
            idle_connection_timeout=IDLE_CONNECTION_SECONDS,
        )
        sockets = bind_sockets(port, listen)
        self._server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None


def _quiet(handler: tornado.web.RequestHandler) -> None:
    """No access log: the bot's own log says what matters."""


@asynccontextmanager
async def webhook_serving(
    application: BotApplication, config: Config, listen: str = "0.0.0.0"
) -> AsyncIterator[WebhookListener]:
    """The application running, its webhook registered with Telegram and the listener taking calls."""
    token, secret = config.require_token(), config.webhook_secret
    if not config.webhook_url or not secret:
        raise ValueError("webhook mode needs BOT_WEBHOOK_URL and BOT_WEBHOOK_SECRET (load_config checks both)")
    listener = WebhookListener(application, path=webhook_path(token), secret=secret)
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        try:
            await listener.start(listen, config.webhook_port)
            try:
                await application.bot.set_webhook(
                    url=config.webhook_url.rstrip("/") + listener.path,
                    secret_token=secret,
                    allowed_updates=Update.ALL_TYPES,
                )
                yield listener
            finally:
                await listener.stop()
        finally:
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def run_webhook(application: BotApplication, config: Config) -> None:
    """Serve until SIGINT or SIGTERM."""
    asyncio.run(_serve_until_stopped(application, config))


async def _serve_until_stopped(application: BotApplication, config: Config) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stopping.set)
    async with webhook_serving(application, config) as listener:
        log.info("webhook listening on port %d", listener.port)
        await stopping.wait()

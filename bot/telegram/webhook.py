"""The webhook listener: Telegram POSTs each update to a secret path, with the secret header BOT_WEBHOOK_SECRET.

Everything from outside is checked before a byte of the body is read: the path, the method, the secret header, and
the size the body announces (MAX_BODY_BYTES; a body that announces less and sends more is cut off by the server's
own limit). A refused request is answered at once and its connection closed, so its body is never read. Only then
is the update screened by the flood control (ordering.ChatQueues.screen), parsed and queued. service.py runs it,
with its health check beside it.
"""

import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

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

    def initialize(self, bot_application: BotApplication, secret: str) -> None:
        self.bot_application = bot_application
        self.secret = secret
        self.body = bytearray()

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
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
        processor = self.bot_application.update_processor
        try:
            data = json.loads(self.body)
            if isinstance(data, dict) and isinstance(processor, ChatQueues):
                (data,) = processor.screen([data])  # as for getUpdates: a flood's excess is not parsed
            update = Update.de_json(data, self.bot_application.bot)
        except Exception:
            log.warning("webhook: a request with the right secret carried no readable update")
            self.send_error(HTTPStatus.BAD_REQUEST)
            return
        await self.bot_application.update_queue.put(update)
        self.set_status(HTTPStatus.OK)
        self.finish()


def webhook_server(
    application: BotApplication, *, path: str, secret: str, routes: Sequence[tornado.web.Rule | tuple[Any, ...]] = ()
) -> HTTPServer:
    """The HTTP server Telegram calls: its path (secret and size checked before the body is read), any other
    `routes` beside it (e.g. a health check), and 404 for everything else, also before reading a body."""
    web = tornado.web.Application(
        [(rf"{path}/?", _Updates, {"bot_application": application, "secret": secret}), *routes],
        default_handler_class=_Refused,
        log_function=_quiet,
    )
    return HTTPServer(
        web,
        max_body_size=MAX_BODY_BYTES,
        max_buffer_size=MAX_BODY_BYTES,
        body_timeout=BODY_TIMEOUT_SECONDS,
        idle_connection_timeout=IDLE_CONNECTION_SECONDS,
    )


def _quiet(handler: tornado.web.RequestHandler) -> None:
    """No access log: every update is a hit, and the bot's own log says what matters."""

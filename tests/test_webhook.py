"""Webhook mode: path, secret and size checked before a body is read; the secret is required; repeats handled once."""

import asyncio
import dataclasses
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.storage import Storage
from bot.telegram.app import build_application
from bot.telegram.service import start_webhook
from bot.telegram.webhook import MAX_BODY_BYTES, SECRET_HEADER, webhook_path
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import config_for

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

BOB = make_user(5151, "Bob", "en")
SECRET = "a-long-webhook-secret-0123456789"


@dataclasses.dataclass(frozen=True)
class Listening:
    port: int
    path: str


@pytest.fixture
async def listener(api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Listening]:
    """The application with its webhook served as in production (service.start_webhook), on 127.0.0.1."""
    config = dataclasses.replace(
        config_for(api, tmp_path, knowledge_dir=FIXTURE_KB),
        webhook_url="https://bot.example.org/telegram",
        webhook_secret=SECRET,
        webhook_port=_free_port(),
    )
    async with await Storage.open(config.database) as storage:
        application = build_application(config, storage, clock=lambda: FIXED_NOW)
        await application.initialize()
        await application.start()
        server = await start_webhook(application, config, listen="127.0.0.1")
        try:
            yield Listening(config.webhook_port, webhook_path(api.token))
        finally:
            server.stop()
            await server.close_all_connections()
            await application.stop()
            await application.shutdown()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def http(port: int, request: bytes, *, body: bytes = b"", timeout: float = 3.0) -> tuple[int, float]:
    """Send the request head (and `body`), then wait for the status line without sending anything more.
    Returns (status, seconds): a server that wants the rest of a body it was promised never answers."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request + body)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
    finally:
        writer.close()
    return int(line.split()[1]), loop.time() - began


def head(path: str, length: int, secret: str | None = SECRET) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", f"Content-Length: {length}"]
    if secret is not None:
        lines.append(f"{SECRET_HEADER}: {secret}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def update_body(api: FakeBotAPI, update_id: int, text: str) -> bytes:
    return json.dumps({"update_id": update_id, **api.text_message(BOB, text)}).encode()


async def test_the_webhook_is_registered_with_its_secret(api: FakeBotAPI, listener: Listening) -> None:
    (call,) = api.calls_to("setWebhook")
    assert call.params["secret_token"] == SECRET
    assert call.params["url"] == "https://bot.example.org/telegram" + listener.path
    assert api.token not in call.params["url"]


async def test_a_huge_body_at_a_wrong_path_is_refused_before_it_is_read(listener: Listening) -> None:
    status, seconds = await http(listener.port, head("/wrong", 95 * 1024 * 1024), body=b"{" * 65536)
    assert status == 404 and seconds < 2  # answered without waiting for the 95 MB it announced


async def test_a_wrong_or_missing_secret_is_refused_before_the_body_is_read(
    api: FakeBotAPI, listener: Listening
) -> None:
    for secret in (None, "wrong", SECRET[:-1], SECRET + "x"):
        status, seconds = await http(listener.port, head(listener.path, 95 * 1024 * 1024, secret))
        assert status == 403 and seconds < 2
    body = update_body(api, 1, "What is the deadline?")
    status, _ = await http(listener.port, head(listener.path, len(body), "forged"), body=body)
    assert status == 403
    await asyncio.sleep(0.3)
    assert api.messages_to(BOB["id"]) == []


async def test_an_oversized_body_is_refused_by_its_announced_size(listener: Listening) -> None:
    status, seconds = await http(listener.port, head(listener.path, MAX_BODY_BYTES + 1))
    assert status == 413 and seconds < 2


async def test_a_body_longer_than_announced_is_cut_off(api: FakeBotAPI, listener: Listening) -> None:
    chunked = head(listener.path, 0).replace(b"Content-Length: 0", b"Transfer-Encoding: chunked")
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_BODY_BYTES // len(chunk) + 2))
    status, _ = await http(listener.port, chunked, body=body + b"0\r\n\r\n")
    assert status == 400  # past the limit the server stops reading, answers and closes the connection
    await asyncio.sleep(0.2)
    assert api.messages_to(BOB["id"]) == []


async def test_an_update_is_answered_once_even_if_telegram_sends_it_twice(api: FakeBotAPI, listener: Listening) -> None:
    body = update_body(api, 41, "What is the deadline?")
    for _ in range(2):  # Telegram sends an update again when it missed the answer to the first call
        status, _ = await http(listener.port, head(listener.path, len(body)), body=body)
        assert status == 200
    (answer,) = await api.wait_for_messages(BOB["id"])
    assert "31 December 2016" in answer["text"]
    await asyncio.sleep(0.3)
    assert len(api.messages_to(BOB["id"])) == 1


@pytest.mark.parametrize("secret", [None, "", "short", "has spaces in it, sixteen+", "x" * 257])
def test_webhook_mode_requires_a_proper_secret(secret: str | None) -> None:
    environ = {"BOT_WEBHOOK_URL": "https://bot.example.org/telegram"}
    if secret is not None:
        environ["BOT_WEBHOOK_SECRET"] = secret
    with pytest.raises(ConfigError, match="BOT_WEBHOOK_SECRET") as error:
        load_config(environ)
    assert "\n" not in str(error.value)
    assert load_config({**environ, "BOT_WEBHOOK_SECRET": SECRET}).webhook_secret == SECRET


async def test_run_refuses_to_start_a_webhook_without_a_secret() -> None:
    from tests.test_run_subprocess import bot_env, run_cli

    env = bot_env(
        TELEGRAM_BOT_TOKEN="123456:TEST-token",
        BOT_KNOWLEDGE_DIR=str(FIXTURE_KB),
        BOT_WEBHOOK_URL="https://bot.example.org/telegram",
    )
    code, _, err = await run_cli("run", env=env)
    assert code == 2
    assert err.count("\n") == 1 and "BOT_WEBHOOK_SECRET" in err and "Traceback" not in err

"""The bot's HTTP client (bot/telegram/transport.py) under a real python-telegram-bot Bot: what it sends reaches
the loopback Bot API as httpx would send it, and each failure becomes the error python-telegram-bot's own client
raises, with a cause the delivery engine can tell "never sent" from "maybe sent" by."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.reminders.delivery import certainly_not_sent
from bot.telegram.transport import AiohttpRequest
from tests.conftest import FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user, private_chat
from tests.support.harness import running_bot


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


def new_bot(server: FakeBotAPI, **options: float) -> Bot:
    return Bot(server.token, base_url=server.base_url, request=AiohttpRequest(**options))


@asynccontextmanager
async def raw_server(*, answer: bool) -> AsyncIterator[tuple[int, list[bytes]]]:
    """A bare HTTP server on loopback: (its port, each request received, head and body). With `answer` it replies
    to each with Telegram's `{"ok": true, "result": true}`; without, it reads nothing and never answers."""
    received: list[bytes] = []
    held: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        if not answer:
            return
        head = await reader.readuntil(b"\r\n\r\n")
        lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
        received.append(head + (await reader.readexactly(int(lengths[0])) if lengths else b""))
        body = b'{"ok":true,"result":true}'
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield listener.sockets[0].getsockname()[1], received
    finally:
        for writer in held:
            writer.close()
        listener.close()
        await listener.wait_closed()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends


async def test_a_message_with_html_and_buttons_arrives_as_sent(server: FakeBotAPI) -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    user = make_user(501, "Ada", "it")
    server.add_chat(private_chat(user))
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Sì è così & più", callback_data="a:1")]])
    async with new_bot(server) as bot:
        sent = await bot.send_message(
            user["id"], "<b>Scadenza</b>: 30 giugno &amp; oltre", "HTML", reply_markup=keyboard
        )
    assert sent.text == "Scadenza: 30 giugno & oltre"
    message = server.last_sent(user["id"])
    assert message["text"] == "Scadenza: 30 giugno & oltre"
    assert message["reply_markup"]["inline_keyboard"][0][0]["text"] == "Sì è così & più"
    call = server.calls_to("sendMessage")[-1]
    assert call.params["parse_mode"] == "HTML"


async def test_a_document_is_uploaded_with_its_name_and_bytes(server: FakeBotAPI) -> None:
    user = make_user(502, "Bea", "en")
    server.add_chat(private_chat(user))
    content = bytes(range(256)) * 40  # binary, not text: a workbook
    async with new_bot(server) as bot:
        await bot.send_document(
            user["id"], content, filename="knowledge €.xlsx", caption="<i>the export</i>", parse_mode="HTML"
        )
    assert server.documents_to(user["id"]) == [("knowledge €.xlsx", content)]
    assert server.last_sent(user["id"])["caption"] == "the export"


async def test_the_request_carries_python_telegram_bots_user_agent_and_a_form() -> None:
    async with raw_server(answer=True) as (port, received), AiohttpRequest() as request:
        data = RequestData([RequestParameter("text", "a & b = c", [])])
        assert await request.post(f"http://127.0.0.1:{port}/bot1:x/sendMessage", data) is True
    (sent,) = received
    assert f"User-Agent: {BaseRequest.USER_AGENT}".encode() in sent
    assert b"Content-Type: application/x-www-form-urlencoded" in sent
    assert sent.endswith(b"text=a+%26+b+%3D+c")


async def test_a_closed_port_is_a_network_error_that_was_never_sent() -> None:
    async with AiohttpRequest(connect_timeout=2) as request:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{closed_port()}/bot1:x/sendMessage", RequestData())
    assert certainly_not_sent(caught.value)


async def test_an_answer_that_never_comes_is_a_timeout_that_may_have_been_sent() -> None:
    async with raw_server(answer=False) as (port, _), AiohttpRequest(read_timeout=0.2) as request:
        with pytest.raises(TimedOut) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot1:x/sendMessage", RequestData())
    assert not certainly_not_sent(caught.value)


async def test_no_free_connection_in_time_is_a_timeout_that_was_never_sent(server: FakeBotAPI) -> None:
    server.delay("getMe", 1.0)
    url = f"{server.base_url}{server.token}/getMe"
    async with AiohttpRequest(connection_pool_size=1, pool_timeout=0.1) as request:
        busy = asyncio.ensure_future(request.post(url, RequestData()))
        await asyncio.sleep(0.05)  # the only connection is taken
        with pytest.raises(TimedOut) as caught:
            await request.post(url, RequestData())
        assert (await busy)["username"]
    assert certainly_not_sent(caught.value)
    assert len(server.calls_to("getMe")) == 1


async def test_a_dropped_connection_is_a_network_error_that_may_have_been_sent(server: FakeBotAPI) -> None:
    user = make_user(503, "Cy", "en")
    server.add_chat(private_chat(user))
    server.drop_connection("sendMessage")
    async with new_bot(server) as bot:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(user["id"], "hello")
    assert not certainly_not_sent(caught.value)
    assert server.texts_to(user["id"]) == ["hello"]  # Telegram did take it


async def test_the_explicit_timeouts_of_a_call_win_over_the_defaults() -> None:
    async with raw_server(answer=False) as (port, _), AiohttpRequest(read_timeout=30) as request:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getUpdates", RequestData(), read_timeout=0.2)
        assert asyncio.get_running_loop().time() - started < 5


async def test_it_refuses_to_work_before_initialize_and_after_shutdown() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.shutdown()  # twice is fine
    assert isinstance(request, BaseRequest)
    assert request.read_timeout == 5.0


async def test_the_bot_polls_and_answers_through_it(server: FakeBotAPI, tmp_path: Path) -> None:
    async with running_bot(server, tmp_path, knowledge_dir=FIXTURE_KB) as application:
        requests = {type(request) for request in application.bot._request}  # (getUpdates, every other call)
        user = make_user(504, "Di", "en")
        server.push_update(server.text_message(user, "What is the deadline?"))
        (reply,) = await server.wait_for_messages(user["id"], timeout=10)
    assert all(issubclass(kind, AiohttpRequest) for kind in requests)
    assert "31 December 2016" in reply["text"]


async def test_a_proxy_in_the_environment_is_used_as_with_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployments behind a proxy set HTTPS_PROXY / HTTP_PROXY, which python-telegram-bot's default client obeys."""
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with raw_server(answer=True) as (port, received):
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        async with AiohttpRequest() as request:
            assert await request.post("http://api.telegram.invalid/bot1:x/getMe", RequestData()) is True
    assert [sent.split(b"\r\n", 1)[0] for sent in received] == [
        b"POST http://api.telegram.invalid/bot1:x/getMe HTTP/1.1"
    ]


async def test_no_proxy_exempts_its_hosts(server: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")  # a proxy not there: using it would fail
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    async with new_bot(server) as bot:
        assert (await bot.get_me()).username

"""`python -m bot run` as a real process: configuration from the environment, start-up, an answer, token errors."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KB, ROOT
from tests.support.bot_api import FakeBotAPI, make_user

BOB = make_user(5151, "Bob", "en")


def bot_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(values)
    return env


async def start_bot_process(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    """`python -m bot run` in the background, its output captured."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


async def test_run_answers_through_the_configured_server(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        env = bot_env(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            BOT_DATABASE=str(tmp_path / "data" / "bot.sqlite3"),
            BOT_KNOWLEDGE_DIR=str(FIXTURE_KB),
            BOT_STAFF_IDS="1,2",
        )
        process = await start_bot_process(env, tmp_path)
        try:
            await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=30)
            api.push_update(api.text_message(BOB, "What is the deadline?"))
            (answer,) = await api.wait_for_messages(BOB["id"], timeout=15)
            assert "31 December 2016" in answer["text"]
            assert api.calls[0].method == "getMe" and api.calls_to("deleteWebhook")
            assert api.commands(language_code="it")
        finally:
            process.send_signal(signal.SIGINT)
            _, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, err.decode()
        assert (tmp_path / "data" / "bot.sqlite3").exists()
        assert api.token not in err.decode()


@pytest.mark.parametrize("token", ["", "garbage-token"])
async def test_missing_or_malformed_token_exits_2_without_traceback(token: str) -> None:
    code, _, err = await run_cli("run", env=bot_env(TELEGRAM_BOT_TOKEN=token, BOT_KNOWLEDGE_DIR=str(FIXTURE_KB)))
    assert code == 2
    assert "TELEGRAM_BOT_TOKEN" in err and "Traceback" not in err
    if token:
        assert token not in err


async def test_rejected_token_is_a_clear_error(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        env = bot_env(
            TELEGRAM_BOT_TOKEN="999999:WRONG-token",
            TELEGRAM_API_BASE_URL=api.base_url,
            BOT_DATABASE=str(tmp_path / "bot.sqlite3"),
            BOT_KNOWLEDGE_DIR=str(FIXTURE_KB),
        )
        code, _, err = await run_cli("run", env=env)
    assert code == 2
    assert "rejected" in err and "Traceback" not in err
    assert "WRONG-token" not in err


async def test_without_token_the_default_command_is_the_terminal_chat() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=bot_env(BOT_KNOWLEDGE_DIR=str(FIXTURE_KB)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(b"What is the deadline?\nexit\n"), timeout=60)
    assert process.returncode == 0
    assert "terminal chat" in out.decode() and "31 December 2016" in out.decode()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_mode_receives_updates(tmp_path: Path) -> None:
    import json
    from urllib.parse import urlparse

    import aiohttp

    port = _free_port()
    async with FakeBotAPI() as api:
        env = bot_env(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            BOT_DATABASE=str(tmp_path / "bot.sqlite3"),
            BOT_KNOWLEDGE_DIR=str(FIXTURE_KB),
            BOT_WEBHOOK_URL="https://bot.example.org/telegram",
            BOT_WEBHOOK_SECRET=(secret := "s3cret-value-long-enough"),
            PORT=str(port),
        )
        process = await start_bot_process(env, tmp_path)
        try:
            await api.wait_for(lambda s: s.calls_to("setWebhook"), timeout=30)
            registered = api.calls_to("setWebhook")[-1].params
            assert registered["url"].startswith("https://bot.example.org/telegram/")
            assert api.token not in registered["url"]  # the path is derived from the token, never the token itself
            path = urlparse(registered["url"]).path.rsplit("/", 1)[-1]
            update = {"update_id": 1, **api.text_message(BOB, "What is the deadline?")}
            async with aiohttp.ClientSession() as session:
                for _ in range(50):  # the webhook server may take a moment to listen
                    try:
                        async with session.post(
                            f"http://127.0.0.1:{port}/{path}",
                            data=json.dumps(update),
                            headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "wrong"},
                        ) as refused:
                            assert refused.status == 403
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.2)
                async with session.post(
                    f"http://127.0.0.1:{port}/{path}",
                    data=json.dumps(update),
                    headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
                ) as accepted:
                    assert accepted.status == 200
            (answer,) = await api.wait_for_messages(BOB["id"], timeout=15)
            assert "31 December 2016" in answer["text"]
            assert not api.calls_to("getUpdates")
        finally:
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.communicate(), timeout=30)

"""Operating the real `python -m bot run` process: start-up while Telegram is unreachable, quick clean stops on
SIGTERM/SIGINT, BOT_LOG_LEVEL, health (command and webhook endpoint), and backup/restore while it runs."""

import asyncio
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.storage import Storage
from tests.conftest import FIXTURE_KB, ROOT
from tests.support.bot_api import FakeBotAPI, make_user
from tests.test_run_subprocess import _free_port, bot_env, run_cli

BOB = make_user(5151, "Bob", "en")
QUICK_EXIT_SECONDS = 5.0


class BotProcess:
    """`python -m bot run` with its log lines collected as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path) -> "BotProcess":
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=cwd, env=env, stderr=asyncio.subprocess.PIPE
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            self.lines.append(raw.decode().rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, needle: str, count: int = 1, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if needle in line]
            if len(found) >= count:
                return found
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count} x {needle!r} not logged; log:\n{self.log}")

    async def stop(self, sig: int = signal.SIGTERM) -> float:
        """Send the signal; the seconds until the process exited."""
        started = time.monotonic()
        self.process.send_signal(sig)
        await asyncio.wait_for(self.process.wait(), timeout=60)
        await self._reader
        return time.monotonic() - started


def env_for(base_url: str, tmp_path: Path, token: str = "123456:TEST-token", **extra: str) -> dict[str, str]:
    return bot_env(
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=base_url,
        BOT_DATABASE=str(tmp_path / "data" / "bot.sqlite3"),
        BOT_KNOWLEDGE_DIR=str(FIXTURE_KB),
        **extra,
    )


# -- start-up while the Bot API is unreachable; stopping ---------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_unreachable_api_is_retried_one_line_at_a_time_and_a_signal_stops_it_at_once(
    tmp_path: Path, sig: int
) -> None:
    nobody = f"http://127.0.0.1:{_free_port()}/bot"  # nothing listens there: connection refused
    bot = await BotProcess.start(env_for(nobody, tmp_path), tmp_path)
    attempts = await bot.wait_for_line("Telegram Bot API not reachable", count=2, timeout=30)
    assert "attempt 1," in attempts[0] and "next try in 1 s" in attempts[0]
    assert "attempt 2," in attempts[1] and "next try in 2 s" in attempts[1]  # backing off
    seconds = await bot.stop(sig)
    assert bot.process.returncode == 0, bot.log
    assert seconds < QUICK_EXIT_SECONDS
    assert "Traceback" not in bot.log
    assert all(len(line) < 400 for line in bot.lines), bot.log


async def test_the_bot_starts_serving_once_the_api_comes_up(tmp_path: Path) -> None:
    port = _free_port()
    bot = await BotProcess.start(env_for(f"http://127.0.0.1:{port}/bot", tmp_path), tmp_path)
    await bot.wait_for_line("Telegram Bot API not reachable", timeout=30)
    async with FakeBotAPI(port=port) as api:
        api.push_update(api.text_message(BOB, "What is the deadline?"))
        (answer,) = await api.wait_for_messages(BOB["id"], timeout=30)
        assert "31 December 2016" in answer["text"]
        await bot.wait_for_line("Telegram reached after")
        seconds = await bot.stop()
    assert bot.process.returncode == 0 and seconds < QUICK_EXIT_SECONDS, bot.log
    assert "Traceback" not in bot.log


async def test_losing_the_api_while_polling_logs_one_line_per_retry_and_stops_quickly(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        bot = await BotProcess.start(env_for(api.base_url, tmp_path, token=api.token), tmp_path)
        await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=30)
        await api.stop()  # Telegram goes away while the bot polls
        # After five failures python-telegram-bot waits 7.6 s before the next try: the stop must not wait for it.
        await bot.wait_for_line("Telegram not reachable while polling", count=5, timeout=60)
        seconds = await bot.stop()
    assert bot.process.returncode == 0, bot.log
    assert seconds < QUICK_EXIT_SECONDS
    assert "Traceback" not in bot.log and api.token not in bot.log


async def test_a_running_bot_stops_within_seconds_of_sigterm(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        bot = await BotProcess.start(env_for(api.base_url, tmp_path, token=api.token), tmp_path)
        await bot.wait_for_line("bot running (polling mode)")
        api.push_update(api.text_message(BOB, "What is the deadline?"))
        await api.wait_for_messages(BOB["id"], timeout=30)
        seconds = await bot.stop()
    assert bot.process.returncode == 0 and seconds < QUICK_EXIT_SECONDS, bot.log
    assert bot.lines[-1].endswith("stopped")


# -- log level ---------------------------------------------------------------------------------------------------


async def test_bot_log_level(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        quiet = await BotProcess.start(
            env_for(api.base_url, tmp_path, token=api.token, BOT_LOG_LEVEL="warning"), tmp_path
        )
        await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=30)
        await quiet.stop()
        assert quiet.process.returncode == 0 and quiet.lines == [], quiet.log
        api.clear_calls()
        chatty = await BotProcess.start(
            env_for(api.base_url, tmp_path, token=api.token, BOT_LOG_LEVEL="DEBUG"), tmp_path
        )
        await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=30)
        await chatty.stop()
    assert any(" DEBUG telegram" in line for line in chatty.lines), chatty.log  # the library's debug too
    assert api.token not in chatty.log
    code, _, err = await run_cli("run", env=env_for(api.base_url, tmp_path, BOT_LOG_LEVEL="loud"))
    assert code == 2 and "BOT_LOG_LEVEL" in err


# -- health ------------------------------------------------------------------------------------------------------


async def test_health_command_follows_the_polling_bot(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        env = env_for(api.base_url, tmp_path, token=api.token)
        code, out, _ = await run_cli("health", env=env)
        assert code == 1 and out.startswith("unhealthy: no heartbeat")
        bot = await BotProcess.start(env, tmp_path)
        await bot.wait_for_line("bot running")
        code, out, _ = await run_cli("health", env=env)
        assert code == 0 and out.startswith("healthy: polling"), out
        await bot.stop()
    code, out, _ = await run_cli("health", env=env)
    assert code == 1, out  # a clean stop is not a healthy bot


async def test_webhook_mode_serves_health_on_the_same_port(tmp_path: Path) -> None:
    port = _free_port()
    async with FakeBotAPI() as api:
        env = env_for(
            api.base_url,
            tmp_path,
            token=api.token,
            BOT_WEBHOOK_URL="https://bot.example.org/hook",
            BOT_WEBHOOK_SECRET="a-secret-of-sixteen-or-more",
            PORT=str(port),
        )
        bot = await BotProcess.start(env, tmp_path)
        await bot.wait_for_line("bot running (webhook mode)")
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/health") as response:
            assert response.status == 200
            body = await response.json()
        assert body["healthy"] is True and body["status"].startswith("healthy: webhook")
        await bot.stop()
    assert bot.process.returncode == 0, bot.log


# -- backup and restore ------------------------------------------------------------------------------------------


async def test_backup_while_running_then_restore(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    backup = tmp_path / "backups" / "bot-backup.sqlite3"
    async with FakeBotAPI() as api:
        env = env_for(api.base_url, tmp_path, token=api.token)
        bot = await BotProcess.start(env, tmp_path)
        await bot.wait_for_line("bot running")
        for number in range(3):
            api.push_update(api.text_message(BOB, f"is there a ferry to island number {number}?"))
        await api.wait_for_messages(BOB["id"], count=3, timeout=30)
        code, out, err = await run_cli("backup", str(backup), env=env)  # online: the bot keeps running
        assert code == 0, err
        assert "backed up" in out and backup.is_file()
        code, _, err = await run_cli("backup", str(backup), env=env)
        assert code == 1 and "already exists" in err  # never overwrites an older backup
        code, _, err = await run_cli("restore", str(backup), env=env)
        assert code == 1 and "stop it first" in err  # restoring under a running bot is refused
        await bot.stop()

    async with await Storage.open(database) as storage:  # later questions, to be undone by the restore
        await storage.forget_user(BOB["id"])
        assert await storage.unanswered_questions() == []
    code, out, err = await run_cli("restore", str(backup), env=env)
    assert code == 0, err
    async with await Storage.open(database) as storage:
        texts = sorted(row.text for row in await storage.unanswered_questions())
    assert texts == [f"is there a ferry to island number {n}?" for n in range(3)]


async def test_restore_refuses_a_file_that_is_not_a_bot_database(tmp_path: Path) -> None:
    junk = tmp_path / "notes.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    env = env_for("http://127.0.0.1:9/bot", tmp_path)
    code, _, err = await run_cli("restore", str(junk), env=env)
    assert code == 1 and "database error" in err and "Traceback" not in err
    assert not (tmp_path / "data" / "bot.sqlite3").exists()


def test_the_readme_documents_backup_and_restore() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "backup FILE" in readme or "backup /" in readme
    assert "restore" in readme

"""The database file deleted under the running bot: writes fail loudly, the log says so, staff are told once."""

import asyncio
import logging
import os
from pathlib import Path

import pytest

from bot.storage import DatabaseFileGoneError, Storage
from bot.telegram.staff import database
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import running_bot, services

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

BOB = make_user(5151, "Bob", "en")
STAFF = make_user(1001, "Stella", "it")


async def reply(api: FakeBotAPI, text: str) -> str:
    before = len(api.messages_to(BOB["id"]))
    api.push_update(api.text_message(BOB, text))
    await api.wait_for_messages(BOB["id"], count=before + 1)
    return api.texts_to(BOB["id"])[before]


def delete_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def test_a_deleted_database_is_reported_and_writes_fail_loudly(
    api: FakeBotAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(database, "CHECK_SECONDS", 0.2)
    async with running_bot(
        api, tmp_path, knowledge_dir=FIXTURE_KB, staff_ids=frozenset({STAFF["id"]}), clock=lambda: FIXED_NOW
    ) as bot:
        database.start_database_watch(bot)  # what post_init starts with the application (the harness skips it)
        assert (await reply(api, "/subscribe")).startswith("🔔")
        assert (await reply(api, "/unsubscribe")).startswith("🔕")
        path = services(bot).config.database
        with caplog.at_level(logging.ERROR):
            delete_database(path)
            answer = await reply(api, "/subscribe")
            assert "went wrong" in answer  # not "subscribed": it would be lost at the next start
            assert "31 December 2016" in await reply(api, "What is the deadline?")  # answers go on
            (note,) = await api.wait_for_messages(STAFF["id"], timeout=5)
        assert "Il file del database" in note["text"] and str(path) in note["text"]
        assert any("DATABASE FILE GONE" in r.getMessage() for r in caplog.records)
        assert any("DATABASE FAILURE" in r.getMessage() for r in caplog.records)
        await asyncio.sleep(0.6)
        assert len(api.messages_to(STAFF["id"])) == 1  # told once


async def test_a_replaced_database_file_is_not_written_either(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with await Storage.open(path) as storage:
        await storage.touch_user(1, "it", FIXED_NOW)
        os.replace(await _copy_of(path, tmp_path), path)  # e.g. a restore over the live file
        assert storage.file_problem() is not None
        with pytest.raises(DatabaseFileGoneError, match="replaced"):
            await storage.touch_user(2, "it", FIXED_NOW)


async def _copy_of(path: Path, folder: Path) -> Path:
    copy = folder / "copy.sqlite3"
    async with await Storage.open(copy):
        pass
    return copy

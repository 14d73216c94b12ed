"""Faults around the bot: the Bot API going away, a read-only or locked database, the knowledge folder vanishing."""

import asyncio
import datetime as dt
import logging
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from bot.storage import Storage
from bot.telegram.app import STORAGE_BUSY_TIMEOUT_MS, build_application
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import config_for, running_bot, services

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

BOB = make_user(5151, "Bob", "en")
STAFF = make_user(1001, "Stella", "it")


async def ask(api: FakeBotAPI, text: str, timeout: float = 5.0) -> dict:
    before = len(api.messages_to(BOB["id"]))
    api.push_update(api.text_message(BOB, text))
    await api.wait_for_messages(BOB["id"], count=before + 1, timeout=timeout)
    return api.sent_messages(BOB["id"])[before]


async def test_bot_api_going_away_and_coming_back(tmp_path: Path) -> None:
    async with FakeBotAPI() as api, running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB):
        assert "31 December 2016" in (await ask(api, "What is the deadline?"))["text"]
        await api.stop()
        await asyncio.sleep(1.0)  # the bot's polling fails meanwhile and keeps retrying
        await api.start()
        api.push_update(api.text_message(BOB, "Who can take part?"))  # arrived while the bot reconnects
        await api.wait_for(lambda s: any("science parks" in t for t in s.texts_to(BOB["id"])), timeout=20)


async def test_read_only_database_keeps_answers_flowing_and_logs_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with await Storage.open(database):
        pass  # create and migrate the file
    async with FakeBotAPI() as api:
        config = config_for(api, tmp_path, knowledge_dir=FIXTURE_KB)
        storage = await Storage.open(database, read_only=True)
        application = build_application(config, storage, clock=lambda: FIXED_NOW)
        await application.initialize()
        await application.start()
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            with caplog.at_level(logging.ERROR):
                reply = await ask(api, "What is the deadline?")
                unknown = await ask(api, "what's the price of bitcoin")
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
            await storage.close()
    assert "31 December 2016" in reply["text"]
    assert unknown["text"].startswith("I don't know the answer to that yet")
    assert any("DATABASE FAILURE" in r.getMessage() for r in caplog.records)


async def test_locked_database_keeps_answers_flowing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with (
        FakeBotAPI() as api,
        running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, busy_timeout_ms=STORAGE_BUSY_TIMEOUT_MS) as application,
    ):
        storage = services(application).storage
        blocker = sqlite3.connect(storage.path, timeout=0.1)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            with caplog.at_level(logging.ERROR):
                asked = time.monotonic()
                reply = await ask(api, "What is the deadline?", timeout=30)
                # the answer does not wait for the database: its statistics are queued
                assert time.monotonic() - asked < STORAGE_BUSY_TIMEOUT_MS / 1000 / 2
                unknown = await ask(api, "what's the price of bitcoin", timeout=30)  # what staff see is waited for
                failures = [r.getMessage() for r in caplog.records if "DATABASE FAILURE" in r.getMessage()]
        finally:
            blocker.rollback()
            blocker.close()
        assert "31 December 2016" in reply["text"]
        assert unknown["text"].startswith("I don't know the answer to that yet")
        assert any("queued writes could not be committed" in f and "locked" in f for f in failures)
        assert any("log the question" in f for f in failures)  # the unknown question's own
        assert "science parks" in (await ask(api, "Who can take part?"))["text"]  # and it recovers
        now = dt.datetime.now(dt.UTC)
        stats = await storage.question_stats(now - dt.timedelta(days=1), now + dt.timedelta(days=1))
        assert stats.by_outcome == {"answer": 1, "suggest": 0, "unknown": 0}  # the two asked while locked are lost


async def test_knowledge_folder_disappearing_keeps_the_last_version(tmp_path: Path) -> None:
    knowledge = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, knowledge)
    async with (
        FakeBotAPI() as api,
        running_bot(
            api, tmp_path, knowledge_dir=knowledge, staff_ids=frozenset({STAFF["id"]}), knowledge_check_seconds=0.2
        ),
    ):
        shutil.rmtree(knowledge)
        await api.wait_for_messages(STAFF["id"], timeout=5)
        warning = api.sent_messages(STAFF["id"])[0]["text"]
        assert "cartella della base di conoscenza non trovata" in warning  # staff read Italian unless they chose
        assert "31 December 2016" in (await ask(api, "What is the deadline?"))["text"]
        shutil.copytree(FIXTURE_KB, knowledge)  # restored: picked up again silently
        await asyncio.sleep(0.6)
        assert len(api.sent_messages(STAFF["id"])) == 1

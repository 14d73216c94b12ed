"""What each question costs, through Telegram's eyes: "typing..." only for a reply slow to come, the question log
committed in batches, and still nothing lost that a user was told about, even when the process is killed."""

import asyncio
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from bot.storage import base as storage_base
from bot.telegram import sending
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import running_bot, services
from tests.test_run_subprocess import bot_env, start_bot_process

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

BOB = make_user(5151, "Bob", "en")
ANSWERED = "What is the deadline?"
UNKNOWN = "what's the price of bitcoin"


async def ask(api: FakeBotAPI, user: dict, text: str, timeout: float = 10.0) -> dict:
    before = len(api.messages_to(user["id"]))
    api.push_update(api.text_message(user, text))
    await api.wait_for_messages(user["id"], count=before + 1, timeout=timeout)
    return api.sent_messages(user["id"])[before]


def typing_calls(api: FakeBotAPI, chat_id: int) -> list[float]:
    return [c.at for c in api.calls_to("sendChatAction") if c.params["chat_id"] == chat_id]


def reply_at(api: FakeBotAPI, chat_id: int) -> float:
    return next(c.at for c in reversed(api.calls_to("sendMessage")) if c.params["chat_id"] == chat_id)


def locked_for(path: Path, seconds: float) -> sqlite3.Connection:
    """Another process holding the database's write lock for `seconds`."""
    blocker = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    asyncio.get_running_loop().call_later(seconds, blocker.execute, "ROLLBACK")
    return blocker


async def test_answers_ready_at_once_are_sent_without_typing(api: FakeBotAPI, tmp_path: Path) -> None:
    async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW):
        for text in (ANSWERED, UNKNOWN, "Who can take part?", "ciao"):
            await ask(api, BOB, text)
        await asyncio.sleep(0.3)
    assert api.calls_to("sendChatAction") == []
    assert len(api.messages_to(BOB["id"])) == 4


async def test_a_reply_slow_to_come_shows_typing_until_it_is_sent(
    api: FakeBotAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unanswered question waits for its place in the staff log; here the database is locked for a while."""
    monkeypatch.setattr(sending, "TYPING_AFTER_SECONDS", 0.2)
    monkeypatch.setattr(sending, "TYPING_REPEAT_SECONDS", 0.3)
    async with running_bot(
        api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW, busy_timeout_ms=5000
    ) as application:
        storage = services(application).storage
        with closing(locked_for(storage.path, 1.3)):
            answer = await ask(api, BOB, ANSWERED)  # its statistics are queued: it does not wait
            assert typing_calls(api, BOB["id"]) == []
            unknown = await ask(api, BOB, UNKNOWN)
            await asyncio.sleep(0.8)  # nothing comes after the reply
    assert "31 December 2016" in answer["text"] and unknown["text"].startswith("I don't know the answer")
    typing = typing_calls(api, BOB["id"])
    assert 2 <= len(typing) <= 5, typing  # after 0.2 s, then every 0.3 s, for the ~1.3 s the lock lasted
    assert all(at < reply_at(api, BOB["id"]) for at in typing)
    assert {c.params["action"] for c in api.calls_to("sendChatAction")} == {"typing"}
    assert [q.text for q in await _unanswered(tmp_path)] == [UNKNOWN]  # and it was logged before the reply


async def test_a_typing_status_stuck_on_its_way_does_not_hold_the_answer(
    api: FakeBotAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "TYPING_AFTER_SECONDS", 0.1)
    api.delay("sendChatAction", 30.0)  # Telegram never answers it in time
    async with running_bot(
        api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW, busy_timeout_ms=5000
    ) as application:
        with closing(locked_for(services(application).storage.path, 0.4)):
            asked = time.monotonic()
            await ask(api, BOB, UNKNOWN)
            waited = time.monotonic() - asked
    assert len(api.calls_to("sendChatAction")) == 1
    assert waited < 0.4 + sending.TYPING_STOP_WAIT_SECONDS + 1.0


async def _unanswered(tmp_path: Path) -> list:
    from bot.storage import Storage

    async with await Storage.open(tmp_path / "bot.sqlite3", read_only=True) as storage:
        return await storage.unanswered_questions()


# -- the real process: killed, or stopped -----------------------------------------------------------------------


def on_disk(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


async def ask_many(api: FakeBotAPI, questions: dict[int, str]) -> dict[int, dict]:
    """One question from each of several new users at once; their replies."""
    users = {user_id: make_user(user_id, f"User {user_id}", "en") for user_id in questions}
    for user_id, text in questions.items():
        api.push_update(api.text_message(users[user_id], text))
    for user_id in questions:
        await api.wait_for_messages(user_id, timeout=30)
    return {user_id: api.sent_messages(user_id)[0] for user_id in questions}


def answered(reply: dict) -> bool:
    return "31 December 2016" in reply["text"]


async def polling_bot_process(api: FakeBotAPI, database: Path, tmp_path: Path) -> asyncio.subprocess.Process:
    """The real `python -m bot run` against `api`, once it polls."""
    env = bot_env(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        BOT_DATABASE=str(database),
        BOT_KNOWLEDGE_DIR=str(FIXTURE_KB),
    )
    process = await start_bot_process(env, tmp_path)
    await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=60)
    return process


async def test_a_killed_process_keeps_every_question_it_told_staff_about(tmp_path: Path) -> None:
    """SIGKILL right after the replies: every question the users were told was passed on is in the database, and
    of the rest (statistics, visits) only what was queued in the last QUEUE_SECONDS can be missing."""
    database = tmp_path / "data" / "bot.sqlite3"
    async with FakeBotAPI() as api:
        process = await polling_bot_process(api, database, tmp_path)
        try:
            early = await ask_many(api, {7000 + i: ANSWERED if i % 2 else f"{UNKNOWN} {i}" for i in range(20)})
            await asyncio.sleep(storage_base.QUEUE_SECONDS + 1.0)
            late = await ask_many(api, {8000 + i: ANSWERED if i % 2 else f"{UNKNOWN} {i}" for i in range(20)})
        finally:
            process.kill()
            await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == -signal.SIGKILL
    replies = {**early, **late}
    assert sum(map(answered, replies.values())) == 20
    told = {(user_id, f"{UNKNOWN} {user_id % 1000}") for user_id, reply in replies.items() if not answered(reply)}
    assert set(on_disk(database, "SELECT user_id, text FROM unanswered")) == told  # the late ones too
    assert {user_id for (user_id,) in on_disk(database, "SELECT user_id FROM users")} >= set(early)
    (logged,) = on_disk(database, "SELECT COUNT(*) FROM questions_log")[0]
    assert 30 <= logged <= 40  # all 20 early ones and the 10 late unanswered; the 10 late answered may be missing


async def test_a_stopped_process_commits_what_it_had_queued(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    async with FakeBotAPI() as api:
        process = await polling_bot_process(api, database, tmp_path)
        try:
            replies = await ask_many(api, {9000 + i: ANSWERED for i in range(30)})
        finally:
            process.send_signal(signal.SIGTERM)  # at once: the queued writes are not committed yet
            _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert all(map(answered, replies.values()))
    assert on_disk(database, "SELECT COUNT(*) FROM questions_log") == [(30,)]
    assert len(on_disk(database, "SELECT user_id FROM users")) == 30


async def test_a_killed_process_keeps_every_vote_it_thanked_for(tmp_path: Path) -> None:
    """A 👍 is committed (with whatever else is queued) before the user is thanked: killed right after the thanks,
    the process has every vote on disk."""
    database = tmp_path / "data" / "bot.sqlite3"
    async with FakeBotAPI() as api:
        process = await polling_bot_process(api, database, tmp_path)
        try:
            replies = await ask_many(api, {6000 + i: ANSWERED for i in range(12)})
            for user_id, reply in replies.items():
                (thumbs_up,) = [
                    button["callback_data"]
                    for row in reply["reply_markup"]["inline_keyboard"]
                    for button in row
                    if button["text"] == "👍"
                ]
                api.push_update(api.callback_query(make_user(user_id, f"User {user_id}", "en"), thumbs_up, reply))
            await api.wait_for_calls("answerCallbackQuery", count=len(replies), timeout=30)
        finally:
            process.kill()
            await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == -signal.SIGKILL
    thanked = {call.params["callback_query_id"] for call in api.calls_to("answerCallbackQuery") if call.ok}
    assert len(thanked) == len(replies)
    votes = on_disk(database, "SELECT user_id, vote FROM feedback ORDER BY user_id")
    assert votes == [(user_id, 1) for user_id in sorted(replies)]

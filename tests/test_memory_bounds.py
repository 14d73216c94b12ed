"""Memory bounded by design: nothing kept per user unless used, maps capped in bytes, only the analysed text kept.

The figures (RSS of the real process after 20,000 new users and after 10,000 long questions) come from
benchmarks/memory.py; these tests pin the mechanisms.
"""

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.matching.text import MAX_ANALYSED_CHARS
from bot.telegram.context import EarlierQuestions, RecentQuestions, RecentUsers
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import running_bot, services

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

LONG_QUESTION = "What is the deadline? " + "please " * 580  # 4,082 characters, answered


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path):
    async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW) as application:
        yield application


async def test_python_telegram_bot_keeps_nothing_per_user(api: FakeBotAPI, bot) -> None:
    users = [make_user(700_000 + n, f"U{n}", "en") for n in range(300)]
    for user in users:
        api.push_update(api.text_message(user, "What is the deadline?"))
        api.push_update(api.command(user, "/lang"))
    await api.wait_for(lambda s: all(len(s.messages_to(u["id"])) == 2 for u in users), timeout=30)
    assert len(bot.user_data) == 0 and len(bot.chat_data) == 0  # was one dict per user, never freed
    assert not bot._user_ids_to_be_updated_in_persistence  # python-telegram-bot's own sets, without persistence
    assert not bot._chat_ids_to_be_updated_in_persistence
    assert len(services(bot).users) == 300  # the bot's own cache of the users' choices, bounded


async def test_a_language_choice_survives_being_forgotten_by_the_cache(api: FakeBotAPI, bot) -> None:
    ada = make_user(4242, "Ada", "it")
    services(bot).users = RecentUsers(capacity=5)
    api.push_update(api.command(ada, "/lang"))
    await api.wait_for_messages(ada["id"])
    api.push_update(api.callback_query(ada, "l:en", api.last_sent(ada["id"])))
    await api.wait_for_calls("answerCallbackQuery")
    others = [make_user(800_000 + n, f"U{n}", "it") for n in range(10)]
    for user in others:  # push Ada out of the cache
        api.push_update(api.command(user, "/help"))
    await api.wait_for(lambda s: all(s.messages_to(u["id"]) for u in others), timeout=10)
    before = len(api.messages_to(ada["id"]))
    api.push_update(api.command(ada, "/help"))
    await api.wait_for_messages(ada["id"], count=before + 1)
    assert api.texts_to(ada["id"])[-1].startswith("Ask me anything")  # English, as chosen: read again from the database


async def test_feedback_keeps_only_the_analysed_text_of_a_long_question(api: FakeBotAPI, bot) -> None:
    ada = make_user(4242, "Ada", "en")
    api.push_update(api.text_message(ada, LONG_QUESTION))
    (answer,) = await api.wait_for_messages(ada["id"])
    assert "31 December 2016" in answer["text"]
    api.push_update(api.callback_query(ada, "f:-:deadline", api.last_sent(ada["id"])))
    await api.wait_for_calls("answerCallbackQuery")
    await asyncio.sleep(0.1)
    (vote,) = await services(bot).storage.negative_feedback(limit=5)
    assert vote.question == LONG_QUESTION[:MAX_ANALYSED_CHARS]


def test_recent_questions_are_capped_in_bytes() -> None:
    recent = RecentQuestions(max_bytes=1024 * 1024)
    for n in range(10_000):
        recent.remember(1, n, LONG_QUESTION)
    assert recent.bytes <= 1024 * 1024
    assert 500 < len(recent) < 1000  # about a thousand bytes each: the newest ones
    assert recent.get(1, 9_999) == LONG_QUESTION[:MAX_ANALYSED_CHARS]
    assert recent.get(1, 0) == ""


def test_recent_users_forget_the_least_recently_seen() -> None:
    users = RecentUsers(capacity=3)
    users.of(1)["lang"] = "en"
    users.of(2)
    users.of(3)
    users.of(1)  # seen again: now the most recent
    users.of(4)
    assert len(users) == 3
    assert users.of(1) == {"lang": "en"}
    assert users.of(2) == {}  # forgotten, starts empty


def test_earlier_questions_are_capped_in_bytes_and_kept_a_few_minutes() -> None:
    earlier = EarlierQuestions(ttl=dt.timedelta(minutes=15), max_bytes=1024 * 1024)
    for n in range(10_000):
        earlier.remember(1, n, LONG_QUESTION, FIXED_NOW)
    assert 500 < len(earlier) < 1000
    assert earlier.get(1, 9_999, FIXED_NOW) == LONG_QUESTION[:MAX_ANALYSED_CHARS]
    assert earlier.get(1, 0, FIXED_NOW) == ""  # pushed out by newer ones
    earlier.forget_user(9_999)
    assert earlier.get(1, 9_999, FIXED_NOW) == ""
    assert earlier.get(1, 9_998, FIXED_NOW + dt.timedelta(minutes=16)) == ""  # too long ago
    assert len(earlier) == 0  # and dropped, not only hidden

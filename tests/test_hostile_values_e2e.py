"""Values no real Telegram client sends, which a forged update can: each gets an ordinary answer, nothing breaks."""

import logging
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import running_bot, services

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

STAFF = make_user(1001, "Stella", "it")
APOLOGY = "qualcosa è andato storto"


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path):
    async with running_bot(
        api, tmp_path, knowledge_dir=FIXTURE_KB, staff_ids=frozenset({STAFF["id"]}), clock=lambda: FIXED_NOW
    ) as application:
        yield application


async def reply(api: FakeBotAPI, user: dict, update: dict) -> str:
    before = len(api.messages_to(user["id"]))
    api.push_update(update)
    await api.wait_for_messages(user["id"], count=before + 1)
    return api.texts_to(user["id"])[before]


@pytest.mark.parametrize("user_id", [2**63, 2**63 + 12345, 2**64 - 1])
async def test_a_user_id_beyond_sqlite_integers_gets_an_answer(
    api: FakeBotAPI, bot, user_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user(user_id, "Huge", "en")
    with caplog.at_level(logging.WARNING):
        answer = await reply(api, user, api.text_message(user, "What is the deadline?"))
        unknown = await reply(api, user, api.text_message(user, "what's the price of bitcoin"))
        subscribe = await reply(api, user, api.command(user, "/subscribe"))
    assert "31 December 2016" in answer
    assert unknown.startswith("I don't know")
    assert "went wrong" in subscribe  # it cannot be stored, and the user is not told it was
    assert not [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], OverflowError)]
    assert not any("error while handling an update" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("argument", ["²", "³", "٣", "7²", "１"])
async def test_stats_with_digits_that_are_not_ascii_gets_the_usage(api: FakeBotAPI, bot, argument: str) -> None:
    text = await reply(api, STAFF, api.command(STAFF, "/stats", args=argument))
    assert text.startswith("Uso: /stats") and APOLOGY not in text


async def test_a_thousand_character_language_code_is_not_stored(api: FakeBotAPI, bot) -> None:
    user = make_user(7001, "Long", "x" * 1000)
    assert "31 December 2016" in await reply(api, user, api.text_message(user, "What is the deadline?"))
    stored = await services(bot).storage.get_user(user["id"])
    assert stored is not None and stored.telegram_lang is None
    regional = make_user(7002, "Reg", "pt-br")
    await reply(api, regional, api.text_message(regional, "What is the deadline?"))
    assert (await services(bot).storage.get_user(regional["id"])).telegram_lang == "pt-br"

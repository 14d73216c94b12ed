"""Interactive replies reach the user at most once: no blind resend when Telegram may already have taken a request."""

import asyncio
from pathlib import Path

import pytest

from bot.telegram import sending
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import running_bot

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

BOB = make_user(5151, "Bob", "en")


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sending, "REPLY_READ_TIMEOUT", 0.4)
    async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW) as application:
        yield application


async def settle(api: FakeBotAPI, seconds: float) -> list[str]:
    """Whatever the bot would still resend arrives within a few seconds of backing off."""
    await api.wait_for_messages(BOB["id"])
    await asyncio.sleep(seconds)
    return api.texts_to(BOB["id"])


@pytest.mark.parametrize("late_answers", [1, 3])
async def test_an_answer_that_came_too_late_is_not_sent_again(api: FakeBotAPI, bot, late_answers: int) -> None:
    api.answer_late("sendMessage", 1.0, times=late_answers)
    api.push_update(api.text_message(BOB, "What is the deadline?"))
    texts = await settle(api, 3.0)
    assert len(texts) == 1 and "31 December 2016" in texts[0]  # one copy, and no apology after it


async def test_a_dropped_connection_after_the_send_does_not_duplicate_it(api: FakeBotAPI, bot) -> None:
    api.drop_connection("sendMessage", times=2)
    api.push_update(api.text_message(BOB, "What is the deadline?"))
    texts = await settle(api, 2.0)
    assert len(texts) == 1 and "31 December 2016" in texts[0]


async def test_a_request_that_never_reached_telegram_is_sent_again(api: FakeBotAPI, bot) -> None:
    api.fail_next("sendMessage", status=502, times=2)  # Telegram's gateway refused it: certainly not sent
    api.push_update(api.text_message(BOB, "What is the deadline?"))
    texts = await settle(api, 0.5)
    assert len(texts) == 1 and "31 December 2016" in texts[0]
    assert len(api.calls_to("sendMessage")) == 3

"""Users' data rights (/privacy, /mydata, /forget, retention) and per-user flood control."""

import asyncio
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.telegram.privacy import apply_retention
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, group_chat, make_user
from tests.support.harness import running_bot, services

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

ADA = make_user(4242, "Ada", "it")
BOB = make_user(5151, "Bob", "en")


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path):
    async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW) as application:
        yield application


async def next_reply(api: FakeBotAPI, user: dict, update: dict) -> dict:
    before = len(api.messages_to(user["id"]))
    api.push_update(update)
    await api.wait_for_messages(user["id"], count=before + 1)
    return api.sent_messages(user["id"])[before]


# -- flood control (end to end) ----------------------------------------------------------------------------------


async def test_flooding_user_gets_one_slow_down_and_others_are_served(api: FakeBotAPI, bot) -> None:
    for number in range(20):
        api.push_update(api.text_message(ADA, f"domanda numero {number} sul meteo"))
    reply = await next_reply(api, BOB, api.text_message(BOB, "What is the deadline?"))
    assert "31 December 2016" in reply["text"]
    await api.wait_for(lambda s: any("molto velocemente" in t for t in s.texts_to(ADA["id"])))
    await asyncio.sleep(0.3)
    texts = api.texts_to(ADA["id"])
    assert sum("molto velocemente" in t for t in texts) == 1
    assert len(texts) == 9  # the burst of 8 answered, then one warning, then silence
    logged = await services(bot).storage.unanswered_questions()
    assert len(logged) == 8  # the flood itself is not logged


async def test_group_chatter_does_not_count_against_anyone(api: FakeBotAPI, bot) -> None:
    group = group_chat(-100500, "Busy group")
    for number in range(30):
        api.push_update(api.text_message(ADA, f"chiacchiere {number}", chat=group))
    api.push_update(api.mention_message(ADA, group, "chi può partecipare?"))
    (reply,) = await api.wait_for_messages(group["id"])
    assert reply["text"].startswith("Possono partecipare")


# -- privacy -----------------------------------------------------------------------------------------------------


async def test_privacy_explains_what_is_kept_and_for_how_long(api: FakeBotAPI, bot) -> None:
    reply = await next_reply(api, ADA, api.command(ADA, "/privacy"))
    assert "Cosa conservo su di te" in reply["text"]
    assert "Dopo 90 giorni" in reply["text"] and "/forget" in reply["text"]


async def test_mydata_shows_what_is_stored(api: FakeBotAPI, bot) -> None:
    await next_reply(api, ADA, api.text_message(ADA, "quanto costa il biglietto del treno?"))
    reply = await next_reply(api, ADA, api.command(ADA, "/mydata"))
    assert reply["text"].startswith("Tutto ciò che è conservato su di te:")
    assert "quanto costa il biglietto del treno?" in reply["text"] and "Id utente Telegram: 4242" in reply["text"]


async def test_forget_deletes_after_confirmation(api: FakeBotAPI, bot) -> None:
    await next_reply(api, ADA, api.text_message(ADA, "quanto costa il biglietto del treno?"))
    storage = services(bot).storage
    question = await next_reply(api, ADA, api.command(ADA, "/forget"))
    assert [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row] == [
        "🗑 Sì, cancella i miei dati",
        "Annulla",
    ]
    api.push_update(api.callback_query(ADA, "p:keep", api.last_sent(ADA["id"])))
    await api.wait_for(lambda s: s.calls_to("editMessageText"))
    assert api.last_sent(ADA["id"])["text"] == "Non è stato cancellato nulla."
    assert await storage.get_user(ADA["id"]) is not None

    await next_reply(api, ADA, api.command(ADA, "/forget"))
    api.push_update(api.callback_query(ADA, "p:forget", api.last_sent(ADA["id"])))
    await api.wait_for(lambda s: len(s.calls_to("editMessageText")) >= 2)
    assert api.last_sent(ADA["id"])["text"].startswith("Fatto:")
    assert await storage.get_user(ADA["id"]) is None
    assert await storage.unanswered_questions() == []


async def test_retention_removes_user_ids_from_old_questions(api: FakeBotAPI, bot) -> None:
    storage = services(bot).storage
    old = FIXED_NOW - dt.timedelta(days=120)
    old_id = await storage.log_question(
        user_id=ADA["id"],
        text="vecchia domanda",
        lang="it",
        outcome="unknown",
        entry_id=None,
        score=0.0,
        candidates=[],
        now=old,
    )
    recent_id = await storage.log_question(
        user_id=ADA["id"],
        text="domanda recente",
        lang="it",
        outcome="unknown",
        entry_id=None,
        score=0.0,
        candidates=[],
        now=FIXED_NOW,
    )
    await storage.request_answer(ADA["id"], old_id, "it", old)  # 🔔 pressed long ago, never answered
    await storage.request_answer(ADA["id"], recent_id, "it", FIXED_NOW)
    await apply_retention(SimpleNamespace(services=services(bot)))  # what the daily job runs
    rows = {row.text: row.user_id for row in await storage.unanswered_questions()}
    assert rows == {"vecchia domanda": None, "domanda recente": ADA["id"]}
    waiting = await storage.answer_requests_for([old_id, recent_id])
    assert [(r.user_id, r.unanswered_id) for r in waiting] == [(ADA["id"], recent_id)]

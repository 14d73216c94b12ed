"""Staff output only in private chats: in a group, a short note and a link that runs the command privately."""

import asyncio
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, group_chat, make_user
from tests.support.harness import running_bot, services

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

STAFF = make_user(1001, "Stella", "it")
USER = make_user(2002, "Ugo", "it")
GROUP = group_chat(-100777, "Cluster pugliesi")
SECRET_QUESTION = "posso candidare la mia azienda di Lecce con il fatturato di 3 milioni?"
INVALID_BUTTON = "Questo pulsante non è più valido."


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path):
    async with running_bot(
        api, tmp_path, knowledge_dir=FIXTURE_KB, staff_ids=frozenset({STAFF["id"]}), clock=lambda: FIXED_NOW
    ) as application:
        await application.bot_data["services"].storage.log_question(
            user_id=USER["id"],
            text=SECRET_QUESTION,
            lang="it",
            outcome="unknown",
            entry_id=None,
            score=0.0,
            candidates=[],
            now=FIXED_NOW,
        )
        yield application


async def reply_in(api: FakeBotAPI, chat_id: int, update: dict) -> dict:
    before = len(api.messages_to(chat_id))
    api.push_update(update)
    await api.wait_for_messages(chat_id, count=before + 1)
    return api.sent_messages(chat_id)[before]


def link_of(message: dict) -> str:
    (link,) = [e["url"] for e in message.get("entities", []) if e["type"] == "text_link"]
    return link


@pytest.mark.parametrize(
    ("command", "args", "payload"),
    [
        ("/unanswered", None, "staff-unanswered"),
        ("/stats", None, "staff-stats"),
        ("/stats", "7", "staff-stats-7"),
        ("/reload", None, "staff-reload"),
        ("/broadcast", "it: Testo || en: Text", "staff-broadcast"),
    ],
)
async def test_a_staff_command_in_a_group_gets_a_note_and_a_private_link(
    api: FakeBotAPI, bot, command: str, args: str | None, payload: str
) -> None:
    note = await reply_in(api, GROUP["id"], api.command(STAFF, command, args=args, chat=GROUP, mention_bot=True))
    assert "chat privata" in note["text"]
    assert link_of(note) == f"https://t.me/{api.username}?start={payload}"
    await asyncio.sleep(0.3)
    assert len(api.messages_to(GROUP["id"])) == 1  # the note only: no report, no preview in the group
    assert api.messages_to(STAFF["id"]) == []
    assert SECRET_QUESTION not in note["text"]


async def test_the_link_runs_the_command_in_the_private_chat(api: FakeBotAPI, bot) -> None:
    page = await reply_in(api, STAFF["id"], api.command(STAFF, "/start", args="staff-unanswered"))
    assert SECRET_QUESTION in page["text"]
    stats = await reply_in(api, STAFF["id"], api.command(STAFF, "/start", args="staff-stats-7"))
    assert stats["text"].startswith("Ultimi 7 giorni")
    usage = await reply_in(api, STAFF["id"], api.command(STAFF, "/start", args="staff-broadcast"))
    assert usage["text"].startswith("Invia un avviso")  # how to write one: the text itself stays in the group


async def test_the_link_gives_non_staff_the_ordinary_welcome(api: FakeBotAPI, bot) -> None:
    welcome = await reply_in(api, USER["id"], api.command(USER, "/start", args="staff-unanswered"))
    assert welcome["text"].startswith("Ciao!") and SECRET_QUESTION not in welcome["text"]


async def test_a_staff_button_in_a_group_is_refused(api: FakeBotAPI, bot) -> None:
    """A staff menu that somehow sits in a group (an older version posted it there) does nothing there."""
    await reply_in(api, GROUP["id"], api.mention_message(USER, GROUP, "chi può partecipare?"))
    rows = await services(bot).storage.unanswered_questions()
    api.push_update(api.callback_query(STAFF, f"u:r:{rows[0].id}:0", api.last_sent(GROUP["id"])))
    (answer,) = await api.wait_for_calls("answerCallbackQuery")
    assert answer.params.get("text") == INVALID_BUTTON
    assert (await services(bot).storage.unanswered_questions())[0].status == "open"
    assert api.calls_to("editMessageText") == []


async def test_a_forged_broadcast_confirmation_sends_nothing(api: FakeBotAPI, bot) -> None:
    storage = services(bot).storage
    await storage.subscribe(USER["id"], "it", FIXED_NOW)
    api.push_update(api.command(STAFF, "/broadcast", "it: Falso annuncio || en: Forged announcement"))
    await api.wait_for_messages(STAFF["id"], count=3)
    summary = api.last_sent(STAFF["id"])
    (send, _) = [b["callback_data"] for b in summary["reply_markup"]["inline_keyboard"][0]]
    assert send.startswith("b:send:1:") and len(send) == len("b:send:1:") + 16
    forged = ["b:send:1", "b:send:1:aaaaaaaaaaaaaaaa", "b:send:2:" + send[-16:]]
    for data in forged:  # sequential draft ids, no code or a wrong one: as if from a forged update
        api.push_update(api.callback_query(STAFF, data, summary))
    await api.wait_for_calls("answerCallbackQuery", count=len(forged))
    assert {c.params.get("text") for c in api.calls_to("answerCallbackQuery")} == {INVALID_BUTTON}
    assert (await storage.broadcast_draft(1)).state == "draft"
    api.push_update(api.callback_query(STAFF, send, summary))  # the real button still works
    await api.wait_for_calls("answerCallbackQuery", count=len(forged) + 1)
    assert (await storage.broadcast_draft(1)).state == "queued"

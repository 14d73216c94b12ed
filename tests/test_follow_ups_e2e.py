"""Follow-ups through the real bot and the loopback Bot API: "e a che ora finiva?" after a question about the
workshop is read with it, for the same reader in the same chat, for a few minutes, and /forget forgets it."""

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW, SHIPPED_KB
from tests.support.bot_api import FakeBotAPI, group_chat, make_user
from tests.support.harness import running_bot

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

ADA = make_user(4242, "Ada", "it")
BOB = make_user(5151, "Bob", "en")
GROUP = group_chat(-100500, "Cluster chat")
WORKSHOP = "Fiera del Levante"


class Clock:
    """A clock the test moves on."""

    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, clock: Clock):
    async with running_bot(api, tmp_path, knowledge_dir=SHIPPED_KB, clock=clock) as application:
        yield application


async def reply_to(api: FakeBotAPI, chat_id: int, update: dict) -> str:
    before = len(api.sent_messages(chat_id))
    api.push_update(update)
    await api.wait_for(lambda s: len(s.sent_messages(chat_id)) > before)
    return api.sent_messages(chat_id)[before]["text"]


async def test_a_follow_up_is_answered_about_the_earlier_question(api: FakeBotAPI, bot) -> None:
    first = await reply_to(api, ADA["id"], api.text_message(ADA, "quando si è tenuto il workshop in Fiera?"))
    assert WORKSHOP in first
    follow_up = await reply_to(api, ADA["id"], api.text_message(ADA, "e chi l'ha organizzato?"))
    assert WORKSHOP in follow_up and "Invitalia" in follow_up


async def test_a_follow_up_after_a_while_is_read_by_itself(api: FakeBotAPI, bot, clock: Clock) -> None:
    await reply_to(api, BOB["id"], api.text_message(BOB, "when was the Bari workshop?"))
    clock.now = FIXED_NOW + dt.timedelta(hours=1)
    assert WORKSHOP not in await reply_to(api, BOB["id"], api.text_message(BOB, "who organised it?"))


async def test_in_a_group_a_member_does_not_follow_up_another_members_question(api: FakeBotAPI, bot) -> None:
    asked = await reply_to(api, GROUP["id"], api.mention_message(ADA, GROUP, "when was the Bari workshop?"))
    assert WORKSHOP in asked
    bobs = await reply_to(api, GROUP["id"], api.mention_message(BOB, GROUP, "who organised it?"))
    assert WORKSHOP not in bobs
    adas = await reply_to(api, GROUP["id"], api.mention_message(ADA, GROUP, "who organised it?"))
    assert WORKSHOP in adas


async def test_forget_forgets_the_earlier_question(api: FakeBotAPI, bot) -> None:
    await reply_to(api, BOB["id"], api.text_message(BOB, "when was the Bari workshop?"))
    await reply_to(api, BOB["id"], api.command(BOB, "/forget"))
    api.push_update(api.callback_query(BOB, "p:forget", api.last_sent(BOB["id"])))
    await api.wait_for(lambda s: s.calls_to("editMessageText"))
    assert api.last_sent(BOB["id"])["text"].startswith("Done:")
    assert WORKSHOP not in await reply_to(api, BOB["id"], api.text_message(BOB, "who organised it?"))

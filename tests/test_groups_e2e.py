"""Group manners and buttons, through the real bot and the loopback Bot API: the introduction when added, commands
meant for other bots, buttons pressed by another member, feedback only under real answers, true /forget counts,
and a readable /mydata that never shows anyone's data in a group."""

import asyncio
from pathlib import Path

import pytest
from telegram import ReplyParameters

from bot.i18n import Catalogs
from bot.telegram.privacy import forget_keyboard
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, channel_chat, group_chat, make_user
from tests.support.harness import running_bot, services

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

ADA = make_user(4242, "Ada", "it")
BOB = make_user(5151, "Bob", "en")
GROUP = group_chat(-100500, "Cluster chat")
CATALOGS = Catalogs()


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path):
    async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW) as application:
        yield application


async def sent_after(api: FakeBotAPI, chat_id: int, update: dict) -> dict:
    before = len(api.sent_messages(chat_id))
    api.push_update(update)
    await api.wait_for(lambda s: len(s.sent_messages(chat_id)) > before)
    return api.sent_messages(chat_id)[before]


async def settled(api: FakeBotAPI) -> None:
    """Updates are handled in order per chat: once a private question is answered, earlier updates are done."""
    probe = make_user(9191, "Probe", "en")
    await sent_after(api, probe["id"], api.text_message(probe, "What is the deadline?"))
    await asyncio.sleep(0.1)


def data_of(message: dict) -> list[str]:
    return [b.get("callback_data") or b.get("url") for row in message["reply_markup"]["inline_keyboard"] for b in row]


def last_answer(api: FakeBotAPI) -> dict:
    return api.calls_to("answerCallbackQuery")[-1].params


# -- manners -----------------------------------------------------------------------------------------------------


async def test_added_to_a_group_the_bot_introduces_itself_in_the_adders_language(api: FakeBotAPI, bot) -> None:
    intro = await sent_after(api, GROUP["id"], api.my_chat_member(ADA, GROUP, old_status="left", new_status="member"))
    assert intro["text"].startswith("👋 Ciao a tutti!")
    assert (
        f"@{api.username} chi può partecipare?" in intro["text"] and "rispondi a uno dei miei messaggi" in intro["text"]
    )
    other = group_chat(-100600)
    english = await sent_after(
        api, other["id"], api.my_chat_member(BOB, other, old_status="left", new_status="administrator")
    )
    assert english["text"].startswith("👋 Hello everyone!")
    api.push_update(api.my_chat_member(ADA, GROUP, old_status="member", new_status="administrator"))  # promoted
    api.push_update(api.my_chat_member(ADA, GROUP, old_status="member", new_status="left"))  # removed
    api.push_update(
        api.my_chat_member(ADA, channel_chat(-1001234567890), old_status="left", new_status="administrator")
    )
    await settled(api)
    assert len(api.sent_messages(GROUP["id"])) == 1 and api.sent_messages(-1001234567890) == []


async def test_unsuffixed_unknown_commands_in_a_group_are_left_to_other_bots(api: FakeBotAPI, bot) -> None:
    api.push_update(api.command(ADA, "/weather", chat=GROUP))
    await settled(api)
    assert api.sent_messages(GROUP["id"]) == []
    assert await services(bot).storage.get_user(ADA["id"]) is None  # not even recorded as a visit
    ours = await sent_after(api, GROUP["id"], api.text_message(ADA, f"/weather@{api.username}", chat=GROUP))
    assert ours["text"] == CATALOGS["it"].gettext("Sorry, I don't know that command. Try /help.")
    private = await sent_after(api, ADA["id"], api.command(ADA, "/weather"))
    assert "/help" in private["text"]
    known = await sent_after(api, GROUP["id"], api.command(ADA, "/deadline", chat=GROUP))  # known ones still work
    assert "31 marzo 2017" in known["text"]
    assert known["reply_to_message"]["from"]["id"] == ADA["id"]  # and quote the member they answer


# -- another member's buttons --------------------------------------------------------------------------------------


async def test_another_members_language_press_changes_their_language_not_the_authors_menu(api: FakeBotAPI, bot) -> None:
    menu = await sent_after(api, GROUP["id"], api.command(ADA, "/lang", chat=GROUP))
    assert menu["text"] == "Quale lingua preferisci?"
    api.push_update(api.callback_query(BOB, "l:it", menu))
    await api.wait_for_calls("answerCallbackQuery")
    await settled(api)
    assert api.calls_to("editMessageText") == []
    assert api.message(GROUP["id"], menu["message_id"])["text"] == "Quale lingua preferisci?"
    assert last_answer(api)["text"] == "Risponderò in Italiano."  # Bob's own choice, told only to him
    assert (await services(bot).storage.get_user(BOB["id"])).chosen_lang == "it"
    api.push_update(api.callback_query(ADA, "l:en", menu))  # the author's press edits the menu as before
    await api.wait_for_calls("editMessageText")
    assert api.message(GROUP["id"], menu["message_id"])["text"] == "I will reply in English."


async def test_another_members_topic_press_gets_the_menu_privately(api: FakeBotAPI, bot) -> None:
    menu = await sent_after(api, GROUP["id"], api.command(ADA, "/topics", chat=GROUP))
    private = await sent_after(api, BOB["id"], api.callback_query(BOB, "t:calls", menu))
    assert private["text"] == "The call" and data_of(private)[-1] == "m:"
    await api.wait_for_calls("answerCallbackQuery")
    assert last_answer(api)["text"] == "I sent it to you in our private chat."
    assert api.calls_to("editMessageText") == [] and len(api.sent_messages(GROUP["id"])) == 1
    eve = make_user(6161, "Eve", "en")
    api.block_chat(eve["id"])  # never opened a private chat with the bot
    api.push_update(api.callback_query(eve, "t:calls", menu))
    await api.wait_for(lambda s: len(s.calls_to("answerCallbackQuery")) == 2)
    alert = last_answer(api)
    assert alert["show_alert"] is True and f"@{api.username}" in alert["text"] and "Start" in alert["text"]
    assert len(api.sent_messages(GROUP["id"])) == 1


async def test_another_members_answer_press_is_answered_privately(api: FakeBotAPI, bot) -> None:
    answer = await sent_after(api, GROUP["id"], api.mention_message(ADA, GROUP, "chi può partecipare?"))
    related = [d for d in data_of(answer) if d.startswith("a:")]
    assert related
    private = await sent_after(api, BOB["id"], api.callback_query(BOB, related[0], answer))
    assert private["text"] and "reply_to_message" not in private
    await settled(api)
    assert len(api.sent_messages(GROUP["id"])) == 1
    own = await sent_after(api, GROUP["id"], api.callback_query(ADA, related[0], answer))  # the author: in the group
    assert own["reply_to_message"]["from"]["id"] == ADA["id"]


async def test_another_member_cannot_switch_the_groups_reminders(api: FakeBotAPI, bot) -> None:
    storage = services(bot).storage
    await storage.subscribe(GROUP["id"], "it", FIXED_NOW)
    listing = await sent_after(api, GROUP["id"], api.command(ADA, "/deadline", chat=GROUP))
    assert data_of(listing) == ["s:off"]
    api.push_update(api.callback_query(BOB, "s:off", listing))
    await api.wait_for_calls("answerCallbackQuery")
    await settled(api)
    assert last_answer(api)["show_alert"] is True
    assert await storage.is_subscribed(GROUP["id"])
    assert api.calls_to("editMessageReplyMarkup") == []


# -- feedback and counts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("small_talk", ["hello", "Ciao"])
async def test_no_feedback_buttons_under_small_talk(api: FakeBotAPI, bot, small_talk: str) -> None:
    reply = await sent_after(api, BOB["id"], api.text_message(BOB, small_talk))
    assert not any(d.startswith("f:") for d in data_of(reply)) if "reply_markup" in reply else True
    answer = await sent_after(api, BOB["id"], api.text_message(BOB, "What is the deadline?"))
    assert data_of(answer)[-2:] == ["f:+:deadline", "f:-:deadline"]


async def test_forget_counts_only_what_was_stored_before(api: FakeBotAPI, bot) -> None:
    prompt = await sent_after(api, BOB["id"], api.command(BOB, "/forget"))  # a first-time user: nothing stored
    api.push_update(api.callback_query(BOB, "p:forget", prompt))
    await api.wait_for_calls("editMessageText")
    assert api.message(BOB["id"], prompt["message_id"])["text"] == "There was nothing stored about you."
    nothing = await sent_after(api, BOB["id"], api.command(BOB, "/mydata"))
    assert nothing["text"] == "I store nothing about you."

    await sent_after(api, ADA["id"], api.text_message(ADA, "quanto costa il biglietto del treno?"))
    prompt = await sent_after(api, ADA["id"], api.command(ADA, "/forget"))
    api.push_update(api.callback_query(ADA, "p:forget", prompt))
    await api.wait_for_calls("editMessageText", 2)
    assert api.message(ADA["id"], prompt["message_id"])["text"] == "Fatto: 2 dati cancellati."  # profile + question
    assert await services(bot).storage.export_user_data(ADA["id"]) == {
        "user_id": ADA["id"],
        "user": [],
        "unanswered_questions": [],
        "feedback": [],
        "subscription": [],
        "deliveries": [],
        "broadcast_reports": [],
        "answer_requests": [],
        "knowledge_changes": [],
        "staff_drafts": [],
    }


# -- /mydata -------------------------------------------------------------------------------------------------------


async def test_mydata_reads_as_plain_words_with_dates_in_the_users_zone(api: FakeBotAPI, bot) -> None:
    await sent_after(api, BOB["id"], api.text_message(BOB, "is there a ferry to the islands?"))
    answer = await sent_after(api, BOB["id"], api.text_message(BOB, "What is the deadline?"))
    api.push_update(api.callback_query(BOB, "f:+:deadline", answer))
    await api.wait_for_calls("answerCallbackQuery")
    await sent_after(api, BOB["id"], api.command(BOB, "/subscribe"))
    text = (await sent_after(api, BOB["id"], api.command(BOB, "/mydata")))["text"]
    assert text.startswith("Everything stored about you:")
    assert "Telegram user id: 5151" in text and "First message: 25 November 2026, 10:00 Rome time" in text
    assert "25 November 2026, 10:00 Rome time: “is there a ferry to the islands?”" in text
    assert "👍 “What is the deadline?”" in text  # the answer as users know it, not its id
    assert "Subscribed since 25 November 2026, 10:00 Rome time, in English." in text
    for internal in ("user_id", "chosen_lang", "message_key", "entry_id", "{", "2026-11-25T", "deadline-"):
        assert internal not in text


async def test_a_long_mydata_comes_as_a_file_with_everything(api: FakeBotAPI, bot) -> None:
    storage = services(bot).storage
    questions = [f"question number {n} about a ferry to island {n} " + "with many details " * 8 for n in range(40)]
    for text in questions:
        await storage.log_question(
            user_id=BOB["id"],
            text=text,
            lang="en",
            outcome="unknown",
            entry_id=None,
            score=0.0,
            candidates=[],
            now=FIXED_NOW,
        )
    document = await sent_after(api, BOB["id"], api.command(BOB, "/mydata"))
    assert "text" not in document and document["caption"].startswith("Everything stored about you is in this file.")
    ((name, content),) = api.documents_to(BOB["id"])
    assert name == "my-data-2026-11-25.txt"
    written = content.decode("utf-8")
    assert all(f"“{' '.join(q.split())}”" in written for q in questions)
    assert "Questions I could not answer (40)" in written


async def test_mydata_and_forget_in_a_group_point_to_the_private_chat(api: FakeBotAPI, bot) -> None:
    await sent_after(api, ADA["id"], api.text_message(ADA, "quanto costa il biglietto del treno?"))
    for command, payload in (("/mydata", "mydata"), ("/forget", "forget")):
        note = await sent_after(api, GROUP["id"], api.command(ADA, command, chat=GROUP))
        assert note["text"] == "Per la tua privacy, mi occupo dei tuoi dati solo nella nostra chat privata."
        assert data_of(note) == [f"https://t.me/{api.username}?start={payload}"]
    texts = " ".join(api.texts_to(GROUP["id"]))
    assert "biglietto" not in texts and "4242" not in texts
    private = await sent_after(api, ADA["id"], api.command(ADA, "/start", args="mydata"))  # the deep link
    assert private["text"].startswith("Tutto ciò che è conservato su di te:") and "biglietto" in private["text"]
    prompt = await sent_after(api, ADA["id"], api.command(ADA, "/start", args="forget"))
    assert data_of(prompt) == ["p:forget", "p:keep"]


async def test_yes_delete_under_someone_elses_prompt_in_a_group_deletes_and_posts_nothing(api: FakeBotAPI, bot) -> None:
    storage = services(bot).storage
    await sent_after(api, BOB["id"], api.text_message(BOB, "is there a ferry to the islands?"))
    asked = api.command(ADA, "/forget", chat=GROUP)
    api.push_update(asked)
    await api.wait_for_messages(GROUP["id"])
    # A prompt left in the group (as older versions posted it), under Ada's message:
    sent = await bot.bot.send_message(
        GROUP["id"],
        "Cancellare tutto?",
        reply_markup=forget_keyboard(CATALOGS["it"]),
        reply_parameters=ReplyParameters(asked["message"]["message_id"]),
    )
    prompt = api.message(GROUP["id"], sent.message_id)
    posted = len(api.sent_messages(GROUP["id"]))
    api.push_update(api.callback_query(BOB, "p:forget", prompt))
    await api.wait_for_calls("answerCallbackQuery")
    await settled(api)
    assert last_answer(api)["show_alert"] is True
    assert len(api.sent_messages(GROUP["id"])) == posted and api.calls_to("editMessageText") == []
    assert [q.text for q in await storage.unanswered_questions()] == ["is there a ferry to the islands?"]
    assert await storage.get_user(BOB["id"]) is not None

"""The real Application against the loopback Bot API: what users send, and the requests the bot makes."""

import asyncio
import datetime as dt
import logging
import shutil
from pathlib import Path

import pytest

from bot.telegram.context import SERVICES_KEY
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, group_chat, make_user
from tests.support.harness import running_bot, services

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning"),
]

ADA = make_user(4242, "Ada", "it")  # Italian client
BOB = make_user(5151, "Bob", "en")  # English client
NOLANG = make_user(6161, "Noa", None)  # no language_code at all


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path):
    async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW) as application:
        yield application


def buttons(message: dict) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


async def received(api: FakeBotAPI, chat_id: int, count: int = 1) -> list[dict]:
    """The messages the chat shows (HTML parsed, as the user sees them) once at least `count` arrived."""
    await api.wait_for_messages(chat_id, count=count)
    return api.sent_messages(chat_id)


async def ask(api: FakeBotAPI, user: dict, text: str, count: int = 1) -> dict:
    chat_id = user["id"]
    before = len(api.messages_to(chat_id))
    api.push_update(api.text_message(user, text))
    return (await received(api, chat_id, before + count))[-1]


async def eventually(read, ready, timeout: float = 5.0):
    """What `read()` returns once `ready` accepts it: the bot stores after it replies."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if ready(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.02)


def links(message: dict) -> list[str]:
    return [e["url"] for e in message.get("entities", []) if e["type"] == "text_link"]


async def test_start_welcomes_in_the_client_language_with_topics(api: FakeBotAPI, bot) -> None:
    api.push_update(api.command(ADA, "/start"))
    (welcome,) = await received(api, ADA["id"])
    assert welcome["text"].startswith("Ciao! Rispondo alle domande")
    assert api.messages_to(ADA["id"])[0]["parse_mode"] == "HTML"
    assert any(e["type"] == "bold" for e in welcome["entities"])
    assert ("Il bando", "t:calls") in buttons(welcome)
    assert ("Conversazione", "t:smalltalk") not in buttons(welcome)  # small talk is no menu topic


async def test_english_question_gets_english_answer_with_source_related_and_feedback(api: FakeBotAPI, bot) -> None:
    answer = await ask(api, BOB, "What is the deadline?")
    assert "31 December 2016" in answer["text"] and "closed on 31 March 2017" in answer["text"]
    assert answer["text"].endswith("Source: Press release")
    assert links(answer) == ["https://example.org/press"]
    assert buttons(answer) == [("Who can take part?", "a:eligibility"), ("👍", "f:+:deadline"), ("👎", "f:-:deadline")]
    assert api.calls_to("sendChatAction") == []  # ready at once: no "typing..." (tests/test_hot_path_e2e.py)


async def test_the_question_language_beats_the_client_language(api: FakeBotAPI, bot) -> None:
    answer = await ask(api, BOB, "Qual è la scadenza del bando?")
    assert "31 dicembre 2016" in answer["text"] and "Fonte:" in answer["text"]
    assert buttons(answer)[0] == ("Chi può partecipare?", "a:eligibility")


async def test_lang_choice_is_stored_and_wins(api: FakeBotAPI, bot, tmp_path: Path) -> None:
    api.push_update(api.command(ADA, "/lang"))
    (menu,) = await received(api, ADA["id"])
    assert menu["text"] == "Quale lingua preferisci?"
    api.push_update(api.callback_query(ADA, "l:en", api.last_sent(ADA["id"])))
    await api.wait_for(lambda s: s.calls_to("answerCallbackQuery"))
    assert api.calls_to("answerCallbackQuery")[-1].params["text"] == "I will reply in English."
    record = await services(bot).storage.get_user(ADA["id"])
    assert record.chosen_lang == "en"
    answer = await ask(api, ADA, "Qual è la scadenza?")
    assert "31 December 2016" in answer["text"]


async def test_topics_menu_edits_in_place_and_answers_a_question(api: FakeBotAPI, bot) -> None:
    api.push_update(api.command(BOB, "/topics"))
    (menu,) = await received(api, BOB["id"])
    assert buttons(menu) == [("The call", "t:calls")]
    sent_menu = api.last_sent(BOB["id"])
    api.push_update(api.callback_query(BOB, "t:calls", sent_menu))
    await api.wait_for(lambda s: s.calls_to("editMessageText"))
    edited = api.message(BOB["id"], sent_menu["message_id"])
    assert edited["text"] == "The call"
    assert buttons(edited) == [
        ("What is the deadline?", "a:deadline"),
        ("Who can take part?", "a:eligibility"),
        ("⬅️ All topics", "m:"),
    ]
    api.push_update(api.callback_query(BOB, "a:eligibility", edited))
    messages = await received(api, BOB["id"], count=2)
    assert messages[-1]["text"].startswith("Clusters and science parks can take part.")


async def test_deadline_command_computes_status(api: FakeBotAPI, bot) -> None:
    api.push_update(api.command(ADA, "/deadline"))
    (reply,) = await received(api, ADA["id"])
    assert "scadenza prorogata: 31 marzo 2017" in reply["text"]
    assert "la scadenza originale era il 31 dicembre 2016" in reply["text"]
    assert "scaduta in data 31 marzo 2017" in reply["text"]


async def test_start_payload_opens_a_topic_or_an_answer(api: FakeBotAPI, bot) -> None:
    api.push_update(api.command(BOB, "/start", args="calls"))
    (topic,) = await received(api, BOB["id"])
    assert topic["text"] == "The call" and ("What is the deadline?", "a:deadline") in buttons(topic)
    api.push_update(api.command(BOB, "/start", args="deadline"))
    messages = await received(api, BOB["id"], count=2)
    assert "31 December 2016" in messages[-1]["text"]


async def test_unknown_question_is_logged_exactly_once(api: FakeBotAPI, bot) -> None:
    reply = await ask(api, BOB, "What's the best pizza in Naples?")
    assert reply["text"].startswith("I don't know the answer to that yet")
    assert buttons(reply) == [("📚 Topics", "m:"), ("🔔 Tell me when there is an answer", "r:1")]
    await ask(api, BOB, "Who can take part?")
    await ask(api, BOB, "what is the deadline for Erasmus+?")
    logged = await eventually(lambda: services(bot).storage.unanswered_questions(), lambda rows: len(rows) >= 2)
    assert [(q.text, q.lang) for q in logged] == [
        ("what is the deadline for Erasmus+?", "en"),
        ("What's the best pizza in Naples?", "en"),
    ]


async def test_did_you_mean_offers_buttons(api: FakeBotAPI, bot) -> None:
    reply = await ask(api, BOB, "what is the deadline for Erasmus+?")
    assert reply["text"].startswith("I don't have a sure answer to that yet")
    assert buttons(reply) == [
        ("What is the deadline?", "a:deadline"),
        ("📚 Topics", "m:"),
        ("🔔 Tell me when there is an answer", "r:1"),
    ]


async def test_feedback_is_stored_with_the_question(api: FakeBotAPI, bot) -> None:
    answer = await ask(api, BOB, "can science parks take part?")
    api.push_update(api.callback_query(BOB, "f:-:eligibility", answer))
    await api.wait_for(lambda s: s.calls_to("answerCallbackQuery"))
    assert api.calls_to("answerCallbackQuery")[-1].params["text"] == "Thank you for your feedback!"
    (vote,) = await eventually(lambda: services(bot).storage.negative_feedback(), bool)
    assert (vote.entry_id, vote.question, vote.vote) == ("eligibility", "can science parks take part?", -1)


@pytest.mark.parametrize(
    "kind",
    ["photo_message", "sticker_message", "voice_message", "document_message", "location_message", "contact_message"],
)
async def test_non_text_gets_a_polite_reply_in_the_user_language(api: FakeBotAPI, bot, kind: str) -> None:
    api.push_update(getattr(api, kind)(ADA))
    (reply,) = await received(api, ADA["id"])
    assert reply["text"] == "Posso leggere solo messaggi di testo: scrivi la tua domanda a parole."


async def test_edited_question_is_answered_again(api: FakeBotAPI, bot) -> None:
    update = api.text_message(BOB, "What is the dedline?")
    api.push_update(update)
    await received(api, BOB["id"])
    api.push_update(api.edited_text_message(BOB, "Who can take part?", message=update))
    messages = await received(api, BOB["id"], count=2)
    assert messages[-1]["text"].startswith("Clusters and science parks")


async def test_unknown_commands_and_junk_arguments(api: FakeBotAPI, bot) -> None:
    api.push_update(api.command(NOLANG, "/frobnicate", args="now please"))
    (reply,) = await received(api, NOLANG["id"])
    assert reply["text"] == "Non conosco questo comando. Prova /help."  # no client language: Italian
    api.push_update(api.command(BOB, "/lang", args="klingon ; DROP TABLE users"))
    (menu,) = await received(api, BOB["id"])
    assert menu["text"] == "Which language should I use?"


async def test_forged_and_stale_buttons_are_answered_safely(api: FakeBotAPI, bot) -> None:
    answer = await ask(api, BOB, "What is the deadline?")
    for data in ["x:whatever", "a:no-such-entry", "t:no-such-topic", "f:?:deadline", "l:fr", ""]:
        api.push_update(api.callback_query(BOB, data, answer))
    await api.wait_for(lambda s: len(s.calls_to("answerCallbackQuery")) >= 6)
    texts = [c.params.get("text") for c in api.calls_to("answerCallbackQuery")]
    assert texts.count("This button is no longer valid.") == 4  # x:whatever, f:?:deadline, l:fr, empty data
    assert "That question is no longer available. Try /topics." in texts
    assert "That topic is no longer available." in texts
    assert len(api.messages_to(BOB["id"])) == 1  # nothing else was sent


async def test_group_answers_only_mentions_replies_and_commands(api: FakeBotAPI, bot) -> None:
    group = group_chat(-100777, "Cluster friends")
    api.push_update(api.text_message(BOB, "What is the deadline?", chat=group))
    api.push_update(api.photo_message(BOB, chat=group))
    api.push_update(api.command(BOB, "/help@some_other_bot", chat=group))
    api.push_update(api.mention_message(BOB, group, "who can take part?"))
    (first,) = await received(api, group["id"])
    assert first["text"].startswith("Clusters and science parks")
    api.push_update(api.text_message(BOB, "what is the deadline?", chat=group, reply_to=api.last_sent(group["id"])))
    api.push_update(api.command(BOB, "/deadline", chat=group, mention_bot=True))
    messages = await received(api, group["id"], count=3)
    assert "31 December 2016" in messages[1]["text"]
    assert "extended deadline: 31 March 2017" in messages[2]["text"]
    await asyncio.sleep(0.2)
    assert len(api.messages_to(group["id"])) == 3


async def test_long_answers_are_split_and_html_is_escaped(api: FakeBotAPI, tmp_path: Path) -> None:
    knowledge = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, knowledge)
    calls = knowledge / "calls.yaml"
    long_answer = "Line <b>not bold</b> & more. " * 400  # ~11,600 characters
    calls.write_text(
        calls.read_text(encoding="utf-8").replace(
            "Clusters and science parks can take part.", long_answer.strip().replace("'", "''")
        ),
        encoding="utf-8",
    )
    async with running_bot(api, tmp_path, knowledge_dir=knowledge):
        api.push_update(api.text_message(BOB, "Who can take part?"))
        await api.wait_for(lambda s: any(c.params.get("reply_markup") for c in s.calls_to("sendMessage")))
        messages = api.sent_messages(BOB["id"])
        assert len(messages) >= 3
        assert all(len(m["text"]) <= 4096 for m in messages)  # Telegram's limit: the text after parsing the HTML
        assert "Line <b>not bold</b> & more." in messages[0]["text"]  # shown literally, not as formatting
        assert not any(e["type"] == "bold" for m in messages for e in m.get("entities", []))
        assert [bool(buttons(m)) for m in messages] == [False] * (len(messages) - 1) + [True]  # under the last part
        whole = " ".join(m["text"] for m in messages)  # a cut drops only the space it falls on
        assert whole.count("Line <b>not bold</b> & more.") == 400  # nothing lost


async def test_command_menu_is_published_in_both_languages(api: FakeBotAPI, bot) -> None:
    italian = {c["command"]: c["description"] for c in api.commands(language_code="it")}
    english = {c["command"]: c["description"] for c in api.commands(language_code="en")}
    assert italian["deadline"] == "Scadenze e loro stato"
    assert english["deadline"] == "Deadlines and their status"
    assert (
        set(italian)
        == set(english)
        == {"start", "topics", "deadline", "lang", "help", "privacy", "subscribe", "unsubscribe"}
    )


async def test_flood_wait_and_network_errors_are_retried(api: FakeBotAPI, bot) -> None:
    api.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1)
    answer = await ask(api, BOB, "What is the deadline?")
    assert "31 December 2016" in answer["text"]
    api.fail_next("sendMessage", status=502, description="Bad Gateway")
    answer = await ask(api, BOB, "Who can take part?")
    assert answer["text"].startswith("Clusters and science parks")
    statuses = [c.status for c in api.calls_to("sendMessage")]
    assert statuses == [429, 200, 502, 200]


async def test_errors_get_an_apology_and_logs_never_show_the_token(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args, **kwargs):
        raise RuntimeError(f"boom with {api.token} inside")

    bot.bot_data[SERVICES_KEY].live.current.reply = explode  # type: ignore[method-assign]
    from bot.telegram.errors import install_redaction

    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        install_redaction(api.token)
        with caplog.at_level(logging.ERROR):
            reply = await ask(api, BOB, "What is the deadline?")
        formatted = handler.format(caplog.records[-1])
    finally:
        root.removeHandler(handler)
    assert reply["text"] == "Sorry, something went wrong on my side. Please try again."
    assert "boom with <redacted-token> inside" in formatted
    assert api.token not in formatted


async def test_storage_failure_does_not_stop_answers(api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture) -> None:
    await services(bot).storage.close()  # every storage call now fails
    with caplog.at_level(logging.ERROR):
        answer = await ask(api, BOB, "What is the deadline?")
    assert "31 December 2016" in answer["text"]
    assert any("DATABASE FAILURE" in r.getMessage() for r in caplog.records)


async def test_clock_is_the_injected_one(api: FakeBotAPI, tmp_path: Path) -> None:
    early = dt.datetime(2017, 3, 24, 9, tzinfo=dt.UTC)
    async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: early):
        answer = await ask(api, BOB, "What is the deadline?")
    assert "7 days left" in answer["text"]


async def test_token_never_appears_in_any_log_line(api: FakeBotAPI, tmp_path: Path) -> None:
    """Everything logged at DEBUG level through a whole session, errors included, is scanned for the token."""
    import io

    from bot.telegram.errors import install_redaction

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        install_redaction(api.token)
        async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB) as application:
            await ask(api, BOB, "What is the deadline?")
            api.fail_next("sendMessage", status=502, description="Bad Gateway")
            await ask(api, BOB, "Who can take part?")
            services(application).live.current.reply = None  # type: ignore[assignment,method-assign]
            await ask(api, BOB, "this now fails inside the bot")
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
    logged = stream.getvalue()
    assert "error while handling an update" in logged and "<redacted-token>" in logged
    assert api.token not in logged
    assert api.token.split(":")[1] not in logged


async def test_two_questions_get_one_reply_with_both_answers_under_bold_headings(api: FakeBotAPI, bot) -> None:
    answer = await ask(api, BOB, "hi! who can take part and when is the deadline?")
    text = answer["text"]
    assert text.startswith("Hello!")
    assert text.index("Who can take part?") < text.index("Clusters and science parks") < text.index("What is the")
    assert "31 March 2017" in text and text.count("Source: Press release") == 2
    bold = [text[e["offset"] : e["offset"] + e["length"]] for e in answer["entities"] if e["type"] == "bold"]
    assert bold == ["Who can take part?", "What is the deadline?"]
    assert ("👍", "f:+:eligibility") in buttons(answer)  # feedback on the first answer


async def test_a_greeting_before_the_question_is_greeted_back_and_the_question_answered(api: FakeBotAPI, bot) -> None:
    answer = await ask(api, ADA, "ciao, una domanda veloce: chi può partecipare?")
    assert answer["text"].startswith("Ciao!\n\nPossono partecipare distretti e parchi scientifici.")


async def test_a_question_left_unanswered_beside_an_answered_one_goes_to_staff(api: FakeBotAPI, bot) -> None:
    answer = await ask(api, BOB, "who can take part? and who won the football match yesterday?")
    assert "Clusters and science parks" in answer["text"]
    assert answer["text"].endswith("I don't have an answer yet to: «and who won the football match yesterday?»")
    records = await eventually(
        lambda: services(bot).storage.unanswered_questions(status=None), lambda rows: len(rows) == 1
    )
    assert [r.text for r in records] == ["and who won the football match yesterday?"]

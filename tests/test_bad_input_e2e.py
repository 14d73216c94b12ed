"""A catalogue of bad input, end to end: the real Application against the loopback Bot API.

Each case states the exact reply the bot defines for it (in the user's language: users whose client is Italian
get Italian for messages with nothing readable), and checks that nothing crashed: no error logged, no apology
sent, every Bot API call accepted, and the bot still answers a normal question afterwards.
"""

import asyncio
import datetime as dt
import logging
import sqlite3
import time
from pathlib import Path

import pytest
from telegram import Update

from bot.i18n import Catalogs
from bot.telegram.conversation import welcome_text
from bot.telegram.flood import FloodGate, Kind, Rate
from tests.conftest import FIXED_NOW
from tests.support.bot_api import FakeBotAPI, channel_chat, group_chat, make_user
from tests.support.harness import running_bot, services

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning"),
]

ADA = make_user(7101, "Ada", "it")  # Italian client
BOB = make_user(7202, "Bob", "en")  # English client
NOLANG = make_user(7303, "Noa", None)  # no language_code at all: the default language, Italian
STAFF = make_user(7404, "Sara", "it")
GROUP = group_chat(-100888, "Cluster friends")
CHANNEL = channel_chat(-1001234567890, "Cluster news")

TR = Catalogs()
LANG = {ADA["id"]: "it", BOB["id"]: "en", NOLANG["id"]: "it", STAFF["id"]: "it"}

# The replies, exactly. The EMPTY one is spelled out; the others go through the catalogs from their msgids.
EMPTY = {"it": "Scrivi la tua domanda sul bando.", "en": "Please type your question about the call."}
UNKNOWN = (
    "I don't know the answer to that yet: I only answer questions about the ESCP-S3 call. "
    "I have passed your question on to the programme staff. Try /topics to see what I can help with."
)
SUGGEST = "I don't have a sure answer to that yet. Did you mean one of these?"
INVALID_BUTTON = "This button is no longer valid."
GONE_QUESTION = "That question is no longer available. Try /topics."
GONE_TOPIC = "That topic is no longer available."
APOLOGIES = ("Sorry, something went wrong", "Mi dispiace, si è verificato un errore")

NORMAL_QUESTION = "Qual è la scadenza?"
NORMAL_ANSWER = "31 dicembre 2016"  # in the answer to NORMAL_QUESTION, whoever asks

LONG_UNKNOWN = ("Vorrei sapere tante cose sul mondo. " * 300)[:10_000]
LONG_WITH_QUESTION = "Qual è la scadenza? " + "x" * 9_980
LONG_NEAR_MISS = ("Qual è la scadenza dell'Erasmus? " + "x" * 10_000)[:10_000]
LONG_TRAILING_SPACES = NORMAL_QUESTION + " " * (10_000 - len(NORMAL_QUESTION))
SQL_TEXTS = [
    "'; DROP TABLE users; --",
    "Robert'); DROP TABLE unanswered;--",
    "1 OR 1=1; DELETE FROM questions_log",
]
MARKUP = {  # question -> the language of the reply (the question's own language: the words tell)
    "<b>ciao</b> <a href='http://evil'>x</a> *bold* _it_ `code`": "en",
    "<i>non chiuso & < > &amp; pizza": "it",
    "[clicca](http://evil.example) ~barrato~ ||spoiler|| __sotto__ ```pre``` pizza": "it",
}
MARKUP_TEXTS = list(MARKUP)


def tr(lang: str, msgid: str) -> str:
    return TR[lang].gettext(msgid)


def topics_button(lang: str) -> tuple[str, str]:
    return ("📚 " + tr(lang, "Topics"), "m:")


def notify_button(lang: str, question_id: int) -> tuple[str, str]:
    """🔔 under "I don't know yet": its data names the question as it was logged."""
    return ("🔔 " + tr(lang, "Tell me when there is an answer"), f"r:{question_id}")


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, fixture_kb_dir: Path):
    """The bot on a private copy of the fixture knowledge base (safe to edit and /reload), with one staff member."""
    async with running_bot(
        api, tmp_path, knowledge_dir=fixture_kb_dir, staff_ids=frozenset({STAFF["id"]}), clock=lambda: FIXED_NOW
    ) as application:
        # The flood gate has its own tests; this catalogue sends one user more messages than a person would.
        application.update_processor.gate.gate = FloodGate({kind: Rate(1_000, 1.0) for kind in Kind})
        yield application


def buttons(message: dict) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


async def push_and_wait(api: FakeBotAPI, update: dict, chat_id: int, count: int = 1) -> list[dict]:
    """Push an update; the `count` messages it makes the bot send to the chat (as the user sees them)."""
    before = len(api.messages_to(chat_id))
    api.push_update(update)
    await api.wait_for_messages(chat_id, count=before + count)
    return api.sent_messages(chat_id)[before:]


async def ask(api: FakeBotAPI, user: dict, text: str) -> dict:
    (reply,) = await push_and_wait(api, api.text_message(user, text), user["id"])
    return reply


async def press(api: FakeBotAPI, user: dict, data: str, message: dict | None = None, **kwargs) -> dict:
    """Press a button; the parameters of the answerCallbackQuery it got."""
    before = len(api.calls_to("answerCallbackQuery"))
    api.push_update(api.callback_query(user, data, message, **kwargs))
    calls = await api.wait_for_calls("answerCallbackQuery", count=before + 1)
    return calls[before].params


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


async def still_healthy(api: FakeBotAPI, caplog: pytest.LogCaptureFixture, user: dict = ADA) -> None:
    """Nothing crashed so far, and the bot still answers a normal question."""
    answer = await ask(api, user, NORMAL_QUESTION)
    assert NORMAL_ANSWER in answer["text"] or "31 December 2016" in answer["text"]  # after /lang en too
    assert ("👍", "f:+:deadline") in buttons(answer)
    sent = [str(c.params.get("text", "")) for c in api.calls_to("sendMessage")]
    assert not [text for text in sent if any(apology in text for apology in APOLOGIES)]
    failed = [c for c in api.calls if c.method != "getUpdates" and c.status not in (None, 200)]
    assert not failed, failed
    assert errors(caplog) == []


async def stored_texts(bot) -> list[str]:
    """Every unanswered question the bot kept, oldest first."""
    records = await services(bot).storage.unanswered_questions(status=None)
    return [r.text for r in reversed(records)]


async def questions_logged(bot) -> int:
    day = dt.timedelta(days=1)
    stats = await services(bot).storage.question_stats(FIXED_NOW - day, FIXED_NOW + day)
    return stats.total


# -- nothing readable: whitespace, zero-width, emoji, control characters ---------------------------------------

NOTHING_READABLE = {
    "space": " ",
    "spaces-tabs-newlines": "  \n\t \r\n  ",
    "unicode-spaces": "\u00a0\u2003\u3000\u2028",
    "zero-width-only": "\u200b\u200c\u200d\u2060\ufeff",
    "bidi-marks-only": "\u200e\u200f\u202a\u202e\u2067\u2069",
    "emoji": "🙂🙂🎉",
    "one-emoji": "👍",
    "flag-and-zwj-family": "🇮🇹 👨\u200d👩\u200d👧",
    "nul-and-controls": "\x00\x01\x02\x1f\x7f",
    "punctuation": "?!... ;;; --- ¿¡",
}


@pytest.mark.parametrize("text", list(NOTHING_READABLE.values()), ids=list(NOTHING_READABLE))
async def test_nothing_readable_gets_the_empty_reply_in_italian_and_is_not_stored(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    reply = await ask(api, ADA, text)
    assert reply["text"] == "Scrivi la tua domanda sul bando."
    assert buttons(reply) == [topics_button("it")]
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == []
    assert await questions_logged(bot) == 1  # the normal question only: EMPTY messages are not logged at all


@pytest.mark.parametrize("user", [ADA, BOB, NOLANG], ids=["it-client", "en-client", "no-client-language"])
async def test_the_empty_reply_follows_the_client_language(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture, user: dict
) -> None:
    lang = LANG[user["id"]]
    for text in ("   ", "🙂🙂", "\u200b\u200f", "\x00\x01"):
        reply = await ask(api, user, text)
        assert reply["text"] == EMPTY[lang], text
        assert buttons(reply) == [topics_button(lang)]
    await still_healthy(api, caplog, user)
    assert await stored_texts(bot) == []


# -- very long messages --------------------------------------------------------------------------------------


async def test_a_10000_character_message_gets_the_unknown_reply_and_is_stored_whole(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(LONG_UNKNOWN) == 10_000  # Telegram caps messages at 4096, but the bot must cope with more
    reply = await ask(api, ADA, LONG_UNKNOWN)
    assert reply["text"] == tr("it", UNKNOWN)
    assert buttons(reply) == [topics_button("it"), notify_button("it", 1)]
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == [LONG_UNKNOWN]


async def test_a_10000_character_message_starting_with_a_question_gets_the_answer(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    """The question is read as a sentence of its own: the junk after it is not part of it."""
    assert len(LONG_WITH_QUESTION) == 10_000
    reply = await ask(api, ADA, LONG_WITH_QUESTION)
    assert NORMAL_ANSWER in reply["text"]
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == []


async def test_a_10000_character_near_miss_gets_did_you_mean_and_is_stored_whole(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(LONG_NEAR_MISS) == 10_000
    reply = await ask(api, ADA, LONG_NEAR_MISS)
    assert reply["text"] == tr("it", SUGGEST)
    assert buttons(reply) == [("Qual è la scadenza?", "a:deadline"), topics_button("it"), notify_button("it", 1)]
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == [LONG_NEAR_MISS]


async def test_a_question_padded_to_10000_characters_with_spaces_is_answered(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    assert len(LONG_TRAILING_SPACES) == 10_000
    reply = await ask(api, BOB, LONG_TRAILING_SPACES)
    assert NORMAL_ANSWER in reply["text"] and reply["text"].endswith("Fonte: Comunicato stampa")
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == []


# -- invisible and control characters mixed with a real question, between and inside words ---------------------

INVISIBLE_CHARACTERS = {
    "zero-width-and-marks": "\u200bQual è la\u200f scadenza?\u200e",
    "rtl-override": "\u202eQual è la scadenza?\u202c",
    "rtl-isolate": "\u2067Qual è la\u2069 \u2066scadenza?\u2069",
    "byte-order-mark": "\ufeffQual è la scadenza?",
    "nul-and-controls": "\x00\x01 qual è la scadenza",
    "controls-everywhere": "\x07Qual\x1b è\t la\x7f scadenza?\x00",
    # inside a word too: Unicode format characters must not split "scadenza" in two
    "zero-width-space-in-word": "Qual è la sca\u200bdenza?",
    "zero-width-joiner-in-word": "Qual è la sca\u200ddenza?",
    "soft-hyphen-in-word": "Qual è la sca\u00addenza?",
    "word-joiner-in-word": "Qual è la sca\u2060denza?",
    "byte-order-mark-in-word": "Qual è la sca\ufeffdenza?",
}


@pytest.mark.parametrize("text", list(INVISIBLE_CHARACTERS.values()), ids=list(INVISIBLE_CHARACTERS))
async def test_invisible_and_control_characters_between_words_do_not_hide_the_question(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    reply = await ask(api, ADA, text)
    assert NORMAL_ANSWER in reply["text"] and reply["text"].endswith("Fonte: Comunicato stampa")
    assert buttons(reply) == [("Chi può partecipare?", "a:eligibility"), ("👍", "f:+:deadline"), ("👎", "f:-:deadline")]
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == []


async def test_a_lone_surrogate_is_stored_replaced(api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture) -> None:
    # The fake server sends updates as UTF-8, which cannot carry an unpaired surrogate; PTB would decode one from
    # a "\ud800" JSON escape, so the update goes straight into the Application's queue, as the updater would put it.
    data = {**api.text_message(ADA, "pizza \ud800 margherita"), "update_id": 10_000}
    before = len(api.messages_to(ADA["id"]))
    await bot.update_queue.put(Update.de_json(data, bot.bot))
    await api.wait_for_messages(ADA["id"], count=before + 1)
    assert api.sent_messages(ADA["id"])[-1]["text"] == tr("it", UNKNOWN)
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == ["pizza \ufffd margherita"]


# -- SQL, HTML and Markdown in questions -----------------------------------------------------------------------


def table_names(database: Path) -> list[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    conn.close()
    return [name for (name,) in rows]


async def test_sql_looking_text_is_stored_verbatim_and_the_tables_survive(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    tables = table_names(tmp_path / "bot.sqlite3")
    assert {"users", "unanswered", "questions_log"} <= set(tables)
    for number, text in enumerate(SQL_TEXTS, start=1):
        reply = await ask(api, BOB, text)
        assert reply["text"] == tr("en", UNKNOWN), text
        assert buttons(reply) == [topics_button("en"), notify_button("en", number)]
    await still_healthy(api, caplog, BOB)
    assert await stored_texts(bot) == SQL_TEXTS
    assert table_names(tmp_path / "bot.sqlite3") == tables
    assert (await services(bot).storage.get_user(BOB["id"])) is not None
    assert await questions_logged(bot) == len(SQL_TEXTS) + 1


async def test_html_and_markdown_in_questions_are_neither_parsed_nor_injected(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    for text, lang in MARKUP.items():
        before = len(api.calls_to("sendMessage"))
        api.push_update(api.text_message(BOB, text))
        await api.wait_for_calls("sendMessage", count=before + 1)
        call = api.calls_to("sendMessage")[before]
        assert call.status == 200, call
        reply = api.sent_messages(BOB["id"])[-1]
        assert reply["text"] == tr(lang, UNKNOWN), text
        assert not [e for e in reply.get("entities", []) if e["type"] != "bot_command"]  # only the /topics hint
    await still_healthy(api, caplog, BOB)
    assert await stored_texts(bot) == MARKUP_TEXTS


async def test_staff_see_hostile_questions_literally(api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture) -> None:
    hostile = [*MARKUP_TEXTS[:2], SQL_TEXTS[0], "\x00\x01 dove si mangia la pizza?\x7f", "<script>alert(1)</script>"]
    for text in hostile:
        await ask(api, BOB, text)
    before = len(api.calls_to("sendMessage"))
    api.push_update(api.command(STAFF, "/unanswered"))
    await api.wait_for(lambda s: any(c.params.get("reply_markup") for c in s.calls_to("sendMessage")[before:]))
    calls = api.calls_to("sendMessage")[before:]
    assert all(c.status == 200 for c in calls), calls
    pages = api.sent_messages(STAFF["id"])
    shown = "\n".join(page["text"] for page in pages)
    for text in hostile:
        assert text in shown, text
    kinds = {e["type"] for page in pages for e in page.get("entities", [])}
    assert kinds <= {"bold", "bot_command", "url"}, kinds  # no link, code, italic... taken from a question
    assert not [e for page in pages for e in page.get("entities", []) if "evil" in e.get("url", "")]
    await still_healthy(api, caplog)


# -- commands with junk arguments -------------------------------------------------------------------------------


async def test_start_with_a_300_character_payload_gets_the_welcome(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    payload = ("deadline<b>&amp;'\";t:calls" * 20)[:300]
    (welcome,) = await push_and_wait(api, api.command(ADA, "/start", args=payload), ADA["id"])
    assert api.messages_to(ADA["id"])[-1]["text"].startswith(welcome_text(TR["it"]))
    assert welcome["text"].startswith("Ciao! Rispondo alle domande")
    assert buttons(welcome) == [("Il bando", "t:calls")]
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == []


@pytest.mark.parametrize(
    ("command", "junk"),
    [
        ("/topics", "extra words here"),
        ("/deadline", ";;;"),
        ("/help", "<script>alert(1)</script>"),
        ("/lang", "../../etc/passwd"),
        ("/start", "\u200b\u202e"),
        ("/deadline", "'; DROP TABLE users; --"),
    ],
    ids=["topics-words", "deadline-semicolons", "help-script", "lang-path", "start-invisible", "deadline-sql"],
)
async def test_junk_arguments_are_ignored(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture, command: str, junk: str
) -> None:
    (plain,) = await push_and_wait(api, api.command(ADA, command), ADA["id"])
    (with_junk,) = await push_and_wait(api, api.command(ADA, command, args=junk), ADA["id"])
    assert (with_junk["text"], buttons(with_junk)) == (plain["text"], buttons(plain))
    assert with_junk.get("entities") == plain.get("entities")
    expected_start = {
        "/topics": tr("it", "Pick a topic:"),
        "/deadline": "Tutte le scadenze che conosco sono passate",  # FIXED_NOW is years after them
        "/help": "Chiedimi",
        "/lang": "Quale lingua preferisci?",
        "/start": "Ciao! Rispondo alle domande",
    }[command]
    assert with_junk["text"].startswith(expected_start)
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == []


# -- forged and stale buttons -----------------------------------------------------------------------------------

GARBAGE_64 = "".join(chr(33 + (i * 37) % 94) for i in range(64))  # 64 printable bytes, Telegram's maximum
FORGED = [  # (data, the answer's text, shown as an alert)
    (GARBAGE_64, INVALID_BUTTON, False),
    ("a:" + "x" * 62, INVALID_BUTTON, False),  # 64 bytes, target too long for the bot's own format
    ("a:" + "x" * 60, GONE_QUESTION, True),  # well-formed, no such entry
    ("a:scadènza", INVALID_BUTTON, False),
    ("t:calls\u200b", INVALID_BUTTON, False),
    ("😀" * 16, INVALID_BUTTON, False),  # 64 bytes of emoji
    ("l:🇮🇹", INVALID_BUTTON, False),
    ("f:+:deadline\u202e", INVALID_BUTTON, False),
    ("a:deadline\x00", INVALID_BUTTON, False),
    ("A:DEADLINE", INVALID_BUTTON, False),
    ("l:xx", INVALID_BUTTON, False),  # a language the bot does not have
    ("u:r:1:0", INVALID_BUTTON, False),  # a staff button pressed by a user: what any forged button gets
]


async def test_forged_callback_data_is_answered_safely(api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture) -> None:
    answer = await ask(api, ADA, NORMAL_QUESTION)
    for data, text, alert in FORGED:
        assert len(data.encode()) <= 64, data
        params = await press(api, ADA, data, answer)
        assert params.get("text") == (tr("it", text) if text else None), data
        assert bool(params.get("show_alert")) is alert, data
    assert len(api.messages_to(ADA["id"])) == 1  # nothing else was sent...
    assert api.calls_to("editMessageText") == []  # ...nor edited
    await still_healthy(api, caplog)


INLINE = [  # (data, the answer's text); the language button last, as it switches Ada to English
    ("t:calls", None),
    ("m:", None),
    ("f:+:deadline", "Grazie per il tuo riscontro!"),
    ("x:junk", "Questo pulsante non è più valido."),
    ("a:no-such-entry", "Questa domanda non è più disponibile. Prova /topics."),
    ("l:en", "I will reply in English."),
]


async def test_buttons_of_inline_messages_are_answered_without_a_chat(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    """A button under an inline message: the callback has an inline_message_id and no message, so no chat.
    Menus then go to the user's private chat, as new messages."""
    for data, text in INLINE:
        params = await press(api, ADA, data, None, inline_message_id="BAADAAAAAAA-inline")
        assert params.get("text") == text, data
    await api.wait_for(lambda s: len(s.calls_to("sendMessage")) >= 3)  # topic menu, topics menu, language
    assert {c.params["chat_id"] for c in api.calls_to("sendMessage")} == {ADA["id"]}
    assert api.calls_to("editMessageText") == []
    await still_healthy(api, caplog)


async def test_an_answer_button_of_an_inline_message_does_not_crash(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    params = await press(api, ADA, "a:deadline", None, inline_message_id="BAADAAAAAAA-inline")
    assert not params.get("show_alert")
    await api.wait_for_messages(ADA["id"])
    assert NORMAL_ANSWER in api.sent_messages(ADA["id"])[-1]["text"]  # the answer goes to the private chat
    await still_healthy(api, caplog)


def without_eligibility(calls_yaml: Path) -> None:
    """Edit the knowledge base as staff might: drop the 'eligibility' entry and rename the 'calls' topic."""
    text = calls_yaml.read_text(encoding="utf-8")
    head, _, _ = text.partition("  - id: eligibility\n")
    head = head.replace("    related: [eligibility]\n", "").replace("id: calls\n", "id: bando\n")
    assert head != text and "eligibility" not in head
    calls_yaml.write_text(head, encoding="utf-8")


async def test_stale_buttons_after_a_knowledge_base_reload(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture, fixture_kb_dir: Path
) -> None:
    deadline = await ask(api, ADA, "Qual è la scadenza?")
    eligibility = await ask(api, ADA, "Chi può partecipare?")
    (menu,) = await push_and_wait(api, api.command(ADA, "/topics"), ADA["id"])
    assert ("Chi può partecipare?", "a:eligibility") in buttons(deadline)
    assert ("👎", "f:-:eligibility") in buttons(eligibility)
    assert buttons(menu) == [("Il bando", "t:calls")]

    without_eligibility(fixture_kb_dir / "calls.yaml")
    (reloaded,) = await push_and_wait(api, api.command(STAFF, "/reload"), STAFF["id"])
    entries = len(services(bot).assistant.kb.entries)
    assert "eligibility" not in services(bot).assistant.kb.entries
    assert reloaded["text"].split("\n")[0] == TR["it"].gettext(
        "Knowledge base reloaded: %(count)d entries.", count=entries
    )

    sent = len(api.messages_to(ADA["id"]))
    params = await press(api, ADA, "a:eligibility", deadline)
    assert (params.get("text"), params.get("show_alert")) == (tr("it", GONE_QUESTION), True)
    params = await press(api, ADA, "f:-:eligibility", eligibility)
    assert (params.get("text"), bool(params.get("show_alert"))) == (tr("it", INVALID_BUTTON), False)
    params = await press(api, ADA, "t:calls", menu)
    assert (params.get("text"), params.get("show_alert")) == (tr("it", GONE_TOPIC), True)
    assert len(api.messages_to(ADA["id"])) == sent and api.calls_to("editMessageText") == []
    assert await services(bot).storage.negative_feedback() == []

    # buttons whose target survived still work
    params = await press(api, ADA, "f:+:deadline", deadline)
    assert params.get("text") == "Grazie per il tuo riscontro!"
    api.push_update(api.callback_query(ADA, "a:deadline", eligibility))
    (again,) = await api.wait_for_messages(ADA["id"], count=1, since=sent)
    assert NORMAL_ANSWER in again["text"]
    assert api.sent_messages(ADA["id"])[-1]["reply_markup"]["inline_keyboard"] == [
        [{"text": "👍", "callback_data": "f:+:deadline"}, {"text": "👎", "callback_data": "f:-:deadline"}]
    ]
    (welcome,) = await push_and_wait(api, api.command(ADA, "/start", args="calls"), ADA["id"])  # stale deep link
    assert api.messages_to(ADA["id"])[-1]["text"].startswith(welcome_text(TR["it"]))
    assert buttons(welcome) == [("Il bando", "t:bando")]
    await still_healthy(api, caplog)


# -- update kinds the bot does not handle -----------------------------------------------------------------------


def edited_channel_post(api: FakeBotAPI) -> dict:
    post = api.channel_post(CHANNEL, "Qual è la scadenza? (modificato)")["channel_post"]
    return {"edited_channel_post": {**post, "edit_date": int(time.time())}}


UNHANDLED = {
    "channel-post-question": lambda api: api.channel_post(CHANNEL, "Qual è la scadenza?"),
    "channel-post-command": lambda api: api.channel_post(CHANNEL, "/start"),
    "edited-channel-post": edited_channel_post,
    "poll": lambda api: api.poll(),
    "inline-query": lambda api: api.inline_query(ADA, "scadenza"),
    "my-chat-member-blocked": lambda api: api.my_chat_member(BOB),
    # being added to a group is answered with an introduction: tests/test_groups_e2e.py
    "new-chat-members-bot-added": lambda api: api.new_members_message(BOB, GROUP),
    "new-chat-members-user": lambda api: api.new_members_message(BOB, GROUP, [make_user(7505, "Eve", "it")]),
    "group-edit-not-addressed": lambda api: api.edited_text_message(BOB, "What is the deadline?", chat=GROUP),
    "group-text-not-addressed": lambda api: api.text_message(BOB, "Qual è la scadenza?", chat=GROUP),
    "group-photo": lambda api: api.photo_message(BOB, chat=GROUP, caption="scadenza?"),
}


@pytest.mark.parametrize("build", list(UNHANDLED.values()), ids=list(UNHANDLED))
async def test_update_kinds_the_bot_does_not_handle_get_no_reply(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture, build
) -> None:
    start = len(api.calls)
    api.push_update(build(api))
    # Updates are handled one at a time, in order: once the next question is answered, the first one is done.
    await still_healthy(api, caplog)
    await asyncio.sleep(0.1)  # and nothing else was sent late
    methods = [c.method for c in api.calls[start:] if c.method != "getUpdates"]
    assert methods == ["sendMessage"]  # the answer to the healthy question, ready at once: no "typing..."
    assert api.messages_to(GROUP["id"]) == api.messages_to(CHANNEL["id"]) == api.messages_to(BOB["id"]) == []
    assert await stored_texts(bot) == []


# -- what is stored ---------------------------------------------------------------------------------------------


async def test_hostile_questions_are_stored_verbatim_and_empty_ones_not_at_all(
    api: FakeBotAPI, bot, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = [
        (BOB, SQL_TEXTS[0]),
        (BOB, MARKUP_TEXTS[0]),
        (ADA, "\x00\x01 dove si mangia la pizza?\x7f"),
        (ADA, "\u202epizza margherita\u202c"),
        (ADA, "🍕 pizza\u200b margherita?"),
        (NOLANG, "  pizza   margherita  \n"),
        (ADA, LONG_UNKNOWN),
        (ADA, LONG_NEAR_MISS),
    ]
    empty = [(ADA, " \n "), (BOB, "🙂🙂"), (ADA, "\u200b\u200f"), (NOLANG, "\x00\x01\x02"), (ADA, "?!")]
    for index, (user, text) in enumerate(hostile):
        await ask(api, user, text)
        user, text = empty[index % len(empty)]
        reply = await ask(api, user, text)
        assert reply["text"] == EMPTY[LANG[user["id"]]]
    await still_healthy(api, caplog)
    assert await stored_texts(bot) == [text for _, text in hostile]
    records = await services(bot).storage.unanswered_questions(status=None)
    assert {r.user_id for r in records} == {ADA["id"], BOB["id"], NOLANG["id"]}
    assert await questions_logged(bot) == len(hostile) + 1  # the normal question; no EMPTY message

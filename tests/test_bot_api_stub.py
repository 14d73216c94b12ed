"""The fake Bot API server against the real python-telegram-bot client (Bot and Application)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
import warnings

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from tests.support.bot_api import (
    DEFAULT_TOKEN,
    ApiError,
    FakeBotAPI,
    channel_chat,
    group_chat,
    make_user,
)

pytestmark = [
    # raised by PTB itself when it builds RetryAfter (PTB_TIMEDELTA not set), not by the fake
    pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Please use 'Bot.:UserWarning"),
]

ADA = make_user(4242, "Ada", "it", username="ada_l")
BOB = make_user(5151, "Bob", "en")


@pytest.fixture
async def server():
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def bot(server: FakeBotAPI):
    async with Bot(server.token, base_url=server.base_url) as client:
        yield client


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)] for text, data in pairs])


# ------------------------------------------------------------------------------------------------ Bot


async def test_get_me_returns_the_full_bot_user(server: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == server.bot_user_id
    assert me.is_bot
    assert me.username == "escp_test_bot"
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    assert me.supports_inline_queries is False
    assert bot.username == "escp_test_bot"  # set by Bot.initialize(), which calls getMe
    assert [c.method for c in server.calls] == ["getMe", "getMe"]
    assert server.base_url == f"http://127.0.0.1:{server.port}/bot"


async def test_send_message_records_decoded_params_and_returns_a_message(server: FakeBotAPI, bot: Bot) -> None:
    server.push_update(server.text_message(ADA, "ciao"))  # the user wrote first: the fake knows the chat
    markup = keyboard(("Scadenze", "deadlines"), ("Requisiti", "eligibility"))

    first = await bot.send_message(ADA["id"], "Scegli un argomento", reply_markup=markup)
    second = await bot.send_message(ADA["id"], "42")

    assert first.reply_markup == markup
    assert first.from_user.id == server.bot_user_id
    assert first.chat.type == "private"
    assert first.chat.first_name == "Ada"
    assert first.chat.username == "ada_l"
    assert second.message_id == first.message_id + 1 == 3  # the user's message was #1 of the chat
    assert second.text == "42"
    assert second.reply_markup is None

    params = server.messages_to(ADA["id"])
    assert [p["text"] for p in params] == ["Scegli un argomento", "42"]
    assert params[0]["chat_id"] == ADA["id"]  # form value "4242" decoded as a number
    assert isinstance(params[1]["text"], str)  # a String parameter is never JSON-decoded
    assert params[0]["reply_markup"] == markup.to_dict()
    assert "reply_markup" not in params[1]
    assert server.messages_to(str(ADA["id"])) == params
    assert [m["message_id"] for m in server.sent_messages(ADA["id"])] == [2, 3]
    assert server.texts_to(ADA["id"]) == ["Scegli un argomento", "42"]
    assert server.calls_to("sendmessage") == server.calls_to("sendMessage")  # names are case-insensitive
    assert all(call.ok for call in server.calls_to("sendMessage"))


async def test_text_goes_through_telegram_formatting(server: FakeBotAPI, bot: Bot) -> None:
    html = '<b>Scadenza</b>: 31 marzo 2017 &amp; <a href="https://ec.europa.eu">bando</a> 🇪🇺 /help'
    message = await bot.send_message(ADA["id"], html, parse_mode="HTML")
    assert message.text == "Scadenza: 31 marzo 2017 & bando 🇪🇺 /help"
    types = [(e.type, message.parse_entity(e)) for e in message.entities]
    assert types == [
        (MessageEntity.BOLD, "Scadenza"),
        (MessageEntity.TEXT_LINK, "bando"),
        (MessageEntity.BOT_COMMAND, "/help"),
    ]
    assert message.entities[1].url == "https://ec.europa.eu/"
    assert server.messages_to(ADA["id"])[0]["text"] == html  # the raw request is kept

    with pytest.raises(BadRequest, match="Unsupported parse_mode"):  # the bot writes HTML only
        await bot.send_message(ADA["id"], r"*Nota* \- versione 1\.2", parse_mode="MarkdownV2")

    trimmed = await bot.send_message(ADA["id"], "  \n ciao \n")
    assert trimmed.text == "ciao"

    with pytest.raises(BadRequest, match=r"Can't parse entities: unsupported start tag \"br\" at byte offset 2"):
        await bot.send_message(ADA["id"], "a <br> b", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"Can't parse entities: can't find end tag corresponding to start tag \"b\""):
        await bot.send_message(ADA["id"], "<b>Scadenza: 31 marzo", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ADA["id"], " \n ")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ADA["id"], "x" * 4097)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ADA["id"], "x", reply_markup=keyboard(("A", "d" * 65)))
    assert len(server.messages_to(ADA["id"])) == 2  # rejected messages are not delivered
    assert len(server.calls_to("sendMessage")) == 8


async def test_get_updates_returns_ptb_updates(server: FakeBotAPI, bot: Bot) -> None:
    update_id = server.push_update(server.text_message(ADA, "Quando scade il bando?"))

    [update] = await bot.get_updates(timeout=0)
    assert isinstance(update, Update)
    assert update.update_id == update_id
    assert update.message.text == "Quando scade il bando?"
    assert update.effective_user.id == ADA["id"]
    assert update.effective_user.language_code == "it"
    assert update.effective_chat.type == "private"

    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update_id]  # not confirmed yet
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert server.pending_updates == []
    call = server.calls_to("getUpdates")[-1]
    assert call.params["offset"] == update_id + 1
    assert call.params["timeout"] == 0

    # long polling returns as soon as an update is pushed
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, server.push_update, server.command(ADA, "/start", args="deadlines"))
    started = time.monotonic()
    [command] = await bot.get_updates(offset=update_id + 1, timeout=5)
    assert time.monotonic() - started < 2
    assert command.message.text == "/start deadlines"
    assert command.message.entities[0].type == MessageEntity.BOT_COMMAND
    assert command.message.entities[0].length == len("/start")

    # long polling without updates waits for the timeout
    started = time.monotonic()
    assert await bot.get_updates(offset=command.update_id + 1, timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3


async def test_builders_produce_updates_ptb_understands(server: FakeBotAPI, bot: Bot) -> None:
    group = server.add_chat(group_chat(-1001234567890, "ESCP-S3 partners"))
    channel = channel_chat(-1009876543210, "Avvisi")
    sent = await bot.send_message(ADA["id"], "Scegli", reply_markup=keyboard(("Scadenze", "deadlines")))
    in_group = await bot.send_message(group["id"], "Benvenuti")
    bot_message = server.last_sent(group["id"])
    assert bot_message["message_id"] == in_group.message_id

    builders = {
        "text": server.text_message(ADA, "ciao https://www.sistema.puglia.it #S3"),
        "command": server.command(ADA, "help"),
        "group_command": server.command(BOB, "/start", chat=group, mention_bot=True),
        "callback": server.callback_query(ADA, "deadlines", server.last_sent(ADA["id"])),
        "edited": server.edited_text_message(ADA, "ciao (modificato)", message=server.text_message(ADA, "ciao")),
        "photo": server.photo_message(ADA, caption="bando"),
        "sticker": server.sticker_message(ADA),
        "voice": server.voice_message(ADA),
        "document": server.document_message(ADA),
        "location": server.location_message(ADA),
        "contact": server.contact_message(ADA),
        "mention": server.mention_message(BOB, group, "quando scade?"),
        "reply": server.text_message(BOB, "e la proroga?", chat=group, reply_to=bot_message),
        "new_members": server.new_members_message(BOB, group),
        "channel_post": server.channel_post(channel, "Nuovo avviso"),
        "poll": server.poll(),
        "inline_query": server.inline_query(ADA, "scadenze"),
        "blocked": server.my_chat_member(ADA),
        "promoted": server.my_chat_member(BOB, group, old_status="member", new_status="administrator"),
    }
    ids = {name: server.push_update(update) for name, update in builders.items()}
    updates = {u.update_id: u for u in await bot.get_updates(timeout=0)}
    assert sorted(updates) == sorted(ids.values())  # every update parsed, none dropped
    got = {name: updates[update_id] for name, update_id in ids.items()}

    assert [e.type for e in got["text"].message.entities] == [MessageEntity.URL, MessageEntity.HASHTAG]
    assert filters.COMMAND.check_update(got["command"])
    assert got["group_command"].message.text == "/start@escp_test_bot"
    assert got["group_command"].effective_chat.type == "supergroup"
    assert got["callback"].callback_query.data == "deadlines"
    assert got["callback"].callback_query.message.message_id == sent.message_id
    assert got["callback"].callback_query.message.reply_markup == sent.reply_markup
    assert got["edited"].edited_message.text == "ciao (modificato)"
    assert got["edited"].edited_message.edit_date is not None
    assert filters.PHOTO.check_update(got["photo"])
    assert got["photo"].message.caption == "bando"
    assert filters.Sticker.ALL.check_update(got["sticker"])
    assert filters.VOICE.check_update(got["voice"])
    assert filters.Document.ALL.check_update(got["document"])
    assert filters.LOCATION.check_update(got["location"])
    assert filters.CONTACT.check_update(got["contact"])
    mention = got["mention"].message
    assert mention.parse_entities([MessageEntity.MENTION]) == {mention.entities[0]: "@escp_test_bot"}
    assert filters.Mention("escp_test_bot").check_update(got["mention"])
    assert got["reply"].message.reply_to_message.from_user.id == server.bot_user_id
    assert filters.REPLY.check_update(got["reply"])
    assert filters.StatusUpdate.NEW_CHAT_MEMBERS.check_update(got["new_members"])
    assert got["channel_post"].channel_post.text == "Nuovo avviso"
    assert got["poll"].poll.options[1].text == "30 aprile"
    assert got["inline_query"].inline_query.query == "scadenze"
    assert got["blocked"].my_chat_member.new_chat_member.status == "kicked"
    assert got["promoted"].my_chat_member.new_chat_member.status == "administrator"
    assert got["text"].effective_message is not None
    assert got["poll"].effective_message is None


async def test_callback_edit_and_delete_behave_like_telegram(server: FakeBotAPI, bot: Bot) -> None:
    markup = keyboard(("Scadenze", "deadlines"))
    sent = await bot.send_message(ADA["id"], "Scegli", reply_markup=markup)
    server.push_update(server.callback_query(ADA, "deadlines", server.last_sent(ADA["id"])))
    [update] = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert await query.answer("Ok") is True
    assert server.calls_to("answerCallbackQuery")[0].params == {"callback_query_id": query.id, "text": "Ok"}

    edited = await query.edit_message_text("Scadenza: 31 marzo", reply_markup=markup)
    assert edited.text == "Scadenza: 31 marzo"
    assert edited.reply_markup == markup
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await query.edit_message_text("Scadenza: 31 marzo", reply_markup=markup)

    # editing the text without reply_markup drops the keyboard, as on Telegram
    plain = await bot.edit_message_text("Scadenza: 31 marzo 2017", chat_id=ADA["id"], message_id=sent.message_id)
    assert plain.reply_markup is None
    assert server.message(ADA["id"], sent.message_id)["text"] == "Scadenza: 31 marzo 2017"
    back = await bot.edit_message_reply_markup(ADA["id"], sent.message_id, reply_markup=markup)
    assert back.reply_markup == markup

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=ADA["id"], message_id=999)
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(ADA["id"], "x", reply_to_message_id=sent.message_id + 100)
    reply = await bot.send_message(
        ADA["id"], "x", reply_to_message_id=sent.message_id + 100, allow_sending_without_reply=True
    )
    assert reply.reply_to_message is None


async def test_blocked_chat_is_forbidden(server: FakeBotAPI, bot: Bot) -> None:
    server.block_chat(ADA["id"])
    server.block_chat(-100555, description=None)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(ADA["id"], "promemoria")
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_chat_action(ADA["id"], "typing")
    with pytest.raises(Forbidden, match="kicked from the group chat"):
        await bot.send_message(-100555, "ciao")
    assert await bot.send_message(BOB["id"], "ok")  # other chats are unaffected
    assert server.messages_to(ADA["id"]) == []
    assert server.calls_to("sendMessage")[0].status == 403

    server.unblock_chat(ADA["id"])
    assert (await bot.send_message(ADA["id"], "di nuovo")).text == "di nuovo"


async def test_missing_chat_is_bad_request(server: FakeBotAPI, bot: Bot) -> None:
    server.missing_chat(777)
    with pytest.raises(BadRequest, match="Chat not found") as info:
        await bot.send_message(777, "ciao")
    assert info.value.message == "Chat not found"  # PTB strips "Bad Request: " and capitalises
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_chat_action(777, "typing")

    strict = FakeBotAPI(strict_chats=True)
    async with strict, Bot(strict.token, base_url=strict.base_url) as strict_bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await strict_bot.send_message(ADA["id"], "mai visto")
        strict.push_update(strict.text_message(ADA, "ciao"))
        assert await strict_bot.send_message(ADA["id"], "ora sì")


async def test_fail_next_becomes_retry_after(server: FakeBotAPI, bot: Bot) -> None:
    server.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7)
    server.fail_next("sendChatAction", status=500, times=2)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(ADA["id"], "uno")
    assert retry_seconds(info.value) == 7
    assert (await bot.send_message(ADA["id"], "due")).text == "due"  # only the next call failed
    assert server.too_many_requests_sent == 1
    failed = server.calls_to("sendMessage")[0]
    assert (failed.status, failed.description) == (429, "Too Many Requests: retry after 7")

    for _ in range(2):
        with pytest.raises(Exception, match="Internal Server Error"):
            await bot.send_chat_action(ADA["id"], "typing")
    assert await bot.send_chat_action(ADA["id"], "typing")


async def test_rate_limit_answers_429(server: FakeBotAPI, bot: Bot) -> None:
    server.rate_limit(5, retry_after=3)
    results = await asyncio.gather(*(bot.send_message(1000 + i, f"msg {i}") for i in range(8)), return_exceptions=True)
    limited = [r for r in results if isinstance(r, RetryAfter)]
    assert len(limited) == 3
    assert all(retry_seconds(r) == 3 for r in limited)
    assert server.too_many_requests_sent == 3
    assert sum(len(server.messages_to(1000 + i)) for i in range(8)) == 5
    assert [c.status for c in server.calls_to("sendMessage")].count(429) == 3

    server.rate_limit(None, per_chat_limit=True)
    await bot.send_message(ADA["id"], "uno")
    with pytest.raises(RetryAfter):
        await bot.send_message(ADA["id"], "due")
    await bot.send_message(BOB["id"], "altro utente")
    assert server.too_many_requests_sent == 4

    server.reset_faults()
    await bot.send_message(ADA["id"], "tre")


async def test_wrong_token_is_invalid_token(server: FakeBotAPI) -> None:
    wrong = Bot("123456:WRONG-token", base_url=server.base_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    malformed = Bot("not-a-token", base_url=server.base_url)
    with pytest.raises(InvalidToken):
        await malformed.get_me()
    assert [c.status for c in server.calls_to("getMe")] == [401, 404]
    assert server.calls_to("getMe")[0].description == "Unauthorized"


async def test_unknown_method_is_not_found(server: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendHologram", api_kwargs={"chat_id": ADA["id"]})
    call = server.calls_to("sendHologram")[0]
    assert (call.status, call.description) == (404, "Not Found: method not found")
    assert server.unknown_methods == ["sendHologram"]

    server.handle("sendHologram", lambda params, call: {"dice": params["chat_id"]})
    assert await bot.do_api_request("sendHologram", api_kwargs={"chat_id": 5}) == {"dice": 5}

    def refuse(params: dict, call: object) -> None:
        raise ApiError(400, "Bad Request: hologram is too big")

    server.handle("sendHologram", refuse)
    with pytest.raises(BadRequest, match="Hologram is too big"):
        await bot.do_api_request("sendHologram")

    def broken(params: dict, call: object) -> None:
        raise RuntimeError("bug in a custom handler")

    server.handle("sendHologram", broken)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.do_api_request("sendHologram")
    assert server.calls_to("sendHologram")[-1].status == 500


async def test_commands_and_chat_actions(server: FakeBotAPI, bot: Bot) -> None:
    it = [BotCommand("start", "Avvia"), BotCommand("scadenze", "Le scadenze")]
    assert await bot.set_my_commands(it, language_code="it")
    assert await bot.set_my_commands([BotCommand("start", "Start")])
    assert await bot.set_my_commands([BotCommand("admin", "Admin")], scope=BotCommandScopeChat(ADA["id"]))
    assert server.commands(language_code="it") == [c.to_dict() for c in it]
    assert [c["command"] for c in server.commands()] == ["start"]
    assert [c["command"] for c in server.commands(scope={"type": "chat", "chat_id": ADA["id"]})] == ["admin"]
    assert server.commands(language_code="en") == []
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Avvia")])

    assert await bot.send_chat_action(ADA["id"], "typing")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.do_api_request("sendChatAction", api_kwargs={"chat_id": ADA["id"], "action": "dancing"})


async def test_webhook_conflicts_and_allowed_updates(server: FakeBotAPI, bot: Bot) -> None:
    assert await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)
    server.push_update(server.text_message(ADA, "persa"))
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert await bot.get_updates(timeout=0) == ()

    # a second long poll terminates the first with 409, as on Telegram
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await server.wait_for(lambda s: len(s.calls_to("getUpdates")) == 3)
    async with Bot(server.token, base_url=server.base_url) as other:
        assert await other.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first

    # allowed_updates filters (and drops) the other kinds; by default chat_member is not delivered
    server.push_update(server.callback_query(ADA, "x", None))
    server.push_update(server.text_message(ADA, "solo messaggi"))
    [update] = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert update.message.text == "solo messaggi"
    assert [next(iter(u)) for u in server.dropped_updates] == ["callback_query"]
    await bot.get_updates(offset=update.update_id + 1, timeout=0, allowed_updates=[])
    chat_member = server.my_chat_member(ADA)
    chat_member["chat_member"] = chat_member.pop("my_chat_member")
    server.push_update(chat_member)
    assert await bot.get_updates(timeout=0) == ()


async def test_raw_http_json_form_and_get(server: FakeBotAPI) -> None:
    url = f"{server.base_url}{server.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{url}/sendMessage",
            json={
                "chat_id": "77",
                "text": "42",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "url": "x.org"}]]},
            },
        ) as response:
            body = await response.json()
        assert response.status == 200
        assert body["ok"] is True
        assert body["result"]["text"] == "42"
        assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["url"] == "x.org"

        async with session.post(f"{url}/SENDMESSAGE", data={"chat_id": "77", "text": "true"}) as response:
            assert (await response.json())["result"]["chat"]["id"] == 77
        async with session.get(f"{url}/getMe") as response:
            assert (await response.json())["result"]["username"] == "escp_test_bot"
        async with session.get(f"{url}/getUpdates?offset=-1&timeout=0") as response:
            assert await response.json() == {"ok": True, "result": []}
        async with session.get(f"http://127.0.0.1:{server.port}/favicon.ico") as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with session.post(f"{url}/sendMessage", data=b"{oops", headers={"Content-Type": "application/json"}) as r:
            assert r.status == 400
    assert [p["text"] for p in server.messages_to(77)] == ["42", "true"]
    assert server.calls_to("sendMessage")[1].params["text"] == "true"  # String parameters stay strings
    assert server.calls_to("getUpdates")[0].http_method == "GET"


async def test_delay_timeouts_and_wait_for_dump(server: FakeBotAPI, bot: Bot) -> None:
    server.delay("sendMessage", 0.3)
    started = time.monotonic()
    await bot.send_message(ADA["id"], "lento")
    assert time.monotonic() - started >= 0.3
    with pytest.raises(TimedOut):
        await bot.send_message(ADA["id"], "troppo lento", read_timeout=0.1)
    server.delay("sendMessage", None)

    with pytest.raises(AssertionError, match=r"(?s)2 message\(s\) to chat 4242.*sendMessage -> 200"):
        await server.wait_for_messages(ADA["id"], count=2, timeout=0.2, since=1)
    server.clear_calls()
    assert server.calls == [] and server.messages_to(ADA["id"]) == []


async def test_many_requests_stay_fast(server: FakeBotAPI) -> None:
    url = f"{server.base_url}{server.token}/sendMessage"
    connector = aiohttp.TCPConnector(limit=20)
    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(i: int) -> int:
            async with session.post(
                url, data={"chat_id": str(i % 50 + 1), "text": f"<b>n.</b> {i}", "parse_mode": "HTML"}
            ) as r:
                await r.read()
                return r.status

        statuses = await asyncio.gather(*(send(i) for i in range(1000)))
    elapsed = time.monotonic() - started
    assert statuses.count(200) == 1000
    assert sum(len(server.messages_to(i)) for i in range(1, 51)) == 1000
    assert elapsed < 5, f"1000 sendMessage took {elapsed:.2f}s"


# ------------------------------------------------------------------------------------------------ Application


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


def build_application(server: FakeBotAPI):
    application = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


async def test_application_polls_and_echoes(server: FakeBotAPI) -> None:
    application = build_application(server)
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        update_id = server.push_update(server.text_message(ADA, "Quando scade?"))
        [reply] = await server.wait_for_messages(ADA["id"])
        assert reply["text"] == "Quando scade?"
        assert reply["chat_id"] == ADA["id"]
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()

    methods = [c.method for c in server.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    first_poll = server.calls_to("getUpdates")[0].params
    assert first_poll["timeout"] == 1
    assert server.calls_to("getUpdates")[-1].params["offset"] == update_id + 1  # confirmed on shutdown
    assert server.pending_updates == []
    assert all(c.ok for c in server.calls if c.method != "getUpdates")
    assert {c.status for c in server.calls_to("getUpdates")} <= {200, 499}  # 499: poll cancelled by PTB


async def test_application_reconnects_after_server_restart(server: FakeBotAPI) -> None:
    application = build_application(server)
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        server.push_update(server.text_message(ADA, "prima"))
        await server.wait_for_messages(ADA["id"])
        port = server.port

        await server.stop()
        assert not server.running
        server.push_update(server.text_message(ADA, "dopo"))  # queued while the server is away
        await asyncio.sleep(0.2)
        await server.start()
        assert server.port == port

        messages = await server.wait_for_messages(ADA["id"], count=2, timeout=8)
        assert [m["text"] for m in messages] == ["prima", "dopo"]
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_server_refuses_connections_while_stopped(server: FakeBotAPI) -> None:
    client = Bot(DEFAULT_TOKEN, base_url=server.base_url)
    async with client:
        await server.stop()
        with pytest.raises(NetworkError):
            await client.get_me()
        await server.start()
        assert (await client.get_me()).username == "escp_test_bot"


async def test_files_users_send_are_downloaded_as_from_telegram(server: FakeBotAPI) -> None:
    """getFile, then the file URL beside the API (what PTB's File.download_* fetch), with Telegram's refusals."""
    file_url = server.base_url.removesuffix("/bot") + "/file/bot"
    async with Bot(server.token, base_url=server.base_url, base_file_url=file_url) as client:
        content = b"PK\x03\x04 workbook bytes"
        update = server.document_message(ADA, file_name="kb.xlsx", content=content)
        document = update["message"]["document"]
        assert document["file_size"] == len(content)
        file = await client.get_file(document["file_id"])
        assert file.file_size == len(content) and file.file_path.endswith(".xlsx")
        assert bytes(await file.download_as_bytearray()) == content
        assert server.downloads == [file.file_path.rsplit("/file/bot" + server.token + "/", 1)[-1]]
        with pytest.raises(BadRequest, match="Invalid file_id"):
            await client.get_file("FAKE-document-999999")
        huge = server.document_message(ADA, content=b"x" * (20 * 1024 * 1024 + 1))
        with pytest.raises(BadRequest, match="File is too big"):
            await client.get_file(huge["message"]["document"]["file_id"])
    path = server.downloads[0]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{file_url}123456:WRONG-token/{path}") as response:
            assert response.status == 401
        async with http.get(f"{file_url}{server.token}/documents/nothing.xlsx") as response:
            assert response.status == 404

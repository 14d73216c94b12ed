"""Conversation handlers: Update -> assistant -> send. Each is small; the assistant does the thinking."""

import datetime as dt
import logging
from html import escape

from telegram import Message, Update
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.assistant import Reply
from bot.deadlines import deadline_summary
from bot.i18n import Translator
from bot.language import choose_language
from bot.outcome import Outcome
from bot.telegram import callbacks
from bot.telegram.formatting import reply_html
from bot.telegram.keyboards import (
    language_keyboard,
    reply_keyboard,
    topic_questions_keyboard,
    topics_keyboard,
)
from bot.telegram.sending import send_html, show_typing, with_retries
from bot.telegram.services import Services, services
from bot.telegram.subscriptions import deadline_keyboard

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}
SEEN_REFRESH = dt.timedelta(minutes=5)


# -- who is asking -----------------------------------------------------------------------------------------------


async def user_languages(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[str | None, str | None]:
    """The user's stored language choice (if any) and their Telegram client language; records the visit."""
    user = update.effective_user
    if user is None:
        return None, None
    svc = services(context)
    now = svc.clock()
    seen = context.user_data.get("seen_at")
    # One write per user every few minutes is enough for "last seen"; the choice itself is cached here.
    if seen is None or now - seen >= SEEN_REFRESH or seen > now:
        record = await svc.store("record the user", lambda: svc.storage.touch_user(user.id, user.language_code, now))
        if record is not None:
            context.user_data["lang"] = record.chosen_lang
            context.user_data["seen_at"] = now
    return context.user_data.get("lang"), user.language_code


async def bot_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Services, Translator]:
    """For the bot's own messages (no question to read the language from)."""
    chosen, telegram_lang = await user_languages(update, context)
    svc = services(context)
    return svc, svc.catalogs[choose_language(explicit=chosen, detected=None, telegram=telegram_lang)]


def addressed_to_bot(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str | None:
    """In a group, the text meant for the bot (mention removed), or None when the message is not for the bot."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    reply_to = message.reply_to_message
    if reply_to and reply_to.from_user and reply_to.from_user.id == context.bot.id:
        return text
    mention = f"@{context.bot.username}".lower()
    for entity, value in message.parse_entities([MessageEntityType.MENTION, MessageEntityType.TEXT_MENTION]).items():
        if value.lower() == mention or (entity.user and entity.user.id == context.bot.id):
            return text.replace(value, " ").strip()
    return None


def reply_chat_id(update: Update) -> int | None:
    """Where to reply: the chat, or the user's private chat for buttons on inline messages (which have none)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, keyboard=None) -> Message | None:
    chat_id = reply_chat_id(update)
    if chat_id is None:
        return None
    return await send_html(context.bot, chat_id, text, keyboard)


# -- questions ---------------------------------------------------------------------------------------------------


async def send_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, *, log_text: str) -> None:
    """Send an assistant reply with its buttons, remember it for feedback, and log it for staff."""
    svc = services(context)
    chat_id = reply_chat_id(update)
    if chat_id is None:
        return
    if reply.kind is not Outcome.EMPTY:
        await log_reply(update, context, reply, log_text)  # before replying: what a user has seen is logged
    sent = await send_html(context.bot, chat_id, reply_html(reply), reply_keyboard(reply, svc.catalogs[reply.lang]))
    if reply.answered:
        svc.recent.remember(chat_id, sent.message_id, log_text)


async def log_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, log_text: str) -> None:
    svc = services(context)
    user = update.effective_user
    await svc.store(
        "log the question",
        lambda: svc.storage.log_question(
            user_id=user.id if user else None,
            text=log_text,
            lang=reply.lang,
            outcome=reply.kind.value,
            entry_id=reply.entry_id,
            score=reply.score,
            candidates=[(c.entry_id, c.score) for c in reply.candidates],
            now=svc.clock(),
        ),
    )


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    text = addressed_to_bot(message, context)
    if text is None:
        return
    chosen, telegram_lang = await user_languages(update, context)
    await show_typing(context.bot, message.chat_id)
    reply = services(context).assistant.reply(text, chosen_lang=chosen, telegram_lang=telegram_lang)
    await send_reply(update, context, reply, log_text=text)


async def on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        return
    _, tr = await bot_language(update, context)
    await say(update, context, tr.gettext("I can only read text messages: please type your question in words."))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    command = (message.text or "").split()[0] if message and message.text else ""
    if "@" in command and command.split("@", 1)[1].lower() != (context.bot.username or "").lower():
        return  # a command for another bot in the same group
    _, tr = await bot_language(update, context)
    await say(update, context, tr.gettext("Sorry, I don't know that command. Try /help."))


# -- commands ----------------------------------------------------------------------------------------------------


def welcome_text(tr: Translator) -> str:
    return tr.gettext(
        "Hello! I answer questions about the EU call <b>Towards European Strategic Cluster Partnerships for smart "
        "specialisation investments</b> (ESCP-S3), promoted in Puglia in 2016.\n\n"
        "Write your question in Italian or English, or pick a topic below. /lang changes the language, "
        "/deadline shows the deadlines, /help lists everything I can do."
    )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome; a deep-link payload (t.me/bot?start=deadlines) opens a topic or an answer directly."""
    svc, tr = await bot_language(update, context)
    payload = context.args[0].lower() if context.args else ""
    assistant = svc.assistant
    if assistant.kb.answerable(payload):
        await send_reply(update, context, assistant.answer(payload, tr.lang), log_text=f"/start {payload}")
        return
    if assistant.menu_topic(payload):
        await send_topic(update, context, payload, tr)
        return
    await say(update, context, welcome_text(tr), topics_keyboard(assistant.topics(), tr.lang))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _, tr = await bot_language(update, context)
    await say(
        update,
        context,
        tr.gettext(
            "Ask me anything about the ESCP-S3 call: who can take part, sectors, phases, deadlines, how to apply.\n\n"
            "/topics browse the questions by topic\n"
            "/deadline the deadlines and whether they are still open\n"
            "/subscribe reminders before each deadline (/unsubscribe stops them)\n"
            "/lang choose Italian or English\n"
            "/privacy what I store about you (/mydata shows it, /forget deletes it)\n"
            "/help this message\n\n"
            "When I don't know something I say so, and the programme staff see the question so they can add the answer."
        ),
    )


async def lang_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    _, tr = await bot_language(update, context)
    await say(update, context, tr.gettext("Which language should I use?"), language_keyboard(tr))


async def topics_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc, tr = await bot_language(update, context)
    await say(update, context, tr.gettext("Pick a topic:"), topics_keyboard(svc.assistant.topics(), tr.lang))


async def deadline_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc, tr = await bot_language(update, context)
    assistant = svc.assistant
    text = deadline_summary(assistant.kb, svc.clock(), tr, assistant.timezone)
    chat_id = reply_chat_id(update)
    subscribed = await svc.store("read the subscription", lambda: svc.storage.is_subscribed(chat_id))
    await say(update, context, _escape(text), deadline_keyboard(tr, bool(subscribed)))


def _escape(text: str) -> str:
    return escape(text, quote=False)


async def send_topic(update: Update, context: ContextTypes.DEFAULT_TYPE, topic_id: str, tr: Translator) -> None:
    assistant = services(context).assistant
    topic = assistant.menu_topic(topic_id)
    links = assistant.links(topic.entry_ids, tr.lang)
    await say(update, context, f"<b>{_escape(topic.title.get(tr.lang))}</b>", topic_questions_keyboard(links, tr))


# -- buttons -----------------------------------------------------------------------------------------------------


async def edit_or_send(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, keyboard) -> None:
    """Menus change in place when the message is still there; otherwise a new message is sent."""
    query = update.callback_query
    if query.message is not None and isinstance(query.message, Message):
        try:
            await with_retries(lambda: query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard))
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("could not edit the menu message (%s); sending a new one", exc)
    await say(update, context, text, keyboard)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    svc, tr = await bot_language(update, context)
    button = callbacks.decode(query.data)
    assistant = svc.assistant
    if button is None:
        await query.answer(tr.gettext("This button is no longer valid."))
        return
    if handler := svc.buttons.get(button.action):
        await handler(update, context)
    elif button.action == callbacks.ANSWER:
        if not assistant.kb.answerable(button.target):
            await query.answer(tr.gettext("That question is no longer available. Try /topics."), show_alert=True)
            return
        await query.answer()
        reply = assistant.answer(button.target, tr.lang)
        await send_reply(update, context, reply, log_text=reply.question)
    elif button.action == callbacks.TOPIC:
        topic = assistant.menu_topic(button.target)
        if topic is None:
            await query.answer(tr.gettext("That topic is no longer available."), show_alert=True)
            return
        await query.answer()
        links = assistant.links(topic.entry_ids, tr.lang)
        await edit_or_send(
            update, context, f"<b>{_escape(topic.title.get(tr.lang))}</b>", topic_questions_keyboard(links, tr)
        )
    elif button.action == callbacks.TOPICS:
        await query.answer()
        await edit_or_send(update, context, tr.gettext("Pick a topic:"), topics_keyboard(assistant.topics(), tr.lang))
    elif button.action == callbacks.LANGUAGE:
        await choose_language_button(update, context, button.target)
    elif button.action == callbacks.FEEDBACK:
        await feedback_button(update, context, button.target, tr)
    else:  # a well-formed action this bot does not (or no longer) know
        await query.answer(tr.gettext("This button is no longer valid."))


async def choose_language_button(update: Update, context: ContextTypes.DEFAULT_TYPE, target: str) -> None:
    svc = services(context)
    query = update.callback_query
    if target not in ("it", "en", "auto"):
        await query.answer()
        return
    chosen = None if target == "auto" else target
    context.user_data["lang"] = chosen
    await svc.store("save the language", lambda: svc.storage.set_language(query.from_user.id, chosen, svc.clock()))
    tr = svc.catalogs[chosen or choose_language(explicit=None, detected=None, telegram=query.from_user.language_code)]
    if chosen:
        text = tr.gettext("I will reply in %(language)s.", language=LANGUAGE_NAMES[chosen])
    else:
        text = tr.gettext("I will reply in the language of each question.")
    await query.answer(text)
    await edit_or_send(update, context, _escape(text), None)


async def feedback_button(update: Update, context: ContextTypes.DEFAULT_TYPE, target: str, tr: Translator) -> None:
    svc = services(context)
    query = update.callback_query
    vote, _, entry_id = target.partition(":")
    if vote not in "+-" or not vote or not svc.assistant.kb.answerable(entry_id):
        await query.answer(tr.gettext("This button is no longer valid."))
        return
    message = query.message
    chat_id = message.chat.id if message else 0
    message_id = message.message_id if message else 0
    await svc.store(
        "save feedback",
        lambda: svc.storage.record_feedback(
            user_id=query.from_user.id,
            message_key=f"{chat_id}:{message_id}",
            entry_id=entry_id,
            question=svc.recent.get(chat_id, message_id),
            lang=tr.lang,
            vote=1 if vote == "+" else -1,
            now=svc.clock(),
        ),
    )
    await query.answer(tr.gettext("Thank you for your feedback!"))


# -- registration ------------------------------------------------------------------------------------------------

_MESSAGES = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE


def conversation_handlers() -> list[BaseHandler]:
    """Commands, buttons and questions."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("lang", lang_command),
        CommandHandler("topics", topics_command),
        CommandHandler("deadline", deadline_command),
        CallbackQueryHandler(on_callback),
        MessageHandler(_MESSAGES & filters.TEXT & ~filters.COMMAND, on_text),
    ]


def fallback_handlers() -> list[BaseHandler]:
    """Registered after every other handler: what no command or question handler took."""
    return [
        MessageHandler(_MESSAGES & filters.COMMAND, on_unknown_command),
        MessageHandler(_MESSAGES & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_non_text),
    ]

"""The conversation: questions in, the assistant's replies out; /start, /help, /lang; answer and feedback buttons.

Each handler is small: the assistant does the thinking, the context knows the reader's language.
"""

import logging
from dataclasses import dataclass
from functools import partial
from html import escape

from telegram import Update
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.assistant import Reply
from bot.deadlines import all_passed_note
from bot.i18n import Translator, mark
from bot.outcome import Outcome
from bot.storage import StorageError
from bot.telegram import callbacks
from bot.telegram.callbacks import ButtonHandler
from bot.telegram.context import LANG_KEY, BotContext
from bot.telegram.feature import DEEP_LINKS_KEY, MESSAGES, Feature
from bot.telegram.formatting import reply_html
from bot.telegram.keyboards import LANGUAGE_NAMES, language_keyboard, reply_keyboard, topic_menu, topics_keyboard
from bot.telegram.reader import addressed_to_bot
from bot.telegram.replies import (
    answer_stale_button,
    deliver_privately,
    edit_or_send,
    group_reply_target,
    in_group,
    pressed,
    pressed_by_author,
    reply_chat_id,
    say,
)
from bot.telegram.sending import TypingWhileSlow, send_html

log = logging.getLogger(__name__)

# -- questions ---------------------------------------------------------------------------------------------------


async def send_reply(
    update: Update, context: BotContext, reply: Reply, *, log_text: str, privately: bool = False
) -> None:
    """Send an assistant reply with its buttons, remember it for feedback, and log it for staff; `privately`
    sends it to the user's private chat instead of where they are (a group)."""
    logged = await log_reply(update, context, reply, log_text)  # before replying: what a user has seen is logged
    await send_logged_reply(update, context, reply, log_text=log_text, logged=logged, privately=privately)


async def send_logged_reply(
    update: Update,
    context: BotContext,
    reply: Reply,
    *,
    log_text: str,
    logged: "Logged",
    privately: bool = False,
) -> None:
    """`send_reply` once `log_reply` is done; `logged` is what it returned."""
    services = context.services
    user = update.effective_user
    chat_id = user.id if privately and user else reply_chat_id(update)
    if chat_id is None:
        return
    feedback_entry = next(
        (p.entry_id for p in reply.parts if p.entry_id not in services.assistant.index.smalltalk), None
    )
    keyboard = reply_keyboard(
        reply, services.catalogs[reply.lang], feedback_entry=feedback_entry, notify=logged.notify(reply)
    )
    quote = None if privately else group_reply_target(update)
    sent = await send_html(context.bot, chat_id, reply_html(reply), keyboard, reply_to=quote)
    if reply.answered and sent is not None:  # None: Telegram's answer was lost, so its message id is unknown
        services.recent.remember(chat_id, sent.message_id, log_text)


@dataclass(frozen=True)
class Logged:
    """The ids staff keep the questions of a reply under (None: not kept, or the database failed): the message's,
    and each question left unanswered beside answered ones."""

    question: int | None = None
    unanswered: tuple[tuple[str, int | None], ...] = ()

    def notify(self, reply: Reply) -> list[tuple[str, int]]:
        """The 🔔 buttons to offer: (the question, its id) for each question kept for staff."""
        if reply.needs_staff:
            return [(reply.question, self.question)] if self.question is not None else []
        return [(question, kept) for question, kept in self.unanswered if kept is not None]


async def log_reply(update: Update, context: BotContext, reply: Reply, log_text: str) -> Logged:
    """The question for statistics (and for staff when it was not answered); a question of the message left
    unanswered beside answered ones goes to staff on its own. Statistics are queued, committed with others soon
    after; what staff are to see is committed before this returns (storage `log_question(soon=True)`)."""
    if reply.kind is Outcome.EMPTY:
        return Logged()
    services = context.services
    user = update.effective_user
    log_question = partial(
        services.storage.log_question,
        user_id=user.id if user else None,
        lang=reply.lang,
        now=services.clock(),
        soon=True,
    )
    logged = await services.store(
        "log the question",
        lambda: log_question(
            text=log_text,
            outcome=reply.kind,
            entry_id=reply.entry_id,
            score=reply.score,
            candidates=[(c.entry_id, c.score) for c in reply.candidates],
        ),
    )
    unanswered = []
    for question in reply.unanswered:
        keep = partial(log_question, text=question, outcome=Outcome.UNKNOWN, entry_id=None, score=0.0, candidates=[])
        unanswered.append((question, await services.store("log the question", keep)))
    return Logged(logged, tuple(unanswered))


async def on_text(update: Update, context: BotContext) -> None:
    message = update.effective_message
    text = addressed_to_bot(message, context) if message else None
    if message is None or text is None:
        return
    services = context.services
    async with TypingWhileSlow(context.bot, message.chat_id):  # "typing..." only if the reply is slow to come
        assistant = services.assistant
        sender = message.from_user.id if message.from_user else 0
        now = services.clock()
        earlier = services.earlier.get(message.chat_id, sender, now)
        reply = assistant.reply(
            text, chosen_lang=context.chosen_lang, telegram_lang=context.client_lang, earlier=earlier
        )
        if reply.needs_staff or (reply.answered and reply.entry_id not in assistant.index.smalltalk):
            # what the next message may follow up: this question, with the one it followed up
            services.earlier.remember(message.chat_id, sender, f"{earlier} {text}" if reply.followed_up else text, now)
        logged = await log_reply(update, context, reply, text)
    await send_logged_reply(update, context, reply, log_text=text, logged=logged)


async def answer_button(update: Update, context: BotContext) -> None:
    """A related question, a "did you mean" candidate or a topic's question: its answer."""
    query, tr, assistant = pressed(update), context.tr, context.services.assistant
    entry_id = context.button.group(1)
    if not assistant.kb.answerable(entry_id):
        await query.answer(tr.gettext("That question is no longer available. Try /topics."), show_alert=True)
        return
    reply = assistant.answer(entry_id, tr.lang)
    if pressed_by_author(update):
        await query.answer()
        await send_reply(update, context, reply, log_text=reply.question)
        return
    # another member's press in a group: the answer goes to them, not to the group
    await deliver_privately(
        update, context, lambda: send_reply(update, context, reply, log_text=reply.question, privately=True)
    )


async def notify_button(update: Update, context: BotContext) -> None:
    """🔔: tell this user, privately, when staff answer the question; once, through the delivery ledger."""
    services, tr, query = context.services, context.tr, pressed(update)
    author = pressed_by_author(update)
    lang = None if author else tr.lang  # the author: the language of their question
    try:
        recorded = await services.storage.request_answer(
            query.from_user.id, int(context.button.group(1)), lang, services.clock()
        )
    except StorageError:
        log.exception("DATABASE FAILURE while recording a request to be told of an answer")
        await query.answer(tr.gettext("Sorry, I cannot note that right now. Please try later."), show_alert=True)
        return
    if recorded is None:
        await query.answer(tr.gettext("The staff have already dealt with this question: ask me again."))
        return
    done = tr.gettext("I will tell you in our private chat when there is an answer, once.")
    if author and not in_group(update):
        await query.answer(done if recorded else tr.gettext("Already noted: I will tell you."))
        return
    # in a group: the answer will come privately, so make sure the member can be written to
    await deliver_privately(update, context, lambda: send_html(context.bot, query.from_user.id, escape(done)))


async def feedback_button(update: Update, context: BotContext) -> None:
    services, query = context.services, pressed(update)
    vote, entry_id = context.button.groups()
    if not services.assistant.kb.answerable(entry_id):
        await answer_stale_button(update, context)
        return
    message = query.message
    chat_id = message.chat.id if message else 0
    message_id = message.message_id if message else 0
    await services.store(
        "save feedback",
        lambda: services.storage.record_feedback(
            user_id=query.from_user.id,
            message_key=f"{chat_id}:{message_id}",
            entry_id=entry_id,
            question=services.recent.get(chat_id, message_id),
            lang=context.tr.lang,
            vote=1 if vote == "+" else -1,
            now=services.clock(),
        ),
    )
    await query.answer(context.tr.gettext("Thank you for your feedback!"))


# -- commands ----------------------------------------------------------------------------------------------------


def welcome_text(tr: Translator) -> str:
    return tr.gettext(
        "Hello! I answer questions about the EU call <b>Towards European Strategic Cluster Partnerships for smart "
        "specialisation investments</b> (ESCP-S3), promoted in Puglia in 2016.\n\n"
        "Write your question in Italian or English, or pick a topic below. /lang changes the language, "
        "/deadline shows the deadlines, /help lists everything I can do."
    )


async def start(update: Update, context: BotContext) -> None:
    """Welcome; a deep-link payload (t.me/bot?start=deadlines) opens a topic or an answer directly."""
    tr, assistant = context.tr, context.services.assistant
    payload = context.args[0].lower() if context.args else ""
    if deep_link := context.bot_data.get(DEEP_LINKS_KEY, {}).get(payload):
        await deep_link(update, context)
        return
    if assistant.kb.answerable(payload):
        await send_reply(update, context, assistant.answer(payload, tr.lang), log_text=f"/start {payload}")
        return
    if menu := topic_menu(assistant, payload, tr):
        await say(update, context, *menu)
        return
    text = welcome_text(tr)
    if note := all_passed_note(assistant.kb, context.services.clock(), tr, assistant.timezone):
        text += "\n\n⚠️ " + escape(note + " " + tr.gettext("My answers describe the call as it was."), quote=False)
    await say(update, context, text, topics_keyboard(assistant.topics(), tr.lang))


async def help_command(update: Update, context: BotContext) -> None:
    await say(
        update,
        context,
        context.tr.gettext(
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


async def lang_command(update: Update, context: BotContext) -> None:
    tr = context.tr
    await say(update, context, tr.gettext("Which language should I use?"), language_keyboard(tr))


async def language_button(update: Update, context: BotContext) -> None:
    services, query = context.services, pressed(update)
    target = context.button.group(1)
    chosen = None if target == "auto" else target
    if context.user_data is not None:
        context.user_data[LANG_KEY] = chosen
    await services.store(
        "save the language", lambda: services.storage.set_language(query.from_user.id, chosen, services.clock())
    )
    tr = context.tr  # now in the chosen language
    if chosen:
        text = tr.gettext("I will reply in %(language)s.", language=LANGUAGE_NAMES[chosen])
    else:
        text = tr.gettext("I will reply in the language of each question.")
    await query.answer(text)
    if pressed_by_author(update):  # another member's choice is theirs: the toast tells them, the menu stays
        await edit_or_send(update, context, escape(text, quote=False), None)


def feature() -> Feature:
    return Feature(
        handlers=[
            CommandHandler("start", start),
            CommandHandler("help", help_command),
            CommandHandler("lang", lang_command),
            ButtonHandler(answer_button, callbacks.ANSWER, f"({callbacks.ID})"),
            ButtonHandler(feedback_button, callbacks.FEEDBACK, rf"([+-]):({callbacks.ID})"),
            ButtonHandler(language_button, callbacks.LANGUAGE, "(it|en|auto)"),
            ButtonHandler(notify_button, callbacks.NOTIFY, r"(\d{1,18})"),
            MessageHandler(MESSAGES & filters.TEXT & ~filters.COMMAND, on_text),
        ],
        commands={
            "start": mark("Start and pick a topic"),
            "lang": mark("Choose the language"),
            "help": mark("What I can do"),
        },
    )

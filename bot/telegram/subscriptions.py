"""/subscribe and /unsubscribe, and the same as a button under /deadline."""

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.i18n import Translator, mark
from bot.telegram import callbacks
from bot.telegram import handlers as conversation  # a module import: handlers.py may import this module too
from bot.telegram.sending import with_retries
from bot.telegram.services import Services

SUBSCRIPTION_COMMANDS = {
    "subscribe": mark("Deadline reminders"),
    "unsubscribe": mark("Stop the deadline reminders"),
}
ON, OFF = "on", "off"


def deadline_keyboard(tr: Translator, subscribed: bool) -> InlineKeyboardMarkup:
    """One button under /deadline: subscribe, or stop, depending on the chat's state."""
    if subscribed:
        button = InlineKeyboardButton(
            "🔕 " + tr.gettext("Stop the reminders"), callback_data=callbacks.encode(callbacks.SUBSCRIPTION, OFF)
        )
    else:
        button = InlineKeyboardButton(
            "🔔 " + tr.gettext("Remind me of the deadlines"), callback_data=callbacks.encode(callbacks.SUBSCRIPTION, ON)
        )
    return InlineKeyboardMarkup([[button]])


async def set_subscription(svc: Services, chat_id: int, lang: str, on: bool) -> bool | None:
    """Subscribe or unsubscribe; True if that changed something, None if the database failed."""
    now = svc.clock()
    if on:
        return await svc.store("subscribe", lambda: svc.storage.subscribe(chat_id, lang, now))
    return await svc.store("unsubscribe", lambda: svc.storage.unsubscribe(chat_id, "user", now))


def subscription_text(tr: Translator, on: bool, changed: bool) -> str:
    if on and changed:
        return tr.gettext(
            "🔔 Subscribed: I will send you a reminder in the morning as each deadline approaches, "
            "and a notice if a deadline changes. /unsubscribe stops them."
        )
    if on:
        return tr.gettext("🔔 You are already subscribed to the deadline reminders. /unsubscribe stops them.")
    if changed:
        return tr.gettext("🔕 Unsubscribed: no more reminders. /subscribe starts them again.")
    return tr.gettext("🔕 You are not subscribed to the reminders. /subscribe starts them.")


async def subscription_command(update: Update, context: ContextTypes.DEFAULT_TYPE, on: bool) -> None:
    svc, tr = await conversation.bot_language(update, context)
    chat = update.effective_chat
    changed = await set_subscription(svc, chat.id, tr.lang, on)
    if changed is None:
        text = tr.gettext("Sorry, something went wrong on my side. Please try again.")
    else:
        text = subscription_text(tr, on, changed)
    await conversation.say(update, context, escape(text, quote=False))


async def subscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await subscription_command(update, context, on=True)


async def unsubscribe_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await subscription_command(update, context, on=False)


async def subscription_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The button under /deadline: act, confirm in a toast, and flip the button."""
    query = update.callback_query
    svc, tr = await conversation.bot_language(update, context)
    button = callbacks.decode(query.data)
    chat = update.effective_chat
    if button is None or button.target not in (ON, OFF) or chat is None:
        await query.answer(tr.gettext("This button is no longer valid."))
        return
    on = button.target == ON
    changed = await set_subscription(svc, chat.id, tr.lang, on)
    if changed is None:
        await query.answer(tr.gettext("Sorry, something went wrong on my side. Please try again."))
        return
    await query.answer(tr.gettext("🔔 Reminders on.") if on else tr.gettext("🔕 Reminders off."))
    try:
        await with_retries(lambda: query.edit_message_reply_markup(deadline_keyboard(tr, subscribed=on)))
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


SUBSCRIPTION_BUTTONS = {callbacks.SUBSCRIPTION: subscription_button}


def subscription_handlers() -> list[BaseHandler]:
    return [
        CommandHandler("subscribe", subscribe_command),
        CommandHandler("unsubscribe", unsubscribe_command),
    ]

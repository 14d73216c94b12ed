"""/deadline (dates and their status, computed from the knowledge base), and the reminders: /subscribe,
/unsubscribe, and the same as a button under /deadline."""

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CommandHandler

from bot.deadlines import all_passed_note, deadline_summary
from bot.i18n import Translator, mark
from bot.telegram import callbacks
from bot.telegram.callbacks import ButtonHandler
from bot.telegram.context import BotContext, Services
from bot.telegram.feature import Feature
from bot.telegram.replies import answer_stale_button, not_for_you, pressed, pressed_by_author, reply_chat_id, say
from bot.telegram.sending import with_retries

ON, OFF = "on", "off"


def deadline_keyboard(tr: Translator, subscribed: bool, *, all_passed: bool = False) -> InlineKeyboardMarkup | None:
    """One button under /deadline: subscribe, or stop, depending on the chat's state; no "remind me" once every
    deadline has passed (there is nothing to remind of)."""
    if all_passed and not subscribed:
        return None
    if subscribed:
        button = InlineKeyboardButton(
            "🔕 " + tr.gettext("Stop the reminders"), callback_data=callbacks.encode(callbacks.SUBSCRIPTION, OFF)
        )
    else:
        button = InlineKeyboardButton(
            "🔔 " + tr.gettext("Remind me of the deadlines"), callback_data=callbacks.encode(callbacks.SUBSCRIPTION, ON)
        )
    return InlineKeyboardMarkup([[button]])


async def deadline_command(update: Update, context: BotContext) -> None:
    services, tr = context.services, context.tr
    assistant = services.assistant
    text = deadline_summary(assistant.kb, services.clock(), tr, assistant.timezone)
    chat_id = reply_chat_id(update)
    subscribed = chat_id is not None and await services.store(
        "read the subscription", lambda: services.storage.is_subscribed(chat_id)
    )
    closed = all_passed_note(assistant.kb, services.clock(), tr, assistant.timezone) is not None
    await say(update, context, escape(text, quote=False), deadline_keyboard(tr, bool(subscribed), all_passed=closed))


async def set_subscription(services: Services, chat_id: int, lang: str, on: bool) -> bool | None:
    """Subscribe or unsubscribe; True if that changed something, None if the database failed."""
    now = services.clock()
    if on:
        return await services.store("subscribe", lambda: services.storage.subscribe(chat_id, lang, now))
    return await services.store("unsubscribe", lambda: services.storage.unsubscribe(chat_id, "user", now))


def subscription_text(tr: Translator, on: bool, changed: bool, all_passed_note: str | None = None) -> str:
    if on and all_passed_note:
        first = tr.gettext("🔔 Subscribed.") if changed else tr.gettext("🔔 You are already subscribed.")
        return f"{first} {all_passed_note} " + tr.gettext(
            "So there is nothing to remind you of now: you will hear from me if a new deadline is published, "
            "and when the programme staff send an announcement. /unsubscribe stops them."
        )
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


async def subscription_command(update: Update, context: BotContext, on: bool) -> None:
    services, tr, chat = context.services, context.tr, update.effective_chat
    if chat is None:
        return
    changed = await set_subscription(services, chat.id, tr.lang, on)
    if changed is None:
        text = tr.gettext("Sorry, something went wrong on my side. Please try again.")
    else:
        assistant = services.assistant
        note = all_passed_note(assistant.kb, services.clock(), tr, assistant.timezone)
        text = subscription_text(tr, on, changed, note)
    await say(update, context, escape(text, quote=False))


async def subscribe_command(update: Update, context: BotContext) -> None:
    await subscription_command(update, context, on=True)


async def unsubscribe_command(update: Update, context: BotContext) -> None:
    await subscription_command(update, context, on=False)


async def subscription_button(update: Update, context: BotContext) -> None:
    """The button under /deadline: act, confirm in a toast, and flip the button."""
    query, tr, chat = pressed(update), context.tr, update.effective_chat
    if chat is None:  # a button on an inline message: no chat to subscribe
        await answer_stale_button(update, context)
        return
    if not pressed_by_author(update):  # a group's subscription is changed by whoever asked for /deadline
        await not_for_you(update, context)
        return
    on = context.button.group(1) == ON
    changed = await set_subscription(context.services, chat.id, tr.lang, on)
    if changed is None:
        await query.answer(tr.gettext("Sorry, something went wrong on my side. Please try again."))
        return
    await query.answer(tr.gettext("🔔 Reminders on.") if on else tr.gettext("🔕 Reminders off."))
    services = context.services
    closed = all_passed_note(services.assistant.kb, services.clock(), tr, services.assistant.timezone) is not None
    try:
        await with_retries(
            lambda: query.edit_message_reply_markup(deadline_keyboard(tr, subscribed=on, all_passed=closed)),
            idempotent=True,
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def feature() -> Feature:
    return Feature(
        handlers=[
            CommandHandler("deadline", deadline_command),
            CommandHandler("subscribe", subscribe_command),
            CommandHandler("unsubscribe", unsubscribe_command),
            ButtonHandler(subscription_button, callbacks.SUBSCRIPTION, f"({ON}|{OFF})"),
        ],
        commands={
            "deadline": mark("Deadlines and their status"),
            "subscribe": mark("Deadline reminders"),
            "unsubscribe": mark("Stop the deadline reminders"),
        },
    )

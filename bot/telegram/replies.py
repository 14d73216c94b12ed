"""Replying from any handler: to the right chat, as HTML within Telegram's limits, menus edited in place."""

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.telegram.context import BotContext
from bot.telegram.sending import send_html, with_retries

log = logging.getLogger(__name__)


def reply_chat_id(update: Update) -> int | None:
    """Where to reply: the chat, or the user's private chat for buttons on inline messages (which have none)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None


async def say(
    update: Update, context: BotContext, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message | None:
    chat_id = reply_chat_id(update)
    if chat_id is None:
        return None
    return await send_html(context.bot, chat_id, text, keyboard)


def pressed(update: Update) -> CallbackQuery:
    """The button press of an update that a CallbackQueryHandler routed here."""
    if update.callback_query is None:
        raise TypeError("a button handler got an update without a button press")
    return update.callback_query


async def edit_or_send(update: Update, context: BotContext, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Menus change in place when the message is still there; otherwise a new message is sent."""
    query = pressed(update)
    if isinstance(query.message, Message):
        try:
            await with_retries(lambda: query.edit_message_text(text, reply_markup=keyboard), idempotent=True)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("could not edit the menu message (%s); sending a new one", exc)
    await say(update, context, text, keyboard)


async def answer_stale_button(update: Update, context: BotContext) -> None:
    """The one reply to a button this bot no longer knows: forged data, an older version's, or a removed target."""
    await pressed(update).answer(context.tr.gettext("This button is no longer valid."))

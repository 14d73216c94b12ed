"""Replying from any handler: to the right chat, as HTML within Telegram's limits, menus edited in place.

In a group the bot's messages reply to the message they answer, so its author is known: a button under them
belongs to that member. Another member's press answers only that member (privately, or in an alert), and never
changes the author's message.
"""

import logging
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden

from bot.telegram.context import BotContext
from bot.telegram.sending import send_html, with_retries

log = logging.getLogger(__name__)


def reply_chat_id(update: Update) -> int | None:
    """Where to reply: the chat, or the user's private chat for buttons on inline messages (which have none)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None


def in_group(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type != ChatType.PRIVATE


def group_reply_target(update: Update) -> int | None:
    """In a group, the message a reply should quote: the member's own message, or under a button the message
    the pressed one answered. None in private chats, where quoting is noise."""
    if not in_group(update):
        return None
    if update.callback_query is not None:
        message = update.callback_query.message
        quoted = message.reply_to_message if isinstance(message, Message) else None
        return quoted.message_id if quoted else None
    return update.effective_message.message_id if update.effective_message else None


async def say(
    update: Update, context: BotContext, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message | None:
    chat_id = reply_chat_id(update)
    if chat_id is None:
        return None
    return await send_html(context.bot, chat_id, text, keyboard, reply_to=group_reply_target(update))


def pressed(update: Update) -> CallbackQuery:
    """The button press of an update that a CallbackQueryHandler routed here."""
    if update.callback_query is None:
        raise TypeError("a button handler got an update without a button press")
    return update.callback_query


def pressed_by_author(update: Update) -> bool:
    """In a private chat always; in a group, only the member whose message the bot's message answers."""
    query = pressed(update)
    message = query.message
    if not isinstance(message, Message) or message.chat.type == ChatType.PRIVATE:
        return True
    quoted = message.reply_to_message
    return quoted is not None and quoted.from_user is not None and quoted.from_user.id == query.from_user.id


async def answer_privately(
    update: Update, context: BotContext, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Another member's press in a group: what they asked for goes to their private chat, the group sees
    nothing; if they never opened one with the bot, an alert (only they see it) says how."""
    user_id = pressed(update).from_user.id
    await deliver_privately(update, context, lambda: send_html(context.bot, user_id, text, keyboard))


async def deliver_privately(update: Update, context: BotContext, send: Callable[[], Awaitable[object]]) -> None:
    """Run `send` (which writes to the presser's private chat) and tell the presser where to look."""
    query, tr = pressed(update), context.tr
    try:
        await send()
    except (Forbidden, BadRequest) as exc:
        log.info("could not answer a group member privately (%s)", exc)
        await query.answer(
            tr.gettext(
                "Open a private chat with me (@%(bot)s) and press Start, then tap again.", bot=context.bot.username
            ),
            show_alert=True,
        )
        return
    await query.answer(tr.gettext("I sent it to you in our private chat."))


async def not_for_you(update: Update, context: BotContext) -> None:
    """A button that acts for the member who asked (their menu, their subscription, their data): an alert only."""
    await pressed(update).answer(
        context.tr.gettext(
            "These buttons belong to the member who asked. Send the command yourself, or write to me privately: "
            "@%(bot)s",
            bot=context.bot.username,
        ),
        show_alert=True,
    )


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

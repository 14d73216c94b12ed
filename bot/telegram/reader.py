"""Who is reading, and whether an update is for the bot at all.

`remember_reader` runs before every feature (app.py registers it in an early group): for updates addressed to the
bot it records the visit and loads the user's language choice into `user_data`, where `BotContext.tr` reads it.
Group chatter the bot ignores is neither recorded nor counted.
"""

import datetime as dt
from typing import Protocol

from telegram import Bot, Message, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import TypeHandler

from bot.telegram.context import LANG_KEY, BotContext

SEEN_AT_KEY = "seen_at"
SEEN_REFRESH = dt.timedelta(minutes=5)


class HasBot(Protocol):
    """A handler's context, or the application itself (the flood gate decides before there is a context)."""

    @property
    def bot(self) -> Bot: ...


def addressed_to_bot(message: Message, context: HasBot) -> str | None:
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


def command_for_another_bot(message: Message, context: HasBot) -> bool:
    """`/help@other_bot` in a group: not ours to answer."""
    command = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    name, at, target = command.partition("@")
    return bool(name.startswith("/") and at and target.lower() != (context.bot.username or "").lower())


def for_the_bot(update: Update, context: HasBot) -> bool:
    """Button presses, private messages, and group messages that are commands or addressed to the bot."""
    if update.effective_user is None or not (update.callback_query or update.message or update.edited_message):
        return False  # membership changes, channel posts, polls...: nobody to reply to
    chat = update.effective_chat
    if update.callback_query or chat is None or chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if message is None or not message.text:
        return False
    if message.text.startswith("/"):
        return not command_for_another_bot(message, context)
    return addressed_to_bot(message, context) is not None


async def remember_reader(update: object, context: BotContext) -> None:
    """Record the visit (at most every few minutes: one write is enough for "last seen") and cache the user's
    language choice; if the database fails, the bot goes on with what it knows."""
    if not isinstance(update, Update) or not for_the_bot(update, context) or context.user_data is None:
        return
    user = update.effective_user
    if user is None:
        return
    services = context.services
    now = services.clock()
    seen = context.user_data.get(SEEN_AT_KEY)
    if seen is not None and dt.timedelta(0) <= now - seen < SEEN_REFRESH:
        return
    record = await services.store(
        "record the user", lambda: services.storage.touch_user(user.id, context.client_lang, now)
    )
    if record is not None:
        context.user_data[LANG_KEY] = record.chosen_lang
        context.user_data[SEEN_AT_KEY] = now


def reader_handler() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, remember_reader)

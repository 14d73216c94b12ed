"""Who is reading, and whether an update is for the bot at all.

`remember_reader` runs before every feature (app.py registers it in an early group): for updates addressed to the
bot it records the visit and loads the user's language choice into `user_data`, where `BotContext.tr` reads it.
Group chatter the bot ignores is neither recorded nor counted, and neither is asking to see or delete one's data
(/mydata, /forget and their buttons): otherwise /forget would delete, and count, the row its own request created.
"""

import datetime as dt
import re
from typing import Any, Protocol

from telegram import Bot, Message, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import TypeHandler

from bot.telegram import callbacks
from bot.telegram.context import LANG_KEY, BotContext

SEEN_AT_KEY = "seen_at"
KNOWN_COMMANDS_KEY = "known_commands"  # bot_data: every command a feature handles (app.py fills it)
SEEN_REFRESH = dt.timedelta(minutes=5)
MYDATA, FORGET = "mydata", "forget"  # privacy.py's commands, and their deep-link payloads (t.me/<bot>?start=mydata)
_PRIVACY_COMMAND = re.compile(rf"^/(?:{MYDATA}|{FORGET}|start\s+(?:{MYDATA}|{FORGET}))(?:@\w+)?(?:\s|$)")


class HasBot(Protocol):
    """A handler's context, or the application itself (the flood gate decides before there is a context)."""

    @property
    def bot(self) -> Bot: ...

    @property
    def bot_data(self) -> dict[Any, Any]: ...


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
        if command_for_another_bot(message, context):
            return False
        name, at, _ = message.text.split(maxsplit=1)[0].partition("@")
        return bool(at) or name[1:].lower() in context.bot_data.get(KNOWN_COMMANDS_KEY, ())  # `/foo` may be another's
    return addressed_to_bot(message, context) is not None


def privacy_request(update: Update) -> bool:
    """Asking to see or delete one's data."""
    if update.callback_query is not None:
        return (update.callback_query.data or "").startswith(f"{callbacks.PRIVACY}:")
    message = update.effective_message
    return bool(message and message.text and _PRIVACY_COMMAND.match(message.text))


async def remember_reader(update: object, context: BotContext) -> None:
    """Cache the user's language choice and record the visit (at most every few minutes: one write is enough for
    "last seen"; it is queued, committed with others, as nobody waits for it); if the database fails, the bot goes
    on with what it knows."""
    if not isinstance(update, Update) or not for_the_bot(update, context) or context.user_data is None:
        return
    user, user_data = update.effective_user, context.user_data
    if user is None:
        return
    services = context.services
    if privacy_request(update):  # read the language choice, record nothing
        stored = await services.store("read the user", lambda: services.storage.get_user(user.id))
        user_data[LANG_KEY] = stored.chosen_lang if stored else None
        return
    now = services.clock()
    seen = user_data.get(SEEN_AT_KEY)
    if seen is not None and dt.timedelta(0) <= now - seen < SEEN_REFRESH:
        return

    async def visit() -> None:
        chosen = await services.storage.chosen_language(user.id)
        await services.storage.record_visit(user.id, context.client_lang, now)
        user_data[LANG_KEY] = chosen
        user_data[SEEN_AT_KEY] = now

    await services.store("record the user", visit)


def reader_handler() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, remember_reader)

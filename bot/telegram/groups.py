"""Group manners: when added to a group, the bot introduces itself and says how to ask it there.

In a group it reads only commands, mentions of it and replies to its messages (reader.py), so members must be told
how to reach it; personal matters (reminders, one's data) go to the private chat.
"""

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ChatMemberHandler

from bot.i18n import Translator
from bot.telegram.context import BotContext
from bot.telegram.feature import Feature
from bot.telegram.sending import send_html

OUTSIDE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
INSIDE = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.RESTRICTED)


def joined_a_group(change: ChatMemberUpdated) -> bool:
    return (
        change.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        and change.old_chat_member.status in OUTSIDE
        and change.new_chat_member.status in INSIDE
    )


def introduction(tr: Translator, username: str) -> str:
    return tr.gettext(
        "👋 Hello everyone! I answer questions about the EU call ESCP-S3, in Italian or English.\n\n"
        "In this group I read only what is meant for me: mention me (<code>@%(bot)s who can apply?</code>) or "
        "reply to one of my messages. /deadline shows the deadlines, /help everything I can do.\n\n"
        "For reminders and your own data, write to me privately: @%(bot)s",
        bot=username,
    )


async def on_my_membership(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    if change is None or not joined_a_group(change):
        return
    await send_html(context.bot, change.chat.id, introduction(context.tr, context.bot.username))


def feature() -> Feature:
    return Feature(handlers=[ChatMemberHandler(on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER)])

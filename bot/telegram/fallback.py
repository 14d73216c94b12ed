"""What no feature took, registered after all of them: unknown commands, non-text messages, stale buttons.

Staff commands and buttons are routed with the staff filter, so for anyone else they end up here and get exactly
what an unknown command or a forged button gets: their existence is not revealed.
"""

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.telegram.context import BotContext
from bot.telegram.feature import MESSAGES, Feature
from bot.telegram.reader import command_for_another_bot
from bot.telegram.replies import answer_stale_button, say


async def on_unknown_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or command_for_another_bot(message, context):
        return  # a command for another bot in the same group
    if message.chat.type != ChatType.PRIVATE and "@" not in (message.text or "").split(maxsplit=1)[0]:
        return  # `/foo` in a group may be meant for another bot: only `/foo@thisbot` is surely ours
    await say(update, context, context.tr.gettext("Sorry, I don't know that command. Try /help."))


async def on_non_text(update: Update, context: BotContext) -> None:
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        return
    await say(update, context, context.tr.gettext("I can only read text messages: please type your question in words."))


def feature() -> Feature:
    return Feature(
        handlers=[
            MessageHandler(MESSAGES & filters.COMMAND, on_unknown_command),
            MessageHandler(MESSAGES & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_non_text),
            CallbackQueryHandler(answer_stale_button),
        ]
    )

"""Browsing by topic: /topics, a topic's questions, and back to the list (menus edited in place; in a group,
another member's press gets the menu in their private chat)."""

from telegram import Update
from telegram.ext import CommandHandler

from bot.i18n import mark
from bot.telegram import callbacks
from bot.telegram.callbacks import ButtonHandler
from bot.telegram.context import BotContext
from bot.telegram.feature import Feature
from bot.telegram.keyboards import topic_menu, topics_keyboard
from bot.telegram.replies import answer_privately, edit_or_send, pressed, pressed_by_author, say


async def topics_command(update: Update, context: BotContext) -> None:
    tr = context.tr
    await say(
        update, context, tr.gettext("Pick a topic:"), topics_keyboard(context.services.assistant.topics(), tr.lang)
    )


async def topic_button(update: Update, context: BotContext) -> None:
    query, tr = pressed(update), context.tr
    menu = topic_menu(context.services.assistant, context.button.group(1), tr)
    if menu is None:
        await query.answer(tr.gettext("That topic is no longer available."), show_alert=True)
        return
    if not pressed_by_author(update):
        await answer_privately(update, context, *menu)
        return
    await query.answer()
    await edit_or_send(update, context, *menu)


async def topics_button(update: Update, context: BotContext) -> None:
    tr = context.tr
    keyboard = topics_keyboard(context.services.assistant.topics(), tr.lang)
    if not pressed_by_author(update):
        await answer_privately(update, context, tr.gettext("Pick a topic:"), keyboard)
        return
    await pressed(update).answer()
    await edit_or_send(update, context, tr.gettext("Pick a topic:"), keyboard)


def feature() -> Feature:
    return Feature(
        handlers=[
            CommandHandler("topics", topics_command),
            ButtonHandler(topic_button, callbacks.TOPIC, f"({callbacks.ID})"),
            ButtonHandler(topics_button, callbacks.TOPICS),
        ],
        commands={"topics": mark("Browse questions by topic")},
    )

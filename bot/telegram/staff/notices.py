"""Send / Don't send under the preview of a change notice (a deadline moved in the knowledge base).

The notice is worded again when staff press Send, so its countdown is true on the day it goes out. A notice about a
date that has moved again since is out of date and is not sent (the newer move has its own preview). The first staff
member to decide decides for all; a second tap is told it was already settled.
"""

import html

from telegram import Update
from telegram.ext import filters

from bot.telegram import callbacks
from bot.telegram.context import BotContext
from bot.telegram.delivery import DROP, SEND, change_of, courier_of, notice_texts
from bot.telegram.feature import Feature
from bot.telegram.replies import edit_or_send, pressed
from bot.telegram.staff.common import StaffButtonHandler


async def notice_button(update: Update, context: BotContext) -> None:
    services, tr, query = context.services, context.tr, pressed(update)
    action, raw_id = context.button.groups()
    draft = await services.storage.change_draft(int(raw_id))
    if draft is None:
        await query.answer(tr.gettext("This change notice was already sent or cancelled."), show_alert=True)
        return
    now = services.clock()
    change = change_of(draft, services.assistant.kb)
    if action == SEND and change is None:
        await services.storage.cancel_change_notice(draft.id)
        text = tr.gettext("This change notice is out of date (the deadline changed again): it was not sent.")
    elif action == SEND and change is not None:
        texts = notice_texts(change, now, services.catalogs, services.config.timezone)
        count = await services.storage.confirm_change_notice(draft.id, texts, now)
        if count is None:
            await query.answer(tr.gettext("This change notice was already sent or cancelled."), show_alert=True)
            return
        text = tr.ngettext(
            "✅ The change notice is on its way to %(count)d subscriber.",
            "✅ The change notice is on its way to %(count)d subscribers.",
            count,
        )
        if (courier := courier_of(context.bot_data)) is not None:
            courier.kick()
    else:
        await services.storage.cancel_change_notice(draft.id)
        text = tr.gettext("✖️ Not sent. Subscribers keep getting the usual reminders, with the new date.")
    await query.answer()
    await edit_or_send(update, context, html.escape(text, quote=False), None)


def feature(staff: filters.User) -> Feature:
    return Feature(
        handlers=[StaffButtonHandler(notice_button, callbacks.NOTICE, rf"({SEND}|{DROP}):(\d{{1,18}})", staff)],
    )

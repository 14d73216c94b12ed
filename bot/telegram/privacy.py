"""Users' data rights: /privacy says what is kept and for how long, /mydata shows it, /forget deletes it.

A daily job removes the user id from unanswered questions and feedback older than the retention period, so staff
keep the questions without knowing who asked.
"""

import datetime as dt
import json
import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler

from bot.i18n import Translator, mark
from bot.telegram import callbacks
from bot.telegram.callbacks import ButtonHandler
from bot.telegram.context import BotApplication, BotContext, job_queue
from bot.telegram.feature import Feature
from bot.telegram.replies import edit_or_send, pressed, say

log = logging.getLogger(__name__)

RETENTION_JOB_SECONDS = 24 * 3600.0


def privacy_text(tr: Translator, retention_days: int) -> str:
    return tr.gettext(
        "<b>What I keep about you</b>\n"
        "• your Telegram user id, the language you chose and the language of your Telegram app, when you first and "
        "last wrote: to reply in your language;\n"
        "• the questions I could not answer (text, language, time): the programme staff read them to improve the "
        "answers. After %(days)d days your user id is removed from them;\n"
        "• your 👍/👎 on answers, and your reminder subscription, if any.\n"
        "I keep nothing else: answered questions are counted without their text or your id.\n\n"
        "/mydata shows everything stored about you; /forget deletes it.",
        days=retention_days,
    )


async def privacy_command(update: Update, context: BotContext) -> None:
    await say(update, context, privacy_text(context.tr, context.services.config.retention_days))


async def mydata_command(update: Update, context: BotContext) -> None:
    services, tr, user = context.services, context.tr, update.effective_user
    if user is None:
        return
    data = await services.store("export the user's data", lambda: services.storage.export_user_data(user.id))
    if data is None:
        await say(update, context, tr.gettext("Sorry, I cannot read the stored data right now. Please try later."))
        return
    dump = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    await say(update, context, tr.gettext("Everything stored about you:") + f"\n<pre>{escape(dump)}</pre>")


def forget_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "🗑 " + tr.gettext("Yes, delete my data"),
                    callback_data=callbacks.encode(callbacks.PRIVACY, "forget"),
                ),
                InlineKeyboardButton(tr.gettext("Cancel"), callback_data=callbacks.encode(callbacks.PRIVACY, "keep")),
            ]
        ]
    )


async def forget_command(update: Update, context: BotContext) -> None:
    tr = context.tr
    await say(
        update,
        context,
        tr.gettext(
            "Delete everything I store about you (language choice, your unanswered questions, feedback, "
            "reminder subscription)? This cannot be undone."
        ),
        forget_keyboard(tr),
    )


async def privacy_button(update: Update, context: BotContext) -> None:
    services, tr, query = context.services, context.tr, pressed(update)
    if context.button.group(1) == "keep":
        await query.answer()
        await edit_or_send(update, context, tr.gettext("Nothing was deleted."), None)
        return
    deleted = await services.store("forget the user", lambda: services.storage.forget_user(query.from_user.id))
    if deleted is None:
        await query.answer(
            tr.gettext("Sorry, I could not delete your data right now. Please try later."), show_alert=True
        )
        return
    if context.user_data is not None:
        context.user_data.clear()
    await query.answer()
    await edit_or_send(
        update,
        context,
        tr.ngettext("Done: %(count)d record deleted.", "Done: %(count)d records deleted.", deleted),
        None,
    )


async def apply_retention(context: BotContext) -> None:
    """JobQueue job: unlink old questions and feedback from their authors; drop old unsubscriptions."""
    services = context.services
    cutoff = services.clock() - dt.timedelta(days=services.config.retention_days)
    anonymised = await services.store(
        "apply the retention period", lambda: services.storage.anonymise_unanswered_older_than(cutoff)
    )
    purged = await services.store(
        "purge old unsubscriptions", lambda: services.storage.purge_unsubscribed_older_than(cutoff)
    )
    log.info("retention: %s rows anonymised, %s old unsubscriptions removed", anonymised, purged)


def start_retention_job(application: BotApplication) -> None:
    job_queue(application).run_repeating(apply_retention, interval=RETENTION_JOB_SECONDS, first=60.0, name="retention")


def feature() -> Feature:
    return Feature(
        handlers=[
            CommandHandler("privacy", privacy_command),
            CommandHandler("mydata", mydata_command),
            CommandHandler("forget", forget_command),
            ButtonHandler(privacy_button, callbacks.PRIVACY, "(forget|keep)"),
        ],
        commands={"privacy": mark("What I store about you")},
        start=start_retention_job,
    )

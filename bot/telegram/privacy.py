"""Users' data rights: /privacy says what is kept and for how long, /mydata shows it, /forget deletes it.

/mydata reads as plain words in the user's language, with dates in the bot's zone (a file when it is long), and is
only ever shown in the private chat: in a group, /mydata and /forget answer with a link to the private chat, and a
tap on a privacy button there deletes nothing and posts nothing. Asking about your data is not recorded as a
visit (reader.py), so the counts /forget reports are true.

A daily job removes the user id from unanswered questions and feedback older than the retention period, so staff
keep the questions without knowing who asked, and drops requests to be told of an answer that are as old.
"""

import datetime as dt
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CommandHandler

from bot.assistant import Assistant
from bot.i18n import Translator, mark
from bot.telegram import callbacks
from bot.telegram.callbacks import ButtonHandler
from bot.telegram.context import BotApplication, BotContext, job_queue
from bot.telegram.feature import Feature
from bot.telegram.keyboards import LANGUAGE_NAMES
from bot.telegram.reader import FORGET, MYDATA
from bot.telegram.replies import edit_or_send, in_group, pressed, say
from bot.telegram.sending import with_retries

log = logging.getLogger(__name__)

RETENTION_JOB_SECONDS = 24 * 3600.0
LONG_EXPORT = 3000  # characters: past this, /mydata comes as a file rather than a wall of messages
QUOTE_LIMIT = 300  # a stored question is quoted up to this many characters in the message (whole in the file)


def privacy_text(tr: Translator, retention_days: int) -> str:
    return tr.gettext(
        "<b>What I keep about you</b>\n"
        "• your Telegram user id, the language you chose and the language of your Telegram app, when you first and "
        "last wrote: to reply in your language;\n"
        "• the questions I could not answer (text, language, time): the programme staff read them to improve the "
        "answers. After %(days)d days your user id is removed from them;\n"
        "• your 👍/👎 on answers, your reminder subscription, if any, and the questions you asked me to tell "
        "you about when there is an answer, until I do (at most %(days)d days);\n"
        '• your last question, in memory only and for 15 minutes, so that a follow-up such as "and where?" is '
        "understood.\n"
        "I keep nothing else: answered questions are counted without their text or your id.\n\n"
        "/mydata shows everything stored about you; /forget deletes it.",
        days=retention_days,
    )


async def privacy_command(update: Update, context: BotContext) -> None:
    await say(update, context, privacy_text(context.tr, context.services.config.retention_days))


# -- /mydata -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    title: str
    lines: Sequence[str]  # plain text; escaped when shown as HTML


def _when(stamp: str | None, tr: Translator, zone: str) -> str:
    if not stamp:
        return "?"
    return tr.moment(dt.datetime.fromisoformat(stamp), zone)


def _quote(text: str, limit: int | None) -> str:
    text = " ".join(text.split())
    return f"“{text[: limit - 1]}…”" if limit and len(text) > limit else f"“{text}”"


def _answer_label(entry_id: str | None, assistant: Assistant, lang: str) -> str:
    """The answer's question as users see it on buttons, not its internal id."""
    if entry_id and assistant.kb.answerable(entry_id):
        (link,) = assistant.links((entry_id,), lang)
        return _quote(link.label, None)
    return "?"


def data_sections(
    data: Mapping[str, Any], tr: Translator, zone: str, assistant: Assistant, *, quote_limit: int | None
) -> list[Section]:
    """What the storage export holds, as a reader would say it; empty when nothing is stored."""
    sections = []
    for user in data.get("user", []):
        chosen = user.get("chosen_lang")
        sections.append(
            Section(
                tr.gettext("You"),
                [
                    tr.gettext("Telegram user id: %(id)s", id=user["user_id"]),
                    tr.gettext("First message: %(when)s", when=_when(user.get("first_seen"), tr, zone)),
                    tr.gettext("Last message: %(when)s", when=_when(user.get("last_seen"), tr, zone)),
                    tr.gettext("Reply language: %(lang)s", lang=LANGUAGE_NAMES[chosen])
                    if chosen in LANGUAGE_NAMES
                    else tr.gettext("Reply language: automatic (the language of each question)"),
                    tr.gettext("Language of your Telegram app: %(lang)s", lang=user.get("telegram_lang") or "?"),
                ],
            )
        )
    questions = data.get("unanswered_questions", [])
    if questions:
        sections.append(
            Section(
                tr.gettext(
                    "Questions I could not answer (%(count)d), kept for the programme staff", count=len(questions)
                ),
                [f"{_when(q.get('asked_at'), tr, zone)}: {_quote(q.get('text', ''), quote_limit)}" for q in questions],
            )
        )
    votes = data.get("feedback", [])
    if votes:
        sections.append(
            Section(
                tr.gettext("Your 👍/👎 on answers (%(count)d)", count=len(votes)),
                [
                    f"{'👍' if v.get('vote', 0) > 0 else '👎'} {_answer_label(v.get('entry_id'), assistant, tr.lang)}, "
                    f"{_when(v.get('voted_at'), tr, zone)}"
                    for v in votes
                ],
            )
        )
    for subscription in data.get("subscription", []):
        language = LANGUAGE_NAMES.get(subscription.get("lang", ""), "?")
        if subscription.get("unsubscribed_at"):
            line = tr.gettext(
                "Stopped on %(when)s; kept until the retention period ends.",
                when=_when(subscription["unsubscribed_at"], tr, zone),
            )
        else:
            line = tr.gettext(
                "Subscribed since %(when)s, in %(language)s.",
                when=_when(subscription.get("subscribed_at"), tr, zone),
                language=language,
            )
        sections.append(Section(tr.gettext("Deadline reminders"), [line]))
    deliveries = data.get("deliveries", [])
    if deliveries:
        last = max((d.get("updated_at") or "" for d in deliveries), default="")
        sections.append(
            Section(
                tr.gettext("Reminders and announcements sent to you"),
                [tr.gettext("%(count)d, the last on %(when)s", count=len(deliveries), when=_when(last, tr, zone))],
            )
        )
    requests = data.get("answer_requests", [])
    if requests:
        sections.append(
            Section(
                tr.gettext("Questions you asked to be told about when there is an answer"),
                [tr.ngettext("%(count)d request", "%(count)d requests", len(requests))],
            )
        )
    changes = data.get("knowledge_changes", []) + data.get("staff_drafts", [])
    if changes:
        sections.append(
            Section(
                tr.gettext("Knowledge-base changes you made or started as staff"),
                [tr.ngettext("%(count)d change", "%(count)d changes", len(changes))],
            )
        )
    reports = data.get("broadcast_reports", [])
    if reports:
        sections.append(
            Section(
                tr.gettext("Announcements you sent as staff"),
                [tr.ngettext("%(count)d delivery report", "%(count)d delivery reports", len(reports))],
            )
        )
    return sections


def as_html(sections: Sequence[Section], tr: Translator) -> str:
    parts = ["<b>" + escape(tr.gettext("Everything stored about you:"), quote=False) + "</b>"]
    for section in sections:
        lines = "\n".join("• " + escape(line, quote=False) for line in section.lines)
        parts.append(f"<b>{escape(section.title, quote=False)}</b>\n{lines}")
    parts.append(escape(tr.gettext("/forget deletes all of it."), quote=False))
    return "\n\n".join(parts)


def as_text(sections: Sequence[Section], tr: Translator) -> str:
    parts = [tr.gettext("Everything stored about you:")]
    for section in sections:
        parts.append(section.title + "\n" + "\n".join("- " + line for line in section.lines))
    parts.append(tr.gettext("/forget deletes all of it."))
    return "\n\n".join(parts) + "\n"


def private_chat_keyboard(tr: Translator, username: str, payload: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "🔒 " + tr.gettext("Open our private chat"), url=f"https://t.me/{username}?start={payload}"
                )
            ]
        ]
    )


async def only_in_private(update: Update, context: BotContext, payload: str) -> None:
    """In a group: a short note and a link; nothing personal is posted there."""
    tr = context.tr
    await say(
        update,
        context,
        escape(tr.gettext("For your privacy, I deal with your data only in our private chat."), quote=False),
        private_chat_keyboard(tr, context.bot.username, payload),
    )


async def mydata_command(update: Update, context: BotContext) -> None:
    services, tr, user = context.services, context.tr, update.effective_user
    if user is None:
        return
    if in_group(update):
        await only_in_private(update, context, MYDATA)
        return
    data = await services.store("export the user's data", lambda: services.storage.export_user_data(user.id))
    if data is None:
        await say(update, context, tr.gettext("Sorry, I cannot read the stored data right now. Please try later."))
        return
    zone, assistant = services.config.timezone, services.assistant
    sections = data_sections(data, tr, zone, assistant, quote_limit=QUOTE_LIMIT)
    if not sections:
        await say(update, context, escape(tr.gettext("I store nothing about you."), quote=False))
        return
    html = as_html(sections, tr)
    if len(html) <= LONG_EXPORT:
        await say(update, context, html)
        return
    whole = as_text(data_sections(data, tr, zone, assistant, quote_limit=None), tr)
    name = f"my-data-{services.clock().astimezone(dt.UTC).date().isoformat()}.txt"
    caption = tr.gettext("Everything stored about you is in this file. /forget deletes all of it.")
    await with_retries(
        lambda: context.bot.send_document(
            user.id, InputFile(io.BytesIO(whole.encode("utf-8")), filename=name), caption=escape(caption, quote=False)
        )
    )


# -- /forget -----------------------------------------------------------------------------------------------------


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
    if in_group(update):
        await only_in_private(update, context, FORGET)
        return
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
    if in_group(update):  # a prompt left in a group (or a forged press): nothing is deleted or posted there
        await query.answer(
            tr.gettext("For your privacy, I deal with your data only in our private chat.")
            + f" @{context.bot.username}",
            show_alert=True,
        )
        return
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
    services.earlier.forget_user(query.from_user.id)
    await query.answer()
    if deleted:
        text = tr.ngettext("Done: %(count)d record deleted.", "Done: %(count)d records deleted.", deleted)
    else:
        text = tr.gettext("There was nothing stored about you.")
    await edit_or_send(update, context, text, None)


# -- retention ---------------------------------------------------------------------------------------------------


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
    waiting = await services.store(
        "purge old requests to be told", lambda: services.storage.purge_answer_requests_older_than(cutoff)
    )
    log.info(
        "retention: %s rows anonymised, %s old unsubscriptions and %s old requests to be told removed",
        anonymised,
        purged,
        waiting,
    )


def start_retention_job(application: BotApplication) -> None:
    job_queue(application).run_repeating(apply_retention, interval=RETENTION_JOB_SECONDS, first=60.0, name="retention")


def feature() -> Feature:
    return Feature(
        handlers=[
            CommandHandler("privacy", privacy_command),
            CommandHandler(MYDATA, mydata_command),
            CommandHandler(FORGET, forget_command),
            ButtonHandler(privacy_button, callbacks.PRIVACY, "(forget|keep)"),
        ],
        commands={"privacy": mark("What I store about you")},
        start=start_retention_job,
        deep_links={MYDATA: mydata_command, FORGET: forget_command},
    )

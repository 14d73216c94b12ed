"""What reminders, change notices and broadcast reports say, in each language, as Telegram HTML.

Texts are rendered when a batch is queued, once per language, and stored with it: a resumed delivery sends exactly
what would have been sent before the restart.
"""

import datetime as dt
from collections.abc import Callable
from html import escape

from bot.i18n import Catalogs, Translator
from bot.knowledge.model import LANGUAGES, KeyDate
from bot.reminders.schedule import DeadlineChange
from bot.rendering import countdown, when_text
from bot.storage.deliveries import BatchCounts


def in_every_language(catalogs: Catalogs, render: Callable[[Translator], str]) -> dict[str, str]:
    return {lang: render(catalogs[lang]) for lang in LANGUAGES}


def _footer(tr: Translator) -> str:
    return (
        "\n\n<i>"
        + escape(tr.gettext("You get this because you subscribed to the reminders: /unsubscribe stops them."))
        + "</i>"
    )


def reminder_text(key_date: KeyDate, now: dt.datetime, tr: Translator, timezone: str) -> str:
    body = tr.gettext(
        "⏰ Reminder: %(title)s, %(when)s (%(countdown)s).",
        title=key_date.title.get(tr.lang),
        when=when_text(key_date.day, key_date.time, key_date.timezone, tr, timezone),
        countdown=countdown(key_date, now, tr, timezone),
    )
    return escape(body, quote=False) + _footer(tr)


def change_text(change: DeadlineChange, now: dt.datetime, tr: Translator, timezone: str) -> str:
    current = change.current
    body = tr.gettext(
        "📅 A deadline has changed: %(title)s is now %(when)s (%(countdown)s); it was %(previous)s.",
        title=current.title.get(tr.lang),
        when=when_text(current.day, current.time, current.timezone, tr, timezone),
        countdown=countdown(current, now, tr, timezone),
        previous=when_text(change.previous.day, change.previous.time, current.timezone, tr, timezone),
    )
    return escape(body, quote=False) + _footer(tr)


def change_preview(change: DeadlineChange, subscribers: int, notice: str, tr: Translator, timezone: str) -> str:
    """For staff, before a change notice goes out: what moved, how many it reaches, and the notice itself."""
    current = change.current
    heading = tr.gettext(
        "📅 A deadline in the knowledge base has moved: %(title)s is now %(when)s; it was %(previous)s.",
        title=current.title.get(tr.lang),
        when=when_text(current.day, current.time, current.timezone, tr, timezone),
        previous=when_text(change.previous.day, change.previous.time, current.timezone, tr, timezone),
    )
    reach = tr.ngettext(
        "Sending the change notice will notify %(count)d subscriber, in their language. This one:",
        "Sending the change notice will notify %(count)d subscribers, each in their language. This one:",
        subscribers,
    )
    question = tr.gettext("Send it? If you do not, subscribers keep getting the usual reminders, with the new date.")
    return (
        f"{escape(heading, quote=False)}\n{escape(reach, quote=False)}\n\n<blockquote>{notice}</blockquote>\n\n"
        f"{escape(question, quote=False)}"
    )


def broadcast_report(broadcast_id: int, counts: BatchCounts, tr: Translator) -> str:
    lines = [
        tr.gettext("📣 Announcement #%(id)d: delivery finished.", id=broadcast_id),
        tr.gettext("Delivered: %(count)d", count=counts.sent),
        tr.gettext("Blocked the bot or gone (now unsubscribed): %(count)d", count=counts.blocked),
        tr.gettext("Failed: %(count)d", count=counts.failed),
    ]
    if counts.unconfirmed:
        lines.append(tr.gettext("Not confirmed by Telegram (not sent again): %(count)d", count=counts.unconfirmed))
    if counts.dropped:
        lines.append(tr.gettext("Skipped (unsubscribed in the meantime): %(count)d", count=counts.dropped))
    return escape("\n".join(lines), quote=False)

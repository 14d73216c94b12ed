"""Fill an answer's date placeholders for the reader's language and the current moment."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.knowledge.model import PLACEHOLDER, KeyDate, KnowledgeBase


def countdown(key_date: KeyDate, now: dt.datetime, tr: Translator, default_timezone: str) -> str:
    """'12 days left', 'closes today' or 'closed on 31 March 2017': computed, never typed by staff."""
    zone = ZoneInfo(key_date.timezone or default_timezone)
    moment = key_date.moment(default_timezone)
    deadline = key_date.kind == "deadline"
    if now > moment:
        if deadline:
            return tr.gettext("closed on %(date)s", date=tr.date(key_date.day))
        return tr.gettext("held on %(date)s", date=tr.date(key_date.day))
    days = (moment.astimezone(zone).date() - now.astimezone(zone).date()).days
    if days <= 0:
        return tr.gettext("closes today") if deadline else tr.gettext("today")
    if deadline:
        return tr.ngettext("%(count)d day left", "%(count)d days left", days)
    return tr.ngettext("in %(count)d day", "in %(count)d days", days)


def when_text(day: dt.date, time: dt.time | None, timezone: str | None, tr: Translator, reader_zone: str) -> str:
    """'31 March 2017', or with a time '8 March 2018, 17:00 Rome time': converted from the date's own zone
    (`timezone`, else the reader's) into the reader's zone."""
    if time is None:
        return tr.date(day)
    return tr.moment(dt.datetime.combine(day, time, ZoneInfo(timezone or reader_zone)), reader_zone)


def render_answer(template: str, kb: KnowledgeBase, tr: Translator, now: dt.datetime, default_timezone: str) -> str:
    """Replace {date:ID}, {time:ID} and {countdown:ID}; the validator guarantees the ids exist."""

    def replace(match: re.Match[str]) -> str:
        kind, date_id = match.group(1), match.group(2)
        key_date = kb.dates[date_id]
        if kind == "date":
            return tr.date(key_date.day)
        if kind == "time":
            return tr.time(key_date.time) if key_date.time else "?"
        return countdown(key_date, now, tr, default_timezone)

    return PLACEHOLDER.sub(replace, template)

"""What the /deadline command says: each deadline in force, its date for the locale, and its status now; and
whether the call is over (every deadline in force has passed), which /start, /deadline and /subscribe say plainly.
"""

import datetime as dt

from bot.i18n import Translator
from bot.knowledge.model import KeyDate, KnowledgeBase
from bot.rendering import countdown, when_text


def deadlines_in_force(kb: KnowledgeBase) -> list[KeyDate]:
    """Deadlines no later date replaces, earliest first: an extension hides the date it extended."""
    replaced = {d.replaces for d in kb.dates.values() if d.replaces}
    return sorted((d for d in kb.deadlines() if d.id not in replaced), key=lambda d: (d.day, d.time or dt.time(0)))


def last_deadline_if_all_passed(kb: KnowledgeBase, now: dt.datetime, default_timezone: str) -> KeyDate | None:
    """The latest deadline in force when every one of them has passed; None while one is ahead (or none known)."""
    in_force = deadlines_in_force(kb)
    if not in_force or any(now < d.moment(default_timezone) for d in in_force):
        return None
    return max(in_force, key=lambda d: d.moment(default_timezone))


def all_passed_note(kb: KnowledgeBase, now: dt.datetime, tr: Translator, default_timezone: str) -> str | None:
    """'All the deadlines I know of have passed: the last one ... was on 8 March 2018.', or None."""
    last = last_deadline_if_all_passed(kb, now, default_timezone)
    if last is None:
        return None
    return tr.gettext(
        "All the deadlines I know of have passed: the last one (%(title)s) was on %(date)s.",
        title=last.title.get(tr.lang),
        date=tr.date(last.day),
    )


def deadline_summary(kb: KnowledgeBase, now: dt.datetime, tr: Translator, default_timezone: str) -> str:
    lines = []
    for key_date in deadlines_in_force(kb):
        when = when_text(key_date.day, key_date.time, key_date.timezone, tr, default_timezone)
        line = f"• {key_date.title.get(tr.lang)}: {when}"
        original = kb.dates.get(key_date.replaces) if key_date.replaces else None
        if original:
            line += " " + tr.gettext("(extended; the original deadline was %(date)s)", date=tr.date(original.day))
        line += " — " + countdown(key_date, now, tr, default_timezone)
        lines.append(line)
    if not lines:
        return tr.gettext("No deadline is known at the moment.")
    note = all_passed_note(kb, now, tr, default_timezone)
    return (note + "\n\n" if note else "") + tr.gettext("Deadlines:") + "\n" + "\n".join(lines)

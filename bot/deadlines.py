"""What the /deadline command says: each deadline in force, its date for the locale, and its status now."""

import datetime as dt

from bot.i18n import Translator
from bot.knowledge.model import KeyDate, KnowledgeBase
from bot.rendering import countdown


def deadlines_in_force(kb: KnowledgeBase) -> list[KeyDate]:
    """Deadlines no later date replaces, earliest first: an extension hides the date it extended."""
    replaced = {d.replaces for d in kb.dates.values() if d.replaces}
    return sorted((d for d in kb.deadlines() if d.id not in replaced), key=lambda d: (d.day, d.time or dt.time(0)))


def deadline_summary(kb: KnowledgeBase, now: dt.datetime, tr: Translator, default_timezone: str) -> str:
    lines = []
    for key_date in deadlines_in_force(kb):
        when = tr.date(key_date.day)
        if key_date.time:
            when += ", " + tr.time(key_date.time) + (f" ({key_date.timezone})" if key_date.timezone else "")
        line = f"• {key_date.title.get(tr.lang)}: {when}"
        original = kb.dates.get(key_date.replaces) if key_date.replaces else None
        if original:
            line += " " + tr.gettext("(extended; the original deadline was %(date)s)", date=tr.date(original.day))
        line += " — " + countdown(key_date, now, tr, default_timezone)
        lines.append(line)
    if not lines:
        return tr.gettext("No deadline is known at the moment.")
    return tr.gettext("Deadlines:") + "\n" + "\n".join(lines)

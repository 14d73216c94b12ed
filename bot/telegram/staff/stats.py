"""/stats: questions, answers and unanswered, users, subscribers and feedback over the last days (30 by default)."""

import datetime as dt
import re
from html import escape

from telegram import Update
from telegram.ext import filters

from bot.i18n import mark
from bot.outcome import Outcome
from bot.telegram.context import BotContext
from bot.telegram.feature import Feature
from bot.telegram.replies import say
from bot.telegram.staff.common import open_groups, staff_command

DEFAULT_STATS_DAYS = 30
DAYS = re.compile(r"[0-9]{1,4}")  # ASCII digits: str.isdigit() also takes '²', which int() refuses


def _share(part: int, whole: int) -> str:
    return f"{part} ({part / whole:.0%})" if whole else "0"


async def stats_command(update: Update, context: BotContext) -> None:
    services, tr = context.services, context.tr
    argument = context.args[0] if context.args else str(DEFAULT_STATS_DAYS)
    if not DAYS.fullmatch(argument) or not 1 <= int(argument) <= 3650:
        await say(update, context, tr.gettext("Usage: /stats [days], e.g. /stats 7 (default 30)."))
        return
    days = int(argument)
    now = services.clock()
    since, until = now - dt.timedelta(days=days), now + dt.timedelta(seconds=1)  # the window includes this moment
    stats = await services.storage.question_stats(since, until, top=5)
    kb = services.assistant.kb
    lines = [
        "<b>" + tr.ngettext("Last %(count)d day", "Last %(count)d days", days) + "</b>",
        tr.gettext("Questions: %(total)d", total=stats.total),
        tr.gettext("Answered: %(n)s", n=_share(stats.by_outcome.get(Outcome.ANSWER, 0), stats.total)),
        tr.gettext("Did you mean: %(n)s", n=_share(stats.by_outcome.get(Outcome.SUGGEST, 0), stats.total)),
        tr.gettext("Don't know: %(n)s", n=_share(stats.by_outcome.get(Outcome.UNKNOWN, 0), stats.total)),
    ]
    for lang, outcomes in sorted(stats.by_lang.items()):
        asked = sum(outcomes.values())
        if asked:
            lines.append(
                tr.gettext(
                    "%(lang)s: %(asked)d questions, %(answered)s answered",
                    lang=lang,
                    asked=asked,
                    answered=_share(outcomes.get(Outcome.ANSWER, 0), asked),
                )
            )
    if stats.top_entries:
        lines.append("\n<b>" + tr.gettext("Most asked:") + "</b>")
        for entry_id, count in stats.top_entries:
            label = kb.entries[entry_id].label(tr.lang) if entry_id in kb.entries else entry_id
            lines.append(f"• {escape(label)}: {count}")
    groups = [g for g in await open_groups(services) if g.last_asked >= since][:3]
    if groups:
        lines.append("\n<b>" + tr.gettext("Top unanswered:") + "</b>")
        lines.extend(f"• {escape(g.samples[0])} (×{g.count})" for g in groups)
    feedback = await services.storage.feedback_by_entry(since=since)
    if feedback:
        lines.append("\n<b>" + tr.gettext("Feedback (👍/👎):") + "</b>")
        for entry_id, (up, down) in sorted(feedback.items(), key=lambda item: -item[1][1])[:5]:
            lines.append(f"• {escape(entry_id)}: {up}/{down}")
    lines.append(
        "\n"
        + tr.gettext(
            "Users: %(users)d (active in the period: %(active)d). Subscribers: %(subscribers)d.",
            users=await services.storage.count_users(),
            active=await services.storage.count_users(active_since=since),
            subscribers=await services.storage.count_subscribers(),
        )
    )
    await say(update, context, "\n".join(lines))


def feature(staff: filters.User) -> Feature:
    return Feature(
        handlers=[staff_command("stats", stats_command, staff)],
        staff_commands={"stats": mark("Usage statistics")},
    )

"""Staff commands: what users asked and did not get (/unanswered), numbers (/stats), and /reload.

Only the Telegram user ids in BOT_STAFF_IDS reach these; anyone else gets the ordinary "unknown command" reply,
so the commands' existence is not revealed.
"""

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from html import escape
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, BaseHandler, CommandHandler, ContextTypes

from bot.i18n import Translator, mark
from bot.knowledge import Problem
from bot.staff import QuestionGroup, group_questions
from bot.telegram import callbacks
from bot.telegram.handlers import bot_language, edit_or_send, on_unknown_command, say
from bot.telegram.sending import send_html
from bot.telegram.services import SERVICES_KEY, Services, services

log = logging.getLogger(__name__)

GROUPS_PER_PAGE = 5
MAX_UNANSWERED_READ = 5000
DEFAULT_STATS_DAYS = 30
RELOAD_CHECK_SECONDS = 10.0
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def staff_only(handler: Handler) -> Handler:
    """Non-staff get exactly what an unknown command gets."""

    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if not services(context).is_staff(user.id if user else None):
            if update.callback_query:
                await update.callback_query.answer()
                return
            await on_unknown_command(update, context)
            return
        await handler(update, context)

    guarded.__name__ = handler.__name__
    return guarded


# -- /unanswered -------------------------------------------------------------------------------------------------


async def open_groups(svc: Services) -> list[QuestionGroup]:
    records = await svc.storage.unanswered_questions(status="open", limit=MAX_UNANSWERED_READ)
    return group_questions(records, svc.assistant.index.analyzer)


def unanswered_page(groups: list[QuestionGroup], page: int, tr: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    if not groups:
        return tr.gettext("No open unanswered questions. 🎉"), None
    pages = (len(groups) + GROUPS_PER_PAGE - 1) // GROUPS_PER_PAGE
    page = min(max(page, 0), pages - 1)
    shown = groups[page * GROUPS_PER_PAGE : (page + 1) * GROUPS_PER_PAGE]
    lines = [
        "<b>"
        + tr.gettext(
            "Unanswered questions: %(groups)d groups, page %(page)d of %(pages)d",
            groups=len(groups),
            page=page + 1,
            pages=pages,
        )
        + "</b>"
    ]
    rows = []
    for number, group in enumerate(shown, start=page * GROUPS_PER_PAGE + 1):
        last = group.last_asked.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        samples = " | ".join(escape(s) for s in group.samples)
        header = tr.ngettext("asked %(count)d time", "asked %(count)d times", group.count)
        lines.append(f"\n<b>{number}.</b> {header}, {last} UTC, {'/'.join(group.langs)}\n{samples}")
        rows.append(
            [
                InlineKeyboardButton(
                    f"✅ {number}", callback_data=callbacks.encode(callbacks.UNANSWERED, f"r:{group.key}:{page}")
                ),
                InlineKeyboardButton(
                    f"🚫 {number}", callback_data=callbacks.encode(callbacks.UNANSWERED, f"i:{group.key}:{page}")
                ),
            ]
        )
    navigation = []
    if page > 0:
        navigation.append(
            InlineKeyboardButton("⬅️", callback_data=callbacks.encode(callbacks.UNANSWERED, f"p:{page - 1}"))
        )
    if page < pages - 1:
        navigation.append(
            InlineKeyboardButton("➡️", callback_data=callbacks.encode(callbacks.UNANSWERED, f"p:{page + 1}"))
        )
    if navigation:
        rows.append(navigation)
    lines.append("\n" + tr.gettext("✅ marks a group resolved (answered in the knowledge base), 🚫 ignores it."))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def negative_feedback_text(svc: Services, tr: Translator) -> str:
    votes = await svc.storage.negative_feedback(limit=10)
    if not votes:
        return ""
    kb = svc.assistant.kb
    lines = ["<b>" + tr.gettext("Answers users marked 👎 (latest first):") + "</b>"]
    for vote in votes:
        entry = kb.entries.get(vote.entry_id or "")
        label = entry.label(tr.lang) if entry else (vote.entry_id or "?")
        question = vote.question or tr.gettext("(question not recorded)")
        lines.append(f"• {escape(question)} → {escape(label)} [{escape(vote.entry_id or '?')}]")
    return "\n".join(lines)


@staff_only
async def unanswered_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc, tr = await bot_language(update, context)
    text, keyboard = unanswered_page(await open_groups(svc), 0, tr)
    await say(update, context, text, keyboard)
    feedback = await negative_feedback_text(svc, tr)
    if feedback:
        await say(update, context, feedback)


@staff_only
async def unanswered_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc, tr = await bot_language(update, context)
    query = update.callback_query
    button = callbacks.decode(query.data)
    action, _, rest = button.target.partition(":") if button else ("", "", "")
    groups = await open_groups(svc)
    if action == "p" and rest.isdigit():
        await query.answer()
        await edit_or_send(update, context, *unanswered_page(groups, int(rest), tr))
        return
    key, _, page = rest.partition(":")
    group = next((g for g in groups if key.isdigit() and int(key) in g.ids), None)
    if action not in ("r", "i") or group is None:
        await query.answer(tr.gettext("That group has already been handled."))
        await edit_or_send(update, context, *unanswered_page(groups, int(page or 0) if page.isdigit() else 0, tr))
        return
    status = "resolved" if action == "r" else "ignored"
    await svc.storage.set_unanswered_status(group.ids, status)
    await query.answer(
        tr.gettext("Marked resolved.") if status == "resolved" else tr.gettext("Ignored."),
    )
    remaining = await open_groups(svc)
    await edit_or_send(update, context, *unanswered_page(remaining, int(page) if page.isdigit() else 0, tr))


# -- /stats ------------------------------------------------------------------------------------------------------


def _share(part: int, whole: int) -> str:
    return f"{part} ({part / whole:.0%})" if whole else "0"


@staff_only
async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc, tr = await bot_language(update, context)
    argument = context.args[0] if context.args else str(DEFAULT_STATS_DAYS)
    if not argument.isdigit() or not 1 <= int(argument) <= 3650:
        await say(update, context, tr.gettext("Usage: /stats [days], e.g. /stats 7 (default 30)."))
        return
    days = int(argument)
    now = svc.clock()
    since, until = now - dt.timedelta(days=days), now + dt.timedelta(seconds=1)  # the window includes this moment
    stats = await svc.storage.question_stats(since, until, top=5)
    kb = svc.assistant.kb
    lines = [
        "<b>" + tr.ngettext("Last %(count)d day", "Last %(count)d days", days) + "</b>",
        tr.gettext("Questions: %(total)d", total=stats.total),
        tr.gettext("Answered: %(n)s", n=_share(stats.by_outcome.get("answer", 0), stats.total)),
        tr.gettext("Did you mean: %(n)s", n=_share(stats.by_outcome.get("suggest", 0), stats.total)),
        tr.gettext("Don't know: %(n)s", n=_share(stats.by_outcome.get("unknown", 0), stats.total)),
    ]
    for lang, outcomes in sorted(stats.by_lang.items()):
        asked = sum(outcomes.values())
        if asked:
            lines.append(
                tr.gettext(
                    "%(lang)s: %(asked)d questions, %(answered)s answered",
                    lang=lang,
                    asked=asked,
                    answered=_share(outcomes.get("answer", 0), asked),
                )
            )
    if stats.top_entries:
        lines.append("\n<b>" + tr.gettext("Most asked:") + "</b>")
        for entry_id, count in stats.top_entries:
            label = kb.entries[entry_id].label(tr.lang) if entry_id in kb.entries else entry_id
            lines.append(f"• {escape(label)}: {count}")
    groups = [g for g in await open_groups(svc) if g.last_asked >= since][:3]
    if groups:
        lines.append("\n<b>" + tr.gettext("Top unanswered:") + "</b>")
        lines.extend(f"• {escape(g.samples[0])} (×{g.count})" for g in groups)
    feedback = await svc.storage.feedback_by_entry(since=since)
    if feedback:
        lines.append("\n<b>" + tr.gettext("Feedback (👍/👎):") + "</b>")
        for entry_id, (up, down) in sorted(feedback.items(), key=lambda item: -item[1][1])[:5]:
            lines.append(f"• {escape(entry_id)}: {up}/{down}")
    lines.append(
        "\n"
        + tr.gettext(
            "Users: %(users)d (active in the period: %(active)d). Subscribers: %(subscribers)d.",
            users=await svc.storage.count_users(),
            active=await svc.storage.count_users(active_since=since),
            subscribers=await svc.storage.count_subscribers(),
        )
    )
    await say(update, context, "\n".join(lines))


# -- /reload -----------------------------------------------------------------------------------------------------


def problems_text(problems: list[Problem], tr: Translator) -> str:
    shown = "\n".join(escape(str(p)) for p in problems[:30])
    more = len(problems) - 30
    extra = "\n" + tr.gettext("…and %(count)d more.", count=more) if more > 0 else ""
    return tr.gettext("The knowledge base has problems; the previous version is still serving:") + f"\n{shown}{extra}"


async def reload_knowledge(svc: Services) -> list[Problem]:
    problems = svc.live.reload()
    if problems:
        log.warning("knowledge base reload refused: %d problem(s), first: %s", len(problems), problems[0])
    else:
        log.info("knowledge base reloaded: %d entries", len(svc.assistant.kb.entries))
    return problems


@staff_only
async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc, tr = await bot_language(update, context)
    problems = await reload_knowledge(svc)
    context.bot_data["knowledge_signature"] = knowledge_signature(svc.live.directory)
    if problems:
        await say(update, context, problems_text(problems, tr))
    else:
        count = len(svc.assistant.kb.entries)
        await say(update, context, tr.gettext("Knowledge base reloaded: %(count)d entries.", count=count))


def knowledge_signature(directory: Path) -> tuple:
    """What changes when staff save a file: names, sizes and modification times of the YAML files."""
    try:
        return tuple(
            sorted(
                (p.name, p.stat().st_mtime_ns, p.stat().st_size)
                for p in directory.iterdir()
                if p.suffix in (".yaml", ".yml")
            )
        )
    except OSError:
        return ("missing",)


async def watch_knowledge(context: ContextTypes.DEFAULT_TYPE) -> None:
    """JobQueue job: reload when the files change; tell staff once when an edit does not validate."""
    svc = services(context)
    signature = knowledge_signature(svc.live.directory)
    if signature == context.bot_data.get("knowledge_signature"):
        return
    context.bot_data["knowledge_signature"] = signature
    problems = await reload_knowledge(svc)
    if not problems:
        return
    tr = svc.catalogs["it"]  # staff are the Region's programme staff
    for staff_id in sorted(svc.config.staff_ids):
        try:
            await send_html(context.bot, staff_id, problems_text(problems, tr))
        except Exception:
            log.warning("could not tell staff member %s about the knowledge-base problems", staff_id)


def start_knowledge_watch(application: Application, interval: float = RELOAD_CHECK_SECONDS) -> None:
    svc: Services = application.bot_data[SERVICES_KEY]
    application.bot_data["knowledge_signature"] = knowledge_signature(svc.live.directory)
    application.job_queue.run_repeating(watch_knowledge, interval=interval, first=interval, name="knowledge-watch")


STAFF_COMMANDS = {
    "unanswered": mark("Unanswered questions, grouped"),
    "stats": mark("Usage statistics"),
    "reload": mark("Reload the knowledge base"),
}


def staff_handlers() -> list[BaseHandler]:
    return [
        CommandHandler("unanswered", unanswered_command),
        CommandHandler("stats", stats_command),
        CommandHandler("reload", reload_command),
    ]


STAFF_BUTTONS = {callbacks.UNANSWERED: unanswered_button}

"""/reload, and the automatic reload when staff save a knowledge-base file (checked every few seconds).

An edit with errors is never served: the previous version keeps answering, and staff get the problems (file:line:
reason — hint, in their language) once per version. Reading and checking run in a worker thread, so users' answers
never wait for a reload. Each version served is kept in the database, so that a bot restarted on a broken edit starts
on the last good version (and says so to staff) instead of not starting.
"""

import asyncio
import logging
from html import escape

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import filters

from bot.i18n import Translator, mark
from bot.knowledge import Problem
from bot.live import Refusal, Reload, ReloadOutcome
from bot.staff.review import review
from bot.telegram.context import SERVICES_KEY, BotApplication, BotContext, Services, job_queue
from bot.telegram.feature import Feature
from bot.telegram.replies import say
from bot.telegram.sending import send_html, show_typing
from bot.telegram.staff.common import STAMP_KEY, after_reload, knowledge_stamp, staff_command

log = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 10.0
MAX_ERRORS_SHOWN = 30
MAX_WARNINGS_SHOWN = 10


def _listing(problems: tuple[Problem, ...] | list[Problem], tr: Translator, limit: int) -> str:
    shown = "\n".join("• " + escape(p.text(tr.gettext), quote=False) for p in problems[:limit])
    more = len(problems) - limit
    return shown + ("\n" + escape(tr.gettext("…and %(count)d more.", count=more), quote=False) if more > 0 else "")


def problems_text(problems: tuple[Problem, ...] | list[Problem], tr: Translator, *, at_startup: bool = False) -> str:
    if at_startup:
        heading = tr.gettext("The knowledge-base files have errors, so I started with the last version that was valid:")
    else:
        heading = tr.gettext("The knowledge base has problems; the previous version is still serving:")
    return escape(heading, quote=False) + "\n" + _listing(problems, tr, MAX_ERRORS_SHOWN)


def reloaded_text(result: Reload, tr: Translator) -> str:
    entries = len(result.assistant.kb.entries) if result.assistant else 0
    text = escape(tr.gettext("Knowledge base reloaded: %(count)d entries.", count=entries), quote=False)
    warnings = result.check.warnings if result.check else ()
    if warnings:
        heading = tr.ngettext(
            "%(count)d warning (it does not stop the bot, but is worth a look):",
            "%(count)d warnings (they do not stop the bot, but are worth a look):",
            len(warnings),
        )
        text += "\n\n" + escape(heading, quote=False) + "\n" + _listing(warnings, tr, MAX_WARNINGS_SHOWN)
    return text


async def reload_command(update: Update, context: BotContext) -> None:
    services, tr = context.services, context.tr
    if update.effective_chat is not None:
        await show_typing(context.bot, update.effective_chat.id)
    result = await services.live.refresh(force=True)
    services.live.unreported_refusal()  # told here
    if result.outcome is ReloadOutcome.REFUSED:
        log.warning("knowledge base reload refused: %d error(s), first: %s", len(result.errors), result.errors[0])
        await say(update, context, problems_text(result.errors, tr))
        return
    await after_reload(context.bot_data, services)
    if result.check is not None and result.assistant is not None:
        place = str(services.live.directory)
        reviewed = await asyncio.to_thread(review, result.check, result.assistant, place=place)
        result = Reload(result.outcome, check=reviewed, assistant=result.assistant)
    await say(update, context, reloaded_text(result, tr))


async def tell_staff(bot: Bot, services: Services, refusal: Refusal) -> None:
    for staff_id in sorted(services.config.staff_ids):
        tr = await services.staff_translator(staff_id)
        try:
            await send_html(bot, staff_id, problems_text(refusal.errors, tr, at_startup=refusal.at_startup))
        except TelegramError as exc:
            log.warning("could not tell staff member %s about the knowledge-base problems: %s", staff_id, exc)


async def watch_knowledge(context: BotContext) -> None:
    """JobQueue job: reload when the files change; tell staff once about each version that does not validate. The
    stamp is recorded only once the attempt is over, whatever its outcome."""
    services = context.services
    live = services.live
    stamp = await asyncio.to_thread(knowledge_stamp, live.directory)
    if stamp != context.bot_data.get(STAMP_KEY):
        result = await live.refresh()
        context.bot_data[STAMP_KEY] = stamp
        if result.outcome is ReloadOutcome.RELOADED:
            await after_reload(context.bot_data, services)
        elif result.outcome is ReloadOutcome.REFUSED:
            log.warning("knowledge base reload refused: %d error(s), first: %s", len(result.errors), result.errors[0])
    if (refusal := live.unreported_refusal()) is not None:
        await tell_staff(context.bot, services, refusal)


def start_knowledge_watch(application: BotApplication, interval: float) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    application.bot_data[STAMP_KEY] = knowledge_stamp(services.live.directory)
    job_queue(application).run_repeating(
        watch_knowledge, interval=interval, first=min(interval, 1.0), name="knowledge-watch"
    )


def feature(staff: filters.User, check_seconds: float = RELOAD_CHECK_SECONDS) -> Feature:
    return Feature(
        handlers=[staff_command("reload", reload_command, staff)],
        staff_commands={"reload": mark("Reload the knowledge base")},
        start=lambda application: start_knowledge_watch(application, check_seconds),
    )

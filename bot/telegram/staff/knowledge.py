"""/reload, and the automatic reload when staff save a knowledge-base file (checked every few seconds).

An edit with problems is never served: the previous version keeps answering, and staff get the problem list
(file:line: reason) once.
"""

import logging
from html import escape

from telegram import Update
from telegram.ext import filters

from bot.i18n import Translator, mark
from bot.knowledge import Problem
from bot.telegram.context import SERVICES_KEY, BotApplication, BotContext, Services, job_queue
from bot.telegram.feature import Feature
from bot.telegram.replies import say
from bot.telegram.sending import send_html
from bot.telegram.staff.common import SIGNATURE_KEY, knowledge_signature, reload_knowledge, staff_command

log = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 10.0


def problems_text(problems: list[Problem], tr: Translator) -> str:
    shown = "\n".join(escape(str(p)) for p in problems[:30])
    more = len(problems) - 30
    extra = "\n" + tr.gettext("…and %(count)d more.", count=more) if more > 0 else ""
    return tr.gettext("The knowledge base has problems; the previous version is still serving:") + f"\n{shown}{extra}"


async def reload_command(update: Update, context: BotContext) -> None:
    services, tr = context.services, context.tr
    problems = await reload_knowledge(services)
    context.bot_data[SIGNATURE_KEY] = knowledge_signature(services.live.directory)
    if problems:
        await say(update, context, problems_text(problems, tr))
    else:
        count = len(services.assistant.kb.entries)
        await say(update, context, tr.gettext("Knowledge base reloaded: %(count)d entries.", count=count))


async def watch_knowledge(context: BotContext) -> None:
    """JobQueue job: reload when the files change; tell staff once when an edit does not validate."""
    services = context.services
    signature = knowledge_signature(services.live.directory)
    if signature == context.bot_data.get(SIGNATURE_KEY):
        return
    context.bot_data[SIGNATURE_KEY] = signature
    problems = await reload_knowledge(services)
    if not problems:
        return
    tr = services.catalogs["it"]  # staff are the Region's programme staff
    for staff_id in sorted(services.config.staff_ids):
        try:
            await send_html(context.bot, staff_id, problems_text(problems, tr))
        except Exception:
            log.warning("could not tell staff member %s about the knowledge-base problems", staff_id)


def start_knowledge_watch(application: BotApplication, interval: float) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    application.bot_data[SIGNATURE_KEY] = knowledge_signature(services.live.directory)
    job_queue(application).run_repeating(watch_knowledge, interval=interval, first=interval, name="knowledge-watch")


def feature(staff: filters.User, check_seconds: float = RELOAD_CHECK_SECONDS) -> Feature:
    return Feature(
        handlers=[staff_command("reload", reload_command, staff)],
        staff_commands={"reload": mark("Reload the knowledge base")},
        start=lambda application: start_knowledge_watch(application, check_seconds),
    )

"""The database file vanishing under the running bot: logged loudly, and staff told once.

SQLite keeps writing to a file that was deleted while it was open, and everything written is gone at the next
start. The storage refuses such writes (DatabaseFileGoneError, so users hear that something went wrong instead of
"subscribed"); this job notices it within a check interval even when nobody writes, and tells staff what to do.
"""

import logging
from html import escape

from bot.telegram.context import SERVICES_KEY, BotApplication, BotContext, Services, job_queue
from bot.telegram.feature import Feature
from bot.telegram.sending import send_html

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0
REPORTED_KEY = "database_file_reported"


async def check_database_file(context: BotContext) -> None:
    """JobQueue job."""
    services: Services = context.services
    if services.database is None or context.bot_data.get(REPORTED_KEY):
        return
    problem = services.storage.file_problem()
    if problem is None:
        return
    context.bot_data[REPORTED_KEY] = True
    log.error("DATABASE FILE GONE: %s. Nothing more is saved until the bot is restarted.", problem)
    for staff_id in sorted(services.config.staff_ids):
        tr = await services.staff_translator(staff_id)  # reads the database, which still answers reads
        text = "⚠️ " + tr.gettext(
            "The database file %(path)s was deleted or replaced while I was running, so nothing more can be saved: "
            "subscriptions, language choices and unanswered questions from now on are lost. Put the file back from "
            "a backup and restart me, or restart me to begin with an empty database.",
            path=services.storage.path,
        )
        try:
            await send_html(context.bot, staff_id, escape(text, quote=False))
        except Exception:
            log.warning("could not tell staff member %s that the database file is gone", staff_id)


def start_database_watch(application: BotApplication) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    if services.config.database.name == ":memory:":
        return
    job_queue(application).run_repeating(
        check_database_file, interval=CHECK_SECONDS, first=CHECK_SECONDS, name="database-watch"
    )


def feature() -> Feature:
    return Feature(handlers=[], start=start_database_watch)

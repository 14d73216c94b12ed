"""Telling staff without being asked: a daily digest at BOT_STAFF_DIGEST_TIME (new unanswered groups, answers
marked 👎, the most asked questions), and with BOT_STAFF_NEW_QUESTION_NOTES=on a note when a question nobody asked
before goes unanswered. Both are quiet when there is nothing to act on; /digest shows the digest now.

A job checks every minute. What was sent is recorded in the database with the message itself (one unit of work),
and the delivery ledger sends it: once per day and per new question, whatever restarts happen, to each staff
member's private chat in their language.
"""

import datetime as dt
import logging
from functools import partial
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import filters

from bot.i18n import mark
from bot.outcome import Outcome
from bot.reminders.messages import in_every_language
from bot.staff import QuestionGroup
from bot.staff.digest import DigestContent, digest_text, new_groups_text
from bot.telegram.context import SERVICES_KEY, BotApplication, BotContext, Services, job_queue
from bot.telegram.delivery import courier_of
from bot.telegram.feature import Feature
from bot.telegram.replies import say
from bot.telegram.staff.common import open_unanswered, staff_command

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0
DIGEST_DAY, DIGEST_AT, NOTED_ID = "digest_day", "digest_at", "noted_unanswered_id"
DAY = dt.timedelta(days=1)


async def recipients(services: Services) -> list[tuple[int, str]]:
    """Each staff member's private chat, with the language the bot writes to them in unasked."""
    return [(staff_id, (await services.staff_translator(staff_id)).lang) for staff_id in services.config.staff_ids]


async def digest_content(services: Services, since: dt.datetime, until: dt.datetime) -> DigestContent:
    groups, _ = await open_unanswered(services)
    stats = await services.storage.question_stats(since, until, top=5)
    feedback = await services.storage.feedback_by_entry(since=since)
    return DigestContent(
        since=since,
        until=until,
        new_groups=[g for g in groups if since <= g.first_asked < until],
        open_groups=len(groups),
        downvotes={entry_id: down for entry_id, (_, down) in feedback.items() if down},
        questions=stats.total,
        answered=stats.by_outcome.get(Outcome.ANSWER, 0),
        top_entries=stats.top_entries,
    )


async def queue_digest(services: Services, now: dt.datetime) -> bool:
    """Today's digest, if its time has come and it was not queued yet; True when a message was queued."""
    at = services.config.staff_digest_time
    if at is None:
        return False
    zone = ZoneInfo(services.config.timezone)
    local = now.astimezone(zone)
    today = local.date().isoformat()
    if local.time() < at or await services.storage.staff_state(DIGEST_DAY) == today:
        return False
    last = await services.storage.staff_state(DIGEST_AT)
    since = dt.datetime.fromisoformat(last) if last else now - DAY
    content = await digest_content(services, since, now)
    render = partial(digest_text, content, services.assistant.kb, zone=services.config.timezone)
    texts = None if content.quiet else in_every_language(services.catalogs, render)
    await services.storage.enqueue_staff_note(
        texts,
        await recipients(services),
        now,
        subject=f"digest:{today}",
        state={DIGEST_DAY: today, DIGEST_AT: now.isoformat()},
    )
    log.info("staff digest for %s: %s", today, "quiet" if texts is None else "queued")
    return texts is not None


async def queue_new_question_notes(services: Services, now: dt.datetime) -> bool:
    """A note for the groups of unanswered questions that appeared since the last check. Grouping runs only when a
    new question came in (a cheap look at the newest one first)."""
    if not services.config.staff_new_question_notes:
        return False
    latest = await services.storage.unanswered_questions(status="open", limit=1)
    newest = latest[0].id if latest else 0
    noted = await services.storage.staff_state(NOTED_ID)
    if noted is None or newest <= int(noted):  # the first check only sets the mark: no note for the backlog
        if noted is None:
            await services.storage.set_staff_state({NOTED_ID: str(newest)})
        return False
    groups, _ = await open_unanswered(services)
    fresh: list[QuestionGroup] = [g for g in groups if min(g.ids) > int(noted)]
    texts = in_every_language(services.catalogs, partial(new_groups_text, fresh)) if fresh else None
    await services.storage.enqueue_staff_note(
        texts, await recipients(services), now, subject=f"new-questions:{newest}", state={NOTED_ID: str(newest)}
    )
    return texts is not None


async def check_staff_notes(context: BotContext) -> None:
    """The job: queue what is due and let the delivery engine send it at once."""
    services = context.services
    if not services.config.staff_ids:
        return
    now = services.clock()
    queued = await queue_digest(services, now)
    queued = await queue_new_question_notes(services, now) or queued
    if queued and (courier := courier_of(context.bot_data)) is not None:
        courier.kick()


async def digest_command(update: Update, context: BotContext) -> None:
    """The digest of the last day, now, even when it is quiet."""
    services, tr = context.services, context.tr
    now = services.clock()
    content = await digest_content(services, now - DAY, now)
    await say(update, context, digest_text(content, services.assistant.kb, tr, services.config.timezone))


def start_staff_notes(application: BotApplication) -> None:
    services: Services = application.bot_data[SERVICES_KEY]
    if not services.config.staff_ids:
        return
    job_queue(application).run_repeating(check_staff_notes, interval=CHECK_SECONDS, first=5.0, name="staff-notes")


def feature(staff: filters.User) -> Feature:
    return Feature(
        handlers=[staff_command("digest", digest_command, staff)],
        staff_commands={"digest": mark("Today's staff digest")},
        start=start_staff_notes,
    )

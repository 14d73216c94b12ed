"""The delivery engine's Telegram wiring: every minute, queue what is due into the ledger (reminders, change
notices, broadcast reports) and let the process's one delivery engine send it.

A moved deadline is not announced on its own: its change notice waits as a draft, and staff get a preview ("this
will notify N subscribers: Send / Don't send", staff/notices.py). Only a bot with no staff configured sends it
directly.

JobQueue jobs are not persisted, and need not be: everything that must survive a restart is in the ledger, and the
first tick after start-up settles what a crash left half-done and resumes the pending rows.
"""

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.deadlines import deadlines_in_force
from bot.i18n import Catalogs, Translator
from bot.knowledge.model import LANGUAGES, KeyDate, KnowledgeBase
from bot.reminders.delivery import DeliveryEngine, DeliveryStats, Pacing
from bot.reminders.messages import broadcast_report, change_preview, change_text, in_every_language, reminder_text
from bot.reminders.schedule import (
    DeadlineChange,
    DeadlineDate,
    changed_deadlines,
    deadlines_by_lineage,
    due_reminders,
    subject_of,
)
from bot.storage.deliveries import ChangeDraft
from bot.telegram import callbacks
from bot.telegram.context import SERVICES_KEY, BotApplication, BotContext, Services, job_queue
from bot.telegram.sending import send_html

log = logging.getLogger(__name__)

COURIER_KEY = "courier"
TICK_SECONDS = 60.0
SEND, DROP = "send", "drop"  # the buttons under a change notice's preview


def change_of(draft: ChangeDraft, kb: KnowledgeBase) -> DeadlineChange | None:
    """The change a waiting notice is about, from the knowledge base serving now; None when the deadline has moved
    again or is gone (the notice is out of date)."""
    current = next((d for d in deadlines_in_force(kb) if subject_of(d) == draft.subject), None)
    if current is None:
        return None
    return DeadlineChange(draft.lineage, DeadlineDate(*draft.previous), current)


def notice_texts(change: DeadlineChange, now: dt.datetime, catalogs: Catalogs, timezone: str) -> dict[str, str]:
    return in_every_language(catalogs, partial(change_text, change, now, timezone=timezone))


def change_keyboard(tr: Translator, draft_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✅ " + tr.gettext("Send"), callback_data=callbacks.encode(callbacks.NOTICE, f"{SEND}:{draft_id}")
                ),
                InlineKeyboardButton(
                    "✖️ " + tr.gettext("Don't send"),
                    callback_data=callbacks.encode(callbacks.NOTICE, f"{DROP}:{draft_id}"),
                ),
            ]
        ]
    )


class Courier:
    """Feeds the ledger from the knowledge base and drives the process's delivery engine, one cycle at a time."""

    def __init__(
        self, application: BotApplication, *, pacing: Pacing | None = None, send_hour: int | None = None
    ) -> None:
        self.application = application
        self.pacing = pacing
        self._send_hour = send_hour  # None: the configured daytime window
        self._engine: DeliveryEngine | None = None
        self._lock = asyncio.Lock()
        self._wanted = False

    @property
    def svc(self) -> Services:
        services: Services = self.application.bot_data[SERVICES_KEY]
        return services

    @property
    def window(self) -> dict[str, int]:
        """The daytime window, as due_reminders takes it: BOT_REMINDER_HOURS, or a test's send hour."""
        start, until = self.svc.config.reminder_hours
        if self._send_hour is not None:
            start, until = self._send_hour, max(until, self._send_hour + 1)
        return {"send_hour": start, "until_hour": until}

    @property
    def engine(self) -> DeliveryEngine:
        """Built on first use: the storage is opened when the application starts, after the jobs are set up."""
        if self._engine is None:
            svc = self.svc
            self._engine = DeliveryEngine(self.application.bot, svc.storage, pacing=self.pacing, clock=svc.clock)
        return self._engine

    async def tick(self, context: BotContext | None = None) -> None:
        """The job: run cycles until nothing new was asked for; a tick during a cycle asks for one more."""
        self._wanted = True
        if self._lock.locked():
            return
        async with self._lock:
            while self._wanted and self.application.running:
                self._wanted = False
                try:
                    await self.cycle()
                except Exception:
                    log.exception("reminder and delivery cycle failed; the next tick tries again")
                    return

    def kick(self) -> None:
        """Deliver now (e.g. a confirmed broadcast) instead of at the next tick."""
        job_queue(self.application).run_once(self.tick, when=0, name="deliver-now")

    async def cycle(self) -> DeliveryStats:
        """Queue due reminders and change notices, deliver, then queue and deliver the reports of finished
        broadcasts."""
        now = self.svc.clock()
        await self.queue_due(now)
        await self.preview_changes(now)
        stop_when = self._stopping
        stats = await self.engine.run(stop_when)
        if not stop_when() and await self.queue_reports(self.svc.clock()):
            more = await self.engine.run(stop_when)
            stats.sent += more.sent
            stats.blocked += more.blocked
            stats.failed += more.failed
            stats.unconfirmed += more.unconfirmed
        return stats

    def _stopping(self) -> bool:
        return not self.application.running

    async def queue_due(self, now: dt.datetime) -> None:
        svc = self.svc
        kb, timezone = svc.assistant.kb, svc.config.timezone
        in_force = deadlines_in_force(kb)
        await self.queue_changes(kb, in_force, now)
        # What is queued for a date that moved, or that has passed meanwhile (a long outage), is never sent.
        ahead = {subject_of(d) for d in in_force if now < d.moment(timezone)}
        await svc.storage.drop_stale_reminders(ahead, now)
        sent = await svc.storage.reminder_keys()
        due_now = due_reminders(now, in_force, sent, timezone=timezone, **self.window)
        if due_now and not await svc.storage.subscribers():
            return  # a slot that comes with nobody subscribed stays unused, for whoever subscribes before the next
        for due in due_now:
            texts = in_every_language(svc.catalogs, partial(reminder_text, due.key_date, now, timezone=timezone))
            batch = await svc.storage.enqueue_for_subscribers(
                "reminder", texts, now, subject=due.subject, reminder_keys=[due.key]
            )
            log.info("reminder %s queued (batch %s)", due.key, batch)

    async def queue_changes(self, kb: KnowledgeBase, in_force: list[KeyDate], now: dt.datetime) -> None:
        """One notice per moved deadline, recorded with the new dates in one unit of work: waiting for staff, or
        queued at once when no staff are configured."""
        svc = self.svc
        timezone = svc.config.timezone
        current = deadlines_by_lineage(kb, in_force)
        stored = await svc.storage.known_deadline_dates()
        previous = {lineage: DeadlineDate(day, time) for lineage, (day, time) in stored.items()}
        changes = [c for c in changed_deadlines(previous, current) if c.worth_notifying(now, timezone)]
        notices = [(subject_of(c.current), notice_texts(c, now, svc.catalogs, timezone)) for c in changes]
        # The notice already gives the new date and countdown: the reminder slot that has come is covered by it.
        covered = [
            [slot.key for slot in due_reminders(now, [c.current], (), timezone=timezone, **self.window)]
            for c in changes
        ]
        snapshot = {lineage: (d.day, d.time) for lineage, d in current.items()}
        if snapshot == stored:
            return
        if svc.config.staff_ids:
            drafts = [
                (c.lineage, (c.previous.day, c.previous.time), keys) for c, keys in zip(changes, covered, strict=True)
            ]
            await svc.storage.record_deadline_dates(stored, snapshot, notices, [], now, drafts=drafts)
        else:
            flat = [key for keys in covered for key in keys]
            await svc.storage.record_deadline_dates(stored, snapshot, notices, flat, now)
        for change in changes:
            log.info(
                "deadline %s moved from %s to %s: notice %s",
                change.lineage,
                change.previous,
                change.current.day,
                "waiting for staff" if svc.config.staff_ids else "queued",
            )

    async def preview_changes(self, now: dt.datetime) -> None:
        """Show each waiting change notice to staff, each in their language, with Send / Don't send. A notice no
        staff member could be shown is tried again at the next tick; with no subscribers there is nothing to ask."""
        svc = self.svc
        drafts = await svc.storage.change_drafts(unpreviewed=True)
        if not drafts:
            return
        subscribers = await svc.storage.count_subscribers()
        for draft in drafts:
            if not subscribers:
                await svc.storage.cancel_change_notice(draft.id)
                continue
            change = change_of(draft, svc.assistant.kb)
            if change is None:
                continue  # out of date: drop_stale_reminders cancels it
            shown = False
            for staff_id in sorted(svc.config.staff_ids):
                tr = await svc.staff_translator(staff_id)
                notice = change_text(change, now, tr, svc.config.timezone)
                try:
                    await send_html(
                        self.application.bot,
                        staff_id,
                        change_preview(change, subscribers, notice, tr, svc.config.timezone),
                        change_keyboard(tr, draft.id),
                    )
                    shown = True
                except TelegramError as exc:
                    log.warning("could not show change notice #%d to staff member %s: %s", draft.id, staff_id, exc)
            if shown:
                await svc.storage.mark_change_previewed(draft.id, now)

    async def queue_reports(self, now: dt.datetime) -> int:
        svc = self.svc
        queued = 0
        for finished in await svc.storage.broadcasts_awaiting_report():
            tr = svc.catalogs[finished.lang if finished.lang in LANGUAGES else "en"]
            if await svc.storage.enqueue_report(finished.id, broadcast_report(finished.id, finished.counts, tr), now):
                queued += 1
        return queued


def courier_of(bot_data: Mapping[str, object]) -> Courier | None:
    courier = bot_data.get(COURIER_KEY)
    return courier if isinstance(courier, Courier) else None


async def start_reminder_jobs(
    application: BotApplication,
    *,
    interval: float = TICK_SECONDS,
    first: float = 1.0,
    pacing: Pacing | None = None,
    send_hour: int | None = None,
) -> Courier:
    """Register the repeating delivery job; its first run (after `first` seconds) resumes the ledger."""
    courier = Courier(application, pacing=pacing, send_hour=send_hour)
    application.bot_data[COURIER_KEY] = courier
    job_queue(application).run_repeating(
        courier.tick,
        interval=interval,
        first=first,
        name="reminders",
        job_kwargs={"max_instances": 2, "coalesce": True},  # a tick during a long broadcast just asks for more
    )
    return courier

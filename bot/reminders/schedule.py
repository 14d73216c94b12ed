"""Which reminders are due, and which deadlines moved: plain functions on plain data, the clock passed in.

A reminder is a *slot*: `offset` days before a deadline's day, at `send_hour` in the bot's time zone (so 9:00
stays 9:00 across a daylight-saving change). Its key names the date it was computed for, so when a deadline moves
the old keys simply stop matching and the new date gets fresh slots.

Only the latest slot that has come is ever due: a bot that was down for two weeks sends one reminder, with the
true countdown, not the three it missed. Reminders are due only inside the daytime window (`send_hour` to
`until_hour`, local time): a slot missed in the morning waits for the next morning rather than arriving at night.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.knowledge.model import KeyDate, KnowledgeBase

DEFAULT_OFFSETS: tuple[int, ...] = (30, 7, 1, 0)
DEFAULT_SEND_HOUR = 9
DEFAULT_UNTIL_HOUR = 20  # no reminder from 20:00 until the next morning's send hour


@dataclass(frozen=True)
class DueReminder:
    key: str  # "<date id>@<day>:<offset>", recorded once the reminder is queued
    key_date: KeyDate
    offset: int  # days before the deadline's day
    scheduled_at: dt.datetime

    @property
    def subject(self) -> str:
        return subject_of(self.key_date)


@dataclass(frozen=True)
class DeadlineDate:
    """When a deadline falls, as remembered between runs to notice that it moved."""

    day: dt.date
    time: dt.time | None = None

    @classmethod
    def of(cls, key_date: KeyDate) -> "DeadlineDate":
        return cls(key_date.day, key_date.time)


@dataclass(frozen=True)
class DeadlineChange:
    lineage: str  # the id of the first date in its `replaces` chain: stable across extensions
    previous: DeadlineDate
    current: KeyDate

    def worth_notifying(self, now: dt.datetime, timezone: str) -> bool:
        """Tell subscribers only while the old or the new date still lies ahead: fixing a long-past date is noise."""
        old = replace(self.current, day=self.previous.day, time=self.previous.time)
        return now < self.current.moment(timezone) or now < old.moment(timezone)


def subject_of(key_date: KeyDate) -> str:
    """What reminders for this date are about; a reminder whose subject is no longer in force is dropped."""
    return f"{key_date.id}@{key_date.day.isoformat()}"


def reminder_key(key_date: KeyDate, offset: int) -> str:
    return f"{subject_of(key_date)}:{offset}"


def offsets_of(key_date: KeyDate) -> tuple[int, ...]:
    """Days before the deadline, from the knowledge base or the default 30, 7, 1 and 0."""
    return key_date.reminders or DEFAULT_OFFSETS


def reminder_slots(key_date: KeyDate, *, timezone: str, send_hour: int = DEFAULT_SEND_HOUR) -> list[DueReminder]:
    """Every slot of a deadline that comes before the deadline itself, earliest first."""
    zone = ZoneInfo(timezone)
    moment = key_date.moment(timezone)
    slots = []
    for offset in offsets_of(key_date):
        at = dt.datetime.combine(key_date.day - dt.timedelta(days=offset), dt.time(send_hour), zone)
        if at < moment:  # e.g. an 8:00 deadline gets no 9:00 reminder on its day
            slots.append(DueReminder(reminder_key(key_date, offset), key_date, offset, at))
    return sorted(slots, key=lambda slot: slot.scheduled_at)


def due_reminders(
    now: dt.datetime,
    deadlines: Iterable[KeyDate],
    sent_keys: Iterable[str],
    *,
    timezone: str,
    send_hour: int = DEFAULT_SEND_HOUR,
    until_hour: int = DEFAULT_UNTIL_HOUR,
) -> list[DueReminder]:
    """For each deadline still ahead, its latest slot that has come, unless that one was already sent; nothing
    outside the daytime window."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not send_hour <= now.astimezone(ZoneInfo(timezone)).hour < until_hour:
        return []
    sent = set(sent_keys)
    due = []
    for key_date in deadlines:
        if key_date.kind != "deadline" or now >= key_date.moment(timezone):
            continue
        slots = reminder_slots(key_date, timezone=timezone, send_hour=send_hour)
        arrived = [slot for slot in slots if slot.scheduled_at <= now]
        if arrived and arrived[-1].key not in sent:
            due.append(arrived[-1])
    return sorted(due, key=lambda slot: (slot.scheduled_at, slot.key))


def lineage_of(kb: KnowledgeBase, key_date: KeyDate) -> str:
    """Follow `replaces` back to the first date: an extension is the same deadline, moved."""
    seen = {key_date.id}
    current = key_date
    while current.replaces and current.replaces in kb.dates and current.replaces not in seen:
        current = kb.dates[current.replaces]
        seen.add(current.id)
    return current.id


def deadlines_by_lineage(kb: KnowledgeBase, in_force: Sequence[KeyDate]) -> dict[str, KeyDate]:
    """The deadlines in force, keyed by lineage, for change detection."""
    return {lineage_of(kb, key_date): key_date for key_date in in_force}


def changed_deadlines(previous: Mapping[str, DeadlineDate], current: Mapping[str, KeyDate]) -> list[DeadlineChange]:
    """Deadlines whose day or time differs from what was last seen; new and removed ones are not changes."""
    changes = []
    for lineage, key_date in sorted(current.items()):
        before = previous.get(lineage)
        if before is not None and before != DeadlineDate.of(key_date):
            changes.append(DeadlineChange(lineage, before, key_date))
    return changes

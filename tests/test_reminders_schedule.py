"""The pure reminder schedule, with the clock injected: offsets, the morning hour in Rome across daylight-saving
changes, time zones, moved and past deadlines, and what was already sent."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.deadlines import deadlines_in_force
from bot.knowledge import Bilingual, KeyDate, load_knowledge
from bot.reminders.schedule import (
    DEFAULT_OFFSETS,
    DeadlineDate,
    changed_deadlines,
    deadlines_by_lineage,
    due_reminders,
    reminder_key,
    reminder_slots,
)
from tests.conftest import FIXTURE_KB

ROME = "Europe/Rome"
UTC = dt.UTC


def deadline(
    day: dt.date,
    *,
    id: str = "closing",
    time: dt.time | None = None,
    timezone: str | None = None,
    reminders: tuple[int, ...] = (),
) -> KeyDate:
    return KeyDate(
        id, "deadline", day, Bilingual("scadenza", "deadline"), time=time, timezone=timezone, reminders=reminders
    )


def rome(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(ROME))


def due_keys(now: dt.datetime, dates: list[KeyDate], sent: set[str] = frozenset(), **kwargs) -> list[str]:
    return [r.key for r in due_reminders(now, dates, sent, timezone=kwargs.pop("timezone", ROME), **kwargs)]


JUNE_30 = deadline(dt.date(2026, 6, 30))


@pytest.mark.parametrize("offset", DEFAULT_OFFSETS)
def test_each_default_offset_falls_due_at_nine_in_rome(offset: int) -> None:
    day = JUNE_30.day - dt.timedelta(days=offset)
    before = rome(day.year, day.month, day.day, 8, 59, 59)
    at_nine = rome(day.year, day.month, day.day, 9, 0)
    assert reminder_key(JUNE_30, offset) not in due_keys(before, [JUNE_30])
    assert due_keys(at_nine, [JUNE_30]) == [reminder_key(JUNE_30, offset)]
    # summer time: 9:00 in Rome is 7:00 UTC
    [due] = due_reminders(at_nine.astimezone(UTC), [JUNE_30], (), timezone=ROME)
    assert due.offset == offset
    assert due.scheduled_at.astimezone(UTC).hour == 7


def test_nothing_is_due_before_the_first_offset() -> None:
    assert due_keys(rome(2026, 5, 31, 8, 59), [JUNE_30]) == []
    assert due_keys(rome(2026, 1, 1, 9, 0), [JUNE_30]) == []


def test_the_default_offsets_are_30_7_1_and_the_day() -> None:
    slots = reminder_slots(JUNE_30, timezone=ROME)
    assert [s.offset for s in slots] == [30, 7, 1, 0]
    assert [s.scheduled_at.date() for s in slots] == [
        dt.date(2026, 5, 31),
        dt.date(2026, 6, 23),
        dt.date(2026, 6, 29),
        dt.date(2026, 6, 30),
    ]


def test_offsets_come_from_the_knowledge_base() -> None:
    custom = deadline(dt.date(2026, 6, 30), reminders=(14, 2))
    assert [s.offset for s in reminder_slots(custom, timezone=ROME)] == [14, 2]
    assert due_keys(rome(2026, 6, 16, 9), [custom]) == [reminder_key(custom, 14)]
    assert due_keys(rome(2026, 6, 23, 9), [custom], {reminder_key(custom, 14)}) == []  # no default 7-day slot
    assert due_keys(rome(2026, 6, 28, 9), [custom], {reminder_key(custom, 14)}) == [reminder_key(custom, 2)]


def test_spring_forward_keeps_nine_oclock_local() -> None:
    """Summer time starts on Sunday 29 March 2026: 9:00 is 8:00 UTC before, 7:00 UTC on and after that day."""
    closing = deadline(dt.date(2026, 4, 5), reminders=(10, 7, 1))
    hours = {s.offset: s.scheduled_at.astimezone(UTC).hour for s in reminder_slots(closing, timezone=ROME)}
    assert hours == {10: 8, 7: 7, 1: 7}  # 26 March (winter), 29 March (the change day), 4 April (summer)
    change_day = dt.datetime(2026, 3, 29, 6, 59, tzinfo=UTC)
    assert due_keys(change_day, [closing]) == []  # 8:59 local: before the morning window opens
    assert due_keys(change_day + dt.timedelta(minutes=1), [closing]) == [reminder_key(closing, 7)]


def test_fall_back_keeps_nine_oclock_local() -> None:
    """Winter time starts on Sunday 25 October 2026: 9:00 is 7:00 UTC before, 8:00 UTC on that day."""
    closing = deadline(dt.date(2026, 11, 1), reminders=(7, 1))
    hours = {s.offset: s.scheduled_at.astimezone(UTC).hour for s in reminder_slots(closing, timezone=ROME)}
    assert hours == {7: 8, 1: 8}  # 25 October (the change day) and 31 October
    change_day = dt.datetime(2026, 10, 25, 7, 59, tzinfo=UTC)  # 8:59 local, the hour repeated at 2:00 passed
    assert due_keys(change_day, [closing]) == []
    assert due_keys(change_day + dt.timedelta(minutes=1), [closing]) == [reminder_key(closing, 7)]
    week_before = {s.offset: s.scheduled_at for s in reminder_slots(deadline(dt.date(2026, 10, 30)), timezone=ROME)}
    assert week_before[7].astimezone(UTC).hour == 7  # 23 October, still summer time


def test_the_hour_is_the_bot_time_zone_and_the_day_the_deadline_own() -> None:
    """A deadline in Brussels at 17:00 is reminded at 9:00 of the bot's time zone on the right days."""
    cosme = deadline(dt.date(2018, 3, 8), time=dt.time(17), timezone="Europe/Brussels")
    [on_the_day] = due_reminders(rome(2018, 3, 8, 9), [cosme], (), timezone=ROME)
    assert on_the_day.offset == 0
    new_york = due_reminders(dt.datetime(2018, 3, 8, 13, 59, tzinfo=UTC), [cosme], (), timezone="America/New_York")
    assert new_york == []  # 8:59 in New York: the window has not opened (and yesterday's slot is not sent now)
    [ny] = due_reminders(dt.datetime(2018, 3, 8, 14, 0, tzinfo=UTC), [cosme], (), timezone="America/New_York")
    assert (ny.offset, ny.scheduled_at.astimezone(UTC).hour) == (0, 14)


def test_a_custom_send_hour() -> None:
    assert due_keys(rome(2026, 6, 30, 7, 59), [JUNE_30], send_hour=8) == []
    assert due_keys(rome(2026, 6, 30, 8, 0), [JUNE_30], send_hour=8) == [reminder_key(JUNE_30, 0)]


def test_past_deadlines_produce_no_reminders() -> None:
    at_five = deadline(dt.date(2026, 6, 30), time=dt.time(17))
    assert due_keys(rome(2026, 6, 30, 16, 59), [at_five]) == [reminder_key(at_five, 0)]
    assert due_keys(rome(2026, 6, 30, 17, 0), [at_five]) == []
    assert due_keys(rome(2026, 7, 1, 9, 0), [JUNE_30]) == []  # a whole-day deadline ends at midnight
    assert due_keys(rome(2030, 1, 1), [JUNE_30, at_five]) == []


def test_a_deadline_before_the_send_hour_gets_no_reminder_on_its_day() -> None:
    early = deadline(dt.date(2026, 6, 30), time=dt.time(8))
    assert [s.offset for s in reminder_slots(early, timezone=ROME)] == [30, 7, 1]
    assert due_keys(rome(2026, 6, 29, 19, 59), [early]) == [reminder_key(early, 1)]
    assert due_keys(rome(2026, 6, 30, 7, 0), [early]) == []  # missed: not sent at night, and the day's slot is gone


def test_already_sent_reminders_are_not_due_again() -> None:
    now = rome(2026, 6, 23, 10)
    assert due_keys(now, [JUNE_30], {reminder_key(JUNE_30, 7)}) == []
    assert due_keys(now, [JUNE_30], {reminder_key(JUNE_30, 30)}) == [reminder_key(JUNE_30, 7)]


def test_after_downtime_only_the_latest_slot_is_sent() -> None:
    """Down from May to 28 June: one reminder (the 7-day one, with the true countdown), not the two missed."""
    assert due_keys(rome(2026, 6, 28, 12), [JUNE_30]) == [reminder_key(JUNE_30, 7)]


def test_a_moved_deadline_gets_fresh_reminders_for_its_new_date() -> None:
    old = JUNE_30
    moved = deadline(dt.date(2026, 7, 31))
    sent = {reminder_key(old, 30), reminder_key(old, 7)}
    assert reminder_key(moved, 30) != reminder_key(old, 30)
    assert due_keys(rome(2026, 6, 25, 10), [moved], sent) == []  # next slot for 31 July is 1 July
    assert due_keys(rome(2026, 7, 1, 9), [moved], sent) == [reminder_key(moved, 30)]


def test_events_and_several_deadlines() -> None:
    event = KeyDate("info-day", "event", dt.date(2026, 6, 30), Bilingual("evento", "event"))
    other = deadline(dt.date(2026, 7, 1), id="other")
    keys = due_keys(rome(2026, 6, 30, 9), [event, JUNE_30, other])
    assert keys == [reminder_key(JUNE_30, 0), reminder_key(other, 1)]  # same moment: by key


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_reminders(dt.datetime(2026, 6, 30, 9), [JUNE_30], (), timezone=ROME)


# -- changed deadlines -------------------------------------------------------------------------------------------


def test_a_date_edited_in_place_is_a_change() -> None:
    moved = deadline(dt.date(2026, 7, 15))
    [change] = changed_deadlines({"closing": DeadlineDate(dt.date(2026, 6, 30))}, {"closing": moved})
    assert (change.lineage, change.previous.day, change.current.day) == ("closing", dt.date(2026, 6, 30), moved.day)


def test_a_new_time_is_a_change_and_new_or_removed_deadlines_are_not() -> None:
    same = deadline(dt.date(2026, 6, 30))
    later = deadline(dt.date(2026, 6, 30), id="b", time=dt.time(17))
    previous = {
        "closing": DeadlineDate(same.day),
        "b": DeadlineDate(later.day, dt.time(12)),
        "gone": DeadlineDate(same.day),
    }
    current = {"closing": same, "b": later, "new": deadline(dt.date(2026, 9, 1), id="new")}
    assert [c.lineage for c in changed_deadlines(previous, current)] == ["b"]
    assert changed_deadlines({}, current) == []


def test_an_extension_that_replaces_a_date_is_the_same_deadline_moved() -> None:
    kb = load_knowledge(FIXTURE_KB)
    current = deadlines_by_lineage(kb, deadlines_in_force(kb))
    assert {lineage: d.id for lineage, d in current.items()} == {"closing-original": "closing-extended"}
    previous = {"closing-original": DeadlineDate(dt.date(2016, 12, 31))}  # before the extension was edited in
    [change] = changed_deadlines(previous, current)
    assert change.current.day == dt.date(2017, 3, 31)
    assert change.worth_notifying(dt.datetime(2016, 12, 20, tzinfo=UTC), ROME)
    assert change.worth_notifying(dt.datetime(2017, 1, 15, tzinfo=UTC), ROME)  # the new date is still ahead
    assert not change.worth_notifying(dt.datetime(2018, 1, 1, tzinfo=UTC), ROME)  # both long past: noise

"""Honest about time, through the real bot: a call whose deadlines have all passed says so in /start, /deadline and
/subscribe (computed from the dates, so a future call's dates just work); times in the reader's zone with a plain
label; reminders only in the daytime window; a late subscriber gets the next relevant reminder, never one for a
past date, and a slot that came with nobody subscribed is not used up."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.schedule import due_reminders, reminder_key
from tests.support.bot_api import FakeBotAPI, make_user
from tests.test_reminders_schedule import deadline
from tests.test_subscriptions_e2e import Clock, running

pytestmark = pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")

ADA = make_user(1001, "Ada", "it")
BOB = make_user(1002, "Bob", "en")
STAFF = make_user(7001, "Stella", "it")
ROME = ZoneInfo("Europe/Rome")
#: A future call: the fixture's extended deadline moved to 31 May 2027, 17:00 New York time (23:00 in Rome).
FUTURE_DATES = """dates:
  - id: closing-original
    kind: deadline
    date: 2026-12-31
    title: {it: scadenza originale, en: original deadline}
    sources: [press]
  - id: closing-extended
    kind: deadline
    date: 2027-05-31
    time: "17:00"
    timezone: America/New_York
    title: {it: scadenza prorogata, en: extended deadline}
    sources: [press]
    replaces: closing-original
    reminders: [30, 7, 1, 0]
"""


def rome(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ROME)


@pytest.fixture
def future_kb(fixture_kb_dir: Path) -> Path:
    (fixture_kb_dir / "dates.yaml").write_text(FUTURE_DATES)
    return fixture_kb_dir


async def reply(api: FakeBotAPI, user: dict, command: str) -> dict:
    since = len(api.messages_to(user["id"]))
    api.push_update(api.command(user, command))
    await api.wait_for_messages(user["id"], since=since)
    return api.sent_messages(user["id"])[since]


def buttons(message: dict) -> list[str]:
    return [b["callback_data"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


# -- a call that is over, and one that is not ---------------------------------------------------------------------


async def test_a_closed_call_says_so_in_start_deadline_and_subscribe(api, tmp_path, future_kb) -> None:
    clock = Clock(rome(2027, 6, 2, 10, 0))  # two days after the last deadline
    async with running(api, tmp_path, future_kb, clock) as (_, _, storage):
        start = await reply(api, BOB, "/start")
        assert (
            "All the deadlines I know of have passed: the last one (extended deadline) was on 31 May 2027."
            in (start["text"])
        )
        deadlines = await reply(api, BOB, "/deadline")
        assert deadlines["text"].startswith("All the deadlines I know of have passed")
        assert "s:on" not in buttons(deadlines)  # no "remind me" for a call that is over
        subscribed = await reply(api, BOB, "/subscribe")
        assert subscribed["text"].startswith("🔔 Subscribed. All the deadlines I know of have passed")
        assert "nothing to remind you of now" in subscribed["text"]
        assert "in the morning as each deadline approaches" not in subscribed["text"]
        assert await storage.is_subscribed(BOB["id"])  # still told of a new deadline and of announcements
        italian = await reply(api, ADA, "/start")
        assert "Tutte le scadenze che conosco sono passate" in italian["text"]


async def test_the_same_bot_before_the_deadline_promises_reminders_and_counts_down(api, tmp_path, future_kb) -> None:
    clock = Clock(rome(2027, 5, 20, 10, 0))
    async with running(api, tmp_path, future_kb, clock):
        start = await reply(api, BOB, "/start")
        assert "have passed" not in start["text"]
        deadlines = await reply(api, BOB, "/deadline")
        assert deadlines["text"].startswith("Deadlines:") and "11 days left" in deadlines["text"]
        assert buttons(deadlines) == ["s:on"]
        subscribed = await reply(api, BOB, "/subscribe")
        assert "reminder in the morning as each deadline approaches" in subscribed["text"]


async def test_times_are_shown_in_the_readers_zone_with_a_plain_label(api, tmp_path, future_kb) -> None:
    clock = Clock(rome(2027, 5, 20, 10, 0))
    async with running(api, tmp_path, future_kb, clock):
        english = (await reply(api, BOB, "/deadline"))["text"]
        italian = (await reply(api, ADA, "/deadline"))["text"]
    assert "31 May 2027, 23:00 Rome time" in english  # 17:00 in New York
    assert "31 maggio 2027, 23:00 ora di Roma" in italian
    for text in (english, italian):
        assert "America/New_York" not in text and "Europe/" not in text


async def test_staff_see_times_in_the_bots_zone_not_utc(api, tmp_path, fixture_kb_dir) -> None:
    clock = Clock(dt.datetime(2026, 11, 25, 21, 30, tzinfo=dt.UTC))
    async with running(api, tmp_path, fixture_kb_dir, clock):
        api.push_update(api.text_message(ADA, "quanto costa il biglietto del treno?"))
        await api.wait_for_messages(ADA["id"])
        page = await reply(api, STAFF, "/unanswered")
    assert "25 novembre 2026, 22:30 ora di Roma" in page["text"] and "UTC" not in page["text"]


# -- the daytime window (pure) -----------------------------------------------------------------------------------


def test_a_missed_morning_reminder_waits_for_the_next_morning_not_the_night() -> None:
    closing = deadline(dt.date(2027, 5, 31), reminders=(7, 1))
    assert due_reminders(rome(2027, 5, 24, 22, 41), [closing], (), timezone="Europe/Rome") == []
    assert due_reminders(rome(2027, 5, 25, 6, 0), [closing], (), timezone="Europe/Rome") == []
    [morning] = due_reminders(rome(2027, 5, 25, 9, 0), [closing], (), timezone="Europe/Rome")
    assert morning.key == reminder_key(closing, 7)
    evening = due_reminders(rome(2027, 5, 25, 19, 59), [closing], (), timezone="Europe/Rome", until_hour=20)
    assert [d.key for d in evening] == [reminder_key(closing, 7)]


# -- late subscribers (end to end) --------------------------------------------------------------------------------


async def test_a_late_subscriber_gets_the_slot_nobody_used_then_the_next_never_a_past_one(
    api, tmp_path, future_kb
) -> None:
    """Slots for 31 May 2027: 1 May (30 days), 24 May (7), 30 May (1), 31 May (0), at 9:00 Rome time."""
    clock = Clock(rome(2027, 5, 1, 10, 0))
    async with running(api, tmp_path, future_kb, clock) as (_, courier, storage):
        await courier.cycle()  # the 30-day slot comes: nobody is subscribed, so it is not used up
        assert api.calls_to("sendMessage") == []

        clock.now = rome(2027, 5, 3, 22, 41)  # Ada subscribes late in the evening
        await storage.subscribe(ADA["id"], "it", clock.now)
        await courier.cycle()
        assert api.texts_to(ADA["id"]) == []  # not at night

        clock.now = rome(2027, 5, 4, 9, 0)  # the next morning: the unused slot, with the true countdown
        await courier.cycle()
        [first] = api.texts_to(ADA["id"])
        assert "31 maggio 2027" in first and "mancano 27 giorni" in first

        clock.now = rome(2027, 5, 10, 11, 0)  # Bob subscribes after that slot went out: he waits for the next
        await storage.subscribe(BOB["id"], "en", clock.now)
        await courier.cycle()
        assert api.texts_to(BOB["id"]) == []

        clock.now = rome(2027, 5, 24, 9, 0)
        await courier.cycle()
        assert "7 days left" in api.texts_to(BOB["id"])[0] and len(api.texts_to(ADA["id"])) == 2

        clock.now = rome(2027, 6, 1, 9, 0)  # after the deadline: nothing, ever, also for a new subscriber
        await storage.subscribe(STAFF["id"], "it", clock.now)
        await courier.cycle()
        assert api.texts_to(STAFF["id"]) == [] and len(api.texts_to(BOB["id"])) == 1


async def test_a_reminder_queued_before_an_outage_is_not_sent_after_its_deadline(api, tmp_path, future_kb) -> None:
    clock = Clock(rome(2027, 5, 31, 9, 0))  # the day's slot is queued...
    async with running(api, tmp_path, future_kb, clock) as (_, courier, storage):
        await storage.subscribe(ADA["id"], "it", clock.now)
        await courier.queue_due(clock.now)
        clock.now = rome(2027, 6, 1, 9, 30)  # ...but the bot was down until after the deadline (23:00 Rome)
        await courier.cycle()
        assert api.texts_to(ADA["id"]) == []

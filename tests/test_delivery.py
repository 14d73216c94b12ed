"""The delivery engine against the loopback Bot API with a real python-telegram-bot Bot: pacing, 429, blocked
chats, network errors, and exactly-once across a cancelled task and a killed process."""

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.reminders.delivery import DeliveryEngine, Pacing
from bot.storage import Storage
from tests.conftest import ROOT
from tests.support.bot_api import FakeBotAPI

pytestmark = pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
FAST = Pacing(per_second=200, per_chat_interval=0.05, per_group_interval=0.1, backoff_first=0.02, backoff_max=0.1)
TEXTS = {"it": "Ciao <b>a tutti</b>", "en": "Hello <b>everyone</b>"}


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(tmp_path / "db.sqlite3") as storage:
        yield storage


def new_bot(server: FakeBotAPI) -> Bot:
    return Bot(server.token, base_url=server.base_url, request=HTTPXRequest(connection_pool_size=16))


@pytest.fixture
async def bot(server: FakeBotAPI) -> AsyncIterator[Bot]:
    async with new_bot(server) as client:
        yield client


async def subscribe(store: Storage, chat_ids: range | list[int], lang: str = "it") -> None:
    for offset, chat_id in enumerate(chat_ids):
        await store.subscribe(chat_id, lang, NOW + dt.timedelta(seconds=offset))


async def broadcast(store: Storage, texts: dict[str, str] = TEXTS) -> int:
    batch = await store.enqueue_for_subscribers("broadcast", texts, NOW)
    assert batch is not None
    return batch


def texts_by_chat(server: FakeBotAPI, chat_ids: range | list[int]) -> dict[int, list[str]]:
    return {chat_id: server.texts_to(chat_id) for chat_id in chat_ids}


async def statuses(store: Storage, batch_id: int) -> dict[str, int]:
    counts = await store.batch_counts(batch_id)
    return {k: v for k, v in vars(counts).items() if v}


async def test_each_subscriber_gets_one_message_in_their_language(server, store, bot) -> None:
    await subscribe(store, range(1, 11), "it")
    await subscribe(store, range(11, 21), "en")
    batch = await broadcast(store)
    stats = await DeliveryEngine(bot, store, pacing=FAST).run()
    assert (stats.sent, stats.failed, stats.blocked, stats.retry_after) == (20, 0, 0, 0)
    received = texts_by_chat(server, range(1, 21))
    assert all(received[c] == ["Ciao a tutti"] for c in range(1, 11))
    assert all(received[c] == ["Hello everyone"] for c in range(11, 21))
    assert server.messages_to(1)[0]["parse_mode"] == "HTML"
    assert await statuses(store, batch) == {"sent": 20}
    assert (await DeliveryEngine(bot, store, pacing=FAST).run()).sent == 0  # nothing left: nothing sent twice


async def test_the_global_rate_is_kept(server, store, bot) -> None:
    server.rate_limit(20, retry_after=5)  # the server answers 429 above 20 per second
    await subscribe(store, range(1, 31))
    await broadcast(store)
    started = time.monotonic()
    stats = await DeliveryEngine(bot, store, pacing=Pacing(per_second=20)).run()
    elapsed = time.monotonic() - started
    assert stats.sent == 30
    assert server.too_many_requests_sent == 0
    assert elapsed >= 29 / 20
    arrivals = [c.at for c in server.calls_to("sendMessage")]
    assert all(later - earlier >= 1.0 for earlier, later in zip(arrivals, arrivals[20:], strict=False))


async def test_one_message_per_second_to_the_same_chat_in_order(server, store, bot) -> None:
    server.rate_limit(None, per_chat_limit=True)  # 429 for a second message to a chat within a second
    await subscribe(store, [1, 2])
    await broadcast(store, {"it": "primo", "en": "first"})
    await broadcast(store, {"it": "secondo", "en": "second"})
    stats = await DeliveryEngine(bot, store, pacing=Pacing(per_second=100)).run()
    assert stats.sent == 4
    assert server.too_many_requests_sent == 0
    assert texts_by_chat(server, [1, 2]) == {1: ["primo", "secondo"], 2: ["primo", "secondo"]}
    to_one = [c.at for c in server.calls_to("sendMessage") if c.params["chat_id"] == 1]
    assert to_one[1] - to_one[0] >= 1.0


async def test_retry_after_pauses_all_sending_for_the_time_asked(server, store, bot) -> None:
    await subscribe(store, range(1, 6))
    await broadcast(store)
    server.fail_next("sendMessage", status=429, retry_after=1)
    stats = await DeliveryEngine(bot, store, pacing=FAST, max_in_flight=1).run()
    assert (stats.sent, stats.retry_after) == (5, 1)
    calls = server.calls_to("sendMessage")
    assert [c.status for c in calls] == [429, 200, 200, 200, 200, 200]
    assert calls[1].at - calls[0].at >= 0.99  # nobody got anything during the pause
    assert calls[1].params["chat_id"] == calls[0].params["chat_id"] == 1  # the refused one first, then in order
    assert all(len(texts) == 1 for texts in texts_by_chat(server, range(1, 6)).values())


async def test_429s_from_a_rate_limited_server_are_honoured_without_duplicates(server, store, bot) -> None:
    server.rate_limit(10, retry_after=1)
    await subscribe(store, range(1, 26))
    batch = await broadcast(store)
    stats = await DeliveryEngine(bot, store, pacing=Pacing(per_second=40)).run()  # too fast for the server
    assert server.too_many_requests_sent >= 1
    assert stats.retry_after == server.too_many_requests_sent
    assert stats.sent == 25
    assert {c: len(t) for c, t in texts_by_chat(server, range(1, 26)).items()} == dict.fromkeys(range(1, 26), 1)
    assert await statuses(store, batch) == {"sent": 25}


async def test_blocked_and_vanished_chats_are_unsubscribed_with_the_reason(server, store, bot) -> None:
    await subscribe(store, [1, 2, 3, 4])
    server.block_chat(2)
    server.missing_chat(3)
    batch = await broadcast(store)
    stats = await DeliveryEngine(bot, store, pacing=FAST).run()
    assert (stats.sent, stats.blocked) == (2, 2)
    assert await statuses(store, batch) == {"sent": 2, "blocked": 2}
    assert [s.chat_id for s in await store.subscribers()] == [1, 4]
    assert (await store.subscription(2)).unsubscribe_reason == "blocked"
    assert (await store.subscription(3)).unsubscribe_reason == "chat not found"

    attempts_before = len(server.calls_to("sendMessage"))
    await store.subscribe(5, "en", NOW)
    second = await broadcast(store)
    assert (await DeliveryEngine(bot, store, pacing=FAST).run()).sent == 3
    assert await statuses(store, second) == {"sent": 3}  # blocked chats are no longer even tried
    assert len(server.calls_to("sendMessage")) == attempts_before + 3


async def test_a_chat_that_unsubscribes_before_its_turn_is_skipped(server, store, bot) -> None:
    await subscribe(store, [1, 2])
    batch = await broadcast(store)
    await store.unsubscribe(2, "user", NOW)
    stats = await DeliveryEngine(bot, store, pacing=FAST).run()
    assert (stats.sent, stats.skipped) == (1, 1)
    assert await statuses(store, batch) == {"sent": 1, "dropped": 1}
    assert server.texts_to(2) == []


async def test_a_message_telegram_refuses_fails_alone(server, store, bot) -> None:
    await subscribe(store, [1, 2])
    await broadcast(store, {"it": "<b>rotto", "en": "<b>broken"})
    batch = await broadcast(store)
    stats = await DeliveryEngine(bot, store, pacing=FAST).run()
    assert (stats.failed, stats.sent) == (2, 2)
    assert await statuses(store, batch) == {"sent": 2}
    assert await store.is_subscribed(1)


async def test_network_errors_are_retried_with_backoff(server, store, bot) -> None:
    await subscribe(store, [1, 2, 3])
    batch = await broadcast(store)
    server.fail_next("sendMessage", status=502, times=2)
    stats = await DeliveryEngine(bot, store, pacing=FAST).run()
    assert (stats.sent, stats.network_retries) == (3, 2)
    assert await statuses(store, batch) == {"sent": 3}
    assert all(len(texts) == 1 for texts in texts_by_chat(server, [1, 2, 3]).values())


async def test_an_unreachable_server_is_waited_for(server, store, bot) -> None:
    await subscribe(store, [1, 2, 3])
    batch = await broadcast(store)
    await server.stop()  # connections refused: the requests certainly did not reach Telegram
    delivery = asyncio.create_task(DeliveryEngine(bot, store, pacing=FAST).run())
    await asyncio.sleep(0.3)
    assert not delivery.done()
    await server.start()
    stats = await asyncio.wait_for(delivery, 5)
    assert stats.sent == 3 and stats.network_retries >= 1
    assert await statuses(store, batch) == {"sent": 3}
    assert all(len(texts) == 1 for texts in texts_by_chat(server, [1, 2, 3]).values())


async def test_a_request_without_answer_is_not_sent_again(server, store, bot) -> None:
    """A read timeout may hide a delivered message: it is recorded as unconfirmed, never repeated."""
    await subscribe(store, [1, 2])
    batch = await broadcast(store)
    server.delay("sendMessage", 1.0)
    stats = await DeliveryEngine(bot, store, pacing=FAST, send_timeout=0.2).run()
    assert stats.unconfirmed == 2
    assert await statuses(store, batch) == {"unconfirmed": 2}
    assert len(server.calls_to("sendMessage")) == 2


async def test_cancelled_mid_broadcast_a_fresh_engine_finishes_exactly_once(server, store, bot) -> None:
    chats = range(1, 61)
    await subscribe(store, chats)
    batch = await broadcast(store)
    server.delay("sendMessage", 0.05)  # so that requests are in flight when the cancellation comes
    first = asyncio.create_task(DeliveryEngine(bot, store, pacing=Pacing(per_second=150), max_in_flight=8).run())
    await server.wait_for(lambda s: sum(len(s.messages_to(c)) for c in chats) >= 20)
    in_flight = sum(1 for c in server.calls_to("sendMessage") if c.status is None)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    counts = await store.batch_counts(batch)
    assert in_flight >= 1  # the cancellation did hit sends in flight, and they were recorded:
    assert (counts.unconfirmed, counts.failed) == (0, 0)
    assert 20 <= counts.sent < 60 and counts.open == 60 - counts.sent

    async with new_bot(server) as restarted:  # a fresh engine, as after a restart
        stats = await DeliveryEngine(restarted, store, pacing=Pacing(per_second=150)).run()
    assert stats.sent == 60 - counts.sent
    assert {c: len(t) for c, t in texts_by_chat(server, chats).items()} == dict.fromkeys(chats, 1)
    assert await statuses(store, batch) == {"sent": 60}


async def test_rows_left_claimed_by_a_dead_run_are_settled_not_resent(server, store, bot) -> None:
    await subscribe(store, [1, 2, 3])
    batch = await broadcast(store)
    [first, *_] = await store.pending_deliveries()
    assert await store.claim_delivery(first.id, "run-that-died", NOW)
    stats = await DeliveryEngine(bot, store, pacing=FAST).run()
    assert (stats.sent, stats.unconfirmed) == (2, 0)
    assert await statuses(store, batch) == {"sent": 2, "unconfirmed": 1}
    assert server.texts_to(first.chat_id) == []


CHILD = """
import asyncio, sys
from telegram import Bot
from telegram.request import HTTPXRequest
from bot.reminders.delivery import DeliveryEngine, Pacing
from bot.storage import Storage

async def main(database, base_url, token):
    async with await Storage.open(database) as storage:
        async with Bot(token, base_url=base_url, request=HTTPXRequest(connection_pool_size=4)) as bot:
            await DeliveryEngine(bot, storage, pacing=Pacing(per_second=100), max_in_flight=1).run()

asyncio.run(main(*sys.argv[1:]))
"""


async def test_a_killed_process_is_finished_by_the_next_without_duplicates(server, tmp_path) -> None:
    """SIGKILL while Telegram holds the 15th message (received, answer not yet read): the restarted engine
    neither repeats it nor loses any other message."""
    database = tmp_path / "crash.sqlite3"
    chats = range(1, 41)
    async with await Storage.open(database) as storage:
        await subscribe(storage, chats)
        batch = await broadcast(storage)

    send_message = server._send_message  # the fake's own sendMessage, wrapped to hold the 15th answer
    received = asyncio.Event()
    hold = asyncio.Event()

    async def holding(params, call):
        message = send_message(params, call)
        if len(server.calls_to("sendMessage")) == 15:
            received.set()
            await hold.wait()
        return message

    server.handle("sendMessage", holding)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(database), server.base_url, server.token],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        await asyncio.wait_for(received.wait(), 30)
        child.send_signal(signal.SIGKILL)
        assert await asyncio.to_thread(child.wait, 10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    hold.set()
    server.handle("sendMessage", send_message)
    assert sum(len(server.messages_to(c)) for c in chats) == 15

    async with await Storage.open(database) as storage:
        before = await storage.batch_counts(batch)
        assert (before.sent, before.open) == (14, 26)  # the 15th is still `sending`: claimed, never confirmed
        async with new_bot(server) as bot:
            stats = await DeliveryEngine(bot, storage, pacing=FAST).run()
        assert stats.sent == 25
        assert await statuses(storage, batch) == {"sent": 39, "unconfirmed": 1}
    assert {c: len(t) for c, t in texts_by_chat(server, chats).items()} == dict.fromkeys(chats, 1)


# -- the ledger's own guarantees ----------------------------------------------------------------------------------


async def test_a_reminder_slot_is_queued_once(store) -> None:
    await subscribe(store, [1, 2])
    first = await store.enqueue_for_subscribers("reminder", TEXTS, NOW, subject="d@2026-06-30", reminder_keys=["k"])
    again = await store.enqueue_for_subscribers("reminder", TEXTS, NOW, subject="d@2026-06-30", reminder_keys=["k"])
    assert first is not None and again is None
    assert await store.reminder_keys() == {"k"}
    assert (await store.batch_counts(first)).open == 2


async def test_deadline_dates_computed_from_stale_data_are_refused(store) -> None:
    june, july = (dt.date(2026, 6, 30), None), (dt.date(2026, 7, 31), None)
    assert await store.record_deadline_dates({}, {"d": june}, [], [], NOW)
    notice = ("d@2026-07-31", TEXTS)
    assert not await store.record_deadline_dates({}, {"d": july}, [notice], [], NOW)  # another run got there first
    assert await store.known_deadline_dates() == {"d": june}
    assert await store.record_deadline_dates({"d": june}, {"d": july}, [notice], ["d@2026-07-31:30"], NOW)
    assert await store.known_deadline_dates() == {"d": july}
    assert "d@2026-07-31:30" in await store.reminder_keys()


async def test_unsent_reminders_about_a_date_no_longer_in_force_are_dropped(store) -> None:
    await subscribe(store, [1])
    old = await store.enqueue_for_subscribers("reminder", TEXTS, NOW, subject="d@2026-06-30", reminder_keys=["a"])
    kept = await store.enqueue_for_subscribers("reminder", TEXTS, NOW, subject="d@2026-07-31", reminder_keys=["b"])
    announcement = await broadcast(store)
    assert await store.drop_stale_reminders({"d@2026-07-31"}, NOW) == 1
    assert await statuses(store, old) == {"dropped": 1}
    assert await statuses(store, kept) == {"open": 1}
    assert await statuses(store, announcement) == {"open": 1}  # announcements are not about a date


async def test_forgetting_a_user_removes_their_ledger_rows(store) -> None:
    await subscribe(store, [1, 2])
    draft = await store.create_broadcast_draft(TEXTS, 1, "it", NOW)
    assert await store.confirm_broadcast(draft, NOW) == 2
    exported = await store.export_user_data(1)
    assert [row["chat_id"] for row in exported["deliveries"]] == [1]
    assert [row["batch_id"] for row in exported["broadcast_reports"]] == [draft]
    await store.forget_user(1)
    assert [d.chat_id for d in await store.pending_deliveries()] == [2]
    assert (await store.broadcast_draft(draft)).chat_id is None  # no report for someone forgotten

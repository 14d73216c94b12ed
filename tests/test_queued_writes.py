"""Queued writes (StorageBase.queue): committed together, soon, in order, bounded, and loudly when they fail.

What is on disk is checked with a plain sqlite3 connection beside the storage's own, as another process would see it.
"""

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.outcome import Outcome
from bot.storage import DatabaseFileGoneError, DatabaseLockedError, Storage, StorageError, UnstorableValueError
from bot.storage import base as storage_base
from tests.test_storage import HOSTILE_TEXTS

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ALICE, BOB = 1001, 2002


def on_disk(path: Path, sql: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def users_on_disk(path: Path) -> list[int]:
    return [row[0] for row in on_disk(path, "SELECT user_id FROM users ORDER BY user_id")]


def log_rows_on_disk(path: Path) -> int:
    return on_disk(path, "SELECT COUNT(*) FROM questions_log")[0][0]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bot.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Storage]:
    storage = await Storage.open(db_path)
    yield storage
    await storage.close()


@pytest.fixture
def locker(db_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process holding the write lock (the storage must have created the file first)."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    yield conn
    conn.close()


async def answered(store: Storage, *, user_id: int = ALICE, now: datetime = T0) -> None:
    await store.log_question(
        soon=True,
        user_id=user_id, text="deadline?", lang="en", outcome=Outcome.ANSWER, entry_id="deadline", score=0.9,
        candidates=[], now=now,
    )  # fmt: skip


async def unanswered(store: Storage, text: str = "bitcoin?", *, user_id: int = ALICE) -> None:
    await store.log_question(
        soon=True,
        user_id=user_id, text=text, lang="en", outcome=Outcome.UNKNOWN, entry_id=None, score=0.1,
        candidates=[("deadline", 0.1)], now=T0,
    )  # fmt: skip


async def test_a_queued_write_is_committed_within_the_queue_delay_and_not_before(store: Storage, db_path: Path) -> None:
    await store.record_visit(ALICE, "it", T0)
    await answered(store)
    assert users_on_disk(db_path) == [] and log_rows_on_disk(db_path) == 0  # queued, not yet committed
    assert store.queued == 2
    await asyncio.sleep(storage_base.QUEUE_SECONDS + 0.5)
    assert users_on_disk(db_path) == [ALICE] and log_rows_on_disk(db_path) == 1
    assert store.queued == 0


@pytest.fixture
def commits(store: Storage, monkeypatch) -> list[int]:
    """How many queued statements each commit of `store` took, in order."""
    counts: list[int] = []
    original = store._commit_queued

    async def counted() -> None:
        if store.queued:
            counts.append(store.queued)
        await original()

    monkeypatch.setattr(store, "_commit_queued", counted)
    return counts


async def test_many_queued_writes_share_one_commit(store: Storage, db_path: Path, commits: list[int]) -> None:
    await asyncio.gather(*(store.record_visit(user, "en", T0) for user in range(50)))
    await asyncio.gather(*(answered(store, user_id=user) for user in range(50)))
    await asyncio.sleep(storage_base.QUEUE_SECONDS + 0.5)
    assert commits == [100]  # one transaction for the hundred writes
    assert len(users_on_disk(db_path)) == 50 and log_rows_on_disk(db_path) == 50


async def test_a_full_batch_is_committed_without_waiting(store: Storage, db_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(storage_base, "QUEUE_SECONDS", 60.0)
    monkeypatch.setattr(storage_base, "QUEUE_BATCH", 10)
    for user in range(10):
        await store.record_visit(user, "en", T0)
    await asyncio.sleep(0.3)
    assert len(users_on_disk(db_path)) == 10


async def test_a_question_kept_for_staff_is_on_disk_when_the_call_returns(store: Storage, db_path: Path) -> None:
    await store.record_visit(ALICE, "it", T0)
    await unanswered(store)
    assert on_disk(db_path, "SELECT text, user_id FROM unanswered") == [("bitcoin?", ALICE)]
    assert users_on_disk(db_path) == [ALICE]  # what was queued before it was committed with it
    assert log_rows_on_disk(db_path) == 1


async def test_a_feedback_vote_is_on_disk_when_the_call_returns_and_shares_the_commit(
    store: Storage, db_path: Path, commits: list[int]
) -> None:
    """The user is thanked after `record_feedback` returns, so the vote must be committed by then; it goes through
    the queue, in one transaction with what was queued before it, and a later vote still replaces an earlier one."""
    await store.record_visit(BOB, "en", T0)
    for vote in (1, -1):
        await store.record_feedback(
            user_id=ALICE, message_key="5:7", entry_id="deadline", question="when?", lang="en", vote=vote, now=T0
        )
    assert on_disk(db_path, "SELECT user_id, message_key, vote FROM feedback") == [(ALICE, "5:7", -1)]
    assert users_on_disk(db_path) == [BOB]  # queued before the first vote, committed with it
    assert commits == [2, 1]


async def test_a_question_kept_for_staff_comes_back_with_its_id(store: Storage, db_path: Path) -> None:
    """The 🔔 button under "I don't know yet" carries the id staff see: each waited question gets its own row's id,
    also when many share one commit; an answered question keeps nothing and gets None."""

    async def kept(text: str) -> int | None:
        return await store.log_question(
            soon=True,
            user_id=ALICE, text=text, lang="en", outcome=Outcome.UNKNOWN, entry_id=None, score=0.1,
            candidates=[], now=T0,
        )  # fmt: skip

    asked = [f"q{i}" for i in range(20)]
    ids = await asyncio.gather(*(kept(text) for text in asked))
    assert dict(on_disk(db_path, "SELECT id, text FROM unanswered")) == dict(zip(ids, asked, strict=True))
    assert await store.log_question(
        soon=True,
        user_id=ALICE, text="deadline?", lang="en", outcome=Outcome.ANSWER, entry_id="deadline", score=0.9,
        candidates=[], now=T0,
    ) is None  # fmt: skip


async def test_concurrent_questions_kept_for_staff_are_committed_together(store: Storage, db_path: Path) -> None:
    await asyncio.gather(*(unanswered(store, f"q{i}", user_id=i) for i in range(30)))
    assert len(on_disk(db_path, "SELECT id FROM unanswered")) == 30


async def test_hostile_texts_are_stored_verbatim_through_the_queue(store: Storage) -> None:
    for text in HOSTILE_TEXTS:
        await unanswered(store, text)
    stored = [q.text for q in await store.unanswered_questions(limit=100)]
    assert sorted(stored) == sorted(HOSTILE_TEXTS)


async def test_every_read_and_write_sees_the_queued_writes_first(store: Storage, db_path: Path) -> None:
    await store.record_visit(ALICE, "it", T0)
    await answered(store)
    assert await store.count_users() == 1  # a read commits what is queued first
    await store.record_visit(BOB, None, T0)
    await store.set_language(BOB, "en", T0 + timedelta(seconds=1))  # so does a write, before its own
    bob = await store.get_user(BOB)
    assert bob is not None and bob.chosen_lang == "en" and bob.first_seen == T0


async def test_forgetting_a_user_also_forgets_what_was_queued_for_them(store: Storage, db_path: Path) -> None:
    await store.record_visit(ALICE, "it", T0)
    await answered(store)
    kept = "INSERT INTO unanswered (user_id, text, lang, asked_at) VALUES (?, ?, ?, ?)"
    row = (ALICE, "mine", "en", "2025-03-01T12:00:00.000000+00:00")
    await store.queue([storage_base.Queued("question kept for staff", kept, row)])  # not waited for: not yet on disk
    assert store.queued == 3
    await store.forget_user(ALICE)
    assert users_on_disk(db_path) == [] and on_disk(db_path, "SELECT * FROM unanswered") == []
    await asyncio.sleep(storage_base.QUEUE_SECONDS + 0.3)
    assert users_on_disk(db_path) == []  # nothing comes back later either


async def test_the_language_choice_is_read_without_committing_the_queue(store: Storage, db_path: Path) -> None:
    await store.set_language(ALICE, "en", T0)
    await store.record_visit(ALICE, "it", T0 + timedelta(minutes=1))
    assert await store.chosen_language(ALICE) == "en"
    assert await store.chosen_language(BOB) is None
    assert store.queued == 1  # the visit is still queued: a read of the language does not pay for its commit


async def test_close_commits_what_is_queued(db_path: Path) -> None:
    store = await Storage.open(db_path)
    await store.record_visit(ALICE, "it", T0)
    await answered(store)
    await store.close()
    assert users_on_disk(db_path) == [ALICE] and log_rows_on_disk(db_path) == 1
    with pytest.raises(StorageError, match="closed"):
        await store.record_visit(BOB, "it", T0)


async def test_the_queue_is_bounded(store: Storage, db_path: Path, locker, monkeypatch) -> None:
    monkeypatch.setattr(storage_base, "QUEUE_LIMIT", 10)
    await store.record_visit(0, "en", T0)
    await store.count_users()  # the file and the schema exist
    locker.execute("BEGIN EXCLUSIVE")  # commits wait for the busy timeout
    writers = [asyncio.create_task(store.record_visit(user, "en", T0)) for user in range(1, 26)]
    longest = 0
    for _ in range(20):
        await asyncio.sleep(0.02)
        longest = max(longest, store.queued)
    assert 0 < longest <= 10
    assert not all(w.done() for w in writers)  # the rest wait for room
    locker.execute("ROLLBACK")
    await asyncio.wait_for(asyncio.gather(*writers), timeout=30)
    await store.commit_queued()
    assert len(users_on_disk(db_path)) == 26


async def test_a_failed_commit_is_logged_loudly_and_raised_to_whoever_waits(
    store: Storage, db_path: Path, locker, caplog: pytest.LogCaptureFixture
) -> None:
    store_fast = await Storage.open(db_path, busy_timeout_ms=50)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        with caplog.at_level(logging.ERROR):
            await answered(store_fast)
            with pytest.raises(DatabaseLockedError):
                await unanswered(store_fast)  # the answered one's commit failed with it
            await store_fast.record_visit(BOB, "it", T0)
            await asyncio.sleep(storage_base.QUEUE_SECONDS + 0.5)
        locker.execute("ROLLBACK")
        lost = [r.getMessage() for r in caplog.records if "DATABASE FAILURE" in r.getMessage()]
        assert len(lost) == 2 and "locked" in lost[0]
        assert "(2 x question statistics, 1 x question kept for staff)" in lost[0] and "(1 x visit)" in lost[1]
        await store_fast.record_visit(ALICE, "en", T0)  # and it recovers
        await store_fast.commit_queued()
        assert users_on_disk(db_path) == [ALICE]
    finally:
        await store_fast.close()


async def test_a_deleted_database_fails_queued_writes_loudly(
    store: Storage, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await store.record_visit(ALICE, "it", T0)
    await store.commit_queued()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    with caplog.at_level(logging.ERROR):
        await answered(store)
        with pytest.raises(DatabaseFileGoneError):
            await unanswered(store)
    assert any("DATABASE FAILURE" in r.getMessage() and "deleted" in r.getMessage() for r in caplog.records)


async def test_an_unstorable_value_is_refused_alone(store: Storage, db_path: Path) -> None:
    await store.record_visit(ALICE, "it", T0)
    with pytest.raises(UnstorableValueError):
        await store.record_visit(2**63, "it", T0)  # only a forged update carries such an id
    await unanswered(store, user_id=BOB)
    assert users_on_disk(db_path) == [ALICE]
    assert on_disk(db_path, "SELECT user_id FROM unanswered") == [(BOB,)]


async def test_a_cancelled_waiter_still_gets_its_question_kept(store: Storage, db_path: Path) -> None:
    task = asyncio.create_task(unanswered(store))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.2)
    assert on_disk(db_path, "SELECT text FROM unanswered") == [("bitcoin?",)]


async def test_values_are_checked_when_queued(store: Storage) -> None:
    with pytest.raises(ValueError, match="outcome"):
        await store.log_question(
            soon=True,
            user_id=ALICE,
            text="x",
            lang="en",
            outcome=Outcome.EMPTY,
            entry_id=None,
            score=0.0,
            candidates=[],
            now=T0,
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.record_visit(ALICE, "it", datetime(2025, 1, 1))
    assert store.queued == 0

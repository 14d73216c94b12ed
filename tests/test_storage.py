"""Storage against real SQLite files: schema, privacy duties, hostile text and failure modes."""

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import aiosqlite
import pytest

from bot.outcome import LOGGED_OUTCOMES, Outcome
from bot.storage import (
    LATEST_VERSION,
    DatabaseLockedError,
    Migration,
    MigrationError,
    ReadOnlyDatabaseError,
    SchemaVersionError,
    Storage,
    StorageError,
    Subscriber,
)
from bot.storage.migrations import migrate, schema_version
from bot.storage.privacy import USER_DATA

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ALICE, BOB = 1001, 2002

# Schema version 1 exactly as the first release created it; frozen here on purpose, so the
# migration test keeps checking upgrades from real old files even if migrations.py changes.
V1_SCHEMA = """
CREATE TABLE users (
    user_id INTEGER PRIMARY KEY, chosen_lang TEXT, telegram_lang TEXT,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL
);
CREATE INDEX users_last_seen ON users (last_seen);
CREATE TABLE questions_log (
    id INTEGER PRIMARY KEY, asked_at TEXT NOT NULL, lang TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('answer', 'suggest', 'unknown')),
    entry_id TEXT, score REAL NOT NULL
);
CREATE INDEX questions_log_asked_at ON questions_log (asked_at);
CREATE TABLE unanswered (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER, text TEXT NOT NULL, lang TEXT NOT NULL,
    asked_at TEXT NOT NULL, candidates TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'ignored'))
);
CREATE INDEX unanswered_asked_at ON unanswered (asked_at);
CREATE INDEX unanswered_user_id ON unanswered (user_id);
PRAGMA user_version = 1;
"""

HOSTILE_TEXTS = [
    "'; DROP TABLE users; --",
    "Robert'); DROP TABLE unanswered;--",
    "before\x00after",
    "\x00",
    "emoji 👍🏽 🇪🇺 👨‍👩‍👧 ❤️",
    "RTL \u202eevil\u202c \u200fمرحبا\u200e שלום",
    "%s %(x)s {0} {} \\ \\x00 \\n",
    "  leading and trailing spaces, \r\n line breaks \t tabs  ",
    "zero\u200bwidth\ufeffBOM",
    "é" * 5000 + "𝔘" * 5001 + "x",  # 10,001 characters, multi-byte and astral
]


def raw(path: Path) -> closing[sqlite3.Connection]:
    """A plain sqlite3 connection, to check what is really on disk."""
    return closing(sqlite3.connect(path))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "folder" / "bot.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Storage]:
    storage = await Storage.open(db_path)
    yield storage
    await storage.close()


async def ask(
    store: Storage,
    *,
    user_id: int | None = ALICE,
    text: str = "When is the deadline?",
    lang: str = "en",
    outcome: str = "unknown",
    entry_id: str | None = None,
    score: float = 0.2,
    candidates: tuple[tuple[str, float], ...] = (),
    now: datetime = T0,
) -> int:
    return await store.log_question(
        user_id=user_id,
        text=text,
        lang=lang,
        outcome=outcome,  # type: ignore[arg-type]
        entry_id=entry_id,
        score=score,
        candidates=candidates,
        now=now,
    )


async def vote(
    store: Storage,
    *,
    user_id: int = ALICE,
    message_key: str = "1001:10",
    entry_id: str | None = "deadline",
    vote: int = -1,
    now: datetime = T0,
) -> None:
    await store.record_feedback(
        user_id=user_id,
        message_key=message_key,
        entry_id=entry_id,
        question="When?",
        lang="en",
        vote=vote,
        now=now,
    )


# --- opening, pragmas, lifecycle -------------------------------------------------------------


async def test_open_creates_folder_and_file_in_wal_mode(db_path: Path) -> None:
    assert not db_path.parent.exists()
    async with await Storage.open(db_path, busy_timeout_ms=1234) as store:
        assert db_path.is_file()
        conn = store._conn  # pragmas are per connection: look at the storage's own
        assert (await (await conn.execute("PRAGMA journal_mode")).fetchone())[0] == "wal"
        assert (await (await conn.execute("PRAGMA foreign_keys")).fetchone())[0] == 1
        assert (await (await conn.execute("PRAGMA busy_timeout")).fetchone())[0] == 1234
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


async def test_open_accepts_str_path(db_path: Path) -> None:
    async with await Storage.open(str(db_path)) as store:
        await store.touch_user(ALICE, "it", T0)
    async with await Storage.open(str(db_path)) as store:
        assert (await store.get_user(ALICE)) is not None


async def test_memory_database_works() -> None:
    async with await Storage.open(":memory:") as store:
        await store.touch_user(ALICE, "en", T0)
        assert await store.count_users() == 1


async def test_close_is_idempotent_and_use_after_close_is_a_storage_error(db_path: Path) -> None:
    store = await Storage.open(db_path)
    await store.close()
    await store.close()
    assert store.closed
    with pytest.raises(StorageError, match="closed"):
        await store.get_user(ALICE)
    with pytest.raises(StorageError, match="closed"):
        await store.touch_user(ALICE, None, T0)


async def test_concurrent_handlers_share_one_connection_safely(store: Storage) -> None:
    await asyncio.gather(
        *(ask(store, user_id=i, text=f"q{i}", now=T0 + timedelta(seconds=i)) for i in range(40)),
        *(store.touch_user(i, "en", T0) for i in range(40)),
    )
    assert len(await store.unanswered_questions()) == 40
    assert await store.count_users() == 40


@pytest.mark.parametrize("steps", range(8))
async def test_cancelled_write_leaves_no_transaction_open(store: Storage, steps: int) -> None:
    """Handlers get cancelled (timeouts, shutdown); whatever the moment, the next write must work."""
    task = asyncio.create_task(ask(store, text="cancelled"))
    for _ in range(steps):
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):  # it may have finished first: also fine
        await task
    await ask(store, text="after")
    texts = [q.text for q in await store.unanswered_questions()]
    assert texts in (["after"], ["after", "cancelled"])


async def test_negative_busy_timeout_is_refused(db_path: Path) -> None:
    with pytest.raises(ValueError):
        await Storage.open(db_path, busy_timeout_ms=-1)


async def test_naive_datetime_is_refused(store: Storage) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.touch_user(ALICE, "en", datetime(2025, 1, 1))


async def test_other_timezones_are_stored_as_utc(store: Storage, db_path: Path) -> None:
    rome = timezone(timedelta(hours=1))
    user = await store.touch_user(ALICE, "it", datetime(2025, 3, 1, 13, 0, tzinfo=rome))
    assert user.first_seen == T0
    assert user.first_seen.utcoffset() == timedelta(0)
    with raw(db_path) as conn:
        stored = conn.execute("SELECT first_seen FROM users").fetchone()[0]
    assert stored == "2025-03-01T12:00:00.000000+00:00"


# --- migrations ---------------------------------------------------------------------------


def make_v1_database(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with raw(path) as conn:
        conn.executescript(V1_SCHEMA)
        conn.execute(
            "INSERT INTO users VALUES (?, 'it', 'en', ?, ?)",
            (ALICE, "2024-01-01T00:00:00+00:00", "2024-01-02T00:00:00+00:00"),
        )
        conn.execute(
            "INSERT INTO unanswered (user_id, text, lang, asked_at) VALUES (?, 'old question', 'it', ?)",
            (ALICE, "2024-01-01T00:00:00+00:00"),
        )
        conn.commit()


def schema_objects(path: Path) -> list[tuple[str, str]]:
    with raw(path) as conn:
        return conn.execute("SELECT type, name FROM sqlite_schema ORDER BY type, name").fetchall()


async def test_v1_database_is_migrated_and_keeps_its_data(db_path: Path) -> None:
    make_v1_database(db_path)
    async with await Storage.open(db_path) as store:
        user = await store.get_user(ALICE)
        assert user is not None and user.chosen_lang == "it"
        assert [q.text for q in await store.unanswered_questions()] == ["old question"]
        # tables added by later migrations are usable
        await vote(store)
        assert await store.subscribe(ALICE, "it", T0)
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    objects = schema_objects(db_path)
    assert ("table", "feedback") in objects and ("table", "subscriptions") in objects

    async with await Storage.open(db_path) as store:  # reopening changes nothing
        assert len(await store.negative_feedback()) == 1
        assert await store.is_subscribed(ALICE)
    assert schema_objects(db_path) == objects
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


async def test_database_newer_than_the_code_is_refused_untouched(db_path: Path) -> None:
    async with await Storage.open(db_path):
        pass
    with raw(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="newer"):
        await Storage.open(db_path)
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION + 1


async def test_failed_migration_is_rolled_back(tmp_path: Path) -> None:
    async def add_row(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO a VALUES (1)")

    migrations = (
        Migration(1, "table a", ("CREATE TABLE a (x INTEGER)", add_row)),
        Migration(2, "broken", ("CREATE TABLE b (x INTEGER)", "THIS IS NOT SQL")),
    )
    path = tmp_path / "m.db"
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(MigrationError, match="migration 2"):
            await migrate(conn, migrations)
        assert await schema_version(conn) == 1
        assert await conn.execute_fetchall("SELECT x FROM a") == [(1,)]
        tables = await conn.execute_fetchall("SELECT name FROM sqlite_schema WHERE type = 'table'")
        assert ("b",) not in tables
        assert await migrate(conn, migrations[:1]) == 1  # idempotent


async def test_migrations_must_be_numbered_in_order(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "m.db", isolation_level=None) as conn:
        with pytest.raises(ValueError, match="in order"):
            await migrate(conn, (Migration(2, "gap", ()),))


async def test_not_a_database_is_a_storage_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError):
        await Storage.open(db_path)


# --- users --------------------------------------------------------------------------------


async def test_touch_user_inserts_then_updates_keeping_first_seen(store: Storage) -> None:
    first = await store.touch_user(ALICE, "it", T0)
    assert (first.user_id, first.chosen_lang, first.telegram_lang) == (ALICE, None, "it")
    assert first.first_seen == first.last_seen == T0

    later = await store.touch_user(ALICE, "en", T0 + timedelta(days=2))
    assert later.first_seen == T0
    assert later.last_seen == T0 + timedelta(days=2)
    assert later.telegram_lang == "en"

    unknown_lang = await store.touch_user(ALICE, None, T0 + timedelta(days=3))
    assert unknown_lang.telegram_lang == "en"  # Telegram sometimes omits it: keep what we knew
    out_of_order = await store.touch_user(ALICE, "en", T0 + timedelta(days=1))
    assert out_of_order.last_seen == T0 + timedelta(days=3)
    assert await store.get_user(ALICE) == out_of_order


async def test_get_user_unknown_is_none(store: Storage) -> None:
    assert await store.get_user(404) is None


async def test_set_language_sets_and_clears(store: Storage) -> None:
    await store.touch_user(ALICE, "en", T0)
    chosen = await store.set_language(ALICE, "it", T0 + timedelta(hours=1))
    assert chosen.chosen_lang == "it" and chosen.telegram_lang == "en"
    assert chosen.first_seen == T0 and chosen.last_seen == T0 + timedelta(hours=1)
    cleared = await store.set_language(ALICE, None, T0 + timedelta(hours=2))
    assert cleared.chosen_lang is None
    assert (await store.get_user(ALICE)) == cleared


async def test_set_language_for_unseen_user_creates_it(store: Storage) -> None:
    user = await store.set_language(BOB, "it", T0)
    assert (user.chosen_lang, user.telegram_lang, user.first_seen) == ("it", None, T0)


# --- questions ----------------------------------------------------------------------------


async def test_answered_question_is_only_logged_without_text_or_user(store: Storage, db_path: Path) -> None:
    log_id = await ask(store, outcome="answer", entry_id="deadline", score=0.93, text="secret text")
    assert await store.unanswered_questions(status=None) == []
    with raw(db_path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(questions_log)")}
        rows = conn.execute("SELECT * FROM questions_log").fetchall()
    assert columns == {"id", "asked_at", "lang", "outcome", "entry_id", "score"}
    assert rows == [(log_id, "2025-03-01T12:00:00.000000+00:00", "en", "answer", "deadline", 0.93)]


@pytest.mark.parametrize("outcome", ["suggest", "unknown"])
async def test_unanswered_question_is_kept_for_staff(store: Storage, db_path: Path, outcome: str) -> None:
    candidates = (("deadline", 0.61), ("budget", 0.4))
    qid = await ask(store, outcome=outcome, entry_id="deadline", score=0.61, candidates=candidates)
    [record] = await store.unanswered_questions()
    assert record.id == qid
    assert (record.user_id, record.text, record.lang) == (ALICE, "When is the deadline?", "en")
    assert record.status == "open"
    assert record.asked_at == T0
    assert record.candidates == candidates
    with raw(db_path) as conn:
        assert conn.execute("SELECT outcome FROM questions_log").fetchall() == [(outcome,)]


@pytest.mark.parametrize("text", HOSTILE_TEXTS, ids=range(len(HOSTILE_TEXTS)))
async def test_hostile_text_is_stored_verbatim(store: Storage, db_path: Path, text: str) -> None:
    await store.touch_user(ALICE, "en", T0)
    qid = await ask(store, text=text, lang=text, candidates=((text, 0.5),))
    await vote(store, message_key=text, entry_id=text)
    [record] = await store.unanswered_questions()
    assert record.id == qid
    assert record.text == text and len(record.text) == len(text)
    assert record.lang == text
    assert record.candidates == ((text, 0.5),)
    [fb] = await store.negative_feedback()
    assert fb.message_key == text and fb.entry_id == text
    assert await store.get_user(ALICE) is not None  # users table survived
    with raw(db_path) as conn:
        assert conn.execute("SELECT text FROM unanswered").fetchone()[0] == text
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    assert {"users", "unanswered", "questions_log", "feedback", "subscriptions"} <= tables


async def test_long_text_is_kept_whole(store: Storage) -> None:
    text = "".join(chr(0x20 + i % 0x5F) for i in range(20_000)) + "\x00end"
    await ask(store, text=text)
    [record] = await store.unanswered_questions()
    assert record.text == text


async def test_lone_surrogates_become_replacement_characters(store: Storage) -> None:
    await ask(store, text="bad \ud800 pair \udfff ok 😀")
    [record] = await store.unanswered_questions()
    assert record.text == "bad \ufffd pair \ufffd ok 😀"


async def test_log_question_rejects_bad_outcome_and_score(store: Storage) -> None:
    with pytest.raises(ValueError, match="outcome"):
        await ask(store, outcome="maybe")
    with pytest.raises(ValueError, match="outcome"):
        await ask(store, outcome=Outcome.EMPTY)  # a message with nothing to read is not a question
    with pytest.raises(ValueError, match="finite"):
        await ask(store, score=float("nan"))


async def test_the_database_accepts_exactly_the_logged_outcomes(store: Storage, db_path: Path) -> None:
    """Migration 1 spells the outcomes in an SQL CHECK; it must stay the same set as bot.outcome's."""
    for outcome in LOGGED_OUTCOMES:
        await ask(store, outcome=outcome, entry_id="deadline" if outcome == Outcome.ANSWER else None)
    with raw(db_path) as conn:
        assert {row[0] for row in conn.execute("SELECT outcome FROM questions_log")} == set(LOGGED_OUTCOMES)
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute("INSERT INTO questions_log (asked_at, lang, outcome, score) VALUES ('x', 'it', 'empty', 0)")


async def test_unanswered_questions_filters_and_order(store: Storage) -> None:
    ids = [await ask(store, text=f"q{i}", now=T0 + timedelta(hours=i)) for i in range(5)]
    assert [q.text for q in await store.unanswered_questions()] == ["q4", "q3", "q2", "q1", "q0"]
    assert [q.text for q in await store.unanswered_questions(limit=2)] == ["q4", "q3"]
    since = await store.unanswered_questions(since=T0 + timedelta(hours=3))
    assert [q.text for q in since] == ["q4", "q3"]

    assert await store.set_unanswered_status([ids[0], ids[1], 999_999], "resolved") == 2
    assert await store.set_unanswered_status([ids[2]], "ignored") == 1
    assert await store.set_unanswered_status([], "ignored") == 0
    assert [q.text for q in await store.unanswered_questions()] == ["q4", "q3"]
    assert [q.text for q in await store.unanswered_questions(status="resolved")] == ["q1", "q0"]
    assert [q.status for q in await store.unanswered_questions(status=None)] == [
        "open",
        "open",
        "ignored",
        "resolved",
        "resolved",
    ]
    await store.set_unanswered_status([ids[0]], "open")
    assert [q.text for q in await store.unanswered_questions()] == ["q4", "q3", "q0"]


async def test_set_unanswered_status_rejects_unknown_status(store: Storage) -> None:
    with pytest.raises(ValueError, match="status"):
        await store.set_unanswered_status([1], "deleted")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="status"):
        await store.unanswered_questions(status="deleted")  # type: ignore[arg-type]


async def test_unanswered_ids_are_never_reused(store: Storage) -> None:
    """Staff act on ids; after forget_user a new question must not take a deleted one's id."""
    first = await ask(store, user_id=BOB)
    await store.forget_user(BOB)
    assert await ask(store, user_id=ALICE) > first


# --- feedback -----------------------------------------------------------------------------


async def test_new_vote_replaces_the_old_one(store: Storage, db_path: Path) -> None:
    await vote(store, vote=1, now=T0)
    await vote(store, vote=-1, now=T0 + timedelta(minutes=1))
    [record] = await store.negative_feedback()
    assert (record.user_id, record.message_key, record.vote) == (ALICE, "1001:10", -1)
    assert record.voted_at == T0 + timedelta(minutes=1)
    await vote(store, vote=1, now=T0 + timedelta(minutes=2))
    assert await store.negative_feedback() == []
    assert await store.feedback_by_entry() == {"deadline": (1, 0)}
    with raw(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 1


async def test_votes_of_different_users_or_messages_are_separate(store: Storage) -> None:
    await vote(store, user_id=ALICE, message_key="1001:10", vote=1)
    await vote(store, user_id=BOB, message_key="1001:10", vote=-1)
    await vote(store, user_id=ALICE, message_key="1001:11", vote=-1)
    await vote(store, user_id=ALICE, message_key="1001:12", entry_id="budget", vote=-1)
    await vote(store, user_id=ALICE, message_key="1001:13", entry_id=None, vote=-1)
    assert await store.feedback_by_entry() == {"budget": (0, 1), "deadline": (1, 2)}


async def test_negative_feedback_order_since_and_limit(store: Storage) -> None:
    for i in range(4):
        await vote(store, message_key=f"m{i}", vote=-1, now=T0 + timedelta(days=i))
    await vote(store, message_key="up", vote=1, now=T0 + timedelta(days=9))
    assert [f.message_key for f in await store.negative_feedback()] == ["m3", "m2", "m1", "m0"]
    assert [f.message_key for f in await store.negative_feedback(limit=1)] == ["m3"]
    recent = await store.negative_feedback(since=T0 + timedelta(days=2))
    assert [f.message_key for f in recent] == ["m3", "m2"]
    assert await store.feedback_by_entry(since=T0 + timedelta(days=3)) == {"deadline": (1, 1)}


async def test_invalid_vote_is_refused(store: Storage) -> None:
    with pytest.raises(ValueError, match="vote"):
        await vote(store, vote=0)


# --- statistics ---------------------------------------------------------------------------


async def test_question_stats_counts_the_window(store: Storage) -> None:
    before, until = T0 - timedelta(seconds=1), T0 + timedelta(days=7)
    await ask(store, outcome="answer", entry_id="deadline", now=before)  # outside: too early
    await ask(store, outcome="answer", entry_id="deadline", now=until)  # outside: until is exclusive
    for _ in range(3):
        await ask(store, outcome="answer", entry_id="deadline", lang="it", now=T0)  # since is inclusive
    await ask(store, outcome="answer", entry_id="budget", lang="en", now=T0 + timedelta(days=1))
    await ask(store, outcome="answer", entry_id="budget", lang="it", now=T0 + timedelta(days=1))
    await ask(store, outcome="answer", entry_id="partners", lang="en", now=T0 + timedelta(days=1))
    await ask(store, outcome="suggest", entry_id="deadline", lang="it", now=T0 + timedelta(days=2))
    await ask(store, outcome="unknown", lang="en", now=T0 + timedelta(days=3))

    stats = await store.question_stats(T0, until)
    assert (stats.since, stats.until) == (T0, until)
    assert stats.total == 8
    assert stats.by_outcome == {"answer": 6, "suggest": 1, "unknown": 1}
    assert stats.by_lang == {
        "en": {"answer": 2, "suggest": 0, "unknown": 1},
        "it": {"answer": 4, "suggest": 1, "unknown": 0},
    }
    assert stats.top_entries == (("deadline", 3), ("budget", 2), ("partners", 1))
    assert (await store.question_stats(T0, until, top=1)).top_entries == (("deadline", 3),)


async def test_question_stats_empty_window(store: Storage) -> None:
    stats = await store.question_stats(T0, T0 + timedelta(days=1))
    assert stats.total == 0
    assert stats.by_outcome == {"answer": 0, "suggest": 0, "unknown": 0}
    assert stats.by_lang == {} and stats.top_entries == ()


async def test_count_users_and_subscribers(store: Storage) -> None:
    assert await store.count_users() == 0
    await store.touch_user(ALICE, "en", T0)
    await store.touch_user(BOB, "it", T0 + timedelta(days=10))
    assert await store.count_users() == 2
    assert await store.count_users(active_since=T0 + timedelta(days=1)) == 1
    assert await store.count_users(active_since=T0 + timedelta(days=10)) == 1  # inclusive
    assert await store.count_subscribers() == 0
    await store.subscribe(ALICE, "en", T0)
    await store.subscribe(BOB, "it", T0)
    await store.unsubscribe(BOB, "user", T0)
    assert await store.count_subscribers() == 1


# --- subscriptions ------------------------------------------------------------------------


async def test_subscribe_unsubscribe_cycle(store: Storage) -> None:
    assert not await store.is_subscribed(ALICE)
    assert await store.subscribe(ALICE, "it", T0) is True
    assert await store.subscribe(ALICE, "en", T0 + timedelta(days=1)) is False  # already: only the lang
    assert await store.subscribers() == [Subscriber(ALICE, "en", T0)]
    assert await store.is_subscribed(ALICE)

    assert await store.unsubscribe(ALICE, "blocked", T0 + timedelta(days=2)) is True
    assert await store.unsubscribe(ALICE, "user", T0 + timedelta(days=3)) is False
    assert not await store.is_subscribed(ALICE)
    assert await store.subscribers() == []
    stopped = await store.subscription(ALICE)
    assert stopped is not None and not stopped.active
    assert (stopped.unsubscribed_at, stopped.unsubscribe_reason) == (T0 + timedelta(days=2), "blocked")
    assert await store.unsubscriptions() == [stopped]
    assert await store.unsubscriptions(since=T0 + timedelta(days=3)) == []

    assert await store.subscribe(ALICE, "it", T0 + timedelta(days=4)) is True
    again = await store.subscription(ALICE)
    assert again is not None and again.active and again.unsubscribe_reason is None
    assert await store.subscribers() == [Subscriber(ALICE, "it", T0 + timedelta(days=4))]


async def test_unsubscribe_unknown_chat_is_false(store: Storage) -> None:
    assert await store.unsubscribe(404, "user", T0) is False
    assert await store.subscription(404) is None


async def test_subscribers_are_listed_oldest_first(store: Storage) -> None:
    await store.subscribe(BOB, "it", T0 + timedelta(hours=1))
    await store.subscribe(-100123, "en", T0)  # a group chat
    assert [s.chat_id for s in await store.subscribers()] == [-100123, BOB]


async def test_set_subscriber_lang_only_for_active_subscriptions(store: Storage) -> None:
    await store.subscribe(ALICE, "it", T0)
    assert await store.set_subscriber_lang(ALICE, "en") is True
    assert (await store.subscribers())[0].lang == "en"
    await store.unsubscribe(ALICE, "user", T0)
    assert await store.set_subscriber_lang(ALICE, "it") is False
    assert await store.set_subscriber_lang(404, "it") is False


async def test_purge_unsubscribed_older_than(store: Storage) -> None:
    await store.subscribe(ALICE, "it", T0)
    await store.subscribe(BOB, "it", T0)
    await store.subscribe(3003, "it", T0)
    await store.unsubscribe(ALICE, "blocked", T0 + timedelta(days=1))
    await store.unsubscribe(BOB, "user", T0 + timedelta(days=5))
    assert await store.purge_unsubscribed_older_than(T0 + timedelta(days=2)) == 1
    assert await store.subscription(ALICE) is None
    assert await store.subscription(BOB) is not None
    assert await store.is_subscribed(3003)


# --- privacy ------------------------------------------------------------------------------


async def fill_two_users(store: Storage) -> None:
    for user, lang in ((ALICE, "it"), (BOB, "en")):
        await store.touch_user(user, lang, T0)
        await store.set_language(user, lang, T0)
        await ask(store, user_id=user, text=f"question of {user}", candidates=(("deadline", 0.5),))
        await ask(store, user_id=user, outcome="answer", entry_id="deadline")
        await vote(store, user_id=user, message_key=f"{user}:1")
        await store.subscribe(user, lang, T0)


async def test_export_user_data_has_everything_about_the_user_only(store: Storage) -> None:
    await fill_two_users(store)
    await store.unsubscribe(ALICE, "user", T0 + timedelta(days=1))
    data = await store.export_user_data(ALICE)
    json.dumps(data)  # must be JSON-ready for sending to the user
    assert data["user_id"] == ALICE
    [user] = data["user"]
    assert (user["user_id"], user["chosen_lang"], user["telegram_lang"]) == (ALICE, "it", "it")
    assert [q["text"] for q in data["unanswered_questions"]] == [f"question of {ALICE}"]
    assert [f["message_key"] for f in data["feedback"]] == [f"{ALICE}:1"]
    [sub] = data["subscription"]
    assert (sub["chat_id"], sub["unsubscribe_reason"]) == (ALICE, "user")
    assert str(BOB) not in json.dumps(data)


async def test_export_of_unknown_user_is_empty(store: Storage) -> None:
    data = await store.export_user_data(404)
    assert data == {
        "user_id": 404,
        "user": [],
        "unanswered_questions": [],
        "feedback": [],
        "subscription": [],
        "deliveries": [],
        "broadcast_reports": [],
        "answer_requests": [],
        "knowledge_changes": [],
        "staff_drafts": [],
    }


async def test_forget_user_removes_everything_tied_to_the_user(store: Storage, db_path: Path) -> None:
    await fill_two_users(store)
    assert await store.forget_user(ALICE) == 4  # user, unanswered question, vote, subscription
    assert await store.get_user(ALICE) is None
    assert not await store.is_subscribed(ALICE)
    empty = await store.export_user_data(ALICE)
    assert all(empty[where.export_key] == [] for where in USER_DATA)
    with raw(db_path) as conn:
        for where in USER_DATA:
            sql = f"SELECT COUNT(*) FROM {where.table} WHERE {where.column} = ?"
            assert conn.execute(sql, (ALICE,)).fetchone()[0] == 0
        for table in ("unanswered", "feedback", "users", "subscriptions"):
            dump = " ".join(map(str, conn.execute(f"SELECT * FROM {table}").fetchall()))
            assert str(ALICE) not in dump
        assert conn.execute("SELECT COUNT(*) FROM questions_log").fetchone()[0] == 4  # anonymous stats stay
    assert await store.get_user(BOB) is not None
    assert len(await store.unanswered_questions()) == 1
    assert await store.forget_user(ALICE) == 0


async def test_forget_list_covers_every_user_column_in_the_schema(store: Storage, db_path: Path) -> None:
    """A future table with user_id/chat_id must be added to privacy.USER_DATA."""
    with raw(db_path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        user_columns = {
            (table, column[1])
            for table in tables
            for column in conn.execute(f"PRAGMA table_info({table})")
            if column[1] in ("user_id", "chat_id")
        }
    assert user_columns == {(where.table, where.column) for where in USER_DATA}


async def test_anonymise_cuts_the_user_link_on_old_rows(store: Storage) -> None:
    await ask(store, user_id=ALICE, text="old", now=T0)
    await ask(store, user_id=ALICE, text="new", now=T0 + timedelta(days=40))
    await ask(store, user_id=None, text="anonymous already", now=T0)
    await vote(store, message_key="old", now=T0)
    await vote(store, message_key="new", now=T0 + timedelta(days=40))

    assert await store.anonymise_unanswered_older_than(T0 + timedelta(days=30)) == 2
    by_text = {q.text: q.user_id for q in await store.unanswered_questions()}
    assert by_text == {"old": None, "new": ALICE, "anonymous already": None}
    by_key = {f.message_key: f.user_id for f in await store.negative_feedback()}
    assert by_key == {"old": None, "new": ALICE}
    assert await store.anonymise_unanswered_older_than(T0 + timedelta(days=30)) == 0

    await store.forget_user(ALICE)  # anonymised rows are no longer the user's
    assert [q.text for q in await store.unanswered_questions()] == ["anonymous already", "old"]


# --- failure behaviour --------------------------------------------------------------------


async def test_read_only_database_reads_but_writes_raise_storage_error(db_path: Path) -> None:
    async with await Storage.open(db_path) as store:
        await store.touch_user(ALICE, "it", T0)
        await ask(store)
    db_path.chmod(0o444)  # root ignores this, hence read_only=True (a mode=ro URI)
    before = db_path.read_bytes()
    async with await Storage.open(db_path, read_only=True) as store:
        assert (await store.get_user(ALICE)) is not None
        assert len(await store.unanswered_questions()) == 1
        writes = [
            store.touch_user(ALICE, "en", T0),
            store.set_language(ALICE, "en", T0),
            ask(store),
            vote(store),
            store.subscribe(ALICE, "it", T0),
            store.forget_user(ALICE),
            store.anonymise_unanswered_older_than(T0 + timedelta(days=1)),
        ]
        for write in writes:
            with pytest.raises(ReadOnlyDatabaseError) as caught:
                await write
            assert isinstance(caught.value, StorageError)
            assert isinstance(caught.value.__cause__, sqlite3.Error)  # kept for the log
        assert (await store.get_user(ALICE)) is not None  # still usable after the failures
    assert db_path.read_bytes() == before


async def test_read_only_open_of_an_old_schema_is_refused(db_path: Path) -> None:
    make_v1_database(db_path)
    with pytest.raises(SchemaVersionError, match="read-write"):
        await Storage.open(db_path, read_only=True)


async def test_read_only_open_of_a_missing_file_is_a_storage_error(db_path: Path) -> None:
    with pytest.raises(StorageError):
        await Storage.open(db_path, read_only=True)
    assert not db_path.exists()


@pytest.fixture
def locker(db_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process holding the write lock."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    yield conn
    conn.close()


async def test_locked_database_raises_storage_error_quickly(db_path: Path, locker: sqlite3.Connection) -> None:
    async with await Storage.open(db_path, busy_timeout_ms=50) as store:
        await store.touch_user(ALICE, "it", T0)
        locker.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(DatabaseLockedError, match="locked") as caught:
            await store.touch_user(ALICE, "en", T0)
        assert time.monotonic() - started < 2
        assert isinstance(caught.value, StorageError)
        with pytest.raises(DatabaseLockedError):
            await ask(store)
        assert (await store.get_user(ALICE)) is not None  # WAL: reads still work
        locker.execute("ROLLBACK")
        await store.touch_user(ALICE, "en", T0)  # recovers once the lock is gone
        assert (await store.get_user(ALICE)).telegram_lang == "en"  # type: ignore[union-attr]


async def test_locked_database_during_first_open_raises_storage_error(
    db_path: Path, locker: sqlite3.Connection
) -> None:
    locker.execute("CREATE TABLE placeholder (x)")  # rollback-journal file, not migrated yet
    locker.execute("BEGIN EXCLUSIVE")
    with pytest.raises(StorageError, match="locked"):
        await Storage.open(db_path, busy_timeout_ms=50)

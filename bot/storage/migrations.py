"""The schema history: append a Migration to change the schema, never edit a released one.

Each migration runs in its own write transaction and bumps PRAGMA user_version inside it, so a
failure leaves the file at its previous version. Notes for future migrations:
- `PRAGMA foreign_keys` cannot change inside a transaction; rebuild tables with the documented
  12-step procedure instead: mark the migration `rebuilds_tables`, and `_apply` turns foreign keys off around
  its transaction and runs `PRAGMA foreign_key_check` before committing.
- A new table that stores a user id or chat id must also be listed in privacy.USER_DATA.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.storage.errors import MigrationError, SchemaVersionError, translated
from bot.storage.sqlutil import rollback_quietly

Step = str | Callable[[aiosqlite.Connection], Awaitable[None]]


@dataclass(frozen=True)
class Migration:
    """Brings the schema from version - 1 to version; steps are SQL statements or async functions."""

    version: int
    description: str
    steps: tuple[Step, ...]
    rebuilds_tables: bool = False  # recreates a table other tables refer to (SQLite's 12-step procedure)


async def _carry_sequence(conn: aiosqlite.Connection) -> None:
    """A rebuilt AUTOINCREMENT table keeps its counter, so that ids are never reused."""
    await conn.execute("DELETE FROM sqlite_sequence WHERE name = 'delivery_batches_new'")
    await conn.execute(
        """INSERT INTO sqlite_sequence (name, seq)
        SELECT 'delivery_batches_new', seq FROM sqlite_sequence WHERE name = 'delivery_batches'"""
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "users, anonymous question log, unanswered questions",
        (
            """CREATE TABLE users (
                user_id       INTEGER PRIMARY KEY,
                chosen_lang   TEXT,
                telegram_lang TEXT,
                first_seen    TEXT NOT NULL,
                last_seen     TEXT NOT NULL
            )""",
            "CREATE INDEX users_last_seen ON users (last_seen)",
            # No text and no user id: this table is for statistics only.
            """CREATE TABLE questions_log (
                id       INTEGER PRIMARY KEY,
                asked_at TEXT NOT NULL,
                lang     TEXT NOT NULL,
                outcome  TEXT NOT NULL CHECK (outcome IN ('answer', 'suggest', 'unknown')),
                entry_id TEXT,
                score    REAL NOT NULL
            )""",
            "CREATE INDEX questions_log_asked_at ON questions_log (asked_at)",
            # AUTOINCREMENT: staff act on ids, so an id must never be reused after forget_user.
            """CREATE TABLE unanswered (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id    INTEGER,
                text       TEXT NOT NULL,
                lang       TEXT NOT NULL,
                asked_at   TEXT NOT NULL,
                candidates TEXT NOT NULL DEFAULT '[]',
                status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'ignored'))
            )""",
            "CREATE INDEX unanswered_asked_at ON unanswered (asked_at)",
            "CREATE INDEX unanswered_user_id ON unanswered (user_id)",
        ),
    ),
    Migration(
        2,
        "feedback votes and reminder subscriptions",
        (
            """CREATE TABLE feedback (
                id          INTEGER PRIMARY KEY,
                user_id     INTEGER,
                message_key TEXT NOT NULL,
                entry_id    TEXT,
                question    TEXT,
                lang        TEXT NOT NULL,
                vote        INTEGER NOT NULL CHECK (vote IN (-1, 1)),
                voted_at    TEXT NOT NULL,
                UNIQUE (user_id, message_key)
            )""",
            "CREATE INDEX feedback_voted_at ON feedback (voted_at)",
            "CREATE INDEX feedback_entry_id ON feedback (entry_id)",
            """CREATE TABLE subscriptions (
                chat_id            INTEGER PRIMARY KEY,
                lang               TEXT NOT NULL,
                subscribed_at      TEXT NOT NULL,
                unsubscribed_at    TEXT,
                unsubscribe_reason TEXT,
                CHECK ((unsubscribed_at IS NULL) = (unsubscribe_reason IS NULL))
            )""",
        ),
    ),
    Migration(
        3,
        "delivery ledger for reminders and announcements, reminder keys, last known deadline dates",
        (
            # One message to many chats; texts is a JSON object {lang: HTML}. A broadcast waits as a draft
            # until staff confirm it.
            """CREATE TABLE delivery_batches (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                kind       TEXT NOT NULL CHECK (kind IN ('reminder', 'change', 'broadcast', 'report')),
                subject    TEXT,
                texts      TEXT NOT NULL,
                state      TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('draft', 'queued', 'cancelled')),
                created_at TEXT NOT NULL
            )""",
            # One row per recipient: the ledger that makes delivery exactly-once (see bot/reminders/delivery.py).
            """CREATE TABLE deliveries (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                batch_id   INTEGER NOT NULL REFERENCES delivery_batches (id),
                chat_id    INTEGER NOT NULL,
                lang       TEXT NOT NULL,
                status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                    ('pending', 'sending', 'sent', 'unconfirmed', 'blocked', 'failed', 'dropped')),
                attempts   INTEGER NOT NULL DEFAULT 0,
                claimed_by TEXT,
                updated_at TEXT NOT NULL,
                message_id INTEGER,
                error      TEXT,
                UNIQUE (batch_id, chat_id)
            )""",
            "CREATE INDEX deliveries_status ON deliveries (status, id)",
            "CREATE INDEX deliveries_chat_id ON deliveries (chat_id)",
            # Who asked for a broadcast gets its report; a separate table so forgetting them keeps the ledger.
            """CREATE TABLE delivery_reports (
                batch_id        INTEGER PRIMARY KEY REFERENCES delivery_batches (id),
                chat_id         INTEGER NOT NULL,
                lang            TEXT NOT NULL,
                report_batch_id INTEGER REFERENCES delivery_batches (id)
            )""",
            # Reminder slots already queued (or covered by a change notice): never queued twice.
            """CREATE TABLE reminder_keys (
                key         TEXT PRIMARY KEY,
                batch_id    INTEGER REFERENCES delivery_batches (id),
                recorded_at TEXT NOT NULL
            )""",
            # The date each deadline had when last seen, to notice that it moved.
            """CREATE TABLE deadline_dates (
                lineage TEXT PRIMARY KEY,
                day     TEXT NOT NULL,
                time    TEXT,
                seen_at TEXT NOT NULL
            )""",
        ),
    ),
    Migration(
        4,
        "the last knowledge base served, and deadline changes that wait for staff",
        (
            # The files of the last valid knowledge base, so that a bad edit made while the bot was stopped does
            # not stop it from starting: it serves this version and tells staff. One row.
            """CREATE TABLE knowledge_snapshot (
                id       INTEGER PRIMARY KEY CHECK (id = 1),
                digest   TEXT NOT NULL,
                files    TEXT NOT NULL,
                saved_at TEXT NOT NULL
            )""",
            # A change notice waits as a draft batch until staff press Send: which deadline moved from when (to word
            # it again with the countdown of the moment it is sent), and whether staff were shown it.
            """CREATE TABLE change_drafts (
                batch_id      INTEGER PRIMARY KEY REFERENCES delivery_batches (id),
                lineage       TEXT NOT NULL,
                previous_day  TEXT NOT NULL,
                previous_time TEXT,
                previewed_at  TEXT
            )""",
        ),
    ),
    Migration(
        5,
        "staff answer from Telegram: requests to be told of an answer, knowledge-base changes with undo, "
        "staff drafts and bookkeeping; answer notices and staff digests in the delivery ledger",
        (
            # delivery_batches gains two kinds: a CHECK constraint changes only by rebuilding the table.
            """CREATE TABLE delivery_batches_new (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                kind       TEXT NOT NULL
                    CHECK (kind IN ('reminder', 'change', 'broadcast', 'report', 'answer', 'digest')),
                subject    TEXT,
                texts      TEXT NOT NULL,
                state      TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('draft', 'queued', 'cancelled')),
                created_at TEXT NOT NULL
            )""",
            "INSERT INTO delivery_batches_new SELECT id, kind, subject, texts, state, created_at FROM delivery_batches",
            _carry_sequence,
            "DROP TABLE delivery_batches",
            "ALTER TABLE delivery_batches_new RENAME TO delivery_batches",
            # "Tell me when there is an answer": one row per user and question, deleted once the answer is queued.
            """CREATE TABLE answer_requests (
                id            INTEGER PRIMARY KEY,
                user_id       INTEGER NOT NULL,
                unanswered_id INTEGER NOT NULL REFERENCES unanswered (id) ON DELETE CASCADE,
                lang          TEXT NOT NULL,
                requested_at  TEXT NOT NULL,
                UNIQUE (unanswered_id, user_id)
            )""",
            "CREATE INDEX answer_requests_user_id ON answer_requests (user_id)",
            "CREATE INDEX answer_requests_requested_at ON answer_requests (requested_at)",
            # Every change staff make to the knowledge files from Telegram or a workbook: who, when, what, and the
            # files before and after (a JSON list of [name, before, after]) so that it can be undone.
            """CREATE TABLE knowledge_changes (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id    INTEGER,
                kind       TEXT NOT NULL CHECK (kind IN ('phrasing', 'entry', 'workbook', 'undo')),
                summary    TEXT NOT NULL,
                files      TEXT NOT NULL,
                effects    TEXT NOT NULL DEFAULT '{}',
                state      TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'applied', 'cancelled', 'undone')),
                created_at TEXT NOT NULL,
                applied_at TEXT,
                undone_at  TEXT,
                undoes     INTEGER REFERENCES knowledge_changes (id) ON DELETE SET NULL
            )""",
            "CREATE INDEX knowledge_changes_state ON knowledge_changes (state, id)",
            "CREATE INDEX knowledge_changes_user_id ON knowledge_changes (user_id)",
            # A staff member's answer being written (the steps of the ✍️ dialogue), one at a time.
            """CREATE TABLE staff_drafts (
                user_id    INTEGER PRIMARY KEY,
                data       TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            # Small facts the staff notes remember across restarts (when the last digest went out...).
            """CREATE TABLE staff_state (
                key   TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )""",
        ),
        rebuilds_tables=True,
    ),
)


LATEST_VERSION = MIGRATIONS[-1].version


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Apply the missing migrations in order and return the resulting version.

    The version is re-read under the write lock, so two processes opening the same file at once
    do not both apply the same migration.
    """
    latest = _latest(migrations)
    with translated("cannot read the schema version"):
        current = await schema_version(conn)
    _refuse_newer(current, latest)
    for migration in migrations:
        if migration.version <= current:
            continue
        current = await _apply(conn, migration)
        _refuse_newer(current, latest)
    return current


async def check_version(conn: aiosqlite.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """For read-only opens, which cannot migrate: the file must already be at the code's version."""
    latest = _latest(migrations)
    with translated("cannot read the schema version"):
        current = await schema_version(conn)
    _refuse_newer(current, latest)
    if current < latest:
        raise SchemaVersionError(
            f"database schema is version {current} but the code needs {latest}; open it once read-write to migrate it"
        )
    return current


async def _apply(conn: aiosqlite.Connection, migration: Migration) -> int:
    label = f"migration {migration.version} ({migration.description})"
    if not migration.rebuilds_tables:
        return await _apply_steps(conn, migration, label)
    with translated(f"{label}: cannot turn foreign keys off"):
        await conn.execute("PRAGMA foreign_keys = OFF")
    try:
        return await _apply_steps(conn, migration, label)
    finally:
        with translated(f"{label}: cannot turn foreign keys back on"):
            await conn.execute("PRAGMA foreign_keys = ON")


async def _apply_steps(conn: aiosqlite.Connection, migration: Migration, label: str) -> int:
    try:
        with translated(f"{label}: cannot start a write transaction"):
            await conn.execute("BEGIN IMMEDIATE")  # in the try: if we are cancelled, it still runs
        current = await schema_version(conn)
        if current < migration.version:
            for step in migration.steps:
                if isinstance(step, str):
                    await conn.execute(step)
                else:
                    await step(conn)
            if migration.rebuilds_tables:
                async with conn.execute("PRAGMA foreign_key_check") as cursor:
                    broken = list(await cursor.fetchall())
                if broken:
                    raise MigrationError(f"{label} would break {len(broken)} reference(s); rolled back")
            # int() keeps this safe: PRAGMA takes no bound parameters.
            await conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            current = migration.version
        await conn.execute("COMMIT")
    except BaseException as exc:
        await rollback_quietly(conn)
        if isinstance(exc, aiosqlite.Error):
            raise MigrationError(f"{label} failed and was rolled back: {exc}") from exc
        raise
    return current


def _latest(migrations: Sequence[Migration]) -> int:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migration versions must be 1, 2, 3, ... in order; got {versions}")
    return versions[-1] if versions else 0


def _refuse_newer(current: int, latest: int) -> None:
    if current > latest:
        raise SchemaVersionError(
            f"database schema is version {current} but this code only knows up to {latest}; "
            "it was written by a newer release: upgrade the bot instead of downgrading the file"
        )

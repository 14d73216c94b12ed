"""Opening the SQLite file: the pragmas the bot relies on, then migrations (or a version check)."""

import logging
import os
import sqlite3
from pathlib import Path

import aiosqlite

from bot.storage.errors import StorageError, translated
from bot.storage.migrations import check_version, migrate

DEFAULT_BUSY_TIMEOUT_MS = 5_000
MEMORY = ":memory:"

log = logging.getLogger(__name__)


async def connect(
    path: str | os.PathLike[str],
    *,
    read_only: bool = False,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
) -> aiosqlite.Connection:
    """Open (creating folder and file on first run), configure and migrate; errors are StorageError.

    The connection runs in autocommit mode: the storage issues BEGIN IMMEDIATE / COMMIT itself, so
    a write waits for the lock up front (busy_timeout) instead of failing half-way.
    """
    if busy_timeout_ms < 0:
        raise ValueError(f"busy_timeout_ms must be >= 0, got {busy_timeout_ms}")
    name = os.fspath(path)
    database, uri = _database(name, read_only)
    with translated(f"cannot open database {name}"):
        conn = await aiosqlite.connect(database, uri=uri, timeout=busy_timeout_ms / 1000, isolation_level=None)
    try:
        with translated(f"cannot configure database {name}"):
            await _configure(conn, name, read_only, busy_timeout_ms)
        if read_only:
            await check_version(conn)
        else:
            await migrate(conn)
    except BaseException:
        await conn.close()
        raise
    conn.row_factory = sqlite3.Row
    return conn


def _database(name: str, read_only: bool) -> tuple[str, bool]:
    """Return (database, uri); read-only goes through a mode=ro URI because root ignores chmod."""
    if name == MEMORY:
        return name, False
    file = Path(name)
    if read_only:
        return f"{file.resolve().as_uri()}?mode=ro", True
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the folder for database {name}: {exc}") from exc
    return name, False


async def _configure(conn: aiosqlite.Connection, name: str, read_only: bool, busy_timeout_ms: int) -> None:
    # int(): PRAGMA takes no bound parameters.
    await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    await conn.execute("PRAGMA foreign_keys = ON")
    if read_only:
        await conn.execute("PRAGMA query_only = ON")
        return
    # WAL lets the staff's read-only tools read while the bot writes.
    async with conn.execute("PRAGMA journal_mode = WAL") as cursor:
        row = await cursor.fetchone()
    mode = str(row[0]).lower() if row else "?"
    if mode != "wal" and name != MEMORY:
        log.warning("database %s stays in journal_mode=%s: WAL is not supported here", name, mode)
    # With WAL, NORMAL syncs at checkpoints instead of every commit: a crash of the bot loses nothing, a power
    # cut at most the last moments, and each question's write no longer waits for the disk.
    await conn.execute("PRAGMA synchronous = NORMAL")

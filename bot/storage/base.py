"""What every part of Storage shares: one connection, one lock, and whole units of work."""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Self

import aiosqlite

from bot.storage.connection import DEFAULT_BUSY_TIMEOUT_MS, MEMORY, connect
from bot.storage.errors import DatabaseFileGoneError, StorageError, translated
from bot.storage.sqlutil import rollback_quietly


class StorageBase:
    """Owns the connection. The lock matters because handlers run concurrently on ONE connection:
    without it, one handler's statements could land inside another handler's transaction.

    It also knows which file it opened. SQLite keeps writing to a file deleted while it is open, and all of it
    vanishes at the next start; so every write first checks that the path still leads to the same file, and fails
    loudly (DatabaseFileGoneError) if it does not.
    """

    def __init__(self, conn: aiosqlite.Connection, *, read_only: bool = False, path: str | None = None) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._closed = False
        self.read_only = read_only
        self.path = path if path != MEMORY else None
        self._identity = _identity(self.path) if self.path else None

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> Self:
        """Open or create the database at path (":memory:" works) and bring its schema up to date."""
        conn = await connect(path, read_only=read_only, busy_timeout_ms=busy_timeout_ms)
        return cls(conn, read_only=read_only, path=os.fspath(path))

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        """Idempotent; waits for the unit of work in progress."""
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            with translated("cannot close the database"):
                await self._conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def ping(self) -> None:
        """A trivial read, for the health check: raises StorageError when the database cannot answer."""
        async with self._reading() as conn:
            await conn.execute("SELECT 1")

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            self._ensure_open()
            with translated("storage read failed"):
                yield self._conn

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; rolled back on any exception, including cancellation."""
        async with self._lock:
            self._ensure_open()
            self._ensure_file()
            with translated("storage write failed"):
                try:
                    # BEGIN is inside the try: if we are cancelled while awaiting it, it still runs
                    # on aiosqlite's thread, and the ROLLBACK queued behind it must undo it.
                    await self._conn.execute("BEGIN IMMEDIATE")
                    yield self._conn
                    await self._conn.execute("COMMIT")
                except BaseException:
                    await rollback_quietly(self._conn)
                    raise

    def _ensure_open(self) -> None:
        if self._closed:
            raise StorageError("storage is closed")

    def file_problem(self) -> str | None:
        """Why the database file can no longer be written (deleted or replaced since it was opened), or None."""
        if self.path is None or self._identity is None:
            return None
        current = _identity(self.path)
        if current is None:
            return f"the database file {self.path} was deleted while the bot was running"
        if current != self._identity:
            return f"the database file {self.path} was replaced by another file while the bot was running"
        return None

    def _ensure_file(self) -> None:
        problem = self.file_problem()
        if problem is not None:
            raise DatabaseFileGoneError(f"{problem}; nothing is written to it any more (restart the bot)")


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode): what stays the same for one file, whatever is written to it."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino

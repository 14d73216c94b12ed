"""What every part of Storage shares: one connection, one lock, whole units of work, and writes queued to be
committed together."""

import asyncio
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Self

import aiosqlite

from bot.storage.connection import DEFAULT_BUSY_TIMEOUT_MS, MEMORY, connect
from bot.storage.errors import DatabaseFileGoneError, StorageError, UnstorableValueError, translated
from bot.storage.sqlutil import rollback_quietly

log = logging.getLogger(__name__)

#: A queued write waits at most this long for its commit: all a crash of the process (SIGKILL) can lose.
QUEUE_SECONDS = 0.25
#: Enough queued writes to commit them without waiting for QUEUE_SECONDS.
QUEUE_BATCH = 100
#: Queued writes kept in memory at most: past this, queuing waits for the commit in progress.
QUEUE_LIMIT = 1000
_SQLITE_INTEGERS = range(-(2**63), 2**63)


@dataclass(frozen=True, slots=True)
class Queued:
    """One statement of a queued write. Statements of different `sql` must commute (each kind writes its own rows
    and reads nothing another kind writes): a commit runs each kind's statements together, in their order.
    With `row_id`, a waited `queue` returns the id SQLite gave the inserted row (its kind is then run one statement
    at a time: executemany gives no row ids)."""

    what: str  # for the log, should it be lost: "visit", "question kept for staff"...
    sql: str
    params: tuple[Any, ...]
    row_id: bool = False


class StorageBase:
    """Owns the connection. The lock matters because handlers run concurrently on ONE connection:
    without it, one handler's statements could land inside another handler's transaction.

    Some writes need not be on disk before the bot goes on (a visit, the statistics of an answered question):
    `queue` holds them and commits them together, one transaction for many, at most QUEUE_SECONDS later; with
    `wait` it returns once they are committed, which a write the user is told about needs. Every other read or
    write of the storage first commits what is queued, so the order of all writes is kept and every read sees them.
    What a crash (SIGKILL, power cut) can lose is what was queued without `wait` in the last QUEUE_SECONDS; a
    shutdown (`close`) commits it.

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
        self._queued: list[Queued] = []
        self._committing = 0  # statements taken from _queued by the commit in progress
        #: of the writes in _queued queued with `wait`: each gets the row ids of the commit (see Queued.row_id)
        self._waiting: list[asyncio.Future[dict[int, int]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._committer: asyncio.Task[None] | None = None

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
        """Idempotent; waits for the unit of work in progress and commits what is queued."""
        async with self._lock:
            if self._closed:
                return
            await self._commit_queued()
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
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
    async def _reading(self, *, after_queued: bool = True) -> AsyncIterator[aiosqlite.Connection]:
        """A read; it sees the queued writes (they are committed first) unless `after_queued` is False, for a read
        of what no queued write changes."""
        async with self._lock:
            self._ensure_open()
            if after_queued:
                await self._commit_queued()
            with translated("storage read failed"):
                yield self._conn

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction, after the queued writes; rolled back on any exception, including cancellation."""
        async with self._lock:
            self._ensure_open()
            await self._commit_queued()
            async with self._transaction() as conn:
                yield conn

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The lock is held."""
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

    # -- queued writes ---------------------------------------------------------------------------------------------

    async def queue(self, statements: Sequence[Queued], *, wait: bool = False) -> list[int | None]:
        """Write `statements` (one unit: they are committed together) with other queued writes, in one transaction.

        Without `wait` this returns at once (unless QUEUE_LIMIT writes are already queued: then it waits for them to
        be committed); a failure to commit is logged loudly, as nobody waits for it. With `wait` the commit starts
        now and this returns once it is done, or raises its StorageError. Values are checked here, so one record
        SQLite would refuse never costs the others theirs: UnstorableValueError.

        Returns, for each statement, the id of the row it inserted when it asked for one (`Queued.row_id`) and was
        waited for; else None."""
        self._ensure_open()
        for statement in statements:
            _check_storable(statement.params)
        while self.queued >= QUEUE_LIMIT:
            await asyncio.shield(self._commit_soon())
            self._ensure_open()
        self._queued.extend(statements)
        if wait:
            committed: asyncio.Future[dict[int, int]] = asyncio.get_running_loop().create_future()
            self._waiting.append(committed)
            self._commit_soon()
            row_ids = await asyncio.shield(committed)  # a cancelled caller's write is committed all the same
            return [row_ids.get(id(statement)) for statement in statements]
        if len(self._queued) >= QUEUE_BATCH:
            self._commit_soon()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(QUEUE_SECONDS, self._commit_soon)
        return [None] * len(statements)

    async def commit_queued(self) -> None:
        """Commit what is queued now (e.g. before the process is stopped some other way than `close`)."""
        async with self._lock:
            self._ensure_open()
            await self._commit_queued()

    @property
    def queued(self) -> int:
        """How many statements are queued, not yet committed (the commit in progress included)."""
        return len(self._queued) + self._committing

    def _commit_soon(self) -> asyncio.Task[None]:
        """The task committing what is queued (started if none is running)."""
        if self._committer is None or self._committer.done():
            self._committer = asyncio.ensure_future(self._commit_when_free())
        return self._committer

    async def _commit_when_free(self) -> None:
        """Commits until what is queued may wait: nothing waits for it, and it is less than a batch."""
        while True:
            async with self._lock:
                if self._closed:
                    return
                await self._commit_queued()
            if not self._queued:
                return
            if not self._waiting and len(self._queued) < QUEUE_BATCH:
                if self._timer is None:
                    self._timer = asyncio.get_running_loop().call_later(QUEUE_SECONDS, self._commit_soon)
                return

    async def _commit_queued(self) -> None:
        """One transaction for everything queued; the lock is held. A failure is logged (and raised to the writes
        waiting for this commit), never to whoever happened to trigger the commit: their own work goes on."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._queued:
            return
        statements, waiting = self._queued, self._waiting
        self._queued, self._waiting = [], []
        by_kind: dict[str, list[Queued]] = {}
        for statement in statements:
            by_kind.setdefault(statement.sql, []).append(statement)
        self._committing = len(statements)
        row_ids: dict[int, int] = {}  # id(statement) -> the row it inserted, for the statements that ask
        try:
            async with self._transaction() as conn:
                for sql, kind in by_kind.items():
                    if any(statement.row_id for statement in kind):
                        for statement in kind:
                            async with conn.execute(sql, statement.params) as cursor:
                                if statement.row_id and cursor.lastrowid is not None:
                                    row_ids[id(statement)] = cursor.lastrowid
                    else:
                        await conn.executemany(sql, [statement.params for statement in kind])
        except BaseException as exc:
            failure = exc if isinstance(exc, StorageError) else StorageError(f"the commit was interrupted ({exc!r})")
            lost = Counter(statement.what for statement in statements)
            log.error(
                "DATABASE FAILURE: queued writes could not be committed and are lost (%s): %s",
                ", ".join(f"{n} x {what}" for what, n in lost.most_common()),
                failure,
            )
            for future in waiting:
                if not future.done():
                    future.set_exception(failure)
                    future.exception()  # retrieved: a caller that was cancelled meanwhile is not warned about
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            self._committing = 0
        for future in waiting:
            if not future.done():
                future.set_result(row_ids)

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


def _check_storable(params: tuple[Any, ...]) -> None:
    """What SQLite would refuse while binding: an integer past 64 bits (only a forged update carries one)."""
    for value in params:
        if isinstance(value, int) and value not in _SQLITE_INTEGERS:
            raise UnstorableValueError(f"a number too large for the database: {value}")


def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode): what stays the same for one file, whatever is written to it."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino

"""One exception family for the storage, so the bot can keep answering and log loudly when SQLite fails."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8


class StorageError(Exception):
    """Any failure of the storage; callers catch this one type instead of sqlite3/aiosqlite internals."""


class DatabaseLockedError(StorageError):
    """Another connection held the database longer than the busy timeout."""


class ReadOnlyDatabaseError(StorageError):
    """A write was attempted on a database that can only be read."""


class UnstorableValueError(StorageError):
    """A value SQLite cannot hold (an integer of 2**63 or more, as only a forged update carries): the database is
    fine, this one record cannot be stored."""


class DatabaseFileGoneError(StorageError):
    """The database file was deleted or replaced while open: writes would go to a file nobody will ever read."""


class SchemaVersionError(StorageError):
    """The file's schema does not match the code (newer than the code, or not migrated)."""


class MigrationError(StorageError):
    """A migration failed; its transaction was rolled back and the file keeps its old version."""


def from_sqlite(exc: sqlite3.Error, action: str) -> StorageError:
    """Pick the most specific StorageError for a sqlite3 error, keeping SQLite's own message."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    message = f"{action}: {exc}"
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in str(exc):
        return DatabaseLockedError(message)
    if primary == _SQLITE_READONLY or "readonly" in str(exc):
        return ReadOnlyDatabaseError(message)
    return StorageError(message)


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Re-raise sqlite3 errors (aiosqlite re-raises them as is) as StorageError, chained for the log; also a number
    SQLite cannot hold (an integer of 2**63 or more: sqlite3 raises OverflowError while binding it)."""
    try:
        yield
    except sqlite3.Error as exc:
        raise from_sqlite(exc, action) from exc
    except OverflowError as exc:
        raise UnstorableValueError(f"{action}: a number too large for the database ({exc})") from exc

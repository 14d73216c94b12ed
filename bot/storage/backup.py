"""Backups through SQLite's online backup API, and restoring one.

Copying the file of a WAL-mode database is not a backup: recent commits live in the `-wal` file until a
checkpoint, and a copy taken during a write can be torn. The backup API copies a consistent snapshot page by page
while the bot keeps running, and writing a backup back through the same API replaces the database properly, WAL
included.
"""

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.storage.errors import StorageError, translated
from bot.storage.migrations import LATEST_VERSION

BUSY_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    bytes: int
    schema_version: int


def _checked(conn: sqlite3.Connection, what: str) -> int:
    """The schema version of a sound bot database; refuses a damaged file or one that is not the bot's."""
    (verdict,) = conn.execute("PRAGMA integrity_check").fetchone()
    if verdict != "ok":
        raise StorageError(f"{what} is damaged: {verdict}")
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if not 1 <= int(version) <= LATEST_VERSION:
        raise StorageError(f"{what} is not a database of this bot (schema version {version})")
    return int(version)


def _open(path: Path, *, must_exist: bool) -> sqlite3.Connection:
    if must_exist and not path.is_file():
        raise StorageError(f"no database file at {path}")
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)


def backup_database(database: Path, target: Path) -> BackupInfo:
    """Write a consistent copy of `database` (which may be in use) to `target`, a new file."""
    if target.exists():
        raise StorageError(f"{target} already exists: choose a new file name for the backup")
    partial = target.with_name(target.name + ".partial")
    with translated(f"cannot back up {database} to {target}"):
        source = _open(database, must_exist=True)
        try:
            partial.parent.mkdir(parents=True, exist_ok=True)
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                version = _checked(copy, f"the backup of {database}")
            finally:
                copy.close()
        finally:
            source.close()
    os.replace(partial, target)
    return BackupInfo(target, target.stat().st_size, version)


def restore_database(backup: Path, database: Path) -> BackupInfo:
    """Replace the contents of `database` with `backup`, after checking the backup is a sound bot database."""
    with translated(f"cannot restore {backup} into {database}"):
        source = _open(backup, must_exist=True)
        try:
            version = _checked(source, str(backup))
            database.parent.mkdir(parents=True, exist_ok=True)
            target = sqlite3.connect(database, timeout=BUSY_TIMEOUT_SECONDS)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    return BackupInfo(database, database.stat().st_size, version)

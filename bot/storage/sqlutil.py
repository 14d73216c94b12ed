"""Tiny statement helpers, so the SQL in each module reads as SQL and always uses bound parameters."""

import contextlib
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

import aiosqlite

from bot.storage.errors import StorageError

Params = Iterable[Any]

# A str holds a surrogate only when it is unpaired (e.g. decoded from bad JSON); SQLite needs UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> list[sqlite3.Row]:
    return list(await conn.execute_fetchall(sql, params))


async def fetch_one(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> sqlite3.Row | None:
    rows = await fetch_all(conn, sql, params)
    return rows[0] if rows else None


async def run(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Execute one statement and return how many rows it changed."""
    async with conn.execute(sql, params) as cursor:
        return cursor.rowcount


async def insert(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    async with conn.execute(sql, params) as cursor:
        rowid = cursor.lastrowid
    if rowid is None:
        raise StorageError("insert returned no row id")
    return rowid


async def rollback_quietly(conn: aiosqlite.Connection) -> None:
    """Roll back after a failure; a missing transaction is fine, the original error is what matters."""
    with contextlib.suppress(sqlite3.Error):
        await conn.execute("ROLLBACK")


def storable_text(text: str) -> str:
    """The text as given; only lone surrogates (not Unicode characters, not encodable) become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)

"""Who talks to the bot and which language they chose; nothing else about them is kept."""

import sqlite3
from datetime import datetime

from bot.storage.base import Queued, StorageBase
from bot.storage.records import UserRecord
from bot.storage.sqlutil import fetch_one
from bot.storage.timefmt import from_db, to_db

_COLUMNS = "user_id, chosen_lang, telegram_lang, first_seen, last_seen"
#: A visit: first_seen is kept; a missing telegram_lang keeps the old one (Telegram omits it on some updates);
#: last_seen never moves backwards. Only the user's own row, and never chosen_lang (see `chosen_language`).
_VISIT_SQL = """INSERT INTO users (user_id, telegram_lang, first_seen, last_seen) VALUES (?, ?, ?, ?)
    ON CONFLICT (user_id) DO UPDATE SET
        telegram_lang = COALESCE(excluded.telegram_lang, telegram_lang),
        last_seen = MAX(last_seen, excluded.last_seen)"""


class UsersMixin(StorageBase):
    async def touch_user(self, user_id: int, telegram_lang: str | None, now: datetime) -> UserRecord:
        """Record that the user was seen (see _VISIT_SQL), and return what is stored about them."""
        stamp = to_db(now)
        async with self._writing() as conn:
            row = await fetch_one(conn, f"{_VISIT_SQL} RETURNING {_COLUMNS}", (user_id, telegram_lang, stamp, stamp))
        assert row is not None  # RETURNING always yields the upserted row
        return _user(row)

    async def record_visit(self, user_id: int, telegram_lang: str | None, now: datetime) -> None:
        """As `touch_user`, queued (StorageBase.queue): committed with other writes at most QUEUE_SECONDS later."""
        stamp = to_db(now)
        await self.queue([Queued("visit", _VISIT_SQL, (user_id, telegram_lang, stamp, stamp))])

    async def chosen_language(self, user_id: int) -> str | None:
        """The user's /lang choice (None: none, or an unknown user). No queued write changes it, so this read does
        not wait for them."""
        async with self._reading(after_queued=False) as conn:
            row = await fetch_one(conn, "SELECT chosen_lang FROM users WHERE user_id = ?", (user_id,))
        return None if row is None else row["chosen_lang"]

    async def get_user(self, user_id: int) -> UserRecord | None:
        async with self._reading() as conn:
            row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM users WHERE user_id = ?", (user_id,))
        return None if row is None else _user(row)

    async def set_language(self, user_id: int, lang: str | None, now: datetime) -> UserRecord:
        """Store the user's explicit choice (None clears it); creates the user if needed."""
        stamp = to_db(now)
        async with self._writing() as conn:
            row = await fetch_one(
                conn,
                f"""INSERT INTO users (user_id, chosen_lang, first_seen, last_seen) VALUES (?, ?, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET
                    chosen_lang = excluded.chosen_lang,
                    last_seen = MAX(last_seen, excluded.last_seen)
                RETURNING {_COLUMNS}""",
                (user_id, lang, stamp, stamp),
            )
        assert row is not None
        return _user(row)


def _user(row: sqlite3.Row) -> UserRecord:
    return UserRecord(
        user_id=row["user_id"],
        chosen_lang=row["chosen_lang"],
        telegram_lang=row["telegram_lang"],
        first_seen=from_db(row["first_seen"]),
        last_seen=from_db(row["last_seen"]),
    )

"""Reminder subscriptions; a stopped one keeps when and why (e.g. "blocked", "user") for staff."""

import sqlite3
from datetime import datetime

from bot.storage.base import StorageBase
from bot.storage.records import Subscriber, SubscriptionRecord
from bot.storage.sqlutil import fetch_all, fetch_one, run
from bot.storage.timefmt import from_db, opt_from_db, to_db

_COLUMNS = "chat_id, lang, subscribed_at, unsubscribed_at, unsubscribe_reason"


class SubscriptionsMixin(StorageBase):
    async def subscribe(self, chat_id: int, lang: str, now: datetime) -> bool:
        """True if the chat was not subscribed before; subscribing again only updates the language."""
        stamp = to_db(now)
        async with self._writing() as conn:
            row = await fetch_one(conn, "SELECT unsubscribed_at FROM subscriptions WHERE chat_id = ?", (chat_id,))
            was_active = row is not None and row["unsubscribed_at"] is None
            await run(
                conn,
                """INSERT INTO subscriptions (chat_id, lang, subscribed_at) VALUES (?, ?, ?)
                ON CONFLICT (chat_id) DO UPDATE SET
                    lang = excluded.lang,
                    subscribed_at = IIF(unsubscribed_at IS NULL, subscribed_at, excluded.subscribed_at),
                    unsubscribed_at = NULL,
                    unsubscribe_reason = NULL""",
                (chat_id, lang, stamp),
            )
        return not was_active

    async def unsubscribe(self, chat_id: int, reason: str, now: datetime) -> bool:
        """True if the chat was subscribed; the row stays, with time and reason."""
        async with self._writing() as conn:
            changed = await run(
                conn,
                """UPDATE subscriptions SET unsubscribed_at = ?, unsubscribe_reason = ?
                WHERE chat_id = ? AND unsubscribed_at IS NULL""",
                (to_db(now), reason, chat_id),
            )
        return changed > 0

    async def is_subscribed(self, chat_id: int) -> bool:
        async with self._reading() as conn:
            row = await fetch_one(
                conn, "SELECT 1 FROM subscriptions WHERE chat_id = ? AND unsubscribed_at IS NULL", (chat_id,)
            )
        return row is not None

    async def subscribers(self) -> list[Subscriber]:
        """Active subscriptions, oldest first."""
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                """SELECT chat_id, lang, subscribed_at FROM subscriptions WHERE unsubscribed_at IS NULL
                ORDER BY subscribed_at, chat_id""",
            )
        return [Subscriber(row["chat_id"], row["lang"], from_db(row["subscribed_at"])) for row in rows]

    async def set_subscriber_lang(self, chat_id: int, lang: str) -> bool:
        """True if an active subscription was updated."""
        async with self._writing() as conn:
            changed = await run(
                conn,
                "UPDATE subscriptions SET lang = ? WHERE chat_id = ? AND unsubscribed_at IS NULL",
                (lang, chat_id),
            )
        return changed > 0

    async def subscription(self, chat_id: int) -> SubscriptionRecord | None:
        """The chat's row, active or stopped."""
        async with self._reading() as conn:
            row = await fetch_one(conn, f"SELECT {_COLUMNS} FROM subscriptions WHERE chat_id = ?", (chat_id,))
        return None if row is None else _subscription(row)

    async def unsubscriptions(self, *, since: datetime | None = None) -> list[SubscriptionRecord]:
        """Stopped subscriptions, newest first, so staff can see who leaves and why."""
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                f"""SELECT {_COLUMNS} FROM subscriptions
                WHERE unsubscribed_at IS NOT NULL AND (?1 IS NULL OR unsubscribed_at >= ?1)
                ORDER BY unsubscribed_at DESC, chat_id""",
                (None if since is None else to_db(since),),
            )
        return [_subscription(row) for row in rows]


def _subscription(row: sqlite3.Row) -> SubscriptionRecord:
    return SubscriptionRecord(
        chat_id=row["chat_id"],
        lang=row["lang"],
        subscribed_at=from_db(row["subscribed_at"]),
        unsubscribed_at=opt_from_db(row["unsubscribed_at"]),
        unsubscribe_reason=row["unsubscribe_reason"],
    )

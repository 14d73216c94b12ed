"""GDPR duties: a user can see and erase their data, and old personal links are cut on schedule."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.base import StorageBase
from bot.storage.sqlutil import fetch_all, run
from bot.storage.timefmt import to_db


@dataclass(frozen=True)
class UserTable:
    """A table holding rows about one user, found by column = the user's id."""

    table: str
    column: str
    export_key: str


# Every place a user id (or a private chat id, which equals it) is stored. A test checks the schema
# against this list, so a new table with such a column cannot be forgotten here.
USER_DATA: tuple[UserTable, ...] = (
    UserTable("users", "user_id", "user"),
    UserTable("unanswered", "user_id", "unanswered_questions"),
    UserTable("feedback", "user_id", "feedback"),
    UserTable("subscriptions", "chat_id", "subscription"),
    UserTable("deliveries", "chat_id", "deliveries"),
    UserTable("delivery_reports", "chat_id", "broadcast_reports"),
    UserTable("answer_requests", "user_id", "answer_requests"),
    UserTable("knowledge_changes", "user_id", "knowledge_changes"),
    UserTable("staff_drafts", "user_id", "staff_drafts"),
)


class PrivacyMixin(StorageBase):
    async def export_user_data(self, user_id: int) -> dict[str, Any]:
        """Everything stored about the user, as stored (times are ISO-8601 UTC text); JSON-ready."""
        export: dict[str, Any] = {"user_id": user_id}
        async with self._reading() as conn:
            for where in USER_DATA:
                rows = await fetch_all(
                    conn, f"SELECT * FROM {where.table} WHERE {where.column} = ? ORDER BY rowid", (user_id,)
                )
                export[where.export_key] = [dict(row) for row in rows]
        return export

    async def forget_user(self, user_id: int) -> int:
        """Delete every row tied to the user id, in one transaction; returns rows deleted."""
        async with self._writing() as conn:
            deleted = 0
            for where in USER_DATA:
                deleted += await run(conn, f"DELETE FROM {where.table} WHERE {where.column} = ?", (user_id,))
        return deleted

    async def anonymise_unanswered_older_than(self, cutoff: datetime) -> int:
        """Cut the link to the user on unanswered questions and feedback older than cutoff; the
        texts and votes stay useful to staff without saying who wrote them. Returns rows changed."""
        stamp = to_db(cutoff)
        async with self._writing() as conn:
            changed = await run(
                conn,
                "UPDATE unanswered SET user_id = NULL WHERE user_id IS NOT NULL AND asked_at < ?",
                (stamp,),
            )
            changed += await run(
                conn,
                "UPDATE feedback SET user_id = NULL WHERE user_id IS NOT NULL AND voted_at < ?",
                (stamp,),
            )
        return changed

    async def purge_unsubscribed_older_than(self, cutoff: datetime) -> int:
        """Drop subscriptions stopped before cutoff: their reason has served staff by then."""
        async with self._writing() as conn:
            return await run(
                conn,
                "DELETE FROM subscriptions WHERE unsubscribed_at IS NOT NULL AND unsubscribed_at < ?",
                (to_db(cutoff),),
            )

"""👍/👎 on answers: one vote per user and message, so changing one's mind does not count twice."""

import sqlite3
from datetime import datetime

from bot.storage.base import Queued, StorageBase
from bot.storage.records import FeedbackRecord
from bot.storage.sqlutil import fetch_all, storable_text
from bot.storage.timefmt import from_db, to_db

_VOTE_SQL = """INSERT INTO feedback (user_id, message_key, entry_id, question, lang, vote, voted_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (user_id, message_key) DO UPDATE SET
        entry_id = excluded.entry_id, question = excluded.question, lang = excluded.lang,
        vote = excluded.vote, voted_at = excluded.voted_at"""


class FeedbackMixin(StorageBase):
    async def record_feedback(
        self,
        *,
        user_id: int,
        message_key: str,
        entry_id: str | None,
        question: str | None,
        lang: str,
        vote: int,
        now: datetime,
    ) -> None:
        """Store a vote (+1/-1) on the answer identified by message_key ("chat:message_id");
        a later vote by the same user on the same message replaces the earlier one."""
        if vote not in (1, -1):
            raise ValueError(f"vote must be +1 or -1, got {vote!r}")
        text = None if question is None else storable_text(question)
        row = (user_id, message_key, entry_id, text, lang, vote, to_db(now))
        await self.queue([Queued("feedback vote", _VOTE_SQL, row)], wait=True)  # committed with what else is queued

    async def negative_feedback(self, *, since: datetime | None = None, limit: int = 1000) -> list[FeedbackRecord]:
        """👎 votes, newest first: the answers staff should look at."""
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                """SELECT * FROM feedback WHERE vote = -1 AND (?1 IS NULL OR voted_at >= ?1)
                ORDER BY voted_at DESC, id DESC LIMIT ?2""",
                (None if since is None else to_db(since), limit),
            )
        return [_feedback(row) for row in rows]

    async def feedback_by_entry(self, *, since: datetime | None = None) -> dict[str, tuple[int, int]]:
        """entry_id -> (up, down); votes on messages without an entry are left out."""
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                """SELECT entry_id, SUM(vote = 1) AS up, SUM(vote = -1) AS down FROM feedback
                WHERE entry_id IS NOT NULL AND (?1 IS NULL OR voted_at >= ?1)
                GROUP BY entry_id ORDER BY entry_id""",
                (None if since is None else to_db(since),),
            )
        return {row["entry_id"]: (int(row["up"]), int(row["down"])) for row in rows}


def _feedback(row: sqlite3.Row) -> FeedbackRecord:
    return FeedbackRecord(
        id=row["id"],
        user_id=row["user_id"],
        message_key=row["message_key"],
        entry_id=row["entry_id"],
        question=row["question"],
        lang=row["lang"],
        vote=row["vote"],
        voted_at=from_db(row["voted_at"]),
    )

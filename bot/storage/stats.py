"""Numbers for staff, computed from the anonymous log so no statistic needs personal data."""

from datetime import datetime

from bot.outcome import LOGGED_OUTCOMES
from bot.storage.base import StorageBase
from bot.storage.records import QuestionStats
from bot.storage.sqlutil import fetch_all, fetch_one
from bot.storage.timefmt import to_db


class StatsMixin(StorageBase):
    async def question_stats(self, since: datetime, until: datetime, *, top: int = 10) -> QuestionStats:
        """Questions asked in [since, until); top_entries counts answered questions per entry."""
        window = (to_db(since), to_db(until))
        async with self._reading() as conn:
            by_lang_rows = await fetch_all(
                conn,
                """SELECT lang, outcome, COUNT(*) AS n FROM questions_log
                WHERE asked_at >= ? AND asked_at < ? GROUP BY lang, outcome""",
                window,
            )
            top_rows = await fetch_all(
                conn,
                """SELECT entry_id, COUNT(*) AS n FROM questions_log
                WHERE asked_at >= ? AND asked_at < ? AND outcome = 'answer' AND entry_id IS NOT NULL
                GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?""",
                (*window, top),
            )
        by_outcome = dict.fromkeys(map(str, LOGGED_OUTCOMES), 0)
        by_lang: dict[str, dict[str, int]] = {}
        for row in by_lang_rows:
            by_outcome[row["outcome"]] = by_outcome.get(row["outcome"], 0) + row["n"]
            by_lang.setdefault(row["lang"], dict.fromkeys(map(str, LOGGED_OUTCOMES), 0))[row["outcome"]] = row["n"]
        return QuestionStats(
            since=since,
            until=until,
            total=sum(by_outcome.values()),
            by_outcome=by_outcome,
            by_lang=dict(sorted(by_lang.items())),
            top_entries=tuple((row["entry_id"], row["n"]) for row in top_rows),
        )

    async def count_users(self, active_since: datetime | None = None) -> int:
        """All users, or those seen at or after active_since."""
        async with self._reading() as conn:
            row = await fetch_one(
                conn,
                "SELECT COUNT(*) FROM users WHERE ?1 IS NULL OR last_seen >= ?1",
                (None if active_since is None else to_db(active_since),),
            )
        return int(row[0]) if row else 0

    async def count_subscribers(self) -> int:
        async with self._reading() as conn:
            row = await fetch_one(conn, "SELECT COUNT(*) FROM subscriptions WHERE unsubscribed_at IS NULL")
        return int(row[0]) if row else 0

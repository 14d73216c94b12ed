"""Questions: an anonymous log for statistics, and the unanswered ones kept verbatim for staff."""

import json
import math
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.outcome import LOGGED_OUTCOMES, Outcome
from bot.storage.base import Queued, StorageBase
from bot.storage.records import STATUSES, Status, UnansweredRecord
from bot.storage.sqlutil import fetch_all, insert, storable_text
from bot.storage.timefmt import from_db, to_db

_LOG_SQL = "INSERT INTO questions_log (asked_at, lang, outcome, entry_id, score) VALUES (?, ?, ?, ?, ?)"
_UNANSWERED_SQL = """INSERT INTO unanswered (user_id, text, lang, asked_at, candidates, status)
    VALUES (?, ?, ?, ?, ?, 'open')"""


class QuestionsMixin(StorageBase):
    async def log_question(
        self,
        *,
        user_id: int | None,
        text: str,
        lang: str,
        outcome: Outcome,
        entry_id: str | None,
        score: float,
        candidates: Sequence[tuple[str, float]],
        now: datetime,
        soon: bool = False,
    ) -> int | None:
        """Log every question without text or user; keep the text only when it was not answered (EMPTY is refused).

        Returns the unanswered row id when one was stored (staff act on it), else the log row id. With `soon`, the
        rows are committed together with other writes (StorageBase.queue): an answered question's statistics at most
        QUEUE_SECONDS later (returns None); a question kept for staff before this returns, as the user is told it
        was passed on (returns its id, which staff and the user's 🔔 button refer to).
        """
        logged, unanswered = _question_rows(user_id, text, lang, outcome, entry_id, score, candidates, now)
        if soon:
            if unanswered is None:
                await self.queue([logged])
                return None
            _, kept_id = await self.queue([logged, unanswered], wait=True)
            return kept_id
        async with self._writing() as conn:
            log_id = await insert(conn, logged.sql, logged.params)
            return log_id if unanswered is None else await insert(conn, unanswered.sql, unanswered.params)

    async def unanswered_questions(
        self,
        *,
        since: datetime | None = None,
        status: Status | None = "open",
        limit: int = 1000,
    ) -> list[UnansweredRecord]:
        """Newest first; status=None lists every status."""
        if status is not None:
            _check_status(status)
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                """SELECT id, user_id, text, lang, asked_at, candidates, status FROM unanswered
                WHERE (?1 IS NULL OR asked_at >= ?1) AND (?2 IS NULL OR status = ?2)
                ORDER BY asked_at DESC, id DESC LIMIT ?3""",
                (None if since is None else to_db(since), status, limit),
            )
        return [_unanswered(row) for row in rows]

    async def set_unanswered_status(self, ids: Sequence[int], status: Status) -> int:
        """Returns how many rows exist and were updated (unknown ids are ignored)."""
        _check_status(status)
        if not ids:
            return 0
        async with self._writing() as conn:
            cursor = await conn.executemany("UPDATE unanswered SET status = ? WHERE id = ?", [(status, i) for i in ids])
            return cursor.rowcount


def _question_rows(
    user_id: int | None,
    text: str,
    lang: str,
    outcome: Outcome,
    entry_id: str | None,
    score: float,
    candidates: Sequence[tuple[str, float]],
    now: datetime,
) -> tuple[Queued, Queued | None]:
    """The statistics row, and the row kept for staff when the question was not answered."""
    _check_outcome(outcome)
    if not math.isfinite(score):
        raise ValueError(f"score must be a finite number, got {score!r}")
    stamp = to_db(now)
    logged = Queued("question statistics", _LOG_SQL, (stamp, lang, str(outcome), entry_id, float(score)))
    if outcome == Outcome.ANSWER:
        return logged, None
    kept = (user_id, storable_text(text), lang, stamp, _candidates_json(candidates))
    return logged, Queued("question kept for staff", _UNANSWERED_SQL, kept, row_id=True)


def _candidates_json(candidates: Sequence[tuple[str, float]]) -> str:
    return json.dumps([[str(entry), float(score)] for entry, score in candidates], ensure_ascii=False)


def _unanswered(row: sqlite3.Row) -> UnansweredRecord:
    return UnansweredRecord(
        id=row["id"],
        user_id=row["user_id"],
        text=row["text"],
        lang=row["lang"],
        asked_at=from_db(row["asked_at"]),
        candidates=tuple((str(entry), float(score)) for entry, score in json.loads(row["candidates"])),
        status=row["status"],
    )


def _check_outcome(outcome: str) -> None:
    if outcome not in LOGGED_OUTCOMES:
        raise ValueError(f"outcome must be one of {[o.value for o in LOGGED_OUTCOMES]}, got {outcome!r}")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")

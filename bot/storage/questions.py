"""Questions: an anonymous log for statistics, and the unanswered ones kept verbatim for staff."""

import json
import math
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from bot.outcome import LOGGED_OUTCOMES, Outcome
from bot.storage.base import StorageBase
from bot.storage.records import STATUSES, Status, UnansweredRecord
from bot.storage.sqlutil import fetch_all, insert, storable_text
from bot.storage.timefmt import from_db, to_db


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
    ) -> int:
        """Log every question without text or user; keep the text only when it was not answered (EMPTY is refused).

        Returns the unanswered row id when one was stored (staff act on it), else the log row id.
        """
        _check_outcome(outcome)
        if not math.isfinite(score):
            raise ValueError(f"score must be a finite number, got {score!r}")
        stamp = to_db(now)
        async with self._writing() as conn:
            log_id = await insert(
                conn,
                "INSERT INTO questions_log (asked_at, lang, outcome, entry_id, score) VALUES (?, ?, ?, ?, ?)",
                (stamp, lang, str(outcome), entry_id, float(score)),
            )
            if outcome == Outcome.ANSWER:
                return log_id
            return await insert(
                conn,
                """INSERT INTO unanswered (user_id, text, lang, asked_at, candidates, status)
                VALUES (?, ?, ?, ?, ?, 'open')""",
                (user_id, storable_text(text), lang, stamp, _candidates_json(candidates)),
            )

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

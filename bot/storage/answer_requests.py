""" "Tell me when there is an answer": who asked to be told about which unanswered question, until the answer is
queued for them (the request is deleted in the same unit of work, so nobody is told twice), the question is
ignored, the user forgets their data, or the retention period ends."""

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.storage.base import StorageBase
from bot.storage.deliveries import new_batch
from bot.storage.sqlutil import fetch_all, fetch_one, run
from bot.storage.timefmt import to_db


@dataclass(frozen=True)
class AnswerRequest:
    id: int
    user_id: int
    unanswered_id: int
    question: str  # the user's own words: the notice quotes them to that user only
    lang: str  # their explicit language choice if they made one, else the language of their question


class AnswerRequestsMixin(StorageBase):
    async def request_answer(self, user_id: int, unanswered_id: int, lang: str | None, now: dt.datetime) -> bool | None:
        """True if recorded, False if this user already asked about it, None if the question is not waiting for
        an answer any more (answered, ignored, or gone). Without `lang`, the language of the question."""
        async with self._writing() as conn:
            row = await fetch_one(conn, "SELECT status, lang FROM unanswered WHERE id = ?", (unanswered_id,))
            if row is None or row["status"] != "open":
                return None
            added = await run(
                conn,
                """INSERT OR IGNORE INTO answer_requests (user_id, unanswered_id, lang, requested_at)
                VALUES (?, ?, ?, ?)""",
                (user_id, unanswered_id, lang or row["lang"], to_db(now)),
            )
        return added > 0

    async def answer_requests_for(self, unanswered_ids: Iterable[int]) -> list[AnswerRequest]:
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                """SELECT r.id, r.user_id, r.unanswered_id, q.text, COALESCE(u.chosen_lang, r.lang) AS lang
                FROM answer_requests r JOIN unanswered q ON q.id = r.unanswered_id
                LEFT JOIN users u ON u.user_id = r.user_id
                WHERE r.unanswered_id IN (SELECT value FROM json_each(?)) ORDER BY r.id""",
                (json.dumps(sorted(set(unanswered_ids))),),
            )
        return [AnswerRequest(r["id"], r["user_id"], r["unanswered_id"], r["text"], r["lang"]) for r in rows]

    async def enqueue_answers(
        self, notices: Sequence[tuple[AnswerRequest, Mapping[str, str]]], now: dt.datetime
    ) -> int:
        """Queue each notice (the request, its text per language) to its user and delete the request, in one unit
        of work; a request deleted meanwhile (the user forgot their data) is skipped. Returns how many were queued."""
        queued = 0
        async with self._writing() as conn:
            for request, texts in notices:
                if not await run(conn, "DELETE FROM answer_requests WHERE id = ?", (request.id,)):
                    continue
                batch_id = await new_batch(conn, "answer", texts, now, subject=f"answer:{request.unanswered_id}")
                await run(
                    conn,
                    "INSERT INTO deliveries (batch_id, chat_id, lang, updated_at) VALUES (?, ?, ?, ?)",
                    (batch_id, request.user_id, request.lang, to_db(now)),
                )
                queued += 1
        return queued

    async def drop_answer_requests(self, unanswered_ids: Iterable[int]) -> int:
        async with self._writing() as conn:
            return await run(
                conn,
                "DELETE FROM answer_requests WHERE unanswered_id IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(set(unanswered_ids))),),
            )

    async def purge_answer_requests_older_than(self, cutoff: dt.datetime) -> int:
        """The retention period: a request still unanswered after it is forgotten."""
        async with self._writing() as conn:
            return await run(conn, "DELETE FROM answer_requests WHERE requested_at < ?", (to_db(cutoff),))

"""The delivery ledger: one row per message and recipient, moved through its states in whole units of work.

pending -> sending (claimed just before the request) -> sent | blocked | failed, or back to pending when Telegram
said "not now". A row still `sending` when the process died is settled as `unconfirmed` (presumed delivered, never
sent again): bot/reminders/delivery.py explains why. `dropped` rows were never sent on purpose (the chat
unsubscribed, the deadline moved).
"""

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.storage.base import StorageBase
from bot.storage.sqlutil import fetch_all, fetch_one, insert, run, storable_text
from bot.storage.staff_edits import write_staff_state
from bot.storage.timefmt import to_db

DayTime = tuple[dt.date, dt.time | None]

OPEN = ("pending", "sending")
#: Kinds sent to subscribers: a row whose chat unsubscribed before it went out is dropped. Reports, answer notices
#: and staff digests go to whoever asked for them, subscribed or not.
FOR_SUBSCRIBERS = ("reminder", "change", "broadcast")
SETTLED_UNCONFIRMED = "claimed by a run that ended before Telegram answered: presumed delivered, not sent again"

# A subscriber's language: their explicit choice when they made one since subscribing, else the subscription's.
_SUBSCRIBER_ROWS = """
    SELECT ?1, s.chat_id, COALESCE(u.chosen_lang, s.lang), ?2
    FROM subscriptions s LEFT JOIN users u ON u.user_id = s.chat_id
    WHERE s.unsubscribed_at IS NULL ORDER BY s.subscribed_at, s.chat_id"""


@dataclass(frozen=True)
class PendingDelivery:
    id: int
    batch_id: int
    chat_id: int
    lang: str
    text: str
    attempts: int


@dataclass(frozen=True)
class BatchCounts:
    sent: int = 0
    unconfirmed: int = 0
    blocked: int = 0
    failed: int = 0
    dropped: int = 0
    open: int = 0  # pending or sending

    @property
    def total(self) -> int:
        return self.sent + self.unconfirmed + self.blocked + self.failed + self.dropped + self.open


@dataclass(frozen=True)
class BroadcastDraft:
    id: int
    texts: Mapping[str, str]
    state: str  # draft | queued | cancelled
    chat_id: int | None  # where the report goes (None once the requester was forgotten)
    lang: str | None


@dataclass(frozen=True)
class ChangeDraft:
    """A change notice waiting for staff: the deadline (lineage) that moved, and from when."""

    id: int
    subject: str  # "<date id>@<new day>", as reminders name it
    texts: Mapping[str, str]
    lineage: str
    previous: DayTime


@dataclass(frozen=True)
class FinishedBroadcast:
    id: int
    chat_id: int
    lang: str
    counts: BatchCounts


class DeliveriesMixin(StorageBase):
    # -- queueing -------------------------------------------------------------------------------------------------

    async def enqueue_for_subscribers(
        self,
        kind: str,
        texts: Mapping[str, str],
        now: dt.datetime,
        *,
        subject: str | None = None,
        reminder_keys: Iterable[str] = (),
    ) -> int | None:
        """One batch with a row per active subscriber; returns the batch id, or None when one of
        `reminder_keys` was already recorded (so a reminder is never queued twice)."""
        keys = list(reminder_keys)
        async with self._writing() as conn:
            if await _any_key_recorded(conn, keys):
                return None
            batch_id = await new_batch(conn, kind, texts, now, subject=subject)
            await _add_subscribers(conn, batch_id, now)
            await _record_keys(conn, keys, batch_id, now)
        return batch_id

    async def reminder_keys(self) -> set[str]:
        async with self._reading() as conn:
            rows = await fetch_all(conn, "SELECT key FROM reminder_keys")
        return {row["key"] for row in rows}

    async def known_deadline_dates(self) -> dict[str, DayTime]:
        """lineage -> (day, time) as last recorded."""
        async with self._reading() as conn:
            rows = await fetch_all(conn, "SELECT lineage, day, time FROM deadline_dates")
        return {row["lineage"]: _day_time(row["day"], row["time"]) for row in rows}

    async def record_deadline_dates(
        self,
        expected: Mapping[str, DayTime],
        current: Mapping[str, DayTime],
        notices: Sequence[tuple[str, Mapping[str, str]]],
        covered_keys: Iterable[str],
        now: dt.datetime,
        *,
        drafts: Sequence[tuple[str, DayTime, Sequence[str]]] | None = None,
    ) -> bool:
        """In one unit of work: queue the change notices (subject, texts), mark reminder slots they make
        redundant, and remember `current`. Refused (False) when the stored dates are no longer `expected`,
        so a notice computed from stale data is never queued.

        With `drafts` (lineage, previous date and the reminder slots it covers, for each notice), the notices wait
        for staff instead (`confirm_change_notice`); the slots they cover stay held meanwhile and are freed if staff
        cancel."""
        async with self._writing() as conn:
            rows = await fetch_all(conn, "SELECT lineage, day, time FROM deadline_dates")
            if {row["lineage"]: _day_time(row["day"], row["time"]) for row in rows} != dict(expected):
                return False
            for index, (subject, texts) in enumerate(notices):
                if drafts is None:
                    batch_id = await new_batch(conn, "change", texts, now, subject=subject)
                    await _add_subscribers(conn, batch_id, now)
                    continue
                lineage, (day, time), held = drafts[index]
                draft_id = await new_batch(conn, "change", texts, now, subject=subject, state="draft")
                await run(
                    conn,
                    "INSERT INTO change_drafts (batch_id, lineage, previous_day, previous_time) VALUES (?, ?, ?, ?)",
                    (draft_id, lineage, day.isoformat(), None if time is None else time.isoformat()),
                )
                await _record_keys(conn, held, draft_id, now)
            await _record_keys(conn, covered_keys, None, now)
            await run(conn, "DELETE FROM deadline_dates")
            for lineage, (day, time) in current.items():
                await run(
                    conn,
                    "INSERT INTO deadline_dates (lineage, day, time, seen_at) VALUES (?, ?, ?, ?)",
                    (lineage, day.isoformat(), None if time is None else time.isoformat(), to_db(now)),
                )
        return True

    async def drop_stale_reminders(self, subjects_in_force: Iterable[str], now: dt.datetime) -> int:
        """Unsent reminders and notices about a date no longer in force (moved or removed) are dropped, and change
        notices still waiting for staff about such a date are cancelled."""
        in_force = json.dumps(sorted(set(subjects_in_force)))
        async with self._writing() as conn:
            stale = await fetch_all(
                conn,
                """SELECT id FROM delivery_batches WHERE kind = 'change' AND state = 'draft'
                AND subject NOT IN (SELECT value FROM json_each(?))""",
                (in_force,),
            )
            for row in stale:
                await _cancel_draft(conn, row["id"])
            return await run(
                conn,
                """UPDATE deliveries SET status = 'dropped', error = 'the deadline changed', updated_at = ?1
                WHERE status = 'pending' AND batch_id IN (
                    SELECT id FROM delivery_batches WHERE kind IN ('reminder', 'change')
                    AND subject NOT IN (SELECT value FROM json_each(?2)))""",
                (to_db(now), in_force),
            )

    # -- change notices waiting for staff -------------------------------------------------------------------------

    async def change_drafts(self, *, unpreviewed: bool = False) -> list[ChangeDraft]:
        """Change notices waiting for staff (only those not shown to staff yet, with `unpreviewed`)."""
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                f"""{_CHANGE_DRAFT} WHERE b.state = 'draft'
                {"AND c.previewed_at IS NULL" if unpreviewed else ""} ORDER BY b.id""",
            )
        return [_change_draft(row) for row in rows]

    async def change_draft(self, batch_id: int) -> ChangeDraft | None:
        """A change notice still waiting for staff."""
        async with self._reading() as conn:
            row = await fetch_one(conn, f"{_CHANGE_DRAFT} WHERE b.state = 'draft' AND b.id = ?", (batch_id,))
        return None if row is None else _change_draft(row)

    async def mark_change_previewed(self, batch_id: int, now: dt.datetime) -> None:
        async with self._writing() as conn:
            await run(conn, "UPDATE change_drafts SET previewed_at = ? WHERE batch_id = ?", (to_db(now), batch_id))

    async def confirm_change_notice(self, batch_id: int, texts: Mapping[str, str], now: dt.datetime) -> int | None:
        """Queue a waiting change notice, worded `texts`, for every active subscriber; the number of rows, or None
        when it was no longer waiting (sent, cancelled, or out of date)."""
        clean = json.dumps({lang: storable_text(text) for lang, text in texts.items()}, ensure_ascii=False)
        async with self._writing() as conn:
            changed = await run(
                conn,
                """UPDATE delivery_batches SET state = 'queued', texts = ?, created_at = ?
                WHERE id = ? AND kind = 'change' AND state = 'draft'""",
                (clean, to_db(now), batch_id),
            )
            if not changed:
                return None
            return await _add_subscribers(conn, batch_id, now)

    async def cancel_change_notice(self, batch_id: int) -> bool:
        """Staff chose not to send it: the reminder slots it held are freed, so reminders go on as usual."""
        async with self._writing() as conn:
            return await _cancel_draft(conn, batch_id)

    # -- broadcasts -----------------------------------------------------------------------------------------------

    async def create_broadcast_draft(self, texts: Mapping[str, str], chat_id: int, lang: str, now: dt.datetime) -> int:
        """A broadcast waiting for confirmation; its report will go to chat_id in lang."""
        async with self._writing() as conn:
            batch_id = await new_batch(conn, "broadcast", texts, now, state="draft")
            await run(
                conn,
                "INSERT INTO delivery_reports (batch_id, chat_id, lang) VALUES (?, ?, ?)",
                (batch_id, chat_id, lang),
            )
        return batch_id

    async def broadcast_draft(self, batch_id: int) -> BroadcastDraft | None:
        async with self._reading() as conn:
            row = await fetch_one(
                conn,
                """SELECT b.id, b.texts, b.state, r.chat_id, r.lang FROM delivery_batches b
                LEFT JOIN delivery_reports r ON r.batch_id = b.id WHERE b.id = ? AND b.kind = 'broadcast'""",
                (batch_id,),
            )
        if row is None:
            return None
        return BroadcastDraft(row["id"], json.loads(row["texts"]), row["state"], row["chat_id"], row["lang"])

    async def confirm_broadcast(self, batch_id: int, now: dt.datetime) -> int | None:
        """Queue a draft for every active subscriber; the number of rows, or None if it was not a draft
        (already confirmed or cancelled: a second tap on Confirm sends nothing)."""
        async with self._writing() as conn:
            changed = await run(
                conn,
                """UPDATE delivery_batches SET state = 'queued', created_at = ?
                WHERE id = ? AND kind = 'broadcast' AND state = 'draft'""",
                (to_db(now), batch_id),
            )
            if not changed:
                return None
            return await _add_subscribers(conn, batch_id, now)

    async def cancel_broadcast(self, batch_id: int) -> bool:
        async with self._writing() as conn:
            changed = await run(
                conn,
                """UPDATE delivery_batches SET state = 'cancelled'
                WHERE id = ? AND kind = 'broadcast' AND state = 'draft'""",
                (batch_id,),
            )
        return changed > 0

    async def broadcasts_awaiting_report(self) -> list[FinishedBroadcast]:
        """Queued broadcasts with no open row left whose report was not queued yet."""
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                """SELECT r.batch_id, r.chat_id, r.lang FROM delivery_reports r
                JOIN delivery_batches b ON b.id = r.batch_id
                WHERE b.state = 'queued' AND r.report_batch_id IS NULL AND NOT EXISTS (
                    SELECT 1 FROM deliveries d WHERE d.batch_id = b.id AND d.status IN ('pending', 'sending'))
                ORDER BY r.batch_id""",
            )
            return [
                FinishedBroadcast(row["batch_id"], row["chat_id"], row["lang"], await _counts(conn, row["batch_id"]))
                for row in rows
            ]

    async def enqueue_report(self, broadcast_id: int, text: str, now: dt.datetime) -> int | None:
        """Queue the report of a finished broadcast to whoever asked for it, once; the report's batch id."""
        async with self._writing() as conn:
            row = await fetch_one(
                conn,
                "SELECT chat_id, lang FROM delivery_reports WHERE batch_id = ? AND report_batch_id IS NULL",
                (broadcast_id,),
            )
            if row is None:
                return None
            report_id = await new_batch(conn, "report", {row["lang"]: text}, now, subject=f"broadcast:{broadcast_id}")
            await run(
                conn,
                "INSERT INTO deliveries (batch_id, chat_id, lang, updated_at) VALUES (?, ?, ?, ?)",
                (report_id, row["chat_id"], row["lang"], to_db(now)),
            )
            await run(
                conn, "UPDATE delivery_reports SET report_batch_id = ? WHERE batch_id = ?", (report_id, broadcast_id)
            )
        return report_id

    async def enqueue_staff_note(
        self,
        texts: Mapping[str, str] | None,
        recipients: Iterable[tuple[int, str]],
        now: dt.datetime,
        *,
        subject: str,
        state: Mapping[str, str],
    ) -> int | None:
        """A digest or note to staff members' private chats, each in their language (chat id, lang), and the
        bookkeeping that says it was done, in one unit of work (so it is queued once whatever happens). With no
        `texts` (nothing to report) only the bookkeeping is recorded. Returns the batch id."""
        async with self._writing() as conn:
            batch_id = None
            if texts:
                batch_id = await new_batch(conn, "digest", texts, now, subject=subject)
                for chat_id, lang in sorted(set(recipients)):
                    await run(
                        conn,
                        "INSERT INTO deliveries (batch_id, chat_id, lang, updated_at) VALUES (?, ?, ?, ?)",
                        (batch_id, chat_id, lang, to_db(now)),
                    )
            for key, value in state.items():
                await write_staff_state(conn, key, value)
        return batch_id

    async def batch_counts(self, batch_id: int) -> BatchCounts:
        async with self._reading() as conn:
            return await _counts(conn, batch_id)

    # -- the delivery engine's steps ------------------------------------------------------------------------------

    async def settle_interrupted(self, run_id: str, now: dt.datetime) -> int:
        """Rows another run claimed and never resolved become `unconfirmed`: presumed delivered."""
        async with self._writing() as conn:
            return await run(
                conn,
                """UPDATE deliveries SET status = 'unconfirmed', error = ?, updated_at = ?
                WHERE status = 'sending' AND claimed_by IS NOT ?""",
                (SETTLED_UNCONFIRMED, to_db(now), run_id),
            )

    async def pending_deliveries(self, *, after_id: int = 0, limit: int = 500) -> list[PendingDelivery]:
        """Pending rows in ledger order, each with its text in the recipient's language."""
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                """SELECT d.id, d.batch_id, d.chat_id, d.lang, d.attempts,
                    COALESCE(json_extract(b.texts, '$.' || d.lang), json_extract(b.texts, '$.en'),
                             json_extract(b.texts, '$.it')) AS text
                FROM deliveries d JOIN delivery_batches b ON b.id = d.batch_id
                WHERE d.status = 'pending' AND d.id > ? AND b.state = 'queued' ORDER BY d.id LIMIT ?""",
                (after_id, limit),
            )
        return [
            PendingDelivery(r["id"], r["batch_id"], r["chat_id"], r["lang"], r["text"], r["attempts"]) for r in rows
        ]

    async def claim_delivery(self, delivery_id: int, run_id: str, now: dt.datetime) -> bool:
        """Mark a pending row `sending` right before its request. False if it is no longer pending, or if its
        chat unsubscribed since it was queued (then it is dropped: nobody gets what they asked to stop)."""
        async with self._writing() as conn:
            row = await fetch_one(
                conn,
                """SELECT b.kind, EXISTS (SELECT 1 FROM subscriptions s
                    WHERE s.chat_id = d.chat_id AND s.unsubscribed_at IS NULL) AS active
                FROM deliveries d JOIN delivery_batches b ON b.id = d.batch_id
                WHERE d.id = ? AND d.status = 'pending'""",
                (delivery_id,),
            )
            if row is None:
                return False
            if row["kind"] in FOR_SUBSCRIBERS and not row["active"]:
                await _set_status(conn, delivery_id, "dropped", "unsubscribed before delivery", now)
                return False
            await run(
                conn,
                "UPDATE deliveries SET status = 'sending', claimed_by = ?, updated_at = ? WHERE id = ?",
                (run_id, to_db(now), delivery_id),
            )
        return True

    async def confirm_delivery(self, delivery_id: int, message_id: int, now: dt.datetime) -> None:
        """Telegram answered with the message: the row is sent, for good."""
        async with self._writing() as conn:
            await run(
                conn,
                "UPDATE deliveries SET status = 'sent', message_id = ?, error = NULL, updated_at = ? WHERE id = ?",
                (message_id, to_db(now), delivery_id),
            )

    async def release_delivery(self, delivery_id: int, error: str, now: dt.datetime, *, attempt: bool = True) -> None:
        """Telegram certainly did not take the message (429, refused connection...): pending again."""
        async with self._writing() as conn:
            await run(
                conn,
                """UPDATE deliveries SET status = 'pending', error = ?, updated_at = ?, attempts = attempts + ?
                WHERE id = ? AND status = 'sending'""",
                (storable_text(error), to_db(now), int(attempt), delivery_id),
            )

    async def close_delivery(self, delivery_id: int, status: str, error: str, now: dt.datetime) -> None:
        """A final outcome other than sent: failed (Telegram refused this message) or unconfirmed."""
        if status not in ("failed", "unconfirmed", "dropped"):
            raise ValueError(f"not a closing status: {status!r}")
        async with self._writing() as conn:
            await _set_status(conn, delivery_id, status, error, now)

    async def block_delivery(self, delivery_id: int, chat_id: int, reason: str, error: str, now: dt.datetime) -> None:
        """The chat blocked the bot or is gone: the row is `blocked` and the chat unsubscribed, with the reason,
        in the same unit of work (its later rows are then dropped at claim time)."""
        async with self._writing() as conn:
            await _set_status(conn, delivery_id, "blocked", error, now)
            await run(
                conn,
                """UPDATE subscriptions SET unsubscribed_at = ?, unsubscribe_reason = ?
                WHERE chat_id = ? AND unsubscribed_at IS NULL""",
                (to_db(now), reason, chat_id),
            )


async def new_batch(
    conn: aiosqlite.Connection,
    kind: str,
    texts: Mapping[str, str],
    now: dt.datetime,
    *,
    subject: str | None = None,
    state: str = "queued",
) -> int:
    clean = {lang: storable_text(text) for lang, text in texts.items()}
    return await insert(
        conn,
        "INSERT INTO delivery_batches (kind, subject, texts, state, created_at) VALUES (?, ?, ?, ?, ?)",
        (kind, subject, json.dumps(clean, ensure_ascii=False), state, to_db(now)),
    )


async def _add_subscribers(conn: aiosqlite.Connection, batch_id: int, now: dt.datetime) -> int:
    return await run(
        conn, f"INSERT INTO deliveries (batch_id, chat_id, lang, updated_at) {_SUBSCRIBER_ROWS}", (batch_id, to_db(now))
    )


async def _any_key_recorded(conn: aiosqlite.Connection, keys: Sequence[str]) -> bool:
    if not keys:
        return False
    row = await fetch_one(
        conn, "SELECT 1 FROM reminder_keys WHERE key IN (SELECT value FROM json_each(?))", (json.dumps(list(keys)),)
    )
    return row is not None


async def _record_keys(conn: aiosqlite.Connection, keys: Iterable[str], batch_id: int | None, now: dt.datetime) -> None:
    for key in keys:
        await run(
            conn,
            "INSERT OR IGNORE INTO reminder_keys (key, batch_id, recorded_at) VALUES (?, ?, ?)",
            (key, batch_id, to_db(now)),
        )


async def _set_status(conn: aiosqlite.Connection, delivery_id: int, status: str, error: str, now: dt.datetime) -> None:
    await run(
        conn,
        "UPDATE deliveries SET status = ?, error = ?, updated_at = ? WHERE id = ?",
        (status, storable_text(error), to_db(now), delivery_id),
    )


async def _counts(conn: aiosqlite.Connection, batch_id: int) -> BatchCounts:
    rows = await fetch_all(
        conn, "SELECT status, COUNT(*) AS n FROM deliveries WHERE batch_id = ? GROUP BY status", (batch_id,)
    )
    by_status = {row["status"]: row["n"] for row in rows}
    return BatchCounts(
        sent=by_status.get("sent", 0),
        unconfirmed=by_status.get("unconfirmed", 0),
        blocked=by_status.get("blocked", 0),
        failed=by_status.get("failed", 0),
        dropped=by_status.get("dropped", 0),
        open=sum(by_status.get(status, 0) for status in OPEN),
    )


_CHANGE_DRAFT = """SELECT b.id, b.subject, b.texts, c.lineage, c.previous_day, c.previous_time
    FROM delivery_batches b JOIN change_drafts c ON c.batch_id = b.id"""


def _change_draft(row: sqlite3.Row) -> ChangeDraft:
    previous = _day_time(row["previous_day"], row["previous_time"])
    return ChangeDraft(row["id"], row["subject"], json.loads(row["texts"]), row["lineage"], previous)


async def _cancel_draft(conn: aiosqlite.Connection, batch_id: int) -> bool:
    changed = await run(
        conn,
        "UPDATE delivery_batches SET state = 'cancelled' WHERE id = ? AND kind = 'change' AND state = 'draft'",
        (batch_id,),
    )
    if changed:
        await run(conn, "DELETE FROM reminder_keys WHERE batch_id = ?", (batch_id,))
    return changed > 0


def _day_time(day: str, time: str | None) -> DayTime:
    return dt.date.fromisoformat(day), None if time is None else dt.time.fromisoformat(time)

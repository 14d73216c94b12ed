"""What staff change in the knowledge base: each change (who, when, what, the files before and after, so it can be
undone), the answer a staff member is writing, and small facts staff notes remember (the last digest...).

A change is `pending` while staff look at its preview, then `applied` (or `cancelled`); undoing it applies a new
change of kind `undo` and marks the original `undone`, in one unit of work. Moving out of `pending` happens once:
a second tap on Confirm changes nothing.
"""

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import aiosqlite

from bot.storage.base import StorageBase
from bot.storage.sqlutil import fetch_all, fetch_one, insert, run, storable_text
from bot.storage.timefmt import from_db, opt_from_db, to_db

ChangeKind = Literal["phrasing", "entry", "workbook", "undo"]
#: Applied changes whose files are kept for undo; older ones keep who, when and what, not the texts.
UNDOABLE_CHANGES = 50


@dataclass(frozen=True)
class ChangeRecord:
    id: int
    user_id: int | None  # None: made on the command line
    kind: ChangeKind
    summary: str
    files: str  # the change as JSON (bot.editing.changes.Change.to_json), "[]" once pruned
    effects: dict[str, Any]  # what applying it also does: unanswered ids it resolves, the entry that answers them
    state: str
    created_at: datetime
    applied_at: datetime | None
    undone_at: datetime | None
    undoes: int | None


class StaffEditsMixin(StorageBase):
    # -- knowledge-base changes -----------------------------------------------------------------------------------

    async def create_change(
        self,
        *,
        user_id: int | None,
        kind: ChangeKind,
        summary: str,
        files: str,
        effects: dict[str, Any],
        now: datetime,
        undoes: int | None = None,
    ) -> int:
        """A change waiting for confirmation. Other pending changes older than a day lose their texts."""
        async with self._writing() as conn:
            await run(
                conn,
                """UPDATE knowledge_changes SET state = 'cancelled', files = '[]'
                WHERE state = 'pending' AND created_at < ?""",
                (to_db(now - timedelta(days=1)),),
            )
            return await insert(
                conn,
                """INSERT INTO knowledge_changes (user_id, kind, summary, files, effects, created_at, undoes)
                VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (user_id, kind, storable_text(summary), files, json.dumps(effects), to_db(now), undoes),
            )

    async def knowledge_change(self, change_id: int) -> ChangeRecord | None:
        async with self._reading() as conn:
            row = await fetch_one(conn, "SELECT * FROM knowledge_changes WHERE id = ?", (change_id,))
        return None if row is None else _change(row)

    async def mark_change_applied(self, change_id: int, now: datetime) -> bool:
        """pending -> applied (and what it undoes -> undone), once; old changes' texts are then pruned."""
        async with self._writing() as conn:
            changed = await run(
                conn,
                "UPDATE knowledge_changes SET state = 'applied', applied_at = ? WHERE id = ? AND state = 'pending'",
                (to_db(now), change_id),
            )
            if not changed:
                return False
            await run(
                conn,
                """UPDATE knowledge_changes SET state = 'undone', undone_at = ?1
                WHERE id = (SELECT undoes FROM knowledge_changes WHERE id = ?2) AND state = 'applied'""",
                (to_db(now), change_id),
            )
            await run(
                conn,
                """UPDATE knowledge_changes SET files = '[]' WHERE files != '[]' AND state != 'pending' AND id NOT IN
                (SELECT id FROM knowledge_changes WHERE state != 'pending' ORDER BY id DESC LIMIT ?)""",
                (UNDOABLE_CHANGES,),
            )
        return True

    async def cancel_change(self, change_id: int) -> bool:
        async with self._writing() as conn:
            changed = await run(
                conn,
                "UPDATE knowledge_changes SET state = 'cancelled', files = '[]' WHERE id = ? AND state = 'pending'",
                (change_id,),
            )
        return changed > 0

    async def last_undoable_change(self) -> ChangeRecord | None:
        """The most recent applied change that is not itself an undo and was not undone."""
        async with self._reading() as conn:
            row = await fetch_one(
                conn,
                """SELECT * FROM knowledge_changes WHERE state = 'applied' AND kind != 'undo'
                ORDER BY id DESC LIMIT 1""",
            )
        return None if row is None else _change(row)

    async def recent_changes(self, limit: int = 10) -> list[ChangeRecord]:
        """Applied and undone changes, newest first (the record of who changed what, and when)."""
        async with self._reading() as conn:
            rows = await fetch_all(
                conn,
                """SELECT * FROM knowledge_changes WHERE state IN ('applied', 'undone')
                ORDER BY id DESC LIMIT ?""",
                (limit,),
            )
        return [_change(row) for row in rows]

    # -- the answer a staff member is writing ---------------------------------------------------------------------

    async def save_draft(self, user_id: int, data: dict[str, Any], now: datetime) -> None:
        async with self._writing() as conn:
            await run(
                conn,
                """INSERT INTO staff_drafts (user_id, data, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at""",
                (user_id, storable_text(json.dumps(data, ensure_ascii=False)), to_db(now)),
            )

    async def draft(self, user_id: int) -> dict[str, Any] | None:
        async with self._reading() as conn:
            row = await fetch_one(conn, "SELECT data FROM staff_drafts WHERE user_id = ?", (user_id,))
        return None if row is None else dict(json.loads(row["data"]))

    async def drop_draft(self, user_id: int) -> bool:
        async with self._writing() as conn:
            return await run(conn, "DELETE FROM staff_drafts WHERE user_id = ?", (user_id,)) > 0

    # -- what staff notes remember ---------------------------------------------------------------------------------

    async def staff_state(self, key: str) -> str | None:
        async with self._reading() as conn:
            row = await fetch_one(conn, "SELECT value FROM staff_state WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set_staff_state(self, values: dict[str, str]) -> None:
        async with self._writing() as conn:
            for key, value in values.items():
                await write_staff_state(conn, key, value)


async def write_staff_state(conn: aiosqlite.Connection, key: str, value: str) -> None:
    """Within a unit of work of another part of the storage (e.g. with the note it records)."""
    await run(
        conn,
        "INSERT INTO staff_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _change(row: sqlite3.Row) -> ChangeRecord:
    return ChangeRecord(
        id=row["id"],
        user_id=row["user_id"],
        kind=row["kind"],
        summary=row["summary"],
        files=row["files"],
        effects=dict(json.loads(row["effects"])),
        state=row["state"],
        created_at=from_db(row["created_at"]),
        applied_at=opt_from_db(row["applied_at"]),
        undone_at=opt_from_db(row["undone_at"]),
        undoes=row["undoes"],
    )

"""The last knowledge base the bot served, kept so that it can start on it when the files on disk have errors."""

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from bot.storage.base import StorageBase
from bot.storage.sqlutil import fetch_one, run
from bot.storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class KnowledgeSnapshot:
    files: Mapping[str, bytes]  # file name -> content
    digest: str
    saved_at: dt.datetime


class KnowledgeMixin(StorageBase):
    async def save_knowledge_snapshot(self, files: Mapping[str, bytes], digest: str, now: dt.datetime) -> bool:
        """Keep `files` as the last good version; False when that exact version is already kept."""
        texts = {name: data.decode("utf-8") for name, data in files.items()}  # a valid knowledge base is UTF-8
        async with self._writing() as conn:
            row = await fetch_one(conn, "SELECT digest FROM knowledge_snapshot WHERE id = 1")
            if row is not None and row["digest"] == digest:
                return False
            await run(
                conn,
                """INSERT INTO knowledge_snapshot (id, digest, files, saved_at) VALUES (1, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET digest = excluded.digest, files = excluded.files,
                saved_at = excluded.saved_at""",
                (digest, json.dumps(texts, ensure_ascii=False), to_db(now)),
            )
        return True

    async def knowledge_snapshot(self) -> KnowledgeSnapshot | None:
        async with self._reading() as conn:
            row = await fetch_one(conn, "SELECT digest, files, saved_at FROM knowledge_snapshot WHERE id = 1")
        if row is None:
            return None
        files = {name: text.encode("utf-8") for name, text in json.loads(row["files"]).items()}
        return KnowledgeSnapshot(files, row["digest"], from_db(row["saved_at"]))

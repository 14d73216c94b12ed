"""The running bot's heartbeat: a small file beside the database that the bot rewrites every few seconds.

`python -m bot health` (and Docker's HEALTHCHECK) reads it from another process; the webhook server's `/health`
reads the same state in-process. A heartbeat is written only while the event loop runs its jobs and the database
answers, so a fresh one means the bot is serving; a clean stop removes it.
"""

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

INTERVAL_SECONDS = 15.0
STALE_AFTER = dt.timedelta(seconds=4 * INTERVAL_SECONDS)


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    mode: str  # "polling" or "webhook"
    started_at: str  # ISO-8601 UTC
    at: str

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - dt.datetime.fromisoformat(self.at)

    def healthy(self, now: dt.datetime) -> bool:
        return dt.timedelta(seconds=-5) <= self.age(now) <= STALE_AFTER


def heartbeat_path(database: Path) -> Path:
    return database.with_name(database.name + ".heartbeat")


def write_heartbeat(path: Path, beat: Heartbeat) -> None:
    """Atomically, so a reader never sees half a file."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(asdict(beat)), encoding="utf-8")
    os.replace(partial, path)


def read_heartbeat(path: Path) -> Heartbeat | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Heartbeat(int(data["pid"]), str(data["mode"]), str(data["started_at"]), str(data["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def health_report(path: Path, now: dt.datetime) -> tuple[bool, str]:
    """(healthy, one line for an operator)."""
    beat = read_heartbeat(path)
    if beat is None:
        return False, f"unhealthy: no heartbeat at {path} (is the bot running with this BOT_DATABASE?)"
    seconds = int(beat.age(now).total_seconds())
    if not beat.healthy(now):
        return False, f"unhealthy: last heartbeat {seconds} s ago (pid {beat.pid}, {beat.mode}): stuck or stopped"
    return True, f"healthy: {beat.mode} since {beat.started_at}, pid {beat.pid}, last heartbeat {seconds} s ago"

"""Immutable rows handed to the bot layer, so nothing outside the storage touches sqlite3.Row."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Status = Literal["open", "resolved", "ignored"]
STATUSES: tuple[Status, ...] = ("open", "resolved", "ignored")


@dataclass(frozen=True)
class UserRecord:
    """chosen_lang is the user's explicit choice; telegram_lang is only the client's hint."""

    user_id: int
    chosen_lang: str | None
    telegram_lang: str | None
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class UnansweredRecord:
    """A question the bot could not answer, kept verbatim for staff review."""

    id: int
    user_id: int | None  # None once anonymised
    text: str
    lang: str
    asked_at: datetime
    candidates: tuple[tuple[str, float], ...]
    status: Status


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    user_id: int | None  # None once anonymised
    message_key: str
    entry_id: str | None
    question: str | None
    lang: str
    vote: int  # +1 or -1
    voted_at: datetime


@dataclass(frozen=True)
class QuestionStats:
    """Counts over [since, until); by_lang maps language -> outcome -> count, zeros included."""

    since: datetime
    until: datetime
    total: int
    by_outcome: Mapping[str, int]
    by_lang: Mapping[str, Mapping[str, int]]
    top_entries: tuple[tuple[str, int], ...]  # answered entries, most asked first


@dataclass(frozen=True)
class Subscriber:
    chat_id: int
    lang: str
    since: datetime


@dataclass(frozen=True)
class SubscriptionRecord:
    """A subscription row, active or not; the reason tells staff why people leave (e.g. "blocked")."""

    chat_id: int
    lang: str
    subscribed_at: datetime
    unsubscribed_at: datetime | None
    unsubscribe_reason: str | None

    @property
    def active(self) -> bool:
        return self.unsubscribed_at is None

"""Datetimes as fixed-width ISO-8601 UTC text, so SQL can compare and sort them as strings."""

from datetime import UTC, datetime


def to_db(moment: datetime) -> str:
    """Refuse naive datetimes: a guessed timezone would silently shift every statistic."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {moment!r}")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text)


def opt_from_db(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)

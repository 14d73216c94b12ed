"""Persistence for the bot: users, questions, feedback, subscriptions, with privacy built in."""

from bot.storage.answer_requests import AnswerRequest
from bot.storage.errors import (
    DatabaseFileGoneError,
    DatabaseLockedError,
    MigrationError,
    ReadOnlyDatabaseError,
    SchemaVersionError,
    StorageError,
    UnstorableValueError,
)
from bot.storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from bot.storage.records import (
    STATUSES,
    FeedbackRecord,
    QuestionStats,
    Status,
    Subscriber,
    SubscriptionRecord,
    UnansweredRecord,
    UserRecord,
)
from bot.storage.staff_edits import ChangeKind, ChangeRecord
from bot.storage.store import Storage

__all__ = [
    "LATEST_VERSION",
    "MIGRATIONS",
    "STATUSES",
    "AnswerRequest",
    "ChangeKind",
    "ChangeRecord",
    "DatabaseFileGoneError",
    "DatabaseLockedError",
    "FeedbackRecord",
    "Migration",
    "MigrationError",
    "QuestionStats",
    "ReadOnlyDatabaseError",
    "SchemaVersionError",
    "Status",
    "Storage",
    "StorageError",
    "Subscriber",
    "SubscriptionRecord",
    "UnansweredRecord",
    "UnstorableValueError",
    "UserRecord",
]

"""The Storage facade the bot uses; each concern lives in its own mixin module."""

from bot.storage.answer_requests import AnswerRequestsMixin
from bot.storage.deliveries import DeliveriesMixin
from bot.storage.feedback import FeedbackMixin
from bot.storage.knowledge import KnowledgeMixin
from bot.storage.privacy import PrivacyMixin
from bot.storage.questions import QuestionsMixin
from bot.storage.staff_edits import StaffEditsMixin
from bot.storage.stats import StatsMixin
from bot.storage.subscriptions import SubscriptionsMixin
from bot.storage.users import UsersMixin


class Storage(
    UsersMixin,
    QuestionsMixin,
    FeedbackMixin,
    StatsMixin,
    SubscriptionsMixin,
    DeliveriesMixin,
    AnswerRequestsMixin,
    StaffEditsMixin,
    PrivacyMixin,
    KnowledgeMixin,
):
    """SQLite storage. Open with `await Storage.open(path)`; every failure raises StorageError.

    All times are timezone-aware datetimes passed in by the caller, so tests can inject time.
    """

"""What handlers need, built once and passed in through `application.bot_data`, never imported as globals."""

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from telegram import Update
from telegram.ext import ContextTypes

from bot.assistant import Assistant
from bot.config import Config
from bot.i18n import Catalogs
from bot.live import LiveAssistant
from bot.storage import Storage, StorageError

log = logging.getLogger(__name__)
T = TypeVar("T")
ButtonHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
SERVICES_KEY = "services"


class RecentQuestions:
    """The question each recent answer replied to, so a 👎 can be stored with it. Bounded; lost on restart."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._items: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._capacity = capacity

    def remember(self, chat_id: int, message_id: int, question: str) -> None:
        self._items[(chat_id, message_id)] = question
        while len(self._items) > self._capacity:
            self._items.popitem(last=False)

    def get(self, chat_id: int, message_id: int) -> str:
        return self._items.get((chat_id, message_id), "")


@dataclass
class Services:
    config: Config
    live: LiveAssistant
    storage: Storage
    catalogs: Catalogs
    clock: Callable[[], dt.datetime]
    recent: RecentQuestions = field(default_factory=RecentQuestions)
    # Button actions other modules handle (staff, subscriptions), by callback action letter: every button press
    # goes through one handler, so forged or unknown data always gets the same "no longer valid" answer.
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)

    @property
    def assistant(self) -> Assistant:
        return self.live.current

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.config.staff_ids

    async def store(self, what: str, action: Callable[[], Awaitable[T]]) -> T | None:
        """Run a storage call; if the database fails, log loudly and let the user still get an answer."""
        try:
            return await action()
        except StorageError:
            log.exception("DATABASE FAILURE while trying to %s; the bot keeps answering without it", what)
            return None


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES_KEY]

"""What every handler gets: the services, built once in app.py, and the reader's language, on a custom context.

`BotContext` is python-telegram-bot's custom `CallbackContext` (registered with `ContextTypes(context=...)`), so
handlers write `context.services` and `context.tr` instead of digging in `bot_data` and working out the language.
"""

import datetime as dt
import logging
import re
import sys
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.assistant import Assistant
from bot.clock import Clock
from bot.config import Config
from bot.i18n import Catalogs, Translator
from bot.language import choose_language
from bot.live import LiveAssistant
from bot.matching.text import MAX_ANALYSED_CHARS
from bot.storage import Storage, StorageError, UnstorableValueError

log = logging.getLogger(__name__)
T = TypeVar("T")

SERVICES_KEY = "services"
LANG_KEY = "lang"  # user_data: the user's stored language choice (None: automatic)
#: An IETF language tag as Telegram sends it ("it", "en-GB", "pt-br"); anything else is not one.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")


def telegram_language(code: str | None) -> str | None:
    """The language of the user's Telegram app, or None when what the update says is not a language tag (a
    forged update can put anything there, of any length, and it is stored)."""
    return code if code is not None and len(code) <= 35 and _LANGUAGE_TAG.fullmatch(code) else None


class _CappedQuestions:
    """Questions by (chat, number), lost on restart. Only what the matcher reads of a question is kept (its first
    MAX_ANALYSED_CHARS characters), and the map is capped in bytes, the oldest dropped first, so long questions
    cannot make it grow past `max_bytes`."""

    ENTRY_OVERHEAD = 200  # bytes per entry besides the text: the key tuple, its ints, the map's own slot

    def __init__(self, max_bytes: int) -> None:
        self._items: OrderedDict[tuple[int, int], tuple[str, dt.datetime | None]] = OrderedDict()  # oldest first
        self._max_bytes = max_bytes
        self._bytes = 0

    def _keep(self, key: tuple[int, int], question: str, when: dt.datetime | None = None) -> None:
        question = question[:MAX_ANALYSED_CHARS]
        self._forget(key)
        self._items[key] = (question, when)
        self._bytes += self._size(question)
        while self._bytes > self._max_bytes and self._items:
            self._forget(next(iter(self._items)))

    def _text(self, key: tuple[int, int]) -> str:
        item = self._items.get(key)
        return item[0] if item else ""

    def _forget(self, key: tuple[int, int]) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self._bytes -= self._size(item[0])

    def _size(self, question: str) -> int:
        return sys.getsizeof(question) + self.ENTRY_OVERHEAD

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)


class RecentQuestions(_CappedQuestions):
    """The question each recent answer replied to, so a 👎 can be stored with it."""

    def __init__(self, max_bytes: int = 4 * 1024 * 1024) -> None:
        super().__init__(max_bytes)

    def remember(self, chat_id: int, message_id: int, question: str) -> None:
        self._keep((chat_id, message_id), question)

    def get(self, chat_id: int, message_id: int) -> str:
        return self._text((chat_id, message_id))


class EarlierQuestions(_CappedQuestions):
    """Each reader's last question in a chat, for `ttl`, so a follow-up ("e a che ora finiva?") is read with it. A
    question older than `ttl` is dropped as soon as the map is next used."""

    def __init__(self, ttl: dt.timedelta = dt.timedelta(minutes=15), max_bytes: int = 4 * 1024 * 1024) -> None:
        super().__init__(max_bytes)
        self._ttl = ttl

    def remember(self, chat_id: int, user_id: int, question: str, now: dt.datetime) -> None:
        self._keep((chat_id, user_id), question, now)
        self._expire(now)

    def get(self, chat_id: int, user_id: int, now: dt.datetime) -> str:
        """The reader's last question in this chat, if asked within `ttl`; else ""."""
        self._expire(now)
        return self._text((chat_id, user_id))

    def forget_user(self, user_id: int) -> None:
        for key in [key for key in self._items if key[1] == user_id]:
            self._forget(key)

    def _expire(self, now: dt.datetime) -> None:
        while self._items:
            key, (_, asked_at) = next(iter(self._items.items()))
            if asked_at is not None and now - asked_at <= self._ttl:
                return
            self._forget(key)


class RecentUsers:
    """Per-user data of the users seen most recently, served as `BotContext.user_data`.

    python-telegram-bot keeps a dict for every user it ever saw (20,000 users, 20,000 dicts, never freed). What the
    bot keeps per user is a cache of the database (the reader's language choice, when the visit was last recorded),
    so the least recently seen users are forgotten past `capacity`: their next update reads the database again.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._data: OrderedDict[int, dict[Any, Any]] = OrderedDict()
        self._capacity = capacity

    def of(self, user_id: int) -> dict[Any, Any]:
        data = self._data.get(user_id)
        if data is None:
            data = self._data[user_id] = {}
            if len(self._data) > self._capacity:
                self._data.popitem(last=False)
        else:
            self._data.move_to_end(user_id)
        return data

    def __len__(self) -> int:
        return len(self._data)


@dataclass
class Services:
    """Built once per application and passed in, never imported as globals."""

    config: Config
    live: LiveAssistant
    catalogs: Catalogs
    clock: Clock
    database: Storage | None = None  # opened when the application starts, unless a test passes one in
    recent: RecentQuestions = field(default_factory=RecentQuestions)
    earlier: EarlierQuestions = field(default_factory=EarlierQuestions)
    users: RecentUsers = field(default_factory=RecentUsers)

    @property
    def storage(self) -> Storage:
        if self.database is None:
            raise RuntimeError("the database is opened when the application starts")
        return self.database

    @property
    def assistant(self) -> Assistant:
        return self.live.current

    async def staff_translator(self, staff_id: int) -> Translator:
        """The words for a staff member the bot writes to unasked (reports, previews): their /lang choice, else their
        Telegram app's language, else BOT_STAFF_LANG, else Italian."""
        user = await self.store("read a staff member's language", lambda: self.storage.get_user(staff_id))
        lang = choose_language(
            explicit=user.chosen_lang if user else None,
            detected=None,
            telegram=user.telegram_lang if user else None,
            default=self.config.staff_lang or "it",
        )
        return self.catalogs[lang]

    async def store(self, what: str, action: Callable[[], Awaitable[T]]) -> T | None:
        """Run a storage call; if the database fails, log loudly and let the user still get an answer."""
        try:
            return await action()
        except UnstorableValueError as exc:
            log.warning("could not %s: %s", what, exc)
            return None
        except StorageError:
            log.exception("DATABASE FAILURE while trying to %s; the bot keeps answering without it", what)
            return None


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The context of one update: the services, and the language of the bot's own words for its reader."""

    _client_lang: str | None = None
    _reader_id: int | None = None

    @classmethod
    def from_update(
        cls, update: object, application: "Application[Any, BotContext, Any, Any, Any, Any]"
    ) -> "BotContext":
        context = super().from_update(update, application)
        if isinstance(update, Update) and update.effective_user is not None:
            context._reader_id = update.effective_user.id
            context._client_lang = telegram_language(update.effective_user.language_code)
        return context

    @property
    def user_data(self) -> dict[Any, Any] | None:
        """The reader's cached data, from the bounded `Services.users` (not python-telegram-bot's unbounded map)."""
        return None if self._reader_id is None else self.services.users.of(self._reader_id)

    @user_data.setter
    def user_data(self, _: object) -> NoReturn:
        raise AttributeError("user_data cannot be replaced; change its contents instead")

    @property
    def services(self) -> Services:
        services: Services = self.bot_data[SERVICES_KEY]
        return services

    @property
    def button(self) -> re.Match[str]:
        """What the pressed button's data matched: the groups of its feature's `callbacks.pattern`."""
        if not self.matches:
            raise TypeError("no button pattern matched this update")
        return self.matches[0]

    @property
    def chosen_lang(self) -> str | None:
        """The language the reader chose with /lang (None: automatic); read from the database by reader.py."""
        return self.user_data.get(LANG_KEY) if self.user_data is not None else None

    @property
    def client_lang(self) -> str | None:
        """The reader's Telegram app language, a hint only."""
        return self._client_lang

    @property
    def tr(self) -> Translator:
        """The bot's own words for this reader (no question to read a language from)."""
        lang = choose_language(explicit=self.chosen_lang, detected=None, telegram=self._client_lang)
        return self.services.catalogs[lang]


#: The application app.py builds (its JobQueue parameter stays PTB's default: the builder does not narrow it).
BotApplication = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]


def job_queue(application: BotApplication) -> JobQueue[BotContext]:
    if application.job_queue is None:
        raise RuntimeError("the JobQueue is missing: install python-telegram-bot[job-queue]")
    return application.job_queue

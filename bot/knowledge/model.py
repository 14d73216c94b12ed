"""Immutable knowledge-base objects: what the matcher, the assistant and the reminders read."""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from zoneinfo import ZoneInfo

LANGUAGES: tuple[str, ...] = ("it", "en")
#: The Babel locale that writes dates for each language.
BABEL_LOCALES = {"it": "it_IT", "en": "en_GB"}
#: {date:ID}, {time:ID} and {countdown:ID} in answers: computed from the dates for the reader and the moment.
PLACEHOLDER = re.compile(r"\{([a-z_]+):([^{}]*)\}")
PLACEHOLDER_KINDS = ("date", "time", "countdown")
SMALLTALK_TOPIC = "smalltalk"
#: Questions staff want declined ("who won the call?"): matched like any entry, answered with "I don't know".
OUT_OF_SCOPE_TOPIC = "out-of-scope"


@dataclass(frozen=True)
class Bilingual:
    """A text in every supported language."""

    it: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.it


@dataclass(frozen=True)
class Source:
    id: str
    title: Bilingual
    url: str | None = None
    published: dt.date | None = None


@dataclass(frozen=True)
class KeyDate:
    """A deadline or an event; answers and reminders compute from it, nobody types its date twice."""

    id: str
    kind: str  # "deadline" | "event"
    day: dt.date
    title: Bilingual
    sources: tuple[str, ...] = ()
    time: dt.time | None = None
    end_time: dt.time | None = None
    timezone: str | None = None
    replaces: str | None = None
    reminders: tuple[int, ...] = ()

    def moment(self, default_timezone: str) -> dt.datetime:
        """The instant it happens; a deadline without a time lasts until the end of its day."""
        zone = ZoneInfo(self.timezone or default_timezone)
        if self.time is not None:
            return dt.datetime.combine(self.day, self.time, zone)
        if self.kind == "deadline":
            next_day = dt.datetime.combine(self.day + dt.timedelta(days=1), dt.time(0), zone)
            return next_day - dt.timedelta(microseconds=1)
        return dt.datetime.combine(self.day, dt.time(0), zone)


@dataclass(frozen=True)
class Entry:
    id: str
    topic: str
    questions: Mapping[str, tuple[str, ...]]
    answer: Bilingual | None
    sources: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    file: str = ""
    line: int = 0

    @property
    def declined(self) -> bool:
        """An out-of-scope entry: it exists so that such questions get "I don't know" rather than a near match."""
        return self.topic == OUT_OF_SCOPE_TOPIC

    def label(self, lang: str) -> str:
        """The entry's canonical question, used on buttons."""
        return self.questions[lang][0]


@dataclass(frozen=True)
class Topic:
    id: str
    title: Bilingual
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]
    topics: tuple[Topic, ...]
    sources: Mapping[str, Source]
    dates: Mapping[str, KeyDate]
    synonyms: tuple[tuple[str, ...], ...] = ()
    ignore: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("entries", "sources", "dates"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def answerable(self, entry_id: str) -> bool:
        entry = self.entries.get(entry_id)
        return entry is not None and not entry.declined

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def deadlines(self) -> list[KeyDate]:
        return [d for d in self.dates.values() if d.kind == "deadline"]

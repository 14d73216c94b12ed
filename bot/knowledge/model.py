"""The knowledge base's objects, declared once: these classes are both what the bot reads and the schema staff
write in YAML.

Each class is a frozen pydantic dataclass with `extra="forbid"`: its fields are the keys a YAML mapping may have
(an alias where the YAML key differs), its types and validators are the checks, and the loader turns pydantic's
errors into `file:line: reason`. Fields marked `loader_field()` are filled in by the loader, never written by staff.

- A new field: add it to the class (with a default if it is optional). The loader and `validate` follow.
- A new rule for answer texts: add it to `check_answer_text`.
"""

import contextlib
import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import field
from types import MappingProxyType
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic.dataclasses import dataclass
from pydantic_core import PydanticCustomError

LANGUAGES: tuple[str, ...] = ("it", "en")
#: The Babel locale that writes dates for each language.
BABEL_LOCALES = {"it": "it_IT", "en": "en_GB"}
SMALLTALK_TOPIC = "smalltalk"
#: Questions staff want declined ("who won the call?"): matched like any entry, answered with "I don't know".
OUT_OF_SCOPE_TOPIC = "out-of-scope"
#: {date:ID}, {time:ID} and {countdown:ID} in answers: computed from the dates for the reader and the moment.
PLACEHOLDER = re.compile(r"\{([a-z_]+):([^{}]*)\}")
PLACEHOLDER_KINDS = ("date", "time", "countdown")
#: "Yes." / "No!" / "Sì;" / "No" alone: a verdict that does not say what it is about.
BARE_VERDICT = re.compile(r"^\s*(?:yes|no|s[iì]|yep|nope)\s*(?:[.!;?…]|$)", re.IGNORECASE)

SCHEMA = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)
ID_FORMAT = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_URL = re.compile(r"^https?://\S+$")


def problem(message: str) -> PydanticCustomError:
    """A staff-readable reason; "{field}" in it is replaced by the field's name (loader.py does it)."""
    return PydanticCustomError("knowledge", "{message}", {"message": message})


def loader_field(default: Any) -> Any:
    """A field the loader fills in (where an object was read, what it belongs to); not a YAML key."""
    return field(default=default, kw_only=True, metadata={"loader": True})


# -- field types: each is a check, with the message staff read -----------------------------------------------------


def _text(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, bool | int | float | dt.date):
        raise problem(f"expected text, got {value!r} (put it in quotes)")
    raise problem("expected non-empty text")


def _id(value: object) -> str:
    if isinstance(value, str) and ID_FORMAT.match(value):
        return value
    raise problem(f"{{field}} {value!r} must be lower-case letters, digits and dashes")


def _reference(value: object) -> str:
    if isinstance(value, str):
        return value
    raise problem(f"{value!r} is not an id")


def _day(value: object) -> dt.date:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = dt.date.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise problem(f"{{field}} must be a real date like 2017-03-31, got {value!r}")


def _clock_time(value: object) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str) and (match := _TIME.match(value)):
        return dt.time(int(match.group(1)), int(match.group(2)))
    raise problem(f'{{field}} must be a quoted time like "17:00", got {value!r}')


def _time_zone(value: object) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise problem(f"{{field}} {value!r} is not a known time zone (e.g. Europe/Brussels)") from None
    return str(value)


def _url(value: object) -> str:
    if isinstance(value, str) and _URL.match(value):
        return value
    raise problem("{field} must start with http:// or https://")


def _published(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise problem("{field} must be a date like 2016-08-05")


def _kind(value: object) -> str:
    if value in ("deadline", "event"):
        return str(value)
    raise problem(f"{{field}} must be one of deadline, event, got {value!r}")


def check_answer_text(text: str) -> str:
    """Rules for answer texts (both languages). Placeholders must be known kinds; their date ids are checked once
    every file is read. A bare "Yes."/"No." reads as a verdict on whatever was asked, even when the question matched
    only roughly: the answer must say what it answers ("No, the call is not limited to Puglia: ...")."""
    for kind, _ in PLACEHOLDER.findall(text):
        if kind not in PLACEHOLDER_KINDS:
            raise problem(f"unknown placeholder {{{kind}:...}} (use {', '.join(PLACEHOLDER_KINDS)})")
    if BARE_VERDICT.match(text):
        raise problem(
            f"starts with a bare yes/no ({text.split()[0]!r}); say what it answers, e.g. "
            '"No, the call is not limited to Puglia: ..."'
        )
    return text


def _reminder_days(days: object) -> tuple[int, ...]:
    if isinstance(days, list | tuple) and all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 366 for d in days
    ):
        return tuple(sorted(set(days), reverse=True))
    raise problem("{field} must be a list of whole days before the date (0-366)")


Text = Annotated[str, BeforeValidator(_text)]
Id = Annotated[str, BeforeValidator(_id)]
Reference = Annotated[str, BeforeValidator(_reference)]
References = tuple[Reference, ...]
Day = Annotated[dt.date, BeforeValidator(_day)]
ClockTime = Annotated[dt.time, BeforeValidator(_clock_time)]
TimeZone = Annotated[str, BeforeValidator(_time_zone)]
Url = Annotated[str, BeforeValidator(_url)]
Published = Annotated[dt.date, BeforeValidator(_published)]
Kind = Annotated[Literal["deadline", "event"], BeforeValidator(_kind)]
AnswerText = Annotated[Text, AfterValidator(check_answer_text)]
Phrasings = Annotated[tuple[Text, ...], Field(min_length=1)]
ReminderDays = Annotated[tuple[int, ...], BeforeValidator(_reminder_days)]


def _languages(value: object) -> object:
    """A mapping with exactly one value per language."""
    if not isinstance(value, dict):
        raise problem("{field} must map each language (it, en) to a list of questions")
    for lang in value:
        if lang not in LANGUAGES:
            raise problem(f"unknown field {lang!r} (allowed: {', '.join(sorted(LANGUAGES))})")
    for lang in LANGUAGES:
        if lang not in value:
            raise problem(f"missing field {lang!r}")
    return value


#: Every phrasing staff expect, per language; the first is the entry's label on buttons.
Questions = Annotated[dict[str, Phrasings], BeforeValidator(_languages)]


# -- the objects ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, config=SCHEMA)
class Bilingual:
    """A text in every supported language."""

    it: Text
    en: Text

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.it


@dataclass(frozen=True, config=SCHEMA)
class BilingualAnswer(Bilingual):
    """An answer in every supported language, checked by `check_answer_text`."""

    it: AnswerText
    en: AnswerText


@dataclass(frozen=True, config=SCHEMA)
class Source:
    id: Id
    title: Bilingual
    url: Url | None = None
    published: Published | None = None


@dataclass(frozen=True, config=SCHEMA)
class KeyDate:
    """A deadline or an event; answers and reminders compute from it, nobody types its date twice."""

    id: Id
    kind: Kind
    day: Annotated[Day, Field(alias="date")]  # "date" in YAML
    title: Bilingual
    sources: References = ()
    time: ClockTime | None = None
    end_time: ClockTime | None = None
    timezone: TimeZone | None = None
    replaces: Reference | None = None
    reminders: ReminderDays = ()  # days before the date; the schedule's defaults when empty

    def moment(self, default_timezone: str) -> dt.datetime:
        """The instant it happens; a deadline without a time lasts until the end of its day."""
        zone = ZoneInfo(self.timezone or default_timezone)
        if self.time is not None:
            return dt.datetime.combine(self.day, self.time, zone)
        if self.kind == "deadline":
            next_day = dt.datetime.combine(self.day + dt.timedelta(days=1), dt.time(0), zone)
            return next_day - dt.timedelta(microseconds=1)
        return dt.datetime.combine(self.day, dt.time(0), zone)


@dataclass(frozen=True, config=SCHEMA)
class Entry:
    """A question staff answer. Out-of-scope entries have questions only (their reply is "I don't know")."""

    id: Id
    questions: Questions
    answer: BilingualAnswer | None = None
    sources: References = ()
    related: References = ()
    # The answer says that the sources do not give what is asked (a minimum number of partners, an e-mail): an
    # honest "not known", which the evaluation counts as right for questions the sources do not answer.
    not_in_sources: StrictBool = False
    topic: str = loader_field("")
    file: str = loader_field("")
    line: int = loader_field(0)

    @property
    def declined(self) -> bool:
        """An out-of-scope entry: it exists so that such questions get "I don't know" rather than a near match."""
        return self.topic == OUT_OF_SCOPE_TOPIC

    def label(self, lang: str) -> str:
        """The entry's canonical question, used on buttons."""
        return self.questions[lang][0]


#: The keys an out-of-scope entry may have.
DECLINED_ENTRY_FIELDS = ("id", "questions")


@dataclass(frozen=True, config=SCHEMA)
class Topic:
    id: Id
    title: Bilingual
    entry_ids: tuple[str, ...] = loader_field(())


@dataclass(frozen=True, config=SCHEMA)
class Ignore:
    """Words the matcher skips, per language."""

    it: tuple[Text, ...] = ()
    en: tuple[Text, ...] = ()


def _synonym_group(value: object) -> object:
    if isinstance(value, list) and len(value) >= 2:
        return value
    raise problem("each group must be a list of at least two words or phrases")


SynonymGroup = Annotated[tuple[Text, ...], BeforeValidator(_synonym_group)]


@dataclass(frozen=True, config=SCHEMA)
class KnowledgeFile:
    """One YAML file: any of these sections. Items are checked one by one (loader.py), so one mistake does not
    hide the others."""

    topic: dict[str, Any] | None = None
    entries: list[Any] | None = None
    sources: list[Any] = field(default_factory=list)
    dates: list[Any] = field(default_factory=list)
    synonyms: tuple[SynonymGroup, ...] = ()
    ignore: Ignore | None = None


# -- the whole knowledge base (built by the loader, never written by staff) ----------------------------------------


@dataclasses.dataclass(frozen=True)
class KnowledgeBase:
    entries: Mapping[str, Entry]
    topics: tuple[Topic, ...]
    sources: Mapping[str, Source]
    dates: Mapping[str, KeyDate]
    synonyms: tuple[tuple[str, ...], ...] = ()
    ignore: frozenset[str] = frozenset()

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

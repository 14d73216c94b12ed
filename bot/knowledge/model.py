"""The knowledge base's objects, declared once: these classes are both what the bot reads and the schema staff
write in YAML.

Each class is a frozen pydantic dataclass with `extra="forbid"`: its fields are the keys a YAML mapping may have
(an alias where the YAML key differs), its types and validators are the checks, and the loader turns pydantic's
errors into `file:line: reason`. Fields marked `loader_field()` are filled in by the loader, never written by staff.

- A new field: add it to the class (with a default if it is optional). The loader and `validate` follow.
- A new rule for answer texts: add it to `check_answer_text`.
- A reason staff read: `invalid("...%(field)s...", value=quote(value))`, and its Italian in locales/it.
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

from bot.knowledge.diagnosis import QUOTE_HINT
from bot.knowledge.problems import Message, message, quote

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

SCHEMA = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True, defer_build=True)
ID_FORMAT = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_URL = re.compile(r"^https?://\S+$")

# -- limits: what one value may hold, so that a file cannot make the bot slow (see loader.py for whole files) -------

#: Ids travel in button data (64 bytes with their prefix, see bot/telegram/callbacks.py).
MAX_ID_CHARS = 60
#: A phrasing, a title, a synonym: one line of text.
MAX_TEXT_CHARS = 300
#: An answer of more than about three Telegram messages (4,096 characters each) is a document, not an answer.
MAX_ANSWER_CHARS = 12_000
MAX_PHRASINGS = 100  # per language
MAX_REFERENCES = 50  # sources or related entries of one item
MAX_SYNONYMS = 300  # words in one synonym group
#: Fewer phrasings than this in a language is worth a warning: people ask the same thing in many ways.
RECOMMENDED_PHRASINGS = 8

#: Text left from a draft (`python -m bot suggest` writes TODO) that must not reach users.
LEFTOVER = re.compile(r"\b(?:TODO|FIXME|TBD|XXX|lorem ipsum)\b", re.IGNORECASE)
#: Whether the call is open, closed or how long is left changes when a date moves: answers get it from
#: {countdown:ID}, computed from dates.yaml, never typed. Past events ("the partner search opened in May") are fine.
STATUS_WORDS = re.compile(
    r"""\b(?:
        (?:is|are|'s|was|were|remains?)\s+(?:still\s+|now\s+|currently\s+|already\s+|no\s+longer\s+|not\s+yet\s+)?
            (?:open|closed|expired|over)\b(?!\s+(?:to|for)\b)
        | (?:still|currently|now)\s+open\b | open\s+until\b | apert[oaie]\s+fino\b
        | (?:has|have)\s+(?:already\s+)?(?:closed|expired|ended|passed)\b
        | (?:call|applications?|submissions?)\s+closed\b
        | expired | reopened
        | days?\s+(?:left|remaining|to\s+go)
        | (?:è|e'|sono|era|erano|resta|restano)\s+(?:ancora\s+|ormai\s+|già\s+|ora\s+|adesso\s+|attualmente\s+
            |più\s+|non\s+(?:più\s+|ancora\s+)?)?(?:apert[oaie]|chius[oaie]|scadut[oaie]|terminat[oaie])\b
            (?!\s+(?:a|al|allo|alla|ai|agli|alle|per)\b|\s+all')
        | ancora\s+apert[oaie] | scadut[oaie] | riapert[oaie]
        | mancano\s+(?:ancora\s+|solo\s+)?\d+\s+giorni | giorni\s+(?:rimasti|restanti|mancanti)
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def invalid(template: str, *, hint: Message | None = None, **values: object) -> PydanticCustomError:
    """A staff-readable reason (see problems.message); the loader fills in %(field)s with the field's name and says
    which item it is about."""
    reason = message(template, **values)
    return PydanticCustomError("knowledge", "{text}", {"text": reason.template, "reason": reason, "hint": hint})


def loader_field(default: Any) -> Any:
    """A field the loader fills in (where an object was read, what it belongs to); not a YAML key."""
    return field(default=default, kw_only=True, metadata={"loader": True})


# -- field types: each is a check, with the message staff read -----------------------------------------------------


def _text(value: object, limit: int = MAX_TEXT_CHARS) -> str:
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if len(text) > limit:
            raise invalid(
                "%(field)s is %(length)d characters long (at most %(limit)d): %(start)s",
                length=len(text),
                limit=limit,
                start=quote(text),
            )
        if leftover := LEFTOVER.search(text):
            raise invalid(
                "%(field)s still holds the placeholder %(word)s: write the real text (users would see it)",
                word=quote(leftover.group(0)),
            )
        return text
    if isinstance(value, bool | int | float | dt.date):
        raise invalid("%(field)s: expected text, got %(value)s (put it in quotes)", value=quote(value))
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        raise invalid(
            "%(field)s: the text %(text)s contains ': ' (a colon and a space), which YAML reads as a field",
            text=quote(f"{key}: {value[key]}"),
            hint=QUOTE_HINT,
        )
    raise invalid("%(field)s: expected non-empty text")


def _answer_text(value: object) -> str:
    return _text(value, MAX_ANSWER_CHARS)


def _id(value: object) -> str:
    if isinstance(value, str) and ID_FORMAT.match(value) and len(value) <= MAX_ID_CHARS:
        return value
    if isinstance(value, str) and ID_FORMAT.match(value):
        raise invalid("%(field)s %(value)s is longer than %(limit)d characters", value=quote(value), limit=MAX_ID_CHARS)
    raise invalid("%(field)s %(value)s must be lower-case letters, digits and dashes", value=quote(value))


def _reference(value: object) -> str:
    if isinstance(value, str) and len(value) <= MAX_ID_CHARS:
        return value
    raise invalid("%(field)s: %(value)s is not an id", value=quote(value))


def _day(value: object) -> dt.date:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = dt.date.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise invalid("%(field)s must be a real date like 2017-03-31, got %(value)s", value=quote(value))


def _clock_time(value: object) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str) and (match := _TIME.match(value)):
        return dt.time(int(match.group(1)), int(match.group(2)))
    raise invalid('%(field)s must be a quoted time like "17:00", got %(value)s', value=quote(value))


def _time_zone(value: object) -> str:
    try:
        ZoneInfo(str(value)[:MAX_TEXT_CHARS])
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(
            "%(field)s %(value)s is not a known time zone (e.g. Europe/Brussels)", value=quote(value)
        ) from None
    return str(value)


def _url(value: object) -> str:
    if isinstance(value, str) and _URL.match(value) and len(value) <= MAX_TEXT_CHARS:
        return value
    raise invalid("%(field)s must be a web address starting with http:// or https://")


def _published(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise invalid("%(field)s must be a date like 2016-08-05")


def _kind(value: object) -> str:
    if value in ("deadline", "event"):
        return str(value)
    raise invalid("%(field)s must be one of deadline, event, got %(value)s", value=quote(value))


def check_answer_text(text: str) -> str:
    """Rules for answer texts (both languages). Placeholders must be known kinds; their date ids are checked once
    every file is read. A bare "Yes."/"No." reads as a verdict on whatever was asked, even when the question matched
    only roughly: the answer must say what it answers ("No, the call is not limited to Puglia: ..."). Whether the
    call is open or closed comes from the dates, never typed (STATUS_WORDS)."""
    for kind, _ in PLACEHOLDER.findall(text):
        if kind not in PLACEHOLDER_KINDS:
            placeholder = "{" + kind[:20] + ":...}"
            raise invalid(
                "%(field)s: unknown placeholder %(placeholder)s (use %(kinds)s)",
                placeholder=placeholder,
                kinds=", ".join(PLACEHOLDER_KINDS),
            )
    if BARE_VERDICT.match(text):
        raise invalid(
            '%(field)s: starts with a bare yes/no (%(word)s); say what it answers, e.g. "No, the call is not limited '
            'to Puglia: ..."',
            word=quote(text.split()[0]),
        )
    if status := STATUS_WORDS.search(text):
        raise invalid(
            "%(field)s: %(words)s is typed into the answer, but whether the call is open or closed changes when a "
            "date moves",
            words=quote(status.group(0)),
            hint=message(
                "write {countdown:DATE-ID} instead (it shows the days left or the closing date, computed from the "
                'dates), or say when it happened: "the partner search opened in May 2016"'
            ),
        )
    return text


def _reminder_days(days: object) -> tuple[int, ...]:
    if isinstance(days, list | tuple) and all(
        isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 366 for d in days
    ):
        return tuple(sorted(set(days), reverse=True))
    raise invalid("%(field)s must be a list of whole days before the date (0-366)")


Text = Annotated[str, BeforeValidator(_text)]
Id = Annotated[str, BeforeValidator(_id)]
Reference = Annotated[str, BeforeValidator(_reference)]
References = Annotated[tuple[Reference, ...], Field(max_length=MAX_REFERENCES)]
Day = Annotated[dt.date, BeforeValidator(_day)]
ClockTime = Annotated[dt.time, BeforeValidator(_clock_time)]
TimeZone = Annotated[str, BeforeValidator(_time_zone)]
Url = Annotated[str, BeforeValidator(_url)]
Published = Annotated[dt.date, BeforeValidator(_published)]
Kind = Annotated[Literal["deadline", "event"], BeforeValidator(_kind)]
AnswerText = Annotated[str, BeforeValidator(_answer_text), AfterValidator(check_answer_text)]
Phrasings = Annotated[tuple[Text, ...], Field(min_length=1, max_length=MAX_PHRASINGS)]
ReminderDays = Annotated[tuple[int, ...], BeforeValidator(_reminder_days)]


def _languages(value: object) -> object:
    """A mapping with exactly one value per language."""
    if not isinstance(value, dict):
        raise invalid("%(field)s must map each language (it, en) to a list of questions")
    for lang in value:
        if lang not in LANGUAGES:
            raise invalid(
                "%(field)s: unknown field %(name)s (allowed: %(allowed)s)",
                name=quote(lang),
                allowed=", ".join(sorted(LANGUAGES)),
            )
    for lang in LANGUAGES:
        if lang not in value:
            raise invalid("%(field)s: missing field %(name)s", name=quote(lang))
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
    if isinstance(value, list) and 2 <= len(value) <= MAX_SYNONYMS:
        return value
    raise invalid("%(field)s: each group must be a list of 2 to %(limit)d words or phrases", limit=MAX_SYNONYMS)


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

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (for the assistant cache) with its mappings as dicts: read-only views do not pickle."""
        fields = (dict(self.entries), self.topics, dict(self.sources), dict(self.dates), self.synonyms, self.ignore)
        return (KnowledgeBase, fields)

    def answerable(self, entry_id: str) -> bool:
        entry = self.entries.get(entry_id)
        return entry is not None and not entry.declined

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def deadlines(self) -> list[KeyDate]:
        return [d for d in self.dates.values() if d.kind == "deadline"]

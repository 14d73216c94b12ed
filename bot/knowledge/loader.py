"""Load the YAML knowledge base and check it, reporting every problem as `file:line: reason`.

The bot and `python -m bot validate` use this same code, so what validates is exactly what the bot will serve.
"""

import re
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.knowledge.model import (
    LANGUAGES,
    OUT_OF_SCOPE_TOPIC,
    PLACEHOLDER,
    PLACEHOLDER_KINDS,
    SMALLTALK_TOPIC,
    Bilingual,
    Entry,
    KeyDate,
    KnowledgeBase,
    Source,
    Topic,
)
from bot.knowledge.yaml_lines import LineDict, LineList, load_with_lines

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

_FILE_KEYS = {"topic", "entries", "sources", "dates", "synonyms", "ignore"}
_ENTRY_KEYS = {"id", "questions", "answer", "sources", "related"}
_SOURCE_KEYS = {"id", "title", "url", "published"}
_DATE_KEYS = {"id", "kind", "date", "time", "end_time", "timezone", "title", "sources", "replaces", "reminders"}
_TOPIC_KEYS = {"id", "title"}
_DATE_KINDS = ("deadline", "event")


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class KnowledgeError(Exception):
    """The knowledge base is not valid; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class _Reference:
    """An id named somewhere, checked once every file is read."""

    kind: str  # "source" | "entry" | "date"
    target: str
    file: str
    line: int
    what: str


class _Reader:
    """Reads the files of one knowledge base, collecting objects, references and problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.references: list[_Reference] = []
        self.entries: dict[str, Entry] = {}
        self.sources: dict[str, Source] = {}
        self.dates: dict[str, KeyDate] = {}
        self.topics: list[Topic] = []
        self.synonyms: list[tuple[str, ...]] = []
        self.ignore: set[str] = set()
        self._seen_ids: dict[tuple[str, str], str] = {}
        self.file = ""

    # -- helpers -------------------------------------------------------------------------------------------------

    def problem(self, line: int, reason: str) -> None:
        self.problems.append(Problem(self.file, line, reason))

    def check_keys(self, mapping: LineDict, allowed: set[str], required: set[str], what: str) -> None:
        for key, line in mapping.duplicate_keys:
            self.problem(line, f"{what}: key '{key}' appears twice")
        for key in mapping:
            if key not in allowed:
                self.problem(
                    mapping.line_of(key), f"{what}: unknown field '{key}' (allowed: {', '.join(sorted(allowed))})"
                )
        for key in sorted(required - set(mapping)):
            self.problem(mapping.line, f"{what}: missing field '{key}'")

    def text(self, value: Any, line: int, what: str) -> str | None:
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, bool | int | float | date) and not isinstance(value, str):
            self.problem(line, f"{what}: expected text, got {value!r} (put it in quotes)")
        else:
            self.problem(line, f"{what}: expected non-empty text")
        return None

    def new_id(self, mapping: LineDict, namespace: str, what: str) -> str | None:
        raw = mapping.get("id")
        line = mapping.line_of("id")
        if not isinstance(raw, str) or not _ID.match(raw):
            self.problem(line, f"{what}: id {raw!r} must be lower-case letters, digits and dashes")
            return None
        earlier = self._seen_ids.get((namespace, raw))
        if earlier:
            self.problem(line, f"{what}: duplicate id '{raw}' (already defined at {earlier})")
            return None
        self._seen_ids[(namespace, raw)] = f"{self.file}:{line}"
        return raw

    def bilingual(self, mapping: LineDict, key: str, what: str) -> Bilingual | None:
        value = mapping.get(key)
        line = mapping.line_of(key)
        if not isinstance(value, LineDict):
            self.problem(line, f"{what}: '{key}' must map each language ({', '.join(LANGUAGES)}) to a text")
            return None
        self.check_keys(value, set(LANGUAGES), set(LANGUAGES), f"{what} {key}")
        texts = {lang: self.text(value.get(lang), value.line_of(lang), f"{what} {key}.{lang}") for lang in LANGUAGES}
        if any(t is None for lang, t in texts.items() if lang in value):
            return None
        if set(LANGUAGES) - set(value):
            return None
        return Bilingual(**texts)

    def id_list(self, mapping: LineDict, key: str, kind: str, what: str) -> tuple[str, ...]:
        value = mapping.get(key, LineList())
        if not isinstance(value, list):
            self.problem(mapping.line_of(key), f"{what}: '{key}' must be a list of ids")
            return ()
        ids = []
        for index, item in enumerate(value):
            line = value.line_of(index) if isinstance(value, LineList) else mapping.line_of(key)
            if not isinstance(item, str):
                self.problem(line, f"{what}: '{key}' item {item!r} is not an id")
                continue
            ids.append(item)
            self.references.append(_Reference(kind, item, self.file, line, f"{what} {key}"))
        return tuple(ids)

    def list_of(self, mapping: LineDict, key: str, what: str) -> LineList | None:
        value = mapping.get(key)
        if not isinstance(value, LineList):
            self.problem(mapping.line_of(key), f"'{key}' must be a list")
            return None
        return value

    def mappings(self, items: LineList, what: str) -> list[LineDict]:
        found = []
        for index, item in enumerate(items):
            if isinstance(item, LineDict):
                found.append(item)
            else:
                self.problem(items.line_of(index), f"{what}: each item must be a mapping of fields")
        return found

    # -- sections ------------------------------------------------------------------------------------------------

    def read_file(self, path: Path, display: str) -> None:
        self.file = display
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            self.problem(1, f"not UTF-8 text ({exc.reason})")
            return
        except OSError as exc:
            self.problem(1, f"cannot read file: {exc.strerror}")
            return
        try:
            document = load_with_lines(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            self.problem(line, f"YAML syntax error: {exc.problem or exc.context}")
            return
        except yaml.YAMLError as exc:
            self.problem(1, f"YAML error: {exc}")
            return
        if document is None:
            self.problem(1, "the file is empty")
            return
        if not isinstance(document, LineDict):
            self.problem(1, f"the file must be a mapping with some of: {', '.join(sorted(_FILE_KEYS))}")
            return
        self.check_keys(document, _FILE_KEYS, set(), "file")
        if "sources" in document and (items := self.list_of(document, "sources", "sources")) is not None:
            for item in self.mappings(items, "source"):
                self.read_source(item)
        if "dates" in document and (items := self.list_of(document, "dates", "dates")) is not None:
            for item in self.mappings(items, "date"):
                self.read_date(item)
        if "synonyms" in document:
            self.read_synonyms(document)
        if "ignore" in document:
            self.read_ignore(document)
        if "entries" in document or "topic" in document:
            self.read_topic(document)

    def read_source(self, item: LineDict) -> None:
        self.check_keys(item, _SOURCE_KEYS, {"id", "title"}, "source")
        source_id = self.new_id(item, "source", "source")
        title = self.bilingual(item, "title", f"source '{source_id}'")
        url = item.get("url")
        if url is not None and not (isinstance(url, str) and re.match(r"^https?://\S+$", url)):
            self.problem(item.line_of("url"), f"source '{source_id}': url must start with http:// or https://")
            url = None
        published = item.get("published")
        if published is not None and not isinstance(published, date):
            self.problem(item.line_of("published"), f"source '{source_id}': published must be a date like 2016-08-05")
            published = None
        if source_id and title:
            self.sources[source_id] = Source(source_id, title, url, published)

    def read_time(self, item: LineDict, key: str, what: str) -> time | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, str) and (match := _TIME.match(value)):
            return time(int(match.group(1)), int(match.group(2)))
        self.problem(item.line_of(key), f'{what}: {key} must be a quoted time like "17:00", got {value!r}')
        return None

    def read_date(self, item: LineDict) -> None:
        self.check_keys(item, _DATE_KEYS, {"id", "kind", "date", "title"}, "date")
        date_id = self.new_id(item, "date", "date")
        what = f"date '{date_id}'"
        kind = item.get("kind")
        if kind not in _DATE_KINDS:
            self.problem(item.line_of("kind"), f"{what}: kind must be one of {', '.join(_DATE_KINDS)}, got {kind!r}")
        day = item.get("date")
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                day = None
        if not isinstance(day, date):
            self.problem(
                item.line_of("date"), f"{what}: date must be a real date like 2017-03-31, got {item.get('date')!r}"
            )
            day = None
        at = self.read_time(item, "time", what)
        end = self.read_time(item, "end_time", what)
        zone = item.get("timezone")
        if zone is not None:
            try:
                ZoneInfo(str(zone))
            except (ZoneInfoNotFoundError, ValueError):
                self.problem(item.line_of("timezone"), f"{what}: unknown time zone {zone!r} (e.g. Europe/Brussels)")
                zone = None
        title = self.bilingual(item, "title", what)
        sources = self.id_list(item, "sources", "source", what)
        replaces = item.get("replaces")
        if replaces is not None:
            if isinstance(replaces, str):
                self.references.append(
                    _Reference("date", replaces, self.file, item.line_of("replaces"), f"{what} replaces")
                )
            else:
                self.problem(item.line_of("replaces"), f"{what}: replaces must be a date id")
                replaces = None
        reminders = item.get("reminders", [])
        if not (
            isinstance(reminders, list)
            and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 366 for d in reminders)
        ):
            self.problem(
                item.line_of("reminders"), f"{what}: reminders must be a list of whole days before the date (0-366)"
            )
            reminders = []
        if date_id and day and title and kind in _DATE_KINDS:
            self.dates[date_id] = KeyDate(
                id=date_id,
                kind=kind,
                day=day,
                title=title,
                sources=sources,
                time=at,
                end_time=end,
                timezone=zone,
                replaces=replaces,
                reminders=tuple(sorted(set(reminders), reverse=True)),
            )

    def read_synonyms(self, document: LineDict) -> None:
        groups = self.list_of(document, "synonyms", "synonyms")
        for index, group in enumerate(groups or []):
            line = groups.line_of(index)
            if not isinstance(group, list) or len(group) < 2:
                self.problem(line, "synonyms: each group must be a list of at least two words or phrases")
                continue
            words = [self.text(word, line, "synonym") for word in group]
            if all(words):
                self.synonyms.append(tuple(words))

    def read_ignore(self, document: LineDict) -> None:
        value = document.get("ignore")
        if not isinstance(value, LineDict):
            self.problem(document.line_of("ignore"), "ignore: must map each language to a list of words")
            return
        self.check_keys(value, set(LANGUAGES), set(), "ignore")
        for lang in LANGUAGES:
            words = value.get(lang, [])
            if not isinstance(words, list):
                self.problem(value.line_of(lang), f"ignore.{lang}: must be a list of words")
                continue
            self.ignore.update(
                w for w in (self.text(word, value.line_of(lang), f"ignore.{lang}") for word in words) if w
            )

    def read_topic(self, document: LineDict) -> None:
        topic = document.get("topic")
        if not isinstance(topic, LineDict):
            self.problem(document.line_of("topic"), "a file with entries needs 'topic:' with an id and a title")
            return
        self.check_keys(topic, _TOPIC_KEYS, _TOPIC_KEYS, "topic")
        topic_id = self.new_id(topic, "topic", "topic")
        title = self.bilingual(topic, "title", f"topic '{topic_id}'")
        items = self.list_of(document, "entries", "entries") if "entries" in document else None
        if items is None or not items:
            self.problem(
                document.line_of("entries") if "entries" in document else topic.line,
                f"topic '{topic_id}' has no entries",
            )
            return
        entry_ids = [
            entry.id for item in self.mappings(items, "entry") if (entry := self.read_entry(item, topic_id or ""))
        ]
        if topic_id and title:
            self.topics.append(Topic(topic_id, title, tuple(entry_ids)))

    def read_entry(self, item: LineDict, topic_id: str) -> Entry | None:
        if topic_id == OUT_OF_SCOPE_TOPIC:
            return self.read_declined_entry(item)
        self.check_keys(item, _ENTRY_KEYS, {"id", "questions", "answer"}, "entry")
        entry_id = self.new_id(item, "entry", "entry")
        what = f"entry '{entry_id}'"
        questions = self.read_questions(item, what)
        answer = self.bilingual(item, "answer", what)
        if answer:
            for lang in LANGUAGES:
                self.check_placeholders(answer.get(lang), item.line_of("answer"), f"{what} answer.{lang}")
        sources = self.id_list(item, "sources", "source", what)
        if not sources and topic_id != SMALLTALK_TOPIC:
            self.problem(item.line, f"{what}: name at least one source (only small talk may have none)")
        related = self.id_list(item, "related", "entry", what)
        if entry_id in related:
            self.problem(item.line_of("related"), f"{what}: an entry cannot be related to itself")
        if not (entry_id and questions and answer):
            return None
        entry = Entry(entry_id, topic_id, questions, answer, sources, related, self.file, item.line)
        self.entries[entry_id] = entry
        return entry

    def read_declined_entry(self, item: LineDict) -> Entry | None:
        """Out-of-scope entries have only questions: their reply is always "I don't know"."""
        self.check_keys(item, {"id", "questions"}, {"id", "questions"}, "out-of-scope entry")
        entry_id = self.new_id(item, "entry", "out-of-scope entry")
        questions = self.read_questions(item, f"out-of-scope entry '{entry_id}'")
        if not (entry_id and questions):
            return None
        entry = Entry(entry_id, OUT_OF_SCOPE_TOPIC, questions, None, file=self.file, line=item.line)
        self.entries[entry_id] = entry
        return entry

    def read_questions(self, item: LineDict, what: str) -> dict[str, tuple[str, ...]] | None:
        value = item.get("questions")
        if not isinstance(value, LineDict):
            self.problem(
                item.line_of("questions"), f"{what}: 'questions' must map each language to a list of questions"
            )
            return None
        self.check_keys(value, set(LANGUAGES), set(LANGUAGES), f"{what} questions")
        result: dict[str, tuple[str, ...]] = {}
        for lang in LANGUAGES:
            phrasings = value.get(lang)
            if lang not in value:
                continue
            if not isinstance(phrasings, LineList) or not phrasings:
                self.problem(value.line_of(lang), f"{what} questions.{lang}: must be a non-empty list of questions")
                continue
            texts = [self.text(q, phrasings.line_of(i), f"{what} questions.{lang}") for i, q in enumerate(phrasings)]
            result[lang] = tuple(t for t in texts if t)
        return result if set(result) == set(LANGUAGES) and all(result.values()) else None

    def check_placeholders(self, text: str, line: int, what: str) -> None:
        for kind, target in PLACEHOLDER.findall(text):
            if kind not in PLACEHOLDER_KINDS:
                self.problem(line, f"{what}: unknown placeholder {{{kind}:...}} (use {', '.join(PLACEHOLDER_KINDS)})")
            else:
                self.references.append(_Reference("date", target, self.file, line, f"{what} {{{kind}:...}}"))

    # -- cross-file checks ---------------------------------------------------------------------------------------

    def check_references(self) -> None:
        known = {"source": self.sources, "entry": self.entries, "date": self.dates}
        for ref in self.references:
            if ref.target not in known[ref.kind] and (ref.kind, ref.target) not in self._seen_ids:
                self.problems.append(Problem(ref.file, ref.line, f"{ref.what}: no {ref.kind} has id '{ref.target}'"))
            elif ref.kind == "entry" and ref.target in self.entries and self.entries[ref.target].declined:
                self.problems.append(Problem(ref.file, ref.line, f"{ref.what}: '{ref.target}' is out of scope"))
        for key_date in self.dates.values():
            if key_date.time is None and key_date.end_time is not None:
                where = self._seen_ids[("date", key_date.id)].rsplit(":", 1)
                self.problems.append(Problem(where[0], int(where[1]), f"date '{key_date.id}': end_time without time"))


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _read(directory: Path) -> _Reader:
    reader = _Reader()
    if not directory.is_dir():
        reader.problems.append(Problem(str(directory), 0, "knowledge directory not found"))
        return reader
    files = _yaml_files(directory)
    if not files:
        reader.problems.append(Problem(str(directory), 0, "no .yaml files in the knowledge directory"))
    for path in files:
        reader.read_file(path, str(path))
    reader.check_references()
    if files and not reader.entries:
        reader.problems.append(Problem(str(directory), 0, "no entries found"))
    return reader


def validate(directory: str | Path) -> list[Problem]:
    """Every problem of the knowledge base in `directory`, sorted by file and line; empty when valid."""
    return sorted(_read(Path(directory)).problems)


def load_knowledge(directory: str | Path) -> KnowledgeBase:
    """The knowledge base in `directory`; raises KnowledgeError listing every problem if it is not valid."""
    reader = _read(Path(directory))
    if reader.problems:
        raise KnowledgeError(reader.problems)
    return KnowledgeBase(
        entries=reader.entries,
        topics=tuple(reader.topics),
        sources=reader.sources,
        dates=reader.dates,
        synonyms=tuple(reader.synonyms),
        ignore=frozenset(reader.ignore),
    )

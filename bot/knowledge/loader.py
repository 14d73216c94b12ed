"""Load the YAML knowledge base and check it, reporting every problem as `file:line: reason`.

The schema is the classes of model.py. This module reads the files, checks each item (source, date, topic, entry)
against its class, turns pydantic's errors into staff-readable reasons at the item's line, and checks what spans
files: unique ids and references. The bot and `python -m bot validate` use this same code, so what validates is
exactly what the bot will serve.
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from bot.knowledge.model import (
    DECLINED_ENTRY_FIELDS,
    ID_FORMAT,
    LANGUAGES,
    OUT_OF_SCOPE_TOPIC,
    PLACEHOLDER,
    PLACEHOLDER_KINDS,
    SMALLTALK_TOPIC,
    Entry,
    KeyDate,
    KnowledgeBase,
    KnowledgeFile,
    Source,
    Topic,
)
from bot.knowledge.yaml_lines import LineDict, LineList, load_with_lines

T = TypeVar("T")
_MISSING = ("missing", "missing_argument", "missing_keyword_only_argument")
_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument", "unexpected_positional_argument")
_NOT_A_MAPPING = ("dict_type", "dataclass_type", "dataclass_args_type", "model_type", "model_attributes_type")
_NOT_A_LIST = ("list_type", "tuple_type", "iterable_type")


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


# -- from pydantic's errors to staff-readable reasons --------------------------------------------------------------


def _loader_fields(cls: type) -> set[str]:
    if not dataclasses.is_dataclass(cls):
        return set()
    return {f.name for f in dataclasses.fields(cls) if f.metadata.get("loader")}


def _keys(cls: type) -> dict[str, Any]:
    """The YAML keys of a schema class, with their types."""
    hidden = _loader_fields(cls)
    fields = getattr(cls, "__pydantic_fields__", {})
    return {info.alias or name: info.annotation for name, info in fields.items() if name not in hidden}


def _schema_class(annotation: Any) -> type | None:
    """The schema class inside a field's type (`Bilingual | None` -> Bilingual), if any."""
    if get_origin(annotation) is Union or type(annotation).__name__ == "UnionType":
        return next((c for a in get_args(annotation) if (c := _schema_class(a)) is not None), None)
    if isinstance(annotation, type) and hasattr(annotation, "__pydantic_fields__"):
        return annotation
    return None


def _allowed(cls: type, path: list[str]) -> str:
    """The keys allowed where an unknown one was found."""
    current: type | None = cls
    for name in path:
        current = _schema_class(_keys(current).get(name)) if current else None
    return ", ".join(sorted(_keys(current))) if current else "?"


def _child(node: Any, part: int | str) -> tuple[int, Any] | None:
    """The line and value of one step into a YAML value, if it is there."""
    if isinstance(node, LineDict) and part in node:
        return node.line_of(part), node[part]
    if isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
        return node.line_of(part), node[part]
    return None


def _line(raw: Any, loc: tuple[int | str, ...], missing: bool) -> int:
    """The line of the value an error is about; for a missing key, the line of the mapping that lacks it."""
    node, line = raw, getattr(raw, "line", 1)
    for part in loc:
        if (step := _child(node, part)) is None:
            break
        line, node = step
    if missing and isinstance(node, LineDict | LineList):
        line = node.line
    return line


def _at(where: str, path: str) -> str:
    return " ".join(part for part in (where, path) if part)


def _reason(error: ErrorDetails, where: str, cls: type) -> str:
    names = [str(part) for part in error["loc"] if isinstance(part, str)]
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in _MISSING:
        return f"{_at(where, '.'.join(names[:-1]))}: missing field '{names[-1]}'"
    if kind in _UNKNOWN and names:
        parent = names[:-1]
        return f"{_at(where, '.'.join(parent))}: unknown field '{names[-1]}' (allowed: {_allowed(cls, parent)})"
    path = ".".join(names)
    if kind == "knowledge":
        message = str(ctx["message"])
    elif kind == "too_short":
        minimum = ctx.get("min_length", 1)
        message = "must not be empty" if minimum == 1 else f"must have at least {minimum} items"
    elif kind in _NOT_A_MAPPING:
        message = "must be a mapping of fields"
    elif kind in _NOT_A_LIST:
        message = "must be a list"
    else:
        message = error["msg"]
    if "{field}" in message:
        return f"{where}: {message.replace('{field}', path)}" if where else message.replace("{field}", path)
    return f"{_at(where, path)}: {message}"


# -- reading -------------------------------------------------------------------------------------------------------


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
        self._adapters: dict[type, TypeAdapter[Any]] = {}
        self.file = ""

    def problem(self, line: int, reason: str) -> None:
        self.problems.append(Problem(self.file, line, reason))

    def duplicate_keys(self, node: Any, where: str) -> None:
        if isinstance(node, LineDict):
            for key, line in node.duplicate_keys:
                self.problem(line, f"{where}: key '{key}' appears twice")
        if isinstance(node, dict | list):
            for child in node.values() if isinstance(node, dict) else node:
                self.duplicate_keys(child, where)

    def check(
        self, cls: type[T], raw: LineDict, where: str, keys: tuple[str, ...] = (), **loader_values: Any
    ) -> T | None:
        """`raw` validated as a `cls`, or None after reporting each problem at its line. Keys `item` reported as
        unknown are left out, so that the other problems are found too."""
        self.duplicate_keys(raw, where)
        adapter = self._adapters.get(cls) or self._adapters.setdefault(cls, TypeAdapter(cls))
        keys = keys or tuple(_keys(cls))
        try:
            value: T = adapter.validate_python({k: v for k, v in raw.items() if k in keys} | loader_values)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                self.problem(_line(raw, error["loc"], error["type"] in _MISSING), _reason(error, where, cls))
            return None
        return value

    def item(self, raw: Any, line: int, kind: str, cls: type, allowed: tuple[str, ...] | None = None) -> str | None:
        """Before checking an item: its place in the messages and its id (registered, so that references to an item
        with other problems are not reported as dangling). None when the item cannot be checked."""
        if not isinstance(raw, LineDict):
            self.problem(line, f"{kind}: each item must be a mapping of fields")
            return None
        raw_id = raw.get("id")
        where = f"{kind} '{raw_id}'" if isinstance(raw_id, str) and ID_FORMAT.match(raw_id) else kind
        keys = allowed or tuple(_keys(cls))
        for key in raw:
            if key not in keys:
                self.problem(raw.line_of(key), f"{where}: unknown field '{key}' (allowed: {', '.join(sorted(keys))})")
        if where == kind:
            return where
        raw_id = str(raw_id)
        earlier = self._seen_ids.get((cls.__name__, raw_id))
        if earlier:
            self.problem(raw.line_of("id"), f"{kind}: duplicate id '{raw_id}' (already defined at {earlier})")
            return None
        self._seen_ids[(cls.__name__, raw_id)] = f"{self.file}:{raw.line_of('id')}"
        return where

    def refer(self, kind: str, raw: LineDict, key: str, what: str, *, many: bool = True) -> None:
        """Remember the ids named under `key` (a list of ids, or one id), to check once every file is read."""
        value = raw.get(key)
        targets = value if isinstance(value, list) and many else [value] if isinstance(value, str) else []
        for index, target in enumerate(targets):
            line = value.line_of(index) if isinstance(value, LineList) else raw.line_of(key)
            if isinstance(target, str):
                self.references.append(_Reference(kind, target, self.file, line, f"{what} {key}"))

    # -- files and sections ----------------------------------------------------------------------------------------

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
            self.problem(mark.line + 1 if mark else 1, f"YAML syntax error: {exc.problem or exc.context}")
            return
        except yaml.YAMLError as exc:
            self.problem(1, f"YAML error: {exc}")
            return
        if document is None:
            self.problem(1, "the file is empty")
            return
        if not isinstance(document, LineDict):
            self.problem(1, f"the file must be a mapping with some of: {', '.join(sorted(_keys(KnowledgeFile)))}")
            return
        for key in document:
            if key not in _keys(KnowledgeFile):
                allowed = ", ".join(sorted(_keys(KnowledgeFile)))
                self.problem(document.line_of(key), f"file: unknown field '{key}' (allowed: {allowed})")
        sections = self.check(KnowledgeFile, document, "")
        if sections is not None:
            self.synonyms.extend(sections.synonyms)
            if sections.ignore:
                self.ignore.update(sections.ignore.it, sections.ignore.en)
        for items, read in ((document.get("sources"), self.read_source), (document.get("dates"), self.read_date)):
            if isinstance(items, LineList):
                for index, raw in enumerate(items):
                    read(raw, items.line_of(index))
        if "entries" in document or "topic" in document:
            self.read_topic(document)

    def read_source(self, raw: Any, line: int) -> None:
        where = self.item(raw, line, "source", Source)
        if where and (source := self.check(Source, raw, where)):
            self.sources[source.id] = source

    def read_date(self, raw: Any, line: int) -> None:
        where = self.item(raw, line, "date", KeyDate)
        if where is None:
            return
        self.refer("source", raw, "sources", where)
        self.refer("date", raw, "replaces", where, many=False)
        if key_date := self.check(KeyDate, raw, where):
            self.dates[key_date.id] = key_date

    def read_topic(self, document: LineDict) -> None:
        raw = document.get("topic")
        if not isinstance(raw, LineDict):
            self.problem(document.line_of("topic"), "a file with entries needs 'topic:' with an id and a title")
            return
        where = self.item(raw, raw.line, "topic", Topic)
        header = self.check(Topic, raw, where) if where else None
        topic_id = header.id if header else str(raw.get("id"))
        items = document.get("entries")
        if not isinstance(items, LineList) or not items:
            self.problem(document.line_of("entries") if "entries" in document else raw.line, f"{where}: has no entries")
            return
        entry_ids = [
            entry.id
            for index, item in enumerate(items)
            if (entry := self.read_entry(item, items.line_of(index), topic_id))
        ]
        if header:
            self.topics.append(dataclasses.replace(header, entry_ids=tuple(entry_ids)))

    def read_entry(self, raw: Any, line: int, topic_id: str) -> Entry | None:
        declined = topic_id == OUT_OF_SCOPE_TOPIC
        kind = "out-of-scope entry" if declined else "entry"
        where = self.item(raw, line, kind, Entry, DECLINED_ENTRY_FIELDS if declined else None)
        if where is None:
            return None
        if not declined:
            self.refer("source", raw, "sources", where)
            self.refer("entry", raw, "related", where)
            answer = raw.get("answer")
            for lang in LANGUAGES:
                text = answer.get(lang) if isinstance(answer, dict) else None
                for placeholder, target in PLACEHOLDER.findall(text if isinstance(text, str) else ""):
                    if placeholder in PLACEHOLDER_KINDS:
                        what = f"{where} answer.{lang} {{{placeholder}:...}}"
                        self.references.append(_Reference("date", target, self.file, raw.line_of("answer"), what))
            if "answer" not in raw:
                self.problem(raw.line, f"{where}: missing field 'answer'")
            if not raw.get("sources") and topic_id != SMALLTALK_TOPIC:
                self.problem(raw.line, f"{where}: name at least one source (only small talk may have none)")
            if raw.get("id") in (raw.get("related") or []):
                self.problem(raw.line_of("related"), f"{where}: an entry cannot be related to itself")
        keys = DECLINED_ENTRY_FIELDS if declined else ()
        entry = self.check(Entry, raw, where, keys, topic=topic_id, file=self.file, line=raw.line)
        if entry is None or (not declined and entry.answer is None):
            return None
        self.entries[entry.id] = entry
        return entry

    # -- cross-file checks -----------------------------------------------------------------------------------------

    def check_references(self) -> None:
        known: dict[str, Mapping[str, object]] = {"source": self.sources, "entry": self.entries, "date": self.dates}
        namespace = {"source": "Source", "entry": "Entry", "date": "KeyDate"}
        for ref in self.references:
            if ref.target not in known[ref.kind] and (namespace[ref.kind], ref.target) not in self._seen_ids:
                self.problems.append(Problem(ref.file, ref.line, f"{ref.what}: no {ref.kind} has id '{ref.target}'"))
            elif ref.kind == "entry" and ref.target in self.entries and self.entries[ref.target].declined:
                self.problems.append(Problem(ref.file, ref.line, f"{ref.what}: '{ref.target}' is out of scope"))
        for key_date in self.dates.values():
            if key_date.time is None and key_date.end_time is not None:
                where = self._seen_ids[("KeyDate", key_date.id)].rsplit(":", 1)
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

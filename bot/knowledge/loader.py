"""Load the YAML knowledge base and check it, reporting every problem as `file:line: reason`.

The schema is the classes of model.py. This module reads the files (bounded: how many, how big, how deep, how many
values), checks each item (source, date, topic, entry) against its class, turns pydantic's errors into
staff-readable reasons at the item's line, and checks what spans files: unique ids, references, totals. The bot,
`python -m bot validate` and the staff tools use this same code, so what validates is exactly what the bot serves.

Staff read the result, so it puts the root cause first: a file that cannot be read at all (wrong encoding, broken
YAML, too big) is reported once, before anything else, and what only follows from it (references to the ids it
defines) is not reported at all.

- `check_files(texts)`: the check of file contents in memory (for edits not yet saved), errors and warnings apart.
- `read_knowledge_files(directory)` then `check_files`, or `check_directory`, `validate`, `load_knowledge`.
"""

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from bot.collector import collector_paused
from bot.knowledge.diagnosis import Diagnosis, decode, explain_syntax_error
from bot.knowledge.model import (
    DECLINED_ENTRY_FIELDS,
    ID_FORMAT,
    LANGUAGES,
    MAX_ID_CHARS,
    OUT_OF_SCOPE_TOPIC,
    PLACEHOLDER,
    PLACEHOLDER_KINDS,
    RECOMMENDED_PHRASINGS,
    SMALLTALK_TOPIC,
    Entry,
    KeyDate,
    KnowledgeBase,
    KnowledgeFile,
    Source,
    Topic,
)
from bot.knowledge.problems import LANGUAGE_NAMES, Message, Problem, in_order, message, quote
from bot.knowledge.yaml_lines import LineDict, LineList, ShapeError, ShapeLimits, read_bounded

T = TypeVar("T")

# -- limits on whole files and on the knowledge base (limits on single values are in model.py) ---------------------

MAX_FILES = 200
MAX_FILE_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024
#: The knowledge base nests 5 levels deep (file, entries, entry, questions, language); aliases count once per use.
SHAPE = ShapeLimits(depth=10, values=100_000, scalar_chars=20_000)
#: The matcher is measured up to 10,000 entries of 8 phrasings per language (benchmarks/answer_speed.py): a little
#: room above that, no more, since every phrasing is indexed on a reload (about 15 s in a worker thread at 10,000).
MAX_ENTRIES = 12_000
MAX_TOTAL_PHRASINGS = 250_000
#: Where the answer is, in `KnowledgeCheck.lines` keys (phrasings are 0, 1, 2...).
ANSWER = -1

_MISSING = ("missing", "missing_argument", "missing_keyword_only_argument")
_UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument", "unexpected_positional_argument")
_NOT_A_MAPPING = ("dict_type", "dataclass_type", "dataclass_args_type", "model_type", "model_attributes_type")
_NOT_A_LIST = ("list_type", "tuple_type", "iterable_type")
#: Ids written in a file that could not be read, found by their shape: references to them are not reported.
_WRITTEN_ID = re.compile(r"(?:^|[\s{,])id\s*:\s*[\"']?([a-z0-9][a-z0-9-]*)", re.MULTILINE)


class KnowledgeError(Exception):
    """The knowledge base is not valid; `problems` says where and why, the root cause first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class KnowledgeFiles:
    """A knowledge base's files as read from disk: name -> content, and the files that could not be read."""

    files: Mapping[str, bytes]
    problems: tuple[Problem, ...] = ()

    @property
    def digest(self) -> str:
        """Identifies this exact content: a reload of the same content changes nothing."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(f"{len(name)}:{name}:{len(self.files[name])}:".encode())
            digest.update(self.files[name])
        for problem in self.problems:
            digest.update(str(problem).encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class KnowledgeCheck:
    """The outcome of checking a knowledge base: the objects when there is no error, errors (root causes first)
    and warnings (worth a look, never blocking), and the line of each phrasing and answer for later checks."""

    kb: KnowledgeBase | None
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()
    lines: Mapping[tuple[str, str, int], int] = field(default_factory=dict)
    synonym_places: Mapping[tuple[str, ...], tuple[str, int]] = field(default_factory=dict)  # group: file, line

    @property
    def ok(self) -> bool:
        return self.kb is not None and not self.errors

    def line_of(self, entry: Entry, lang: str, index: int = ANSWER) -> int:
        """The line of an entry's phrasing (`index`) or answer (ANSWER) in `lang`."""
        return self.lines.get((entry.id, lang, index), entry.line)


@dataclass(frozen=True)
class _Reference:
    """An id named somewhere, checked once every file is read."""

    kind: str  # "source" | "entry" | "date"
    target: str
    file: str
    line: int
    where: Message
    path: str  # the field that names it: "related", "answer.it {date:...}"


# -- from pydantic's errors to staff-readable reasons --------------------------------------------------------------


def _loader_fields(cls: type) -> set[str]:
    if not dataclasses.is_dataclass(cls):
        return set()
    return {f.name for f in dataclasses.fields(cls) if f.metadata.get("loader")}


_KEYS: dict[type, dict[str, Any]] = {}


def _keys(cls: type) -> dict[str, Any]:
    """The YAML keys of a schema class, with their types (asked for every item: worked out once per class)."""
    if (known := _KEYS.get(cls)) is not None:
        return known
    hidden = _loader_fields(cls)
    fields = getattr(cls, "__pydantic_fields__", {})
    return _KEYS.setdefault(
        cls, {info.alias or name: info.annotation for name, info in fields.items() if name not in hidden}
    )


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


def _about(where: Message | None, path: str, detail: Message) -> Message:
    """ "entry 'x' questions.it: detail" (or without the parts that are empty). Structure, not words: not
    translated."""
    place = " ".join(part for part in ("%(where)s" if where else "", path.replace("%", "%%")) if part)
    if not place:
        return detail
    values = {"where": where} if where else {}
    return Message(f"{place}: %(detail)s", tuple({**values, "detail": detail}.items()))


def _unknown_field(where: Message | None, path: str, name: object, allowed: str) -> Message:
    detail = message("unknown field %(name)s (allowed: %(allowed)s)", name=quote(str(name)), allowed=allowed)
    return _about(where, path, detail)


def _reason(error: ErrorDetails, where: Message | None, cls: type) -> tuple[Message, Message | None]:
    names = [str(part) for part in error["loc"] if isinstance(part, str)]
    path = ".".join(str(part) for part in error["loc"])
    kind, ctx = error["type"], error.get("ctx", {})
    if kind in _MISSING:
        return _about(where, ".".join(names[:-1]), message("missing field %(name)s", name=quote(names[-1]))), None
    if kind in _UNKNOWN and names:
        return _unknown_field(where, ".".join(names[:-1]), names[-1], _allowed(cls, names[:-1])), None
    if kind == "knowledge":
        reason: Message = ctx["reason"]
        detail = reason.with_values(field=path or "value")
        if where is None:
            return detail, ctx["hint"]
        # "entry 'x' questions.it: expected text" / "entry 'x': answer.en still holds the placeholder 'TODO'"
        joint = "%(where)s %(detail)s" if reason.template.startswith("%(field)s:") else "%(where)s: %(detail)s"
        return Message(joint, (("where", where), ("detail", detail))), ctx["hint"]
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        detail = (
            message("must not be empty")
            if minimum == 1
            else message("must have at least %(count)d items", count=minimum)
        )
    elif kind == "too_long":
        detail = message(
            "has %(count)d items (at most %(limit)d)", count=ctx.get("actual_length", 0), limit=ctx.get("max_length", 0)
        )
    elif kind in _NOT_A_MAPPING:
        detail = message("must be a mapping of fields")
    elif kind in _NOT_A_LIST:
        detail = message("must be a list")
    else:
        detail = Message(quote(error["msg"], 120).strip("'").replace("%", "%%"))
    return _about(where, path, detail), None


def _inside(loc: tuple[int | str, ...], errors: list[ErrorDetails]) -> bool:
    """Whether another error is about something inside `loc`."""
    return any(len(e["loc"]) > len(loc) and e["loc"][: len(loc)] == loc for e in errors)


# -- reading -------------------------------------------------------------------------------------------------------


class _Reader:
    """Reads the files of one knowledge base, collecting objects, references and problems."""

    def __init__(self) -> None:
        self.roots: list[Problem] = []  # files that could not be read at all
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.references: list[_Reference] = []
        self.entries: dict[str, Entry] = {}
        self.sources: dict[str, Source] = {}
        self.dates: dict[str, KeyDate] = {}
        self.topics: list[Topic] = []
        self.synonyms: list[tuple[str, ...]] = []
        self.ignore: set[str] = set()
        self.lines: dict[tuple[str, str, int], int] = {}
        self.synonym_places: dict[tuple[str, ...], tuple[str, int]] = {}
        self.unreadable_ids: set[str] = set()
        self.entry_items = 0  # entries written, valid or not
        self._seen_ids: dict[tuple[str, str], str] = {}
        self._adapters: dict[type, TypeAdapter[Any]] = {}
        self.file = ""

    def problem(self, line: int, reason: Message, hint: Message | None = None) -> None:
        self.problems.append(Problem(self.file, line, reason, hint))

    def unreadable(self, diagnosis: Diagnosis, text: str) -> None:
        """The file cannot be read (or not all of it): one problem, first, and the ids it seems to define, so that
        references to them are not reported as well."""
        self.roots.append(Problem(self.file, diagnosis.line, diagnosis.reason, diagnosis.hint))
        self.unreadable_ids.update(match.group(1) for match in _WRITTEN_ID.finditer(text))

    def duplicate_keys(self, node: Any, where: Message) -> None:
        if isinstance(node, LineDict):
            for key, line in node.duplicate_keys:
                self.problem(line, _about(where, "", message("key %(key)s appears twice", key=quote(str(key)))))
        if isinstance(node, dict | list):
            for child in node.values() if isinstance(node, dict) else node:
                self.duplicate_keys(child, where)

    def check(
        self, cls: type[T], raw: LineDict, where: Message | None, keys: tuple[str, ...] = (), **loader_values: Any
    ) -> T | None:
        """`raw` validated as a `cls`, or None after reporting each problem at its line. Keys `item` reported as
        unknown are left out, so that the other problems are found too."""
        if where is not None:
            self.duplicate_keys(raw, where)
        adapter = self._adapters.get(cls) or self._adapters.setdefault(cls, TypeAdapter(cls))
        keys = keys or tuple(_keys(cls))
        try:
            value: T = adapter.validate_python({k: v for k, v in raw.items() if k in keys} | loader_values)
        except ValidationError as exc:
            found = exc.errors(include_url=False)
            for error in found:
                if error["type"] == "too_short" and _inside(error["loc"], found):
                    continue  # a list whose items all failed is not also "empty"
                reason, hint = _reason(error, where, cls)
                self.problem(_line(raw, error["loc"], error["type"] in _MISSING), reason, hint)
            return None
        return value

    def item(
        self, raw: Any, line: int, kind: Message, cls: type, allowed: tuple[str, ...] | None = None
    ) -> Message | None:
        """Before checking an item: its place in the messages and its id (registered, so that references to an item
        with other problems are not reported as dangling). None when the item cannot be checked."""
        if not isinstance(raw, LineDict):
            self.problem(line, _about(kind, "", message("each item must be a mapping of fields")))
            return None
        raw_id = raw.get("id")
        valid_id = isinstance(raw_id, str) and ID_FORMAT.match(raw_id) and len(raw_id) <= MAX_ID_CHARS
        where = Message("%(kind)s %(id)s", (("kind", kind), ("id", quote(raw_id)))) if valid_id else kind
        keys = allowed or tuple(_keys(cls))
        for key in raw:
            if key not in keys:
                self.problem(raw.line_of(key), _unknown_field(where, "", key, ", ".join(sorted(keys))))
        if not valid_id:
            return where
        raw_id = str(raw_id)
        earlier = self._seen_ids.get((cls.__name__, raw_id))
        if earlier:
            detail = message("duplicate id %(id)s (already defined at %(place)s)", id=quote(raw_id), place=earlier)
            self.problem(raw.line_of("id"), _about(kind, "", detail))
            return None
        self._seen_ids[(cls.__name__, raw_id)] = f"{self.file}:{raw.line_of('id')}"
        return where

    def refer(self, kind: str, raw: LineDict, key: str, what: Message, *, many: bool = True) -> None:
        """Remember the ids named under `key` (a list of ids, or one id), to check once every file is read."""
        value = raw.get(key)
        targets = value if isinstance(value, list) and many else [value] if isinstance(value, str) else []
        for index, target in enumerate(targets):
            line = value.line_of(index) if isinstance(value, LineList) else raw.line_of(key)
            if isinstance(target, str):
                self.references.append(_Reference(kind, target, self.file, line, what, key))

    # -- files and sections ----------------------------------------------------------------------------------------

    def read_file(self, display: str, data: bytes | str) -> None:
        self.file = display
        if len(data) > MAX_FILE_BYTES:
            reason = message("the file is bigger than %(limit)d KB", limit=MAX_FILE_BYTES // 1024)
            hint = message("split it into smaller files (one topic per file)")
            sample = data[:MAX_FILE_BYTES].decode("utf-8", errors="replace") if isinstance(data, bytes) else data
            self.unreadable(Diagnosis(1, reason, hint), sample)
            return
        if isinstance(data, bytes):
            text, diagnosis = decode(data)
            if diagnosis is not None:
                self.unreadable(diagnosis, text)
                return
        else:
            text = data
        try:
            document = read_bounded(text, SHAPE)
        except ShapeError as exc:
            self.unreadable(Diagnosis(exc.line, exc.reason, exc.hint), text)
            return
        except yaml.YAMLError as exc:
            self.unreadable(explain_syntax_error(exc, text), text)
            return
        if document is None:
            self.problem(1, message("the file is empty"))
            return
        allowed = ", ".join(sorted(_keys(KnowledgeFile)))
        if not isinstance(document, LineDict):
            self.problem(1, message("the file must be a mapping with some of: %(keys)s", keys=allowed))
            return
        for key in document:
            if key not in _keys(KnowledgeFile):
                self.problem(document.line_of(key), _unknown_field(message("file"), "", key, allowed))
        # Items check their own keys; here the file's: a second `entries:` silently replaces the first, whose ids
        # then seem missing everywhere they are named. That is the root cause, and the only problem reported.
        for key, line in document.duplicate_keys:
            reason = _about(message("file"), "", message("key %(key)s appears twice", key=quote(str(key))))
            self.unreadable(Diagnosis(line, reason), text)
        for section in ("synonyms", "ignore"):
            self.duplicate_keys(document.get(section), message("file"))
        sections = self.check(KnowledgeFile, document, None)
        if sections is not None:
            self.synonyms.extend(sections.synonyms)
            groups = document.get("synonyms")
            if isinstance(groups, LineList) and len(groups) == len(sections.synonyms):
                for index, group in enumerate(sections.synonyms):
                    self.synonym_places.setdefault(group, (self.file, groups.line_of(index)))
            if sections.ignore:
                self.ignore.update(sections.ignore.it, sections.ignore.en)
        for items, read in ((document.get("sources"), self.read_source), (document.get("dates"), self.read_date)):
            if isinstance(items, LineList):
                for index, raw in enumerate(items):
                    read(raw, items.line_of(index))
        if "entries" in document or "topic" in document:
            self.read_topic(document)

    def read_source(self, raw: Any, line: int) -> None:
        where = self.item(raw, line, message("source"), Source)
        if where and (source := self.check(Source, raw, where)):
            self.sources[source.id] = source

    def read_date(self, raw: Any, line: int) -> None:
        where = self.item(raw, line, message("date"), KeyDate)
        if where is None:
            return
        self.refer("source", raw, "sources", where)
        self.refer("date", raw, "replaces", where, many=False)
        if key_date := self.check(KeyDate, raw, where):
            self.dates[key_date.id] = key_date

    def read_topic(self, document: LineDict) -> None:
        raw = document.get("topic")
        if not isinstance(raw, LineDict):
            self.problem(
                document.line_of("topic"), message("a file with entries needs 'topic:' with an id and a title")
            )
            return
        where = self.item(raw, raw.line, message("topic"), Topic)
        header = self.check(Topic, raw, where) if where else None
        topic_id = header.id if header else str(raw.get("id"))[:MAX_ID_CHARS]
        items = document.get("entries")
        if not isinstance(items, LineList) or not items:
            line = document.line_of("entries") if "entries" in document else raw.line
            self.problem(line, _about(where or message("topic"), "", message("has no entries")))
            return
        entry_ids = [
            entry.id
            for index, item in enumerate(items)
            if (entry := self.read_entry(item, items.line_of(index), topic_id))
        ]
        if header:
            self.topics.append(dataclasses.replace(header, entry_ids=tuple(entry_ids)))

    def read_entry(self, raw: Any, line: int, topic_id: str) -> Entry | None:
        self.entry_items += 1
        declined = topic_id == OUT_OF_SCOPE_TOPIC
        kind = message("out-of-scope entry") if declined else message("entry")
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
                        path = f"answer.{lang} {{{placeholder}:...}}"
                        self.references.append(
                            _Reference("date", target, self.file, raw.line_of("answer"), where, path)
                        )
            if "answer" not in raw:
                self.problem(raw.line, _about(where, "", message("missing field %(name)s", name="'answer'")))
            if not raw.get("sources") and topic_id != SMALLTALK_TOPIC:
                self.problem(
                    raw.line, _about(where, "", message("name at least one source (only small talk may have none)"))
                )
            related = raw.get("related")
            if isinstance(related, list) and raw.get("id") in related:
                self.problem(raw.line_of("related"), _about(where, "", message("an entry cannot be related to itself")))
        keys = DECLINED_ENTRY_FIELDS if declined else ()
        entry = self.check(Entry, raw, where, keys, topic=topic_id, file=self.file, line=raw.line)
        if entry is None or (not declined and entry.answer is None):
            return None
        self.entries[entry.id] = entry
        self.remember_lines(entry, raw)
        self.warn_few_phrasings(entry, raw, where)
        return entry

    def remember_lines(self, entry: Entry, raw: LineDict) -> None:
        questions, answer = raw.get("questions"), raw.get("answer")
        for lang in LANGUAGES:
            phrasings = questions.get(lang) if isinstance(questions, LineDict) else None
            if isinstance(phrasings, LineList):
                for index in range(len(phrasings)):
                    self.lines[(entry.id, lang, index)] = phrasings.line_of(index)
            if isinstance(answer, LineDict):
                self.lines[(entry.id, lang, ANSWER)] = answer.line_of(lang)

    def warn_few_phrasings(self, entry: Entry, raw: LineDict, where: Message) -> None:
        questions = raw.get("questions")
        for lang in LANGUAGES:
            count = len(entry.questions[lang])
            if count < RECOMMENDED_PHRASINGS:
                line = questions.line_of(lang) if isinstance(questions, LineDict) else raw.line
                detail = message(
                    "only %(count)d %(language)s phrasings: add more (at least %(recommended)d), the ways people "
                    "really ask: short, long, colloquial, without accents",
                    count=count,
                    language=LANGUAGE_NAMES[lang],
                    recommended=RECOMMENDED_PHRASINGS,
                )
                self.warnings.append(Problem(self.file, line, _about(where, "", detail)))

    # -- cross-file checks -----------------------------------------------------------------------------------------

    def check_references(self) -> None:
        known: dict[str, Mapping[str, object]] = {"source": self.sources, "entry": self.entries, "date": self.dates}
        namespace = {"source": "Source", "entry": "Entry", "date": "KeyDate"}
        kinds = {"source": message("source"), "entry": message("entry"), "date": message("date")}
        for ref in self.references:
            if ref.target in self.unreadable_ids:
                continue  # defined, as far as can be told, in a file that could not be read: reported there
            if ref.target not in known[ref.kind] and (namespace[ref.kind], ref.target) not in self._seen_ids:
                detail = message("no %(kind)s has id %(id)s", kind=kinds[ref.kind], id=quote(ref.target))
                self.problems.append(Problem(ref.file, ref.line, _about(ref.where, ref.path, detail)))
            elif ref.kind == "entry" and ref.target in self.entries and self.entries[ref.target].declined:
                detail = message("%(id)s is out of scope", id=quote(ref.target))
                self.problems.append(Problem(ref.file, ref.line, _about(ref.where, ref.path, detail)))
        for key_date in self.dates.values():
            if key_date.time is None and key_date.end_time is not None:
                where = self._seen_ids[("KeyDate", key_date.id)].rsplit(":", 1)
                reason = _about(
                    Message("%(kind)s %(id)s", (("kind", message("date")), ("id", quote(key_date.id)))),
                    "",
                    message("end_time without time"),
                )
                self.problems.append(Problem(where[0], int(where[1]), reason))

    def check_totals(self, place: str) -> None:
        phrasings = sum(len(e.questions[lang]) for e in self.entries.values() for lang in LANGUAGES)
        if len(self.entries) > MAX_ENTRIES:
            reason = message("%(count)d entries (at most %(limit)d)", count=len(self.entries), limit=MAX_ENTRIES)
            self.problems.append(Problem(place, 0, reason))
        if phrasings > MAX_TOTAL_PHRASINGS:
            reason = message(
                "%(count)d phrasings in all (at most %(limit)d)", count=phrasings, limit=MAX_TOTAL_PHRASINGS
            )
            self.problems.append(Problem(place, 0, reason))


# -- the entry points ----------------------------------------------------------------------------------------------


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def read_knowledge_files(directory: str | Path) -> KnowledgeFiles:
    """The YAML files of `directory` as bytes, each read only up to the size limits."""
    directory = Path(directory)
    place = str(directory)
    if not directory.is_dir():
        return KnowledgeFiles({}, (Problem(place, 0, message("knowledge directory not found")),))
    try:
        paths = _yaml_files(directory)
    except OSError as exc:
        return KnowledgeFiles(
            {}, (Problem(place, 0, message("cannot list the folder: %(reason)s", reason=exc.strerror)),)
        )
    problems: list[Problem] = []
    if not paths:
        problems.append(Problem(place, 0, message("no .yaml files in the knowledge directory")))
    if len(paths) > MAX_FILES:
        problems.append(
            Problem(place, 0, message("%(count)d .yaml files (at most %(limit)d)", count=len(paths), limit=MAX_FILES))
        )
        paths = paths[:MAX_FILES]
    files: dict[str, bytes] = {}
    total = 0
    for path in paths:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)  # enough to tell that it is too big (check_files says so)
        except OSError as exc:
            problems.append(Problem(str(path), 1, message("cannot read the file: %(reason)s", reason=exc.strerror)))
            continue
        files[str(path)] = data
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            break  # check_files reports the total
    return KnowledgeFiles(files, tuple(problems))


def check_files(
    files: Mapping[str, bytes | str], *, problems: tuple[Problem, ...] = (), place: str = "knowledge"
) -> KnowledgeCheck:
    """Check file contents (name -> YAML, as bytes or text): the knowledge base they make, or why not. `problems`
    are reading problems already found (see read_knowledge_files); `place` names the whole in messages."""
    reader = _Reader()
    reader.roots.extend(problems)
    total = sum(len(data) for data in files.values())
    if total > MAX_TOTAL_BYTES:
        limit = MAX_TOTAL_BYTES // (1024 * 1024)
        reader.roots.append(Problem(place, 0, message("the knowledge base is bigger than %(limit)d MB", limit=limit)))
        files = {}
    for name in sorted(files):
        reader.read_file(name, files[name])
    reader.check_references()
    reader.check_totals(place)
    if files and not reader.entry_items and not reader.roots:
        reader.problems.append(Problem(place, 0, message("no entries found")))
    errors = (*in_order(reader.roots), *in_order(reader.problems))
    warnings = tuple(in_order(reader.warnings))
    if errors:
        return KnowledgeCheck(None, errors, warnings, reader.lines, reader.synonym_places)
    kb = KnowledgeBase(
        entries=reader.entries,
        topics=tuple(reader.topics),
        sources=reader.sources,
        dates=reader.dates,
        synonyms=tuple(reader.synonyms),
        ignore=frozenset(reader.ignore),
    )
    return KnowledgeCheck(kb, (), warnings, reader.lines, reader.synonym_places)


def check_directory(directory: str | Path) -> KnowledgeCheck:
    source = read_knowledge_files(directory)
    with collector_paused():
        return check_files(source.files, problems=source.problems, place=str(directory))


def validate(directory: str | Path) -> list[Problem]:
    """Every error of the knowledge base in `directory`, root causes first; empty when valid."""
    return list(check_directory(directory).errors)


def load_knowledge(directory: str | Path) -> KnowledgeBase:
    """The knowledge base in `directory`; raises KnowledgeError listing every error if it is not valid."""
    check = check_directory(directory)
    if check.kb is None:
        raise KnowledgeError(list(check.errors))
    return check.kb

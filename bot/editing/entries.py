"""Edits staff make from Telegram, as changes to the entry's own file: more phrasings, or a new entry.

Each edit reads the file as it is now, changes only the entry concerned (the rest of the file is written back
byte for byte) and returns a `Change`, which the caller checks and writes (changes.py).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.editing.changes import Change
from bot.editing.yaml_text import Document, block_list, flow_list, scalar
from bot.knowledge import LANGUAGES, Entry, KnowledgeBase
from bot.staff.reports import one_line


class EditError(ValueError):
    """The edit cannot be made (the entry or topic is gone, the file is not what it was); the message says why."""


def same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _file_of(entry: Entry) -> str:
    return Path(entry.file).name


@dataclass(frozen=True)
class PhrasingEdit:
    change: Change
    added: Mapping[str, tuple[str, ...]]  # per language, the phrasings that were not there yet

    @property
    def count(self) -> int:
        return sum(len(texts) for texts in self.added.values())


def add_phrasings(folder: Mapping[str, str], entry: Entry, phrasings: Mapping[str, Sequence[str]]) -> PhrasingEdit:
    """Add users' wordings to an entry's questions, each under its language; ones it already has are skipped."""
    name = _file_of(entry)
    if name not in folder:
        raise EditError(f"{name} is no longer in the knowledge folder")
    document = Document(folder[name], name)
    found = document.find("entries", entry.id)
    if found is None:
        raise EditError(f"entry '{entry.id}' is no longer in {name}")
    items, index = found
    questions = items[index].get("questions")
    if not isinstance(questions, CommentedMap):
        raise EditError(f"entry '{entry.id}' in {name} has no questions to add to")
    added: dict[str, tuple[str, ...]] = {}
    for lang in LANGUAGES:
        existing = questions.get(lang)
        if not isinstance(existing, CommentedSeq):
            continue
        new: list[str] = []
        for text in phrasings.get(lang, ()):
            text = one_line(text)
            if text and not any(same_text(text, str(old)) for old in [*existing, *new]):
                new.append(text)
        existing.extend(scalar(text) for text in new)
        if new:
            added[lang] = tuple(new)
    after = document.text() if added else folder[name]
    return PhrasingEdit(Change.between(folder, {name: after}), added)


@dataclass(frozen=True)
class NewEntry:
    """An entry staff wrote from Telegram."""

    id: str
    topic: str
    questions: Mapping[str, Sequence[str]]
    answer: Mapping[str, str]
    sources: Sequence[str]
    related: Sequence[str] = field(default_factory=tuple)


def entry_node(entry: NewEntry) -> CommentedMap:
    """The entry as the knowledge files write it (docs/knowledge-format.md)."""
    node = CommentedMap()
    node["id"] = entry.id
    node["questions"] = CommentedMap(
        (lang, block_list([one_line(q) for q in entry.questions[lang]])) for lang in LANGUAGES
    )
    node["answer"] = CommentedMap((lang, scalar(entry.answer[lang].strip())) for lang in LANGUAGES)
    node["sources"] = flow_list(list(entry.sources))
    if entry.related:
        node["related"] = flow_list(list(entry.related))
    return node


def add_entry(folder: Mapping[str, str], kb: KnowledgeBase, entry: NewEntry) -> Change:
    """The new entry appended to its topic's file."""
    topic = kb.topic(entry.topic)
    if topic is None or not topic.entry_ids:
        raise EditError(f"topic '{entry.topic}' is no longer in the knowledge base")
    if entry.id in kb.entries:
        raise EditError(f"an entry with id '{entry.id}' already exists")
    name = _file_of(kb.entries[topic.entry_ids[0]])
    if name not in folder:
        raise EditError(f"{name} is no longer in the knowledge folder")
    document = Document(folder[name], name)
    document.ensure_section("entries").append(entry_node(entry))
    return Change.between(folder, {name: document.text()})

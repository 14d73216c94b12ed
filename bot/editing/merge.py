"""A spreadsheet's content written back into the knowledge files, touching only what differs.

An entry, date or source the workbook has exactly as the knowledge base has it is not touched: its lines, comments
and quoting stay byte for byte. A changed one is edited in place (only the fields that changed); a new one is
appended to its topic's file (a new topic gets a new file); one missing from the workbook is removed. The result is
a `Change` (changes.py), which the caller checks with the bot's loader, summarises and writes on confirmation.
"""

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.editing.changes import Change
from bot.editing.entries import NewEntry, entry_node
from bot.editing.workbook import DateRow, EntryRow, SourceRow, WorkbookContent
from bot.editing.yaml_text import Document, block_list, flow_list, flow_map, scalar
from bot.knowledge import LANGUAGES, KeyDate, KnowledgeBase, Source

_SECTION_START = {key: re.compile(rf"^{key}\s*:", re.MULTILINE) for key in ("dates", "sources")}
DATES_FILE = "dates.yaml"
SOURCES_FILE = "sources.yaml"


class MergeError(ValueError):
    """The workbook cannot be merged (e.g. a new topic without a title); `problems` says why, row by row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _Folder:
    """The knowledge files being edited: each parsed once, when first needed."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = dict(texts)
        self.documents: dict[str, Document] = {}
        self.deleted: set[str] = set()

    def document(self, name: str) -> Document:
        if name not in self.documents:
            self.documents[name] = Document(self.texts.get(name, ""), name)
            self.deleted.discard(name)
        return self.documents[name]

    def new_file(self, stem: str) -> str:
        name, number = f"{stem}.yaml", 1
        while name in self.texts or name in self.documents:
            number += 1
            name = f"{stem}-{number}.yaml"
        self.documents[name] = Document("", name)
        return name

    def holding(self, key: str) -> dict[str, str]:
        """item id -> file, for the items of a top-level list ("dates", "sources") across the folder."""
        where: dict[str, str] = {}
        for name, text in sorted(self.texts.items()):
            if _SECTION_START[key].search(text):
                for item in self.document(name).section(key) or ():
                    if isinstance(item, CommentedMap) and item.get("id") is not None:
                        where.setdefault(str(item["id"]), name)
        return where

    def remove(self, name: str, key: str, item_id: str) -> None:
        document = self.document(name)
        found = document.find(key, item_id)
        if found is None:
            return
        items, index = found
        _delete_item(items, index)
        if not items:
            del document.root[key]
            if key == "entries" and "topic" in document.root:
                del document.root["topic"]  # a topic without entries is not valid: it goes with its last entry
        if not document.root:
            self.deleted.add(name)

    def change(self) -> Change:
        after: dict[str, str | None] = {name: document.text() for name, document in self.documents.items()}
        after.update({name: None for name in self.deleted})
        return Change.between(self.texts, after)


def _delete_item(items: CommentedSeq, index: int) -> None:
    """Delete a list item; the comment lines that ruamel keeps after it belong to what follows, so they move to the
    item before it."""
    trailing = items.ca.items.pop(index, None)
    del items[index]
    shifted = {(i - 1 if i > index else i): c for i, c in items.ca.items.items()}
    items.ca.items.clear()
    items.ca.items.update(shifted)
    if trailing is not None and index > 0 and index - 1 not in items.ca.items:
        items.ca.items[index - 1] = trailing


def _set_list(node: CommentedMap, key: str, values: Sequence[str], *, flow: bool) -> None:
    """Make node[key] hold `values`, keeping the items (and their quoting) that stay; an empty list removes it."""
    current = node.get(key)
    if not values:
        if key in node:
            del node[key]
        return
    if not isinstance(current, CommentedSeq):
        node[key] = flow_list(list(values)) if flow else block_list(list(values))
        return
    if [str(item) for item in current] == list(values):
        return
    old = list(current)
    last_comment = current.ca.items.get(len(old) - 1)
    unused = list(range(len(old)))
    rebuilt: list[Any] = []
    for value in values:
        match = next((i for i in unused if str(old[i]) == value), None)
        if match is None:
            rebuilt.append(scalar(value))
        else:
            unused.remove(match)
            rebuilt.append(old[match])
    current.ca.items.clear()
    del current[:]
    current.extend(rebuilt)
    if last_comment is not None:
        current.ca.items[len(rebuilt) - 1] = last_comment


def _set_text(node: CommentedMap, key: str, value: str | None) -> None:
    if value is None or value == "":
        if key in node:
            del node[key]
    elif str(node.get(key, "")).strip() != value:
        node[key] = scalar(value)


def _set_titles(node: CommentedMap, titles: Mapping[str, str]) -> None:
    title = node.get("title")
    if not isinstance(title, CommentedMap):
        node["title"] = CommentedMap((lang, scalar(titles.get(lang, ""))) for lang in LANGUAGES)
        return
    for lang in LANGUAGES:
        _set_text(title, lang, titles.get(lang, ""))


# -- entries -------------------------------------------------------------------------------------------------------


def _update_entry(node: CommentedMap, row: EntryRow) -> None:
    questions = node.get("questions")
    if not isinstance(questions, CommentedMap):
        questions = node["questions"] = CommentedMap()
    for lang in LANGUAGES:
        _set_list(questions, lang, row.questions[lang], flow=False)
    if row.answer:
        answer = node.get("answer")
        if not isinstance(answer, CommentedMap):
            answer = CommentedMap()
            node.insert(list(node).index("questions") + 1, "answer", answer)
        for lang in LANGUAGES:
            _set_text(answer, lang, row.answer.get(lang))
    elif "answer" in node:
        del node["answer"]
    _set_list(node, "sources", row.sources, flow=True)
    _set_list(node, "related", row.related, flow=True)
    if row.not_in_sources:
        if node.get("not_in_sources") is not True:
            node["not_in_sources"] = True
    elif "not_in_sources" in node:
        del node["not_in_sources"]


def _differs(row: EntryRow, kb: KnowledgeBase) -> bool:
    entry = kb.entries[row.id]
    answer = {lang: entry.answer.get(lang) for lang in LANGUAGES} if entry.answer else {}
    return (
        any(tuple(entry.questions[lang]) != row.questions[lang] for lang in LANGUAGES)
        or answer != dict(row.answer)
        or entry.sources != row.sources
        or entry.related != row.related
        or entry.not_in_sources != row.not_in_sources
    )


def _new_entry_node(row: EntryRow) -> CommentedMap:
    if not row.answer:  # out of scope: questions only
        node = CommentedMap()
        node["id"] = row.id
        node["questions"] = CommentedMap((lang, block_list(list(row.questions[lang]))) for lang in LANGUAGES)
        return node
    node = entry_node(NewEntry(row.id, row.topic, row.questions, row.answer, row.sources, row.related))
    if row.not_in_sources:
        node["not_in_sources"] = True
    return node


def _merge_entries(folder: _Folder, kb: KnowledgeBase, content: WorkbookContent, problems: list[str]) -> None:
    topic_files = {topic.id: Path(kb.entries[topic.entry_ids[0]].file).name for topic in kb.topics if topic.entry_ids}
    wanted = {row.id for row in content.entries}
    for entry in kb.entries.values():
        if entry.id not in wanted:
            folder.remove(Path(entry.file).name, "entries", entry.id)
    for row in content.entries:
        existing = kb.entries.get(row.id)
        if existing is not None and existing.topic == row.topic:
            if _differs(row, kb):
                found = folder.document(Path(existing.file).name).find("entries", row.id)
                if found is not None:
                    items, index = found
                    _update_entry(items[index], row)
            continue
        if existing is not None:
            folder.remove(Path(existing.file).name, "entries", row.id)
        name = topic_files.get(row.topic)
        if name is None:
            titles = content.topics.get(row.topic, {})
            if not row.topic or not all(titles.get(lang) for lang in LANGUAGES):
                problems.append(
                    f"Entries!{row.row}: entry {row.id!r}: topic {row.topic!r} is new; give it an Italian and an "
                    "English title in the Topics sheet"
                )
                continue
            name = topic_files[row.topic] = folder.new_file(row.topic)
            document = folder.document(name)
            document.root["topic"] = CommentedMap(id=row.topic, title=flow_map(dict(titles)))
        folder.document(name).ensure_section("entries").append(_new_entry_node(row))
    for topic in kb.topics:
        new_titles = content.topics.get(topic.id)
        if (
            new_titles
            and any(new_titles.get(lang) != topic.title.get(lang) for lang in LANGUAGES)
            and topic.id in topic_files
        ):
            node = folder.document(topic_files[topic.id]).root.get("topic")
            if isinstance(node, CommentedMap):
                _set_titles(node, new_titles)


# -- dates and sources ---------------------------------------------------------------------------------------------


def _clock(value: dt.time | None) -> str:
    return value.strftime("%H:%M") if value else ""


def _date_differs(row: DateRow, date: KeyDate) -> bool:
    reminders = tuple(sorted({d for d in row.reminders if isinstance(d, int)}, reverse=True))
    return (
        row.kind != date.kind
        or row.day != date.day
        or row.time != _clock(date.time)
        or row.end_time != _clock(date.end_time)
        or row.timezone != (date.timezone or "")
        or any(row.title.get(lang) != date.title.get(lang) for lang in LANGUAGES)
        or row.sources != date.sources
        or row.replaces != (date.replaces or "")
        or len(reminders) != len(row.reminders)
        or reminders != date.reminders
    )


def _update_date(node: CommentedMap, row: DateRow) -> None:
    _set_text(node, "kind", row.kind)
    if row.day is None:
        node.pop("date", None)
    elif node.get("date") != row.day:
        node["date"] = row.day if isinstance(row.day, dt.date) else scalar(str(row.day))
    _set_text(node, "time", row.time)
    _set_text(node, "end_time", row.end_time)
    _set_text(node, "timezone", row.timezone)
    _set_titles(node, row.title)
    _set_list(node, "sources", row.sources, flow=True)
    _set_text(node, "replaces", row.replaces)
    current = node.get("reminders")
    if not row.reminders:
        node.pop("reminders", None)
    elif not isinstance(current, CommentedSeq) or list(current) != list(row.reminders):
        days = CommentedSeq(d if isinstance(d, int) else scalar(str(d)) for d in row.reminders)
        days.fa.set_flow_style()
        node["reminders"] = days


def _new_date_node(row: DateRow) -> CommentedMap:
    node = CommentedMap(id=row.id)
    _update_date(node, row)
    return node


def _source_differs(row: SourceRow, source: Source) -> bool:
    return (
        any(row.title.get(lang) != source.title.get(lang) for lang in LANGUAGES)
        or row.url != (source.url or "")
        or row.published != source.published
    )


def _update_source(node: CommentedMap, row: SourceRow) -> None:
    _set_titles(node, row.title)
    _set_text(node, "url", row.url)
    if row.published is None:
        node.pop("published", None)
    elif node.get("published") != row.published:
        node["published"] = row.published if isinstance(row.published, dt.date) else scalar(str(row.published))


def _new_source_node(row: SourceRow) -> CommentedMap:
    node = CommentedMap(id=row.id)
    _update_source(node, row)
    return node


def _merge_items(
    folder: _Folder,
    key: str,
    default_file: str,
    rows: Sequence[Any],
    current: Mapping[str, Any],
    differs: Any,
    update: Any,
    create: Any,
) -> None:
    where = folder.holding(key)
    wanted = {row.id for row in rows}
    for item_id, name in where.items():
        if item_id not in wanted:
            folder.remove(name, key, item_id)
    counts: dict[str, int] = {}
    for name in where.values():
        counts[name] = counts.get(name, 0) + 1
    home = max(counts, key=lambda name: counts[name]) if counts else default_file
    for row in rows:
        held = where.get(row.id)
        if held is None:
            folder.document(home).ensure_section(key).append(create(row))
        elif row.id not in current or differs(row, current[row.id]):
            found = folder.document(held).find(key, row.id)
            if found is not None:
                items, index = found
                update(items[index], row)


def workbook_change(folder_texts: Mapping[str, str], kb: KnowledgeBase, content: WorkbookContent) -> Change:
    """The change that makes the knowledge folder say what the workbook says; MergeError if it cannot."""
    problems: list[str] = []
    seen: dict[str, int] = {}
    for kind, rows in (("Dates", content.dates or ()), ("Sources", content.sources or ())):
        seen.clear()
        for row in rows:
            if not row.id:
                problems.append(f"{kind}!{row.row}: the id is empty")
            elif row.id in seen:
                problems.append(f"{kind}!{row.row}: {row.id!r} appears twice (first at row {seen[row.id]})")
            seen.setdefault(row.id, row.row)
    if problems:
        raise MergeError(problems)
    folder = _Folder(folder_texts)
    _merge_entries(folder, kb, content, problems)
    if content.dates is not None:
        _merge_items(folder, "dates", DATES_FILE, content.dates, kb.dates, _date_differs, _update_date, _new_date_node)
    if content.sources is not None:
        _merge_items(
            folder,
            "sources",
            SOURCES_FILE,
            content.sources,
            kb.sources,
            _source_differs,
            _update_source,
            _new_source_node,
        )
    if problems:
        raise MergeError(problems)
    return folder.change()

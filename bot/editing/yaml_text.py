"""Round-trip YAML for the knowledge files: what the bot writes keeps staff's comments, quoting and layout.

ruamel.yaml reads a file into nodes that remember their comments and style and writes them back unchanged, so an
edit touches only the entry it is about. Two traps are handled here:
- The loader (PyYAML) reads YAML 1.1, where a plain `on`, `no`, `12:30` or `2017-01-01` is not text. `scalar()`
  quotes every text that PyYAML would not read back as the same text.
- A long answer written on one line is hard to edit: it is folded (`>-`) at word boundaries.
"""

import io
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString, LiteralScalarString

FOLD_WIDTH = 100  # characters per line of a folded answer
_LONG = 110  # a text longer than this is folded
#: Indentation styles tried, in order (mapping indent, sequence indent, offset of the dash): the first that writes the
#: file back exactly as it was is the file's own. The knowledge base uses the first.
_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0), (3, 3, 0))


class DocumentError(ValueError):
    """A file the editor cannot read as a knowledge file; the message says which and why."""


def _round_trip(layout: tuple[int, int, int]) -> YAML:
    handler = YAML()
    handler.preserve_quotes = True
    handler.width = 4096  # never re-wrap the lines staff wrote
    mapping, sequence, offset = layout
    handler.indent(mapping=mapping, sequence=sequence, offset=offset)
    return handler


def _dump(handler: YAML, root: Any) -> str:
    out = io.StringIO()
    handler.dump(root, out)
    return out.getvalue()


class Document:
    """One knowledge file, read for editing and written back in the same layout."""

    def __init__(self, text: str, name: str = "") -> None:
        self.name = name
        self._yaml = _round_trip(_LAYOUTS[0])
        try:
            self.root: Any = self._yaml.load(text)
        except YAMLError as exc:
            raise DocumentError(f"{name}: not readable as YAML ({exc})") from None
        if self.root is None:
            self.root = CommentedMap()
        if not isinstance(self.root, CommentedMap):
            raise DocumentError(f"{name}: expected a mapping at the top of the file")
        for layout in _LAYOUTS:  # the file's own indentation, so that untouched lines are written back as they were
            handler = _round_trip(layout)
            if _dump(handler, self.root) == text:
                self._yaml = handler
                break

    def text(self) -> str:
        return _dump(self._yaml, self.root)

    def section(self, key: str) -> CommentedSeq | None:
        """A top-level list (entries, sources, dates), or None."""
        value = self.root.get(key)
        return value if isinstance(value, CommentedSeq) else None

    def ensure_section(self, key: str) -> CommentedSeq:
        found = self.section(key)
        if found is None:
            found = CommentedSeq()
            self.root[key] = found
        return found

    def find(self, key: str, item_id: str) -> tuple[CommentedSeq, int] | None:
        """The list and index of the item with this id in a top-level list."""
        items = self.section(key)
        if items is None:
            return None
        for index, item in enumerate(items):
            if isinstance(item, CommentedMap) and str(item.get("id")) == item_id:
                return items, index
        return None

    def topic_id(self) -> str | None:
        topic = self.root.get("topic")
        return str(topic.get("id")) if isinstance(topic, CommentedMap) and topic.get("id") is not None else None


def _reads_back(node: Any, text: str) -> bool:
    """True when PyYAML (YAML 1.1, what the loader uses) reads `node`, written by ruamel, back as this very text
    (and a plain text was written plain: when ruamel would need another style, double quotes read better)."""
    written = _dump(_round_trip(_LAYOUTS[0]), CommentedMap(x=node))
    if type(node) is str and written != f"x: {text}\n":
        return False
    try:
        return yaml.safe_load(written) == {"x": text}
    except yaml.YAMLError:
        return False


def _fold_positions(text: str, width: int = FOLD_WIDTH) -> list[int]:
    """Where to break a folded scalar: single spaces between words, about every `width` characters."""
    positions, last = [], 0
    for index, char in enumerate(text):
        if (
            char == " "
            and index - last >= width
            and 0 < index < len(text) - 1
            and text[index - 1] != " "
            and text[index + 1] != " "
        ):
            positions.append(index)
            last = index
    return positions


def _folded(text: str) -> FoldedScalarString:
    folded = FoldedScalarString(text)
    folded.fold_pos = _fold_positions(text)  # type: ignore[attr-defined]
    return folded


def scalar(text: str) -> Any:
    """A text as the node that writes it safely: plain when that reads back the same, quoted otherwise; long
    answers folded, texts with line breaks as a literal block. Each form is tried by writing it and reading it
    back with the loader's parser; double quotes, which escape everything, are the fallback."""
    if "\n" in text:
        candidates: list[Any] = [LiteralScalarString(text)]
    elif len(text) > _LONG:
        candidates = [_folded(text)]
    else:
        candidates = [text]
    for candidate in candidates:
        if _reads_back(candidate, text):
            return candidate
    return DoubleQuotedScalarString(text)


def flow_list(items: list[str]) -> CommentedSeq:
    """A short list of ids written on one line: [a, b]."""
    seq = CommentedSeq(scalar(item) for item in items)
    seq.fa.set_flow_style()
    return seq


def block_list(items: list[str]) -> CommentedSeq:
    return CommentedSeq(scalar(item) for item in items)


def flow_map(values: dict[str, str]) -> CommentedMap:
    """A short mapping on one line, as topic titles are written: {it: ..., en: ...}."""
    mapping = CommentedMap((key, scalar(value)) for key, value in values.items())
    mapping.fa.set_flow_style()
    return mapping

"""YAML loading that remembers line numbers, so every knowledge-base problem can be reported as file:line, and that
measures a document's shape before building it, so a hostile file costs little.

YAML aliases (`*name`) repeat an anchored value without copying it: nine lines can stand for a billion values (the
"billion laughs"), which whatever walks the result then expands. `check_shape` walks the parser's events once,
counting every value as the result will hold it, aliases expanded, and stops at the first limit passed.

`read_bounded` does both in one pass over libyaml's events (the parse is most of the cost of loading a knowledge
base): it counts as `check_shape` does, and builds the values as `load_with_lines` would. What it does not build
itself (explicit tags, merge keys, a list or mapping used as a key, a broken anchor, several documents) it leaves
to `check_shape` then `load_with_lines`, so its result, errors included, is always theirs.
"""

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from bot.knowledge.problems import Message, message, quote


class LineDict(dict):
    """A YAML mapping that knows the line of each of its keys."""

    line: int = 0
    key_lines: dict[Any, int]
    duplicate_keys: list[tuple[Any, int]]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A YAML sequence that knows the line of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present: much faster


class _LineLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """A safe loader (no arbitrary objects) whose mappings and sequences carry line numbers."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    mapping.duplicate_keys = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            if key in mapping:
                mapping.duplicate_keys.append((key, line))
        except TypeError as exc:  # a list or mapping used as a key
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text", key_node.start_mark
            ) from exc
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    items = LineList(loader.construct_object(child, deep=True) for child in node.value)
    items.line = node.start_mark.line + 1
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """An impossible date such as 2017-02-30 stays text, so the validator can report it instead of crashing."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_with_lines(text: str) -> Any:
    """Parse one YAML document; raises yaml.YAMLError with a mark on bad syntax."""
    return yaml.load(text, Loader=_LineLoader)


@dataclass(frozen=True)
class ShapeLimits:
    """What one YAML document may hold: nesting depth, values (aliases expanded) and characters in one value."""

    depth: int
    values: int
    scalar_chars: int


class ShapeError(Exception):
    """The document passes a limit; `line` is where, `reason` says which in staff words."""

    def __init__(self, line: int, reason: Message, hint: Message | None = None) -> None:
        super().__init__(str(reason))
        self.line = line
        self.reason = reason
        self.hint = hint


def check_shape(text: str, limits: ShapeLimits) -> None:
    """Raise ShapeError at the first limit `text` passes, or yaml.YAMLError on bad syntax; linear in the text."""
    parser = _SafeLoader(text)
    sizes: dict[str, int] = {}  # anchor -> values it stands for, once its value is complete
    open_anchors: list[tuple[str | None, int]] = []  # collections being read: (anchor, count when it began)
    count = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            line = event.start_mark.line + 1
            if isinstance(event, ScalarEvent):
                count += 1
                if len(event.value) > limits.scalar_chars:
                    raise ShapeError(line, _too_long(event.value, limits.scalar_chars))
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, CollectionStartEvent):
                count += 1
                open_anchors.append((event.anchor, count))
                if len(open_anchors) > limits.depth:
                    reason = message("nested more than %(depth)d levels deep", depth=limits.depth)
                    raise ShapeError(line, reason, message("check the indentation of this line and the ones above"))
            elif isinstance(event, CollectionEndEvent):
                anchor, began = open_anchors.pop()
                if anchor:
                    sizes[anchor] = count - began + 1
            elif isinstance(event, AliasEvent):
                if any(anchor == event.anchor for anchor, _ in open_anchors):
                    reason = message("the alias *%(name)s refers to itself", name=(event.anchor or "")[:20])
                    raise ShapeError(line, reason, _WRITE_OUT)
                count += sizes.get(event.anchor or "", 1)  # an unknown alias is reported by the parser when building
            if count > limits.values:
                raise ShapeError(line, _too_many(limits.values), _WRITE_OUT)
    finally:
        parser.dispose()


_WRITE_OUT = message("write each text out in full instead of repeating it with &name and *name")


_STR = "tag:yaml.org,2002:str"
#: Implicitly typed plain scalars the one pass builds with the loader's own constructors; other implicit types
#: (merge keys `<<`, the value key `=`) go to the general loader.
_BUILT_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp"))
_IMPLICIT = _LineLoader.yaml_implicit_resolvers
_CONSTRUCTOR = yaml.constructor.SafeConstructor()  # its scalar constructors keep no state
_NO_KEY = object()


class _Unusual(Exception):
    """Something read_bounded leaves to the general loader."""


class _Open:
    """A mapping or sequence being read, with its anchor and the value count when it began."""

    __slots__ = ("anchor", "began", "key", "key_line", "value")

    def __init__(self, value: LineDict | LineList, anchor: str | None, began: int) -> None:
        self.value, self.anchor, self.began = value, anchor, began
        self.key: Any = _NO_KEY
        self.key_line = 0


def _scalar(event: ScalarEvent) -> Any:
    """The value of a scalar as the safe loader resolves and constructs it."""
    if event.tag not in (None, "!"):
        raise _Unusual
    value = event.value
    if not event.implicit[0]:  # quoted: text
        return value
    for tag, pattern in _IMPLICIT.get(value[:1], []) + _IMPLICIT.get(None, []):
        if pattern.match(value):
            if tag not in _BUILT_TAGS:
                raise _Unusual
            node = yaml.ScalarNode(tag, value)  # marks are only for errors, and these constructors raise none
            return _LineLoader.yaml_constructors[tag](_CONSTRUCTOR, node)
    return value


def read_bounded(text: str, limits: ShapeLimits) -> Any:
    """`check_shape(text, limits)` then `load_with_lines(text)`, in one pass where the document allows."""
    try:
        return _read_once(text, limits)
    except _Unusual:
        check_shape(text, limits)
        return load_with_lines(text)


def _read_once(text: str, limits: ShapeLimits) -> Any:
    parser = _SafeLoader(text)
    sizes: dict[str, int] = {}  # anchor -> values it stands for, once its value is complete (as check_shape)
    anchored: dict[str, tuple[Any, int]] = {}  # anchor -> its value and the line it starts at
    stack: list[_Open] = []
    root: Any = None
    documents = 0
    count = 0

    def place(value: Any, line: int) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        if isinstance(top.value, LineList):
            top.value.append(value)
            top.value.item_lines.append(line)
        elif top.key is _NO_KEY:
            if isinstance(value, LineDict | LineList):
                raise _Unusual  # a collection as a key: the general loader says what is wrong
            top.key, top.key_line = value, line
        else:
            mapping, key = top.value, top.key
            if key in mapping:
                mapping.duplicate_keys.append((key, top.key_line))
            mapping[key] = value
            mapping.key_lines[key] = top.key_line
            top.key = _NO_KEY

    try:
        while True:
            event = parser.get_event()
            kind = type(event)
            line = event.start_mark.line + 1
            if kind is ScalarEvent:
                count += 1
                if len(event.value) > limits.scalar_chars:
                    raise ShapeError(line, _too_long(event.value, limits.scalar_chars))
                value = _scalar(event)
                if event.anchor:
                    sizes[event.anchor] = 1
                    if event.anchor in anchored:
                        raise _Unusual
                    anchored[event.anchor] = (value, line)
                place(value, line)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                count += 1
                if len(stack) >= limits.depth:
                    reason = message("nested more than %(depth)d levels deep", depth=limits.depth)
                    raise ShapeError(line, reason, message("check the indentation of this line and the ones above"))
                if event.tag not in (None, "!"):
                    raise _Unusual
                collection: LineDict | LineList
                if kind is MappingStartEvent:
                    collection = LineDict()
                    collection.key_lines = {}
                    collection.duplicate_keys = []
                else:
                    collection = LineList()
                    collection.item_lines = []
                collection.line = line
                place(collection, line)
                if event.anchor:
                    if event.anchor in anchored:
                        raise _Unusual
                    anchored[event.anchor] = (collection, line)
                stack.append(_Open(collection, event.anchor, count))
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = stack.pop()
                if done.anchor:
                    sizes[done.anchor] = count - done.began + 1
            elif kind is AliasEvent:
                if any(item.anchor == event.anchor for item in stack):
                    reason = message("the alias *%(name)s refers to itself", name=(event.anchor or "")[:20])
                    raise ShapeError(line, reason, _WRITE_OUT)
                if event.anchor not in anchored:
                    raise _Unusual
                count += sizes[event.anchor]
                place(*anchored[event.anchor])
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Unusual
            elif kind is StreamEndEvent:
                return root
            if count > limits.values:
                raise ShapeError(line, _too_many(limits.values), _WRITE_OUT)
    finally:
        parser.dispose()


def _too_long(value: str, limit: int) -> Message:
    return message(
        "a text of %(length)d characters (at most %(limit)d): %(start)s",
        length=len(value),
        limit=limit,
        start=quote(value),
    )


def _too_many(limit: int) -> Message:
    return message(
        "the file holds more than %(limit)d values, counting each repetition of an alias (*name): it was not read",
        limit=limit,
    )

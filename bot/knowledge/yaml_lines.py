"""YAML loading that remembers line numbers, so every knowledge-base problem can be reported as file:line, and that
measures a document's shape before building it, so a hostile file costs little.

YAML aliases (`*name`) repeat an anchored value without copying it: nine lines can stand for a billion values (the
"billion laughs"), which whatever walks the result then expands. `check_shape` walks the parser's events once,
counting every value as the result will hold it, aliases expanded, and stops at the first limit passed.
"""

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
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

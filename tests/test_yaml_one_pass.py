"""The one-pass YAML reader gives exactly what the shape check followed by the line-keeping loader gives: the same
values, lines, duplicate keys and, for a broken or hostile document, the same error."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge.loader import SHAPE
from bot.knowledge.yaml_lines import (
    LineDict,
    LineList,
    ShapeError,
    ShapeLimits,
    check_shape,
    load_with_lines,
    read_bounded,
)
from bot.shipped import KNOWLEDGE_DIR as SHIPPED_KB
from tests.conftest import FIXTURE_KB

SMALL = ShapeLimits(depth=6, values=40, scalar_chars=30)


def two_passes(text: str, limits: ShapeLimits) -> Any:
    check_shape(text, limits)
    return load_with_lines(text)


def outcome(read: Any, text: str, limits: ShapeLimits) -> tuple[str, Any]:
    try:
        return "value", described(read(text, limits))
    except ShapeError as exc:
        return "shape", (exc.line, str(exc.reason), str(exc.hint))
    except yaml.YAMLError as exc:
        return "yaml", (type(exc).__name__, str(exc))


def described(value: Any) -> Any:
    """A value with everything the loader relies on made visible: types, lines, duplicate keys."""
    if isinstance(value, LineDict):
        items = [(described(k), described(v)) for k, v in value.items()]
        return ("map", value.line, items, sorted(value.key_lines.items(), key=repr), value.duplicate_keys)
    if isinstance(value, LineList):
        return ("seq", value.line, [described(v) for v in value], value.item_lines)
    assert not isinstance(value, dict | list), "a mapping or list without lines"
    return (type(value).__name__, value)


def same(text: str, limits: ShapeLimits = SHAPE) -> tuple[str, Any]:
    fast = outcome(read_bounded, text, limits)
    assert fast == outcome(two_passes, text, limits), text
    return fast


CASES = {
    "plain": "topic:\n  id: a\n  title: {it: T, en: T}\nentries:\n- id: x\n  questions:\n    it: [uno, due]\n",
    "typed scalars": "a: 1\nb: 1.5\nc: yes\nd: ~\ne: 2017-02-28\nf: 2017-02-30\ng: '1'\nh: 0x1F\ni: .inf\nj:\n",
    "quoted and block": 'a: "x: y"\nb: |\n  line one\n  line two\nc: >\n  folded\n  text\n',
    "anchors and aliases": (
        "base: &b {it: uno, en: one}\nuse: *b\nlist: &l [1, 2]\nagain: [*l, *l]\nkey: &k name\n*k : v\n"
    ),
    "duplicate keys": "a: 1\nb: 2\na: 3\nnested:\n  x: 1\n  x: 2\n",
    "merge key": "base: &b {a: 1}\nderived:\n  <<: *b\n  a: 2\n",
    "explicit tags": "a: !!str 12\nb: !!int '3'\nc: !custom x\n",
    "value key": "=: 1\n",
    "value value": "a: =\n",
    "mapping as key": "? {a: 1}\n: b\n",
    "list as key": "? [a]\n: b\n",
    "undefined alias": "a: *nowhere\n",
    "duplicate anchor": "a: &x 1\nb: &x 2\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "empty": "",
    "only a comment": "# nothing\n",
    "null document": "---\n",
    "scalar document": "just text\n",
    "syntax error": "a: [1, 2\nb: 3\n",
    "tab": "a:\n\t- b\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "alias bomb": 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b]\n',
    "self alias": "a: &a [1, *a]\n",
    "too deep": "a: [[[[[[1]]]]]]\n",
    "too long": "a: " + "x" * 40 + "\n",
    "too many": "a: [" + ", ".join(["1"] * 50) + "]\n",
    "error after a shape problem": "a: [" + ", ".join(["1"] * 50) + "]\nb: [\n",
    "shape problem after an error": "a: *nowhere\nb: [" + ", ".join(["1"] * 50) + "]\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_pass_reads_like_two_passes(name: str) -> None:
    kind, _ = same(CASES[name], SMALL)
    if name in ("plain", "typed scalars", "anchors and aliases", "duplicate keys", "merge key", "value key"):
        assert kind == "value"
    if name in ("alias bomb", "self alias", "too deep", "too long", "too many", "error after a shape problem"):
        assert kind == "shape"
    if name in ("syntax error", "tab", "bad indentation", "undefined alias", "duplicate anchor", "two documents"):
        assert kind == "yaml"


@pytest.mark.parametrize("folder", [SHIPPED_KB, FIXTURE_KB], ids=["shipped", "fixture"])
def test_knowledge_bases_read_the_same(folder: Path) -> None:
    for path in sorted(folder.glob("*.yaml")):
        assert same(path.read_text(encoding="utf-8"))[0] == "value"


scalars = st.one_of(
    st.text(alphabet="ab:-# '\"&*!<=~.01yn\t", max_size=8),
    st.integers(-100, 100),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, width=32),
    st.dates(),
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text("abc", max_size=3), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.booleans(), st.data())
def test_any_document_reads_the_same(document: Any, flow: bool, data: st.DataObject) -> None:
    """Written by yaml itself, then edited at random (a character cut or repeated, an anchor and an alias added):
    valid and broken documents alike."""
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    edits = data.draw(st.lists(st.tuples(st.integers(0, max(len(text) - 1, 0)), st.sampled_from("cd&*")), max_size=3))
    for position, edit in edits:
        if edit == "c":
            text = text[:position] + text[position + 1 :]
        elif edit == "d":
            text = text[:position] + text[position : position + 1] * 2 + text[position + 1 :]
        else:
            text = text[:position] + f"{edit}n " + text[position:]
    same(text, SMALL)


def test_validate_parses_each_file_once_with_libyaml(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m bot validate` reads each file with one parse (the bounds and the values in the same pass), with
    libyaml's C parser where it is installed."""
    from bot import cli
    from bot.knowledge import yaml_lines

    if yaml.__with_libyaml__:
        assert yaml_lines._SafeLoader is yaml.CSafeLoader
    parses: list[int] = []

    class Counting(yaml_lines._SafeLoader):  # type: ignore[misc,name-defined]
        def __init__(self, stream: str) -> None:
            parses.append(len(stream))
            super().__init__(stream)

    def counting_load(stream: str, Loader: type) -> object:
        parses.append(len(stream))
        return real_load(stream, Loader=Loader)

    real_load = yaml.load
    monkeypatch.setattr(yaml_lines, "_SafeLoader", Counting)
    monkeypatch.setattr(yaml, "load", counting_load)
    assert cli.main(["validate", str(FIXTURE_KB)]) == 0
    assert "valid" in capsys.readouterr().out
    assert len(parses) == len(list(FIXTURE_KB.glob("*.yaml")))

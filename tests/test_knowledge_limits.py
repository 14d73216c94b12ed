"""Every input from outside is bounded (issue 11, item 5): a knowledge-base file cannot make the loader slow or the
messages long. Each limit is refused with one short message at its file and line."""

import itertools
import time
from pathlib import Path

import pytest

from bot.knowledge import check_files, loader, read_knowledge_files
from bot.knowledge.loader import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES

SOURCES = "sources:\n  - id: press\n    title: {it: Comunicato, en: Press release}\n"
TOPIC = "topic: {id: t, title: {it: T, en: T}}\nentries:\n"


def entry(number: int, phrasings: int = 1, answer: str = "Risposta.") -> str:
    it = ", ".join(f"domanda {number} {k}" for k in range(phrasings))
    en = ", ".join(f"question {number} {k}" for k in range(phrasings))
    return (
        f"  - id: e{number}\n    questions:\n      it: [{it}]\n      en: [{en}]\n"
        f"    answer: {{it: {answer}, en: Answer.}}\n    sources: [press]\n"
    )


def errors(files: dict[str, str | bytes]) -> list[str]:
    return [str(p) for p in check_files({"k/sources.yaml": SOURCES, **files}).errors]


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijklmnop"
    for previous, name in itertools.pairwise(names[:levels]):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_it_is_built() -> None:
    started = time.perf_counter()
    found = errors({"k/bomb.yaml": billion_laughs()})
    assert time.perf_counter() - started < 0.5
    assert found == [
        "k/bomb.yaml:6: the file holds more than 100000 values, counting each repetition of an alias (*name): it was "
        "not read — write each text out in full instead of repeating it with &name and *name"
    ]


def test_a_few_aliases_are_fine() -> None:
    text = (
        TOPIC
        + entry(1).replace("sources: [press]", "sources: &mine [press]")
        + entry(2).replace("sources: [press]", "sources: *mine")
    )
    assert errors({"k/t.yaml": text}) == []


def test_an_alias_inside_itself_is_refused() -> None:
    assert errors({"k/loop.yaml": "a: &x [1, *x]\n"}) == [
        "k/loop.yaml:1: the alias *x refers to itself — write each text out in full instead of repeating it with "
        "&name and *name"
    ]


def test_nesting_is_bounded() -> None:
    deep = "a:\n" + "".join("  " * depth + f"k{depth}:\n" for depth in range(1, 15)) + "  " * 15 + "x\n"
    assert errors({"k/deep.yaml": deep}) == [
        "k/deep.yaml:11: nested more than 10 levels deep — check the indentation of this line and the ones above"
    ]


def test_a_huge_value_is_quoted_in_forty_characters() -> None:
    """Before: a 400 KB id was quoted whole, in each of 98 messages."""
    found = errors({"k/huge.yaml": f"sources:\n  - id: {'x' * 400_000}\n    title: {{it: a, en: b}}\n"})
    assert found == [
        "k/huge.yaml:2: a text of 400000 characters (at most 20000): 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"
    ]


def test_a_long_id_is_refused_and_quoted_short() -> None:
    found = errors({"k/t.yaml": TOPIC + entry(1).replace("id: e1", f"id: {'a' * 61}")})
    assert found == [f"k/t.yaml:3: entry: id '{'a' * 40}…' is longer than 60 characters"]


def test_answers_are_bounded() -> None:
    """Before: a valid 50 MB answer froze every user for over 25 s."""
    assert errors({"k/t.yaml": TOPIC + entry(1, answer="a" * 12_001)}) == [
        "k/t.yaml:7: entry 'e1': answer.it is 12001 characters long (at most 12000): "
        "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…'"
    ]


def test_phrasings_are_bounded() -> None:
    assert errors({"k/t.yaml": TOPIC + entry(1).replace("domanda 1 0", "d" * 301)}) == [
        f"k/t.yaml:5: entry 'e1': questions.it.0 is 301 characters long (at most 300): '{'d' * 40}…'"
    ]
    assert errors({"k/t.yaml": TOPIC + entry(1, phrasings=101)}) == [
        "k/t.yaml:5: entry 'e1' questions.it: has 101 items (at most 100)",
        "k/t.yaml:6: entry 'e1' questions.en: has 101 items (at most 100)",
    ]


def test_references_are_bounded() -> None:
    many = ", ".join(["press"] * 51)
    assert errors({"k/t.yaml": TOPIC + entry(1).replace("sources: [press]", f"sources: [{many}]")}) == [
        "k/t.yaml:8: entry 'e1' sources: has 51 items (at most 50)"
    ]


def test_the_number_of_entries_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_ENTRIES", 1000)  # the mechanism, without building 12,000 entries
    files = {
        f"k/t{f}.yaml": f"topic: {{id: t{f}, title: {{it: T, en: T}}}}\nentries:\n"
        + "".join(entry(f * 100 + i) for i in range(100))
        for f in range(11)
    }
    assert errors(files) == ["knowledge:0: 1100 entries (at most 1000)"]


def test_the_number_of_phrasings_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_TOTAL_PHRASINGS", 20_000)
    files = {
        f"k/t{f}.yaml": f"topic: {{id: t{f}, title: {{it: T, en: T}}}}\nentries:\n"
        + "".join(entry(f * 100 + i, phrasings=11) for i in range(100))
        for f in range(10)
    }
    assert errors(files) == ["knowledge:0: 22000 phrasings in all (at most 20000)"]


def test_file_size_is_bounded_and_the_file_is_not_read_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (10 * MAX_FILE_BYTES) + b"\n")
    source = read_knowledge_files(tmp_path)
    assert len(source.files[str(big)]) == MAX_FILE_BYTES + 1  # enough to know, not 10 MB in memory
    assert [str(p) for p in check_files(source.files).errors] == [
        f"{big}:1: the file is bigger than 1024 KB — split it into smaller files (one topic per file)"
    ]


def test_the_whole_knowledge_base_is_bounded() -> None:
    chunk = "# " + "x" * (MAX_FILE_BYTES - 10) + "\n"
    files = {f"k/f{i}.yaml": chunk for i in range(MAX_TOTAL_BYTES // MAX_FILE_BYTES + 1)}
    assert errors(files) == [f"knowledge:0: the knowledge base is bigger than {MAX_TOTAL_BYTES // 2**20} MB"]


@pytest.mark.parametrize("extra", [1, 5])
def test_the_number_of_files_is_bounded(tmp_path: Path, extra: int) -> None:
    for number in range(MAX_FILES + extra):
        (tmp_path / f"f{number:04d}.yaml").write_text(SOURCES.replace("press", f"p{number}"), encoding="utf-8")
    source = read_knowledge_files(tmp_path)
    assert len(source.files) == MAX_FILES
    assert [str(p) for p in source.problems] == [f"{tmp_path}:0: {MAX_FILES + extra} .yaml files (at most {MAX_FILES})"]

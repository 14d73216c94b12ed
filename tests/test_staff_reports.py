"""Staff reports: CSV safe for spreadsheets, a terminal table safe for terminals, YAML stubs the validator accepts."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from bot.knowledge import validate
from bot.staff import QuestionGroup, suggest_stubs, unanswered_csv, unanswered_table
from bot.staff.reports import CSV_COLUMNS, MAX_ID_LENGTH, safe_cell

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
HOSTILE = [
    'a "quoted", comma, separated question',
    "two\nlines\r\nand a carriage return",
    "Qual è la scadenza? 日本語 😀",
    "key: value # not a comment",
    "- not a list item",
    "&anchor *alias !!python/object:os.system [x] {y: z}",
    "{date:eoi-deadline} and 'single' quotes",
]


def group(
    key: int,
    samples: list[tuple[str, str]],
    *,
    count: int | None = None,
    first: datetime = T0,
    last: datetime | None = None,
) -> QuestionGroup:
    """A group of `count` ids starting at `key`; samples as (language, text)."""
    count = count if count is not None else max(len(samples), 1)
    return QuestionGroup(
        ids=tuple(range(key, key + count)),
        first_asked=first,
        last_asked=last or first + timedelta(hours=3),
        langs=tuple(sorted({lang for lang, _ in samples})),
        samples=tuple(text for _, text in samples),
        sample_langs=tuple(lang for lang, _ in samples),
    )


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel reads the file as UTF-8 only with this mark
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=";"))


# -- CSV ---------------------------------------------------------------------------------------------------------


def test_csv_header_and_row() -> None:
    rows = read_csv(unanswered_csv([group(7, [("en", "Erasmus deadline??"), ("it", "scadenza erasmus")], count=4)]))
    assert rows[0] == list(CSV_COLUMNS)
    assert rows[1] == [
        "7",
        "4",
        "2026-03-02 08:00:00",
        "2026-03-02 11:00:00",
        "en it",
        "Erasmus deadline?? | scadenza erasmus",
    ]
    assert len(rows) == 2


def test_csv_times_are_utc() -> None:
    rome = timezone(timedelta(hours=2))
    rows = read_csv(unanswered_csv([group(1, [("it", "x")], first=datetime(2026, 6, 1, 10, 30, tzinfo=rome))]))
    assert rows[1][2] == "2026-06-01 08:30:00"


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_survives_commas_quotes_newlines_and_non_ascii(text: str) -> None:
    rows = read_csv(unanswered_csv([group(1, [("en", text)]), group(2, [("en", "after")])]))
    assert [len(row) for row in rows] == [6, 6, 6]
    assert rows[1][5] == ("'" + text if text.startswith("-") else text)
    assert rows[2][5] == "after"


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil","click")', "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "＝1+1"],
)
def test_csv_neutralises_formulas(text: str) -> None:
    rows = read_csv(unanswered_csv([group(1, [("en", text), ("en", "second")])]))
    assert rows[1][5] == "'" + text + " | second"


def test_csv_leaves_harmless_cells_alone() -> None:
    assert safe_cell("a = b") == "a = b"
    assert safe_cell("what's up") == "what's up"
    assert safe_cell(12) == "12"
    assert unanswered_csv([]).splitlines() == ["\ufeff" + ";".join(CSV_COLUMNS)]


def test_csv_opens_in_italian_excel() -> None:
    """UTF-8 with a byte-order mark and ";" between columns: Excel in Italian shows six columns and the accents."""
    text = unanswered_csv([group(2, [("it", "Qual è la scadenza; e il budget?")])])
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    header, row = data[3:].decode("utf-8").splitlines()
    assert header == "group;count;first_asked;last_asked;languages;samples"
    assert row.endswith(';it;"Qual è la scadenza; e il budget?"')


# -- table -------------------------------------------------------------------------------------------------------


def test_table_shows_counts_times_languages_and_samples() -> None:
    groups = [
        group(3, [("en", "Erasmus deadline??"), ("it", "scadenza erasmus")], count=12),
        group(40, [("en", "bitcoin price")], last=datetime(2026, 3, 5, 23, 59, tzinfo=UTC)),
    ]
    lines = unanswered_table(groups).splitlines()
    assert lines[0].split() == ["group", "count", "last", "asked", "langs", "samples"]
    assert lines[1].split()[:5] == ["3", "12", "2026-03-02", "11:00", "UTC"]
    assert "en,it" in lines[1] and lines[1].endswith("Erasmus deadline??")
    assert lines[2].strip() == "scadenza erasmus"
    assert lines[2].index("scadenza") == lines[1].index("Erasmus")  # further samples align under the first
    assert "2026-03-05 23:59 UTC" in lines[3] and lines[3].endswith("bitcoin price")


def test_table_strips_terminal_controls_and_shortens() -> None:
    text = unanswered_table([group(1, [("en", "red \x1b[31malert\x1b[0m\nnext\u202eline"), ("en", "x" * 500)])])
    assert "\x1b" not in text and "\u202e" not in text
    assert "red [31malert[0m nextline" in text
    assert all(len(line) < 200 for line in text.splitlines())
    assert "…" in text


def test_table_when_empty() -> None:
    assert unanswered_table([]) == "No unanswered questions.\n"


# -- YAML stubs --------------------------------------------------------------------------------------------------


def stub_groups() -> list[QuestionGroup]:
    return [
        group(1, [("en", "What is the deadline for Erasmus?"), ("it", "scadenza erasmus"), ("en", "erasmus deadline")]),
        group(5, [("it", "Qual è il budget di Erasmus?")]),
        group(9, [("en", "What is the deadline for Erasmus???")]),  # same id as the first: gets a suffix
        group(12, [("en", "2020?")]),  # an id YAML would read as a number
        group(14, [("en", "Как подать заявку?")]),  # no Latin words: an id from the group key
        group(20, [("en", " ".join(f"word{i}" for i in range(30)))]),
        group(30, [("en", text) for text in HOSTILE[:3]]),
        group(40, [("it", text) for text in HOSTILE[3:]]),
    ]


def test_stubs_parse_with_unique_valid_ids() -> None:
    entries = yaml.safe_load(suggest_stubs(stub_groups(), existing_ids={"budget-erasmus"}))
    ids = [entry["id"] for entry in entries]
    assert ids[:6] == [
        "deadline-erasmus",
        "budget-erasmus-2",
        "deadline-erasmus-2",
        "2020",
        "question-14",
        "word0-word1-word2-word3-word4-word5",
    ]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(i, str) and ID_PATTERN.match(i) and len(i) <= MAX_ID_LENGTH for i in ids)


def test_stubs_hold_phrasings_by_language_and_placeholders() -> None:
    text = suggest_stubs(stub_groups(), existing_ids=set())
    entries = yaml.safe_load(text)
    first, second = entries[0], entries[1]
    assert first["questions"] == {
        "it": ["scadenza erasmus"],
        "en": ["What is the deadline for Erasmus?", "erasmus deadline"],
    }
    assert second["questions"] == {"it": ["Qual è il budget di Erasmus?"], "en": ["TODO"]}
    assert "# TODO: add phrasings" in text
    for entry in entries:
        assert set(entry) == {"id", "questions", "answer", "sources", "related"}
        assert entry["answer"] == {"it": "TODO", "en": "TODO"}
        assert entry["sources"] == [] and entry["related"] == []
        assert all(entry["questions"][lang] for lang in ("it", "en"))


def test_stubs_keep_hostile_text_as_one_line_strings() -> None:
    entries = yaml.safe_load(suggest_stubs(stub_groups(), existing_ids=set()))
    by_key = {entry["id"]: entry for entry in entries}
    hostile_en = next(e for e in by_key.values() if e["questions"]["en"][0].startswith('a "quoted"'))
    assert hostile_en["questions"]["en"] == [HOSTILE[0], "two lines and a carriage return", HOSTILE[2]]
    hostile_it = next(e for e in by_key.values() if e["questions"]["it"][0].startswith("key:"))
    assert hostile_it["questions"]["it"] == HOSTILE[3:]


def test_stubs_respect_the_limit_and_say_how_to_use_them() -> None:
    text = suggest_stubs(stub_groups(), existing_ids=set(), limit=2)
    assert len(yaml.safe_load(text)) == 2
    assert text.startswith("#") and "entries:" in text and "python -m bot validate" in text
    empty = suggest_stubs([], existing_ids=set())
    assert yaml.safe_load(empty) is None and empty.startswith("#")


def test_pasted_stubs_are_refused_until_sources_and_todos_are_filled(tmp_path: Path) -> None:
    """The stubs are indented to paste under `entries:`; the validator wants the sources named and every TODO
    replaced (tests/test_validator.py checks the messages)."""
    stubs = suggest_stubs(stub_groups(), existing_ids=set())
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - id: press-release\n    title: {it: Comunicato, en: Press release}\n", encoding="utf-8"
    )
    topic = "topic:\n  id: suggestions\n  title: {it: Suggerimenti, en: Suggestions}\nentries:\n"
    (tmp_path / "suggestions.yaml").write_text(topic + stubs, encoding="utf-8")
    problems = validate(tmp_path)
    assert problems and all("source" in p.reason or "'TODO'" in p.reason for p in problems)
    assert any("source" in p.reason for p in problems)
    filled = stubs.replace("sources: []", "sources: [press-release]").replace('"TODO"', '"Testo"')
    (tmp_path / "suggestions.yaml").write_text(topic + filled, encoding="utf-8")
    assert validate(tmp_path) == []

"""The knowledge base as a spreadsheet: export, edit as staff would (openpyxl), read back, merge into YAML."""

import datetime as dt
import io
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from bot.editing.changes import check_change, read_folder, write_change
from bot.editing.merge import MergeError, workbook_change
from bot.editing.summary import summarise, summary_lines
from bot.editing.workbook import (
    ENTRIES,
    MAX_FILE_BYTES,
    WorkbookError,
    export_workbook,
    folder_version,
    read_workbook,
)
from bot.i18n import Catalogs
from bot.knowledge import load_knowledge
from bot.staff import QuestionGroup
from tests.conftest import FIXED_NOW, SHIPPED_KB

ENGLISH = Catalogs()["en"]


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KB, target)
    return target


def exported(kb_dir: Path, unanswered: tuple[QuestionGroup, ...] = ()) -> openpyxl.Workbook:
    data = export_workbook(load_knowledge(kb_dir), read_folder(kb_dir), unanswered, FIXED_NOW)
    return openpyxl.load_workbook(io.BytesIO(data))


def saved(workbook: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def rows_of(sheet, entry_id: str) -> dict[str, int]:
    """lang -> row number of an entry in the Entries sheet."""
    return {
        sheet.cell(row, 3).value: row for row in range(2, sheet.max_row + 1) if sheet.cell(row, 1).value == entry_id
    }


def merge(kb_dir: Path, data: bytes):
    content = read_workbook(data)
    assert content.problems == ()
    return workbook_change(read_folder(kb_dir), load_knowledge(kb_dir), content)


def test_an_unedited_workbook_changes_nothing(kb_dir: Path) -> None:
    content = read_workbook(saved(exported(kb_dir)))
    assert content.version == folder_version(read_folder(kb_dir))
    kb = load_knowledge(kb_dir)
    assert len(content.entries) == len(kb.entries)
    assert workbook_change(read_folder(kb_dir), kb, content).empty


def test_edits_in_the_workbook_become_yaml_edits_and_only_those(kb_dir: Path) -> None:
    workbook = exported(kb_dir)
    entries = workbook[ENTRIES]
    who = rows_of(entries, "eligibility-who")
    entries.cell(who["en"], 4).value += "\ncan a foundation apply?"
    entries.cell(who["it"], 5).value = "Possono partecipare distretti e cluster: vedi il bando."
    removed = rows_of(entries, "call-results")
    for row in sorted(removed.values(), reverse=True):
        entries.delete_rows(row)
    entries.append(
        ["new-topic-entry", "grants", "it", "ci sono contributi?\ncontributi", "Sì, vedi sotto: no.", "eccp"]
    )
    entries.append(["new-topic-entry", "grants", "en", "are there grants?", "See the call: no grants.", "eccp"])
    workbook["Topics"].append(["grants", "Contributi", "Grants"])
    dates = workbook["Dates"]
    cosme = next(r for r in range(2, dates.max_row + 1) if dates.cell(r, 1).value == "cosme-call-deadline")
    dates.cell(cosme, 4).value = dt.time(12, 0)  # as Excel stores a time typed in a cell
    before = read_folder(kb_dir)
    change = merge(kb_dir, saved(workbook))
    names = sorted(f.name for f in change.files)
    assert names == ["dates.yaml", "eligibility.yaml", "grants.yaml", "out_of_scope.yaml"]
    eligibility = next(f for f in change.files if f.name == "eligibility.yaml")
    old_lines, new_lines = (
        Counter(before["eligibility.yaml"].splitlines()),
        Counter((eligibility.after or "").splitlines()),
    )
    assert sorted((new_lines - old_lines).elements()) == [
        "        - can a foundation apply?",
        '      it: "Possono partecipare distretti e cluster: vedi il bando."',
    ]
    assert len(list((old_lines - new_lines).elements())) == 7  # the old Italian answer: `it: >-` and six lines
    after = check_change(kb_dir, change).kb
    assert after.entries["eligibility-who"].answer.it == "Possono partecipare distretti e cluster: vedi il bando."
    assert after.entries["new-topic-entry"].topic == "grants"
    assert after.entries["new-topic-entry"].questions["it"] == ("ci sono contributi?", "contributi")
    assert after.dates["cosme-call-deadline"].time == dt.time(12, 0)
    assert "call-results" not in after.entries
    summary = summarise(load_knowledge(kb_dir), after)
    assert summary.entries.added == ("new-topic-entry",)
    assert summary.entries.removed == ("call-results",)
    assert dict(summary.entries.changed) == {"eligibility-who": ("questions.en +1 -0", "answer.it")}
    assert dict(summary.dates.changed) == {"cosme-call-deadline": ("time",)}
    assert summary.topics.added == ("grants",)
    text = "\n".join(summary_lines(summary, ENGLISH))
    assert "~ eligibility-who: questions.en +1 -0, answer.it" in text and "removed (1): call-results" in text
    write_change(kb_dir, change)
    assert read_workbook(saved(exported(kb_dir))).entries  # the new folder exports again
    assert merge(kb_dir, saved(exported(kb_dir))).empty


def test_mistakes_in_the_workbook_are_named_by_cell(kb_dir: Path) -> None:
    workbook = exported(kb_dir)
    entries = workbook[ENTRIES]
    who = rows_of(entries, "eligibility-who")
    entries.cell(who["en"], 6).value = "eccp"  # sources differ from the Italian row
    entries.append(["lonely", "eligibility", "it", "solo italiano", "Risposta."])
    entries.append(["bad-lang", "eligibility", "de", "frage", "Antwort."])
    entries.cell(who["it"], 8).value = "maybe"
    content = read_workbook(saved(workbook))
    problems = "\n".join(content.problems)
    assert (
        f"Entries!F{min(who.values())}: entry 'eligibility-who': the sources column differs between its rows"
        in problems
    )
    assert "entry 'lonely' has no en row" in problems
    assert f"Entries!C{entries.max_row}: lang must be one of it, en, not 'de'" in problems
    assert f"Entries!H{min(who.values())}: write yes or leave empty, not 'maybe'" in problems


def test_a_new_topic_needs_its_titles(kb_dir: Path) -> None:
    workbook = exported(kb_dir)
    workbook[ENTRIES].append(["orphan", "nowhere", "it", "domanda", "Risposta.", "eccp"])
    workbook[ENTRIES].append(["orphan", "nowhere", "en", "question", "Answer.", "eccp"])
    with pytest.raises(MergeError, match="topic 'nowhere' is new; give it an Italian and an English title"):
        merge(kb_dir, saved(workbook))


def test_texts_that_look_like_formulas_stay_texts(kb_dir: Path) -> None:
    group = QuestionGroup((7,), FIXED_NOW, FIXED_NOW, ("en",), ('=HYPERLINK("http://evil","click")',), ("en",))
    data = export_workbook(load_knowledge(kb_dir), read_folder(kb_dir), (group,), FIXED_NOW)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Unanswered"]
    assert sheet.cell(2, 6).data_type == "s" and sheet.cell(2, 6).value.startswith("=HYPERLINK")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet6.xml").decode()


def test_hostile_files_are_refused_before_parsing() -> None:
    with pytest.raises(WorkbookError, match=r"not an \.xlsx workbook"):
        read_workbook(b"PK\x03\x04 not really a zip")
    with pytest.raises(WorkbookError, match="larger than 5 MB"):
        read_workbook(b"\0" * (MAX_FILE_BYTES + 1))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<a>" + " " * (70 * 1024 * 1024) + "</a>")
    assert len(bomb.getvalue()) < MAX_FILE_BYTES
    with pytest.raises(WorkbookError, match="unpacks to more than 60 MB"):
        read_workbook(bomb.getvalue())
    with pytest.raises(WorkbookError, match="cannot be read"):
        broken = io.BytesIO()
        with zipfile.ZipFile(broken, "w") as archive:
            archive.writestr("xl/workbook.xml", "<<<")
        read_workbook(broken.getvalue())


def test_rows_and_cells_are_bounded(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.editing.workbook.MAX_ROWS", 10)
    workbook = exported(kb_dir)
    entries = workbook[ENTRIES]
    entries.cell(3, 5).value = "x" * 10_001
    content = read_workbook(saved(workbook))
    assert "Entries!12: more than 10 rows: the rest was not read" in content.problems
    assert "Entries!E3: longer than 10000 characters" in content.problems

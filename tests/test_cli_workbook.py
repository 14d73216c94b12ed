"""`python -m bot export FILE.xlsx` and `python -m bot import FILE.xlsx [--yes]`, as a staff member runs them."""

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from bot.storage import Storage
from tests.conftest import FIXTURE_KB, ROOT


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, target)
    return target


def run_bot(*args: str, knowledge: Path, database: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(BOT_KNOWLEDGE_DIR=str(knowledge), BOT_DATABASE=str(database))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )


def edit_answer(path: Path, entry_id: str, lang: str, text: str) -> None:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Entries"]
    row = next(
        r for r in range(2, sheet.max_row + 1) if (sheet.cell(r, 1).value, sheet.cell(r, 3).value) == (entry_id, lang)
    )
    sheet.cell(row, 5).value = text
    workbook.save(path)


def test_export_then_import_with_confirmation(tmp_path: Path, knowledge: Path) -> None:
    database = tmp_path / "bot.sqlite3"

    async def create() -> None:
        await (await Storage.open(database)).close()

    asyncio.run(create())  # the bot has run here before: its database exists
    book = tmp_path / "kb.xlsx"
    exported = run_bot("export", str(book), knowledge=knowledge, database=database)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith(f"Wrote {book}: 4 entries, 2 dates, 1 sources, 0 groups of unanswered questions")
    edit_answer(book, "eligibility", "en", "Clusters, business networks and science parks can take part.")
    before = (knowledge / "calls.yaml").read_text(encoding="utf-8")

    declined = run_bot("import", str(book), knowledge=knowledge, database=database, stdin="n\n")
    assert declined.returncode == 1
    assert "~ eligibility: answer.en" in declined.stdout and "Nothing was changed." in declined.stdout
    assert (knowledge / "calls.yaml").read_text(encoding="utf-8") == before

    applied = run_bot("import", str(book), knowledge=knowledge, database=database, stdin="y\n")
    assert applied.returncode == 0, applied.stderr
    assert "Recorded as change #1: /undo in Telegram reverses it." in applied.stdout
    assert "Clusters, business networks and science parks can take part." in (knowledge / "calls.yaml").read_text(
        encoding="utf-8"
    )
    answer = run_bot("ask", "who can take part?", knowledge=knowledge, database=database)
    assert answer.stdout.startswith("Clusters, business networks and science parks can take part.")

    async def last_change() -> tuple[str, str]:
        async with await Storage.open(database) as storage:
            record = await storage.last_undoable_change()
            assert record is not None
            return record.kind, record.summary

    assert asyncio.run(last_change()) == ("workbook", "Entries:\n  ~ eligibility: answer.en")
    again = run_bot("import", str(book), knowledge=knowledge, database=database, stdin="")
    assert again.returncode == 0 and "Nothing changes" in again.stdout


def test_import_refuses_what_would_not_validate(tmp_path: Path, knowledge: Path) -> None:
    book = tmp_path / "kb.xlsx"
    run_bot("export", str(book), knowledge=knowledge, database=tmp_path / "none.sqlite3")
    edit_answer(book, "eligibility", "it", "Sì.")
    refused = run_bot("import", str(book), "--yes", knowledge=knowledge, database=tmp_path / "none.sqlite3")
    assert refused.returncode == 1
    assert refused.stdout.startswith("Nothing was changed: the knowledge base would not be valid.")
    assert f"{knowledge / 'calls.yaml'}:" in refused.stdout and "starts with a bare yes/no" in refused.stdout
    workbook = openpyxl.load_workbook(book)
    workbook["Entries"]["C2"].value = "fr"
    workbook.save(book)
    refused = run_bot("import", str(book), "--yes", knowledge=knowledge, database=tmp_path / "none.sqlite3")
    assert refused.returncode == 1 and "Entries!C2: lang must be one of it, en, not 'fr'" in refused.stdout
    assert refused.stdout.startswith("Nothing was changed. Fix these cells and send the file again:")
    (tmp_path / "notes.xlsx").write_text("not a workbook", encoding="utf-8")
    refused = run_bot("import", str(tmp_path / "notes.xlsx"), knowledge=knowledge, database=tmp_path / "none.sqlite3")
    assert refused.returncode == 1 and "not an .xlsx workbook" in refused.stdout


def test_import_without_a_database_says_it_cannot_be_undone(tmp_path: Path, knowledge: Path) -> None:
    book = tmp_path / "kb.xlsx"
    database = tmp_path / "absent.sqlite3"
    run_bot("export", str(book), knowledge=knowledge, database=database)
    edit_answer(book, "deadline", "en", "The deadline was {date:closing-original}.")
    applied = run_bot("import", str(book), "--yes", knowledge=knowledge, database=database)
    assert applied.returncode == 0, applied.stderr
    assert f"There is no database at {database}: the change is not recorded, so /undo cannot reverse it." in (
        applied.stdout
    )
    assert not database.exists()

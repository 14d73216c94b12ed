"""The knowledge base as a spreadsheet (XLSX) staff edit in Excel or LibreOffice, and back.

Sheets: "Entries" (one row per entry and language: id, topic, lang, questions, answer, sources, related,
not_in_sources), "Topics", "Dates", "Sources", "Unanswered" (read only: what users asked and got no answer to) and
"Read me" (how to edit, in Italian and English, and the version the workbook was taken from).

Reading treats the file as hostile: its size, the size of what it unpacks to, the rows read and the length of each
cell are bounded; XML is parsed through defusedxml; nothing in a cell is ever evaluated (formulas are read as their
last computed value, texts as texts). Problems are reported as `Sheet!Cell: reason`, every one of them, not just
the first.
"""

import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.knowledge import LANGUAGES, KnowledgeBase
from bot.staff import QuestionGroup

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_PARTS = 200  # files inside the XLSX (a zip)
MAX_ROWS = 50_000  # per sheet
MAX_CELL_CHARS = 10_000
MAX_PROBLEMS = 200

ENTRIES, TOPICS, DATES, SOURCES, UNANSWERED, README = "Entries", "Topics", "Dates", "Sources", "Unanswered", "Read me"
ENTRY_COLUMNS = ("id", "topic", "lang", "questions", "answer", "sources", "related", "not_in_sources")
TOPIC_COLUMNS = ("id", "title_it", "title_en")
DATE_COLUMNS = (
    "id",
    "kind",
    "date",
    "time",
    "end_time",
    "timezone",
    "title_it",
    "title_en",
    "sources",
    "replaces",
    "reminders",
)
SOURCE_COLUMNS = ("id", "title_it", "title_en", "url", "published")
UNANSWERED_COLUMNS = ("group", "count", "first_asked", "last_asked", "languages", "questions")
VERSION_LABEL = "version"
_WIDTHS = {"questions": 60, "answer": 80, "title_it": 50, "title_en": 50, "url": 50}
_LIST_SPLIT = re.compile(r"[,;\s]+")
_YES = {"yes", "y", "sì", "si", "x", "true", "vero", "1"}
_NO = {"", "no", "n", "false", "falso", "0"}

README_TEXT = (
    "Come modificare / How to edit",
    "",
    "IT: Ogni voce ha due righe nel foglio Entries, una per lingua (it, en). Nella colonna questions scrivi una "
    "domanda per riga (Alt+Invio in Excel, Ctrl+Invio in LibreOffice); la prima è il titolo del pulsante. In "
    "sources e related scrivi gli id separati da virgole. Per aggiungere una voce aggiungi due righe con un id "
    "nuovo (minuscole, cifre e trattini); per toglierla cancella le sue righe. Salva in formato .xlsx e invia il "
    "file al bot: vedrai un riepilogo delle modifiche e i problemi da correggere prima di confermare. Il foglio "
    "Unanswered è solo da leggere.",
    "",
    "EN: Each entry has two rows in the Entries sheet, one per language (it, en). In the questions column write one "
    "question per line (Alt+Enter in Excel, Ctrl+Enter in LibreOffice); the first is the button label. In sources "
    "and related write ids separated by commas. To add an entry add two rows with a new id (lower case, digits and "
    "dashes); to remove one delete its rows. Save as .xlsx and send the file to the bot: you will see a summary of "
    "the changes, and any problem to fix, before you confirm. The Unanswered sheet is for reading only.",
)


class WorkbookError(ValueError):
    """The file is not a workbook the bot can read (the message says why); nothing in it was used."""


# -- export --------------------------------------------------------------------------------------------------------


def folder_version(folder: Mapping[str, str]) -> str:
    """A short fingerprint of the knowledge files, written into the workbook to notice later edits."""
    digest = hashlib.sha256()
    for name in sorted(folder):
        digest.update(name.encode() + b"\0" + folder[name].encode() + b"\0")
    return digest.hexdigest()[:16]


def _cell_text(value: object) -> object:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _write_sheet(sheet: Worksheet, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell_text(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a text starting with "=" stays a text, never a formula
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(name, 16)
    sheet.freeze_panes = "B2"


def _lines(items: Iterable[str]) -> str:
    return "\n".join(items)


def _ids(items: Iterable[str]) -> str:
    return ", ".join(items)


def export_workbook(
    kb: KnowledgeBase, folder: Mapping[str, str], unanswered: Sequence[QuestionGroup], now: dt.datetime
) -> bytes:
    workbook = openpyxl.Workbook()
    readme = workbook.active
    assert readme is not None
    readme.title = README
    for line in README_TEXT:
        readme.append([line])
    readme.append([])
    readme.append([VERSION_LABEL, folder_version(folder)])
    readme.append(["exported", now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")])
    readme.column_dimensions["A"].width = 120
    for row in readme.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    def entry_rows() -> Iterable[Sequence[object]]:
        for topic in kb.topics:
            for entry_id in topic.entry_ids:
                entry = kb.entries[entry_id]
                for lang in LANGUAGES:
                    yield (
                        entry.id,
                        topic.id,
                        lang,
                        _lines(entry.questions[lang]),
                        entry.answer.get(lang) if entry.answer else "",
                        _ids(entry.sources),
                        _ids(entry.related),
                        "yes" if entry.not_in_sources else "",
                    )

    _write_sheet(workbook.create_sheet(ENTRIES), ENTRY_COLUMNS, entry_rows())
    _write_sheet(workbook.create_sheet(TOPICS), TOPIC_COLUMNS, ((t.id, t.title.it, t.title.en) for t in kb.topics))
    _write_sheet(
        workbook.create_sheet(DATES),
        DATE_COLUMNS,
        (
            (
                d.id,
                d.kind,
                d.day.isoformat(),
                d.time.strftime("%H:%M") if d.time else "",
                d.end_time.strftime("%H:%M") if d.end_time else "",
                d.timezone or "",
                d.title.it,
                d.title.en,
                _ids(d.sources),
                d.replaces or "",
                _ids(str(day) for day in d.reminders),
            )
            for d in kb.dates.values()
        ),
    )
    _write_sheet(
        workbook.create_sheet(SOURCES),
        SOURCE_COLUMNS,
        (
            (s.id, s.title.it, s.title.en, s.url or "", s.published.isoformat() if s.published else "")
            for s in kb.sources.values()
        ),
    )
    _write_sheet(
        workbook.create_sheet(UNANSWERED),
        UNANSWERED_COLUMNS,
        (
            (
                g.key,
                g.count,
                g.first_asked.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
                g.last_asked.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
                " ".join(g.langs),
                _lines(g.samples),
            )
            for g in unanswered
        ),
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- reading -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRow:
    id: str
    topic: str
    questions: Mapping[str, tuple[str, ...]]
    answer: Mapping[str, str]  # empty for an out-of-scope entry
    sources: tuple[str, ...]
    related: tuple[str, ...]
    not_in_sources: bool
    row: int  # the first of its rows, for messages


@dataclass(frozen=True)
class DateRow:
    id: str
    kind: str
    day: object  # a date, or the text the cell held (the loader reports it)
    time: str
    end_time: str
    timezone: str
    title: Mapping[str, str]
    sources: tuple[str, ...]
    replaces: str
    reminders: tuple[object, ...]
    row: int


@dataclass(frozen=True)
class SourceRow:
    id: str
    title: Mapping[str, str]
    url: str
    published: object
    row: int


@dataclass(frozen=True)
class WorkbookContent:
    entries: tuple[EntryRow, ...]
    topics: Mapping[str, Mapping[str, str]]  # topic id -> {lang: title}
    dates: tuple[DateRow, ...] | None  # None: the sheet is not in the workbook, the dates stay as they are
    sources: tuple[SourceRow, ...] | None  # likewise
    version: str | None
    problems: tuple[str, ...] = field(default=())


def check_archive(data: bytes) -> None:
    """Refuse what is not an XLSX of reasonable size before any XML is parsed (zip bombs included)."""
    if len(data) > MAX_FILE_BYTES:
        raise WorkbookError(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise WorkbookError("not an .xlsx workbook (save it as Excel Workbook .xlsx)") from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise WorkbookError("the workbook has too many parts")
        if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
            raise WorkbookError(f"the workbook unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB")
        if "xl/workbook.xml" not in archive.namelist():
            raise WorkbookError("not an .xlsx workbook (save it as Excel Workbook .xlsx)")


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, sheet: str, row: int, column: int | None, reason: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            where = f"{sheet}!{get_column_letter(column)}{row}" if column else f"{sheet}!{row}"
            self.items.append(f"{where}: {reason}")


def _text(value: object) -> str:
    """A cell as the text staff typed: numbers without a trailing .0, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _split_ids(text: str) -> tuple[str, ...]:
    return tuple(part for part in _LIST_SPLIT.split(text) if part)


def _split_lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.split("\n") if line.strip())


class _Sheet:
    """The rows of one sheet as {column: value}, by the names in its first row, bounded."""

    def __init__(self, workbook: Any, name: str, columns: Sequence[str], problems: _Problems) -> None:
        self.name = name
        self.rows: list[tuple[int, dict[str, object]]] = []
        self.present = name in workbook.sheetnames
        if not self.present:
            return
        sheet = workbook[name]
        positions: dict[str, int] = {}
        for number, values in enumerate(sheet.iter_rows(max_col=len(columns) + 8, values_only=True), start=1):
            if number > MAX_ROWS + 1:
                problems.add(name, number, None, f"more than {MAX_ROWS} rows: the rest was not read")
                break
            if number == 1:
                positions = self._header(values, columns, problems)
                if positions is None:
                    return
                continue
            row = {column: values[index] if index < len(values) else None for column, index in positions.items()}
            if all(_text(value) == "" for value in row.values()):
                continue
            for column, value in row.items():
                if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                    problems.add(name, number, positions[column] + 1, f"longer than {MAX_CELL_CHARS} characters")
                    row[column] = ""
            self.rows.append((number, row))

    def _header(self, values: Sequence[object], columns: Sequence[str], problems: _Problems) -> Any:
        names = [_text(v).lower().split(" ")[0] if v is not None else "" for v in values]
        positions = {column: names.index(column) for column in columns if column in names}
        missing = [column for column in columns if column not in positions]
        if missing:
            problems.add(
                self.name, 1, None, f"missing column(s): {', '.join(missing)} (keep the first row as exported)"
            )
            return None
        return positions


def _flag(text: str, sheet: str, row: int, problems: _Problems) -> bool:
    if text.lower() in _YES:
        return True
    if text.lower() not in _NO:
        problems.add(sheet, row, ENTRY_COLUMNS.index("not_in_sources") + 1, f"write yes or leave empty, not {text!r}")
    return False


def _entries(sheet: _Sheet, problems: _Problems) -> tuple[EntryRow, ...]:
    by_id: dict[str, dict[str, tuple[int, dict[str, object]]]] = {}
    for number, row in sheet.rows:
        entry_id, lang = _text(row["id"]), _text(row["lang"]).lower()
        if not entry_id:
            problems.add(sheet.name, number, 1, "the id is empty")
            continue
        if lang not in LANGUAGES:
            problems.add(sheet.name, number, 3, f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
            continue
        rows = by_id.setdefault(entry_id, {})
        if lang in rows:
            problems.add(
                sheet.name, number, 1, f"entry {entry_id!r} has a second {lang} row (first at row {rows[lang][0]})"
            )
            continue
        rows[lang] = (number, row)
    entries = []
    for entry_id, rows in by_id.items():
        first = min(number for number, _ in rows.values())
        missing = [lang for lang in LANGUAGES if lang not in rows]
        if missing:
            problems.add(sheet.name, first, None, f"entry {entry_id!r} has no {' / '.join(missing)} row")
            continue
        shared: dict[str, str] = {}
        for column in ("topic", "sources", "related", "not_in_sources"):
            values = {_text(row[column]) for _, row in rows.values()} - {""}
            if len(values) > 1:
                problems.add(
                    sheet.name,
                    first,
                    ENTRY_COLUMNS.index(column) + 1,
                    f"entry {entry_id!r}: the {column} column differs between its rows ({' / '.join(sorted(values))})",
                )
            shared[column] = min(values) if values else ""
        entries.append(
            EntryRow(
                id=entry_id,
                topic=shared["topic"],
                questions={lang: _split_lines(_text(rows[lang][1]["questions"])) for lang in LANGUAGES},
                answer={lang: text for lang in LANGUAGES if (text := _text(rows[lang][1]["answer"]))},
                sources=_split_ids(shared["sources"]),
                related=_split_ids(shared["related"]),
                not_in_sources=_flag(shared["not_in_sources"], sheet.name, first, problems),
                row=first,
            )
        )
    return tuple(entries)


def _day(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return text


def _clock(value: object) -> str:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.datetime):
        return value.strftime("%H:%M")
    if isinstance(value, float) and 0 <= value < 1:  # a time Excel kept as a fraction of a day
        minutes = round(value * 24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return _text(value)


def _reminder_days(text: str) -> tuple[object, ...]:
    return tuple(int(part) if part.isdigit() else part for part in _split_ids(text))


def read_workbook(data: bytes) -> WorkbookContent:
    """The workbook's content, with every problem found in it; raises WorkbookError if it cannot be read at all."""
    check_archive(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise WorkbookError(f"the workbook cannot be read ({type(exc).__name__})") from None
    try:
        problems = _Problems()
        entries_sheet = _Sheet(workbook, ENTRIES, ENTRY_COLUMNS, problems)
        if not entries_sheet.present:
            raise WorkbookError(f"there is no sheet named {ENTRIES!r}: send a workbook made by /export")
        topics_sheet = _Sheet(workbook, TOPICS, TOPIC_COLUMNS, problems)
        dates_sheet = _Sheet(workbook, DATES, DATE_COLUMNS, problems)
        sources_sheet = _Sheet(workbook, SOURCES, SOURCE_COLUMNS, problems)
        version = None
        if README in workbook.sheetnames:
            for values in workbook[README].iter_rows(max_row=40, max_col=2, values_only=True):
                if values and _text(values[0]) == VERSION_LABEL and len(values) > 1:
                    version = _text(values[1]) or None
    finally:
        workbook.close()
    return WorkbookContent(
        entries=_entries(entries_sheet, problems),
        topics={
            _text(row["id"]): {"it": _text(row["title_it"]), "en": _text(row["title_en"])}
            for _, row in topics_sheet.rows
            if _text(row["id"])
        },
        dates=tuple(
            DateRow(
                id=_text(row["id"]),
                kind=_text(row["kind"]),
                day=_day(row["date"]),
                time=_clock(row["time"]),
                end_time=_clock(row["end_time"]),
                timezone=_text(row["timezone"]),
                title={"it": _text(row["title_it"]), "en": _text(row["title_en"])},
                sources=_split_ids(_text(row["sources"])),
                replaces=_text(row["replaces"]),
                reminders=_reminder_days(_text(row["reminders"])),
                row=number,
            )
            for number, row in dates_sheet.rows
        )
        if dates_sheet.present
        else None,
        sources=tuple(
            SourceRow(
                id=_text(row["id"]),
                title={"it": _text(row["title_it"]), "en": _text(row["title_en"])},
                url=_text(row["url"]),
                published=_day(row["published"]),
                row=number,
            )
            for number, row in sources_sheet.rows
        )
        if sources_sheet.present
        else None,
        version=version,
        problems=tuple(problems.items),
    )

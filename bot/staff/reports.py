"""Groups of unanswered questions as staff use them: a CSV for spreadsheets, a terminal table, YAML entry stubs.

Every text here was typed by an anonymous user, so each output defends its reader: the CSV against formula
injection, the table against terminal control sequences, the YAML against anything that would change its structure.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import yaml

from bot.knowledge.model import LANGUAGES
from bot.matching.lexicon import QUESTION_WORDS, STOPWORDS_EN, STOPWORDS_IT
from bot.matching.text import words
from bot.staff.grouping import QuestionGroup

CSV_COLUMNS = ("group", "count", "first_asked", "last_asked", "languages", "samples")
#: Excel in Italian (as in most of Europe) splits columns on ";", and reads a file as UTF-8 only after this mark.
CSV_DELIMITER = ";"
UTF8_BOM = "\ufeff"
SAMPLE_SEPARATOR = " | "
#: Cell starts a spreadsheet may run as a formula (OWASP CSV injection), plus their full-width forms,
#: which some spreadsheets fold into the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
TABLE_SAMPLE_WIDTH = 80
MAX_ID_LENGTH = 40
PLACEHOLDER = "TODO"

_ID_FILLER = STOPWORDS_IT | STOPWORDS_EN | {w for group in QUESTION_WORDS for phrase in group for w in phrase.split()}
_NOT_ID = re.compile(r"[^a-z0-9]+")
_HIDDEN_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")  # controls, format (bidi overrides), line and paragraph separators

STUBS_HEADER = """\
# Suggested knowledge-base entries for the most asked unanswered questions.
# How to use: paste the entries you want under `entries:` of a topic file in knowledge/ (they are indented to
# fit), write both answers, list the ids of the sources they rest on, add phrasings until each language has at
# least 8 (the first one is the button label, at most 60 characters), replace every TODO, then run
# `python -m bot validate`.
"""


# -- shared ------------------------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    """Storage datetimes are aware; a naive one is taken as UTC rather than as the server's local time."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def one_line(text: str) -> str:
    """The text on one line, without controls: a message cannot move the cursor, recolour or reorder a terminal."""
    visible = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in _HIDDEN_CATEGORIES)
    return " ".join(visible.split())


# -- CSV ---------------------------------------------------------------------------------------------------------


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading apostrophe stops "=HYPERLINK(...)" from running."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unanswered_csv(groups: Sequence[QuestionGroup]) -> str:
    """One row per group, as Italian Excel opens it (UTF-8 with a byte-order mark, ";" between columns); times in
    UTC as "YYYY-MM-DD HH:MM:SS", which spreadsheets read as dates."""
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER)
    writer.writerow(CSV_COLUMNS)
    for group in groups:
        row = (
            group.key,
            group.count,
            _utc(group.first_asked).strftime("%Y-%m-%d %H:%M:%S"),
            _utc(group.last_asked).strftime("%Y-%m-%d %H:%M:%S"),
            " ".join(group.langs),
            SAMPLE_SEPARATOR.join(group.samples),
        )
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


# -- terminal table ----------------------------------------------------------------------------------------------


def _shorten(text: str, width: int = TABLE_SAMPLE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def unanswered_table(groups: Sequence[QuestionGroup]) -> str:
    """Fixed-width columns; each further sample goes on its own line under the first."""
    if not groups:
        return "No unanswered questions.\n"
    header = ("group", "count", "last asked", "langs", "samples")
    rows = [
        (
            str(g.key),
            str(g.count),
            _utc(g.last_asked).strftime("%Y-%m-%d %H:%M UTC"),
            ",".join(g.langs),
            [_shorten(one_line(s)) for s in g.samples] or [""],
        )
        for g in groups
    ]
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(4)]
    indent = sum(widths) + 2 * len(widths)

    def line(cells: Sequence[str], sample: str) -> str:
        key, count, last, langs = cells
        left = f"{key:>{widths[0]}}  {count:>{widths[1]}}  {last:<{widths[2]}}  {langs:<{widths[3]}}  "
        return (left + sample).rstrip()

    lines = [line(header[:4], header[4])]
    for *cells, samples in rows:
        lines.append(line(cells, samples[0]))
        lines.extend((" " * indent + sample).rstrip() for sample in samples[1:])
    return "\n".join(lines) + "\n"


# -- YAML stubs --------------------------------------------------------------------------------------------------


def _yaml_text(text: str) -> str:
    """A double-quoted YAML scalar: always one line, and nothing in it can end the string or start a comment."""
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=2**31).strip()


def _yaml_id(entry_id: str) -> str:
    """Plain when it reads as text, quoted when YAML would take it for something else ("2020", "0x1f", "null")."""
    return yaml.safe_dump(entry_id, width=2**31).removesuffix("\n...\n").strip()


def entry_id_base(group: QuestionGroup) -> str:
    """An id from the content words of the first English sample (ids in the knowledge base are English)."""
    english = [s for s, lang in zip(group.samples, group.sample_langs, strict=False) if lang == "en"]
    sample = (english or list(group.samples) or [""])[0]
    parts = [_NOT_ID.sub("-", w).strip("-") for w in words(sample) if w not in _ID_FILLER]
    base = ""
    for part in filter(None, parts):
        candidate = f"{base}-{part}" if base else part
        if len(candidate) > MAX_ID_LENGTH:
            break
        base = candidate
    return base or f"question-{group.key}"


def unique_id(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`... cut so the whole id stays within the length limit."""
    base = base[:MAX_ID_LENGTH].rstrip("-")
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: MAX_ID_LENGTH - len(suffix)].rstrip("-") + suffix
    return candidate


def _phrasing_lines(group: QuestionGroup, lang: str) -> list[str]:
    phrasings = [
        one_line(s) for s, sample_lang in zip(group.samples, group.sample_langs, strict=False) if sample_lang == lang
    ]
    phrasings = [p for p in phrasings if p]
    if not phrasings:
        return [f"      {lang}:", f"        - {_yaml_text(PLACEHOLDER)}  # TODO: add phrasings"]
    return [f"      {lang}:", *(f"        - {_yaml_text(p)}" for p in phrasings)]


def _stub(group: QuestionGroup, entry_id: str) -> str:
    first = _utc(group.first_asked).strftime("%Y-%m-%d")
    last = _utc(group.last_asked).strftime("%Y-%m-%d")
    langs = one_line(", ".join(group.langs))
    lines = [
        f"  # group {group.key}: asked {group.count} time(s) from {first} to {last}, in {langs}",
        f"  - id: {_yaml_id(entry_id)}",
        "    questions:  # TODO: add phrasings, at least 8 per language",
    ]
    for lang in LANGUAGES:
        lines.extend(_phrasing_lines(group, lang))
    lines.append("    answer:")
    lines.extend(f"      {lang}: {_yaml_text(PLACEHOLDER)}" for lang in LANGUAGES)
    lines.append("    sources: []  # TODO: ids from sources (at least one), e.g. [press-release]")
    lines.append("    related: []")
    return "\n".join(lines) + "\n"


def suggest_stubs(groups: Sequence[QuestionGroup], *, existing_ids: set[str], limit: int = 10) -> str:
    """Commented YAML entries for the first `limit` groups, ids unique against the knowledge base and each other."""
    taken = set(existing_ids)
    stubs = []
    for group in groups[: max(limit, 0)]:
        entry_id = unique_id(entry_id_base(group), taken)
        taken.add(entry_id)
        stubs.append(_stub(group, entry_id))
    if not stubs:
        return STUBS_HEADER + "# No unanswered questions to suggest entries for.\n"
    return STUBS_HEADER + "\n" + "\n".join(stubs)

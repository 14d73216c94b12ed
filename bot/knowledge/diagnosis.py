"""Why a file could not be read, said the way a programme officer can act on it: the wrong encoding, a tab, a text
that needs quotes, a line indented out of step, rather than the YAML parser's own words.

Each function returns the line to point at, the reason and a hint (Messages, translated when shown).
"""

import re
from dataclasses import dataclass

import yaml

from bot.knowledge.problems import Message, message, quote

#: First characters YAML reads as syntax, not text, at the start of a value.
SPECIAL_STARTS = "{[&*!|>'\"%@`"
_KEY_VALUE = re.compile(r"^(\s*(?:-\s+)?)([^\s#'\"][^:#]*?):\s+(\S.*)$")


@dataclass(frozen=True)
class Diagnosis:
    line: int
    reason: Message
    hint: Message | None = None


QUOTE_HINT = message('put the whole text in double quotes, e.g. it: "Nota: la scadenza è stata prorogata"')
INDENT_HINT = message(
    "line it up with the lines above it: fields of one item start in the same column, and each list item's "
    '"- " sits under the others'
)


def decode(data: bytes) -> tuple[str, Diagnosis | None]:
    """The text of a file, or why it is not UTF-8 text (one problem, at the first line that is not) and the text as
    far as it can be guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), Diagnosis(
            1,
            message('the file is saved as UTF-16 ("Unicode"), not UTF-8'),
            _SAVE_AS_UTF8,
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        shown = data[start : end if end >= 0 else len(data)].decode("cp1252", errors="replace").strip()
        return data.decode("cp1252", errors="replace"), Diagnosis(
            line,
            message(
                "the file is not saved as UTF-8 (probably Windows-1252/ANSI): this line reads %(text)s",
                text=quote(shown),
            ),
            _SAVE_AS_UTF8,
        )


_SAVE_AS_UTF8 = message(
    'save it again with the encoding "UTF-8" (Notepad: Save as… > Encoding: UTF-8; Notepad++: Encoding > Convert '
    "to UTF-8), then check that accented letters still read right"
)


def explain_syntax_error(exc: yaml.YAMLError, text: str) -> Diagnosis:
    """The likely cause of a YAML syntax error, at the line where staff should look."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return Diagnosis(1, message("YAML syntax error: %(detail)s", detail=quote(str(exc), 120)))
    lines = text.splitlines()
    problem_line = exc.problem_mark.line + 1
    context_line = exc.context_mark.line + 1 if exc.context_mark else problem_line
    problem = exc.problem or ""
    context = exc.context or ""

    def source(number: int) -> str:
        return lines[number - 1] if 0 < number <= len(lines) else ""

    for number in (problem_line, context_line):
        indentation = source(number)[: len(source(number)) - len(source(number).lstrip())]
        if "\t" in indentation or "tab" in problem:
            return Diagnosis(
                number,
                message("YAML syntax error: a tab character in the indentation"),
                message("YAML indents with spaces only: replace the tab with spaces, lined up with the lines above"),
            )
    if "quoted scalar" in context:
        return Diagnosis(
            context_line,
            message("YAML syntax error: the quote opened on this line is never closed"),
            message(
                'end the text with the same quote mark; inside a text in double quotes write \\" for a quote, '
                "inside single quotes write '' for an apostrophe"
            ),
        )
    if "flow" in context and ("expected ','" in problem or "end of stream" in problem):
        return Diagnosis(
            context_line,
            message("YAML syntax error: a bracket [ or { opened on this line is never closed"),
            message("close it with ] or }, or put the text in double quotes if it is meant as text"),
        )
    for number in (context_line, problem_line):
        if _special_start(source(number)) in ("'", '"'):
            return Diagnosis(
                number,
                message("YAML syntax error: the quotes of this text do not match"),
                message(
                    "a text in quotes must end with the same quote mark it starts with, and nothing may follow it; "
                    "inside double quotes write \\\" for a quote mark, inside single quotes write '' for an apostrophe"
                ),
            )
    special = _special_start(source(problem_line)) or _special_start(source(context_line))
    if special is not None or "undefined alias" in problem or "cannot start any token" in problem:
        sign = special or source(problem_line)[exc.problem_mark.column : exc.problem_mark.column + 1]
        return Diagnosis(
            problem_line,
            message("YAML syntax error: a text starts with %(sign)s, which YAML reads as a sign, not text", sign=sign),
            QUOTE_HINT,
        )
    if "mapping values are not allowed" in problem:
        match = _KEY_VALUE.match(source(problem_line))
        if match and ": " in match.group(3) + " ":
            return Diagnosis(
                problem_line,
                message(
                    "YAML syntax error: the text %(text)s contains ': ' (a colon and a space), which YAML reads as "
                    "a new field",
                    text=quote(match.group(3)),
                ),
                QUOTE_HINT,
            )
        return Diagnosis(problem_line, message("YAML syntax error: this line is indented too far"), INDENT_HINT)
    if "expected key" in problem or "expected '-'" in problem or "expected <block end>" in problem:
        return Diagnosis(
            problem_line, message("YAML syntax error: this line is not indented like the lines around it"), INDENT_HINT
        )
    return Diagnosis(
        problem_line,
        message("YAML syntax error: %(detail)s", detail=quote(problem or context, 120)),
        message("look at this line and the one above: indentation with spaces, and quotes around texts with : or #"),
    )


def _special_start(line: str) -> str | None:
    """The sign a value on this line starts with, when YAML would read it as syntax and the text goes on after."""
    match = _KEY_VALUE.match(line) or re.match(r"^(\s*-\s+)()(.+)$", line)
    if not match:
        return None
    value = match.group(3).strip()
    if not value or value[0] not in SPECIAL_STARTS:
        return None
    if value[0] in "{[" and value[-1] == {"{": "}", "[": "]"}[value[0]]:
        return None  # a whole flow list or mapping: the error is elsewhere
    if value[0] in "'\"" and value[-1] == value[0] and len(value) > 1:
        return None
    if value[0] in "|>":
        return None  # a block text
    return value[0]

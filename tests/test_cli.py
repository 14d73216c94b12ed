"""The command-line interfaces other tools rely on: ask (text and JSON), validate, evaluate."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KB, ROOT

JSON_KEYS = {"question", "answered", "lang", "text", "entry", "score", "suggestions"}


def run_bot(
    *args: str, stdin: str | None = None, knowledge: Path = FIXTURE_KB, **env_values: str
) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` with the fixture knowledge base, in the C locale (staff messages in English) unless
    `env_values` say otherwise."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_", "LC_", "LANG"))}
    env["LANG"] = "C.UTF-8"
    env["BOT_KNOWLEDGE_DIR"] = str(knowledge)
    env.update(env_values)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )


def test_ask_prints_the_reply_text() -> None:
    result = run_bot("ask", "What is the deadline?")
    assert result.returncode == 0
    assert "31 December 2016" in result.stdout
    assert "Source: Press release" in result.stdout


def test_ask_json_shape_for_answer_and_unknown() -> None:
    answered = json.loads(run_bot("ask", "--json", "Chi può partecipare?").stdout)
    assert set(answered) == JSON_KEYS
    assert answered["answered"] is True
    assert answered["entry"] == "eligibility"
    assert answered["lang"] == "it"
    assert isinstance(answered["score"], float)
    assert answered["suggestions"] == []
    unknown = run_bot("ask", "--json", "best pizza in Naples?")
    assert unknown.returncode == 0
    body = json.loads(unknown.stdout)
    assert body["answered"] is False and body["entry"] is None and body["lang"] == "en"


def test_ask_reads_questions_from_stdin_in_order() -> None:
    result = run_bot("ask", "--json", stdin="ciao\nWhat is the deadline for Erasmus+?\nqual è la scadenza\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == ["ciao", "What is the deadline for Erasmus+?", "qual è la scadenza"]
    assert [line["answered"] for line in lines] == [True, False, True]
    assert lines[1]["suggestions"] == ["deadline"]


def test_ask_lang_forces_the_language() -> None:
    result = json.loads(run_bot("ask", "--json", "--lang", "en", "qual è la scadenza?").stdout)
    assert result["lang"] == "en" and "31 December 2016" in result["text"]


def test_validate_exit_codes(tmp_path: Path) -> None:
    ok = run_bot("validate", str(FIXTURE_KB))
    assert ok.returncode == 0
    (tmp_path / "bad.yaml").write_text("topic: {id: x, title: {it: a, en: b}}\nentries: [1]\n", encoding="utf-8")
    bad = run_bot("validate", str(tmp_path))
    assert bad.returncode == 1
    assert f"{tmp_path / 'bad.yaml'}:2: entry: each item must be a mapping of fields" in bad.stdout


def test_invalid_knowledge_base_is_reported_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("sources: 3\n", encoding="utf-8")
    result = run_bot("ask", "ciao", knowledge=tmp_path)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "bad.yaml:1:" in result.stderr


def test_evaluate_reports_and_fails_below_the_bar(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        '- {q: "qual è la scadenza?", lang: it, expect: answer, facts: [["31 dicembre 2016"]]}\n'
        '- {q: "Who can take part?", lang: en, expect: answer, facts: [["science parks"]]}\n'
        '- {q: "best pizza in Naples?", lang: en, expect: unknown}\n'
        '- {q: "chi può partecipare?", lang: it, expect: answer, facts: [["università"]]}\n',
        encoding="utf-8",
    )
    result = run_bot("evaluate", str(cases))
    assert result.returncode == 0
    assert "it     50.0% (  1/2  )" in result.stdout
    assert "missing università" in result.stdout
    strict = run_bot("evaluate", str(cases), "--min-accuracy", "0.95")
    assert strict.returncode == 1
    assert "FAIL it: accuracy 0.500 < 0.95" in strict.stdout


def _logged_database(tmp_path: Path, questions: list[tuple[str, str]]) -> Path:
    import asyncio
    import datetime as dt

    from bot.storage import Storage

    path = tmp_path / "bot.sqlite3"

    async def fill() -> None:
        async with await Storage.open(path) as storage:
            for number, (text, lang) in enumerate(questions):
                await storage.log_question(
                    user_id=number,
                    text=text,
                    lang=lang,
                    outcome="unknown",
                    entry_id=None,
                    score=0.1,
                    candidates=[],
                    now=dt.datetime(2026, 11, 20, 10, number, tzinfo=dt.UTC),
                )

    asyncio.run(fill())
    return path


def test_unanswered_csv_is_safe_for_spreadsheets(tmp_path: Path) -> None:
    import csv
    import io

    database = _logged_database(
        tmp_path,
        [('=HYPERLINK("http://evil")', "en"), ('deadline, "Erasmus"\nplease', "en"), ("erasmus deadline?", "en")],
    )
    result = run_bot("unanswered", "--format", "csv", BOT_DATABASE=str(database))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:2] == ["group", "count"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert any('deadline, "Erasmus"' in cell for cell in cells)


def test_suggest_prints_yaml_stubs(tmp_path: Path) -> None:
    import yaml

    database = _logged_database(tmp_path, [("what is the budget of the call?", "en"), ("budget of the call", "en")])
    result = run_bot("suggest", BOT_DATABASE=str(database))
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"Reading the questions from {database.resolve()}.\n"
    stubs = yaml.safe_load(result.stdout)
    assert len(stubs) == 1
    assert "what is the budget of the call?" in stubs[0]["questions"]["en"]
    assert stubs[0]["answer"] == {"it": "TODO", "en": "TODO"}


@pytest.mark.parametrize("command", ["unanswered", "suggest"])
def test_a_missing_database_is_a_warning_not_an_empty_list(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "none.sqlite3"
    result = run_bot(command, BOT_DATABASE=str(missing))
    assert result.returncode == 1
    assert result.stdout == ""  # not "No unanswered questions."
    assert result.stderr == (
        f"There is no database at {missing}: set BOT_DATABASE to the database file of the running bot.\n"
    )
    assert not missing.exists()  # looking does not create a database
    italian = run_bot(command, BOT_DATABASE=str(missing), BOT_STAFF_LANG="it")
    assert italian.stderr == (
        f"Non c'è nessun database in {missing}: imposta BOT_DATABASE sul file del database del bot in funzione.\n"
    )


def test_unanswered_says_which_database_it_read_and_writes_a_file(tmp_path: Path) -> None:
    database = _logged_database(tmp_path, [("prezzo del bitcoin?", "it")])
    target = tmp_path / "unanswered.csv"
    result = run_bot("unanswered", "--format", "csv", "--output", str(target), BOT_DATABASE=str(database))
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr == f"Reading the questions from {database.resolve()}.\n"
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfgroup;count;") and b"prezzo del bitcoin?" in data


# -- the terminal does not claim what only Telegram does ----------------------------------------------------------


def test_ask_does_not_claim_to_pass_the_question_on() -> None:
    for args in (("ask", "best pizza in Naples?"), ("ask", "--json", "best pizza in Naples?")):
        result = run_bot(*args)
        assert "passed your question on" not in result.stdout
        assert "nothing is logged" in result.stdout
    body = json.loads(run_bot("ask", "--json", "best pizza in Naples?").stdout)
    assert body["answered"] is False and body["text"] == (
        "I don't know the answer to that yet: I only answer questions about the ESCP-S3 call. (Here in the terminal "
        "nothing is logged; on Telegram this question would be passed on to the programme staff.)"
    )
    italian = json.loads(run_bot("ask", "--json", "--lang", "it", "pizza migliore a Napoli?").stdout)
    assert "Qui nel terminale non viene registrato nulla" in italian["text"]


def test_chat_does_not_claim_to_pass_the_question_on(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    result = run_bot("chat", stdin="best pizza in Naples?\nexit\n", BOT_DATABASE=str(database))
    assert result.returncode == 0
    assert "passed your question on" not in result.stdout and "nothing is logged" in result.stdout
    assert not database.exists()  # and it is true: nothing was logged


# -- validate in the staff member's language ----------------------------------------------------------------------


def test_validate_speaks_the_staff_language(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("topic:\n  id: x\n\ttitle: {it: a, en: b}\n", encoding="utf-8")
    english = run_bot("validate", str(tmp_path))
    assert english.returncode == 1
    assert english.stdout.splitlines() == [
        f"{tmp_path / 'bad.yaml'}:3: YAML syntax error: a tab character in the indentation — YAML indents with "
        "spaces only: replace the tab with spaces, lined up with the lines above",
        f"{tmp_path}: 1 error, the bot will not load this version",
    ]
    expected_it = [
        f"{tmp_path / 'bad.yaml'}:3: errore di sintassi YAML: un carattere di tabulazione nel rientro — YAML rientra "
        "solo con spazi: sostituisci la tabulazione con spazi, allineati alle righe sopra",
        f"{tmp_path}: 1 errore, il bot non caricherà questa versione",
    ]
    assert run_bot("validate", str(tmp_path), BOT_STAFF_LANG="it").stdout.splitlines() == expected_it
    assert run_bot("validate", str(tmp_path), LANG="it_IT.UTF-8").stdout.splitlines() == expected_it
    assert run_bot("validate", "--lang", "it", str(tmp_path)).stdout.splitlines() == expected_it
    assert run_bot("validate", str(tmp_path), LANG="it_IT.UTF-8", BOT_STAFF_LANG="en").stdout == english.stdout


def test_validate_lists_warnings_without_failing() -> None:
    result = run_bot("validate", str(FIXTURE_KB))
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert (
        f"{FIXTURE_KB / 'calls.yaml'}:7: warning: entry 'deadline': only 3 Italian phrasings: add more (at least 8), "
        "the ways people really ask: short, long, colloquial, without accents" in lines
    )
    assert lines[-1].startswith(f"{FIXTURE_KB}: valid (4 entries, 3 topics, 2 dates); ") and lines[-1].endswith(
        " warnings"
    )


def test_evaluate_reports_wrong_answers_and_counts_honest_gaps_as_right(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        # answered, but without the expected fact: a wrong answer
        '- {q: "chi può partecipare?", lang: it, expect: answer, facts: [["Horizon Europe"]]}\n'
        # a question the sources do not answer: "the sources do not say whether registration..." counts as right...
        '- {q: "Do I need to register for the Bari workshop?", lang: en, expect: unknown}\n'
        # ...and the same reply still carries the facts it gives
        '- {q: "Do I need to register for the Bari workshop?", lang: en, expect: answer, facts: [["13 September"]]}\n',
        encoding="utf-8",
    )
    result = run_bot("evaluate", str(cases), "--max-wrong-answers", "0", knowledge=ROOT / "knowledge")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:6] == ["lang", "accuracy", "wrong", "answers", "false", "answers"]
    assert lines[1].startswith("it      0.0% (  0/1  )  100.0% (  1/1  )")
    assert lines[2].startswith("en    100.0% (  1/1  )    0.0% (  0/1  )    0.0% (  0/1  )")
    assert result.returncode == 1
    assert "FAIL it: wrong answers 1.000 > 0.0" in result.stdout

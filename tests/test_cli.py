"""The command-line interfaces other tools rely on: ask (text and JSON), validate, evaluate."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURE_KB, ROOT

JSON_KEYS = {"question", "answered", "lang", "text", "entry", "score", "suggestions"}


def run_bot(*args: str, stdin: str | None = None, knowledge: Path = FIXTURE_KB) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env["BOT_KNOWLEDGE_DIR"] = str(knowledge)
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
    assert result.returncode == 1
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
    env_db = {"BOT_DATABASE": str(database)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "unanswered", "--format", "csv"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "BOT_KNOWLEDGE_DIR": str(FIXTURE_KB), **env_db},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:2] == ["group", "count"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
    assert any('deadline, "Erasmus"' in cell for cell in cells)


def test_suggest_prints_yaml_stubs(tmp_path: Path) -> None:
    import yaml

    database = _logged_database(tmp_path, [("what is the budget of the call?", "en"), ("budget of the call", "en")])
    result = subprocess.run(
        [sys.executable, "-m", "bot", "suggest"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "BOT_KNOWLEDGE_DIR": str(FIXTURE_KB), "BOT_DATABASE": str(database)},
    )
    assert result.returncode == 0, result.stderr
    stubs = yaml.safe_load(result.stdout)
    assert len(stubs) == 1
    assert "what is the budget of the call?" in stubs[0]["questions"]["en"]
    assert stubs[0]["answer"] == {"it": "TODO", "en": "TODO"}


def test_unanswered_without_a_database_says_so(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "unanswered"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "BOT_KNOWLEDGE_DIR": str(FIXTURE_KB), "BOT_DATABASE": str(tmp_path / "none.sqlite3")},
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "No unanswered questions."
    assert not (tmp_path / "none.sqlite3").exists()  # looking does not create a database


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

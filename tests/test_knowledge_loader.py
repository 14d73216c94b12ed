"""The loader accepts a valid knowledge base and reports each kind of mistake as file:line: reason."""

from pathlib import Path

import pytest

from bot.knowledge import KnowledgeError, load_knowledge, validate


def problems_in(directory: Path) -> list[str]:
    return [str(p) for p in validate(directory)]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_fixture_loads_into_objects(fixture_kb_dir: Path) -> None:
    kb = load_knowledge(fixture_kb_dir)
    assert set(kb.entries) == {"deadline", "eligibility", "greeting", "call-results"}
    assert kb.entries["call-results"].declined and kb.entries["call-results"].answer is None
    assert kb.entries["deadline"].related == ("eligibility",)
    assert kb.dates["closing-extended"].replaces == "closing-original"
    assert kb.dates["closing-extended"].reminders == (30, 7, 1, 0)
    assert kb.sources["press"].published.isoformat() == "2016-08-05"
    assert [t.id for t in kb.topics] == ["calls", "out-of-scope", "smalltalk"]
    assert validate(fixture_kb_dir) == []


def test_yaml_syntax_error_names_file_and_line(fixture_kb_dir: Path) -> None:
    path = write(fixture_kb_dir, "broken.yaml", "topic:\n  id: broken\n  title: {it: x, en: y\nentries: []\n")
    found = problems_in(fixture_kb_dir)
    assert found == [
        f"{path}:3: YAML syntax error: a bracket [ or {{ opened on this line is never closed — close it with ] or }}, "
        "or put the text in double quotes if it is meant as text"
    ]


def test_unknown_and_missing_fields(fixture_kb_dir: Path) -> None:
    path = write(
        fixture_kb_dir,
        "extra.yaml",
        "topic: {id: extra, title: {it: Extra, en: Extra}}\n"
        "entries:\n"
        "  - id: typo-entry\n"
        "    questoins: {it: [a], en: [b]}\n"
        "    answer: {it: ciao, en: hello}\n"
        "    sources: [press]\n",
    )
    found = problems_in(fixture_kb_dir)
    unknown = "unknown field 'questoins' (allowed: answer, id, not_in_sources, questions, related, sources)"
    assert f"{path}:4: entry 'typo-entry': {unknown}" in found
    assert f"{path}:3: entry 'typo-entry': missing field 'questions'" in found


def test_missing_language_is_reported(fixture_kb_dir: Path) -> None:
    path = write(
        fixture_kb_dir,
        "monolingual.yaml",
        "topic: {id: mono, title: {it: Mono, en: Mono}}\n"
        "entries:\n"
        "  - id: only-italian\n"
        "    questions: {it: [domanda]}\n"
        "    answer:\n"
        "      it: risposta\n"
        "    sources: [press]\n",
    )
    found = problems_in(fixture_kb_dir)
    assert f"{path}:4: entry 'only-italian' questions: missing field 'en'" in found
    assert f"{path}:6: entry 'only-italian' answer: missing field 'en'" in found


def test_duplicate_ids_across_files_point_at_the_first(fixture_kb_dir: Path) -> None:
    path = write(
        fixture_kb_dir,
        "dup.yaml",
        "topic: {id: dup, title: {it: D, en: D}}\n"
        "entries:\n"
        "  - id: deadline\n"
        "    questions: {it: [a], en: [b]}\n"
        "    answer: {it: c, en: d}\n"
        "    sources: [press]\n",
    )
    found = problems_in(fixture_kb_dir)
    assert any(
        p.startswith(f"{path}:3: entry: duplicate id 'deadline' (already defined at {fixture_kb_dir / 'calls.yaml'}:")
        for p in found
    ), found


def test_dangling_references(fixture_kb_dir: Path) -> None:
    path = write(
        fixture_kb_dir,
        "refs.yaml",
        "topic: {id: refs, title: {it: R, en: R}}\n"
        "entries:\n"
        "  - id: refs-entry\n"
        "    questions: {it: [a], en: [b]}\n"
        "    answer: {it: 'il {date:nope}', en: 'the {dat:closing-original}'}\n"
        "    sources: [no-such-source]\n"
        "    related: [no-such-entry]\n",
    )
    found = problems_in(fixture_kb_dir)
    assert f"{path}:6: entry 'refs-entry' sources: no source has id 'no-such-source'" in found
    assert f"{path}:7: entry 'refs-entry' related: no entry has id 'no-such-entry'" in found
    assert f"{path}:5: entry 'refs-entry' answer.it {{date:...}}: no date has id 'nope'" in found
    assert (
        f"{path}:5: entry 'refs-entry' answer.en: unknown placeholder {{dat:...}} (use date, time, countdown)" in found
    )


def test_bad_dates_times_and_zones(fixture_kb_dir: Path) -> None:
    path = write(
        fixture_kb_dir,
        "baddates.yaml",
        "dates:\n"
        "  - id: impossible\n"
        "    kind: deadline\n"
        "    date: 2017-02-30\n"
        "    title: {it: x, en: y}\n"
        "  - id: unquoted-time\n"
        "    kind: event\n"
        "    date: 2016-09-13\n"
        "    time: 10:00\n"
        "    timezone: Europe/Atlantis\n"
        "    title: {it: x, en: y}\n"
        "  - id: wrong-kind\n"
        "    kind: meeting\n"
        "    date: 2016-09-13\n"
        "    title: {it: x, en: y}\n",
    )
    found = problems_in(fixture_kb_dir)
    assert f"{path}:4: date 'impossible': date must be a real date like 2017-03-31, got '2017-02-30'" in found
    assert f"{path}:9: date 'unquoted-time': time must be a quoted time like \"17:00\", got 600" in found
    assert (
        f"{path}:10: date 'unquoted-time': timezone 'Europe/Atlantis' is not a known time zone (e.g. Europe/Brussels)"
        in (found)
    )
    assert f"{path}:13: date 'wrong-kind': kind must be one of deadline, event, got 'meeting'" in found


def test_unquoted_yes_no_answers_are_caught(fixture_kb_dir: Path) -> None:
    path = write(
        fixture_kb_dir,
        "yesno.yaml",
        "topic: {id: yn, title: {it: S, en: S}}\n"
        "entries:\n"
        "  - id: yes-no\n"
        "    questions: {it: [si puo?], en: [can I?]}\n"
        "    answer: {it: 'Sì.', en: yes}\n"
        "    sources: [press]\n",
    )
    assert f"{path}:5: entry 'yes-no' answer.en: expected text, got True (put it in quotes)" in problems_in(
        fixture_kb_dir
    )


def test_empty_file_non_mapping_and_missing_directory(fixture_kb_dir: Path, tmp_path: Path) -> None:
    empty = write(fixture_kb_dir, "empty.yaml", "")
    listing = write(fixture_kb_dir, "list.yaml", "- a\n- b\n")
    found = problems_in(fixture_kb_dir)
    assert f"{empty}:1: the file is empty" in found
    assert any(p.startswith(f"{listing}:1: the file must be a mapping") for p in found)
    assert problems_in(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}:0: knowledge directory not found"]


def test_load_raises_with_every_problem(fixture_kb_dir: Path) -> None:
    write(fixture_kb_dir, "empty.yaml", "")
    write(fixture_kb_dir, "list.yaml", "- a\n")
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(fixture_kb_dir)
    assert len(error.value.problems) == 2


def test_out_of_scope_entries_take_questions_only(fixture_kb_dir: Path) -> None:
    path = write(
        fixture_kb_dir,
        "more_out.yaml",
        "topic: {id: out-of-scope-two, title: {it: X, en: X}}\n"
        "entries:\n"
        "  - id: linked\n"
        "    questions: {it: [a], en: [b]}\n"
        "    answer: {it: c, en: d}\n"
        "    sources: [press]\n"
        "    related: [call-results]\n",
    )
    (fixture_kb_dir / "out_of_scope.yaml").write_text(
        (fixture_kb_dir / "out_of_scope.yaml")
        .read_text(encoding="utf-8")
        .replace("    questions:\n", "    answer: {it: x, en: y}\n    questions:\n", 1),
        encoding="utf-8",
    )
    found = problems_in(fixture_kb_dir)
    assert f"{path}:7: entry 'linked' related: 'call-results' is out of scope" in found
    assert any("out-of-scope entry 'call-results': unknown field 'answer'" in p for p in found), found


def entry_with_answer(directory: Path, answer_en: str) -> Path:
    return write(
        directory,
        "verdict.yaml",
        "topic: {id: verdict, title: {it: V, en: V}}\n"
        "entries:\n"
        "  - id: verdict-entry\n"
        "    questions: {it: [Posso partecipare?], en: [Can I take part?]}\n"
        "    answer:\n"
        "      it: Le reti di impresa possono partecipare.\n"
        f'      en: "{answer_en}"\n'
        "    sources: [press]\n",
    )


@pytest.mark.parametrize("answer", ["Yes. Clusters can.", "No. It is European.", "Sì. Va bene.", "no; never", "Yes"])
def test_an_answer_opening_with_a_bare_yes_or_no_is_reported(fixture_kb_dir: Path, answer: str) -> None:
    path = entry_with_answer(fixture_kb_dir, answer)
    assert problems_in(fixture_kb_dir) == [
        f"{path}:7: entry 'verdict-entry' answer.en: starts with a bare yes/no ({answer.split()[0]!r}); say what it "
        'answers, e.g. "No, the call is not limited to Puglia: ..."'
    ]


@pytest.mark.parametrize("answer", ["Yes, business networks can take part.", "No, the call is not limited to Puglia."])
def test_an_answer_that_says_what_it_answers_is_fine(fixture_kb_dir: Path, answer: str) -> None:
    entry_with_answer(fixture_kb_dir, answer)
    assert problems_in(fixture_kb_dir) == []

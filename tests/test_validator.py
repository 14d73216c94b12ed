"""The validator a programme officer can act on: the root cause first, no knock-on errors, plain hints in their
language, leftovers and typed status words refused, warnings that do not block. Each case checks the exact message
staff read."""

from pathlib import Path

import pytest

from bot.i18n import Catalogs
from bot.knowledge import check_directory, check_files, validate
from bot.staff import suggest_stubs
from bot.staff.review import check_knowledge_directory
from tests.conftest import SHIPPED_KB
from tests.test_staff_reports import stub_groups

ITALIAN = Catalogs()["it"].gettext

#: A topic whose entry the fixture's `eligibility` entry is related to, so a broken file here has references into it.
MORE = """\
topic:
  id: more
  title: {it: Altro, en: More}
entries:
  - id: more-dates
    questions:
      it: [Quali sono le date?, date del bando, quando si svolge]
      en: [What are the dates?, dates of the call, when does it happen]
    answer:
      it: "Le date: vedi il comunicato, è più chiaro."
      en: "The dates: see the press release."
    sources: [press]
    related: [deadline]
  - id: more-places
    questions:
      it: [Dove si svolge?, in che città, luogo]
      en: [Where does it happen?, in which city, place]
    answer:
      it: A Bari, alla Fiera del Levante.
      en: In Bari, at the Fiera del Levante.
    sources: [press]
"""


@pytest.fixture
def kb(fixture_kb_dir: Path) -> Path:
    """The fixture with more.yaml, and references into it from calls.yaml and dates.yaml's neighbours."""
    calls = fixture_kb_dir / "calls.yaml"
    calls.write_text(
        calls.read_text(encoding="utf-8")
        .replace("    related: [deadline]\n", "    related: [deadline, more-dates, more-places]\n")
        .replace("    related: [eligibility]\n", "    related: [eligibility, more-dates]\n"),
        encoding="utf-8",
    )
    (fixture_kb_dir / "more.yaml").write_text(MORE, encoding="utf-8")
    assert validate(fixture_kb_dir) == []
    return fixture_kb_dir


def errors(directory: Path, translate=None) -> list[str]:
    found = check_directory(directory).errors
    return [p.text(translate) if translate else str(p) for p in found]


def test_a_windows_1252_file_is_one_problem_not_seventy(kb: Path) -> None:
    more = kb / "more.yaml"
    more.write_bytes(MORE.encode("cp1252"))
    assert errors(kb) == [
        f"{more}:10: the file is not saved as UTF-8 (probably Windows-1252/ANSI): this line reads "
        '\'it: "Le date: vedi il comunicato, è più …\' — save it again with the encoding "UTF-8" (Notepad: Save '
        "as… > Encoding: UTF-8; Notepad++: Encoding > Convert to UTF-8), then check that accented letters still read "
        "right"
    ]
    assert errors(kb, ITALIAN) == [
        f"{more}:10: il file non è salvato in UTF-8 (probabilmente Windows-1252/ANSI): questa riga si legge "
        '\'it: "Le date: vedi il comunicato, è più …\' — salvalo di nuovo con la codifica "UTF-8" (Blocco note: '
        "Salva con nome… > Codifica: UTF-8; Notepad++: Codifica > Converti in UTF-8), poi controlla che le lettere "
        "accentate si leggano ancora bene"
    ]


def test_a_file_saved_as_utf16_says_so(kb: Path) -> None:
    more = kb / "more.yaml"
    more.write_bytes(MORE.encode("utf-16"))
    assert [p.split(" — ")[0] for p in errors(kb)] == [f'{more}:1: the file is saved as UTF-16 ("Unicode"), not UTF-8']


def test_a_utf8_file_with_a_byte_order_mark_is_fine(kb: Path) -> None:
    (kb / "more.yaml").write_bytes(MORE.encode("utf-8-sig"))
    assert errors(kb) == []


def test_a_tab_is_the_only_problem_and_comes_first(kb: Path) -> None:
    more = kb / "more.yaml"
    more.write_text(MORE.replace("    sources: [press]\n    related", "\tsources: [press]\n    related"))
    (kb / "calls.yaml").write_text(
        (kb / "calls.yaml").read_text(encoding="utf-8").replace("related: [deadline, more", "related: [nowhere, more")
    )
    found = errors(kb)
    assert found[0] == (
        f"{more}:12: YAML syntax error: a tab character in the indentation — YAML indents with spaces only: replace "
        "the tab with spaces, lined up with the lines above"
    )
    # No "no entry has id 'more-dates'" for the references into the broken file; a real dangling one still shows.
    assert found[1:] == [f"{kb / 'calls.yaml'}:22: entry 'eligibility' related: no entry has id 'nowhere'"]
    assert errors(kb, ITALIAN)[0] == (
        f"{more}:12: errore di sintassi YAML: un carattere di tabulazione nel rientro — YAML rientra solo con spazi: "
        "sostituisci la tabulazione con spazi, allineati alle righe sopra"
    )


def test_an_unquoted_colon_in_a_text(kb: Path) -> None:
    more = kb / "more.yaml"
    more.write_text(MORE.replace('it: "Le date: vedi il comunicato, è più chiaro."', "it: Nota: vedi il comunicato"))
    assert errors(kb) == [
        f"{more}:10: YAML syntax error: the text 'Nota: vedi il comunicato' contains ': ' (a colon and a space), "
        'which YAML reads as a new field — put the whole text in double quotes, e.g. it: "Nota: la scadenza è stata '
        'prorogata"'
    ]
    assert errors(kb, ITALIAN) == [
        f"{more}:10: errore di sintassi YAML: il testo 'Nota: vedi il comunicato' contiene ': ' (due punti e uno "
        "spazio), che YAML legge come un nuovo campo — metti tutto il testo tra virgolette doppie, ad es. it: "
        '"Nota: la scadenza è stata prorogata"'
    ]


def test_an_unquoted_colon_in_a_list_item(kb: Path) -> None:
    """`- Quali sono le date: marzo?` is valid YAML (a mapping), so the schema is where it shows."""
    more = kb / "more.yaml"
    more.write_text(
        MORE.replace(
            "      it: [Quali sono le date?, date del bando, quando si svolge]",
            "      it:\n        - Quali sono le date: marzo?\n        - date del bando",
        )
    )
    assert errors(kb) == [
        f"{more}:8: entry 'more-dates' questions.it.0: the text 'Quali sono le date: marzo?' contains ': ' (a colon "
        'and a space), which YAML reads as a field — put the whole text in double quotes, e.g. it: "Nota: la '
        'scadenza è stata prorogata"'
    ]


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("    related: [deadline]", "   related: [deadline]", 13),  # one space short
        ("      en: [What are the dates?", "        en: [What are the dates?", 8),  # too far
        ("  - id: more-places", " - id: more-places", 14),  # a list item out of line
    ],
)
def test_bad_indentation(kb: Path, old: str, new: str, line: int) -> None:
    more = kb / "more.yaml"
    more.write_text(MORE.replace(old, new))
    (found,) = errors(kb)
    assert found.startswith(f"{more}:{line}: YAML syntax error: this line is ")
    assert found.endswith(
        "— line it up with the lines above it: fields of one item start in the same column, and each list item's "
        '"- " sits under the others'
    )


def test_a_text_starting_with_a_placeholder_needs_quotes(kb: Path) -> None:
    more = kb / "more.yaml"
    more.write_text(
        MORE.replace('it: "Le date: vedi il comunicato, è più chiaro."', "it: {date:closing-original} e poi")
    )
    assert errors(kb) == [
        f"{more}:10: YAML syntax error: a text starts with {{, which YAML reads as a sign, not text — put the whole "
        'text in double quotes, e.g. it: "Nota: la scadenza è stata prorogata"'
    ]


def test_quotes_that_do_not_match(kb: Path) -> None:
    more = kb / "more.yaml"
    more.write_text(
        MORE.replace('it: "Le date: vedi il comunicato, è più chiaro."', 'it: "Le date: vedi il comunicato')
    )
    (found,) = errors(kb)
    assert found.startswith(f"{more}:10: YAML syntax error: the quotes of this text do not match — ")


def test_a_suggest_draft_with_its_todos_does_not_validate(tmp_path: Path) -> None:
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - id: press-release\n    title: {it: Comunicato, en: Press release}\n", encoding="utf-8"
    )
    topic = "topic:\n  id: suggestions\n  title: {it: Suggerimenti, en: Suggestions}\nentries:\n"
    stubs = suggest_stubs(stub_groups(), existing_ids=set()).replace("sources: []", "sources: [press-release]")
    draft = tmp_path / "suggestions.yaml"
    draft.write_text(topic + stubs, encoding="utf-8")
    found = errors(tmp_path)
    todo = "still holds the placeholder 'TODO': write the real text (users would see it)"
    assert found and all(todo in p for p in found), found
    assert found[:2] == [
        f"{draft}:20: entry 'deadline-erasmus': answer.it {todo}",
        f"{draft}:21: entry 'deadline-erasmus': answer.en {todo}",
    ]
    # the "TODO" phrasing of a group asked only in Italian, once (not also "must not be empty")
    assert [p for p in found if "'budget-erasmus'" in p and "questions" in p] == [
        f"{draft}:31: entry 'budget-erasmus': questions.en.0 {todo}"
    ]
    filled = (
        draft.read_text(encoding="utf-8")
        .replace('"TODO"', '"Testo vero"')
        .replace('- "Testo vero"  # TODO', '- "Real question"  # TODO')
    )
    draft.write_text(filled, encoding="utf-8")
    assert errors(tmp_path) == []


@pytest.mark.parametrize("word", ["TODO", "FIXME", "todo: check", "Lorem ipsum dolor", "TBD"])
def test_leftover_placeholders_are_errors(fixture_kb_dir: Path, word: str) -> None:
    calls = fixture_kb_dir / "calls.yaml"
    calls.write_text(
        calls.read_text(encoding="utf-8").replace("Clusters and science parks can take part.", f'"{word}"')
    )
    (found,) = errors(fixture_kb_dir)
    assert found.startswith(f"{calls}:20: entry 'eligibility': answer.en still holds the placeholder ")


@pytest.mark.parametrize(
    "typed",
    [
        "The call is closed.",
        "The call is still open.",
        "Only 12 days left.",
        "Il bando è chiuso.",
        "Il bando è aperto.",
        "Il bando è scaduto.",
        "L'invito è ancora aperto.",
        "Applications closed in March.",
    ],
)
def test_status_words_typed_into_an_answer_are_errors(fixture_kb_dir: Path, typed: str) -> None:
    calls = fixture_kb_dir / "calls.yaml"
    calls.write_text(
        calls.read_text(encoding="utf-8").replace("Clusters and science parks can take part.", f'"{typed}"')
    )
    (found,) = errors(fixture_kb_dir)
    assert found.startswith(f"{calls}:20: entry 'eligibility' answer.en: '")
    assert found.endswith(
        "is typed into the answer, but whether the call is open or closed changes when a date moves — write "
        "{countdown:DATE-ID} instead (it shows the days left or the closing date, computed from the dates), or say "
        'when it happened: "the partner search opened in May 2016"'
    )


@pytest.mark.parametrize(
    "fine",
    [
        "The call is open to clusters and science parks.",
        "Il bando è aperto a distretti e parchi scientifici.",
        "The partner search opened in May 2016.",
        "Sono esempi, non un elenco chiuso.",
        "Status {countdown:closing-extended}.",
    ],
)
def test_words_that_are_not_a_status_pass(fixture_kb_dir: Path, fine: str) -> None:
    calls = fixture_kb_dir / "calls.yaml"
    calls.write_text(
        calls.read_text(encoding="utf-8").replace("Clusters and science parks can take part.", f'"{fine}"')
    )
    assert errors(fixture_kb_dir) == []


def test_the_shipped_knowledge_base_has_no_typed_status_words_or_leftovers() -> None:
    assert check_directory(SHIPPED_KB).errors == ()


# -- warnings: the knowledge base loads, staff are told what to look at -------------------------------------------


def test_few_phrasings_is_a_warning(kb: Path) -> None:
    check = check_directory(kb)
    assert check.errors == () and check.kb is not None
    warnings = [str(p) for p in check.warnings]
    assert (
        f"{kb / 'more.yaml'}:7: entry 'more-dates': only 3 Italian phrasings: add more (at least 8), the ways people "
        "really ask: short, long, colloquial, without accents"
    ) in warnings
    assert [p.text(ITALIAN) for p in check.warnings if p.line == 7 and p.file.endswith("more.yaml")] == [
        f"{kb / 'more.yaml'}:7: voce 'more-dates': solo 3 formulazioni in italiano: aggiungine altre (almeno 8), come "
        "le persone chiedono davvero: brevi, lunghe, colloquiali, senza accenti"
    ]


def test_a_text_in_the_other_language_is_a_warning(kb: Path) -> None:
    more = kb / "more.yaml"
    more.write_text(
        MORE.replace(
            "[Dove si svolge?, in che città, luogo]", "[Dove si svolge?, Where is the event for the call?, luogo]"
        ).replace("      en: In Bari, at the Fiera del Levante.", "      en: Si svolge a Bari, alla Fiera del Levante.")
    )
    check = check_knowledge_directory(kb)
    assert check.errors == ()
    language = [str(p) for p in check.warnings if "reads as" in p.reason]
    assert language == [
        f"{more}:16: entry 'more-places' questions.it.1: 'Where is the event for the call?' reads as English, but it "
        "is written under it — move it under the right language, or check that the two texts are not swapped",
        f"{more}:20: entry 'more-places' answer.en: 'Si svolge a Bari, alla Fiera del Levante…' reads as Italian, but "
        "it is written under en — move it under the right language, or check that the two texts are not swapped",
    ]


def test_a_phrasing_the_bot_answers_with_another_entry_is_a_warning(kb: Path) -> None:
    more = kb / "more.yaml"
    more.write_text(
        MORE.replace("[What are the dates?, dates of the call,", "[What are the dates?, Who can take part?,")
    )
    check = check_knowledge_directory(kb)
    assert check.errors == ()
    matcher = [p for p in check.warnings if "the bot answers" in p.reason]
    assert [str(p) for p in matcher] == [
        f"{more}:8: entry 'more-dates' questions.en.1: the bot answers 'Who can take part?' with the entry "
        "'eligibility', not with this one — make it more specific, or see whether the two entries answer the same "
        "question; users who ask it in other words may get the other answer"
    ]
    assert matcher[0].text(ITALIAN) == (
        f"{more}:8: voce 'more-dates' questions.en.1: il bot risponde a 'Who can take part?' con la voce "
        "'eligibility', non con questa — rendila più specifica, o controlla se le due voci rispondono alla stessa "
        "domanda; chi la chiede con altre parole può ricevere l'altra risposta"
    )


def test_a_synonym_read_as_another_groups_word_is_a_warning(kb: Path) -> None:
    vocabulary = kb / "vocabulary.yaml"
    vocabulary.write_text(
        vocabulary.read_text(encoding="utf-8").replace(
            "synonyms:\n", "synonyms:\n  - [informale, informal]\n  - [dettagli, details, informazioni]\n"
        ),
        encoding="utf-8",
    )
    check = check_knowledge_directory(kb)
    assert check.errors == ()
    merged = [p for p in check.warnings if p.reason.startswith("synonyms")]
    assert [str(p) for p in merged] == [
        f"{vocabulary}:3: synonyms: 'informazioni' reads as 'informale', not as 'dettagli' (the two share a stem) — "
        "move it to that group, or leave it out: the matcher cannot tell the two apart"
    ]
    assert merged[0].text(ITALIAN).startswith(f"{vocabulary}:3: sinonimi: 'informazioni' viene letto come 'informale'")


def test_validation_of_texts_in_memory_reports_errors_and_warnings_apart() -> None:
    """The function the editing tools call: contents in, problems out, each at file:line."""
    files = {
        "knowledge/sources.yaml": "sources:\n  - id: press\n    title: {it: Comunicato, en: Press release}\n",
        "knowledge/new.yaml": MORE.replace("sources: [press]\n    related: [deadline]", "sources: [press]"),
    }
    check = check_files(files)
    assert check.errors == () and check.kb is not None and set(check.kb.entries) == {"more-dates", "more-places"}
    assert {p.file for p in check.warnings} == {"knowledge/new.yaml"}
    broken = check_files(
        {**files, "knowledge/new.yaml": files["knowledge/new.yaml"].replace("  - id: more-places", "\t- id: x")}
    )
    assert broken.kb is None and [(p.file, p.line) for p in broken.errors] == [("knowledge/new.yaml", 13)]


def test_asking_every_phrasing_is_bounded(fixture_kb_dir: Path) -> None:
    """At most MAX_PHRASINGS_ASKED phrasings are asked (about 1 ms each, up to 8 ms at the loader's limits)."""
    from bot.assistant import Assistant
    from bot.staff.review import matcher_warnings

    check = check_directory(fixture_kb_dir)
    assistant = Assistant(check.kb)
    asked: list[str] = []
    original = assistant.reply

    def counting(question: str, **kwargs: object) -> object:
        asked.append(question)
        return original(question, **kwargs)

    assistant.reply = counting  # type: ignore[method-assign]
    warnings = matcher_warnings(assistant, check, limit=5, place=str(fixture_kb_dir))
    assert len(asked) == 5
    assert [str(p) for p in warnings] == [
        f"{fixture_kb_dir}:0: the bot checked how it answers the first 5 of 22 phrasings only"
    ]


def test_a_second_entries_block_in_a_file_is_reported(kb: Path) -> None:
    """YAML keeps only the last of two equal keys: a pasted second `entries:` would silently drop the first."""
    more = kb / "more.yaml"
    second = MORE[MORE.index("  - id: more-places") :]
    more.write_text(MORE[: MORE.index("  - id: more-places")] + "entries:\n" + second)
    assert errors(kb)[0] == f"{more}:14: file: key 'entries' appears twice"

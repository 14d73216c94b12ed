"""Knowledge-base edits without a text editor: round-trip YAML, checks on a copy, safe writes, undo."""

import difflib
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.editing.changes import Change, FileChange, StaleChange, check_change, read_folder, write_change
from bot.editing.entries import EditError, NewEntry, add_entry, add_phrasings
from bot.editing.yaml_text import Document, scalar
from bot.knowledge import KnowledgeError, load_knowledge
from tests.conftest import FIXTURE_KB, SHIPPED_KB


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(SHIPPED_KB, target)
    return target


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.mark.parametrize("folder", [SHIPPED_KB, FIXTURE_KB], ids=["shipped", "fixture"])
def test_every_knowledge_file_is_written_back_byte_for_byte(folder: Path) -> None:
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert Document(text, path.name).text() == text, path.name


def test_a_file_indented_another_way_keeps_its_indentation() -> None:
    text = "# comment\nentries:\n- id: a   # the first\n  questions:\n    it: [x]\n- id: b\n"
    assert Document(text).text() == text


@pytest.mark.parametrize("text", ["on", "no", "12:30", "2017-01-01", "0x1f", "null", "~", " padded ", "- dash"])
def test_texts_yaml_1_1_would_misread_are_quoted(text: str) -> None:
    document = Document("entries: []\n")
    document.root["entries"].append(scalar(text))
    assert yaml.safe_load(document.text())["entries"] == [text]


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300))
def test_any_text_reads_back_unchanged_through_the_bots_loader(text: str) -> None:
    document = Document("answer: x\n")
    document.root["answer"] = scalar(text)
    assert yaml.safe_load(document.text())["answer"] == text


def test_add_phrasings_touches_only_the_entry_and_reads_back(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    entry = kb.entries["eligibility-who"]
    folder = read_folder(kb_dir)
    edit = add_phrasings(
        folder,
        entry,
        {"it": ["possono partecipare le  fondazioni?", "Chi può partecipare?", "on"], "en": ["can foundations join?"]},
    )
    assert edit.added == {"it": ("possono partecipare le fondazioni?", "on"), "en": ("can foundations join?",)}
    (file,) = edit.change.files
    assert file.name == "eligibility.yaml" and file.before == folder["eligibility.yaml"]
    assert changed_lines(file.before or "", file.after or "") == [
        "+        - possono partecipare le fondazioni?",
        '+        - "on"',
        "+        - can foundations join?",
    ]
    after = check_change(kb_dir, edit.change).kb
    assert after is not None
    assert after.entries["eligibility-who"].questions["it"][-2:] == ("possono partecipare le fondazioni?", "on")
    assert (kb_dir / "eligibility.yaml").read_text(encoding="utf-8") == folder["eligibility.yaml"]  # not written


def test_add_phrasings_of_a_vanished_entry_is_refused(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    folder = read_folder(kb_dir)
    folder["eligibility.yaml"] = folder["eligibility.yaml"].replace("id: eligibility-who", "id: eligibility-renamed")
    with pytest.raises(EditError, match=r"'eligibility-who' is no longer in eligibility\.yaml"):
        add_phrasings(folder, kb.entries["eligibility-who"], {"it": ["x"]})


def test_a_new_entry_is_appended_to_its_topic_file(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    folder = read_folder(kb_dir)
    long_answer = "Le fondazioni possono partecipare se sono organizzazioni di cluster: " + "dettagli " * 30 + "fine."
    entry = NewEntry(
        id="eligibility-foundations",
        topic="eligibility",
        questions={"it": ["possono partecipare le fondazioni?"], "en": ["yes"]},
        answer={"it": long_answer, "en": "Foundations: see the call.\nSecond line: here."},
        sources=["press-release"],
        related=["eligibility-who"],
    )
    change = add_entry(folder, kb, entry)
    (file,) = change.files
    assert file.after is not None and file.after.startswith(folder["eligibility.yaml"])
    after = check_change(kb_dir, change).kb
    assert after is not None
    added = after.entries["eligibility-foundations"]
    assert added.answer is not None and added.answer.it == long_answer
    assert added.answer.en == "Foundations: see the call.\nSecond line: here."
    assert added.questions["en"] == ("yes",) and added.sources == ("press-release",)
    assert max(len(line) for line in file.after.splitlines()[-20:]) < 120  # folded, readable


def test_a_new_entry_with_an_existing_id_is_refused(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    entry = NewEntry("eligibility-who", "eligibility", {"it": ["x"], "en": ["y"]}, {"it": "a", "en": "b"}, ["eccp"])
    with pytest.raises(EditError, match="already exists"):
        add_entry(read_folder(kb_dir), kb, entry)


def test_check_names_the_real_file_and_leaves_the_folder_alone(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    bad = NewEntry("x-new", "eligibility", {"it": ["domanda"], "en": ["question"]}, {"it": "a", "en": "b"}, ["nope"])
    change = add_entry(read_folder(kb_dir), kb, bad)
    before = read_folder(kb_dir)
    with pytest.raises(KnowledgeError) as caught:
        check_change(kb_dir, change)
    (problem,) = caught.value.problems
    assert problem.file == str(kb_dir / "eligibility.yaml")
    assert "no source has id 'nope'" in problem.reason
    assert read_folder(kb_dir) == before


def test_write_refuses_when_the_file_was_edited_by_hand(kb_dir: Path) -> None:
    kb = load_knowledge(kb_dir)
    edit = add_phrasings(read_folder(kb_dir), kb.entries["eligibility-who"], {"it": ["nuova domanda"]})
    hand = kb_dir / "eligibility.yaml"
    hand.write_text(hand.read_text(encoding="utf-8") + "# a hand edit\n", encoding="utf-8")
    with pytest.raises(StaleChange) as caught:
        write_change(kb_dir, edit.change)
    assert caught.value.files == ["eligibility.yaml"]
    assert hand.read_text(encoding="utf-8").endswith("# a hand edit\n")


def test_write_then_undo_restores_every_byte(kb_dir: Path) -> None:
    original = read_folder(kb_dir)
    kb = load_knowledge(kb_dir)
    change = Change(
        (
            *add_phrasings(original, kb.entries["eligibility-who"], {"en": ["may a foundation apply?"]}).change.files,
            FileChange("extra.yaml", None, "synonyms:\n  - [fondazione, foundation]\n"),
            FileChange("links.yaml", original["links.yaml"], None),
        )
    )
    with pytest.raises(KnowledgeError):
        check_change(kb_dir, change)  # links.yaml holds entries others relate to: deleting it is caught
    change = Change(change.files[:2])
    check_change(kb_dir, change)
    write_change(kb_dir, change)
    assert "may a foundation apply?" in (kb_dir / "eligibility.yaml").read_text(encoding="utf-8")
    assert (kb_dir / "extra.yaml").exists()
    assert not [p for p in kb_dir.iterdir() if p.suffix == ".writing"]
    undo = Change.from_json(change.to_json()).reversed()
    check_change(kb_dir, undo)
    write_change(kb_dir, undo)
    assert read_folder(kb_dir) == original


def test_a_failed_write_leaves_every_file_as_it_was(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = read_folder(kb_dir)
    change = Change(
        (
            FileChange("call.yaml", original["call.yaml"], original["call.yaml"] + "# one\n"),
            FileChange("links.yaml", original["links.yaml"], original["links.yaml"] + "# two\n"),
        )
    )
    real_fsync = __import__("os").fsync
    calls = []

    def failing_fsync(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr("bot.editing.changes.os.fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_change(kb_dir, change)
    assert read_folder(kb_dir) == original
    assert sorted(p.name for p in kb_dir.iterdir()) == sorted(original)


def test_touched_lines_are_the_lines_a_change_wrote() -> None:
    change = Change(
        (
            FileChange("a.yaml", "one\ntwo\nthree\n", "one\n2\nthree\nfour\n"),
            FileChange("b.yaml", None, "x\ny\n"),
            FileChange("c.yaml", "gone\n", None),
        )
    )
    assert change.touched_lines() == {"a.yaml": {2, 4}, "b.yaml": {1, 2}}

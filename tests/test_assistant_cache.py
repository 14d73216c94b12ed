"""The assistant cache: a knowledge base kept ready on disk serves exactly as one built from the files; a change of
the files or of the code is never served from it; and nothing is unpickled from a place another user could write,
nor from a damaged file."""

import os
from pathlib import Path

import pytest

import bot.assistant_cache as assistant_cache
from bot.assistant import Assistant, Prepared
from bot.assistant_cache import SUFFIX, AssistantCache, Ready, prepare
from bot.evaluation import load_all
from bot.knowledge import KnowledgeFiles, check_files, read_knowledge_files
from bot.live import LiveAssistant, ReloadOutcome
from bot.matching import index as index_module
from bot.shipped import KNOWLEDGE_DIR as SHIPPED_KB
from tests.conftest import FIXED_NOW, FIXTURE_KB

EVAL = Path(__file__).resolve().parent / "eval"
#: The evaluation sets a test may read (never the held-out sealed.yaml and realistic_c.yaml).
EVAL_SETS = [EVAL / name for name in ("cases.yaml", "holdout.yaml", "holdout2.yaml", "realistic_a.yaml")]


def built_and_cached(folder: Path, cache_dir: Path) -> tuple[Assistant, Assistant]:
    """An assistant built from the files, and one from what a cache kept of them (stored, then read back)."""
    files = read_knowledge_files(folder)
    check, prepared = prepare(files, str(folder), cache=AssistantCache(cache_dir))
    assert check.kb is not None and prepared is not None
    hit = AssistantCache(cache_dir).load(AssistantCache(cache_dir).key(files, str(folder)))
    assert hit is not None, "the cache did not keep the knowledge base"
    assert hit.prepared is not prepared
    fresh = Assistant(check_files(files.files, place=str(folder)).kb, clock=lambda: FIXED_NOW)  # type: ignore[arg-type]
    return fresh, Assistant(hit.check.kb, prepared=hit.prepared, clock=lambda: FIXED_NOW)  # type: ignore[arg-type]


def test_a_cached_index_ranks_exactly_like_a_fresh_one_on_the_evaluation_sets(tmp_path: Path) -> None:
    fresh, cached = built_and_cached(SHIPPED_KB, tmp_path / "cache")
    questions = [case.question for case in load_all(EVAL_SETS)]
    assert len(questions) > 300
    for question in questions:
        assert cached.index.rank(question, limit=10) == fresh.index.rank(question, limit=10), question
        assert cached.reply(question) == fresh.reply(question), question
    assert dict(cached.gives) == dict(fresh.gives)
    assert vars(cached.detector).keys() == vars(fresh.detector).keys()


def test_a_cached_index_corrects_spelling_like_a_fresh_one(tmp_path: Path) -> None:
    """Misspelt words take the corrector's paths (one edit, two edits for long words), which the cache stores in
    its own compact form."""
    fresh, cached = built_and_cached(SHIPPED_KB, tmp_path / "cache")
    phrasings = [q for e in fresh.kb.entries.values() for lang in ("it", "en") for q in e.questions[lang]]
    words = sorted({w for q in phrasings for w in q.split()})
    misspelt = [w[:i] + w[i + 1 :] for w in words if len(w) >= 5 for i in (1, len(w) // 2)]
    misspelt += [w[:3] + w[4] + w[3] + w[5:] for w in words if len(w) >= 10]
    assert len(misspelt) > 200
    for word in misspelt:
        assert cached.index._corrector.correct(word) == fresh.index._corrector.correct(word), word
        assert cached.index.analyse(f"{word} scadenza") == fresh.index.analyse(f"{word} scadenza"), word


def test_what_the_cache_keeps_is_the_same_index(tmp_path: Path) -> None:
    """Every part of the index, as the ranking reads it, equal after a round trip through the cache."""
    fresh, cached = built_and_cached(FIXTURE_KB, tmp_path / "cache")
    assert vars(cached.index).keys() == vars(fresh.index).keys()
    for name, value in vars(fresh.index).items():
        stored = getattr(cached.index, name)
        if name in ("_postings", "_entry_postings"):
            assert [a.tolist() for a in stored] == [a.tolist() for a in value]
        elif name == "_entry_sets":
            assert len(stored) == len(value)
            assert [stored[i] for i in range(len(value))] == [value[i] for i in range(len(value))]
        elif name == "_corrector":
            assert stored._frequency == value._frequency and stored._long_words == value._long_words
            assert stored._by_delete._joined == value._by_delete._joined
        elif hasattr(value, "tolist"):
            assert stored.tolist() == value.tolist(), name
        elif name != "analyzer":
            assert stored == value, name


def test_the_same_files_are_read_from_the_cache_not_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = AssistantCache(tmp_path / "cache")
    files = read_knowledge_files(FIXTURE_KB)
    prepare(files, "k", cache=cache)

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("built again")

    monkeypatch.setattr(assistant_cache, "check_files", no_build)
    monkeypatch.setattr(Prepared, "build", no_build)
    check, prepared = prepare(read_knowledge_files(FIXTURE_KB), "k", cache=cache)
    assert check.ok and prepared is not None


def test_changed_files_or_code_are_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = AssistantCache(tmp_path / "cache")
    files = read_knowledge_files(FIXTURE_KB)
    key = cache.key(files, "k")
    cache.store(key, Ready(*prepare(files, "k")))  # type: ignore[arg-type]
    assert cache.load(key) is not None
    edited = KnowledgeFiles({**files.files, "extra.yaml": b"# a comment\n"})
    assert cache.key(edited, "k") != key
    assert cache.key(files, "other place") != key
    assert cache.key(files, "k", index_module.ScoringSettings(beta=2.0)) != key
    monkeypatch.setattr(assistant_cache, "code_version", lambda: "another version of the bot")
    assert cache.key(files, "k") != key


def test_the_code_version_follows_the_bot_sources() -> None:
    version = assistant_cache.code_version()
    assert len(version) == 64
    assistant_cache.code_version.cache_clear()
    assert assistant_cache.code_version() == version  # the same sources: the same version


def test_a_knowledge_base_with_errors_is_never_kept(tmp_path: Path) -> None:
    cache = AssistantCache(tmp_path / "cache")
    broken = KnowledgeFiles({"k/a.yaml": b"entries: [\n"})
    check, prepared = prepare(broken, "k", cache=cache)
    assert check.errors and prepared is None
    assert not list((tmp_path / "cache").glob("*" + SUFFIX))


def stored_entry(tmp_path: Path) -> tuple[AssistantCache, str, Path]:
    cache = AssistantCache(tmp_path / "cache")
    files = read_knowledge_files(FIXTURE_KB)
    prepare(files, "k", cache=cache)
    key = cache.key(files, "k")
    return cache, key, tmp_path / "cache" / (key + SUFFIX)


def test_the_folder_is_private_and_created_so(tmp_path: Path) -> None:
    _, _, path = stored_entry(tmp_path)
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    assert (path.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize("damage", ["flipped byte", "truncated", "other key", "empty"])
def test_a_damaged_entry_is_built_again_not_served(tmp_path: Path, damage: str) -> None:
    cache, key, path = stored_entry(tmp_path)
    data = path.read_bytes()
    if damage == "flipped byte":
        data = data[:-200] + bytes([data[-200] ^ 1]) + data[-199:]
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "other key":
        data = data.replace(key.encode(), b"0" * 64, 1)
    else:
        data = b""
    path.write_bytes(data)
    assert cache.load(key) is None
    assert not path.exists()  # forgotten, so the next build stores it again
    check, prepared = prepare(read_knowledge_files(FIXTURE_KB), "k", cache=cache)
    assert check.ok and prepared is not None and cache.load(key) is not None


def test_nothing_is_read_from_a_folder_others_can_write(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache, key, path = stored_entry(tmp_path)
    path.parent.chmod(0o777)
    assert cache.load(key) is None
    assert "must belong to this user and be private" in caplog.text
    path.parent.chmod(0o700)
    assert cache.load(key) is not None


def test_nothing_is_read_from_a_file_others_can_write_or_through_a_link(tmp_path: Path) -> None:
    cache, key, path = stored_entry(tmp_path)
    path.chmod(0o666)
    assert cache.load(key) is None
    path.chmod(0o600)
    elsewhere = tmp_path / "elsewhere"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert cache.load(key) is None
    folder = tmp_path / "cache"
    os.unlink(path)
    folder.rename(tmp_path / "real")
    folder.symlink_to(tmp_path / "real")
    assert cache.load(key) is None


def test_only_the_most_recent_entries_are_kept(tmp_path: Path) -> None:
    cache = AssistantCache(tmp_path / "cache", keep=2)
    files = read_knowledge_files(FIXTURE_KB)
    keys = []
    for edition in range(4):
        note = f"synonyms:\n  - [parola{edition}, termine{edition}]\n".encode()
        edited = KnowledgeFiles({**files.files, "note.yaml": note})
        prepare(edited, "k", cache=cache)
        keys.append(cache.key(edited, "k"))
        os.utime(tmp_path / "cache" / (keys[-1] + SUFFIX), ns=(edition * 10**9, edition * 10**9))
    kept = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert kept == sorted(k + SUFFIX for k in keys[-2:])


def test_an_unwritable_cache_only_costs_the_build(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    check, prepared = prepare(read_knowledge_files(FIXTURE_KB), "k", cache=AssistantCache(blocker / "cache"))
    assert check.ok and prepared is not None
    assert "cannot create the cache folder" in caplog.text


def test_a_reload_serves_the_edit_never_the_cached_version(
    fixture_kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live assistant with a cache: started twice on the same files (the second time from the cache), then the
    files edited and reloaded: the edit answers; undone and reloaded, the first version answers again, read from
    the cache rather than built a third time."""

    def build(kb, prepared):  # type: ignore[no-untyped-def]
        return Assistant(kb, prepared=prepared, clock=lambda: FIXED_NOW)

    cache = AssistantCache(tmp_path / "cache")
    LiveAssistant(fixture_kb_dir, build, cache=cache)
    live = LiveAssistant(fixture_kb_dir, build, cache=cache)
    question = "Chi può partecipare?"
    before = live.current.reply(question).text
    calls = fixture_kb_dir / "calls.yaml"
    original = calls.read_text(encoding="utf-8")
    assert "distretti e parchi scientifici." in before
    answer = "Possono partecipare distretti e parchi scientifici."
    calls.write_text(original.replace(answer, "Possono partecipare distretti, cluster e parchi."), encoding="utf-8")
    assert live.reload().outcome is ReloadOutcome.RELOADED
    assert "distretti, cluster e parchi." in live.current.reply(question).text

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("built again")

    monkeypatch.setattr(Prepared, "build", no_build)
    calls.write_text(original, encoding="utf-8")
    assert live.reload().outcome is ReloadOutcome.RELOADED
    assert live.current.reply(question).text == before
    assert len(list((tmp_path / "cache").glob("*" + SUFFIX))) == 2


def test_a_start_from_the_cache_never_builds_the_schema(tmp_path: Path) -> None:
    """The knowledge-base classes build their validators on first use (pydantic's defer_build): a bot that starts
    from its cache never validates, so it never pays for them (memory and time)."""
    import subprocess
    import sys

    prepare(read_knowledge_files(FIXTURE_KB), "k", cache=AssistantCache(tmp_path / "cache"))
    script = (
        "from pathlib import Path; import sys\n"
        "from bot.assistant_cache import AssistantCache, prepare\n"
        "from bot.knowledge import model, read_knowledge_files\n"
        f"check, prepared = prepare(read_knowledge_files({str(FIXTURE_KB)!r}), 'k', "
        f"cache=AssistantCache(Path({str(tmp_path / 'cache')!r})))\n"
        "assert check.ok and prepared is not None\n"
        "print(type(model.Entry.__pydantic_validator__).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "MockValSer"


def test_a_start_can_leave_storing_for_later_and_a_reload_still_stores_at_once(
    fixture_kb_dir: Path, tmp_path: Path
) -> None:
    """What start-up built waits for `store_pending` (the bot calls it once it answers); nothing is lost meanwhile,
    and a reload, which runs in a worker thread anyway, stores as it builds."""

    def build(kb, prepared):  # type: ignore[no-untyped-def]
        return Assistant(kb, prepared=prepared, clock=lambda: FIXED_NOW)

    folder = tmp_path / "cache"
    live = LiveAssistant(fixture_kb_dir, build, cache=AssistantCache(folder), store_later=True)
    assert not list(folder.glob("*" + SUFFIX))  # not yet
    live.store_pending()
    assert len(list(folder.glob("*" + SUFFIX))) == 1
    live.store_pending()  # once only
    assert len(list(folder.glob("*" + SUFFIX))) == 1
    calls = fixture_kb_dir / "calls.yaml"
    calls.write_text(calls.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert live.reload().outcome is ReloadOutcome.RELOADED
    assert len(list(folder.glob("*" + SUFFIX))) == 2


@pytest.mark.parametrize("stopped_early", [False, True])
async def test_the_bot_stores_what_it_built_once_it_answers_or_when_it_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stopped_early: bool
) -> None:
    import asyncio
    from dataclasses import replace

    from bot.telegram import app as app_module
    from tests.support.bot_api import FakeBotAPI
    from tests.support.harness import config_for

    monkeypatch.setattr(app_module, "CACHE_STORE_DELAY_SECONDS", 0.2)
    folder = tmp_path / "cache"
    async with FakeBotAPI() as api:
        config = replace(config_for(api, tmp_path, knowledge_dir=FIXTURE_KB), cache_dir=folder)
        application = app_module.build_application(config)
        assert not list(folder.glob("*" + SUFFIX))  # built, not stored: start-up does not wait for it
        await application.initialize()
        assert application.post_init is not None and application.post_shutdown is not None
        await application.post_init(application)
        await application.start()
        if not stopped_early:
            for _ in range(100):
                await asyncio.sleep(0.05)
                if list(folder.glob("*" + SUFFIX)):
                    break
            assert len(list(folder.glob("*" + SUFFIX))) == 1
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)
    assert len(list(folder.glob("*" + SUFFIX))) == 1

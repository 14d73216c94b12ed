"""Hostile or broken knowledge-base files through the real bot (issue 11, item 5): refused quickly and briefly, off
the event loop, told to staff once per version and in their language, retried on the next change; and a bot
started on a broken edit serves the last good version instead of not starting."""

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from bot.assistant import Assistant, Prepared
from bot.knowledge import KnowledgeBase
from bot.live import LiveAssistant, ReloadOutcome
from tests.conftest import FIXED_NOW
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import running_bot, services
from tests.test_knowledge_limits import billion_laughs
from tests.test_run_subprocess import bot_env, run_cli, start_bot_process

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

STELLA = make_user(1001, "Stella", "it")  # staff, Italian Telegram
SAM = make_user(1002, "Sam", "en")  # staff, English Telegram
USER = make_user(2002, "Ugo", "it")
ANSWER = "Possono partecipare distretti e parchi scientifici."


@pytest.fixture
def knowledge(fixture_kb_dir: Path) -> Path:
    return fixture_kb_dir


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, knowledge: Path):
    async with running_bot(
        api,
        tmp_path,
        knowledge_dir=knowledge,
        staff_ids=frozenset({STELLA["id"], SAM["id"]}),
        clock=lambda: FIXED_NOW,
        knowledge_check_seconds=0.2,
    ) as application:
        yield application


async def ask(api: FakeBotAPI, user: dict, text: str) -> dict:
    before = len(api.messages_to(user["id"]))
    api.push_update(api.text_message(user, text))
    await api.wait_for_messages(user["id"], count=before + 1, timeout=10)
    return api.sent_messages(user["id"])[before]


async def greet_staff(api: FakeBotAPI) -> None:
    """Staff talk to the bot once, so it knows their Telegram language."""
    for member in (STELLA, SAM):
        await ask(api, member, "ciao" if member is STELLA else "hello")


async def test_an_alias_bomb_is_refused_at_once_and_users_keep_their_answers(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    await greet_staff(api)
    started = time.monotonic()
    (knowledge / "bomb.yaml").write_text(billion_laughs(), encoding="utf-8")  # 9 lines, 387 million strings
    answer = await ask(api, USER, "chi può partecipare?")
    assert answer["text"].startswith(ANSWER)
    await api.wait_for_messages(STELLA["id"], count=2, timeout=10)
    await api.wait_for_messages(SAM["id"], count=2, timeout=10)
    assert time.monotonic() - started < 5  # before: every user waited 31 s, then MemoryError
    italian, english = api.last_sent(STELLA["id"])["text"], api.last_sent(SAM["id"])["text"]
    assert english == (
        "The knowledge base has problems; the previous version is still serving:\n"
        f"• {knowledge / 'bomb.yaml'}:6: the file holds more than 100000 values, counting each repetition of an "
        "alias (*name): it was not read — write each text out in full instead of repeating it with &name and *name"
    )
    assert italian == (
        "La base di conoscenza ha dei problemi; la versione precedente è ancora in servizio:\n"
        f"• {knowledge / 'bomb.yaml'}:6: il file contiene più di 100000 valori, contando ogni ripetizione di un "
        "alias (*nome): non è stato letto — scrivi ogni testo per intero invece di ripeterlo con &nome e *nome"
    )
    assert (await ask(api, USER, "chi può partecipare?"))["text"].startswith(ANSWER)


async def test_a_huge_value_gives_one_short_message(api: FakeBotAPI, bot, knowledge: Path) -> None:
    """Before: a 400 KB id gave 98 messages to each staff member and a 400,000-character log line."""
    await greet_staff(api)
    (knowledge / "huge.yaml").write_text(f"sources:\n  - id: {'x' * 400_000}\n    title: {{it: a, en: b}}\n")
    await api.wait_for_messages(SAM["id"], count=2, timeout=10)
    await asyncio.sleep(0.6)
    (warning,) = api.sent_messages(SAM["id"])[1:]
    assert warning["text"] == (
        "The knowledge base has problems; the previous version is still serving:\n"
        f"• {knowledge / 'huge.yaml'}:2: a text of 400000 characters (at most 20000): "
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"
    )


async def test_a_refused_version_is_told_once_and_the_next_change_is_tried(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    await greet_staff(api)
    calls = knowledge / "calls.yaml"
    good = calls.read_text(encoding="utf-8")
    calls.write_text(good.replace("  - id: eligibility\n", "\t- id: eligibility\n"), encoding="utf-8")
    await api.wait_for_messages(SAM["id"], count=2, timeout=10)
    calls.write_text(calls.read_text(encoding="utf-8"), encoding="utf-8")  # saved again, unchanged
    await asyncio.sleep(0.8)
    assert len(api.sent_messages(SAM["id"])) == 2  # told once
    assert "a tab character in the indentation" in api.last_sent(SAM["id"])["text"]

    calls.write_text(good.replace(ANSWER, "Possono partecipare distretti e reti."), encoding="utf-8")
    for _ in range(50):  # the next change is tried: it is valid and serves
        if services(bot).assistant.kb.entries["eligibility"].answer.it.endswith("e reti."):
            break
        await asyncio.sleep(0.1)
    assert (await ask(api, USER, "chi può partecipare?"))["text"].startswith("Possono partecipare distretti e reti.")
    assert len(api.sent_messages(SAM["id"])) == 2  # a good version is not a message

    calls.write_text(good.replace("  - id: eligibility\n", "\t- id: eligibility\n"), encoding="utf-8")
    await api.wait_for_messages(SAM["id"], count=3, timeout=10)  # the same mistake again is a new change: told


async def test_reload_replies_in_the_staff_members_language_with_warnings(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    before = len(api.messages_to(SAM["id"]))
    api.push_update(api.command(SAM, "/reload"))
    (reply,) = await api.wait_for_messages(SAM["id"], count=before + 1, timeout=20)
    lines = reply["text"].split("\n")
    assert lines[0] == "Knowledge base reloaded: 4 entries."
    assert lines[2] == "8 warnings (they do not stop the bot, but are worth a look):"
    assert lines[3] == (
        f"• {knowledge / 'calls.yaml'}:7: entry 'deadline': only 3 Italian phrasings: add more (at least 8), the ways "
        "people really ask: short, long, colloquial, without accents"
    )


async def test_a_reload_never_makes_users_wait(api: FakeBotAPI, bot, knowledge: Path) -> None:
    """Reading, checking and indexing run in a worker thread: questions asked while a big knowledge base (300
    entries, 18,000 phrasings: seconds of work) is reloaded are answered from the current version at once. Before,
    the reload ran on the event loop and every user waited for all of it."""
    big = "".join(
        f"  - id: extra-{i}\n    questions:\n      it: [{', '.join(f'domanda {i} numero {k}' for k in range(30))}]\n"
        f"      en: [{', '.join(f'question {i} number {k}' for k in range(30))}]\n"
        f"    answer: {{it: Risposta {i}., en: Answer {i}.}}\n    sources: [press]\n"
        for i in range(300)
    )
    (knowledge / "big.yaml").write_text("topic: {id: big, title: {it: Tanto, en: Much}}\nentries:\n" + big)
    waits, during = [], 0
    for number in range(300):
        reloading = "extra-0" not in services(bot).assistant.kb.entries
        asked = time.monotonic()
        answer = await ask(api, make_user(3000 + number, "Utente", "it"), "chi può partecipare?")
        waits.append(time.monotonic() - asked)
        assert answer["text"].startswith(ANSWER)
        if "extra-0" in services(bot).assistant.kb.entries:
            break
        during += reloading
        await asyncio.sleep(0.25)
    assert "extra-0" in services(bot).assistant.kb.entries  # the reload finished
    assert during >= 2  # questions were answered while it ran
    assert max(waits) < 1.0, waits


def test_an_unexpected_failure_refuses_the_version_and_the_next_change_is_tried(knowledge: Path) -> None:
    """A failure the checks do not foresee (a bug, MemoryError) refuses that version, once, and is retried when the
    files change: the version is not marked as seen before it loaded."""

    def build(kb: KnowledgeBase, prepared: Prepared | None) -> Assistant:
        if "explode" in kb.entries:
            raise MemoryError
        return Assistant(kb, prepared=prepared)

    live = LiveAssistant(knowledge, build)
    calls = knowledge / "calls.yaml"
    good = calls.read_text(encoding="utf-8")
    calls.write_text(good.replace("id: eligibility", "id: explode").replace("[deadline]\n", "[deadline]\n", 1))
    calls.write_text(calls.read_text().replace("related: [eligibility]", "related: [explode]"))
    refused = live.reload()
    assert refused.outcome is ReloadOutcome.REFUSED
    assert [str(p) for p in refused.errors] == [f"{knowledge}:0: the bot could not load this version (MemoryError)"]
    assert live.unreported_refusal() is not None and live.unreported_refusal() is None  # told once
    assert live.reload().outcome is ReloadOutcome.ALREADY_REFUSED
    calls.write_text(good.replace(ANSWER, "Possono partecipare distretti e reti."))
    assert live.reload().outcome is ReloadOutcome.RELOADED
    assert "eligibility" in live.current.kb.entries


# -- start-up --------------------------------------------------------------------------------------------------------


async def test_a_broken_edit_while_stopped_starts_on_the_last_good_version(tmp_path: Path, knowledge: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    async with FakeBotAPI() as api:
        env = bot_env(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            BOT_DATABASE=str(database),
            BOT_KNOWLEDGE_DIR=str(knowledge),
            BOT_STAFF_IDS=str(SAM["id"]),
        )
        for attempt in ("good", "broken"):
            if attempt == "broken":
                calls = knowledge / "calls.yaml"
                calls.write_bytes(
                    calls.read_text(encoding="utf-8").replace(ANSWER, "Nuova risposta: è così.").encode("cp1252")
                )
            process = await start_bot_process(env, tmp_path)
            try:
                await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=30)
                answer = await ask(api, USER, "chi può partecipare?")
                assert answer["text"].startswith(ANSWER)  # the good version, both times
                if attempt == "broken":
                    await api.wait_for_messages(SAM["id"], timeout=15)
            finally:
                process.send_signal(signal.SIGINT)
                _, err = await asyncio.wait_for(process.communicate(), timeout=30)
            assert process.returncode == 0, err.decode()
            if attempt == "good":
                assert not api.texts_to(SAM["id"])  # nothing to tell staff
                api.clear_calls()
        told = api.texts_to(SAM["id"])
    # Sam never wrote to the bot, so it does not know his language: staff messages default to Italian.
    assert told[-1].startswith(
        "I file della base di conoscenza hanno degli errori, quindi sono partito con l'ultima versione valida:\n"
        f"• {knowledge / 'calls.yaml'}:7: il file non è salvato in UTF-8 (probabilmente Windows-1252/ANSI)"
    )
    assert "serving the last good version" in err.decode()


async def test_without_a_good_version_the_bot_exits_with_status_3_and_says_why(tmp_path: Path, knowledge: Path) -> None:
    (knowledge / "calls.yaml").write_text("topic: [broken\n", encoding="utf-8")
    env = bot_env(
        TELEGRAM_BOT_TOKEN="123456:ABCdefGHIjkl",
        BOT_DATABASE=str(tmp_path / "bot.sqlite3"),
        BOT_KNOWLEDGE_DIR=str(knowledge),
        LANG="C.UTF-8",
    )
    env.pop("LC_ALL", None)
    code, _, err = await run_cli("run", env=env)
    assert code == 3
    assert "Traceback" not in err
    assert err.splitlines()[-2:] == [
        "The knowledge base has errors (python -m bot validate explains them):",
        f"{knowledge / 'calls.yaml'}:1: YAML syntax error: a bracket [ or {{ opened on this line is never closed — "
        "close it with ] or }, or put the text in double quotes if it is meant as text",
    ]
    assert os.environ.get("TELEGRAM_BOT_TOKEN") is None or "ABCdefGHIjkl" not in err

"""Staff tools through the real bot: access control, /unanswered, /stats, /reload and automatic reload."""

import asyncio
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import running_bot, services

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

STAFF = make_user(1001, "Stella", "it")
USER = make_user(2002, "Ugo", "it")
UNKNOWN_COMMAND = "Non conosco questo comando. Prova /help."


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, target)
    return target


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, knowledge: Path):
    async with running_bot(
        api,
        tmp_path,
        knowledge_dir=knowledge,
        staff_ids=frozenset({STAFF["id"]}),
        clock=lambda: FIXED_NOW,
        knowledge_check_seconds=0.2,
    ) as application:
        yield application


async def reply_to(api: FakeBotAPI, user: dict, update: dict) -> dict:
    before = len(api.messages_to(user["id"]))
    api.push_update(update)
    await api.wait_for_messages(user["id"], count=before + 1)
    return api.sent_messages(user["id"])[before]


def buttons(message: dict) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


@pytest.mark.parametrize("command", ["/unanswered", "/stats", "/reload", "/stats 7"])
async def test_non_staff_get_the_unknown_command_reply(api: FakeBotAPI, bot, command: str) -> None:
    name, _, args = command.partition(" ")
    reply = await reply_to(api, USER, api.command(USER, name, args=args or None))
    assert reply["text"] == UNKNOWN_COMMAND


async def test_non_staff_cannot_press_staff_buttons(api: FakeBotAPI, bot) -> None:
    await reply_to(api, USER, api.text_message(USER, "chi ha vinto la champions?"))
    storage = services(bot).storage
    for _ in range(100):
        if rows := await storage.unanswered_questions():
            break
        await asyncio.sleep(0.02)
    (row,) = rows
    api.push_update(api.callback_query(USER, f"u:r:{row.id}:0", api.last_sent(USER["id"])))
    await api.wait_for(lambda s: s.calls_to("answerCallbackQuery"))
    assert (await services(bot).storage.unanswered_questions())[0].status == "open"


async def test_staff_menu_is_scoped_to_staff_chats(api: FakeBotAPI, bot) -> None:
    staff_menu = {c["command"] for c in api.commands(scope={"type": "chat", "chat_id": STAFF["id"]})}
    assert {"unanswered", "stats", "reload"} <= staff_menu
    for lang in ("it", "en", ""):
        assert not {"unanswered", "stats", "reload"} & {c["command"] for c in api.commands(language_code=lang)}


async def test_unanswered_groups_paraphrases_and_marks_them(api: FakeBotAPI, bot) -> None:
    for text in ["what is the deadline for Erasmus+?", "Erasmus deadline??", "scadenza erasmus", "bitcoin price today"]:
        await reply_to(api, USER, api.text_message(USER, text))
    report = await reply_to(api, STAFF, api.command(STAFF, "/unanswered"))
    assert "2 gruppi" in report["text"]
    assert "fatta 3 volte" in report["text"] and "fatta 1 volta" in report["text"]
    first_resolve = buttons(report)[0]
    assert first_resolve[0] == "✅ 1"
    api.push_update(api.callback_query(STAFF, first_resolve[1], api.last_sent(STAFF["id"])))
    await api.wait_for(lambda s: s.calls_to("editMessageText"))
    rows = await services(bot).storage.unanswered_questions(status=None)
    assert sorted((r.text, r.status) for r in rows) == [
        ("Erasmus deadline??", "resolved"),
        ("bitcoin price today", "open"),
        ("scadenza erasmus", "resolved"),
        ("what is the deadline for Erasmus+?", "resolved"),
    ]
    edited = api.last_sent(STAFF["id"])
    assert "1 gruppi" in edited["text"] and "bitcoin" in edited["text"]


async def test_unanswered_lists_negative_feedback(api: FakeBotAPI, bot) -> None:
    answer = await reply_to(api, USER, api.text_message(USER, "chi può partecipare?"))
    api.push_update(api.callback_query(USER, "f:-:eligibility", api.last_sent(USER["id"])))
    await api.wait_for(lambda s: s.calls_to("answerCallbackQuery"))
    assert answer["text"].startswith("Possono partecipare")
    api.push_update(api.command(STAFF, "/unanswered"))
    messages = await api.wait_for_messages(STAFF["id"], count=2)
    assert "chi può partecipare? → Chi può partecipare? [eligibility]" in api.sent_messages(STAFF["id"])[1]["text"]
    assert messages


async def test_stats_summarises_the_period(api: FakeBotAPI, bot) -> None:
    await reply_to(api, USER, api.text_message(USER, "qual è la scadenza?"))
    await reply_to(api, USER, api.text_message(USER, "What is the deadline?"))
    await reply_to(api, USER, api.text_message(USER, "prezzo del bitcoin"))
    stats = await reply_to(api, STAFF, api.command(STAFF, "/stats", args="7"))
    text = stats["text"]
    assert "Ultimi 7 giorni" in text
    assert "Domande: 3" in text and "Risposte date: 2 (67%)" in text and "Non so: 1 (33%)" in text
    assert "What is the deadline?" not in text and "Qual è la scadenza?: 2" in text
    assert "prezzo del bitcoin (×1)" in text
    bad = await reply_to(api, STAFF, api.command(STAFF, "/stats", args="forever"))
    assert bad["text"].startswith("Uso: /stats")


async def test_broken_edit_keeps_old_knowledge_and_reports_file_and_line(api: FakeBotAPI, bot, knowledge: Path) -> None:
    calls = knowledge / "calls.yaml"
    calls.write_text(calls.read_text(encoding="utf-8").replace("    related: [deadline]", "    related: [nowhere]"))
    reply = await reply_to(api, STAFF, api.command(STAFF, "/reload"))
    assert "la versione precedente è ancora in servizio" in reply["text"]
    assert f"{calls}:22: voce 'eligibility' related: nessuna voce ha id 'nowhere'" in reply["text"]
    answer = await reply_to(api, USER, api.text_message(USER, "chi può partecipare?"))
    assert answer["text"].startswith("Possono partecipare distretti e parchi scientifici.")


async def test_valid_edit_is_answered_at_once(api: FakeBotAPI, bot, knowledge: Path) -> None:
    calls = knowledge / "calls.yaml"
    calls.write_text(
        calls.read_text(encoding="utf-8").replace(
            "Possono partecipare distretti e parchi scientifici.", "Possono partecipare distretti, reti e parchi."
        )
    )
    reply = await reply_to(api, STAFF, api.command(STAFF, "/reload"))
    assert reply["text"].split("\n")[0] == "Base di conoscenza ricaricata: 4 voci."
    answer = await reply_to(api, USER, api.text_message(USER, "chi può partecipare?"))
    assert answer["text"].startswith("Possono partecipare distretti, reti e parchi.")


async def test_files_are_reloaded_automatically_and_staff_told_of_problems(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    calls = knowledge / "calls.yaml"
    original = calls.read_text(encoding="utf-8")
    calls.write_text(original.replace("Possono partecipare distretti e parchi scientifici.", "Nuova risposta."))
    await asyncio.sleep(0.6)
    answer = await reply_to(api, USER, api.text_message(USER, "chi può partecipare?"))
    assert answer["text"].startswith("Nuova risposta.")
    calls.write_text("topic: [broken\n")
    await api.wait_for_messages(STAFF["id"], timeout=5)
    warning = api.sent_messages(STAFF["id"])[0]["text"]
    assert f"{calls}:1: errore di sintassi YAML: una parentesi [ o {{ aperta in questa riga" in warning
    answer = await reply_to(api, USER, api.text_message(USER, "chi può partecipare?"))
    assert answer["text"].startswith("Nuova risposta.")  # the last valid version keeps serving
    await asyncio.sleep(0.6)
    assert len(api.sent_messages(STAFF["id"])) == 1  # told once, not every check


async def test_stale_button_after_reload(api: FakeBotAPI, bot, knowledge: Path) -> None:
    answer = await reply_to(api, USER, api.text_message(USER, "qual è la scadenza?"))
    assert ("Chi può partecipare?", "a:eligibility") in buttons(answer)
    calls = knowledge / "calls.yaml"
    text = calls.read_text(encoding="utf-8")
    calls.write_text(text[: text.index("  - id: eligibility")].replace("    related: [eligibility]\n", ""))
    await reply_to(api, STAFF, api.command(STAFF, "/reload"))
    api.push_update(api.callback_query(USER, "a:eligibility", api.last_sent(USER["id"])))
    await api.wait_for(lambda s: s.calls_to("answerCallbackQuery"))
    assert (
        api.calls_to("answerCallbackQuery")[-1].params["text"] == "Questa domanda non è più disponibile. Prova /topics."
    )

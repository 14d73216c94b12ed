"""Staff keep the knowledge base from Telegram, end to end through the loopback Bot API: ➕ and ✍️ from
/unanswered, the people who asked told once in their language, /undo, concurrent hand edits, broken edits refused,
private chats only, and nothing of it for non-staff."""

import asyncio
import datetime as dt
import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from bot.reminders.delivery import Pacing
from bot.telegram.delivery import Courier, start_reminder_jobs
from bot.telegram.flood import FloodGate, Kind, Rate
from tests.conftest import FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, group_chat, make_user
from tests.support.harness import Clock, running_bot, services

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

STAFF = make_user(1001, "Stella", "it")
ADA = make_user(2001, "Ada", "it")
BOB = make_user(2002, "Bob", "en")
CARLA = make_user(2003, "Carla", "it")
FAST = Pacing(per_second=200, per_chat_interval=0.05, backoff_first=0.02, backoff_max=0.1)
UNKNOWN_COMMAND = "Sorry, I don't know that command. Try /help."
STALE_BUTTON = "This button is no longer valid."
TRAVEL_IT, TRAVEL_EN = "sono coperte le spese di viaggio?", "are travel costs covered?"
ANSWER_IT = "Le spese di viaggio dei partecipanti non sono coperte dall'invito."
ANSWER_EN = "Participants' travel costs are not covered by the call."


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """The small knowledge base, with vocabulary that makes the Italian and English travel questions one group."""
    target = tmp_path / "kb"
    shutil.copytree(FIXTURE_KB, target)
    vocabulary = target / "vocabulary.yaml"
    vocabulary.write_text(
        vocabulary.read_text(encoding="utf-8").replace(
            "  - [science park,", "  - [spese di viaggio, travel costs]\n  - [coperte, covered]\n  - [science park,"
        ),
        encoding="utf-8",
    )
    return target


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path, knowledge: Path):
    async with running_bot(api, tmp_path, knowledge_dir=knowledge, staff_ids=frozenset({STAFF["id"]})) as app:
        # The flood gate has its own tests; these dialogues go faster than a person types.
        app.update_processor.gate.gate = FloodGate({kind: Rate(1_000, 1.0) for kind in Kind})
        await start_reminder_jobs(app, interval=3600, first=3600, pacing=FAST)
        yield app


def buttons(message: dict) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def data_of(message: dict, prefix: str) -> str:
    found = [data for _, data in buttons(message) if data.startswith(prefix)]
    assert found, f"no button {prefix}... in {buttons(message)}"
    return found[0]


async def send(api: FakeBotAPI, user: dict, update: dict, count: int = 1, chat_id: int | None = None) -> list[dict]:
    """Push an update and return the next `count` messages the bot sends to the chat (the user's by default)."""
    chat = user["id"] if chat_id is None else chat_id
    before = len(api.messages_to(chat))
    api.push_update(update)
    await api.wait_for_messages(chat, count=before + count, timeout=10)
    texts = [message for message in api.sent_messages(chat) if "text" in message]  # not the documents
    return texts[before : before + count]


async def press(api: FakeBotAPI, user: dict, message: dict, data: str) -> str:
    """Press a button; the text of the toast or alert the bot answered with."""
    before = len(api.calls_to("answerCallbackQuery"))
    api.push_update(api.callback_query(user, data, message))
    calls = await api.wait_for_calls("answerCallbackQuery", before + 1, timeout=10)
    return calls[before].params.get("text", "")


async def edited(api: FakeBotAPI, chat_id: int, message_id: int, contains: str) -> dict:
    """The message once an edit put `contains` in its text or buttons."""

    def done(server: FakeBotAPI) -> dict | None:
        message = server.message(chat_id, message_id) or {}
        return message if contains in message.get("text", "") + str(buttons(message)) else None

    return await api.wait_for(done, 10, what=f"message {message_id} edited to show {contains!r}")


async def courier(bot) -> Courier:
    found = bot.bot_data["courier"]
    await found.cycle()  # deliver now and wait for it, rather than wait for the kick's job
    return found


async def unknown_with_bell(api: FakeBotAPI, user: dict, text: str) -> dict:
    (reply,) = await send(api, user, api.text_message(user, text))
    assert data_of(reply, "r:")
    return reply


async def staff_page(api: FakeBotAPI) -> dict:
    return (await send(api, STAFF, api.command(STAFF, "/unanswered")))[0]


async def write_answer(api: FakeBotAPI, page: dict, group_text: str) -> dict:
    """✍️ on the group showing `group_text`, then the dialogue up to the preview; returns the preview."""
    number = next(line.split(".", 1)[0].strip("<b>") for line in page["text"].split("\n\n") if group_text in line)
    write = next(data for label, data in buttons(page) if label == f"✍️ {number}")
    api.push_update(api.callback_query(STAFF, write, page))
    before = len(api.messages_to(STAFF["id"]))
    await api.wait_for_messages(STAFF["id"], count=before + 1)
    prompt = api.sent_messages(STAFF["id"])[-1]
    assert "Manda la risposta in italiano e in inglese" in prompt["text"] and group_text in prompt["text"]
    (questions,) = await send(api, STAFF, api.text_message(STAFF, f"it: {ANSWER_IT}\nen: {ANSWER_EN}"))
    assert "Ora la domanda a cui risponde" in questions["text"]
    (topics,) = await send(
        api, STAFF, api.text_message(STAFF, "it: Le spese di viaggio sono coperte?\nen: Are travel costs covered?")
    )
    assert ("Il bando", "k:t:calls") in buttons(topics)
    await press(api, STAFF, topics, "k:t:calls")
    sources = await edited(api, STAFF["id"], topics["message_id"], "k:s:")
    assert buttons(sources) == [("Comunicato stampa", "k:s:press")]
    before = len(api.messages_to(STAFF["id"]))
    await press(api, STAFF, sources, "k:s:press")
    await api.wait_for_messages(STAFF["id"], count=before + 1, timeout=10)
    return api.sent_messages(STAFF["id"])[-1]


async def test_an_answer_written_in_telegram_reaches_those_who_asked_once_in_their_language(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    ada_reply = await unknown_with_bell(api, ADA, TRAVEL_IT)
    assert await press(api, ADA, ada_reply, data_of(ada_reply, "r:")) == (
        "Ti avviserò una volta nella nostra chat privata quando ci sarà una risposta."
    )
    assert await press(api, ADA, ada_reply, data_of(ada_reply, "r:")) == "Già annotato: ti avviserò."
    bob_reply = await unknown_with_bell(api, BOB, TRAVEL_EN)
    await press(api, BOB, bob_reply, data_of(bob_reply, "r:"))
    await unknown_with_bell(api, CARLA, "le spese di viaggio sono coperte?")  # does not ask to be told
    original = (knowledge / "calls.yaml").read_text(encoding="utf-8")

    preview = await write_answer(api, await staff_page(api), TRAVEL_EN)
    assert "Nuova voce travel-costs-covered: anteprima" in preview["text"]
    warnings = preview["text"].split("2 avvisi (non bloccano il bot, ma meritano uno sguardo):\n", 1)[1]
    assert warnings.startswith("• calls.yaml:25: voce 'travel-costs-covered': solo 2 formulazioni in italiano")
    assert "'deadline'" not in warnings  # only what this change wrote
    assert ANSWER_IT in preview["text"] and ANSWER_EN in preview["text"] and "Comunicato stampa" in preview["text"]
    assert "aggiunte (1): travel-costs-covered" in preview["text"]
    assert (knowledge / "calls.yaml").read_text(encoding="utf-8") == original  # nothing written before confirming
    answered_before = (
        len(api.messages_to(ADA["id"])),
        len(api.messages_to(BOB["id"])),
        len(api.messages_to(CARLA["id"])),
    )

    await press(api, STAFF, preview, data_of(preview, "k:y:"))
    result = (await edited(api, STAFF["id"], preview["message_id"], "La modifica n. 1"))["text"]
    assert "✅ La modifica n. 1 è in servizio." in result
    assert "🔔 2 persone che hanno chiesto di essere avvisate riceveranno la risposta." in result
    written = (knowledge / "calls.yaml").read_text(encoding="utf-8")
    assert written.startswith(original) and "  - id: travel-costs-covered\n" in written

    delivery = await courier(bot)
    [ada_notice] = api.texts_to(ADA["id"])[answered_before[0] :]
    [bob_notice] = api.texts_to(BOB["id"])[answered_before[1] :]
    assert (
        ada_notice.startswith(f"🔔 Mi avevi chiesto: “{TRAVEL_IT}”. Ora ho una risposta:") and ANSWER_IT in ada_notice
    )
    assert bob_notice.startswith(f"🔔 You asked: “{TRAVEL_EN}”. Now I have an answer:") and ANSWER_EN in bob_notice
    assert ANSWER_EN not in ada_notice and TRAVEL_IT not in bob_notice  # each their own question, their language
    assert len(api.texts_to(CARLA["id"])) == answered_before[2]
    await delivery.cycle()
    await asyncio.sleep(0.2)
    assert len(api.texts_to(ADA["id"])) == answered_before[0] + 1  # once
    assert len(api.texts_to(BOB["id"])) == answered_before[1] + 1

    (answer,) = await send(api, CARLA, api.text_message(CARLA, "sono coperte le spese di viaggio?"))
    assert answer["text"].startswith(ANSWER_IT)
    page = await staff_page(api)
    assert "travel" not in page["text"] and "viaggio" not in page["text"]


async def test_a_question_left_unanswered_beside_an_answered_one_offers_the_bell_too(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    """Two questions, one answered: the other goes to staff on its own, and its asker can ask to be told, with a
    🔔 that says which question it is about; the staff's answer then reaches them."""
    (reply,) = await send(api, ADA, api.text_message(ADA, f"chi può partecipare? e {TRAVEL_IT}"))
    assert reply["text"].startswith("Possono partecipare distretti e parchi scientifici.")
    bells = [(label, data) for label, data in buttons(reply) if data.startswith("r:")]
    assert [label for label, _ in bells] == ["🔔 Avvisami quando «e sono coperte le spe…» ha una risposta"]
    assert await press(api, ADA, reply, bells[0][1]) == (
        "Ti avviserò una volta nella nostra chat privata quando ci sarà una risposta."
    )
    preview = await write_answer(api, await staff_page(api), TRAVEL_IT)
    before = len(api.messages_to(ADA["id"]))
    await press(api, STAFF, preview, data_of(preview, "k:y:"))
    result = (await edited(api, STAFF["id"], preview["message_id"], "La modifica n. 1"))["text"]
    assert "🔔 1 persona che ha chiesto di essere avvisata riceverà la risposta." in result
    await courier(bot)
    [notice] = api.texts_to(ADA["id"])[before:]
    assert notice.startswith(f"🔔 Mi avevi chiesto: “e {TRAVEL_IT}”. Ora ho una risposta:") and ANSWER_IT in notice


async def test_plus_adds_the_question_as_a_phrasing_and_then_it_is_answered(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    near_miss = await unknown_with_bell(api, ADA, "scadenza erasmus?")
    assert near_miss["text"].startswith("Non ho ancora una risposta sicura")
    await press(api, ADA, near_miss, data_of(near_miss, "r:"))
    page = await staff_page(api)
    plus = data_of(page, "u:a:")
    assert ("➕ 1: Qual è la scadenza?", plus) in buttons(page)
    before = len(api.messages_to(STAFF["id"]))
    await press(api, STAFF, page, plus)
    await api.wait_for_messages(STAFF["id"], count=before + 1)
    report = api.sent_messages(STAFF["id"])[before]["text"]
    assert report.startswith("➕ 1 formulazione aggiunta a “Qual è la scadenza?” (calls.yaml):")
    assert "✅ La modifica n. 1 è in servizio." in report and "/undo la annulla." in report
    assert "scadenza erasmus?" in (knowledge / "calls.yaml").read_text(encoding="utf-8")
    await courier(bot)
    notice = api.texts_to(ADA["id"])[-1]
    assert notice.startswith("🔔 Mi avevi chiesto: “scadenza erasmus?”") and "La scadenza era il" in notice
    (answer,) = await send(api, CARLA, api.text_message(CARLA, "scadenza erasmus?"))
    assert answer["text"].startswith("La scadenza era il")
    assert "Nessuna domanda senza risposta" in (await staff_page(api))["text"]


async def test_undo_restores_the_files_and_reopens_the_questions(api: FakeBotAPI, bot, knowledge: Path) -> None:
    before = {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()}
    await unknown_with_bell(api, ADA, TRAVEL_IT)
    preview = await write_answer(api, await staff_page(api), TRAVEL_IT)
    await press(api, STAFF, preview, data_of(preview, "k:y:"))
    (history,) = await send(api, STAFF, api.command(STAFF, "/changes"))
    assert "#1 nuova voce" in history["text"] and "dal membro dello staff 1001" in history["text"]
    assert "aggiunte (1): travel-costs-covered" in history["text"]
    (undo,) = await send(api, STAFF, api.command(STAFF, "/undo"))
    assert "Annullare questa modifica?" in undo["text"] and "tolte (1): travel-costs-covered" in undo["text"]
    await press(api, STAFF, undo, data_of(undo, "k:y:"))
    await edited(api, STAFF["id"], undo["message_id"], "Le domande a cui rispondeva sono di nuovo aperte")
    assert {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()} == before
    (again,) = await send(api, CARLA, api.text_message(CARLA, TRAVEL_IT))
    assert again["text"].startswith("Non conosco ancora la risposta")
    assert TRAVEL_IT in (await staff_page(api))["text"]
    (nothing,) = await send(api, STAFF, api.command(STAFF, "/undo"))
    assert nothing["text"] == "Non c'è nessuna modifica da annullare."


async def test_a_hand_edit_after_the_preview_is_never_overwritten(api: FakeBotAPI, bot, knowledge: Path) -> None:
    await unknown_with_bell(api, ADA, TRAVEL_IT)
    preview = await write_answer(api, await staff_page(api), TRAVEL_IT)
    calls = knowledge / "calls.yaml"
    hand_edited = calls.read_text(encoding="utf-8") + "# edited by hand meanwhile\n"
    calls.write_text(hand_edited, encoding="utf-8")
    await press(api, STAFF, preview, data_of(preview, "k:y:"))
    result = (await edited(api, STAFF["id"], preview["message_id"], "non ho scritto nulla"))["text"]
    assert result.startswith("calls.yaml è cambiato dopo questa anteprima")
    assert calls.read_text(encoding="utf-8") == hand_edited
    assert not [p for p in knowledge.iterdir() if not p.name.endswith(".yaml")]  # no temporary file left behind
    await press(api, STAFF, preview, data_of(preview, "k:y:"))  # a second tap: nothing happens
    await edited(api, STAFF["id"], preview["message_id"], "Questa modifica è già stata applicata o annullata.")
    assert calls.read_text(encoding="utf-8") == hand_edited


async def test_a_hand_edit_elsewhere_that_clashes_with_the_preview_is_caught_before_writing(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    await unknown_with_bell(api, ADA, TRAVEL_IT)
    preview = await write_answer(api, await staff_page(api), TRAVEL_IT)
    calls_before = (knowledge / "calls.yaml").read_text(encoding="utf-8")
    smalltalk = knowledge / "smalltalk.yaml"
    clash = smalltalk.read_text(encoding="utf-8").replace("  - id: greeting", "  - id: travel-costs-covered", 1)
    smalltalk.write_text(clash, encoding="utf-8")  # valid alone; with the new entry, two entries share an id
    await press(api, STAFF, preview, data_of(preview, "k:y:"))
    result = (await edited(api, STAFF["id"], preview["message_id"], "Non ho cambiato nulla"))["text"]
    assert "travel-costs-covered" in result
    assert (knowledge / "calls.yaml").read_text(encoding="utf-8") == calls_before


async def test_an_answer_that_would_not_validate_is_refused_with_the_reason(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    original = (knowledge / "calls.yaml").read_text(encoding="utf-8")
    await unknown_with_bell(api, ADA, TRAVEL_IT)
    page = await staff_page(api)
    api.push_update(api.callback_query(STAFF, next(d for label, d in buttons(page) if label.startswith("✍️")), page))
    await api.wait_for(lambda s: "Manda la risposta" in (s.texts_to(STAFF["id"]) or [""])[-1])
    (refused,) = await send(api, STAFF, api.text_message(STAFF, "it: solo italiano"))
    assert refused["text"].startswith("Mi serve esattamente un testo in italiano e uno in inglese")
    await send(api, STAFF, api.text_message(STAFF, "it: Sì. Vedi il {date:nowhere}.\nen: Yes, see the call."))
    (topics,) = await send(api, STAFF, api.text_message(STAFF, "it: Spese di viaggio?\nen: Travel costs?"))
    await press(api, STAFF, topics, "k:t:calls")
    sources = await edited(api, STAFF["id"], topics["message_id"], "k:s:")
    before = len(api.messages_to(STAFF["id"]))
    await press(api, STAFF, sources, "k:s:press")
    await api.wait_for_messages(STAFF["id"], count=before + 1, timeout=10)
    problems = api.texts_to(STAFF["id"])[-1]
    assert problems.startswith("⚠️ Non ho cambiato nulla: la base di conoscenza non sarebbe valida.")
    assert "• calls.yaml:30: voce 'travel-costs' answer.it {date:...}: nessuna data ha id 'nowhere'" in problems
    assert "• calls.yaml:31: voce 'travel-costs' answer.it: inizia con un sì/no secco ('Sì.')" in problems
    assert not buttons(api.sent_messages(STAFF["id"])[-1])
    assert (knowledge / "calls.yaml").read_text(encoding="utf-8") == original
    (still,) = await send(api, CARLA, api.text_message(CARLA, "chi può partecipare?"))
    assert still["text"].startswith("Possono partecipare distretti e parchi scientifici.")


async def test_forget_removes_the_request_to_be_told(api: FakeBotAPI, bot) -> None:
    reply = await unknown_with_bell(api, ADA, TRAVEL_IT)
    await press(api, ADA, reply, data_of(reply, "r:"))
    (shown,) = await send(api, ADA, api.command(ADA, "/mydata"))
    assert "Domande per cui mi hai chiesto di avvisarti quando ci sarà una risposta\n• 1 richiesta" in shown["text"]
    (prompt,) = await send(api, ADA, api.command(ADA, "/forget"))
    await press(api, ADA, prompt, "p:forget")
    assert await services(bot).storage.answer_requests_for([1]) == []
    (mydata,) = await send(api, ADA, api.command(ADA, "/mydata"))
    assert mydata["text"] == "Non conservo nulla su di te."


async def test_a_group_member_is_told_privately_or_asked_to_open_a_private_chat(api: FakeBotAPI, bot) -> None:
    group = group_chat(-100777, "Cluster Puglia")
    (reply,) = await send(api, ADA, api.mention_message(ADA, group, TRAVEL_IT), chat_id=group["id"])
    bell = data_of(reply, "r:")
    await press(api, ADA, reply, bell)
    assert api.texts_to(ADA["id"])[-1] == "Ti avviserò una volta nella nostra chat privata quando ci sarà una risposta."
    api.block_chat(BOB["id"], "Forbidden: bot can't initiate conversation with a user")
    alert = await press(api, BOB, reply, bell)
    assert alert.startswith("Open a private chat with me") or alert.startswith("Apri una chat privata con me")
    assert [r.user_id for r in await services(bot).storage.answer_requests_for([1])] == [ADA["id"], BOB["id"]]
    assert len(api.texts_to(group["id"])) == 1  # the group saw only the reply


@pytest.mark.parametrize("command", ["/undo", "/changes", "/export", "/digest", "/cancel"])
async def test_non_staff_get_the_unknown_command_reply(api: FakeBotAPI, bot, command: str) -> None:
    (reply,) = await send(api, BOB, api.command(BOB, command))
    assert reply["text"] == UNKNOWN_COMMAND


async def test_non_staff_cannot_press_staff_buttons_or_upload(api: FakeBotAPI, bot, knowledge: Path) -> None:
    before = {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()}
    reply = await unknown_with_bell(api, BOB, "scadenza erasmus?")
    for data in ("u:a:1:0:deadline", "u:w:1:0", "k:y:1", "k:t:calls", "k:s:press"):
        assert await press(api, BOB, reply, data) == STALE_BUTTON
    (refused,) = await send(
        api, BOB, api.document_message(BOB, file_name="kb.xlsx", content=b"PK\x03\x04", mime_type="application/zip")
    )
    assert refused["text"] == "I can only read text messages: please type your question in words."
    assert api.calls_to("getFile") == []
    assert {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()} == before
    assert (await services(bot).storage.unanswered_questions())[0].status == "open"


async def test_staff_tools_answer_only_in_the_private_chat(api: FakeBotAPI, bot) -> None:
    group = group_chat(-100555, "Staff e ospiti")
    for command in ("/export", "/changes", "/undo", "/digest"):
        (reply,) = await send(
            api, STAFF, api.command(STAFF, command, chat=group, mention_bot=True), chat_id=group["id"]
        )
        assert reply["text"].startswith("I comandi dello staff rispondono solo in una chat privata")
    assert api.documents_to(group["id"]) == []
    (history,) = await send(api, STAFF, api.command(STAFF, "/start", args="staff-changes"))  # the note's link
    assert history["text"].startswith("Non è ancora stata fatta nessuna modifica")


# -- the spreadsheet round trip ------------------------------------------------------------------------------------


async def export(api: FakeBotAPI) -> openpyxl.Workbook:
    before = len(api.documents_to(STAFF["id"]))
    api.push_update(api.command(STAFF, "/export"))
    await api.wait_for(lambda s: len(s.documents_to(STAFF["id"])) > before, 10, what="the exported workbook")
    name, content = api.documents_to(STAFF["id"])[-1]
    assert name.startswith("knowledge-") and name.endswith(".xlsx")
    return openpyxl.load_workbook(io.BytesIO(content))


def upload(api: FakeBotAPI, workbook: openpyxl.Workbook, name: str = "knowledge.xlsx") -> dict:
    out = io.BytesIO()
    workbook.save(out)
    return api.document_message(
        STAFF,
        file_name=name,
        mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        content=out.getvalue(),
    )


def entry_rows(workbook: openpyxl.Workbook, entry_id: str) -> dict[str, int]:
    sheet = workbook["Entries"]
    return {sheet.cell(r, 3).value: r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == entry_id}


async def test_export_edit_upload_confirm_then_undo(api: FakeBotAPI, bot, knowledge: Path) -> None:
    await unknown_with_bell(api, ADA, TRAVEL_IT)
    original = {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()}
    workbook = await export(api)
    assert workbook["Unanswered"].cell(2, 6).value == TRAVEL_IT
    rows = entry_rows(workbook, "eligibility")
    entries = workbook["Entries"]
    entries.cell(rows["it"], 5).value = "Possono partecipare distretti, reti di imprese e parchi scientifici."
    entries.cell(rows["en"], 4).value += "\ncan business networks apply?"
    entries.append(["travel-costs", "calls", "it", "le spese di viaggio sono coperte?", ANSWER_IT, "press"])
    entries.append(["travel-costs", "calls", "en", "are travel costs covered?", ANSWER_EN, "press"])

    (preview,) = await send(api, STAFF, upload(api, workbook))
    assert api.downloads  # fetched through getFile and the file URL
    assert preview["text"].startswith("Importazione di knowledge.xlsx: cosa cambia")
    assert "aggiunte (1): travel-costs" in preview["text"]
    assert "~ eligibility: questions.en +1 -0, answer.it" in preview["text"]
    assert {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()} == original
    await press(api, STAFF, preview, data_of(preview, "k:y:"))
    await edited(api, STAFF["id"], preview["message_id"], "✅ La modifica n. 1 è in servizio.")
    calls = (knowledge / "calls.yaml").read_text(encoding="utf-8")
    assert "Possono partecipare distretti, reti di imprese e parchi scientifici." in calls
    assert "- id: travel-costs\n" in calls and "can business networks apply?" in calls
    (answer,) = await send(api, CARLA, api.text_message(CARLA, "chi può partecipare?"))
    assert answer["text"].startswith("Possono partecipare distretti, reti di imprese e parchi scientifici.")
    (travel,) = await send(api, BOB, api.text_message(BOB, TRAVEL_EN))
    assert travel["text"].startswith(ANSWER_EN)

    (undo,) = await send(api, STAFF, api.command(STAFF, "/undo"))
    assert "importazione da foglio di calcolo" in undo["text"] and "tolte (1): travel-costs" in undo["text"]
    await press(api, STAFF, undo, data_of(undo, "k:y:"))
    await edited(api, STAFF["id"], undo["message_id"], "✅ La modifica n. 2 è in servizio.")
    assert {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()} == original
    (answer,) = await send(api, CARLA, api.text_message(CARLA, "chi può partecipare?"))
    assert answer["text"].startswith("Possono partecipare distretti e parchi scientifici.")


async def test_a_broken_workbook_is_refused_with_reasons_and_the_old_version_answers(
    api: FakeBotAPI, bot, knowledge: Path
) -> None:
    original = {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()}
    workbook = await export(api)
    rows = entry_rows(workbook, "eligibility")
    workbook["Entries"].cell(rows["it"], 3).value = "de"
    (refused,) = await send(api, STAFF, upload(api, workbook))
    assert refused["text"].startswith("⚠️ Non ho cambiato nulla. Correggi queste celle e invia di nuovo il file:")
    assert f"Entries!C{rows['it']}: lang must be one of it, en, not 'de'" in refused["text"]

    workbook = await export(api)
    rows = entry_rows(workbook, "eligibility")
    workbook["Entries"].cell(rows["it"], 7).value = "deadline, nowhere"
    workbook["Entries"].cell(rows["en"], 7).value = "deadline, nowhere"
    (refused,) = await send(api, STAFF, upload(api, workbook))
    assert refused["text"].startswith("⚠️ Non ho cambiato nulla: la base di conoscenza non sarebbe valida.")
    assert "• calls.yaml:22: voce 'eligibility' related: nessuna voce ha id 'nowhere'" in refused["text"]
    assert not buttons(refused)

    (refused,) = await send(api, STAFF, api.document_message(STAFF, file_name="kb.xlsx", content=b"not a zip"))
    assert refused["text"] == "Non ho cambiato nulla: not an .xlsx workbook (save it as Excel Workbook .xlsx)."
    downloads = len(api.downloads)
    (refused,) = await send(
        api, STAFF, api.document_message(STAFF, file_name="kb.xlsx", content=b"x" * 100, file_size=6 * 1024 * 1024)
    )
    assert refused["text"].startswith("Il file è troppo grande")
    (refused,) = await send(api, STAFF, api.document_message(STAFF, file_name="kb.ods", content=b"x"))
    assert refused["text"].startswith("Mandami la base di conoscenza come cartella di lavoro .xlsx")
    assert len(api.downloads) == downloads  # neither was downloaded
    assert {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()} == original
    (answer,) = await send(api, CARLA, api.text_message(CARLA, "chi può partecipare?"))
    assert answer["text"].startswith("Possono partecipare distretti e parchi scientifici.")


async def test_cancel_writes_nothing(api: FakeBotAPI, bot, knowledge: Path) -> None:
    original = {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()}
    workbook = await export(api)
    workbook["Entries"].cell(entry_rows(workbook, "eligibility")["it"], 5).value = "Risposta nuova."
    (preview,) = await send(api, STAFF, upload(api, workbook))
    await press(api, STAFF, preview, data_of(preview, "k:n:"))
    await edited(api, STAFF["id"], preview["message_id"], "Modifica n. 1 annullata: non ho scritto nulla.")
    assert await press(api, STAFF, preview, data_of(preview, "k:y:")) == ""
    await edited(api, STAFF["id"], preview["message_id"], "Questa modifica è già stata applicata o annullata.")
    assert {path.name: path.read_text(encoding="utf-8") for path in knowledge.iterdir()} == original


# -- telling staff -------------------------------------------------------------------------------------------------


@pytest.fixture
async def noted(api: FakeBotAPI, tmp_path: Path, knowledge: Path):
    """A bot whose staff get the digest at 9:00 Rome time and a note for each new unanswered question."""
    clock = Clock(dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.UTC))  # 8:00 in Rome
    async with running_bot(
        api,
        tmp_path,
        knowledge_dir=knowledge,
        staff_ids=frozenset({STAFF["id"]}),
        clock=clock,
        staff_digest_time=dt.time(9, 0),
        staff_new_question_notes=True,
    ) as app:
        app.update_processor.gate.gate = FloodGate({kind: Rate(1_000, 1.0) for kind in Kind})
        await start_reminder_jobs(app, interval=3600, first=3600, pacing=FAST)
        yield app, clock


async def staff_texts_after(api: FakeBotAPI, app, since: int) -> list[str]:
    """Run the staff-notes job as the JobQueue would, deliver, and return what staff received after `since`."""
    (job,) = app.job_queue.get_jobs_by_name("staff-notes")
    await job.run(app)
    await app.bot_data["courier"].cycle()
    return api.texts_to(STAFF["id"])[since:]


async def test_staff_hear_of_new_questions_and_get_one_digest_a_day(api: FakeBotAPI, noted) -> None:
    app, clock = noted
    assert await staff_texts_after(api, app, 0) == []  # before 9:00, nothing asked: nothing said
    await unknown_with_bell(api, ADA, TRAVEL_IT)
    await unknown_with_bell(api, BOB, "bitcoin price today")
    (note,) = await staff_texts_after(api, app, 0)
    assert note.startswith("🆕 2 nuove domande a cui non ho saputo rispondere:")
    assert f"• {TRAVEL_IT} (fatta 1 volta)" in note and "• bitcoin price today (fatta 1 volta)" in note
    await unknown_with_bell(api, CARLA, "le spese di viaggio sono coperte?")  # the same question again
    answer = (await send(api, CARLA, api.text_message(CARLA, "chi può partecipare?")))[0]
    await press(api, CARLA, answer, "f:-:eligibility")
    assert await staff_texts_after(api, app, 1) == []  # no new group: no note

    clock.now = dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.UTC)  # 9:30 in Rome
    (digest,) = await staff_texts_after(api, app, 1)
    assert digest.startswith("📋 Riepilogo per lo staff dal 24 novembre 2026, 09:30 ora di Roma")
    assert "Domande: 4, con risposta: 1." in digest
    assert (
        "2 nuove domande senza risposta:" in digest and "• le spese di viaggio sono coperte? (fatta 2 volte)" in digest
    )
    assert "Risposte segnate 👎:\n• Chi può partecipare?: 1" in digest
    assert "2 gruppi di domande aspettano in /unanswered." in digest
    clock.now = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)
    assert await staff_texts_after(api, app, 2) == []  # once a day
    clock.now = dt.datetime(2026, 11, 26, 8, 30, tzinfo=dt.UTC)
    assert await staff_texts_after(api, app, 2) == []  # a day with nothing to act on: quiet
    for user in (ADA, BOB, CARLA):
        assert not any(text.startswith(("📋", "🆕")) for text in api.texts_to(user["id"]))


async def test_digest_on_demand(api: FakeBotAPI, noted) -> None:
    (digest,) = await send(api, STAFF, api.command(STAFF, "/digest"))
    assert digest["text"].startswith("📋 Riepilogo per lo staff dal")
    assert "0 gruppi di domande aspettano in /unanswered." in digest["text"]

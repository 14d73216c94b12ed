"""End to end with the real Application and the loopback Bot API: /subscribe, /unsubscribe and the button,
/broadcast (preview, confirm, report; refused to non-staff), and reminders following a deadline that moves."""

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from telegram.ext import Application

from bot.config import Config
from bot.i18n import Catalogs
from bot.live import ReloadOutcome
from bot.reminders.delivery import Pacing
from bot.reminders.messages import broadcast_report
from bot.storage import Storage
from bot.storage.deliveries import BatchCounts
from bot.telegram.app import build_application
from bot.telegram.context import SERVICES_KEY
from bot.telegram.deadlines import deadline_keyboard, subscription_text
from bot.telegram.delivery import Courier, start_reminder_jobs
from bot.telegram.staff.broadcast import BroadcastSyntaxError, parse_broadcast, usage
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import Clock

pytestmark = pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")

STAFF = make_user(7001, "Stella", "it")
ADA = make_user(1001, "Ada", "it")
BOB = make_user(1002, "Bob", "en")
EVE = make_user(1003, "Eve", "en")
FAST = Pacing(per_second=200, per_chat_interval=0.05, backoff_first=0.02, backoff_max=0.1)
CATALOGS = Catalogs()


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as api:
        yield api


@asynccontextmanager
async def running(
    server: FakeBotAPI, tmp_path: Path, knowledge: Path, clock: Clock, first_tick: float = 3600
) -> AsyncIterator[tuple[Application, Courier, Storage]]:
    storage = await Storage.open(tmp_path / "db.sqlite3")
    config = Config(
        token=server.token,
        api_base_url=server.base_url,
        staff_ids=frozenset({STAFF["id"]}),
        database=tmp_path / "db.sqlite3",
        knowledge_dir=knowledge,
        staff_digest_time=None,  # the staff digest has its own tests
    )
    application = build_application(config, storage, clock=clock)
    courier = await start_reminder_jobs(application, interval=3600, first=first_tick, pacing=FAST)
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application, courier, storage
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await storage.close()


async def reply_to(server: FakeBotAPI, update: dict, chat_id: int) -> str:
    since = len(server.messages_to(chat_id))
    server.push_update(update)
    await server.wait_for_messages(chat_id, since=since)
    return server.texts_to(chat_id)[since]


async def answered(server: FakeBotAPI, count: int) -> None:
    await server.wait_for_calls("answerCallbackQuery", count)


# -- subscriptions -----------------------------------------------------------------------------------------------


WHILE_OPEN = dt.datetime(2017, 1, 15, 10, tzinfo=dt.UTC)  # the fixture's extended deadline is 31 March 2017


async def test_subscribe_and_unsubscribe_commands(server, tmp_path, fixture_kb_dir) -> None:
    italian = CATALOGS["it"]
    async with running(server, tmp_path, fixture_kb_dir, Clock(WHILE_OPEN)) as (_, _, storage):
        assert await reply_to(server, server.command(ADA, "/subscribe"), ADA["id"]) == subscription_text(
            italian, on=True, changed=True
        )
        assert (await storage.subscription(ADA["id"])).lang == "it"
        again = await reply_to(server, server.command(ADA, "/subscribe"), ADA["id"])
        assert again == subscription_text(italian, on=True, changed=False)
        assert await reply_to(server, server.command(ADA, "/unsubscribe"), ADA["id"]) == subscription_text(
            italian, on=False, changed=True
        )
        record = await storage.subscription(ADA["id"])
        assert (record.active, record.unsubscribe_reason) == (False, "user")
        assert await reply_to(server, server.command(BOB, "/subscribe"), BOB["id"]) == subscription_text(
            CATALOGS["en"], on=True, changed=True
        )
        assert (await storage.subscription(BOB["id"])).lang == "en"
    unknown = italian.gettext("Sorry, I don't know that command. Try /help.")
    assert unknown not in server.texts_to(ADA["id"])  # the fallback never answered these commands
    assert len(server.messages_to(ADA["id"])) == 3


async def test_the_deadline_button_subscribes_and_flips(server, tmp_path, fixture_kb_dir) -> None:
    italian = CATALOGS["it"]
    async with running(server, tmp_path, fixture_kb_dir, Clock(WHILE_OPEN)) as (app, _, storage):
        server.push_update(server.text_message(ADA, "ciao"))  # the user talks to the bot first
        await server.wait_for_messages(ADA["id"])
        sent = await app.bot.send_message(ADA["id"], "Scadenze", reply_markup=deadline_keyboard(italian, False))
        message = server.message(ADA["id"], sent.message_id)
        assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "s:on"

        server.push_update(server.callback_query(ADA, "s:on", message))
        await answered(server, 1)
        await server.wait_for_calls("editMessageReplyMarkup", 1)
        assert await storage.is_subscribed(ADA["id"])
        message = server.message(ADA["id"], sent.message_id)
        assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "s:off"
        assert server.calls_to("answerCallbackQuery")[0].params["text"] == italian.gettext("🔔 Reminders on.")

        server.push_update(server.callback_query(ADA, "s:off", message))
        await answered(server, 2)
        await server.wait_for_calls("editMessageReplyMarkup", 2)
        assert not await storage.is_subscribed(ADA["id"])
        message = server.message(ADA["id"], sent.message_id)
        assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "s:on"


# -- broadcasts --------------------------------------------------------------------------------------------------


async def test_broadcast_is_refused_to_non_staff_like_an_unknown_command(server, tmp_path, fixture_kb_dir) -> None:
    async with running(server, tmp_path, fixture_kb_dir, Clock(dt.datetime.now(dt.UTC))) as (_, _, storage):
        refused = await reply_to(server, server.command(ADA, "/broadcast", "it: ciao || en: hello"), ADA["id"])
        unknown = await reply_to(server, server.command(ADA, "/nosuchcommand"), ADA["id"])
        assert refused == unknown == CATALOGS["it"].gettext("Sorry, I don't know that command. Try /help.")
        assert await storage.broadcast_draft(1) is None


async def test_staff_broadcast_preview_confirm_deliver_and_report(server, tmp_path, fixture_kb_dir) -> None:
    italian = CATALOGS["it"]
    staff = STAFF["id"]
    async with running(server, tmp_path, fixture_kb_dir, Clock(dt.datetime.now(dt.UTC))) as (_, _, storage):
        now = dt.datetime.now(dt.UTC)
        await storage.subscribe(ADA["id"], "it", now)
        await storage.subscribe(BOB["id"], "en", now)
        await storage.subscribe(EVE["id"], "en", now)
        server.block_chat(EVE["id"])

        assert await reply_to(server, server.command(STAFF, "/broadcast"), staff) == usage(italian)

        text = "/broadcast\nit: Proroga al 30 aprile\nen: Extended to 30 April"
        bold = {"type": "bold", "offset": text.index("Proroga"), "length": len("Proroga")}
        command = {"type": "bot_command", "offset": 0, "length": len("/broadcast")}
        server.push_update(server.text_message(STAFF, text, entities=[command, bold]))
        previews = await server.wait_for_messages(staff, count=4)  # usage, two previews, the summary
        shown = server.texts_to(staff)
        assert shown[1].endswith("Proroga al 30 aprile") and shown[2].endswith("Extended to 30 April")
        assert "<b>Proroga</b>" in previews[1]["text"]
        summary = server.last_sent(staff)
        assert "n. 1" in summary["text"]  # the announcement's number, in the staff member's Italian
        send, cancel = [b["callback_data"] for b in summary["reply_markup"]["inline_keyboard"][0]]
        assert send.startswith("b:send:1:") and cancel.startswith("b:cancel:1:")  # + the draft's code
        assert server.texts_to(ADA["id"]) == []  # nothing goes out before confirmation

        server.push_update(server.callback_query(STAFF, send, summary))
        await server.wait_for_messages(ADA["id"])
        await server.wait_for_messages(BOB["id"])
        report = await server.wait_for_messages(staff, count=5)
        assert server.texts_to(ADA["id"]) == ["Proroga al 30 aprile"]
        assert server.sent_messages(ADA["id"])[0]["entities"][0]["type"] == "bold"  # formatting kept
        assert server.texts_to(BOB["id"]) == ["Extended to 30 April"]
        assert report[-1]["text"] == broadcast_report(1, BatchCounts(sent=2, blocked=1), italian)
        assert (await storage.subscription(EVE["id"])).unsubscribe_reason == "blocked"
        assert server.message(staff, summary["message_id"])["text"].startswith("✅")

        server.push_update(server.callback_query(STAFF, send, summary))  # a second tap sends nothing
        await answered(server, 2)
        calls = server.calls_to("answerCallbackQuery")
        assert calls[-1].params["show_alert"] is True
        assert await storage.confirm_broadcast(1, now) is None
    assert len(server.texts_to(ADA["id"])) == 1 and len(server.texts_to(BOB["id"])) == 1
    assert len(server.texts_to(staff)) == 5


async def test_a_cancelled_broadcast_sends_nothing(server, tmp_path, fixture_kb_dir) -> None:
    async with running(server, tmp_path, fixture_kb_dir, Clock(dt.datetime.now(dt.UTC))) as (_, courier, storage):
        await storage.subscribe(ADA["id"], "it", dt.datetime.now(dt.UTC))
        server.push_update(server.command(STAFF, "/broadcast", "it: Annullato || en: Cancelled"))
        await server.wait_for_messages(STAFF["id"], count=3)
        summary = server.last_sent(STAFF["id"])
        cancel = summary["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
        server.push_update(server.callback_query(STAFF, cancel, summary))
        await answered(server, 1)
        await courier.cycle()
        assert (await storage.broadcast_draft(1)).state == "cancelled"
        assert server.message(STAFF["id"], summary["message_id"])["text"].startswith("✖️")
    assert server.texts_to(ADA["id"]) == []


async def test_pending_deliveries_resume_at_start_up(server, tmp_path, fixture_kb_dir) -> None:
    """What a crashed process left in the ledger goes out on the first tick, without anybody asking."""
    now = dt.datetime.now(dt.UTC)
    async with await Storage.open(tmp_path / "db.sqlite3") as storage:
        for user in (ADA, BOB):
            await storage.subscribe(user["id"], user["language_code"], now)
        await storage.enqueue_for_subscribers("broadcast", {"it": "In sospeso", "en": "Pending"}, now)
    async with running(server, tmp_path, fixture_kb_dir, Clock(now), first_tick=0.1):
        await server.wait_for_messages(ADA["id"])
        await server.wait_for_messages(BOB["id"])
    assert (server.texts_to(ADA["id"]), server.texts_to(BOB["id"])) == (["In sospeso"], ["Pending"])


# -- reminders and a moved deadline -------------------------------------------------------------------------------


def rome(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/Rome"))


async def test_reminders_follow_a_moved_deadline(server, tmp_path, fixture_kb_dir) -> None:
    """The fixture's extended deadline is 31 March 2017 with reminders 30, 7, 1 and 0 days before."""
    clock = Clock(rome(2017, 3, 24, 9, 0))  # the 7-day slot
    async with running(server, tmp_path, fixture_kb_dir, clock) as (app, courier, storage):
        await storage.subscribe(ADA["id"], "it", clock.now)
        await storage.subscribe(BOB["id"], "en", clock.now)

        await courier.cycle()
        [ada] = server.texts_to(ADA["id"])
        [bob] = server.texts_to(BOB["id"])
        assert "31 marzo 2017" in ada and "mancano 7 giorni" in ada
        assert "31 March 2017" in bob and "7 days left" in bob
        await courier.cycle()  # the same slot again: nothing
        assert len(server.texts_to(ADA["id"])) == 1

        clock.now = rome(2017, 3, 30, 9, 0)  # the 1-day slot comes; the deadline is moved before it is sent
        await courier.queue_due(clock.now)
        dates = fixture_kb_dir / "dates.yaml"
        dates.write_text(dates.read_text().replace("date: 2017-03-31", "date: 2017-04-05"))
        assert app.bot_data[SERVICES_KEY].live.reload().outcome is ReloadOutcome.RELOADED
        await courier.cycle()
        await send_the_change_notice(server)
        await server.wait_for_messages(BOB["id"], count=2)
        notices = server.texts_to(BOB["id"])[1:]
        assert len(notices) == 1  # one notice, no reminder for the old date, none doubling the notice
        assert "5 April 2017" in notices[0] and "31 March 2017" in notices[0] and "6 days left" in notices[0]
        assert "5 aprile 2017" in server.texts_to(ADA["id"])[1]
        await courier.cycle()
        assert len(server.texts_to(BOB["id"])) == 2

        clock.now = rome(2017, 4, 4, 9, 0)  # the new date's 1-day slot
        await courier.cycle()
        assert "5 April 2017" in server.texts_to(BOB["id"])[2] and "1 day left" in server.texts_to(BOB["id"])[2]
        assert "manca 1 giorno" in server.texts_to(ADA["id"])[2]

        clock.now = rome(2017, 4, 6, 9, 0)  # past: nothing more
        await courier.cycle()
        assert len(server.texts_to(BOB["id"])) == 3
        dropped = await storage.batch_counts(2)  # the 1-day reminder queued for 31 March, never sent
        assert (dropped.dropped, dropped.sent) == (2, 0)


async def send_the_change_notice(server: FakeBotAPI, button: str = "✅ Invia") -> dict:
    """Staff see the change notice before it goes out, and press `button` under it."""
    preview = await server.wait_for(lambda s: s.sent_messages(STAFF["id"]) and s.last_sent(STAFF["id"]))
    (row,) = preview["reply_markup"]["inline_keyboard"]
    data = {b["text"]: b["callback_data"] for b in row}
    assert list(data) == ["✅ Invia", "✖️ Non inviare"]
    server.push_update(server.callback_query(STAFF, data[button], preview))
    await server.wait_for_calls("editMessageText")
    return preview


async def test_a_moved_deadline_is_shown_to_staff_before_anyone_is_notified(server, tmp_path, fixture_kb_dir) -> None:
    clock = Clock(rome(2017, 3, 20, 12, 0))
    async with running(server, tmp_path, fixture_kb_dir, clock) as (app, courier, storage):
        for user, lang in ((ADA, "it"), (BOB, "en"), (EVE, "en")):
            await storage.subscribe(user["id"], lang, clock.now)
        await courier.cycle()  # the 30-day slot (1 March) was missed: its latest slot goes out, nothing else
        sent_before = {u["id"]: len(server.texts_to(u["id"])) for u in (ADA, BOB, EVE)}
        dates = fixture_kb_dir / "dates.yaml"
        dates.write_text(dates.read_text().replace("date: 2017-03-31", "date: 2017-04-28"))
        assert app.bot_data[SERVICES_KEY].live.reload().outcome is ReloadOutcome.RELOADED
        await courier.cycle()
        await courier.cycle()
        assert {u["id"]: len(server.texts_to(u["id"])) for u in (ADA, BOB, EVE)} == sent_before  # nobody yet
        (preview,) = server.sent_messages(STAFF["id"])
        assert preview["text"].startswith(
            "📅 Una scadenza nella base di conoscenza è cambiata: scadenza prorogata ora è il 28 aprile 2017; era il "
            "31 marzo 2017.\nInviando l'avviso di modifica avviserai 3 iscritti, ciascuno nella sua lingua. Questo:"
        )
        assert "mancano 39 giorni" in preview["text"]
        assert preview["text"].endswith(
            "Lo invio? Se no, gli iscritti continuano a ricevere i soliti promemoria, con la nuova data."
        )

        clock.now = rome(2017, 3, 21, 12, 0)  # staff decide the next day: the countdown is the day's
        await send_the_change_notice(server)
        assert server.last_sent(STAFF["id"])["text"] == "✅ L'avviso di modifica sta arrivando a 3 iscritti."
        await server.wait_for_messages(EVE["id"], count=sent_before[EVE["id"]] + 1)
        await server.wait_for_messages(ADA["id"], count=sent_before[ADA["id"]] + 1)
        assert "28 April 2017" in server.texts_to(EVE["id"])[-1] and "38 days left" in server.texts_to(EVE["id"])[-1]
        assert "28 aprile 2017" in server.texts_to(ADA["id"])[-1]

        server.push_update(server.callback_query(STAFF, "n:send:1", server.last_sent(STAFF["id"])))
        await server.wait_for(lambda s: s.calls_to("answerCallbackQuery")[-1].params.get("show_alert"))
        assert server.calls_to("answerCallbackQuery")[-1].params["text"] == (
            "Questo avviso di modifica è già stato inviato o annullato."
        )
        await courier.cycle()
        assert len(server.texts_to(EVE["id"])) == sent_before[EVE["id"]] + 1  # once


async def test_dont_send_keeps_subscribers_on_the_usual_reminders(server, tmp_path, fixture_kb_dir) -> None:
    clock = Clock(rome(2017, 3, 30, 12, 0))
    async with running(server, tmp_path, fixture_kb_dir, clock) as (app, courier, storage):
        await storage.subscribe(BOB["id"], "en", clock.now)
        await courier.cycle()
        assert len(server.texts_to(BOB["id"])) == 1  # the 1-day reminder for 31 March
        dates = fixture_kb_dir / "dates.yaml"
        dates.write_text(dates.read_text().replace("date: 2017-03-31", "date: 2017-04-05"))
        app.bot_data[SERVICES_KEY].live.reload()
        await courier.cycle()
        assert len(server.texts_to(BOB["id"])) == 1
        await send_the_change_notice(server, "✖️ Non inviare")
        assert server.last_sent(STAFF["id"])["text"] == (
            "✖️ Non inviato. Gli iscritti continuano a ricevere i soliti promemoria, con la nuova data."
        )
        await courier.cycle()  # the new date's slot that has come (7 days before 5 April) is no longer held
        texts = server.texts_to(BOB["id"])
        assert (
            len(texts) == 2 and "Reminder" in texts[1] and "5 April 2017" in texts[1] and "deadline has" not in texts[1]
        )


async def test_with_no_subscribers_staff_are_not_asked(server, tmp_path, fixture_kb_dir) -> None:
    clock = Clock(rome(2017, 3, 20, 12, 0))
    async with running(server, tmp_path, fixture_kb_dir, clock) as (app, courier, storage):
        await courier.cycle()
        dates = fixture_kb_dir / "dates.yaml"
        dates.write_text(dates.read_text().replace("date: 2017-03-31", "date: 2017-04-28"))
        app.bot_data[SERVICES_KEY].live.reload()
        await courier.cycle()
        assert server.messages_to(STAFF["id"]) == []
        assert await storage.change_drafts() == []


async def test_without_staff_a_change_notice_goes_out_directly(server, tmp_path, fixture_kb_dir) -> None:
    clock = Clock(rome(2017, 3, 20, 12, 0))
    storage = await Storage.open(tmp_path / "db.sqlite3")
    config = Config(token=server.token, api_base_url=server.base_url, knowledge_dir=fixture_kb_dir)
    application = build_application(config, storage, clock=clock)
    courier = Courier(application, pacing=FAST)
    await application.initialize()
    await application.start()
    try:
        await storage.subscribe(BOB["id"], "en", clock.now)
        await courier.cycle()
        dates = fixture_kb_dir / "dates.yaml"
        dates.write_text(dates.read_text().replace("date: 2017-03-31", "date: 2017-04-28"))
        application.bot_data[SERVICES_KEY].live.reload()
        await courier.cycle()
        notice = server.texts_to(BOB["id"])[-1]
        assert notice.startswith("📅 A deadline has changed:") and "28 April 2017" in notice
        assert {int(c.params["chat_id"]) for c in server.calls_to("sendMessage")} == {BOB["id"]}  # no preview
    finally:
        await application.stop()
        await application.shutdown()
        await storage.close()


def test_broadcast_syntax() -> None:
    assert parse_broadcast("it: Ciao\nen: Hello") == {"it": "Ciao", "en": "Hello"}
    assert parse_broadcast("en: Two\nlines || it: Due righe") == {"en": "Two\nlines", "it": "Due righe"}
    assert parse_broadcast("IT : <b>a</b>\n EN: b") == {"it": "<b>a</b>", "en": "b"}
    for wrong in ("Ciao a tutti", "it: solo italiano", "x it: a\nen: b", "it: a\nit: b\nen: c", "it:\nen: b"):
        with pytest.raises(BroadcastSyntaxError, match="missing"):
            parse_broadcast(wrong)
    with pytest.raises(BroadcastSyntaxError, match="too long"):
        parse_broadcast("it: " + "a" * 4000 + "\nen: b")

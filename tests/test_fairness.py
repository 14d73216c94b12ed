"""One user flooding the bot never slows the others: per-chat queues, flood control at arrival, repeats dropped."""

import asyncio
from pathlib import Path

import pytest
from telegram import Chat, Message, Update

from bot.telegram.flood import FloodGate, Kind, Rate, Verdict
from bot.telegram.ordering import ChatQueues
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, make_user
from tests.support.harness import running_bot

pytestmark = [pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")]

ADA = make_user(4242, "Ada", "it")
BOB = make_user(5151, "Bob", "en")
SLOW_DOWN = "molto velocemente"


@pytest.fixture
async def bot(api: FakeBotAPI, tmp_path: Path):
    async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW) as application:
        yield application


async def reply_seconds(api: FakeBotAPI, user: dict, text: str, timeout: float = 30.0) -> float:
    before = len(api.messages_to(user["id"]))
    loop = asyncio.get_running_loop()
    began = loop.time()
    api.push_update(api.text_message(user, text))
    await api.wait_for_messages(user["id"], count=before + 1, timeout=timeout)
    return loop.time() - began


# -- the update processor ------------------------------------------------------------------------------------------


def update_in(chat_id: int, update_id: int) -> Update:
    message = Message(message_id=update_id, date=None, chat=Chat(chat_id, Chat.PRIVATE))  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_a_chat_backlog_holds_one_slot_and_other_chats_go_ahead() -> None:
    queues = ChatQueues(max_concurrent_updates=2)
    release = asyncio.Event()
    done: list[int] = []

    async def work(update_id: int, wait: bool = False) -> None:
        if wait:
            await release.wait()
        done.append(update_id)

    async with queues:
        backlog = [
            asyncio.create_task(queues.process_update(update_in(1, n), work(n, wait=True))) for n in range(1, 11)
        ]
        others = [asyncio.create_task(queues.process_update(update_in(c, 100 + c), work(100 + c))) for c in (2, 3, 4)]
        await asyncio.wait_for(asyncio.gather(*others), timeout=2)  # not held up by chat 1's ten waiting updates
        assert done == [102, 103, 104]
        release.set()
        await asyncio.gather(*backlog)
    assert done[3:] == list(range(1, 11))  # chat 1's updates in the order they arrived
    assert queues.busy_chats == 0  # nothing kept once the chats are idle


async def test_a_full_chat_queue_drops_what_arrives_without_running_it() -> None:
    queues = ChatQueues(max_concurrent_updates=4, max_queued_per_chat=5)
    release = asyncio.Event()
    ran: list[int] = []

    async def work(update_id: int) -> None:
        await release.wait()
        ran.append(update_id)

    async with queues:
        tasks = [asyncio.create_task(queues.process_update(update_in(1, n), work(n))) for n in range(1, 21)]
        await asyncio.sleep(0.05)
        release.set()
        await asyncio.gather(*tasks)
    assert ran == [1, 2, 3, 4, 5]
    assert queues.dropped == 15


async def test_an_update_received_twice_is_handled_once() -> None:
    queues = ChatQueues()
    ran: list[int] = []

    async def work(update_id: int) -> None:
        ran.append(update_id)

    async with queues:
        for _ in range(3):
            await queues.process_update(update_in(1, 77), work(77))
        await queues.process_update(update_in(1, 78), work(78))
    assert ran == [77, 78]


# -- flood control (pure) ------------------------------------------------------------------------------------------


def test_a_steady_flood_is_warned_about_once() -> None:
    """The warning used to be re-armed by every update let through, so a steady flood was warned every 2 s."""
    gate = FloodGate()
    verdicts = [gate.check(1, Kind.MESSAGE, now=n * 0.25) for n in range(240)]  # 4 messages a second for 60 s
    assert verdicts.count(Verdict.WARN) == 1
    first_refused = verdicts.index(Verdict.WARN)
    assert 8 <= first_refused <= 10 and set(verdicts[:first_refused]) == {Verdict.ALLOW}
    assert 8 + 25 <= verdicts.count(Verdict.ALLOW) <= 10 + 31  # still one message every 2 s gets through
    assert gate.check(1, Kind.MESSAGE, now=60.0 + 16.0) is Verdict.ALLOW  # after a real pause...
    for _ in range(7):
        gate.check(1, Kind.MESSAGE, now=76.0)
    assert gate.check(1, Kind.MESSAGE, now=76.0) is Verdict.WARN  # ...a new flood is a new warning


def test_buttons_and_messages_are_counted_separately_and_taps_generously() -> None:
    gate = FloodGate()
    quick = [gate.check(1, Kind.BUTTON, now=n * 0.5) for n in range(30)]  # a tap every half second for 15 s
    steady = [gate.check(1, Kind.BUTTON, now=20.0 + n) for n in range(120)]  # then one a second for two minutes
    assert set(quick) == set(steady) == {Verdict.ALLOW}
    assert gate.check(1, Kind.MESSAGE, now=140.0) is Verdict.ALLOW  # tapping does not use up the messages
    assert [gate.check(2, Kind.MESSAGE, now=0.0) for _ in range(9)][-1] is Verdict.WARN  # messages: 8 at once


def test_flood_gate_forgets_users_whose_bucket_filled_up_again() -> None:
    gate = FloodGate(rates={Kind.MESSAGE: Rate(2, 1.0), Kind.BUTTON: Rate(2, 1.0)})
    for user in range(1000):
        gate.check(user, Kind.MESSAGE, now=0.0)
    gate.check(5000, Kind.MESSAGE, now=120.0)
    assert len(gate) == 1


def test_flood_gate_memory_is_capped() -> None:
    gate = FloodGate(max_tracked=1000)
    for user in range(5000):
        gate.check(user, Kind.MESSAGE, now=1.0)
    assert len(gate) <= 1000


# -- end to end ----------------------------------------------------------------------------------------------------


async def test_a_user_pressing_buttons_in_a_flood_does_not_slow_others(api: FakeBotAPI, bot) -> None:
    api.delay("*", 0.05)  # Telegram's latency
    await reply_seconds(api, ADA, "/topics")
    menu = api.last_sent(ADA["id"])
    await reply_seconds(api, BOB, "What is the deadline?")  # warm
    for _ in range(200):
        api.push_update(api.callback_query(ADA, "m:", menu))
    await asyncio.sleep(0.05)
    assert await reply_seconds(api, BOB, "Who can take part?") < 1.5  # was 10 s: the flood held every slot

    def toasts(server: FakeBotAPI) -> list[str]:
        return [c.params.get("text") or "" for c in server.calls_to("answerCallbackQuery")]

    await api.wait_for(lambda s: any("velocemente" in t for t in toasts(s)), timeout=10)  # after ADA's own 20 taps
    await asyncio.sleep(0.5)
    assert len(toasts(api)) <= 21  # 20 taps let through and one "slow down": no call per refused tap
    assert sum("velocemente" in t for t in toasts(api)) == 1


async def test_a_flood_under_telegram_per_chat_limit_does_not_slow_others(api: FakeBotAPI, bot) -> None:
    api.rate_limit(None, retry_after=1, per_chat_limit=True)  # one message per chat per second, 429 otherwise
    for number in range(200):
        api.push_update(api.text_message(ADA, f"domanda numero {number} sul meteo"))
    await asyncio.sleep(0.2)
    assert await reply_seconds(api, BOB, "What is the deadline?") < 3.0  # was 169 s
    await api.wait_for(lambda s: any(SLOW_DOWN in t for t in s.texts_to(ADA["id"])), timeout=20)
    assert len(api.texts_to(ADA["id"])) == 9  # the burst of 8 answered, one warning, the rest dropped on arrival


async def test_a_steady_flood_gets_one_warning_even_with_slow_sends(api: FakeBotAPI, bot) -> None:
    api.delay("sendMessage", 0.3)
    for number in range(24):  # four messages a second for six seconds
        api.push_update(api.text_message(ADA, f"domanda numero {number} sul meteo"))
        await asyncio.sleep(0.25)
    await asyncio.sleep(1.0)
    texts = api.texts_to(ADA["id"])
    assert sum(SLOW_DOWN in t for t in texts) == 1
    assert texts.index(next(t for t in texts if SLOW_DOWN in t)) >= 8  # after the answers already on their way


async def test_tapping_menu_buttons_at_a_normal_pace_is_not_a_flood(api: FakeBotAPI, bot) -> None:
    await reply_seconds(api, ADA, "/topics")
    menu = api.last_sent(ADA["id"])
    for target in ["t:calls", "m:"] * 8:  # sixteen taps, a third of a second apart
        api.push_update(api.callback_query(ADA, target, menu))
        await asyncio.sleep(0.33)
    await api.wait_for_calls("answerCallbackQuery", count=16)
    toasts = [c.params.get("text") or "" for c in api.calls_to("answerCallbackQuery")]
    assert not any("velocemente" in t for t in toasts)
    assert not any(SLOW_DOWN in t for t in api.texts_to(ADA["id"]))


# -- screening on the JSON, before python-telegram-bot parses -------------------------------------------------------


def test_a_flood_excess_is_reduced_to_its_id_before_it_is_parsed() -> None:
    import json

    from telegram import Update as ParsedUpdate

    from bot.telegram.flood import REFUSED, FloodControl
    from bot.telegram.ordering import ScreenedUpdatesRequest
    from tests.support.bot_api import group_chat

    api = FakeBotAPI()
    queues = ChatQueues()
    queues.gate = FloodControl(application=None)  # type: ignore[arg-type]  # screening needs no application
    flood = [{"update_id": n, **api.text_message(ADA, f"domanda {n}")} for n in range(1, 31)]
    chatter = [{"update_id": 100 + n, **api.text_message(BOB, "ciao", chat=group_chat(-5))} for n in range(20)]
    taps = [{"update_id": 200 + n, **api.callback_query(BOB, "m:", None)} for n in range(3)]
    payload = json.dumps({"ok": True, "result": flood + chatter + taps}).encode()
    screened = ScreenedUpdatesRequest(queues).parse_json_payload(payload)["result"]
    assert screened[:9] == flood[:9]  # the burst, and the one whose place the warning takes
    assert screened[9:30] == [{"update_id": n, REFUSED: True} for n in range(10, 31)]
    assert screened[30:] == chatter + taps  # group chatter is judged once parsed; Bob's taps are his own bucket
    stand_in = ParsedUpdate.de_json(screened[12], None)
    work = object()  # what would process it
    assert queues.gate(stand_in, work) is None  # dropped when it reaches the processor

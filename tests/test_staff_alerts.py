"""Staff hear about unhandled errors: in their chats, deduplicated and rate-limited, without the token or anything
a user wrote."""

from pathlib import Path

import pytest

from bot.telegram.errors import StaffAlerts, worth_telling_staff
from tests.conftest import FIXED_NOW, FIXTURE_KB
from tests.support.bot_api import FakeBotAPI, group_chat, make_user
from tests.support.harness import running_bot, services

ADA = make_user(4242, "Ada", "it")
BOB = make_user(5151, "Bobby Tables", "en")
STAFF = make_user(7001, "Stella", "it")
SECRET_QUESTION = "my VAT number is IT01234567890, can we apply"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_same_error_is_told_once_per_window_with_the_repeats_counted() -> None:
    clock = Clock()
    alerts = StaffAlerts(same_error_seconds=900, per_hour=10, monotonic=clock)
    assert alerts.admit("KeyError@a.py:1") == 0
    assert [alerts.admit("KeyError@a.py:1") for _ in range(4)] == [None] * 4
    assert alerts.admit("ValueError@b.py:2") == 0  # another error is news
    clock.now = 901
    assert alerts.admit("KeyError@a.py:1") == 4  # told again, with what happened meanwhile


def test_a_storm_of_different_errors_is_capped_per_hour() -> None:
    clock = Clock()
    alerts = StaffAlerts(per_hour=3, monotonic=clock)
    told = [alerts.admit(f"E{n}@x.py:{n}") for n in range(10)]
    assert told == [0, 0, 0] + [None] * 7
    clock.now = 3601
    assert alerts.admit("E9@x.py:9") == 1


def test_telegram_weather_is_not_an_alert() -> None:
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

    assert not worth_telling_staff(TimedOut())
    assert not worth_telling_staff(NetworkError("connection reset"))
    assert not worth_telling_staff(Forbidden("bot was blocked by the user"))
    assert not worth_telling_staff(RetryAfter(3))
    assert worth_telling_staff(BadRequest("can't parse entities"))  # the bot's own mistake
    assert worth_telling_staff(KeyError("x"))


class BrokenAssistant:
    """Fails the way a bug would, with the token and the user's words in the exception's message."""

    def __init__(self, token: str) -> None:
        self.token = token

    @property
    def current(self) -> object:
        raise RuntimeError(f"lookup failed for {self.token} on {SECRET_QUESTION!r} from user 5151")


async def test_an_unhandled_error_reaches_staff_once_without_token_or_user_data(
    api: FakeBotAPI, tmp_path: Path
) -> None:
    async with running_bot(
        api, tmp_path, knowledge_dir=FIXTURE_KB, staff_ids=frozenset({STAFF["id"]}), clock=lambda: FIXED_NOW
    ) as application:
        services(application).live = BrokenAssistant(api.token)  # type: ignore[assignment]
        api.push_update(api.text_message(BOB, SECRET_QUESTION))
        (apology,) = await api.wait_for_messages(BOB["id"])
        assert "something went wrong" in apology["text"]
        (alert,) = await api.wait_for_messages(STAFF["id"])
        text = alert["text"]
        assert text.startswith("⚠️ Errore del bot: RuntimeError in bot/telegram/context.py:")
        assert "gestendo un messaggio" in text
        for secret in (api.token, api.token.split(":")[1], "IT01234567890", "VAT", "5151", "Bobby", "Tables"):
            assert secret not in text
        for _ in range(3):  # the same fault again, and in a group: no new alert
            api.push_update(api.text_message(BOB, SECRET_QUESTION))
        group = group_chat(-100777)
        api.push_update(api.mention_message(ADA, group, "chi può partecipare?"))
        await api.wait_for_messages(BOB["id"], count=4)
        await api.wait_for_messages(group["id"])
        assert len(api.messages_to(STAFF["id"])) == 1
        assert all(SECRET_QUESTION not in t for t in api.texts_to(group["id"]))


async def test_without_staff_nobody_is_alerted_and_users_still_get_the_apology(api: FakeBotAPI, tmp_path: Path) -> None:
    async with running_bot(api, tmp_path, knowledge_dir=FIXTURE_KB, clock=lambda: FIXED_NOW) as application:
        services(application).live = BrokenAssistant(api.token)  # type: ignore[assignment]
        api.push_update(api.text_message(BOB, "hello"))
        await api.wait_for_messages(BOB["id"])
    assert [call for call in api.calls_to("sendMessage") if call.params["chat_id"] != BOB["id"]] == []


pytestmark = pytest.mark.filterwarnings("ignore:.*attribute `retry_after` will be of type:DeprecationWarning")

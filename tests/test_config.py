"""Configuration from the environment: defaults, and clear errors that never echo the token."""

import datetime as dt
from pathlib import Path

import pytest

from bot.config import DEFAULT_API_BASE_URL, ConfigError, load_config
from tests.conftest import SHIPPED_KB


def test_defaults() -> None:
    config = load_config({})
    assert config.token is None
    assert config.api_base_url == DEFAULT_API_BASE_URL
    assert config.staff_ids == frozenset()
    assert config.knowledge_dir == SHIPPED_KB  # in a checkout, the folder staff edit; in a wheel, its copy
    assert config.timezone == "Europe/Rome"
    assert config.webhook_url is None


def test_everything_set() -> None:
    config = load_config(
        {
            "TELEGRAM_BOT_TOKEN": "123456:ABCdef_ghi-jkl",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "BOT_STAFF_IDS": " 11, 22 ,33",
            "BOT_DATABASE": "/tmp/x.sqlite3",
            "BOT_KNOWLEDGE_DIR": "kb",
            "BOT_TIMEZONE": "Europe/Brussels",
        }
    )
    assert config.require_token() == "123456:ABCdef_ghi-jkl"
    assert config.staff_ids == {11, 22, 33}
    assert config.database == Path("/tmp/x.sqlite3")
    assert "ABCdef" not in repr(config)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BOT_STAFF_IDS": "12,abc"}, "BOT_STAFF_IDS"),
        ({"BOT_TIMEZONE": "Mars/Base"}, "BOT_TIMEZONE"),
        ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL"),
        ({"BOT_WEBHOOK_URL": "http://insecure.example"}, "BOT_WEBHOOK_URL"),
        ({"PORT": "http"}, "PORT"),
    ],
)
def test_malformed_values(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(environ)


@pytest.mark.parametrize("token", [None, "", "not-a-token", "123:has spaces here"])
def test_missing_or_malformed_token(token: str | None) -> None:
    config = load_config({"TELEGRAM_BOT_TOKEN": token} if token is not None else {})
    with pytest.raises(ConfigError) as error:
        config.require_token()
    assert "TELEGRAM_BOT_TOKEN" in str(error.value)
    if token:
        assert token not in str(error.value)


def test_log_level_and_reminder_hours() -> None:
    config = load_config({"BOT_LOG_LEVEL": "debug", "BOT_REMINDER_HOURS": "8 - 21"})
    assert (config.log_level, config.reminder_hours) == ("DEBUG", (8, 21))
    assert load_config({}).reminder_hours == (9, 20)
    for wrong in ("21-8", "9", "nine-five", "9-25"):
        with pytest.raises(ConfigError, match="BOT_REMINDER_HOURS"):
            load_config({"BOT_REMINDER_HOURS": wrong})
    with pytest.raises(ConfigError, match="BOT_LOG_LEVEL"):
        load_config({"BOT_LOG_LEVEL": "verbose"})


def test_staff_digest_and_new_question_notes() -> None:
    defaults = load_config({})
    assert defaults.staff_digest_time == dt.time(9, 0) and defaults.staff_new_question_notes is False
    config = load_config({"BOT_STAFF_DIGEST_TIME": "7:30", "BOT_STAFF_NEW_QUESTION_NOTES": "on"})
    assert config.staff_digest_time == dt.time(7, 30) and config.staff_new_question_notes is True
    assert load_config({"BOT_STAFF_DIGEST_TIME": "off"}).staff_digest_time is None
    with pytest.raises(ConfigError, match="BOT_STAFF_DIGEST_TIME must be a time like 09:00, or off"):
        load_config({"BOT_STAFF_DIGEST_TIME": "25:00"})
    with pytest.raises(ConfigError, match="BOT_STAFF_NEW_QUESTION_NOTES must be on or off"):
        load_config({"BOT_STAFF_NEW_QUESTION_NOTES": "sometimes"})

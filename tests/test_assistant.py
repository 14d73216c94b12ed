"""Answers render dates for the reader's language and the current moment, and carry their sources."""

import datetime as dt

import pytest

from bot.assistant import Assistant
from bot.deadlines import deadline_summary, deadlines_in_force
from bot.i18n import Catalogs
from bot.knowledge import load_knowledge
from bot.rendering import countdown
from tests.conftest import FIXTURE_KB


def at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(FIXTURE_KB)


def test_dates_render_per_language(small_assistant: Assistant) -> None:
    assert "31 dicembre 2016" in small_assistant.reply("qual è la scadenza?").text
    assert "31 December 2016" in small_assistant.reply("what is the deadline?").text


def test_answer_names_its_source(small_assistant: Assistant) -> None:
    reply = small_assistant.reply("what is the deadline?")
    assert [s.id for s in reply.sources] == ["press"]
    assert reply.text.endswith("Source: Press release (https://example.org/press)")
    assert [link.entry_id for link in reply.related] == ["eligibility"]


@pytest.mark.parametrize(
    ("now", "lang", "expected"),
    [
        (at(2017, 3, 1), "en", "30 days left"),
        (at(2017, 3, 30), "en", "1 day left"),
        (at(2017, 3, 31, 20), "en", "closes today"),  # 22:00 in Brussels, still the last day
        (at(2017, 3, 31, 23), "en", "closed on 31 March 2017"),  # 01:00 on 1 April in Brussels
        (at(2026, 11, 25), "it", "scaduta in data 31 marzo 2017"),
        (at(2017, 3, 29), "it", "mancano 2 giorni"),
        (at(2017, 3, 30), "it", "manca 1 giorno"),
    ],
)
def test_countdown_is_computed_in_the_deadline_time_zone(kb, now, lang, expected) -> None:
    assert countdown(kb.dates["closing-extended"], now, Catalogs()[lang], "Europe/Rome") == expected


def test_rendered_answer_follows_the_clock(kb) -> None:
    early = Assistant(kb, clock=lambda: at(2017, 3, 24))
    assert "7 days left" in early.reply("what is the deadline?").text


def test_deadlines_in_force_hide_replaced_dates(kb) -> None:
    assert [d.id for d in deadlines_in_force(kb)] == ["closing-extended"]
    text = deadline_summary(kb, at(2026, 11, 25), Catalogs()["en"], "Europe/Rome")
    assert "extended deadline: 31 March 2017" in text
    assert "the original deadline was 31 December 2016" in text
    assert "closed on 31 March 2017" in text

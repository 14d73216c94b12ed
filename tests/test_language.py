"""Reply language: explicit choice > the question's language > Telegram client language > Italian."""

import pytest

from bot.assistant import Assistant
from bot.language import LanguageDetector, choose_language, client_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Qual è la scadenza per presentare la domanda?", "it"),
        ("What is the deadline of the call?", "en"),
        ("qual è la deadline della call?", "it"),  # Italian grammar, English nouns
        ("is the scadenza still open?", "en"),
        ("thanks a lot!", "en"),
        ("grazie mille per l'aiuto", "it"),
    ],
)
def test_detects_the_language_of_a_sentence(text: str, lang: str) -> None:
    assert LanguageDetector().detect(text) == lang


@pytest.mark.parametrize("text", ["ciao", "deadline", "2016", "😀", ""])
def test_one_word_or_no_word_is_undecided(text: str) -> None:
    assert LanguageDetector().detect(text) is None


def test_priority_order() -> None:
    assert choose_language(explicit="en", detected="it", telegram="it") == "en"
    assert choose_language(explicit=None, detected="en", telegram="it") == "en"
    assert choose_language(explicit=None, detected=None, telegram="en-GB") == "en"
    assert choose_language(explicit=None, detected=None, telegram=None) == "it"


def test_client_language_mapping() -> None:
    assert client_language("it-IT") == "it"
    assert client_language("de") == "en"  # non-Italian users read English better than Italian
    assert client_language(None) is None


def test_the_text_decides_when_it_can_even_for_one_word(small_assistant: Assistant) -> None:
    assert small_assistant.reply("deadline??").lang == "en"  # no Telegram language: spelt like English
    assert small_assistant.reply("max grant per project").lang == "en"
    assert small_assistant.reply("scadenza", telegram_lang="en").lang == "it"  # a word only Italian uses
    assert small_assistant.reply("hello").lang == "en"
    assert small_assistant.reply("ciao").lang == "it"
    assert small_assistant.reply("Qual è la scadenza?", chosen_lang="en").lang == "en"


@pytest.mark.parametrize("text", ["2016", "ESCP-S3", "Schierenbeck", "ok"])
def test_client_language_when_the_text_cannot_tell(small_assistant: Assistant, text: str) -> None:
    assert small_assistant.reply(text, telegram_lang="en").lang == "en"
    assert small_assistant.reply(text, telegram_lang="it-IT").lang == "it"

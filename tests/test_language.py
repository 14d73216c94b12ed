"""Reply language: explicit choice > the question's language > Telegram client language > Italian."""

import os
import subprocess
import sys

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


def test_a_code_is_no_sign_of_a_language() -> None:
    """ "COS" in a call's code is not the Italian "cos'"; the words around the code decide."""
    detector = LanguageDetector()
    assert detector.scores("COS-CLUSTPARTNS-2017-3-02") == {"it": 0.0, "en": 0.0}
    assert detector.guess("COS-CLUSTPARTNS-2017-3-02 deadline pls") == "en"
    assert detector.detect("cos'è ESCP-S3?") == "it"


def test_the_english_possessive_is_a_sign_of_english() -> None:
    detector = LanguageDetector()
    assert detector.detect("Schierenbeck's email?") == "en"
    assert detector.detect("Capone’s quote?") == "en"
    assert detector.detect("qual'è la scadenza? c'è una proroga?") == "it"


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


def test_a_word_only_one_language_uses_outweighs_words_spelt_like_the_other(shipped_assistant: Assistant) -> None:
    # "data" and "scope" are spelt like Italian words; "analytics" is a word only the English entries use
    assert shipped_assistant.reply("big data analytics in scope?").lang == "en"
    assert shipped_assistant.reply("contributo max x progeto").lang == "it"  # "max" is written in both


@pytest.mark.parametrize("text", ["2016", "ESCP-S3", "Schierenbeck", "ok"])
def test_client_language_when_the_text_cannot_tell(small_assistant: Assistant, text: str) -> None:
    assert small_assistant.reply(text, telegram_lang="en").lang == "en"
    assert small_assistant.reply(text, telegram_lang="it-IT").lang == "it"


def test_the_detector_is_the_same_in_every_process() -> None:
    """What it learns must not depend on the process's string hashing (it once read a different part of the
    function-word list in each process): a restarted bot, or one started from the assistant cache, detects the same."""
    script = (
        "import hashlib; from bot.language import LanguageDetector; d = LanguageDetector(); "
        "m = d._spelling; print(hashlib.sha256(repr((sorted(d._only['it']), sorted(d._only['en']), "
        "sorted(m._log_p['it'].items()), sorted(m._log_p['en'].items()))).encode()).hexdigest())"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(seen) == 1

"""Which language to reply in: explicit choice > the question's own language > Telegram client language > a guess
from the shape of its words > default.

The knowledge base is a parallel corpus (every phrasing and answer in Italian and English), so it teaches both what
words each language alone uses and what words of each language look like ("deadline" is written in Italian
messages too, but it is spelt like English).
"""

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bot.knowledge.model import LANGUAGES, KnowledgeBase
from bot.matching.lexicon import ABBREVIATIONS, STOPWORDS_EN, STOPWORDS_IT
from bot.matching.text import words

DEFAULT_LANGUAGE = "it"
_FUNCTION_WORD_WEIGHT = 2.0
_SPELLING_WEIGHT = 0.5
#: Words of each language the spelling model learns from: plenty for letter statistics, and a knowledge base of
#: 10,000 entries does not make start-up slower.
MAX_TRAINING_WORDS = 60_000
#: A word's spelling counts only when its letter sequences lean this clearly (mean log-odds per n-gram).
_SPELLING_MARGIN = 0.25
#: The text's words must lead by this much for the text to decide over the Telegram app's language.
_DECISIVE_MARGIN = 1.0
_NGRAM_SIZES = (2, 3, 4)
_LEAN_MEMO = 20_000
#: Words people type in either language ("ECCP url", "ok grazie"): no sign of either; and English chat shorthand,
#: which Italians type too ("LINK PIATTAFORMA ECCP PLS"): a weak sign of English.
_EITHER_LANGUAGE = frozenset("ok okay info link url max min".split())
_ENGLISH_SHORTHAND = frozenset("pls plz thx tnx ty".split())
_NOT_SPELLING = _EITHER_LANGUAGE | _ENGLISH_SHORTHAND  # words whose spelling is no sign of a language


# A code ("COS-CLUSTPARTNS-2017-3-02", "ESCP-S3"): letters and digits joined by hyphens or slashes. Its pieces are
# no sign of a language ("COS" is not the Italian "cos'").
_CODE = re.compile(r"\b\w+(?:[-/]\w+)+\b")
# The English possessive after a word ("Schierenbeck's"): Italian elides before a word ("c'è"), never before "s".
_POSSESSIVE = re.compile(r"(?<=[^\W\d_])['’]s\b", re.IGNORECASE)


def _without_codes(text: str) -> str:
    return _CODE.sub(lambda code: " " if any(ch.isdigit() for ch in code.group(0)) else code.group(0), text)


def _ngrams(word: str) -> list[str]:
    padded = f"<{word}>"
    return [padded[i : i + n] for n in _NGRAM_SIZES for i in range(len(padded) - n + 1)]


def _ngram_counts(training: Sequence[str]) -> Counter[str]:
    """Letter n-gram counts of the words, each distinct word's n-grams made once (words repeat a lot)."""
    counts: Counter[str] = Counter()
    for word, times in Counter(training).items():
        for gram in _ngrams(word):
            counts[gram] += times
    return counts


class SpellingModel:
    """Letter n-gram frequencies per language: which language a word unknown to both word lists looks like."""

    def __init__(self, words_by_lang: Mapping[str, Sequence[str]]) -> None:
        """`words_by_lang`: each language's words in text order; the first MAX_TRAINING_WORDS are learnt from."""
        counts = {lang: _ngram_counts(words_by_lang.get(lang, ())[:MAX_TRAINING_WORDS]) for lang in LANGUAGES}
        vocabulary = len(set().union(*counts.values())) or 1
        self._log_p = {}
        self._unseen = {}
        for lang, grams in counts.items():
            total = sum(grams.values()) + 0.5 * vocabulary
            self._log_p[lang] = {g: math.log((c + 0.5) / total) for g, c in grams.items()}
            self._unseen[lang] = math.log(0.5 / total)
        # Words looked at before (a message is read for its language twice, and words recur): bounded.
        self._leans: dict[str, dict[str, float]] = {}

    def lean(self, word: str) -> dict[str, float]:
        """Mean log-probability per n-gram of `word` in each language."""
        known = self._leans.get(word)
        if known is not None:
            return known
        grams = _ngrams(word)
        lean = {
            lang: sum(self._log_p[lang].get(g, self._unseen[lang]) for g in grams) / len(grams) for lang in LANGUAGES
        }
        if len(self._leans) >= _LEAN_MEMO:
            self._leans.clear()
        self._leans[word] = lean
        return lean

    def __getstate__(self) -> dict[str, Any]:
        """For the assistant cache: the model, not the words it has seen since."""
        return {k: v for k, v in self.__dict__.items() if k != "_leans"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._leans = {}

    def language_of(self, word: str) -> str | None:
        if len(word) < 3 or word[0].isdigit():
            return None
        lean = self.lean(word)
        best = max(lean, key=lambda lang: lean[lang])
        others = [lean[lang] for lang in LANGUAGES if lang != best]
        return best if all(lean[best] - other >= _SPELLING_MARGIN for other in others) else None


class LanguageDetector:
    """Tells Italian from English by the words each language alone uses, in grammar and in the knowledge base, and,
    for other words, by how they are spelt."""

    def __init__(self, kb: KnowledgeBase | None = None, *, read: Callable[[str], list[str]] = words) -> None:
        """`read`: how a text becomes its words (`words`, or a memo of it shared with the index being built)."""
        vocab: dict[str, set[str]] = {"it": set(STOPWORDS_IT), "en": set(STOPWORDS_EN)}
        # Each text is read into words once, for both the word lists and the spelling model. The function words one
        # by one, in a fixed order: joined, they were longer than `words` reads, and which of them it read changed
        # with each process's string hashing.
        text_words: dict[str, list[str]] = {
            lang: [w for sw in sorted(vocab[lang]) for w in words(sw)] for lang in LANGUAGES
        }
        if kb is not None:
            for entry in kb.entries.values():
                for lang in LANGUAGES:
                    for text in entry.questions[lang]:
                        text_words[lang].extend(read(text))
                    if entry.answer:
                        text_words[lang].extend(read(entry.answer.get(lang)))
            for lang in LANGUAGES:
                vocab[lang].update(text_words[lang])
        shared = vocab["it"] & vocab["en"]
        self._only = {lang: frozenset(vocab[lang] - shared) for lang in LANGUAGES}
        self._function = {"it": STOPWORDS_IT - STOPWORDS_EN, "en": STOPWORDS_EN - STOPWORDS_IT}
        self._spelling = SpellingModel(text_words)

    def scores(self, text: str, *, attested_only: bool = False) -> dict[str, float]:
        """`attested_only`: only words the knowledge base or the grammar lists, not guesses from spelling."""
        scores = dict.fromkeys(LANGUAGES, 0.0)
        # "Schierenbeck's email?": the possessive is English grammar, whatever the words around it
        scores["en"] += _FUNCTION_WORD_WEIGHT * len(_POSSESSIVE.findall(text))
        for written in words(_without_codes(text), shorthand=False):
            if written in _EITHER_LANGUAGE:
                continue
            if written in _ENGLISH_SHORTHAND:  # "pls", "thx": English, but Italians type them too
                scores["en"] += 0.0 if attested_only else _SPELLING_WEIGHT
                continue
            lang, weight = self._evidence(ABBREVIATIONS.get(written, written))
            if lang and not (attested_only and weight == _SPELLING_WEIGHT):
                scores[lang] += weight
        return scores

    def _evidence(self, token: str) -> tuple[str | None, float]:
        for lang in LANGUAGES:
            if token in self._function[lang]:
                return lang, _FUNCTION_WORD_WEIGHT
        for lang in LANGUAGES:
            if token in self._only[lang]:
                return lang, 1.0
        if any(token in self._function[lang] or token in self._only[lang] for lang in LANGUAGES):
            return None, 0.0
        if token in STOPWORDS_IT or token in STOPWORDS_EN:
            return None, 0.0  # a function word of both languages ("a", "per")
        return self._spelling.language_of(token), _SPELLING_WEIGHT

    def detect(self, text: str) -> str | None:
        """The language the text shows clearly enough to overrule the Telegram app's language, else None: words
        only one language uses, or a sentence that leans one way."""
        scores = self.scores(text)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        (best, best_score), (_, second_score) = ranked[0], ranked[1]
        content = [t for t in words(text) if not t[0].isdigit()]
        lead = best_score - second_score
        decisive = lead >= _DECISIVE_MARGIN if len(content) < 3 else lead > 0
        return best if decisive else None

    def guess(self, text: str) -> str | None:
        """A weaker reading ("deadline??" is spelt like English): used when nothing better is known."""
        scores = self.scores(text)
        if scores["it"] != scores["en"]:
            return max(scores, key=lambda lang: scores[lang])
        # "big data analytics in scope?": a word the knowledge base uses in one language only outweighs words that
        # are merely spelt like the other ("data", "scope")
        attested = self.scores(text, attested_only=True)
        if attested["it"] != attested["en"]:
            return max(attested, key=lambda lang: attested[lang])
        lean = dict.fromkeys(LANGUAGES, 0.0)
        for token in words(_without_codes(text), shorthand=False):
            if len(token) >= 3 and not token[0].isdigit() and token not in _NOT_SPELLING:
                for lang, value in self._spelling.lean(token).items():
                    lean[lang] += value
        if lean["it"] == lean["en"]:
            return None
        return max(lean, key=lambda lang: lean[lang])


def client_language(language_code: str | None) -> str | None:
    """Telegram's `language_code` ("it", "en-GB", "de") as a reply language; other languages read English."""
    if not language_code:
        return None
    return "it" if language_code.lower().startswith("it") else "en"


def choose_language(
    *,
    explicit: str | None,
    detected: str | None,
    telegram: str | None,
    guessed: str | None = None,
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """First of: the user's stored choice, the question's language, the Telegram client's language, a guess from
    the spelling of its words, the default."""
    for candidate in (explicit, detected, client_language(telegram), guessed):
        if candidate in LANGUAGES:
            return candidate
    return default

"""Which language to reply in: explicit choice > the question's own language > Telegram client language > default."""

from bot.knowledge.model import LANGUAGES, KnowledgeBase
from bot.matching.lexicon import STOPWORDS_EN, STOPWORDS_IT
from bot.matching.text import words

DEFAULT_LANGUAGE = "it"
_FUNCTION_WORD_WEIGHT = 2.0
_SPELLING_WEIGHT = 0.5


class LanguageDetector:
    """Tells Italian from English by the words each language alone uses, in grammar and in the knowledge base."""

    def __init__(self, kb: KnowledgeBase | None = None) -> None:
        vocab: dict[str, set[str]] = {"it": set(STOPWORDS_IT), "en": set(STOPWORDS_EN)}
        if kb is not None:
            for entry in kb.entries.values():
                for lang in LANGUAGES:
                    vocab[lang].update(w for q in entry.questions[lang] for w in words(q))
                    if entry.answer:
                        vocab[lang].update(words(entry.answer.get(lang)))
        shared = vocab["it"] & vocab["en"]
        self._only = {lang: frozenset(vocab[lang] - shared) for lang in LANGUAGES}
        self._function = {"it": STOPWORDS_IT - STOPWORDS_EN, "en": STOPWORDS_EN - STOPWORDS_IT}

    def scores(self, text: str) -> dict[str, float]:
        tokens = words(text)
        return {lang: sum(self._weight(lang, t) for t in tokens) for lang in LANGUAGES}

    def _weight(self, lang: str, token: str) -> float:
        if token in self._function[lang]:
            return _FUNCTION_WORD_WEIGHT
        if token in self._only[lang]:
            return 1.0
        if any(token in self._only[other] or token in self._function[other] for other in LANGUAGES):
            return 0.0
        return _SPELLING_WEIGHT if _spelling_language(token) == lang else 0.0

    def detect(self, text: str) -> str | None:
        """The language of `text`, or None when it has fewer than two words or is too mixed to tell."""
        if sum(1 for token in words(text) if not token[0].isdigit()) < 2:
            return None
        return self._best(text)

    def guess(self, text: str) -> str | None:
        """A weaker reading for one-word messages ("thanks", "scadenza"): used only when nothing better is known."""
        return self._best(text)

    def _best(self, text: str) -> str | None:
        scores = self.scores(text)
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        (best, best_score), (_, second_score) = ranked[0], ranked[1]
        return best if best_score > second_score else None


def _spelling_language(token: str) -> str | None:
    """A weak clue for words no list knows: Italian words end in a vowel, English ones mostly do not."""
    if len(token) < 3 or token[0].isdigit():
        return None
    if token[-1] in "aio":
        return "it"
    return None if token[-1] in "eu" else "en"


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
    a single word, the default."""
    for candidate in (explicit, detected, client_language(telegram), guessed):
        if candidate in LANGUAGES:
            return candidate
    return default

"""Turn a text into matching terms: stop words out, synonyms and phrases into shared concepts, words stemmed."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.matching.lexicon import MONTH_GROUPS, QUESTION_WORDS, STOPWORDS_EN, STOPWORDS_IT
from bot.matching.text import stem, words

CONCEPT_PREFIX = "~"
_UNSEEN = "\0"  # not a key: a memo's "not looked at yet"


@dataclass(frozen=True)
class Term:
    """One unit of meaning in a text: `key` is what is compared, `surface` the words it came from."""

    key: str
    surface: str


def _stem(word: str) -> str:
    """A word's stem; a concept a phrase became ("~scadenza") is its own."""
    return word if word.startswith(CONCEPT_PREFIX) else stem(word)


class Analyzer:
    """Knows the vocabulary of one knowledge base (its synonyms and filler words) and applies it to texts."""

    def __init__(self, synonyms: Iterable[Sequence[str]] = (), ignore: Iterable[str] = ()) -> None:
        self.stopwords = STOPWORDS_IT | STOPWORDS_EN | {w for phrase in ignore for w in words(phrase)}
        self._single: dict[str, str] = {}
        self._phrases: dict[tuple[str, ...], str] = {}
        # Phrases whose meaning is in their small words: "entro quando" is a deadline, but without "entro" it would
        # be any "quando"; "by when", "start-up". Read on all the words of a text, before small words are dropped.
        self._word_phrases: dict[tuple[str, ...], str] = {}
        self._word_phrase_lengths: dict[str, list[int]] = {}
        # Synonyms read as another group's word, as (group, word, that group's concept): they share a stem, and the
        # group read first keeps it ("informazioni" and "informale" are both "inform"). `validate` warns of them.
        self.merged: list[tuple[tuple[str, ...], str, str]] = []
        for group in (*QUESTION_WORDS, *MONTH_GROUPS, *synonyms):
            self._add_group(group)
        self._phrase_stems = {s for phrase in self._phrases for s in phrase}
        # For each first stem, the lengths of the phrases that start with it, longest first.
        lengths: dict[str, set[int]] = {}
        for phrase in self._phrases:
            lengths.setdefault(phrase[0], set()).add(len(phrase))
        self._phrase_lengths = {first: sorted(ns, reverse=True) for first, ns in lengths.items()}

    def _add_group(self, group: Sequence[str]) -> None:
        concept_words = self.content_words(group[0]) or words(group[0])
        concept = CONCEPT_PREFIX + "_".join(concept_words)
        for item in group:
            stems = tuple(stem(w) for w in self.content_words(item))
            if len(stems) == 1:
                meaning = self._single.setdefault(stems[0], concept)
            elif stems:
                meaning = self._phrases.setdefault(stems, concept)
            all_words = tuple(words(item))
            if len(all_words) > len(stems) and len(all_words) > 1 and (not stems or meaning != concept):
                self._word_phrases.setdefault(all_words, concept)
                lengths = self._word_phrase_lengths.setdefault(all_words[0], [])
                lengths[:] = sorted({*lengths, len(all_words)}, reverse=True)
            elif stems and meaning != concept:
                self.merged.append((tuple(group), item, meaning))

    def content_words(self, text: str) -> list[str]:
        return self.without_stopwords(words(text))

    def without_stopwords(self, tokens: Sequence[str]) -> list[str]:
        """The content words of a text already read into words (phrases whose meaning is in their small words
        become their concept first)."""
        if self._word_phrase_lengths and any(w in self._word_phrase_lengths for w in tokens):
            tokens = self._with_word_phrases(tokens)
        return [w for w in tokens if w not in self.stopwords]

    def _with_word_phrases(self, tokens: Sequence[str]) -> list[str]:
        joined: list[str] = []
        i = 0
        while i < len(tokens):
            for n in self._word_phrase_lengths.get(tokens[i], ()):
                concept = self._word_phrases.get(tuple(tokens[i : i + n]))
                if concept:
                    joined.append(concept)
                    i += n
                    break
            else:
                joined.append(tokens[i])
                i += 1
        return joined

    def read_phrasing(self, tokens: Sequence[str], memo: dict[str, str | None]) -> tuple[list[str], list[str]]:
        """(content words, keys) of a text already read into words: `without_stopwords`, then `keys_of_words`, in
        one pass for the usual text. `memo`: each word's key (None for a stop word, "" for a word that takes the
        general path), kept by the caller while it reads many texts (the index: every phrasing and answer)."""
        content: list[str] = []
        keys: list[str] = []
        for token in tokens:
            key = memo.get(token, _UNSEEN)
            if key is _UNSEEN:
                key = memo[token] = self._word_key(token)
            if key is None:
                continue
            if not key:  # a phrase may start here
                content = self.without_stopwords(tokens)
                return content, self.keys_of_words(content)
            content.append(token)
            keys.append(key)
        return content, keys

    def _word_key(self, token: str) -> str | None:
        if token in self._word_phrase_lengths:
            return ""
        if token in self.stopwords:
            return None
        word_stem = _stem(token)
        return "" if word_stem in self._phrase_lengths else self._single.get(word_stem, word_stem)

    def is_known_stem(self, word_stem: str) -> bool:
        """Whether a stem is part of a synonym group (so it never needs spelling correction)."""
        return word_stem in self._single or word_stem in self._phrase_stems

    def terms_of_words(self, content: Sequence[str]) -> list[Term]:
        """Terms of already-filtered content words, longest synonym phrase first."""
        return [Term(key, " ".join(content[start:end])) for key, start, end in self._segments(content)]

    def keys_of_words(self, content: Sequence[str]) -> list[str]:
        """The keys of `terms_of_words` alone (building the index needs nothing else)."""
        return [key for key, _, _ in self._segments(content)]

    def _segments(self, content: Sequence[str]) -> list[tuple[str, int, int]]:
        """(key, start, end) of each term of the content words."""
        stems = [_stem(w) for w in content]
        segments: list[tuple[str, int, int]] = []
        i = 0
        while i < len(stems):
            for n in self._phrase_lengths.get(stems[i], ()):
                concept = self._phrases.get(tuple(stems[i : i + n])) if i + n <= len(stems) else None
                if concept:
                    segments.append((concept, i, i + n))
                    i += n
                    break
            else:
                segments.append((self._single.get(stems[i], stems[i]), i, i + 1))
                i += 1
        return segments

    def terms(self, text: str) -> list[Term]:
        return self.terms_of_words(self.content_words(text))

"""Correct misspelt words against the words the knowledge base actually uses ("scadneza" -> "scadenza").

One-edit corrections use a symmetric-delete index (as in SymSpell): every known word is stored under itself and
under each form with one letter deleted, so an insertion, deletion, substitution or swap of neighbours in the
question is found with a handful of dictionary lookups, whatever the size of the knowledge base. Two edits are
tried only for long words, with rapidfuzz over the long known words.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

#: Shorter words are left alone, but for a doubled letter typed single in a word one shorter ("aply"): one edit turns
#: them into too many other words ("apri" -> "agri").
MIN_LENGTH = 5
#: Two edits only for long words, and only between words of nearly equal length: two deletions turn many
#: unrelated words into known ones ("presidente" -> "presente", "terminale" -> "termine").
TWO_EDITS_FROM = 10
_CACHE_LIMIT = 50_000
_SEPARATOR = " "  # never inside a word (words are tokens of letters, digits, '.' and ',')


def allowed_edits(word: str, candidate_length: int) -> int:
    """Edits (insert, delete, substitute, swap neighbours) tolerated between `word` and a known word."""
    if len(word) >= TWO_EDITS_FROM and abs(len(word) - candidate_length) <= 1:
        return 2
    return 1


def deletions(word: str) -> set[str]:
    """The word with one letter left out, each way."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class SpellingCorrector:
    """Maps an unknown word to the closest known word within the allowed edits; frequent words win ties."""

    def __init__(self, known_words: Iterable[str]) -> None:
        every = Counter(known_words)  # counted first, then filtered: each distinct word is looked at once
        counts = Counter({w: n for w, n in every.items() if len(w) >= MIN_LENGTH - 1 and not w.isdigit()})
        self._frequency = counts
        by_delete: dict[str, list[str]] = defaultdict(list)
        self._long_words: dict[int, list[str]] = defaultdict(list)
        for word, _ in counts.most_common():
            for key in {word} | deletions(word):
                by_delete[key].append(word)
            if len(word) >= TWO_EDITS_FROM - 1:
                self._long_words[len(word)].append(word)
        # Each key's words as one string: most keys have one word, which is then the word itself, not a list of
        # it (fewer objects for the bot's whole life, and quick to store in the assistant cache).
        self._by_delete = _JoinedWords({key: _SEPARATOR.join(words) for key, words in by_delete.items()})
        self._cache: dict[str, str | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        """For the assistant cache: no corrections remembered from questions."""
        return {**self.__dict__, "_cache": {}}

    def correct(self, word: str) -> str | None:
        """The known word meant, or None when nothing is close enough."""
        if len(word) < MIN_LENGTH - 1 or word.isdigit():
            return None
        if word in self._cache:
            return self._cache[word]
        if len(word) < MIN_LENGTH:
            corrected = self._doubled_letter(word)
        else:
            corrected = self._one_edit(word) or self._two_edits(word)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = corrected
        return corrected

    def _one_edit(self, word: str) -> str | None:
        candidates = {c for key in {word} | deletions(word) for c in self._by_delete.get(key, ())}
        close = [c for c in candidates if OSA.distance(word, c) <= 1 and _same_start(word, c)]
        # Most frequent first, then alphabetical, so the choice never depends on set order.
        return min(close, key=lambda c: (-self._frequency[c], c)) if close else None

    def _doubled_letter(self, word: str) -> str | None:
        """A short word typed with a doubled letter single ("aply" -> "apply", "helo" -> "hello"): the one slip
        short words are corrected for, as other edits turn them into too many words."""
        doubled = [w for w in {word[: i + 1] + word[i:] for i in range(len(word))} if w in self._frequency]
        return min(doubled, key=lambda w: (-self._frequency[w], w)) if doubled else None

    def _two_edits(self, word: str) -> str | None:
        if len(word) < TWO_EDITS_FROM:
            return None
        best: tuple[int, int, str] | None = None
        for length in (len(word) - 1, len(word), len(word) + 1):
            choices = self._long_words.get(length)
            if not choices:
                continue
            found = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=allowed_edits(word, length))
            if found:
                key = (int(found[1]), -self._frequency[found[0]], found[0])
                best = min(best, key) if best else key
        return best[2] if best else None


def _same_start(word: str, known: str) -> bool:
    """People seldom mistype a word's first letter, and a word one letter off at its start is mostly another real
    word ("binding" is not "finding", "watch" not "match"): a correction keeps the first letter, or swaps the first
    two ("cosme" for "ocsme"). Measured on the tuning sets: one false answer fewer, no typo lost."""
    return word[0] == known[0] or (len(word) > 1 and len(known) > 1 and word[:2] == known[1::-1])


class _JoinedWords:
    """The delete index of a stored corrector: a key's words are split out when asked for."""

    def __init__(self, joined: Mapping[str, str]) -> None:
        self._joined = joined

    def get(self, key: str, default: tuple[str, ...] = ()) -> list[str] | tuple[str, ...]:
        words = self._joined.get(key)
        return default if words is None else words.split(_SEPARATOR)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_JoinedWords, (self._joined,))

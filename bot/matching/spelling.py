"""Correct misspelt words against the words the knowledge base actually uses ("scadneza" -> "scadenza")."""

from collections import Counter, defaultdict
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

#: Shorter words are left alone: one edit turns them into too many other words ("apri" -> "agri").
MIN_LENGTH = 5
#: Two edits only for long words, and only between words of nearly equal length: two deletions turn many
#: unrelated words into known ones ("presidente" -> "presente", "terminale" -> "termine").
TWO_EDITS_FROM = 10


def allowed_edits(word: str, candidate_length: int) -> int:
    """Edits (insert, delete, substitute, swap neighbours) tolerated between `word` and a known word."""
    if len(word) >= TWO_EDITS_FROM and abs(len(word) - candidate_length) <= 1:
        return 2
    return 1


class SpellingCorrector:
    """Maps an unknown word to the closest known word within a few edits; frequent words win ties."""

    def __init__(self, known_words: Iterable[str]) -> None:
        counts = Counter(w for w in known_words if len(w) >= MIN_LENGTH - 1 and not w.isdigit())
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word, _ in counts.most_common():
            self._by_length[len(word)].append(word)
        self._cache: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        """The known word meant, or None when nothing is close enough."""
        if len(word) < MIN_LENGTH or word.isdigit():
            return None
        if word in self._cache:
            return self._cache[word]
        best: tuple[str, int] | None = None
        for length in range(len(word) - 1, len(word) + 2):
            choices = self._by_length.get(length)
            if not choices:
                continue
            found = process.extractOne(word, choices, scorer=OSA.distance, score_cutoff=allowed_edits(word, length))
            if found and (best is None or found[1] < best[1]):
                best = (found[0], found[1])
        corrected = best[0] if best else None
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[word] = corrected
        return corrected

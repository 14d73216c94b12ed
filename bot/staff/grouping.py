"""Group near-duplicate unanswered questions, so staff review each question once instead of once per asker.

Similarity is lexical and uses the matcher's own analyzer, so synonyms (also across Italian and English), stop
words and stemming behave exactly as when answering. Three steps:

1. Typos are fixed against the questions themselves: a word the vocabulary does not know is replaced by a more
   common word of the same batch one edit away ("erasmsu" -> "erasmus"). Doing this once per word, rather than
   comparing words per pair of questions, keeps typo tolerance cheap and lets the set measure below see it.
2. Two questions are similar when the weighted Jaccard of their term sets reaches the threshold. A term weighs its
   rarity in the batch (IDF), so the word that tells "erasmus deadline" from "erasmus budget" dominates the words
   they share; question words ("when", "quando") weigh half, since they mostly repeat what the content says.
3. Groups form around leaders, the most asked phrasings: each question joins the leader it is most similar to,
   if any reaches the threshold (joining every similar pair instead chains unrelated questions together).
   Candidate leaders come from prefix filtering, so thousands of questions group in well under a second.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.matching.analyzer import Analyzer
from bot.matching.lexicon import QUESTION_WORDS
from bot.matching.text import stem, words
from bot.storage.records import UnansweredRecord

#: Weighted Jaccard from which two questions count as the same. On the corpus of tests/test_staff_grouping.py
#: every threshold from 0.51 to 0.56 gives the expected partition; this is the middle of that window.
DEFAULT_THRESHOLD = 0.53
#: Weight of question words relative to their rarity: they carry intent, but less than the content words.
QUESTION_WORD_FACTOR = 0.5
#: Words of a question beyond this are ignored (long messages are pasted text, not questions).
MAX_WORDS = 60
MAX_SAMPLES = 3
#: Typo policy, kept apart from the matcher's (which corrects towards the knowledge base, not a batch): words
#: shorter than this are never corrected, one edit is allowed, two from TWO_EDITS_FROM letters between words of
#: nearly equal length (more edits turn unrelated words into each other).
MIN_TYPO_LENGTH = 5
TWO_EDITS_FROM = 10
_EPSILON = 1e-9


@dataclass(frozen=True)
class QuestionGroup:
    """Questions that ask the same thing; `samples[i]` was asked in language `sample_langs[i]`."""

    ids: tuple[int, ...]  # ascending
    first_asked: datetime
    last_asked: datetime
    langs: tuple[str, ...]  # sorted
    samples: tuple[str, ...]  # up to 3 distinct phrasings, most recent first
    sample_langs: tuple[str, ...]

    @property
    def key(self) -> int:
        """The smallest record id: stable whatever the order of records, so buttons can name the group."""
        return min(self.ids)

    @property
    def count(self) -> int:
        return len(self.ids)


def group_questions(
    records: Sequence[UnansweredRecord], analyzer: Analyzer, *, threshold: float = DEFAULT_THRESHOLD
) -> list[QuestionGroup]:
    """Partition the records into groups of near-duplicates, most asked first, then most recently asked."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    term_sets = question_terms([record.text for record in records], analyzer)
    weights = _term_weights(term_sets, analyzer)
    leaders = _assign_leaders(term_sets, [record.id for record in records], weights, threshold)
    members: dict[tuple[str, object], list[UnansweredRecord]] = defaultdict(list)
    for record, terms in zip(records, term_sets, strict=True):
        # Questions with no content words ("???", "ok") group only with the same words, out of the way.
        label = ("terms", leaders[terms]) if terms else ("words", " ".join(words(record.text)))
        members[label].append(record)
    groups = [_make_group(group) for group in members.values()]
    groups.sort(key=lambda g: g.key)
    groups.sort(key=lambda g: (g.count, g.last_asked), reverse=True)  # stable: equal groups keep key order
    return groups


def question_terms(texts: Sequence[str], analyzer: Analyzer) -> list[frozenset[str]]:
    """The matcher's terms of each text, after correcting typos against the other texts of the batch."""
    contents = [analyzer.content_words(text)[:MAX_WORDS] for text in texts]
    corrections = typo_corrections(contents, analyzer)
    return [
        frozenset(t.key for t in analyzer.terms_of_words([corrections.get(w, w) for w in content]))
        for content in contents
    ]


# -- typos -----------------------------------------------------------------------------------------------------


def typo_corrections(contents: Sequence[Sequence[str]], analyzer: Analyzer) -> dict[str, str]:
    """Map each correctable word to the word it most likely misspells among the batch's own words.

    Only words the vocabulary does not know are corrected, and only towards a word that ranks higher (known to the
    vocabulary, then asked in more questions, then alphabetical), so corrections never loop. Typos rarely hit the
    first letter, so candidates must share it: that avoids merging e.g. "banking"/"ranking" and cuts comparisons.
    """
    counts = Counter(word for content in contents for word in set(content))
    known = {word for word in counts if analyzer.is_known_stem(stem(word))}

    def rank(word: str) -> tuple[bool, int, str]:
        return (word in known, counts[word], word)

    buckets: dict[tuple[str, int], list[str]] = defaultdict(list)
    for word in counts:
        buckets[(word[0], len(word))].append(word)
    direct: dict[str, str] = {}
    for word in counts:
        if word in known or len(word) < MIN_TYPO_LENGTH or any(ch.isdigit() for ch in word):
            continue
        found = []
        for length in range(len(word) - 1, len(word) + 2):
            choices = [other for other in buckets.get((word[0], length), ()) if rank(other) > rank(word)]
            edits = 2 if len(word) >= TWO_EDITS_FROM else 1
            found += process.extract(word, choices, scorer=OSA.distance, score_cutoff=edits, limit=None)
        if found:
            nearest = min(distance for _, distance, _ in found)
            direct[word] = max((other for other, distance, _ in found if distance == nearest), key=rank)
    return {word: _follow(direct, word) for word in direct}


def _follow(direct: dict[str, str], word: str) -> str:
    while word in direct:
        word = direct[word]
    return word


# -- similarity --------------------------------------------------------------------------------------------------


def _term_weights(term_sets: Sequence[frozenset[str]], analyzer: Analyzer) -> dict[str, float]:
    """IDF over the batch: a term most questions share says little about which question it is."""
    question_words = {t.key for group in QUESTION_WORDS for t in analyzer.terms(group[0])}
    frequency = Counter(term for terms in term_sets for term in terms)
    total = len(term_sets)
    return {
        term: math.log(1 + total / count) * (QUESTION_WORD_FACTOR if term in question_words else 1.0)
        for term, count in frequency.items()
    }


def weighted_jaccard(a: Iterable[str], b: Iterable[str], weights: dict[str, float]) -> float:
    """Weight of the shared terms over the weight of all terms of either question."""
    set_a, set_b = set(a), set(b)
    union = sum(weights[t] for t in set_a | set_b)
    return sum(weights[t] for t in set_a & set_b) / union if union else 0.0


def _assign_leaders(
    term_sets: Sequence[frozenset[str]], order_ids: Sequence[int], weights: dict[str, float], threshold: float
) -> dict[frozenset[str], frozenset[str]]:
    """Map each distinct term set to the leader of its group (leaders map to themselves).

    Leader clustering rather than joining every similar pair: pairs chain ("gora contact" ~ "gora" ~ "gora
    registration") and on large batches single linkage grows one group of thousands of unrelated questions. Here
    term sets are taken most asked first (then oldest), and each joins the most similar leader it reaches the
    threshold with, or becomes a leader itself, so every member is close to the group's most asked phrasing.

    Candidate leaders come from prefix filtering: with terms in one global order (heaviest, i.e. rarest, first), a
    set's prefix is its shortest head whose tail weighs less than threshold x the set's weight. Two sets that reach
    the threshold share more weight than either tail, so the first shared term in that order lies in both
    prefixes; pairs that meet on no prefix term are never compared.
    """
    asked: dict[frozenset[str], list[int]] = defaultdict(list)
    for terms, record_id in zip(term_sets, order_ids, strict=True):
        if terms:
            asked[terms].append(record_id)
    leaders: list[frozenset[str]] = []
    by_prefix_term: dict[str, list[int]] = defaultdict(list)
    assigned: dict[frozenset[str], frozenset[str]] = {}
    for terms in sorted(asked, key=lambda t: (-len(asked[t]), min(asked[t]))):
        prefix = _prefix(sorted(terms, key=lambda t: (-weights[t], t)), weights, threshold)
        best: tuple[float, int] | None = None
        for position in sorted({p for term in prefix for p in by_prefix_term[term]}):
            similarity = weighted_jaccard(terms, leaders[position], weights)
            if similarity >= threshold - _EPSILON and (best is None or similarity > best[0]):
                best = (similarity, position)
        if best is not None:
            assigned[terms] = leaders[best[1]]
            continue
        assigned[terms] = terms
        for term in prefix:
            by_prefix_term[term].append(len(leaders))
        leaders.append(terms)
    return assigned


def _prefix(ordered: Sequence[str], weights: dict[str, float], threshold: float) -> list[str]:
    total = sum(weights[t] for t in ordered)
    remaining = total
    prefix = []
    for term in ordered:
        if remaining < threshold * total - _EPSILON:
            break
        prefix.append(term)
        remaining -= weights[term]
    return prefix


# -- groups ----------------------------------------------------------------------------------------------------


def group_candidates(records: Iterable[UnansweredRecord]) -> list[str]:
    """The entries the bot had in mind for a group's questions (stored with each), most likely first: each
    entry's scores summed over the questions, so one that came up for many of them ranks above a single near miss."""
    totals: dict[str, float] = defaultdict(float)
    for record in records:
        for entry_id, score in record.candidates:
            totals[entry_id] += score
    return sorted(totals, key=lambda entry_id: (-totals[entry_id], entry_id))


def _make_group(records: Sequence[UnansweredRecord]) -> QuestionGroup:
    newest_first = sorted(records, key=lambda r: (r.asked_at, r.id), reverse=True)
    samples: list[UnansweredRecord] = []
    seen: set[str] = set()
    for record in newest_first:
        phrasing = " ".join(words(record.text)) or record.text.strip()
        if phrasing not in seen and len(samples) < MAX_SAMPLES:
            seen.add(phrasing)
            samples.append(record)
    return QuestionGroup(
        ids=tuple(sorted(r.id for r in records)),
        first_asked=newest_first[-1].asked_at,
        last_asked=newest_first[0].asked_at,
        langs=tuple(sorted({r.lang for r in records})),
        samples=tuple(r.text.strip() for r in samples),
        sample_langs=tuple(r.lang for r in samples),
    )

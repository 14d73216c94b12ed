"""Rank knowledge-base entries for a question by weighted term overlap with their phrasings.

Each phrasing is a set of terms (see analyzer). A term's weight is how much seeing it says about which entry is
meant, learnt from where the knowledge base uses it: "settori" in most sector phrasings points at the sector
entries, "coinvolti" once in one phrasing points at little. For a question Q and a phrasing P, recall
weight(Q∩P)/weight(Q) says how much of the question the phrasing explains, and precision weight(Q∩P)/weight(P) how
much of the phrasing the question asked about. Recall is blended with the share of the question the entry as a
whole explains (all its phrasings and its answer), and the score is the F-measure of the two. A question must be
explained: an unexplained word such as "Erasmus" in "deadline for Erasmus?" sinks the score, while a short question
may still match a longer phrasing. Words the knowledge base never uses count as unknown terms with a high weight,
after spelling correction had its chance. An entry scores as its best phrasing, with its second best as support.
Apart from the ranking, the index knows each phrasing's exact words (`exact_entry`).
"""

import functools
import hashlib
import itertools
import math
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.knowledge.model import LANGUAGES, SMALLTALK_TOPIC, KnowledgeBase
from bot.matching.analyzer import Analyzer
from bot.matching.answer_text import searchable_answer
from bot.matching.lexicon import COMMON_WORDS, says_little
from bot.matching.reading import Words
from bot.matching.spelling import SpellingCorrector, deletions
from bot.matching.text import stem, words

#: Words of a question beyond this are not read (long messages are pasted text, not questions).
MAX_QUERY_WORDS = 60
#: Up to this length, a word one edit from a small word may be a word of its own ("aglio", garlic, is not "agli");
#: a longer one is the small word mistyped ("exaclty", "somthing").
MIN_MISTYPED_STOPWORD = 5


@dataclass(frozen=True)
class ScoringSettings:
    """Shape of the score; calibrated with benchmarks/calibrate.py on the tuning sets."""

    beta: float = 1.0
    unknown_weight: float = 1.0  # weight of a word the knowledge base never uses, relative to the rarest term
    # An unknown word that is common in Italian or English ("ogni", "went", "earlier") says little about what is
    # asked, unlike an unknown name ("Erasmus"): it counts this much of an unknown word.
    common_unknown: float = 0.25
    # Share of an entry's score that comes from its second-best phrasing: one exact phrasing of two entries is a
    # tie, and the entry with more phrasings close to the question is the likelier one.
    second_share: float = 0.2
    # Share of recall measured against everything an entry says (all its phrasings and its answer) rather than
    # its best phrasing alone: a question may combine words of several phrasings, or ask about a detail that
    # only the answer mentions ("does the call cover textiles?").
    entry_recall: float = 0.7
    evidence_prior: float = 0.5  # pseudo-uses spread over all entries: a term seen once tells little
    answer_evidence: float = 0.5  # an answer's use of a term counts this much of a phrasing's


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    explained: float = 1.0  # share of the question's weight that the entry as a whole uses
    key_missing: float = 0.0  # the largest share of the question's weight in one word the entry does not use


@dataclass(frozen=True)
class QueryTerms:
    """A text's terms: ids the index knows (with their keys) and words it does not."""

    known: tuple[int, ...]
    keys: tuple[str, ...]
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    candidates: tuple[Candidate, ...]  # best first
    terms: tuple[str, ...]  # the question's terms, as matched
    unknown: tuple[str, ...]  # words of the question the knowledge base does not use


class MatchIndex:
    """The searchable form of one knowledge base. Built once per (re)load; read-only afterwards."""

    def __init__(
        self,
        kb: KnowledgeBase,
        settings: ScoringSettings | None = None,
        *,
        read: Callable[[str], list[str]] = words,
    ) -> None:
        """`read`: how a phrasing becomes its words (`words`, or a memo of it shared with the language detector)."""
        self.settings = settings or ScoringSettings()
        self.analyzer = Analyzer(kb.synonyms, kb.ignore)
        self.entry_ids: list[str] = list(kb.entries)
        self.smalltalk = {e.id for e in kb.entries.values() if e.topic == SMALLTALK_TOPIC}
        self.declined = {e.id for e in kb.entries.values() if e.declined}
        term_ids: dict[str, int] = {}
        phrasing_terms: list[list[int]] = []
        phrasing_entry: list[int] = []
        answer_terms: list[tuple[int, int]] = []
        word_keys: dict[str, str | None] = {}  # each word's key, worked out once while the texts are read
        exact: dict[int, int] = {}  # a phrasing's words (their digest) -> its entry, or _AMBIGUOUS
        surfaces: list[str] = [w for group in kb.synonyms for item in group for w in self.analyzer.content_words(item)]
        for entry_index, entry in enumerate(kb.entries.values()):
            for lang in LANGUAGES:
                for question in entry.questions[lang]:
                    tokens = read(question)
                    if tokens:
                        digest = _exact_key(tokens)
                        exact[digest] = entry_index if exact.get(digest, entry_index) == entry_index else _AMBIGUOUS
                    content, phrasing_keys = self.analyzer.read_phrasing(tokens, word_keys)
                    surfaces.extend(content)
                    keys = set(phrasing_keys)
                    if keys:
                        phrasing_terms.append([term_ids.setdefault(k, len(term_ids)) for k in sorted(keys)])
                        phrasing_entry.append(entry_index)
            if entry.answer and entry.topic != SMALLTALK_TOPIC:  # "I can help with deadlines, sectors..." isn't that
                for lang in LANGUAGES:
                    answer = words(searchable_answer(entry.answer.get(lang), kb, lang))
                    content, answer_keys = self.analyzer.read_phrasing(answer, word_keys)
                    surfaces.extend(content)
                    for key in answer_keys:
                        answer_terms.append((entry_index, term_ids.setdefault(key, len(term_ids))))
        self.term_ids = term_ids
        exact_keys = sorted(exact)
        self._exact_keys = np.array(exact_keys, dtype=np.uint64)
        self._exact_entries = np.array([exact[k] for k in exact_keys], dtype=np.int32)
        self._known_stems = {stem(w) for w in set(surfaces)}
        self._mistyped_stopwords = _mistyped(self.analyzer.stopwords)
        self._corrector = SpellingCorrector(surfaces)
        self._phrasing_entry = np.array(phrasing_entry, dtype=np.int32)
        self._build_tables(phrasing_terms, answer_terms, n_terms=len(term_ids))

    def _build_tables(self, phrasing_terms: list[list[int]], answer_terms: list[tuple[int, int]], n_terms: int) -> None:
        """The term tables, from every (phrasing, term) and (entry, term) use, in whole-array steps: at 10,000
        entries there are a million uses, and a Python loop over them was most of building the index."""
        n_entries = max(len(self.entry_ids), 1)
        lengths = np.fromiter(map(len, phrasing_terms), dtype=np.int64, count=len(phrasing_terms))
        every_use = itertools.chain.from_iterable(phrasing_terms)
        flat_terms = np.fromiter(every_use, dtype=np.int64, count=int(lengths.sum()))
        flat_phrasings = np.repeat(np.arange(len(phrasing_terms), dtype=np.int32), lengths)
        per_term = np.bincount(flat_terms, minlength=n_terms)
        # each term's phrasings, ascending (a stable sort keeps the phrasings' order)
        self._postings = _split(flat_phrasings[np.argsort(flat_terms, kind="stable")], per_term)

        # how much each entry uses each term: a phrasing counts 1, an answer's word `answer_evidence`
        answers = np.array(answer_terms, dtype=np.int64).reshape(-1, 2)
        uses = np.concatenate(
            (flat_terms * n_entries + self._phrasing_entry[flat_phrasings], answers[:, 1] * n_entries + answers[:, 0])
        )
        evidence = np.concatenate((np.ones(len(flat_terms)), np.full(len(answers), self.settings.answer_evidence)))
        pairs, which = np.unique(uses, return_inverse=True)
        amounts = _sums(which.reshape(-1), evidence, len(pairs))
        term_of, entry_of = pairs // n_entries, (pairs % n_entries).astype(np.int32)
        self._entry_postings = _split(entry_of, np.bincount(term_of, minlength=n_terms))
        self._entry_sets = _EntrySets(self._entry_postings)
        self._weights = _information(term_of, amounts, n_terms, n_entries, self.settings.evidence_prior)
        self._unknown_weight = math.log(1 + n_entries) * self.settings.unknown_weight
        self._phrasing_norm = _sums(flat_phrasings, self._weights[flat_terms], len(phrasing_terms))
        smalltalk = np.array([e in self.smalltalk for e in self.entry_ids], dtype=bool)
        self._phrasing_is_smalltalk = smalltalk[self._phrasing_entry]
        # Terms only small talk uses ("ciao", "thanks"): they don't change what a question is about.
        other_uses = np.bincount(term_of[~smalltalk[entry_of]], minlength=n_terms)
        self._social_term = (np.bincount(term_of, minlength=n_terms) > 0) & (other_uses == 0)
        # Terms small talk uses at all ("aiuto", "explain"): conversation, which says little about the topic.
        self._conversational = np.zeros(n_terms, dtype=bool)
        self._conversational[flat_terms[self._phrasing_is_smalltalk[flat_phrasings]]] = True

    # -- stored in the assistant cache (bot/assistant_cache.py): the same index, in fewer objects ---------------------

    def __getstate__(self) -> dict[str, Any]:
        """Each list of per-term arrays as one array and its offsets (one object instead of one per term: quick to
        store and to load); the entry sets are left out, as they follow from the entry postings."""
        state = dict(self.__dict__)
        for name in _PACKED:
            state[name] = _pack(state[name])
        del state["_entry_sets"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in _PACKED:
            state[name] = _unpack(state[name])
        state["_entry_sets"] = _EntrySets(state["_entry_postings"])
        self.__dict__.update(state)

    def analyse(self, text: str) -> QueryTerms:
        """The terms of a text as this index knows them, after spelling correction."""
        content = self.analyzer.content_words(text)[:MAX_QUERY_WORDS]
        corrected = []
        for word in content:
            word_stem = stem(word)
            if word in COMMON_WORDS or word_stem in self._known_stems or self.analyzer.is_known_stem(word_stem):
                corrected.append(word)  # a common word ("forza", "say") is spelt right, not a typo of a rarer one
                continue
            meant = self._corrector.correct(word)
            if meant is None and (
                (len(word) > MIN_MISTYPED_STOPWORD and _everyday_corrector().correct(word) in self.analyzer.stopwords)
                or word in self._mistyped_stopwords
            ):
                continue  # "exaclty", "somthing", "teh": a small word mistyped says nothing about the question
            corrected.append(meant or word)
        known: list[int] = []
        keys: list[str] = []
        unknown: list[str] = []
        for term in self.analyzer.terms_of_words(corrected):
            term_id = self.term_ids.get(term.key)
            if term_id is None:
                if term.surface not in unknown:
                    unknown.append(term.surface)
            elif term_id not in known:
                known.append(term_id)
                keys.append(term.key)
        return QueryTerms(tuple(known), tuple(keys), tuple(unknown))

    def exact_entry(self, text: str) -> str | None:
        """The entry with a phrasing of exactly these words (case, accents and punctuation aside), if one entry
        alone has it: what staff wrote for a question is what that question gets."""
        tokens = words(text)
        if not tokens or not len(self._exact_keys):
            return None
        key = np.uint64(_exact_key(tokens))
        at = int(np.searchsorted(self._exact_keys, key))
        if at == len(self._exact_keys) or self._exact_keys[at] != key:
            return None
        entry = int(self._exact_entries[at])
        return self.entry_ids[entry] if entry != _AMBIGUOUS else None

    def words_of(self, text: str) -> Words:
        """Whether a text has no word to match, only greetings and thanks, or words about a topic."""
        terms = self.analyse(text)
        if not terms.known and not terms.unknown:
            return Words.NONE
        if not terms.unknown and all(self._social_term[t] for t in terms.known):
            return Words.SOCIAL
        return Words.TOPIC

    def topic_weight(self, terms: QueryTerms) -> float:
        """How much a text says about a topic: the weight of its known words, conversational ones aside (words small
        talk uses: "ci aiuta?", "can you explain?")."""
        return float(sum(self._weights[t] for t in terms.known if not self._conversational[t]))

    def rank(self, text: str, limit: int = 5) -> Ranking:
        return self.rank_parts([(self.analyse(text), 1.0)], limit)

    def rank_parts(self, parts: Sequence[tuple[QueryTerms, float]], limit: int = 5) -> Ranking:
        """Rank for a question made of parts that count differently: the question itself (1.0), the statements
        leading up to it and the sender's description (less). Unknown words count only in parts that count fully:
        a description may mention things the knowledge base need not know ("we are a consortium in Foggia")."""
        multiplier: dict[int, float] = {}
        keys: list[str] = []
        unknown: list[str] = []
        for terms, share in parts:
            for term_id, key in zip(terms.known, terms.keys, strict=True):
                if term_id not in multiplier:
                    keys.append(key)
                multiplier[term_id] = max(multiplier.get(term_id, 0.0), share)
            if share >= 1.0:
                unknown.extend(w for w in terms.unknown if w not in unknown)
        if not multiplier:
            return Ranking((), tuple(keys), tuple(unknown))
        known = list(multiplier)
        weights = self._weights[known] * np.array([multiplier[t] for t in known])
        unknown_weights = [
            self._unknown_weight * (self.settings.common_unknown if says_little(w) else 1.0) for w in unknown
        ]
        unknown_total = sum(unknown_weights)
        known_all = weights.sum()
        known_topic = weights[~self._social_term[known]].sum()

        overlap = np.zeros(len(self._phrasing_entry), dtype=np.float64)
        for term_id, weight in zip(known, weights, strict=True):
            overlap[self._postings[term_id]] += weight
        hits = np.flatnonzero(overlap)  # ascending, so each entry's phrasings are one run (phrasings are by entry)
        if not hits.size:  # words only answers use: no phrasing to compare with
            return Ranking((), tuple(keys), tuple(unknown))
        shared = overlap[hits]
        question_total = np.where(self._phrasing_is_smalltalk[hits], known_all, known_topic) + unknown_total
        entry_of_hit = self._phrasing_entry[hits]
        entry_overlap = self._entry_overlap(known, weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            recall = np.minimum(np.where(question_total > 0, shared / question_total, 0.0), 1.0)
            entry_recall = np.minimum(
                np.where(question_total > 0, entry_overlap[entry_of_hit] / question_total, 0.0), 1.0
            )
            share = self.settings.entry_recall
            recall = (1 - share) * recall + share * entry_recall
            precision = np.minimum(shared / self._phrasing_norm[hits], 1.0)
            beta2 = self.settings.beta**2
            denominator = beta2 * precision + recall
            f_score = np.divide(
                (1 + beta2) * precision * recall, denominator, out=np.zeros_like(denominator), where=denominator > 0
            )

        # Per entry (one run of hits each): the best phrasing, the second best (the best again on a tie) and how
        # much of the question the entry as a whole explains. Linear in the hits, whatever the entry count.
        starts = np.flatnonzero(np.concatenate(([True], entry_of_hit[1:] != entry_of_hit[:-1])))
        run_entries = entry_of_hit[starts]
        best = np.maximum.reduceat(f_score, starts)
        is_best = f_score == np.repeat(best, np.diff(np.append(starts, len(f_score))))
        tied = np.add.reduceat(is_best.astype(np.int32), starts) > 1
        runner_up = np.where(tied, best, np.maximum.reduceat(np.where(is_best, 0.0, f_score), starts))
        scores = (1 - self.settings.second_share) * best + self.settings.second_share * runner_up
        explained = np.maximum.reduceat(entry_recall, starts)
        if len(set(multiplier.values())) > 1:  # statements or the sender's description beside the question
            explained = np.maximum(
                explained, self._question_explained(known, weights, multiplier, unknown_total)[run_entries]
            )

        count = min(limit, len(scores))
        top = np.argpartition(-scores, count - 1)[:count] if count < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((run_entries[top], -scores[top]))]  # best first; ties in knowledge-base order
        topic_total = float(known_topic + unknown_total) or 1.0
        candidates = tuple(
            Candidate(
                self.entry_ids[run_entries[i]],
                round(float(scores[i]), 4),
                round(float(explained[i]), 4),
                round(self._key_missing(int(run_entries[i]), known, weights, unknown_weights) / topic_total, 4),
            )
            for i in top
            if scores[i] > 0
        )
        return Ranking(candidates, tuple(keys), tuple(unknown))

    def _entry_overlap(self, known: list[int], weights: np.ndarray) -> np.ndarray:
        """Per entry, the weight of the question's terms it uses anywhere (phrasings or answer)."""
        overlap = np.zeros(len(self.entry_ids), dtype=np.float64)
        for term_id, weight in zip(known, weights, strict=True):
            overlap[self._entry_postings[term_id]] += weight
        return overlap

    def _question_explained(
        self, known: list[int], weights: np.ndarray, multiplier: dict[int, float], unknown_total: float
    ) -> np.ndarray:
        """Per entry, the share of the question proper (the parts that count fully) that it uses: what leads up
        to a question and what the sender says about themselves may add to how well an entry explains it, never
        take away ("we are a technology centre in Stuttgart, ... how do we find partners?")."""
        proper = np.where([multiplier[t] >= 1.0 for t in known], weights, 0.0)
        total = unknown_total + float(proper[~self._social_term[known]].sum())
        overlap = self._entry_overlap(known, proper)
        return np.minimum(overlap / total, 1.0) if total > 0 else overlap

    def _key_missing(self, entry: int, known: list[int], weights: np.ndarray, unknown: list[float]) -> float:
        """The weight of the heaviest question word the entry never uses (an unknown word counts as unused)."""
        unused = [
            float(w)
            for t, w in zip(known, weights, strict=True)
            if not self._social_term[t] and entry not in self._entry_sets[t]
        ]
        return max([*unused, *unknown], default=0.0)


def _information(term_of: np.ndarray, amounts: np.ndarray, n_terms: int, n_entries: int, prior: float) -> np.ndarray:
    """How much seeing each term says about which entry is meant: log N minus the entropy of the entries it is used
    in, its uses smoothed by `prior` pseudo-uses spread over all entries (so a term used once says less than a term
    used in most phrasings of a few entries). `term_of` and `amounts`: each (term, entry) use and how much it is."""
    used_in = np.bincount(term_of, minlength=n_terms)
    total = _sums(term_of, amounts, n_terms) + prior
    p = (amounts + prior / n_entries) / total[term_of]
    entropy = -_sums(term_of, p * np.log(p), n_terms)
    rest = prior / n_entries / total  # each entry that never uses the term
    unused = (n_entries > used_in) & (rest > 0)
    entropy[unused] -= (n_entries - used_in[unused]) * rest[unused] * np.log(rest[unused])
    return np.maximum(math.log(n_entries) - entropy, 0.05)


def _mistyped(words: AbstractSet[str]) -> frozenset[str]:
    """The words as the commonest slips on a phone type them: two neighbouring letters swapped ("teh", "waht") and,
    in a word of five letters or more, one left out ("ther", "wich"). Worked out once per index, so a question's
    unknown word costs one lookup."""
    forms: set[str] = set()
    for word in words:
        forms.update(word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1))
        if len(word) >= 5:
            forms.update(deletions(word))
    return frozenset(forms - words)


_AMBIGUOUS = -1  # a phrasing two entries share: no exact match


@functools.cache
def _everyday_corrector() -> SpellingCorrector:
    """Typos of everyday words ("exaclty", "becuase", "somthing"), tried when no word of the knowledge base is
    meant: one that mistypes a small word is left out like the small word, instead of counting as an unknown name.
    (Other everyday words are not guessed at: "slide" is one edit from "side".)"""
    return SpellingCorrector(COMMON_WORDS)


def _exact_key(tokens: Sequence[str]) -> int:
    """A 64-bit digest of a text's words, the same in every process (the index is kept in the assistant cache)."""
    return int.from_bytes(hashlib.blake2b(" ".join(tokens).encode(), digest_size=8).digest(), "little")


_PACKED = ("_postings", "_entry_postings")


def _pack(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ends = np.cumsum([len(a) for a in arrays], dtype=np.int64)
    joined = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32)
    return joined.astype(np.int32, copy=False), ends


def _sums(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """The sum of `values` in each of `n_groups` groups (floats, also when there is nothing to sum)."""
    return np.bincount(groups, weights=values, minlength=n_groups).astype(np.float64, copy=False)


def _split(joined: np.ndarray, sizes: np.ndarray) -> list[np.ndarray]:
    """`joined` cut into consecutive pieces of `sizes`."""
    return _unpack((joined, np.cumsum(sizes)))


def _unpack(packed: tuple[np.ndarray, np.ndarray]) -> list[np.ndarray]:
    joined, ends = packed
    return np.split(joined, ends[:-1]) if len(ends) else []


class _EntrySets(Sequence[frozenset[int]]):
    """The entries that use each term, as sets, made from the entry postings when first asked for."""

    def __init__(self, entry_postings: list[np.ndarray]) -> None:
        self._postings = entry_postings
        self._sets: dict[int, frozenset[int]] = {}

    def __len__(self) -> int:
        return len(self._postings)

    def __getitem__(self, term_id: int) -> frozenset[int]:  # type: ignore[override]
        found = self._sets.get(term_id)
        if found is None:
            found = self._sets[term_id] = frozenset(self._postings[term_id].tolist())
        return found

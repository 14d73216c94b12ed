"""Rank knowledge-base entries for a question by weighted term overlap with their phrasings.

Each phrasing is a set of terms (see analyzer). A term's weight is its rarity across entries (IDF). For a question
Q and a phrasing P, recall R = weight(Q∩P)/weight(Q) says how much of the question the phrasing explains, and
precision P = weight(Q∩P)/weight(P) how much of the phrasing the question asked about. Recall is blended with the
share of the question the entry as a whole explains (all its phrasings and its answer), and the score is the
F-measure of the two. A question must be explained: an unexplained word such as "Erasmus" in "deadline for
Erasmus?" sinks the score, while a short question may still match a longer phrasing. Words the knowledge base never
uses count as unknown terms with a high weight, after spelling correction had its chance. An entry scores as its
best phrasing.
"""

import math
from dataclasses import dataclass

import numpy as np

from bot.knowledge.model import LANGUAGES, SMALLTALK_TOPIC, KnowledgeBase
from bot.matching.analyzer import Analyzer
from bot.matching.answer_text import searchable_answer
from bot.matching.spelling import SpellingCorrector
from bot.matching.text import stem

#: Words of a question beyond this are not read (long messages are pasted text, not questions).
MAX_QUERY_WORDS = 60


@dataclass(frozen=True)
class ScoringSettings:
    """Shape of the score; calibrated with benchmarks/calibrate.py on the evaluation sets."""

    beta: float = 1.0
    unknown_weight: float = 1.0  # weight of a word the knowledge base never uses, relative to the rarest term
    # Share of recall measured against everything an entry says (all its phrasings and its answer) rather than
    # its best phrasing alone: a question may combine words of several phrasings, or ask about a detail that
    # only the answer mentions ("does the call cover textiles?").
    entry_recall: float = 0.7


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: float
    explained: float = 1.0  # share of the question's weight that the entry as a whole uses


@dataclass(frozen=True)
class Ranking:
    candidates: tuple[Candidate, ...]  # best first
    terms: tuple[str, ...]  # the question's terms, as matched
    unknown: tuple[str, ...]  # words of the question the knowledge base does not use


class MatchIndex:
    """The searchable form of one knowledge base. Built once per (re)load; read-only afterwards."""

    def __init__(self, kb: KnowledgeBase, settings: ScoringSettings | None = None) -> None:
        self.settings = settings or ScoringSettings()
        self.analyzer = Analyzer(kb.synonyms, kb.ignore)
        self.entry_ids: list[str] = list(kb.entries)
        self.smalltalk = {e.id for e in kb.entries.values() if e.topic == SMALLTALK_TOPIC}
        self.declined = {e.id for e in kb.entries.values() if e.declined}
        term_ids: dict[str, int] = {}
        phrasing_terms: list[list[int]] = []
        phrasing_entry: list[int] = []
        answer_terms: list[tuple[int, int]] = []
        surfaces: list[str] = [w for group in kb.synonyms for item in group for w in self.analyzer.content_words(item)]
        for entry_index, entry in enumerate(kb.entries.values()):
            for lang in LANGUAGES:
                for question in entry.questions[lang]:
                    content = self.analyzer.content_words(question)
                    surfaces.extend(content)
                    keys = {t.key for t in self.analyzer.terms_of_words(content)}
                    if keys:
                        phrasing_terms.append([term_ids.setdefault(k, len(term_ids)) for k in sorted(keys)])
                        phrasing_entry.append(entry_index)
            if entry.answer:
                for lang in LANGUAGES:
                    content = self.analyzer.content_words(searchable_answer(entry.answer.get(lang), kb, lang))
                    surfaces.extend(content)
                    for term in self.analyzer.terms_of_words(content):
                        answer_terms.append((entry_index, term_ids.setdefault(term.key, len(term_ids))))
        self.term_ids = term_ids
        self._known_stems = {stem(w) for w in surfaces}
        self._corrector = SpellingCorrector(surfaces)
        self._phrasing_entry = np.array(phrasing_entry, dtype=np.int32)

        entries_with_term: list[set[int]] = [set() for _ in term_ids]
        postings: list[list[int]] = [[] for _ in term_ids]
        for index, (terms, entry_index) in enumerate(zip(phrasing_terms, phrasing_entry, strict=True)):
            for term_id in terms:
                entries_with_term[term_id].add(entry_index)
                postings[term_id].append(index)
        for entry_index, term_id in answer_terms:
            entries_with_term[term_id].add(entry_index)
        n_entries = max(len(self.entry_ids), 1)
        self._weights = np.array([math.log(1 + n_entries / len(e)) for e in entries_with_term], dtype=np.float64)
        self._unknown_weight = math.log(1 + n_entries) * self.settings.unknown_weight
        self._postings = [np.array(p, dtype=np.int32) for p in postings]
        self._entry_postings = [np.array(sorted(e), dtype=np.int32) for e in entries_with_term]
        self._phrasing_norm = np.array([self._weights[t].sum() for t in phrasing_terms], dtype=np.float64)
        smalltalk_indexes = {i for i, e in enumerate(self.entry_ids) if e in self.smalltalk}
        self._phrasing_is_smalltalk = np.array([e in smalltalk_indexes for e in phrasing_entry], dtype=bool)
        # Terms only small talk uses ("ciao", "thanks"): they don't change what a question is about.
        self._social_term = np.array([bool(e) and e <= smalltalk_indexes for e in entries_with_term], dtype=bool)

    def _query_terms(self, text: str) -> tuple[list[int], list[str], list[str]]:
        content = self.analyzer.content_words(text)[:MAX_QUERY_WORDS]
        corrected = []
        for word in content:
            if stem(word) in self._known_stems or self.analyzer.is_known_stem(stem(word)):
                corrected.append(word)
            else:
                corrected.append(self._corrector.correct(word) or word)
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
        return known, keys, unknown

    def rank(self, text: str, limit: int = 5) -> Ranking:
        known, keys, unknown = self._query_terms(text)
        if not known:
            return Ranking((), tuple(keys), tuple(unknown))
        weights = self._weights[known]
        unknown_total = len(unknown) * self._unknown_weight
        known_all = weights.sum()
        known_topic = weights[~self._social_term[known]].sum()

        overlap = np.zeros(len(self._phrasing_entry), dtype=np.float64)
        for term_id, weight in zip(known, weights, strict=True):
            overlap[self._postings[term_id]] += weight
        hits = np.flatnonzero(overlap)
        shared = overlap[hits]
        question_total = np.where(self._phrasing_is_smalltalk[hits], known_all, known_topic) + unknown_total
        entry_of_hit = self._phrasing_entry[hits]
        entry_overlap = np.zeros(len(self.entry_ids), dtype=np.float64)
        for term_id, weight in zip(known, weights, strict=True):
            entry_overlap[self._entry_postings[term_id]] += weight
        with np.errstate(divide="ignore", invalid="ignore"):
            recall = np.minimum(np.where(question_total > 0, shared / question_total, 0.0), 1.0)
            entry_recall = np.minimum(
                np.where(question_total > 0, entry_overlap[entry_of_hit] / question_total, 0.0), 1.0
            )
            share = self.settings.entry_recall
            recall = (1 - share) * recall + share * entry_recall
            precision = shared / self._phrasing_norm[hits]
            beta2 = self.settings.beta**2
            f_score = np.nan_to_num((1 + beta2) * precision * recall / (beta2 * precision + recall))
        entry_scores = np.zeros(len(self.entry_ids), dtype=np.float64)
        np.maximum.at(entry_scores, entry_of_hit, f_score)
        explained = np.zeros(len(self.entry_ids), dtype=np.float64)
        np.maximum.at(explained, entry_of_hit, entry_recall)
        top = np.argsort(-entry_scores, kind="stable")[:limit]
        candidates = tuple(
            Candidate(self.entry_ids[i], round(float(entry_scores[i]), 4), round(float(explained[i]), 4))
            for i in top
            if entry_scores[i] > 0
        )
        return Ranking(candidates, tuple(keys), tuple(unknown))

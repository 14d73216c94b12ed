"""Decide from a ranking whether to answer, offer "did you mean", or say "I don't know yet"."""

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from bot.matching.index import Candidate, Ranking
from bot.outcome import Outcome


@dataclass(frozen=True)
class Thresholds:
    """Calibrated with benchmarks/calibrate.py: a confident wrong answer is the worst outcome."""

    answer: float = 0.55
    suggest: float = 0.40
    # An out-of-scope entry scoring within this of the best one makes the question too close to what staff
    # want declined ("which projects got funded under the 2018 COSME call?"): say "I don't know".
    decline_window: float = 0.1
    # ... unless it explains much less of the question than the best ("is there some grant or budget inside?" shares
    # only "budget" with "total budget of Horizon 2020"; measured on the tuning sets: 2 more right, one wrong fewer).
    decline_explained_slack: float = 0.25
    # At least this share of the question's weight must be words the entry uses: half a question ("deadline"
    # in "deadline for Erasmus+?") is not enough, however well that half matches.
    min_explained: float = 0.5
    max_suggestions: int = 3
    # Small talk ("how can you help?", "who are you?") never answers a question with a topic word it does not use
    # ("what's the name of the assessore in the press release?"): a word this heavy (share of the question) is one.
    smalltalk_key_missing: float = 0.15


@dataclass(frozen=True)
class Match:
    outcome: Outcome
    entry_id: str | None
    score: float
    suggestions: tuple[str, ...]
    ranking: Ranking


def decide(
    ranking: Ranking, thresholds: Thresholds, *, not_suggested: AbstractSet[str], declined: AbstractSet[str]
) -> Match:
    """`not_suggested`: entries never offered as "did you mean" (small talk); `declined`: out-of-scope entries,
    whose best match means "I don't know"."""
    candidates = tuple(
        c
        for c in ranking.candidates
        if c.entry_id not in not_suggested or c.key_missing <= thresholds.smalltalk_key_missing
    )
    best: Candidate | None = candidates[0] if candidates else None
    if best is None:
        return Match(Outcome.UNKNOWN, None, 0.0, (), ranking)
    if near_declined(candidates, thresholds, declined):
        return Match(Outcome.UNKNOWN, None, best.score, (), ranking)
    if best.score >= thresholds.answer and best.explained >= thresholds.min_explained:
        return Match(Outcome.ANSWER, best.entry_id, best.score, (), ranking)
    suggestions = tuple(
        c.entry_id
        for c in candidates
        if c.score >= thresholds.suggest and c.entry_id not in not_suggested and c.entry_id not in declined
    )[: thresholds.max_suggestions]
    if suggestions:
        return Match(Outcome.SUGGEST, None, best.score, suggestions, ranking)
    return Match(Outcome.UNKNOWN, None, best.score, (), ranking)


def near_declined(candidates: Sequence[Candidate], thresholds: Thresholds, declined: AbstractSet[str]) -> bool:
    """Whether an out-of-scope entry scores close enough to the best candidate (first) to decline the question."""
    if not candidates:
        return False
    best = candidates[0]
    floor = max(thresholds.suggest, best.score - thresholds.decline_window)
    slack = thresholds.decline_explained_slack
    return any(
        c.entry_id in declined and c.score >= floor and (c is best or c.explained >= best.explained - slack)
        for c in candidates
    )

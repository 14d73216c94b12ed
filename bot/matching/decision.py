"""Decide from a ranking whether to answer, offer "did you mean", or say "I don't know yet"."""

from dataclasses import dataclass
from enum import StrEnum

from bot.matching.index import Candidate, Ranking


class MatchOutcome(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Thresholds:
    """Calibrated with benchmarks/calibrate.py: a confident wrong answer is the worst outcome."""

    answer: float = 0.6
    suggest: float = 0.35
    margin: float = 0.0  # the best entry must beat the runner-up by this much to be answered outright
    max_suggestions: int = 3


@dataclass(frozen=True)
class Match:
    outcome: MatchOutcome
    entry_id: str | None
    score: float
    suggestions: tuple[str, ...]
    ranking: Ranking


def decide(ranking: Ranking, thresholds: Thresholds, smalltalk: frozenset[str] | set[str]) -> Match:
    candidates = ranking.candidates
    best: Candidate | None = candidates[0] if candidates else None
    if best is None:
        return Match(MatchOutcome.UNKNOWN, None, 0.0, (), ranking)
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if best.score >= thresholds.answer and best.score - runner_up >= thresholds.margin:
        return Match(MatchOutcome.ANSWER, best.entry_id, best.score, (), ranking)
    suggestions = tuple(
        c.entry_id for c in candidates if c.score >= thresholds.suggest and c.entry_id not in smalltalk
    )[: thresholds.max_suggestions]
    if suggestions:
        return Match(MatchOutcome.SUGGEST, None, best.score, suggestions, ranking)
    return Match(MatchOutcome.UNKNOWN, None, best.score, (), ranking)

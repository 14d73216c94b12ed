"""Rank knowledge-base entries for a free-form question and decide: answer, suggest, or don't know."""

from bot.matching.decision import Match, Thresholds
from bot.matching.index import MatchIndex

__all__ = ["Match", "MatchIndex", "Thresholds"]

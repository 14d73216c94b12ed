"""What became of a question: the one vocabulary the matcher, the assistant, the log and the statistics share."""

from enum import StrEnum


class Outcome(StrEnum):
    ANSWER = "answer"  # an entry's answer
    SUGGEST = "suggest"  # "I don't know yet" with "did you mean" candidates
    UNKNOWN = "unknown"  # "I don't know yet"
    EMPTY = "empty"  # nothing to read in the message: not a question, never logged


#: The outcomes the question log records (the SQL CHECK of migration 1 spells the same three; a test compares them).
LOGGED_OUTCOMES: tuple[Outcome, ...] = (Outcome.ANSWER, Outcome.SUGGEST, Outcome.UNKNOWN)

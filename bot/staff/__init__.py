"""Staff tools that need no chat channel: group the questions the bot could not answer and report on them."""

from bot.staff.grouping import QuestionGroup, group_candidates, group_questions
from bot.staff.reports import suggest_stubs, unanswered_csv, unanswered_table

__all__ = [
    "QuestionGroup",
    "group_candidates",
    "group_questions",
    "suggest_stubs",
    "unanswered_csv",
    "unanswered_table",
]

"""An answer as the matcher reads it: placeholders written out as words, without the reader's moment."""

import re

from babel.dates import format_date

from bot.knowledge.model import BABEL_LOCALES, PLACEHOLDER, KnowledgeBase


def searchable_answer(template: str, kb: KnowledgeBase, lang: str) -> str:
    """The answer as words to match questions against: dates written out ("31 dicembre 2016"), no countdown."""

    def replace(match: re.Match[str]) -> str:
        key_date = kb.dates.get(match.group(2))
        if key_date is None or match.group(1) == "countdown":
            return " "
        if match.group(1) == "time":
            return key_date.time.strftime("%H:%M") if key_date.time else " "
        return format_date(key_date.day, format="long", locale=BABEL_LOCALES[lang])

    return PLACEHOLDER.sub(replace, template)

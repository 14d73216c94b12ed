"""What the staff digest and the new-question notes say: plain data in, Telegram HTML out, one language at a time.

The digest is for acting on: it is sent only when there is something to act on (a new group of unanswered
questions, or an answer users marked 👎); the most asked questions come with it as context, never alone.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.staff.grouping import QuestionGroup

SHOWN_GROUPS = 5
SHOWN_ENTRIES = 5
QUOTE_CHARS = 120


@dataclass(frozen=True)
class DigestContent:
    since: dt.datetime
    until: dt.datetime
    new_groups: Sequence[QuestionGroup]  # groups whose first question came in the period
    open_groups: int  # all groups still waiting
    downvotes: Mapping[str, int]  # entry id -> 👎 in the period
    questions: int
    answered: int
    top_entries: Sequence[tuple[str, int]]  # most asked answered entries

    @property
    def quiet(self) -> bool:
        """Nothing to act on."""
        return not self.new_groups and not any(self.downvotes.values())


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return escape(text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…")


def _label(kb: KnowledgeBase, entry_id: str, lang: str) -> str:
    entry = kb.entries.get(entry_id)
    return escape(entry.label(lang) if entry else entry_id)


def group_lines(groups: Sequence[QuestionGroup], tr: Translator) -> list[str]:
    lines = [
        f"• {_quote(g.samples[0])} " + escape(tr.ngettext("(asked %(count)d time)", "(asked %(count)d times)", g.count))
        for g in groups[:SHOWN_GROUPS]
    ]
    if len(groups) > SHOWN_GROUPS:
        lines.append(escape(tr.gettext("…and %(count)d more.", count=len(groups) - SHOWN_GROUPS)))
    return lines


def digest_text(content: DigestContent, kb: KnowledgeBase, tr: Translator, zone: str) -> str:
    lines = [
        "📋 <b>" + escape(tr.gettext("Staff digest since %(when)s", when=tr.moment(content.since, zone))) + "</b>",
        escape(
            tr.gettext(
                "Questions: %(total)d, answered: %(answered)d.", total=content.questions, answered=content.answered
            )
        ),
    ]
    if content.new_groups:
        lines.append(
            "\n<b>"
            + escape(
                tr.ngettext(
                    "%(count)d new unanswered question:", "%(count)d new unanswered questions:", len(content.new_groups)
                )
            )
            + "</b>"
        )
        lines.extend(group_lines(content.new_groups, tr))
    downvoted = sorted(((n, e) for e, n in content.downvotes.items() if n), reverse=True)[:SHOWN_ENTRIES]
    if downvoted:
        lines.append("\n<b>" + escape(tr.gettext("Answers marked 👎:")) + "</b>")
        lines.extend(f"• {_label(kb, entry_id, tr.lang)}: {count}" for count, entry_id in downvoted)
    if content.top_entries:
        lines.append("\n<b>" + escape(tr.gettext("Most asked:")) + "</b>")
        lines.extend(
            f"• {_label(kb, entry_id, tr.lang)}: {count}" for entry_id, count in content.top_entries[:SHOWN_ENTRIES]
        )
    lines.append(
        "\n"
        + escape(
            tr.ngettext(
                "%(count)d group of questions is waiting in /unanswered.",
                "%(count)d groups of questions are waiting in /unanswered.",
                content.open_groups,
            )
        )
    )
    return "\n".join(lines)


def new_groups_text(groups: Sequence[QuestionGroup], tr: Translator) -> str:
    """The immediate note: questions nobody asked before, that the bot could not answer."""
    heading = tr.ngettext(
        "🆕 A new question I could not answer:", "🆕 %(count)d new questions I could not answer:", len(groups)
    )
    return "\n".join([escape(heading), *group_lines(groups, tr), "", escape(tr.gettext("/unanswered to answer them."))])

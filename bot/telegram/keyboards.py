"""Inline keyboards: follow-up questions, "did you mean", topics, languages, feedback."""

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.assistant import Link, Reply
from bot.i18n import Translator
from bot.telegram import callbacks
from bot.telegram.formatting import button_label


def link_rows(links: Sequence[Link]) -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton(
                button_label(link.label), callback_data=callbacks.encode(callbacks.ANSWER, link.entry_id)
            )
        ]
        for link in links
    ]


def topics_button(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton("📚 " + tr.gettext("Topics"), callback_data=callbacks.encode(callbacks.TOPICS))


def reply_keyboard(reply: Reply, tr: Translator) -> InlineKeyboardMarkup:
    """Related questions and feedback under an answer; candidates under "did you mean"; topics otherwise."""
    if reply.answered and reply.entry_id:
        rows = link_rows(reply.related)
        rows.append(
            [
                InlineKeyboardButton("👍", callback_data=callbacks.encode(callbacks.FEEDBACK, f"+:{reply.entry_id}")),
                InlineKeyboardButton("👎", callback_data=callbacks.encode(callbacks.FEEDBACK, f"-:{reply.entry_id}")),
            ]
        )
        return InlineKeyboardMarkup(rows)
    rows = link_rows(reply.suggestions)
    rows.append([topics_button(tr)])
    return InlineKeyboardMarkup(rows)


def topics_keyboard(topics: Sequence[tuple[str, dict[str, str]]], lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    button_label(titles[lang]), callback_data=callbacks.encode(callbacks.TOPIC, topic_id)
                )
            ]
            for topic_id, titles in topics
        ]
    )


def topic_questions_keyboard(links: Sequence[Link], tr: Translator) -> InlineKeyboardMarkup:
    rows = link_rows(links)
    rows.append(
        [InlineKeyboardButton("⬅️ " + tr.gettext("All topics"), callback_data=callbacks.encode(callbacks.TOPICS))]
    )
    return InlineKeyboardMarkup(rows)


def language_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("🇮🇹 Italiano", callback_data=callbacks.encode(callbacks.LANGUAGE, "it")),
                InlineKeyboardButton("🇬🇧 English", callback_data=callbacks.encode(callbacks.LANGUAGE, "en")),
            ],
            [
                InlineKeyboardButton(
                    "🔄 " + tr.gettext("Automatic"), callback_data=callbacks.encode(callbacks.LANGUAGE, "auto")
                )
            ],
        ]
    )

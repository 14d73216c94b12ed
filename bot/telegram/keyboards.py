"""Inline keyboards: follow-up questions, "did you mean", topics, languages, feedback."""

from collections.abc import Sequence
from functools import lru_cache
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.assistant import Assistant, Link, Reply
from bot.i18n import Translator
from bot.telegram import callbacks
from bot.telegram.formatting import button_label

LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}
#: Buttons kept for reuse, a few per knowledge-base entry and language; past this the least used are made again.
BUTTONS_KEPT = 8192
#: Characters of a question quoted in a 🔔 button's label (the label must fit a phone screen).
QUESTION_IN_LABEL = 22


def link_rows(links: Sequence[Link]) -> list[list[InlineKeyboardButton]]:
    return [[answer_button(link.label, link.entry_id)] for link in links]


@lru_cache(maxsize=BUTTONS_KEPT)
def answer_button(label: str, entry_id: str) -> InlineKeyboardButton:
    """Made once for each question of the knowledge base (python-telegram-bot's objects are immutable, so every
    keyboard can share them), not again for every reply that offers it."""
    return InlineKeyboardButton(button_label(label), callback_data=callbacks.encode(callbacks.ANSWER, entry_id))


@lru_cache(maxsize=BUTTONS_KEPT)
def feedback_buttons(entry_id: str) -> tuple[InlineKeyboardButton, InlineKeyboardButton]:
    """👍/👎 about an answer (made once, as `answer_button`)."""
    return (
        InlineKeyboardButton("👍", callback_data=callbacks.encode(callbacks.FEEDBACK, f"+:{entry_id}")),
        InlineKeyboardButton("👎", callback_data=callbacks.encode(callbacks.FEEDBACK, f"-:{entry_id}")),
    )


def topics_button(tr: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton("📚 " + tr.gettext("Topics"), callback_data=callbacks.encode(callbacks.TOPICS))


def reply_keyboard(
    reply: Reply, tr: Translator, *, feedback_entry: str | None = None, notify: Sequence[tuple[str, int]] = ()
) -> InlineKeyboardMarkup:
    """Related questions under an answer, and 👍/👎 about `feedback_entry` (none for small talk: "thanks" is
    not an answer to rate); candidates under "did you mean"; topics otherwise. `notify`: (question, the id it was
    kept under for staff) of each question without an answer (the whole message under "I don't know yet", or a
    question left unanswered beside answered ones): 🔔 "tell me when there is an answer"."""
    if reply.answered and reply.entry_id:
        rows = link_rows(reply.related)
        if feedback_entry:
            rows.append(list(feedback_buttons(feedback_entry)))
    else:
        rows = link_rows(reply.suggestions)
        rows.append([topics_button(tr)])
    specific = reply.answered or len(notify) > 1  # beside answers, or with other questions: say which one
    rows.extend([notify_button(question, kept, tr, specific=specific)] for question, kept in notify)
    return InlineKeyboardMarkup(rows)


def notify_button(question: str, kept: int, tr: Translator, *, specific: bool) -> InlineKeyboardButton:
    """🔔 for one question; `specific`: the label names the question (its start)."""
    if specific:
        short = button_label(question, QUESTION_IN_LABEL)
        label = tr.gettext("Tell me when “%(question)s” has an answer", question=short)
    else:
        label = tr.gettext("Tell me when there is an answer")
    return InlineKeyboardButton(
        button_label("🔔 " + label), callback_data=callbacks.encode(callbacks.NOTIFY, str(kept))
    )


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
                InlineKeyboardButton(
                    f"{flag} {LANGUAGE_NAMES[lang]}", callback_data=callbacks.encode(callbacks.LANGUAGE, lang)
                )
                for flag, lang in (("🇮🇹", "it"), ("🇬🇧", "en"))
            ],
            [
                InlineKeyboardButton(
                    "🔄 " + tr.gettext("Automatic"), callback_data=callbacks.encode(callbacks.LANGUAGE, "auto")
                )
            ],
        ]
    )


def topic_menu(assistant: Assistant, topic_id: str, tr: Translator) -> tuple[str, InlineKeyboardMarkup] | None:
    """A topic's title and its questions as buttons; None when no menu topic has this id (any more)."""
    topic = assistant.menu_topic(topic_id)
    if topic is None:
        return None
    links = assistant.links(topic.entry_ids, tr.lang)
    return f"<b>{escape(topic.title.get(tr.lang), quote=False)}</b>", topic_questions_keyboard(links, tr)

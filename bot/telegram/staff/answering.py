"""✍️ Writing a new entry from Telegram, after "✍️" under a group of /unanswered (edits.start_answer):

1. the answer, in Italian and in English (one message, `it:` and `en:`);
2. the question as it should read on buttons, in both languages (the users' own wordings are added as phrasings);
3. the topic, then the source, with buttons;
4. a preview of the entry as users will read it, checked like any file edit; it goes live on confirmation.

The draft is kept in the database, so a restart loses nothing; /cancel drops it. While a draft waits for text, the
staff member's messages in the private chat are taken as its text instead of as questions to the bot.
"""

import asyncio
import datetime as dt
from html import escape
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.editing.changes import read_folder
from bot.i18n import Translator, mark
from bot.knowledge.model import LANGUAGES, OUT_OF_SCOPE_TOPIC, SMALLTALK_TOPIC, KnowledgeBase
from bot.rendering import render_answer
from bot.staff import QuestionGroup
from bot.staff.reports import entry_id_base, unique_id
from bot.telegram import callbacks
from bot.telegram.context import BotContext
from bot.telegram.feature import Feature
from bot.telegram.keyboards import LANGUAGE_NAMES
from bot.telegram.replies import edit_or_send, pressed, say
from bot.telegram.staff.common import StaffButtonHandler, split_languages, staff_command
from bot.telegram.staff.edits import entry_button, preview

if TYPE_CHECKING:  # the YAML editing modules (ruamel.yaml) are imported when staff first edit: see staff/edits.py
    from bot.editing.entries import NewEntry

MAX_ANSWER_CHARS = 3000  # each language; the preview shows both in one message
MAX_QUESTION_CHARS = 200
TOPIC, SOURCE = "t", "s"
MAX_SOURCE_BUTTONS = 60


def usage_answers(tr: Translator) -> str:
    return tr.gettext(
        "I need exactly one Italian and one English text, each starting on its own line with it: or en:, "
        "at most %(count)d characters each.",
        count=MAX_ANSWER_CHARS,
    )


def questions_prompt(tr: Translator) -> str:
    return tr.gettext(
        "Now the question this answers, as it should read on buttons (short), in both languages:\n\n"
        "it: Le fondazioni possono partecipare?\n"
        "en: Can foundations take part?\n\n"
        "The users' own wordings are added too, so that the same questions find this answer."
    )


def topics_keyboard(kb: KnowledgeBase, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [entry_button(topic.title.get(lang), f"{TOPIC}:{topic.id}")]
            for topic in kb.topics
            if topic.id not in (SMALLTALK_TOPIC, OUT_OF_SCOPE_TOPIC)
        ]
    )


def sources_keyboard(kb: KnowledgeBase, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [entry_button(source.title.get(lang), f"{SOURCE}:{source.id}")]
            for source in list(kb.sources.values())[:MAX_SOURCE_BUTTONS]
        ]
    )


async def on_draft_text(update: Update, context: BotContext) -> None:
    """A staff member's text while their draft waits for one; anything else goes on to the other handlers."""
    services, tr, user, message = context.services, context.tr, update.effective_user, update.effective_message
    if user is None or message is None or not message.text:
        return
    draft = await services.storage.draft(user.id)
    if draft is None:
        return
    step = draft.get("step")
    if step in ("answers", "questions"):
        limit = MAX_ANSWER_CHARS if step == "answers" else MAX_QUESTION_CHARS
        try:
            texts = split_languages(message.text)
        except ValueError:
            texts = {}
        if not texts or any(len(text) > limit for text in texts.values()):
            usage = usage_answers(tr) if step == "answers" else questions_prompt(tr)
            await say(update, context, escape(usage + "\n\n" + tr.gettext("/cancel stops.")))
            raise ApplicationHandlerStop
        if step == "answers":
            draft.update(step="questions", answers=texts)
            await services.storage.save_draft(user.id, draft, services.clock())
            await say(update, context, escape(questions_prompt(tr)))
        else:
            draft.update(step="topic", titles={lang: " ".join(text.split()) for lang, text in texts.items()})
            await services.storage.save_draft(user.id, draft, services.clock())
            await say(
                update,
                context,
                escape(tr.gettext("Which topic does it belong to?")),
                topics_keyboard(services.assistant.kb, tr.lang),
            )
    else:
        await say(update, context, escape(tr.gettext("Choose with the buttons above, or /cancel.")))
    raise ApplicationHandlerStop


async def topic_button(update: Update, context: BotContext) -> None:
    services, tr, query = context.services, context.tr, pressed(update)
    draft = await services.storage.draft(query.from_user.id)
    topic_id = context.button.group(1)
    if draft is None or draft.get("step") != "topic" or services.assistant.kb.topic(topic_id) is None:
        await query.answer(tr.gettext("This button is no longer valid."), show_alert=True)
        return
    draft.update(step="source", topic=topic_id)
    await services.storage.save_draft(query.from_user.id, draft, services.clock())
    await query.answer()
    await edit_or_send(
        update,
        context,
        escape(tr.gettext("Which source does the answer rest on?")),
        sources_keyboard(services.assistant.kb, tr.lang),
    )


def new_entry(draft: dict[str, Any], kb: KnowledgeBase, source_id: str, now: dt.datetime) -> "NewEntry":
    """The entry the draft describes: the staff's question first (the button label), then the users' wordings."""
    from bot.editing.entries import NewEntry, same_text

    titles: dict[str, str] = draft["titles"]
    questions: dict[str, list[str]] = {lang: [titles[lang]] for lang in LANGUAGES}
    for text, lang in draft["samples"]:
        if lang in questions and not any(same_text(text, q) for q in questions[lang]):
            questions[lang].append(" ".join(text.split()))
    labels = QuestionGroup((min(draft["ids"]),), now, now, ("en",), (titles["en"],), ("en",))
    return NewEntry(
        id=unique_id(entry_id_base(labels), set(kb.entries)),
        topic=draft["topic"],
        questions=questions,
        answer=draft["answers"],
        sources=[source_id],
    )


def rendered(entry: "NewEntry", candidate: KnowledgeBase, context: BotContext) -> str:
    """Both answers as users will read them (dates filled in), with the source."""
    services = context.services
    blocks = []
    for lang in LANGUAGES:
        reader = services.catalogs[lang]
        body = render_answer(entry.answer[lang], candidate, reader, services.clock(), services.config.timezone)
        sources = "; ".join(candidate.sources[s].title.get(lang) for s in entry.sources if s in candidate.sources)
        blocks.append(
            f"<i>{escape(LANGUAGE_NAMES[lang])}</i> — <b>{escape(entry.questions[lang][0])}</b>\n"
            f"{escape(body.strip())}\n<i>{escape(reader.gettext('Source:'))}</i> {escape(sources)}"
        )
    return "\n\n".join(blocks)


async def source_button(update: Update, context: BotContext) -> None:
    services, tr, query = context.services, context.tr, pressed(update)
    user_id = query.from_user.id
    draft = await services.storage.draft(user_id)
    source_id = context.button.group(1)
    kb = services.assistant.kb
    if draft is None or draft.get("step") != "source" or source_id not in kb.sources:
        await query.answer(tr.gettext("This button is no longer valid."), show_alert=True)
        return
    await query.answer()
    from bot.editing.entries import EditError, add_entry
    from bot.editing.yaml_text import DocumentError

    entry = new_entry(draft, kb, source_id, services.clock())
    try:
        directory = services.live.directory  # parsing a large file takes a while: off the event loop
        change = await asyncio.to_thread(lambda: add_entry(read_folder(directory), kb, entry))
    except (EditError, DocumentError) as exc:
        problem = tr.gettext("I could not edit the file: %(reason)s", reason=str(exc))
        await edit_or_send(update, context, escape(problem), None)
        return
    await services.storage.drop_draft(user_id)
    await edit_or_send(update, context, escape(tr.gettext("Checking the new entry…")), None)
    await preview(
        context,
        user_id,
        "entry",
        change,
        {"resolve": draft["ids"], "entry": entry.id},
        heading=tr.gettext("New entry %(id)s: preview", id=entry.id),
        describe=lambda candidate: rendered(entry, candidate, context),
    )


async def cancel_command(update: Update, context: BotContext) -> None:
    services, tr, user = context.services, context.tr, update.effective_user
    if user is None:
        return
    if await services.storage.drop_draft(user.id):
        await say(update, context, escape(tr.gettext("Stopped: nothing was written.")))
    else:
        await say(update, context, escape(tr.gettext("There is nothing to cancel.")))


def feature(staff: filters.User) -> Feature:
    return Feature(
        handlers=[
            staff_command("cancel", cancel_command, staff),
            StaffButtonHandler(topic_button, callbacks.KNOWLEDGE, rf"{TOPIC}:({callbacks.ID})", staff),
            StaffButtonHandler(source_button, callbacks.KNOWLEDGE, rf"{SOURCE}:({callbacks.ID})", staff),
        ],
        input_handlers=[
            MessageHandler(
                staff & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
                on_draft_text,
            )
        ],
        staff_commands={"cancel": mark("Stop writing an answer")},
    )

"""Knowledge-base changes made from Telegram, the one way: prepared and checked on a copy of the folder, previewed
(or, for ➕, applied at once), then written safely, reloaded exactly as /reload and the file watch do, and recorded
(who, when, what) so that /undo can reverse them. The people who asked to be told get the answer once, through
the delivery ledger.

Everything here is said to the staff member's private chat, never to a group.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.assistant import Reply
from bot.editing.changes import Change, StaleChange, check_change, read_folder, write_change
from bot.editing.summary import summarise, summary_lines
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase, KnowledgeError, Problem
from bot.staff import QuestionGroup
from bot.storage import AnswerRequest, ChangeKind, ChangeRecord
from bot.telegram import callbacks
from bot.telegram.context import BotContext
from bot.telegram.delivery import courier_of
from bot.telegram.formatting import button_label, reply_html
from bot.telegram.sending import send_html
from bot.telegram.splitting import split_html
from bot.telegram.staff.common import reload_now

log = logging.getLogger(__name__)

APPLY, CANCEL = "y", "n"
MAX_PROBLEMS_SHOWN = 20
QUOTE_CHARS = 200


async def tell(context: BotContext, user_id: int, html: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """To the staff member's private chat (their user id), whatever chat the button was pressed in."""
    await send_html(context.bot, user_id, html, keyboard)


def change_keyboard(tr: Translator, change_id: int, apply_label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✅ " + apply_label, callback_data=callbacks.encode(callbacks.KNOWLEDGE, f"{APPLY}:{change_id}")
                ),
                InlineKeyboardButton(
                    "✖️ " + tr.gettext("Cancel"),
                    callback_data=callbacks.encode(callbacks.KNOWLEDGE, f"{CANCEL}:{change_id}"),
                ),
            ]
        ]
    )


def problem_lines(problems: Sequence[Problem], directory: Path, tr: Translator, limit: int) -> list[str]:
    """The loader's problems in the staff member's language (reason — hint), each at `file:line` with the file named
    within the knowledge folder: what a staff member can act on."""
    lines = []
    for problem in problems[:limit]:
        path = Path(problem.file)
        name = str(path.relative_to(directory)) if path.is_relative_to(directory) else problem.file
        where = f"{name}:{problem.line}" if problem.line else name
        lines.append("• " + escape(f"{where}: {problem.describe(tr.gettext)}"))
    if len(problems) > limit:
        lines.append(escape(tr.gettext("…and %(count)d more.", count=len(problems) - limit)))
    return lines


def problems_html(problems: Sequence[Problem], directory: Path, tr: Translator) -> str:
    heading = tr.gettext("Nothing was changed: the knowledge base would not be valid.")
    return f"⚠️ {escape(heading)}\n" + "\n".join(problem_lines(problems, directory, tr, MAX_PROBLEMS_SHOWN))


def summary_html(lines: Sequence[str]) -> str:
    return "\n".join(escape(line) for line in lines)


# -- preparing a change --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    change_id: int
    candidate: KnowledgeBase
    summary: tuple[str, ...]
    warnings: tuple[Problem, ...]  # about what the change wrote: worth a look, never blocking


async def prepare(
    context: BotContext,
    user_id: int | None,
    kind: ChangeKind,
    change: Change,
    effects: Mapping[str, Any],
    *,
    undoes: int | None = None,
) -> Prepared | str:
    """Check the change with the bot's loader (off the event loop: a large knowledge base takes seconds to load)
    and record it as pending; or the HTML that says why it cannot be made."""
    services, tr = context.services, context.tr
    directory = services.live.directory
    if change.empty:
        return escape(tr.gettext("Nothing changes: the knowledge base already says exactly this."))
    try:
        check = await asyncio.to_thread(check_change, directory, change)
    except KnowledgeError as exc:
        return problems_html(exc.problems, directory, tr)
    assert check.kb is not None  # check_change raises otherwise
    lines = tuple(summary_lines(summarise(services.assistant.kb, check.kb), tr))
    touched = change.touched_lines()
    warnings = tuple(w for w in check.warnings if w.line in touched.get(Path(w.file).name, ()))  # this change's only
    change_id = await services.storage.create_change(
        user_id=user_id,
        kind=kind,
        summary="\n".join(lines),
        files=change.to_json(),
        effects=dict(effects),
        now=services.clock(),
        undoes=undoes,
    )
    return Prepared(change_id, check.kb, lines, warnings)


async def preview(
    context: BotContext,
    user_id: int,
    kind: ChangeKind,
    change: Change,
    effects: Mapping[str, Any],
    *,
    heading: str,
    details: str = "",
    describe: Callable[[KnowledgeBase], str] | None = None,
    apply_label: str = "",
    undoes: int | None = None,
) -> int | None:
    """Prepare the change and show it with Apply/Cancel; the id of the pending change, or None when refused.
    `details` (HTML) or `describe(the knowledge base after the change)` come before the summary."""
    tr = context.tr
    prepared = await prepare(context, user_id, kind, change, effects, undoes=undoes)
    if isinstance(prepared, str):
        await tell(context, user_id, prepared)
        return None
    parts = [f"<b>{escape(heading)}</b>"]
    if describe is not None:
        details = describe(prepared.candidate)
    if details:
        parts.append(details)
    parts.append(summary_html(prepared.summary))
    if prepared.warnings:
        warnings = tr.ngettext(
            "%(count)d warning (it does not stop the bot, but is worth a look):",
            "%(count)d warnings (they do not stop the bot, but are worth a look):",
            len(prepared.warnings),
        )
        directory = context.services.live.directory
        parts.append(escape(warnings) + "\n" + "\n".join(problem_lines(prepared.warnings, directory, tr, 10)))
    if effects.get("resolve"):
        parts.append(escape(tr.gettext("On confirmation the group of questions is marked answered.")))
    parts.append(escape(tr.gettext("Nothing is written until you confirm.")))
    keyboard = change_keyboard(tr, prepared.change_id, apply_label or tr.gettext("Put it live"))
    await tell(context, user_id, "\n\n".join(parts), keyboard)
    return prepared.change_id


# -- applying a change ---------------------------------------------------------------------------------------------


async def apply(context: BotContext, change_id: int) -> str:
    """Write a pending change, reload, record it, resolve what it answers and tell who asked. The HTML result."""
    services, tr = context.services, context.tr
    storage, directory = services.storage, services.live.directory
    record = await storage.knowledge_change(change_id)
    if record is None or record.state != "pending":
        return escape(tr.gettext("This change was already applied or cancelled."))
    change = Change.from_json(record.files)
    try:
        await asyncio.to_thread(check_change, directory, change)  # the other files may have changed since
        write_change(directory, change)
    except KnowledgeError as exc:
        await storage.cancel_change(change_id)
        return problems_html(exc.problems, directory, tr)
    except StaleChange as exc:
        await storage.cancel_change(change_id)
        return escape(
            tr.gettext(
                "%(files)s changed since this preview (edited by hand, or another change came first): nothing was "
                "written. Prepare the change again.",
                files=", ".join(exc.files),
            )
        )
    except OSError as exc:
        log.error("could not write knowledge change #%d: %s", change_id, exc)
        await storage.cancel_change(change_id)
        return escape(tr.gettext("The files could not be written (%(reason)s): nothing changed.", reason=exc.strerror))
    problems = await reload_now(context)
    if problems:  # checked a moment ago: only a concurrent edit of another file gets here
        log.error("knowledge change #%d written but refused on reload; writing the previous files back", change_id)
        try:
            write_change(directory, change.reversed())
        except (StaleChange, OSError) as exc:  # edited by hand again meanwhile: the hand edit stays
            log.error("could not write back the files of change #%d: %s", change_id, exc)
        await reload_now(context)
        await storage.cancel_change(change_id)
        return problems_html(problems, directory, tr)
    await storage.mark_change_applied(change_id, services.clock())
    lines = [escape(tr.gettext("✅ Change #%(id)d is live.", id=change_id))]
    lines.append(await settle_effects(context, record))
    lines.append(escape(tr.gettext("/undo reverses it.")))
    return "\n".join(line for line in lines if line)


async def settle_effects(context: BotContext, record: ChangeRecord) -> str:
    """What a change does besides the files: the group it answers is resolved and its askers told; an undo reopens
    the group of the change it reverses."""
    services, tr = context.services, context.tr
    effects = record.effects
    resolve = [int(i) for i in effects.get("resolve", ())]
    if resolve:
        await services.storage.set_unanswered_status(resolve, "resolved")
        told, untold = await tell_askers(context, resolve, effects.get("entry"))
        return told_text(told, untold, tr)
    reopen = [int(i) for i in effects.get("reopen", ())]
    if reopen:
        await services.storage.set_unanswered_status(reopen, "open")
        return escape(tr.gettext("The questions it had answered are open again in /unanswered."))
    return ""


def told_text(told: int, untold: int, tr: Translator) -> str:
    lines = []
    if told:
        lines.append(
            tr.ngettext(
                "🔔 %(count)d person who asked to be told will get the answer.",
                "🔔 %(count)d people who asked to be told will get the answer.",
                told,
            )
        )
    if untold:
        lines.append(
            tr.ngettext(
                "%(count)d person asked to be told, but I still cannot answer their question, so they were not told.",
                "%(count)d people asked to be told, but I still cannot answer their questions, so they were not told.",
                untold,
            )
        )
    return escape("\n".join(lines))


# -- telling the people who asked ----------------------------------------------------------------------------------


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def notice_html(request: AnswerRequest, reply: Reply, tr: Translator) -> str:
    """The message to one person: their own question (nobody else's), then the answer, said to come once."""
    question = _quote(request.question)
    head = "🔔 " + escape(tr.gettext("You asked: “%(question)s”. Now I have an answer:", question=question))
    foot = "<i>" + escape(tr.gettext("I send this once, because you asked me to tell you.")) + "</i>"
    text = f"{head}\n\n{reply_html(reply)}\n\n{foot}"
    if len(split_html(text)) == 1:
        return text
    short = tr.gettext("You asked: “%(question)s”. Now I have an answer: ask me again to read it.", question=question)
    return "🔔 " + escape(short) + f"\n\n{foot}"


async def tell_askers(context: BotContext, unanswered_ids: Sequence[int], entry_id: str | None) -> tuple[int, int]:
    """Queue the answer for everyone who asked to be told about these questions: the entry's answer, or (a group
    resolved by hand) what the bot now replies to their own question. Returns (told, not told)."""
    services = context.services
    assistant = services.assistant
    requests = await services.storage.answer_requests_for(unanswered_ids)
    notices, untold = [], []
    for request in requests:
        if entry_id and assistant.kb.answerable(entry_id):
            reply = assistant.answer(entry_id, request.lang, question=request.question)
        else:
            reply = assistant.reply(request.question, chosen_lang=request.lang)
        if reply.answered:
            notices.append((request, {request.lang: notice_html(request, reply, services.catalogs[request.lang])}))
        else:
            untold.append(request.unanswered_id)
    told = await services.storage.enqueue_answers(notices, services.clock())
    if untold:
        await services.storage.drop_answer_requests(untold)
    if told and (courier := courier_of(context.bot_data)) is not None:
        courier.kick()
    return told, len(untold)


# -- ➕ and ✍️ from /unanswered -------------------------------------------------------------------------------------


def group_phrasings(group: QuestionGroup) -> dict[str, list[str]]:
    phrasings: dict[str, list[str]] = {}
    for text, lang in zip(group.samples, group.sample_langs, strict=True):
        phrasings.setdefault(lang, []).append(text)
    return phrasings


async def add_group_phrasings(context: BotContext, user_id: int, group: QuestionGroup, entry_id: str) -> str:
    """➕: the group's questions become phrasings of the entry, live at once (one tap; /undo reverses it)."""
    services, tr = context.services, context.tr
    kb = services.assistant.kb
    if not kb.answerable(entry_id):
        return escape(tr.gettext("That entry is no longer in the knowledge base."))
    entry = kb.entries[entry_id]
    directory = services.live.directory
    from bot.editing.entries import EditError, add_phrasings  # with ruamel.yaml: loaded when staff first edit
    from bot.editing.yaml_text import DocumentError

    try:
        edit = await asyncio.to_thread(lambda: add_phrasings(read_folder(directory), entry, group_phrasings(group)))
    except (EditError, DocumentError) as exc:
        return escape(tr.gettext("I could not edit the file: %(reason)s", reason=str(exc)))
    label = entry.label(tr.lang)
    if not edit.count:
        return escape(tr.gettext("These questions are already phrasings of “%(entry)s”.", entry=label))
    prepared = await prepare(context, user_id, "phrasing", edit.change, {"resolve": list(group.ids), "entry": entry_id})
    if isinstance(prepared, str):
        return prepared
    result = await apply(context, prepared.change_id)
    added = tr.ngettext(
        "➕ %(count)d phrasing added to “%(entry)s” (%(file)s):",
        "➕ %(count)d phrasings added to “%(entry)s” (%(file)s):",
        edit.count,
        entry=label,
        file=Path(entry.file).name,
    )
    texts = [f"• {escape(text)} ({lang})" for lang, added_texts in edit.added.items() for text in added_texts]
    return escape(added) + "\n" + "\n".join(texts) + "\n\n" + result


def answer_prompt(group: QuestionGroup, tr: Translator) -> str:
    samples = "\n".join(
        f"• {escape(_quote(text))} ({lang})" for text, lang in zip(group.samples, group.sample_langs, strict=True)
    )
    return (
        "✍️ <b>"
        + escape(tr.gettext("A new answer for:"))
        + f"</b>\n{samples}\n\n"
        + escape(
            tr.gettext(
                "Send the answer in Italian and in English, in one message:\n\n"
                "it: Testo in italiano\n"
                "en: Text in English\n\n"
                "I cannot translate without an online service, so I need both. Write only what the official sources "
                "say. /cancel stops."
            )
        )
    )


async def start_answer(context: BotContext, user_id: int, group: QuestionGroup) -> None:
    """✍️: the first step of writing a new entry for the group (answering.py takes the next ones)."""
    services = context.services
    await services.storage.save_draft(
        user_id,
        {
            "step": "answers",
            "ids": list(group.ids),
            "samples": [[text, lang] for text, lang in zip(group.samples, group.sample_langs, strict=True)],
        },
        services.clock(),
    )
    await tell(context, user_id, answer_prompt(group, context.tr))


def entry_button(label: str, target: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(button_label(label), callback_data=callbacks.encode(callbacks.KNOWLEDGE, target))

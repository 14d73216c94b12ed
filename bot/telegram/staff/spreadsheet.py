"""/export: the knowledge base as an XLSX workbook; a workbook sent back as a document is read, checked like any
file edit, summarised (entries added, changed, removed) and applied on confirmation, undoable with /undo.

Only in the staff member's private chat. The upload is hostile until proven otherwise: its size is checked before
it is downloaded and again after, and it is read off the event loop with the bounds of bot/editing/workbook.py.
"""

import asyncio
import io
import logging
from html import escape
from zoneinfo import ZoneInfo

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import MessageHandler, filters

from bot.editing.changes import read_folder
from bot.i18n import Translator, mark
from bot.telegram.context import BotContext
from bot.telegram.feature import Feature
from bot.telegram.replies import say
from bot.telegram.sending import with_retries
from bot.telegram.staff.common import open_groups, staff_command
from bot.telegram.staff.edits import preview

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 30


async def export_command(update: Update, context: BotContext) -> None:
    services, tr, user = context.services, context.tr, update.effective_user
    if user is None:
        return
    from bot.editing.workbook import export_workbook  # openpyxl: see on_document

    kb, groups, now = services.assistant.kb, await open_groups(services), services.clock()
    directory = services.live.directory
    data = await asyncio.to_thread(lambda: export_workbook(kb, read_folder(directory), groups, now))
    name = f"knowledge-{now.astimezone(ZoneInfo(services.config.timezone)).date().isoformat()}.xlsx"
    caption = tr.gettext(
        "The knowledge base as a spreadsheet (%(entries)d entries). Edit it in Excel or LibreOffice, save it as "
        ".xlsx and send it back to me: you will see what changes before anything is written.",
        entries=len(kb.entries),
    )
    await with_retries(
        lambda: context.bot.send_document(
            user.id, InputFile(io.BytesIO(data), filename=name), caption=escape(caption, quote=False)
        )
    )


def problems_text(problems: tuple[str, ...] | list[str], tr: Translator) -> str:
    shown = "\n".join(escape(p) for p in problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    extra = "\n" + escape(tr.gettext("…and %(count)d more.", count=more)) if more > 0 else ""
    heading = tr.gettext("Nothing was changed. Fix these cells and send the file again:")
    return f"⚠️ {escape(heading)}\n{shown}{extra}"


async def download(update: Update, context: BotContext) -> bytes | None:
    """The document's bytes, or None after telling the staff member why not."""
    from bot.editing.workbook import MAX_FILE_BYTES

    tr, message = context.tr, update.effective_message
    document = message.document if message else None
    if document is None:
        return None
    too_big = tr.gettext("That file is too large: a workbook of the knowledge base is well under 5 MB.")
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await say(update, context, escape(too_big))
        return None
    try:
        file = await with_retries(lambda: context.bot.get_file(document.file_id))
        if file.file_size is not None and file.file_size > MAX_FILE_BYTES:
            await say(update, context, escape(too_big))
            return None
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("could not download a staff member's workbook: %s", exc)
        failed = tr.gettext("I could not download the file from Telegram; please send it again.")
        await say(update, context, escape(failed))
        return None
    if len(data) > MAX_FILE_BYTES:
        await say(update, context, escape(too_big))
        return None
    return data


async def on_document(update: Update, context: BotContext) -> None:
    services, tr, user, message = context.services, context.tr, update.effective_user, update.effective_message
    if user is None or message is None or message.document is None:
        return
    name = message.document.file_name or "workbook.xlsx"
    if not name.lower().endswith(".xlsx"):
        wanted = tr.gettext("Send me the knowledge base as an .xlsx workbook (the kind /export gives).")
        await say(update, context, escape(wanted, quote=False))
        return
    # openpyxl and ruamel.yaml (bot/editing) are imported when staff first use them, not at start-up: every
    # process would otherwise carry them in memory for a command it may never see
    from bot.editing.merge import MergeError, workbook_change
    from bot.editing.workbook import WorkbookError, folder_version, read_workbook
    from bot.editing.yaml_text import DocumentError

    data = await download(update, context)
    if data is None:
        return
    try:
        content = await asyncio.to_thread(read_workbook, data)
    except WorkbookError as exc:
        await say(update, context, escape(tr.gettext("Nothing was changed: %(reason)s.", reason=str(exc))))
        return
    if content.problems:
        await say(update, context, problems_text(content.problems, tr))
        return
    kb, directory = services.assistant.kb, services.live.directory
    folder = await asyncio.to_thread(read_folder, directory)
    try:
        change = await asyncio.to_thread(workbook_change, folder, kb, content)
    except MergeError as exc:
        await say(update, context, problems_text(exc.problems, tr))
        return
    except DocumentError as exc:
        await say(update, context, escape(tr.gettext("I could not edit the file: %(reason)s", reason=str(exc))))
        return
    note = ""
    if content.version and content.version != folder_version(folder):
        note = "⚠️ " + escape(
            tr.gettext(
                "The knowledge base changed since this workbook was exported: where the two differ, the workbook "
                "wins. Check the summary."
            )
        )
    await preview(
        context,
        user.id,
        "workbook",
        change,
        {},
        heading=tr.gettext("Import of %(file)s: what changes", file=name),
        details=note,
    )


def feature(staff: filters.User) -> Feature:
    return Feature(
        handlers=[
            staff_command("export", export_command, staff),
            # In a group a staff member's document is just a document: the fallback leaves it alone.
            MessageHandler(
                filters.UpdateType.MESSAGE & staff & filters.ChatType.PRIVATE & filters.Document.ALL, on_document
            ),
        ],
        staff_commands={"export": mark("The knowledge base as a spreadsheet")},
    )

"""Confirming or cancelling a previewed knowledge-base change, /undo of the last one, and /changes, the record of
who changed what and when. Only in the staff member's private chat."""

from html import escape

from telegram import Update
from telegram.ext import filters

from bot.editing.changes import Change
from bot.i18n import Translator, mark
from bot.storage import ChangeRecord
from bot.telegram import callbacks
from bot.telegram.context import BotContext
from bot.telegram.feature import Feature
from bot.telegram.replies import edit_or_send, pressed, say
from bot.telegram.staff.common import StaffButtonHandler, staff_command
from bot.telegram.staff.edits import APPLY, CANCEL, apply, preview

RECENT_CHANGES = 10


def who(record: ChangeRecord, tr: Translator) -> str:
    if record.user_id is None:
        return tr.gettext("from the command line")
    return tr.gettext("by staff member %(id)d", id=record.user_id)


def kind_label(record: ChangeRecord, tr: Translator) -> str:
    return {
        "phrasing": tr.gettext("phrasings added"),
        "entry": tr.gettext("new entry"),
        "workbook": tr.gettext("spreadsheet import"),
        "undo": tr.gettext("undo"),
    }[record.kind]


def record_line(record: ChangeRecord, tr: Translator, zone: str) -> str:
    when = tr.moment(record.applied_at or record.created_at, zone)
    state = tr.gettext("undone") if record.state == "undone" else ""
    head = f"#{record.id} {kind_label(record, tr)}, {when}, {who(record, tr)}" + (f" ({state})" if state else "")
    return f"<b>{escape(head)}</b>\n{escape(record.summary)}"


async def undo_command(update: Update, context: BotContext) -> None:
    services, tr, user = context.services, context.tr, update.effective_user
    if user is None:
        return
    record = await services.storage.last_undoable_change()
    if record is None:
        await say(update, context, escape(tr.gettext("There is no change to undo.")))
        return
    if record.files == "[]":
        await say(update, context, escape(tr.gettext("Change #%(id)d is too old to undo from here.", id=record.id)))
        return
    await preview(
        context,
        user.id,
        "undo",
        Change.from_json(record.files).reversed(),
        {"reopen": record.effects.get("resolve", [])},
        heading=tr.gettext("Undo this change?"),
        details=record_line(record, tr, services.config.timezone),
        apply_label=tr.gettext("Undo it"),
        undoes=record.id,
    )


async def changes_command(update: Update, context: BotContext) -> None:
    services, tr = context.services, context.tr
    records = await services.storage.recent_changes(RECENT_CHANGES)
    if not records:
        await say(update, context, escape(tr.gettext("No change has been made from Telegram or a spreadsheet yet.")))
        return
    lines = [record_line(record, tr, services.config.timezone) for record in records]
    await say(update, context, "\n\n".join(lines))


async def change_button(update: Update, context: BotContext) -> None:
    """Apply or Cancel under a preview."""
    services, tr, query = context.services, context.tr, pressed(update)
    action, raw_id = context.button.groups()
    change_id = int(raw_id)
    if action == APPLY:
        await query.answer()
        result = await apply(context, change_id)
    elif await services.storage.cancel_change(change_id):
        await query.answer()
        result = escape(tr.gettext("✖️ Change #%(id)d cancelled: nothing was written.", id=change_id))
    else:
        await query.answer(tr.gettext("This change was already applied or cancelled."), show_alert=True)
        return
    await edit_or_send(update, context, result, None)


def feature(staff: filters.User) -> Feature:
    return Feature(
        handlers=[
            staff_command("undo", undo_command, staff),
            staff_command("changes", changes_command, staff),
            StaffButtonHandler(change_button, callbacks.KNOWLEDGE, rf"({APPLY}|{CANCEL}):(\d{{1,18}})", staff),
        ],
        staff_commands={
            "undo": mark("Undo the last change to the knowledge base"),
            "changes": mark("Who changed the knowledge base, and what"),
        },
    )

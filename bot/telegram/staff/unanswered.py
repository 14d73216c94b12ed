"""/unanswered: the questions users asked and did not get an answer to, grouped, five groups a page, each with
buttons: ➕ adds the group's questions as phrasings of an entry the bot had in mind for them (one tap), ✍️ writes
a new entry (answering.py), ✅ marks it resolved (answered by a hand edit) and 🚫 ignores it. Whoever asked to be
told gets the answer when the group is answered; then the answers users marked 👎."""

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import filters

from bot.i18n import Translator, mark
from bot.knowledge import KnowledgeBase
from bot.staff import QuestionGroup, group_candidates
from bot.storage import Status, UnansweredRecord
from bot.telegram import callbacks
from bot.telegram.context import BotContext, Services
from bot.telegram.feature import Feature
from bot.telegram.formatting import button_label
from bot.telegram.replies import edit_or_send, pressed, say
from bot.telegram.staff.common import StaffButtonHandler, open_groups, open_unanswered, staff_command
from bot.telegram.staff.edits import add_group_phrasings, start_answer, tell, tell_askers, told_text

GROUPS_PER_PAGE = 5
CANDIDATES_PER_GROUP = 2  # ➕ buttons under a group


def _button(label: str, target: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(callbacks.UNANSWERED, target))


def plus_buttons(
    group: QuestionGroup, page: int, records: dict[int, UnansweredRecord], kb: KnowledgeBase, lang: str, number: int
) -> list[list[InlineKeyboardButton]]:
    """➕ under a group: the entries the bot had in mind for its questions, best first, that still answer."""
    rows = []
    ranked = group_candidates([records[i] for i in group.ids if i in records])
    for entry_id in [e for e in ranked if kb.answerable(e)][:CANDIDATES_PER_GROUP]:
        try:
            data = callbacks.encode(callbacks.UNANSWERED, f"a:{group.key}:{page}:{entry_id}")
        except ValueError:  # an id too long for Telegram's 64 bytes of button data
            continue
        label = button_label(f"➕ {number}: {kb.entries[entry_id].label(lang)}")
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    return rows


def unanswered_page(
    groups: list[QuestionGroup],
    page: int,
    tr: Translator,
    zone: str,
    records: dict[int, UnansweredRecord],
    kb: KnowledgeBase,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of groups; times in `zone` (the bot's), labelled plainly."""
    if not groups:
        return tr.gettext("No open unanswered questions. 🎉"), None
    pages = (len(groups) + GROUPS_PER_PAGE - 1) // GROUPS_PER_PAGE
    page = min(max(page, 0), pages - 1)
    shown = groups[page * GROUPS_PER_PAGE : (page + 1) * GROUPS_PER_PAGE]
    lines = [
        "<b>"
        + tr.gettext(
            "Unanswered questions: %(groups)d groups, page %(page)d of %(pages)d",
            groups=len(groups),
            page=page + 1,
            pages=pages,
        )
        + "</b>"
    ]
    rows = []
    for number, group in enumerate(shown, start=page * GROUPS_PER_PAGE + 1):
        last = tr.moment(group.last_asked, zone)
        samples = " | ".join(escape(s) for s in group.samples)
        header = tr.ngettext("asked %(count)d time", "asked %(count)d times", group.count)
        lines.append(f"\n<b>{number}.</b> {header}, {last}, {'/'.join(group.langs)}\n{samples}")
        row = [_button(f"✅ {number}", f"r:{group.key}:{page}"), _button(f"🚫 {number}", f"i:{group.key}:{page}")]
        row.append(_button(f"✍️ {number}", f"w:{group.key}:{page}"))
        rows.append(row)
        rows.extend(plus_buttons(group, page, records, kb, tr.lang, number))
    navigation = []
    if page > 0:
        navigation.append(_button("⬅️", f"p:{page - 1}"))
    if page < pages - 1:
        navigation.append(_button("➡️", f"p:{page + 1}"))
    if navigation:
        rows.append(navigation)
    lines.append(
        "\n"
        + tr.gettext(
            "➕ adds the group's questions as phrasings of that entry (live at once; /undo reverses it). "
            "✍️ writes a new answer. ✅ marks a group resolved (you answered it by editing the files), "
            "🚫 ignores it. Whoever asked to be told gets the answer."
        )
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def negative_feedback_text(services: Services, tr: Translator) -> str:
    votes = await services.storage.negative_feedback(limit=10)
    if not votes:
        return ""
    kb = services.assistant.kb
    lines = ["<b>" + tr.gettext("Answers users marked 👎 (latest first):") + "</b>"]
    for vote in votes:
        entry = kb.entries.get(vote.entry_id or "")
        label = entry.label(tr.lang) if entry else (vote.entry_id or "?")
        question = vote.question or tr.gettext("(question not recorded)")
        lines.append(f"• {escape(question)} → {escape(label)} [{escape(vote.entry_id or '?')}]")
    return "\n".join(lines)


async def current_page(services: Services, page: int, tr: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    groups, records = await open_unanswered(services)
    return unanswered_page(groups, page, tr, services.config.timezone, records, services.assistant.kb)


async def unanswered_command(update: Update, context: BotContext) -> None:
    services, tr = context.services, context.tr
    text, keyboard = await current_page(services, 0, tr)
    await say(update, context, text, keyboard)
    feedback = await negative_feedback_text(services, tr)
    if feedback:
        await say(update, context, feedback)


async def page_button(update: Update, context: BotContext) -> None:
    await pressed(update).answer()
    await edit_or_send(update, context, *await current_page(context.services, int(context.button.group(1)), context.tr))


async def mark_button(update: Update, context: BotContext) -> None:
    """✅ or 🚫 on a group: every question of the group gets the status; the page is shown again."""
    services, tr, query = context.services, context.tr, pressed(update)
    action, key, page = context.button.groups()
    group = await pressed_group(update, context, int(key), int(page))
    if group is None:
        return
    status: Status = "resolved" if action == "r" else "ignored"
    await services.storage.set_unanswered_status(group.ids, status)
    if status == "resolved":
        told, untold = await tell_askers(context, group.ids, None)
        await query.answer(tr.gettext("Marked resolved."))
        if told or untold:
            await tell(context, query.from_user.id, told_text(told, untold, tr))
    else:
        await services.storage.drop_answer_requests(group.ids)
        await query.answer(tr.gettext("Ignored."))
    await edit_or_send(update, context, *await current_page(services, int(page), tr))


async def pressed_group(update: Update, context: BotContext, key: int, page: int) -> QuestionGroup | None:
    """The open group a button names, or None after saying it was handled and showing the page again."""
    groups = await open_groups(context.services)
    group = next((g for g in groups if key in g.ids), None)
    if group is None:
        await pressed(update).answer(context.tr.gettext("That group has already been handled."))
        await edit_or_send(update, context, *await current_page(context.services, page, context.tr))
    return group


async def plus_button(update: Update, context: BotContext) -> None:
    """➕: the group's questions become phrasings of the entry, at once."""
    query = pressed(update)
    key, page, entry_id = context.button.groups()
    group = await pressed_group(update, context, int(key), int(page))
    if group is None:
        return
    await query.answer()
    await tell(context, query.from_user.id, await add_group_phrasings(context, query.from_user.id, group, entry_id))
    await edit_or_send(update, context, *await current_page(context.services, int(page), context.tr))


async def write_button(update: Update, context: BotContext) -> None:
    """✍️: start writing a new entry for the group, in the staff member's private chat."""
    query = pressed(update)
    key, page = context.button.groups()
    group = await pressed_group(update, context, int(key), int(page))
    if group is None:
        return
    await query.answer()
    await start_answer(context, query.from_user.id, group)


def feature(staff: filters.User) -> Feature:
    return Feature(
        handlers=[
            staff_command("unanswered", unanswered_command, staff),
            StaffButtonHandler(page_button, callbacks.UNANSWERED, r"p:(\d{1,6})", staff),
            StaffButtonHandler(mark_button, callbacks.UNANSWERED, r"([ri]):(\d{1,18}):(\d{1,6})", staff),
            StaffButtonHandler(write_button, callbacks.UNANSWERED, r"w:(\d{1,18}):(\d{1,6})", staff),
            StaffButtonHandler(
                plus_button, callbacks.UNANSWERED, rf"a:(\d{{1,18}}):(\d{{1,6}}):({callbacks.ID})", staff
            ),
        ],
        staff_commands={"unanswered": mark("Unanswered questions, grouped")},
    )

"""/unanswered: the questions users asked and did not get an answer to, grouped, five groups a page, each with
buttons to mark it resolved (answered in the knowledge base) or ignored; then the answers users marked 👎."""

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import filters

from bot.i18n import Translator, mark
from bot.staff import QuestionGroup
from bot.storage import Status
from bot.telegram import callbacks
from bot.telegram.context import BotContext, Services
from bot.telegram.feature import Feature
from bot.telegram.replies import edit_or_send, pressed, say
from bot.telegram.staff.common import StaffButtonHandler, open_groups, staff_command

GROUPS_PER_PAGE = 5


def _button(label: str, target: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.encode(callbacks.UNANSWERED, target))


def unanswered_page(
    groups: list[QuestionGroup], page: int, tr: Translator, zone: str
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
        rows.append(
            [_button(f"✅ {number}", f"r:{group.key}:{page}"), _button(f"🚫 {number}", f"i:{group.key}:{page}")]
        )
    navigation = []
    if page > 0:
        navigation.append(_button("⬅️", f"p:{page - 1}"))
    if page < pages - 1:
        navigation.append(_button("➡️", f"p:{page + 1}"))
    if navigation:
        rows.append(navigation)
    lines.append("\n" + tr.gettext("✅ marks a group resolved (answered in the knowledge base), 🚫 ignores it."))
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


async def unanswered_command(update: Update, context: BotContext) -> None:
    services, tr = context.services, context.tr
    text, keyboard = unanswered_page(await open_groups(services), 0, tr, services.config.timezone)
    await say(update, context, text, keyboard)
    feedback = await negative_feedback_text(services, tr)
    if feedback:
        await say(update, context, feedback)


async def page_button(update: Update, context: BotContext) -> None:
    await pressed(update).answer()
    services = context.services
    groups = await open_groups(services)
    page = unanswered_page(groups, int(context.button.group(1)), context.tr, services.config.timezone)
    await edit_or_send(update, context, *page)


async def mark_button(update: Update, context: BotContext) -> None:
    """✅ or 🚫 on a group: every question of the group gets the status; the page is shown again."""
    services, tr, query = context.services, context.tr, pressed(update)
    action, key, page = context.button.groups()
    groups = await open_groups(services)
    group = next((g for g in groups if int(key) in g.ids), None)
    if group is None:
        await query.answer(tr.gettext("That group has already been handled."))
        await edit_or_send(update, context, *unanswered_page(groups, int(page), tr, services.config.timezone))
        return
    status: Status = "resolved" if action == "r" else "ignored"
    await services.storage.set_unanswered_status(group.ids, status)
    await query.answer(tr.gettext("Marked resolved.") if status == "resolved" else tr.gettext("Ignored."))
    shown = unanswered_page(await open_groups(services), int(page), tr, services.config.timezone)
    await edit_or_send(update, context, *shown)


def feature(staff: filters.User) -> Feature:
    return Feature(
        handlers=[
            staff_command("unanswered", unanswered_command, staff),
            StaffButtonHandler(page_button, callbacks.UNANSWERED, r"p:(\d{1,6})", staff),
            StaffButtonHandler(mark_button, callbacks.UNANSWERED, r"([ri]):(\d{1,18}):(\d{1,6})", staff),
        ],
        staff_commands={"unanswered": mark("Unanswered questions, grouped")},
    )

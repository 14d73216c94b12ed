"""/broadcast for staff: an announcement in both languages, previewed, confirmed, delivered by the ledger's engine.

    /broadcast
    it: Testo in italiano
    en: Text in English

Each text starts where a line (or a `||` on a single line) begins with `it:` or `en:`; Telegram formatting (bold,
links...) is kept. The draft lives in the database, so Confirm still works after a restart and a second tap on it
sends nothing. Non-staff get exactly the "unknown command" reply (fallback.py), so the command's existence is not
revealed. The Send and Cancel buttons carry a code derived from the bot's secret token, the draft and the chat it
was shown in: draft numbers are sequential, and a forged button press must not be able to name one.
"""

import base64
import hashlib
import hmac
import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import filters

from bot.i18n import Translator, mark
from bot.knowledge.model import LANGUAGES
from bot.telegram import callbacks
from bot.telegram.context import BotContext
from bot.telegram.delivery import courier_of
from bot.telegram.feature import Feature
from bot.telegram.keyboards import LANGUAGE_NAMES
from bot.telegram.replies import answer_stale_button, edit_or_send, pressed, say
from bot.telegram.staff.common import StaffButtonHandler, split_languages, staff_command

MAX_TEXT_CHARS = 3900  # Telegram's 4096, less room for the preview's heading
SEND, CANCEL = "send", "cancel"
CODE_CHARS = 16
BUTTON_TARGET = rf"({SEND}|{CANCEL}):(\d{{1,18}}):([a-z2-7]{{{CODE_CHARS}}})"  # action, draft id, confirmation code

_TAG = re.compile(r"<[^>]*>")


class BroadcastSyntaxError(ValueError):
    """The texts could not be read; the message says why, in English (the handler replies in the user's words)."""


def parse_broadcast(text_html: str) -> dict[str, str]:
    """{"it": ..., "en": ...} from the command's argument (HTML, as Telegram formatted it)."""
    try:
        texts = split_languages(text_html)
    except ValueError:
        raise BroadcastSyntaxError("missing") from None
    if any(len(html.unescape(_TAG.sub("", body))) > MAX_TEXT_CHARS for body in texts.values()):
        raise BroadcastSyntaxError("too long")
    return texts


def usage(tr: Translator) -> str:
    return tr.gettext(
        "Send an announcement to every subscriber, each in their language:\n\n"
        "/broadcast\n"
        "it: Testo in italiano\n"
        "en: Text in English\n\n"
        "Each text begins on a line starting with it: or en: (on a single line, separate them with ||). "
        "Bold, italics and links are kept. You will see a preview and confirm before anything is sent."
    )


def confirmation_code(secret: str, broadcast_id: int, chat_id: int) -> str:
    """16 base32 characters (80 bits) that only someone holding `secret` can compute for this draft and chat."""
    digest = hmac.new(secret.encode(), f"broadcast:{broadcast_id}:{chat_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:CODE_CHARS].lower()


def confirm_keyboard(tr: Translator, broadcast_id: int, code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✅ " + tr.gettext("Send"),
                    callback_data=callbacks.encode(callbacks.BROADCAST, f"{SEND}:{broadcast_id}:{code}"),
                ),
                InlineKeyboardButton(
                    "✖️ " + tr.gettext("Cancel"),
                    callback_data=callbacks.encode(callbacks.BROADCAST, f"{CANCEL}:{broadcast_id}:{code}"),
                ),
            ]
        ]
    )


def _argument_html(message: Message | None) -> str:
    """The text after the command, with its formatting as HTML."""
    parts = message.text_html.split(maxsplit=1) if message else []
    return parts[1] if len(parts) > 1 else ""


async def broadcast_command(update: Update, context: BotContext) -> None:
    tr = context.tr
    argument = _argument_html(update.effective_message) if context.args else ""  # none through the /start link
    if not argument.strip():
        await say(update, context, html.escape(usage(tr), quote=False))
        return
    try:
        texts = parse_broadcast(argument)
    except BroadcastSyntaxError as exc:
        if str(exc) == "too long":
            problem = tr.gettext("Each text can be at most %(count)d characters long.", count=MAX_TEXT_CHARS)
        else:
            problem = tr.gettext("I need exactly one Italian and one English text.")
        await say(update, context, html.escape(problem + "\n\n" + usage(tr), quote=False))
        return
    await preview(update, context, tr, texts)


async def preview(update: Update, context: BotContext, tr: Translator, texts: dict[str, str]) -> None:
    """Each text as subscribers will see it, then the count and the Send/Cancel buttons."""
    services, chat = context.services, update.effective_chat
    if chat is None:
        return
    broadcast_id = await services.storage.create_broadcast_draft(texts, chat.id, tr.lang, services.clock())
    try:
        for lang in LANGUAGES:
            heading = tr.gettext("Preview, %(language)s:", language=LANGUAGE_NAMES[lang])
            await say(update, context, f"<i>{html.escape(heading, quote=False)}</i>\n\n{texts[lang]}")
    except BadRequest as exc:
        await services.storage.cancel_broadcast(broadcast_id)
        problem = tr.gettext("Telegram refused this text (%(reason)s): nothing will be sent.", reason=exc.message)
        await say(update, context, html.escape(problem, quote=False))
        return
    count = await services.storage.count_subscribers()
    summary = (
        tr.gettext("Announcement #%(id)d is ready.", id=broadcast_id)
        + " "
        + tr.ngettext(
            "It will go to %(count)d subscriber, in their language.",
            "It will go to %(count)d subscribers, each in their language.",
            count,
        )
        + "\n"
        + tr.gettext("Send it now?")
    )
    code = confirmation_code(context.bot.token, broadcast_id, chat.id)
    await say(update, context, html.escape(summary, quote=False), confirm_keyboard(tr, broadcast_id, code))


async def broadcast_button(update: Update, context: BotContext) -> None:
    services, tr, query = context.services, context.tr, pressed(update)
    action, raw_id, code = context.button.groups()
    broadcast_id = int(raw_id)
    chat_id = query.message.chat.id if query.message else 0
    if not hmac.compare_digest(code, confirmation_code(context.bot.token, broadcast_id, chat_id)):
        await answer_stale_button(update, context)  # forged, or shown in another chat: what any forged button gets
        return
    text: str | None = None
    if action == SEND:
        count = await services.storage.confirm_broadcast(broadcast_id, services.clock())
        if count is not None:
            text = tr.ngettext(
                "✅ Announcement #%(id)d is on its way to %(count)d subscriber. I will send you a report when done.",
                "✅ Announcement #%(id)d is on its way to %(count)d subscribers. I will send you a report when done.",
                count,
                id=broadcast_id,
            )
            courier = courier_of(context.bot_data)
            if courier is not None:
                courier.kick()
    else:
        text = (
            tr.gettext("✖️ Announcement #%(id)d cancelled: nothing was sent.", id=broadcast_id)
            if await services.storage.cancel_broadcast(broadcast_id)
            else None
        )
    if text is None:
        await query.answer(tr.gettext("This announcement was already sent or cancelled."), show_alert=True)
        return
    await query.answer()
    await edit_or_send(update, context, html.escape(text, quote=False), None)


def feature(staff: filters.User) -> Feature:
    return Feature(
        handlers=[
            staff_command("broadcast", broadcast_command, staff),
            StaffButtonHandler(broadcast_button, callbacks.BROADCAST, BUTTON_TARGET, staff),
        ],
        staff_commands={"broadcast": mark("Send an announcement to the subscribers")},
    )

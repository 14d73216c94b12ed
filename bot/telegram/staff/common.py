"""What staff features share: who is staff (one `filters.User` from BOT_STAFF_IDS, for commands and buttons
alike), staff output only in private chats, the open unanswered questions, grouped, and the one way to reload the
knowledge base (/reload, the file watch and edits made from Telegram all use it).

Staff output quotes users (their unanswered questions, what they voted) and holds what the group need not see, so
staff commands and buttons work only in a private chat with the bot. In a group, a staff command gets a short note
with a link that opens the private chat and runs it there: t.me/<bot>?start=staff-stats-7 is /stats 7.
"""

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler, filters

from bot.knowledge import KnowledgeFiles, Problem
from bot.live import ReloadOutcome
from bot.staff import QuestionGroup, group_questions
from bot.storage import UnansweredRecord
from bot.telegram.callbacks import ButtonHandler, Callback
from bot.telegram.context import BotContext, Services
from bot.telegram.delivery import courier_of
from bot.telegram.replies import say

log = logging.getLogger(__name__)

MAX_UNANSWERED_READ = 5000
DEEP_LINK_PREFIX = "staff-"
STAMP_KEY = "knowledge_stamp"
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what Telegram allows after ?start=
_LANGUAGE_SECTION = re.compile(r"(?:^|\n|\|\|)[ \t]*(it|en)[ \t]*:", re.IGNORECASE)


def staff_filter(staff_ids: frozenset[int]) -> filters.User:
    return filters.User(user_id=staff_ids)


def staff_command(command: str, callback: Callback, staff: filters.User) -> CommandHandler[BotContext, None]:
    return StaffCommandHandler(command, callback, staff)


class StaffCommandHandler(CommandHandler[BotContext, None]):
    """`/command` from staff in a private chat, or `/start staff-command[-argument...]` (the link given in groups);
    in a group, the note and the link instead of the command's output."""

    def __init__(self, command: str, callback: Callback, staff: filters.User) -> None:
        super().__init__([command, "start"], self._in_private, filters=staff)
        self.command = command
        self.run = callback

    def check_update(self, update: object) -> bool | tuple[list[str], bool | dict[str, list[object]] | None] | None:
        found = super().check_update(update)
        if not isinstance(found, tuple) or not isinstance(update, Update) or update.effective_message is None:
            return found
        args, filter_result = found
        if _command_name(update.effective_message) != "start":
            return found
        link = f"{DEEP_LINK_PREFIX}{self.command}"
        private = update.effective_message.chat.type == ChatType.PRIVATE
        if not private or len(args) != 1 or not (args[0] == link or args[0].startswith(link + "-")):
            return None  # an ordinary /start: the conversation's
        return args[0][len(link) + 1 :].split("-") if args[0] != link else [], filter_result

    async def _in_private(self, update: Update, context: BotContext) -> None:
        chat = update.effective_chat
        if chat is not None and chat.type != ChatType.PRIVATE:
            await say(update, context, private_chat_note(context, self.command, context.args or []))
            return
        await self.run(update, context)


def private_chat_note(context: BotContext, command: str, args: Sequence[str]) -> str:
    payload = "-".join([DEEP_LINK_PREFIX + command, *args])
    if not _PAYLOAD.fullmatch(payload):
        payload = DEEP_LINK_PREFIX + command  # arguments a link cannot carry (a broadcast's text): left out
    tr = context.tr
    url = f"https://t.me/{context.bot.username}?start={payload}"
    return (
        escape(tr.gettext("Staff commands answer only in a private chat, so nothing about users reaches a group."))
        + f'\n<a href="{escape(url)}">'
        + escape(tr.gettext("Open /%(command)s in a private chat with me", command=command))
        + "</a>"
    )


def _command_name(message: Message) -> str:
    entity = message.entities[0] if message.entities else None
    text = message.text or ""
    return text[1 : entity.length].split("@")[0].lower() if entity else ""


class StaffButtonHandler(ButtonHandler):
    """A button only staff may press, under a message in a private chat. `filters.User` reads messages, not button
    presses, so the presser is checked against the same filter's ids here."""

    def __init__(self, callback: Callback, action: str, target: str, staff: filters.User) -> None:
        super().__init__(callback, action, target)
        self.staff = staff

    def check_update(self, update: object) -> bool | object | None:
        if not isinstance(update, Update) or update.callback_query is None:
            return None
        if update.callback_query.from_user.id not in self.staff.user_ids:
            return None
        message = update.callback_query.message
        if message is None or message.chat.type != ChatType.PRIVATE:
            return None  # staff output lives in private chats only: anywhere else it is a stale or forged button
        return super().check_update(update)


async def open_unanswered(services: Services) -> tuple[list[QuestionGroup], dict[int, UnansweredRecord]]:
    """The open groups, and their questions by id (with the candidate entries stored for each)."""
    records = await services.storage.unanswered_questions(status="open", limit=MAX_UNANSWERED_READ)
    return group_questions(records, services.assistant.index.analyzer), {record.id: record for record in records}


async def open_groups(services: Services) -> list[QuestionGroup]:
    return (await open_unanswered(services))[0]


# -- the knowledge base, reloaded --------------------------------------------------------------------------------


def knowledge_stamp(directory: Path) -> tuple[object, ...]:
    """A cheap sign that staff saved something: names, sizes and modification times of the YAML files. The content
    decides whether it is a new version (LiveAssistant)."""
    try:
        return tuple(
            sorted(
                (p.name, p.stat().st_mtime_ns, p.stat().st_size)
                for p in directory.iterdir()
                if p.suffix in (".yaml", ".yml")
            )
        )
    except OSError:
        return ("missing",)


async def after_reload(bot_data: Mapping[str, object], services: Services) -> None:
    """A new version serves: keep it as the last good one, and let moved deadlines reach staff soon."""
    log.info("knowledge base reloaded: %d entries", len(services.assistant.kb.entries))
    await keep_served(services)
    if (courier := courier_of(bot_data)) is not None:
        courier.kick()


async def keep_served(services: Services) -> None:
    served: KnowledgeFiles = services.live.served
    await services.store(
        "keep the knowledge base as the last good version",
        lambda: services.storage.save_knowledge_snapshot(served.files, served.digest, services.clock()),
    )


async def reload_now(context: BotContext) -> tuple[Problem, ...]:
    """Reload at once, as /reload does (off the event loop; a new version is kept as the last good one), after an
    edit made from Telegram; the errors if it was refused (the caller tells the staff member). The files' stamp is
    recorded, so that the file watch does not take the same edit for a new one."""
    services, live = context.services, context.services.live
    result = await live.refresh(force=True)
    live.unreported_refusal()  # the caller reports it
    context.bot_data[STAMP_KEY] = await asyncio.to_thread(knowledge_stamp, live.directory)
    if result.outcome is ReloadOutcome.REFUSED:
        log.warning("knowledge base reload refused: %d error(s), first: %s", len(result.errors), result.errors[0])
        return result.errors
    await after_reload(context.bot_data, services)
    return ()


def split_languages(text: str) -> dict[str, str]:
    """{"it": ..., "en": ...} from text where each language's part starts a line (or follows `||`) with `it:` or
    `en:`; ValueError unless there is exactly one non-empty part per language and nothing before the first."""
    matches = list(_LANGUAGE_SECTION.finditer(text))
    if not matches or text[: matches[0].start()].strip():
        raise ValueError("missing")
    parts: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        lang = match.group(1).lower()
        body = text[match.end() : following.start() if following else len(text)].strip()
        if lang in parts or not body:
            raise ValueError("missing")
        parts[lang] = body
    if set(parts) != {"it", "en"}:
        raise ValueError("missing")
    return parts

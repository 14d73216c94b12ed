"""What staff features share: who is staff (one `filters.User` from BOT_STAFF_IDS, for commands and buttons
alike), the open unanswered questions, grouped, the one way to reload the knowledge base (commands, the file watch
and edits made from Telegram all use it), and keeping staff-only output out of group chats."""

import asyncio
import logging
import re
from collections.abc import Mapping
from html import escape
from pathlib import Path

from telegram import Update
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
STAMP_KEY = "knowledge_stamp"
_LANGUAGE_SECTION = re.compile(r"(?:^|\n|\|\|)[ \t]*(it|en)[ \t]*:", re.IGNORECASE)


def staff_filter(staff_ids: frozenset[int]) -> filters.User:
    return filters.User(user_id=staff_ids)


def staff_command(command: str, callback: Callback, staff: filters.User) -> CommandHandler[BotContext, None]:
    return CommandHandler(command, callback, filters=staff)


class StaffButtonHandler(ButtonHandler):
    """A button only staff may press. `filters.User` reads messages, not button presses, so the presser is
    checked against the same filter's ids here."""

    def __init__(self, callback: Callback, action: str, target: str, staff: filters.User) -> None:
        super().__init__(callback, action, target)
        self.staff = staff

    def check_update(self, update: object) -> bool | object | None:
        if not isinstance(update, Update) or update.callback_query is None:
            return None
        if update.callback_query.from_user.id not in self.staff.user_ids:
            return None
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


# -- staff output stays private ----------------------------------------------------------------------------------


def in_private_chat(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def private_only(update: Update, context: BotContext) -> bool:
    """True in a private chat; in a group, a short note that says where to ask, and nothing else."""
    if in_private_chat(update):
        return True
    await say(
        update,
        context,
        escape(
            context.tr.gettext(
                "Staff tools work only in our private chat: write to me there, @%(bot)s.", bot=context.bot.username
            ),
            quote=False,
        ),
    )
    return False


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

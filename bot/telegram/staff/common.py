"""What staff features share: who is staff (one `filters.User` from BOT_STAFF_IDS, for commands and buttons
alike), and the open unanswered questions, grouped."""

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.staff import QuestionGroup, group_questions
from bot.telegram.callbacks import ButtonHandler, Callback
from bot.telegram.context import BotContext, Services

MAX_UNANSWERED_READ = 5000


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


async def open_groups(services: Services) -> list[QuestionGroup]:
    records = await services.storage.unanswered_questions(status="open", limit=MAX_UNANSWERED_READ)
    return group_questions(records, services.assistant.index.analyzer)

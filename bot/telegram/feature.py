"""What a feature module contributes to the application; app.py only assembles these."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import BaseHandler, filters

from bot.telegram.context import BotApplication, BotContext

Handler = BaseHandler[Any, BotContext, Any]
#: New messages and their edits (an edited question is answered again).
MESSAGES = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE


@dataclass(frozen=True)
class Feature:
    """Handlers in registration order, the command-menu entries (command -> description, marked for translation)
    for everyone and for staff chats, and what to start with the application (jobs)."""

    handlers: Sequence[Handler]
    commands: Mapping[str, str] = field(default_factory=dict)
    staff_commands: Mapping[str, str] = field(default_factory=dict)
    start: Callable[[BotApplication], None] | None = None

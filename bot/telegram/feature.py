"""What a feature module contributes to the application; app.py only assembles these."""

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, filters

from bot.telegram.context import BotApplication, BotContext

Handler = BaseHandler[Any, BotContext, Any]
#: New messages and their edits (an edited question is answered again).
MESSAGES = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
#: bot_data key: deep-link payload (t.me/<bot>?start=PAYLOAD) -> the feature's handler; /start looks there first.
DEEP_LINKS_KEY = "deep_links"
DeepLink = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Feature:
    """Handlers in registration order, the command-menu entries (command -> description, marked for translation)
    for everyone and for staff chats, what to start with the application (jobs), the /start deep-link
    payloads it answers (so features never import each other), and `input_handlers`, which see messages before
    every feature (a staff dialogue waiting for text) and raise ApplicationHandlerStop when they took one."""

    handlers: Sequence[Handler]
    commands: Mapping[str, str] = field(default_factory=dict)
    staff_commands: Mapping[str, str] = field(default_factory=dict)
    start: Callable[[BotApplication], None] | None = None
    deep_links: Mapping[str, DeepLink] = field(default_factory=dict)
    input_handlers: Sequence[Handler] = ()

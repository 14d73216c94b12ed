"""Callback data of inline buttons: short, parseable, and safe to receive forged or stale.

Data is `<action letter>:<target>` (Telegram allows 64 bytes). Each feature registers its buttons with
`ButtonHandler(callback, ACTION, TARGET)`, a `CallbackQueryHandler` with `pattern=`, so python-telegram-bot does
the routing and the callback finds the target's parts in `context.button`; data that no pattern takes (forged, or
from an older version) reaches the one fallback in fallback.py.
"""

import re
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.telegram.context import BotContext

ANSWER = "a"  # a:<entry id>
TOPIC = "t"  # t:<topic id>
TOPICS = "m"  # m:  (the topic menu)
LANGUAGE = "l"  # l:<it|en|auto>
FEEDBACK = "f"  # f:<+|->:<entry id>
SUBSCRIPTION = "s"  # s:<on|off>
BROADCAST = "b"  # b:<send|cancel>:<broadcast id>
NOTICE = "n"  # n:<send|drop>:<change notice id>  (staff)
PRIVACY = "p"  # p:<forget|keep>
UNANSWERED = "u"  # u:p:<page> | u:<r|i|w>:<group key>:<page> | u:a:<group key>:<page>:<entry id>  (staff)
KNOWLEDGE = "k"  # k:<y|n>:<change id> | k:t:<topic id> | k:s:<source id>  (staff: knowledge-base changes)
NOTIFY = "r"  # r:<unanswered question id>  ("🔔 tell me when there is an answer": r for ring)

_DATA = re.compile(r"^([a-z]):([a-z0-9+\-:]{0,60})$")
#: Knowledge-base ids (entries, topics) as the loader accepts them, as long as the data format allows.
ID = r"[a-z0-9][a-z0-9-]{0,59}"


def encode(action: str, target: str = "") -> str:
    data = f"{action}:{target}"
    if not _DATA.match(data):
        raise ValueError(f"callback data out of format: {data!r}")
    return data


def pattern(action: str, target: str = "") -> re.Pattern[str]:
    """The data of one kind of button; `target` is a regular expression whose groups the handler reads."""
    return re.compile(f"^{re.escape(action)}:{target}$")


Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


class ButtonHandler(CallbackQueryHandler[BotContext, None]):
    """One kind of button: `pattern(action, target)` routes it. A press without data, which PTB would hand to
    every pattern, is left to the fallback."""

    def __init__(self, callback: Callback, action: str, target: str = "") -> None:
        super().__init__(callback, pattern=pattern(action, target))

    def check_update(self, update: object) -> bool | object | None:
        if isinstance(update, Update) and update.callback_query is not None and not update.callback_query.data:
            return None
        return super().check_update(update)

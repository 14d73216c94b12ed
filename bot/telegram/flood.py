"""Per-user flood control: a token bucket per user, one polite "slow down", then silence until they pause.

Pure logic (FloodGate) with the clock passed in, and a thin handler that runs before every other handler.
Flooded updates never reach the assistant, so they are neither answered nor logged as unanswered questions.
"""

import time
from dataclasses import dataclass
from enum import Enum

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.telegram.context import BotContext
from bot.telegram.reader import for_the_bot
from bot.telegram.sending import send_html

#: A person types at most a message every few seconds; bursts of quick follow-ups and button taps are fine.
BURST = 8
REFILL_PER_SECOND = 0.5
IDLE_FORGET_SECONDS = 600.0


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first update refused in this flood: tell the user once
    DROP = "drop"


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class FloodGate:
    def __init__(self, burst: int = BURST, refill_per_second: float = REFILL_PER_SECOND) -> None:
        self.burst = burst
        self.refill = refill_per_second
        self._buckets: dict[int, _Bucket] = {}
        self._last_sweep = 0.0

    def check(self, user_id: int, now: float) -> Verdict:
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.refill)
        bucket.updated = now
        self._sweep(now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return Verdict.ALLOW
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN

    def _sweep(self, now: float) -> None:
        """Forget users idle long enough to have a full bucket again, so memory stays bounded."""
        if now - self._last_sweep < IDLE_FORGET_SECONDS:
            return
        self._last_sweep = now
        for user_id in [u for u, b in self._buckets.items() if now - b.updated > IDLE_FORGET_SECONDS]:
            del self._buckets[user_id]

    def __len__(self) -> int:
        return len(self._buckets)


FLOOD_GATE_KEY = "flood_gate"


async def flood_control(update: object, context: BotContext) -> None:
    """Group chatter the bot ignores must not count against anyone."""
    if not isinstance(update, Update) or update.effective_user is None or not for_the_bot(update, context):
        return
    gate: FloodGate = context.bot_data.setdefault(FLOOD_GATE_KEY, FloodGate())
    verdict = gate.check(update.effective_user.id, time.monotonic())
    if verdict is Verdict.ALLOW:
        return
    if update.callback_query:
        await update.callback_query.answer()
    if verdict is Verdict.WARN and update.effective_chat is not None:
        await send_html(
            context.bot,
            update.effective_chat.id,
            context.tr.gettext("You are sending messages very quickly: please wait a few seconds, then ask again."),
        )
    raise ApplicationHandlerStop


def flood_handler() -> TypeHandler[Update, BotContext, None]:
    """Registered in a group before all others: a stopped update reaches no other handler."""
    return TypeHandler(Update, flood_control)

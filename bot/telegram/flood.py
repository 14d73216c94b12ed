"""Per-user flood control, decided the moment an update arrives: one polite "slow down", then silence.

The gate runs in the update processor (ordering.py) before an update joins its chat's queue, mostly even before
the update is parsed, so a refused update costs no database access, no network call and no place in the queue;
only the one warning of a flood is sent, in the refused update's place, after the answers already on their way.
Messages and button taps are counted separately: someone browsing the menus taps faster than anyone types, so taps
get a larger, faster bucket.

Pure logic (FloodGate) with the clock passed in, and a thin gate (FloodControl) that knows about Telegram.
"""

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from telegram import Update
from telegram.error import TelegramError

from bot.telegram.context import BotApplication, BotContext
from bot.telegram.reader import for_the_bot
from bot.telegram.sending import send_html

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    """A token bucket: `burst` updates at once, then `per_second` on average."""

    burst: int
    per_second: float


class Kind(Enum):
    MESSAGE = "message"
    BUTTON = "button"


#: A person types a message every few seconds at most; tapping through menus is faster, and bursty.
RATES: Mapping[Kind, Rate] = {Kind.MESSAGE: Rate(burst=8, per_second=0.5), Kind.BUTTON: Rate(burst=20, per_second=1.0)}
SWEEP_SECONDS = 60.0
MAX_TRACKED = 100_000  # buckets kept at most; the oldest go first (a forgotten bucket is a full one)
MAX_SCREENED = 10_000  # verdicts given on the JSON, waiting for their update to reach the processor
REFUSED = "refused_by_flood_control"  # the mark on the stand-in of an update refused on its JSON


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first update refused in this flood: tell the user once
    DROP = "drop"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class FloodGate:
    """One bucket per user and kind of update. A flood is warned about once: the warning is given again only after
    the user paused long enough for the bucket to fill up, not whenever an update gets through (under a steady
    flood one does every few seconds, and the user would be warned as often)."""

    def __init__(self, rates: Mapping[Kind, Rate] = RATES, max_tracked: int = MAX_TRACKED) -> None:
        self.rates = rates
        self.max_tracked = max_tracked
        self._buckets: dict[tuple[int, Kind], _Bucket] = {}
        self._last_sweep = 0.0

    def check(self, user_id: int, kind: Kind, now: float) -> Verdict:
        rate = self.rates[kind]
        bucket = self._buckets.get((user_id, kind))
        if bucket is None:
            self._sweep(now)
            bucket = self._buckets[(user_id, kind)] = _Bucket(float(rate.burst), now)
        else:
            bucket.tokens = min(float(rate.burst), bucket.tokens + max(0.0, now - bucket.updated) * rate.per_second)
            bucket.updated = now
            if bucket.tokens >= rate.burst:
                bucket.warned = False  # a real pause: a later flood is a new one
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict.ALLOW
        if bucket.warned:
            return Verdict.DROP
        bucket.warned = True
        return Verdict.WARN

    def _sweep(self, now: float) -> None:
        """Forget buckets that have filled up again (they hold nothing a new one would not), so memory is bounded by
        the users active in the last minute or so; past `max_tracked`, the oldest go."""
        if now - self._last_sweep >= SWEEP_SECONDS:
            self._last_sweep = now
            for key in [key for key, bucket in self._buckets.items() if self._full(key[1], bucket, now)]:
                del self._buckets[key]
        excess = len(self._buckets) - self.max_tracked
        if excess > 0:
            for key in list(self._buckets)[: excess + self.max_tracked // 10]:
                del self._buckets[key]

    def _full(self, kind: Kind, bucket: _Bucket, now: float) -> bool:
        rate = self.rates[kind]
        return bucket.tokens + (now - bucket.updated) * rate.per_second >= rate.burst

    def __len__(self) -> int:
        return len(self._buckets)


class FloodControl:
    """The update processor's gate (ordering.Gate).

    Private messages and button taps are always for the bot, so they are judged in `screen`, on the decoded JSON:
    one refused there is reduced to its id before python-telegram-bot parses it. Group messages need the parsed
    update to tell whether they are for the bot at all, and are judged when they reach the processor.
    """

    def __init__(
        self, application: BotApplication, gate: FloodGate | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.application = application
        self.gate = gate or FloodGate()
        self.clock = clock
        self._screened: OrderedDict[int, Verdict] = OrderedDict()  # update id -> verdict, until the update arrives

    def screen(self, update: dict[str, Any]) -> dict[str, Any]:
        sender = _private_sender(update)
        update_id = update.get("update_id")
        if sender is None or not isinstance(update_id, int):
            return update
        verdict = self.gate.check(*sender, self.clock())
        if verdict is Verdict.DROP:
            return {"update_id": update_id, REFUSED: True}
        self._screened[update_id] = verdict
        while len(self._screened) > MAX_SCREENED:
            self._screened.popitem(last=False)
        return update

    def __call__(self, update: object, work: Awaitable[Any]) -> Awaitable[Any] | None:
        """Group chatter the bot ignores counts against no one."""
        if not isinstance(update, Update):
            return work
        if update.api_kwargs.get(REFUSED):
            return None
        verdict = self._screened.pop(update.update_id, None)
        if verdict is None:
            if update.effective_user is None or not for_the_bot(update, self.application):
                return work
            kind = Kind.BUTTON if update.callback_query else Kind.MESSAGE
            verdict = self.gate.check(update.effective_user.id, kind, self.clock())
        if verdict is Verdict.ALLOW:
            return work
        return self.warn(update) if verdict is Verdict.WARN else None

    async def warn(self, update: Update) -> None:
        """A toast for button taps, a message otherwise; in the reader's language."""
        tr = BotContext.from_update(update, self.application).tr
        try:
            if update.callback_query:
                await update.callback_query.answer(
                    tr.gettext("You are pressing buttons very quickly: please wait a few seconds.")
                )
            elif update.effective_chat is not None:
                text = tr.gettext("You are sending messages very quickly: please wait a few seconds, then ask again.")
                await send_html(self.application.bot, update.effective_chat.id, text)
        except TelegramError as exc:
            log.info("could not send the flood warning: %s", exc)


def _private_sender(update: dict[str, Any]) -> tuple[int, Kind] | None:
    """Who sent a button tap or a private message, from the decoded JSON; None for anything else."""
    query = update.get("callback_query")
    if isinstance(query, dict):
        sender = query.get("from")
        kind = Kind.BUTTON
    else:
        posted = update.get("message") or update.get("edited_message")
        if not isinstance(posted, dict) or not isinstance(posted.get("chat"), dict):
            return None
        if posted["chat"].get("type") != "private":
            return None
        sender = posted.get("from")
        kind = Kind.MESSAGE
    user_id = sender.get("id") if isinstance(sender, dict) else None
    return (user_id, kind) if isinstance(user_id, int) and not isinstance(user_id, bool) else None

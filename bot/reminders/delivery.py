"""The delivery engine shared by reminders, change notices, announcements and their reports.

It sends the ledger's pending rows in order, within Telegram's broadcast limits: a steady global rate (30/s by
default), one message per second to a chat (one per 3 s to a group), and after a 429 it pauses *all* sending for
the `retry_after` Telegram asks. Blocked or vanished chats are unsubscribed, with the reason, in the same unit of
work that closes their row.

Exactly once, and where that stops being possible
--------------------------------------------------
The Bot API has no idempotency key and no way to ask "did this message arrive?", so one step can never be made
exact: the moment between handing a request to the network and recording Telegram's answer. The engine makes that
moment as small as it can and resolves it the same way every time, towards *no duplicate*:

1. A row is claimed (`pending` -> `sending`, committed) by the task that sends it, immediately before the request.
2. Telegram's answer is committed in the same task as soon as it arrives: `sent` with the message id, or `blocked`
   / `failed`, or back to `pending` when Telegram certainly did not take it (429; connection refused or timed out
   while connecting; HTTP 500/502/503), to be retried with back-off.
3. When the answer is unknowable (read timeout, connection dropped after the request went out, HTTP 504, an
   unexpected exception), the row becomes `unconfirmed`: presumed delivered, never sent again.
4. Rows still `sending` when a new engine starts were claimed by a run that died between 1 and 2: they are settled
   as `unconfirmed` too (`settle_interrupted`), and everything `pending` is then delivered.

Cancelling `run()` (a task cancel, the application stopping) is exact: each send runs in its own task, which the
cancellation does not touch, and `run()` waits for the sends in flight to be recorded before it ends, so a fresh
engine finds only `pending` rows. A hard kill (SIGKILL, power loss) leaves at most `max_in_flight` rows in
`sending`. Each of them either had its request out already (the usual case: Telegram processes a request whose
answer nobody reads) and is rightly not resent, or was killed between the claim's commit and the request leaving:
that gap is the residual loss window. It is the event loop resuming the task and python-telegram-bot building the
request, well under a millisecond on a warm connection, longer only when a new connection must first be opened or
when the send-time rate guard (`Pacer.leave`) holds the request for a few milliseconds of jitter. Those rows, and
the ambiguous errors of step 3, stay visible as `unconfirmed` with their reason (counted in broadcast reports).
Resending them instead would turn every one into a likely duplicate: the much wider window (a full round trip)
is on that side.
"""

import asyncio
import contextlib
import datetime as dt
import heapq
import logging
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import aiohttp
import httpx
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.clock import utc_now
from bot.storage import Storage, StorageError
from bot.storage.deliveries import PendingDelivery

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: What the HTTP clients raise when the request never left: no connection could be opened, or none became free in
#: time (aiohttp is the bot's client, bot/telegram/transport.py; httpx is python-telegram-bot's default).
_NOT_SENT_CAUSES = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
)
_POLL_SECONDS = 0.25  # how soon a long wait notices that the application is stopping
_REFUSED_STATUSES = ("(429)", "(500)", "(503)", "Bad Gateway", "Internal Server Error", "Service Unavailable")


@dataclass(frozen=True)
class Pacing:
    """Telegram's broadcast limits: about 30 messages a second overall, 1 a second per chat, 20 a minute per group."""

    per_second: float = 30.0
    per_chat_interval: float = 1.0
    per_group_interval: float = 3.0
    backoff_first: float = 0.5
    backoff_max: float = 30.0
    window_margin: float = 0.03  # seconds added to the rate window at the moment of sending, against jitter


@dataclass
class DeliveryStats:
    """What one run did; `retry_after` counts the 429 answers received."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    unconfirmed: int = 0
    skipped: int = 0
    retry_after: int = 0
    network_retries: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.blocked + self.failed + self.unconfirmed


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that the attribute's type will change; both types are handled
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def certainly_not_sent(exc: NetworkError) -> bool:
    """True when the request provably did not deliver the message, so sending it again cannot duplicate it."""
    cause = exc.__cause__
    if isinstance(cause, httpx.HTTPError | aiohttp.ClientError):
        return isinstance(cause, _NOT_SENT_CAUSES)
    if cause is None:  # Telegram answered with an HTTP error status
        return any(marker in exc.message for marker in _REFUSED_STATUSES)
    return False


class Pacer:
    """Hands out send slots: a steady global rate with no bursts, per-chat spacing, and a pause for everyone."""

    def __init__(self, pacing: Pacing, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.pacing = pacing
        self._now = monotonic
        self._interval = 1.0 / pacing.per_second
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._last_by_chat: dict[int, float] = {}
        self._chats_in_flight: set[int] = set()
        self._failures = 0
        self._capacity = max(1, round(pacing.per_second))
        self._period = self._capacity / pacing.per_second + pacing.window_margin
        self._sent_at: deque[float] = deque()

    def now(self) -> float:
        return self._now()

    @property
    def resume_at(self) -> float:
        return self._paused_until

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def back_off(self) -> float:
        """After a network failure: pause everyone, longer after each failure in a row."""
        self._failures += 1
        delay = min(self.pacing.backoff_first * 2 ** (self._failures - 1), self.pacing.backoff_max)
        self.pause(delay)
        return delay

    def succeeded(self) -> None:
        self._failures = 0

    def chat_ready_at(self, chat_id: int) -> float:
        """Counted from Telegram's answer to the chat's previous message, which comes after Telegram received it:
        network jitter cannot squeeze two messages closer than the interval."""
        interval = self.pacing.per_chat_interval if chat_id > 0 else self.pacing.per_group_interval
        if chat_id in self._chats_in_flight:
            return self._now() + interval  # provisional: checked again when the time comes
        last = self._last_by_chat.get(chat_id)
        return 0.0 if last is None else last + interval

    async def next_slot(self, give_up: Callable[[], bool] = lambda: False) -> bool:
        """Wait for the next global slot; False if `give_up()` turned true meanwhile. Time lost to a late
        wake-up is not caught up: that would be a burst."""
        while not give_up():
            now = self._now()
            wait = max(self._next_slot, self._paused_until) - now
            if wait <= 0:
                self._next_slot = now + self._interval
                return True
            await asyncio.sleep(min(wait, _POLL_SECONDS))
        return False

    async def leave(self) -> None:
        """Right before a request goes out: never more than the rate in any window, counted at the moment of
        sending. The slots already space requests; this only absorbs the jitter between a slot and the send
        (a slow database commit), so it rarely waits, and then for milliseconds."""
        while True:
            now = self._now()
            while self._sent_at and self._sent_at[0] <= now - self._period:
                self._sent_at.popleft()
            if len(self._sent_at) < self._capacity:
                self._sent_at.append(now)
                return
            await asyncio.sleep(self._sent_at[0] + self._period - now)

    def sending_to(self, chat_id: int) -> None:
        self._chats_in_flight.add(chat_id)

    def answered(self, chat_id: int) -> None:
        self._chats_in_flight.discard(chat_id)
        now = self._now()
        self._last_by_chat[chat_id] = now
        if len(self._last_by_chat) > 50_000:
            horizon = now - max(self.pacing.per_chat_interval, self.pacing.per_group_interval)
            self._last_by_chat = {chat: at for chat, at in self._last_by_chat.items() if at > horizon}


class DeliveryEngine:
    """Delivers the ledger. One engine per process; `run()` calls are serialised."""

    def __init__(
        self,
        bot: Bot,
        storage: Storage,
        *,
        pacing: Pacing | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        max_in_flight: int = 8,
        max_attempts: int = 8,
        send_timeout: float = 20.0,
        page_size: int = 500,
    ) -> None:
        self.bot = bot
        self.storage = storage
        self.pacer = Pacer(pacing or Pacing())
        self.clock = clock
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self.send_timeout = send_timeout
        self.page_size = page_size
        self.run_id = uuid.uuid4().hex
        self._lock = asyncio.Lock()
        self._settled = False

    async def settle_interrupted(self) -> int:
        """Resolve what an earlier process left half-done (see the module docstring); runs once per engine."""
        settled = await self.storage.settle_interrupted(self.run_id, self.clock())
        self._settled = True
        if settled:
            log.warning("%d delivery(ies) were interrupted by a restart: presumed delivered, not sent again", settled)
        return settled

    async def run(self, stop_when: Callable[[], bool] = lambda: False) -> DeliveryStats:
        """Deliver every pending row, including rows queued while running; returns when none is left, or soon
        after `stop_when()` turns true (the application is stopping): rows not yet claimed stay pending."""
        async with self._lock:
            if not self._settled:
                await self.settle_interrupted()
            stats = await _Run(self, stop_when).deliver_all()
        if stats.attempted or stats.skipped:
            log.info("delivery run: %s", stats)
        return stats


class _Run:
    """The state of one pass over the ledger."""

    def __init__(self, engine: DeliveryEngine, stop_when: Callable[[], bool]) -> None:
        self.engine = engine
        self.stop_when = stop_when
        self.pacer = engine.pacer
        self.stats = DeliveryStats()
        self.queue: deque[PendingDelivery] = deque()
        self.cursor = 0
        self.exhausted = False
        self.later: list[tuple[float, int, PendingDelivery]] = []  # deferred rows, a heap by (ready time, id)
        self.deferred_chats: dict[int, tuple[int, float]] = {}  # chat -> (rows deferred, latest ready time)
        self.tasks: set[asyncio.Task[None]] = set()
        self.in_flight = asyncio.Semaphore(engine.max_in_flight)
        self.changed = asyncio.Event()
        self.fatal: BaseException | None = None
        self.sent_back = 0  # rows Telegram sent back (429, network) during this run

    async def deliver_all(self) -> DeliveryStats:
        try:
            while await self.dispatch_next():
                pass
        finally:
            # The sends in flight are separate tasks that a cancellation of this one does not reach: wait for
            # them to record Telegram's answer, so that nothing is left claimed and unresolved.
            if self.tasks:
                await asyncio.wait(set(self.tasks))
        if self.fatal is not None:
            raise self.fatal
        return self.stats

    async def dispatch_next(self) -> bool:
        """Start sending the next row when its slot comes; False when there is nothing (more) to do. The row is
        chosen only once a place in flight is free, so a row sent back meanwhile is not overtaken."""
        await self.in_flight.acquire()
        started = False
        try:
            item = await self.next_item()
            if item is None:
                return False
            sent_back = self.sent_back
            if not await self.pacer.next_slot(self.stop_when):
                return False  # stopping: the row was not claimed, it stays pending
            if self.sent_back != sent_back and self.behind_earlier_row(item):
                self.defer(item, self.pacer.resume_at)  # an earlier row of this chat came back during the wait
                return True
            self.pacer.sending_to(item.chat_id)
            task = asyncio.create_task(self.deliver(item))
            self.tasks.add(task)
            task.add_done_callback(self.finished)
            started = True
            return True
        finally:
            if not started:
                self.in_flight.release()

    def behind_earlier_row(self, item: PendingDelivery) -> bool:
        return any(other.chat_id == item.chat_id and other.id < item.id for _, _, other in self.later)

    def finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self.changed.set()

    # -- choosing the next row ------------------------------------------------------------------------------------

    async def next_item(self) -> PendingDelivery | None:
        while self.fatal is None and not self.stop_when():
            now = self.pacer.now()
            if self.pacer.resume_at > now:  # paused: choose after the pause, so the rows sent back go first
                await self.wait_for_change(min(self.pacer.resume_at - now, _POLL_SECONDS))
                continue
            if self.later and self.later[0][0] <= now:
                item = self.undefer()
                ready = self.pacer.chat_ready_at(item.chat_id)
                if ready > now:
                    self.defer(item, ready)
                    continue
                return item
            if not self.queue and not self.exhausted:
                await self.refill()
            if self.queue:
                item = self.queue.popleft()
                ready = max(self.pacer.chat_ready_at(item.chat_id), self.deferred_chats.get(item.chat_id, (0, 0.0))[1])
                if ready > now or item.chat_id in self.deferred_chats:
                    self.defer(item, ready)  # behind the same chat's earlier rows: a chat's order is kept
                    continue
                return item
            if not self.later and not self.tasks:
                if await self.refill():  # rows queued while this run was busy
                    continue
                return None
            await self.wait_for_change(min(self.later[0][0] - now, _POLL_SECONDS) if self.later else _POLL_SECONDS)
        return None

    async def refill(self) -> bool:
        rows = await self.engine.storage.pending_deliveries(after_id=self.cursor, limit=self.engine.page_size)
        self.exhausted = len(rows) < self.engine.page_size
        if rows:
            self.cursor = rows[-1].id
            self.queue.extend(rows)
        return bool(rows)

    async def wait_for_change(self, timeout: float) -> None:
        self.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), timeout)

    def defer(self, item: PendingDelivery, ready: float) -> None:
        heapq.heappush(self.later, (ready, item.id, item))
        count, latest = self.deferred_chats.get(item.chat_id, (0, 0.0))
        self.deferred_chats[item.chat_id] = (count + 1, max(latest, ready))
        self.changed.set()

    def send_back(self, item: PendingDelivery, ready: float) -> None:
        self.sent_back += 1
        self.defer(item, ready)

    def undefer(self) -> PendingDelivery:
        _, _, item = heapq.heappop(self.later)
        count, latest = self.deferred_chats[item.chat_id]
        if count == 1:
            del self.deferred_chats[item.chat_id]
        else:
            self.deferred_chats[item.chat_id] = (count - 1, latest)
        return item

    # -- one message ----------------------------------------------------------------------------------------------

    async def deliver(self, item: PendingDelivery) -> None:
        engine = self.engine
        try:
            if not await engine.storage.claim_delivery(item.id, engine.run_id, engine.clock()):
                self.stats.skipped += 1
                return
            await self.pacer.leave()
            try:
                message = await engine.bot.send_message(
                    item.chat_id,
                    item.text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    read_timeout=engine.send_timeout,
                )
            except TelegramError as exc:
                await self.refused(item, exc)
            except Exception as exc:  # not Telegram's answer: nobody knows whether the request went out
                log.exception("unexpected error sending delivery %d", item.id)
                await self.close(item, "unconfirmed", f"unexpected error, not sent again: {exc!r}")
            else:
                self.pacer.succeeded()
                await engine.storage.confirm_delivery(item.id, message.message_id, engine.clock())
                self.stats.sent += 1
        except StorageError as exc:
            log.error("the delivery ledger failed; stopping this run: %s", exc)
            self.fatal = exc
        finally:
            self.pacer.answered(item.chat_id)
            self.in_flight.release()

    async def refused(self, item: PendingDelivery, exc: TelegramError) -> None:
        storage, now = self.engine.storage, self.engine.clock()
        if isinstance(exc, RetryAfter):
            seconds = retry_seconds(exc)
            self.pacer.pause(seconds)
            self.stats.retry_after += 1
            log.warning("Telegram asks to wait %.0f s (429): all sending paused", seconds)
            await storage.release_delivery(item.id, f"429: retry after {seconds:g} s", now, attempt=False)
            self.send_back(item, self.pacer.resume_at)
        elif isinstance(exc, Forbidden) or (isinstance(exc, BadRequest) and "chat not found" in exc.message.lower()):
            reason = "blocked" if isinstance(exc, Forbidden) else "chat not found"
            await storage.block_delivery(item.id, item.chat_id, reason, exc.message, now)
            self.stats.blocked += 1
        elif isinstance(exc, BadRequest):
            await self.close(item, "failed", exc.message)
        elif isinstance(exc, NetworkError):  # TimedOut included
            await self.network_error(item, exc)
        elif isinstance(exc, InvalidToken | EndPointNotFound):
            await storage.release_delivery(item.id, exc.message, now, attempt=False)
            self.fatal = exc
        else:
            await self.close(item, "failed", f"{type(exc).__name__}: {exc.message}")

    async def network_error(self, item: PendingDelivery, exc: NetworkError) -> None:
        if not certainly_not_sent(exc):
            await self.close(item, "unconfirmed", f"no answer from Telegram, not sent again: {_describe(exc)}")
            return
        attempts = item.attempts + 1
        if attempts >= self.engine.max_attempts:
            await self.close(item, "failed", f"gave up after {attempts} attempts: {_describe(exc)}")
            return
        delay = self.pacer.back_off()
        self.stats.network_retries += 1
        log.warning("network error (%s): retrying in %.1f s", _describe(exc), delay)
        await self.engine.storage.release_delivery(item.id, _describe(exc), self.engine.clock())
        self.send_back(replace(item, attempts=attempts), self.pacer.resume_at)

    async def close(self, item: PendingDelivery, status: str, error: str) -> None:
        await self.engine.storage.close_delivery(item.id, status, error, self.engine.clock())
        if status == "failed":
            self.stats.failed += 1
        else:
            self.stats.unconfirmed += 1


def _describe(exc: TelegramError) -> str:
    kind = "timed out" if isinstance(exc, TimedOut) else type(exc).__name__
    return f"{kind}: {exc.message}"

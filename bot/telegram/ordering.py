"""Process many chats' updates at once, each chat's in the order they arrived, and fairly between chats.

Each chat has its own short queue. Only the update at the head of a chat's queue competes for one of the shared
processing slots, so a chat's backlog never holds more than one slot: a user who floods the bot waits behind their
own messages, and everyone else is served as if they were not there. Before an update joins a queue a gate decides,
without any network call, whether it is worth processing (the flood control, flood.py) and the repeat check drops
an update whose id this process has already seen (Telegram sends a webhook update again when its call got no
answer; the last 10,000 ids are remembered, not across a restart). A queue that is full drops what arrives: that
chat is sending far faster than it can be answered.

The gate first sees each update as decoded JSON, before python-telegram-bot turns it into objects (`screen`, applied
by the getUpdates request below and by the webhook): what it refuses there is reduced to its id, so a flood's excess
costs little more than reading its JSON, and the users whose updates arrive behind it wait no longer for it.

python-telegram-bot's own semaphore (BaseUpdateProcessor) is acquired before `do_process_update` is called and
held until it returns, also while an update waits for its turn in its chat. It is therefore given room for every
update, and the real limit on updates in progress is this processor's own `slots`.
"""

import asyncio
import inspect
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable
from typing import Any, Protocol

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram.transport import AiohttpRequest

log = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 32
MAX_QUEUED_PER_CHAT = 32  # far more than a person sends before the flood control stops them
REMEMBERED_UPDATE_IDS = 10_000
_ROOM_FOR_EVERY_UPDATE = 2**31 - 1


class Gate(Protocol):
    """Decides what an arriving update costs. Neither method may wait for anything."""

    def screen(self, update: dict[str, Any]) -> dict[str, Any]:
        """The update as decoded from JSON, or a stand-in with only its `update_id` (and marks of the gate's own) for
        one that will not be processed, so it costs nothing to parse."""

    def __call__(self, update: object, work: Awaitable[Any]) -> Awaitable[Any] | None:
        """The parsed update and the work that would process it: that work, something to run in its place (e.g. one
        "slow down"), or None to drop it."""


class _ChatQueue(deque[asyncio.Future[None]]):
    """The turns of one chat's updates; the head is in progress (or waiting for a slot)."""

    overflowed = False


class ChatQueues(BaseUpdateProcessor):
    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        max_queued_per_chat: int = MAX_QUEUED_PER_CHAT,
        gate: Gate | None = None,
    ) -> None:
        super().__init__(_ROOM_FOR_EVERY_UPDATE)
        self.slots = asyncio.Semaphore(max_concurrent_updates)
        self.max_queued_per_chat = max_queued_per_chat
        self.gate = gate
        self.dropped = 0  # updates refused because their chat's queue was full
        self._chats: dict[int, _ChatQueue] = {}
        self._seen = RecentIds(REMEMBERED_UPDATE_IDS)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(update, Update) and not self._seen.add(update.update_id):
            log.info("update %d received again: already handled, ignored", update.update_id)
            _discard(coroutine)
            return
        work = self._admit(update, coroutine)
        if work is None:
            return
        key = _chat_key(update)
        if key is None:
            async with self.slots:
                await work
            return
        queue = self._chats.setdefault(key, _ChatQueue())
        if len(queue) >= self.max_queued_per_chat:
            self._refuse(queue, work)
            return
        turn = asyncio.get_running_loop().create_future()
        queue.append(turn)
        try:
            if queue[0] is not turn:
                await turn
            async with self.slots:
                await work
        finally:
            self._leave(key, queue, turn)

    def screen(self, updates: list[Any]) -> list[Any]:
        """Updates as decoded from JSON, through the gate's `screen`, before python-telegram-bot parses them."""
        if self.gate is None:
            return updates
        try:
            return [self.gate.screen(update) if isinstance(update, dict) else update for update in updates]
        except Exception:
            log.exception("the update gate failed to screen updates; all of them are processed")
            return updates

    def _admit(self, update: object, coroutine: Awaitable[Any]) -> Awaitable[Any] | None:
        if self.gate is None:
            return coroutine
        try:
            work = self.gate(update, coroutine)
        except Exception:
            log.exception("the update gate failed; processing the update anyway")
            return coroutine
        if work is not coroutine:
            _discard(coroutine)
        return work

    def _refuse(self, queue: _ChatQueue, work: Awaitable[Any]) -> None:
        _discard(work)
        self.dropped += 1
        if not queue.overflowed:
            queue.overflowed = True
            log.warning("a chat sends faster than it can be answered: its updates are dropped until it catches up")

    def _leave(self, key: int, queue: _ChatQueue, turn: asyncio.Future[None]) -> None:
        was_head = queue[0] is turn
        queue.remove(turn)  # at most max_queued_per_chat long
        if not queue:
            del self._chats[key]  # memory stays bounded by the chats with updates in flight
        elif was_head and not queue[0].done():  # done: its update was cancelled, and hands on the turn itself
            queue[0].set_result(None)

    @property
    def busy_chats(self) -> int:
        return len(self._chats)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: python-telegram-bot waits for every update's task before shutting down."""


class ScreenedUpdatesRequest(AiohttpRequest):
    """The getUpdates request (one connection, as its own default), with the processor's `screen`
    applied to the updates between decoding the JSON and parsing them."""

    def __init__(self, processor: ChatQueues) -> None:
        super().__init__(connection_pool_size=1)
        self.processor = processor

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """python-telegram-bot's hook for decoding its responses (a static method there, called on the instance)."""
        data = super().parse_json_payload(payload)
        if isinstance(data.get("result"), list):
            data["result"] = self.processor.screen(data["result"])
        return data


class RecentIds:
    """The last `capacity` update ids, to recognise an update received twice."""

    def __init__(self, capacity: int) -> None:
        self._ids: OrderedDict[int, None] = OrderedDict()
        self._capacity = capacity

    def add(self, update_id: int) -> bool:
        """False if the id was already there."""
        if update_id in self._ids:
            return False
        self._ids[update_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True


def _discard(work: Awaitable[Any]) -> None:
    """An update's processing that will never run: closed, so Python does not warn that it was never awaited."""
    if inspect.iscoroutine(work):
        work.close()


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None

"""Updates of different chats run concurrently; updates of one chat run one after another, in order."""

import asyncio

from telegram import Chat, Message, Update

from bot.telegram.ordering import PerChatOrderedProcessor


def update_in(chat_id: int, update_id: int) -> Update:
    message = Message(message_id=update_id, date=None, chat=Chat(chat_id, Chat.PRIVATE))  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_same_chat_in_order_other_chats_concurrently() -> None:
    processor = PerChatOrderedProcessor(max_concurrent_updates=8)
    events: list[tuple[str, int]] = []
    release = asyncio.Event()

    async def work(name: str, update_id: int, wait: bool) -> None:
        events.append(("start", update_id))
        if wait:
            await release.wait()
        events.append((name, update_id))

    async with processor:
        first = asyncio.create_task(processor.process_update(update_in(1, 1), work("done", 1, True)))
        second = asyncio.create_task(processor.process_update(update_in(1, 2), work("done", 2, False)))
        other = asyncio.create_task(processor.process_update(update_in(2, 3), work("done", 3, False)))
        await other  # another chat is not held up by chat 1's slow update
        assert ("done", 3) in events and ("start", 2) not in events
        release.set()
        await asyncio.gather(first, second)
    assert [e for e in events if e[0] == "done"] == [("done", 3), ("done", 1), ("done", 2)]
    assert processor._chats == {}  # nothing kept once the chats are idle

"""A broadcast to many subscribers through the real delivery engine and ledger, against a loopback Bot API server
that enforces a global rate (and one message per second per chat) and answers 429 with retry_after above it.

The server runs in its own process, as Telegram would, so its clock and the bot's stalls are independent; at the
end it reports what it received. The script prints the time taken against the ideal (subscribers / allowed rate),
the share of the allowed rate achieved, the 429s received, and duplicates, losses and wrong-language messages
counted on the server's side. `--interrupt` cancels the engine half-way and finishes with a fresh one, as after a
restart.

    python benchmarks/broadcast.py [--subscribers 10000] [--rate 30] [--retry-after 1] [--interrupt] [--json]
"""

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.reminders.delivery import DeliveryEngine, Pacing
from bot.storage import Storage
from tests.support.bot_api import FakeBotAPI

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
TEXTS = {"it": "📣 <b>Avviso</b>: la scadenza è prorogata.", "en": "📣 <b>Notice</b>: the deadline is extended."}
REPORT_METHOD = "benchmarkReport"


def language_of(chat_id: int) -> str:
    return "it" if chat_id % 2 else "en"


# -- the server process ------------------------------------------------------------------------------------------


async def serve(args: argparse.Namespace) -> None:
    """Run the fake Bot API until stdin closes; print its port first."""
    async with FakeBotAPI() as server:
        server.rate_limit(args.rate, retry_after=args.retry_after, per_chat_limit=True)

        def report(params: dict[str, Any], call: object) -> dict[str, int]:
            chats = range(1, args.subscribers + 1)
            received = [len(server.messages_to(chat_id)) for chat_id in chats]
            italian = {chat_id for chat_id in chats if language_of(chat_id) == "it"}
            wrong = sum(
                1
                for chat_id in chats
                for text in server.texts_to(chat_id)
                if text.startswith("📣 Avviso") != (chat_id in italian)
            )
            return {
                "too_many_requests": server.too_many_requests_sent,
                "duplicates": sum(n - 1 for n in received if n > 1),
                "losses": sum(1 for n in received if n == 0),
                "wrong_language": wrong,
            }

        server.handle(REPORT_METHOD, report)
        print(server.port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


# -- the bot side ------------------------------------------------------------------------------------------------


async def prepare(database: Path, subscribers: int) -> int:
    async with await Storage.open(database) as storage:
        for chat_id in range(1, subscribers + 1):
            await storage.subscribe(chat_id, language_of(chat_id), NOW + dt.timedelta(microseconds=chat_id))
        batch = await storage.enqueue_for_subscribers("broadcast", TEXTS, NOW)
    assert batch is not None
    return batch


def new_bot(base_url: str) -> Bot:
    return Bot(FakeBotAPI().token, base_url=base_url, request=HTTPXRequest(connection_pool_size=16))


async def deliver(base_url: str, storage: Storage, pacing: Pacing, batch: int, interrupt_at: int | None) -> int:
    """Run one engine to the end, or cancel it once `interrupt_at` rows are sent; returns 429s it received."""
    async with new_bot(base_url) as bot:
        engine = DeliveryEngine(bot, storage, pacing=pacing)
        if interrupt_at is None:
            return (await engine.run()).retry_after
        task = asyncio.create_task(engine.run())
        while (await storage.batch_counts(batch)).sent < interrupt_at:
            await asyncio.sleep(0.2)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return 0


async def benchmark(args: argparse.Namespace) -> dict[str, object]:
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve",
        f"--subscribers={args.subscribers}",
        f"--rate={args.rate}",
        f"--retry-after={args.retry_after}",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        base_url = f"http://127.0.0.1:{int(await server.stdout.readline())}/bot"
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "bench.sqlite3"
            batch = await prepare(database, args.subscribers)
            async with await Storage.open(database) as storage:
                pacing = Pacing(per_second=args.engine_rate or args.rate)
                started = time.monotonic()
                if args.interrupt:
                    await deliver(base_url, storage, pacing, batch, interrupt_at=args.subscribers // 2)
                await deliver(base_url, storage, pacing, batch, interrupt_at=None)
                elapsed = time.monotonic() - started
                counts = await storage.batch_counts(batch)
        async with new_bot(base_url) as bot:
            seen = await bot.do_api_request(REPORT_METHOD)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            server.terminate()
        await server.wait()
    ideal = args.subscribers / args.rate
    return {
        "subscribers": args.subscribers,
        "allowed_rate": args.rate,
        "seconds": round(elapsed, 2),
        "ideal_seconds": round(ideal, 2),
        "achieved_rate": round(args.subscribers / elapsed, 2),
        "share_of_allowed_rate": round(ideal / elapsed, 4),
        "429_received": seen["too_many_requests"],
        "duplicates": seen["duplicates"],
        "losses": seen["losses"],
        "wrong_language": seen["wrong_language"],
        "ledger": {k: v for k, v in vars(counts).items() if v},
        "interrupted_and_resumed": args.interrupt,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000, help="default 1000 for a quick run; try 10000")
    parser.add_argument("--rate", type=float, default=30.0, help="the server's allowed messages per second")
    parser.add_argument("--retry-after", type=int, default=1, help="seconds the server asks to wait after a 429")
    parser.add_argument("--engine-rate", type=float, default=None, help="the engine's pace (default: --rate)")
    parser.add_argument("--interrupt", action="store_true", help="cancel half-way, then resume with a new engine")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.serve:
        asyncio.run(serve(args))
        return
    result = asyncio.run(benchmark(args))
    if args.json:
        print(json.dumps(result))
        return
    print(f"broadcast to {result['subscribers']} subscribers at an allowed {result['allowed_rate']:g}/s")
    print(f"  time       {result['seconds']} s (ideal {result['ideal_seconds']} s)")
    print(f"  rate       {result['achieved_rate']}/s = {result['share_of_allowed_rate']:.1%} of the allowed rate")
    print(f"  429s       {result['429_received']}")
    print(f"  duplicates {result['duplicates']}, losses {result['losses']}, wrong language {result['wrong_language']}")
    print(f"  ledger     {result['ledger']}" + ("  (interrupted half-way and resumed)" if args.interrupt else ""))


if __name__ == "__main__":
    main()

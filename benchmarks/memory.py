"""Memory benchmark: RSS growth of the real `python -m bot run` process after many new users and long questions.

The bot runs as in production (shipped knowledge base, SQLite in a temporary folder) against the loopback Bot API
server (tests/support/bot_api.py) in this process. After a warm-up (so imports, caches and SQLite's page cache are
in place) it measures the process's resident memory (VmRSS from /proc), then:

1. `--users` new users (20,000) each send one question: what the bot keeps per user;
2. `--long` of those users (10,000) each send one long question (about 4,000 characters) that the bot answers:
   what it keeps per answered question (the question behind each answer, for a later 👎).

and prints the growth after each phase. Updates are pushed with at most `--in-flight` waiting for their reply, as
Telegram would deliver them to a busy bot. `--repo` measures another checkout (e.g. a worktree of an older commit)
the same way, for a before/after comparison in one session. The target is at most 20 MiB of growth per phase.

    python benchmarks/memory.py
    python benchmarks/memory.py --repo /tmp/old-checkout --users 20000 --long 10000
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_process import ROOT, BotProcess

from tests.support.bot_api import FakeBotAPI, make_user

QUESTIONS = [
    ("What is the deadline?", "en"),
    ("Who can take part?", "en"),
    ("Qual è la scadenza del bando?", "it"),
    ("Chi può partecipare?", "it"),
    ("How do I apply?", "en"),
    ("Quali settori sono ammessi?", "it"),
]
FILLER = "please tell me more about this call for cluster partnerships and smart specialisation "
FIRST_USER_ID = 10_000_000


def long_question(number: int) -> str:
    """About 4,000 characters, answered (the question is at the start, where the matcher reads), each different."""
    return f"What is the deadline? {number} " + FILLER * 46


async def send_all(api: FakeBotAPI, updates: list[tuple[int, dict]], in_flight: int) -> float:
    """Push the updates, keeping at most `in_flight` unanswered; returns the seconds it took."""
    began = time.monotonic()
    pending: set[int] = set()
    remaining = iter(updates)
    done = False
    while not done or pending:
        while not done and len(pending) < in_flight:
            item = next(remaining, None)
            if item is None:
                done = True
                break
            chat_id, update = item
            api.push_update(update)
            pending.add(chat_id)
        if pending:
            await api.wait_for(partial(any_answered, frozenset(pending)), timeout=120, what="a reply")
            pending = {c for c in pending if not api.messages_to(c)}
    return time.monotonic() - began


def any_answered(chats: frozenset[int], api: FakeBotAPI) -> bool:
    return any(api.messages_to(chat) for chat in chats)


async def settle(bot: BotProcess, seconds: float = 2.0) -> float:
    """RSS once the process is idle again."""
    await asyncio.sleep(seconds)
    return bot.rss_mib()


async def measure(args: argparse.Namespace) -> dict[str, float]:
    async with FakeBotAPI() as api, BotProcess(api, repo=args.repo) as bot:
        ids = itertools.count(FIRST_USER_ID)
        warm = [make_user(next(ids), f"W{n}", QUESTIONS[n % 6][1]) for n in range(args.warm_up)]
        await send_all(api, [(u["id"], api.text_message(u, QUESTIONS[n % 6][0])) for n, u in enumerate(warm)], 200)
        await send_all(api, [(u["id"], api.text_message(u, long_question(-n))) for n, u in enumerate(warm)], 200)
        api.clear_calls()
        before = await settle(bot)

        users = [make_user(next(ids), f"U{n}", QUESTIONS[n % 6][1]) for n in range(args.users)]
        first = [(u["id"], api.text_message(u, QUESTIONS[n % 6][0])) for n, u in enumerate(users)]
        seconds_users = await send_all(api, first, args.in_flight)
        api.clear_calls()
        after_users = await settle(bot)

        second = [(u["id"], api.text_message(u, long_question(n))) for n, u in enumerate(users[: args.long])]
        seconds_long = await send_all(api, second, args.in_flight)
        api.clear_calls()
        after_long = await settle(bot)
        return {
            "rss_start_mib": round(before, 1),
            "rss_after_users_mib": round(after_users, 1),
            "growth_users_mib": round(after_users - before, 1),
            "rss_after_long_mib": round(after_long, 1),
            "growth_long_mib": round(after_long - after_users, 1),
            "peak_rss_mib": round(bot.peak_rss_mib(), 1),
            "seconds_users": round(seconds_users, 1),
            "seconds_long": round(seconds_long, 1),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20_000, help="new users, one question each (default 20000)")
    parser.add_argument("--long", type=int, default=10_000, help="long answered questions (default 10000)")
    parser.add_argument("--warm-up", type=int, default=500, help="users in the warm-up (default 500)")
    parser.add_argument("--in-flight", type=int, default=300, help="updates waiting for a reply at most (default 300)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout to run (default: this one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = asyncio.run(measure(args))
    if args.json:
        print(json.dumps({"repo": str(args.repo), **figures}))
        return 0
    print(f"bot: {args.repo}")
    print(f"RSS after warm-up:                  {figures['rss_start_mib']:7.1f} MiB")
    print(
        f"after {args.users:,} new users:        {figures['rss_after_users_mib']:7.1f} MiB  "
        f"(growth {figures['growth_users_mib']:+.1f} MiB, {figures['seconds_users']} s)"
    )
    print(
        f"after {args.long:,} long questions:   {figures['rss_after_long_mib']:7.1f} MiB  "
        f"(growth {figures['growth_long_mib']:+.1f} MiB, {figures['seconds_long']} s)"
    )
    print(f"peak RSS:                           {figures['peak_rss_mib']:7.1f} MiB   (target: growth <= 20 MiB each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

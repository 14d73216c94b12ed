"""Fairness benchmark: do other users' reply times hold while one user floods messages and another floods buttons?

The real `python -m bot run` process (shipped knowledge base, SQLite in a temporary folder) runs against the loopback
Bot API server (tests/support/bot_api.py) in this process, which answers every call `--latency` late (50 ms, about
Telegram's). `--others` users (20) each ask a question every `--period` seconds (2.5, within the flood control's
pace) for `--seconds` (20); their reply time is from pushing the update to the bot's answer reaching the server.

Each run is one of four, each in a fresh bot process:
- baseline / flood: without and with two flooders, who at the start and half-way each send `--burst` (200) updates
  at once, 10 ms before one of the others asks: one sends text messages, the other presses a menu button;
- without / with a per-chat limit enforced by the server, as Telegram does: one message a second per chat, else 429
  with retry_after 1.

The runs are interleaved, `--repetitions` (3) times; the script prints p50 and p99 of the others' reply times for
each run, then per case the min and median over the repetitions and the ratio flood / baseline of the medians
(target: at most 2). `--repo` runs another checkout the same way, for a before/after comparison in one session.

    python benchmarks/fairness.py
    python benchmarks/fairness.py --repo /tmp/old-checkout --repetitions 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from real_process import ROOT, BotProcess, percentile

from tests.support.bot_api import FakeBotAPI, make_user

QUESTIONS = [
    "What is the deadline?",
    "Who can take part?",
    "Qual è la scadenza del bando?",
    "Chi può partecipare?",
    "How do I apply?",
    "Quali settori sono ammessi?",
    "What are the phases of the project?",
    "Posso partecipare come PMI?",
]
FLOOD_TEXT = "domanda numero {n} sul meteo di domani"


@dataclass
class Run:
    flood: bool
    limited: bool
    latencies: list[float]
    unanswered: int
    flooder_replies: int
    seconds: float

    @property
    def case(self) -> str:
        return ("flood" if self.flood else "baseline") + (", 1 msg/s per chat" if self.limited else "")


def successful_sends(api: FakeBotAPI, chat_id: int) -> list[float]:
    return [c.at for c in api.calls_to("sendMessage") if c.ok and c.params.get("chat_id") == chat_id]


async def one_run(args: argparse.Namespace, *, flood: bool, limited: bool) -> Run:
    async with FakeBotAPI() as api, BotProcess(api, repo=args.repo):
        others = [make_user(30_000_000 + n, f"O{n}", "en") for n in range(args.others)]
        texter, presser = make_user(40_000_001, "Texter", "it"), make_user(40_000_002, "Presser", "it")
        api.push_update(api.command(presser, "/topics"))
        await api.wait_for_messages(presser["id"], timeout=30)
        menu = api.last_sent(presser["id"])
        api.delay("*", args.latency)
        if limited:
            api.rate_limit(None, retry_after=1, per_chat_limit=True)

        asked: dict[int, list[float]] = {user["id"]: [] for user in others}
        began = time.monotonic()
        floods = [1.0 - 0.01, args.seconds / 2 - 0.01] if flood else []  # just before one of the others asks
        rounds = int(args.seconds / args.period)
        asks = [
            (n * args.period / args.others + k * args.period, "ask", n)
            for n in range(args.others)
            for k in range(rounds)
        ]
        schedule = sorted(asks + [(at, "flood", 0) for at in floods])
        for at, what, n in schedule:
            await asyncio.sleep(max(0.0, began + at - time.monotonic()))
            if what == "flood":
                for number in range(args.burst):
                    api.push_update(api.text_message(texter, FLOOD_TEXT.format(n=number)))
                    api.push_update(api.callback_query(presser, "m:", menu))
                continue
            user = others[n]
            asked[user["id"]].append(time.monotonic())
            api.push_update(api.text_message(user, QUESTIONS[len(asked[user["id"]]) % len(QUESTIONS)]))

        def all_answered(server: FakeBotAPI) -> bool:
            return all(len(successful_sends(server, chat)) >= len(times) for chat, times in asked.items())

        with contextlib.suppress(AssertionError):  # what is still missing is counted as unanswered below
            await api.wait_for(all_answered, timeout=args.drain_timeout, what="the others' replies")
        latencies, unanswered = [], 0
        for chat, times in asked.items():
            replies = successful_sends(api, chat)
            unanswered += max(0, len(times) - len(replies))
            latencies += [reply - pushed for pushed, reply in zip(times, replies, strict=False)]
        return Run(flood, limited, latencies, unanswered, len(api.messages_to(texter["id"])), time.monotonic() - began)


async def measure(args: argparse.Namespace) -> list[Run]:
    runs = []
    for repetition in range(args.repetitions):
        for limited in (False, True):
            for flood in (False, True):
                run = await one_run(args, flood=flood, limited=limited)
                runs.append(run)
                if not args.json:
                    missing = f"  UNANSWERED {run.unanswered}" if run.unanswered else ""
                    flooder = f"   (the texting flooder got {run.flooder_replies} messages)" if run.flood else ""
                    p50, p99 = percentile(run.latencies, 50) * 1000, percentile(run.latencies, 99) * 1000
                    print(
                        f"#{repetition + 1} {run.case:28} p50 {p50:8.0f} ms   p99 {p99:8.0f} ms   "
                        f"n={len(run.latencies)}{missing}{flooder}",
                        flush=True,
                    )
    return runs


def report(runs: list[Run], as_json: bool, repo: Path) -> None:
    table = {}
    for limited in (False, True):
        cases = {}
        for flood in (False, True):
            chosen = [r for r in runs if r.flood == flood and r.limited == limited]
            p50s = [percentile(r.latencies, 50) * 1000 for r in chosen]
            p99s = [percentile(r.latencies, 99) * 1000 for r in chosen]
            cases[flood] = {
                "p50_ms_min": round(min(p50s), 1),
                "p50_ms_median": round(statistics.median(p50s), 1),
                "p99_ms_min": round(min(p99s), 1),
                "p99_ms_median": round(statistics.median(p99s), 1),
                "unanswered": sum(r.unanswered for r in chosen),
            }
        base, flooded = cases[False], cases[True]
        table["per-chat limit" if limited else "no limit"] = {
            "baseline": base,
            "flood": flooded,
            "ratio_p50": round(flooded["p50_ms_median"] / base["p50_ms_median"], 2),
            "ratio_p99": round(flooded["p99_ms_median"] / base["p99_ms_median"], 2),
        }
    if as_json:
        print(json.dumps({"repo": str(repo), "runs": len(runs), **table}))
        return
    print(f"\nbot: {repo}; other users' reply times, min / median over {len(runs) // 4} repetition(s):")
    for name, row in table.items():
        for case in ("baseline", "flood"):
            c = row[case]
            missing = f"   unanswered {c['unanswered']}" if c["unanswered"] else ""
            print(
                f"  {name:15} {case:9} p50 {c['p50_ms_min']:8.0f} / {c['p50_ms_median']:8.0f} ms   "
                f"p99 {c['p99_ms_min']:8.0f} / {c['p99_ms_median']:8.0f} ms{missing}"
            )
        print(
            f"  {name:15} flood / baseline (medians): p50 x{row['ratio_p50']}, p99 x{row['ratio_p99']}  (target <= 2)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--others", type=int, default=20, help="users asking at a normal pace (default 20)")
    parser.add_argument("--period", type=float, default=2.5, help="seconds between their questions (default 2.5)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long they ask (default 20)")
    parser.add_argument("--burst", type=int, default=200, help="updates in each flood, per flooder (default 200)")
    parser.add_argument("--latency", type=float, default=0.05, help="Bot API latency per call (default 0.05 s)")
    parser.add_argument("--repetitions", type=int, default=3, help="interleaved repetitions (default 3)")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="wait for the last replies (default 300)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout to run (default: this one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report(asyncio.run(measure(args)), args.json, args.repo)
    return 0


if __name__ == "__main__":
    sys.exit(main())

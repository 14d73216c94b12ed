"""Users' reply times while staff save hostile or heavy knowledge-base files (issue 11, item 5).

The real `python -m bot run` (its knowledge watch checks every 10 s, as shipped) runs against the loopback Bot API
server with a copy of the shipped knowledge base. `--users` users ask questions one after another, each waiting for
its reply and then thinking `--think` seconds. In turns, for `--window` seconds each, the knowledge folder gets:

* nothing (the baseline, measured before every case, interleaved);
* `alias-bomb`: a nine-line YAML "billion laughs" (387 million strings once aliases are expanded);
* `big-answer`: a valid-looking entry whose answer is 50 MB;
* `max-size`: a valid knowledge base at the loader's limits (1,000 entries, 20,000 phrasings), which the bot reads,
  checks and indexes in full (the heaviest reload it accepts).

After each case the original files are put back and the bot is given time to settle (not measured). Printed per
window: replies, p50/p99/max reply time (push of the update to the reply reaching the server), and for the hostile
cases the time from saving the file to the staff message. `--bot-root` runs another checkout's bot (e.g. `main`) for
comparison; `--cases` picks the cases.

    python benchmarks/knowledge_reload.py
    python benchmarks/knowledge_reload.py --cases max-size --bot-root /work/main --repeat 2

Everything listens on and connects to 127.0.0.1 only, and every wait has a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.bot_api import FakeBotAPI, make_user  # noqa: E402

SHIPPED_KB = ROOT / "knowledge"
STAFF = make_user(900, "Stella", "it")
QUESTIONS = [
    "qual è la scadenza?",
    "chi può partecipare?",
    "What is the deadline?",
    "who can take part?",
    "quali settori sono ammessi?",
    "how do I apply?",
    "ciao",
    "prezzo del bitcoin oggi?",
]


Files = dict[str, bytes | None]  # name -> new content, or None to delete it


def alias_bomb(kb: Path) -> Files:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in itertools.pairwise("abcdefghi")]
    return {"zz-bomb.yaml": ("\n".join(lines) + "\n").encode()}


def big_answer(kb: Path) -> Files:
    answer = "Una risposta molto lunga. " * (50 * 1024 * 1024 // 26)
    text = (
        "topic: {id: zz-big, title: {it: Grande, en: Big}}\nentries:\n  - id: zz-big-entry\n"
        "    questions: {it: [domanda enorme], en: [huge question]}\n"
        f"    answer:\n      it: {answer}\n      en: A long answer.\n    sources: [press-release]\n"
    )
    return {"zz-big.yaml": text.encode()}


def max_size(kb: Path) -> Files:
    """1,000 entries with 10 phrasings per language: the loader's limits (MAX_ENTRIES, MAX_TOTAL_PHRASINGS)."""
    rng = random.Random(7)
    words = "bando scadenza cluster partner innovazione progetto regione domanda fase settore impresa rete".split()
    kept = ("sources.yaml", "dates.yaml", "vocabulary.yaml")
    files: Files = {path.name: None for path in kb.glob("*.yaml") if path.name not in kept}
    for number in range(20):
        entries = []
        for index in range(50):
            ident = number * 50 + index
            it = ", ".join(f"{' '.join(rng.choices(words, k=5))} {ident} {k}" for k in range(10))
            en = ", ".join(f"what about {' '.join(rng.choices(words, k=4))} {ident} {k}" for k in range(10))
            entries.append(
                f"  - id: gen-{ident}\n    questions:\n      it: [{it}]\n      en: [{en}]\n"
                f"    answer: {{it: Risposta {ident}., en: Answer {ident}.}}\n    sources: [press-release]\n"
            )
        header = f"topic: {{id: gen-{number}, title: {{it: T{number}, en: T{number}}}}}\nentries:\n"
        files[f"gen-{number:02d}.yaml"] = (header + "".join(entries)).encode()
    return files


def write(kb: Path, files: Files) -> None:
    for name, data in files.items():
        if data is None:
            (kb / name).unlink()
        else:
            (kb / name).write_bytes(data)


CASES: dict[str, Callable[[Path], Files]] = {"alias-bomb": alias_bomb, "big-answer": big_answer, "max-size": max_size}


class Users:
    """Users asking one question at a time; each reply time is kept with the moment its question was pushed."""

    def __init__(self, api: FakeBotAPI, count: int, think: float) -> None:
        self.api = api
        self.users = [make_user(5000 + i, f"U{i}", "it" if i % 2 else "en") for i in range(count)]
        self.think = think
        self.samples: list[tuple[float, float]] = []  # (pushed at, reply time)
        self.timeouts = 0
        self._stop = asyncio.Event()

    async def run_one(self, user: dict, rng: random.Random) -> None:
        while not self._stop.is_set():
            before = len(self.api.messages_to(user["id"]))
            pushed = time.monotonic()
            self.api.push_update(self.api.text_message(user, rng.choice(QUESTIONS)))
            try:
                await self.api.wait_for_messages(user["id"], count=before + 1, timeout=120)
            except (TimeoutError, AssertionError):
                self.timeouts += 1
                continue
            replies = [c for c in self.api.calls_to("sendMessage") if str(c.params.get("chat_id")) == str(user["id"])]
            self.samples.append((pushed, replies[before].at - pushed))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.think)

    def start(self) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self.run_one(u, random.Random(i))) for i, u in enumerate(self.users)]

    def stop(self) -> None:
        self._stop.set()

    def between(self, start: float, end: float) -> list[float]:
        return [latency for pushed, latency in self.samples if start <= pushed < end]


def describe(name: str, values: list[float], told: float | None = None) -> str:
    if not values:
        return f"{name:<22} no replies"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    text = (
        f"{name:<22} {len(values):>5} replies  p50 {statistics.median(values) * 1000:8.1f} ms  "
        f"p99 {p99 * 1000:8.1f} ms  max {max(values) * 1000:8.1f} ms"
    )
    return text + (f"  staff told after {told:5.2f} s" if told is not None else "")


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kb-reload-"))
    kb = workdir / "kb"
    shutil.copytree(SHIPPED_KB, kb)
    original = {p.name: p.read_bytes() for p in kb.glob("*.yaml")}
    log = (workdir / "bot.log").open("wb")
    async with FakeBotAPI() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            BOT_DATABASE=str(workdir / "bot.sqlite3"),
            BOT_KNOWLEDGE_DIR=str(kb),
            BOT_STAFF_IDS=str(STAFF["id"]),
            PYTHONPATH=str(args.bot_root),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=args.bot_root, env=env, stdout=log, stderr=log
        )
        users = Users(api, args.users, args.think)
        tasks: list[asyncio.Task[None]] = []
        try:
            await api.wait_for(lambda s: s.calls_to("getUpdates"), timeout=60)
            tasks = users.start()
            await asyncio.sleep(args.window)  # warm-up, not measured
            print(f"bot: {args.bot_root}; {args.users} users, think {args.think} s, windows of {args.window} s")
            for round_number in range(args.repeat):
                for case in args.cases:
                    start = time.monotonic()
                    await asyncio.sleep(args.window)
                    print(describe(f"baseline ({round_number + 1})", users.between(start, time.monotonic())))
                    files = CASES[case](kb)  # prepared before the window: only the saving is measured
                    staff_before = len(api.messages_to(STAFF["id"]))
                    saved = time.monotonic()
                    await asyncio.to_thread(write, kb, files)
                    await asyncio.sleep(args.window)
                    told = None
                    staff = [c for c in api.calls_to("sendMessage") if str(c.params.get("chat_id")) == str(STAFF["id"])]
                    if len(staff) > staff_before:
                        told = staff[staff_before].at - saved
                    print(describe(f"{case} ({round_number + 1})", users.between(saved, time.monotonic()), told))
                    for path in kb.glob("*.yaml"):
                        if path.name not in original:
                            path.unlink()
                    for name, data in original.items():
                        (kb / name).write_bytes(data)
                    await asyncio.sleep(args.settle)
            print(f"unanswered within 120 s: {users.timeouts}")
        finally:
            users.stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), timeout=30)
            log.close()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--think", type=float, default=2.5, help="seconds a user waits after a reply")
    parser.add_argument("--window", type=float, default=20.0, help="seconds measured per window")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after restoring the files")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--bot-root", type=Path, default=ROOT, help="the checkout whose bot runs")
    asyncio.run(main(parser.parse_args()))

"""Load benchmark: many simulated users talk to the real bot through the loopback fake Telegram Bot API.

The real Application (as `build_application` wires it, polling with the test harness's settings) runs with the
shipped knowledge base and a real SQLite file in a temporary folder. A load driver beside the fake server gives
each of `--users` distinct users (Italian and English clients, with language_code) at most one outstanding
update at a time and pushes updates at `--rate` per second: questions taken from the evaluation files (`q`
fields), plus a few photos/stickers/voice notes, commands and button presses (👍/👎 and related-question buttons
under earlier answers). After each reply a user "thinks" `--think-seconds` (2.5) before writing again, as the
bot's per-user flood control (a burst of 8, then one update per 2 s) expects of people: so the default 1000
users can offer up to ~400 updates/s, 500 users at most ~200/s. When every user is waiting or thinking the
load turns closed-loop and the "offered" rate drops below the target: the bot is then saturated. It waits for
every reply and prints:

* throughput: replies completed / wall time from the first push to the last reply;
* latency from pushing an update to the bot's reply reaching the server (the fake records the arrival time of
  each request); a reply is the sendMessage that carries the keyboard for questions and related-question
  buttons, the first sendMessage for non-text messages and commands, answerCallbackQuery for 👍/👎;
* errors: updates with no reply within `--reply-timeout`, questions that got the flood warning or the error
  apology instead of an answer, non-200 HTTP answers, warnings/errors logged;
* peak memory (ru_maxrss; tracemalloc peak with `--tracemalloc`, which slows Python down a lot).

By default the fake server and the driver share the bot's process and event loop, so they compete with the bot
for the CPU; `--server-process` runs them in a separate process instead (a pipe carries the few control
messages and the driver's figures back). `--concurrent-updates N` is an EXPERIMENT: it monkeypatches the
ApplicationBuilder used by `build_application` to process up to N updates concurrently (the shipped bot
processes them one at a time); `--experiment NAME` monkeypatches other candidate changes the same way, in
this process only, and says so in the output. `--matrix` runs every combination of process layout and
concurrency in fresh child processes (so each peak-memory figure is its own) and prints a table.

    python benchmarks/load.py                                    # 300/s for 20 s, server in the bot's loop
    python benchmarks/load.py --server-process --rate 400 --seconds 20
    python benchmarks/load.py --updates 5000 --concurrent-updates 16
    python benchmarks/load.py --matrix --matrix-concurrency 0 16 64
    python benchmarks/load.py --server-process --experiment no-typing --experiment sniffio-none
    python benchmarks/load.py --users 300 --think-seconds 0      # users who run into the flood control
    python benchmarks/load.py --profile /tmp/bot.pstats          # cProfile of the bot's event loop thread
    python benchmarks/load.py --py-spy /tmp/bot.collapsed        # py-spy (all threads, needs py-spy + ptrace)

Everything listens on and connects to 127.0.0.1 only, and every wait has a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import heapq
import io
import json
import logging
import math
import multiprocessing
import os
import pstats
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.bot_api import Call, FakeBotAPI, make_user  # noqa: E402

SHIPPED_KB = ROOT / "knowledge"
DEFAULT_QUESTIONS = [ROOT.parent / "shared" / "eval" / "dev.yaml", ROOT / "tests" / "eval" / "cases.yaml"]
LOOPBACK = "127.0.0.1"
RESULT_PREFIX = "LOAD-RESULT "
FIRST_NAMES = {"it": ["Giulia", "Marco", "Chiara", "Luca", "Sara", "Paolo"], "en": ["Ada", "Bob", "Emma", "Liam"]}
COMMANDS = ("/start", "/help", "/deadline", "/topics")
NON_TEXT = ("photo_message", "sticker_message", "voice_message", "location_message", "document_message")
WATCHED = frozenset({"sendMessage", "answerCallbackQuery", "editMessageText"})
NON_TEXT_KEYS = ("photo", "sticker", "voice", "location", "document")
REFUSALS = {  # the bot's messages that reply to a question without answering it (English msgids)
    "You are sending messages very quickly: please wait a few seconds, then ask again.": "FLOOD WARNING",
    "Sorry, something went wrong on my side. Please try again.": "ERROR APOLOGY",
}


# ----------------------------------------------------------------------------------------------------- the plan


@dataclass
class Plan:
    """What the load driver does; picklable, so it can go to the server process."""

    rate: float
    seconds: float | None
    updates: int | None
    users: int
    seed: int
    reply_timeout: float
    warmup: int
    nontext_share: float
    command_share: float
    button_share: float
    questions: dict[str, list[str]]
    think_seconds: float = 2.5
    api_delay: float = 0.0  # seconds the fake server waits before answering any method but getUpdates
    other_language_share: float = 0.2
    refusals: dict[str, str] = field(default_factory=dict)  # message text -> label, in every language


def load_questions(paths: list[Path]) -> tuple[dict[str, list[str]], list[str]]:
    """The `q` fields by language (`lang`, default it) of the evaluation files that exist; notes for the missing."""
    pools: dict[str, list[str]] = {"it": [], "en": []}
    notes = []
    for path in paths:
        if not path.is_file():
            notes.append(f"questions file not found, skipped: {path}")
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        cases = data.get("cases", []) if isinstance(data, dict) else data
        for case in cases:
            if isinstance(case, dict) and isinstance(case.get("q"), str) and case["q"].strip():
                pools.setdefault(case.get("lang") or "it", []).append(case["q"])
    if not pools["it"] and not pools["en"]:
        raise SystemExit("no questions: give --questions FILE with `q` fields")
    for lang, other in (("it", "en"), ("en", "it")):
        pools[lang] = pools[lang] or pools[other]
    return pools, notes


# ------------------------------------------------------------------------------------------------- the driver


@dataclass
class Pending:
    user_id: int
    kind: str  # text | nontext | command | related-button | feedback-button
    expect: str  # keyboard: a sendMessage with reply_markup | message: any sendMessage | callback: answerCallbackQuery
    scheduled: float
    pushed: float
    callback_id: str | None = None
    first_reply: float | None = None
    parts: int = 0
    what: str = ""  # the text or the button data, for reports


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not values:
        return math.nan
    return values[min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))]


def summary_ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    stats = {f"p{q}": percentile(ordered, q) * 1000 for q in (50, 95, 99)}
    stats["max"] = ordered[-1] * 1000 if ordered else math.nan
    stats["mean"] = sum(ordered) / len(ordered) * 1000 if ordered else math.nan
    return stats


class LoadDriver:
    """Pushes updates into a FakeBotAPI and matches the bot's requests to them, using only the server's public
    records (`server.calls`: each Call's arrival time `at`, `status`, `params` and `result`)."""

    def __init__(self, server: FakeBotAPI, plan: Plan) -> None:
        self.server = server
        self.plan = plan
        if plan.api_delay > 0:
            server.delay("*", plan.api_delay)  # the distance to api.telegram.org, which loopback hides
        self.rng = random.Random(plan.seed)
        self.users: dict[int, dict[str, Any]] = {}
        for index in range(plan.users):
            lang = "it" if index % 2 == 0 else "en"
            user_id = 10_000_001 + index
            name = FIRST_NAMES[lang][index % len(FIRST_NAMES[lang])]
            self.users[user_id] = make_user(user_id, name, lang, username=f"load_user_{index}")
        self.idle: list[int] = list(self.users)
        self.resting: list[tuple[float, int]] = []  # heap of (ready again at, user id): reading, typing
        self.outstanding: dict[int, Pending] = {}
        self.callbacks: dict[str, int] = {}  # callback_query id -> chat id
        self.last_answer: dict[int, dict[str, Any]] = {}  # chat id -> last answer message with feedback buttons
        self.stuck: set[int] = set()  # users whose update timed out: never reused, a late reply must not mismatch
        self._cursor = 0
        self._unsettled: list[Call] = []
        self._next_expiry_check = 0.0
        self._reset()

    def _reset(self) -> None:
        self.latencies: list[float] = []
        self.first_reply_latencies: list[float] = []
        self.scheduled_latencies: list[float] = []
        self.push_lags: list[float] = []
        self.kinds: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.timed_out: Counter[str] = Counter()
        self.timed_out_samples: list[str] = []
        self.unexpected = 0
        self.blocked_seconds = 0.0
        self.first_push: float | None = None
        self.last_push: float | None = None
        self.last_reply: float | None = None
        self.window_start_call = len(self.server.calls)

    # -- building updates

    def _question(self, user: dict[str, Any]) -> str:
        lang = user["language_code"]
        if self.rng.random() < self.plan.other_language_share:
            lang = "en" if lang == "it" else "it"
        return self.rng.choice(self.plan.questions[lang])

    def _make_update(self, user: dict[str, Any]) -> tuple[dict[str, Any], str, str, str | None]:
        """(update, kind, expect, callback id) for the user's next action."""
        server = self.server
        r = self.rng.random()
        answer = self.last_answer.get(user["id"])
        if r < self.plan.button_share and answer is not None:
            data = [
                b["callback_data"]
                for row in answer["reply_markup"]["inline_keyboard"]
                for b in row
                if b.get("callback_data")
            ]
            related = [d for d in data if d.startswith("a:")]
            feedback = [d for d in data if d.startswith("f:")]
            if related and (not feedback or self.rng.random() < 0.4):
                update = server.callback_query(user, self.rng.choice(related), answer)
                return update, "related-button", "keyboard", update["callback_query"]["id"]
            update = server.callback_query(user, self.rng.choice(feedback), answer)
            del self.last_answer[user["id"]]  # one vote per answer
            return update, "feedback-button", "callback", update["callback_query"]["id"]
        r -= self.plan.button_share
        if r < self.plan.nontext_share:
            return getattr(server, self.rng.choice(NON_TEXT))(user), "nontext", "message", None
        r -= self.plan.nontext_share
        if r < self.plan.command_share:
            return server.command(user, self.rng.choice(COMMANDS)), "command", "message", None
        return server.text_message(user, self._question(user)), "text", "keyboard", None

    def _push(self, scheduled: float) -> bool:
        if self.resting and self.resting[0][0] <= time.monotonic():
            now = time.monotonic()
            while self.resting and self.resting[0][0] <= now:
                self.idle.append(heapq.heappop(self.resting)[1])
        if not self.idle:
            return False
        index = self.rng.randrange(len(self.idle))
        self.idle[index], self.idle[-1] = self.idle[-1], self.idle[index]
        user_id = self.idle.pop()
        update, kind, expect, callback_id = self._make_update(self.users[user_id])
        pushed = time.monotonic()
        self.server.push_update(update)
        content = update.get("message") or update.get("callback_query") or {}
        what = content.get("text") or content.get("data") or next((k for k in content if k in NON_TEXT_KEYS), "?")
        self.outstanding[user_id] = Pending(user_id, kind, expect, scheduled, pushed, callback_id, what=what)
        if callback_id:
            self.callbacks[callback_id] = user_id
        self.kinds[kind] += 1
        self.push_lags.append(max(0.0, pushed - scheduled))
        self.first_push = self.first_push if self.first_push is not None else pushed
        self.last_push = pushed
        return True

    # -- matching the bot's requests to updates

    def collect(self) -> None:
        calls = self.server.calls
        while self._cursor < len(calls):
            call = calls[self._cursor]
            self._cursor += 1
            if call.method in WATCHED:
                self._unsettled.append(call)
        if self._unsettled:
            waiting = []
            for call in self._unsettled:
                if call.status is None:
                    waiting.append(call)
                elif call.status == 200:
                    self._settle(call)
            self._unsettled = waiting

    def _settle(self, call: Call) -> None:
        if call.method == "sendMessage":
            message = call.result
            chat_id = message["chat"]["id"]
            pending = self.outstanding.get(chat_id)
            if pending is None:
                self.unexpected += 1
                return
            pending.parts += 1
            if pending.first_reply is None:
                pending.first_reply = call.at
            markup = message.get("reply_markup")
            data = [b.get("callback_data", "") for row in (markup or {}).get("inline_keyboard", []) for b in row]
            if any(d.startswith("f:") for d in data):
                self.last_answer[chat_id] = message
            refusal = self.plan.refusals.get(message.get("text", ""))  # the flood warning, the error apology
            if pending.expect == "message" or markup or refusal:
                if any(d.startswith("f:") for d in data):
                    outcome = "answered"
                elif markup:
                    outcome = "unknown/suggest" if pending.expect == "keyboard" else "reply"
                else:
                    outcome = refusal if refusal and pending.expect == "keyboard" else "reply"
                self._complete(pending, call.at, f"{pending.kind}:{outcome}")
            # else: the first parts of an answer too long for one message; the keyboard comes with the last
        elif call.method == "answerCallbackQuery":
            chat_id = self.callbacks.pop(str(call.params.get("callback_query_id")), None)
            pending = self.outstanding.get(chat_id) if chat_id is not None else None
            if pending is not None and pending.expect == "callback":
                self._complete(pending, call.at, f"{pending.kind}:answered")

    def _complete(self, pending: Pending, at: float, outcome: str) -> None:
        del self.outstanding[pending.user_id]
        self.latencies.append(at - pending.pushed)
        self.scheduled_latencies.append(at - pending.scheduled)
        self.first_reply_latencies.append((pending.first_reply or at) - pending.pushed)
        self.outcomes[outcome] += 1
        self.last_reply = at if self.last_reply is None else max(self.last_reply, at)
        heapq.heappush(self.resting, (time.monotonic() + self.plan.think_seconds, pending.user_id))

    def _expire(self, now: float) -> None:
        if now < self._next_expiry_check:
            return
        self._next_expiry_check = now + 0.25 if now < math.inf else 0.0
        for user_id, pending in list(self.outstanding.items()):
            if now - pending.pushed > self.plan.reply_timeout:
                del self.outstanding[user_id]
                self.stuck.add(user_id)
                self.timed_out[pending.kind] += 1
                if len(self.timed_out_samples) < 5:
                    sent = self.server.messages_to(user_id)
                    self.timed_out_samples.append(
                        f"{pending.kind} {pending.what!r} from chat {user_id}: {pending.parts} message(s) came, the "
                        f"chat's last sendMessage: {sent[-1].get('text', '')[:80]!r}"
                        if sent
                        else f"{pending.kind} {pending.what!r} from chat {user_id}: nothing ever sent to the chat"
                    )

    async def _drain(self, deadline: float) -> None:
        while self.outstanding and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
            self.collect()
            self._expire(time.monotonic())
        self._expire(math.inf)  # whatever is left at the deadline timed out

    # -- phases

    async def warmup(self) -> dict[str, Any]:
        """A few questions first (imports, caches, the first SQLite pages, HTTP connections); not measured."""
        count = min(self.plan.warmup, len(self.idle))
        start = time.monotonic()
        for _ in range(count):
            self._push(time.monotonic())
            await asyncio.sleep(0.002)
        await self._drain(time.monotonic() + self.plan.reply_timeout)
        done = len(self.latencies)
        result = {"warmup_updates": count, "warmup_completed": done, "warmup_seconds": time.monotonic() - start}
        self._reset()
        return result

    async def run(self) -> dict[str, Any]:
        plan = self.plan
        total = plan.updates if plan.updates is not None else math.inf
        push_limit = plan.seconds if plan.updates is None else math.inf
        self._reset()
        start = time.monotonic()
        pushed = 0
        while pushed < total:
            now = time.monotonic()
            if now - start >= push_limit:
                break
            due = min(total, math.floor((now - start) * plan.rate) + 1)
            self.collect()
            blocked = False
            while pushed < due:
                if not self._push(start + pushed / plan.rate):
                    blocked = True  # every user waits for a reply or thinks: the load becomes closed-loop
                    break
                pushed += 1
            self._expire(now)
            if blocked:
                await asyncio.sleep(0.002)
                self.blocked_seconds += time.monotonic() - now
            else:
                next_at = start + pushed / plan.rate
                await asyncio.sleep(min(0.01, max(0.0, next_at - time.monotonic())))
        push_end = time.monotonic()
        await self._drain(push_end + plan.reply_timeout)
        return self.result(start, push_end)

    def result(self, start: float, push_end: float) -> dict[str, Any]:
        window = self.server.calls[self.window_start_call :]
        statuses: Counter[str] = Counter()
        by_method: Counter[str] = Counter()
        poll_sizes = []
        for call in window:
            by_method[call.method] += 1
            if call.method == "getUpdates":
                if call.status == 200:
                    poll_sizes.append(len(call.result or ()))
                continue  # 499/502 on the long poll belong to shutdown, not to the load
            if call.status is not None and call.status != 200:
                statuses[f"{call.method} {call.status} {call.description or ''}".strip()] += 1
        completed = len(self.latencies)
        wall = (self.last_reply - self.first_push) if completed and self.first_push is not None else math.nan
        busy_polls = [n for n in poll_sizes if n]
        return {
            "pushed": sum(self.kinds.values()),
            "kinds": dict(self.kinds),
            "completed": completed,
            "outcomes": dict(self.outcomes),
            "timed_out": sum(self.timed_out.values()),
            "timed_out_by_kind": dict(self.timed_out),
            "timed_out_samples": self.timed_out_samples,
            "unexpected_replies": self.unexpected,
            "http_errors": sum(statuses.values()),
            "http_error_kinds": dict(statuses.most_common(8)),
            "calls_by_method": dict(by_method),
            "wall_seconds": wall,
            "throughput": completed / wall if wall and wall > 0 else math.nan,
            "push_seconds": push_end - start,
            "offered_rate": sum(self.kinds.values()) / (push_end - start) if push_end > start else math.nan,
            "push_lag_ms": summary_ms(self.push_lags),
            "blocked_seconds": self.blocked_seconds,
            "latency_ms": summary_ms(self.latencies),
            "first_reply_ms": summary_ms(self.first_reply_latencies),
            "from_schedule_ms": summary_ms(self.scheduled_latencies),
            "updates_per_poll": sum(busy_polls) / len(busy_polls) if busy_polls else math.nan,
            "polls_with_updates": len(busy_polls),
        }


# ---------------------------------------------------------------------------------------- logs, memory, CPU


class LogCounter(logging.Handler):
    """Counts WARNING and above, keeping a few distinct messages to show."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.samples: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key = f"{record.levelname} {record.name}"
        self.counts[key] += 1
        if len(self.samples) < 6 and key not in self.samples:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
            self.samples[key] = text[:300]

    def reset(self) -> None:
        self.counts.clear()
        self.samples.clear()

    def report(self) -> dict[str, Any]:
        return {
            "logged": sum(self.counts.values()),
            "logged_kinds": dict(self.counts),
            "log_samples": dict(self.samples),
        }


def install_log_counter() -> LogCounter:
    counter = LogCounter()
    root = logging.getLogger()
    root.setLevel(logging.WARNING)  # httpx logs every request at INFO: formatting those would cost CPU
    root.addHandler(counter)
    return counter


def max_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float | None:
    """CPU seconds all processes of the machine spent busy so far (Linux /proc/stat), None elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_usage() -> dict[str, float]:
    """User and system CPU seconds and context switches of this process so far (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"user": usage.ru_utime, "sys": usage.ru_stime, "vcsw": usage.ru_nvcsw, "ivcsw": usage.ru_nivcsw}


# --------------------------------------------------------------------------------------------------- profiling

CATEGORIES = [  # (path fragment, category): first match wins, so bot/ comes before telegram/
    ("benchmarks/load.py", "load driver"),
    ("bot/storage/", "bot: SQLite storage"),
    ("aiosqlite", "bot: SQLite storage"),
    ("sqlite3", "bot: SQLite storage"),
    ("bot/matching/", "bot: matching"),
    ("bot/assistant.py", "bot: matching"),
    ("bot/language.py", "bot: matching"),
    ("bot/rendering.py", "bot: matching"),
    ("bot/deadlines.py", "bot: matching"),
    ("rapidfuzz", "bot: matching"),
    ("snowballstemmer", "bot: matching"),
    ("numpy", "bot: matching"),
    ("bot/", "bot: handlers, i18n, formatting"),
    ("babel", "bot: handlers, i18n, formatting"),
    ("telegram/request/", "HTTP client (PTB request, httpx, httpcore, h11)"),
    ("httpx", "HTTP client (PTB request, httpx, httpcore, h11)"),
    ("httpcore", "HTTP client (PTB request, httpx, httpcore, h11)"),
    ("h11", "HTTP client (PTB request, httpx, httpcore, h11)"),
    ("anyio", "HTTP client (PTB request, httpx, httpcore, h11)"),
    ("sniffio", "HTTP client (PTB request, httpx, httpcore, h11)"),
    ("telegram/", "PTB (objects, dispatch, de/serialisation)"),
    ("tests/support/", "fake server"),
    ("aiohttp", "fake server"),
    ("multidict", "fake server"),
    ("yarl", "fake server"),
    ("json/", "json (stdlib)"),
    ("asyncio/", "asyncio event loop"),
    ("selectors.py", "asyncio event loop"),
    ("concurrent/futures", "threads/queues"),
    ("threading.py", "threads/queues"),
    ("queue.py", "threads/queues"),
    ("logging/", "logging"),
    ("<frozen importlib", "import machinery (at run time!)"),
    ("_distutils_hack", "import machinery (at run time!)"),
]


def category_of(path: str) -> str | None:
    path = path.replace("\\", "/")
    for fragment, name in CATEGORIES:
        if fragment in path:
            return name
    return None


def profile_breakdown(stats: pstats.Stats) -> tuple[Counter[str], float]:
    """Own time per category. Functions of no known component (C functions, the standard library) are charged to
    their callers' categories, up to a few calls up, in proportion to the time each caller spent in them."""
    totals: Counter[str] = Counter()
    raw = stats.stats  # type: ignore[attr-defined]

    def own_category(func: tuple[str, int, str]) -> str | None:
        path, _, name = func
        if path == "~":
            if "epoll" in name or "select.poll" in name:
                return "epoll_wait (idle, and waking up)"
            if name in ("<method 'send' of '_socket.socket' objects>", "<method 'recv' of '_socket.socket' objects>"):
                return "socket send/recv syscalls"
            return None
        return category_of(path)

    def charge(func: tuple[str, int, str], amount: float, depth: int) -> None:
        category = own_category(func)
        if category is not None:
            totals[category] += amount
            return
        callers = raw.get(func, (0, 0, 0.0, 0.0, {}))[4]
        weights = {caller: entry[2] or entry[3] for caller, entry in callers.items()}
        total = sum(weights.values())
        if depth >= 6 or total <= 0:
            totals["C code (caller unknown)" if func[0] == "~" else "other Python"] += amount
            return
        for caller, weight in weights.items():
            charge(caller, amount * weight / total, depth + 1)

    for func, (_, _, tottime, _, _) in raw.items():
        if tottime > 0:
            charge(func, tottime, 0)
    return totals, sum(totals.values())


def print_profile(profile: cProfile.Profile, path: str | None) -> None:
    if path:
        profile.dump_stats(path)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    totals, total = profile_breakdown(stats)
    print("\ncProfile of the bot's event-loop thread (the aiosqlite thread is not seen; cProfile roughly doubles")
    print("the cost of Python calls, so use it for shares, not for throughput):")
    for name, seconds in totals.most_common():
        print(f"  {name:<52} {seconds:7.2f} s  {100 * seconds / total:5.1f} %")
    stats.sort_stats("tottime").print_stats(18)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print("  top functions by own time:")
    for line in lines[start : start + 19]:
        print("   " + line[:150])
    if path:
        print(f"  full profile: {path} (python -m pstats {path})")


def spy_category(frames: list[str]) -> str:
    """The category of a py-spy stack: syscalls the event loop makes, else the innermost known component."""
    leaf = frames[-1] if frames else ""
    if leaf.startswith(("EpollSelector.select ", "select (selectors.py")):
        return "epoll_wait (event loop, incl. waking up)"
    if leaf.startswith(("_SelectorSocketTransport.write ", "_SelectorSocketTransport._read_ready")):
        return "socket send/recv syscalls"
    for frame in reversed(frames):
        if "(" in frame:
            found = category_of(frame[frame.rfind("(") + 1 :])
            if found:
                return found
    return "other"


class PySpy:
    """py-spy recording this process (and its children) for the measured window; collapsed stacks out."""

    def __init__(self, output: str, rate: int = 200) -> None:
        self.output = output
        self.rate = rate
        self.proc: subprocess.Popen[bytes] | None = None
        self.error = ""

    def start(self) -> None:
        exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(exe).exists():
            self.error = "py-spy not found (pip install py-spy)"
            return
        command = [exe, "record", "--pid", str(os.getpid()), "--rate", str(self.rate), "--format", "raw"]
        command += ["--nonblocking", "--subprocesses", "--threads", "-o", self.output]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        if self.proc.poll() is not None:
            self.error = (self.proc.stderr.read() if self.proc.stderr else b"").decode(errors="replace")[-400:]
            self.proc = None

    def interrupt(self) -> None:
        """Ask py-spy to stop and write its output; does not wait (that would block the event loop)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def finish(self) -> None:
        """Wait for py-spy to write its output (call it outside the event loop)."""
        if self.proc is None:
            return
        self.interrupt()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            self.error = "py-spy did not stop in 30 s"

    def report(self) -> None:
        print("\npy-spy (sampled, all threads, on-CPU only; each sample charged to the innermost frame of a known")
        print("component, so stdlib and C time counts for whoever called it):")
        if self.error or not Path(self.output).is_file():
            print(f"  no profile: {self.error or 'no output written'}")
            return
        by_thread: dict[str, Counter[str]] = {}
        for line in Path(self.output).read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            frames = stack.split(";")
            processes = [f for f in frames[:4] if f.startswith("process ")]
            threads = [f for f in frames[:4] if f.startswith("thread (")]
            frames = frames[len(processes) + len(threads) :]
            name = threads[-1].partition(": ")[2] if threads else "?"
            if "connection_worker" in name:
                name += " [aiosqlite]"
            thread = f"{'server' if len(processes) > 1 else 'bot'} process, thread {name}"
            by_thread.setdefault(thread, Counter())[spy_category(frames)] += int(count)
        grand = sum(sum(c.values()) for c in by_thread.values()) or 1
        for thread, counts in sorted(by_thread.items(), key=lambda item: -sum(item[1].values())):
            total = sum(counts.values())
            print(f"  {thread[:90]}: {total} samples ({100 * total / grand:.1f} % of all)")
            for name, samples in counts.most_common(9):
                print(f"    {name:<52} {100 * samples / total:5.1f} %")
        print(f"  collapsed stacks: {self.output} (flamegraph.pl or speedscope can draw them)")


@contextlib.contextmanager
def measured(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """CPU time and optional profilers of this process around the measured phase."""
    figures: dict[str, Any] = {}
    spy = PySpy(args.py_spy) if args.py_spy else None
    if spy:
        spy.start()
    profile = cProfile.Profile() if args.profile else None
    cpu0, wall0, machine0 = cpu_usage(), time.monotonic(), machine_busy_seconds()
    if profile:
        profile.enable()
    try:
        yield figures
    finally:
        if profile:
            profile.disable()
        cpu1 = cpu_usage()
        figures["bot_cpu"] = {key: cpu1[key] - cpu0[key] for key in cpu0}
        figures["bot_cpu_seconds"] = figures["bot_cpu"]["user"] + figures["bot_cpu"]["sys"]
        figures["bot_cpu_wall_seconds"] = time.monotonic() - wall0
        machine1 = machine_busy_seconds()
        figures["machine_busy_seconds"] = machine1 - machine0 if machine0 is not None and machine1 else None
        if spy:
            spy.interrupt()
        figures["_profile"] = profile
        figures["_spy"] = spy


# ------------------------------------------------------------------------------------------------ the bot side


def patch_concurrency(concurrent_updates: int) -> None:
    """EXPERIMENT, not the shipped bot: make build_application's ApplicationBuilder process N updates at once."""
    if concurrent_updates <= 0:
        return
    from telegram.ext import ApplicationBuilder

    import bot.telegram.app as app_module

    class ConcurrentApplicationBuilder(ApplicationBuilder):
        def __init__(self) -> None:
            super().__init__()
            self.concurrent_updates(concurrent_updates)

    app_module.ApplicationBuilder = ConcurrentApplicationBuilder  # type: ignore[misc]


EXPERIMENTS = {
    "no-typing": "show_typing is a no-op: no sendChatAction round trip before each answer",
    "sniffio-none": "sys.modules['sniffio'] = None: httpcore's `import sniffio` on every request fails at once "
    "instead of searching sys.path (installing sniffio has the same effect)",
    "no-storage": "Services.store returns None without touching SQLite: what storage costs, at most",
}


def apply_experiments(names: list[str]) -> list[str]:
    """EXPERIMENTS, not the shipped bot: monkeypatch this process's bot to measure what a change would give."""
    notes = []
    if "no-typing" in names:
        import bot.telegram.conversation as conversation

        async def no_typing(bot: Any, chat_id: int) -> None:
            return None

        conversation.show_typing = no_typing  # type: ignore[assignment]
    if "sniffio-none" in names:
        import importlib.util

        if importlib.util.find_spec("sniffio") is not None:
            notes.append("sniffio is installed: the sniffio-none experiment changes nothing")
        else:
            sys.modules["sniffio"] = None  # type: ignore[assignment]
    if "no-storage" in names:
        from bot.telegram.context import Services

        async def no_storage(self: Services, what: str, action: Any) -> None:
            return None

        Services.store = no_storage  # type: ignore[method-assign,assignment]
    return notes


def refusal_texts() -> dict[str, str]:
    """REFUSALS as users see them, in each language of the bot (found with the bot's own catalogs)."""
    from bot.i18n import Catalogs

    catalogs = Catalogs()
    return {catalogs[lang].gettext(msgid): label for msgid, label in REFUSALS.items() for lang in ("it", "en")}


def make_plan(args: argparse.Namespace, questions: dict[str, list[str]]) -> Plan:
    return Plan(
        think_seconds=args.think_seconds,
        api_delay=args.api_delay_ms / 1000,
        refusals=refusal_texts(),
        rate=args.rate,
        seconds=None if args.updates else args.seconds,
        updates=args.updates,
        users=args.users,
        seed=args.seed,
        reply_timeout=args.reply_timeout,
        warmup=args.warmup,
        nontext_share=args.nontext_share,
        command_share=args.command_share,
        button_share=args.button_share,
        questions=questions,
    )


async def run_in_process(args: argparse.Namespace, plan: Plan, tmp: Path, logs: LogCounter) -> dict[str, Any]:
    from tests.support.harness import running_bot

    async with FakeBotAPI(host=LOOPBACK) as server, running_bot(server, tmp, knowledge_dir=args.knowledge) as app:
        assert app.running
        driver = LoadDriver(server, plan)
        result = await driver.warmup()
        logs.reset()
        with measured(args) as figures:
            result.update(await driver.run())
        result.update(logs.report())
        result.update(figures)
        result["server_max_rss_mib"] = None
    return result


async def recv(conn: Any, timeout: float, what: str) -> tuple[Any, ...]:
    """The next control message, waiting in a thread so the event loop keeps running; bounded by `timeout`."""
    loop = asyncio.get_running_loop()
    ready = await loop.run_in_executor(None, conn.poll, timeout)
    if not ready:
        raise TimeoutError(f"no {what} from the other process within {timeout:.0f} s")
    return await loop.run_in_executor(None, conn.recv)


def server_process_main(conn: Any, plan: Plan, control_timeout: float) -> None:
    """The server process: FakeBotAPI and the load driver in their own event loop, steered through `conn`."""
    logs = install_log_counter()
    asyncio.run(_serve(conn, plan, control_timeout, logs))


async def _serve(conn: Any, plan: Plan, control_timeout: float, logs: LogCounter) -> None:
    async with FakeBotAPI(host=LOOPBACK) as server:
        conn.send(("ready", server.base_url, server.token, os.getpid()))
        driver = LoadDriver(server, plan)
        while True:
            command = (await recv(conn, control_timeout, "command"))[0]
            if command == "warmup":
                conn.send(("warmed", await driver.warmup()))
            elif command == "run":
                logs.reset()
                cpu0 = cpu_seconds()
                result = await driver.run()
                result["server_cpu_seconds"] = cpu_seconds() - cpu0
                result["server_logged"] = logs.report()
                result["server_max_rss_mib"] = max_rss_mib()
                conn.send(("result", result))
            elif command == "stop":
                break
    conn.close()


async def run_with_server_process(args: argparse.Namespace, plan: Plan, tmp: Path, logs: LogCounter) -> dict[str, Any]:
    from tests.support.harness import running_bot

    context = multiprocessing.get_context("spawn")  # no fork of a process with threads and an event loop
    ours, theirs = context.Pipe()
    run_limit = (plan.seconds or plan.updates / plan.rate) + 2 * plan.reply_timeout + 120  # type: ignore[operator]
    process = context.Process(
        target=server_process_main, args=(theirs, plan, run_limit + 60), daemon=True, name="fake-bot-api"
    )
    process.start()
    try:
        _, base_url, token, server_pid = await recv(ours, 60, "ready message")
        remote = SimpleNamespace(token=token, base_url=base_url)  # all running_bot needs of the server
        async with running_bot(remote, tmp, knowledge_dir=args.knowledge) as app:  # type: ignore[arg-type]
            assert app.running
            ours.send(("warmup",))
            _, result = await recv(ours, plan.reply_timeout + 60, "end of warm-up")
            logs.reset()
            with measured(args) as figures:
                ours.send(("run",))
                _, measured_result = await recv(ours, run_limit, "result")
            result.update(measured_result)
            result.update(logs.report())
            result.update(figures)
        result["server_pid"] = server_pid
        ours.send(("stop",))
        process.join(timeout=15)
    finally:
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
    return result


def run_once(args: argparse.Namespace) -> dict[str, Any]:
    questions, notes = load_questions(args.questions)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    plan = make_plan(args, questions)
    if args.tracemalloc:
        tracemalloc.start()
    logs = install_log_counter()
    patch_concurrency(args.concurrent_updates)
    for note in apply_experiments(args.experiment):
        print(f"note: {note}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="load-bench-") as folder:
        tmp = Path(folder)
        runner = run_with_server_process if args.server_process else run_in_process
        limit = (plan.seconds or (plan.updates or 0) / plan.rate) + 3 * plan.reply_timeout + 240
        result = asyncio.run(asyncio.wait_for(runner(args, plan, tmp, logs), timeout=limit))
        result["db_bytes"] = sum(p.stat().st_size for p in tmp.glob("bot.sqlite3*"))
    after = logs.report()  # what was logged after the measured phase: starting to stop, stopping
    later = {kind: n - result["logged_kinds"].get(kind, 0) for kind, n in after["logged_kinds"].items()}
    result["shutdown_logged"] = {kind: n for kind, n in later.items() if n > 0}
    result["shutdown_log_samples"] = {k: v for k, v in after["log_samples"].items() if k in result["shutdown_logged"]}
    result["bot_max_rss_mib"] = max_rss_mib()
    if result.get("machine_busy_seconds") is not None and result["bot_cpu_wall_seconds"] > 0:
        others = result["machine_busy_seconds"] - result["bot_cpu_seconds"] - (result.get("server_cpu_seconds") or 0.0)
        result["others_core_share"] = max(0.0, others) / result["bot_cpu_wall_seconds"]
    result["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    result["questions"] = {lang: len(qs) for lang, qs in questions.items()}
    result["config"] = {
        "mode": "server-process" if args.server_process else "in-process",
        "rate": args.rate,
        "seconds": None if args.updates else args.seconds,
        "updates": args.updates,
        "users": args.users,
        "think_seconds": args.think_seconds,
        "api_delay_ms": args.api_delay_ms,
        "concurrent_updates": args.concurrent_updates,
        "experiments": args.experiment,
        "tracemalloc": args.tracemalloc,
        "profile": bool(args.profile or args.py_spy),
        "cpus": os.cpu_count(),
    }
    return result


# ---------------------------------------------------------------------------------------------------- output


def fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else str(value)


def refused(r: dict[str, Any]) -> int:
    return sum(n for outcome, n in r["outcomes"].items() if outcome.split(":", 1)[1] in REFUSALS.values())


def error_count(r: dict[str, Any]) -> int:
    server_logged = r.get("server_logged", {}).get("logged", 0)
    return r["timed_out"] + refused(r) + r["http_errors"] + r["logged"] + server_logged


def print_report(r: dict[str, Any]) -> None:
    c = r["config"]
    lat, first, lag = r["latency_ms"], r["first_reply_ms"], r["push_lag_ms"]
    concurrency = (
        "shipped (one update at a time)"
        if not c["concurrent_updates"]
        else f"{c['concurrent_updates']} (EXPERIMENT: ApplicationBuilder.concurrent_updates monkeypatched)"
    )
    print(
        f"\n=== load benchmark: {c['mode']}, target {c['rate']:g}/s, {c['users']} users thinking "
        f"{c['think_seconds']:g} s between messages, {c['cpus']} CPUs ==="
    )
    if c["mode"] == "in-process":
        print("NOTE: the fake Telegram server and the load driver run in the bot's process and event loop and compete")
        print("      with the bot for the CPU: the figures are a lower bound for the bot alone (try --server-process).")
    else:
        print(f"NOTE: the fake server and the driver run in their own process (pid {r.get('server_pid')}); the bot has")
        print("      its process to itself, but on this machine the two processes share the CPUs.")
    if c["api_delay_ms"]:
        print(f"NOTE: every Bot API call but getUpdates is answered {c['api_delay_ms']:g} ms late (--api-delay-ms).")
    if c["tracemalloc"] or c["profile"]:
        print("NOTE: tracemalloc/profiling is on: throughput and latency are lower than without it.")
    print(f"concurrent updates: {concurrency}")
    for name in c["experiments"]:
        print(f"EXPERIMENT (monkeypatched, not the shipped bot): {name}: {EXPERIMENTS[name]}")
    print(f"questions: {r['questions']} from the evaluation files; update kinds pushed: {r['kinds']}")
    print(
        f"warm-up: {r['warmup_completed']}/{r['warmup_updates']} replies in {r['warmup_seconds']:.2f} s (not measured)"
    )
    print(
        f"pushed {r['pushed']} updates in {r['push_seconds']:.2f} s: offered {fmt(r['offered_rate'])}/s; push lag "
        f"behind schedule p50 {fmt(lag['p50'])} ms, p99 {fmt(lag['p99'])} ms, max {fmt(lag['max'])} ms; "
        f"{r['blocked_seconds']:.1f} s with updates due but every user waiting for a reply or thinking"
    )
    print(
        f"HANDLED: {r['completed']} replies in {fmt(r['wall_seconds'], 2)} s (first push -> last reply) = "
        f"{fmt(r['throughput'])} updates/s"
    )
    print(
        f"latency push -> reply at server: p50 {fmt(lat['p50'])} ms  p95 {fmt(lat['p95'])} ms  "
        f"p99 {fmt(lat['p99'])} ms  max {fmt(lat['max'])} ms  (mean {fmt(lat['mean'])} ms)"
    )
    sched = r["from_schedule_ms"]
    print(f"  (to the first sendMessage: p50 {fmt(first['p50'])} ms, p99 {fmt(first['p99'])} ms)")
    print(
        f"  (from the time the update was due at the target rate, which counts the queueing the closed loop hides: "
        f"p50 {fmt(sched['p50'])} ms, p99 {fmt(sched['p99'])} ms)"
    )
    print(f"reply outcomes: {dict(sorted(r['outcomes'].items()))}")
    server_logged = r.get("server_logged", {}).get("logged", 0)
    errors = error_count(r)
    print(
        f"ERRORS: {errors} = {r['timed_out']} updates without reply within the timeout "
        f"{dict(r['timed_out_by_kind']) or ''}, {refused(r)} questions refused (flood warning or error apology "
        f"instead of the answer), {r['http_errors']} non-200 HTTP answers, {r['logged']} warnings/errors logged "
        f"by the bot process, {server_logged} by the server process; {r['unexpected_replies']} unmatched sendMessage"
    )
    for sample in r["timed_out_samples"]:
        print(f"  no reply: {sample}")
    for kind, count in r["http_error_kinds"].items():
        print(f"  http {count} x {kind}")
    for kind, sample in r["log_samples"].items():
        print(f"  log {r['logged_kinds'][kind]} x {kind}: {sample}")
    for kind, sample in r.get("server_logged", {}).get("log_samples", {}).items():
        print(f"  server log {kind}: {sample}")
    for kind, count in r["shutdown_logged"].items():
        sample = r["shutdown_log_samples"].get(kind, "")
        print(f"  (after the measurement, while stopping: {count} x {kind}: {sample}; not counted)")
    print(f"requests to the fake server: {r['calls_by_method']}")
    print(
        f"getUpdates: {r['polls_with_updates']} polls returned updates, "
        f"{fmt(r['updates_per_poll'])} per poll on average"
    )
    busy = r["bot_cpu_seconds"] / r["bot_cpu_wall_seconds"] if r["bot_cpu_wall_seconds"] else math.nan
    line = (
        f"CPU: bot process {r['bot_cpu_seconds']:.1f} s over {r['bot_cpu_wall_seconds']:.1f} s "
        f"= {100 * busy:.0f} % of a core"
    )
    cpu = r["bot_cpu"]
    if r["completed"]:
        line += (
            f"; {1000 * r['bot_cpu_seconds'] / r['completed']:.2f} ms per update (user {cpu['user']:.1f} s, "
            f"sys {cpu['sys']:.1f} s; {(cpu['vcsw'] + cpu['ivcsw']) / r['completed']:.1f} context switches per update)"
        )
    if r.get("server_cpu_seconds") is not None:
        line += f"; server process {r['server_cpu_seconds']:.1f} s"
    print(line + (" (both sides)" if c["mode"] == "in-process" else ""))
    share = r.get("others_core_share")
    if share is not None:
        print(
            f"other processes on the machine used {100 * share:.0f} % of a core meanwhile"
            + (" -- WARNING: the machine was not quiet, figures are pessimistic" if share > 0.1 else "")
        )
    memory = f"MEMORY: peak RSS of the bot process {r['bot_max_rss_mib']:.0f} MiB"
    if c["mode"] == "in-process":
        memory += " (includes the fake server and the driver)"
    elif r.get("server_max_rss_mib"):
        memory += (
            f" (with ~10 MiB of aiohttp the test harness imports); server process {r['server_max_rss_mib']:.0f} MiB"
        )
    if r["tracemalloc_peak_mib"] is not None:
        memory += f"; tracemalloc peak {r['tracemalloc_peak_mib']:.1f} MiB"
    print(memory + f"; SQLite files {r['db_bytes'] / 1024:.0f} KiB at the end")
    goal = r["throughput"] >= 200 and errors == 0 and r["completed"] == r["pushed"]
    print(f"GOAL (>= 200 updates/s, no errors): {'met' if goal else 'NOT met'}")


def print_matrix(rows: list[dict[str, Any]]) -> None:
    print("\n=== matrix (bot CPU: share of one core, and CPU ms per handled update; others: other processes) ===")
    print(
        f"{'mode':<16}{'concurrent':>11}{'offered/s':>10}{'handled/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}{'errors':>7}{'bot RSS':>9}{'bot CPU':>8}{'ms/upd':>7}{'others':>7}  experiments"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['mode']:<16}{r['concurrent']:>11}  failed: {r['error']}")
            continue
        c, lat = r["config"], r["latency_ms"]
        errors = error_count(r)
        busy = r["bot_cpu_seconds"] / r["bot_cpu_wall_seconds"] if r["bot_cpu_wall_seconds"] else math.nan
        per_update = 1000 * r["bot_cpu_seconds"] / r["completed"] if r["completed"] else math.nan
        print(
            f"{c['mode']:<16}{c['concurrent_updates'] or 'shipped':>11}{fmt(r['offered_rate']):>10}"
            f"{fmt(r['throughput']):>10}{fmt(lat['p50']):>9}{fmt(lat['p95']):>9}{fmt(lat['p99']):>9}"
            f"{fmt(lat['max']):>9}{errors:>7}{r['bot_max_rss_mib']:>7.0f}Mi{100 * busy:>7.0f}%{per_update:>7.2f}"
            f"{100 * (r.get('others_core_share') or 0):>6.0f}%  {' '.join(c['experiments']) or '-'}"
        )


def run_matrix(args: argparse.Namespace, argv: list[str]) -> None:
    """Each combination in a fresh child process: clean peak-memory figures, no state carried over."""
    passthrough = []
    dropping = False  # inside the values of an option the matrix sets itself
    for item in argv:
        if dropping and not item.startswith("-"):
            continue
        dropping = item.split("=")[0] in ("--matrix-concurrency", "--concurrent-updates")
        if dropping or item in ("--matrix", "--server-process", "--json"):
            continue
        passthrough.append(item)
    budget = (args.updates / args.rate if args.updates else args.seconds) + 3 * args.reply_timeout + 300
    rows = []
    for server_process in (False, True):
        for concurrency in args.matrix_concurrency:
            mode = "server-process" if server_process else "in-process"
            command = [sys.executable, str(Path(__file__).resolve()), *passthrough, "--json"]
            command += ["--concurrent-updates", str(concurrency)] + (["--server-process"] if server_process else [])
            print(f"\n$ {' '.join(command)}", flush=True)
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=budget, cwd=ROOT)
            except subprocess.TimeoutExpired:
                rows.append({"mode": mode, "concurrent": concurrency, "error": f"timed out after {budget:.0f} s"})
                continue
            lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
            print("\n".join(line for line in done.stdout.splitlines() if not line.startswith(RESULT_PREFIX)))
            if not lines:
                tail = (done.stderr or "").strip().splitlines()[-3:]
                rows.append({"mode": mode, "concurrent": concurrency, "error": f"exit {done.returncode}: {tail}"})
                continue
            rows.append(json.loads(lines[-1][len(RESULT_PREFIX) :]))
    print_matrix(rows)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300.0, help="updates pushed per second (default 300)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to push (default 20)")
    parser.add_argument("--updates", type=int, help="push this many updates instead (overrides --seconds)")
    parser.add_argument("--users", type=int, default=1000, help="distinct simulated users (default 1000)")
    parser.add_argument(
        "--think-seconds",
        type=float,
        default=2.5,
        help="a user writes again at least this long after the reply (default 2.5; the bot's flood control allows "
        "a burst of 8, then one update per 2 s per user)",
    )
    parser.add_argument(
        "--api-delay-ms",
        type=float,
        default=0.0,
        help="the fake server answers every method but getUpdates this much later, like a distant Telegram (0)",
    )
    parser.add_argument(
        "--reply-timeout", type=float, default=30.0, help="an update without reply after this many s is an error"
    )
    parser.add_argument("--warmup", type=int, default=40, help="updates sent before measuring (default 40)")
    parser.add_argument("--nontext-share", type=float, default=0.03, help="share of photos, stickers, ... (0.03)")
    parser.add_argument("--command-share", type=float, default=0.03, help="share of /start, /help, ... (0.03)")
    parser.add_argument("--button-share", type=float, default=0.06, help="share of button presses (0.06)")
    parser.add_argument("--questions", type=Path, nargs="+", default=DEFAULT_QUESTIONS, help="YAML files with `q`")
    parser.add_argument("--knowledge", type=Path, default=SHIPPED_KB, help="knowledge folder (default: shipped)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--server-process", action="store_true", help="run the fake server in its own process")
    parser.add_argument(
        "--concurrent-updates",
        type=int,
        default=0,
        help="EXPERIMENT: monkeypatch the Application to process N updates concurrently (0: as shipped)",
    )
    parser.add_argument(
        "--experiment",
        action="append",
        default=[],
        choices=sorted(EXPERIMENTS),
        help="EXPERIMENT (repeatable), monkeypatching the bot in this process: "
        + "; ".join(f"{k}: {v}" for k, v in EXPERIMENTS.items()),
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also report tracemalloc's peak (slow)")
    parser.add_argument("--profile", nargs="?", const="", metavar="PSTATS", help="cProfile the bot's event loop")
    parser.add_argument("--py-spy", metavar="OUT", help="record the process with py-spy into OUT (collapsed stacks)")
    parser.add_argument("--matrix", action="store_true", help="run in-process and --server-process x concurrency")
    parser.add_argument("--matrix-concurrency", type=int, nargs="+", default=[0, 16], help="for --matrix (0 16)")
    parser.add_argument("--json", action="store_true", help="also print the result as one JSON line")
    args = parser.parse_args(argv)
    if args.api_delay_ms < 0 or args.think_seconds < 0 or args.reply_timeout <= 0:
        parser.error("--api-delay-ms and --think-seconds cannot be negative, --reply-timeout must be positive")
    if args.rate <= 0 or args.users <= 0 or (args.updates is not None and args.updates <= 0) or args.seconds <= 0:
        parser.error("--rate, --users, --updates and --seconds must be positive")
    if not 0 <= args.nontext_share + args.command_share + args.button_share <= 1:
        parser.error("the shares of non-text updates, commands and buttons must add up to at most 1")
    return args


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.matrix:
        run_matrix(args, argv)
        return
    started = time.monotonic()
    result = run_once(args)
    profile, spy = result.pop("_profile", None), result.pop("_spy", None)
    print_report(result)
    if profile is not None:
        print_profile(profile, args.profile or None)
    if spy is not None:
        spy.finish()
        spy.report()
    print(f"(benchmark took {time.monotonic() - started:.1f} s)")
    if args.json:
        print(RESULT_PREFIX + json.dumps(result, default=str))


if __name__ == "__main__":
    main()

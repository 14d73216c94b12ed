"""The load generator: simulated users writing to a bot through the loopback Bot API server, in the server's process.

It pushes updates into a FakeBotAPI and matches the bot's requests to them using only the server's public records
(`server.calls`: each Call's arrival time `at`, `status`, `params`, `result`). Each of `users` distinct users
(Italian and English Telegram clients) has at most one update outstanding and, after the reply, "thinks"
`think_seconds` before writing again, as the bot's per-user flood control expects of people. The driver keeps up
to `window` updates outstanding (saturating the bot: throughput), or pushes at a fixed `rate` (latency at a load).

The same driver, with the same seed and mix, drives the real bot and the echo bot. What ends an update differs:
the real bot answers a question with a message carrying buttons (the last part of a long answer), a related-
question button with a new answer, a feedback button with answerCallbackQuery; the echo bot answers every
message with one message and every button with answerCallbackQuery.

The run has a warm-up (not measured) and a measured window; at the window's edges it reads the bot process's CPU
time and memory from /proc (`measure.sample_process`), so CPU per update is the bot's own, all threads included.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.measure import machine_busy_seconds, percentile, sample_process
from tests.support.bot_api import Call, FakeBotAPI, make_user

FIRST_NAMES = {"it": ["Giulia", "Marco", "Chiara", "Luca", "Sara", "Paolo"], "en": ["Ada", "Bob", "Emma", "Liam"]}
COMMANDS = ("/start", "/help", "/deadline", "/topics")
NON_TEXT = ("photo_message", "sticker_message", "voice_message", "location_message", "document_message")
WATCHED = frozenset({"sendMessage", "answerCallbackQuery", "editMessageText"})


@dataclass
class Plan:
    """What the driver does; picklable, as it crosses to the server process."""

    profile: str  # "bot" | "echo": what ends an update
    bot_pid: int
    questions: list[tuple[str, str]]  # (text, language it is written in)
    users: int = 1200
    think_seconds: float = 2.2
    window: int = 100
    rate: float | None = None  # None: keep `window` updates outstanding
    warmup_seconds: float = 4.0
    seconds: float = 15.0
    reply_timeout: float = 30.0
    nontext_share: float = 0.04
    command_share: float = 0.04
    button_share: float = 0.2  # of the updates of users who got an answer with buttons
    seed: int = 1
    refusals: dict[str, str] = field(default_factory=dict)  # the bot's flood warning / error apology -> label


@dataclass
class Pending:
    user_id: int
    kind: str  # text | nontext | command | related-button | feedback-button | echo-button
    expect: str  # keyboard | message | callback
    pushed: float
    callback_id: str | None = None
    parts: int = 0


class LoadDriver:
    def __init__(self, server: FakeBotAPI, plan: Plan) -> None:
        self.server = server
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.by_lang: dict[str, list[str]] = {"it": [], "en": []}
        for text, lang in plan.questions:
            self.by_lang.setdefault(lang, []).append(text)
        for lang, other in (("it", "en"), ("en", "it")):
            self.by_lang[lang] = self.by_lang[lang] or self.by_lang[other]
        self.users: dict[int, dict[str, Any]] = {}
        for index in range(plan.users):
            lang = "it" if index % 2 == 0 else "en"
            user_id = 10_000_001 + index
            name = FIRST_NAMES[lang][index % len(FIRST_NAMES[lang])]
            self.users[user_id] = make_user(user_id, name, lang, username=f"load_user_{index}")
        self.idle: list[int] = list(self.users)
        self.resting: list[tuple[float, int]] = []  # heap of (writes again at, user id)
        self.outstanding: dict[int, Pending] = {}
        self.callbacks: dict[str, int] = {}  # callback_query id -> user id
        self.last_answer: dict[int, dict[str, Any]] = {}  # user -> the bot's last message (with buttons, for "bot")
        self.completions: list[tuple[float, float, str]] = []  # (reply at, latency, kind:outcome)
        self.kinds: Counter[str] = Counter()
        self.timed_out: Counter[str] = Counter()
        self.unexpected = 0
        self.blocked = 0.0  # seconds when updates were due but every user was waiting or thinking
        self._cursor = 0
        self._unsettled: list[Call] = []

    # -- building updates

    def _make_update(self, user: dict[str, Any]) -> tuple[dict[str, Any], str, str, str | None]:
        """(update, kind, expect, callback id) for the user's next action; the same draws for both profiles."""
        server, rng, plan = self.server, self.rng, self.plan
        answer = self.last_answer.get(user["id"])
        if answer is not None and rng.random() < plan.button_share:
            if plan.profile == "echo":
                data = rng.choice(("a:entry", "f:+:entry"))
                update = server.callback_query(user, data, answer)
                return update, "echo-button", "callback", update["callback_query"]["id"]
            data = [b["callback_data"] for row in answer["reply_markup"]["inline_keyboard"] for b in row]
            related = [d for d in data if d.startswith("a:")]
            feedback = [d for d in data if d.startswith("f:")]
            if related and (not feedback or rng.random() < 0.4):
                update = server.callback_query(user, rng.choice(related), answer)
                return update, "related-button", "keyboard", update["callback_query"]["id"]
            update = server.callback_query(user, rng.choice(feedback), answer)
            del self.last_answer[user["id"]]  # one vote per answer
            return update, "feedback-button", "callback", update["callback_query"]["id"]
        r = rng.random()
        if r < plan.nontext_share:
            return getattr(server, rng.choice(NON_TEXT))(user), "nontext", "message", None
        r -= plan.nontext_share
        if r < plan.command_share:
            return server.command(user, rng.choice(COMMANDS)), "command", "message", None
        lang = user["language_code"]
        if rng.random() < 0.2:  # some write in the other language than their app's
            lang = "en" if lang == "it" else "it"
        text = rng.choice(self.by_lang[lang])
        return server.text_message(user, text), "text", "message" if plan.profile == "echo" else "keyboard", None

    def _next_user(self, now: float) -> int | None:
        while self.resting and self.resting[0][0] <= now:
            self.idle.append(heapq.heappop(self.resting)[1])
        if not self.idle:
            return None
        index = self.rng.randrange(len(self.idle))
        self.idle[index], self.idle[-1] = self.idle[-1], self.idle[index]
        return self.idle.pop()

    def _push(self, now: float) -> bool:
        user_id = self._next_user(now)
        if user_id is None:
            return False
        update, kind, expect, callback_id = self._make_update(self.users[user_id])
        self.server.push_update(update)
        self.outstanding[user_id] = Pending(user_id, kind, expect, time.monotonic(), callback_id)
        if callback_id:
            self.callbacks[callback_id] = user_id
        self.kinds[kind] += 1
        return True

    # -- matching the bot's requests to updates

    def _collect(self) -> None:
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
        if call.method == "answerCallbackQuery":
            user_id = self.callbacks.pop(str(call.params.get("callback_query_id")), None)
            pending = self.outstanding.get(user_id) if user_id is not None else None
            if pending is not None and pending.expect == "callback":
                self._complete(pending, call.at, "answered")
            return
        if call.method != "sendMessage":
            return
        message = call.result
        pending = self.outstanding.get(message["chat"]["id"])
        if pending is None:
            self.unexpected += 1
            return
        pending.parts += 1
        markup = message.get("reply_markup")
        data = [b.get("callback_data", "") for row in (markup or {}).get("inline_keyboard", []) for b in row]
        if self.plan.profile == "echo" or any(d.startswith("f:") for d in data):
            self.last_answer[pending.user_id] = message
        refusal = self.plan.refusals.get(message.get("text", ""))
        if pending.expect == "message":
            self._complete(pending, call.at, refusal or "reply")
        elif pending.expect == "keyboard" and (markup or refusal):
            outcome = refusal or ("answered" if any(d.startswith("f:") for d in data) else "unknown/suggest")
            self._complete(pending, call.at, outcome)
        # else: an early part of an answer too long for one message; the buttons come with the last part

    def _complete(self, pending: Pending, at: float, outcome: str) -> None:
        del self.outstanding[pending.user_id]
        self.completions.append((at, at - pending.pushed, f"{pending.kind}:{outcome}"))
        heapq.heappush(self.resting, (time.monotonic() + self.plan.think_seconds, pending.user_id))

    def _expire(self, now: float) -> None:
        for user_id, pending in list(self.outstanding.items()):
            if now - pending.pushed > self.plan.reply_timeout:
                del self.outstanding[user_id]  # the user is never reused: a late reply must not be mismatched
                self.timed_out[pending.kind] += 1

    # -- the run

    def _edge(self) -> dict[str, float]:
        sample = sample_process(self.plan.bot_pid)
        return {
            "at": time.monotonic(),
            "bot_cpu": sample.cpu_seconds,
            "bot_rss": sample.rss_mib,
            "bot_peak_rss": sample.peak_rss_mib,
            "server_cpu": time.process_time(),  # this process: the server and the driver
            "machine_busy": machine_busy_seconds(),
        }

    async def run(self) -> dict[str, Any]:
        plan = self.plan
        start = time.monotonic()
        window_start, window_end = start + plan.warmup_seconds, start + plan.warmup_seconds + plan.seconds
        edges: list[dict[str, float]] = []
        pushed = 0
        last_expiry = start
        while True:
            now = time.monotonic()
            if (len(edges) == 0 and now >= window_start) or (len(edges) == 1 and now >= window_end):
                edges.append(self._edge())
            if len(edges) == 2:
                break
            self._collect()
            if now - last_expiry > 0.25:
                self._expire(now)
                last_expiry = now
            due = math.inf if plan.rate is None else (now - start) * plan.rate
            blocked = False
            while len(self.outstanding) < plan.window and pushed < due:
                if not self._push(now):
                    blocked = True
                    break
                pushed += 1
            await asyncio.sleep(0.002)
            if blocked and now >= window_start:
                self.blocked += time.monotonic() - now
        drain_until = time.monotonic() + plan.reply_timeout
        while self.outstanding and time.monotonic() < drain_until:
            await asyncio.sleep(0.01)
            self._collect()
        self._expire(math.inf)
        return self._result(edges[0], edges[1])

    def _result(self, first: dict[str, float], last: dict[str, float]) -> dict[str, Any]:
        in_window = [c for c in self.completions if first["at"] <= c[0] < last["at"]]
        seconds = last["at"] - first["at"]
        done = len(in_window)
        statuses: Counter[str] = Counter()
        methods: Counter[str] = Counter()
        for call in self.server.calls:
            methods[call.method] += 1
            if call.method != "getUpdates" and call.status not in (None, 200):
                statuses[f"{call.method} {call.status} {call.description or ''}".strip()] += 1
        cpu = last["bot_cpu"] - first["bot_cpu"]
        latencies = [c[1] * 1000 for c in in_window]
        return {
            "window_seconds": seconds,
            "completed": done,
            "throughput": done / seconds if seconds > 0 else math.nan,
            "cpu_ms_per_update": 1000 * cpu / done if done else math.nan,
            "bot_core_share": cpu / seconds if seconds > 0 else math.nan,
            "server_core_share": (last["server_cpu"] - first["server_cpu"]) / seconds if seconds > 0 else math.nan,
            "others_core_share": max(
                0.0,
                (last["machine_busy"] - first["machine_busy"] - cpu - (last["server_cpu"] - first["server_cpu"]))
                / seconds,
            )
            if seconds > 0
            else math.nan,
            "rss_end_mib": last["bot_rss"],
            "peak_rss_mib": last["bot_peak_rss"],
            "latency_p50_ms": percentile(latencies, 50),
            "latency_p99_ms": percentile(latencies, 99),
            "blocked_seconds": self.blocked,
            "outcomes": dict(Counter(c[2] for c in self.completions)),
            "kinds": dict(self.kinds),
            "timed_out": dict(self.timed_out),
            "unexpected_replies": self.unexpected,
            "http_errors": dict(statuses.most_common(8)),
            "calls": dict(methods),
        }

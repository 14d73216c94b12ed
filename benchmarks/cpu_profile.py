"""Where a bot process spends its CPU: py-spy sampling it from outside, summarised per handled update.

py-spy attaches to the running `python -m bot run` by pid for the measured window only (start-up and warm-up
excluded) and records the samples of every thread that is not idle, by function. The report charges each sample
to the innermost function (own time), to every distinct function on its stack (inclusive time), to its thread
(the event loop or aiosqlite's worker), and to the innermost frame of a known component (bot code, PTB, the HTTP
client, SQLite, asyncio...). py-spy counts a thread waiting for the GIL as busy, so its sample total overstates
CPU: the shares come from py-spy, the milliseconds per update from the process's own CPU time (/proc) times them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

COMPONENTS = [  # (path fragment, component): the first match, from the innermost frame outwards
    ("bot/storage/", "bot: SQLite storage (our code)"),
    ("aiosqlite", "aiosqlite + sqlite3"),
    ("sqlite3", "aiosqlite + sqlite3"),
    ("bot/matching/", "bot: matching"),
    ("bot/assistant.py", "bot: assistant, language, rendering"),
    ("bot/language.py", "bot: assistant, language, rendering"),
    ("bot/rendering.py", "bot: assistant, language, rendering"),
    ("bot/deadlines.py", "bot: assistant, language, rendering"),
    ("rapidfuzz", "bot: matching"),
    ("snowballstemmer", "bot: matching"),
    ("numpy", "bot: matching"),
    ("bot/i18n.py", "bot: i18n (gettext, Babel)"),
    ("babel", "bot: i18n (gettext, Babel)"),
    ("bot/telegram/", "bot: Telegram handlers, formatting, sending"),
    ("bot/", "bot: other"),
    ("telegram/request/", "HTTP client (PTB request, httpx, httpcore, h11, anyio)"),
    ("httpx", "HTTP client (PTB request, httpx, httpcore, h11, anyio)"),
    ("httpcore", "HTTP client (PTB request, httpx, httpcore, h11, anyio)"),
    ("h11", "HTTP client (PTB request, httpx, httpcore, h11, anyio)"),
    ("anyio", "HTTP client (PTB request, httpx, httpcore, h11, anyio)"),
    ("telegram/", "PTB (objects, dispatch, JSON)"),
    ("json/", "json"),
    ("asyncio/", "asyncio event loop"),
    ("selectors.py", "asyncio event loop"),
    ("logging/", "logging"),
    ("threading.py", "threads"),
    ("concurrent/", "threads"),
    ("queue.py", "threads"),
]


def component_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        location = frame[frame.rfind("(") + 1 :]
        for fragment, name in COMPONENTS:
            if fragment in location:
                return name
    return "other"


class PySpy:
    """py-spy recording `pid` for `seconds`, starting `delay` seconds from now (in a timer thread)."""

    def __init__(self, pid: int, output: str, *, delay: float, seconds: float, rate: int = 250) -> None:
        self.output = output
        self.rate = rate
        self.error = ""
        self.proc: subprocess.Popen[bytes] | None = None
        exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(exe).exists():
            self.error = "py-spy not found (pip install py-spy)"
            return
        command = [exe, "record", "--pid", str(pid), "--rate", str(rate), "--duration", str(max(1, round(seconds)))]
        command += ["--format", "raw", "--function", "--nonblocking", "-o", output]
        self._timer = threading.Timer(delay, self._start, args=(command,))
        self._timer.start()

    def _start(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def finish(self) -> None:
        if self.error:
            return
        self._timer.join()
        if self.proc is not None:
            try:
                _, err = self.proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                _, err = self.proc.communicate()
            if self.proc.returncode:
                self.error = err.decode(errors="replace")[-400:]

    def report(self, updates: float, cpu_ms_per_update: float, top: int = 25) -> None:
        print(f"py-spy, {self.rate} samples/s, all threads, {updates:.0f} updates handled while it sampled; ms per")
        print(f"update = share of samples x the process's {cpu_ms_per_update:.2f} CPU ms per update (/proc)")
        if self.error or not Path(self.output).is_file():
            print(f"  no profile: {self.error or 'no output written'}")
            return
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        components: Counter[str] = Counter()
        threads: Counter[str] = Counter()
        total = 0
        for line in Path(self.output).read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit() or not stack:
                continue
            n = int(count)
            frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread ("))]
            if not frames:
                continue
            total += n
            own[frames[-1]] += n
            for frame in set(frames):
                inclusive[frame] += n
            components[component_of(frames)] += n
            worker = any(f.startswith("_connection_worker_thread ") for f in frames)
            threads["aiosqlite worker thread" if worker else "event loop (main) thread"] += n
        if not total:
            print("  no samples")
            return

        def cost(samples: int) -> str:
            return f"{cpu_ms_per_update * samples / total:7.3f} ms/upd {100 * samples / total:5.1f}%"

        print(f"  samples: {total} (= {1000 * total / self.rate / updates:.2f} ms per update as py-spy counts)")
        for title, counts in (("by thread", threads), ("by component (innermost frame of a known one)", components)):
            print(f"  {title}:")
            for name, n in counts.most_common():
                print(f"    {cost(n)}  {name}")
        print(f"  top {top} functions by own time:")
        for frame, n in own.most_common(top):
            print(f"    {cost(n)}  {frame[:140]}")
        print(f"  top {top} of the bot's own functions by inclusive time (callees included):")
        ours = [(f, n) for f, n in inclusive.most_common() if f[f.rfind("(") + 1 :].startswith("bot/")]
        for frame, n in ours[:top]:
            print(f"    {cost(n)}  {frame[:140]}")
        print(f"  raw stacks: {self.output} (speedscope or flamegraph.pl draw them)")

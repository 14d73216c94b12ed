"""The loopback Bot API server in a process of its own, and the bots as real processes against it.

The benchmark's own process only orchestrates: the fake Telegram server (tests/support/bot_api.py, with the load
driver beside it) runs in one child process, the measured bot (`python -m bot run`, or the echo bot) in another,
configured only through its environment, as in production. Everything listens on 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ECHO_BOT = Path(__file__).resolve().parent / "echo_bot.py"
LOOPBACK = "127.0.0.1"
STAFF_ID = 77_000_001  # the staff member of the reload probe


# ---------------------------------------------------------------------------------------- the server process


class ServerProcess:
    """FakeBotAPI (and the load driver) in a spawned process, steered through a pipe: `call(command, ...)`."""

    def __init__(self, *, api_delay_ms: float = 0.0, limit_seconds: float = 3600.0) -> None:
        self.api_delay_ms = api_delay_ms
        self.limit_seconds = limit_seconds
        self.base_url = ""
        self.token = ""
        self.pid = 0

    def __enter__(self) -> ServerProcess:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        self._conn, theirs = context.Pipe()
        self._process = context.Process(
            target=_server_main, args=(theirs, self.api_delay_ms, self.limit_seconds), daemon=True, name="bot-api"
        )
        self._process.start()
        _, self.base_url, self.token, self.pid = self._receive(60, "the server's ready message")
        return self

    def call(self, command: str, *args: Any, timeout: float = 120.0) -> Any:
        self._conn.send((command, *args))
        status, value = self._receive(timeout, f"the answer to {command}")
        if status == "error":
            raise RuntimeError(f"server process: {command} failed: {value}")
        return value

    def _receive(self, timeout: float, what: str) -> Any:
        if not self._conn.poll(timeout):
            raise TimeoutError(f"no {what} from the server process within {timeout:.0f} s")
        return self._conn.recv()

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError, TimeoutError, RuntimeError):
            self._conn.send(("stop",))
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)


def _server_main(conn: Any, api_delay_ms: float, limit_seconds: float) -> None:
    asyncio.run(asyncio.wait_for(_serve(conn, api_delay_ms), timeout=limit_seconds))


async def _serve(conn: Any, api_delay_ms: float) -> None:
    import logging

    from tests.support.bot_api import FakeBotAPI

    logging.basicConfig(level=logging.ERROR)
    loop = asyncio.get_running_loop()
    async with FakeBotAPI(host=LOOPBACK) as server:
        if api_delay_ms > 0:
            server.delay("*", api_delay_ms / 1000)  # every method but getUpdates: the distance to Telegram
        conn.send(("ready", server.base_url, server.token, os.getpid()))
        while True:
            if not await loop.run_in_executor(None, conn.poll, 3600):
                return
            command, *args = conn.recv()
            if command == "stop":
                return
            try:
                result = await COMMANDS[command](server, *args)
            except Exception as exc:  # reported to the orchestrator, which stops
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
            else:
                conn.send(("ok", result))


async def _mark(server: Any) -> int:
    """The number of calls so far: later commands look at calls after it."""
    return len(server.calls)


async def _first_call(server: Any, method: str, since: int, timeout: float) -> float:
    """time.monotonic() (one clock for every process of the machine) when `method` first reached the server
    after call number `since`."""
    found = await server.wait_for(
        lambda s: next((c for c in s.calls[since:] if c.method == method), None), timeout, what=method
    )
    return float(found.at)


async def _load(server: Any, plan: Any) -> dict[str, Any]:
    from benchmarks.load_driver import LoadDriver

    return await LoadDriver(server, plan).run()


async def _reload_probe(server: Any, question: str, timeout: float) -> dict[str, float]:
    """A staff member sends /reload and, right after, a user asks a question: when each reply arrived.

    The answer's delay shows whether a reload pauses answers for everyone else."""
    from tests.support.bot_api import make_user

    staff = make_user(STAFF_ID, "Staff", "it")
    user = make_user(STAFF_ID + 1, "Ada", "en")
    staff_since = len(server.messages_to(staff["id"]))
    user_since = len(server.messages_to(user["id"]))
    pushed = time.monotonic()
    server.push_update(server.command(staff, "/reload"))
    await asyncio.sleep(0.01)  # the bot's long poll takes the /reload first, as when a user writes just after
    asked = time.monotonic()
    server.push_update(server.text_message(user, question))
    await server.wait_for_messages(staff["id"], since=staff_since, timeout=timeout)
    await server.wait_for_messages(user["id"], since=user_since, timeout=timeout)
    reload_reply = next(c for c in reversed(server.calls) if c.method == "sendMessage" and _to(c, staff["id"]))
    answer = next(c for c in reversed(server.calls) if c.method == "sendMessage" and _to(c, user["id"]))
    text = server.texts_to(staff["id"])[-1]
    return {"reload_s": reload_reply.at - pushed, "answer_s": answer.at - asked, "reply": text[:120]}


def _to(call: Any, chat_id: int) -> bool:
    return call.status == 200 and call.result["chat"]["id"] == chat_id


async def _ask(server: Any, question: str, timeout: float) -> float:
    """Seconds from pushing a question to the bot's reply reaching the server."""
    from tests.support.bot_api import make_user

    user = make_user(STAFF_ID + 2, "Bob", "en")
    since = len(server.messages_to(user["id"]))
    pushed = time.monotonic()
    server.push_update(server.text_message(user, question))
    await server.wait_for_messages(user["id"], since=since, timeout=timeout)
    answer = next(c for c in reversed(server.calls) if c.method == "sendMessage" and _to(c, user["id"]))
    return float(answer.at - pushed)


COMMANDS = {"mark": _mark, "first_call": _first_call, "load": _load, "reload_probe": _reload_probe, "ask": _ask}


# ------------------------------------------------------------------------------------------ the bot processes


def bot_environment(
    server: ServerProcess,
    workdir: Path,
    knowledge: Path,
    *,
    staff: bool = False,
) -> dict[str, str]:
    """The environment `python -m bot run` reads in production; nothing of the developer's (no TELEGRAM_/BOT_
    variables, no .env: the bot runs in `workdir`). XDG_CACHE_HOME points into `workdir` too, so a cold start in
    a new workdir finds no cache a previous run left there."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_BASE_URL=server.base_url,
        BOT_DATABASE=str(workdir / "data" / "bot.sqlite3"),
        BOT_KNOWLEDGE_DIR=str(knowledge),
        XDG_CACHE_HOME=str(workdir / "cache"),
    )
    if staff:
        env["BOT_STAFF_IDS"] = str(STAFF_ID)
    return env


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    started: float  # time.monotonic() just before the process was created
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def start_bot(kind: str, env: dict[str, str], workdir: Path, *, prefix: list[str] | None = None) -> BotProcess:
    """`python -m bot run` (kind "bot") or the echo bot (any other kind), output to workdir/<kind>.log."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "bot", "run"] if kind == "bot" else [sys.executable, str(ECHO_BOT)]
    log = workdir / f"{kind}.log"
    with log.open("wb") as out:
        started = time.monotonic()
        process = subprocess.Popen(
            [*(prefix or []), *command], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return BotProcess(process, started, log)


def start_until_polling(
    server: ServerProcess, kind: str, env: dict[str, str], workdir: Path, timeout: float = 300.0
) -> tuple[BotProcess, float]:
    """Start a bot and wait for its first getUpdates at the server: (the bot, seconds from process creation)."""
    since = server.call("mark")
    bot = start_bot(kind, env, workdir)
    try:
        ready_at = server.call("first_call", "getUpdates", since, timeout, timeout=timeout + 10)
    except (RuntimeError, TimeoutError):
        code, output = stop_bot(bot)
        raise SystemExit(f"the {kind} did not start polling (exit {code}):\n{output[-3000:]}") from None
    return bot, ready_at - bot.started


def stop_bot(bot: BotProcess, timeout: float = 30.0) -> tuple[int, str]:
    """Ctrl-C, as an operator stops it; killed if it has not stopped within `timeout`. (exit code, its output)."""
    if bot.process.poll() is None:
        bot.process.send_signal(signal.SIGINT)
        try:
            bot.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            bot.process.kill()
            bot.process.wait(timeout=10)
    return bot.process.returncode, bot.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def running(kind: str, env: dict[str, str], workdir: Path, **options: Any) -> Iterator[BotProcess]:
    bot = start_bot(kind, env, workdir, **options)
    try:
        yield bot
    finally:
        stop_bot(bot)


def problems_in(output: str) -> list[str]:
    """Warnings, errors and tracebacks a bot printed (its log goes to its output)."""
    return [line for line in output.splitlines() if " WARNING " in line or " ERROR " in line or "Traceback" in line]

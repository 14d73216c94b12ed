"""The real `python -m bot run` process against a loopback Bot API server, for the benchmarks that measure it.

    async with FakeBotAPI() as api, BotProcess(api, knowledge=...) as bot:
        ...push updates to `api`, wait for the bot's calls...
        print(bot.rss_mib())

`repo` runs another checkout of the bot (e.g. a worktree of an older commit) in the same way, for a baseline in the
same run. Everything listens on and connects to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import sys
import tempfile
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.bot_api import FakeBotAPI  # noqa: E402


class BotProcess:
    def __init__(
        self,
        api: FakeBotAPI,
        *,
        knowledge: Path | None = None,
        repo: Path = ROOT,
        staff_ids: str = "",
        log_file: Path | None = None,
    ) -> None:
        self.api = api
        self.repo = repo
        self.knowledge = knowledge or repo / "knowledge"
        self.staff_ids = staff_ids
        self.log_file = log_file
        self.process: asyncio.subprocess.Process | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="bot-bench-")

    async def __aenter__(self) -> BotProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=self.api.token,
            TELEGRAM_API_BASE_URL=self.api.base_url,
            BOT_DATABASE=str(Path(self._folder.name) / "bot.sqlite3"),
            BOT_KNOWLEDGE_DIR=str(self.knowledge),
            BOT_STAFF_IDS=self.staff_ids,
            PYTHONPATH=str(self.repo),
        )
        log = open(self.log_file or os.devnull, "ab")  # noqa: SIM115 - handed to the child process
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.repo, env=env, stdout=log, stderr=log
        )
        log.close()
        polls = len(self.api.calls_to("getUpdates"))
        await self.api.wait_for(lambda s: len(s.calls_to("getUpdates")) > polls, timeout=60, what="the bot polling")
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._folder.cleanup()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_mib(self) -> float:
        """Resident memory now (VmRSS), in MiB."""
        return self._status_kib("VmRSS") / 1024

    def peak_rss_mib(self) -> float:
        """Highest resident memory so far (VmHWM), in MiB."""
        return self._status_kib("VmHWM") / 1024

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _status_kib(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"{name} not found for process {self.pid}")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]

"""Start-up and reload: how long the real processes take at the shipped knowledge base and at generated ones of
1,000 and 10,000 entries.

For each knowledge base and repetition (the sizes interleaved, the machine being noisy):

* cold start: the knowledge base was just edited (its content changes, benchmarks/kb_generator.stamp_edition)
  and the bot runs in a new folder (its database and XDG_CACHE_HOME in it), so nothing a previous run left can
  help; `python -m bot run` from process creation to its first getUpdates at the loopback Bot API server
  (tests/support/bot_api.py, in its own process); then the first answer's delay;
* reload after an edit: staff change a file and send /reload (what the file watch does too): time to the
  confirmation, and how late a user's question sent just after /reload is answered (a reload that blocks the
  bot delays everyone);
* warm start: the same bot started again, nothing changed; then /reload with nothing changed;
* `python -m bot ask "..."` wall time, cold (after an edit) and warm (again).

The operating system's file cache is warm in every case (the files were just written): "cold" means cold for the
bot, not for the disk.

    python benchmarks/startup.py                               # 2 repetitions, shipped, 1k, 10k: ~4 min
    python benchmarks/startup.py --sizes 1000 --repetitions 1  # a quick look
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.eval_questions import load_questions  # noqa: E402
from benchmarks.kb_generator import prepare, read_held_out, stamp_edition  # noqa: E402
from benchmarks.loopback import ServerProcess, bot_environment, problems_in, start_until_polling, stop_bot  # noqa: E402
from benchmarks.measure import fmt, min_median, verdict  # noqa: E402

READY_TIMEOUT = 300.0
TARGETS_10K = {"cold_ready_s": 6.0, "warm_ready_s": 2.0}  # issue 14: start to ready with 10,000 entries


class Base:
    """A knowledge base under test, with a question it can be asked and a counter of its editions."""

    def __init__(self, label: str, folder: Path, question: str, size: int | None) -> None:
        self.label, self.folder, self.question, self.size = label, folder, question, size
        self.editions = 0

    def edit(self) -> None:
        self.editions += 1
        stamp_edition(self.folder, f"{time.time_ns()}-{self.editions}")


def stopped(bot: Any, figures: dict[str, Any]) -> None:
    code, output = stop_bot(bot)
    figures.setdefault("problems", []).extend(problems_in(output))
    if code != 0:
        figures["problems"].append(f"exit code {code}")


def reload_probe(server: ServerProcess, base: Base, prefix: str, figures: dict[str, Any]) -> None:
    probe = server.call("reload_probe", base.question, READY_TIMEOUT, timeout=READY_TIMEOUT + 10)
    figures[f"{prefix}_reload_s"] = probe["reload_s"]
    figures[f"{prefix}_answer_during_reload_s"] = probe["answer_s"]
    figures["reload_reply"] = probe["reply"]


def ask_wall(env: dict[str, str], workdir: Path, question: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", question], cwd=workdir, env=env, capture_output=True, timeout=600
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bot ask failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return wall


def measure(base: Base, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with ServerProcess(api_delay_ms=args.api_delay_ms) as server:
        env = bot_environment(server, workdir, base.folder, staff=True)
        base.edit()
        bot, figures["cold_ready_s"] = start_until_polling(server, "bot", env, workdir, READY_TIMEOUT)
        try:
            figures["first_answer_s"] = server.call("ask", base.question, 60.0, timeout=70)
            base.edit()
            reload_probe(server, base, "edited", figures)
        finally:
            stopped(bot, figures)
        bot, figures["warm_ready_s"] = start_until_polling(server, "bot", env, workdir, READY_TIMEOUT)
        try:
            reload_probe(server, base, "unchanged", figures)
        finally:
            stopped(bot, figures)
    base.edit()
    figures["ask_cold_s"] = ask_wall(env, workdir, base.question)
    figures["ask_warm_s"] = ask_wall(env, workdir, base.question)
    return figures


ROWS = [
    ("cold_ready_s", "start -> ready, cold (just edited, new folder)"),
    ("warm_ready_s", "start -> ready, warm (started again)"),
    ("first_answer_s", "first answer after ready (cold start)"),
    ("edited_reload_s", "/reload after an edit -> confirmation"),
    ("edited_answer_during_reload_s", "  a question sent just after it -> answer"),
    ("unchanged_reload_s", "/reload, nothing changed -> confirmation"),
    ("unchanged_answer_during_reload_s", "  a question sent just after it -> answer"),
    ("ask_cold_s", "`python -m bot ask` wall, cold (just edited)"),
    ("ask_warm_s", "`python -m bot ask` wall, warm (again)"),
]


def print_results(bases: list[Base], results: dict[str, list[dict[str, Any]]]) -> None:
    print("\nseconds, min / median per knowledge base:")
    print(f"{'':<50}" + "".join(f"{b.label:>22}" for b in bases))
    for key, label in ROWS:
        cells = []
        for base in bases:
            low, mid = min_median([r[key] for r in results[base.label]])
            cells.append(f"{fmt(low, 3)} / {fmt(mid, 3)}")
        print(f"{label:<50}" + "".join(f"{c:>22}" for c in cells))
    for base in bases:
        if base.size == 10000:
            for key, limit in TARGETS_10K.items():
                _, mid = min_median([r[key] for r in results[base.label]])
                print(
                    f"target {key} < {limit:g} s at 10,000 entries: median {fmt(mid, 2)} s -> "
                    f"{verdict(mid, limit, at_most=True)}"
                )
    for base in bases:
        replies = {r["reload_reply"] for r in results[base.label]}
        problems = [p for r in results[base.label] for p in r.get("problems", [])]
        print(f"{base.label}: reload replied {sorted(replies)}; bot warnings/errors: {problems[:5] or 'none'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000], help="generated sizes (1000 10000)")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge", help="the shipped knowledge base")
    parser.add_argument("--repetitions", type=int, default=2, help="(2: at 10,000 entries a repetition takes minutes)")
    parser.add_argument("--api-delay-ms", type=float, default=0.0, help="server answers every call but getUpdates late")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="startup-") as folder:
        tmp = Path(folder)
        shipped = tmp / "knowledge-shipped"
        shutil.copytree(args.knowledge, shipped)  # a copy: the benchmark edits it
        bases = [Base("shipped", shipped, load_questions()[0].text, None)]
        for size in args.sizes:
            kb, held = prepare(tmp, size)
            bases.append(Base(f"generated {size:,}", kb, read_held_out(held)[0].text, size))
        print(f"start-up and reload: {args.repetitions} repetitions, real processes, the Bot API server in its own")
        results: dict[str, list[dict[str, Any]]] = {b.label: [] for b in bases}
        for rep in range(args.repetitions):
            for base in bases if rep % 2 == 0 else bases[::-1]:
                figures = measure(base, tmp / f"run-{rep}-{base.label.replace(' ', '-')}", args)
                results[base.label].append(figures)
                print(
                    f"  rep {rep + 1} {base.label}: cold {figures['cold_ready_s']:.2f} s, warm "
                    f"{figures['warm_ready_s']:.2f} s, reload {figures['edited_reload_s']:.2f} s, ask "
                    f"{figures['ask_cold_s']:.2f} s",
                    flush=True,
                )
        print_results(bases, results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\n(benchmark took {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Answer latency, cold and warm, and the cost of loading and indexing, at the shipped knowledge base and at
generated ones of 1,000 and 10,000 entries (x 8 phrasings x 2 languages).

Every measurement runs in a fresh process (this script re-run with --child), one knowledge base per process, the
sizes interleaved across repetitions, so nothing is warm that a new bot process would not have warm, and the
process's RSS (read from /proc, never tracemalloc) is that knowledge base's alone. In each process:

* knowledge load (reading and checking the files) and index build (`Assistant(kb)`) are timed with nothing else
  running: no tracemalloc, no profiler; the result is then kept in an assistant cache (bot/assistant_cache.py),
  and a second process loads it from there, as a restarted bot does, and answers the same questions: both are
  reported ("built", "from the cache");
* the first reply after the build is reported on its own (it pays whatever is initialised lazily);
* cold: each distinct question once, in random order: the first time this process sees it (word-level caches
  hold only what earlier, different questions put there, as in a running bot);
* warm: the same questions again.

The questions are never the knowledge base's own phrasings: at the shipped knowledge base, the evaluation sets
(realistic A and B and the shared development set); at a generated one, held-out paraphrases the generator drew
for each entry but did not write into it (half with a typo), plus off-topic questions (benchmarks/kb_generator.py).

    python benchmarks/answer_speed.py                          # 3 repetitions, shipped, 1k, 10k: ~6 min
    python benchmarks/answer_speed.py --sizes 1000 --repetitions 1 --queries 500      # a quick look
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.eval_questions import DEFAULT_SETS, Question, load_questions  # noqa: E402
from benchmarks.kb_generator import prepare, read_held_out  # noqa: E402
from benchmarks.measure import fmt, min_median, percentile, sample_process, verdict  # noqa: E402

P99_TARGET_MS = {1000: 5.0, 10000: 30.0}  # issue 14: p99 at 1,000 and 10,000 entries, cold and warm
RESULT = "ANSWER-SPEED "


# ------------------------------------------------------------------------------------------- the child process


def child(knowledge: Path, questions_file: Path | None, queries: int, seed: int, cache: Path) -> dict[str, Any]:
    """One process: the knowledge base built (then kept in `cache`), or, when `cache` holds it, loaded from there
    as a restarted bot does; then the questions, cold and warm."""
    import os

    from bot.assistant import Assistant, Prepared
    from bot.assistant_cache import AssistantCache, Ready
    from bot.collector import collector_paused
    from bot.knowledge import KnowledgeError, check_files, read_knowledge_files

    pid = os.getpid()
    rss_imports = sample_process(pid).rss_mib
    store = AssistantCache(cache)
    with collector_paused():  # as the bot reads, checks and builds (bot/assistant_cache.prepare)
        started = time.perf_counter()
        files = read_knowledge_files(knowledge)
        key = store.key(files, str(knowledge))
        ready = store.load(key)
        loaded = time.perf_counter()
        if ready is None:
            check = check_files(files.files, problems=files.problems, place=str(knowledge))
            if check.kb is None:
                raise KnowledgeError(list(check.errors))
            loaded = time.perf_counter()
            rss_loaded = sample_process(pid).rss_mib
            assistant = Assistant(check.kb)
            built = time.perf_counter()
        else:
            rss_loaded = sample_process(pid).rss_mib
            assistant = Assistant(ready.check.kb, prepared=ready.prepared)
            built = time.perf_counter()
    rss_built = sample_process(pid).rss_mib
    pool = load_questions(DEFAULT_SETS) if questions_file is None else read_held_out(questions_file)
    rng = random.Random(seed)
    asked = rng.sample(pool, min(queries, len(pool)))
    cold_replies = [_timed(assistant, q) for q in asked]
    cold = [ms for ms, _ in cold_replies]
    warm = [_timed(assistant, q)[0] for q in asked]
    answered = sum(reply.answered for _, reply in cold_replies)
    after = sample_process(pid)
    stored = 0.0
    if ready is None:  # after the questions: what they measure is the process as it was just after the build
        begin = time.perf_counter()
        store.store(key, Ready(check, Prepared(assistant.index, assistant.detector)))
        stored = time.perf_counter() - begin
    return {
        "from_cache": ready is not None,
        "entries": len(assistant.kb.entries),
        "load_s": loaded - started,
        "index_s": built - loaded,
        "store_s": stored,
        "rss_imports_mib": rss_imports,
        "rss_loaded_mib": rss_loaded,
        "rss_built_mib": rss_built,
        "rss_end_mib": after.rss_mib,
        "peak_rss_mib": after.peak_rss_mib,
        "questions": len(asked),
        "answered": answered,
        "first_ms": cold[0],
        "cold_p50_ms": percentile(cold, 50),
        "cold_p99_ms": percentile(cold, 99),
        "cold_max_ms": max(cold),
        "warm_p50_ms": percentile(warm, 50),
        "warm_p99_ms": percentile(warm, 99),
        "warm_max_ms": max(warm),
    }


def _timed(assistant: Any, question: Question) -> tuple[float, Any]:
    begin = time.perf_counter()
    reply = assistant.reply(question.text)
    return (time.perf_counter() - begin) * 1000, reply


# ------------------------------------------------------------------------------------------ the orchestrator


def run_child(
    knowledge: Path, questions: Path | None, args: argparse.Namespace, seed: int, cache: Path
) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(knowledge), "--queries", str(args.queries)]
    command += ["--seed", str(seed), "--cache", str(cache)]
    command += ["--questions-file", str(questions)] if questions else []
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode or not lines:
        raise SystemExit(f"child failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(lines[-1][len(RESULT) :])


def print_row(label: str, runs: list[dict[str, Any]], size: int | None) -> None:
    def mm(key: str, digits: int = 2) -> str:
        low, mid = min_median([r[key] for r in runs])
        return f"{fmt(low, digits)} / {fmt(mid, digits)}"

    r0 = runs[0]
    print(f"\n{label}: {r0['entries']} entries, {r0['questions']} questions per process ({r0['answered']} answered)")
    if r0["from_cache"]:
        print(f"  read files + load cache   {mm('load_s')} s")
        print(f"  assistant from the cache  {mm('index_s')} s")
    else:
        print(f"  knowledge load            {mm('load_s')} s")
        print(f"  index build               {mm('index_s')} s")
        print(f"  keep in the cache (after) {mm('store_s')} s")
    print(f"  RSS after imports         {mm('rss_imports_mib', 1)} MiB")
    print(f"  RSS after load / build    {mm('rss_loaded_mib', 1)}  |  {mm('rss_built_mib', 1)} MiB")
    print(f"  RSS peak (VmHWM)          {mm('peak_rss_mib', 1)} MiB")
    print(f"  first reply after build   {mm('first_ms')} ms")
    target = P99_TARGET_MS.get(size or 0)
    for phase in ("cold", "warm"):
        p50, p99, top = (mm(f"{phase}_{figure}_ms") for figure in ("p50", "p99", "max"))
        line = f"  {phase} p50 / p99 / max     {p50} | {p99} | {top} ms"
        if target is not None:
            _, p99 = min_median([r[phase + "_p99_ms"] for r in runs])
            line += f"   target p99 < {target:g} ms: {verdict(p99, target, at_most=True)} (median {fmt(p99, 2)})"
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000], help="generated sizes (1000 10000)")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge", help="the shipped knowledge base")
    parser.add_argument("--repetitions", type=int, default=3, help="fresh processes per knowledge base (3)")
    parser.add_argument("--queries", type=int, default=1000, help="distinct questions per process (1000)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--questions-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = child(args.child, args.questions_file, args.queries, args.seed, args.cache)
        print(RESULT + json.dumps(result))
        return 0
    started = time.monotonic()
    print(
        "answer speed: one process per measurement, no tracemalloc; min / median over "
        f"{args.repetitions} repetitions; times in the process that loads, indexes and answers"
    )
    with tempfile.TemporaryDirectory(prefix="answer-speed-") as folder:
        bases: list[tuple[str, Path, Path | None, int | None]] = [("shipped", args.knowledge.resolve(), None, None)]
        for size in args.sizes:
            kb, held = prepare(Path(folder), size)
            bases.append((f"generated {size:,}", kb, held, size))
        results: dict[str, list[dict[str, Any]]] = {}
        for rep in range(args.repetitions):
            order = bases if rep % 2 == 0 else bases[::-1]
            for label, kb, held, _ in order:
                cache = Path(folder) / f"cache-{rep}-{label.replace(' ', '-')}"  # new: the first process builds
                for way in ("built", "from the cache"):
                    results.setdefault(f"{label}, {way}", []).append(run_child(kb, held, args, args.seed + rep, cache))
                print(f"  rep {rep + 1}: {label} done", flush=True)
        for label, _, _, size in bases:
            for way in ("built", "from the cache"):
                print_row(f"{label}, {way}", results[f"{label}, {way}"], size)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"\n(benchmark took {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

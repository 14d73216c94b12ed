"""Answer latency (p50, p99) and memory for the shipped knowledge base and generated ones of 1,000 and 10,000 entries.

Generated entries have 8 phrasings per language drawn from a Zipf-distributed vocabulary, so common words are
shared by many entries as in real text. Queries are phrasings with a word dropped and a typo added (the matcher's
hard path: spelling correction) and off-topic questions of unknown words. Also prints answer quality on the
evaluation files given.

    python benchmarks/answer_speed.py [--sizes 1000 10000] [EVAL_FILE ...]
"""

import argparse
import gc
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.assistant import Assistant
from bot.evaluation import evaluate, format_report, load_all
from bot.knowledge import load_knowledge

SYLLABLES = [c + v for c in "bcdfglmnprstvz" for v in "aeiou"]


def fake_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def generate_knowledge(directory: Path, entries: int, seed: int = 7) -> None:
    """Write a valid knowledge base of `entries` entries (one topic file per 500 entries) into `directory`."""
    rng = random.Random(seed)
    vocabulary = {lang: [fake_word(rng) for _ in range(max(2000, entries * 3))] for lang in ("it", "en")}
    weights = [1 / (rank + 1) for rank in range(len(vocabulary["it"]))]
    (directory / "sources.yaml").write_text(
        yaml.safe_dump({"sources": [{"id": "generated", "title": {"it": "Generata", "en": "Generated"}}]}),
        encoding="utf-8",
    )
    for start in range(0, entries, 500):
        items = []
        for number in range(start, min(entries, start + 500)):
            topic_words = {lang: rng.choices(vocabulary[lang], weights, k=3) for lang in ("it", "en")}
            questions = {
                lang: [
                    " ".join(
                        topic_words[lang][: rng.randint(1, 3)]
                        + rng.choices(vocabulary[lang], weights, k=rng.randint(3, 6))
                    )
                    for _ in range(8)
                ]
                for lang in ("it", "en")
            }
            items.append(
                {
                    "id": f"entry-{number}",
                    "questions": questions,
                    "answer": {"it": f"Risposta {number}.", "en": f"Answer {number}."},
                    "sources": ["generated"],
                }
            )
        document = {"topic": {"id": f"topic-{start // 500}", "title": {"it": "Tema", "en": "Topic"}}, "entries": items}
        (directory / f"topic-{start // 500:03d}.yaml").write_text(
            yaml.safe_dump(document, allow_unicode=True), encoding="utf-8"
        )


def queries_for(assistant: Assistant, count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    phrasings = [q for e in assistant.kb.entries.values() for lang in ("it", "en") for q in e.questions[lang]]
    queries = []
    for _ in range(count):
        if rng.random() < 0.7:
            words = rng.choice(phrasings).split()
            if len(words) > 2:
                words.pop(rng.randrange(len(words)))
            target = rng.randrange(len(words))
            word = words[target]
            if len(word) > 4:
                cut = rng.randrange(1, len(word) - 1)
                words[target] = word[:cut] + word[cut + 1 :]  # a dropped letter
            queries.append(" ".join(words))
        else:
            queries.append(" ".join(fake_word(rng) + "x" for _ in range(rng.randint(3, 8))))
    return queries


def measure(label: str, knowledge_dir: Path, queries: int) -> None:
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    kb = load_knowledge(knowledge_dir)
    loaded = time.perf_counter()
    assistant = Assistant(kb)
    built = time.perf_counter()
    _, index_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    questions = queries_for(assistant, queries)
    for question in questions[:50]:  # warm caches as a running bot would be
        assistant.reply(question)
    latencies = []
    for question in questions:
        begin = time.perf_counter()
        assistant.reply(question)
        latencies.append((time.perf_counter() - begin) * 1000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"{label:<22} entries={len(kb.entries):<6} load={loaded - started:6.2f}s index={built - loaded:6.2f}s "
        f"p50={p50:6.2f}ms p99={p99:6.2f}ms max={latencies[-1]:6.2f}ms "
        f"peak_traced={index_peak / 2**20:7.1f}MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("eval_files", nargs="*", type=Path)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    print("answer latency: one Assistant.reply per question, single thread")
    measure("shipped", args.knowledge, args.queries)
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            generate_knowledge(Path(tmp), size)
            measure(f"generated-{size}", Path(tmp), args.queries)
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")
    if args.eval_files:
        print("\nanswer quality on " + ", ".join(str(f) for f in args.eval_files))
        report = evaluate(Assistant(load_knowledge(args.knowledge)), load_all(args.eval_files))
        print(format_report(report, show_failures=0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time to group unanswered questions for staff, on generated batches shaped like real traffic.

Questions combine an aspect ("deadline", "budget", "come iscriversi") with a subject drawn from a Zipf-distributed
list (a few subjects are asked about a lot, most rarely), in Italian and English templates, with typos, filler
words and off-topic noise made of unique words. The analyzer is the shipped knowledge base's, as in the bot.
Target: 5,000 questions in under about 3 s on a 2-core machine.

Also prints pair precision (of the pairs put in one group, the share generated from the same subject and aspect)
and pair recall (of those pairs, the share put in one group). Recall cannot reach 1: some Italian and English
aspects ("albergo"/"hotel") share no synonym in the vocabulary, and lexical grouping cannot join them.

    python benchmarks/grouping_speed.py [--sizes 1000 5000 10000] [--repeat 3]
"""

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.knowledge import load_knowledge
from bot.matching.analyzer import Analyzer
from bot.staff import QuestionGroup, group_questions
from bot.storage.records import UnansweredRecord

ROOT = Path(__file__).resolve().parent.parent
SYLLABLES = [c + v for c in "bcdfglmnprstvz" for v in "aeiou"]
ASPECTS = {
    "en": [
        "deadline",
        "budget",
        "registration",
        "email",
        "language",
        "partners",
        "eligibility",
        "hotel",
        "website",
        "funding",
        "workshop",
        "application form",
        "selection criteria",
        "contact",
        "extension",
    ],
    "it": [
        "scadenza",
        "dotazione",
        "iscrizione",
        "email",
        "lingua",
        "partner",
        "requisiti",
        "albergo",
        "sito",
        "finanziamento",
        "seminario",
        "modulo",
        "criteri di selezione",
        "referente",
        "proroga",
    ],
}
TEMPLATES = {
    "en": [
        "what is the {a} for {s}?",
        "{s} {a}",
        "{a} of {s}??",
        "when is the {s} {a}",
        "hi, {s} {a} please",
        "can you tell me the {a} of {s}",
        "{a} {s}",
    ],
    "it": [
        "qual è la {a} per {s}?",
        "{a} {s}",
        "{s} {a}??",
        "ciao, {a} del {s}",
        "mi dite la {a} di {s}",
        "quando è la {a} {s}",
    ],
}
FILLER = ["today", "again", "urgent", "oggi", "ancora", "urgente", "thanks", "grazie", "asap"]


def fake_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def typo(word: str, rng: random.Random) -> str:
    """Swap two neighbouring letters past the first, the commonest slip on a phone keyboard."""
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


Label = tuple[str, int]


def question(rng: random.Random, subjects: list[str], weights: list[float], number: int) -> tuple[Label, str, str]:
    """(what is asked, language, text); off-topic questions are each their own label."""
    lang = rng.choice(("it", "en"))
    if rng.random() < 0.15:  # off topic: words nobody else uses
        return ("", number), lang, " ".join(fake_word(rng) for _ in range(rng.randint(2, 6)))
    subject = rng.choices(subjects, weights)[0]
    aspect = rng.randrange(len(ASPECTS[lang]))
    text = rng.choice(TEMPLATES[lang]).format(a=ASPECTS[lang][aspect], s=subject)
    tokens = text.split()
    if rng.random() < 0.2:
        k = rng.randrange(len(tokens))
        tokens[k] = typo(tokens[k], rng)
    if rng.random() < 0.2:
        tokens.append(rng.choice(FILLER))
    return (subject, aspect), lang, " ".join(tokens)


def generate(size: int, seed: int = 11) -> tuple[list[UnansweredRecord], list[Label]]:
    rng = random.Random(seed)
    subjects = [fake_word(rng) for _ in range(max(50, size // 10))]
    weights = [1 / (rank + 1) for rank in range(len(subjects))]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records, labels = [], []
    for i in range(size):
        label, lang, text = question(rng, subjects, weights, i)
        records.append(UnansweredRecord(i + 1, 1000 + i, text, lang, start + timedelta(minutes=7 * i), (), "open"))
        labels.append(label)
    return records, labels


def pairs(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def pair_scores(groups: list[QuestionGroup], labels: list[Label]) -> tuple[float, float]:
    """Pair precision and recall of the grouping against the generated labels (record id i has labels[i - 1])."""
    right = sum(pairs(Counter(labels[i - 1] for i in g.ids).values()) for g in groups)
    return right / max(pairs(g.count for g in groups), 1), right / max(pairs(Counter(labels).values()), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    kb = load_knowledge(ROOT / "knowledge")
    analyzer = Analyzer(kb.synonyms, kb.ignore)
    for size in args.sizes:
        records, labels = generate(size)
        timings = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            groups = group_questions(records, analyzer)
            timings.append(time.perf_counter() - began)
        precision, recall = pair_scores(groups, labels)
        print(
            f"{size:>6} questions -> {len(groups):>5} groups (largest {groups[0].count}): "
            f"best {min(timings):.2f} s, worst {max(timings):.2f} s over {args.repeat} runs; "
            f"pair precision {precision:.2f}, recall {recall:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

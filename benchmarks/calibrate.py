"""Calibrate the matcher's score shape and thresholds by measurement on evaluation files.

For each scoring setting (beta, unknown-word weight) every case is ranked once; then every pair of thresholds is
scored: a case expecting an answer is right when its best entry clears the answer threshold and that entry's reply
carries the expected facts; a case expecting "unknown" is right when nothing clears it. Settings are ordered by
(false answers, then worst per-language accuracy, then the safety gap between the answer threshold and the
highest-scoring off-topic case). Prints the best rows; change bot/matching defaults by hand after reading them.

    python benchmarks/calibrate.py ../shared/eval/dev.yaml tests/eval/cases.yaml
"""

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.assistant import Assistant
from bot.evaluation import judge, load_all
from bot.knowledge import LANGUAGES, load_knowledge
from bot.matching.index import ScoringSettings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    kb = load_knowledge(args.knowledge)
    cases = load_all(args.files)
    rows = []
    grid = itertools.product((1.5, 2.0, 3.0), (0.75, 1.0, 1.5), (0.0,), (0.4, 0.6, 0.8, 1.0))
    for beta, unknown_weight, entry_recall, unmatched_known in grid:
        scoring = ScoringSettings(beta, unknown_weight, entry_recall, unmatched_known)
        assistant = Assistant(kb, scoring=scoring)
        ranked = []
        for case in cases:
            best = assistant.index.rank(case.question, limit=2).candidates
            top = best[0] if best else None
            lang = assistant.language_for(case.question)
            facts_ok = bool(top) and judge(case, assistant.answer(top.entry_id, lang)).correct
            ranked.append((case, top.score if top else 0.0, facts_ok))
        for answer_at in [x / 100 for x in range(40, 91, 2)]:
            rows.append(score_row(scoring, answer_at, ranked))
    rows.sort(key=lambda r: (r["false"], -r["worst_accuracy"], -r["gap"]))
    print(f"{len(cases)} cases; best settings first")
    print("beta  unknown  entry_recall  unmatched  answer>=  false  acc_it  acc_en  gap(answer - best off-topic)")
    for row in rows[: args.top]:
        print(
            f"{row['beta']:<5} {row['unknown']:<8} {row['entry_recall']:<13} {row['unmatched']:<10} "
            f"{row['answer']:<9} {row['false']:<6} "
            f"{row['acc']['it']:.3f}   {row['acc']['en']:.3f}   {row['gap']:.3f}"
        )
    return 0


def score_row(scoring: ScoringSettings, answer_at: float, ranked: list) -> dict:
    right = dict.fromkeys(LANGUAGES, 0)
    total = dict.fromkeys(LANGUAGES, 0)
    false_answers = 0
    worst_off_topic = 0.0
    for case, score, facts_ok in ranked:
        if case.expect == "answer":
            total[case.lang] += 1
            right[case.lang] += score >= answer_at and facts_ok
        else:
            worst_off_topic = max(worst_off_topic, score)
            false_answers += score >= answer_at
    accuracy = {lang: right[lang] / total[lang] if total[lang] else 1.0 for lang in LANGUAGES}
    return {
        "beta": scoring.beta,
        "unknown": scoring.unknown_weight,
        "entry_recall": scoring.entry_recall,
        "unmatched": scoring.unmatched_known,
        "answer": answer_at,
        "false": false_answers,
        "acc": accuracy,
        "worst_accuracy": min(accuracy.values()),
        "gap": round(answer_at - worst_off_topic, 3),
    }


if __name__ == "__main__":
    raise SystemExit(main())

"""Calibrate the matcher's score shape and thresholds by measurement on evaluation files.

For each scoring setting every case is ranked once; then each answer threshold and decline window is scored: a
case expecting an answer is right when its best entry clears the threshold, no out-of-scope entry comes within
the decline window of it, and that entry's reply carries the expected facts; a case expecting "unknown" is right
otherwise. Rows are ordered by false answers, then by the worst per-language accuracy. Prints the best rows; set
the defaults in bot/matching/index.py and decision.py by hand after reading them, and keep files you never tuned on
aside to measure the result.

    python benchmarks/calibrate.py ../shared/eval/dev.yaml tests/eval/cases.yaml
"""

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.assistant import Assistant
from bot.evaluation import Case, judge, load_all
from bot.knowledge import LANGUAGES, KnowledgeBase, load_knowledge
from bot.matching.index import ScoringSettings

BETAS = (1.0, 1.5, 2.0)
UNKNOWN_WEIGHTS = (0.75, 1.0, 1.5)
ENTRY_RECALLS = (0.0, 0.5, 0.7, 0.85)
ANSWER_THRESHOLDS = [x / 100 for x in range(50, 86, 2)]
DECLINE_WINDOWS = (0.0, 0.1, 0.2)


def ranked_cases(kb: KnowledgeBase, scoring: ScoringSettings, cases: list[Case]) -> list[tuple]:
    """Per case: expectation, language, best answerable score, best out-of-scope score, facts right."""
    assistant = Assistant(kb, scoring=scoring)
    rows = []
    for case in cases:
        candidates = assistant.index.rank(case.question, limit=5).candidates
        top = candidates[0] if candidates and kb.answerable(candidates[0].entry_id) else None
        declined = max((c.score for c in candidates if not kb.answerable(c.entry_id)), default=0.0)
        facts_ok = (
            bool(top) and judge(case, assistant.answer(top.entry_id, assistant.language_for(case.question))).correct
        )
        rows.append((case.expect, case.lang, top.score if top else 0.0, declined, facts_ok))
    return rows


def score_row(rows: list[tuple], answer_at: float, window: float) -> tuple[int, dict[str, float]]:
    right = dict.fromkeys(LANGUAGES, 0)
    total = dict.fromkeys(LANGUAGES, 0)
    false_answers = 0
    for expect, lang, score, declined, facts_ok in rows:
        answered = score >= answer_at and not (window and declined >= score - window)
        if expect == "answer":
            total[lang] += 1
            right[lang] += answered and facts_ok
        else:
            false_answers += answered
    return false_answers, {lang: right[lang] / total[lang] if total[lang] else 1.0 for lang in LANGUAGES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    kb = load_knowledge(args.knowledge)
    cases = load_all(args.files)
    results = []
    for beta, unknown, entry_recall in itertools.product(BETAS, UNKNOWN_WEIGHTS, ENTRY_RECALLS):
        scoring = ScoringSettings(beta=beta, unknown_weight=unknown, entry_recall=entry_recall)
        rows = ranked_cases(kb, scoring, cases)
        for answer_at, window in itertools.product(ANSWER_THRESHOLDS, DECLINE_WINDOWS):
            false_answers, accuracy = score_row(rows, answer_at, window)
            results.append((false_answers, -min(accuracy.values()), scoring, answer_at, window, accuracy))
    results.sort(key=lambda r: r[:2])
    print(f"{len(cases)} cases; best settings first")
    print("beta  unknown  entry_recall  answer>=  decline_window  false  acc_it  acc_en")
    for false_answers, _, s, answer_at, window, accuracy in results[: args.top]:
        print(
            f"{s.beta:<5} {s.unknown_weight:<8} {s.entry_recall:<13} {answer_at:<9} {window:<15} {false_answers:<6} "
            f"{accuracy['it']:.3f}   {accuracy['en']:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

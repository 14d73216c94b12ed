"""Calibrate the decision thresholds by measurement on tuning sets: how the shipped defaults were chosen.

Every combination of the answer threshold, the share of the question the entry must explain and the window within
which an out-of-scope entry declines the question is scored with the real `Assistant.reply` (reading, several
questions per message, details), and the frontier is printed: for each budget of bad outcomes (wrong answers plus
false answers), the combination that answers most questions right. A confident wrong answer is the worst outcome,
so the defaults sit at a small budget; read the frontier, set the defaults in bot/matching/decision.py by hand, and
measure the result on a set you never tuned on.

    python benchmarks/calibrate.py tests/eval/realistic_{a,b,d,e,f,g,h,j}.yaml tests/eval/holdout.yaml \\
        tests/eval/holdout2.yaml tests/eval/cases.yaml ../shared/eval/dev.yaml

Never pass the sealed sets (tests/eval/sealed*.yaml) or the validation sets tests/eval/realistic_c.yaml and
realistic_i.yaml: they measure the result, they do not make it.
"""

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.eval_questions import HELD_OUT_NAMES, held_out
from bot.assistant import Assistant
from bot.evaluation import evaluate, load_all
from bot.i18n import Catalogs
from bot.knowledge import load_knowledge
from bot.matching.decision import Thresholds

ANSWER = (0.45, 0.5, 0.55, 0.6, 0.65)
MIN_EXPLAINED = (0.3, 0.4, 0.5, 0.55, 0.6)
DECLINE_WINDOW = (0.0, 0.1, 0.2)
BUDGETS = (10, 15, 20, 25, 30, 40, 50)


@dataclass(frozen=True)
class Result:
    thresholds: Thresholds
    right: int
    answerable: int
    wrong: int
    false: int

    @property
    def bad(self) -> int:
        return self.wrong + self.false


def measure(assistant: Assistant, cases: list) -> tuple[int, int, int, int]:
    scores = evaluate(assistant, cases).by_language.values()
    return (
        sum(s.answered_correctly for s in scores),
        sum(s.answer_cases for s in scores),
        sum(s.wrong_answers for s in scores),
        sum(s.false_answers for s in scores),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    args = parser.parse_args()
    if any(held_out(f) for f in args.files):
        parser.error(f"{HELD_OUT_NAMES} are held out: measure with them, never calibrate on them")
    kb, catalogs, cases = load_knowledge(args.knowledge), Catalogs(), load_all(args.files)
    results = []
    for answer, explained, window in itertools.product(ANSWER, MIN_EXPLAINED, DECLINE_WINDOW):
        thresholds = Thresholds(answer=answer, min_explained=explained, decline_window=window)
        results.append(Result(thresholds, *measure(Assistant(kb, catalogs=catalogs, thresholds=thresholds), cases)))
        print(".", end="", flush=True, file=sys.stderr)
    print(file=sys.stderr)
    defaults = Result(Thresholds(), *measure(Assistant(kb, catalogs=catalogs), cases))
    print(f"{len(cases)} cases; for each budget of wrong + false answers, the thresholds that answer most right")
    print("budget  right          wrong  false  answer  explained  decline_window")
    for budget in BUDGETS:
        within = [r for r in results if r.bad <= budget]
        if within:
            best = max(within, key=lambda r: (r.right, -r.bad))
            t = best.thresholds
            print(
                f"{budget:<7} {best.right:>4}/{best.answerable:<4} ({best.right / best.answerable:.3f})  "
                f"{best.wrong:<6} {best.false:<6} {t.answer:<7} {t.min_explained:<10} {t.decline_window}"
            )
    t = defaults.thresholds
    print(
        f"defaults: right {defaults.right}/{defaults.answerable} ({defaults.right / defaults.answerable:.3f}), "
        f"wrong {defaults.wrong}, false {defaults.false} (answer {t.answer}, explained {t.min_explained}, "
        f"decline window {t.decline_window})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

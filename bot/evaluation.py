"""Score the assistant on question files (format: ../shared/eval/README.md): accuracy, false answers, language.

Staff run it after editing the knowledge base (`python -m bot evaluate FILE...`); the benchmarks report it too.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.assistant import Assistant, Reply
from bot.knowledge.model import LANGUAGES


class CaseFileError(Exception):
    """An evaluation file is not in the expected format."""


@dataclass(frozen=True)
class Case:
    question: str
    lang: str
    expect: str  # "answer" | "unknown"
    facts: tuple[tuple[str, ...], ...] = ()
    origin: str = ""


@dataclass(frozen=True)
class Outcome:
    case: Case
    reply: Reply
    correct: bool
    wrong_language: bool
    missing: tuple[tuple[str, ...], ...] = ()


@dataclass
class LanguageScore:
    answer_cases: int = 0
    answered_correctly: int = 0
    unknown_cases: int = 0
    false_answers: int = 0
    replies: int = 0
    wrong_language: int = 0

    @property
    def accuracy(self) -> float:
        return self.answered_correctly / self.answer_cases if self.answer_cases else 1.0

    @property
    def false_answer_rate(self) -> float:
        return self.false_answers / self.unknown_cases if self.unknown_cases else 0.0

    @property
    def wrong_language_rate(self) -> float:
        return self.wrong_language / self.replies if self.replies else 0.0


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    by_language: dict[str, LanguageScore] = field(default_factory=lambda: {lang: LanguageScore() for lang in LANGUAGES})

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct or o.wrong_language]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("’", "'")
    return re.sub(r"\s+", " ", text)


def load_cases(path: str | Path) -> list[Case]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CaseFileError(f"{path}: {exc}") from exc
    if not isinstance(data, list):
        raise CaseFileError(f"{path}: expected a list of cases")
    cases = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise CaseFileError(f"{path}: case {number}: needs a 'q' text")
        if item.get("lang") not in LANGUAGES or item.get("expect") not in ("answer", "unknown"):
            raise CaseFileError(f"{path}: case {number}: lang must be it|en and expect answer|unknown")
        facts = item.get("facts") or []
        if not all(isinstance(g, list) and g and all(isinstance(s, str) for s in g) for g in facts):
            raise CaseFileError(f"{path}: case {number}: facts must be a list of non-empty lists of texts")
        cases.append(Case(item["q"], item["lang"], item["expect"], tuple(tuple(g) for g in facts), f"{path}#{number}"))
    return cases


def judge(case: Case, reply: Reply) -> Outcome:
    text = _fold(reply.text)
    if case.expect == "answer":
        missing = tuple(g for g in case.facts if not any(_fold(alt) in text for alt in g))
        correct = reply.answered and not missing
    else:
        missing = ()
        correct = not reply.answered
    return Outcome(case, reply, correct, reply.lang != case.lang, missing)


def evaluate(assistant: Assistant, cases: Iterable[Case]) -> Report:
    report = Report()
    for case in cases:
        outcome = judge(case, assistant.reply(case.question))
        report.outcomes.append(outcome)
        score = report.by_language[case.lang]
        score.replies += 1
        score.wrong_language += outcome.wrong_language
        if case.expect == "answer":
            score.answer_cases += 1
            score.answered_correctly += outcome.correct
        else:
            score.unknown_cases += 1
            score.false_answers += not outcome.correct
    return report


@dataclass(frozen=True)
class Bars:
    """Optional pass marks; evaluate exits 1 when one is missed."""

    min_accuracy: float | None = None
    max_false_answers: float | None = None
    max_wrong_language: float | None = None

    def missed(self, report: Report) -> list[str]:
        problems = []
        for lang, score in report.by_language.items():
            if self.min_accuracy is not None and score.answer_cases and score.accuracy < self.min_accuracy:
                problems.append(f"{lang}: accuracy {score.accuracy:.3f} < {self.min_accuracy}")
            if self.max_false_answers is not None and score.false_answer_rate > self.max_false_answers:
                problems.append(f"{lang}: false answers {score.false_answer_rate:.3f} > {self.max_false_answers}")
            if self.max_wrong_language is not None and score.wrong_language_rate > self.max_wrong_language:
                problems.append(f"{lang}: wrong language {score.wrong_language_rate:.3f} > {self.max_wrong_language}")
        return problems


def format_report(report: Report, *, show_failures: int = 50) -> str:
    lines = ["lang  accuracy          false answers     wrong language"]
    for lang, s in report.by_language.items():
        if not s.replies:
            continue
        lines.append(
            f"{lang:<5} {s.accuracy:6.1%} ({s.answered_correctly:>3}/{s.answer_cases:<3})  "
            f"{s.false_answer_rate:6.1%} ({s.false_answers:>3}/{s.unknown_cases:<3})  "
            f"{s.wrong_language_rate:6.1%} ({s.wrong_language:>3}/{s.replies:<3})"
        )
    failures = report.failures()
    if failures and show_failures:
        lines.append(f"\n{len(failures)} case(s) to look at:")
        for outcome in failures[:show_failures]:
            lines.append(describe_failure(outcome))
    return "\n".join(lines)


def describe_failure(outcome: Outcome) -> str:
    case, reply = outcome.case, outcome.reply
    got = f"answered {reply.entry_id}" if reply.answered else f"{reply.kind.value}"
    if reply.suggestions:
        got += " (did you mean: " + ", ".join(s.entry_id for s in reply.suggestions) + ")"
    problems: list[str] = []
    if not outcome.correct:
        problems.append("expected " + case.expect)
    if outcome.missing:
        problems.append("missing " + " & ".join("/".join(g) for g in outcome.missing))
    if outcome.wrong_language:
        problems.append(f"replied in {reply.lang}, not {case.lang}")
    best = ", ".join(f"{c.entry_id}={c.score:.2f}" for c in reply.candidates[:3])
    return f"- [{case.lang}] {case.question!r}: {got}; {'; '.join(problems)}  [{best}]"


def load_all(paths: Sequence[str | Path]) -> list[Case]:
    return [case for path in paths for case in load_cases(path)]

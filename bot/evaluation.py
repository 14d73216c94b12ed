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
class CaseResult:
    case: Case
    reply: Reply
    correct: bool
    wrong_language: bool
    missing: tuple[tuple[str, ...], ...] = ()
    first_suggestion_right: bool = False  # a "did you mean" whose first button carries the expected facts

    @property
    def wrong_answer(self) -> bool:
        """Answered, but without the expected facts: a confident wrong answer."""
        return self.case.expect == "answer" and self.reply.answered and bool(self.missing)

    @property
    def false_answer(self) -> bool:
        """A question the sources do not answer, answered anyway ("the sources do not say X" is right)."""
        return self.case.expect == "unknown" and not self.correct


@dataclass
class LanguageScore:
    answer_cases: int = 0
    answered_correctly: int = 0
    wrong_answers: int = 0
    unknown_cases: int = 0
    false_answers: int = 0
    replies: int = 0
    wrong_language: int = 0
    suggestions: int = 0  # "did you mean" replies to answerable questions
    first_suggestion_right: int = 0

    @property
    def accuracy(self) -> float:
        return self.answered_correctly / self.answer_cases if self.answer_cases else 1.0

    @property
    def wrong_answer_rate(self) -> float:
        return self.wrong_answers / self.answer_cases if self.answer_cases else 0.0

    @property
    def false_answer_rate(self) -> float:
        return self.false_answers / self.unknown_cases if self.unknown_cases else 0.0

    @property
    def wrong_language_rate(self) -> float:
        return self.wrong_language / self.replies if self.replies else 0.0

    @property
    def first_suggestion_rate(self) -> float:
        return self.first_suggestion_right / self.suggestions if self.suggestions else 0.0


@dataclass
class Report:
    outcomes: list[CaseResult] = field(default_factory=list)
    by_language: dict[str, LanguageScore] = field(default_factory=lambda: {lang: LanguageScore() for lang in LANGUAGES})

    def failures(self) -> list[CaseResult]:
        return [o for o in self.outcomes if not o.correct or o.wrong_language]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("’", "'")
    return re.sub(r"\s+", " ", text)


def _missing(case: Case, text: str) -> tuple[tuple[str, ...], ...]:
    folded = _fold(text)
    return tuple(g for g in case.facts if not any(_fold(alt) in folded for alt in g))


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


def judge(case: Case, reply: Reply, assistant: Assistant | None = None) -> CaseResult:
    """Right: an answer carrying every expected fact; for a question the sources do not answer, "I don't know" or
    an honest "the sources do not say"."""
    if case.expect == "answer":
        missing = _missing(case, reply.text)
        correct = reply.answered and not missing
        first_right = False
        if reply.suggestions and assistant is not None:
            first = assistant.answer(reply.suggestions[0].entry_id, reply.lang)
            first_right = not _missing(case, first.text)
        return CaseResult(case, reply, correct, reply.lang != case.lang, missing, first_right)
    return CaseResult(case, reply, not reply.answered or reply.not_in_sources, reply.lang != case.lang)


def evaluate(assistant: Assistant, cases: Iterable[Case]) -> Report:
    report = Report()
    for case in cases:
        outcome = judge(case, assistant.reply(case.question), assistant)
        report.outcomes.append(outcome)
        score = report.by_language[case.lang]
        score.replies += 1
        score.wrong_language += outcome.wrong_language
        if case.expect == "answer":
            score.answer_cases += 1
            score.answered_correctly += outcome.correct
            score.wrong_answers += outcome.wrong_answer
            if outcome.reply.suggestions and not outcome.reply.answered:
                score.suggestions += 1
                score.first_suggestion_right += outcome.first_suggestion_right
        else:
            score.unknown_cases += 1
            score.false_answers += outcome.false_answer
    return report


@dataclass(frozen=True)
class Bars:
    """Optional pass marks; evaluate exits 1 when one is missed."""

    min_accuracy: float | None = None
    max_false_answers: float | None = None
    max_wrong_language: float | None = None
    max_wrong_answers: float | None = None

    def missed(self, report: Report) -> list[str]:
        problems = []
        for lang, score in report.by_language.items():
            if self.min_accuracy is not None and score.answer_cases and score.accuracy < self.min_accuracy:
                problems.append(f"{lang}: accuracy {score.accuracy:.3f} < {self.min_accuracy}")
            if self.max_wrong_answers is not None and score.wrong_answer_rate > self.max_wrong_answers:
                problems.append(f"{lang}: wrong answers {score.wrong_answer_rate:.3f} > {self.max_wrong_answers}")
            if self.max_false_answers is not None and score.false_answer_rate > self.max_false_answers:
                problems.append(f"{lang}: false answers {score.false_answer_rate:.3f} > {self.max_false_answers}")
            if self.max_wrong_language is not None and score.wrong_language_rate > self.max_wrong_language:
                problems.append(f"{lang}: wrong language {score.wrong_language_rate:.3f} > {self.max_wrong_language}")
        return problems


def format_report(report: Report, *, show_failures: int = 50) -> str:
    lines = [
        "lang  accuracy         wrong answers    false answers    wrong language   did-you-mean 1st right",
    ]
    for lang, s in report.by_language.items():
        if not s.replies:
            continue
        lines.append(
            f"{lang:<5} {_cell(s.accuracy, s.answered_correctly, s.answer_cases)}"
            f"{_cell(s.wrong_answer_rate, s.wrong_answers, s.answer_cases)}"
            f"{_cell(s.false_answer_rate, s.false_answers, s.unknown_cases)}"
            f"{_cell(s.wrong_language_rate, s.wrong_language, s.replies)}"
            f"{_cell(s.first_suggestion_rate, s.first_suggestion_right, s.suggestions)}"
        )
    failures = report.failures()
    if failures and show_failures:
        lines.append(f"\n{len(failures)} case(s) to look at:")
        for outcome in failures[:show_failures]:
            lines.append(describe_failure(outcome))
    return "\n".join(lines)


def _cell(rate: float, count: int, total: int) -> str:
    return f"{rate:6.1%} ({count:>3}/{total:<3})  "


def describe_failure(outcome: CaseResult) -> str:
    case, reply = outcome.case, outcome.reply
    got = f"answered {reply.entry_id}" if reply.answered else f"{reply.kind.value}"
    if reply.not_in_sources:
        got += " (not in the sources)"
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

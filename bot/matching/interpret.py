"""From a message to what to answer: each question in it matched on its own, the sender's context as a hint.

A message with two questions ("who can apply and when is the deadline?") gets both answers; a question spread
over sentences ("In the list of sectors I don't see ours: are we excluded?") is matched as a whole; a greeting in
front of a question never swallows it.
"""

from dataclasses import dataclass

from bot.matching.decision import Match, Thresholds, decide
from bot.matching.index import MatchIndex, QueryTerms, Ranking
from bot.matching.reading import Role, greets, questions_of, read_message
from bot.outcome import Outcome

#: How much the sender's description of themselves counts next to the question ("we are a science park: can we
#: take part?"): enough to pick between close entries, never enough to become the question.
CONTEXT_SHARE = 0.4
#: Answers given in one reply; further answered questions are offered as buttons.
MAX_ANSWERS = 3


@dataclass(frozen=True)
class Interpretation:
    primary: Match  # what the reply is about: the first answer, else the "did you mean" / "don't know" decision
    extra: tuple[Match, ...] = ()  # further questions of the same message, answered
    unanswered: tuple[str, ...] = ()  # questions of a message that answered others, which had no answer
    more_suggestions: tuple[str, ...] = ()  # entries for the questions beyond MAX_ANSWERS or left unanswered
    greeting: bool = False  # the message opened with a greeting
    asked: tuple[str, ...] = ()  # the question behind each of `matches`, in the sender's words

    @property
    def matches(self) -> tuple[Match, ...]:
        return (self.primary, *self.extra)


def _merged(terms: list[QueryTerms]) -> QueryTerms:
    known: dict[int, str] = {}
    unknown: list[str] = []
    for t in terms:
        for term_id, key in zip(t.known, t.keys, strict=True):
            known.setdefault(term_id, key)
        unknown.extend(w for w in t.unknown if w not in unknown)
    return QueryTerms(tuple(known), tuple(known.values()), tuple(unknown))


def _empty(terms: QueryTerms) -> bool:
    return not terms.known and not terms.unknown


class Interpreter:
    """Reads a message with one index and one set of thresholds."""

    def __init__(self, index: MatchIndex, thresholds: Thresholds) -> None:
        self.index = index
        self.thresholds = thresholds

    def decide(self, ranking: Ranking) -> Match:
        return decide(ranking, self.thresholds, not_suggested=self.index.smalltalk, declined=self.index.declined)

    def match_text(self, text: str) -> Match:
        return self.decide(self.index.rank(text))

    def _match_parts(self, question: QueryTerms, context: QueryTerms) -> Match:
        if _empty(question):  # "is this for us?": the context is what is asked about
            return self.decide(self.index.rank_parts([(context, 1.0)]))
        parts = [(question, 1.0)]
        if context.known:
            parts.append((context, CONTEXT_SHARE))
        return self.decide(self.index.rank_parts(parts))

    def interpret(self, text: str) -> Interpretation:
        clauses = read_message(text, self.index.is_social)
        questions = questions_of(clauses)
        greeting = greets(text)
        if not questions:  # only greetings, thanks or filler: small talk answers it
            return Interpretation(self.match_text(text), asked=(text,))
        context = self.index.analyse(" ".join(c.text for c in clauses if c.role is Role.CONTEXT))
        question_terms = [self.index.analyse(q) for q in questions]
        whole = self._match_parts(_merged(question_terms), context)
        readable = [(q, t) for q, t in zip(questions, question_terms, strict=True) if not _empty(t)]
        everything = (" ".join(questions),)
        if len(readable) <= 1:
            return Interpretation(whole, greeting=greeting, asked=everything)

        per_question = [(q, self._match_parts(t, context)) for q, t in readable]
        answers: list[Match] = []
        asked: list[str] = []
        for question, match in per_question:
            if match.outcome is Outcome.ANSWER and all(a.entry_id != match.entry_id for a in answers):
                answers.append(match)
                asked.append(question)
        if not answers:
            suggestions = _unique(s for m in (whole, *(m for _, m in per_question)) for s in m.suggestions)
            if whole.outcome is Outcome.SUGGEST or (whole.outcome is Outcome.UNKNOWN and not suggestions):
                return Interpretation(whole, more_suggestions=tuple(suggestions), greeting=greeting, asked=everything)
            return Interpretation(whole, greeting=greeting, asked=everything)
        if len(answers) == 1 and whole.outcome is Outcome.ANSWER and whole.entry_id != answers[0].entry_id:
            # One reading of the parts, another of the whole: the whole message is one question asked at length.
            return Interpretation(whole, greeting=greeting, asked=everything)
        answered = {a.entry_id for a in answers}
        unanswered = tuple(
            q for q, m in per_question if m.outcome is not Outcome.ANSWER and m.entry_id not in answered
        )
        leftover = [a.entry_id for a in answers[MAX_ANSWERS:] if a.entry_id]
        leftover += [s for q, m in per_question if q in unanswered for s in m.suggestions]
        return Interpretation(
            answers[0],
            tuple(answers[1:MAX_ANSWERS]),
            unanswered,
            tuple(s for s in _unique(leftover) if s not in answered),
            greeting,
            tuple(asked[:MAX_ANSWERS]),
        )


def _unique(items) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen

"""From a message to what to answer: each question in it matched on its own, the sender's context as a hint.

A message with two questions ("who can apply and when is the deadline?") gets both answers; a question spread
over sentences ("In the list of sectors I don't see ours: are we excluded?") is matched as a whole; a greeting in
front of a question never swallows it. A message worded exactly as one entry's phrasing gets that entry, as
staff wrote it, before any of this.
"""

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from bot.matching.asked import as_matched, only_confirms
from bot.matching.decision import Match, Thresholds, decide, near_declined
from bot.matching.details import asked_details, noted_details
from bot.matching.index import Candidate, MatchIndex, QueryTerms, Ranking
from bot.matching.reading import (
    Question,
    Role,
    announces_several,
    continues,
    coordinated_subjects,
    greets,
    questions_of,
    read_message,
    refers_back,
    without_roles,
)
from bot.outcome import Outcome

#: How much the sender's description of themselves, and the statements leading up to a question, count next to
#: the question ("we are a science park: can we take part?"): enough to pick between close entries, never enough
#: to become the question.
CONTEXT_SHARE = 0.4
#: ... and they count at most this many times the question's own weight, however long the description.
MAX_CONTEXT_RATIO = 2.0
#: A question that says little by itself ("can we join?", "possiamo candidarci?": less topic weight than this)
#: is about what the sender said of themselves, which then counts nearly as much as the question.
VAGUE_QUESTION_WEIGHT = 1.5
VAGUE_CONTEXT_SHARE = 0.9
#: ... but less when statements before the question say what it is about ("Mi serve il titolo ufficiale
#: dell'invito. Me lo potete dare?"): they are its subject, the sender's description only helps to pick (measured on
#: the tuning sets: 6 more right answers, one wrong fewer, false answers unchanged).
LED_CONTEXT_SHARE = 0.6
#: ... or says much less than the statements before it ("In the list of sectors I don't see ours: are we excluded?").
LEAD_OVER_QUESTION = 0.5
#: Raised score of an entry whose answer gives the detail asked for ("a che ora?": an entry that gives a time).
DETAIL_BONUS = 0.1
#: A later question that an earlier answer answers within this of its own best asks the same again.
SAME_QUESTION_MARGIN = 0.05
#: A question this short after a declined one asks about the same thing ("... When does it open?").
MAX_FOLLOW_UP_WORDS = 10
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
    followed_up: bool = False  # read with the sender's earlier question ("e a che ora finiva?")

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
    """Reads a message with one index and one set of thresholds. `gives` maps an entry to the details its answer
    gives (see details.py): a question asking "a che ora?" is likelier about an entry that gives a time."""

    def __init__(
        self,
        index: MatchIndex,
        thresholds: Thresholds,
        gives: Mapping[str, AbstractSet[str]] | None = None,
        not_in_sources: AbstractSet[str] = frozenset(),
    ) -> None:
        self.index = index
        self.thresholds = thresholds
        self.gives = gives or {}
        self.not_in_sources = not_in_sources

    def _says_sources_lack(self, entry_id: str | None, asked: str) -> bool:
        """Whether the answer to `asked` is an honest "the sources do not say": the entry says so, or the question
        wants a detail the entry's answer does not give."""
        if entry_id is None:
            return False
        if entry_id in self.not_in_sources:
            return True
        wanted = {d.id for d in noted_details(asked)}
        return bool(wanted - self.gives.get(entry_id, frozenset()))

    def decide(self, ranking: Ranking, asked: str = "") -> Match:
        details = asked_details(asked) if asked and self.gives else ()
        wanted = {d.id for d in details}
        if wanted:
            bonus = max(DETAIL_BONUS, *(d.bonus for d in details))
            ranking = _favour(ranking, lambda entry: wanted <= self.gives.get(entry, frozenset()), bonus)
        return decide(ranking, self.thresholds, not_suggested=self.index.smalltalk, declined=self.index.declined)

    def match_text(self, text: str) -> Match:
        return self.decide(self.index.rank(text), text)

    def _match_parts(self, question: QueryTerms, lead: QueryTerms, context: QueryTerms, asked: str = "") -> Match:
        """A question says what is asked; the statements leading up to it and the sender's description count less,
        unless the question says little by itself ("can we join?"): then they are its subject."""
        said = self.index.topic_weight(question)
        if said < VAGUE_QUESTION_WEIGHT:
            return self._about_context(question, lead, context, asked)
        if said < LEAD_OVER_QUESTION * self.index.topic_weight(lead):
            about = self._about_context(question, lead, context, asked)
            if about.outcome is Outcome.ANSWER or self._declined(about):
                return about
            # a question with words of its own after a long lead-up that blurs it: its own confident answer, as
            # below (measured on the tuning sets: 3 more right answers, nothing else changed)
            return self._by_itself(question, about, asked) or about
        parts = [(question, 1.0), *((part, CONTEXT_SHARE * self._bounded(part, said)) for part in (lead, context))]
        match = self.decide(self.index.rank_parts(parts), asked)
        if match.outcome is Outcome.ANSWER or self._declined(match):
            return match
        if not _empty(lead) and (alone := self._by_itself(question, match, asked)) is not None:
            return alone
        if _empty(context):
            return match
        # "we're a university research group in Bari - how do we fit into this?": a question with words of its own
        # that finds no answer (and is not one staff want declined) may be about what the sender said; answer so
        # only when that reading is confident and, where the question alone offered a "did you mean", agrees with
        # its first button
        closer = self._about_context(question, lead, context, asked)
        if closer.outcome is Outcome.ANSWER and (not match.suggestions or closer.entry_id == match.suggestions[0]):
            return closer
        return match

    def _by_itself(self, question: QueryTerms, match: Match, asked: str) -> Match | None:
        """ "Before I spend time on this: which Commission department is behind it?": a question clear by itself that
        the statements before it blur. Its own answer, when confident, agreeing with the first "did you mean" of the
        whole reading, and the question does not point back at those statements ("chi lo promuoveva?"). Measured on
        the tuning sets: 8 more right answers, one more wrong."""
        if refers_back(asked):
            return None
        alone = self.decide(self.index.rank_parts([(question, 1.0)]), asked)
        if alone.outcome is Outcome.ANSWER and (not match.suggestions or alone.entry_id == match.suggestions[0]):
            return alone
        return None

    def _about_context(self, question: QueryTerms, lead: QueryTerms, context: QueryTerms, asked: str) -> Match:
        """The question read as being about what the sender said of themselves, which counts nearly as much."""
        subject = _merged([question, lead])
        if _empty(subject):  # "We are a science park in Portugal. Is this for us?"
            # the description is all there is to match, but still a description: the names in it the knowledge base
            # does not know ("Vila Real", "forestry") do not count against it
            return self.decide(self.index.rank_parts([(context, VAGUE_CONTEXT_SHARE)]), asked)
        share = VAGUE_CONTEXT_SHARE if _empty(lead) else LED_CONTEXT_SHARE
        return self.decide(self.index.rank_parts([(subject, 1.0), (context, share)]), asked)

    def _alongside_an_answer(self, match: Match) -> Match:
        """A question asked next to one that was answered is about the call too ("which Commission department is
        behind it, and what's the last date?"): its first "did you mean", when it is also its best candidate and
        explains enough of it, answers it. Measured on the tuning sets: 9 more right answers, 7 fewer wrong and 2
        fewer false out of 3,718."""
        if match.outcome is not Outcome.SUGGEST:
            return match
        best = match.ranking.candidates[0]
        if best.entry_id != match.suggestions[0] or best.explained < self.thresholds.min_explained:
            return match
        return Match(Outcome.ANSWER, best.entry_id, best.score, (), match.ranking)

    def _answer_lacking_detail(self, question: str, match: Match, answers: list[Match]) -> int | None:
        """ "Chi ha partecipato al workshop? Esiste un elenco dei presenti?": a question with no answer of its own
        that asks for a detail (details.py) of the entry answered next to it, its best candidate, belongs to that
        answer (its index). Measured on the tuning sets: one false answer fewer, nothing else changed."""
        if not match.ranking.candidates or not noted_details(question):
            return None
        best = match.ranking.candidates[0].entry_id
        return next((i for i, a in enumerate(answers[:MAX_ANSWERS]) if a.entry_id == best), None)

    def _bounded(self, part: QueryTerms, said: float) -> float:
        """How much of CONTEXT_SHARE a long description keeps next to a question that says `said`: it may weigh up
        to MAX_CONTEXT_RATIO times the question, never drown it."""
        weight = self.index.topic_weight(part)
        return min(1.0, MAX_CONTEXT_RATIO * said / weight) if weight > 0 else 1.0

    def _declined(self, match: Match) -> bool:
        """Whether a question was declined: an out-of-scope entry at the top made it "I don't know"."""
        return match.outcome is Outcome.UNKNOWN and near_declined(
            match.ranking.candidates, self.thresholds, self.index.declined
        )

    def _read(self, question: Question) -> tuple[Question, QueryTerms, QueryTerms]:
        """The question with its terms and those of what leads up to it, as the matcher reads them."""
        asked, lead = as_matched(question)
        if only_confirms(asked):  # "Is it true?": about the statement before it
            return question, QueryTerms((), (), ()), self.index.analyse(lead)
        terms = self.index.analyse(asked)
        if _empty(terms):  # "entro il 31/12 o no?": nothing but the value asked about
            terms = self.index.analyse(question.text)
        return question, terms, self.index.analyse(lead)

    def _exactly(self, entry_id: str, text: str) -> Interpretation:
        """A message worded as a phrasing of one entry: that entry, as staff wrote it (an out-of-scope entry's
        phrasing still means "I don't know")."""
        ranking = _first(self.index.rank(text), entry_id)
        if entry_id in self.index.declined:
            match = Match(Outcome.UNKNOWN, None, 1.0, (), ranking)
        else:  # not even an out-of-scope entry close to it says otherwise: staff wrote it for this entry
            match = Match(Outcome.ANSWER, entry_id, 1.0, (), ranking)
        return Interpretation(match, greeting=greets(text) and entry_id not in self.index.smalltalk, asked=(text,))

    def _several_subjects(
        self, question: Question, whole: Match, context: QueryTerms
    ) -> tuple[tuple[Match, ...], tuple[str, ...]] | None:
        """ "deadline and eligibility in a nutshell", "settori ammessi, paesi, scadenza": an answer for each subject
        when each is answered on its own with an entry of its own, and no single entry explains the whole question
        but one of those ("deadline + where to apply?": the how-to-apply answer mentions a deadline, not its date)."""
        subjects = coordinated_subjects(as_matched(question)[0])  # what is asked, without "il sottoscritto chiede"
        if subjects is None:
            return None
        lead = self.index.analyse(question.lead)
        matches = tuple(self._match_parts(self.index.analyse(s), lead, context, s) for s in subjects)
        entries = {m.entry_id for m in matches}
        best = whole.ranking.candidates[0] if whole.ranking.candidates else None
        covering = best.entry_id if best and best.key_missing <= self.thresholds.smalltalk_key_missing else None
        if (
            all(m.outcome is Outcome.ANSWER for m in matches)
            and len(entries) == len(matches)
            and not entries & self.index.smalltalk
            and (covering is None or covering in entries)
        ):
            return matches, subjects
        return None

    def interpret(self, text: str, *, exact: bool = True, earlier: str = "") -> Interpretation:
        """`earlier`: the sender's previous question in this conversation, if recent. A short message that follows
        it up ("e a che ora finiva?", "who organised it?", "and where?") is read with it leading up to the message,
        when that reading answers; a message that asks about something new is read by itself."""
        alone = self._interpret(text, exact=exact)
        if not earlier or not self._follows_up(text, alone):
            return alone
        before = self._interpret(earlier, exact=True).primary
        if self._declined(before) and (refers_back(text) or continues(text)):
            # "Is there a 2024 edition?" ... "when does it open?": about what staff want declined, declined too
            return Interpretation(before, asked=(text,), followed_up=True)
        after = self._interpret(text, exact=False, earlier=self.index.analyse(earlier))
        if after.primary.outcome is Outcome.ANSWER:
            return replace(after, followed_up=True)
        return alone

    def _follows_up(self, text: str, alone: Interpretation) -> bool:
        """A short message that points back ("it", "and ...") or finds no answer by itself; not small talk."""
        if len(text.split()) > MAX_FOLLOW_UP_WORDS or alone.primary.entry_id in self.index.smalltalk:
            return False
        return alone.primary.outcome is not Outcome.ANSWER or refers_back(text) or continues(text)

    def _interpret(self, text: str, *, exact: bool, earlier: QueryTerms | None = None) -> Interpretation:
        if exact and (entry := self.index.exact_entry(text)) is not None:
            return self._exactly(entry, text)
        clauses = read_message(text, self.index.words_of)
        questions = questions_of(clauses)
        greeting = greets(text)
        if not questions:  # only greetings, thanks or filler: small talk answers it
            return Interpretation(self.match_text(text), asked=(text,))
        context = self.index.analyse(" ".join(without_roles(c.text) for c in clauses if c.role is Role.CONTEXT))
        terms = [self._read(q) for q in questions]
        if earlier is not None:  # the earlier question leads up to the first one
            first, first_terms, first_lead = terms[0]
            terms[0] = (first, first_terms, _merged([first_lead, earlier]))
        everything = (" ".join(q.full for q in questions),)
        whole = self._match_parts(
            _merged([t for _, t, _ in terms]), _merged([lt for _, _, lt in terms]), context, everything[0]
        )
        readable = [(q, t, lt) for q, t, lt in terms if not (_empty(t) and _empty(lt))]
        if len(readable) <= 1:
            if readable and (split := self._several_subjects(readable[0][0], whole, context)):
                matches, subjects = split
                return Interpretation(
                    matches[0],
                    matches[1:MAX_ANSWERS],
                    more_suggestions=tuple(m.entry_id for m in matches[MAX_ANSWERS:] if m.entry_id),
                    greeting=greeting,
                    asked=subjects[:MAX_ANSWERS],
                )
            # "vorremmo rivedere le slide. Sono pubblicate?": a question that says little asks for the details of the
            # story around it (measured on the tuning sets: one false answer fewer, nothing else changed)
            vague = not readable or self.index.topic_weight(readable[0][1]) < VAGUE_QUESTION_WEIGHT
            return Interpretation(whole, greeting=greeting, asked=(text,) if vague else everything)

        separate = announces_several(text)  # "two questions: ...": none is a follow-up of another
        per_question = [(q.full, self._match_parts(t, lt, context, q.full)) for q, t, lt in readable]
        if any(m.outcome is Outcome.ANSWER for _, m in per_question):
            per_question = [(q, self._alongside_an_answer(m)) for q, m in per_question]
        if (
            not separate
            and self._declined(per_question[0][1])
            and all(len(q.split()) <= MAX_FOLLOW_UP_WORDS for q, _ in per_question[1:])
        ):
            # "Is there a 2024 edition? When does it open?": short questions after one staff want declined ask
            # about the same thing
            return Interpretation(per_question[0][1], greeting=greeting, asked=everything)
        answers: list[Match] = []
        asked: list[str] = []
        for question, match in per_question:
            if match.outcome is not Outcome.ANSWER:
                continue
            same = next((i for i, a in enumerate(answers) if _answers_nearly_as_well(a, match)), None)
            if same is None:
                answers.append(match)
                asked.append(question)
            else:  # "was registration needed? could we sign up online?": one answer, for what both ask
                asked[same] = f"{asked[same]} {question}"
        if not answers:
            suggestions = list(dict.fromkeys(s for m in (whole, *(m for _, m in per_question)) for s in m.suggestions))
            if whole.outcome is Outcome.SUGGEST or (whole.outcome is Outcome.UNKNOWN and not self._declined(whole)):
                # the questions' own "did you mean" when the whole message found none (and was not declined)
                return Interpretation(whole, more_suggestions=tuple(suggestions), greeting=greeting, asked=everything)
            return Interpretation(whole, greeting=greeting, asked=everything)
        if len(answers) == 1 and whole.outcome is Outcome.ANSWER and whole.entry_id != answers[0].entry_id:
            # One reading of the parts, another of the whole: the whole message is one question asked at length.
            return Interpretation(whole, greeting=greeting, asked=everything)
        if not separate and self._says_sources_lack(answers[0].entry_id, asked[0]):
            # "what language must the EoI be in? can it be in Polish?": short questions after one the sources do not
            # answer ask about the same thing; the honest answer covers them
            for i in range(len(answers) - 1, 0, -1):
                if len(asked[i].split()) <= MAX_FOLLOW_UP_WORDS:
                    asked[0] = f"{asked[0]} {asked.pop(i)}"
                    del answers[i]
        answered = {a.entry_id for a in answers}
        left: list[str] = []
        for question, match in per_question:
            if match.outcome is Outcome.ANSWER:
                continue
            if (at := self._answer_lacking_detail(question, match, answers)) is not None:
                asked[at] = f"{asked[at]} {question}"  # its reply says plainly the sources lack the detail
            else:
                left.append(question)
        unanswered = tuple(left)
        leftover = [a.entry_id for a in answers[MAX_ANSWERS:] if a.entry_id]
        leftover += [s for q, m in per_question if q in unanswered for s in m.suggestions]
        return Interpretation(
            answers[0],
            tuple(answers[1:MAX_ANSWERS]),
            unanswered,
            tuple(s for s in dict.fromkeys(leftover) if s not in answered),
            greeting,
            tuple(asked[:MAX_ANSWERS]),
        )


def _answers_nearly_as_well(earlier: Match, later: Match) -> bool:
    """Whether an earlier answer also answers a later question of the message about as well as its own best entry
    ("la regione cofinanzia i distretti? c'è un contributo regionale?"): then the later one asks it again."""
    if earlier.entry_id == later.entry_id:
        return True
    score = next((c.score for c in later.ranking.candidates if c.entry_id == earlier.entry_id), None)
    return score is not None and score >= later.score - SAME_QUESTION_MARGIN


def _first(ranking: Ranking, entry_id: str) -> Ranking:
    """The ranking with `entry_id` first, a certain match."""
    found = next((c for c in ranking.candidates if c.entry_id == entry_id), Candidate(entry_id, 1.0))
    others = tuple(c for c in ranking.candidates if c.entry_id != entry_id)
    return replace(ranking, candidates=(replace(found, score=1.0, explained=1.0, key_missing=0.0), *others))


def _favour(ranking: Ranking, preferred: Callable[[str], bool], bonus: float = DETAIL_BONUS) -> Ranking:
    """The ranking with preferred entries raised by `bonus` (DETAIL_BONUS unless a detail asks for more; capped at 1),
    best first again."""
    raised = [
        replace(c, score=min(1.0, round(c.score + bonus, 4))) if preferred(c.entry_id) else c
        for c in ranking.candidates
    ]
    return replace(ranking, candidates=tuple(sorted(raised, key=lambda c: -c.score)))

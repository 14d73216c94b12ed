"""Channel-agnostic core: a question and what we know of the user in, a reply out.

Telegram, the terminal chat, `ask`, the evaluation and the benchmarks all call `Assistant.reply`, so they see
exactly what Telegram users get. Nothing here knows about Telegram or the database.
"""

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from bot.clock import Clock, utc_now
from bot.i18n import Catalogs, Translator
from bot.knowledge.model import LANGUAGES, OUT_OF_SCOPE_TOPIC, SMALLTALK_TOPIC, Entry, KnowledgeBase, Source, Topic
from bot.language import LanguageDetector, choose_language
from bot.matching.decision import Match, Thresholds
from bot.matching.details import detail_gaps, details_in
from bot.matching.index import Candidate, MatchIndex, ScoringSettings
from bot.matching.interpret import Interpretation, Interpreter
from bot.matching.text import words
from bot.outcome import Outcome
from bot.rendering import render_answer

#: Follow-up buttons under an answer.
MAX_RELATED = 5


@dataclass(frozen=True)
class Link:
    """A button to another entry: its id and its question in the reply's language."""

    entry_id: str
    label: str


@dataclass(frozen=True)
class AnswerPart:
    """One entry's answer inside a reply; a reply to two questions has two, each under its own heading."""

    entry_id: str
    body: str
    sources: tuple[Source, ...] = ()
    source_label: str = ""
    heading: str = ""  # the entry's question, shown only when a reply answers several
    note: str = ""  # before the answer: the details asked for that the answer does not give
    not_in_sources: bool = False  # the sources do not answer what was asked: an honest "not known"


@dataclass(frozen=True)
class Reply:
    question: str
    lang: str
    kind: Outcome
    body: str  # for an answer: a greeting or nothing; otherwise the whole message ("I don't know yet...")
    parts: tuple[AnswerPart, ...] = ()
    score: float = 0.0
    related: tuple[Link, ...] = ()
    suggestions: tuple[Link, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    unanswered_note: str = ""  # under an answer: the questions of the message that have no answer yet
    unanswered: tuple[str, ...] = ()  # those questions, to log for staff
    followed_up: bool = False  # read with the sender's earlier question: the two together are what was asked

    @property
    def answered(self) -> bool:
        return self.kind is Outcome.ANSWER

    @property
    def needs_staff(self) -> bool:
        """Logged for staff: exactly the replies that say "I don't know yet"."""
        return self.kind in (Outcome.SUGGEST, Outcome.UNKNOWN)

    @property
    def not_in_sources(self) -> bool:
        """An answer that says the sources do not give what was asked: honest, not a guess."""
        return bool(self.parts) and all(part.not_in_sources for part in self.parts)

    @property
    def entry_id(self) -> str | None:
        return self.parts[0].entry_id if self.parts else None

    @property
    def sources(self) -> tuple[Source, ...]:
        return tuple(dict.fromkeys(s for part in self.parts for s in part.sources))

    @property
    def text(self) -> str:
        """The whole reply as plain text, for channels without buttons (terminal, `ask`)."""
        parts = [self.body] if self.body else []
        for part in self.parts:
            section = [part.heading] if part.heading else []
            section.append(f"{part.note} {part.body}" if part.note else part.body)
            if part.sources:
                section.append(part.source_label + " " + "; ".join(source_line(s, self.lang) for s in part.sources))
            parts.append("\n\n".join(section))
        if self.unanswered_note:
            parts.append(self.unanswered_note)
        if self.suggestions:
            parts.append("\n".join(f"• {link.label}" for link in self.suggestions))
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Prepared:
    """What an Assistant computes from the knowledge base alone, the slow part of building one. The assistant cache
    (bot/assistant_cache.py) keeps it, so that a restart or a reload of the same knowledge base skips it."""

    index: MatchIndex
    detector: LanguageDetector

    @classmethod
    def build(cls, kb: KnowledgeBase, scoring: ScoringSettings | None = None) -> "Prepared":
        read = functools.cache(words)  # both read every phrasing: once is enough (dropped after the build)
        return cls(MatchIndex(kb, scoring, read=read), LanguageDetector(kb, read=read))


def source_line(source: Source, lang: str) -> str:
    title = source.title.get(lang)
    return f"{title} ({source.url})" if source.url else title


def _rendered(kb: KnowledgeBase, catalogs: Catalogs, clock: Clock, timezone: str, entry: Entry, lang: str) -> str:
    if entry.answer is None:
        raise ValueError(f"entry {entry.id!r} is out of scope: it has no answer")
    return render_answer(entry.answer.get(lang), kb, catalogs[lang], clock(), timezone).strip()


class DetailsGiven(Mapping[str, frozenset[str]]):
    """The details (a time, an e-mail, an exact day...) each answer gives, in either language, worked out for an
    entry when a question first needs it: for every entry at once it took 0.6 s of each start at 10,000 entries."""

    def __init__(self, kb: KnowledgeBase, render: Callable[[Entry, str], str]) -> None:
        self._kb = kb
        self._render = render
        self._answered = [entry.id for entry in kb.entries.values() if entry.answer is not None]
        self._known: dict[str, frozenset[str]] = {}

    def __getitem__(self, entry_id: str) -> frozenset[str]:
        known = self._known.get(entry_id)
        if known is None:
            entry = self._kb.entries.get(entry_id)
            if entry is None or entry.answer is None:
                raise KeyError(entry_id)
            texts = [self._render(entry, lang) for lang in LANGUAGES]
            known = self._known[entry_id] = frozenset(d for text in texts for d in details_in(text))
        return known

    def __iter__(self) -> Iterator[str]:
        return iter(self._answered)

    def __len__(self) -> int:
        return len(self._answered)


class Assistant:
    """Answers questions from one knowledge base. Immutable: a reload builds a new Assistant."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        catalogs: Catalogs | None = None,
        timezone: str = "Europe/Rome",
        clock: Clock = utc_now,
        thresholds: Thresholds | None = None,
        scoring: ScoringSettings | None = None,
        prepared: Prepared | None = None,
    ) -> None:
        """`prepared`: the index and language model of this same `kb` (from the cache), else they are built."""
        if prepared is not None and prepared.index.settings != (scoring or ScoringSettings()):
            raise ValueError("the prepared index was built with other scoring settings")
        prepared = prepared or Prepared.build(kb, scoring)
        self.kb = kb
        self.catalogs = catalogs or Catalogs()
        self.timezone = timezone
        self.clock = clock
        self.thresholds = thresholds or Thresholds()
        self.index = prepared.index
        self.detector = prepared.detector
        honest = frozenset(e.id for e in kb.entries.values() if e.not_in_sources)
        self.gives = DetailsGiven(kb, functools.partial(_rendered, kb, self.catalogs, clock, timezone))
        self.interpreter = Interpreter(self.index, self.thresholds, self.gives, honest)

    def language_for(self, text: str, *, chosen: str | None = None, telegram: str | None = None) -> str:
        detected = self.detector.detect(text)
        # The guess only matters when neither the text nor Telegram could tell; don't score the text twice.
        guessed = self.detector.guess(text) if detected is None and chosen is None and not telegram else None
        return choose_language(explicit=chosen, detected=detected, telegram=telegram, guessed=guessed)

    def match(self, text: str) -> Match:
        return self.interpreter.match_text(text)

    def reply(
        self,
        question: str,
        *,
        chosen_lang: str | None = None,
        telegram_lang: str | None = None,
        exact: bool = True,
        earlier: str = "",
    ) -> Reply:
        """`exact`: a question worded exactly as one entry's phrasing gets that entry (off: the match alone
        decides, as for a question in other words; the staff review asks each phrasing so). `earlier`: the sender's
        previous question, if recent: a short follow-up ("e a che ora finiva?") is read with it."""
        lang = self.language_for(question, chosen=chosen_lang, telegram=telegram_lang)
        tr = self.catalogs[lang]
        if not words(question):
            return Reply(question, lang, Outcome.EMPTY, tr.gettext("Please type your question about the call."))
        reading = self.interpreter.interpret(question, exact=exact, earlier=earlier)
        match = reading.primary
        if match.outcome is Outcome.ANSWER and match.entry_id:
            return self.answer_matches(reading, lang, question)
        suggestions = self.links(tuple(dict.fromkeys((*match.suggestions, *reading.more_suggestions))), lang)
        if suggestions:
            body = tr.gettext("I don't have a sure answer to that yet. Did you mean one of these?")
            kind = Outcome.SUGGEST
        else:
            body = tr.gettext(
                "I don't know the answer to that yet: I only answer questions about the ESCP-S3 call. "
                "I have passed your question on to the programme staff. Try /topics to see what I can help with."
            )
            kind = Outcome.UNKNOWN
        return Reply(
            question=question,
            lang=lang,
            kind=kind,
            body=body,
            score=match.score,
            suggestions=suggestions[: self.thresholds.max_suggestions],
            candidates=match.ranking.candidates,
            followed_up=reading.followed_up,
        )

    def answer_matches(self, reading: Interpretation, lang: str, question: str) -> Reply:
        """One answer, or several under their headings when the message asked several things."""
        tr = self.catalogs[lang]
        matches = [m.entry_id for m in reading.matches if m.entry_id]
        asked = reading.asked if len(reading.asked) == len(matches) else (question,) * len(matches)
        several = len(matches) > 1
        parts = tuple(self.part(e, tr, heading=several, asked=q) for e, q in zip(matches, asked, strict=True))
        answered = {p.entry_id for p in parts}
        greeting = ""
        if reading.greeting and not any(e in self.index.smalltalk for e in answered):
            greeting = tr.gettext("Hello!")
        note = ""
        if reading.unanswered:
            note = tr.gettext(
                "I don't have an answer yet to: %(questions)s",
                questions="; ".join(f"«{q}»" for q in reading.unanswered),
            )
        related = [e for p in parts for e in self.kb.entries[p.entry_id].related]
        more = [e for e in reading.more_suggestions if e not in answered]
        return Reply(
            question=question,
            lang=lang,
            kind=Outcome.ANSWER,
            body=greeting,
            parts=parts,
            score=reading.primary.score,
            related=self.links(tuple(dict.fromkeys(e for e in (*more, *related) if e not in answered)), lang)[
                :MAX_RELATED
            ],
            candidates=reading.primary.ranking.candidates,
            unanswered_note=note,
            unanswered=reading.unanswered,
            followed_up=reading.followed_up,
        )

    def part(self, entry_id: str, tr: Translator, *, heading: bool = False, asked: str = "") -> AnswerPart:
        """One entry's answer; when `asked` wants a detail the answer lacks, a note says so before it."""
        entry = self.kb.entries[entry_id]
        body = self.render(entry, tr)
        gaps = [] if entry.not_in_sources or not asked else detail_gaps(asked, body)
        return AnswerPart(
            entry_id=entry_id,
            body=body,
            sources=tuple(self.kb.sources[s] for s in entry.sources if s in self.kb.sources),
            source_label=tr.gettext("Source:") if len(entry.sources) == 1 else tr.gettext("Sources:"),
            heading=entry.label(tr.lang) if heading else "",
            note=" ".join(g.detail.missing(tr.lang) for g in gaps),
            not_in_sources=entry.not_in_sources or bool(gaps),
        )

    def answer(self, entry_id: str, lang: str, *, question: str = "", score: float = 1.0) -> Reply:
        """The reply for one entry: what a pressed button or a deep link gets."""
        entry = self.kb.entries[entry_id]
        tr = self.catalogs[lang]
        return Reply(
            question=question or entry.label(lang),
            lang=lang,
            kind=Outcome.ANSWER,
            body="",
            parts=(self.part(entry_id, tr),),
            score=score,
            related=self.links(entry.related, lang),
        )

    def render(self, entry: Entry, tr: Translator) -> str:
        return _rendered(self.kb, self.catalogs, self.clock, self.timezone, entry, tr.lang)

    def links(self, entry_ids: tuple[str, ...], lang: str) -> tuple[Link, ...]:
        return tuple(Link(e, self.kb.entries[e].label(lang)) for e in entry_ids if self.kb.answerable(e))

    def menu_topic(self, topic_id: str) -> Topic | None:
        """A topic users may browse (not small talk, not out-of-scope)."""
        topic = self.kb.topic(topic_id)
        return topic if topic and topic.id not in (SMALLTALK_TOPIC, OUT_OF_SCOPE_TOPIC) else None

    def topics(self) -> list[tuple[str, dict[str, str]]]:
        """Topics worth a menu button (small talk is not one), with their titles per language."""
        return [
            (t.id, {lang: t.title.get(lang) for lang in LANGUAGES})
            for t in self.kb.topics
            if t.id not in (SMALLTALK_TOPIC, OUT_OF_SCOPE_TOPIC)
        ]

"""Channel-agnostic core: a question and what we know of the user in, a reply out.

Telegram, the terminal chat, `ask`, the evaluation and the benchmarks all call `Assistant.reply`, so they see
exactly what Telegram users get. Nothing here knows about Telegram or the database.
"""

from dataclasses import dataclass

from bot.clock import Clock, utc_now
from bot.i18n import Catalogs, Translator
from bot.knowledge.model import LANGUAGES, OUT_OF_SCOPE_TOPIC, SMALLTALK_TOPIC, Entry, KnowledgeBase, Source, Topic
from bot.language import LanguageDetector, choose_language
from bot.matching.decision import Match, Thresholds, decide
from bot.matching.index import Candidate, MatchIndex, ScoringSettings
from bot.matching.text import words
from bot.outcome import Outcome
from bot.rendering import render_answer


@dataclass(frozen=True)
class Link:
    """A button to another entry: its id and its question in the reply's language."""

    entry_id: str
    label: str


@dataclass(frozen=True)
class Reply:
    question: str
    lang: str
    kind: Outcome
    body: str
    entry_id: str | None = None
    score: float = 0.0
    sources: tuple[Source, ...] = ()
    source_label: str = ""
    related: tuple[Link, ...] = ()
    suggestions: tuple[Link, ...] = ()
    candidates: tuple[Candidate, ...] = ()

    @property
    def answered(self) -> bool:
        return self.kind is Outcome.ANSWER

    @property
    def needs_staff(self) -> bool:
        """Logged for staff: exactly the replies that say "I don't know yet"."""
        return self.kind in (Outcome.SUGGEST, Outcome.UNKNOWN)

    @property
    def text(self) -> str:
        """The whole reply as plain text, for channels without buttons (terminal, `ask`)."""
        parts = [self.body]
        if self.suggestions:
            parts.append("\n".join(f"• {link.label}" for link in self.suggestions))
        if self.sources:
            parts.append(self.source_label + " " + "; ".join(source_line(s, self.lang) for s in self.sources))
        return "\n\n".join(parts)


def source_line(source: Source, lang: str) -> str:
    title = source.title.get(lang)
    return f"{title} ({source.url})" if source.url else title


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
    ) -> None:
        self.kb = kb
        self.catalogs = catalogs or Catalogs()
        self.timezone = timezone
        self.clock = clock
        self.thresholds = thresholds or Thresholds()
        self.index = MatchIndex(kb, scoring)
        self.detector = LanguageDetector(kb)

    def language_for(self, text: str, *, chosen: str | None = None, telegram: str | None = None) -> str:
        detected = self.detector.detect(text)
        # The one-word guess only matters when the sentence itself could not be read; don't score the text twice.
        guessed = self.detector.guess(text) if detected is None and chosen is None else None
        return choose_language(explicit=chosen, detected=detected, telegram=telegram, guessed=guessed)

    def match(self, text: str) -> Match:
        return decide(
            self.index.rank(text), self.thresholds, not_suggested=self.index.smalltalk, declined=self.index.declined
        )

    def reply(self, question: str, *, chosen_lang: str | None = None, telegram_lang: str | None = None) -> Reply:
        lang = self.language_for(question, chosen=chosen_lang, telegram=telegram_lang)
        tr = self.catalogs[lang]
        if not words(question):
            return Reply(question, lang, Outcome.EMPTY, tr.gettext("Please type your question about the call."))
        match = self.match(question)
        if match.outcome is Outcome.ANSWER and match.entry_id:
            return self.answer(match.entry_id, lang, question=question, score=match.score, match=match)
        if match.outcome is Outcome.SUGGEST:
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
            suggestions=self.links(match.suggestions, lang),
            candidates=match.ranking.candidates,
        )

    def answer(
        self, entry_id: str, lang: str, *, question: str = "", score: float = 1.0, match: Match | None = None
    ) -> Reply:
        """The reply for one entry: what a matched question or a pressed button gets."""
        entry = self.kb.entries[entry_id]
        tr = self.catalogs[lang]
        return Reply(
            question=question or entry.label(lang),
            lang=lang,
            kind=Outcome.ANSWER,
            body=self.render(entry, tr),
            entry_id=entry_id,
            score=score,
            sources=tuple(self.kb.sources[s] for s in entry.sources if s in self.kb.sources),
            source_label=tr.gettext("Source:") if len(entry.sources) == 1 else tr.gettext("Sources:"),
            related=self.links(entry.related, lang),
            candidates=match.ranking.candidates if match else (),
        )

    def render(self, entry: Entry, tr: Translator) -> str:
        if entry.answer is None:
            raise ValueError(f"entry {entry.id!r} is out of scope: it has no answer")
        return render_answer(entry.answer.get(tr.lang), self.kb, tr, self.clock(), self.timezone).strip()

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

"""What a change does to the knowledge base, in words staff check before confirming: entries, dates and sources
added, changed (and how) or removed. Computed from the knowledge base before and after, as the bot reads them, so
it is true whatever the change was (a new entry, a spreadsheet, an undo)."""

from collections.abc import Mapping
from dataclasses import dataclass, fields

from bot.i18n import Translator
from bot.knowledge import LANGUAGES, Entry, KeyDate, KnowledgeBase, Source

LIST_LIMIT = 12  # ids listed per line before "and N more"


@dataclass(frozen=True)
class Section:
    """One kind of item: ids added and removed, and for each changed id the fields that changed."""

    added: tuple[str, ...] = ()
    changed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass(frozen=True)
class Summary:
    entries: Section
    dates: Section
    sources: Section
    topics: Section

    @property
    def empty(self) -> bool:
        return self.entries.empty and self.dates.empty and self.sources.empty and self.topics.empty


def _entry_fields(old: Entry, new: Entry) -> tuple[str, ...]:
    what = []
    for lang in LANGUAGES:
        before, after = old.questions.get(lang, ()), new.questions.get(lang, ())
        plus = sum(1 for q in after if q not in before)
        minus = sum(1 for q in before if q not in after)
        if plus or minus:
            what.append(f"questions.{lang} +{plus} -{minus}")
        elif before != after:
            what.append(f"questions.{lang} order")
    for lang in LANGUAGES:
        before_answer = old.answer.get(lang) if old.answer else None
        after_answer = new.answer.get(lang) if new.answer else None
        if before_answer != after_answer:
            what.append(f"answer.{lang}")
    what += [
        name for name in ("sources", "related", "not_in_sources", "topic") if getattr(old, name) != getattr(new, name)
    ]
    return tuple(what)


def _plain_fields(old: object, new: object) -> tuple[str, ...]:
    names = [f.name for f in fields(old) if not f.metadata.get("loader")]  # type: ignore[arg-type]
    return tuple("date" if name == "day" else name for name in names if getattr(old, name) != getattr(new, name))


def _section(old: Mapping[str, object], new: Mapping[str, object], describe: object) -> Section:
    changed = []
    for item_id in old:
        if item_id in new and old[item_id] != new[item_id]:
            what = describe(old[item_id], new[item_id])  # type: ignore[operator]
            if what:
                changed.append((item_id, what))
    return Section(
        added=tuple(i for i in new if i not in old),
        changed=tuple(changed),
        removed=tuple(i for i in old if i not in new),
    )


def summarise(before: KnowledgeBase, after: KnowledgeBase) -> Summary:
    entries: Mapping[str, Entry] = before.entries
    dates: Mapping[str, KeyDate] = before.dates
    sources: Mapping[str, Source] = before.sources
    return Summary(
        entries=_section(entries, after.entries, _entry_fields),
        dates=_section(dates, after.dates, _plain_fields),
        sources=_section(sources, after.sources, _plain_fields),
        topics=_section(
            {t.id: t.title for t in before.topics},
            {t.id: t.title for t in after.topics},
            lambda old, new: ("title",),
        ),
    )


def _ids(ids: tuple[str, ...], tr: Translator) -> str:
    shown = ", ".join(ids[:LIST_LIMIT])
    more = len(ids) - LIST_LIMIT
    return shown + (" " + tr.gettext("and %(count)d more", count=more) if more > 0 else "")


def summary_lines(summary: Summary, tr: Translator) -> list[str]:
    """Plain text lines (the caller escapes them for Telegram)."""
    if summary.empty:
        return [tr.gettext("Nothing changes: the knowledge base already says exactly this.")]
    labels = (
        (summary.entries, tr.gettext("Entries")),
        (summary.topics, tr.gettext("Topics")),
        (summary.dates, tr.gettext("Dates")),
        (summary.sources, tr.gettext("Sources")),
    )
    lines = []
    for section, label in labels:
        if section.empty:
            continue
        lines.append(f"{label}:")
        if section.added:
            lines.append("  + " + tr.gettext("added (%(count)d): ", count=len(section.added)) + _ids(section.added, tr))
        for item_id, what in section.changed[:LIST_LIMIT]:
            lines.append(f"  ~ {item_id}: {', '.join(what)}")
        if len(section.changed) > LIST_LIMIT:
            lines.append("  ~ " + tr.gettext("and %(count)d more changed", count=len(section.changed) - LIST_LIMIT))
        if section.removed:
            removed = tr.gettext("removed (%(count)d): ", count=len(section.removed))
            lines.append("  - " + removed + _ids(section.removed, tr))
    return lines

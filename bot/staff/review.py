"""The full check staff get from `validate`, /reload and the editing tools: the loader's errors and warnings, plus
the warnings only the live matcher can give.

- A phrasing the bot answers with another entry when it is asked in other words (typed exactly, it gets its own).
- A text that reads as the other language: a phrasing or answer pasted under the wrong `it:`/`en:`.

Both are warnings: the knowledge base still loads, and some overlaps are deliberate. `check_knowledge(files)` is
the one function to call with file contents (saved or not); it returns a `KnowledgeCheck`, errors and warnings apart,
each at its file:line.
"""

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from bot.assistant import Assistant
from bot.knowledge import LANGUAGES, KnowledgeBase, KnowledgeCheck, Problem, check_files, read_knowledge_files
from bot.knowledge.loader import ANSWER
from bot.knowledge.model import Entry
from bot.knowledge.problems import LANGUAGE_NAMES, Message, in_order, message, quote
from bot.language import LanguageDetector
from bot.matching.analyzer import CONCEPT_PREFIX

#: A text "reads as" the other language when that language leads by this much (about two function words) and has
#: at least twice the evidence: mixed phrasings ("qual è il goal of the call?") and loanwords are left alone.
LANGUAGE_LEAD = 3.0
LANGUAGE_RATIO = 2.0
#: Each phrasing is asked as a user would ask it (about 1 ms each for the shipped 2,600; up to 8 ms in a knowledge
#: base at the loader's limits): beyond this many, the rest are not asked, and a warning says so.
MAX_PHRASINGS_ASKED = 5000


def reads_as(detector: LanguageDetector, text: str, lang: str) -> bool:
    """True when `text` clearly reads as `lang`."""
    scores = detector.scores(text)
    others = [scores[other] for other in LANGUAGES if other != lang]
    return (
        all(scores[lang] - other >= LANGUAGE_LEAD and scores[lang] >= LANGUAGE_RATIO * other for other in others)
        and detector.detect(text) == lang
    )  # asked last: it reads the text again, and few texts get this far


def _where(entry: Entry, path: str) -> Message:
    kind = message("out-of-scope entry") if entry.declined else message("entry")
    return Message("%(kind)s %(id)s %(path)s:", (("kind", kind), ("id", quote(entry.id)), ("path", path)))


def _problem(entry: Entry, line: int, path: str, detail: Message, hint: Message) -> Problem:
    return Problem(
        entry.file, line, Message("%(where)s %(detail)s", (("where", _where(entry, path)), ("detail", detail))), hint
    )


def language_warnings(kb: KnowledgeBase, check: KnowledgeCheck, detector: LanguageDetector) -> list[Problem]:
    warnings = []
    for entry in kb.entries.values():
        for lang in LANGUAGES:
            other = next(o for o in LANGUAGES if o != lang)
            texts = [(index, f"questions.{lang}.{index}", text) for index, text in enumerate(entry.questions[lang])]
            if entry.answer:
                texts.append((ANSWER, f"answer.{lang}", entry.answer.get(lang)))
            for index, path, text in texts:
                if reads_as(detector, text, other):
                    detail = message(
                        "%(text)s reads as %(other)s, but it is written under %(lang)s",
                        text=quote(text),
                        other=LANGUAGE_NAMES[other],
                        lang=lang,
                    )
                    hint = message("move it under the right language, or check that the two texts are not swapped")
                    warnings.append(_problem(entry, check.line_of(entry, lang, index), path, detail, hint))
    return warnings


def matcher_warnings(
    assistant: Assistant, check: KnowledgeCheck, *, limit: int = MAX_PHRASINGS_ASKED, place: str = "knowledge"
) -> list[Problem]:
    """Each phrasing asked as a user would ask it (the first `limit`): warn when the reply answers it with other
    entries only."""
    warnings = []
    asked = 0
    total = sum(len(e.questions[lang]) for e in assistant.kb.entries.values() for lang in LANGUAGES)
    if total > limit:
        detail = message(
            "the bot checked how it answers the first %(limit)d of %(total)d phrasings only", limit=limit, total=total
        )
        warnings.append(Problem(place, 0, detail))
    for entry in assistant.kb.entries.values():
        for lang in LANGUAGES:
            for index, phrasing in enumerate(entry.questions[lang]):
                asked += 1
                if asked > limit:
                    return warnings
                reply = assistant.reply(phrasing, chosen_lang=lang, exact=False)  # as if asked in other words
                answered_by = [part.entry_id for part in reply.parts]
                if not reply.answered or entry.id in answered_by:
                    continue
                detail = message(
                    "the bot answers %(text)s with the entry %(other)s, not with this one",
                    text=quote(phrasing),
                    other=quote(answered_by[0]),
                )
                hint = message(
                    "make it more specific, or see whether the two entries answer the same question; users who ask "
                    "it in other words may get the other answer"
                )
                warnings.append(
                    _problem(entry, check.line_of(entry, lang, index), f"questions.{lang}.{index}", detail, hint)
                )
    return warnings


def vocabulary_warnings(assistant: Assistant, check: KnowledgeCheck, *, place: str = "knowledge") -> list[Problem]:
    """A synonym that the matcher reads as another group's word: the two share a stem ("informazioni" and
    "informale" are both "inform"), and the group read first keeps it, silently."""
    warnings = []
    for group, word, meaning in assistant.index.analyzer.merged:
        if group not in check.synonym_places:
            continue  # the matcher's own question words and months
        detail = message(
            "synonyms: %(word)s reads as %(other)s, not as %(group)s (the two share a stem)",
            word=quote(word),
            other=quote(meaning.removeprefix(CONCEPT_PREFIX).replace("_", " ")),
            group=quote(group[0]),
        )
        hint = message("move it to that group, or leave it out: the matcher cannot tell the two apart")
        file, line = check.synonym_places[group]
        warnings.append(Problem(file, line, detail, hint))
    return warnings


def review(check: KnowledgeCheck, assistant: Assistant, *, place: str = "knowledge") -> KnowledgeCheck:
    """`check` with the matcher's, the vocabulary's and the language warnings added; `assistant` answers from
    `check.kb`."""
    if check.kb is None:
        return check
    extra = (
        language_warnings(check.kb, check, assistant.detector)
        + vocabulary_warnings(assistant, check, place=place)
        + matcher_warnings(assistant, check, place=place)
    )
    return replace(check, warnings=tuple(in_order([*check.warnings, *extra])))


def check_knowledge(
    files: Mapping[str, bytes | str],
    *,
    build: Callable[[KnowledgeBase], Assistant] = Assistant,
    problems: tuple[Problem, ...] = (),
    place: str = "knowledge",
) -> KnowledgeCheck:
    """Everything staff should know about these files (name -> YAML): errors (the bot would refuse them) and
    warnings. `problems` and `place` as for bot.knowledge.check_files."""
    check = check_files(files, problems=problems, place=place)
    return review(check, build(check.kb), place=place) if check.kb is not None else check


def check_knowledge_directory(
    directory: str | Path, *, build: Callable[[KnowledgeBase], Assistant] = Assistant
) -> KnowledgeCheck:
    source = read_knowledge_files(directory)
    return check_knowledge(source.files, build=build, problems=source.problems, place=str(directory))

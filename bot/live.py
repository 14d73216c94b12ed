"""The assistant currently serving, swapped atomically when staff reload a valid knowledge base.

A reload reads, checks and indexes the files in a worker thread (`refresh`), so users keep getting answers from the
current version meanwhile; the loader's limits bound how long that takes. A version is identified by its content
(`KnowledgeFiles.digest`): the one serving is recorded only once it serves, and a refused one only so that staff
are told about it once. Any change to the files is a new version, tried again.

What checking and indexing a version produce comes from the assistant cache when it holds that exact version
(bot/assistant_cache.py): a restart, or a reload back to a version served before, skips the work.

At start-up, a knowledge base with errors is served from the last good version when the caller can supply one (the
database keeps it), and staff are told; with no good version at all the bot cannot start (KnowledgeError).
"""

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from bot.assistant import Assistant, Prepared
from bot.assistant_cache import AssistantCache, prepare
from bot.knowledge import (
    KnowledgeBase,
    KnowledgeCheck,
    KnowledgeError,
    KnowledgeFiles,
    Problem,
    read_knowledge_files,
)
from bot.knowledge.problems import message

log = logging.getLogger(__name__)


class ReloadOutcome(Enum):
    RELOADED = "reloaded"  # a new version serves
    UNCHANGED = "unchanged"  # the files hold the version already serving
    REFUSED = "refused"  # a new version with errors: the previous one keeps serving
    ALREADY_REFUSED = "already refused"  # the same refused version again: staff were told already


@dataclass(frozen=True)
class Refusal:
    """A version that was not served, and why."""

    digest: str
    errors: tuple[Problem, ...]
    at_startup: bool = False  # the bot started on the last good version instead


@dataclass(frozen=True)
class Reload:
    outcome: ReloadOutcome
    errors: tuple[Problem, ...] = ()
    check: KnowledgeCheck | None = None  # of the new version, when it serves
    assistant: Assistant | None = None
    digest: str | None = None  # of the new version's files, when it serves


@dataclass
class _State:
    served: KnowledgeFiles
    refusal: Refusal | None = None  # the last version refused, until one serves
    unreported: Refusal | None = None  # a refusal staff have not been told about
    lock: threading.Lock = field(default_factory=threading.Lock)  # one reload at a time (held for its duration)
    # held for a moment only: the event loop takes it
    report_lock: threading.Lock = field(default_factory=threading.Lock)


class LiveAssistant:
    """Holds the current Assistant. A request reads `current` once, so a reload never changes it mid-answer."""

    def __init__(
        self,
        directory: Path,
        build: Callable[[KnowledgeBase, Prepared | None], Assistant],
        *,
        last_good: Callable[[], Mapping[str, bytes] | None] | None = None,
        cache: AssistantCache | None = None,
        store_later: bool = False,
    ) -> None:
        """Serve the files in `directory`; if they have errors, the files `last_good()` returns (read only then).
        `build(kb, prepared)` makes the Assistant, from what `cache` (if any) kept of that knowledge base. With
        `store_later`, what start-up built goes into the cache only when `store_pending` is called (the bot calls it
        once it is answering: a start after an edit is ready sooner)."""
        self.directory = directory
        self._build = build
        self._cache = cache
        self._pending: list[Callable[[], None]] = []
        files = read_knowledge_files(directory)
        check, assistant = self._prepare(files, str(directory), store_later=store_later)
        if assistant is not None:
            self.current = assistant
            self._state = _State(files)
            return
        fallback = last_good() if last_good is not None else None
        assistant = None if fallback is None else self._prepare(KnowledgeFiles(dict(fallback)), "knowledge")[1]
        if assistant is None:
            raise KnowledgeError(list(check.errors))
        log.error(
            "the knowledge base in %s has %d error(s), first: %s; serving the last good version",
            directory,
            len(check.errors),
            check.errors[0],
        )
        self.current = assistant
        refusal = Refusal(files.digest, check.errors, at_startup=True)
        self._state = _State(KnowledgeFiles(dict(fallback or {})), refusal=refusal, unreported=refusal)

    def _prepare(
        self, files: KnowledgeFiles, place: str, *, store_later: bool = False
    ) -> tuple[KnowledgeCheck, Assistant | None]:
        later = self._pending if store_later else None
        check, prepared = prepare(files, place, cache=self._cache, store_later=later)
        return check, self._build(check.kb, prepared) if check.kb is not None else None

    def store_pending(self) -> None:
        """Put into the cache what start-up built and left for later (see `__init__`); blocking, once."""
        while self._pending:
            self._pending.pop(0)()

    @property
    def served(self) -> KnowledgeFiles:
        """The files of the version serving."""
        return self._state.served

    def reload(self, *, force: bool = False) -> Reload:
        """Read, check and swap in the files (blocking: see `refresh`). Unless `force`d, a version already serving
        or already refused is not checked again. Never raises: an unexpected failure refuses the version."""
        state = self._state
        with state.lock:
            files = read_knowledge_files(self.directory)
            digest = files.digest
            if not force and digest == state.served.digest:
                state.refusal = None  # e.g. a broken edit undone
                with state.report_lock:
                    state.unreported = None
                return Reload(ReloadOutcome.UNCHANGED)
            if not force and state.refusal is not None and digest == state.refusal.digest:
                return Reload(ReloadOutcome.ALREADY_REFUSED, state.refusal.errors)
            try:
                check, assistant = self._prepare(files, str(self.directory))  # prepare() pauses the collector
            except Exception as exc:  # a bug or MemoryError must not leave the version untried, nor staff untold
                log.exception("loading the knowledge base failed")
                failure = message("the bot could not load this version (%(error)s)", error=type(exc).__name__)
                check, assistant = KnowledgeCheck(None, (Problem(str(self.directory), 0, failure),)), None
            if assistant is None:
                state.refusal = Refusal(digest, check.errors)
                with state.report_lock:
                    state.unreported = state.refusal
                return Reload(ReloadOutcome.REFUSED, check.errors)
            self.current = assistant
            state.served, state.refusal = files, None
            with state.report_lock:
                state.unreported = None
            return Reload(ReloadOutcome.RELOADED, check=check, assistant=assistant, digest=digest)

    async def refresh(self, *, force: bool = False) -> Reload:
        """`reload` in a worker thread: users' answers go on meanwhile."""
        return await asyncio.to_thread(self.reload, force=force)

    def unreported_refusal(self) -> Refusal | None:
        """The refused version staff have not been told about yet, once: the caller tells them."""
        state = self._state
        with state.report_lock:
            refusal, state.unreported = state.unreported, None
        return refusal

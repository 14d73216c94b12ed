"""The assistant currently serving, swapped atomically when staff reload a valid knowledge base."""

from collections.abc import Callable
from pathlib import Path

from bot.assistant import Assistant
from bot.knowledge import KnowledgeBase, KnowledgeError, Problem, load_knowledge


class LiveAssistant:
    """Holds the current Assistant. A request reads `current` once, so a reload never changes it mid-answer."""

    def __init__(self, directory: Path, build: Callable[[KnowledgeBase], Assistant]) -> None:
        self.directory = directory
        self._build = build
        self.current = build(load_knowledge(directory))

    def reload(self) -> list[Problem]:
        """Load and swap in the knowledge base; on problems keep serving the old one and return them."""
        try:
            assistant = self._build(load_knowledge(self.directory))
        except KnowledgeError as exc:
            return exc.problems
        self.current = assistant
        return []

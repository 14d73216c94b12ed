"""The knowledge base: YAML files edited by staff, loaded into immutable objects."""

from bot.knowledge.loader import KnowledgeError, Problem, load_knowledge, validate
from bot.knowledge.model import LANGUAGES, SMALLTALK_TOPIC, Bilingual, Entry, KeyDate, KnowledgeBase, Source, Topic

__all__ = [
    "LANGUAGES",
    "SMALLTALK_TOPIC",
    "Bilingual",
    "Entry",
    "KeyDate",
    "KnowledgeBase",
    "KnowledgeError",
    "Problem",
    "Source",
    "Topic",
    "load_knowledge",
    "validate",
]

"""The knowledge base: YAML files edited by staff, loaded into immutable objects."""

from bot.knowledge.loader import (
    KnowledgeCheck,
    KnowledgeError,
    KnowledgeFiles,
    check_directory,
    check_files,
    load_knowledge,
    read_knowledge_files,
    validate,
)
from bot.knowledge.model import LANGUAGES, SMALLTALK_TOPIC, Bilingual, Entry, KeyDate, KnowledgeBase, Source, Topic
from bot.knowledge.problems import Message, Problem

__all__ = [
    "LANGUAGES",
    "SMALLTALK_TOPIC",
    "Bilingual",
    "Entry",
    "KeyDate",
    "KnowledgeBase",
    "KnowledgeCheck",
    "KnowledgeError",
    "KnowledgeFiles",
    "Message",
    "Problem",
    "Source",
    "Topic",
    "check_directory",
    "check_files",
    "load_knowledge",
    "read_knowledge_files",
    "validate",
]

"""Text normalisation shared by indexing and querying, so both sides see words the same way."""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from bot.matching.lexicon import ABBREVIATIONS

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_STEMMERS = {lang: snowballstemmer.stemmer(name) for lang, name in (("it", "italian"), ("en", "english"))}

#: Longer "words" are not words (a pasted hash, a key held down): they are not read.
MAX_WORD_CHARS = 40
#: Longest input the matcher reads; longer messages are cut here (the question is nearly always at the start).
MAX_ANALYSED_CHARS = 1000


def fold(text: str, limit: int = MAX_ANALYSED_CHARS) -> str:
    """Lower-case, accent-free text: 'L’Aerospazio È' -> 'l’aerospazio e'. Only the first `limit` characters."""
    text = unicodedata.normalize("NFKD", text[:limit]).casefold()
    # Accents go, and so do invisible format characters (zero-width space, soft hyphen...) that split words.
    return "".join(ch for ch in text if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf")


def words(text: str) -> list[str]:
    """Word tokens of folded text, chat shorthand spelt out ("x" -> "per", "wen" -> "when"); keeps numbers such
    as '4.0' and '2020' whole."""
    return [ABBREVIATIONS.get(token, token) for token in _TOKEN.findall(fold(text)) if len(token) <= MAX_WORD_CHARS]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A language-independent stem: the shorter of the Italian and English Snowball stems.

    Questions mix languages ("qual è la deadline?"), so a word's language is not known. Taking the shorter stem
    maps 'partecipare'/'partecipa' and 'deadline'/'deadlines' to one term whichever language they came from.
    """
    it = _STEMMERS["it"].stemWord(word)
    en = _STEMMERS["en"].stemWord(word)
    return it if len(it) <= len(en) else en

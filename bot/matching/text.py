"""Text normalisation shared by indexing and querying, so both sides see words the same way."""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

from bot.matching.lexicon import ABBREVIATIONS, MONTHS_IT

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_STEMMERS = {lang: snowballstemmer.stemmer(name) for lang, name in (("it", "italian"), ("en", "english"))}

# 31/12, 31-12-2016, 13.9.16: day first, as people in Italy and most of Europe write (not "4.0", not "2.800.000").
_NUMERIC_DATE = re.compile(r"(?<![\d./-])(\d{1,2})[/-](\d{1,2})(?:[/-](\d{4}|\d{2}))?(?![\d/-])")
#: Longer "words" are not words (a pasted hash, a key held down): they are not read.
MAX_WORD_CHARS = 40
#: Longest input the matcher reads; longer messages are cut here (the question is nearly always at the start).
MAX_ANALYSED_CHARS = 1000


def fold(text: str, limit: int = MAX_ANALYSED_CHARS) -> str:
    """Lower-case, accent-free text: 'L’Aerospazio È' -> 'l’aerospazio e'. Only the first `limit` characters."""
    return _fold(text[:limit])


# Accents go, and so do invisible format characters (zero-width space, soft hyphen...) that split words. A table of
# the Basic Multilingual Plane (where all of them are, but for a few rare tags) makes this one C-speed pass.
_DROP = {
    code: None
    for code in range(0x80, 0x10000)
    if unicodedata.combining(chr(code)) or unicodedata.category(chr(code)) == "Cf"
}


@lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    """Messages are read clause by clause, several times each: fold each text once."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text).casefold().translate(_DROP)


def words(text: str, *, shorthand: bool = True) -> list[str]:
    """Word tokens of folded text, chat shorthand spelt out ("x" -> "per", "wen" -> "when"), numeric dates as
    words ("31/12" -> "31 dicembre"), amounts as plain numbers ("350.000", "350,000", "350k", "350 mila" ->
    "350000"); keeps numbers such as '4.0' and '2020' whole. `shorthand=False` leaves chat shorthand as written."""
    folded = fold(text)
    if "/" in folded or "-" in folded:  # a numeric date needs one: most texts skip the costlier search
        folded = _NUMERIC_DATE.sub(_date_in_words, folded)
    if "mila" in folded:
        folded = _THOUSANDS_WORD.sub(r"\g<1>000", folded)
    if _ELONGATED.search(folded):  # "soooo", "grazieeee": a letter drawn out is the letter
        folded = _ELONGATED.sub(r"\1", folded)
    tokens = _TOKEN.findall(folded)
    spelt = ABBREVIATIONS.get if shorthand else _as_written
    if _DIGIT.search(folded) is None:  # most texts: no amount to read (no shorthand starts with a digit)
        return [spelt(token, token) for token in tokens if len(token) <= MAX_WORD_CHARS]
    return [
        (token[0].isdigit() and _amount(token)) or spelt(token, token)
        for token in tokens
        if len(token) <= MAX_WORD_CHARS
    ]


_DIGIT = re.compile(r"\d")
_ELONGATED = re.compile(r"([a-z])\1{2,}")


def _as_written(token: str, _: str) -> str:
    return token


_GROUPED = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")  # 350.000, 2.800.000, 350,000: one separator throughout
_KILO = re.compile(r"(\d{1,3})k")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)")
_THOUSANDS_WORD = re.compile(r"\b(\d{1,3}) ?mila\b")


def _amount(token: str) -> str | None:
    """An amount written with thousands separators or a "k", as digits; an ordinal day ("14th", "1st") as its
    number; None for anything else ("4.0", "2020")."""
    if _GROUPED.fullmatch(token):
        return token.replace(".", "").replace(",", "")
    if kilo := _KILO.fullmatch(token):
        return f"{kilo.group(1)}000"
    if ordinal := _ORDINAL.fullmatch(token):
        return ordinal.group(1)
    return None


def _date_in_words(match: re.Match[str]) -> str:
    day, month, year = int(match.group(1)), int(match.group(2)), match.group(3) or ""
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match.group(0)
    if year and len(year) == 2:
        year = "20" + year
    return f" {day} {MONTHS_IT[month - 1]} {year} "


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A language-independent stem: the shorter of the Italian and English Snowball stems.

    Questions mix languages ("qual è la deadline?"), so a word's language is not known. Taking the shorter stem
    maps 'partecipare'/'partecipa' and 'deadline'/'deadlines' to one term whichever language they came from.
    """
    it = _STEMMERS["it"].stemWord(word)
    en = _STEMMERS["en"].stemWord(word)
    return it if len(it) <= len(en) else en

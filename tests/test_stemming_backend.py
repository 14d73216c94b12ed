"""PyStemmer (snowballstemmer's C backend, installed for speed) gives the stems of the pure-Python Snowball
stemmers the matcher was tuned with, on every word of the knowledge base and of the evaluation sets."""

from pathlib import Path

import snowballstemmer
from snowballstemmer.english_stemmer import EnglishStemmer
from snowballstemmer.italian_stemmer import ItalianStemmer

from bot.matching import text
from bot.shipped import KNOWLEDGE_DIR

EVAL = Path(__file__).resolve().parent / "eval"
READABLE = ("cases.yaml", "holdout.yaml", "holdout2.yaml", "realistic_a.yaml", "realistic_b.yaml")


def test_the_c_backend_is_the_one_in_use() -> None:
    assert type(text._STEMMERS["it"]).__module__ == "Stemmer", "PyStemmer is not installed: stemming is slow"
    assert snowballstemmer.stemmer("italian").stemWord("partecipazione") == "partecip"


def test_the_c_backend_stems_as_the_python_one() -> None:
    sources = [*KNOWLEDGE_DIR.glob("*.yaml"), *(EVAL / name for name in READABLE)]
    words = sorted({w for path in sources for line in path.read_text("utf-8").splitlines() for w in text.words(line)})
    assert len(words) > 2000
    for lang, python_stemmer in (("it", ItalianStemmer()), ("en", EnglishStemmer())):
        in_use = text._STEMMERS[lang]
        assert [in_use.stemWord(w) for w in words] == [python_stemmer.stemWord(w) for w in words], lang

"""Generated knowledge bases of any size, with held-out questions the knowledge base does not contain.

Each entry has 8 phrasings per language drawn from a Zipf-distributed vocabulary around three topic words, so
common words are shared by many entries as in real text. For every entry the same process also draws phrasings
that are NOT written to the knowledge base (held-out paraphrases: other common words around the same topic
words), and some of them get a typo; off-topic questions of unknown words complete the set. Answering held-out
paraphrases is the matcher's real job, and they are new to every cache.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path

import yaml

from benchmarks.eval_questions import Question
from bot.knowledge.model import LEFTOVER

SYLLABLES = [c + v for c in "bcdfglmnprstvz" for v in "aeiou"]
PHRASINGS = 8
LANGS = ("it", "en")
ENTRIES_PER_FILE = 500
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's writer when installed: 10,000 entries in seconds


def fake_word(rng: random.Random) -> str:
    """A made-up word; never one the validator refuses as a draft's leftover ("todo")."""
    while True:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if not LEFTOVER.fullmatch(word):
            return word


def _phrasing(rng: random.Random, topic: list[str], vocabulary: list[str], cum_weights: list[float]) -> str:
    return " ".join(topic[: rng.randint(1, 3)] + rng.choices(vocabulary, cum_weights=cum_weights, k=rng.randint(3, 6)))


def _paraphrase(
    rng: random.Random, topic: list[str], phrasings: list[str], vocabulary: list[str], cum_weights: list[float]
) -> str:
    """Another way to ask for the entry: its topic words and some of the words of its phrasings, in another
    order, with other common words around them; never one of the phrasings themselves."""
    own = sorted({w for p in phrasings for w in p.split()} - set(topic))
    while True:
        words = topic[: rng.randint(2, 3)] + rng.sample(own, min(len(own), rng.randint(2, 4)))
        words += rng.choices(vocabulary, cum_weights=cum_weights, k=rng.randint(0, 2))
        rng.shuffle(words)
        text = " ".join(words)
        if text not in phrasings:
            return text


def _with_typo(rng: random.Random, text: str) -> str:
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) > 4]
    if long_words:
        i = rng.choice(long_words)
        cut = rng.randrange(1, len(words[i]) - 1)
        words[i] = words[i][:cut] + words[i][cut + 1 :]  # a dropped letter
    return " ".join(words)


def generate_knowledge(folder: Path, entries: int, seed: int = 7) -> list[Question]:
    """Write a valid knowledge base of `entries` entries into `folder` (created); return one held-out
    paraphrase per entry and language, and one off-topic question per ten entries, shuffled."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    held_rng = random.Random(seed + 1)  # a separate stream: the knowledge base is the same whatever is held out
    vocabulary = {lang: [fake_word(rng) for _ in range(max(2000, entries * 3))] for lang in LANGS}
    # Zipf weights, cumulated once (random.choices would add them up again on every call)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary["it"]))))
    held_out: list[Question] = []
    (folder / "sources.yaml").write_text(
        yaml.dump({"sources": [{"id": "generated", "title": {"it": "Generata", "en": "Generated"}}]}, Dumper=DUMPER),
        encoding="utf-8",
    )
    for start in range(0, entries, ENTRIES_PER_FILE):
        items = []
        for number in range(start, min(entries, start + ENTRIES_PER_FILE)):
            topic = {lang: rng.choices(vocabulary[lang], cum_weights=weights, k=3) for lang in LANGS}
            questions = {
                lang: [_phrasing(rng, topic[lang], vocabulary[lang], weights) for _ in range(PHRASINGS)]
                for lang in LANGS
            }
            for lang in LANGS:
                text = _paraphrase(held_rng, topic[lang], questions[lang], vocabulary[lang], weights)
                held_out.append(Question(_with_typo(held_rng, text) if held_rng.random() < 0.5 else text, lang))
            items.append(
                {
                    "id": f"entry-{number}",
                    "questions": questions,
                    "answer": {"it": f"Risposta {number}.", "en": f"Answer {number}."},
                    "sources": ["generated"],
                }
            )
        document = {"topic": {"id": f"topic-{start // 500}", "title": {"it": "Tema", "en": "Topic"}}, "entries": items}
        (folder / f"topic-{start // ENTRIES_PER_FILE:03d}.yaml").write_text(
            yaml.dump(document, Dumper=DUMPER, allow_unicode=True), encoding="utf-8"
        )
    for index in range(max(1, entries // 10)):
        words = " ".join(fake_word(held_rng) + "x" for _ in range(held_rng.randint(3, 8)))
        held_out.append(Question(words, LANGS[index % 2]))
    held_rng.shuffle(held_out)
    return held_out


def write_held_out(path: Path, questions: list[Question]) -> None:
    path.write_text(json.dumps([[q.text, q.lang] for q in questions], ensure_ascii=False), encoding="utf-8")


def read_held_out(path: Path) -> list[Question]:
    return [Question(text, lang) for text, lang in json.loads(path.read_text(encoding="utf-8"))]


def prepare(workdir: Path, entries: int) -> tuple[Path, Path]:
    """A generated knowledge base in workdir/knowledge-N and its held-out questions beside it."""
    folder = workdir / f"knowledge-{entries}"
    held = workdir / f"held-out-{entries}.json"
    write_held_out(held, generate_knowledge(folder, entries))
    return folder, held


_EN_VALUE = re.compile(r"^(\s+en: )([^'\"\n].*)$", re.MULTILINE)


def stamp_edition(folder: Path, edition: str) -> None:
    """Change the knowledge base's content (the English title of its first source gets an edition mark), so that
    anything keyed by the content (an index cache) sees a new knowledge base: what staff saving a file does."""
    path = folder / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r" \[edition [^\]]*\]$", "", text, count=0, flags=re.MULTILINE)
    stamped, count = _EN_VALUE.subn(lambda m: f"{m.group(1)}{m.group(2)} [edition {edition}]", text, count=1)
    if count != 1:
        raise SystemExit(f"{path}: no unquoted English title to stamp")
    path.write_text(stamped, encoding="utf-8")

"""Questions for the benchmarks: what people wrote, never the knowledge base's own phrasings.

The defaults are the realistic evaluation sets A and B and the shared development set. The held-out sets
(sealed*.yaml, and the validation sets realistic_c.yaml and realistic_i.yaml) are never read: a benchmark has no
business looking at them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = (
    ROOT / "tests" / "eval" / "realistic_a.yaml",
    ROOT / "tests" / "eval" / "realistic_b.yaml",
    ROOT.parent / "shared" / "eval" / "dev.yaml",
)
HELD_OUT_NAMES = "sealed*.yaml, realistic_c.yaml, realistic_i.yaml"


def held_out(path: Path) -> bool:
    """The sets that measure the result and never make it: each sealed set, and the validation sets C and I."""
    return path.name.startswith("sealed") or path.name in ("realistic_c.yaml", "realistic_i.yaml")


@dataclass(frozen=True)
class Question:
    text: str
    lang: str  # it | en: the language it is written in


def load_questions(paths: tuple[Path, ...] | list[Path] = DEFAULT_SETS) -> list[Question]:
    """The distinct `q` fields of the files, in file order; refuses the held-out sets."""
    found: list[Question] = []
    seen: set[str] = set()
    for path in paths:
        if held_out(path):
            raise SystemExit(f"{path} is a held-out evaluation set: benchmarks never read it")
        if not path.is_file():
            raise SystemExit(f"questions file not found: {path}")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        cases = data.get("cases", []) if isinstance(data, dict) else data
        for case in cases:
            text = case.get("q") if isinstance(case, dict) else None
            if isinstance(text, str) and text.strip() and text not in seen:
                seen.add(text)
                found.append(Question(text, case.get("lang") or "it"))
    if not found:
        raise SystemExit("no questions in " + ", ".join(map(str, paths)))
    return found

"""A change to the knowledge folder as whole files: checked on a copy first, written safely, reversible.

A `Change` holds, for each file it touches, the text it had when the change was prepared (`before`, None for a new
file) and the text it will have (`after`, None to delete it). That is all the safety needs:
- check: the folder's files are read as a reload reads them, the change is applied to them in memory and they are
  checked by the bot's own loader (`check_files`, what every reload runs), so what passes is exactly what the bot
  will serve, and problems name the real files. Nothing is written to check a change.
- concurrent edits: when it is written, every file must still read `before`; if staff edited one by hand (or
  another change came first) nothing is written and the caller says so (`StaleChange`).
- no half-written file: each file is written to a temporary file beside it, flushed to disk, then renamed over it.
- undo: the reverse change swaps `before` and `after`, and is checked and written the same way.
"""

import contextlib
import difflib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import KnowledgeCheck, KnowledgeError, check_files, read_knowledge_files

YAML_SUFFIXES = (".yaml", ".yml")
TEMP_SUFFIX = ".writing"  # not a YAML suffix: the loader and the file watch never read a file half-written


def yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())


def read_folder(directory: Path) -> dict[str, str]:
    """File name -> text of every YAML file in the folder (the state a change is prepared against)."""
    return {path.name: path.read_text(encoding="utf-8") for path in yaml_files(directory)}


class StaleChange(Exception):
    """Files changed since the change was prepared; nothing was written. `files` names them."""

    def __init__(self, files: list[str]) -> None:
        self.files = files
        super().__init__("changed since the change was prepared: " + ", ".join(files))


@dataclass(frozen=True)
class FileChange:
    name: str  # a file name in the knowledge folder, no directories
    before: str | None  # None: the file does not exist yet
    after: str | None  # None: the change deletes the file

    def __post_init__(self) -> None:
        if Path(self.name).name != self.name or not self.name.endswith(YAML_SUFFIXES) or self.name.startswith("."):
            raise ValueError(f"not a knowledge file name: {self.name!r}")


@dataclass(frozen=True)
class Change:
    files: tuple[FileChange, ...]

    @classmethod
    def between(cls, before: Mapping[str, str], after: Mapping[str, str | None]) -> "Change":
        """The files of `after` whose text differs from `before` (None deletes)."""
        return cls(
            tuple(
                FileChange(name, before.get(name), text)
                for name, text in sorted(after.items())
                if before.get(name) != text
            )
        )

    @property
    def empty(self) -> bool:
        return not self.files

    def reversed(self) -> "Change":
        return Change(tuple(FileChange(f.name, f.after, f.before) for f in self.files))

    def touched_lines(self) -> dict[str, set[int]]:
        """File name -> the lines (1-based) of its new text that the change wrote: where its warnings belong."""
        touched: dict[str, set[int]] = {}
        for file in self.files:
            if file.after is None:
                continue
            before, after = (file.before or "").splitlines(), file.after.splitlines()
            matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
            touched[file.name] = {
                line + 1
                for tag, _, _, start, end in matcher.get_opcodes()
                if tag in ("replace", "insert")
                for line in range(start, end)
            }
        return touched

    def to_json(self) -> str:
        return json.dumps([[f.name, f.before, f.after] for f in self.files], ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Change":
        return cls(tuple(FileChange(name, before, after) for name, before, after in json.loads(text)))


def stale_files(directory: Path, change: Change) -> list[str]:
    """The files that no longer read as the change expects."""
    stale = []
    for file in change.files:
        path = directory / file.name
        try:
            current: str | None = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        except (OSError, UnicodeDecodeError):
            current = "\0unreadable"
        if current != file.before:
            stale.append(file.name)
    return stale


def check_change(directory: Path, change: Change) -> KnowledgeCheck:
    """The knowledge base the folder would hold after the change, with its warnings; raises KnowledgeError (root
    causes first, in the real files' names) when it would not be valid. The folder is not touched."""
    source = read_knowledge_files(directory)
    files: dict[str, bytes | str] = dict(source.files)
    for file in change.files:
        key = str(directory / file.name)  # read_knowledge_files names files by their path
        if file.after is None:
            files.pop(key, None)
        else:
            files[key] = file.after
    check = check_files(files, problems=source.problems, place=str(directory))
    if check.kb is None:
        raise KnowledgeError(list(check.errors))
    return check


def write_change(directory: Path, change: Change) -> None:
    """Write the change, or raise StaleChange and write nothing. Each file is replaced whole (temporary file,
    flushed, renamed), all the new texts are on disk before the first rename, and the renames follow each other
    at once, so a reader sees each file either before or after, never half-written."""
    stale = stale_files(directory, change)
    if stale:
        raise StaleChange(stale)
    staged: list[tuple[Path, Path]] = []
    try:
        for file in change.files:
            if file.after is None:
                continue
            target = directory / file.name
            handle, name = tempfile.mkstemp(prefix=f".{file.name}.", suffix=TEMP_SUFFIX, dir=directory)
            temporary = Path(name)
            staged.append((temporary, target))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.write(file.after)
                out.flush()
                os.fsync(out.fileno())
            if target.exists():
                shutil.copymode(target, temporary)
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, target in staged:
        os.replace(temporary, target)
    for file in change.files:
        if file.after is None:
            (directory / file.name).unlink(missing_ok=True)
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make the renames durable (POSIX); not available everywhere, and not needed for correctness."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

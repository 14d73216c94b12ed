"""A knowledge base made ready to serve, kept on disk, so that a restart or a reload of the same files skips the
slow part: reading and checking the YAML, building the match index and the language model.

An entry is keyed by everything its content follows from: the files' exact content (`KnowledgeFiles.digest`), the
bot's code (every source file of the `bot` package), the versions of the libraries that read, check and index
(PyYAML and libyaml, pydantic, numpy, rapidfuzz, the stemmers, the stop-word lists), Python's version, and the
scoring settings. Any change to any of them is another key, so a stored entry is never served for other files or
other code: a changed knowledge base or an upgraded bot simply builds (and stores) again. Only valid knowledge bases
are stored; a version with errors is checked every time.

Entries are pickles, and unpickling runs code, so they are read only from a private directory: created by the bot
(mode 0700) or else owned by the bot's user and closed to everyone else; each file owned by that user, no symlink
followed, its length, key and SHA-256 checksum verified before anything is unpickled. Whoever could write there could
already change the bot's own code. Anything wrong (another user's folder, a torn write, a checksum mismatch, an old
format) means building from the files, as without a cache; only the few most recent entries are kept.
"""

import contextlib
import functools
import hashlib
import importlib.metadata
import logging
import os
import pickle
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.assistant import Prepared
from bot.collector import collector_paused
from bot.config import Config
from bot.knowledge import KnowledgeCheck, KnowledgeFiles, check_files
from bot.matching.index import ScoringSettings

log = logging.getLogger(__name__)

FORMAT = b"escp-s3 assistant cache 1\n"
SUFFIX = ".ready"
#: Entries kept: the version serving, and a couple before it (an edit undone, a restart on the last good version).
KEEP = 3
#: An entry is a few MB for the shipped knowledge base, about 40 MB at 10,000 entries; past this it is not read.
MAX_ENTRY_BYTES = 1 << 30
_CHECKSUM_BYTES = 64  # the SHA-256 of the payload, in hex, at the end of the file
#: Libraries whose version changes what reading, checking or indexing produce.
_LIBRARIES = (
    "PyYAML",
    "pydantic",
    "pydantic-core",
    "numpy",
    "rapidfuzz",
    "snowballstemmer",
    "PyStemmer",
    "stopwordsiso",
)


@dataclass(frozen=True)
class Ready:
    """A valid knowledge base checked and prepared: what the cache stores."""

    check: KnowledgeCheck
    prepared: Prepared


@functools.cache
def code_version() -> str:
    """Identifies the code that reads, checks and indexes: the bot's sources, the libraries, Python."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(f"{path.relative_to(package).as_posix()}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    for name in _LIBRARIES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{name}={version}\0".encode())
    digest.update(f"libyaml={yaml.__with_libyaml__}\0{sys.version}\0{sys.implementation.cache_tag}".encode())
    return digest.hexdigest()


def configured_cache(config: Config) -> "AssistantCache | None":
    return AssistantCache(config.cache_dir) if config.cache_dir is not None else None


def prepare(
    files: KnowledgeFiles,
    place: str,
    *,
    cache: "AssistantCache | None" = None,
    scoring: ScoringSettings | None = None,
    store_later: list[Callable[[], None]] | None = None,
) -> tuple[KnowledgeCheck, Prepared | None]:
    """The files checked, and prepared for an Assistant when valid: from `cache` when it holds them, else built
    (and then stored in `cache`, or, with `store_later`, the store appended to it for the caller to run when it is
    not in a hurry: at 10,000 entries it takes about 0.4 s)."""
    started = time.perf_counter()
    with collector_paused():
        if cache is not None:
            key = cache.key(files, place, scoring)
            ready = cache.load(key)
            if ready is not None:
                log.debug("knowledge base %s read from the cache in %.2f s", place, time.perf_counter() - started)
                return ready.check, ready.prepared
        check = check_files(files.files, problems=files.problems, place=place)
        if check.kb is None:
            return check, None
        prepared = Prepared.build(check.kb, scoring)
    log.debug("knowledge base %s checked and indexed in %.2f s", place, time.perf_counter() - started)
    if cache is not None:
        store = functools.partial(cache.store, key, Ready(check, prepared))
        if store_later is None:
            store()
        else:
            store_later.append(store)
    return check, prepared


class AssistantCache:
    """Prepared knowledge bases in `directory` (created, private, when missing)."""

    def __init__(self, directory: Path, *, keep: int = KEEP) -> None:
        self.directory = directory
        self.keep = keep
        self._refused = False  # the folder is not private: said once

    def key(self, files: KnowledgeFiles, place: str, scoring: ScoringSettings | None = None) -> str:
        digest = hashlib.sha256(FORMAT)
        for part in (code_version(), repr(scoring or ScoringSettings()), place, files.digest):
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()

    def load(self, key: str) -> Ready | None:
        """The entry stored under `key`, or None (also when anything about it is not as this class writes it)."""
        folder = self._open_folder(create=False)
        if folder is None:
            return None
        try:
            data = _read_private(folder, key + SUFFIX)
            if data is None:
                return None
            ready = _decode(data, key)
            if ready is None:
                log.warning("the cached knowledge base %s is damaged: building it again", key[:12])
                with contextlib.suppress(OSError):
                    os.unlink(key + SUFFIX, dir_fd=folder)
                return None
            with contextlib.suppress(OSError):
                os.utime(key + SUFFIX, dir_fd=folder)  # most recently used: kept longest
            return ready
        finally:
            os.close(folder)

    def store(self, key: str, ready: Ready) -> None:
        """Keep `ready` under `key`, then forget all but the most recent entries. A failure is logged, never raised:
        the bot serves the same without its cache."""
        folder = self._open_folder(create=True)
        if folder is None:
            return
        temporary = f".{key}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=folder)
            with open(descriptor, "wb") as handle:
                writer = _ChecksummedWriter(handle)
                handle.write(FORMAT + key.encode() + b"\n")
                pickle.dump(ready, writer, protocol=pickle.HIGHEST_PROTOCOL)
                handle.write(writer.digest.hexdigest().encode())
            os.replace(temporary, key + SUFFIX, src_dir_fd=folder, dst_dir_fd=folder)
            self._forget_old(folder)
        except Exception as exc:  # a full disk, a value that does not pickle: never worth stopping the bot for
            log.warning("could not keep the prepared knowledge base in %s: %s", self.directory, exc)
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
        finally:
            os.close(folder)

    def _forget_old(self, folder: int) -> None:
        entries = []
        for name in os.listdir(folder):
            if name.endswith(SUFFIX) or name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    entries.append((os.stat(name, dir_fd=folder, follow_symlinks=False).st_mtime_ns, name))
        stored = sorted((e for e in entries if e[1].endswith(SUFFIX)), reverse=True)
        for _, name in stored[self.keep :]:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=folder)

    def _open_folder(self, *, create: bool) -> int | None:
        """A descriptor of the cache folder if it is private to this user, else None."""
        if create:
            try:
                self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                log.warning("cannot create the cache folder %s: %s", self.directory, exc)
                return None
        try:
            folder = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            return None  # not there yet (or not a folder): nothing cached
        info = os.fstat(folder)
        if info.st_uid != os.geteuid() or info.st_mode & 0o077:
            os.close(folder)
            if not self._refused:
                self._refused = True
                log.warning(
                    "not using the cache folder %s: it must belong to this user and be private (chmod 700)",
                    self.directory,
                )
            return None
        return folder


class _ChecksummedWriter:
    """A file to write to that also hashes what goes through it."""

    def __init__(self, handle: object) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self._handle.write(data)  # type: ignore[attr-defined]


def _read_private(folder: int, name: str) -> bytes | None:
    """The file's bytes if it is a regular file of this user's, private, not a link, and not too big."""
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
    except OSError:
        return None
    with open(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            return None
        if info.st_size > MAX_ENTRY_BYTES:
            return None
        return handle.read(MAX_ENTRY_BYTES + 1)


def _decode(data: bytes, key: str) -> Ready | None:
    header = FORMAT + key.encode() + b"\n"
    if len(data) < len(header) + _CHECKSUM_BYTES or not data.startswith(header):
        return None
    payload = memoryview(data)[len(header) : -_CHECKSUM_BYTES]
    if hashlib.sha256(payload).hexdigest().encode() != data[-_CHECKSUM_BYTES:]:
        return None
    try:
        ready = pickle.loads(payload)
    except Exception:  # written by this class and checksummed, so only a code mismatch the key missed
        return None
    return ready if isinstance(ready, Ready) and ready.check.kb is not None else None

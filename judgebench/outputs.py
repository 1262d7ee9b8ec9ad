"""Writing output files so that a crash or a full disk never leaves a half-written file in place of a good one.

Each file is written to a temporary file in the same directory, flushed to disk, then renamed over the
target (`os.replace` is atomic on POSIX within one file system): a reader sees the old file or the new one,
never a mixture. The file gets the permissions a plain `open()` would give a new file (0o666 less the umask,
so -rw-r--r-- under the usual umask 022), not tempfile's private 0o600: a leaderboard or report copied to a
web root must stay readable. Failures become one `StorageError` naming the file and what to do. `json_safe` turns
figures into what `json.dumps(..., allow_nan=False)` accepts, for every JSON file judgebench writes;
`spreadsheet_cell` keeps leaderboard.csv's text cells from being run as formulas.
"""

from __future__ import annotations

import errno
import math
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from judgebench.errors import ConfigError, StorageError

T = TypeVar("T")

_REMEDIES = {
    errno.ENOSPC: "the disk is full: free some space",
    errno.EDQUOT: "the disk quota is exhausted: free some space",
    errno.EROFS: "the file system is read-only: choose another directory",
    errno.EACCES: "permission denied: choose a directory you can write to",
    errno.EPERM: "permission denied: choose a directory you can write to",
    errno.EISDIR: "it is a directory: give a file path",
    errno.EFBIG: "the file would exceed the largest file this process may write (`ulimit -f`) or the file system "
                 "holds: raise that limit or choose another directory",
    errno.ENOTDIR: "part of its path is a file, not a directory (a file was put in a folder's place): remove or "
                   "rename that file",
}


def remedy(error: OSError) -> str:
    """What an OSError means for the user and what to do about it (the system's own words and the advice to
    fix that when there is no better one)."""
    return _REMEDIES.get(error.errno or 0, f"the system said '{error.strerror or error}': fix that")


def storage_error(error: OSError, path: str | Path, doing: str) -> StorageError:
    """A StorageError for an OSError met while `doing` something to `path`, with what to do about it."""
    return StorageError(f"cannot {doing} {path}: {remedy(error)}, then run the same command again")


FILE_SUFFIXES = (".csv", ".json", ".jsonl", ".md", ".html", ".htm", ".parquet", ".txt", ".xml", ".png", ".svg")
"""Suffixes of files judgebench reads or writes: a directory to create with one is a file path given by mistake."""


def prepare_directory(path: str | Path, what: str = "output directory", *, named_like_a_file: bool = False) -> Path:
    """Create `path` as a directory (and its parents) and check that files can be created in it.

    Called before any judge call, so that a bad --out is a usage error at start, not after the judging:
    a path that is a file, a parent that is a file, a directory that cannot be written to, or a new one named
    like a file (`FILE_SUFFIXES`: `--out leaderboard.csv` made a folder of that name), unless the user named it
    a directory (`named_like_a_file`: `report --out site.html/`).
    """
    directory = Path(path)
    try:
        if not named_like_a_file and not directory.exists() and directory.suffix.lower() in FILE_SUFFIXES:
            raise ConfigError(f"the {what} {directory} names a file, and a directory is needed (the files are "
                              f"written into it): choose a directory path, such as {directory.with_suffix('')}")
        if directory.exists() and not directory.is_dir():
            raise ConfigError(f"the {what} {directory} is a file, not a directory: choose a directory path")
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except NotADirectoryError:
        raise ConfigError(f"the {what} {directory} cannot be created: part of its path is a file") from None
    except OSError as error:
        raise ConfigError(f"the {what} {directory} cannot be written: {remedy(error)}") from None
    return directory


def prepare_file(path: str | Path, what: str, example: str) -> Path:
    """Check, before any judge call, that an output file can be written at `path`: not a directory (one that
    exists, or a path ending in a slash, which names one), and its folder created and writable. `path` is what
    the user typed (a `Path` drops a trailing slash); `what` names the file in messages ("--json") and `example`
    is a file name to suggest in a directory ("check.json"). A problem is a ConfigError (exit 2) naming the path.
    "-" is refused, not taken for a file of that name: it reads as standard output.
    """
    text = str(path)
    target = Path(text)
    if text == "-":  # the Unix name of standard output, which carries the command's own summary
        raise ConfigError(f"{what} - would be a file named '-': give a file path, such as {example} (the summary "
                          "is printed on standard output)")
    if text.endswith(("/", os.sep)) or target.is_dir():
        raise ConfigError(f"{what} {text} is a directory: give a file path, such as {target / example}")
    prepare_directory(target.parent, f"folder of {what}")
    return target


@contextmanager
def left_as_found(*folders: str | Path | None) -> Iterator[None]:
    """Remove again, when the block raises, the folders among `folders` (None: none) and their parents that did
    not exist before it and are still empty: a command that prepared its output folders (`prepare_directory`,
    before any judge call) and then refused its input left them behind, empty."""
    made = [(Path(folder), _highest_missing(Path(folder))) for folder in folders if folder is not None]
    try:
        yield
    except BaseException:
        for path, highest in made:
            while highest is not None and removed_if_empty(path) and path != highest:
                path = path.parent
        raise


def _highest_missing(folder: Path) -> Path | None:
    """The highest of `folder` and its parents that does not exist (None when `folder` exists, or when a path
    cannot be looked at: a name too long is `prepare_directory`'s to refuse)."""
    highest = None
    try:
        for path in (folder, *folder.parents):
            if path.exists():
                break
            highest = path
    except OSError:
        return None
    return highest


def removed_if_empty(folder: str | Path) -> bool:
    """Remove `folder` if it is an empty directory; whether it did."""
    try:
        Path(folder).rmdir()  # only if empty
    except OSError:
        return False
    return True


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8",
                newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside `path` for writing; on success it replaces `path` at once.

    On any error the temporary file is removed and `path` is left as it was; an OSError becomes a
    StorageError naming `path`.
    """
    target = Path(path)
    binary = "b" in mode
    try:
        descriptor, temporary = create_beside(target, _new_file)
    except OSError as error:
        raise storage_error(error, target, "write") from None
    try:
        with os.fdopen(descriptor, mode, encoding=None if binary else encoding,
                       newline=None if binary else newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as error:
        _remove(temporary)
        raise storage_error(error, target, "write") from None
    except BaseException:
        _remove(temporary)
        raise


def create_beside(target: Path, create: Callable[[str], T], suffix: str = ".tmp") -> tuple[T, str]:
    """Create a new, uniquely named temporary file or directory beside `target` with `create(name)`, which
    must fail with FileExistsError when `name` exists; returns what `create` returned and the name.

    `create` gives the mode a plain `open()` or `mkdir()` would, 0o666 or 0o777, which the kernel reduces by
    the umask (tempfile's mkstemp and mkdtemp use 0o600 and 0o700: outputs readable by their owner only);
    O_EXCL (for files) and a random name never reuse something that someone else created.
    """
    for _ in range(tempfile.TMP_MAX):
        name = str(target.parent / f".{target.name}.{secrets.token_hex(4)}{suffix}")
        try:
            return create(name), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary name", str(target.parent))


def _new_file(name: str) -> int:
    """Create the file `name` for writing (it must not exist), with the mode `open(name, "w")` gives."""
    return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically; returns the path."""
    with atomic_open(path) as handle:
        handle.write(text)
    return Path(path)


def json_safe(value: Any) -> Any:
    """`value` made JSON-ready: mappings to dicts with str keys, lists and tuples to lists, numpy scalars to
    Python numbers, NaN and infinities to None (JSON has no NaN; null says "not defined"); nested values are
    converted too, anything else is returned as it is.

    One converter for leaderboard.json, diagnostics.json and the check's JSON, so that the same figure is written
    the same way in each.
    """
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


# A text cell a spreadsheet runs as a formula (or DDE command) begins with one of = + - @, a tab or a carriage
# return (OWASP, "CSV Injection").
_FORMULA_START = re.compile(r"[=+\-@\t\r]")


def spreadsheet_cell(value: Any) -> Any:
    """A cell of a CSV file judgebench writes for people to open (leaderboard.csv) that a spreadsheet shows as
    text: a string beginning with a formula's first character gets a leading `'` (OWASP's advice for CSV
    injection: a model named `=HYPERLINK(...)` ran as a formula when leaderboard.csv was opened); numbers, and
    other text, are written as they are, so a negative rating stays a number. judgebench never reads such a
    file back (its own files are leaderboard.json and judgments.jsonl), and its CSV reader takes every cell as
    written: a questions file's `'+' or join?` is that prompt."""
    return "'" + value if isinstance(value, str) and _FORMULA_START.match(value) else value


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def prepare_appended(path: str, what: str) -> Path:
    """Check that text can be appended to the file `path` (created if missing, as appending would); a ConfigError
    naming `what` (an environment variable) and the path when not; the path when it can."""
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as error:
        raise ConfigError(f"{what} is {path}, which cannot be written ({error.strerror or error}): point it at a "
                          "file this job can write, or unset it to skip that output") from None
    return Path(path)


def append_text(path: str, text: str) -> None:
    """Append `text` to the file `path`; a StorageError (exit 5) naming it when that fails (disk full...)."""
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise storage_error(error, path, "append to") from None

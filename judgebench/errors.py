"""Errors a user can cause, each carrying the message to show and the exit code to end with.

Library code raises these (third-party exceptions are converted where they enter, as httpx does); the CLI
catches `JudgebenchError` and prints its message alone (no traceback); anything else is a bug.

Exit codes (DESIGN.md, "Conventions"):

- 0 success;
- 1 regression found (`judgebench check`);
- 2 usage or input error (bad flag, setting, file, unknown model...), caught before any judge call where it can be;
- 3 the run finished with failed games, or with no verdict at all;
- 4 undecided (`judgebench check`);
- 5 the store or an output file could not be written (disk full, read-only, locked): judgments already stored
  are kept, and the same command can be run again once the cause is fixed;
- 70 an internal error, a bug in judgebench (sysexits' EX_SOFTWARE): one line on stderr names the exception and
  the file holding its traceback, so that `check`'s 1 always means a regression;
- 130 stopped by Ctrl-C (SIGINT), 143 stopped by SIGTERM: 128 + the signal's number, as for a process the signal
  ended (what was judged is stored);
- 141 the output was closed before it was all written (`judgebench check ... | head`), as for a process killed
  by SIGPIPE (128 + 13): the command's work is done and stored, only its printout was cut.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from typing import Any

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_FAILED_GAMES = 3
EXIT_UNDECIDED = 4
EXIT_STORAGE = 5
EXIT_BUG = 70
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_OUTPUT_CLOSED = 141


def stopped_exit_code(signum: int | None) -> int:
    """The exit code of a command stopped by `signum`: 143 after SIGTERM (a service manager's stop), else 130
    (Ctrl-C), 128 + the signal's number as for a process the signal ended."""
    return EXIT_TERMINATED if signum == signal.SIGTERM else EXIT_INTERRUPTED


class JudgebenchError(Exception):
    """A problem the user can fix; `str(error)` says what happened and what to do."""

    exit_code = EXIT_USAGE


class InputError(JudgebenchError):
    """Bad questions, answers or outcomes: the message names the file, line and field.

    Its parts stay attributes (`message` without the place, `hint`), so that a reader who knows more of the
    cause (`datasets.load_dataset`: files in another format than detected, or given in each other's place) can
    raise it again with a better hint."""

    def __init__(self, message: str, *, path: object | None = None, line: int | None = None,
                 field: str | None = None, hint: str | None = None):
        where = ""
        if path is not None:
            where = str(path) + (f":{line}" if line is not None else "")
        parts = [p for p in (where, f"field '{field}'" if field else "", message) if p]
        text = ": ".join(parts)
        if hint:
            text += f" ({hint})"
        super().__init__(text)
        self.message, self.path, self.line, self.field, self.hint = message, path, line, field, hint


class ConfigError(JudgebenchError):
    """A bad configuration file or command-line setting."""


class EngineError(JudgebenchError):
    """A judge engine cannot be used at all (bad key, unknown model, unreachable server, missing extra).

    Raised immediately and stops the run; judgments already stored stay stored.
    """


class UnusableJudge(EngineError):
    """The judge answered none of the first games sent, each of which failed (the HTTP engine's early check):
    `keys`, the failed games' requests; `problem`, the most frequent error; `refused_as_sent`, whether the judge
    refused every one of them as sent (`engines.base.failing_as_sent`). A caller that knows those games (the
    runner: games the judge had refused as sent before, asked again) can say more than the engine can."""

    def __init__(self, message: str, *, keys: Sequence[str], problem: str, refused_as_sent: bool):
        super().__init__(message)
        self.keys, self.problem, self.refused_as_sent = frozenset(keys), problem, refused_as_sent


class StorageError(JudgebenchError):
    """The store or an output file cannot be written (disk full, read-only, locked, a directory in the way).

    Raised the moment a write fails; the run stops sending, judgments already committed stay in the store.
    """

    exit_code = EXIT_STORAGE


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a judging call of the Python API (`evaluate`, `evaluate_gold`, `gate`) once it
    had begun. Every answer received is stored, so the same call again continues; `result` is what the call
    returns otherwise, marked stopped (its `exit_code` is 130 or 143). A KeyboardInterrupt, so that the loop
    or notebook cell around the call stops as Ctrl-C stops them; returning the stopped result instead let a
    loop of evaluations go on after each Ctrl-C."""

    def __init__(self, result: Any, signum: int | None = None):
        super().__init__(f"stopped (exit code {result.exit_code}); what was judged is stored, and the same call "
                         "again continues")
        self.result, self.signum = result, signum  # SIGINT or SIGTERM, as `runner.Stopped` carries it

    def __reduce__(self) -> tuple[type[Interrupted], tuple[Any, int | None]]:
        """Pickled with its arguments (a process pool sends it back to its parent): the message is made from them."""
        return type(self), (self.result, self.signum)


def first_few(names: Sequence[str], shown: int) -> str:
    """The first `shown` of `names`, then how many more there are ("a, b, c and 4 more"): how a message or a
    warning names a long list (files' columns, models, question ids) without burying what it says."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")

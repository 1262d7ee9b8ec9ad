"""Errors a user can cause, each carrying the message to show and the exit code to end with.

The CLI catches `JudgebenchError` and prints its message alone (no traceback); anything else is a bug.
Exit codes follow DESIGN.md: 0 success, 1 regression found, 2 usage or input error, 3 failed games.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_FAILED_GAMES = 3


class JudgebenchError(Exception):
    """A problem the user can fix; `str(error)` says what happened and what to do."""

    exit_code = EXIT_USAGE


class InputError(JudgebenchError):
    """Bad questions, answers or outcomes: the message names the file, line and field."""

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
        self.path, self.line, self.field, self.hint = path, line, field, hint


class ConfigError(JudgebenchError):
    """A bad configuration file or command-line setting."""


class EngineError(JudgebenchError):
    """A judge engine cannot be used at all (bad key, unknown model, unreachable server, missing extra).

    Raised immediately and stops the run; judgments already stored stay stored.
    """

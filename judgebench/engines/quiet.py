"""A readable terminal while a local engine runs: engine output goes to a log file, the user sees status lines.

vLLM, torch, transformers and tqdm write log lines, warnings, progress bars and (from vLLM's engine
process) whole tracebacks straight to file descriptors 1 and 2, often from child processes that inherit
them. Redirecting `sys.stdout` is not enough, so `capture_engine_output` redirects the descriptors
themselves (`os.dup2`) to `engine.log` for as long as the run lasts: everything printed by this process,
its Python logging and warnings, and every process it starts lands in the log. The application's own
output goes through the `Terminal` it returns, whose rich consoles write to duplicates of the original
descriptors taken before the redirection, so the plan, the progress bar and the leaderboard still reach
the terminal. With `verbose`, the captured output is also copied to the terminal as it arrives.

Engine code announces its slow phases with the module-level `phase(...)` (for example
`starting judge SmolLM2-135M-Instruct on vLLM (CPU) ... ready in 21 s`); outside a capture, or in one
that shows nothing (the library's: `evaluate` prints nothing), it prints nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from rich.console import Console

ENGINE_LOG = "engine.log"


class TerminalConsole(Console):
    """rich's Console for the application's output, except on a pipe its reader closed (`judgebench check
    ... | head`): rich then exits 1, which `check` uses for a regression; this raises BrokenPipeError, which
    the CLI ends with exit 141 (cli.reports_errors)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


@dataclass
class Terminal:
    """Where the application's own output goes while engine output is captured.

    `out` and `err` are rich consoles on the terminal's standard output and error (use `err` for the
    progress bar: phase lines are printed there too, above the bar); `log_path` is the engine log, or
    None when nothing is captured.
    """

    out: Console
    err: Console
    log_path: Path | None = None
    log_start: int = 0  # where this capture's part of the log begins (runs into one directory append to it)

    @contextlib.contextmanager
    def phase(self, label: str, done: str = "done") -> Iterator[None]:
        """Show `label ...` with a spinner while the block runs, then one line `label ... done in N s`."""
        started = time.monotonic()
        with self.err.status(f"{label} ..."):
            yield
        self.err.print(f"{label} ... {done} in {time.monotonic() - started:.0f} s", highlight=False)


A = TypeVar("A")


@dataclass(frozen=True)
class CallerOutput:
    """What the caller of a library call prints from its callbacks (`on_start`, `on_progress`, `on_event`: a
    progress bar, a log line) goes to the terminal while the call captures the engine's output
    (`runner.engine_output_logged`): fds 1 and 2 point at the engine log then, and a callback's `print` would land
    there unseen. Called with a callback, it returns one that runs it with `sys.stdout` and `sys.stderr` on the
    terminal's saved descriptors (`terminal`, None where nothing is captured: the callback as it is)."""

    terminal: Terminal | None = None

    def __call__(self, callback: Callable[[A], None] | None) -> Callable[[A], None] | None:
        terminal = self.terminal
        if callback is None or terminal is None:
            return callback
        shown = callback  # a name mypy keeps narrowed inside the closure

        def on_the_terminal(value: A) -> None:
            with contextlib.redirect_stdout(terminal.out.file), contextlib.redirect_stderr(terminal.err.file):
                shown(value)
        return on_the_terminal


_active: Terminal | None = None


def active_terminal() -> Terminal | None:
    """The terminal of the capture in progress, if any."""
    return _active


def captured_so_far() -> str:
    """What the capture in progress has logged so far (not what earlier commands left in the same log): where an
    engine that failed to start, or its engine process, said why. Empty outside a capture."""
    terminal = _active
    if terminal is None or terminal.log_path is None:
        return ""
    try:
        with open(terminal.log_path, "rb") as log:
            log.seek(terminal.log_start)
            return log.read().decode(errors="replace")
    except OSError:
        return ""


@contextlib.contextmanager
def phase(label: str, done: str = "done") -> Iterator[None]:
    """Announce a slow step on the active terminal (see `Terminal.phase`); silent outside a capture."""
    terminal = _active
    if terminal is None:
        yield
        return
    with terminal.phase(label, done):
        yield


@contextlib.contextmanager
def capture_engine_output(log_path: Path | None, verbose: bool = False, shown: bool = True) -> Iterator[Terminal]:
    """Send everything written to file descriptors 1 and 2 (by this process and its children) to `log_path`.

    Yields the `Terminal` the application must print through. With `verbose` the output is copied to
    the terminal as well, live. With `log_path` None nothing is redirected: the terminal consoles are
    plain ones (for runs whose engine prints nothing, such as an HTTP API). Descriptors are restored on
    exit, also on errors, so the CLI's error message reaches the terminal. With `shown` False the terminal's
    consoles print nothing (the library's calls, which print nothing: `runner.engine_output_logged`), so engine
    phases are not announced either.
    """
    global _active
    if log_path is None:
        terminal = Terminal(TerminalConsole(), TerminalConsole(stderr=True))
        previous, _active = _active, terminal
        try:
            yield terminal
        finally:
            _active = previous
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    before = log_path.stat().st_size if log_path.exists() else None
    with open(log_path, "a", encoding="utf-8") as log:  # runs into the same directory append: mark where each starts
        log.write(f"\n=== {' '.join(sys.argv)} (pid {os.getpid()}), {time.strftime('%Y-%m-%d %H:%M:%S %z')} ===\n")
    marked = log_path.stat().st_size
    try:
        with _redirected_descriptors(log_path, verbose) as (term_out, term_err):
            width = _terminal_width(term_out)
            terminal = Terminal(TerminalConsole(file=term_out, width=width, quiet=not shown),
                                TerminalConsole(file=term_err, width=width, quiet=not shown), log_path, marked)
            previous, _active = _active, terminal
            try:
                yield terminal
            finally:
                _active = previous
    finally:
        _drop_unused_mark(log_path, before, marked)


def _drop_unused_mark(log_path: Path, before: int | None, marked: int) -> None:
    """Take back the start mark of a command whose engine wrote nothing (it stopped before starting one, on a
    bad input file): no log is left that only says a command ran."""
    with contextlib.suppress(OSError):
        if log_path.stat().st_size != marked:
            return
        if before is None:
            log_path.unlink()
        else:
            os.truncate(log_path, before)


@contextlib.contextmanager
def _redirected_descriptors(log_path: Path, verbose: bool) -> Iterator[tuple[IO[str], IO[str]]]:
    """Point fds 1 and 2 at the log (or, verbose, at a pipe copied to log and terminal); yield the originals."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(1), os.dup(2)
    copier: threading.Thread | None = None
    try:
        if verbose:
            read_end, target = os.pipe()
            # The copier owns its read end, its own terminal descriptor and its own log handle: it stops
            # when every writer has closed the pipe, which an engine process outliving the run may delay.
            copier = threading.Thread(target=_copy, args=(read_end, log_path, os.dup(saved[1])), daemon=True,
                                      name="engine-log-copier")
            copier.start()
        else:
            target = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(target, 1)
        os.dup2(target, 2)
        os.close(target)
        with open(saved[0], "w", closefd=False, encoding="utf-8", errors="replace") as term_out, \
                open(saved[1], "w", closefd=False, encoding="utf-8", errors="replace") as term_err:
            try:
                yield term_out, term_err
            finally:
                for stream in (sys.stdout, sys.stderr):
                    stream.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        for descriptor in saved:
            os.close(descriptor)
        if copier is not None:
            copier.join(timeout=2)  # the last lines, unless an engine process still holds the pipe


def _copy(read_end: int, log_path: Path, terminal: int) -> None:
    """Copy what arrives on the pipe to the log and to the terminal until the last writer closes it."""
    with open(read_end, "rb", buffering=0) as pipe, open(log_path, "ab", buffering=0) as log:
        while chunk := pipe.read(65536):
            log.write(chunk)
            with contextlib.suppress(OSError):
                os.write(terminal, chunk)
    os.close(terminal)


def _terminal_width(stream: IO[str]) -> int | None:
    """The terminal's width for a console on a duplicated descriptor (rich measures fds 0-2, now the log).

    None lets rich decide (the COLUMNS variable, else 80), as it does when output is not a terminal.
    """
    if os.environ.get("COLUMNS") or not stream.isatty():
        return None
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except OSError:
        return None

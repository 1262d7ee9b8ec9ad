"""Fixtures that start the scripted judge server (tests/support/judge_server.py) on 127.0.0.1.

- `judge_server`: a fresh in-process server per test (rules and faults are Python objects the test
  sets on it); stopped, and its in-flight requests cancelled, when the test ends.
- `judge_server_process`: a factory for a server in a child process (it survives a client killed with
  SIGKILL); call it with CLI arguments, e.g. `judge_server_process("--fault", "500:probability=0.1")`;
  every process it started is stopped when the test ends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.judge_server import JudgeServer, ServerProcess, spawn_server


@pytest.fixture
def judge_server() -> Iterator[JudgeServer]:
    """A running scripted judge server; `judge_server.base_url` is what the client needs."""
    server = JudgeServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def judge_server_process(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start servers in child processes: `judge_server_process(*cli_args)` -> ServerProcess.

    Each process logs to a JSONL file under the test's tmp_path (read it with `.log()`).
    """
    with ExitStack() as stack:
        count = 0

        def start(*args: str) -> ServerProcess:
            nonlocal count
            count += 1
            return stack.enter_context(spawn_server(*args, log_path=tmp_path / f"judge_server_{count}.jsonl"))

        yield start

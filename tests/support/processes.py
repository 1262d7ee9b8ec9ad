"""The judgebench CLI started as its own process, for tests that watch, signal or kill a command while it runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start_cli(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    """`judgebench ARGS...` started in `cwd` with a test API key, its stdout and stderr piped."""
    return subprocess.Popen([sys.executable, "-m", "judgebench.cli", *args], cwd=cwd,
                            env={**os.environ, "OPENAI_API_KEY": "sk-test"}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

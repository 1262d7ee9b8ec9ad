"""The benchmarks run as README gives them, at sizes small enough for the suite (their figures are not checked
here: timings do not belong in tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_bootstrap_memory_benchmark_runs_when_some_questions_have_no_outcome():
    """With 10 models a tenth of whose pairs is judged on each of 500 questions, a few questions keep none, and the
    all-at-once way drew weights for all 500 against a design of those with outcomes: a traceback, not figures."""
    done = subprocess.run([sys.executable, "benchmarks/bench_bootstrap_memory.py", "--models", "10", "--questions",
                           "500", "--rounds", "200"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ways = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert ways == ["judgebench", "at-once"], done.stdout

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


def test_the_question_discrimination_benchmark_prints_each_figure_at_its_smallest_sizes(shared_data):
    """Every figure the benchmark reports (the a_q spread, the equal-a null, the oracle gains, the cross-fitted
    taus, the learnable gain) is printed, on AlpacaEval's real annotations, at sizes that take seconds."""
    done = subprocess.run([sys.executable, "benchmarks/bench_question_discrimination.py", "--annotations",
                           str(shared_data / "alpaca_eval" / "annotations"), "--grid", "15",
                           "--em-iterations", "1", "--bootstraps", "1", "--nulls", "1", "--splits", "2", "--sims", "1",
                           "--learn-reps", "1"],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    for figure in ("fitted a_q: mean", "E[a^2]/E[a]^2", "LR vs equal a_q", "question bootstraps", "equal-a null",
                   "best half", "best quarter", "top-a half", "bottom-a half", "random half", "predicted by the 2PL",
                   "learnable gain"):
        assert figure in done.stdout, (figure, done.stdout)

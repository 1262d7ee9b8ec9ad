"""What folding the write-ahead log into the store file after each batch of games costs a run.

    .venv/bin/python benchmarks/bench_checkpoint.py [--questions 500] [--models 4] [--repeats 3]

A run calls `Store.checkpoint` (SQLite's PASSIVE checkpoint) after each batch of games it claimed (256 or more),
so that the store file alone holds what was judged: a CI cache that keeps only that file of a job killed outright
loses at most one batch. This runs `judgebench run` (a subprocess) on the same games against a judge server that
answers at once, the worst case for any per-batch cost, alternately as it is and with the checkpoint made a
no-op, each on a fresh store. Printed per variant: the median wall time of the process, the median judging rate
(games per second between the first and the last commit), and the ratio of the two variants.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_harness import judging_rate, write_data  # noqa: E402  (same folder)

from tests.support.judge_server import spawn_server  # noqa: E402

WITHOUT_CHECKPOINT = ("from judgebench.store import Store\n"
                      "Store.checkpoint = lambda self: None\n"
                      "from judgebench.cli import main\n"
                      "main()\n")


def timed_run(folder: Path, questions: Path, answers: Path, url: str, checkpoint: bool) -> tuple[float, float]:
    """Wall seconds and judging games/s of one `judgebench run` on a fresh store."""
    store = folder / f"store-{time.monotonic_ns()}.sqlite"
    program = ["-m", "judgebench.cli"] if checkpoint else ["-c", WITHOUT_CHECKPOINT]
    command = [sys.executable, *program, "run", "--questions", str(questions), "--answers", str(answers),
               "--baseline", "baseline", "--judge-model", "test-judge", "--base-url", url, "--concurrency", "32",
               "--store", str(store), "--out", str(store.with_suffix(".out")), "--rounds", "20", "--no-progress"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench", "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"judgebench run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, judging_rate(store)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--models", type=int, default=4, help="besides the baseline; 2 games per model and question")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, spawn_server("--models", "*") as server:
        folder = Path(tmp)
        questions, answers = write_data(folder, args.questions, args.models)
        results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for _ in range(args.repeats):
            for checkpoint in (False, True):  # alternated, so that a busy moment of the machine hits both
                results[checkpoint].append(timed_run(folder, questions, answers, server.base_url, checkpoint))
    games = 2 * args.questions * args.models
    medians = {checkpoint: (statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs))
               for checkpoint, runs in results.items()}
    for checkpoint, label in ((False, "without checkpoints"), (True, "a checkpoint per batch")):
        wall, rate = medians[checkpoint]
        print(f"{label:>24}: {games:,} games, {wall:6.2f} s wall, {rate:7.1f} games/s judging "
              f"(median of {args.repeats})")
    print(f"{'cost':>24}: wall x{medians[True][0] / medians[False][0]:.3f}, "
          f"judging rate x{medians[True][1] / medians[False][1]:.3f}")


if __name__ == "__main__":
    main()

"""Benchmark: the memory a question bootstrap takes, judgebench's against drawing its weights all at once.

A question bootstrap of R rounds over Q questions weighs every question in every round: an (R, Q) matrix
that, at the most rounds judgebench allows (100,000) and a few thousand questions, is the largest thing a
rating holds. Measured, each in its own process (peak resident memory above what the process held once its
data were built, and the time), on the same outcomes (random games of M models over Q questions):

- judgebench: `leaderboard.build(outcomes, interval="bootstrap", rounds=R)`, whose weights are 32-bit counts
  drawn and multiplied a block of rounds at a time (`intervals.question_weights`, `intervals.weighted_sums`);
- all at once: the same bootstrap's weights drawn in one call as 64-bit counts and converted whole to floating
  point for the product with the per-question statistics, as judgebench did before (the draws are identical).
  It stops after that product and the screen for separated replicates, before the fits both ways share, so its
  figures are a lower bound.

Run: `.venv/bin/python benchmarks/bench_bootstrap_memory.py [--models 20] [--questions 2000] [--rounds 100000]`.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd


def outcomes(n_models: int, n_questions: int, seed: int = 0) -> pd.DataFrame:
    """Every question judged on a tenth of the pairs of `n_models`, with Bradley-Terry outcomes."""
    rng = np.random.default_rng(seed)
    strength = np.linspace(0.0, 2.0, n_models)
    a, b = (np.array(side) for side in zip(*[(i, j) for i in range(n_models) for j in range(i + 1, n_models)],
                                           strict=True))
    a, b, q = np.repeat(a, n_questions), np.repeat(b, n_questions), np.tile(np.arange(n_questions), len(a))
    kept = rng.random(len(a)) < 0.1
    a, b, q = a[kept], b[kept], q[kept]
    won = rng.random(len(a)) < 1.0 / (1.0 + np.exp(strength[b] - strength[a]))
    return pd.DataFrame({"question_id": [f"q{k}" for k in q], "model_a": [f"m{k}" for k in a],
                         "model_b": [f"m{k}" for k in b], "score_a": won.astype(float), "weight": 1.0})


def measure(way: str, n_models: int, n_questions: int, rounds: int) -> dict[str, float]:
    """Peak resident memory (GB) above the data's, and seconds, of one way of bootstrapping (in this process)."""
    from judgebench.leaderboard import build
    from judgebench.ratings import counts
    from judgebench.ratings import intervals as iv

    frame = outcomes(n_models, n_questions)
    coded = counts.encode_outcomes(frame)
    pairs = counts.row_pairs(coded)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if way == "judgebench":
        build(frame, interval="bootstrap", resample="questions", rounds=rounds)
    else:  # the weights drawn at once as 64-bit counts, then converted whole, as before
        rng = np.random.default_rng(0)
        judged = frame["question_id"].nunique()  # a question none of whose pairs was kept has no outcome
        draws = rng.integers(0, judged, size=(rounds, judged))
        draws += (np.arange(rounds) * judged)[:, None]
        weights = np.bincount(draws.ravel(), minlength=rounds * judged).reshape(rounds, judged)
        del draws
        design = counts.question_counts(coded, pairs, dtype=np.float32)
        weights.astype(np.float32) @ design
        iv.question_separation(coded, weights)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {"gb": (peak - base) / 1e6, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=100_000)
    parser.add_argument("--way", choices=("judgebench", "at-once"), help=argparse.SUPPRESS)  # one measurement
    args = parser.parse_args()
    if args.way:
        print(json.dumps(measure(args.way, args.models, args.questions, args.rounds)))
        return
    print(f"{args.models} models, {args.questions:,} questions, {args.rounds:,} bootstrap rounds "
          f"(weights alone: {4 * args.rounds * args.questions / 1e9:.2f} GB as 32-bit counts)")
    found = {}
    for way in ("judgebench", "at-once"):
        done = subprocess.run([sys.executable, __file__, "--way", way, "--models", str(args.models), "--questions",
                               str(args.questions), "--rounds", str(args.rounds)], capture_output=True, text=True,
                              check=True)
        found[way] = json.loads(done.stdout)
    for way, figures in found.items():
        ratio = figures["gb"] / found["judgebench"]["gb"]
        print(f"  {way:<11} peak {figures['gb']:5.2f} GB above the data ({ratio:.1f}x judgebench's), "
              f"{figures['seconds']:5.1f} s")


if __name__ == "__main__":
    main()

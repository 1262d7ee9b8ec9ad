"""Judge calls of a sequential `judgebench check` against fixed-size checks, on simulated judged games.

For candidate effects of 0, m and 2m (win rate 50%, 45%, 40% against the reference; margin m = 5 points) it
simulates one check per seed (tests/support/check_simulation.py: question effects, position bias, label
noise) and prints, per effect, the median judge calls (two per question: both orders) of

- the sequential check (betting confidence sequence, batches of 50, at most 1,000 questions);
- the fixed-size check of 400 questions (the README's example);
- the fixed-size check of equal power: the fewest questions (in steps of 50) whose t test decides the
  2m regression as often as the sequential check does;

and the ratio sequential / fixed. Run: `python benchmarks/bench_check.py [--seeds 200]`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judgebench.ratings.sequential import betting_test, decide, t_test  # noqa: E402
from tests.support.check_simulation import questions_used, simulate_scores  # noqa: E402

MARGIN, CONFIDENCE, BATCH, MAX_QUESTIONS, FIXED = 0.05, 0.95, 50, 1000, 400
THRESHOLD = 0.5 - MARGIN


def sequential_questions(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    checkpoints = np.arange(BATCH, MAX_QUESTIONS + 1, BATCH)
    p_above, p_below = betting_test(x, THRESHOLD)
    return questions_used(decide(p_above[:, checkpoints - 1], p_below[:, checkpoints - 1], CONFIDENCE), checkpoints)


def fixed_decisions(x: np.ndarray, n: int) -> np.ndarray:
    test = t_test(x[:, :n], THRESHOLD, CONFIDENCE)
    return decide(test.p_above, test.p_below, CONFIDENCE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    scores = {effect: simulate_scores(rng, args.seeds, MAX_QUESTIONS, 0.5 - effect)
              for effect in (0.0, MARGIN, 2 * MARGIN)}
    decisions, used = sequential_questions(scores[2 * MARGIN])
    power = float(np.mean(decisions == "regression"))
    equal_power = next((n for n in range(BATCH, MAX_QUESTIONS + 1, BATCH)
                        if np.mean(fixed_decisions(scores[2 * MARGIN], n) == "regression") >= power), MAX_QUESTIONS)
    print(f"{args.seeds} simulated checks per effect; margin {MARGIN:.0%}; the sequential check detects the 2m "
          f"regression in {power:.1%}; a fixed check needs {equal_power} questions for that power")
    print(f"{'effect':>8} {'sequential calls':>17} {'decided':>8} {'fixed-400 calls':>16} {'ratio':>6} "
          f"{'fixed-equal-power calls':>24} {'ratio':>6}")
    for effect, x in scores.items():
        decisions, used = sequential_questions(x)
        calls = 2 * float(np.median(used))
        print(f"{effect:>8.2f} {calls:>17.0f} {np.mean(decisions != 'undecided'):>8.1%} {2 * FIXED:>16} "
              f"{calls / (2 * FIXED):>6.2f} {2 * equal_power:>24} {calls / (2 * equal_power):>6.2f}")


if __name__ == "__main__":
    main()

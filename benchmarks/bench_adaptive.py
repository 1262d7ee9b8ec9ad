"""Judge calls of adaptive judging and tournaments against uniform sampling of all pairs, on a simulated judge.

For each number of models (default 20 and 50) and seed, a Bradley-Terry truth spaced like a public
leaderboard (tests/support/adaptive_simulation.py: quantiles of Arena-Hard v0.1's 60 published ratings, from
../shared/data), per-question effects, and a
judge with position bias and label noise (first-slot win rate about 0.565, 13% of verdicts flip when
swapped) is judged by the real planner (`judgebench.schedule.Planner`) under three strategies at the same
budget and round size: `adaptive`, `tournament` and `uniform` (pairs drawn uniformly, each on its least-used
question). After every round the ratings are compared with the truth. Printed per strategy, median over
seeds: the judge calls after which Kendall's tau with the truth stays at or above 0.9 and 0.95 until the
budget is spent (runs that never get there count as more than the budget), top-1 and top-5 accuracy at the
end (the best model, and the set of the five best, found), and the ratios of calls against uniform.

Run: `python benchmarks/bench_adaptive.py [--models 20 50] [--seeds 50] [--questions 500]
[--budget-per-model 600] [--round-games 256]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.adaptive_simulation import (  # noqa: E402
    SimulatedJudge,
    calls_to_reach,
    leaderboard_elo,
    simulate,
)

STRATEGIES = ("adaptive", "tournament", "uniform")
TARGETS = (0.9, 0.95)


def top_found(standing, judge: SimulatedJudge, k: int) -> bool:
    """Whether the standing's k best models are the truth's k best (as sets)."""
    return standing is not None and set(standing.models[:k]) == set(judge.models[:k])


def run(n_models: int, seeds: int, n_questions: int, budget: int, round_games: int) -> None:
    results: dict[str, dict[str, list[float]]] = {s: {"0.9": [], "0.95": [], "top1": [], "top5": []}
                                                  for s in STRATEGIES}
    started = time.monotonic()
    for seed in range(seeds):
        for strategy in STRATEGIES:
            judge = SimulatedJudge(leaderboard_elo(n_models), n_questions, seed=seed)
            trace = simulate(judge, strategy, budget_calls=budget, games_per_round=round_games, seed=seed)
            for target in TARGETS:
                reached = calls_to_reach(trace, judge, target)
                results[strategy][str(target)].append(float(reached) if reached is not None else np.inf)
            results[strategy]["top1"].append(float(top_found(trace.standings[-1], judge, 1)))
            results[strategy]["top5"].append(float(top_found(trace.standings[-1], judge, 5)))
    print(f"\n{n_models} models, {n_questions} questions, budget {budget} calls ({budget / n_models:.0f} per model), "
          f"rounds of {round_games} games, {seeds} seeds ({time.monotonic() - started:.0f} s)")
    print(f"{'strategy':>10} {'calls tau>=0.9':>15} {'ratio':>6} {'calls tau>=0.95':>16} {'ratio':>6} "
          f"{'top-1':>6} {'top-5':>6}")
    uniform = {t: float(np.median(results["uniform"][str(t)])) for t in TARGETS}
    for strategy, found in results.items():
        cells = []
        for target in TARGETS:
            median = float(np.median(found[str(target)]))
            shown = f"{median:,.0f}" if np.isfinite(median) else f">{budget:,}"
            ratio = median / uniform[target] if np.isfinite(median) and np.isfinite(uniform[target]) else np.nan
            cells += [f"{shown:>15}", f"{ratio:>6.2f}"]
        print(f"{strategy:>10} {' '.join(cells)} {np.mean(found['top1']):>6.0%} {np.mean(found['top5']):>6.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--budget-per-model", type=int, default=600)
    parser.add_argument("--round-games", type=int, default=256)
    args = parser.parse_args()
    for n_models in args.models:
        run(n_models, args.seeds, args.questions, args.budget_per_model * n_models, args.round_games)


if __name__ == "__main__":
    main()

"""Judge calls of adaptive judging and tournaments against uniform sampling of all pairs, on a simulated judge.

For each number of models (default 20 and 50) and seed, a Bradley-Terry truth spaced like a public
leaderboard (tests/support/adaptive_simulation.py: quantiles of Arena-Hard v0.1's 60 published ratings, from
../shared/data), per-question effects, and a judge with position bias and label noise (first-slot win rate
about 0.565, 13% of verdicts flip when swapped) is judged by the real planner (`judgebench.schedule.Planner`)
under each strategy at the same budget and round size: `adaptive`, `tournament` and `uniform` (pairs drawn
uniformly, each on its least-used question). For reference, `best-fixed` is the best plan made knowing the
true ratings (`best_fixed_plan`: the shares of outcomes over all pairs that reach the expected number of
wrongly ordered pairs tau 0.95 allows with the fewest outcomes, from the Bradley-Terry fit's large-sample covariance),
judged in the same rounds: what a plan that did not have to learn the ranking first reaches on the same judge.
After every round the ratings are compared with the truth.

Printed per strategy:
- "calls to tau": median over seeds of the judge calls after which Kendall's tau with the truth stays at or
  above 0.9 and 0.95 until the budget is spent (a run that never gets there counts as more than the budget);
- "mean curve": the calls after which the mean tau over seeds first reaches 0.9 and 0.95 (less noisy: one
  lucky or unlucky late round of one seed does not move it);
- mean tau when the budget is spent, top-1 and top-5 accuracy then (the best model, and the set of the five
  best, found), and every count's ratio to uniform's.
Then, with `best-fixed`, the large-sample calculation behind it: the calls the best fixed plan and uniform
sampling need for tau 0.95 in expectation, and their ratio: what a fixed choice of pairs can save.

Run: `python benchmarks/bench_adaptive.py [--models 20 50] [--seeds 50] [--questions 500]
[--budget-per-model 600] [--round-games 256] [--jobs 2] [--strategies adaptive uniform ...]
[--floor 0.7] [--exploration 0.1]`; the last two replace `judgebench.schedule.FLOOR` and `EXPLORATION` for an
ablation (the worker processes are forked, so they see the values set here).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from judgebench import schedule  # noqa: E402
from tests.support.adaptive_simulation import (  # noqa: E402
    FixedPlan,
    SimulatedJudge,
    best_fixed_plan,
    fixed_plan_trace,
    leaderboard_elo,
    simulate,
    tau,
)

STRATEGIES = ("adaptive", "tournament", "uniform", "best-fixed")
TARGETS = (0.9, 0.95)


def reference_plan(n_models: int) -> FixedPlan:
    """`best_fixed_plan` for the simulated judge's truth as its verdicts show it (differences shrunk by the
    position flips that turn some pairs into ties), at the wrongly ordered pairs Kendall's tau 0.95 allows:
    tau = 1 - 2 D / pairs, so D = 0.025 pairs."""
    judge = SimulatedJudge(leaderboard_elo(n_models), 1, seed=0)
    allowed = (1.0 - TARGETS[-1]) / 2 * n_models * (n_models - 1) / 2
    return best_fixed_plan(judge.beta * (1.0 - judge.position_flip), allowed)


def one_run(n_models: int, n_questions: int, budget: int, round_games: int, strategy: str, seed: int,
            plan: FixedPlan | None = None) -> dict:
    """One seeded run: tau with the truth after every round (at the calls made so far) and the top-k found."""
    judge = SimulatedJudge(leaderboard_elo(n_models), n_questions, seed=seed)
    if plan is not None:
        trace = fixed_plan_trace(judge, plan, budget_calls=budget, games_per_round=round_games, seed=seed)
    else:
        trace = simulate(judge, strategy, budget_calls=budget, games_per_round=round_games,  # type: ignore[arg-type]
                         seed=seed)
    final = trace.standings[-1]
    return {"calls": np.array(trace.calls), "tau": np.array([tau(now, judge) for now in trace.standings]),
            "top1": final is not None and final.models[:1] == judge.models[:1],
            "top5": final is not None and set(final.models[:5]) == set(judge.models[:5])}


def stays_above(run: dict, target: float) -> float:
    """Calls after which tau stays at or above `target` until the end (inf when it ends below)."""
    below = np.flatnonzero(run["tau"] < target)
    if below.size and below[-1] == len(run["tau"]) - 1:
        return np.inf
    return float(run["calls"][below[-1] + 1] if below.size else run["calls"][0])


def mean_curve_reaches(runs: list[dict], grid: np.ndarray, target: float) -> float:
    """Calls at which the mean over seeds of tau (each run's tau held after its last round) first reaches
    `target` (inf if never)."""
    curves = [run["tau"][np.searchsorted(run["calls"], grid, side="right") - 1] for run in runs]
    reached = np.flatnonzero(np.mean(curves, axis=0) >= target)
    return float(grid[reached[0]]) if reached.size else np.inf


def run(n_models: int, seeds: int, n_questions: int, budget: int, round_games: int, jobs: int,
        strategies: tuple[str, ...] = STRATEGIES) -> None:
    started = time.monotonic()
    plan = reference_plan(n_models) if "best-fixed" in strategies else None
    with ProcessPoolExecutor(jobs) as pool:
        futures = {(s, seed): pool.submit(one_run, n_models, n_questions, budget, round_games, s, seed,
                                          plan if s == "best-fixed" else None)
                   for s in strategies for seed in range(seeds)}
        runs = {s: [futures[(s, seed)].result() for seed in range(seeds)] for s in strategies}
    grid = np.arange(0, budget + 1, round_games)
    rows = {}
    for strategy, found in runs.items():
        rows[strategy] = [float(np.median([stays_above(r, t) for r in found])) for t in TARGETS]
        rows[strategy] += [mean_curve_reaches(found, grid, t) for t in TARGETS]
        rows[strategy] += [float(np.mean([r["tau"][-1] for r in found])),
                           float(np.mean([r["top1"] for r in found])), float(np.mean([r["top5"] for r in found]))]
    print(f"\n{n_models} models, {n_questions} questions, budget {budget:,} calls ({budget // n_models} per model), "
          f"rounds of {round_games} games, {seeds} seeds ({time.monotonic() - started:.0f} s)")
    print(f"{'':>10} {'calls to tau (median)':^30} {'calls to mean-curve tau':^30}")
    print(f"{'strategy':>10} {'0.9':>8} {'ratio':>6} {'0.95':>8} {'ratio':>6} {'0.9':>8} {'ratio':>6} {'0.95':>8} "
          f"{'ratio':>6} {'end tau':>8} {'top-1':>6} {'top-5':>6}")
    for strategy, row in rows.items():
        cells = []
        for k in range(4):
            value, reference = row[k], rows["uniform"][k] if "uniform" in rows else np.nan
            ratio = value / reference if np.isfinite(value) and np.isfinite(reference) else np.nan
            cells += [f"{value:>8,.0f}" if np.isfinite(value) else f"{'>' + format(budget, ','):>8}",
                      f"{ratio:>6.2f}"]
        print(f"{strategy:>10} {' '.join(cells)} {row[4]:>8.3f} {row[5]:>6.0%} {row[6]:>6.0%}")
    if plan is not None:
        print(f"large-sample calls for tau {TARGETS[-1]} in expectation: best fixed plan {2 * plan.outcomes:,.0f}, "
              f"uniform {2 * plan.uniform_outcomes:,.0f}, ratio {plan.outcomes / plan.uniform_outcomes:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--budget-per-model", type=int, default=600)
    parser.add_argument("--round-games", type=int, default=256)
    parser.add_argument("--jobs", type=int, default=2, help="processes (seeds run in parallel)")
    parser.add_argument("--strategies", nargs="+", choices=STRATEGIES, default=list(STRATEGIES))
    parser.add_argument("--floor", type=float, default=schedule.FLOOR,
                        help="adaptive plans' comparison floor (share of the average model's comparisons)")
    parser.add_argument("--exploration", type=float, default=schedule.EXPLORATION,
                        help="share of each adaptive batch drawn uniformly over all pairs")
    args = parser.parse_args()
    schedule.FLOOR, schedule.EXPLORATION = args.floor, args.exploration
    for n_models in args.models:
        run(n_models, args.seeds, args.questions, args.budget_per_model * n_models, args.round_games, args.jobs,
            tuple(args.strategies))


if __name__ == "__main__":
    main()

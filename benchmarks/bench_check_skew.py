"""How often a fixed `judgebench check` decides wrongly when the truth is exactly at its threshold: exactly.

For per-question scores that take two values {a, b} (a < t < b, on a grid) with mean exactly t = 0.5 - margin,
the threshold of a head-to-head check (default margin 0.05: t = 0.45), a sample of n questions is determined by
how many score b, a binomial count; so the share of checks that pass (or regress) is a finite sum, computed here
without Monte Carlo error. It is computed for Student's t (what `check` used, with its floor for unanimous samples)
and for judgebench's `t_test` (Hall's skewness-corrected t with half a lattice step and half a question added
at each end of the range to its spread, and Hoeffding's bound beside it far from the threshold), and the worst
case over the grid is printed, with the distribution that gives it, and the case that motivated the correction:
ties and 2 margins of losses (90% and 10%); then the worst over scores that are won (1), tied (0.5) or lost (0),
with 2 margins more losses than wins, exactly over every count of each, for win rates in steps of `--step`
points. Nominal: at most (1 - confidence) / 2 each way. `--power` gives instead the exact pass and regression
rates of given won/tied/lost chances, and `--widths` the mean width of `--against` intervals (Monte Carlo).
Each figure the README and `t_test`'s docstring give for "before" is the same command run with judgebench at
commit b64baa2^ (PYTHONPATH pointing at a worktree of it).

    python benchmarks/bench_check_skew.py                # n = 50, 100, 200; grid 0.02, win rates by 0.25 points
    python benchmarks/bench_check_skew.py --n 10 20 30   # few questions: 2.4% at most
    python benchmarks/bench_check_skew.py --n 41 --step 0.05             # the worst won/tied/lost case (seconds)
    python benchmarks/bench_check_skew.py --n 80 100 --margin 0.02 --step 0.05  # another margin: 2.96%
    python benchmarks/bench_check_skew.py --n 30 100 --power 2 22        # a regression's chance of being found
    python benchmarks/bench_check_skew.py --n 100 400 --widths 0 10 80 10 0
    python benchmarks/bench_check_skew.py --n 400 --grid 0.01
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from judgebench.ratings.sequential import t_test


def student(samples: np.ndarray, threshold: float, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The decisions (pass, regression) of what `check` used before: Student's t at the threshold, per sample
    (row), with its floor for unanimous samples (a p-value never below the exact one of n equal scores)."""
    n, mean = samples.shape[1], samples.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = (mean - threshold) / (samples.std(axis=1, ddof=1) / np.sqrt(n))
        floor_above = np.where(mean > threshold, (threshold / mean) ** n, 0.0)
        floor_below = np.where(mean < threshold, ((1 - threshold) / (1 - mean)) ** n, 0.0)
    p_above = np.maximum(np.nan_to_num(stats.t.sf(t, n - 1), nan=1.0), floor_above)
    p_below = np.maximum(np.nan_to_num(stats.t.cdf(t, n - 1), nan=1.0), floor_below)
    alpha = (1 - level) / 2
    return p_above <= alpha, p_below <= alpha


def judgebench_t(samples: np.ndarray, threshold: float, level: float) -> tuple[np.ndarray, np.ndarray]:
    """judgebench's `t_test` decisions (pass, regression) at the threshold, per sample (row)."""
    test = t_test(samples, threshold, level)
    alpha = (1 - level) / 2
    return test.p_above <= alpha, test.p_below <= alpha


def error_rates(a: float, b: float, n: int, threshold: float, level: float) -> dict[str, tuple[float, float]]:
    """Exact (false pass, false regression) rates of each method when scores are a or b with mean `threshold`."""
    k = np.arange(n + 1)  # questions scoring b
    samples = np.where(np.arange(n)[None, :] < k[:, None], b, a)
    weights = stats.binom.pmf(k, n, (threshold - a) / (b - a))
    return {name: (float(weights @ passes), float(weights @ regresses))
            for name, (passes, regresses) in (("Student's t", student(samples, threshold, level)),
                                              ("judgebench", judgebench_t(samples, threshold, level)))}


def won_tied_lost_rates(chances: list[tuple[float, float]], n: int, threshold: float,
                        level: float) -> list[tuple[float, float]]:
    """Exact (pass, regression) rates of judgebench's `t_test`, per (won, lost) pair of chances, when a question is
    won (1), lost (0) or tied (0.5). Every sample is given by its counts of wins and losses (a multinomial), so
    this sums over all (n + 1)(n + 2) / 2 of them; their decisions do not depend on the chances."""
    wins, losses = (grid.ravel() for grid in np.meshgrid(np.arange(n + 1), np.arange(n + 1)))
    keep = wins + losses <= n
    wins, losses = wins[keep], losses[keep]
    position = np.arange(n)[None, :]
    passes, regresses = np.zeros(len(wins), dtype=bool), np.zeros(len(wins), dtype=bool)
    for rows in np.array_split(np.arange(len(wins)), max(1, len(wins) * n // 2_000_000)):  # memory: a few 100 MB
        samples = np.where(position < wins[rows, None], 1.0,
                           np.where(position < (wins + losses)[rows, None], 0.0, 0.5))
        passes[rows], regresses[rows] = judgebench_t(samples, threshold, level)
    counts = np.column_stack([wins, losses, n - wins - losses])
    rates = []
    for won, lost in chances:
        weights = stats.multinomial.pmf(counts, n, [won, lost, max(1 - won - lost, 0.0)])
        rates.append((float(weights @ passes), float(weights @ regresses)))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 100, 200], help="questions per check")
    parser.add_argument("--grid", type=float, default=0.02, help="grid step of the two values")
    parser.add_argument("--step", type=float, default=0.25, help="step of the won/tied/lost win rates, in points")
    parser.add_argument("--margin", type=float, default=0.05, help="check's margin: the threshold is 0.5 - margin")
    parser.add_argument("--power", type=float, nargs=2, metavar=("WON", "LOST"),
                        help="instead: how often checks pass and regress when questions are won and lost with "
                             "these chances (in %%), tied otherwise")
    parser.add_argument("--widths", type=float, nargs=5, metavar="CHANCE",
                        help="instead: the mean width of `--against` intervals when differences of -0.5, -0.25, 0, "
                             "0.25 and 0.5 have these chances (in %%), over 4,000 seeded samples")
    parser.add_argument("--confidence", type=float, default=0.95, help="check's confidence (two-sided)")
    options = parser.parse_args()
    level = options.confidence
    threshold = 0.5 - options.margin
    if options.widths:
        differences, chances = np.array([-0.5, -0.25, 0.0, 0.25, 0.5]), np.array(options.widths) / 100
        if chances.min() < 0 or abs(chances.sum() - 1) > 1e-9:
            parser.error("--widths: five chances in %, adding up to 100")
        sd = np.sqrt(chances @ differences ** 2 - (chances @ differences) ** 2)
        print(f"--against intervals ({level:.0%}, threshold {-options.margin:g}) at differences "
              f"{differences.tolist()} with chances {chances.tolist()} (sd {sd:.3f})")
        for n in options.n:
            samples = np.random.default_rng(0).choice(differences, size=(4_000, n), p=chances)
            test = t_test(samples, -options.margin, level, -1.0, 1.0)
            widths = 100 * (test.upper - test.lower)
            print(f"n={n:<4} mean width {widths.mean():.3f} points (Monte Carlo SE "
                  f"{widths.std() / np.sqrt(len(widths)):.3f})")
        return
    if options.power:
        won, lost = (value / 100 for value in options.power)
        if min(won, lost) < 0 or won + lost > 1:
            parser.error("--power: chances in % of a question won and lost, at most 100 together")
        print(f"exact decision rates at {won:.0%} won, {lost:.0%} lost, {1 - won - lost:.0%} tied (a true win rate "
              f"of {won + (1 - won - lost) / 2:.1%}; threshold {threshold:g})")
        for n in options.n:
            ((passes, regresses),) = won_tied_lost_rates([(won, lost)], n, threshold, level)
            print(f"n={n:<4} pass {passes:6.2%} regression {regresses:6.2%}")
        return
    lows = np.round(np.arange(0, threshold - 1e-9, options.grid), 4)
    highs = np.round(np.arange(1.0, threshold + 1e-9, -options.grid)[::-1], 4)
    highs = highs[highs > threshold]
    print(f"exact error rates at a true mean of {threshold:g} (nominal at most {(1 - level) / 2:.1%} each way)")
    for n in options.n:
        worst: dict[str, list[tuple[float, str]]] = {}
        for a in lows:
            for b in highs:
                for name, rates in error_rates(float(a), float(b), n, threshold, level).items():
                    best = worst.setdefault(name, [(0.0, ""), (0.0, "")])
                    for side in (0, 1):
                        if rates[side] > best[side][0]:
                            best[side] = (rates[side], f"{{{a:g}, {b:g}}}")
        ties = error_rates(0.0, 0.5, n, threshold, level)  # ties (0.5) and 2 margins of losses (0)
        for name, ((passes, where_p), (regresses, where_r)) in worst.items():
            print(f"n={n:<4} {name:<12} worst false pass {passes:6.2%} at {where_p:<12} worst false regression "
                  f"{regresses:6.2%} at {where_r:<12} {1 - 2 * options.margin:.0%} ties, "
                  f"{2 * options.margin:.0%} losses: false pass {ties[name][0]:6.2%}")
        won_rates = np.round(np.arange(0.0, threshold + 1e-9, options.step / 100), 6)
        at_threshold = won_tied_lost_rates([(won, won + 2 * options.margin) for won in won_rates], n, threshold,
                                            level)
        three = dict(zip(won_rates, at_threshold, strict=True))
        (p_won, (p_rate, _)), (r_won, (_, r_rate)) = (max(three.items(), key=lambda item: item[1][side])
                                                       for side in (0, 1))
        print(f"n={n:<4} {'judgebench':<12} won/tied/lost scores: worst false pass {p_rate:6.2%} at {p_won:.2%} won, "
              f"worst false regression {r_rate:6.2%} at {r_won:.2%} won (losses {200 * options.margin:g} points more)")


if __name__ == "__main__":
    main()

"""How often a fixed `judgebench check` decides wrongly when the truth is exactly at its threshold: exactly.

For per-question scores that take two values {a, b} (a < 0.45 < b, on a grid) with mean exactly 0.45, the
threshold of a head-to-head check with the default margin, a sample of n questions is determined by how many
score b, a binomial count; so the share of checks that pass (or regress) is a finite sum, computed here without
Monte Carlo error. It is computed for Student's t (what `check` used, with its floor for unanimous samples)
and for judgebench's `t_test` (Hall's skewness-corrected t with half a lattice step and half a question added
at each end of the range to its spread, and Hoeffding's bound beside it far from the threshold), and the worst
case over the grid is printed, with the distribution that gives it, and the case that motivated the correction:
90% of questions tied, 10% lost; then the worst over scores that are won (1), tied (0.5) or lost (0), with 10
points more losses than wins, exactly over every count of each, for win rates in steps of 0.25 points.
Nominal: at most 2.5% each way (a two-sided 95% interval).

    python benchmarks/bench_check_skew.py                # n = 50, 100, 200; grid step 0.02 (seconds)
    python benchmarks/bench_check_skew.py --n 10 20 30   # few questions: 2.4% at most
    python benchmarks/bench_check_skew.py --n 400 --step 0.01
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from judgebench.ratings.sequential import t_test

THRESHOLD, LEVEL = 0.45, 0.95


def student(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The decisions (pass, regression) of what `check` used before: Student's t at the threshold, per sample
    (row), with its floor for unanimous samples (a p-value never below the exact one of n equal scores)."""
    n, mean = samples.shape[1], samples.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = (mean - THRESHOLD) / (samples.std(axis=1, ddof=1) / np.sqrt(n))
        floor_above = np.where(mean > THRESHOLD, (THRESHOLD / mean) ** n, 0.0)
        floor_below = np.where(mean < THRESHOLD, ((1 - THRESHOLD) / (1 - mean)) ** n, 0.0)
    p_above = np.maximum(np.nan_to_num(stats.t.sf(t, n - 1), nan=1.0), floor_above)
    p_below = np.maximum(np.nan_to_num(stats.t.cdf(t, n - 1), nan=1.0), floor_below)
    alpha = (1 - LEVEL) / 2
    return p_above <= alpha, p_below <= alpha


def judgebench_t(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """judgebench's `t_test` decisions (pass, regression) at the threshold, per sample (row)."""
    test = t_test(samples, THRESHOLD, LEVEL)
    alpha = (1 - LEVEL) / 2
    return test.p_above <= alpha, test.p_below <= alpha


def error_rates(a: float, b: float, n: int) -> dict[str, tuple[float, float]]:
    """Exact (false pass, false regression) rates of each method when scores are a or b with mean THRESHOLD."""
    k = np.arange(n + 1)  # questions scoring b
    samples = np.where(np.arange(n)[None, :] < k[:, None], b, a)
    weights = stats.binom.pmf(k, n, (THRESHOLD - a) / (b - a))
    return {name: (float(weights @ passes), float(weights @ regresses))
            for name, (passes, regresses) in (("Student's t", student(samples)), ("judgebench", judgebench_t(samples)))}


def won_tied_lost_rates(won: float, n: int) -> tuple[float, float]:
    """Exact (false pass, false regression) rates of judgebench's `t_test` when a question is won (1) with
    probability `won`, lost (0) with `won` + 0.1 and tied (0.5) otherwise: mean THRESHOLD. Every sample is
    given by its counts of wins and losses (a multinomial), so this sums over all (n + 1)(n + 2) / 2 of them."""
    wins, losses = (grid.ravel() for grid in np.meshgrid(np.arange(n + 1), np.arange(n + 1)))
    keep = wins + losses <= n
    wins, losses = wins[keep], losses[keep]
    position = np.arange(n)[None, :]
    samples = np.where(position < wins[:, None], 1.0, np.where(position < (wins + losses)[:, None], 0.0, 0.5))
    lost = won + 2 * (0.5 - THRESHOLD)
    weights = stats.multinomial.pmf(np.column_stack([wins, losses, n - wins - losses]), n, [won, lost, 1 - won - lost])
    passes, regresses = judgebench_t(samples)
    return float(weights @ passes), float(weights @ regresses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 100, 200], help="questions per check")
    parser.add_argument("--step", type=float, default=0.02, help="grid step of the two values")
    options = parser.parse_args()
    lows = np.round(np.arange(0, THRESHOLD - 1e-9, options.step), 4)
    highs = np.round(np.arange(1.0, THRESHOLD + 1e-9, -options.step)[::-1], 4)
    highs = highs[highs > THRESHOLD]
    print(f"exact error rates at a true mean of {THRESHOLD} (nominal at most {(1 - LEVEL) / 2:.1%} each way)")
    for n in options.n:
        worst: dict[str, list[tuple[float, str]]] = {}
        for a in lows:
            for b in highs:
                for name, rates in error_rates(float(a), float(b), n).items():
                    best = worst.setdefault(name, [(0.0, ""), (0.0, "")])
                    for side in (0, 1):
                        if rates[side] > best[side][0]:
                            best[side] = (rates[side], f"{{{a:g}, {b:g}}}")
        ties = error_rates(0.0, 0.5, n)  # 90% ties (0.5), 10% losses (0)
        for name, ((passes, where_p), (regresses, where_r)) in worst.items():
            print(f"n={n:<4} {name:<12} worst false pass {passes:6.2%} at {where_p:<12} worst false regression "
                  f"{regresses:6.2%} at {where_r:<12} 90% ties, 10% losses: false pass {ties[name][0]:6.2%}")
        three = {won: won_tied_lost_rates(won, n) for won in np.round(np.arange(0.0, 0.45 + 1e-9, 0.0025), 4)}
        (p_won, (p_rate, _)), (r_won, (_, r_rate)) = (max(three.items(), key=lambda item: item[1][side])
                                                       for side in (0, 1))
        print(f"n={n:<4} {'judgebench':<12} won/tied/lost scores: worst false pass {p_rate:6.2%} at {p_won:.2%} won, "
              f"worst false regression {r_rate:6.2%} at {r_won:.2%} won (losses 10 points more)")


if __name__ == "__main__":
    main()

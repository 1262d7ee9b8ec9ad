"""Benchmark: how much AlpacaEval's questions differ in how well they separate models, and what that is worth.

Why: a planner that spends judge calls on the questions that separate models best needs fewer calls for the same
ranking, but only if questions really differ in discrimination and the ranking they give is the ranking wanted.
This script measures both on published verdicts.

Data: AlpacaEval's annotations (``../shared/data/alpaca_eval/annotations``): 13 models, each judged against one
baseline on the same 805 questions (the baseline's file against itself is dropped). A verdict is 1 (model wins),
0 (baseline wins) or 1/2 (tie).

Model: the two-parameter logistic (2PL) item-response model of Birnbaum (1968, in Lord & Novick, *Statistical
Theories of Mental Test Scores*, ch. 17-20), ``P(model i wins question q) = sigmoid(a_q theta_i + b_q)``, with the
question's discrimination ``a_q`` and easiness ``b_q`` drawn from a bivariate normal and integrated out on a grid:
the marginal-likelihood EM of Bock & Aitkin (1981, *Psychometrika* 46, 443-459) with the roles of persons and items
swapped (here the 805 questions are the random effects and the 13 models' abilities ``theta`` the fixed ones).
``theta`` is standardised to mean 0 and sd 1, so ``a_q`` is in log-odds per sd of the models.

Printed:

- the fitted distribution of ``a_q``: mean, sd, coefficient of variation, E[a^2]/E[a]^2 (1 + CV^2: a question's
  information per call is proportional to a_q^2, so this is the mean information over that at the mean a), the
  likelihood-ratio statistic against equal ``a_q``, and the CV over bootstraps of the questions;
- the same figures fitted on data simulated with equal ``a_q`` (the null: what the fit reports when questions do
  not differ);
- the oracle gain: information per call of the best half and quarter of the questions by a^2, over the average;
- cross-fitted subsets: half the models estimate each ``a_q``, the others are ranked by win rate on the top-a, bottom-a
  and a random half of the questions; Kendall's tau of each ranking with the ranking on all questions, on the real
  data and on data simulated from the fitted 2PL (what the model alone predicts: a lower top-half tau on the real
  data means the most discriminating questions rank models differently, not just more sharply).

- learnability: whether a planner could find those questions from its own games. On a leaderboard spaced like
  Arena-Hard's (``tests.support.adaptive_simulation.leaderboard_elo``), each of 500 questions multiplies every
  pair's log-odds by ``m_q = a_q / E[a]``, normal with mean 1 and the fitted CV (truncated at 0); it gets a few
  noise-free games between pairs drawn uniformly or between rank neighbours (what an adaptive planner plays late);
  the posterior of ``m_q`` under the true prior picks the half with the largest E[m_q^2]. Its gain against the
  oracle's is an upper bound on what learning ``a_q`` can save.

Left out: the nonparametric (Kiefer-Wolfowitz) mixing distribution of ``a_q``, which puts mass near 9 and inflates
every figure, and the interaction and question-feature checks of the exploratory runs.

Run: ``.venv/bin/python benchmarks/bench_question_discrimination.py`` (defaults: about 3 minutes on 2 busy cores); the
smallest sizes (``--grid 15 --em-iterations 1 --bootstraps 1 --nulls 1 --splits 2 --sims 1 --learn-reps 1``)
take seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_expit, logit, logsumexp
from scipy.stats import kendalltau

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judgebench.schedule import ELO_PER_LOG_ODDS  # noqa: E402
from tests.support.adaptive_simulation import leaderboard_elo  # noqa: E402

ANNOTATIONS = ROOT.parent / "shared" / "data" / "alpaca_eval" / "annotations"
BASELINE = "gpt4_1106_preview"
A_RANGE = (-3.0, 9.0)
B_RANGE = (-16.0, 10.0)


@dataclass(frozen=True)
class Grid:
    """The (a, b) points the random effects are integrated over, flattened: ``a[g], b[g]`` for point g."""

    a: np.ndarray
    b: np.ndarray
    a_values: np.ndarray

    @classmethod
    def square(cls, points: int) -> Grid:
        """``points`` values of a in A_RANGE times ``points`` values of b in B_RANGE."""
        a_values = np.linspace(*A_RANGE, points)
        a, b = np.meshgrid(a_values, np.linspace(*B_RANGE, points), indexing="ij")
        return cls(a.ravel(), b.ravel(), a_values)


def load_verdicts(folder: Path) -> tuple[np.ndarray, list[str]]:
    """Questions x models matrix of verdicts against the baseline (1 win, 0 loss, 1/2 tie) and the model names.

    AlpacaEval's ``preference`` is 1 (baseline preferred) to 2 (model preferred), soft when the judge's
    probabilities are used; it is rounded to the verdict, as a pairwise judge gives it."""
    columns = {}
    for path in sorted(folder.glob("*.json")):
        if path.stem == BASELINE:
            continue
        rows = pd.DataFrame(json.loads(path.read_text()))
        preference = pd.to_numeric(rows["preference"], errors="coerce") - 1.0
        preference.index = rows["instruction"]
        columns[path.stem] = preference[~preference.index.duplicated()]
    table = pd.DataFrame(columns).dropna()
    values = table.to_numpy(dtype=float)
    return np.where(values > 0.5, 1.0, np.where(values < 0.5, 0.0, 0.5)), list(table.columns)


def grid_loglik(verdicts: np.ndarray, theta: np.ndarray, grid: Grid) -> np.ndarray:
    """``L[q, g]``: log-likelihood of question q's verdicts if its (a, b) were grid point g (ties count half each)."""
    z = grid.a[:, None] * theta[None, :] + grid.b[:, None]
    return verdicts @ log_expit(z).T + (1.0 - verdicts) @ log_expit(-z).T


def prior_logw(params: np.ndarray, grid: Grid) -> np.ndarray:
    """Log weights on the grid of the bivariate normal (mean_a, log sd_a, mean_b, log sd_b, atanh rho)."""
    mean_a, log_sd_a, mean_b, log_sd_b, atanh_rho = params
    rho = np.tanh(atanh_rho)
    za, zb = (grid.a - mean_a) / np.exp(log_sd_a), (grid.b - mean_b) / np.exp(log_sd_b)
    logw = -(za**2 - 2 * rho * za * zb + zb**2) / (2 * (1 - rho**2))
    return logw - logsumexp(logw)


def fit_prior(loglik: np.ndarray, grid: Grid, start: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Maximum marginal likelihood of the bivariate normal of (a_q, b_q), the models' abilities held fixed."""

    def nll(params: np.ndarray) -> float:
        return -float(logsumexp(loglik + prior_logw(params, grid)[None, :], axis=1).sum())

    start = np.array([1.5, np.log(0.5), -3.0, np.log(2.0), 0.0]) if start is None else start
    result = minimize(nll, start, method="L-BFGS-B")
    return result.x, -float(result.fun)


def fit_equal_a(loglik: np.ndarray, grid: Grid) -> tuple[float, float, np.ndarray]:
    """The null model, every a_q equal (to a positive grid value of a), b_q normal: (a, log-likelihood, b's
    (mean, log sd)), the best over the grid's values of a."""
    best: tuple[float, float, np.ndarray] | None = None
    for a in grid.a_values[grid.a_values > 0]:
        column = np.flatnonzero(grid.a == a)

        def nll(params: np.ndarray, column: np.ndarray = column) -> float:
            logw = -(((grid.b[column] - params[0]) / np.exp(params[1])) ** 2) / 2
            return -float(logsumexp(loglik[:, column] + (logw - logsumexp(logw))[None, :], axis=1).sum())

        result = minimize(nll, [-3.0, np.log(2.0)], method="Nelder-Mead")
        if best is None or -result.fun > best[1]:
            best = (float(a), -float(result.fun), result.x)
    assert best is not None
    return best


def posterior(loglik: np.ndarray, logw: np.ndarray) -> np.ndarray:
    """Each question's posterior over the grid given its verdicts and the prior's log weights."""
    joint = loglik + logw[None, :]
    return np.exp(joint - logsumexp(joint, axis=1, keepdims=True))


def update_theta(verdicts: np.ndarray, theta: np.ndarray, post: np.ndarray, grid: Grid) -> np.ndarray:
    """M-step: the abilities maximising the expected log-likelihood under the questions' posteriors (Newton, each
    model on its own: the objective is concave in its theta), standardised since a and b absorb any affine map."""
    keep = post.sum(0) > 1e-8
    a, b, mass = grid.a[keep], grid.b[keep], post[:, keep].sum(0)
    wins = post[:, keep].T @ verdicts
    theta = theta.copy()
    for _ in range(25):
        s = expit(a[:, None] * theta[None, :] + b[:, None])
        gradient = (a[:, None] * (wins - mass[:, None] * s)).sum(0)
        curvature = (mass[:, None] * a[:, None] ** 2 * s * (1 - s)).sum(0)
        theta += gradient / curvature
    return (theta - theta.mean()) / theta.std()


def fit_2pl(verdicts: np.ndarray, grid: Grid, iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """EM for the abilities with (a_q, b_q) integrated out (Bock & Aitkin 1981); returns (theta, prior params)."""
    win_rate = np.clip(verdicts.mean(0), 0.01, 0.99)
    theta = (logit(win_rate) - logit(win_rate).mean()) / logit(win_rate).std()
    params = None
    for _ in range(iterations):
        loglik = grid_loglik(verdicts, theta, grid)
        params, _ = fit_prior(loglik, grid, params)
        theta = update_theta(verdicts, theta, posterior(loglik, prior_logw(params, grid)), grid)
    params, _ = fit_prior(grid_loglik(verdicts, theta, grid), grid, params)
    return theta, params


def a_weights(params: np.ndarray, grid: Grid) -> np.ndarray:
    """The fitted distribution of a alone: the prior's grid weights summed over b, one per ``grid.a_values``."""
    return np.exp(prior_logw(params, grid)).reshape(len(grid.a_values), -1).sum(1)


def spread_of_a(weights: np.ndarray, grid: Grid) -> dict[str, float]:
    """Mean, sd, coefficient of variation and E[a^2]/E[a]^2 of a distribution of a on the grid."""
    mean = float(weights @ grid.a_values)
    second = float(weights @ grid.a_values**2)
    sd = float(np.sqrt(max(second - mean**2, 0.0)))
    return {"mean": mean, "sd": sd, "CV": sd / mean, "E[a^2]/E[a]^2": second / mean**2}


def oracle_gain(weights: np.ndarray, grid: Grid, share: float) -> float:
    """Information per call of the ``share`` of questions with the largest a^2, over that of all questions: the
    factor by which judging only those (knowing a_q exactly) cuts the calls for the same precision."""
    a2 = grid.a_values**2
    order = np.argsort(-a2)
    taken = np.clip(share - (np.cumsum(weights[order]) - weights[order]), 0.0, weights[order])
    return float(taken @ a2[order] / share / (weights @ a2))


def simulate(theta: np.ndarray, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Win/loss verdicts drawn from the 2PL for questions with discriminations a and easinesses b."""
    return (rng.random((len(a), len(theta))) < expit(a[:, None] * theta[None, :] + b[:, None])).astype(float)


def draw_questions(params: np.ndarray, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` (a, b) pairs drawn from the fitted bivariate normal."""
    mean_a, log_sd_a, mean_b, log_sd_b, atanh_rho = params
    rho = np.tanh(atanh_rho)
    za = rng.standard_normal(count)
    zb = rho * za + np.sqrt(1 - rho**2) * rng.standard_normal(count)
    return mean_a + np.exp(log_sd_a) * za, mean_b + np.exp(log_sd_b) * zb


def cross_fitted_taus(verdicts: np.ndarray, theta: np.ndarray, logw: np.ndarray, grid: Grid, splits: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Kendall's tau with the all-questions ranking of the top-a, bottom-a and a random half, one row per split.

    Each split draws half the models (rounded up) to estimate E[a_q] and ranks the others by win rate, so the
    choice of questions never sees the verdicts it ranks."""
    questions, models = verdicts.shape
    half = questions // 2
    rows = []
    for _ in range(splits):
        order = rng.permutation(models)
        estimate, ranked = order[: (models + 1) // 2], order[(models + 1) // 2:]
        mean_a = posterior(grid_loglik(verdicts[:, estimate], theta[estimate], grid), logw) @ grid.a
        by_a = np.argsort(-mean_a)
        scores = verdicts[:, ranked]
        full = scores.mean(0)
        halves = (by_a[:half], by_a[half:], rng.permutation(questions)[:half])
        rows.append([kendalltau(scores[h].mean(0), full).statistic for h in halves])
    return np.array(rows)


def learned_gain(cv: float, models: int, games: int, neighbours: bool, reps: int,
                 rng: np.random.Generator) -> tuple[float, float]:
    """Information gain of the half of 500 questions a planner picks from ``games`` games each (the learnability
    setting of the module docstring), and the oracle's, each averaged over ``reps`` draws of the questions."""
    questions, scale = 500, np.linspace(0.0, 4.0, 201)
    prior = np.exp(-(((scale - 1.0) / cv) ** 2) / 2)
    prior /= prior.sum()
    strength = leaderboard_elo(models) / ELO_PER_LOG_ODDS
    learned, oracle = [], []
    for _ in range(reps):
        m = rng.choice(scale, questions, p=prior) + rng.uniform(-0.01, 0.01, questions)
        first = rng.integers(0, models, (questions, games))
        if neighbours:
            offset = rng.choice([-2, -1, 1, 2], (questions, games))
            second = np.where((first + offset < 0) | (first + offset >= models), first - offset, first + offset)
        else:
            second = (first + rng.integers(1, models, (questions, games))) % models
        gap = strength[first] - strength[second]
        signed = np.where(rng.random(gap.shape) < expit(m[:, None] * gap), gap, -gap)
        logpost = log_expit(scale[None, None, :] * signed[:, :, None]).sum(1) + np.log(prior + 1e-300)[None, :]
        post = np.exp(logpost - logsumexp(logpost, axis=1, keepdims=True))
        picked = np.argsort(-(post @ scale**2))[: questions // 2]
        learned.append(np.mean(m[picked] ** 2) / np.mean(m**2))
        oracle.append(np.mean(np.sort(m**2)[questions // 2:]) / np.mean(m**2))
    return float(np.mean(learned)), float(np.mean(oracle))


def report(label: str, figures: dict[str, float]) -> None:
    """One line of figures."""
    print(f"{label}: " + ", ".join(f"{name} {value:.3f}" for name, value in figures.items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=Path, default=ANNOTATIONS, help="AlpacaEval's annotations folder")
    parser.add_argument("--grid", type=int, default=41, help="grid points per axis of (a, b)")
    parser.add_argument("--em-iterations", type=int, default=6, help="EM updates of the models' abilities")
    parser.add_argument("--bootstraps", type=int, default=6, help="refits on questions resampled with replacement")
    parser.add_argument("--nulls", type=int, default=6, help="refits on data simulated with equal a_q")
    parser.add_argument("--splits", type=int, default=200, help="random model splits for the cross-fitted taus")
    parser.add_argument("--sims", type=int, default=4, help="data sets simulated from the fitted 2PL for the taus")
    parser.add_argument("--learn-reps", type=int, default=10, help="question draws per learnability setting")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    grid = Grid.square(args.grid)
    started = time.perf_counter()

    verdicts, models = load_verdicts(args.annotations)
    questions = len(verdicts)
    print(f"{questions} questions x {len(models)} models, grid {args.grid}x{args.grid}")
    theta, params = fit_2pl(verdicts, grid, args.em_iterations)
    loglik = grid_loglik(verdicts, theta, grid)
    _, ll_normal = fit_prior(loglik, grid, params)
    a0, ll_equal, b_params = fit_equal_a(loglik, grid)
    weights = a_weights(params, grid)
    report("fitted a_q", {**spread_of_a(weights, grid), "LR vs equal a_q": 2 * (ll_normal - ll_equal)})
    cvs = [spread_of_a(a_weights(fit_prior(loglik[rng.integers(0, questions, questions)], grid, params)[0], grid),
                       grid)["CV"] for _ in range(args.bootstraps)]
    report(f"CV over {args.bootstraps} question bootstraps", {"min": min(cvs), "max": max(cvs)})

    nulls = []
    for _ in range(args.nulls):
        null = simulate(theta, np.full(questions, a0), rng.normal(b_params[0], np.exp(b_params[1]), questions), rng)
        null_weights = a_weights(fit_prior(grid_loglik(null, theta, grid), grid, params)[0], grid)
        nulls.append({**spread_of_a(null_weights, grid), "oracle half": oracle_gain(null_weights, grid, 0.5),
                      "oracle quarter": oracle_gain(null_weights, grid, 0.25)})
    report(f"equal-a null (a = {a0:.2f}), mean of {args.nulls} fits", pd.DataFrame(nulls).mean().to_dict())
    report("oracle gain in information per call",
           {"best half": oracle_gain(weights, grid, 0.5), "best quarter": oracle_gain(weights, grid, 0.25)})

    logw = prior_logw(params, grid)
    taus = cross_fitted_taus(verdicts, theta, logw, grid, args.splits, rng)
    report(f"cross-fitted tau with the full ranking, {args.splits} splits",
           dict(zip(["top-a half", "bottom-a half", "random half"], np.nanmean(taus, axis=0), strict=True)))
    predicted = [np.nanmean(cross_fitted_taus(simulate(theta, *draw_questions(params, questions, rng), rng), theta,
                                              logw, grid, args.splits, rng)[:, 0]) for _ in range(args.sims)]
    report(f"top-a half tau predicted by the 2PL, {args.sims} simulated data sets",
           {"mean": float(np.mean(predicted)), "min": min(predicted), "max": max(predicted)})

    cv = spread_of_a(weights, grid)["CV"]
    for models, games in ((20, 3), (50, 20)):
        for neighbours in (False, True):
            learned, oracle = learned_gain(cv, models, games, neighbours, args.learn_reps, rng)
            pairs = "rank neighbours" if neighbours else "uniform pairs"
            report(f"learnable gain, best half, {models} models, {games} games per question, {pairs}",
                   {"learned": learned, "oracle": oracle})
    print(f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

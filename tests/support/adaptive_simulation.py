"""A simulated judge with a known Bradley-Terry truth, driving judgebench.schedule's planner round by round.

Shared by tests/test_schedule_simulation.py and benchmarks/bench_adaptive.py. No engine and no store: the
planner is the real one (`judgebench.schedule.Planner`), only the judge is simulated, because thousands of
simulated runs cannot go through HTTP in CI time.

The judge (`SimulatedJudge`). For a pair (i, j) on question q the "true" preference is
``1[beta_i - beta_j + e > 0]`` with logistic noise e: with probability `shared` it is ``g_qj - g_qi`` built
from one standard Gumbel draw per (question, model), shared by every game of the question (a per-question
effect: a model is good or bad on a question for all its opponents), otherwise fresh. The difference of
two Gumbels is logistic, so the preference is exactly Bradley-Terry: ``P(i preferred) = sigmoid(beta_i -
beta_j)``, while games of one question are correlated (the clustering the question bootstrap and the
clustered sandwich are for). Each of the two presentation orders is then judged: with probability
`position_flip` the verdict goes to the first slot whatever the preference (position bias), otherwise it is
the preference. That gives a first-slot win rate of ``0.5 + position_flip / 2`` and verdicts that flip when
swapped in a share ``position_flip`` of pairs (measured on real judges: about 0.55-0.6 and 13%). The
outcome of a pair is the mean of its two verdicts (swap = both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq, minimize
from scipy.special import softmax
from scipy.stats import kendalltau, norm

from judgebench.records import OUTCOME_COLUMNS, Pair
from judgebench.schedule import (
    ELO_PER_LOG_ODDS,
    Design,
    Planner,
    Standing,
    Strategy,
    comparison_information,
    misordered,
    standing,
)

ARENA_HARD = Path(__file__).resolve().parents[3] / "shared" / "data" / "arena_hard" / "leaderboard_20240731.csv"


def leaderboard_elo(n_models: int) -> np.ndarray:
    """Elo ratings spaced like a real leaderboard's: Arena-Hard v0.1's published win rates of 60 models
    against its baseline (../shared/data/arena_hard/leaderboard_20240731.csv, 3% to 83%), as Elo points
    (400 log10 of the odds), at `n_models` evenly spaced quantiles. Best model first."""
    score = pd.read_csv(ARENA_HARD)["score"].to_numpy() / 100.0
    elo = 1000.0 + ELO_PER_LOG_ODDS * np.log(score / (1.0 - score))
    return np.quantile(elo, np.linspace(1.0, 0.0, n_models))


@dataclass
class SimulatedJudge:
    """Verdicts for planned pairs under a known Bradley-Terry truth (module docstring)."""

    elo: np.ndarray
    n_questions: int
    seed: int
    shared: float = 0.5
    position_flip: float = 0.13
    models: tuple[str, ...] = field(init=False)
    questions: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.models = tuple(f"m{k:02d}" for k in range(len(self.elo)))  # m00 is the best
        self.questions = tuple(f"q{k:04d}" for k in range(self.n_questions))
        self.rng = np.random.default_rng(self.seed)
        self.gumbel = self.rng.gumbel(size=(self.n_questions, len(self.elo)))

    @property
    def beta(self) -> np.ndarray:
        return self.elo / ELO_PER_LOG_ODDS

    def design(self) -> Design:
        return Design(self.models, self.questions, np.ones((self.n_questions, len(self.models)), dtype=bool))

    def judge(self, pairs: list[Pair]) -> pd.DataFrame:
        """One outcome row per pair (both orders judged)."""
        index = {name: k for k, name in enumerate(self.models)}
        q = np.array([int(p.question_id[1:]) for p in pairs])
        a = np.array([index[p.model_a] for p in pairs])
        b = np.array([index[p.model_b] for p in pairs])
        shared = self.rng.random(len(pairs)) < self.shared
        noise = np.where(shared, self.gumbel[q, b] - self.gumbel[q, a], self.rng.logistic(size=len(pairs)))
        prefers_a = (self.beta[a] - self.beta[b] + noise > 0).astype(float)
        a_first_forced = self.rng.random(len(pairs)) < self.position_flip  # order ab: a shown first
        b_first_forced = self.rng.random(len(pairs)) < self.position_flip  # order ba: b shown first
        p_ab = np.where(a_first_forced, 1.0, prefers_a)
        p_ba = np.where(b_first_forced, 0.0, prefers_a)
        return pd.DataFrame({"question_id": [p.question_id for p in pairs], "model_a": [p.model_a for p in pairs],
                             "model_b": [p.model_b for p in pairs], "score_a": (p_ab + p_ba) / 2,
                             "weight": 1.0, "p_ab": p_ab, "p_ba": p_ba})[OUTCOME_COLUMNS]


@dataclass
class Trace:
    """A simulated run: the calls made before each round and the standing they produced; the final one."""

    calls: list[int]
    standings: list[Standing | None]
    outcomes: pd.DataFrame
    planner: Planner | None = None  # None for fixed_plan_trace's plan


def simulate(judge: SimulatedJudge, strategy: Strategy, *, budget_calls: int, games_per_round: int,
             seed: int = 0, stop=None, confidence: float = 0.95) -> Trace:
    """Run the planner against the simulated judge until it stops (budget, stop rule or exhaustion)."""
    planner = Planner(judge.design(), strategy, games_per_round, seed=seed, budget_calls=budget_calls, stop=stop,
                      confidence=confidence)
    frames = [pd.DataFrame(columns=OUTCOME_COLUMNS)]
    outcomes = frames[0]
    calls, standings = [], []
    while True:
        before = planner.calls
        batch = planner.next_round(outcomes)
        calls.append(before)
        standings.append(planner.last)
        if not batch:
            return Trace(calls, standings, outcomes, planner)
        frames.append(judge.judge(batch))
        outcomes = pd.concat(frames[1:], ignore_index=True)


def expected_misordered(beta: np.ndarray, model_pairs: np.ndarray, outcomes: np.ndarray,
                        gradient: bool = False) -> tuple[float, np.ndarray | None]:
    """The expected number of wrongly ordered pairs among `model_pairs` (indices into `beta`, log-odds) when
    pair k has `outcomes[k]` outcomes (pairs judged in both orders), in large samples: the sum over
    `model_pairs` of ``Phi(-|d| / sd_d)`` (`schedule.misordered`) with ``sd_d^2 = x^T S x``, S the
    pseudo-inverse of the Bradley-Terry Fisher information ``sum_k outcomes_k I_k x_k x_k^T`` (``x_k = e_i -
    e_j``, ``I_k`` = `schedule.comparison_information`; pseudo-inverse because ratings are known only up to a
    constant), so that every comparison informs every difference through the graph. With `gradient`, also
    its derivative in each ``outcomes_k``: ``d sd_d^2 / d outcomes_k = -I_k (x_d^T S x_k)^2``."""
    incidence = np.zeros((len(model_pairs), len(beta)))
    incidence[np.arange(len(model_pairs)), model_pairs[:, 0]] = 1.0
    incidence[np.arange(len(model_pairs)), model_pairs[:, 1]] = -1.0
    gap = np.abs(beta[model_pairs[:, 0]] - beta[model_pairs[:, 1]])
    information = comparison_information(gap)
    fisher = incidence.T @ (incidence * (outcomes * information)[:, None])
    between = incidence @ np.linalg.pinv(fisher) @ incidence.T  # covariances of all pairs' differences
    variance = np.maximum(np.diag(between), 1e-300)
    wrong = float(misordered(gap, variance).sum())
    if not gradient:
        return wrong, None
    slope = norm.pdf(gap / np.sqrt(variance)) * gap / (2.0 * variance ** 1.5)  # d Phi(-d / sd) / d sd^2
    return wrong, -information * ((between ** 2) @ slope)


@dataclass(frozen=True)
class FixedPlan:
    """The best fixed plan made knowing the truth (`best_fixed_plan`): each pair of models' share of the
    outcomes, the outcomes it needs, and the outcomes uniform sampling of all pairs needs for the same
    expected wrongly ordered pairs (an outcome is a pair judged in both orders: two judge calls)."""

    model_pairs: np.ndarray
    shares: np.ndarray
    outcomes: float
    uniform_outcomes: float


def best_fixed_plan(beta: np.ndarray, allowed: float) -> FixedPlan:
    """The shares of outcomes over all pairs of models that reach `allowed` expected wrongly ordered pairs
    (`expected_misordered`) with the fewest outcomes, for a judge whose true ratings are `beta` (log-odds).

    The benchmark's reference for what a fixed choice of pairs can save: a plan that knows the truth needs no
    exploration and puts every comparison where it helps the ranking most. It is a large-sample optimal
    design (optimal experimental design for paired comparisons, with the expected number of misordered pairs
    as the criterion): for a number of outcomes, the shares minimising the criterion are found by L-BFGS
    over a softmax of the shares (with `expected_misordered`'s gradient), and the number of outcomes by root
    finding. A plan that chooses as it goes is not bound by it: it may stop on pairs that turn out clear."""
    model_pairs = np.array(list(combinations(range(len(beta)), 2)))
    uniform = np.zeros(len(model_pairs))
    best = uniform

    def least_misordered(outcomes: float) -> float:
        nonlocal best

        def criterion(logits: np.ndarray) -> tuple[float, np.ndarray]:
            shares = softmax(logits)
            wrong, slope = expected_misordered(beta, model_pairs, outcomes * shares, gradient=True)
            assert slope is not None
            return wrong, outcomes * shares * (slope - shares @ slope)

        # from the last solution (warm start) or uniform shares, whichever is better here, so that the
        # criterion is never above uniform's and the root below is bracketed
        start = min((best, uniform), key=lambda logits: criterion(logits)[0])
        found = minimize(criterion, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        best = found.x
        return float(found.fun)

    def uniform_misordered(outcomes: float) -> float:
        return expected_misordered(beta, model_pairs, np.full(len(model_pairs), outcomes / len(model_pairs)))[0]

    uniform_outcomes = brentq(lambda n: uniform_misordered(n) - allowed, 1.0, 1e9)
    outcomes = brentq(lambda n: least_misordered(n) - allowed, uniform_outcomes / 10, uniform_outcomes, rtol=1e-2)
    least_misordered(outcomes)  # the shares for exactly these outcomes
    return FixedPlan(model_pairs, softmax(best), outcomes, uniform_outcomes)


def fixed_plan_trace(judge: SimulatedJudge, plan: FixedPlan, *, budget_calls: int, games_per_round: int,
                     seed: int = 0) -> Trace:
    """`plan` judged in rounds of `games_per_round` judge calls like the planner's: after each round every
    pair of models has as close to its share of the outcomes so far as whole outcomes allow (largest deficit
    first), each on its least-used open question; a pair judged on every question leaves the plan. Ratings
    are estimated as in any run (`schedule.standing`)."""
    design, rng = judge.design(), np.random.default_rng(seed)
    judged = np.zeros(len(plan.model_pairs))
    frames: list[pd.DataFrame] = []
    calls: list[int] = [0]
    standings: list[Standing | None] = [None]
    open_pair = np.ones(len(plan.model_pairs), dtype=bool)
    while calls[-1] < budget_calls:
        wanted = min(calls[-1] + games_per_round, budget_calls) // 2
        deficit = np.where(open_pair, plan.shares * wanted - judged, -np.inf)
        batch = []
        while judged.sum() < wanted and open_pair.any():
            k = int(np.argmax(deficit))
            first, second = plan.model_pairs[k]
            taken = design.take(design.pair_index(judge.models[first], judge.models[second]), rng)
            if taken is None:
                open_pair[k], deficit[k] = False, -np.inf
                continue
            batch.append(taken)
            deficit[k] -= 1.0
            judged[k] += 1
        if not batch:
            break
        frames.append(judge.judge(batch))
        outcomes = pd.concat(frames, ignore_index=True)
        calls.append(2 * len(outcomes))
        standings.append(standing(outcomes, judge.models))
    return Trace(calls, standings, pd.concat(frames, ignore_index=True))


def tau(standing: Standing | None, judge: SimulatedJudge) -> float:
    """Kendall's tau between a standing's ratings and the truth (0 before every model is rated)."""
    if standing is None:
        return 0.0
    where = {name: k for k, name in enumerate(standing.models)}
    rating = np.array([standing.rating[where[name]] for name in judge.models])
    return float(kendalltau(rating, judge.elo).statistic)


def calls_to_reach(trace: Trace, judge: SimulatedJudge, target: float) -> int | None:
    """Judge calls after which Kendall's tau with the truth stays at or above `target` until the run ends
    (None when the last standing is below it)."""
    reached = None
    for calls, now in zip(trace.calls, trace.standings, strict=True):
        if tau(now, judge) < target:
            reached = None
        elif reached is None:
            reached = calls
    return reached

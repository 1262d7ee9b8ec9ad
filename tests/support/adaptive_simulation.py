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
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from judgebench.records import OUTCOME_COLUMNS, Pair
from judgebench.schedule import ELO_PER_LOG_ODDS, INFORMATION_SHARE, Design, Planner, Standing, Strategy

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
    planner: Planner | None = None  # None for oracle_trace's fixed plan


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


def oracle_trace(judge: SimulatedJudge, *, budget_calls: int, games_per_round: int, hops: int,
                 seed: int = 0) -> Trace:
    """A plan made knowing the truth, judged in rounds like the planner's, as a reference for adaptive plans.

    Pairs at most `hops` apart in the true ranking are judged, one comparison at a time, always where the
    next comparison most reduces the expected number of wrongly ordered pairs: ``Phi(-d / s_n) -
    Phi(-d / s_(n+1))`` with d the true difference as the judge sees it (shrunk by its position flips) and
    ``s_n^2 = 1 / (n I)`` the variance after n comparisons of the pair alone (I = p (1 - p), the Bradley-Terry
    information, times schedule.INFORMATION_SHARE for the ties that position flips make). The first round is
    the chain of neighbours, so that every model is rated. Ratings are estimated as in any run (`schedule.standing`)."""
    from heapq import heapify, heappop, heappush

    from scipy.special import ndtr

    from judgebench.schedule import standing

    n = len(judge.models)
    beta = judge.beta * (1.0 - judge.position_flip)
    comparisons: dict[tuple[int, int], int] = {(i, i + h): 0 for h in range(1, hops + 1) for i in range(n - h)}

    def gain(pair: tuple[int, int]) -> float:
        d = abs(beta[pair[0]] - beta[pair[1]])
        information = INFORMATION_SHARE / (2.0 + np.exp(d) + np.exp(-d))  # p (1 - p) times the share
        before = 1.0 / np.sqrt(max(comparisons[pair], 1e-3) * information)
        after = 1.0 / np.sqrt((comparisons[pair] + 1) * information)
        return float(ndtr(-d / before) - ndtr(-d / after))

    design, rng = judge.design(), np.random.default_rng(seed)
    queue = [(-gain(pair), pair) for pair in comparisons]
    heapify(queue)
    chain = [design.take(design.pair_index(judge.models[i], judge.models[i + 1]), rng) for i in range(n - 1)]
    batch = [pair for pair in chain if pair is not None]
    frames: list[pd.DataFrame] = []
    calls: list[int] = [0]
    standings: list[Standing | None] = [None]
    while calls[-1] < budget_calls and queue:
        while len(batch) < min(games_per_round, budget_calls - calls[-1]) // 2 and queue:
            pair = heappop(queue)[1]
            taken = design.take(design.pair_index(judge.models[pair[0]], judge.models[pair[1]]), rng)
            if taken is not None:  # else the pair has been judged on every question: it leaves the queue
                batch.append(taken)
                comparisons[pair] += 1
                heappush(queue, (-gain(pair), pair))
        frames.append(judge.judge(batch))
        batch = []
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

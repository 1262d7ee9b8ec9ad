"""Adaptive judging on small simulations with a known Bradley-Terry truth (tests/support/adaptive_simulation.py):
it reaches a ranking precision with fewer judge calls than uniform sampling, and its 95% intervals still
cover the truth although the pairs were chosen from earlier verdicts. The planner is the real one; only the
judge is simulated. Every simulation is seeded, so these tests give the same numbers on every run; the
Monte Carlo errors are stated where the thresholds are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from judgebench.errors import ConfigError
from judgebench.leaderboard import build
from judgebench.schedule import ELO_PER_LOG_ODDS, Design, Planner, choose_tournament, parse_stop
from tests.support.adaptive_simulation import (
    SimulatedJudge,
    best_fixed_plan,
    calls_to_reach,
    expected_misordered,
    fixed_plan_trace,
    leaderboard_elo,
    simulate,
)


def median_calls(strategy: str, seeds: range, target: float) -> float:
    found = []
    for seed in seeds:
        judge = SimulatedJudge(leaderboard_elo(10), 300, seed=seed)
        trace = simulate(judge, strategy, budget_calls=3000, games_per_round=100, seed=seed)
        found.append(calls_to_reach(trace, judge, target) or np.inf)
    return float(np.median(found))


def test_adaptive_reaches_the_ranking_with_fewer_calls_than_uniform():
    # 10 models spaced like Arena-Hard's leaderboard, position bias and label noise; median of 5 seeds of the
    # judge calls after which Kendall's tau with the truth stays at or above 0.9.
    adaptive = median_calls("adaptive", range(5), 0.9)
    uniform = median_calls("uniform", range(5), 0.9)
    assert adaptive < 0.8 * uniform, (adaptive, uniform)


def test_best_fixed_plan_reaches_the_allowed_misordered_pairs_with_fewer_outcomes_than_uniform():
    # The benchmark's reference plan (bench_adaptive.py, best-fixed): its criterion's gradient is checked
    # against finite differences, and the plan found reaches the target with fewer outcomes than uniform shares.
    beta = leaderboard_elo(6) / ELO_PER_LOG_ODDS
    plan = best_fixed_plan(beta, allowed=0.5)
    outcomes = plan.outcomes * plan.shares
    wrong, slope = expected_misordered(beta, plan.model_pairs, outcomes, gradient=True)
    step = np.zeros(len(outcomes))
    step[3] = 1e-3 * outcomes[3]
    numeric = (expected_misordered(beta, plan.model_pairs, outcomes + step)[0]
               - expected_misordered(beta, plan.model_pairs, outcomes - step)[0]) / (2 * step[3])
    assert slope is not None and slope[3] == pytest.approx(numeric, rel=1e-4)
    assert wrong == pytest.approx(0.5, rel=0.05)
    assert plan.outcomes < 0.9 * plan.uniform_outcomes  # 0.69 when written
    even = np.full(len(outcomes), plan.uniform_outcomes / len(outcomes))
    assert expected_misordered(beta, plan.model_pairs, even)[0] == pytest.approx(0.5, rel=1e-3)


def test_a_fixed_plan_ends_when_its_pairs_have_used_every_question():
    # 3 questions: the plan's pairs run out of questions long before the budget.
    judge = SimulatedJudge(leaderboard_elo(4), 3, seed=0)
    plan = best_fixed_plan(judge.beta, allowed=0.5)
    trace = fixed_plan_trace(judge, plan, budget_calls=10_000, games_per_round=8, seed=0)
    assert len(trace.outcomes) == 3 * 6  # every pair on every question, once
    assert trace.calls[-1] == 2 * 3 * 6


def test_intervals_cover_the_truth_after_adaptive_sampling():
    # A judge without position flips, so that the outcomes follow the Bradley-Terry truth exactly (a flipped
    # verdict shrinks every difference, and the truth would no longer be the model's parameter); verdicts of
    # one question share per-question effects, which the question-clustered intervals account for.
    # The run's own intervals (the clustered sandwich, as schedule.standing computes them) and, for runs that
    # set `interval = "bootstrap"`, the question bootstrap of the same outcomes.
    n_runs, errors, covered, bootstrap_covered = 120, [], [], []
    for seed in range(n_runs):
        judge = SimulatedJudge(leaderboard_elo(6), 100, seed=1000 + seed, position_flip=0.0)
        trace = simulate(judge, "adaptive", budget_calls=1200, games_per_round=200, seed=seed)
        final = trace.standings[-1]
        assert final is not None
        where = {name: k for k, name in enumerate(final.models)}
        order = [where[name] for name in judge.models]
        truth = judge.elo - judge.elo.mean() + 1000.0  # ratings are reported with mean 1000
        errors.append(final.rating[order] - truth)
        covered.append((final.lower[order] <= truth) & (truth <= final.upper[order]))
        bootstrap = {row["model"]: row for row in build(trace.outcomes, interval="bootstrap").models}
        bootstrap_covered.append([bootstrap[name]["lower"] <= value <= bootstrap[name]["upper"]
                                  for name, value in zip(judge.models, truth, strict=True)])
    # 720 intervals each: Monte Carlo standard error about 0.008 around 0.95 (measured: sandwich 0.956,
    # bootstrap 0.940)
    coverage, bootstrap_coverage = float(np.mean(covered)), float(np.mean(bootstrap_covered))
    assert 0.93 <= coverage <= 0.97, coverage
    assert 0.93 <= bootstrap_coverage <= 0.97, bootstrap_coverage
    errors_ = np.array(errors)
    bias, spread = errors_.mean(axis=0), errors_.std(axis=0)
    # Bradley-Terry maximum likelihood spreads ratings out slightly in small samples (uniform sampling, same
    # budget: +11 and -10 Elo at the ends). Sampling chosen from earlier verdicts adds to that: a model that
    # looks far from its neighbours is compared less, so its early luck is not corrected (without
    # schedule.FLOOR: +128 and -174 Elo, coverage 0.74 at 600 calls). With the floor the bias measured here
    # is at most 0.37 of each rating's spread (+8 and -18 Elo at the ends), which the coverage absorbs.
    assert np.all(np.abs(bias) < 0.5 * spread), (bias, spread)


def test_a_rerun_with_the_same_seed_and_outcomes_plans_the_same_games():
    judge = SimulatedJudge(leaderboard_elo(8), 50, seed=3)
    first = simulate(judge, "adaptive", budget_calls=400, games_per_round=40, seed=7)
    replay = Planner(judge.design(), "adaptive", 40, seed=7, budget_calls=800)
    for batch in first.planner.rounds:  # the same outcomes, replayed from a "store"
        planned = {(p.question_id, p.model_a, p.model_b) for p in replay.planned}
        outcomes = first.outcomes[[tuple(key) in planned for key in
                                   first.outcomes[["question_id", "model_a", "model_b"]].itertuples(index=False)]]
        assert replay.next_round(outcomes.reset_index(drop=True)) == batch
    assert len(replay.next_round(first.outcomes)) == 20  # then it continues with new games
    assert replay.calls == 440


def test_tournament_brackets_advance_winners_and_stop():
    design = Design(("a", "b", "c", "d", "e"), ("q1", "q2"), np.ones((2, 5), dtype=bool))
    strength = {"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}
    rows: list[dict] = []
    while batch := choose_tournament(design, pd.DataFrame(rows, columns=["question_id", "model_a", "model_b",
                                                                          "score_a"]), seed=0, n_pairs=100):
        rows += [{"question_id": p.question_id, "model_a": p.model_a, "model_b": p.model_b,
                  "score_a": float(strength[p.model_a] > strength[p.model_b])} for p in batch]
    assert len(rows) == 2 * 4  # (models - 1) matches per question
    finals = [row for row in rows if "a" in (row["model_a"], row["model_b"])]
    assert len({row["question_id"] for row in finals}) == 2  # the best model plays on every question


@pytest.mark.parametrize("text", ["narrow", "width=0", "width=-3", "width=abc", "width=inf"])
def test_stop_rules_are_checked(text):
    with pytest.raises(ConfigError, match="width=W"):
        parse_stop(text)
    assert str(parse_stop(" width=50 ")) == "width=50" and str(parse_stop("separated")) == "separated"

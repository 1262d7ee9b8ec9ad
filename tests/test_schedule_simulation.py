"""Adaptive judging on small simulations with a known Bradley-Terry truth (tests/support/adaptive_simulation.py):
it reaches a ranking precision with fewer judge calls than uniform sampling, and its 95% intervals still
cover the truth although the pairs were chosen from earlier verdicts. The planner is the real one; only the
judge is simulated. Every simulation is seeded, so these tests give the same numbers on every run; the
Monte Carlo errors are stated where the thresholds are."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from judgebench.errors import ConfigError
from judgebench.leaderboard import DesignBias, build
from judgebench.records import OUTCOME_COLUMNS, Pair
from judgebench.schedule import (
    ELO_PER_LOG_ODDS,
    FLOOR,
    Design,
    Planner,
    ReplayJudge,
    Standing,
    _lift_to_floor,
    choose_tournament,
    design_bias,
    parse_stop,
)
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
    # At a pair the plan gives many outcomes: where it gives next to none (which pairs those are depends on the
    # optimiser's last digits, so on the machine's BLAS), a relative step is lost in rounding.
    k = int(np.argmax(outcomes))
    step = np.zeros(len(outcomes))
    step[k] = 1e-3 * outcomes[k]
    numeric = (expected_misordered(beta, plan.model_pairs, outcomes + step)[0]
               - expected_misordered(beta, plan.model_pairs, outcomes - step)[0]) / (2 * step[k])
    assert slope is not None and slope[k] == pytest.approx(numeric, rel=1e-4)
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


def _one_coverage_run(seed: int) -> dict[str, tuple[list[float], list[bool]]]:
    """One simulated adaptive run of test_intervals_cover_the_truth_after_adaptive_sampling: for the plain fit
    ("raw") and the corrected fit with either interval, each model's rating minus the truth and whether its
    interval holds the truth, the best model first."""
    judge = SimulatedJudge(leaderboard_elo(20), 500, seed=1000 + seed, position_flip=0.0)
    trace = simulate(judge, "adaptive", budget_calls=4000, games_per_round=256, seed=seed)
    truth = dict(zip(judge.models, judge.elo - judge.elo.mean() + 1000.0, strict=True))  # mean rating 1000
    bias = design_bias(trace.planner, trace.outcomes)
    boards = {"raw": build(trace.outcomes, interval="sandwich"),
              "sandwich": build(trace.outcomes, interval="sandwich", design_bias=bias),
              "bootstrap": build(trace.outcomes, interval="bootstrap", rounds=300, design_bias=bias)}
    found = {}
    for key, board in boards.items():
        rows = sorted(board.models, key=lambda row: row["model"])  # m00 (the best) first
        found[key] = ([row["rating"] - truth[row["model"]] for row in rows],
                      [row["lower"] <= truth[row["model"]] <= row["upper"] for row in rows])
    return found


def test_intervals_cover_the_truth_after_adaptive_sampling():
    # 20 models spaced like Arena-Hard's leaderboard, 4,000 calls in rounds of 256 games: what an adaptive run's
    # leaderboard reports (evaluation.evaluate: Bradley-Terry with the design bias removed, schedule.design_bias)
    # against the same fit without the correction. A judge without position flips, so that the outcomes follow
    # the Bradley-Terry truth exactly (a flipped verdict shrinks every difference, and the truth would no longer
    # be the model's parameter); verdicts of one question share per-question effects, which the
    # question-clustered intervals account for. Both interval methods: the clustered sandwich (the default for
    # adaptive runs) and the question bootstrap (runs that set `interval = "bootstrap"`). The runs are seeded
    # and independent, so they run in one process per core (the longest test of the suite: 340 s in one).
    n_runs, found = 60, {key: ([], []) for key in ("raw", "sandwich", "bootstrap")}
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        for run in pool.map(_one_coverage_run, range(n_runs)):
            for key, (errors, covered) in run.items():
                found[key][0].append(errors)
                found[key][1].append(covered)
    coverage = {key: float(np.mean(covered)) for key, (_, covered) in found.items()}
    worst_bias = {key: float(np.max(np.abs(np.mean(errors, axis=0)) / np.std(errors, axis=0)))
                  for key, (errors, _) in found.items()}
    # 1,200 intervals each (60 runs, correlated within a run): Monte Carlo standard error about 0.008 around
    # 0.95. Measured: sandwich 0.961, bootstrap 0.955 with the correction (the replays' median drift).
    assert 0.93 <= coverage["sandwich"] <= 0.97, coverage
    assert 0.93 <= coverage["bootstrap"] <= 0.97, coverage
    # Without the correction the plan's choices spread the ratings out (+55 and -47 Elo at the ends, up to 1.09
    # of a rating's spread; coverage 0.923), because pairs that look close are compared most, so a pair whose
    # early verdicts pushed it apart keeps that luck. Uniform sampling, same budget: +5 and -0 Elo at most
    # (0.24 of the spread), coverage 0.955 (12 models, 2,400 calls, 80 runs).
    assert worst_bias["raw"] > 0.8, worst_bias
    # With it, what is left is at most 0.30 of the spread (+7 and +11 Elo at the ends).
    assert worst_bias["sandwich"] < 0.5, worst_bias


def test_replay_judge_keeps_the_expected_score_and_the_ties():
    # The replays of design_bias must follow the fitted Bradley-Terry ratings: a pair's mean score is its
    # expected score, even with more ties than a lopsided pair can have (then it ties as often as it can), and
    # its scores scatter as the run's did.
    judge = ReplayJudge({"a": 1400.0, "b": 1000.0, "c": 1000.0}, tie_share=0.5, concentration=None)
    n = 40_000  # standard error of a mean score at most 0.5 / 200 = 0.0025
    for first, second, expected in (("a", "b", 1 / (1 + 10 ** -1.0)), ("b", "c", 0.5)):
        outcomes = judge.outcomes([Pair(f"q{k}", first, second) for k in range(n)], 0)
        assert abs(outcomes["score_a"].mean() - expected) < 0.01
        ties = float(np.mean(outcomes["score_a"] == 0.5))
        assert abs(ties - min(0.5, 2 * (1 - expected))) < 0.01
    # Graded scores (a logprob judge): Beta scores with the run's mean squared residual. These outcomes scatter
    # around their expected score 0.909 with mean square 0.0165, which Beta(0.909 c, 0.091 c) gives at c = 4.
    expected = 1 / (1 + 10 ** -1.0)
    scores = expected + np.array([-0.1285, 0.1285] * 50)  # mean square 0.0165 = p (1 - p) / 5
    graded = ReplayJudge.of(pd.DataFrame({"model_a": ["a"] * 100, "model_b": ["b"] * 100, "score_a": scores}),
                            judge.rating)
    assert graded.concentration == pytest.approx(4.0, rel=0.01)
    replayed = graded.outcomes([Pair(f"q{k}", "a", "b") for k in range(n)], 0)["score_a"]
    assert abs(replayed.mean() - expected) < 0.01 and abs(replayed.var() - 0.0165) < 0.002


def test_a_replayed_game_has_one_verdict_whatever_is_judged_with_it():
    # design_bias's replays draw each game's verdict from its own key, so a tournament (whose matches do not
    # depend on the round size) is replayed the same whatever the round size, a transport setting
    judge = ReplayJudge({"a": 1100.0, "b": 1000.0, "c": 900.0}, tie_share=0.2, concentration=None)
    games = [Pair(f"q{k}", first, second) for k in range(200) for first, second in (("a", "b"), ("b", "c"))]
    alone = judge.outcomes(games, 7)["score_a"].to_numpy()
    in_batches = np.concatenate([judge.outcomes(games[k:k + 30], 7)["score_a"].to_numpy()
                                 for k in range(0, len(games), 30)])
    np.testing.assert_array_equal(alone, in_batches)
    assert not np.array_equal(alone, judge.outcomes(games, 8)["score_a"].to_numpy())  # another replay differs
    trace = simulate(SimulatedJudge(leaderboard_elo(6), 40, seed=3), "tournament", budget_calls=10_000,
                     games_per_round=8, seed=0)
    assert trace.planner is not None
    shifts = [design_bias(replace(trace.planner, games_per_round=size), trace.outcomes) for size in (8, 16, 100)]
    assert all(shift is not None for shift in shifts)
    assert max(abs(value) for value in shifts[0].shift.values()) > 1.0  # a correction there is to compare
    assert sum(shifts[0].shift.values()) == pytest.approx(0.0, abs=1e-9)  # relative to the mean rating, as said
    for other in shifts[1:]:
        assert other.shift == pytest.approx(shifts[0].shift, abs=1e-9)


def test_design_bias_is_applied_on_the_ratings_scale_and_reference():
    outcomes = pd.DataFrame({"question_id": [f"q{k % 7}" for k in range(60)],
                             "model_a": ["a", "b", "c"] * 20, "model_b": ["b", "c", "a"] * 20,
                             "score_a": np.random.default_rng(1).integers(0, 2, 60).astype(float), "weight": 1.0})
    bias = DesignBias({"a": 30.0, "b": -10.0, "c": -20.0}, replays=20)
    for scale, anchor in ((400.0, None), (200.0, None), (400.0, "c")):
        plain = {row["model"]: row for row in build(outcomes, interval="sandwich", scale=scale, anchor=anchor).models}
        fixed = {row["model"]: row for row in build(outcomes, interval="sandwich", scale=scale, anchor=anchor,
                                                      design_bias=bias).models}
        moved = {name: plain[name]["rating"] - fixed[name]["rating"] for name in plain}
        expected = {name: value * scale / 400 for name, value in bias.shift.items()}  # mean 0 already
        if anchor is not None:
            expected = {name: value - expected[anchor] for name, value in expected.items()}
        assert moved == pytest.approx(expected, abs=1e-6)
        half = {name: (row["upper"] - row["lower"]) for name, row in fixed.items()}
        assert half == pytest.approx({name: (row["upper"] - row["lower"]) * np.sqrt(1 + np.pi / 40)
                                      for name, row in plain.items()}, rel=1e-6)  # Monte Carlo error of a median of 20
    with pytest.raises(ConfigError, match="plain Bradley-Terry"):
        build(outcomes, method="elo", design_bias=bias)


def test_a_rerun_with_the_same_seed_and_outcomes_plans_the_same_games():
    judge = SimulatedJudge(leaderboard_elo(8), 50, seed=3)
    first = simulate(judge, "adaptive", budget_calls=400, games_per_round=40, seed=7)
    replay = Planner(judge.design(), "adaptive", 40, seed=7, budget_calls=800)
    for batch in first.planner.rounds:  # the same outcomes, replayed from a "store"
        planned = {(p.question_id, p.model_a, p.model_b) for sent in replay.rounds for p in sent}
        outcomes = first.outcomes[[tuple(key) in planned for key in
                                   first.outcomes[["question_id", "model_a", "model_b"]].itertuples(index=False)]]
        assert replay.next_round(outcomes.reset_index(drop=True)) == batch
    assert len(replay.next_round(first.outcomes)) == 20  # then it continues with new games
    assert replay.calls == 440


@pytest.mark.parametrize("seed", range(8))
def test_a_dollar_budget_is_not_passed_when_some_pairs_cost_more_than_others(seed):
    """Rounds were planned at the plan's mean pair cost: a last round with more than its share of dear pairs
    (here a pair with m00, whose answers are long, costs ten times another) passed the budget. Planned at the
    dearest pair so far, the plan stays within the budget, unless a pair costs more than every pair before it,
    and stops less than one dearest pair short of it."""
    judge = SimulatedJudge(leaderboard_elo(8), 60, seed=seed)
    planner = Planner(judge.design(), "adaptive", 32, seed=seed, budget_usd=3.0)
    outcomes, cost, dearest = pd.DataFrame(columns=OUTCOME_COLUMNS), 0.0, 0.0
    while batch := planner.next_round(outcomes):
        prices = [0.10 if "m00" in (pair.model_a, pair.model_b) else 0.01 for pair in batch]
        cost, dearest = cost + sum(prices), max(dearest, *prices)
        planner.paid(cost, {}, dearest)
        outcomes = pd.concat([outcomes, judge.judge(batch)], ignore_index=True)
    assert planner.stopped_by == "budget_usd"
    assert 3.0 - dearest < cost <= 3.0, (cost, dearest)


def test_a_model_whose_neighbours_used_every_question_is_lifted_to_the_floor_by_the_next_nearest():
    # a-b, b-c and c-d judged on all 3 questions: the ends' only neighbours have no question left. Stopping there left
    # a and d at 3 pairs against a floor of 4.55; the next nearest in rank (a-c, d-b) has open questions.
    design = Design(("a", "b", "c", "d"), ("q1", "q2", "q3"), np.ones((3, 4), dtype=bool))
    for first, second in (("a", "b"), ("b", "c"), ("c", "d")):
        for question in range(3):
            design.add(design.pair_index(first, second), question)
    ranked = Standing(("a", "b", "c", "d"), np.array([1300.0, 1290.0, 1100.0, 1000.0]),
                      np.array([1250.0, 1240.0, 1050.0, 950.0]), np.array([1350.0, 1340.0, 1150.0, 1050.0]), 0.95)
    floor = FLOOR * (design.model_pairs().sum() + 2 * 4) / 4  # after a round of 4 pairs, as _lift_to_floor sets it
    chosen = _lift_to_floor(design, ranked, 4, np.random.default_rng(0))
    assert sorted((p.model_a, p.model_b) for p in chosen) == [("a", "c"), ("a", "c"), ("b", "d"), ("b", "d")]
    assert design.model_pairs().min() >= floor


def test_every_model_keeps_the_floor_when_the_top_pair_has_used_every_question():
    # Two top models 10 Elo apart on 10 questions: the adaptive plan judges their pair on every question early,
    # and whichever ranks first has one neighbour, whose pair has no question left. It was then lifted no further
    # (nor a model whose drawn neighbour was used up): m01 fell under the floor by the fourth round
    # (a user's 6-model, 40-question trial of 600 calls: 64 against 70).
    # After every round chosen from a standing (the first explores), each model has at least FLOOR times the
    # average model's pairs, rounds being whole (the budget is six rounds).
    judge = SimulatedJudge(np.array([1300.0, 1290.0, 1100.0, 1000.0, 900.0, 800.0]), 10, seed=1)
    trace = simulate(judge, "adaptive", budget_calls=144, games_per_round=24, seed=1)
    assert trace.planner is not None and trace.planner.stopped_by == "budget_calls"
    design = judge.design()
    assert design.pair_index("m00", "m01") == 0
    for number, batch in enumerate(trace.planner.rounds):
        assert len(batch) == 12
        for pair in batch:
            design.add(design.pair_index(pair.model_a, pair.model_b), design.questions.index(pair.question_id))
        counts = design.model_pairs()
        if number > 0:
            assert counts.min() >= FLOOR * counts.sum() / len(counts) - 1e-9, (number, counts)
    assert design.planned[0].all()  # the top pair was judged on every question


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


def play_brackets(models: int, questions: int, withheld: frozenset[tuple[str, str, str]] = frozenset()
                  ) -> list[dict]:
    """Every question's bracket played to the end by a judge that prefers the earlier model name; the matches in
    `withheld` are judged without a verdict (no outcome). Returns the matches planned, each with its bracket round
    on its question: a batch of unlimited size takes one bracket round of every question."""
    names = tuple(f"m{k:02d}" for k in range(models))
    design = Design(names, tuple(f"q{k}" for k in range(questions)), np.ones((questions, models), dtype=bool))
    rows: list[dict] = []
    rounds: dict[str, int] = {}
    while batch := choose_tournament(design, pd.DataFrame(
            [r for r in rows if (r["question_id"], r["model_a"], r["model_b"]) not in withheld],
            columns=["question_id", "model_a", "model_b", "score_a", "round"]), seed=0, n_pairs=10_000):
        for question in {p.question_id for p in batch}:
            rounds[question] = rounds.get(question, 0) + 1
        rows += [{"question_id": p.question_id, "model_a": p.model_a, "model_b": p.model_b, "score_a": 1.0,
                  "round": rounds[p.question_id]} for p in batch]
    return rows


@pytest.mark.parametrize("models", [5, 9, 12])
def test_tournament_byes_fall_in_the_first_bracket_round(models):
    """(M - 1) matches per question in ceil(log2 M) bracket rounds, and every finalist reached the final by
    winning matches: with the bye given at the end of every bracket round, one entrant per question reached the
    final of 5, 9 or 17 models without playing (40 of 40 questions)."""
    rows = play_brackets(models, 20)
    by_question = pd.DataFrame(rows).groupby("question_id")
    assert (by_question.size() == models - 1).all()
    assert (by_question["round"].max() == (models - 1).bit_length()).all()
    for _, matches in by_question:
        final = matches[matches["round"] == matches["round"].max()].iloc[0]
        earlier = matches[matches["round"] < final["round"]]
        for finalist in (final["model_a"], final["model_b"]):
            assert ((earlier["model_a"] == finalist) | (earlier["model_b"] == finalist)).any()


def test_a_tournament_match_without_a_verdict_is_decided_by_a_coin_and_its_bracket_goes_on():
    """A match judged without a verdict (unparsed after its attempts) stopped its question's bracket for good,
    and the run still said "tournament complete"."""
    first = play_brackets(8, 3)
    withheld = frozenset((r["question_id"], r["model_a"], r["model_b"]) for r in first if r["round"] == 1)
    rows = play_brackets(8, 3, withheld)  # no first-round match of any question has a verdict
    assert pd.DataFrame(rows).groupby("question_id").size().tolist() == [7, 7, 7]


@pytest.mark.parametrize("text", ["narrow", "widht=50", "width", "width 50"])
def test_stop_rules_are_checked(text):
    with pytest.raises(ConfigError, match=f"unknown stopping rule '{text}': use 'separated' or 'width=W'"):
        parse_stop(text)
    assert str(parse_stop(" width=50 ")) == "width=50" and str(parse_stop("separated")) == "separated"


def test_a_width_rule_is_echoed_as_written():
    """A whole width is said in digits, as the user wrote it (1e9 was said back as 1e+09); a fraction is kept."""
    assert str(parse_stop("width=1e9")) == "width=1000000000"
    assert str(parse_stop("width=37.5")) == "width=37.5"


@pytest.mark.parametrize("text", ["width=0", "width=-3", "width=abc", "width=inf", "width=nan", "width="])
def test_a_width_rule_needs_a_positive_width(text):
    """The rule's name is right, its value is not: the message says what W must be, not "unknown rule"."""
    with pytest.raises(ConfigError, match=f"stopping rule '{text}': W must be a positive number of Elo points"):
        parse_stop(text)
    assert str(parse_stop(" width=50 ")) == "width=50" and str(parse_stop("separated")) == "separated"


def test_a_stopping_rule_waits_until_the_maximum_likelihood_ratings_exist():
    """Six models 600 Elo apart: early rounds often leave a model that won (or lost) every comparison, whose
    ratings are the weak ridge's, far apart with intervals that soon look separated. No plan stops on them (seed
    7 did, after 96 calls), and while they do not exist the plan judges the pairs across the groups that never lost
    to or never beat each other more often than a uniform draw would, so that they come to exist sooner."""
    ridged_rounds = across_share = uniform_share = 0.0
    for seed in range(8):
        judge = SimulatedJudge(np.linspace(3000, 0, 6), 60, seed=seed)
        trace = simulate(judge, "adaptive", budget_calls=1800, games_per_round=32, seed=seed,
                         stop=parse_stop("separated"))
        assert trace.planner.stopped_by == "stop=separated" and trace.planner.last.ratings_exist, seed
        for standing, batch in zip(trace.standings, trace.planner.rounds, strict=False):
            if standing is not None and not standing.ratings_exist:
                group = dict(zip(standing.models, standing.groups.tolist(), strict=True))
                across = [group[a] != group[b] for a, b in combinations(judge.models, 2)]
                ridged_rounds += 1
                across_share += np.mean([group[p.model_a] != group[p.model_b] for p in batch])
                uniform_share += np.mean(across)
    # 17 such rounds in all, 73% of their pairs across groups against 65% of all pairs (without counting those
    # pairs as a coin flip: 33 rounds, 30% against 60%)
    assert 8 <= ridged_rounds <= 24 and across_share > uniform_share, (ridged_rounds, across_share, uniform_share)


def test_no_stopping_rule_is_reached_on_ratings_that_do_not_exist():
    # intervals that the weak ridge made narrow and separated: met only when every model is in one group
    separated = Standing(("a", "b"), np.array([1400.0, 600.0]), np.array([1300.0, 500.0]), np.array([1500.0, 700.0]),
                         0.95, groups=np.array([0, 1]))
    assert not separated.ratings_exist
    assert not separated.reached(parse_stop("separated")) and not separated.reached(parse_stop("width=300"))
    joined = replace(separated, groups=np.array([0, 0]))
    assert joined.reached(parse_stop("separated")) and joined.reached(parse_stop("width=300"))


@pytest.mark.parametrize("rule", ["width=50", "separated"])
def test_a_stopping_rule_is_not_met_by_intervals_of_no_width(rule):
    """A judge that always picks the first answer ties every pair over both orders: the sandwich of verdicts the
    fit predicts exactly has width 0, which met width=50 after the first pair (2 calls). With graded verdicts
    from one question (the first rounds of small rounds) the intervals are the one-question bootstrap's, also
    of width 0. Neither measures anything: the plan goes on to its budget."""
    design = Design(("a", "b", "c"), tuple(f"q{k}" for k in range(10)), np.ones((10, 3), dtype=bool))
    planner = Planner(design, "adaptive", 2, seed=0, budget_calls=24, stop=parse_stop(rule))
    outcomes = pd.DataFrame(columns=OUTCOME_COLUMNS)
    scores = {"a": 0.7, "b": 0.5, "c": 0.3}  # graded: a's score against anyone (separated rule), else ties
    while batch := planner.next_round(outcomes):
        rows = [{"question_id": p.question_id, "model_a": p.model_a, "model_b": p.model_b, "weight": 1.0,
                 "score_a": 0.5 if rule.startswith("width") else 0.5 + scores[p.model_a] - scores[p.model_b]}
                for p in batch]
        outcomes = pd.concat([outcomes, pd.DataFrame(rows).reindex(columns=OUTCOME_COLUMNS)], ignore_index=True)
    assert planner.stopped_by == "budget_calls" and planner.calls == 24
    if rule.startswith("width"):  # the summary's precision: no pair is separated by intervals of width 0
        assert planner.report()["precision"] == {"widest_interval": 0.0, "adjacent_separated": 0, "adjacent_pairs": 2}


def test_the_largest_plan_of_a_tournament_is_its_brackets_not_every_pair():
    """A stopping rule without a budget is told how many calls it may take: for 8 models on 10 questions it said
    every pair's 560, where the whole tournament takes 140 (a user's audit)."""
    design = Design(tuple(f"m{k}" for k in range(8)), tuple(f"q{k}" for k in range(10)), np.ones((10, 8), dtype=bool))
    assert Planner(design, "tournament", 32).calls_at_most == 2 * 7 * 10
    adaptive = Planner(design, "adaptive", 32)
    assert adaptive.calls_at_most == adaptive.calls_all_pairs == 2 * 28 * 10

"""Win rates against a baseline: AlpacaEval 2.0's published leaderboard reproduced from its annotations."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from judgebench.datasets.judgments import (
    load_alpaca_eval_annotations,
    load_alpaca_eval_lc_weights,
    load_instruction_difficulty,
)
from judgebench.leaderboard import build
from judgebench.ratings.winrate import (
    LengthGLM,
    length_controlled_standard_error,
    length_controlled_win_rate,
    win_rate_vs_baseline,
)
from tests.support.weighted_games import WEIGHTED

BASELINE = "gpt4_1106_preview"
RATE_KEYS = ("win_rate", "standard_error", "discrete_win_rate")
COUNT_KEYS = ("n_wins", "n_wins_base", "n_draws", "n_total")


@pytest.fixture(scope="module")
def alpaca(shared_data):
    folder = shared_data / "alpaca_eval"
    files = sorted((folder / "annotations").glob("*.json"))
    assert len(files) == 14
    return {
        "files": files,
        "outcomes": load_alpaca_eval_annotations(files),
        # The published leaderboard is in percent.
        "leaderboard": pd.read_csv(folder / "leaderboard.csv", index_col=0),
        "weights": load_alpaca_eval_lc_weights(folder / "lc_weights.csv"),
        "difficulty": load_instruction_difficulty(folder / "instruction_difficulty.csv"),
    }


def test_each_annotation_file_reproduces_the_published_row(alpaca):
    published = alpaca["leaderboard"]
    worst = 0.0
    for path in alpaca["files"]:
        outcomes = load_alpaca_eval_annotations([path])
        model = outcomes["model_a"].iloc[0]
        row = published.loc[model]
        summary = win_rate_vs_baseline(outcomes["score_a"].to_numpy())
        for key in RATE_KEYS:
            error = abs(summary[key] - row[key] / 100)
            worst = max(worst, error)
            assert error < 1e-6, (model, key, summary[key], row[key])
        for key in COUNT_KEYS:
            assert summary[key] == row[key], (model, key)
    assert worst < 1e-6


def test_win_rates_count_the_baseline_on_either_side(alpaca):
    """AlpacaEval's annotations put the baseline second; half of them turned around (the baseline first, the
    score and lengths swapped) give the same win rates: a row is seen from the model, whichever side it is on.
    (The published figures themselves: tests/test_leaderboard.py.)"""
    outcomes = alpaca["outcomes"]
    swapped = outcomes.assign(model_a=outcomes["model_b"], model_b=outcomes["model_a"],
                              score_a=1 - outcomes["score_a"], len_a=outcomes["len_b"], len_b=outcomes["len_a"])
    mixed = pd.concat([outcomes.iloc[::2], swapped.iloc[1::2]])
    direct, both_sides = ({row["model"]: row for row in build(frame, method="winrate", baseline=BASELINE,
                                                                 rounds=10).models}
                          for frame in (outcomes, mixed))
    assert len(direct) == 14 and direct.keys() == both_sides.keys()
    for model, row in direct.items():
        assert row["rating"] == pytest.approx(both_sides[model]["rating"], abs=1e-12)
        assert (row["n_wins"], row["n_draws"]) == (both_sides[model]["n_wins"], both_sides[model]["n_draws"])


def test_length_controlled_win_rate_from_published_weights(alpaca):
    published, weights, difficulty = alpaca["leaderboard"], alpaca["weights"], alpaca["difficulty"]
    compared = compared_se = 0
    for model, outcomes in alpaca["outcomes"].groupby("model_a"):
        if model not in weights.index:
            continue
        d = difficulty.loc[outcomes["question_id"]].to_numpy()
        rate = length_controlled_win_rate(weights.loc[model], d, baseline_weights=weights.loc[BASELINE])
        assert abs(100 * rate - published.loc[model, "length_controlled_winrate"]) < 1e-3, model
        se = length_controlled_standard_error(weights.loc[model], d, baseline_weights=weights.loc[BASELINE])
        if model == BASELINE:  # published blank: every prediction is 0.5
            assert se == 0.0
        elif pd.notna(published.loc[model, "lc_standard_error"]):  # published for newer entries only
            assert abs(100 * se - published.loc[model, "lc_standard_error"]) < 1e-3, model
            compared_se += 1
        compared += 1
    assert compared == 14 and compared_se == 2


def test_instruction_difficulty_lines_up_with_every_annotation(alpaca):
    ids = set(alpaca["outcomes"]["question_id"])
    assert len(ids) == 805
    assert ids == set(alpaca["difficulty"].index)


def test_small_example_by_hand():
    scores = np.array([1.0, 0.0, 0.5, 0.75, 0.25, 0.9, np.nan])
    kept = [1.0, 0.0, 0.5, 0.75, 0.25, 0.9]
    summary = win_rate_vs_baseline(scores)
    assert summary["n_total"] == 6
    assert (summary["n_wins"], summary["n_wins_base"], summary["n_draws"]) == (3, 2, 1)
    assert summary["win_rate"] == pytest.approx(sum(kept) / 6)
    assert summary["standard_error"] == pytest.approx(statistics.stdev(kept) / math.sqrt(6))
    assert summary["discrete_win_rate"] == pytest.approx(3.5 / 6)


def test_a_single_score_has_no_standard_error():
    summary = win_rate_vs_baseline(np.array([0.7]))
    assert summary["win_rate"] == pytest.approx(0.7)
    assert math.isnan(summary["standard_error"])


@pytest.mark.parametrize("scores", [[0.5, 1.2], [-0.1], [np.nan], []])
def test_invalid_scores_are_rejected(scores):
    with pytest.raises(ValueError):
        win_rate_vs_baseline(np.array(scores, dtype=float))


def test_relative_weights_need_no_baseline():
    glm = LengthGLM(length=0.8, difficulty=0.5, intercept=-1.0)
    d = np.array([-1.0, 0.0, 2.0])
    expected = np.mean(1 / (1 + np.exp(-(-1.0 + 0.5 * d))))
    assert length_controlled_win_rate(glm, d) == pytest.approx(expected)
    as_mapping = {"length": 0.0, "difficulty": 0.5, "intercept": -1.0}
    assert length_controlled_win_rate(as_mapping, d) == pytest.approx(expected)


def test_weighted_win_rate_intervals_by_hand():
    """Outcomes with weights (1 to 3: a template counting [[A>>B]] three times): the win rates are sum w s / sum w;
    the clustered sandwich is that of the ratio, sum_c (A_c - r B_c) (A'_c - r' B'_c) * sqrt(f f') / (B B'),
    with A_c, B_c a model's weighted score and weight in cluster c, written out per cluster here, and f the
    small-sample factor G / (G - 1) of the model's own G clusters; and a per-
    outcome bootstrap's spread agrees with the sandwich of single outcomes within 4% (4000 replicates, whose own
    Monte Carlo error is about 1%; the unweighted standard errors differ by 5% and 11%)."""
    from judgebench.ratings.winrate import win_rate_covariance, win_rate_samples, win_rates

    scores = {k: s for k, (_, _, s, _) in enumerate(WEIGHTED)}  # model 0: x, model 1: y
    weights = {k: w for k, (_, _, _, w) in enumerate(WEIGHTED)}
    model = np.array([k for k in scores for _ in scores[k]])
    score = np.array([s for k in scores for s in scores[k]], dtype=float)
    weight = np.array([w for k in weights for w in weights[k]], dtype=float)
    question = np.array([q for k in scores for q in range(len(scores[k]))])
    rate = {k: sum(w * s for s, w in zip(scores[k], weights[k], strict=True)) / sum(weights[k]) for k in scores}
    assert win_rates(model, score, 3, weight)[:2] == pytest.approx([rate[0], rate[1]])
    assert math.isnan(win_rates(model, score, 3, weight)[2])  # model 2 (the baseline) has no outcome

    def per_cluster(k: int, c: int) -> float:
        return sum(w * (s - rate[k]) for q, (s, w) in enumerate(zip(scores[k], weights[k], strict=True)) if q == c)

    covariance = win_rate_covariance(model, score, question, 8, 3, weight)
    factor = {0: 8 / 7, 1: 7 / 6}  # G / (G - 1) of each model's own clusters: y has no outcome on q7
    for i in (0, 1):
        for j in (0, 1):
            meat = sum(per_cluster(i, c) * per_cluster(j, c) for c in range(8)) * math.sqrt(factor[i] * factor[j])
            assert covariance[i, j] == pytest.approx(meat / (sum(weights[i]) * sum(weights[j])))

    copies = 25  # 375 outcomes, each its own cluster: large enough for the ratio's linearisation
    model, score, weight = np.tile(model, copies), np.tile(score, copies), np.tile(weight, copies)
    n = len(model)
    sandwich = np.sqrt(np.diag(win_rate_covariance(model, score, np.arange(n), n, 3, weight))[:2] * (n - 1) / n)
    samples = win_rate_samples(model, score, np.arange(n), 3, n, "judgments", 4000, np.random.default_rng(0),
                               weight)
    assert samples[:, :2].mean(axis=0) == pytest.approx([rate[0], rate[1]], abs=0.003)
    assert samples[:, :2].std(axis=0) == pytest.approx(sandwich, rel=0.04)


def test_scores_of_weight_zero_do_not_count_towards_the_standard_error():
    # one informative score and two of weight 0: one effective outcome, so no standard error (it was 0.0,
    # which made the rate look exact); with two informative scores the zero-weight one changes nothing
    assert np.isnan(win_rate_vs_baseline(np.array([1.0, 0.0, 0.5]), np.array([1.0, 0.0, 0.0]))["standard_error"])
    with_zero = win_rate_vs_baseline(np.array([1.0, 0.0, 0.5]), np.array([1.0, 1.0, 0.0]))
    without = win_rate_vs_baseline(np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    assert with_zero["standard_error"] == pytest.approx(without["standard_error"]) == pytest.approx(0.5)


def test_the_standard_error_counts_questions_not_scores():
    """Each question's scores given twice (two annotators agreeing): the interval beside it stayed as it was, but
    the standard error fell from 6.9% to 4.8% as if the copies were independent."""
    scores = np.random.default_rng(4).random(40)
    questions = np.arange(40)
    once = win_rate_vs_baseline(scores, clusters=questions)
    twice = win_rate_vs_baseline(np.tile(scores, 2), clusters=np.tile(questions, 2))
    assert twice["standard_error"] == pytest.approx(once["standard_error"])
    assert once["standard_error"] == pytest.approx(win_rate_vs_baseline(scores)["standard_error"])
    assert twice["n_total"] == 80  # the counts stay counts of scores


def test_a_model_judged_on_few_of_the_questions_has_an_interval_that_covers():
    """A model judged against the baseline on 12 of 200 questions: its sandwich t interval took the degrees of
    freedom and small-sample factor of all 200 questions and covered its true win rate 89% of the time; with its
    own 12 (11 df, factor 12 / 11) it covers 94.1% (the t interval of a mean of 12 scores drawn from this
    distribution: 200,000 draws outside this test). 2000 simulated leaderboards: Monte Carlo SE 0.005."""
    rng = np.random.default_rng(0)
    values, chances = np.array([0.0, 0.5, 1.0]), np.array([0.25, 0.2, 0.55])
    truth, runs, covered = values @ chances, 2000, 0
    questions = [f"q{k}" for k in range(200)]
    for _ in range(runs):
        outcomes = pd.DataFrame({"question_id": questions + questions[:12], "model_a": ["many"] * 200 + ["few"] * 12,
                                 "model_b": "base", "score_a": rng.choice(values, 212, p=chances)})
        board = build(outcomes, method="winrate", interval="sandwich", baseline="base")
        few = next(row for row in board.models if row["model"] == "few")
        covered += few["lower"] <= truth <= few["upper"]
    assert 0.925 <= covered / runs <= 0.96
    assert "t interval (11 to 199 degrees of freedom: each model's questions against the baseline, less one)" in (
        board.meta["interval_label"])
    assert (board.meta["degrees_of_freedom"], board.meta["degrees_of_freedom_most"]) == (11, 199)
    everywhere = build(outcomes[outcomes["model_a"] == "many"], method="winrate", interval="sandwich",
                       baseline="base").meta  # one count: an int, as a Bradley-Terry sandwich's
    assert everywhere["degrees_of_freedom"] == 199 and "degrees_of_freedom_most" not in everywhere
    assert "t interval (199 degrees of freedom)" in everywhere["interval_label"]

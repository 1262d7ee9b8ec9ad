"""Style control: Bradley-Terry with length and markdown covariates, checked where the truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from judgebench.datasets.judgments import load_alpaca_eval_annotations
from judgebench.errors import InputError
from judgebench.ratings.style import (
    ELO_SCALE,
    answer_style,
    fit_soft_logistic,
    fit_style_controlled,
    normalised_difference,
)

MODELS = ("alpha", "beta", "gamma", "verbose")
# True log-abilities: "verbose" is exactly as good as "beta" but writes three times as much.
ABILITY = {"alpha": 0.6, "beta": 0.0, "gamma": -0.4, "verbose": 0.0}
LENGTH = {"alpha": 800.0, "beta": 800.0, "gamma": 800.0, "verbose": 2400.0}
BOLD = {"alpha": 2.0, "beta": 1.0, "gamma": 4.0, "verbose": 1.0}


def simulate(n_questions, length_effect, bold_effect, seed, soft=False):
    """Every pair of models on every question, sides in random order; the judge rewards length and bold text.

    logit P(a wins) = ability_a - ability_b + length_effect * dlen + bold_effect * dbold, with d = (a-b)/(a+b).
    soft=True records that probability as score_a (the fit must then recover the truth exactly); otherwise
    a win or a loss is drawn from it.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for q in range(n_questions):
        length = {m: LENGTH[m] * rng.lognormal(0, 0.5) for m in MODELS}
        bold = {m: float(rng.poisson(BOLD[m])) for m in MODELS}
        for i, first in enumerate(MODELS):
            for second in MODELS[i + 1:]:
                a, b = (first, second) if rng.random() < 0.5 else (second, first)
                logit = (ABILITY[a] - ABILITY[b]
                         + length_effect * (length[a] - length[b]) / (length[a] + length[b])
                         + bold_effect * normalised_difference(np.array(bold[a]), np.array(bold[b])))
                p = float(expit(logit))
                score = p if soft else float(rng.random() < p)
                rows.append((f"q{q}", a, b, score, length[a], length[b], bold[a], bold[b]))
    return pd.DataFrame(rows, columns=["question_id", "model_a", "model_b", "score_a",
                                       "length_a", "length_b", "bold_a", "bold_b"])


def elo_gap(ability_a, ability_b):
    return ELO_SCALE / np.log(10) * (ability_a - ability_b)


def test_soft_verdicts_recover_abilities_and_style_effects_exactly():
    outcomes = simulate(60, length_effect=1.5, bold_effect=-0.8, seed=1, soft=True)
    result = fit_style_controlled(outcomes, ["length", "bold"], anchor="beta", rounds=0, ridge=0.0)
    for model in MODELS:
        assert result.rating_of(model) - 1000 == pytest.approx(elo_gap(ABILITY[model], 0.0), abs=1e-4)
    # Coefficients are per standard deviation of the normalised difference: divide by the scale.
    assert result.coefficients / result.scales == pytest.approx([1.5, -0.8], abs=1e-6)
    # Without control the verbose model looks better than its equal, "beta".
    uncontrolled = dict(zip(result.models, result.uncontrolled, strict=True))
    assert uncontrolled["verbose"] - uncontrolled["beta"] > 40


def test_a_model_that_wins_only_by_length_loses_its_advantage():
    outcomes = simulate(400, length_effect=1.5, bold_effect=0.0, seed=2)
    result = fit_style_controlled(outcomes, ["length"], anchor="beta", rounds=100, seed=7)
    table = result.table().set_index("model")
    assert table.loc["verbose", "uncontrolled"] - 1000 > 60  # plain Bradley-Terry credits length
    assert table.loc["verbose", "lower"] < 1000 < table.loc["verbose", "upper"]  # controlled: even with beta
    truth = 1.5 * result.scales[0]
    assert result.coef_lower[0] < truth < result.coef_upper[0]
    assert result.coef_lower[0] > 0
    for model in MODELS:  # every true rating inside its interval
        true_rating = 1000 + elo_gap(ABILITY[model], 0.0)
        assert table.loc[model, "lower"] <= true_rating + 1e-9 <= table.loc[model, "upper"] + 2e-9, model


def test_answer_table_and_paired_columns_give_the_same_fit():
    outcomes = simulate(40, length_effect=1.0, bold_effect=0.5, seed=3)
    answers = pd.concat([
        outcomes[["question_id", "model_a", "length_a", "bold_a"]].set_axis(
            ["question_id", "model", "length", "bold"], axis=1),
        outcomes[["question_id", "model_b", "length_b", "bold_b"]].set_axis(
            ["question_id", "model", "length", "bold"], axis=1),
    ]).drop_duplicates(["question_id", "model"])
    from_columns = fit_style_controlled(outcomes, None, rounds=20, seed=1)
    from_answers = fit_style_controlled(outcomes[["question_id", "model_a", "model_b", "score_a"]], answers,
                                        rounds=20, seed=1)
    assert from_columns.features == ["length", "bold"] == from_answers.features
    assert np.allclose(from_columns.ratings, from_answers.ratings)
    assert np.allclose(from_columns.lower, from_answers.lower)
    assert np.allclose(from_columns.coefficients, from_answers.coefficients)


def test_swapping_sides_changes_nothing():
    outcomes = simulate(50, length_effect=1.0, bold_effect=0.5, seed=4)
    flip = np.arange(len(outcomes)) % 3 == 0
    swapped = outcomes.copy()
    for left, right in (("model_a", "model_b"), ("length_a", "length_b"), ("bold_a", "bold_b")):
        swapped.loc[flip, [left, right]] = outcomes.loc[flip, [right, left]].to_numpy()
    swapped.loc[flip, "score_a"] = 1 - outcomes.loc[flip, "score_a"]
    original = fit_style_controlled(outcomes, rounds=0)
    mirrored = fit_style_controlled(swapped, rounds=0)
    assert np.allclose(original.ratings, mirrored.ratings, atol=1e-8)
    assert np.allclose(original.coefficients, mirrored.coefficients, atol=1e-8)


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    outcomes = simulate(60, length_effect=1.0, bold_effect=0.0, seed=5)
    first = fit_style_controlled(outcomes, ["length"], rounds=50, seed=11, confidence=0.9)
    again = fit_style_controlled(outcomes, ["length"], rounds=50, seed=11, confidence=0.9)
    other = fit_style_controlled(outcomes, ["length"], rounds=50, seed=12, confidence=0.9)
    assert np.array_equal(first.lower, again.lower) and np.array_equal(first.upper, again.upper)
    assert not np.array_equal(first.lower, other.lower)
    assert (first.lower <= first.ratings).all() and (first.ratings <= first.upper).all()
    assert (first.lower < first.upper).all()
    assert first.ratings.mean() == pytest.approx(1000)  # no anchor: the mean is anchored
    assert (first.confidence, first.rounds, first.seed) == (0.9, 50, 11)
    assert first.n_questions == 60 and first.n_outcomes == 360


def test_a_feature_that_never_differs_gets_no_coefficient():
    outcomes = simulate(30, length_effect=1.0, bold_effect=0.0, seed=6)
    outcomes["same_a"] = outcomes["same_b"] = 3.0
    result = fit_style_controlled(outcomes, ["length", "same"], rounds=10)
    assert np.isnan(result.coefficients[1]) and result.scales[1] == 0
    assert np.isfinite(result.coefficients[0])


def test_disconnected_models_are_an_input_error():
    outcomes = pd.DataFrame({"question_id": ["q1", "q2"], "model_a": ["a", "c"], "model_b": ["b", "d"],
                             "score_a": [1.0, 0.0], "len_a": [10.0, 20.0], "len_b": [5.0, 30.0]})
    with pytest.raises(InputError, match="2 groups"):
        fit_style_controlled(outcomes, ["len"], rounds=0)


def test_missing_features_are_an_input_error():
    outcomes = simulate(5, 0.0, 0.0, seed=7)
    with pytest.raises(InputError, match="size_a"):
        fit_style_controlled(outcomes, ["size"], rounds=0)
    answers = pd.DataFrame({"question_id": ["q0"], "model": ["alpha"], "length": [3.0]})
    with pytest.raises(InputError, match="no style features for model"):
        fit_style_controlled(outcomes, answers, rounds=0)


def test_answer_style_counts_markdown():
    text = ("# Title\n\nSome **bold** and __also bold__ words.\n\n## Part\n"
            "- one\n- two\n  * nested\n1. first\n2) second\n")
    plain = "No markdown here, 3 * 4 = 12 and #hashtag."
    style = answer_style([text, plain, None])
    assert style.loc[0].to_dict() == {"length": len(text), "header_count": 2, "list_count": 5, "bold_count": 2}
    assert style.loc[1].to_dict() == {"length": len(plain), "header_count": 0, "list_count": 0, "bold_count": 0}
    assert style.loc[2, "length"] == 0


def test_soft_logistic_matches_the_closed_form_of_one_intercept():
    # With only an intercept, the maximum-likelihood probability is the weighted mean of the soft labels.
    target = np.array([0.9, 0.2, 0.6, 1.0])
    weight = np.array([1.0, 2.0, 1.0, 0.5])
    fit = fit_soft_logistic(np.ones((4, 1)), target, weight)
    assert expit(fit.coef[0]) == pytest.approx(np.average(target, weights=weight), abs=1e-10)
    assert fit.converged


def test_length_control_on_alpaca_eval_agrees_with_the_published_direction(shared_data):
    """The judge behind AlpacaEval 2.0 favours longer answers; controlling for length moves each model the way
    AlpacaEval's own length-controlled win rate moves it (for models it moves by more than a point)."""
    folder = shared_data / "alpaca_eval"
    outcomes = load_alpaca_eval_annotations(folder / "annotations")
    published = pd.read_csv(folder / "leaderboard.csv", index_col=0)
    result = fit_style_controlled(outcomes, ["len"], anchor="gpt4_1106_preview", rounds=30, seed=1)
    assert result.coef_lower[0] > 0
    table = result.table().set_index("model")
    moved = published.loc[table.index, "length_controlled_winrate"] - published.loc[table.index, "win_rate"]
    checked = moved.abs() > 1
    assert checked.sum() >= 10
    shift = table["rating"] - table["uncontrolled"]
    assert (np.sign(shift[checked]) == np.sign(moved[checked])).all()

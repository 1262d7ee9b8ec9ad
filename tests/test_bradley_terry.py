"""Bradley-Terry: published tables, evalica's goldens and reference maximum-likelihood fits written here.

Reference fits minimise the exact negative log-likelihood, written out below independently of
judgebench.ratings, with scipy's L-BFGS-B at a tight tolerance; the package must agree to 1e-6.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import log_expit

from judgebench.errors import InputError
from judgebench.ratings import bradley_terry as bt
from judgebench.ratings.counts import encode_games, encode_outcomes, pair_counts
from tests.support.rating_datasets import baseball_games, evalica_outcomes, golden


def score_matrix(coded) -> np.ndarray:
    """Weighted score of i against j (ties half), built row by row: the reference's data."""
    m = coded.n_models
    wins = np.zeros((m, m))
    for a, b, s, w in zip(coded.model_a, coded.model_b, coded.score_a, coded.weight, strict=True):
        wins[a, b] += w * s
        wins[b, a] += w * (1 - s)
    return wins


def reference_fit(wins: np.ndarray, ridge: float = 0.0) -> np.ndarray:
    """argmax of sum_ij wins_ij log sigmoid(b_i - b_j) - ridge/2 |b|^2, centred (b_0 fixed when ridge = 0)."""
    m = len(wins)

    def full(free):
        return np.concatenate([[0.0], free]) if ridge == 0 else free

    def objective(free):
        b = full(free)
        diff = b[:, None] - b[None, :]
        value = -(wins * log_expit(diff)).sum() + 0.5 * ridge * b @ b
        residual = wins - (wins + wins.T) * np.exp(log_expit(diff))
        grad = -residual.sum(axis=1) + ridge * b
        return value, (grad[1:] if ridge == 0 else grad)

    start = np.zeros(m - 1 if ridge == 0 else m)
    result = minimize(objective, start, jac=True, method="L-BFGS-B",
                      options={"ftol": 0, "gtol": 1e-11, "maxiter": 20000, "maxcor": 50})
    b = full(result.x)
    return b - b.mean()


@pytest.fixture(scope="module")
def llmfao(shared_data):
    coded = encode_outcomes(evalica_outcomes(shared_data / "ratings" / "llmfao.csv"))
    return coded, pair_counts(coded)


def test_matches_reference_maximum_likelihood(llmfao):
    coded, counts = llmfao
    fit = bt.fit(counts)
    reference = reference_fit(score_matrix(coded))
    assert np.max(np.abs(fit.strengths - reference)) < 1e-6
    assert abs(fit.strengths.mean()) < 1e-12


@pytest.mark.parametrize("name", ["llmfao", "simple", "food"])
def test_evalica_golden_bradley_terry(shared_data, name):
    # ../shared/data/ratings/<name>-golden.csv, rows "bradley_terry": evalica's scores, normalised to sum 1,
    # with ties counted half.
    coded = encode_outcomes(evalica_outcomes(shared_data / "ratings" / f"{name}.csv"))
    fit = bt.fit(pair_counts(coded))
    abilities = pd.Series(np.exp(fit.strengths) / np.exp(fit.strengths).sum(), index=coded.models)
    expected = golden(shared_data / "ratings" / f"{name}-golden.csv", "bradley_terry")
    assert sorted(expected.index) == sorted(abilities.index)
    np.testing.assert_allclose(abilities[expected.index].to_numpy(), expected.to_numpy(), rtol=1e-6, atol=0)


def test_baseball_log_abilities(shared_data):
    # Agresti (2002), Table 10.11 / ../shared/data/README.md: log-abilities with Baltimore = 0, sorted,
    # 0.68 1.11 1.25 1.29 1.44 1.58, standard errors all about 0.3.
    games = encode_games(baseball_games(shared_data))
    assert len(games) == 273
    fit = bt.fit(pair_counts(games))
    baltimore = games.index_of("Baltimore")
    relative = np.delete(fit.strengths - fit.strengths[baltimore], baltimore)
    assert [round(x, 2) for x in sorted(relative)] == [0.68, 1.11, 1.25, 1.29, 1.44, 1.58]
    errors = np.delete(fit.standard_errors(anchor=baltimore), baltimore)
    assert all(round(e, 1) == 0.3 for e in errors)


def reference_home_fit(first: np.ndarray, second: np.ndarray, score: np.ndarray, m: int) -> tuple[np.ndarray, float]:
    """argmax of sum over games of s log sigmoid(b_f - b_s + g) + (1 - s) log sigmoid(-(b_f - b_s + g))."""

    def objective(free):
        b, g = np.concatenate([[0.0], free[:-1]]), free[-1]
        d = b[first] - b[second] + g
        value = -(score * log_expit(d) + (1 - score) * log_expit(-d)).sum()
        residual = score - np.exp(log_expit(d))
        grad_b = -(np.bincount(first, residual, m) - np.bincount(second, residual, m))
        return value, np.concatenate([grad_b[1:], [-residual.sum()]])

    result = minimize(objective, np.zeros(m), jac=True, method="L-BFGS-B",
                      options={"ftol": 0, "gtol": 1e-11, "maxiter": 20000})
    b = np.concatenate([[0.0], result.x[:-1]])
    return b - b.mean(), result.x[-1]


def test_baseball_home_advantage(shared_data):
    # Agresti (2002), section 10.6 / ../shared/data/README.md: with a home-advantage term, abilities
    # normalised to sum 1, sorted: 0.044 0.088 0.137 0.157 0.164 0.190 0.220; home coefficient 0.302.
    games = encode_games(baseball_games(shared_data))
    fit = bt.fit(pair_counts(games), position_effect=True)
    abilities = np.exp(fit.strengths) / np.exp(fit.strengths).sum()
    assert [round(x, 3) for x in sorted(abilities)] == [0.044, 0.088, 0.137, 0.157, 0.164, 0.190, 0.220]
    assert round(fit.position, 3) == 0.302
    strengths, home = reference_home_fit(games.model_a, games.model_b, games.score_a, games.n_models)
    assert np.max(np.abs(fit.strengths - strengths)) < 1e-6
    assert abs(fit.position - home) < 1e-6


def test_home_advantage_held_at_its_estimate_gives_the_fitted_strengths(shared_data, llmfao):
    """An effect held (an offset, the leaderboard's strengths beside an effect measured elsewhere) at the value the
    joint fit finds leaves the strengths and the log-likelihood where that fit puts them; held at another value,
    the strengths move, and they still need games in presentation order."""
    counts = pair_counts(encode_games(baseball_games(shared_data)))
    fitted = bt.fit(counts, position_effect=True)
    held = bt.fit(counts, held_position=fitted.position)
    assert held.position == fitted.position and held.layout.size == counts.n_models
    np.testing.assert_allclose(held.strengths, fitted.strengths, rtol=0, atol=1e-9)
    assert held.log_likelihood == pytest.approx(fitted.log_likelihood, abs=1e-9)
    assert np.max(np.abs(bt.fit(counts, held_position=1.0).strengths - fitted.strengths)) > 1e-3
    with pytest.raises(InputError, match="presentation order"):
        bt.fit(llmfao[1], held_position=0.3)


def test_position_effect_needs_games(llmfao):
    _, counts = llmfao
    with pytest.raises(InputError, match="presentation order"):
        bt.fit(counts, position_effect=True)


def test_davidson_matches_reference(llmfao):
    coded, counts = llmfao
    m = coded.n_models
    wins, ties = np.zeros((m, m)), np.zeros((m, m))
    for a, b, s in zip(coded.model_a, coded.model_b, coded.score_a, strict=True):
        if s == 0.5:
            ties[min(a, b), max(a, b)] += 1
        else:
            wins[(a, b) if s == 1 else (b, a)] += 1

    ties = ties + ties.T
    games = wins + wins.T + ties
    score = wins.sum(axis=1) + ties.sum(axis=1) / 2

    def negative_log_likelihood(free):
        # Davidson (1970): P(i beats j) = pi_i / D, P(tie) = nu sqrt(pi_i pi_j) / D, D = pi_i + pi_j + nu sqrt(..)
        b, log_nu = np.concatenate([[0.0], free[:-1]]), free[-1]
        bi, bj = b[:, None], b[None, :]
        log_d = np.logaddexp(np.logaddexp(bi, bj), log_nu + 0.5 * (bi + bj))
        value = (wins * (bi - log_d)).sum() + 0.5 * (ties * (log_nu + 0.5 * (bi + bj) - log_d)).sum()
        p_win, p_tie = np.exp(bi - log_d), np.exp(log_nu + 0.5 * (bi + bj) - log_d)
        grad_b = score - (games * (p_win + p_tie / 2)).sum(axis=1)
        grad_nu = ties.sum() / 2 - 0.5 * (games * p_tie).sum()
        return -value, -np.concatenate([grad_b[1:], [grad_nu]])

    result = minimize(negative_log_likelihood, np.zeros(m), jac=True, method="L-BFGS-B",
                      options={"ftol": 0, "gtol": 1e-10, "maxiter": 20000, "maxcor": 50})
    b = np.concatenate([[0.0], result.x[:-1]])
    fit = bt.fit(counts, ties="davidson")
    assert np.max(np.abs(fit.strengths - (b - b.mean()))) < 1e-6
    assert abs(math.log(fit.tie_ratio) - result.x[-1]) < 1e-6
    assert fit.log_likelihood == pytest.approx(-result.fun, abs=1e-6)


def test_disconnected_graph_is_an_input_error_and_ridge_fixes_it():
    frame = pd.DataFrame({"question_id": range(6), "model_a": ["a", "a", "b", "c", "c", "d"],
                          "model_b": ["b", "b", "a", "d", "d", "c"], "score_a": [1, 0, 1, 1, 0.5, 0]})
    counts = pair_counts(encode_outcomes(frame))
    with pytest.raises(InputError, match="connected"):
        bt.fit(counts)
    fit = bt.fit(counts, regularization=0.1)
    reference = reference_fit(counts.score_matrix(), ridge=0.1)
    assert np.max(np.abs(fit.strengths - reference)) < 1e-6


def test_undefeated_model_is_an_input_error():
    frame = pd.DataFrame({"question_id": range(4), "model_a": ["a", "a", "b", "c"], "model_b": ["b", "c", "c", "b"],
                          "score_a": [1, 1, 1, 0]})
    with pytest.raises(InputError, match="a never lost"):
        bt.fit(pair_counts(encode_outcomes(frame)))


def test_weights_count_like_repeated_rows():
    base = pd.DataFrame({"question_id": [1, 2, 3, 4], "model_a": ["a", "b", "c", "a"],
                         "model_b": ["b", "c", "a", "c"], "score_a": [1.0, 0.75, 0.0, 0.5]})
    weighted = base.assign(weight=[2.0, 1.0, 1.0, 1.0])
    repeated = pd.concat([base, base.iloc[[0]]], ignore_index=True)
    a = bt.fit(pair_counts(encode_outcomes(weighted)))
    b = bt.fit(pair_counts(encode_outcomes(repeated)))
    np.testing.assert_allclose(a.strengths, b.strengths, atol=1e-12)


def test_elo_scale_anchor_and_win_probability(llmfao):
    coded, counts = llmfao
    fit = bt.fit(counts)
    anchor = coded.index_of("GPT 4")
    ratings = fit.ratings(anchor=anchor, anchor_rating=1500.0)
    assert ratings[anchor] == 1500.0
    # 400 * log10 of the odds ratio, by definition of the Elo scale
    np.testing.assert_allclose(ratings - 1500.0, 400 * np.log10(np.exp(fit.strengths - fit.strengths[anchor])))
    assert fit.ratings().mean() == pytest.approx(1000.0)
    probability = fit.win_probability(anchor)
    np.testing.assert_allclose(probability, 1 / (1 + 10 ** ((1500.0 - ratings) / 400)))
    assert probability[anchor] == pytest.approx(0.5)


def test_choix_converges_to_the_same_estimate(llmfao):
    import choix  # in the test extra: an independent reference, a hard dependency of the tests

    coded, counts = llmfao
    estimate = choix.ilsr_pairwise_dense(counts.score_matrix(), tol=1e-12, max_iter=10000)
    np.testing.assert_allclose(bt.fit(counts).strengths, estimate - estimate.mean(), atol=1e-6)


def test_arena_rank_worked_example():
    """The 22-game example of lmarena's arena-rank tests: A beats B 2 times, B beats A 3, A beats D 1, D beats A 4,
    B beats C 5, C beats B 3, C beats D 1, D beats C 3; published strengths normalised to geometric mean 1."""
    games = [("A", "B", 2), ("B", "A", 3), ("A", "D", 1), ("D", "A", 4), ("B", "C", 5), ("C", "B", 3),
             ("C", "D", 1), ("D", "C", 3)]
    winners, losers = zip(*[(winner, loser) for winner, loser, times in games for _ in range(times)], strict=True)
    assert len(winners) == 22
    outcomes = pd.DataFrame({"question_id": np.arange(22), "model_a": winners, "model_b": losers,
                             "winner": "model_a"})
    fit = bt.fit(pair_counts(encode_outcomes(outcomes)))
    strengths = dict(zip(fit.models, np.exp(fit.strengths - fit.strengths.mean()), strict=True))
    published = {"A": 0.640, "B": 1.043, "C": 0.660, "D": 2.270}
    for model, value in published.items():
        assert strengths[model] == pytest.approx(value, rel=1e-3), (model, strengths)


def test_unbounded_groups_say_how_many_more_there_are():
    """Six models that each beat z once and met nobody else: seven groups, four named, then "and 3 more groups"
    (a user's audit: 1,914 models, 656 that never lost, and the warning named 7 with no word of the rest)."""
    outcomes = pd.DataFrame({"question_id": [f"q{k}" for k in range(6)], "model_a": [f"m{k}" for k in range(6)],
                             "model_b": "z", "score_a": 1.0})
    text = bt.unbounded_groups(pair_counts(encode_outcomes(outcomes)))
    assert text.count("never lost to z") == 4 and text.endswith("; and 3 more groups")


def test_unbounded_groups_name_the_models_outside_the_group_they_never_lost_to():
    """A user's audit: "m00, m01, m02, m03 and 7 more never lost to the others; m11 never beat the others" when
    m00 had lost 14 games, all within its group: "the others" meant m11 alone. The message names the other side."""
    outcomes = pd.DataFrame({"question_id": ["q1", "q2", "q3", "q4", "q5", "q6"],
                             "model_a": ["a", "b", "b", "c", "a", "c"], "model_b": ["b", "a", "c", "a", "d", "d"],
                             "score_a": 1.0})
    assert bt.unbounded_groups(pair_counts(encode_outcomes(outcomes))) == (
        "a, b, c never lost to d; d never beat a, c")

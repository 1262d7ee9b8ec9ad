"""Intervals: significance from rating differences, ranks, separability, and the vectorised bootstrap and
sandwich checked against straightforward computations written here."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from judgebench.errors import InputError
from judgebench.ratings import bradley_terry as bt
from judgebench.ratings import intervals as iv
from judgebench.ratings.counts import CodedOutcomes, encode_outcomes, pair_counts, row_pairs

WINNERS = {"left": "model_a", "right": "model_b", "tie": "tie"}


def test_a_difference_interval_separates_what_overlapping_marginal_intervals_do_not():
    # Two models whose replicates move together (a shared shift, as an anchor or a common question draw gives):
    # their marginal intervals overlap widely, yet model 0 is ahead by 1 to 3 points in every replicate.
    rng = np.random.default_rng(3)
    shift = rng.normal(0, 50, 2000)
    lead = rng.uniform(1, 3, 2000)
    samples = np.column_stack([shift + lead, shift, shift - 100.0 + rng.normal(0, 200, 2000)])
    lower, upper = iv.percentile_interval(samples, 0.95)
    assert lower[0] < upper[1]  # marginal intervals overlap
    better = iv.better_from_samples(samples, 0.95)
    assert better.tolist() == [[False, True, False], [False, False, False], [False, False, False]]
    defined = np.ones(3, dtype=bool)
    assert iv.ranks(better, defined).tolist() == [1, 2, 1]
    assert iv.separability(better, defined) == pytest.approx(1 / 3)


def test_difference_decisions_ignore_any_per_replicate_shift():
    rng = np.random.default_rng(4)
    samples = rng.normal([0.0, 0.3, 0.5, 2.0], 0.3, size=(500, 4))
    shifted = samples - samples[:, [2]] + 1000.0  # anchored at model 2: its interval has zero width
    assert np.array_equal(iv.better_from_samples(samples, 0.95), iv.better_from_samples(shifted, 0.95))


@pytest.mark.parametrize("rounds", [7, 200, 1000])
@pytest.mark.parametrize("confidence", [0.95, 0.5])
def test_difference_decisions_equal_percentiles_of_every_difference(rounds, confidence):
    # integer ratings: many differences exactly zero and many ties between order statistics
    rng = np.random.default_rng(rounds)
    samples = rng.integers(-3, 6, size=(rounds, 25)).astype(float)
    samples[:, 3] += 9.0  # always ahead
    samples[:, 7] += 6.0  # ahead in most replicates: decided by the order statistics around zero
    direct = np.percentile(samples[:, :, None] - samples[:, None, :], 50 * (1 - confidence), axis=0) > 0
    np.fill_diagonal(direct, False)
    assert direct.any()
    assert np.array_equal(iv.better_from_samples(samples, confidence), direct)
    with_gap = samples.copy()
    with_gap[0, 5] = np.nan  # the NaN-aware path: that replicate is left out of model 5's pairs
    kept = np.delete(samples, 0, axis=0)
    direct_5 = np.percentile(kept[:, 5, None] - kept, 50 * (1 - confidence), axis=0) > 0
    direct_5[5] = False
    assert np.array_equal(iv.better_from_samples(with_gap, confidence)[5], direct_5)


def test_covariance_decisions_use_the_variance_of_the_difference():
    estimate = np.array([1.0, 0.0, 0.0])
    # models 0 and 1 strongly correlated: var(d01) = 1 + 1 - 2 * 0.99 = 0.02, se 0.141, so 1.0 > 1.96 * 0.141;
    # model 2 independent: var(d02) = 2, se 1.41, not significant
    covariance = np.array([[1.0, 0.99, 0.0], [0.99, 1.0, 0.0], [0.0, 0.0, 1.0]])
    better = iv.better_from_covariance(estimate, covariance, 0.95)
    assert better[0, 1] and not better[0, 2] and not better[1:].any()
    # with 5 clusters the t quantile (2.776) asks for more: 1.0 > 2.776 * 0.1414 still holds, at 3 clusters
    # (4.303 * 0.1414 = 0.609) too, but a difference of 0.5 is then not significant
    assert iv.better_from_covariance(estimate, covariance, 0.95, degrees_of_freedom=4)[0, 1]
    assert not iv.better_from_covariance(estimate / 2, covariance, 0.95, degrees_of_freedom=2)[0, 1]
    assert iv.better_from_covariance(estimate / 2, covariance, 0.95)[0, 1]


def test_a_model_without_a_rating_gets_no_rank_and_counts_in_no_pair():
    better = np.array([[False, True, True], [False, False, True], [False, False, False]])
    defined = np.array([True, True, False])
    rank = iv.ranks(better, defined)
    assert rank[:2].tolist() == [1, 2] and np.isnan(rank[2])
    assert iv.separability(better, defined) == 1.0


def test_rank_shares_count_each_replicates_order():
    samples = np.array([[3.0, 2.0, 1.0], [1.0, 2.0, 3.0], [3.0, 1.0, 2.0], [3.0, 2.0, 1.0]])
    # model 0 ranks 1, 3, 1, 1; model 1 ranks 2, 2, 3, 2; model 2 ranks 3, 1, 2, 3
    np.testing.assert_allclose(iv.rank_shares(samples), [[0.75, 0, 0.25], [0, 0.75, 0.25], [0.25, 0.25, 0.5]])


def test_t_quantile():
    assert iv.t_quantile(0.95, 12) == pytest.approx(2.178813, abs=1e-6)  # t table, 12 degrees of freedom
    assert iv.t_quantile(0.95, np.inf) == pytest.approx(1.959964, abs=1e-6)


def test_percentile_interval_and_normal_quantile():
    samples = np.arange(1001, dtype=float)[:, None]
    lower, upper = iv.percentile_interval(samples, 0.95)
    assert (lower[0], upper[0]) == (pytest.approx(25.0), pytest.approx(975.0))
    assert iv.normal_quantile(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert iv.normal_quantile(0.90) == pytest.approx(1.644854, abs=1e-6)


@pytest.fixture(scope="module")
def llmfao(shared_data):
    """evalica's llmfao comparisons with their prompt as the question: 8,930 outcomes, 59 models."""
    frame = pd.read_csv(shared_data / "ratings" / "llmfao.csv")
    outcomes = pd.DataFrame({"question_id": frame["prompt"], "model_a": frame["left"], "model_b": frame["right"],
                             "winner": frame["winner"].map(WINNERS)})
    return encode_outcomes(outcomes)


def resampled(coded: CodedOutcomes, times: np.ndarray) -> CodedOutcomes:
    """The rows of each question repeated as often as the question was drawn: a bootstrap data set."""
    rows = np.concatenate([np.repeat(np.flatnonzero(coded.question == q), k) for q, k in enumerate(times) if k])
    return CodedOutcomes(models=coded.models, questions=coded.questions, question=coded.question[rows],
                         model_a=coded.model_a[rows], model_b=coded.model_b[rows], score_a=coded.score_a[rows],
                         weight=coded.weight[rows])


def test_question_weights_are_multinomial_draws():
    weights = iv.question_weights(50, 400, np.random.default_rng(0))
    assert weights.shape == (400, 50)
    assert (weights.sum(axis=1) == 50).all()
    assert weights.mean() == pytest.approx(1.0)
    assert weights.var() == pytest.approx(1 - 1 / 50, rel=0.05)  # binomial(50, 1/50) variance


def test_question_weights_drawn_in_blocks_are_the_draws_of_one_block(monkeypatch):
    """The replicates are drawn a block at a time to bound memory: the blocks must not change them, so that a
    seed gives the same intervals whatever the block size."""
    whole = iv.question_weights(50, 400, np.random.default_rng(3))
    monkeypatch.setattr(iv, "_REPLICATE_BLOCK_CELLS", 7 * 50 + 1)  # blocks of 7 replicates, the last one shorter
    assert np.array_equal(iv.question_weights(50, 400, np.random.default_rng(3)), whole)
    statistics = np.random.default_rng(4).random((50, 3))
    assert np.allclose(iv.weighted_sums(whole, statistics), whole @ statistics, rtol=1e-12)


def test_question_bootstrap_statistics_equal_resampled_counts(llmfao):
    pairs = row_pairs(llmfao)
    layout = bt.Layout(llmfao.n_models)
    weights = iv.question_weights(llmfao.n_questions, 4, np.random.default_rng(1))
    stats = iv.question_replicate_stats(llmfao, pairs, layout, weights)
    design = bt.PairDesign(pairs.first, pairs.second, llmfao.n_models)
    for r in range(4):
        counts = pair_counts(resampled(llmfao, weights[r]))
        games = np.zeros(len(pairs.first))
        key = {(i, j): p for p, (i, j) in enumerate(zip(pairs.first, pairs.second, strict=True))}
        for i, j, g in zip(counts.first, counts.second, counts.games, strict=True):
            games[key[i, j]] = g
        np.testing.assert_allclose(stats.games[r], games)
        np.testing.assert_allclose(stats.model_score[r], counts.model_scores())
        replicate, _ = bt.fit_replicates(bt.fit(pair_counts(llmfao)), design, stats.row(r))
        np.testing.assert_allclose(replicate[0], bt.fit(counts).strengths, atol=1e-8)


def battles(n_models: int, n_battles: int, seed: int) -> CodedOutcomes:
    """Chatbot Arena's shape: every battle its own question, random pairs of many models, 10% ties."""
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 1, n_models)
    a = rng.integers(0, n_models, n_battles)
    b = (a + rng.integers(1, n_models, n_battles)) % n_models
    win = rng.random(n_battles) < 1 / (1 + np.exp(strength[b] - strength[a]))
    winner = np.where(rng.random(n_battles) < 0.1, "tie", np.where(win, "model_a", "model_b"))
    return encode_outcomes(pd.DataFrame({"question_id": np.arange(n_battles), "model_a": a.astype(str),
                                         "model_b": b.astype(str), "winner": winner}))


@pytest.mark.parametrize("position, davidson", [(False, False), (True, True)])
def test_sparse_and_dense_question_designs_give_the_same_replicates(monkeypatch, position, davidson):
    """A design with one row per question and many pairs is multiplied as a sparse matrix: the replicates'
    statistics must be those of the dense product, every column (pair games, model scores, first sides' score,
    tie mass)."""
    coded = battles(30, 2_000, seed=5)
    pairs = row_pairs(coded)
    layout = bt.Layout(coded.n_models, position=position, davidson=davidson)
    weights = iv.question_weights(coded.n_questions, 40, np.random.default_rng(2))
    monkeypatch.setattr(iv, "_SPARSE_GAIN", 10**9)  # sparse only where the dense design is 10**9 times larger
    dense = iv.question_replicate_stats(coded, pairs, layout, weights)
    monkeypatch.setattr(iv, "_SPARSE_GAIN", 0)  # always sparse
    monkeypatch.setattr(iv, "_REPLICATE_BLOCK_CELLS", 7 * coded.n_questions)  # blocks of 7 replicates
    blocks = []
    product = iv.sparse_weighted_sums
    monkeypatch.setattr(iv, "sparse_weighted_sums", lambda *args: blocks.append(1) or product(*args))
    sparse = iv.question_replicate_stats(coded, pairs, layout, weights)
    assert blocks == [1]  # the sparse product ran, with its replicates 7 at a time
    for name in ("games", "model_score", "first_score", "ties"):
        np.testing.assert_allclose(getattr(sparse, name), getattr(dense, name), rtol=1e-12, err_msg=name)
    assert np.array_equal(sparse.separation.replicates, dense.separation.replicates)


def test_single_precision_replicates_settle_together_at_their_rounding_floor(monkeypatch):
    """200 models with about 3,000 games each: the question design is large enough for single precision, whose
    steps stop shrinking at about 2e-7 (below the 1e-6 tolerance). The replicates must settle in a few chord
    iterations, none refitted alone by Newton's method (each refit is a dense 200 x 200 solve per iteration; the
    first version refitted 7 in 10 after 100 iterations, 215 s for Chatbot Arena's shape), and equal the double-
    precision fits well within a hundredth of an Elo point."""
    coded = battles(200, 300_000, seed=6)
    pairs = row_pairs(coded)
    fit = bt.fit(pair_counts(coded, pairs))
    design = bt.PairDesign(pairs.first, pairs.second, coded.n_models)
    weights = iv.question_weights(coded.n_questions, 40, np.random.default_rng(3))
    stats = iv.question_replicate_stats(coded, pairs, fit.layout, weights)
    assert stats.games.dtype == np.float32
    refits = []
    monkeypatch.setattr(bt, "_refit_one", lambda *args, **kwargs: refits.append(1) or (fit.params, False))
    single, ridged = bt.fit_replicates(fit, design, stats)
    assert refits == [] and ridged == 0
    monkeypatch.undo()
    double = replace(stats, games=stats.games.astype(np.float64), model_score=stats.model_score.astype(np.float64))
    exact, _ = bt.fit_replicates(fit, design, double)
    assert np.abs(single - exact).max() * bt.ELO_SCALE / math.log(10) < 0.01


def test_judgment_bootstrap_draws_single_outcomes(llmfao):
    pairs = row_pairs(llmfao)
    layout = bt.Layout(llmfao.n_models)
    design = bt.PairDesign(pairs.first, pairs.second, llmfao.n_models)
    stats = iv.judgment_replicate_stats(llmfao, pairs, layout, design, 2000, np.random.default_rng(2))
    counts = pair_counts(llmfao, pairs)
    assert np.allclose(stats.games.sum(axis=1), len(llmfao))
    assert np.allclose(stats.model_score.sum(axis=1), len(llmfao))  # one point shared out per outcome
    # unbiased: the average replicate has the data's counts, within 5 standard errors of a mean of 2000
    # draws (a pair's count is close to Poisson, variance = mean)
    tolerance = 5 * np.sqrt(counts.games / 2000)
    assert np.all(np.abs(stats.games.mean(axis=0) - counts.games) < tolerance)
    np.testing.assert_allclose(stats.model_score.mean(axis=0), counts.model_scores(), rtol=0.01)


def test_sandwich_matches_a_direct_computation(llmfao):
    pairs = row_pairs(llmfao)
    counts = pair_counts(llmfao, pairs)
    fit = bt.fit(counts)
    design = bt.PairDesign.from_counts(counts)
    contributions = iv.score_contributions(llmfao, pairs, fit, design, llmfao.question, llmfao.n_questions)
    covariance = iv.sandwich_covariance(fit.inverse, contributions)
    # direct: per-question scores and the information, row by row, then a pseudo-inverse
    m, b = llmfao.n_models, fit.strengths
    scores = np.zeros((llmfao.n_questions, m))
    information = np.zeros((m, m))
    for q, i, j, s in zip(llmfao.question, llmfao.model_a, llmfao.model_b, llmfao.score_a, strict=True):
        p = 1 / (1 + np.exp(b[j] - b[i]))
        x = np.zeros(m)
        x[i], x[j] = 1.0, -1.0
        scores[q] += (s - p) * x
        information += p * (1 - p) * np.outer(x, x)
    q = llmfao.n_questions
    bread = np.linalg.pinv(information)
    direct = bread @ (scores.T @ scores * q / (q - 1)) @ bread
    centre = np.eye(m) - 1 / m
    np.testing.assert_allclose(centre @ covariance[:m, :m] @ centre, centre @ direct @ centre, atol=1e-9)


def _replicate_counts(coded: CodedOutcomes, weights: np.ndarray, r: int):
    """Pair counts of question-bootstrap replicate r, from the rows themselves (each row weighted by its draws)."""
    return pair_counts(replace(coded, weight=coded.weight * weights[r, coded.question]))


def _identifiable(counts) -> bool:
    try:
        bt.check_identifiable(counts)
    except InputError:
        return False
    return True


@pytest.mark.parametrize("screen_bytes", [None, 1000])
def test_replicates_without_maximum_likelihood_ratings_are_found_exactly(monkeypatch, screen_bytes):
    """Groups of models, not only single ones, can win or lose everything in a replicate: sparse, lopsided
    outcomes of 5 models on 12 questions, against a check of every replicate's own win graph (Ford 1957); also
    screened 6 replicates at a time."""
    if screen_bytes:
        monkeypatch.setattr(bt, "_SCREEN_BYTES", screen_bytes)
    rng = np.random.default_rng(3)
    names = ["a", "b", "c", "d", "e"]
    strength = {"a": 2.0, "b": 1.6, "c": 0.0, "d": -0.3, "e": -1.8}
    rows = []
    for q in range(12):
        for i, j in rng.choice(len(names), size=(3, 2), replace=True):
            if i != j:
                p = 1.0 / (1.0 + np.exp(strength[names[j]] - strength[names[i]]))
                rows.append({"question_id": f"q{q}", "model_a": names[i], "model_b": names[j],
                             "score_a": float(rng.random() < p)})
    coded = encode_outcomes(pd.DataFrame(rows))
    assert _identifiable(pair_counts(coded))
    weights = iv.question_weights(coded.n_questions, 400, np.random.default_rng(0))
    found = iv.question_separation(coded, weights).replicates
    expected = np.array([not _identifiable(_replicate_counts(coded, weights, r)) for r in range(len(weights))])
    assert 0.1 < expected.mean() < 0.9  # both kinds are well represented
    assert (found == expected).all()


def test_judgment_bootstrap_screens_replicates_with_the_data_win_graph(monkeypatch):
    """The judgment bootstrap checks only the replicates that lose an edge of the screen's spanning trees. "a"
    always beats "b", so no replicate has the edge b -> a: a screen built on it (the comparison graph instead of
    the data's win graph) sent every replicate to the exact check. "e" loses one game of 120, so about a third of
    the replicates lack that loss and have no finite maximum-likelihood ratings: found exactly, against a check of
    every replicate's own win graph (scipy's strongly connected components)."""
    from scipy.sparse.csgraph import connected_components

    from judgebench import leaderboard

    rng = np.random.default_rng(5)
    names = ["a", "b", "c", "d", "e"]
    rows = []
    for q in range(30):
        for i in range(5):
            for j in range(i + 1, 5):
                score = 1.0 if (i, j) == (0, 1) else 0.0 if j == 4 and (q, i) != (0, 3) else float(rng.random() < 0.5)
                rows.append({"question_id": f"q{q}", "model_a": names[i], "model_b": names[j], "score_a": score})
    seen = {}
    separation, connected = bt.replicate_separation, bt._strongly_connected

    def screened(draws, unit, edge, n_models, *args, **kwargs):
        seen["draws"], seen["checks"] = draws, 0
        seen["found"] = separation(draws, unit, edge, n_models, *args, **kwargs)
        return seen["found"]

    def counted(adjacency):
        seen["checks"] = seen.get("checks", 0) + 1
        return connected(adjacency)

    monkeypatch.setattr(iv, "replicate_separation", screened)
    monkeypatch.setattr(bt, "_strongly_connected", counted)
    board = leaderboard.build(pd.DataFrame(rows), rounds=400, seed=0, resample="judgments")

    coded = encode_outcomes(pd.DataFrame(rows))
    pairs = row_pairs(coded)
    edges = np.concatenate([pairs.first * 5 + pairs.second, pairs.second * 5 + pairs.first])
    expected = []
    for drawn in seen["draws"]:  # the (first won, first lost) columns of every pair in each replicate
        adjacency = np.zeros(25, dtype=bool)
        adjacency[edges[drawn]] = True
        expected.append(connected_components(adjacency.reshape(5, 5), connection="strong")[0] > 1)
    assert 0.2 < np.mean(expected) < 0.5
    assert (seen["found"].replicates == np.array(expected)).all()
    assert board.meta["replicates_regularised"] == sum(expected)
    assert seen["checks"] == sum(expected) + 1  # the full data and the suspects: was every replicate (401)


def test_the_screen_keeps_to_the_edges_replicates_rarely_lose(monkeypatch):
    """a beats b, b beats c and c beats a on each of 30 questions; a beat c once. The screen's trees are then
    a -> b -> c and c -> a, b -> c (in both, listed once: an edge listed twice left one copy that no replicate
    kept), not a -> c, which a third of the replicates lose: no replicate needs the exact check."""
    rows = [{"question_id": f"q{q}", "model_a": a, "model_b": b, "score_a": 1.0}
            for q in range(30) for a, b in [("a", "b"), ("b", "c"), ("c", "a")]]
    rows.append({"question_id": "q0", "model_a": "a", "model_b": "c", "score_a": 1.0})
    coded = encode_outcomes(pd.DataFrame(rows))
    checks = []
    connected = bt._strongly_connected
    monkeypatch.setattr(bt, "_strongly_connected", lambda adjacency: checks.append(1) or connected(adjacency))
    found = iv.question_separation(coded, iv.question_weights(coded.n_questions, 400, np.random.default_rng(0)))
    assert not found.replicates.any() and len(checks) == 1  # the full data only: was 135


def test_bootstrap_of_a_model_that_wins_nearly_everything_uses_the_weak_ridge_and_says_so():
    """5 models against a baseline on 40 questions; strong-70b wins 39 of its 40 pairs, so about 36% of the
    question-bootstrap replicates (0.975^40) have it winning everything and no finite maximum-likelihood ratings.
    Those replicates are fitted with the point estimate's weak ridge (each replicate fitted alone here, as a
    reference), counted in the meta, and the warning says the upper end of its interval is the ridge's."""
    from judgebench import leaderboard

    rng = np.random.default_rng(0)
    rows = []
    for q in range(40):
        for model, p in {"strong-70b": None, "mid-8b": 0.6, "small-1b": 0.35, "tiny-0.5b": 0.2}.items():
            score = float(q != 7) if p is None else float(rng.random() < p)
            rows.append({"question_id": f"q{q:02d}", "model_a": model, "model_b": "base-3b", "score_a": score})
    outcomes = pd.DataFrame(rows)
    board = leaderboard.build(outcomes, rounds=1000, seed=0, baseline="base-3b")

    coded = encode_outcomes(outcomes)
    weights = iv.question_weights(coded.n_questions, 1000, np.random.default_rng(0))
    anchor = coded.models.index("base-3b")
    samples, separated = [], 0
    for r in range(len(weights)):
        counts = _replicate_counts(coded, weights, r)
        exists = _identifiable(counts)
        separated += not exists
        samples.append(bt.fit(counts, regularization=0.0 if exists else leaderboard.AUTO_RIDGE).ratings(anchor))
    lower, upper = iv.percentile_interval(np.array(samples), 0.95)
    assert 300 < separated < 420 and board.meta["replicates_regularised"] == separated
    entries = {e["model"]: e for e in board.models}
    for k, model in enumerate(coded.models):
        assert entries[model]["lower"] == pytest.approx(lower[k], abs=1e-6)
        assert entries[model]["upper"] == pytest.approx(upper[k], abs=1e-6)
    strong = entries["strong-70b"]
    # strong-70b meets only the baseline and wins 39 of 40: its maximum-likelihood rating is 400 log10(39 / 1)
    # above the baseline's 1000
    assert strong["rating"] == pytest.approx(1000 + 400 * math.log10(39), abs=0.1) and strong["upper"] < 2500
    warnings = [w for w in board.meta["warnings"] if "maximum-likelihood" in w]
    assert len(warnings) == 1 and f"{separated} of 1000 bootstrap replicates" in warnings[0]
    assert "upper end of strong-70b's interval is set by the ridge" in warnings[0]
    assert "strong-70b never lost to base-3b, directly or through other models" in warnings[0]  # the anchor's
    assert "mid-8b" not in warnings[0] and "beat" not in warnings[0].split("so they were")[0]

    by_judgment = leaderboard.build(outcomes, rounds=1000, seed=0, baseline="base-3b", resample="judgments")
    # resampling judgments (here the 200 outcome rows), the one row strong-70b lost is left out of a replicate
    # with probability (1 - 1/200)^200, about e^-1 = 0.37, as (1 - 1/40)^40 = 0.36 for the questions above
    assert 300 < by_judgment.meta["replicates_regularised"] < 420
    assert {e["model"]: e for e in by_judgment.models}["strong-70b"]["upper"] < 2500
    assert any("upper end of strong-70b's interval" in w for w in by_judgment.meta["warnings"])


def test_a_model_absent_from_bootstrap_replicates_is_named_as_absent_not_as_beaten(tmp_path):
    """few is judged on 3 of 30 questions (answers files may leave questions out): a question-bootstrap replicate
    draws none of them with probability (27/30)^30, 4%, and then has no game of few at all. That is not a
    replicate where few won or lost everything, but it was counted as both ("few beat none of the rest ... in
    13%", 9% of them losses and 4% absences): the warning says in how many replicates few had no game, apart from
    those where it never beat (or never lost to) the anchor, base, and which end of its interval each sets."""
    import json
    import subprocess
    import sys

    rows = [{"question_id": f"q{q:02d}", "model_a": model, "model_b": "base",
             "score_a": float((q + shift) % 3 != 0)} for q in range(30) for model, shift in [("a", 0), ("b", 1)]]
    rows += [{"question_id": f"q{q:02d}", "model_a": "c", "model_b": "base", "score_a": float(q % 3 == 0)}
             for q in range(30)]
    rows += [{"question_id": f"q{q:02d}", "model_a": "few", "model_b": "base", "score_a": score}
             for q, score in enumerate([0.0, 1.0, 1.0])]
    path = tmp_path / "outcomes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    done = subprocess.run([sys.executable, "-m", "judgebench.cli", "leaderboard", "--outcomes", str(path),
                           "--baseline", "base", "--rounds", "1000", "--seed", "0", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (text,) = [w for w in json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]["warnings"]
               if "maximum-likelihood" in w]

    # the replicates exactly as the leaderboard draws them (seed 0): few's questions are q00 (lost), q01, q02 (won)
    weights = iv.question_weights(30, 1000, np.random.default_rng(0))[:, :3]
    absent, lost_all = (weights.sum(axis=1) == 0), (weights[:, 0] > 0) & (weights[:, 1:].sum(axis=1) == 0)
    won_all = (weights[:, 0] == 0) & ~absent
    assert 0.025 < absent.mean() < 0.07 and 0.025 < lost_all.mean()
    assert (f"few had no game in {absent.mean():.0%} of them (none of the questions it was judged on was drawn), "
            "where the ridge puts its rating at the others' average") in text
    assert f"few never beat base, directly or through other models, in {lost_all.mean():.0%} of them" in text
    assert f"few never lost to base, directly or through other models, in {won_all.mean():.0%} of them" in text
    assert "both ends of few's interval are set by the ridge" in text
    assert set(re.findall(r"[(;] ?([\w-]+) (?:never|had no game)", text)) == {"few"}  # a, b, c: ends at neither


def test_replicates_without_a_game_of_the_anchor_are_named_as_such():
    """rare, the anchor, is judged on 3 of 30 questions (against m1): 4% of the replicates draw none of them. The
    other models are neither above nor below a model with no game, but they were counted as both ("m1, m2, m3, m4
    never lost to rare in 11%" and "never beat rare in 34%", each with that 4%), and the warning named "the lower
    end of rare's interval", an anchor fixed at 1000."""
    from judgebench import leaderboard

    models = ["m1", "m2", "m3", "m4"]
    rows = [{"question_id": f"q{q:02d}", "model_a": a, "model_b": b, "score_a": float((q + i + j) % 3 != 0)}
            for q in range(30) for i, a in enumerate(models) for j, b in enumerate(models) if i < j]
    rows += [{"question_id": f"q{q:02d}", "model_a": "rare", "model_b": "m1", "score_a": score}
             for q, score in enumerate([1.0, 0.0, 1.0])]
    board = leaderboard.build(pd.DataFrame(rows), anchor="rare", rounds=1000, seed=0)
    (text,) = [w for w in board.meta["warnings"] if "maximum-likelihood" in w]

    # the replicates exactly as the leaderboard draws them (seed 0): rare won q00 and q02 and lost q01
    weights = iv.question_weights(30, 1000, np.random.default_rng(0))[:, :3]
    absent = weights.sum(axis=1) == 0
    never_beaten, never_beating = (weights[:, 1] == 0) & ~absent, (weights[:, [0, 2]].sum(axis=1) == 0) & ~absent
    assert 0.025 < absent.mean() < 0.07
    assert (f"the anchor rare had no game in {absent.mean():.0%} of them (none of the questions it was judged on "
            "was drawn)") in text
    assert f"m1, m2, m3, m4 never lost to rare, directly or through other models, in {never_beating.mean():.0%}" in text
    assert f"m1, m2, m3, m4 never beat rare, directly or through other models, in {never_beaten.mean():.0%}" in text
    assert "rare's interval" not in text and "both ends of the intervals of m1, m2, m3, m4 are set" in text

    # rare beat m1 three games of four on each of its questions: its absence is the only cause, and the ridge then
    # measures the others from their own average, above where rare (above that average) puts them
    rows = rows[:-3] + [{"question_id": f"q{q:02d}", "model_a": "rare", "model_b": "m1", "score_a": score}
                        for q in range(3) for score in (1.0, 1.0, 1.0, 0.0)]
    board = leaderboard.build(pd.DataFrame(rows), anchor="rare", rounds=1000, seed=0)
    (text,) = [w for w in board.meta["warnings"] if "maximum-likelihood" in w]
    assert f"({absent.sum()} of 1000 bootstrap replicates" in f"({text}" and "never" not in text
    assert "the upper ends of the intervals of m1, m2, m3, m4 are set by the ridge" in text
    absent_ratings = board.samples[absent][:, 1:]  # rare is listed first
    assert np.allclose(absent_ratings.mean(axis=1), 1000.0)  # the others' average where rare had no game


def test_a_middle_model_is_not_named_at_an_end_of_centred_ratings():
    """alpha beats beta, beta beats gamma and alpha beats gamma on 30 questions but one, where gamma beat alpha.
    The replicates without that question (about 36%) order the three strictly, each model a group of its own.
    Measured from a model of the "largest" group (a tie of three, settled by scipy's labels), the warning said
    that beta, which lost every game to alpha, "lost to none of the rest", and left out gamma, whose interval's
    lower end the ridge sets. With centred ratings (no anchor) the ends are alpha's upper and gamma's lower; beta
    stays in the middle, exactly (its interval has zero width here)."""
    from judgebench import leaderboard

    rows = [{"question_id": f"q{q:02d}", "model_a": a, "model_b": b, "score_a": 1.0}
            for q in range(30) for a, b in [("alpha", "beta"), ("beta", "gamma"), ("alpha", "gamma")]]
    rows[2]["score_a"] = 0.0  # q00: gamma beat alpha
    board = leaderboard.build(pd.DataFrame(rows), rounds=1000, seed=0)
    (text,) = [w for w in board.meta["warnings"] if "maximum-likelihood" in w]
    weights = iv.question_weights(30, 1000, np.random.default_rng(0))
    share = f"{(weights[:, 0] == 0).mean():.0%}"  # the replicates that leave out q00, gamma's upset
    assert (f"alpha lost only to models it beat in turn, directly or through other models, in {share} of them; "
            f"gamma beat only models it lost to in turn, directly or through other models, in {share} of them"
            in text)
    assert "the upper end of alpha's interval and the lower end of gamma's interval are set by the ridge" in text
    assert "beta" not in text


def test_rank_shares_split_tied_places_evenly():
    """Tied models share the places they hold together (each of k tied models counts 1/k at each of their k
    places): all-equal ratings put the first model at rank 1 for certain, the next at rank 2, and so on, beside
    a table that ranked every model first."""
    equal = np.full((5, 4), 1000.0)
    np.testing.assert_allclose(iv.rank_shares(equal), np.full((4, 4), 0.25))
    # replicate 1: models 1 and 2 tie for places 1-2, model 0 third; replicate 2: models 0-2 tie, model 3 last;
    # a model without a rating (NaN) shares the last places with the others lacking one
    samples = np.array([[1.0, 2.0, 2.0, np.nan], [5.0, 5.0, 5.0, 1.0]])
    np.testing.assert_allclose(iv.rank_shares(samples), [[1 / 6, 1 / 6, 2 / 3, 0], [5 / 12, 5 / 12, 1 / 6, 0],
                                                         [5 / 12, 5 / 12, 1 / 6, 0], [0, 0, 0, 1]])


def test_rank_shares_count_ratings_apart_by_rounding_noise_as_ties():
    """Models with identical games get ratings equal up to floating-point noise, a hair apart always the same
    way: they are tied, not ranked in the order the noise happens to fall (the first always ahead)."""
    rng = np.random.default_rng(0)
    shift = rng.normal(0, 50, (200, 1))
    samples = 1000.0 + shift + np.array([100.0, 0.0, 0.0, 0.0, -100.0])
    samples[:, 1:4] += np.array([4, 2, 0]) * np.spacing(1000.0)  # always in list order, by rounding noise
    shares = iv.rank_shares(samples)
    np.testing.assert_allclose(shares[0], [1, 0, 0, 0, 0])
    np.testing.assert_allclose(shares[1:4], np.full((3, 5), [0, 1 / 3, 1 / 3, 1 / 3, 0]))
    np.testing.assert_allclose(shares[4], [0, 0, 0, 0, 1])
    np.testing.assert_allclose(shares.sum(axis=0), 1)
    np.testing.assert_allclose(shares.sum(axis=1), 1)
    # a real difference, however small against the ratings' spread of 200, still orders the models
    samples[:, 2] += 1e-3
    assert iv.rank_shares(samples)[2].tolist() == pytest.approx([0, 1, 0, 0, 0])


def test_rank_distribution_of_a_run_whose_models_all_tie_shows_them_sharing_every_rank(monkeypatch, tmp_path):
    """Every judgment a tie: the table ranks all models first at the same rating, and the report's rank
    distribution shows each with an equal share of every place (it showed ranks 1, 2, 3, 4 in list order)."""
    from judgebench.report import build, plots
    from judgebench.report.inputs import RunData

    models = ["m-a", "m-b", "m-c", "m-d"]
    rows = [{"question_id": f"q{q}", "first": a, "second": b, "judge": "j", "template": "pairwise-5",
             "status": "ok", "label": "[[A=B]]", "p_first": 0.5, "weight": 1.0, "raw": "[[A=B]]"}
            for q in range(10) for a in models for b in models if a != b]
    drawn = {}

    def rank_distribution(names, shares):
        drawn.update(names=names, shares=shares)
        return real(names, shares)

    real = plots.rank_distribution
    monkeypatch.setattr(plots, "rank_distribution", rank_distribution)
    build.write_report(RunData(pd.DataFrame(rows), "ties", meta={"rounds": 20, "interval": "bootstrap"}),
                       tmp_path / "ties.html")
    assert sorted(drawn["names"]) == models
    np.testing.assert_allclose(drawn["shares"], np.full((4, 4), 0.25))

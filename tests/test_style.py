"""Style control: arena-hard-auto v2's covariates, and recovery of known strengths and style effects.

The simulated judge prefers longer answers: logit P(a beats b) = beta_a - beta_b + G_LENGTH * length, with
length = (tokens_a - tokens_b) / (tokens_a + tokens_b) as arena-hard-auto v2 defines it (written out here,
independently of judgebench.ratings.style). The fit reports the coefficient per root mean square of that
difference, so the truth on its scale is G_LENGTH times that root mean square (`covariates.scale`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from scipy.stats import t as student_t

from judgebench import leaderboard
from judgebench.datasets.fields import answer_metadata
from judgebench.errors import ConfigError, InputError
from judgebench.ratings import intervals as iv
from judgebench.ratings import style
from judgebench.ratings.counts import CodedOutcomes, encode_outcomes

STRENGTH = np.array([0.5, 0.2, 0.0, -0.3, -0.4])  # true log-strengths of m0..m4
TOKENS = np.array([300.0, 900.0, 500.0, 1500.0, 400.0])  # typical answer lengths: m1 and m3 are verbose
MARKDOWN = np.array([2.0, 8.0, 1.0, 4.0, 0.5])  # mean headers, list items and bold spans per answer
G_LENGTH = 1.0


def arena_hard_features(style_a: np.ndarray, style_b: np.ndarray) -> np.ndarray:
    """arena-hard-auto v2's raw style differences (before scaling), written out here."""
    length = (style_a[:, 0] - style_b[:, 0]) / (style_a[:, 0] + style_b[:, 0])
    density_a = style_a[:, 1:] / (style_a[:, :1] + 1)
    density_b = style_b[:, 1:] / (style_b[:, :1] + 1)
    return np.column_stack([length, (density_a - density_b) / (density_a + density_b + 1)])


def simulate(rng: np.random.Generator, n_questions: int, soft: bool = False) -> CodedOutcomes:
    """Every pair of the 5 models on every question, sides in random order; each model's answer to a question
    has its own token and markdown counts, shared by all its games on that question."""
    m = len(STRENGTH)
    first, second = np.triu_indices(m, 1)
    question = np.repeat(np.arange(n_questions), len(first))
    a, b = np.tile(first, n_questions), np.tile(second, n_questions)
    swap = rng.random(len(a)) < 0.5
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    tokens = TOKENS * rng.lognormal(0.0, 0.4, (n_questions, m))
    markdown = rng.poisson(np.repeat(MARKDOWN[None, :, None], 3, axis=2), (n_questions, m, 3))
    style_a = np.column_stack([tokens[question, a], markdown[question, a]])
    style_b = np.column_stack([tokens[question, b], markdown[question, b]])
    p = expit(STRENGTH[a] - STRENGTH[b] + G_LENGTH * arena_hard_features(style_a, style_b)[:, 0])
    score = p if soft else (rng.random(len(p)) < p).astype(float)
    return CodedOutcomes(models=tuple(f"m{k}" for k in range(m)), questions=np.arange(n_questions),
                         question=question, model_a=a, model_b=b, score_a=score, weight=np.ones(len(a)),
                         style_a=style_a, style_b=style_b)


def test_covariates_are_arena_hard_features_scaled_about_zero():
    coded = simulate(np.random.default_rng(0), 30)
    raw = arena_hard_features(coded.style_a, coded.style_b)
    covariates = style.Covariates.of(coded)
    np.testing.assert_allclose(covariates.values, raw / np.sqrt((raw ** 2).mean(axis=0)))
    assert covariates.values.shape[1] == len(style.STYLE_FEATURES) == 4


def test_markdown_counters_follow_arena_hard_rules():
    text = ("# One\n##Not a header\n####### seven is not one\n  - item\n+ item\n3. item\n3) not an item\n"
            "**bold** __also__ ** not\nbold**\n```\n# code\n- code\n**code**\n```\n")
    counts = answer_metadata([text])
    assert (counts["n_headers"], counts["n_list_items"], counts["n_bold"]) == (1, 3, 2)


def test_adjusted_ratings_recover_the_strengths():
    """Soft verdicts equal to the judge's probabilities: the fit recovers the strengths to 0.02 and the length
    effect to 2% of its size; a plain Bradley-Terry fit credits the verbose models instead."""
    coded = simulate(np.random.default_rng(1), 400, soft=True)
    fit = style.fit(coded)
    truth = STRENGTH - STRENGTH.mean()
    np.testing.assert_allclose(fit.strengths, truth, atol=0.02)
    assert fit.coefficients[0] / fit.covariates.scale[0] == pytest.approx(G_LENGTH, rel=0.02)
    np.testing.assert_allclose(fit.coefficients[1:], 0.0, atol=0.02)
    plain = leaderboard.build(coded, interval="sandwich")
    verbose_gain = {e["model"]: e["rating"] for e in plain.models}["m3"] - 1000.0
    assert verbose_gain > 400 / np.log(10) * (truth[3] + 0.1)


def flipped(coded: CodedOutcomes, rows: np.ndarray) -> CodedOutcomes:
    """The same outcomes with sides a and b exchanged in `rows` (scores and style counts with them)."""
    def swap(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(rows.reshape(-1, *([1] * (x.ndim - 1))), y, x)

    return replace(coded, model_a=swap(coded.model_a, coded.model_b), model_b=swap(coded.model_b, coded.model_a),
                   score_a=np.where(rows, 1.0 - coded.score_a, coded.score_a),
                   style_a=swap(coded.style_a, coded.style_b), style_b=swap(coded.style_b, coded.style_a))


def test_the_fit_does_not_depend_on_which_side_of_a_pair_is_called_a():
    """judgebench orients outcomes by model name, not at random, so side a is not a random side. With every
    pair ordered (the better model of m0..m4 always side a), the fit must still recover the strengths and
    length effect, and give exactly the fit of the same outcomes with random sides. Centring the covariates
    (arena-hard-auto's standardisation) breaks this: the mean style difference of the ordered outcomes times
    its coefficient acts as a bonus for side a: the strengths of the two fits differed by up to 0.08 here."""
    coded = simulate(np.random.default_rng(1), 400, soft=True)
    ordered = flipped(coded, coded.model_a > coded.model_b)
    assert (ordered.model_a < ordered.model_b).all()
    fits = [style.fit(ordered), style.fit(coded)]
    np.testing.assert_allclose(fits[0].strengths, fits[1].strengths, atol=1e-9)
    np.testing.assert_allclose(fits[0].coefficients, fits[1].coefficients, atol=1e-9)
    np.testing.assert_allclose(fits[0].strengths, STRENGTH - STRENGTH.mean(), atol=0.02)
    assert fits[0].coefficients[0] / fits[0].covariates.scale[0] == pytest.approx(G_LENGTH, rel=0.02)


@pytest.fixture(scope="module")
def length_coverage() -> np.ndarray:
    """Does the sandwich's 95% t interval of the length coefficient cover the truth? 400 studies of 60
    questions x 10 pairs."""
    rng = np.random.default_rng(2024)
    quantile = student_t.ppf(0.975, 59)
    hits = []
    for _ in range(400):
        coded = simulate(rng, 60)
        fit = style.fit(coded)
        se = np.sqrt(style.sandwich_covariance(fit, coded)[5, 5])
        truth = G_LENGTH * fit.covariates.scale[0]
        hits.append(abs(fit.coefficients[0] - truth) <= quantile * se)
    return np.array(hits)


def test_length_coefficient_interval_covers_the_truth(length_coverage):
    """Nominal 95%; Monte Carlo error over 400 studies: sqrt(0.95 * 0.05 / 400) = 1.1 points."""
    rate = length_coverage.mean()
    assert 0.93 <= rate <= 0.97, f"covered {rate:.3f}"


def test_bootstrap_replicates_fitted_together_agree_with_single_fits_and_the_sandwich():
    rng = np.random.default_rng(3)
    coded = simulate(rng, 200)
    fit = style.fit(coded)
    weights = iv.question_weights(coded.n_questions, 200, rng)
    theta, unbounded = style.fit_replicates(fit, coded, weights)
    assert not unbounded.any()
    # replicate 0 refitted from scratch on its resampled rows
    rows = np.concatenate([np.repeat(np.flatnonzero(coded.question == q), k) for q, k in enumerate(weights[0])])
    single = style.fit(CodedOutcomes(models=coded.models, questions=coded.questions, question=coded.question[rows],
                                     model_a=coded.model_a[rows], model_b=coded.model_b[rows],
                                     score_a=coded.score_a[rows], weight=coded.weight[rows],
                                     style_a=coded.style_a[rows], style_b=coded.style_b[rows]),
                       style.Covariates(fit.covariates.values[rows], fit.covariates.scale))
    np.testing.assert_allclose(theta[0], single.params, atol=1e-6)
    # bootstrap spread against the sandwich: Monte Carlo error of a standard deviation from 200 replicates, 5%
    sandwich = np.sqrt(np.diag(style.sandwich_covariance(fit, coded)))[5:]
    np.testing.assert_allclose(theta[:, 5:].std(axis=0, ddof=1), sandwich, rtol=0.2)


def test_leaderboard_style_control_reports_coefficients_and_anchor_free_ranks(tmp_path):
    coded = simulate(np.random.default_rng(4), 80)
    frame = pd.DataFrame({"question_id": coded.question, "model_a": np.array(coded.models)[coded.model_a],
                          "model_b": np.array(coded.models)[coded.model_b], "score_a": coded.score_a})
    for side, counts in (("a", coded.style_a), ("b", coded.style_b)):
        for k, name in enumerate(("tokens", "headers", "lists", "bold")):
            frame[f"{name}_{side}"] = counts[:, k]
    boards = [leaderboard.build(frame, style_control=True, rounds=100, **options)
              for options in ({}, {"anchor": "m2"})]
    assert [e["rank"] for e in boards[0].models] == [e["rank"] for e in boards[1].models]
    length = boards[0].meta["style_coefficients"]["length"]
    assert 0 < length["lower"] < length["coefficient"] < length["upper"]
    assert boards[0].meta["style_control"] is True
    path = tmp_path / "styled.csv"
    frame.to_csv(path, index=False)
    done = subprocess.run([sys.executable, "-m", "judgebench.cli", "leaderboard", "--outcomes", str(path),
                           "--style-control", "--interval", "sandwich", "--out", str(tmp_path), "-q"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "leaderboard.json").read_text())["meta"]
    assert set(meta["style_coefficients"]) == set(style.STYLE_FEATURES)


def test_features_that_never_vary_are_left_out_and_token_counts_are_required():
    """Plain-text answers (no markdown: every density 0) are controlled for length alone, the markdown features
    named as dropped; outcomes whose token counts are all 0 (answers without n_tokens) are refused as such."""
    coded = simulate(np.random.default_rng(6), 40)
    plain = [np.column_stack([side[:, :1], np.zeros((len(side), 3))]) for side in (coded.style_a, coded.style_b)]
    covariates = style.Covariates.of(replace(coded, style_a=plain[0], style_b=plain[1]))
    assert covariates.names == ("length",) and covariates.dropped == style.STYLE_FEATURES[1:]
    full = style.Covariates.of(coded)
    np.testing.assert_allclose(covariates.values[:, 0], full.values[:, 0])
    board = leaderboard.build(replace(coded, style_a=plain[0], style_b=plain[1]), style_control=True, rounds=20)
    assert list(board.meta["style_coefficients"]) == ["length"]
    assert board.meta["style_features_dropped"] == list(style.STYLE_FEATURES[1:])
    untokened = [np.column_stack([np.zeros(len(side)), side[:, 1:]]) for side in (coded.style_a, coded.style_b)]
    with pytest.raises(InputError, match="give no token counts"):
        style.Covariates.of(replace(coded, style_a=untokened[0], style_b=untokened[1]))


def test_style_control_needs_style_columns_and_bradley_terry():
    coded = simulate(np.random.default_rng(5), 10)
    bare = CodedOutcomes(models=coded.models, questions=coded.questions, question=coded.question,
                         model_a=coded.model_a, model_b=coded.model_b, score_a=coded.score_a, weight=coded.weight)
    with pytest.raises(InputError, match="tokens_a"):
        leaderboard.build(bare, style_control=True, rounds=10)
    with pytest.raises(ConfigError, match=r"^\[ratings\] style_control = true is a Bradley-Terry model"):
        leaderboard.build(coded, style_control=True, method="elo", rounds=10)
    # a first-position effect beside it (a results folder's recorded one, say): the message says how to turn either
    # off, where it named only the settings to leave out, which a recorded setting is not (the second review)
    with pytest.raises(ConfigError) as refused:
        leaderboard.build(coded, style_control=True, position_effect=True, rounds=10)
    assert str(refused.value).endswith('use it with [ratings] method = "bt", [ratings] ties = "half", [ratings] '
                                       'position_effect = false and [ratings] resample = "questions", or rate without '
                                       "it ([ratings] style_control = false)")


def test_bootstrap_replicates_without_maximum_likelihood_strengths_use_the_weak_ridge_and_say_so():
    """A model winning 39 of its 40 pairs against the baseline wins all of them in about a third of the
    replicates; those are fitted with the point estimate's weak ridge (as a single fit of the resampled rows with
    that ridge), counted, and the warning names the interval end the ridge sets."""
    from judgebench.ratings import bradley_terry as bt
    from judgebench.ratings.counts import pair_counts

    rng = np.random.default_rng(0)
    rows = []
    for q in range(40):
        for model, p in {"strong-70b": None, "mid-8b": 0.6, "small-1b": 0.35, "tiny-0.5b": 0.2}.items():
            counts = {f"{name}_{side}": int(rng.integers(1, 600 if name == "tokens" else 6))
                      for name in ("tokens", "headers", "lists", "bold") for side in "ab"}
            rows.append({"question_id": f"q{q:02d}", "model_a": model, "model_b": "base-3b",
                         "score_a": float(q != 7) if p is None else float(rng.random() < p), **counts})
    outcomes = pd.DataFrame(rows)
    coded = encode_outcomes(outcomes)
    fit = style.fit(coded)
    weights = iv.question_weights(coded.n_questions, 300, np.random.default_rng(0))
    separated = iv.question_separation(coded, weights).replicates
    assert 70 < separated.sum() < 130
    theta, _ = style.fit_replicates(fit, coded, weights, separated=separated)
    r = int(np.flatnonzero(separated)[0])
    picked = np.concatenate([np.repeat(np.flatnonzero(coded.question == q), k) for q, k in enumerate(weights[r])])
    with pytest.raises(InputError):  # the resampled rows have no maximum-likelihood ratings
        bt.check_identifiable(pair_counts(CodedOutcomes(
            models=coded.models, questions=coded.questions, question=coded.question[picked],
            model_a=coded.model_a[picked], model_b=coded.model_b[picked], score_a=coded.score_a[picked],
            weight=coded.weight[picked])))
    single = style.fit(CodedOutcomes(models=coded.models, questions=coded.questions, question=coded.question[picked],
                                     model_a=coded.model_a[picked], model_b=coded.model_b[picked],
                                     score_a=coded.score_a[picked], weight=coded.weight[picked],
                                     style_a=coded.style_a[picked], style_b=coded.style_b[picked]),
                       style.Covariates(fit.covariates.values[picked], fit.covariates.scale),
                       regularization=leaderboard.AUTO_RIDGE)
    np.testing.assert_allclose(theta[r], single.params, atol=1e-6)

    board = leaderboard.build(outcomes, rounds=300, seed=0, baseline="base-3b", style_control=True)
    assert board.meta["replicates_regularised"] == separated.sum()
    anchor = coded.models.index("base-3b")
    upper = iv.percentile_interval(bt.to_elo(theta[:, :coded.n_models], anchor), 0.95)[1]
    for k, model in enumerate(coded.models):
        assert {e["model"]: e for e in board.models}[model]["upper"] == pytest.approx(upper[k], abs=1e-6)
    assert any("upper end of strong-70b's interval is set by the ridge" in w for w in board.meta["warnings"])


def test_style_control_without_a_finite_fit_is_one_clear_error(tmp_path):
    """m0 beats everyone and m2 loses to everyone, and the winner of every pair wrote the longer answer: the ridge
    holds the strengths, the length coefficient has no finite maximum (its information goes singular). That is
    one InputError naming the models and what to do, through the CLI too (it was an internal error, exit 70),
    with how to turn style control off as each sets it; the same outcomes rate without style control (ridged,
    with the warning)."""
    rows = []
    for q in range(12):
        for a, b, a_wins in (("m0", "m1", True), ("m0", "m2", True), ("m1", "m2", True), ("m1", "m3", q % 2 == 0),
                             ("m3", "m2", True), ("m0", "m3", True)):
            long, short = 600 + 10 * q, 200 + 5 * q
            rows.append({"question_id": f"q{q}", "model_a": a, "model_b": b, "score_a": float(a_wins),
                         "tokens_a": long if a_wins else short, "tokens_b": short if a_wins else long,
                         "headers_a": 0, "headers_b": 0, "lists_a": 0, "lists_b": 0, "bold_a": 0, "bold_b": 0})
    frame = pd.DataFrame(rows)
    with pytest.raises(InputError, match=r"^style control has no finite fit here: some models won or lost every "
                                         r"comparison \(m0 never lost to m1, m2, m3; m2 never beat m0, m1, m3\), "
                                         r".*; rate without style control \(\[ratings\] style_control = false\), "):
        leaderboard.build(frame, style_control=True, rounds=20)
    assert "weak ridge" in leaderboard.build(frame, rounds=20).meta["warnings"][-1]
    with pytest.raises(InputError, match="^maximum-likelihood ratings do not exist"):  # no ridge: the plain fit's
        leaderboard.build(frame, style_control=True, rounds=20, regularization=0)   # own error, which says so
    path = tmp_path / "separated.csv"
    frame.to_csv(path, index=False)
    done = subprocess.run([sys.executable, "-m", "judgebench.cli", "leaderboard", "--outcomes", str(path),
                           "--style-control", "-q"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: ") and "rate without style control (--no-style-control), or " \
        "judge more games" in " ".join(done.stderr.split())


def with_bold(bold_scores: dict[int, float]) -> pd.DataFrame:
    """Outcomes of mid-8b and small-1b against base-3b on 30 questions (seeded verdicts and token counts, no
    markdown), except that mid-8b's answers to the questions numbered in `bold_scores` have bold text and score
    as given there."""
    rng = np.random.default_rng(1)
    rows = []
    for q in range(30):
        for model, p in (("mid-8b", 0.55), ("small-1b", 0.3)):
            row = {"question_id": f"q{q:02d}", "model_a": model, "model_b": "base-3b",
                   "score_a": float(rng.random() < p), "tokens_a": int(rng.integers(100, 600)),
                   "tokens_b": int(rng.integers(100, 600)), "headers_a": 0, "headers_b": 0, "lists_a": 0,
                   "lists_b": 0, "bold_a": 0, "bold_b": 0}
            if q in bold_scores and model == "mid-8b":
                row.update(bold_a=5, score_a=bold_scores[q])
            rows.append(row)
    return pd.DataFrame(rows)


def test_bootstrap_replicates_whose_style_coefficient_has_no_finite_fit_are_ridged_counted_and_said(tmp_path):
    """Bold text appears in four answers of mid-8b: it lost three of those pairs and won one (question q00), so
    the full data has a finite bold coefficient, but a replicate that does not draw q00 (about a third of them)
    separates its verdicts by bold density alone (where it draws any of the others), however the strengths are
    held. Such a replicate stopped the board ("Bradley-Terry fit did not converge in 200 iterations ... try a
    regularization such as 0.01", and any regularization gave the same error); it is now fitted with the weak
    ridge on the coefficients too, counted, and the warning names the feature and the interval end the ridge
    sets, through the CLI."""
    frame = with_bold({0: 1.0, 1: 0.0, 2: 0.0, 3: 0.0})
    coded = encode_outcomes(frame)
    fit = style.fit(coded)
    weights = iv.question_weights(coded.n_questions, 200, np.random.default_rng(0))
    theta, unbounded = style.fit_replicates(fit, coded, weights)
    bold = fit.covariates.names.index("bold_density")
    drawn = weights[:, [list(coded.questions).index(f"q{q:02d}") for q in range(4)]] > 0
    without_q00 = ~drawn[:, 0] & drawn[:, 1:].any(axis=1)  # (a replicate without bold text has no bold effect)
    np.testing.assert_array_equal(unbounded[:, bold] == -1, without_q00)  # exactly those, towards minus infinity
    assert np.isfinite(theta).all() and 0.25 < without_q00.mean() < 0.45

    path = tmp_path / "bold.csv"
    frame.to_csv(path, index=False)
    done = subprocess.run([sys.executable, "-m", "judgebench.cli", "leaderboard", "--outcomes", str(path),
                           "--baseline", "base-3b", "--style-control", "--rounds", "200", "--out", str(tmp_path / "b")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stderr.split())
    meta = json.loads((tmp_path / "b" / "leaderboard.json").read_text())["meta"]
    count = meta["replicates_style_unbounded"]
    assert 0.25 < count / 200 < 0.45 and count == meta["replicates_regularised"]
    assert (f"{count} of 200 bootstrap replicates have no finite style-controlled fit (a style feature tells every "
            f"winner's answer from the loser's where it is not zero: bold_density in {count / 200:.0%} of them), so "
            "they were fitted with the weak ridge (0.01) on the style coefficients too: the lower end of "
            "bold_density's interval is set by the ridge, not by the data") in said
    coefficient = meta["style_coefficients"]["bold_density"]
    assert coefficient["lower"] < coefficient["coefficient"] < coefficient["upper"]
    assert any("bold_density" in warning for warning in meta["warnings"])


def test_a_separated_replicate_without_a_style_feature_keeps_its_coefficient_and_both_ends_can_be_the_ridges():
    """strong wins all but one pair (a third of the replicates have no finite ratings) and bold text appears in two
    answers of small-1b, which won on q00 and lost on q01. A replicate fitted alone for its ratings that draws
    neither has no information on the bold coefficient: it keeps the full data's (it was an internal error,
    "Singular matrix"); one that draws only q00 (q01) separates upwards (downwards), so both ends of the bold
    coefficient's interval are the ridge's, and the warning says so."""
    rng = np.random.default_rng(2)
    rows = []
    for q in range(30):
        for model, p in (("strong", 0.97), ("small-1b", 0.3)):
            row = {"question_id": f"q{q:02d}", "model_a": model, "model_b": "base-3b",
                   "tokens_a": int(rng.integers(100, 600)), "tokens_b": int(rng.integers(100, 600)),
                   "score_a": float(rng.random() < p) if (model, q) != ("strong", 5) else 0.0, "headers_a": 0,
                   "headers_b": 0, "lists_a": 0, "lists_b": 0, "bold_a": 0, "bold_b": 0}
            if q < 2 and model == "small-1b":
                row.update(bold_a=5, score_a=float(q == 0))
            rows.append(row)
    coded = encode_outcomes(pd.DataFrame(rows))
    fit = style.fit(coded)
    weights = iv.question_weights(coded.n_questions, 300, np.random.default_rng(0))
    separated = iv.question_separation(coded, weights).replicates
    theta, unbounded = style.fit_replicates(fit, coded, weights, separated=separated)
    bold = len(coded.models) + fit.covariates.names.index("bold_density")
    index = [list(coded.questions).index(q) for q in ("q00", "q01")]
    drawn = weights[:, index] > 0
    np.testing.assert_array_equal(unbounded[:, bold - len(coded.models)], drawn[:, 0].astype(int) - drawn[:, 1])
    neither = separated & ~drawn.any(axis=1)
    assert neither.any() and np.isfinite(theta).all()
    np.testing.assert_allclose(theta[neither, bold], fit.params[bold])
    warning = style.unbounded_warning(unbounded, fit.covariates.names, 0.95)[0]
    assert "both ends of bold_density's interval are set by the ridge, not by the data" in warning


def test_a_feature_absent_from_a_replicate_holds_the_full_data_estimate_in_both_paths():
    """mid-8b's answers have bold text on q00 (won) and q01 (lost), and lists on q02 (won) and q03 (lost): the
    full data has finite coefficients for both. A replicate that draws none of a feature's outcomes has no
    information on its coefficient, so it holds the full data's, as the docstring said it did. Fitted together
    by chord iterations, it did not: the fixed inverse's cross terms moved it (bold_density from 1.28 to 1.92
    about its estimate 1.66 in a reviewer's outcomes); and where the replicate needed the weak ridge on the
    coefficients (it draws q00 but not q01: bold separates its verdicts) that ridge pulled an absent lists
    coefficient towards 0, a hundredth of the way an iteration, so that its fit never settled and the board
    stopped ("Bradley-Terry fit did not converge in 200 iterations ... try a regularization such as 0.01")."""
    frame = with_bold({0: 1.0, 1: 0.0, 2: 1.0, 3: 0.0})
    lists = frame["model_a"].eq("mid-8b") & frame["question_id"].isin(["q02", "q03"])
    frame.loc[lists, ["bold_a", "lists_a"]] = [0, 3]
    coded = encode_outcomes(frame)
    fit = style.fit(coded)
    q = [list(coded.questions).index(f"q{k:02d}") for k in range(4)]
    weights = iv.question_weights(coded.n_questions, 60, np.random.default_rng(0))
    weights[:40, q[2:]] = 0  # no lists: 0-19 with both bold outcomes, 20-39 with the won one only
    weights[:20, q[:2]] = np.maximum(weights[:20, q[:2]], 1)
    weights[20:40, q[0]], weights[20:40, q[1]] = np.maximum(weights[20:40, q[0]], 1), 0
    weights[40:, q[2:]] = np.maximum(weights[40:, q[2:]], 1)  # 40-59 with both lists outcomes
    theta, unbounded = style.fit_replicates(fit, coded, weights)
    m, names = len(coded.models), fit.covariates.names
    bold, listed = m + names.index("bold_density"), m + names.index("list_density")
    assert not unbounded[:20].any() and (unbounded[20:40, bold - m] == 1).all()  # chord; alone, ridged
    np.testing.assert_allclose(theta[:40, listed], fit.params[listed], rtol=0, atol=1e-12)
    assert np.ptp(theta[:20, bold]) > 0.1 and np.all(theta[20:40, bold] > fit.params[bold])  # bold is fitted
    assert np.ptp(theta[40:, listed]) > 0.1  # and so are lists where they are drawn


def test_style_controlled_p_win_against_the_baseline_is_shown_with_its_interval_in_every_table(tmp_path):
    """The style-controlled terminal table showed the raw win rate alone; the style-adjusted P(win) against the
    baseline (arena-hard-auto's style-controlled score) was in leaderboard.md and the report only, without an
    interval. Each table now shows it with its interval, one text: the bootstrap's and the sandwich's, each the
    logistic of the interval of the model's rating difference from the baseline (here the anchor)."""
    rng = np.random.default_rng(5)
    rows = [{"question_id": f"q{q:02d}", "model_a": model, "model_b": "base-3b", "score_a": float(rng.random() < p),
             **{f"{name}_{side}": int(rng.integers(1, 600 if name == "tokens" else 6))
                for name in ("tokens", "headers", "lists", "bold") for side in "ab"}}
            for q in range(40) for model, p in (("mid-8b", 0.6), ("small-1b", 0.35))]
    path = tmp_path / "outcomes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    for interval in ("bootstrap", "sandwich"):
        out = tmp_path / interval
        done = subprocess.run([sys.executable, "-m", "judgebench.cli", "leaderboard", "--outcomes", str(path),
                               "--baseline", "base-3b", "--style-control", "--rounds", "100", "--interval", interval,
                               "--out", str(out)], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "COLUMNS": "200"})
        assert done.returncode == 0, done.stderr
        board = json.loads((out / "leaderboard.json").read_text())
        models = board["models"]
        reported = subprocess.run([sys.executable, "-m", "judgebench.cli", "report", "--results", str(out), "--out",
                                   str(out / "report.html")], capture_output=True, text=True, timeout=120)
        assert reported.returncode == 0, reported.stderr
        html = (out / "report.html").read_text()
        assert "P(win)" in done.stdout and "in brackets its 95% interval" in " ".join(done.stdout.split())
        # its note starts a sentence ("... fixed at 1000. style-adjusted P(win): ..." in leaderboard.md and the
        # report); the meta's label, and the column's title, stay as they were
        assert board["meta"]["win_probability_label"].startswith("style-adjusted P(win): ")
        for text in (done.stdout, (out / "leaderboard.md").read_text(), html):
            text = " ".join(text.split())
            assert "Style-adjusted P(win): the predicted probability of beating the baseline base-3b" in text
            assert "style-adjusted P(win)" not in text
        assert "| P(win) |" in (out / "leaderboard.md").read_text()
        for entry in models:
            if entry["model"] == "base-3b":
                assert entry["win_probability"] == 0.5 and entry["win_probability_lower"] is None
                continue
            ends = [float(expit((entry[end] - 1000.0) * np.log(10.0) / 400.0)) for end in ("lower", "upper")]
            assert [entry["win_probability_lower"], entry["win_probability_upper"]] == pytest.approx(ends)
            assert ends[0] < entry["win_probability"] < ends[1]
            text = (f"{100 * entry['win_probability']:.1f}% [{100 * ends[0]:.1f}%, {100 * ends[1]:.1f}%]")
            row = next(line for line in done.stdout.splitlines() if f" {entry['model']} " in line)
            assert text in row, done.stdout
            assert f"| {text} |" in (out / "leaderboard.md").read_text()
            assert f">{text}<" in html


def test_style_controlled_p_win_and_coefficients_of_one_question_have_no_intervals_in_any_table(tmp_path):
    """Outcomes of one question have no intervals (`leaderboard._one_cluster`), yet style control gave P(win) and
    the coefficients bounds from replicates that are all the data: "P(win) 53.9% [53.9%, 53.9%]" and "length
    0.039 [0.039, 0.039]" beside "none: one question judged ... there are no intervals". They are null in
    leaderboard.json, and the terminal, leaderboard.md and the report show the estimates alone, as the ratings."""
    rng = np.random.default_rng(11)
    rows = [{"question_id": "q1", "model_a": model, "model_b": "base-3b", "score_a": float(rng.random() < p),
             **{f"{name}_{side}": int(rng.integers(1, 600 if name == "tokens" else 6))
                for name in ("tokens", "headers", "lists", "bold") for side in "ab"}}
            for _ in range(30) for model, p in (("mid-8b", 0.6), ("small-1b", 0.35))]
    path = tmp_path / "one.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = tmp_path / "board"
    done = subprocess.run([sys.executable, "-m", "judgebench.cli", "leaderboard", "--outcomes", str(path),
                           "--baseline", "base-3b", "--style-control", "--rounds", "50", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    board = json.loads((out / "leaderboard.json").read_text())
    assert {(entry["lower"], entry["win_probability_lower"], entry["win_probability_upper"])
            for entry in board["models"]} == {(None, None, None)}
    coefficients = board["meta"]["style_coefficients"]
    assert {(c["lower"], c["upper"]) for c in coefficients.values()} == {(None, None)}
    reported = subprocess.run([sys.executable, "-m", "judgebench.cli", "report", "--results", str(out), "--out",
                               str(out / "report.html")], capture_output=True, text=True, timeout=120)
    assert reported.returncode == 0, reported.stderr
    shown = "; ".join(f"{name} {c['coefficient']:.3f}" for name, c in coefficients.items())
    line = f"each style difference (0 = no effect), no intervals: {shown}."
    for text in (done.stdout, (out / "leaderboard.md").read_text(), (out / "report.html").read_text()):
        text = " ".join(text.replace("\\_", "_").split())  # (leaderboard.md escapes underscores)
        assert line in text and "in brackets its 95% interval" not in text
        assert not any(f"{100 * entry['win_probability']:.1f}% [" in text for entry in board["models"])
    mid = next(entry for entry in board["models"] if entry["model"] == "mid-8b")
    assert f"| {100 * mid['win_probability']:.1f}% |" in (out / "leaderboard.md").read_text()


def test_style_control_whose_feature_separates_every_verdict_names_the_feature(tmp_path):
    """Every model won and lost, but bold text appears in three answers of mid-8b, all of which lost: the bold
    coefficient has no finite fit on the data itself. The error named no feature ("a feature that tells every
    winner's answer from the loser's") and asked for games "so that every model wins and loses some", which they
    do; it names bold_density and the flag that rates the outcomes, and that flag does."""
    path = tmp_path / "bold.csv"
    with_bold({0: 0.0, 1: 0.0, 2: 0.0}).to_csv(path, index=False)
    command = [sys.executable, "-m", "judgebench.cli", "leaderboard", "--outcomes", str(path), "--baseline", "base-3b",
               "--rounds", "50", "-q"]
    done = subprocess.run([*command, "--style-control"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert " ".join(done.stderr.split()) == (
        "error: style control has no finite fit here: the style features explain the verdicts exactly (bold_density "
        "tells every winner's answer from the loser's where it is not zero); rate without style control "
        "(--no-style-control), or judge more games with answers that have those features")
    off = subprocess.run([*command, "--style-control", "--no-style-control"], capture_output=True, text=True,
                         timeout=120)
    assert off.returncode == 0, off.stderr

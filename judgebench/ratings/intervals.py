"""Confidence intervals for ratings: cluster bootstrap, per-judgment bootstrap and sandwich; ranks.

- Question bootstrap (default; Efron & Tibshirani 1993, ch. 6; the cluster bootstrap of Davison &
  Hinkley 1997, section 3.8): questions are drawn with replacement, because the two games of a pair and
  all pairs of one question share the question and are not independent. Each replicate's sufficient
  statistics are one matrix product ``weights (R x Q) @ per-question statistics (Q x S)`` and all
  replicates are fitted together (`bradley_terry.fit_replicates`); a replicate without finite
  maximum-likelihood ratings (a model, or a group, that won or lost all its comparisons in it, or a model
  without a game in it) is found exactly from its win graph and fitted with the weak ridge of the point estimate.
- Per-judgment bootstrap: outcomes drawn with replacement as a multinomial over unique outcomes (the
  FastChat/arena-hard convention); it treats outcomes as independent and under-covers when questions
  cluster, which the test suite demonstrates.
- Sandwich (Huber 1967; White 1980; cluster-robust form of Liang & Zeger 1986): covariance
  ``H^-1 (sum_c s_c s_c^T) H^-1 * C / (C - 1)`` from the information H and the per-cluster score
  contributions s_c, with a normal interval.

Intervals are percentile intervals (linear interpolation between order statistics) at the stated
confidence level; sandwich intervals use Student's t with C - 1 degrees of freedom for C clusters, the
usual small-sample correction of cluster-robust inference (Cameron & Miller 2015, J. Human Resources 50:317,
section VI), so that a study with few questions is not given normal-quantile intervals.

Ranks and separability are decided from pairwise rating DIFFERENCES, never from two marginal intervals:
model i is significantly better than model j when the interval of rating_i - rating_j (percentile interval of
the bootstrap replicates' differences, or estimate -/+ quantile * standard error from the covariance) lies
above zero. Rank = 1 + the number of models significantly better; separability = the share of model pairs
in which one model is significantly better. Differences do not change when every rating moves by the same
amount, so ranks and separability are the same under any anchor or centring. (Comparing marginal intervals
is not: an anchor's interval has zero width by definition and every other interval then carries the anchor's
variance.) `rank_shares` describes the bootstrap's spread of the plain order (the report's rank distribution).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from judgebench.errors import ConfigError
from judgebench.ratings.bradley_terry import (
    BradleyTerryFit,
    Layout,
    PairDesign,
    Separation,
    Stats,
    expected_score,
    product,
    replicate_separation,
    win_edges,
)
from judgebench.ratings.counts import CodedOutcomes, RowPairs, question_counts, question_entries, tie_mass

RESAMPLE_UNITS = ("questions", "judgments")
_DENSE_DESIGN_LIMIT = 48_000_000  # questions x statistics entries built at once
_FLOAT32_FROM = 4_000_000  # design entries from which single precision sums are used (exact for counts)
_REPLICATE_BLOCK_CELLS = 4_000_000  # replicate x question weights drawn or converted at once
_SPARSE_GAIN = 20  # a design this many times larger dense than its entries is multiplied as a sparse matrix


MAX_ROUNDS = 100_000
"""The most bootstrap replicates a fit draws: each holds a weight per question (or judgment) and a rating per
model, so that 10^11 replicates asked for petabytes and failed only after the run had judged every game; 1,000
is usual, and 100,000 puts a 95% interval's ends within a few hundredths of a standard error of where more
would."""


def check_rounds(rounds: int) -> int:
    """Bootstrap replicates: at least 2, at most `MAX_ROUNDS`."""
    if not 2 <= rounds <= MAX_ROUNDS:
        raise ConfigError(f"bootstrap rounds must be 2 to {MAX_ROUNDS:,} (1000 is usual), got {rounds}")
    return rounds


def question_weights_bytes(rounds: int, n_questions: int) -> int:
    """What a question bootstrap's weights take (`question_weights`: 4 bytes per question and round), the most
    of what it holds at once."""
    return 4 * rounds * n_questions


def check_confidence(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"confidence must be strictly between 0 and 1 (for example 0.95), got {confidence}")
    return float(confidence)


def check_resample(resample: str) -> str:
    if resample not in RESAMPLE_UNITS:
        raise ConfigError(f"unknown resampling unit '{resample}' (expected one of {', '.join(RESAMPLE_UNITS)})")
    return resample


# --- bootstrap replicate statistics --------------------------------------------------------------------


def question_weights(n_questions: int, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """(R, Q) multinomial counts: how often each question is drawn in each replicate (Q draws each).

    32-bit counts, drawn a block of replicates at a time (the same draws as all at once), so that the matrix is
    the only thing of its size (`question_weights_bytes`): 100,000 replicates of 2,000 questions take 0.8 GB.
    """
    weights = np.empty((rounds, n_questions), dtype=np.int32)
    block = max(1, _REPLICATE_BLOCK_CELLS // max(1, n_questions))
    for lo in range(0, rounds, block):
        n = min(rounds, lo + block) - lo
        draws = rng.integers(0, n_questions, size=(n, n_questions))
        draws += (np.arange(n) * n_questions)[:, None]
        weights[lo:lo + n] = np.bincount(draws.ravel(), minlength=n * n_questions).reshape(n, n_questions)
    return weights


def weighted_sums(weights: np.ndarray, statistics: np.ndarray) -> np.ndarray:
    """``weights (R, Q) @ statistics (Q, S)`` in the statistics' precision, a block of replicates at a time, so
    that the integer weights are never copied whole as floating point."""
    total = np.empty((len(weights), statistics.shape[1]), dtype=statistics.dtype)
    block = max(1, _REPLICATE_BLOCK_CELLS // max(1, weights.shape[1]))
    for lo in range(0, len(weights), block):
        total[lo:lo + block] = product(weights[lo:lo + block].astype(statistics.dtype), statistics)
    return total


def _stats_from_columns(matrix: np.ndarray, n_pairs: int, layout: Layout, separation: Separation) -> Stats:
    m = layout.n_models
    extra = n_pairs + m
    first = matrix[:, extra] if layout.position else np.zeros(len(matrix))
    ties = matrix[:, extra + int(layout.position)] if layout.davidson else np.zeros(len(matrix))
    return Stats(games=matrix[:, :n_pairs], model_score=matrix[:, n_pairs:extra], first_score=first, ties=ties,
                 separation=separation)


def question_separation(coded: CodedOutcomes, weights: np.ndarray, reference: int | None = None) -> Separation:
    """Which question-bootstrap replicates (weights: (R, Q) draws) have no finite maximum-likelihood ratings: a
    replicate has the win-graph edges of the questions it draws (`bradley_terry.replicate_separation`, which
    also says which models' ratings would be infinitely far from the `reference` model's)."""
    index, edge = win_edges(coded.model_a, coded.model_b, coded.weight * coded.score_a, coded.weight, coded.n_models)
    return replicate_separation(weights, coded.question[index], edge, coded.n_models, reference)


def question_replicate_stats(coded: CodedOutcomes, pairs: RowPairs, layout: Layout, weights: np.ndarray,
                             reference: int | None = None) -> Stats:
    """Sufficient statistics of every replicate: ``weights (R x Q) @ per-question statistics (Q x S)``.

    Single precision above a few million design entries: the sums are then exact for counts and half
    counts (up to 2**24) and the matrix product runs twice as fast. A design with few rows per question and
    many pairs (Chatbot Arena's battles, each its own question: one pair of thousands per row) is held sparse
    (`sparse_weighted_sums`), where the dense product would multiply mostly zeros. The statistics carry which
    replicates have no finite maximum-likelihood ratings (`question_separation`; `reference`: the model ratings
    are measured from), for `bradley_terry.fit_replicates`.
    """
    separation = question_separation(coded, weights, reference)
    n_q, n_pairs = coded.n_questions, len(pairs.first)
    extra = {"first_score": layout.position, "ties": layout.davidson}
    width = n_pairs + layout.n_models + sum(extra.values())
    dtype = np.float32 if n_q * width >= _FLOAT32_FROM else np.float64
    if len(coded.question) * (3 + sum(extra.values())) * _SPARSE_GAIN < n_q * width:
        entries = question_entries(coded, pairs, slice(None), **extra)
        return _stats_from_columns(sparse_weighted_sums(weights, entries, width, dtype), n_pairs, layout, separation)
    if n_q * width <= _DENSE_DESIGN_LIMIT:
        design = question_counts(coded, pairs, np.arange(n_q), slice(None), dtype=dtype, **extra)
        return _stats_from_columns(weighted_sums(weights, design), n_pairs, layout, separation)
    order = np.argsort(coded.question, kind="stable")
    block = max(1, _DENSE_DESIGN_LIMIT // width)
    bounds = np.searchsorted(coded.question[order], np.arange(0, n_q + block, block))
    total = np.zeros((len(weights), width), dtype=dtype)
    for b, start in enumerate(range(0, n_q, block)):
        stop = min(n_q, start + block)
        design = question_counts(coded, pairs, np.arange(start, stop), order[bounds[b]:bounds[b + 1]], dtype=dtype,
                                 **extra)
        total += weighted_sums(weights[:, start:stop], design)
    return _stats_from_columns(total, n_pairs, layout, separation)


def sparse_weighted_sums(weights: np.ndarray, entries: tuple[np.ndarray, np.ndarray, np.ndarray], width: int,
                         dtype: type) -> np.ndarray:
    """``weights (R, Q) @ design (Q, width)`` for a design given as its (question, column, value) entries
    (`counts.question_entries`), held as a sparse matrix: a block of replicates costs entries x replicates, not
    questions x width x replicates."""
    from scipy import sparse  # type: ignore[import-untyped]

    question, column, value = entries
    transposed = sparse.csr_matrix((value, (column, question)), shape=(width, weights.shape[1])).astype(dtype)
    total: np.ndarray = np.empty((len(weights), width), dtype=dtype)
    block = max(1, _REPLICATE_BLOCK_CELLS // max(1, weights.shape[1]))
    for lo in range(0, len(weights), block):
        total[lo:lo + block] = (transposed @ weights[lo:lo + block].T.astype(dtype)).T
    return total


def judgment_replicate_stats(coded: CodedOutcomes, pairs: RowPairs, layout: Layout, design: PairDesign,
                             rounds: int, rng: np.random.Generator, reference: int | None = None) -> Stats:
    """Replicates that draw single outcomes: a multinomial over unique (pair, score, weight) outcomes; with which
    replicates have no finite maximum-likelihood ratings, as `question_replicate_stats`."""
    first_score = pairs.first_score(coded)
    order = np.lexsort((coded.weight, first_score, pairs.pair))
    pair, score, weight = pairs.pair[order], first_score[order], coded.weight[order]
    new = np.ones(len(pair), dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (score[1:] != score[:-1]) | (weight[1:] != weight[:-1])
    starts = np.flatnonzero(new)
    multiplicity = np.diff(np.append(starts, len(pair)))
    pair, score, weight = pair[starts], score[starts], weight[starts]
    pair_starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    columns = pair[pair_starts]
    n_pairs = len(pairs.first)
    games = np.zeros((rounds, n_pairs))
    first = np.zeros((rounds, n_pairs))
    ties = np.zeros(rounds)
    probabilities = multiplicity / multiplicity.sum()
    chunk = max(1, 20_000_000 // len(pair))
    for lo in range(0, rounds, chunk):
        hi = min(rounds, lo + chunk)
        draws = rng.multinomial(len(coded), probabilities, size=hi - lo).astype(np.float64)
        games[lo:hi, columns] = np.add.reduceat(draws * weight, pair_starts, axis=1)
        first[lo:hi, columns] = np.add.reduceat(draws * (weight * score), pair_starts, axis=1)
        if layout.davidson:
            ties[lo:hi] = draws @ (weight * tie_mass(score))
    model_score = design.to_models(first) + design.to_second(games)
    # a replicate has the edge first -> second of a pair when the first side scored (unit: the pair), the reverse
    # when it lost (unit: n_pairs + the pair); only the edges the data has (an outcome that scores that way), so
    # that the screen's spanning trees never rely on an edge no replicate can keep
    n_models = layout.n_models
    index, edge = win_edges(pairs.first[pair], pairs.second[pair], weight * score, weight, n_models)
    lost = edge != pairs.first[pair[index]] * n_models + pairs.second[pair[index]]
    separation = replicate_separation(np.hstack([first > 0, games - first > 0]), pair[index] + lost * n_pairs, edge,
                                      n_models, reference, support=multiplicity[index])
    return Stats(games=games, model_score=model_score, first_score=first.sum(axis=1), ties=ties,
                 separation=separation)


# --- sandwich --------------------------------------------------------------------------------------------


def score_contributions(coded: CodedOutcomes, pairs: RowPairs, fit: BradleyTerryFit, design: PairDesign,
                        clusters: np.ndarray, n_clusters: int) -> np.ndarray:
    """(C, K) per-cluster score (gradient) contributions of the log-likelihood at the fitted parameters."""
    layout = fit.layout
    theta = fit.params[None, :]
    beta = theta[:, : layout.n_models]
    d_pair = design.differences(beta)[0]
    if fit.position is not None:  # fitted or held
        d_pair = d_pair + fit.position
    nu = fit.tie_ratio
    d = d_pair[pairs.pair]
    residual = coded.weight * (pairs.first_score(coded) - expected_score(d, nu))
    k = layout.size
    cols = [pairs.first[pairs.pair], pairs.second[pairs.pair]]
    vals = [residual, -residual]
    if layout.position:
        cols.append(np.full(len(d), layout.gamma))
        vals.append(residual)
    if layout.davidson:
        u = np.exp(-0.5 * np.abs(d))
        cols.append(np.full(len(d), layout.log_nu))
        vals.append(coded.weight * (tie_mass(coded.score_a) - nu * u / (1.0 + u * u + nu * u)))
    index = np.tile(clusters, len(cols)) * k + np.concatenate(cols)
    return np.bincount(index, np.concatenate(vals), n_clusters * k).reshape(n_clusters, k)


def sandwich_covariance(inverse: np.ndarray, contributions: np.ndarray) -> np.ndarray:
    """Cluster-robust covariance ``H^-1 (sum_c s_c s_c^T) H^-1 * C / (C - 1)`` of the fitted parameters.

    Parameters
    ----------
    inverse:
        (K, K) inverse information H^-1 at the fit (a fit's `inverse`).
    contributions:
        (C, K) score (gradient) contributions s_c of each of the C clusters, at the same fit: for plain
        Bradley-Terry `score_contributions`, for style control `style.sandwich_covariance` computes its own.

    Raises
    ------
    ConfigError
        With fewer than two clusters, where the C / (C - 1) correction is undefined.
    """
    n_clusters = len(contributions)
    if n_clusters < 2:
        raise ConfigError("a sandwich interval needs at least two clusters (questions)")
    meat = contributions.T @ contributions * (n_clusters / (n_clusters - 1))
    return inverse @ meat @ inverse


# --- intervals, ranks, separability -----------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """Point estimates with lower and upper bounds at a stated confidence level."""

    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    confidence: float
    method: str


def percentile_interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed percentile interval of bootstrap samples (axis 0 = replicates)."""
    tail = 100.0 * (1.0 - confidence) / 2.0
    lower, upper = np.percentile(samples, [tail, 100.0 - tail], axis=0)
    return lower, upper


def normal_quantile(confidence: float) -> float:
    """Two-sided standard normal quantile, e.g. 1.959964 for 0.95."""
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def t_quantile(confidence: float, degrees_of_freedom: float) -> float:
    """Two-sided Student-t quantile with the given degrees of freedom (normal when infinite)."""
    return float(t_quantiles(confidence, np.asarray(degrees_of_freedom, dtype=float)))


def t_quantiles(confidence: float, degrees_of_freedom: np.ndarray) -> np.ndarray:
    """`t_quantile` of each entry of `degrees_of_freedom` (an array of any shape; infinite entries: normal)."""
    from scipy.special import stdtrit  # the t quantile; scipy.stats would add half a second to every command's start

    finite = np.isfinite(degrees_of_freedom)
    quantile = np.full(np.shape(degrees_of_freedom), normal_quantile(confidence))
    quantile[finite] = stdtrit(degrees_of_freedom[finite], 0.5 + confidence / 2.0)
    return quantile


def normal_interval(estimate: np.ndarray | float, standard_error: np.ndarray | float, confidence: float,
                    degrees_of_freedom: np.ndarray | float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """estimate -/+ quantile * standard_error, the quantile normal or Student-t (`degrees_of_freedom`: one
    value, or one per estimate)."""
    z = t_quantiles(confidence, np.asarray(degrees_of_freedom, dtype=float))
    centre, half_width = np.asarray(estimate, dtype=float), z * np.asarray(standard_error, dtype=float)
    return centre - half_width, centre + half_width


COLLAPSED = 1e-6
"""An interval narrower than this share of its model-based interval has collapsed to a point (`uncollapsed`):
rounding noise around an estimate no resample or cluster moved, not a measurement."""


def uncollapsed(lower: float, upper: float, estimate: float, inverse_information: float,
                confidence: float) -> tuple[float, float, bool]:
    """(lower, upper, replaced) for a fitted parameter whose resampled or clustered interval is (lower, upper).

    When every cluster contributes exactly what the fit expects (a judge whose two orders always agree, for the
    position effect; one that always picks the first answer, for the length effect), resampling and clustering
    see no variation and the interval has zero width (`COLLAPSED`), although a finite sample never pins the
    parameter down. The model-based Wald interval (`inverse_information`: the parameter's diagonal entry of the
    inverse observed information, games taken as independent) replaces it then, and `replaced` is True so that
    the caller can say so.
    """
    model_lower, model_upper = (float(end) for end in normal_interval(estimate, np.sqrt(max(inverse_information, 0.0)),
                                                                      confidence))
    if upper - lower <= COLLAPSED * (model_upper - model_lower):
        return model_lower, model_upper, True
    return lower, upper, False


_DIFFERENCE_CELLS = 4_000_000  # replicates x models x models entries of differences handled at once


def rounding_noise(values: np.ndarray) -> float:
    """How far apart ratings computed alike from the same data may come out in floating point: a difference this
    small is no difference. Two models with identical games (both lost every game to the baseline) got point
    ratings equal to the last digit and replicates a hair apart, always the same way, and so were ranked apart
    as "significantly" different."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return 0.0
    spread, level = float(finite.max() - finite.min()), float(np.abs(finite).max())
    return 1e-9 * spread + 8 * float(np.finfo(float).eps) * level  # relative to the ratings' spread, not level


def better_from_samples(samples: np.ndarray, confidence: float) -> np.ndarray:
    """(M, M) booleans: entry (i, j) is True when the percentile interval of samples_i - samples_j lies above 0
    (above `rounding_noise`).

    samples: (R, M) bootstrap replicates of the ratings (any per-replicate centring; it cancels). Replicates in
    which either model has no value (NaN) are left out of that pair's interval.

    Equivalent to `percentile_interval` of every difference (linear interpolation at position h = (R - 1) *
    tail between the order statistics x_k and x_k+1, k = floor(h)), without sorting R x M x M differences: with
    c = the number of differences <= 0, x_k > 0 exactly when c <= k, and x_k+1 <= 0 when c >= k + 2; only pairs
    with c = k + 1 need the two order statistics around zero, which are the largest difference <= 0 and the
    smallest > 0.
    """
    samples = np.asarray(samples, dtype=float)
    rounds, m = samples.shape
    if np.isnan(samples).any():
        return _better_from_samples_with_gaps(samples, confidence)
    noise = rounding_noise(samples)
    h = (rounds - 1) * (1.0 - confidence) / 2.0
    k = int(math.floor(h))
    fraction = h - k
    by_model = np.ascontiguousarray(samples.T)
    # a - b <= 0 (within the noise) exactly when a <= b + noise; one row of counts at a time stays in cache
    raised = by_model + noise
    at_most_zero = np.array([np.count_nonzero(row <= raised, axis=1) for row in by_model])
    better = at_most_zero <= k
    first, second = np.nonzero(at_most_zero == k + 1)
    if len(first):
        differences = samples[:, first] - samples[:, second]
        below = np.where(differences <= noise, differences, -np.inf).max(axis=0)
        above = np.where(differences > noise, differences, np.inf).min(axis=0)
        better[first, second] = below + fraction * (above - below) > noise
    np.fill_diagonal(better, False)
    return better


def _better_from_samples_with_gaps(samples: np.ndarray, confidence: float) -> np.ndarray:
    """`better_from_samples` when some replicates lack a model (NaN): per-pair percentiles of what is there."""
    rounds, m = samples.shape
    tail = 100.0 * (1.0 - confidence) / 2.0
    noise = rounding_noise(samples)
    better = np.zeros((m, m), dtype=bool)
    block = max(1, _DIFFERENCE_CELLS // max(1, rounds * m))
    for start in range(0, m, block):
        rows = slice(start, min(m, start + block))
        with warnings.catch_warnings():  # a pair without any replicate stays "not better" (NaN > 0)
            warnings.simplefilter("ignore", RuntimeWarning)
            better[rows] = np.nanpercentile(samples[:, rows, None] - samples[:, None, :], tail, axis=0) > noise
    np.fill_diagonal(better, False)
    return better


def better_from_covariance(estimate: np.ndarray, covariance: np.ndarray, confidence: float,
                           degrees_of_freedom: np.ndarray | float = np.inf) -> np.ndarray:
    """(M, M) booleans: (i, j) is True when estimate_i - estimate_j - q * se(difference) > 0 (above
    `rounding_noise`).

    covariance: (M, M) covariance of the ratings (any centring: the variance of a difference is
    c_ii + c_jj - 2 c_ij, unchanged by adding the same random shift to every rating); q is the normal or
    Student-t quantile of `normal_interval` (`degrees_of_freedom`: one value, or an (M, M) array, one per pair).
    """
    estimate = np.asarray(estimate, dtype=float)
    diagonal = np.diag(covariance)
    variance = diagonal[:, None] + diagonal[None, :] - 2.0 * covariance
    se = np.sqrt(np.maximum(variance, 0.0))
    quantile = t_quantiles(confidence, np.asarray(degrees_of_freedom, dtype=float))
    with np.errstate(invalid="ignore"):
        better = estimate[:, None] - estimate[None, :] - quantile * se > rounding_noise(estimate)
    np.fill_diagonal(better, False)
    return better


def ranks(better: np.ndarray, defined: np.ndarray) -> np.ndarray:
    """Rank = 1 + the number of models significantly better (rows of `better`); NaN where not `defined`."""
    better = np.asarray(better, dtype=bool) & defined[:, None] & defined[None, :]
    rank = 1.0 + better.sum(axis=0)
    return np.where(defined, rank, np.nan)


def rank_shares(samples: np.ndarray) -> np.ndarray:
    """(M, M) shares[i, r]: the share of bootstrap replicates in which model i had the (r + 1)-th highest rating.

    `samples` holds the (R, M) replicate ratings. Each replicate's ratings are simply ordered (1 = highest), unlike
    `ranks`, which counts significantly better models: the spread of a model's row shows how settled its
    place is, and is what the report's rank-distribution plot draws. Models whose ratings in a replicate are
    equal (within `rounding_noise`) share the places they hold together: each of k tied models at places
    r .. r + k - 1 counts 1/k at each of them (ordering ties by list position drew three equal models at ranks
    1, 2 and 3 each for certain, beside a table ranking all three first). Models without a rating in a
    replicate (NaN) share its last places.
    """
    samples = np.asarray(samples, dtype=float)
    rounds, m = samples.shape
    if not rounds or not m:
        return np.zeros((m, m))
    order = np.argsort(-samples, axis=1, kind="stable")  # NaN last
    ordered = np.take_along_axis(samples, order, axis=1)
    with np.errstate(invalid="ignore"):
        tied = (ordered[:, :-1] - ordered[:, 1:] <= rounding_noise(samples)) | (
            np.isnan(ordered[:, :-1]) & np.isnan(ordered[:, 1:]))
    place = np.broadcast_to(np.arange(m), (rounds, m))
    # each place's tie group runs from `first` to `last` (places in the ordered replicate)
    starts = np.concatenate([np.ones((rounds, 1), dtype=bool), ~tied], axis=1)
    ends = np.concatenate([~tied, np.ones((rounds, 1), dtype=bool)], axis=1)
    first = np.maximum.accumulate(np.where(starts, place, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, place, m - 1)[:, ::-1], axis=1)[:, ::-1]
    share = 1.0 / (last - first + 1)
    # add `share` to the model's places first .. last: +share at first, -share after last, then a running sum
    steps = np.bincount((order * (m + 1) + first).ravel(), weights=share.ravel(), minlength=m * (m + 1)) - \
        np.bincount((order * (m + 1) + last + 1).ravel(), weights=share.ravel(), minlength=m * (m + 1))
    return np.clip(np.cumsum(steps.reshape(m, m + 1), axis=1)[:, :m] / rounds, 0.0, 1.0)


def separability(better: np.ndarray, defined: np.ndarray) -> float:
    """Share of pairs of defined models in which one is significantly better than the other (NaN below 2)."""
    index = np.flatnonzero(defined)
    if len(index) < 2:
        return float("nan")
    sub = np.asarray(better, dtype=bool)[np.ix_(index, index)]
    apart = sub | sub.T
    return float(apart[np.triu_indices(len(index), 1)].mean())

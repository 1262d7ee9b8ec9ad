"""Win rates against a baseline from soft preferences, AlpacaEval style, and length-controlled win rates.

Definitions follow AlpacaEval 2.0 (Dubois et al., "Length-Controlled AlpacaEval: A Simple Way to Debias
Automatic Evaluators", COLM 2024; tatsu-lab/alpaca_eval), with rates as fractions in [0, 1] rather than percent:

- win rate: the mean of the model's soft score against the baseline per question (1 = model better, 0.5 tie);
  weighted by the outcomes' weights when they are given (AlpacaEval's are all 1);
- standard error: the sample standard deviation of those scores (n - 1 denominator) over sqrt(n), and with
  weights that of the weighted mean, which is the same with weights all 1 (see `win_rate_vs_baseline`); 0 where
  the scores do not vary (every question won, lost, tied or given one grade), as AlpacaEval reports it, which the
  leaderboard leaves out for Wilson's interval (`leaderboard._unvarying_win_rates`);
- n_wins / n_wins_base / n_draws: scores above / below / exactly at 0.5; n_total: scores counted;
- discrete win rate: (n_wins + n_draws / 2) / n_total, each question rounded to a win, loss or draw (with
  weights, the weighted mean of the rounded scores).

Length control applies AlpacaEval's published GLM (`length_controlled_win_rate`,
`length_controlled_standard_error`): per model, logit P(model beats baseline on q) = length term +
difficulty * d_q + not-gamed term, with weights fitted by AlpacaEval on its own annotations and on
length-gamed variants of the baseline (no intercept, cross-validated L1). judgebench does not refit that GLM:
a faithful fit needs AlpacaEval's gamed-baseline annotations, so without published weights no length-controlled
figure is reported (judgebench's own runs control length with style control, `ratings.style`).

Outcomes carry weights (a template that counts `[[A>>B]]` three times, arena-hard-auto's rule, or an outcomes
file's `weight` column): every win rate here is the weighted mean of the model's scores, sum w s / sum w, which
with one opponent is also what a Bradley-Terry fit gives, and with weights all 1 is AlpacaEval's plain mean.
Win-rate intervals (`win_rate_samples`, `win_rate_covariance`) resample or cluster the outcomes against the
baseline exactly like the Bradley-Terry intervals (`ratings.intervals`), the ratio sum w s / sum w recomputed
in each replicate or linearised for the sandwich.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit


def _unit_weights(score: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """The outcomes' weights as floats, or 1 for each score when there are none."""
    return np.ones(len(score)) if weight is None else np.asarray(weight, dtype="float64")


def win_rate_vs_baseline(scores: np.ndarray, weights: np.ndarray | None = None,
                         clusters: np.ndarray | None = None) -> dict:
    """AlpacaEval's head-to-head summary of a model against the baseline from per-question soft scores.

    scores: the model's score against the baseline per question, in [0, 1] (1 = model better, 0.5 tie);
    NaN entries (questions without a verdict) are left out, as AlpacaEval leaves out missing preferences.
    weights: how much each score counts (default 1 each, AlpacaEval's case): the win rate is sum w s / sum w,
    the discrete win rate the same weighted mean of the scores rounded to 1, 0.5 or 0, and the standard error
    that of the weighted mean as a ratio estimator, sqrt(n / (n - 1) * sum (w (s - rate))^2) / sum w; with
    weights all 1 these are AlpacaEval's mean, (n_wins + n_draws / 2) / n_total and sample standard deviation
    over sqrt(n). With `clusters` (each score's question) the standard error is clustered by question: the
    residuals w (s - rate) are summed per question and n counts questions (Liang & Zeger 1986), so that several
    scores of one question (several annotators, or both orders kept apart) do not count as independent; with one
    score per question it is the same figure. The counts stay counts of scores.
    Returns win_rate, standard_error, discrete_win_rate (fractions in [0, 1]), n_wins, n_wins_base, n_draws,
    n_total. The standard error is NaN with fewer than two scores of positive weight (n counts those). Raises
    ValueError for scores outside
    [0, 1] or when no score is left.
    """
    values = np.asarray(scores, dtype="float64").ravel()
    kept = ~np.isnan(values)
    values = values[kept]
    if values.size == 0:
        raise ValueError("no scores to compute a win rate from")
    if (values < 0).any() or (values > 1).any():
        raise ValueError("scores must lie in [0, 1] (1 = model better than the baseline, 0.5 tie)")
    n_total = int(values.size)
    n_wins, n_wins_base = int((values > 0.5).sum()), int((values < 0.5).sum())
    n_draws = n_total - n_wins - n_wins_base
    w = _unit_weights(values, None if weights is None else np.asarray(weights, dtype="float64").ravel()[kept])
    total = w.sum()
    group = (np.arange(values.size) if clusters is None
             else np.unique(np.asarray(clusters).ravel()[kept], return_inverse=True)[1].ravel())
    counted = np.unique(group[w > 0]).size  # scores of weight 0 carry no information: they do not make n
    with np.errstate(invalid="ignore", divide="ignore"):  # every weight 0: no rate (NaN)
        rate = float(w @ values / total)
        per_group = np.bincount(group, w * (values - rate))
        spread = np.sum(per_group ** 2) * counted / (counted - 1) if counted > 1 else np.nan
        discrete = np.where(values > 0.5, 1.0, np.where(values < 0.5, 0.0, 0.5))
        standard_error, discrete_rate = float(np.sqrt(spread) / total), float(w @ discrete / total)
    return {
        "win_rate": rate,
        "standard_error": standard_error,
        "discrete_win_rate": discrete_rate,
        "n_wins": n_wins,
        "n_wins_base": n_wins_base,
        "n_draws": n_draws,
        "n_total": n_total,
    }


# --------------------------------------------------------------------------------------------------------------
# Length-controlled win rate.


@dataclass(frozen=True)
class LengthGLM:
    """Coefficients of the length-controlled GLM for one model against the baseline (logit scale).

    length: coefficient of tanh(standardised length difference, model minus baseline); positive means the
    judge favours the longer answer. difficulty: coefficient of the instruction difficulty. intercept: the
    model's advantage at equal length and zero difficulty. AlpacaEval publishes per-model weights whose
    differences to the baseline's weights give these (see `judgebench.datasets.judgments.load_alpaca_eval_lc_weights`).
    """

    length: float = 0.0
    difficulty: float = 0.0
    intercept: float = 0.0

    @classmethod
    def of(cls, weights: LengthGLM | Mapping[str, float] | pd.Series) -> LengthGLM:
        if isinstance(weights, LengthGLM):
            return weights
        return cls(**{name: float(weights[name]) for name in ("length", "difficulty", "intercept")})

    def __sub__(self, other: LengthGLM) -> LengthGLM:
        return LengthGLM(self.length - other.length, self.difficulty - other.difficulty,
                         self.intercept - other.intercept)


def length_controlled_predictions(weights: LengthGLM | Mapping[str, float] | pd.Series,
                                  instruction_difficulty: np.ndarray | pd.Series,
                                  baseline_weights: LengthGLM | Mapping[str, float] | pd.Series | None = None
                                  ) -> np.ndarray:
    """AlpacaEval's per-instruction length-controlled preferences: logistic(intercept + difficulty * d_q).

    The length term is at zero: the preference the GLM predicts had the model's answer been as long as the
    baseline's (Dubois et al., 2024, section 3; alpaca_eval's `metrics/glm_winrate.py`). weights and
    baseline_weights: AlpacaEval's per-model weights (their difference is the model's GLM against the
    baseline; without baseline_weights the weights are taken as already relative). instruction_difficulty:
    d_q for each of the model's instructions.
    """
    glm = LengthGLM.of(weights)
    if baseline_weights is not None:
        glm = glm - LengthGLM.of(baseline_weights)
    difficulty = np.asarray(instruction_difficulty, dtype="float64")
    if difficulty.size == 0 or np.isnan(difficulty).any():
        raise ValueError("instruction difficulties must be given (no NaN) for every instruction")
    return np.asarray(expit(glm.intercept + glm.difficulty * difficulty))


def length_controlled_win_rate(weights: LengthGLM | Mapping[str, float] | pd.Series,
                               instruction_difficulty: np.ndarray | pd.Series,
                               baseline_weights: LengthGLM | Mapping[str, float] | pd.Series | None = None
                               ) -> float:
    """AlpacaEval's length-controlled win rate (fraction in [0, 1]): the mean of
    `length_controlled_predictions` over the instructions."""
    return float(length_controlled_predictions(weights, instruction_difficulty, baseline_weights).mean())


def length_controlled_standard_error(weights: LengthGLM | Mapping[str, float] | pd.Series,
                                     instruction_difficulty: np.ndarray | pd.Series,
                                     baseline_weights: LengthGLM | Mapping[str, float] | pd.Series | None = None
                                     ) -> float:
    """AlpacaEval's `lc_standard_error` as a fraction: the standard error of the mean (n - 1 denominator) of
    the per-instruction predictions. It treats the GLM's weights as known, as AlpacaEval does; 0 for the
    baseline itself (all predictions 0.5)."""
    predicted = length_controlled_predictions(weights, instruction_difficulty, baseline_weights)
    if predicted.size < 2:
        return float("nan")
    return float(predicted.std(ddof=1) / np.sqrt(predicted.size))


# --------------------------------------------------------------------------------------------------------------
# Intervals of win rates against the baseline.


def win_rates(model: np.ndarray, score: np.ndarray, n_models: int, weight: np.ndarray | None = None) -> np.ndarray:
    """(M,) weighted mean score of each model's outcomes against the baseline, sum w s / sum w (weights 1 when
    `weight` is None; NaN for models without any outcome, or whose outcomes all weigh 0)."""
    w = _unit_weights(score, weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(model, w * score, n_models) / np.bincount(model, w, n_models)


def win_rate_samples(model: np.ndarray, score: np.ndarray, question: np.ndarray, n_models: int,
                     n_questions: int, resample: str, rounds: int, rng: np.random.Generator,
                     weight: np.ndarray | None = None) -> np.ndarray:
    """(R, M) bootstrap replicates of the (weighted) win rates, `win_rates` of each resample: questions drawn
    with replacement (`resample` "questions", `intervals.question_weights`), or single outcomes as a multinomial
    over the distinct (model, score, weight) outcomes ("judgments"). A model absent from a replicate gets NaN
    there."""
    from judgebench.ratings.intervals import question_weights, weighted_sums

    m, w = n_models, _unit_weights(score, weight)
    num: np.ndarray
    den: np.ndarray
    if resample == "questions":
        cells = question * m + model
        score_sums = np.bincount(cells, w * score, n_questions * m).reshape(n_questions, m)
        weight_sums = np.bincount(cells, w, n_questions * m).reshape(n_questions, m)
        sums = weighted_sums(question_weights(n_questions, rounds, rng), np.hstack([score_sums, weight_sums]))
        num, den = sums[:, :m], sums[:, m:]
    else:
        units, multiplicity = np.unique(np.column_stack([model, score, w]), axis=0, return_counts=True)
        draws = rng.multinomial(len(model), multiplicity / len(model), size=rounds).astype(float)
        weighted = np.zeros((len(units), m))  # each distinct outcome's weight, in its model's column
        weighted[np.arange(len(units)), units[:, 0].astype(int)] = units[:, 2]
        num, den = draws @ (weighted * units[:, 1:2]), draws @ weighted
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def win_rate_covariance(model: np.ndarray, score: np.ndarray, clusters: np.ndarray, n_clusters: int,
                        n_models: int, weight: np.ndarray | None = None) -> np.ndarray:
    """(M, M) cluster-robust covariance of the (weighted) win rates: the sandwich of a ratio of sums, sum w s /
    sum w, linearised (Liang & Zeger 1986; with weights 1, of a mean).

    Per cluster c and model i, U_ci = the sum of the model's weighted residuals w (score - win_rate_i); then
    cov(i, j) = sum_c U_ci U_cj * f_ij / (W_i W_j), W_i the model's total weight. Models share questions, so
    their win rates are correlated and a difference needs the off-diagonal terms. f_ij is the small-sample factor
    G / (G - 1) of each model's own clusters (`clusters_per_model`: G_i), sqrt(f_i f_j) off the diagonal: the
    clusters where a model has no outcome add nothing to its sums, so the factor of all clusters (400 / 399 for a
    model judged on 20 of 400 questions) understated its variance, whose factor is 20 / 19.
    """
    w = _unit_weights(score, weight)
    estimate = win_rates(model, score, n_models, w)
    totals = np.bincount(model, w, n_models)
    residual = w * (score - estimate[model])
    per_cluster = np.bincount(clusters * n_models + model, residual, n_clusters * n_models)
    per_cluster = per_cluster.reshape(n_clusters, n_models)
    own = clusters_per_model(model, clusters, n_clusters, n_models, w)
    factor = np.sqrt(own / np.maximum(own - 1, 1))
    meat = per_cluster.T @ per_cluster * np.outer(factor, factor)
    with np.errstate(invalid="ignore", divide="ignore"):
        return meat / np.outer(totals, totals)


def clusters_per_model(model: np.ndarray, clusters: np.ndarray, n_clusters: int, n_models: int,
                       weight: np.ndarray | None = None) -> np.ndarray:
    """(M,) the number of clusters in which each model has an outcome of positive weight: the G of its win rate's
    clustered variance (`win_rate_covariance`) and of its t interval's G - 1 degrees of freedom."""
    w = _unit_weights(model, weight)
    present = np.zeros((n_clusters, n_models), dtype=bool)
    present[clusters[w > 0], model[w > 0]] = True
    return present.sum(axis=0)

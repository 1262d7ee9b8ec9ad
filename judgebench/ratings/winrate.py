"""Win rates against a baseline from soft preferences, AlpacaEval style, and length-controlled win rates.

Definitions follow AlpacaEval 2.0 (Dubois et al., "Length-Controlled AlpacaEval: A Simple Way to Debias
Automatic Evaluators", COLM 2024; tatsu-lab/alpaca_eval), with rates as fractions in [0, 1] rather than percent:

- win rate: the mean of the model's soft score against the baseline per question (1 = model better, 0.5 tie);
- standard error: the sample standard deviation of those scores (n - 1 denominator) over sqrt(n);
- n_wins / n_wins_base / n_draws: scores above / below / exactly at 0.5; n_total: scores counted;
- discrete win rate: (n_wins + n_draws / 2) / n_total, each question rounded to a win, loss or draw.

Length control applies AlpacaEval's published GLM (`length_controlled_win_rate`,
`length_controlled_standard_error`): per model, logit P(model beats baseline on q) = length term +
difficulty * d_q + not-gamed term, with weights fitted by AlpacaEval on its own annotations and on
length-gamed variants of the baseline (no intercept, cross-validated L1). judgebench does not refit that GLM:
a faithful fit needs AlpacaEval's gamed-baseline annotations, so without published weights no length-controlled
figure is reported (judgebench's own runs control length with style control, `ratings.style`).

Win-rate intervals (`win_rate_samples`, `win_rate_covariance`) resample or cluster the outcomes against the
baseline exactly like the Bradley-Terry intervals (`ratings.intervals`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit


def win_rate_vs_baseline(scores: np.ndarray) -> dict:
    """AlpacaEval's head-to-head summary of a model against the baseline from per-question soft scores.

    scores: the model's score against the baseline per question, in [0, 1] (1 = model better, 0.5 tie);
    NaN entries (questions without a verdict) are left out, as AlpacaEval leaves out missing preferences.
    Returns win_rate, standard_error, discrete_win_rate (fractions in [0, 1]), n_wins, n_wins_base, n_draws,
    n_total. The standard error is NaN with fewer than two scores. Raises ValueError for scores outside
    [0, 1] or when no score is left.
    """
    values = np.asarray(scores, dtype="float64").ravel()
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ValueError("no scores to compute a win rate from")
    if (values < 0).any() or (values > 1).any():
        raise ValueError("scores must lie in [0, 1] (1 = model better than the baseline, 0.5 tie)")
    n_total = int(values.size)
    n_wins, n_wins_base = int((values > 0.5).sum()), int((values < 0.5).sum())
    n_draws = n_total - n_wins - n_wins_base
    standard_error = float(values.std(ddof=1) / np.sqrt(n_total)) if n_total > 1 else float("nan")
    return {
        "win_rate": float(values.mean()),
        "standard_error": standard_error,
        "discrete_win_rate": (n_wins + n_draws / 2) / n_total,
        "n_wins": n_wins,
        "n_wins_base": n_wins_base,
        "n_draws": n_draws,
        "n_total": n_total,
    }


def win_rate_table(outcomes: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """`win_rate_vs_baseline` for every model compared with `baseline`, one row per model, best first.

    Outcomes in either orientation count (rows with the baseline as model_a are flipped: score 1 - score_a);
    a baseline-vs-itself row counts for the baseline. Weights are not used: AlpacaEval's win rate counts each
    question once. When len_a/len_b columns are present, `avg_length` is the mean length of the model's answers.
    """
    candidate_side = outcomes["model_b"] == baseline
    flipped = (outcomes["model_a"] == baseline) & ~candidate_side
    rows = outcomes[candidate_side | flipped]
    if rows.empty:
        raise ValueError(f"no outcomes against the baseline '{baseline}'")
    is_flipped = flipped[rows.index].to_numpy()
    model = np.where(is_flipped, rows["model_b"], rows["model_a"])
    score = np.where(is_flipped, 1.0 - rows["score_a"].to_numpy(dtype="float64"), rows["score_a"])
    frame = pd.DataFrame({"model": model, "score": score.astype("float64")})
    if "len_a" in rows and "len_b" in rows:
        frame["length"] = np.where(is_flipped, rows["len_b"], rows["len_a"]).astype("float64")
    records = []
    for name, group in frame.groupby("model", sort=False):
        record = {"model": name, **win_rate_vs_baseline(group["score"].to_numpy())}
        if "length" in group:
            record["avg_length"] = float(group["length"].mean())
        records.append(record)
    table = pd.DataFrame.from_records(records)
    return table.sort_values("win_rate", ascending=False, ignore_index=True)


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


def win_rates(model: np.ndarray, score: np.ndarray, n_models: int) -> np.ndarray:
    """(M,) mean score of each model's outcomes against the baseline (NaN for models without any)."""
    totals = np.bincount(model, minlength=n_models)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(model, score, n_models) / totals


def win_rate_samples(model: np.ndarray, score: np.ndarray, question: np.ndarray, n_models: int,
                     n_questions: int, resample: str, rounds: int, rng: np.random.Generator) -> np.ndarray:
    """(R, M) bootstrap replicates of the win rates: questions drawn with replacement (`resample` "questions",
    `intervals.question_weights`), or single outcomes as a multinomial over the distinct (model, score) outcomes
    ("judgments"). A model absent from a replicate gets NaN there."""
    from judgebench.ratings.intervals import question_weights

    m = n_models
    if resample == "questions":
        weights = question_weights(n_questions, rounds, rng).astype(float)
        cells = question * m + model
        score_sums = np.bincount(cells, score, n_questions * m).reshape(n_questions, m)
        counts = np.bincount(cells, None, n_questions * m).reshape(n_questions, m).astype(float)
        num, den = weights @ score_sums, weights @ counts
    else:
        units, multiplicity = np.unique(np.column_stack([model, score]), axis=0, return_counts=True)
        draws = rng.multinomial(len(model), multiplicity / len(model), size=rounds).astype(float)
        onehot = np.zeros((len(units), m))
        onehot[np.arange(len(units)), units[:, 0].astype(int)] = 1.0
        num, den = draws @ (onehot * units[:, 1:2]), draws @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def win_rate_covariance(model: np.ndarray, score: np.ndarray, clusters: np.ndarray, n_clusters: int,
                        n_models: int) -> np.ndarray:
    """(M, M) cluster-robust covariance of the win rates (the sandwich of a mean; Liang & Zeger 1986).

    Per cluster c and model i, U_ci = the sum of the model's residuals score - win_rate_i; then
    cov(i, j) = sum_c U_ci U_cj * C / (C - 1) / (n_i n_j). Models share questions, so their win rates are
    correlated and a difference needs the off-diagonal terms.
    """
    estimate = win_rates(model, score, n_models)
    totals = np.bincount(model, minlength=n_models).astype(float)
    residual = score - estimate[model]
    per_cluster = np.bincount(clusters * n_models + model, residual, n_clusters * n_models)
    per_cluster = per_cluster.reshape(n_clusters, n_models)
    meat = per_cluster.T @ per_cluster * (n_clusters / max(n_clusters - 1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return meat / np.outer(totals, totals)

"""Win rates against a baseline from soft preferences, AlpacaEval style, and length-controlled win rates.

Definitions follow AlpacaEval 2.0 (Dubois et al., "Length-Controlled AlpacaEval: A Simple Way to Debias
Automatic Evaluators", COLM 2024; tatsu-lab/alpaca_eval), with rates as fractions in [0, 1] rather than percent:

- win rate: the mean of the model's soft score against the baseline per question (1 = model better, 0.5 tie);
- standard error: the sample standard deviation of those scores (n - 1 denominator) over sqrt(n);
- n_wins / n_wins_base / n_draws: scores above / below / exactly at 0.5; n_total: scores counted;
- discrete win rate: (n_wins + n_draws / 2) / n_total, each question rounded to a win, loss or draw.

Length control fits, per model, the GLM

    logit P(model beats baseline on question q) = intercept + length * tanh(delta_len_q / sd) + difficulty * d_q,

where delta_len_q is the model's answer length minus the baseline's, sd its standard deviation over questions
and d_q the instruction's difficulty, then predicts the win rate had the lengths been equal (delta_len = 0).
`length_controlled_win_rate` applies given weights (AlpacaEval's published GLM); `fit_length_controlled_win_rate`
fits the GLM on one model's annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

from judgebench.ratings.style import fit_soft_logistic

WIN_RATE_KEYS = ("win_rate", "standard_error", "discrete_win_rate", "n_wins", "n_wins_base", "n_draws", "n_total")


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


def length_controlled_win_rate(weights: LengthGLM | Mapping[str, float] | pd.Series,
                               instruction_difficulty: np.ndarray | pd.Series,
                               baseline_weights: LengthGLM | Mapping[str, float] | pd.Series | None = None
                               ) -> float:
    """AlpacaEval's length-controlled win rate from given GLM weights, as a fraction in [0, 1].

    The mean over instructions of logistic(intercept + difficulty * d_q) with the length term at zero: the
    win rate the GLM predicts had the model's answers been as long as the baseline's (Dubois et al., 2024,
    section 3). weights and baseline_weights: AlpacaEval's per-model weights (their difference is the model's
    GLM against the baseline; without baseline_weights the weights are taken as already relative).
    instruction_difficulty: d_q for each instruction of the benchmark.
    """
    glm = LengthGLM.of(weights)
    if baseline_weights is not None:
        glm = glm - LengthGLM.of(baseline_weights)
    difficulty = np.asarray(instruction_difficulty, dtype="float64")
    if difficulty.size == 0 or np.isnan(difficulty).any():
        raise ValueError("instruction difficulties must be given (no NaN) for every instruction")
    return float(expit(glm.intercept + glm.difficulty * difficulty).mean())


@dataclass(frozen=True)
class LengthControlled:
    """A fitted length-controlled win rate: the rate (fraction), the fitted GLM and the length scale used."""

    win_rate: float
    glm: LengthGLM
    length_scale: float
    n_total: int


def length_feature(len_model: np.ndarray, len_baseline: np.ndarray, scale: float) -> np.ndarray:
    """tanh((len_model - len_baseline) / scale): the bounded, standardised length difference of the GLM."""
    delta = np.asarray(len_model, dtype="float64") - np.asarray(len_baseline, dtype="float64")
    if scale <= 0:
        return np.zeros_like(delta)
    return np.tanh(delta / scale)


def fit_length_controlled_win_rate(scores: np.ndarray, len_model: np.ndarray, len_baseline: np.ndarray,
                                   instruction_difficulty: np.ndarray | None = None) -> LengthControlled:
    """Fit AlpacaEval's length-controlled GLM on one model's annotations and predict its win rate at equal length.

    scores: the model's soft scores against the baseline (in [0, 1]); len_model, len_baseline: the two answer
    lengths per question; instruction_difficulty: optional d_q per question (AlpacaEval's published
    difficulties), otherwise the GLM has intercept and length only. The fit is unpenalised maximum likelihood
    with soft labels; AlpacaEval additionally regularises each model toward two "gamed" baselines with
    cross-validated L1, which needs its private training data, so fitted values differ somewhat from the
    published ones. Because the intercept is fitted, the result equals the plain win rate when the lengths
    never differ, and it falls below it when the model wins by answering longer (above it when shorter).
    """
    score = np.asarray(scores, dtype="float64")
    len_model, len_baseline = np.asarray(len_model, dtype="float64"), np.asarray(len_baseline, dtype="float64")
    columns = [score, len_model, len_baseline]
    if instruction_difficulty is not None:
        columns.append(np.asarray(instruction_difficulty, dtype="float64"))
    if len({c.shape for c in columns}) != 1:
        raise ValueError("scores, lengths and difficulties must have one value per question")
    keep = ~np.isnan(np.column_stack(columns)).any(axis=1)
    if not keep.any():
        raise ValueError("no question has a score and both lengths")
    delta = len_model[keep] - len_baseline[keep]
    scale = float(delta.std(ddof=1)) if keep.sum() > 1 else 0.0
    n_total = int(keep.sum())
    difficulty = columns[3][keep] if instruction_difficulty is not None else np.zeros(n_total)
    design = {"intercept": np.ones(n_total),
              "length": length_feature(len_model[keep], len_baseline[keep], scale),
              "difficulty": difficulty}
    # A column that never varies from zero (equal lengths, no difficulties) has coefficient 0: leave it out.
    used = {name: column for name, column in design.items() if name == "intercept" or np.any(column != 0)}
    fit = fit_soft_logistic(np.column_stack(list(used.values())), score[keep])
    glm = LengthGLM(**dict(zip(used, map(float, fit.coef), strict=True)))
    return LengthControlled(win_rate=length_controlled_win_rate(glm, difficulty), glm=glm,
                            length_scale=scale, n_total=n_total)

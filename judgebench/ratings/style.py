"""Style control: Bradley-Terry with answer-style covariates, so that ratings stop rewarding length and markdown.

A judge that prefers longer or more decorated answers inflates the ratings of verbose models. Style control
(Chatbot Arena, "Does style matter? Disentangling style and substance in Chatbot Arena", Li et al., LMSYS blog,
August 2024) adds the style differences of the two answers to the Bradley-Terry logistic model:

    logit P(a beats b) = beta_a - beta_b + sum_k gamma_k * z_k,
    z_k = ((s_ak - s_bk) / (s_ak + s_bk)) / scale_k,

where s_ak is style feature k of a's answer (length, number of headers, list items, bold spans). The difference
is normalised by the sum (0 when both are 0), then divided by its standard deviation `scale_k`, so every
gamma_k is "logit change per standard deviation of the style difference". Unlike the Arena's code we do not
subtract the mean before scaling: a nonzero mean would act as a fixed bonus for whichever side is called
model_a, and the fit would change when the sides of an outcome are swapped. `scale_k` is therefore the root
mean square of the normalised difference, which is the standard deviation over the outcomes seen from both
sides. The beta_k are the style-adjusted abilities (on the Elo scale, 400 * log10); gamma_k are reported with
their own intervals. Intervals come from a bootstrap over questions (clusters): all outcomes of a resampled
question enter together, as many times as it was drawn.

The fit is maximum likelihood with soft labels (score_a in [0, 1], ties 0.5) and outcome weights, solved by
Newton's method (`fit_soft_logistic`); the same solver serves AlpacaEval's length-controlled GLM in
`judgebench.ratings.winrate`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.special import expit

from judgebench.errors import InputError

ELO_SCALE = 400.0
STYLE_FEATURES = ("length", "header_count", "list_count", "bold_count")
# A vanishing ridge keeps Newton steps finite when a bootstrap replicate leaves a model without games or a
# model wins every game; it moves well-determined estimates by far less than their standard errors.
DEFAULT_RIDGE = 1e-6

_HEADER = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S", re.MULTILINE)
_BOLD = re.compile(r"\*\*[^*\n]+?\*\*|__[^_\n]+?__")


# --------------------------------------------------------------------------------------------------------------
# Soft-label logistic regression (the solver).


@dataclass(frozen=True)
class LogisticFit:
    """Result of `fit_soft_logistic`: coefficients, the Hessian of the penalised loss at them, iterations used."""

    coef: np.ndarray
    hessian: np.ndarray
    iterations: int
    converged: bool


class MatrixDesign:
    """A design matrix (dense or scipy-sparse) seen through the three products Newton's method needs."""

    def __init__(self, matrix: np.ndarray | sparse.spmatrix):
        self.matrix = matrix if sparse.issparse(matrix) else np.asarray(matrix, dtype="float64")
        self.n_rows, self.n_coef = self.matrix.shape

    def times(self, coef: np.ndarray) -> np.ndarray:
        return self.matrix @ coef

    def transpose_times(self, residual: np.ndarray) -> np.ndarray:
        return self.matrix.T @ residual

    def gram(self, row_weight: np.ndarray) -> np.ndarray:
        """X' diag(row_weight) X."""
        if sparse.issparse(self.matrix):
            return np.asarray((self.matrix.T @ (sparse.diags(row_weight) @ self.matrix)).todense())
        return self.matrix.T @ (self.matrix * row_weight[:, None])


class PairedDesign:
    """The Bradley-Terry design with style columns, never materialised: row i is e_a - e_b, then style_i.

    Coefficients: abilities of models 1..M-1 (model 0 is the reference, fixed at 0), then one per style column.
    Products cost O(n * (1 + n_style)) through `np.bincount`, so a Newton step over a million outcomes stays
    cheap and bootstrap replicates can refit many times.
    """

    def __init__(self, side_a: np.ndarray, side_b: np.ndarray, n_models: int, style: np.ndarray):
        self.side_a, self.side_b, self.n_models = side_a, side_b, n_models
        # Stored feature-major, and multiplied with element-wise sums rather than BLAS calls: the style block
        # has a handful of columns, where threaded BLAS start-up costs more than the arithmetic.
        self.style_t = np.ascontiguousarray(np.asarray(style, dtype="float64").reshape(len(side_a), -1).T)
        self.pair = side_a * n_models + side_b
        self.n_rows = len(side_a)
        self.n_coef = n_models - 1 + self.style_t.shape[0]

    def _abilities(self, coef: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], coef[: self.n_models - 1]])

    def times(self, coef: np.ndarray) -> np.ndarray:
        ability = self._abilities(coef)
        eta = ability[self.side_a] - ability[self.side_b]
        for value, row in zip(coef[self.n_models - 1:], self.style_t, strict=True):
            eta += value * row
        return eta

    def _by_model(self, values: np.ndarray) -> np.ndarray:
        m = self.n_models
        return np.bincount(self.side_a, values, m) - np.bincount(self.side_b, values, m)

    def transpose_times(self, residual: np.ndarray) -> np.ndarray:
        return np.concatenate([self._by_model(residual)[1:], (self.style_t * residual).sum(axis=1)])

    def gram(self, row_weight: np.ndarray) -> np.ndarray:
        m = self.n_models
        between = np.bincount(self.pair, row_weight, m * m).reshape(m, m)
        between = between + between.T
        laplacian = np.diag(between.sum(axis=1)) - between
        cross = np.column_stack([self._by_model(row_weight * row) for row in self.style_t]) \
            if len(self.style_t) else np.zeros((m, 0))
        weighted = self.style_t * row_weight
        style_block = np.array([[(w_row * row).sum() for row in self.style_t] for w_row in weighted])
        style_block = style_block.reshape(len(self.style_t), len(self.style_t))
        full = np.block([[laplacian, cross], [cross.T, style_block]])
        return full[1:, 1:]


def fit_soft_logistic(design: np.ndarray | sparse.spmatrix | MatrixDesign | PairedDesign, target: np.ndarray,
                      weight: np.ndarray | None = None, *, ridge: float | np.ndarray = 0.0,
                      start: np.ndarray | None = None, tol: float = 1e-10, max_iter: int = 100) -> LogisticFit:
    """Maximum-likelihood logistic regression with soft targets, by Newton's method with step halving.

    Minimises sum_i w_i * (log(1 + exp(x_i b)) - y_i * x_i b) + ridge/2 * |b|^2 with y_i in [0, 1] (a soft
    label: the cross-entropy against a probability, as AlpacaEval's GLM and Chatbot Arena's Bradley-Terry
    fits with ties do). The loss is convex, so Newton's method converges in a handful of steps from zero
    (McCullagh and Nelder, Generalized Linear Models, 1989, section 2.5: iteratively reweighted least squares).
    `design` may be a dense or scipy-sparse matrix, or a `PairedDesign`; `ridge` a scalar or one value per
    coefficient.
    """
    if not isinstance(design, MatrixDesign | PairedDesign):
        design = MatrixDesign(design)
    weight = np.ones(design.n_rows) if weight is None else np.asarray(weight, dtype="float64")
    target = np.asarray(target, dtype="float64")
    ridge_vec = np.broadcast_to(np.asarray(ridge, dtype="float64"), (design.n_coef,))
    coef = np.zeros(design.n_coef) if start is None else np.array(start, dtype="float64")

    def loss_of(beta: np.ndarray) -> float:
        eta = design.times(beta)
        return float((weight * (np.logaddexp(0.0, eta) - target * eta)).sum() + 0.5 * (ridge_vec * beta**2).sum())

    loss = loss_of(coef)
    hessian = np.zeros((design.n_coef, design.n_coef))
    for iteration in range(1, max_iter + 1):
        prob = expit(design.times(coef))
        gradient = design.transpose_times(weight * (prob - target)) + ridge_vec * coef
        hessian = design.gram(weight * prob * (1.0 - prob)) + np.diag(ridge_vec)
        step = _solve(hessian, gradient)
        candidate, new_loss = coef - step, loss_of(coef - step)
        halvings = 0
        while new_loss > loss + 1e-12 * abs(loss) and halvings < 30:
            step = step / 2
            candidate, new_loss = coef - step, loss_of(coef - step)
            halvings += 1
        coef, loss = candidate, new_loss
        if np.max(np.abs(step), initial=0.0) < tol or halvings == 30:
            return LogisticFit(coef, hessian, iteration, halvings < 30)
    return LogisticFit(coef, hessian, max_iter, False)


def _solve(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(matrix, vector)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(matrix, vector, rcond=None)[0]


# --------------------------------------------------------------------------------------------------------------
# Style features.


def answer_style(texts: Sequence[str] | pd.Series) -> pd.DataFrame:
    """Style features of answers: length in characters and markdown counts (headers, list items, bold spans).

    Headers are lines starting with 1-6 '#' and a space; list items are lines starting with '-', '*', '+' or
    'N.'/'N)' and a space (indentation allowed); bold spans are **text** or __text__ on one line. The columns
    are those of `STYLE_FEATURES`.
    """
    series = pd.Series(texts, dtype="string").fillna("")
    return pd.DataFrame({
        "length": series.str.len().astype("float64"),
        "header_count": series.str.count(_HEADER.pattern, flags=re.MULTILINE).astype("float64"),
        "list_count": series.str.count(_LIST_ITEM.pattern, flags=re.MULTILINE).astype("float64"),
        "bold_count": series.str.count(_BOLD.pattern).astype("float64"),
    }, index=series.index)


def normalised_difference(style_a: np.ndarray, style_b: np.ndarray) -> np.ndarray:
    """(a - b) / (a + b) per feature, 0 where both are 0: in [-1, 1] and antisymmetric in a and b."""
    total = style_a + style_b
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (style_a - style_b) / total
    return np.where(total > 0, ratio, 0.0)


def _paired_features(outcomes: pd.DataFrame, features: pd.DataFrame | Sequence[str] | None
                     ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Style of the a-side and b-side answer of each outcome, as two (n_outcomes, n_features) arrays."""
    if isinstance(features, pd.DataFrame):
        return _features_from_answers(outcomes, features)
    names = list(features) if features is not None else _paired_column_names(outcomes)
    if not names:
        raise InputError("no style features: pass a table of answer features or outcome columns NAME_a/NAME_b",
                         field="features")
    for name in names:
        for side in ("a", "b"):
            if f"{name}_{side}" not in outcomes.columns:
                raise InputError(f"outcomes lack column {name}_{side}", field=f"{name}_{side}")
    style_a = outcomes[[f"{n}_a" for n in names]].to_numpy(dtype="float64")
    style_b = outcomes[[f"{n}_b" for n in names]].to_numpy(dtype="float64")
    return names, style_a, style_b


def _paired_column_names(outcomes: pd.DataFrame) -> list[str]:
    names = []
    for column in outcomes.columns:
        stem = column[:-2]
        if (column.endswith("_a") and stem not in ("model", "score") and f"{stem}_b" in outcomes.columns
                and pd.api.types.is_numeric_dtype(outcomes[column])):
            names.append(stem)
    return names


def _features_from_answers(outcomes: pd.DataFrame, answers: pd.DataFrame) -> tuple[list[str], np.ndarray,
                                                                                     np.ndarray]:
    for name in ("question_id", "model"):
        if name not in answers.columns:
            raise InputError("the answer-feature table lacks a column", field=name,
                             hint="one row per answer: question_id, model, then numeric style features")
    names = [c for c in answers.columns if c not in ("question_id", "model")]
    table = answers.assign(question_id=answers["question_id"].astype(str)).set_index(["question_id", "model"])
    if not table.index.is_unique:
        raise InputError("the answer-feature table has several rows for one (question_id, model)", field="model")
    question = outcomes["question_id"].astype(str)
    sides = []
    for side in ("model_a", "model_b"):
        keys = pd.MultiIndex.from_arrays([question, outcomes[side]])
        position = table.index.get_indexer(keys)
        if (position < 0).any():
            row = int(np.flatnonzero(position < 0)[0])
            raise InputError(f"no style features for model '{outcomes[side].iloc[row]}' on question "
                             f"'{question.iloc[row]}'", field=side, hint="give features for every answer judged")
        sides.append(table.to_numpy(dtype="float64")[position])
    return names, sides[0], sides[1]


# --------------------------------------------------------------------------------------------------------------
# The fit.


@dataclass(frozen=True)
class StyleResult:
    """Style-controlled Bradley-Terry ratings and style coefficients, with bootstrap intervals.

    ratings/lower/upper: style-adjusted ratings on the Elo scale (400 * log10), anchored so that `anchor` is at
    `anchor_rating` (or their mean is, when anchor is None); `uncontrolled`: the plain Bradley-Terry ratings
    of the same outcomes, same anchoring, for comparison. coefficients/coef_lower/coef_upper: gamma_k, the
    logit change per standard deviation (`scales`) of the normalised style difference; NaN for a feature that
    never differs. Intervals are percentile intervals at `confidence` from `rounds` question-bootstrap replicates
    drawn with `seed`.
    """

    models: list[str]
    ratings: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    uncontrolled: np.ndarray
    features: list[str]
    coefficients: np.ndarray
    coef_lower: np.ndarray
    coef_upper: np.ndarray
    scales: np.ndarray
    confidence: float
    rounds: int
    seed: int
    anchor: str | None
    anchor_rating: float
    n_outcomes: int
    n_questions: int

    def rating_of(self, model: str) -> float:
        return float(self.ratings[self.models.index(model)])

    def table(self) -> pd.DataFrame:
        """One row per model, best first: model, rating, lower, upper, uncontrolled."""
        frame = pd.DataFrame({"model": self.models, "rating": self.ratings, "lower": self.lower,
                              "upper": self.upper, "uncontrolled": self.uncontrolled})
        return frame.sort_values("rating", ascending=False, ignore_index=True)

    def style_table(self) -> pd.DataFrame:
        """One row per style feature: feature, coefficient, lower, upper, scale."""
        return pd.DataFrame({"feature": self.features, "coefficient": self.coefficients,
                             "lower": self.coef_lower, "upper": self.coef_upper, "scale": self.scales})


@dataclass
class _Problem:
    """Outcomes encoded for the solver: model indices, targets, weights, scaled style differences, clusters."""

    models: list[str]
    side_a: np.ndarray
    side_b: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    style: np.ndarray
    question: np.ndarray
    n_questions: int


def fit_style_controlled(outcomes: pd.DataFrame, features: pd.DataFrame | Sequence[str] | None = None, *,
                         anchor: str | None = None, anchor_rating: float = 1000.0, confidence: float = 0.95,
                         rounds: int = 200, seed: int = 0, ridge: float = DEFAULT_RIDGE) -> StyleResult:
    """Fit Bradley-Terry with style covariates (Chatbot Arena's style control) and bootstrap it over questions.

    outcomes: canonical outcome columns (question_id, model_a, model_b, score_a, optional weight); rows with
    model_a == model_b carry no information about ratings and are left out.
    features: where the style of each answer comes from, one of
      - a DataFrame with one row per answer: question_id, model and numeric feature columns (for example from
        `answer_style`), looked up for both sides of every outcome;
      - names of features given in the outcomes as columns NAME_a and NAME_b (e.g. ["len"] for the len_a and
        len_b columns of AlpacaEval imports);
      - None: every numeric NAME_a/NAME_b column pair in the outcomes.
    Features must be non-negative (lengths, counts). anchor: the model fixed at anchor_rating (None: the mean
    rating is anchor_rating). Raises InputError when the outcomes do not connect all models.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    names, style_a, style_b = _paired_features(outcomes, features)
    if not (np.isfinite(style_a).all() and np.isfinite(style_b).all()) or (style_a < 0).any() or (style_b < 0).any():
        raise InputError("style features must be finite and non-negative", field="features")
    problem, scales = _encode(outcomes, style_a, style_b)
    if anchor is not None and anchor not in problem.models:
        raise InputError(f"anchor model '{anchor}' has no outcomes", field="anchor")
    _check_connected(problem)
    active = scales > 0
    full = _fit(problem, active, ridge)
    plain = _fit(problem, np.zeros_like(active), ridge)
    replicate_ratings, replicate_coefs = _bootstrap(problem, active, ridge, full.coef, rounds, seed)
    to_ratings = _RatingScale(problem.models, anchor, anchor_rating)
    ratings, coefs = to_ratings(_abilities(full.coef, problem)), _style_coefs(full.coef, problem, active)
    low_q, high_q = 100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2
    rating_reps = np.array([to_ratings(r) for r in replicate_ratings]) if rounds else ratings[None, :]
    coef_reps = replicate_coefs if rounds else coefs[None, :]
    return StyleResult(
        models=problem.models, ratings=ratings,
        lower=_nanpercentile(rating_reps, low_q), upper=_nanpercentile(rating_reps, high_q),
        uncontrolled=to_ratings(_abilities(plain.coef, problem)), features=names, coefficients=coefs,
        coef_lower=_nanpercentile(coef_reps, low_q), coef_upper=_nanpercentile(coef_reps, high_q),
        scales=scales, confidence=confidence, rounds=rounds, seed=seed, anchor=anchor,
        anchor_rating=anchor_rating, n_outcomes=len(problem.target), n_questions=problem.n_questions)


def _encode(outcomes: pd.DataFrame, style_a: np.ndarray, style_b: np.ndarray) -> tuple[_Problem, np.ndarray]:
    for name in ("question_id", "model_a", "model_b", "score_a"):
        if name not in outcomes.columns:
            raise InputError("outcomes lack a column", field=name)
    keep = (outcomes["model_a"] != outcomes["model_b"]).to_numpy()
    rows = outcomes[keep]
    if rows.empty:
        raise InputError("no outcomes between two different models", field="model_b")
    codes, models = pd.factorize(pd.concat([rows["model_a"], rows["model_b"]], ignore_index=True), sort=True)
    question, questions = pd.factorize(rows["question_id"].astype(str))
    difference = normalised_difference(style_a[keep], style_b[keep])
    scales = np.sqrt(np.mean(difference**2, axis=0))
    style = np.divide(difference, scales, out=np.zeros_like(difference), where=scales > 0)
    weight = rows["weight"].to_numpy(dtype="float64") if "weight" in rows else np.ones(len(rows))
    problem = _Problem(models=[str(m) for m in models], side_a=codes[: len(rows)], side_b=codes[len(rows):],
                       target=rows["score_a"].to_numpy(dtype="float64"), weight=weight, style=style,
                       question=question, n_questions=len(questions))
    return problem, scales


def _check_connected(problem: _Problem) -> None:
    n = len(problem.models)
    graph = sparse.coo_matrix((np.ones(len(problem.side_a)), (problem.side_a, problem.side_b)), shape=(n, n))
    count, labels = connected_components(graph, directed=False)
    if count > 1:
        groups = [sorted(np.array(problem.models)[labels == k].tolist()) for k in range(count)]
        shown = "; ".join(", ".join(g[:5]) + (" ..." if len(g) > 5 else "") for g in groups[:4])
        raise InputError(f"the outcomes split the models into {count} groups never compared with each other "
                         f"({shown})", field="model_a", hint="add games between the groups or rate them apart")


def _design(problem: _Problem, active: np.ndarray) -> PairedDesign:
    """Abilities of models 1..M-1 (model 0 is the reference at 0), then the active style features."""
    return PairedDesign(problem.side_a, problem.side_b, len(problem.models), problem.style[:, active])


def _fit(problem: _Problem, active: np.ndarray, ridge: float, weight: np.ndarray | None = None,
         start: np.ndarray | None = None) -> LogisticFit:
    weight = problem.weight if weight is None else weight
    return fit_soft_logistic(_design(problem, active), problem.target, weight, ridge=ridge, start=start)


def _abilities(coef: np.ndarray, problem: _Problem) -> np.ndarray:
    return np.concatenate([[0.0], coef[: len(problem.models) - 1]])


def _style_coefs(coef: np.ndarray, problem: _Problem, active: np.ndarray) -> np.ndarray:
    out = np.full(len(active), np.nan)
    out[active] = coef[len(problem.models) - 1:]
    return out


class _RatingScale:
    """Natural-log abilities -> Elo-scale ratings with the chosen anchoring."""

    def __init__(self, models: list[str], anchor: str | None, anchor_rating: float):
        self.index = None if anchor is None else models.index(anchor)
        self.anchor_rating = anchor_rating

    def __call__(self, abilities: np.ndarray) -> np.ndarray:
        elo = ELO_SCALE / np.log(10.0) * abilities
        reference = np.nanmean(elo) if self.index is None else elo[self.index]
        return elo - reference + self.anchor_rating


def _bootstrap(problem: _Problem, active: np.ndarray, ridge: float, start: np.ndarray, rounds: int,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Refit on `rounds` resamples of questions (with replacement), warm-started at the full-data fit.

    A model left without games in a replicate gets NaN there (its ability is not identified).
    """
    rng = np.random.default_rng(seed)
    design = _design(problem, active)
    n_models = len(problem.models)
    abilities = np.empty((rounds, n_models))
    coefs = np.empty((rounds, len(active)))
    for r in range(rounds):
        drawn = np.bincount(rng.integers(0, problem.n_questions, problem.n_questions),
                            minlength=problem.n_questions)
        weight = problem.weight * drawn[problem.question]
        fit = fit_soft_logistic(design, problem.target, weight, ridge=ridge, start=start)
        abilities[r] = _abilities(fit.coef, problem)
        played = np.bincount(problem.side_a, weight, n_models) + np.bincount(problem.side_b, weight, n_models)
        abilities[r, played == 0] = np.nan
        coefs[r] = _style_coefs(fit.coef, problem, active)
    return abilities, coefs


def _nanpercentile(values: np.ndarray, q: float) -> np.ndarray:
    out = np.full(values.shape[1], np.nan)
    finite = ~np.isnan(values).all(axis=0)
    out[finite] = np.nanpercentile(values[:, finite], q, axis=0)
    return out

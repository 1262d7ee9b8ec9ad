"""Bradley-Terry maximum likelihood on pair counts, with an optional first-position effect and tie model.

Model (Bradley & Terry 1952; Zermelo 1929): model i beats model j with probability
``sigmoid(beta_i - beta_j)``; a tie counts as half a win each way. Two extensions:

- first-position effect ("home advantage", Agresti, Categorical Data Analysis, 2002, section 10.6): in a
  game where i is shown first, ``d = beta_i - beta_j + gamma``; gamma is the judge's position bias on the
  log-odds scale and is fitted from games (per-order verdicts), like the home advantage in sports;
- Davidson's tie model (Davidson 1970, JASA 65:317): win, tie and loss probabilities proportional to
  ``pi_i``, ``nu * sqrt(pi_i * pi_j)`` and ``pi_j``, with ``pi = exp(beta)``.

Both likelihoods depend on the data only through, per pair, the weighted games N and the score S of the
first side, plus the total score of first-shown sides and the total tie mass, so one solver serves them:

    l(theta) = sum_p (S_p - N_p / 2) d_p - N_p log(2 cosh(d_p / 2) + nu) + T log nu

(nu = 0 gives plain Bradley-Terry with ties split in half). The fit is Newton's method on the exact
log-likelihood with a step-halving line search: `newton`, the one driver every variant uses (style control in
`ratings.style` included); quadratic convergence, well-conditioned because the information matrix is a
weighted graph Laplacian. Plain fits of up to 400 models iterate on dense M x M
matrices from the log-odds of each model's overall score, which takes two or three steps; on the
benchmark's counts (100 models) that is faster than choix's fastest pairwise maximum-likelihood solver,
`ilsr_pairwise_dense`, and also yields the information matrix (benchmarks/bench_ratings.py prints both
times), so choix is not used at run time. Bootstrap replicates are fitted together: every
replicate starts at the full-data estimate and is iterated with the full-data information matrix (the
chord method, `chord_replicates`, which style control shares), which costs two matrix products per
iteration for all replicates at once; the rare replicate that does not settle is finished by the exact
Newton solver, and a replicate without maximum-likelihood ratings (found from its win graph,
`replicate_separation`) is fitted by it with the weak ridge AUTO_RIDGE. The strengths are identified by
centring them (mean zero); an optional ridge penalty ``regularization / 2 * |beta|^2`` makes ratings
finite when the comparison graph is not strongly connected
(without it that case is an InputError, because the maximum-likelihood ratings do not exist: Ford 1957).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from judgebench.errors import InputError, first_few
from judgebench.ratings.counts import PairCounts

ELO_SCALE = 400.0
TIES = ("half", "davidson")
_DENSE_INCIDENCE_LIMIT = 4_000_000  # pairs x models entries below which gathers are matrix products
_BATCHED_FROM = 32  # replicates from which those matrix products beat plain gathers
_SCREEN_BYTES = 8_000_000  # bootstrap replicates' draws and win graphs screened at once (`replicate_separation`)
# The weak ridge used when maximum-likelihood ratings do not exist (some model won, or lost, every comparison):
# by the leaderboard's default for the point estimate, and by `fit_replicates` for such bootstrap replicates.
AUTO_RIDGE = 0.01


@dataclass(frozen=True)
class Layout:
    """Where each parameter lives in the vector theta = (beta_1..beta_M, [gamma], [log nu]).

    held_position: a first-position log-odds gamma held at this value instead of fitted (an offset on every
    pair's difference, not a parameter; only without `position`): the leaderboard's strengths beside an effect
    estimated elsewhere (`fit`).
    """

    n_models: int
    position: bool = False
    davidson: bool = False
    held_position: float = 0.0

    @property
    def size(self) -> int:
        return self.n_models + int(self.position) + int(self.davidson)

    @property
    def gamma(self) -> int:
        return self.n_models

    @property
    def log_nu(self) -> int:
        return self.n_models + int(self.position)


@dataclass(frozen=True)
class Stats:
    """Sufficient statistics for R data sets at once (R = 1 for a plain fit; one row per replicate).

    games: (R, P) weighted games per pair; model_score: (R, M) weighted score per model;
    first_score: (R,) total score of the pairs' first sides; ties: (R,) total tie mass.
    """

    games: np.ndarray
    model_score: np.ndarray
    first_score: np.ndarray
    ties: np.ndarray
    separation: Separation | None = None  # which replicates have no finite maximum likelihood, when known

    @classmethod
    def from_counts(cls, counts: PairCounts) -> Stats:
        return cls(games=counts.games[None, :].astype(float), model_score=counts.model_scores()[None, :],
                   first_score=np.array([counts.first_score()]), ties=np.array([counts.total_ties()]))

    def row(self, r: int) -> Stats:
        return self.rows(slice(r, r + 1))

    def rows(self, index: np.ndarray | slice) -> Stats:
        """The statistics of the replicates `index` (an index array or boolean mask), without the separation."""
        return Stats(self.games[index], self.model_score[index], self.first_score[index], self.ties[index])


class PairDesign:
    """Gather model parameters onto pairs and scatter pair quantities back onto models, batched."""

    def __init__(self, first: np.ndarray, second: np.ndarray, n_models: int):
        self.first, self.second, self.n_models = first, second, n_models
        self.n_pairs = len(first)
        self.dense = self.n_pairs * n_models <= _DENSE_INCIDENCE_LIMIT
        self._cast: dict = {}

    def _incidence(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        """Dense (P, M) incidence (+1 first, -1 second) and its transpose, built on first use."""
        if dtype not in self._cast:
            incidence = np.zeros((self.n_pairs, self.n_models), dtype=dtype)
            rows = np.arange(self.n_pairs)
            incidence[rows, self.first] = 1.0
            incidence[rows, self.second] = -1.0
            self._cast[dtype] = (incidence, np.ascontiguousarray(incidence.T))
        return self._cast[dtype]

    @classmethod
    def from_counts(cls, counts: PairCounts) -> PairDesign:
        return cls(counts.first, counts.second, counts.n_models)

    def differences(self, beta: np.ndarray) -> np.ndarray:
        """(R, M) strengths -> (R, P) differences beta_first - beta_second (in beta's precision)."""
        if self.dense and len(beta) >= _BATCHED_FROM:
            return beta @ self._incidence(beta.dtype)[1]
        return np.take(beta, self.first, axis=1) - np.take(beta, self.second, axis=1)

    def to_models(self, values: np.ndarray) -> np.ndarray:
        """(R, P) -> (R, M): sum over pairs where the model is first minus where it is second, in double
        precision whatever the values' (as the scatter's bincount sums): a model's expected score is a sum of
        thousands of games, which single precision leaves a rounding floor above the bootstrap's tolerance."""
        if self.dense and len(values) >= _BATCHED_FROM:
            return values.astype(np.float64, copy=False) @ self._incidence(np.dtype(np.float64))[0]
        return self._scatter(values, self.first) - self._scatter(values, self.second)

    def to_second(self, values: np.ndarray) -> np.ndarray:
        """(R, P) -> (R, M): sum over pairs where the model is second."""
        return self._scatter(values, self.second)

    def _scatter(self, values: np.ndarray, index: np.ndarray) -> np.ndarray:
        r = values.shape[0]
        flat = (np.arange(r)[:, None] * self.n_models + index[None, :]).ravel()
        return np.bincount(flat, values.ravel(), r * self.n_models).reshape(r, self.n_models)


# --- pair-level terms of the log-likelihood ------------------------------------------------------------


def expected_score(d: np.ndarray, nu: np.ndarray | float | None = None) -> np.ndarray:
    """Expected score of the first side given the log-odds difference d (Davidson when nu is given)."""
    if nu is None:
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-d))
    u2 = np.exp(-np.abs(d))
    u = np.sqrt(u2)
    return 0.5 + np.sign(d) * (1.0 - u2) / (2.0 * (1.0 + u2 + nu * u))


def _sigmoid_inplace(d: np.ndarray) -> np.ndarray:
    """sigmoid(d) = 1 / (1 + exp(-d)), overwriting d (saves temporaries on large batches)."""
    np.negative(d, out=d)
    with np.errstate(over="ignore"):
        np.exp(d, out=d)
    d += 1.0
    np.reciprocal(d, out=d)
    return d


def _pair_log_partition(d: np.ndarray, nu: np.ndarray | float | None) -> np.ndarray:
    """log(2 cosh(d / 2) + nu), computed without overflow."""
    u2 = np.exp(-np.abs(d))
    extra = 0.0 if nu is None else nu * np.sqrt(u2)
    return 0.5 * np.abs(d) + np.log1p(u2 + extra)


def _pair_curvatures(d: np.ndarray, nu: float | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Per-game information terms: (d, d), (d, log nu) and (log nu, log nu)."""
    if nu is None:
        e = expected_score(d)
        return e * (1.0 - e), None, None
    u2 = np.exp(-np.abs(d))
    u = np.sqrt(u2)
    q = 1.0 / (1.0 + u2 + nu * u) ** 2
    dd = (u2 + 0.25 * nu * u * (1.0 + u2)) * q
    dl = -0.5 * nu * np.sign(d) * u * (1.0 - u2) * q
    ll = nu * u * (1.0 + u2) * q
    return dd, dl, ll


# --- the fit -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BradleyTerryFit:
    """A fitted Bradley-Terry model.

    strengths: natural-log abilities beta (mean zero); position: gamma, the first-position log-odds
    (fitted, or held: `Layout.held_position`; None without one); tie_ratio: Davidson's nu (None for ties
    counted half); information: the observed information matrix (negative Hessian of the penalised
    log-likelihood) over theta; inverse: the inverse of the information with the centring direction added
    (valid for contrasts of strengths).
    """

    models: tuple[str, ...]
    layout: Layout
    params: np.ndarray
    information: np.ndarray
    log_likelihood: float
    iterations: int
    regularization: float = 0.0

    @cached_property
    def inverse(self) -> np.ndarray:
        centred = _centred(self.information, self.layout, self.regularization)
        return np.linalg.solve(centred, np.eye(len(centred)))  # faster than inv (no multithreaded getri)

    @property
    def strengths(self) -> np.ndarray:
        return self.params[: self.layout.n_models]

    @property
    def position(self) -> float | None:
        if self.layout.position:
            return float(self.params[self.layout.gamma])
        return self.layout.held_position or None

    @property
    def tie_ratio(self) -> float | None:
        return float(np.exp(self.params[self.layout.log_nu])) if self.layout.davidson else None

    @property
    def ties(self) -> str:
        return "davidson" if self.layout.davidson else "half"

    def ratings(self, anchor: int | None = None, anchor_rating: float = 1000.0,
                scale: float = ELO_SCALE) -> np.ndarray:
        """Elo-scale ratings: ``scale * log10`` of the abilities, the anchor model (or the mean) at anchor_rating."""
        return to_elo(self.strengths[None, :], anchor, anchor_rating, scale)[0]

    def standard_errors(self, anchor: int | None = None) -> np.ndarray:
        """Model-based standard errors of beta_i - beta_anchor (or beta_i - mean beta), natural-log scale."""
        contrasts = contrast_matrix(self.layout, anchor)
        return np.sqrt(np.maximum(np.einsum("ik,kl,il->i", contrasts, self.inverse, contrasts), 0.0))

    def win_probability(self, reference: int | None = None) -> np.ndarray:
        """Probability that each model beats the reference model (or a model of average strength); under
        Davidson's tie model, the probability of a win (not of winning a decisive game)."""
        return self.outcome_probabilities(reference)["win_probability"]

    def outcome_probabilities(self, reference: int | None = None,
                              shift: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Predicted figures of each model against the reference model (or a model of average strength), with the
        strengths less `shift` (log-odds: an adaptive plan's design-bias correction, so that they agree with the
        corrected ratings).

        Ties counted half: win_probability = sigmoid(beta_i - beta_ref), also the expected score. Davidson
        (1970): P(win) = pi_i / D, P(tie) = nu sqrt(pi_i pi_ref) / D with D = pi_i + pi_ref + nu sqrt(pi_i pi_ref),
        returned as win_probability, tie_probability and expected_score = P(win) + P(tie) / 2.
        """
        beta = self.strengths - (shift if shift is not None else 0.0)
        d = beta - (beta[reference] if reference is not None else beta.mean())
        nu = self.tie_ratio
        if nu is None:
            return {"win_probability": expected_score(d)}
        half = np.exp(-0.5 * d)
        denominator = 1.0 + half * half + nu * half
        win, tie = 1.0 / denominator, nu * half / denominator
        return {"win_probability": win, "tie_probability": tie, "expected_score": win + 0.5 * tie}


def to_elo(beta: np.ndarray, anchor: int | None = None, anchor_rating: float = 1000.0,
           scale: float = ELO_SCALE) -> np.ndarray:
    """(R, M) natural-log strengths -> Elo-scale ratings ``anchor_rating + scale * log10(pi_i / pi_anchor)``."""
    reference = beta[:, [anchor]] if anchor is not None else beta.mean(axis=1, keepdims=True)
    return anchor_rating + scale / math.log(10.0) * (beta - reference)


def contrast_matrix(layout: Layout, anchor: int | None) -> np.ndarray:
    """(M, K) rows c_i with c_i . theta = beta_i - beta_anchor (or beta_i - mean beta)."""
    m = layout.n_models
    contrasts = np.zeros((m, layout.size))
    contrasts[:, :m] = np.eye(m) - (1.0 / m if anchor is None else 0.0)
    if anchor is not None:
        contrasts[:, anchor] -= 1.0
    return contrasts


def fit(counts: PairCounts, *, position_effect: bool = False, ties: str = "half", regularization: float = 0.0,
        held_position: float | None = None, tol: float = 1e-10, max_iter: int = 200) -> BradleyTerryFit:
    """Maximum-likelihood Bradley-Terry fit of pair counts by Newton's method.

    `position_effect` fits the first-position log-odds gamma and needs ordered counts (from games);
    `held_position` instead holds gamma at that value (an offset, as Agresti's home advantage taken as known)
    while the strengths are fitted, with ordered counts too; `ties` is "half" (a tie is half a win each way)
    or "davidson"; `regularization` is the ridge penalty on the strengths (0 = plain maximum likelihood, which
    needs a strongly connected comparison graph and raises InputError otherwise). Converges to |step| < tol.
    """
    if ties not in TIES:
        raise InputError(f"unknown tie model '{ties}' (expected one of {', '.join(TIES)})")
    if (position_effect or held_position is not None) and not counts.ordered:
        raise InputError("a first-position effect needs games in presentation order (first, second), not "
                         "outcomes")
    if position_effect and held_position is not None:
        raise InputError("a first-position effect is either fitted or held, not both")
    if regularization < 0:
        raise InputError(f"regularization must be >= 0, got {regularization}")
    layout = Layout(counts.n_models, position=position_effect, davidson=ties == "davidson",
                    held_position=held_position or 0.0)
    if regularization == 0:
        check_identifiable(counts, layout)
    _check_tie_share(counts, layout)
    if layout.size == layout.n_models and not layout.held_position and layout.n_models <= _DENSE_NEWTON_MODELS:
        beta, iterations, information, log_likelihood = _newton_dense(counts.score_matrix(), regularization, tol,
                                                                      max_iter)
        return BradleyTerryFit(models=counts.models, layout=layout, params=beta, information=information,
                               log_likelihood=log_likelihood, iterations=iterations, regularization=regularization)
    stats = Stats.from_counts(counts)
    design = PairDesign.from_counts(counts)
    theta = initial_params(layout, stats)
    theta, iterations = _newton(theta, stats, design, layout, regularization, tol, max_iter)
    return _finish(counts.models, layout, theta, stats, design, regularization, iterations)


class UnboundedPositionEffect(InputError):
    """The first-position effect has no finite maximum-likelihood estimate: the presentation order separates the
    games (Albert & Anderson 1984, "On the existence of maximum likelihood estimates in logistic regression
    models"), as it does for a judge that always prefers the answer shown first, even with a few exceptions
    that the ratings can absorb. Newton's method then runs towards an infinite effect until its information
    matrix is singular or it stops converging; the ridge on the strengths does not bound it. `in_replicates`:
    only in some bootstrap replicates (a sandwich interval needs none). The caller that knows how the user set
    the effect and the interval says how to change them (`remedy`, added by `leaderboard`)."""

    def __init__(self, in_replicates: bool = False, remedy: str = ""):
        self.in_replicates = in_replicates
        super().__init__(f"the first-position effect has no finite estimate"
                         f"{' in some bootstrap replicates' if in_replicates else ''}: the presentation order "
                         "separates the games (as it does for a judge that always prefers the answer shown first), "
                         f"so its fit runs to infinity{f'; {remedy}' if remedy else ''}")


_DENSE_NEWTON_MODELS = 400  # plain fits of up to this many models use dense M x M matrices


def _newton_dense(scores: np.ndarray, regularization: float, tol: float,
                  max_iter: int) -> tuple[np.ndarray, int, np.ndarray, float]:
    """Plain Bradley-Terry by `newton` on the dense score matrix (entry (i, j): score of i against j).

    For a hundred models each step is a few elementwise passes over 10^4 numbers and one 100 x 100 solve.
    Starts from the log-odds of each model's overall score, which is close to the answer when the design is
    balanced. Returns the strengths, the iteration count, and the information matrix and log-likelihood at
    the estimate.
    """
    m = len(scores)
    games = scores + scores.T
    wins = scores.sum(axis=1)
    totals = games.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.log(wins / (totals - wins))
    beta = np.where(np.isfinite(beta), beta, 0.0)
    beta -= beta.mean()
    diagonal = np.diag_indices(m)

    def terms(beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = _sigmoid_inplace(np.subtract.outer(beta, beta))
        expected = games * p
        grad = wins - expected.sum(axis=1) - regularization * beta
        curvature = expected - expected * p
        information = -curvature
        information[diagonal] += curvature.sum(axis=1) + regularization
        return grad, information

    def centred_terms(beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad, information = terms(beta)
        return grad, _centred(information, Layout(m), regularization)

    beta, iterations = newton(beta, centred_terms, lambda x: _dense_log_likelihood(x, scores, regularization),
                              tol=tol, max_iter=max_iter)
    if not regularization:
        beta = beta - beta.mean()
    return beta, iterations, terms(beta)[1], _dense_log_likelihood(beta, scores, regularization)


class NotConverged(InputError):
    """A Newton fit that did not settle in its iterations: its estimates run off (`newton`)."""


def newton(theta: np.ndarray, terms: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
           log_likelihood: Callable[[np.ndarray], float], *, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """The one damped Newton driver of every Bradley-Terry variant (plain, Davidson, position effect, ridge,
    style covariates).

    terms(theta) -> (gradient, information) of the penalised log-likelihood, the information already
    invertible (centred by the caller when the strengths are only identified up to a shift);
    log_likelihood(theta) serves the step-halving line search of long steps (`_damped`). Stops when the step
    is below `tol`, or when Newton's quadratic convergence puts the next one there. Returns the estimate and
    the iteration count; raises NotConverged (an InputError) when it does not converge in `max_iter` iterations.
    """
    current, previous = None, math.inf
    for iteration in range(1, max_iter + 1):
        grad, information = terms(theta)
        step = np.linalg.solve(information, grad)
        scale, current = _damped(log_likelihood, theta, step, current)
        theta = theta + scale * step
        if not np.isfinite(theta).all():
            break
        size = float(np.max(np.abs(scale * step)))
        if size < tol or (size < 1e-6 and size < 0.1 * previous and size ** 3 / previous ** 2 < tol):
            return theta, iteration
        previous = size
    raise NotConverged(f"Bradley-Terry fit did not converge in {max_iter} iterations "
                     "(the ratings may be unbounded: try a regularization such as 0.01)")


def _damped(log_likelihood, x: np.ndarray, step: np.ndarray, current: float | None) -> tuple[float, float | None]:
    """Step length for a Newton step: 1 for short steps (|step| <= 0.5, where the concave log-likelihood
    makes Newton safe); longer ones are halved until the log-likelihood does not decrease.

    Returns the scale and the log-likelihood at the new point (None after a short step, when it was not
    computed); `current` is the log-likelihood at `x` if already known.
    """
    if np.max(np.abs(step)) <= 0.5:
        return 1.0, None
    current = log_likelihood(x) if current is None else current
    scale = 1.0
    for _ in range(40):
        value = log_likelihood(x + scale * step)
        if value >= current - 1e-12 * max(1.0, abs(current)):
            break
        scale *= 0.5
    return scale, value


def _dense_log_likelihood(beta: np.ndarray, scores: np.ndarray, regularization: float) -> float:
    d = beta[:, None] - beta[None, :]
    log_p = -(np.maximum(-d, 0.0) + np.log1p(np.exp(-np.abs(d))))  # log sigmoid(d)
    return float((scores * log_p).sum()) - 0.5 * regularization * float(beta @ beta)


def initial_params(layout: Layout, stats: Stats) -> np.ndarray:
    theta = np.zeros(layout.size)
    if layout.davidson:
        share = float(stats.ties[0] / stats.games[0].sum())
        theta[layout.log_nu] = math.log(2.0 * share / (1.0 - share))
    return theta


def _finish(models: tuple[str, ...], layout: Layout, theta: np.ndarray, stats: Stats, design: PairDesign,
            regularization: float, iterations: int) -> BradleyTerryFit:
    information = _information(theta, stats, design, layout, regularization)
    return BradleyTerryFit(models=models, layout=layout, params=theta, information=information,
                           log_likelihood=float(_log_likelihood(theta, stats, design, layout, regularization)),
                           iterations=iterations, regularization=regularization)


def _split(theta: np.ndarray, layout: Layout) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    beta = theta[:, : layout.n_models]
    gamma = theta[:, layout.gamma] if layout.position else None
    nu = np.exp(theta[:, layout.log_nu]) if layout.davidson else None
    return beta, gamma, nu


def _differences(theta: np.ndarray, design: PairDesign, layout: Layout) -> np.ndarray:
    beta, gamma, _ = _split(theta, layout)
    d = design.differences(beta)
    if gamma is not None:
        d += gamma[:, None]
    elif layout.held_position:
        d += layout.held_position
    return d


def gradient(theta: np.ndarray, stats: Stats, design: PairDesign, layout: Layout,
             regularization: float = 0.0, second_games: np.ndarray | None = None, *,
             precision: type = np.float64, shared: bool = False, differences: np.ndarray | None = None) -> np.ndarray:
    """(R, K) gradient of the penalised log-likelihood for R parameter vectors and R data sets.

    Pair-level terms are computed in `precision` (float32 halves the cost of the bootstrap's early
    iterations); `shared` says all rows of theta are equal, so the pair terms are computed once.
    """
    rows = theta[:1] if shared else theta
    _, _, nu = _split(rows, layout)
    d = _differences(rows.astype(precision), design, layout) if differences is None else differences.copy()
    nu_col: np.ndarray | None = None if nu is None else nu[:, None].astype(precision)
    if nu is None and not shared:
        expected = _sigmoid_inplace(d)
        expected *= stats.games
    else:
        expected = stats.games * expected_score(d, nu_col)
    if second_games is None:
        second_games = design.to_second(stats.games)
    grad = np.empty_like(theta)
    m = layout.n_models
    grad[:, :m] = stats.model_score - design.to_models(expected) - second_games
    if regularization:
        grad[:, :m] -= regularization * theta[:, :m]
    if layout.position:
        grad[:, layout.gamma] = stats.first_score - expected.sum(axis=1)
    if layout.davidson:
        u = np.exp(-0.5 * np.abs(d))
        tie_probability = nu_col * u / (1.0 + u * u + nu_col * u)
        grad[:, layout.log_nu] = stats.ties - (stats.games * tie_probability).sum(axis=1)
    return grad



def _log_likelihood(theta: np.ndarray, stats: Stats, design: PairDesign, layout: Layout,
                    regularization: float) -> float:
    theta2 = theta[None, :]
    _, _, nu = _split(theta2, layout)
    d = _differences(theta2, design, layout)[0]
    games = stats.games[0]
    # sum_p S_p d_p expressed through model scores: sum_k score_k beta_k - sum_p N_p beta_second + ...
    beta = theta[: layout.n_models]
    first_side = float(stats.model_score[0] @ beta) - float(design.to_second(games[None, :])[0] @ beta)
    if layout.position or layout.held_position:
        gamma = theta[layout.gamma] if layout.position else layout.held_position
        first_side += float(stats.first_score[0] * gamma)
    value = first_side - float(0.5 * games @ d) - float(games @ _pair_log_partition(d, None if nu is None else nu[0]))
    if layout.davidson:
        value += float(stats.ties[0] * theta[layout.log_nu])
    return value - 0.5 * regularization * float(beta @ beta)


def _information(theta: np.ndarray, stats: Stats, design: PairDesign, layout: Layout, regularization: float,
                 differences: np.ndarray | None = None) -> np.ndarray:
    """Observed information (negative Hessian) at theta for a single data set: (K, K)."""
    m, k = layout.n_models, layout.size
    _, _, nu = _split(theta[None, :], layout)
    d = _differences(theta[None, :], design, layout)[0] if differences is None else differences[0]
    games = stats.games[0]
    dd, dl, ll = _pair_curvatures(d, None if nu is None else float(nu[0]))
    w = games * dd
    info = np.zeros((k, k))
    first, second = design.first, design.second
    off = np.bincount(np.concatenate([first * m + second, second * m + first]), np.concatenate([w, w]), m * m)
    block: np.ndarray = -off.reshape(m, m).astype(float)
    block[np.diag_indices(m)] += np.bincount(first, w, m) + np.bincount(second, w, m)
    if regularization:
        block[np.diag_indices(m)] += regularization
    info[:m, :m] = block
    if layout.position:
        g = layout.gamma
        cross = np.bincount(first, w, m) - np.bincount(second, w, m)
        info[:m, g] = info[g, :m] = cross
        info[g, g] = w.sum()
    if layout.davidson:
        j = layout.log_nu
        h = games * dl
        cross = np.bincount(first, h, m) - np.bincount(second, h, m)
        info[:m, j] = info[j, :m] = cross
        if layout.position:
            info[layout.gamma, j] = info[j, layout.gamma] = h.sum()
        info[j, j] = float(games @ ll)
    return info


def _centred(information: np.ndarray, layout: Layout, regularization: float,
             groups: np.ndarray | None = None) -> np.ndarray:
    """Add the centring direction (1..1, 0..0) so the unpenalised information becomes invertible.

    The log-likelihood is flat along that direction and the gradient is orthogonal to it, so Newton
    steps and contrast variances are unchanged while the mean strength stays at zero. `groups`: each model's
    group, where outcomes compare models only within groups (`ratings.style.fit`); the log-likelihood is then
    flat along each group's direction (1 on its models, 0 elsewhere), and each is added.
    """
    if regularization:
        return information
    m = layout.n_models
    centred = information.copy()
    level = max(float(np.trace(information[:m, :m])) / m, 1e-12)
    centred[:m, :m] += level / m * (1.0 if groups is None else groups[:, None] == groups[None, :])
    return centred


def _newton(theta: np.ndarray, stats: Stats, design: PairDesign, layout: Layout, regularization: float,
            tol: float, max_iter: int, in_replicates: bool = False) -> tuple[np.ndarray, int]:
    """`newton` on a single data set of pair statistics (any layout); returns the estimate and iterations.

    With a first-position effect, a fit that does not converge or whose information matrix is singular raises
    `UnboundedPositionEffect(in_replicates)`: its callers have checked that the strengths exist (or bound
    them with a ridge), so the effect is what runs away. Without one, the failure is raised as it is.
    """
    second_games = design.to_second(stats.games)

    def terms(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = _differences(theta[None, :], design, layout)
        grad = gradient(theta[None, :], stats, design, layout, regularization, second_games, differences=d)[0]
        information = _information(theta, stats, design, layout, regularization, differences=d)
        return grad, _centred(information, layout, regularization)

    try:
        return newton(theta, terms, lambda x: _log_likelihood(x, stats, design, layout, regularization), tol=tol,
                      max_iter=max_iter)
    except (InputError, np.linalg.LinAlgError):
        if layout.position:
            raise UnboundedPositionEffect(in_replicates) from None
        raise


def product(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """left @ right; small products without BLAS threads, whose wake-up costs more than the product."""
    if left.shape[0] * left.shape[1] * right.shape[1] < 4_000_000:
        return np.einsum("ij,jk->ik", left, right)
    return left @ right


def chord_replicates(theta: np.ndarray, inverse: np.ndarray, gradients: Callable[[np.ndarray, int], np.ndarray], *,
                     tol: float, max_iter: int) -> np.ndarray:
    """Fit R replicates together, in place, by chord iterations ``theta += gradients(theta) @ inverse``.

    The chord method (the simplified Newton method: Ortega & Rheinboldt 1970, "Iterative Solution of
    Nonlinear Equations in Several Variables"; Kelley 1995, "Iterative Methods for Linear and Nonlinear
    Equations", chapter 5) keeps one inverse Jacobian throughout: here `inverse`, the inverse information at
    the full-data estimate, where every row of theta (R, K) starts. An iteration then costs one batch of
    gradients and one matrix product for all replicates at once, instead of a factorisation per replicate
    and iteration. Convergence is linear, at a rate set by how far a replicate's information is from the
    full data's: a few percent for a bootstrap, so three or four iterations.

    gradients(theta, iteration) -> (R, K) gradients of the replicates' penalised log-likelihoods (at
    iteration 0 every row still equals the start). A replicate has settled when the largest change still to
    come, estimated from the contraction q of its successive steps (the geometric tail ``step * q / (1 -
    q)``), is below `tol`, or its step is below a thousandth of `tol`, or two successive steps are below `tol`
    and stopped shrinking (q >= 1/2: the steps are then the rounding of the precision's arithmetic, about 2e-7 in
    single precision for a model with thousands of games, which moves them up and down and would never meet the
    geometric test; what is left to come is of their size, below `tol`). Iteration stops
    when no unsettled replicate is still contracting. Returns the (R,) mask of replicates that did not settle or whose
    parameters are not finite, for the caller to refit alone with Newton's method.
    """
    previous = np.full(len(theta), np.inf)
    unsettled = np.ones(len(theta), dtype=bool)
    for iteration in range(max_iter):
        step = product(gradients(theta, iteration), inverse)
        theta += step
        size = np.abs(step).max(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(np.isfinite(previous) & (previous > 0), size / previous, 1.0)
            remaining = np.where(ratio < 0.95, size * ratio / (1.0 - ratio), np.inf)
        at_floor = (size < tol) & (previous < tol) & (ratio >= 0.5)  # two small steps, no longer shrinking
        unsettled = ~(remaining < tol) & ~(size < 1e-3 * tol) & ~at_floor
        contracting = unsettled & (ratio < 0.95) & np.isfinite(size)
        if not contracting.any() and (iteration > 0 or not unsettled.any()):
            break
        previous = size
    return unsettled | ~np.isfinite(theta).all(axis=1)


def fit_replicates(start: BradleyTerryFit, design: PairDesign, stats: Stats, *, tol: float | None = None,
                   max_iter: int = 100) -> tuple[np.ndarray, int]:
    """Fit R bootstrap replicates together from the full-data fit (`chord_replicates`).

    Pair-level terms are computed in the precision of the statistics: single precision for large problems,
    with a default `tol` of 1e-6 in log-strength (2e-4 Elo points, far below any bootstrap's resolution);
    double precision otherwise, with `tol` 1e-10. A replicate without finite maximum-likelihood ratings (its win
    graph is not strongly connected: `stats.separation`, from `replicate_separation`) is fitted alone by Newton's
    method with the weak ridge AUTO_RIDGE, as the point estimate is when its own ratings do not exist; iterated
    without it, such a replicate drifts until its probabilities round to 0 or 1 and its ratings are an artefact of
    the arithmetic. Replicates that do not settle are refitted one by one with Newton's method (with the same
    ridge if that does not converge either). Returns the (R, K) parameters and the number of replicates whose
    maximum-likelihood ratings do not exist (fitted with a ridge: the fit's own, or AUTO_RIDGE).
    """
    precision = stats.games.dtype.type
    if tol is None:
        tol = 1e-10 if precision is np.float64 else 1e-6
    rounds = stats.games.shape[0]
    theta = np.repeat(start.params[None, :], rounds, axis=0)
    separated = stats.separation.replicates if stats.separation is not None else np.zeros(rounds, dtype=bool)
    ridged = int(separated.sum())
    alone = np.flatnonzero(separated) if not start.regularization else np.zeros(0, dtype=int)
    together = np.flatnonzero(~separated) if len(alone) else np.arange(rounds)
    batch = stats if len(together) == rounds else stats.rows(together)
    second_games = design.to_second(batch.games)

    def gradients(theta: np.ndarray, iteration: int) -> np.ndarray:
        return gradient(theta, batch, design, start.layout, start.regularization, second_games, precision=precision,
                        shared=iteration == 0)

    fitted = theta[together] if len(alone) else theta
    unsettled = chord_replicates(fitted, start.inverse, gradients, tol=tol, max_iter=max_iter)
    theta[together] = fitted
    for index in together[unsettled]:
        theta[index], needed_ridge = _refit_one(start, design, stats.row(int(index)), min(tol, 1e-9))
        ridged += needed_ridge
    for index in alone:
        theta[index] = _refit_one(start, design, stats.row(int(index)), min(tol, 1e-9), plain=False)[0]
    return theta, ridged


def _refit_one(start: BradleyTerryFit, design: PairDesign, stats: Stats, tol: float, *,
               plain: bool = True) -> tuple[np.ndarray, bool]:
    """Newton fit of one replicate: plain maximum likelihood (unless `plain` is False), else, or when that does
    not converge to finite ratings, with the fit's ridge or AUTO_RIDGE. Returns the parameters and whether a
    ridge the fit does not have was needed."""
    layout = start.layout
    theta0 = np.where(np.isfinite(start.params), start.params, 0.0)
    if plain:
        try:
            theta, _ = _newton(theta0.copy(), stats, design, layout, start.regularization, tol, 100)
            if np.max(np.abs(theta)) < 50:
                return theta, False
        except (InputError, np.linalg.LinAlgError):  # no finite maximum, or a model without games in the replicate
            pass
    ridge = start.regularization or AUTO_RIDGE  # it bounds the strengths, not a first-position effect
    theta, _ = _newton(theta0.copy(), stats, design, layout, ridge, tol, 500, in_replicates=True)
    return theta, not start.regularization


# --- existence of the maximum-likelihood ratings ----------------------------------------------------------


@dataclass(frozen=True)
class Separation:
    """Which bootstrap replicates have no finite maximum-likelihood ratings, and the models concerned.

    replicates: (R,) True where the replicate's win graph is not strongly connected (Zermelo 1929; Ford 1957);
    above, below: (R, M) True for the models with games in the replicate whose maximum-likelihood ratings would be
    infinitely far above (below) where the ratings are measured from (`_beyond`); absent: (R, M) True for the
    models without a game in the replicate, whose rating it does not determine at all (the ridge puts it at the
    average of the others'): a cause of its own, neither a model that won nor one that lost all its games.
    """

    replicates: np.ndarray
    above: np.ndarray
    below: np.ndarray
    absent: np.ndarray


def win_edges(first: np.ndarray, second: np.ndarray, score: np.ndarray, games: np.ndarray,
              n_models: int) -> tuple[np.ndarray, np.ndarray]:
    """The directed edges "i scored against j" of comparisons (pair counts or single rows, weighted):
    i -> j where first i scored (at least partly) against second j, j -> i where i's score is below the games.

    Returns the index of the comparison each edge comes from and the edge's code i * n_models + j.
    """
    won, lost = np.flatnonzero(score > 0), np.flatnonzero(games - score > 0)
    return (np.concatenate([won, lost]),
            np.concatenate([first[won] * n_models + second[won], second[lost] * n_models + first[lost]]))


def win_groups(first: np.ndarray, second: np.ndarray, score: np.ndarray, games: np.ndarray,
               n_models: int) -> np.ndarray:
    """Each model's group among the strongly connected components of the "i scored against j" graph
    (`win_edges`): one group for all models exactly when maximum-likelihood ratings exist (`check_identifiable`),
    and only a comparison between two groups can join them."""
    from scipy.sparse.csgraph import connected_components

    adjacency = _graph(win_edges(first, second, score, games, n_models)[1], n_models)
    return connected_components(adjacency, directed=True, connection="strong")[1]


def _graph(codes: np.ndarray, n_models: int) -> np.ndarray:
    adjacency = np.zeros(n_models * n_models, dtype=bool)
    adjacency[codes] = True
    return adjacency.reshape(n_models, n_models)


def _strongly_connected(adjacency: np.ndarray) -> bool:
    return bool(_reachable(adjacency, 0).all() and _reachable(adjacency.T, 0).all())


def _spanning_edges(adjacency: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Codes of the edges of a tree from model 0 to every model and of one from every model to 0, in a strongly
    connected graph, each code once: a graph with all of them is strongly connected (2 (M - 1) edges at most).
    Each tree grows as Prim's (1957) does, one model at a time, by the edge with the most `support` from the
    models it already reaches, so that it is made of the edges a replicate is least likely to lose."""
    m = len(adjacency)
    codes = []
    for forward in (True, False):
        graph, weight = (adjacency, support) if forward else (adjacency.T, support.T)
        reached = np.zeros(m, dtype=bool)
        best, parent = np.full(m, -1.0), np.zeros(m, dtype=int)
        joined = 0
        for _ in range(m - 1):
            reached[joined] = True
            better = graph[joined] & ~reached & (weight[joined] > best)
            best[better], parent[better] = weight[joined][better], joined
            joined = int(np.where(reached, -np.inf, best).argmax())
            codes.append(parent[joined] * m + joined if forward else joined * m + parent[joined])
    return np.unique(np.array(codes, dtype=int))


def _beyond(adjacency: np.ndarray, reference: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(M,) masks of the models whose maximum-likelihood ratings would be infinitely above / below where the
    ratings are measured from, in a win graph, and of the models without a game in it (in neither of the others).

    From a `reference` model (the anchor): the models that never lost to it, directly or through other models,
    and those that never beat it (a model that never met it is both); in a graph where the reference itself has
    no game, no model is above or below it (the warning had counted all of them as both, "never lost to" and
    "never beat" the anchor, there), and only the absent models are marked. Without one the ratings are centred, so
    the ends are the groups of models that beat one another (strongly connected components) that lost to no model
    outside the group (they lost only to models they beat in turn, directly or through others), and those that
    beat none outside it: a model between two such groups is at neither end. (Measured from a model of the
    largest group, a replicate where a > b > c, every group one model, was measured from whichever model scipy
    labelled first, and the warning said that b, which lost every game to a, had lost to none.)"""
    present = np.asarray(adjacency.any(axis=0) | adjacency.any(axis=1))
    if reference is not None:
        if not present[reference]:
            return np.zeros_like(present), np.zeros_like(present), ~present
        beaten, beating = _reachable(adjacency, reference), _reachable(adjacency.T, reference)
        return ~beaten & present, ~beating & present, ~present
    _, group, _, lost_outside, won_outside = _win_groups_outside(adjacency)
    split = len(np.unique(group[present])) > 1  # the models with games are not all one group
    return present & split & ~lost_outside[group], present & split & ~won_outside[group], ~present


def replicate_separation(draws: np.ndarray, unit: np.ndarray, edge: np.ndarray, n_models: int,
                         reference: int | None = None, support: np.ndarray | None = None) -> Separation:
    """Which of R replicates have no finite maximum-likelihood ratings (Ford 1957), exactly and cheaply.

    draws: (R, U) how often each unit (a question, or a pair's wins and losses) is drawn in each replicate;
    unit, edge: the win-graph edges each unit carries (`win_edges` codes): together the full data's win graph,
    an edge only where the data has a win in that direction (an edge no replicate can keep would send every
    replicate to the exact check); support: how many games carry each (unit, edge) entry (one each by default),
    for the screen's choice of edges; reference: the model the ratings are measured from (`_beyond`). A replicate
    keeps an edge when it draws a unit carrying it. Replicates that keep every edge of `_spanning_edges` (one
    sparse matrix product per block of replicates) are strongly connected; only the others are checked edge by
    edge. When the full data is not strongly connected, no replicate (a subset of its edges) is either. Memory
    stays near _SCREEN_BYTES whatever the number of replicates, units and suspects.
    """
    m, rounds = n_models, len(draws)
    counts = np.bincount(edge, support, minlength=m * m).reshape(m, m)
    full = counts > 0
    if not _strongly_connected(full):
        return Separation(np.ones(rounds, dtype=bool), *(np.repeat(mask[None, :], rounds, axis=0)
                                                         for mask in _beyond(full, reference)))
    spanning = _spanning_edges(full, counts)
    column = np.full(m * m, -1)
    column[spanning] = np.arange(len(spanning))
    tree = column[edge]
    on_tree = np.flatnonzero(tree >= 0)
    from scipy import sparse

    n_units = draws.shape[1]
    carries = sparse.csr_matrix((np.ones(len(on_tree), dtype=np.float32), (tree[on_tree], unit[on_tree])),
                                shape=(len(spanning), n_units))
    units = sparse.csr_matrix((np.ones(len(edge), dtype=np.float32), (edge, unit)), shape=(m * m, n_units))
    separation = Separation(np.zeros(rounds, dtype=bool), *(np.zeros((rounds, m), dtype=bool) for _ in range(3)))
    # replicates in blocks, so that their single-precision draws and win graphs stay near _SCREEN_BYTES
    block = max(1, _SCREEN_BYTES // (4 * (n_units + m * m)))
    for start in range(0, rounds, block):
        drawn = (draws[start:start + block] > 0).astype(np.float32).T
        suspects = np.flatnonzero(~(carries @ drawn > 0).all(axis=0))
        if not len(suspects):
            continue
        edges = units @ drawn[:, suspects] > 0
        for k, index in enumerate(suspects + start):
            graph = edges[:, k].reshape(m, m)
            if not _strongly_connected(graph):
                separation.replicates[index] = True
                separation.above[index], separation.below[index], separation.absent[index] = _beyond(graph,
                                                                                                      reference)
    return separation


def _reachable(adjacency: np.ndarray, start: int) -> np.ndarray:
    seen = np.zeros(len(adjacency), dtype=bool)
    seen[start] = True
    frontier = seen.copy()
    while frontier.any():
        frontier = adjacency[frontier].any(axis=0) & ~seen
        seen |= frontier
    return seen


def _win_groups_outside(adjacency: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The groups of models that beat one another (strongly connected components of a win graph): their number,
    each model's group, the win edges between groups, and per group whether it lost to, and whether it beat, a
    model outside it."""
    from scipy.sparse.csgraph import connected_components

    n_groups, group = connected_components(adjacency, directed=True, connection="strong")
    across = adjacency & (group[:, None] != group[None, :])
    lost_outside = np.bincount(group[np.nonzero(across)[1]], minlength=n_groups) > 0
    won_outside = np.bincount(group[np.nonzero(across)[0]], minlength=n_groups) > 0
    return n_groups, group, across, lost_outside, won_outside


def _unbounded_groups(adjacency: np.ndarray, models: tuple[str, ...]) -> str:
    """Name the groups of models that never lost to, or never beat, the models outside their group they met, naming
    those too: "m00, m01 and 9 more never lost to the others" read as if m00 had never lost, when it had lost 14
    games within its group and "the others" was m11 alone."""
    n_groups, group, beats, lost_outside, won_outside = _win_groups_outside(adjacency)
    met_outside = lost_outside | won_outside  # a group that met no other is one of `unlinked_groups`, not this

    def opponents(g: int) -> str:
        inside = group == g
        met = (beats[inside].any(axis=0) | beats[:, inside].any(axis=1)) & ~inside
        return first_few([models[k] for k in np.flatnonzero(met)], 4)

    parts = [f"{_members(group, g, models)} never lost to {opponents(g)}" for g in range(n_groups)
             if met_outside[g] and not lost_outside[g]]
    parts += [f"{_members(group, g, models)} never beat {opponents(g)}" for g in range(n_groups)
              if met_outside[g] and not won_outside[g]]
    return _listed(parts, "group")


def comparison_groups(counts: PairCounts) -> np.ndarray:
    """Each model's group among the connected components of the comparison graph (an edge where two models met,
    in either order). Models of two groups were never compared, directly or through others: nothing in the data
    orders them, and their ratings' distance is set by the fit's centring or ridge alone."""
    from scipy.sparse.csgraph import connected_components

    met = counts.games > 0
    adjacency = _graph(counts.first[met] * counts.n_models + counts.second[met], counts.n_models)
    return connected_components(adjacency, directed=False)[1]


def unlinked_groups(counts: PairCounts) -> str:
    """Name the groups of `comparison_groups` when there are several (empty when every model is linked)."""
    group = comparison_groups(counts)
    n_groups = int(group.max(initial=0)) + 1
    if n_groups < 2:
        return ""
    return _listed([_members(group, g, counts.models) for g in range(n_groups)], "group", separator=" | ")


def _members(group: np.ndarray, g: int, models: tuple[str, ...], shown: int = 4) -> str:
    return first_few([models[k] for k in np.flatnonzero(group == g)], shown)


def _listed(parts: list[str], noun: str, separator: str = "; ", shown: int = 4) -> str:
    """`parts` joined, at most `shown` of them, then how many more `noun`s there are."""
    more = len(parts) - shown
    return separator.join(parts[:shown]) + (f"{separator}and {more} more {noun}{'s' if more > 1 else ''}"
                                            if more > 0 else "")


def _win_graph(counts: PairCounts) -> np.ndarray:
    """The directed graph "i scored against j" of `counts`, as an (M, M) boolean adjacency matrix."""
    return _graph(win_edges(counts.first, counts.second, counts.score, counts.games, counts.n_models)[1],
                  counts.n_models)


def unbounded_groups(counts: PairCounts) -> str:
    """Name the groups of models whose maximum-likelihood ratings would be infinite: those that never lost to, or
    never beat, the models outside their group they met (empty where the ratings exist, or where only groups that
    met no other model keep them from existing: `unlinked_groups` names those)."""
    adjacency = _win_graph(counts)
    return "" if _strongly_connected(adjacency) else _unbounded_groups(adjacency, counts.models)


def check_identifiable(counts: PairCounts, layout: Layout | None = None) -> None:
    """Raise InputError unless maximum-likelihood ratings exist (Ford 1957; Zermelo 1929).

    They exist when the directed graph "i scored against j" is strongly connected: every model both
    won (at least partly) against and lost to others along some chain. Otherwise some ratings are
    infinite, and the message (`NoMaximumLikelihood`) names the models concerned.
    """
    adjacency = _win_graph(counts)
    if _strongly_connected(adjacency):
        _check_tie_share(counts, layout)
        return
    met = adjacency | adjacency.T
    together = _reachable(met, 0)
    if not together.all():
        apart = [counts.models[k] for k in np.flatnonzero(~together)][:5]
        raise NoMaximumLikelihood(f"the models do not form one connected comparison graph (for example "
                                  f"{', '.join(apart)} never meet {counts.models[0]} through any chain of games), so "
                                  "their ratings cannot be compared")
    raise NoMaximumLikelihood(f"maximum-likelihood ratings do not exist: {_unbounded_groups(adjacency, counts.models)}"
                              ", so their ratings would be infinite")


class NoMaximumLikelihood(InputError):
    """Plain maximum-likelihood ratings (no ridge) asked of outcomes where they do not exist (`check_identifiable`):
    a ridge penalty or more comparisons give finite ones. Its own class, so that the caller that knows how the user
    set the ridge says how to set it (`leaderboard`: a flag of one command is a file's setting for another)."""


def automatic_ridge(counts: PairCounts) -> float:
    """The ridge of a fit whose regularization is not chosen: 0 (plain maximum likelihood) where the
    maximum-likelihood ratings exist (`check_identifiable`), else the weak AUTO_RIDGE."""
    try:
        check_identifiable(counts)
    except InputError:
        return AUTO_RIDGE
    return 0.0


class TiesUnmodelled(InputError):
    """Davidson's tie model asked of outcomes with no tie, or with nothing but ties: its tie ratio nu has no
    finite, nonzero estimate. Its own class, so that the caller that knows how the user chose the tie model
    says how to choose the other (`leaderboard`)."""


def _check_tie_share(counts: PairCounts, layout: Layout | None) -> None:
    if layout is not None and layout.davidson:
        share = counts.total_ties() / counts.games.sum()
        if not 0 < share < 1:
            raise TiesUnmodelled("the Davidson tie model needs some ties and some decisive games, and "
                                 f"{'none of these outcomes is a tie' if share == 0 else 'every outcome is a tie'}")

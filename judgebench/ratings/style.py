"""Style control: Bradley-Terry with answer-length and markdown covariates, as arena-hard-auto v2 defines them.

A judge that prefers longer or more decorated answers inflates the ratings of verbose models. Style control
(Li et al., "Does style matter? Disentangling style and substance in Chatbot Arena", LMSYS blog, 2024;
arena-hard-auto v2, `show_result.py --control-features length markdown`) adds the style differences of the two
answers to the Bradley-Terry logistic model:

    logit P(a beats b) = beta_a - beta_b + sum_k gamma_k * z_k.

The covariates follow arena-hard-auto v2 (`print_leaderboard_with_style_features` and
`utils/add_markdown_info.py`), from per-answer counts (`counts.STYLE_COUNTS`: tokens, and the markdown headers,
list items and bold spans of `datasets.fields.answer_metadata`, counted with code blocks removed):

- length: (tokens_a - tokens_b) / (tokens_a + tokens_b);
- for each markdown count c: density d = c / (tokens + 1), then (d_a - d_b) / (d_a + d_b + 1);
- every column divided by its root mean square over the outcomes, so gamma_k is the change in log-odds per
  typical size of that style difference. arena-hard-auto also centres each column (subtracts its mean), which is
  harmless where side a is a random side, as in Chatbot Arena's battles. judgebench orients outcomes by model
  name, so the mean style difference is not zero, and a centred column's mean times its coefficient would act
  as a bonus for the side listed first (the strengths of an ordered and a random-sides fit of the same
  outcomes differed by up to 0.08 log-odds in tests/test_style.py). Scaling about zero keeps the fit the same
  whichever side of each pair is called a.

A feature that is the same in every outcome (the markdown densities of plain-text answers, all zero) has no
estimable effect: it is left out of the fit and named in `Covariates.dropped`, so plain-text answers are
controlled for length alone.

`length_covariate` gives the judge-diagnostic variant with length alone (`diagnostics.length_effect`): the
log length ratio log2(length_a / length_b), not scaled, so its coefficient is the change in
log-odds per doubling of one answer's length over the other's. arena-hard-auto's length difference over the sum
is tanh(ln(length_a / length_b) / 2), the same measure squeezed into [-1, 1]; AlpacaEval's length-controlled
GLM (Dubois et al. 2024, "Length-Controlled AlpacaEval") also regresses the judge's preference on the length
difference next to the models' terms.

The beta are the style-adjusted abilities (on the Elo scale through `bradley_terry.to_elo`); the gamma are
reported with their own intervals. The fit is maximum likelihood with soft labels (score_a in [0, 1], ties half)
and outcome weights by the shared Newton driver (`bradley_terry.newton`). Bootstrap replicates (questions drawn
with replacement, `intervals.question_weights`) are fitted together by chord iterations from the full-data
estimate with its inverse information (`bradley_terry.chord_replicates`, as for plain fits); the sandwich
covariance is clustered by question.

A replicate can lack a finite fit although every model in it won and lost: a feature that is zero in most
outcomes (the bold density of answers without bold text) can tell every winner's answer from the loser's in the
few outcomes where it is not, and its coefficient then grows without bound, however the strengths are held (the
ridge holds only them). Such replicates (those fitted alone whose Newton fit runs off) are confirmed exactly, as
a linear programme that also gives the direction (`separating_direction`: Albert &
Anderson, "On the existence of maximum likelihood estimates in logistic regression models", Biometrika 71, 1984;
Konis 2007, "Linear programming algorithms for detecting separated data in binary logistic regression models"),
fitted with the weak ridge on the coefficients too, counted and warned of (`unbounded_warning`), as the plain
bootstrap's replicates without finite ratings are.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse

from judgebench.errors import InputError
from judgebench.ratings import bradley_terry as bt
from judgebench.ratings import intervals as iv
from judgebench.ratings.counts import CodedOutcomes, pair_counts

STYLE_FEATURES = ("length", "header_density", "list_density", "bold_density")
_REPLICATE_CELLS = 16_000_000  # replicates x outcomes handled at once by the batched iterations
_SATURATED = 30.0  # log-odds beyond which a replicate's fit is suspected of running off (P = 1 - 1e-13)


def raw_covariates(style_a: np.ndarray, style_b: np.ndarray) -> np.ndarray:
    """(N, 4) arena-hard-auto v2 style differences of side a over side b, before scaling.

    style_a, style_b: (N, 4) counts (tokens, headers, lists, bold) of each side's answer.
    """
    tokens_a, tokens_b = style_a[:, 0], style_b[:, 0]
    total = tokens_a + tokens_b
    with np.errstate(invalid="ignore", divide="ignore"):
        length = np.where(total > 0, (tokens_a - tokens_b) / total, 0.0)
    density_a = style_a[:, 1:] / (tokens_a[:, None] + 1.0)
    density_b = style_b[:, 1:] / (tokens_b[:, None] + 1.0)
    markdown = (density_a - density_b) / (density_a + density_b + 1.0)
    return np.column_stack([length, markdown])


@dataclass(frozen=True)
class Covariates:
    """Style covariates: values (N, K) after dividing by `scale`; `names` (K) the features fitted, `dropped`
    those left out because they are the same in every outcome."""

    values: np.ndarray
    scale: np.ndarray
    names: tuple[str, ...] = STYLE_FEATURES
    dropped: tuple[str, ...] = ()

    @classmethod
    def of(cls, coded: CodedOutcomes) -> Covariates:
        """The scaled covariates of coded outcomes (module docstring), without the features that never vary; an
        InputError when the outcomes carry no style counts, no token counts, or no varying feature."""
        if coded.style_a is None or coded.style_b is None:
            raise InputError("style control needs the style counts of both answers: columns tokens_a, headers_a, "
                             "lists_a, bold_a and the same with _b (an answer's n_tokens, n_headers, n_list_items "
                             "and n_bold metadata)")
        if not (coded.style_a[:, 0].any() or coded.style_b[:, 0].any()):
            raise InputError("style control: the answers give no token counts (n_tokens; tokens_a and tokens_b are "
                             "0 in every outcome), so length cannot be controlled: add n_tokens to the answers")
        raw = raw_covariates(coded.style_a, coded.style_b)
        scale = np.sqrt(np.mean(raw ** 2, axis=0))
        varies = raw.std(axis=0) > 0
        if not varies.any():
            raise InputError(f"style control: every style difference ({', '.join(STYLE_FEATURES)}) is the same in "
                             "every outcome, so no style effect can be estimated")
        return cls(values=raw[:, varies] / scale[varies], scale=scale[varies],
                   names=tuple(name for name, kept in zip(STYLE_FEATURES, varies, strict=True) if kept),
                   dropped=tuple(name for name, kept in zip(STYLE_FEATURES, varies, strict=True) if not kept))


LENGTH_RATIO = "log2_length_ratio"


def length_covariate(length_a: np.ndarray, length_b: np.ndarray) -> Covariates:
    """The one covariate of a length-only fit: log2(length_a / length_b), not scaled (see the module
    docstring); lengths must be positive."""
    values = np.log2(np.asarray(length_a, dtype=float) / np.asarray(length_b, dtype=float))[:, None]
    return Covariates(values=values, scale=np.ones(1), names=(LENGTH_RATIO,))


def incidence(model_a: np.ndarray, model_b: np.ndarray, n_models: int) -> sparse.csr_matrix:
    """Sparse (N, M) design of the strengths: +1 at model_a, -1 at model_b (built row by row, two entries each,
    without sorting)."""
    n = len(model_a)
    indices = np.column_stack([model_a, model_b]).ravel()
    return sparse.csr_matrix((np.tile([1.0, -1.0], n), indices, np.arange(0, 2 * n + 1, 2)), shape=(n, n_models))


def explained_by_models(model_a: np.ndarray, model_b: np.ndarray, n_models: int, z: np.ndarray) -> bool:
    """Whether the covariate z is (to rounding) f(model_a) - f(model_b) for some per-model f, so that its effect
    cannot be told apart from the strengths (as for the log length ratio when every model writes the same length
    everywhere): least squares of z on the `incidence` (LSQR)."""
    from scipy.sparse.linalg import lsqr

    design = incidence(model_a, model_b, n_models)
    solution = lsqr(design, z, atol=1e-12, btol=1e-12)[0]
    return bool(np.linalg.norm(design @ solution - z) <= 1e-6 * np.linalg.norm(z))


@dataclass(frozen=True)
class _Rows:
    """The outcome rows as the fit sees them: sides, soft scores, weights, covariates and the (N, M) incidence."""

    model_a: np.ndarray
    model_b: np.ndarray
    score: np.ndarray
    weight: np.ndarray
    z: np.ndarray
    n_models: int

    @cached_property
    def incidence(self) -> sparse.csr_matrix:
        """Sparse (N, M): +1 at model_a, -1 at model_b; eta = incidence @ beta + z @ gamma."""
        return incidence(self.model_a, self.model_b, self.n_models)

    @cached_property
    def by_model(self) -> sparse.csr_matrix:
        """The transposed incidence (M, N), stored row-major for the scatter of residuals onto models."""
        return self.incidence.T.tocsr()

    def eta(self, theta: np.ndarray) -> np.ndarray:
        """(N, R) linear predictors for (R, M + K) parameters (outcomes along the first axis, so every
        product below reads contiguous memory)."""
        m = self.n_models
        beta = np.ascontiguousarray(theta[:, :m].T)
        eta = np.einsum("nk,rk->nr", self.z, theta[:, m:])  # no BLAS: thin products stall its threads
        eta += np.take(beta, self.model_a, axis=0)
        eta -= np.take(beta, self.model_b, axis=0)
        return eta

    def gradient(self, theta: np.ndarray, weight: np.ndarray, regularization: float) -> np.ndarray:
        """(R, M + K) gradient of the log-likelihood under (N, R) row weights."""
        residual = bt._sigmoid_inplace(self.eta(theta))
        np.subtract(self.score[:, None], residual, out=residual)
        residual *= weight
        m = self.n_models
        grad = np.empty_like(theta)
        grad[:, :m] = (self.by_model @ residual).T - regularization * theta[:, :m]
        grad[:, m:] = np.einsum("nk,nr->rk", self.z, residual)  # no BLAS: thin products stall its threads
        return grad

    def information(self, theta: np.ndarray, regularization: float) -> np.ndarray:
        """(M + K, M + K) observed information at one parameter vector (full data)."""
        p = bt.expected_score(self.eta(theta[None, :])[:, 0])
        c = self.weight * p * (1.0 - p)
        m = self.n_models
        cz = c[:, None] * self.z
        scaled = sparse.diags(c) @ self.incidence
        info = np.empty((len(theta), len(theta)))
        info[:m, :m] = (self.by_model @ scaled).toarray() + regularization * np.eye(m)
        info[:m, m:] = self.by_model @ cz
        info[m:, :m] = info[:m, m:].T
        info[m:, m:] = np.einsum("nk,nl->kl", self.z, cz)
        return info

    def log_likelihood(self, theta: np.ndarray, regularization: float) -> float:
        eta = self.eta(theta[None, :])[:, 0]
        m = self.n_models
        value = float(self.weight @ (self.score * eta - np.logaddexp(0.0, eta)))
        return value - 0.5 * regularization * float(theta[:m] @ theta[:m])


@dataclass(frozen=True)
class StyleFit:
    """A style-controlled Bradley-Terry fit: params = (beta_1..beta_M, gamma_1..gamma_K), mean-zero beta."""

    models: tuple[str, ...]
    params: np.ndarray
    information: np.ndarray
    log_likelihood: float
    iterations: int
    regularization: float
    covariates: Covariates
    groups: np.ndarray | None = None

    @property
    def n_models(self) -> int:
        return len(self.models)

    @property
    def strengths(self) -> np.ndarray:
        return self.params[: self.n_models]

    @property
    def coefficients(self) -> np.ndarray:
        return self.params[self.n_models:]

    @cached_property
    def inverse(self) -> np.ndarray:
        centred = bt._centred(self.information, bt.Layout(self.n_models), self.regularization, self.groups)
        return np.linalg.solve(centred, np.eye(len(centred)))


def _rows(coded: CodedOutcomes, covariates: Covariates) -> _Rows:
    return _Rows(coded.model_a, coded.model_b, coded.score_a, coded.weight, covariates.values, coded.n_models)


def fit(coded: CodedOutcomes, covariates: Covariates | None = None, *, regularization: float = 0.0,
        groups: np.ndarray | None = None, tol: float = 1e-9, max_iter: int = 100) -> StyleFit:
    """Maximum-likelihood style-controlled Bradley-Terry fit of coded outcomes (see the module docstring).

    Starts from the plain Bradley-Terry strengths (which need the same connected comparison graph) with
    zero style effects. `regularization` is the ridge on the strengths, as in `bradley_terry.fit`.
    `groups`: each model's group, for outcomes that compare models only within groups, each group's win graph
    strongly connected (`diagnostics.length_effect`): the strengths are then identified within each group only
    (the inverse information serves contrasts within a group and the covariates), and the fit starts from zero
    strengths.
    """
    covariates = covariates if covariates is not None else Covariates.of(coded)
    rows = _rows(coded, covariates)
    weight = rows.weight[:, None]
    layout = bt.Layout(coded.n_models)
    if groups is None:
        strengths = bt.fit(pair_counts(coded), regularization=regularization).strengths
    else:
        strengths = np.zeros(coded.n_models)

    def terms(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad = rows.gradient(theta[None, :], weight, regularization)[0]
        return grad, bt._centred(rows.information(theta, regularization), layout, regularization, groups)

    theta0 = np.concatenate([strengths, np.zeros(covariates.values.shape[1])])
    theta, iterations = bt.newton(theta0, terms, lambda x: rows.log_likelihood(x, regularization), tol=tol,
                                  max_iter=max_iter)
    if not regularization:
        theta[: coded.n_models] -= theta[: coded.n_models].mean()
    return StyleFit(models=coded.models, params=theta, information=rows.information(theta, regularization),
                    log_likelihood=rows.log_likelihood(theta, regularization), iterations=iterations,
                    regularization=regularization, covariates=covariates, groups=groups)


def fit_replicates(start: StyleFit, coded: CodedOutcomes, question_weights: np.ndarray, *, tol: float = 1e-7,
                   max_iter: int = 100, separated: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(R, M + K) fits of bootstrap replicates given as (R, Q) question draw counts, fitted together, and the
    (R, K) directions in which each replicate's style coefficients have no finite estimate (`unbounded`).

    `bradley_terry.chord_replicates` from the full-data estimate, in blocks of replicates sized to bound
    memory, to a remaining change below `tol` (1e-7 in log-strength is 2e-5 Elo points, far below any
    bootstrap's resolution); a replicate that does not settle is refitted alone with `bradley_terry.newton`
    (with a tiny ridge when its maximum-likelihood strengths do not exist). `separated`: (R,) the replicates
    known to have no finite maximum-likelihood strengths (`intervals.question_separation`), fitted alone with
    the weak ridge `bradley_terry.AUTO_RIDGE` (or the fit's own), as plain Bradley-Terry replicates are.

    A replicate fitted alone whose verdicts a direction of the style coefficients separates (`separating_direction`;
    with the strengths' share of it where nothing holds them) has no finite fit: it is fitted with the weak ridge on
    the strengths and on the coefficients, and `unbounded` holds the sign of each coefficient's share of that
    direction (-1: it would run to minus infinity; 0 where it is finite, and in every other replicate).

    A feature absent from a replicate (zero in every outcome it draws) holds its start, the full-data estimate,
    in both paths: the replicate has no information about it, so that is what the percentile interval should
    see. (Its gradient is zero, but the chord iterations' fixed inverse moved it through its cross terms, 1.28 to
    1.92 about an estimate of 1.66 in one case, and the weak ridge on the coefficients pulled it towards 0, too
    slowly to settle.)
    """
    rows = _rows(coded, start.covariates)
    rounds = len(question_weights)
    theta = np.repeat(start.params[None, :], rounds, axis=0)
    unbounded = np.zeros((rounds, len(start.coefficients)), dtype=np.int8)
    separated = np.zeros(rounds, dtype=bool) if separated is None else separated
    block = max(1, _REPLICATE_CELLS // max(1, len(rows.score)))
    for lo in range(0, rounds, block):
        weight = np.ascontiguousarray(question_weights[lo:lo + block, coded.question].T) * rows.weight[:, None]
        _fit_block(start, rows, weight, theta[lo:lo + block], tol, max_iter, separated[lo:lo + block],
                   unbounded[lo:lo + block])
    return theta, unbounded


def _fit_block(start: StyleFit, rows: _Rows, weight: np.ndarray, theta: np.ndarray, tol: float,
               max_iter: int, separated: np.ndarray, unbounded: np.ndarray) -> None:
    """Fit the replicates of one block, in place: theta (B, M + K) from the full-data estimate, weight (N, B);
    the `separated` ones and those that do not settle alone (`_fit_alone`)."""
    together = np.flatnonzero(~separated)
    some = len(together) < len(theta)  # copies only when some replicates are fitted alone
    fitted, batch = (theta[together], np.ascontiguousarray(weight[:, together])) if some else (theta, weight)
    unsettled = bt.chord_replicates(fitted, start.inverse, lambda x, _: rows.gradient(x, batch, start.regularization),
                                    tol=tol, max_iter=max_iter)
    theta[together] = fitted
    # the others' steps do not depend on an absent feature's coefficient, so holding it changes nothing else
    theta[:, rows.n_models:] = np.where(_absent(rows, weight), start.coefficients, theta[:, rows.n_models:])
    for index in together[unsettled]:
        theta[index], unbounded[index] = _fit_alone(start, rows, weight[:, index], separated=False)
    for index in np.flatnonzero(separated):
        theta[index], unbounded[index] = _fit_alone(start, rows, weight[:, index], separated=True)


def _absent(rows: _Rows, weight: np.ndarray) -> np.ndarray:
    """Which features are zero in every outcome that `weight` draws: (K,) for weight (N,), (B, K) for (N, B)."""
    return ~((weight > 0).T @ (rows.z != 0))


def _fit_alone(start: StyleFit, rows: _Rows, weight: np.ndarray, *, separated: bool) -> tuple[np.ndarray, np.ndarray]:
    """One replicate fitted alone, and the signs of its coefficients' unbounded directions (`fit_replicates`).

    Newton's method first, with the strengths held by the fit's ridge, by the weak AUTO_RIDGE in a `separated`
    replicate, else by nothing; its estimate stands where it settles with every predicted log-odds within
    +-_SATURATED (a fit that runs off along a separating direction gains about one unit of log-odds an iteration
    until its probabilities round to 0 and 1, where it stops or fails). Else a separating direction is looked for
    (`separating_direction`; with the strengths' share where nothing holds them): where there is one, the
    strengths and the coefficients are fitted with the weak ridge (the fit's own for the strengths, if it has
    one); where there is none, the strengths with a tiny ridge, as before."""
    held = bool(start.regularization) or separated
    ridge = (start.regularization or bt.AUTO_RIDGE) if separated else start.regularization
    finite = np.zeros(len(start.coefficients), dtype=np.int8)
    try:
        theta = _refit_one(start, rows, weight, ridge)
        if np.abs(rows.eta(theta[None, :])[weight > 0, 0]).max() <= _SATURATED:
            return theta, finite
    except (bt.NotConverged, np.linalg.LinAlgError):
        pass
    direction = separating_direction(rows, weight, strengths=not held)
    if direction is not None:
        return _refit_one(start, rows, weight, start.regularization or bt.AUTO_RIDGE, bt.AUTO_RIDGE), direction
    return _refit_one(start, rows, weight, ridge if held else None), finite


def separating_direction(rows: _Rows, weight: np.ndarray, *, strengths: bool) -> np.ndarray | None:
    """The signs (K,) of the style coefficients' share of a direction that separates the outcomes with positive
    `weight`, or None where there is none (the fit then exists, with the strengths held).

    Along such a direction (of the coefficients, and of the strengths too with `strengths`) no outcome's
    predicted score moves away from its score (1 or 0: towards it; a tie or soft score: not at all) and some move
    towards it, so the log-likelihood rises without bound and its maximum does not exist (Albert & Anderson 1984).
    Found as the linear programme of Konis (2007): maximise the summed signed movement over directions in the
    unit box; a positive maximum is a separating direction. A direction of the strengths alone means a win graph
    that is not strongly connected (`bradley_terry.replicate_separation`), which the callers know already, so
    only a direction with a share of the coefficients is returned."""
    from scipy.optimize import linprog

    used = weight > 0
    score = rows.score[used]
    design = sparse.csr_matrix(rows.z[used])
    if strengths:
        design = sparse.hstack([incidence(rows.model_a[used], rows.model_b[used], rows.n_models), design]).tocsr()
    sign = np.where(score >= 1.0, 1.0, np.where(score <= 0.0, -1.0, 0.0))
    decisive = sign != 0
    signed = sparse.diags(sign[decisive]) @ design[np.flatnonzero(decisive)]
    level = design[np.flatnonzero(~decisive)]
    result = linprog(-np.asarray(signed.sum(axis=0)).ravel(), A_ub=-signed, b_ub=np.zeros(signed.shape[0]),
                     A_eq=level if level.shape[0] else None, b_eq=np.zeros(level.shape[0]) if level.shape[0] else None,
                     bounds=(-1.0, 1.0), method="highs")
    k = rows.z.shape[1]
    if result.status != 0 or -result.fun <= 1e-6:
        return None
    present = (rows.z[used] != 0).any(axis=0)  # an absent feature's share moves nothing: it is arbitrary
    share = np.where(present & (np.abs(result.x[-k:]) > 1e-9), np.sign(result.x[-k:]), 0.0).astype(np.int8)
    return share if share.any() else None


def separating_features(coded: CodedOutcomes, covariates: Covariates, *, strengths: bool) -> tuple[str, ...]:
    """The features whose coefficients run off along a direction that separates all the outcomes
    (`separating_direction`; with the strengths' share where nothing holds them), for the error of a fit that
    has no finite solution; () where none does."""
    rows = _rows(coded, covariates)
    direction = separating_direction(rows, rows.weight, strengths=strengths)
    return () if direction is None else tuple(name for name, share in zip(covariates.names, direction, strict=True)
                                              if share)


def _refit_one(start: StyleFit, rows: _Rows, weight: np.ndarray, ridge: float | None = None,
               coefficient_ridge: float = 0.0) -> np.ndarray:
    """Newton fit of one replicate with `ridge` on the strengths; by default a tiny one (1e-6 per weighted
    outcome, or the fit's), for a replicate whose plain maximum-likelihood fit did not settle; `coefficient_ridge`
    on the style coefficients, for a replicate whose coefficients have no finite estimate."""
    layout = bt.Layout(rows.n_models)
    ridge = ridge if ridge is not None else start.regularization or 1e-6 * float(weight.sum())
    data = _Rows(rows.model_a, rows.model_b, rows.score, weight, rows.z, rows.n_models)
    m = rows.n_models
    # a feature that is zero in every outcome drawn has no information: it holds its start (`fit_replicates`),
    # unridged (its information gets 1 so that its Newton step, zero gradient over it, is 0)
    absent = _absent(rows, weight)
    ridged = np.where(absent, 0.0, coefficient_ridge)

    def terms(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad = data.gradient(theta[None, :], weight[:, None], ridge)[0]
        grad[m:] -= ridged * theta[m:]
        information = data.information(theta, ridge)
        information[m:, m:] += np.diag(ridged + absent)
        return grad, bt._centred(information, layout, ridge)

    def log_likelihood(theta: np.ndarray) -> float:
        return data.log_likelihood(theta, ridge) - 0.5 * float(ridged @ theta[m:] ** 2)

    theta, _ = bt.newton(start.params.copy(), terms, log_likelihood, tol=1e-9, max_iter=200)
    return theta


def unbounded_warning(unbounded: np.ndarray, names: tuple[str, ...], confidence: float) -> list[str]:
    """A warning (or none) for the bootstrap replicates whose style coefficients have no finite estimate
    (`fit_replicates`' `unbounded`, (R, K) signs), naming each feature concerned with the share of replicates.
    As for replicates without finite ratings (`leaderboard._separation_warning`), an end of a coefficient's
    percentile interval lies among such replicates, and is set by the ridge, when they are more than the
    interval's tail share ((1 - confidence) / 2) in that direction."""
    concerned = unbounded.any(axis=1)
    if not concerned.any():
        return []
    tail = (1.0 - confidence) / 2.0
    rounds = len(unbounded)
    said, ends = [], []
    for k, name in enumerate(names):
        share = np.abs(unbounded[:, k]).mean()
        if share:
            said.append(f"{name} in {share:.0%} of them")
        sides = [end for sign, end in ((1, "upper"), (-1, "lower")) if (unbounded[:, k] == sign).mean() > tail]
        if sides:
            ends.append(f"{'both ends' if len(sides) == 2 else f'the {sides[0]} end'} of {name}'s interval")
    verb = "is" if len(ends) == 1 and not ends[0].startswith("both") else "are"
    effect = (f": {' and '.join(ends)} {verb} set by the ridge, not by the data" if ends
              else ", too few to set an end of any interval")
    return [f"{int(concerned.sum())} of {rounds} bootstrap replicates have no finite style-controlled fit (a style "
            f"feature tells every winner's answer from the loser's where it is not zero: {', '.join(said)}), so they "
            f"were fitted with the weak ridge ({bt.AUTO_RIDGE:g}) on the style coefficients too{effect}; more "
            "questions give data-driven intervals"]


def sandwich_covariance(start: StyleFit, coded: CodedOutcomes) -> np.ndarray:
    """Covariance of the parameters clustered by question: ``H^-1 (sum_q s_q s_q^T) H^-1 * Q / (Q - 1)``
    (`intervals.sandwich_covariance`) from each question's score contributions to the abilities and the
    style coefficients."""
    rows = _rows(coded, start.covariates)
    eta = rows.eta(start.params[None, :])[:, 0]
    residual = rows.weight * (rows.score - bt.expected_score(eta))
    n_q, m = coded.n_questions, coded.n_models
    per_model = (np.bincount(coded.question * m + coded.model_a, residual, n_q * m)
                 - np.bincount(coded.question * m + coded.model_b, residual, n_q * m)).reshape(n_q, m)
    per_style = np.column_stack([np.bincount(coded.question, residual * column, n_q) for column in rows.z.T])
    return iv.sandwich_covariance(start.inverse, np.hstack([per_model, per_style]))


def coefficient_table(names: tuple[str, ...], estimate: np.ndarray, lower: np.ndarray,
                      upper: np.ndarray) -> dict[str, dict[str, float]]:
    """The style coefficients by feature name (log-odds per root mean square of the style difference)."""
    return {name: {"coefficient": float(estimate[k]), "lower": float(lower[k]), "upper": float(upper[k])}
            for k, name in enumerate(names)}


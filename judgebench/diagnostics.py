"""Judge diagnostics, each defined once: how far a judge's verdicts depend on where an answer is shown.

Every figure is computed from *discrete* verdicts (the side a game favours: p_first above, below or at 0.5),
never from averaged probabilities, so a judge that always leans towards the first answer with 60%
confidence shows a first-slot win rate of 1.0, not 0.6: the figure counts how often the position decided
the verdict. (FastChat's MT-Bench judge reports position consistency the same way, Zheng et al. 2023,
"Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena", section 3.3.)

The games behind these figures are those of the rated pairs: an outcome's per-order verdicts `p_ab`
(model_a shown first) and `p_ba` (model_a shown second). Games of pairs the swap policy left incomplete are
counted separately (`n_incomplete`), so the figures describe the verdicts the leaderboard rests on, and an
imported outcomes file gives the same figures as the store it came from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from judgebench.errors import InputError
from judgebench.verdicts import discrete

if TYPE_CHECKING:
    from judgebench.ratings.counts import PairCounts


def first_slot_verdicts(p_ab: ArrayLike, p_ba: ArrayLike) -> NDArray[np.float64]:
    """The probability that the answer shown first is better, for every judged order of every outcome.

    With model_a shown first that is `p_ab`; with model_a shown second the first answer is model_b's,
    so it is `1 - p_ba`. Orders not judged (NaN) are left out.
    """
    p_ab, p_ba = np.asarray(p_ab, dtype=float), np.asarray(p_ba, dtype=float)
    return np.concatenate([p_ab[np.isfinite(p_ab)], 1.0 - p_ba[np.isfinite(p_ba)]])


def first_slot_win_rate(p_first: ArrayLike) -> float:
    """Share of games won by the answer shown first, ties counting half (NaN without games).

    0.5 means no position bias; 1.0 means the first answer always won. `p_first` holds each game's
    probability that the first answer is better (`first_slot_verdicts` recovers it from outcomes).
    """
    verdicts = discrete(np.asarray(p_first, dtype=float))
    return float(verdicts.mean()) if verdicts.size else math.nan


def agreeing_orders(p_ab: ArrayLike, p_ba: ArrayLike) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(judged in both orders, the two orders' discrete verdicts agree) for each outcome."""
    p_ab, p_ba = np.asarray(p_ab, dtype=float), np.asarray(p_ba, dtype=float)
    both = np.isfinite(p_ab) & np.isfinite(p_ba)
    return both, both & (discrete(p_ab) == discrete(p_ba))


def position_consistency(p_ab: ArrayLike, p_ba: ArrayLike) -> float:
    """Share of pairs judged in both orders whose two discrete verdicts agree (NaN if none was).

    A pair whose verdict flips with the presentation order was decided by the position, not the answers.
    """
    both, agree = agreeing_orders(p_ab, p_ba)
    return float(agree.sum() / both.sum()) if both.any() else math.nan


def model_position_consistency(model_a: ArrayLike, model_b: ArrayLike, p_ab: ArrayLike, p_ba: ArrayLike,
                               n_models: int) -> NDArray[np.float64]:
    """`position_consistency` per model over the pairs it took part in; models are integer codes < n_models."""
    both, agree = agreeing_orders(p_ab, p_ba)
    a, b = np.asarray(model_a)[both], np.asarray(model_b)[both]
    agreed = agree[both].astype(float)
    judged = np.bincount(a, minlength=n_models) + np.bincount(b, minlength=n_models)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.bincount(a, agreed, n_models) + np.bincount(b, agreed, n_models)) / judged


def judge_figures(p_ab: ArrayLike | None, p_ba: ArrayLike | None) -> dict[str, float | None]:
    """The leaderboard meta's judge figures: position_consistency and first_slot_win_rate (None if unknown)."""
    if p_ab is None or p_ba is None:
        return {}
    return {"position_consistency": _finite(position_consistency(p_ab, p_ba)),
            "first_slot_win_rate": _finite(first_slot_win_rate(first_slot_verdicts(p_ab, p_ba)))}


# A judge that picks the answer in one slot in this share of games or more: a share f of verdicts that follow
# the slot, the rest even, gives 0.5 + f / 2, so at 0.75 at least half of its verdicts follow the position.
POSITION_BOUND_RATE = 0.75
POSITION_BOUND_GAMES = 20  # the fewest games the warning is given on
# The warning needs the rate's question-clustered interval at this level to exclude 0.5 as well: a judge without
# any position bias then gets it by chance in about 1 leaderboard of 100 at most (either slot), where 15 wins of
# 20 games for one slot happen to it 4% of the time.
POSITION_BOUND_CONFIDENCE = 0.99


def position_bound_warning(p_ab: ArrayLike | None, p_ba: ArrayLike | None,
                           questions: ArrayLike | None = None) -> str | None:
    """A warning for the leaderboard when the judge's verdicts mostly follow the position of the answers
    (`POSITION_BOUND_RATE`, beyond chance: `POSITION_BOUND_CONFIDENCE`), whose ratings then measure that bias
    rather than the models; None otherwise or without per-order verdicts. `questions`: each outcome's question,
    for the interval (default: every outcome its own). What the bias does to the ratings depends on the orders
    judged: with both, each pair whose verdicts flip scores about 0.5, as a tie does (it is counted split, not
    tied), which pulls the ratings together; with one
    (random-one), they follow which answer the seed put first, and their intervals do not say so."""
    if p_ab is None or p_ba is None:
        return None
    p_ab, p_ba = np.asarray(p_ab, dtype=float), np.asarray(p_ba, dtype=float)
    first = discrete(first_slot_verdicts(p_ab, p_ba))
    if first.size < POSITION_BOUND_GAMES:
        return None
    units = np.arange(p_ab.size) if questions is None else np.asarray(questions)
    clusters = np.concatenate([units[np.isfinite(p_ab)], units[np.isfinite(p_ba)]])  # as first_slot_verdicts orders
    rate = clustered_rate(first, np.ones(first.size), clusters, POSITION_BOUND_CONFIDENCE)
    if rate.value is None or rate.lower is None or rate.upper is None:
        return None
    if not (rate.value >= POSITION_BOUND_RATE and rate.lower > 0.5 or
            rate.value <= 1 - POSITION_BOUND_RATE and rate.upper < 0.5):
        return None
    both, _ = agreeing_orders(p_ab, p_ba)
    effect = ("each pair whose two verdicts disagree scores about 0.5, as a tie does, which pulls the ratings together"
              if both.any()
              else "with one order judged per pair, they follow which answer came first, and the intervals do not "
                   "show it")
    slot = "first" if rate.value >= POSITION_BOUND_RATE else "second"
    return (f"the judge chose the answer shown {slot} in {max(rate.value, 1 - rate.value):.0%} of {first.size:,} "
            f"games: at least "
            f"half of its verdicts follow the order of the answers, not the answers, so these ratings measure its "
            f"position bias more than the models ({effect}); use a stronger judge or another template")


@dataclass(frozen=True)
class RunDiagnostics:
    """How a run's judge behaved: position bias, and what did not become a verdict.

    `unparsed_example` is one output of the judge in which no verdict marker of the template was found
    (None when every answered game had one); `markers` are the template's verdict markers;
    `n_without_logprobs`: under a logprob template, the games with a verdict read from the judge's text because
    its server sent no logprobs (a probability of 0 or 1 from the label, not the judge's); None under others;
    `n_at_token_limit`: the unparsed games whose output the judge's token limit (`token_limit`) ended before a
    verdict (`verdicts.at_token_limit`); `n_without_verdict`: of the pairs left out (`n_incomplete`), those
    without a verdict in any order (a run whose judge never gave one leaves out every pair so, not for an order
    missing).
    """

    position_consistency: float | None
    first_slot_win_rate: float | None
    n_inconsistent: int
    n_incomplete: int
    n_ok: int
    n_failed: int
    n_unparsed: int
    skipped: dict[str, int] = field(default_factory=dict)
    unparsed_example: str | None = None
    markers: tuple[str, ...] = ()
    n_without_logprobs: int | None = None
    n_at_token_limit: int = 0
    token_limit: int | None = None
    n_without_verdict: int = 0

    @property
    def no_verdict(self) -> bool:
        """True when games were judged but not one produced a verdict (the judge never wrote a marker)."""
        return self.n_ok == 0 and self.n_unparsed > 0

    def to_meta(self) -> dict[str, Any]:
        """The figures recorded in leaderboard.json's meta."""
        return {"games_failed": self.n_failed, "games_unparsed": self.n_unparsed,
                "games_at_token_limit": self.n_at_token_limit,
                "pairs_incomplete": self.n_incomplete, "pairs_inconsistent": self.n_inconsistent,
                "position_consistency": self.position_consistency,
                "first_slot_win_rate": self.first_slot_win_rate, "skipped_questions": dict(self.skipped),
                **({} if self.n_without_logprobs is None else {"games_without_logprobs": self.n_without_logprobs})}


def diagnose_run(outcomes: Any, judgments: Any, *, n_inconsistent: int, n_incomplete: int,
                 skipped: dict[str, int], markers: tuple[str, ...], logprobs: bool = False,
                 token_limit: int | None = None, n_without_verdict: int = 0) -> RunDiagnostics:
    """The diagnostics of a run from its outcomes (per-order verdicts) and all its judgments (with status);
    `logprobs`: the template reads the judge's logprobs (so games whose server sent none are counted);
    `token_limit`: the judge's; `n_without_verdict`: the pairs left out without a verdict in any order."""
    from judgebench.records import FAILED, OK, UNPARSED
    from judgebench.verdicts import without_verdict

    figures = judge_figures(outcomes["p_ab"].to_numpy(dtype=float), outcomes["p_ba"].to_numpy(dtype=float))
    status = judgments["status"]
    unparsed = judgments[status == UNPARSED]
    at_limit, example = without_verdict(unparsed)
    return RunDiagnostics(
        position_consistency=figures.get("position_consistency"),
        first_slot_win_rate=figures.get("first_slot_win_rate"),
        n_inconsistent=n_inconsistent, n_incomplete=n_incomplete,
        n_ok=int((status == OK).sum()), n_failed=int((status == FAILED).sum()),
        n_unparsed=len(unparsed), skipped=dict(skipped), unparsed_example=example, markers=markers,
        n_without_logprobs=(int(((status == OK) & judgments["logprobs"].isna()).sum())
                            if logprobs and "logprobs" in judgments else None),
        n_at_token_limit=at_limit, token_limit=token_limit, n_without_verdict=n_without_verdict,
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# --- Diagnostics with intervals (`judgebench diagnose`) ------------------------------------------------------
#
# Every rate below is a ratio of sums over questions: the games of one question (both orders of a pair, and
# every pair of the question) share the question, so they are not independent. Its interval is Wilson's
# score interval at the Kish effective sample size n / deff, where the design effect deff is the ratio of the
# cluster-robust (linearised ratio-estimator) variance to the variance of the same units if independent (Korn &
# Graubard 1998, "Confidence intervals for proportions with small expected number of positive counts estimated
# from survey data"; Kish 1965, "Survey Sampling", section 8.2), truncated at 1: clustering may widen an
# interval, never narrow it (as the `truncate` option of Stata's svypd does, after Dean & Pagano 2015,
# "Evaluating confidence interval methods for binomial proportions in clustered surveys"). Untruncated, deff
# goes to 0 with the clustered variance, which it does where every question shows (nearly) the same rate, not
# because the rate is known: a judge consistent in all pairs but one has a first-slot rate of exactly 1/2 on
# every question but one, and its 72 games (12 questions of 3 pairs, both orders: the case of
# tests/test_diagnostics.py's truncation test) gave 0.514 [0.487, 0.541], excluding a judge that flips 12% of its
# pairs. With one unit per question it is the plain Wilson interval (with the small-sample factor n / (n - 1)).


@dataclass(frozen=True)
class Rate:
    """A rate with its interval: `value` in [0, 1] (an agreement such as kappa: in [-1, 1]; None without data),
    `n` units, `n_clusters` questions; `note` says why a value has no interval (ends None), and is in the JSON
    only then."""

    value: float | None
    lower: float | None
    upper: float | None
    n: float
    n_clusters: int
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "lower": self.lower, "upper": self.upper, "n": self.n,
                "n_clusters": self.n_clusters, **({} if self.note is None else {"note": self.note})}


def clustered_rate(successes: ArrayLike, trials: ArrayLike, clusters: ArrayLike,
                   confidence: float = 0.95) -> Rate:
    """The rate sum(successes) / sum(trials) with a question-clustered Wilson interval (see above).

    `successes` may be fractional (a tie counting half); `clusters` labels each unit's question.
    """
    from judgebench.ratings.intervals import normal_quantile

    y, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    if n.sum() <= 0:
        return Rate(None, None, None, 0.0, 0)
    _, codes = np.unique(np.asarray(clusters), return_inverse=True)
    total, k = float(n.sum()), int(codes.max()) + 1
    p = float(y.sum() / total)
    variance = max(_ratio_variance(y, n, p, codes), _ratio_variance(y, n, p, np.arange(y.size)))  # deff >= 1
    effective = p * (1 - p) / variance if variance > 0 and 0 < p < 1 else total
    z = normal_quantile(confidence)
    centre = (p + z * z / (2 * effective)) / (1 + z * z / effective)
    half = z / (1 + z * z / effective) * math.sqrt(p * (1 - p) / effective + z * z / (4 * effective ** 2))
    # Wilson's ends are p itself at p = 0 or 1 only up to rounding (an upper end of 0.9999999999999998 at p = 1):
    # clamp, so that the interval always holds its estimate and stays in [0, 1].
    return Rate(p, min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)), total, k)


def _ratio_variance(y: NDArray[np.float64], n: NDArray[np.float64], p: float, codes: NDArray[np.intp]) -> float:
    """The linearised variance of the ratio sum(y) / sum(n) = p with units grouped by `codes` (0..k-1), with
    the small-sample factor k / (k - 1)."""
    y_c, n_c = np.bincount(codes, y), np.bincount(codes, n)
    k = len(y_c)
    return float(((y_c - p * n_c) ** 2).sum()) * k / max(k - 1, 1) / float(n.sum()) ** 2


def position_consistency_rate(outcomes: Any, confidence: float = 0.95) -> Rate:
    """`position_consistency` with its interval: pairs judged in both orders whose discrete verdicts agree."""
    both, agree = agreeing_orders(outcomes["p_ab"], outcomes["p_ba"])
    return clustered_rate(agree[both], np.ones(both.sum()), np.asarray(outcomes["question_id"])[both], confidence)


def _order_frame(outcomes: Any) -> tuple[NDArray[np.float64], NDArray[Any]]:
    """(first-slot verdicts, their questions) over every judged order, as `first_slot_verdicts` orders them."""
    p_ab, p_ba = (np.asarray(outcomes[c], dtype=float) for c in ("p_ab", "p_ba"))
    question = np.asarray(outcomes["question_id"])
    return (first_slot_verdicts(p_ab, p_ba),
            np.concatenate([question[np.isfinite(p_ab)], question[np.isfinite(p_ba)]]))


def first_slot_rate(outcomes: Any, confidence: float = 0.95) -> Rate:
    """`first_slot_win_rate` with its interval, over every judged order of every outcome (ties half)."""
    verdicts, question = _order_frame(outcomes)
    return clustered_rate(discrete(verdicts), np.ones(verdicts.size), question, confidence)


def tie_rate(outcomes: Any, confidence: float = 0.95) -> Rate:
    """Share of judged games whose discrete verdict is a tie."""
    verdicts, question = _order_frame(outcomes)
    return clustered_rate(discrete(verdicts) == 0.5, np.ones(verdicts.size), question, confidence)


def status_rate(judgments: Any, status: str, confidence: float = 0.95) -> Rate:
    """Share of all stored games of the run (ok, unparsed, failed) with the given status."""
    hits = np.asarray(judgments["status"]) == status
    return clustered_rate(hits, np.ones(hits.size), np.asarray(judgments["question_id"]), confidence)


def longer_answer_rate(outcomes: Any, length_a: ArrayLike, length_b: ArrayLike,
                       confidence: float = 0.95) -> Rate:
    """The raw length figure: share of decisive pairs (outcome not a tie, answers of different lengths) that the
    longer answer won. It measures the judge and the answers together: a judge that never looks at length shows
    0.9 when the better models write the longer answers, so it is no measure of length bias; `length_effect`
    (net of model strength) is."""
    score = np.asarray(outcomes["score_a"], dtype=float)
    la, lb = np.asarray(length_a, dtype=float), np.asarray(length_b, dtype=float)
    decisive = (score != 0.5) & np.isfinite(la) & np.isfinite(lb) & (la != lb)
    longer_won = (score > 0.5) == (la > lb)
    return clustered_rate(longer_won[decisive], np.ones(decisive.sum()),
                          np.asarray(outcomes["question_id"])[decisive], confidence)


CONFOUNDED_VARIANCE_INFLATION = 1e8
"""Past this variance inflation of the length coefficient (its variance in the fit over that of length alone) the
fit cannot tell length apart from the models (`length_effect`)."""


def length_effect(outcomes: Any, length_a: ArrayLike, length_b: ArrayLike, confidence: float = 0.95, *,
                  controls: str = "model strength") -> dict[str, Any] | None:
    """The judge's preference for length net of model strength: the length bias diagnostic.

    Bradley-Terry with one covariate, the log length ratio (`ratings.style.length_covariate`; style control
    restricted to length, as Chatbot Arena's style control, Li et al. 2024, and AlpacaEval's length-controlled
    win rate, Dubois et al. 2024, separate length from the models' strength):

        logit P(a beats b) = beta_a - beta_b + lambda * log2(length_a / length_b),

    fitted on the outcomes (ties half, weighted) whose two answers have known, positive lengths. lambda
    (`log_odds`) is the change in log-odds per doubling of one answer's length over the other's, between
    models of equal strength: 0 = no length preference, whatever the models' lengths; sigmoid(lambda)
    (`twice_as_long_win_probability`) is the probability that an answer twice as long as its equal's wins.
    Its interval is a t interval (questions - 1 degrees of freedom) from the sandwich covariance clustered by
    question, or the model-based interval where that has zero width (`intervals.uncollapsed`; noted), as for a
    judge that always picks the first answer; `verdict` says whether it lies above 0 ("prefers longer answers"),
    below 0, or covers 0 ("no length preference detected"). `controls` names what the beta stand for in the
    output ("the gold label" for a gold set, whose two sides are the better and the worse answer).

    Where some model won or lost every comparison (the strengths' maximum likelihood does not exist), lambda is
    fitted on the outcomes within the components of `win_components` alone, without a ridge (noted, with how many
    outcomes, rows whatever their weights, were left out). Fitted beside strengths held by a ridge, length took up
    the ridge's pull: a judge that ignores length "preferred shorter answers" at -0.25 [-0.36, -0.14] on the
    quickstart.

    Returns None without an outcome of two models with known lengths; `{"log_odds": None, "note": ...}` when
    lambda cannot be estimated (one question, equal lengths everywhere, every pair's verdicts following the
    models' order, lengths that vary only between models, a length that decides every verdict, an interval too
    wide to mean anything: `UNINFORMATIVE_LOG_ODDS`).
    """
    from judgebench.ratings import bradley_terry as bt
    from judgebench.ratings import style
    from judgebench.ratings.counts import encode_outcomes, pair_counts
    from judgebench.ratings.intervals import normal_interval, uncollapsed

    la, lb = np.asarray(length_a, dtype=float), np.asarray(length_b, dtype=float)
    known = (np.isfinite(la) & np.isfinite(lb) & (la > 0) & (lb > 0)
             & (np.asarray(outcomes["model_a"]) != np.asarray(outcomes["model_b"])))
    if not known.any():
        return None
    coded = encode_outcomes(outcomes[known], source="outcomes", drop_self_pairs=True)
    if coded.n_models < 2:
        return None
    noun = _side_noun(controls)
    if coded.n_questions < 2:
        return {"log_odds": None, "controls": controls,
                "note": "one question: an interval clustered by question needs two or more"}
    group = win_components(coded.model_a, coded.model_b, coded.score_a, coded.weight)
    within = np.array([group[a] == group[b] for a, b in zip(coded.model_a, coded.model_b, strict=True)])
    if not within.any():
        return {"log_odds": None, "controls": controls, "note": in_order_note(noun, "length preference")}
    left_out = int((~within).sum())  # outcomes (rows), as the position effect's note counts them
    coded = encode_outcomes(outcomes[known][within], source="outcomes")
    if coded.n_questions < 2:
        return {"log_odds": None, "controls": controls,
                "note": f"the pairs of {noun}s that each won and lost (directly or through others) are all on one "
                        "question: an interval clustered by question needs two or more"}
    covariate = style.length_covariate(la[known][within], lb[known][within])
    if not covariate.values.any():
        return {"log_odds": None, "controls": controls,
                "note": "the two answers of every pair have the same length: no length preference can show"}
    try:
        fit = style.fit(coded, covariate, groups=bt.comparison_groups(pair_counts(coded)))
        covariance = style.sandwich_covariance(fit, coded)
    except (InputError, np.linalg.LinAlgError):
        fit = None
    m = coded.n_models
    if fit is None or fit.information[m, m] * fit.inverse[m, m] > CONFOUNDED_VARIANCE_INFLATION:
        return {"log_odds": None, "controls": controls,
                "note": (f"length varies only with the {noun} (every pair's log length ratio is a "
                         f"difference of per-{noun} terms), so its effect cannot be told apart from "
                         f"{controls}" if style.explained_by_models(coded.model_a, coded.model_b, m,
                                                                    covariate.values[:, 0])
                         else f"length and the {noun}s together decide (nearly) every verdict "
                              "(separation: length may decide them, or a few pairs are all judged alike): the effect "
                              "is unbounded")}
    value = float(fit.coefficients[0])
    df = coded.n_questions - 1
    clustered = normal_interval(value, math.sqrt(max(covariance[m, m], 0.0)), confidence, df)
    lower, upper, collapsed = uncollapsed(float(clustered[0]), float(clustered[1]), value, float(fit.inverse[m, m]),
                                          confidence)
    if min(-lower, upper) > UNINFORMATIVE_LOG_ODDS:
        probability = (float(bt.expected_score(np.array(end))) for end in (lower, upper))
        return {"log_odds": None, "controls": controls,
                "note": ("its interval of P(an answer twice as long wins), [{:.3f}, {:.3f}], reaches below 0.05 and "
                         "above 0.95: the data cannot tell a judge that nearly always prefers the longer answer "
                         "from one that nearly always prefers the shorter (as when length varies little apart "
                         f"from the {noun}s)").format(*probability)}
    verdict = ("prefers longer answers" if lower > 0 else "prefers shorter answers" if upper < 0
               else "no length preference detected")
    effect: dict[str, Any] = {
        "log_odds": value, "lower": lower, "upper": upper,
        **{f"twice_as_long_win_probability{end}": float(bt.expected_score(np.array(x)))
           for end, x in (("", value), ("_lower", lower), ("_upper", upper))},
        "n": float(coded.weight.sum()), "n_clusters": coded.n_questions, "controls": controls,
        "interval_method": ("normal interval, inverse information (games taken as independent)" if collapsed else
                            f"t interval ({df} degrees of freedom), sandwich covariance clustered by question"),
        "verdict": verdict}
    notes = []
    if collapsed:
        why = (": every outcome is a draw, as a judge that ties every pair, or picks the answer shown first in "
               "both orders, gives" if (coded.score_a == 0.5).all() else "")
        notes.append(f"the sandwich interval clustered by question has zero width (every question's games fit "
                     f"exactly{why}): shown is the model-based interval (inverse information, games taken as "
                     "independent)")
    if left_out:
        notes.append(left_out_note(noun, f"{left_out:,} outcomes", "length"))
    if notes:
        effect["note"] = "; ".join(notes)
    return effect


def win_components(first: ArrayLike, second: ArrayLike, score: ArrayLike,
                   weight: ArrayLike | None = None) -> dict[Any, int]:
    """Each model's strongly connected component of the win graph of comparisons (`first` scored `score` in [0, 1]
    against `second`: `bradley_terry.win_groups`); a comparison of `weight` 0 (default 1 each) adds nothing to the
    likelihood, so it joins no components. A judge's preference fitted beside the models' strengths (for
    length, or for the first position) is measured by the comparisons within components alone: as the strengths
    of a component above another go to infinity, the likelihood of the comparisons between them goes to 1
    whatever the preference is, so its profile maximum likelihood is the fit within components (Ford 1957;
    Hunter 2004, "MM algorithms for generalized Bradley-Terry models"). Fitted on every comparison beside
    strengths that need the weak ridge, the preference took up what the ridge held back."""
    from judgebench.ratings.bradley_terry import win_groups

    a, b = np.asarray(first), np.asarray(second)
    w = np.ones(a.size) if weight is None else np.asarray(weight, dtype=float)
    models, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    group = win_groups(codes[:a.size], codes[a.size:], np.asarray(score, dtype=float) * w, w, len(models))
    return {model: int(g) for model, g in zip(models.tolist(), group, strict=True)}


def in_order_note(noun: str, preference: str) -> str:
    """Why a preference fitted within `win_components` has no estimate: no comparison is within one."""
    return (f"every pair's verdicts follow the {noun}s' order (of any two {noun}s compared, one won every comparison, "
            f"directly or through others): no {preference} can show")


def left_out_note(noun: str, left_out: str, what: str) -> str:
    """The note of a preference fitted within `win_components` on some comparisons only."""
    return (f"fitted on the pairs of {noun}s that each won and lost (directly or through others); the {left_out} "
            f"between {noun}s one of which won every comparison follow their order whatever the {what}, so they say "
            f"nothing of it and are left out")


UNINFORMATIVE_LOG_ODDS = math.log(19.0)
"""A length effect whose interval reaches past -/+ this (P(twice as long wins) below 0.05 and above 0.95) has no
estimate (`length_effect`): with length nearly confounded with the models (a VIF in the thousands, far below
the 1e8 that marks exact confounding) a quality run printed 46.0 [-57.3, 149.3], which measures nothing."""


def _side_noun(controls: str) -> str:
    return "model" if controls == "model strength" else "side"


def self_models(models: Sequence[str], judge_model: str | None, judge_family: str | None = None) -> list[str]:
    """The contestants that are the judge itself (same model name) or of its declared family (the family
    name appears in the model's name, case-insensitive): the models a self-preferring judge favours."""
    def is_self(model: str) -> bool:
        name = model.lower()
        return ((judge_model is not None and name == judge_model.lower())
                or (bool(judge_family) and str(judge_family).lower() in name))
    return [model for model in models if is_self(model)]


def self_preference_rate(outcomes: Any, own: Sequence[str], confidence: float = 0.95) -> Rate:
    """Self-preference: the judge's own models' score (ties half) in pairs against models not its own.

    A single judge cannot tell its bias from its models' quality: the rate is the judge's view of its own
    models, to compare with another judge's view or a gold set (Panickssery et al. 2024, "LLM Evaluators
    Recognize and Favor Their Own Generations").
    """
    own_set = set(own)
    a_own = np.asarray(outcomes["model_a"]).astype(str)
    b_own = np.asarray(outcomes["model_b"]).astype(str)
    in_a, in_b = np.isin(a_own, list(own_set)), np.isin(b_own, list(own_set))
    mixed = in_a != in_b
    score = np.asarray(outcomes["score_a"], dtype=float)
    own_score = np.where(in_a, score, 1.0 - score)[mixed]
    return clustered_rate(own_score, np.ones(own_score.size), np.asarray(outcomes["question_id"])[mixed],
                          confidence)


def win_matrix(outcomes: Any, models: Sequence[str] | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pairwise win rates: (rate, played), each (M, M), rows and columns in the order of `models` (default: the
    models sorted by name, as the outcomes' coding orders them; self pairs are left out).

    played[i, j] is the total weight of the outcomes between models i and j (their number when unweighted);
    rate[i, j] is i's score against j (ties half) over played[i, j], NaN where the two never met. Every
    comparison is shown as measured, with no model fitted, so a reader can see where a rating comes from and
    which pairs disagree with the ranking (see also `transitivity`).
    """
    from judgebench.ratings.counts import encode_outcomes, pair_counts

    coded = encode_outcomes(outcomes, source="outcomes", drop_self_pairs=True)
    rate, played = _win_rates(pair_counts(coded))
    if models is None:
        return rate, played
    index = [coded.index_of(name) for name in models]
    return rate[np.ix_(index, index)], played[np.ix_(index, index)]


def _win_rates(counts: PairCounts) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(rate, played) of `win_matrix` from `PairCounts`, in its model order."""
    scores = counts.score_matrix()
    played = scores + scores.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(played > 0, scores / played, np.nan), played


def transitivity(outcomes: Any) -> dict[str, Any]:
    """Cyclic triads and the fit of Bradley-Terry against the saturated pairwise model.

    Each pair of models has a majority (its mean score, ties half, above or below 0.5); over the model
    triples whose three pairs all have a majority, `cyclic_share` is the share that form a cycle
    (a > b > c > a; Kendall & Babington Smith 1940). The deviance G² = 2 (loglik saturated - loglik BT) over
    the pair counts is compared with chi-square on (pairs - models + 1) degrees of freedom (Agresti 2013,
    "Categorical Data Analysis", 11.6.3); games of one question are correlated, so its p-value is optimistic.
    """
    from scipy.special import chdtrc  # chi-square's upper tail (scipy.stats: half a second more to import)

    from judgebench.ratings import bradley_terry as bt
    from judgebench.ratings.counts import encode_outcomes, pair_counts

    coded = encode_outcomes(outcomes, source="outcomes", drop_self_pairs=True)
    counts = pair_counts(coded)
    rate, _ = _win_rates(counts)
    beats = (rate > 0.5).astype(float)  # a pair never compared (NaN) has no majority
    decided = beats + beats.T
    triads = float(np.trace(decided @ decided @ decided) / 6)
    cyclic = float(np.trace(beats @ beats @ beats) / 3)
    result: dict[str, Any] = {"n_models": counts.n_models, "n_triads": int(round(triads)),
                              "n_cyclic": int(round(cyclic)), "cyclic_share": cyclic / triads if triads else None}
    if not triads:
        result["triads_note"] = _why_no_triads(rate, coded.models)
    try:
        bt.check_identifiable(counts)
    except InputError:
        return {**result, "deviance": None, "df": None, "p_value": None,
                "note": "Bradley-Terry maximum likelihood does not exist (a model won or lost every comparison)"}
    fit = bt.fit(counts)
    p = bt.expected_score(fit.strengths[counts.first] - fit.strengths[counts.second])
    deviance = 2.0 * float((_xlogy_ratio(counts.score, counts.games * p)
                            + _xlogy_ratio(counts.games - counts.score, counts.games * (1 - p))).sum())
    df = counts.n_pairs - counts.n_models + 1
    deviance = max(deviance, 0.0)  # a fit exact to the counts is 0 up to rounding (-1e-15: chdtrc gives NaN)
    return {**result, "deviance": deviance, "df": df,
            "p_value": float(chdtrc(df, deviance)) if df > 0 else None}


def _why_no_triads(rate: NDArray[np.float64], models: Sequence[str]) -> str:
    """Why no triple of models has a majority in each of its three pairs (`transitivity`): too few models, no
    three compared with one another (a baseline-pairs run: every pair includes the baseline), or pairs tied."""
    if len(models) < 3:
        return f"only {len(models)} models"
    compared = np.isfinite(rate).astype(float)
    if np.trace(compared @ compared @ compared) == 0:
        hub = int(np.argmax(compared.sum(axis=1)))
        if compared.sum() == 2 * compared[hub].sum():
            return f"every pair compared includes {models[hub]}"
        return "no three models were each compared with the other two"
    return "every three models compared with one another have a pair tied at 0.5"


def _xlogy_ratio(x: NDArray[np.float64], expected: NDArray[np.float64]) -> NDArray[np.float64]:
    """x * log(x / expected), 0 where x is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x > 0, x * np.log(x / expected), 0.0)


def answer_length_columns(outcomes: Any, lengths: Mapping[tuple[str, str], float]
                          ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Each outcome's answer lengths (model_a's, model_b's) from a (question_id, model) -> length map; NaN
    where unknown."""
    def column(side: str) -> NDArray[np.float64]:
        return np.array([lengths.get((str(q), str(m)), math.nan)
                         for q, m in zip(outcomes["question_id"], outcomes[side], strict=True)], dtype=float)
    return column("model_a"), column("model_b")


def diagnose(outcomes: Any, judgments: Any = None, *, confidence: float = 0.95,
             lengths: Mapping[tuple[str, str], float] | None = None,
             categories: Mapping[str, str | None] | None = None, own_models: Sequence[str] = (),
             position_effect: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every judge diagnostic, with intervals, as the JSON object written to diagnostics.json.

    Parameters
    ----------
    outcomes:
        One row per pair after the swap policy, with the per-order verdicts p_ab / p_ba (a pandas DataFrame).
    judgments:
        Every stored game of the run, failed and unparsed included (for their rates); None leaves them out.
    lengths:
        Answer length per (question_id, model), for the length bias (the raw share of pairs the longer answer
        won, and the preference for length net of model strength, `length_effect`); None when the answers are
        unknown.
    categories:
        Category per question_id, for the per-category breakdown.
    own_models:
        The contestants that are the judge or of its family (`self_models`), for self-preference.
    position_effect:
        The fitted first-position effect: the `position_effect` entry of a leaderboard built with
        `position_effect=True` (leaderboard.build), recorded as given.
    """
    def rate_json(rate: Rate) -> dict[str, Any]:
        return rate.to_json()

    result: dict[str, Any] = {
        "confidence": confidence,
        "interval_method": "Wilson at the Kish effective sample size, clustered by question",
        "n_pairs": int(len(outcomes)),
        "n_questions": int(len(set(np.asarray(outcomes["question_id"]).tolist()))),
        "position_consistency": rate_json(position_consistency_rate(outcomes, confidence)),
        "first_slot_win_rate": rate_json(first_slot_rate(outcomes, confidence)),
        "position_effect": dict(position_effect) if position_effect else None,
        "tie_rate": rate_json(tie_rate(outcomes, confidence)),
        "transitivity": transitivity(outcomes) if len(outcomes) else None,
    }
    if judgments is not None and len(judgments):
        from judgebench.records import FAILED, UNPARSED

        result["n_games"] = int(len(judgments))
        result["unparsed_rate"] = rate_json(status_rate(judgments, UNPARSED, confidence))
        result["failed_rate"] = rate_json(status_rate(judgments, FAILED, confidence))
    length: dict[str, Any] = {"longer_answer_win_rate": None, "net_effect": None}
    if lengths:
        length_a, length_b = answer_length_columns(outcomes, lengths)
        length["longer_answer_win_rate"] = rate_json(longer_answer_rate(outcomes, length_a, length_b, confidence))
        length["net_effect"] = length_effect(outcomes, length_a, length_b, confidence) if len(outcomes) else None
    result["length_bias"] = length
    result["self_preference"] = ({"models": list(own_models),
                                  "own_score": rate_json(self_preference_rate(outcomes, own_models, confidence))}
                                 if own_models else None)
    if categories:
        result["by_category"] = _by_category(outcomes, categories, confidence)
    return result


def _by_category(outcomes: Any, categories: Mapping[str, str | None], confidence: float) -> dict[str, Any]:
    """Position consistency, first-slot win rate and tie rate of each question category."""
    labels = np.array([str(categories.get(str(q)) or "(none)") for q in outcomes["question_id"]])
    breakdown = {}
    for label in sorted(set(labels.tolist())):
        part = outcomes[labels == label]
        breakdown[label] = {"n_pairs": int(len(part)),
                            "position_consistency": position_consistency_rate(part, confidence).to_json(),
                            "first_slot_win_rate": first_slot_rate(part, confidence).to_json(),
                            "tie_rate": tie_rate(part, confidence).to_json()}
    return breakdown


def fitted_position_effect(outcomes: Any, games: Any, confidence: float = 0.95) -> dict[str, Any] | None:
    """The judge's first-position effect: Bradley-Terry with a first-position parameter fitted on the games
    (leaderboard.build with position_effect=True; sandwich interval clustered by question, or the model-based
    one with a `note` where that has zero width), as log-odds and as the probability that the first answer wins
    between equal models. None with fewer than two models. `games`: the games judged (None: each judged order of
    the outcomes, `p_ab` and `p_ba`).

    Where some model won or lost every game, the leaderboard fits the effect on the games within the components of
    `win_components` alone (noted; `leaderboard._position_effect_within_components`), and this is its figure: fitted
    beside the strengths the weak ridge held, it took up their pull where the stronger model of a pair was more
    often shown first (random-one): a judge that follows the models' order alone, the stronger shown first in 3
    games of 4, "preferred the first answer" at 0.41 [0.21, 0.60] log-odds. Where the games left form several
    groups of models never compared, the fit's weak ridge, on which no game between groups pulls any more, moves
    the effect by millionths of a log-odds.
    """
    from judgebench.errors import ConfigError
    from judgebench.leaderboard import build
    from judgebench.ratings.bradley_terry import UnboundedPositionEffect

    first = discrete(_order_frame(outcomes)[0])
    decisive = first[first != 0.5]
    if decisive.size and np.all(decisive == decisive[0]):
        side = "first" if decisive[0] == 1.0 else "second"
        return {"log_odds": None, "note": f"the {side} answer won every decisive game: the effect is unbounded"}
    try:
        board = build(outcomes, games, position_effect=True, interval="sandwich", confidence=confidence)
    except UnboundedPositionEffect:  # a few exceptions that the ratings absorb
        return {"log_odds": None, "note": "the presentation order separates the games, but for exceptions the models' "
                                          "ratings absorb: the effect is unbounded"}
    except (InputError, ConfigError, np.linalg.LinAlgError):  # too little data (one question, one model...)
        return None
    return dict(board.meta.get("position_effect") or {}) or None


def diagnose_judgments(judgments: Any, *, swap: str = "both", seed: int = 0, confidence: float = 0.95,
                       lengths: Mapping[tuple[str, str], float] | None = None,
                       categories: Mapping[str, str | None] | None = None, own_models: Sequence[str] = (),
                       provenance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`diagnose` over stored judgments (every status; the ok ones are combined into outcomes by `swap`),
    with the fitted first-position effect and the provenance (judge, template, swap, version) recorded."""
    from judgebench import __version__
    from judgebench.records import ok_games
    from judgebench.verdicts import combine

    # one order whatever the source (a store lists games as stored, a run's judgments.jsonl in plan order), so
    # that the same judgments give the same figures to the last digit
    judgments = judgments.sort_values(["question_id", "first", "second"], kind="stable",
                                      key=lambda column: column.astype(str)).reset_index(drop=True)
    games = ok_games(judgments)
    outcomes = combine(games.reset_index(drop=True), swap=swap, seed=seed).outcomes
    effect = fitted_position_effect(outcomes, games, confidence) if len(outcomes) else None
    result = diagnose(outcomes, judgments, confidence=confidence, lengths=lengths, categories=categories,
                      own_models=own_models, position_effect=effect)
    result["provenance"] = {
        "judge": provenance_value(judgments, "judge"), "template": provenance_value(judgments, "template"),
        "swap": swap,
        "interval_method": result["interval_method"], "confidence": confidence, "judgebench_version": __version__,
        **dict(provenance or {})}
    return result


def provenance_value(frame: Any, column: str) -> str | None:
    """The one value of a column (None if absent; values joined by ', ' if several)."""
    if column not in frame:
        return None
    values = sorted({str(value) for value in frame[column].dropna()})
    return ", ".join(values) if values else None


def dataset_facts(dataset: Any) -> tuple[dict[tuple[str, str], float], dict[str, str | None]]:
    """(answer length in characters per (question_id, model), category per question_id) of a `Dataset`:
    what the length bias and the per-category breakdown need."""
    lengths = {key: float(sum(len(turn) for turn in answer.turns)) for key, answer in dataset.answers.items()}
    return lengths, {qid: question.category for qid, question in dataset.questions.items()}


def average_lengths(dataset: Any, outcomes: Any) -> dict[str, float]:
    """Each model's mean answer length in characters (as `dataset_facts` measures it) over the questions its
    `outcomes` compared it on: the leaderboard's avg length column, which AlpacaEval's leaderboards show beside
    the win rates so that a reader can see a judge's taste for longer answers."""
    lengths, _ = dataset_facts(dataset)
    by_model: dict[str, list[float]] = {}
    for question, model in judged_answers(outcomes):
        if (question, model) in lengths:
            by_model.setdefault(model, []).append(lengths[question, model])
    return {model: sum(values) / len(values) for model, values in by_model.items()}


def judged_answers(outcomes: Any) -> set[tuple[str, str]]:
    """The answers that `outcomes` compared, as (question_id, model): those whose texts give the style counts and
    the lengths."""
    return {(str(question), str(model)) for side in ("model_a", "model_b")
            for question, model in zip(outcomes["question_id"], outcomes[side], strict=True)}


def write_diagnostics(figures: Mapping[str, Any], out_dir: str | Path) -> Path:
    """Write diagnostics.json into `out_dir` atomically (NaN as null); returns its path."""
    import json

    from judgebench.outputs import atomic_write_text, json_safe, prepare_directory

    path = prepare_directory(out_dir) / DIAGNOSTICS_FILE
    return atomic_write_text(path, json.dumps(json_safe(figures), indent=2, allow_nan=False) + "\n")


DIAGNOSTICS_FILE = "diagnostics.json"


# --- Agreement with gold labels (`judgebench diagnose --gold`) ----------------------------------------------

GOLD_SCORE = {"A": 1.0, "B": 0.0, "tie": 0.5}  # a gold label as answer A's score


def two_order_decision(v_first: ArrayLike, v_second: ArrayLike) -> NDArray[np.float64]:
    """JudgeBench's two-order rule (Tan et al. 2024, section 4): from answer A's discrete verdicts with A shown
    first and shown second (1 A better, 0.5 tie, 0 B better), the pair's decision: the verdict when both
    agree, the decisive one when the other is a tie, NaN when they contradict each other."""
    v1, v2 = np.asarray(v_first, dtype=float), np.asarray(v_second, dtype=float)
    decision = np.where(v1 == v2, v1, np.where(v1 == 0.5, v2, np.where(v2 == 0.5, v1, np.nan)))
    return decision.astype(float)


def cohen_kappa(judge: ArrayLike, gold: ArrayLike) -> float | None:
    """Cohen's kappa between two labelings of the same items (Cohen 1960): (p_o - p_e) / (1 - p_e); None
    when chance agreement is 1 (both raters used a single, identical category)."""
    a, b = np.asarray(judge).astype(str), np.asarray(gold).astype(str)
    if a.size == 0:
        return None
    observed = float(np.mean(a == b))
    categories = np.union1d(a, b)
    expected = float(sum(np.mean(a == c) * np.mean(b == c) for c in categories))
    return (observed - expected) / (1.0 - expected) if expected < 1.0 else None


KAPPA_RESAMPLES = 2000


def kappa_rate(judge: Sequence[str], gold: Sequence[str], confidence: float = 0.95) -> Rate:
    """Cohen's kappa of independent items with a percentile bootstrap interval over the items (Efron & Tibshirani
    1993, ch. 13): `KAPPA_RESAMPLES` resamples, each item drawn with replacement, seeded so that the same labels
    always give the same interval. A resample whose kappa is undefined (one label on both sides) is left out.
    Value and ends are None when kappa itself is undefined (`cohen_kappa`). When the resamples' kappas leave a
    zero-width interval (a judge whose decision matched every label: 1 in every resample; one side that gave
    every pair the same label: 0 by definition in every resample), the ends are None and `note` says why: such an
    interval would claim a certainty the bootstrap does not measure (8 pairs all right gave 1.000 [1.000,
    1.000] beside the accuracy's Wilson interval [0.676, 1.000])."""
    value = cohen_kappa(judge, gold)
    n = len(gold)
    if value is None:
        return Rate(None, None, None, float(n), n)
    categories = sorted(set(judge) | set(gold))
    k = len(categories)
    index = {c: i for i, c in enumerate(categories)}
    cell = np.array([index[j] * k + index[g] for j, g in zip(judge, gold, strict=True)])
    rng, chunk = np.random.default_rng(0), 200  # resamples drawn together: memory 200 x pairs, not 2000 x pairs
    counts = np.concatenate([_joint_shares(cell[rng.integers(0, n, size=(min(chunk, KAPPA_RESAMPLES - start), n))],
                                           k * k) for start in range(0, KAPPA_RESAMPLES, chunk)]).reshape(-1, k, k)
    observed = np.trace(counts, axis1=1, axis2=2)
    expected = (counts.sum(axis=2) * counts.sum(axis=1)).sum(axis=1)
    defined = expected < 1.0 - 1e-12
    kappas = (observed[defined] - expected[defined]) / (1.0 - expected[defined])
    tail = (1.0 - confidence) / 2
    lower, upper = np.quantile(kappas, [tail, 1.0 - tail])
    if upper - lower <= 1e-12:
        return Rate(value, None, None, float(n), n, note=_no_kappa_interval(judge, gold, value))
    return Rate(value, min(value, float(lower)), max(value, float(upper)), float(n), n)


def _no_kappa_interval(judge: Sequence[str], gold: Sequence[str], value: float) -> str:
    """Why `kappa_rate` gives `value` no interval: its resamples all gave the same kappa."""
    for side, labels in (("the judge", judge), ("the gold set", gold)):
        if len(set(labels)) == 1:
            return (f"{side} said {labels[0]} for every pair, so kappa is 0 by definition, in every resample too: "
                    "no agreement beyond chance, and nothing for an interval to measure")
    matched = " (the judge's decision matched every label)" if value == 1.0 else ""
    return (f"every resample of the pairs gives kappa {value:.3f}{matched}: a zero-width interval would claim a "
            "certainty the bootstrap does not measure (the accuracy's interval says how sure)")


def _joint_shares(drawn: NDArray[np.intp], cells: int) -> NDArray[np.float64]:
    """Each row's share of every cell (0..cells-1) among its drawn cells, in one bincount over all rows."""
    rows, n = drawn.shape
    offsets = np.arange(rows)[:, None] * cells
    return np.bincount((drawn + offsets).ravel(), minlength=rows * cells).reshape(rows, cells) / n


def calibration(probability: ArrayLike, outcome: ArrayLike, bins: int = 10) -> dict[str, Any]:
    """Reliability of probabilities that answer A is better against gold outcomes (1 A, 0 B): a table of
    equal-width bins (mean predicted, observed frequency, count), the expected calibration error
    sum_b n_b/N |observed_b - predicted_b| (Naeini et al. 2015) and the Brier score mean (p - y)^2."""
    p, y = np.asarray(probability, dtype=float), np.asarray(outcome, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        chosen = index == b
        if chosen.any():
            predicted, observed = float(p[chosen].mean()), float(y[chosen].mean())
            table.append({"bin_lower": b / bins, "bin_upper": (b + 1) / bins, "predicted": predicted,
                          "observed": observed, "n": int(chosen.sum())})
            ece += chosen.mean() * abs(observed - predicted)
    return {"reliability": table, "ece": float(ece), "brier": float(np.mean((p - y) ** 2)), "n": int(p.size)}


def gold_agreement(p_a_first: ArrayLike, p_a_second: ArrayLike, labels: Sequence[str], *,
                   judged: ArrayLike | None = None, sources: Sequence[str | None] | None = None,
                   categories: Sequence[str | None] | None = None, confidence: float = 0.95) -> dict[str, Any]:
    """How a judge agrees with gold labels, from each pair's two games.

    `p_a_first` / `p_a_second`: the judge's probability that answer A is better in the game with A shown
    first / second (NaN when that game has no verdict: counted in n_incomplete); `labels`: "A", "B" or "tie";
    `judged`: per pair, whether the judge answered at least one order (default: every pair), False where each
    order failed (the server's fault, not the judge's: counted in n_not_judged).
    Returns accuracy under the two-order rule over every judged pair (`two_order_decision`; a contradiction, or a
    tie where the label is not one, counts as wrong; an order without a verdict casts no vote, as a tie does, and
    a judged pair without any verdict, its outputs unparsed, is wrong, as JudgeBench's `compute_final_metrics`
    counts them: left out, a judge that gave no verdict on the pairs it found hard scored higher than one that
    answered them all; a pair whose orders all failed is left out, as the judge never saw it, where JudgeBench
    counts it wrong too: a server's faults would lower the judge's score until the games are retried), and over
    the pairs judged in both orders (`n_pairs`): accuracy with both orders averaged
    (1 - |mean verdict - label|, so a tie scores half against A or B), position consistency, Cohen's kappa
    (judge decision A/B/tie, a contradiction counting as tie), per-source and per-category breakdowns,
    and, when the verdicts are probabilities (a logprob template), their calibration (else `calibration_note`
    says why there is none). A breakdown is left out
    when no pair names a source (a category). Each rate is a plain
    number (scripts read `gold.accuracy_judgebench_rule`); its interval is under `intervals`. Pairs are
    independent, so the intervals are Wilson intervals.
    """
    p1, p2 = np.asarray(p_a_first, dtype=float), np.asarray(p_a_second, dtype=float)
    gold = np.array([GOLD_SCORE[label] for label in labels])
    seen = np.ones(gold.size, dtype=bool) if judged is None else np.asarray(judged, dtype=bool)
    result = _gold_figures(p1, p2, gold, seen, confidence)
    for key, groups in (("by_source", sources), ("by_category", categories)):
        if groups is None or all(g is None for g in groups):  # a file without the field: one group, "all" again
            continue
        names = np.array([str(g) if g is not None else "(none)" for g in groups])
        result[key] = {name: _gold_figures(p1[names == name], p2[names == name], gold[names == name],
                                           seen[names == name], confidence, with_calibration=False)
                       for name in sorted(set(names.tolist()))}
    return result


def gold_length_effect(p_a_first: ArrayLike, p_a_second: ArrayLike, labels: Sequence[str], length_a: ArrayLike,
                       length_b: ArrayLike, *, confidence: float = 0.95) -> dict[str, Any] | None:
    """The judge's preference for length net of the gold label: `length_effect` on the labelled pairs seen from
    their better answer. Each pair (labelled A or B, judged in both orders) is an outcome of the side
    "gold-better" against "gold-worse", scored by the better answer's probability with both orders averaged, so
    the sides' Bradley-Terry difference is the judge's log-odds of picking the better answer between answers of
    equal length, and lambda its preference for length beyond what the labels say. Arguments as
    `gold_agreement`'s, with each pair's answer lengths."""
    import pandas as pd

    p1, p2 = np.asarray(p_a_first, dtype=float), np.asarray(p_a_second, dtype=float)
    gold = np.array([GOLD_SCORE[label] for label in labels])
    la, lb = np.asarray(length_a, dtype=float), np.asarray(length_b, dtype=float)
    a_better = gold == 1.0
    keep = np.isfinite(p1) & np.isfinite(p2) & (gold != 0.5)
    score_a = (p1 + p2) / 2
    frame = pd.DataFrame({"question_id": np.arange(gold.size)[keep], "model_a": "gold-better",
                          "model_b": "gold-worse", "score_a": np.where(a_better, score_a, 1.0 - score_a)[keep],
                          "weight": 1.0})
    return length_effect(frame, np.where(a_better, la, lb)[keep], np.where(a_better, lb, la)[keep], confidence,
                         controls="the gold label")


def _gold_figures(p1: NDArray[np.float64], p2: NDArray[np.float64], gold: NDArray[np.float64],
                  judged: NDArray[np.bool_], confidence: float, *, with_calibration: bool = True) -> dict[str, Any]:
    """`gold_agreement`'s figures for one set of pairs (all, a source, a category): the JudgeBench-rule accuracy
    over every judged pair, the others over the pairs judged in both orders."""
    voted_first, voted_second = np.isfinite(p1), np.isfinite(p2)
    unvoted = np.nan_to_num(p1, nan=0.5), np.nan_to_num(p2, nan=0.5)  # no verdict: no vote, as a tie
    every = np.where(voted_first | voted_second, two_order_decision(*(discrete(p) for p in unvoted)), np.nan)[judged]
    complete = voted_first & voted_second
    p1, p2, complete_gold = p1[complete], p2[complete], gold[complete]
    v1, v2 = discrete(p1), discrete(p2)
    decision = two_order_decision(v1, v2)
    ones, units = np.ones(complete_gold.size), np.arange(complete_gold.size)
    names = {1.0: "A", 0.0: "B", 0.5: "tie"}
    rates = {"accuracy_judgebench_rule": clustered_rate(every == gold[judged], np.ones(every.size),
                                                        np.arange(every.size), confidence),
             "accuracy_averaged": clustered_rate(1.0 - np.abs((v1 + v2) / 2 - complete_gold), ones, units,
                                                 confidence),
             "position_consistency": clustered_rate(v1 == v2, ones, units, confidence)}
    figures: dict[str, Any] = {"n_pairs": int(complete.sum()), "n_incomplete": int((~complete).sum()),
                               "n_not_judged": int((~judged).sum())}
    figures.update({name: rate.value for name, rate in rates.items()})
    labelled = [names[g] for g in complete_gold.tolist()]  # with one label, chance agrees as often as the judge
    if len(set(labelled)) > 1:
        rates["kappa"] = kappa_rate([names.get(d, "tie") for d in decision.tolist()], labelled, confidence)
    figures["kappa"] = rates["kappa"].value if "kappa" in rates else None
    figures["intervals"] = {name: rate.to_json() for name, rate in rates.items()}
    soft = np.concatenate([p1, p2])
    outcome = np.concatenate([complete_gold, complete_gold])
    decided = outcome != 0.5
    why_not = _no_calibration(soft, decided)
    if with_calibration and why_not is None:
        figures["calibration"] = calibration(soft[decided], outcome[decided])
    elif with_calibration:
        figures["calibration_note"] = why_not
    return figures


def _no_calibration(probability: NDArray[np.float64], decided: NDArray[np.bool_]) -> str | None:
    """Why the verdicts of the pairs judged in both orders have no calibration (`gold_agreement`), or None."""
    if not probability.size:
        return "no pair was judged in both orders"
    if not decided.any():
        return "every label is a tie: no better answer to forecast"
    if (probability == 0.5).all():
        return "every verdict is 0.5: the judge never leaned towards either answer, so it forecast nothing"
    if np.isin(probability, (0.0, 0.5, 1.0)).all():
        return ("the verdicts are labels (0, 0.5 or 1), not probabilities: a logprob template whose server sends "
                "logprobs gives probabilities")
    return None

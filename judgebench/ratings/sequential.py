"""Decisions about the mean of a bounded per-question score: fixed-sample and anytime-valid.

The regression gate (check.py) reduces a comparison to one number per question, bounded in a known
range (a win rate in [0, 1], or a difference of win rates in [-1, 1]), and asks whether the mean over
questions is above or below a threshold (the reference's level minus the margin). The question is the
unit: the two presentation orders of a pair are averaged into its question's score before anything here.

Two ways to decide, both returning p-values for "the mean is above the threshold" and "below it":

- `t_test`: Student's t interval on the per-question scores, for a sample whose size was fixed in advance,
  kept within the score range and never narrower than the exact interval of a sample that all agrees.
  Looking at it after every batch and stopping at the first decision is *not* valid (Armitage, McPherson &
  Rowe 1969); the calibration tests show the error rate it then reaches.
- `betting_test` / `confidence_sequence`: a confidence sequence that holds at every sample size at once, so
  a check may stop as soon as it is decided (Waudby-Smith & Ramdas 2023, "Estimating means of bounded random
  variables by betting", JRSS-B 86(1)). Two bettors stake on the score (scaled to [0, 1]) being above (below)
  a candidate mean m, each spreading its capital over the constant bets `BETS` (their "diversified Kelly"
  strategy, dKelly); the capital (1/J) sum_j prod_i (1 + lambda_j (x_i - m)) is a non-negative supermartingale
  when the true mean is on the other side, so by Ville's inequality it exceeds 2/alpha with probability at most
  alpha/2, ever. The bets do not depend on m and are below 1, so each capital is monotone in m: the sequence
  is an interval, and a threshold is outside it exactly when the capital at the threshold crossed 2/alpha.
  The anytime p-value is 1 / (the largest capital so far). In the calibration simulation (1,000 questions
  at most), dKelly decided 98% of clear cases from 405 questions on average, where the predictable plug-in
  bets of their eq. (26) decided 90% from 460.

All functions are vectorised along the last axis (questions), so a simulation passes a (checks, questions)
array and gets one result per check. Scores are iid draws from the question population when the questions are
a sample of it taken in a random order, which is why check.py shuffles them (seeded) before judging.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

# Constant bets (fractions of the capital) of the diversified Kelly bettor. A constant bet lambda grows
# fastest when lambda ~ distance / variance of the unit-scaled scores; for distances of 1 to 25 points from the
# threshold and score sd 0.2-0.45 that is 0.05 to 0.75 (3/4 is also Waudby-Smith & Ramdas' truncation). Each
# extra bet costs log(J) nats of evidence; six spaced geometrically kept the calibration simulation's mean
# sample size 8% below twelve, with equal error rates.
BETS = np.geomspace(0.05, 0.75, 6)


@dataclass(frozen=True)
class Test:
    """A test of the mean against a threshold, with the interval that goes with it.

    `p_above`: p-value of "the mean is at most the threshold" (small: the mean is above it);
    `p_below`: p-value of "the mean is at least the threshold" (small: the mean is below it).
    Arrays with one entry per row of the input (floats for one series).
    """

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p_above: np.ndarray
    p_below: np.ndarray
    n: int


def t_test(scores: np.ndarray, threshold: float, confidence: float, low: float = 0.0,
           high: float = 1.0) -> Test:
    """Student's t interval and one-sided p-values against `threshold` for a fixed number of questions, kept
    within the score range [low, high] and never narrower than the exact interval of a unanimous sample.

    The t interval's width comes from the sample's spread alone, so a few questions that happen to agree (every one
    won, or every one tied) give a zero-width interval, and a decision "with certainty" from three questions. The
    floor is the interval that n questions all scoring the mean m would get exactly: by Markov's inequality on
    X - low, a population with mean mu has P(X >= m) <= (mu - low) / (m - low), so n independent questions all score m
    or more with probability at most ((mu - low) / (m - low))^n, which is at most (1 - confidence) / 2 exactly when
    mu <= low + q (m - low), q = ((1 - confidence) / 2)^(1/n); likewise above, mu >= high - q (high - m). For all
    wins on [0, 1] this is Clopper & Pearson's (1934) exact bound for n successes in n trials, (alpha/2)^(1/n) (the
    "rule of three", Hanley & Lippman-Hand 1983: about 1 - 3.7/n at 95%). A sample that disagrees a little is not
    allowed to be more certain than one that agrees completely: the interval is the union of the two, and each
    p-value the larger of the t test's and the floor's (on the side of the threshold where the mean lies; on the
    other side t's is at least 1/2), so decisions agree with the interval. The floor is O(1/n) wide against t's
    O(1/sqrt(n)), so it binds only when (nearly) all questions agree, and leaves Student's t untouched for the
    samples the calibration simulation draws.
    """
    scores = np.asarray(scores, dtype=float)
    _unit(scores, low, high)  # refuses scores outside the range
    n = scores.shape[-1]
    if n < 2:
        raise ValueError("a t interval needs at least two questions")
    mean = scores.mean(axis=-1)
    se = scores.std(axis=-1, ddof=1) / np.sqrt(n)
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * se
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = (mean - threshold) / se
    p_above = np.nan_to_num(stats.t.sf(statistic, n - 1), nan=1.0)
    p_below = np.nan_to_num(stats.t.cdf(statistic, n - 1), nan=1.0)
    q = ((1 - confidence) / 2) ** (1 / n)
    lower = np.minimum(mean - half, low + q * (mean - low))
    upper = np.maximum(mean + half, high - q * (high - mean))
    with np.errstate(divide="ignore", over="ignore"):  # only in the branch np.where drops
        floor_above = np.where(mean > threshold, ((threshold - low) / (mean - low)) ** n, 0.0)
        floor_below = np.where(mean < threshold, ((high - threshold) / (high - mean)) ** n, 0.0)
    return Test(mean, np.clip(lower, low, high), np.clip(upper, low, high), np.maximum(p_above, floor_above),
                np.maximum(p_below, floor_below), n)


def _unit(scores: np.ndarray, low: float, high: float) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if np.any(scores < low) or np.any(scores > high):
        raise ValueError(f"scores must lie in [{low}, {high}]")
    return (scores - low) / (high - low)


def _max_log_capital(unit_scores: np.ndarray, mean: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """The largest log capital reached so far, after each question, by the bettors on "above" and "below" `mean`.

    Each bettor splits its capital equally among constant bets `BETS` (a diversified Kelly bettor); the
    average of these capital processes is itself a test supermartingale, and it grows nearly as fast as the
    best constant bet in hindsight, whatever the effect size.
    """
    excess = unit_scores - np.asarray(mean, dtype=float)[..., None]
    above = below = np.full(excess.shape, -np.inf)
    for bet in BETS:
        above = np.logaddexp(above, np.cumsum(np.log1p(bet * excess), axis=-1))
        below = np.logaddexp(below, np.cumsum(np.log1p(-bet * excess), axis=-1))
    above, below = above - np.log(len(BETS)), below - np.log(len(BETS))
    return (np.maximum.accumulate(np.maximum(above, 0.0), axis=-1),
            np.maximum.accumulate(np.maximum(below, 0.0), axis=-1))


def betting_test(scores: np.ndarray, threshold: float, low: float = 0.0,
                 high: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Anytime-valid p-values (p_above, p_below) against `threshold` after each question, shape of `scores`.

    Valid at any stopping time: a check may look after every question and stop at the first p-value at most
    alpha/2, and its error stays at most alpha/2 per side (Ville's inequality).
    """
    above, below = _max_log_capital(_unit(scores, low, high), (threshold - low) / (high - low))
    return np.exp(-above), np.exp(-below)


def confidence_sequence(scores: np.ndarray, threshold: float, confidence: float, low: float = 0.0,
                        high: float = 1.0, tolerance: float = 1e-5) -> Test:
    """The betting confidence sequence after the last question (running intersection over all earlier ones),
    with its anytime p-values against `threshold`; the bounds are found by bisection on the monotone capital.
    """
    unit = _unit(scores, low, high)
    barrier = np.log(2 / (1 - confidence))
    shape = unit.shape[:-1]

    def bound(side: int) -> np.ndarray:
        # side 0: lower bound, the largest m the "above" bettor has beaten; side 1: the smallest the "below" has.
        inside, outside = np.full(shape, 1.0 if side == 0 else 0.0), np.full(shape, 0.0 if side == 0 else 1.0)
        while np.max(np.abs(inside - outside)) > tolerance:
            middle = (inside + outside) / 2
            beaten = _max_log_capital(unit, middle)[side][..., -1] >= barrier
            outside = np.where(beaten, middle, outside)
            inside = np.where(beaten, inside, middle)
        return low + (high - low) * outside

    p_above, p_below = betting_test(scores, threshold, low, high)
    mean = np.asarray(scores, dtype=float).mean(axis=-1)  # a running intersection need not contain today's mean
    return Test(mean, bound(0), bound(1), p_above[..., -1], p_below[..., -1], unit.shape[-1])


def decide(p_above: np.ndarray | float, p_below: np.ndarray | float, confidence: float) -> np.ndarray:
    """pass when the mean is shown above the threshold, regression when shown below, else undecided.

    Each side is tested at (1 - confidence) / 2, so a decision agrees with the two-sided interval at
    `confidence`: pass exactly when the interval lies above the threshold, regression when below.
    """
    alpha_side = (1 - confidence) / 2
    return np.where(np.asarray(p_above) <= alpha_side, "pass",
                    np.where(np.asarray(p_below) <= alpha_side, "regression", "undecided"))


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979): family-wise error control for any dependence.

    scipy offers only false-discovery-rate adjustment (`scipy.stats.false_discovery_control`); statsmodels'
    `multipletests` has Holm but is a large dependency for these four lines.
    """
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    k = len(p)
    stepped = np.maximum.accumulate(np.minimum(1.0, (k - np.arange(k)) * p[order]))
    adjusted = np.empty_like(p)
    adjusted[order] = stepped
    return adjusted


def questions_to_decide(scores: np.ndarray, threshold: float, confidence: float, low: float = 0.0,
                        high: float = 1.0, power: float = 0.8) -> int | None:
    """About how many questions in all a fixed-sample check (`t_test`) needs to decide with probability `power`
    if the mean and the per-question standard deviation stay as measured on `scores` (normal approximation),
    and at least as many as the unanimous-sample floor of `t_test` needs at that mean; never fewer than one more
    than `scores` holds (a check of the same questions decides nothing new). None when the mean sits on the
    threshold (no number of questions decides it).
    """
    scores = np.asarray(scores, dtype=float)
    n, mean = len(scores), float(scores.mean())
    distance = abs(mean - threshold)
    if distance <= 0:
        return None
    z = stats.norm.ppf(0.5 + confidence / 2) + stats.norm.ppf(power)
    sd = float(scores.std(ddof=1)) if n > 1 else 0.0
    ratio = (threshold - low) / (mean - low) if mean > threshold else (high - threshold) / (high - mean)
    floor = np.log((1 - confidence) / 2) / np.log(ratio)  # the n at which ratio^n reaches (1 - confidence) / 2
    return max(int(np.ceil((z * sd / distance) ** 2)), int(np.ceil(floor)), n + 1)


# How far ahead `more_questions_to_decide` looks: past this many more questions an estimate means little.
HORIZON = 10_000


def more_questions_to_decide(scores: np.ndarray, threshold: float, confidence: float, low: float = 0.0,
                             high: float = 1.0, every: int = 1, power: float = 0.8, paths: int = 200,
                             seed: int = 0) -> int | None:
    """About how many more questions a sequential check (`betting_test`) needs to decide with probability
    `power`, continuing from `scores` (in judging order, not yet decided) and looking after every `every`.

    The bettors' capital carries on from where `scores` left it, and the questions to come are resampled from
    the scores so far (a bootstrap, seeded): the answer is the number of further questions, in whole steps of
    `every`, after which a fraction `power` of `paths` continued sequences have decided (so at least one look
    more). The fixed-sample formula of `questions_to_decide` does not apply here: a confidence sequence is wider
    than a t interval at the same size, the price of being valid at every look. None when that is beyond
    HORIZON more questions.
    """
    scores = np.asarray(scores, dtype=float)
    n = len(scores)
    rng = np.random.default_rng(seed)
    alpha_side = (1 - confidence) / 2
    ahead = every * max(1, -(-n // every))  # as many more as there are, doubled until decided or past HORIZON
    while True:
        future = rng.choice(scores, size=(paths, ahead))
        p_above, p_below = betting_test(np.hstack([np.broadcast_to(scores, (paths, n)), future]), threshold,
                                        low, high)
        looks = np.arange(n + every - 1, n + ahead, every)
        decided = ((p_above[:, looks] <= alpha_side) | (p_below[:, looks] <= alpha_side)).mean(axis=0)
        if decided[-1] >= power:
            return int(every * (1 + np.argmax(decided >= power)))
        if ahead >= HORIZON:
            return None
        ahead = min(2 * ahead, every * -(-HORIZON // every))

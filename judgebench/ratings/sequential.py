"""Decisions about the mean of a bounded per-question score: fixed-sample and anytime-valid.

The regression gate (check.py) reduces a comparison to one number per question, bounded in a known
range (a win rate in [0, 1], or a difference of win rates in [-1, 1]), and asks whether the mean over
questions is above or below a threshold (the reference's level minus the margin). The question is the
unit: the two presentation orders of a pair are averaged into its question's score before anything here.

Two ways to decide, both returning p-values for "the mean is above the threshold" and "below it":

- `t_test`: a t interval on the per-question scores corrected for their skewness (Hall 1992) and their lattice,
  for a sample whose size was fixed in advance, kept within the score range and never narrower than the exact
  interval of a sample that all agrees; Hoeffding's (1963) exact bound decides too, far from the threshold.
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
from scipy import special  # t and normal quantiles and tails (scipy.stats: half a second more to import)

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
    """A t interval corrected for skewness (Hall 1992) and for scores on a lattice, and one-sided p-values
    against `threshold`, for a fixed number of questions; kept within the score range [low, high] and never
    narrower than the exact interval of a unanimous sample.

    Why not Student's t: its one-sided error is of order n^-1/2 times the skewness of the score, and the scores a
    check sees are often skewed: "mostly ties, a few losses" (a near-identical fine-tune) is a long left tail, and
    a sample that happens to hold few losses has both a high mean and a small spread. At a true mean exactly at
    the threshold, Student's t passed 5.8% of such checks (90% ties, 10% losses, 100 questions; exact) instead of
    at most 2.5%, and up to 8.3% over two-point distributions (`benchmarks/bench_check_skew.py`). With
    W = (mean - mu) / s and the sample skewness g = m3 / s^3, Hall, P. (1992) "On the removal of skewness by
    transformation", JRSS-B 54(1), 221-228, refers

        T(mu) = sqrt(n) (W + g W^2 / 3 + g^2 W^3 / 27 + g / (6 n))

    to Student's t with n - 1 degrees of freedom: it removes the n^-1/2 term of t's Edgeworth expansion (it is
    Johnson's 1978 modified t, JASA 73, 536-544, plus the cubic term that makes it monotone in W, so that it
    inverts into an interval: W + g W^2/3 + g^2 W^3/27 = ((1 + g W/3)^3 - 1) / g).

    Continuity: scores usually lie on a lattice (a head-to-head score is the mean of two verdicts, a multiple
    of 1/4), so the sample mean moves in steps of h / n and a test's size oscillates around its level, peaking
    above it. As for a binomial, half a step: the pass test is made at threshold + h/(2n), the regression test at
    threshold - h/(2n), and the interval is widened by h/(2n) on each side, h being the smallest gap between
    distinct scores of the sample (near 0 for continuous scores: plain Hall). Exact worst false pass and false
    regression over two-point distributions with mean at the threshold, n = 50 to 200: 2.3% (Student's t: 8.3%
    and 7.9%; `benchmarks/bench_check_skew.py`); the calibration simulation's power at 400 questions moved from
    88% to 87% (tests/test_check_calibration.py).

    Rare scores: the s of W (and of g) is the spread of the sample with half a question added at each end of the
    score range, sqrt((sum (x - mean)^2 + ((mean - low)^2 + (high - mean)^2) / 2) / n), as Jeffreys' prior adds
    half a success and half a failure to a binomial count (the Jeffreys interval of Brown, Cai & DasGupta 2001,
    "Interval estimation for a binomial proportion", Statistical Science 16(2), 101-133). Mostly ties with a few
    wins and a few losses is three-valued, and a sample that happens to hold one loss or none where the population
    has a few has a high mean and almost no spread; its skewness, from the same few counts, does not tell. Exact
    error rates of won/tied/lost scores with their mean at the threshold (w won, w + 2 m lost), over every sample
    and win rates w in steps of 0.05 points (`python benchmarks/bench_check_skew.py --n N --step 0.05`, seconds to
    a minute per n; "before": the same command with judgebench at b64baa2^). With the sample's own spread they
    passed up to 3.9% of checks (n = 36, 1.6% won; above 2.5% at 27 of the sizes 10 to 200). With the half
    questions, at the default margin m = 0.05 and 95%: at most 2.5% both ways at every n from 10 to 200
    (2.47% at n = 41, 1.45% won; every n: `--n $(seq 10 200) --step 0.05`, a long run); a weight of 0.4 instead
    of 1/2 was not enough (2.95% at n = 39, with the 1/2 above set to 0.4). Other margins keep part of the
    excess: the worst false pass is 2.70% at n = 80 and 2.96% at n = 100 with m = 0.02 (`--margin 0.02`; was
    3.37% and 3.39%), 3.04% at n = 200 with m = 0.01 (`--margin 0.01`). This is checked on that lattice, not
    proven (nor is anything here for Hall's t): tests/test_check.py recomputes n = 30, 36 and 41. At 90%
    confidence the worst is 4.7% at m = 0.05 (n = 162; was 6.5%, n = 30) but 5.55% at m = 0.01 (n = 170); at 99%
    half a question is not enough: 0.9% at m = 0.05 (n = 52; was 1.1%, n = 41), 1.03% at m = 0.02 (n = 130), 0.97%
    at m = 0.01 (n = 180), where 0.5% is allowed (`--confidence 0.9 --margin 0.01 --n 170 --step 0.05`,
    `--confidence 0.99 --margin 0.02 --n 130 --step 0.05`; margins 0.01, 0.02, 0.05 and 0.1 at 90%, 95% and 99%
    were computed for n = 10 to 200 in steps of 5 and at the sizes named; at m = 0.1 every rate is within its
    level). The samples that pass wrongly there are nearly all ties with a few wins and losses where the
    population at the threshold has 2 m n losses on average, 3 to 6 of them: a Poisson-like count whose sample
    spread the half questions do not make up for. A score test's spread (the variance reweighted to have its mean
    at the threshold, by empirical likelihood: Owen 2001; for won/tied/lost the restricted maximum likelihood
    variance of Tango's 1998 test for paired proportions) brought every rate within its level in a trial except
    99% false regressions at m = 0.01 (0.52%), at a cost of about 9 points of power at 30 questions (10% won, 2%
    lost: passes 73.2% -> 64.4%); not adopted: its interval would need a search whose monotonicity is unproven.

    Their price: they add ((mean - low)^2 + (high - mean)^2) / 2 to the sum of squares, about a quarter of the
    squared range, which counts where the scores' own variance is small next to it. Head to head, 30 questions of
    76% ties, 2% won and 22% lost (a true 40%) are a regression in 13.2% of checks instead of 20.9%, 100 questions
    in 59.5% instead of 60.2% (exact, `--n 30 100 --power 2 22`). With `--against` (differences in [-1, 1]) they
    add 1 + mean^2: differences of +-0.25 with 10% chance each (sd 0.11) give intervals 9.2% wider at 400 questions
    and 3.8% at 1000 (at 100 the floor below decides: unchanged); with 2% at +-0.5 and 8% at +-0.25 (sd 0.14), 2.5%
    wider at 100, 5.8% at 400; with 5% and 15% (sd 0.21), 10.0% at 100 and 2.7% at 400 (`--n 100 400 1000 --widths
    0 10 80 10 0`, likewise `--widths 2 8 80 8 2` and `5 15 60 15 5`: mean widths over 4,000 seeded samples, the
    same before and after, with Monte Carlo SE under 0.15% of the width).

    Floor: by Markov's inequality on X - low, a population with mean mu has P(X >= m) <= (mu - low) / (m - low),
    so n independent questions all score m or more with probability at most ((mu - low) / (m - low))^n, which is
    at most (1 - confidence) / 2 exactly when mu <= low + q (m - low), q = ((1 - confidence) / 2)^(1/n); likewise
    above. For all wins on [0, 1] this is Clopper & Pearson's (1934) exact bound, (alpha/2)^(1/n). A sample that
    disagrees a little is not allowed to be more certain than one that agrees completely: the interval is the
    union of the two, and each p-value the larger of the corrected t's and the floor's, so decisions agree with
    the interval.

    Far from the threshold: Hall's correction is an n^-1/2 term, and where the skewness is large it outgrows its
    purpose. For a sample of 25 questions with 2 won and 23 lost (g = 3.2), the transformation is past its flat
    point, and the corrected t gave [0%, 57%], undecided, where 3 won of 25 was a regression; 2 won of 13 gave
    [0%, 100%] (a user's audit). Two remedies. The skewness is clipped where the flat point would fall inside
    the critical value (below). And Hoeffding's (1963, "Probability inequalities for sums of bounded random
    variables", JASA 58, Theorem 1) bound, exact for any scores in [low, high] at any n, decides too:
    P(mean <= m) <= exp(-n KL(m || mu)) for a population mean mu >= m (and likewise above), KL the divergence
    between Bernoulli distributions of the unit-scaled means. Each p-value is the smaller of the two tests', the
    interval their intersection. Hoeffding's test, conservative, rejects little that the corrected t keeps near
    the threshold: the exact worst error rates over two-point distributions stay at 2.4% or less for n = 10 to
    200 (`benchmarks/bench_check_skew.py`), and decisions and interval ends of won/lost samples are monotone in
    the questions won for every n up to 300 (tests/test_check.py). Samples of ties and a few losses, whose range
    is narrower than the score range's, can still be non-monotone within a question or two of the threshold.
    """
    scores = np.asarray(scores, dtype=float)
    _unit(scores, low, high)  # refuses scores outside the range
    n = scores.shape[-1]
    if n < 2:
        raise ValueError("a t interval needs at least two questions")
    mean = scores.mean(axis=-1)
    deviation = scores - mean[..., None]
    squares = (deviation ** 2).sum(axis=-1)
    spread = np.sqrt(squares / (n - 1)) > 1e-12 * (high - low)
    # half a question added at each end of the range (see "Rare scores"); a sample without spread: the floor decides
    sd = np.where(spread, np.sqrt((squares + ((mean - low) ** 2 + (high - mean) ** 2) / 2) / n), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = np.where(spread, (deviation ** 3).mean(axis=-1) / np.where(spread, sd, 1.0) ** 3, 0.0)
    t_critical = float(special.stdtrit(n - 1, 0.5 + confidence / 2))
    # Hall's cubic is flat where 1 + g W / 3 = 0; a skewness that puts that point inside the critical value
    # makes a more extreme sample less significant. Clipped to the largest that keeps it outside: |g| (c + |g| /
    # (6 n)) <= 1 at the critical value c = t / sqrt(n) (on lattice samples, non-monotone decisions 148 -> 58 of
    # n = 2..200; the worst error rates of bench_check_skew.py unchanged).
    most = 3 * np.sqrt(n) * (np.sqrt(t_critical ** 2 + 2 / 3) - t_critical)
    skew = np.clip(skew, -most, most)
    gaps = np.diff(np.sort(scores, axis=-1), axis=-1)
    step = np.where(gaps > 1e-9 * (high - low), gaps, np.inf).min(axis=-1)
    shift = np.where(np.isfinite(step), step, 0.0) / (2 * n)

    def hall(w: np.ndarray) -> np.ndarray:
        return np.sqrt(n) * (w + skew * w * w / 3 + skew * skew * w ** 3 / 27 + skew / (6 * n))

    def hall_inverse(y: float) -> np.ndarray:  # the w with hall(w) = sqrt(n) y
        u = skew * (y - skew / (6 * n))
        root = np.where(u > -1, np.expm1(np.log1p(np.maximum(u, -1 + 1e-15)) / 3), np.cbrt(1 + u) - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.abs(skew) > 1e-12, 3 * root / np.where(skew != 0, skew, 1.0), y - skew / (6 * n))

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # no spread: +-inf, then the floor decides
        above = np.where(spread, hall((mean - threshold - shift) / sd), np.sign(mean - threshold) * np.inf)
        below = np.where(spread, hall((mean - threshold + shift) / sd), np.sign(mean - threshold) * np.inf)
    p_above = np.nan_to_num(special.stdtr(n - 1, -above), nan=1.0)
    p_below = np.nan_to_num(special.stdtr(n - 1, below), nan=1.0)
    critical = t_critical / np.sqrt(n)
    lower = mean - sd * hall_inverse(critical) - shift
    upper = mean - sd * hall_inverse(-critical) + shift
    q = ((1 - confidence) / 2) ** (1 / n)
    lower = np.minimum(lower, low + q * (mean - low))
    upper = np.maximum(upper, high - q * (high - mean))
    with np.errstate(divide="ignore", over="ignore"):  # only in the branch np.where drops
        floor_above = np.where(mean > threshold, ((threshold - low) / (mean - low)) ** n, 0.0)
        floor_below = np.where(mean < threshold, ((high - threshold) / (high - mean)) ** n, 0.0)
    # Hoeffding's bound decides too where it is the stronger (far from the threshold, where Hall's cubic is flat)
    unit_mean, unit_threshold = _unit(mean, low, high), _unit(np.asarray(threshold, dtype=float), low, high)
    bound = np.exp(-n * _bernoulli_divergence(unit_mean, unit_threshold))
    kl_lower, kl_upper = _hoeffding_interval(unit_mean, n, confidence)
    return Test(mean, np.clip(np.maximum(lower, low + (high - low) * kl_lower), low, high),
                np.clip(np.minimum(upper, low + (high - low) * kl_upper), low, high),
                np.minimum(np.maximum(p_above, floor_above), np.where(mean > threshold, bound, 1.0)),
                np.minimum(np.maximum(p_below, floor_below), np.where(mean < threshold, bound, 1.0)), n)


def _bernoulli_divergence(mean: np.ndarray, mu: np.ndarray | float) -> np.ndarray:
    """KL(Bernoulli(mean) || Bernoulli(mu)), elementwise, for means in [0, 1] (0 log 0 = 0)."""
    return special.rel_entr(mean, mu) + special.rel_entr(1 - mean, 1 - mu)


def _hoeffding_interval(mean: np.ndarray, n: int, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """The means mu in [0, 1] that Hoeffding's bound does not reject at `confidence` (each side at
    (1 - confidence) / 2) for a unit-scaled sample mean: n KL(mean || mu) <= log(2 / (1 - confidence)), solved
    by bisection on each side of the mean (the divergence grows monotonically away from it)."""
    limit = np.log(2 / (1 - confidence)) / n
    ends = []
    for far in (np.zeros_like(mean), np.ones_like(mean)):
        inside, outside = mean.copy(), far
        for _ in range(60):  # 2^-60: below any score's resolution
            middle = (inside + outside) / 2
            rejected = _bernoulli_divergence(mean, middle) > limit
            inside, outside = np.where(rejected, inside, middle), np.where(rejected, middle, outside)
        ends.append(np.where(_bernoulli_divergence(mean, far) <= limit, far, outside))
    return ends[0], ends[1]


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


# How far ahead `questions_to_decide` and `more_questions_to_decide` look: past this many more questions an
# estimate means little.
HORIZON = 10_000


def questions_to_decide(scores: np.ndarray, threshold: float, confidence: float, low: float = 0.0,
                        high: float = 1.0, power: float = 0.8, seed: int = 0) -> int | None:
    """About how many questions in all a fixed-sample check (`t_test`) needs to decide with probability `power`
    if the questions to come are like `scores`: the fewest n at which a share `power` of samples of n questions
    drawn from `scores` decide (`decided_share`), never fewer than one more than `scores` holds (a check of the
    same questions decides nothing new). None when the mean sits on the threshold (no number of questions decides
    it) or when not even HORIZON more questions would.

    The search starts at the normal approximation n = ((z_(1 - alpha/2) + z_power) sd / |mean - threshold|)^2
    (and the unanimous-sample floor of `t_test` at that mean), which alone promised too much: `t_test`'s skewness
    and lattice corrections and its t quantile need more questions, and at that n a check of head-to-head scores
    decided 70% of the time, not 80% (tests/test_check.py). From there it steps 3% up (or down, when the start
    already decides) until the share crosses `power`, then bisects between the two last sizes.
    """
    scores = np.asarray(scores, dtype=float)
    n, mean = len(scores), float(scores.mean())
    distance = abs(mean - threshold)
    if distance <= 0:
        return None
    z = special.ndtri(0.5 + confidence / 2) + special.ndtri(power)
    sd = float(scores.std(ddof=1)) if n > 1 else 0.0
    ratio = (threshold - low) / (mean - low) if mean > threshold else (high - threshold) / (high - mean)
    floor = np.log((1 - confidence) / 2) / np.log(ratio)  # the n at which ratio^n reaches (1 - confidence) / 2
    fewest, most = max(n + 1, 2), n + HORIZON
    start = min(max(int(np.ceil((z * sd / distance) ** 2)), int(np.ceil(floor)), fewest), most + 1)

    def decides(size: int) -> bool:
        return decided_share(scores, size, threshold, confidence, low, high, seed) >= power

    if start <= most and decides(start):  # downwards until a size does not decide
        above = start
        while True:
            if above == fewest:
                return above
            below = max(fewest, min(above - 1, int(above / 1.03)))
            if not decides(below):
                break
            above = below
    else:  # upwards until a size decides, or past the horizon
        below = start
        while True:
            above = max(below + 1, int(np.ceil(below * 1.03)))
            if above > most:
                return None
            if decides(above):
                break
            below = above
    while above - below > 1:  # the fewest between the last size that did not decide and the first that did
        middle = (below + above) // 2
        below, above = (below, middle) if decides(middle) else (middle, above)
    return above


def decided_share(scores: np.ndarray, size: int, threshold: float, confidence: float, low: float = 0.0,
                  high: float = 1.0, seed: int = 0) -> float:
    """The share of 2,000 fixed-sample checks (`t_test`) of `size` questions drawn from `scores` with replacement
    that decide. Each sample is the first `size` draws of its own seeded sequence whatever `size` is, so that the
    shares of nearby sizes differ by the questions added, not by fresh noise, and a search over sizes sees a
    smooth curve; drawn in batches of 200 samples to keep memory to that many times `size`."""
    scores = np.asarray(scores, dtype=float)
    decided = 0
    for batch in range(10):
        drawn = np.random.default_rng([seed, batch]).integers(len(scores), size=(size, 200))  # row k: each one's kth
        test = t_test(scores[drawn.T], threshold, confidence, low, high)
        decided += int(np.sum(decide(test.p_above, test.p_below, confidence) != "undecided"))
    return decided / 2000


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

"""Calibration of the regression gate by simulation (no server): does it keep its stated error rates?

Judged games come from a model with known strengths, question effects, a first-position bias and label noise
(tests/support/check_simulation.py); the candidate's true win rate against the reference is set exactly
(by quadrature, not by the code under test) to 50% (equal), 45% (worse by the margin m = 5 points) or 40%
(worse by 2m). Each scenario runs CHECKS independent checks; a rate's Monte Carlo standard error is
sqrt(p (1 - p) / CHECKS), at most 0.69 points for 0.05 with 1,000 checks, and bounds are allowed 3 of them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from judgebench.ratings.sequential import betting_test, confidence_sequence, decide, t_test
from tests.support.check_simulation import questions_used, simulate_scores

MARGIN, CONFIDENCE = 0.05, 0.95
THRESHOLD = 0.5 - MARGIN
CHECKS = 1000
FIXED_QUESTIONS = 400
README_POWER_400 = 0.80  # README "Regression gate in CI": power at 2m with 400 questions (this judge model)
BATCH, MAX_QUESTIONS = 50, 1000
SCENARIOS = {"equal": 0.5, "worse by m": 0.5 - MARGIN, "worse by 2m": 0.5 - 2 * MARGIN}


def mc_allowance(rate: float) -> float:
    """Three Monte Carlo standard errors of a rate estimated from CHECKS checks."""
    return 3 * math.sqrt(rate * (1 - rate) / CHECKS)


def rates(decisions: np.ndarray) -> dict[str, float]:
    return {kind: float(np.mean(decisions == kind)) for kind in ("pass", "regression", "undecided")}


@pytest.fixture(scope="module")
def scores() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261128)
    return {name: simulate_scores(rng, CHECKS, MAX_QUESTIONS, mean) for name, mean in SCENARIOS.items()}


@pytest.fixture(scope="module")
def sequential(scores) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each scenario's sequential checks: (final decision, questions judged), looking after every batch."""
    checkpoints = np.arange(BATCH, MAX_QUESTIONS + 1, BATCH)
    found = {}
    for name, x in scores.items():
        p_above, p_below = betting_test(x, THRESHOLD)
        found[name] = questions_used(decide(p_above[:, checkpoints - 1], p_below[:, checkpoints - 1], CONFIDENCE),
                                     checkpoints)
    return found


def test_fixed_sample_check_keeps_its_error_rates_and_stated_power(scores):
    found = {name: rates(decide(*_p(t_test(x[:, :FIXED_QUESTIONS], THRESHOLD, CONFIDENCE)), CONFIDENCE))
             for name, x in scores.items()}
    print("\nfixed 400 questions:", found)
    assert found["equal"]["regression"] <= 0.05 + mc_allowance(0.05)
    assert found["worse by m"]["pass"] <= 0.05 + mc_allowance(0.05)
    assert found["worse by m"]["regression"] <= 0.05 + mc_allowance(0.05)  # at the boundary: each side ~2.5%
    assert found["worse by 2m"]["regression"] >= README_POWER_400 - mc_allowance(README_POWER_400)


def _p(test) -> tuple[np.ndarray, np.ndarray]:
    return test.p_above, test.p_below


def fixed_size_with_power(x: np.ndarray, right: str, power: float) -> int:
    """The smallest fixed number of questions (in steps of BATCH) whose t-test check reaches `power`."""
    for n in range(BATCH, x.shape[1] + 1, BATCH):
        if rates(decide(*_p(t_test(x[:, :n], THRESHOLD, CONFIDENCE)), CONFIDENCE))[right] >= power:
            return n
    return x.shape[1] + 1


def test_sequential_check_keeps_its_error_rates_with_fewer_questions(sequential, scores):
    for name, (decisions, used) in sequential.items():
        print(f"\nsequential {name}: {rates(decisions)}; questions mean {used.mean():.0f}, "
              f"90th percentile {np.percentile(used, 90):.0f} (fixed: {FIXED_QUESTIONS})")
    assert rates(sequential["equal"][0])["regression"] <= 0.05 + mc_allowance(0.05)
    assert rates(sequential["worse by m"][0])["pass"] <= 0.05 + mc_allowance(0.05)
    assert rates(sequential["worse by m"][0])["regression"] <= 0.05 + mc_allowance(0.05)
    # Fewer questions on average than the fixed-size check with the same power, when the answer is clear.
    for name, right in (("equal", "pass"), ("worse by 2m", "regression")):
        decisions, used = sequential[name]
        power = rates(decisions)[right]
        fixed = fixed_size_with_power(scores[name], right, power)
        print(f"{name}: sequential power {power:.3f} from {used.mean():.0f} questions on average; "
              f"a fixed check needs {fixed} for that power")
        assert power >= 0.9
        assert used.mean() < 0.85 * fixed


def test_naive_repeated_t_test_is_not_valid(scores):
    """Peeking at a fixed-sample t test after every batch and stopping at the first decision passes a candidate
    that is worse by exactly the margin far more often than the 2.5% its one side promises."""
    x = scores["worse by m"]
    checkpoints = np.arange(BATCH, MAX_QUESTIONS + 1, BATCH)
    decisions = np.stack([decide(*_p(t_test(x[:, :n], THRESHOLD, CONFIDENCE)), CONFIDENCE) for n in checkpoints],
                         axis=1)
    naive, _ = questions_used(decisions, checkpoints)
    false_pass = rates(naive)["pass"]
    print(f"\nnaive repeated t test, worse by m: false pass rate {false_pass:.3f}")
    assert false_pass > 0.025 + mc_allowance(0.025) + 0.03


def test_confidence_sequence_covers_the_true_mean_at_every_size_at_once(scores):
    """At the true mean neither bettor may ever reach 2/alpha: the sequence covers it at all 1,000 sizes at once
    in at least 95% of the checks (the plain t interval, looked at 20 times, does not)."""
    alpha_side = (1 - CONFIDENCE) / 2
    for name, mean in SCENARIOS.items():
        p_above, p_below = betting_test(scores[name], mean)
        covered = (p_above.min(axis=1) > alpha_side) & (p_below.min(axis=1) > alpha_side)
        assert covered.mean() >= 0.95 - mc_allowance(0.95), name


def test_confidence_sequence_bounds_agree_with_its_decisions(scores):
    """The interval reported to users lies above the threshold exactly when the check passes, below it exactly
    when it regresses, and never widens as questions arrive."""
    x = scores["worse by 2m"][:40]
    previous = None
    for n in (100, 300, 600):
        sequence = confidence_sequence(x[:, :n], THRESHOLD, CONFIDENCE)
        decisions = decide(sequence.p_above, sequence.p_below, CONFIDENCE)
        assert np.array_equal(decisions == "pass", sequence.lower > THRESHOLD)
        assert np.array_equal(decisions == "regression", sequence.upper < THRESHOLD)
        assert np.all(sequence.lower <= sequence.upper)
        if previous is not None:
            assert np.all(sequence.lower >= previous.lower - 1e-4) and np.all(sequence.upper <= previous.upper + 1e-4)
        previous = sequence

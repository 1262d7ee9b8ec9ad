"""Agreement with gold labels: the two-order rule on hand-made cases, and a simulated judge of known accuracy.

The simulated judge picks the right answer with probability R + B when the right answer is shown first and
R - B when it is shown second (a first-slot bias B), never a tie. Then, per pair (each order once):
accuracy with both orders averaged = R; JudgeBench's rule (right only when both orders are right) =
(R + B)(R - B); position consistency = (R + B)(R - B) + (1 - R - B)(1 - R + B). Coverage of each interval
is counted over 200 simulated gold sets of 300 pairs (Monte Carlo standard error of the coverage: 1.5
points at a true 95%); the seed is fixed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from judgebench import diagnostics

R, B, STUDIES, PAIRS = 0.7, 0.1, 200, 300


def test_two_order_rule_on_every_combination():
    # A's verdicts (A first, A second) -> decision: agree, one tie, contradiction, two ties
    first = [1.0, 0.0, 1.0, 0.5, 1.0, 0.5]
    second = [1.0, 0.0, 0.5, 0.0, 0.0, 0.5]
    decision = diagnostics.two_order_decision(first, second)
    assert decision[:5].tolist()[:4] == [1.0, 0.0, 1.0, 0.0] and np.isnan(decision[4]) and decision[5] == 0.5
    figures = diagnostics.gold_agreement(first, second, ["A", "B", "A", "A", "A", "B"], sources=list("xxxyyy"))
    assert figures["n_pairs"] == 6
    assert figures["accuracy_judgebench_rule"] == pytest.approx(3 / 6)  # two ties and a contradiction are wrong
    # averaged: 1, 1, 0.75, 0.25, 0.5, 0.5
    assert figures["accuracy_averaged"] == pytest.approx(4 / 6)
    assert figures["position_consistency"] == pytest.approx(3 / 6)
    assert figures["by_source"]["x"]["accuracy_judgebench_rule"] == 1.0
    assert figures["by_source"]["y"]["accuracy_judgebench_rule"] == 0.0
    # judge A,B,A,B,tie,tie vs gold A,B,A,A,A,B: p_o = 3/6, p_e = (2/6)(4/6) + (2/6)(2/6) = 12/36
    assert figures["kappa"] == pytest.approx((0.5 - 1 / 3) / (1 - 1 / 3))
    assert "calibration" not in figures


def test_an_order_without_a_verdict_casts_no_vote_and_no_verdict_is_wrong():
    """JudgeBench's rule over every pair: left out, the pairs a judge gave no verdict on made a judge that refused
    the hard pairs (0.64 of its games unparsed) score 0.79 against 0.29 counted as JudgeBench counts."""
    first = [1.0, np.nan, np.nan, 1.0, 0.0]
    second = [np.nan, 0.0, np.nan, 1.0, 1.0]
    figures = diagnostics.gold_agreement(first, second, ["A", "A", "A", "A", "A"], sources=list("xxyyy"))
    assert figures["accuracy_judgebench_rule"] == pytest.approx(2 / 5)  # the 1st (one vote for A) and the 4th
    assert figures["intervals"]["accuracy_judgebench_rule"]["n"] == 5
    assert (figures["n_pairs"], figures["n_incomplete"]) == (2, 3)
    assert figures["accuracy_averaged"] == pytest.approx(3 / 4)  # over the pairs judged in both orders: 1, 0.5
    assert figures["by_source"]["x"]["accuracy_judgebench_rule"] == pytest.approx(1 / 2)
    assert figures["by_source"]["x"]["n_pairs"] == 0 and figures["by_source"]["x"]["accuracy_averaged"] is None
    without = diagnostics.gold_agreement(first, second, ["A"] * 5, sources=list("xxyyy"), categories=[None] * 5)
    assert "by_category" not in without  # no pair names a category: not "all" again under "(none)"
    assert figures["kappa"] is None  # the labels hold one value: no agreement beyond chance to measure


def test_calibration_of_probabilities():
    figures = diagnostics.gold_agreement([0.9, 0.8, 0.3], [0.6, np.nan, 0.2], ["A", "A", "B"])
    assert figures["n_pairs"] == 2 and figures["n_incomplete"] == 1
    cal = figures["calibration"]
    # probabilities 0.9, 0.3 (first order) and 0.6, 0.2 (second); outcomes 1, 0, 1, 0
    assert cal["brier"] == pytest.approx((0.01 + 0.09 + 0.16 + 0.04) / 4)
    assert cal["ece"] == pytest.approx((0.1 + 0.3 + 0.4 + 0.2) / 4)
    assert [row["n"] for row in cal["reliability"]] == [1, 1, 1, 1]


def test_a_judge_right_with_known_probability_is_measured_within_its_intervals():
    rng = np.random.default_rng(5)
    a_better = rng.random((STUDIES, PAIRS)) < 0.5
    right_first = rng.random((STUDIES, PAIRS)) < np.where(a_better, R + B, R - B)   # A shown first
    right_second = rng.random((STUDIES, PAIRS)) < np.where(a_better, R - B, R + B)  # A shown second
    # the judge's verdict for A: 1 when it picked A, i.e. right and A better, or wrong and B better
    v_first = (right_first == a_better).astype(float)
    v_second = (right_second == a_better).astype(float)
    truth = {"accuracy_averaged": R, "accuracy_judgebench_rule": (R + B) * (R - B),
             "position_consistency": (R + B) * (R - B) + (1 - R - B) * (1 - R + B)}
    covered = dict.fromkeys(truth, 0)
    for study in range(STUDIES):
        labels = np.where(a_better[study], "A", "B")
        intervals = diagnostics.gold_agreement(v_first[study], v_second[study], labels)["intervals"]
        for name, value in truth.items():
            covered[name] += intervals[name]["lower"] <= value <= intervals[name]["upper"]
    assert all(count >= 0.93 * STUDIES for count in covered.values()), covered


@pytest.mark.parametrize(("lam", "verdict"), [(0.0, "no length preference detected"),
                                              (1.0, "prefers longer answers")])
def test_the_gold_set_length_bias_is_net_of_the_label(lam, verdict):
    """400 labelled pairs whose better answer is usually the longer one (by a factor 2^N(1, 0.7)); the judge picks
    the better answer with log-odds 1 + lam * log2(its length / the other's), each order independently. The
    longer answer wins most pairs either way; the net effect, the judge's length preference beyond the label,
    covers 0 for lam = 0 and lies above it for lam = 1."""
    rng = np.random.default_rng(9)
    n = 400
    a_better = rng.random(n) < 0.5
    worse = 2.0 ** rng.normal(9.0, 0.5, n)
    better = worse * 2.0 ** rng.normal(1.0, 0.7, n)
    length_a, length_b = np.where(a_better, better, worse), np.where(a_better, worse, better)
    picks_better = rng.random((2, n)) < 1.0 / (1.0 + np.exp(-(1.0 + lam * np.log2(better / worse))))
    p_a = np.where(a_better, picks_better, ~picks_better).astype(float)
    labels = np.where(a_better, "A", "B").tolist()
    outcomes = pd.DataFrame({"question_id": np.arange(n), "model_a": "a", "model_b": "b", "score_a": p_a.mean(axis=0)})
    assert diagnostics.longer_answer_rate(outcomes, length_a, length_b).lower > 0.6
    effect = diagnostics.gold_length_effect(p_a[0], p_a[1], labels, length_a, length_b)
    assert effect["controls"] == "the gold label" and effect["verdict"] == verdict and effect["n_clusters"] == n
    assert effect["lower"] <= lam <= effect["upper"]


def test_kappa_interval_covers_the_population_kappa_at_the_nominal_rate():
    """The bootstrap interval of Cohen's kappa, by simulation: 1,000 samples of 100 pairs from a joint distribution
    of judge decisions and gold labels whose kappa is known (0.571). Monte Carlo standard error of the coverage:
    sqrt(0.95 x 0.05 / 1000) = 0.7 points, so 95% +- 2.1 points (3 standard errors)."""
    joint = np.array([[0.30, 0.06, 0.02], [0.05, 0.28, 0.02], [0.06, 0.07, 0.14]])  # judge's rows, gold's columns
    agreement, chance = np.trace(joint), (joint.sum(axis=1) * joint.sum(axis=0)).sum()
    population = (agreement - chance) / (1 - chance)
    labels = np.array(["A", "B", "tie"])
    rng = np.random.default_rng(7)
    covered = []
    for _ in range(1000):
        cells = rng.choice(9, size=100, p=joint.ravel())
        rate = diagnostics.kappa_rate(labels[cells // 3].tolist(), labels[cells % 3].tolist())
        assert rate.lower <= rate.value <= rate.upper
        covered.append(rate.lower <= population <= rate.upper)
    assert abs(np.mean(covered) - 0.95) <= 0.021


def test_kappa_interval_in_the_gold_figures():
    judge = [1.0] * 30 + [0.0] * 30 + [1.0] * 10  # A first: A's verdicts; the second order agrees
    labels = ["A"] * 30 + ["B"] * 30 + ["B"] * 10
    figures = diagnostics.gold_agreement(judge, judge, labels)
    interval = figures["intervals"]["kappa"]
    assert interval["value"] == figures["kappa"] == pytest.approx(diagnostics.cohen_kappa(
        ["A"] * 30 + ["B"] * 30 + ["A"] * 10, labels))
    assert -1 <= interval["lower"] < figures["kappa"] < interval["upper"] <= 1 and interval["n"] == 70
    again = diagnostics.gold_agreement(judge, judge, labels)["intervals"]["kappa"]
    assert again == interval  # seeded: the same labels give the same interval


@pytest.mark.parametrize(("judge", "value", "why"), [
    ("ABABABAB", 1.0, "every resample of the pairs gives kappa 1.000 (the judge's decision matched every label)"),
    ("AAAAAAAA", 0.0, "the judge said A for every pair, so kappa is 0 by definition, in every resample too")],
    ids=["all-right", "constant-judge"])
def test_a_kappa_every_resample_repeats_has_no_interval_and_says_why(judge, value, why):
    """8 pairs all right gave kappa 1.000 [1.000, 1.000], beside the accuracy's Wilson interval [0.676, 1.000]; a
    judge that always says A, 0 [0, 0]. A zero-width percentile interval claims a certainty the bootstrap never
    measured: no interval, and a note saying why. A kappa that varies keeps its interval."""
    labels = list("ABABABAB")
    rate = diagnostics.kappa_rate(list(judge), labels)
    assert (rate.value, rate.lower, rate.upper, rate.n) == (value, None, None, 8)
    assert rate.note is not None and rate.note.startswith(why)
    assert rate.to_json()["note"] == rate.note
    verdicts = [{"A": 1.0, "B": 0.0}[decision] for decision in judge]
    figures = diagnostics.gold_agreement(verdicts, verdicts, labels)
    assert figures["kappa"] == value and figures["intervals"]["kappa"]["note"] == rate.note
    assert figures["intervals"]["accuracy_averaged"]["lower"] < figures["accuracy_averaged"]
    varying = diagnostics.kappa_rate(list("ABABABAA"), labels)
    assert varying.lower < varying.value < varying.upper and varying.note is None
    assert "note" not in varying.to_json()


def test_length_note_of_a_gold_set_a_judge_gets_all_right():
    """Pairs all judged right: every verdict follows the label whatever the lengths, so no length preference can
    show, which the note says (on two pairs it said that length and the sides decide every verdict; on 20, it gave
    a figure fitted beside the weak ridge, which measured the ridge's pull)."""
    note = ("every pair's verdicts follow the sides' order (of any two sides compared, one won every comparison, "
            "directly or through others): no length preference can show")
    effect = diagnostics.gold_length_effect([1.0, 0.0], [1.0, 0.0], ["A", "B"], [100, 400], [200, 300])
    assert effect == {"log_odds": None, "controls": "the gold label", "note": note}
    labels = ["A", "B"] * 10
    right = [1.0 if label == "A" else 0.0 for label in labels]
    lengths = np.random.default_rng(0).integers(100, 1000, size=(2, 20))
    effect = diagnostics.gold_length_effect(right, right, labels, *lengths)
    assert effect == {"log_odds": None, "controls": "the gold label", "note": note}


def test_a_pair_whose_every_order_failed_is_left_out_while_an_unparsed_one_stays_wrong():
    """A server's fault is not the judge's verdict: with HTTP 400s, pairs whose two games both failed were scored
    wrong, so the faults lowered the JudgeBench-rule accuracy. Such a pair is left out now (n_not_judged), while a
    pair the judge answered without a verdict (its outputs unparsed) stays wrong, as the rule says."""
    first = [1.0, np.nan, np.nan, 1.0]
    second = [1.0, np.nan, np.nan, np.nan]
    # pair 2: both orders failed (not judged); pair 3: both unparsed (judged, no verdict); pair 4: one order failed
    figures = diagnostics.gold_agreement(first, second, ["A"] * 4, judged=[True, False, True, True],
                                         sources=["x", "x", "y", "y"])
    assert figures["accuracy_judgebench_rule"] == pytest.approx(2 / 3)  # pairs 1 and 4 right, 3 wrong
    assert figures["intervals"]["accuracy_judgebench_rule"]["n"] == 3
    assert (figures["n_pairs"], figures["n_incomplete"], figures["n_not_judged"]) == (1, 3, 1)
    assert figures["accuracy_averaged"] == 1.0  # over the pairs judged in both orders: pair 1
    assert figures["by_source"]["x"]["accuracy_judgebench_rule"] == 1.0  # pair 2 left out, not wrong
    assert figures["by_source"]["x"]["n_not_judged"] == 1
    # without `judged`, every pair counts as the judge's, as before
    assert diagnostics.gold_agreement(first, second, ["A"] * 4)["accuracy_judgebench_rule"] == pytest.approx(2 / 4)


@pytest.mark.parametrize(("first", "second", "labels", "why"), [
    ([1.0, 0.0, 1.0], [1.0, 0.0, 0.0], ["A", "B", "A"], "the verdicts are labels (0, 0.5 or 1), not probabilities"),
    ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5], ["A", "B", "A"], "every verdict is 0.5"),
    ([0.9, 0.2, 0.7], [0.8, 0.3, 0.6], ["tie", "tie", "tie"], "every label is a tie"),
    ([np.nan, 0.2], [0.8, np.nan], ["A", "B"], "no pair was judged in both orders")])
def test_calibration_that_cannot_be_measured_says_why(first, second, labels, why):
    """`gold.calibration` was left out without a word (a logprob judge whose server sent no logprobs, or one that
    says 0.5 everywhere, looked like a template without probabilities)."""
    figures = diagnostics.gold_agreement(first, second, labels)
    assert "calibration" not in figures and figures["calibration_note"].startswith(why)
    assert "calibration_note" not in diagnostics.gold_agreement([0.9, 0.2], [0.8, 0.3], ["A", "B"])


def test_the_length_note_of_a_judge_that_ties_every_pair_says_so():
    """Every outcome a draw (a judge that ties every pair) collapses the clustered interval; the note said "as
    those of a judge that always picks the first answer do", the wrong judge."""
    lengths = np.random.default_rng(0).integers(100, 1000, size=(2, 20))
    effect = diagnostics.gold_length_effect([0.5] * 20, [0.5] * 20, ["A", "B"] * 10, *lengths)
    assert effect is not None and "always picks the first answer" not in effect["note"]
    assert ("every question's games fit exactly: every outcome is a draw, as a judge that ties every pair, or picks "
            "the answer shown first in both orders, gives") in effect["note"]

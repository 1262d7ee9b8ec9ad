"""Diagnostics recover known judge biases: coverage of their intervals over 200 simulated studies.

Each study: 4 models (strengths 0, 0.3, 0.6, 0.9 on the log-odds scale) answer 60 questions; every pair of
models on every question is judged in both orders. Each question shifts each model's strength by a normal
draw (sd 0.8), so games of one question are correlated and only a question-clustered interval keeps its
coverage. The simulated judge (known parameters) prefers the first slot (gamma), longer answers (lam),
its own model (delta, for model "judge-3") and says "tie" with probability TIE.

The true value of each rate is its expectation under the simulation, computed once from one study with
200,000 questions (Monte Carlo error below 0.001, small next to the intervals' half-widths of 0.03-0.06).
Coverage is counted over 200 studies; at a true 95% its Monte Carlo standard error is 1.5 points, and the
test asks for at least 93% (the issue's threshold). The seed is fixed, so the test is deterministic.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from judgebench import diagnostics

MODELS = ["m-0", "m-1", "m-2", "judge-3"]
STRENGTH = np.array([0.0, 0.3, 0.6, 0.9])
PAIRS = np.array(list(combinations(range(4), 2)))
GAMMA, LAM, DELTA, TIE, SPREAD = 0.6, 0.5, 0.7, 0.1, 0.8
STUDIES, QUESTIONS = 200, 60


def _judge(rng, first_quality, second_quality, first_longer, own_first, own_second, *, gamma, lam, delta, tie):
    """One verdict per game: 1 = first answer better, 0.5 = tie, 0 = second better."""
    logit = first_quality - second_quality + gamma + lam * np.where(first_longer, 1.0, -1.0) + delta * (
        own_first.astype(float) - own_second.astype(float))
    first_wins = rng.random(logit.shape) < 1.0 / (1.0 + np.exp(-logit))
    return np.where(rng.random(logit.shape) < tie, 0.5, first_wins.astype(float))


def simulate(rng, studies, questions, *, gamma=GAMMA, lam=LAM, delta=DELTA, tie=TIE, spread=SPREAD):
    """Arrays (studies, questions, pairs): p_ab, p_ba, length_a, length_b (model_a = PAIRS[:, 0])."""
    quality = STRENGTH + spread * rng.standard_normal((studies, questions, 4))
    length = rng.lognormal(6.0, 0.5, (studies, questions, 4))
    own = np.array([False, False, False, True])
    a, b = PAIRS[:, 0], PAIRS[:, 1]
    qa, qb, la, lb = quality[..., a], quality[..., b], length[..., a], length[..., b]
    p_ab = _judge(rng, qa, qb, la > lb, own[a], own[b], gamma=gamma, lam=lam, delta=delta, tie=tie)
    p_ba = 1.0 - _judge(rng, qb, qa, lb > la, own[b], own[a], gamma=gamma, lam=lam, delta=delta, tie=tie)
    return p_ab, p_ba, la, lb


def outcomes_of(p_ab, p_ba, la, lb, study):
    questions = p_ab.shape[1]
    q = np.repeat(np.arange(questions), len(PAIRS))
    frame = pd.DataFrame({"question_id": q,
                          "model_a": np.tile(np.array(MODELS)[PAIRS[:, 0]], questions),
                          "model_b": np.tile(np.array(MODELS)[PAIRS[:, 1]], questions),
                          "p_ab": p_ab[study].ravel(), "p_ba": p_ba[study].ravel(), "weight": 1.0})
    frame["score_a"] = (frame["p_ab"] + frame["p_ba"]) / 2
    return frame, la[study].ravel(), lb[study].ravel()


def estimates(frame, la, lb):
    return {"first_slot": diagnostics.first_slot_rate(frame),
            "tie": diagnostics.tie_rate(frame),
            "longer": diagnostics.longer_answer_rate(frame, la, lb),
            "self": diagnostics.self_preference_rate(frame, ["judge-3"]),
            "consistency": diagnostics.position_consistency_rate(frame)}


@pytest.fixture(scope="module")
def truth():
    rng = np.random.default_rng(2024)
    frame, la, lb = outcomes_of(*simulate(rng, 1, 200_000), 0)
    return {name: rate.value for name, rate in estimates(frame, la, lb).items()}


def test_known_biases_are_recovered_within_their_intervals_in_93_percent_of_studies(truth):
    # the biases are real: an unbiased judge would give 0.5 for the first three
    assert truth["first_slot"] > 0.55 and truth["longer"] > 0.55 and truth["self"] > 0.55
    assert truth["tie"] == pytest.approx(TIE, abs=0.003)
    rng = np.random.default_rng(7)
    simulated = simulate(rng, STUDIES, QUESTIONS)
    covered = {name: 0 for name in truth}
    for study in range(STUDIES):
        for name, rate in estimates(*outcomes_of(*simulated, study)).items():
            covered[name] += rate.lower <= truth[name] <= rate.upper
    assert all(count >= 0.93 * STUDIES for count in covered.values()), covered


def test_question_clustering_matters_here():
    """With the questions' correlation ignored (every pair its own cluster) the self-preference interval is too
    narrow (judge-3's question effect is shared by its three pairs of a question): its coverage falls below
    93%, so the clustered interval is what passes above."""
    rng = np.random.default_rng(11)
    big = outcomes_of(*simulate(rng, 1, 100_000), 0)[0]
    true_value = diagnostics.self_preference_rate(big, ["judge-3"]).value
    p_ab, p_ba, la, lb = simulate(rng, STUDIES, QUESTIONS)
    naive = clustered = 0
    for study in range(STUDIES):
        frame = outcomes_of(p_ab, p_ba, la, lb, study)[0]
        rate = diagnostics.self_preference_rate(frame.assign(question_id=np.arange(len(frame))), ["judge-3"])
        naive += rate.lower <= true_value <= rate.upper
        rate = diagnostics.self_preference_rate(frame, ["judge-3"])
        clustered += rate.lower <= true_value <= rate.upper
    assert naive < 0.93 * STUDIES <= clustered, (naive, clustered)


def test_fitted_position_effect_recovers_the_judges_first_slot_log_odds():
    """Without question effects, lengths or self-preference, Bradley-Terry with a first-position parameter is
    the true model: the fitted log-odds interval covers GAMMA in at least 93% of 200 studies."""
    rng = np.random.default_rng(3)
    p_ab, p_ba, la, lb = simulate(rng, STUDIES, QUESTIONS, lam=0.0, delta=0.0, tie=0.0, spread=0.0)
    covered = 0
    for study in range(STUDIES):
        frame = outcomes_of(p_ab, p_ba, la, lb, study)[0]
        effect = diagnostics.fitted_position_effect(frame, None)
        covered += effect["lower"] <= GAMMA <= effect["upper"]
    assert covered >= 0.93 * STUDIES, covered


def test_transitivity_counts_cycles_and_rejects_bradley_terry_on_a_rock_paper_scissors_judge():
    """Three models in a cycle (each beats the next 40 times out of 50, on 150 questions): one triad, cyclic;
    Bradley-Terry fits every pair at 1/2 (by symmetry), so G² = 3 * 2 * (40 ln 1.6 + 10 ln 0.4) = 97.3 on
    3 - 3 + 1 = 1 degree of freedom. A fourth model beaten by all adds three transitive triads."""
    rows = []
    for i, (a, b) in enumerate([("r", "p"), ("p", "s"), ("s", "r")]):
        for k in range(50):
            score = 0.0 if k < 40 else 1.0  # b beats a 40 times
            rows.append({"question_id": f"q{i}-{k}", "model_a": a, "model_b": b, "score_a": score, "weight": 1.0,
                         "p_ab": score, "p_ba": score})
    cycle = diagnostics.transitivity(pd.DataFrame(rows))
    assert (cycle["n_triads"], cycle["n_cyclic"], cycle["cyclic_share"]) == (1, 1, 1.0)
    assert cycle["df"] == 1
    assert cycle["deviance"] == pytest.approx(6 * (40 * np.log(1.6) + 10 * np.log(0.4)), rel=1e-6)
    assert cycle["p_value"] < 1e-6
    loser = [{"question_id": f"l-{m}-{k}", "model_a": m, "model_b": "z", "score_a": 1.0 if k else 0.0,
              "weight": 1.0, "p_ab": 1.0, "p_ba": 1.0} for m in "rps" for k in range(5)]
    four = diagnostics.transitivity(pd.DataFrame(rows + loser))
    assert (four["n_triads"], four["n_cyclic"], four["cyclic_share"]) == (4, 1, 0.25)
    assert "triads_note" not in four


def test_transitivity_of_counts_bradley_terry_fits_exactly_has_a_p_value_of_one():
    """a beats b 3:1, b beats c 3:1, a beats c 9:1: odds 3 x 3 = 9, so Bradley-Terry fits every pair exactly and
    G² is 0, computed as -1e-15; the chi-square tail of scipy.special is NaN there (review), scipy.stats' was 1."""
    wins = {("a", "b"): (3, 1), ("b", "c"): (3, 1), ("a", "c"): (9, 1)}
    rows = [{"question_id": f"{a}{b}{k}", "model_a": a, "model_b": b, "score_a": float(k < won), "weight": 1.0}
            for (a, b), (won, lost) in wins.items() for k in range(won + lost)]
    found = diagnostics.transitivity(pd.DataFrame(rows))
    assert found["df"] == 1 and found["deviance"] == pytest.approx(0.0, abs=1e-9)
    assert found["p_value"] == pytest.approx(1.0)


def test_transitivity_says_why_there_are_no_triads_with_majorities():
    """No triad with a majority in each pair was shown as "0/0": now the figures say why (every pair includes the
    baseline, no three models compared with one another, a pair tied at 0.5 in each triple, too few models)."""
    def outcomes(pairs: list[tuple[str, str, float]]) -> pd.DataFrame:
        return pd.DataFrame([{"question_id": f"q{i}", "model_a": a, "model_b": b, "score_a": score, "weight": 1.0}
                             for i, (a, b, score) in enumerate(pairs)])

    def why(pairs: list[tuple[str, str, float]]) -> str:
        cycle = diagnostics.transitivity(outcomes(pairs))
        assert (cycle["n_triads"], cycle["cyclic_share"]) == (0, None)
        return cycle["triads_note"]

    assert why([(m, "base", 1.0) for m in "abc"] + [("base", "c", 1.0)]) == "every pair compared includes base"
    assert why([("a", "b", 1.0), ("c", "d", 0.0), ("b", "c", 1.0)]) == (
        "no three models were each compared with the other two")
    assert why([("a", "b", 1.0), ("b", "c", 1.0), ("a", "c", 0.5)]) == (
        "every three models compared with one another have a pair tied at 0.5")
    assert why([("a", "b", 1.0), ("b", "a", 1.0)]) == "only 2 models"


# Length bias net of model strength: better models write longer answers (the log2 length of model m's answer
# is 7 + 0.8 * strength_m + N(0, 0.5^2)), and the judge's log-odds are the strength difference plus lam times
# the log2 length ratio, with no question effects, so Bradley-Terry with the length covariate is the true model.
LENGTH_STRENGTH = np.array([0.0, 0.8, 1.6, 2.4])


def simulate_lengths(rng, questions, lam):
    """One study: outcomes of every pair on every question, both orders judged, and the two answers' lengths."""
    log_length = 7.0 + 0.8 * LENGTH_STRENGTH + 0.5 * rng.standard_normal((questions, 4))
    a, b = PAIRS[:, 0], PAIRS[:, 1]
    logit = LENGTH_STRENGTH[a] - LENGTH_STRENGTH[b] + lam * (log_length[:, a] - log_length[:, b])
    p_ab, p_ba = (rng.random((2, 1, *logit.shape)) < 1.0 / (1.0 + np.exp(-logit))).astype(float)
    return outcomes_of(p_ab, p_ba, 2.0 ** log_length[None, :, a], 2.0 ** log_length[None, :, b], 0)


@pytest.mark.parametrize("lam", [0.0, 0.8])
def test_length_bias_net_of_model_strength_covers_the_judges_preference(lam):
    """In 400 studies of 100 questions the 95% interval of the net length effect covers the judge's true
    preference in at least 93% (measured over 1,000 studies: 96.0% for 0, 94.2% for 0.8). A judge that ignores
    length (0) shows a raw longer-answer share whose interval lies above 0.5 in every study, which
    read as a length bias would be wrong; the net figure says "no length preference detected" in at least 93%.
    A judge that prefers longer answers (0.8) is found to in at least 95% of studies."""
    rng = np.random.default_rng(12)
    covered, raw_above_half, verdicts = 0, 0, []
    for _ in range(400):
        frame, la, lb = simulate_lengths(rng, 100, lam)
        effect = diagnostics.length_effect(frame, la, lb)
        covered += effect["lower"] <= lam <= effect["upper"]
        raw_above_half += diagnostics.longer_answer_rate(frame, la, lb).lower > 0.5
        verdicts.append(effect["verdict"])
    assert covered >= 0.93 * 400, covered
    assert raw_above_half == 400
    expected = "no length preference detected" if lam == 0 else "prefers longer answers"
    assert verdicts.count(expected) >= (0.93 if lam == 0 else 0.95) * 400, verdicts.count(expected)

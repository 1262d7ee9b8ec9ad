"""Judge diagnostics on a hand-made example, worked out below by hand (not by the code under test)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from judgebench import diagnostics, leaderboard
from judgebench.verdicts import combine

# Four pairs with soft verdicts (a logprob judge): p_ab = P(model_a better | a shown first),
# p_ba = P(model_a better | a shown second).
#   1. x-y: 0.9 / 0.6  first slot: x wins (1);    y shown first loses (1 - 0.6 = 0.4 -> 0)   orders agree
#   2. x-z: 0.7 / 0.3  first slot: x wins (1);    z shown first wins (0.7 -> 1)               orders disagree
#   3. y-z: 0.6 / --   first slot: y wins (1);    second order not judged
#   4. y-z: 0.5 / 0.2  first slot: tie (0.5);     z shown first wins (0.8 -> 1)               orders disagree
EXAMPLE = pd.DataFrame({"question_id": ["q1", "q2", "q3", "q4"], "model_a": ["x", "x", "y", "y"],
                        "model_b": ["y", "z", "z", "z"], "p_ab": [0.9, 0.7, 0.6, 0.5],
                        "p_ba": [0.6, 0.3, np.nan, 0.2], "weight": 1.0})
EXAMPLE["score_a"] = EXAMPLE[["p_ab", "p_ba"]].mean(axis=1)
FIRST_SLOT = (1 + 1 + 1 + 0.5 + 0 + 1 + 1) / 7  # seven judged games
CONSISTENCY = 1 / 3                             # pairs 1, 2 and 4 were judged in both orders; 1 agrees
PER_MODEL = {"x": 1 / 2, "y": 1 / 2, "z": 0 / 2}


def test_first_slot_win_rate_counts_verdicts_not_probabilities():
    p_first = diagnostics.first_slot_verdicts(EXAMPLE["p_ab"], EXAMPLE["p_ba"])
    assert sorted(p_first) == pytest.approx(sorted([0.9, 0.7, 0.6, 0.5, 0.4, 0.7, 0.8]))
    assert diagnostics.first_slot_win_rate(p_first) == pytest.approx(FIRST_SLOT)
    # the averaged probability (0.657) is a different quantity: how confident, not how often, the first won
    assert np.mean(p_first) == pytest.approx(4.6 / 7) and not math.isclose(np.mean(p_first), FIRST_SLOT)
    assert math.isnan(diagnostics.first_slot_win_rate([]))


def test_win_matrix_in_the_given_order_with_nan_where_models_never_met():
    # a beat b once and tied once (0.75 for a over 2 outcomes); c beat b; a and c never met
    outcomes = pd.DataFrame({"question_id": ["q1", "q2", "q1"], "model_a": ["a", "a", "b"],
                             "model_b": ["b", "b", "c"], "score_a": [1.0, 0.5, 0.0]})
    rate, played = diagnostics.win_matrix(outcomes, ["c", "b", "a"])
    np.testing.assert_array_equal(played, [[0, 1, 0], [1, 0, 2], [0, 2, 0]])
    np.testing.assert_array_equal(rate, [[np.nan, 1.0, np.nan], [0.0, np.nan, 0.25], [np.nan, 0.75, np.nan]])
    rate, _ = diagnostics.win_matrix(outcomes)  # default: sorted by name (a, b, c)
    assert rate[0, 1] == 0.75 and rate[1, 2] == 0.0


def test_position_consistency_overall_and_per_model():
    assert diagnostics.position_consistency(EXAMPLE["p_ab"], EXAMPLE["p_ba"]) == pytest.approx(CONSISTENCY)
    codes = {"x": 0, "y": 1, "z": 2}
    per_model = diagnostics.model_position_consistency(EXAMPLE["model_a"].map(codes), EXAMPLE["model_b"].map(codes),
                                                       EXAMPLE["p_ab"], EXAMPLE["p_ba"], 3)
    assert dict(zip(codes, per_model, strict=True)) == pytest.approx(PER_MODEL)
    assert math.isnan(diagnostics.position_consistency([0.5], [np.nan]))


def test_the_leaderboard_reports_the_same_figures_under_the_same_keys():
    board = leaderboard.build(EXAMPLE, rounds=20, regularization=0.1)
    assert board.meta["first_slot_win_rate"] == pytest.approx(FIRST_SLOT)
    assert board.meta["position_consistency"] == pytest.approx(CONSISTENCY)
    assert {e["model"]: e["position_consistency"] for e in board.models} == pytest.approx(PER_MODEL)


def test_run_diagnostics_keep_one_unparsed_output_and_detect_a_run_without_verdicts():
    judgments = pd.DataFrame({"status": ["unparsed", "failed", "unparsed"],
                              "raw": ["I like both.", None, "Hard to say."]})
    found = diagnostics.diagnose_run(EXAMPLE.iloc[:0], judgments, n_inconsistent=0, n_incomplete=2, skipped={},
                                     markers=("[[A]]", "[[B]]"))
    assert found.no_verdict and found.unparsed_example == "I like both."
    assert (found.n_ok, found.n_failed, found.n_unparsed) == (0, 1, 2)
    assert found.position_consistency is None and found.first_slot_win_rate is None
    some_ok = judgments.assign(status=["ok", "failed", "unparsed"])
    assert not diagnostics.diagnose_run(EXAMPLE, some_ok, n_inconsistent=0, n_incomplete=0, skipped={},
                                        markers=()).no_verdict


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_a_rate_of_0_or_1_lies_inside_its_interval_for_every_sample_size(p):
    """Wilson's end at p = 0 or 1 is p itself only up to rounding (0.9999999999999998 at p = 1 for many n):
    the interval must hold its estimate and stay within [0, 1], with one unit per question or several."""
    for n in range(1, 400):
        for clusters in (np.arange(n), np.arange(n) % 7):
            rate = diagnostics.clustered_rate(np.full(n, p), np.ones(n), clusters)
            assert 0.0 <= rate.lower <= rate.value == p <= rate.upper <= 1.0, (n, rate)
            assert rate.upper - rate.lower > 0, (n, rate)



def wilson(p: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval for a proportion p of n independent units (Wilson 1927), written out here."""
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_a_clustered_interval_is_never_narrower_than_for_independent_games():
    """Clustering may widen an interval, never narrow it. A judge consistent in 35 of 36 pairs (12 questions of
    3 pairs, both orders): every question's first-slot rate is exactly 1/2 but one's (4 of 6), so the
    question-clustered variance is nearly 0 (design effect 0.056), and the interval was 37/72 = 0.514
    [0.487, 0.541], excluding a judge that flips 12% of its pairs towards the first answer (first-slot rate
    0.56), which shows at most one flip in 36 pairs 6% of the time. Now it is Wilson's for 72 independent games,
    at n - 1 = 71 for the variance's small-sample factor n / (n - 1)."""
    rows = [{"question_id": f"q{q}", "model_a": "x", "model_b": f"y{k}", "p_ab": 1.0, "p_ba": 1.0}
            for q in range(12) for k in range(3)]
    rows[0]["p_ba"] = 0.0  # x wins shown first and loses shown second: the first answer won both games
    rate = diagnostics.first_slot_rate(pd.DataFrame(rows))
    assert (rate.value, rate.n, rate.n_clusters) == (37 / 72, 72, 12)
    assert (rate.lower, rate.upper) == pytest.approx(wilson(37 / 72, 71))
    # games of one question that really are correlated still widen it: 6 questions, each all first-slot wins or
    # all losses, is a rate of 1/2 from 6 independent units, not 36
    clustered = diagnostics.clustered_rate(np.repeat([1.0, 0.0], 18), np.ones(36), np.repeat(np.arange(6), 6))
    assert (clustered.lower, clustered.upper) == pytest.approx(wilson(0.5, 6 - 1))


def three_models(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Three models on 30 questions, every pair, the first-listed winning 70% (model x best), and the lengths of
    each pair's answers when x always writes 300 characters, y 200 and z 100."""
    pairs = [("x", "y"), ("x", "z"), ("y", "z")]
    frame = pd.DataFrame([{"question_id": f"q{q}", "model_a": a, "model_b": b} for q in range(30) for a, b in pairs])
    frame["score_a"] = np.where(rng.random(len(frame)) < 0.7, 1.0, 0.0)
    per_model = {"x": 300.0, "y": 200.0, "z": 100.0}
    model_a, model_b = (frame[side].map(per_model).to_numpy() for side in ("model_a", "model_b"))
    return frame, model_a, model_b


def test_length_effect_says_why_it_cannot_be_estimated():
    """Three models on 30 questions, every pair, model x best. Equal lengths, lengths that vary only with the model
    (x always writes 300 characters, y 200, z 100: the log length ratio is then a difference of model terms) and
    verdicts that the longer answer always wins (lengths varying within models) each leave the net effect without an
    estimate, and it says which; without known lengths there is no figure."""
    rng = np.random.default_rng(0)
    frame, model_a, model_b = three_models(rng)
    noisy_a, noisy_b = (lengths * rng.lognormal(0.0, 0.3, len(frame)) for lengths in (model_a, model_b))

    def note(outcomes: pd.DataFrame, length_a: np.ndarray, length_b: np.ndarray) -> str:
        effect = diagnostics.length_effect(outcomes, length_a, length_b)
        assert effect is not None and effect["log_odds"] is None
        return effect["note"]

    assert "same length" in note(frame, np.full(len(frame), 50.0), np.full(len(frame), 50.0))
    assert "varies only with the model" in note(frame, model_a, model_b)
    longer_wins = frame.assign(score_a=(noisy_a > noisy_b).astype(float))
    assert "length and the models together decide (nearly) every verdict" in note(longer_wins, noisy_a, noisy_b)
    one = (frame["question_id"] == "q0").to_numpy()  # a run of one question raised "needs two clusters"
    assert "one question" in note(frame[one], noisy_a[one], noisy_b[one])
    assert diagnostics.length_effect(frame, np.full(len(frame), np.nan), noisy_b) is None
    fitted = diagnostics.length_effect(frame, noisy_a, noisy_b)  # verdicts that ignore length
    assert fitted is not None and fitted["lower"] < 0 < fitted["upper"]
    assert fitted["verdict"] == "no length preference detected"


def test_length_effect_of_a_judge_that_always_picks_the_first_answer_has_a_real_interval():
    """A judge that always picks the first answer splits every pair (score 0.5 each), so every residual of the
    length fit is 0 and the clustered sandwich interval has zero width, [0, 0], which would read as a length
    effect known exactly. It gets the model-based interval instead (as the position effect does), with a note.
    Three models, 30 questions, every pair, lengths varying within models."""
    rng = np.random.default_rng(1)
    pairs = [("x", "y"), ("x", "z"), ("y", "z")]
    frame = pd.DataFrame([{"question_id": f"q{q}", "model_a": a, "model_b": b, "score_a": 0.5}
                          for q in range(30) for a, b in pairs])
    length_a, length_b = (rng.lognormal(5.0, 0.5, len(frame)) for _ in range(2))
    effect = diagnostics.length_effect(frame, length_a, length_b)
    assert effect is not None and effect["log_odds"] == pytest.approx(0.0, abs=1e-9)
    assert effect["lower"] < -0.1 and effect["upper"] > 0.1
    assert effect["twice_as_long_win_probability_lower"] < 0.5 < effect["twice_as_long_win_probability_upper"]
    assert "zero width" in effect["note"] and "model-based interval" in effect["note"]
    assert effect["interval_method"] == "normal interval, inverse information (games taken as independent)"
    assert effect["verdict"] == "no length preference detected"


def test_length_effect_nearly_confounded_with_the_models_has_no_estimate():
    """Three models on 30 questions, every pair, model x best; x writes about 300 characters, y 200, z 100, each
    give or take 2: length varies a little within models, so the fit has a number, but its interval of P(an
    answer twice as long wins) spans [0.000, 1.000] (the run the final read saw printed 46.0 [-57.3, 149.3]
    log-odds). That is reported as no estimate, with why; lengths that vary more keep their figure."""
    rng = np.random.default_rng(2)
    frame, model_a, model_b = three_models(rng)
    nearly = diagnostics.length_effect(frame, model_a + rng.integers(-2, 3, len(frame)),
                                       model_b + rng.integers(-2, 3, len(frame)))
    assert nearly is not None and nearly["log_odds"] is None
    assert nearly["note"].startswith("its interval of P(an answer twice as long wins), [0.000, 1.000], reaches "
                                     "below 0.05 and above 0.95")
    varied = diagnostics.length_effect(frame, model_a * rng.lognormal(0.0, 0.3, len(frame)),
                                       model_b * rng.lognormal(0.0, 0.3, len(frame)))
    assert varied is not None and varied["lower"] < 0 < varied["upper"]


def strictly_ordered(rng: np.random.Generator, lengths: dict[str, float], n_questions: int = 40
                     ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Every pair of `lengths`' models on each question, in both orders, judged by quality alone: the model listed
    first is better than every model after it on every question (a above b above c above d: the strengths'
    maximum likelihood does not exist). Each answer's length is its model's times a lognormal factor (sigma 0.3),
    so length varies within models and the longer models are the better."""
    games = [(f"q{q}", first, second) for q in range(n_questions) for x, y in itertools.combinations(lengths, 2)
             for first, second in ((x, y), (y, x))]
    order = list(lengths)
    frame = pd.DataFrame([{"question_id": q, "model_a": first, "model_b": second,
                           "score_a": float(order.index(first) < order.index(second))} for q, first, second in games])
    length_a, length_b = (np.array([lengths[game[side]] for game in games]) * rng.lognormal(0.0, 0.3, len(games))
                          for side in (1, 2))
    return frame, length_a, length_b


def test_length_effect_of_verdicts_that_follow_the_models_order_says_none_can_show():
    """Four models, every pair in both orders on 40 questions, verdicts by quality alone in a strict order, each
    model's answers of its own typical length give or take 30%: the judge never looks at length. Length was fitted
    beside strengths held by the weak ridge and took up what the ridge held back: with the better models writing
    the longer answers (600, 400, 300, 200 characters) the judge "preferred longer answers" at 1.43 [1.06, 1.81]
    (the quickstart with planted qualities: "prefers shorter answers" at -0.254 [-0.363, -0.145]). Those outcomes'
    likelihood goes to 1 whatever the length effect, as the strengths run apart: they say nothing of length, and
    none is left, which the note says."""
    for lengths in ({"a": 300.0, "b": 280.0, "c": 320.0, "d": 290.0}, {"a": 600.0, "b": 400.0, "c": 300.0,
                                                                           "d": 200.0}):
        frame, length_a, length_b = strictly_ordered(np.random.default_rng(0), lengths)
        effect = diagnostics.length_effect(frame, length_a, length_b)
        assert effect == {"log_odds": None, "controls": "model strength",
                          "note": "every pair's verdicts follow the models' order (of any two models compared, one "
                                  "won every comparison, directly or through others): no length preference can show"}


def _two_groups(lam: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Outcomes and answer lengths of two groups of two models on 30 questions, a judge with length preference
    `lam`: top1 and top2 trade wins, as do bot1 and bot2, and each top model wins every game against each bottom
    one."""
    rng = np.random.default_rng(0)
    skill = {"top1": 30.0, "top2": 30.0, "bot1": 0.0, "bot2": 0.0}
    typical = {"top1": 600.0, "top2": 500.0, "bot1": 200.0, "bot2": 250.0}
    rows, length_a, length_b = [], [], []
    for q in range(30):
        length = {model: typical[model] * rng.lognormal(0.0, 0.3) for model in skill}
        for x, y in itertools.combinations(skill, 2):
            logit = skill[x] - skill[y] + lam * math.log2(length[x] / length[y])
            rows.append({"question_id": f"q{q}", "model_a": x, "model_b": y,
                         "score_a": float(rng.random() < 1.0 / (1.0 + math.exp(-logit)))})
            length_a.append(length[x]), length_b.append(length[y])
    return pd.DataFrame(rows), np.array(length_a), np.array(length_b)


def test_length_effect_is_fitted_within_the_groups_of_models_that_each_won_and_lost():
    """Two groups of two models (top1 and top2 trade wins, as do bot1 and bot2), each top model winning every game
    against each bottom one; 30 questions. The outcomes between the groups say nothing of length: the figure is
    that of the outcomes within the groups alone, whatever is added between them (the ridge let them move it), and
    the note says how many were left out. A judge that prefers longer answers is still found; one that ignores
    length is not."""
    for lam, verdict in ((0.0, "no length preference detected"), (1.5, "prefers longer answers")):
        frame, length_a, length_b = _two_groups(lam)
        within = (frame["model_a"].str[:3] == frame["model_b"].str[:3]).to_numpy()
        effect = diagnostics.length_effect(frame, length_a, length_b)
        alone = diagnostics.length_effect(frame[within], length_a[within], length_b[within])
        assert effect["verdict"] == verdict and effect["n"] == within.sum() == 60
        assert effect["log_odds"] == pytest.approx(alone["log_odds"], abs=1e-8)
        assert (effect["lower"], effect["upper"]) == pytest.approx((alone["lower"], alone["upper"]), abs=1e-8)
        twice = pd.concat([frame, frame[~within]])
        doubled = diagnostics.length_effect(twice, np.concatenate([length_a, length_a[~within]]),
                                            np.concatenate([length_b, length_b[~within]]))
        assert doubled["log_odds"] == pytest.approx(effect["log_odds"], abs=1e-8)
        assert effect["note"] == ("fitted on the pairs of models that each won and lost (directly or through "
                                  "others); the 120 outcomes between models one of which won every comparison follow "
                                  "their order whatever the length, so they say nothing of it and are left out")
        assert "note" not in alone


def test_length_effect_counts_the_outcomes_left_out_and_a_weightless_one_joins_no_groups():
    """top1 and top2 trade wins, as do bot1 and bot2, and each top model wins every outcome against each bottom
    one (30 questions), the 120 outcomes between the groups weighing 0.5 each. The note counted their weight
    ("the 60 outcomes") where the position effect's counts rows. One more outcome, bot1 beating top1 at weight 0,
    adds nothing to the likelihood, but it joined the two groups into one."""
    frame, length_a, length_b = _two_groups(1.5)
    frame["weight"] = np.where(frame["model_a"].str[:3] == frame["model_b"].str[:3], 1.0, 0.5)
    frame = pd.concat([frame, pd.DataFrame([{"question_id": "q0", "model_a": "bot1", "model_b": "top1",
                                             "score_a": 1.0, "weight": 0.0}])], ignore_index=True)
    length_a, length_b = np.append(length_a, 300.0), np.append(length_b, 300.0)
    within = (frame["model_a"].str[:3] == frame["model_b"].str[:3]).to_numpy()
    effect = diagnostics.length_effect(frame, length_a, length_b)
    alone = diagnostics.length_effect(frame[within], length_a[within], length_b[within])
    assert effect["verdict"] == "prefers longer answers"
    assert effect["log_odds"] == pytest.approx(alone["log_odds"], abs=1e-8)
    assert "the 121 outcomes between models one of which won every comparison" in effect["note"]
    groups = diagnostics.win_components(frame["model_a"], frame["model_b"], frame["score_a"], frame["weight"])
    assert groups["top1"] == groups["top2"] != groups["bot1"] == groups["bot2"]


def test_position_effect_of_verdicts_that_follow_the_models_order_says_none_can_show():
    """Four models, every pair on 40 questions judged in one order (random-one), the stronger model shown first in 3
    games of 4, verdicts by the models' strict order alone: the judge never looks at the position. The effect was
    fitted beside strengths held by the weak ridge and took up their pull: "the first answer wins" at 0.41 [0.21,
    0.60] log-odds. Those games say nothing of the position; none is left, which the note says. A judge that prefers
    the first answer between models that each win and lose is still measured beside models that always win or
    lose, from the games between the former alone, as the note says."""
    rng = np.random.default_rng(0)
    order = ["a", "b", "c", "d"]
    rows = []
    for q in range(40):
        for x, y in itertools.combinations(order, 2):
            first, second = (x, y) if rng.random() < 0.75 else (y, x)
            rows.append({"question_id": f"q{q}", "first": first, "second": second, "weight": 1.0,
                         "p_first": float(order.index(first) < order.index(second))})
    games = pd.DataFrame(rows)
    outcomes = combine(games, swap="random-one").outcomes
    assert diagnostics.fitted_position_effect(outcomes, games) == {
        "log_odds": None, "note": "every pair's verdicts follow the models' order (of any two models compared, one "
                                  "won every comparison, directly or through others): no position effect can show"}
    skill = {"top1": 30.0, "top2": 30.2, "bot1": 0.0, "bot2": 0.3}
    rows = [{"question_id": f"q{q}", "first": first, "second": second, "weight": 1.0,
             "p_first": float(rng.random() < 1.0 / (1.0 + math.exp(-(skill[first] - skill[second] + 0.8))))}
            for q in range(40) for x, y in itertools.combinations(skill, 2) for first, second in ((x, y), (y, x))]
    games = pd.DataFrame(rows)
    within = (games["first"].str[:3] == games["second"].str[:3]).to_numpy()
    effect = diagnostics.fitted_position_effect(combine(games).outcomes, games)
    alone = diagnostics.fitted_position_effect(combine(games[within]).outcomes, games[within])
    assert effect["lower"] > 0 and effect["log_odds"] == pytest.approx(alone["log_odds"], abs=1e-9)
    assert effect["note"] == ("fitted on the pairs of models that each won and lost (directly or through others); the "
                              "160 pairs between models one of which won every comparison follow their order "
                              "whatever the position, so they say nothing of it and are left out")


def _position_outcomes(first_wins: int, games: int, swap: str) -> pd.DataFrame:
    """`games` games of three models over distinct questions, the answer shown first winning the first
    `first_wins` of them and losing the rest; both orders of a pair (swap both: games / 2 pairs) or one order per
    pair, model_a shown first and second in turn (random-one: `games` pairs)."""
    models = itertools.cycle([("x", "y"), ("y", "z"), ("x", "z")])
    won = [1.0] * first_wins + [0.0] * (games - first_wins)
    if swap == "both":  # games 2k and 2k + 1 are the two orders of pair k; p_ba = 1 - P(first answer wins)
        pairs = [(won[2 * k], 1.0 - won[2 * k + 1]) for k in range(games // 2)]
    else:
        pairs = [(w, np.nan) if k % 2 == 0 else (np.nan, 1.0 - w) for k, w in enumerate(won)]
    return pd.DataFrame([{"question_id": f"q{k}", "model_a": a, "model_b": b, "p_ab": p_ab, "p_ba": p_ba}
                         for k, ((a, b), (p_ab, p_ba)) in enumerate(zip(models, pairs, strict=False))])


@pytest.mark.parametrize("swap", ["both", "random-one"])
def test_a_judge_whose_verdicts_follow_the_position_is_warned_of(swap):
    """The share of games won by the answer in one slot, 0.5 + f / 2 when a share f of verdicts follow the slot:
    from 45 of 60 (0.75, f = 1/2) the leaderboard's warnings say the ratings measure position bias, naming the
    slot and what the orders judged do to the ratings; at 44 of 60 (f = 0.47) not, nor at 15 of 20, which a
    judge without bias reaches by chance 2% of the time (its 99% Wilson interval, worked out by hand: [0.46, 0.91],
    holds 0.5), nor with fewer than 20 games."""
    def warned(first_wins: int, games: int = 60) -> str | None:
        outcomes = _position_outcomes(first_wins, games, swap)
        return diagnostics.position_bound_warning(outcomes["p_ab"], outcomes["p_ba"], outcomes["question_id"])

    always_first = warned(20, games=20)
    assert always_first is not None and "shown first in 100% of 20 games" in always_first
    assert ("scores about 0.5, as a tie does" if swap == "both" else "one order judged per pair") in always_first
    assert "shown first in 75% of 60 games" in (warned(45) or "")
    assert "shown second in 75% of 60 games" in (warned(15) or "")
    assert warned(44) is None and warned(16) is None and warned(15, games=20) is None
    assert warned(18, games=18) is None
    outcomes = _position_outcomes(20, 20, swap).assign(score_a=lambda f: f[["p_ab", "p_ba"]].mean(axis=1),
                                                       weight=1.0)
    assert always_first in leaderboard.build(outcomes, rounds=20).meta["warnings"]
    assert diagnostics.position_bound_warning(None, None) is None  # imported outcomes without per-order verdicts

"""Leaderboard API, files and the `judgebench leaderboard` command."""

from __future__ import annotations

import csv
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from judgebench import diagnostics, leaderboard, present
from judgebench.datasets import sources
from judgebench.errors import ConfigError, InputError
from judgebench.ratings import intervals as iv
from tests.support.cli_runs import (
    MEMORY_CAPPED_ENVIRONMENT,
    judgebench,
    markdown_shown,
    memory_capped,
    rendered_text,
)
from tests.support.rating_datasets import baseball_games, golden
from tests.support.stores import store_from_outcomes
from tests.support.weighted_games import WEIGHTED

STRENGTHS = {"alpha": 0.8, "bravo": 0.4, "charlie": 0.0, "delta": -0.6}


def simulated_outcomes(n_questions: int = 150, bias: float = 0.1, seed: int = 0) -> pd.DataFrame:
    """All pairs on every question, judged in both orders by a judge that favours the first answer."""
    rng = np.random.default_rng(seed)
    names = list(STRENGTHS)
    rows = []
    for q in range(n_questions):
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                p = expit(STRENGTHS[a] - STRENGTHS[b])
                p_ab = float(rng.random() < p + bias)  # a shown first
                p_ba = float(rng.random() < p - bias)  # a shown second
                rows.append({"question_id": f"q{q}", "model_a": a, "model_b": b, "score_a": (p_ab + p_ba) / 2,
                             "weight": 1.0, "p_ab": p_ab, "p_ba": p_ba,
                             "len_a": 100.0 + 10 * i, "len_b": 100.0 + 10 * names.index(b)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    return simulated_outcomes()


@pytest.fixture(scope="module")
def board(outcomes) -> leaderboard.Leaderboard:
    return leaderboard.build(outcomes, rounds=300, seed=7)


def test_models_carry_the_contract_fields(board):
    required = {"model", "rank", "rating", "lower", "upper", "win_rate", "n_games", "n_ties",
                "position_consistency", "avg_length"}
    for entry in board.models:
        assert required <= set(entry)
        assert entry["lower"] <= entry["rating"] <= entry["upper"]
        assert 0 <= entry["win_rate"] <= 1 and 0 <= entry["position_consistency"] <= 1
        assert entry["n_games"] == 450  # 3 opponents x 150 questions
    assert [e["model"] for e in board.models] == ["alpha", "bravo", "charlie", "delta"]
    assert [e["avg_length"] for e in board.models] == [100.0, 110.0, 120.0, 130.0]
    ratings = np.array([e["rating"] for e in board.models])
    assert ratings.mean() == pytest.approx(1000.0)


def test_ranks_follow_the_difference_rule(board):
    # computed here pair by pair from the bootstrap ratings: i is significantly better than j when the 2.5th
    # percentile of rating_i - rating_j over the replicates is above zero
    samples = board.samples
    m = samples.shape[1]
    better = np.array([[i != j and np.percentile(samples[:, i] - samples[:, j], 2.5) > 0 for j in range(m)]
                       for i in range(m)])
    assert [e["rank"] for e in board.models] == (1 + better.sum(axis=0)).tolist()
    assert board.meta["separability"] == pytest.approx((better | better.T)[np.triu_indices(m, 1)].mean())


def test_meta_records_method_interval_and_counts(board):
    meta = board.meta
    assert meta["method"] == "bt" and meta["interval"] == "bootstrap" and meta["resample"] == "questions"
    assert (meta["confidence"], meta["rounds"], meta["seed"]) == (0.95, 300, 7)
    assert (meta["n_models"], meta["n_outcomes"], meta["n_questions"]) == (4, 900, 150)
    assert "95%" in meta["interval_label"]
    # the simulated judge prefers the first slot with probability about 0.5 + 0.1
    assert meta["first_slot_win_rate"] == pytest.approx(0.6, abs=0.03)
    assert 0 <= meta["separability"] <= 1


def test_same_seed_same_intervals_other_seed_other_intervals(outcomes, board):
    again = leaderboard.build(outcomes, rounds=300, seed=7)
    other = leaderboard.build(outcomes, rounds=300, seed=8)
    assert again.models == board.models
    assert [e["lower"] for e in other.models] != [e["lower"] for e in board.models]
    assert [e["rating"] for e in other.models] == [e["rating"] for e in board.models]


def test_write_json_csv_markdown(board, tmp_path):
    paths = board.write(tmp_path / "results")
    document = json.loads(paths["json"].read_text())
    assert set(document) == {"meta", "models"}
    assert document["models"] == board.models
    assert document["meta"]["confidence"] == 0.95
    with paths["csv"].open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["model"] for row in rows] == [e["model"] for e in board.models]
    assert float(rows[0]["rating"]) == pytest.approx(board.models[0]["rating"])
    markdown = paths["md"].read_text()
    assert "95% percentile interval" in markdown and "| 1 | alpha |" in markdown


# Names a spreadsheet runs as formulas (OWASP's CSV injection), and one already beginning with a quote.
FORMULA_NAMES = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "'=quoted", "plain"]


def formula_named_outcomes() -> pd.DataFrame:
    """Every pair of FORMULA_NAMES on 12 questions, the earlier name of a pair winning unless the question's
    number says otherwise, so that the ratings spread around the anchor."""
    rows = [{"question_id": f"q{q}", "model_a": a, "model_b": b, "score_a": float((i + j + q) % 3 > 0)}
            for q in range(12) for i, a in enumerate(FORMULA_NAMES) for j, b in enumerate(FORMULA_NAMES) if i < j]
    return pd.DataFrame(rows)


def test_csv_text_cells_cannot_run_as_formulas_and_numbers_stay_numbers(tmp_path):
    board = leaderboard.build(formula_named_outcomes(), rounds=20, anchor=FORMULA_NAMES[0],
                              anchor_rating=0.0)
    paths = board.write(tmp_path)
    with paths["csv"].open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [row["model"] for row in rows]
    assert sorted(names) == sorted(["'" + name for name in FORMULA_NAMES[:6]] + ["'=quoted", "plain"])
    assert all(not name.startswith(("=", "+", "-", "@", "\t", "\r")) for name in names)
    ratings = [row["rating"] for row in rows]
    assert any(rating.startswith("-") for rating in ratings)  # a negative rating is written as a number
    assert [float(r) for r in ratings] == pytest.approx([e["rating"] for e in board.models])


def test_a_model_that_won_every_pair_gets_wilsons_interval_not_a_standard_error_of_zero(tmp_path):
    """A model that beat the baseline on all 40 questions showed "win rate SE 0.0%" and, rated by win rate, the
    interval "100.0% to 100.0%": its scores do not vary (nor do those of a model that tied every pair). Its SE is
    n/a, its interval Wilson's (40 / (40 + z^2) = 91.2% to 100%), and a warning says why, in leaderboard.json,
    leaderboard.md and the terminal."""
    rows = [{"question_id": f"q{q}", "model_a": model, "model_b": "base", "score_a": score}
            for q in range(40) for model, score in (("ace", 1.0), ("mid", float(q % 5 < 2)), ("dud", 0.0),
                                                    ("tie", 0.5))]
    path = tmp_path / "outcomes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    for method in ("winrate", "bt"):
        done = run_cli("--outcomes", str(path), "--baseline", "base", "--method", method, "--rounds", "50",
                       "--out", str(tmp_path / method))
        assert done.returncode == 0, done.stderr
        board = json.loads((tmp_path / method / "leaderboard.json").read_text())
        entries = {entry["model"]: entry for entry in board["models"]}
        assert [entries[name]["win_rate_se"] for name in ("ace", "dud", "tie")] == [None, None, None]
        mid_scores = [float(q % 5 < 2) for q in range(40)]
        assert entries["mid"]["win_rate_se"] == pytest.approx(np.std(mid_scores, ddof=1) / np.sqrt(40))
        (warning,) = [text for text in board["meta"]["warnings"] if "the same score on every pair" in text]
        assert "ace 100% of 40 questions, 91.2% to 100.0%" in warning
        assert "dud 0% of 40 questions, 0.0% to 8.8%" in warning
        assert "tie 50% of 40 questions, 35.2% to 64.8%" in warning
        assert "their win rate SE is n/a, not 0" in warning and "mid" not in warning
        ace = next(line for line in (tmp_path / method / "leaderboard.md").read_text().splitlines()
                   if line.startswith("| 1 | ace |"))
        assert "0.0%" not in ace.split(" | ")[4:] and " n/a " in ace
        assert "the same score on every pair" in " ".join(done.stdout.split() + done.stderr.split())
    rated = json.loads((tmp_path / "winrate" / "leaderboard.json").read_text())["models"]
    ace, dud = ({entry["model"]: entry for entry in rated}[name] for name in ("ace", "dud"))
    wilson_end = 40 / (40 + 1.959963984540054 ** 2)
    assert (ace["lower"], ace["upper"]) == pytest.approx((wilson_end, 1.0))
    assert (dud["lower"], dud["upper"]) == pytest.approx((0.0, 1 - wilson_end))


def test_rating_flags_the_method_or_interval_does_not_use_are_noted_as_run_notes_them(tmp_path):
    """`leaderboard --method winrate --k-factor 8 --scale 100` ignored both without a word, where `run` notes
    rating settings its ratings do not use: the same notes now, for the method and interval the ratings used (bt,
    which `rate` chooses for outcomes without --method, uses no k-factor either); none for flags in use."""
    rows = [{"question_id": f"q{q}", "model_a": model, "model_b": "Tacos", "winner": "model_a" if q % 3 else "model_b"}
            for q in range(30) for model in ("Pizza", "Sushi")]
    path = tmp_path / "food.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    noted = run_cli("--outcomes", str(path), "--method", "winrate", "--baseline", "Tacos", "--k-factor", "8",
                    "--scale", "100", "-q")
    assert noted.returncode == 0, noted.stderr
    assert noted.stderr.splitlines() == ["note: --k-factor: ignored: only online Elo (method elo) uses it",
                                         "note: --scale: ignored: win rates are fractions, on no rating scale"]
    chosen = run_cli("--outcomes", str(path), "--k-factor", "8", "--interval", "sandwich", "--rounds", "10", "-q")
    assert chosen.stderr.splitlines() == ["note: --k-factor: ignored: only online Elo (method elo) uses it",
                                          "note: --rounds: ignored: a sandwich interval draws no bootstrap rounds"]
    used = run_cli("--outcomes", str(path), "--method", "elo", "--k-factor", "8", "--scale", "100", "--rounds", "10",
                   "-q")
    assert used.returncode == 0 and "note:" not in used.stderr, used.stderr


@pytest.mark.parametrize("interval", ["sandwich", "bootstrap"])
def test_a_model_with_the_same_score_everywhere_ranks_apart_only_where_wilsons_interval_allows(interval):
    """Against the baseline on 4 questions: ace won all 4, three won 3 of 4, tie tied all 4 (review). Their
    zero-width intervals made every difference from ace or tie significant (ace ranked alone at 1, tie 2 below
    it); with Wilson's intervals (ace 51% to 100%, tie 15% to 85%) none of the three is significantly better than
    another, so they share rank 1. On 40 questions, ace (all won) is above a model that won 20 (87% to 100%
    against about 35% to 65%)."""
    def ranks(questions: int, won: dict[str, Callable[[int], float]]) -> dict[str, int]:
        rows = [{"question_id": f"q{q}", "model_a": model, "model_b": "base", "score_a": score(q)}
                for q in range(questions) for model, score in won.items()]
        board = leaderboard.build(pd.DataFrame(rows), method="winrate", baseline="base", interval=interval,
                                  rounds=200)
        return {entry["model"]: entry["rank"] for entry in board.models}

    found = ranks(4, {"ace": lambda q: 1.0, "three": lambda q: float(q < 3), "tie": lambda q: 0.5})
    assert (found["ace"], found["three"], found["tie"]) == (1, 1, 1)
    found = ranks(40, {"ace": lambda q: 1.0, "half": lambda q: float(q % 2)})
    assert (found["ace"], found["half"]) == (1, 2)


def test_table_is_a_dataframe_in_rank_order(board):
    table = board.table
    assert list(table["model"]) == ["alpha", "bravo", "charlie", "delta"]
    assert list(table.columns[:5]) == ["model", "rank", "rating", "lower", "upper"]


def test_equal_ratings_are_listed_by_rank_in_every_file(tmp_path):
    """Against the baseline on 30 questions: a-same and b-same both won 24, so their ratings are equal (a-same's
    a float hair higher), but a-same lost questions 0-5, every one top lost too, so top is significantly better
    than a-same and not than b-same (who lost 10-15): ranks 2 and 1. Ordered by the float noise (or by name),
    a-same's rank 2 was listed above b-same's rank 1 (audit: `| 2 | m093 | 1361.6 |` above `| 1 | m085 | 1361.6 |`)."""
    losses = {"top": {0}, "a-same": set(range(0, 6)), "b-same": set(range(10, 16))}
    rows = [{"question_id": f"q{q:02d}", "model_a": model, "model_b": "base", "score_a": float(q not in lost)}
            for model, lost in losses.items() for q in range(30)]
    board = leaderboard.build(pd.DataFrame(rows), baseline="base", rounds=300, seed=0)
    entry = {e["model"]: e for e in board.models}
    assert entry["a-same"]["rating"] == pytest.approx(entry["b-same"]["rating"], rel=1e-12)
    assert (entry["top"]["rank"], entry["a-same"]["rank"], entry["b-same"]["rank"]) == (1, 2, 1)
    expected = ["top", "b-same", "a-same", "base"]
    assert [e["model"] for e in board.models] == expected
    paths = board.write(tmp_path)
    with open(paths["csv"], newline="") as handle:
        assert [row["model"] for row in csv.DictReader(handle)] == expected
    written = [line.split("|")[2].strip() for line in paths["md"].read_text().splitlines()
               if line.startswith("| ") and not line.startswith("| rank")]
    assert written == expected


def test_every_interval_holds_its_rating_in_every_file(tmp_path):
    """Against the baseline on 20 questions, careful and terse won and sloppy lost every game (the quickstart with
    planted qualities): the ratings are the weak ridge's, every bootstrap replicate fits the same ones, and the
    percentile ends differed from the estimate by rounding, on either side (a newcomer's audit: sloppy-1b's rating
    24.668194571036338 above its upper end 24.66819457103611; careful-7b's 2060.4525781393854 below its lower
    end 2060.4525781393977)."""
    rows = [{"question_id": f"q{q:02d}", "model_a": model, "model_b": "base", "score_a": score}
            for model, score in (("careful", 1.0), ("terse", 1.0), ("sloppy", 0.0)) for q in range(20)]
    board = leaderboard.build(pd.DataFrame(rows), baseline="base", rounds=200, seed=0)
    paths = board.write(tmp_path)
    written = json.loads(paths["json"].read_text())["models"]
    with open(paths["csv"], newline="") as handle:
        listed = [{name: float(row[name]) for name in ("rating", "lower", "upper")} for row in csv.DictReader(handle)]
    assert len(written) == len(listed) == 4
    for entry in [*board.models, *written, *listed]:
        assert entry["lower"] <= entry["rating"] <= entry["upper"], entry
    assert {e["model"]: e["upper"] - e["lower"] for e in written}["sloppy"] < 1e-9  # the ridge's, as before


def test_baseline_is_the_anchor_with_a_zero_width_interval(outcomes):
    board = leaderboard.build(outcomes, rounds=200, baseline="charlie")
    entry = {e["model"]: e for e in board.models}
    assert entry["charlie"]["rating"] == entry["charlie"]["lower"] == entry["charlie"]["upper"] == 1000.0
    assert entry["charlie"]["win_probability"] == pytest.approx(0.5)
    # win rate against the baseline: the mean score of alpha's outcomes against charlie
    against = outcomes[(outcomes.model_a == "alpha") & (outcomes.model_b == "charlie")]
    assert entry["alpha"]["win_rate"] == pytest.approx(against["score_a"].mean())
    assert entry["alpha"]["n_draws"] == int((against["score_a"] == 0.5).sum())
    assert board.meta["baseline"] == "charlie" and board.meta["anchor"] == "charlie"


def test_win_rates_against_the_baseline_beside_counts_over_every_opponent_say_so(outcomes):
    """All pairs rated against a baseline: the win rate is over a model's pairs with the baseline, its pairs,
    ties and split over all its opponents (alpha: a win rate over 150 pairs beside 450 pairs counted), so the
    notes say so; when every pair has the baseline in it, the two agree and no note is needed."""
    note = "The win rate counts each model's pairs against charlie only; pairs, ties and split count its pairs " \
           "against every opponent"
    everyone = leaderboard.build(outcomes, rounds=50, baseline="charlie")
    assert {e["model"]: e["n_games"] for e in everyone.models}["alpha"] == 3 * 150
    assert f"{note}." in present.leaderboard_markdown(everyone)
    rated = present.leaderboard_markdown(leaderboard.build(outcomes, rounds=50, baseline="charlie", method="winrate"))
    assert f"{note}." in rated  # the win rate is the rating column then
    with_baseline = outcomes[(outcomes.model_a == "charlie") | (outcomes.model_b == "charlie")]
    assert note not in present.leaderboard_markdown(leaderboard.build(with_baseline, rounds=50, baseline="charlie"))


def test_anchor_and_scale_options(outcomes):
    board = leaderboard.build(outcomes, interval="sandwich", anchor="delta", anchor_rating=1500.0)
    entry = {e["model"]: e for e in board.models}
    assert entry["delta"]["rating"] == 1500.0
    assert board.meta["interval"] == "sandwich" and board.meta["rounds"] is None


def test_position_effect_from_per_order_verdicts(outcomes):
    board = leaderboard.build(outcomes, rounds=300, position_effect=True)
    effect = board.meta["position_effect"]
    # first-slot advantage of 0.1 in probability around p = 0.5..0.8: log-odds near 0.4 to 0.5
    assert effect["lower"] < effect["log_odds"] < effect["upper"]
    assert effect["lower"] > 0.2 and effect["upper"] < 0.8
    assert 0.5 < effect["first_win_probability"] < 0.7


def test_position_effect_from_games_equals_the_derived_games(outcomes):
    games = pd.concat([
        pd.DataFrame({"question_id": outcomes.question_id, "first": outcomes.model_a, "second": outcomes.model_b,
                      "p_first": outcomes.p_ab, "weight": 1.0}),
        pd.DataFrame({"question_id": outcomes.question_id, "first": outcomes.model_b, "second": outcomes.model_a,
                      "p_first": 1 - outcomes.p_ba, "weight": 1.0}),
    ])
    a = leaderboard.build(outcomes, games, rounds=100, position_effect=True)
    b = leaderboard.build(outcomes, rounds=100, position_effect=True)
    assert a.meta["position_effect"]["log_odds"] == pytest.approx(b.meta["position_effect"]["log_odds"])


def test_position_effect_beside_ridged_strengths_is_measured_within_the_win_graphs_components(tmp_path):
    """Four models, every pair on 40 questions judged in one order (random-one), the stronger shown first in 3
    games of 4, verdicts by the models' strict order alone: the diagnostics say no position effect can show, while
    `leaderboard --position-effect` printed "Position effect fitted ... 0.409 [0.232, 0.608] log-odds", an effect
    fitted beside strengths that need the ridge, which took up the ridge's pull. With two groups of models that
    each win and lose within and never across (top beats bot), the effect is the one of the games within the
    groups, with the board's own interval, and the ratings are still fitted on every game."""
    from judgebench.verdicts import combine

    rng = np.random.default_rng(0)
    order = ["a", "b", "c", "d"]
    games = pd.DataFrame([{"question_id": f"q{q}", "first": first, "second": second, "weight": 1.0,
                           "p_first": float(order.index(first) < order.index(second))}
                          for q in range(40) for x, y in itertools.combinations(order, 2)
                          for first, second in [(x, y) if rng.random() < 0.75 else (y, x)]])
    path = tmp_path / "outcomes.csv"
    combine(games, swap="random-one").outcomes.to_csv(path, index=False)
    done = run_cli("--outcomes", str(path), "--position-effect", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    note = diagnostics.in_order_note("model", "position effect")
    assert json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]["position_effect"] == {
        "log_odds": None, "note": note}
    assert f"Position effect fitted, with no estimate: {note}." in " ".join(done.stdout.split())

    skill = {"top1": 30.0, "top2": 30.2, "bot1": 0.0, "bot2": 0.3}
    games = pd.DataFrame([{"question_id": f"q{q}", "first": first, "second": second, "weight": 1.0,
                           "p_first": float(rng.random() < expit(skill[first] - skill[second] + 0.8))}
                          for q in range(40) for x, y in itertools.combinations(skill, 2)
                          for first, second in ((x, y), (y, x))])
    within = (games["first"].str[:3] == games["second"].str[:3]).to_numpy()
    board = leaderboard.build(combine(games).outcomes, games, position_effect=True, rounds=200, seed=0)
    alone = leaderboard.build(combine(games[within]).outcomes, games[within], position_effect=True, rounds=200,
                              seed=0)
    effect, expected = board.meta["position_effect"], alone.meta["position_effect"]
    assert effect["lower"] > 0
    for name in ("log_odds", "lower", "upper"):
        assert effect[name] == pytest.approx(expected[name], abs=1e-9)
    assert effect["note"] == diagnostics.left_out_note("model", "160 pairs", "position")
    assert len(board.models) == 4 and board.meta["n_outcomes"] == 240


@pytest.mark.parametrize("interval", ["bootstrap", "sandwich"])
def test_ratings_beside_a_position_effect_measured_within_components_hold_that_effect(interval):
    """W won all its 60 games, always shown first; among a, b and c the judge prefers the first answer (0.6 between
    equals), each pair shown mostly in one order. The board reported the effect fitted within the win graph's
    components (W's games left out), but its ratings were those of the fit beside the effect on every game, whose
    effect the ridge holding W had pulled: they moved with it (by 0.2 Elo points here), and the board's strengths
    and effect disagreed. Now both match direct fits: the effect fitted by scipy on the games within components
    without a ridge, the ratings on every game with the board's ridge and that effect held. Where W loses a game,
    no ridge is needed: the board is the joint fit of strengths and effect on every game, as before."""
    from scipy.optimize import root

    from judgebench.verdicts import combine

    rng = np.random.default_rng(1)
    skill, first_odds = {"a": 0.0, "b": 0.4, "c": -0.3}, np.log(0.6 / 0.4)
    rows = [(first, second, float(rng.random() < expit(skill[first] - skill[second] + first_odds)))
            for x, y, shown_first in (("a", "b", 30), ("b", "c", 25), ("a", "c", 12)) for k in range(40)
            for first, second in [(x, y) if k < shown_first else (y, x)]]
    rows += [("W", other, 1.0) for other in skill for _ in range(20)]
    games = pd.DataFrame(rows, columns=["first", "second", "p_first"]).assign(
        question_id=[f"q{k}" for k in range(len(rows))], weight=1.0)
    models = ["W", "a", "b", "c"]
    first, second = (games[side].map(models.index).to_numpy() for side in ("first", "second"))

    def score(beta, gamma, y, rows, ridge=0.0):  # the log-likelihood's gradient in the strengths and the effect
        residual = y[rows] - expit(beta[first[rows]] - beta[second[rows]] + gamma)
        return (np.bincount(first[rows], residual, 4) - np.bincount(second[rows], residual, 4) - ridge * beta,
                residual.sum())

    def elo(beta):
        return dict(zip(models, 1000 + 400 / np.log(10) * (beta - beta.mean()), strict=True))

    def joint(y, rows):  # strengths and effect without a ridge, the first strength at 0
        def equations(x):
            beta_score, gamma_score = score(np.r_[0.0, x[:3]], x[3], y, rows)
            return np.r_[beta_score[1:], gamma_score]
        solved = root(equations, np.zeros(4), tol=1e-14).x
        return np.r_[0.0, solved[:3]], solved[3]

    def board(games):
        done = leaderboard.build(combine(games, swap="random-one").outcomes, games, position_effect=True,
                                 interval=interval, rounds=100, seed=0)
        return {row["model"]: row["rating"] for row in done.models}, done.meta

    ratings, meta = board(games)
    y, everything = games["p_first"].to_numpy(), np.ones(len(games), dtype=bool)
    _, effect = joint(y, (first != 0) & (second != 0))  # W's strength is free there: it has no game
    ridge = meta["regularization"]
    assert meta["regularization_automatic"] is True and ridge > 0
    held = root(lambda beta: score(beta, effect, y, everything, ridge)[0], np.zeros(4), tol=1e-14).x
    assert meta["position_effect"]["log_odds"] == pytest.approx(effect, abs=1e-9)
    assert ratings == pytest.approx(elo(held), abs=1e-6)

    games.loc[len(games) - 1, "p_first"] = 0.0  # c beats W once, shown second: no ridge
    ratings, meta = board(games)
    beta, effect = joint(games["p_first"].to_numpy(), everything)
    assert meta["regularization"] == 0 and meta["position_effect"]["log_odds"] == pytest.approx(effect, abs=1e-9)
    assert ratings == pytest.approx(elo(beta), abs=1e-6)


def test_elo_and_winrate_methods(outcomes):
    elo = leaderboard.build(outcomes, method="elo", rounds=50)
    assert elo.meta["method"] == "elo" and len(elo.models) == 4
    faster = leaderboard.build(outcomes, method="elo", rounds=50, k=16.0, scale=200.0)
    assert faster.meta["k"] == 16.0 and faster.models != elo.models
    rates = leaderboard.build(outcomes, method="winrate", baseline="charlie", rounds=200)
    entry = {e["model"]: e for e in rates.models}
    assert entry["charlie"]["rating"] == 0.5
    assert 0 <= entry["alpha"]["lower"] <= entry["alpha"]["rating"] <= entry["alpha"]["upper"] <= 1


def sparse_baseline_outcomes() -> pd.DataFrame:
    """foxtrot (the baseline) meets bravo on 10 questions and alpha on 2 of them (alpha wins both); alpha meets
    bravo on the other 8: the sparse design an adaptive plan makes."""
    rows = [{"question_id": f"q{q}", "model_a": "bravo", "model_b": "foxtrot", "score_a": float(q % 3 == 0)}
            for q in range(10)]
    rows += [{"question_id": f"q{q}", "model_a": "alpha", "model_b": "foxtrot", "score_a": 1.0} for q in range(2)]
    rows += [{"question_id": f"q{q}", "model_a": "alpha", "model_b": "bravo", "score_a": float(q % 4 != 0)}
             for q in range(2, 10)]
    return pd.DataFrame(rows)


ADAPTIVE_PLAN = {"adaptive": {"strategy": "adaptive", "rounds": 2, "calls": 40, "calls_all_pairs": 60,
                              "stopped_by": "budget_calls", "design_bias": None}}


def test_win_rates_on_a_sparse_design_warn_or_leave_the_baseline_an_anchor(tmp_path):
    """alpha met the baseline on 2 of its 10 questions: "win rate vs baseline 100.0%" with standard error 0 and
    no word. A sparse design of no plan keeps its win rates and names the models and how few questions they
    rest on; one an adaptive plan chose gets none, as `judgebench run` gives none for such a plan: the baseline
    only anchors the ratings, and --method winrate is refused, as run refuses it."""
    outcomes = sparse_baseline_outcomes()
    kept = leaderboard.build(outcomes, rounds=50, baseline="foxtrot")
    assert kept.meta["baseline"] == "foxtrot" and kept.table.set_index("model").loc["alpha", "win_rate"] == 1.0
    assert any("alpha on 2 of the 10 questions foxtrot was judged on" in warning for warning in kept.meta["warnings"])
    assert not any("bravo on" in warning for warning in kept.meta["warnings"])  # bravo met it on all 10

    chosen = leaderboard.build(outcomes, rounds=50, baseline="foxtrot", meta=ADAPTIVE_PLAN)
    assert chosen.meta["baseline"] is None and chosen.meta["anchor"] == "foxtrot"
    entry = {e["model"]: e for e in chosen.models}
    assert entry["foxtrot"]["rating"] == 1000.0 and "win_rate_se" not in entry["alpha"]
    assert entry["alpha"]["win_rate"] == pytest.approx(8 / 10)  # the pooled score (2 + 6 of 10), as run shows it
    warning = next(w for w in chosen.meta["warnings"] if w.startswith("no win rates against the baseline foxtrot"))
    assert "(alpha on 2 of the 10 questions foxtrot was judged on)" in warning
    assert warning.endswith("foxtrot only anchors the ratings")
    chosen.write(tmp_path)
    assert "no win rates against the baseline foxtrot" in (tmp_path / "leaderboard.md").read_text()
    assert "win rate vs baseline" not in (tmp_path / "leaderboard.md").read_text()
    with pytest.raises(ConfigError, match=r'^\[ratings\] method = "winrate" rates every model by its games against '
                                          r'the baseline, but .*: use \[ratings\] method = "bt" or elo'):  # from Python
        leaderboard.build(outcomes, method="winrate", rounds=50, baseline="foxtrot", meta=ADAPTIVE_PLAN)
    # a plan that judged every model against the baseline on every question leaves the win rates whole
    complete = leaderboard.build(outcomes[outcomes["model_b"] == "foxtrot"].query("question_id < 'q2'"), rounds=50,
                                 baseline="foxtrot", meta=ADAPTIVE_PLAN)
    assert complete.meta["baseline"] == "foxtrot"
    assert not any(w.startswith("no win rates against the baseline") for w in complete.meta["warnings"])


def test_win_rates_asked_without_a_baseline_of_a_plans_judgments_say_the_plan_chose_the_pairs():
    """--method winrate of an adaptive plan's judgments, without a baseline (a plan's meta records none: the
    baseline only anchored its ratings), said that it needed one, and with one it was refused because the plan
    chose the pairs: the first message says so, and what to use instead."""
    outcomes = sparse_baseline_outcomes()
    with pytest.raises(ConfigError, match=r'^\[ratings\] method = "winrate" rates every model by its games against '
                                          r"a baseline, .* and the adaptive plan that chose these judgments chose the "
                                          r'pairs .*: use \[ratings\] method = "bt" or elo') as refused:
        leaderboard.build(outcomes, method="winrate", rounds=50, meta=ADAPTIVE_PLAN)
    assert "needs a baseline model" not in str(refused.value)
    with pytest.raises(ConfigError, match="needs a baseline model"):  # judgments no plan chose: give the baseline
        leaderboard.build(outcomes, method="winrate", rounds=50)


class _TextNodes(HTMLParser):
    """The text nodes of an HTML fragment, as GitHub's emoji filter meets them (html-pipeline's EmojiFilter
    looks for `:name:` within one text node of the HTML that Markdown became)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self.feed(html)

    def handle_data(self, data: str) -> None:
        self.nodes.append(data)


def test_leaderboard_md_shows_a_warnings_command_as_code_and_names_as_written(tmp_path):
    """leaderboard.md escaped every backtick of its prose, so a warning's command showed as \\`judgebench run\\`
    rather than as code; and it left `$` and `:` alone (CommonMark gives them no meaning), which GitHub reads
    after Markdown: a name holding `$x$` became math, one holding `:smile:` an emoji. Rendered by markdown-it:
    the warning's command is its one code element, a name's backticks (even one that reads like the start of a
    command) are text, every `$` stands in a <span>, which GitHub's "Writing mathematical expressions" page
    gives for a dollar sign that is not math, and no text node holds a `:name:`."""
    from markdown_it import MarkdownIt

    names = {"alpha": "a`judgebench z $x$ :smile:", "bravo": "`bravo`", "foxtrot": "fox`trot:+1:"}
    outcomes = sparse_baseline_outcomes().replace(names)
    board = leaderboard.build(outcomes, rounds=50, baseline=names["foxtrot"], meta=ADAPTIVE_PLAN)
    warning = next(w for w in board.meta["warnings"] if w.startswith("no win rates against the baseline"))
    assert "(`judgebench run` gives them" in warning and names["alpha"] in warning
    board.write(tmp_path)
    markdown = (tmp_path / "leaderboard.md").read_text()
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    shown = next(token.children for token in tokens
                 if token.type == "inline" and token.content.startswith("Warning: no win rates"))
    assert [child.content for child in shown if child.type == "code_inline"] == ["judgebench run"]
    assert rendered_text(shown) == f"Warning: {warning.replace('`judgebench run`', 'judgebench run')}."
    rows = [rendered_text(tokens[k + 1].children) for k, token in enumerate(tokens) if token.type == "td_open"]
    assert set(names.values()) <= set(rows)
    assert markdown.count("$") == markdown.count("<span>$</span>") > 0
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert not [node for node in _TextNodes(html).nodes if re.search(r":[\w+-]+:", node)]


def test_a_store_an_adaptive_plan_chose_rates_without_win_rates_against_the_baseline(tmp_path):
    """`leaderboard --store S --baseline foxtrot` on an adaptive plan's judgments (`Store.plan_of` finds the plan)
    showed alpha's "win rate vs baseline 100.0%" from its 2 questions against foxtrot."""
    from judgebench import rate
    from judgebench.store import Store

    outcomes = sparse_baseline_outcomes().assign(p_ab=lambda frame: frame["score_a"],
                                                 p_ba=lambda frame: frame["score_a"])
    path = store_from_outcomes(outcomes, tmp_path / "s.sqlite")
    with Store(path) as store:
        store.record_plan("j", "t", store.games(), {**ADAPTIVE_PLAN, "method": "bt", "interval": "sandwich"}, "r1")
    board = rate(path, baseline="foxtrot", rounds=50)
    assert board.meta["adaptive"]["strategy"] == "adaptive"
    assert board.meta["baseline"] is None and board.meta["anchor"] == "foxtrot"
    assert "win_rate_se" not in {key for entry in board.models for key in entry}
    assert any("no win rates against the baseline foxtrot" in warning for warning in board.meta["warnings"])
    with pytest.raises(ConfigError, match=r'^\[ratings\] method = "winrate" rates every model'):
        rate(path, baseline="foxtrot", method="winrate", rounds=50)


def weighted_outcomes() -> pd.DataFrame:
    """The outcomes of WEIGHTED, every other one with the baseline as model_a, and one more: x and y meet once
    (q0), outside the win rates against the baseline."""
    rows = [{"question_id": f"q{q}", "model_a": model, "model_b": base, "score_a": s, "weight": w}
            for model, base, scores, weights in WEIGHTED for q, (s, w) in enumerate(zip(scores, weights, strict=True))]
    for row in rows[1::2]:  # every other row with the baseline as model_a: its score seen from the baseline
        row.update(model_a=row["model_b"], model_b=row["model_a"], score_a=1 - row["score_a"])
    rows.append({"question_id": "q0", "model_a": "x", "model_b": "y", "score_a": 1.0, "weight": 3})
    return pd.DataFrame(rows)


def test_win_rates_against_the_baseline_weigh_the_outcomes():
    """The win rate against the baseline is sum w s / sum w, arena-hard-auto's share of games won when [[A>>B]]
    counts three times (it counted each pair once: x 0.5625, not 0.6167); its standard errors are those of that
    ratio, and every bootstrap replicate is the same ratio over the questions drawn."""
    from scipy import stats

    from judgebench.ratings.intervals import question_weights

    outcomes = weighted_outcomes()
    sandwich = {e["model"]: e for e in leaderboard.build(outcomes, method="winrate", baseline="base",
                                                         interval="sandwich").models}
    bt_column = {e["model"]: e["win_rate"] for e in leaderboard.build(outcomes, baseline="base", rounds=20).models}
    for model, _, scores, weights in WEIGHTED:
        s, w = np.array(scores), np.array(weights, dtype=float)
        rate = (w * s).sum() / w.sum()  # x: 9.25 / 15, y: 5.25 / 13
        assert rate != pytest.approx(s.mean(), abs=0.01)
        entry = sandwich[model]
        assert entry["rating"] == pytest.approx(rate) and entry["win_rate"] == pytest.approx(rate)
        assert bt_column[model] == pytest.approx(rate)  # the column of a rating method, too
        # one outcome per question: the clustered sandwich of the ratio over the model's own n questions (y has
        # none on q7), with a t quantile on n - 1 df; AlpacaEval's standard error is the same (sd / sqrt(n) with
        # weights 1)
        n, squares = len(s), ((w * (s - rate)) ** 2).sum()
        se = np.sqrt(squares * n / (n - 1)) / w.sum()
        assert entry["upper"] - entry["rating"] == pytest.approx(stats.t.ppf(0.975, n - 1) * se)
        assert entry["win_rate_se"] == pytest.approx(se)
        rounded = np.sign(s - 0.5) / 2 + 0.5  # a win, a draw or a loss
        assert entry["discrete_win_rate"] == pytest.approx((w * rounded).sum() / w.sum())
    # a question bootstrap's replicates, brute force: the rows of the questions drawn (intervals.question_weights
    # with the seed), each as often as drawn, and sum w s / sum w over them
    board = leaderboard.build(outcomes, method="winrate", baseline="base", rounds=200, seed=5)
    draws = question_weights(8, 200, np.random.default_rng(5))  # the 8 questions q0..q7
    column = {e["model"]: k for k, e in enumerate(board.models)}
    for model, _, scores, weights in WEIGHTED:
        s, w = np.array(scores), np.array(weights, dtype=float)
        drawn = draws[:, : len(s)] * w  # question codes follow the sorted ids q0..q7
        assert board.samples[:, column[model]] == pytest.approx((drawn * s).sum(axis=1) / drawn.sum(axis=1))
    # without a baseline, the pooled score: the weighted share of all the model's outcomes that it won
    pooled = {e["model"]: e["win_rate"] for e in leaderboard.build(outcomes, rounds=20).models}
    x, wx = np.array(WEIGHTED[0][2]), np.array(WEIGHTED[0][3], dtype=float)
    assert pooled["x"] == pytest.approx(((wx * x).sum() + 3 * 1.0) / (wx.sum() + 3))


@pytest.mark.parametrize("options, message", [
    ({"method": "glicko"}, "unknown method"),
    ({"method": "elo", "interval": "sandwich"}, "sandwich"),
    ({"method": "winrate"}, "baseline"),
    ({"confidence": 1.5}, "confidence"),
    ({"resample": "models"}, "resampling unit"),
    ({"ties": "rao"}, "tie model"),
    ({"method": "elo", "k": 0.0}, "K-factor"),
])
def test_bad_settings_are_config_errors(outcomes, options, message):
    with pytest.raises(ConfigError, match=message):
        leaderboard.build(outcomes, rounds=10, **options)


def test_bad_data_are_input_errors(outcomes):
    with pytest.raises(InputError, match="baseline 'zulu'"):
        leaderboard.build(outcomes, baseline="zulu")
    broken = outcomes.copy()
    broken.loc[5, "score_a"] = 1.5
    with pytest.raises(InputError, match="row 6"):
        leaderboard.build(broken)
    with pytest.raises(InputError, match="missing column"):
        leaderboard.build(outcomes.drop(columns=["score_a"]))


def test_winner_column_and_self_pairs():
    frame = pd.DataFrame({"question_id": [1, 1, 2, 2, 3, 3, 4], "model_a": ["x", "y", "x", "y", "x", "z", "x"],
                          "model_b": ["y", "z", "z", "x", "y", "x", "x"],
                          "winner": ["model_a", "tie", "model_b", "tie (bothbad)", "model_b", "model_a", "tie"]})
    board = leaderboard.build(frame, rounds=50)
    assert board.meta["self_pairs_dropped"] == 1
    assert {e["model"] for e in board.models} == {"x", "y", "z"}


def test_parquet_fast_path_matches_the_dataframe(outcomes, tmp_path):
    path = tmp_path / "outcomes.parquet"
    outcomes.to_parquet(path)
    from_file = leaderboard.build(sources.read_outcomes(path), rounds=100, seed=3)
    from_frame = leaderboard.build(outcomes, rounds=100, seed=3)
    assert from_file.models == from_frame.models


def test_alpaca_eval_win_rates_reproduce_the_published_leaderboard(shared_data):
    # ../shared/data/alpaca_eval/leaderboard.csv: win_rate, standard_error, discrete_win_rate (percent),
    # n_wins, n_wins_base, n_draws and avg_length (characters, truncated) for the 14 annotated models.
    inputs = sources.load_inputs(alpaca_eval=[shared_data / "alpaca_eval" / "annotations"])
    assert inputs.baseline == "gpt4_1106_preview"
    board = leaderboard.build(inputs.outcomes, method="winrate", baseline=inputs.baseline, rounds=100)
    assert board.meta["length_control"].startswith("none")  # no weights given: no LC figure
    assert all(e.get("lc_win_rate") is None for e in board.models)
    published = pd.read_csv(shared_data / "alpaca_eval" / "leaderboard.csv", index_col=0)
    assert len(board.models) == 14
    for entry in board.models:
        row = published.loc[entry["model"]]
        assert entry["rating"] == pytest.approx(row["win_rate"] / 100, abs=1e-6)
        assert 0 <= entry["avg_length"] - row["avg_length"] < 1
        assert entry["win_rate_se"] == pytest.approx(row["standard_error"] / 100, abs=1e-6)
        assert entry["discrete_win_rate"] == pytest.approx(row["discrete_win_rate"] / 100, abs=1e-6)
        assert entry["n_wins"] + entry["n_losses"] + entry["n_ties"] == entry["n_games"]
        if entry["model"] != inputs.baseline:
            assert (entry["n_wins"], entry["n_losses"], entry["n_draws"], entry["n_games"]) == (
                row["n_wins"], row["n_wins_base"], row["n_draws"], row["n_total"])
    # the baseline's counts are the games it played, the others' seen from its side (AlpacaEval shows 805 draws
    # against itself, which no judge produced); its 50% and SE 0 are the published ones, checked above
    baseline = {e["model"]: e for e in board.models}.pop(inputs.baseline)
    others = [e for e in board.models if e["model"] != inputs.baseline]
    assert (baseline["n_games"], baseline["n_wins"], baseline["n_losses"], baseline["n_ties"]) == (
        sum(e["n_games"] for e in others), sum(e["n_losses"] for e in others), sum(e["n_wins"] for e in others),
        sum(e["n_ties"] for e in others))
    assert baseline["n_draws"] is None


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "judgebench.cli", "leaderboard", *args], capture_output=True,
                          text=True, timeout=120)


def test_flags_that_choose_a_stores_games_are_refused_with_outcomes(outcomes, tmp_path):
    """--judge, --template and --swap choose and combine a store's games; with an outcomes file they were
    ignored without a word."""
    path = tmp_path / "outcomes.csv"
    outcomes.to_csv(path, index=False)
    for flag, value in (("--judge-model", "gpt-4"), ("--template", "pairwise-5"), ("--swap", "random-one")):
        done = run_cli("--outcomes", str(path), flag, value)
        assert done.returncode == 2 and done.stderr.strip() == (
            f"error: {flag} goes with --store only (it chooses and combines a store's games; --outcomes gives "
            "outcomes already)")


def test_command_writes_the_files(outcomes, tmp_path):
    path = tmp_path / "outcomes.csv"
    outcomes.drop(columns=["len_a", "len_b"]).to_csv(path, index=False)
    done = run_cli("--outcomes", str(path), "--rounds", "200", "--seed", "5", "--baseline", "delta",
                   "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "alpha" in done.stdout and "95% percentile interval" in done.stdout
    document = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
    assert document["meta"]["seed"] == 5 and document["meta"]["baseline"] == "delta"
    assert (tmp_path / "out" / "leaderboard.csv").is_file() and (tmp_path / "out" / "leaderboard.md").is_file()


@pytest.mark.parametrize("method", ["bt", "elo"])
@pytest.mark.parametrize("baseline", [None, "delta"])
def test_the_rating_scale_and_p_win_are_said_where_they_are_shown(outcomes, tmp_path, monkeypatch, method, baseline):
    """leaderboard.md and the terminal said neither what a rating of 1000 is nor what P(win) is against (an
    average model without a baseline, else the baseline). What they say now is checked against the numbers:
    all-pairs ratings average 1000, a baseline is at 1000, and P(win) is the Bradley-Terry probability of
    beating a model rated 1000."""
    path = tmp_path / "outcomes.csv"
    outcomes.to_csv(path, index=False)
    monkeypatch.setenv("COLUMNS", "100")
    done = run_cli("--outcomes", str(path), "--method", method, "--rounds", "20", "--out", str(tmp_path / "out"),
                   *(["--baseline", baseline] if baseline else []))
    assert done.returncode == 0, done.stderr
    models = {e["model"]: e for e in json.loads((tmp_path / "out" / "leaderboard.json").read_text())["models"]}
    if baseline:
        assert models[baseline]["rating"] == 1000.0
        where, against = f"the baseline {baseline} fixed at 1000", f"the baseline {baseline}"
    else:
        assert np.mean([e["rating"] for e in models.values()]) == pytest.approx(1000.0)
        where = ("centred so that the average model is at 1000 (a rating compares a model with the others here, "
                 "not with models outside this leaderboard)")
        against = "a model of average rating (1000)"
    scale = f"Ratings on the Elo scale (a 400-point gap is 10:1 odds), {where}."
    markdown = (tmp_path / "out" / "leaderboard.md").read_text()
    assert scale in markdown and scale in " ".join(done.stdout.split())
    said = f"P(win): the predicted probability of beating {against}, ties counted half"
    assert (said in markdown) == (method == "bt") == ("| P(win) |" in markdown)
    for entry in models.values() if method == "bt" else []:
        assert entry["win_probability"] == pytest.approx(expit((entry["rating"] - 1000) * np.log(10) / 400))


@pytest.mark.parametrize("args, message, usage", [
    (["--outcomes", "missing.parquet"], "file not found", False),
    ([], "exactly one of", True),
    (["--outcomes", "{path}", "--method", "glicko"], "Invalid value for '--method'", True),
    (["--outcomes", "{path}", "--baseline", "zulu"], "baseline 'zulu'", False),
])
def test_command_errors_are_one_line_and_exit_2(outcomes, tmp_path, args, message, usage):
    """Input errors are one line; usage errors (bad or missing flags) are click's usage message."""
    path = tmp_path / "outcomes.csv"
    outcomes.to_csv(path, index=False)
    done = run_cli(*[a.replace("{path}", str(path)) for a in args])
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    if usage:
        assert done.stderr.startswith("Usage: ") and "Try " in done.stderr
    else:
        assert len(done.stderr.strip().splitlines()) == 1


def test_a_preset_named_as_the_stores_judge_gets_its_models_name(outcomes, tmp_path):
    """`leaderboard --judge local-server` (a preset's name, as `run --judge` takes it) over judgments stored
    under the preset's model, "judge": the message says the judge is chosen by its model's name, and which."""
    path = store_from_outcomes(outcomes, tmp_path / "judgments.sqlite", judge="judge", template="pairwise-5")
    done = run_cli("--store", str(path), "--judge", "local-server", "--rounds", "20")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ("local-server is a judge preset, and stored judgments are chosen by the judge model's name: judge"
            in done.stderr)
    assert run_cli("--store", str(path), "--judge", "judge", "--rounds", "20", "-q").returncode == 0


def test_command_reads_a_judgebench_store(outcomes, tmp_path):
    """Without --judge and --template the leaderboard names the one judge and template of the judgments it
    rated, as `report --store` does (it said "Judge: unknown; template: unknown")."""
    path = store_from_outcomes(outcomes, tmp_path / "judgments.sqlite", judge="test-judge", template="pairwise-5")
    done = run_cli("--store", str(path), "--rounds", "100", "--position-effect", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]
    assert meta["source"] == "store" and meta["n_outcomes"] == len(outcomes)
    assert meta["source_path"] == str(path)  # which store, for whoever reads the published file
    assert (meta["judge"], meta["template"]) == ("test-judge", "pairwise-5")
    assert "Judge: test-judge; template: pairwise-5;" in (tmp_path / "out" / "leaderboard.md").read_text()
    assert meta["position_effect"]["log_odds"] > 0
    assert meta["position_consistency"] is not None


@pytest.mark.parametrize("interval", ["bootstrap", "sandwich"])
def test_davidson_ties_with_either_interval(outcomes, interval):
    board = leaderboard.build(outcomes, rounds=200, interval=interval, ties="davidson")
    ties = board.meta["tie_ratio"]
    assert ties["lower"] < ties["nu"] < ties["upper"]
    for entry in board.models:
        assert entry["lower"] <= entry["rating"] <= entry["upper"]


def test_position_effect_sandwich_matches_the_spread_over_simulated_studies():
    """The sandwich's standard error of the first-position log-odds against its true sampling spread: the
    standard deviation of the point estimate over 150 independent simulated studies (Monte Carlo error of
    that standard deviation: 1 / sqrt(2 * 149) = 6%)."""
    from scipy.stats import t

    quantile = t.ppf(0.975, 59)  # 60 questions: the sandwich's t interval has 59 degrees of freedom
    estimates, errors = [], []
    for seed in range(150):
        effect = leaderboard.build(simulated_outcomes(n_questions=60, seed=100 + seed), interval="sandwich",
                                   position_effect=True).meta["position_effect"]
        estimates.append(effect["log_odds"])
        errors.append((effect["upper"] - effect["lower"]) / (2 * quantile))
    spread = np.std(estimates, ddof=1)
    assert np.mean(errors) == pytest.approx(spread, rel=0.2), (np.mean(errors), spread)


def test_games_without_ties_cannot_fit_davidson(outcomes):
    with pytest.raises(InputError, match="Davidson"):
        leaderboard.build(outcomes, ties="davidson", position_effect=True, rounds=10)


def clustered_outcomes(n_questions: int = 60, seed: int = 0) -> pd.DataFrame:
    """All pairs on every question, where each model's quality varies by question (standard deviation 1.5 on
    the log-odds scale): the outcomes of one question are correlated, as in real benchmarks."""
    rng = np.random.default_rng(seed)
    names = list(STRENGTHS)
    rows = []
    for q in range(n_questions):
        quality = {name: STRENGTHS[name] + rng.normal(0, 1.5) for name in names}
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                for _ in range(4):
                    rows.append({"question_id": f"q{q}", "model_a": a, "model_b": b,
                                 "score_a": float(rng.random() < expit(quality[a] - quality[b]))})
    return pd.DataFrame(rows)


def test_judgment_resampling_gives_narrower_intervals_than_questions_when_questions_cluster():
    outcomes = clustered_outcomes()
    by_question = leaderboard.build(outcomes, rounds=400, resample="questions")
    by_judgment = leaderboard.build(outcomes, rounds=400, resample="judgments")
    width = [np.mean([e["upper"] - e["lower"] for e in b.models]) for b in (by_question, by_judgment)]
    # the per-question quality makes the question bootstrap's intervals clearly wider (measured: ratio 0.6)
    assert width[1] < 0.8 * width[0], width
    assert by_judgment.meta["resample"] == "judgments"
    assert "ignores question clustering" in by_judgment.meta["interval_label"]


def test_command_uses_a_noted_weak_ridge_only_when_needed(tmp_path):
    frame = pd.DataFrame({"question_id": [1, 2, 3, 4, 5, 6], "model_a": ["a", "a", "b", "c", "b", "c"],
                          "model_b": ["b", "c", "c", "b", "c", "b"], "score_a": [1.0, 1.0, 1.0, 0.0, 0.5, 1.0]})
    path = tmp_path / "undefeated.csv"
    frame.to_csv(path, index=False)
    done = run_cli("--outcomes", str(path), "--rounds", "50", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("weak ridge") == 1
    meta = json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]
    assert meta["regularization"] > 0 and meta["regularization_automatic"] is True
    # one text, where the leaderboard is built: its warnings, which every output shows
    (text,) = [warning for warning in meta["warnings"] if "weak ridge" in warning]
    assert text.startswith("maximum-likelihood ratings do not exist (a never lost to b, c; b, c never beat "
                           "a)")  # names them, and whom they never lost to or beat
    assert "that distance is not an estimate (another regularization moves" in text
    assert f"warning: {text}" in " ".join(done.stderr.split())
    assert f"Warning: {text}." in (tmp_path / "out" / "leaderboard.md").read_text()
    assert "regularization" not in leaderboard.refit_options(meta)  # a refit chooses (and warns) again
    asked = run_cli("--outcomes", str(path), "--rounds", "50", "--regularization", str(leaderboard.AUTO_RIDGE))
    assert asked.returncode == 0 and "weak ridge" not in asked.stderr  # the ridge asked for is no surprise
    strict = run_cli("--outcomes", str(path), "--regularization", "0")
    assert strict.returncode == 2 and "a never lost to b, c" in strict.stderr


def test_command_says_which_files_it_wrote(outcomes, tmp_path):
    path = tmp_path / "outcomes.csv"
    outcomes.to_csv(path, index=False)
    done = run_cli("--outcomes", str(path), "--rounds", "20", "--out", str(tmp_path / "out"), "-q")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (f"wrote {tmp_path / 'out'}/: leaderboard.json, leaderboard.csv, "
                                            "leaderboard.md")


def test_rich_table_for_judgebench_run(board):
    from rich.console import Console

    console = Console(record=True, width=140)
    console.print(present.leaderboard_table(board, console.width))
    text = console.export_text()
    assert "Bradley-Terry" in text and "alpha" in text and "95% percentile interval" in text


# --- anchor-free ranks on evalica's llmfao comparisons ------------------------------------------------------


@pytest.fixture(scope="module")
def llmfao_outcomes(shared_data) -> pd.DataFrame:
    """evalica's llmfao: 8,930 comparisons of 59 models, the prompt as the question."""
    frame = pd.read_csv(shared_data / "ratings" / "llmfao.csv")
    winner = frame["winner"].map({"left": "model_a", "right": "model_b", "tie": "tie"})
    return pd.DataFrame({"question_id": frame["prompt"], "model_a": frame["left"], "model_b": frame["right"],
                         "winner": winner})


def test_evalica_comparison_file_from_the_command_line(shared_data, tmp_path):
    # evalica's own layout (left, right, winner), as published with its goldens: the Bradley-Terry ratings are
    # evalica's (abilities normalised to sum 1), and the output says that each row was taken as a question.
    done = run_cli("--outcomes", str(shared_data / "ratings" / "food.csv"), "--rounds", "20", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "each row is its own question" in done.stderr
    document = json.loads((tmp_path / "leaderboard.json").read_text())
    strengths = pd.Series({e["model"]: e["rating"] * np.log(10) / 400 for e in document["models"]})
    abilities = np.exp(strengths) / np.exp(strengths).sum()
    expected = golden(shared_data / "ratings" / "food-golden.csv", "bradley_terry")
    np.testing.assert_allclose(abilities[expected.index].to_numpy(), expected.to_numpy(), rtol=1e-6, atol=0)
    assert any("each row is its own question" in w for w in document["meta"]["warnings"])
    assert document["meta"]["n_questions"] == document["meta"]["n_outcomes"] == 30


def test_position_effect_from_home_and_away_outcomes(shared_data, tmp_path):
    # Agresti's baseball games (../shared/data/README.md: home-advantage coefficient 0.302) as an outcomes file.
    # Without per-order columns the error says which to add; with p_ab (the home team shown first) the fit is
    # Agresti's.
    games = baseball_games(shared_data)
    outcomes = pd.DataFrame({"question_id": games["question_id"], "model_a": games["first"],
                             "model_b": games["second"], "score_a": games["p_first"]})
    plain = tmp_path / "plain.csv"
    outcomes.to_csv(plain, index=False)
    refused = run_cli("--outcomes", str(plain), "--position-effect", "--rounds", "20", "-q")
    assert refused.returncode == 2
    assert "p_ab, model_a's score" in refused.stderr and "model_a at home" in refused.stderr
    assert "p_ba, model_a's score where model_b was shown first" in refused.stderr
    home_first = tmp_path / "home_first.csv"
    outcomes.assign(p_ab=outcomes["score_a"], p_ba=None).to_csv(home_first, index=False)
    done = run_cli("--outcomes", str(home_first), "--position-effect", "--rounds", "20", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    effect = json.loads((tmp_path / "leaderboard.json").read_text())["meta"]["position_effect"]
    assert round(effect["log_odds"], 3) == 0.302
    # the terminal and leaderboard.md show it, with its interval (it was only in leaderboard.json)
    shown = (f"Position effect fitted (the first-shown answer's advantage, like home advantage in sports): 0.302 "
             f"[{effect['lower']:.3f}, {effect['upper']:.3f}] log-odds (95% interval; 0 = none)")
    assert shown in " ".join(done.stdout.split()) and shown in markdown_shown(tmp_path / "leaderboard.md")
    assert "Position effect" not in run_cli("--outcomes", str(home_first), "--rounds", "20").stdout


def ranks_of(board: leaderboard.Leaderboard) -> dict[str, int]:
    return {e["model"]: e["rank"] for e in board.models}


@pytest.mark.parametrize("interval", ["bootstrap", "sandwich"])
def test_llmfao_ranks_and_separability_do_not_depend_on_the_anchor(llmfao_outcomes, interval):
    # Before ranks came from differences, separability was 0.283 unanchored and 0.092 anchored at GPT 4, and 37
    # of the 59 ranks changed with the anchor.
    boards = [leaderboard.build(llmfao_outcomes, interval=interval, rounds=100, **options)
              for options in ({}, {"anchor": "GPT 4"}, {"baseline": "GPT 4"})]
    assert ranks_of(boards[1]) == ranks_of(boards[0]) == ranks_of(boards[2])
    separability = [b.meta["separability"] for b in boards]
    assert separability[0] == separability[1] == separability[2] > 0.3
    anchored = {e["model"]: e for e in boards[1].models}["GPT 4"]
    assert anchored["lower"] == anchored["upper"] == 1000.0
    assert "fixed at 1000 by definition" in boards[1].meta["anchor_interval"]


def test_llmfao_ranks_do_not_depend_on_the_anchor_on_the_command_line(llmfao_outcomes, tmp_path):
    path = tmp_path / "llmfao.csv"
    llmfao_outcomes.to_csv(path, index=False)
    done = run_cli("--outcomes", str(path), "--interval", "sandwich", "--baseline", "GPT 4", "--out", str(tmp_path),
                   "-q")
    assert done.returncode == 0, done.stderr
    document = json.loads((tmp_path / "leaderboard.json").read_text())
    unanchored = leaderboard.build(llmfao_outcomes, interval="sandwich")
    assert {e["model"]: e["rank"] for e in document["models"]} == ranks_of(unanchored)
    assert document["meta"]["separability"] == unanchored.meta["separability"]


def test_llmfao_rank_inversions_are_those_the_difference_intervals_imply(llmfao_outcomes):
    """Rule: model A may be ranked below model B although A's point rating is higher only when some model C is
    significantly better than A (its difference interval with A above zero) and not significantly better than
    B (the C - B interval, from fewer or noisier games, reaches zero). Checked here pair by pair from the
    bootstrap replicates; any other inversion would be a fault of the ranking."""
    board = leaderboard.build(llmfao_outcomes, rounds=200)
    samples, entries = board.samples, board.models
    m = len(entries)
    lower = np.percentile(samples[:, :, None] - samples[:, None, :], 2.5, axis=0)
    better = (lower > 0) & ~np.eye(m, dtype=bool)
    inversions = 0
    for a in range(m):
        for b in range(a + 1, m):  # models are sorted by rating: a is rated at least as high as b
            if entries[a]["rating"] > entries[b]["rating"] and entries[a]["rank"] > entries[b]["rank"]:
                inversions += 1
                assert (better[:, a] & ~better[:, b]).any(), (entries[a]["model"], entries[b]["model"])
    assert inversions > 0  # llmfao's models have very different numbers of games, so some occur


def test_a_model_without_a_rating_gets_no_rank_and_a_reason(outcomes):
    without = outcomes[~((outcomes.model_a == "alpha") & (outcomes.model_b == "delta"))]
    for interval in ("bootstrap", "sandwich"):
        board = leaderboard.build(without, method="winrate", baseline="delta", interval=interval, rounds=100)
        alpha = {e["model"]: e for e in board.models}["alpha"]
        assert alpha["rating"] is None and alpha["rank"] is None
        assert "no outcomes against the baseline" in alpha["rank_note"]
        assert sorted(e["rank"] for e in board.models if e["rank"] is not None)[0] == 1


def test_davidson_reports_win_tie_and_expected_score_against_the_baseline(llmfao_outcomes):
    board = leaderboard.build(llmfao_outcomes, ties="davidson", baseline="GPT 4", interval="sandwich")
    nu = board.meta["tie_ratio"]["nu"]
    assert "P(tie)" in board.meta["win_probability_label"] and "GPT 4" in board.meta["win_probability_label"]
    for entry in board.models:
        win, tie = entry["win_probability"], entry["tie_probability"]
        # Davidson: P(tie)^2 = nu^2 P(win) P(loss); the three must add up to one
        loss = tie ** 2 / (nu ** 2 * win)
        assert win + tie + loss == pytest.approx(1.0)
        assert entry["expected_score"] == pytest.approx(win + tie / 2)
    gpt4 = {e["model"]: e for e in board.models}["GPT 4"]
    assert gpt4["win_probability"] == pytest.approx(1 / (2 + nu))  # against itself


def test_few_questions_give_a_warning_in_the_meta(outcomes):
    few = outcomes[outcomes.question_id.isin([f"q{q}" for q in range(13)])]
    board = leaderboard.build(few, interval="sandwich")
    assert any("13 questions" in w and "under-cover" in w for w in board.meta["warnings"])
    assert "12 degrees of freedom" in board.meta["interval_label"]
    assert leaderboard.build(outcomes, interval="sandwich").meta["warnings"] == []


def test_online_elo_is_in_stored_order_and_its_interval_says_how_it_was_made(outcomes):
    from judgebench.ratings.elo import online_elo

    board = leaderboard.build(outcomes, method="elo", rounds=50)
    names = sorted(STRENGTHS)
    code = {name: k for k, name in enumerate(names)}
    direct = online_elo(outcomes.model_a.map(code).to_numpy(), outcomes.model_b.map(code).to_numpy(),
                        outcomes.score_a.to_numpy(), len(names))
    assert [e["rating"] for e in sorted(board.models, key=lambda e: e["model"])] == pytest.approx(direct.tolist())
    assert "random order" in board.meta["interval_label"]


def test_alpaca_eval_length_controlled_win_rates_from_the_command_line(shared_data, tmp_path):
    folder = shared_data / "alpaca_eval"
    done = run_cli("--alpaca-eval", str(folder / "annotations"), "--lc-weights", str(folder / "lc_weights.csv"),
                   "--instruction-difficulty", str(folder / "instruction_difficulty.csv"), "--rounds", "50",
                   "--out", str(tmp_path), "-q")
    assert done.returncode == 0, done.stderr
    models = json.loads((tmp_path / "leaderboard.json").read_text())["models"]
    published = pd.read_csv(folder / "leaderboard.csv", index_col=0)
    checked = 0
    for entry in models:
        row = published.loc[entry["model"]]
        assert abs(100 * entry["lc_win_rate"] - row["length_controlled_winrate"]) < 1e-3, entry["model"]
        if pd.notna(row["lc_standard_error"]):
            assert abs(100 * entry["lc_win_rate_se"] - row["lc_standard_error"]) < 1e-3, entry["model"]
        checked += entry["model"] != "gpt4_1106_preview"
    assert checked == 13
    meta = json.loads((tmp_path / "leaderboard.json").read_text())["meta"]
    assert meta["length_control"] == "AlpacaEval 2.0's published GLM weights"
    baseline = {e["model"]: e for e in models}["gpt4_1106_preview"]
    assert (baseline["n_games"], baseline["rating"], baseline["win_rate_se"], baseline["lc_win_rate"]) == (
        13 * 805, 0.5, 0.0, 0.5)  # the games it played against the 13 others
    # ranked as AlpacaEval 2.0 ranks: by LC win rate (claude-2, LC 28.2%, above a model with LC 25.3% and a
    # higher raw win rate), in the published order; ranks count the models significantly better by LC
    assert meta["ranked_by"] == "lc_win_rate"
    names = [entry["model"] for entry in models]
    assert names == list(published.loc[names].sort_values("length_controlled_winrate", ascending=False).index)
    rank = {entry["model"]: entry["rank"] for entry in models}
    assert rank["claude-2"] == 3 < rank["FuseChat-Llama-3.2-1B-Instruct"] == rank["claude-2.1"] == 4
    assert [entry["rank"] for entry in models] == sorted(entry["rank"] for entry in models)
    # its line in a notebook shows the figure the rows are ranked by, as the table writes it: it said "best:
    # FuseChat-Gemma-2-9B-Instruct 0.705, gpt4_1106_preview 0.5, claude-2 0.1719" (raw win rates in LC order)
    assert ("; best by LC win rate: FuseChat-Gemma-2-9B-Instruct 70.2%, gpt4_1106_preview 50.0%, claude-2 28.2%, ...;"
            in repr(leaderboard.Leaderboard(models, meta)))


def test_alpaca_eval_table_shows_every_alpaca_eval_figure(shared_data, tmp_path, monkeypatch):
    # the terminal and leaderboard.md show the win rate with its interval (the terminal left the interval out: it
    # looked for an "interval" field) and SE, the LC win rate with its SE, and say how the rows are ranked;
    # position consistency, n/a for every import (no per-order verdicts), is not shown
    folder = shared_data / "alpaca_eval"
    monkeypatch.setenv("COLUMNS", "200")
    done = run_cli("--alpaca-eval", str(folder / "annotations"), "--lc-weights", str(folder / "lc_weights.csv"),
                   "--instruction-difficulty", str(folder / "instruction_difficulty.csv"), "--rounds", "20",
                   "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    markdown = (tmp_path / "leaderboard.md").read_text()
    for text in (done.stdout, markdown):
        header = next(line for line in text.splitlines() if line.replace("|", " ").split()[:2] == ["rank", "model"])
        assert [title in header for title in ("interval", "win rate SE", "LC win rate", "LC SE",
                                              "position consistency")] == [True, True, True, True, False]
        assert "ranked by length-controlled win rate, as AlpacaEval 2.0" in text
    # who judged: the annotations' annotator (judge model and prompt), one random order per pair (it said
    # "Judge: unknown; template: unknown; swap policy: unknown")
    assert ("Judge: weighted_alpaca_eval_gpt4_turbo; template: weighted_alpaca_eval_gpt4_turbo; swap policy: "
            "random-one;") in markdown_shown(tmp_path / "leaderboard.md")
    # claude-2's row: the published win rate, its SE and the LC win rate (leaderboard.csv, in percent), and the LC
    # SE, which the published table leaves blank for it, as leaderboard.json gives it, each to one decimal
    published = pd.read_csv(folder / "leaderboard.csv", index_col=0).loc["claude-2"]
    computed = {e["model"]: e for e in json.loads((tmp_path / "leaderboard.json").read_text())["models"]}["claude-2"]
    claude = next(line for line in markdown.splitlines() if line.startswith("| 3 | claude-2 |")).split(" | ")
    assert (claude[2], *claude[4:7]) == (
        *(f"{published[column]:.1f}%" for column in ("win_rate", "standard_error", "length_controlled_winrate")),
        f"{100 * computed['lc_win_rate_se']:.1f}%")


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_a_narrow_terminal_keeps_the_column_the_rows_are_ranked_by(shared_data, tmp_path, monkeypatch, columns):
    """At 80 columns (a CI log, a pipe) the LC win rate the rows are ranked by was dropped with the others, and
    the rows looked mis-sorted (3 claude-2 17.2%, 4 ... 29.9%); narrower, cells were cut ("70.…"). Now every
    row shows its whole LC win rate, in the table's order, within the width when rank, model and it fit (80,
    60), else wider, never cut (40)."""
    folder = shared_data / "alpaca_eval"
    monkeypatch.setenv("COLUMNS", str(columns))
    done = run_cli("--alpaca-eval", str(folder / "annotations"), "--lc-weights", str(folder / "lc_weights.csv"),
                   "--instruction-difficulty", str(folder / "instruction_difficulty.csv"), "--rounds", "20",
                   "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout[:done.stdout.index("wrote ")].splitlines()  # the table, without the files written
    assert "LC win rate" in next(line for line in lines if line.split()[:2] == ["rank", "model"])
    models = json.loads((tmp_path / "leaderboard.json").read_text())["models"]
    shown = []
    for entry in models:
        row = next(line for line in lines if line.split()[1:2] == [entry["model"]])
        assert f"{100 * entry['lc_win_rate']:.1f}%" in row.split(), row
        shown.append(entry["lc_win_rate"])
    assert shown == sorted(shown, reverse=True)
    assert "…" not in done.stdout
    if columns >= 60:
        assert max(len(line) for line in lines) <= columns


def test_a_model_without_lc_weights_is_said_on_the_terminal(shared_data, tmp_path):
    """A model the weights have no row for was listed below the baseline, rank "-" and LC "n/a", in a table
    "ranked by length-controlled win rate", and only the CSV's rank_note said why."""
    folder = shared_data / "alpaca_eval"
    weights = tmp_path / "lc_weights.csv"
    weights.write_text("".join(line for line in (folder / "lc_weights.csv").read_text().splitlines(keepends=True)
                               if not line.startswith("claude-2,")))
    done = run_cli("--alpaca-eval", str(folder / "annotations"), "--lc-weights", str(weights),
                   "--instruction-difficulty", str(folder / "instruction_difficulty.csv"), "--rounds", "20")
    assert done.returncode == 0, done.stderr
    assert ("warning: no length-controlled win rate for claude-2: the LC weights have no row for it, so the table, "
            "ranked by LC win rate, lists it last, without a rank (AlpacaEval publishes weights for the models of its "
            "leaderboard: rank by win rate without --lc-weights, or give weights with a row for each model)"
            in " ".join(done.stderr.split())), done.stderr
    complete = run_cli("--alpaca-eval", str(folder / "annotations"), "--lc-weights", str(folder / "lc_weights.csv"),
                       "--instruction-difficulty", str(folder / "instruction_difficulty.csv"), "--rounds", "20")
    assert complete.returncode == 0 and "no length-controlled win rate" not in complete.stderr


def test_length_control_weights_go_with_alpaca_eval_annotations_only(outcomes, shared_data, tmp_path):
    """`--store S --lc-weights` ranked a table of judgebench's own judge by AlpacaEval's published LC figures
    (computed from the weights alone: the judgments choose only the questions), with a model judged here first
    below the baseline, unranked; `--results DIR --lc-weights` was refused because "a run's judge and template are
    those of its judgments", a reason that held for the store too. One rule now, with its reason, for every
    source but AlpacaEval's annotations, in the command and in Python."""
    from judgebench import rate

    folder = shared_data / "alpaca_eval"
    length_control = ["--lc-weights", str(folder / "lc_weights.csv"), "--instruction-difficulty",
                      str(folder / "instruction_difficulty.csv")]
    store = store_from_outcomes(outcomes, tmp_path / "s.sqlite")
    table = tmp_path / "outcomes.csv"
    outcomes.to_csv(table, index=False)
    reason = ("with AlpacaEval annotations only (--alpaca-eval FILE...), not {}: the length-controlled win rates are "
              "the predictions of AlpacaEval's GLM, fitted to its judge's annotations of its models, and come from "
              "the weights alone")
    for source, what in ((["--store", str(store)], "a store"), (["--results", str(tmp_path)], "a results folder"),
                         (["--outcomes", str(table)], "an outcomes table")):
        done = run_cli(*source, "--baseline", "alpha", *length_control)
        assert done.returncode == 2 and done.stderr.startswith(
            "error: --lc-weights and --instruction-difficulty go " + reason.format(what)), done.stderr
    alone = run_cli("--results", str(tmp_path), *length_control[:2])
    assert alone.returncode == 2 and alone.stderr.startswith("error: --lc-weights goes " + reason.format(
        "a results folder")), alone.stderr
    with pytest.raises(ConfigError, match=r"^lc_weights goes with AlpacaEval annotations only \(kind='alpaca-eval'\)"
                                          ", not a store: "):
        rate(store, baseline="alpha", lc_weights=folder / "lc_weights.csv")


def test_the_count_column_is_titled_by_what_it_counts(outcomes, tmp_path, monkeypatch):
    """The column titled "pairs" counted a store's pairs (both orders one) but an outcomes file's rows, 80 for the
    40 pairs of a file with a row per order: an outcomes table's count is titled "outcomes" now, in the terminal,
    leaderboard.md and the note beside a baseline's win rates."""
    monkeypatch.setenv("COLUMNS", "200")
    games = pd.DataFrame([{"question_id": row.question_id, "model_a": first, "model_b": second, "score_a": score}
                          for row in outcomes.itertuples()
                          for first, second, score in ((row.model_a, row.model_b, row.p_ab),
                                                       (row.model_b, row.model_a, 1 - row.p_ba))])
    games.to_csv(tmp_path / "games.csv", index=False)
    store = store_from_outcomes(outcomes, tmp_path / "s.sqlite")
    counted = {}
    for flag, source, title in (("--outcomes", tmp_path / "games.csv", "outcomes"), ("--store", store, "pairs")):
        out = tmp_path / title
        done = run_cli(flag, str(source), "--method", "winrate", "--baseline", "charlie", "--rounds", "20",
                       "--out", str(out))
        assert done.returncode == 0, done.stderr
        for text in (done.stdout, (out / "leaderboard.md").read_text()):
            header = next(line for line in text.splitlines()
                          if line.replace("|", " ").split()[:2] == ["rank", "model"]).replace("|", " ").split()
            assert title in header and ({"outcomes", "pairs"} - {title}).isdisjoint(header), header
            assert f"count its {title} against every opponent" in " ".join(text.replace("\\", "").split())
        counted[title] = {e["model"]: e["n_games"] for e in json.loads((out / "leaderboard.json").read_text())[
            "models"]}
    assert counted["outcomes"] == {model: 2 * n for model, n in counted["pairs"].items()}


@pytest.mark.parametrize("interval", ["sandwich", "bootstrap"])
def test_a_fitted_effect_whose_clustered_interval_collapses_gets_the_model_based_one(interval):
    """A judge whose two orders always agree: on 12 questions x beats y in both orders on 8, y beats x on 4.
    Each pair's two games cancel in the first-position score (x first: 1 - 2/3; y first: 0 - 1/3), so the
    question-clustered sandwich and every question bootstrap replicate say 0 +/- 0: the interval was
    0.500 [0.500, 0.500]. The model-based one, worked out by hand: each of the 24 games has p = 2/3 at the fit
    (x's odds 2:1, gamma 0) and each model is first as often as second, so the information on gamma is
    24 * 2/9 and its standard error sqrt(9 / 48)."""
    rows = [{"question_id": f"q{q}", "model_a": "x", "model_b": "y", "score_a": float(q < 8),
             "p_ab": float(q < 8), "p_ba": float(q < 8), "weight": 1.0} for q in range(12)]
    effect = leaderboard.build(pd.DataFrame(rows), interval=interval, position_effect=True,
                               rounds=200).meta["position_effect"]
    half = 1.959963984540054 * np.sqrt(9 / 48)
    assert effect["log_odds"] == pytest.approx(0.0, abs=1e-9)
    assert (effect["lower"], effect["upper"]) == pytest.approx((-half, half))
    assert effect["first_win_probability_lower"] == pytest.approx(expit(-half))
    assert f"the {interval} interval over questions has zero width" in effect["note"]
    shown = dict(present.judge_diagnostics_rows({"position_effect": effect}))
    assert shown["fitted first-position effect (P first wins, equal models)"] == (
        f"0.500 [{expit(-half):.3f}, {expit(half):.3f}]")
    assert f"  note: {effect['note']}" in shown
    # one pair whose orders disagree, and the clustered interval is the one shown again
    rows[0]["p_ba"] = 0.0
    rows[0]["score_a"] = 0.5
    measured = leaderboard.build(pd.DataFrame(rows), interval=interval, position_effect=True,
                                 rounds=200).meta["position_effect"]
    assert "note" not in measured and measured["upper"] - measured["lower"] > 0.1


def position_biased_outcomes(exception: tuple[float, float] | None = None) -> pd.DataFrame:
    """Three models against a baseline on 12 questions, both orders, the answer shown first always winning;
    `exception` gives the first outcome's (p_ab, p_ba) instead."""
    rows = [{"question_id": f"q{q}", "model_a": m, "model_b": "base", "p_ab": 1.0, "p_ba": 0.0, "score_a": 0.5,
             "weight": 1.0} for q in range(12) for m in ("good", "mid", "bad")]
    if exception is not None:
        rows[0].update(p_ab=exception[0], p_ba=exception[1], score_a=sum(exception) / 2)
    return pd.DataFrame(rows)


def test_a_position_effect_without_a_finite_estimate_is_an_input_error(tmp_path):
    """The answer shown first won every game: the first-position effect runs to infinity, and the fit failed
    with numpy's LinAlgError (exit 70, 'internal error') in `leaderboard --position-effect` and in a run with
    position_effect = true. Also when the second answer won one game (good, shown second, beat base on q0):
    good's rating absorbs it, with the effect still infinite (good's strength and the effect up together leave
    every other game as likely or more), so it is no way out."""
    path = store_from_outcomes(position_biased_outcomes(), tmp_path / "biased.sqlite")
    done = run_cli("--store", str(path), "--position-effect", "--rounds", "50")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "the first-position effect has no finite estimate" in done.stderr
    assert "; rate without it (--no-position-effect)" in done.stderr  # leaderboard's flag that turns it off
    assert run_cli("--store", str(path), "--rounds", "50").returncode == 0  # without it the ratings exist
    for interval in ("sandwich", "bootstrap"):
        with pytest.raises(InputError, match=r"^the first-position effect has no finite estimate: .*; rate without "
                                             r"it \(\[ratings\] position_effect = false\)$"):
            leaderboard.build(position_biased_outcomes((1.0, 1.0)), interval=interval, position_effect=True)
    from judgebench.diagnostics import fitted_position_effect

    effect = fitted_position_effect(position_biased_outcomes((1.0, 1.0)), None)
    assert effect is not None and effect["log_odds"] is None and "effect is unbounded" in effect["note"]


def test_bootstrap_replicates_without_a_finite_position_effect_are_an_input_error():
    """On q0 the second answer won both games (good lost shown first and won shown second): the effect has a
    finite estimate, but about a third of the question-bootstrap replicates leave q0 out ((11/12)^12) and
    have none; they failed with LinAlgError. The sandwich interval, which the message suggests, needs no
    replicate."""
    outcomes = position_biased_outcomes((0.0, 1.0))
    effect = leaderboard.build(outcomes, interval="sandwich", position_effect=True).meta["position_effect"]
    assert 0 < effect["lower"] < effect["log_odds"] < effect["upper"]
    with pytest.raises(InputError, match=r"no finite estimate in some bootstrap replicates: .*; use the sandwich "
                                         r'interval \(\[ratings\] interval = "sandwich"\), or rate without it'):
        leaderboard.build(outcomes, interval="bootstrap", position_effect=True, rounds=50)  # from Python: no flags


def test_refit_options_leave_an_anchor_that_was_the_baseline_to_the_refits_baseline(outcomes):
    """leaderboard.json records the model the ratings were anchored at, which is the baseline unless an anchor was
    chosen: a refit with another baseline anchors at that one only when the recorded anchor was the old
    baseline's. It dropped a chosen anchor too (report.inputs.refit), and kept the old baseline's with
    refit_options alone."""
    by_baseline = leaderboard.build(outcomes, baseline="delta", rounds=20).meta
    chosen = leaderboard.build(outcomes, baseline="delta", anchor="alpha", anchor_rating=1500, rounds=20).meta
    assert by_baseline["anchor"] == "delta" and "anchor" not in leaderboard.refit_options(by_baseline)
    assert leaderboard.refit_options(chosen)["anchor"] == "alpha"
    for meta, anchor in ((by_baseline, "charlie"), (chosen, "alpha")):
        options = {**leaderboard.refit_options(meta), "baseline": "charlie"}
        assert leaderboard.build(outcomes, **options).meta["anchor"] == anchor
    same = leaderboard.build(outcomes, **leaderboard.refit_options(by_baseline))
    assert [e["rating"] for e in same.models] == [e["rating"] for e in leaderboard.build(
        outcomes, baseline="delta", rounds=20).models]


def outcomes_over(n_questions: int, n_rows: int, path) -> None:
    """An outcomes file of 6 models' `n_rows` random games over `n_questions` questions (every one used)."""
    rng = np.random.default_rng(0)
    a = rng.integers(0, 6, n_rows)
    b = (a + rng.integers(1, 6, n_rows)) % 6
    pd.DataFrame({"question_id": [f"q{q}" for q in np.arange(n_rows) % n_questions], "model_a": [f"m{k}" for k in a],
                  "model_b": [f"m{k}" for k in b], "score_a": rng.choice([0.0, 0.5, 1.0], n_rows)}).to_csv(path,
                                                                                                        index=False)


def test_a_bootstrap_too_large_for_the_memory_says_which_setting_to_lower(tmp_path, monkeypatch):
    """A real MemoryError: the process's address space is capped 300 MiB above what judgebench takes once
    loaded, and 100,000 rounds over 3,000 questions need 1.1 GiB of weights. One clear message and exit 2, not
    an internal error; with the rounds most runs use, the same cap rates the file."""
    outcomes_over(3_000, 20_000, tmp_path / "o.csv")
    for name, value in MEMORY_CAPPED_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    script = memory_capped(300)
    done = judgebench("leaderboard", "--outcomes", "o.csv", "--rounds", "100000", cwd=tmp_path, script=script)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == ("error: not enough memory for 100,000 bootstrap rounds over 3,000 questions (a "
                                   "weight for each in every round: 1.1 GiB): use fewer rounds (--rounds N; 1,000 is "
                                   "usual) or sandwich intervals (--interval sandwich)")
    usual = judgebench("leaderboard", "--outcomes", "o.csv", "--rounds", "1000", cwd=tmp_path, script=script)
    assert usual.returncode == 0, usual.stderr


def test_a_bootstrap_larger_than_the_memory_available_is_refused_before_it_starts(tmp_path):
    """Linux overcommits memory: an allocation beyond what is available is not refused but kills the process
    later, without a word. Weights of twice this machine's available memory (measured here) are refused first."""
    available = leaderboard.available_memory()
    assert available is not None, "Linux gives MemAvailable"
    n_questions = 2 * available // iv.question_weights_bytes(100_000, 1) + 1
    outcomes_over(n_questions, n_questions, tmp_path / "o.csv")
    done = judgebench("leaderboard", "--outcomes", "o.csv", "--rounds", "100000", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert re.fullmatch(rf"error: not enough memory for 100,000 bootstrap rounds over {n_questions:,} questions \(a "
                        r"weight for each in every round: [\d.]+ GiB, and [\d.]+ GiB are available\): use fewer "
                        r"rounds \(--rounds N; 1,000 is usual\) or sandwich intervals \(--interval sandwich\)",
                        done.stderr.strip()), done.stderr


@pytest.mark.parametrize("scale", [400.0, 1e-6])  # a tiny scale: the tolerance follows the spread, not the level
def test_models_with_identical_games_share_a_rank(scale):
    """worse and bad lose every game to the baseline alike: their ratings agree to the last digit and their
    replicates differ by rounding only, always the same way, which ranked one 'significantly' above the other
    (rank 5 listed above rank 4)."""
    outcomes = pd.DataFrame([{"question_id": f"q{q:02d}", "model_a": model, "model_b": "base", "score_a": score}
                             for q in range(20) for model, score in
                             (("good", 1.0), ("mid", 0.5), ("worse", 0.0), ("bad", 0.0))])
    board = leaderboard.build(outcomes, baseline="base", rounds=200, scale=scale)
    ranks = {entry["model"]: entry["rank"] for entry in board.models}
    assert ranks["worse"] == ranks["bad"] == 4 and ranks["good"] == 1


@pytest.mark.parametrize("method", ["bt", "elo"])
def test_models_never_compared_even_through_others_are_not_ranked_apart(method):
    """Two groups that no game links (a1 beats a2 85% of the time, b1 and b2 are even): their ratings' distance
    is the fit's, not the data's, and yet a1 was ranked above b1 and b2 "significantly" (a user's audit)."""
    rng = np.random.default_rng(5)
    rows = [row for q in range(100) for row in (
        {"question_id": f"q{q}", "model_a": "a1", "model_b": "a2", "score_a": float(rng.random() < 0.85)},
        {"question_id": f"q{q}", "model_a": "b1", "model_b": "b2", "score_a": float(rng.random() < 0.5)})]
    board = leaderboard.build(pd.DataFrame(rows), method=method, rounds=200)
    rank = {row["model"]: row["rank"] for row in board.models}
    assert rank["a1"] == 1 and rank["a2"] == 2 and rank["b1"] == rank["b2"] == 1
    assert board.meta["separability"] == pytest.approx(1 / 6)  # a1 over a2 only, of the six pairs
    (warning,) = [text for text in board.meta["warnings"] if "no comparison links" in text]
    assert "(a1, a2 | b1, b2)" in warning
    # the ridge holds only the groups apart, which that warning says: no second warning listing each group as
    # having never lost to, and never beaten, the groups it never met
    assert not [text for text in board.meta["warnings"] if "weak ridge" in text]


def test_alpaca_eval_annotations_against_several_baselines_say_why_the_ratings_are_bradley_terrys(tmp_path):
    import judgebench

    def annotations(model: str, baseline: str) -> list[dict]:
        return [{"instruction": f"i{k}", "output_1": "b", "generator_1": baseline, "output_2": "m",
                 "generator_2": model, "preference": 1.0 + (k % 3 == 0)} for k in range(12)]

    files = [tmp_path / "one.json", tmp_path / "two.json"]
    files[0].write_text(json.dumps(annotations("x", "base-1") + annotations("y", "base-1")))
    files[1].write_text(json.dumps(annotations("z", "base-2")))
    board = judgebench.rate(files)
    assert board.meta["method"] == "bt"
    assert any(text.startswith("the annotations compare the models with more than one baseline")
               for text in board.meta["warnings"])
    assert judgebench.rate(files[:1]).meta["method"] == "winrate"


def test_sandwich_win_rate_intervals_stay_within_0_and_1():
    """a won 1 of 8 questions against the baseline and b 2 of 4: the t intervals ran to -14% and 107.5%."""
    rows = ([{"question_id": f"q{k}", "model_a": "a", "model_b": "base", "score_a": float(k == 1)} for k in range(1, 9)]
            + [{"question_id": f"q{k}", "model_a": "b", "model_b": "base", "score_a": float(k in (9, 11))}
               for k in range(9, 13)])
    board = leaderboard.build(pd.DataFrame(rows), method="winrate", interval="sandwich", baseline="base")
    ends = {row["model"]: (row["lower"], row["upper"]) for row in board.models}
    assert ends["a"][0] == 0.0 and ends["b"] == (0.0, 1.0)
    assert 0.125 < ends["a"][1] < 1.0


@pytest.mark.parametrize("method", ["bt", "winrate"])
def test_a_model_judged_on_one_question_is_not_ranked_apart(method):
    """D met A and B on one question (a user's audit): its question-clustered interval had nothing to resample,
    so it came out far too narrow (66.7% to 66.7% for a win rate of 3 games) and its rank looked decided."""
    rng = np.random.default_rng(3)
    rows = [{"question_id": f"q{k}", "model_a": a, "model_b": b, "score_a": float(rng.random() < p)}
            for k in range(40) for a, b, p in (("A", "B", 0.2), ("A", "C", 0.5), ("B", "C", 0.8))]
    rows += [{"question_id": "q0", "model_a": "D", "model_b": opponent, "score_a": 1.0} for opponent in "AB"]
    board = leaderboard.build(pd.DataFrame(rows), method=method, baseline="A", rounds=200)
    rank = {row["model"]: row["rank"] for row in board.models}
    assert rank["D"] == 1 and rank["B"] == 1 and rank["C"] == 2  # B above C; D above or below nobody
    assert any(text.startswith("judged on one question only: D (") for text in board.meta["warnings"])


@pytest.mark.parametrize("interval", ["bootstrap", "sandwich"])
def test_ratings_of_one_question_have_no_intervals_and_no_ranks_apart(interval):
    """Every outcome on one question (a user's audit: a dollar budget that bought one pair): the question
    bootstrap had nothing to resample, so A and B stood at ranks 1 and 2 with intervals "1340.0 to 1340.0", and
    the guard against ranking one-question models apart applied only where the games spanned two questions."""
    rows = [{"question_id": "q0", "model_a": "A", "model_b": "B", "score_a": 1.0},
            {"question_id": "q0", "model_a": "A", "model_b": "C", "score_a": 1.0},
            {"question_id": "q0", "model_a": "B", "model_b": "C", "score_a": 0.5}]
    board = leaderboard.build(pd.DataFrame(rows), interval=interval, rounds=50)
    assert [(row["rank"], row["lower"], row["upper"]) for row in board.models] == [(1, None, None)] * 3
    assert board.models[0]["model"] == "A" and board.models[0]["rating"] > board.models[1]["rating"]
    (said,) = [text for text in board.meta["warnings"] if "one question" in text or "1 question" in text]
    assert said.startswith("one question judged: an interval clustered by question needs at least two")
    assert "no model is ranked apart from another" in said and board.meta["separability"] == 0.0
    # the table's line on its intervals said "95% percentile interval, bootstrap over questions (50 rounds ...)"
    assert board.meta["interval_label"].startswith("none: one question judged")
    resampled = leaderboard.build(pd.DataFrame(rows), resample="judgments", rounds=50)  # the games: an interval
    assert all(row["upper"] > row["lower"] for row in resampled.models)


@pytest.mark.parametrize("case", ["plain", "position effect", "no finite ratings"])
def test_ratings_of_one_question_draw_and_fit_no_bootstrap(monkeypatch, case):
    """A question bootstrap of one question draws that question once in every replicate: each replicate is the
    data and its fit the point estimate. It was drawn and fitted, round by round, and its intervals thrown away
    (`_one_cluster`). Now nothing is drawn or fitted (the functions that would are made to fail here), and the
    board is what the bootstrap gave, compared with the code before on these cases: no intervals, every replicate
    at the point ratings (the report's rank shares), the replicates without finite maximum-likelihood ratings
    counted (all of them when the data has none), and the position effect's model-based interval with its note."""
    from judgebench.ratings import bradley_terry as bt

    rows = [("A", "B", 1.0, 1.0, 1.0), ("B", "C", 0.5, 1.0, 0.0), ("A", "C", 0.0, 0.0, 0.0), ("A", "D", 1.0, 1.0, 1.0),
            ("D", "C", 0.5, 0.0, 1.0)]
    if case == "no finite ratings":  # A beats everyone: the ratings need the weak ridge
        rows = [("A", "B", 1.0, 1.0, 1.0), ("A", "C", 1.0, 1.0, 1.0), ("B", "C", 0.5, 1.0, 0.0)]
    outcomes = pd.DataFrame(rows, columns=["model_a", "model_b", "score_a", "p_ab", "p_ba"]).assign(question_id="q0")

    def entered(*args, **kwargs):
        raise AssertionError("a bootstrap of one question was drawn or fitted")

    for module, name in ((iv, "question_weights"), (iv, "question_replicate_stats"), (bt, "fit_replicates")):
        monkeypatch.setattr(module, name, entered)
    board = leaderboard.build(outcomes, rounds=40, position_effect=case == "position effect")

    assert [(row["lower"], row["upper"], row["rank"]) for row in board.models] == [(None, None, 1)] * len(board.models)
    assert board.samples is not None and board.samples.shape == (40, len(board.models))
    np.testing.assert_allclose(board.samples, [[row["rating"] for row in board.models]] * 40, rtol=0, atol=1e-9)
    assert board.meta["replicates_regularised"] == (40 if case == "no finite ratings" else 0)
    assert board.meta["regularization_automatic"] is (case == "no finite ratings")
    if case == "position effect":
        effect = board.meta["position_effect"]
        assert effect["lower"] < effect["log_odds"] < effect["upper"] and "model-based interval" in effect["note"]


@pytest.mark.parametrize("separated", [False, True])
def test_style_controlled_ratings_of_one_question_draw_and_fit_no_bootstrap(monkeypatch, separated):
    """Style control's question bootstrap of one question (as plain Bradley-Terry's above) was drawn and fitted,
    round by round, and its intervals thrown away. Now nothing is drawn or fitted (the functions that would are
    made to fail here), and the board is what the bootstrap gave, compared with the code before: no intervals,
    every replicate at the point ratings, and the replicates without finite maximum-likelihood ratings counted
    (all of them where a won every game, with the ridge). The style coefficients' and P(win)'s bounds, which sat
    at their estimates ("P(win) 53.9% [53.9%, 53.9%]" beside "there are no intervals"), are null, as the
    ratings' are."""
    from judgebench.ratings import style

    rng = np.random.default_rng(7)
    rows = []
    for _ in range(40):
        a, b = rng.choice(["a", "b", "c", "d"], 2, replace=False)
        score = float(a == "a") if separated and "a" in (a, b) else float(rng.integers(0, 3)) / 2
        rows.append({"question_id": "q0", "model_a": a, "model_b": b, "score_a": score,
                     **{f"{name}_{side}": int(rng.integers(0, top)) for name, top in
                        (("tokens", 900), ("headers", 4), ("lists", 3), ("bold", 5)) for side in "ab"}})

    def entered(*args, **kwargs):
        raise AssertionError("a bootstrap of one question was drawn or fitted")

    for module, name in ((iv, "question_weights"), (iv, "question_separation"), (style, "fit_replicates")):
        monkeypatch.setattr(module, name, entered)
    board = leaderboard.build(pd.DataFrame(rows), style_control=True, rounds=40)

    assert [(row["lower"], row["upper"], row["rank"]) for row in board.models] == [(None, None, 1)] * 4
    assert board.samples is not None and board.samples.shape == (40, 4)
    np.testing.assert_allclose(board.samples, [[row["rating"] for row in board.models]] * 40, rtol=0, atol=1e-9)
    for coefficient in board.meta["style_coefficients"].values():
        assert coefficient["lower"] is None and coefficient["upper"] is None and np.isfinite(coefficient["coefficient"])
    assert [(row["win_probability_lower"], row["win_probability_upper"]) for row in board.models] == [(None, None)] * 4
    assert "interval" not in board.meta["win_probability_label"]
    assert board.meta["replicates_regularised"] == (40 if separated else 0)
    assert board.meta["regularization_automatic"] is separated


def test_win_rates_of_one_question_are_not_called_far_too_narrow():
    """Win rates of one question: each model's one score against the baseline gets Wilson's interval (and a
    warning that says so), but a second warning called them "far too narrow", of a question bootstrap."""
    rows = [{"question_id": "q0", "model_a": "A", "model_b": "B", "score_a": 1.0},
            {"question_id": "q0", "model_a": "C", "model_b": "B", "score_a": 1.0},
            {"question_id": "q0", "model_a": "A", "model_b": "C", "score_a": 0.5}]
    board = leaderboard.build(pd.DataFrame(rows), method="winrate", baseline="B", rounds=50)
    assert not [text for text in board.meta["warnings"] if "far too narrow" in text], board.meta["warnings"]
    assert all(row["upper"] - row["lower"] > 0.5 for row in board.models if row["model"] != "B")  # Wilson's


def test_rating_outcomes_with_a_model_against_itself_says_they_were_left_out():
    """A file with such a row is refused; the same rows given to rate() were dropped without a word."""
    import judgebench

    rows = [{"question_id": f"q{k}", "model_a": "a", "model_b": "b", "score_a": float(k % 2)} for k in range(6)]
    board = judgebench.rate(pd.DataFrame(rows + [{"question_id": "q9", "model_a": "a", "model_b": "a",
                                                  "score_a": 0.5}]))
    assert board.meta["self_pairs_dropped"] == 1 and board.meta["n_questions"] == 6
    assert any(text.startswith("1 outcome of a model against itself left out") for text in board.meta["warnings"])


def test_outcomes_given_twice_are_refused_not_cut_to_the_last_file(tmp_path):
    """`--outcomes a.csv --outcomes b.csv` rated b.csv alone, without a word."""
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("question_id,model_a,model_b,winner\nq1,x,y,model_a\nq2,x,y,model_b\n")
    done = judgebench("leaderboard", "--outcomes", "a.csv", "--outcomes", "b.csv", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == ("error: --outcomes takes one file (2 given): put the outcomes into one file "
                                   "(question ids shared by the files then name the same questions)")


def test_an_out_directory_named_like_a_file_is_refused_before_rating(tmp_path):
    """`--out board.csv` made a folder named board.csv holding leaderboard.csv."""
    (tmp_path / "o.csv").write_text("question_id,model_a,model_b,winner\nq1,x,y,model_a\nq2,x,y,model_b\n")
    done = judgebench("leaderboard", "--outcomes", "o.csv", "--out", "board.csv", cwd=tmp_path)
    assert done.returncode == 2 and not (tmp_path / "board.csv").exists()
    assert done.stderr.strip() == ("error: the output directory board.csv names a file, and a directory is needed "
                                   "(the files are written into it): choose a directory path, such as board")


def test_a_directory_named_like_a_file_is_made_where_the_user_named_it_a_directory(tmp_path):
    """`report --out site.html/` asks for a directory of that name (report_path), which is made."""
    from judgebench.outputs import prepare_directory

    with pytest.raises(ConfigError, match="names a file, and a directory is needed"):
        prepare_directory(tmp_path / "site.html")
    assert prepare_directory(tmp_path / "site.html", named_like_a_file=True).is_dir()


@pytest.mark.parametrize(("flags", "says", "not_says", "label"), [
    ((), "the bootstrap resamples rows", "sandwich",
     "95% percentile interval, bootstrap over rows (the outcomes give no question ids) (20 rounds, seed 0)"),
    (("--interval", "sandwich"), "the sandwich covariance is clustered by row", "bootstrap",
     "sandwich covariance clustered by rows (the outcomes give no question ids)"),
    (("--resample", "judgments"), "the intervals resample single judgments", "bootstrap resamples rows",
     "95% percentile interval, bootstrap over single judgments"),
], ids=["bootstrap", "sandwich", "judgments"])
def test_rows_taken_as_questions_are_warned_of_in_the_words_of_the_interval_used(shared_data, tmp_path, flags, says,
                                                                                 not_says, label):
    """An outcomes file without question ids rated with sandwich intervals was warned that "the bootstrap
    resamples rows, and its intervals are too narrow", where no bootstrap was drawn; the table's footer (the meta's
    interval label) said "bootstrap over questions" beside the warning that rows were resampled."""
    done = run_cli("--outcomes", str(shared_data / "ratings" / "food.csv"), "--rounds", "20", *flags,
                   "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "leaderboard.json").read_text())["meta"]
    (warning,) = [w for w in meta["warnings"] if "each row is its own question" in w]
    assert says in warning and not_says not in warning and warning in " ".join(done.stderr.split())
    assert label in meta["interval_label"] and "questions" not in meta["interval_label"].replace("question ids", "")
    assert label in " ".join(done.stdout.split())


def test_a_model_absent_from_replicates_of_rows_is_said_to_miss_outcomes_not_questions(tmp_path):
    """Without question ids (evalica's layout) the bootstrap draws rows: few, in 3 of 93 rows, has none of them in
    about e^-3 = 5% of the replicates. The warning said "(none of the questions it was judged on was drawn)" and
    asked for "more questions", beside the label "bootstrap over rows"."""
    rows = [{"left": model, "right": "base", "winner": "left" if (q + shift) % 3 else "right"}
            for q in range(30) for model, shift in [("a", 0), ("b", 1), ("c", 2)]]
    rows += [{"left": "few", "right": "base", "winner": winner} for winner in ("right", "left", "left")]
    path = tmp_path / "outcomes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    done = run_cli("--outcomes", str(path), "--baseline", "base", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]
    (text,) = [w for w in meta["warnings"] if "maximum-likelihood" in w]
    assert "few had no game in" in text and "(none of its outcomes was drawn)" in text
    assert "more outcomes, or opponents" in text and "question" not in text
    assert "bootstrap over rows (the outcomes give no question ids)" in meta["interval_label"]

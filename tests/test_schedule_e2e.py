"""`judgebench run --pairs adaptive|tournament` end to end: the real CLI in a subprocess, the scripted
OpenAI-compatible judge server on 127.0.0.1 (the answer with the higher planted QUALITY wins), a real store.

What is checked comes from the test data and the settings, not from the planner's code: the budget in judge
calls the server really answered, a continuation that sends only new games and replays the same plan, the
ranking the planted qualities imply, and a tournament's cost of (models - 1) pairs per question.
"""

from __future__ import annotations

import json
import random
import re
import signal
import sqlite3
import subprocess
import time
from html import unescape
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.support.cli_runs import judgebench, leaderboard, write_config, write_data
from tests.support.judge_server import constant_rule
from tests.support.processes import start_cli
from tests.support.signals import signal_at
from tests.support.stores import ok_keys, ok_rows

pytestmark = pytest.mark.integration

QUALITIES = {"m1": 9, "m2": 7, "m3": 5, "m4": 3, "m5": 1}
N_QUESTIONS = 12
# Judge calls of all pairs: C(5, 2) pairs on every question, in both orders.
ALL_PAIRS_CALLS = 2 * N_QUESTIONS * len(QUALITIES) * (len(QUALITIES) - 1) // 2


def adaptive_config(folder: Path, base_url: str, **judging: object) -> Path:
    config = write_config(folder, base_url, **judging)
    write_data(folder, QUALITIES, N_QUESTIONS)  # five models of distinct quality instead of the default four
    config.write_text(config.read_text().replace('baseline = "base"\n', "")  # not one of these models
                      .replace("rounds = 200\n", ""))  # a plan's sandwich draws none (and notes them unused)
    return config


def plan_lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "out" / "plan.jsonl").read_text().splitlines()]


def said(run) -> str:
    """The command's standard output with rich's line wrapping undone."""
    return " ".join(run.stdout.split())


def sent(server) -> int:
    return sum(server.answered().values())


# The judge's prices in these tests: $100 per million prompt tokens, and completion tokens free (0, set: a price
# left out is refused; the scripted server's replies are about 5 tokens), so a game of ~335 prompt tokens costs
# ~$0.03.
PRICE_IN_PER_MTOK = 100.0


def priced(config: Path) -> None:
    """Give the config's judge the test prices (PRICE_IN_PER_MTOK, completion tokens free)."""
    config.write_text(config.read_text().replace("[judge]\n", f"[judge]\nprice_in_per_mtok = {PRICE_IN_PER_MTOK}\n"
                                                               "price_out_per_mtok = 0\n"))


def dollars(entries) -> float:
    """What the scripted server's log `entries` cost at PRICE_IN_PER_MTOK (prompt tokens only)."""
    return sum(entry.prompt_tokens for entry in entries) * PRICE_IN_PER_MTOK / 1e6


def plain_fit(results: Path, with_intervals: bool = False) -> Any:
    """The uncorrected Bradley-Terry ratings of a results folder's judgments (both orders, ties half), fitted
    here apart from the run's settings and plan (`with_intervals`: the leaderboard's rows, intervals included)."""
    from judgebench.leaderboard import build
    from judgebench.verdicts import combine

    rows = [json.loads(line) for line in (results / "judgments.jsonl").read_text().splitlines()]
    games = pd.DataFrame([row for row in rows if row["status"] == "ok"])
    outcomes = combine(games[["question_id", "first", "second", "p_first", "weight"]], swap="both").outcomes
    fitted = build(outcomes, interval="sandwich").models
    return fitted if with_intervals else {row["model"]: row["rating"] for row in fitted}


def test_adaptive_run_keeps_its_budget_and_continues_from_the_store(judge_server, tmp_path):
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_upset_answers(tmp_path)
    first = judgebench("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert sent(judge_server) == 60  # 30 pairs, both orders each
    assert "adaptive: 3 rounds, 60 judge calls" in said(first)
    assert "stopped: budget of judge calls reached (--budget-calls)" in said(first)
    assert "ratings corrected for the plan's bias (up to " in said(first) and "20 replays of the plan" in said(first)
    plan = plan_lines(tmp_path)
    assert len(plan) == 30 and {row["round"] for row in plan} == {1, 2, 3}
    assert len({(r["question_id"], r["model_a"], r["model_b"]) for r in plan}) == 30  # no game twice
    board = leaderboard(tmp_path)
    assert [m["model"] for m in board["models"]] == list(QUALITIES)  # best quality first
    assert board["meta"]["adaptive"]["calls"] == 60 and board["meta"]["adaptive"]["calls_all_pairs"] == ALL_PAIRS_CALLS
    assert board["meta"]["adaptive"]["stopped_by"] == "budget_calls"
    # P(win) against the average model is the corrected ratings' (ties half): the two never disagree. The Elo
    # scale's definition: a gap of D points is odds of 10^(D/400), so P = 1 / (1 + 10^(-D/400))
    mean = sum(m["rating"] for m in board["models"]) / len(board["models"])
    for m in board["models"]:
        assert m["win_probability"] == pytest.approx(1 / (1 + 10 ** (-(m["rating"] - mean) / 400)), abs=1e-4)
    assert board["meta"]["interval"] == "sandwich"  # the default of runs in rounds (README, "Honest intervals")
    # the ratings are the plain fit's minus the design bias that replays of the plan measured (README, "Honest
    # intervals"): the plain fit here is the judgments' own maximum-likelihood Bradley-Terry fit
    bias = board["meta"]["adaptive"]["design_bias"]
    assert bias["replays"] == 20 and set(bias["elo"]) == set(QUALITIES)
    plain = plain_fit(tmp_path / "out")
    centre = sum(bias["elo"].values()) / len(bias["elo"])
    for row in board["models"]:
        assert row["rating"] == pytest.approx(plain[row["model"]] - (bias["elo"][row["model"]] - centre), abs=0.05)
    # the report refits the run's judgments with the run's settings, its correction included
    shown = judgebench("report", "--results", "out", "--out", "report/index.html", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    rows = re.findall(r'<tr class="model-row"><td class="model" data-value="([^"]+)">.*?<td class="num" '
                      r'data-value="[^"]*">.*?<td class="num" data-value="([^"]+)">',
                      (tmp_path / "report" / "index.html").read_text())
    assert {model: float(rating) for model, rating in rows} == pytest.approx(
        {row["model"]: row["rating"] for row in board["models"]}, abs=0.05)
    # the three rounds are one run of the store, with the whole plan's counts
    [run] = board["meta"]["runs"]
    assert run["status"] == "finished" and run["sent"] == 60
    assert run["cost"] is None and board["meta"]["cost_usd"] is None  # no prices: unknown, not $0

    more = judgebench("run", "--config", str(config), "--budget-calls", "100", "--round-games", "20", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert sent(judge_server) == 100  # the first 60 came from the store
    assert max(judge_server.answered().values()) == 1  # no game was asked twice
    assert plan_lines(tmp_path)[:30] == plan  # same seed and store: the same first rounds
    assert "40 judge calls sent now" in said(more)
    runs = leaderboard(tmp_path)["meta"]["runs"]  # the first command's run and this one
    assert [run["sent"] for run in runs] == [60, 40] and len({run["id"] for run in runs}) == 2


def write_noisy_answers(folder: Path, n: int) -> None:
    """Answers whose planted QUALITY varies by question around QUALITIES (seeded), so that every model loses
    some comparisons to a worse one and the maximum-likelihood ratings exist."""
    write_data(folder, QUALITIES, n)
    rng = random.Random(3)
    rows = [{"question_id": f"q{i:02d}", "model": model, "turns": [f"A {i}. QUALITY={q + rng.gauss(0, 1.2):.3f}"]}
            for i in range(n) for model, q in QUALITIES.items()]
    (folder / "answers.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))


def write_upset_answers(folder: Path) -> None:
    """Answers of QUALITIES whose order is reversed on every fourth question, so that within a few rounds every
    model has lost to a worse one and the maximum-likelihood ratings exist (a plan whose ratings do not exist is
    not corrected for its bias), while the planted order still wins three questions in four."""
    rows = [{"question_id": f"q{i:02d}", "model": model, "turns": [f"A {i}. QUALITY={-q if i % 4 == 0 else q}"]}
            for i in range(N_QUESTIONS) for model, q in QUALITIES.items()]
    (folder / "answers.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_adaptive_run_stops_when_the_ranking_is_separated(judge_server, tmp_path):
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_noisy_answers(tmp_path, 40)
    run = judgebench("run", "--config", str(config), "--stop", "separated", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "stopped: precision target reached (--stop separated)" in said(run)
    board = leaderboard(tmp_path)
    adaptive = board["meta"]["adaptive"]
    assert adaptive["precision"]["adjacent_separated"] == len(QUALITIES) - 1 and adaptive["ratings_exist"]
    assert not board["meta"]["regularization_automatic"]
    assert sent(judge_server) == adaptive["calls"] < adaptive["calls_all_pairs"]


def test_a_width_stop_names_the_leaderboards_widest_interval_beside_the_one_it_judged(judge_server, tmp_path):
    """A user's audit: `--stop width=300` stopped at a standing whose widest interval was 286 Elo, and the
    leaderboard then showed one 442 wide (corrected, and relative to the baseline the table is anchored at, not to
    the average model), the summary naming only the 286. It names both, and which one the rule judged, in the
    run's summary and in leaderboard.md's Plan line."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_noisy_answers(tmp_path, 40)
    run = judgebench("run", "--config", str(config), "--stop", "width=400", "--round-games", "20", "--baseline", "m5",
                     cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    board = leaderboard(tmp_path)
    adaptive = board["meta"]["adaptive"]
    assert adaptive["stopped_by"] == "stop=width=400" and adaptive["design_bias"] is not None, said(run)
    standing = adaptive["precision"]["widest_interval"]
    shown = max(row["upper"] - row["lower"] for row in board["models"])
    assert standing < 400 < shown  # the case of the audit: the table is wider than the target reached
    told = (f"stopped: precision target reached (--stop width=400); the plan's last standing (what --stop judges: "
            f"relative to the average model, uncorrected): widest interval {standing:.0f} Elo, ")
    widest = (f"adjacent pairs separated; the leaderboard's widest interval (corrected for the plan's bias, "
              f"relative to m5): {shown:.0f} Elo")
    assert told in said(run) and widest in said(run), said(run)
    markdown = " ".join((tmp_path / "out" / "leaderboard.md").read_text().split())
    assert widest in markdown.replace("\\", ""), markdown


def test_a_stopping_rule_is_not_reached_while_the_ratings_do_not_exist(judge_server, tmp_path):
    """The planted qualities never lose: every model beats every worse one, so the maximum-likelihood ratings
    never exist and the weak ridge's intervals (which soon look separated) are no reason to stop: the plan goes
    on to all pairs and says why the target was not reached."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    run = judgebench("run", "--config", str(config), "--stop", "separated", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (f"--stop separated without a budget: the run may judge every pair ({ALL_PAIRS_CALLS} calls)"
            in " ".join(run.stderr.split()))
    assert ("stopped: all pairs judged; --stop separated not reached: maximum-likelihood ratings do not exist yet "
            "(some model won or lost every comparison)") in said(run)
    board = leaderboard(tmp_path)
    adaptive = board["meta"]["adaptive"]
    assert adaptive["ratings_exist"] is False and adaptive["stop"] == "separated"
    assert sent(judge_server) == adaptive["calls"] == ALL_PAIRS_CALLS
    # every pair judged: nothing to correct, the same numbers as all pairs on the same judgments
    assert "ratings not corrected: every pair was judged" in said(run) and adaptive["design_bias"] is None
    every = judgebench("run", "--config", str(config), "--pairs", "all", "--interval", "sandwich", "--out", "all",
                       cwd=tmp_path)
    assert every.returncode == 0, every.stderr
    assert sent(judge_server) == ALL_PAIRS_CALLS  # all from the store
    complete = json.loads((tmp_path / "all" / "leaderboard.json").read_text())["models"]
    assert [[row[k] for k in ("model", "rating", "lower", "upper")] for row in complete] == [
        [row[k] for k in ("model", "rating", "lower", "upper")] for row in board["models"]]


def test_tournament_costs_models_minus_one_pairs_per_question(judge_server, tmp_path):
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="tournament")
    run = judgebench("run", "--config", str(config), "--interval", "bootstrap", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert leaderboard(tmp_path)["meta"]["interval"] == "bootstrap"  # an interval set is kept
    calls = N_QUESTIONS * (len(QUALITIES) - 1) * 2
    assert sent(judge_server) == calls
    assert "stopped: tournament complete" in said(run)
    board = leaderboard(tmp_path)
    assert board["models"][0]["model"] == "m1" and board["models"][0]["n_losses"] == 0
    assert board["meta"]["adaptive"]["calls_all_pairs"] == N_QUESTIONS * 10 * 2
    # 5 models: a bracket of 3 rounds (one match and three byes, two matches, the final), judged in batches of
    # games (the planner's steps, which the summary called rounds)
    batches = board["meta"]["adaptive"]["rounds"]
    assert board["meta"]["adaptive"]["bracket_rounds"] == 3 and batches >= 3
    assert f"tournament: 3 bracket rounds per question, judged in {batches} batches, {calls} judge calls" in said(run)
    assert f"Plan: tournament: 3 bracket rounds per question, judged in {batches} batches" in (
        tmp_path / "out" / "leaderboard.md").read_text()
    assert max(row["round"] for row in plan_lines(tmp_path)) == batches


def test_adaptive_without_an_end_is_a_usage_error(judge_server, tmp_path):
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    run = judgebench("run", "--config", str(config), cwd=tmp_path)
    assert run.returncode == 2 and "needs a budget or a precision target" in run.stderr
    bad = judgebench("run", "--config", str(config), "--stop", "narrow", cwd=tmp_path)
    assert bad.returncode == 2 and "width=W" in bad.stderr
    assert sent(judge_server) == 0


def test_asking_again_for_refused_games_is_refused_where_every_failed_game_is_asked_again(judge_server, tmp_path):
    """--retry-refused changes a plan chosen as it goes only: pairs that plan every game up front ask again for
    every failed game, so it would be ignored."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="all")
    run = judgebench("run", "--config", str(config), "--retry-refused", cwd=tmp_path)
    assert run.returncode == 2 and "pairs = all asks again for every game that failed, those the judge refused as " \
        "sent included, so it would be ignored" in " ".join(run.stderr.split()), run.stderr
    assert not judge_server.log


@pytest.mark.parametrize("pairs", ["adaptive", "tournament", "all"])
def test_answers_of_one_model_are_refused_before_any_judge_call(judge_server, tmp_path, pairs):
    """An adaptive plan of one model failed in its first round with an internal error (exit 70); the other
    pairings started, judged nothing and said so."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs=pairs)
    budget = ["--budget-calls", "40"] if pairs != "all" else []
    run = judgebench("run", "--config", str(config), "--model", "m1", *budget, cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "nothing to compare: the answers give one model to judge (--model chose only m1)" in " ".join(
        run.stderr.split()) and "Traceback" not in run.stderr
    assert sent(judge_server) == 0


def test_a_budget_that_buys_one_pair_gives_ratings_not_an_error_after_paying(judge_server, tmp_path):
    """A budget of 2 calls judges one pair on one question: the run's sandwich interval needs two questions, so
    the run paid for the pair, wrote no results and exited 2 (the code of bad input caught before judging)."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    run = judgebench("run", "--config", str(config), "--budget-calls", "2", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    board = leaderboard(tmp_path)
    assert board["meta"]["interval"] == "bootstrap" and sent(judge_server) == 2
    assert any(warning.startswith("one question judged: an interval clustered by question needs at least two")
               for warning in board["meta"]["warnings"])
    # the correction is not estimated before every model has been compared (it said the fit was not plain
    # Bradley-Terry, which it is)
    assert board["meta"]["adaptive"]["uncorrected"] == "unrated"
    assert "correcting the ratings" not in run.stderr  # announced, then not done
    assert "ratings not corrected for the plan's bias (it cannot be estimated before the plan has compared every " \
           "model)" in said(run)


def test_a_plan_whose_ratings_do_not_exist_yet_is_not_corrected_and_says_its_numbers_are_placeholders(
        judge_server, tmp_path):
    """The planted qualities never lose, so after 20 calls the maximum-likelihood ratings do not exist: the ratings
    and intervals are the weak ridge's. A user's audit (12 models, 64 calls): the run still "corrected" them by up
    to 232 Elo and the Plan line reported a widest interval, as if they were estimates. Now: no correction, its
    reason recorded, and the summary and the Plan line say the numbers are placeholders and what to do."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    run = judgebench("run", "--config", str(config), "--budget-calls", "20", "--round-games", "10", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    adaptive = leaderboard(tmp_path)["meta"]["adaptive"]
    assert adaptive["ratings_exist"] is False and adaptive["calls"] == 20
    assert adaptive["design_bias"] is None and adaptive["uncorrected"] == "no_ratings"
    assert "correcting the ratings" not in run.stderr
    placeholders = ("maximum-likelihood ratings do not exist yet (some model won or lost every comparison): the weak "
                    "ridge alone sets how far apart the models that never lost and those that never won stand, so "
                    "the ratings and intervals are its placeholders, not estimates; a larger budget (--budget-calls) "
                    "goes on comparing the models until they exist; ratings not corrected for the plan's bias (while "
                    "the maximum-likelihood ratings do not exist, replays of the plan would measure the weak ridge)")
    plan_line = " ".join((tmp_path / "out" / "leaderboard.md").read_text().split())
    for shown in (said(run), plan_line):
        assert placeholders in shown and "widest interval" not in shown and "bias (up to" not in shown


@pytest.mark.parametrize("strategy", ["adaptive", "tournament"])
def test_a_budget_too_small_to_compare_every_model_says_so_and_names_the_models_left_out(judge_server, tmp_path,
                                                                                          strategy):
    """The first round compares every model (an adaptive plan's cycle through the five: 4 pairs, 8 calls, before its
    closing pair; a tournament's first bracket matches); a budget of 5 calls buys 2 pairs, both orders each. A
    user's audit (12 models, --budget-calls 10): a 6-model leaderboard without a word of the other 6, and an odd
    budget's last call dropped silently. Both are said before judging, and the leaderboard names the models."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs=strategy)
    run = judgebench("run", "--config", str(config), "--budget-calls", "5", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sent(judge_server) == 4
    notes = " ".join(run.stderr.split())
    assert ("note: --budget-calls 5 is odd, and both orders of a pair are judged together, so its last call is not "
            "used: the plan makes at most 4 calls") in notes
    needed = re.search(r"note: --budget-calls 5 cannot compare every model: the first (round|batch) compares all 5 "
                       r"models in (\d+) calls, and a model left out has no rating and is not on the leaderboard; a "
                       r"budget of \2 calls or more compares every model", notes)
    assert needed is not None, notes
    assert notes.index("cannot compare every model") < notes.index("no outcome in this plan")  # before judging
    board = leaderboard(tmp_path)
    missing = sorted(set(QUALITIES) - {row["model"] for row in board["models"]})
    assert len(missing) in (1, 2)  # two pairs bring in three or four models
    (warning,) = [text for text in board["meta"]["warnings"] if "no outcome in this plan" in text]
    said = (f"1 of the 5 models has no outcome in this plan ({missing[0]}): the budget ended before it was compared, "
            "so it has no rating and is not on this leaderboard" if len(missing) == 1 else
            f"2 of the 5 models have no outcome in this plan ({', '.join(missing)}): the budget ended before they were "
            "compared, so they have no rating and are not on this leaderboard")  # (review: "1 ... have ... they")
    assert warning == f"{said}; a budget of {needed[2]} calls or more compares every model"
    assert f"warning: {warning}" in notes
    assert f"Warning: {warning}." in (tmp_path / "out" / "leaderboard.md").read_text()
    # rated again, the folder's leaderboard lacks the same models: it says so (review: the refit said nothing)
    refit = judgebench("leaderboard", "--results", "out", "--out", "refit", cwd=tmp_path)
    assert refit.returncode == 0, refit.stderr
    assert warning in json.loads((tmp_path / "refit" / "leaderboard.json").read_text())["meta"]["warnings"]
    stored = judgebench("leaderboard", "--store", "store.sqlite", "--out", "stored", cwd=tmp_path)  # its plan's too
    assert stored.returncode == 0, stored.stderr
    assert warning in json.loads((tmp_path / "stored" / "leaderboard.json").read_text())["meta"]["warnings"]
    enough = judgebench("run", "--config", str(config), "--budget-calls", needed[2], cwd=tmp_path)
    assert enough.returncode == 0 and "cannot compare every model" not in enough.stderr
    assert {row["model"] for row in leaderboard(tmp_path)["models"]} == set(QUALITIES)


@pytest.mark.parametrize("strategy", ["adaptive", "tournament"])
def test_a_round_cut_by_the_budget_is_completed_not_replanned_by_a_larger_budget(judge_server, tmp_path, strategy):
    """A budget of 50 calls cuts the third round of 20 to 10 calls; with a budget of 90 the rerun judges that
    round whole, its first 10 calls from the store: nothing judged before is asked again or left unused."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs=strategy)
    first = judgebench("run", "--config", str(config), "--budget-calls", "50", "--round-games", "20", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert sent(judge_server) == 50
    plan = plan_lines(tmp_path)
    assert [sum(row["round"] == r for row in plan) for r in (1, 2, 3)] == [10, 10, 5]
    more = judgebench("run", "--config", str(config), "--budget-calls", "90", "--round-games", "20", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert sent(judge_server) == 90 and max(judge_server.answered().values()) == 1
    assert "50 already in the store" in said(more) and "40 judge calls sent now" in said(more)
    longer = plan_lines(tmp_path)
    assert longer[:25] == plan and [row["round"] for row in longer[25:30]] == [3] * 5
    assert len(ok_rows(tmp_path / "store.sqlite")) == 90  # every stored judgment is in the plan


@pytest.mark.parametrize("strategy", ["adaptive", "tournament"])
def test_a_plan_goes_on_without_the_games_the_judge_refuses_as_sent_and_its_rerun_asks_for_none(judge_server,
                                                                                                tmp_path, strategy):
    """A game the judge refuses for what its request holds (an HTTP 400, as for a prompt over the judge's
    context) fails again however often it is asked: the plan held at its round, and every rerun asked for it
    again and stopped there. Now the plan goes on without it (the game stays failed, never a verdict), says how
    many it left out and the server's message, and the same command replays the same plan from the store without
    asking the judge anything; --retry-refused asks for the refused games again (once the judge takes them)."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs=strategy)
    judge_server.add_fault("400", match=lambda request: "Question number 3?" in request.text)
    command = ("run", "--config", str(config), "--budget-calls", "80", "--round-games", "20")
    first = judgebench(*command, cwd=tmp_path)
    assert first.returncode == 3, first.stderr  # the refused games failed, and the run says so
    refused = judge_server.statuses()[400]
    errors = [row["error"] for row in map(json.loads, (tmp_path / "out" / "judgments.jsonl").read_text().splitlines())
              if row["status"] == "failed"]
    assert refused > 0 and len(errors) == refused  # each asked once, never retried within the run
    assert all(error.endswith("(refused as sent: asking again sends the same request)") for error in errors)
    plan = plan_lines(tmp_path)
    assert len(plan) == 40 and max(row["round"] for row in plan) > 1  # the plan went on to its budget
    assert len(ok_rows(tmp_path / "store.sqlite")) == 80 - refused
    adaptive = leaderboard(tmp_path)["meta"]["adaptive"]
    assert adaptive["stopped_by"] == "budget_calls" and adaptive["games_refused"] == refused
    assert adaptive["refused_because"] == ("HTTP 400 from the judge server: This model's maximum context length is "
                                           "8192 tokens.")
    them = "it" if refused == 1 else "them"
    assert (f"stopped: budget of judge calls reached (--budget-calls); {refused} game{'s' * (refused > 1)} the judge "
            f"refused as sent, left out of the plan (it went on without {them}, and the same command does not ask "
            f"again; --retry-refused does, once the judge takes {them}): HTTP 400 from the judge server: This "
            "model's maximum context length is 8192 tokens;") in said(first)
    told = " ".join(first.stderr.split())
    assert f"the plan goes on without {them}, and a rerun does not ask for {them} again" in told
    assert "use a judge with a longer context and ask again with --retry-refused" in told
    assert "run again to retry them" not in told and "a rerun sends such a request unchanged" not in told

    again = judgebench(*command, cwd=tmp_path)
    assert again.returncode == 3, again.stderr
    assert len(judge_server.log) == 80  # nothing asked: the refused games are not asked again
    assert plan_lines(tmp_path) == plan and leaderboard(tmp_path)["meta"]["adaptive"]["games_refused"] == refused

    judge_server.faults.clear()  # a judge with a longer context now takes them, when asked again
    refused_keys = {entry.key for entry in judge_server.log if entry.status == 400}
    retried = judgebench(*command, "--retry-refused", cwd=tmp_path)
    assert retried.returncode == 0, retried.stderr
    asked = [entry.key for entry in judge_server.log[80:]]
    assert refused_keys <= set(asked) and len(asked) >= refused  # then the plan goes on from their verdicts
    assert not [row for row in map(json.loads, (tmp_path / "out" / "judgments.jsonl").read_text().splitlines())
                if row["status"] == "failed"]
    assert leaderboard(tmp_path)["meta"]["adaptive"]["games_refused"] == 0


def test_the_leaderboard_and_report_of_a_plan_with_refused_games_name_a_rerun_of_the_run(judge_server, tmp_path):
    """`leaderboard --results` and `report --results` of a plan that went on without games the judge refused
    showed the run's summary, "the same command does not ask again; [judging] retry_refused = true does": the
    same command there is the leaderboard, which asks the judge nothing. They name a rerun of the run."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    judge_server.add_fault("400", match=lambda request: "Question number 3?" in request.text)
    first = judgebench("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20", cwd=tmp_path)
    assert first.returncode == 3, first.stderr
    refused = leaderboard(tmp_path)["meta"]["adaptive"]["games_refused"]
    them = "it" if refused == 1 else "them"
    rerun = (f"left out of the plan (it went on without {them}, and a rerun of the run does not ask again; "
             f"judgebench run ... --retry-refused does, once the judge takes {them})")
    board = judgebench("leaderboard", "--results", "out", cwd=tmp_path)
    assert board.returncode == 0, board.stderr
    assert rerun in said(board) and "the same command" not in said(board), board.stdout
    report = judgebench("report", "--results", "out", "--out", "report.html", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    page = " ".join((tmp_path / "report.html").read_text().split())
    assert rerun in page and "the same command does not ask again" not in page


def test_the_report_of_a_plan_without_a_leaderboard_says_of_its_refused_games_what_run_says(judge_server, tmp_path):
    """The report of an adaptive run whose judge gave no verdict, and refused some games as sent, advised for those
    what a plain run's rerun does ("a rerun sends such a request unchanged"): the plan goes on without them, and
    its rerun asks for them only when told to, as `run` says of a plan's refused games (`present.retry_advice`)."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    judge_server.rule = constant_rule("Both answers have merit.")
    judge_server.add_fault("400", match=lambda request: "Question number 3?" in request.text)
    first = judgebench("run", "--config", str(config), "--budget-calls", "40", "--round-games", "20", cwd=tmp_path)
    assert first.returncode == 3, first.stderr  # no verdict at all
    assert (tmp_path / "out" / "plan.jsonl").exists()
    report = judgebench("report", "--results", "out", "--out", "report.html", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    page = " ".join(unescape((tmp_path / "report.html").read_text()).split())
    assert ("for the failed games, the judge refused their requests as sent: the plan goes on without them, and a "
            "rerun does not ask for them again.") in page
    assert "a rerun sends such a request unchanged" not in page


def test_games_refused_again_when_asked_again_stop_the_run_saying_so_not_to_check_the_server(judge_server, tmp_path):
    """--retry-refused with a judge that still refuses the games: the first games sent were all refused again,
    and the engine's early check stopped the run with "answered none of the first 5 games ... Check that
    --base-url is the API root": the server answers, it refuses those requests as sent. It says so now, and
    that a run without --retry-refused goes on without them."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    judge_server.add_fault("400", match=lambda request: re.search(r"Question number [357]\?", request.text))
    command = ("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20")
    first = judgebench(*command, cwd=tmp_path)
    assert first.returncode == 3, first.stderr
    refused = leaderboard(tmp_path)["meta"]["adaptive"]["games_refused"]
    assert refused >= 5
    sent_before = len(judge_server.log)
    retried = judgebench(*command, "--retry-refused", cwd=tmp_path)
    assert retried.returncode == 2, retried.stderr
    assert len(judge_server.log) - sent_before >= 5 and all(entry.status == 400
                                                             for entry in judge_server.log[sent_before:])
    told = " ".join(retried.stderr.split())
    assert re.search(r"the judge refused again each of the first 5 games sent, games it had refused as sent before, "
                     r"with HTTP 400 from the judge server: This model's maximum context length is 8192 tokens: the "
                     r"server answers, but refuses those requests as they are, so the run stopped\. They stay stored, "
                     r"failed; a run without --retry-refused goes on without them\. Most often the prompt is over "
                     r"the judge's context length", told), told
    assert "--base-url" not in told and "answered none" not in told
    again = judgebench(*command, cwd=tmp_path)  # without --retry-refused: the plan as before, nothing asked
    assert again.returncode == 3, again.stderr
    assert leaderboard(tmp_path)["meta"]["adaptive"]["games_refused"] == refused


def test_failed_games_end_an_adaptive_run_at_their_round_and_the_rerun_keeps_its_plan(judge_server, tmp_path):
    """Games that fail (every attempt) in round 2 end the run there (exit 3) instead of choosing round 3 without
    their verdicts: the rerun, which retries them, then chooses round 3 from the same verdicts a run without
    failures had, so no judgment paid for falls out of the plan."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    judge_server.add_fault("500", requests=range(30, 10_000))  # round 1: requests 0-19; round 2 from 20
    first = judgebench("run", "--config", str(config), "--budget-calls", "100", "--round-games", "20", cwd=tmp_path)
    assert first.returncode == 3, first.stderr
    assert "stopped: games of the last round failed (the next round waits for their verdicts: the same " \
           "command retries them" in said(first)
    assert "failed; run again to retry them." in first.stderr  # a 500 passes: a rerun may well get a verdict
    plan = plan_lines(tmp_path)
    assert [row["round"] for row in plan] == [1] * 10 + [2] * 10
    ok_first = len(ok_rows(tmp_path / "store.sqlite"))
    assert 30 <= ok_first < 40  # round 1, and round 2's games answered before the faults began
    # the plan's report (and its correction's replays) rest on every verdict, round 2's answered games included
    widest = max(row["upper"] - row["lower"] for row in plain_fit(tmp_path / "out", with_intervals=True))
    meta = json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]
    assert meta["adaptive"]["precision"]["widest_interval"] == pytest.approx(widest)
    judge_server.reset()
    more = judgebench("run", "--config", str(config), "--budget-calls", "100", "--round-games", "20", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert plan_lines(tmp_path)[:20] == plan  # the same two rounds, then three more
    assert sent(judge_server) == 100 - ok_first  # round 2's failed games once more, then rounds 3 to 5
    assert len(ok_rows(tmp_path / "store.sqlite")) == 100  # every stored judgment is in the plan


def test_games_that_may_pass_still_end_a_plan_at_their_round_beside_games_refused_as_sent(judge_server, tmp_path):
    """Refused games do not end the plan, but failed games a rerun may judge (HTTP 500) still do, beside them:
    the rerun retries those alone, never the refused ones, and goes on from the same rounds."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    refuse = {"match": lambda request: "Question number 3?" in request.text}
    judge_server.add_fault("400", **refuse)
    judge_server.add_fault("500", requests=range(30, 10_000))  # round 1: requests 0-19; round 2 from 20
    first = judgebench("run", "--config", str(config), "--budget-calls", "100", "--round-games", "20", cwd=tmp_path)
    assert first.returncode == 3, first.stderr
    assert "stopped: games of the last round failed" in said(first)
    told = " ".join(first.stderr.split())
    assert "of their requests as sent, and a rerun retries the others: the plan goes on without" in told
    plan = plan_lines(tmp_path)
    assert [row["round"] for row in plan] == [1] * 10 + [2] * 10
    refused = {entry.key for entry in judge_server.log if entry.status == 400}
    assert refused
    judge_server.reset()
    judge_server.add_fault("400", **refuse)
    more = judgebench("run", "--config", str(config), "--budget-calls", "100", "--round-games", "20", cwd=tmp_path)
    assert more.returncode == 3 and "stopped: budget of judge calls reached" in said(more), more.stderr
    assert plan_lines(tmp_path)[:20] == plan and not refused & {entry.key for entry in judge_server.log}


def test_unparsed_games_are_asked_again_before_the_next_round_is_chosen(judge_server, tmp_path):
    """A judge that writes no verdict the first time it sees some games: the run asks them again within their
    round (as a rerun would), so the next round is chosen from the same verdicts a rerun has, and the rerun
    with the same budget sends nothing."""
    from tests.support.judge_server import Reply, quality_rule

    normal = quality_rule()
    judge_server.rule = lambda request: (Reply("I cannot decide.") if request.attempt == 0 and re.search(
        r"Question number [0-5]\?", request.text) else normal(request))
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    first = judgebench("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        assert db.execute("SELECT count(*) FROM judgments WHERE status = 'unparsed'").fetchone()[0] == 0
        reasked = db.execute("SELECT count(*) FROM judgments WHERE attempts = 2").fetchone()[0]
    assert reasked > 0 and sent(judge_server) == 60 + reasked
    # more sent than planned, and why (it said "60 games planned, 0 already in the store, 66 sent now")
    assert "60 games planned, 0 already in the store" in said(first)
    assert f"{60 + reasked} judge calls sent now, {reasked} of the games to send asked again" in said(first)
    plan = plan_lines(tmp_path)
    rerun = judgebench("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert sent(judge_server) == 60 + reasked and plan_lines(tmp_path) == plan


def test_the_baseline_anchors_an_adaptive_run_and_an_unknown_one_is_refused_before_judging(judge_server, tmp_path):
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    wrong = judgebench("run", "--config", str(config), "--budget-calls", "40", "--baseline", "M3", cwd=tmp_path)
    assert wrong.returncode == 2 and "baseline 'M3' has no answers in the answers given" in wrong.stderr
    assert "did you mean 'm3'?" in wrong.stderr  # the name in another case
    assert "Traceback" not in wrong.stderr and sent(judge_server) == 0
    run = judgebench("run", "--config", str(config), "--budget-calls", "40", "--baseline", "m3", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    board = leaderboard(tmp_path)
    assert board["meta"]["anchor"] == "m3" and board["meta"]["baseline"] is None  # no win-rate-vs-baseline columns
    assert {m["model"]: m["rating"] for m in board["models"]}["m3"] == pytest.approx(1000.0)
    # the store's judgments rated against m3 as the run rated them (they showed "win rate vs baseline 100.0%" of a
    # model that met m3 on 2 questions): the plan is found, m3 only anchors, and the warning says why
    again = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", "m3", "--out", "again", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    meta = json.loads((tmp_path / "again" / "leaderboard.json").read_text())["meta"]
    assert meta["adaptive"]["strategy"] == "adaptive" and (meta["anchor"], meta["baseline"]) == ("m3", None)
    assert "warning: no win rates against the baseline m3: the adaptive plan that chose these judgments" in " ".join(
        again.stderr.split())
    refused = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", "m3", "--method", "winrate",
                         cwd=tmp_path)
    assert refused.returncode == 2 and "--method winrate rates every model by its games against" in refused.stderr


@pytest.mark.parametrize("strategy", ["adaptive", "tournament"])
def test_a_budget_that_never_reaches_the_baseline_rates_the_models_it_compared_and_says_why(judge_server, tmp_path,
                                                                                           strategy):
    """A budget of 4 calls compares 2 pairs, leaving a model without an outcome; made the baseline, it anchored the
    ratings, and a user's audit (8 models, --budget-calls 9) ended in "anchor 'm00' does not appear in the outcomes",
    exit 2, after paying, with nothing written. Now the ratings are centred on the average model, a warning says
    why, and the store and the folder rated against that baseline (command line, report, Python) say the same."""
    from judgebench import rate
    from judgebench.config import load_config

    probe = tmp_path / "probe"  # the plan does not depend on the baseline: which model it leaves out
    probe.mkdir()
    config = adaptive_config(probe, judge_server.base_url, pairs=strategy, budget_calls=4)
    assert judgebench("run", "--config", str(config), cwd=probe).returncode == 0
    compared = {row["model"] for row in leaderboard(probe)["models"]}
    baseline = sorted(set(QUALITIES) - compared)[0]
    config = adaptive_config(tmp_path, judge_server.base_url, pairs=strategy, baseline=baseline, budget_calls=4)
    run = judgebench("run", "--config", str(config), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sent(judge_server) == 8
    board = leaderboard(tmp_path)
    assert {row["model"] for row in board["models"]} == compared
    assert (board["meta"]["anchor"], board["meta"]["baseline"]) == (None, None)
    assert "centred so that the average model is at 1000" in board["meta"]["rating_label"]
    why = (f"has no outcome in the {strategy} plan that chose these judgments (it was never compared), so")
    centred = "it does not anchor the ratings: they are centred so that the average model is at 1000 instead"
    assert f"{baseline} {why} {centred}" in board["meta"]["warnings"]
    assert f"warning: {baseline} {why} {centred}" in " ".join(run.stderr.split())
    as_baseline = f"the baseline {baseline} {why} there are no win rates against it and {centred}"
    for command, out in ((["leaderboard", "--store", "store.sqlite"], ["--out", "stored"]),
                         (["leaderboard", "--results", "out"], ["--out", "refit"]),
                         (["report", "--store", "store.sqlite"], ["--out", "report.html"])):
        again = judgebench(*command, "--baseline", baseline, *out, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert f"warning: {as_baseline}" in " ".join(again.stderr.split()), command
    stored = json.loads((tmp_path / "stored" / "leaderboard.json").read_text())
    assert {row["model"] for row in stored["models"]} == compared and stored["meta"]["anchor"] is None
    refused = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", baseline, "--method", "winrate",
                         cwd=tmp_path)
    assert refused.returncode == 2 and f"but the baseline {baseline} {why.removesuffix(', so')}: use --method bt" \
        in " ".join(refused.stderr.split())
    rated = rate(tmp_path / "store.sqlite", load_config(config), rounds=50)  # as the run rated them
    assert rated.meta["anchor"] is None and f"{baseline} {why} {centred}" in rated.meta["warnings"]


def test_adaptive_run_keeps_a_dollar_budget(judge_server, tmp_path):
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    # the scripted server counts a token per 4 characters: about 335 prompt tokens, $0.03 a game at this price
    priced(config)
    run = judgebench("run", "--config", str(config), "--budget-usd", "2.0", "--round-games", "10", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    adaptive = leaderboard(tmp_path)["meta"]["adaptive"]
    assert adaptive["stopped_by"] == "budget_usd"
    spent = dollars([entry for entry in judge_server.log if entry.status == 200])
    per_game = spent / sent(judge_server)
    # the first round is one pair, to learn the price; then rounds are cut to what the budget still buys, at the
    # dearest pair's price so far: never more than the budget (these games' prices differ by a few tokens)
    assert 2.0 - 10 * per_game < spent <= 2.0, (spent, per_game)
    [recorded] = leaderboard(tmp_path)["meta"]["runs"]  # with prices, the run's cost is what it spent
    assert recorded["cost"] == pytest.approx(spent)


def test_a_dollar_budget_the_first_pair_exceeds_says_it_was_exceeded_and_why(judge_server, tmp_path):
    """The first pair is sent alone to learn the price per call; at about $0.07 a pair it costs more than a budget of
    $0.05. A user's audit: "stopped: dollar budget reached (--budget-usd); the plan cost $0.0772 of the $0.05
    budget", as if it had been kept."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    priced(config)
    run = judgebench("run", "--config", str(config), "--budget-usd", "0.05", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    spent = dollars([entry for entry in judge_server.log if entry.status == 200])
    assert sent(judge_server) == 2 and spent > 0.05
    adaptive = leaderboard(tmp_path)["meta"]["adaptive"]
    assert adaptive["over_budget"] == "first pair" and adaptive["cost_usd"] == pytest.approx(spent)
    assert (f"stopped: dollar budget exceeded (--budget-usd); the plan cost ${spent:.4f} and exceeded the $0.05 "
            "budget: the first pair, sent to learn the price per call, cost more than the budget") in said(run)


def test_a_budget_that_buys_one_pair_ranks_neither_model_apart_and_gives_no_interval(judge_server, tmp_path):
    """A budget of $0.0001 buys the first pair only: two models judged on one question. A user's audit: ranks 1 and
    2, each with the zero-width interval "1340.0 to 1340.0", as if certain, and "the $0.00 budget". Now neither is
    ranked apart, neither has an interval, a warning says why, and the budget shows as given; rated again alike."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    priced(config)
    run = judgebench("run", "--config", str(config), "--budget-usd", "0.0001", "--progress", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sent(judge_server) == 2
    no_intervals = ("one question judged: an interval clustered by question needs at least two (a bootstrap over one "
                    "question has nothing to resample: its interval would have zero width, a certainty it does not "
                    "measure), so there are no intervals and no model is ranked apart from another")
    for folder in ("out", "refit"):
        if folder == "refit":
            assert judgebench("leaderboard", "--results", "out", "--out", "refit", cwd=tmp_path).returncode == 0
        board = json.loads((tmp_path / folder / "leaderboard.json").read_text())
        assert [(row["rank"], row["lower"], row["upper"]) for row in board["models"]] == [(1, None, None)] * 2
        assert any(warning.startswith(no_intervals) for warning in board["meta"]["warnings"])
        assert board["meta"]["separability"] == 0.0
    rows = [line.split() for line in run.stdout.splitlines() if re.match(r"\s+1\s+m\d\s", line)]
    assert len(rows) == 2 and all(row[3] == "n/a" and row[4] != "to" for row in rows), run.stdout
    assert "exceeded the $0.0001 budget" in said(run) and "$0.00 budget" not in said(run)
    assert "plan $0.0000 of $0.0001" in run.stderr  # the progress line's budget too


def test_a_dollar_budget_counts_every_attempt_of_games_asked_again(judge_server, tmp_path):
    """Unparsed games are asked again within their round; the budget counted each game at its stored cost, which
    is its last attempt's, so the attempts before were paid for and not counted, and the run passed the budget
    (by a third with a quarter of replies empty). Now a round's calls count at what was paid."""
    from tests.support.judge_server import Reply, quality_rule

    normal = quality_rule()
    judge_server.rule = lambda request: (Reply("I cannot decide.") if request.attempt == 0 and re.search(
        r"Question number [0-5]\?", request.text) else normal(request))
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    priced(config)
    run = judgebench("run", "--config", str(config), "--budget-usd", "2.0", "--round-games", "10", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    paid = dollars([entry for entry in judge_server.log if entry.status == 200])
    board = leaderboard(tmp_path)
    assert len(judge_server.log) > len(judge_server.answered())  # some games were asked again
    assert board["meta"]["adaptive"]["cost_usd"] == pytest.approx(paid) and paid <= 2.0
    assert board["meta"]["runs"][0]["cost"] == pytest.approx(paid)
    # the same command again replays the plan from the store: its games' earlier attempts count there too (as the
    # store keeps what every attempt cost), where they were forgotten and the rerun bought more (a user's audit:
    # $3.62 billed on a $3 budget after three runs)
    asked = len(judge_server.log)
    again = judgebench("run", "--config", str(config), "--budget-usd", "2.0", "--round-games", "10", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(judge_server.log) == asked
    assert leaderboard(tmp_path)["meta"]["adaptive"]["cost_usd"] == pytest.approx(paid)


@pytest.mark.parametrize("replies", ["empty some of the time", "a dear attempt before a cheap verdict"])
def test_a_plan_costs_what_the_server_billed_and_a_rerun_that_sends_nothing_says_the_same(judge_server, tmp_path,
                                                                                           replies):
    """The store kept a game's last attempt's cost and the number of attempts, and a rerun that replayed the plan
    priced every attempt at the last one's: with 30% of replies empty the rerun, sending nothing, said "the plan
    cost $0.9848" after a run that said the $0.9260 billed; an attempt that reasoned at length without a verdict
    before a cheap one was undercounted, so a continuation with a larger budget overspent. Now the store keeps
    what every attempt cost, and both runs say what the server billed."""
    from tests.support.judge_server import Reply, quality_rule

    if replies == "empty some of the time":
        judge_server.add_fault("empty", probability=0.3, seed=1)
    else:
        normal = quality_rule()
        judge_server.rule = lambda request: (
            Reply("Weighing both answers at length... " * 40, completion_tokens=300)
            if request.attempt == 0 and re.search(r"Question number [0-5]\?", request.text) else normal(request))
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    config.write_text(config.read_text().replace("[judge]\n", "[judge]\nprice_in_per_mtok = 100.0\n"
                                                               "price_out_per_mtok = 400.0\n"))
    for run in ("paying", "sending nothing"):
        done = judgebench("run", "--config", str(config), "--budget-usd", "1.0", "--round-games", "10", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        answered = [entry for entry in judge_server.log if entry.status == 200]
        billed = sum(entry.prompt_tokens * 100.0 + entry.completion_tokens * 400.0 for entry in answered) / 1e6
        adaptive = leaderboard(tmp_path)["meta"]["adaptive"]
        assert adaptive["cost_usd"] == pytest.approx(billed) and adaptive["calls_cost_estimated"] == 0, run
        assert f"the plan cost ${billed:,.4f} of the $1.00 budget;" in said(done), run
        assert len(judge_server.log) > len(judge_server.answered())  # some games were asked again
        if run == "paying":
            requests = len(judge_server.log)
    assert len(judge_server.log) == requests


def test_a_call_answered_without_token_usage_is_said_to_be_one_priced_at_the_mean(judge_server, tmp_path):
    """A call of this run whose reply gave no token usage, priced at the mean of the others, was called "1 stored
    call without a recorded cost, estimated from token counts at the judge's prices". Now the summary says what
    it is, and meta.adaptive counts it by why."""
    judge_server.add_fault("no_usage", requests=[3])
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    priced(config)
    run = judgebench("run", "--config", str(config), "--budget-usd", "1.0", "--round-games", "10", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    adaptive = leaderboard(tmp_path)["meta"]["adaptive"]
    assert adaptive["calls_cost_estimated"] == 1 and adaptive["calls_cost_estimated_by"] == {"no_usage": 1}
    assert ("of the $1.00 budget (an estimate for 1 call answered without token usage, priced at the mean of the "
            "others)") in said(run)


def test_a_dollar_budget_on_a_server_reporting_no_usage_is_refused_after_the_first_pair(judge_server, tmp_path):
    """A server that reports no token usage: every call cost $0 at the judge's prices, and the budget counted
    nothing, so the whole plan was sent (the helper's trial: 120 calls on a $0.001 budget). Now the run stops
    after the one pair it sends to learn the price, exit 2, with the calls stored for the next run."""
    judge_server.add_fault("no_usage")
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    priced(config)
    run = judgebench("run", "--config", str(config), "--budget-usd", "0.001", "--round-games", "10", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert " ".join(run.stderr.split("\n", 1)[1].split()).startswith(  # after the line of what the run read
        "error: a dollar budget needs to know what the judge's calls cost, and the first 2 cost nothing: the judge's "
        "server reported no token usage"), run.stderr
    assert "--budget-calls N" in run.stderr and "Traceback" not in run.stderr
    assert len(judge_server.log) == 2 and len(ok_keys(tmp_path / "store.sqlite")) == 2


def test_stored_calls_without_a_recorded_cost_count_against_a_dollar_budget(judge_server, tmp_path):
    """40 calls judged before the judge had prices are stored without a cost: the dollar budget counted them as
    free and spent the whole budget on new calls. Now they are priced from their token counts, the plan ends
    within the budget, and the summary and meta.adaptive give the plan cost the budget was compared with."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    first = judgebench("run", "--config", str(config), "--budget-calls", "40", "--round-games", "20", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    priced(config)
    run = judgebench("run", "--config", str(config), "--budget-usd", "2.0", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    answered = [entry for entry in judge_server.log if entry.status == 200]
    plan_cost = dollars(answered)  # both runs' calls, at the prices
    per_call = plan_cost / len(answered)
    assert 2.0 - 20 * per_call < plan_cost <= 2.0, (plan_cost, per_call)
    adaptive = leaderboard(tmp_path)["meta"]["adaptive"]
    assert adaptive["stopped_by"] == "budget_usd" and adaptive["calls_cost_estimated"] == 40
    assert adaptive["cost_usd"] == pytest.approx(plan_cost) and adaptive["budget_usd"] == 2.0
    assert (f"the plan cost ${plan_cost:,.4f} of the $2.00 budget (an estimate for 40 calls judged before the judge "
            "had prices, priced from token counts at the judge's prices)") in said(run)


def test_a_call_shared_by_games_of_two_rounds_is_paid_for_once(judge_server, tmp_path):
    """m1, m2 and m3 give one identical answer to every question: the games of (m1, m2), (m1, m3) and (m2, m3) on a
    question, in both orders, are one request, judged by one call, and the adaptive plan puts them in different
    rounds. Each later round read that call's cost again, so the plan's cost grew faster than what was spent:
    the dollar budget ended the run with $1.54 of its $2 spent, judgments.jsonl summed $1.98 for it, and the
    summary said that games were already in a store that was empty. Now the budget is spent (to within a round
    of 4 games), judgments.jsonl's cost and tokens are what the server answered, each call counted once, and the
    games of a call an earlier round made are counted as judged by the call of another game."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    priced(config)
    answers = tmp_path / "answers.jsonl"
    rows = [json.loads(line) for line in answers.read_text().splitlines()]
    for row in rows:
        if row["model"] in ("m1", "m2", "m3"):
            row["turns"] = [f"One answer to {row['question_id']}. QUALITY=5"]
    answers.write_text("".join(json.dumps(row) + "\n" for row in rows))
    run = judgebench("run", "--config", str(config), "--budget-usd", "2.0", "--round-games", "4", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert leaderboard(tmp_path)["meta"]["adaptive"]["stopped_by"] == "budget_usd"
    answered = [entry for entry in judge_server.log if entry.status == 200]
    spent = dollars(answered)
    lines = [json.loads(line) for line in (tmp_path / "out" / "judgments.jsonl").read_text().splitlines()]
    rounds = {(row["question_id"], frozenset((row["model_a"], row["model_b"]))): row["round"]
              for row in plan_lines(tmp_path)}
    round_of = [rounds[(line["question_id"], frozenset((line["first"], line["second"])))] for line in lines]
    first_round = {line["key"]: min(r for other, r in zip(lines, round_of, strict=True) if other["key"] == line["key"])
                   for line in lines}
    assert any(r > first_round[line["key"]] for line, r in zip(lines, round_of, strict=True))  # an earlier call
    assert sum(line["cost"] for line in lines) == pytest.approx(spent)
    assert sum(line["prompt_tokens"] for line in lines) == sum(entry.prompt_tokens for entry in answered)
    assert len(lines) - sum(line["shared_call"] for line in lines) == len(answered)
    per_call = spent / len(answered)
    assert 2.0 - 4 * per_call < spent <= 2.0 * 1.02, (spent, per_call)  # the budget, as without shared calls
    [recorded] = leaderboard(tmp_path)["meta"]["runs"]
    assert recorded["cost"] == pytest.approx(spent)
    shared = sum(line["shared_call"] for line in lines)
    assert f"{len(lines)} games planned, 0 already in the store (" in said(run)
    assert f"{len(answered)} judge calls sent now, {shared} games judged by the call of another game" in said(run)


def test_progress_callback_shows_round_calls_and_top_models(judge_server, tmp_path):
    from judgebench import evaluate
    from judgebench.config import load_config

    settings = load_config(adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive", budget_calls=60,
                                           round_games=20))
    write_upset_answers(tmp_path)  # ratings that exist, and so a correction
    shown: list[str] = []
    progress: list = []  # the totals each call gave, kept: copies, each with its round's status
    evaluation = evaluate(settings, on_start=lambda tally: shown.append(tally.status), on_progress=progress.append)
    assert shown[0] == "round 1 · 20 calls planned of 60 · top: not yet rated"
    assert shown[2].startswith("round 3 · 60 calls planned of 60 · top: m1, m2, m3")  # rated after round 2
    assert [tally.status for tally in progress if tally.done == 20] == shown  # each round's last
    first_round = [tally.done for tally in progress if tally.status == shown[0]]
    assert first_round == sorted(first_round) and first_round[-1] == 20
    assert evaluation.run.tally.done == 60 and evaluation.run.reused == 0
    # the Python API rates the store as the run did, given the run's settings and its correction
    from judgebench import rate
    from judgebench.leaderboard import DesignBias

    recorded = evaluation.provenance["adaptive"]["design_bias"]
    board = rate(settings.store, settings, design_bias=DesignBias(recorded["elo"], recorded["replays"]))
    assert board.meta["interval"] == "sandwich"
    for field in ("rating", "lower"):
        assert {m["model"]: m[field] for m in board.models} == pytest.approx(
            {m["model"]: m[field] for m in evaluation.leaderboard.models}, abs=0.01)


@pytest.mark.parametrize("stop, said", [
    ("separated", r'\[judging\] stop = "separated": [0-4] of 4 adjacent pairs separated'),
    ("width=50", r'\[judging\] stop = "width=50": widest interval \d+ Elo')])
def test_the_progress_line_says_how_far_the_plan_is_from_its_stopping_rule(judge_server, tmp_path, stop, said):
    """It showed the round, the calls and the top models, and nothing of the stopping rule: a user could not tell
    how far off the stop was (a user's audit)."""
    from judgebench import evaluate
    from judgebench.config import load_config

    settings = load_config(adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive", budget_calls=60,
                                           round_games=20, stop=stop))
    write_upset_answers(tmp_path)  # ratings that exist after round 2
    shown: list[str] = []
    evaluate(settings, on_start=lambda tally: shown.append(tally.status))
    assert " · stop" not in shown[0]  # not yet rated
    assert re.fullmatch(r"round 3 · 60 calls planned of 60 · top: \w+, \w+, \w+ · " + said, shown[2]), shown


def test_adaptive_progress_in_a_log_names_each_round(judge_server, tmp_path):
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_upset_answers(tmp_path)  # ratings that exist, and so a correction to announce
    run = judgebench("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20", "--progress",
                     cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    starts = [line for line in run.stderr.splitlines() if line.startswith("judging ")]
    assert starts[0] == "judging 20 games (round 1 · 20 calls planned of 60 · top: not yet rated)"
    assert [line.split(" · top: ")[0] for line in starts[1:]] == [
        "judging 20 games (round 2 · 40 calls planned of 60", "judging 20 games (round 3 · 60 calls planned of 60"]
    assert starts[2].endswith("top: m1, m2, m3)")  # the planted qualities' order
    assert run.stderr.count("judged 20 of 20 games (100%)") == 3
    lines = run.stderr.splitlines()
    corrected = lines.index("correcting the ratings for the plan's bias: 20 replays of the plan (60 calls each, "
                            "no judge calls)")
    assert corrected > max(k for k, line in enumerate(lines) if line.startswith("judged "))  # after judging


def test_adaptive_progress_shows_the_runs_tokens_and_cost_and_the_budget(judge_server, tmp_path):
    """The progress line showed the current round's tokens and cost: the last line of a run gave a round's
    share of what the run spent, and the dollar budget was not shown. The plan's cost is shown to the hundredth of
    a cent, as the summary shows costs: the first round's two calls showed as "plan $0.00"."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    priced(config)
    run = judgebench("run", "--config", str(config), "--budget-usd", "1.0", "--round-games", "10", "--progress",
                     cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    starts = [line for line in run.stderr.splitlines() if line.startswith("judging ")]
    assert starts[0] == "judging 2 games (round 1 · 2 calls planned · plan $0.0000 of $1.00 · top: not yet rated)"
    answered = [entry for entry in judge_server.log if entry.status == 200]
    assert f"plan ${dollars(answered[:2]):,.4f} of $1.00" in starts[1], starts
    tokens = sum(entry.prompt_tokens + entry.completion_tokens for entry in answered)
    spent = dollars(answered)
    last = [line for line in run.stderr.splitlines() if line.startswith("judged ")][-1]
    assert last.endswith(f" · {tokens:,} tokens · ${spent:,.4f}"), (last, tokens, spent)


def test_ctrl_c_stops_an_adaptive_run_as_one_interrupted_run(judge_server_process, tmp_path):
    server = judge_server_process("--latency-ms", "20")
    config = adaptive_config(tmp_path, server.base_url, pairs="adaptive")
    process = start_cli(["run", "--config", str(config), "--budget-calls", "2000", "--round-games", "20"], tmp_path)
    deadline = time.monotonic() + 120
    while len(ok_rows(tmp_path / "store.sqlite")) < 50 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    summary = " ".join(stdout.split())
    assert "stopped: interrupted (run the same command again to continue)" in summary
    assert "0 already in the store" in summary  # nothing was stored before
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        stored = db.execute("SELECT count(*) FROM judgments").fetchone()[0]
        assert db.execute("SELECT status, sent FROM runs").fetchall() == [("interrupted", stored)]
    # the store's judgments, rated again, say which plan chose them and that their ratings are not corrected
    # (an interrupted run recorded no plan: they were rated as if no plan had chosen them, without a word)
    again = judgebench("leaderboard", "--store", "store.sqlite", "--out", "again", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    adaptive = json.loads((tmp_path / "again" / "leaderboard.json").read_text())["meta"]["adaptive"]
    assert adaptive["stopped_by"] == "interrupted" and adaptive["design_bias"] is None
    assert "ratings not corrected for the plan's bias (the run was interrupted before estimating it)" in said(again)


def test_sigterm_mid_round_counts_the_requests_it_abandoned(judge_server_process, tmp_path):
    """SIGTERM while a round's requests are on the wire (0.2 s an answer, 8 at a time): the stopped message
    counted the games stored and not the requests the server got and the run abandoned."""
    server = judge_server_process("--latency-ms", "200")
    config = adaptive_config(tmp_path, server.base_url, pairs="adaptive")
    process = start_cli(["run", "--config", str(config), "--budget-calls", "200", "--round-games", "40"], tmp_path)
    deadline = time.monotonic() + 60
    while len(server.log()) < 12 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr
    said = re.search(r"stopped: (\d+) of \d+ games sent and stored; (\d+) more requests were abandoned in flight "
                     r"by the stop \(not stored, sent again by the next run, tokens and cost not known\); run the same",
                     " ".join(stderr.split()))
    assert said, stderr
    stored, abandoned = int(said[1]), int(said[2])
    assert stored == len(ok_rows(tmp_path / "store.sqlite")) and abandoned > 0
    assert len(server.log()) <= stored + abandoned  # every request the server got is counted (no retries here)


def _stopped_as_an_interruption(run: subprocess.CompletedProcess[str] | subprocess.Popen[str], stdout: str,
                                stderr: str, signum: signal.Signals, folder: Path, sent_games: int,
                                chosen_games: int | None = None) -> None:
    """The run ended as one stopped while sending: exit 128 + the signal, the message, no results, and one run
    recorded 'interrupted' with the games it sent, of `chosen_games` (the games of the rounds it chose, when a
    round chosen was not sent; else all were)."""
    assert run.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert "stopped: interrupted (run the same command again to continue)" in " ".join(stdout.split())
    assert f"stopped: {sent_games} of {chosen_games or sent_games} games sent and stored" in stderr
    assert not (folder / "out" / "leaderboard.json").exists()
    with sqlite3.connect(folder / "store.sqlite") as db:
        assert db.execute("SELECT status, sent FROM runs").fetchall() == [("interrupted", sent_games)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_while_the_planner_chooses_ends_the_run_as_an_interruption(judge_server, tmp_path, signum):
    """Between rounds the runner's own signal handling is not installed: SIGTERM there had its default action
    (the process ended unannounced, its run left 'running'). Both signals end the run after the two rounds
    judged, and the same command goes on from the store to the end of the plan."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    args = ["run", "--config", str(config), "--budget-calls", "200", "--round-games", "20"]
    # the third call of next_round chooses the third round (one call a round; the replays come after the rounds)
    run = judgebench(*args, cwd=tmp_path, script=signal_at("judgebench.schedule", "Planner", "next_round", signum,
                                                           call=3))
    _stopped_as_an_interruption(run, run.stdout, run.stderr, signum, tmp_path, 40)
    assert sent(judge_server) == 40  # two rounds of 20 games; the third was not chosen
    rerun = judgebench(*args, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert "200 games planned, 40 already in the store" in said(rerun)
    assert set(judge_server.answered().values()) == {1} and sent(judge_server) == 200


def test_a_signal_while_the_first_round_is_chosen_leaves_no_output_folder(judge_server, tmp_path):
    """Stopped before any game was judged (the plan choosing its first round), the run left the output folder it
    had made, empty (review): like a run stopped while its inputs load, it now removes it."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    run = judgebench("run", "--config", str(config), "--budget-calls", "40", cwd=tmp_path,
                     script=signal_at("judgebench.schedule", "Planner", "next_round", signal.SIGTERM))
    assert run.returncode == 143, run.stderr
    assert run.stderr.splitlines()[-1] == "stopped by SIGTERM" and "Traceback" not in run.stderr
    assert sent(judge_server) == 0 and not (tmp_path / "out").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_during_the_design_bias_replays_writes_nothing_and_says_judging_had_ended(judge_server, tmp_path,
                                                                                           signum):
    """The replays after the last round take seconds (here 60 rounds of 4 games: 20 x 60 refits, 3 s on one
    loaded core; up to a minute for large runs) and begin with the line that announces them; the signal is sent
    when that line appears. SIGTERM there had its default action; Ctrl-C left the run recorded 'finished'
    though the command wrote no results. Then (a user's audit) it said "stopped: interrupted (run the same command
    again to continue)" and "stopped: N of N games sent and stored; run the same command again to finish", as if
    judging had been cut short: it says that judging had ended, every game is stored and nothing was written (no
    table goes out uncorrected), and the same command writes the results without a judge call."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_upset_answers(tmp_path)
    budget = ALL_PAIRS_CALLS - 8  # not every pair: a complete design has no bias to correct, so no replays
    args = ["run", "--config", str(config), "--budget-calls", str(budget), "--round-games", "4"]
    run, before = _signalled_while_correcting(args, tmp_path, signum)
    stdout, stderr = run.communicate(timeout=120)
    stderr = " ".join(("".join(before) + stderr).split())
    assert run.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr and "games sent and stored" not in stderr
    assert _stopped_correcting(budget) in stderr, stderr
    summary = " ".join(stdout.split())
    assert f"{budget} judge calls sent now" in summary  # the same count as the message's
    assert "stopped: budget of judge calls reached (--budget-calls)" in summary, summary  # why the plan stopped
    assert not (tmp_path / "out").exists()  # nothing written, not even the folder
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        assert db.execute("SELECT status, sent FROM runs").fetchall() == [("interrupted", budget)]
    assert "(the run was interrupted before estimating it)" in said(
        judgebench("leaderboard", "--store", "store.sqlite", cwd=tmp_path))
    rerun = judgebench(*args, cwd=tmp_path)
    assert rerun.returncode == 0 and "0 judge calls sent now" in said(rerun), rerun.stderr
    assert sent(judge_server) == budget
    assert leaderboard(tmp_path)["meta"]["adaptive"]["design_bias"] is not None  # the results, corrected


def _stopped_correcting(sent_now: int) -> str:
    """What a run stopped while it corrects the ratings says, having sent `sent_now` judge calls."""
    return ("stopped after judging had ended, while the results were computed: every game judged is stored "
            f"({sent_now} judge calls sent now), and no results were written; run the same command again to write "
            "them (it sends no judge calls)")


def test_a_rerun_stopped_while_it_corrects_leaves_the_finished_plan_as_it_was(judge_server, tmp_path):
    """A finished plan run again sends nothing and corrects again; Ctrl-C there wrote an uncorrected plan over the
    finished one (the store's ratings changed and said 'interrupted' of a run recorded 'finished'), and then said
    "stopped: 0 of 0 games sent and stored; run the same command again to finish"."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_upset_answers(tmp_path)
    budget = ALL_PAIRS_CALLS - 8  # not every pair, so that the plan has a bias to correct
    args = ["run", "--config", str(config), "--budget-calls", str(budget), "--round-games", "4"]
    assert judgebench(*args, cwd=tmp_path).returncode == 0
    corrected = said(judgebench("leaderboard", "--store", "store.sqlite", cwd=tmp_path))
    assert "ratings corrected for the plan's bias" in corrected
    again, _ = _signalled_while_correcting(args, tmp_path, signal.SIGINT)
    _, stderr = again.communicate(timeout=120)
    assert again.returncode == 128 + signal.SIGINT
    assert _stopped_correcting(0) in " ".join(stderr.split()), stderr
    assert said(judgebench("leaderboard", "--store", "store.sqlite", cwd=tmp_path)) == corrected
    assert sent(judge_server) == budget


def _signalled_while_correcting(args: list[str], folder: Path, signum: signal.Signals
                                ) -> tuple[subprocess.Popen[str], list[str]]:
    """The command started, and `signum` sent to it when it announces the design-bias replays; with the
    lines of its standard error up to that one."""
    run = start_cli(args, folder)
    assert run.stderr is not None
    before = []
    for line in run.stderr:  # up to the line that announces the replays
        before.append(line)
        if line.startswith("correcting the ratings for the plan's bias"):
            break
    run.send_signal(signum)
    return run, before


def test_sigterm_in_a_later_round_ends_the_adaptive_run_with_exit_code_143(judge_server, tmp_path):
    """SIGTERM while the third round's games are claimed: the rounds before it and the run end as one interrupted
    run, with SIGTERM's exit code (128 + 15), not Ctrl-C's. The signal is real, sent by the command's own process
    from inside its third claim (one a round), where a service manager's SIGTERM cannot be aimed."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    run = judgebench("run", "--config", str(config), "--budget-calls", "200", "--round-games", "20", cwd=tmp_path,
                     script=signal_at("judgebench.store", "Store", "claim", signal.SIGTERM, call=3))
    # two rounds of 20 games sent and stored; the third round's 20 were chosen and claimed, then released, not sent
    _stopped_as_an_interruption(run, run.stdout, run.stderr, signal.SIGTERM, tmp_path, 40, chosen_games=60)
    assert sent(judge_server) == 40
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        assert db.execute("SELECT count(*) FROM claims").fetchone()[0] == 0


def test_leaderboard_of_a_results_directory_gives_the_adaptive_runs_corrected_ratings(judge_server, tmp_path):
    """`leaderboard --results DIR` refits the run's judgments with the settings leaderboard.json records, the
    design-bias correction included: the same ratings and intervals as the run's (a store refit has none)."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_upset_answers(tmp_path)
    run = judgebench("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    board = leaderboard(tmp_path)
    assert board["meta"]["adaptive"]["design_bias"]
    published = (tmp_path / "out" / "leaderboard.md").read_text()  # says how the pairs were chosen, and corrected
    assert "Plan: adaptive: 3 rounds, 60 judge calls" in published
    assert "ratings corrected for the plan's bias" in published
    again = judgebench("leaderboard", "--results", "out", "--out", "again", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    refit = json.loads((tmp_path / "again" / "leaderboard.json").read_text())
    assert refit["meta"]["interval"] == "sandwich"
    assert [row["model"] for row in refit["models"]] == [row["model"] for row in board["models"]]
    for row, run_row in zip(refit["models"], board["models"], strict=True):
        assert [row[k] for k in ("rating", "lower", "upper")] == pytest.approx(
            [run_row[k] for k in ("rating", "lower", "upper")], abs=1e-6), row["model"]  # the correction unrounded
    # the plan and its correction go with the ratings: leaderboard.json, leaderboard.md, rate() and the report
    assert refit["meta"]["adaptive"] == board["meta"]["adaptive"]
    assert published.split("Plan: ")[1].split("\n")[0] in (tmp_path / "again" / "leaderboard.md").read_text()
    from judgebench import rate

    assert rate(tmp_path / "out").meta["adaptive"] == board["meta"]["adaptive"]
    report = judgebench("report", "--results", "out", "--out", "report/index.html", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "report" / "index.html").read_text()
    assert "Plan: adaptive: 3 rounds, 60 judge calls" in page and "ratings corrected for the plan&#39;s bias" in page
    # a flag replaces the run's setting; another method starts from its own defaults, uncorrected, and says so
    elo = judgebench("leaderboard", "--results", "out", "--method", "elo", "--rounds", "50", "--out", "elo",
                     cwd=tmp_path)
    assert elo.returncode == 0, elo.stderr
    meta = json.loads((tmp_path / "elo" / "leaderboard.json").read_text())["meta"]
    assert (meta["method"], meta["interval"], meta["rounds"]) == ("elo", "bootstrap", 50)
    assert meta["adaptive"]["design_bias"] is None
    assert "ratings not corrected for the plan's bias" in (tmp_path / "elo" / "leaderboard.md").read_text()


def test_a_results_folder_whose_judgments_are_not_its_plans_is_refused_not_corrected_for_the_plan(judge_server,
                                                                                                  tmp_path):
    """A results folder's ratings are corrected for its plan's bias (meta.adaptive.design_bias), estimated for
    that plan's games: with judgments.jsonl cut short, `leaderboard --results` still applied it to the games left,
    and its plan line said the ratings were corrected. The judgments are checked against plan.jsonl, itself
    checked against meta.adaptive.plan_sha256: an error naming the file, from leaderboard, report and rate(),
    where the correction applies; a fit it is not for rates the games left, uncorrected, as it says."""
    import shutil

    from judgebench import rate
    from judgebench.errors import InputError

    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_upset_answers(tmp_path)
    run = judgebench("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert leaderboard(tmp_path)["meta"]["adaptive"]["design_bias"]
    lines = (tmp_path / "out" / "judgments.jsonl").read_text().splitlines(keepends=True)
    assert len(lines) == 60
    shutil.copytree(tmp_path / "out", tmp_path / "cut")
    (tmp_path / "cut" / "judgments.jsonl").write_text("".join(lines[:45]))
    for command in (("leaderboard", "--results", "cut"), ("report", "--results", "cut", "--out", "cut.html")):
        refused = judgebench(*command, cwd=tmp_path)
        assert refused.returncode == 2, refused.stdout
        assert "cut/judgments.jsonl: 15 of the plan's 60 games have no judgment here" in " ".join(
            refused.stderr.split()), refused.stderr
        assert "design_bias" in refused.stderr and "Traceback" not in refused.stderr
    with pytest.raises(InputError, match="15 of the plan's 60 games have no judgment here"):
        rate(tmp_path / "cut")
    elo = judgebench("leaderboard", "--results", "cut", "--method", "elo", "--rounds", "20", "--out", "elo",
                     cwd=tmp_path)
    assert elo.returncode == 0, elo.stderr
    assert json.loads((tmp_path / "elo" / "leaderboard.json").read_text())["meta"]["adaptive"]["design_bias"] is None

    shutil.copytree(tmp_path / "out", tmp_path / "replanned")  # a plan.jsonl that is not the run's
    plan = (tmp_path / "replanned" / "plan.jsonl").read_text().splitlines(keepends=True)
    (tmp_path / "replanned" / "plan.jsonl").write_text("".join(plan[1:] + plan[:1]))
    replanned = judgebench("leaderboard", "--results", "replanned", cwd=tmp_path)
    assert replanned.returncode == 2, replanned.stdout
    assert "replanned/plan.jsonl: not the plan the ratings were corrected for" in " ".join(replanned.stderr.split())
    (tmp_path / "replanned" / "plan.jsonl").unlink()
    unplanned = judgebench("leaderboard", "--results", "replanned", cwd=tmp_path)
    assert unplanned.returncode == 2 and "replanned: no plan.jsonl here" in unplanned.stderr, unplanned.stderr
    # the plan's games judged again by another judge and merged in: every game is there, but twice (passed, and
    # the other judge's verdicts were rated as the plan's, corrected for its bias)
    shutil.copytree(tmp_path / "out", tmp_path / "merged")
    other = [json.loads(line) for line in lines]
    for game in other:
        game.update(judge="other-judge", key=game["key"][::-1], p_first=1.0 - (game["p_first"] or 0.0))
    (tmp_path / "merged" / "judgments.jsonl").write_text("".join(lines) + "".join(json.dumps(g) + "\n" for g in other))
    merged = judgebench("leaderboard", "--results", "merged", cwd=tmp_path)
    assert merged.returncode == 2, merged.stdout
    assert "merged/judgments.jsonl: 60 games are judged here by more than one request" in " ".join(
        merged.stderr.split()), merged.stderr
    assert judgebench("leaderboard", "--results", "out", cwd=tmp_path).returncode == 0  # the folder as written


def test_win_rates_of_an_adaptive_runs_judgments_are_refused_for_the_plan_not_for_a_missing_baseline(judge_server,
                                                                                                     tmp_path):
    """`leaderboard --results DIR --method winrate` of an adaptive run said it needed a baseline (the run's meta
    records none: the baseline only anchors such a plan's ratings), and with one it was refused because the plan
    chose the pairs: the first message says so, and what to use; the same for the run's store."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    run = judgebench("run", "--config", str(config), "--budget-calls", "40", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    for source in (("--results", "out"), ("--store", "store.sqlite")):
        winrate = judgebench("leaderboard", *source, "--method", "winrate", cwd=tmp_path)
        text = " ".join(winrate.stderr.split())
        assert winrate.returncode == 2 and "adaptive plan that chose these judgments" in text, text
        assert "use --method bt or elo" in text and "needs a baseline model" not in text


def test_a_damaged_plan_entry_in_a_results_folder_is_an_error_naming_the_file_and_field(judge_server, tmp_path):
    """A leaderboard.json whose meta.adaptive.rounds was edited to "x" ended in an internal error (exit 70) where
    the plan's line is written: an error names the file and the field, as for other damaged folders, and the type
    expected as JSON names it (an object where it said "a table", TOML's word)."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    run = judgebench("run", "--config", str(config), "--budget-calls", "40", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    written = leaderboard(tmp_path)
    board = json.loads(json.dumps(written))
    board["meta"]["adaptive"]["rounds"] = "x"
    (tmp_path / "out" / "leaderboard.json").write_text(json.dumps(board))
    for command in (("leaderboard", "--results", "out"), ("report", "--results", "out", "--out", "r.html")):
        damaged = judgebench(*command, cwd=tmp_path)
        assert damaged.returncode == 2, damaged.stderr
        assert 'out/leaderboard.json: meta.adaptive.rounds: expected an integer, got "x"' in " ".join(
            damaged.stderr.split()), damaged.stderr
        assert "internal error" not in damaged.stderr
    for damage, said in ((lambda meta: meta.update(adaptive="x"), 'meta.adaptive: expected an object, got "x"'),
                         (lambda meta: meta["adaptive"].update(precision=[1]),
                          "meta.adaptive.precision: expected an object, got [1]")):
        board = json.loads(json.dumps(written))
        damage(board["meta"])
        (tmp_path / "out" / "leaderboard.json").write_text(json.dumps(board))
        damaged = judgebench("leaderboard", "--results", "out", cwd=tmp_path)
        assert damaged.returncode == 2, damaged.stderr
        assert f"out/leaderboard.json: {said}" in " ".join(damaged.stderr.split()), damaged.stderr


def test_the_store_rated_again_carries_the_plans_correction_while_it_holds_only_the_plans_judgments(
        judge_server, tmp_path):
    """`leaderboard --store` and `report --store` rated an adaptive run's judgments uncorrected (they did not
    know the plan): ends off by about a standard error, and the ratings differed from the run's. The run records
    its plan in the store by the games it rated; a store holding exactly those gives the run's ratings, and one
    holding others too says that its ratings are not corrected."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_upset_answers(tmp_path)
    run = judgebench("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    board = leaderboard(tmp_path)
    again = judgebench("leaderboard", "--store", "store.sqlite", "--out", "again", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    refit = json.loads((tmp_path / "again" / "leaderboard.json").read_text())
    assert refit["meta"]["adaptive"]["design_bias"] == board["meta"]["adaptive"]["design_bias"]
    assert refit["meta"]["interval"] == "sandwich"  # as the run rated them, unless --interval says otherwise
    for row, run_row in zip(refit["models"], board["models"], strict=True):
        assert [row[k] for k in ("model", "rating", "lower", "upper")] == pytest.approx(
            [run_row[k] for k in ("model", "rating", "lower", "upper")], abs=1e-6)
    plain = plain_fit(tmp_path / "out")
    assert max(abs(row["rating"] - plain[row["model"]]) for row in refit["models"]) > 1  # corrected, not plain
    assert "ratings corrected for the plan's bias" in said(again)
    report = judgebench("report", "--store", "store.sqlite", "--out", "report/index.html", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "report" / "index.html").read_text()
    assert "ratings corrected for the plan&#39;s bias" in page and "sandwich covariance clustered by" in page

    # judgments of another plan join them: the store's ratings are the plain fit of all, and say why
    judging = config.read_text()
    config.write_text(judging.replace('pairs = "adaptive"', 'pairs = "baseline"\nbaseline = "m3"'))
    more = judgebench("run", "--config", str(config), cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    mixed = judgebench("leaderboard", "--store", "store.sqlite", "--out", "mixed", cwd=tmp_path)
    assert mixed.returncode == 0, mixed.stderr
    meta = json.loads((tmp_path / "mixed" / "leaderboard.json").read_text())["meta"]
    assert "adaptive" not in meta and meta["interval"] == "bootstrap"
    assert any("plan of a run (60 calls) chose some of the" in warning and "not corrected" in warning
               for warning in meta["warnings"])
    assert "not corrected for the choice of pairs" in " ".join(mixed.stderr.split())
    # every pair judged: a complete design, which the plan no longer shaped, is rated plainly without a word
    config.write_text(judging.replace('pairs = "adaptive"', 'pairs = "all"'))
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    complete = judgebench("leaderboard", "--store", "store.sqlite", cwd=tmp_path)
    assert complete.returncode == 0 and "not corrected" not in complete.stderr, complete.stderr


def test_judgments_of_another_server_reused_in_rounds_are_noted_once_with_the_plans_total(judge_server, tmp_path):
    """Each round noted its own reused judgments and identical notes were merged by their text: a plan that reused
    159 judgments of another server said "(32 by ...)" and "(31 by ...)". One note now counts the plan's."""
    from judgebench import evaluate
    from judgebench.config import load_config
    from tests.support.judge_server import JudgeServer

    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    first = judgebench("run", "--config", str(config), "--budget-calls", "40", "--round-games", "8", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    other = JudgeServer().start()  # the same model name at another address: another judge, allowed here
    try:
        settings = load_config(config, {"budget_calls": 40, "round_games": 8},
                               {"base_url": other.base_url}).with_changes(reuse_other_servers=True)
        run = evaluate(settings).run
    finally:
        other.stop()
    assert run.reused == 40 and not other.log and len(plan_lines(tmp_path)) >= 5  # five rounds, or more
    reused = [note for note in run.notes if note.startswith("reused judgments made by other servers")]
    assert reused == [f"reused judgments made by other servers (40 by {judge_server.base_url}); the judge asked now is "
                      f"{other.base_url}"], run.notes


def test_games_judged_before_with_another_prompt_are_counted_in_a_round_asked_again(judge_server, tmp_path):
    """A round whose unparsed games were asked again kept the second call's count of games judged before with
    another prompt, which counts only the games it asked again: the note undercounted (review)."""
    from tests.support.judge_server import quality_rule

    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    first = judgebench("run", "--config", str(config), "--budget-calls", "40", "--round-games", "8", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    answers = tmp_path / "answers.jsonl"
    answers.write_text(answers.read_text().replace(" by m1.", " by m1, edited."))  # m1's games: other prompts
    normal, told = quality_rule(), []

    def once_without_a_verdict(request):  # the first m1 game sent gets no verdict, once: its round asks again
        if "by m1, edited." in request.text and not told:
            told.append(request.key)
            return "I cannot decide."
        return normal(request)

    judge_server.rule = once_without_a_verdict
    before = len(judge_server.log)
    again = judgebench("run", "--config", str(config), "--budget-calls", "40", "--round-games", "8", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    sent_now = {entry.key for entry in judge_server.log[before:]}
    assert told and told[0] in sent_now and len([e for e in judge_server.log[before:] if e.key == told[0]]) == 2
    assert (f"{len(sent_now)} games judged now were judged before with another prompt"
            in " ".join(again.stderr.split())), again.stderr


def test_a_continuation_with_another_concurrency_keeps_the_plan(judge_server, tmp_path):
    """The default round size is the plan's, not the engine's: rounds sized on the concurrency (twice it) made a
    rerun with --concurrency 40 re-plan, so paid judgments fell out of the plan and were judged anew."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    first = judgebench("run", "--config", str(config), "--budget-calls", "60", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    more = judgebench("run", "--config", str(config), "--budget-calls", "100", "--concurrency", "40", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert "60 already in the store" in said(more) and "40 judge calls sent now" in said(more)
    assert sent(judge_server) == 100 and max(judge_server.answered().values()) == 1
    assert len(ok_rows(tmp_path / "store.sqlite")) == 100  # every stored judgment is in the plan
    assert "new plan" not in more.stdout + more.stderr  # the same rounds: nothing to note


def test_a_rerun_with_another_round_size_says_it_is_a_new_plan(judge_server, tmp_path):
    """Rounds of another size choose other pairs: a rerun with --round-games 16 after rounds of 8 was a new plan
    without a word (the README said so). It says so, with the setting that continues the store's plan; the
    plan of 16 then recorded, its own rerun says nothing."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    first = judgebench("run", "--config", str(config), "--budget-calls", "32", "--round-games", "8", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    other = judgebench("run", "--config", str(config), "--budget-calls", "48", "--round-games", "16", cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert re.search(r"note: the store's last adaptive plan of this judge and template took rounds of 8 games and "
                     r"this one takes 16, so it is a new plan.*--round-games 8 continues that one",
                     " ".join((other.stdout + other.stderr).split())), other.stdout + other.stderr
    again = judgebench("run", "--config", str(config), "--budget-calls", "48", "--round-games", "16", cwd=tmp_path)
    assert again.returncode == 0 and "0 judge calls sent now" in said(again)
    assert "new plan" not in again.stdout + again.stderr
    # another experiment in the store (four of the five models): not that plan, so nothing to continue
    other_design = judgebench("run", "--config", str(config), "--budget-calls", "24", "--round-games", "8",
                              *(f"--model={m}" for m in ("m1", "m2", "m3", "m4")), cwd=tmp_path)
    assert other_design.returncode == 0, other_design.stderr
    assert "new plan" not in other_design.stdout + other_design.stderr
    # the plan of 16 again, after that experiment: a plan the store holds continued, not the latest (review: it
    # was told its data added m5 to the store's last plan, and so was a new plan)
    back = judgebench("run", "--config", str(config), "--budget-calls", "48", "--round-games", "16", cwd=tmp_path)
    assert back.returncode == 0 and "0 judge calls sent now" in said(back)
    assert "new plan" not in back.stdout + back.stderr


def test_a_rerun_with_another_seed_says_it_is_a_new_plan_and_which_seed_continues_the_stored_one(
        judge_server, tmp_path):
    """A user's audit: --seed 1 on a store holding the seed-0 plan sent 302 new calls of 400 without a word (the
    help said the seed was for sampled opponents, random-one orders and the bootstrap). The rerun says before
    judging that it is a new plan and which seed continues the stored one; that seed then continues it."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    args = ["run", "--config", str(config), "--budget-calls", "32", "--round-games", "8"]
    assert judgebench(*args, cwd=tmp_path).returncode == 0
    other = judgebench(*args, "--seed", "1", cwd=tmp_path)
    assert other.returncode == 0, other.stderr
    assert ("note: the store's adaptive plan of this judge, template, data and rounds has seed 0 and this run's "
            "seed is 1, so it is a new plan, which chooses other pairs (games chosen again are reused from the "
            "store); --seed 0 continues that one") in " ".join(other.stderr.split()), other.stderr
    assert sent(judge_server) > 32  # it did pay for new games
    for seed in ("0", "1"):  # either recorded plan, continued: nothing to say
        again = judgebench(*args, "--seed", seed, cwd=tmp_path)
        assert again.returncode == 0 and "0 judge calls sent now" in said(again), again.stderr
        assert "new plan" not in again.stdout + again.stderr


def test_the_plans_notes_are_kept_in_the_runs_notes(judge_server, tmp_path):
    """They went to `on_event` alone: a Python caller without one, and `run.notes`, had none of them (review)."""
    from judgebench import evaluate
    from judgebench.config import load_config

    settings = load_config(adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive", budget_calls=3))
    notes = evaluate(settings).run.notes
    assert any(note.startswith('[judging] budget_calls = 3 is odd') for note in notes), notes
    assert any(note.startswith('[judging] budget_calls = 3 cannot compare every model') for note in notes), notes


def test_a_rerun_with_a_model_added_says_it_is_a_new_plan(judge_server, tmp_path):
    """A user's audit: a model added to the answers of an adaptive store started a new plan without a word (566
    paid judgments fell out of it). The rerun says what changed and that it is a new plan; stored games chosen
    again are reused."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    four = [f"--model={m}" for m in ("m1", "m2", "m3", "m4")]
    first = judgebench("run", "--config", str(config), "--budget-calls", "24", "--round-games", "8", *four,
                       cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert leaderboard(tmp_path)["meta"]["adaptive"]["models"] == ["m1", "m2", "m3", "m4"]
    added = judgebench("run", "--config", str(config), "--budget-calls", "24", "--round-games", "8", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert ("note: the data differs from the store's last adaptive plan of this judge and template (models added: "
            "m5), so this is a new plan, which chooses its pairs anew from the first round (stored games chosen "
            "again are reused, the others stay out of it)") in " ".join(added.stderr.split())
    again = judgebench("run", "--config", str(config), "--budget-calls", "24", "--round-games", "8", cwd=tmp_path)
    assert again.returncode == 0 and "new plan" not in again.stderr and "0 judge calls sent now" in said(again)


def test_a_dollar_budget_plans_the_rounds_a_budget_of_calls_does(judge_server, tmp_path):
    """A dollar budget sends one pair of its first round to learn the price, then the rest of that round: its
    first round was one pair, and a rerun with a budget of calls chose other rounds and judged most games anew."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    priced(config)
    first = judgebench("run", "--config", str(config), "--budget-usd", "1.0", "--round-games", "20", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    bought = sent(judge_server)
    chosen = plan_lines(tmp_path)
    # the price's pair and the rest of its round are one round (numbered as two, the rounds and the plan's
    # hash differed from the same plan's under a budget of calls)
    assert [row["round"] for row in chosen[:10]] == [1] * 10
    adaptive = leaderboard(tmp_path)["meta"]["adaptive"]
    assert adaptive["rounds"] == chosen[-1]["round"] == 2
    more = judgebench("run", "--config", str(config), "--budget-calls", "80", "--round-games", "20", cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert f"{bought} already in the store" in said(more) and f"{80 - bought} judge calls sent now" in said(more)
    assert sent(judge_server) == 80 and max(judge_server.answered().values()) == 1
    assert plan_lines(tmp_path)[:len(chosen)] == chosen  # the same pairs in the same rounds
    judgebench("run", "--config", str(config), "--budget-calls", str(2 * len(chosen)), "--round-games", "20",
               "--out", "same", cwd=tmp_path)
    assert json.loads((tmp_path / "same" / "leaderboard.json").read_text())["meta"]["adaptive"]["plan_sha256"] == \
        adaptive["plan_sha256"]


def test_a_round_that_ends_a_dollar_budgets_plan_counts_in_its_cost(judge_server, tmp_path):
    """Games of a round that failed games end were paid for: the plan's cost left that round out ($0.08 said
    of $1.30 spent), as it did a round a signal cut short."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    priced(config)
    judge_server.add_fault("500", requests=range(30, 10_000))  # round 1: requests 0-19 (2, then 18); round 2 on
    run = judgebench("run", "--config", str(config), "--budget-usd", "3.0", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 3, run.stderr
    adaptive = leaderboard(tmp_path)["meta"]["adaptive"]
    assert adaptive["stopped_by"] == "failed games"
    spent = dollars([entry for entry in judge_server.log if entry.status == 200])
    assert adaptive["cost_usd"] == pytest.approx(spent) and spent > 0
    assert f"the plan cost ${spent:,.4f} of the $3.00 budget" in said(run)


def test_online_elo_with_adaptive_pairs_is_rated_uncorrected_with_its_bootstrap(judge_server, tmp_path):
    """Online Elo has no likelihood, so neither the sandwich intervals of runs in rounds nor the design-bias
    correction apply: the run rates it with the bootstrap, uncorrected, and says so (README, "Where it applies")."""
    config = adaptive_config(tmp_path, judge_server.base_url, pairs="tournament")
    run = judgebench("run", "--config", str(config), "--method", "elo", "--rounds", "50", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "ratings not corrected for the plan's bias (it is estimated for plain Bradley-Terry only)" in said(run)
    board = leaderboard(tmp_path)
    assert (board["meta"]["method"], board["meta"]["interval"]) == ("elo", "bootstrap")
    assert board["meta"]["adaptive"]["design_bias"] is None


@pytest.mark.integration
def test_ratings_of_another_swap_policy_are_not_corrected_for_the_runs_plan(judge_server, tmp_path):
    """The plan's bias correction is estimated for the outcomes of the run's swap policy: `leaderboard --results
    out --swap random-one` (half the games, one order each) applied it all the same, and so did the store rated
    with another policy. Now such ratings are uncorrected, and say why; the run's own policy keeps it."""
    from judgebench import rate
    from judgebench.config import LeaderboardSettings

    config = adaptive_config(tmp_path, judge_server.base_url, pairs="adaptive")
    write_upset_answers(tmp_path)
    run = judgebench("run", "--config", str(config), "--budget-calls", "60", "--round-games", "20", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    for source in (["--results", "out"], ["--store", "store.sqlite"]):
        for swap, corrected in ((None, True), ("random-one", False), ("consistent", False)):
            board = f"lb-{source[0][2:]}-{swap}"
            done = judgebench("leaderboard", *source, *(["--swap", swap] if swap else []), "--rounds", "20",
                              "--out", board, cwd=tmp_path)
            assert done.returncode == 0, done.stderr
            adaptive = json.loads((tmp_path / board / "leaderboard.json").read_text())["meta"]["adaptive"]
            assert (adaptive["design_bias"] is not None) is corrected, (source, swap)
            assert corrected or adaptive["uncorrected"] == "swap", (source, swap)
            assert corrected or "it is estimated for the outcomes of the run's swap policy" in said(done)
    python = rate(tmp_path / "store.sqlite", LeaderboardSettings(swap="random-one", rounds=20))
    assert python.meta["adaptive"]["uncorrected"] == "swap"

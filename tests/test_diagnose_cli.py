"""`judgebench diagnose` end to end: a real run against the scripted judge server (127.0.0.1), then the
diagnose command in a subprocess on the store and on the results directory.

The scripted judge picks the answer with the higher planted QUALITY (good 8 > base 5 = mid 5 > bad 2), so
every figure follows from the test data: 12 questions, 3 models against the baseline, both orders = 72 games;
the verdicts never depend on the order (consistency 1, first-slot 0.5); mid-base games are ties (24/72);
the answers "Answer i by MODEL. QUALITY=q" are longer by the model name's length, so of the decisive pairs
only bad-base (base longer, base wins) have answers of different lengths: the longer won 12 of 12.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import judgebench as judgebench_api
from judgebench.errors import InputError
from tests.support.cli_runs import N_QUESTIONS, judgebench, write_config
from tests.support.judge_server import constant_rule
from tests.support.stores import store_from_outcomes

pytestmark = pytest.mark.integration


def test_diagnose_store_and_results_agree_and_match_the_data(judge_server, tmp_path):
    config = write_config(tmp_path, judge_server.base_url)
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    data = ["--questions", "questions.jsonl", "--answers", "answers.jsonl", "--judge-family", "GOOD"]
    from_store = judgebench("diagnose", "--store", "store.sqlite", "--out", "d1", *data, cwd=tmp_path)
    assert from_store.returncode == 0, from_store.stderr
    assert "position consistency" in from_store.stdout and "wrote" in from_store.stdout
    assert f"warning: only {N_QUESTIONS} questions (fewer than 30)" in from_store.stderr  # as `run` warns
    # which judge, in the terminal too (two judges' tables were alike but for diagnostics.json's provenance)
    assert from_store.stdout.startswith("judge test-judge, template pairwise-5, swap policy both\n")
    assert "a strong model of the judge's family scores high without any bias" in " ".join(from_store.stdout.split())
    # a baseline-pairs run has no triads with majorities: it said "- (0/0)"
    assert ("cyclic triads (of triads with majorities) - (no triads with majorities: every pair compared includes "
            "base)") in " ".join(from_store.stdout.split())
    from_results = judgebench("diagnose", "--results", "out", "--out", "d2", *data, cwd=tmp_path)
    assert from_results.returncode == 0, from_results.stderr
    first, second = (json.loads((tmp_path / d / "diagnostics.json").read_text()) for d in ("d1", "d2"))
    first["provenance"].pop("source"), second["provenance"].pop("source")
    assert first == second
    # provenance in the results files too (issue 11.4)
    markdown = (tmp_path / "out" / "leaderboard.md").read_text()
    assert "Judge: test-judge; template: pairwise-5; swap policy: both; intervals: bootstrap at 95%" in markdown
    assert json.loads((tmp_path / "out" / "diagnostics.json").read_text())["provenance"]["judge"] == "test-judge"
    assert first["position_consistency"]["value"] == 1.0 and first["first_slot_win_rate"]["value"] == 0.5
    # every pair's two games cancel in the position effect's clustered score: its sandwich interval was
    # 0.500 [0.500, 0.500]; the model-based one is shown instead, and the output says so
    effect = first["position_effect"]
    assert effect["first_win_probability_lower"] < 0.45 and effect["first_win_probability_upper"] > 0.55
    assert "has zero width" in effect["note"] and "shown is the model-based interval" in " ".join(
        from_store.stdout.split())
    assert first["tie_rate"]["value"] == pytest.approx(1 / 3) and first["tie_rate"]["n"] == 72
    assert first["unparsed_rate"]["value"] == 0.0 and first["failed_rate"]["value"] == 0.0
    longer = first["length_bias"]["longer_answer_win_rate"]
    assert (longer["value"], longer["n"], longer["n_clusters"]) == (1.0, 12, 12)
    assert longer["lower"] < 1.0 == longer["upper"]
    assert first["self_preference"]["models"] == ["good"]
    assert first["self_preference"]["own_score"]["value"] == 1.0
    assert first["provenance"] | {"judgebench_version": None} == {
        "judge": "test-judge", "template": "pairwise-5", "swap": "both", "confidence": 0.95,
        "interval_method": first["interval_method"], "judgebench_version": None}
    # flags a results directory cannot use were ignored (--judge-model), or crashed the report (--seed -1: exit 70)
    for command in ("diagnose", "report"):
        where = ["--results", "out", "--out", f"{command}-out"]
        chosen = judgebench(command, *where, "--judge-model", "other", cwd=tmp_path)
        assert chosen.returncode == 2 and chosen.stderr.strip() == (
            "error: --judge-model and --template choose among a store's judgments (--store): a results directory "
            "holds one run's, of one judge and template; leave them out")
        negative = judgebench(command, *where, "--seed", "-1", cwd=tmp_path)
        assert negative.returncode == 2 and "Invalid value for '--seed': must be at least 0, got -1" in negative.stderr


def test_diagnose_sees_a_judge_that_always_picks_the_first_answer(judge_server, tmp_path):
    judge_server.rule = constant_rule("Verdict: [[A>B]]")
    config = write_config(tmp_path, judge_server.base_url)
    judgebench("run", "--config", str(config), cwd=tmp_path)
    done = judgebench("diagnose", "--store", "store.sqlite", "--out", "d", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    figures = json.loads((tmp_path / "d" / "diagnostics.json").read_text())
    assert figures["position_consistency"]["value"] == 0.0 and figures["first_slot_win_rate"]["value"] == 1.0
    assert "first answer won every decisive game" in figures["position_effect"]["note"]
    assert figures["length_bias"]["longer_answer_win_rate"] is None
    # under its label at 80 columns, which keep the room to read the labels (a figure column this wide left them 8)
    assert "(answer lengths unknown: give --questions and --answers)" in " ".join(done.stdout.split())
    # one of the two alone was ignored without a word (and the row then asked for --answers)
    for flags, missing in ((("--answers", "answers.jsonl"), "--questions"), (("--questions", "questions.jsonl"),
                                                                             "--answers")):
        for command in (("diagnose", "--store", "store.sqlite"), ("report", "--store", "store.sqlite", "--out", "r/")):
            refused = judgebench(*command, *flags, cwd=tmp_path)
            assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
            assert refused.stderr.strip().splitlines()[-1].endswith(
                f"{missing} is missing: --questions and --answers go together (the answers are read by their "
                "questions' ids)"), refused.stderr


def test_diagnose_input_errors_are_one_line(tmp_path):
    missing = judgebench("diagnose", "--results", str(tmp_path), cwd=tmp_path)
    assert missing.returncode == 2 and "judgments.jsonl" in missing.stderr and "Traceback" not in missing.stderr
    both = judgebench("diagnose", cwd=tmp_path)
    assert both.returncode == 2 and "--store" in both.stderr and "Traceback" not in both.stderr


def test_diagnose_refuses_the_judge_flags_of_gold_without_it(tmp_path):
    """`diagnose --store S --judge gpt-4o-mini` exited 0, diagnosing the store's judge whichever it was: --judge
    (a preset), --config and the engine's flags choose the judge that --gold calls, and stored judgments are
    diagnosed without a judge call. One usage error names them all, and how a store's judge is chosen."""
    outcomes = pd.DataFrame({"question_id": [f"q{i}" for i in range(4)], "model_a": "a", "model_b": "b",
                             "p_ab": [1.0, 0.0, 1.0, 1.0], "p_ba": [1.0, 0.0, 1.0, 0.0]})
    store_from_outcomes(outcomes, tmp_path / "store.sqlite", judge="j", template="pairwise-5")
    diagnosed = judgebench("diagnose", "--store", "store.sqlite", "--judge-model", "j", cwd=tmp_path)
    assert diagnosed.returncode == 0, diagnosed.stderr  # the store's judge chosen as it is meant to be
    preset = judgebench("diagnose", "--store", "store.sqlite", "--judge", "gpt-4o-mini", "--out", "d", cwd=tmp_path)
    assert preset.returncode == 2 and preset.stdout == "", preset.stdout
    assert preset.stderr.strip() == (
        "error: --judge: for --gold only (judging labelled pairs anew); stored judgments are diagnosed without a "
        "judge call, and a store's judge is chosen with --judge-model (a model name): leave it out")
    assert not (tmp_path / "d").exists()  # refused before anything was written
    (tmp_path / "run.toml").write_text('[judge]\nmodel = "j"\n')
    engine = judgebench("diagnose", "--results", "out", "--config", "run.toml", "--engine", "openai", "--base-url",
                        "http://127.0.0.1:9/v1", "--api-key-env", "KEY", "--concurrency", "2", "--on-rate-limit",
                        "stop", cwd=tmp_path)
    assert engine.returncode == 2 and engine.stderr.strip() == (
        "error: --config, --engine, --base-url, --api-key-env, --concurrency, --on-rate-limit: for --gold only "
        "(judging labelled pairs anew); stored judgments are diagnosed without a judge call: leave them out")


def test_diagnose_of_a_results_folder_keeps_the_runs_self_preference(judge_server, tmp_path):
    """The run had --judge-family; `diagnose --results out --out out` wrote its diagnostics.json again without
    self-preference (null), since the family is not a flag of the folder's: the run's own models are reused."""
    config = write_config(tmp_path, judge_server.base_url)
    run = judgebench("run", "--config", str(config), "--judge-family", "good", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    shown = " ".join(run.stdout.split())  # the run's table shows them too, as diagnose does
    assert "tie rate (games)" in shown and "self-preference: score of good vs others 1.000" in shown
    recorded = json.loads((tmp_path / "out" / "diagnostics.json").read_text())["self_preference"]
    assert recorded["models"] == ["good"]
    again = judgebench("diagnose", "--results", "out", "--out", "out", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    rewritten = json.loads((tmp_path / "out" / "diagnostics.json").read_text())["self_preference"]
    assert rewritten == recorded


def test_diagnose_of_a_store_whose_games_were_judged_again_names_diagnose_results(judge_server, tmp_path):
    """A store of games judged again with another prompt is refused, and the way out it names is this command's:
    `diagnose` pointed at `judgebench leaderboard --results DIR` (the eighth review), which rates, where the user
    asked for diagnostics of one run's folder; from Python, `judgebench.diagnose(store=...)` named
    `judgebench.rate(DIR)` likewise, and names its own call now (`html_report` too), `rate` still its own."""
    pairwise = Path(__file__).resolve().parents[1] / "prompts" / "pairwise-5.toml"
    (tmp_path / "reworded.toml").write_text(
        pairwise.read_text().replace("You are a strict, impartial", "You are an impartial"))
    config = write_config(tmp_path, judge_server.base_url)
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    again = judgebench("run", "--config", str(config), "--template", "reworded.toml", "--out", "again", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    mixed = judgebench("diagnose", "--store", "store.sqlite", "--out", "d", cwd=tmp_path)
    message = " ".join(mixed.stderr.split())
    assert mixed.returncode == 2 and "judged by more than one request" in message, message
    assert "one run's judgments from the results folder it wrote, if it wrote one (`judgebench diagnose --results " \
           "DIR`)" in message, message
    assert "leaderboard --results" not in message
    for call, named in ((lambda: judgebench_api.diagnose(store=tmp_path / "store.sqlite"),
                         "`judgebench.diagnose(results=DIR)`"),
                        (lambda: judgebench_api.html_report(tmp_path / "r.html", store=tmp_path / "store.sqlite"),
                         "`judgebench.html_report(FILE, results=DIR)`"),
                        (lambda: judgebench_api.rate(tmp_path / "store.sqlite"), "`judgebench.rate(DIR)`")):
        with pytest.raises(InputError) as raised:
            call()
        assert f"one run's judgments from the results folder it wrote, if it wrote one ({named})" in str(
            raised.value), raised.value

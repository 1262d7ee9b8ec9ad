"""`judgebench check` end to end: the real CLI (a subprocess), a real SQLite store and the scripted judge server.

The server's verdicts follow the `QUALITY=<n>` markers planted in the answers (the higher wins), so every
expected decision here follows from the planted qualities and the stated rule, not from check.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml, Skipped

from judgebench.check import CheckOptions, run_check
from judgebench.config import load_config
from judgebench.evaluation import evaluate
from tests.support.check_runs import N, write_config, write_data
from tests.support.judge_server import JudgeServer, Reply, constant_rule, quality_rule
from tests.support.judge_server import answered as judge_answered
from tests.support.signals import signal_at
from tests.support.stores import ok_keys

pytestmark = pytest.mark.integration

@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_data(tmp_path)
    return tmp_path


def judgebench(*args: str, cwd: Path, env: dict[str, str] | None = None,
               script: str | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess; run by `script` when given (a `python -c` script that ends by calling the CLI,
    such as `tests.support.signals.signal_at`'s)."""
    environment = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key", **(env or {})}
    environment.pop("GITHUB_ACTIONS", None) if env is None else None
    environment.pop("GITHUB_STEP_SUMMARY", None) if env is None else None
    environment.pop("GITHUB_OUTPUT", None) if env is None else None
    command = ["-m", "judgebench.cli"] if script is None else ["-c", script]
    return subprocess.run([sys.executable, *command, *args], cwd=cwd, env=environment, text=True,
                          capture_output=True, timeout=120)


def make_reference_run(folder: Path, server) -> None:
    """`judgebench run` of base and ref (in-process: the same code as the command) into folder/reference-run."""
    config = load_config(write_config(folder, server.base_url, name="run.toml", models=["base", "ref"]))
    assert evaluate(config, out=config.out).exit_code == 0


def sent(server) -> int:
    return sum(server.answered().values())


def test_clear_regression_exits_1_with_junit_markdown_and_json(judge_server, folder):
    config = write_config(folder, judge_server.base_url)
    step_summary = folder / "step-summary.md"
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--junit", "out/junit.xml", "--json", "out/check.json", "--summary", "out/summary.md",
                        cwd=folder, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step_summary)})
    assert result.returncode == 1, result.stderr
    assert sent(judge_server) == 2 * N  # both orders of each question
    report = json.loads((folder / "out" / "check.json").read_text())
    assert report["decision"] == "regression" and report["overall"]["mean"] == 0.0
    assert report["overall"]["n_questions"] == N
    assert report["flips"] == {"win_to_loss": N, "loss_to_win": 0, "worse": N, "better": 0}
    assert report["regressed_categories"] == ["math", "writing"] and report["failing_categories"] == []
    assert report["judge_calls"] == 2 * N and report["calls_from_store"] == 0
    assert report["prompt_tokens"] > 0 and report["completion_tokens"] > 0
    assert report["cost_usd"] == pytest.approx((report["prompt_tokens"] + 2 * report["completion_tokens"]) / 1e6)
    worst = report["worst"][0]
    assert "QUALITY=2" in worst["candidate_answer"] and "QUALITY=5" in worst["opponent_answer"]
    assert len(worst["reasoning"]) == 2 and all("Verdict" in r for r in worst["reasoning"])

    suite = next(iter(JUnitXml.fromfile(str(folder / "out" / "junit.xml"))))
    cases = {case.name: case for case in suite}
    assert set(cases) == {"overall", "math", "writing"}
    assert isinstance(cases["overall"].result[0], Failure)
    assert all(isinstance(cases[name].result[0], Skipped) for name in ("math", "writing"))  # --fail-on overall
    assert "regression" in cases["overall"].result[0].message

    summary = (folder / "out" / "summary.md").read_text()
    assert "regression: with 95% confidence the candidate's win rate against the reference is below 45.0%" in summary
    assert summary in step_summary.read_text()
    assert "::error title=judgebench check::regression" in result.stdout


def test_a_carriage_return_in_a_category_runs_no_workflow_command(judge_server, folder):
    """The runner reads a lone carriage return as a line break: a category named "x\r::error title=..." put a
    command of its own on a line of the annotations (a user's audit). It is escaped as @actions/core escapes it."""
    config = write_config(folder, judge_server.base_url)
    questions = folder / "questions.jsonl"
    rows = [json.loads(line) for line in questions.read_text().splitlines()]
    for row in rows:
        row["category"] = "evil\r::error title=INJECTED::pwned" if row["category"] == "math" else row["category"]
    questions.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = subprocess.run([sys.executable, "-m", "judgebench.cli", "check", "--config", str(config), "--candidate",
                             "bad", "--reference", "ref"], cwd=folder, capture_output=True, timeout=120,
                            env={**os.environ, "OPENAI_API_KEY": "sk-test", "GITHUB_ACTIONS": "true"})
    assert result.returncode == 1, result.stderr
    lines = re.split(rb"\r\n|\r|\n", result.stdout)
    assert not [line for line in lines if line.startswith(b"::error title=INJECTED")], result.stdout
    assert b"::warning title=judgebench check::category evil%0D::error title=INJECTED::pwned: regression" \
        in result.stdout


def test_a_run_config_for_an_adaptive_plan_serves_check_too(judge_server, folder):
    """check chooses its own pairs (candidate against reference on every question): the plan settings of an
    adaptive run's config (budget, stopping rule, round size) do not apply to it and do not stop it."""
    config = write_config(folder, judge_server.base_url)
    config.write_text(config.read_text().replace(
        'baseline = "base"\n', 'baseline = "base"\npairs = "adaptive"\nbudget_calls = 200\nstop = "separated"\n'
        'round_games = 20\n'))
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", cwd=folder)
    assert result.returncode == 1, result.stderr  # the regression, decided on every question
    assert sent(judge_server) == 2 * N


def test_a_reference_template_without_references_is_refused_before_judging(judge_server, folder):
    """Every prompt said no reference answer was available, and the check judged on without a word."""
    config = write_config(folder, judge_server.base_url, template="pairwise-5-reference")
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", cwd=folder)
    assert result.returncode == 2
    assert (f"template 'pairwise-5-reference' judges with reference answers, but none of the {N} questions has "
            "one") in result.stderr
    assert not judge_server.log


def test_equal_candidates_follow_the_rule(judge_server, folder):
    config = write_config(folder, judge_server.base_url)
    tie = judgebench("check", "--config", str(config), "--candidate", "same", "--reference", "ref",
                     "--json", "tie.json", cwd=folder)
    report = json.loads((folder / "tie.json").read_text())
    # every question a tie: score 0.5 on each, no spread. Not a zero-width interval: a population whose mean is
    # below 0.5 q, q = 0.025^(1/N), ties or wins all N questions with probability under 2.5% (Markov), so the
    # interval is [0.5 q, 1 - 0.5 q] = [45.6%, 54.4%], above 45%: pass
    assert tie.returncode == 0, tie.stderr
    q = 0.025 ** (1 / N)
    assert report["overall"]["mean"] == 0.5 and report["overall"]["lower"] == pytest.approx(0.5 * q)
    assert report["overall"]["upper"] == pytest.approx(1 - 0.5 * q)

    coin = judgebench("check", "--config", str(config), "--candidate", "coin", "--reference", "ref",
                      "--json", "coin.json", cwd=folder)
    report = json.loads((folder / "coin.json").read_text())
    overall = report["overall"]
    assert overall["mean"] == 0.5  # 20 wins and 20 losses
    # the rule: exit 0 when the interval lies above 45%, 4 when it contains 45%
    assert coin.returncode == (0 if overall["lower"] >= 0.45 else 4), coin.stderr
    assert coin.returncode == 4 and overall["lower"] < 0.45 < overall["upper"]
    assert overall["questions_needed"] > N and "would likely decide it" in coin.stdout
    more = overall["more_questions_needed"]  # what the summary says; questions_needed counts those judged too
    assert more == overall["questions_needed"] - N
    assert f"about {more:,} more questions ({overall['questions_needed']:,} in all)" in coin.stdout
    # not "add questions, or allow a larger drop": judged again on more questions after its result was seen, a
    # fixed check is no longer a test at its confidence; a check that may grow is a sequential one
    assert (f"would likely decide it, and the question set has {N}; a check that may need more questions is a "
            "sequential one (--sequential): running this fixed one again on more questions, or with another margin, "
            "after seeing its result is no longer a test at 95% confidence") in " ".join(coin.stdout.split())
    lenient = judgebench("check", "--config", str(config), "--candidate", "coin", "--reference", "ref",
                         "--undecided", "pass", cwd=folder)
    assert lenient.returncode == 0, lenient.stderr
    assert "undecided: " in lenient.stdout and "counted as a pass (--undecided pass)" in lenient.stdout


def test_calls_served_from_the_store_count_calls_not_games(judge_server, folder):
    """`twin` answers the first half of the questions exactly as the reference does: both orders of such a
    question send one request, judged by one call. A second check sends nothing and is served that many calls
    from the store, not one per game (2 * N)."""
    lines = (folder / "answers.jsonl").read_text().splitlines()
    ref = {row["question_id"]: row["turns"] for row in map(json.loads, lines) if row["model"] == "ref"}
    twin = [{"question_id": f"q{i:02d}", "model": "twin",
             "turns": ref[f"q{i:02d}"] if i < N // 2 else [f"Answer {i} by twin. QUALITY=6"]} for i in range(N)]
    (folder / "twin.jsonl").write_text("\n".join(lines + [json.dumps(row) for row in twin]) + "\n")
    config = write_config(folder, judge_server.base_url, answers="twin.jsonl")
    args = ("check", "--config", str(config), "--candidate", "twin", "--reference", "ref", "--json", "check.json")
    calls = 2 * N - N // 2
    first = judgebench(*args, cwd=folder)
    assert first.returncode != 2, first.stderr
    assert sent(judge_server) == calls
    report = json.loads((folder / "check.json").read_text())
    assert report["judge_calls"] == calls and report["calls_from_store"] == 0
    second = judgebench(*args, cwd=folder)
    assert second.returncode == first.returncode and sent(judge_server) == calls
    report = json.loads((folder / "check.json").read_text())
    assert report["judge_calls"] == 0 and report["calls_from_store"] == calls
    assert f"Judge calls made: 0; served from the store: {calls};" in second.stdout


def test_a_second_check_of_unchanged_answers_makes_no_judge_call(judge_server, folder):
    config = write_config(folder, judge_server.base_url)
    args = ("check", "--config", str(config), "--candidate", "bad_writing", "--reference", "ref",
            "--fail-on", "any-category", "--json", "check.json")
    first = judgebench(*args, cwd=folder)
    calls = sent(judge_server)
    assert calls == 2 * N
    second = judgebench(*args, cwd=folder)
    assert sent(judge_server) == calls
    assert first.returncode == second.returncode == 1
    report = json.loads((folder / "check.json").read_text())
    assert report["judge_calls"] == 0 and report["calls_from_store"] == 2 * N
    assert report["failing_categories"] == ["writing"]
    math = next(c for c in report["categories"] if c["name"] == "math")
    # all 20 ties on math: a population with up to 17% losses ties 20 questions in a row often enough,
    # the interval reaches 0.5 * 0.025^(1/20) = 41.6%, below 45%
    assert math["decision"] == "undecided" and math["lower"] == pytest.approx(0.5 * 0.025 ** (1 / 20))


def test_output_closed_by_its_reader_exits_141_not_the_regression_code(judge_server, folder):
    """`judgebench check ... | head` where head exits before check prints: rich and click end such a command
    with 1, which is check's "regression"; a pass must not read as one. 141 is a process killed by SIGPIPE."""
    config = write_config(folder, judge_server.base_url)
    environment = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key"}
    environment.pop("GITHUB_ACTIONS", None)
    check = subprocess.Popen([sys.executable, "-m", "judgebench.cli", "check", "--config", str(config),
                              "--candidate", "same", "--reference", "ref", "--json", "check.json"],
                             cwd=folder, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert check.stdout is not None and check.stderr is not None
    check.stdout.close()  # the reader is gone before the first line
    assert check.wait(timeout=120) == 141, check.stderr.read()
    assert "Traceback" not in check.stderr.read()
    assert json.loads((folder / "check.json").read_text())["decision"] == "pass"  # the check itself completed


def test_against_an_earlier_run_judges_only_the_candidate(judge_server, folder):
    make_reference_run(folder, judge_server)
    before = sent(judge_server)
    seen: list[str] = []
    normal = quality_rule()
    judge_server.rule = lambda request: (seen.append(request.text), normal(request))[1]
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--against", "reference-run",
                        "--json", "check.json", cwd=folder)
    assert result.returncode == 1, result.stderr
    assert sent(judge_server) - before == 2 * N == len(seen)
    assert all("by bad." in text and "by ref." not in text for text in seen)  # the reference's games: none
    report = json.loads((folder / "check.json").read_text())
    assert report["reference"] == "ref" and report["baseline"] == "base"
    assert report["overall"]["mean"] == -0.5  # bad scores 0 against base, ref scores 0.5 (ties)
    # ref tied base, bad lost to it: no strong flip, but every question went from tied to lost
    assert report["flips"] == {"win_to_loss": 0, "loss_to_win": 0, "worse": N, "better": 0}
    assert (f"Flips against the baseline: the candidate did worse than the reference on {N} questions (won to "
            "tied, tied to lost, or won to lost) and better on 0; strong flips: 0 won to lost, 0 lost to won.") \
        in result.stdout


def test_few_questions_never_decide_on_a_degenerate_interval(judge_server, folder):
    """Six questions: three ties on math, three losses on writing. Student's t alone said math passes and
    writing regresses, both with zero-width intervals, and gave the whole an interval reaching below 0%."""
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad_writing", "--reference", "ref",
                        "--max-questions", "6", "--fail-on", "any-category", "--json", "check.json", cwd=folder)
    assert result.returncode == 4, result.stderr
    report = json.loads((folder / "check.json").read_text())
    overall = report["overall"]
    assert overall["n_questions"] == 6 and overall["mean"] == 0.25
    assert 0 <= overall["lower"] < 0.45 < overall["upper"] <= 1
    assert overall["questions_needed"] > 6 and f"({overall['questions_needed']} in all)" in result.stdout
    categories = {c["name"]: c for c in report["categories"]}
    assert {name: (c["n_questions"], c["decision"]) for name, c in categories.items()} == {
        "math": (3, "undecided"), "writing": (3, "undecided")}
    q = 0.025 ** (1 / 3)  # the exact bound of three unanimous questions
    assert (categories["math"]["lower"], categories["math"]["upper"]) == pytest.approx((0.5 * q, 1 - 0.5 * q))
    assert (categories["writing"]["lower"], categories["writing"]["upper"]) == pytest.approx((0, 1 - q))
    assert report["failing_categories"] == []


def test_against_a_run_with_sandwich_intervals_and_an_old_leaderboard_without_seed(judge_server, folder):
    """A leaderboard written before the seed was always recorded has seed null with sandwich intervals; the
    check falls back to its own seed (the run's random-one orders) instead of failing on int(None)."""
    config = load_config(write_config(folder, judge_server.base_url, name="run.toml", models=["base", "ref"]),
                         {"interval": "sandwich"})
    assert evaluate(config, out=config.out).exit_code == 0
    board_file = folder / "reference-run" / "leaderboard.json"
    board = json.loads(board_file.read_text())
    assert board["meta"]["seed"] == 0  # recorded now, whatever the interval
    board["meta"]["seed"] = None
    board_file.write_text(json.dumps(board))
    result = judgebench("check", "--config", str(write_config(folder, judge_server.base_url)), "--candidate", "bad",
                        "--against", "reference-run", cwd=folder)
    assert result.returncode == 1, result.stderr  # bad is a regression against ref


def test_against_a_run_of_several_models_asks_for_the_reference(judge_server, folder):
    config = load_config(write_config(folder, judge_server.base_url, name="run.toml", models=["base", "ref", "same"]))
    assert evaluate(config, out=config.out).exit_code == 0
    before = sent(judge_server)
    check = write_config(folder, judge_server.base_url)
    missing = judgebench("check", "--config", str(check), "--candidate", "bad", "--against", "reference-run",
                         cwd=folder)
    assert missing.returncode == 2, missing.stderr
    assert ("error: the run reference-run holds several models; choose the reference with --reference NAME "
            "(one of: ref, same)") in missing.stderr
    wrong = judgebench("check", "--config", str(check), "--candidate", "bad", "--against", "reference-run",
                       "--reference", "coin", cwd=folder)
    assert wrong.returncode == 2, wrong.stderr
    assert ("--reference is 'coin', which the run reference-run did not judge against its baseline base; "
            "choose one of: ref, same") in wrong.stderr
    assert sent(judge_server) == before  # refused before any judge call
    chosen = judgebench("check", "--config", str(check), "--candidate", "bad", "--against", "reference-run",
                        "--reference", "same", "--json", "check.json", cwd=folder)
    assert chosen.returncode == 1, chosen.stderr
    assert json.loads((folder / "check.json").read_text())["reference"] == "same"


def test_against_an_all_pairs_run_uses_its_games_with_the_baseline(judge_server, folder):
    """A run of every pair with a baseline judged every model against it on every question: a check against it
    compares the candidate with the chosen reference through the baseline, judging only the candidate's games."""
    config = load_config(write_config(folder, judge_server.base_url, name="run.toml", models=["base", "ref", "same"]),
                         {"pairs": "all"})
    assert evaluate(config, out=config.out).exit_code == 0
    before = sent(judge_server)
    result = judgebench("check", "--config", str(write_config(folder, judge_server.base_url)), "--candidate", "bad",
                        "--against", "reference-run", "--reference", "ref", "--json", "check.json", cwd=folder)
    assert result.returncode == 1, result.stderr
    assert sent(judge_server) - before == 2 * N
    report = json.loads((folder / "check.json").read_text())
    assert (report["reference"], report["baseline"], report["overall"]["mean"]) == ("ref", "base", -0.5)


def test_against_a_run_judged_differently_exits_2_naming_the_difference(judge_server, folder):
    make_reference_run(folder, judge_server)
    before = sent(judge_server)
    for name in ("questions", "answers"):  # a question set without the run's last two questions
        lines = (folder / f"{name}.jsonl").read_text().splitlines(keepends=True)
        (folder / f"fewer-{name}.jsonl").write_text("".join(line for line in lines if '"q38"' not in line
                                                            and '"q39"' not in line))
    for setting, named in (({"judge": "another-judge"}, "judge: the run has 'test-judge', this check 'another-judge'"),
                           ({"template": "pairwise-3"}, "template: the run has 'pairwise-5', this check 'pairwise-3'"),
                           ({"questions": "fewer-questions.jsonl", "answers": "fewer-answers.jsonl"},
                            "the question set differs: 2 question(s) of the run")):
        config = write_config(folder, judge_server.base_url, **setting)
        result = judgebench("check", "--config", str(config), "--candidate", "bad", "--against", "reference-run",
                            cwd=folder)
        assert result.returncode == 2, result.stderr
        assert named in result.stderr and "Traceback" not in result.stderr
        assert ("question set" in named or "Use the run's settings (in the config file, or as judge, template "
                "and store flags)" in " ".join(result.stderr.split()))  # check takes them as flags too
    # the baseline's answers edited since the run, or the judge's sampling changed: the run's games against the
    # baseline measure something else than the candidate's games now (a user's audit: a better candidate "regressed"
    # by 50 points against a baseline whose answers had improved)
    edited = (folder / "answers.jsonl").read_text().replace('by base. QUALITY=5"', 'by base. QUALITY=8"')
    (folder / "edited-answers.jsonl").write_text(edited)
    hotter = write_config(folder, judge_server.base_url, name="hotter.toml")
    hotter.write_text(hotter.read_text().replace("[judging]\n", "[judging]\ntemperature = 1.0\n"))
    for config, named in ((write_config(folder, judge_server.base_url, answers="edited-answers.jsonl"),
                           r"the baseline's answers \(SHA-256\): the run has '[0-9a-f]{64}', this check "
                           r"'[0-9a-f]{64}'"),
                          (hotter, r"the judge's sampling: the run has 'temperature = 0.0, max_tokens = \d+', this "
                                   r"check 'temperature = 1.0, max_tokens = \d+'")):
        result = judgebench("check", "--config", str(config), "--candidate", "bad", "--against", "reference-run",
                            cwd=folder)
        assert result.returncode == 2, result.stderr
        assert re.search(named, result.stderr), result.stderr
    assert sent(judge_server) == before  # refused before any judge call


def test_against_a_trial_run_of_the_first_questions_says_so_and_how_to_check_the_same_questions(judge_server,
                                                                                                 folder):
    """A run made with --first-n judged the first N questions only: a check of the same files (which judges every
    question) was refused on the questions' hash alone, which told the user the questions differed. It says the run
    judged the first N and how to check those; with that setting the same check decides."""
    config = load_config(write_config(folder, judge_server.base_url, name="run.toml", models=["base", "ref"]),
                         {"first_n": 10})
    assert evaluate(config, out=config.out).exit_code == 0
    check_file = write_config(folder, judge_server.base_url)
    refused = judgebench("check", "--config", str(check_file), "--candidate", "bad", "--against", "reference-run",
                         cwd=folder)
    assert refused.returncode == 2, refused.stderr
    said = " ".join(refused.stderr.split())
    assert (f"the run reference-run judged only the first 10 questions of its questions file (first_n = 10), this "
            f"check all {N}: set [data] first_n = 10 in the config file to check on the run's questions") in said
    check_file.write_text(check_file.read_text().replace("[data]\n", "[data]\nfirst_n = 10\n"))
    decided = judgebench("check", "--config", str(check_file), "--candidate", "bad", "--against", "reference-run",
                         cwd=folder)
    assert decided.returncode in (0, 1, 4), decided.stderr  # decided or undecided on those questions, not refused
    assert "differ" not in decided.stderr
    # the other way round: a check of the first 10 against a run of every question (whose other questions the
    # check had read as "not in questions.jsonl")
    whole = load_config(folder / "run.toml")
    assert evaluate(whole, out=folder / "whole-run").exit_code == 0
    other = judgebench("check", "--config", str(check_file), "--candidate", "bad", "--against", "whole-run",
                       cwd=folder)
    assert other.returncode == 2, other.stderr
    assert ("this check judges only the first 10 questions ([data] first_n = 10), the run whole-run its whole "
            "questions file (it records no first_n): leave out [data] first_n in the config file to check on the "
            "run's questions") in " ".join(other.stderr.split())


def test_against_a_run_rated_again_with_another_baseline_compares_that_baselines_answers(judge_server, folder):
    """The run recorded its baseline's answers' hash alone, and a refit with another baseline kept it: the check
    then compared the new baseline's answers with the old one's and refused a run whose answers had not changed.
    Each model's answers are recorded."""
    make_reference_run(folder, judge_server)
    refit = judgebench("leaderboard", "--results", "reference-run", "--baseline", "ref", "--out", "reference-run",
                       cwd=folder)
    assert refit.returncode == 0, refit.stderr
    meta = json.loads((folder / "reference-run" / "leaderboard.json").read_text())["meta"]
    assert meta["baseline"] == "ref" and sorted(meta["answers_sha256"]) == ["base", "ref"]
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--against", "reference-run",
                        cwd=folder)
    assert result.returncode in (0, 1), result.stderr  # decided, not refused
    assert "the baseline's answers" not in result.stderr


# The Python API (`run_check`, what the command calls) in-process: the same judging, without a process start.


def check(folder: Path, server, **options) -> dict:
    report = run_check(load_config(write_config(folder, server.base_url)), CheckOptions(**options))
    return report.to_json()


def test_sequential_check_stops_once_decided(judge_server, folder):
    report = check(folder, judge_server, candidate="bad", reference="ref", sequential=True, batch_size=10)
    assert report["exit_code"] == 1
    judged = report["overall"]["n_questions"]
    assert judged < N and judged % 10 == 0  # stopped after a whole batch, before the last
    assert sent(judge_server) == report["judge_calls"] == 2 * judged
    assert report["method"] == "confidence sequence (betting)"


def test_undecided_sequential_check_says_how_many_more_questions(judge_server, folder):
    """20 questions (4 batches of 5), 3 in 4 won: undecided. The fixed-sample formula advised "about 18
    questions", fewer than were judged; the advice now continues the sequence, in whole batches."""
    report = check(folder, judge_server, candidate="mostly", reference="ref", sequential=True, batch_size=5,
                   max_questions=20)
    assert report["exit_code"] == 4 and report["overall"]["n_questions"] == 20
    needed = report["overall"]["questions_needed"]
    assert needed >= 25 and needed % 5 == 0
    assert f"about {needed - 20} more questions ({needed} in all) would likely decide it" in report["rule"]


def test_max_questions_takes_a_stratified_sample(judge_server, folder):
    report = check(folder, judge_server, candidate="coin", reference="ref", max_questions=10)
    assert report["exit_code"] == 4
    assert sent(judge_server) == 20 and report["overall"]["n_questions"] == 10
    assert report["prompt_tokens"] > 0 and report["completion_tokens"] > 0
    assert {c["name"]: c["n_questions"] for c in report["categories"]} == {"math": 5, "writing": 5}


def test_failed_games_exit_3_unless_allowed(judge_server, folder):
    judge_server.add_fault("503", match=lambda request: "Question number 3?" in request.text, retry_after=0)
    failed = check(folder, judge_server, candidate="bad", reference="ref")
    assert failed["exit_code"] == 3 and failed["decision"] == "failed" and failed["overall"] is None
    assert failed["games_failed"] == 2 and "2 games failed" in failed["rule"]
    allowed = check(folder, judge_server, candidate="bad", reference="ref", allow_failed=True)
    assert allowed["exit_code"] == 1 and allowed["overall"]["n_questions"] == N - 1


@pytest.mark.parametrize(("signum", "flags", "candidate", "rerun_code"),
                         [(signal.SIGTERM, (), "bad", 1),
                          (signal.SIGINT, ("--sequential", "--batch-size", "4"), "coin", 4)],
                         ids=["sigterm", "ctrl-c-sequential"])
def test_a_check_stopped_by_a_signal_decides_nothing_and_the_rerun_goes_on(judge_server_process, folder, signum,
                                                                          flags, candidate, rerun_code):
    """A real signal to the CLI once 16 games are answered (of 80; 0.2 s per answer, 8 at a time). Ignored,
    the candidate that loses everywhere would be a regression (exit 1) on the 8 questions judged, reported as
    64 games "served from the store"; a sequential check of a candidate that never decides would go on to
    its next batches. Stopped, the check decides nothing and says so in every output, exits 128 + the signal,
    counts the calls made (SIGTERM's abandoned in flight too: the server got them; they were counted as never
    made) and none it did not make, and the same command goes on from the store."""
    server = judge_server_process("--latency-ms", "200")
    config = write_config(folder, server.base_url)
    environment = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key"}
    environment.pop("GITHUB_ACTIONS", None)
    args = ["check", "--config", str(config), "--candidate", candidate, "--reference", "ref", *flags,
            "--json", "check.json", "--junit", "junit.xml", "--summary", "check.md"]
    check = subprocess.Popen([sys.executable, "-m", "judgebench.cli", *args], cwd=folder, env=environment,
                             text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(server.log()) < 16 and check.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    check.send_signal(signum)
    stdout, stderr = check.communicate(timeout=120)
    assert check.returncode == 128 + signum, stdout + stderr
    assert "Traceback" not in stderr
    said = (f"stopped: interrupted by {signum.name}, no decision (what was judged is stored; run the same command "
            "again to go on)")
    assert said in stdout and said in (folder / "check.md").read_text()
    report = json.loads((folder / "check.json").read_text())
    # what was judged: the store's games (SIGTERM abandons the requests in flight; one whose answer was on its
    # way may have been answered without being stored)
    stored = set(ok_keys(folder / "store.sqlite"))
    assert stored <= set(judge_answered(server.log())) and len(stored) < 2 * N  # stopped early: no further batch
    assert report["decision"] == "stopped" and report["exit_code"] == 128 + signum and report["overall"] is None
    abandoned = report["judge_calls_abandoned"]
    assert (abandoned > 0) == (signum == signal.SIGTERM)  # Ctrl-C lets the requests on the wire finish
    assert report["judge_calls"] == len(stored) + abandoned and report["calls_from_store"] == 0
    assert len(server.log()) <= report["judge_calls"]  # every request the judge got (no retries here) is counted
    if abandoned:
        assert (f"Judge calls made: {len(stored) + abandoned} ({abandoned} of them abandoned in flight by the stop: "
                "not stored, sent again by the next run, tokens and cost not known); served from the store: 0;"
                in stdout)
    else:
        assert f"Judge calls made: {len(stored)}; served from the store: 0;" in stdout
    junit = JUnitXml.fromfile(str(folder / "junit.xml"))
    assert junit.errors == 1 and junit.failures == 0
    rerun = judgebench(*args, cwd=folder)
    assert rerun.returncode == rerun_code, rerun.stdout + rerun.stderr
    again = json.loads((folder / "check.json").read_text())
    assert again["calls_from_store"] == len(stored) and again["judge_calls"] == 2 * N - len(stored)
    assert {judge_answered(server.log())[key] for key in stored} == {1}  # what was stored was not asked again


def test_a_sequential_check_stopped_by_a_signal_says_how_many_questions_were_judged(judge_server, folder):
    """Ctrl-C as the third batch of 4 questions begins (so it sends nothing): the summary said "3 batches of up to 4
    questions judged, 0 of 40 questions" after 8 questions had been judged and stored (a user's report), since a
    stopped check counted no question judged. It says in which batch it stopped and what was judged."""
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "coin", "--reference", "ref", "--sequential",
                        "--batch-size", "4", "--summary", "check.md", "--json", "check.json", cwd=folder,
                        script=signal_at("judgebench", "check", "judge_questions", signal.SIGINT, call=3))
    assert result.returncode == 130, result.stdout + result.stderr
    assert sent(judge_server) == 2 * 8 and len(ok_keys(folder / "store.sqlite")) == 2 * 8
    said = "Sequential: stopped in batch 3 (4 questions a batch); 8 of 40 questions judged."
    assert said in result.stdout and said in (folder / "check.md").read_text()
    data = json.loads((folder / "check.json").read_text())  # for a script: the JSON had no count of them
    assert (data["decision"], data["batches"], data["questions_judged"]) == ("stopped", 3, 8)


def test_a_sequential_check_stopped_as_it_decides_says_its_judging_had_ended(judge_server, folder):
    """SIGTERM once the fifth batch of 4 questions decided the check (a clear regression), while it computes its
    decision: the summary said "stopped in batch 5 ...", as if the signal had cut that batch short. It says the
    batches were judged and that the signal came as the check decided, and exits 143 with no decision."""
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", "--sequential",
                        "--batch-size", "4", "--summary", "check.md", "--json", "check.json", cwd=folder,
                        script=signal_at("judgebench", "check", "summarise", signal.SIGTERM))
    assert result.returncode == 143, result.stdout + result.stderr
    assert sent(judge_server) == 2 * 20 and len(ok_keys(folder / "store.sqlite")) == 2 * 20
    said = ("Sequential: 5 batches of 4 questions judged, 20 of 40 questions; judging had ended when SIGTERM "
            "stopped the check as it decided.")
    assert said in result.stdout and said in (folder / "check.md").read_text()
    assert "stopped in batch" not in result.stdout
    data = json.loads((folder / "check.json").read_text())
    assert (data["decision"], data["exit_code"], data["batches"], data["questions_judged"]) == ("stopped", 143, 5, 20)


def test_a_check_that_reuses_judgments_of_another_server_says_so_as_run_does(judge_server, folder):
    """A check judged by another server at the same model name (reuse_other_servers allows it) reused the first
    server's judgments without a word, where `run` notes them. It says the same note now, on stderr and in the
    report's notes, counting each stored judgment once though each batch of a sequential check reads those of the
    batches before it (16 games: 2 batches of 4 questions, both orders)."""
    args = ["--candidate", "coin", "--reference", "ref", "--sequential", "--batch-size", "4", "--max-questions", "8"]
    first = judgebench("check", "--config", str(write_config(folder, judge_server.base_url)), *args, cwd=folder)
    assert first.returncode == 4 and "reused judgments" not in first.stderr, first.stdout + first.stderr
    other = JudgeServer().start()  # the same model name at another address: another judge, allowed here
    try:
        config = write_config(folder, other.base_url, name="other.toml")
        config.write_text(config.read_text().replace("[run]\n", "[run]\nreuse_other_servers = true\n"))
        again = judgebench("check", "--config", str(config), *args, cwd=folder)
        report = run_check(load_config(config), CheckOptions(candidate="coin", reference="ref", sequential=True,
                                                             batch_size=4, max_questions=8))
    finally:
        other.stop()
    note = (f"reused judgments made by other servers (16 by {judge_server.base_url}); the judge asked now is "
            f"{other.base_url}")
    reused = [line for line in again.stderr.splitlines() if line.startswith("note: reused judgments")]
    assert again.returncode == 4 and reused == [f"note: {note}"], again.stderr  # once, for every batch
    # and in the summary a job's page shows, and in the JSON
    assert f"Note: {note}." in again.stdout.splitlines() and note in report.to_json()["notes"]
    assert [n for n in report.notes if n.startswith("reused judgments")] == [note]
    assert not other.log  # nothing was sent to the other server


def test_a_check_of_edited_answers_notes_what_its_user_can_do_and_diagnose_takes_latest(judge_server, folder):
    """A check of edited answers on a store an earlier check wrote: its note pointed at `leaderboard --results DIR`
    "this run's results", which a check never writes, and `diagnose --store` refused the mixed store pointing at
    --latest, which diagnose did not take. The note offers what exists; diagnose --latest takes each game's
    latest judgment (the edited answers') and its refusal names it."""
    args = ["--candidate", "coin", "--reference", "ref", "--max-questions", "8"]
    first = judgebench("check", "--config", str(write_config(folder, judge_server.base_url)), *args, cwd=folder)
    assert first.returncode == 4 and "judged before" not in first.stderr, first.stdout + first.stderr
    answers = (folder / "answers.jsonl").read_text()
    (folder / "edited.jsonl").write_text(answers.replace("by coin.", "by coin, edited."))
    edited = write_config(folder, judge_server.base_url, name="edited.toml", answers="edited.jsonl")
    again = judgebench("check", "--config", str(edited), *args, cwd=folder)
    note = next(line for line in again.stderr.splitlines() if "judged before with another prompt" in line)
    assert note.startswith("note: 16 games judged now were judged before"), again.stderr
    assert "--latest takes each game's latest judgment; or judge each version in its own --store" in note
    assert "--results" not in note and "--results" not in again.stdout
    mixed = judgebench("diagnose", "--store", "store.sqlite", cwd=folder)
    assert mixed.returncode == 2 and "`leaderboard`, `report` and `diagnose` take it" in mixed.stderr, mixed.stderr
    latest = judgebench("diagnose", "--store", "store.sqlite", "--latest", "--out", "dd", cwd=folder)
    assert latest.returncode == 0, latest.stderr
    figures = json.loads((folder / "dd" / "diagnostics.json").read_text())
    assert figures["n_games"] == 16  # the edited answers' 16 games, not 32


# Output paths: checked before the first judge call, and never a traceback or an internal error after it.


@pytest.mark.parametrize(("flag", "path", "message"), [
    ("--json", "results", "--json results is a directory: give a file path, such as results/check.json"),
    ("--junit", "out/newdir/", "--junit out/newdir/ is a directory: give a file path, such as out/newdir/junit.xml"),
    ("--summary", "blocker/summary.md",
     "the folder of --summary blocker is a file, not a directory: choose a directory path"),
    ("--json", "-", "--json - would be a file named '-': give a file path, such as check.json (the summary is "
                    "printed on standard output)"),
], ids=["a-directory", "a-trailing-slash", "a-file-in-the-way", "standard-output"])
def test_an_output_path_that_cannot_be_written_exits_2_before_any_judge_call(judge_server, folder, flag, path,
                                                                             message):
    (folder / "results").mkdir()
    (folder / "blocker").write_text("a file where a folder should be\n")
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", flag, path,
                        cwd=folder)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"error: {message}" and result.stdout == ""
    assert sent(judge_server) == 0
    assert not (folder / "out" / "newdir").exists()  # not even the file a trailing slash used to give
    assert not (folder / "-").exists()


@pytest.mark.parametrize("variable", ["GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"])
def test_an_unwritable_step_file_exits_2_before_any_judge_call(judge_server, folder, variable):
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        cwd=folder, env={"GITHUB_ACTIONS": "true", variable: "/nonexistent/x.md"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (f"error: ${variable} is /nonexistent/x.md, which cannot be written (No "
                                              "such file or directory): point it at a file this job can write, or "
                                              "unset it to skip that output")
    assert sent(judge_server) == 0


def test_a_step_summary_that_fails_at_the_end_exits_5_and_the_decision_is_still_shown(judge_server, folder):
    """The step summary becomes a directory while the check judges (the server's first answer does that): the
    check's files are written, its decision printed, then one error naming the file and exit 5 (not 70)."""
    step_summary = folder / "step-summary.md"
    normal = quality_rule()

    def in_the_way(request):
        if step_summary.is_file():
            step_summary.unlink()
            step_summary.mkdir()
        return normal(request)

    judge_server.rule = in_the_way
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", cwd=folder,
                        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step_summary)})
    assert result.returncode == 5, result.stderr
    assert result.stderr.splitlines()[-1] == (f"error: cannot append to {step_summary}: it is a directory: give a "
                                              "file path, then run the same command again")
    assert "## judgebench check" in result.stdout and "regression: with 95% confidence" in result.stdout
    assert json.loads((folder / "check.json").read_text())["decision"] == "regression"


@pytest.mark.parametrize(("full", "other"), [("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"),
                                             ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")])
def test_a_step_file_on_a_full_disk_exits_5_after_every_other_output_is_written(judge_server, folder, full, other):
    """One step file is /dev/full (it opens, so the check runs, but every write fails: a full disk): exit 5
    naming it, and every other output still says the decision: the JSON, JUnit, the other step file, the
    summary and the ::error annotations on stdout."""
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", "--junit", "junit.xml", cwd=folder,
                        env={"GITHUB_ACTIONS": "true", full: "/dev/full", other: str(folder / "step-file")})
    assert result.returncode == 5, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: cannot append to /dev/full: ")
    assert json.loads((folder / "check.json").read_text())["decision"] == "regression"
    assert JUnitXml.fromfile(str(folder / "junit.xml")).failures == 1
    written = (folder / "step-file").read_text()
    assert (written.startswith("decision=regression\nexit_code=1\n") if other == "GITHUB_OUTPUT"
            else written.startswith("## judgebench check: ❌ regression\n"))
    assert result.stdout.startswith("## judgebench check: ❌ regression\n")
    assert "\n::error title=judgebench check::regression: with 95%25 confidence" in result.stdout


# Files of an earlier check: never left to pass for this check's result.

EARLIER = {"check.json": json.dumps({"decision": "pass", "exit_code": 0}), "junit.xml": "<testsuite tests=\"1\"/>",
           "check.md": "## judgebench check: pass\n"}
OUTPUT_FLAGS = ("--json", "check.json", "--junit", "junit.xml", "--summary", "check.md")


def test_a_note_on_the_inputs_is_said_once_before_judging(judge_server, folder):
    """`check` said nothing of references its template does not show (run noted them, after judging)."""
    (folder / "refs.jsonl").write_text(json.dumps({"question_id": "q00", "model_id": "gpt-4",
                                                   "choices": [{"index": 0, "turns": ["Ref."]}]}) + "\n")
    config = write_config(folder, judge_server.base_url)
    config.write_text(config.read_text().replace("[data]\n", '[data]\nreferences = "refs.jsonl"\n')
                      .replace("progress = false", "progress = true"))
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", cwd=folder)
    assert result.returncode == 1, result.stderr
    said = "refs.jsonl are not used: template 'pairwise-5' does not show the judge reference answers"
    assert result.stderr.count(said) == 1, result.stderr
    assert result.stderr.index(said) < result.stderr.index("judging 80 games"), result.stderr


def write_earlier_outputs(folder: Path) -> None:
    for name, text in EARLIER.items():
        (folder / name).write_text(text)


def test_a_check_stopped_while_its_data_loads_replaces_an_earlier_checks_files(judge_server, folder):
    """SIGTERM while the answers are read (before any judging): exit 143, and every file says stopped (the
    files a passing check left there said pass)."""
    write_earlier_outputs(folder)
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", *OUTPUT_FLAGS,
                        cwd=folder, script=signal_at("judgebench", "datasets", "load_dataset", signal.SIGTERM))
    assert result.returncode == 143, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and sent(judge_server) == 0
    said = "stopped: interrupted by SIGTERM, no decision"
    report = json.loads((folder / "check.json").read_text())
    assert report["decision"] == "stopped" and report["exit_code"] == 143 and report["rule"].startswith(said)
    assert said in (folder / "check.md").read_text()
    junit = JUnitXml.fromfile(str(folder / "junit.xml"))
    assert junit.errors == 1 and junit.failures == 0 and said in (folder / "junit.xml").read_text()


def test_a_check_stopped_before_it_writes_its_state_leaves_no_earlier_checks_files(judge_server, folder):
    """Ctrl-C in the first seconds (the check's modules loading, its output paths checked) ended the check with
    exit 130 and left an earlier check's files saying pass (a user's audit: `timeout -s INT 1.2 judgebench
    check ... --json gate.json` kept "decision": "pass"). They are removed first now."""
    write_earlier_outputs(folder)
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", *OUTPUT_FLAGS,
                        cwd=folder, script=signal_at("judgebench.check", "OutputPaths", "prepare", signal.SIGINT))
    assert result.returncode == 130, result.stdout + result.stderr
    assert not any((folder / name).exists() for name in OUTPUT_FLAGS[1::2]) and sent(judge_server) == 0


def test_a_check_ended_by_an_error_replaces_an_earlier_checks_files(judge_server, folder):
    """An unreachable judge ends the check with exit 2 after it began: every file, and the step summary, says
    error and why; under GitHub Actions an `::error::` says it (there was none: only decided checks had one), the
    JUnit case is the candidate's as a decided one's is, and the JSON holds every key a decided one holds (null
    where not known: it held 6, and a script reading `batches` ended in a KeyError)."""
    write_earlier_outputs(folder)
    config = write_config(folder, "http://127.0.0.1:9/v1")  # nothing listens on the discard port
    step_summary, step_outputs = folder / "step-summary.md", folder / "step-outputs.txt"
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", *OUTPUT_FLAGS,
                        cwd=folder, env={"GITHUB_STEP_SUMMARY": str(step_summary), "GITHUB_OUTPUT": str(step_outputs),
                                         "GITHUB_ACTIONS": "true"})
    assert result.returncode == 2, result.stdout + result.stderr
    message = result.stderr.splitlines()[-1].removeprefix("error: ")
    assert message.startswith("could not connect to the judge server at http://127.0.0.1:9/v1"), message
    assert "that --base-url (host, port, http/https) is right" in message  # the flag check has for it
    assert f"::error title=judgebench check::error: {message}" in result.stdout.splitlines()
    report = json.loads((folder / "check.json").read_text())
    assert (report["decision"], report["exit_code"], report["rule"]) == ("error", 2, f"error: {message}")
    assert report["batches"] is None and report["judge_calls"] is None and report["overall"] is None
    for summary in ((folder / "check.md").read_text(), step_summary.read_text()):
        assert summary.startswith("## judgebench check: error") and f"error: {message}" in summary
    junit = JUnitXml.fromfile(str(folder / "junit.xml"))
    assert junit.errors == 1 and junit.failures == 0 and message in (folder / "junit.xml").read_text()
    assert next(iter(next(iter(junit)))).classname == "judgebench.check.bad"
    assert step_outputs.read_text().startswith("decision=error\nexit_code=2\nmean=\n")


@pytest.mark.parametrize("mistake, said", [(("--margin", "5%"), "Invalid value for '--margin': expected a number"),
                                           (("--bogus",), "No such option: --bogus"),
                                           ((), "Missing option '--candidate'"),
                                           (("--batch-size", "10"), "--batch-size applies to a sequential check "
                                                                    "only: add --sequential, or leave it out")])
def test_a_command_line_click_refuses_replaces_an_earlier_checks_files(folder, mistake, said):
    """Usage errors click finds while parsing (before the check's own code runs) left an earlier check's passing
    files in place: the helper's trial kept `"decision": "pass"` after `--margin 5%`. Under GitHub Actions an
    `::error::` says it too."""
    write_earlier_outputs(folder)
    candidate = () if not mistake else ("--candidate", "bad")
    result = judgebench("check", "--config", "check.toml", *candidate, "--reference", "ref", *mistake,
                        *OUTPUT_FLAGS, cwd=folder, env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert result.stdout.startswith("::error title=judgebench check::error: ") and said in result.stdout, result.stderr
    report = json.loads((folder / "check.json").read_text())
    assert (report["decision"], report["exit_code"]) == ("error", 2) and said in report["rule"]
    assert (folder / "check.md").read_text().startswith("## judgebench check: error")
    junit = JUnitXml.fromfile(str(folder / "junit.xml"))
    assert junit.errors == 1 and junit.failures == 0 and said in (folder / "junit.xml").read_text()


@pytest.mark.parametrize("refused", ["--junit", "GITHUB_STEP_SUMMARY"])
def test_a_refused_output_path_replaces_an_earlier_checks_files_at_the_other_paths(judge_server, folder, refused):
    """One output path is refused (--junit a directory, or $GITHUB_STEP_SUMMARY in a missing folder): exit 2
    before any judge call, and the outputs at the paths that can be written say error and why, not the pass an
    earlier check left there."""
    write_earlier_outputs(folder)
    (folder / "results").mkdir()
    step_summary = str(folder / "no-such-folder" / "step-summary.md") if refused == "GITHUB_STEP_SUMMARY" \
        else str(folder / "step-summary.md")
    junit = "results" if refused == "--junit" else "junit.xml"
    step_outputs = folder / "step-outputs.txt"
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", "--summary", "check.md", "--junit", junit, cwd=folder,
                        env={"GITHUB_STEP_SUMMARY": step_summary, "GITHUB_OUTPUT": str(step_outputs)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert sent(judge_server) == 0 and "Traceback" not in result.stderr
    message = result.stderr.splitlines()[-1].removeprefix("error: ")
    expected = ("--junit results is a directory: give a file path, such as results/junit.xml" if refused == "--junit"
                else f"$GITHUB_STEP_SUMMARY is {step_summary}, which cannot be written (No such file or directory): "
                     "point it at a file this job can write, or unset it to skip that output")
    assert message == expected
    report = json.loads((folder / "check.json").read_text())
    assert (report["decision"], report["exit_code"], report["rule"]) == ("error", 2, f"error: {message}")
    assert (folder / "check.md").read_text().startswith("## judgebench check: error")
    assert step_outputs.read_text() == "decision=error\nexit_code=2\nmean=\nlower=\nupper=\nn_questions=\n"
    if refused == "--junit":
        assert (folder / "step-summary.md").read_text().startswith("## judgebench check: error")
    else:
        assert JUnitXml.fromfile(str(folder / "junit.xml")).errors == 1


# What check shows while it judges, and why it could not decide.


def test_check_shows_progress_waits_and_retries_as_run_does(judge_server, folder):
    """[run] progress (on by default) in a log: plain lines as judging starts and per tenth of the games, and the
    server's rate limit (a wait it asked for) and error (a retry) as they happen; stdout stays the summary."""
    judge_server.add_fault("429", requests={0}, retry_after=0.1)
    judge_server.add_fault("500", requests={1})
    config = write_config(folder, judge_server.base_url)
    config.write_text(config.read_text().replace("progress = false\n", ""))
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", cwd=folder)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert f"judging {2 * N} games" in lines
    assert any(line.startswith(f"judged {2 * N} of {2 * N} games (100%)") for line in lines), lines
    waited = r"server asked to wait 0\.1 s \(HTTP 429\); waiting 0\.1\d* s"  # the wait and its jitter
    assert any(re.fullmatch(waited, line) for line in lines), lines
    assert any(line.startswith("HTTP 500 from the judge server: scripted 500; retrying in ") for line in lines), lines
    assert result.stdout.startswith("## judgebench check")


def test_games_refused_as_sent_point_the_gate_to_allow_failed_not_to_a_rerun(judge_server, folder):
    """A 400 (a prompt over the judge's context) fails again on every rerun: the rule said "run again to retry
    them", and a CI job rerun failed the same way. It now says so, beside --allow-failed, which decides; the
    setting that shortens answers is named as check's config file sets it (check has no flag for it)."""
    judge_server.add_fault("400", match=lambda request: "Question number 3?" in request.text)
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", cwd=folder)
    assert result.returncode == 3, result.stderr
    rule = json.loads((folder / "check.json").read_text())["rule"]
    assert "run again to retry them" not in rule
    assert rule.endswith("; the judge refused their requests as sent: a rerun sends such a request unchanged and "
                         "fails it again. Most often the prompt is over the judge's context length: shorten those "
                         "answers (with the vLLM engine, [judging] truncate_answers = true does), or use a judge "
                         "with a longer context (or --allow-failed to decide on the complete questions)"), rule
    allowed = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                         "--allow-failed", cwd=folder)
    assert allowed.returncode in (0, 1), allowed.stderr  # a decision on the questions judged completely


def test_failed_games_say_why_there_is_no_decision(judge_server, folder):
    judge_server.add_fault("503", match=lambda request: "Question number 3?" in request.text)
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", "--junit", "junit.xml", cwd=folder)
    assert result.returncode == 3, result.stderr
    rule = json.loads((folder / "check.json").read_text())["rule"]
    assert rule.startswith("no decision: 2 games failed (2 × HTTP 503 from the judge server: scripted 503 (after 2 "
                           "attempts)); run again to retry them"), rule
    assert rule in result.stdout
    # an error of the check's run, not a failure (which reads as a regression found), under the candidate's class
    junit = JUnitXml.fromfile(str(folder / "junit.xml"))
    assert junit.errors == 1 and junit.failures == 0
    assert 'classname="judgebench.check.bad"' in (folder / "junit.xml").read_text()


# Missing answers, and messages that name check's own flags and settings.


def test_check_skips_missing_answers_with_allow_missing_and_ignores_other_models_gaps(judge_server, folder):
    """bad has no answer to five questions; "other", a model the check does not judge, answers one question. The
    error names check's own --allow-missing (it had none, and named run's), which then skips those questions;
    other's gaps never stop a check of bad or of same."""
    rows = [json.loads(line) for line in (folder / "answers.jsonl").read_text().splitlines()]
    kept = [row for row in rows if not (row["model"] == "bad" and row["question_id"] < "q05")]
    kept.append({"question_id": "q00", "model": "other", "turns": ["Answer 0 by other. QUALITY=9"]})
    (folder / "gaps.jsonl").write_text("".join(json.dumps(row) + "\n" for row in kept))
    config = write_config(folder, judge_server.base_url, answers="gaps.jsonl")
    args = ("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", "--json", "check.json")
    refused = judgebench(*args, cwd=folder)
    assert refused.returncode == 2, refused.stderr
    assert "model 'bad' has no answer for 5 of 40 questions" in refused.stderr
    assert "add the missing answers, or set --allow-missing to skip those questions for that model" in refused.stderr
    assert "'other'" not in refused.stderr and sent(judge_server) == 0
    skipped = judgebench(*args, "--allow-missing", cwd=folder)
    assert skipped.returncode == 1, skipped.stderr
    assert json.loads((folder / "check.json").read_text())["overall"]["n_questions"] == N - 5
    same = judgebench("check", "--config", str(config), "--candidate", "same", "--reference", "ref", cwd=folder)
    assert same.returncode == 0, same.stderr


def test_check_takes_runs_judge_template_and_store_flags_over_its_config(judge_server, folder):
    """A CI job that checks with another judge or server, or keeps its store elsewhere, gives run's flags: the
    config's judge (a server nothing listens on) and store are not used. A message about a setting names the
    flag check has for it, as run's do."""
    config = write_config(folder, "http://127.0.0.1:9/v1", judge="no-such-judge")
    args = ("check", "--config", str(config), "--candidate", "same", "--reference", "ref")
    done = judgebench(*args, "--base-url", judge_server.base_url, "--judge-model", "test-judge",
                      "--store", "elsewhere.sqlite", "--template", "pairwise-5", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert (folder / "elsewhere.sqlite").is_file() and not (folder / "store.sqlite").exists()
    assert {entry.model for entry in judge_server.log} == {"test-judge"} and len(judge_server.log) == 2 * N
    (folder / "busy.sqlite").mkdir()
    store = judgebench(*args, "--base-url", judge_server.base_url, "--store", "busy.sqlite", cwd=folder)
    assert store.returncode == 5, store.stderr
    assert "or choose another --store, then run the same command again" in store.stderr
    bad_url = judgebench(*args, "--base-url", "http://127.0.0.1:99999/v1", cwd=folder)
    assert bad_url.returncode == 2, bad_url.stderr
    assert "which is not a number from 1 to 65535: check --base-url" in bad_url.stderr


def test_a_candidate_that_is_the_runs_baseline_is_refused_saying_so(judge_server, folder):
    """The reviewer's case: a reference run whose baseline is the candidate. It said "only 0 question(s) could be
    scored"."""
    run = write_config(folder, judge_server.base_url, name="run.toml", models=["bad", "ref"])
    run.write_text(run.read_text().replace('baseline = "base"', 'baseline = "bad"'))
    assert evaluate(load_config(run), out=folder / "reference-run").exit_code == 0
    before = sent(judge_server)
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--against", "reference-run",
                        cwd=folder)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: the candidate 'bad' is the baseline of the run reference-run, so each of its games there would be "
        "against itself: check another candidate, or make the reference run with another baseline (the model the "
        "candidate is to replace, say)")
    assert sent(judge_server) == before


# The CI recipes' cache of the store, after a job killed outright.

ROOT = Path(__file__).resolve().parents[1]
CHECK_STORE = "results/check/judgments.sqlite"  # where the README's recipes keep it


def cached_store_pattern() -> str:
    """What the README's GitHub Actions and GitLab CI recipes cache of the store (one glob pattern, the same in
    both)."""
    readme = (ROOT / "README.md").read_text()
    github = set(re.findall(r"uses: actions/cache/\w+@v4.*\n\s+(?:if: .*\n\s+)?with:\n\s+path: (\S+)", readme))
    gitlab = set(re.findall(r"\n\s+cache:\n\s+key: .*\n\s+paths: \[(\S+)\]", readme))
    assert len(github) == 1 and github == gitlab, (github, gitlab)
    return github.pop()


def copy_cache(source: Path, target: Path, pattern: str) -> None:
    """Copy the files matching `pattern` from `source` to the same places under `target` (what a CI cache saves
    and the next job restores)."""
    for path in source.glob(pattern):
        relative = path.relative_to(source)
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / relative)


def check_config(folder: Path, base_url: str) -> Path:
    config = write_config(folder, base_url)
    config.write_text(config.read_text().replace('store = "store.sqlite"', f'store = "{CHECK_STORE}"'))
    return config


def test_the_readme_cache_recipe_keeps_what_a_killed_check_judged(judge_server_process, tmp_path):
    """A check killed with SIGKILL (an OOM kill, a hard timeout) once 16 games are stored; the next job starts in
    a fresh folder with only what the README's recipes cache. It sends none of the stored games again. The store
    file alone held nothing (every judgment was in judgments.sqlite-wal), which the recipes cached alone."""
    server = judge_server_process("--latency-ms", "200")
    killed, fresh = tmp_path / "killed", tmp_path / "fresh"
    for folder in (killed, fresh):
        folder.mkdir()
        write_data(folder)
    environment = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key"}
    args = ["--candidate", "bad", "--reference", "ref", "--json", "check.json"]
    check = subprocess.Popen([sys.executable, "-m", "judgebench.cli", "check", "--config",
                              str(check_config(killed, server.base_url)), *args], cwd=killed, env=environment,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(ok_keys(killed / CHECK_STORE)) < 16 and check.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    check.kill()
    check.wait(timeout=30)
    assert json.loads((killed / "check.json").read_text())["decision"] == "running"  # never an earlier result
    copy_cache(killed, fresh, cached_store_pattern())
    restored = set(ok_keys(fresh / CHECK_STORE))
    assert 16 <= len(restored) < 2 * N
    rerun = judgebench("check", "--config", str(check_config(fresh, server.base_url)), *args, cwd=fresh)
    assert rerun.returncode == 1, rerun.stderr
    assert {judge_answered(server.log())[key] for key in restored} == {1}  # not one of them asked again
    assert json.loads((fresh / "check.json").read_text())["calls_from_store"] == len(restored)


def test_the_store_file_alone_holds_every_batch_a_killed_check_finished(judge_server, folder):
    """Batches of 8 games: the check is killed (SIGKILL) as it claims its third batch. The store file without its
    -wal holds the 16 games of the first two: the run folded the log into the file after each batch."""
    config = check_config(folder, judge_server.base_url)
    script = ("from judgebench.runner import Sharing\nSharing.batch_for = lambda self, judge: 8\n"
              + signal_at("judgebench.store", "Store", "claim", signal.SIGKILL, call=3))
    killed = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", cwd=folder,
                        script=script)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (folder / f"{CHECK_STORE}-wal").exists()  # killed: the log was not folded in and removed at close
    shutil.copy2(folder / CHECK_STORE, folder / "file-alone.sqlite")
    assert len(ok_keys(folder / "file-alone.sqlite")) == 16

# The CI reviewer's setup: four categories of twelve questions; cand-mixed is worse than current on coding only
# (quality 2 against 5) and better on the rest (7), so it passes overall with one regressed category.

CATEGORIES = ("coding", "math", "writing", "reasoning")


def write_mixed(folder: Path, *, without: int = 0) -> None:
    """The reviewer's questions and answers of current and cand-mixed in `folder`; cand-mixed has no answer to
    the last `without` questions."""
    questions = [(f"{c[:3]}-{i:02d}", c) for c in CATEGORIES for i in range(1, 13)]
    missing = {q for q, _ in questions[len(questions) - without:]}
    (folder / "mixed-questions.jsonl").write_text("".join(
        json.dumps({"question_id": q, "category": c, "turns": [f"Help with {q}."]}) + "\n" for q, c in questions))
    quality = {"current": lambda category: 5, "cand-mixed": lambda category: 2 if category == "coding" else 7}
    (folder / "mixed-answers.jsonl").write_text("".join(
        json.dumps({"question_id": q, "model": m, "turns": [f"{m} on {q}. QUALITY={quality[m](c)}"]}) + "\n"
        for m in quality for q, c in questions if not (m == "cand-mixed" and q in missing)))


def mixed_config(folder: Path, base_url: str, more: str = "") -> Path:
    """A check config for the data of `write_mixed` on the scripted server; `more`: further [data] lines."""
    path = folder / "mixed.toml"
    path.write_text(f'[data]\nquestions = "mixed-questions.jsonl"\nanswers = ["mixed-answers.jsonl"]\n{more}'
                    f'[judge]\nengine = "openai"\nmodel = "test-judge"\nbase_url = "{base_url}"\n'
                    '[run]\nstore = "mixed.sqlite"\n')
    return path


def gate(folder: Path, config: Path, *flags: str) -> tuple[subprocess.CompletedProcess[str], dict, str]:
    """`check` of cand-mixed against current under GitHub Actions, with every output; returns the process, the
    JSON, and what it appended to $GITHUB_OUTPUT. The JUnit file is folder/out/junit.xml."""
    for name in ("step-summary.md", "step-outputs.txt"):
        (folder / name).write_text("")
    result = judgebench("check", "--config", str(config), "--candidate", "cand-mixed", "--reference", "current",
                        *flags, "--junit", "out/junit.xml", "--json", "out/check.json", "--summary", "out/summary.md",
                        cwd=folder, env={"GITHUB_ACTIONS": "true",
                                         "GITHUB_STEP_SUMMARY": str(folder / "step-summary.md"),
                                         "GITHUB_OUTPUT": str(folder / "step-outputs.txt")})
    assert "Traceback" not in result.stderr
    summary = (folder / "out" / "summary.md").read_text()
    assert summary in result.stdout and summary in (folder / "step-summary.md").read_text()
    return result, json.loads((folder / "out" / "check.json").read_text()), (folder / "step-outputs.txt").read_text()


def test_a_regressed_category_fails_the_check_only_under_fail_on_any_category(judge_server, tmp_path):
    """The exit code, the heading (stdout, --summary, step summary), the JSON, the step outputs, the JUnit test
    cases and the annotations say one decision, in both directions: by default the check passes and coding's
    regression is a warning (a skipped test case, not a failure on a green job); with --fail-on any-category it
    is a regression because of coding, though the overall result passes."""
    write_mixed(tmp_path)
    config = mixed_config(tmp_path, judge_server.base_url)
    result, report, outputs = gate(tmp_path, config)
    assert result.returncode == 0, result.stderr
    assert sent(judge_server) == 2 * 48
    assert result.stdout.startswith("## judgebench check: ✅ pass\n")
    assert (report["decision"], report["reason"], report["exit_code"]) == ("pass", None, 0)
    assert report["regressed_categories"] == ["coding"] and report["failing_categories"] == []
    assert outputs.startswith("decision=pass\nexit_code=0\nmean=0.75\n")
    suite = JUnitXml.fromfile(str(tmp_path / "out" / "junit.xml"))
    assert (suite.failures, suite.errors, suite.skipped) == (0, 0, 1)
    coding = next(case for case in next(iter(suite)) if case.name == "coding")
    assert isinstance(coding.result[0], Skipped) and "not failing the check" in coding.result[0].message
    assert "::error" not in result.stdout
    assert ("::warning title=judgebench check::category coding: regression, not failing the check: it fails on the "
            "overall result (--fail-on overall)") in result.stdout

    result, report, outputs = gate(tmp_path, config, "--fail-on", "any-category")
    assert result.returncode == 1, result.stderr
    assert sent(judge_server) == 2 * 48  # the same games, from the store
    because = "category coding regressed, which fails the check (--fail-on any-category)"
    assert result.stdout.startswith(f"## judgebench check: ❌ regression: {because}\n")
    assert (report["decision"], report["reason"], report["exit_code"]) == ("regression", because, 1)
    assert report["overall"]["decision"] == "pass" and report["failing_categories"] == ["coding"]
    assert outputs.startswith("decision=regression\nexit_code=1\nmean=0.75\n")
    suite = JUnitXml.fromfile(str(tmp_path / "out" / "junit.xml"))
    assert (suite.failures, suite.errors, suite.skipped) == (1, 0, 0)
    failed = [case.name for case in next(iter(suite)) if case.result and isinstance(case.result[0], Failure)]
    assert failed == ["coding"]
    assert f"::error title=judgebench check::regression: {because}. Overall, pass: with 95%25 confidence" \
        in result.stdout


def test_questions_skipped_for_want_of_an_answer_are_said_in_every_output(judge_server, tmp_path):
    write_mixed(tmp_path, without=5)
    config = mixed_config(tmp_path, judge_server.base_url, more="allow_missing = true\n")  # the file, not the flag
    result, report, outputs = gate(tmp_path, config)
    assert result.returncode == 0, result.stderr
    said = "5 of 48 questions skipped: no answer from cand-mixed to 5 questions (--allow-missing)"
    assert f"⚠️ {said}." in result.stdout and f"::warning title=judgebench check::{said}" in result.stdout
    assert report["overall"]["n_questions"] == 43 and "n_questions=43\n" in outputs
    assert (report["questions_total"], report["questions_available"]) == (48, 43)
    assert report["skipped_questions"] == {"cand-mixed": 5}
    overall = next(iter(next(iter(JUnitXml.fromfile(str(tmp_path / "out" / "junit.xml"))))))
    assert overall.name == "overall" and overall.system_out == said


def test_check_decides_at_the_config_confidence_and_names_the_settings_it_does_not_use(judge_server, tmp_path):
    """[ratings] confidence sets the level unless --confidence does; [data] models, [judging] pairs, baseline and
    opponents and [ratings] rounds (a `run` config) do not apply to a check, which says so in one note and goes
    on (its own pairs clear the opponents, refused with pairs other than sample)."""
    write_mixed(tmp_path)
    config = mixed_config(tmp_path, judge_server.base_url, more='models = ["current"]\n')
    config.write_text(config.read_text() + '[judging]\npairs = "sample"\nbaseline = "current"\nopponents = 2\n'
                                           '[ratings]\nconfidence = 0.8\nrounds = 50\n')
    result, report, _ = gate(tmp_path, config)
    assert result.returncode == 0, result.stderr
    assert report["confidence"] == 0.8 and report["rule"].startswith("pass: with 80% confidence")
    assert f"note: {config}: check does not use [data] models, [judging] pairs, [judging] baseline, [judging] " \
           "opponents, [ratings] rounds: it judges --candidate against --reference" in result.stderr
    given, report, _ = gate(tmp_path, config, "--confidence", "0.9")
    assert given.returncode == 0, given.stderr
    assert report["confidence"] == 0.9 and report["rule"].startswith("pass: with 90% confidence")


# -- a judge that cannot tell the answers apart, and one that gives no verdict -----------------------------


def test_a_judge_that_prefers_the_first_answer_cannot_pass_a_worse_candidate(judge_server, folder):
    """A judge that always prefers the first answer: the two orders of every question disagree, each question
    scores a tie (0.5), and 40 such ties passed a candidate that is worse everywhere with 95% confidence. Now
    the pass is undecided (exit 4) and every output says why; the same judge still finds nothing to fail."""
    judge_server.rule = constant_rule("I prefer the first answer. [[A>B]]")
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", "--junit", "junit.xml", cwd=folder, env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 4, result.stderr
    report = json.loads((folder / "check.json").read_text())
    assert report["overall"]["decision"] == "pass" and report["decision"] == "undecided"
    assert report["questions_orders_disagree"] == report["questions_both_orders"] == N
    why = (f"the judge's verdict flipped with the order of the answers on {N} of {N} questions (100%); each counts "
           "as a tie, so the pass rests on the judge's position bias, not on the answers")
    assert report["reason"].startswith(why)
    said = " ".join(result.stdout.split())
    assert said.startswith(f"## judgebench check: ⚠️ undecided: {why}") and "::error title=judgebench check::" in said
    case = next(iter(next(iter(JUnitXml.fromfile(str(folder / "junit.xml"))))))
    assert case.name == "overall" and isinstance(case.result[0], Skipped) and why in case.result[0].message


def test_an_undecided_check_of_a_judge_calling_every_game_a_tie_says_more_questions_would_pass_on_ties(
        judge_server, folder):
    """The audit's case: 20 questions all tied are undecided, and the advice to judge more questions did not say
    that the pass they would bring rests on ties alone."""
    judge_server.rule = constant_rule("They are equally good. [[A=B]]")
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--max-questions", "20", "--json", "check.json", cwd=folder)
    assert result.returncode == 4, result.stderr
    rule = json.loads((folder / "check.json").read_text())["rule"]
    assert rule.startswith("undecided: ") and "would likely decide it" in rule
    assert rule.endswith("; but the judge called 40 of 40 games a tie (100%): a pass would rest on ties, not on "
                         "answers the judge told apart (judgebench diagnose measures its ties)")
    assert rule in " ".join(result.stdout.split())


def test_a_pass_that_rests_on_a_judge_calling_every_game_a_tie_says_so_in_every_output(judge_server, folder):
    """A judge that calls every game a tie scores every question 0.5 and passed a candidate worse everywhere
    (measured 50.0%, exit 0) without a word. It still passes (an equal candidate ties too), but every output says
    that the pass rests on ties: no question the judge told apart carries it."""
    judge_server.rule = constant_rule("They are equally good. [[A=B]]")
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", cwd=folder, env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 0, result.stderr
    report = json.loads((folder / "check.json").read_text())
    assert report["decision"] == report["overall"]["decision"] == "pass" and report["pass_rests_on_ties"] is True
    assert (report["games_tied"], report["games_judged"]) == (2 * N, 2 * N)
    why = (f"the judge called {2 * N} of {2 * N} games a tie (100%), so the pass rests on ties: had the candidate "
           "lost every question the judge did not tie, it would measure 50.0% and still pass")
    assert report["reason"].startswith(why)
    said = " ".join(result.stdout.split())
    assert said.startswith(f"## judgebench check: ✅ pass: {why}")
    assert f"::warning title=judgebench check::pass: the judge called {2 * N} of {2 * N} games a tie" in result.stdout


def test_questions_whose_games_got_no_verdict_are_counted_not_silently_dropped(judge_server, folder):
    judge_server.add_fault("empty", match=lambda request: re.search(r"Question number (3|7)\?", request.text))
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", cwd=folder)
    assert result.returncode == 1, result.stderr
    report = json.loads((folder / "check.json").read_text())
    assert report["overall"]["n_questions"] == N - 2
    assert (report["games_unparsed"], report["questions_unscored"]) == (4, 2)
    assert (f"2 of {N} questions judged have no score, each for a game without a verdict: 4 games got no verdict "
            "from the judge; the next check asks for them again") in " ".join(result.stdout.split())


def test_questions_unscored_count_games_without_a_verdict_and_failed_games_apart(judge_server, folder):
    """With --allow-failed, a question whose games failed was counted as "a game of each got no verdict from the
    judge (0 games without one) or failed": how many games failed, and how many got no verdict, is said now. Games
    the judge refused as sent (HTTP 400) fail again on the next check, which says so (it said "the next check asks
    for them again" of those too, just after saying a rerun fails them again); a transient failure is asked again."""
    judge_server.add_fault("400", match=lambda request: "Question number 3?" in request.text)
    judge_server.add_fault("empty", match=lambda request: "Question number 7?" in request.text)
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--allow-failed", cwd=folder)
    assert result.returncode == 1, result.stderr
    said = " ".join(result.stdout.split())
    assert (f"2 of {N} questions judged have no score, each for a game without a verdict: 2 games got no verdict "
            "from the judge and 2 games failed, refused by the judge as sent; the next check asks again for the "
            "others, but sends the refused requests unchanged, and the judge refuses them again. Most often the "
            "prompt is over the judge's context length: shorten those answers (with the vLLM engine, [judging] "
            "truncate_answers = true does), or use a judge with a longer context.") in said, result.stdout
    assert "the next check asks for them again" not in said
    judge_server.reset()
    judge_server.add_fault("400", match=lambda request: "Question number 5?" in request.text)
    refused_only = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                              "--allow-failed", "--store", "other.sqlite", cwd=folder)
    assert (f"1 of {N} questions judged have no score, each for a game without a verdict: 2 games failed, refused "
            "by the judge as sent; the next check sends their requests unchanged, and the judge refuses them "
            "again.") in " ".join(refused_only.stdout.split()), refused_only.stdout
    judge_server.reset()
    judge_server.add_fault("503", match=lambda request: "Question number 5?" in request.text)
    transient = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                           "--allow-failed", "--store", "third.sqlite", cwd=folder)
    assert (f"1 of {N} questions judged have no score, each for a game without a verdict: 2 games failed; the next "
            "check asks for them again.") in " ".join(transient.stdout.split()), transient.stdout


def test_a_judge_that_never_gives_a_verdict_is_no_decision_with_an_example(judge_server, folder):
    """Not "only 0 question(s) could be scored" (exit 2, a usage error) after 80 paid calls: exit 3, as a run
    with no verdict at all, with what the judge wrote, and the template's setting as check names it (its
    --template, the judging template: the remedy named no setting). No game reached the judge's token limit, which
    check knows, so a larger one is not advised (it was: the eighth review)."""
    judge_server.rule = constant_rule("Both answers have merit.")
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", cwd=folder)
    assert result.returncode == 3, result.stderr
    report = json.loads((folder / "check.json").read_text())
    assert report["decision"] == "failed" and report["games_unparsed"] == 2 * N
    assert report["rule"] == (f"no decision: the judge gave no verdict in {2 * N} games (its output has none of the "
                              "template's verdict markers; for example it wrote 'Both answers have merit.'): use a "
                              "stronger judge or a template it can follow (--template)")


def test_a_judge_stopped_at_its_token_limit_is_no_decision_that_names_the_limit_to_raise(judge_server, folder):
    """A judge whose output its token limit ended before a verdict (a reasoning judge's reasoning counts against
    it) left the check to say "use a stronger judge, ... or a larger max_tokens", as if the judge could not follow
    the template: it says that the judge hit its limit, and the setting to raise as the check's file sets it, as
    `run` does; the games that did not hit it keep the other remedies."""
    cut = Reply("<think>The first one, so maybe", finish_reason="length")
    judge_server.rule = lambda request: Reply("Both answers have merit.") if "Question number 3?" in request.text \
        else cut
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", cwd=folder)
    assert result.returncode == 3, result.stderr
    rule = json.loads((folder / "check.json").read_text())["rule"]
    # the output quoted is one the limit did not cut (the cut one says nothing of why: the second review)
    assert rule.startswith(f"no decision: the judge gave no verdict in {2 * N} games (its output has none of the "
                           "template's verdict markers; for example it wrote 'Both answers have merit.')"), rule
    assert rule.endswith(f"): {2 * N - 2} games got no verdict because the judge hit its token limit (1,024 tokens) "
                         "before giving one (a reasoning judge's reasoning counts against it; the limit is a ceiling, "
                         "billed as used): raise it: [judging] max_tokens = 2048; a rerun under the same limit does "
                         "not ask them again (the same request is cut off again), and under a new limit every game "
                         "is a new request, judged again; for the other 2 games, use a stronger judge or a template "
                         "it can follow (--template)"), rule


def test_a_judge_stopped_at_its_token_limit_in_every_game_is_told_that_alone(judge_server, folder):
    """Every game ended at the limit: the no decision says so, without quoting what was cut (it quoted '', as run
    did before it: the second review)."""
    judge_server.rule = lambda request: Reply("<think>The first one, so maybe", finish_reason="length")
    config = write_config(folder, judge_server.base_url)
    result = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref",
                        "--json", "check.json", cwd=folder)
    assert result.returncode == 3, result.stderr
    assert json.loads((folder / "check.json").read_text())["rule"] == (
        f"no decision: the judge gave no verdict in {2 * N} games: {2 * N} games got no verdict because the judge "
        "hit its token limit (1,024 tokens) before giving one (a reasoning judge's reasoning counts against it; the "
        "limit is a ceiling, billed as used): raise it: [judging] max_tokens = 2048; a rerun under the same limit "
        "does not ask them again (the same request is cut off again), and under a new limit every game is a new "
        "request, judged again")


def test_a_sequential_check_on_more_questions_goes_on_with_the_same_sequence(judge_server, folder):
    """--max-questions 10 then 20: the second check judges the first check's 10 questions first (from the store)
    and 10 more; a stratified sample of each size was another sequence (the helper's trial: 74 new calls of 80)."""
    config = write_config(folder, judge_server.base_url)
    args = ["check", "--config", str(config), "--candidate", "coin", "--reference", "ref", "--sequential",
            "--batch-size", "10"]
    first = judgebench(*args, "--max-questions", "10", cwd=folder)
    assert first.returncode == 4, first.stderr
    assert "raise --max-questions (the check judges the same questions first and goes on with the same sequence)" \
        in " ".join(first.stdout.split())
    assert f"Sequential: 1 batch of 10 questions judged, 10 of {N} questions; --max-questions 10 reached." \
        in first.stdout
    assert sent(judge_server) == 20
    second = judgebench(*args, "--max-questions", "20", cwd=folder)
    assert second.returncode == 4, second.stderr
    assert sent(judge_server) == 40  # 10 more questions, both orders


def test_a_sequential_check_failing_on_any_category_judges_on_until_the_categories_decide(judge_server, tmp_path):
    """90 math questions won, 30 writing questions lost: the overall result passes after a few batches, while
    writing is still undecided (too few questions yet). Stopping there passed the candidate (exit 0); under
    --fail-on any-category the check now judges on until writing is decided: a regression (exit 1)."""
    questions = [{"question_id": f"q{i:03d}", "turns": [f"Question number {i}?"],
                  "category": "math" if i < 90 else "writing"} for i in range(120)]
    answers = [{"question_id": f"q{i:03d}", "model": model, "turns": [f"Answer {i} by {model}. QUALITY={quality}"]}
               for i in range(120) for model, quality in (("ref", 5), ("split", 8 if i < 90 else 2))]
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    (tmp_path / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers))
    config = write_config(tmp_path, judge_server.base_url)
    args = ["check", "--config", str(config), "--candidate", "split", "--reference", "ref", "--sequential",
            "--batch-size", "20", "--json", "check.json"]
    overall_only = judgebench(*args, cwd=tmp_path)
    assert overall_only.returncode == 0, overall_only.stderr  # --fail-on overall: the overall pass decides
    stopped_at = json.loads((tmp_path / "check.json").read_text())["overall"]["n_questions"]
    writing = next(c for c in json.loads((tmp_path / "check.json").read_text())["categories"] if c["name"] == "writing")
    assert stopped_at < 120 and writing["decision"] == "undecided"
    assert f"questions judged, {stopped_at} of 120 questions; it stopped once decided." in overall_only.stdout
    result = judgebench(*args, "--fail-on", "any-category", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    report = json.loads((tmp_path / "check.json").read_text())
    assert report["failing_categories"] == ["writing"] and report["overall"]["n_questions"] > stopped_at


def test_a_missing_answers_file_names_the_setting_check_reads_it_from(judge_server, folder):
    """check has no --answers flag: the path comes from [data] answers, and the message says so (it named
    --answers); run, which has the flag, names the flag."""
    config = write_config(folder, judge_server.base_url, answers="gone.jsonl")
    checked = judgebench("check", "--config", str(config), "--candidate", "bad", "--reference", "ref", cwd=folder)
    assert checked.returncode == 2 and "check the path ([data] answers)" in checked.stderr, checked.stderr
    ran = judgebench("run", "--questions", "questions.jsonl", "--answers", "gone.jsonl", "--judge-model", "j",
                     "--base-url", judge_server.base_url, cwd=folder)
    assert ran.returncode == 2 and "check the path (--answers)" in ran.stderr, ran.stderr
    assert sent(judge_server) == 0


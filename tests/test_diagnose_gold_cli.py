"""`judgebench diagnose --gold` end to end: a 20-pair slice of JudgeBench (../shared/data/judgebench) judged
in both orders through the CLI by the scripted judge server on 127.0.0.1, games kept in a real store.

The scripted judge here knows the labels: it names the correct answer (wherever it is shown), except on
every fourth pair of the slice, where it names the wrong one in both orders. So the expected figures follow
from the data: accuracy 15/20 under both rules, position consistency 1, and per source the share of its
pairs that are not every fourth.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

import judgebench as judgebench_api
from judgebench.engines.embedded import EMBEDDED_JUDGE_NOTE
from judgebench.errors import InputError
from tests.support.cli_runs import console_script, judgebench
from tests.support.judge_server import ChatRequest, Reply, constant_rule, token_logprobs
from tests.support.signals import signal_at

pytestmark = pytest.mark.integration

JUDGEBENCH = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "judgebench" / "gpt-4o-2024-05-13.jsonl"


@pytest.fixture
def gold_slice(tmp_path: Path) -> tuple[Path, list[dict]]:
    rows = [json.loads(line) for line in JUDGEBENCH.read_text().splitlines()][::17][:20]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path, rows


def oracle(rows: list[dict]):
    """Names the correct answer, except on every fourth pair (the wrong one)."""
    def rule(request: ChatRequest) -> Reply:
        text = request.text
        for index, row in enumerate(rows):
            a, b = text.find(row["response_A"]), text.find(row["response_B"])
            if a >= 0 and b >= 0:
                correct_first = (a < b) == (row["label"] == "A>B")
                right = index % 4 != 0
                return Reply("Verdict: [[A>B]]" if correct_first == right else "Verdict: [[B>A]]")
        return Reply("no pair found")
    return rule


def test_gold_agreement_through_the_cli(judge_server, gold_slice, tmp_path):
    path, rows = gold_slice
    judge_server.rule = oracle(rows)
    flags = ["--engine", "openai", "--judge-model", "test-judge", "--base-url", judge_server.base_url,
             "--store", "gold.sqlite", "--out", "d"]
    done = judgebench("diagnose", "--gold", str(path), *flags, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Agreement with gold labels" in done.stdout
    assert sum(judge_server.answered().values()) == 40
    gold = json.loads((tmp_path / "d" / "diagnostics.json").read_text())["gold"]
    assert gold["n_pairs"] == 20
    assert gold["accuracy_judgebench_rule"] == 15 / 20 and gold["accuracy_averaged"] == 15 / 20
    assert gold["position_consistency"] == 1.0 and 0 < gold["kappa"] < 1
    sources = Counter(row["source"] for row in rows)
    right = Counter(row["source"] for i, row in enumerate(rows) if i % 4)
    for source, count in sources.items():
        assert gold["by_source"][source]["accuracy_judgebench_rule"] == right[source] / count
    # the gold file holds both answers, so the length bias is measured: the share of pairs the longer answer won
    chosen = [(row["label"] == "A>B") == (i % 4 != 0) for i, row in enumerate(rows)]  # True: A won
    longer_won = [won_a == (len(row["response_A"]) > len(row["response_B"]))
                  for won_a, row in zip(chosen, rows, strict=True)]
    length = json.loads((tmp_path / "d" / "diagnostics.json").read_text())["length_bias"]
    assert length["longer_answer_win_rate"]["value"] == pytest.approx(sum(longer_won) / len(rows))
    assert length["net_effect"]["controls"] == "the gold label"  # not the file's columns A and B
    assert "answer lengths unknown" not in done.stdout and "longer answer wins" in done.stdout
    again = judgebench("diagnose", "--gold", str(path), *flags, cwd=tmp_path)
    assert again.returncode == 0 and sum(judge_server.answered().values()) == 40  # the store answers


def test_a_gold_store_is_not_rated_as_models_but_pointed_to_diagnose_gold(judge_server, gold_slice, tmp_path):
    """`leaderboard --store results/gold.sqlite` (the store `diagnose --gold` writes by default) printed a leaderboard
    of gold-answer-a and gold-answer-b, the gold file's answer columns, and exited 0; so did `report --store`. Both
    refuse it in one line, exit 2, naming `diagnose --gold`; diagnosing the store's games stays allowed."""
    path, rows = gold_slice
    judge_server.rule = oracle(rows)
    judged = judgebench("diagnose", "--gold", str(path), "--engine", "openai", "--judge-model", "test-judge",
                        "--base-url", judge_server.base_url, "--out", "d", cwd=tmp_path)
    assert judged.returncode == 0, judged.stderr
    store = Path("results") / "gold.sqlite"
    assert (tmp_path / store).is_file()
    expected = (f"error: {store}: this store holds the games of a gold set's labelled pairs (gold-answer-a and "
                "gold-answer-b are each pair's two answers), not models to rate (to score the judge against the "
                f"labels, run `judgebench diagnose --gold FILE --store {store}` with the judge's flags: the games "
                "stored are not judged again)")
    for command in (("leaderboard", "--store", str(store)), ("report", "--store", str(store), "--out", "r.html")):
        refused = judgebench(*command, cwd=tmp_path)
        assert refused.returncode == 2 and refused.stderr.strip() == expected, refused.stderr
        assert refused.stdout == ""
    assert not (tmp_path / "r.html").exists()
    with pytest.raises(InputError, match=r"run `judgebench\.evaluate_gold\(settings, FILE\)` with this store"):
        judgebench_api.rate(tmp_path / store)  # from Python, the call that does the same
    diagnosed = judgebench("diagnose", "--store", str(store), "--out", "d2", cwd=tmp_path)
    assert diagnosed.returncode == 0, diagnosed.stderr


# The warning of a leaderboard, report or diagnosis of a run's store into which the gold slice was judged.
GOLD_LEFT_OUT = ("left out 40 games of 20 gold set pairs (gold-answer-a and gold-answer-b are each labelled pair's two "
                 "answers, not models to rate); to score the judge against the labels, run `judgebench diagnose "
                 "--gold FILE --store store.sqlite` with the judge's flags")


def judged_into_a_runs_store(judge_server, gold_slice, tmp_path: Path, before: tuple[str, ...]) -> None:
    """A run's store (store.sqlite), the command `before` run on it (its figures before the gold games came), then
    the gold slice judged into it by `diagnose --gold --store`, with the run's judge and template."""
    from tests.support.cli_runs import write_config

    path, rows = gold_slice
    config = write_config(tmp_path, judge_server.base_url)
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    earlier = judgebench(*before, cwd=tmp_path)
    assert earlier.returncode == 0, earlier.stderr
    judge_server.rule = oracle(rows)
    judged = judgebench("diagnose", "--gold", str(path), "--engine", "openai", "--judge-model", "test-judge",
                        "--base-url", judge_server.base_url, "--template", "pairwise-5", "--store", "store.sqlite",
                        "--out", "d", cwd=tmp_path)
    assert judged.returncode == 0, judged.stderr


def test_gold_games_in_a_runs_store_are_left_out_of_its_leaderboard_and_report(judge_server, gold_slice, tmp_path):
    """`diagnose --gold --store` into a run's store mixed gold-answer-a and gold-answer-b (a gold file's answer
    columns) with the run's models, and `leaderboard --store` and `report --store` ranked them among the models
    (only a store of gold games alone was refused). They are left out now, with a warning naming how many games
    and why: the models' ratings are those of the store before the gold games came."""
    from html import unescape

    judged_into_a_runs_store(judge_server, gold_slice, tmp_path,
                             before=("leaderboard", "--store", "store.sqlite", "--out", "before", "-q"))
    after = judgebench("leaderboard", "--store", "store.sqlite", "--out", "after", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert GOLD_LEFT_OUT in " ".join(after.stderr.split()), after.stderr
    assert "gold-answer" not in after.stdout.replace(GOLD_LEFT_OUT, "")
    boards = [json.loads((tmp_path / name / "leaderboard.json").read_text()) for name in ("before", "after")]
    assert [[(m["model"], m["rating"]) for m in board["models"]] for board in boards] == [
        [(m["model"], m["rating"]) for m in boards[0]["models"]]] * 2
    assert GOLD_LEFT_OUT in boards[1]["meta"]["warnings"]
    report = judgebench("report", "--store", "store.sqlite", "--out", "r.html", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert f"warning: {GOLD_LEFT_OUT}" in report.stderr
    page = unescape((tmp_path / "r.html").read_text())
    assert GOLD_LEFT_OUT in page and "gold-answer" not in page.replace(GOLD_LEFT_OUT, "")
    rated = judgebench_api.rate(tmp_path / "store.sqlite")  # from Python, the call that does the same
    assert {m["model"] for m in rated.models} == {m["model"] for m in boards[0]["models"]}
    assert any("`judgebench.evaluate_gold(settings, FILE)`" in warning for warning in rated.meta["warnings"])


def test_gold_games_in_a_runs_store_are_left_out_of_its_diagnosis(judge_server, gold_slice, tmp_path):
    """`diagnose --store` of a run's store into which `diagnose --gold` had judged a gold set counted the gold games
    in its figures (112 games of 32 questions rather than 72 of 12, the tie rate 0.21 rather than 0.33, transitivity
    over 6 models with gold-answer-a and gold-answer-b, and the warning on too few questions gone). They are left out
    now, as `leaderboard` and `report` leave them out, with the same warning: the figures are the store's before the
    gold games came."""
    judged_into_a_runs_store(judge_server, gold_slice, tmp_path,
                             before=("diagnose", "--store", "store.sqlite", "--out", "before"))
    after = judgebench("diagnose", "--store", "store.sqlite", "--out", "after", cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    shown = " ".join(after.stderr.split())
    assert shown.count(GOLD_LEFT_OUT) == 1 and "gold-answer" not in after.stdout, after.stderr
    figures = {name: json.loads((tmp_path / name / "diagnostics.json").read_text()) for name in ("before", "after")}
    assert figures["after"]["warnings"] == [GOLD_LEFT_OUT, *figures["before"]["warnings"]]
    assert {key: value for key, value in figures["after"].items() if key != "warnings"} == {
        key: value for key, value in figures["before"].items() if key != "warnings"}
    diagnosed = judgebench_api.diagnose(store=tmp_path / "store.sqlite")  # from Python, the call that does the same
    assert any("`judgebench.evaluate_gold(settings, FILE)`" in warning for warning in diagnosed["warnings"])


def test_gold_evaluation_shows_in_a_line_without_the_api_key(judge_server, gold_slice, tmp_path):
    """Its repr was the dataclass's, 12,000 characters holding the settings, and in them the API key a notebook then
    kept in its saved output: it is a line now, and a settings object never shows the key."""
    import judgebench
    from judgebench.config import RunConfig

    path, rows = gold_slice
    judge_server.rule = oracle(rows)
    settings = RunConfig(questions=path, answers=[path], store=tmp_path / "gold.sqlite",
                         judge={"engine": "openai", "model": "test-judge", "base_url": judge_server.base_url,
                                "api_key": "sk-not-to-be-shown"})
    gold = judgebench.evaluate_gold(settings, path)
    line = repr(gold)  # the oracle errs on every fourth pair: 15 of 20 right (test_gold_agreement_through_the_cli)
    assert line == ("<GoldEvaluation: 40 games planned, 0 from the store, 40 judge calls sent now; exit code 0; "
                    "accuracy 0.750 by JudgeBench's rule on 20 pairs; .figures has the rest>"), line
    assert "sk-not-to-be-shown" not in repr(settings) + repr(gold.run) + str(settings.judge)
    assert "api_key='(hidden)'" in repr(settings.judge) and settings.judge.api_key == "sk-not-to-be-shown"


def test_evaluate_gold_takes_a_file_of_judge_settings_alone(judge_server, gold_slice, tmp_path):
    """README's `evaluate_gold(load_config("judge.toml"), "gold.jsonl")`: load_config refused a file without
    [data] ("nothing to judge: set questions and answers (--questions PATH ...)"), so the gold file had to be given
    as questions and answers too (any file there did: the gold file is what is judged). As `diagnose --gold
    --config judge.toml` does, the judge's settings alone serve."""
    import judgebench
    from judgebench.config import load_config

    path, rows = gold_slice
    judge_server.rule = oracle(rows)
    (tmp_path / "judge.toml").write_text(f'[judge]\nengine = "openai"\nmodel = "test-judge"\n'
                                         f'base_url = "{judge_server.base_url}"\n[run]\nstore = "gold.sqlite"\n')
    gold = judgebench.evaluate_gold(load_config(tmp_path / "judge.toml"), path)
    assert gold.exit_code == 0 and gold.figures["gold"]["accuracy_judgebench_rule"] == 15 / 20
    assert sum(judge_server.answered().values()) == 40 and (tmp_path / "gold.sqlite").exists()


def test_gold_judged_by_another_server_says_it_reused_the_first_ones_judgments_as_run_does(judge_server, gold_slice,
                                                                                         tmp_path):
    """`diagnose --gold` at another server of the same judge model name (reuse_other_servers allows it) scored
    that server on the first one's stored judgments without a word, where `run` notes them: it says the same
    note now."""
    from tests.support.judge_server import JudgeServer

    path, rows = gold_slice
    judge_server.rule = oracle(rows)
    flags = ["--gold", str(path), "--engine", "openai", "--judge-model", "test-judge", "--store", "gold.sqlite"]
    first = judgebench("diagnose", *flags, "--base-url", judge_server.base_url, cwd=tmp_path)
    assert first.returncode == 0 and "reused judgments" not in first.stderr, first.stderr
    (tmp_path / "reuse.toml").write_text("[run]\nreuse_other_servers = true\n")
    other = JudgeServer().start()  # the same model name at another address: another judge
    try:
        # refused first: diagnose has no flag for the setting (none has), so the message names the config file
        refused = judgebench("diagnose", *flags, "--base-url", other.base_url, cwd=tmp_path)
        again = judgebench("diagnose", *flags, "--base-url", other.base_url, "--config", "reuse.toml", cwd=tmp_path)
    finally:
        other.stop()
    note = (f"note: reused judgments made by other servers (40 by {judge_server.base_url}); the judge asked now is "
            f"{other.base_url}")
    assert refused.returncode == 2 and ("or set [run] reuse_other_servers = true in a config file (--config FILE) to "
                                        "reuse them") in refused.stderr, refused.stderr
    assert again.returncode == 0 and note in again.stderr.splitlines(), again.stderr
    assert "Agreement with gold labels" in again.stdout and not other.log  # scored on the stored judgments


def test_a_first_slot_judge_contradicts_itself_on_every_pair(judge_server, gold_slice, tmp_path):
    path, _ = gold_slice
    judge_server.rule = constant_rule("Verdict: [[A>B]]")
    done = judgebench("diagnose", "--gold", str(path), "--engine", "openai", "--judge-model", "test-judge",
                      "--base-url", judge_server.base_url, "--out", "d", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # no --store: apart from the runs' store, where the gold pairs' pseudo-answers joined its leaderboard
    assert (tmp_path / "results" / "gold.sqlite").is_file()
    assert not (tmp_path / "results" / "judgebench.sqlite").exists()
    figures = json.loads((tmp_path / "d" / "diagnostics.json").read_text())
    gold = figures["gold"]
    assert (gold["accuracy_judgebench_rule"], gold["accuracy_averaged"], gold["position_consistency"]) == (0, 0.5, 0)
    assert figures["first_slot_win_rate"]["value"] == 1.0
    assert figures["provenance"]["judge"] == "test-judge" and figures["provenance"]["gold"] == str(path)


def test_a_bad_gold_file_stops_before_any_judge_call(judge_server, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "q", "answer_a": "x", "answer_b": "y", "label": "A"}) + "\n"
                   + json.dumps({"question": "q", "answer_a": "x", "answer_b": "y", "label": "maybe"}) + "\n")
    done = judgebench("diagnose", "--gold", str(bad), "--engine", "openai", "--judge-model", "test-judge",
                      "--base-url", judge_server.base_url, "--store", "gold.sqlite", cwd=tmp_path)
    assert done.returncode == 2 and "bad.jsonl:2" in done.stderr and "label" in done.stderr
    assert "Traceback" not in done.stderr and sum(judge_server.answered().values()) == 0


@pytest.mark.parametrize(("where", "signum"),
                         [(("judgebench", "diagnostics", "diagnose_judgments"), signal.SIGTERM),
                          (("judgebench", "diagnostics", "diagnose_judgments"), signal.SIGINT),
                          (("judgebench.store", "Store", "claim"), signal.SIGINT)],
                         ids=["sigterm-after-sending", "ctrl-c-after-sending", "ctrl-c-while-sending"])
def test_a_signal_stops_the_gold_evaluation_as_it_stops_a_run(judge_server, gold_slice, tmp_path, where, signum):
    """SIGTERM once the games were sent (the figures' bootstraps) had its default action: the process ended
    unannounced. Ctrl-C there said only "stopped", its run left 'finished'; Ctrl-C while sending gave figures of
    the games judged so far as if they were all. Now each exits 128 + the signal with run's message, writes no
    diagnostics.json, records the run 'interrupted', keeps what was judged, and the same command goes on."""
    path, rows = gold_slice
    judge_server.rule = oracle(rows)
    module, owner, name = where
    flags = ["--gold", str(path), "--engine", "openai", "--judge-model", "test-judge", "--base-url",
             judge_server.base_url, "--store", "gold.sqlite", "--out", "d", "--no-progress"]
    stopped = judgebench("diagnose", *flags, cwd=tmp_path, script=signal_at(module, owner, name, signum))
    assert stopped.returncode == 128 + signum, stopped.stderr
    assert "Traceback" not in stopped.stderr
    after_judging = name == "diagnose_judgments"  # judging had ended: the message says so, and no call is left
    said = re.search(r"stopped after judging had ended, while the results were computed: every game judged is "
                     r"stored \((\d+) judge calls sent now\), and no results were written; run the same command "
                     r"again to write them \(it sends no judge calls\)" if after_judging else
                     r"stopped: (\d+) of (\d+) games sent and stored; run the same command again",
                     " ".join(stopped.stderr.split()))
    assert said is not None, stopped.stderr
    assert not (tmp_path / "d" / "diagnostics.json").exists()
    with sqlite3.connect(tmp_path / "gold.sqlite") as db:
        stored = db.execute("SELECT count(*) FROM judgments WHERE status = 'ok'").fetchone()[0]
        runs = db.execute("SELECT status, sent FROM runs").fetchall()
    assert int(said[1]) == stored and stored == sum(judge_server.answered().values())
    assert (stored == 40) == after_judging  # judged to the end, or stopped while sending
    assert runs == [("interrupted", stored)]
    again = judgebench("diagnose", *flags, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "d" / "diagnostics.json").read_text())["gold"]["n_pairs"] == 20
    assert set(judge_server.answered().values()) == {1} and sum(judge_server.answered().values()) == 40


def test_judge_flags_of_gold_judging_are_runs_and_are_named_in_messages(judge_server, gold_slice, tmp_path):
    """`diagnose --gold` takes `run`'s judge flags, --on-rate-limit included (it had none), and a bad value
    names its flag (it said "[judge] concurrency", a setting of a file the command was not given)."""
    path, rows = gold_slice
    judge_server.rule = oracle(rows)
    judge_server.add_fault("429", requests={2}, retry_after=86400)
    flags = ["--engine", "openai", "--judge-model", "test-judge", "--base-url", judge_server.base_url,
             "--store", "gold.sqlite", "--concurrency", "1"]
    stopped = judgebench("diagnose", "--gold", str(path), *flags, "--on-rate-limit", "stop", cwd=tmp_path)
    assert stopped.returncode == 2, stopped.stderr
    assert "HTTP 429" in stopped.stderr and "--on-rate-limit wait" in stopped.stderr
    assert len(judge_server.log) == 3  # stopped at the first 429: no retry, no wait
    bad = judgebench("diagnose", "--gold", str(path), *flags, "--concurrency", "0", cwd=tmp_path)
    assert bad.returncode == 2 and "Invalid value for '--concurrency': must be at least 1, got 0" in bad.stderr
    # flags of stored judgments were ignored without a word
    unused = judgebench("diagnose", "--gold", str(path), *flags, "--swap", "random-one", "--judge-family", "test",
                        cwd=tmp_path)
    assert unused.returncode == 2 and unused.stderr.strip() == (
        "error: --judge-family, --swap: not used with --gold, which judges both orders of the gold file's pairs (it "
        "holds their questions and answers): leave them out")
    assert len(judge_server.log) == 3
    # a config file's confidence holds unless --confidence is given (the flag's default overrode it)
    (tmp_path / "ninety.toml").write_text("[ratings]\nconfidence = 0.9\n")
    for extra, level in (([], 0.9), (["--confidence", "0.8"], 0.8)):
        done = judgebench("diagnose", "--gold", str(path), "-c", "ninety.toml", *flags, *extra, "--out", "d",
                          cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads((tmp_path / "d" / "diagnostics.json").read_text())["provenance"]["confidence"] == level


def test_two_generic_gold_files_without_ids_share_a_store(judge_server, tmp_path):
    """Pairs without a pair_id were named by their line ("pair-1"...): a second file judged into the same store
    was refused as if the first file's texts had changed. They are named by their texts now, so each file's
    pairs keep their own games, and a file's repeated pair is named for what it is."""
    judge_server.rule = constant_rule("Verdict: [[A>B]]")
    for name, topic in (("one.jsonl", "rivers"), ("two.jsonl", "mountains")):
        rows = [{"question": f"Name a {topic[:-1]} ({i}).", "answer_a": f"A {topic[:-1]} {i}.",
                 "answer_b": "I do not know.", "label": "A"} for i in range(3)]
        (tmp_path / name).write_text("".join(json.dumps(row) + "\n" for row in rows))
        done = judgebench("diagnose", "--gold", name, "--engine", "openai", "--judge-model", "test-judge",
                          "--base-url", judge_server.base_url, "--store", "gold.sqlite", "--out", name[:3],
                          "--no-progress", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        gold = json.loads((tmp_path / name[:3] / "diagnostics.json").read_text())["gold"]
        assert (gold["n_pairs"], gold["accuracy_judgebench_rule"]) == (3, 0.0)  # contradictions: first slot
    assert sum(1 for entry in judge_server.log) == 2 * 6
    first = (tmp_path / "one.jsonl").read_text().splitlines()[0]
    (tmp_path / "twice.jsonl").write_text(f"{first}\n{first}\n")
    repeated = judgebench("diagnose", "--gold", "twice.jsonl", "--judge-model", "test-judge", "--base-url",
                          judge_server.base_url, "--store", "gold.sqlite", cwd=tmp_path)
    assert repeated.returncode == 2 and "twice.jsonl:2: this pair (question and both answers) appears twice" in \
        repeated.stderr, repeated.stderr


def test_pairs_the_server_failed_in_both_orders_are_left_out_and_the_errors_listed(judge_server, gold_slice, tmp_path):
    """With HTTP 400s a pair whose two games both failed was scored wrong, so a server's faults lowered the judge's
    JudgeBench-rule accuracy; the command ended with "N games failed; run again" and no reason (`run` lists them),
    and its first line did not name the server that receives the API key. A pair the judge answered without a
    verdict still counts wrong."""
    path, rows = gold_slice
    judged = oracle(rows)
    silent = rows[3]["response_A"]  # right by the oracle, but now the judge writes no verdict on it

    def rule(request: ChatRequest) -> Reply:
        return Reply("I cannot decide.") if silent in request.text else judged(request)

    judge_server.rule = rule
    for index in (1, 2):  # right by the oracle: the server rejects both orders
        judge_server.add_fault("400", match=lambda request, answer=rows[index]["response_A"]: answer in request.text)
    done = judgebench("diagnose", "--gold", str(path), "--engine", "openai", "--judge-model", "test-judge",
                      "--base-url", judge_server.base_url, "--store", "gold.sqlite", "--out", "d", "--no-progress",
                      cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines()[0].startswith(f"judge test-judge via openai at {judge_server.base_url}, "
                                                  "template pairwise-5, gold pairs ")
    gold = json.loads((tmp_path / "d" / "diagnostics.json").read_text())["gold"]
    # 18 pairs judged: 5 wrong by the oracle (every fourth) and pair 3 without a verdict; 12 right
    assert (gold["n_not_judged"], gold["intervals"]["accuracy_judgebench_rule"]["n"]) == (2, 18)
    assert gold["accuracy_judgebench_rule"] == pytest.approx(12 / 18)
    assert "of which 2 not judged: every order failed" in " ".join(done.stdout.split())
    assert ("4 games failed; the judge refused their requests as sent: a rerun sends such a request unchanged and "
            "fails it again.") in " ".join(done.stderr.split()), done.stderr
    assert ("The most frequent errors (each game's is in the store gold.sqlite): 4 × HTTP 400 from the judge "
            "server") in " ".join(done.stderr.split()), done.stderr


@pytest.mark.parametrize(("fault", "p_first", "why"), [
    ("no_logprobs", 0.9, "the verdicts are labels (0, 0.5 or 1), not probabilities"),
    (None, 0.5, "every verdict is 0.5")], ids=["no-logprobs-sent", "one-half-everywhere"])
def test_a_logprob_judge_without_calibration_is_told_why(judge_server, gold_slice, tmp_path, fault, p_first, why):
    """The logprob template on a server that sends no logprobs: calibration disappeared without a word (no
    "Calibration:" line, no warning, where `run` warns); and for a judge that says 0.5 everywhere."""
    path, _ = gold_slice
    judge_server.rule = constant_rule("A", token_logprobs(p_first))
    if fault is not None:
        judge_server.add_fault(fault)
    done = judgebench("diagnose", "--gold", str(path), "--engine", "openai", "--judge-model", "test-judge",
                      "--base-url", judge_server.base_url, "--template", "logprob", "--out", "d", "--no-progress",
                      cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    gold = json.loads((tmp_path / "d" / "diagnostics.json").read_text())["gold"]
    assert "calibration" not in gold and gold["calibration_note"].startswith(why)
    assert f"Calibration: none, {gold['calibration_note']}." in " ".join(done.stdout.split())
    warned = ("warning: 40 games of the logprob template were read from the judge's text, 0 or 1 from its label: "
              "its server sent no logprobs for them")
    assert (warned in " ".join(done.stderr.split())) == (fault is not None), done.stderr


def test_gold_tables_at_80_columns_show_sources_and_categories_whole(judge_server, tmp_path):
    """At 80 columns sources were cut ("mmlu-pro-b…"), categories (in diagnostics.json) never shown, the
    diagnostics' labels squeezed to 8 characters by a note in the figure column, and rows that mean nothing for
    gold pairs shown: "cyclic triads - (0/0)", and a length note naming a judge that always picks the first answer
    for a judge that ties every pair."""
    judge_server.rule = constant_rule("They are equally good. [[A=B]]")
    sources = ["an-organisation/a-long-benchmark-name-v001", "an-organisation/a-long-benchmark-name-v002"]
    categories = ["reasoning-about-very-long-category-names", "mathematics"]
    rows = [{"question": f"Question {i}?", "answer_a": "Yes. " * (1 + i % 5), "answer_b": "No. " * (1 + i % 3),
             "label": "AB"[i % 2], "source": sources[i % 2], "category": categories[i // 6]} for i in range(12)]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = console_script("diagnose", "--gold", "gold.jsonl", "--engine", "openai", "--judge-model", "test-judge",
                          "--base-url", judge_server.base_url, "--out", "d", "--no-progress", cwd=tmp_path,
                          COLUMNS="80")
    assert done.returncode == 0, done.stderr
    tables = done.stdout[done.stdout.index("Agreement with gold labels"):]
    assert max(len(line) for line in tables.splitlines()) <= 80
    assert "…" not in tables
    assert "by source" in tables and "by category" in tables
    for name in (*sources, *categories):
        assert any(name in line for line in tables.splitlines()), f"{name} was cut:\n{tables}"
    assert "Not shown at this width (in diagnostics.json):" in " ".join(tables.split())
    figure = next(line for line in tables.splitlines() if "first-slot win rate" in line)
    assert "first-slot win rate (0.5 = no position bias)" in figure and "n=24" in figure
    assert "cyclic triads" not in tables and "always picks the first answer" not in tables
    assert "every outcome is a draw, as a judge that ties every pair" in " ".join(tables.split())


def test_gold_tables_in_a_log_show_every_column_on_whole_lines(judge_server, tmp_path):
    """In a log or a pipe (`diagnose --gold ... > gold.txt`) the gold table was drawn 60 columns wide, leaving out
    the averaged accuracy, consistency and kappa, and the judge diagnostics wrapped their labels at 80 columns,
    while the leaderboard is printed whole there."""
    judge_server.rule = constant_rule("Verdict: [[A>B]]")
    rows = [{"question": f"Question {i}?", "answer_a": "Yes. " * (1 + i % 3), "answer_b": "No.",
             "label": "AB"[i % 2], "source": "an-organisation/a-long-benchmark-name-v001"} for i in range(6)]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = console_script("diagnose", "--gold", "gold.jsonl", "--engine", "openai", "--judge-model", "test-judge",
                          "--base-url", judge_server.base_url, "--no-progress", cwd=tmp_path, COLUMNS="")
    assert done.returncode == 0, done.stderr
    assert "Not shown at this width" not in " ".join(done.stdout.split())
    header = next(line for line in done.stdout.splitlines() if "(JudgeBench rule)" in line)
    assert all(title in header for title in ("(orders averaged)", "consistency", "kappa")), done.stdout
    assert any(line.strip().startswith("all ") and line.count("[") == 4 for line in done.stdout.splitlines())
    label = next(line for line in done.stdout.splitlines() if "position consistency (pairs" in line)
    assert "position consistency (pairs whose two orders agree)" in label and "n=6" in label, done.stdout


def test_gold_counts_stand_beside_their_figures_and_a_perfect_kappa_has_no_interval(judge_server, tmp_path):
    """16 pairs, the judge right in every verdict it gives, but on pairs 8-15 with the better answer shown second it
    writes none. The JudgeBench-rule accuracy counts all 16 (Wilson's interval at n=16), the others the 8 judged in
    both orders; the table's one count column said 8 beside both. And kappa, 1 in every bootstrap resample, got
    the zero-width interval [1.000, 1.000], a certainty nothing measured (audit)."""
    rows = [{"question": f"Which is right ({i})?", "answer_a": f"Answer alpha {i}.", "answer_b": f"Answer beta {i}.",
             "label": "AB"[i % 2]} for i in range(16)]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))

    def rule(request: ChatRequest) -> Reply:
        for i, row in enumerate(rows):
            a, b = request.text.find(row["answer_a"]), request.text.find(row["answer_b"])
            if a >= 0 and b >= 0:
                better_first = (a < b) == (row["label"] == "A")
                if i >= 8 and not better_first:
                    return Reply("I cannot decide.")
                return Reply("Verdict: [[A>B]]" if better_first else "Verdict: [[B>A]]")
        return Reply("no pair found")

    judge_server.rule = rule
    done = console_script("diagnose", "--gold", "gold.jsonl", "--engine", "openai", "--judge-model", "test-judge",
                          "--base-url", judge_server.base_url, "--out", "d", "--no-progress", cwd=tmp_path,
                          COLUMNS="")
    assert done.returncode == 0, done.stderr
    gold = json.loads((tmp_path / "d" / "diagnostics.json").read_text())["gold"]
    assert (gold["n_pairs"], gold["intervals"]["accuracy_judgebench_rule"]["n"]) == (8, 16), gold
    assert gold["accuracy_judgebench_rule"] == gold["kappa"] == 1.0
    kappa = gold["intervals"]["kappa"]
    assert kappa["lower"] is None and kappa["upper"] is None
    assert kappa["note"].startswith("every resample of the pairs gives kappa 1.000 (the judge's decision matched "
                                    "every label)")
    assert gold["intervals"]["accuracy_averaged"]["lower"] < 1.0  # Wilson's interval at n=8 beside it
    header = [line.split() for line in done.stdout.splitlines() if "(JudgeBench rule)" in line][0]
    assert header[-1] == "orders" and "answered" in header, done.stdout
    cells = next(line for line in done.stdout.splitlines() if line.strip().startswith("all "))
    assert re.search(r"1\.000 \[0\.\d{3}, 1\.000\] +16 +1\.000 \[.*1\.000 \[n/a\] +8$", cells.strip()), cells
    assert f"kappa [n/a] (all): {kappa['note']}." in " ".join(done.stdout.split())


def test_without_judge_flags_the_embedded_demo_judge_is_named_and_called_too_weak(tmp_path):
    """`diagnose --gold` without judge flags judges with the embedded SmolLM2 on vLLM's CPU build, which neither
    its help nor its output said. A bad gold file stops it before any judge starts, after the header."""
    (tmp_path / "bad.jsonl").write_text(json.dumps({"question": "q", "answer_a": "x", "answer_b": "y",
                                                    "label": "maybe"}) + "\n")
    done = judgebench("diagnose", "--gold", "bad.jsonl", cwd=tmp_path)
    assert done.returncode == 2 and "bad.jsonl:1" in done.stderr, done.stderr
    assert done.stdout.startswith("judge SmolLM2-135M-Instruct via vllm, template ")
    assert EMBEDDED_JUDGE_NOTE in " ".join(done.stdout.split())
    shown = " ".join(judgebench("diagnose", "--help", cwd=tmp_path).stdout.split())
    assert ("without --judge, --judge-model or a --config naming a judge, the judge is the embedded SmolLM2-135M, "
            "a demo judge") in shown


def test_gold_judging_says_its_calls_tokens_and_cost_as_run_does(judge_server, tmp_path):
    """`diagnose --gold` with a priced preset said nothing of the calls it sent, their tokens or their cost (its
    progress even ignored the prices), and diagnostics.json had none of them."""
    judge_server.rule = constant_rule("Verdict: [[A>B]]")
    rows = [{"question": f"Question {i}?", "answer_a": f"Yes {i}.", "answer_b": f"No {i}.", "label": "AB"[i % 2]}
            for i in range(4)]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    (tmp_path / "judges.toml").write_text(f'[priced]\nengine = "openai"\nmodel = "test-judge"\nbase_url = '
                                          f'"{judge_server.base_url}"\nprice_in_per_mtok = 1000.0\n'
                                          "price_out_per_mtok = 4000.0\n")
    flags = ["diagnose", "--gold", "gold.jsonl", "--judge", "priced", "--store", "gold.sqlite", "--out", "d"]
    first = console_script(*flags, cwd=tmp_path, JUDGEBENCH_JUDGES="judges.toml")
    assert first.returncode == 0, first.stderr
    sent = json.loads((tmp_path / "d" / "diagnostics.json").read_text())["accounting"]
    tokens_in, tokens_out = sent["prompt_tokens"], sent["completion_tokens"]
    assert sent["judge_calls"] == 8 == sum(judge_server.answered().values()) and sent["calls_from_store"] == 0
    assert tokens_in > 0 and sent["cost_usd"] == pytest.approx((1000 * tokens_in + 4000 * tokens_out) / 1e6)
    shown = " ".join(first.stdout.split())
    assert "8 games planned, 0 already in the store (gold.sqlite), 8 judge calls sent now" in shown
    assert f"tokens sent now (prompt + completion) {tokens_in:,} + {tokens_out:,}" in shown
    assert f"cost of this run ${sent['cost_usd']:,.4f}" in shown
    again = console_script(*flags, cwd=tmp_path, JUDGEBENCH_JUDGES="judges.toml")
    assert again.returncode == 0, again.stderr
    assert "8 games planned, 8 already in the store (gold.sqlite), 0 judge calls sent now" in again.stdout
    assert json.loads((tmp_path / "d" / "diagnostics.json").read_text())["accounting"] == {
        "judge_calls": 0, "judge_calls_abandoned": 0, "calls_from_store": 8, "prompt_tokens": 0,
        "completion_tokens": 0, "cost_usd": 0.0}

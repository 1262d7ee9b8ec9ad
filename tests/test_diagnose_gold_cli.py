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

from tests.support.cli_runs import judgebench
from tests.support.judge_server import ChatRequest, Reply, constant_rule
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
    said = re.search(r"stopped: (\d+) of (\d+) games sent and stored; run the same command again",
                     " ".join(stopped.stderr.split()))
    assert said is not None, stopped.stderr
    assert not (tmp_path / "d" / "diagnostics.json").exists()
    with sqlite3.connect(tmp_path / "gold.sqlite") as db:
        stored = db.execute("SELECT count(*) FROM judgments WHERE status = 'ok'").fetchone()[0]
        runs = db.execute("SELECT status, sent FROM runs").fetchall()
    assert int(said[1]) == stored and stored == sum(judge_server.answered().values())
    assert (stored == 40) == (name == "diagnose_judgments")  # judged to the end, or stopped while sending
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

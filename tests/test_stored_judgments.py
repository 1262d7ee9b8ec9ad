"""Stored judgments read the same way by everything that rates them: the run, its judgments.jsonl, `leaderboard
--results` and `leaderboard --store`.

A game's key hashes what is sent, not how the judge's answer is read, so a template that changes only its
[verdicts] reuses the stored judgments; they must be read with that template's table, not with the one that
stored them. The scripted judge server (tests/support/judge_server.py) answers from `QUALITY=<n>` markers; the
answers here make some games "much better" ([[A>>B]]), some "better" and some ties, so verdict weights matter.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support.cli_runs import by_model, judgebench

pytestmark = pytest.mark.integration

N_QUESTIONS = 12
# Model x against the baseline: much better (9 vs 5), worse (4 vs 5) or equal (5), in turn.
X_QUALITIES = (9, 4, 5)
PAIRWISE_5 = Path(__file__).resolve().parents[1] / "prompts" / "pairwise-5.toml"


def write_inputs(folder: Path, n: int = N_QUESTIONS, same: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """The first `n` questions, with answers of x, y (3 each time: always worse) and the baseline; the run's data
    flags. `same`: question id -> models that give one identical answer to it."""
    questions, answers = folder / "questions.jsonl", folder / "answers.jsonl"
    questions.write_text("".join(json.dumps({"question_id": f"q{i:02d}", "turns": [f"Question {i}?"]}) + "\n"
                                 for i in range(n)))
    qualities = {"base": [5] * n, "x": [X_QUALITIES[i % 3] for i in range(n)], "y": [3] * n}
    same = same or {}

    def answer(i: int, model: str) -> str:
        if model in same.get(f"q{i:02d}", ()):
            return "The same answer."
        return f"Answer {i} by {model}. QUALITY={qualities[model][i]}"

    answers.write_text("".join(json.dumps({"question_id": f"q{i:02d}", "model": model, "turns": [answer(i, model)]})
                               + "\n" for model in qualities for i in range(n)))
    return ["--questions", questions.name, "--answers", answers.name, "--baseline", "base"]


def template_copy(folder: Path, file_name: str, verdicts: str, name: str = "pairwise-5") -> Path:
    """pairwise-5.toml with its [verdicts] table replaced and named `name` (its prompts and sampling kept, so
    its games have the same keys)."""
    text = PAIRWISE_5.read_text().replace('name = "pairwise-5"', f'name = "{name}"')
    path = folder / f"{file_name}.toml"
    path.write_text(text[:text.index("[verdicts]")] + "[verdicts]\n" + verdicts)
    return path


ARENA_HARD_WEIGHTS = ('"[[A>>B]]" = { p_first = 1.0, weight = 3 }\n"[[A>B]]" = { p_first = 1.0 }\n'
                      '"[[A=B]]" = { p_first = 0.5 }\n"[[B>A]]" = { p_first = 0.0 }\n'
                      '"[[B>>A]]" = { p_first = 0.0, weight = 3 }\n')
WITHOUT_TIES = ('"[[A>>B]]" = { p_first = 1.0 }\n"[[A>B]]" = { p_first = 1.0 }\n"[[B>A]]" = { p_first = 0.0 }\n'
                '"[[B>>A]]" = { p_first = 0.0 }\n')


def run(folder: Path, server, store: str, out: str, *extra: str, n: int = N_QUESTIONS,
        same: dict[str, tuple[str, ...]] | None = None):
    result = judgebench("run", *write_inputs(folder, n, same), "--judge-model", "test-judge", "--base-url",
                        server.base_url, "--store", store, "--out", out, "--rounds", "50", "--no-progress", *extra,
                        cwd=folder)
    assert result.returncode == 0, result.stderr
    return result


def ratings(folder: Path, out: str) -> dict[str, tuple[float, float, float, int]]:
    board = json.loads((folder / out / "leaderboard.json").read_text())
    return {m: (e["rating"], e["lower"], e["upper"], e["n_games"]) for m, e in by_model(board).items()}


def judgment_lines(folder: Path, out: str) -> list[dict]:
    return [json.loads(line) for line in (folder / out / "judgments.jsonl").read_text().splitlines()]


def test_a_template_that_changes_only_its_verdicts_reads_the_stored_answers_with_them(judge_server, tmp_path):
    """The reviewer's case: a copy of pairwise-5 (same name) weighting `>>` verdicts 3 reuses every stored
    judgment and must rate exactly as a fresh store judged with it does; judgments.jsonl and a refit agree."""
    weighted = template_copy(tmp_path, "weighted", ARENA_HARD_WEIGHTS)
    run(tmp_path, judge_server, "store.sqlite", "plain")
    sent = sum(judge_server.answered().values())
    reused = run(tmp_path, judge_server, "store.sqlite", "reused", "--template", str(weighted))
    assert sum(judge_server.answered().values()) == sent  # nothing paid for twice
    assert f"{sent} already in the store" in reused.stdout + reused.stderr
    run(tmp_path, judge_server, "fresh.sqlite", "fresh", "--template", str(weighted))

    assert ratings(tmp_path, "reused") == ratings(tmp_path, "fresh") != ratings(tmp_path, "plain")
    lines = judgment_lines(tmp_path, "reused")
    strong = [line for line in lines if line["label"] in ("[[A>>B]]", "[[B>>A]]")]
    assert strong and {line["weight"] for line in strong} == {3.0}
    assert {line["template_hash"] for line in lines} == {
        json.loads((tmp_path / "fresh" / "leaderboard.json").read_text())["meta"]["template_sha256"]}
    refit = judgebench("leaderboard", "--results", "reused", "--out", "refit", cwd=tmp_path)
    assert refit.returncode == 0, refit.stderr
    assert ratings(tmp_path, "refit") == ratings(tmp_path, "fresh")


def test_a_stored_verdict_the_template_lacks_is_unparsed_and_said_so(judge_server, tmp_path):
    """A template without the tie verdict reads the stored ties as it would read them now: unparsed, counted
    in the summary and the diagnostics, and not asked again (the store holds the answer)."""
    no_ties = template_copy(tmp_path, "no-ties", WITHOUT_TIES, name="no-ties")
    run(tmp_path, judge_server, "store.sqlite", "plain")
    sent = sum(judge_server.answered().values())
    reused = run(tmp_path, judge_server, "store.sqlite", "reused", "--template", str(no_ties))
    assert sum(judge_server.answered().values()) == sent
    ties = 2 * N_QUESTIONS // 3  # x ties the baseline on a third of the questions, in two orders
    assert (f"{ties} stored judgments with none of the verdicts of template 'no-ties': counted as unparsed"
            in " ".join((reused.stdout + reused.stderr).split()))
    unparsed = [line for line in judgment_lines(tmp_path, "reused") if line["status"] == "unparsed"]
    assert len(unparsed) == ties and {line["p_first"] for line in unparsed} == {None}
    assert {line["error"] for line in unparsed} == {"no verdict of the template 'no-ties' in the judge's output"}
    meta = json.loads((tmp_path / "reused" / "leaderboard.json").read_text())["meta"]
    assert meta["games_unparsed"] == ties and meta["pairs_incomplete"] == ties // 2


def test_a_store_does_not_mix_versions_of_one_template_name_and_reads_with_a_template_file(judge_server, tmp_path):
    """Half the questions judged with pairwise-5, then all of them with a same-named copy weighting `>>` 3: the
    store holds verdicts read by two versions of 'pairwise-5'. `leaderboard --store` mixed them silently (weight 1
    on half the games, 3 on the others); it refuses, and with the copy as --template it reads every stored
    judgment with the copy's verdicts: the run's ratings."""
    weighted = template_copy(tmp_path, "weighted", ARENA_HARD_WEIGHTS)
    run(tmp_path, judge_server, "store.sqlite", "half", n=N_QUESTIONS // 2)
    run(tmp_path, judge_server, "store.sqlite", "all", "--template", str(weighted))
    for command in ("leaderboard", "report"):
        out = "mixed.html" if command == "report" else "mixed"  # a report's file, a leaderboard's folder
        mixed = judgebench(command, "--store", "store.sqlite", "--out", out, cwd=tmp_path)
        assert mixed.returncode == 2 and "Traceback" not in mixed.stderr
        assert "judgments of the template 'pairwise-5' read by 2 versions of it" in " ".join(mixed.stderr.split())
    read = judgebench("leaderboard", "--store", "store.sqlite", "--template", str(weighted), "--baseline", "base",
                      "--rounds", "50", "--out", "read", cwd=tmp_path)
    assert read.returncode == 0, read.stderr
    assert ratings(tmp_path, "read") == ratings(tmp_path, "all")


def test_games_with_identical_answers_share_one_call_and_every_refit_sees_them_all(judge_server, tmp_path):
    """x answers q00 as the baseline does, and x, y and the baseline give one answer to q01: both orders of those
    pairs render one request, judged by one call. The run rated every game; judgments.jsonl and the store held
    one row per call, so a refit from either lost games (a pair short, other ratings) and nothing said so."""
    same = {"q00": ("x", "base"), "q01": ("x", "y", "base")}
    planned = 2 * 2 * N_QUESTIONS  # x and y against the baseline, both orders
    result = run(tmp_path, judge_server, "store.sqlite", "out", same=same)
    assert sum(judge_server.answered().values()) == planned - 4  # q00: 2 games, 1 call; q01: 4 games, 1 call
    assert (f"{planned} games planned, 0 already in the store (store.sqlite), {planned - 4} judge calls sent now, "
            "4 games judged by the call of another game with the same request (identical answers)"
            in " ".join((result.stdout + result.stderr).split()))
    board = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
    assert board["meta"]["games_shared"] == 4 and board["meta"]["pairs_incomplete"] == 0
    lines = judgment_lines(tmp_path, "out")
    assert len(lines) == planned and sum(line["shared_call"] for line in lines) == 4
    assert sum(line["prompt_tokens"] for line in lines) == sum(entry.prompt_tokens for entry in judge_server.log)

    for source in (["--results", "out"], ["--store", "store.sqlite", "--baseline", "base", "--rounds", "50"]):
        refit = judgebench("leaderboard", *source, "--out", "refit", cwd=tmp_path)
        assert refit.returncode == 0, refit.stderr
        assert ratings(tmp_path, "refit") == ratings(tmp_path, "out")
        assert {entry[3] for entry in ratings(tmp_path, "refit").values()} == {N_QUESTIONS, 2 * N_QUESTIONS}
    again = run(tmp_path, judge_server, "store.sqlite", "again", same=same)
    assert sum(judge_server.answered().values()) == planned - 4  # nothing sent again
    assert f"{planned} games planned, {planned - 4} already in the store" in " ".join(again.stdout.split())
    assert ratings(tmp_path, "again") == ratings(tmp_path, "out")


def test_with_arena_hard_weights_the_win_rate_is_arena_hard_autos_score(judge_server, tmp_path):
    """With `[[A>>B]]` counted three times, the win rate against the baseline (the column and `--method winrate`)
    is arena-hard-auto's score: every game against the baseline counted as many times as its verdict's weight,
    the share the model won, ties half, from judgments.jsonl. It counted each pair once (x: 0.5, not 0.7)."""
    weighted = template_copy(tmp_path, "weighted", ARENA_HARD_WEIGHTS)
    run(tmp_path, judge_server, "store.sqlite", "out", "--template", str(weighted), "--method", "winrate")
    games = [line for line in judgment_lines(tmp_path, "out") if line["status"] == "ok"]
    assert {line["weight"] for line in games} == {1.0, 3.0}
    for model in ("x", "y"):
        won = [(line["weight"], line["p_first"] if line["first"] == model else 1 - line["p_first"])
               for line in games if model in (line["first"], line["second"])]
        score = sum(w * p for w, p in won) / sum(w for w, _ in won)
        entry = by_model(json.loads((tmp_path / "out" / "leaderboard.json").read_text()))[model]
        assert entry["rating"] == pytest.approx(score) and entry["win_rate"] == pytest.approx(score)
        assert entry["lower"] < score < entry["upper"] or score in (0.0, 1.0)


def test_one_game_judged_by_two_requests_is_refused_even_when_read_with_a_template_file(judge_server, tmp_path):
    """The reviewer's case: an upgrade reworded a built-in template (same name, new keys), and the store holds
    the same games under two keys. With --template FILE every row took the file's hash, so the two versions
    were not seen: both games counted twice. Refused, naming each version's runs and what to do. The run that
    judged the games again says so (it said nothing, and only the refusal told)."""
    reworded = tmp_path / "reworded.toml"
    reworded.write_text(PAIRWISE_5.read_text().replace("You are a strict, impartial", "You are an impartial"))
    first = run(tmp_path, judge_server, "store.sqlite", "old", n=3)
    again = run(tmp_path, judge_server, "store.sqlite", "new", "--template", str(reworded), n=3)
    assert "judged before" not in first.stderr
    assert "note: 12 games judged now were judged before with another prompt" in " ".join(again.stderr.split())
    runs = [json.loads((tmp_path / out / "leaderboard.json").read_text())["meta"] for out in ("old", "new")]
    for command, template in (("leaderboard", ()), ("leaderboard", ("--template", str(PAIRWISE_5))),
                              ("report", ("--template", str(PAIRWISE_5)))):
        out = "mixed.html" if command == "report" else "mixed"
        mixed = judgebench(command, "--store", "store.sqlite", *template, "--out", out, cwd=tmp_path)
        message = " ".join(mixed.stderr.split())
        assert mixed.returncode == 2 and "Traceback" not in message, message
        assert "the store holds 12 games judged by more than one request" in message
        for meta in runs:
            assert meta["template_sha256"][:12] in message and "--results DIR" in message
    one = judgebench("leaderboard", "--results", "new", "--out", "one", cwd=tmp_path)
    assert one.returncode == 0, one.stderr


def test_a_game_whose_request_an_earlier_run_stored_under_other_models_is_in_the_store(judge_server, tmp_path):
    """Run 1 judges x against the baseline; run 2 judges y, whose answers are x's: its games have run 1's keys,
    reuse their judgments and rate y, but only games sharing a key within one plan were recorded, so
    `leaderboard --store` did not see y at all."""
    (tmp_path / "questions.jsonl").write_text("".join(
        json.dumps({"question_id": f"q{i:02d}", "turns": [f"Question {i}?"]}) + "\n" for i in range(N_QUESTIONS)))
    for name, model in (("x", "x"), ("y", "y")):
        (tmp_path / f"{name}.jsonl").write_text("".join(
            json.dumps({"question_id": f"q{i:02d}", "model": m, "turns": [text]}) + "\n" for i in range(N_QUESTIONS)
            for m, text in ((model, f"Answer {i}. QUALITY={X_QUALITIES[i % 3]}"),
                            ("base", f"Answer {i} by base. QUALITY=5"))))
    for name in ("x", "y"):
        done = judgebench("run", "--questions", "questions.jsonl", "--answers", f"{name}.jsonl", "--baseline", "base",
                          "--judge-model", "test-judge", "--base-url", judge_server.base_url, "--store",
                          "store.sqlite", "--out", name, "--rounds", "50", "--no-progress", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert sum(judge_server.answered().values()) == 2 * N_QUESTIONS  # run 2 sent nothing
    refit = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", "base", "--rounds", "50", "--out",
                       "refit", cwd=tmp_path)
    assert refit.returncode == 0, refit.stderr
    stored = by_model(json.loads((tmp_path / "refit" / "leaderboard.json").read_text()))
    for name in ("x", "y"):
        own = by_model(json.loads((tmp_path / name / "leaderboard.json").read_text()))[name]
        assert (stored[name]["n_games"], stored[name]["win_rate"]) == (own["n_games"], own["win_rate"])


def test_a_game_whose_request_another_process_judges_meanwhile_is_in_the_store(judge_server, tmp_path):
    """As above, but at the same time: when run y starts, the requests of its games are not stored yet but
    claimed by another live process (this test, standing in for a run judging x), which stores them (run x's
    judgments, made beforehand in another store) while y waits. y sends nothing and rates its games, and the
    store must record them: recorded only before judging, they were missing from `leaderboard --store`."""
    import os
    import sqlite3
    import subprocess
    import sys
    import time

    from judgebench.store import HOST

    (tmp_path / "questions.jsonl").write_text("".join(
        json.dumps({"question_id": f"q{i:02d}", "turns": [f"Question {i}?"]}) + "\n" for i in range(N_QUESTIONS)))
    for model in ("x", "y"):
        (tmp_path / f"{model}.jsonl").write_text("".join(
            json.dumps({"question_id": f"q{i:02d}", "model": m, "turns": [text]}) + "\n" for i in range(N_QUESTIONS)
            for m, text in ((model, f"Answer {i}. QUALITY={X_QUALITIES[i % 3]}"),
                            ("base", f"Answer {i} by base. QUALITY=5"))))
    common = ["--questions", "questions.jsonl", "--baseline", "base", "--judge-model", "test-judge", "--base-url",
              judge_server.base_url, "--rounds", "50", "--no-progress"]
    done = judgebench("run", *common, "--answers", "x.jsonl", "--store", "x.sqlite", "--out", "x", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "x.sqlite") as source:
        keys = [key for (key,) in source.execute("SELECT key FROM judgments")]
    store = tmp_path / "store.sqlite"
    with sqlite3.connect(tmp_path / "x.sqlite") as source:  # the same schema, no judgments: the claims' store
        source.execute("VACUUM INTO ?", (str(store),))
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM judgments")
        db.execute("DELETE FROM runs")
        db.executemany("INSERT INTO claims (key, owner, host, pid, expires) VALUES (?, 'run-x', ?, ?, ?)",
                       [(key, HOST, os.getpid(), time.time() + 600) for key in keys])
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    y = subprocess.Popen([sys.executable, "-m", "judgebench.cli", "run", *common, "--answers", "y.jsonl", "--store",
                          "store.sqlite", "--out", "y"], cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    # y opens the store, finds every game claimed and waits (polling every 0.5 s); x then stores them and lets
    # its claims go. Were y slower to get there, it would find them stored and the test would pass trivially,
    # never wrongly: it waits for y to hold the store open first.
    def holds_store() -> bool:
        try:
            return any(Path(os.readlink(fd)) == store for fd in Path(f"/proc/{y.pid}/fd").iterdir())
        except OSError:  # an fd closed while listed, or y already ended
            return False

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and y.poll() is None and not holds_store():
        time.sleep(0.05)
    assert holds_store(), "run y never opened the store"
    time.sleep(1.0)
    with sqlite3.connect(store) as db:
        db.execute("ATTACH DATABASE ? AS x", (str(tmp_path / "x.sqlite"),))
        db.execute("INSERT INTO runs SELECT * FROM x.runs")
        db.execute("INSERT INTO judgments SELECT * FROM x.judgments")
        db.execute("DELETE FROM claims")
    out, err = y.communicate(timeout=120)
    assert y.returncode == 0, err
    assert sum(judge_server.answered().values()) == 2 * N_QUESTIONS  # x's calls; y sent nothing
    refit = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", "base", "--rounds", "50", "--out",
                       "refit", cwd=tmp_path)
    assert refit.returncode == 0, refit.stderr
    stored = by_model(json.loads((tmp_path / "refit" / "leaderboard.json").read_text()))
    own = by_model(json.loads((tmp_path / "y" / "leaderboard.json").read_text()))["y"]
    assert (stored["y"]["n_games"], stored["y"]["win_rate"]) == (own["n_games"], own["win_rate"]) == (
        N_QUESTIONS, stored["x"]["win_rate"])


def test_stored_unparsed_judgments_the_template_reads_are_not_sent_again(judge_server, tmp_path):
    """Judged first with a template lacking the tie label the judge writes (the ties stored unparsed, with fewer
    attempts than allowed), then with pairwise-5, which has it: the stored replies hold its verdicts, so the
    second run sends nothing and rates every game, as a fresh store judged with pairwise-5 does."""
    no_ties = template_copy(tmp_path, "no-ties", WITHOUT_TIES, name="no-ties")
    run(tmp_path, judge_server, "store.sqlite", "no-ties", "--template", str(no_ties))
    sent = sum(judge_server.answered().values())
    ties = 2 * N_QUESTIONS // 3
    unparsed = [line for line in judgment_lines(tmp_path, "no-ties") if line["status"] == "unparsed"]
    assert len(unparsed) == ties and {line["attempts"] for line in unparsed} == {1}
    reread = run(tmp_path, judge_server, "store.sqlite", "reread")
    assert sum(judge_server.answered().values()) == sent  # the stored ties are read, not paid for again
    said = " ".join((reread.stdout + reread.stderr).split())
    assert f"{sent} already in the store" in said
    # the store keeps them unparsed under no-ties, so the run says to rate it from its results
    assert (f"{ties} stored replies without a verdict under the template that stored them read as verdicts of "
            "'pairwise-5', and not asked again" in said and "leaderboard --results" in said)
    lines = judgment_lines(tmp_path, "reread")
    assert len(lines) == sent and {line["status"] for line in lines} == {"ok"}
    assert sum(line["label"] == "[[A=B]]" for line in lines) == ties
    run(tmp_path, judge_server, "fresh.sqlite", "fresh")
    assert ratings(tmp_path, "reread") == ratings(tmp_path, "fresh")


def run_again_with_damaged_logprobs(folder: Path, server, damage: str, *args: object):
    """Run, then damage one ok judgment of the store with the SQL `UPDATE judgments SET <damage> WHERE key = ?`
    (`args` before the key), and run again; the key, the second run's result, and the games the first sent."""
    import sqlite3

    run(folder, server, "store.sqlite", "first")
    sent = sum(server.answered().values())
    with sqlite3.connect(folder / "store.sqlite") as db:
        key = db.execute("SELECT key FROM judgments WHERE status = 'ok' ORDER BY key LIMIT 1").fetchone()[0]
        db.execute(f"UPDATE judgments SET {damage} WHERE key = ?", (*args, key))
    again = judgebench("run", *write_inputs(folder), "--judge-model", "test-judge", "--base-url", server.base_url,
                       "--store", "store.sqlite", "--out", "again", "--no-progress", cwd=folder)
    return key, again, sent


def test_stored_logprobs_that_are_not_json_are_a_damaged_store(judge_server, tmp_path):
    """A stored judgment's logprobs that are not JSON (the file was damaged) end the next run as the store reports
    other damage: exit 2, one message naming the store and the judgment, no traceback; nothing is sent."""
    key, again, sent = run_again_with_damaged_logprobs(tmp_path, judge_server, "logprobs = '[{\"A\": -0.1'")
    assert again.returncode == 2 and "Traceback" not in again.stderr, again.stderr
    said = " ".join(again.stderr.split())
    assert "store.sqlite" in said and f"the stored logprobs of the judgment {key} are not JSON" in said
    assert "the store is damaged" in said
    assert sum(judge_server.answered().values()) == sent


@pytest.mark.parametrize("status", ["ok", "unparsed"])
def test_stored_logprobs_that_are_not_text_are_a_damaged_store(judge_server, tmp_path, status):
    """A stored judgment's logprobs that SQLite holds as a binary value, not text (a damaged store), in a row the
    next run keeps (ok, or unparsed and asked for as often as allowed): the run ignored them and then failed on
    them writing judgments.jsonl (exit 70, 'internal error'). Exit 2, naming the store and the judgment, as for
    logprobs that are not JSON; nothing is sent and no judgments.jsonl written."""
    key, again, sent = run_again_with_damaged_logprobs(tmp_path, judge_server,
                                                       "status = ?, attempts = 3, logprobs = X'5b7bff'", status)
    assert again.returncode == 2 and "Traceback" not in again.stderr, again.stderr
    said = " ".join(again.stderr.split())
    assert "store.sqlite" in said and f"the stored logprobs of the judgment {key} are not text" in said
    assert "the store is damaged" in said
    assert sum(judge_server.answered().values()) == sent and not (tmp_path / "again" / "judgments.jsonl").exists()


def regenerate(folder: Path, model: str, quality: int, questions: range = range(N_QUESTIONS)) -> None:
    """Replace `model`'s answers to `questions` in answers.jsonl (`write_inputs`) by new ones of `quality`, as a
    user who regenerated them does."""
    path = folder / "answers.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        if row["model"] == model and int(row["question_id"][1:]) in questions:
            row["turns"] = [f"A new answer to {row['question_id']} by {model}. QUALITY={quality}"]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def judge_again(folder: Path, server, out: str) -> subprocess.CompletedProcess[str]:
    """`judgebench run` into store.sqlite with the answers as answers.jsonl holds them now (not rewritten)."""
    return judgebench("run", "--questions", "questions.jsonl", "--answers", "answers.jsonl", "--baseline", "base",
                      "--judge-model", "test-judge", "--base-url", server.base_url, "--store", "store.sqlite",
                      "--out", out, "--rounds", "50", "--no-progress", cwd=folder)


def test_latest_rates_a_store_whose_answers_were_regenerated_as_the_last_run_did(judge_server, tmp_path):
    """A user regenerated x's answers and judged them into the same store: every game of x against the baseline
    is stored under two keys. `leaderboard --store` refuses and names --latest; with it, each game's latest
    judgment is rated, exactly as the second run's folder rates, and the output counts the games whose older
    judgments were set aside (the terminal's note and meta.latest); `report --store --latest` reads them alike."""
    run(tmp_path, judge_server, "store.sqlite", "old")
    regenerate(tmp_path, "x", 8)
    again = judge_again(tmp_path, judge_server, "new")
    assert again.returncode == 0, again.stderr
    games = 2 * N_QUESTIONS  # x against the baseline, in both orders
    refused = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", "base", cwd=tmp_path)
    message = " ".join(refused.stderr.split())
    assert refused.returncode == 2 and f"the store holds {games} games judged by more than one request" in message
    assert "--latest" in message
    latest = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", "base", "--rounds", "50", "--latest",
                        "--out", "latest", cwd=tmp_path)
    assert latest.returncode == 0, latest.stderr
    assert (f"Latest judgments (--latest): {games} games judged by more than one request"
            in " ".join(latest.stdout.split()))
    assert f"{games} older judgments set aside" in " ".join(latest.stdout.split())
    assert "judged again only in part" not in latest.stderr  # every game of the regenerated answers was judged
    meta = json.loads((tmp_path / "latest" / "leaderboard.json").read_text())["meta"]
    assert meta["latest"] == {"games": games, "set_aside": games}
    refit = judgebench("leaderboard", "--results", "new", "--out", "refit", cwd=tmp_path)
    assert refit.returncode == 0, refit.stderr
    assert ratings(tmp_path, "latest") == ratings(tmp_path, "refit") != ratings(tmp_path, "old")
    assert ratings(tmp_path, "refit") == ratings(tmp_path, "new")
    from judgebench import rate

    board = rate(tmp_path / "store.sqlite", baseline="base", rounds=50, latest=True)  # the Python API alike
    assert board.meta["latest"] == meta["latest"]
    assert {entry["model"]: entry["rating"] for entry in board.models} == {
        model: entry[0] for model, entry in ratings(tmp_path, "latest").items()}
    report = judgebench("report", "--store", "store.sqlite", "--latest", "--out", "latest.html", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert f"{games} older judgments set aside" in (tmp_path / "latest.html").read_text()


def test_latest_warns_when_a_model_was_judged_again_only_in_part(judge_server, tmp_path):
    """The caveat of --latest: a game whose newer request was never judged keeps its old judgment. Here the
    judge refuses the regenerated answer to q00, so x is rated on one old answer and eleven new ones: the
    leaderboard says so, naming the models, and still counts only the games judged again."""
    run(tmp_path, judge_server, "store.sqlite", "old")
    regenerate(tmp_path, "x", 8)
    judge_server.add_fault("400", match=lambda request: "A new answer to q00 by x" in request.text)
    again = judge_again(tmp_path, judge_server, "new")
    assert again.returncode == 3, again.stderr  # the run ended with failed games
    latest = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", "base", "--latest", "--out",
                        "latest", cwd=tmp_path)
    assert latest.returncode == 0, latest.stderr
    warning = " ".join(latest.stderr.split())
    assert ("warning: 2 games whose newer request failed keep an older judgment: a model of those games (base, x) "
            "whose answers were judged again only in part is rated on its old and new answers together") in warning
    meta = json.loads((tmp_path / "latest" / "leaderboard.json").read_text())["meta"]
    assert meta["latest"] == {"games": 2 * N_QUESTIONS - 2, "set_aside": 2 * N_QUESTIONS - 2}
    assert any("newer request failed" in text for text in meta["warnings"])


def test_latest_with_games_whose_every_request_failed_says_nothing_of_numpy(judge_server, tmp_path):
    """The review's case: x's answer to q01, the only one regenerated, fails in both runs, so the games judged
    by two requests have no judgment to keep; --latest compared their failures with a missing time and printed
    numpy's RuntimeWarning."""
    judge_server.add_fault("400", match=lambda request: "Answer 1 by x" in request.text
                           or "A new answer to q01 by x" in request.text)
    first = judgebench("run", *write_inputs(tmp_path), "--judge-model", "test-judge", "--base-url",
                       judge_server.base_url, "--store", "store.sqlite", "--out", "old", "--rounds", "50",
                       "--no-progress", cwd=tmp_path)
    assert first.returncode == 3, first.stderr  # the run ended with failed games
    regenerate(tmp_path, "x", 8, questions=range(1, 2))  # the only games judged by two requests: none readable
    assert judge_again(tmp_path, judge_server, "new").returncode == 3
    latest = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", "base", "--latest", cwd=tmp_path)
    assert latest.returncode == 0, latest.stderr
    assert "RuntimeWarning" not in latest.stderr and "newer request failed" not in latest.stderr


def test_latest_goes_with_a_store_only(judge_server, tmp_path):
    """--latest chooses among a store's requests: with a results folder or outcomes it is a usage error, not
    ignored."""
    run(tmp_path, judge_server, "store.sqlite", "old")
    (tmp_path / "outcomes.csv").write_text("question_id,model_a,model_b,winner\nq0,a,b,model_a\n")
    for source, said in ((("--results", "old"), "--latest does not go with --results"),
                         (("--outcomes", "outcomes.csv"), "--latest goes with --store only")):
        refused = judgebench("leaderboard", *source, "--latest", cwd=tmp_path)
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
    report = judgebench("report", "--results", "old", "--latest", "--out", "r.html", cwd=tmp_path)
    assert report.returncode == 2 and "--latest chooses among the requests of a store's games" in report.stderr


def test_latest_is_the_judgment_stored_last_not_the_request_stored_first(judge_server, tmp_path):
    """Which judgment is a game's latest: the one whose verdict was stored last (`updated_at`). Run a's requests
    of x's answer to q00 fail; run b judges x's regenerated answers; run c, with x's first answers put back,
    judges the q00 requests run a stored as failed (the same keys). Their `created_at` is run a's, before run b's
    judgments, but their verdicts are run c's, the last stored: --latest keeps them for q00, and run b's verdicts
    for the other questions, whose first judgments (run a's) are older."""
    from judgebench.store import Store, latest_judgments

    write_inputs(tmp_path)
    first_answers = (tmp_path / "answers.jsonl").read_text()
    fault = judge_server.add_fault("400", match=lambda request: "Answer 0 by x." in request.text)
    assert judge_again(tmp_path, judge_server, "a").returncode == 3  # x's q00 games failed
    judge_server.faults.remove(fault)
    regenerate(tmp_path, "x", 8)
    assert judge_again(tmp_path, judge_server, "b").returncode == 0
    (tmp_path / "answers.jsonl").write_text(first_answers)
    assert judge_again(tmp_path, judge_server, "c").returncode == 0
    with Store(tmp_path / "store.sqlite", reading=True) as db:
        run_a, run_b, run_c = db.runs()["id"]
        kept, counts, warning = latest_judgments(db.judgments(), db)
    games = 2 * N_QUESTIONS  # x against the baseline in both orders, each judged for two answers
    assert counts == {"games": games, "set_aside": games} and warning is None
    of_x = kept[(kept["first"] == "x") | (kept["second"] == "x")]
    assert len(of_x) == games
    assert set(of_x.loc[of_x["question_id"] == "q00", "run_id"]) == {run_c}
    assert set(of_x.loc[of_x["question_id"] != "q00", "run_id"]) == {run_b}
    assert set(kept.loc[kept["first"] == "y", "run_id"]) == {run_a}  # y's games were judged once


def test_latest_warns_when_the_run_that_judged_again_did_not_finish(judge_server, tmp_path):
    """The other sign of answers judged again in part: run b, judging x's regenerated answers in batches of 8, is
    killed as it claims its third batch. Its 16 judgments are rated, the 8 games it never sent keep run a's, and
    the leaderboard says the latest judgments are of a run that did not finish, naming the models."""
    import signal

    from tests.support.signals import signal_at

    run(tmp_path, judge_server, "store.sqlite", "a")
    regenerate(tmp_path, "x", 8)
    script = ("from judgebench.runner import Sharing\nSharing.batch_for = lambda self, judge: 8\n"
              + signal_at("judgebench.store", "Store", "claim", signal.SIGKILL, call=3))
    killed = judgebench("run", "--questions", "questions.jsonl", "--answers", "answers.jsonl", "--baseline", "base",
                        "--judge-model", "test-judge", "--base-url", judge_server.base_url, "--store", "store.sqlite",
                        "--out", "b", "--no-progress", cwd=tmp_path, script=script)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    latest = judgebench("leaderboard", "--store", "store.sqlite", "--baseline", "base", "--latest", "--out",
                        "latest", cwd=tmp_path)
    assert latest.returncode == 0, latest.stderr
    warning = " ".join(latest.stderr.split())
    assert "the latest judgments are of a run that did not finish (" in warning
    assert ": killed), so its games never sent keep older judgments" in warning
    assert "a model of those games (base, x) whose answers were judged again only in part" in warning
    assert json.loads((tmp_path / "latest" / "leaderboard.json").read_text())["meta"]["latest"] == {
        "games": 16, "set_aside": 16}

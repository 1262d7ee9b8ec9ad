"""The Python API (`judgebench.evaluate`, `judgebench.rate`, `judgebench.gate`) against the installed console script.

The CLI only parses and formats, so its files must be exactly what the API writes for the same settings;
only timestamps (the meta's `created_at`) and measured latencies may differ. The judge is the scripted
OpenAI-compatible server on 127.0.0.1 (tests/support/judge_server.py), the store a real SQLite file, and
the CLI the real `judgebench` console script in a subprocess.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from html import escape
from pathlib import Path

import pandas as pd
import pytest

import judgebench
from judgebench.config import RunConfig, load_config
from judgebench.errors import ConfigError, InputError
from judgebench.outputs import json_safe
from tests.support.check_runs import write_config as write_check_config
from tests.support.check_runs import write_data as write_check_data
from tests.support.cli_runs import N_QUESTIONS, console_script, write_config
from tests.support.judge_server import Reply
from tests.support.stores import store_from_outcomes

LEADERBOARD_FILES = ("leaderboard.json", "leaderboard.csv", "leaderboard.md")


RUN_IDENTITY = ("id", "started_at", "ended_at")  # what differs between two runs that judged the same games


def without_timestamps(document: dict) -> dict:
    """A leaderboard.json without what two runs of the same games in two folders differ by: the time, the runs' ids and
    the questions file's path (the folder's own: its name is compared)."""
    meta = {k: v for k, v in document["meta"].items() if k not in ("created_at", "questions_file")}
    if "questions_file" in document["meta"]:
        meta["questions_file_name"] = Path(document["meta"]["questions_file"]).name
    if "runs" in meta:
        meta["runs"] = [{k: v for k, v in run.items() if k not in RUN_IDENTITY} for run in meta["runs"]]
    return {**document, "meta": meta}


def judgments_by_key(path: Path) -> dict[str, dict]:
    """judgments.jsonl by key, without the measured latency (stored order follows completion order)."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return {record["key"]: {k: v for k, v in record.items() if k not in ("latency_s", "run_id")}
            for record in records}


def assert_same_leaderboard_files(cli: Path, api: Path, *, timestamps: bool) -> None:
    for name in ("leaderboard.csv", "leaderboard.md"):
        assert (cli / name).read_text() == (api / name).read_text(), name
    cli_json, api_json = (json.loads((folder / "leaderboard.json").read_text()) for folder in (cli, api))
    if timestamps:
        assert "created_at" in cli_json["meta"] and "created_at" in api_json["meta"]
        cli_json, api_json = without_timestamps(cli_json), without_timestamps(api_json)
    assert cli_json == api_json


@pytest.mark.integration
def test_cli_run_writes_exactly_what_evaluate_writes(judge_server, tmp_path, capfd):
    cli_folder, api_folder = tmp_path / "cli", tmp_path / "api"
    cli_folder.mkdir(), api_folder.mkdir()
    done = console_script("run", "--config", str(write_config(cli_folder, judge_server.base_url)), cwd=cli_folder)
    assert done.returncode == 0, done.stderr

    capfd.readouterr()
    evaluation = judgebench.evaluate(load_config(write_config(api_folder, judge_server.base_url)))
    assert capfd.readouterr() == ("", "")  # evaluate prints nothing
    assert not (api_folder / "out").exists()  # and writes nothing but the store unless asked
    written = evaluation.write(api_folder / "out")
    assert sorted(written) == sorted([*LEADERBOARD_FILES, "judgments.jsonl", "diagnostics.json"])
    assert set(written) | {"plan.jsonl"} <= readme_write_comment_names()  # README's "From Python" says what
    assert (cli_folder / "out" / "diagnostics.json").is_file()
    assert_same_leaderboard_files(cli_folder / "out", api_folder / "out", timestamps=True)
    cli_judgments = judgments_by_key(cli_folder / "out" / "judgments.jsonl")
    assert len(cli_judgments) == 2 * 3 * N_QUESTIONS
    assert cli_judgments == judgments_by_key(api_folder / "out" / "judgments.jsonl")
    # the DataFrames behind the files
    assert list(evaluation.table["model"]) == [m["model"] for m in evaluation.leaderboard.models]
    assert len(evaluation.outcomes) == 3 * N_QUESTIONS and evaluation.exit_code == 0
    assert evaluation.provenance["games_planned"] == 2 * 3 * N_QUESTIONS
    # a notebook shows a line and the table, not the settings and DataFrames (15,000 characters for 5 models)
    assert repr(evaluation).startswith(f"<Evaluation: {2 * 3 * N_QUESTIONS} games planned, 0 from the store, "
                                       f"{2 * 3 * N_QUESTIONS} judge calls sent now; exit code 0; <Leaderboard: 4 "
                                       "models") and len(repr(evaluation)) < 400
    assert evaluation._repr_html_() == evaluation.leaderboard._repr_html_()


def readme_write_comment_names() -> set[str]:
    """The file names the comment on `evaluation.write(...)` in README.md's "From Python" section lists."""
    comment = re.search(r"^evaluation\.write\(.*?# (.*?)\n(?!\s+#)", readme_python_block(),
                        flags=re.MULTILINE | re.DOTALL)
    assert comment, "README's From Python section has no evaluation.write(...) line with a comment"
    return set(re.findall(r"[\w-]+\.(?:jsonl|json|csv|md)\b", comment.group(1)))


def _undefeated_outcomes(n_questions: int = 20) -> pd.DataFrame:
    """Three models on n questions, judged in both orders; `top` never loses, so maximum-likelihood
    ratings do not exist and the default (CLI and Python alike) is the noted weak ridge."""
    rows = []
    for q in range(n_questions):
        for a, b, p_ab, p_ba in (("top", "mid", 1.0, 1.0), ("top", "low", 1.0, 1.0),
                                 ("mid", "low", float(q % 3 != 0), float(q % 2 == 0))):
            rows.append({"question_id": f"q{q}", "model_a": a, "model_b": b, "score_a": (p_ab + p_ba) / 2,
                         "weight": 1.0, "p_ab": p_ab, "p_ba": p_ba})
    return pd.DataFrame(rows)


@pytest.mark.integration
def test_cli_leaderboard_writes_exactly_what_rate_writes_with_defaults(tmp_path):
    outcomes = _undefeated_outcomes()
    path = tmp_path / "battles.parquet"
    outcomes.to_parquet(path)
    done = console_script("leaderboard", "--outcomes", str(path), "--out", str(tmp_path / "cli"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "weak ridge" in done.stderr

    board = judgebench.rate(path)  # the same defaults: this data must not fail in Python
    board.write(tmp_path / "api")
    assert_same_leaderboard_files(tmp_path / "cli", tmp_path / "api", timestamps=False)
    assert board.meta["regularization"] > 0 and board.meta["rounds"] == 1000
    in_memory = judgebench.rate(outcomes)
    assert in_memory.models == board.models  # a DataFrame rates like its file
    assert (board.meta["source_path"], in_memory.meta["source_path"]) == (str(path), None)


@pytest.mark.integration
def test_cli_leaderboard_from_a_store_equals_rate(tmp_path):
    store = store_from_outcomes(_undefeated_outcomes(8), tmp_path / "judgments.sqlite")
    done = console_script("leaderboard", "--store", str(store), "--rounds", "200", "--swap", "consistent",
                          "--out", str(tmp_path / "cli"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    judgebench.rate(store, rounds=200, swap="consistent").write(tmp_path / "api")  # a store is recognised
    assert_same_leaderboard_files(tmp_path / "cli", tmp_path / "api", timestamps=False)
    assert json.loads((tmp_path / "api" / "leaderboard.json").read_text())["meta"]["source"] == "store"


@pytest.mark.integration
def test_rate_takes_a_results_folder_as_leaderboard_results_does(judge_server, tmp_path, monkeypatch):
    """`judgebench.rate("results/x")` read the folder as AlpacaEval annotations and failed on diagnostics.json
    ("field 'instruction': missing field"), although the README says everything the CLI does is one call. It
    now rates the run's judgments as `judgebench leaderboard --results` does: the run's settings, keywords over
    them, the same files; a folder without judgments (written by `leaderboard --out`) gets the CLI's message."""
    done = console_script("run", "--config", str(write_config(tmp_path, judge_server.base_url)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for flags, options in (((), {}), (("--method", "winrate", "--rounds", "50"), {"method": "winrate", "rounds": 50})):
        cli = console_script("leaderboard", "--results", "out", *flags, "--out", "cli", cwd=tmp_path)
        assert cli.returncode == 0, cli.stderr
        monkeypatch.chdir(tmp_path)  # the folder named as the CLI's user named it (meta.source_path "out")
        board = judgebench.rate("out", **options)
        board.write(tmp_path / "api")
        assert_same_leaderboard_files(tmp_path / "cli", tmp_path / "api", timestamps=False)
    assert board.meta["judge"] == "test-judge" and board.meta["rounds"] == 50
    again = judgebench.rate(str(tmp_path / "out"))  # the run's own ratings, as its leaderboard.json has them
    run_board = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
    assert again.models == run_board["models"]
    for key in ("runs", "games_planned", "prompt_tokens", "sampling", "template_sha256", "created_at"):
        assert again.meta[key] == run_board["meta"][key], key  # rated again in place, a folder lost how it was judged
    (tmp_path / "bare").mkdir()  # judgments without their leaderboard.json: the defaults rate them, and say so
    (tmp_path / "bare" / "judgments.jsonl").write_bytes((tmp_path / "out" / "judgments.jsonl").read_bytes())
    assert any("no leaderboard.json" in warning for warning in judgebench.rate(tmp_path / "bare").meta["warnings"])
    with pytest.raises(InputError, match="no judgments.jsonl here"):
        judgebench.rate(tmp_path / "cli")
    # an empty judgments.jsonl named "missing" columns; another file's lines are not judgebench's judgments
    (tmp_path / "cli" / "judgments.jsonl").write_text("")
    with pytest.raises(InputError, match="judgments.jsonl: no judgments: the run that wrote it judged nothing"):
        judgebench.rate(tmp_path / "cli")
    (tmp_path / "cli" / "judgments.jsonl").write_text('{"question_id": "q1", "first": "a"}\n')
    with pytest.raises(InputError, match="not judgebench's judgments: no p_first, second, status in its lines"):
        judgebench.rate(tmp_path / "cli")
    with pytest.raises(ConfigError, match="judge: not for a results folder"):
        judgebench.rate(tmp_path / "out", judge="other")


def test_a_leaderboard_shows_in_a_line_and_as_a_table_in_a_notebook():
    """Its repr was every model's dict (20,000 characters for 59 models), and a notebook printed that wall of text
    instead of the table."""
    frame = _undefeated_outcomes(10).replace({"mid": "<b>mid</b>"})
    board = judgebench.rate(frame, rounds=20)
    line = repr(board)
    assert "\n" not in line and len(line) < 300
    assert line.startswith("<Leaderboard: 3 models, method bt, 95% percentile interval") and "best: top " in line
    html = board._repr_html_()
    assert "<table" in html and "&lt;b&gt;mid&lt;/b&gt;" in html and "<b>mid</b>" not in html
    # its warnings above the table, as the terminal, leaderboard.md and the report show them (a model undefeated)
    assert board.meta["warnings"]
    for warning in board.meta["warnings"]:
        assert f"<strong>Warning:</strong> {escape(warning)}." in html.split("<table", 1)[0]


def test_a_notebook_shows_ratings_as_the_terminal_table_writes_them():
    """The notebook's table wrote every float to four significant figures: a rating of 1716.5 read 1717 (and a
    baseline's 1000.1 beside an upper end of 1000.0 read 1000 twice); a win-rate board's ratings were fractions
    where the terminal writes percentages. Ratings and their intervals' ends are now written by the terminal's
    own rule (`present.rating_format`)."""
    from judgebench.present import rating_format

    for options in ({}, {"method": "winrate", "baseline": "low"}):
        board = judgebench.rate(_undefeated_outcomes(10), rounds=20, **options)
        html, written = board._repr_html_(), rating_format(board.meta)
        for entry in board.models:
            row = html.split(f"<td>{entry['model']}</td>", 1)[1].split("</tr>", 1)[0]
            cells = [f"<td>{written(entry[key])}</td>" for key in ("rating", "lower", "upper")
                     if entry.get(key) is not None]
            assert cells and all(cell in row for cell in cells), (options, row)


def test_rate_rejects_unknown_options(tmp_path):
    with pytest.raises(ConfigError, match="unknown option roundz for judgebench.rate; did you mean 'rounds'"):
        judgebench.rate(_undefeated_outcomes(2), roundz=5)


@pytest.mark.parametrize("options, named", [({"latest": True}, "latest: goes"), ({"swap": "consistent"}, "swap: goes"),
                                             ({"judge": "j", "template": "t"}, "judge, template: go")])
def test_rate_refuses_a_stores_options_for_outcomes_as_the_command_line_does(options, named):
    """They choose and combine a store's games; given with an outcomes table they were ignored without a word."""
    with pytest.raises(ConfigError, match=f"^{named} with a store only .* an outcomes table gives outcomes already"):
        judgebench.rate(_undefeated_outcomes(2), **options)


@pytest.mark.parametrize("source, kind, message", [
    (None, "outcome", "kind: expected one of results, store, alpaca-eval, outcomes, .*did you mean 'outcomes'"),
    ([("q1", "a", "b", "model_a")], None, "a list of AlpacaEval annotation files .* item 1 is a tuple"),
    ("frame", "store", "kind='store' names a path, and the source is a DataFrame"),
])
def test_rate_refuses_sources_no_kind_reads_in_python_terms(source, kind, message):
    """They ended in TypeErrors from inside (an unexpected keyword argument 'outcome'; pathlib's 'expected str,
    bytes or os.PathLike object, not tuple')."""
    frame = _undefeated_outcomes(2)
    with pytest.raises(ConfigError, match=message):
        judgebench.rate(frame if source in (None, "frame") else source, kind=kind)


@pytest.mark.parametrize("source", [None, []])
def test_rate_without_a_source_says_what_it_takes_in_python_terms(source):
    """It answered "give exactly one of --store PATH, ...": flags, to a Python caller."""
    with pytest.raises(ConfigError) as caught:
        judgebench.rate(source)
    assert str(caught.value).startswith("rate() needs something to rate: a results folder") and "--" not in str(
        caught.value)


def test_import_is_light_and_the_api_is_documented():
    probe = "import sys, judgebench; print(sorted(m for m in ('pandas', 'numpy', 'rich') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    for name in ("evaluate", "rate", "gate", "html_report", "Evaluation", "Leaderboard", "CheckReport"):
        assert name in judgebench.__all__
        assert getattr(judgebench, name).__doc__
    with pytest.raises(AttributeError):
        judgebench.no_such_name  # noqa: B018


def test_commands_that_rate_do_not_import_scipy_stats():
    """Importing scipy.stats took half a second of every command that rates, for a t quantile: the quantiles and
    tails come from scipy.special (intervals.t_quantile, the sequential test, the transitivity test)."""
    probe = ("import sys\n"
             "from judgebench import check, cli, evaluation, leaderboard, diagnostics\n"
             "from judgebench.ratings import intervals, sequential\n"
             "intervals.t_quantile(0.95, 5)\n"
             "diagnostics.transitivity({'question_id': ['q', 'q', 'q'], "
             "'model_a': ['a', 'b', 'c'], 'model_b': ['b', 'c', 'a'], "
             "'score_a': [1.0, 1.0, 1.0]})\n"
             "print('scipy.stats' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "False"


def test_models_whose_names_differ_only_in_case_or_spaces_are_noted():
    """They were judged and ranked as two models without a word ('ALPHA-7b' beside 'alpha-7b')."""
    from judgebench.evaluation import _names_alike

    assert _names_alike(["alpha-7b", "beta", "gamma"]) == []
    (note,) = _names_alike(["ALPHA-7b", "alpha-7b", "beta", "beta ", "gamma"])
    assert note.startswith("the models 'ALPHA-7b' and 'alpha-7b'; 'beta' and 'beta ' differ only in case, spaces or "
                           "Unicode normalization")


def test_models_whose_names_differ_only_in_unicode_normalization_are_noted():
    """'modèle' as one code point (NFC) and as 'e' plus a combining accent (NFD) printed alike and ranked as two
    models without a word; they are noted (not merged), each shown with its escapes."""
    from judgebench.evaluation import _names_alike

    wide = "\uff4f\uff54\uff48\uff45\uff52"  # 'other' in full-width letters, the same name under NFKC
    (note,) = _names_alike(["mod\u00e8le", "mode\u0300le", "other", wide])
    assert note.startswith("the models 'mod\u00e8le' ('mod\\xe8le') and 'mode\u0300le' ('mode\\u0300le'); 'other' "
                           f"and '{wide}' ({ascii(wide)}) differ only in case, spaces or Unicode normalization"), note


def reference_run_settings(folder: Path, base_url: str, template: str, references: list[dict] | None = None,
                           questions_reference: dict[str, str] | None = None) -> RunConfig:
    """A run of `write_config`'s data with `template`, the questions' own references (by id) and a references file."""
    config = write_config(folder, base_url, template=template)
    questions = folder / "questions.jsonl"
    rows = [json.loads(line) for line in questions.read_text().splitlines()]
    for row in rows:
        if row["question_id"] in (questions_reference or {}):
            row["reference"] = [questions_reference[row["question_id"]]]
    questions.write_text("".join(json.dumps(row) + "\n" for row in rows))
    if references is not None:
        (folder / "refs.jsonl").write_text("".join(json.dumps(row) + "\n" for row in references))
        config.write_text(config.read_text().replace("[data]\n", '[data]\nreferences = "refs.jsonl"\n'))
    return load_config(config)


def test_reference_template_without_any_reference_is_refused_before_judging(judge_server, tmp_path):
    """Every prompt said "(No reference answer is available for this question.)", 72 judge calls, no word."""
    settings = reference_run_settings(tmp_path, judge_server.base_url, "pairwise-5-reference")
    with pytest.raises(ConfigError, match=r"^template 'pairwise-5-reference' judges with reference answers, but "
                                          r"none of the 12 questions has one: give them with \[data\] references"):
        judgebench.evaluate(settings)
    assert not judge_server.log


def test_reference_answers_missing_replaced_or_unused_are_noted(judge_server, tmp_path):
    """Questions judged without a reference, a references file replacing the questions' own, and references given
    to a template that does not show them, all passed without a word. The references file is FastChat's
    reference_answer format (`choices`), which generic questions refused ("field 'turns': missing")."""
    fastchat = [{"question_id": qid, "model_id": "gpt-4", "choices": [{"index": 0, "turns": [f"Ref {qid}."]}]}
                for qid in ("q00", "q01")]
    (tmp_path / "ref").mkdir()
    settings = reference_run_settings(tmp_path / "ref", judge_server.base_url, "pairwise-5-reference", fastchat,
                                      {"q00": "Another ref.", "q02": "Own ref."})
    notes = judgebench.evaluate(settings).run.notes
    assert "9 of 12 questions have no reference answer: template 'pairwise-5-reference' judges them without one " \
           "(their prompts say none is available)" in notes
    assert any(note.startswith("the reference answers of ") and note.endswith(
        "refs.jsonl replace those the questions file gives for 1 question(s) (ids: q00), which differ")
        for note in notes), notes
    (tmp_path / "plain").mkdir()
    settings = reference_run_settings(tmp_path / "plain", judge_server.base_url, "pairwise-5", fastchat)
    assert any(note.endswith("refs.jsonl are not used: template 'pairwise-5' does not show the judge reference "
                             "answers (pairwise-5-reference does)") for note in judgebench.evaluate(settings).run.notes)


def test_a_notebook_shows_failed_games_above_the_table(judge_server, tmp_path):
    """`run` says on the terminal that games failed (exit code 3); a notebook showed the table alone. How to go
    on is what `run` says: "the same evaluation again retries them" was wrong of games the judge refused as sent
    (an HTTP 400), which a rerun fails again."""
    judge_server.add_fault("400", match=lambda request: "Question number 3?" in request.text)
    evaluation = judgebench.evaluate(load_config(write_config(tmp_path, judge_server.base_url)))
    assert evaluation.exit_code == 3 and evaluation.run.n_failed == 6  # three pairs of question 3, both orders
    html = evaluation._repr_html_()
    assert html.index("<strong>6 games failed</strong> (exit code 3)") < html.index("<table")
    assert ("the leaderboard leaves their pairs out; the judge refused their requests as sent: a rerun sends such a "
            "request unchanged and fails it again. Most often the prompt is over the judge&#x27;s context length: "
            "shorten those answers (with the vLLM engine, [judging] truncate_answers = true does), or use a judge "
            "with a longer context.</p>") in html, html
    assert "retries them" not in html
    judge_server.reset()
    judge_server.add_fault("503", match=lambda request: "Question number 5?" in request.text)
    (tmp_path / "transient").mkdir()
    transient = judgebench.evaluate(load_config(write_config(tmp_path / "transient", judge_server.base_url)))
    assert "the leaderboard leaves their pairs out; run again to retry them.</p>" in transient._repr_html_()


def test_input_notes_are_said_before_the_first_judge_call(judge_server, tmp_path):
    """A note on the inputs (here: references a template does not show) reached the user only after every game
    was judged and paid for; it is now an `on_event` note before judging starts, and the run's notes keep it."""
    fastchat = [{"question_id": "q00", "model_id": "gpt-4", "choices": [{"index": 0, "turns": ["Ref."]}]}]
    settings = reference_run_settings(tmp_path, judge_server.base_url, "pairwise-5", fastchat)
    seen: list[tuple[str, str]] = []
    evaluation = judgebench.evaluate(settings, on_start=lambda tally: seen.append(("start", "")),
                                     on_event=lambda event: seen.append((event.kind, event.message)))
    (note,) = [message for kind, message in seen if kind == "note"]
    assert note.endswith("refs.jsonl are not used: template 'pairwise-5' does not show the judge reference answers "
                         "(pairwise-5-reference does)")
    assert seen.index(("note", note)) < seen.index(("start", "")) and note in evaluation.run.notes


def test_what_a_run_read_is_an_inputs_event_before_the_first_judge_call(judge_server, tmp_path, capfd):
    """The line of what a run read (its questions, the format its files were read in, its models) came after
    judging, when files read in another format than meant were paid for: `evaluate` now gives it to `on_event`
    once, before judging starts, and says nothing without `on_event`."""
    settings = load_config(write_config(tmp_path, judge_server.base_url))
    judgebench.evaluate(settings)
    assert capfd.readouterr() == ("", "")
    seen: list[tuple[str, str]] = []
    judgebench.evaluate(settings.model_copy(update={"store": tmp_path / "other.sqlite"}),
                        on_start=lambda tally: seen.append(("start", "")),
                        on_event=lambda event: seen.append((event.kind, event.message)))
    read = (f"{N_QUESTIONS} questions from questions.jsonl (format generic, detected), "
            "4 models (bad, base, good, mid)")
    assert [message for kind, message in seen if kind == "inputs"] == [read]
    assert seen.index(("inputs", read)) < seen.index(("start", ""))


def test_messages_raised_from_python_name_the_settings_not_flags(tmp_path):
    """A flag does not exist in Python: the field to set is named (as a config file names it)."""
    write_check_data(tmp_path)
    settings = RunConfig(questions=tmp_path / "questions.jsonl", answers=[tmp_path / "answers.jsonl"],
                         judge={"model": "j", "base_url": "http://127.0.0.1:9/v1"}, store=tmp_path / "s.sqlite")
    with pytest.raises(ConfigError, match=r"^pairing mode 'baseline' needs a baseline model: set \[judging\] "
                                          r'baseline = "MODEL" \(models in the answers: bad, '):
        judgebench.evaluate(settings)
    with pytest.raises(ConfigError, match=r"^margin is 0.6; use a win-rate margin in \(0, 0.5\)"):
        judgebench.gate(settings, "bad", "ref", margin=0.6)
    with pytest.raises(ConfigError,
                       match='^say what to compare with: reference = "MODEL" .* or against = "RESULTS_DIR"$'):
        judgebench.gate(settings, "bad")
    with pytest.raises(ConfigError, match=r"^unknown option marign for judgebench.gate; did you mean 'margin'\?; "
                                          "the options are ") as raised:
        judgebench.gate(settings, "bad", "ref", marign=0.1)
    # the keyword options only: candidate and reference are gate's positional parameters
    named = str(raised.value).split("the options are ")[1].split(", ")
    assert "margin" in named and "against" in named
    assert "candidate" not in named and "reference" not in named


def test_a_judge_preset_given_in_python_is_named_for_what_it_set(tmp_path):
    """`RunConfig(judge={"preset": "o4-mini"}, temperature=0.5)` was refused with "a reasoning judge ([judge]
    reasoning = true) ...: leave out [judge] reasoning", a setting the user never gave (the preset did), as a
    file or the flags already name it; a preset's concurrency below min_concurrency is named with the preset too."""
    write_check_data(tmp_path)
    data = {"questions": tmp_path / "questions.jsonl", "answers": [tmp_path / "answers.jsonl"]}
    with pytest.raises(ConfigError) as caught:
        RunConfig(**data, judge={"preset": "o4-mini"}, temperature=0.5)
    assert str(caught.value) == ("[judging] temperature: the judge preset 'o4-mini', a reasoning model, is sent no "
                                 "temperature: it samples at its own (OpenAI's reasoning models refuse any other "
                                 "than 1): leave out [judging] temperature, or choose another judge")
    with pytest.raises(ConfigError) as caught:  # another model over the preset keeps how it is asked
        RunConfig(**data, judge={"preset": "o4-mini", "model": "o3"}, temperature=0.5)
    assert "(reasoning = true from the judge preset 'o4-mini', kept for the model named)" in str(caught.value)
    assert str(caught.value).endswith("or leave out [judge] preset for a judge that takes one")
    with pytest.raises(ConfigError) as caught:  # written by the user: named as theirs
        RunConfig(**data, judge={"preset": "o4-mini", "reasoning": True}, temperature=0.5)
    assert "a reasoning judge ([judge] reasoning = true)" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        RunConfig(**data, judge={"preset": "gpt-4o-mini", "min_concurrency": 40})
    assert str(caught.value) == ("[judge] min_concurrency: must be at most [judge] concurrency (32, from judge "
                                 "preset 'gpt-4o-mini'), got 40")


def test_a_change_to_settings_of_a_judge_preset_names_the_preset(tmp_path):
    """A judge taken from a preset and changed from Python (`settings.judge.with_changes(...)`, an assignment, or
    `settings.with_changes(...)`) was refused naming the preset's settings as the user's: "[judge] concurrency (32)",
    "leave out [judge] reasoning" (never given), where the settings made with the preset name it. A change that
    sets the preset's setting itself is the user's, and named so; the settings are unchanged after a refusal."""
    write_check_data(tmp_path)
    data = {"questions": tmp_path / "questions.jsonl", "answers": [tmp_path / "answers.jsonl"]}
    settings = RunConfig(**data, judge={"preset": "gpt-4o-mini"})
    preset_concurrency = ("[judge] min_concurrency: must be at most [judge] concurrency (32, from judge preset "
                          "'gpt-4o-mini'), got 40")
    with pytest.raises(ConfigError) as caught:
        settings.judge.with_changes(min_concurrency=40)
    assert str(caught.value) == preset_concurrency
    with pytest.raises(ConfigError) as caught:
        settings.judge.min_concurrency = 40
    assert str(caught.value) == preset_concurrency and settings.judge.min_concurrency == 1
    with pytest.raises(ConfigError) as caught:  # the concurrency changed too: the user's now
        settings.judge.with_changes(concurrency=8, min_concurrency=40)
    assert str(caught.value) == "[judge] min_concurrency: must be at most [judge] concurrency (8), got 40"
    changed = settings.judge.with_changes(max_attempts=3)  # a copy changed again names the preset still
    with pytest.raises(ConfigError) as caught:
        changed.with_changes(min_concurrency=40)
    assert str(caught.value) == preset_concurrency
    reasoning = RunConfig(**data, judge={"preset": "o4-mini"})
    with pytest.raises(ConfigError) as caught:
        reasoning.with_changes(temperature=0.5)
    assert str(caught.value) == ("[judging] temperature: the judge preset 'o4-mini', a reasoning model, is sent no "
                                 "temperature: it samples at its own (OpenAI's reasoning models refuse any other "
                                 "than 1): leave out [judging] temperature, or choose another judge")
    for change in ({"engine": "vllm"}, {"judge": {"preset": "o4-mini", "engine": "vllm"}}):
        with pytest.raises(ConfigError) as caught:
            (reasoning.judge if "engine" in change else reasoning).with_changes(**change)
        assert "the judge preset 'o4-mini' is a reasoning model" in str(caught.value), change


def test_gate_refuses_what_check_refuses_and_points_a_run_setting_at_the_settings(tmp_path):
    """`gate(..., batch_size=10)` without sequential=True ignored the batch size that `check` refuses without
    --sequential; `gate(..., allow_missing=True)` was an "unknown option" listing the others, not saying where
    that setting goes. Both are refused before the data is read or the (unreachable) judge is called."""
    settings = RunConfig(questions=tmp_path / "questions.jsonl", answers=[tmp_path / "answers.jsonl"],
                         judge={"model": "j", "base_url": "http://127.0.0.1:9/v1"}, store=tmp_path / "s.sqlite")
    with pytest.raises(ConfigError, match=r"^batch_size applies to a sequential check only: add sequential = true, "
                                          "or leave it out$"):
        judgebench.gate(settings, "bad", "ref", batch_size=10)
    with pytest.raises(ConfigError, match=r"^allow_missing is a run setting, not an option of judgebench.gate: set "
                                          r"\[data\] allow_missing in the settings, or pass "
                                          r"settings.with_changes\(allow_missing=True\)$"):
        judgebench.gate(settings, "bad", "ref", allow_missing=True)


@pytest.mark.integration
def test_gate_returns_the_report_whose_json_is_what_check_writes(judge_server, tmp_path):
    """`judgebench.gate` is `judgebench check` from Python: the same data, judged afresh in two folders, gives a
    report whose JSON is check.json and whose exit code is the command's."""
    cli, api = tmp_path / "cli", tmp_path / "api"
    for folder in (cli, api):
        folder.mkdir()
        write_check_data(folder)
    done = console_script("check", "--config", str(write_check_config(cli, judge_server.base_url)), "--candidate",
                          "bad_writing", "--reference", "ref", "--json", "check.json", cwd=cli)
    report = judgebench.gate(load_config(write_check_config(api, judge_server.base_url)), "bad_writing", "ref")
    assert isinstance(report, judgebench.CheckReport) and report.exit_code == done.returncode == 1, done.stderr
    assert json.loads(json.dumps(json_safe(report.to_json()))) == json.loads((cli / "check.json").read_text())


GATE_INTERRUPTED = """
import os, pickle, signal, sys
import judgebench
from judgebench.config import load_config
from judgebench.errors import Interrupted

try:  # SIGTERM, as a CI runner's cancel sends it, once judging has begun
    judgebench.gate(load_config(sys.argv[1]), "bad_writing", "ref",
                    on_start=lambda tally: os.kill(os.getpid(), signal.SIGTERM))
except Interrupted as stop:
    again = pickle.loads(pickle.dumps(stop))  # as a process pool sends it back to its parent
    print(isinstance(stop, KeyboardInterrupt), stop.result.exit_code, stop.result.decision, stop.signum.name,
          again.signum.name, again.result.exit_code)
"""


@pytest.mark.integration
def test_gate_stopped_by_a_signal_raises_with_its_report(judge_server, tmp_path):
    """A stopped check has no decision: returned like one, a script that tests `report.exit_code == 0` was right
    to stop, but a loop of gates went on."""
    write_check_data(tmp_path)
    done = subprocess.run([sys.executable, "-c", GATE_INTERRUPTED, str(write_check_config(tmp_path,
                                                                                           judge_server.base_url))],
                          cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "143", "stopped", "SIGTERM", "SIGTERM", "143"]


def _out_problems(folder: Path) -> dict[str, tuple[list[str], str]]:
    a_file = folder / "occupied"
    a_file.write_text("not a directory\n")
    cases = {
        "--out is a file": (["--out", str(a_file)], "is a file, not a directory"),
        "the store's parent is a file": (["--store", str(a_file / "store.sqlite")], "store's directory"),
        "--out cannot be created": (["--out", str(folder / ("x" * 300))], "cannot be written"),
    }
    if os.geteuid() != 0:  # permissions do not stop root
        locked = folder / "locked"
        locked.mkdir(mode=0o500)
        cases["--out is not writable"] = (["--out", str(locked / "out")], "permission denied")
    return cases


@pytest.mark.integration
def test_unwritable_outputs_stop_the_run_before_any_judge_call(judge_server, tmp_path):
    config = write_config(tmp_path, judge_server.base_url)
    for case, (args, message) in _out_problems(tmp_path).items():
        done = console_script("run", "--config", str(config), *args, cwd=tmp_path)
        assert done.returncode == 2, f"{case}: exit {done.returncode}\n{done.stderr}"
        assert message in done.stderr, f"{case}: {done.stderr}"
        assert done.stderr.startswith("error:") and len(done.stderr.strip().splitlines()) == 1, case
        assert "Traceback" not in done.stderr + done.stdout, case
    assert not judge_server.log, "a judge request was sent although the outputs were unusable"


@pytest.mark.integration
def test_a_run_without_any_verdict_exits_3_and_shows_what_the_judge_wrote(judge_server, tmp_path):
    judge_server.rule = lambda request: Reply("Both answers have merit; I would not pick one.")
    config = write_config(tmp_path, judge_server.base_url)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "leaderboard.json").write_text("{}")  # an earlier run's, which no verdict supports now
    (tmp_path / "out" / "plan.jsonl").write_text("{}\n")  # an earlier adaptive run's plan: not this run's
    done = console_script("run", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "no game produced a verdict" in done.stderr
    assert "Both answers have merit" in done.stderr  # what the judge wrote
    assert "[[A>>B]]" in done.stderr and "[[B>>A]]" in done.stderr  # which markers pairwise-5 expects
    assert "Traceback" not in done.stderr
    lines = (tmp_path / "out" / "judgments.jsonl").read_text().splitlines()
    assert {json.loads(line)["status"] for line in lines} == {"unparsed"}  # kept for the record
    assert not (tmp_path / "out" / "leaderboard.json").exists()
    assert not (tmp_path / "out" / "plan.jsonl").exists()


class CallbackFailed(Exception):
    pass


@pytest.mark.integration
def test_a_failing_progress_callback_stops_the_run_with_its_error_and_loses_no_answer(judge_server, tmp_path):
    """The callback's error reaches the caller, and every answer received before the run stopped is stored, so
    that the rerun asks for none of them again (the error used to vanish in the event loop's handler, with the
    answers waiting to be committed: evaluate returned success on a part of the games, and they were paid twice)."""
    judge_server.latency_s = 0.02  # answers arrive over several commits
    config = load_config(write_config(tmp_path, judge_server.base_url))
    calls = []

    def fails_on_the_second_call(tally):
        calls.append(tally)
        if len(calls) == 2:
            raise CallbackFailed("the caller's bug")

    with pytest.raises(CallbackFailed, match="the caller's bug") as raised:
        judgebench.evaluate(config, on_progress=fails_on_the_second_call)
    assert raised.value.__context__ is None  # not chained to the event-loop probe's "no running event loop"
    answered = judge_server.answered()
    assert 0 < len(answered) < 2 * 3 * N_QUESTIONS
    with closing(sqlite3.connect(tmp_path / "store.sqlite")) as db:
        stored = db.execute("SELECT COUNT(*) FROM judgments WHERE status = 'ok'").fetchone()[0]
    assert stored == len(answered)
    judgebench.evaluate(config)
    assert len(judge_server.answered()) == 2 * 3 * N_QUESTIONS
    assert max(judge_server.answered().values()) == 1


@pytest.mark.integration
def test_an_adaptive_run_stopped_by_a_failing_callback_records_what_it_paid_for(judge_server, tmp_path):
    """The callback's error reaches the caller, and the run is recorded as one stopped by Ctrl-C: 'interrupted'
    with the games it stored, and its plan so far, uncorrected (the run was recorded 'failed' with no games, and
    no plan: `leaderboard --store` rated its judgments as if no plan had chosen them)."""
    judge_server.latency_s = 0.02  # answers arrive over several commits
    config = load_config(write_config(tmp_path, judge_server.base_url, pairs="adaptive", budget_calls=80,
                                      round_games=20))
    calls = []

    def fails_on_the_fifth_call(tally):
        calls.append(tally)
        if len(calls) == 5:
            raise CallbackFailed("the caller's bug")

    with pytest.raises(CallbackFailed, match="the caller's bug"):
        judgebench.evaluate(config, on_progress=fails_on_the_fifth_call)
    with closing(sqlite3.connect(tmp_path / "store.sqlite")) as db:
        stored = db.execute("SELECT COUNT(*) FROM judgments").fetchone()[0]
        runs = db.execute("SELECT status, sent FROM runs").fetchall()
        plans = [json.loads(plan)["adaptive"] for (plan,) in db.execute("SELECT plan FROM plans")]
    assert 0 < stored < 80 and runs == [("interrupted", stored)]
    assert len(plans) == 1 and plans[0]["stopped_by"] == plans[0]["uncorrected"] == "interrupted"
    assert plans[0]["design_bias"] is None


@pytest.mark.integration
def test_an_adaptive_run_whose_start_callback_fails_in_a_later_round_records_what_it_paid_for(judge_server, tmp_path):
    """`on_start` raising as the second round starts stops the run as `on_progress` raising does: the error
    reaches the caller, and the run is recorded 'interrupted' with the first round's games and its plan so far
    (it was recorded 'failed' without a plan, and `leaderboard --store` rated the round as if no plan had
    chosen it)."""
    config = load_config(write_config(tmp_path, judge_server.base_url, pairs="adaptive", budget_calls=80,
                                      round_games=20))
    starts = []

    def fails_as_the_second_round_starts(tally):
        starts.append(tally.status)
        if len(starts) == 2:
            raise CallbackFailed("the caller's bug")

    with pytest.raises(CallbackFailed, match="the caller's bug"):
        judgebench.evaluate(config, on_start=fails_as_the_second_round_starts)
    assert starts[1].startswith("round 2 ")
    with closing(sqlite3.connect(tmp_path / "store.sqlite")) as db:
        stored = db.execute("SELECT COUNT(*) FROM judgments WHERE status = 'ok'").fetchone()[0]
        runs = db.execute("SELECT status, sent FROM runs").fetchall()
        plans = [json.loads(plan)["adaptive"] for (plan,) in db.execute("SELECT plan FROM plans")]
    assert stored == 20 == len(judge_server.answered()) and runs == [("interrupted", 20)]  # round 1, none of round 2
    assert len(plans) == 1 and plans[0]["stopped_by"] == plans[0]["uncorrected"] == "interrupted"
    judgebench.evaluate(config)  # the same call again goes on from the store
    assert len(judge_server.answered()) == 80 and max(judge_server.answered().values()) == 1


@pytest.mark.integration
def test_progress_callbacks_see_the_cost_of_a_judge_without_prices_as_unknown(judge_server, tmp_path):
    """The CLI shows "cost n/a" for a judge without prices, and README says unknown is not $0; the callbacks were
    given `cost=0.0`. With prices they see the running cost, which ends as the evaluation's."""
    config = load_config(write_config(tmp_path, judge_server.base_url))
    seen: list[float | None] = []
    judgebench.evaluate(config, on_start=lambda tally: seen.append(tally.cost),
                        on_progress=lambda tally: seen.append(tally.cost))
    assert len(seen) > 1 and set(seen) == {None}
    prices = config.judge.model_copy(update={"price_in_per_mtok": 1.0, "price_out_per_mtok": 2.0})
    priced = config.model_copy(update={"judge": prices, "store": tmp_path / "priced.sqlite"})
    seen.clear()
    evaluation = judgebench.evaluate(priced, on_progress=lambda tally: seen.append(tally.cost))
    assert all(isinstance(cost, float) for cost in seen) and seen == sorted(seen)
    assert evaluation.cost_usd is not None and evaluation.cost_usd > 0 and seen[-1] == evaluation.cost_usd


@pytest.mark.integration
def test_progress_callbacks_get_the_totals_as_they_were_at_each_call(judge_server, tmp_path):
    """on_start and on_progress were handed the same running Tally at every call, so a caller that kept them ended
    with the final totals only (each kept `done` read the last): each call gets a copy, the totals then."""
    config = load_config(write_config(tmp_path, judge_server.base_url))
    kept: list = []
    evaluation = judgebench.evaluate(config, on_start=kept.append, on_progress=kept.append)
    done = [tally.done for tally in kept]
    assert len(kept) > 2 and len({id(tally) for tally in kept}) == len(kept)
    assert done[0] == 0 and done == sorted(done) and done[-1] == evaluation.run.tally.done == kept[0].total > 0
    assert kept[-1] is not evaluation.run.tally  # nor is the evaluation's own changed through the last one


@pytest.mark.integration
def test_evaluate_runs_where_an_event_loop_already_runs(judge_server, tmp_path):
    """A Jupyter notebook runs an event loop in the thread its cells run in: evaluate (asyncio.run inside)
    refused with "Cannot run the event loop while another loop is running"."""
    config = load_config(write_config(tmp_path, judge_server.base_url))

    async def notebook_cell():
        return judgebench.evaluate(config)

    inside = asyncio.run(notebook_cell())
    assert len(judge_server.answered()) == 2 * 3 * N_QUESTIONS and inside.exit_code == 0
    outside = judgebench.evaluate(config)  # from the store, as the same call outside a loop gives
    assert outside.table.equals(inside.table)
    assert len(judge_server.log) == 2 * 3 * N_QUESTIONS


@pytest.mark.parametrize("call", ["evaluate", "gate"])
def test_settings_that_are_not_a_run_config_are_refused_with_how_to_make_one(call, tmp_path):
    """A config file's path is an easy first guess (it ended in "'str' object has no attribute 'questions'")."""
    arguments = {"evaluate": ("run.toml",), "gate": ({"questions": "q.jsonl"}, "candidate")}[call]
    with pytest.raises(ConfigError, match=r"takes the settings as a RunConfig, got (str|dict): .*load_config\(PATH\)"):
        getattr(judgebench, call)(*arguments)


@pytest.mark.parametrize(("option", "value", "message"), [
    ("rounds", 2.5, "rounds: expected an integer, got 2.5"),  # was cut to 2 rounds without a word
    ("rounds", "100", 'rounds: expected an integer, got "100"'),  # was a TypeError
    ("seed", -1, "seed: must be at least 0, got -1"),  # was numpy's ValueError
    ("position_effect", "yes", 'position_effect: expected true or false, got "yes"'),  # was taken as True
    ("swap", "bogus", "swap: expected one of"),  # was ignored for outcomes
])
def test_rate_checks_each_option_as_the_leaderboard_settings_do(option, value, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        judgebench.rate(_undefeated_outcomes(3), **{option: value})


@pytest.mark.parametrize(("option", "value", "message"), [
    ("margin", "0.05", "margin is '0.05'; use a number"),  # was a TypeError
    ("batch_size", 2.5, "batch_size is 2.5; use a whole number"),  # was a TypeError after the data loaded
    ("allow_failed", "no", "allow_failed is 'no'; use True or False"),  # was taken as True
])
def test_gate_checks_each_option_before_any_judge_call(judge_server, tmp_path, option, value, message):
    write_check_data(tmp_path)
    settings = load_config(write_check_config(tmp_path, judge_server.base_url))
    with pytest.raises(ConfigError, match=re.escape(message)):
        judgebench.gate(settings, "bad_writing", "ref", sequential=True, **{option: value})
    assert not judge_server.log


def test_rate_takes_outcome_rows_and_options_in_a_dict():
    """A list of row dicts was taken for AlpacaEval file names (TypeError), options in a dict were ignored."""
    frame = _undefeated_outcomes(3)
    rows = frame.to_dict("records")
    assert judgebench.rate(rows, rounds=50).table.equals(judgebench.rate(frame, rounds=50).table)
    board = judgebench.rate(frame, {"rounds": 50, "method": "elo"}, rounds=60)
    assert (board.meta["rounds"], board.meta["method"]) == (60, "elo")  # the keywords win over the dict


@pytest.mark.integration
def test_html_report_writes_what_the_report_command_writes(judge_server, tmp_path, monkeypatch):
    """`judgebench report` from Python (its logic lived in the CLI): the same page, plots and counts."""
    done = console_script("run", "--config", str(write_config(tmp_path, judge_server.base_url)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    cli = console_script("report", "--results", "out", "--out", "cli/report.html", "--method", "winrate",
                         "--judgments-shown", "5", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    monkeypatch.chdir(tmp_path)  # the page names the results folder as given: "out", as the command was
    # the option named as the command's flag is (it was shown_pairs: judgments_shown= was a TypeError)
    written = judgebench.html_report("api", results="out", method="winrate", judgments_shown=5)
    assert written.html.resolve() == tmp_path / "api" / "report.html" and not written.imported
    assert (written.pairs_shown, written.pairs_total) == (5, 3 * N_QUESTIONS)  # the run's pairs
    assert f"{written.pairs_shown} of {written.pairs_total} pairs in the judgment browser" in cli.stdout
    written_at = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")  # when each page was written
    assert (written_at.sub("", written.html.read_text())
            == written_at.sub("", (tmp_path / "cli" / "report.html").read_text()))
    assert sorted(path.name for path in (tmp_path / "api").iterdir()) == sorted(
        path.name for path in (tmp_path / "cli").iterdir())
    with pytest.raises(ConfigError, match='^give exactly one of store = "PATH" or results = "DIR"$'):  # not flags
        judgebench.html_report(tmp_path / "x")
    with pytest.raises(ConfigError, match='method: expected one of "bt", "elo", "winrate", got "wr"'):
        judgebench.html_report(tmp_path / "x", results=tmp_path / "out", method="wr")


@pytest.mark.integration
def test_diagnose_gives_what_the_diagnose_command_writes(judge_server, tmp_path, monkeypatch):
    done = console_script("run", "--config", str(write_config(tmp_path, judge_server.base_url)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    cli = console_script("diagnose", "--results", "out", "--judge-family", "good", "--out", "cli", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    monkeypatch.chdir(tmp_path)  # the figures name the results folder as given
    figures = judgebench.diagnose(results="out", judge_family="good")
    written = json.loads((tmp_path / "cli" / "diagnostics.json").read_text())
    assert json.loads(json.dumps(json_safe(figures))) == written
    assert figures["position_consistency"] is not None
    with pytest.raises(ConfigError, match="swap: expected one of"):
        judgebench.diagnose(results="out", swap="sometimes")


NOTEBOOK_INTERRUPTED = """
import asyncio, os, signal, sys, threading
import judgebench
from judgebench.config import load_config

def interrupt_the_kernel():  # as Jupyter does: SIGINT to the kernel process, once judging has begun
    os.kill(os.getpid(), signal.SIGINT)

async def cell():
    for attempt in range(3):  # a loop of evaluations: the interrupt ends the loop, not one evaluation
        try:
            judgebench.evaluate(load_config(sys.argv[1]), out="fresh",
                                on_start=lambda tally: threading.Timer(1.0, interrupt_the_kernel).start())
        except KeyboardInterrupt as stop:
            evaluation = stop.result
            print(attempt, evaluation.exit_code, evaluation.run.interrupted, evaluation.run.tally.done,
                  os.path.exists("fresh"))
            break

asyncio.run(cell())
"""


@pytest.mark.integration
def test_interrupting_a_notebook_stops_the_judging_there(judge_server, tmp_path):
    """In a notebook the judging runs on a loop in another thread, which cannot handle signals: the interrupt
    the main thread receives stops it as Ctrl-C stops a run (it judged the whole plan, then said 'interrupted'),
    and raises a KeyboardInterrupt holding the stopped evaluation (it returned it, so a loop of evaluations went
    on after each interrupt)."""
    judge_server.latency_s = 0.2  # 72 games at concurrency 8: about 2 s
    config = write_config(tmp_path, judge_server.base_url)
    done = subprocess.run([sys.executable, "-c", NOTEBOOK_INTERRUPTED, str(config)], cwd=tmp_path, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    attempt, exit_code, interrupted, sent, out_left = done.stdout.split()
    assert (attempt, exit_code, interrupted) == ("0", "130", "True")
    assert out_left == "False"  # "nothing written to out": the folder checked before judging is removed again
    assert 0 < int(sent) and len(judge_server.log) < 2 * 3 * N_QUESTIONS  # stopped part way


ASYNC_APPLICATION_INTERRUPTED_WHILE_LOADING = """
import asyncio, os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal (asyncio.run adds its own)
import judgebench, judgebench.datasets as datasets
from judgebench.config import load_config

original = datasets.load_dataset
def loading(*args, **kwargs):  # Ctrl-C while the answers load
    os.kill(os.getpid(), signal.SIGINT)
    return original(*args, **kwargs)
datasets.load_dataset = loading

async def main():
    try:
        judgebench.evaluate(load_config(sys.argv[1]), out="fresh")
    except KeyboardInterrupt as stop:
        print(type(stop).__name__, getattr(stop, "signum", None).name, os.path.exists("fresh"))

asyncio.run(main())
"""


def test_ctrl_c_while_the_inputs_load_in_an_async_application_stops_before_any_judge_call(judge_server, tmp_path):
    """asyncio.run's own Ctrl-C handler held the signal back while `evaluate` (synchronous) loaded the inputs: every
    game was judged and paid for, then a KeyboardInterrupt came from asyncio and the evaluation was lost. The
    signal now stops `evaluate` at once (`runner.Stopped`), before any judge call, and the output folder it made is
    removed again."""
    config = write_config(tmp_path, judge_server.base_url)
    done = subprocess.run([sys.executable, "-c", ASYNC_APPLICATION_INTERRUPTED_WHILE_LOADING, str(config)],
                          cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Stopped", "SIGINT", "False"]
    assert judge_server.log == []


def test_rate_takes_numpy_numbers_and_none_as_the_default():
    import numpy as np

    frame = _undefeated_outcomes(3)
    board = judgebench.rate(frame, rounds=np.int64(50), seed=np.int64(1), confidence=None)
    assert (board.meta["rounds"], board.meta["seed"], board.meta["confidence"]) == (50, 1, 0.95)


def test_errors_raised_in_python_name_python_and_the_command_lines_name_flags(tmp_path, shared_data):
    """README: an error raised in Python names what to set as Python names it. `rate` of a run's judgments.jsonl
    said "rate the run with `judgebench leaderboard --results DIR`", of a folder without judgments "write one with
    `judgebench run --out DIR`", of AlpacaEval's annotations with one length-control file "--lc-weights FILE
    --instruction-difficulty FILE"; the same errors met on the command line still name its commands and flags."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "judgments.jsonl").write_text(json.dumps({"question_id": "q1", "first": "a", "second": "b",
                                                     "p_first": 1.0}) + "\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "leaderboard.json").write_text("{}")
    alpaca = shared_data / "alpaca_eval"
    store = store_from_outcomes(_undefeated_outcomes(4), tmp_path / "judgments.sqlite")
    raised = []
    for source, options in ((out / "judgments.jsonl", {}), (empty, {}),
                            (alpaca / "annotations", {"lc_weights": alpaca / "lc_weights.csv"}),
                            (store, {"style_control": True})):
        with pytest.raises((ConfigError, InputError)) as error:
            judgebench.rate(source, **options)
        raised.append(str(error.value))
    games, no_judgments, length_control, style = raised
    assert f"rate the run with `judgebench.rate({str(out)!r})`" in games
    assert "write one with `judgebench.evaluate(settings).write(DIR)`" in no_judgments
    assert 'lc_weights = "FILE", instruction_difficulty = "FILE"' in length_control
    assert "`judgebench.rate(STORE, questions=FILE, answers=FILE, style_control=True)`" in style
    for message in raised:
        assert "--" not in message and "`judgebench " not in message, message
    # on the command line: the command and the flags
    said = [console_script("leaderboard", *flags, cwd=tmp_path).stderr for flags in (
        ("--outcomes", "out/judgments.jsonl"), ("--alpaca-eval", str(alpaca / "annotations"), "--lc-weights",
                                                 str(alpaca / "lc_weights.csv")))]
    assert f"rate the run with `judgebench leaderboard --results {Path('out')}`" in said[0]
    assert "--lc-weights FILE, --instruction-difficulty FILE" in said[1]


def test_paths_given_to_the_python_api_begin_in_the_home_folder_with_a_tilde(tmp_path, monkeypatch):
    """`judgebench.rate("~/s.sqlite")` looked for a folder named `~` in the working folder ("store not found"), as
    did the paths of `diagnose`, `html_report` and `gate`, and a leaderboard's `write` made one: `~` is the home
    folder, as in a path setting (`RunConfig(store="~/s.sqlite")`), and a path naming an environment variable is
    refused, naming the argument, rather than taken literally."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    store_from_outcomes(_undefeated_outcomes(4), home / "s.sqlite")
    board = judgebench.rate("~/s.sqlite", rounds=20)
    assert board.meta["source_path"] == str(home / "s.sqlite")
    assert board.write("~/board")["json"] == home / "board" / "leaderboard.json"
    assert judgebench.diagnose(store="~/s.sqlite")["provenance"]["source"] == str(home / "s.sqlite")
    written = judgebench.html_report("~/report/", store="~/s.sqlite", rounds=20)  # the slash names a directory
    assert written.html == home / "report" / "report.html" and written.html.is_file()
    settings = RunConfig(questions=home / "q.jsonl", answers=[home / "a.jsonl"], store=home / "gate.sqlite",
                         judge={"model": "j", "base_url": "http://127.0.0.1:9/v1"})
    with pytest.raises(InputError, match=f"^{re.escape(str(home / 'earlier'))}/leaderboard.json: not found"):
        judgebench.gate(settings, "bad", against="~/earlier")
    with pytest.raises(ConfigError, match=r'^source: environment variables are not expanded in paths \(\$HOME in '
                                          r'"\$HOME/s.sqlite"\): write the folder out, or begin with ~'):
        judgebench.rate("$HOME/s.sqlite")
    assert list(work.iterdir()) == []


JUDGEBENCH_GOLD = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "judgebench"
                   / "gpt-4o-2024-05-13.jsonl")


def readme_python_block() -> str:
    """The code of README.md's "From Python" section, as a user pastes it."""
    section = (Path(__file__).resolve().parents[1] / "README.md").read_text().split("\n## From Python\n", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert block, "README's From Python section has no python block"
    return block.group(1)


def test_the_readme_python_block_runs_as_pasted_after_the_quickstart(judge_server, tmp_path):
    """A newcomer pasting README's "From Python" block got a store that is not there ("results/judgebench.sqlite:
    store not found"), an undefined `frame`, and config files the repository does not have. It runs now, in a copy
    of the repository's examples, with two things replaced at boundaries this test cannot run: the embedded judge
    (the quickstart's vLLM model; its own test runs it) and examples/check's server on 127.0.0.1:8000 are the
    scripted server, and judge.toml / gold.jsonl, which the block says are the user's, are written here."""
    import shutil

    judge_server.models = None
    examples = tmp_path / "examples"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples", examples)
    judge = f'[judge]\nengine = "openai"\nmodel = "judge"\nbase_url = "{judge_server.base_url}"\n'
    quickstart = examples / "quickstart.toml"
    text, replaced = re.subn(r"\[judge\]\n[^\[]*", judge + "\n", quickstart.read_text())
    quickstart.write_text(text.replace('"logprob"', '"pairwise-5"'))
    check = examples / "check" / "check.toml"
    check.write_text(check.read_text().replace("http://127.0.0.1:8000/v1", judge_server.base_url))
    assert replaced == 1 and judge_server.base_url in check.read_text()
    (tmp_path / "judge.toml").write_text(judge + '[run]\nstore = "results/gold.sqlite"\n')
    gold = [json.loads(line) for line in JUDGEBENCH_GOLD.read_text().splitlines()][:6]
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(row) + "\n" for row in gold))
    script = tmp_path / "from_python.py"
    script.write_text(readme_python_block() + 'print("done", board, report.exit_code, gold.exit_code)\n')
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "JUDGEBENCH_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert "done <Leaderboard: 4 models" in done.stdout, done.stdout
    assert (tmp_path / "results" / "rated" / "leaderboard.json").exists()
    assert (tmp_path / "results" / "report.html").exists()

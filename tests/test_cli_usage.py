"""Usage errors through the installed console script: click's usage message and exit 2, never a traceback.

Each case runs `judgebench` (the venv's console script, with this checkout first on PYTHONPATH) in a
subprocess, with the typer that `pip install` gives today (0.29 vendors click as `typer._click`) and with an
older typer that uses the click package itself (0.20, installed with pip into a temporary folder put
first on PYTHONPATH; skipped when PyPI cannot be reached).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from judgebench import errors
from tests.support.cli_runs import write_data

ROOT = Path(__file__).resolve().parents[1]
CONSOLE_SCRIPT = Path(sys.executable).with_name("judgebench")
OLDER_TYPER = "typer==0.20.0"


def judgebench(*args: str, cwd: Path, path: list[Path] | None = None, **variables: str
               ) -> subprocess.CompletedProcess[str]:
    """Run the console script; `path` goes before this checkout on PYTHONPATH; `variables` are set."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in [*(path or []), ROOT]), **variables}
    return subprocess.run([str(CONSOLE_SCRIPT), *args], cwd=cwd, env=env, text=True, capture_output=True,
                          timeout=120)


def write_inputs(folder: Path) -> None:
    (folder / "q.jsonl").write_text('{"question_id": "q1", "turns": ["2+2?"]}\n')
    (folder / "a.jsonl").write_text('{"question_id": "q1", "model": "a", "turns": ["4"]}\n'
                                    '{"question_id": "q1", "model": "b", "turns": ["5"]}\n')
    (folder / "o.csv").write_text("question_id,model_a,model_b,score_a\nq1,a,b,1\nq2,b,a,0\n")
    (folder / "rounds.toml").write_text('[data]\nquestions = "q.jsonl"\nanswers = ["a.jsonl"]\n'
                                        '[ratings]\nrounds = "abc"\n')


RUN = ["run", "--questions", "q.jsonl", "--answers", "a.jsonl"]
# (arguments, what click's message must say); every case exits 2 with "Usage: judgebench ..." first.
USAGE_ERRORS = {
    "unknown flag": (["run", "--bogus"], "No such option"),  # then ": --bogus" (typer 0.29), " '--bogus'." (click)
    "unknown command": (["rnu"], "No such command 'rnu'"),
    # a setting of the file given as a flag is told where it goes (click suggested --template for --temperature),
    # a setting the command has a flag for is pointed at that flag, and a flag that exists keeps click's message
    "a file setting as a flag": (["run", "--temperature", "0.5"],
                                 "No such option: --temperature; [judging] temperature is a setting of the config "
                                 "file (--config FILE), not a flag\n"),
    "a judge setting as a flag": (["check", "--candidate", "x", "--max-attempts", "3"],
                                  "No such option: --max-attempts; [judge] max_attempts is a setting of the config "
                                  "file (--config FILE), not a flag\n"),
    "a setting by the name of its file": (["run", "--preset", "x"], "No such option: --preset (Possible options: "
                                          "--judge)\n"),
    # an on/off setting's off form (`--progress` was pointed at the file, `--no-progress` said "No such option" alone)
    "an on/off setting turned off": (["check", "--candidate", "x", "--no-progress"],
                                     "No such option: --no-progress; [run] progress is a setting of the config file "
                                     "(--config FILE), not a flag\n"),
    # numbers are worded as a file's settings are, not as typer's pydantic coercion words them
    "not an integer": (["leaderboard", "--outcomes", "o.csv", "--rounds", "abc"],
                       "Invalid value for '--rounds': expected an integer, got \"abc\""),
    "a fraction for an integer": ([*RUN, "--budget-calls", "10.5"],
                                  "Invalid value for '--budget-calls': expected an integer, got \"10.5\""),
    "not a number": (["leaderboard", "--outcomes", "o.csv", "--confidence", "high"],
                     "Invalid value for '--confidence': expected a number, got \"high\""),
    "adaptive without an end": ([*RUN, "--pairs", "adaptive"],
                                "Invalid value for '--pairs': adaptive needs a budget or a precision target"),
    "a budget for a plan made up front": ([*RUN, "--budget-calls", "100"],
                                          "Invalid value for '--budget-calls': a budget shapes a plan chosen as it "
                                          "goes (pairs = adaptive or tournament); pairs = baseline plans every game"),
    "an odd round": ([*RUN, "--pairs", "adaptive", "--budget-calls", "10", "--round-games", "3"],
                     "Invalid value for '--round-games': a round of 3 games: both orders of a pair are judged together "
                     "(swap = both), so a round is an even number of games: set --round-games 2 or 4"),
    "out of range": ([*RUN, "--concurrency", "0"], "Invalid value for '--concurrency': must be at least 1, got 0"),
    "a negative count": (["report", "--results", ".", "--out", "r", "--judgments-shown", "-1"],
                         "Invalid value for '--judgments-shown': must be at least 0, got -1"),
    "confidence out of range": (["leaderboard", "--outcomes", "o.csv", "--confidence", "1.5"],
                                "Invalid value for '--confidence': must be less than 1, got 1.5"),
    "not a choice": ([*RUN, "--swap", "sideways"],
                     """Invalid value for '--swap': expected one of "both", "consistent", "random-one", got """
                     '"sideways"'),
    "unknown template": ([*RUN, "--template", "pairwise-7"],
                         "Invalid value for '--template': unknown template 'pairwise-7'"),
    "unknown preset": ([*RUN, "--judge", "gpt-4o-mni"],
                       "Invalid value for '--judge': unknown judge preset 'gpt-4o-mni'"),
    "an empty name": ([*RUN, "--judge-model", ""], "Invalid value for '--judge-model': must not be empty"),
    "a negative seed": (["report", "--results", ".", "--out", "r", "--seed", "-1"],
                        "Invalid value for '--seed': must be at least 0, got -1"),  # exit 70 before
    "no inputs to judge": (["run"], "nothing to judge"),
    "no inputs to rate": (["leaderboard"], "give exactly one of --store PATH, --alpaca-eval FILE..., --outcomes FILE "
                                           "or --results DIR"),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = tmp_path_factory.mktemp("usage")
    write_inputs(made)
    return made


@pytest.fixture(scope="module")
def older_typer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding typer 0.20 alone, which imports the installed click package (checked here)."""
    target = tmp_path_factory.mktemp("older-typer")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-deps", "--target", str(target), OLDER_TYPER],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip(f"{OLDER_TYPER} could not be installed (no PyPI here?): {done.stderr.strip()[-300:]}")
    which = subprocess.run([sys.executable, "-c", "import typer, click; print(typer.__version__, "
                            "typer.BadParameter is click.BadParameter)"], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": f"{target}{os.pathsep}{ROOT}"}, check=True)
    assert which.stdout.split() == [OLDER_TYPER.split("==")[1], "True"]
    return target


def check_usage_error(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert done.stderr.startswith("Usage: judgebench"), done.stderr  # click's paragraph: usage, hint, error
    assert "Try 'judgebench" in done.stderr and "--help' for help." in done.stderr
    assert f"Error: {message}" in done.stderr, done.stderr


@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_usage_errors_print_clicks_usage_message_and_exit_2(folder, case):
    args, message = USAGE_ERRORS[case]
    check_usage_error(judgebench(*args, cwd=folder), message)


def test_leaderboard_given_a_source_without_its_flag_asks_whether_that_flag_was_meant(tmp_path):
    """`judgebench leaderboard q/out` (a results folder without --results) answered "give exactly one of --store
    PATH, ..." alone: the flag that path's kind takes is asked for now (a results folder, a store, an outcomes
    file, AlpacaEval's files); a path that does not exist, or a folder that is not a results folder, gets no
    guess."""
    import sqlite3

    (tmp_path / "q" / "out").mkdir(parents=True)
    (tmp_path / "q" / "out" / "leaderboard.json").write_text('{"meta": {}, "models": []}')
    with sqlite3.connect(tmp_path / "q" / "store.sqlite") as db:
        db.execute("CREATE TABLE judgments (key TEXT)")
    (tmp_path / "food.csv").write_text("question_id,model_a,model_b,winner\nq1,Tacos,Pizza,model_a\n")
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text("[]")
    unsure = "give exactly one of --store PATH, --alpaca-eval FILE..., --outcomes FILE or --results DIR"
    for given, meant in ((["q/out"], "--results q/out"), (["q/store.sqlite"], "--store q/store.sqlite"),
                         (["food.csv"], "--outcomes food.csv"), (["a.json", "b.json"], "--alpaca-eval a.json b.json"),
                         (["q"], None), (["nothere"], None), (["food.csv", "q/out"], None)):
        done = judgebench("leaderboard", *given, cwd=tmp_path)
        check_usage_error(done, unsure + (f": did you mean {meant}?" if meant else "\n"))


@pytest.mark.parametrize("case", ["unknown flag", "a file setting as a flag", "not an integer",
                                  "a fraction for an integer", "out of range", "no inputs to rate"])
def test_usage_errors_are_the_same_with_an_older_typer_using_the_click_package(folder, older_typer, case):
    args, message = USAGE_ERRORS[case]
    check_usage_error(judgebench(*args, cwd=folder, path=[older_typer]), message)


# `check` takes run's judge, template and store flags; run's flags for the other settings it uses get the hint
# the settings' names get (the judge's flags said "No such option" alone before check had them)
RUN_FLAGS_ON_CHECK = {"--swap": "[judging] swap", "--seed": "[run] seed", "--progress": "[run] progress"}


@pytest.mark.parametrize("flag", RUN_FLAGS_ON_CHECK)
def test_runs_flags_on_check_point_at_the_config_file(folder, flag):
    done = judgebench("check", "--config", "rounds.toml", "--candidate", "a", flag, "x", cwd=folder)
    check_usage_error(done, f"No such option: {flag}; {RUN_FLAGS_ON_CHECK[flag]} is a setting of the config file "
                            "(--config FILE), not a flag\n")


@pytest.mark.parametrize("flag, setting", [("--model", "[data] models"), ("--pairs", "[judging] pairs"),
                                           ("--baseline", "[judging] baseline")])
def test_runs_flags_of_settings_check_does_not_use_say_so(folder, flag, setting):
    """They were pointed at the config file (review), where check notes that it does not use them."""
    done = judgebench("check", "--config", "rounds.toml", "--candidate", "a", flag, "x", cwd=folder)
    check_usage_error(done, f"No such option: {flag}; check does not use {setting}: it judges --candidate against "
                            "--reference\n")


@pytest.mark.parametrize("args", [["leaderboard", "--outcomes", "o.csv", "--rounds"], ["run", "--concurrency"]])
def test_a_flag_without_its_value_is_a_usage_error(folder, args):
    """Said as click says it: `--concurrency`, a judge setting that `run` has a flag for, was told it is not one."""
    done = judgebench(*args, cwd=folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"Error: Option '{args[-1]}' requires an argument." in done.stderr


def test_a_bad_setting_in_a_file_is_one_error_line_and_exit_2(folder):
    done = judgebench("run", "--config", "rounds.toml", cwd=folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == 'error: rounds.toml: [ratings] rounds: expected an integer, got "abc"'


# A bad value in the file that a flag replaces: it ran without a word (`seed = "7"` with --seed 3), so the next run
# without the flag met it. The questions are missing: what a run says first is about the settings.
OVERRIDDEN = {
    "progress": ('[run]\nprogress = "nope"\n', ["run", "--no-progress"],
                 'error: f.toml: [run] progress: expected true or false, got "nope"\n'),
    "seed": ('[run]\nseed = "7"\n', ["run", "--seed", "3"],
             'error: f.toml: [run] seed: expected an integer, got "7"\n'),
    "confidence": ('[ratings]\nconfidence = "high"\n', ["run", "--confidence", "0.9"],
                   'error: f.toml: [ratings] confidence: expected a number, got "high"\n'),
    # check's --confidence is its own option: the file's value is named as the file's, never as the flag's
    "check's confidence": ('[ratings]\nconfidence = "high"\n', ["check", "--candidate", "a", "--reference", "b",
                                                                "--confidence", "0.9"],
                           'error: f.toml: [ratings] confidence: expected a number, got "high"\n'),
    # each named where it was given: not click's usage message, which is for a flag's value alone
    "and a bad flag": ('[judge]\nmodel = "m"\nconcurrency = "lots"\n', ["run", "--concurrency", "0"],
                       'error: f.toml: [judge] concurrency: expected an integer, got "lots"\n'
                       "--concurrency: must be at least 1, got 0\n"),
}


@pytest.mark.parametrize("case", OVERRIDDEN)
def test_a_bad_value_in_the_file_is_named_there_though_a_flag_replaces_it(folder, case):
    toml, args, message = OVERRIDDEN[case]
    (folder / "f.toml").write_text('[data]\nquestions = "missing.jsonl"\nanswers = ["a.jsonl"]\n' + toml)
    done = judgebench(args[0], "--config", "f.toml", *args[1:], cwd=folder)
    assert (done.returncode, done.stderr) == (2, message)


def test_a_path_setting_naming_an_environment_variable_is_refused(folder):
    """`out = "$HOME/o"` made a folder named `$HOME` beside the config file; `--store=${HOME}/s` one named `${HOME}`.
    A flag's path is refused while click reads the command line, as a flag's bad number is (its usage error)."""
    (folder / "v.toml").write_text('[data]\nquestions = "missing.jsonl"\nanswers = ["a.jsonl"]\n'
                                   '[run]\nout = "$HOME/o"\n')
    by_flag = judgebench("run", "--config", "v.toml", "--store=${HOME}/s.sqlite", cwd=folder)
    check_usage_error(by_flag, "Invalid value for '--store': environment variables are not expanded in paths (${HOME} "
                               'in "${HOME}/s.sqlite"): write the folder out, or begin with ~ for your home folder')
    by_file = judgebench("run", "--config", "v.toml", cwd=folder)
    assert (by_file.returncode, by_file.stderr) == (2, (
        f'error: v.toml: [run] out: environment variables are not expanded in paths ($HOME in "{folder}/$HOME/o"): '
        "write the folder out, or begin with ~ for your home folder\n"))
    assert not [path for path in folder.iterdir() if "$" in path.name]


@pytest.mark.parametrize("args, named", [
    (["leaderboard", "--store=$HOME/s.sqlite"], "--store"), (["report", "--out", "${OUT}/r.html"], "--out"),
    (["diagnose", "--results=$HOME/out"], "--results"),
    (["leaderboard", "--alpaca-eval", "a.json", "$HOME/b.json"], "[FILE...]")])  # an argument too
def test_every_path_flag_naming_an_environment_variable_is_refused(folder, args, named):
    """Only `run`'s path flags, which are settings, refused a variable (`--store=$HOME/s` quoted, or from a script
    that does not expand it); `leaderboard --store` said "store not found", `report --out` made a folder named
    `${OUT}`. Every path flag and argument is refused alike, as click's usage error."""
    done = judgebench(*args, cwd=folder)
    check_usage_error(done, f"Invalid value for '{named}': environment variables are not expanded in paths")
    assert not [path for path in folder.iterdir() if "$" in path.name]



def test_path_flags_are_found_alike_with_an_older_typer(folder, older_typer):
    """Under older typer a path flag is known by its click type (typer's own subclass of click.Path)."""
    for args, named in (["leaderboard", "--store=$HOME/s.sqlite"], "--store"), (["report", "--out=$O/r.html"], "--out"):
        check_usage_error(judgebench(*args, cwd=folder, path=[older_typer]),
                          f"Invalid value for '{named}': environment variables are not expanded in paths")

def test_check_writes_its_outputs_into_the_home_folder_for_a_tilde(tmp_path):
    """`check --summary=~/s.md --json=~/c.json` (where the shell leaves `~` as written) made a folder named `~` in
    the working folder, whether the check found the error itself or click did (a bad number): they are written
    into the home folder, as `--store=~/x` is. A path naming an environment variable is refused, and nothing is
    written there."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    own = judgebench("check", "--config", "missing.toml", "--candidate", "x", "--reference", "y", "--summary=~/s.md",
                     "--json=~/c.json", cwd=work, HOME=str(home))
    assert own.returncode == 2 and "missing.toml" in (home / "s.md").read_text(), own.stderr
    assert json.loads((home / "c.json").read_text())["exit_code"] == 2
    clicks = judgebench("check", "--config", "missing.toml", "--candidate", "x", "--margin=abc", "--summary=~/u.md",
                        "--junit=~/u.xml", cwd=work, HOME=str(home))
    check_usage_error(clicks, "Invalid value for '--margin'")
    assert "Invalid value for '--margin'" in (home / "u.md").read_text() and (home / "u.xml").is_file()
    variable = judgebench("check", "--config", "missing.toml", "--candidate", "x", "--summary=~/v.md",
                          "--json=$HOME/v.json", cwd=work, HOME=str(home))
    check_usage_error(variable, "Invalid value for '--json': environment variables are not expanded in paths")
    assert "environment variables are not expanded" in (home / "v.md").read_text()
    assert list(work.iterdir()) == []


# A path of the wrong kind is named for what it is (a directory called "config file not found", "store not
# found"; a missing results directory "no judgments.jsonl here"; an empty answers file was not named).
WRONG_PATHS = {
    "a directory as the config": (["run", "--config", "somedir"],
                                  "error: config file somedir is a directory: give the path of a TOML file"),
    "a directory as the store": (["leaderboard", "--store", "somedir"],
                                 "error: somedir: a directory, not a store (give the --store file a run wrote)"),
    "no results directory": (["leaderboard", "--results", "nothere"],
                             "error: nothere: no such directory (give the directory a run wrote with "
                             "`judgebench run --out DIR`)"),
    "a file as the results directory": (["leaderboard", "--results", "o.csv"],
                                        "error: o.csv: a file, not a results directory"),
    "a directory as the questions": (["run", "--questions", "somedir", "--answers", "a.jsonl"],
                                     "error: somedir: is a directory, not a file (give a file here)"),
    "an empty answers file": (["run", "--questions", "q.jsonl", "--answers", "empty.jsonl"],
                              "error: empty.jsonl: no answers: the file is empty"),
    # beside a file with answers: it was taken without a word, its model left out
    "an empty answers file among others": (["run", "--questions", "q.jsonl", "--answers", "a.jsonl", "--answers",
                                            "empty.jsonl"],
                                           "error: empty.jsonl: no answers: the file is empty (leave the empty "
                                           "files out of --answers"),
    # it said "second answer of model 'a' to question 'q1' (first at a.jsonl:1)", at that very line
    "an answers file given twice": (["run", "--questions", "q.jsonl", "--answers", "a.jsonl", "--answers",
                                     "a.jsonl"],
                                    "error: a.jsonl: this answers file is given twice (name each file or directory "
                                    "once in --answers)"),
}


@pytest.mark.parametrize("case", WRONG_PATHS)
def test_a_path_of_the_wrong_kind_is_named_for_what_it_is(folder, case):
    (folder / "somedir").mkdir(exist_ok=True)
    (folder / "empty.jsonl").write_text("")
    args, message = WRONG_PATHS[case]
    done = judgebench(*args, cwd=folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(message), done.stderr


def test_checks_help_lists_every_exit_code(folder):
    """`check --help` listed 0 to 4; README's exit codes (judgebench.errors) hold 5, 70, 130, 141 and 143 too, and
    a CI job branches on them."""
    flat = " ".join(judgebench("check", "--help", cwd=folder).stdout.split())
    codes = sorted({value for name, value in vars(errors).items() if name.startswith("EXIT_")})
    assert codes == [0, 1, 2, 3, 4, 5, 70, 130, 141, 143]
    listed = re.search(r"and exit (.*?)\. ", flat)
    assert listed is not None, flat
    assert sorted(int(code) for code in re.findall(r"(?:^|, )(\d+) ", listed.group(1))) == codes, listed.group(1)


def test_help_shows_each_settings_docstring_and_default(folder):
    done = judgebench("leaderboard", "--help", cwd=folder)
    assert done.returncode == 0
    flat = " ".join(done.stdout.split())
    assert "--rounds <int> Bootstrap replicates, 2 to 100,000. [default: 1000]" in flat
    assert "--confidence <float> Confidence level of every interval, in [0.5, 1). [default: 0.95]" in flat


@pytest.mark.parametrize("command", ["run", "leaderboard", "diagnose", "report"])
def test_a_repeatable_path_flag_shows_a_path_not_a_python_type(folder, command):
    """typer shows a repeatable flag's value as its annotation ("--answers <list[Path]>")."""
    done = judgebench(command, "--help", cwd=folder)
    flat = " ".join(done.stdout.split())
    assert done.returncode == 0 and "--answers <path>" in flat
    assert "<list[" not in flat.replace("[FILE...] <list[Path]>", ""), flat  # an argument's type shows beside it


@pytest.mark.parametrize("command", ["run", "leaderboard", "check", "diagnose", "report"])
def test_a_text_flag_shows_what_it_takes_not_str(folder, command):
    """typer showed every text flag as "<str>": a flag with a few values lists them (as its setting's type does),
    one naming a model, a path or a URL says so."""
    flat = " ".join(judgebench(command, "--help", cwd=folder).stdout.split())
    assert "<str>" not in flat
    shown = {"run": ["--pairs [baseline|all|sample|adaptive|tournament]", "--swap [both|consistent|random-one]",
                     "--on-rate-limit [wait|stop]", "--baseline <model>", "--base-url <url>"],
             "leaderboard": ["--method [bt|elo|winrate]", "--ties [half|davidson]", "--judge-model, --judge <model>"],
             "check": ["--candidate <model>", "--fail-on [overall|any-category]", "--undecided [pass|fail]",
                       "--junit <path>"],
             "diagnose": ["--engine [openai|vllm]", "--judge <preset>"],
             "report": ["--out <path>", "--method [bt|elo|winrate]"]}[command]
    assert [flag for flag in shown if flag not in flat] == []


def test_judges_checks_each_value_of_a_presets_file_as_a_run_does(folder):
    """`judges --judges-file` listed a preset with `concurrency = "lots"` (or 0) and exited 0, while a run with it
    failed: each bad value is named as the run names it (file, preset, setting), exit 2 and no list, from
    --judges-file and JUDGEBENCH_JUDGES alike; so is a preset with one price without the other, which was listed
    while the run refused it. A preset that leaves the model to the run (a server's) is listed; a long model name
    is folded, not cut. (A preset with `model = 3` was an internal error, exit 70, before.)"""
    (folder / "bad.toml").write_text('[lots]\nmodel = "m"\nconcurrency = "lots"\n[none]\nmodel = "n"\n'
                                     'concurrency = 0\n[odd]\nengine = "openai"\nmodel = 3\n'
                                     '[half]\nmodel = "h"\nprice_out_per_mtok = 4.0\n'
                                     '[typo]\nmodel = "t"\nprice_in_per_mtok = "2"\n')
    expected = ('error: bad.toml: [lots] concurrency: expected an integer, got "lots"\n'
                "bad.toml: [none] concurrency: must be at least 1, got 0\n"
                "bad.toml: [odd] model: expected a string, got 3\n"
                "bad.toml: [half] price_out_per_mtok: given without price_in_per_mtok, so the cost would count "
                "prompt tokens as free (and a dollar budget would overspend): set price_in_per_mtok beside it, 0 if "
                "they are free\n"
                'bad.toml: [typo] price_in_per_mtok: expected a number, got "2"\n')
    by_flag = judgebench("judges", "--judges-file", "bad.toml", cwd=folder)
    by_variable = judgebench("judges", cwd=folder, JUDGEBENCH_JUDGES="bad.toml")
    for done in (by_flag, by_variable):
        assert (done.returncode, done.stdout, done.stderr) == (2, "", expected)
    run = judgebench(*RUN, "--judge", "lots", cwd=folder, JUDGEBENCH_JUDGES="bad.toml")  # as a run says it
    assert (run.returncode, run.stderr) == (2, expected.splitlines(keepends=True)[0])
    (folder / "server.toml").write_text('[server]\nbase_url = "http://127.0.0.1:8000/v1"\n')
    done = judgebench("judges", "--judges-file", "server.toml", cwd=folder)
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if "\u2502 server " in line)
    assert [cell.strip() for cell in row.split("\u2502")[1:4]] == ["server", "openai", ""]
    assert "\u2026" not in done.stdout  # "Qwen/Qwen2.5-7B-Instru…" was cut at 80 columns


def test_judges_names_every_presets_unknown_keys_and_bad_values_in_one_message(folder):
    """`judges --judges-file` stopped at the first unknown key ([other] modle), saying nothing of the bad values
    beside it ([mine] concurrency = "lots"): every preset's problems are named now, in the file's order, exit 2;
    a run using such a file names them all too."""
    (folder / "mine.toml").write_text('flat = 1\n[mine]\nengine = "openai"\nmodel = "judge"\nconcurrency = "lots"\n'
                                      '[other]\nmodle = "x"\n[third]\nmodel = "y"\ntimeout_s = "x"\nfoo = 1\n')
    expected = ("error: mine.toml: preset 'flat' must be a table: [flat] with engine, model, ...\n"
                'mine.toml: [mine] concurrency: expected an integer, got "lots"\n'
                "mine.toml: [other] unknown setting 'modle'; did you mean 'model'?\n"
                "mine.toml: [third] unknown setting 'foo'\n"
                'mine.toml: [third] timeout_s: expected a number, got "x"\n')
    done = judgebench("judges", "--judges-file", "mine.toml", cwd=folder)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", expected)
    run = judgebench(*RUN, "--judge", "mine", cwd=folder, JUDGEBENCH_JUDGES="mine.toml")
    assert run.returncode == 2 and "[other] unknown setting 'modle'" in run.stderr
    assert "[third] unknown setting 'foo'" in run.stderr, run.stderr


def test_judges_says_a_presets_run_settings_are_their_tables(folder):
    """A run's sampling settings written in a judge preset: `max_tokens` was offered 'max_attempts' (a near miss
    of another meaning) and `temperature` nothing; each is named as the [judging] setting it is (the eighth
    review), and a near miss is still offered for a misspelt judge setting."""
    (folder / "mine.toml").write_text('[mine]\nmodel = "judge"\nmax_tokens = 4096\ntemperature = 0.2\n'
                                      'max_atempts = 3\n')
    expected = ("error: mine.toml: [mine] unknown setting 'max_tokens'; max_tokens is a [judging] setting, not a "
                "judge preset's\n"
                "mine.toml: [mine] unknown setting 'temperature'; temperature is a [judging] setting, not a judge "
                "preset's\n"
                "mine.toml: [mine] unknown setting 'max_atempts'; did you mean 'max_attempts'?\n")
    done = judgebench("judges", "--judges-file", "mine.toml", cwd=folder)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", expected)


def test_version_and_the_command_list(folder):
    """--version is what pyproject.toml says; the command list shows each command's whole short description
    (click cut the long ones mid-phrase: "Rate models from stored or imported judgments:...")."""
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), flags=re.MULTILINE)
    assert version is not None
    done = judgebench("--version", cwd=folder)
    assert (done.returncode, done.stdout) == (0, f"judgebench {version.group(1)}\n")
    listed = judgebench("--help", cwd=folder).stdout
    commands = listed[listed.index("Commands:"):]
    assert "..." not in commands and "leaderboard  Rate stored or imported judgments." in commands


@pytest.mark.integration
def test_bad_settings_stop_before_any_judge_call(judge_server, tmp_path):
    write_inputs(tmp_path)
    judge = ["--judge-model", "test-judge", "--base-url", judge_server.base_url, "--store", "s.sqlite", "--no-progress"]
    bad_file = judgebench("run", "--config", "rounds.toml", *judge, cwd=tmp_path)
    bad_flag = judgebench(*RUN, *judge, "--baseline", "a", "--confidence", "0.3", cwd=tmp_path)
    bad_template = judgebench(*RUN, *judge, "--baseline", "a", "--template", "nonesuch", cwd=tmp_path)
    assert [done.returncode for done in (bad_file, bad_flag, bad_template)] == [2, 2, 2]
    assert "Invalid value for '--confidence': must be at least 0.5, got 0.3" in bad_flag.stderr
    assert sum(judge_server.statuses().values()) == 0  # nothing was sent to the judge
    good = judgebench(*RUN, *judge, "--baseline", "a", "--rounds", "20", "--out", "out", cwd=tmp_path)
    assert good.returncode == 0, good.stderr  # the same command with good settings does judge
    assert sum(judge_server.statuses().values()) > 0


NO_JUDGE_MODEL = ("error: [judge] model: the OpenAI-compatible engine needs a judge model: set --judge-model M (and "
                  "--base-url URL for a server other than OpenAI's), or --judge PRESET\n")


@pytest.mark.integration
def test_a_judge_server_without_a_judge_model_is_refused_not_judged_by_the_embedded_judge(judge_server, tmp_path):
    """`--base-url URL` (or a file's base_url, or api_key_env alone) without a judge model noted the URL as
    ignored and judged with the embedded SmolLM2 (minutes on a CPU): the judge is the server's, and needs its
    model. `embedded = true` beside a server's model judged at the server under the embedded judge's disclaimer;
    refused, the settings to leave out are named as they were given (the file's keys were named as `run`'s flags)."""
    write_inputs(tmp_path)
    store = ["--baseline", "a", "--store", "s.sqlite", "--no-progress"]
    (tmp_path / "url.toml").write_text(f'[judge]\nbase_url = "{judge_server.base_url}"\n')
    (tmp_path / "key.toml").write_text('[judge]\napi_key_env = "HOUSE_KEY"\n')
    for args in (["--base-url", judge_server.base_url], ["--config", "url.toml"], ["--config", "key.toml"]):
        done = judgebench(*RUN, *args, *store, cwd=tmp_path, HOUSE_KEY="sk-house")
        assert (done.returncode, done.stdout, done.stderr) == (2, "", NO_JUDGE_MODEL), args
    (tmp_path / "both.toml").write_text(f'[judge]\nembedded = true\nmodel = "test-judge"\n'
                                        f'base_url = "{judge_server.base_url}"\n')
    both = judgebench(*RUN, "--config", "both.toml", *store, cwd=tmp_path)
    assert (both.returncode, both.stdout) == (2, ""), both.stderr
    assert both.stderr == (
        "error: both.toml: [judge] embedded: true asks for the bundled SmolLM2-135M judge, run in-process on vLLM's "
        "CPU build, but these settings ask for a judge server (engine openai, model 'test-judge'): leave out "
        "[judge] embedded to judge with the server, or leave out [judge] model and [judge] base_url for the "
        "embedded judge\n")
    (tmp_path / "model.toml").write_text('[judge]\nembedded = true\nmodel = "test-judge"\n')
    mixed = judgebench(*RUN, "--config", "model.toml", "--base-url", judge_server.base_url, *store, cwd=tmp_path)
    assert (mixed.returncode, mixed.stdout) == (2, ""), mixed.stderr
    assert mixed.stderr.endswith("or leave out [judge] model and --base-url for the embedded judge\n")
    assert sum(judge_server.statuses().values()) == 0 and not (tmp_path / "s.sqlite").exists()


@pytest.mark.integration
def test_settings_checked_together_name_a_way_to_set_them_that_the_command_has(judge_server, tmp_path):
    """`[ratings] anchor` naming no model said "set anchor (--anchor)", a flag `run` lacks; `min_concurrency`
    above concurrency was "min_concurrency must be between 1 and concurrency (16); got 20", naming no file, after
    the run's first line, and then named a file's concurrency "--concurrency"; `opponents` in a file was
    "--opponents is 5", a flag not given."""
    write_inputs(tmp_path)
    judge = ["--judge-model", "test-judge", "--base-url", judge_server.base_url, "--store", "s.sqlite",
             "--no-progress"]
    cases = {
        '[ratings]\nanchor = "nobody"\n': "error: anchor 'nobody' has no answers in the answers given (a.jsonl, "
                                          "which hold a, b): add its answers file or folder to --answers, set "
                                          "[ratings] anchor to one of the models there, or leave it out\n",
        "[judge]\nmin_concurrency = 20\n": "error: x.toml: [judge] min_concurrency: must be at most --concurrency "
                                           "(16), got 20\n",
        "[judge]\nconcurrency = 4\nmin_concurrency = 8\n": "error: x.toml: [judge] min_concurrency: must be at "
                                                          "most [judge] concurrency (4), got 8\n",
        '[judging]\npairs = "sample"\nopponents = 5\n': "1 question from q.jsonl (format generic, detected), 2 "
                                                        "models (a, b)\nerror: opponents is 5, but each model has 1 "
                                                        "other to meet: set --opponents 1 or fewer (1 judges every "
                                                        "pair), or --pairs all to judge every pair\n",
    }
    for table, message in cases.items():
        (tmp_path / "x.toml").write_text(table)
        done = judgebench(*RUN, "--config", "x.toml", *judge, "--baseline", "a", cwd=tmp_path)
        assert (done.returncode, done.stderr) == (2, message), table
    named = judgebench(*RUN, *judge, "--baseline", "nobody", "--pairs", "all", cwd=tmp_path)
    assert named.returncode == 2 and named.stderr.endswith(": add its answers file or folder to --answers, set "
                                                           "--baseline to one of the models there, or leave it out\n")
    assert sum(judge_server.statuses().values()) == 0


@pytest.mark.integration
def test_a_baseline_without_answers_says_whether_its_file_or_its_name_is_wrong_and_what_works(judge_server,
                                                                                               tmp_path):
    """`--baseline gpt-4-314` (a typo) ended "set --baseline to one of them, or leave it out", and leaving it out
    gave "pairing mode 'baseline' needs a baseline model"; with the baseline's answers file left out of --answers,
    "did you mean 'gpt-4-0613'?" proposed the only other model. Now the message names the answers read, proposes
    a near-miss only (a question of its own: "did you mean 'gpt-4-0314'?: add" read badly), and "leave it out"
    only where the pairing mode does without a baseline."""
    (tmp_path / "q.jsonl").write_text('{"question_id": "q1", "turns": ["2+2?"]}\n')
    for model in ("gpt-4-0314", "gpt-4-0613"):
        (tmp_path / f"{model}.jsonl").write_text(json.dumps({"question_id": "q1", "model": model, "turns": ["4"]})
                                                 + "\n")
    judge = ["--questions", "q.jsonl", "--judge-model", "test-judge", "--base-url", judge_server.base_url,
             "--store", "s.sqlite", "--no-progress"]
    both = ["--answers", "gpt-4-0314.jsonl", "--answers", "gpt-4-0613.jsonl"]
    typo = judgebench("run", *judge, *both, "--baseline", "gpt-4-314", cwd=tmp_path)
    assert (typo.returncode, typo.stderr) == (2, (
        "error: baseline 'gpt-4-314' has no answers in the answers given (gpt-4-0314.jsonl, gpt-4-0613.jsonl, "
        "which hold gpt-4-0314, gpt-4-0613); did you mean 'gpt-4-0314'? If not, add its answers file or folder to "
        "--answers, or set --baseline to one of the models there\n"))
    forgotten = judgebench("run", *judge, "--answers", "gpt-4-0613.jsonl", "--baseline", "gpt-4-0314", cwd=tmp_path)
    assert (forgotten.returncode, forgotten.stderr) == (2, (
        "error: baseline 'gpt-4-0314' has no answers in the answers given (gpt-4-0613.jsonl, which hold "
        "gpt-4-0613): add its answers file or folder to --answers, or set --baseline to one of the models there\n"))
    chosen = judgebench("run", *judge, "--answers", "gpt-4-0613.jsonl", "--model", "gpt-4-0613", "--baseline",
                        "gpt-4-0314", cwd=tmp_path)
    assert chosen.returncode == 2 and "did you mean" not in chosen.stderr, chosen.stderr
    all_pairs = judgebench("run", *judge, *both, "--baseline", "gpt-4-314", "--pairs", "all", cwd=tmp_path)
    assert all_pairs.returncode == 2 and all_pairs.stderr.endswith(", or leave it out\n"), all_pairs.stderr
    assert sum(judge_server.statuses().values()) == 0 and not (tmp_path / "s.sqlite").exists()


@pytest.mark.integration
def test_a_path_setting_that_begins_with_a_tilde_is_in_the_home_folder(judge_server, tmp_path):
    """`store = "~/s.sqlite"` and `out = "~/o"` in a file, and `--store=~/...` (which the shell leaves as written),
    made folders named `~` beside the config file or in the working folder: one `rm -rf ~` from the home folder."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    write_inputs(work)
    (work / "t.toml").write_text('[data]\nquestions = "q.jsonl"\nanswers = ["a.jsonl"]\n[judging]\nbaseline = "a"\n'
                                 '[run]\nstore = "~/s.sqlite"\nout = "~/o"\nprogress = false\n[ratings]\nrounds = 20\n')
    judge = ["--judge-model", "test-judge", "--base-url", judge_server.base_url]
    by_file = judgebench("run", "--config", "t.toml", *judge, cwd=work, HOME=str(home))
    by_flags = judgebench("run", "--config", "t.toml", *judge, "--store=~/f.sqlite", "--out=~/fo", cwd=work,
                          HOME=str(home))
    assert by_file.returncode == 0 and by_flags.returncode == 0, by_file.stderr + by_flags.stderr
    assert (home / "s.sqlite").is_file() and (home / "o" / "leaderboard.json").is_file()
    assert (home / "f.sqlite").is_file() and (home / "fo" / "leaderboard.json").is_file()
    assert not (work / "~").exists()


@pytest.mark.integration
def test_every_path_flag_that_begins_with_a_tilde_is_in_the_home_folder(judge_server, tmp_path):
    """Only the flags that are settings expanded `~` (`run --store=~/s`, `leaderboard --out=~/lb`): `leaderboard
    --results=~/out` said "no such directory", `--store=~/s.sqlite` on leaderboard, report and diagnose "store not
    found", and report's and diagnose's --out made a folder named `~`; `--template=~/mine.toml` (a template's name
    or file, not a path flag) was "no such file" there. Every path flag is the home folder's."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    write_data(work)
    builtin = (ROOT / "prompts" / "pairwise-5.toml").read_text()
    (home / "mine.toml").write_text(builtin.replace('name = "pairwise-5"', 'name = "mine"'))
    ran = judgebench("run", "--questions", "questions.jsonl", "--answers", "answers.jsonl", "--judge-model",
                     "test-judge", "--base-url", judge_server.base_url, "--baseline", "base", "--rounds", "20",
                     "--no-progress", "--store=~/s.sqlite", "--out=~/out", "--template=~/mine.toml", cwd=work,
                     HOME=str(home))
    assert ran.returncode == 0, ran.stderr
    mine = "--template=~/mine.toml"
    for args, written in ((["leaderboard", "--results=~/out", "--out=~/lb"], home / "lb" / "leaderboard.json"),
                          (["leaderboard", "--store=~/s.sqlite", mine, "--rounds", "20", "--quiet"], None),
                          (["report", "--results=~/out", "--out=~/report/"], home / "report" / "report.html"),
                          (["report", "--store=~/s.sqlite", mine, "--out=~/s.html"], home / "s.html"),
                          (["diagnose", "--store=~/s.sqlite", mine, "--out=~/d"], home / "d" / "diagnostics.json"),
                          (["diagnose", "--results=~/out"], None)):
        done = judgebench(*args, cwd=work, HOME=str(home))
        assert done.returncode == 0, (args, done.stderr)
        assert written is None or written.is_file(), args
    (work / "c.toml").write_text('[data]\nquestions = "questions.jsonl"\nanswers = ["answers.jsonl"]\n[judge]\n'
                                 f'model = "test-judge"\nbase_url = "{judge_server.base_url}"\n[run]\n'
                                 'store = "~/s.sqlite"\nprogress = false\n')
    checked = judgebench("check", "--config", "c.toml", "--candidate", "good", "--reference", "bad", "--against=~/out",
                         mine, "--json=~/c.json", cwd=work, HOME=str(home))
    report = json.loads((home / "c.json").read_text())
    assert (checked.returncode, report["reference"], report["baseline"]) == (0, "bad", "base"), checked.stderr
    assert not (work / "~").exists()


# A bug planted in a command (load_run raising a ValueError), then the CLI's own entry point.
PLANTED_BUG = ("import sys, judgebench.report.inputs as inputs\n"
               "def load_run(**kwargs): raise ValueError(\"'xerr' must not contain negative values\")\n"
               "inputs.load_run = load_run\n"
               "sys.argv = ['judgebench', 'report', '--results', 'res', '--out', 'r.html']\n"
               "from judgebench.cli import main\n"
               "main()\n")


@pytest.mark.parametrize("printed", [False, True], ids=["traceback-file", "JUDGEBENCH_TRACEBACK"])
def test_a_bug_exits_70_not_checks_regression_code_with_one_line_and_the_traceback_kept(tmp_path, printed):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path),
           "JUDGEBENCH_TRACEBACK": "1" if printed else ""}
    done = subprocess.run([sys.executable, "-c", PLANTED_BUG], cwd=tmp_path, env=env, text=True, capture_output=True,
                          timeout=120)
    assert done.returncode == 70
    last = done.stderr.splitlines()[-1]
    assert last.startswith("error: internal error in judgebench (ValueError: 'xerr' must not contain negative values)")
    kept = list(tmp_path.glob("judgebench-traceback-*.txt"))
    if printed:
        assert kept == [] and "Traceback (most recent call last)" in done.stderr and "traceback above" in last
    else:
        assert done.stderr.count("\n") == 1 and f"traceback in {kept[0]}" in last
        assert "in load_run" in kept[0].read_text() and "Traceback (most recent call last)" in kept[0].read_text()

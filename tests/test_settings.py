"""The settings model (judgebench.config): one validation for the TOML file, the flags and Python (fast tier).

Every expected message below is written out by hand from the issue's examples, never built from the code.
"""

from __future__ import annotations

import json
import re
import traceback
from pathlib import Path

import pandas as pd
import pytest
import typer

from judgebench.cli import app
from judgebench.config import (
    JudgeConfig,
    LeaderboardSettings,
    RatingsSettings,
    RunConfig,
    SettingsModel,
    load_config,
    named_by_flags,
    presets,
    resolve_judge,
    table_settings,
)
from judgebench.errors import ConfigError
from judgebench.prompts import load_template

ROOT = Path(__file__).resolve().parents[1]

_DATA = '[data]\nquestions = "q.jsonl"\nanswers = ["a.jsonl"]\n'


def write(folder: Path, text: str, name: str = "x.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def each_refused(folder: Path, refused: dict[str, str]) -> None:
    """Each config file text of `refused`, written in `folder`, is refused by load_config with its message, named
    in the file."""
    for text, message in refused.items():
        config = write(folder, text)
        with pytest.raises(ConfigError) as caught:
            load_config(config)
        assert str(caught.value) == f"{config}: {message}"


@pytest.mark.parametrize("toml, message", [
    # wrong types: a TOML string never becomes a number or a boolean, 10.5 never becomes 10
    ('[ratings]\nrounds = "abc"', '[ratings] rounds: expected an integer, got "abc"'),
    ('[ratings]\nconfidence = "0.9"', '[ratings] confidence: expected a number, got "0.9"'),
    ("[ratings]\nrounds = 10.5", "[ratings] rounds: expected an integer, got 10.5"),
    ('[run]\nprogress = "no"', '[run] progress: expected true or false, got "no"'),
    ("[data2]\nx = 1", "unknown table [data2]; did you mean 'data'?"),
    ('[data]\nquestions = "q"\nanswers = [1]', "[data] answers[0]: expected a path (a string), got 1"),
    # out of range
    ("[run]\nseed = -1", "[run] seed: must be at least 0, got -1"),
    ("[judge]\nconcurrency = 0", "[judge] concurrency: must be at least 1, got 0"),
    ("[ratings]\nconfidence = 1.5", "[ratings] confidence: must be less than 1, got 1.5"),
    ("[judging]\nmax_tokens = -5", "[judging] max_tokens: must be at least 1, got -5"),
    ("[ratings]\nanchor_rating = inf", "[ratings] anchor_rating: expected a finite number, got Infinity"),
    # choices, unknown keys and templates
    ('[ratings]\nmethod = "glicko"', '[ratings] method: expected one of "bt", "elo", "winrate", got "glicko"'),
    ('[judging]\nswop = "both"', "[judging] unknown setting 'swop'; did you mean 'swap'?"),
    ("[judge]\nconcurency = 3", "[judge] unknown setting 'concurency'; did you mean 'concurrency'?"),
    ("[ratings]\nseed = 3", "[ratings] unknown setting 'seed'; it belongs in [run]"),
    ("rounds = 3", "setting 'rounds' outside a table; it belongs in [ratings]"),
    ('[judging]\ntemplate = "pairwise-7"', "[judging] template: unknown template 'pairwise-7'"),
    ('[judge]\npreset = "gpt-4o-mni"', "[judge] preset: unknown judge preset 'gpt-4o-mni'"),
    ('[ratings]\nmethod = "elo"\ninterval = "sandwich"', "[ratings] interval: online Elo has no likelihood"),
])
def test_each_bad_setting_in_a_file_is_one_message_naming_file_table_and_setting(tmp_path, toml, message):
    text = toml if toml.startswith("[data]") else toml + "\n" + _DATA if "[" not in toml else _DATA + toml
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    shown = str(caught.value)
    assert shown.startswith(f"{path}: ") and message in shown, shown
    assert len(shown.splitlines()) == 1, shown


def test_a_judges_settings_alone_load_and_a_run_or_check_of_them_says_what_to_set_before_anything(tmp_path):
    """A file of [judge] settings alone, all that `evaluate_gold` uses (the gold file holds the data), was refused
    by load_config with "nothing to judge: set questions and answers (--questions PATH --answers PATH, ...)",
    flags in Python: it loads now, and a run or a check of it says what to set, as Python and a file name it,
    before any folder is made; on the command line, run names its flags."""
    import judgebench
    from tests.support.cli_runs import judgebench as command

    path = write(tmp_path, '[judge]\nengine = "openai"\nmodel = "j"\nbase_url = "http://127.0.0.1:9/v1"\n'
                           '[run]\nstore = "made/j.sqlite"\n')
    settings = load_config(path)
    assert (settings.questions, settings.answers, settings.judge.model) == (None, None, "j")
    data = re.escape('([data] questions = "PATH", [data] answers = "PATH")')
    with pytest.raises(ConfigError, match=rf"^nothing to judge: set questions and answers {data}$"):
        judgebench.evaluate(settings, out=tmp_path / "out")
    with pytest.raises(ConfigError, match=rf"^nothing to check: set questions and answers {data}$"):
        judgebench.gate(settings, "candidate", "reference")
    assert sorted(item.name for item in tmp_path.iterdir()) == ["x.toml"]
    with pytest.raises(ConfigError, match=r"^\[data\] answers: needs at least 1 entry, got \[\]$"):
        RunConfig(questions="q.jsonl", answers=[])  # an empty list given is still refused as it is read
    done = command("run", "--config", str(path), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr == ("error: nothing to judge: set questions and answers "
                                                    "(--questions PATH, --answers PATH)\n"), done.stderr
    assert done.stdout == ""  # not the judge's line first, as if it were about to judge


def test_the_same_problems_from_python_and_from_flags(tmp_path):
    with pytest.raises(ConfigError, match=r'^\[ratings\] rounds: expected an integer, got "abc"$'):
        RunConfig(questions="q.jsonl", answers=["a.jsonl"], rounds="abc")
    with pytest.raises(ConfigError, match=r"^\[judge\] concurrency: must be at least 1, got 0$"):
        RunConfig(questions="q.jsonl", answers=["a.jsonl"], judge={"model": "j", "concurrency": 0})
    with pytest.raises(ConfigError, match=r"^unknown setting 'swop'; did you mean 'swap'\?$"):
        RunConfig(questions="q.jsonl", answers=["a.jsonl"], swop="both")
    with pytest.raises(ConfigError,
                       match=r"^--rounds: bootstrap rounds must be 2 to 100,000 \(1000 is usual\), got 1$"):
        RunConfig.from_toml(None, {"questions": "q", "answers": ["a"], "rounds": 1}, flags={"rounds": "--rounds"})
    with pytest.raises(ConfigError, match=r"^--judge-model: expected a string, got 5$"):
        RunConfig.from_toml(None, {"questions": "q", "answers": ["a"]}, {"model": 5}, {"judge.model": "--judge-model"})
    with pytest.raises(ConfigError, match=r"^--confidence: must be less than 1, got 1.5$"):
        LeaderboardSettings.from_flags({"confidence": 1.5, "rounds": None}, {"confidence": "--confidence"})
    # a check across settings names the setting it is about, never the Python class
    with pytest.raises(ConfigError, match=r"^\[judging\] pairs: adaptive needs a budget or a precision target"):
        RunConfig(questions="q.jsonl", answers=["a.jsonl"], pairs="adaptive")
    with pytest.raises(ConfigError, match=r"^\[judging\] stop: a stopping rule shapes a plan chosen as it goes"):
        RunConfig(questions="q.jsonl", answers=["a.jsonl"], pairs="all", stop="separated")
    # an odd round was cut to the pairs it holds without a word (3 games: rounds of 2)
    with pytest.raises(ConfigError, match=r"^\[judging\] round_games: a round of 3 games: both orders of a pair are "
                                          r"judged together \(swap = both\), so a round is an even number of games: "
                                          r"set \[judging\] round_games = 2 or 4$"):
        RunConfig(questions="q.jsonl", answers=["a.jsonl"], pairs="adaptive", budget_calls=10, round_games=3)
    assert RunConfig(questions="q.jsonl", answers=["a.jsonl"], pairs="adaptive", budget_calls=10, round_games=3,
                     swap="random-one")
    with pytest.raises(ConfigError, match=r"^\[judging\] budget_usd: a dollar budget needs the judge's prices"):
        RunConfig(questions="q.jsonl", answers=["a.jsonl"], pairs="adaptive", budget_usd=2.0, judge={"model": "j"})
    priced = {"model": "j", "price_in_per_mtok": 1.0, "price_out_per_mtok": 4.0}
    assert RunConfig(questions="q.jsonl", answers=["a.jsonl"], pairs="adaptive", budget_usd=2.0, judge=priced)
    config = RunConfig(questions="q.jsonl", answers=["a.jsonl"], judge={"model": "j"})
    with pytest.raises(ConfigError, match=r'^\[run\] progress: expected true or false, got "no"$'):
        config.progress = "no"
    with pytest.raises(ConfigError, match=r"^\[judge\] concurrency: must be at least 1, got 0$"):
        config.judge.concurrency = 0


def test_one_price_without_the_other_is_refused_naming_the_one_to_set(tmp_path):
    """`price_in_per_mtok` alone showed a cost of prompt tokens only, and a dollar budget accepted it and overspent:
    either price alone is refused (a file's, a preset's overridden model's, Python's), naming the missing one; 0 is
    a price (tokens that are free)."""
    for given, missing, kind in (("price_in_per_mtok", "price_out_per_mtok", "completion"),
                                 ("price_out_per_mtok", "price_in_per_mtok", "prompt")):
        said = (f"[judge] {given}: given without {missing}, so the cost would count {kind} tokens as free "
                f"(and a dollar budget would overspend): set {missing} beside it, 0 if they are free")
        with pytest.raises(ConfigError) as caught:
            RunConfig(questions="q.jsonl", answers=["a.jsonl"], judge={"model": "j", given: 2.5})
        assert str(caught.value) == said
        with pytest.raises(ConfigError) as caught:
            RunConfig(questions="q.jsonl", answers=["a.jsonl"], pairs="adaptive", budget_usd=1.0,
                      judge={"model": "j", given: 2.5})
        assert str(caught.value) == said
        path = write(tmp_path, _DATA + f'[judge]\nmodel = "j"\n{given} = 2.5\n')
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert str(caught.value) == f"{path}: {said}"
    with pytest.raises(ConfigError, match=r"^\[judge\] price_in_per_mtok: given without price_out_per_mtok, "):
        resolve_judge({"preset": "gpt-4o-mini", "model": "gpt-4.1", "price_in_per_mtok": 2.0})  # gpt-4o-mini's
        # prices are not gpt-4.1's, so the preset's price_out_per_mtok is not taken
    # a preset of the user's presets file: named as that file and the preset's table, as its other problems are
    # (the price to set was named `[judge] price_out_per_mtok`, a run file's table)
    presets_file = write(tmp_path, '[mine]\nmodel = "j"\nprice_in_per_mtok = 2.5\n', name="judges.toml")
    with pytest.raises(ConfigError) as caught:
        resolve_judge({"preset": "mine"}, presets_file)
    assert str(caught.value) == (f"{presets_file}: [mine] price_in_per_mtok: given without price_out_per_mtok, so "
                                 "the cost would count completion tokens as free (and a dollar budget would "
                                 "overspend): set price_out_per_mtok beside it, 0 if they are free")
    free = RunConfig(questions="q.jsonl", answers=["a.jsonl"], pairs="adaptive", budget_usd=1.0,
                     judge={"model": "j", "price_in_per_mtok": 2.5, "price_out_per_mtok": 0.0})
    assert free.judge.priced and free.judge.price_out_per_mtok == 0.0


KEY = "sk-proj-ABCDEFGHIJKLMNOP"  # an API key given where the NAME of its environment variable belongs
NOT_A_VARIABLE = ("api_key_env: expects the NAME of an environment variable (like OPENAI_API_KEY: letters, digits "
                  "and underscores, not starting with a digit), not a key: put the key in a variable (export "
                  "OPENAI_API_KEY=...) and give its name")


@pytest.mark.parametrize("value", [KEY, "1PASSWORD", "MY KEY", "KEY=x", "key.env"])
def test_api_key_env_takes_a_variable_name_never_a_key_and_never_repeats_it(tmp_path, value):
    """From a file, a flag and Python alike, before any call; the value may be the key: the message never shows it
    (before, it was looked up as a variable and shown in the 401 message and the store's provenance)."""
    path = write(tmp_path, _DATA + f'[judge]\nmodel = "j"\napi_key_env = "{value}"\n')
    attempts = {
        f"{path}: [judge] {NOT_A_VARIABLE}": lambda: load_config(path),
        f"--api-key-env: {NOT_A_VARIABLE.removeprefix('api_key_env: ')}": lambda: RunConfig.from_toml(
            None, {"questions": "q", "answers": ["a"]}, {"model": "j", "api_key_env": value},
            {"judge.api_key_env": "--api-key-env"}),
        f"[judge] {NOT_A_VARIABLE}": lambda: RunConfig(questions="q", answers=["a"],
                                                       judge={"model": "j", "api_key_env": value}),
    }
    for message, attempt in attempts.items():
        with pytest.raises(ConfigError) as caught:
            attempt()
        assert str(caught.value) == message
        assert value not in "".join(traceback.format_exception(caught.value))  # as a Python user would see it
    with pytest.raises(ConfigError) as caught:
        RunConfig(questions="q", answers=["a"], judge={"model": "j"}).judge.api_key_env = value
    assert value not in str(caught.value)


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "_KEY", "my_key_2", "K"])
def test_api_key_env_takes_any_posix_variable_name(name):
    assert RunConfig(questions="q", answers=["a"], judge={"model": "j", "api_key_env": name}).judge.api_key_env == name


def test_api_key_env_takes_any_name_the_environment_holds_and_no_value_of_another_type(monkeypatch):
    """A container may set `openai.api-key` (Python reads it; a shell cannot set it): it was refused. A list
    holding the key was echoed in 'expected a string, got [...]'."""
    monkeypatch.setenv("openai.api-key", "x")
    judge = RunConfig(questions="q", answers=["a"], judge={"model": "j", "api_key_env": "openai.api-key"}).judge
    assert judge.api_key_env == "openai.api-key"
    with pytest.raises(ConfigError) as caught:
        RunConfig(questions="q", answers=["a"], judge={"model": "j", "api_key_env": [KEY]})
    assert KEY not in str(caught.value) and "expects the NAME of an environment variable" in str(caught.value)


@pytest.mark.parametrize("key", ["gsk_9f8eAbCdEfGh1234567890", "hf_AbCdEfGhIjKlMnOp", "AbCd1234EfGh5678IjKl9012"])
def test_a_key_that_is_also_a_valid_variable_name_is_shown_nowhere(key, monkeypatch):
    """Groq's, Hugging Face's and all-alphanumeric keys are valid variable names, so they pass as api_key_env; unset,
    such a name was repeated in the run's provenance (`describe`, stored in the runs table) and the messages."""
    from judgebench.engines.openai_api import OpenAIEngine

    monkeypatch.delenv(key, raising=False)
    engine = OpenAIEngine("m", base_url="http://127.0.0.1:9/v1", api_key_env=key)
    shown = [repr(engine), str(engine.describe()), str(engine._key_error(401))]
    assert not any(key in text or key[:8] in text for text in shown), shown
    assert "the variable that api_key_env names" in engine.describe()["api_key_source"]
    named = OpenAIEngine("m", base_url="http://127.0.0.1:9/v1", api_key_env="JB_UNSET_KEY_VARIABLE")
    assert "JB_UNSET_KEY_VARIABLE" in str(named._key_error(401))  # a variable's name is shown as it helps


def test_several_problems_make_one_message_with_a_line_each(tmp_path):
    path = write(tmp_path, _DATA + '[run]\nseed = -2\n[ratings]\nrounds = "many"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert sorted(str(caught.value).splitlines()) == [f'{path}: [ratings] rounds: expected an integer, got "many"',
                                                      f"{path}: [run] seed: must be at least 0, got -2"]


def test_a_flag_overrides_the_file_and_is_named_when_wrong(tmp_path):
    path = write(tmp_path, _DATA + "[ratings]\nrounds = 200\n")
    assert load_config(path, {"rounds": 300}).rounds == 300
    # the file's valid value is replaced; the problem is the flag's, and the message names the flag
    with pytest.raises(ConfigError,
                       match=r"^--rounds: bootstrap rounds must be 2 to 100,000 \(1000 is usual\), got 0$"):
        RunConfig.from_toml(path, {"rounds": 0}, flags={"rounds": "--rounds"})


def test_values_are_converted_only_where_it_is_safe(tmp_path):
    path = write(tmp_path, _DATA + '[judging]\ntemplate = "mine.toml"\n[ratings]\nscale = 300\nconfidence = 0.9\n')
    write(tmp_path, (ROOT / "prompts" / "pairwise-3.toml").read_text(), "mine.toml")
    config = load_config(path)
    assert config.scale == 300.0 and isinstance(config.scale, float)  # a TOML integer is a number
    assert config.template == str(tmp_path / "mine.toml")  # a template file is relative to the config file
    assert config.answers == [tmp_path / "a.jsonl"] and config.questions == tmp_path / "q.jsonl"
    assert RunConfig(questions="q", answers="a.jsonl").answers == [Path("a.jsonl")]  # one path is a list of one


def test_judge_presets_resolve_and_user_presets_are_validated(tmp_path):
    mine = write(tmp_path, '[house]\nengine = "openai"\nmodel = "house-judge"\nconcurrency = "lots"\n', "judges.toml")
    path = write(tmp_path, '[data]\nquestions = "q"\nanswers = ["a"]\n[judge]\npreset = "house"\n'
                           'judges_file = "judges.toml"\n')
    with pytest.raises(ConfigError) as caught:  # named in the presets file, which holds it
        load_config(path)
    assert str(caught.value) == f'{mine}: [house] concurrency: expected an integer, got "lots"'
    mine.write_text('[house]\nengine = "openai"\nmodel = "house-judge"\nconcurrency = 3\n')
    assert (load_config(path).judge.model, load_config(path).judge.concurrency) == ("house-judge", 3)
    assert resolve_judge({"preset": "gpt-4.1"}).model == "gpt-4.1"  # a dotted preset name is one preset
    # --judge naming another preset replaces the file's [judge] table: no model, server or price of the file's
    own = write(tmp_path, '[data]\nquestions = "q"\nanswers = ["a"]\n[judge]\nengine = "openai"\nmodel = "judge"\n'
                          'base_url = "http://127.0.0.1:9/v1"\nprice_in_per_mtok = 7.0\nprice_out_per_mtok = 9.0\n'
                          'concurrency = 5\n', "own.toml")
    preset = resolve_judge({"preset": "gpt-4o-mini"})
    replaced = load_config(own, judge_overrides={"preset": "gpt-4o-mini", "concurrency": 2}).judge
    assert (replaced.model, replaced.base_url, replaced.price_in_per_mtok) == (
        preset.model, preset.base_url, preset.price_in_per_mtok) and replaced.concurrency == 2
    assert load_config(own, judge_overrides={"concurrency": 2}).judge.model == "judge"  # other flags layer on top
    assert RunConfig(questions="q", answers=["a"]).judge.embedded  # no judge given: the embedded one
    with pytest.raises(ConfigError, match="the OpenAI-compatible engine needs a judge model"):
        JudgeConfig(engine="openai")


def test_a_model_other_than_the_presets_takes_none_of_what_describes_the_presets_model(tmp_path):
    """The quickstart's file (preset embedded) with --judge-model judged with the bundled SmolLM2 under the named
    model's name; a file naming gpt-4o-mini with --judge-model gpt-4.1 costed gpt-4.1 at gpt-4o-mini's prices
    (and a dollar budget would have overspent thirteenfold)."""
    quickstart = ROOT / "examples" / "quickstart.toml"
    named = load_config(quickstart, judge_overrides={"model": "gpt-4.1"}).judge
    assert (named.engine, named.embedded, named.name, named.preset) == ("openai", False, "gpt-4.1", None)
    assert load_config(quickstart, judge_overrides={"model": "/models/qwen", "engine": "vllm"}).judge.embedded is False
    assert load_config(quickstart).judge.embedded  # the file alone: the bundled judge
    mini = write(tmp_path, '[data]\nquestions = "q"\nanswers = ["a"]\n[judge]\npreset = "gpt-4o-mini"\n', "mini.toml")
    other = load_config(mini, judge_overrides={"model": "gpt-4.1"}).judge
    assert (other.model, other.concurrency, other.api_key_env) == ("gpt-4.1", 32, "OPENAI_API_KEY")  # its server's
    assert (other.price_in_per_mtok, other.price_out_per_mtok, other.description) == (None, None, "")
    assert load_config(mini, judge_overrides={"model": "gpt-4o-mini"}).judge.price_in_per_mtok == 0.15
    with pytest.raises(ConfigError, match="a dollar budget needs the judge's prices"):
        load_config(mini, {"budget_usd": 1.0, "pairs": "adaptive"}, {"model": "gpt-4.1"})
    priced = load_config(mini, judge_overrides={"model": "gpt-4.1", "price_in_per_mtok": 2.0,
                                                "price_out_per_mtok": 8.0})
    assert priced.judge.price_in_per_mtok == 2.0
    # the same for a file's own judge: its prices are its model's
    own = write(tmp_path, '[data]\nquestions = "q"\nanswers = ["a"]\n[judge]\nmodel = "gpt-4o-mini"\n'
                          'price_in_per_mtok = 0.15\nprice_out_per_mtok = 0.6\nconcurrency = 5\n', "own.toml")
    flagged = load_config(own, judge_overrides={"model": "gpt-4.1"}).judge
    assert (flagged.model, flagged.price_in_per_mtok, flagged.concurrency) == ("gpt-4.1", None, 5)
    assert load_config(own).judge.price_in_per_mtok == 0.15
    # a preset that names no model (a server's, priced per token whatever it serves) applies to the model named;
    # a GPU preset's context length is its model's
    write(tmp_path, '[house]\nengine = "openai"\nbase_url = "http://127.0.0.1:9/v1"\nprice_in_per_mtok = 0.5\n'
          'price_out_per_mtok = 1.5\n', "judges.toml")
    house = write(tmp_path, '[data]\nquestions = "q"\nanswers = ["a"]\n[judge]\npreset = "house"\nmodel = "llama"\n'
                            'judges_file = "judges.toml"\n', "house.toml")
    assert load_config(house).judge.price_in_per_mtok == 0.5
    gpu = resolve_judge({"preset": "qwen2.5-7b-vllm", "model": "/models/other"})
    assert (gpu.engine, gpu.max_model_len) == ("vllm", None)
    assert resolve_judge({"preset": "qwen2.5-7b-vllm"}).max_model_len == 8192


_NO_MODEL = ("[judge] model: the OpenAI-compatible engine needs a judge model: set [judge] model = \"M\" (and "
             "[judge] base_url = \"URL\" for a server other than OpenAI's), or [judge] preset = \"PRESET\"")


@pytest.mark.parametrize("judge", [{"base_url": "http://127.0.0.1:9/v1"}, {"api_key_env": "HOUSE_KEY"},
                                   {"api_key": "sk-x"}, {"base_url": "http://127.0.0.1:9/v1", "concurrency": 4}],
                         ids=["base_url", "api_key_env", "api_key", "with concurrency"])
def test_a_servers_settings_without_a_judge_model_ask_for_it_not_for_the_embedded_judge(tmp_path, judge):
    """A base URL or a key's variable without a model, preset or engine judged with the embedded SmolLM2 (minutes
    on a CPU), noting the server's settings as ignored: they ask for a server's judge, which needs its model."""
    with pytest.raises(ConfigError) as caught:
        RunConfig(questions="q", answers=["a"], judge=judge)
    assert str(caught.value) == _NO_MODEL
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in judge.items())
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, _DATA + "[judge]\n" + lines))
    assert str(caught.value) == _NO_MODEL  # the model is set nowhere: no file names it
    # an engine or embedded = true chooses the judge (the server's settings are noted as ignored), as does a model
    for chosen in ({"engine": "vllm"}, {"embedded": True}):
        local = RunConfig(questions="q", answers=["a"], judge={**judge, **chosen}).judge
        assert (local.engine, local.embedded, local.name) == ("vllm", True, "SmolLM2-135M-Instruct")
    assert RunConfig(questions="q", answers=["a"], judge={**judge, "model": "m"}).judge.engine == "openai"


def test_the_embedded_judge_is_chosen_by_embedded_true_and_refused_beside_a_servers_judge():
    """`embedded = true` alone said that the OpenAI-compatible engine needs a judge model; beside a model and a
    base URL it judged at the server under the embedded judge's disclaimer ("its rankings mean nothing")."""
    alone = resolve_judge({"embedded": True})
    assert (alone.engine, alone.embedded, alone.name) == ("vllm", True, "SmolLM2-135M-Instruct")
    with pytest.raises(ConfigError) as caught:
        resolve_judge({"embedded": True, "model": "test-judge", "base_url": "http://127.0.0.1:9/v1"})
    assert str(caught.value) == (
        "[judge] embedded: true asks for the bundled SmolLM2-135M judge, run in-process on vLLM's CPU build, but "
        "these settings ask for a judge server (engine openai, model 'test-judge'): leave out [judge] embedded to "
        "judge with the server, or leave out [judge] model and [judge] base_url for the embedded judge")
    with pytest.raises(ConfigError) as caught:
        resolve_judge({"preset": "embedded", "engine": "openai"})
    assert str(caught.value) == (
        "[judge] embedded (from judge preset 'embedded'): true asks for the bundled SmolLM2-135M judge, run "
        "in-process on vLLM's CPU build, but these settings ask for a judge server (engine openai): leave out "
        "[judge] preset 'embedded' to judge with the server, or leave out [judge] engine for the embedded judge")
    # the embedded preset with a model named is that model's judge, not a contradiction
    assert resolve_judge({"preset": "embedded", "model": "m", "base_url": "http://127.0.0.1:9/v1"}).embedded is False


def test_embedded_false_alone_asks_for_a_judge(tmp_path):
    """`embedded = false` alone was the embedded preset's engine without its model ("the vLLM engine needs a model
    path or name", from judge preset 'embedded'): it turns the default judge off and names none, so it asks for
    one, named where it was set; with an engine or a model it is that judge's setting as before."""
    path = write(tmp_path, _DATA + "[judge]\nembedded = false\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: [judge] embedded: false turns the bundled judge off, and no other judge "
                                 'is named: set [judge] model = "M" (and [judge] base_url = "URL" for a server other '
                                 "than OpenAI's), or [judge] preset = \"PRESET\"")
    with pytest.raises(ConfigError, match=r"^\[judge\] model: the vLLM engine needs a model path or name"):
        resolve_judge({"embedded": False, "engine": "vllm"})
    assert resolve_judge({"embedded": False, "model": "m"}).name == "m"


def test_min_concurrency_above_concurrency_is_named_where_it_was_given(tmp_path):
    """`min_concurrency = 20` in a file was refused by the engine as it started, after the run's first line, in
    words naming no file or table: 'min_concurrency must be between 1 and concurrency (16); got 20'. Concurrency is
    named as it was given: a file's was named as the command's flag, a flag's as the file's setting."""
    path = write(tmp_path, _DATA + '[judge]\nmodel = "m"\nmin_concurrency = 20\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: [judge] min_concurrency: must be at most [judge] concurrency (16), got 20"
    with pytest.raises(ConfigError) as caught:  # a flag lowering concurrency below the file's min_concurrency
        RunConfig.from_toml(write(tmp_path, _DATA + '[judge]\nmodel = "m"\nmin_concurrency = 8\n', "y.toml"), None,
                            {"concurrency": 4}, {"judge.concurrency": "--concurrency"})
    assert str(caught.value).endswith("y.toml: [judge] min_concurrency: must be at most --concurrency (4), got 8")
    with pytest.raises(ConfigError) as caught:  # a file's concurrency, under a command that has --concurrency
        with named_by_flags({"judge.concurrency": "--concurrency"}):
            load_config(write(tmp_path, _DATA + '[judge]\nmodel = "m"\nconcurrency = 4\nmin_concurrency = 8\n',
                              "z.toml"))
    assert str(caught.value).endswith("z.toml: [judge] min_concurrency: must be at most [judge] concurrency (4), "
                                      "got 8")
    assert load_config(path, judge_overrides={"concurrency": 20}).judge.min_concurrency == 20
    with pytest.raises(ConfigError) as caught:  # a preset's concurrency: its value and source read once
        load_config(write(tmp_path, _DATA + '[judge]\npreset = "gpt-4o-mini"\nmin_concurrency = 40\n', "p.toml"))
    assert str(caught.value).endswith("p.toml: [judge] min_concurrency: must be at most [judge] concurrency (32, from "
                                      "judge preset 'gpt-4o-mini'), got 40"), caught.value
    assert resolve_judge({"model": "/m", "engine": "vllm", "min_concurrency": 20}).min_concurrency == 20  # ignored


def test_a_judges_file_is_read_and_checked_also_where_no_preset_is_used(tmp_path, monkeypatch):
    """A judges file that was missing or broken was ignored when [judge] named a model and no preset, and a
    misspelt setting in one was reported as the run config's ([judge] judge: unknown setting 'modell'),
    and `judgebench judges` listed the preset without a model."""
    own_judge = '[data]\nquestions = "q"\nanswers = ["a"]\n[judge]\nengine = "openai"\nmodel = "j"\n'
    missing = write(tmp_path, own_judge + 'judges_file = "nothere.toml"\n')
    with pytest.raises(ConfigError, match=r"x.toml: \[judge\] judges_file: judges file not found: .*nothere.toml$"):
        load_config(missing)
    write(tmp_path, '[house]\nengine = "openai"\nmodell = "x"\n', "judges.toml")
    misspelt = write(tmp_path, own_judge + 'judges_file = "judges.toml"\n')
    unknown = r"judges.toml: \[house\] unknown setting 'modell'; did you mean 'model'\?$"
    with pytest.raises(ConfigError, match=r"x.toml: \[judge\] judges_file: .*" + unknown):
        load_config(misspelt)
    monkeypatch.setenv("JUDGEBENCH_JUDGES", str(tmp_path / "judges.toml"))
    with pytest.raises(ConfigError, match=unknown):
        presets()  # what `judgebench judges` lists
    monkeypatch.setenv("JUDGEBENCH_JUDGES", str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match=r"^judges file \(JUDGEBENCH_JUDGES\) not found: .*gone.toml$"):
        presets()


def test_win_rates_are_refused_before_judging_unless_every_model_meets_the_baseline():
    with pytest.raises(ConfigError, match=r"^\[ratings\] method: winrate rates every model by its games"):
        RunConfig(questions="q", answers=["a"], pairs="sample", baseline="b", method="winrate")
    with pytest.raises(ConfigError, match="with a baseline"):  # all pairs judged first, then refused: 240 calls
        RunConfig(questions="q", answers=["a"], pairs="all", method="winrate")
    for pairs in ("baseline", "all"):  # each judges every model against the baseline on every question
        assert RunConfig(questions="q", answers=["a"], pairs=pairs, baseline="b", method="winrate").method == "winrate"


@pytest.mark.parametrize("pairs, chosen", [("baseline", "judges each model against the baseline"),
                                           ("all", "judges every pair"), ("adaptive", "chooses the pairs as it goes")])
def test_opponents_are_refused_with_pairs_that_sample_none(tmp_path, pairs, chosen):
    """`opponents` went unused without a word unless pairs = sample, where a budget with pairs that plan every
    game up front is refused: now it is refused alike, given in the file or over it; its default is not."""
    budget = "budget_calls = 40\n" if pairs == "adaptive" else ""
    judging = f'[judging]\npairs = "{pairs}"\nbaseline = "b"\n{budget}'
    path = write(tmp_path, _DATA + judging + "opponents = 2\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: [judging] opponents: a number of opponents shapes a sampled plan (pairs = "
                                 f"sample); pairs = {pairs} {chosen}, so it would be ignored: use [judging] pairs = "
                                 '"sample", or leave it out')
    sampled = write(tmp_path, _DATA + '[judging]\npairs = "sample"\nopponents = 2\n', "sampled.toml")
    assert load_config(sampled).opponents == 2
    plain = write(tmp_path, _DATA + judging, "plain.toml")
    assert load_config(plain).opponents is None
    with pytest.raises(ConfigError, match=r"^--opponents: a number of opponents shapes a sampled plan"):
        RunConfig.from_toml(plain, {"opponents": 1}, flags={"opponents": "--opponents"})


def test_leaderboard_settings_are_the_arguments_of_build():
    from judgebench.leaderboard import build

    rows = [("q1", "a", "b", 1.0), ("q1", "b", "c", 1.0), ("q2", "a", "c", 0.5), ("q2", "c", "a", 0.0),
            ("q3", "b", "a", 0.0), ("q3", "c", "b", 1.0)]
    outcomes = pd.DataFrame(rows, columns=["question_id", "model_a", "model_b", "score_a"])
    settings = LeaderboardSettings(rounds=50, seed=3, scale=200.0, anchor="a", anchor_rating=1500.0,
                                   regularization=0.1)
    board = build(outcomes, **settings.build_options())
    ratings = {entry["model"]: entry["rating"] for entry in board.models}
    assert ratings["a"] == pytest.approx(1500.0)
    assert (board.meta["rounds"], board.meta["seed"]) == (50, 3)
    with pytest.raises(ConfigError, match=r"^position_effect: applies to method bt only \(method is elo\)$"):
        RatingsSettings(method="elo", position_effect=True)


def test_every_setting_is_documented_in_its_docstring_and_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    reference = readme[readme.index("## Configuration reference"):]
    reference = reference[:reference.index("\n## ", 5)]
    models: list[type[SettingsModel]] = [RunConfig, JudgeConfig, LeaderboardSettings]
    for model in models:
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no docstring"
            if model is not LeaderboardSettings and name != "judge":
                assert f"`{name}`" in reference, f"README's configuration reference misses {name}"


_USER = 'user = "{question} {answer_a} {answer_b}"'
_VERDICTS = '[verdicts]\n"[[A]]" = { p_first = 1.0 }\n"[[B]]" = { p_first = 0.0 }'


@pytest.mark.parametrize("template, message", [
    ('user = "{question} {answer_a}"\n' + _VERDICTS, "user: must contain the placeholder {answer_b}"),
    ('user = "{question} {answer_a} {answer_b} {refrence}"\n' + _VERDICTS, "user: unknown placeholder {refrence}"),
    (f'kind = "txt"\n{_USER}\n{_VERDICTS}',
     """kind: expected one of "text", "logprob", got "txt"; did you mean 'text'?"""),
    (f"max_token = 5\n{_USER}\n{_VERDICTS}", "unknown setting 'max_token'; did you mean 'max_tokens'?"),
    (f"temperature = -1\n{_USER}\n{_VERDICTS}", "temperature: must be at least 0, got -1"),
    (f'{_USER}\n[verdicts]\n"[[A]]" = {{ p_first = 1.5 }}\n"[[B]]" = {{ p_first = 0.0 }}',
     '[verdicts] "[[A]]".p_first: must be at most 1, got 1.5'),
    (f'{_USER}\n[verdicts]\n"[[A]]" = {{ p_first = "1" }}\n"[[B]]" = {{ p_first = 0.0 }}',
     '[verdicts] "[[A]]".p_first: expected a number, got "1"'),
    (f'{_USER}\n[verdicts]\n"[[A]]" = {{ p_first = 1.0 }}', "verdicts: needs at least 2 entries"),
    (_VERDICTS, "user: required, but not set"),
])
def test_a_bad_template_names_its_file_and_key(tmp_path, template, message):
    path = write(tmp_path, template, "mine.toml")
    assert load_template(write(tmp_path, f"{_USER}\n{_VERDICTS}", "good.toml")).kind == "text"
    with pytest.raises(ConfigError) as caught:
        load_template(path)
    assert str(caught.value).startswith(f"{path}: {message}"), str(caught.value)


def readme_settings() -> list[tuple[str, list[str], list[str]]]:
    """README.md's configuration table: (table, its settings, their flags) per row."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration reference\n", 1)[1].split("\n## ", 1)[0]
    rows, table = [], ""
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 4 or cells[0] in ("table", "---"):
            continue
        table = re.fullmatch(r"`\[(\w+)\]`", cells[0]).group(1) if cells[0] else table  # type: ignore[union-attr]
        rows.append((table, re.findall(r"(?:^|, )`(\w+)`", cells[1]), re.findall(r"`(--[\w-]+)", cells[1])))
    return rows


def test_the_readme_lists_every_setting_in_the_table_a_file_takes_it_in_with_the_flag_run_takes(tmp_path):
    """judge_family was documented as a [judge] setting that every table of a file refused; each row of the
    README's table is checked by writing the setting into its table of a real file."""
    rows = readme_settings()
    documented = {(table, key) for table, keys, _ in rows for key in keys}
    for table, key in sorted(documented):
        path = write(tmp_path, f'[data]\nquestions = "q"\nanswers = ["a"]\n[{table}]\n{key} = true\n', "one.toml")
        if table == "data":
            path.write_text(f'[data]\nquestions = "q"\nanswers = ["a"]\n{key} = true\n' if key not in
                            ("questions", "answers") else '[data]\nquestions = "q"\nanswers = ["a"]\n')
        try:
            load_config(path)
        except ConfigError as error:  # a wrong value is fine here (true for a number): an unknown key is not
            assert "unknown setting" not in str(error) and "belongs in" not in str(error), (table, key, str(error))
    accepted = {(table, key) for table in ("data", "judge", "judging", "run", "ratings") for key in
                table_settings(table)}
    assert accepted - documented == set(), "settings a file takes that the README's table leaves out"
    run_flags = {flag for param in typer.main.get_command(app).commands["run"].params  # type: ignore[attr-defined]
                 for flag in param.opts}
    assert {flag for _, _, flags in rows for flag in flags} - run_flags == set()


def test_a_change_refused_leaves_the_settings_as_they_were():
    """pydantic assigns before the checks of settings together run: a refused `settings.pairs = "sample"`
    (winrate needs pairs against the baseline) stayed, every later change was refused for it, and evaluate
    judged it."""
    settings = RunConfig(questions="q.jsonl", answers=["a.jsonl"], baseline="base", method="winrate")
    with pytest.raises(ConfigError, match='only pairs = "baseline" or "all"'):
        settings.pairs = "sample"
    assert settings.pairs == "baseline" and "pairs" not in settings.model_fields_set
    settings.rounds = 300  # a later change is checked on its own
    assert settings.rounds == 300 and settings.with_changes(seed=1).pairs == "baseline"


def test_a_judge_table_among_the_overrides_is_laid_over_the_files(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('[data]\nquestions = "q.jsonl"\nanswers = ["a.jsonl"]\n'
                      '[judge]\nengine = "openai"\nmodel = "gpt-4o-mini"\nconcurrency = 16\n')
    settings = RunConfig.from_toml(config, {"judge": {"concurrency": 2}})
    assert (settings.judge.model, settings.judge.concurrency) == ("gpt-4o-mini", 2)
    assert load_config(config, judge_overrides={"concurrency": 3}).judge.concurrency == 3


def test_a_bad_judge_override_is_named_as_an_override_not_as_the_files(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text('[data]\nquestions = "q.jsonl"\nanswers = ["a.jsonl"]\n'
                      '[judge]\nengine = "openai"\nmodel = "gpt-4o-mini"\nconcurrency = 16\n')
    with pytest.raises(ConfigError) as raised:
        RunConfig.from_toml(config, {"judge": {"concurrency": 0}})
    assert "concurrency" in str(raised.value) and "run.toml" not in str(raised.value)
    with pytest.raises(ConfigError, match="judge among the overrides: give a table of judge settings"):
        RunConfig.from_toml(config, {"judge": JudgeConfig(model="other")})


@pytest.mark.parametrize("given, message", [
    # it said "[judge] judge: expected a table, got ..." and no word of presets
    ({"judge": "gpt-4.1"}, '[judge]: expected a table, got "gpt-4.1"; a preset is named in it: '
                           'judge={"preset": "gpt-4.1"}, as [judge] preset = "gpt-4.1" in a file'),
    ({"judge": {"model": "m", "concurency": 3}}, "[judge]: unknown setting 'concurency'; did you mean 'concurrency'?"),
])
def test_a_judge_given_from_python_is_named_once_and_a_preset_by_its_table(given, message):
    with pytest.raises(ConfigError) as raised:
        RunConfig(questions="q.jsonl", answers=["a.jsonl"], **given)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("answers", [[{"question_id": "q1", "model": "m", "turns": ["t"]}] * 200,
                                     [pd.DataFrame({"question_id": ["q1"], "model": ["m"], "turns": [["t"]]})]])
def test_answers_given_as_rows_get_one_line_that_says_to_write_a_file(answers):
    """rate() takes rows in memory and evaluate() reads files: 200 rows made 200 lines of 'expected a path'."""
    with pytest.raises(ConfigError) as raised:
        RunConfig(questions="q.jsonl", answers=answers)
    assert str(raised.value) == ('[data] answers: expected paths of files, got rows of data: questions and answers '
                                 'are read from files (JSONL, CSV or Parquet); write the rows to one first, as '
                                 'pandas.DataFrame(rows).to_json("answers.jsonl", orient="records", lines=True) does')


def test_a_table_given_for_a_path_that_is_not_data_is_not_called_rows(tmp_path):
    """`out = {a = 1}` got the data settings' message ("expected paths of files, got rows of data: questions and
    answers are read from files"), which is about rate()'s rows, not about where results go."""
    path = write(tmp_path, _DATA + '[run]\nout = {a = 1}\n')
    with pytest.raises(ConfigError) as raised:
        RunConfig.from_toml(path)
    assert str(raised.value).endswith('[run] out: expected a path (a string), got {"a": 1}')


def test_a_key_variable_named_over_the_file_wins_over_the_files_key(tmp_path):
    """`--api-key-env MYKEY` over a file with `api_key = "..."`: the flag names where the key is, so the file's key
    is not sent (it was, and every request carried it: 401 naming "config setting api_key"); a key given over
    the file (api_key) still wins over the file's variable."""
    path = write(tmp_path, _DATA + '[judge]\nmodel = "j"\napi_key = "sk-from-file"\napi_key_env = "FILE_KEY"\n')
    named = RunConfig.from_toml(path, None, {"api_key_env": "MYKEY"}, {"judge.api_key_env": "--api-key-env"})
    assert (named.judge.api_key, named.judge.api_key_env) == (None, "MYKEY")
    assert RunConfig.from_toml(path).judge.api_key == "sk-from-file"  # the file alone: its own key
    given = RunConfig.from_toml(path, None, {"api_key": "sk-given"})
    assert (given.judge.api_key, given.judge.api_key_env) == ("sk-given", "FILE_KEY")
    # a preset's key likewise (a judges file with api_key, and --judge PRESET --api-key-env MYKEY)
    write(tmp_path, '[mine]\nengine = "openai"\nmodel = "m"\napi_key = "sk-preset"\n', "judges.toml")
    with_preset = write(tmp_path, _DATA + '[judge]\npreset = "mine"\njudges_file = "judges.toml"\n', "p.toml")
    assert RunConfig.from_toml(with_preset).judge.api_key == "sk-preset"
    over = RunConfig.from_toml(with_preset, None, {"api_key_env": "MYKEY"})
    assert (over.judge.api_key, over.judge.api_key_env) == (None, "MYKEY")


def test_a_judge_setting_given_among_a_runs_own_says_where_it_belongs():
    """`RunConfig(concurrency=8)` or `judge_model=` (the command line's --judge-model) said only "unknown setting"
    (or suggested judge_family): the message says it is a judge setting and how to give it."""
    for given, table in (({"concurrency": 8}, "{'concurrency': ...}"), ({"judge_model": "x"}, "{'model': ...}")):
        with pytest.raises(ConfigError) as caught:
            RunConfig(questions="q", answers=["a"], **given)
        assert f"it is a judge setting: judge={table}" in str(caught.value)
    with pytest.raises(ConfigError, match="did you mean 'rounds'"):
        RunConfig(questions="q", answers=["a"], roundz=3)


def test_tuples_are_taken_for_lists_and_model_copy_checks_its_update():
    """`answers=("a.jsonl", "b.jsonl")` was refused ("expected a list"); `model_copy(update=...)`, pydantic's copy,
    set values unchecked (rounds -5, which no file or flag can set)."""
    config = RunConfig(questions="q", answers=("a.jsonl", "b.jsonl"), models=("m1", "m2"))
    assert [str(path) for path in config.answers] == ["a.jsonl", "b.jsonl"] and config.models == ["m1", "m2"]
    with pytest.raises(ConfigError, match=r"^\[ratings\] rounds: bootstrap rounds must be 2 to 100,000"):
        config.model_copy(update={"rounds": -5})
    assert config.model_copy(update={"rounds": 50}).rounds == 50 and config.rounds == 1000
    assert config.model_copy(deep=True) == config


def test_a_wrong_value_is_shown_as_written(tmp_path):
    """`seed = 1.0` said "expected an integer, got 1", and a list of paths where one path belongs showed
    `[PosixPath('/...')]`."""
    for line, shown in (("[run]\nseed = 1.0\n", "[run] seed: expected an integer, got 1.0"),
                        ("[judging]\nmax_tokens = 100.0\n", "[judging] max_tokens: expected an integer, got 100.0"),
                        ("[ratings]\nconfidence = 2.0\n", "[ratings] confidence: must be less than 1, got 2.0"),
                        ("[run]\nprogress = 0.0\n", "[run] progress: expected true or false, got 0.0")):
        with pytest.raises(ConfigError) as caught:
            RunConfig.from_toml(write(tmp_path, _DATA + line))
        assert shown in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_toml(write(tmp_path, '[data]\nquestions = ["q.jsonl"]\nanswers = ["a.jsonl"]\n'))
    message = str(caught.value)  # the value shortened to 60 characters, as long values are
    assert '[data] questions: expected a path (a string), got ["/' in message and "PosixPath" not in message


_OTHER_ENGINES = _DATA + ('[judge]\nmodel = "x"\nbase_url = "http://127.0.0.1:9/v1"\ngpu_memory_utilization = 0.5\n'
                          'max_model_len = 4096\nconcurrency = 4\n')


def test_settings_of_the_other_engine_are_noted_where_they_were_given(tmp_path):
    """A judge behind a server given gpu_memory_utilization or max_model_len (read by the in-process vLLM engine
    only) ran without a word that they did nothing; so did an in-process judge given a server's settings."""
    path = write(tmp_path, _OTHER_ENGINES)
    assert RunConfig.from_toml(path).notes() == [
        f"{path}: [judge] max_model_len, [judge] gpu_memory_utilization: ignored: they apply to the in-process vLLM "
        "engine; this judge is the server at http://127.0.0.1:9/v1"]
    # a copy with other settings changed still names the file (review: it named the settings alone)
    assert RunConfig.from_toml(path).with_changes(seed=3).notes() == RunConfig.from_toml(path).notes()
    local = RunConfig.from_toml(path, None, {"engine": "vllm", "timeout_s": 5.0}, {"judge.engine": "--engine"})
    assert local.notes() == [
        f"{path}: [judge] base_url, [judge] concurrency; [judge] timeout_s: ignored: they apply to a judge server "
        "(engine openai); this judge runs in-process on vLLM (x)"]
    # from Python, by the settings' names; a preset's by the preset; none for settings of the judge's own engine
    given = RunConfig(questions="q", answers=["a"], judge={"model": "m", "tensor_parallel_size": 2, "timeout_s": 9.0})
    assert given.notes() == ["[judge] tensor_parallel_size: ignored: they apply to the in-process vLLM engine; this "
                             "judge is the server at https://api.openai.com/v1"]
    gpu = RunConfig.from_toml(None, {"questions": "q", "answers": ["a"]}, {"preset": "qwen2.5-7b-vllm",
                                                                        "engine": "openai"})
    assert gpu.notes()[0].startswith("[judge] max_model_len (from judge preset 'qwen2.5-7b-vllm'), [judge] "
                                     "gpu_memory_utilization (from judge preset 'qwen2.5-7b-vllm'): ignored")
    assert RunConfig(questions="q", answers=["a"], judge={"preset": "qwen2.5-7b-vllm"}).notes() == []
    assert RunConfig(questions="q", answers=["a"], judge={"preset": "local-server"}).notes() == []


def test_the_settings_noted_as_ignored_change_nothing_of_what_is_claimed_from_the_store():
    """The games claimed at a time (`Sharing.batch_for`) took concurrency into account for the vLLM engine and
    chunk_size for a server, which the note says each ignores: each engine's claim follows its own setting."""
    from judgebench.runner import Sharing

    server, local = {"engine": "openai", "model": "m"}, {"engine": "vllm", "model": "/m"}
    assert Sharing().batch_for(JudgeConfig(**server, concurrency=64, chunk_size=4096)) == 512
    assert Sharing().batch_for(JudgeConfig(**local, concurrency=64, chunk_size=1024)) == 1024
    assert Sharing().batch_for(JudgeConfig(**local, concurrency=64)) == 256


@pytest.mark.parametrize("command", [
    ["run", "--baseline", "nobody"],
    ["check", "--candidate", "nobody", "--reference", "a"],
    ["diagnose", "--gold", "bad.jsonl"],
], ids=["run", "check", "diagnose-gold"])
def test_each_command_that_judges_notes_the_ignored_settings_before_judging(tmp_path, command):
    """The note comes before anything is judged: each command here stops at its input error before its first
    judge call (the server at port 9 is never asked)."""
    from tests.support.cli_runs import judgebench

    (tmp_path / "q.jsonl").write_text('{"question_id": "q1", "turns": ["2+2?"]}\n')
    (tmp_path / "a.jsonl").write_text('{"question_id": "q1", "model": "a", "turns": ["4"]}\n'
                                      '{"question_id": "q1", "model": "b", "turns": ["5"]}\n')
    (tmp_path / "bad.jsonl").write_text('{"question": "q", "answer_a": "x", "answer_b": "y", "label": "maybe"}\n')
    write(tmp_path, _OTHER_ENGINES + '[run]\nstore = "s.sqlite"\nprogress = false\n')
    done = judgebench(*command, "--config", "x.toml", cwd=tmp_path, timeout=60)
    lines = done.stderr.splitlines()
    note = ("note: x.toml: [judge] max_model_len, [judge] gpu_memory_utilization: ignored: they apply to the "
            "in-process vLLM engine; this judge is the server at http://127.0.0.1:9/v1")
    assert done.returncode == 2 and note in lines, done.stderr
    assert lines.index(note) < next(i for i, line in enumerate(lines) if line.startswith("error:"))


@pytest.mark.parametrize("presets_file, message", [
    ('[mine]\nengine = "openai"\nmodel = "m"\nconcurrency = "lots"\n',
     '[mine] concurrency: expected an integer, got "lots"'),
    ('[mine]\nengine = 3\nmodel = "m"\n', '[mine] engine: expected one of "openai", "vllm", got 3'),
    ('[mine]\nengine = "openai"\n', "[mine] model: the OpenAI-compatible engine needs a judge model"),
    ('[mine]\nengine = "openai"\nmodel = "m"\ntimeout_s = -1\n', "[mine] timeout_s: must be greater than 0, got -1"),
    ('mine = "gpt-4o-mini"\n', "preset 'mine' must be a table"),
    ('model = "m"\n[mine]\nengine = "openai"\nmodel = "m"\n', "preset 'model' must be a table"),
    ('[mine]\ntemperature = "hot"\n', "[mine] unknown setting 'temperature'"),
], ids=["wrong type", "wrong choice", "no model", "out of range", "preset a string", "top-level key",
        "unknown setting"])
def test_every_problem_in_a_presets_file_names_the_file_the_preset_and_the_setting(tmp_path, monkeypatch,
                                                                                  presets_file, message):
    """A preset's value of the wrong type was named as the run's ([judge] concurrency (from judge preset 'mine')),
    not as the presets file's, which holds it; a preset without a model was 'model.judge'."""
    judges = write(tmp_path, presets_file, "judges.toml")
    path = write(tmp_path, _DATA + '[judge]\npreset = "mine"\njudges_file = "judges.toml"\n')
    for read in (lambda: load_config(path), lambda: resolve_judge({"preset": "mine"}, judges)):
        with pytest.raises(ConfigError) as caught:
            read()
        shown = str(caught.value)
        assert f"{judges}: {message}" in shown and len(shown.splitlines()) == 1, shown
    monkeypatch.setenv("JUDGEBENCH_JUDGES", str(judges))  # the variable's file likewise
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, _DATA + '[judge]\npreset = "mine"\n', "env.toml"))
    assert f"{judges}: {message}" in str(caught.value)


def test_a_bad_presets_file_ends_the_run_with_one_line_and_exit_2(tmp_path):
    from tests.support.cli_runs import judgebench

    write(tmp_path, '[mine]\nengine = "openai"\nmodel = "m"\nconcurrency = "lots"\n', "judges.toml")
    write(tmp_path, _DATA + '[judge]\npreset = "mine"\njudges_file = "judges.toml"\n')
    done = judgebench("run", "--config", "x.toml", cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stderr) == (
        2, f'error: {tmp_path / "judges.toml"}: [mine] concurrency: expected an integer, got "lots"\n')


def test_judgebench_judges_variable_beside_a_judges_file_is_noted_as_not_read(tmp_path, monkeypatch):
    """JUDGEBENCH_JUDGES was ignored without a word where a config's judges_file (or `judges --judges-file`) named
    another file; the explicit setting still wins."""
    from tests.support.cli_runs import judgebench

    mine = write(tmp_path, '[mine]\nengine = "openai"\nmodel = "m"\n', "judges.toml")
    other = write(tmp_path, '[other]\nengine = "openai"\nmodel = "o"\n', "other.toml")
    path = write(tmp_path, _DATA + '[judge]\npreset = "mine"\njudges_file = "judges.toml"\n')
    monkeypatch.setenv("JUDGEBENCH_JUDGES", str(other))
    config = load_config(path)
    assert config.judge.model == "m" and config.notes() == [
        f"judge presets are read from {mine} ([judge] judges_file), not from JUDGEBENCH_JUDGES={other}: the "
        "explicit setting wins over the variable"]
    monkeypatch.setenv("JUDGEBENCH_JUDGES", str(mine))
    assert load_config(path).notes() == []  # the same file: nothing to say
    listed = judgebench("judges", "--judges-file", "judges.toml", cwd=tmp_path, timeout=60)
    assert listed.returncode == 0 and listed.stderr == ""
    monkeypatch.setenv("JUDGEBENCH_JUDGES", "other.toml")
    listed = judgebench("judges", "--judges-file", "judges.toml", cwd=tmp_path, timeout=60)
    assert listed.stderr == ("note: judge presets are read from judges.toml (--judges-file), not from "
                             "JUDGEBENCH_JUDGES=other.toml: the explicit setting wins over the variable\n")
    assert " mine " in listed.stdout and " other " not in listed.stdout


@pytest.mark.parametrize("toml, overrides, judge_overrides, message", [
    ('[run]\nseed = "7"\n', {"seed": 3}, None, '[run] seed: expected an integer, got "7"'),
    ('[run]\nprogress = "nope"\n', {"progress": False}, None, '[run] progress: expected true or false, got "nope"'),
    ('[ratings]\nconfidence = "high"\n', {"confidence": 0.9}, None,
     '[ratings] confidence: expected a number, got "high"'),
    ('[judging]\ntemplate = "pairwise-7"\n', {"template": "pairwise-3"}, None,
     "[judging] template: unknown template 'pairwise-7'"),
    ('[judge]\nmodel = "m"\nconcurrency = "lots"\n', None, {"concurrency": 4},
     '[judge] concurrency: expected an integer, got "lots"'),
    # dropped, not replaced: another preset replaces the file's [judge], another model its prices
    ('[judge]\nmodel = "m"\ntimeout_s = -1\n', None, {"preset": "gpt-4o-mini"},
     "[judge] timeout_s: must be greater than 0, got -1"),
    ('[judge]\nmodel = "m"\nprice_in_per_mtok = "cheap"\n', None, {"model": "other"},
     '[judge] price_in_per_mtok: expected a number, got "cheap"'),
], ids=["seed", "progress", "confidence", "template", "judge setting", "another preset", "another model"])
def test_a_bad_value_in_the_file_is_named_there_though_an_override_replaces_it(tmp_path, toml, overrides,
                                                                               judge_overrides, message):
    """`seed = "7"` in the file with `{"seed": 3}` (a flag, or Python) ran without a word: a value the overrides
    replace was never checked, so the file's mistake waited for the next run without that flag."""
    path = write(tmp_path, _DATA + toml)
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides, judge_overrides)
    shown = str(caught.value)
    assert shown.startswith(f"{path}: {message}") and len(shown.splitlines()) == 1, shown


def test_an_overridden_files_value_and_a_bad_override_are_each_named_where_given(tmp_path):
    path = write(tmp_path, _DATA + '[judge]\nmodel = "m"\nconcurrency = "lots"\n')
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_toml(path, None, {"concurrency": 0}, flags={"judge.concurrency": "--concurrency"})
    assert str(caught.value).splitlines() == [f'{path}: [judge] concurrency: expected an integer, got "lots"',
                                              "--concurrency: must be at least 1, got 0"]


def test_settings_together_are_checked_as_merged_and_a_file_may_leave_settings_to_the_overrides(tmp_path):
    """Each value of the file is checked on its own; what only settings together can meet is the merged settings'
    (the file's adaptive plan without a budget, replaced by baseline pairs), and a required setting may come
    from the overrides."""
    path = write(tmp_path, '[judging]\npairs = "adaptive"\n[ratings]\nmethod = "elo"\n')
    config = load_config(path, {"questions": "q.jsonl", "answers": ["a.jsonl"], "pairs": "baseline",
                                "interval": "sandwich", "method": "bt"})
    assert (config.pairs, config.method, config.interval) == ("baseline", "bt", "sandwich")
    with pytest.raises(ConfigError, match="adaptive needs a budget"):
        load_config(path, {"questions": "q.jsonl", "answers": ["a.jsonl"]})


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A home folder of its own (HOME), beside a folder for the config file."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    (tmp_path / "cfg").mkdir()
    return folder


def test_a_path_setting_that_begins_with_a_tilde_is_in_the_home_folder(tmp_path, home):
    """`store = "~/s.sqlite"` was taken literally: a folder named `~` beside the config file (one `rm -rf ~` away
    from the home folder); from a file, an override and Python alike, and for a template file."""
    write(home, (ROOT / "prompts" / "pairwise-3.toml").read_text(), "mine.toml")
    write(home, '[house]\nengine = "openai"\nmodel = "house-judge"\n', "judges.toml")
    path = write(tmp_path / "cfg", '[data]\nquestions = "~/q.jsonl"\nanswers = ["~/a.jsonl", "b.jsonl"]\n'
                                   '[judge]\npreset = "house"\njudges_file = "~/judges.toml"\n'
                                   '[judging]\ntemplate = "~/mine.toml"\n[run]\nstore = "~/s.sqlite"\nout = "~/o"\n')
    config = load_config(path)
    assert (config.questions, config.answers) == (home / "q.jsonl", [home / "a.jsonl", tmp_path / "cfg" / "b.jsonl"])
    assert (config.store, config.out, config.judges_file) == (home / "s.sqlite", home / "o", home / "judges.toml")
    assert config.template == str(home / "mine.toml") and config.judge.model == "house-judge"
    assert load_config(path, {"out": "~/flag"}).out == home / "flag"
    assert RunConfig(questions="~/q", answers=[Path("~/a")]).questions == home / "q"
    assert LeaderboardSettings(out="~/board").out == home / "board"


def test_a_store_an_earlier_judgebench_made_in_a_folder_named_tilde_is_not_left_behind(tmp_path, home):
    """Before `~` was the home folder, `store = "~/s.sqlite"` made cfg/~/s.sqlite: read now as the home folder's,
    the next run would start an empty store there and pay for every judgment again. The folder is named, and
    `./~/...` keeps using it."""
    path = write(tmp_path / "cfg", _DATA + '[run]\nstore = "~/s.sqlite"\n')
    (tmp_path / "cfg" / "~").mkdir()
    (tmp_path / "cfg" / "~" / "s.sqlite").write_bytes(b"")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: [run] store: ~/s.sqlite is in your home folder ({home / 's.sqlite'}), but "
        f"{tmp_path / 'cfg' / '~' / 's.sqlite'} exists: an earlier judgebench took ~ in a config file literally and "
        f'made that folder beside the file; move what it holds to {home / "s.sqlite"}, or write "./~/s.sqlite" to '
        "keep using it where it is")
    kept = write(tmp_path / "cfg", _DATA + '[run]\nstore = "./~/s.sqlite"\n', "kept.toml")
    assert load_config(kept).store == tmp_path / "cfg" / "~" / "s.sqlite"


@pytest.mark.parametrize("value, variable", [("$HOME/o", "$HOME"), ("${HOME}/o", "${HOME}"), ("o/$RUN", "$RUN")])
def test_a_path_setting_naming_an_environment_variable_is_refused_not_taken_literally(tmp_path, home, value,
                                                                                      variable):
    """`out = "$HOME/o"` made a folder named `$HOME`: variables are not expanded, and a path that names one is
    refused, from a file and an override alike (a `$` before anything but a name is a path's own)."""
    path = write(tmp_path / "cfg", _DATA + f'[run]\nout = "{value}"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: [run] out: environment variables are not expanded in paths "
                                        f"({variable} in "), caught.value
    with pytest.raises(ConfigError, match=r"^--store: environment variables are not expanded in paths"):
        RunConfig.from_toml(None, {"questions": "q", "answers": ["a"], "store": value}, flags={"store": "--store"})
    assert RunConfig(questions="q", answers=["a"], out="price$5/o").out == Path("price$5/o")


def test_a_tilde_naming_an_unknown_user_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r'^\[run\] store: no home folder found for ~no-such-user-here in '
                                          r'"~no-such-user-here/s.sqlite": write the folder out$'):
        RunConfig(questions="q", answers=["a"], store="~no-such-user-here/s.sqlite")


def test_reasoning_presets_and_what_a_reasoning_judge_is_refused(tmp_path):
    """gpt-5-mini and o4-mini are reasoning judges with their prices; another model named over the preset (or over a
    file's judge) keeps how the requests are made (reasoning, extra_body), not the prices; a temperature or a
    logprob template with a reasoning judge, reasoning or extra fields with the in-process vLLM engine, and extra
    fields judgebench sends itself are refused, each in one message naming the settings."""
    mini = resolve_judge({"preset": "gpt-5-mini"})
    o4 = resolve_judge({"preset": "o4-mini"})
    assert (mini.model, mini.reasoning, mini.price_in_per_mtok, mini.price_out_per_mtok) == ("gpt-5-mini", True,
                                                                                              0.25, 2.0)
    assert (o4.model, o4.reasoning, o4.price_in_per_mtok, o4.price_out_per_mtok, o4.concurrency) == (
        "o4-mini", True, 1.1, 4.4, 32)
    assert "reasoning model" in mini.description and "reasoning model" in o4.description
    other = resolve_judge({"preset": "o4-mini", "model": "o3"})
    assert (other.reasoning, other.price_in_per_mtok, other.concurrency) == (True, None, 32)
    path = write(tmp_path, _DATA + '[judge]\npreset = "o4-mini"\nextra_body = { reasoning_effort = "low" }\n')
    assert load_config(path).judge.extra_body == {"reasoning_effort": "low"}
    qwen = write(tmp_path, _DATA + '[judge]\nmodel = "Qwen/Qwen3-8B"\nbase_url = "http://127.0.0.1:8000/v1"\n'
                                   'extra_body = { chat_template_kwargs = { enable_thinking = false } }\n')
    bigger = load_config(qwen, judge_overrides={"model": "Qwen/Qwen3-32B"}).judge  # --judge-model over the file's
    assert (bigger.model, bigger.extra_body) == ("Qwen/Qwen3-32B", {"chat_template_kwargs": {"enable_thinking": False}})
    refused = {
        _DATA + '[judge]\nmodel = "o3"\nreasoning = true\n[judging]\ntemperature = 0.0\n':
            "[judging] temperature: a reasoning judge ([judge] reasoning = true) is sent no temperature: it samples "
            "at its own (OpenAI's reasoning models refuse any other than 1): leave out [judging] temperature, or "
            "leave out [judge] reasoning for a judge that takes one",
        _DATA + '[judge]\nmodel = "o3"\nreasoning = true\n[judging]\ntemplate = "logprob"\n':
            "[judging] template: logprob reads the verdict from the probabilities of the judge's first token, which "
            "a reasoning judge ([judge] reasoning = true) spends reasoning (or hides): use a template that reads its "
            'text ([judging] template = "pairwise-5"), or leave out [judge] reasoning for a judge that takes one',
        _DATA + '[judge]\nengine = "vllm"\nmodel = "/models/qwen3"\nreasoning = true\n':
            "[judge] reasoning: applies to a judge server (engine openai), whose requests it shapes; this judge runs "
            'in-process on vLLM (/models/qwen3): leave it out, or set [judge] engine = "openai"',
        _DATA + '[judge]\nengine = "vllm"\nmodel = "/models/qwen3"\nextra_body = { seed = 1 }\n':
            "[judge] extra_body: applies to a judge server (engine openai), whose requests it shapes; this judge "
            'runs in-process on vLLM (/models/qwen3): leave it out, or set [judge] engine = "openai"',
        _DATA + '[judge]\nmodel = "m"\nextra_body = { max_tokens = 9000 }\n':
            "[judge] extra_body: 'max_tokens' is sent by judgebench itself: use [judging] max_tokens instead",
        _DATA + '[judge]\nmodel = "m"\nextra_body = { logprobs = true }\n':
            "[judge] extra_body: 'logprobs' is sent by judgebench itself (a logprob template asks for them): use "
            "[judging] template instead",
        _DATA + '[judge]\nmodel = "m"\nextra_body = { stream = true }\n':
            "[judge] extra_body: 'stream' asks for the reply streamed in pieces, where judgebench reads one answer, "
            "sent whole (it sends no such field): leave it out",
        _DATA + '[judge]\nmodel = "m"\nextra_body = { seed = 1979-05-27 }\n':
            "[judge] extra_body: every value must be JSON (text, a number, true or false, a list or a table): "
            "Object of type date is not JSON serializable",
    }
    each_refused(tmp_path, refused)


def test_a_reasoning_judge_of_a_preset_is_refused_naming_the_preset(tmp_path):
    """With `preset = "o4-mini"` the refusals named `[judge] reasoning` as the user's own setting, to leave out
    ("leave it out" beside vllm, though the file has none): they name the preset now, and what the user can change
    (leave out the setting given, choose another judge, or leave out the preset whose reasoning another model named
    over it keeps); a user's presets file's preset alike."""
    refused = {
        _DATA + '[judge]\npreset = "o4-mini"\n[judging]\ntemperature = 0.5\n':
            "[judging] temperature: the judge preset 'o4-mini', a reasoning model, is sent no temperature: it samples "
            "at its own (OpenAI's reasoning models refuse any other than 1): leave out [judging] temperature, or "
            "choose another judge",
        _DATA + '[judge]\npreset = "gpt-5-mini"\n[judging]\ntemplate = "logprob"\n':
            "[judging] template: logprob reads the verdict from the probabilities of the judge's first token, which "
            "the judge preset 'gpt-5-mini', a reasoning model, spends reasoning (or hides): use a template that reads "
            'its text ([judging] template = "pairwise-5"), or choose another judge',
        _DATA + '[judge]\npreset = "o4-mini"\nmodel = "gpt-4.1"\n[judging]\ntemperature = 0.5\n':
            "[judging] temperature: a reasoning judge (reasoning = true from the judge preset 'o4-mini', kept for the "
            "model named) is sent no temperature: it samples at its own (OpenAI's reasoning models refuse any other "
            "than 1): leave out [judging] temperature, or leave out [judge] preset for a judge that takes one",
        _DATA + '[judge]\npreset = "o4-mini"\nengine = "vllm"\n':
            "[judge] engine: vllm runs the judge in-process, with no request to shape, and the judge preset "
            "'o4-mini' is a reasoning model, asked through a judge server (engine openai): leave out [judge] engine, "
            "or choose another judge",
        _DATA + '[judge]\npreset = "mine"\nengine = "vllm"\njudges_file = "judges.toml"\n':
            "[judge] engine: vllm runs the judge in-process, with no request to shape, and the judge preset 'mine' "
            "is a model whose requests carry extra fields, asked through a judge server (engine openai): leave out "
            "[judge] engine, or choose another judge",
        _DATA + '[judge]\nembedded = true\nreasoning = true\n':
            "[judge] reasoning: applies to a judge server (engine openai), whose requests it shapes; this judge runs "
            "in-process on vLLM (SmolLM2-135M-Instruct): leave it out",
    }
    write(tmp_path, '[mine]\nengine = "openai"\nmodel = "qwen3"\nextra_body = { top_k = 20 }\n', "judges.toml")
    each_refused(tmp_path, refused)


def test_reasoning_or_extra_fields_alone_ask_for_a_judge(tmp_path):
    """`[judge] reasoning = true` without a judge model landed on the embedded default, refused as "this judge runs
    in-process on vLLM (SmolLM2-135M-Instruct): leave it out, or set [judge] engine", advice that led only to
    "needs a judge model". Like `embedded = false` alone, it asks for a judge now, named where it was set."""
    name_one = ('set [judge] model = "M" (and [judge] base_url = "URL" for a server other than OpenAI\'s), or '
                '[judge] preset = "PRESET"')
    for setting, judge in (("reasoning = true", "a reasoning model"),
                           ('extra_body = { reasoning_effort = "low" }', "a model whose requests carry extra fields")):
        path = write(tmp_path, _DATA + f"[judge]\n{setting}\n")
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        name = setting.split(" ")[0]
        assert str(caught.value) == (f"{path}: [judge] {name}: asks for {judge} behind a judge server (engine "
                                     f"openai), and no judge is named: {name_one}")
    assert resolve_judge({"reasoning": True, "model": "o3"}).engine == "openai"
    assert resolve_judge({"reasoning": False}).embedded  # turned off: the default judge stays


def test_judges_checks_the_request_settings_of_a_presets_file(tmp_path):
    """`judgebench judges` lists the reasoning presets and checks a user's presets file's extra_body as a run would."""
    from tests.support.cli_runs import judgebench

    listed = judgebench("judges", cwd=tmp_path, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"o4-mini\s.*openai\s.*o4-mini\s.*reasoning model", listed.stdout)
    assert re.search(r"gpt-5-mini\s.*openai\s.*gpt-5-mini\s.*reasoning model", listed.stdout)
    write(tmp_path, '[mine]\nengine = "openai"\nmodel = "qwen3"\nextra_body = { n = 2 }\n', "judges.toml")
    refused = judgebench("judges", "--judges-file", "judges.toml", cwd=tmp_path, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr == ("error: judges.toml: [mine] extra_body: 'n' asks for several answers to each game, "
                              "where judgebench reads one answer, sent whole (it sends no such field): leave it "
                              "out\n")


_TOML_SHAPE = ("each table on a line of its own in brackets, then its settings as key = value, text in quotes: [data] "
               'and below it questions = "q.jsonl"')


@pytest.mark.parametrize("name, text, message", [
    # a bare word where a value goes is shown quoted (the position alone sent the user hunting)
    ("x.toml", "[data]\nquestions = q.jsonl\n",
     'not valid TOML: Invalid value (at line 2, column 13); quote text values: questions = "q.jsonl"'),
    ("x.toml", '[judge]\nbase_url = http://localhost:8000/v1  # mine\n',
     'not valid TOML: Invalid value (at line 2, column 12); quote text values: base_url = "http://localhost:8000/v1"'
     "  # mine"),
    # the whole of a value with spaces, up to a comment, or to the next item in an array or inline table
    ("x.toml", "[judge]\nmodel = my judge  # mine\n",
     'not valid TOML: Invalid value (at line 2, column 9); quote text values: model = "my judge"  # mine'),
    ("x.toml", "[judge]\nextra_body = { chat_template = my template, n = 1 }\n",
     "not valid TOML: Invalid value (at line 2, column 32); quote text values: extra_body = { chat_template = "
     '"my template", n = 1 }'),
    # a `#` inside a word is the word's, as in a shell (the hint quoted "my" and left #judge a comment); every bare
    # item of an array or inline table is quoted (the first alone was, the rest left bare for the next error)
    ("x.toml", "[judge]\nmodel = my#judge\n",
     'not valid TOML: Invalid value (at line 2, column 9); quote text values: model = "my#judge"'),
    ("x.toml", "[data]\nanswers = [a.jsonl, b.jsonl]\n",
     'not valid TOML: Invalid value (at line 2, column 12); quote text values: answers = ["a.jsonl", "b.jsonl"]'),
    ("x.toml", "[judge]\nextra_body = {k = v, n = 1, m = [w, 2]}  # mine\n",
     'not valid TOML: Invalid value (at line 2, column 19); quote text values: extra_body = {k = "v", n = 1, m = '
     '["w", 2]}  # mine'),
    ("x.toml", "[data]\nanswers = [\n  a.jsonl,\n]\n",
     'not valid TOML: Invalid value (at line 3, column 3); quote text values: "a.jsonl",'),
    # where the line quoted would still not be TOML (a string left open), how text is written, not a wrong line
    ("x.toml", '[data]\nanswers = [a.jsonl, "b.jsonl]\n',
     'not valid TOML: Invalid value (at line 2, column 12); quote text values: key = "text"'),
    # JSON or YAML, told by the suffix or by the text: the file must be TOML, which looks like this
    ("x.json", '{"data": {"questions": "q.jsonl"}}\n',
     f"not valid TOML: Invalid statement (at line 1, column 1); a config file is TOML, not JSON: {_TOML_SHAPE}"),
    ("x.toml", '{\n  "data": {"questions": "q.jsonl"}\n}\n',
     f"not valid TOML: Invalid statement (at line 1, column 1); a config file is TOML, not JSON: {_TOML_SHAPE}"),
    ("x.yaml", "data:\n  questions: q.jsonl\n",
     "not valid TOML: Expected '=' after a key in a key/value pair (at line 1, column 5); a config file is TOML, not "
     f"YAML: {_TOML_SHAPE}"),
    ("x.toml", "# my run\ndata:\n  questions: q.jsonl\n",
     "not valid TOML: Expected '=' after a key in a key/value pair (at line 2, column 5); a config file is TOML, not "
     f"YAML: {_TOML_SHAPE}"),
    # a template's name misspelt gets the closest, as other names do
    ("x.toml", _DATA + '[judging]\ntemplate = "pairwise5"\n',
     "[judging] template: unknown template 'pairwise5'; did you mean 'pairwise-5'?; built-in templates are logprob, "
     "pairwise-3, pairwise-5, pairwise-5-reference, or give the path of a .toml template file"),
])
def test_a_config_file_mistyped_is_told_what_to_write(tmp_path, name, text, message):
    from tests.support.cli_runs import judgebench

    write(tmp_path, text, name)
    done = judgebench("run", "--config", name, cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stderr) == (2, f"error: {name}: {message}\n")


def test_a_config_file_not_in_utf8_is_named_by_its_line_as_a_data_file_is(tmp_path):
    """It said "not UTF-8 text (byte 56)", leaving the user to count bytes; data files get the line too."""
    from tests.support.cli_runs import judgebench

    (tmp_path / "x.toml").write_bytes('[data]\nquestions = "q.jsonl"\n# café\n'.encode("latin-1"))
    done = judgebench("run", "--config", "x.toml", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: x.toml:3: is not UTF-8: byte 0xe9 at byte offset 34 cannot be decoded "
                                  "(re-encode the file as UTF-8"), done.stderr

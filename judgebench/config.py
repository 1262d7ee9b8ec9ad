"""The one typed settings model: what a run (`RunConfig`, its judge `JudgeConfig`) and a leaderboard
(`LeaderboardSettings`) take, validated the same way from a TOML file, from flags and from Python.

Built on pydantic v2, like inspect_ai's `GenerateConfig`: each setting is one annotated field with its
choices (`Literal`), its range (`Field(ge=..., le=...)`) and a docstring, which is also its --help text.
Values are strict: a TOML string never silently becomes a number or a boolean, 10.5 never becomes 10.
Every problem ends in one `ConfigError` that names where the value came from (file and table, or flag),
the setting and what was wrong; pydantic's own multi-line report never reaches the user.

A run's file groups its settings in the tables [data], [judge], [judging], [run] and [ratings]. Each table
is a model below and `RunConfig` inherits them all, so `config.rounds` and `config.judge.concurrency` read
as the file is written. Adding a setting is adding one annotated field (and its docstring) to the model of
its table. Relative paths in a file are relative to the file's own folder; a path setting that begins with `~`
is in the home folder, wherever it is given, and environment variables are never expanded (`PathSetting`).
Every value of a file is checked, also one that a flag replaces (`each_value_problems`).

    config = RunConfig(questions="q.jsonl", answers=["a.jsonl"], baseline="base", rounds=200)
    config = RunConfig.from_toml("run.toml", {"rounds": 200})     # or load_config(path, overrides)
"""

from __future__ import annotations

import copy
import difflib
import functools
import inspect
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, TypeVar, cast, get_args, overload

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from judgebench.errors import ConfigError, InputError

if TYPE_CHECKING:
    from judgebench.prompts import Template

_PRESETS_FILE = Path(__file__).with_name("judges.toml")

_VARIABLE = re.compile(r"\$(\{[^}]*\}?|[A-Za-z_]\w*)")
"""`$NAME` or `${...}` in a path: an environment variable, which paths do not expand (`user_path`)."""


def home_expanded(path: str | Path) -> Path:
    """`path` with a leading `~` or `~user` as the home folder it names, as a shell expands it in a word of its own
    (not in `--store=~/x`, nor in a file); unchanged where that home is unknown."""
    return Path(os.path.expanduser(path))


@overload
def user_path(path: str) -> str: ...
@overload
def user_path(path: Path) -> Path: ...


def user_path(path: str | Path) -> str | Path:
    """A path the user gave (a setting, a flag, an argument of the Python API) with `~` expanded: taken
    literally, `store = "~/s.sqlite"` or `--summary=~/s.md` made a folder named `~` (one `rm -rf ~` away from the
    home folder). Environment variables are not expanded, and a path naming one is a ConfigError rather than
    taken literally (a folder named `$HOME`): a path in a file is written out, one on the command line is the
    shell's to expand. A `str` stays a `str`, its trailing slash kept (it names a directory: `report --out`)."""
    text = os.fspath(path)
    variable = _VARIABLE.search(text)
    if variable:
        raise ConfigError(f"environment variables are not expanded in paths ({variable.group()} in {_shown(path)}): "
                          "write the folder out, or begin with ~ for your home folder")
    expanded = os.path.expanduser(text)
    if expanded.startswith("~"):
        raise ConfigError(f"no home folder found for {Path(expanded).parts[0]} in {_shown(path)}: write the folder "
                          "out")
    return expanded if isinstance(path, str) else Path(expanded)


def user_paths(value: Any) -> Any:
    """`value` with `user_path` applied to the path it is (a `str` or `Path`) or holds (a list or tuple of them);
    anything else (None, a DataFrame, rows) unchanged."""
    if isinstance(value, str | Path):
        return user_path(value)
    if isinstance(value, list | tuple) and value and all(isinstance(item, str | Path) for item in value):
        return type(value)(user_path(item) for item in value)
    return value


Function = TypeVar("Function", bound=Callable[..., Any])


def expands_paths(*names: str) -> Callable[[Function], Function]:
    """Make a public function of the Python API take its path arguments `names` (or keyword options of those
    names in its `**options`) as the settings take theirs (`user_paths`), at its entry: `rate("~/s.sqlite")`
    read a folder named `~`. A refused path is a ConfigError naming the argument."""
    def decorate(function: Function) -> Function:
        signature = inspect.signature(function)
        keywords = next((parameter.name for parameter in signature.parameters.values()
                         if parameter.kind is inspect.Parameter.VAR_KEYWORD), None)  # `**options`

        @functools.wraps(function)
        def expanded(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:  # the function's own message for a wrong call
                return function(*args, **kwargs)
            options: dict[str, Any] = bound.arguments.get(keywords, {}) if keywords else {}
            for arguments in (bound.arguments, options):
                for name in arguments.keys() & set(names):
                    try:
                        arguments[name] = user_paths(arguments[name])
                    except ConfigError as error:
                        raise ConfigError(f"{name}: {error}") from None
            return function(*bound.args, **bound.kwargs)

        return cast(Function, expanded)

    return decorate


def _user_path(path: Path) -> Path:
    """A path setting's value: `user_path`'s, its refusal a problem of the setting."""
    try:
        return user_path(path)
    except ConfigError as error:
        raise PydanticCustomError("path", "{detail}", {"detail": str(error)}) from None


PathSetting = Annotated[Path, Field(strict=False), AfterValidator(_user_path)]
"""A path: a string in a file or on the command line, a `str` or `Path` from Python; `~` is the home folder."""

Method = Literal["bt", "elo", "winrate"]
Interval = Literal["bootstrap", "sandwich"]
Resample = Literal["questions", "judgments"]
Swap = Literal["both", "consistent", "random-one"]
Ties = Literal["half", "davidson"]
# The pairings that judge every model against the baseline on every question, which its win rates need: with the
# others (a sample, an adaptive plan, a tournament) the baseline only anchors the ratings.
BASELINE_PAIRS = ("baseline", "all")
FailOn = Literal["overall", "any-category"]  # `check`'s
Undecided = Literal["pass", "fail"]  # `check`'s

Location = tuple[str | int, ...]
"""Where a setting sits in the settings, as pydantic reports it: ("rounds",), ("judge", "concurrency")."""


_VALIDATING: ContextVar[bool] = ContextVar("judgebench_validating_settings", default=False)
_GIVEN: ContextVar[_Sources | None] = ContextVar("judgebench_settings_given", default=None)


@contextmanager
def validating(model: type[BaseModel], label: Callable[[Location], str] | None = None,
               sources: _Sources | None = None) -> Iterator[None]:
    """Validate settings inside: a ValidationError becomes one ConfigError, `label` naming each setting; `sources`
    say where each setting came from, for the text of a check's message (`given_name`, `preset_gave`)."""
    token, given_token = _VALIDATING.set(True), _GIVEN.set(sources)
    try:
        yield
    except ValidationError as error:
        raise settings_error(error, model, label) from None
    finally:
        _GIVEN.reset(given_token)
        _VALIDATING.reset(token)


@contextmanager
def named_as_given(settings: RunConfig) -> Iterator[None]:
    """Inside, `given_name` names the settings of `settings` as they were given (`RunConfig.from_toml` keeps where
    each came from), as it does while they are validated: for the notes of work done with them (a file's
    `[data] first_n`, which the running command's flag did not set)."""
    token = _GIVEN.set(settings._sources)
    try:
        yield
    finally:
        _GIVEN.reset(token)


def given_name(name: str, value: object = None) -> str:
    """Setting `name` ("judge.model"), which was given, as a check of settings together names it in its message:
    as its source gave it while settings from a file, flags, a presets file or Python are validated (`[judge]
    model` from the file, `--judge-model` from the command line: `_Sources.given_as`) or are in use
    (`named_as_given`), else as `setting_name` names it (the running command's flag, which a setting read from the
    file did not come from). With `value`, the setting's value follows in parentheses, with the judge preset that
    gave it: `[judge] concurrency (32, from judge preset 'gpt-4o-mini')`."""
    sources = _GIVEN.get()
    if sources is None:
        return setting_name(name) if value is None else f"{setting_name(name)} ({value})"
    return sources.given_as(tuple(name.split(".")), value)


def preset_gave(name: str) -> str | None:
    """The judge preset that judge setting `name` ("judge.reasoning") came from, where the settings being
    validated did not give it themselves; None where they did, or where their sources are unknown (Python). A
    message about such a setting names the preset, since leaving the setting out changes nothing."""
    sources = _GIVEN.get()
    return None if sources is None else sources.preset_of(tuple(name.split(".")))


def each_value_problems(model: type[BaseModel], values: Mapping[str, Any], label: Callable[[Location], str],
                        within: Location = ()) -> list[tuple[str, str]]:
    """The problems of `values` (setting: value), each checked on its own as `model` checks that setting: its type,
    range, choices and own check (a template that loads, a server's URL); `label` names each as `settings_error`,
    at its place in the settings (`within` the judge's: `("judge",)`).

    For values given but not in effect (a file's setting that a flag replaces, the presets `judgebench judges`
    lists): a bad one is still reported, named where it is written, before the run without that flag meets it.
    The checks of settings together (pairs adaptive needs a budget) are left out: only the settings in effect
    can meet them, and a file may leave a setting to the flags.
    """
    errors: list[ErrorDetails] = []
    blank = model.model_construct() if values else None  # a run's reads the presets (its default judge's)
    for name, value in values.items():
        try:  # the setting assigned to a blank model: pydantic's checks of that field, then the model's (left out)
            model.__pydantic_validator__.validate_assignment(blank, name, value)
        except ValidationError as error:
            errors += [problem for problem in error.errors() if problem["type"] != "setting"]
    return _problems(errors, model, lambda location: label((*within, *location)))


class SettingsModel(BaseModel):
    """Base of every settings model: strict types, no unknown keys, finite numbers, docstrings as help.

    Constructing or changing one from Python raises `ConfigError` (one message per problem), as a file or
    flags do.
    """

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, validate_assignment=True,
                              use_attribute_docstrings=True)

    def __init__(self, /, **data: Any) -> None:
        if _VALIDATING.get():  # a nested model: its problems join the outer model's, with their locations
            super().__init__(**data)
            return
        with validating(type(self), sources=type(self)._given_in_python(data)):
            super().__init__(**data)

    @classmethod
    def _given_in_python(cls, data: Mapping[str, Any]) -> _Sources | None:
        """Where the settings given to the model in Python (`data`) came from, for the messages of its checks
        (`given_name`, `preset_gave`); None: each was given as it is named."""
        return None

    def __setattr__(self, name: str, value: Any) -> None:
        """Change a setting, checked as a new one is; a change refused leaves the settings as they were
        (pydantic assigns the value before the checks of settings together run, and kept it when they failed);
        its messages name where the other settings came from, as `with_changes`'s do."""
        values, given = dict(self.__dict__), set(self.__pydantic_fields_set__)
        changed = self._sources_with({name: value}) if name in type(self).model_fields else None
        with validating(type(self), sources=changed):
            try:
                super().__setattr__(name, value)
            except ValidationError:
                self.__dict__.clear()
                self.__dict__.update(values)
                object.__setattr__(self, "__pydantic_fields_set__", given)
                raise

    @model_validator(mode="before")
    @classmethod
    def _tuples_as_lists(cls, data: Any) -> Any:
        """A tuple where a list is expected (`answers=("a.jsonl", "b.jsonl")`), read as that list: strict types
        refused it ("expected a list, got [...]"), though nothing tells the two apart here."""
        if not isinstance(data, Mapping):
            return data
        return {name: list(value) if isinstance(value, tuple) else value for name, value in data.items()}

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with `update`, checked as `with_changes` checks it (pydantic's copy sets the values unchecked,
        so `model_copy(update={"rounds": -5})` made settings that no file or flag can)."""
        return self.with_changes(**update) if update else super().model_copy(deep=deep)

    def with_changes(self, **changes: Any) -> Self:
        """A copy with some settings changed, checked together as new settings are (for the Python API and the
        commands that adapt a run's settings): settings that only make sense together (pairs = "adaptive"
        and a budget) can change at once. Settings not given explicitly stay unset in the copy."""
        given = {name: getattr(self, name) for name in self.model_fields_set if name not in changes}
        with validating(type(self), sources=self._sources_with(changes)):
            return type(self).model_validate(copy.deepcopy({**given, **changes}))

    def _sources_with(self, changes: Mapping[str, Any]) -> _Sources | None:
        """Where the settings of a copy with `changes` came from, for the messages of its checks (`with_changes`), as
        `_given_in_python` says for new ones; None: each was given as it is named."""
        return None

    @classmethod
    def help(cls, name: str, more: str = "") -> str:
        """The setting's docstring (then `more`) and default, as --help shows it: one text for file and flags."""
        info = cls.model_fields[name]
        text = " ".join(filter(None, (info.description, more)))
        default = None if info.is_required() or info.default_factory is not None else info.default
        if default is not None and default is not False and default != "":
            text += f" [default: {default if isinstance(default, str | Path) else _shown(default)}]"
        return text


# -- the tables of a run ----------------------------------------------------------------------------------


ENGINE_SETTINGS = {
    "openai": ("base_url", "api_key_env", "api_key", "concurrency", "timeout_s", "max_attempts", "max_retry_wait_s",
               "on_rate_limit", "adaptive_concurrency", "min_concurrency"),
    "vllm": ("dtype", "max_model_len", "kv_cache_gib", "gpu_memory_utilization", "tensor_parallel_size",
             "data_parallel_size", "enforce_eager", "chunk_size"),
}
"""The judge settings that one engine reads and the other does not (`runner.build_engine`,
`engines.vllm_local.engine_from_config`); the others (model, prices, ...) apply to both."""

REQUEST_FIELDS: dict[str, tuple[str, str]] = {
    "model": ("judge.model", ""), "messages": ("template", "the template renders them"),
    "max_tokens": ("max_tokens", ""), "max_completion_tokens": ("max_tokens", ""),
    "temperature": ("temperature", ""), "logprobs": ("template", "a logprob template asks for them"),
    "top_logprobs": ("template", "a logprob template asks for them"),
}
"""The fields of a request that judgebench sends itself, refused in [judge] extra_body: the setting that sets each,
and how."""

READ_AS_DEFAULT = {"n": "several answers to each game", "stream": "the reply streamed in pieces"}
"""The fields of a request that judgebench leaves at the server's default, refused in [judge] extra_body: what each
asks for, which breaks the reading of a reply (judgebench reads one answer, sent whole)."""

SERVER_SETTINGS = ("base_url", "api_key_env", "api_key")
"""The judge settings that say where a judge server is and how to reach it: given without a preset, a judge model
or an engine, they ask for a server's judge (which then needs its model), not the embedded default."""

REQUEST_SETTINGS = {"reasoning": "a reasoning model", "extra_body": "a model whose requests carry extra fields"}
"""The judge settings that shape a judge server's requests, and the judge each describes: turned on without a
preset, a judge model or an engine, they ask for a server's judge too (the embedded default refused them)."""


PRICES = {"price_in_per_mtok": "prompt", "price_out_per_mtok": "completion"}
"""A judge's prices per million tokens, by the tokens each prices."""


def one_price_alone(prices: Mapping[str, Any]) -> tuple[str, str] | None:
    """The price of `prices` (a judge's settings, or a preset's) given without the other, and why it is refused
    (`JudgeConfig._both_prices_or_none`); None when both or neither are given."""
    given = [name for name in PRICES if prices.get(name) is not None]
    if len(given) != 1:
        return None
    missing = next(name for name in PRICES if name not in given)
    return given[0], (f"given without {missing}, so the cost would count {PRICES[missing]} tokens as free (and a "
                      f"dollar budget would overspend): set {missing} beside it, 0 if they are free")


class JudgeConfig(SettingsModel):
    """[judge]: which judge answers and how its engine is set up (a preset, and/or explicit settings)."""

    _from_preset: frozenset[str] = PrivateAttr(default=frozenset())
    """The settings the judge's preset gave (`_remember_the_preset`)."""
    _presets_file: Path | None = PrivateAttr(default=None)
    """The user's presets file that defines the preset; None for a built-in one."""

    preset: str | None = None
    """A judge preset (`judgebench judges` lists them; without a preset or a model: embedded, the tiny bundled CPU
    judge); explicit settings override the preset's. As a flag (--judge) naming another preset than the file's, it
    replaces the file's whole [judge] table."""
    engine: Literal["openai", "vllm"] = "openai"
    """Judge engine: openai (any OpenAI-compatible API) or vllm (in-process)."""
    model: str | None = Field(default=None, min_length=1)
    """Judge model name (a path or hub name for the vllm engine)."""
    description: str = ""
    """What this judge is, as `judgebench judges` shows it."""
    base_url: str | None = None
    """Base URL of an OpenAI-compatible server (default: OpenAI's)."""
    api_key_env: str = Field(default="OPENAI_API_KEY", min_length=1)
    """Name of the environment variable holding the API key (never the key itself)."""
    api_key: str | None = None
    """The API key itself; prefer api_key_env: a key in a file is easy to leak."""
    concurrency: int = Field(default=16, ge=1)
    """Requests in flight at once (OpenAI engine)."""
    timeout_s: float = Field(default=120.0, gt=0)
    """Per-request timeout in seconds."""
    max_attempts: int = Field(default=6, ge=1)
    """Attempts per game before it is stored as failed."""
    max_retry_wait_s: float = Field(default=60.0, gt=0)
    """Longest wait before a retry, whatever a server's Retry-After asks (the wait is shown); max_attempts times
    this is how long a game may wait on rate limits, and a judge server that went down mid-run is waited for."""
    on_rate_limit: Literal["wait", "stop"] = "wait"
    """What a rate limit (HTTP 429) does: wait and retry, or stop the run with a message."""
    adaptive_concurrency: bool = True
    """Halve the requests in flight when most of them time out (an overloaded server), then grow back."""
    min_concurrency: int = Field(default=1, ge=1)
    """The fewest requests in flight adaptive concurrency goes down to."""
    price_in_per_mtok: float | None = Field(default=None, ge=0)
    """USD per million prompt tokens, to show the cost."""
    price_out_per_mtok: float | None = Field(default=None, ge=0)
    """USD per million completion tokens, to show the cost."""
    reasoning: bool = False
    """A reasoning judge (OpenAI's o-series and gpt-5, thinking models; OpenAI engine): its requests carry the token
    limit as max_completion_tokens, 16000 unless [judging] max_tokens sets one, and no temperature."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Fields added to every request (OpenAI engine), and so to each game's key: reasoning_effort = "low",
    chat_template_kwargs = { enable_thinking = false }, seed, top_p."""
    embedded: bool = False
    """Use the bundled tiny CPU judge (SmolLM2-135M-Instruct on vLLM's CPU build)."""
    dtype: str = "auto"
    """vLLM: weight and activation dtype."""
    max_model_len: int | None = Field(default=None, ge=1)
    """vLLM: context length in tokens (default: the model's)."""
    kv_cache_gib: float | None = Field(default=None, gt=0)
    """vLLM: KV cache size in GiB (default: sized from the model and the context for the embedded judge,
    vLLM's own choice otherwise)."""
    gpu_memory_utilization: float | None = Field(default=None, gt=0, le=1)
    """vLLM: share of GPU (or, on CPU, node) memory the engine may use."""
    tensor_parallel_size: int = Field(default=1, ge=1)
    """vLLM: GPUs per model replica."""
    data_parallel_size: int = Field(default=1, ge=1)
    """vLLM: model replicas."""
    enforce_eager: bool | None = None
    """vLLM: disable CUDA graphs (default: vLLM's choice)."""
    chunk_size: int = Field(default=256, ge=1)
    """vLLM: games handed to the engine at once."""

    @field_validator("base_url")
    @classmethod
    def _usable_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from judgebench.engines.openai_api import check_base_url

        try:
            return check_base_url(value)
        except ConfigError as error:
            raise PydanticCustomError("base_url", "{detail}", {"detail": str(error)}) from None

    @field_validator("extra_body")
    @classmethod
    def _extra_fields_are_the_users(cls, value: dict[str, Any]) -> dict[str, Any]:
        """Fields judgebench sets itself are refused, naming the setting that sets them (an extra `max_tokens` would
        replace the template's limit unseen, a `stream` would break the reply's reading); values are JSON."""
        for name in value:
            if name in REQUEST_FIELDS:
                setting, how = REQUEST_FIELDS[name]
                raise PydanticCustomError("extra_body", "{detail}", {"detail": (
                    f"'{name}' is sent by judgebench itself{f' ({how})' if how else ''}: use "
                    f"{setting_name(setting)} instead")})
            if name in READ_AS_DEFAULT:
                raise PydanticCustomError("extra_body", "{detail}", {"detail": (
                    f"'{name}' asks for {READ_AS_DEFAULT[name]}, where judgebench reads one answer, sent whole "
                    "(it sends no such field): leave it out")})
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise PydanticCustomError("extra_body", "{detail}", {"detail": (
                f"every value must be JSON (text, a number, true or false, a list or a table): {error}")}) from None
        return value

    @field_validator("api_key_env", mode="before")
    @classmethod
    def _a_variable_name(cls, value: Any) -> str:
        from judgebench.engines.openai_api import NOT_A_VARIABLE, is_key_variable

        # the message never repeats the value, of any type: it may be the key itself
        if not isinstance(value, str) or not is_key_variable(value):
            raise PydanticCustomError("api_key_env", "{detail}", {"detail": NOT_A_VARIABLE})
        return value

    @model_validator(mode="after")
    def _engine_has_a_model(self) -> Self:
        if self.embedded and self.engine == "openai":  # the server judged, under the embedded judge's disclaimer
            given = [given_name(f"judge.{name}") for name in ("engine", "model", *SERVER_SETTINGS)
                     if name in self.model_fields_set]
            chosen = f"{given_name('judge.preset')} '{self.preset}'" if self.preset else given_name("judge.embedded")
            local = f"leave out {' and '.join(given)}" if given else f"set {how_to_set('judge.engine', 'vllm')}"
            raise _setting_problem(("embedded",), "true asks for the bundled SmolLM2-135M judge, run in-process on "
                                   "vLLM's CPU build, but these settings ask for a judge server (engine openai"
                                   f"{f', model {self.model!r}' if self.model else ''}): leave out {chosen} to "
                                   f"judge with the server, or {local} for the embedded judge")
        if self.engine == "openai" and not self.model:
            name_one = (f"set {how_to_set('judge.model', 'M')} (and {how_to_set('judge.base_url', 'URL')} for a "
                        f"server other than OpenAI's), or {how_to_set('judge.preset', 'PRESET')}")
            if not {"engine", *SERVER_SETTINGS} & self.model_fields_set:
                if "embedded" in self.model_fields_set:
                    raise _setting_problem(("embedded",), "false turns the bundled judge off, and no other judge is "
                                           f"named: {name_one}")
                for name, judge in REQUEST_SETTINGS.items():
                    if getattr(self, name):
                        raise _setting_problem((name,), f"asks for {judge} behind a judge server (engine openai), "
                                               f"and no judge is named: {name_one}")
            raise _setting_problem(("model",), f"the OpenAI-compatible engine needs a judge model: {name_one}")
        if self.engine == "vllm" and not (self.model or self.embedded):
            raise _setting_problem(("model",), "the vLLM engine needs a model path or name: set "
                                   f"{how_to_set('judge.model', 'PATH')}")
        return self

    @model_validator(mode="after")
    def _request_settings_need_a_server(self) -> Self:
        """`reasoning` and `extra_body` shape the HTTP request, which the vLLM engine does not send: refused rather
        than ignored, since they change what a game measures (and its key)."""
        if self.engine != "vllm":
            return self
        for name, judge in REQUEST_SETTINGS.items():
            if not getattr(self, name):
                continue
            preset = preset_gave(f"judge.{name}")
            if preset and not preset_gave("judge.engine"):  # the engine given is what stands in the preset's way
                raise _setting_problem(("engine",), f"vllm runs the judge in-process, with no request to shape, and "
                                       f"the judge preset '{preset}' is {judge}, asked through a judge server "
                                       f"(engine openai): leave out {given_name('judge.engine')}, or choose another "
                                       "judge")
            server = "" if self.embedded else f", or set {how_to_set('judge.engine', 'openai')}"
            raise _setting_problem((name,), "applies to a judge server (engine openai), whose requests it shapes; "
                                   f"this judge runs in-process on vLLM ({self.name}): leave it out{server}")
        return self

    @model_validator(mode="after")
    def _min_concurrency_fits(self) -> Self:
        """min_concurrency above concurrency, which the engine refused as it started: concurrency named as it was
        given (a file's `[judge] concurrency` was named `--concurrency`), else as the command sets it."""
        if self.engine == "openai" and self.min_concurrency > self.concurrency:
            concurrency = (given_name("judge.concurrency", self.concurrency) if "concurrency" in self.model_fields_set
                           else f"{setting_name('judge.concurrency')} ({self.concurrency})")
            raise _setting_problem(("min_concurrency",), f"must be at most {concurrency}, got {self.min_concurrency}")
        return self

    @model_validator(mode="after")
    def _both_prices_or_none(self) -> Self:
        """One price without the other would count the other's tokens as free: the cost shown would be too low, and
        a dollar budget would overspend. Refused before any judge call, naming the price to set beside the one
        given, where the message's place names it (a file's [judge], a presets file's [preset] table, Python's
        judge settings: `[judge]` named a preset's price as a run file's)."""
        alone = one_price_alone({name: getattr(self, name) for name in PRICES})
        if alone is not None:
            raise _setting_problem((alone[0],), alone[1])
        return self

    def ignored_settings(self) -> list[str]:
        """The settings given (in a file, a preset, flags or from Python) that this judge's engine does not read:
        the other engine's (`ENGINE_SETTINGS`), such as gpu_memory_utilization for a judge behind a server."""
        return [name for engine, names in ENGINE_SETTINGS.items() if engine != self.engine
                for name in names if name in self.model_fields_set]

    def ignored_because(self) -> str:
        """Why the other engine's settings do nothing for this judge: what they apply to, and what it is."""
        if self.engine == "openai":
            from judgebench.engines.openai_api import DEFAULT_BASE_URL

            return ("they apply to the in-process vLLM engine; this judge is the server at "
                    f"{self.base_url or DEFAULT_BASE_URL}")
        return f"they apply to a judge server (engine openai); this judge runs in-process on vLLM ({self.name})"

    @property
    def priced(self) -> bool:
        """Whether the judge's prices are known (both or neither: `_both_prices_or_none`), so that cost can be
        shown."""
        return self.price_in_per_mtok is not None and self.price_out_per_mtok is not None

    @property
    def name(self) -> str:
        """How this judge is named in stores and outputs: the judge model."""
        if self.embedded:
            from judgebench.engines.embedded import EMBEDDED_MODEL_NAME

            return self.model or EMBEDDED_MODEL_NAME
        return self.model or "?"

    @model_validator(mode="after")
    def _remember_the_preset(self) -> Self:
        """Which settings the judge's preset gave (none given explicitly: `preset_gave`, while the settings holding
        the judge are checked) and the presets file defining it, so that a change made later from Python
        (`with_changes`) names the preset as the checks of the settings it came from did (`_sources_with`)."""
        sources = _GIVEN.get()
        self._from_preset = frozenset(name for name in self.model_fields_set if preset_gave(f"judge.{name}"))
        self._presets_file = None if sources is None else sources.presets_file
        return self

    def _sources_with(self, changes: Mapping[str, Any]) -> _Sources | None:
        """The judge's preset, as giving the settings it gave that `changes` leave as they are (a change of `preset`
        alone keeps the other preset's settings: nothing is then named as given by a preset)."""
        if not self._from_preset or "preset" in changes:
            return None
        sources = _Sources(None, {}, self.preset, self._presets_file)
        sources.explicit_judge = set(type(self).model_fields) - (self._from_preset - set(changes))
        return sources

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """Pydantic's repr, with the API key hidden: a notebook that showed the settings kept the key in its saved
        output (a key is never written to logs, outputs or the store)."""
        for name, value in super().__repr_args__():
            yield name, ("(hidden)" if name == "api_key" and value is not None else value)


class DataSettings(SettingsModel):
    """[data]: the questions and answers to judge. A run and a check need both (`evaluate` and `gate` say so
    before any judge call); judging a gold set needs neither (its file holds the questions and both answers), so
    a file of judge settings alone is settings too."""

    questions: PathSetting | None = Field(default=None)
    """Questions file (JSONL, JSON, CSV, TSV or Parquet)."""
    answers: list[PathSetting] | None = Field(default=None, min_length=1)
    """Answer files or directories."""
    format: str | None = None
    """Input format: generic, arena-hard, alpaca-eval or mt-bench (default: detected)."""
    references: PathSetting | None = None
    """Reference answers for reference-guided templates: FastChat's reference rows, or rows in the answers' format."""
    models: list[str] | None = None
    """Judge only these models (default: all)."""
    allow_missing: bool = False
    """Skip (and count) questions a model did not answer instead of failing."""
    first_n: int | None = Field(default=None, ge=1)
    """Judge only the first N questions of the questions file, a trial before paying for all (default: all);
    the answers to the others are read and checked, not judged."""

    @field_validator("answers", mode="before")
    @classmethod
    def _one_path_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str | Path) else value

    @field_validator("models")
    @classmethod
    def _each_model_once(cls, value: list[str] | None) -> list[str] | None:
        """A model named twice is refused, as an answers file named twice is: judged once all the same, the
        second name would be a slip (another model meant) that the run hid by reading it as the first."""
        twice = sorted({model for model in value if value.count(model) > 1}) if value is not None else []
        if twice:
            names = ", ".join(f"'{model}'" for model in twice)
            raise PydanticCustomError("models", "{names} named twice: name each model once",
                                      {"names": names})
        return value

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str | None) -> str | None:
        from judgebench.datasets import FORMATS

        if value is not None and value.strip().lower().replace("_", "-") not in FORMATS:
            raise _choice_problem(value, FORMATS)
        return value


class JudgeTable(SettingsModel):
    """[judge]: the judge (its settings are `JudgeConfig`'s) and where your own presets are."""

    judge: JudgeConfig = Field(default_factory=lambda: resolve_judge({}))
    """The judge (default: the embedded CPU judge, so a fresh machine needs no server and no key)."""
    judges_file: PathSetting | None = None
    """Your own judge presets (TOML), added to the built-in ones (also: JUDGEBENCH_JUDGES)."""
    judge_family: str | None = Field(default=None, min_length=1)
    """The judge's model family (e.g. "qwen"): contestants whose name contains it, and the judge model itself,
    count as the judge's own models, whose scores the diagnostics report as self-preference."""


PLAN_SETTINGS = ("budget_calls", "budget_usd", "stop", "round_games", "retry_refused")
"""The settings of a plan chosen as it goes (pairs adaptive or tournament), refused with other pairs."""

PAIRING_SETTINGS = ("opponents", *PLAN_SETTINGS)
"""The settings of one pairing mode (opponents: pairs sample; `PLAN_SETTINGS`), refused with the others:
commands that choose their own pairs (`check`, `diagnose --gold`) clear them."""

_PAIRS_CHOSEN = {"baseline": "judges each model against the baseline", "all": "judges every pair",
                 "adaptive": "chooses the pairs as it goes", "tournament": "chooses the pairs as it goes"}
"""How each pairing mode other than sample chooses the opponents, for the message refusing `opponents`."""


class JudgingSettings(SettingsModel):
    """[judging]: which games are played and how the judge is asked."""

    template: str = "pairwise-5"
    """Template name (pairwise-5, pairwise-3, logprob, pairwise-5-reference) or a template file."""
    pairs: Literal["baseline", "all", "sample", "adaptive", "tournament"] = "baseline"
    """baseline (each model against the baseline), all (every pair), sample (k opponents per question),
    adaptive (rounds of the most informative pairs) or tournament (single elimination per question)."""
    baseline: str | None = None
    """The baseline model: pairs=baseline plays against it; win rates are against it."""
    opponents: int | None = Field(default=None, ge=1)
    """pairs=sample: opponents per model and question (default: 1)."""
    swap: Swap = "both"
    """both (average both orders), consistent (disagreeing orders are a tie) or random-one (one seeded order)."""
    budget_calls: int | None = Field(default=None, ge=2)
    """pairs=adaptive/tournament: most judge calls of the plan, one a game (a game asked again, its verdict
    unparsed or its request failed, counts once); stored games count, so a rerun with a larger budget continues."""
    budget_usd: float | None = Field(default=None, gt=0)
    """pairs=adaptive/tournament: most dollars the plan's judge calls cost (needs the judge's prices)."""
    stop: str | None = None
    """pairs=adaptive/tournament: stop when the ranking is precise: separated (adjacent intervals disjoint) or width=W
    (every interval narrower than W Elo points)."""
    round_games: int | None = Field(default=None, ge=2)
    """pairs=adaptive/tournament: games judged per round, at least 2 (default: 256 with vLLM, else 32, and at
    least 2 per model; part of the plan)."""
    retry_refused: bool | None = None
    """pairs=adaptive/tournament: ask again for the plan's games the judge refused as sent in an earlier run (a
    prompt over its context length, say), which a plan otherwise goes on without: once the judge takes them."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Judge's token limit (default: the template's)."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    """Judge's sampling temperature (default: the template's)."""
    max_unparsed_attempts: int = Field(default=3, ge=1)
    """How often a game without a verdict is asked again."""
    truncate_answers: bool = False
    """Shorten answers that overflow the judge's context (vLLM engine) instead of failing those games."""

    @field_validator("stop")
    @classmethod
    def _stop_rule_reads(cls, value: str | None) -> str | None:
        from judgebench.schedule import parse_stop

        if value is None:
            return None
        try:
            return str(parse_stop(value))
        except ConfigError as error:
            raise PydanticCustomError("stop", "{detail}", {"detail": str(error)}) from None

    @model_validator(mode="after")
    def _adaptive_run_ends(self) -> Self:
        if self.pairs == "adaptive" and self.budget_calls is None and self.budget_usd is None and self.stop is None:
            raise _setting_problem(("pairs",), "adaptive needs a budget or a precision target: set "
                                   f"{setting_name('budget_calls')} (calls), {setting_name('budget_usd')} (dollars) "
                                   f"or {setting_name('stop')} (separated, or width=W)")
        if self.pairs not in ("adaptive", "tournament"):
            given = [name for name in PLAN_SETTINGS if getattr(self, name) is not None]
            if given == ["retry_refused"]:
                raise _setting_problem(("retry_refused",), f"pairs = {self.pairs} asks again for every game that "
                                       "failed, those the judge refused as sent included, so it would be ignored: "
                                       "it is for a plan chosen as it goes (pairs = adaptive or tournament), which "
                                       "goes on without them; leave it out")
            if given:
                what = {"stop": "a stopping rule", "round_games": "a round size"}.get(given[0], "a budget")
                raise _setting_problem((given[0],), f"{what} shapes a plan chosen as it goes (pairs = adaptive or "
                                       f"tournament); pairs = {self.pairs} plans every game up front, so it would "
                                       f"be ignored: use {how_to_set('pairs', 'adaptive')}, or leave it out")
        if self.opponents is not None and self.pairs != "sample":
            raise _setting_problem(("opponents",), "a number of opponents shapes a sampled plan (pairs = sample); "
                                   f"pairs = {self.pairs} {_PAIRS_CHOSEN[self.pairs]}, so it would be ignored: use "
                                   f"{how_to_set('pairs', 'sample')}, or leave it out")
        if self.round_games is not None and self.round_games % 2 and self.swap != "random-one":
            raise _setting_problem(("round_games",), f"a round of {self.round_games} games: both orders of a pair "
                                   f"are judged together (swap = {self.swap}), so a round is an even number of games: "
                                   f"set {how_to_set('round_games', str(self.round_games - 1))} or "
                                   f"{self.round_games + 1}")
        return self

    @field_validator("template")
    @classmethod
    def _template_loads(cls, value: str) -> str:
        from judgebench.prompts import load_template

        if Path(value).suffix and value.startswith("~"):  # a template file from the home folder
            value = str(home_expanded(value))
        try:
            load_template(value)
        except ConfigError as error:
            raise PydanticCustomError("template", "{detail}", {"detail": str(error)}) from None
        return value


class RunSettings(SettingsModel):
    """[run]: where judgments and results go."""

    store: PathSetting = Path("results/judgebench.sqlite")
    """SQLite store of judgments (the resumable cache)."""
    out: PathSetting = Path("results/latest")
    """Output directory for the leaderboard files and judgments.jsonl."""
    seed: int = Field(default=0, ge=0)
    """Seed for sampled opponents, random-one orders, the bootstrap and the pairs an adaptive or tournament plan
    chooses (so another seed is another plan: the store's games it chooses again are reused, the others sent)."""
    progress: bool = True
    """Show the progress bar."""
    reuse_other_servers: bool = False
    """Reuse judgments another server made for the same judge model name (normally refused: two servers
    serving one model name may be two different judges)."""


class RatingsSettings(SettingsModel):
    """[ratings], and the flags of `judgebench leaderboard`: how outcomes become ratings with intervals."""

    method: Method = "bt"
    """bt (Bradley-Terry), elo (online Elo) or winrate (against the baseline)."""
    interval: Interval = "bootstrap"
    """bootstrap or sandwich (not for elo); runs with pairs=adaptive/tournament default to sandwich."""
    resample: Resample = "questions"
    """Bootstrap/sandwich unit: questions (clusters) or judgments."""
    confidence: float = Field(default=0.95, ge=0.5, lt=1)
    """Confidence level of every interval, in [0.5, 1)."""
    rounds: int = 1000
    """Bootstrap replicates, 2 to 100,000."""
    seed: int = Field(default=0, ge=0)
    """Seed of the bootstrap."""
    baseline: str | None = None
    """Baseline model: win rates against it; rated at the anchor rating."""
    anchor: str | None = None
    """Model whose rating is fixed at anchor_rating (default: the baseline, else the mean)."""
    anchor_rating: float = 1000.0
    """Rating of the anchor model (or of the mean)."""
    scale: float = Field(default=400.0, gt=0)
    """Elo points per factor of 10 in the odds of winning."""
    k_factor: float = Field(default=4.0, gt=0)
    """K-factor of online Elo (method elo)."""
    ties: Ties = "half"
    """Tie model for bt: half (a tie is half a win) or davidson."""
    position_effect: bool = False
    """Fit the judge's first-position effect from the per-order verdicts (method bt)."""
    regularization: float | None = Field(default=None, ge=0)
    """Ridge penalty on Bradley-Terry strengths. Default: plain maximum likelihood, or a weak ridge (noted)
    when some model won or lost every comparison; 0 = always plain (an error then)."""
    style_control: bool = False
    """Bradley-Terry with arena-hard-auto v2's answer-length and markdown covariates (method bt): ratings
    adjusted for style, with the style coefficients and their intervals."""

    @field_validator("rounds")
    @classmethod
    def _rounds_fit(cls, rounds: int) -> int:
        from judgebench.ratings.intervals import check_rounds

        try:
            return check_rounds(rounds)
        except ConfigError as error:
            raise PydanticCustomError("rounds", "{detail}", {"detail": str(error)}) from None

    @model_validator(mode="after")
    def _method_supports_options(self) -> Self:
        if self.method == "elo" and self.interval == "sandwich":
            raise _setting_problem(("interval",), "online Elo has no likelihood, so no sandwich interval: "
                                   "use interval bootstrap or method bt")
        for name in ("ties", "position_effect", "regularization", "style_control"):
            if self.method != "bt" and name in self.model_fields_set and getattr(self, name) not in (
                    "half", False, None, 0):
                raise _setting_problem((name,), f"applies to method bt only (method is {self.method})")
        return self

    def unused_ratings(self, interval: str | None = None, method: str | None = None) -> list[str]:
        """Notes on rating settings given explicitly that the method or interval chosen (`interval`, `method`: where
        others than the settings' are used, as a results folder's run's or the method `rate` chooses) does not use
        (`ties` and the other Bradley-Terry-only settings are refused instead, `_method_supports_options`: they
        change what the ratings mean; these only go unused, so a note says so before any judge call, where
        `k_factor = 8` under Bradley-Terry passed without a word, and `leaderboard` says so beside its table)."""
        sandwich = (interval or self.interval) == "sandwich"
        method = method or self.method
        unused = {"k_factor": "only online Elo (method elo) uses it" if method != "elo" else None,
                  "rounds": "a sandwich interval draws no bootstrap rounds" if sandwich else None,
                  "scale": "win rates are fractions, on no rating scale" if method == "winrate" else None,
                  "anchor_rating": "win rates are fractions, on no rating scale" if method == "winrate" else None}
        return [f"{setting_name(name)}: ignored: {why}" for name, why in unused.items()
                if why is not None and name in self.model_fields_set]

    def build_options(self, given_only: bool = False) -> dict[str, Any]:
        """Keyword arguments of `judgebench.leaderboard.build` for these settings (`given_only`: only those set
        explicitly, to lay over other settings)."""
        options = {name: getattr(self, name) for name in RatingsSettings.model_fields
                   if not given_only or name in self.model_fields_set}
        if "k_factor" in options:
            options["k"] = options.pop("k_factor")
        return options


class RunConfig(DataSettings, JudgeTable, JudgingSettings, RunSettings, RatingsSettings):
    """Everything `judgebench run` takes: the tables of a run's TOML file, as one flat model.

    A judge given as a mapping (preset name and/or settings, as in [judge]) is resolved against the presets;
    without one, the embedded CPU judge is used.
    """

    _judge_origins: dict[str, tuple[str, str]] = PrivateAttr(default_factory=dict)
    """Where each judge setting the judge's engine ignores came from, as `_Sources.origin` says (`from_toml`)."""
    _sources: _Sources | None = PrivateAttr(default=None)
    """Where each setting came from (`from_toml`), to name it as given in notes on the work done (`named_as_given`);
    None for settings made in Python."""

    @classmethod
    def _given_in_python(cls, data: Mapping[str, Any]) -> _Sources | None:
        """A judge given in Python by its preset (`judge={"preset": "o4-mini"}`): the judge settings the mapping
        leaves out came from the preset, which the checks of settings together name (`preset_gave`), as they do
        for a file's or the flags' (`from_toml`); they named `[judge] reasoning = true`, which was never given."""
        judge = data.get("judge")
        if not isinstance(judge, Mapping) or not isinstance(judge.get("preset"), str):
            return None
        sources = _Sources(None, {}, judge["preset"], preset_file(judge["preset"], data.get("judges_file")))
        sources.explicit_judge = set(judge)
        return sources

    def _sources_with(self, changes: Mapping[str, Any]) -> _Sources | None:
        """The judge's preset, as the judge's own checks name it (`JudgeConfig._sources_with`); a judge changed as a
        mapping, as a new one (`_given_in_python`): `settings.with_changes(temperature=0.5)` named `[judge]
        reasoning = true` of a reasoning preset's judge, which was never given."""
        judge = changes.get("judge", self.judge)
        if isinstance(judge, JudgeConfig):
            return judge._sources_with({})
        return type(self)._given_in_python({"judge": judge,
                                            "judges_file": changes.get("judges_file", self.judges_file)})

    def with_changes(self, **changes: Any) -> Self:
        """`SettingsModel.with_changes`, keeping where the settings (and the judge's ignored ones) were given unless
        the judge changes (`notes` named them without their file after any change)."""
        made = super().with_changes(**changes)
        if "judge" not in changes:
            made._judge_origins, made._sources = dict(self._judge_origins), self._sources
        return made

    def notes(self) -> list[str]:
        """Notes on settings that do nothing, for the commands to show before any judge call: the other engine's
        judge settings (`JudgeConfig.ignored_settings`), each named where it was given, and JUDGEBENCH_JUDGES
        when judges_file names another file (the setting wins: the variable's file is not read)."""
        notes = []
        ignored = self.judge.ignored_settings()
        if ignored:
            places: dict[str, list[str]] = {}
            for name in ignored:
                where, shown = self._judge_origins.get(name, ("", setting_label(("judge", name))))
                places.setdefault(where, []).append(shown)
            given = "; ".join(f"{where}: {', '.join(names)}" if where else ", ".join(names)
                              for where, names in places.items())
            notes.append(f"{given}: ignored: {self.judge.ignored_because()}")
        unread = unread_judges_variable(self.judges_file, "[judge] judges_file")
        return notes + ([unread] if unread else [])

    def rating_interval(self) -> str:
        """The leaderboard's interval: the settings', except that a run in rounds that did not choose one gets the
        clustered sandwich: after the design-bias correction both it and the question bootstrap cover at the
        nominal rate in tests/test_schedule_simulation.py's setting (0.961 and 0.955; README, "Adaptive judging"),
        and the sandwich is what the planner measures between rounds and needs no resampling. Online Elo, which has
        no likelihood and so no sandwich, keeps its bootstrap (and is reported uncorrected:
        `evaluation._design_bias`)."""
        planned = self.pairs in ("adaptive", "tournament")
        if planned and "interval" not in self.model_fields_set and self.method != "elo":
            return "sandwich"
        return self.interval

    @model_validator(mode="before")
    @classmethod
    def _resolve_judge_preset(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("judge", {}), Mapping):
            judges_file = data.get("judges_file")
            path = home_expanded(judges_file) if isinstance(judges_file, str | Path) else None
            try:
                if path is not None:  # read even where no preset is used: a file set is never ignored
                    presets(path)
            except ConfigError as error:
                raise _setting_problem(("judges_file",), str(error)) from None
            try:
                judge = merge_preset(data.get("judge", {}), path)
            except ConfigError as error:
                raise _setting_problem(("judge", "preset"), str(error)) from None
            data = {**data, "judge": judge}
        return data

    @model_validator(mode="after")
    def _win_rates_have_baseline_games(self) -> Self:
        if self.method == "winrate" and (self.pairs not in BASELINE_PAIRS or self.baseline is None):
            raise _setting_problem(("method",), "winrate rates every model by its games against the baseline on "
                                   'every question, which only pairs = "baseline" or "all" with a baseline plans: use '
                                   "method bt or elo, or set baseline with pairs baseline or all")
        return self

    @model_validator(mode="after")
    def _reasoning_judge_is_asked_as_one(self) -> Self:
        """A reasoning judge is sent no temperature (it samples at its own: OpenAI's refuse any other than 1) and
        gives no first-token verdict distribution (its first tokens are reasoning, or hidden): a temperature or a
        logprob template with it is refused before any judge call, naming both settings."""
        if not self.judge.reasoning:
            return self
        preset = preset_gave("judge.reasoning")  # leaving out a [judge] reasoning never written changes nothing
        if preset and preset_gave("judge.model"):
            judge, other = f"the judge preset '{preset}', a reasoning model,", "choose another judge"
        elif preset:  # another model named over the preset keeps how it is asked (`MODEL_BOUND`)
            judge = f"a reasoning judge (reasoning = true from the judge preset '{preset}', kept for the model named)"
            other = f"leave out {given_name('judge.preset')} for a judge that takes one"
        else:
            judge = f"a reasoning judge ({given_name('judge.reasoning')} = true)"
            other = f"leave out {given_name('judge.reasoning')} for a judge that takes one"
        if self.temperature is not None:
            raise _setting_problem(("temperature",), f"{judge} is sent no temperature: it samples at its own "
                                   "(OpenAI's reasoning models refuse any other than 1): leave out "
                                   f"{given_name('temperature')}, or {other}")
        from judgebench.prompts import load_template

        if load_template(self.template).kind == "logprob":
            text_template = how_to_set("template", "pairwise-5")
            raise _setting_problem(("template",), f"{self.template} reads the verdict from the probabilities of the "
                                   f"judge's first token, which {judge} spends reasoning (or hides): use a template "
                                   f"that reads its text ({text_template}), or {other}")
        return self

    def sampling(self, template: Template) -> dict[str, Any]:
        """What every game of `template` sends to this run's judge besides the model and the messages
        (`Template.sampling_params` with the run's limit, temperature and judge): part of each game's key."""
        return template.sampling_params(self.max_tokens, self.temperature, reasoning=self.judge.reasoning,
                                        extra_body=self.judge.extra_body)

    @model_validator(mode="after")
    def _dollar_budget_has_prices(self) -> Self:
        if self.budget_usd is not None and not self.judge.priced:
            raise _setting_problem(("budget_usd",), "a dollar budget needs the judge's prices, else no call costs "
                                   "anything and the budget never ends the run: set price_in_per_mtok and "
                                   f"price_out_per_mtok in [judge] (or use a {setting_name('judge.preset')} with "
                                   f"prices), or use {setting_name('budget_calls')}")
        return self

    @classmethod
    def from_toml(cls, path: Path | str | None, overrides: Mapping[str, Any] | None = None,
                  judge_overrides: Mapping[str, Any] | None = None,
                  flags: Mapping[str, str] | None = None) -> RunConfig:
        """The settings of a TOML file (if any) with overrides on top (None values are ignored), validated.
        A `judge` table among `overrides` is laid over the file's [judge] as `judge_overrides` are (it replaced
        the file's judge settings by its own before, and without a word, by none).

        `flags` names the command-line flag of each override ("models": "--model", "judge.model":
        "--judge-model"), for messages; an override without a flag is named by its setting, and a flag of the
        command that is no override (check's own --confidence) names nothing: the file's setting is the file's.
        """
        file_settings = _read_run_file(Path(path)) if path is not None else {}
        written_judge = file_settings.pop("judge", {})
        file_judge = dict(written_judge)
        given = _given(overrides)
        flag_judge = _given(judge_overrides)
        if "judge" in given:  # a judge table among the overrides is laid over the file's too
            if not isinstance(given["judge"], Mapping):
                raise ConfigError("judge among the overrides: give a table of judge settings (a dict, such as "
                                  "{'concurrency': 2}), laid over the file's [judge]")
            flag_judge = {**_given(given.pop("judge")), **flag_judge}
        if flag_judge.get("preset", file_judge.get("preset")) != file_judge.get("preset"):
            file_judge = {}  # another judge: the file's model, server and prices described the one it replaces
        file_judge = for_model(file_judge, flag_judge.get("model"))  # another model: not the file's prices
        if "api_key_env" in flag_judge and "api_key" not in flag_judge:
            file_judge.pop("api_key", None)  # the key is where the override says, not the file's (which wins else)
        judge = {**file_judge, **flag_judge}
        settings = {**file_settings, **given}
        overridden = {*given, *(f"judge.{key}" for key in flag_judge)}  # a flag names only what it gave
        sources = _Sources(Path(path) if path is not None else None,
                           {setting: flag for setting, flag in (flags or {}).items() if setting in overridden},
                           judge.get("preset"),
                           preset_file(judge.get("preset"), settings.get("judges_file")))
        sources.from_file = ({(name,) for name in file_settings if name not in given}
                             | {("judge", key) for key in file_judge if key not in flag_judge})
        sources.explicit_judge = set(judge)
        # the file's values that the overrides replace (or a judge named over the file's drops) are checked too:
        # the next run without that flag reads them (checks of settings together apply to the merged ones)
        def in_file(location: Location) -> str:
            return f"{path}: {setting_label(location)}"

        problems = (each_value_problems(cls, {name: file_settings[name] for name in file_settings if name in given},
                                        in_file)
                    + each_value_problems(JudgeConfig, {key: value for key, value in written_judge.items()
                                                        if key not in file_judge or key in flag_judge},
                                          in_file, ("judge",)))
        try:
            with validating(cls, sources.label, sources):
                config = cls.model_validate({**settings, "judge": judge})
        except SettingsError as error:
            problems += error.problems
        if problems:
            raise SettingsError(problems)
        config._judge_origins = {name: sources.origin(("judge", name)) for name in config.judge.ignored_settings()}
        config._sources = sources
        return config


class LeaderboardSettings(RatingsSettings):
    """Everything `judgebench leaderboard` takes besides its input files."""

    judge: str | None = None
    """With a store: the judge whose games to use."""
    template: str | None = None
    """With a store: the template whose games to use, by name; or a template file: the games stored under its name,
    read with its verdicts."""
    swap: Swap = "both"
    """With a store or a run's results folder: the swap policy turning the two games of a pair into one outcome:
    both, consistent or random-one (as run's --swap; a results folder's default is its run's)."""
    latest: bool = False
    """With a store: rate each game judged by more than one request (answers edited or regenerated between runs)
    by its latest judgment, setting the older ones aside."""
    out: PathSetting | None = None
    """Directory for leaderboard.json, leaderboard.csv and leaderboard.md."""

    @classmethod
    def from_flags(cls, values: Mapping[str, Any], flags: Mapping[str, str]) -> LeaderboardSettings:
        """Settings from command-line values (None: not given, the default applies), flags named in messages."""
        with validating(cls, _Sources(None, flags).label):
            return cls.model_validate(_given(values))


# -- reading files --------------------------------------------------------------------------------------

RUN_TABLES: dict[str, type[SettingsModel]] = {
    "data": DataSettings, "judge": JudgeTable, "judging": JudgingSettings, "run": RunSettings,
    "ratings": RatingsSettings,
}
"""The tables of a run's file, in order; a setting declared by several (seed, baseline) belongs to the first."""


def table_of(name: str) -> str:
    """The [table] of a run's file where setting `name` is written."""
    return next(table for table, model in RUN_TABLES.items() if name in model.model_fields)


def _judge_table_own() -> list[str]:
    """The [judge] table's settings that are not the judge's own (`JudgeTable`'s, as judges_file)."""
    return [name for name in JudgeTable.model_fields if name != "judge"]


def table_settings(table: str) -> list[str]:
    """The settings a run file takes in its [table] (the judge's and the table's own in [judge])."""
    if table == "judge":
        return [*JudgeConfig.model_fields, *_judge_table_own()]
    return [name for name in RUN_TABLES[table].model_fields if table_of(name) == table]


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file's contents; a missing or malformed file is one ConfigError naming it (`what`: its role). Its
    text is read as data files are (`datasets.rows.read_text`), so that text that is not UTF-8 is named by its
    line and byte offset, with how to re-encode it, as a data file's is."""
    from judgebench.datasets.rows import read_text

    if Path(path).is_dir():
        raise ConfigError(f"{what} {path} is a directory: give the path of a TOML file")
    if not Path(path).is_file():
        raise ConfigError(f"{what} not found: {path}")
    try:
        text = read_text(Path(path))
        return tomllib.loads(text)
    except InputError as error:
        raise ConfigError(str(error)) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}{_toml_hint(Path(path), text, error, what)}") from None


# Where tomllib says a TOML text went wrong: "... (at line 2, column 13)".
_TOML_PLACE = re.compile(r"\(at line (\d+), column (\d+)\)")
# A YAML mapping's line, `key:` or `key: value`, which TOML never has.
_YAML_KEY = re.compile(r"^\s*(- )?[\w.-]+\s*:(\s|$)")
# A bare word where TOML wants a value: text that is no number, date, boolean, array or table.
_BARE_WORD = re.compile(r"[^\s\"',\[\]{}#=]+")
# A line's text up to its value: a key and its `=`.
_KEY_EQUALS = re.compile(r"\s*[^\[\]{}=#]+=\s*")
# A quoted TOML string on one line: basic (with its escapes) or literal.
_TOML_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_CLOSING = {"[": "]", "{": "}"}


def _toml_hint(path: Path, text: str, error: tomllib.TOMLDecodeError, what: str) -> str:
    """What to do about a TOML error that has a likely cause, as "; ..." (else ""): a file written as JSON or YAML
    (told by its suffix or its text) is told that it must be TOML and how TOML looks; a value that is a bare word
    (`questions = q.jsonl`) is shown quoted, the whole of it where it has spaces (`model = my judge`), with each
    bare item of its array or inline table (`_quoted_values`); where the line so quoted would still not be TOML
    (a string left open, brackets that do not match), the hint says how text is written rather than show a line
    that is wrong."""
    place = _TOML_PLACE.search(str(error))
    line_number, column = (int(place[1]), int(place[2])) if place else (0, 0)
    lines = text.splitlines()
    line = lines[line_number - 1] if 0 < line_number <= len(lines) else ""
    suffix = path.suffix.lower()
    written = ("JSON" if suffix == ".json" or text.lstrip().startswith("{") else
               "YAML" if suffix in (".yaml", ".yml") or text.lstrip().startswith("---") or _YAML_KEY.match(line)
               else None)
    if written:
        example = ('[data] and below it questions = "q.jsonl"' if what == "config file"
                   else '[name] and below it key = "text"')
        return (f"; a {what} is TOML, not {written}: each table on a line of its own in brackets, then its settings "
                f"as key = value, text in quotes: {example}")
    bare = _BARE_WORD.match(line, column - 1) if str(error).startswith("Invalid value") and column else None
    if bare is None:
        return ""
    key = _KEY_EQUALS.match(line)  # a line without `key =` goes on an array begun on a line above
    quoted = _quoted_values(line, key.end() if key else 0, [] if key else ["["])
    return f"; quote text values: {quoted.strip()}" if quoted else '; quote text values: key = "text"'


def _quoted_values(line: str, start: int, opened: list[str]) -> str | None:
    """`line` with each bare value from `start` on quoted, as TOML reads text (`model = "my judge"`), or None
    where that is not sure to be TOML: the line so quoted is tried, inside the arrays `opened` on lines above.

    A bare value runs to a comment: a `#` after a space, as in a shell (`model = my#judge` is "my#judge", where
    tomllib reads a comment from the `#`); inside an array or inline table, to its next item or its end, so that each
    item is quoted (`answers = [a.jsonl, b.jsonl]`), not the first alone. A bare word before an `=` is an inline
    table's key and stays; one TOML reads as a value (a number, a date, true) stays too."""
    written, at, stack = [line[:start]], start, list(opened)
    while at < len(line):
        char = line[at]
        if char == "#":  # a comment, to the line's end
            written.append(line[at:])
            break
        if char in "\"'":
            string = _TOML_STRING.match(line, at)
            if string is None:  # a string not closed on this line
                return None
            written.append(string.group())
            at = string.end()
            continue
        if char in "]}" and (not stack or _CLOSING[stack.pop()] != char):
            return None
        if char in "[{":
            stack.append(char)
        if char.isspace() or char in ",=[]{}":
            written.append(char)
            at += 1
            continue
        text = line[at:_bare_end(line, at, inside=bool(stack))].rstrip()
        key = line[at + len(text):].lstrip().startswith("=")  # an inline table's key
        written.append(text if key or _is_toml_value(text) else json.dumps(text, ensure_ascii=False))
        at += len(text)
    quoted = "".join(written)
    try:  # the line as TOML reads it, within the arrays it goes on, closing those it leaves open
        tomllib.loads("".join(["v = ", *opened, "\n"] if opened else []) + quoted + "\n"
                      + "".join(_CLOSING[bracket] for bracket in reversed(stack)))
    except tomllib.TOMLDecodeError:
        return None
    return quoted


def _bare_end(line: str, at: int, inside: bool) -> int:
    """Where a bare value starting at `at` ends: at a comment (`#` after a space) or the line's end, and, `inside`
    an array or inline table, at the next `,`, `=`, `]` or `}`."""
    end = at
    while end < len(line) and not (line[end] == "#" and line[end - 1].isspace()) and not (
            inside and line[end] in ",=]}"):
        end += 1
    return end


def _is_toml_value(text: str) -> bool:
    """Whether TOML reads bare `text` as a value (a number, a date, a boolean)."""
    try:
        tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        return False
    return True


def _read_run_file(path: Path) -> dict[str, Any]:
    """A run file's settings as RunConfig keys (the judge's under "judge"), paths made relative to the file.

    Unknown tables and keys are reported here, where the table is known: with the closest valid name, or
    the table a misplaced setting belongs in.
    """
    base = path.resolve().parent
    settings: dict[str, Any] = {}
    for table, content in read_toml(path, "config file").items():
        if not isinstance(content, dict):
            home = f"; it belongs in [{table_of(table)}]" if table in RunConfig.model_fields else ""
            raise ConfigError(f"{path}: setting '{table}' outside a table{home}")
        if table not in RUN_TABLES:
            raise ConfigError(f"{path}: unknown table [{table}]{suggest(table, RUN_TABLES)}; the tables are "
                              f"{', '.join(f'[{t}]' for t in RUN_TABLES)}")
        for key, value in content.items():
            _check_key(path, table, key)
            if table == "judge" and key not in _judge_table_own():
                settings.setdefault("judge", {})[key] = value
            else:
                settings[key] = _relative_to(base, key, value, f"{path}: [{table}] {key}")
    return settings


def _check_key(path: Path, table: str, key: str) -> None:
    """A key of a run file's [table] that no setting has is a ConfigError (`_unknown_key`)."""
    problem = _unknown_key(path, table, key)
    if problem is not None:
        raise ConfigError(problem)


def _unknown_key(path: Path, table: str, key: str, known: Collection[str] | None = None) -> str | None:
    """The problem of a key of a file's [table] that no setting has, naming file and table, with the closest
    valid name (None for a known key); `known`: the table's settings, by default a run file's (and then a key of
    another run table is sent there), else a judge preset's, of which a run table's setting is said to be that
    table's (a preset's `max_tokens` was offered 'max_attempts', its `temperature` nothing)."""
    run_file = known is None
    known = table_settings(table) if known is None else known
    if key in known:
        return None
    home = [t for t in RUN_TABLES if key in table_settings(t)]
    if not home:
        hint = suggest(key, known)
    elif run_file:
        hint = f"; it belongs in [{home[0]}]"
    else:
        hint = f"; {key} is a [{home[0]}] setting, not a judge preset's"
    return f"{path}: [{table}] unknown setting '{key}'{hint}"


def _relative_to(base: Path, key: str, value: Any, where: str) -> Any:
    """A path setting's value (a str, or a list of them) made relative to the config file's folder, with
    `..` folded away so that messages show plain paths (`results/x`, not `examples/../results/x`); one that
    begins with `~` is left to the setting's check, which expands it, unless the folder an earlier judgebench
    made of it beside the file exists (`where` names the setting in the message)."""
    def joined(item: str) -> Path:  # from the home folder (~: expanded by the setting's check), not the file's
        if not item.startswith("~"):
            return Path(os.path.normpath(base / item))
        literal = base / item
        if literal.exists():  # a store there holds judgments paid for: never judged again elsewhere unawares
            raise ConfigError(f"{where}: {item} is in your home folder ({home_expanded(item)}), but {literal} "
                              "exists: an earlier judgebench took ~ in a config file literally and made that "
                              f"folder beside the file; move what it holds to {home_expanded(item)}, or write "
                              f'"./{item}" to keep using it where it is')
        return Path(item)

    if key == "template":  # a name, or a template file (it has a suffix)
        return str(joined(value)) if isinstance(value, str) and Path(value).suffix else value
    if not _mentions(RunConfig.model_fields[key].annotation, Path):
        return value
    if isinstance(value, str):
        return joined(value)
    if isinstance(value, list):
        return [joined(item) if isinstance(item, str) else item for item in value]
    return value


def _mentions(annotation: Any, kind: type) -> bool:
    return annotation is kind or any(_mentions(arg, kind) for arg in get_args(annotation))


def _given(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (values or {}).items() if value is not None}


# -- judge presets --------------------------------------------------------------------------------------


def user_presets_file(judges_file: Path | None = None) -> tuple[Path, str] | None:
    """The user's presets file and how messages name it: `judges_file` (a config's, or `judges --judges-file`),
    which wins over JUDGEBENCH_JUDGES, else the variable's; None without either."""
    if judges_file is not None:
        return home_expanded(judges_file), "judges file"
    variable = os.environ.get("JUDGEBENCH_JUDGES")
    return (home_expanded(variable), "judges file (JUDGEBENCH_JUDGES)") if variable else None


def unread_judges_variable(judges_file: Path | None, named: str) -> str | None:
    """The note for JUDGEBENCH_JUDGES set beside `judges_file` (the setting or flag `named`) to another file: the
    variable's file is not read (`user_presets_file`); None otherwise."""
    variable = os.environ.get("JUDGEBENCH_JUDGES")
    if not variable or judges_file is None or home_expanded(variable).resolve() == home_expanded(judges_file).resolve():
        return None
    return (f"judge presets are read from {judges_file} ({named}), not from JUDGEBENCH_JUDGES={variable}: the "
            "explicit setting wins over the variable")


def preset_file(name: object, judges_file: object) -> Path | None:
    """The user's presets file that defines preset `name`, to name it in messages about the preset's settings;
    None for a built-in preset (or none)."""
    user = user_presets_file(Path(judges_file) if isinstance(judges_file, str | Path) else None)
    if name is None or user is None:
        return None
    with suppress(ConfigError):  # a file that cannot be read is reported where it is read (`presets`)
        if name in read_toml(user[0], user[1]):
            return user[0]
    return None


def presets(judges_file: Path | None = None) -> dict[str, dict[str, Any]]:
    """Built-in judge presets, overridden and extended by the user's file (config or JUDGEBENCH_JUDGES)."""
    found = tomllib.loads(_PRESETS_FILE.read_text(encoding="utf-8"))
    user = user_presets_file(judges_file)
    if user is not None:
        user_file, role = user
        mine = read_toml(user_file, role)
        # the values are checked where a run uses the preset, named as its settings
        problems = [problem for name, preset in mine.items() for problem in _preset_problems(user_file, name, preset)]
        if problems:
            raise SettingsError([("", problem) for problem in problems])
        found.update(mine)
    return found


def _preset_problems(path: Path, name: str, preset: Any) -> list[str]:
    """What keeps [name] of the presets file `path` from being read as a judge's settings, each problem named:
    not a table, or keys no judge setting has (`_unknown_key`)."""
    if not isinstance(preset, dict):
        return [f"{path}: preset '{name}' must be a table: [{name}] with engine, model, ..."]
    return [problem for key in preset if (problem := _unknown_key(path, name, key, JudgeConfig.model_fields))]


def checked_presets(judges_file: Path | None = None) -> dict[str, dict[str, Any]]:
    """The presets (`presets`), each value of the user's presets file checked as a run checks that setting of its
    judge (`each_value_problems`), so that `judgebench judges` validates a presets file: a SettingsError names
    the file, preset and setting of each bad value (`mine.toml: [mine] concurrency: expected an integer, got
    "lots"`, as a run using the preset says), and a preset that gives one price without the other, which no run
    can use as it stands; every preset's problems in one message, its unknown keys (`presets`) among them. A run
    checks only the preset it uses, and a preset may leave the judge model to the run (a server's), so the other
    checks of settings together are a run's."""
    user = user_presets_file(judges_file)
    if user is None:
        return presets(judges_file)
    problems: list[tuple[str, str]] = []
    for name, preset in read_toml(*user).items():
        problems += [("", problem) for problem in _preset_problems(user[0], name, preset)]
        if not isinstance(preset, dict):
            continue
        named = _Sources(None, {}, name, user[0]).label  # as a run using the preset names them
        known = {key: value for key, value in preset.items() if key in JudgeConfig.model_fields}
        bad_values = each_value_problems(JudgeConfig, known, named, ("judge",))
        alone = one_price_alone(preset)
        if alone is not None and not any(where == named(("judge", alone[0])) for where, _ in bad_values):
            bad_values.append((named(("judge", alone[0])), alone[1]))
        problems += bad_values
    if problems:
        raise SettingsError(problems)
    return presets(judges_file)


MODEL_BOUND = ("description", "price_in_per_mtok", "price_out_per_mtok", "max_model_len")
"""A judge's settings that describe its model, not its server: they do not carry over to another model
(`for_model`). How requests are made (`reasoning`, `extra_body`) does: another model named over gpt-5-mini's
preset or a file's Qwen3-8B is most often its sibling (o4-mini, Qwen3-32B), which takes the same requests, where
dropping them without a word sent o4-mini `max_tokens` (refused) and Qwen3-32B its thinking turned back on."""


def merge_preset(settings: Mapping[str, Any], judges_file: Path | None = None) -> dict[str, Any]:
    """A judge's settings: its preset's (if any), then the explicit ones on top.

    An explicit model other than the preset's keeps the preset's server settings but not what describes its
    model (`for_model`: gpt-4o-mini's prices would misstate gpt-4.1's cost and let a dollar budget overspend
    thirteenfold), and replaces the embedded judge entirely (the quickstart's file with --judge-model judged
    with SmolLM2 under the named model's name).

    With neither a preset nor a judge model, the embedded judge is the default, so a fresh machine needs
    no server and no key (`embedded = true` asks for it too), unless the settings ask for a server (engine openai,
    or `SERVER_SETTINGS` or `REQUEST_SETTINGS` without an engine): that judge needs its model, where the embedded
    one (minutes on a CPU) judged instead of the server named, or refused `reasoning = true` as vLLM's;
    `embedded = false` turns that default off (it was the embedded preset's engine without its model, "the vLLM
    engine needs a model path"), so it needs a judge named. An unknown preset is a ConfigError, and so is a judges
    file set but missing or broken, also where no preset is used (it was ignored then).
    """
    settings = dict(settings)
    name = settings.get("preset")
    engine = settings.get("engine")
    a_server = engine == "openai" or (engine is None and not settings.get("embedded")
                                      and (any(settings.get(key) is not None for key in SERVER_SETTINGS)
                                           or any(settings.get(key) for key in REQUEST_SETTINGS)))
    if name is None and not settings.get("model") and not a_server and settings.get("embedded") is not False:
        name = "embedded"
    known = presets(judges_file) if name is not None or judges_file is not None else {}
    if name is None:
        return settings
    if not isinstance(name, str) or name not in known:
        raise ConfigError(f"unknown judge preset '{name}': presets are {', '.join(sorted(known))} "
                          f"(see `judgebench judges`){suggest(str(name), known)}")
    preset = for_model(known[name], settings.get("model"))
    if "api_key_env" in settings and "api_key" not in settings:
        preset.pop("api_key", None)  # the key is where the explicit setting says, not the preset's (which wins else)
    if known[name].get("embedded") and not preset:  # replaced by the model named: no longer this preset
        return {key: value for key, value in settings.items() if key != "preset"}
    return {**preset, **settings, "preset": name}


def for_model(judge: Mapping[str, Any], model: str | None) -> dict[str, Any]:
    """A judge's settings (a preset's, or a file's [judge]) as they apply to `model` named over them (None: to
    their own). Settings of another model keep what describes the server (engine, base_url, key, concurrency)
    and not what describes their model (`MODEL_BOUND`); an embedded judge's keep nothing (its engine runs the
    bundled model only). Settings that name no model (a server's preset) apply to any."""
    if model is None or model == judge.get("model") or (judge.get("model") is None and not judge.get("embedded")):
        return dict(judge)
    if judge.get("embedded"):
        return {}
    return {key: value for key, value in judge.items() if key not in MODEL_BOUND}


def resolve_judge(settings: Mapping[str, Any], judges_file: Path | None = None) -> JudgeConfig:
    """A JudgeConfig from a preset name and/or explicit settings (explicit settings win)."""
    merged = merge_preset(settings, judges_file)
    sources = _Sources(None, {}, merged.get("preset"), preset_file(merged.get("preset"), judges_file))
    sources.explicit_judge = set(settings)
    with validating(JudgeConfig, lambda location: sources.label(("judge", *location)), sources):
        return JudgeConfig.model_validate(merged)


def load_config(path: str | Path | None, overrides: Mapping[str, Any] | None = None,
                judge_overrides: Mapping[str, Any] | None = None) -> RunConfig:
    """Read the TOML file (if any), apply overrides (None values are ignored), validate: `RunConfig.from_toml`."""
    return RunConfig.from_toml(path, overrides, judge_overrides)


def require_run_config(settings: object, call: str) -> RunConfig:
    """`settings` when it is a RunConfig; else the ConfigError that says how to make one (`evaluate("run.toml")`
    ended in "'str' object has no attribute 'questions'")."""
    if isinstance(settings, RunConfig):
        return settings
    raise ConfigError(f"{call} takes the settings as a RunConfig, got {type(settings).__name__}: read a config file "
                      "with judgebench.config.load_config(PATH), or build them with RunConfig(questions=..., "
                      "answers=[...], ...)")


# -- one message per problem ----------------------------------------------------------------------------


class _Sources:
    """Where each setting came from, to name it in messages: a file's [table] key, a flag, or the setting.

    A judge setting given nowhere explicitly came from the judge preset: from the user's presets file
    (`presets_file`) it is named as that file's [preset] key, else the message says which built-in preset.
    """

    def __init__(self, file: Path | None, flags: Mapping[str, str], preset: str | None = None,
                 presets_file: Path | None = None):
        self.file, self.flags, self.preset, self.presets_file = file, flags, preset, presets_file
        self.from_file: set[Location] = set()
        self.explicit_judge: set[str] = set()

    def origin(self, location: Location) -> tuple[str, str]:
        """The file a setting came from ("" for a flag, a built-in preset or Python) and its name there:
        ("run.toml", "[judge] concurrency"), ("", "--concurrency"), ("judges.toml", "[house] concurrency")."""
        if not location:
            return str(self.file or ""), ""
        dotted = ".".join(str(part) for part in location)
        if dotted in self.flags:
            return "", self.flags[dotted]
        name = setting_label(location)
        if self.file is not None and (location[:2] in self.from_file or location[:1] in self.from_file):
            return str(self.file), name
        if self.preset_of(location):
            if self.presets_file is not None:
                return str(self.presets_file), f"[{self.preset}] {_dotted(location[1:])}"
            return "", f"{name} ({self.from_preset})"
        return "", name

    @property
    def from_preset(self) -> str:
        """Where a judge setting that a built-in preset gave came from, as a message says it."""
        return f"from judge preset '{self.preset}'"

    def preset_of(self, location: Location) -> str | None:
        """The judge preset a judge setting came from, where neither a flag nor the judge's own settings gave it
        (None otherwise)."""
        if location[:1] == ("judge",) and len(location) > 1 and location[1] not in self.explicit_judge:
            return self.preset
        return None

    def label(self, location: Location) -> str:
        where, name = self.origin(location)
        return f"{where}: {name}" if where and name else where or name

    def given_as(self, location: Location, value: object = None) -> str:
        """A setting given, named in a message's text as it was given (`given_name`): its flag or key, and the
        presets file that holds it, which the message's own place (a flag, the run's file) does not name; with
        `value`, then its value in parentheses, which hold the built-in preset that gave it too (it read
        "[judge] concurrency (from judge preset 'gpt-4o-mini') (32)")."""
        where, name = self.origin(location)
        if value is not None:
            preset = f" ({self.from_preset})"
            name = (f"{name.removesuffix(preset)} ({value}, {self.from_preset})" if name.endswith(preset)
                    else f"{name} ({value})")
        return f"{name} in {where}" if where and where != str(self.file or "") else name


def setting_label(location: Location) -> str:
    """A run setting as a file shows it: `[ratings] rounds`, `[judge] concurrency`, `[data] answers[1]`."""
    if not location:
        return ""
    head, *rest = location
    if head == "judge":  # the table itself, or a setting in it ("[judge] judge" named it twice)
        return f"[judge] {_dotted(rest)}" if rest else "[judge]"
    if isinstance(head, str) and head in RunConfig.model_fields:
        return f"[{table_of(head)}] {_dotted(location)}"
    return _dotted(location)


def _dotted(location: Any) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_COMMAND_FLAGS: ContextVar[Mapping[str, str] | None] = ContextVar("judgebench_command_flags", default=None)
_COMMAND_OFF_FLAGS: ContextVar[Mapping[str, str] | None] = ContextVar("judgebench_command_off_flags", default=None)
_COMMAND: ContextVar[str | None] = ContextVar("judgebench_command", default=None)


@contextmanager
def named_by_flags(flags: Mapping[str, str], off_flags: Mapping[str, str] | None = None,
                   command: str | None = None) -> Iterator[None]:
    """Inside, messages name a setting by the running command's flag for it (`flags`: setting -> flag, such as
    "judge.model": "--judge-model"), and a setting the command has no flag for as a config file does; `off_flags`:
    on/off setting -> the command's flag that turns it off ("style_control": "--no-style-control",
    `how_to_turn_off`); `command`: the running command's name ("diagnose", `command_with`). The CLI enters it for
    each command; from Python no setting has a flag (`setting_name`)."""
    tokens = _COMMAND_FLAGS.set(flags), _COMMAND_OFF_FLAGS.set(off_flags), _COMMAND.set(command)
    try:
        yield
    finally:
        _COMMAND.reset(tokens[2])
        _COMMAND_OFF_FLAGS.reset(tokens[1])
        _COMMAND_FLAGS.reset(tokens[0])


def command_with(flag: str) -> str | None:
    """The running command's name (`named_by_flags`), where it has the option `flag` ("--results"), else None: a
    message that names a command line names the one the user runs where that one does it too (`diagnose
    --results DIR` in `diagnose`, not `leaderboard --results DIR`)."""
    return _COMMAND.get() if flag in (_COMMAND_FLAGS.get() or {}).values() else None


def setting_name(name: str, *, option: bool = False) -> str:
    """Setting `name` ("baseline", "judge.base_url") as a message names it to the user: the running command's
    flag (`--base-url`), else as a config file and Python name it (`[judge] base_url`); with `option`, `name` is
    a field of a command's own options (`check`'s confidence: `check.CheckOptions`), named as it is from Python.
    So `check`, which reads most settings from its file, never points at a flag only `run` has, and a message
    raised in Python names the field to set, not a flag."""
    flag = (_COMMAND_FLAGS.get() or {}).get(name)
    if flag is not None:
        return flag
    return name if option else setting_label(tuple(name.split(".")))


_CALL: ContextVar[str | None] = ContextVar("judgebench_call", default=None)


def names_its_call(function: Function) -> Function:
    """Make a public function of the Python API (`judgebench.diagnose`) the running call while it runs, which
    `running_call` names, as `named_by_flags` names the running command: a message raised inside that tells the
    user what to call then names this call where it does what is asked (`store.rate_results`)."""
    @functools.wraps(function)
    def named(*args: Any, **kwargs: Any) -> Any:
        token = _CALL.set(function.__name__)
        try:
            return function(*args, **kwargs)
        finally:
            _CALL.reset(token)

    return cast(Function, named)


def running_call() -> str | None:
    """The name of the public Python call running (`names_its_call`), else None."""
    return _CALL.get()


def command_or_call(command: str, call: str) -> str:
    """What a message tells the user to run: `command`, a `judgebench` command line, while the CLI runs a command
    (`named_by_flags`), else `call`, the Python that does the same, so that a message raised in Python names
    Python (`setting_name` does so for a setting)."""
    return command if _COMMAND_FLAGS.get() is not None else call


def how_to_set(name: str, value: str | None = None, *, option: bool = False, given: bool = False) -> str:
    """What a message asks the user to set: `--baseline MODEL` or `[judging] baseline = MODEL` (`setting_name`),
    `value` being what to give it (a placeholder or an example); None for an on/off setting turned on
    (`--allow-missing`, `[data] allow_missing = true`). With `given`, a setting given, as it was (`given_name`):
    `[data] first_n = 3` read from the file, where the command's flag is `--first-n`."""
    name_shown = given_name(name) if given else setting_name(name, option=option)
    if name_shown.startswith("--"):
        return name_shown if value is None else f"{name_shown} {value}"
    return f"{name_shown} = {'true' if value is None else _literal(value)}"


def how_to_turn_off(name: str) -> str:
    """What a message asks the user to do to turn the on/off setting `name` off, which `how_to_set` cannot word:
    the running command's flag that turns it off (`--no-style-control`), leaving out the flag of a command that can
    only turn it on, else as a config file and Python set it (`[ratings] style_control = false`)."""
    off = (_COMMAND_OFF_FLAGS.get() or {}).get(name)
    if off is not None:
        return off
    name_shown = setting_name(name)
    return f"leave out {name_shown}" if name_shown.startswith("--") else f"{name_shown} = false"


def _literal(value: str) -> str:
    """`value` written as TOML and Python both read it: numbers bare, text quoted (`method = "winrate"`)."""
    try:
        float(value)
    except ValueError:
        return json.dumps(value)
    return value


class SettingsError(ConfigError):
    """Bad settings: `problems` holds (where, what) per problem; where is a flag, `file: [table] key`, or a name."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(dict.fromkeys(problems))
        super().__init__("\n".join(f"{where}: {what}" if where else what for where, what in self.problems))


def settings_error(error: ValidationError, model: type[BaseModel],
                   label: Callable[[Location], str] | None = None) -> SettingsError:
    """One SettingsError for a ValidationError: a line per problem, `label` naming each setting's source.

    Without `label`, a run's settings are named by table ([ratings] rounds), others by name.
    """
    return SettingsError(_problems(error.errors(), model, label))


def _problems(errors: list[ErrorDetails], model: type[BaseModel],
              label: Callable[[Location], str] | None = None) -> list[tuple[str, str]]:
    """(where, what) for each of pydantic's `errors` (`settings_error`)."""
    name_of = label or _default_label(model)
    problems = []
    for problem in errors:
        # a check of settings together names its setting within the model checked (("judge",) + ("model",))
        location: Location = tuple(problem["loc"]) + tuple(problem.get("ctx", {}).get("setting", ()))
        if problem["type"] == "extra_forbidden":
            hint = _judge_hint(model, location) or suggest(str(location[-1]), _fields_at(model, location[:-1]))
            problems.append((name_of(location[:-1]), f"unknown setting '{location[-1]}'{hint}"))
        elif problem["type"] == "path_type" and location[0] in ("questions", "answers") and (
                isinstance(problem.get("input"), Mapping) or hasattr(problem.get("input"), "columns")):
            # rows or a DataFrame, as rate() takes them: one line for the setting, not one per row
            files = tuple(part for part in location if not isinstance(part, int))
            problems.append((name_of(files), "expected paths of files, got rows of data: questions and answers "
                                             "are read from files (JSONL, CSV or Parquet); write the rows to one "
                                             "first, as pandas.DataFrame(rows).to_json(\"answers.jsonl\", "
                                             "orient=\"records\", lines=True) does"))
        elif problem["type"] == "model_type" and location == ("judge",) and isinstance(problem.get("input"), str):
            preset = problem["input"]
            problems.append((name_of(location), f"expected a table, got {_shown(preset)}; a preset is named in "
                                                f"it: judge={{\"preset\": {_shown(preset)}}}, as [judge] preset = "
                                                f"{_shown(preset)} in a file and --judge {preset} on the command line"))
        else:
            problems.append((name_of(location) if location else "", problem_in_words(problem)))  # no class name
    return problems


def _default_label(model: type[BaseModel]) -> Callable[[Location], str]:
    """How a model's settings are named without a known source: a run's and a judge's by their table."""
    if issubclass(model, JudgeTable):
        return setting_label
    if issubclass(model, JudgeConfig):
        return lambda location: setting_label(("judge", *location))
    return _dotted


_EXPECTED = {
    "int_type": "expected an integer", "float_type": "expected a number", "bool_type": "expected true or false",
    "string_type": "expected a string", "list_type": "expected a list", "path_type": "expected a path (a string)",
    "model_type": "expected a table", "dict_type": "expected a table", "finite_number": "expected a finite number",
    "missing": "required, but not set",
}
_EXPECTED_IN_JSON = {**_EXPECTED, "model_type": "expected an object", "dict_type": "expected an object",
                     "list_type": "expected an array"}
"""`_EXPECTED` as a JSON file's types are named (a results folder's leaderboard.json): objects and arrays, not
TOML's tables and Python's lists."""


def expected(kind: str, value: Any) -> str:
    """The message of a value of the wrong type (`kind`: a key of `_EXPECTED`, as pydantic names it), for the
    command line's own parsing of numbers: 'expected an integer, got "10.5"'."""
    return problem_in_words({"type": kind, "input": value})


def problem_in_words(problem: Mapping[str, Any], *, in_json: bool = False) -> str:
    """What was wrong with one value, in words, with the value given (one of pydantic's error details: the
    wording of every setting's problem, and, `in_json`, of a results folder's recorded plan in `report.inputs`,
    its types named as JSON names them)."""
    kind, ctx, value = problem["type"], problem.get("ctx", {}), problem.get("input")
    # a float as written (1.0, which "got 1" hid where an integer or a choice belongs), any other value as `_shown`
    got = f", got {value!r}" if isinstance(value, float) and math.isfinite(value) else f", got {_shown(value)}"
    types = _EXPECTED_IN_JSON if in_json else _EXPECTED
    if kind in types:
        return types[kind] + ("" if kind == "missing" else got)
    bounds = {"greater_than_equal": ("at least", "ge"), "greater_than": ("greater than", "gt"),
              "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {_shown(ctx[key])}{got}"
    if kind == "literal_error":
        return _choice_problem(value, re.findall(r"'([^']*)'", ctx["expected"])).message()
    if kind == "too_short":
        return f"needs at least {ctx['min_length']} {'entry' if ctx['min_length'] == 1 else 'entries'}{got}"
    if kind == "string_too_short":
        return "must not be empty" if ctx["min_length"] == 1 else f"needs at least {ctx['min_length']} characters{got}"
    return re.sub(r"^Value error, ", "", problem["msg"])


def _setting_problem(location: Location, message: str) -> PydanticCustomError:
    """An error of a model-level check, carrying the setting it is about (`ctx['setting']`)."""
    return PydanticCustomError("setting", "{detail}", {"detail": message, "setting": location})


def _choice_problem(value: Any, choices: Any) -> PydanticCustomError:
    choices = list(choices)
    detail = f"expected one of {', '.join(_shown(c) for c in choices)}, got {_shown(value)}"
    return PydanticCustomError("choice", "{detail}", {"detail": detail + suggest(str(value), choices)})


def _judge_hint(model: type[BaseModel], location: Location) -> str:
    """Where a judge's setting given among a run's own belongs (`RunConfig(concurrency=8)`, or `judge_model=`
    as the command line's --judge-model): in the judge table, `judge={...}` in Python; else nothing."""
    key = str(location[-1])
    name = key.removeprefix("judge_")
    if not issubclass(model, RunConfig) or len(location) != 1 or name not in JudgeConfig.model_fields:
        return ""
    return f"; it is a judge setting: judge={{{name!r}: ...}} ([judge] {name} in a file)"


def _fields_at(model: type[BaseModel], location: Location) -> list[str]:
    for part in location:
        annotation = model.model_fields[str(part)].annotation if str(part) in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def suggest(word: str, choices: Any) -> str:
    """'; did you mean 'x'?' for the valid name that differs only in case, else the closest (difflib, ignoring
    case: 'Alpha-7B' is 'alpha-7b'), or nothing."""
    names = {str(c).casefold(): str(c) for c in reversed(list(choices))}  # the first of names alike in case
    close = difflib.get_close_matches(word.casefold(), list(names), n=1, cutoff=0.6)
    return f"; did you mean '{names[close[0]]}'?" if close else ""


def suggest_model(name: str, models: Any) -> str:
    """`suggest` for a model's name, kept to near-misses: a model two characters apart at most, ignoring case (one
    added or left out, 'gpt-4-314' for 'gpt-4-0314'; one changed counts two). The models of a family differ by a
    few ('gpt-4-0314' and 'gpt-4-0613' are four apart), and `suggest` alone proposed 'gpt-4-0613' for a
    gpt-4-0314 whose answers file was not given."""
    folded = name.casefold()

    def apart(other: str) -> int:
        other = other.casefold()
        matcher = difflib.SequenceMatcher(None, folded, other)
        return len(folded) + len(other) - 2 * sum(block.size for block in matcher.get_matching_blocks())

    return suggest(name, [model for model in models if apart(str(model)) <= 2])


def _shown(value: Any) -> str:
    """A value as the user wrote it: strings quoted, true/false lowercase, whole floats without noise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, Path):
        return f'"{value}"'
    try:
        text = json.dumps(value, ensure_ascii=False, default=lambda item: str(item) if isinstance(item, Path)
                          else repr(item))  # paths in a list as text, not PosixPath('...')
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

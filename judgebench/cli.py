"""The `judgebench` command line: typer commands that parse arguments and call the Python API.

No logic lives here. Flags are parsed by click (typer's, or the click package under older typer), whose
standalone mode prints its usual usage message and exits 2 on an unknown flag, a bad flag value or a
missing input. Settings are validated by judgebench.config, the same way as a TOML file's: a bad value given
as a flag is reported as click's usage error too; every other user-caused error is a `JudgebenchError`,
printed as one message on stderr and turned into its exit code. Any other exception is a bug in judgebench:
`main` ends it with exit code 70 and one line saying where its traceback was written.
"""

from __future__ import annotations

import contextlib
import functools
import signal
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, cast, get_args, get_origin

import typer
from typer.core import TyperCommand

from judgebench.config import (
    FailOn,
    Interval,
    JudgeConfig,
    LeaderboardSettings,
    Method,
    Resample,
    RunConfig,
    SettingsError,
    Swap,
    Ties,
    Undecided,
    expected,
    named_by_flags,
    setting_label,
    user_paths,
)
from judgebench.errors import (
    EXIT_OUTPUT_CLOSED,
    EXIT_USAGE,
    ConfigError,
    Interrupted,
    JudgebenchError,
    stopped_exit_code,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from judgebench.diagnostics import RunDiagnostics
    from judgebench.engines.base import EngineEvent
    from judgebench.leaderboard import Leaderboard
    from judgebench.present import ProgressHooks
    from judgebench.runner import RunResult

app = typer.Typer(
    name="judgebench",
    help="Rank language models with an LLM judge: pairwise verdicts, Bradley-Terry/Elo ratings, intervals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's own plain usage and error messages, under every typer release
    context_settings={"max_content_width": 120},  # help as wide as the terminal, up to 120 columns (click: 80)
)


class _Command(TyperCommand):
    """A judgebench command. An unknown flag that names a setting is told where that setting goes: the flag this
    command has for it (`--models`: did you mean --model), else the config file (`--temperature`); click suggested
    the flag spelled most like it (`--template` for `--temperature`). Every path it takes (`_takes_paths`) is
    read as a path setting is, here for every command and flag alike: `~` is the home folder, a variable refused."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            rest = super().parse_args(ctx, args)
        except Exception as error:
            if type(error).__name__ == "NoSuchOption":  # typer ships its own click: matched by name
                _point_at_the_setting(error, command_flags(ctx), any(p.name == "config" for p in self.params),
                                      ctx.info_name)
            raise
        for param in self.params:
            if param.name in ctx.params and _takes_paths(param):
                ctx.params[param.name] = _user_paths_of(ctx, param, ctx.params[param.name])
        return rest


def _takes_paths(param: Any) -> bool:
    """Whether a command's parameter takes paths: annotated `Path` (typer's type descriptor; under older typer,
    a click.Path type, whose name is "path"), or a path kept as written, which declares the `PATH` placeholder
    (`check --json`, `report --out`, whose trailing slash names a directory)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    return (param.metavar == PATH or getattr(getattr(param, "type", None), "name", None) == "path"
            or Path in (annotation, *get_args(annotation)))


def _user_paths_of(ctx: Any, param: Any, value: Any) -> Any:
    """The paths a flag or argument gave, as a path setting's are (`config.user_paths`): `~` is the home folder,
    which the shell does not expand after `=` (`check --summary=~/s.md` wrote into a folder named `~`), and a
    path naming an environment variable is click's usage error (exit 2), as for a setting."""
    try:
        return user_paths(value)
    except ConfigError as error:
        raise typer.BadParameter(str(error), ctx=ctx, param=param) from None


def _point_at_the_setting(error: Any, flags: Mapping[str, str], reads_a_file: bool, command: str | None) -> None:
    """Make click's NoSuchOption `error` for a flag that names a setting say where it goes: the command's flag
    for it (`flags`: `command_flags`), else, for a command that reads a config file, the file's table; or, for a
    setting the command does not use (check's `--model`), that it does not (it was pointed at the file)."""
    setting = _setting_named(str(error.option_name), flags)
    if setting is None or setting == "judge.api_key":  # the key is read from an environment variable
        return
    if setting in flags:
        error.possibilities = [flags[setting]]
    elif command == "check" and setting in _unused_by_check():
        error.message = (f"No such option: {error.option_name}; check does not use {setting_label((setting,))}: it "
                         "judges --candidate against --reference")
        error.possibilities = []
    elif reads_a_file:
        error.message = (f"No such option: {error.option_name}; {setting_label(tuple(setting.split('.')))} is a "
                         "setting of the config file (--config FILE), not a flag")
        error.possibilities = []


def _unused_by_check() -> tuple[str, ...]:
    """check's `UNUSED_SETTINGS`, imported only for the message that needs them."""
    from judgebench.check import UNUSED_SETTINGS

    return UNUSED_SETTINGS


def _setting_named(flag: str, flags: Mapping[str, str]) -> str | None:
    """The setting an unknown `flag` names (`--temperature`: "temperature", `--max-attempts`:
    "judge.max_attempts"), a flag of `run` by its setting (`--judge-model`: "judge.model", `--judge`:
    "judge.preset": `check` said no more than "No such option" for the one, "[judge] is a setting" for the
    other), a setting of the command by its name (`flags`: `command_flags`; `--judge.model`: "judge.model"), the
    off form of an on/off setting (`--no-progress`: "progress"), or None when it names
    none."""
    name = flag.removeprefix("--").replace("-", "_")
    if not flag.startswith("--") or not name:
        return None
    if name in flags:
        return name
    if name.startswith("no_"):
        setting = _setting_named(flag.replace("--no-", "--", 1), flags)
        return setting if setting is not None and _on_off(setting) else None
    if name in _RUN_SETTINGS:
        return _RUN_SETTINGS[name]
    if name in RunConfig.model_fields:
        return name
    return f"judge.{name}" if name in JudgeConfig.model_fields else None


def _on_off(setting: str) -> bool:
    """Whether run setting `setting` ("progress", "judge.logprobs") is on or off, so that a flag may turn it off
    (`--no-progress`)."""
    table, _, name = setting.rpartition(".")
    field = (JudgeConfig if table == "judge" else RunConfig).model_fields.get(name)
    return field is not None and bool in (get_args(field.annotation) or (field.annotation,))


def _show_version(shown: bool) -> None:
    if shown:
        from judgebench import __version__

        typer.echo(f"judgebench {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                          help="Show judgebench's version and exit.")) -> None:
    """judgebench's own options, before any command (the description --help shows is the app's `help`)."""


Command = TypeVar("Command", bound=Callable[..., Any])


def _one_of(values: Any) -> str:
    """The help's placeholder for a flag that takes one of a few values ("[wait|stop]"), from the setting's type
    (a Literal) or a tuple of the values, so the help lists what the settings accept (typer showed "<str>")."""
    return "[" + "|".join(get_args(values) if get_origin(values) is Literal else values) + "]"


MODEL, PATH, URL = "<model>", "<path>", "<url>"
ENGINES = _one_of(JudgeConfig.model_fields["engine"].annotation)
ON_RATE_LIMIT = _one_of(JudgeConfig.model_fields["on_rate_limit"].annotation)
PAIRS = _one_of(RunConfig.model_fields["pairs"].annotation)
REPEATED_PATH = "<path>"  # a repeatable path flag's value in the help, as a single one's (typer shows "<list[Path]>")


def reports_errors(command: Command) -> Command:
    """Run a command, ending a user-caused error in one message and its exit code (inside click's main).

    Bad values given as flags are raised as click's usage error (`ctx.fail`), so click prints its usage
    message; other errors print `error: ...`. Ctrl-C outside the runner's own handling exits 130 (143 for a
    SIGTERM the runner turned into an interrupt: `runner.Stopped`). Output
    cut short by its reader (`judgebench check ... | head`) exits 141, as a process killed by SIGPIPE does,
    rather than click's 1, which `check` uses for a regression.
    """
    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        ctx = kwargs.get("ctx")
        try:
            flags, off_flags, name = ((command_flags(ctx), command_off_flags(ctx), ctx.info_name) if ctx is not None
                                      else ({}, {}, None))
            with named_by_flags(flags, off_flags, name):
                return command(*args, **kwargs)
        except SettingsError as error:
            if ctx is not None and all(where.startswith("--") for where, _ in error.problems):
                ctx.fail("\n".join(f"Invalid value for '{where}': {what}" for where, what in error.problems))
            typer.secho(f"error: {error}", fg="red", err=True)
            raise typer.Exit(error.exit_code) from None
        except JudgebenchError as error:
            typer.secho(f"error: {error}", fg="red", err=True)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt as interrupt:
            signum = getattr(interrupt, "signum", None)
            typer.secho(f"stopped by {'SIGTERM' if signum == signal.SIGTERM else 'Ctrl-C (SIGINT)'}", fg="red",
                        err=True)
            raise typer.Exit(stopped_exit_code(signum)) from None
        except BrokenPipeError:
            _discard_stdout()
            raise typer.Exit(EXIT_OUTPUT_CLOSED) from None

    return cast(Command, guarded)


def command_flags(ctx: typer.Context) -> dict[str, str]:
    """The command's flags by the setting each sets ("judge.model": "--judge-model"; `_RUN_SETTINGS` where the
    names differ): how messages name settings while the command runs (`config.named_by_flags`), so that each
    command's messages name its own flags and, for a setting it has no flag for, the config file's name."""
    return {_setting_of(param): param.opts[0]
            for param in ctx.command.params if param.name and param.opts and param.opts[0].startswith("--")}


def command_off_flags(ctx: typer.Context) -> dict[str, str]:
    """The command's flags that turn an on/off setting off, by that setting ("style_control": "--no-style-control"),
    for messages that say how to turn it off (`config.how_to_turn_off`)."""
    return {_setting_of(param): param.secondary_opts[0]
            for param in ctx.command.params if param.name and getattr(param, "secondary_opts", None)}


def _setting_of(param: Any) -> str:
    """The setting a command's parameter sets, by its name in the settings (`command_flags`)."""
    return _RUN_SETTINGS.get(param.name) or param.name


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's flush at exit does not fail again on the closed
    pipe (the Python documentation's recipe, "Note on SIGPIPE" in the signal module)."""
    import os
    import sys

    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _integer(text: str) -> int:
    """An integer flag's value, a bad one worded as a setting's in a file is (`expected an integer, got "10.5"`),
    not as typer's pydantic coercion words it; click adds the flag's name."""
    try:
        return int(text)
    except ValueError:
        raise typer.BadParameter(expected("int_type", text)) from None


def _count(text: str) -> int:
    """A flag's count, 0 or more (see `_integer`), its bound worded as a setting's is (typer's `min` says "Input
    should be greater than or equal to 0")."""
    value = _integer(text)
    if value < 0:
        raise typer.BadParameter(f"must be at least 0, got {value}")
    return value


def _number(text: str) -> float:
    """A number flag's value (see `_integer`); infinities and NaN are refused by the settings' checks."""
    try:
        return float(text)
    except ValueError:
        raise typer.BadParameter(expected("float_type", text)) from None


def flag_values(ctx: typer.Context, settings: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The values of the flags given, keyed by setting ("judge.model"), and each setting's flag, for messages.

    `settings` maps a command parameter to its setting where the names differ; other parameters named in
    `ctx.params` are settings of the same name. Not given (None, an empty repeated flag, or an on/off flag left
    at its default): left out.
    """
    values, flags = {}, {}
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.name is None or value is None or value == [] or value == ():
            continue
        source = ctx.get_parameter_source(param.name)
        if source is not None and source.name == "DEFAULT":
            continue
        setting = settings.get(param.name, param.name)
        values[setting] = list(value) if isinstance(value, tuple) else value
        flags[setting] = param.opts[0] if param.opts else param.name
    return values, flags


def judge_values_of(values: dict[str, Any]) -> dict[str, Any]:
    """Take the judge settings out of `values` (`flag_values`'s, keyed "judge.model"), keyed by their names in
    the [judge] table ("model"): `RunConfig.from_toml`'s judge overrides."""
    return {key.removeprefix("judge."): values.pop(key) for key in list(values) if key.startswith("judge.")}


_RUN_HELP = ("Judge model answers pairwise in both orders and print a leaderboard (see README: Configuration "
             "reference).")
# --help of each flag: the setting's docstring (judgebench.config), one text for the file and the flags; judge
# settings show no default (it comes from the preset).
_HELP = {**{name: RunConfig.help(name) for name in RunConfig.model_fields},
         **{f"judge.{name}": info.description or "" for name, info in JudgeConfig.model_fields.items()},
         **{name: RunConfig.help(name, "Repeat the flag.") for name in ("answers", "models")}}
# Flags of `run` whose setting has another name; judge settings live under "judge.".
_RUN_SETTINGS = {"model": "models", "judge": "judge.preset", "engine": "judge.engine", "judge_model": "judge.model",
                 "base_url": "judge.base_url", "api_key_env": "judge.api_key_env",
                 "concurrency": "judge.concurrency", "on_rate_limit": "judge.on_rate_limit"}
# The judge's flags, as `run` and `check` declare them (`diagnose` says that they go with --gold).
_ENGINE = typer.Option(None, metavar=ENGINES, help=_HELP["judge.engine"])
_PRESET = typer.Option(None, metavar="<preset>", help=_HELP["judge.preset"])
_JUDGE_MODEL = typer.Option(None, metavar=MODEL, help=_HELP["judge.model"])
_BASE_URL = typer.Option(None, metavar=URL, help=_HELP["judge.base_url"])
_API_KEY_ENV = typer.Option(None, metavar="<variable>", help=_HELP["judge.api_key_env"])
_CONCURRENCY = typer.Option(None, parser=_integer, help=_HELP["judge.concurrency"])
_ON_RATE_LIMIT = typer.Option(None, metavar=ON_RATE_LIMIT, help=_HELP["judge.on_rate_limit"])


@app.command(cls=_Command, help=_RUN_HELP, short_help="Judge answers pairwise and print a leaderboard.")
@reports_errors
def run(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", "-c", help="TOML config file (examples/quickstart.toml)."),
    questions: Path | None = typer.Option(None, help=_HELP["questions"]),
    answers: list[Path] | None = typer.Option(None, metavar=REPEATED_PATH, help=_HELP["answers"]),
    format: str | None = typer.Option(None, metavar="<format>", help=_HELP["format"]),
    references: Path | None = typer.Option(None, help=_HELP["references"]),
    model: list[str] | None = typer.Option(None, "--model", metavar="<name>", help=_HELP["models"]),
    allow_missing: bool | None = typer.Option(None, "--allow-missing/--no-allow-missing",
                                              help=_HELP["allow_missing"]),
    first_n: int | None = typer.Option(None, parser=_integer, help=_HELP["first_n"]),
    engine: str | None = _ENGINE,
    judge: str | None = _PRESET,
    judge_model: str | None = _JUDGE_MODEL,
    base_url: str | None = _BASE_URL,
    api_key_env: str | None = _API_KEY_ENV,
    concurrency: int | None = _CONCURRENCY,
    on_rate_limit: str | None = _ON_RATE_LIMIT,
    judge_family: str | None = typer.Option(None, metavar="<text>", help=_HELP["judge_family"]),
    template: str | None = typer.Option(None, metavar="<template>", help=_HELP["template"]),
    pairs: str | None = typer.Option(None, metavar=PAIRS, help=_HELP["pairs"]),
    baseline: str | None = typer.Option(None, metavar=MODEL, help=_HELP["baseline"]),
    opponents: int | None = typer.Option(None, parser=_integer, help=_HELP["opponents"]),
    budget_calls: int | None = typer.Option(None, parser=_integer, help=_HELP["budget_calls"]),
    budget_usd: float | None = typer.Option(None, parser=_number, help=_HELP["budget_usd"]),
    stop: str | None = typer.Option(None, metavar="[separated|width=W]", help=_HELP["stop"]),
    round_games: int | None = typer.Option(None, parser=_integer, help=_HELP["round_games"]),
    retry_refused: bool | None = typer.Option(None, "--retry-refused/--no-retry-refused",
                                              help=_HELP["retry_refused"]),
    swap: str | None = typer.Option(None, metavar=_one_of(Swap), help=_HELP["swap"]),
    store: Path | None = typer.Option(None, help=_HELP["store"]),
    out: Path | None = typer.Option(None, help=_HELP["out"]),
    seed: int | None = typer.Option(None, parser=_integer, help=_HELP["seed"]),
    method: str | None = typer.Option(None, metavar=_one_of(Method), help=_HELP["method"]),
    interval: str | None = typer.Option(None, metavar=_one_of(Interval), help=_HELP["interval"]),
    rounds: int | None = typer.Option(None, parser=_integer, help=_HELP["rounds"]),
    confidence: float | None = typer.Option(None, parser=_number, help=_HELP["confidence"]),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help=_HELP["progress"]),
    style_control: bool | None = typer.Option(None, "--style-control/--no-style-control",
                                              help=_HELP["style_control"]),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show the local engine's output (vLLM) live."),
) -> None:
    if config is None and not (questions and answers):
        ctx.fail("nothing to judge: give --questions PATH and --answers PATH, or --config FILE.toml")
    values, flags = flag_values(ctx, _RUN_SETTINGS)
    values.pop("config", None)
    values.pop("verbose", None)
    settings = RunConfig.from_toml(config, values, judge_values_of(values), flags)
    raise typer.Exit(_run_and_show(settings, verbose))


@contextlib.contextmanager
def _judging(settings: RunConfig, out: Path | None, *, verbose: bool, progress: bool,
             priced: bool) -> Iterator[ProgressHooks]:
    """While a judge works: a progress bar (or engine events on stderr), and for a local vLLM engine its
    output (vLLM, torch, transformers) captured to engine.log in `out` (else beside the store), shown live
    only with `verbose` (engines/quiet.py)."""
    from judgebench import present
    from judgebench.engines.quiet import capture_engine_output
    from judgebench.outputs import prepare_directory
    from judgebench.runner import engine_log

    log = engine_log(settings, out)
    if log is not None:
        prepare_directory(log.parent)
    with capture_engine_output(log, verbose) as terminal:
        lines = present.EventLines()
        quiet = present.ProgressHooks(on_event=lambda event: _print_line(terminal.err, lines.line(event)))
        try:
            with (present.progress_display(terminal.err, priced) if progress
                  else contextlib.nullcontext(quiet)) as hooks:
                yield hooks
        finally:
            for line in lines.flush():  # the reports held back last (the progress display flushes its own)
                _print_line(terminal.err, line)


def _print_line(console: Console, line: str | None) -> None:
    """Print `line` whole (a log's reader greps it: the line of what a run read was cut at 80 columns)."""
    if line is not None:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _say_judge(console: Console, settings: RunConfig, gold: Path | None = None) -> None:
    """Before `run` or `diagnose --gold` judges: what, by which judge at which server (`present.run_header`),
    and, for the embedded judge, that it is a demo judge too weak to measure anything."""
    from judgebench import present

    _say_settings_notes(settings, settings.unused_ratings(settings.rating_interval()) if gold is None else [])
    console.print(present.run_header(settings, gold), markup=False, highlight=False, soft_wrap=True)
    if settings.judge.embedded:
        from judgebench.engines.embedded import EMBEDDED_JUDGE_NOTE

        console.print(EMBEDDED_JUDGE_NOTE, style="yellow", markup=False)


def _say_settings_notes(settings: RunConfig, more: Iterable[str] = ()) -> None:
    """On stderr, before a command judges: settings that do nothing (`RunConfig.notes`, and `more`: a run's rating
    settings its ratings do not use, which `check`, rating none of them, names among its own unused settings)."""
    for note in [*settings.notes(), *more]:
        typer.secho(f"note: {note}", fg="yellow", err=True)


def _run_and_show(settings: RunConfig, verbose: bool = False) -> int:
    """`judgebench run`: evaluate with a progress bar, then show the leaderboard and the judge's diagnostics.

    While a local engine judges, its output (vLLM, torch, transformers) goes to engine.log in the output
    directory, or also to the terminal with `verbose`; the bar and status lines go through the capture's
    terminal console (engines/quiet.py).
    """
    from judgebench import present
    from judgebench.engines.quiet import TerminalConsole
    from judgebench.evaluation import evaluate, require_data

    require_data(settings)  # before the judge is named: a file of judge settings alone judges nothing
    console = TerminalConsole()
    _say_judge(console, settings)
    priced = settings.judge.priced
    said: set[str] = set()  # the notes said before judging (the run's notes keep them)
    with _judging(settings, settings.out, verbose=verbose, progress=settings.progress, priced=priced) as hooks:
        try:
            evaluation = evaluate(settings, out=settings.out, on_start=hooks.on_start,
                                  on_progress=hooks.on_progress, on_event=_noting(hooks.on_event, said))
        except Interrupted as stop:  # what was judged is stored: the summary says so, and the exit code
            evaluation = stop.result
    for line in present.run_summary(evaluation):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    _say_kept_notes(evaluation.run.notes, said)
    if evaluation.run.interrupted:
        _say_stopped(evaluation.run)
        return evaluation.exit_code
    if evaluation.leaderboard is not None:
        _show_leaderboard(evaluation.leaderboard, console, summarised=True)
    else:
        typer.secho("no complete pair was judged: nothing to rate", fg="red")
    _print_table(console, present.diagnostics_table(evaluation))
    console.print(present.written_files(evaluation.files.values()), markup=False)
    _say_what_went_wrong(evaluation.diagnostics, evaluation.judgments, "judgments.jsonl",
                         evaluation.settings.max_unparsed_attempts, plan=evaluation.plan is not None)
    return evaluation.exit_code


def _print_table(console: Console, table: Table) -> None:
    """Print `table` as wide as `present.table_room` allows: the terminal's width, or in a log or a pipe every
    cell whole, as the leaderboard is printed (`present.drawn_at`)."""
    from judgebench import present

    console.print(present.drawn_at(table, present.table_room(console)), crop=False)


def _noting(on_event: Callable[[EngineEvent], None] | None, said: set[str]) -> Callable[[EngineEvent], None]:
    """`on_event`, also keeping in `said` the notes it is given (`evaluation.say_notes`), which are not said again
    after the run."""
    def noted(event: EngineEvent) -> None:
        if event.kind == "note":
            said.add(event.message)
        if on_event is not None:
            on_event(event)

    return noted


def _say_kept_notes(notes: list[str], said: Collection[str] = ()) -> None:
    """On stderr, after `run`, `check` or `diagnose --gold` judged: the notes it kept (on its inputs, and on what
    it reused from the store: `runner.Reuse.notes`), but those `said` before it judged."""
    for note in notes:
        if note not in said:
            typer.secho(f"note: {note}", fg="yellow", err=True)


def _say_what_went_wrong(diagnostics: RunDiagnostics, judgments: Any, kept: str, max_unparsed_attempts: int,
                         plan: bool = False) -> None:
    """On stderr, after `run` or `diagnose --gold`: games of a logprob template read from text, games left without
    a verdict (`present.unparsed_games_message`: the judge's token limit, or no verdict in its output, and what a
    rerun does with them, each asked at most `max_unparsed_attempts` times), and a judge that never gave a verdict
    or games that failed, with the most frequent errors (each game's is in `kept`; `plan`: of a plan chosen as it
    goes, `present.retry_advice`)."""
    from judgebench import present

    without_logprobs = present.without_logprobs_message(diagnostics)
    if without_logprobs is not None:
        typer.secho(f"warning: {without_logprobs}", fg="yellow", err=True)
    unparsed = present.unparsed_games_message(diagnostics, judgments, max_unparsed_attempts)
    if unparsed is not None and not diagnostics.no_verdict:
        typer.secho(f"warning: {unparsed}", fg="yellow", err=True)
    if diagnostics.no_verdict:
        typer.secho(f"error: {present.no_verdict_message(diagnostics)}", fg="red", err=True)
    elif diagnostics.n_failed:
        typer.secho(present.failed_games_message(diagnostics, judgments, kept, plan), fg="red", err=True)


def _say_stopped(run: RunResult) -> None:
    """On stderr, that a signal stopped a command that judges, what it stored, the requests it abandoned in flight
    (the server got them: a paid API may bill them) and how to go on; stopped once judging had ended, while the
    results were computed, that nothing is left to judge ("0 of 0 games sent and stored" said of a run that had
    judged every game)."""
    from judgebench.present import abandoned_in_flight, stopped_after_judging

    tally = run.tally
    if run.stopped_after_judging:
        typer.secho(stopped_after_judging(run), fg="yellow", err=True)
        return
    abandoned = f"; {abandoned_in_flight(tally.abandoned, 'by the stop')}" if tally.abandoned else ""
    typer.secho(f"stopped: {tally.done} of {tally.total} games sent and stored{abandoned}; run the same command "
                "again to finish (stored games are not sent again)", fg="yellow", err=True)


def _show_leaderboard(board: Leaderboard, console: Console | None, summarised: bool = False) -> None:
    """The leaderboard table, what its fit adjusted for (style, position: `present.fit_lines`) and an adaptive
    plan's line (unless `summarised`: a run's summary said it), unless `console` is None; and, on stderr, its
    warnings (few questions, an automatic weak ridge...)."""
    from judgebench import present

    if console is not None:
        console.print(present.leaderboard_table(board, present.table_room(console)), crop=False)
        for line in present.fit_lines(board.meta):
            console.print(line, markup=False, highlight=False)
        if board.meta.get("adaptive") and not summarised:  # how the pairs were chosen, and the correction
            console.print(f"Plan: {present.adaptive_summary(board.meta['adaptive'], board)}.", markup=False,
                          highlight=False)
    for warning in board.meta.get("warnings") or []:
        typer.secho(f"warning: {warning}", fg="yellow", err=True)


@app.command(cls=_Command, help="List the judge presets usable with --judge, after checking each value of your "
                                "presets file as a run does (exit 2 naming each bad one).",
             short_help="List the judge presets usable with --judge.")
@reports_errors
def judges(judges_file: Path | None = typer.Option(None, help="Your own presets file (TOML; for run: judges_file "
                                                                  "in [judge]); wins over JUDGEBENCH_JUDGES, as "
                                                                  "judges_file does.")) -> None:
    from judgebench.config import checked_presets, unread_judges_variable
    from judgebench.engines.quiet import TerminalConsole
    from judgebench.present import presets_table

    unread = unread_judges_variable(judges_file, "--judges-file")
    if unread:
        typer.secho(f"note: {unread}", fg="yellow", err=True)
    _print_table(TerminalConsole(), presets_table(checked_presets(judges_file)))


_LEADERBOARD_HELP = ("Rate models from stored or imported judgments: Bradley-Terry, online Elo or win rates, with "
                     "intervals (question bootstrap by default). Writes leaderboard.json/.csv/.md with --out. With "
                     "--results the run's rating settings are the defaults, not those shown.")
_LEADERBOARD_INPUTS = ("extra_files", "store", "alpaca_eval", "outcomes_files", "results", "questions", "answers",
                       "references", "quiet", "lc_weights", "instruction_difficulty")
_BOARD_HELP = {**{name: LeaderboardSettings.help(name) for name in LeaderboardSettings.model_fields},
               "method": LeaderboardSettings.help("method", "Default: the run's with --results, winrate for "
                                                            "AlpacaEval annotations, else bt.").split(" [")[0],
               "seed": LeaderboardSettings.help("seed", "Also of the store's random-one swap policy."),
               **{name: LeaderboardSettings.help(name, "Default: the run's with --results, else off.")
                  for name in ("position_effect", "style_control")}}
# A flag of `leaderboard` that `report` takes too (a report of a store rates its judgments as `leaderboard --store`
# does): one definition.
BaselineFlag = Annotated[str | None, typer.Option(metavar=MODEL, help=_BOARD_HELP["baseline"])]
# The references file a run judged with, beside its questions and answers (`leaderboard --results`, `diagnose`,
# `report`): its reference answers are part of the texts judged, which the judgments are checked against.
ReferencesFlag = Annotated[Path | None, typer.Option(
    metavar=PATH, help="With --questions and --answers: the references file the run judged with (default: the one "
                       "a results folder's leaderboard.json records).")]


def _outcomes_in_one_source(files: list[Path]) -> str:
    """How outcomes given in several files are given as one: arena-hard-auto's judgment files (one per model) by
    their judge's folder, which reads them together; other files put into one."""
    from judgebench.datasets.judgments import is_arena_hard_file

    if not all(is_arena_hard_file(path) for path in files):
        return "put the outcomes into one file (question ids shared by the files then name the same questions)"
    folders = list(dict.fromkeys(path.parent for path in files))
    if len(folders) == 1:
        return (f"these are arena-hard-auto's judgment files, read together from their judge's folder: --outcomes "
                f"{folders[0]} (all its *.jsonl files)")
    return ("these are arena-hard-auto's judgment files, read together from their judge's folder: put them into one "
            "folder and give it, --outcomes FOLDER")


@app.command(cls=_Command, help=_LEADERBOARD_HELP, short_help="Rate stored or imported judgments.")
@reports_errors
def leaderboard(
    ctx: typer.Context,
    extra_files: list[Path] | None = typer.Argument(None, metavar="[FILE...]",
                                                    help="More AlpacaEval annotation files (after --alpaca-eval)."),
    store: Path | None = typer.Option(None, help="A judgebench SQLite store written by `judgebench run`."),
    alpaca_eval: list[Path] | None = typer.Option(None, "--alpaca-eval", metavar=REPEATED_PATH,
                                                  help="AlpacaEval annotation file(s) or a directory of them."),
    outcomes_files: list[Path] | None = typer.Option(None, "--outcomes", metavar=PATH,
                                                     help="Outcomes file (JSONL, CSV, Parquet): question_id, model_a, "
                                                          "model_b, and winner or score_a; or evalica's left, right, "
                                                          "winner (each row its own question); or arena-hard-auto's "
                                                          "judgment files (a file or the judge's folder)."),
    results: Path | None = typer.Option(None, help="A results directory written by `judgebench run --out`: its "
                                                   "judgments rated with the run's settings (flags override them)."),
    questions: Path | None = typer.Option(None, help="With --results, --store or --outcomes: the questions judged "
                                                     "(for style control and the avg length column; "
                                                     "arena-hard-auto's question.jsonl)."),
    answers: list[Path] | None = typer.Option(None, metavar=REPEATED_PATH,
                                              help="With --results, --store or --outcomes: the answers judged, whose "
                                                   "lengths give the avg length column and whose style counts style "
                                                   "control fits (arena-hard-auto's model_answer folder); repeat the "
                                                   "flag."),
    references: ReferencesFlag = None,
    method: str | None = typer.Option(None, metavar=_one_of(Method), help=_BOARD_HELP["method"]),
    interval: str | None = typer.Option(None, metavar=_one_of(Interval), help=_BOARD_HELP["interval"]),
    resample: str | None = typer.Option(None, metavar=_one_of(Resample), help=_BOARD_HELP["resample"]),
    confidence: float | None = typer.Option(None, parser=_number, help=_BOARD_HELP["confidence"]),
    rounds: int | None = typer.Option(None, parser=_integer, help=_BOARD_HELP["rounds"]),
    seed: int | None = typer.Option(None, parser=_integer, help=_BOARD_HELP["seed"]),
    baseline: BaselineFlag = None,
    anchor: str | None = typer.Option(None, metavar=MODEL, help=_BOARD_HELP["anchor"]),
    anchor_rating: float | None = typer.Option(None, parser=_number, help=_BOARD_HELP["anchor_rating"]),
    scale: float | None = typer.Option(None, parser=_number, help=_BOARD_HELP["scale"]),
    k_factor: float | None = typer.Option(None, parser=_number, help=_BOARD_HELP["k_factor"]),
    ties: str | None = typer.Option(None, metavar=_one_of(Ties), help=_BOARD_HELP["ties"]),
    position_effect: bool | None = typer.Option(None, "--position-effect/--no-position-effect",
                                                help=_BOARD_HELP["position_effect"]),
    regularization: float | None = typer.Option(None, parser=_number, help=_BOARD_HELP["regularization"]),
    judge: str | None = typer.Option(None, "--judge-model", "--judge", metavar=MODEL, help=_BOARD_HELP["judge"]),
    template: str | None = typer.Option(None, metavar="<template>", help=_BOARD_HELP["template"]),
    swap: str | None = typer.Option(None, metavar=_one_of(Swap), help=_BOARD_HELP["swap"]),
    latest: bool = typer.Option(False, "--latest", help=_BOARD_HELP["latest"]),
    style_control: bool | None = typer.Option(None, "--style-control/--no-style-control",
                                              help=_BOARD_HELP["style_control"]),
    lc_weights: Path | None = typer.Option(None, help="AlpacaEval's published length-controlled GLM weights "
                                                      "(lc_weights.csv), with --alpaca-eval only: adds lc_win_rate "
                                                      "and lc_win_rate_se."),
    instruction_difficulty: Path | None = typer.Option(None, help="AlpacaEval's instruction_difficulty.csv (needed "
                                                                  "with --lc-weights)."),
    out: Path | None = typer.Option(None, help=_BOARD_HELP["out"]),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the table."),
) -> None:
    from judgebench.datasets.sources import one_source
    from judgebench.engines.quiet import TerminalConsole
    from judgebench.evaluation import rate

    if outcomes_files and len(outcomes_files) > 1:  # a single-valued flag given twice kept the last file only
        raise ConfigError(f"--outcomes takes one file ({len(outcomes_files)} given): "
                          + _outcomes_in_one_source(outcomes_files))
    outcomes = outcomes_files[0] if outcomes_files else None
    if sum(bool(given) for given in (store, alpaca_eval, outcomes, results)) != 1:
        ctx.fail("give exactly one of --store PATH, --alpaca-eval FILE..., --outcomes FILE or --results DIR"
                 + (_source_flag_meant(extra_files) if extra_files and not (store or alpaca_eval or outcomes or results)
                    else ""))
    values, flags = flag_values(ctx, {})
    settings = LeaderboardSettings.from_flags({k: v for k, v in values.items() if k not in _LEADERBOARD_INPUTS},
                                              flags)
    if extra_files and not alpaca_eval:
        raise ConfigError(f"unexpected argument {extra_files[0]} (only --alpaca-eval takes several files)")
    for name in ("judge", "template") if results else ("questions", "answers") if alpaca_eval else ():
        if name in values:
            raise ConfigError(f"{flags[name]} does not go with --results (a run's judge and template are those of "
                              "its judgments)" if results else f"{flags[name]} goes with --results, --store or "
                                                               "--outcomes only (the answers judged: their style "
                                                               "counts for style control, their lengths for the avg "
                                                               "length column)")
    if references is not None and not (results or store):
        raise ConfigError("--references goes with --results or --store (the references file a run judged with, beside "
                          "the --questions and --answers judged)")
    if results and latest:
        raise ConfigError("--latest does not go with --results (a run's folder holds one request per game: --latest "
                          "chooses among a store's)")
    for name in ("judge", "template", "swap", "latest") if outcomes or alpaca_eval else ():  # were ignored silently
        if name in values:
            raise ConfigError(f"{flags[name]} goes with --store only (it chooses and combines a store's games; "
                              f"{'--outcomes' if outcomes else '--alpaca-eval'} gives outcomes already)")
    if results is None:
        kind, source = one_source(store=store, alpaca_eval=[*(alpaca_eval or []), *(extra_files or [])],
                                  outcomes=outcomes)
    if settings.out is not None:
        from judgebench.outputs import prepare_directory

        prepare_directory(settings.out)
    length_control = {"lc_weights": lc_weights, "instruction_difficulty": instruction_difficulty}
    if results is not None:
        board = rate(results, settings, kind="results", questions=questions, answers=answers, references=references,
                     **length_control)
    else:
        # Without --method, rate() chooses: win rates for AlpacaEval annotations with a common baseline, else bt.
        method_given = "method" in settings.model_fields_set
        board = rate(source, settings, kind=kind, method=settings.method if method_given else None,
                     questions=questions, answers=answers, references=references, **length_control)
    _say_unused_ratings(settings, board.meta)
    written = board.write(settings.out) if settings.out is not None else {}
    _show_leaderboard(board, None if quiet else TerminalConsole())
    if written:
        from judgebench.present import written_files

        typer.echo(written_files(written.values()))


def _say_unused_ratings(settings: LeaderboardSettings, meta: Mapping[str, Any]) -> None:
    """On stderr, as `run` notes them: the rating flags given that the method and interval the ratings used (`meta`,
    a leaderboard's) do not use (`leaderboard --interval sandwich --rounds 50`, and `report` alike)."""
    for note in settings.unused_ratings(meta.get("interval"), meta.get("method")):
        typer.secho(f"note: {note}", fg="yellow", err=True)


def _source_flag_meant(paths: list[Path]) -> str:
    """For `leaderboard` given paths without a flag (`leaderboard q/out`): the flag their kind of source takes
    (`sources.source_kind`: a results folder, a store file, an outcomes file, AlpacaEval's JSON files), as a
    question; empty where that is not clear: a path that does not exist, several of different kinds or several
    that only AlpacaEval's flag takes at once, a directory that is not a results folder."""
    import shlex

    from judgebench.datasets.sources import source_kind

    kinds = {source_kind(path) for path in paths if path.exists()}
    if len(kinds) != 1 or not all(path.exists() for path in paths):
        return ""
    kind = kinds.pop()
    if (kind == "alpaca-eval" and not all(path.is_file() for path in paths)) or (kind != "alpaca-eval"
                                                                                 and len(paths) > 1):
        return ""
    flag = {"results": "--results", "store": "--store", "alpaca-eval": "--alpaca-eval", "outcomes": "--outcomes"}[kind]
    return f": did you mean {flag} {shlex.join(map(str, paths))}?"


_CHECK_HELP = ("Regression gate for CI: judge a candidate against a reference model (or against an earlier run) and "
               "exit 0 pass, 1 regression, 2 usage or input error or a judge that cannot be used (its server "
               "unreachable or down), 3 failed games, 4 undecided, 5 the store or an output file could not be "
               "written (what was judged is kept), 70 an internal error (a bug in judgebench), 130 stopped by "
               "Ctrl-C, 143 stopped by SIGTERM, 141 the output was closed before it was all written.")


class _CheckCommand(_Command):
    """`check`'s command. A usage error click finds while it parses the command line (a number that is not one, an
    unknown flag, no --candidate) ends the check before the check's own code runs, which would leave an earlier
    check's files at the --json, --junit and --summary paths given, read as this check's result (a green JUnit
    report on a failed job): they get the error first, as they do for the errors the check finds itself
    (`check.outputs_until_decided`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        given = list(args)
        try:
            return super().parse_args(ctx, args)
        except Exception as error:  # click's UsageError (typer ships its own click): exit code 2
            if getattr(error, "exit_code", None) == EXIT_USAGE:
                _write_usage_error(given, error.format_message())  # type: ignore[attr-defined]
            raise


def _write_usage_error(args: list[str], message: str) -> None:
    """Write the usage error `message` to the output files `args` (check's command line) names, as far as the
    command line can be read, and under GitHub Actions print it as an `::error::`."""
    from judgebench.check import OutputPaths, write_no_decision

    given = {flag: _flag_value(args, flag) for flag in ("--summary", "--junit", "--json", "--candidate", "--reference")}
    paths = OutputPaths.prepare(_written_path(given["--summary"]), _written_path(given["--junit"]),
                                _written_path(given["--json"]))
    if not any(given[flag] for flag in ("--summary", "--junit", "--json")):
        paths = OutputPaths(annotate=paths.annotate)  # no file named: the annotation only
    with contextlib.suppress(JudgebenchError):  # click's message is the one to show
        write_no_decision(paths, given["--candidate"] or "(not given)", given["--reference"], "error",
                          f"error: {message}", EXIT_USAGE, paths.appended)


def _written_path(path: str | None) -> str | None:
    """An output path as check's command line gave it, as the command takes it (`_user_paths_of`), or None where
    it names an environment variable (the usage error may be that one: nothing is written there)."""
    try:
        return user_paths(path)
    except ConfigError:
        return None


def _clear_earlier_outputs(*paths: str | None) -> None:
    """Remove an earlier check's files at the --summary, --junit and --json paths given, before anything else: a
    Ctrl-C or SIGTERM in the seconds before `check.outputs_until_decided` writes this check's state there (while
    the check's modules load) left an earlier check's "pass" to be read as this one's. Files only: a path that
    cannot be written is refused later (`check.OutputPaths.prepare`)."""
    for path in paths:
        if path and path != "-" and Path(path).is_file():
            with contextlib.suppress(OSError):
                Path(path).unlink()


def _flag_value(args: list[str], flag: str) -> str | None:
    """The last value `args` gives `flag` (`--json out.json` or `--json=out.json`), or None."""
    value = None
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(flag + "="):
            value = arg.removeprefix(flag + "=")
    return value


@app.command(cls=_CheckCommand, help=_CHECK_HELP, short_help="Regression gate for CI: is a candidate worse?")
@reports_errors
def check(
    ctx: typer.Context,
    config: Path = typer.Option(..., "--config", "-c", help="TOML config: data, judge, template, swap, store, seed, "
                                                             "progress, [ratings] confidence (the judge, "
                                                             "template and store flags below override it)."),
    candidate: str = typer.Option(..., metavar=MODEL, help="The model under test."),
    reference: str | None = typer.Option(None, metavar=MODEL,
                                         help="The model to compare with; required without --against (with "
                                              "it: a model of that run, needed when it holds several)."),
    against: Path | None = typer.Option(None, help="A results directory written by `judgebench run`."),
    margin: float = typer.Option(0.05, parser=_number, help="Largest acceptable drop in win rate, between 0 and 0.5 "
                                                            "(0.05 = 5 points)."),
    confidence: float | None = typer.Option(None, parser=_number, help="Confidence level of the decision "
                                                                      "[default: the config's [ratings] confidence, "
                                                                      "0.95 unless set]."),
    sequential: bool = typer.Option(False, "--sequential", help="Judge in seeded random batches and stop as soon "
                                                                "as an anytime-valid confidence sequence decides."),
    batch_size: int = typer.Option(50, parser=_integer, help="Questions per batch with --sequential, at least 2."),
    max_questions: int | None = typer.Option(None, parser=_integer, help="Judge at most N questions (a seeded "
                                                                         "sample stratified by category; with "
                                                                         "--sequential, the first N of its order)."),
    fail_on: str = typer.Option("overall", metavar=_one_of(FailOn),
                                help="overall, or any-category (fail when a category regresses)."),
    undecided: str | None = typer.Option(None, metavar=_one_of(Undecided),
                                         help="pass or fail: map undecided (exit 4) to pass (0) or fail (1)."),
    allow_failed: bool = typer.Option(False, "--allow-failed", help="Decide on the complete questions even when "
                                                                    "games failed (else exit 3)."),
    allow_missing: bool | None = typer.Option(None, "--allow-missing/--no-allow-missing",
                                              help=_HELP["allow_missing"]),
    engine: str | None = _ENGINE,
    judge: str | None = _PRESET,
    judge_model: str | None = _JUDGE_MODEL,
    base_url: str | None = _BASE_URL,
    api_key_env: str | None = _API_KEY_ENV,
    concurrency: int | None = _CONCURRENCY,
    on_rate_limit: str | None = _ON_RATE_LIMIT,
    template: str | None = typer.Option(None, metavar="<template>", help=_HELP["template"]),
    store: Path | None = typer.Option(None, help=_HELP["store"]),
    junit: str | None = typer.Option(None, metavar=PATH, help="Write JUnit XML to this file."),
    json_out: str | None = typer.Option(None, "--json", metavar=PATH, help="Write the result as JSON to this file."),
    summary: str | None = typer.Option(None, metavar=PATH, help="Write the Markdown summary to this file."),
) -> None:
    _clear_earlier_outputs(summary, junit, json_out)  # first: the imports below take seconds
    from judgebench.check import (
        CheckOptions,
        OutputPaths,
        markdown_summary,
        outputs_until_decided,
        refuse_batch_size_alone,
        run_check,
        unused_settings,
        write_outputs,
    )

    paths = OutputPaths.prepare(summary, junit, json_out)
    with outputs_until_decided(paths, candidate, reference):  # no file of an earlier check outlives this one
        options = CheckOptions(candidate=candidate, reference=reference, against=against, margin=margin,
                               confidence=confidence, sequential=sequential, batch_size=batch_size,
                               max_questions=max_questions, fail_on=fail_on,  # type: ignore[arg-type]
                               undecided=undecided, allow_failed=allow_failed)  # type: ignore[arg-type]
        options.validate()
        source = ctx.get_parameter_source("batch_size")
        refuse_batch_size_alone(options, given=source is not None and source.name == "COMMANDLINE")
        values, flags = flag_values(ctx, _RUN_SETTINGS)  # the judge, store and template flags of `run`
        judge_values = judge_values_of(values)
        settings = RunConfig.from_toml(config, {key: values[key] for key in ("allow_missing", "template", "store")
                                                if key in values}, judge_values, flags)
        unused = unused_settings(settings)
        if unused:
            typer.secho(f"note: {config}: {unused}", fg="yellow", err=True)
        _say_settings_notes(settings)
        said: set[str] = set()  # the notes said before judging (the report's notes keep them)
        with _judging(settings, None, verbose=False, progress=settings.progress,
                      priced=settings.judge.priced) as hooks:  # progress, waits and retries as `run` shows them
            report = run_check(settings, options, on_start=hooks.on_start, on_progress=hooks.on_progress,
                               on_event=_noting(hooks.on_event, said))
    try:  # files first: a reader that closes the pipe early does not lose them
        write_outputs(report, paths)
    finally:  # the decision and the annotations are shown even when a file cannot be written (exit 5)
        typer.echo(markdown_summary(report))
        for line in paths.annotations(report):
            typer.echo(line)
        _say_kept_notes(report.notes, said)
    raise typer.Exit(report.exit_code)


_DIAGNOSE_HELP = ("Diagnose a judge. On stored judgments (--store DB or --results DIR): position consistency, "
                  "first-slot bias, ties, failures, length bias, self-preference, transitivity, with question-"
                  "clustered intervals. With --gold FILE (JudgeBench or generic labelled pairs) and the judge "
                  "flags of `run`: judge each pair in both orders and score the judge against the labels; "
                  "without --judge, --judge-model or a --config naming a judge, the judge is the embedded "
                  "SmolLM2-135M, a demo judge (vLLM's CPU build: minutes) too weak to measure anything. "
                  "Writes diagnostics.json with --out.")


@app.command(cls=_Command, help=_DIAGNOSE_HELP, short_help="Diagnose a judge: biases, or agreement with gold labels.")
@reports_errors
def diagnose(
    ctx: typer.Context,
    store: Path | None = typer.Option(None, help="A judgebench SQLite store (with --gold: where games are kept)."),
    results: Path | None = typer.Option(None, help="A results directory written by `judgebench run --out`."),
    gold: Path | None = typer.Option(None, help="Gold pairs: JudgeBench JSONL, or JSONL/CSV/Parquet with question, "
                                                "answer_a, answer_b, label (A, B or tie), optional category and "
                                                "source."),
    config: Path | None = typer.Option(None, "--config", "-c", help="TOML config file (the judge, for --gold)."),
    engine: str | None = typer.Option(None, metavar=ENGINES, help="With --gold: judge engine, openai or vllm."),
    judge: str | None = typer.Option(None, metavar="<preset>",
                                     help="With --gold: a judge preset (`judgebench judges`)."),
    judge_model: str | None = typer.Option(None, metavar=MODEL,
                                           help="The judge model (with --store: whose judgments to use)."),
    base_url: str | None = typer.Option(None, metavar=URL,
                                        help="With --gold: base URL of an OpenAI-compatible server."),
    api_key_env: str | None = typer.Option(None, metavar="<variable>",
                                           help="With --gold: environment variable holding the API key."),
    concurrency: int | None = typer.Option(None, parser=_integer, help="With --gold: requests in flight at once."),
    on_rate_limit: str | None = typer.Option(None, metavar=ON_RATE_LIMIT,
                                             help="With --gold: " + _HELP["judge.on_rate_limit"][0].lower()
                                                  + _HELP["judge.on_rate_limit"][1:]),
    template: str | None = typer.Option(None, metavar="<template>",
                                        help="Template (with --store: whose judgments to use; a "
                                             "template file reads them with its verdicts)."),
    latest: bool = typer.Option(False, "--latest", help=_BOARD_HELP["latest"]),
    questions: Path | None = typer.Option(None, help="The questions (for per-category figures); with --answers."),
    answers: list[Path] | None = typer.Option(None, metavar=REPEATED_PATH,
                                              help="The answers (for the length bias; repeat the flag); with "
                                                   "--questions."),
    references: ReferencesFlag = None,
    judge_family: str | None = typer.Option(None, metavar="<text>",
                                            help="Models whose name contains this count as the judge's own."),
    swap: str | None = typer.Option(None, metavar=_one_of(Swap),
                                    help="Swap policy turning games into outcomes: both, consistent or "
                                         "random-one (default: the run's)."),
    seed: int | None = typer.Option(None, parser=_count, help="Seed (random-one swap policy)."),
    confidence: float = typer.Option(0.95, parser=_number, help="Confidence level of the intervals (with --gold "
                                                                "and --config: the file's, unless given)."),
    progress: bool = typer.Option(False, "--progress/--no-progress", help="With --gold: show a progress bar."),
    out: Path | None = typer.Option(None, help="Directory for diagnostics.json."),
) -> None:
    from judgebench import diagnostics, present
    from judgebench.engines.quiet import TerminalConsole

    # Checked as `leaderboard`'s flags are: a bad value is click's usage error, before anything is read.
    LeaderboardSettings.from_flags({k: v for k, v in (("confidence", confidence), ("swap", swap)) if v is not None},
                                   {"confidence": "--confidence", "swap": "--swap"})
    if gold is None:
        _refuse_gold_flags(ctx)
    if out is not None:
        from judgebench.outputs import prepare_directory

        prepare_directory(out)
    if gold is not None:
        if results is not None:
            raise ConfigError("--gold judges anew: give --store (where games are kept), not --results")
        # the gold file holds the questions and both answers of each pair (evaluate_gold judges it in place of
        # any data a config names); a bad value names the flag that gave it, as `run` does
        values, flags = flag_values(ctx, _RUN_SETTINGS)
        unused = [flags[name] for name in ("questions", "answers", "references", "judge_family", "swap", "latest")
                  if name in values]
        if unused:  # they describe stored judgments of models, which gold pairs are not
            raise ConfigError(f"{', '.join(unused)}: not used with --gold, which judges both orders of the gold "
                              "file's pairs (it holds their questions and answers): leave them out")
        judge_values = judge_values_of(values)
        run_values: dict[str, Any] = {key: values[key] for key in ("template", "store", "seed", "confidence")
                                      if key in values}
        settings = RunConfig.from_toml(config, run_values, judge_values, flags)
        raise typer.Exit(_judge_gold(settings, gold, out, progress))
    if store is None and results is None:
        raise ConfigError("nothing to diagnose: give --store PATH or --results DIR (stored judgments), or --gold FILE "
                          "(labelled pairs to judge)")
    from judgebench.evaluation import diagnose as diagnose_judgments

    figures = diagnose_judgments(results=results, store=store, judge=judge_model, template=template, latest=latest,
                                 questions=questions, answers=answers, references=references,
                                 judge_family=judge_family, swap=swap,
                                 seed=seed, confidence=confidence)
    for warning in figures.get("warnings", []):
        typer.secho(f"warning: {warning}", fg="yellow", err=True)
    source = figures.get("provenance") or {}  # which judge: two judges' tables alike were told apart by the file
    typer.echo(f"judge {source.get('judge') or 'unknown'}, template {source.get('template') or 'unknown'}, swap "
               f"policy {source.get('swap') or 'unknown'}")
    _print_table(TerminalConsole(), present.judge_diagnostics_table(figures))
    if out is not None:
        typer.echo(f"wrote {diagnostics.write_diagnostics(figures, out)}")


def _refuse_gold_flags(ctx: typer.Context) -> None:
    """Refuse the flags of `diagnose` that choose the judge --gold calls (a preset, a config file, the engine and
    its server), given without --gold: stored judgments are diagnosed without any judge call, so they were
    ignored without a word (`--judge gpt-4o-mini` diagnosed the store's judge, whichever it was)."""
    values, flags = flag_values(ctx, _RUN_SETTINGS)
    given = [flags[name] for name in values if name == "config" or name.startswith("judge.") and name != "judge.model"]
    if not given:
        return
    chosen = ", and a store's judge is chosen with --judge-model (a model name)" if "judge.preset" in values else ""
    raise ConfigError(f"{', '.join(given)}: for --gold only (judging labelled pairs anew); stored judgments are "
                      f"diagnosed without a judge call{chosen}: leave {'it' if len(given) == 1 else 'them'} out")


def _judge_gold(settings: RunConfig, gold: Path, out: Path | None, progress: bool) -> int:
    """`judgebench diagnose --gold`: judge the labelled pairs, print the games judged, the agreement and the judge's
    figures with the tokens and cost of the calls sent now (as `run` does), write diagnostics.json."""
    from judgebench import diagnostics, present
    from judgebench.engines.quiet import TerminalConsole
    from judgebench.evaluation import evaluate_gold

    console = TerminalConsole()
    _say_judge(console, settings, gold)
    with _judging(settings, out, verbose=False, progress=progress, priced=settings.judge.priced) as hooks:
        try:
            evaluation = evaluate_gold(settings, gold, on_start=hooks.on_start, on_progress=hooks.on_progress,
                                       on_event=hooks.on_event)
        except Interrupted as stop:
            evaluation = stop.result
    run = evaluation.run
    console.print(present.games_line(run, run.config), markup=False, highlight=False, soft_wrap=True)
    _say_kept_notes(run.notes)
    if evaluation.figures is None:  # stopped by a signal: no figures, nothing written
        _say_stopped(run)
        return evaluation.exit_code
    _print_table(console, present.gold_table(evaluation.figures["gold"], present.table_room(console)))
    _print_table(console, present.judge_diagnostics_table(evaluation.figures,
                                                          present.accounting_rows(run.tally, settings.judge.priced)))
    if out is not None:
        console.print(f"wrote {diagnostics.write_diagnostics(evaluation.figures, out)}", markup=False)
    _say_what_went_wrong(evaluation.diagnostics, evaluation.run.judgments, f"the store {settings.store}",
                         settings.max_unparsed_attempts)
    return evaluation.exit_code

_REPORT_HELP = ("Write one self-contained HTML report (leaderboard, plots, judge diagnostics, cost, provenance, a "
                "searchable sample of judgments) and PNG/SVG plots beside it, from --results DIR or --store DB. "
                "No judge calls.")


# The report's ratings flags rate the judgments anew; without them a results folder keeps its run's settings.
_REPORT_DEFAULT = " Default: the run's with --results, else leaderboard's."


@app.command(cls=_Command, help=_REPORT_HELP, short_help="Write a self-contained HTML report.")
@reports_errors
def report(
    ctx: typer.Context,
    out: str = typer.Option(..., metavar=PATH,
                            help="The HTML file to write (FILE.html), plots beside it; a directory (one that "
                                 "exists, or a path ending in / or without a suffix) gets report.html."),
    store: Path | None = typer.Option(None, help="A judgebench SQLite store."),
    results: Path | None = typer.Option(None, help="A results directory written by `judgebench run --out` (or by "
                                                   "`judgebench leaderboard --out`: its leaderboard only)."),
    judge_model: str | None = typer.Option(None, metavar=MODEL, help="With --store: the judge whose judgments to use."),
    template: str | None = typer.Option(None, metavar="<template>",
                                        help="With --store: the template whose judgments to use (a "
                                             "template file reads them with its verdicts)."),
    latest: bool = typer.Option(False, "--latest", help=_BOARD_HELP["latest"]),
    questions: Path | None = typer.Option(None, help="The questions (texts in the judgment browser, "
                                                     "categories); with --answers."),
    answers: list[Path] | None = typer.Option(None, metavar=REPEATED_PATH,
                                              help="The answers (texts, length bias; repeat the flag); with "
                                                   "--questions."),
    references: ReferencesFlag = None,
    judgments_shown: int = typer.Option(200, parser=_count,
                                        help="Pairs shown in the judgment browser (a seeded sample)."),
    seed: int = typer.Option(0, parser=_count, help="Seed of the sample of judgments shown."),
    method: str | None = typer.Option(None, metavar=_one_of(Method),
                                      help=LeaderboardSettings.help("method", "Default: the run's with "
                                                                              "--results, else bt.").split(" [")[0]),
    baseline: BaselineFlag = None,
    interval: str | None = typer.Option(None, metavar=_one_of(Interval),
                                        help=_BOARD_HELP["interval"].split(" [default")[0] + _REPORT_DEFAULT),
    confidence: float | None = typer.Option(None, parser=_number,
                                            help=_BOARD_HELP["confidence"].split(" [default")[0] + _REPORT_DEFAULT),
    rounds: int | None = typer.Option(None, parser=_integer,
                                      help=_BOARD_HELP["rounds"].split(" [default")[0] + _REPORT_DEFAULT),
) -> None:

    from judgebench.evaluation import html_report

    # Checked as `leaderboard`'s flags are: a bad value is click's usage error, before anything is read.
    ratings: dict[str, Any] = {"method": method, "baseline": baseline, "interval": interval,
                               "confidence": confidence, "rounds": rounds}
    settings = LeaderboardSettings.from_flags({k: v for k, v in ratings.items() if v is not None},
                                              {name: f"--{name}" for name in ratings})
    written = html_report(out, results=results, store=store, judge=judge_model, template=template, latest=latest,
                          questions=questions, answers=answers, references=references,
                          judgments_shown=judgments_shown, seed=seed, **ratings)
    _say_unused_ratings(settings, written.meta)
    for warning in written.warnings:
        typer.secho(f"warning: {warning}", fg="yellow", err=True)
    browser = (f"{written.pairs_shown:,} of {written.pairs_total:,} pairs in the judgment browser"
               if not written.imported else f"no judgment browser: {written.source} holds no judgments.jsonl")
    typer.echo(f"wrote {written.html} ({written.size / 1e6:.2f} MB; {browser}) and {2 * len(written.plots)} plots "
               "beside it")


TRACEBACK_VARIABLE = "JUDGEBENCH_TRACEBACK"


def main() -> None:
    """Console-script entry point: click's standalone mode turns usage errors into its message and exit 2.

    Anything else that escapes a command is a bug in judgebench: it ends with exit code 70 (EX_SOFTWARE), not
    Python's 1 (which `check` uses for a regression), and one line naming the exception and the file holding
    its traceback; with JUDGEBENCH_TRACEBACK=1 the traceback is printed on stderr instead.
    """
    try:
        app(prog_name="judgebench")
    except Exception as error:  # click handled its own exceptions; what is left is unexpected
        import os
        import sys
        import tempfile
        import traceback

        from judgebench.errors import EXIT_BUG

        text = traceback.format_exc()
        where = None
        if os.environ.get(TRACEBACK_VARIABLE, "") in ("", "0"):
            with contextlib.suppress(OSError):
                handle, name = tempfile.mkstemp(prefix="judgebench-traceback-", suffix=".txt")
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    file.write(text)
                where = name
        if where is None:
            sys.stderr.write(text)
        summary = f"{type(error).__name__}: {error}".splitlines()[0]
        shown = (f"traceback in {where} ({TRACEBACK_VARIABLE}=1 prints it here)" if where is not None
                 else "traceback above")
        typer.secho(f"error: internal error in judgebench ({summary}); {shown}. This is a bug: please report it "
                    "with the traceback", fg="red", err=True)
        raise SystemExit(EXIT_BUG) from None


if __name__ == "__main__":
    main()

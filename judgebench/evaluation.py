"""The application core behind `judgebench run` and `judgebench leaderboard`: `evaluate` and `rate`.

`evaluate(settings)` loads the questions and answers, judges what the store lacks (runner.run_async),
combines verdicts into outcomes, diagnoses the judge (diagnostics.py), rates (leaderboard.build) and
accounts tokens, cost and provenance. `rate(source)` rates stored or imported judgments, or a run's results
folder again. Both print nothing and write nothing but the store unless asked (`.write(dir)`, or
`evaluate(..., out=dir)`); the CLI calls them and formats what they return, so the CLI's files are exactly
what these write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import time
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgebench.config import command_or_call, expands_paths, how_to_turn_off, named_as_given, names_its_call
from judgebench.diagnostics import RunDiagnostics, average_lengths, diagnose_run, judged_answers
from judgebench.errors import EXIT_FAILED_GAMES, EXIT_OK, ConfigError, InputError, Interrupted, StorageError
from judgebench.leaderboard import (
    FEW_QUESTIONS,
    Leaderboard,
    build,
    check_bootstrap_memory,
    few_questions_warning,
    weighs_questions,
)

if TYPE_CHECKING:
    import pandas as pd

    from judgebench.config import LeaderboardSettings, RunConfig
    from judgebench.datasets.gold import GoldPair
    from judgebench.datasets.sources import Inputs, SourceKind
    from judgebench.engines.base import Engine, EventHandler
    from judgebench.leaderboard import DesignBias
    from judgebench.prompts import Template
    from judgebench.records import Dataset, Pair
    from judgebench.report.build import Report
    from judgebench.runner import ProgressCallback, RunRecording, RunResult, Stopped, StopSignals, Tally
    from judgebench.schedule import Planner, Standing, StopRule


# The options of `rate` besides its source, with the CLI's defaults (`judgebench leaderboard --help`);
# `build` has the same defaults for those it takes.
RATE_DEFAULTS: dict[str, Any] = {
    "method": None, "interval": "bootstrap", "resample": "questions", "confidence": 0.95, "rounds": 1000,
    "seed": 0, "baseline": None, "anchor": None, "anchor_rating": 1000.0, "scale": 400.0, "k_factor": 4.0,
    "ties": "half", "position_effect": False, "regularization": None, "style_control": False,
    "lc_weights": None, "instruction_difficulty": None, "judge": None, "template": None, "swap": "both",
    "latest": False, "design_bias": None,
}


@dataclass
class Evaluation:
    """What `judgebench.evaluate` produced.

    `run` is the runner's record (plan size, games reused from the store, games sent now and their token
    totals); `leaderboard` is None when no pair got a complete verdict; `provenance` says who judged what,
    how, and when. DataFrames: `judgments` (every game of the plan, failed and unparsed included),
    `games` (the ok ones), `outcomes` (one row per pair after the swap policy), `table` (the leaderboard).
    """

    settings: RunConfig
    run: RunResult
    diagnostics: RunDiagnostics
    leaderboard: Leaderboard | None
    provenance: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)  # what `write` wrote last, by file name
    judge_diagnostics: dict[str, Any] = field(default_factory=dict)  # diagnostics.json (diagnostics.diagnose)
    plan: list[list[Pair]] | None = None  # pairs=adaptive/tournament: the pairs chosen, round by round

    def __repr__(self) -> str:
        """A line: what was judged and the leaderboard's line (the settings and DataFrames made 15,000 characters
        for 5 models)."""
        run = self.run
        board = repr(self.leaderboard) if self.leaderboard is not None else "no leaderboard"
        return (f"<Evaluation: {run.planned:,} games planned, {run.reused:,} from the store, {run.tally.calls:,} "
                f"judge calls sent now; exit code {self.exit_code}; {board}>")

    def _repr_html_(self) -> str:
        """The leaderboard's table in a notebook, under the games that failed (exit code 3: `run` says so on the
        terminal) and how to go on, as `run` says it (`present.retry_advice`: "the same evaluation again retries
        them" was wrong of games the judge refused as sent), or why there is no table."""
        from html import escape

        from judgebench.present import counted, retry_advice

        if self.leaderboard is not None:
            failed = self.run.n_failed
            advice = retry_advice(self.run.judgments, plan=self.plan is not None) if failed else ""
            return (f'<p style="color: #b35900"><strong>{counted(failed, "game")} failed</strong> (exit code '
                    f"{self.exit_code}): the leaderboard leaves their pairs out; {escape(advice)}.</p>" if failed
                    else "") + self.leaderboard._repr_html_()
        from judgebench.records import why_unrated

        why = "stopped before rating" if self.run.interrupted else why_unrated(self.run.judgments)
        return f"<p>Evaluation: no leaderboard ({escape(why)}).</p>"

    @property
    def judgments(self) -> pd.DataFrame:
        return self.run.judgments

    @property
    def games(self) -> pd.DataFrame:
        return self.run.games

    @property
    def outcomes(self) -> pd.DataFrame:
        return self.run.combined.outcomes

    @property
    def table(self) -> pd.DataFrame | None:
        return self.leaderboard.table if self.leaderboard is not None else None

    @property
    def prompt_tokens(self) -> int | None:
        """Prompt tokens of the games sent by this evaluation (games found in the store cost nothing); None when
        the judge's server counted no tokens for one of them (`cost_unknown`)."""
        return self.run.tally.known(self.run.tally.prompt_tokens)

    @property
    def completion_tokens(self) -> int | None:
        return self.run.tally.known(self.run.tally.completion_tokens)

    @property
    def cost_usd(self) -> float | None:
        """Cost of the games sent now, when the judge's prices are known and its server counted their tokens
        (a server that reports no usage leaves the cost unknown, not free: `cost_unknown`)."""
        return self.run.tally.cost if self.settings.judge.priced and not self.cost_unknown else None

    @property
    def cost_unknown(self) -> bool:
        """Whether the judge's server answered one of this evaluation's games without counting its tokens."""
        return bool(self.run.tally.unmetered)

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this evaluation (DESIGN.md, "Conventions")."""
        if self.run.interrupted:
            return self.run.stopped_exit_code
        if self.diagnostics.n_failed or self.diagnostics.no_verdict:
            return EXIT_FAILED_GAMES
        return EXIT_OK

    @expands_paths("out_dir")
    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write judgments.jsonl, diagnostics.json (when there are judge diagnostics), plan.jsonl (after an
        adaptive or tournament run) and, when there is a leaderboard, leaderboard.json/.csv/.md into `out_dir`;
        each file atomically. An earlier run's files there that this run does not write are removed (its
        leaderboard, its plan, its diagnostics), so that the folder never shows ratings, a plan or figures the
        judgments beside them do not support. Returns the paths written, by name."""
        from judgebench.diagnostics import DIAGNOSTICS_FILE
        from judgebench.leaderboard import file_paths
        from judgebench.outputs import atomic_open, prepare_directory

        out = prepare_directory(out_dir)
        path = out / "judgments.jsonl"
        with atomic_open(path) as handle:
            for record in self.judgments.to_dict(orient="records"):
                handle.write(json.dumps(_judgment_record(record, self.settings.store), ensure_ascii=False) + "\n")
        paths = {"judgments.jsonl": path}
        if self.judge_diagnostics:
            from judgebench.diagnostics import write_diagnostics

            written = write_diagnostics(self.judge_diagnostics, out)
            paths[written.name] = written
        if self.plan is not None:
            paths["plan.jsonl"] = out / "plan.jsonl"
            with atomic_open(paths["plan.jsonl"]) as handle:
                for number, batch in enumerate(self.plan, start=1):  # numbered as the progress lines number them
                    for pair in batch:
                        handle.write(json.dumps({"round": number, "question_id": pair.question_id,
                                                 "model_a": pair.model_a, "model_b": pair.model_b}) + "\n")
        if self.leaderboard is not None:
            paths.update({p.name: p for p in self.leaderboard.write(out).values()})
        for stale in (*file_paths(out).values(), out / DIAGNOSTICS_FILE, out / "plan.jsonl"):
            if stale not in paths.values():
                stale.unlink(missing_ok=True)
        self.files = paths
        return paths


def _judgment_record(record: dict[str, Any], store: str | Path) -> dict[str, Any]:
    """One judgment of `store` as a JSON object: logprobs decoded (`verdicts.stored_logprobs`: damaged ones are
    an InputError naming the store and the judgment), NaN as null, token counts as integers."""
    from judgebench.verdicts import stored_logprobs

    if record.get("logprobs"):
        record["logprobs"] = stored_logprobs(record["logprobs"], record["key"], store)
    record = {key: (None if isinstance(value, float) and value != value else value) for key, value in record.items()}
    for name in ("prompt_tokens", "completion_tokens"):  # a float column where some are unknown (null)
        if isinstance(record.get(name), float):
            record[name] = int(record[name])
    return record


@expands_paths("out")
def evaluate(settings: RunConfig, *, out: str | Path | None = None, engine: Engine | None = None,
             on_start: ProgressCallback | None = None, on_progress: ProgressCallback | None = None,
             on_event: EventHandler | None = None) -> Evaluation:
    """Judge every planned game the store lacks, then rate the models and diagnose the judge.

    Parameters
    ----------
    settings:
        The run's settings (`judgebench.config.RunConfig`; `load_config` reads them from a TOML file).
    out:
        Where to write the CLI's files (leaderboard.json/.csv/.md, judgments.jsonl). Checked before the
        first judge call, so a path that cannot be written costs nothing; None writes nothing but the store.
    engine:
        A ready judge engine (default: the one `settings.judge` describes, started when a game must be sent).
    on_start, on_progress:
        Called with the runner's running `Tally` when sending starts and as judged games are stored (each
        commit to the store: one game or several at once), for progress bars; its `cost` is None for a judge
        without prices (unknown, not $0). An error of either stops the run as Ctrl-C does (recorded
        'interrupted' in the store, with an adaptive plan so far: `on_start` is called as each round starts) and
        is then raised to the caller.
    on_event:
        Called with the engine's reports (a rate-limit wait, a change of concurrency) as they happen, and
        before any judge call with what the run read (`EngineEvent` of kind `inputs`: the questions' file, the
        format its files were read in, the models) and its notes on its inputs and plan (kind `note`).

    Ctrl-C or SIGTERM once judging has begun, while it lasts or while the ratings are computed, stops the
    evaluation: it raises `errors.Interrupted` (a KeyboardInterrupt, so that a loop of evaluations stops too),
    whose `result` is the Evaluation so far (`run.interrupted`, exit code 130 or 143, no leaderboard); the run
    is recorded 'interrupted' in the store, with every answer received, and nothing is written to `out`
    (`runner.StopSignals`). Stopped while the ratings are computed (an adaptive plan's bias correction), judging
    had ended (`run.stopped_after_judging`): the same call again writes the results without judging, and no
    uncorrected table is written meanwhile.

    Raises
    ------
    JudgebenchError
        `InputError`/`ConfigError` for bad data or settings (before any judge call), `EngineError` for an
        unusable judge, `StorageError` when the store cannot be written. Games already judged stay stored.
    Interrupted
        Ctrl-C or SIGTERM, as above.
    runner.Stopped
        Ctrl-C or SIGTERM before any game was judged (the inputs loading, an adaptive plan choosing its first
        round): a KeyboardInterrupt with the signal as `.signum`, and no result.
    """
    from judgebench.config import require_run_config
    from judgebench.engines.vllm_local import refuse_in_starting_process
    from judgebench.outputs import left_as_found, removed_if_empty
    from judgebench.runner import Stopped, StopSignals, engine_output_logged, run_async, run_coroutine

    refuse_in_starting_process("evaluate")  # a script's top level run again in vLLM's engine process
    settings = require_run_config(settings, "evaluate")
    made_out = out is not None and not os.path.exists(out)  # removed again if nothing is written there (and any
    # path that cannot be looked at is prepare_directory's to refuse: Path.exists raised on a name too long)
    with StopSignals() as signals:  # Ctrl-C or SIGTERM once judging has begun ends the run as an interruption
        try:
            with signals.interruptible(), left_as_found(out, Path(settings.store).parent):  # while the inputs
                # load: `Stopped` at once, before any judge call (an asyncio application's own Ctrl-C handler held
                # the signal back until every game was judged); refused, no empty folders left behind
                template, dataset, notes, planner = _prepare_run(settings, out, on_event)
            with engine_output_logged(settings, out) as shown:  # a local judge's output: to engine.log, the
                # callbacks' to the terminal
                if planner is not None:  # `Stopped` too while the plan chooses its first round
                    result = run_coroutine(judge_in_rounds(planner, settings, dataset, engine, shown(on_start),
                                                           shown(on_progress), shown(on_event), signals))
                else:
                    result = run_coroutine(run_async(settings, dataset, engine=engine, on_progress=shown(on_progress),
                                                     on_start=shown(on_start), on_event=shown(on_event),
                                                     stop_signals=signals))
        except Stopped:  # before any game was judged: no result, and no output folder this call made
            if made_out and out is not None:
                removed_if_empty(out)
            raise
        result = replace(result, notes=[*notes, *result.notes])
        evaluation: Evaluation | None = None
        if not result.interrupted:
            try:
                with signals.interruptible():  # rating: an adaptive plan's replays take up to a minute
                    evaluation = _evaluation(settings, dataset, template, result, planner, on_event)
            except Stopped as stopped:  # no results, and the run 'interrupted'; the plan keeps why it stopped
                result = _stopped_after_judging(settings, result, stopped)
            except _RatingFailed as failed:  # the judgments are stored: the results folder gets them too
                if out is not None:
                    _write_results(failed.evaluation, out)
                    if on_event is not None:
                        from judgebench.engines.base import EngineEvent

                        on_event(EngineEvent("stage", f"the judgments are written to {Path(out) / 'judgments.jsonl'}"
                                                      ", without a leaderboard: rating them failed"))
                raise
        if evaluation is None:
            evaluation = _evaluation(settings, dataset, template, result, planner, on_event)
    if out is not None and not result.interrupted:
        _write_results(evaluation, out)
    if planner is not None and (evaluation.leaderboard is not None or not evaluation.games.empty):
        _record_plan(settings, evaluation, on_event)
    if result.interrupted:
        if made_out and out is not None:  # "nothing written to out": not even the folder checked before judging
            removed_if_empty(out)
        result.raise_callback_error()
        raise Interrupted(evaluation, result.stopped_by)
    return evaluation


def require_data(settings: RunConfig, what: str = "judge") -> tuple[Path, list[Path]]:
    """The questions and answers of a run's (or, `what` = "check", a check's) settings; refused for settings of
    a judge alone (as `evaluate_gold` takes them), which judge nothing: `run` asks before it names the judge,
    `evaluate` and `gate` before any folder or judge call."""
    from judgebench.config import how_to_set

    if settings.questions is None or not settings.answers:
        raise ConfigError(f"nothing to {what}: set questions and answers ({how_to_set('questions', 'PATH')}, "
                          f"{how_to_set('answers', 'PATH')})")
    return settings.questions, settings.answers


def _prepare_run(settings: RunConfig, out: str | Path | None,
                 on_event: EventHandler | None) -> tuple[Template, Dataset, list[str], Planner | None]:
    """What `evaluate` refuses before its first judge call (folders it cannot write, the inputs, settings the data
    cannot serve), and what it judges: the template, the dataset, the notes on the inputs and an adaptive or
    tournament run's plan (said through `on_event`, and kept in the run's notes) and its planner. What was read
    is said through `on_event` too (an `inputs` event), before the notes."""
    from judgebench.datasets import load_dataset
    from judgebench.engines.base import EngineEvent
    from judgebench.outputs import prepare_directory
    from judgebench.present import inputs_line
    from judgebench.prompts import load_template

    questions, answers = require_data(settings)
    if out is not None:
        prepare_directory(out)
    prepare_directory(Path(settings.store).parent, "store's directory")
    template = load_template(settings.template)
    with named_as_given(settings):  # the trial's note names [data] first_n as given
        dataset = load_dataset(questions, answers, format=settings.format,
                               allow_missing=settings.allow_missing, models=settings.models,
                               references=settings.references, baseline=settings.baseline, first_n=settings.first_n)
    check_reference_models(settings, dataset)
    check_models_to_compare(settings, dataset)
    check_reference_answers(template, dataset, settings.references, settings.first_n)
    if weighs_questions(settings.method, settings.rating_interval(), settings.resample):
        check_bootstrap_memory(settings.rounds, len(dataset.questions))
    if settings.style_control:
        check_style_counts(dataset)
    planner = make_planner(settings, dataset) if settings.pairs in ("adaptive", "tournament") else None
    if on_event is not None:
        on_event(EngineEvent("inputs", inputs_line(settings, dataset)))
    notes = [*_baseline_added(settings), *input_notes(settings, template, dataset),
             *_family_unmatched(settings, dataset)]
    if planner is not None:
        notes += [*_unbounded_stop_notes(planner), *_small_budget_notes(planner),
                  *_other_plan_notes(planner, settings, template.name)]
    say_notes(notes, on_event)
    return template, dataset, notes, planner


def _write_results(evaluation: Evaluation, out: str | Path) -> None:
    """Write a run's results into `out` (`Evaluation.write`). A file that cannot be written, or a folder no
    more a folder, stops the command (exit code 5) saying that the judgments are stored, so that the same
    command again only writes the files; the run is recorded 'failed' in the store, as the command ends (it
    was recorded 'finished' once judged)."""
    from judgebench.store import Store

    try:
        evaluation.write(out)
    except (StorageError, ConfigError) as error:  # ConfigError: the folder replaced by a file since it was checked
        store = evaluation.settings.store
        if evaluation.run.run_id is not None:
            with suppress(StorageError), Store(store, busy_timeout_s=2.0) as db:
                db.mark_run_failed(evaluation.run.run_id)
        raise StorageError(f"{error}; every judgment is stored in {store}, so the same command again asks the "
                           "judge for none of them") from None


def _record_plan(settings: RunConfig, evaluation: Evaluation, on_event: EventHandler | None) -> None:
    """Record an adaptive or tournament run's plan in the store, by the games it rated (`Store.record_plan`),
    so that `leaderboard --store` and `report --store` apply its design-bias correction as the run did. An
    interrupted run records its plan so far, without a correction (it was not estimated): the store's ratings of
    its judgments then say they are uncorrected, until the same command finishes the plan and records it; it
    never replaces the record of a run that finished the same games (a rerun that sent nothing, stopped while
    correcting the ratings). The judgments are stored already: a store that cannot take the record costs only
    that, and the run says so."""
    from judgebench.engines.base import EngineEvent
    from judgebench.store import Store

    judgments, adaptive = evaluation.judgments, evaluation.provenance["adaptive"]
    if evaluation.leaderboard is not None:
        meta = evaluation.leaderboard.meta
        rated = {name: meta.get(name) for name in ("method", "interval")}  # how the run rated them, plan aside
    else:  # interrupted: how it would have rated them, with no correction
        rated = {"method": settings.method, "interval": settings.rating_interval()}
        adaptive = {**adaptive, "design_bias": None, "uncorrected": "interrupted"}
    try:
        with Store(settings.store) as db:
            db.record_plan(str(judgments["judge"].iloc[0]), str(judgments["template"].iloc[0]), evaluation.games,
                           {"adaptive": adaptive, **rated, "swap": settings.swap}, evaluation.run.run_id,
                           replace=evaluation.leaderboard is not None)
    except (StorageError, InputError) as error:
        if on_event is not None:
            on_event(EngineEvent("stage", "warning: the plan could not be recorded in the store, so `judgebench "
                                          "leaderboard --store` will rate these judgments without its correction (the "
                                          f"results folder has it): {str(error).splitlines()[0]}"))


def _stopped_after_judging(settings: RunConfig, result: RunResult, stopped: Stopped) -> RunResult:
    """A run whose judging ended but whose results a signal stopped (`runner.StopSignals.interruptible`): marked
    stopped by that signal after judging (`RunResult.stopped_after_judging`: every game it judged is stored, and
    the same command again computes the results without judging them), and recorded 'interrupted' in the store
    when it sent games (the runner recorded it 'finished')."""
    from judgebench.runner import RunRecording

    if result.run_id is not None:
        _record_end(settings, RunRecording(result.run_id, started=True), "interrupted", result.tally,
                    result.planned)
    return replace(result, stopped_by=stopped.signum, stopped_after_judging=True)


def _run_diagnostics(dataset: Dataset, template: Template, result: RunResult) -> RunDiagnostics:
    """How the run's judge behaved (`diagnose_run`), for `run` and `diagnose --gold` alike."""
    from judgebench.prompts import token_limit

    combined = result.combined
    # of the pairs left out (`runner`: every planned pair without an outcome), those with a verdict in some order
    # (`combine`: n_pairs counts the pairs with one)
    left_with_a_verdict = combined.n_pairs - len(combined.outcomes)
    return diagnose_run(combined.outcomes, result.judgments, n_inconsistent=combined.n_inconsistent,
                        n_incomplete=combined.n_incomplete, skipped=dict(dataset.skipped),
                        markers=tuple(template.verdicts), logprobs=template.kind == "logprob",
                        token_limit=token_limit(result.config.sampling(template)),
                        n_without_verdict=combined.n_incomplete - left_with_a_verdict)


def _evaluation(settings: RunConfig, dataset: Dataset, template: Template, result: RunResult,
                planner: Planner | None, on_event: EventHandler | None) -> Evaluation:
    """The evaluation of a run's judgments: the run's diagnostics and provenance and, unless it was stopped, the
    judge's diagnostics and the leaderboard (with an adaptive plan's design-bias correction)."""
    diagnostics = _run_diagnostics(dataset, template, result)
    evaluation = Evaluation(settings, result, diagnostics, None, _provenance(settings, dataset, template, result))
    if not result.interrupted and not result.judgments.empty:
        evaluation.judge_diagnostics = _judge_diagnostics(settings, dataset, result)
    if planner is not None:
        evaluation.plan = planner.chosen_rounds
        evaluation.provenance["adaptive"] = {**planner.report(), **_refused_entry(result.judgments)}
    if not result.interrupted and not result.combined.outcomes.empty:
        outcomes = result.combined.outcomes
        if settings.style_control:
            outcomes = with_style_counts(outcomes, dataset)
        started = time.monotonic()
        bias, uncorrected = _design_bias(settings, planner, outcomes, on_event)
        if planner is not None:  # None: not corrected, and why (summary line; README, "Honest intervals")
            evaluation.provenance["adaptive"]["design_bias"] = None if bias is None else {
                "replays": bias.replays, "elo": dict(bias.shift),  # full precision: a refit gives run's numbers
                "seconds": round(time.monotonic() - started, 1)}
            evaluation.provenance["adaptive"]["uncorrected"] = uncorrected
        try:
            evaluation.leaderboard = build(
                outcomes, games=result.games, design_bias=bias, answer_lengths=average_lengths(dataset, outcomes),
                **{**settings.build_options(), "interval": settings.rating_interval(), **_reference(settings)},
                meta={**evaluation.provenance, **diagnostics.to_meta(), "prompt_tokens": evaluation.prompt_tokens,
                      "completion_tokens": evaluation.completion_tokens, "cost_usd": evaluation.cost_usd})
        except (ConfigError, InputError) as error:  # what was judged is stored: say so, since the run ends here
            raise _RatingFailed(f"{error}. {_kept_for_rating(settings.store)}", evaluation) from None
        unrated = unrated_models_warning(evaluation.provenance["adaptive"], outcomes) if planner is not None else None
        if unrated is not None:
            evaluation.leaderboard.meta["warnings"].append(unrated)
    return evaluation


class _RatingFailed(ConfigError):
    """A run's judgments that could not be rated (`_evaluation`), with the evaluation without a leaderboard, so
    that `evaluate` writes the results folder (judgments.jsonl, diagnostics) before the error ends the run: a
    rating failure stored the judgments but wrote no folder, whose `judgebench leaderboard --results` rates them."""

    def __init__(self, message: str, evaluation: Evaluation):
        super().__init__(message)
        self.evaluation = evaluation


def _refused_entry(judgments: pd.DataFrame) -> dict[str, Any]:
    """meta.adaptive's record of the plan's games the judge refused as sent, which the plan went on without
    (`judge_in_rounds`): how many (`games_refused`) and the judge's server's most frequent message about them
    (`refused_because`, None when none was refused)."""
    from judgebench.records import refusals, refused_games

    said = Counter(refusals(judgments)).most_common(1)
    return {"games_refused": refused_games(judgments), "refused_because": said[0][0] if said else None}


def _kept_for_rating(store: str | Path) -> str:
    """What a run that judged its games and then could not rate them says after the error, which names the
    change that rates them (fewer rounds, ties counted half, no style control): where its judgments are kept, and
    that the same command (or call) with that change rates them without judging them again. The same run is the
    one way that rates them as the run would: a `judgebench leaderboard --store` line once suggested here left
    out the run's judge, template and baseline (another judge in the store, and it failed; else it rated them
    centred on the mean), and "running the command again" unchanged fails the same way."""
    again = command_or_call("the same command", "the same call")
    return f"The judgments are kept in {store}: {again} with that change rates them without judging them again"


def check_reference_models(settings: RunConfig, dataset: Dataset) -> None:
    """Refuse, before any judge call, a baseline or anchor that is not one of the models judged, with what works.
    Where every model of the answers is judged (no `models` chosen), the name has no answers in the files given,
    which the message names: its file was forgotten, or the name is a typo, proposed only for a near-miss
    (`suggest_model`; 'did you mean gpt-4-0613' once answered a forgotten gpt-4-0314 file). Leaving the setting
    out is proposed only where the run does without it: not the baseline of pairs baseline or method winrate
    ('needs a baseline model' answered it)."""
    from judgebench.config import setting_name, suggest_model

    for setting in ("baseline", "anchor"):
        name = getattr(settings, setting)
        if name is None or name in dataset.models:
            continue
        judged = ", ".join(dataset.models)
        typo = suggest_model(name, dataset.models)
        if settings.models is None:
            given = ", ".join(str(path) for path in settings.answers or [])
            problem = f"has no answers in the answers given ({given}, which hold {judged}){typo}"
            fixes = [f"add its answers file or folder to {setting_name('answers')}",
                     f"set {setting_name(setting)} to one of the models there"]
        else:
            problem = f"is not one of the models judged ({judged}){typo}"
            fixes = [f"set {setting_name(setting)} to one of them"]
        if setting == "anchor" or (settings.pairs != "baseline" and settings.method != "winrate"):
            fixes.append("leave it out")
        advice = fixes[0] if len(fixes) == 1 else f"{', '.join(fixes[:-1])}, or {fixes[-1]}"
        # a near-miss ends in its question: the advice is a sentence of its own ("did you mean 'x'?: add" read badly)
        raise ConfigError(f"{setting} '{name}' {problem}{' If not, ' if typo else ': '}{advice}")


def check_reference_answers(template: Template, dataset: Dataset, references: str | Path | None,
                            first_n: int | None) -> None:
    """Refuse, before any judge call, a template that shows the judge reference answers when no question it shows
    them for has one: every prompt would say that none is available. Questions its plain counterpart judges (those
    the format's rule shows no reference, `Question.judged_without_reference`) need none and are left out, so a run
    of only those is not refused (MT-Bench's first questions are writing). Where a references file was given
    (`references`), the message says it was read and gives none of the questions judged (the first `first_n` of the
    file, when cut) a reference: it asked for the file already given. Where the format's rule set their references
    aside (a template without a plain counterpart), the message names that rule: giving them in the file cannot
    help."""
    from judgebench.config import how_to_set, setting_name
    from judgebench.datasets import reference_rule

    shown = [question for question in dataset.questions.values()
             if not (question.judged_without_reference and template.plain is not None)]
    if not template.uses_reference or not shown or any(question.reference for question in shown):
        return
    instead = f"set {setting_name('template')} to a template without references (pairwise-5)"
    if any(question.judged_without_reference for question in shown):
        raise ConfigError(f"template '{template.name}' judges with reference answers, but none of the "
                          f"{len(shown)} questions judged is shown one: {reference_rule(dataset.format)}; {instead}")
    if references is None:
        raise ConfigError(f"template '{template.name}' judges with reference answers, but none of the "
                          f"{len(dataset.questions)} questions has one: give them with "
                          f"{how_to_set('references', 'FILE')} (FastChat's reference_answer rows, or rows in the "
                          f"answers' format) or a `reference` field in the questions file, or {instead}")
    judged = (f"the first {len(dataset.questions)} questions ({how_to_set('first_n', str(first_n))})"
              if first_n is not None else f"the {len(dataset.questions)} questions")
    more = f"judge more questions ({setting_name('first_n')}), " if first_n is not None else ""
    raise ConfigError(f"template '{template.name}' judges with reference answers, but none of {judged} has one: the "
                      f"references file {references} ({setting_name('references')}) was read, and gives none of them "
                      f"a reference answer; {more}give their reference answers in that file, or {instead}")


def input_notes(settings: RunConfig, template: Template, dataset: Dataset) -> list[str]:
    """What the user should know about the inputs of a run or a check (names alike, the answers' files and
    folders, reference answers), found while they load."""
    return [*_names_alike(dataset.models), *dataset.notes, *reference_answer_notes(settings, template, dataset)]


def _family_unmatched(settings: RunConfig, dataset: Dataset) -> list[str]:
    """A run's note that its judge family names none of the models judged: self-preference, which it marks, is
    then not measured (the diagnostics showed null without a word; a typo looks the same as a judge apart)."""
    from judgebench.config import setting_name
    from judgebench.diagnostics import self_models

    family = settings.judge_family
    if family is None or self_models(dataset.models, None, family):
        return []
    return [f"{setting_name('judge_family')} '{family}' is in no judged model's name, so no self-preference is "
            "measured (it marks the models whose name contains it)"]


def _baseline_added(settings: RunConfig) -> list[str]:
    """A run's note that it judges the baseline though the models setting does not name it
    (`datasets.select_models` adds it): it judges, and pays for, one model more than named. Not `check`'s: it
    judges its own two models."""
    from judgebench.config import setting_name

    if settings.models is None or settings.baseline is None or settings.baseline in settings.models:
        return []
    return [f"the baseline {settings.baseline} is judged with the models named ({setting_name('models')})"]


def say_notes(notes: list[str], on_event: EventHandler | None) -> None:
    """Report `notes` as `note` events, before any judge call: printed after the run, a note that the inputs are
    not what the user meant came when every judgment was paid for."""
    from judgebench.engines.base import EngineEvent

    if on_event is not None:
        for note in notes:
            on_event(EngineEvent("note", note))


def reference_answer_notes(settings: RunConfig, template: Template, dataset: Dataset) -> list[str]:
    """Notes for questions a reference-guided template judges without a reference answer, and for reference
    answers given to a template that does not show them (they would go unused without a word)."""
    from judgebench.datasets import reference_rule

    if not template.uses_reference:
        if settings.references:
            return [f"the reference answers of {settings.references} are not used: template '{template.name}' does "
                    "not show the judge reference answers (pairwise-5-reference does)"]
        held = sum(1 for question in dataset.questions.values() if question.reference)
        return [f"{held} of {len(dataset.questions)} questions have a reference answer, which template "
                f"'{template.name}' does not show the judge (pairwise-5-reference does: FastChat's MT-Bench judge "
                "shows theirs for math, reasoning and coding questions)"] if held else []
    lacking = [question for question in dataset.questions.values() if not question.reference]
    plain = [question for question in lacking if question.judged_without_reference and template.plain is not None]
    lacking = [question for question in lacking if question not in plain]
    notes = []
    if plain and template.plain is not None:
        notes.append(f"{len(plain)} of {len(dataset.questions)} questions are judged with template "
                     f"'{template.plain.name}', without a reference answer: {reference_rule(dataset.format)}")
    if lacking:
        rule = (f"; {reference_rule(dataset.format)}" if any(question.judged_without_reference for question in lacking)
                else "")
        notes.append(f"{len(lacking)} of {len(dataset.questions)} questions have no reference answer: template "
                     f"'{template.name}' judges them without one (their prompts say none is available){rule}")
    return notes


def _names_alike(models: list[str]) -> list[str]:
    """A note naming models whose names differ only in case, surrounding spaces or Unicode normalization
    ('ALPHA-7b', 'alpha-7b '; 'modèle' written with one code point or with 'e' and a combining accent, which print
    alike): they are judged and ranked as different models, which an export that changed a name makes by mistake.
    They are not merged: which name is meant is the user's to say."""
    groups: dict[str, list[str]] = {}
    for model in models:
        groups.setdefault(unicodedata.normalize("NFKC", model).strip().casefold(), []).append(model)
    alike = [" and ".join(_shown_name(name) for name in names) for names in groups.values() if len(names) > 1]
    if not alike:
        return []
    return [f"the models {'; '.join(alike)} differ only in case, spaces or Unicode normalization, and are judged "
            "as different models; if they are one model, give its answers one name"]


def _shown_name(name: str) -> str:
    """A model name quoted, and when not ASCII also with its code points escaped: names that differ only in Unicode
    normalization print alike, their escapes do not ('mod\\xe8le', 'mode\\u0300le')."""
    return repr(name) if name.isascii() else f"{name!r} ({ascii(name)})"


def check_models_to_compare(settings: RunConfig, dataset: Dataset) -> None:
    """Refuse, before any judge call, answers of fewer than two models: no game can be planned (an adaptive
    plan failed inside its first round; other pairings judged nothing and said so only after starting)."""
    from judgebench.config import setting_name

    if len(dataset.models) < 2:
        models = f"only {dataset.models[0]}" if dataset.models else "none"
        chosen = f"{setting_name('models')} chose {models}" if settings.models else f"they answer {models}"
        raise ConfigError(f"nothing to compare: the answers give one model to judge ({chosen}); a judge compares "
                          "two models' answers, so give answers of at least two models")


def _reference(settings: RunConfig) -> dict[str, str | None]:
    """The leaderboard's baseline and anchor. The baseline's win-rate columns need every model judged against
    it on every question, which `pairs = "baseline"` and `"all"` plan (`BASELINE_PAIRS`); with other pairings
    the baseline still anchors the ratings (at anchor_rating) unless `anchor` names another model, or unless the
    budget ended the plan before it was compared (`leaderboard.build` then centres them, and says why)."""
    from judgebench.config import BASELINE_PAIRS

    if settings.pairs in BASELINE_PAIRS:
        return {"baseline": settings.baseline, "anchor": settings.anchor}
    return {"baseline": None, "anchor": settings.anchor or settings.baseline}


def _design_bias(settings: RunConfig, planner: Planner | None, outcomes: pd.DataFrame,
                 on_event: EventHandler | None) -> tuple[DesignBias | None, str | None]:
    """The bias an adaptive or tournament plan put into the Bradley-Terry ratings (`schedule.design_bias`), or
    None and why (a key of `present.UNCORRECTED`): for a plan that judged every pair ("complete": nothing was
    chosen, so there is no bias, and replays would only add their Monte Carlo noise), for ratings other than
    plain Bradley-Terry ("method": the replays fit only ties as half a win with no position effect and no style
    control), for a plan that ended before it had compared every model ("unrated"), and for one whose
    maximum-likelihood ratings do not exist ("no_ratings": the ratings are the weak ridge's placeholders, and
    replays judged by them measure the ridge: a 64-call plan of 12 models was "corrected" by up to 232 Elo). None
    and None for other runs. `on_event` hears that the replays began (a `stage` event): with many models they take
    up to a minute after the last judgment."""
    from judgebench.engines.base import EngineEvent
    from judgebench.leaderboard import DesignBias
    from judgebench.schedule import BIAS_REPLAYS, design_bias

    if planner is None:
        return None, None
    if planner.calls >= planner.calls_all_pairs:
        return None, "complete"
    if not DesignBias.applies_to(settings.method, settings.ties, settings.position_effect, settings.style_control):
        return None, "method"
    if planner.last is None:  # no standing to replay from: the replays are not announced, then skipped
        return None, "unrated"
    if not planner.last.ratings_exist:
        return None, "no_ratings"
    if on_event is not None:
        on_event(EngineEvent("stage", f"correcting the ratings for the plan's bias: {BIAS_REPLAYS} replays of "
                                      f"the plan ({planner.calls:,} calls each, no judge calls)"))
    bias = design_bias(planner, outcomes)
    return bias, None if bias is not None else "unrated"


def _judge_diagnostics(settings: RunConfig, dataset: Dataset, result: RunResult) -> dict[str, Any]:
    """Every judge diagnostic with its interval (diagnostics.json); `judge_family` marks the judge's own
    models for self-preference when the settings have it."""
    from judgebench import diagnostics

    lengths, categories = diagnostics.dataset_facts(dataset)
    own = diagnostics.self_models(dataset.models, settings.judge.model, settings.judge_family)
    return diagnostics.diagnose_judgments(result.judgments, swap=settings.swap, seed=settings.seed,
                                          confidence=settings.confidence, lengths=lengths, categories=categories,
                                          own_models=own, provenance={"interval": settings.interval})


# Style-control covariates (ratings.counts.STYLE_COUNTS) from each answer's metadata (datasets.fields).
_STYLE_METADATA = {"tokens": "n_tokens", "headers": "n_headers", "lists": "n_list_items", "bold": "n_bold"}


def check_style_counts(dataset: Dataset, judged: set[tuple[str, str]] | None = None) -> None:
    """Refuse style control, before any judge call, when some answer (of those `judged`, (question_id, model);
    default: all) has no token count (n_tokens)."""
    missing = sorted({model for (question_id, model), answer in dataset.answers.items()
                      if "n_tokens" not in answer.metadata and (judged is None or (question_id, model) in judged)})
    if missing:
        raise ConfigError(f"style control needs each answer's token count, and the answers of "
                          f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} give no n_tokens "
                          f"(arena-hard-auto's token_len): add it to the answers files, or rate without style control "
                          f"({how_to_turn_off('style_control')})")


def with_style_counts(outcomes: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """The outcomes with the per-answer style counts (tokens_a, headers_a, ..., and _b) that style control fits;
    an InputError when an answer judged is missing from `dataset`, a ConfigError when one gives no token count."""
    outcomes = outcomes.copy()
    judged = judged_answers(outcomes)
    missing = sorted(judged - set(dataset.answers))
    if missing:
        raise InputError(f"style control needs the style counts of every answer judged, and the answers files have "
                         f"no answer of {missing[0][1]} to question {missing[0][0]} ({len(missing)} judged answers "
                         "missing): give the answers files that were judged")
    check_style_counts(dataset, judged)
    for side in ("a", "b"):
        answers = [dataset.answers[(q, m)].metadata for q, m in zip(outcomes["question_id"], outcomes[f"model_{side}"],
                                                                     strict=True)]
        for column, key in _STYLE_METADATA.items():
            outcomes[f"{column}_{side}"] = [float(metadata.get(key, 0)) for metadata in answers]
    return outcomes


def _unbounded_stop_notes(planner: Planner) -> list[str]:
    """A run with a stopping rule and no budget may judge every pair: a target the judgments cannot reach (too few
    questions for `width=W`, models too close to separate) costs all pairs."""
    from judgebench.config import how_to_set, setting_name

    if planner.stop is None or planner.budget_calls is not None or planner.budget_usd is not None:
        return []
    whole = "every question's whole bracket" if planner.strategy == "tournament" else "every pair"
    return [f"{how_to_set('stop', str(planner.stop))} without a budget: the run may judge {whole} "
            f"({planner.calls_at_most:,} calls) if the target is not reached; set {setting_name('budget_calls')} or "
            f"{setting_name('budget_usd')} to cap it"]


def _small_budget_notes(planner: Planner) -> list[str]:
    """A budget of calls that cannot compare every model once (a model never compared has no rating, and 10 calls
    for 12 models left 6 off the leaderboard without a word), or that is odd while both orders of a pair are
    judged together (its last call is not used)."""
    from judgebench.config import how_to_set
    from judgebench.schedule import step_noun

    budget = planner.budget_calls
    if budget is None:
        return []
    notes = []
    if budget % planner.calls_per_pair:
        notes.append(f"{how_to_set('budget_calls', str(budget))} is odd, and both orders of a pair are judged "
                     f"together, so its last call is not used: the plan makes at most "
                     f"{budget - budget % planner.calls_per_pair:,} calls")
    needed = planner.calls_to_compare_all()
    if needed is not None and budget < needed:
        notes.append(f"{how_to_set('budget_calls', str(budget))} cannot compare every model: the first "
                     f"{step_noun(planner.strategy)} compares all {len(planner.design.models)} models in "
                     f"{needed:,} calls, and a model left out has no rating and is not on the leaderboard; a budget "
                     f"of {needed:,} calls or more compares every model")
    return notes


def unrated_models_warning(plan: Mapping[str, Any], outcomes: pd.DataFrame) -> str | None:
    """The leaderboard's warning naming the models of an adaptive or tournament plan that have no outcome, and so
    no rating and no row (None when every model has one): a budget too small to compare every model left them
    out without a word. `plan` is the plan's meta `adaptive` entry (`Planner.report`), the run's or the one its
    results folder records, so a refit says it too; None when it does not name the models (a folder written
    before plans recorded them). What compares them: the budget `Planner.calls_to_compare_all` gave, when a
    budget of calls stopped the plan."""
    from judgebench.errors import first_few

    planned = plan.get("models") or []
    rated = set(outcomes["model_a"]) | set(outcomes["model_b"])
    missing = [model for model in planned if model not in rated]
    if not missing:
        return None
    one = len(missing) == 1
    why = (f"the budget ended before {'it was' if one else 'they were'} compared"
           if (plan.get("stopped_by") or "").startswith("budget") else f"none of {'its' if one else 'their'} games "
           "has a verdict")
    needed = plan.get("calls_to_compare_all") if plan.get("stopped_by") == "budget_calls" else None
    more = f"; a budget of {needed:,} calls or more compares every model" if needed else ""
    has, they, are = ("has", "it has", "is") if one else ("have", "they have", "are")
    return (f"{len(missing)} of the {len(planned)} models {has} no outcome in this plan ({first_few(missing, 6)}): "
            f"{why}, so {they} no rating and {are} not on this leaderboard{more}")


def _recorded_plans(settings: RunConfig, template: str) -> list[dict[str, Any]]:
    """The store's plans of this judge and template, the latest first (`Store.plans`); none without a store that
    can be read."""
    from judgebench.store import Store

    if not Path(settings.store).is_file():
        return []
    with suppress(StorageError), Store(settings.store, must_exist=True, reading=True) as db:
        return db.plans(settings.judge.name, template)
    return []


def _other_plan_notes(planner: Planner, settings: RunConfig, template: str) -> list[str]:
    """A run that continues none of the store's plans of this judge, template, strategy and seed is a new plan,
    said when the store holds that plan with another seed (`_other_seed_notes`: --seed 1 on a store of the seed-0
    plan sent 302 new calls of 400 without a word), or when it differs from the latest plan of its seed: its data
    has models or questions that plan did not (566 paid judgments fell out of a plan when a model was added,
    without a word; data with fewer is another experiment, `_other_design_notes`), or its rounds take another size
    (`_other_round_size_notes`). A plan the store holds besides the latest (a rerun of a plan after another
    experiment) is continued, with nothing to say."""
    recorded = [plan for plan in _recorded_plans(settings, template) if plan.get("strategy") == planner.strategy]
    plans = [plan for plan in recorded if plan.get("seed") == planner.seed]
    if any(_continues(planner, plan) for plan in plans):
        return []
    other_seeds = [plan for plan in recorded if plan.get("seed") is not None and _continues(planner, plan)]
    if other_seeds:
        return _other_seed_notes(planner, other_seeds[0])
    if not plans:
        return []
    last = plans[0]
    if last.get("calls_all_pairs") != planner.calls_all_pairs:  # another design: models or questions
        return _other_design_notes(planner, last)
    if last.get("games_per_round") not in (None, planner.games_per_round):
        return _other_round_size_notes(planner, last)
    return []


def _continues(planner: Planner, plan: dict[str, Any]) -> bool:
    """Whether `planner` is the recorded `plan` (of its strategy and seed) going on: the same design (the same
    models and questions where recorded, else as many calls for all pairs) in rounds of the same size."""
    design = planner.calls_all_pairs == plan.get("calls_all_pairs") and (
        plan.get("models") is None or (list(plan["models"]) == list(planner.design.models)
                                       and plan.get("questions") == len(planner.design.questions)))
    return design and plan.get("games_per_round") in (None, planner.games_per_round)


def _other_design_notes(planner: Planner, last: dict[str, Any]) -> list[str]:
    """A run whose data adds models or questions to those of the store's latest plan (`last`, the same strategy
    and seed) is a new plan: the rounds choose other pairs from the first on, so the plan's judgments are reused
    only where they are chosen again. A plan recorded before its models were is compared by its calls for all
    pairs alone, and data with fewer calls for all pairs is another experiment on part of the data."""
    from judgebench.errors import first_few

    models, questions = planner.design.models, len(planner.design.questions)
    before, asked = last.get("models"), last.get("questions")
    added = [model for model in models if before is not None and model not in before]
    if (before is not None and not added and questions <= (asked or 0)) or (
            before is None and planner.calls_all_pairs < (last.get("calls_all_pairs") or 0)):
        return []  # fewer models or questions: another experiment on part of the data, not that plan continued
    removed = [model for model in before or [] if model not in models]
    changes = ([f"models added: {first_few(added, 6)}"] if added else []) + (
        [f"models left out: {first_few(removed, 6)}"] if removed else []) + (
        [f"{questions:,} questions instead of {asked:,}"] if asked is not None and asked != questions else [])
    what = "; ".join(changes) or (f"all pairs take {planner.calls_all_pairs:,} calls instead of "
                                  f"{last['calls_all_pairs']:,}")
    return [f"the data differs from the store's last {planner.strategy} plan of this judge and template ({what}), "
            "so this is a new plan, which chooses its pairs anew from the first round (stored games chosen again "
            "are reused, the others stay out of it)"]


def _other_round_size_notes(planner: Planner, last: dict[str, Any]) -> list[str]:
    """A run whose plan takes rounds of another size than the store's latest plan of this judge, template,
    strategy, seed and design (`last`) is a new plan: the rounds choose other pairs, so a rerun meant to continue
    that plan (another `round_games`, or another engine's default) would not."""
    from judgebench.config import how_to_set
    from judgebench.schedule import step_noun

    step = step_noun(planner.strategy)
    return [f"the store's last {planner.strategy} plan of this judge and template took {step}s of "
            f"{last['games_per_round']:,} games and this one takes {planner.games_per_round:,}, so it is a new "
            f"plan, which chooses other pairs (games chosen again are reused from the store); "
            f"{how_to_set('round_games', str(last['games_per_round']))} continues that one"]


def _other_seed_notes(planner: Planner, plan: dict[str, Any]) -> list[str]:
    """A run whose seed is not that of the store's latest plan of the same judge, template, strategy, data and
    rounds (`plan`) is a new plan: the seed chooses the pairs of every round (and a tournament's brackets), so
    another seed, meant perhaps for the bootstrap alone, pays for the games it chooses anew."""
    from judgebench.config import how_to_set

    return [f"the store's {planner.strategy} plan of this judge, template, data and rounds has seed {plan['seed']} "
            f"and this run's seed is {planner.seed}, so it is a new plan, which chooses other pairs (games chosen "
            f"again are reused from the store); {how_to_set('seed', str(plan['seed']))} continues that one"]


def _toward_stop(stop: StopRule, last: Standing) -> str:
    """How far an adaptive plan's standing is from its stopping rule, for the progress line ("--stop width=400:
    widest interval 512 Elo"): without it a user could not tell how far off the stop was."""
    from judgebench.config import how_to_set
    from judgebench.present import NO_RATINGS_YET

    rule = how_to_set("stop", str(stop))
    if not last.ratings_exist:
        return f"{rule} not reached: {NO_RATINGS_YET}"
    found = last.precision()
    if stop.kind == "separated":
        return f"{rule}: {found['adjacent_separated']} of {found['adjacent_pairs']} adjacent pairs separated"
    return f"{rule}: widest interval {found['widest_interval']:.0f} Elo"


def make_planner(settings: RunConfig, dataset: Dataset) -> Planner:
    """The planner of an adaptive or tournament run with these settings."""
    from judgebench.schedule import Design, Planner, games_per_round, parse_stop

    return Planner(Design.of(dataset), settings.pairs,  # type: ignore[arg-type]
                   settings.round_games or games_per_round(settings.judge.engine, len(dataset.models)),
                   seed=settings.seed, calls_per_pair=1 if settings.swap == "random-one" else 2,
                   budget_calls=settings.budget_calls, budget_usd=settings.budget_usd,
                   stop=parse_stop(settings.stop) if settings.stop else None, confidence=settings.confidence)


async def judge_in_rounds(planner: Planner, settings: RunConfig, dataset: Dataset, engine: Engine | None,
                          on_start: ProgressCallback | None, on_progress: ProgressCallback | None,
                          on_event: EventHandler | None = None, signals: StopSignals | None = None) -> RunResult:
    """Judge the planner's rounds until it stops: the runner sends what the store lacks of each round's new
    pairs, and the outcomes so far choose the next round. One engine serves every round, and the rounds are
    one run in the store's runs table. Each round plans, sends and reads only its own games, so a round
    costs the same early and late in a long run. Returns the whole plan's result (`runner.merge_rounds`).

    `signals` (`runner.StopSignals`, installed by the caller for the whole run): Ctrl-C or SIGTERM at any point,
    while a round is sent or between rounds, ends the run as an interruption after the rounds judged so far
    (before any round, `Stopped` goes on to the caller)."""
    import pandas as pd

    from judgebench.present import plan_budget
    from judgebench.records import OUTCOME_COLUMNS, count_calls_once
    from judgebench.runner import (
        RunRecording,
        StopSignals,
        added_cost,
        build_engine,
        merge_rounds,
        new_tally,
        plan_cost,
        run_async,
    )
    from judgebench.schedule import step_noun
    from judgebench.store import Store

    signals = signals or StopSignals()  # not entered: it keeps no signal, and the runner's handling alone applies
    own_engine = engine is None
    engine = engine or build_engine(settings.judge, on_event)
    sent, recording = new_tally(settings.judge), RunRecording()
    rounds: list[RunResult] = []
    status = ""  # the round's, beside the progress bar: set as it starts

    def run_so_far(tally: Tally) -> Tally:
        """The round's tally (a copy) with the run's tokens and cost so far in place of the round's, for the
        progress line: a budget is the run's, and the round's own figures hid what the run had spent."""
        shown = replace(tally, status=status)
        for name in ("prompt_tokens", "completion_tokens", "unmetered"):
            setattr(shown, name, getattr(sent, name) + getattr(tally, name))
        shown.cost = added_cost(sent.cost, tally.cost)
        return shown

    def started(tally: Tally) -> None:
        nonlocal status
        top = ", ".join(planner.last.models[:3]) if planner.last is not None else "not yet rated"
        status = (f"{step_noun(planner.strategy)} {planner.chosen} · {planner.calls} calls planned"
                  f"{plan_budget(planner)} · top: {top}")
        if planner.stop is not None and planner.last is not None:
            status += f" · {_toward_stop(planner.stop, planner.last)}"
        if on_start is not None:
            on_start(run_so_far(tally))

    def progressed(tally: Tally) -> None:
        if on_progress is not None:
            on_progress(run_so_far(tally))

    async def judge_round(batch: list[Pair]) -> RunResult:
        """Judge a round, and ask its unparsed games again (up to `max_unparsed_attempts` in all) before the
        next round is chosen: a rerun would re-ask them and, with their new verdicts, choose differently. Games
        the judge refused as sent are not asked again, this run's or (unless `retry_refused`) an earlier run's:
        the plan goes on without them, as the run that met them did."""
        result = await run_async(settings, dataset, engine=engine, on_start=started, on_progress=progressed,
                                 pairs=batch, recording=recording, stop_signals=signals, keep_refused=True)
        sent.add(result.tally)
        for _ in range(settings.max_unparsed_attempts - 1):
            if result.interrupted or not result.n_unparsed or result.n_failed > result.n_refused:
                break  # failed games (but those refused as sent) end the run here, and asking the round again
                # would send them again at once, after the engine's own retries
            again = await run_async(settings, dataset, engine=engine, on_start=started, on_progress=progressed,
                                    pairs=batch, recording=recording, stop_signals=signals, keep_refused=True)
            sent.add(again.tally)
            if not again.tally.done and not again.interrupted:  # none left to ask: they used their attempts
                break
            # the games asked again are counted, so that games sent can pass games planned with a reason shown;
            # what the round reused is the last call's (it reads the whole round from the store), but the games
            # judged before with another prompt were counted among those the first call sent
            reuse = again.reuse and replace(again.reuse, other_versions=result.reuse.other_versions
                                            if result.reuse else 0)
            result = replace(again, reused=result.reused, asked_again=result.asked_again + again.asked_again,
                             reuse=reuse, notes=reuse.notes() if reuse else [])
        return result

    ended = "failed"  # how the run ends, as the store records it (`status` is the progress line's)
    try:
        outcomes, cost, estimated = pd.DataFrame(columns=OUTCOME_COLUMNS), 0.0, Counter[str]()
        counted: set[str] = set()  # keys whose call `cost` holds: a later round's game of one of them is free
        try:
            while True:
                with signals.interruptible():  # the planner's choice: a signal raises Stopped at once
                    batch = planner.next_round(outcomes)
                if not batch and rounds:
                    break
                result = await judge_round(batch)
                rounds.append(result)
                judged = count_calls_once(result.judgments, counted)
                # every attempt of the round's calls as the store keeps it, this run's and earlier runs' alike: a
                # rerun that replays the plan counts what this run counts (`plan_cost`)
                spent = plan_cost(judged, settings.judge)
                cost += spent.usd
                estimated.update(spent.estimated)
                counted.update(judged["key"])
                planner.paid(cost, dict(estimated), spent.dearest_pair)
                if not result.combined.outcomes.empty:
                    outcomes = pd.concat([outcomes, result.combined.outcomes], ignore_index=True)
                if result.interrupted or not batch:
                    break
                if result.n_failed > result.n_refused:  # the next round would be chosen without these verdicts,
                    planner.stopped_by = "failed games"  # and a rerun that retries them with them: the plans would
                    break  # part (games the judge refused as sent are not asked again: the plan goes on without)
        except KeyboardInterrupt as interrupt:  # Stopped between rounds: the run ends as an interruption during
            if not rounds:  # a round does (before any round, the interrupt goes on to the caller)
                raise
            rounds[-1] = replace(rounds[-1], stopped_by=getattr(interrupt, "signum", signal.SIGINT))
        planner.settle(outcomes)
        if rounds[-1].interrupted:
            planner.stopped_by = "interrupted"
        ended = "interrupted" if rounds[-1].interrupted else "finished"
    finally:
        try:
            _record_end(settings, recording, ended, sent, sum(r.planned for r in rounds))
        finally:
            if own_engine:
                await engine.aclose()
    with Store(settings.store) as store:
        runs = store.runs([key for r in rounds for key in r.judgments["key"]])
    return merge_rounds(rounds, sent, runs)


def _record_end(settings: RunConfig, recording: RunRecording, status: str, tally: Tally, planned: int) -> None:
    """Record in the store's runs table how a run that sent games ended, with its counts (`tally`: the games it
    sent; `planned`: its plan's games); a store that cannot be written or is locked leaves the run 'running'."""
    from judgebench.store import Store

    if recording.started:
        with suppress(StorageError), Store(settings.store, busy_timeout_s=2.0) as store:
            recording.finish(store, status, {**tally.run_counts(settings.judge.priced), "planned": planned})


# The meta a run records about its judging, not its ratings (`_provenance`, the tokens and cost, the games'
# counts of `diagnostics.RunDiagnostics.to_meta`): a refit of its judgments keeps them (`report.inputs.refit`).
RUN_PROVENANCE = ("engine", "sampling", "pairs", "questions", "questions_file", "questions_in_file", "first_n",
                  "input_format", "references_format", "references_file", "models",
                  "games_planned", "games_reused", "games_shared", "runs", "created_at", "template_sha256",
                  "questions_sha256", "answers_sha256", "prompt_tokens", "completion_tokens", "cost_usd",
                  "games_failed", "games_unparsed", "games_at_token_limit", "pairs_incomplete", "pairs_inconsistent",
                  "skipped_questions")


def _provenance(settings: RunConfig, dataset: Dataset, template: Template, result: RunResult) -> dict[str, Any]:
    """Who judged what and how: recorded in leaderboard.json's meta (`sampling`: the judge's sampling parameters,
    which with the template and the texts make each game's key, so `report.inputs.unjudged_texts` can check later
    that the answers given with the run are the ones judged; `references_file`: the references file's absolute path,
    whose reference answers are part of those texts, read again by `report.inputs.judged_texts` (only where the
    template shows them: an unused file is no part of what was judged); the questions file
    (absolute, as `references_file`), and how many questions it holds when `first_n` judged fewer, which the
    report shows)."""
    return {**run_fingerprint(settings, dataset, template),
            "answers_sha256": {model: answers_sha256(dataset, model) for model in dataset.models},
            "engine": settings.judge.engine,
            "sampling": settings.sampling(template),
            "pairs": settings.pairs, "questions": len(dataset.questions), "input_format": dataset.format,
            **({"questions_file": str(Path(settings.questions).resolve())} if settings.questions is not None else {}),
            **({"references_format": dataset.references_format} if dataset.references_format else {}),
            **({"references_file": str(Path(settings.references).resolve())}
               if settings.references and template.uses_reference else {}),
            **({"first_n": settings.first_n, "questions_in_file": dataset.questions_in_file}  # a trial's cut
               if settings.first_n is not None else {}),
            "models": list(dataset.models), "games_planned": result.planned,
            "games_reused": result.reused, "games_shared": result.shared, "runs": result.runs,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def run_fingerprint(settings: RunConfig, dataset: Dataset, template: Template) -> dict[str, str]:
    """What identifies a run's measurement, recorded in leaderboard.json's meta; a check made `--against` the
    run must share it: judge, template, swap policy, and
    SHA-256 hashes of the template's text and of the question set (ids and turns). `run` records these in
    leaderboard.json's meta; a check compares them with its own."""
    question_set = json.dumps(sorted((q.question_id, list(q.turns)) for q in dataset.questions.values()))
    return {"judge": settings.judge.name, "template": template.name, "swap": settings.swap,
            "template_sha256": template.content_hash,
            "questions_sha256": hashlib.sha256(question_set.encode()).hexdigest()}


def answers_sha256(dataset: Dataset, model: str) -> str:
    """SHA-256 of `model`'s answers (question ids and turns), recorded for each model of a run
    (`meta.answers_sha256`): a check `--against` the run judges its candidate against the baseline's answers as
    they are now, and compares the result with the run's games against the baseline's answers as they were, so
    the two must be the same answers (by model, as a refit may rate the run with another baseline)."""
    answers = sorted((answer.question_id, list(answer.turns)) for (_, name), answer in dataset.answers.items()
                     if name == model)
    return hashlib.sha256(json.dumps(answers).encode()).hexdigest()


@expands_paths("source", "questions", "answers", "references", "lc_weights", "instruction_difficulty")
def rate(source: Any, settings: Any = None, *, kind: SourceKind | None = None, questions: str | Path | None = None,
         answers: str | Path | Sequence[str | Path] | None = None, references: str | Path | None = None,
         **options: Any) -> Leaderboard:
    """Rate models from stored or imported judgments, with the `judgebench leaderboard` command's defaults.

    Parameters
    ----------
    source:
        A results folder written by `judgebench run --out` (or `evaluate(...).write`), rated as `judgebench
        leaderboard --results` rates it (`_rate_results`); a judgebench store (SQLite file), AlpacaEval
        annotation files (a `.json` file, a directory of them, or a list), an outcomes file (JSONL, CSV or
        Parquet: question_id, model_a, model_b, and winner or score_a), or outcomes already in memory (a pandas
        DataFrame, a pyarrow Table, or a list of rows as dicts).
    settings:
        Optional object whose attributes named like the options below give their values (a `RunConfig`,
        or the leaderboard settings), or a dict of options; keyword options override it. A `RunConfig` rates
        as its run did: the baseline gives win rates only for `pairs = "baseline"` or `"all"` and otherwise
        anchors the ratings, and adaptive and tournament runs get their sandwich intervals unless they set one.
    kind:
        "results", "store", "alpaca-eval" or "outcomes"; detected from the path when None
        (`judgebench.datasets.sources.source_kind`).
    questions, answers:
        The questions and answers judged, for a results folder (the run's questions and answer files), a store or
        outcomes (arena-hard-auto's question.jsonl and model_answer folder), matched to the judgments by question id
        and model: their lengths give the avg length column, and under style control (a style-controlled run's, or
        style_control=True) their style counts are what it fits (for outcomes without the count columns, such as
        arena-hard-auto's judgment files: `_with_judged_texts`).
        A results folder's or a store's texts are checked against its judgments (a warning when they are not
        those judged: `report.inputs.unjudged_texts`).
    references:
        With a results folder's or a store's questions and answers: the references file its run judged with (a
        results folder's default: the one its leaderboard.json records, `report.inputs.judged_texts`), so that
        questions judged with a reference answer are rebuilt as they were judged.
    **options:
        method ("bt" | "elo" | "winrate"; default winrate for AlpacaEval annotations with a common baseline,
        else bt), interval, resample, confidence, rounds, seed, baseline, anchor, anchor_rating, scale,
        k_factor, ties, position_effect, regularization (None: plain maximum likelihood, or a weak ridge
        noted in the meta when it does not exist), design_bias (a `leaderboard.DesignBias`: an adaptive run's
        correction, as its leaderboard.json records it under meta.adaptive.design_bias), lc_weights and
        instruction_difficulty (AlpacaEval's published GLM weights and instruction difficulties, files or
        tables, for length-controlled win rates of AlpacaEval annotations only), and, for a store, judge,
        template, swap and latest (rate each game judged by more than one request by its latest judgment:
        `store.latest_judgments`). Defaults:
        RATE_DEFAULTS, the same as the CLI's.

    Examples
    --------
    >>> board = judgebench.rate("battles.parquet")          # doctest: +SKIP
    >>> board.table.head(); board.write("results/")          # doctest: +SKIP
    """
    from judgebench.config import how_to_set
    from judgebench.datasets.sources import load_inputs, source_kind

    if source is None or (isinstance(source, list | tuple) and not source):  # one_source's message names flags
        raise ConfigError("rate() needs something to rate: a results folder, a store, AlpacaEval annotation files, "
                          "an outcomes file, or outcomes (a DataFrame or a list of rows)")
    if isinstance(settings, Mapping):  # options in a dict (they were ignored): as keywords, which win
        options, settings = {**settings, **options}, None
    if isinstance(source, list | tuple) and source and all(isinstance(row, Mapping) for row in source):
        import pandas as pd

        source = pd.DataFrame(list(source))  # outcome rows (they were taken for AlpacaEval file names)
    _check_source(source, kind)
    if kind is None:
        kind = source_kind(source)
    _check_length_control_source(kind, _given_options(settings, options, ["lc_weights", "instruction_difficulty"]))
    if kind == "results":
        return _rate_results(Path(source), settings, options, questions, answers, references)
    if references is not None and (kind not in ("store",) or questions is None):
        raise ConfigError("references (the reference answers a run judged with) go with a results folder's or a "
                          "store's questions and answers")
    if (questions is not None or answers is not None) and kind == "alpaca-eval":
        raise ConfigError("questions and answers (the answers judged: their style counts for style control, their "
                          "lengths for the avg length column) go with a results folder, a store or outcomes")
    chosen = _rate_options(settings, options)
    store_only = [name for name in _STORE_OWN if chosen[name] != RATE_DEFAULTS[name]]
    if kind != "store" and store_only:  # they were ignored without a word, where the command line refuses them
        raise ConfigError(f"{', '.join(store_only)}: {'goes' if len(store_only) == 1 else 'go'} with a store only "
                          "(choosing and combining its games); "
                          + ("AlpacaEval annotations give" if kind == "alpaca-eval" else "an outcomes table gives")
                          + " outcomes already")
    where: dict[str, Any] = {"store": None, "alpaca_eval": None, "outcomes": None}
    if kind == "alpaca-eval":
        where["alpaca_eval"] = _as_list(source)
    else:
        where[kind] = source
    inputs = load_inputs(**where, swap=chosen["swap"], seed=chosen["seed"], baseline=chosen["baseline"],
                         judge=chosen["judge"], template=chosen["template"], latest=chosen["latest"])
    method = chosen["method"] or ("winrate" if inputs.kind == "alpaca-eval" and inputs.baseline else "bt")
    design_bias, plan = _store_plan_correction(inputs.plan, chosen, method)
    interval = chosen["interval"]
    if (inputs.plan is not None and inputs.plan.get("method") == method and inputs.plan.get("interval")
            and not _given_options(settings, options, ["interval"])):
        interval = inputs.plan["interval"]  # as the adaptive run that chose these judgments rated them
    outcomes, lengths, texts_warnings = (_with_judged_texts(inputs, chosen["style_control"], questions, answers,
                                                            references)
                                         if inputs.kind != "alpaca-eval" else (inputs.outcomes, None, []))
    board = build(outcomes, inputs.games, method=method, interval=interval, answer_lengths=lengths,
                  style_control=chosen["style_control"], **_length_control(chosen),
                  resample=chosen["resample"], confidence=chosen["confidence"], rounds=chosen["rounds"],
                  seed=chosen["seed"], baseline=inputs.baseline, anchor=chosen["anchor"],
                  anchor_rating=chosen["anchor_rating"], scale=chosen["scale"], k=chosen["k_factor"],
                  ties=chosen["ties"], position_effect=chosen["position_effect"],
                  regularization=chosen["regularization"], design_bias=design_bias, source=inputs.source,
                  rows_as_questions=inputs.rows_as_questions,
                  meta={"source": inputs.kind, "source_path": inputs.source if _names_files(source) else None,
                        "judge": chosen["judge"], "template": chosen["template"],
                        "swap": chosen["swap"] if inputs.kind == "store" else None, **inputs.provenance, **plan,
                        **({"latest": inputs.latest} if inputs.latest is not None else {})})
    board.meta["warnings"] += inputs.warnings + texts_warnings  # how the source and the texts given were read
    unrated = unrated_models_warning(inputs.plan["adaptive"], inputs.outcomes) if inputs.plan is not None else None
    if unrated is not None:  # the judgments of a plan that left models out: as the run's leaderboard said
        board.meta["warnings"].append(unrated)
    if inputs.rows_as_questions:
        from judgebench.datasets.judgments import rows_as_questions_warning

        board.meta["warnings"].append(rows_as_questions_warning(board.meta["interval"], board.meta["resample"]))
    if inputs.kind == "alpaca-eval" and chosen["method"] is None and inputs.baseline is None:
        board.meta["warnings"].append(f"the annotations compare the models with more than one baseline, and "
                                      f"AlpacaEval's win rates are against one: the ratings are Bradley-Terry's "
                                      f"(give {how_to_set('baseline', 'MODEL', option=True)} for win rates against "
                                      "it, where every model met it)")
    if inputs.kind != "alpaca-eval" and board.meta.get("self_pairs_dropped"):  # AlpacaEval's baseline file has them
        from judgebench.present import counted

        board.meta["warnings"].append(f"{counted(board.meta['self_pairs_dropped'], 'outcome')} of a model against "
                                      "itself left out (a file with them is refused: a model compared with itself "
                                      "is usually a mislabelled row)")
    return board


def _with_judged_texts(inputs: Inputs, style_control: bool, questions: str | Path | None,
                       answers: str | Path | Sequence[str | Path] | None, references: str | Path | None = None
                       ) -> tuple[pd.DataFrame, dict[str, float] | None, list[str]]:
    """A store's or an outcomes table's outcomes with what the answers judged tell of them (`questions` and
    `answers`, read as `load_judged_texts` reads them: arena-hard-auto's model_answer folder and its token_len, or
    any answers format), as a run's texts tell of its own: the style counts that style control fits
    (`with_style_counts`, under style control only), so that arena-hard-auto's judgments are style-controlled as its
    own leaderboard is without count columns computed by hand; each model's mean answer length, the avg length
    column, as a run measures it (`diagnostics.average_lengths`; None without the texts); and the warnings on texts
    that are not those judged (a store's games are rebuilt from them and their keys compared,
    `report.inputs.unjudged_texts`, as for a results folder, with the `references` its games were judged with;
    outcomes keep no keys: the answers the files lack).

    Under style control, answers for outcomes that carry count columns of their own are refused (one of the two sets
    of counts would be ignored), and neither says what to give."""
    from judgebench.config import setting_name
    from judgebench.datasets import load_judged_texts
    from judgebench.ratings.counts import STYLE_COUNTS

    outcomes = inputs.outcomes
    texts = f"{setting_name('questions', option=True)} and {setting_name('answers', option=True)}"
    own = [f"{name}_{side}" for side in ("a", "b") for name in STYLE_COUNTS if f"{name}_{side}" in outcomes]
    if questions is None and answers is None:
        if style_control and inputs.kind == "store":
            raise ConfigError(f"style control (asked for with {setting_name('style_control', option=True)}) needs each "
                              "answer's style counts, which a store does not keep (it keeps judgments, not answers): "
                              "give the judged answers' texts (" + command_or_call(
                                  "--questions FILE --answers FILE",
                                  "`judgebench.rate(STORE, questions=FILE, answers=FILE, style_control=True)`") + ")")
        if style_control and not own:
            raise ConfigError(f"style control needs each answer's style counts: give the judged answers' texts "
                              f"({texts}; arena-hard-auto's question.jsonl and model_answer folder) or the outcomes' "
                              "columns tokens_a, headers_a, lists_a, bold_a and the same with _b")
        return outcomes, None, []
    if style_control and own:
        raise ConfigError(f"the outcomes carry style counts of their own ({', '.join(own)}), and {texts} would "
                          "replace them: give one or the other")
    dataset = load_judged_texts(questions, answers, references)
    assert dataset is not None  # questions and answers, together (load_judged_texts refuses one alone)
    lengths = average_lengths(dataset, outcomes)
    if style_control:
        outcomes = with_style_counts(outcomes, dataset)
    if inputs.kind == "store":
        from judgebench.report.inputs import RunData, unjudged_texts

        warning = unjudged_texts(RunData(inputs.judgments, inputs.source), dataset)
    else:
        warning = _answers_missing(outcomes, dataset)
    return outcomes, lengths, [warning] if warning else []


def _answers_missing(outcomes: pd.DataFrame, dataset: Dataset) -> str | None:
    """A warning when the answers files lack some answer `outcomes` judged (their models' avg length is then that of
    the answers found), else None."""
    judged = judged_answers(outcomes)
    missing = judged - set(dataset.answers)
    if not missing:
        return None
    question, model = min(missing)
    return (f"{len(missing):,} of the {len(judged):,} judged answers are missing from the files given (for example "
            f"{model}'s answer to question {question}): the avg length column leaves them out")


def _names_files(source: Any) -> bool:
    """Whether a source of `rate` is files (a path, or a list of paths) rather than a table in memory."""
    return isinstance(source, (str, Path)) or (isinstance(source, (list, tuple)) and
                                               all(isinstance(item, (str, Path)) for item in source))


def _check_length_control_source(kind: str, given: dict[str, Any]) -> None:
    """Refuse AlpacaEval's length-control weights for a source other than AlpacaEval's annotations. The
    length-controlled win rates are the predictions of AlpacaEval's GLM, fitted to its own judge's annotations of
    its models: they are computed from the weights and the instruction difficulties alone (the judgments given
    choose only the questions), so beside a run's, a store's or an outcomes file's judgments they were AlpacaEval's
    judge's figures ranking another judge's table, and a model without published weights (any model judged here
    first) was listed below the baseline, unranked, with no word on the terminal."""
    from judgebench.config import setting_name

    if given and kind != "alpaca-eval":
        names = " and ".join(setting_name(name, option=True) for name in given)
        source = {"results": "a results folder", "store": "a store", "outcomes": "an outcomes table"}[kind]
        annotations = command_or_call("--alpaca-eval FILE...", "kind='alpaca-eval'")
        raise ConfigError(
            f"{names} {'goes' if len(given) == 1 else 'go'} with AlpacaEval annotations only ({annotations}), "
            f"not {source}: the "
            "length-controlled win rates are the predictions of AlpacaEval's GLM, fitted to its judge's "
            "annotations of its models, and come from the weights alone (the judgments choose only the questions), "
            "so beside other judgments they would show AlpacaEval's judge's preferences, not this judge's, and no "
            "figure for a model AlpacaEval has not published weights for")


def _check_source(source: Any, kind: str | None) -> None:
    """Refuse, in Python terms, a `kind` that is not one, and a source that no kind reads: a list of anything but
    paths or rows (dicts), or data in memory named as a file's kind (they ended in pathlib's TypeError)."""
    from typing import get_args

    from judgebench.config import suggest
    from judgebench.datasets.sources import SourceKind

    kinds = get_args(SourceKind)
    if kind is not None and kind not in kinds:
        raise ConfigError(f"kind: expected one of {', '.join(kinds)}, or None to tell from the source; got "
                          f"{kind!r}{suggest(str(kind), kinds)}")
    if isinstance(source, list | tuple):
        odd = next(((k, item) for k, item in enumerate(source, 1) if not isinstance(item, str | Path)), None)
        if odd is not None:
            raise ConfigError(f"rate() takes a list of AlpacaEval annotation files (paths) or of outcome rows "
                              f"(dicts with question_id, model_a, model_b and winner or score_a); item {odd[0]} is "
                              f"a {type(odd[1]).__name__}")
    elif not isinstance(source, str | Path) and kind not in (None, "outcomes"):
        raise ConfigError(f"kind={kind!r} names a path, and the source is a {type(source).__name__}: data in "
                          "memory are outcomes (kind='outcomes', or None)")


def _store_plan_correction(plan: dict[str, Any] | None, chosen: dict[str, Any], method: str
                           ) -> tuple[DesignBias | None, dict[str, Any]]:
    """The design-bias correction to rate with and the meta that says so: the one given (`design_bias=`), else
    that of the adaptive plan whose judgments a store holds exactly (`Inputs.plan`: `Store.plan_of`), for the
    fit it was estimated for (plain Bradley-Terry); the meta's `adaptive` entry is the plan's, its correction
    None when not applied (present's "Plan:" line then says the ratings are not corrected)."""
    from judgebench.leaderboard import DesignBias

    if chosen["design_bias"] is not None or plan is None:
        return chosen["design_bias"], {}
    adaptive = plan["adaptive"]
    swapped = plan.get("swap", chosen["swap"]) != chosen["swap"]  # the run's swap policy (not recorded before)
    applies = not swapped and DesignBias.applies_to(method, chosen["ties"], chosen["position_effect"],
                                                    chosen["style_control"])
    correction = DesignBias.recorded(adaptive) if applies else None
    return correction, {"adaptive": DesignBias.rated_entry(adaptive, correction is not None,
                                                           "swap" if swapped else "method")}


# What chooses and combines a store's games, which other sources give as outcomes already.
_STORE_OWN = ("judge", "template", "swap", "latest")

# What a results folder's judgments were judged and rated with, which only `judgebench run` chooses (and `latest`,
# which chooses among a store's requests: a results folder holds one run's).
_RUN_OWN = ("judge", "template", "latest")


def _rate_results(directory: Path, settings: Any, options: dict[str, Any], questions: str | Path | None,
                  answers: str | Path | Sequence[str | Path] | None, references: str | Path | None) -> Leaderboard:
    """A results folder's ratings again (`report.inputs.refit`): the run's judgments rated with the settings its
    leaderboard.json records, those given here laid over them (keyword `options`, and the fields of `settings`
    that were set explicitly, as a pydantic model records them, or that are not None); None leaves the run's.
    The run's judge and template are those of its judgments: asking for others is a ConfigError."""
    from judgebench.records import why_unrated
    from judgebench.report.inputs import judged_texts, load_run, refit

    _check_option_names(options)
    refused = [name for name in _RUN_OWN if options.get(name) not in (None, False)]
    if refused:
        raise ConfigError(f"{', '.join(refused)}: not for a results folder, whose judgments are one run's, of its "
                          "judge and template")
    given = _given_options(settings, options, [name for name in RATE_DEFAULTS if name not in _RUN_OWN])
    overrides = {"k" if name == "k_factor" else name: value for name, value in given.items()}
    data = load_run(results=directory)
    board, _ = refit(data, judged_texts(data, questions, answers, references), style_control_optional=True,
                     **overrides)
    if board is None:
        raise InputError(f"no outcomes to rate: {why_unrated(data.judgments)}", path=directory / "judgments.jsonl",
                         hint=command_or_call(f"`judgebench report --results {directory} --out report.html`",
                                              f"`judgebench.html_report('report.html', results={str(directory)!r})`")
                         + " shows what the judge wrote")
    board.meta.update(source="results", source_path=str(directory))  # as `rate` records its other sources
    return board


def _given_options(settings: Any, options: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The options among `names` that the caller chose: the fields of `settings` set explicitly (as a pydantic
    model records them; any attribute that is not None of another object), then keyword `options`; None values
    are left out (None leaves a setting as it is)."""
    explicit = getattr(settings, "model_fields_set", None)
    given = {name: getattr(settings, name, None) for name in names
             if explicit is None or name in explicit} if settings is not None else {}
    given.update({name: value for name, value in options.items() if name in names})
    return {name: value for name, value in given.items() if value is not None}


def _length_control(chosen: dict[str, Any]) -> dict[str, Any]:
    """AlpacaEval's published length-control inputs for `build`: files are read, tables passed on; both or
    neither."""
    from judgebench.config import how_to_set

    weights, difficulty = chosen["lc_weights"], chosen["instruction_difficulty"]
    if weights is None and difficulty is None:
        return {}
    if weights is None or difficulty is None:
        raise ConfigError("lc_weights and instruction_difficulty go together (AlpacaEval's lc_weights.csv and "
                          f"instruction_difficulty.csv: {how_to_set('lc_weights', 'FILE', option=True)}, "
                          f"{how_to_set('instruction_difficulty', 'FILE', option=True)})")
    from judgebench.datasets.judgments import load_alpaca_eval_lc_weights, load_instruction_difficulty

    if isinstance(weights, (str, Path)):
        weights = load_alpaca_eval_lc_weights(weights)
    if isinstance(difficulty, (str, Path)):
        difficulty = load_instruction_difficulty(difficulty)
    return {"lc_weights": weights, "instruction_difficulty": difficulty}


def _rate_options(settings: Any, options: dict[str, Any]) -> dict[str, Any]:
    """RATE_DEFAULTS, overridden by `settings`' attributes of the same names, then by `options`."""
    _check_option_names(options)
    chosen = dict(RATE_DEFAULTS)
    for name in RATE_DEFAULTS:
        value = getattr(settings, name, None) if settings is not None else None
        if name == "judge" and value is not None and not isinstance(value, str):
            value = value.name  # a RunConfig's JudgeConfig: its games are stored under the judge's name
        if value is not None:
            chosen[name] = value
    from judgebench.config import RunConfig

    if isinstance(settings, RunConfig):  # rate as the run did: its baseline's role and its interval
        chosen.update({**_reference(settings), "interval": settings.rating_interval()})
    chosen.update({name: value for name, value in options.items()  # None: the default, not a value
                   if value is not None or RATE_DEFAULTS[name] is None})
    return chosen


def _check_option_names(options: dict[str, Any]) -> None:
    """Refuse unknown keyword options of `rate`, and values of the known ones that the leaderboard's settings
    refuse (checked as `judgebench leaderboard` checks its flags: `rounds=2.5` was cut to 2 rounds without a
    word, `rounds="100"` ended in a TypeError)."""
    from judgebench.config import suggest

    unknown = sorted(set(options) - set(RATE_DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown option {', '.join(unknown)} for judgebench.rate"
                          f"{suggest(unknown[0], RATE_DEFAULTS)}; the options are {', '.join(RATE_DEFAULTS)}")
    _checked_ratings(options)


def _checked_ratings(options: Mapping[str, Any]) -> LeaderboardSettings:
    """The leaderboard's settings among `options` (None: not given), checked as `judgebench leaderboard` checks
    its flags; one ConfigError naming each bad value."""
    from judgebench.config import LeaderboardSettings, validating

    typed = {name: _plain(value) for name, value in options.items()
             if name in LeaderboardSettings.model_fields and value is not None}
    with validating(LeaderboardSettings):
        return LeaderboardSettings.model_validate(typed)


def _plain(value: Any) -> Any:
    """An option's value as the settings check it: numpy's numbers as Python's (`rounds=np.int64(50)`), a path as
    its text (a template file)."""
    import numbers

    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return str(value) if isinstance(value, Path) else value


def _as_list(paths: str | Path | Sequence[str | Path]) -> list[str | Path]:
    return [paths] if isinstance(paths, (str, Path)) else list(paths)


@expands_paths("results", "store", "questions", "answers", "references")
@names_its_call
def diagnose(*, results: str | Path | None = None, store: str | Path | None = None, judge: str | None = None,
             template: str | None = None, questions: str | Path | None = None,
             answers: str | Path | Sequence[str | Path] | None = None, references: str | Path | None = None,
             judge_family: str | None = None,
             swap: str | None = None, seed: int | None = None, confidence: float = 0.95,
             latest: bool = False) -> dict[str, Any]:
    """The judge's diagnostics of stored judgments (`judgebench diagnose --results/--store`): position
    consistency, first-slot win rate, length bias, self-preference, failed and unparsed games, as the
    diagnostics.json object (`diagnostics.write_diagnostics` writes it; `present.judge_diagnostics_table`
    shows it). A gold set is judged anew by `evaluate_gold`.

    `results` or `store` (exactly one; `judge` and `template` choose a store's judgments, and `latest` takes each
    game judged by several requests by its latest judgment, as `rate` does); `questions` and
    `answers` give the length bias and the categories, with `references`, the references file the run judged
    with (a results folder's run's, as its leaderboard.json records it, unless given: `report.inputs.judged_texts`),
    for the check that they are the texts judged; `judge_family`: models whose name contains it count as
    the judge's own (default: a results folder's own models, as its run's diagnostics.json names them, so that
    `--out` into the folder keeps its self-preference); `swap` and `seed`: how games become outcomes (default:
    the run's); `confidence`: of every interval. A store's games of a gold set's pairs beside its models' are left
    out (`datasets.gold.without_gold_pairs`: a store of them alone is diagnosed whole). A warning (gold games left
    out, answers that do not match the judged texts, games whose latest judgment may be older than their latest
    request) is in the object's `warnings`.
    """
    from judgebench import diagnostics
    from judgebench.datasets.gold import without_gold_pairs
    from judgebench.report.inputs import judged_texts, load_run, unjudged_texts

    _checked_ratings({"confidence": confidence, "swap": swap, "seed": seed})
    if store is None and results is None:
        raise ConfigError("nothing to diagnose: give the stored judgments (a results folder or a store), or judge "
                          "a gold set (evaluate_gold)")
    data = load_run(store=store, results=results, judge=judge, template=template, latest=latest)
    dataset = judged_texts(data, questions, answers, references)
    gold = None
    if store is not None:  # a gold set's games beside the models' are left out, as `rate` and `report` leave them
        data.judgments, gold = without_gold_pairs(data.judgments, store, gold_alone="kept")
    lengths, categories, warning = None, None, None
    if dataset is not None:
        lengths, categories = diagnostics.dataset_facts(dataset)
        warning = unjudged_texts(data, dataset)
    models = sorted(set(data.judgments["first"]) | set(data.judgments["second"]))
    judge_name = diagnostics.provenance_value(data.judgments, "judge")
    own = diagnostics.self_models(models, judge_name, judge_family)
    recorded = ((data.diagnostics or {}).get("self_preference") or {}).get("models")
    if judge_family is None and recorded:  # the run's judge family, which its diagnostics.json names by its models
        own = [model for model in models if model in recorded]
    figures = diagnostics.diagnose_judgments(
        data.judgments, swap=swap or data.swap, seed=data.seed if seed is None else seed, confidence=confidence,
        lengths=lengths, categories=categories, own_models=own, provenance={"source": data.source})
    n_questions = data.judgments["question_id"].nunique()
    figures["warnings"] = [text for text in (gold, data.latest_warning, warning) if text]
    if n_questions < FEW_QUESTIONS:
        figures["warnings"].append(few_questions_warning(n_questions))
    return figures


@expands_paths("out", "results", "store", "questions", "answers", "references")
@names_its_call
def html_report(out: str | Path, *, results: str | Path | None = None, store: str | Path | None = None,
                judge: str | None = None, template: str | None = None, latest: bool = False,
                questions: str | Path | None = None, answers: str | Path | Sequence[str | Path] | None = None,
                references: str | Path | None = None, judgments_shown: int = 200, seed: int = 0,
                method: str | None = None, baseline: str | None = None, interval: str | None = None,
                confidence: float | None = None, rounds: int | None = None) -> Report:
    """Write the HTML report of a run (`judgebench report`): its leaderboard, the judge's diagnostics, plots and a
    browser of its judgments, to `out` (FILE.html, or a directory, which gets report.html), the plots beside it.

    Parameters
    ----------
    results, store:
        Exactly one: a results folder of `judgebench run --out` (or `evaluate(...).write`; one of `leaderboard
        --out` gives its leaderboard only), or a store (`judge` and `template` choose whose judgments when it
        holds several; `latest` rates each game judged by several requests by its latest judgment, as `rate`).
    questions, answers:
        The run's inputs, for the texts in the judgment browser, the categories and the length bias.
    references:
        The references file the run judged with, whose reference answers the judgment browser shows (default: a
        results folder's run's, as its leaderboard.json records it: `report.inputs.judged_texts`).
    judgments_shown, seed:
        How many pairs the judgment browser shows (a seeded sample), as `judgebench report --judgments-shown`.
    method, baseline, interval, confidence, rounds:
        Rate the judgments otherwise than the run did (as `rate` and `judgebench leaderboard` take them); a
        store's judgments are otherwise rated with the defaults, a results folder's as its run rated them.

    Returns the `report.build.Report`: the HTML file, its plots, size and warnings.
    """
    from judgebench.datasets.gold import without_gold_pairs
    from judgebench.report.build import write_report
    from judgebench.report.inputs import judged_texts, load_run

    if isinstance(judgments_shown, bool) or not isinstance(judgments_shown, int) or judgments_shown < 0:
        raise ConfigError(f"judgments_shown must be a whole number, at least 0, got {judgments_shown!r}")
    _checked_ratings({"seed": seed})  # the seed of the sample shown, checked as a seed
    ratings = _checked_ratings({"method": method, "baseline": baseline, "interval": interval,
                                "confidence": confidence, "rounds": rounds}).build_options(given_only=True)
    data = load_run(store=store, results=results, judge=judge, template=template, imported=True, latest=latest)
    dataset = judged_texts(data, questions, answers, references)
    if store is not None:  # the report of the store's models: a gold set's games left out, as `rate` leaves them
        data.judgments, gold = without_gold_pairs(data.judgments, store)
        data.warnings += [gold] if gold else []
    return write_report(data, out, dataset=dataset, diagnostics_figures=data.diagnostics, shown_pairs=judgments_shown,
                        seed=seed, ratings=ratings)


@dataclass
class GoldEvaluation:
    """What `evaluate_gold` produced: the run's record (games judged now or found in the store), how its judge
    behaved (failures, games without logprobs, as `run` counts them), and the diagnostics.json object, whose
    `gold` entry holds the agreement with the labels (diagnostics.gold_agreement); None when a signal stopped
    the evaluation (`run.interrupted`)."""

    run: RunResult
    diagnostics: RunDiagnostics
    figures: dict[str, Any] | None

    def __repr__(self) -> str:
        """A line: what was judged and the judge's accuracy (the dataclass's own repr was 12,000 characters, the
        judgments' DataFrame and the settings in it)."""
        run = self.run
        gold = (self.figures or {}).get("gold")
        judged = 0 if gold is None else gold["n_pairs"] + gold["n_incomplete"] - gold["n_not_judged"]
        scored = ("no figures (stopped)" if gold is None else "no pair judged" if not judged else
                  f"accuracy {gold['accuracy_judgebench_rule']:.3f} by JudgeBench's rule on {judged:,} pairs")
        return (f"<GoldEvaluation: {run.planned:,} games planned, {run.reused:,} from the store, {run.tally.calls:,} "
                f"judge calls sent now; exit code {self.exit_code}; {scored}; .figures has the rest>")

    @property
    def exit_code(self) -> int:
        if self.run.interrupted or self.figures is None:
            return self.run.stopped_exit_code
        return EXIT_FAILED_GAMES if self.run.n_failed or self.figures["gold"]["n_pairs"] == 0 else EXIT_OK


# Where gold pairs are judged unless a store is named: apart from the runs' judgments (results/judgebench.sqlite),
# where their two pseudo-models joined a leaderboard of the store and the judge's figures on it.
GOLD_STORE = Path("results/gold.sqlite")


@expands_paths("gold")
def evaluate_gold(settings: RunConfig, gold: str | Path, *, engine: Engine | None = None,
                  on_start: ProgressCallback | None = None,
                  on_progress: ProgressCallback | None = None,
                  on_event: EventHandler | None = None) -> GoldEvaluation:
    """Judge each labelled pair of a gold set in both orders and score the judge against the labels.

    Each pair becomes a question answered by two pseudo-models (datasets.gold.ANSWER_A/ANSWER_B), judged
    through the runner like any run (settings' judge, template and store, GOLD_STORE unless one is set; pairs
    "all", swap "both"), so games are stored, reused and retried as usual. The settings need no data (a file of
    [judge] settings alone, as `diagnose --gold --config` reads): the gold file is what is judged, in place of
    any questions and answers they name. The judgments' figures
    (diagnose_judgments) come with the agreement with the labels under `gold`, and the judge calls, tokens and
    cost under `accounting` (`runner.call_accounting`). Raises like `evaluate`; a bad
    gold file before any judge call.

    Ctrl-C or SIGTERM once judging has begun, while it lasts or while the figures are computed, stops the
    evaluation as it stops `evaluate`: it raises `errors.Interrupted`, whose `result` is the GoldEvaluation
    with `run.interrupted`, exit code 130 or 143, and no figures; the run is recorded 'interrupted' in the store,
    what was judged kept there (`runner.StopSignals`).
    """
    from judgebench.config import PAIRING_SETTINGS, require_run_config
    from judgebench.datasets.gold import gold_dataset, load_gold
    from judgebench.engines.vllm_local import refuse_in_starting_process
    from judgebench.outputs import prepare_directory
    from judgebench.prompts import load_template
    from judgebench.runner import Stopped, StopSignals, engine_output_logged, run_async, run_coroutine

    refuse_in_starting_process("evaluate_gold")  # a script's top level run again in vLLM's engine process
    with StopSignals() as signals:  # Ctrl-C or SIGTERM once judging has begun ends the evaluation as an interruption
        with signals.interruptible():  # while the gold file loads: `Stopped` at once, before any judge call
            pairs = load_gold(gold)
            settings = require_run_config(settings, "evaluate_gold")
            store = settings.store if "store" in settings.model_fields_set else GOLD_STORE
            # the gold file is the data judged, whatever data the settings name (none, for a judge's file)
            settings = settings.with_changes(questions=gold, answers=[gold], pairs="all", swap="both",
                                             baseline=None, store=store, **dict.fromkeys(PAIRING_SETTINGS))
            prepare_directory(Path(settings.store).parent, "store's directory")
            dataset = gold_dataset(pairs)
        with engine_output_logged(settings, None) as shown:  # a local judge's output: to engine.log beside the
            # store, the callbacks' to the terminal
            result = run_coroutine(run_async(settings, dataset, engine=engine, on_progress=shown(on_progress),
                                             on_start=shown(on_start), on_event=shown(on_event), stop_signals=signals))
        behaved = _run_diagnostics(dataset, load_template(settings.template), result)
        if result.interrupted:
            result.raise_callback_error()
            raise Interrupted(GoldEvaluation(result, behaved, None), result.stopped_by)
        try:
            with signals.interruptible():  # the figures and their bootstraps: CPU work a signal may cut short
                return GoldEvaluation(result, behaved, _gold_figures(settings, gold, pairs, dataset, result))
        except Stopped as stopped:
            raise Interrupted(GoldEvaluation(_stopped_after_judging(settings, result, stopped), behaved, None),
                              stopped.signum) from None


def _gold_figures(settings: RunConfig, gold: str | Path, pairs: list[GoldPair], dataset: Dataset,
                  result: RunResult) -> dict[str, Any]:
    """diagnostics.json's object for a judged gold set: the judgments' figures and, under `gold`, the agreement
    with the labels."""
    import numpy as np

    from judgebench import diagnostics
    from judgebench.datasets.gold import ANSWER_A, ANSWER_B
    from judgebench.records import FAILED
    from judgebench.runner import call_accounting
    from judgebench.verdicts import orient_games

    oriented = orient_games(result.games, baseline=ANSWER_B)  # answer A is model_a of every pair
    a_first = oriented[oriented["a_first"]].groupby("question_id")["p_a"].mean()
    a_second = oriented[~oriented["a_first"]].groupby("question_id")["p_a"].mean()
    ids = [pair.pair_id for pair in pairs]
    lengths, categories = diagnostics.dataset_facts(dataset)  # the gold pairs hold both answers: length bias too
    figures = diagnostics.diagnose_judgments(
        result.judgments, swap="both", seed=settings.seed, confidence=settings.confidence, lengths=lengths,
        categories=categories, provenance={"gold": str(gold), "engine": settings.judge.engine})
    p_a_first = a_first.reindex(ids).to_numpy(dtype=float, na_value=np.nan)
    p_a_second = a_second.reindex(ids).to_numpy(dtype=float, na_value=np.nan)
    labels = [pair.label for pair in pairs]
    # a pair the judge answered in some order (a verdict, or an output without one); one whose every game failed
    # is the server's fault, left out of the JudgeBench-rule accuracy
    answered = set(result.judgments.loc[result.judgments["status"] != FAILED, "question_id"])
    figures["gold"] = diagnostics.gold_agreement(
        p_a_first, p_a_second, labels, judged=[pair_id in answered for pair_id in ids],
        sources=[pair.source for pair in pairs],
        categories=[pair.category for pair in pairs], confidence=settings.confidence)
    # the pseudo-models' strengths stand for the gold file's columns: the length preference is net of the labels
    figures["length_bias"]["net_effect"] = diagnostics.gold_length_effect(
        p_a_first, p_a_second, labels, [lengths[(pair_id, ANSWER_A)] for pair_id in ids],
        [lengths[(pair_id, ANSWER_B)] for pair_id in ids], confidence=settings.confidence)
    figures["accounting"] = call_accounting([result], settings.judge.priced)  # as a check's JSON has it
    return figures

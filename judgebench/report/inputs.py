"""What `judgebench diagnose`, `judgebench report` and `judgebench leaderboard --results` read: the judgments
of a run, from a store or a results directory, with the leaderboard and provenance recorded beside them; and
`refit`, the run's ratings again from its judgments with the settings recorded.

A results directory is what `judgebench run --out DIR` writes: judgments.jsonl (every game, failed and
unparsed included) and leaderboard.json (ratings and meta). A store holds the judgments; its leaderboard is
rated on the fly with the `judgebench leaderboard` defaults when the report needs one. `judgebench leaderboard
--out DIR` writes leaderboard.json without judgments.jsonl (imported judgments: AlpacaEval annotations, an
outcomes file); the report alone reads such a folder (`imported`), for its leaderboard.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from judgebench.config import command_or_call, how_to_set, how_to_turn_off, problem_in_words, setting_name
from judgebench.datasets.rows import JSONProblem, loads, read_rows, read_text
from judgebench.diagnostics import DIAGNOSTICS_FILE, average_lengths
from judgebench.errors import ConfigError, InputError

if TYPE_CHECKING:
    from judgebench.leaderboard import Leaderboard
    from judgebench.prompts import Template
    from judgebench.records import Dataset


@dataclass
class RunData:
    """The judgments of one judge and template (every status), the leaderboard file's contents when known
    (`{"meta": ..., "models": [...]}`), and where they came from."""

    judgments: pd.DataFrame
    source: str
    leaderboard: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, Any] | None = None  # diagnostics.json of a results directory, when there is one
    warnings: list[str] = field(default_factory=list)  # how the judgments were read, for the leaderboard's meta
    latest_warning: str | None = None  # the one of `warnings` on the judgments --latest kept (`diagnose` says it)
    plan_file: Path | None = None  # a results directory's plan.jsonl, the pairs its design-bias correction is of

    @property
    def planned(self) -> bool:
        """Whether an adaptive or tournament plan chose these games: its results directory holds the plan."""
        return self.plan_file is not None and self.plan_file.exists()

    @property
    def imported(self) -> bool:
        """Whether this is a leaderboard rated from imported judgments, without the judgments themselves."""
        return self.judgments.empty

    @property
    def swap(self) -> str:
        return str(self.meta.get("swap") or "both")

    def answer_lengths(self) -> dict[str, float] | None:
        """The models' mean answer lengths the run measured (its leaderboard's avg_length), for a refit without
        the answers: they depend on the questions compared, not on how the judgments are rated."""
        lengths = {entry["model"]: entry["avg_length"] for entry in (self.leaderboard or {}).get("models", [])
                   if entry.get("avg_length") is not None}
        return lengths or None

    @property
    def seed(self) -> int:
        return int(self.meta.get("seed") or 0)


def load_run(*, store: str | Path | None = None, results: str | Path | None = None, judge: str | None = None,
             template: str | None = None, imported: bool = False, latest: bool = False) -> RunData:
    """Read exactly one of a store or a results directory; `judge`/`template` choose whose judgments when
    the store holds several (an InputError names them otherwise), and `latest` rates each game of the store
    judged by several requests by its latest judgment (`store.latest_judgments`: its count in the meta's
    `latest`). `imported`: a results directory of `judgebench leaderboard --out` (leaderboard.json without
    judgments.jsonl) is read too, as a RunData without judgments (`RunData.imported`)."""
    if (store is None) == (results is None):  # named as the command's flags, or from Python as its keywords
        raise ConfigError(f"give exactly one of {how_to_set('store', 'PATH', option=True)} or "
                          f"{how_to_set('results', 'DIR', option=True)}")
    if store is not None:
        return _from_store(Path(store), judge, template, latest)
    if judge is not None or template is not None:  # they were ignored without a word
        raise ConfigError(f"{command_or_call('--judge-model and --template', 'judge and template')} choose among a "
                          f"store's judgments ({setting_name('store', option=True)}): a results directory holds one "
                          "run's, of one judge and template; leave them out")
    if latest:
        raise ConfigError(f"{setting_name('latest', option=True)} chooses among the requests of a store's games "
                          f"({setting_name('store', option=True)}): a results directory holds one run's judgments, "
                          "one request per game; leave it out")
    return _from_results(Path(str(results)), imported)


def _from_store(path: Path, judge: str | None, template: str | None, latest: bool) -> RunData:
    from judgebench.datasets.sources import store_judgments
    from judgebench.runner import run_records
    from judgebench.store import Store, latest_judgments, measurements_hint, require_one_measurement

    meta: dict[str, Any] = {}
    warnings: list[str] = []
    partly = None
    with Store(path, must_exist=True, reading=True) as db:
        frame = store_judgments(db, judge, template)
        if latest:
            frame, meta["latest"], partly = latest_judgments(frame, db)
            warnings += [partly] if partly else []
        held = db.measurements() if frame.empty else []
        require_one_measurement(frame, judge, template, db)
        plan, warning = db.plan_of(frame)
        runs = run_records(db.runs(frame["key"])) if not frame.empty else []
    warnings += [warning] if warning else []
    if frame.empty:
        raise InputError("the store holds no judgments" + (" of this judge and template" if judge or template
                                                            else ""), path=path,
                         hint=measurements_hint(held, judge, template) if held else None)
    # an adaptive run's plan (`Store.plan_of`: its meta's adaptive entry, method and interval) rates as the run did;
    # the runs that stored the judgments say when, where and by which judgebench they were judged (the report's)
    return RunData(frame, str(path), meta={**(plan or {}), **meta, **({"runs": runs} if runs else {})},
                   warnings=warnings, latest_warning=partly)


def results_writer() -> str:
    """What writes a results directory, as the user runs it: `judgebench run --out DIR` on the command line,
    `evaluate(settings).write(DIR)` from Python (`config.command_or_call`)."""
    return command_or_call("`judgebench run --out DIR`", "`judgebench.evaluate(settings).write(DIR)`")


def _from_results(directory: Path, imported: bool) -> RunData:
    if not directory.is_dir():
        raise InputError("no such directory" if not directory.exists() else "a file, not a results directory",
                         path=directory, hint=f"give the directory a run wrote with {results_writer()}")
    judgments_file = directory / "judgments.jsonl"
    if not judgments_file.is_file():
        board = read_json_object(directory / "leaderboard.json") if imported else None
        if board is None:
            leaderboard = command_or_call("`judgebench leaderboard ... --out DIR`", "`judgebench.rate(...).write(DIR)`")
            raise InputError(f"no judgments.jsonl here (write one with {results_writer()}" + (
                f"; or a leaderboard.json, with {leaderboard})" if imported else ")"),
                path=directory)
        models, meta = board.get("models"), board.get("meta")
        if not (isinstance(models, list) and models and all(isinstance(entry, dict) and isinstance(
                entry.get("model"), str) for entry in models) and isinstance(meta, dict)
                and meta.get("method") is not None and isinstance(meta.get("confidence"), int | float)):
            raise InputError('not a judgebench leaderboard: expected {"meta": {"method": ..., "confidence": ..., '
                             '...}, "models": [{"model": ..., ...}, ...]}', path=directory / "leaderboard.json")
        _check_adaptive(meta, directory / "leaderboard.json")
        return RunData(pd.DataFrame(columns=["question_id", "first", "second", "status", "p_first", "weight"]),
                       str(directory), board, board["meta"])
    frame = pd.DataFrame.from_records([row.data for row in read_rows(judgments_file)])
    missing = {"question_id", "first", "second", "status", "p_first"} - set(frame.columns)
    if frame.empty:
        raise InputError("no judgments: the run that wrote it judged nothing (run it again to judge)",
                         path=judgments_file)
    if missing:
        raise InputError(f"not judgebench's judgments: no {', '.join(sorted(missing))} in its lines",
                         path=judgments_file)
    if "weight" not in frame:
        frame["weight"] = 1.0
    frame["weight"] = frame["weight"].fillna(1.0)
    board = read_json_object(directory / "leaderboard.json")
    if board is not None and isinstance(board.get("meta"), dict):
        _check_adaptive(board["meta"], directory / "leaderboard.json")
    warnings = [] if board is not None else [
        "the results folder has no leaderboard.json, so the run's settings (baseline, method, interval) are not "
        "known: these are the defaults' ratings of its judgments (give the baseline and method the run had)"]
    return RunData(frame, str(directory), board, dict((board or {}).get("meta") or {}),
                   read_json_object(directory / DIAGNOSTICS_FILE), warnings=warnings,
                   plan_file=directory / "plan.jsonl")


class _Precision(BaseModel):
    """meta.adaptive.precision: the plan's last standing as its stopping rule measured it (`Standing.precision`;
    the widest interval null where some model had none)."""

    widest_interval: float | None
    adjacent_separated: int
    adjacent_pairs: int


class _Correction(BaseModel):
    """meta.adaptive.design_bias: the plan's bias correction (`leaderboard.DesignBias`) as recorded."""

    elo: dict[str, float]
    replays: int
    seconds: float | None = None


class _AdaptivePlan(BaseModel):
    """leaderboard.json's meta.adaptive (`schedule.Planner.report`, with its correction), as the outputs and a
    refit read it: the fields they need, and the type of each that may be there (others are let through)."""

    model_config = ConfigDict(strict=True, extra="allow")

    strategy: str
    rounds: int
    calls: int
    calls_all_pairs: int
    stopped_by: str | None
    seed: int | None = None
    models: list[str] | None = None
    bracket_rounds: int | None = None
    budget_usd: float | None = None
    cost_usd: float | None = None
    calls_cost_estimated: int | None = None
    calls_cost_estimated_by: dict[str, int] | None = None
    over_budget: str | None = None
    calls_to_compare_all: int | None = None
    stop: str | None = None
    precision: _Precision | None = None
    ratings_exist: bool | None = None
    plan_sha256: str | None = None
    design_bias: _Correction | None = None
    uncorrected: str | None = None


def _check_adaptive(meta: dict[str, Any], path: Path) -> None:
    """An InputError naming leaderboard.json (`path`) and the field when its meta.adaptive is not what a run
    writes (a hand-edited `"rounds": "x"` ended in an internal error where the plan's line is written)."""
    if meta.get("adaptive") is None:
        return
    try:
        _AdaptivePlan.model_validate(meta["adaptive"])
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in ("meta", "adaptive", *problem["loc"]))
        raise InputError(f"{where}: {problem_in_words(problem, in_json=True)}", path=path,
                         hint=f"the file is damaged or was edited: {results_writer()} writes it again") from None


# `build` options that belong to the run's method's fit, not carried over to a refit with another method.
_FIT_SETTINGS = ("interval", "ties", "position_effect", "regularization", "k", "style_control", "design_bias")


def refit(data: RunData, dataset: Any = None, *, style_control_optional: bool = False,
          **overrides: Any) -> tuple[Leaderboard | None, pd.DataFrame]:
    """The run's leaderboard refitted from its judgments, and the outcomes it rates; no leaderboard (None) when
    the judgments give no outcome (`records.why_unrated` says why: a judge that never gave a verdict).

    The settings are those its leaderboard.json records (`leaderboard.refit_options`: the same ratings as the
    run's, an adaptive run's design-bias correction included, and bootstrap replicates for the report's rank
    distribution), with `overrides` (`build`'s options, and `swap`) on top. Another method starts from `build`'s
    defaults for the settings of the run's own fit (`_FIT_SETTINGS`: a Bradley-Terry ridge means nothing to
    Elo); the run's confidence, rounds, seed, baseline, anchor and scale stay, except that an anchor which was
    only the run's baseline follows another baseline (`refit_options`). An override that makes the fit
    one the design-bias correction was not estimated for drops the correction (README: other fits are
    reported uncorrected); the run's `meta.adaptive` is carried over, its correction None when dropped (present's
    "Plan:" line then says the ratings are not corrected). A results folder's correction is applied only to the
    judgments of its plan (`_check_plan`: an InputError otherwise). Style control takes the answers' style counts from
    `dataset`, which it then needs; the leaderboard's warnings say when `dataset`'s texts are not those judged
    (`unjudged_texts`). `style_control_optional`: the caller can rate without the run's style control (`rate` and
    `leaderboard` can, the report cannot), which the error without `dataset` then offers.
    """
    from judgebench.evaluation import RUN_PROVENANCE, unrated_models_warning, with_style_counts
    from judgebench.leaderboard import DesignBias, build, refit_options
    from judgebench.records import ok_games
    from judgebench.verdicts import combine

    swap = overrides.pop("swap", None) or data.swap
    recorded = refit_options(data.meta)
    if overrides.get("method", recorded.get("method", "bt")) != recorded.get("method", "bt"):
        recorded = {name: value for name, value in recorded.items() if name not in _FIT_SETTINGS}
    options = {**recorded, **overrides}
    uncorrected = "swap" if swap != data.swap else "method"  # another swap policy: other outcomes, another bias
    if options.get("design_bias") is not None and (swap != data.swap or not DesignBias.applies_to(
            options.get("method", "bt"), options.get("ties", "half"), bool(options.get("position_effect")),
            bool(options.get("style_control")))):
        del options["design_bias"]
    if options.get("design_bias") is not None and data.plan_file is not None:
        _check_plan(data, data.plan_file)
    judgments = data.judgments
    games = ok_games(judgments)
    outcomes = combine(games.reset_index(drop=True), swap=swap, seed=data.seed).outcomes  # the run's random-one orders
    if outcomes.empty:
        return None, outcomes
    if options.get("style_control"):
        if dataset is None:
            raise ConfigError(_no_style_counts(bool(overrides.get("style_control")), style_control_optional))
        outcomes = with_style_counts(outcomes, dataset)
    extra = {key: data.meta[key] for key in ("judge", "template", "latest") if data.meta.get(key) is not None}
    if data.meta.get("adaptive"):  # how the plan was chosen, and whether these ratings carry its correction
        extra["adaptive"] = DesignBias.rated_entry(data.meta["adaptive"], options.get("design_bias") is not None,
                                                   uncorrected)
    lengths = average_lengths(dataset, outcomes) if dataset is not None else data.answer_lengths()
    board = build(outcomes, games, **options, answer_lengths=lengths, meta={**extra, "swap": swap})
    # who judged what, how and at what cost: the run's, whatever the ratings (a folder rated again in place lost it)
    board.meta.update({key: data.meta[key] for key in RUN_PROVENANCE if key in data.meta and key not in board.meta})
    board.meta["warnings"] += data.warnings
    unrated = unrated_models_warning(data.meta["adaptive"], outcomes) if data.meta.get("adaptive") else None
    if unrated is not None:  # the run's warning: its plan's models left out are not on these ratings either
        board.meta["warnings"].append(unrated)
    warning = unjudged_texts(data, dataset) if dataset is not None else None
    if warning:
        board.meta["warnings"].append(warning)
    return board, outcomes


def _check_plan(data: RunData, plan_file: Path) -> None:
    """Refuse to correct a results folder's ratings for a plan its judgments are not of: an InputError when
    `plan_file` (plan.jsonl) is missing, is not the plan meta.adaptive.plan_sha256 names, or chose other games
    than judgments.jsonl holds (each pair in the orders of the run's swap policy,
    `pairing.presentation_orders`; failed and unparsed games count, as the run rated its ok games).

    The correction (meta.adaptive.design_bias) was estimated by replaying that plan: a judgments.jsonl cut short,
    merged with others or edited was corrected silently, by up to the plan's whole shift, with a plan line saying
    all was well (the store's path checks its games against the plan, `Store.plan_of`). An error, not an
    uncorrected fallback with a warning: the folder is one run's output, damaged, and its ratings published
    without the correction would still be shaped by the plan; the run's store gives them again."""
    from judgebench.pairing import presentation_orders
    from judgebench.records import Pair
    from judgebench.schedule import plan_sha256

    adaptive = data.meta["adaptive"]
    again = ("restore the folder: run the command that wrote it again, which judges only what its store lacks; or "
             "rate the store: " + command_or_call("`judgebench leaderboard --store PATH`", "`judgebench.rate(PATH)`"))
    if not plan_file.is_file():
        raise InputError("no plan.jsonl here: the ratings are corrected for the bias of the adaptive plan that chose "
                         "the pairs (meta.adaptive.design_bias), and without the plan the judgments cannot be checked "
                         "against it", path=plan_file.parent, hint=again)
    rounds: list[list[Pair]] = []
    for row in read_rows(plan_file):
        number, pair = row.data.get("round"), [row.data.get(key) for key in ("question_id", "model_a", "model_b")]
        if not (isinstance(number, int) and not isinstance(number, bool) and number >= 1
                and all(isinstance(value, str) for value in pair)):
            raise InputError('not a judgebench plan: expected {"round": N, "question_id": ..., "model_a": ..., '
                             '"model_b": ...}', path=plan_file, line=row.position)
        rounds += [[] for _ in range(number - len(rounds))]
        rounds[number - 1].append(Pair(*map(str, pair)))
    if plan_sha256(rounds) != adaptive.get("plan_sha256"):
        raise InputError("not the plan the ratings were corrected for: its SHA-256 is not leaderboard.json's "
                         "meta.adaptive.plan_sha256", path=plan_file, hint=again)
    planned = {(pair.question_id, *order) for batch in rounds for pair in batch
               for order in presentation_orders(pair, data.swap, data.seed)}  # the run's seed: random-one orders
    games = data.judgments.assign(question_id=data.judgments["question_id"].astype(str))
    judged = set(zip(games["question_id"], games["first"], games["second"], strict=True))
    requests = games.groupby(["question_id", "first", "second"])["key"].nunique() if "key" in games else None
    twice = int((requests > 1).sum()) if requests is not None else 0  # another judge's, template's or answers'
    if judged != planned or twice:
        parts = [f"{len(planned - judged):,} of the plan's {len(planned):,} games have no judgment here",
                 f"{len(judged - planned):,} games judged here are not in the plan",
                 f"{twice:,} games are judged here by more than one request (judgments merged from another judge, "
                 "template or answers)"]
        raise InputError("; ".join(part for part in parts if not part.startswith("0 ")) + ": these are not the "
                         "judgments of the run's plan (plan.jsonl), and the ratings' correction for that plan's bias "
                         "(leaderboard.json's meta.adaptive.design_bias) would not hold for them",
                         path=plan_file.parent / "judgments.jsonl", hint=again)


def _no_style_counts(asked: bool, optional: bool) -> str:
    """Why a results folder cannot be rated with style control without the run's texts, whether it was `asked`
    for or the run's ratings were style-controlled (it said the ratings were style-controlled when they were not),
    and what to do: give the texts, or, where the run asked for style control and the caller can rate without it
    (`optional`), turn it off (the texts alone were named, as if the run's choice bound every rating again)."""
    why = (f"style control (asked for with {setting_name('style_control', option=True)})" if asked else
           "these ratings are style-controlled (as the run rated them), and rating them again")
    texts = f"{setting_name('questions', option=True)} and {setting_name('answers', option=True)}"
    return (f"{why} needs each answer's style counts, which a results folder does not keep: give the run's {texts}"
            + (f", or rate them without style control ({how_to_turn_off('style_control')})"
               if optional and not asked else ""))


def unjudged_texts(data: RunData, dataset: Any) -> str | None:
    """A warning when the questions and answers given with a run's judgments are not the texts its judge saw
    (style counts, lengths and texts shown would then describe other answers), else None.

    Neither judgments.jsonl nor a store's judgments keep the texts, but each judgment's key is the SHA-256 of
    exactly what was sent (`prompts.game_key`: judge, sampling parameters, messages). So every ok game's request
    is rebuilt from the files given, with the run's template (found by name, its hash checked) and judge, and
    with the sampling parameters the run recorded (`meta.sampling`; else the template's defaults), and its key
    compared with the stored one. An answer is confirmed by any game of it whose key matches; the warning counts
    the answers judged that the files lack or that no game confirms. Games whose answers judgebench shortened to
    fit the judge's context (`truncated`) are left out. When no key matches at all, the run's settings may be
    what differs (a template file, sampling parameters set in a config): the warning says so. A template that shows
    the judge reference answers makes them part of each request: the warning asks for the run's references file
    where none was read with the texts (`judged_texts` reads the one the run recorded). A template with a plain
    counterpart also has its requests rebuilt without it: runs made before the format's rule on references judged
    every question with the template itself, and its hash is the same.
    """
    from judgebench.prompts import build_request
    from judgebench.records import OK

    games = data.judgments[data.judgments["status"] == OK]
    if "truncated" in games:
        games = games[~games["truncated"].fillna(0).astype(bool)]
    template = judged_template(games)
    if games.empty or template is None:
        return None
    params = data.meta.get("sampling") or template.sampling_params()
    # runs before the format's rule judged every question with the template itself (its hash leaves out `plain`)
    versions = (template,) if template.plain is None else (template, replace(template, plain=None))
    confirmed: set[tuple[str, str]] = set()  # (question_id, model) of the answers
    judged: set[tuple[str, str]] = set()
    missing: set[tuple[str, str]] = set()
    for question_id, first, second, judge, key in games[["question_id", "first", "second", "judge", "key"]].itertuples(
            index=False, name=None):
        answers = [(str(question_id), str(first)), (str(question_id), str(second))]
        judged.update(answers)
        question = dataset.questions.get(str(question_id))
        texts = [dataset.answers.get(answer) for answer in answers]
        if question is None or None in texts:
            missing.update(answer for answer, text in zip(answers, texts, strict=True) if text is None)
            continue
        if any(build_request(version, str(judge), params, question, texts[0], texts[1]).key == key
               for version in versions):
            confirmed.update(answers)
    # the reference answers are part of each request: without the run's references file, the texts seemed to differ
    unread = (f"; the run's template showed the judge reference answers: give the references file it judged with "
              f"({setting_name('references', option=True)})" if template.uses_reference
              and not dataset.references_format else "")
    if not confirmed:
        return (f"none of the {len(games):,} judged games could be rebuilt from the questions and answers given: they "
                "are not the texts judged, or the run set its own template file or sampling parameters; lengths, "
                f"style counts and texts shown may not be those of the judged answers{unread}")
    differ = judged - confirmed - missing
    parts = [f"{len(group):,} of the {len(judged):,} judged answers {what} (for example {min(group)[1]}'s answer to "
             f"question {min(group)[0]})" for group, what in ((differ, "differ from the texts given"),
                                                              (missing, "are missing from the files given")) if group]
    return ("; ".join(parts) + ": lengths, style counts and texts shown for them are not those judged; give the "
            f"files that were judged{unread}") if parts else None


def judged_template(judgments: pd.DataFrame) -> Template | None:
    """The template the judgments were made with, found by the name they record and checked by its hash; None
    when that is not known: judgments of several templates or of none, a template file's (its name does not find
    it), or judgments made with another version of the template."""
    from judgebench.prompts import load_template

    names = judgments["template"].dropna().unique() if "template" in judgments else []
    if len(names) != 1:
        return None
    try:
        template = load_template(str(names[0]))
    except (ConfigError, InputError):
        return None
    if "template_hash" in judgments and (judgments["template_hash"].dropna() != template.content_hash).any():
        return None
    return template


def judged_texts(data: RunData, questions: str | Path | None, answers: Any, references: str | Path | None
                 ) -> Dataset | None:
    """The texts given with a run's judgments (`datasets.load_judged_texts`), with the reference answers the run
    judged with: those of `references`, else of the references file the run recorded (leaderboard.json's
    meta.references_file), so that its texts are checked as they were judged (without them every question with a
    reference answer seemed to have other answers than those judged). A recorded file no longer there is an
    InputError naming it: the check cannot be made without it. A run whose template showed no reference answers
    (runs before this rule recorded an unused file too) does not need it: moving it must not stop a re-rating."""
    from judgebench.datasets import load_judged_texts

    recorded = data.meta.get("references_file")
    template = judged_template(data.judgments)
    shown = template is None or template.uses_reference
    if references is None and questions is not None and isinstance(recorded, str) and shown:
        if not Path(recorded).is_file():
            raise InputError("the run judged with the reference answers of this file (leaderboard.json's "
                             "meta.references_file), which is not there, and the texts judged cannot be read without "
                             "them", path=recorded,
                             hint="give the file where it is now with "
                                  + command_or_call("--references FILE", "references=FILE"))
        references = recorded
    return load_judged_texts(questions, answers, references)


def read_json_object(path: Path) -> dict[str, Any] | None:
    """A JSON file holding one object (leaderboard.json, diagnostics.json), or None when there is no such file;
    a file that is not UTF-8 JSON holding an object is an InputError naming it (and the line)."""
    if not path.is_file():
        return None
    try:
        value = loads(read_text(path))
    except JSONProblem as problem:
        raise InputError(problem.message, path=path, line=problem.line) from None
    if not isinstance(value, dict):
        raise InputError("expected a JSON object ({...})", path=path)
    return value

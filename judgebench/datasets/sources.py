"""What a leaderboard is rated from: a judgebench store, AlpacaEval annotations, or an outcomes table.

`load_inputs` reads exactly one source, the way `judgebench leaderboard --store/--alpaca-eval/--outcomes`
names it; `source_kind` tells these and a results folder apart for the Python API's
`judgebench.rate(source)`, which takes a path (or a list of annotation files, or a pandas DataFrame of
outcomes) without saying which it is.
`store_judgments` is how everything that rates or diagnoses a store reads its judgments (with a template
file's verdicts when one is given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from judgebench.errors import ConfigError, InputError

if TYPE_CHECKING:
    import pandas as pd

    from judgebench.store import Store

SourceKind = Literal["results", "store", "alpaca-eval", "outcomes"]
# What tells a results folder (`judgebench run --out`, `leaderboard --out`) from a folder of AlpacaEval annotations.
RESULTS_FILES = ("judgments.jsonl", "leaderboard.json")
_SQLITE_HEADER = b"SQLite format 3\x00"
_PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass
class Inputs:
    """Outcomes (and games, when available) read for a leaderboard, with where they came from.

    `baseline` is the one given, or for AlpacaEval annotations the models' common opponent. `warnings`: what
    the leaderboard must say about how the source was read; `rows_as_questions`: a file without question ids,
    each row its own question (the leaderboard says so in the words of its interval). `provenance`: the judge,
    template and swap policy the source itself records, for the leaderboard's meta (AlpacaEval's annotator, which
    names the judge and its prompt, judging one random order).
    """

    outcomes: Any
    games: Any = None
    source: str = "outcomes"
    baseline: str | None = None
    kind: SourceKind = "outcomes"
    warnings: list[str] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)
    plan: dict[str, Any] | None = None  # a store's judgments that are exactly an adaptive run's: its plan
    latest: dict[str, int] | None = None  # a store read with `latest`: what `store.latest_judgments` set aside
    rows_as_questions: bool = False  # an outcomes file without question ids: each row its own question
    judgments: Any = None  # a store's judgments read (every status, with their keys): texts given are checked on them


def source_kind(source: Any) -> SourceKind:
    """Which kind of source this is: a table in memory (DataFrame, Arrow) holds outcomes; a SQLite file is a
    store; a directory with judgments.jsonl or leaderboard.json is a results folder (`judgebench.rate` rates
    its judgments, or says that a folder without them, as `leaderboard --out` writes, has none); a directory of
    *.jsonl files and no *.json holds arena-hard-auto's judgments (outcomes); any other directory, a list of files
    or a `.json` file holds AlpacaEval annotations (JSON arrays); any other file (JSONL, CSV, Parquet) holds
    outcomes."""
    if isinstance(source, (list, tuple)):
        return "alpaca-eval"
    if not isinstance(source, (str, Path)):
        return "outcomes"
    path = Path(source)
    if path.is_dir() and any((path / name).is_file() for name in RESULTS_FILES):
        return "results"
    if path.is_dir() and not any(path.glob("*.json")) and any(path.glob("*.jsonl")):
        return "outcomes"  # a judge's folder of arena-hard-auto's judgment files
    if path.is_dir() or path.suffix.lower() == ".json":
        return "alpaca-eval"
    try:
        with path.open("rb") as handle:
            if handle.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER:
                return "store"
    except OSError:
        pass  # a missing file is reported by the reader of its kind
    return "store" if path.suffix.lower() in (".sqlite", ".sqlite3", ".db") else "outcomes"


def read_outcomes(path: str | Path, baseline: str | None = None) -> Any:
    """Read a generic outcomes file for rating: Parquet straight into Arrow columns (no per-row Python
    objects, so a million outcomes load in a fraction of a second), other formats (and Parquet in evalica's
    left/right layout, and arena-hard-auto's judgment files or folder, which may need the `baseline`) through
    `judgebench.datasets.judgments.load_outcomes`. The result is validated when it is rated."""
    from judgebench.datasets.judgments import is_arena_hard_layout, is_pairwise_layout, load_outcomes

    path = Path(path)
    if path.suffix.lower() not in _PARQUET_SUFFIXES:
        return load_outcomes(path, baseline)
    if not path.is_file():
        raise InputError("file not found", path=path, hint="check the path of the outcomes file")
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        if not is_pairwise_layout(schema.names) and not is_arena_hard_layout(schema.names):
            text = [name for name in ("question_id", "model_a", "model_b", "winner") if name in schema.names]
            return pq.ParquetFile(path, read_dictionary=text).read()
    except Exception as error:  # pyarrow raises several types for damaged files
        raise InputError(f"cannot read Parquet: {error}", path=path, hint="is it a complete Parquet file?") from None
    return load_outcomes(path, baseline)


def load_inputs(*, store: str | Path | None = None, alpaca_eval: Sequence[str | Path] | None = None,
                outcomes: Any = None, swap: str = "both", seed: int = 0, baseline: str | None = None,
                judge: str | None = None, template: str | None = None, latest: bool = False) -> Inputs:
    """Read exactly one source: a judgebench store, AlpacaEval annotation files, or outcomes (a file path,
    or a table already in memory: a pandas DataFrame, a pyarrow Table or a mapping of columns).

    From a store, `swap` and `seed` turn its games into outcomes and `judge`/`template` choose whose
    games (`latest`: each game judged by several requests by its latest judgment); for AlpacaEval annotations
    the baseline is the models' common opponent (generator_1) unless given.
    """
    kind, source = one_source(store=store, alpaca_eval=alpaca_eval, outcomes=outcomes)
    if kind == "store":
        return _from_store(source, swap, seed, baseline, judge, template, latest)
    if kind == "alpaca-eval":
        return _from_alpaca_eval(source, baseline)
    if isinstance(source, (str, Path)):
        return _from_outcomes_file(Path(source), baseline)
    return Inputs(source, None, "outcomes", baseline, "outcomes")


def one_source(*, store: Any = None, alpaca_eval: Any = None, outcomes: Any = None) -> tuple[SourceKind, Any]:
    """The one source given, as (kind, source); none or several is a ConfigError naming the flags."""
    candidates: tuple[tuple[SourceKind, Any], ...] = (("store", store), ("alpaca-eval", alpaca_eval),
                                                       ("outcomes", outcomes))
    given = [(kind, value) for kind, value in candidates
             if value is not None and not (isinstance(value, (list, tuple)) and not value)]
    if len(given) != 1:
        raise ConfigError("give exactly one of --store PATH, --alpaca-eval FILE..., --outcomes FILE"
                          + (f" (got {', '.join('--' + kind for kind, _ in given)})" if given else ""))
    return given[0]


def store_judgments(db: Store, judge: str | None, template: str | None) -> pd.DataFrame:
    """The judgments of `db` of a judge and template, one row per game (`Store.judgments`), as what rates or
    diagnoses a store reads them (`leaderboard --store`, `judgebench.rate`, `report` and `diagnose --store`).

    `template` is a template's name (its judgments, with the verdicts stored), or a template file (a value with
    a suffix: `prompts.template_file`): the judgments stored under its name, read with its verdict table
    (`verdicts.read_stored`), as a run with that file reads them. The store gives the verdicts as stored, since
    reading verdicts is verdicts.py's (DESIGN.md), so its readers read them again here, all alike.

    The replies are read before each game gets its row (`Store.every_game`). Games that share a judgment (the
    same request: identical answers) copy its stored row, reply and logprobs included (`records.per_game`), so
    reading each copy would give every game the verdict that reading the row once gives, in the same order;
    reading first is the cheaper, parsing each stored reply once rather than once per game.
    """
    from judgebench.prompts import template_file
    from judgebench.verdicts import read_stored

    reader = template_file(template)
    if reader is None:
        return db.judgments(judge=judge, template=template)
    rows = db.judgment_rows(judge=judge, template=reader.name)
    return db.every_game(read_stored(rows, reader, db.path))


def _from_store(store: str | Path, swap: str, seed: int, baseline: str | None, judge: str | None,
                template: str | None, latest: bool) -> Inputs:
    """The store's outcomes for `judge` and `template` (with `latest`, each game's latest judgment only:
    `store.latest_judgments`, whose count the Inputs keep and whose warning they give); the judge and template
    not given are those of the judgments read (`measured_games` admits one of each), recorded in `provenance` as
    `report --store` names them (`diagnostics.provenance_value`)."""
    from judgebench.datasets.gold import without_gold_pairs
    from judgebench.diagnostics import provenance_value
    from judgebench.records import OK
    from judgebench.store import Store, latest_judgments, measured_games, measurements_hint
    from judgebench.verdicts import combine

    warnings, set_aside = [], None
    with Store(store, must_exist=True, reading=True) as db:
        judgments, gold = without_gold_pairs(store_judgments(db, judge, template), store)
        warnings += [gold] if gold else []
        if latest:
            judgments, set_aside, partly = latest_judgments(judgments, db)
            warnings += [partly] if partly else []
        games = measured_games(judgments, judge, template, db)
        frame = combine(games, swap=swap, seed=seed, baseline=baseline).outcomes
        if len(frame) == 0:
            raise InputError("the store holds no complete judged pair for this judge and template", path=store,
                             hint=(_one_order_hint(games, judgments, swap)
                                   or measurements_hint(db.measurements(), judge, template)))
        plan, warning = db.plan_of(judgments)
    warnings += [warning] if warning else []
    rated = judgments[judgments["status"] == OK]
    provenance = {column: value for column, chosen in (("judge", judge), ("template", template))
                  if chosen is None and (value := provenance_value(rated, column)) is not None}
    return Inputs(frame, games, str(store), baseline, "store", warnings, provenance, plan, set_aside,
                  judgments=judgments)


def _one_order_hint(games: pd.DataFrame, judgments: pd.DataFrame, swap: str) -> str:
    """Where a swap policy that needs both orders of a pair finds none but the store holds games judged in one
    order (a run with --swap random-one judged each pair once): the flag that rates them. Not where some of the
    `judgments` read have no verdict: a pair's other order may then have been asked for and failed."""
    from judgebench.records import OK
    from judgebench.verdicts import combine

    if (swap == "random-one" or not (judgments["status"] == OK).all()
            or len(combine(games, swap="random-one").outcomes) == 0):
        return ""
    return ("its pairs were judged in one order each, as a run with --swap random-one judges them: rate them "
            "with --swap random-one")


def _from_outcomes_file(path: Path, baseline: str | None) -> Inputs:
    """An outcomes file's outcomes; for arena-hard-auto's judgments also their judges (the leaderboard's judge, as
    AlpacaEval's annotator is), their baseline when one is common to all and none is given, and what was left out."""
    outcomes = read_outcomes(path, baseline)
    attrs = getattr(outcomes, "attrs", {})
    baselines, judges = attrs.get("baselines", []), attrs.get("judges", [])
    return Inputs(outcomes, None, str(path), baseline or (baselines[0] if len(baselines) == 1 else None), "outcomes",
                  list(attrs.get("warnings", [])), {"judge": ", ".join(judges)} if judges else {},
                  rows_as_questions=bool(attrs.get("rows_as_questions")))


def _from_alpaca_eval(files: Sequence[str | Path], baseline: str | None) -> Inputs:
    """AlpacaEval annotations' outcomes; the baseline, when none is given, the models' common opponent; their
    annotators as the judge (and template: the annotator names its prompt), judging one random order; and the
    warnings counting the annotations left out (`load_alpaca_eval_annotations`), as the board's."""
    from judgebench.datasets.judgments import load_alpaca_eval_annotations

    frame = load_alpaca_eval_annotations([Path(p) for p in files])
    if baseline is None:
        opponents = frame.loc[frame["model_a"] != frame["model_b"], "model_b"].unique()
        baseline = str(opponents[0]) if len(opponents) == 1 else None
    annotators = ", ".join(frame.attrs["annotators"])
    provenance = {"judge": annotators, "template": annotators, "swap": "random-one"} if annotators else {}
    return Inputs(frame, None, ", ".join(str(p) for p in files), baseline, "alpaca-eval",
                  list(frame.attrs["warnings"]), provenance)  # annotations left out without a preference

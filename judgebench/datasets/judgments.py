"""Importers of judgments made elsewhere: generic outcomes files, arena-hard-auto's judgments, AlpacaEval annotations.

Both return outcomes with the canonical columns of `judgebench.records.OUTCOME_COLUMNS`
(question_id, model_a, model_b, score_a, weight, p_ab, p_ba), ready for `judgebench.ratings`.

- `load_outcomes`: a generic outcomes file (JSON Lines, a JSON array, CSV, TSV or Parquet) with question_id,
  model_a, model_b and either `winner` (Chatbot Arena's values: model_a, model_b, tie, "tie (bothbad)") or
  `score_a` in [0, 1]; or a pairwise comparison file in evalica's layout (left, right, winner: left | right |
  tie), each row its own question unless it gives a question_id; or arena-hard-auto's judgment files
  (`model_judgment/<judge>/<model>.jsonl`, or that judge's folder of them), each game its own outcome.
- `load_alpaca_eval_annotations`: AlpacaEval annotation files (a JSON array of records with instruction,
  output_1/generator_1 = the baseline, output_2/generator_2 = the evaluated model, and preference).
- `load_alpaca_eval_lc_weights`, `load_instruction_difficulty`: the published inputs of AlpacaEval's
  length-controlled win rate (see `judgebench.ratings.winrate.length_controlled_win_rate`).

Files are read by the shared reader stack (`judgebench.datasets.rows.read_table`: the same encoding checks,
positions and messages as questions and answers; arena-hard-auto's files, whose games are nested lists, record
by record, as pyarrow misreads those), and validation is vectorised (one pandas pass per check, no
per-row Python), so a file of a million outcomes loads in a fraction of a second. Every problem a user can
cause raises `InputError` naming the file, the line (or Parquet row), the field and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from judgebench.config import command_or_call, how_to_set, setting_name
from judgebench.datasets.alpaca_eval import question_id_for
from judgebench.datasets.rows import JSONProblem, Table, loads, read_table
from judgebench.errors import InputError, first_few
from judgebench.records import OUTCOME_COLUMNS

# Chatbot Arena's `winner` values, as the score of model_a.
WINNER_SCORES = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}
ID_COLUMNS = ("question_id", "model_a", "model_b")
OUTCOMES_HINT = ("an outcomes file needs question_id, model_a, model_b and either winner "
                 "(model_a | model_b | tie | tie (bothbad)) or score_a in [0, 1]; or evalica's pairwise layout: "
                 "left, right and winner (left | right | tie)")
# evalica's pairwise comparison files (left, right, winner): `winner` as the score of `left`.
PAIRWISE_SCORES = {"left": 1.0, "right": 0.0, "tie": 0.5}
PAIRWISE_COLUMNS = {"model_a": "left", "model_b": "right"}


def rows_as_questions_warning(interval: str, resample: str) -> str:
    """What a leaderboard says when its outcomes file has no question_id (each row its own question), in the
    words of the interval it computed (`interval`: bootstrap | sandwich; `resample`: questions | judgments):
    the warning spoke of a bootstrap resampling rows under sandwich intervals, where none was drawn."""
    start = "the outcomes file gives no question_id, so each row is its own question"
    shared = "where rows share a question (several judges or annotators of one prompt)"
    if resample != "questions":
        return (f"{start}; the intervals resample single judgments, which ignores questions either way and is too "
                f"narrow {shared}: add a question_id column and resample questions to cluster them")
    how = ("the sandwich covariance is clustered by row" if interval == "sandwich"
           else "the bootstrap resamples rows")
    return f"{start}: {how}, and its intervals are too narrow {shared}; add a question_id column to cluster them"


# --------------------------------------------------------------------------------------------------------------
# Generic outcomes.


def load_outcomes(path: str | Path, baseline: str | None = None) -> pd.DataFrame:
    """Read a generic outcomes file (JSON Lines, JSON array, CSV, TSV or Parquet) into canonical outcome columns.

    Input columns: question_id, model_a, model_b, and either `winner` with Chatbot Arena's values
    (model_a | model_b | tie | "tie (bothbad)", case and surrounding spaces ignored) or `score_a` in [0, 1]
    (1 = model_a better, 0.5 tie). When both are present `score_a` wins and `winner` fills rows where
    `score_a` is empty. Optional: `weight` (non-negative, default 1.0), `p_ab`/`p_ba` (per-order verdicts in
    [0, 1], NaN when unknown). Other columns are kept after the canonical ones.

    A file without model_a and model_b but with `left`, `right` and `winner` (left | right | tie) is read in
    evalica's layout, the layout of its comparison files: left is model_a, right is model_b. Without a
    question_id column each row is its own question (ids "1", "2", ... in row order), and
    `result.attrs["rows_as_questions"]` is True so that the leaderboard can say so (`rows_as_questions_warning`).

    A file with model, judge, games and question_id (or uid), or a folder of such files, holds arena-hard-auto's
    judgments: `load_arena_hard_judgments` reads it, with `baseline` for files that do not name theirs.

    Raises `InputError` naming file, line, field and the fix for: a missing column, an empty id or model,
    a model compared with itself, an unknown winner value, a score or weight that is not a number or is out of
    range, a malformed line.
    """
    path = Path(path)
    if path.is_dir():
        return load_arena_hard_judgments(path, baseline)
    source = read_table(path, text_columns=(*ID_COLUMNS, *PAIRWISE_COLUMNS.values(), "winner", "uid", "model"))
    frame = source.frame
    if frame.empty:
        raise InputError("no outcomes in the file", path=path, hint=OUTCOMES_HINT)
    if is_arena_hard_layout(frame.columns):
        return _arena_hard_outcomes([source], baseline)
    if is_pairwise_layout(frame.columns):
        return _pairwise_outcomes(frame, source)
    _require_columns(frame, source)
    out = pd.DataFrame({name: _id_column(frame[name], source, name) for name in ID_COLUMNS})
    _reject_self_pairs(out, source)
    out["score_a"] = _score_column(frame, source)
    return _with_optional_columns(out, frame, source)


def is_pairwise_layout(columns: Iterable[str]) -> bool:
    """Whether a table with these columns is in evalica's pairwise layout (left, right; no model_a, model_b)."""
    names = set(columns)
    return {"left", "right"} <= names and not names & {"model_a", "model_b"}


def _pairwise_outcomes(frame: pd.DataFrame, source: Table) -> pd.DataFrame:
    """Outcomes from evalica's layout: left (model_a), right (model_b) and winner (left | right | tie), each row
    its own question unless a question_id column says which rows share one."""
    if "winner" not in frame.columns:
        raise source.missing_column("winner", "in evalica's layout (left, right, winner) winner is left, right or "
                                              "tie")
    rows_as_questions = "question_id" not in frame.columns
    questions = (pd.Series(np.arange(1, len(frame) + 1).astype(str)) if rows_as_questions
                 else _id_column(frame["question_id"], source, "question_id"))
    out = pd.DataFrame({"question_id": questions.to_numpy(),
                        **{name: _id_column(frame[column], source, column).to_numpy()
                           for name, column in PAIRWISE_COLUMNS.items()}})
    _reject_self_pairs(out, source, field="right")
    score = _winner_scores(frame["winner"], source, needed=np.ones(len(frame), dtype=bool), values=PAIRWISE_SCORES)
    if np.isnan(score).any():
        raise source.error(_first(np.isnan(score)), "no verdict", field="winner", hint="give left, right or tie")
    out["score_a"] = score
    out = _with_optional_columns(out, frame, source, consumed=("left", "right", "winner"))
    out.attrs["rows_as_questions"] = rows_as_questions
    return out


def _with_optional_columns(out: pd.DataFrame, frame: pd.DataFrame, source: Table,
                           consumed: tuple[str, ...] = ("winner",)) -> pd.DataFrame:
    """`out` with the optional columns: weight (default 1), p_ab and p_ba (NaN when absent), then the file's
    other columns as they are (`consumed`: read into the canonical ones, so not kept)."""
    out["weight"] = _weight_column(frame, source)
    for name in ("p_ab", "p_ba"):
        out[name] = _probability_column(frame, name, source) if name in frame else np.nan
    extra = [c for c in frame.columns if c not in out.columns and c not in consumed]
    for name in extra:
        out[name] = frame[name].to_numpy()
    return out


def _require_columns(frame: pd.DataFrame, source: Table) -> None:
    for name in ID_COLUMNS:
        if name not in frame.columns:
            raise source.missing_column(name, _held_instead(frame.columns, source.path, "outcomes") or OUTCOMES_HINT)
    if "winner" not in frame.columns and "score_a" not in frame.columns:
        raise source.error(None, "missing column (neither winner nor score_a is present)", field="winner",
                           hint=OUTCOMES_HINT)


def _held_instead(columns: Iterable[str], path: Path, reading: str) -> str | None:
    """What a file read as `reading` ("outcomes" or "alpaca-eval") holds instead, told by its columns, and how to
    read that, or None: a run's games (judgments.jsonl), arena-hard-auto's judgments, AlpacaEval annotations, or
    outcomes. Each source's reader names the others, so that a file given to the wrong flag is sent to its own,
    not edited."""
    names = set(columns)
    if {"first", "second", "p_first"} <= names:  # a run's judgments.jsonl: games, not outcomes
        return ("this holds a run's games (first, second, p_first), as judgments.jsonl does: rate the run with "
                + command_or_call(f"`judgebench leaderboard --results {path.parent}`",
                                  f"`judgebench.rate({str(path.parent)!r})`"))
    if reading != "outcomes" and is_arena_hard_layout(names):
        return "this holds arena-hard-auto's judgments: read them with " + command_or_call(
            f"`--outcomes {path}`", f"`judgebench.rate({str(path)!r}, kind=\"outcomes\")`")
    if reading != "alpaca-eval" and {"instruction", "output_1", "output_2"} <= names:
        return "this holds AlpacaEval annotations: read them with " + command_or_call(
            f"`--alpaca-eval {path}`", f"`judgebench.rate({str(path)!r}, kind=\"alpaca-eval\")`")
    outcomes = ({*ID_COLUMNS} <= names and bool(names & {"winner", "score_a"})
                or is_pairwise_layout(names) and "winner" in names)
    if reading != "outcomes" and outcomes:
        return "this holds outcomes, not AlpacaEval annotations: read them with " + command_or_call(
            f"`--outcomes {path}`", f"`judgebench.rate({str(path)!r}, kind=\"outcomes\")`")
    return None


def _id_column(values: pd.Series, source: Table, name: str) -> pd.Series:
    text = values.astype("string").str.strip()
    bad = text.isna() | (text == "")
    if bad.any():
        raise source.error(_first(bad), "empty value", field=name, hint=f"every outcome needs a {name}")
    return text.astype(str)


def _reject_self_pairs(out: pd.DataFrame, source: Table, field: str = "model_b") -> None:
    same = out["model_a"] == out["model_b"]
    if same.any():
        row = _first(same)
        pair = "left and right" if field == "right" else "model_a and model_b"
        raise source.error(row, f"model '{out['model_a'].iloc[row]}' is compared with itself", field=field,
                           hint=f"{pair} must differ")


def _score_column(frame: pd.DataFrame, source: Table) -> np.ndarray:
    score = np.full(len(frame), np.nan)
    if "score_a" in frame.columns:
        score = _numbers(frame["score_a"], source, "score_a", "a number in [0, 1]")
        outside = ~np.isnan(score) & ((score < 0) | (score > 1))
        if outside.any():
            row = _first(outside)
            raise source.error(row, f"score {score[row]:g} is outside [0, 1]", field="score_a",
                               hint="score_a is the probability that model_a is better: 1, 0.5 for a tie, 0")
    if "winner" in frame.columns:
        from_winner = _winner_scores(frame["winner"], source, needed=np.isnan(score))
        _reject_contradictions(score, from_winner, frame, source)
        score = np.where(np.isnan(score), from_winner, score)
    missing = np.isnan(score)
    if missing.any():
        field = "score_a" if "score_a" in frame.columns else "winner"
        raise source.error(_first(missing), "no verdict", field=field, hint=OUTCOMES_HINT)
    return score


def _reject_contradictions(score: np.ndarray, from_winner: np.ndarray, frame: pd.DataFrame, source: Table) -> None:
    """A row whose score_a and winner disagree is an error: a winner with a score on the other side of 0.5 or
    at 0.5, or a tie with a score of 0 or 1. score_a is read where both are given, so such a winner was
    dropped without a word (a file whose scores follow another convention was rated backwards)."""
    decisive = from_winner != 0.5
    clash = ~np.isnan(score) & ~np.isnan(from_winner) & np.where(
        decisive, (from_winner - 0.5) * (score - 0.5) <= 0, (score == 0.0) | (score == 1.0))
    if clash.any():
        row = _first(clash)
        raise source.error(row, f"winner {frame['winner'].iloc[row]!r} contradicts score_a {score[row]:g}",
                           field="winner", hint="score_a is read where both are given: make them agree, or "
                           "give one of the two columns")


def _winner_scores(winner: pd.Series, source: Table, needed: np.ndarray,
                   values: dict[str, float] = WINNER_SCORES) -> np.ndarray:
    """The score of model_a for each `winner` (`values`: its meaning per value, case and spaces ignored); NaN
    where empty. An unknown value in a `needed` row is an error naming the values allowed."""
    codes, uniques = pd.factorize(winner)  # normalise and look up each distinct value once
    known = pd.Series(uniques, dtype="string").str.strip().str.lower().map(values)
    scores = np.append(known.to_numpy(dtype="float64", na_value=np.nan), np.nan)[codes]
    unknown = needed & np.isnan(scores) & (codes >= 0)
    if unknown.any():
        row = _first(unknown)
        names = list(values)
        raise source.error(row, f"unknown value {winner.iloc[row]!r}", field="winner",
                           hint=f"use {', '.join(names[:-1])} or {names[-1]}")
    return scores


def _weight_column(frame: pd.DataFrame, source: Table) -> np.ndarray:
    if "weight" not in frame.columns:
        return np.ones(len(frame))
    weight = _numbers(frame["weight"], source, "weight", "a non-negative number")
    bad = np.isnan(weight) | (weight < 0) | np.isinf(weight)
    if bad.any():
        row = _first(bad)
        given = frame["weight"].iloc[row]
        shown = "missing" if pd.isna(given) else repr(given.item() if isinstance(given, np.generic) else given)
        raise source.error(row, f"weight {shown} is not a non-negative number", field="weight",
                           hint="give every row a weight, or leave the weight column out to count every outcome once")
    return weight


def _probability_column(frame: pd.DataFrame, name: str, source: Table) -> np.ndarray:
    values = _numbers(frame[name], source, name, "a probability in [0, 1] or empty")
    outside = ~np.isnan(values) & ((values < 0) | (values > 1))
    if outside.any():
        row = _first(outside)
        raise source.error(row, f"{values[row]:g} is outside [0, 1]", field=name, hint="leave it empty when unknown")
    return values


def _numbers(values: pd.Series, source: Table, name: str, expected: str) -> np.ndarray:
    """Numeric values as float64 (NaN where empty); text that is not a number is an error."""
    if pd.api.types.is_bool_dtype(values.dtype):
        raise source.error(0, f"expected {expected}, found true/false", field=name)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    numeric = pd.to_numeric(values, errors="coerce")
    not_number = numeric.isna() & values.notna() & (values.astype("string").str.strip() != "")
    if not_number.any():
        row = _first(not_number)
        raise source.error(row, f"{values.iloc[row]!r} is not a number", field=name, hint=f"expected {expected}")
    return numeric.to_numpy(dtype="float64", na_value=np.nan)


def _first(mask: np.ndarray | pd.Series) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


# --------------------------------------------------------------------------------------------------------------
# arena-hard-auto.

# arena-hard-auto's verdict labels (the judge's `[[A>>B]]` ... as its gen_judgment.py stores them, without brackets;
# v2.0's show_result.py also reads the mirrored forms) as the score of the answer shown first, A.
ARENA_HARD_SCORES = {"A>>B": 1.0, "A>B": 1.0, "A=B": 0.5, "B>A": 0.0, "B>>A": 0.0,
                     "B<<A": 1.0, "B<A": 1.0, "B=A": 0.5, "A<B": 0.0, "A<<B": 0.0}
# A strong verdict counts three times, as arena-hard-auto's show_result.py counts it (its weight, default 3).
ARENA_HARD_STRONG = frozenset({"A>>B", "B>>A", "A<<B", "B<<A"})
ARENA_HARD_STRONG_WEIGHT = 3.0
ARENA_HARD_HINT = ("arena-hard-auto's judgment files (model_judgment/<judge>/<model>.jsonl) hold one record per "
                   "question with question_id (v0.1) or uid (v2.0), model, judge and games")


def is_arena_hard_layout(columns: Iterable[str]) -> bool:
    """Whether a table with these columns holds arena-hard-auto's judgments (model, judge, games, and question_id
    in v0.1 or uid in v2.0)."""
    names = set(columns)
    return {"model", "judge", "games"} <= names and bool(names & {"question_id", "uid"})


def is_arena_hard_file(path: Path) -> bool:
    """Whether `path` is one of arena-hard-auto's judgment files, told by its first record's fields (a file that
    cannot be read so is not): enough to say how a judge's files are given, not to read them."""
    try:
        with path.open(encoding="utf-8-sig") as file:
            first = next((line for line in file if line.strip()), "")
        record = loads(first)
    except (OSError, UnicodeDecodeError, JSONProblem):
        return False
    return path.suffix.lower() == ".jsonl" and isinstance(record, dict) and is_arena_hard_layout(record)


def load_arena_hard_judgments(path: str | Path, baseline: str | None = None) -> pd.DataFrame:
    """Read arena-hard-auto's judgment files into outcomes: one file (`model_judgment/<judge>/<model>.jsonl`) or a
    folder of them (a judge's: its *.jsonl files).

    Each record (question_id in v0.1, uid in v2.0; model; judge; games) holds the games of one question between
    the model and the baseline, in arena-hard-auto's order (its gen_judgment.py): in the first game the baseline's
    answer is A (shown first), in the second the model's. Each game becomes one outcome with model_a = the model
    shown first, score_a = A's score for its label (A>>B and A>B 1, A=B 0.5, B>A and B>>A 0; v2.0's mirrored labels
    alike), p_ab = score_a (model_a was shown first; p_ba NaN), and weight 3 for a strong verdict (A>>B, B>>A)
    and 1 otherwise, as arena-hard-auto counts them, so that the win rate against the baseline, sum w s / sum w,
    is its score. v2.0 records name their baseline (`baseline`); v0.1 records do not (judge_config.yaml's
    baseline_model names it), so `baseline` must be given for them. Records naming several baselines (a v2.0
    judge's folder holds each category's judgments against that category's baseline) need `baseline` too, and
    only the records against it are rated; a warning counts the others (`_kept_baseline`).

    A game without a verdict (a null game or score: the judge's reply had no label, or its call failed; or a
    score that is none of the labels) is left out, as arena-hard-auto v0.1 leaves it out (v2.0 leaves out the
    question's other game too); a warning counts them. `result.attrs`: `judges` (the judges of the records rated,
    sorted), `baselines` (the one baseline) and `warnings`. Raises `InputError` naming file, line and field for a
    missing column or baseline (or several, none given; or none the given one), an empty id, a model judged
    against itself, games that are not one or two objects, a record repeated (it would count twice), or no
    verdict at all.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            annotations = "its *.json files may be AlpacaEval annotations: read them with " + command_or_call(
                f"`--alpaca-eval {path}`", f"`judgebench.rate({str(path)!r})`")
            raise InputError("no *.jsonl judgment files in this folder", path=path,
                             hint=annotations if any(path.glob("*.json")) else ARENA_HARD_HINT)
    else:
        files = [path]
    sources = []
    for file in files:
        source = read_table(file, text_columns=("question_id", "uid", "model", "judge", "baseline"))
        if source.frame.empty:
            raise InputError("no judgments in the file", path=file, hint=ARENA_HARD_HINT)
        missing = [name for name in ("model", "judge", "games") if name not in source.frame.columns]
        if missing or not is_arena_hard_layout(source.frame.columns):
            raise source.missing_column(missing[0] if missing else "question_id", ARENA_HARD_HINT)
        sources.append(source)
    return _arena_hard_outcomes(sources, baseline, path)


def _arena_hard_outcomes(sources: list[Table], baseline: str | None, given: Path | None = None) -> pd.DataFrame:
    """The outcomes of arena-hard-auto's judgment files already read (`load_arena_hard_judgments`), one per game
    with a verdict, of the records against one baseline (`_kept_baseline`); `given` is the path the user gave (the
    warnings name it)."""
    columns: dict[str, list[object]] = {name: [] for name in ("question_id", "model_a", "model_b", "score_a", "weight")}
    judges: set[str] = set()
    held: dict[tuple[str, str, str, str], tuple[Table, int]] = {}
    total, unscored, labels_unknown = 0, 0, set()
    where = given or sources[0].path
    against = [_arena_hard_baselines(source.frame, source, baseline) for source in sources]
    kept, warnings = _kept_baseline(sources, against, baseline, where)
    for source, baselines in zip(sources, against, strict=True):
        frame = source.frame
        question = "uid" if "uid" in frame.columns else "question_id"
        questions = _id_column(frame[question], source, question).tolist()
        models = _id_column(frame["model"], source, "model").tolist()
        judged_by = _id_column(frame["judge"], source, "judge").tolist()
        for row, games in enumerate(frame["games"]):
            if baselines[row] != kept:
                continue
            judges.add(judged_by[row])
            key = (questions[row], models[row], kept, judged_by[row])
            _refuse_repeated_judgment(key, source, row, held)
            if models[row] == kept:
                raise source.error(row, f"model '{models[row]}' is judged against itself, the baseline", field="model",
                                   hint="leave its judgments out: arena-hard-auto scores the baseline 50% unjudged")
            for index, label in enumerate(_arena_hard_labels(games, source, row)):
                total += 1
                score = ARENA_HARD_SCORES.get(label) if label is not None else None
                if score is None:
                    unscored += 1
                    labels_unknown |= {label} if label is not None else set()
                    continue
                first, second = (kept, models[row]) if index == 0 else (models[row], kept)
                for name, value in zip(columns, (questions[row], first, second, score,
                                                 ARENA_HARD_STRONG_WEIGHT if label in ARENA_HARD_STRONG else 1.0),
                                       strict=True):
                    columns[name].append(value)
    if not columns["score_a"]:
        raise InputError("no game in these judgments has a verdict (every score is null or not a label)",
                         path=where, hint="judge them again with arena-hard-auto's gen_judgment.py")
    out = pd.DataFrame(columns).astype({"score_a": "float64", "weight": "float64"})
    out["p_ab"], out["p_ba"] = out["score_a"], np.nan
    if unscored:
        what = f"; scores that are not a label: {first_few(sorted(labels_unknown), 5)}" if labels_unknown else ""
        warnings.append(f"{where}: {unscored} of {total} games have no verdict (a null game or score{what}) and are "
                        "left out, as arena-hard-auto v0.1 leaves them out (v2.0 leaves out the question's other "
                        "game too)")
    out.attrs.update(judges=sorted(judges), baselines=[kept], warnings=warnings)  # the board's warnings show them
    return out


def _kept_baseline(sources: list[Table], against: list[list[str]], baseline: str | None,
                   where: Path) -> tuple[str, list[str]]:
    """The baseline whose records are rated, and the warnings that count the records left out.

    arena-hard-auto v2.0 judges each category against its own baseline (hard_prompt against o3-mini,
    creative_writing against gemini-2.0-flash) and its show_result.py rates one category at a time: records
    naming several baselines, pooled, would rate models on a board whose baseline is none of them. So they need
    `baseline`, and with it only the records against it are kept (a warning counts the others)."""
    records: dict[str, dict[str, int]] = {}  # baseline -> category ("" where not recorded) -> records
    for source, baselines in zip(sources, against, strict=True):
        categories = (source.frame["category"].astype("string").fillna("").tolist() if "category" in source.frame
                      else [""] * len(baselines))
        for name, category in zip(baselines, categories, strict=True):
            counts = records.setdefault(name, {})
            counts[category] = counts.get(category, 0) + 1

    def described(names: list[str]) -> str:  # "o3-mini (hard_prompt: 250 records), ..."
        counts = {name: ", ".join(f"{category}: {count} records" if category else f"{count} records"
                                  for category, count in records[name].items()) for name in names}
        return ", ".join(f"{name} ({count})" for name, count in counts.items())

    if baseline is None:
        if len(records) == 1:
            return next(iter(records)), []
        raise InputError(f"these judgments are against several baselines: {described(sorted(records))}", path=where,
                         field="baseline", hint="arena-hard-auto v2.0 rates one category at a time, against its own "
                         "baseline, and one board of them all would have no baseline: give one with "
                         + how_to_set("baseline", sorted(records)[0], option=True))
    if baseline not in records:
        raise InputError(f"no record is judged against the baseline {baseline}: the records' baselines are "
                         f"{described(sorted(records))}", path=where, field="baseline",
                         hint="give one of those as the baseline")
    others = sorted(set(records) - {baseline})
    if not others:
        return baseline, []
    left_out = sum(sum(records[name].values()) for name in others)
    return baseline, [f"{where}: {left_out} records are judged against other baselines than {baseline} and are left "
                      f"out: {described(others)} (arena-hard-auto v2.0 rates each category against its own "
                      "baseline, one at a time)"]


def _arena_hard_baselines(frame: pd.DataFrame, source: Table, baseline: str | None) -> list[str]:
    """Each record's baseline: its own `baseline` field (v2.0 records one), else the one given."""
    if "baseline" in frame.columns:
        return _id_column(frame["baseline"], source, "baseline").tolist()
    if baseline is None:
        raise source.error(None, "the baseline is not named", field="baseline", hint=(
            "arena-hard-auto v0.1's judgment files do not record it; its judge_config.yaml's baseline_model names it, "
            f"gpt-4-0314 for arena-hard-v0.1: give it with {how_to_set('baseline', 'gpt-4-0314', option=True)}"))
    return [baseline] * len(frame)


def _arena_hard_labels(games: object, source: Table, row: int) -> list[str | None]:
    """The labels of one record's games, in order (None for a game without one); `games` must hold one or two
    games (arena-hard-auto judges one order when not pairwise), each an object or null (v2.0: a failed call)."""
    if not isinstance(games, list | tuple | np.ndarray) or len(games) not in (1, 2):
        raise source.error(row, f"expected one or two games, found {_shown(games)}", field="games",
                           hint="arena-hard-auto's records hold two games: the baseline's answer first, then the "
                                "model's")
    labels: list[str | None] = []
    for number, game in enumerate(games, start=1):
        if game is not None and not isinstance(game, dict):
            raise source.error(row, f"game {number} is {_shown(game)}, not an object", field="games",
                               hint="each game is an object with its score (a label such as A>B, or null)")
        score = None if game is None else game.get("score")
        labels.append(None if score is None or (isinstance(score, float) and np.isnan(score)) else str(score).strip())
    return labels


def _shown(value: object) -> str:
    """A value as an error message shows it, cut to 60 characters."""
    text = repr(value.tolist() if isinstance(value, np.ndarray | np.generic) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def _refuse_repeated_judgment(key: tuple[str, str, str, str], source: Table, row: int,
                              held: dict[tuple[str, str, str, str], tuple[Table, int]]) -> None:
    """Refuse a record of a (question, model, baseline, judge) that an earlier one held (a file copied beside
    itself in the judge's folder, or a judgment appended twice): its games would count twice."""
    if key in held:
        first, index = held[key]
        raise source.error(row, f"it repeats the judgment of {key[1]} on question {key[0]} that "
                                f"{first.row(index).where()} holds", field="model",
                           hint="give each model's judgments once: twice, they would count twice")
    held[key] = (source, row)


# --------------------------------------------------------------------------------------------------------------
# AlpacaEval.

ALPACA_EVAL_FIELDS = ("instruction", "output_1", "generator_1", "output_2", "generator_2", "preference")
ALPACA_EVAL_COLUMNS = [*OUTCOME_COLUMNS, "len_a", "len_b"]


def instruction_id(instructions: Iterable[str] | pd.Series) -> pd.Series:
    """Stable question ids for instruction texts: the first 16 hex digits of SHA-256 of the UTF-8 text.

    Stable across runs, machines and library versions, so ids from different files (annotations, instruction
    difficulties) line up. Each distinct text is hashed once.
    """
    texts = pd.Series(instructions, dtype="string")
    codes, uniques = pd.factorize(texts, use_na_sentinel=False)
    hashed = np.array([question_id_for(str(text)) for text in uniques], dtype=object)
    return pd.Series(hashed[codes], index=texts.index, dtype=str)


def load_alpaca_eval_annotations(paths: Iterable[str | Path] | str | Path) -> pd.DataFrame:
    """Read AlpacaEval annotation files into outcomes of the evaluated model against the baseline.

    Each file is a JSON array of records with instruction, output_1 and generator_1 (the baseline),
    output_2 and generator_2 (the evaluated model) and preference: a float (or a string holding one) in
    [1, 2] where 1 = the baseline wins and 2 = the model wins; 0 and 1.5 are draws (AlpacaEval's convention).
    A directory stands for the *.json files in it.

    Returns OUTCOME_COLUMNS plus len_a and len_b (answer lengths in characters), with model_a = generator_2,
    model_b = generator_1, score_a = preference - 1 (a draw gives 0.5), question_id = `instruction_id` of the
    instruction, weight 1 and p_ab = p_ba = NaN (AlpacaEval judges one random order and does not store it).
    A file that compares the baseline with itself gives rows with model_a == model_b (score 0.5), kept so
    that its published 50% win rate can be reproduced; rating code should leave such rows out.

    Records with a missing (null or empty) preference are dropped, as AlpacaEval itself does when it computes
    win rates (they are not in its n_total): the count per file is in `result.attrs["dropped_missing_preference"]`
    ({file: count}), and a warning per file counts them in `result.attrs["warnings"]`, which the leaderboard shows
    among its own (they were only logged, so leaderboard.json and leaderboard.md never said that the win rates
    stand on fewer annotations than the files hold). Any other bad value raises `InputError`.
    The judges are the records' optional `annotator` (AlpacaEval's annotator configuration, which names the
    judge model and its prompt): `result.attrs["annotators"]`, the distinct names of the rows kept, sorted.
    """
    files = _expand_annotation_paths(paths)
    frames, dropped, annotators, warnings = [], {}, set(), []
    held: dict[tuple[str, str, str], Path] = {}  # (instruction, model, baseline) -> the file that holds it
    for path in files:
        frame, n_dropped, names = _read_alpaca_eval_file(path)
        _refuse_repeated_annotations(frame, path, held)
        frames.append(frame)
        annotators |= names
        if n_dropped:
            dropped[str(path)] = n_dropped
            warnings.append(f"{path}: {n_dropped:,} of {n_dropped + len(frame):,} annotations have no preference and "
                            "are left out, as AlpacaEval leaves them out of its win rates")
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ALPACA_EVAL_COLUMNS)
    result.attrs.update(dropped_missing_preference=dropped, annotators=sorted(annotators), warnings=warnings)
    return result


def _refuse_repeated_annotations(frame: pd.DataFrame, path: Path, held: dict[tuple[str, str, str], Path]) -> None:
    """Refuse annotations of an (instruction, model, baseline) that an earlier file held: the same file under two
    names, or two annotators' files of one model, would count those outcomes twice (a narrower standard error
    for the same data). Records the file's own in `held`."""
    keys = list(zip(frame["question_id"], frame["model_a"], frame["model_b"], strict=True))
    for key in keys:
        if key in held:
            raise InputError(f"it repeats annotations of {key[1]} against {key[2]} that {held[key]} holds (the same "
                             "instructions)", path=path, hint="give each model's annotations once: twice, they "
                             "would count twice")
    held.update(dict.fromkeys(keys, path))


def _expand_annotation_paths(paths: Iterable[str | Path] | str | Path) -> list[Path]:
    if isinstance(paths, str | Path):
        paths = [paths]
    files: list[Path] = []
    for item in map(Path, paths):
        if item.is_dir():
            found = sorted(item.glob("*.json"))
            if not found:
                raise InputError("no *.json annotation files in this folder", path=item)
            files.extend(found)
        elif item.is_file():
            files.append(item)
        else:
            raise InputError("file not found", path=item, hint="pass AlpacaEval annotations .json files")
    if not files:
        raise InputError("no AlpacaEval annotation files given")
    return list({file.resolve(): file for file in files}.values())  # a file named twice is read once


def _read_alpaca_eval_file(path: Path) -> tuple[pd.DataFrame, int, set[str]]:
    """One annotation file's outcomes, how many records it had without a preference, and its annotators."""
    source = read_table(path)
    if source.frame.empty:
        raise InputError("no annotations in the file", path=path)
    frame = source.frame.reindex(columns=list(ALPACA_EVAL_FIELDS))
    for name in ALPACA_EVAL_FIELDS:
        if frame[name].isna().all() and name != "preference":
            raise source.error(None, "missing field", field=name, hint=_held_instead(
                source.frame.columns, path, "alpaca-eval") or "AlpacaEval annotations need " + ", ".join(
                ALPACA_EVAL_FIELDS))
    preference = _alpaca_eval_preference(frame["preference"], source)
    keep = ~np.isnan(preference)
    if not keep.any():
        raise source.error(None, "no annotation has a preference", field="preference",
                           hint="annotate the file with AlpacaEval first")
    annotators = source.frame["annotator"][keep] if "annotator" in source.frame else pd.Series(dtype=object)
    frame, preference = frame[keep].reset_index(drop=True), preference[keep]
    out = pd.DataFrame({
        "question_id": instruction_id(_texts(frame["instruction"], source, "instruction")),
        "model_a": _id_column(frame["generator_2"], source, "generator_2").to_numpy(),
        "model_b": _id_column(frame["generator_1"], source, "generator_1").to_numpy(),
        "score_a": np.where(preference == 0, 0.5, preference - 1.0),
        "weight": 1.0,
        "p_ab": np.nan,
        "p_ba": np.nan,
        "len_a": frame["output_2"].astype("string").str.len().astype("float64").to_numpy(),
        "len_b": frame["output_1"].astype("string").str.len().astype("float64").to_numpy(),
    })
    return out, int((~keep).sum()), {str(name) for name in annotators.dropna() if str(name).strip()}


def _texts(values: pd.Series, source: Table, name: str) -> pd.Series:
    missing = values.isna()
    if missing.any():
        raise source.error(_first(missing), "missing value", field=name)
    return values.astype(str)


def _alpaca_eval_preference(values: pd.Series, source: Table) -> np.ndarray:
    """Preferences as floats; NaN marks a missing one (dropped by the caller), anything else must be valid."""
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    suspect = np.flatnonzero(np.isnan(numeric))  # usually none: only these rows need a closer look
    if suspect.size:
        text = values.iloc[suspect].astype("string").str.strip()
        not_number = (text.notna() & (text != "")).to_numpy(dtype=bool)
        if not_number.any():
            row = int(suspect[not_number.argmax()])
            raise source.error(row, f"{values.iloc[row]!r} is not a number", field="preference",
                               hint="expected a float in [1, 2] (1 = output_1 wins, 2 = output_2 wins) or 0 for a draw")
    outside = ~np.isnan(numeric) & (numeric != 0) & ((numeric < 1) | (numeric > 2))
    if outside.any():
        row = _first(outside)
        raise source.error(row, f"{numeric[row]:g} is outside [1, 2]", field="preference",
                           hint="expected a float in [1, 2] (1 = output_1 wins, 2 = output_2 wins) or 0 for a draw")
    return numeric


def _swapped_hint() -> str:
    """The hint for the two length-control files given for each other (each loader recognises the other's file),
    naming the two settings as the user gives them (`config.setting_name`)."""
    return (f"the two files look swapped: {setting_name('lc_weights', option=True)} takes lc_weights.csv and "
            f"{setting_name('instruction_difficulty', option=True)} takes instruction_difficulty.csv")


def load_alpaca_eval_lc_weights(path: str | Path) -> pd.DataFrame:
    """Published per-model coefficients of AlpacaEval's length-controlled GLM (lc_weights CSV).

    Returns one row per model (index) with columns `length`, `difficulty`, `intercept`, matching the fields of
    `judgebench.ratings.winrate.LengthGLM`. AlpacaEval's length feature is tanh of the standardised length
    difference baseline - model; `length` here is the coefficient of model - baseline, so its sign is flipped
    (positive = the judge favours the longer answer).
    """
    source = read_table(Path(path))
    table = source.frame
    if table.empty:
        raise source.error(None, "no models in the file", hint="one row per model, as AlpacaEval publishes it")
    if "instruction" in table.columns:
        raise source.error(None, "holds instruction difficulties (instruction, instruction_difficulty), not GLM "
                           "weights", hint=_swapped_hint())
    columns = {"length": "std_delta_len", "difficulty": "instruction_difficulty", "intercept": "not_gamed"}
    out = pd.DataFrame(index=table.iloc[:, 0].astype(str).to_numpy())  # the first, unnamed column: the model
    for name, marker in columns.items():
        matches = [c for c in table.columns if marker in c]
        if len(matches) != 1:
            raise source.error(None, f"expected one column containing '{marker}'", field=name,
                               hint="columns: np.tanh(std_delta_len), instruction_difficulty, not_gamed_baseline")
        out[name] = _numbers(table[matches[0]], source, matches[0], "a number")
        if out[name].isna().any():
            raise source.error(_first(out[name].isna()), "missing value", field=matches[0],
                               hint="every model needs all three coefficients")
    out["length"] = -out["length"]
    return out


def load_instruction_difficulty(path: str | Path) -> pd.Series:
    """AlpacaEval's per-instruction difficulty (CSV: instruction, instruction_difficulty), indexed by question_id.

    The index is `instruction_id(instruction)`, the same id `load_alpaca_eval_annotations` gives.
    """
    source = read_table(Path(path), text_columns=("instruction",))
    table = source.frame
    if "instruction" not in table.columns and any("std_delta_len" in str(column) for column in table.columns):
        raise source.error(None, "holds AlpacaEval's GLM weights (np.tanh(std_delta_len), ...), not instruction "
                           "difficulties", hint=_swapped_hint())
    for name in ("instruction", "instruction_difficulty"):
        if name not in table.columns:
            raise source.missing_column(name, "columns: instruction, instruction_difficulty")
    values = _numbers(table["instruction_difficulty"], source, "instruction_difficulty", "a number")
    instructions = _texts(table["instruction"], source, "instruction")
    return pd.Series(values, index=instruction_id(instructions).to_numpy(), name="instruction_difficulty")

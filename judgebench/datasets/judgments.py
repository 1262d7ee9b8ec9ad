"""Importers of judgments made elsewhere: generic outcomes files and AlpacaEval annotations.

Both return outcomes with the canonical columns of `judgebench.records.OUTCOME_COLUMNS`
(question_id, model_a, model_b, score_a, weight, p_ab, p_ba), ready for `judgebench.ratings`.

- `load_outcomes`: a generic outcomes file (JSON Lines, CSV or Parquet) with question_id, model_a, model_b and
  either `winner` (Chatbot Arena's values: model_a, model_b, tie, "tie (bothbad)") or `score_a` in [0, 1].
- `load_alpaca_eval_annotations`: AlpacaEval annotation files (a JSON array of records with instruction,
  output_1/generator_1 = the baseline, output_2/generator_2 = the evaluated model, and preference).
- `load_alpaca_eval_lc_weights`, `load_instruction_difficulty`: the published inputs of AlpacaEval's
  length-controlled win rate (see `judgebench.ratings.winrate.length_controlled_win_rate`).

Validation is vectorised (one pandas pass per check, no per-row Python for CSV and Parquet), so a file of a
million outcomes loads in about a second. Every problem a user can cause raises `InputError` naming the file,
the line (or record), the field and what to do.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from judgebench.errors import InputError
from judgebench.records import OUTCOME_COLUMNS

log = logging.getLogger(__name__)

# Chatbot Arena's `winner` values, as the score of model_a.
WINNER_SCORES = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}
ID_COLUMNS = ("question_id", "model_a", "model_b")
OUTCOMES_HINT = ("an outcomes file needs question_id, model_a, model_b and either winner "
                 "(model_a | model_b | tie | tie (bothbad)) or score_a in [0, 1]")
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}


# --------------------------------------------------------------------------------------------------------------
# Where a row came from: line numbers for error messages (computed only when an error is raised).


class _Source:
    """A file being read, able to turn a 0-based data row into the line (or record) a user can find."""

    def __init__(self, path: Path, kind: str):
        self.path, self.kind = path, kind

    def line(self, row: int) -> int:
        """1-based line number (CSV: after the header; JSON Lines: skipping blank lines) or record number."""
        if self.kind == "csv":
            return row + 2
        if self.kind == "jsonl":
            return _nth_nonblank_line(self.path, row)
        return row + 1

    def error(self, row: int | None, field: str | None, message: str, hint: str | None = None) -> InputError:
        line = None if row is None else self.line(row)
        where: object = self.path
        if line is not None and self.kind in ("parquet", "records"):
            where, line = f"{self.path} ({'row' if self.kind == 'parquet' else 'record'} {line})", None
        return InputError(message, path=where, line=line, field=field, hint=hint)


def _nth_nonblank_line(path: Path, row: int) -> int:
    with path.open("rb") as handle:
        seen = -1
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                seen += 1
                if seen == row:
                    return number
    return row + 1


# --------------------------------------------------------------------------------------------------------------
# Readers.


def _read_table(path: Path) -> tuple[pd.DataFrame, _Source]:
    if not path.is_file():
        raise InputError("file not found", path=path, hint="check the path of the outcomes file")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path), _Source(path, "parquet")
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, "\t" if suffix == ".tsv" else ","), _Source(path, "csv")
    if suffix in JSONL_SUFFIXES:
        return _read_jsonl(path), _Source(path, "jsonl")
    raise InputError(f"unknown outcomes format '{suffix}'", path=path,
                     hint="use .jsonl, .csv or .parquet")


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pandas()
    except Exception as error:  # pyarrow raises several types for damaged files
        raise InputError(f"cannot read Parquet: {error}", path=path,
                         hint="is it a complete Parquet file?") from None


def _read_csv(path: Path, delimiter: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    text_columns = {name: pa.string() for name in (*ID_COLUMNS, "winner")}
    try:
        table = pcsv.read_csv(path, parse_options=pcsv.ParseOptions(delimiter=delimiter),
                              convert_options=pcsv.ConvertOptions(column_types=text_columns))
    except pa.ArrowInvalid as error:
        raise _csv_error(path, delimiter, error) from None
    return table.to_pandas()


def _csv_error(path: Path, delimiter: str, error: Exception) -> InputError:
    """Re-read a CSV that pyarrow rejected with pandas' parser, which names the offending line."""
    try:
        pd.read_csv(path, sep=delimiter, dtype=str, engine="c")
    except pd.errors.ParserError as detailed:
        found = re.search(r"in line (\d+), saw (\d+)", str(detailed))
        if found:
            return InputError(f"malformed CSV line: {found.group(2)} fields where the header has fewer",
                              path=path, line=int(found.group(1)), hint="quote values that contain the delimiter")
        return InputError(f"malformed CSV: {detailed}", path=path)
    except (UnicodeDecodeError, ValueError) as detailed:
        return InputError(f"cannot read CSV: {detailed}", path=path, hint="save the file as UTF-8 CSV")
    return InputError(f"malformed CSV: {error}", path=path)


def _read_jsonl(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.json as pjson

    try:
        return pjson.read_json(path).to_pandas()
    except pa.ArrowInvalid:
        pass
    # Either a malformed line (find and name it) or types pyarrow cannot unify (let pandas read it).
    records = _parse_jsonl_lines(path)
    return pd.DataFrame.from_records(records)


def _parse_jsonl_lines(path: Path) -> list[dict]:
    records = []
    with path.open("r", encoding="utf-8", errors="strict") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"malformed JSON ({error.msg}, column {error.colno})", path=path, line=number,
                                 hint="each line must be one JSON object") from None
            if not isinstance(record, dict):
                raise InputError(f"expected a JSON object, found {type(record).__name__}", path=path,
                                 line=number, hint="each line must be one JSON object") from None
            records.append(record)
    return records


# --------------------------------------------------------------------------------------------------------------
# Generic outcomes.


def load_outcomes(path: str | Path) -> pd.DataFrame:
    """Read a generic outcomes file (JSON Lines, CSV or Parquet) into canonical outcome columns.

    Input columns: question_id, model_a, model_b, and either `winner` with Chatbot Arena's values
    (model_a | model_b | tie | "tie (bothbad)", case and surrounding spaces ignored) or `score_a` in [0, 1]
    (1 = model_a better, 0.5 tie). When both are present `score_a` wins and `winner` fills rows where
    `score_a` is empty. Optional: `weight` (non-negative, default 1.0), `p_ab`/`p_ba` (per-order verdicts in
    [0, 1], NaN when unknown). Other columns are kept after the canonical ones.

    Raises `InputError` naming file, line, field and the fix for: a missing column, an empty id or model,
    a model compared with itself, an unknown winner value, a score or weight that is not a number or is out of
    range, a malformed line.
    """
    path = Path(path)
    frame, source = _read_table(path)
    if frame.empty:
        raise InputError("no outcomes in the file", path=path, hint=OUTCOMES_HINT)
    _require_columns(frame, source)
    out = pd.DataFrame({name: _id_column(frame[name], source, name) for name in ID_COLUMNS})
    _reject_self_pairs(out, source)
    out["score_a"] = _score_column(frame, source)
    out["weight"] = _weight_column(frame, source)
    for name in ("p_ab", "p_ba"):
        out[name] = _probability_column(frame, name, source) if name in frame else np.nan
    extra = [c for c in frame.columns if c not in out.columns and c != "winner"]
    for name in extra:
        out[name] = frame[name].to_numpy()
    return out


def _require_columns(frame: pd.DataFrame, source: _Source) -> None:
    for name in ID_COLUMNS:
        if name not in frame.columns:
            raise source.error(None, name, "missing column", OUTCOMES_HINT)
    if "winner" not in frame.columns and "score_a" not in frame.columns:
        raise source.error(None, "winner", "missing column (neither winner nor score_a is present)", OUTCOMES_HINT)


def _id_column(values: pd.Series, source: _Source, name: str) -> pd.Series:
    text = values.astype("string").str.strip()
    bad = text.isna() | (text == "")
    if bad.any():
        raise source.error(_first(bad), name, "empty value", f"every outcome needs a {name}")
    return text.astype(str)


def _reject_self_pairs(out: pd.DataFrame, source: _Source) -> None:
    same = out["model_a"] == out["model_b"]
    if same.any():
        row = _first(same)
        raise source.error(row, "model_b", f"model '{out['model_a'].iloc[row]}' is compared with itself",
                           "model_a and model_b must differ")


def _score_column(frame: pd.DataFrame, source: _Source) -> np.ndarray:
    score = np.full(len(frame), np.nan)
    if "score_a" in frame.columns:
        score = _numbers(frame["score_a"], source, "score_a", "a number in [0, 1]")
        outside = ~np.isnan(score) & ((score < 0) | (score > 1))
        if outside.any():
            row = _first(outside)
            raise source.error(row, "score_a", f"score {score[row]:g} is outside [0, 1]",
                               "score_a is the probability that model_a is better: 1, 0.5 for a tie, 0")
    if "winner" in frame.columns:
        from_winner = _winner_scores(frame["winner"], source, needed=np.isnan(score))
        score = np.where(np.isnan(score), from_winner, score)
    missing = np.isnan(score)
    if missing.any():
        field = "score_a" if "score_a" in frame.columns else "winner"
        raise source.error(_first(missing), field, "no verdict", OUTCOMES_HINT)
    return score


def _winner_scores(winner: pd.Series, source: _Source, needed: np.ndarray) -> np.ndarray:
    codes, uniques = pd.factorize(winner)  # normalise and look up each distinct value once
    known = pd.Series(uniques, dtype="string").str.strip().str.lower().map(WINNER_SCORES)
    scores = np.append(known.to_numpy(dtype="float64", na_value=np.nan), np.nan)[codes]
    unknown = needed & np.isnan(scores) & (codes >= 0)
    if unknown.any():
        row = _first(unknown)
        raise source.error(row, "winner", f"unknown value {winner.iloc[row]!r}",
                           "use model_a, model_b, tie or tie (bothbad)")
    return scores


def _weight_column(frame: pd.DataFrame, source: _Source) -> np.ndarray:
    if "weight" not in frame.columns:
        return np.ones(len(frame))
    weight = _numbers(frame["weight"], source, "weight", "a non-negative number")
    bad = np.isnan(weight) | (weight < 0) | np.isinf(weight)
    if bad.any():
        row = _first(bad)
        raise source.error(row, "weight", f"weight {frame['weight'].iloc[row]!r} is not a non-negative number",
                           "leave the weight column out to count every outcome once")
    return weight


def _probability_column(frame: pd.DataFrame, name: str, source: _Source) -> np.ndarray:
    values = _numbers(frame[name], source, name, "a probability in [0, 1] or empty")
    outside = ~np.isnan(values) & ((values < 0) | (values > 1))
    if outside.any():
        row = _first(outside)
        raise source.error(row, name, f"{values[row]:g} is outside [0, 1]", "leave it empty when unknown")
    return values


def _numbers(values: pd.Series, source: _Source, name: str, expected: str) -> np.ndarray:
    """Numeric values as float64 (NaN where empty); text that is not a number is an error."""
    if pd.api.types.is_bool_dtype(values.dtype):
        raise source.error(0, name, f"expected {expected}, found true/false")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    numeric = pd.to_numeric(values, errors="coerce")
    not_number = numeric.isna() & values.notna() & (values.astype("string").str.strip() != "")
    if not_number.any():
        row = _first(not_number)
        raise source.error(row, name, f"{values.iloc[row]!r} is not a number", f"expected {expected}")
    return numeric.to_numpy(dtype="float64", na_value=np.nan)


def _first(mask: np.ndarray | pd.Series) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


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
    hashed = np.array([hashlib.sha256(str(text).encode("utf-8")).hexdigest()[:16] for text in uniques],
                      dtype=object)
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
    win rates (they are not in its n_total): the count per file is logged as a warning and stored in
    `result.attrs["dropped_missing_preference"]` ({file: count}). Any other bad value raises `InputError`.
    """
    files = _expand_annotation_paths(paths)
    frames, dropped = [], {}
    for path in files:
        frame, n_dropped = _read_alpaca_eval_file(path)
        frames.append(frame)
        if n_dropped:
            dropped[str(path)] = n_dropped
            log.warning("%s: dropped %d annotations without a preference", path, n_dropped)
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ALPACA_EVAL_COLUMNS)
    result.attrs["dropped_missing_preference"] = dropped
    return result


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
    return files


def _read_alpaca_eval_file(path: Path) -> tuple[pd.DataFrame, int]:
    source = _Source(path, "records")
    records = _read_json_array(path)
    if not records:
        raise InputError("no annotations in the file", path=path)
    frame = pd.DataFrame({name: [record.get(name) for record in records] for name in ALPACA_EVAL_FIELDS})
    for name in ALPACA_EVAL_FIELDS:
        if frame[name].isna().all() and name != "preference":
            raise source.error(None, name, "missing field", "AlpacaEval annotations need " +
                               ", ".join(ALPACA_EVAL_FIELDS))
    preference = _alpaca_eval_preference(frame["preference"], source)
    keep = ~np.isnan(preference)
    if not keep.any():
        raise source.error(None, "preference", "no annotation has a preference",
                           "annotate the file with AlpacaEval first")
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
    return out, int((~keep).sum())


def _read_json_array(path: Path) -> list:
    try:
        with path.open("r", encoding="utf-8") as handle:
            records = json.load(handle)
    except json.JSONDecodeError as error:
        raise InputError(f"malformed JSON ({error.msg}, column {error.colno})", path=path, line=error.lineno,
                         hint="AlpacaEval annotations are one JSON array of objects") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError("expected a JSON array of objects", path=path,
                         hint="AlpacaEval annotations are one JSON array of objects")
    return records


def _texts(values: pd.Series, source: _Source, name: str) -> pd.Series:
    missing = values.isna()
    if missing.any():
        raise source.error(_first(missing), name, "missing value")
    return values.astype(str)


def _alpaca_eval_preference(values: pd.Series, source: _Source) -> np.ndarray:
    """Preferences as floats; NaN marks a missing one (dropped by the caller), anything else must be valid."""
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    suspect = np.flatnonzero(np.isnan(numeric))  # usually none: only these rows need a closer look
    if suspect.size:
        text = values.iloc[suspect].astype("string").str.strip()
        not_number = (text.notna() & (text != "")).to_numpy(dtype=bool)
        if not_number.any():
            row = int(suspect[not_number.argmax()])
            raise source.error(row, "preference", f"{values.iloc[row]!r} is not a number",
                               "expected a float in [1, 2] (1 = output_1 wins, 2 = output_2 wins) or 0 for a draw")
    outside = ~np.isnan(numeric) & (numeric != 0) & ((numeric < 1) | (numeric > 2))
    if outside.any():
        row = _first(outside)
        raise source.error(row, "preference", f"{numeric[row]:g} is outside [1, 2]",
                           "expected a float in [1, 2] (1 = output_1 wins, 2 = output_2 wins) or 0 for a draw")
    return numeric


def load_alpaca_eval_lc_weights(path: str | Path) -> pd.DataFrame:
    """Published per-model coefficients of AlpacaEval's length-controlled GLM (lc_weights CSV).

    Returns one row per model (index) with columns `length`, `difficulty`, `intercept`, matching the fields of
    `judgebench.ratings.winrate.LengthGLM`. AlpacaEval's length feature is tanh of the standardised length
    difference baseline - model; `length` here is the coefficient of model - baseline, so its sign is flipped
    (positive = the judge favours the longer answer).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    table = pd.read_csv(path, index_col=0)
    columns = {"length": "std_delta_len", "difficulty": "instruction_difficulty", "intercept": "not_gamed"}
    out = pd.DataFrame(index=table.index.astype(str))
    for name, marker in columns.items():
        matches = [c for c in table.columns if marker in c]
        if len(matches) != 1:
            raise InputError(f"expected one column containing '{marker}'", path=path, field=name,
                             hint="columns: np.tanh(std_delta_len), instruction_difficulty, not_gamed_baseline")
        out[name] = pd.to_numeric(table[matches[0]], errors="raise").to_numpy()
    out["length"] = -out["length"]
    return out


def load_instruction_difficulty(path: str | Path) -> pd.Series:
    """AlpacaEval's per-instruction difficulty (CSV: instruction, instruction_difficulty), indexed by question_id.

    The index is `instruction_id(instruction)`, the same id `load_alpaca_eval_annotations` gives.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path=path)
    table = pd.read_csv(path, dtype={"instruction": str}, keep_default_na=False)
    for name in ("instruction", "instruction_difficulty"):
        if name not in table.columns:
            raise InputError("missing column", path=path, field=name)
    values = pd.to_numeric(table["instruction_difficulty"], errors="raise").to_numpy(dtype="float64")
    return pd.Series(values, index=instruction_id(table["instruction"]).to_numpy(), name="instruction_difficulty")

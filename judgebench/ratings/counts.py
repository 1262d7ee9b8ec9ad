"""Outcomes to compact arrays: coded rows, unique pairs and weighted pair counts.

Everything downstream (Bradley-Terry, intervals, leaderboard) works on these arrays, never on raw rows
of strings. The sufficient statistics of a Bradley-Terry model are, per pair of models, the number of
comparisons and the score of one side (a tie counts as half a win each way); `PairCounts` holds them.
Resampling needs the same statistics per cluster (question): `question_counts` builds them from the coded
rows in one pass, so a bootstrap replicate costs a matrix product, not a pass over the raw rows.

Input may be a pandas DataFrame, a pyarrow Table or a mapping of column name to array. pandas and
pyarrow are imported only when such an object is passed, to keep `judgebench leaderboard` quick to start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from judgebench.errors import InputError

# Chatbot Arena's `winner` values and the score of model_a they stand for.
WINNER_SCORES = {"model_a": 1.0, "model_b": 0.0, "tie": 0.5, "tie (bothbad)": 0.5}
# Per-answer style counts for style control (`ratings.style`), read from the columns <name>_a and <name>_b:
# tokens, then markdown headers, list items and bold spans (`datasets.fields.answer_metadata`'s counters).
STYLE_COUNTS = ("tokens", "headers", "lists", "bold")


@dataclass(frozen=True)
class CodedOutcomes:
    """Outcome (or game) rows with models and questions replaced by integer codes.

    `models[k]` is the name of model code k (sorted by name); `questions[c]` the id of question code c.
    For outcomes (`ordered=False`) model_a and model_b are the two sides of a pair; for games
    (`ordered=True`) model_a was shown first and model_b second, and `score_a` is the probability that
    the first answer is better. `p_ab`/`p_ba` are the per-order verdicts of outcomes (NaN when that
    order was not judged); `length_a`/`length_b` the answer lengths when known; `style_a`/`style_b` the
    (N, 4) style counts of each side's answer (STYLE_COUNTS) when the input has all their columns.
    """

    models: tuple[str, ...]
    questions: np.ndarray
    question: np.ndarray
    model_a: np.ndarray
    model_b: np.ndarray
    score_a: np.ndarray
    weight: np.ndarray
    p_ab: np.ndarray | None = None
    p_ba: np.ndarray | None = None
    length_a: np.ndarray | None = None
    length_b: np.ndarray | None = None
    style_a: np.ndarray | None = None
    style_b: np.ndarray | None = None
    ordered: bool = False
    self_pairs_dropped: int = 0

    @property
    def n_models(self) -> int:
        return len(self.models)

    @property
    def n_questions(self) -> int:
        return len(self.questions)

    def __len__(self) -> int:
        return len(self.score_a)

    def index_of(self, model: str, *, what: str = "model") -> int:
        """The code of `model`; an InputError naming the known models if it is not in the outcomes."""
        try:
            return self.models.index(model)
        except ValueError:
            known = ", ".join(self.models[:12]) + (" ..." if len(self.models) > 12 else "")
            raise InputError(f"{what} '{model}' does not appear in the outcomes (models: {known})") from None


@dataclass(frozen=True)
class PairCounts:
    """Weighted comparison counts per pair of models: the sufficient statistics of Bradley-Terry.

    `first[p]`, `second[p]` are model codes: first < second for outcomes, presentation order for games.
    `score[p]` is the weighted score of `first` against `second` (win 1, tie 1/2), `games[p]` the weighted
    number of comparisons and `ties[p]` the weighted tie mass (used by the Davidson tie model; a soft
    score s counts as tie mass 1 - |2s - 1|).
    """

    models: tuple[str, ...]
    first: np.ndarray
    second: np.ndarray
    score: np.ndarray
    games: np.ndarray
    ties: np.ndarray
    ordered: bool = False

    @property
    def n_models(self) -> int:
        return len(self.models)

    @property
    def n_pairs(self) -> int:
        return len(self.first)

    def model_scores(self) -> np.ndarray:
        """Total weighted score of each model over all its comparisons."""
        m = self.n_models
        return (np.bincount(self.first, self.score, m)
                + np.bincount(self.second, self.games - self.score, m))

    def first_score(self) -> float:
        """Total score of the first-shown side (meaningful for games only)."""
        return float(self.score.sum())

    def total_ties(self) -> float:
        return float(self.ties.sum())

    def score_matrix(self) -> np.ndarray:
        """Dense M x M matrix: entry (i, j) is the weighted score of i against j (ties half)."""
        m = self.n_models
        index = np.concatenate([self.first * m + self.second, self.second * m + self.first])
        return np.bincount(index, np.concatenate([self.score, self.games - self.score]), m * m).reshape(m, m)


@dataclass(frozen=True)
class RowPairs:
    """Which pair each row belongs to: `pair[r]`, and whether the row's model_a is the pair's second."""

    first: np.ndarray
    second: np.ndarray
    pair: np.ndarray
    flipped: np.ndarray

    def first_score(self, coded: CodedOutcomes) -> np.ndarray:
        """Each row's score seen from the pair's first model."""
        return np.where(self.flipped, 1.0 - coded.score_a, coded.score_a)


def tie_mass(score: np.ndarray) -> np.ndarray:
    """Tie share of soft scores: 1 for 0.5, 0 for a clear win or loss, linear in between."""
    return 1.0 - np.abs(2.0 * score - 1.0)


def row_pairs(coded: CodedOutcomes) -> RowPairs:
    """Map each row to a compact pair index (unordered pairs for outcomes, ordered for games)."""
    m = coded.n_models
    if coded.ordered:
        lo, hi, flipped = coded.model_a, coded.model_b, np.zeros(len(coded), dtype=bool)
    else:
        flipped = coded.model_a > coded.model_b
        lo = np.where(flipped, coded.model_b, coded.model_a)
        hi = np.where(flipped, coded.model_a, coded.model_b)
    key = lo * m + hi
    present = np.bincount(key, minlength=m * m) > 0
    compact = np.cumsum(present) - 1
    keys = np.flatnonzero(present)
    return RowPairs(first=keys // m, second=keys % m, pair=compact[key], flipped=flipped)


def pair_counts(coded: CodedOutcomes, pairs: RowPairs | None = None) -> PairCounts:
    """Sum rows into weighted per-pair counts."""
    pairs = pairs if pairs is not None else row_pairs(coded)
    n_pairs = len(pairs.first)
    w = coded.weight
    return PairCounts(
        models=coded.models,
        first=pairs.first,
        second=pairs.second,
        score=np.bincount(pairs.pair, w * pairs.first_score(coded), n_pairs),
        games=np.bincount(pairs.pair, w, n_pairs),
        ties=np.bincount(pairs.pair, w * tie_mass(coded.score_a), n_pairs),
        ordered=coded.ordered,
    )


def question_entries(coded: CodedOutcomes, pairs: RowPairs, rows: slice | np.ndarray = slice(None), *,
                     first_score: bool = False, ties: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every row's contributions to the per-question sufficient statistics, as (question, column, value).

    Columns: weighted games per pair (P, in the order of `pairs`), weighted score per model (M), then, when
    asked for, the first sides' total score (for a first-position effect) and the tie mass (for Davidson's
    model). Summed by (question, column) they are `question_counts`; a row gives 3 to 5 entries, whatever the
    number of pairs, so that a design with many pairs and few rows per question can be held sparse.
    """
    n_pairs, m = len(pairs.first), coded.n_models
    q, w, s = coded.question[rows], coded.weight[rows], coded.score_a[rows]
    columns = [pairs.pair[rows], n_pairs + coded.model_a[rows], n_pairs + coded.model_b[rows]]
    values = [w, w * s, w * (1.0 - s)]
    column = n_pairs + m
    if first_score:
        columns.append(np.full(len(q), column))
        values.append(w * np.where(pairs.flipped[rows], 1.0 - s, s))
        column += 1
    if ties:
        columns.append(np.full(len(q), column))
        values.append(w * tie_mass(s))
    return np.tile(q, len(columns)), np.concatenate(columns), np.concatenate(values)


def question_counts(coded: CodedOutcomes, pairs: RowPairs, questions: np.ndarray | None = None,
                    rows: slice | np.ndarray = slice(None), *, first_score: bool = False, ties: bool = False,
                    dtype: type = np.float64) -> np.ndarray:
    """Per-question sufficient statistics: one row per question, the columns of `question_entries`.

    A bootstrap replicate that draws question q w_q times has statistics ``w @ question_counts(...)``: no pass
    over the raw rows per replicate. `questions` (a contiguous range of question codes, default all) and `rows`
    (the rows of those questions) build a block of the matrix.
    """
    questions = np.arange(coded.n_questions) if questions is None else questions
    width = len(pairs.first) + coded.n_models + int(first_score) + int(ties)
    q, column, value = question_entries(coded, pairs, rows, first_score=first_score, ties=ties)
    flat = (q - int(questions[0])) * width + column
    return np.bincount(flat, value, len(questions) * width).reshape(len(questions), width).astype(dtype, copy=False)


# --- encoding -----------------------------------------------------------------------------------------


def encode_outcomes(data: Any, *, source: str = "outcomes", models: list[str] | None = None,
                    drop_self_pairs: bool = False) -> CodedOutcomes:
    """Validate outcome rows and code them as integer arrays.

    `data` is a pandas DataFrame, a pyarrow Table or a mapping of column name to array with columns
    question_id, model_a, model_b and either score_a in [0, 1] or winner (model_a | model_b | tie |
    "tie (bothbad)"); optional weight (default 1), p_ab, p_ba, len_a, len_b. `models` fixes the model
    coding (it must include every model in the data). Rows comparing a model with itself are an error,
    or, with `drop_self_pairs`, left out and counted in `self_pairs_dropped` (AlpacaEval's baseline-vs-itself
    file produces them). Raises InputError naming `source`, the row and the column for any bad value.
    """
    coded = _encode(data, source=source, models=models, names=("model_a", "model_b"), ordered=False,
                    drop_self_pairs=drop_self_pairs)
    return coded


def encode_games(data: Any, *, source: str = "games", models: list[str] | None = None) -> CodedOutcomes:
    """Validate game rows (question_id, first, second, p_first, weight) and code them (`ordered=True`)."""
    return _encode(data, source=source, models=models, names=("first", "second"), ordered=True)


# What a position effect needs from an outcomes file, for the errors that find it missing.
PER_ORDER_HINT = ("add the per-order verdicts: p_ab, model_a's score (1 win, 0.5 tie, 0 loss, or a probability) in "
                  "the game where model_a was shown first (for sports: model_a at home), and p_ba, model_a's score "
                  "where model_b was shown first; leave a cell empty for an order not judged. A judgebench store or "
                  "results directory has them")


def games_from_outcomes(coded: CodedOutcomes) -> CodedOutcomes:
    """The judged games behind outcomes, from their per-order verdicts p_ab and p_ba.

    An outcome judged in both orders gives two games: (a first, p_first = p_ab) and (b first,
    p_first = 1 - p_ba), each with the outcome's weight. Raises InputError when no per-order verdicts
    are available.
    """
    if coded.p_ab is None or coded.p_ba is None:
        raise InputError("the outcomes carry no per-order verdicts (p_ab, p_ba), so no position effect can be "
                         "fitted", hint=PER_ORDER_HINT)
    ab, ba = np.isfinite(coded.p_ab), np.isfinite(coded.p_ba)
    if not (ab.any() or ba.any()):
        raise InputError("no outcome has a per-order verdict (p_ab and p_ba are all missing), so no position "
                         "effect can be fitted", hint=PER_ORDER_HINT)
    return CodedOutcomes(
        models=coded.models,
        questions=coded.questions,
        question=np.concatenate([coded.question[ab], coded.question[ba]]),
        model_a=np.concatenate([coded.model_a[ab], coded.model_b[ba]]),
        model_b=np.concatenate([coded.model_b[ab], coded.model_a[ba]]),
        score_a=np.concatenate([coded.p_ab[ab], 1.0 - coded.p_ba[ba]]),
        weight=np.concatenate([coded.weight[ab], coded.weight[ba]]),
        ordered=True,
    )


def _encode(data: Any, *, source: str, models: list[str] | None, names: tuple[str, str],
            ordered: bool, drop_self_pairs: bool = False) -> CodedOutcomes:
    columns = _Columns(data, source)
    left_name, right_name = names
    score_name = "p_first" if ordered else "score_a"
    columns.require("question_id", left_name, right_name)
    question, questions = columns.factorize("question_id")
    left, left_labels = columns.factorize(left_name)
    right, right_labels = columns.factorize(right_name)
    if models is None:
        model_names = sorted({str(x) for x in left_labels} | {str(x) for x in right_labels})
    else:
        model_names = list(models)
    lookup = {name: k for k, name in enumerate(model_names)}
    model_a = _recode(left, left_labels, lookup, source, left_name)
    model_b = _recode(right, right_labels, lookup, source, right_name)
    same = np.flatnonzero(model_a == model_b)
    if len(same) and not drop_self_pairs:
        row = int(same[0])
        raise InputError(f"{columns.row(row)}: {left_name} and {right_name} are the same model "
                         f"'{model_names[model_a[row]]}'", path=source)
    if columns.has(score_name):
        score = columns.floats(score_name)
        _check_range(score, columns, score_name, 0.0, 1.0)
    elif not ordered and columns.has("winner"):
        score = columns.winner_scores("winner")
    else:
        wanted = "p_first" if ordered else "score_a or winner"
        raise InputError(f"missing column {wanted}", path=source)
    weight = columns.floats("weight") if columns.has("weight") else np.ones(len(score))
    _check_range(weight, columns, "weight", 0.0, np.inf)
    optional = {name: columns.floats(name, allow_nan=True) if columns.has(name) else None
                for name in ("p_ab", "p_ba", "len_a", "len_b")}
    for name in ("p_ab", "p_ba"):
        values = optional[name]
        if values is not None:
            _check_range(values, columns, name, 0.0, 1.0, allow_nan=True)
    style = {side: _style_counts(columns, side) for side in ("a", "b")}
    coded = CodedOutcomes(models=tuple(model_names), questions=np.asarray(questions, dtype=object),
                          question=question, model_a=model_a, model_b=model_b, score_a=score, weight=weight,
                          p_ab=optional["p_ab"], p_ba=optional["p_ba"], length_a=optional["len_a"],
                          length_b=optional["len_b"], style_a=style["a"], style_b=style["b"], ordered=ordered)
    if len(same):
        coded = subset(coded, model_a != model_b, keep_models=models is not None)
        coded = replace(coded, self_pairs_dropped=len(same))
    return coded


def _style_counts(columns: _Columns, side: str) -> np.ndarray | None:
    """(N, 4) style counts of one side when every STYLE_COUNTS column is present, else None."""
    names = [f"{name}_{side}" for name in STYLE_COUNTS]
    if not all(columns.has(name) for name in names):
        return None
    counts = np.column_stack([columns.floats(name) for name in names])
    for k, name in enumerate(names):
        _check_range(counts[:, k], columns, name, 0.0, np.inf)
    return counts


def subset(coded: CodedOutcomes, rows: np.ndarray, *, keep_models: bool = False) -> CodedOutcomes:
    """The selected rows, with questions (and, unless keep_models, models) that no longer occur dropped."""
    question_used = np.unique(coded.question[rows])
    question_code = np.full(coded.n_questions, -1)
    question_code[question_used] = np.arange(len(question_used))
    if keep_models:
        model_used = np.arange(coded.n_models)
    else:
        model_used = np.unique(np.concatenate([coded.model_a[rows], coded.model_b[rows]]))
    model_code = np.full(coded.n_models, -1)
    model_code[model_used] = np.arange(len(model_used))

    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[rows]

    return replace(coded, models=tuple(coded.models[k] for k in model_used),
                   questions=coded.questions[question_used], question=question_code[coded.question[rows]],
                   model_a=model_code[coded.model_a[rows]], model_b=model_code[coded.model_b[rows]],
                   score_a=coded.score_a[rows], weight=coded.weight[rows], p_ab=pick(coded.p_ab),
                   p_ba=pick(coded.p_ba), length_a=pick(coded.length_a), length_b=pick(coded.length_b),
                   style_a=pick(coded.style_a), style_b=pick(coded.style_b))


def _recode(codes: np.ndarray, labels: list, lookup: dict[str, int], source: str, column: str) -> np.ndarray:
    try:
        mapping = np.array([lookup[str(label)] for label in labels], dtype=np.int64)
    except KeyError as missing:
        raise InputError(f"model {missing} is not among the models to rate", path=source, field=column) from None
    return mapping[codes] if len(mapping) else codes.astype(np.int64)


def _shown(value: float) -> str:
    return "missing value" if np.isnan(value) else f"{float(value):g}"


def _check_range(values: np.ndarray, columns: _Columns, column: str, low: float, high: float, *,
                 allow_nan: bool = False) -> None:
    inside = (values >= low) & (values <= high)
    if allow_nan:
        inside |= np.isnan(values)
    if not inside.all():
        row = int(np.flatnonzero(~inside)[0])
        raise InputError(f"{columns.row(row)}: {_shown(values[row])} is not in [{low:g}, {high:g}]",
                         path=columns.source, field=column)


class _Columns:
    """Uniform read access to the columns of a DataFrame, an Arrow table or a mapping of arrays."""

    def __init__(self, data: Any, source: str):
        self.data, self.source = data, source
        module = type(data).__module__
        self.kind = "arrow" if module.startswith("pyarrow") else "pandas" if module.startswith("pandas") else "map"
        if self.kind == "map" and not isinstance(data, Mapping):
            raise InputError(f"expected a DataFrame, an Arrow table, a mapping of columns or a list of rows (dicts), "
                             f"got {type(data)}",
                             path=source)

    def row(self, position: int) -> str:
        """How a message names the row at 0-based `position`: its 1-based number, and a DataFrame's index label
        where the index is not 0, 1, 2, ... (a filtered frame's row 6 is the one `df.loc` finds as 10)."""
        named = f"row {position + 1}"
        if self.kind == "pandas":
            import pandas as pd

            index = self.data.index
            if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
                label = index[position]
                named += f" (index {(label.item() if hasattr(label, 'item') else label)!r})"  # 110, not np.int64(110)
        return named

    def names(self) -> list[str]:
        if self.kind == "arrow":
            return list(self.data.column_names)
        return [str(c) for c in (self.data.columns if self.kind == "pandas" else self.data.keys())]

    def has(self, name: str) -> bool:
        return name in self.names()

    def require(self, *names: str) -> None:
        missing = [n for n in names if not self.has(n)]
        if missing:
            pairwise = {"left", "right"} <= set(self.names())
            raise InputError(f"missing column(s) {', '.join(missing)} (found: {', '.join(self.names())})",
                             path=self.source,
                             hint="this is evalica's layout (left, right, winner): read it with "
                                  "judgebench.datasets.judgments.load_outcomes, or rate the file by its path"
                             if pairwise else None)

    def factorize(self, name: str) -> tuple[np.ndarray, list]:
        """Integer codes and their labels; missing values are an InputError."""
        column = self.data[name]
        if self.kind == "arrow":
            codes, labels = _factorize_arrow(column)
        elif self.kind == "pandas":
            import pandas as pd

            codes, uniques = pd.factorize(column, sort=False, use_na_sentinel=True)
            labels = list(uniques)
        else:
            uniques, codes = np.unique(np.asarray(column, dtype=object).astype(str), return_inverse=True)
            labels = list(uniques)
        codes = np.asarray(codes, dtype=np.int64)
        if len(codes) and codes.min() < 0:
            row = int(np.flatnonzero(codes < 0)[0])
            raise InputError(f"{self.row(row)}: missing value", path=self.source, field=name)
        return codes, labels

    def floats(self, name: str, *, allow_nan: bool = False) -> np.ndarray:
        column = self.data[name]
        try:
            if self.kind == "arrow":
                values = _arrow_numbers(column)
            elif self.kind == "pandas":
                values = column.to_numpy(dtype=float, na_value=np.nan)
            else:
                values = np.asarray(column)
            values = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise InputError(f"not numeric ({error})", path=self.source, field=name) from None
        bad = ~np.isfinite(values) if not allow_nan else np.isinf(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            problem = "missing value" if np.isnan(values[row]) else f"{values[row]:g} is not a finite number"
            raise InputError(f"{self.row(row)}: {problem}", path=self.source, field=name)
        return values

    def winner_scores(self, name: str) -> np.ndarray:
        codes, labels = self.factorize(name)
        table: list[float] = []
        for label in labels:
            key = str(label).strip().lower()
            if key not in WINNER_SCORES:
                row = int(np.flatnonzero(codes == len(table))[0])
                raise InputError(f"{self.row(row)}: unknown winner {label!r} (expected one of "
                                 f"{', '.join(WINNER_SCORES)})", path=self.source, field=name)
            table.append(WINNER_SCORES[key])
        return np.asarray(table, dtype=np.float64)[codes]


def _factorize_arrow(column: Any) -> tuple[np.ndarray, list]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    indices = array.indices
    if indices.null_count:
        indices = indices.fill_null(-1)
    return _arrow_numbers(indices), [value.as_py() for value in array.dictionary]


def _arrow_numbers(column: Any) -> np.ndarray:
    """An Arrow numeric column as a numpy array; without nulls, a view of Arrow's buffer (no copy, and no
    pandas import, which Arrow's own to_numpy may trigger)."""
    import pyarrow as pa

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    kind = array.type
    if array.null_count == 0 and (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        dtype = np.dtype(kind.to_pandas_dtype())
        buffer = array.buffers()[1]
        return np.frombuffer(buffer, dtype=dtype, count=len(array) + array.offset)[array.offset:]
    return np.asarray(array.to_numpy(zero_copy_only=False))

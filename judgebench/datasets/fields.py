"""The building blocks every format loader is made of: typed fields read from rows, and answer metadata.

A format loader only says where each canonical field lives in its rows (`Format`); reading the field,
checking its type and reporting a problem at `file:line` with the field name is done here, once, so all
formats give the same messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from judgebench.config import how_to_set
from judgebench.datasets.rows import JSONProblem, Row, loads
from judgebench.errors import InputError
from judgebench.records import Answer, Question

# What the formats' answer readers call the text of a model's answer: a blank one is an `EmptyAnswer`.
ANSWER = "answer"


class EmptyAnswer(InputError):
    """A model's answer (or one of its turns) that is blank: an error, or with allow_missing an answer missing
    (`load_dataset` skips the row, and the question counts as skipped for that model, as a missing answer does).
    Published outputs hold such answers (AlpacaEval's gemma-2b-it: 22 of 805)."""


@dataclass(frozen=True)
class Format:
    """How one input format maps its rows to questions and answers.

    `looks_like` decides from the first question row and the first answer row whether files are in this
    format (detection). `answer` receives a default model name for rows that do not name one: the file's
    stem where the format keeps one file per model (`model_from_file`), else None (the field is required).
    `id_field` and `turns_field` name, for a row, the fields holding the question id and the answer's
    turns, so that checks across rows (duplicates, turn counts) point at the right field. `holds_answers`
    says whether a questions file whose first row is this holds a model's answers too (an AlpacaEval outputs
    file), so that it is not left out when it sits in an answers directory. `reference_categories`: the categories
    of the questions whose reference answers the judge is shown (MT-Bench's, as FastChat's judge); None: every
    question's.
    """

    name: str
    looks_like: Callable[[dict[str, Any], dict[str, Any]], bool]
    question: Callable[[Row], Question]
    answer: Callable[[Row, str | None], Answer]
    id_field: Callable[[dict[str, Any]], str]
    turns_field: Callable[[dict[str, Any]], str]
    model_from_file: bool = True
    holds_answers: Callable[[dict[str, Any]], bool] = lambda row: False
    reference_categories: tuple[str, ...] | None = None


# The fields that name an answer's model, in any format.
MODEL_FIELDS = ("generator", "model_id", "model")


def has(row: Row, field: str) -> bool:
    """Whether the row gives a value for `field` (an empty CSV cell or a null counts as absent)."""
    value = row.data.get(field)
    return not _absent(value, row)


def text(row: Row, field: str, *, what: str = "value") -> str:
    """A required, non-blank string field."""
    value = _required(row, field, what=what)
    if not isinstance(value, str):
        raise row.error(f"must be a string, found {_type_name(value)}", field=field)
    if not value.strip():
        raise _blank(row, field, f"{what} is empty", what=what, hint=f"give a non-blank {what}")
    return value


def optional_text(row: Row, field: str) -> str | None:
    """An optional string field; absent or blank gives None, any other type is an error."""
    value = row.data.get(field)
    if _absent(value, row):
        return None
    if not isinstance(value, str):
        raise row.error(f"must be a string, found {_type_name(value)}", field=field)
    return value.strip() or None


def model_name(row: Row, default_model: str | None, names: tuple[str, ...] = ("model",)) -> str:
    """The model named by the first of `names` the row has, else `default_model` (None: it is required)."""
    for name in names:
        if has(row, name):
            return text(row, name, what="model name")
    if default_model is not None:
        return default_model
    return text(row, names[0], what="model name")


def question_id(row: Row, field: str) -> str:
    """A question id: a non-blank string or an integer (files often number questions), as a string."""
    value = _required(row, field, what="question id")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise row.error(f"must be a string or an integer, found {_type_name(value)}", field=field)
    value = str(value).strip()
    if not value:
        raise row.error("question id is empty", field=field, hint="give every question an id")
    return value


def turns(row: Row, field: str, *, what: str = "turn") -> tuple[str, ...]:
    """A required, non-empty list of non-blank strings (JSON-encoded in CSV cells)."""
    return check_turns(row, field, _decoded_list(row, field, _required(row, field, what=what)), what=what)


def optional_turns(row: Row, field: str, *, what: str = "reference") -> tuple[str, ...] | None:
    """Optional per-turn texts such as references: a list of strings, or one string for a single turn.

    Absent gives None. A blank entry is allowed and means "nothing for this turn" (MT-Bench gives
    references for only one of two turns of some questions).
    """
    value = row.data.get(field)
    if _absent(value, row):
        return None
    if isinstance(value, str) and not (row.textual and value.lstrip().startswith("[")):
        value = [value]
    return check_turns(row, field, _decoded_list(row, field, value), what=what, allow_blank=True)


def check_turns(row: Row, field: str, value: Any, *, what: str = "turn",
                allow_blank: bool = False) -> tuple[str, ...]:
    """Check that `value` (already taken out of the row) is a non-empty list of (non-blank) strings."""
    if not isinstance(value, list | tuple) or not value:
        raise row.error(f"must be a non-empty list of strings, found {_type_name(value)}", field=field,
                        hint='write e.g. ["first turn", "second turn"]')
    for index, turn in enumerate(value, start=1):
        if not isinstance(turn, str):
            raise row.error(f"turn {index} must be a string, found {_type_name(turn)}", field=field)
        if not turn.strip() and not allow_blank:
            raise _blank(row, field, f"{what} {index} is empty" if len(value) > 1 else f"{what} is empty",
                         what=what, hint=f"give a non-blank {what}, or remove the row")
    return tuple(value)


def turn_text(row: Row, field: str, value: Any, index: int) -> Any:
    """The text of one chat turn, which files give as a string or as an object holding it.

    Objects carry the text under `content` (chat messages, arena-hard-auto's older turns) or `answer`
    (arena-hard-auto's newer answers, which may also hold the model's reasoning, left out here).
    Anything else is returned unchanged for `check_turns` to report.
    """
    if isinstance(value, dict):
        for key in ("answer", "content"):
            if key in value:
                return turn_text(row, field, value[key], index)
        raise row.error(f"turn {index} is an object without 'content' or 'answer'", field=field)
    return value


def content_turns(row: Row, field: str, values: Any, *, what: str = "turn") -> tuple[str, ...]:
    """Chat turns given as strings or objects holding the text (see `turn_text`), checked as `check_turns`."""
    if isinstance(values, list):
        values = [turn_text(row, field, value, index) for index, value in enumerate(values, start=1)]
    return check_turns(row, field, values, what=what)


def token_count(row: Row, field: str, value: Any) -> int:
    """A token count given by the file: a non-negative integer (CSV cells and integral floats accepted)."""
    if row.textual and isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            pass
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise row.error(f"must be a non-negative integer, found {value!r}", field=field)
    return value


def scalar(row: Row, value: Any) -> Any:
    """A metadata value as the file means it: numbers in CSV cells become numbers; lists and objects stay."""
    if row.textual and isinstance(value, str):
        for number_type in (int, float):
            try:
                return number_type(value)
            except ValueError:
                continue
    return value


def _required(row: Row, field: str, *, what: str = "value") -> Any:
    value = row.data.get(field)
    if _absent(value, row):
        if field in row.data:
            raise _blank(row, field, f"{what} is empty", what=what, hint=f"give a non-blank {what}")
        raise row.error("missing required field", field=field, hint=f"add '{field}' to every record")
    return value


def _blank(row: Row, field: str, message: str, *, what: str, hint: str) -> InputError:
    """The error for a blank `what`: an `EmptyAnswer` for a model's answer, whose hint says how to skip it."""
    if what != ANSWER:
        return row.error(message, field=field, hint=hint)
    return row.error(message, field=field, kind=EmptyAnswer,
                     hint=f"{hint}; or set {how_to_set('allow_missing')} to skip empty answers as missing ones")


def _absent(value: Any, row: Row) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return row.textual and isinstance(value, str) and not value.strip()


def _decoded_list(row: Row, field: str, value: Any) -> Any:
    """CSV cells carry lists as JSON text; decode them (other sources give lists already)."""
    if not (row.textual and isinstance(value, str)):
        return value
    try:
        return loads(value)
    except JSONProblem as problem:
        raise row.error(f"must be a JSON-encoded list of strings in CSV: {problem.message}", field=field,
                        hint='write e.g. ["first turn"], or use a single-turn column') from None


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {str: "a string", int: "a number", float: "a number", bool: "a boolean",
            list: "a list", tuple: "a list", dict: "an object"}.get(type(value), type(value).__name__)


# Style metadata for style control (`ratings.style`), with arena-hard-auto v2's rules
# (`utils/add_markdown_info.py`): fenced code blocks (``` with no backtick inside) are emptied first, then, at line
# starts, headers are 1-6 '#' followed by whitespace, list items are optional whitespace, then '-', '*', '+' or
# digits and '.', then whitespace; bold spans are **...** or __...__ within one line.
_CODE_BLOCK = re.compile(r"```[^`]*```")
_HEADER = re.compile(r"^#{1,6}\s", re.MULTILINE)
_LIST_ITEMS = (re.compile(r"^\s*\d+\.\s", re.MULTILINE), re.compile(r"^\s*[-*+]\s", re.MULTILINE))
_BOLD = (re.compile(r"\*\*[^*\n]+\*\*"), re.compile(r"__[^_\n]+__"))


def answer_metadata(answer_turns: Iterable[str], n_tokens: int | None = None,
                    extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Length and markdown counts over all turns of an answer, plus the token count and metadata given.

    Keys: `n_chars`, `n_headers`, `n_bold`, `n_list_items` (arena-hard-auto v2's counters, summed over turns),
    and `n_tokens` when the file gave one.
    """
    answer_turns = list(answer_turns)
    prose = [_CODE_BLOCK.sub("``````", turn) if "```" in turn else turn for turn in answer_turns]
    metadata = dict(extra or {})
    metadata["n_chars"] = sum(len(turn) for turn in answer_turns)
    metadata["n_headers"] = sum(len(_HEADER.findall(turn)) for turn in prose)
    metadata["n_bold"] = sum(len(pattern.findall(turn)) for turn in prose for pattern in _BOLD)
    metadata["n_list_items"] = sum(len(pattern.findall(turn)) for turn in prose for pattern in _LIST_ITEMS)
    if n_tokens is not None:
        metadata["n_tokens"] = n_tokens
    return metadata

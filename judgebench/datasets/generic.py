"""The generic format: the canonical columns of DESIGN.md in JSONL, CSV or Parquet, and writers for them.

Questions: `question_id` (string or integer), `turns` (list of strings; or `prompt`, a string, for a
single-turn question), optional `category` and `reference` (list of strings, one per turn).
Answers: `question_id`, `model`, `turns` (or `answer`, a string), and any further columns as metadata
(`n_tokens` is checked to be a count). In CSV, list cells hold JSON text: `["first turn", "second"]`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from judgebench.datasets import fields
from judgebench.datasets.fields import Format
from judgebench.datasets.rows import Row
from judgebench.errors import InputError
from judgebench.outputs import atomic_open, atomic_write_text
from judgebench.records import Answer, Question

ANSWER_FIELDS = ("question_id", "model", "turns", "answer")
# Metadata computed from the text on every load; not written back, so files stay the user's own data.
COMPUTED_METADATA = ("n_chars", "n_headers", "n_bold", "n_list_items")


def question(row: Row) -> Question:
    """A question from canonical columns."""
    return Question(
        question_id=fields.question_id(row, "question_id"),
        turns=_turns(row, "turns", "prompt", what="question turn"),
        category=fields.optional_text(row, "category"),
        reference=fields.optional_turns(row, "reference"),
    )


def answer(row: Row, default_model: str | None) -> Answer:
    """An answer from canonical columns; columns beyond the canonical ones are kept as metadata."""
    turns = _turns(row, "turns", "answer", what=fields.ANSWER)
    extra = {key: fields.scalar(row, value) for key, value in row.data.items()
             if key not in ANSWER_FIELDS and key != "n_tokens" and fields.has(row, key)}
    n_tokens = fields.token_count(row, "n_tokens", row.data["n_tokens"]) if fields.has(row, "n_tokens") else None
    return Answer(
        question_id=fields.question_id(row, "question_id"),
        model=fields.model_name(row, default_model),
        turns=turns,
        metadata=fields.answer_metadata(turns, n_tokens, extra),
    )


def _turns(row: Row, list_field: str, single_field: str, *, what: str) -> tuple[str, ...]:
    """Turns from the list column, or a single turn from the string column of single-turn files."""
    if fields.has(row, list_field):
        return fields.turns(row, list_field, what=what)
    if single_field in row.data:
        return (fields.text(row, single_field, what=what),)
    if list_field in row.data:  # present but null or blank: say so
        return fields.turns(row, list_field, what=what)
    raise row.error(f"missing required field (or '{single_field}' for a single turn)",
                    field=list_field, hint=f"add '{list_field}' or '{single_field}' to every record")


def looks_like(question_row: dict[str, Any], answer_row: dict[str, Any]) -> bool:
    """The generic format is the fallback: anything no other format claims is read as canonical columns."""
    return True


FORMAT = Format(name="generic", looks_like=looks_like, question=question, answer=answer,
                id_field=lambda data: "question_id",
                turns_field=lambda data: "turns" if "turns" in data else "answer",
                model_from_file=False)


def question_records(questions: Iterable[Question]) -> list[dict[str, Any]]:
    """Questions as canonical records (lists for turns and references)."""
    return [{"question_id": q.question_id, "turns": list(q.turns), "category": q.category,
             "reference": list(q.reference) if q.reference is not None else None} for q in questions]


def answer_records(answers: Iterable[Answer]) -> list[dict[str, Any]]:
    """Answers as canonical records, with the metadata a file gave (not the counts computed on load)."""
    records = []
    for a in answers:
        record = {"question_id": a.question_id, "model": a.model, "turns": list(a.turns)}
        record.update({k: v for k, v in a.metadata.items() if k not in COMPUTED_METADATA})
        records.append(record)
    return records


def write_questions(questions: Iterable[Question], path: Path) -> None:
    """Write questions in the generic format; the suffix of `path` picks JSONL, CSV or Parquet."""
    _write(question_records(questions), Path(path))


def write_answers(answers: Iterable[Answer], path: Path) -> None:
    """Write answers in the generic format; the suffix of `path` picks JSONL, CSV or Parquet."""
    _write(answer_records(answers), Path(path))


def _write(records: list[dict[str, Any]], path: Path) -> None:
    """Write records atomically (a crash never leaves half a file), in the format the suffix names."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        atomic_write_text(path, "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))
    elif suffix == ".csv":
        columns = list(dict.fromkeys(key for record in records for key in record))
        with atomic_open(path, newline="") as out:
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            for record in records:
                writer.writerow({key: _csv_cell(value) for key, value in record.items()})
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        with atomic_open(path, "wb") as out:
            pq.write_table(pa.Table.from_pylist(records), out)
    else:
        raise InputError(f"cannot write file type '{path.suffix}'", path=path,
                         hint="use .jsonl, .csv or .parquet")


def _csv_cell(value: Any) -> Any:
    """Lists and objects as JSON text, nulls as empty cells, everything else as is."""
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False)
    return value

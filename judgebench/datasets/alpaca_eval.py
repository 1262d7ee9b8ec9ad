"""AlpacaEval model outputs: a JSON array (or JSONL) of `{instruction, output, generator, dataset?}`.

AlpacaEval has no question ids: each question is its instruction. The id used here is a hash of the
instruction text (`question_id_for`), not a position, so that files listing the same instructions in a
different order, or only some of them, still line up question by question, and any other tool reading
AlpacaEval files (annotations included) can compute the same id. The questions file can be the
evaluation set or any model's outputs file (only `instruction` and `dataset` are read from it as questions);
`dataset` becomes the question's category. An outputs file given as the questions and lying in an answers
directory is that model's answers too (`holds_answers`: its rows have `output`). A row without `generator`
belongs to the model its file names.
"""

from __future__ import annotations

import hashlib
from typing import Any

from judgebench.datasets import fields
from judgebench.datasets.fields import Format
from judgebench.datasets.rows import Row
from judgebench.records import Answer, Question


def question_id_for(instruction: str) -> str:
    """The stable question id of an AlpacaEval instruction: the first 16 hex digits of the SHA-256 of its
    UTF-8 text, exactly as written (the same ids as AlpacaEval annotations get in `datasets.judgments`).
    """
    return hashlib.sha256(instruction.encode("utf-8")).hexdigest()[:16]


def question(row: Row) -> Question:
    """A single-turn question from `instruction`, categorised by `dataset`."""
    instruction = fields.text(row, "instruction", what="instruction")
    return Question(question_id=question_id_for(instruction), turns=(instruction,),
                    category=fields.optional_text(row, "dataset"))


def answer(row: Row, default_model: str | None) -> Answer:
    """The `output` of `generator` for the question of this row's `instruction`."""
    instruction = fields.text(row, "instruction", what="instruction")
    turns = (fields.text(row, "output", what=fields.ANSWER),)
    return Answer(question_id=question_id_for(instruction),
                  model=fields.model_name(row, default_model, ("generator",)),
                  turns=turns, metadata=fields.answer_metadata(turns))


def looks_like(question_row: dict[str, Any], answer_row: dict[str, Any]) -> bool:
    """AlpacaEval rows are recognised by `instruction` (with `output` in answers)."""
    return "instruction" in question_row or {"instruction", "output"} <= answer_row.keys()


FORMAT = Format(name="alpaca-eval", looks_like=looks_like, question=question, answer=answer,
                id_field=lambda data: "instruction", turns_field=lambda data: "output",
                holds_answers=lambda row: "output" in row)

"""MT-Bench as FastChat publishes it: two-turn questions and answers in FastChat's model_answer layout.

Questions (`question.jsonl`): `question_id` (an integer), `category`, `turns` (two strings), and for some
questions `reference` (reference answers per turn). Answers (`model_answer/<model>.jsonl`): `question_id`,
`model_id`, `choices: [{"index": 0, "turns": [...]}]`; the first choice is the answer, as FastChat uses it.
Reference answers (`reference_answer/gpt-4.jsonl`) have the answers' shape and, when given to
`load_dataset(references=...)`, replace the references of the questions they cover. As FastChat's judge
(gen_judgment.py), the judge is shown reference answers only for questions of its reference categories
(`REFERENCE_CATEGORIES`): the others' are set aside, from the questions file and the references file alike.
"""

from __future__ import annotations

from typing import Any

from judgebench.datasets import fields
from judgebench.datasets.fields import Format
from judgebench.datasets.rows import Row
from judgebench.records import Answer, Question

REFERENCE_CATEGORIES = ("math", "reasoning", "coding", "arena-hard-200")
"""FastChat's NEED_REF_CATS (fastchat/llm_judge/common.py): the categories its judge shows reference answers for
(with its math prompt, pair-math-v1); it judges the others without one (pair-v2). arena-hard-200 is the category of
FastChat's own Arena-Hard question set in this format."""


def question(row: Row) -> Question:
    """A question: its id, category, user turns and optional reference answers."""
    return Question(
        question_id=fields.question_id(row, "question_id"),
        turns=fields.turns(row, "turns", what="question turn"),
        category=fields.optional_text(row, "category"),
        reference=fields.optional_turns(row, "reference"),
    )


def answer(row: Row, default_model: str | None) -> Answer:
    """An answer: the turns of its first choice, under `model_id` (or `model`, or the file's name)."""
    turns, n_tokens = choice_turns(row)
    return Answer(
        question_id=fields.question_id(row, "question_id"),
        model=fields.model_name(row, default_model, ("model_id", "model")),
        turns=turns,
        metadata=fields.answer_metadata(turns, n_tokens),
    )


def choice_turns(row: Row, field: str = "choices") -> tuple[tuple[str, ...], int | None]:
    """The turns of the first choice, and their total `token_len` when every turn gives one.

    Turns are strings (FastChat) or objects with `content` and `token_len` (arena-hard-auto's older files).
    """
    choices = row.data.get(field)
    if field not in row.data:
        raise row.error("missing required field", field=field, hint='add "choices": [{"turns": [...]}]')
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise row.error("must be a non-empty list of objects with 'turns'", field=field)
    raw_turns = choices[0].get("turns")
    if not isinstance(raw_turns, list):
        raise row.error("the first choice must have 'turns', a list", field=f"{field}[0].turns")
    where = f"{field}[0].turns"
    turns = fields.content_turns(row, where, raw_turns, what=fields.ANSWER)
    lengths = [turn.get("token_len") for turn in raw_turns if isinstance(turn, dict)]
    n_tokens = None
    if lengths and len(lengths) == len(raw_turns) and None not in lengths:
        n_tokens = sum(fields.token_count(row, f"{where}.token_len", n) for n in lengths)
    return turns, n_tokens


def looks_like(question_row: dict[str, Any], answer_row: dict[str, Any]) -> bool:
    """FastChat's answers carry `choices` (and `model_id`); its questions have plain string turns."""
    return "choices" in answer_row or "model_id" in answer_row


FORMAT = Format(name="mt-bench", looks_like=looks_like, question=question, answer=answer,
                id_field=lambda data: "question_id", turns_field=lambda data: "choices",
                reference_categories=REFERENCE_CATEGORIES)

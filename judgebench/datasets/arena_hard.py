"""arena-hard-auto's layout: `question.jsonl` and one `model_answer/<model>.jsonl` per model.

Questions: `uid`, `category`, optional `cluster` (not kept), and `prompt` (a string); older files use
`question_id` and `turns: [{"content": ...}]`. Answers: `uid`, `ans_id`, `model`, and `messages`, a chat
whose assistant messages are the model's turns (their `content` is a string or `{"answer": ...}`); older
files use FastChat's `choices` instead. A token count, when given (`metadata.token_len`, or `token_len`
per turn in older files), is kept as `n_tokens`. A row without `model` belongs to the model its file names.
"""

from __future__ import annotations

from typing import Any

from judgebench.datasets import fields, mt_bench
from judgebench.datasets.fields import Format
from judgebench.datasets.rows import Row
from judgebench.records import Answer, Question


def question(row: Row) -> Question:
    """A question from `prompt` (one turn) or from `turns` (strings or objects with `content`)."""
    if fields.has(row, "prompt") or "turns" not in row.data:
        turns: tuple[str, ...] = (fields.text(row, "prompt", what="prompt"),)
    else:
        turns = fields.content_turns(row, "turns", row.data["turns"], what="question turn")
    return Question(
        question_id=fields.question_id(row, id_field(row.data)),
        turns=turns,
        category=fields.optional_text(row, "category"),
    )


def answer(row: Row, default_model: str | None) -> Answer:
    """An answer from the assistant messages of `messages` (or from FastChat-style `choices`)."""
    if turns_field(row.data) == "messages":
        turns, n_tokens = _assistant_turns(row), _metadata_tokens(row)
    else:
        turns, n_tokens = mt_bench.choice_turns(row)
    return Answer(
        question_id=fields.question_id(row, id_field(row.data)),
        model=fields.model_name(row, default_model, ("model", "model_id")),
        turns=turns,
        metadata=fields.answer_metadata(turns, n_tokens),
    )


def id_field(data: dict[str, Any]) -> str:
    """`uid` in current files, `question_id` in older ones."""
    return "question_id" if "uid" not in data and "question_id" in data else "uid"


def turns_field(data: dict[str, Any]) -> str:
    """`messages` in current files, FastChat-style `choices` in older ones."""
    return "choices" if "messages" not in data and "choices" in data else "messages"


def _assistant_turns(row: Row) -> tuple[str, ...]:
    messages = row.data.get("messages")
    if "messages" not in row.data:
        raise row.error("missing required field", field="messages",
                        hint='add "messages": [{"role": "user", ...}, {"role": "assistant", ...}]')
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise row.error("must be a list of objects with 'role' and 'content'", field="messages")
    replies = [m.get("content") for m in messages if m.get("role") == "assistant"]
    if not replies:
        raise row.error("has no assistant message", field="messages",
                        hint="the model's answer is the message with role 'assistant'")
    return fields.content_turns(row, "messages", replies, what=fields.ANSWER)


def _metadata_tokens(row: Row) -> int | None:
    metadata = row.data.get("metadata")
    if isinstance(metadata, dict) and metadata.get("token_len") is not None:
        return fields.token_count(row, "metadata.token_len", metadata["token_len"])
    return None


def looks_like(question_row: dict[str, Any], answer_row: dict[str, Any]) -> bool:
    """arena-hard-auto questions have `uid` or turns as objects; its answers have `messages`."""
    turns = question_row.get("turns")
    object_turns = isinstance(turns, list) and bool(turns) and isinstance(turns[0], dict)
    return "uid" in question_row or "messages" in answer_row or object_turns


FORMAT = Format(name="arena-hard", looks_like=looks_like, question=question, answer=answer,
                id_field=id_field, turns_field=turns_field)

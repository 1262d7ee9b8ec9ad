"""The data model shared by every stage (DESIGN.md, "The data"): questions, answers, games, judgments.

Plain frozen dataclasses: loaders produce them, pairing and prompts consume them, the runner stores
judgments. Outcomes (after the swap policy) and everything downstream are pandas DataFrames with the
canonical columns listed in `OUTCOME_COLUMNS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Question:
    """One question: one or more user turns, an optional category and optional reference answers per turn."""

    question_id: str
    turns: tuple[str, ...]
    category: str | None = None
    reference: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Answer:
    """One model's reply to each turn of a question, plus optional metadata (n_tokens, markdown counts...)."""

    question_id: str
    model: str
    turns: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Dataset:
    """Validated questions and answers, ready for pairing.

    `skipped` counts, per model, the questions left out because that model had no answer for them
    (only when the user allowed missing answers).
    """

    questions: dict[str, Question]
    answers: dict[tuple[str, str], Answer]  # (question_id, model) -> answer
    models: list[str]
    skipped: dict[str, int] = field(default_factory=dict)

    def answer(self, question_id: str, model: str) -> Answer | None:
        return self.answers.get((question_id, model))


@dataclass(frozen=True)
class Pair:
    """Two models to compare on one question; `model_a` is the candidate side of the outcome."""

    question_id: str
    model_a: str
    model_b: str


# Game and judgment statuses.
OK, UNPARSED, FAILED = "ok", "unparsed", "failed"


def ok_games(judgments: Any) -> Any:
    """The ok judgments of a frame of stored judgments, as the games `verdicts.combine` takes (question_id,
    first, second, p_first, weight)."""
    return judgments[judgments["status"] == OK][["question_id", "first", "second", "p_first", "weight"]]

# Canonical outcome columns (one row per pair after the swap policy).
# p_ab / p_ba: probability that model_a is better in the game where a was shown first / second
# (NaN when that order was not judged), kept so position bias stays measurable.
OUTCOME_COLUMNS = ["question_id", "model_a", "model_b", "score_a", "weight", "p_ab", "p_ba"]

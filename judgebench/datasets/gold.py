"""Gold sets: answer pairs with a known better answer, for scoring a judge (`judgebench diagnose --gold`).

Two formats, told apart by their columns:

- JudgeBench (Tan et al. 2024, "JudgeBench: A Benchmark for Evaluating LLM-based Judges"; its files in
  ../shared/data/judgebench): pair_id, source, question, response_A, response_B, label "A>B" or "B>A".
- generic (JSONL, CSV or Parquet): question, answer_a, answer_b, label in {A, B, tie}, optional pair_id
  (default: from the question and answers, `_content_id`), category and source.

Each pair becomes a question whose two answers come from the pseudo-models ANSWER_A and ANSWER_B, so the
judge sees it like any other question and its games are stored like any others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from judgebench.datasets import fields
from judgebench.datasets.rows import Row, read_rows
from judgebench.errors import InputError
from judgebench.records import Answer, Dataset, Question

ANSWER_A, ANSWER_B = "gold-answer-a", "gold-answer-b"
_JUDGEBENCH_LABELS = {"A>B": "A", "B>A": "B", "A=B": "tie"}
_GENERIC_LABELS = {"a": "A", "b": "B", "tie": "tie", "a=b": "tie", "a>b": "A", "b>a": "B"}


@dataclass(frozen=True)
class GoldPair:
    """One labelled pair: `label` says which answer is better ("A" = answer_a, "B" = answer_b, or "tie")."""

    pair_id: str
    question: str
    answer_a: str
    answer_b: str
    label: str
    source: str | None = None
    category: str | None = None


def load_gold(path: str | Path) -> list[GoldPair]:
    """Read a gold set (JudgeBench or generic format, detected from the first row's columns).

    Raises InputError with file, line and field for a missing column, an unknown label or a repeated pair_id.
    """
    rows = read_rows(Path(path))
    if not rows:
        raise InputError("the gold set is empty", path=path, hint="give labelled pairs, one per line")
    judgebench = "response_A" in rows[0].data
    pairs = [_judgebench_pair(row) if judgebench else _generic_pair(row) for row in rows]
    seen: set[str] = set()
    for row, pair in zip(rows, pairs, strict=True):
        if pair.pair_id in seen and (judgebench or fields.has(row, "pair_id")):
            raise row.error(f"pair_id '{pair.pair_id}' appears twice", field="pair_id",
                            hint="give each pair its own id")
        if pair.pair_id in seen:  # an id made from the texts (`_content_id`): the same pair again
            raise row.error("this pair (question and both answers) appears twice",
                            hint="remove the repeated line, or give each pair its own pair_id")
        seen.add(pair.pair_id)
    return pairs


def _label(row: Row, labels: dict[str, str], shown: str) -> str:
    raw = fields.text(row, "label", what="label")
    label = labels.get(raw.strip() if labels is _JUDGEBENCH_LABELS else raw.strip().lower())
    if label is None:
        raise row.error(f"unknown label '{raw}'", field="label", hint=f"use one of {shown}")
    return label


def _judgebench_pair(row: Row) -> GoldPair:
    return GoldPair(pair_id=fields.text(row, "pair_id"), question=fields.text(row, "question"),
                    answer_a=fields.text(row, "response_A", what="response"),
                    answer_b=fields.text(row, "response_B", what="response"),
                    label=_label(row, _JUDGEBENCH_LABELS, "A>B, B>A"), source=fields.optional_text(row, "source"),
                    category=fields.optional_text(row, "category"))


def _generic_pair(row: Row) -> GoldPair:
    question = fields.text(row, "question")
    answer_a, answer_b = fields.text(row, "answer_a", what="response"), fields.text(row, "answer_b", what="response")
    pair_id = (fields.question_id(row, "pair_id") if fields.has(row, "pair_id")
               else _content_id(question, answer_a, answer_b))
    return GoldPair(pair_id=pair_id, question=question, answer_a=answer_a, answer_b=answer_b,
                    label=_label(row, _GENERIC_LABELS, "A, B, tie"), source=fields.optional_text(row, "source"),
                    category=fields.optional_text(row, "category"))


def _content_id(question: str, answer_a: str, answer_b: str) -> str:
    """The id of a pair given without one, from its texts: two files' pairs judged into one store keep their own
    games (ids from the line, "pair-1"..., met in a second file made the store refuse it as changed texts)."""
    digest = hashlib.sha256("\0".join((question, answer_a, answer_b)).encode("utf-8")).hexdigest()
    return f"pair-{digest[:12]}"


def gold_dataset(pairs: list[GoldPair]) -> Dataset:
    """The gold pairs as a Dataset: one question per pair (category: the pair's category, else its source),
    answered by ANSWER_A and ANSWER_B."""
    questions = {p.pair_id: Question(p.pair_id, (p.question,), p.category or p.source) for p in pairs}
    answers = {}
    for pair in pairs:
        for model, text in ((ANSWER_A, pair.answer_a), (ANSWER_B, pair.answer_b)):
            answers[(pair.pair_id, model)] = Answer(pair.pair_id, model, (text,))
    return Dataset(questions, answers, [ANSWER_A, ANSWER_B])


def without_gold_pairs(judgments: Any, store: str | Path, *,
                       gold_alone: Literal["refused", "kept"] = "refused") -> tuple[Any, str | None]:
    """A store's judgments (`sources.store_judgments`) without the games of judged gold pairs, and a warning
    naming how many were left out and why (None where there were none), for rating or diagnosing the store's
    models (`leaderboard --store`, `report --store`, `diagnose --store`).

    `diagnose --gold` stores each labelled pair's two answers as the pseudo-models ANSWER_A and ANSWER_B (in
    `evaluation.GOLD_STORE` unless told otherwise, but also in a run's store when named): the answer columns of a
    labelled file, which a leaderboard must never rank as models (`leaderboard --store` and `report --store`
    printed them among the store's models), nor a diagnosis of the models' games count among them (`diagnose
    --store` pooled their games with the models' in every figure, its transitivity taking them for two models).
    In a store of models' games too, they are left out with the warning, rather than refused, since no command
    splits a store and refusing would leave its models' judged games unrateable. A store of such games alone
    (`gold_alone`): "refused" raises InputError pointing to `diagnose --gold`, which scores them, as a board of
    them would rank no models; "kept" returns every game without a warning, as `diagnose --store` diagnoses them:
    they are all the judge's games there are."""
    import shlex

    from judgebench.config import command_or_call

    gold = judgments["first"].isin((ANSWER_A, ANSWER_B)) | judgments["second"].isin((ANSWER_A, ANSWER_B))
    if not gold.any() or gold.all() and gold_alone == "kept":
        return judgments, None
    how = command_or_call(f"`judgebench diagnose --gold FILE --store {shlex.quote(str(store))}` with the judge's "
                          "flags", "`judgebench.evaluate_gold(settings, FILE)` with this store in the settings")
    if gold.all():
        raise InputError(f"this store holds the games of a gold set's labelled pairs ({ANSWER_A} and {ANSWER_B} are "
                         "each pair's two answers), not models to rate", path=store,
                         hint=f"to score the judge against the labels, run {how}: the games stored are not judged "
                              "again")
    n_pairs = judgments.loc[gold, "question_id"].nunique()
    return judgments[~gold].reset_index(drop=True), (
        f"left out {int(gold.sum()):,} games of {n_pairs:,} gold set pairs ({ANSWER_A} and {ANSWER_B} "
        f"are each labelled pair's two answers, not models to rate); to score the judge against the labels, run "
        f"{how}")

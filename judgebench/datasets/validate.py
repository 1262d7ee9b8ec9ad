"""Checks across rows, shared by every format: from parsed questions and answers to a validated `Dataset`.

Each row was already checked on its own when parsed (types, required fields, empty text); here the rows
are checked against each other: duplicate question ids, answers (and references) for unknown questions,
duplicate answers, turn counts that differ from the question's, and models missing answers. Every
problem is one `InputError` naming the file, line and field, and what to do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from judgebench.config import how_to_set, setting_name, suggest_model
from judgebench.datasets.fields import MODEL_FIELDS, has
from judgebench.datasets.rows import Row
from judgebench.errors import InputError, first_few
from judgebench.records import Answer, Dataset, Question

Record = TypeVar("Record", Question, Answer)

# How many missing question ids a message lists before it says "and N more".
SHOWN_IDS = 10
# How many characters of a question's text a message quotes, when the question's id is a hash of it.
QUOTED_TEXT = 60


@dataclass(frozen=True)
class Located(Generic[Record]):
    """A parsed question or answer, the row it came from, and the fields holding its id and turns."""

    record: Record
    row: Row
    id_field: str
    turns_field: str = "turns"


def build_dataset(questions: list[Located[Question]], answers: list[Located[Answer]], *,
                  questions_path: Path, references: list[Located[Answer]] | None = None,
                  allow_missing: bool = False, models: list[str] | None = None,
                  baseline: str | None = None, first_n: int | None = None) -> Dataset:
    """Validate questions, references and answers together and assemble the `Dataset`.

    `models`, when given, keeps only those models' answers and the `baseline`'s (each must be present:
    `select_models`). With `allow_missing`,
    a model lacking some answers is kept and the questions it lacks are counted in `Dataset.skipped`;
    without it, that is an error. `first_n` judges the first N questions of the file, after every question,
    reference and answer was checked against the whole file (`first_questions`).
    """
    if not questions:
        raise InputError("no questions found", path=questions_path, hint="the questions file is empty")
    by_id = index_questions(questions)
    by_id, replaced = attach_references(by_id, references or [])
    answers = select_models(answers, models, baseline)
    if allow_missing:
        answers = without_short_answers(answers, by_id)
    answer_index = index_answers(answers, by_id, questions_path)
    model_names = sorted({located.record.model for located in answers})  # before a trial's cut: every model stays
    notes: list[str] = []
    every = len(by_id)
    if first_n is not None:
        by_id, answers, answer_index, trial = first_questions(by_id, answers, answer_index, first_n)
        notes.append(trial)
    notes[:0] = replaced_note(references or [], [qid for qid in replaced if qid in by_id], cut=len(by_id) < every)
    question_map = {qid: located.record for qid, located in by_id.items()}
    skipped = missing_answers(question_map, answers, model_names, allow_missing)
    return Dataset(questions=question_map,
                   answers={key: located.record for key, located in answer_index.items()},
                   models=model_names, skipped=skipped, notes=notes, questions_in_file=every)


def first_questions(by_id: dict[str, Located[Question]], answers: list[Located[Answer]],
                    answer_index: dict[tuple[str, str], Located[Answer]], n: int
                    ) -> tuple[dict[str, Located[Question]], list[Located[Answer]],
                               dict[tuple[str, str], Located[Answer]], str]:
    """The first `n` questions in file order with their answers, and a note saying how many of how many are
    judged: a trial run on a few questions with the benchmark's whole answers folder (FastChat's --first-n,
    AlpacaEval's max_instances), which otherwise had to be cut by hand, file by file."""
    kept = dict(list(by_id.items())[:n])
    first = "the first question" if n == 1 else f"the first {n} questions"
    judged = (f"judging {first} of {len(by_id)}" if n < len(by_id)
              else f"the file has {len(by_id)} questions, all judged")
    note = f"{how_to_set('first_n', str(n), given=True)}: {judged}"
    return (kept, [located for located in answers if located.record.question_id in kept],
            {key: located for key, located in answer_index.items() if key[0] in kept}, note)


def index_questions(questions: list[Located[Question]]) -> dict[str, Located[Question]]:
    """Questions by id, in file order.

    A second question with the same id, or references not matching the turns one to one, is an error.
    """
    by_id: dict[str, Located[Question]] = {}
    for located in questions:
        question_id = located.record.question_id
        first = by_id.get(question_id)
        if first is not None:
            raise located.row.error(
                f"duplicate question id '{question_id}' (first at {first.row.where()})",
                field=located.id_field, hint="give every question its own id, or remove the duplicate")
        reference = located.record.reference
        if reference is not None and len(reference) != len(located.record.turns):
            raise located.row.error(
                f"has {len(reference)} reference turn(s) but the question has {len(located.record.turns)}",
                field="reference", hint='give one reference per turn ("" for a turn without one)')
        by_id[question_id] = located
    return by_id


def attach_references(by_id: dict[str, Located[Question]], references: list[Located[Answer]]
                      ) -> tuple[dict[str, Located[Question]], list[str]]:
    """Questions with reference answers from a references file, which replace any the questions carried, and the
    ids of the questions whose own, different, references were replaced (the file given for this run is taken to
    be the one meant, but a questions file's references do not go unused without a word: `build_dataset` notes
    those of the questions judged)."""
    attached = dict(by_id)
    seen: dict[str, Row] = {}
    replaced: list[str] = []
    for located in references:
        reference = located.record
        question = _known_question(by_id, located, what="reference answer")
        if reference.question_id in seen:
            raise located.row.error(
                f"second reference answer for question {_question_named(located)} "
                f"(first at {seen[reference.question_id].where()})",
                field=located.id_field, hint="keep one reference answer per question")
        seen[reference.question_id] = located.row
        _check_turn_count(located, question, what="reference answer")
        if question.reference is not None and question.reference != reference.turns:
            replaced.append(question.question_id)
        attached[reference.question_id] = dataclasses.replace(
            by_id[reference.question_id], record=dataclasses.replace(question, reference=reference.turns))
    return attached, replaced


def replaced_note(references: list[Located[Answer]], replaced: list[str], *, cut: bool) -> list[str]:
    """The note naming the questions judged whose own references the references file replaced (`attach_references`),
    or none; `cut`: first_n left questions out, whose references are not named (none of them is judged)."""
    if not replaced:
        return []
    judged = " judged" if cut else ""
    return [f"the reference answers of {references[0].row.path} replace those the questions file gives for "
            f"{len(replaced)} question(s){judged} (ids: {first_few(replaced, SHOWN_IDS)}), which differ"]


def select_models(answers: list[Located[Answer]], models: list[str] | None,
                  baseline: str | None = None) -> list[Located[Answer]]:
    """The answers of the requested models (all when `models` is None) and the `baseline`'s with them: it is
    judged against them, as in arena-hard-auto, where the models named are the contestants (refused as not among
    them, it was refused again once left out, by the baseline pairs). An unknown model, or a baseline without
    answers, is an error."""
    found = sorted({located.record.model for located in answers})
    if not found:
        raise InputError("no answers found", hint="give at least one answers file with rows in it")
    if models is None:
        return answers
    unknown = [model for model in models if model not in found]
    if unknown:
        raise InputError(f"no answers for model(s) {', '.join(map(repr, unknown))}"
                         f"{suggest_model(unknown[0], found)}",
                         hint=f"models in the answer files: {', '.join(found)}")
    if baseline is not None and baseline not in found:
        raise InputError(f"no answers for the baseline '{baseline}'{suggest_model(baseline, found)}",
                         hint=f"models in the answer files: {', '.join(found)}; set "
                              f"{how_to_set('baseline', 'MODEL')} to one of them")
    wanted = {*models, *([baseline] if baseline is not None else [])}
    return [located for located in answers if located.record.model in wanted]


def without_short_answers(answers: list[Located[Answer]], by_id: dict[str, Located[Question]]
                          ) -> list[Located[Answer]]:
    """The answers less those with fewer turns than their question (a one-turn answer to an MT-Bench question of
    two), which `allow_missing` skips as missing, as it skips an answer with an empty turn (`EmptyAnswer`): the
    question is skipped for that model and counted. A model whose every answer is short is an error, as one whose
    every answer is empty is: it would leave the run without a word. Answers to unknown questions are kept, for
    `index_answers` to refuse."""
    kept: list[Located[Answer]] = []
    short: dict[str, Located[Answer]] = {}  # the first short answer of each model
    for located in answers:
        question = by_id.get(located.record.question_id)
        if question is not None and len(located.record.turns) < len(question.record.turns):
            short.setdefault(located.record.model, located)
        else:
            kept.append(located)
    silent = sorted(set(short) - {located.record.model for located in kept})
    if silent:
        first = short[silent[0]]
        raise first.row.error(f"every answer of model '{silent[0]}' has fewer turns than its question",
                              field=first.turns_field, hint="give one answer turn per question turn")
    return kept


def index_answers(answers: list[Located[Answer]], by_id: dict[str, Located[Question]],
                  questions_path: Path) -> dict[tuple[str, str], Located[Answer]]:
    """Answers by (question id, model): each for a known question, once, with the question's turn count."""
    index: dict[tuple[str, str], Located[Answer]] = {}
    for located in answers:
        answer = located.record
        question = _known_question(by_id, located, what="answer", questions_path=questions_path)
        key = (answer.question_id, answer.model)
        first = index.get(key)
        if first is not None:
            raise located.row.error(
                f"second answer of model '{answer.model}' to question {_question_named(located)} "
                f"(first at {first.row.where()}){_named_alike(first, located)}", field=located.id_field,
                hint="keep one answer per question and model" + (
                    ", or give each file's rows their own model name" if first.row.path != located.row.path else ""))
        _check_turn_count(located, question, what="answer")
        index[key] = located
    return index


def _named_alike(first: Located[Answer], second: Located[Answer]) -> str:
    """For two answers of one model to one question in two files, what gives both files' answers that model's name:
    the rows' field (MT-Bench's `model_id`, not the file's name as in FastChat), or the files' names; "" for one file.
    """
    if first.row.path == second.row.path:
        return ""
    field = next((name for name in MODEL_FIELDS if has(second.row, name)), None)
    source = f"the name their rows give in `{field}`" if field else "the name of both files"
    return (f": {first.row.path} and {second.row.path} both hold answers of '{second.record.model}', {source}"
            + (" (not the file's name)" if field and any(located.row.path.stem != second.record.model
                                                         for located in (first, second)) else ""))


def missing_answers(questions: dict[str, Question], answers: list[Located[Answer]], models: list[str],
                    allow_missing: bool) -> dict[str, int]:
    """Per model, how many questions it has no answer for; an error unless missing answers are allowed."""
    answered: dict[str, set[str]] = {model: set() for model in models}
    files: dict[str, Path] = {}
    for located in answers:
        answered[located.record.model].add(located.record.question_id)
        files.setdefault(located.record.model, located.row.path)
    missing = {model: [qid for qid in questions if qid not in answered[model]] for model in models}
    missing = {model: ids for model, ids in missing.items() if ids}
    if missing and not allow_missing:
        model, ids = next(iter(missing.items()))
        shown = first_few(ids, SHOWN_IDS)
        others = [f"'{other}' ({len(other_ids)})" for other, other_ids in missing.items() if other != model]
        also = f"; also missing answers: {', '.join(others)}" if others else ""
        raise InputError(
            f"model '{model}' has no answer for {len(ids)} of {len(questions)} questions "
            f"(question ids: {shown}){also}", path=files[model],
            hint=f"add the missing answers, or set {how_to_set('allow_missing')} to skip those questions for that "
                 "model")
    return {model: len(ids) for model, ids in missing.items()}


def _question_named(located: Located[Answer]) -> str:
    """How a message names the question of an answer row: its id, quoted, and where the id is made from a text
    (AlpacaEval's, a hash of the instruction), the start of that text too: the hash alone tells the user nothing."""
    question_id = located.record.question_id
    source = located.row.data.get(located.id_field)
    if not isinstance(source, str) or source.strip() == question_id:
        return f"'{question_id}'"
    start = " ".join(source.split())
    start = start if len(start) <= QUOTED_TEXT else start[:QUOTED_TEXT - 3] + "..."
    return f"'{question_id}' ({located.id_field} {start!r})"


def _known_question(by_id: dict[str, Located[Question]], located: Located[Answer], *, what: str,
                    questions_path: Path | None = None) -> Question:
    question = by_id.get(located.record.question_id)
    if question is None:
        source = f" in {questions_path}" if questions_path is not None else ""
        raise located.row.error(
            f"{what} for unknown question {_question_named(located)} (no such question{source})",
            field=located.id_field, hint=f"check that the {what}s belong to these questions" + (
                f"; to judge some of a benchmark's questions, give its whole questions file and set "
                f"{setting_name('first_n')}" if what == "answer" else ""))
    return question.record


def _check_turn_count(located: Located[Answer], question: Question, *, what: str) -> None:
    have, want = len(located.record.turns), len(question.turns)
    if have != want:
        skip = (f", or set {how_to_set('allow_missing')} to skip the question for that model as a missing answer"
                if what == "answer" and have < want else "")
        raise located.row.error(
            f"{what} has {have} turn(s) but question '{question.question_id}' has {want}",
            field=located.turns_field, hint=f"give one {what} turn per question turn{skip}")


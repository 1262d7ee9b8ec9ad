"""Input loading: questions and model answers in any supported format, validated into one `Dataset`.

Formats (`FORMATS`): `generic` (canonical columns in JSONL, CSV or Parquet), `arena-hard`
(arena-hard-auto's question.jsonl and model_answer/), `alpaca-eval` (AlpacaEval model outputs) and
`mt-bench` (FastChat's MT-Bench questions and model answers). The format is detected from the first
question and answer rows unless named. Every problem a user can cause is one `InputError` naming the
file, line and field; see `validate` for the checks across rows.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from judgebench.config import how_to_set, setting_name
from judgebench.datasets import alpaca_eval, arena_hard, fields, generic, mt_bench
from judgebench.datasets.alpaca_eval import question_id_for as alpaca_question_id
from judgebench.datasets.fields import MODEL_FIELDS, EmptyAnswer, Format
from judgebench.datasets.generic import write_answers, write_questions
from judgebench.datasets.rows import Row, answer_files, read_rows, unread_in_directories
from judgebench.datasets.validate import SHOWN_IDS, Located, build_dataset
from judgebench.errors import ConfigError, InputError, first_few
from judgebench.records import Dataset

__all__ = ["FORMATS", "load_dataset", "detect_format", "alpaca_question_id", "write_questions",
           "write_answers"]

_FORMATS: dict[str, Format] = {f.name: f for f in
                               (generic.FORMAT, arena_hard.FORMAT, alpaca_eval.FORMAT, mt_bench.FORMAT)}
FORMATS: tuple[str, ...] = tuple(_FORMATS)
# Detection tries the most specific formats first; generic accepts anything.
_DETECTION_ORDER = (arena_hard.FORMAT, alpaca_eval.FORMAT, mt_bench.FORMAT, generic.FORMAT)
# Model name given to reference answers, which need not name one.
REFERENCE_MODEL = "reference"


def load_dataset(questions: Path, answers: Sequence[Path] | Path, format: str | None = None,
                 allow_missing: bool = False, models: list[str] | None = None,
                 references: Path | None = None, baseline: str | None = None,
                 first_n: int | None = None) -> Dataset:
    """Read and validate questions and answers (files or directories of files) into a `Dataset`.

    `format` is one of `FORMATS`, or None to detect it. `models` keeps only those models' answers, and the
    `baseline`'s, which is judged against them.
    With `allow_missing`, questions a model has no answer for (or an answer with an empty turn, or fewer turns than
    the question) are skipped for that model and counted in `Dataset.skipped`; otherwise a missing answer is an
    error. `references` is a file of reference
    answers in the answers' format, or in FastChat's (MT-Bench's reference_answer/gpt-4.jsonl) whatever the
    questions' format; they become the questions' `reference`, replacing any the questions file gave (with a
    note in `Dataset.notes` where those differ). A format may show references for some categories only
    (`_shown_references`: MT-Bench's, as FastChat's judge). `first_n` keeps the first N questions of the file
    (every file is still checked whole: a wrong answers file fails the trial as it would fail the full run).
    """
    questions = Path(questions)
    answer_paths = [Path(answers)] if isinstance(answers, str | Path) else [Path(p) for p in answers]
    if not answer_paths:
        raise InputError("no answer files given", hint=f"give {setting_name('answers')} files or directories")
    question_rows = read_rows(questions)
    reference_paths = {Path(references).resolve()} if references else set()
    answer_rows = [(path, read_rows(path))
                   for path in answer_files(answer_paths, {questions.resolve()} | reference_paths)]
    reference_rows = read_rows(Path(references)) if references else []
    empty = [path for path, rows in answer_rows if not rows]
    if empty:  # one of several too: a failed export would drop its model without a word
        every = len(empty) == len(answer_rows)
        raise InputError("no answers: " + ("the file is empty" if len(empty) == 1 else
                                           "every file is empty" if every else f"{len(empty)} files are empty"),
                         path=", ".join(str(path) for path in empty),
                         hint="give answers files with rows in them" if every else
                         f"leave the empty files out of {setting_name('answers')}, or give them their model's "
                         "answers")

    chosen, detected_from = ((_format_named(format), None) if format else
                             _detect(question_rows, answer_rows, questions))
    if question_rows and chosen.holds_answers(question_rows[0].data):
        # The questions file is also a model's answers (an AlpacaEval outputs file): where an answers directory
        # holds it, it is read as that model's answers too, in its place among the directory's files.
        read = dict(answer_rows)
        answer_rows = [(path, read.get(path, question_rows)) for path in answer_files(answer_paths, reference_paths)]
    try:
        located_questions = [Located(chosen.question(row), row, chosen.id_field(row.data)) for row in question_rows]
        located_answers = [located for path, rows in answer_rows
                           for located in _located_answers(chosen, path, rows, allow_missing)]
    except EmptyAnswer:
        raise
    except InputError as error:
        raise _misread(error, chosen, detected_from, question_rows, answer_rows) from None
    references_format = _references_format(chosen, reference_rows)
    located_references = [_located_reference(references_format, row) for row in reference_rows]
    located_questions, located_references, set_aside = _shown_references(chosen, located_questions,
                                                                          located_references)
    dataset = build_dataset(located_questions, located_answers, questions_path=questions,
                            references=located_references, allow_missing=allow_missing, models=models,
                            baseline=baseline, first_n=first_n)
    notes = [*unread_in_directories(answer_paths), *_named_unlike_files(chosen, located_answers), *dataset.notes,
             *_set_aside_note(chosen, [qid for qid in set_aside if qid in dataset.questions])]
    return dataclasses.replace(dataset, notes=notes, format=chosen.name,
                               references_format=references_format.name if references else None)


def _named_unlike_files(chosen: Format, answers: list[Located]) -> list[str]:
    """A note naming the MT-Bench answers files whose rows name their model otherwise than the file (`model_id`):
    judgebench judges the answers under the rows' name, where FastChat names a model by its file."""
    if chosen is not mt_bench.FORMAT:
        return []
    names: dict[Path, set[str]] = {}
    for located in answers:
        names.setdefault(located.row.path, set()).add(located.record.model)
    unlike = [f"{path} names {', '.join(repr(name) for name in sorted(named))}" for path, named in names.items()
              if named != {path.stem}]
    if not unlike:
        return []
    return [f"answers are judged under the model their rows name (model_id), not their file's name as FastChat names "
            f"them: {first_few(unlike, 3)}"]


def reference_rule(format: str | None) -> str:
    """A format's rule on the questions shown a reference answer, for a run's note on the questions it judges without
    one (`Question.judged_without_reference`); "" for a format without one (every question's references are shown).
    """
    categories = _FORMATS[format].reference_categories if format in _FORMATS else None
    if categories is None:
        return ""
    return (f"the {format} format shows the judge reference answers only for {_categories(categories)} questions, "
            "as FastChat's judge does, which judges the others with its prompt without a reference (pair-v2)")


def _categories(categories: Sequence[str]) -> str:
    return f"{', '.join(categories[:-1])} and {categories[-1]}" if len(categories) > 1 else categories[0]


def _shown_references(chosen: Format, questions: list[Located], references: list[Located]
                      ) -> tuple[list[Located], list[Located], list[str]]:
    """The questions and reference answers with only the references the judge is shown: where the format shows
    them only for some categories (`Format.reference_categories`: MT-Bench's, as FastChat's judge), the questions of
    other categories lose the references the questions file gave them, and the references file's rows for them are
    set aside (FastChat never reads either), and they are `judged_without_reference`. Also the ids, in file order, of
    the questions that lost one."""
    categories = chosen.reference_categories
    if categories is None:
        return questions, references, []
    others = {located.record.question_id for located in questions if located.record.category not in categories}
    referenced = {located.record.question_id for located in references}
    set_aside = [located.record.question_id for located in questions if located.record.question_id in others
                 and (located.record.reference is not None or located.record.question_id in referenced)]
    shown = [dataclasses.replace(located, record=dataclasses.replace(located.record, reference=None,
                                                                     judged_without_reference=True))
             if located.record.question_id in others else located for located in questions]
    return shown, [located for located in references if located.record.question_id not in others], set_aside


def _set_aside_note(chosen: Format, set_aside: list[str]) -> list[str]:
    """The note naming the questions judged whose reference answers `_shown_references` set aside, or none."""
    if not set_aside or chosen.reference_categories is None:
        return []
    return [f"the reference answers of {len(set_aside)} question(s) outside the categories "
            f"{_categories(chosen.reference_categories)} are not shown to the judge (ids: "
            f"{first_few(set_aside, SHOWN_IDS)}): the {chosen.name} format shows references for those categories only, "
            "as FastChat's judge does"]


def load_judged_texts(questions: str | Path | None, answers: Sequence[str | Path] | str | Path | None,
                      references: str | Path | None = None) -> Dataset | None:
    """The questions and answers that give judgments already made their texts and lengths (`diagnose`, `report`,
    `leaderboard --results`, `rate`): a Dataset read with allow_missing, None without them. One without the other
    is refused: it was ignored without a word, and the length-bias row then asked for what had been given.
    `references`: the references file the judgments were made with, whose reference answers are part of the texts
    judged (`report.inputs.unjudged_texts` rebuilds each request with them); it goes with the questions."""
    files = [answers] if isinstance(answers, (str, Path)) else list(answers or [])
    if (questions is None) != (not files):
        missing = "answers" if questions is not None else "questions"
        raise ConfigError(f"{setting_name(missing)} is missing: {setting_name('questions')} and "
                          f"{setting_name('answers')} go together (the answers are read by their questions' ids)")
    if questions is None:
        if references is not None:
            raise ConfigError(f"{setting_name('references')} goes with {setting_name('questions')} and "
                              f"{setting_name('answers')}: the reference answers are read by their questions' ids")
        return None
    return load_dataset(Path(questions), [Path(path) for path in files], allow_missing=True,
                        references=Path(references) if references is not None else None)


def detect_format(questions: Path, answers: Sequence[Path]) -> str:
    """The name of the format these files are in, judged from their first rows."""
    questions = Path(questions)
    files = answer_files([Path(p) for p in answers], {questions.resolve()})
    return _detect(read_rows(questions), [(path, read_rows(path)) for path in files], questions)[0].name


def _detect(question_rows: list[Row], answer_rows: list[tuple[Path, list[Row]]], questions: Path
            ) -> tuple[Format, str]:
    """The first format, most specific first, that claims the first question row and first answer row, and the
    file that told it ("the questions file PATH", or an answers file's), for messages about rows it does not fit."""
    question = question_rows[0].data if question_rows else {}
    answer_path, answer = next(((path, rows[0].data) for path, rows in answer_rows if rows), (None, {}))
    chosen = next(f for f in _DETECTION_ORDER if f.looks_like(question, answer))
    told = [f"the questions file {questions}"] if chosen.looks_like(question, {}) else []
    if answer_path is not None and chosen.looks_like({}, answer):
        told.append(f"the answers file {answer_path}")
    return chosen, " and ".join(told)


def _misread(error: InputError, chosen: Format, detected_from: str | None, question_rows: list[Row],
             answer_rows: list[tuple[Path, list[Row]]]) -> InputError:
    """`error`, raised reading a question or answer row, with a hint at its cause where the files tell it, in
    place of a hint to edit the row: questions and answers given in each other's place (`_swapped`), or a file in
    another known format than the one detected from the first rows (`detected_from`: None where it was named).
    The fields a misread row lacks are those of the other file or format; adding them was the wrong fix. Each file
    is judged by its first row, which tells its kind: one row amiss further on is that row's own error."""
    if not question_rows:  # nothing to judge the files by
        return error
    question_side = error.path == question_rows[0].path
    rows = question_rows if question_side else next((rows for path, rows in answer_rows if path == error.path), [])
    row = next((row for row in rows if row.position == error.line), None)
    if row is None:
        return error
    first_answer = next((rows[0] for _, rows in answer_rows if rows), None)
    swapped = _swapped(chosen, question_rows[0], first_answer if question_side else rows[0], error.hint)
    if swapped:
        return row.error(error.message, field=error.field, hint=swapped)
    # Rows are read in order, so a file whose first row the chosen format reads is in that format
    if detected_from is None or row is not rows[0]:
        return error
    side = "questions" if question_side else "answers"
    # The format that reads the row, one whose detection claims it first (arena-hard reads MT-Bench's answers too)
    claims = sorted(_DETECTION_ORDER, key=lambda f: not f.looks_like(*((row.data, {}) if question_side
                                                                      else ({}, row.data))))
    other = next((f for f in claims if f is not chosen and _reads(f, row, question_side)), None)
    if other is None:
        return error
    # generic is what no other format claims: no file told it
    told = ("read as generic, the format of files no other format claims" if chosen is generic.FORMAT else
            f"detected as {chosen.name} from {detected_from}")
    return row.error(error.message, field=error.field, hint=(
        f"these {side} are in the {other.name} format, but the format was {told}: give {side} in the {chosen.name} "
        f"format, or questions and answers both in the {other.name} format, chosen with "
        f"{how_to_set('format', other.name)}"))


def _swapped(chosen: Format, question: Row, answer: Row | None, hint: str | None) -> str:
    """The hint of an error reading the files where the questions and answers look given in each other's place,
    or "": the questions file names a model in its first row (and is not a file that holds answers as questions,
    as an AlpacaEval outputs file does), and (or) the answers file's first row (`answer`) names none and reads as a
    question. Where both
    look so, that alone is the hint; where one does, the question whether they are swapped follows `hint`."""
    as_answers = any(fields.has(question, name) for name in MODEL_FIELDS) and not chosen.holds_answers(question.data)
    as_questions = answer is not None and not any(fields.has(answer, name) for name in MODEL_FIELDS) and _reads(
        chosen, answer, True)
    flags = f"{setting_name('questions')} and {setting_name('answers')}"
    if as_answers and as_questions and answer is not None:
        return (f"{question.path} and {answer.path} look swapped: the questions file's rows name a model, as answers "
                f"do, and the answers file's none, as questions do; give the questions to {setting_name('questions')} "
                f"and the answers to {setting_name('answers')}")
    if as_answers:
        found = f"the questions file {question.path} names a model in its rows, as answers do: are {flags} swapped?"
    elif as_questions and answer is not None:
        found = f"{answer.path} names no model in its rows, as questions do: are {flags} swapped?"
    else:
        return ""
    return f"{hint}; {found}" if hint else found


def _reads(chosen: Format, row: Row, as_question: bool) -> bool:
    """Whether `chosen` reads `row` as a question (`as_question`) or as an answer without an error."""
    try:
        if as_question:
            chosen.question(row)
        else:
            chosen.answer(row, row.path.stem if chosen.model_from_file else None)
    except InputError:
        return False
    return True


def _format_named(name: str) -> Format:
    chosen = _FORMATS.get(name.strip().lower().replace("_", "-"))
    if chosen is None:
        raise InputError(f"unknown format '{name}'", field="format", hint=f"use one of: {', '.join(FORMATS)}")
    return chosen


def _references_format(chosen: Format, rows: list[Row]) -> Format:
    """The format of a references file: FastChat's answer rows (`choices`) are read as such whatever the questions'
    format, since that is how MT-Bench publishes reference answers; any other file is in the answers' format."""
    return mt_bench.FORMAT if rows and "choices" in rows[0].data else chosen


def _located_answers(chosen: Format, path: Path, rows: list[Row], allow_missing: bool) -> list[Located]:
    """The answers of one answers file. With `allow_missing` an empty answer (`EmptyAnswer`) is left out, as if
    missing, so that its question is skipped and counted for that model; a file whose every answer is empty is
    still an error, since its model would leave the run without a word."""
    located: list[Located] = []
    empty: Counter[str] = Counter()  # empty answers by model
    default_model = path.stem if chosen.model_from_file else None
    for row in rows:
        try:
            located.append(_located_answer(chosen, row, default_model))
        except EmptyAnswer:
            if not allow_missing:
                raise
            empty[_model_of(row, default_model)] += 1
    silent = sorted(set(empty) - {item.record.model for item in located})
    if silent:
        whose = "" if chosen.model_from_file else f" of {first_few(silent, 5)}"
        raise InputError(f"every answer{whose} is empty ({sum(empty[model] for model in silent)})", path=path,
                         hint="give the model's answers, or leave them out of the answers")
    return located


def _model_of(row: Row, default_model: str | None) -> str:
    """The model an answer row names, by any format's field for it (an empty answer is not read whole)."""
    try:
        return fields.model_name(row, default_model, MODEL_FIELDS)
    except InputError:
        return default_model or "(unnamed)"


def _located_reference(chosen: Format, row: Row) -> Located:
    """A reference answer, read as an answer is; a blank one is an error (allow_missing skips answers, not these)."""
    try:
        return _located_answer(chosen, row, REFERENCE_MODEL)
    except EmptyAnswer as error:
        raise row.error("reference answer is empty", field=error.field,
                        hint="give a non-blank reference, or leave the question out of the references file") from None


def _located_answer(chosen: Format, row: Row, default_model: str | None) -> Located:
    return Located(chosen.answer(row, default_model), row, chosen.id_field(row.data), chosen.turns_field(row.data))

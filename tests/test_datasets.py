"""Input loading: the published data sets load through their loaders, generic files round-trip, and every
kind of bad input ends in one `InputError` naming the file, the line (or Parquet row) and the field."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from judgebench.datasets import FORMATS, alpaca_question_id, detect_format, load_dataset
from judgebench.datasets.fields import answer_metadata
from judgebench.datasets.generic import write_answers, write_questions
from judgebench.datasets.judgments import instruction_id
from judgebench.errors import EXIT_USAGE, InputError
from judgebench.records import Answer, Dataset, Question

ARENA_MODELS = ["gpt-3.5-turbo-0125", "gpt-4-0314", "gpt-4-0613"]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def raises_input_error(*message_parts: str, **kwargs) -> InputError:
    """Load with `kwargs` and return the InputError, checking its message contains every part."""
    with pytest.raises(InputError) as caught:
        load_dataset(**kwargs)
    message = str(caught.value)
    for part in message_parts:
        assert part in message, f"{part!r} not in {message!r}"
    return caught.value


@pytest.fixture
def two_questions(tmp_path: Path) -> Path:
    """A generic questions file with ids q1 and q2."""
    return write_jsonl(tmp_path / "questions.jsonl", [
        {"question_id": "q1", "turns": ["What is 2+2?"]},
        {"question_id": "q2", "turns": ["Name a colour."]},
    ])


# ---- published data ---------------------------------------------------------------------------------------

def test_arena_hard_loads_through_its_loader(shared_data: Path):
    folder = shared_data / "arena_hard"
    assert detect_format(folder / "question.jsonl", [folder / "model_answer"]) == "arena-hard"
    dataset = load_dataset(folder / "question.jsonl", [folder / "model_answer"])
    assert len(dataset.questions) == 500
    assert dataset.models == ARENA_MODELS
    assert len(dataset.answers) == 1500 and dataset.skipped == {}
    assert all(answer.turns and all(turn.strip() for turn in answer.turns) for answer in dataset.answers.values())
    question = dataset.questions["328c149ed45a41c0b9d6f14659e63599"]
    assert question.turns == ("Use ABC notation to write a melody in the style of a folk tune.",)
    assert question.category == "arena-hard-v0.1"
    answer = dataset.answer("328c149ed45a41c0b9d6f14659e63599", "gpt-4-0314")
    assert answer is not None and answer.metadata["n_chars"] == len(answer.turns[0]) > 0
    assert {"n_headers", "n_bold", "n_list_items"} <= answer.metadata.keys()


def test_arena_hard_models_can_be_restricted(shared_data: Path):
    folder = shared_data / "arena_hard"
    dataset = load_dataset(folder / "question.jsonl", [folder / "model_answer"], format="arena-hard",
                           models=["gpt-4-0314", "gpt-4-0613"])
    assert dataset.models == ["gpt-4-0314", "gpt-4-0613"]
    assert len(dataset.answers) == 1000
    raises_input_error("'claude-3'", "gpt-4-0314", questions=folder / "question.jsonl",
                       answers=[folder / "model_answer"], models=["claude-3"])


def mt_bench_answers(folder: Path, questions: Path, models: tuple[str, ...] = ("alpha", "beta"),
                     **rows_of: list[dict]) -> Path:
    """`models`' answers to every question of `questions` in FastChat's model_answer layout (`folder`, made):
    <model>.jsonl, whose rows name the model in model_id, or the rows `rows_of` gives for a file's name."""
    folder.mkdir()
    ids = [json.loads(line)["question_id"] for line in questions.read_text(encoding="utf-8").splitlines()]
    for model in models:
        write_jsonl(folder / f"{model}.jsonl", rows_of.get(model) or [
            {"question_id": int(question_id), "answer_id": "x", "model_id": model,
             "choices": [{"index": 0, "turns": [f"{model} first", f"{model} second"]}], "tstamp": 0.0}
            for question_id in ids])
    return folder


def test_mt_bench_questions_and_references(shared_data: Path, tmp_path: Path):
    folder = shared_data / "mt_bench"
    questions, reference_file = folder / "question.jsonl", folder / "reference_answer_gpt-4.jsonl"
    references = {json.loads(line)["question_id"]: json.loads(line)["choices"][0]["turns"]
                  for line in reference_file.read_text(encoding="utf-8").splitlines()}
    answer_dir = mt_bench_answers(tmp_path / "model_answer", questions)

    assert detect_format(questions, [answer_dir]) == "mt-bench"
    dataset = load_dataset(questions, [answer_dir], references=reference_file)
    assert len(dataset.questions) == 80 and dataset.models == ["alpha", "beta"]
    assert (dataset.format, dataset.references_format) == ("mt-bench", "mt-bench")  # as read: a run says it
    assert all(len(q.turns) == 2 for q in dataset.questions.values())
    assert dataset.answer("81", "beta").turns == ("beta first", "beta second")
    # The reference file covers the 30 math, reasoning and coding questions
    for question_id, turns in references.items():
        assert dataset.questions[str(question_id)].reference == tuple(turns)
    with_reference = {qid for qid, q in dataset.questions.items() if q.reference is not None}
    assert with_reference == {str(qid) for qid in references}
    # Without the reference file, the questions' own references (blank for some turns) stay
    plain = load_dataset(questions, [answer_dir])
    assert (plain.format, plain.references_format) == ("mt-bench", None)
    assert plain.questions["103"].reference == ("Thomas may work at a hospital.", "")
    assert sum(q.reference is not None for q in plain.questions.values()) == 29


def test_mt_bench_shows_references_only_for_fastchats_reference_categories(shared_data: Path, tmp_path: Path):
    """FastChat's judge shows reference answers for math, reasoning and coding questions only (gen_judgment.py,
    NEED_REF_CATS), from reference_answer/gpt-4.jsonl, and judges the others without one (pair-v2). The questions
    file gives references to 10 extraction, stem and roleplay questions too, which were shown to the judge; and a
    reference-guided template's prompt said a reference known to be correct for all 80."""
    from tests.support.cli_runs import judgebench

    folder = shared_data / "mt_bench"
    questions, reference_file = folder / "question.jsonl", folder / "reference_answer_gpt-4.jsonl"
    answer_dir = mt_bench_answers(tmp_path / "model_answer", questions)
    categories = {str(json.loads(line)["question_id"]): json.loads(line)["category"]
                  for line in questions.read_text(encoding="utf-8").splitlines()}
    # a references file of the user's own, covering a writing question too: set aside as the questions' own are
    extra = tmp_path / "references.jsonl"
    write_jsonl(extra, [*map(json.loads, reference_file.read_text(encoding="utf-8").splitlines()),
                        {"question_id": 81, "model_id": "gpt-4", "choices": [{"turns": ["Dear blog", "A blog"]}]}])
    outside = "question(s) outside the categories math, reasoning, coding and arena-hard-200 are not shown to the judge"
    why = "the mt-bench format shows references for those categories only, as FastChat's judge does"
    for references, noted in (
            (None, f"the reference answers of 10 {outside} (ids: 95, 131, 133, 134, 136, 140, 142, 143, 144, "
                   f"145): {why}"),
            (extra, f"the reference answers of 11 {outside} (ids: 81, 95, 131, 133, 134, 136, 140, 142, 143, 144 and 1 "
                    f"more): {why}")):
        dataset = load_dataset(questions, [answer_dir], references=references)
        shown = {qid for qid, question in dataset.questions.items() if question.reference}
        assert {categories[qid] for qid in shown} == {"math", "reasoning", "coding"}
        assert noted in dataset.notes
        assert {qid for qid, question in dataset.questions.items() if question.judged_without_reference} == {
            qid for qid, category in categories.items() if category not in ("math", "reasoning", "coding")}
    assert load_dataset(questions, [answer_dir], first_n=10).notes == [  # none of the 10 judged had one
        "[data] first_n = 10: judging the first 10 questions of 80"]
    # A run with the reference-guided template says that it judges the others with its plain counterpart (as
    # FastChat with pair-v2); it then stops, before any judge call, for want of a baseline
    done = judgebench("run", "--questions", str(questions), "--answers", str(answer_dir), "--references",
                      str(reference_file), "--template", "pairwise-5-reference", "--judge-model", "x", "--base-url",
                      "http://127.0.0.1:9/v1", "--out", "out", cwd=tmp_path)
    assert done.returncode == EXIT_USAGE and "needs a baseline model" in done.stderr, done.stderr
    assert ("note: 50 of 80 questions are judged with template 'pairwise-5', without a reference answer: the mt-bench "
            "format shows the judge reference answers only for math, reasoning, coding and arena-hard-200 questions, "
            "as FastChat's judge does, which judges the others with its prompt without a reference (pair-v2)"
            ) in done.stdout + done.stderr
    assert "have no reference answer" not in done.stdout + done.stderr


def test_mt_bench_answer_with_fewer_turns_is_missing_with_allow_missing(shared_data: Path, tmp_path: Path):
    """A one-turn answer to a two-turn question was an error even with --allow-missing, which skips an answer with
    an empty second turn as missing; and the error did not say that --allow-missing would skip it."""
    questions = shared_data / "mt_bench" / "question.jsonl"
    one_turn = {"question_id": 90, "model_id": "beta", "choices": [{"index": 0, "turns": ["beta first"]}]}
    rows = [json.loads(line) for line in questions.read_text(encoding="utf-8").splitlines()]
    beta = [one_turn if row["question_id"] == 90 else
            {"question_id": row["question_id"], "model_id": "beta", "choices": [{"turns": ["b1", "b2"]}]}
            for row in rows]
    answer_dir = mt_bench_answers(tmp_path / "model_answer", questions, beta=beta)
    raises_input_error("beta.jsonl:10", "field 'choices'", "answer has 1 turn(s) but question '90' has 2",
                       "give one answer turn per question turn, or set [data] allow_missing = true to skip the "
                       "question for that model as a missing answer", questions=questions, answers=[answer_dir])
    dataset = load_dataset(questions, [answer_dir], allow_missing=True)
    assert dataset.skipped == {"beta": 1} and dataset.answer("90", "beta") is None
    assert dataset.answer("90", "alpha") is not None and dataset.answer("91", "beta") is not None
    # every answer short: the model would leave the run without a word
    write_jsonl(answer_dir / "beta.jsonl", [{**one_turn, "question_id": row["question_id"]} for row in rows])
    raises_input_error("beta.jsonl:1", "every answer of model 'beta' has fewer turns than its question",
                       questions=questions, answers=[answer_dir], allow_missing=True)
    # more turns than the question is still an error, allow_missing or not
    write_jsonl(answer_dir / "beta.jsonl", [{**one_turn, "choices": [{"turns": ["1", "2", "3"]}]}])
    error = raises_input_error("beta.jsonl:1", "answer has 3 turn(s) but question '90' has 2", questions=questions,
                               answers=[answer_dir], allow_missing=True)
    assert "allow_missing" not in str(error)


def test_mt_bench_models_are_named_by_model_id_and_said_so(shared_data: Path, tmp_path: Path):
    """FastChat names a model by its answers file; judgebench by the rows' model_id. A file renamed for a second
    checkpoint failed as a second answer of the model, without saying where the name came from; a model_id that
    differs from the file's name was judged under it without a word."""
    questions = shared_data / "mt_bench" / "question.jsonl"
    answer_dir = mt_bench_answers(tmp_path / "model_answer", questions, ("alpha", "beta", "beta-ckpt2"))
    ckpt = answer_dir / "beta-ckpt2.jsonl"
    ckpt.write_text(ckpt.read_text(encoding="utf-8").replace('"model_id": "beta-ckpt2"', '"model_id": "beta"'),
                    encoding="utf-8")
    raises_input_error("beta.jsonl:1", "second answer of model 'beta' to question '81' (first at ",
                       "beta-ckpt2.jsonl:1): ", f"{ckpt} and {answer_dir / 'beta.jsonl'} both hold answers of 'beta', "
                       "the name their rows give in `model_id` (not the file's name)",
                       "or give each file's rows their own model name", questions=questions, answers=[answer_dir])
    (answer_dir / "beta.jsonl").unlink()
    dataset = load_dataset(questions, [answer_dir])
    assert dataset.models == ["alpha", "beta"]
    assert ("answers are judged under the model their rows name (model_id), not their file's name as FastChat names "
            f"them: {ckpt} names 'beta'") in dataset.notes


def test_alpaca_eval_outputs_line_up_by_instruction(shared_data: Path, tmp_path: Path):
    rows = json.loads((shared_data / "alpaca_eval" / "annotations" / "claude-2.json").read_text(encoding="utf-8"))
    baseline = [{"instruction": r["instruction"], "output": r["output_1"], "generator": r["generator_1"],
                 "dataset": r["dataset"]} for r in rows]
    candidate = [{"instruction": r["instruction"], "output": r["output_2"], "generator": r["generator_2"]}
                 for r in reversed(rows)]  # another order: ids must still line up
    (tmp_path / "baseline.json").write_text(json.dumps(baseline, indent=2), encoding="utf-8")
    write_jsonl(tmp_path / "candidate.jsonl", candidate)

    dataset = load_dataset(tmp_path / "baseline.json", [tmp_path / "baseline.json", tmp_path / "candidate.jsonl"])
    assert len(dataset.questions) == 805
    assert dataset.models == sorted({rows[0]["generator_1"], rows[0]["generator_2"]})
    first = rows[0]
    question_id = alpaca_question_id(first["instruction"])
    assert dataset.questions[question_id].turns == (first["instruction"],)
    assert dataset.questions[question_id].category == first["dataset"]
    assert dataset.answer(question_id, first["generator_2"]).turns == (first["output_2"],)


def test_empty_answers_are_skipped_as_missing_with_allow_missing(tmp_path: Path):
    # AlpacaEval's published gemma-2b-it outputs hold 22 empty answers of 805: the file could not be judged, and
    # --allow-missing did not help.
    instructions = ["Name a prime.", "Say hello.", "Count to three."]
    evaluation = write_jsonl(tmp_path / "eval.jsonl", [{"instruction": text} for text in instructions])
    outputs = [" ", "Hello.", "1, 2, 3."]
    model = write_jsonl(tmp_path / "model.jsonl", [{"instruction": text, "output": output, "generator": "model"}
                                                   for text, output in zip(instructions, outputs, strict=True)])
    base = write_jsonl(tmp_path / "base.jsonl", [{"instruction": text, "output": "Yes.", "generator": "base"}
                                                 for text in instructions])
    raises_input_error("model.jsonl:1", "field 'output'", "answer is empty",
                       "or set [data] allow_missing = true to skip empty answers as missing ones",
                       questions=evaluation, answers=[model, base])
    dataset = load_dataset(evaluation, [model, base], allow_missing=True)
    assert dataset.skipped == {"model": 1} and dataset.answer(alpaca_question_id(instructions[0]), "model") is None
    write_jsonl(model, [{"instruction": text, "output": "", "generator": "model"} for text in instructions])
    raises_input_error("model.jsonl", "every answer is empty (3)", questions=evaluation, answers=[model, base],
                       allow_missing=True)
    # one file of several models (the generic format's model column): a model whose every answer is empty left
    # the run without a word, as the others had answers
    questions = write_jsonl(tmp_path / "q.jsonl", [{"question_id": f"q{i}", "turns": [f"Q{i}?"]} for i in range(3)])
    several = write_jsonl(tmp_path / "all.jsonl", [{"question_id": f"q{i}", "model": model, "turns": [text]}
                                                   for model, text in (("alpha", "A."), ("beta", "B."), ("gamma", " "))
                                                   for i in range(3)])
    raises_input_error("all.jsonl", "every answer of gamma is empty (3)", questions=questions, answers=[several],
                       allow_missing=True)


def test_alpaca_eval_unknown_question_is_quoted_by_its_instruction(tmp_path: Path):
    # The message named only the instruction's hash ('2547cbb39dd92298'), which tells the user nothing.
    evaluation = write_jsonl(tmp_path / "eval.jsonl", [{"instruction": "Name a prime."}])
    stranger = "Write a   haiku\nabout the sea, in the style of a weather report, with a title and no rhyme."
    model = write_jsonl(tmp_path / "model.jsonl", [{"instruction": "Name a prime.", "output": "7"},
                                                   {"instruction": stranger, "output": "Waves."}])
    raises_input_error(f"answer for unknown question '{alpaca_question_id(stranger)}' (instruction 'Write a haiku "
                       "about the sea, in the style of a weather re...') (no such question",
                       questions=evaluation, answers=[model])


def test_alpaca_eval_questions_file_in_the_answers_directory_is_its_models_answers(tmp_path: Path):
    # AlpacaEval's usual layout: one outputs file per model in one directory, and any of them as the questions.
    instructions = ["Name a prime.", "Say hello."]
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    for model in ("alpaca-7b", "claude-2", "gpt4_1106_preview"):
        rows = [{"instruction": text, "output": f"{model} on {text}", "generator": model, "dataset": "helpful_base"}
                for text in instructions]
        (outputs / f"{model}.json").write_text(json.dumps(rows), encoding="utf-8")
    dataset = load_dataset(outputs / "gpt4_1106_preview.json", [outputs])
    assert dataset.models == ["alpaca-7b", "claude-2", "gpt4_1106_preview"]
    question = alpaca_question_id("Say hello.")
    assert dataset.answer(question, "gpt4_1106_preview").turns == ("gpt4_1106_preview on Say hello.",)
    assert dataset.questions[question].category == "helpful_base"
    # A plain questions file (the evaluation set: instructions, no outputs) in the same directory is skipped.
    (outputs / "eval_set.json").write_text(json.dumps([{"instruction": text} for text in instructions]),
                                           encoding="utf-8")
    plain = load_dataset(outputs / "eval_set.json", [outputs])
    assert plain.models == ["alpaca-7b", "claude-2", "gpt4_1106_preview"]


def test_alpaca_ids_match_annotation_ids():
    texts = ["Write a haiku.", "  spaced  \n", "ünïcode"]
    assert list(instruction_id(texts)) == [alpaca_question_id(text) for text in texts]


def test_formats_are_named_for_the_cli():
    assert set(FORMATS) == {"generic", "arena-hard", "alpaca-eval", "mt-bench"}


# ---- generic format --------------------------------------------------------------------------------------

def small_dataset() -> tuple[list[Question], list[Answer]]:
    questions = [
        Question("1", ("Hello?", "And then?"), category="chat", reference=("Hi.", "")),
        Question("q,2", ('Say "quoted", with\na newline.',), category=None, reference=None),
    ]
    answers = [
        Answer("1", "m1", ("Hey.", "Then **this**."), {"n_tokens": 7}),
        Answer("q,2", "m1", ('"quoted", with\na newline.',), {"n_tokens": 5}),
        Answer("1", "m2", ("# Hi\n- a\n- b", "Done."), {"n_tokens": 9}),
        Answer("q,2", "m2", ("Sure.",), {"n_tokens": 2}),
    ]
    return questions, answers


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_generic_round_trip(tmp_path: Path, suffix: str):
    questions, answers = small_dataset()
    write_questions(questions, tmp_path / f"questions{suffix}")
    write_answers(answers, tmp_path / f"answers{suffix}")

    assert detect_format(tmp_path / f"questions{suffix}", [tmp_path / f"answers{suffix}"]) == "generic"
    dataset = load_dataset(tmp_path / f"questions{suffix}", [tmp_path / f"answers{suffix}"])
    assert dataset.questions == {q.question_id: q for q in questions}
    assert dataset.answers == {(a.question_id, a.model): a for a in answers}
    assert dataset.models == ["m1", "m2"]
    for answer in answers:
        assert dataset.answer(answer.question_id, answer.model).metadata == answer_metadata(
            answer.turns, n_tokens=answer.metadata["n_tokens"])


def test_csv_cells_are_read_as_written_quotes_and_formula_characters_included(tmp_path: Path):
    """A data file's cells are the user's text: a prompt beginning with a quote was read without it (a reader that
    undid leaderboard.csv's formula quoting, for files judgebench never reads), so the same questions as CSV and
    as JSONL made other prompts, and other store keys."""
    prompts = ["'+' or join: which is faster?", "'-1 is the answer", "=SUM(A1)", "-a list"]
    path = write_csv(tmp_path / "questions.csv", ["question_id", "prompt"],
                     [[f"'q{k}", prompt] for k, prompt in enumerate(prompts)])
    answers = write_csv(tmp_path / "answers.csv", ["question_id", "model", "answer"],
                        [[f"'q{k}", "'m", prompt] for k, prompt in enumerate(prompts)])
    dataset = load_dataset(path, [answers])
    questions = dataset.questions
    assert {key: answer.turns[0] for key, answer in dataset.answers.items()} == {
        (f"'q{k}", "'m"): prompt for k, prompt in enumerate(prompts)}
    assert [(q.question_id, q.turns[0]) for q in questions.values()] == [
        (f"'q{k}", prompt) for k, prompt in enumerate(prompts)]


def test_generic_round_trip_of_arena_hard(shared_data: Path, tmp_path: Path):
    folder = shared_data / "arena_hard"
    original = load_dataset(folder / "question.jsonl", [folder / "model_answer"])
    # Real answers: code, quotes, commas and newlines inside CSV cells.
    for suffix in (".csv", ".parquet"):
        write_questions(original.questions.values(), tmp_path / f"q{suffix}")
        write_answers(original.answers.values(), tmp_path / f"a{suffix}")
        again = load_dataset(tmp_path / f"q{suffix}", [tmp_path / f"a{suffix}"])
        assert again.questions == original.questions and again.answers == original.answers
        assert again.models == original.models


def test_generic_single_turn_columns_and_integer_ids(tmp_path: Path):
    write_csv(tmp_path / "questions.csv", ["question_id", "prompt", "category"],
              [[1, "First?", "math"], [2, "Second?", ""]])
    write_csv(tmp_path / "answers.csv", ["question_id", "model", "answer", "n_tokens", "note"],
              [[1, "m", "One.", "3", "x"], [2, "m", "Two.", "", ""]])
    dataset = load_dataset(tmp_path / "questions.csv", [tmp_path / "answers.csv"])
    assert list(dataset.questions) == ["1", "2"]
    assert dataset.questions["1"] == Question("1", ("First?",), category="math")
    assert dataset.questions["2"].category is None
    assert dataset.answer("1", "m").metadata["n_tokens"] == 3
    assert dataset.answer("1", "m").metadata["note"] == "x"
    assert "n_tokens" not in dataset.answer("2", "m").metadata

    write_jsonl(tmp_path / "answers.jsonl", [{"question_id": 1, "model": "m", "turns": ["One."]},
                                             {"question_id": 2, "model": "m", "answer": "Two."}])
    assert load_dataset(tmp_path / "questions.csv", tmp_path / "answers.jsonl").answer("2", "m").turns == ("Two.",)


def test_byte_order_marks_are_ignored(tmp_path: Path):
    (tmp_path / "questions.csv").write_text("question_id,prompt\nq1,Hi?\n", encoding="utf-8-sig")
    (tmp_path / "answers.jsonl").write_text('{"question_id": "q1", "model": "m", "answer": "Hello."}\n',
                                            encoding="utf-8-sig")
    dataset = load_dataset(tmp_path / "questions.csv", [tmp_path / "answers.jsonl"])
    assert dataset.answer("q1", "m").turns == ("Hello.",)


def test_answers_directory_skips_the_questions_file(tmp_path: Path, two_questions: Path):
    for model in ("a", "b"):
        write_jsonl(tmp_path / f"{model}.jsonl", [{"question_id": q, "model": model, "turns": ["ok"]}
                                                  for q in ("q1", "q2")])
    dataset = load_dataset(two_questions, [tmp_path])
    assert dataset.models == ["a", "b"] and len(dataset.answers) == 4


def test_answers_directory_names_its_unread_subfolders_and_skips_hidden_files(tmp_path: Path, two_questions: Path):
    # Subfolders were left out without a word, and macOS's ._a.jsonl (AppleDouble, binary) failed as UTF-16 text.
    answers = tmp_path / "answers"
    for folder in ("extra", ".git"):
        (answers / folder).mkdir(parents=True)
        write_jsonl(answers / folder / "x.jsonl", [{"question_id": "q1", "model": "x", "turns": ["ok"]}])
    for model in ("a", "b"):
        write_jsonl(answers / f"{model}.jsonl", [{"question_id": q, "model": model, "turns": ["ok"]}
                                                 for q in ("q1", "q2")])
    (answers / "._a.jsonl").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    dataset = load_dataset(two_questions, [answers])
    assert dataset.models == ["a", "b"] and len(dataset.answers) == 4
    assert dataset.notes == [
        f"the answers directory {answers} has subfolders that are not read: extra/ (only the files directly in it "
        "are; name a subfolder in [data] answers to read its files)",
        f"hidden files in the answers directory {answers} are not read: ._a.jsonl (such as the ._NAME files macOS "
        "leaves, which hold no answers)"]


def test_style_metadata_counts_markdown_outside_code():
    text = ("# Title\n\nSome **bold** and __strong__ text, not `__init__`.\n\n- one\n* two\n1. three\n"
            "```py\n# not a header\n- no\n```")
    metadata = answer_metadata([text, "## Second\n**b**"], n_tokens=12)
    # arena-hard-auto v2's rules: only fenced blocks are code, so the inline `__init__` counts as bold
    assert metadata == {"n_chars": len(text) + len("## Second\n**b**"), "n_headers": 2, "n_bold": 4,
                        "n_list_items": 3, "n_tokens": 12}


def test_arena_hard_token_counts_are_kept(tmp_path: Path):
    write_jsonl(tmp_path / "question.jsonl", [
        {"uid": "u1", "category": "c", "prompt": "Hi"},
        {"question_id": "u2", "category": "c", "turns": [{"content": "Older layout"}]},
    ])
    answers = tmp_path / "model_answer"
    answers.mkdir()
    write_jsonl(answers / "new-model.jsonl", [
        {"uid": "u1", "ans_id": "a", "messages": [{"role": "user", "content": "Hi"},
                                                  {"role": "assistant", "content": {"answer": "Hello"}}],
         "metadata": {"token_len": 4}},
        {"uid": "u2", "ans_id": "b", "model": "new-model",
         "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "Plain"}]},
    ])
    write_jsonl(answers / "old-model.jsonl", [
        {"question_id": q, "model_id": "old-model",
         "choices": [{"index": 0, "turns": [{"content": "Reply", "token_len": 11}]}]} for q in ("u1", "u2")])
    dataset = load_dataset(tmp_path / "question.jsonl", [answers])
    assert dataset.questions["u2"].turns == ("Older layout",)
    assert dataset.answer("u1", "new-model").metadata["n_tokens"] == 4  # model named by its file
    assert "n_tokens" not in dataset.answer("u2", "new-model").metadata
    assert dataset.answer("u2", "old-model").metadata["n_tokens"] == 11


# ---- bad inputs --------------------------------------------------------------------------------------------

def test_duplicate_question_id(tmp_path: Path):
    questions = write_jsonl(tmp_path / "questions.jsonl", [
        {"question_id": "q1", "turns": ["a"]}, {"question_id": "q2", "turns": ["b"]},
        {"question_id": "q1", "turns": ["c"]}])
    answers = write_jsonl(tmp_path / "answers.jsonl", [{"question_id": "q1", "model": "m", "turns": ["x"]}])
    error = raises_input_error("questions.jsonl:3", "field 'question_id'", "duplicate question id 'q1'",
                               "questions.jsonl:1", questions=questions, answers=[answers])
    assert error.line == 3 and error.field == "question_id" and error.exit_code == EXIT_USAGE


def test_answer_for_unknown_question(tmp_path: Path, two_questions: Path):
    answers = write_jsonl(tmp_path / "answers.jsonl", [
        {"question_id": "q1", "model": "m", "turns": ["x"]}, {"question_id": "q9", "model": "m", "turns": ["y"]}])
    raises_input_error("answers.jsonl:2", "field 'question_id'", "unknown question 'q9'",
                       questions=two_questions, answers=[answers])


def test_model_missing_answers_is_an_error_or_skipped(tmp_path: Path, two_questions: Path):
    answers = write_jsonl(tmp_path / "answers.jsonl", [
        {"question_id": "q1", "model": "full", "turns": ["x"]}, {"question_id": "q2", "model": "full", "turns": ["y"]},
        {"question_id": "q1", "model": "partial", "turns": ["z"]}])
    raises_input_error("answers.jsonl", "model 'partial'", "1 of 2 questions", "q2", "set [data] allow_missing = true",
                       questions=two_questions, answers=[answers])

    dataset = load_dataset(two_questions, [answers], allow_missing=True)
    assert isinstance(dataset, Dataset)
    assert dataset.skipped == {"partial": 1}
    assert dataset.answer("q2", "partial") is None and dataset.answer("q2", "full") is not None


@pytest.mark.parametrize("record, field, part", [
    ({"question_id": "q2", "model": "m", "turns": ["   "]}, "turns", "answer is empty"),
    ({"question_id": "q2", "model": "m", "answer": ""}, "answer", "answer is empty"),
    ({"question_id": "q2", "model": "m", "turns": "not a list"}, "turns", "must be a non-empty list of strings"),
    ({"question_id": "q2", "model": "m", "turns": [3]}, "turns", "turn 1 must be a string"),
    ({"question_id": "q2", "turns": ["x"]}, "model", "missing required field"),
    ({"question_id": ["q2"], "model": "m", "turns": ["x"]}, "question_id", "must be a string or an integer"),
    ({"question_id": "q2", "model": "m"}, "turns", "missing required field"),
    ({"question_id": "q2", "model": "m", "turns": ["x"], "n_tokens": "many"}, "n_tokens", "non-negative integer"),
])
def test_bad_answer_row(tmp_path: Path, two_questions: Path, record: dict, field: str, part: str):
    answers = write_jsonl(tmp_path / "answers.jsonl", [{"question_id": "q1", "model": "m", "turns": ["ok"]}, record])
    error = raises_input_error("answers.jsonl:2", f"field '{field}'", part, questions=two_questions,
                               answers=[answers])
    assert error.line == 2 and error.field == field


def test_malformed_json_line(tmp_path: Path, two_questions: Path):
    answers = tmp_path / "answers.jsonl"
    answers.write_text('{"question_id": "q1", "model": "m", "turns": ["ok"]}\n\n{"question_id": "q2", "mod\n',
                       encoding="utf-8")
    raises_input_error("answers.jsonl:3", "malformed JSON", questions=two_questions, answers=[answers])


def test_json_array_element_positions(tmp_path: Path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text('[\n  {"instruction": "a", "output": "x", "generator": "m"},\n'
                       '  {"instruction": "b",\n   "output": "  ", "generator": "m"}\n]', encoding="utf-8")
    raises_input_error("outputs.json:3", "field 'output'", "answer is empty", questions=outputs, answers=[outputs])
    outputs.write_text('[\n  {"instruction": "a", "output": "x"},\n  {"instruction": "b" "output": 1}\n]',
                       encoding="utf-8")
    raises_input_error("outputs.json:3", "malformed JSON", questions=outputs, answers=[outputs])


def test_duplicate_answer(tmp_path: Path, two_questions: Path):
    answers = write_jsonl(tmp_path / "answers.jsonl", [
        {"question_id": "q1", "model": "m", "turns": ["x"]}, {"question_id": "q2", "model": "m", "turns": ["y"]},
        {"question_id": "q1", "model": "m", "turns": ["z"]}])
    raises_input_error("answers.jsonl:3", "second answer of model 'm' to question 'q1'", "answers.jsonl:1",
                       questions=two_questions, answers=[answers])


def test_answer_turn_count_differs(tmp_path: Path, two_questions: Path):
    answers = write_jsonl(tmp_path / "answers.jsonl", [
        {"question_id": "q1", "model": "m", "turns": ["x", "extra"]},
        {"question_id": "q2", "model": "m", "turns": ["y"]}])
    raises_input_error("answers.jsonl:1", "field 'turns'", "2 turn(s)", "'q1' has 1", questions=two_questions,
                       answers=[answers])


def test_file_not_found_and_unknown_format(tmp_path: Path, two_questions: Path):
    raises_input_error("missing.jsonl", "file not found", questions=tmp_path / "missing.jsonl",
                       answers=[two_questions])
    raises_input_error("nowhere", "file not found", questions=two_questions, answers=[tmp_path / "nowhere"])
    raises_input_error("unknown format 'lmsys'", "generic", "arena-hard", questions=two_questions,
                       answers=[two_questions], format="lmsys")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    raises_input_error("notes.txt", "unsupported file type", questions=tmp_path / "notes.txt", answers=[two_questions])


def test_csv_positions_are_file_lines(tmp_path: Path, two_questions: Path):
    answers = write_csv(tmp_path / "answers.csv", ["question_id", "model", "turns"], [
        ["q1", "m", '[\n  "a list cell spanning lines"\n]'],  # lines 2-4
        ["q2", "m", "not json"],                          # line 5
    ])
    raises_input_error("answers.csv:5", "field 'turns'", "JSON-encoded list", questions=two_questions,
                       answers=[answers])


@pytest.mark.parametrize(("suffix", "separator"), [(".csv", ","), (".tsv", "\t")])
def test_quote_never_closed_is_an_error_where_it_opens(tmp_path: Path, two_questions: Path, suffix: str,
                                                       separator: str):
    # The csv module reads an unclosed quote to the end of the file: q2's row became part of q1's answer, and
    # with allow_missing the judge was sent it as one answer.
    lines = ["question_id", "model", "answer"], ["q1", "m", '"A 12 inch ruler'], ["q2", "m", "x"]
    answers = tmp_path / f"answers{suffix}"
    answers.write_text("".join(separator.join(line) + "\n" for line in lines), encoding="utf-8")
    for allow_missing in (False, True):
        raises_input_error(f"answers{suffix}:2: a quoted field opened here is never closed", "lines 2-3",
                           questions=two_questions, answers=[answers], allow_missing=allow_missing)


def test_parquet_positions_are_rows(tmp_path: Path, two_questions: Path):
    import pyarrow
    import pyarrow.parquet as pq

    table = pyarrow.Table.from_pylist([{"question_id": "q1", "model": "m", "turns": ["ok"]},
                                       {"question_id": "q2", "model": "m", "turns": [" "]}])
    pq.write_table(table, tmp_path / "answers.parquet")
    error = raises_input_error("answers.parquet row 2", "field 'turns'", "empty", questions=two_questions,
                               answers=[tmp_path / "answers.parquet"])
    assert error.line == 2 and Path(error.path).name == "answers.parquet"


def test_arena_hard_answer_without_assistant_message(tmp_path: Path):
    write_jsonl(tmp_path / "question.jsonl", [{"uid": "u1", "category": "c", "prompt": "Hi"}])
    write_jsonl(tmp_path / "m.jsonl", [{"uid": "u1", "model": "m", "messages": [{"role": "user", "content": "Hi"}]}])
    raises_input_error("m.jsonl:1", "field 'messages'", "no assistant message",
                       questions=tmp_path / "question.jsonl", answers=[tmp_path / "m.jsonl"])


def test_bad_references(tmp_path: Path):
    questions = write_jsonl(tmp_path / "question.jsonl", [
        {"question_id": 1, "category": "math", "turns": ["a", "b"]}])
    answers = write_jsonl(tmp_path / "m.jsonl", [
        {"question_id": 1, "model_id": "m", "choices": [{"index": 0, "turns": ["x", "y"]}]}])

    def reference(question_id: int, turns: list[str]) -> Path:
        return write_jsonl(tmp_path / "reference.jsonl", [
            {"question_id": question_id, "model_id": "gpt-4", "choices": [{"index": 0, "turns": turns}]}])

    raises_input_error("reference.jsonl:1", "reference answer for unknown question '7'",
                       "check that the reference answers belong to these questions", questions=questions,
                       answers=[answers], references=reference(7, ["r1", "r2"]))
    raises_input_error("reference.jsonl:1", "field 'choices'", "1 turn(s)", questions=questions,
                       answers=[answers], references=reference(1, ["r1"]))
    # a blank reference is no empty answer: allow_missing does not skip it, so the message does not offer it
    error = raises_input_error("reference.jsonl:1", "field 'choices[0].turns'", "reference answer is empty",
                               questions=questions, answers=[answers], references=reference(1, ["r1", " "]),
                               allow_missing=True)
    assert "allow_missing" not in str(error)
    write_jsonl(questions, [{"question_id": 1, "category": "math", "turns": ["a", "b"], "reference": ["r1"]}])
    raises_input_error("question.jsonl:1", "field 'reference'", "1 reference turn(s)", questions=questions,
                       answers=[answers])


# ---- unreadable inputs: encodings, huge cells, JSON that Python accepts but no text can hold ----------------

ANSWERS = [{"question_id": "q1", "model": "m", "turns": ["café au lait"]},
           {"question_id": "q2", "model": "m", "turns": ["blue"]}]


def jsonl_text(records: list[dict]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


@pytest.mark.parametrize(("encoding", "expected"), [
    ("latin-1", "byte 0xe9 at byte offset"),      # é is one byte 0xe9 in Latin-1, never valid UTF-8 alone
    ("utf-16", "UTF-16"),                          # Python's utf-16 codec writes a byte-order mark
    ("utf-16-le", "NUL byte at byte offset 1"),    # no mark: ASCII letters come with NUL bytes
])
def test_a_file_that_is_not_utf8_names_line_and_byte_offset(tmp_path: Path, two_questions: Path, encoding, expected):
    answers = tmp_path / "answers.jsonl"
    answers.write_bytes(jsonl_text(ANSWERS).encode(encoding))
    error = raises_input_error(str(answers), expected, "re-encode the file as UTF-8",
                               questions=two_questions, answers=[answers])
    assert error.line == 1 and error.exit_code == EXIT_USAGE


def test_the_byte_offset_and_line_are_those_of_the_first_bad_byte(tmp_path: Path, two_questions: Path):
    good = json.dumps(ANSWERS[1]) + "\n"
    answers = tmp_path / "answers.jsonl"
    answers.write_bytes(good.encode() * 2 + json.dumps(ANSWERS[0], ensure_ascii=False).encode("latin-1"))
    offset = 2 * len(good.encode()) + json.dumps(ANSWERS[0], ensure_ascii=False).index("é")
    raises_input_error(f"{answers}:3:", f"byte 0xe9 at byte offset {offset} ", questions=two_questions,
                       answers=[answers])


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
def test_utf8_with_a_byte_order_mark_is_read(tmp_path: Path, two_questions: Path, suffix: str):
    answers = tmp_path / f"answers{suffix}"
    if suffix == ".json":
        answers.write_text(json.dumps(ANSWERS, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        write_answers([Answer(r["question_id"], r["model"], tuple(r["turns"])) for r in ANSWERS], answers)
    answers.write_bytes(b"\xef\xbb\xbf" + answers.read_bytes())
    dataset = load_dataset(two_questions, [answers])
    assert dataset.answer("q1", "m").turns == ("café au lait",)


def test_csv_cells_beyond_the_csv_modules_default_limit_are_read(tmp_path: Path, two_questions: Path):
    long_answer = "word " * 60_000  # 300,000 characters; the csv module stops at 131,072 by default
    answers = write_csv(tmp_path / "answers.csv", ["question_id", "model", "answer"],
                        [["q1", "m", long_answer], ["q2", "m", "blue"]])
    assert load_dataset(two_questions, [answers]).answer("q1", "m").turns == (long_answer,)
    assert csv.field_size_limit() == 131072  # the module's limit is restored for everyone else


def deeply_nested(depth: int) -> str:
    return "[" * depth + '"x"' + "]" * depth


def test_deeply_nested_json_is_an_error_at_its_line(tmp_path: Path, two_questions: Path):
    nested = '{"question_id": "q2", "model": "m", "turns": ' + deeply_nested(100_000) + "}\n"
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text(json.dumps(ANSWERS[0]) + "\n" + nested, encoding="utf-8")
    raises_input_error(f"{jsonl}:2:", "nested too deeply", questions=two_questions, answers=[jsonl])
    array = tmp_path / "array.json"
    array.write_text("[\n" + json.dumps(ANSWERS[0]) + ",\n" + nested + "]\n", encoding="utf-8")
    raises_input_error(f"{array}:3:", "nested too deeply", questions=two_questions, answers=[array])
    cell = write_csv(tmp_path / "answers.csv", ["question_id", "model", "turns"],
                     [["q1", "m", '["fine"]'], ["q2", "m", deeply_nested(100_000)]])
    raises_input_error(f"{cell}:3:", "field 'turns'", "nested too deeply", questions=two_questions, answers=[cell])


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ude00\\ud83d"])  # lone high, lone low, reversed pair
def test_lone_surrogate_escapes_are_an_error_at_their_line(tmp_path: Path, two_questions: Path, escape: str):
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text(json.dumps(ANSWERS[1]) + '\n{"question_id": "q1", "model": "m", "turns": ["a' + escape
                     + 'b"]}\n', encoding="utf-8")
    raises_input_error(f"{jsonl}:2:", "lone surrogate", questions=two_questions, answers=[jsonl])


def test_escaped_surrogate_pairs_and_escaped_backslashes_are_fine(tmp_path: Path, two_questions: Path):
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text('{"question_id": "q1", "model": "m", "turns": ["smile \\ud83d\\ude00"]}\n'
                     '{"question_id": "q2", "model": "m", "turns": ["a path: C:\\\\ud800"]}\n', encoding="utf-8")
    dataset = load_dataset(two_questions, [jsonl])
    assert dataset.answer("q1", "m").turns == ("smile \U0001F600",)
    assert dataset.answer("q2", "m").turns == ("a path: C:\\ud800",)


def test_a_latin1_answers_file_through_the_console_script(tmp_path: Path, two_questions: Path):
    """The installed `judgebench` script stops with the message and exit 2 before any engine starts.

    The judge at port 9 (discard) cannot answer: reaching it would fail differently, so the message proves the
    input was refused first.
    """
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(jsonl_text(ANSWERS).encode("latin-1"))
    other = write_jsonl(tmp_path / "other.jsonl", [{**record, "model": "n"} for record in ANSWERS])
    script = Path(sys.executable).parent / "judgebench"
    result = subprocess.run([str(script), "run", "--questions", str(two_questions), "--answers", str(latin1),
                             "--answers", str(other), "--judge-model", "x", "--base-url", "http://127.0.0.1:9/v1",
                             "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == EXIT_USAGE, output
    assert f"{latin1}:1:" in output and "is not UTF-8" in output and "re-encode the file as UTF-8" in output
    assert "Traceback" not in output


# ---- files in the wrong format or the wrong place: the message names the cause, not a field to add ----------

def run_refused(folder: Path, *args: str) -> str:
    """`judgebench run` with `args`, refused before any judge call: its one line of error, checked to end the run
    with exit 2 and no traceback (the judge at port 9, discard, cannot answer)."""
    from tests.support.cli_runs import judgebench

    done = judgebench("run", *args, "--judge-model", "x", "--base-url", "http://127.0.0.1:9/v1", "--out", "out",
                      cwd=folder)
    assert done.returncode == EXIT_USAGE, done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    return done.stderr.removeprefix("error: ").rstrip("\n")


GENERIC_QUESTIONS = [{"question_id": "q1", "turns": ["What is 2+2?"]}, {"question_id": "q2", "turns": ["Hi?"]}]
GENERIC_ANSWERS = [{"question_id": f"q{i}", "model": model, "turns": [f"{model} {i}"]}
                   for model in ("m", "n") for i in (1, 2)]


def test_answers_in_another_format_than_the_questions_file_told_say_so_and_how_to_choose_one(tmp_path: Path):
    """arena-hard questions (`uid`, `prompt`) with generic answers: the format is detected as arena-hard from the
    questions file, and the answers were told to add arena-hard's "messages", the wrong fix; the message says where
    the format was detected, which format the answers are in, and the flag that chooses it. A format named with
    --format is the user's choice: its message stays the field's own."""
    write_jsonl(tmp_path / "question.jsonl", [{"uid": "u1", "category": "c", "prompt": "What is 2+2?"}])
    write_jsonl(tmp_path / "answers.jsonl", [{"question_id": "u1", "model": "m", "turns": ["4"]}])
    assert run_refused(tmp_path, "--questions", "question.jsonl", "--answers", "answers.jsonl") == (
        "answers.jsonl:1: field 'messages': missing required field (these answers are in the generic format, but the "
        "format was detected as arena-hard from the questions file question.jsonl: give answers in the arena-hard "
        "format, or questions and answers both in the generic format, chosen with --format generic)")
    # MT-Bench answers (`choices`, which arena-hard's older files share) beside AlpacaEval questions are named as
    # MT-Bench's, the format that claims them
    write_jsonl(tmp_path / "outputs.json", [{"instruction": "What is 2+2?", "output": "4", "generator": "m"}])
    write_jsonl(tmp_path / "mt.jsonl", [{"question_id": 1, "model_id": "n", "choices": [{"turns": ["4"]}]}])
    mt_bench = run_refused(tmp_path, "--questions", "outputs.json", "--answers", "mt.jsonl")
    assert ("these answers are in the mt-bench format, but the format was detected as alpaca-eval from the questions "
            "file outputs.json") in mt_bench, mt_bench
    named = run_refused(tmp_path, "--questions", "question.jsonl", "--answers", "answers.jsonl",
                        "--format", "arena-hard")
    assert named.endswith("missing required field (add \"messages\": [{\"role\": \"user\", ...}, {\"role\": "
                          "\"assistant\", ...}])"), named


@pytest.mark.parametrize("layout", ["generic", "mt-bench"])
def test_questions_and_answers_given_in_each_others_place_are_said_to_look_swapped(tmp_path: Path, layout: str):
    """--questions ANSWERS --answers QUESTIONS said "missing required field 'model'" of the questions file given
    as answers (generic), or "missing 'turns'" of the answers file given as questions (MT-Bench's), with a hint to
    add the field; the questions file names models and the answers file none, so they look swapped."""
    if layout == "generic":
        questions, answers = GENERIC_QUESTIONS, GENERIC_ANSWERS
        failing = "answers.jsonl:1: field 'model': missing required field"
    else:
        questions = [{"question_id": 81, "category": "c", "turns": ["One?", "Two?"]}]
        answers = [{"question_id": 81, "model_id": "m", "choices": [{"index": 0, "turns": ["1", "2"]}]}]
        failing = "answers.jsonl:1: field 'turns': missing required field (or 'prompt' for a single turn)"
    write_jsonl(tmp_path / "questions.jsonl", questions)
    write_jsonl(tmp_path / "answers.jsonl", answers)
    refused = run_refused(tmp_path, "--questions", "answers.jsonl", "--answers", "questions.jsonl")
    if layout == "generic":
        failing = failing.replace("answers.jsonl", "questions.jsonl")
    assert refused == (
        f"{failing} (answers.jsonl and questions.jsonl look swapped: the questions file's rows name a model, as "
        "answers do, and the answers file's none, as questions do; give the questions to --questions and the answers "
        "to --answers)")


def test_an_answers_file_without_models_is_asked_whether_it_is_the_questions_file(tmp_path: Path):
    """One side alone looking like the other file keeps the field's hint, and asks whether the files are swapped."""
    write_jsonl(tmp_path / "questions.jsonl", GENERIC_QUESTIONS)
    write_jsonl(tmp_path / "answers.jsonl", [{k: v for k, v in row.items() if k != "model"} for row in GENERIC_ANSWERS])
    assert run_refused(tmp_path, "--questions", "questions.jsonl", "--answers", "answers.jsonl") == (
        "answers.jsonl:1: field 'model': missing required field (add 'model' to every record; answers.jsonl names no "
        "model in its rows, as questions do: are --questions and --answers swapped?)")


def test_an_empty_questions_file_keeps_the_answers_row_error(tmp_path: Path):
    """An empty questions file beside an answers row in error crashed ("internal error ... IndexError") looking
    for the questions' first row to tell whether the files were swapped; the row's own error is given."""
    write_jsonl(tmp_path / "questions.jsonl", [])
    write_jsonl(tmp_path / "answers.jsonl", [*GENERIC_ANSWERS[:1], {"question_id": "q2", "model": "m"}])
    assert run_refused(tmp_path, "--questions", "questions.jsonl", "--answers", "answers.jsonl") == (
        "answers.jsonl:2: field 'turns': missing required field (or 'answer' for a single turn) (add 'turns' or "
        "'answer' to every record)")


@pytest.mark.parametrize("unnamed", [{}, {"model": None}])
def test_one_answers_row_without_a_model_is_not_asked_whether_the_files_are_swapped(tmp_path: Path, unnamed: dict):
    """A row of an answers file lacking its model (or naming none) asked whether --questions and --answers were
    swapped, judged by that row alone; the file's first row names a model, so the file is answers: the row's own
    error is given."""
    answers = [*GENERIC_ANSWERS[:2], {"question_id": "q1", "turns": ["n 1"], **unnamed}, *GENERIC_ANSWERS[3:]]
    write_jsonl(tmp_path / "questions.jsonl", GENERIC_QUESTIONS)
    write_jsonl(tmp_path / "answers.jsonl", answers)
    refused = run_refused(tmp_path, "--questions", "questions.jsonl", "--answers", "answers.jsonl")
    assert refused.startswith("answers.jsonl:3: field 'model': "), refused
    assert "swapped" not in refused, refused


def test_one_row_in_another_formats_shape_is_not_said_to_be_in_that_format(tmp_path: Path):
    """A generic questions file with one row's turns as arena-hard's objects was said to be "in the arena-hard
    format", to be chosen with --format arena-hard; its first row tells the file's format, which is the one read,
    so the row's own error is given. An answers file whose first row is in another format than the one read still
    hears of it; generic, read where no other format claims the first rows, is not said to be detected from them."""
    questions = [GENERIC_QUESTIONS[0], {"question_id": "q2", "turns": [{"content": "Hi?"}]}]
    write_jsonl(tmp_path / "questions.jsonl", questions)
    write_jsonl(tmp_path / "answers.jsonl", GENERIC_ANSWERS)
    refused = run_refused(tmp_path, "--questions", "questions.jsonl", "--answers", "answers.jsonl")
    assert refused.startswith("questions.jsonl:2: field 'turns"), refused
    assert "format" not in refused, refused
    write_jsonl(tmp_path / "questions.jsonl", GENERIC_QUESTIONS)
    write_jsonl(tmp_path / "answers.jsonl", GENERIC_ANSWERS[:2])
    write_jsonl(tmp_path / "arena.jsonl", [{"uid": f"q{i}", "model": "n", "messages": [
        {"role": "user", "content": "?"}, {"role": "assistant", "content": {"answer": f"n {i}"}}]} for i in (1, 2)])
    assert run_refused(tmp_path, "--questions", "questions.jsonl", "--answers", "answers.jsonl", "--answers",
                       "arena.jsonl") == (
        "arena.jsonl:1: field 'turns': missing required field (or 'answer' for a single turn) (these answers are in "
        "the arena-hard format, but the format was read as generic, the format of files no other format claims: give "
        "answers in the generic format, or questions and answers both in the arena-hard format, chosen with --format "
        "arena-hard)")


def test_references_replaced_are_named_only_among_the_questions_judged(tmp_path: Path):
    """With --first-n, the note on references the references file replaced named every question of the file (29
    of MT-Bench's, none of them among the first 20 judged); it names those judged, and none where none is. The
    notes come as the data are read: the run then stops, before any judge call, for want of a baseline."""
    from tests.support.cli_runs import judgebench

    write_jsonl(tmp_path / "questions.jsonl", [{"question_id": f"q{i}", "turns": [f"Q{i}?"], "reference": ["old"]}
                                               for i in (1, 2, 3)])
    write_jsonl(tmp_path / "answers.jsonl", [{"question_id": f"q{i}", "model": model, "turns": [f"{model} {i}"]}
                                             for model in ("m", "n") for i in (1, 2, 3)])
    write_jsonl(tmp_path / "refs.jsonl", [{"question_id": f"q{i}", "model": "gpt-4", "turns": ["new"]} for i in (2, 3)])
    notes = {}
    for first_n in ("1", "2", "3"):
        done = judgebench("run", "--questions", "questions.jsonl", "--answers", "answers.jsonl", "--references",
                          "refs.jsonl", "--first-n", first_n, "--template", "pairwise-5-reference", "--judge-model",
                          "x", "--base-url", "http://127.0.0.1:9/v1", "--out", "out", cwd=tmp_path)
        assert done.returncode == EXIT_USAGE and "needs a baseline model" in done.stderr, done.stderr
        notes[first_n] = [line for line in (done.stdout + done.stderr).splitlines() if "replace those" in line]
    replaced = "note: the reference answers of refs.jsonl replace those the questions file gives for "
    assert notes == {"1": [],
                     "2": [f"{replaced}1 question(s) judged (ids: q2), which differ"],
                     "3": [f"{replaced}2 question(s) (ids: q2, q3), which differ"]}  # all judged: said as before


def test_a_references_file_given_for_none_of_the_first_n_questions_is_said_to_have_been_read(tmp_path: Path):
    """`run --first-n 2 --references refs.jsonl` where the file gives a reference only past the first 2 questions
    said that none of them had a reference and to give them with --references FILE, the flag given: the message
    says the file was read, names it, and that it gives none of the first 2 a reference; without --first-n, a file
    that gives none of the questions one (an empty file) is named alike. Refused before any judge call (the judge's
    address is a closed port)."""
    from tests.support.cli_runs import judgebench

    write_jsonl(tmp_path / "questions.jsonl", [{"question_id": f"q{i}", "turns": [f"Q{i}?"]} for i in (1, 2, 3)])
    write_jsonl(tmp_path / "answers.jsonl", [{"question_id": f"q{i}", "model": model, "turns": [f"{model} {i}"]}
                                             for model in ("m", "n") for i in (1, 2, 3)])
    write_jsonl(tmp_path / "refs.jsonl", [{"question_id": "q3", "model": "gpt-4", "turns": ["ref"]}])
    (tmp_path / "empty.jsonl").write_text("")

    def refused(references: str, *first_n: str) -> str:
        done = judgebench("run", "--questions", "questions.jsonl", "--answers", "answers.jsonl", "--baseline", "m",
                          "--references", references, *first_n, "--template", "pairwise-5-reference",
                          "--judge-model", "x", "--base-url", "http://127.0.0.1:9/v1", "--out", "out", cwd=tmp_path)
        assert done.returncode == EXIT_USAGE and "Traceback" not in done.stderr, done.stderr
        return " ".join(done.stderr.split())

    assert ("error: template 'pairwise-5-reference' judges with reference answers, but none of the first 2 questions "
            "(--first-n 2) has one: the references file refs.jsonl (--references) was read, and gives none of them a "
            "reference answer; judge more questions (--first-n), give their reference answers in that file, or set "
            "--template to a template without references (pairwise-5)") in refused("refs.jsonl", "--first-n", "2")
    assert ("but none of the 3 questions has one: the references file empty.jsonl (--references) was read, and gives "
            "none of them a reference answer; give their reference answers in that file") in refused("empty.jsonl")


def test_mt_bench_writing_questions_are_judged_with_a_reference_template_without_their_references(
        shared_data: Path, judge_server, tmp_path: Path):
    """MT-Bench's first questions are writing, which its format's rule judges without a reference answer (with
    pairwise-5-reference's plain counterpart, pairwise-5): `run --first-n 5 --template pairwise-5-reference
    --references gpt-4.jsonl` was refused as if none of them had a reference, advising to give theirs in the file
    given (which sets them aside). It runs, and says every question is judged with pairwise-5. A template without a
    plain counterpart is refused, and the message names the format's rule, not the file."""
    from tests.support.cli_runs import judgebench

    questions = shared_data / "mt_bench" / "question.jsonl"
    ids = [json.loads(line)["question_id"] for line in questions.read_text().splitlines()][:5]
    (tmp_path / "model_answer").mkdir()
    for model in ("m", "n"):
        write_jsonl(tmp_path / "model_answer" / f"{model}.jsonl", [{"question_id": qid, "model_id": model, "choices": [
            {"index": 0, "turns": [f"{model} 1", f"{model} 2"]}]} for qid in ids])
    shutil.copy(shared_data / "mt_bench" / "reference_answer_gpt-4.jsonl", tmp_path / "gpt-4.jsonl")
    template = (Path(__file__).resolve().parents[1] / "prompts" / "pairwise-5-reference.toml").read_text()
    assert 'plain = "pairwise-5"\n' in template
    (tmp_path / "no-plain.toml").write_text(template.replace('plain = "pairwise-5"\n', ""))

    def run(template: str) -> subprocess.CompletedProcess:
        return judgebench("run", "--questions", str(questions), "--answers", "model_answer", "--baseline", "m",
                          "--references", "gpt-4.jsonl", "--first-n", "5", "--template", template, "--judge-model",
                          "test-judge", "--base-url", judge_server.base_url, "--out", "out", "--no-progress",
                          cwd=tmp_path)

    done = run("pairwise-5-reference")
    assert done.returncode == 0, done.stderr
    assert judge_server.log, done.stderr
    assert ("5 of 5 questions are judged with template 'pairwise-5', without a reference answer"
            in " ".join((done.stdout + done.stderr).split())), done.stderr
    refused = run("no-plain.toml")
    message = " ".join(refused.stderr.split())
    assert refused.returncode == EXIT_USAGE and "Traceback" not in refused.stderr, refused.stderr
    assert ("but none of the 5 questions judged is shown one: the mt-bench format shows the judge reference answers "
            "only for math, reasoning, coding and arena-hard-200 questions") in message, message
    assert "give their reference answers in that file" not in message

"""Importers of external judgments: generic outcomes files, arena-hard-auto's judgment files and AlpacaEval
annotations.

tests/support/arena_hard_auto holds judgments in arena-hard-auto v0.1's layout (model_judgment/<judge>/<model>.jsonl:
question_id, model, judge, games; the baseline gpt-4-0314 is shown first in each record's first game) and
outcomes.csv, their conversion by hand (one row per game, a strong verdict weighing 3)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import judgebench
from judgebench.datasets.judgments import (
    ARENA_HARD_SCORES,
    instruction_id,
    load_alpaca_eval_annotations,
    load_alpaca_eval_lc_weights,
    load_arena_hard_judgments,
    load_instruction_difficulty,
    load_outcomes,
)
from judgebench.datasets.sources import read_outcomes
from judgebench.errors import InputError
from judgebench.ratings.counts import encode_outcomes
from judgebench.records import OUTCOME_COLUMNS

ROWS = [
    {"question_id": "001", "model_a": "m1", "model_b": "m2", "winner": "model_a"},
    {"question_id": "002", "model_a": "m2", "model_b": "m3", "winner": "model_b"},
    {"question_id": "003", "model_a": "m1", "model_b": "m3", "winner": "tie"},
    {"question_id": "004", "model_a": "m3", "model_b": "m1", "winner": "tie (bothbad)"},
]
SCORES = [1.0, 0.0, 0.5, 0.5]


def write(path, rows, fmt=None):
    fmt = fmt or path.suffix.lstrip(".")
    frame = pd.DataFrame(rows)
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_winner_values_become_scores(tmp_path, suffix):
    outcomes = load_outcomes(write(tmp_path / f"outcomes{suffix}", ROWS))
    assert list(outcomes.columns) == OUTCOME_COLUMNS
    assert outcomes["score_a"].tolist() == SCORES
    assert outcomes["question_id"].tolist() == ["001", "002", "003", "004"]  # ids stay text, zeros kept
    assert outcomes["weight"].tolist() == [1.0] * 4
    assert outcomes[["p_ab", "p_ba"]].isna().all().all()


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_scores_weights_and_order_verdicts_are_kept(tmp_path, suffix):
    rows = [{"question_id": 7, "model_a": "x", "model_b": "y", "score_a": 0.25, "weight": 2.0,
             "p_ab": 0.4, "p_ba": 0.1, "judge": "j"},
            {"question_id": 8, "model_a": "y", "model_b": "x", "score_a": 1, "weight": 0.5,
             "p_ab": None, "p_ba": 1.0, "judge": "j"}]
    outcomes = load_outcomes(write(tmp_path / f"scores{suffix}", rows))
    assert outcomes["question_id"].tolist() == ["7", "8"]
    assert outcomes["score_a"].tolist() == [0.25, 1.0]
    assert outcomes["weight"].tolist() == [2.0, 0.5]
    assert outcomes["p_ab"].iloc[0] == 0.4 and np.isnan(outcomes["p_ab"].iloc[1])
    assert outcomes["judge"].tolist() == ["j", "j"]  # extra columns follow the canonical ones


def test_winner_fills_rows_without_a_score(tmp_path):
    rows = [{"question_id": "q", "model_a": "a", "model_b": "b", "score_a": 0.2, "winner": "model_b"},
            {"question_id": "r", "model_a": "a", "model_b": "b", "score_a": None, "winner": " Model_B "}]
    outcomes = load_outcomes(write(tmp_path / "both.jsonl", rows))
    assert outcomes["score_a"].tolist() == [0.2, 0.0]  # a soft score is kept where the winner agrees


@pytest.mark.parametrize(("score", "winner"), [(0.0, "model_a"), (0.8, "model_b"), (0.5, "model_a"), (1.0, "tie")])
def test_a_winner_that_contradicts_the_score_is_an_error(tmp_path, score, winner):
    """score_a is read where both are given; a winner that disagreed was dropped without a word, and a file
    whose scores follow another convention was rated backwards."""
    rows = [{"question_id": "q", "model_a": "a", "model_b": "b", "score_a": 0.9, "winner": "model_a"},
            {"question_id": "r", "model_a": "a", "model_b": "b", "score_a": score, "winner": winner}]
    path = write(tmp_path / "clash.csv", rows)
    assert error_of(path).startswith(f"{path}:3: field 'winner': winner '{winner}' contradicts score_a {score:g}")


def error_of(path):
    with pytest.raises(InputError) as caught:
        load_outcomes(path)
    return str(caught.value)


def test_missing_column_names_file_and_field(tmp_path):
    path = write(tmp_path / "no_model.csv", [{"question_id": "q", "model_a": "a", "winner": "tie"}])
    message = error_of(path)
    assert str(path) in message and "model_b" in message and "missing column" in message


@pytest.mark.parametrize(("header", "said"), [
    ("Question_ID,Model_A,Model_B,Winner", "the file's columns: Question_ID, Model_A, Model_B, Winner)"),
    ("question_id;model_a;model_b;winner", "its header is one column, 'question_id;model_a;model_b;winner': a file "
                                           "separated by ';' is read as one column"),
], ids=["capitals", "semicolons"])
def test_a_missing_column_error_shows_the_columns_found(tmp_path, header, said):
    path = tmp_path / "outcomes.csv"
    path.write_text(header + "\n" + header.lower().replace("question_id", "q1") + "\n")
    message = error_of(path)
    assert message.startswith(f"{path}: field 'question_id': missing column (") and said in message


@pytest.mark.parametrize("header", ["question_id,model_a,model_b,model_a,winner", "left,right,winner,left"])
def test_a_header_naming_a_column_twice_is_one_clear_error(tmp_path, header):
    """It was an internal error (a column read by name was a table)."""
    path = tmp_path / "outcomes.csv"
    path.write_text(header + "\nq1,a,b,c,model_a\n")
    repeated = "model_a" if "model_a" in header else "left"
    assert error_of(path) == (f"{path}:1: the header names column '{repeated}' more than once (rename or remove all "
                              "but one of them)")


def test_neither_winner_nor_score(tmp_path):
    message = error_of(write(tmp_path / "no_verdict.csv", [{"question_id": "q", "model_a": "a", "model_b": "b"}]))
    assert "winner" in message and "score_a" in message


def test_unknown_winner_names_the_csv_line(tmp_path):
    rows = [*ROWS[:2], {**ROWS[2], "winner": "model_c"}]
    path = write(tmp_path / "bad_winner.csv", rows)
    message = error_of(path)
    assert f"{path}:4" in message  # header is line 1, the third outcome is line 4
    assert "winner" in message and "model_c" in message and "tie (bothbad)" in message


def test_unknown_winner_names_the_jsonl_line_despite_blank_lines(tmp_path):
    path = tmp_path / "blank.jsonl"
    lines = [json.dumps(ROWS[0]), "", json.dumps({**ROWS[1], "winner": "A"}), json.dumps(ROWS[2])]
    path.write_text("\n".join(lines) + "\n")
    assert f"{path}:3" in error_of(path)


def test_parquet_errors_name_the_row(tmp_path):
    path = write(tmp_path / "bad.parquet", [ROWS[0], {**ROWS[1], "winner": "nobody"}])
    message = error_of(path)
    assert "row 2" in message and "nobody" in message


@pytest.mark.parametrize("score", [1.5, -0.2])
def test_score_outside_unit_interval(tmp_path, score):
    path = write(tmp_path / "range.csv", [{"question_id": "q", "model_a": "a", "model_b": "b", "score_a": score}])
    message = error_of(path)
    assert f"{path}:2" in message and "score_a" in message and "[0, 1]" in message


def test_score_that_is_not_a_number(tmp_path):
    path = write(tmp_path / "text.csv", [{"question_id": "q", "model_a": "a", "model_b": "b", "score_a": 0.5},
                                         {"question_id": "r", "model_a": "a", "model_b": "b", "score_a": "high"}])
    message = error_of(path)
    assert f"{path}:3" in message and "'high' is not a number" in message


def test_negative_or_missing_weight(tmp_path):
    """The value is shown as written (it was np.float64(-1.0)), and a row without one says so (it said
    np.float64(nan))."""
    rows = [{"question_id": "q", "model_a": "a", "model_b": "b", "score_a": 1, "weight": -1}]
    path = write(tmp_path / "weight.jsonl", rows)
    assert error_of(path).startswith(f"{path}:1: field 'weight': weight -1 is not a non-negative number")
    rows = [{**rows[0], "weight": 2}, {"question_id": "q2", "model_a": "a", "model_b": "b", "score_a": 1}]
    path = write(tmp_path / "missing.jsonl", rows)
    assert error_of(path).startswith(f"{path}:2: field 'weight': weight missing is not a non-negative number")


def test_malformed_jsonl_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + json.dumps(ROWS[1]) + "\n{\"question_id\": \"3\", \"model_a\n")
    message = error_of(path)
    assert f"{path}:3" in message and "malformed JSON (Unterminated string starting at column 22)" in message


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "list.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n[1, 2]\n")
    assert f"{path}:2" in error_of(path)


def test_malformed_csv_line(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text("question_id,model_a,model_b,winner\nq1,a,b,tie\nq2,a,b,tie,extra\n")
    message = error_of(path)
    assert f"{path}:3" in message and "has 5 values but the header has 4 columns" in message


def test_csv_quote_never_closed(tmp_path):
    # pyarrow, like the csv module, read the rest of the file into the quoted cell: one outcome instead of three
    path = tmp_path / "open.csv"
    path.write_text('question_id,model_a,model_b,winner\nq1,a,b,"tie\nq2,a,b,model_a\nq3,a,b,model_b\n')
    message = error_of(path)
    assert f"{path}:2" in message and "a quoted field opened here is never closed" in message
    path.write_text('question_id,model_a,model_b,winner\nq1,"a, v1",b,tie\nq2,"a ""x""",b,model_a\nq3,a,b,"tie\n')
    message = error_of(path)  # opened on the last line: that line alone (it said "lines 4-4")
    assert f"{path}:4" in message and "(the rest of the file, line 4, would be read as one value)" in message
    path.write_text('question_id,model_a,model_b,winner\nq1,"a, v1",b,tie\nq2,"a ""x""",b,model_a\nq3,a,b,tie\n')
    assert read_outcomes(path)["model_a"].tolist() == ["a, v1", 'a "x"', "a"]  # quotes closed: read as written


def test_self_comparison_and_empty_model(tmp_path):
    same = write(tmp_path / "same.csv", [{"question_id": "q", "model_a": "a", "model_b": "a", "winner": "tie"}])
    assert "compared with itself" in error_of(same)
    empty = write(tmp_path / "empty.jsonl", [{"question_id": "q", "model_a": "", "model_b": "b", "winner": "tie"}])
    assert "model_a" in error_of(empty) and "empty" in error_of(empty)


def test_missing_empty_and_unknown_files(tmp_path):
    assert "file not found" in error_of(tmp_path / "nowhere.csv")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert "no outcomes" in error_of(empty)
    other = tmp_path / "outcomes.xlsx"
    other.write_text("x")
    assert "unsupported file type '.xlsx'" in error_of(other)


def test_a_large_parquet_file_keeps_every_verdict(tmp_path):
    # Timings live in benchmarks/; here the vectorised path must get every row of a sizeable file right.
    rng = np.random.default_rng(0)
    n = 200_000
    names = np.array([f"model-{i:03d}" for i in range(100)])
    side_a = rng.integers(0, 100, n)
    side_b = (side_a + rng.integers(1, 100, n)) % 100
    winners = np.array(["model_a", "model_b", "tie", "tie (bothbad)"])[rng.integers(0, 4, n)]
    table = pa.table({"question_id": pa.array(np.char.add("q", rng.integers(0, 2000, n).astype(str))),
                      "model_a": names[side_a], "model_b": names[side_b], "winner": winners})
    path = tmp_path / "large.parquet"
    pq.write_table(table, path)
    outcomes = load_outcomes(path)
    expected = np.select([winners == "model_a", winners == "model_b"], [1.0, 0.0], 0.5)
    assert np.array_equal(outcomes["score_a"].to_numpy(), expected)
    assert np.array_equal(outcomes["model_b"].to_numpy(dtype=str), names[side_b])


# ------------------------------------------------------------------------------------------------------------
# evalica's pairwise layout (left, right, winner). Its ratings against evalica's goldens: test_bradley_terry.py
# and test_elo.py read the goldens' data through load_outcomes; the command line: test_leaderboard.py.

PAIRWISE = [{"left": "0", "right": "1", "winner": "left"}, {"left": "2", "right": "0", "winner": "Right"},
            {"left": "1", "right": "2", "winner": " tie "}]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_pairwise_layout_is_read_each_row_its_own_question(tmp_path, suffix):
    path = write(tmp_path / f"pairs{suffix}", PAIRWISE)
    outcomes = load_outcomes(path)
    assert list(outcomes.columns) == OUTCOME_COLUMNS  # left, right and winner become canonical columns
    assert outcomes[["model_a", "model_b"]].to_numpy().tolist() == [["0", "1"], ["2", "0"], ["1", "2"]]
    assert outcomes["score_a"].tolist() == [1.0, 0.0, 0.5]
    assert outcomes["question_id"].tolist() == ["1", "2", "3"]
    assert outcomes.attrs["rows_as_questions"] is True
    read = read_outcomes(path)  # what the command reads, Parquet included
    assert read["score_a"].tolist() == [1.0, 0.0, 0.5] and read.attrs["rows_as_questions"] is True


def test_pairwise_layout_with_question_ids_clusters_rows(tmp_path):
    rows = [{**row, "question_id": "p1" if k < 2 else "p2"} for k, row in enumerate(PAIRWISE)]
    outcomes = load_outcomes(write(tmp_path / "pairs.csv", rows))
    assert outcomes["question_id"].tolist() == ["p1", "p1", "p2"]
    assert outcomes.attrs["rows_as_questions"] is False


def test_pairwise_layout_errors_name_its_columns(tmp_path):
    path = write(tmp_path / "bad.csv", [PAIRWISE[0], {**PAIRWISE[1], "winner": "model_a"}])
    message = error_of(path)
    assert f"{path}:3" in message and "'model_a'" in message and "use left, right or tie" in message
    same = error_of(write(tmp_path / "same.csv", [{"left": "x", "right": "x", "winner": "tie"}]))
    assert "compared with itself" in same and "'right'" in same and "left and right must differ" in same
    no_winner = error_of(write(tmp_path / "no_winner.csv", [{"left": "x", "right": "y"}]))
    assert "missing column" in no_winner and "'winner'" in no_winner and "left, right or tie" in no_winner
    with pytest.raises(InputError, match="evalica's layout"):  # the same table in memory, given to rating code
        encode_outcomes(pd.DataFrame(PAIRWISE))


# ------------------------------------------------------------------------------------------------------------
# AlpacaEval.


def test_alpaca_eval_file_maps_generators_and_lengths(shared_data):
    path = shared_data / "alpaca_eval" / "annotations" / "claude-2.json"
    records = json.loads(path.read_text())
    outcomes = load_alpaca_eval_annotations([path])
    assert list(outcomes.columns) == [*OUTCOME_COLUMNS, "len_a", "len_b"]
    assert len(outcomes) == len(records) == 805
    assert set(outcomes["model_a"]) == {"claude-2"} and set(outcomes["model_b"]) == {"gpt4_1106_preview"}
    first = records[0]
    assert outcomes["score_a"].iloc[0] == pytest.approx(float(first["preference"]) - 1)
    assert outcomes["len_a"].iloc[0] == len(first["output_2"])
    assert outcomes["len_b"].iloc[0] == len(first["output_1"])
    assert outcomes["question_id"].iloc[0] == instruction_id([first["instruction"]]).iloc[0]
    assert outcomes["question_id"].is_unique
    assert outcomes.attrs["dropped_missing_preference"] == {}


def test_alpaca_eval_folder_and_shared_question_ids(shared_data):
    outcomes = load_alpaca_eval_annotations(shared_data / "alpaca_eval" / "annotations")
    assert len(outcomes) == 14 * 805
    per_model = outcomes.groupby("model_a")["question_id"].apply(frozenset)
    assert per_model.nunique() == 1  # the same 805 instructions get the same ids in every file


def annotation(instruction, preference):
    return {"instruction": instruction, "output_1": "base answer", "generator_1": "base",
            "output_2": "model answer!", "generator_2": "model", "preference": preference}


def test_alpaca_eval_missing_preferences_are_counted_and_dropped(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps([annotation("a", "1.75"), annotation("b", None), annotation("c", 0),
                                annotation("d", 2.0), annotation("e", "")]))
    outcomes = load_alpaca_eval_annotations([path])
    assert outcomes["score_a"].tolist() == [0.75, 0.5, 1.0]  # "1.75" parsed, 0 is a draw
    assert outcomes.attrs["dropped_missing_preference"] == {str(path): 2}
    assert outcomes.attrs["warnings"] == [f"{path}: 2 of 5 annotations have no preference and are left out, as "
                                          "AlpacaEval leaves them out of its win rates"]
    assert outcomes["len_a"].tolist() == [13.0] * 3


def test_alpaca_eval_annotations_without_a_preference_are_a_warning_of_the_board(shared_data, tmp_path):
    """Annotations dropped for want of a preference were only logged: leaderboard.json, leaderboard.md and
    `rate(...)`'s meta never said that a model's win rate stands on fewer annotations than its file holds. The
    board's warnings count them per file now, and the command prints the warning once, as the board's (an
    AlpacaEval file whose records all have one gives none)."""
    from tests.support.cli_runs import judgebench as cli

    annotations = shared_data / "alpaca_eval" / "annotations"
    records = json.loads((annotations / "claude-2.json").read_text())
    for record in records[:7]:
        record["preference"] = None
    nulled = tmp_path / "claude-2.json"
    nulled.write_text(json.dumps(records))
    real = annotations / "alpaca-7b.json"
    warning = (f"{nulled}: 7 of 805 annotations have no preference and are left out, as AlpacaEval leaves them out of "
               "its win rates")
    board = judgebench.rate([real, nulled])
    assert [text for text in board.meta["warnings"] if "preference" in text] == [warning]
    scores = [float(record["preference"]) - 1 for record in records[7:]]
    rates = board.table.set_index("model")["win_rate"]
    assert rates["claude-2"] == pytest.approx(sum(scores) / len(scores))  # the 798 kept, as AlpacaEval rates them
    done = cli("leaderboard", "--alpaca-eval", str(real), str(nulled), "--out", "board", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = " ".join(done.stderr.split())
    assert shown.count("7 of 805 annotations have no preference") == 1 and f"warning: {warning}" in shown, shown
    written = json.loads((tmp_path / "board" / "leaderboard.json").read_text())
    assert warning in written["meta"]["warnings"]
    assert "7 of 805 annotations have no preference" in " ".join((tmp_path / "board" / "leaderboard.md").read_text()
                                                                 .split())
    assert not any("preference" in text for text in judgebench.rate([real]).meta["warnings"])


def test_alpaca_eval_annotators_are_the_judges_of_the_rows_kept(tmp_path):
    """The records' `annotator` names who judged (AlpacaEval's annotator configuration: judge model and prompt);
    a record without a preference is not rated, so its annotator is not among the judges."""
    rows = [{**annotation("a", 2.0), "annotator": "weighted_alpaca_eval_gpt4_turbo"},
            {**annotation("b", 1.0), "annotator": "alpaca_eval_gpt4"}, annotation("c", 1.5),
            {**annotation("d", None), "annotator": "never_rated"}]
    (tmp_path / "model.json").write_text(json.dumps(rows))
    (tmp_path / "other.json").write_text(json.dumps([{**annotation("z", 1.0), "annotator": "alpaca_eval_gpt4"}]))
    outcomes = load_alpaca_eval_annotations(tmp_path)
    assert outcomes.attrs["annotators"] == ["alpaca_eval_gpt4", "weighted_alpaca_eval_gpt4_turbo"]
    (tmp_path / "other.json").unlink()
    (tmp_path / "model.json").write_text(json.dumps([annotation("a", 2.0)]))
    assert load_alpaca_eval_annotations(tmp_path).attrs["annotators"] == []


@pytest.mark.parametrize(("preference", "expected"), [(2.5, "outside [1, 2]"), ("m", "'m' is not a number"),
                                                      (0.5, "outside [1, 2]")])
def test_alpaca_eval_bad_preference(tmp_path, preference, expected):
    path = tmp_path / "model.json"
    path.write_text(json.dumps([annotation("a", 1.0), annotation("b", preference)], indent=1))
    second_record = 1 + len(json.dumps(annotation("a", 1.0), indent=1).splitlines()) + 1  # "[", record 1, "},"
    with pytest.raises(InputError) as caught:
        load_alpaca_eval_annotations([path])
    message = str(caught.value)
    assert f"{path}:{second_record}:" in message and "preference" in message and expected in message


def test_alpaca_eval_structural_errors(tmp_path):
    not_array = tmp_path / "object.json"
    not_array.write_text(json.dumps("instruction"))
    with pytest.raises(InputError, match="JSON array of objects"):
        load_alpaca_eval_annotations([not_array])
    broken = tmp_path / "broken.json"
    broken.write_text("[{\"instruction\": ")
    with pytest.raises(InputError, match="malformed JSON"):
        load_alpaca_eval_annotations([broken])
    with pytest.raises(InputError, match="file not found"):
        load_alpaca_eval_annotations([tmp_path / "missing.json"])


def test_length_control_files_given_for_each_other_are_named_swapped(shared_data):
    folder = shared_data / "alpaca_eval"
    with pytest.raises(InputError, match="look swapped") as weights:
        load_alpaca_eval_lc_weights(folder / "instruction_difficulty.csv")
    assert "instruction_difficulty.csv: holds instruction difficulties" in str(weights.value)
    with pytest.raises(InputError, match="look swapped") as difficulty:
        load_instruction_difficulty(folder / "lc_weights.csv")
    assert "lc_weights.csv: holds AlpacaEval's GLM weights" in str(difficulty.value)


def test_lc_weights_flip_the_length_sign(shared_data):
    weights = load_alpaca_eval_lc_weights(shared_data / "alpaca_eval" / "lc_weights.csv")
    published = pd.read_csv(shared_data / "alpaca_eval" / "lc_weights.csv", index_col=0)
    assert list(weights.columns) == ["length", "difficulty", "intercept"]
    assert weights.loc["gpt4_1106_preview_verbose", "length"] == -published.loc["gpt4_1106_preview_verbose"].iloc[0]
    assert (weights.loc["gpt4_1106_preview"] == 0).all()


# ---- the shared reader stack: the same encodings, positions and formats as questions and answers -------------


def test_outcomes_in_latin1_name_line_and_byte_offset(tmp_path):
    path = tmp_path / "outcomes.csv"
    text = "question_id,model_a,model_b,winner\nq1,m1,m2,tie\nq2,modèle,m2,tie\n"
    path.write_bytes(text.encode("latin-1"))
    message = error_of(path)
    assert f"{path}:3:" in message and f"byte offset {text.index('è')} " in message and "UTF-8" in message


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_outcome_cells_larger_than_a_parser_block_are_read(tmp_path, suffix):
    # pyarrow parses in 1 MiB blocks and refuses a row that straddles two: the record reader takes over.
    rows = [{**ROWS[0], "note": "x" * 3_000_000}, ROWS[1]]
    path = tmp_path / f"outcomes{suffix}"
    write(path, rows)
    outcomes = load_outcomes(path)
    assert outcomes["score_a"].tolist() == SCORES[:2] and len(outcomes["note"].iloc[0]) == 3_000_000


def test_outcomes_with_a_lone_surrogate_name_the_line(tmp_path):
    path = tmp_path / "outcomes.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + json.dumps(ROWS[1]).replace('"m2"', '"m\\ud800"') + "\n")
    message = error_of(path)
    assert f"{path}:2:" in message and "lone surrogate" in message


def test_outcomes_as_a_json_array_and_as_tsv(tmp_path):
    array = tmp_path / "outcomes.json"
    array.write_text(json.dumps(ROWS, indent=1))
    assert load_outcomes(array)["score_a"].tolist() == SCORES
    tsv = tmp_path / "outcomes.tsv"
    pd.DataFrame(ROWS).to_csv(tsv, sep="\t", index=False)
    assert load_outcomes(tsv)["score_a"].tolist() == SCORES


@pytest.mark.parametrize(("value", "expected"), [("abc", "'abc' is not a number"), ("", "missing value")])
def test_lc_weights_with_a_bad_number_name_the_line(tmp_path, shared_data, value, expected):
    lines = (shared_data / "alpaca_eval" / "lc_weights.csv").read_text().splitlines()
    model, *values = lines[3].split(",")
    lines[3] = ",".join([model, values[0], value, values[2]])
    path = tmp_path / "lc_weights.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        load_alpaca_eval_lc_weights(path)
    assert f"{path}:4:" in str(caught.value) and expected in str(caught.value)


def test_the_same_alpaca_eval_annotations_in_two_files_are_refused_and_a_file_named_twice_is_read_once(tmp_path):
    """A copy of a file counted its outcomes twice (1,610 pairs, a standard error of 0.8% instead of 1.2%)."""
    rows = [annotation("a", 2.0), annotation("b", 1.0)]
    first = tmp_path / "one" / "model.json"
    first.parent.mkdir()
    first.write_text(json.dumps(rows))
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(rows))
    with pytest.raises(InputError) as caught:
        load_alpaca_eval_annotations([first, copy])
    assert str(caught.value).startswith(f"{copy}: it repeats annotations of ")
    assert len(load_alpaca_eval_annotations([first, first.parent])) == 2


def test_unnamed_empty_columns_of_a_spreadsheet_export_are_no_repeated_header(tmp_path):
    """A spreadsheet's export ends every line in ",,": several columns named "", which the check for a repeated
    column refused (and which crashed the reader before it)."""
    path = tmp_path / "outcomes.csv"
    path.write_text("question_id,model_a,model_b,winner,,\nq1,a,b,model_a,,\nq2,a,b,model_b,,\n")
    outcomes = load_outcomes(path)
    assert outcomes["score_a"].tolist() == [1.0, 0.0] and "" not in outcomes.columns


def test_a_bad_row_of_a_dataframe_is_named_by_its_index_label_too():
    """A filtered or re-indexed frame: 'row 11' alone sent the user to df.loc[11], another row."""
    frame = pd.DataFrame({"question_id": [f"q{i}" for i in range(40)], "model_a": "a", "model_b": "b",
                          "winner": "model_a"}, index=range(100, 140))
    frame.loc[110, "winner"] = "bogus"
    with pytest.raises(InputError, match=r"row 11 \(index 110\): unknown winner 'bogus'"):
        judgebench.rate(frame)
    with pytest.raises(InputError, match=r"row 11: unknown winner 'bogus'"):  # 0, 1, 2, ...: the number says it
        judgebench.rate(frame.reset_index(drop=True))


def test_a_file_given_to_the_other_source_flag_is_sent_to_its_own(tmp_path):
    """Outcomes given to --alpaca-eval said "missing field instruction" with the fields annotations need, as if the
    file were to be edited; they are sent to --outcomes (Chatbot Arena's layout, Parquet, and evalica's, CSV), as
    annotations given to --outcomes are sent to --alpaca-eval."""
    from tests.support.cli_runs import judgebench

    write(tmp_path / "battles.parquet", ROWS)
    (tmp_path / "pairs.csv").write_text("left,right,winner\nm1,m2,left\nm2,m3,tie\n")
    (tmp_path / "annotations.json").write_text(json.dumps([
        {"instruction": "2+2?", "output_1": "4", "generator_1": "base", "output_2": "5", "generator_2": "m",
         "preference": 1.0}]))
    refusals = {}
    for flag, name in (("--alpaca-eval", "battles.parquet"), ("--alpaca-eval", "pairs.csv"),
                       ("--outcomes", "annotations.json")):
        done = judgebench("leaderboard", flag, name, "--out", "out", cwd=tmp_path)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
        refusals[name] = done.stderr
    for name in ("battles.parquet", "pairs.csv"):
        assert refusals[name] == (f"error: {name}: field 'instruction': missing field (this holds outcomes, not "
                                  f"AlpacaEval annotations: read them with `--outcomes {name}`)\n")
    assert refusals["annotations.json"].startswith(
        "error: annotations.json: field 'question_id': missing column (this holds AlpacaEval annotations: read them "
        "with `--alpaca-eval annotations.json`")


# --------------------------------------------------------------------------------------------------------------
# arena-hard-auto's judgment files.

ARENA_HARD = Path(__file__).parent / "support" / "arena_hard_auto"
JUDGE_DIR = ARENA_HARD / "model_judgment" / "gpt-4-1106-preview"
GAME_COLUMNS = ["question_id", "model_a", "model_b", "score_a", "weight"]


def by_game(frame):
    return frame[GAME_COLUMNS].sort_values(GAME_COLUMNS).reset_index(drop=True)


def test_arena_hard_judgments_are_read_as_their_hand_conversion(tmp_path):
    """`--outcomes` refused them ("field 'model_a': missing column ... the file's columns: question_id, model,
    judge, games"): a user converted them by hand."""
    expected = by_game(load_outcomes(ARENA_HARD / "outcomes.csv"))
    folder = load_outcomes(JUDGE_DIR, baseline="gpt-4-0314")
    assert len(folder) == 160 and by_game(folder).equals(expected)
    assert folder.attrs["judges"] == ["gpt-4-1106-preview"] and folder.attrs["warnings"] == []
    one = load_arena_hard_judgments(JUDGE_DIR / "gpt-4-0613.jsonl", baseline="gpt-4-0314")
    assert by_game(one).equals(by_game(expected[(expected["model_a"] == "gpt-4-0613")
                                                | (expected["model_b"] == "gpt-4-0613")]))
    records = [json.loads(line) for line in (JUDGE_DIR / "gpt-4-0613.jsonl").read_text().splitlines()]
    pd.DataFrame(records).to_parquet(tmp_path / "gpt-4-0613.parquet")  # the same records as Parquet, as rated
    assert by_game(read_outcomes(tmp_path / "gpt-4-0613.parquet", baseline="gpt-4-0314")).equals(by_game(one))
    shown_first = folder["p_ab"].to_numpy()  # each game's model_a is the answer shown first
    assert np.array_equal(shown_first, folder["score_a"].to_numpy()) and folder["p_ba"].isna().all()


def arena_hard_score(path, model, weight=3):
    """arena-hard-auto's score of `model` from its judgment file, as its show_result.py makes it: each game a
    battle of the baseline (model_a) and the model (model_b), a strong verdict repeated `weight` times, and the
    model's share of the battles (a tie half)."""
    model_wins = {  # game 1 shows the baseline first, game 2 the model
        0: {"A>>B": [0] * weight, "A>B": [0], "A=B": [0.5], "B>A": [1], "B>>A": [1] * weight},
        1: {"A>>B": [1] * weight, "A>B": [1], "A=B": [0.5], "B>A": [0], "B>>A": [0] * weight},
    }
    battles = []
    for line in Path(path).read_text().splitlines():
        record = json.loads(line)
        assert record["model"] == model
        for index, game in enumerate(record["games"]):
            battles += model_wins[index].get(game["score"], []) if game and game["score"] else []
    return sum(battles) / len(battles)


def test_the_arena_hard_folder_gives_arena_hard_autos_score_and_names_its_judge(tmp_path):
    from tests.support.cli_runs import judgebench

    done = judgebench("leaderboard", "--outcomes", str(JUDGE_DIR), "--method", "winrate", "--baseline",
                      "gpt-4-0314", "--out", "board", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    board = json.loads((tmp_path / "board" / "leaderboard.json").read_text())
    rates = {row["model"]: row["win_rate"] for row in board["models"]}
    for model in ("gpt-4-0613", "gpt-3.5-turbo-0125"):
        assert rates[model] == pytest.approx(arena_hard_score(JUDGE_DIR / f"{model}.jsonl", model), abs=1e-12)
    assert rates["gpt-4-0613"] == pytest.approx(103 / 240)  # 42.9%: (wins 1 each, strong 3) + ties / 2 over weights
    assert board["meta"]["judge"] == "gpt-4-1106-preview" and board["meta"]["baseline"] == "gpt-4-0314"


def test_arena_hard_v01_judgments_need_the_baseline_and_the_error_says_which(tmp_path):
    from tests.support.cli_runs import judgebench

    done = judgebench("leaderboard", "--outcomes", str(JUDGE_DIR / "gpt-4-0613.jsonl"), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == (f"error: {JUDGE_DIR / 'gpt-4-0613.jsonl'}: field 'baseline': the baseline is not named "
                           "(arena-hard-auto v0.1's judgment files do not record it; its judge_config.yaml's "
                           "baseline_model names it, gpt-4-0314 for arena-hard-v0.1: give it with --baseline "
                           "gpt-4-0314)\n")


def v2_record(uid, model, first, second, baseline="o3-mini-2025-01-31", judge="gpt-4.1", category="hard_prompt"):
    """A record as arena-hard-auto v2.0's gen_judgment.py writes it; a game given as a label, None (the call
    failed) or a dict."""
    def game(label):
        if label is None or isinstance(label, dict):
            return label
        return {"score": label, "judgment": {"answer": f"... [[{label}]]"},
                "prompt": [{"role": "user", "content": "?"}]}
    return {"uid": uid, "category": category, "judge": judge, "model": model, "baseline": baseline,
            "games": [game(first), game(second)]}


def write_lines(path, records):
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def test_arena_hard_v2_records_name_their_baseline_and_games_without_a_verdict_are_left_out(tmp_path):
    path = write_lines(tmp_path / "m.jsonl", [
        v2_record("u1", "m", "A>>B", "A>B"),  # the baseline much better shown first, the model better shown first
        v2_record("u2", "m", "B<A", "A=B"),  # v2.0's mirrored label: A better
        v2_record("u3", "m", None, "B>>A"),  # the first call failed
        v2_record("u4", "m", {"score": None, "judgment": {"answer": "no label"}}, "AB"),  # no label; not a label
    ])
    outcomes = load_outcomes(path)
    assert outcomes[GAME_COLUMNS].values.tolist() == [
        ["u1", "o3-mini-2025-01-31", "m", 1.0, 3.0], ["u1", "m", "o3-mini-2025-01-31", 1.0, 1.0],
        ["u2", "o3-mini-2025-01-31", "m", 1.0, 1.0], ["u2", "m", "o3-mini-2025-01-31", 0.5, 1.0],
        ["u3", "m", "o3-mini-2025-01-31", 0.0, 3.0]]
    warning = (f"{path}: 3 of 8 games have no verdict (a null game or score; scores that are not a label: AB) and "
               "are left out, as arena-hard-auto v0.1 leaves them out (v2.0 leaves out the question's other game too)")
    assert outcomes.attrs["warnings"] == [warning]
    board = judgebench.rate(path, method="winrate")  # the records' baseline, without --baseline
    model = board.table.set_index("model").loc["m"]
    # the model's scores: u1 lost strongly then won, u2 lost then tied, u3 lost strongly shown second
    assert model["win_rate"] == pytest.approx((0 * 3 + 1 * 1 + 0 * 1 + 0.5 * 1 + 0 * 3) / (3 + 1 + 1 + 1 + 3))
    assert board.meta["baseline"] == "o3-mini-2025-01-31" and board.meta["judge"] == "gpt-4.1"
    assert warning in board.meta["warnings"]


def direct_games(path):
    """The games of a judgment file with a verdict, computed from its records one by one with json: (uid, the model
    shown first, the other, the score of the first, its weight)."""
    games = []
    for line in Path(path).read_text().splitlines():
        record = json.loads(line)
        pair = [record["baseline"], record["model"]]
        for index, game in enumerate(record["games"]):
            if game is not None and game["score"] is not None:
                first, second = pair if index == 0 else pair[::-1]
                games.append([record["uid"], first, second, ARENA_HARD_SCORES[game["score"]],
                              3.0 if game["score"] in ("A>>B", "B>>A") else 1.0])
    return games


def test_a_null_first_game_of_the_first_record_keeps_every_game_in_its_own_record(tmp_path):
    """pyarrow's JSON reader, given a `games` list whose first item is null, slid later records' games into the
    wrong records (u1 was read with two games, u3 with one): the files are read record by record."""
    path = write_lines(tmp_path / "m.jsonl", [v2_record("u1", "m", None, "A>B"), v2_record("u2", "m", "B>A", "A=B"),
                                              v2_record("u3", "m", "A=B", "B>>A")])
    outcomes = load_outcomes(path)
    assert outcomes[GAME_COLUMNS].values.tolist() == direct_games(path) == [
        ["u1", "m", "o3-mini-2025-01-31", 1.0, 1.0],
        ["u2", "o3-mini-2025-01-31", "m", 0.0, 1.0], ["u2", "m", "o3-mini-2025-01-31", 0.5, 1.0],
        ["u3", "o3-mini-2025-01-31", "m", 0.5, 1.0], ["u3", "m", "o3-mini-2025-01-31", 0.0, 3.0]]
    assert outcomes.attrs["warnings"] == [f"{path}: 1 of 6 games have no verdict (a null game or score) and are left "
                                          "out, as arena-hard-auto v0.1 leaves them out (v2.0 leaves out the "
                                          "question's other game too)"]
    from tests.support.cli_runs import judgebench as cli

    done = cli("leaderboard", "--outcomes", str(path), "--method", "winrate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # the warning once, as the board's (it was logged as well)
    assert " ".join(done.stderr.split()).count("1 of 6 games have no verdict") == 1, done.stderr


def test_null_games_in_the_middle_of_a_large_judges_folder_are_read_as_written(tmp_path):
    """Judgment files over 1 MB (long judgment texts) with null games here and there: each game is read in its own
    record, and the win rates are those computed from the records directly."""
    rng = np.random.default_rng(11)
    labels = {"null": None, "no label": {"score": None, "judgment": {"answer": "no label"}},
              **{label: label for label in ("A>>B", "A>B", "A=B", "B>A", "B>>A")}}
    folder = tmp_path / "gpt-4.1"
    folder.mkdir()
    for model in ("m", "n"):
        records = []
        for k in range(80):
            record = v2_record(f"u{k}", model, *(labels[str(rng.choice(list(labels)))] for _ in range(2)))
            for game in record["games"]:
                if game is not None:
                    game["judgment"]["answer"] = "x" * 20_000 + game["judgment"]["answer"]
            records.append(record)
        write_lines(folder / f"{model}.jsonl", records)
        assert (folder / f"{model}.jsonl").stat().st_size > 1_000_000
    outcomes = load_outcomes(folder)
    assert outcomes[GAME_COLUMNS].values.tolist() == direct_games(folder / "m.jsonl") + direct_games(folder / "n.jsonl")
    rates = judgebench.rate(folder, method="winrate").table.set_index("model")["win_rate"]
    for model in ("m", "n"):
        games = pd.DataFrame(direct_games(folder / f"{model}.jsonl"), columns=GAME_COLUMNS)
        model_score = np.where(games["model_a"] == model, games["score_a"], 1 - games["score_a"])
        assert rates[model] == pytest.approx(np.average(model_score, weights=games["weight"]), abs=1e-12)


def write_v2_judges_folder(folder, categories):
    """A v2.0 judge's folder: models m and n judged on 30 questions of each category in `categories` ({category:
    baseline}), the categories' records alternating in each file, each record's games drawn from its own seed."""
    folder.mkdir()
    for model in ("m", "n"):
        write_lines(folder / f"{model}.jsonl", [
            v2_record(f"{category}-{k}", model, *np.random.default_rng([k, len(category), ord(model)]).choice(
                ["A>>B", "A>B", "A=B", "B>A", "B>>A"], 2), baseline=baseline, category=category)
            for k in range(30) for category, baseline in categories.items()])
    return folder


V2_CATEGORIES = {"hard_prompt": "o3-mini-2025-01-31", "creative_writing": "gemini-2.0-flash-001"}


def test_a_v2_judges_folder_of_several_baselines_needs_one_and_keeps_its_records(tmp_path):
    """arena-hard-auto v2.0 judges each category against its own baseline and rates one category at a time; a
    folder of both categories was rated as one board of both baselines, without a word. Without --baseline it is
    refused, naming the baselines; with it, the board is the one of that category's records alone."""
    from tests.support.cli_runs import judgebench as cli

    folder = write_v2_judges_folder(tmp_path / "gpt-4.1", V2_CATEGORIES)
    done = cli("leaderboard", "--outcomes", str(folder), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr == (
        f"error: {folder}: field 'baseline': these judgments are against several baselines: gemini-2.0-flash-001 "
        "(creative_writing: 60 records), o3-mini-2025-01-31 (hard_prompt: 60 records) (arena-hard-auto v2.0 rates "
        "one category at a time, against its own baseline, and one board of them all would have no baseline: give "
        "one with --baseline gemini-2.0-flash-001)\n")
    alone = write_v2_judges_folder(tmp_path / "hard_prompt", {"hard_prompt": "o3-mini-2025-01-31"})
    expected = judgebench.rate(alone, method="winrate").table
    board = judgebench.rate(folder, method="winrate", baseline="o3-mini-2025-01-31")
    pd.testing.assert_frame_equal(board.table, expected)
    assert (f"{folder}: 60 records are judged against other baselines than o3-mini-2025-01-31 and are left out: "
            "gemini-2.0-flash-001 (creative_writing: 60 records) (arena-hard-auto v2.0 rates each category against "
            "its own baseline, one at a time)") in board.meta["warnings"]
    with pytest.raises(InputError) as caught:
        load_outcomes(folder, baseline="gpt-4-0314")
    assert str(caught.value) == (f"{folder}: field 'baseline': no record is judged against the baseline gpt-4-0314: "
                                 "the records' baselines are gemini-2.0-flash-001 (creative_writing: 60 records), "
                                 "o3-mini-2025-01-31 (hard_prompt: 60 records) (give one of those as the baseline)")


@pytest.mark.parametrize(("records", "expected"), [
    ([{**v2_record("u1", "m", "A>B", "A>B"), "games": "A>B"}],
     ":1: field 'games': expected one or two games, found 'A>B' (arena-hard-auto's records hold two games"),
    ([{**v2_record("u1", "m", "A>B", "A>B"), "games": [1, 2]}],
     ":1: field 'games': game 1 is 1, not an object (each game is an object with its score"),
    ([v2_record("u1", "m", "A>B", "A>B"), v2_record("u2", "m", "A>B", "A>B"), v2_record("u1", "m", "B>A", "A>B")],
     ":3: field 'model': it repeats the judgment of m on question u1 that {path}:1 holds (give each model's "
     "judgments once: twice, they would count twice)"),
    ([v2_record("u1", "o3-mini-2025-01-31", "A=B", "A=B")],
     ":1: field 'model': model 'o3-mini-2025-01-31' is judged against itself, the baseline (leave its judgments "
     "out"),
    ([v2_record("u1", "m", None, {"score": None})],
     ": no game in these judgments has a verdict (every score is null or not a label)"),
], ids=["games-text", "game-number", "repeated", "baseline-itself", "no-verdict"])
def test_arena_hard_judgments_that_cannot_be_rated_name_file_line_and_field(tmp_path, records, expected):
    path = write_lines(tmp_path / "m.jsonl", records)
    with pytest.raises(InputError) as caught:
        load_outcomes(path)
    assert str(caught.value).startswith(str(path) + expected.format(path=path)), caught.value


def test_a_judges_folder_is_rated_from_python_and_an_empty_one_is_an_error(tmp_path):
    folder = tmp_path / "gpt-4.1"
    folder.mkdir()
    with pytest.raises(InputError, match="no \\*.jsonl judgment files in this folder"):
        load_arena_hard_judgments(folder)
    (folder / "annotations.json").write_text("[]")
    with pytest.raises(InputError, match="its \\*.json files may be AlpacaEval annotations: read them with "
                                         f"`judgebench.rate\\('{folder}'\\)`"):
        load_outcomes(folder)
    (folder / "annotations.json").unlink()
    write_lines(folder / "m.jsonl", [v2_record("u1", "m", "A>B", "B>>A")])
    write_lines(folder / "n.jsonl", [v2_record("u1", "n", "B>A", "A>>B")])
    board = judgebench.rate(folder, method="winrate")  # a folder of *.jsonl files: outcomes, not AlpacaEval's
    rates = board.table.set_index("model")["win_rate"]
    assert rates["m"] == pytest.approx(0.0) and rates["n"] == pytest.approx(1.0)


def test_arena_hard_files_given_one_by_one_are_sent_to_their_judges_folder(tmp_path):
    """`--outcomes a.jsonl --outcomes b.jsonl` of one judge's files said to put the outcomes into one file: their
    judge's folder reads them together."""
    from tests.support.cli_runs import judgebench as cli

    def error(*files):
        done = cli("leaderboard", *(arg for file in files for arg in ("--outcomes", str(file))), cwd=tmp_path)
        assert done.returncode == 2 and done.stdout == "", done.stderr
        return " ".join(done.stderr.split())

    said = "error: --outcomes takes one file (2 given): these are arena-hard-auto's judgment files, read together "
    assert error(JUDGE_DIR / "gpt-4-0613.jsonl", JUDGE_DIR / "gpt-3.5-turbo-0125.jsonl") == (
        f"{said}from their judge's folder: --outcomes {JUDGE_DIR} (all its *.jsonl files)")
    other = write_lines(tmp_path / "m.jsonl", [v2_record("u1", "m", "A>B", "B>A")])
    assert error(JUDGE_DIR / "gpt-4-0613.jsonl", other) == (
        f"{said}from their judge's folder: put them into one folder and give it, --outcomes FOLDER")
    (tmp_path / "o.csv").write_text("question_id,model_a,model_b,winner\nq1,x,y,model_a\n")
    assert error(other, tmp_path / "o.csv") == ("error: --outcomes takes one file (2 given): put the outcomes into "
                                                "one file (question ids shared by the files then name the same "
                                                "questions)")


def test_arena_hard_judgments_given_to_alpaca_eval_are_sent_to_outcomes():
    with pytest.raises(InputError) as caught:
        load_alpaca_eval_annotations(JUDGE_DIR / "gpt-4-0613.jsonl")
    assert str(caught.value).endswith("field 'instruction': missing field (this holds arena-hard-auto's judgments: "
                                      f"read them with `judgebench.rate('{JUDGE_DIR / 'gpt-4-0613.jsonl'}', "
                                      "kind=\"outcomes\")`)")


def test_readmes_intervals_resampling_games_and_arena_hard_autos_copies():
    """README's "Coming from the other tools": arena-hard-auto resamples a strong game's three rows independently,
    judgebench's --resample judgments the game once with its weight; the README's snippet gives the former."""
    games = load_outcomes(JUDGE_DIR, baseline="gpt-4-0314")
    copies = games.loc[games.index.repeat(games["weight"].astype(int))].assign(weight=1.0)
    assert len(copies) == 120 + 138
    shown = {}
    for name, outcomes, resample, confidence in (("games", games, "judgments", 0.95),
                                                 ("questions", games, "questions", 0.95),
                                                 ("copies", copies, "judgments", 0.95),
                                                 ("copies, 90%", copies, "judgments", 0.9)):
        board = judgebench.rate(outcomes, method="winrate", baseline="gpt-4-0314", resample=resample,
                                confidence=confidence)
        row = board.table.set_index("model").loc["gpt-4-0613"]
        shown[name] = (round(100 * row["win_rate"], 1), round(100 * row["lower"], 1), round(100 * row["upper"], 1))
    assert shown == {"games": (42.9, 30.6, 54.7), "questions": (42.9, 31.8, 54.7), "copies": (42.9, 35.0, 50.9),
                     "copies, 90%": (42.9, 36.1, 49.5)}


ARENA_HARD_MODELS = ("gpt-4-0314", "gpt-4-0613", "gpt-3.5-turbo-0125")
CODE_BLOCK = "```python\n# a comment, not a header\n- 1 or **not bold**\n```\n"


def write_arena_hard_answers(folder):
    """question.jsonl and model_answer/<model>.jsonl in arena-hard-auto v2.0's layout for the 40 questions of the
    judgments in tests/support/arena_hard_auto, each answer with its metadata.token_len and a seeded number of
    markdown headers, list items and bold spans (none in some), after a fenced code block whose lines look like
    markdown in some (arena-hard-auto counts none of those). Returns each answer's counts as the answer was built,
    {(uid, model): (tokens, headers, list items, bold spans)}, not as judgebench counts them."""
    uids = [json.loads(line)["question_id"] for line in (JUDGE_DIR / "gpt-4-0613.jsonl").read_text().splitlines()]
    write_lines(folder / "question.jsonl", [{"uid": uid, "category": "hard_prompt", "prompt": f"Question {uid}?"}
                                            for uid in uids])
    (folder / "model_answer").mkdir()
    rng = np.random.default_rng(5)
    counts = {}
    for model in ARENA_HARD_MODELS:
        records = []
        for uid in uids:
            tokens, headers, lists, bold = (int(rng.integers(40, 900)), int(rng.choice([0, 0, 1, 3])),
                                            int(rng.choice([0, 0, 2, 5])), int(rng.choice([0, 1, 4])))
            text = (CODE_BLOCK * int(rng.random() < 0.3) + "".join(f"## Step {k}\n" for k in range(headers))
                    + "".join(f"{k}. item\n" if k % 2 else "- item\n" for k in range(lists))
                    + " ".join(["**key**"] * bold) + "\nPlain prose.")
            records.append({"uid": uid, "ans_id": f"{model}-{uid}", "model": model, "tstamp": 1.7e9,
                            "messages": [{"role": "user", "content": f"Question {uid}?"},
                                         {"role": "assistant", "content": {"answer": text}}],
                            "metadata": {"token_len": tokens}})
            counts[uid, model] = (tokens, headers, lists, bold)
        write_lines(folder / "model_answer" / f"{model}.jsonl", records)
    return counts


def counted_outcomes(counts):
    """tests/support/arena_hard_auto's hand conversion with each answer's style counts as columns, as an outcomes
    file needed them for style control."""
    outcomes = pd.read_csv(ARENA_HARD / "outcomes.csv", dtype={"question_id": str})
    for side in ("a", "b"):
        answers = [counts[pair] for pair in zip(outcomes["question_id"], outcomes[f"model_{side}"], strict=True)]
        for k, name in enumerate(("tokens", "headers", "lists", "bold")):
            outcomes[f"{name}_{side}"] = [answer[k] for answer in answers]
    return outcomes


STYLED = ("--baseline", "gpt-4-0314", "--style-control", "--rounds", "100")
TEXTS = ("--questions", "question.jsonl", "--answers", "model_answer")


def test_arena_hard_judgments_are_style_controlled_with_its_answers_as_with_counted_outcomes(tmp_path):
    """arena-hard-auto v2.0's leaderboard is style-controlled, and its judgments with its question.jsonl and
    model_answer folder were refused ("--questions goes with --results only"): the outcomes' count columns had to
    be computed by hand. From the answers, the board is the one of outcomes.csv with the counts as columns."""
    from tests.support.cli_runs import judgebench as cli

    counts = write_arena_hard_answers(tmp_path)
    done = cli("leaderboard", "--outcomes", str(JUDGE_DIR), *TEXTS, *STYLED, "--out", "answers", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    counted_outcomes(counts).to_csv(tmp_path / "counted.csv", index=False)
    counted = cli("leaderboard", "--outcomes", "counted.csv", *STYLED, "--out", "counted", cwd=tmp_path)
    assert counted.returncode == 0, counted.stderr
    board, expected = (json.loads((tmp_path / name / "leaderboard.json").read_text())
                       for name in ("answers", "counted"))
    assert board["meta"]["style_features"] == ["length", "header_density", "list_density", "bold_density"]
    assert board["meta"]["style_coefficients"] == expected["meta"]["style_coefficients"]
    # the same board, and the answers' mean length in characters (the avg length column, empty before)
    assert [{**row, "avg_length": None} for row in board["models"]] == expected["models"]
    texts = {path.stem: [json.loads(line)["messages"][1]["content"]["answer"]
                         for line in path.read_text().splitlines()] for path in (tmp_path / "model_answer").iterdir()}
    assert {row["model"]: row["avg_length"] for row in board["models"]} == pytest.approx(
        {model: sum(map(len, answers)) / len(answers) for model, answers in texts.items()})
    plain = judgebench.rate(JUDGE_DIR, baseline="gpt-4-0314", rounds=100).table.set_index("model")["rating"]
    ratings = {row["model"]: row["rating"] for row in board["models"]}
    assert ratings["gpt-3.5-turbo-0125"] != pytest.approx(plain["gpt-3.5-turbo-0125"], abs=1)  # style moved it
    assert "Leaderboard (style-controlled Bradley-Terry vs gpt-4-0314)" in " ".join(done.stdout.split())
    python = judgebench.rate(JUDGE_DIR, baseline="gpt-4-0314", style_control=True, rounds=100,
                             questions=tmp_path / "question.jsonl", answers=tmp_path / "model_answer")
    assert python.table.set_index("model")["rating"].to_dict() == pytest.approx(ratings)


def test_arena_hard_answers_that_cannot_give_style_counts_and_answers_style_control_does_not_use(tmp_path):
    """The errors style control of a results folder gives for answers missing or without a token count; answers
    beside outcomes' own counts are refused under style control (one set would be ignored), and AlpacaEval's
    annotations take none; style control of outcomes without counts says what to give."""
    from tests.support.cli_runs import judgebench as cli

    def error(*args):
        done = cli("leaderboard", *args, cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        return " ".join(done.stderr.split())

    counts = write_arena_hard_answers(tmp_path)
    folder = tmp_path / "model_answer"
    assert error("--outcomes", str(JUDGE_DIR), *STYLED) == (
        "error: style control needs each answer's style counts: give the judged answers' texts (--questions and "
        "--answers; arena-hard-auto's question.jsonl and model_answer folder) or the outcomes' columns tokens_a, "
        "headers_a, lists_a, bold_a and the same with _b")
    counted_outcomes(counts).to_csv(tmp_path / "counted.csv", index=False)
    assert error("--outcomes", "counted.csv", *TEXTS, *STYLED) == (
        "error: the outcomes carry style counts of their own (tokens_a, headers_a, lists_a, bold_a, tokens_b, "
        "headers_b, lists_b, bold_b), and --questions and --answers would replace them: give one or the other")
    assert error("--alpaca-eval", "annotations.json", *TEXTS, *STYLED) == (
        "error: --questions goes with --results, --store or --outcomes only (the answers judged: their style counts "
        "for style control, their lengths for the avg length column)")

    records = (folder / "gpt-4-0613.jsonl").read_text().splitlines()
    untold = json.loads(records[3])
    del untold["metadata"]["token_len"]
    (folder / "gpt-4-0613.jsonl").write_text("\n".join([*records[:3], json.dumps(untold), *records[4:]]) + "\n")
    assert error("--outcomes", str(JUDGE_DIR), *TEXTS, *STYLED).startswith(
        "error: style control needs each answer's token count, and the answers of gpt-4-0613 give no n_tokens "
        "(arena-hard-auto's token_len)")
    (folder / "gpt-4-0613.jsonl").write_text("\n".join([*records[:3], *records[4:]]) + "\n")
    assert error("--outcomes", str(JUDGE_DIR), *TEXTS, *STYLED) == (
        f"error: style control needs the style counts of every answer judged, and the answers files have no answer "
        f"of gpt-4-0613 to question {untold['uid']} (1 judged answers missing): give the answers files that were "
        "judged")

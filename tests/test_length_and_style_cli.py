"""Length bias and style control through the CLI, on the publisher review's setup: a real run against the scripted
judge server on 127.0.0.1, then `diagnose`, `leaderboard --results` and `report` in subprocesses.

Six models of planted skill s answer 40 questions with s + noise as their QUALITY and about 20 + 12 s words, the
length noise independent of the quality noise (the review's data, drawn the same way): better models write longer
answers, but within a model a longer answer is no better. The `quality` judge picks the higher QUALITY and never
looks at length, so the longer answer wins 91% of the decisive pairs while the judge has no length bias at all
(net effect 0.47 [-0.70, 1.64] log-odds per doubling); the `quality-longer` judge counts the longer answer a
quality point better (`judge_server.quality_rule(length_bonus=1)`: 2.99 [1.20, 4.78]). The data are seeded, so the
figures are deterministic.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.support.cli_runs import judgebench, markdown_shown
from tests.support.judge_server import quality_rule

pytestmark = pytest.mark.integration

SKILLS = {"atlas-70b": 8, "birch-13b": 6, "cedar-7b": 5, "dune-3b": 3, "elm-1b": 1, "fern-8b": 7}
WORDS = "the answer is clear because we note that it works".split()


def write_data(folder: Path, *, n_tokens: bool = False) -> list[dict]:
    """questions.jsonl and answers.jsonl (with each answer's word count as n_tokens when asked); returns the
    answers."""
    rng = random.Random(7)
    questions = [{"question_id": f"p{i:02d}", "turns": [f"Question number {i}?"]} for i in range(1, 41)]
    answers = []
    for model, skill in SKILLS.items():
        for question in questions:
            words = [rng.choice(WORDS) for _ in range(max(5, 20 + 12 * skill + rng.randint(-15, 15)))]
            text = " ".join(words) + f". QUALITY={skill + rng.choice([-2, -1, 0, 0, 1, 2])}"
            answers.append({"question_id": question["question_id"], "model": model, "turns": [text],
                            **({"n_tokens": len(words) + 1} if n_tokens else {})})
    write_jsonl(folder / "questions.jsonl", questions)
    write_jsonl(folder / "answers.jsonl", answers)
    return answers


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def run(folder: Path, base_url: str) -> None:
    done = judgebench("run", "--questions", "questions.jsonl", "--answers", "answers.jsonl", "--pairs", "all",
                      "--judge-model", "test-judge", "--base-url", base_url, "--store", "store.sqlite", "--out", "out",
                      "--rounds", "100", "--no-progress", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "verdict (from this net figure)" in done.stdout


DATA = ("--questions", "questions.jsonl", "--answers", "answers.jsonl")


def test_run_shows_why_length_bias_cannot_be_estimated(judge_server, tmp_path):
    """Every model writes answers of one length (its words repeated, its QUALITY in two characters): length
    varies only with the model, so the net effect has no estimate. The run's table says why, in the rows
    `diagnose` and the report show (it showed no length row at all, and a verdict titled otherwise when there
    was one)."""
    judge_server.rule = quality_rule()
    for answer in (answers := write_data(tmp_path)):
        skill = SKILLS[answer["model"]]
        answer["turns"] = [" ".join(["word"] * (20 + 12 * skill))
                           + f". QUALITY={int(answer['turns'][0].rsplit('=', 1)[1]):02d}"]
    write_jsonl(tmp_path / "answers.jsonl", answers)
    done = judgebench("run", *DATA, "--pairs", "all", "--judge-model", "test-judge", "--base-url",
                      judge_server.base_url, "--out", "out", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = " ".join(done.stdout.split())
    assert "length bias net of model strength - note: length varies only with the model" in shown
    assert "longer answer wins, raw share of decisive" in shown and "(not a bias measure:" in shown


@pytest.mark.parametrize(("length_bonus", "verdict"), [(0.0, "no length preference detected"),
                                                       (1.0, "prefers longer answers")])
def test_length_bias_is_measured_net_of_model_strength(judge_server, tmp_path, length_bonus, verdict):
    judge_server.rule = quality_rule(length_bonus=length_bonus)
    write_data(tmp_path)
    run(tmp_path, judge_server.base_url)
    done = judgebench("diagnose", "--results", "out", "--out", "d", *DATA, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    length = json.loads((tmp_path / "d" / "diagnostics.json").read_text())["length_bias"]
    # the raw share is high either way: the better models write the longer answers
    assert length["longer_answer_win_rate"]["lower"] > 0.8
    net = length["net_effect"]
    assert net["verdict"] == verdict and net["controls"] == "model strength" and net["n_clusters"] == 40
    if length_bonus:
        assert net["log_odds"] == pytest.approx(2.99, abs=0.01) and net["lower"] == pytest.approx(1.20, abs=0.01)
    else:
        assert net["log_odds"] == pytest.approx(0.47, abs=0.01) and net["lower"] < 0 < net["upper"]
    shown = " ".join(done.stdout.split())
    assert f"verdict (from this net figure) {verdict}" in shown
    assert "longer answer wins, raw share of decisive" in shown and "(not a bias measure:" in shown
    assert "0.5 = no length bias" not in shown
    # the run wrote the same figures, and the report shows them
    assert json.loads((tmp_path / "out" / "diagnostics.json").read_text())["length_bias"] == length
    report = judgebench("report", "--results", "out", "--out", "r/", *DATA, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "r" / "report.html").read_text()
    assert "length bias net of model strength: log-odds per doubling of length" in page and verdict in page


QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


def test_a_judge_whose_verdicts_follow_the_models_order_shows_no_length_preference(judge_server, tmp_path):
    """The quickstart's answers with a QUALITY planted in each (careful-7b 8, terse-0.5b 6, baseline-3b 5, sloppy-1b
    2), judged against the baseline by the `quality` judge, which never looks at length: every model won or lost
    every game against the baseline. The net effect was fitted beside strengths held by the weak ridge, length took
    up what the ridge held back, and the judge "prefers shorter answers" at -0.254 [-0.363, -0.145] (a newcomer's
    audit). Every outcome follows the models' order whatever the lengths, so none can show a length preference:
    no figure, and the run's table says why."""
    quality = {"careful-7b": 8, "terse-0.5b": 6, "baseline-3b": 5, "sloppy-1b": 2}
    answers = [json.loads(line) for line in (QUICKSTART / "answers.jsonl").read_text().splitlines()]
    for answer in answers:
        answer["turns"] = [f"{answer['turns'][0]}\nQUALITY={quality[answer['model']]}"]
    write_jsonl(tmp_path / "answers.jsonl", answers)
    (tmp_path / "questions.jsonl").write_text((QUICKSTART / "questions.jsonl").read_text())
    done = judgebench("run", *DATA, "--baseline", "baseline-3b", "--judge-model", "test-judge", "--base-url",
                      judge_server.base_url, "--out", "out", "--rounds", "100", "--no-progress", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    net = json.loads((tmp_path / "out" / "diagnostics.json").read_text())["length_bias"]["net_effect"]
    assert net == {"log_odds": None, "controls": "model strength",
                   "note": "every pair's verdicts follow the models' order (of any two models compared, one won every "
                           "comparison, directly or through others): no length preference can show"}
    assert ("length bias net of model strength - note: every pair's verdicts follow the models' order"
            in " ".join(done.stdout.split()))


def test_style_control_of_plain_text_answers_and_of_answers_not_judged(judge_server, tmp_path):
    """Plain-text answers: no markdown, so only length can be controlled (it was exit 2, "the style difference
    header_density, list_density, bold_density is the same in every outcome"). Answers without n_tokens: the
    error says so (it said length "is the same in every outcome"). Answers other than those judged: a warning
    with their count; answers missing from the files: an error, not a traceback. No answers at all: an error that
    says whether style control was asked for or the run's."""
    answers = write_data(tmp_path, n_tokens=True)
    run(tmp_path, judge_server.base_url)
    done = judgebench("leaderboard", "--results", "out", "--style-control", "--rounds", "100", "--out", "sc", *DATA,
                      cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "sc" / "leaderboard.json").read_text())["meta"]
    assert meta["style_features"] == ["length"] and list(meta["style_coefficients"]) == ["length"]
    assert meta["style_features_dropped"] == ["header_density", "list_density", "bold_density"]
    length = meta["style_coefficients"]["length"]
    line = (f"length {length['coefficient']:.3f} [{length['lower']:.3f}, {length['upper']:.3f}]; not fitted, the same "
            "in every outcome: header_density, list_density, bold_density")
    markdown = markdown_shown(tmp_path / "sc" / "leaderboard.md")
    for text in (" ".join(done.stdout.split()), markdown):
        assert "Leaderboard (style-controlled Bradley-Terry)" in text and line in text
    assert "style-controlled" not in (tmp_path / "out" / "leaderboard.md").read_text()
    # a results folder keeps no texts: the error said "these ratings are style-controlled" of ratings that were not
    asked = judgebench("leaderboard", "--results", "out", "--style-control", "--rounds", "20", cwd=tmp_path)
    assert asked.returncode == 2 and ("error: style control (asked for with --style-control) needs each answer's "
                                      "style counts, which a results folder does not keep: give the run's "
                                      "--questions and --answers") in " ".join(asked.stderr.split()), asked.stderr
    controlled = judgebench("run", "--questions", "questions.jsonl", "--answers", "answers.jsonl", "--pairs", "all",
                            "--judge-model", "test-judge", "--base-url", judge_server.base_url, "--store",
                            "store.sqlite", "--out", "styled", "--rounds", "20", "--no-progress", "--style-control",
                            cwd=tmp_path)
    assert controlled.returncode == 0, controlled.stderr
    again = judgebench("leaderboard", "--results", "styled", "--rounds", "20", cwd=tmp_path)
    # the run's style control can be turned off here, which the error did not say (it named the texts alone)
    assert again.returncode == 2 and ("error: these ratings are style-controlled (as the run rated them), and rating "
                                      "them again needs each answer's style counts, which a results folder does not "
                                      "keep: give the run's --questions and --answers, or rate them without style "
                                      "control (--no-style-control)") in " ".join(again.stderr.split()), again.stderr
    off = judgebench("leaderboard", "--results", "styled", "--rounds", "20", "--no-style-control", cwd=tmp_path)
    assert off.returncode == 0 and "style-controlled" not in off.stdout, off.stderr
    # the report cannot turn it off: the texts alone
    reported = judgebench("report", "--results", "styled", "--rounds", "20", "--out", "styled.html", cwd=tmp_path)
    assert reported.returncode == 2 and " ".join(reported.stderr.split()).endswith(
        "give the run's --questions and --answers"), reported.stderr
    stored = judgebench("leaderboard", "--store", "store.sqlite", "--style-control", "--rounds", "20", cwd=tmp_path)
    assert stored.returncode == 2 and ("error: style control (asked for with --style-control) needs each answer's "
                                       "style counts, which a store does not keep") in " ".join(stored.stderr.split())

    write_jsonl(tmp_path / "bare.jsonl", [{key: value for key, value in row.items() if key != "n_tokens"}
                                          for row in answers])
    bare = judgebench("leaderboard", "--results", "out", "--style-control", "--rounds", "20", "--questions",
                      "questions.jsonl", "--answers", "bare.jsonl", cwd=tmp_path)
    assert bare.returncode == 2 and "give no n_tokens" in bare.stderr and "same in every outcome" not in bare.stderr

    edited = [dict(row, turns=[row["turns"][0] + " (edited)"]) if row["model"] == "elm-1b" and k % 40 < 3 else row
              for k, row in enumerate(answers)]
    write_jsonl(tmp_path / "edited.jsonl", edited)
    warned = judgebench("leaderboard", "--results", "out", "--style-control", "--rounds", "20", "--out", "e",
                        "--questions", "questions.jsonl", "--answers", "edited.jsonl", cwd=tmp_path)
    assert warned.returncode == 0, warned.stderr
    warning = "3 of the 240 judged answers differ from the texts given (for example elm-1b's answer to question p01)"
    assert warning in " ".join(warned.stderr.split()) and warning in (tmp_path / "e" / "leaderboard.md").read_text()
    same = judgebench("diagnose", "--results", "out", *DATA, cwd=tmp_path)
    assert same.returncode == 0 and "differ" not in same.stderr

    write_jsonl(tmp_path / "four.jsonl", [row for row in answers if row["model"] != "elm-1b"])
    missing = judgebench("leaderboard", "--results", "out", "--style-control", "--rounds", "20", "--questions",
                         "questions.jsonl", "--answers", "four.jsonl", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no answer of elm-1b to question p01 (40 judged answers missing)" in missing.stderr
    assert "Traceback" not in missing.stderr and "internal error" not in missing.stderr


def board_of(folder: Path) -> tuple[dict, dict]:
    """A leaderboard.json's meta, and its models by name."""
    board = json.loads((folder / "leaderboard.json").read_text())
    return board["meta"], {row["model"]: row for row in board["models"]}


def test_a_store_rated_with_the_texts_judged_has_style_control_and_avg_length_as_its_run(judge_server, tmp_path):
    """`leaderboard --store` took no --questions/--answers ("--questions goes with --results or --outcomes only"),
    so a store could be rated neither with style control nor with the avg length column. With the texts judged it
    gets both, as the run's folder rated with the same texts does; texts other than those judged are warned of as
    for a results folder (each game's request rebuilt from them and its key compared)."""
    answers = write_data(tmp_path, n_tokens=True)
    run(tmp_path, judge_server.base_url)
    _, ran = board_of(tmp_path / "out")
    assert all(row["avg_length"] > 0 for row in ran.values())
    plain = judgebench("leaderboard", "--store", "store.sqlite", *DATA, "--rounds", "100", "--out", "plain",
                       cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    _, stored = board_of(tmp_path / "plain")
    assert {model: row["avg_length"] for model, row in stored.items()} == pytest.approx(
        {model: row["avg_length"] for model, row in ran.items()})  # the run's definition: characters, per question
    assert "avg length" in markdown_shown(tmp_path / "plain" / "leaderboard.md") and "differ" not in plain.stderr
    args = ("--style-control", "--rounds", "100", *DATA)
    styled = judgebench("leaderboard", "--store", "store.sqlite", *args, "--out", "sc", cwd=tmp_path)
    assert styled.returncode == 0, styled.stderr
    results = judgebench("leaderboard", "--results", "out", *args, "--out", "rsc", cwd=tmp_path)
    assert results.returncode == 0, results.stderr
    (meta, models), (expected_meta, expected) = board_of(tmp_path / "sc"), board_of(tmp_path / "rsc")
    assert meta["style_features"] == expected_meta["style_features"] == ["length"]
    assert meta["style_coefficients"]["length"] == pytest.approx(expected_meta["style_coefficients"]["length"])
    for column in ("rating", "avg_length"):
        assert {model: row[column] for model, row in models.items()} == pytest.approx(
            {model: row[column] for model, row in expected.items()}), column
    assert "Leaderboard (style-controlled Bradley-Terry)" in " ".join(styled.stdout.split())

    edited = [dict(row, turns=[row["turns"][0] + " (edited)"]) if row["model"] == "elm-1b" and k % 40 < 3 else row
              for k, row in enumerate(answers)]
    write_jsonl(tmp_path / "edited.jsonl", edited)
    warned = judgebench("leaderboard", "--store", "store.sqlite", "--rounds", "20", "--questions", "questions.jsonl",
                        "--answers", "edited.jsonl", cwd=tmp_path)
    assert warned.returncode == 0, warned.stderr
    assert ("3 of the 240 judged answers differ from the texts given (for example elm-1b's answer to question p01)"
            in " ".join(warned.stderr.split()))


def test_outcomes_rated_with_the_texts_judged_have_the_avg_length_column(judge_server, tmp_path):
    """`leaderboard --outcomes FILE --questions Q --answers A` took the answers for style counts only: its avg length
    column stayed empty though the answers were known, and without --style-control the answers were refused. Now
    they give the column as a run measures it (the run's games as an outcomes file give the run's figures), with
    style control or without, and answers missing from the files are warned of."""
    answers = write_data(tmp_path, n_tokens=True)
    run(tmp_path, judge_server.base_url)
    _, ran = board_of(tmp_path / "out")
    games = [json.loads(line) for line in (tmp_path / "out" / "judgments.jsonl").read_text().splitlines()]
    rows = [{"question_id": game["question_id"], "model_a": game["first"], "model_b": game["second"],
             "score_a": game["p_first"]} for game in games if game["status"] == "ok"]
    write_jsonl(tmp_path / "games.jsonl", rows)
    for style in ((), ("--style-control",)):
        done = judgebench("leaderboard", "--outcomes", "games.jsonl", *DATA, *style, "--rounds", "20", "--out", "o",
                          cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        _, rated = board_of(tmp_path / "o")
        assert {model: row["avg_length"] for model, row in rated.items()} == pytest.approx(
            {model: row["avg_length"] for model, row in ran.items()}), style
        assert "avg length" in markdown_shown(tmp_path / "o" / "leaderboard.md") and "missing" not in done.stderr
    write_jsonl(tmp_path / "five.jsonl", [row for row in answers if row["model"] != "elm-1b"])
    partial = judgebench("leaderboard", "--outcomes", "games.jsonl", "--questions", "questions.jsonl", "--answers",
                         "five.jsonl", "--rounds", "20", "--out", "p", cwd=tmp_path)
    assert partial.returncode == 0, partial.stderr
    assert ("40 of the 240 judged answers are missing from the files given (for example elm-1b's answer to question "
            "p01): the avg length column leaves them out") in " ".join(partial.stderr.split())
    _, rated = board_of(tmp_path / "p")
    assert rated["elm-1b"]["avg_length"] is None and rated["atlas-70b"]["avg_length"] == ran["atlas-70b"]["avg_length"]


def test_a_style_controlled_run_without_a_finite_fit_keeps_its_judgments_in_the_results_folder(judge_server, tmp_path):
    """The better model always wrote the longer answer and won (atlas-70b every pair, elm-1b none): the length
    coefficient has no finite fit. The run ends after judging (exit 2) naming the flag of `run` that rates them
    (--no-style-control, never a regularization, which `run` does not take and which holds only the ratings),
    and its results folder holds every judgment (it had none: the judgments were only in the store), which
    `leaderboard --results` rates without style control; the run again without it judges nothing."""
    judge_server.rule = quality_rule()
    questions = [{"question_id": f"p{i:02d}", "turns": [f"Question number {i}?"]} for i in range(1, 13)]
    answers = [{"question_id": question["question_id"], "model": model, "n_tokens": words,
                "turns": [" ".join(["word"] * (words + i)) + f". QUALITY={quality}"]}
               for model, quality, words in (("atlas-70b", 8, 300), ("cedar-7b", 5, 150), ("elm-1b", 2, 40))
               for i, question in enumerate(questions)]
    write_jsonl(tmp_path / "questions.jsonl", questions)
    write_jsonl(tmp_path / "answers.jsonl", answers)
    command = ("run", *DATA, "--pairs", "all", "--judge-model", "test-judge", "--base-url", judge_server.base_url,
               "--store", "store.sqlite", "--out", "out", "--rounds", "20", "--no-progress")
    done = judgebench(*command, "--style-control", cwd=tmp_path)
    said = " ".join(done.stderr.split())
    assert done.returncode == 2, done.stderr
    assert "style control has no finite fit here" in said and "rate without style control (--no-style-control)" in said
    assert "regularization" not in said
    judged = sum(judge_server.answered().values())
    assert judged == 2 * 3 * 12
    written = (tmp_path / "out" / "judgments.jsonl").read_text().splitlines()
    assert len(written) == judged and not (tmp_path / "out" / "leaderboard.json").exists()
    assert f"the judgments are written to {Path('out') / 'judgments.jsonl'}, without a leaderboard" in said
    rated = judgebench("leaderboard", "--results", "out", "--no-style-control", "--rounds", "20", cwd=tmp_path)
    assert rated.returncode == 0 and "atlas-70b" in rated.stdout, rated.stderr
    again = judgebench(*command, "--no-style-control", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sum(judge_server.answered().values()) == judged

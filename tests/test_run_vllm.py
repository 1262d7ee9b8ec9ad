"""`judgebench run` on real local judges: vLLM's CPU engine in-process, and vLLM's own OpenAI-compatible
server through the OpenAI engine, both with the embedded SmolLM2-135M judge, over the quickstart data.

The embedded model is a useless judge (it nearly always picks the first slot), so these tests check the
machinery (every game stored, logprobs normalised over the verdict tokens, nothing sent twice, the two
engines agreeing, the position-bias figures reported), never the verdicts' quality.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from judgebench import evaluate
from judgebench.config import load_config
from judgebench.diagnostics import judge_figures
from judgebench.prompts import load_template
from judgebench.runner import RunResult

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "quickstart"
GAMES = 3 * 20 * 2  # 3 models against the baseline, 20 questions, both orders


def quickstart_config(folder: Path, template: str, judge: dict, questions: int = 20, **settings):
    """The quickstart's data (its first `questions` questions) judged by `judge` with `template`."""
    data = {name: EXAMPLES / f"{name}.jsonl" for name in ("questions", "answers")}
    if questions < 20:  # the same rows, fewer questions: where the test is about the template, not the judge
        folder.mkdir(parents=True, exist_ok=True)
        kept = {f"q{k:02d}" for k in range(1, questions + 1)}
        for name, path in data.items():
            rows = [line for line in path.read_text().splitlines() if json.loads(line)["question_id"] in kept]
            data[name] = folder / path.name
            data[name].write_text("".join(line + "\n" for line in rows))
    return load_config(None, {
        "questions": data["questions"], "answers": [data["answers"]],
        "baseline": "baseline-3b", "template": template, "store": folder / "store.sqlite", "out": folder / "out",
        "rounds": 100, "progress": False, **settings}, judge)


def expected_p_first(top_logprobs: list[dict[str, float]]) -> float:
    """P(A) / (P(A) + P(B)) at the first position, pooling tokens equal up to surrounding spaces."""
    mass = {"A": 0.0, "B": 0.0}
    for token, logprob in top_logprobs[0].items():
        if token.strip() in mass:
            mass[token.strip()] += math.exp(logprob)
    return mass["A"] / (mass["A"] + mass["B"])


def run(config, engine=None) -> RunResult:
    """The runner's record of `judgebench.evaluate` (tally, judgments, outcomes)."""
    return evaluate(config, engine=engine).run


def check_logprob_run(result) -> None:
    judgments = result.judgments
    assert len(judgments) == GAMES and result.n_failed == 0
    ok = judgments[judgments["status"] == "ok"]
    # The tiny judge puts only about a fifth of its next-token mass on A or B, so a few games may have
    # neither among the top alternatives: those are unparsed, never guessed.
    assert len(ok) >= GAMES * 0.75
    assert (judgments.loc[judgments["status"] == "unparsed", "p_first"].isna()).all()
    for _, row in ok.iterrows():
        top = json.loads(row["logprobs"])
        assert row["p_first"] == pytest.approx(expected_p_first(top), abs=1e-9)
        assert 0.0 <= row["p_first"] <= 1.0
    d = judge_figures(result.combined.outcomes["p_ab"], result.combined.outcomes["p_ba"])
    assert 0.0 <= d["first_slot_win_rate"] <= 1.0 and 0.0 <= d["position_consistency"] <= 1.0


@pytest.fixture(scope="module")
def offline_logprob(vllm_engine, tmp_path_factory) -> tuple[RunResult, RunResult]:
    """The quickstart judged with the logprob template by the in-process engine, then the same run again: judged
    once for the tests of this module that need it (a minute of the embedded judge on two cores)."""
    config = quickstart_config(tmp_path_factory.mktemp("offline"), "logprob", {"engine": "vllm", "embedded": True})
    return run(config, engine=vllm_engine), run(config, engine=vllm_engine)


def test_offline_engine_logprob_template(offline_logprob):
    first, again = offline_logprob
    assert first.tally.total == GAMES
    check_logprob_run(first)
    assert again.tally.total == 0  # a second run sends nothing
    assert again.combined.outcomes.equals(first.combined.outcomes)


def test_offline_engine_five_level_template(vllm_engine, tmp_path):
    config = quickstart_config(tmp_path, "pairwise-5", {"engine": "vllm", "embedded": True}, questions=5,
                               max_tokens=48, max_unparsed_attempts=1)
    first = run(config, engine=vllm_engine)
    judgments = first.judgments
    assert len(judgments) == 3 * 5 * 2 and first.n_failed == 0
    assert set(judgments["status"]) <= {"ok", "unparsed"}
    assert judgments["raw"].map(lambda text: isinstance(text, str) and len(text) > 0).all()
    assert (judgments["completion_tokens"] > 0).all() and (judgments["completion_tokens"] <= 48).all()
    vocabulary = set(load_template("pairwise-5").verdicts)
    assert set(judgments.loc[judgments["status"] == "ok", "label"]) <= vocabulary
    assert run(config, engine=vllm_engine).tally.total == 0


def test_openai_engine_against_vllm_server_agrees_with_offline_engine(vllm_server, offline_logprob, tmp_path):
    served = quickstart_config(tmp_path / "served", "logprob",
                               {"engine": "openai", "model": vllm_server.model, "base_url": vllm_server.base_url,
                                "concurrency": 8})
    over_http = run(served)
    assert over_http.tally.total == GAMES
    check_logprob_run(over_http)
    assert run(served).tally.total == 0

    offline, _ = offline_logprob
    a = over_http.judgments.set_index("key")
    b = offline.judgments.set_index("key")
    assert set(a.index) == set(b.index)  # the same games: same judge name, template and messages
    both_ok = (a["status"] == "ok") & (b.loc[a.index, "status"] == "ok")
    assert both_ok.mean() >= 0.75
    same = a.index[both_ok]
    assert (a.loc[same, "label"] == b.loc[same, "label"]).mean() >= 0.95
    assert (a.loc[same, "p_first"] - b.loc[same, "p_first"]).abs().max() <= 0.05


def test_prompts_past_the_context_fail_or_are_truncated_with_a_flag(vllm_engine, tmp_path):
    from judgebench.runner import TRUNCATION_MARK

    questions = tmp_path / "q.jsonl"
    answers = tmp_path / "a.jsonl"
    questions.write_text(json.dumps({"question_id": "long", "turns": ["Summarise the text."]}) + "\n")
    rambling = " ".join(f"sentence {i} goes on about nothing in particular." for i in range(900))
    answers.write_text(json.dumps({"question_id": "long", "model": "verbose", "turns": [rambling]}) + "\n"
                       + json.dumps({"question_id": "long", "model": "brief", "turns": ["A short summary."]}) + "\n")
    settings = {"questions": questions, "answers": [answers], "baseline": "brief", "template": "logprob",
                "rounds": 20, "progress": False}
    judge = {"engine": "vllm", "embedded": True}

    plain = run(load_config(None, {**settings, "store": tmp_path / "plain.sqlite"}, judge), engine=vllm_engine)
    assert plain.n_failed == 2
    assert plain.judgments["error"].str.startswith("prompt too long").all()

    cut = run(load_config(None, {**settings, "store": tmp_path / "cut.sqlite", "truncate_answers": True}, judge),
              engine=vllm_engine)
    assert cut.n_failed == 0 and cut.judgments["truncated"].eq(1).all()
    assert (cut.judgments["prompt_tokens"] + 1 <= 2048).all()
    assert set(cut.judgments["key"]).isdisjoint(plain.judgments["key"])  # what is sent changed, so the keys did
    import sqlite3

    with sqlite3.connect(tmp_path / "cut.sqlite") as db:
        for (request,) in db.execute("SELECT request FROM judgments"):
            assert TRUNCATION_MARK.strip() in json.loads(request)["messages"][-1]["content"]

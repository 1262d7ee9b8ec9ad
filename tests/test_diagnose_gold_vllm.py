"""`judgebench diagnose --gold` with the embedded judge (SmolLM2-135M on vLLM's CPU engine) over 10 JudgeBench
pairs (the 10 shortest of ../shared/data/judgebench, answers cut to the judge's context).

Mechanics only: the embedded judge is useless, so the test checks that every pair is judged in both orders
and stored, that the agreement figures are reported under the documented keys, and that the logprob
template's probabilities give a calibration table.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.cli_runs import judgebench

pytestmark = pytest.mark.integration

JUDGEBENCH = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "judgebench" / "gpt-4o-2024-05-13.jsonl"


def test_embedded_judge_scores_a_judgebench_slice(tmp_path):
    rows = [json.loads(line) for line in JUDGEBENCH.read_text().splitlines()]
    rows = sorted(rows, key=lambda row: len(row["question"] + row["response_A"] + row["response_B"]))[:10]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = tmp_path / "judge.toml"
    config.write_text('[judging]\ntruncate_answers = true\n')
    done = judgebench("diagnose", "--gold", str(gold), "--config", str(config), "--template", "logprob",
                      "--store", "store.sqlite", "--out", "d", cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads((tmp_path / "d" / "diagnostics.json").read_text())
    gold_figures = figures["gold"]
    assert gold_figures["n_pairs"] + gold_figures["n_incomplete"] == 10
    assert gold_figures["n_pairs"] > 0
    for key in ("accuracy_judgebench_rule", "accuracy_averaged", "position_consistency"):
        assert 0.0 <= gold_figures[key] <= 1.0
    assert set(gold_figures["by_source"]) <= {row["source"] for row in rows}
    assert gold_figures["calibration"]["n"] == 2 * gold_figures["n_pairs"]
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM judgments").fetchone()[0] == 20

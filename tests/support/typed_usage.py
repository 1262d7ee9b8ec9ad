"""The Python API as README's "From Python" uses it, for mypy (tests/test_typing.py): judgebench ships
`py.typed`, so a user's type checker reads these calls. Never run; only type-checked.

`RunConfig`'s defaults are given as `Field(default=...)`: given positionally (`Field(0.95, ge=0.5)`), type
checkers took every setting for a required argument ("Missing named argument 'confidence'").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import judgebench
from judgebench.check import junit_xml, markdown_summary
from judgebench.config import RunConfig, load_config


def readme_calls(frame: pd.DataFrame) -> None:
    evaluation = judgebench.evaluate(load_config("examples/quickstart.toml"))
    evaluation.write("results/quickstart")
    settings = RunConfig(questions=Path("q.jsonl"), answers=[Path("a.jsonl")], rounds=200)
    settings.rounds = 300
    board = judgebench.rate(frame, baseline="gpt-4", method="winrate", rounds=2000)
    board.write("results/arena")
    report = judgebench.gate(settings, "candidate", "current", sequential=True)
    print(report.exit_code, report.rule(), junit_xml(report), markdown_summary(report))
    page = judgebench.html_report("results/report.html", results="results/quickstart")
    print(page.html, page.plots, page.warnings)
    figures = judgebench.diagnose(results="results/quickstart")
    gold = judgebench.evaluate_gold(load_config("judge.toml"), "gold.jsonl")
    print(figures["warnings"], gold.figures, gold.exit_code)

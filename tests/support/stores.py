"""Real judgebench stores for tests, filled with the games behind given outcomes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from judgebench.store import JudgmentRow, Store


def store_from_outcomes(outcomes: pd.DataFrame, path: Path, judge: str = "j", template: str = "t") -> Path:
    """A SQLite store holding, for each outcome, its game in each order (a first: p_ab; b first: 1 - p_ba)."""
    with Store(path) as store:
        for n, row in enumerate(outcomes.itertuples()):
            for order, (first, second, p_first) in enumerate(((row.model_a, row.model_b, row.p_ab),
                                                               (row.model_b, row.model_a, 1 - row.p_ba))):
                store.put(JudgmentRow(key=f"k{n}-{order}", question_id=row.question_id, first=first, second=second,
                                      judge=judge, template=template, status="ok", label="x", p_first=p_first,
                                      weight=1.0))
    return path

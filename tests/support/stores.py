"""Real judgebench stores for tests: filled with the games behind given outcomes, or read back as a test
checks what a run stored."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

from judgebench.store import JudgmentRow, Store, keys_to_send
from tests.support.judge_server import messages_key


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


def keys_a_run_sends(store: Store, keys: list[str], max_unparsed_attempts: int = 3) -> set[str]:
    """Which of `keys` a run on `store` sends, as the runner and `Store.claim` decide it: `keys_to_send` of their
    stored statuses and of those cut off at the judge's token limit."""
    return keys_to_send(keys, store.statuses(keys), max_unparsed_attempts, store.cut_off(keys))


def ok_rows(path: Path) -> list[tuple[str, float]]:
    """(request JSON, commit time) of every ok judgment in the store at `path`. None while the file does not
    exist yet or cannot be read (locked or half created): tests poll the store of a run still writing it."""
    if not path.exists():
        return []
    try:
        # closed here, not when the garbage collector gets to it: the last connection to close folds the WAL
        # file into the store and deletes it, which raced a test copying a killed run's store files
        with closing(sqlite3.connect(path, timeout=5)) as db:
            return db.execute("SELECT request, created_at FROM judgments WHERE status='ok'").fetchall()
    except sqlite3.OperationalError:
        return []


def ok_keys(path: Path) -> dict[str, float]:
    """Commit time of every ok judgment in the store at `path`, by the hash of its messages: the key the scripted
    judge server logs each request under (`judge_server.messages_key`), so stored games can be matched with the
    requests the server answered."""
    return {messages_key(json.loads(request)["messages"]): created for request, created in ok_rows(path)}

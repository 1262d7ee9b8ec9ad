"""What `judgebench diagnose` and `judgebench report` read: the judgments of a run, from a store or a results
directory, with the leaderboard and provenance recorded beside them.

A results directory is what `judgebench run --out DIR` writes: judgments.jsonl (every game, failed and
unparsed included) and leaderboard.json (ratings and meta). A store holds the judgments; its leaderboard is
rated on the fly with the `judgebench leaderboard` defaults when the report needs one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from judgebench.errors import ConfigError, InputError


@dataclass
class RunData:
    """The judgments of one judge and template (every status), the leaderboard file's contents when known
    (`{"meta": ..., "models": [...]}`), and where they came from."""

    judgments: pd.DataFrame
    source: str
    leaderboard: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def swap(self) -> str:
        return str(self.meta.get("swap") or "both")

    @property
    def seed(self) -> int:
        return int(self.meta.get("seed") or 0)


def load_run(*, store: str | Path | None = None, results: str | Path | None = None, judge: str | None = None,
             template: str | None = None) -> RunData:
    """Read exactly one of a store or a results directory; `judge`/`template` choose whose judgments when
    the store holds several (an InputError names them otherwise)."""
    if (store is None) == (results is None):
        raise ConfigError("give exactly one of --store PATH or --results DIR")
    if store is not None:
        return _from_store(Path(store), judge, template)
    return _from_results(Path(str(results)))


def _from_store(path: Path, judge: str | None, template: str | None) -> RunData:
    from judgebench.store import Store

    with Store(path, must_exist=True) as db:
        frame = db.judgments(judge=judge, template=template)
    for column, chosen in (("judge", judge), ("template", template)):
        values = sorted(frame[column].unique())
        if chosen is None and len(values) > 1:
            raise InputError(f"the store holds judgments of several {column}s ({', '.join(values)})",
                             path=path, hint=f"choose one with --{column}")
    if frame.empty:
        raise InputError("the store holds no judgments" + (" of this judge and template" if judge or template
                                                            else ""), path=path)
    return RunData(frame, str(path))


def _from_results(directory: Path) -> RunData:
    judgments_file = directory / "judgments.jsonl"
    if not judgments_file.is_file():
        raise InputError("no judgments.jsonl here (write one with `judgebench run --out DIR`)", path=directory)
    records = []
    with judgments_file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise InputError(f"line {number}: not JSON ({error.msg})", path=judgments_file) from None
    frame = pd.DataFrame.from_records(records)
    missing = {"question_id", "first", "second", "status", "p_first"} - set(frame.columns)
    if frame.empty or missing:
        raise InputError(f"no judgments (missing {', '.join(sorted(missing))})" if missing else "no judgments",
                         path=judgments_file)
    if "weight" not in frame:
        frame["weight"] = 1.0
    frame["weight"] = frame["weight"].fillna(1.0)
    board = None
    board_file = directory / "leaderboard.json"
    if board_file.is_file():
        try:
            board = json.loads(board_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise InputError(f"not JSON ({error.msg})", path=board_file) from None
    return RunData(frame, str(directory), board, dict((board or {}).get("meta") or {}))

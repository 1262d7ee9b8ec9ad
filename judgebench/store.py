"""The judgment store: one SQLite file (WAL mode), one row per game, keyed by the hash of what was sent.

Every completion is committed the moment it is stored, so a killed run loses at most the requests in
flight, and the next run sends only the games whose key has no `ok` row. Failed and unparsed games are
kept with their error and raw text for the record; they never count as verdicts and are retried (unparsed
ones a bounded number of times, since a deterministic judge tends to repeat itself).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from judgebench.errors import InputError
from judgebench.records import OK, UNPARSED

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS judgments (
    key TEXT PRIMARY KEY,
    question_id TEXT NOT NULL,
    first TEXT NOT NULL,
    second TEXT NOT NULL,
    judge TEXT NOT NULL,
    template TEXT NOT NULL,
    status TEXT NOT NULL,
    label TEXT,
    p_first REAL,
    weight REAL,
    raw TEXT,
    logprobs TEXT,
    error TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    cost REAL,
    latency_s REAL,
    attempts INTEGER NOT NULL,
    truncated INTEGER NOT NULL DEFAULT 0,
    request TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS judgments_by_judge ON judgments (judge, template, status);
"""

# An existing ok row is never overwritten; anything else is replaced and its attempt count carried on.
_UPSERT = """
INSERT INTO judgments (key, question_id, first, second, judge, template, status, label, p_first, weight, raw,
    logprobs, error, prompt_tokens, completion_tokens, cost, latency_s, attempts, truncated, request, created_at,
    updated_at)
VALUES (:key, :question_id, :first, :second, :judge, :template, :status, :label, :p_first, :weight, :raw,
    :logprobs, :error, :prompt_tokens, :completion_tokens, :cost, :latency_s, 1, :truncated, :request, :now, :now)
ON CONFLICT(key) DO UPDATE SET
    status = excluded.status, label = excluded.label, p_first = excluded.p_first, weight = excluded.weight,
    raw = excluded.raw, logprobs = excluded.logprobs, error = excluded.error,
    prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, cost = excluded.cost,
    latency_s = excluded.latency_s, attempts = judgments.attempts + 1, updated_at = excluded.updated_at
WHERE judgments.status != 'ok'
"""

GAME_FIELDS = ["question_id", "first", "second", "p_first", "weight"]


@dataclass
class JudgmentRow:
    """One stored game result (DESIGN.md, "judgment")."""

    key: str
    question_id: str
    first: str
    second: str
    judge: str
    template: str
    status: str
    label: str | None = None
    p_first: float | None = None
    weight: float | None = None
    raw: str | None = None
    logprobs: list[dict[str, float]] | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    latency_s: float | None = None
    truncated: bool = False  # answers were shortened to fit the judge's context (truncate_answers)
    request: dict[str, Any] | None = None


class Store:
    """Judgments in one SQLite file. Open with `Store(path)`; use as a context manager or call `close()`."""

    def __init__(self, path: str | Path, *, must_exist: bool = False):
        self.path = Path(path)
        if must_exist and not self.path.is_file():
            raise InputError("store not found", path=self.path, hint="give the --store file a run wrote")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: every commit survives a killed process; fsync only at checkpoints, which are
            # made rarer (about 40 MB of WAL) because each one costs more than thousands of commits.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA wal_autocheckpoint=10000")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise InputError(f"not a judgebench store ({error})", path=self.path) from None
        self._check_version()

    def _check_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) != SCHEMA_VERSION:
            raise InputError(f"store schema version {row[0]} is not the supported version {SCHEMA_VERSION}",
                             path=self.path, hint="use the judgebench release that wrote it, or a new --store")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- writing -------------------------------------------------------------------------------------

    def put(self, row: JudgmentRow) -> None:
        """Store one game result and commit it at once (an `ok` row already stored is kept)."""
        values = dict(vars(row))  # shallow: dataclasses.asdict would deep-copy the request on every put
        values["logprobs"] = json.dumps(row.logprobs) if row.logprobs is not None else None
        values["request"] = json.dumps(row.request, ensure_ascii=False) if row.request is not None else None
        values["now"] = time.time()
        self._db.execute(_UPSERT, values)  # autocommit mode: committed when execute returns

    # -- reading -------------------------------------------------------------------------------------

    def statuses(self, keys: Iterable[str]) -> dict[str, tuple[str, int]]:
        """key -> (status, attempts) for the stored keys among `keys`."""
        keys = list(keys)
        found: dict[str, tuple[str, int]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, status, attempts in self._db.execute(
                    f"SELECT key, status, attempts FROM judgments WHERE key IN ({marks})", chunk):
                found[key] = (status, attempts)
        return found

    def to_send(self, keys: Iterable[str], max_unparsed_attempts: int = 3) -> set[str]:
        """Keys that still need a request: never stored, failed, or unparsed fewer times than allowed."""
        keys = list(keys)
        stored = self.statuses(keys)
        send = set()
        for key in keys:
            status, attempts = stored.get(key, (None, 0))
            if status == OK or (status == UNPARSED and attempts >= max_unparsed_attempts):
                continue
            send.add(key)
        return send

    def judgments(self, keys: Iterable[str] | None = None, judge: str | None = None,
                  template: str | None = None) -> pd.DataFrame:
        """Stored judgments (all columns but the request), optionally only `keys`, a judge or a template."""
        columns = ("key, question_id, first, second, judge, template, status, label, p_first, weight, raw, "
                   "logprobs, error, prompt_tokens, completion_tokens, cost, latency_s, attempts, truncated")
        query, args = f"SELECT {columns} FROM judgments WHERE 1=1", []
        if judge is not None:
            query, args = query + " AND judge = ?", [*args, judge]
        if template is not None:
            query, args = query + " AND template = ?", [*args, template]
        frame = pd.read_sql_query(query + " ORDER BY created_at, key", self._db, params=args)
        if keys is not None:
            frame = frame[frame["key"].isin(set(keys))]
        return frame.reset_index(drop=True)

    def games(self, judge: str | None = None, template: str | None = None) -> pd.DataFrame:
        """The ok games (question_id, first, second, p_first, weight) of one judge and template.

        When the store holds several judges or templates and none is named, that is an input error:
        mixing judges would mix different measurements.
        """
        frame = self.judgments(judge=judge, template=template)
        frame = frame[frame["status"] == OK]
        for column, chosen in (("judge", judge), ("template", template)):
            values = sorted(frame[column].unique())
            if chosen is None and len(values) > 1:
                raise InputError(f"the store holds judgments of several {column}s ({', '.join(values)})",
                                 path=self.path, hint=f"choose one with --{column}")
        return frame[GAME_FIELDS].reset_index(drop=True)

    def outcomes(self, swap: str = "both", seed: int = 0, baseline: str | None = None,
                 judge: str | None = None, template: str | None = None) -> pd.DataFrame:
        """Outcomes of the stored ok games under a swap policy (see verdicts.combine)."""
        from judgebench.verdicts import combine

        return combine(self.games(judge, template), swap=swap, seed=seed, baseline=baseline).outcomes

    def export_jsonl(self, path: str | Path, keys: Iterable[str] | None = None) -> int:
        """Write judgments (including failed and unparsed ones) as JSON lines; returns the row count."""
        frame = self.judgments(keys)
        records = frame.to_dict(orient="records")
        with open(path, "w", encoding="utf-8") as handle:
            for record in records:
                if record.get("logprobs"):
                    record["logprobs"] = json.loads(record["logprobs"])
                clean = {k: (None if isinstance(v, float) and v != v else v) for k, v in record.items()}
                handle.write(json.dumps(clean, ensure_ascii=False) + "\n")
        return len(records)

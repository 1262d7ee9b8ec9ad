"""The judgment store: one SQLite file (WAL mode), one row per game, keyed by the hash of what was sent.

Never paying twice. Several `judgebench run` processes may share one store (the same inputs, overlapping
ones, or one run spread over several processes). Before a process sends games it *claims* them: one short
`BEGIN IMMEDIATE` transaction reads the games' stored status and current claims and writes a claim (owner,
host, pid, lease expiry) for each game that is neither judged nor held by a live owner. SQLite's write lock
makes that check-and-claim atomic across processes (no lock file), and because a batch is claimed just
before it is sent, the claim is also the re-check that nobody judged the game meanwhile. The owner renews its
leases while the games are in flight and deletes each claim in the same transaction that stores the game's
result. A process that meets games held by a live owner does not send them: it polls the store until they
are judged, or takes them over when the lease expires, or at once when the owner is known to be gone (a
process of this host and PID namespace that no longer exists, as after a SIGKILL, or a run of this process
that has ended).
So every game is requested at most once, plus the games that were in flight in a process that died. Claims
are made in batches and results committed in groups (see runner.py), which keeps the guarantee cheap. A
process stalled longer than its lease (suspended, say) can lose its claims to another: it sends no game until
it holds the claim again (`runner.Lease`), so only its requests already on the wire are judged twice; the lease
(60 s, renewed every 20 s) is chosen long against any pause of a running process.

The file in place. Each write first checks that the store file is still the one opened at its path
(`_check_in_place`): SQLite would go on writing into a file deleted, moved or replaced under it.

Durability. A result is committed before its game counts as done, so a killed run loses at most the
requests in flight, and the next run sends only the games whose key has no `ok` row. Failed and unparsed
games are kept with their error and raw text for the record; they never count as verdicts and are retried
(unparsed ones a bounded number of times, since a deterministic judge tends to repeat itself).

Shared judgments. Games whose requests are the same (identical answers: both orders of a pair of models that
answered alike) have one key, so one judgment; `shared_games` records them, and every game gets that verdict
(`Store.judgments`, records.per_game), as in the run that judged them.

Provenance. Each judgment records the run that stored it and the server that answered (`server`: the
engine's base URL without credentials, or the in-process model path); each run records engine, server,
model, versions, template hash, times, counts and cost (the `runs` table), and its status: 'running' from its
first game until it records its end as 'finished', 'interrupted' (Ctrl-C or SIGTERM) or 'failed' (an engine or
store error). A run that never recorded its end reads as 'killed' once its process is known to be gone (a
process of this host that no longer exists: SIGKILL, a crash, or a store it could not write any more); a run
of another host whose end is not recorded reads as 'running', since whether it lives cannot be known here.

Plans. An adaptive or tournament run records its plan (`plans`: the leaderboard meta's `adaptive` entry, with its
design-bias correction) under a SHA-256 of the games it rated (`records.games_sha256`), its judge and its
template, so that rating the store again (`leaderboard --store`, `report --store`) knows when the judgments it
reads are exactly an adaptive plan's and applies that plan's correction, as the run did.

Schema versions. Every change to the tables raises `SCHEMA_VERSION` and adds a step to `_MIGRATIONS`; a
store of an earlier version is copied to `<store>.v<N>.bak` and migrated in place; a newer or unreadable
version is refused. A new store is built by the oldest schema plus every migration, so the migrations run
on every store ever created. A reader (`reading`) opens a store file this user cannot write read-only, as it is
(`Store._open_read_only`): reading never needs write access.

Every SQLite failure becomes a `StorageError` (disk full, read-only, locked too long, a directory in the
way: exit code 5) or an `InputError` (not a store, unsupported schema: exit code 2) with what to do.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from judgebench.config import command_or_call, command_with, how_to_set, running_call, setting_name
from judgebench.errors import InputError, StorageError
from judgebench.records import FAILED, GAME_KEYS, OK, UNPARSED, every_pair_judged, games_sha256, per_game
from judgebench.verdicts import is_token_limit_error

SCHEMA_VERSION = 6

# Version 1, as first released (without `truncated`; some version-1 stores have it, see _add_truncated).
_SCHEMA_V1 = """
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
    request TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS judgments_by_judge ON judgments (judge, template, status);
"""


# The public calls other than `rate` that read a results folder, as a message asks for one (`rate_results`).
_RESULTS_CALLS = {"diagnose": "`judgebench.diagnose(results=DIR)`",
                  "html_report": "`judgebench.html_report(FILE, results=DIR)`"}


def rate_results() -> str:
    """How a run is rated from its results folder rather than from the store, whose judgments may mix runs, as
    the user asks for it: a command on the command line, the running one where it reads a results folder
    (`diagnose --results DIR` in `diagnose`: `config.command_with`), a call from Python (`config.command_or_call`),
    the running one likewise (`judgebench.diagnose(results=DIR)` in `diagnose`: `config.running_call`)."""
    command = command_with("--results") or "leaderboard"
    call = _RESULTS_CALLS.get(running_call() or "", "`judgebench.rate(DIR)`")
    return command_or_call(f"`judgebench {command} --results DIR`", call)


def _add_truncated(db: sqlite3.Connection) -> None:
    """Version 2: `truncated` (answers shortened to fit the judge's context). Some version-1 stores already
    have the column (it was added once without raising the version), so it is added only where missing."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(judgments)")}
    if "truncated" not in columns:
        db.execute("ALTER TABLE judgments ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0")


def _add_provenance_and_claims(db: sqlite3.Connection) -> None:
    """Version 3: which server answered and which run stored each judgment, the runs, and the claims."""
    db.execute("ALTER TABLE judgments ADD COLUMN server TEXT")  # NULL: stored before servers were recorded
    db.execute("ALTER TABLE judgments ADD COLUMN run_id TEXT")
    db.execute("""CREATE TABLE runs (
        id TEXT PRIMARY KEY, status TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL,
        judge TEXT, engine TEXT, server TEXT, model TEXT, model_revision TEXT, vllm_version TEXT,
        judgebench_version TEXT, template TEXT, template_hash TEXT, engine_settings TEXT, host TEXT, pid INTEGER,
        planned INTEGER, sent INTEGER, ok INTEGER, unparsed INTEGER, failed INTEGER,
        prompt_tokens INTEGER, completion_tokens INTEGER, cost REAL)""")
    db.execute("""CREATE TABLE claims (
        key TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
        expires REAL NOT NULL)""")
    db.execute("CREATE INDEX claims_by_owner ON claims (owner)")


def _add_shared_games(db: sqlite3.Connection) -> None:
    """Version 4: the games that share a judgment with another game (the same request: identical answers), so
    that the store gives every game its verdict, not only the game that stored it (records.per_game)."""
    db.execute("""CREATE TABLE shared_games (
        key TEXT NOT NULL, question_id TEXT NOT NULL, first TEXT NOT NULL, second TEXT NOT NULL,
        PRIMARY KEY (key, question_id, first, second))""")


def _add_plans(db: sqlite3.Connection) -> None:
    """Version 5: the plans of adaptive and tournament runs (their meta `adaptive` entry as JSON), by the games
    they rated, so that a rating of the store can apply an adaptive plan's design-bias correction."""
    db.execute("""CREATE TABLE plans (
        games_sha256 TEXT NOT NULL, judge TEXT NOT NULL, template TEXT NOT NULL, run_id TEXT,
        recorded_at REAL NOT NULL, plan TEXT NOT NULL, PRIMARY KEY (games_sha256, judge, template))""")


def _add_attempts_cost(db: sqlite3.Connection) -> None:
    """Version 6: `attempts_cost`, what every attempt of a judgment cost in all (a dollar budget's plan counted each
    attempt at the last one's cost, which the store kept alone: a rerun that sent nothing reported another plan
    cost, and an expensive attempt cut off before a cheap verdict was undercounted). An older row asked once cost
    what its one attempt did (a failed one nothing); one asked more often keeps null: unknown, estimated
    (`runner.plan_cost`)."""
    db.execute("ALTER TABLE judgments ADD COLUMN attempts_cost REAL")
    db.execute("UPDATE judgments SET attempts_cost = COALESCE(cost, CASE WHEN status = 'failed' THEN 0.0 END) "
               "WHERE attempts = 1")


# _MIGRATIONS[v] turns a version-v store into a version v+1 store.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _add_truncated, 2: _add_provenance_and_claims,
                                                                 3: _add_shared_games, 4: _add_plans,
                                                                 5: _add_attempts_cost}
assert sorted(_MIGRATIONS) == list(range(1, SCHEMA_VERSION))

_COLUMNS = ("key", "question_id", "first", "second", "judge", "template", "status", "label", "p_first", "weight",
            "raw", "logprobs", "error", "prompt_tokens", "completion_tokens", "cost", "latency_s", "truncated",
            "request", "server", "run_id")

# An existing ok row is never overwritten; anything else is replaced and its attempt count and the cost of its
# attempts carried on (null, unknown, once an attempt's cost is).
_UPSERT = f"""
INSERT INTO judgments ({", ".join(_COLUMNS)}, attempts, attempts_cost, created_at, updated_at)
VALUES ({", ".join(":" + c for c in _COLUMNS)}, 1, :attempt_cost, :now, :now)
ON CONFLICT(key) DO UPDATE SET
    {", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[6:])},
    attempts = judgments.attempts + 1, attempts_cost = judgments.attempts_cost + excluded.attempts_cost,
    updated_at = excluded.updated_at
WHERE judgments.status != 'ok'
"""

GAME_FIELDS = ["question_id", "first", "second", "p_first", "weight"]
RUN_COUNTS = ("sent", "ok", "unparsed", "failed", "prompt_tokens", "completion_tokens", "cost")
def process_space() -> str:
    """Where a pid names one process: this host's name and, on Linux, its PID namespace. Two containers that
    share a store and a host name (docker's --network host, Kubernetes' hostNetwork, `docker run -h`) number
    their processes apart, so that a process of the other one looked up here seemed gone and its live claims
    were taken over, and its games paid for twice."""
    name = socket.gethostname()
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return name
    return f"{name}/pidns:{namespace}"


HOST = process_space()  # recorded with each claim and run, as its process's `process_space`
RUNNING, KILLED = "running", "killed"  # a run's status until it records its end, and once its process is gone
_OWNERS_HERE: set[str] = set()  # claim owners (runs) of this process that have not released their claims


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
    prompt_tokens: int | None = 0  # None: the server reported no usage (unknown, not 0)
    completion_tokens: int | None = 0
    cost: float | None = None  # None: no prices, or the tokens are unknown
    latency_s: float | None = None
    truncated: bool = False  # answers were shortened to fit the judge's context (truncate_answers)
    request: dict[str, Any] | None = None
    server: str | None = None  # who answered (server_identity); None in stores older than schema 3
    run_id: str | None = None

    @property
    def attempt_cost(self) -> float | None:
        """What this attempt cost: its `cost`, nothing for a failed one without a reply's usage (as `runner.Tally`
        counts it), None when unknown (no prices, or an answer without token usage)."""
        return 0.0 if self.cost is None and self.status == FAILED else self.cost


@dataclass
class Claim:
    """What a claim attempt found for each key: `claimed` (now ours to send), `busy` (held by a live owner:
    wait), `done` (judged meanwhile, or given up after too many unparsed answers: nothing to send)."""

    claimed: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)


def _sqlite_code(error: sqlite3.Error) -> int:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary result code


_STORAGE_REMEDIES = {
    sqlite3.SQLITE_FULL: "the disk is full: free some space",
    sqlite3.SQLITE_READONLY: "the store is read-only (its file, its directory or the file system): make it "
                             "writable or choose another {store}",
    sqlite3.SQLITE_CANTOPEN: "the store cannot be opened for writing (its directory is missing or read-only): "
                             "make it writable or choose another {store}",
    sqlite3.SQLITE_PERM: "permission denied: make the store writable or choose another {store}",
    sqlite3.SQLITE_IOERR: "the disk reported an I/O error (full, removed or failing): check it",
}


def _is_busy(error: sqlite3.Error) -> bool:
    return _sqlite_code(error) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def process_gone(host: str, pid: int) -> bool:
    """True only when the process is known to be gone: a process of this host (and PID namespace:
    `process_space`) that no longer exists (as after a SIGKILL). A process on another host or in another
    namespace, or one of another user, is not known to be gone. A host recorded by its name alone (by judgebench
    before it recorded namespaces) is looked up here when the name is this host's, as it was then."""
    if host not in (HOST, socket.gethostname()):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by another user
        return False
    return False


def owner_alive(owner: str, host: str, pid: int) -> bool:
    """False only when the claim's owner is known to be gone: a run of this process that released its claims
    (even if the store could not be written then), or a process of this host that no longer exists. Owners
    on other hosts count as alive until their lease expires."""
    if host == HOST and pid == os.getpid():
        return owner in _OWNERS_HERE
    return not process_gone(host, pid)


def keys_to_send(keys: Iterable[str], stored: dict[str, tuple[str, int]], max_unparsed_attempts: int = 3,
                 cut_off: Collection[str] = ()) -> set[str]:
    """Keys among `keys` that still need a request, given the stored (status, attempts) of each (`Store.statuses`):
    never stored, failed, or unparsed fewer times than allowed, but those `cut_off` (`Store.cut_off`: unparsed
    because the judge's token limit ended its output), which are not asked again: the same request is cut off
    again and billed in full, and a larger limit is another request (its key holds the limit)."""
    send = set()
    for key in keys:
        status, attempts = stored.get(key, (None, 0))
        if status == OK or (status == UNPARSED and (attempts >= max_unparsed_attempts or key in cut_off)):
            continue
        send.add(key)
    return send


def require_one_measurement(frame: pd.DataFrame, judge: str | None, template: str | None, store: Store) -> None:
    """Raise an InputError when `frame` (judgments of `store`) holds judgments of several judges or templates and
    none was chosen, one game judged by several requests, or judgments of one template name read by several
    versions of it (`template_hash`): mixing them would mix different measurements.

    A game (question, first, second, judge) stored under two keys was sent as two different requests: another
    prompt text of the template (a judgebench upgrade changed a built-in one), other answers, other sampling.
    Reading with a template file (`datasets.sources.store_judgments`) gives every row that file's hash, so only
    the keys show it; both would count, as two games. Judgments of one request read by two versions (another
    verdict table) are read by one version with --template FILE.
    """
    for column, chosen, flag in (("judge", judge, "--judge-model"), ("template", template, "--template")):
        values = sorted(frame[column].unique())
        if chosen is None and len(values) > 1:
            raise InputError(f"the store holds judgments of several {column}s ({', '.join(values)})",
                             path=store.path, hint=f"choose one with {flag}")
    readable = frame[frame["status"].isin((OK, UNPARSED))]
    requests = readable.groupby(["question_id", "first", "second", "judge"])["key"].nunique()
    if (requests > 1).any():
        twice = requests[requests > 1]
        question, first, second, _ = twice.index[0]
        involved = readable[readable.set_index(["question_id", "first", "second", "judge"]).index.isin(twice.index)]
        unrecorded = "run_id" in involved and bool(involved["run_id"].isna().any())
        raise InputError(f"the store holds {len(twice)} games judged by more than one request (for example "
                         f"{question}: {first} shown before {second}): the judge was sent other prompts for the "
                         "same game (the template's text, the answers or the judge's settings changed between "
                         "runs), and both would count; the runs that stored them: "
                         + "; ".join(_describe_runs(store.runs(involved["key"].unique()), unrecorded)),
                         path=store.path,
                         hint="rate each game by its latest judgment with "
                              + command_or_call("--latest (`leaderboard`, `report` and `diagnose` take it",
                                                "latest=True (`rate`, `html_report` and `diagnose` take it")
                              + ": the older ones are set aside), or one run's judgments from the results folder it "
                              f"wrote, if it wrote one ({rate_results()}), or judge each version in its own "
                              f"{setting_name('store', option=True)}; "
                              f"{how_to_set('template', 'FILE.toml', option=True)} reads one request's "
                              "judgments with that file's verdicts, and cannot choose between requests")
    hashes = sorted(frame["template_hash"].dropna().unique()) if "template_hash" in frame else []
    if len(hashes) > 1:
        name = ", ".join(sorted(frame["template"].unique()))
        raise InputError(f"the store holds judgments of the template '{name}' read by {len(hashes)} versions of it "
                         f"(template hashes {', '.join(h[:12] for h in hashes)}): other prompts or verdicts under "
                         "one name", path=store.path,
                         hint="if the versions differ only in their [verdicts], read every judgment with one "
                              "version's verdicts: --template FILE.toml; otherwise give each version its own name")


_GAME = ["question_id", "first", "second", "judge", "template"]  # one game of a judge's, whatever its request
FINISHED = "finished"  # a run's status once it recorded that it judged every game it planned


def latest_judgments(frame: pd.DataFrame, store: Store) -> tuple[pd.DataFrame, dict[str, int], str | None]:
    """`frame` (judgments of `store`, one row per game: `Store.judgments`) with each game judged by several
    requests rated by its latest readable judgment (ok or unparsed) only, as `--latest` asks; the count of those
    games and of the older judgments set aside (the leaderboard meta's `latest` entry); and a warning when some
    games may keep an older judgment because their newer request was never judged (`_partly_judged_again`).

    A game (question, first, second, judge, template) stored under several keys was sent as several requests:
    its answers were edited or regenerated, or the template's text or the judge's settings changed. The latest is
    the judgment stored last (`updated_at`), not the request stored first (`created_at`): a stored ok judgment is
    never written again, so its `updated_at` is when its verdict was stored, while a request that first failed
    keeps its `created_at` when a later run judges it (answers edited back, say), and that later verdict is the
    current one. Failed rows never count as verdicts and stay as they are, for the record.
    """
    keys = frame.groupby(_GAME)["key"].nunique()
    several = keys[keys > 1].index
    rows = frame[frame.set_index(_GAME).index.isin(several)]
    if rows.empty:
        return frame, {"games": 0, "set_aside": 0}, None
    stored = store.stored_at(rows["key"].unique())
    readable = rows[rows["status"].isin((OK, UNPARSED))]
    latest = readable.assign(stored_at=readable["key"].map(stored)).sort_values(["stored_at", "key"]).groupby(
        _GAME)["key"].last()
    kept_key = latest.reindex(pd.MultiIndex.from_frame(frame[_GAME])).to_numpy()
    older = (frame["status"].isin((OK, UNPARSED)).to_numpy() & pd.notna(kept_key)
             & (frame["key"].to_numpy() != kept_key))
    games = frame.loc[older, _GAME].drop_duplicates()
    warning = _partly_judged_again(rows, latest, stored, store)
    return frame[~older], {"games": len(games), "set_aside": int(older.sum())}, warning


def _partly_judged_again(rows: pd.DataFrame, latest: pd.Series, stored: Mapping[str, float],
                         store: Store) -> str | None:
    """A warning when some games judged by several requests may be rated by an older judgment although a newer
    request exists (`latest_judgments`): a newer request that failed after the judgment kept was stored, or the
    judgments kept come from runs that did not finish (interrupted, killed, failed or still running), whose
    games never sent keep their older judgments. Either way a model whose answers were judged again only in
    part is rated on old and new answers together; the warning names the models of those games."""
    kept_at = latest.map(stored)
    failed = rows[rows["status"] == FAILED]
    kept = kept_at.reindex(pd.MultiIndex.from_frame(failed[_GAME])).fillna(float("inf"))  # none kept: no verdict
    failed = failed[failed["key"].map(stored).to_numpy() > kept.to_numpy()]
    renewing = rows[rows["status"].isin((OK, UNPARSED)) & rows["key"].isin(latest)]
    runs = store.runs(renewing["key"].unique())
    unfinished = runs[runs["status"] != FINISHED]
    parts, models = [], set(failed["first"]) | set(failed["second"])
    n_failed = len(failed[_GAME].drop_duplicates())
    if n_failed:
        games = "game whose newer request failed keeps" if n_failed == 1 else "games whose newer request failed keep"
        parts.append(f"{n_failed} {games} an older judgment")
    if len(unfinished):
        stopped = renewing[renewing["run_id"].isin(unfinished["id"])]
        models |= set(stopped["first"]) | set(stopped["second"])
        one = len(unfinished) == 1
        parts.append(f"the latest judgments are of {'a run' if one else 'runs'} that did not finish (" + ", ".join(
            f"{run.id}: {run.status}" for run in unfinished.itertuples()) + f"), so {'its' if one else 'their'} "
            "games never sent keep older judgments")
    if not parts:
        return None
    return (f"{'; '.join(parts)}: a model of those games ({', '.join(sorted(models))}) whose answers were judged "
            "again only in part is rated on its old and new answers together; judge the current answers again "
            f"with this store to judge the rest, or rate one run's folder ({rate_results()})")


def utc_time(seconds: float) -> str:
    """A stored time (seconds since the epoch) as ISO 8601 UTC to the second, as runs are shown to people."""
    import datetime as dt

    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _describe_runs(runs: pd.DataFrame, unrecorded: bool) -> list[str]:
    """Each run (`Store.runs`, oldest first) as 'id (started ..., judgebench ..., template <hash prefix>)', and
    a last entry when some of the judgments (`unrecorded`) were stored before judgebench recorded its runs."""
    described = [f"{run.id} (started {utc_time(run.started_at)}, judgebench {run.judgebench_version}, "
                 f"template {str(run.template_hash)[:12]})" for run in runs.itertuples()]
    if unrecorded or not described:
        described.append("stored before judgebench recorded its runs")
    return described


def measurements_hint(held: Iterable[tuple[str, str]], judge: str | None, template: str | None) -> str:
    """What a store holds, for the message when the chosen judge or template has no judgments there: its
    judges and templates (`Store.measurements`), with a "did you mean" for a chosen name close to one held."""
    from judgebench.config import suggest

    held = list(held)
    if not held:
        return "it holds no judgments yet"
    parts, guesses = [], ""
    for what, chosen, values in (("judge", judge, sorted({j for j, _ in held})),
                                 ("template", template, sorted({t for _, t in held}))):
        parts.append(f"{what}s held: {', '.join(values)}")
        guesses += suggest(chosen, values) if chosen is not None and chosen not in values else ""
    return "; ".join(parts) + (guesses or _preset_hint(judge, {j for j, _ in held}))


def _preset_hint(judge: str | None, held: set[str]) -> str:
    """Where the judge chosen is a preset's name (`--judge local-server`, as `run` takes it) whose model the
    store holds: that the judge is chosen by its model's name here."""
    from judgebench.config import presets

    if judge is None or judge in held:
        return ""
    model = presets().get(judge, {}).get("model")
    return (f"; {judge} is a judge preset, and stored judgments are chosen by the judge model's name: "
            f"{model}" if model in held else "")


def _unwritable(path: Path) -> bool:
    """True when this user cannot write the file, or nobody may (no write permission bit: root, whom file
    modes do not stop, is not to write a file made read-only either)."""
    return not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222


_SCHEMA_VERSION_QUERY = "SELECT value FROM meta WHERE name = 'schema_version'"


def _schema_version_of(path: Path) -> int | None:
    """The schema version stored in the database file `path`; None when it is missing or not a store."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute(_SCHEMA_VERSION_QUERY).fetchone()
        finally:
            db.close()
        return int(row[0]) if row else None
    except (sqlite3.Error, ValueError):
        return None


class Store:
    """Judgments in one SQLite file. Open with `Store(path)`; use as a context manager or call `close()`.

    `busy_timeout_s` is how long a write waits for another process's transaction before the store counts as
    locked (a StorageError). `reading`: the caller only reads (leaderboard, report, diagnose): a store file
    this user cannot write is opened read-only and not migrated.
    """

    def __init__(self, path: str | Path, *, must_exist: bool = False, busy_timeout_s: float = 30.0,
                 reading: bool = False):
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self.failed = False  # a write failed: the run is stopping, and its bookkeeping writes are skipped
        self.has_shared_games = True  # False only for a read-only store of schema 3 (before `shared_games`)
        self.has_attempts_cost = True  # False only for a read-only store older than schema 6
        self._file: int | None = None  # the store file as opened for writing (`_check_in_place`)
        if must_exist and not self.path.is_file():
            raise InputError("a directory, not a store" if self.path.is_dir() else "store not found", path=self.path,
                             hint=f"give the {setting_name('store')} file a run wrote")
        if self.path.is_dir():
            raise StorageError(f"cannot use the store {self.path}: it is a directory: remove or rename it, or "
                               f"choose another {setting_name('store')}, then run the same command again")
        if reading and self.path.is_file() and _unwritable(self.path):
            self._open_read_only()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create the store's directory {self.path.parent}: "
                               f"{error.strerror}: choose another {setting_name('store')}") from None
        with self._guard("open"):
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                       timeout=busy_timeout_s)
        try:
            with self._guard("open"):
                self._db.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: every commit survives a killed process; fsync only at checkpoints, which are
                # made rarer (about 40 MB of WAL) because each one costs more than thousands of commits.
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("PRAGMA wal_autocheckpoint=10000")
                self._migrate()
            self._file = os.open(self.path, os.O_RDONLY)
        except BaseException:
            self._db.close()
            raise

    def _open_read_only(self) -> None:
        """Open a store this user cannot write (a reader's: `reading`) read-only, as it is: no migration and no
        copy, which would need to write. A schema-3 store lacks `shared_games` and reads as sharing no game, one
        older than schema 6 lacks `attempts_cost` and reads it as unknown (null); an older one is copied into memory
        and migrated there (its runs table and provenance columns are missing)."""
        with self._guard("open"):
            self._db = self._connect_read_only()
        try:
            with self._guard("read"):
                if "meta" not in self._tables():
                    raise InputError("not a judgebench store (it has no schema version)", path=self.path)
                version = self._stored_version()
                if version < 3:
                    memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
                    self._db.backup(memory)
                    self._db.close()
                    self._db = memory
                    with self._transaction("read"):
                        self._upgrade()
                self.has_shared_games = "shared_games" in self._tables()
                self.has_attempts_cost = "attempts_cost" in {
                    row[1] for row in self._db.execute("PRAGMA table_info(judgments)")}
        except BaseException:
            self._db.close()
            raise

    def _connect_read_only(self) -> sqlite3.Connection:
        """A read-only connection. Reading a WAL store needs its `-shm` file, which SQLite cannot create in a
        directory this user cannot write; without a `-wal` file everything is in the store file itself, and it
        is read as immutable (as the directory is unwritable here, the store is as well, short of its owner)."""
        uri = self.path.resolve().as_uri()
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, check_same_thread=False,
                             timeout=self.busy_timeout_s)
        try:
            db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        except sqlite3.Error as error:
            db.close()
            wal = self.path.with_name(self.path.name + "-wal")
            # a folder this user cannot write: SQLITE_READONLY (its _DIRECTORY variant) where SQLite can see
            # that, SQLITE_CANTOPEN on a read-only file system
            if _sqlite_code(error) not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY) or wal.exists():
                raise
            db = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None, check_same_thread=False)
        return db

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        if self._file is not None:
            os.close(self._file)
            self._file = None

    # -- errors and transactions ---------------------------------------------------------------------

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Turn SQLite's errors (also as pandas' read_sql_query wraps them) into one StorageError or InputError
        that says what to do."""
        try:
            yield
        except pd.errors.DatabaseError as wrapped:
            if not isinstance(wrapped.__cause__, sqlite3.Error):
                raise
            with self._guard(doing):
                raise wrapped.__cause__ from None
        except sqlite3.Error as error:
            code = _sqlite_code(error)
            if code == sqlite3.SQLITE_NOTADB:
                raise InputError(f"not a judgebench store ({error})", path=self.path) from None
            if code == sqlite3.SQLITE_CORRUPT:  # a -wal or -shm file deleted while a run used it, a failing disk
                self.failed = True
                recover = f"sqlite3 {shlex.quote(str(self.path))} .recover | sqlite3 recovered.sqlite"
                raise StorageError(f"the store {self.path} is damaged (SQLite: {error}): recover what it holds into "
                                   f"a new file with `{recover}` and use that file as the {setting_name('store')} (or "
                                   "restore a backup copy), then run the same command again") from None
            if _is_busy(error):
                remedy = (f"the store is locked by another process for more than {self.busy_timeout_s:g} s: "
                          "wait for it to finish or stop it")
            else:
                remedy = _STORAGE_REMEDIES.get(code, "SQLite said: {error}").format(store=setting_name("store"),
                                                                                     error=error)
            self.failed = True
            raise StorageError(f"cannot {doing} the store {self.path}: {remedy}, then run the same command "
                               "again (judgments already stored are kept)") from None

    def _check_in_place(self) -> None:
        """Raise a StorageError when the store file this process writes is no longer at its path: deleted (its
        file or its folder removed), moved away or replaced by another file. SQLite would go on writing into the
        file it opened, where the next run does not look: the judgments paid for meanwhile would be lost or
        astray while the run said it stored them. Checked before each write (each commit, claim and renewal)."""
        if self._file is None:
            return
        opened = os.fstat(self._file)
        with suppress(OSError):
            here = os.stat(self.path)
            if (here.st_dev, here.st_ino) == (opened.st_dev, opened.st_ino):
                return
        self.failed = True
        held = "the judgments it held (this run's included)"
        with suppress(sqlite3.Error):
            count = self._db.execute("SELECT count(*) FROM judgments WHERE status = ?", (OK,)).fetchone()[0]
            held = f"the {count:,} verdict{'' if count == 1 else 's'} it held (this run's included)"
        if opened.st_nlink == 0:
            raise StorageError(f"the store {self.path} was deleted while this run used it (its file or its folder "
                               f"removed), so this run stopped sending: {held} are lost, unless a copy of the "
                               f"file can be put back at {self.path}; run the same command again to judge them "
                               "anew")
        raise StorageError(f"the store {self.path} was moved or replaced while this run used it, so this run "
                           f"stopped sending: {held} are in the file that was moved (judgebench cannot tell "
                           f"where it went) and in the {self.path.name}-wal file left at {self.path.parent}: move "
                           f"the file back to {self.path}, beside that -wal file, then run the same command again "
                           "(nothing stored is lost)")

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One `BEGIN IMMEDIATE` transaction (the write lock is taken at once, so a check-then-write inside
        it cannot race another process); rolled back on any error. The store must still be at its path
        (`_check_in_place`)."""
        self._check_in_place()
        with self._guard(doing):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # SQLite rolls back by itself after some errors (disk full)
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- schema --------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        """Create a new store, or bring an older one to SCHEMA_VERSION (after keeping a copy).

        The copy is taken from a read snapshot before the write transaction (SQLite's backup cannot copy a
        database its own connection is writing); the version is read again under the write lock, so of
        several processes opening an old store together exactly one migrates it.
        """
        with self._guard("read"):
            tables = self._tables()
            if "meta" in tables and self._stored_version() < SCHEMA_VERSION:
                self._backup(self._stored_version())
        with self._transaction("migrate"):
            tables = self._tables()
            if "meta" not in tables:
                if tables:
                    raise InputError("not a judgebench store (it holds other tables)", path=self.path)
                for statement in filter(str.strip, _SCHEMA_V1.split(";")):
                    self._db.execute(statement)
                self._db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
            self._upgrade()

    def _upgrade(self) -> None:
        """Run the migrations from the stored version to SCHEMA_VERSION (inside the caller's transaction)."""
        version = self._stored_version()
        for step in range(version, SCHEMA_VERSION):
            _MIGRATIONS[step](self._db)
        if version != SCHEMA_VERSION:
            self._db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (str(SCHEMA_VERSION),))

    def _tables(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def _stored_version(self) -> int:
        row = self._db.execute(_SCHEMA_VERSION_QUERY).fetchone()
        text = row[0] if row else None
        try:
            version = int(text)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError(f"the store's schema version {text!r} is not a version number: the file was not "
                             "written by judgebench or is damaged", path=self.path,
                             hint=f"give another {setting_name('store')}") from None
        if not 1 <= version <= SCHEMA_VERSION:
            raise InputError(f"store schema version {version} is not supported by this judgebench (versions 1 to "
                             f"{SCHEMA_VERSION})", path=self.path,
                             hint=f"use the judgebench release that wrote it, or a new {setting_name('store')}")
        return version

    def _backup(self, version: int) -> None:
        """Copy the store (consistently, with SQLite's backup API) to `<store>.v<version>.bak` before migrating.

        The version was read outside any transaction, so another process may have migrated the store since: the
        copy goes to a temporary file first and is installed only if it holds that version. A `.v<version>.bak`
        already there that holds it is never overwritten: it may be another store's (this file was replaced by
        another old store), so the copy then goes beside it as `.v<version>.<UTC time>.bak`.
        """
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        if _schema_version_of(target) == version:
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            target = target.with_name(f"{self.path.name}.v{version}.{stamp}.{os.getpid()}.bak")
        partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        try:
            copy = sqlite3.connect(partial)
            try:
                self._db.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
            if _schema_version_of(partial) == version:
                os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    # -- writing -------------------------------------------------------------------------------------

    @staticmethod
    def _values(row: JudgmentRow, now: float) -> dict[str, Any]:
        values = dict(vars(row))  # shallow: dataclasses.asdict would deep-copy the request on every put
        values["logprobs"] = json.dumps(row.logprobs) if row.logprobs is not None else None
        values["request"] = json.dumps(row.request, ensure_ascii=False) if row.request is not None else None
        values["now"], values["attempt_cost"] = now, row.attempt_cost
        return values

    def put(self, row: JudgmentRow) -> None:
        """Store one game result and commit it at once (an `ok` row already stored is kept)."""
        self.put_many([row])

    def put_many(self, rows: list[JudgmentRow], owner: str | None = None) -> None:
        """Store game results in one transaction, and release `owner`'s claims on them in the same one."""
        now = time.time()
        values = [self._values(row, now) for row in rows]
        with self._transaction("write to"):
            self._db.executemany(_UPSERT, values)
            if owner is not None:
                self._db.executemany("DELETE FROM claims WHERE key = ? AND owner = ?",
                                     [(row.key, owner) for row in rows])

    def checkpoint(self) -> None:
        """Copy what the write-ahead log holds into the store file: SQLite's PASSIVE checkpoint, which waits for
        no reader or writer (another process on the store is never held up; what it cannot copy now goes at the
        next one). A run calls it after each batch of games it claimed, so that the store file alone holds what
        was judged up to there: a CI cache that keeps only that file, of a job killed outright (SIGKILL, a hard
        timeout) before the WAL was folded in at close, loses at most one batch. Best effort: what was committed
        is in the WAL whatever happens here (`benchmarks/bench_checkpoint.py` measures the cost)."""
        with suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def share_games(self, games: Iterable[tuple[str, str, str, str]]) -> None:
        """Record games (key, question_id, first, second) whose request another game sends too (identical
        answers), in this plan or in an earlier run: the judgment of that key is each one's verdict
        (`judgments`). A game that is the stored judgment's own (or already recorded) is left out."""
        with self._transaction("write to"):
            self._db.executemany("INSERT OR IGNORE INTO shared_games SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS "
                                 "(SELECT 1 FROM judgments WHERE key = ?1 AND question_id = ?2 AND first = ?3 "
                                 "AND second = ?4)", list(games))

    # -- claims (see the module docstring) -----------------------------------------------------------

    def claim(self, keys: list[str], owner: str, lease_s: float, max_unparsed_attempts: int = 3,
              pid: int | None = None, planned: Mapping[str, int] | None = None) -> Claim:
        """Claim for `owner` every key among `keys` that still needs a request and no live owner holds.

        `planned`: the attempts stored for each key when the run read the store to choose what to send (0 for
        a key not stored then). A key answered unparsed since then is done for this run: another process asked
        for it meanwhile, and a run asks for each game once, as several processes together do; a rerun asks
        again (each process that waited for such a game asked again at once, paying for it once per process).
        A failed game is still sent: its failure was the other process's transport or settings, not the game's.
        """
        result = Claim()
        now = time.time()
        if pid is None:
            _OWNERS_HERE.add(owner)
        with self._transaction("claim games in"):
            stored = self.statuses(keys)
            needed = keys_to_send(keys, stored, max_unparsed_attempts, self.cut_off(keys))
            if planned is not None:
                needed -= {key for key, (status, attempts) in stored.items()
                           if status == UNPARSED and attempts > planned.get(key, 0)}
            holders = {key: (holder, host, holder_pid, expires) for key, holder, host, holder_pid, expires in
                       self._select_in("SELECT key, owner, host, pid, expires FROM claims WHERE key IN", keys)}
            for key in keys:
                if key not in needed:
                    result.done.append(key)
                    continue
                holder = holders.get(key)
                if holder is not None and holder[0] != owner and holder[3] > now and owner_alive(*holder[:3]):
                    result.busy.append(key)
                else:
                    result.claimed.append(key)
            self._db.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?)",
                                 [(key, owner, HOST, pid or os.getpid(), now + lease_s) for key in result.claimed])
        return result

    def renew_claims(self, owner: str, lease_s: float) -> set[str]:
        """Extend the leases of `owner`'s claims; returns the keys it holds (a claim taken over by another run
        once its lease ran out is not among them)."""
        with self._transaction("renew claims in"):
            return {key for (key,) in self._db.execute("UPDATE claims SET expires = ? WHERE owner = ? RETURNING key",
                                                        (time.time() + lease_s, owner)).fetchall()}

    def release_claims(self, owner: str) -> None:
        """Drop `owner`'s remaining claims (games it will not send after all). If the store cannot be written,
        the claims still count as released for runs of this process, and for others once their lease expires."""
        _OWNERS_HERE.discard(owner)
        if self.failed:  # another write would wait for the same lock or fail on the same disk
            return
        with self._transaction("release claims in"):
            self._db.execute("DELETE FROM claims WHERE owner = ?", (owner,))

    # -- runs (provenance) ---------------------------------------------------------------------------

    def start_run(self, run_id: str, provenance: dict[str, Any]) -> None:
        """Record a run's provenance (columns of the `runs` table; `engine_settings` may be a dict)."""
        values = {**provenance, "id": run_id, "status": RUNNING, "started_at": time.time(), "host": HOST,
                  "pid": os.getpid()}
        if isinstance(values.get("engine_settings"), dict):
            values["engine_settings"] = json.dumps(values["engine_settings"], sort_keys=True, default=str)
        names = ", ".join(values)
        with self._transaction("record the run in"):
            self._db.execute(f"INSERT INTO runs ({names}) VALUES ({', '.join(':' + n for n in values)})", values)

    def finish_run(self, run_id: str, status: str, counts: dict[str, Any]) -> None:
        """Record how a run ended ('finished', 'interrupted', 'failed') and its counts (RUN_COUNTS, and
        `planned` when given: a run in rounds learns it at the end); skipped after a failed write (the run stays
        'running' in the store, and reads as 'killed' once its process has ended)."""
        if self.failed:
            return
        values = {name: counts.get(name) for name in RUN_COUNTS}
        if "planned" in counts:
            values["planned"] = counts["planned"]
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        with self._transaction("record the run in"):
            self._db.execute(f"UPDATE runs SET status = :status, ended_at = :now, {assignments} WHERE id = :id",
                             {**values, "status": status, "now": time.time(), "id": run_id})

    def mark_run_failed(self, run_id: str) -> None:
        """Record a run that recorded its end as 'failed' after all: its results could not be written."""
        with self._transaction("record the run in"):
            self._db.execute("UPDATE runs SET status = 'failed' WHERE id = ?", (run_id,))

    def runs(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """The runs that stored the judgments of `keys` (all runs when None), oldest first.

        A run 'running' whose process is gone (`process_gone`) reads as 'killed': it ended without recording
        its end. This is derived when reading, not written, so that a reader without write access sees it too.
        """
        with self._guard("read"):
            frame = pd.read_sql_query("SELECT * FROM runs ORDER BY started_at", self._db)
            if keys is not None:
                ids = {run for (run,) in self._select_in("SELECT DISTINCT run_id FROM judgments WHERE key IN",
                                                         list(keys))}
                frame = frame[frame["id"].isin(ids)]
        frame = frame.reset_index(drop=True)
        frame["status"] = [KILLED if status == RUNNING and pd.notna(pid) and process_gone(str(host), int(pid))
                           else status for status, host, pid in zip(frame["status"], frame["host"], frame["pid"],
                                                                    strict=True)]
        return frame

    def record_plan(self, judge: str, template: str, games: pd.DataFrame, plan: dict[str, Any],
                    run_id: str | None, *, replace: bool = True) -> None:
        """Record how an adaptive or tournament run rated the ok `games` of `judge` and `template` it chose:
        `plan` holds its leaderboard meta's `adaptive` entry (the plan and its design-bias correction), `method`,
        `interval` and `swap` (the swap policy whose outcomes the correction is for; records before it have
        none). A later record of the same games replaces it, keeping the run that judged them when the later one
        sent nothing (`run_id` None), unless `replace` is False: an interrupted run's plan so far, uncorrected,
        never replaces the record of a run that finished those games."""
        update = ("DO UPDATE SET run_id = coalesce(excluded.run_id, plans.run_id), "
                  "recorded_at = excluded.recorded_at, plan = excluded.plan") if replace else "DO NOTHING"
        with self._transaction("record the plan in"):
            self._db.execute(f"INSERT INTO plans VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT {update}",
                             (games_sha256(games), judge, template, run_id, time.time(),
                              json.dumps(plan, sort_keys=True, default=str)))

    def plans(self, judge: str, template: str) -> list[dict[str, Any]]:
        """The plans (`record_plan`'s `adaptive` entries) recorded for this judge and template, the latest first."""
        if "plans" not in self._tables():  # a read-only store of schema 4 or older
            return []
        with self._guard("read"):
            rows = self._db.execute("SELECT plan FROM plans WHERE judge = ? AND template = ? ORDER BY recorded_at "
                                    "DESC", (judge, template)).fetchall()
        return [plan for plan in (json.loads(row[0]).get("adaptive") for row in rows) if plan is not None]

    def plan_of(self, judgments: pd.DataFrame) -> tuple[dict[str, Any] | None, str | None]:
        """The recorded plan (`record_plan`) whose games are exactly the ok games of `judgments` (stored
        judgments of one judge and template), and a warning when there is none but a plan chose some of these
        judgments and the others do not complete every pair (a complete design chose nothing): their ratings
        are then not corrected for that choice."""
        if judgments.empty or "plans" not in self._tables():  # a read-only store of schema 4 or older
            return None, None
        judge, template = str(judgments["judge"].iloc[0]), str(judgments["template"].iloc[0])
        with self._guard("read"):
            recorded = self._db.execute("SELECT games_sha256, plan FROM plans WHERE judge = ? AND template = ? "
                                        "ORDER BY recorded_at DESC", (judge, template)).fetchall()
        if not recorded:
            return None, None
        games = judgments[judgments["status"] == OK]
        plans = {sha: json.loads(plan) for sha, plan in recorded}
        found = plans.get(games_sha256(games))
        if found is not None or every_pair_judged(games):
            return found, None
        latest = next(iter(plans.values()))["adaptive"]
        chose = (f"the {latest['strategy']} plan of a run ({latest['calls']:,} calls)" if len(plans) == 1 else
                 f"the adaptive or tournament plans of {len(plans)} runs (the latest: {latest['strategy']}, "
                 f"{latest['calls']:,} calls)")
        return None, (f"{chose} chose some of the {len(games):,} judgments rated here and others are not of "
                      f"{'that plan' if len(plans) == 1 else 'any one of them'}, so these ratings are not corrected "
                      "for the choice of pairs (a run's results folder, unless a later run wrote over it, has its "
                      f"ratings corrected: {rate_results()})")

    def servers(self, keys: Iterable[str]) -> dict[str | None, int]:
        """server -> number of stored judgments among `keys` (None: stored before servers were recorded)."""
        counts: dict[str | None, int] = {}
        with self._guard("read"):
            for (server,) in self._select_in("SELECT server FROM judgments WHERE key IN", list(keys)):
                counts[server] = counts.get(server, 0) + 1
        return counts

    # -- reading -------------------------------------------------------------------------------------

    def _select_in(self, query: str, keys: list[str], params: Sequence[Any] = ()) -> Iterator[tuple]:
        """Rows of `query ( ?, ?, ... )` over `keys`, in chunks below SQLite's parameter limit; `params` fill the
        query's own placeholders, before the list."""
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            yield from self._db.execute(f"{query} ({','.join('?' * len(chunk))})", [*params, *chunk])

    def statuses(self, keys: Iterable[str]) -> dict[str, tuple[str, int]]:
        """key -> (status, attempts) for the stored keys among `keys`."""
        with self._guard("read"):
            return {key: (status, attempts) for key, status, attempts in
                    self._select_in("SELECT key, status, attempts FROM judgments WHERE key IN", list(keys))}

    def cut_off(self, keys: Iterable[str]) -> set[str]:
        """The stored keys among `keys` unparsed because the judge's token limit ended its output before a verdict
        (`verdicts.is_token_limit_error`), which `keys_to_send` does not send again."""
        with self._guard("read"):
            return {key for key, error in
                    self._select_in("SELECT key, error FROM judgments WHERE status = ? AND key IN", list(keys),
                                    (UNPARSED,))
                    if is_token_limit_error(error)}

    def failures(self, keys: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """key -> (error, run_id) for the stored failed keys among `keys`: why each failed, and the run that
        stored it."""
        with self._guard("read"):
            return {key: (error, run_id) for key, error, run_id in
                    self._select_in("SELECT key, error, run_id FROM judgments WHERE status = ? AND key IN", list(keys),
                                    (FAILED,))}

    def stored_at(self, keys: Iterable[str]) -> dict[str, float]:
        """key -> when its judgment as it stands was stored (`updated_at`: an ok row is never written again), for
        the stored keys among `keys`."""
        with self._guard("read"):
            return {key: float(at) for key, at in
                    self._select_in("SELECT key, updated_at FROM judgments WHERE key IN", list(keys))}

    def other_versions(self, games: pd.DataFrame, judge: str, template: str) -> int:
        """How many of `games` (key, question_id, first, second: a plan's games about to be sent) the store holds
        judged under another key by `judge` and `template`, with a verdict or a reply: the same game sent as
        another request (other answers, template text or sampling), which `require_one_measurement` refuses to
        rate beside the new one."""
        questions = sorted(set(games["question_id"]))  # only their rows are read: a round of a large store's run
        with self._guard("read"):  # read them all, 2 s for a million judgments, and a run in rounds at each round
            rows = list(self._select_in("SELECT key, question_id, first, second FROM judgments WHERE judge = ? AND "
                                        "template = ? AND status IN (?, ?) AND question_id IN", questions,
                                        (judge, template, OK, UNPARSED)))
        held = pd.DataFrame(rows, columns=["key", "question_id", "first", "second"])
        held = held[~held["key"].isin(games["key"])]
        return len(games.merge(held.drop(columns="key"), on=["question_id", "first", "second"]).drop_duplicates())

    def judgments(self, keys: Iterable[str] | None = None, judge: str | None = None,
                  template: str | None = None) -> pd.DataFrame:
        """Stored judgments (all columns but the request), optionally only `keys` (then in the order of `keys`:
        a run's judgments.jsonl lists its games in plan order, the order its online Elo rated them, so that a
        refit from the file rates them in the same order), a judge or a template (its name); else in the order
        stored.

        One row per game: a judgment that several games share (the same request: identical answers) is listed
        for each of them (`every_game`). `template_hash` is the hash of the template whose verdict table read
        each judgment (that of the run that stored it; None in stores older than the runs table). The stored
        verdicts are given as stored: reading them with another template file's verdicts is its caller's
        (`datasets.sources.store_judgments`), since the store does not read verdicts.
        """
        return self.every_game(self.judgment_rows(keys, judge, template))

    def judgment_rows(self, keys: Iterable[str] | None = None, judge: str | None = None,
                      template: str | None = None) -> pd.DataFrame:
        """`judgments` with one row per stored judgment (key), not yet one per game (`every_game`)."""
        columns = ", ".join(f"judgments.{c}" for c in (*_COLUMNS, "attempts") if c != "request")
        columns += ", judgments.attempts_cost" if self.has_attempts_cost else ", NULL AS attempts_cost"
        query = (f"SELECT {columns}, runs.template_hash FROM judgments LEFT JOIN runs ON runs.id = judgments.run_id "
                 "WHERE 1=1")
        args = list[str]()
        if judge is not None:
            query, args = query + " AND judgments.judge = ?", [*args, judge]
        if template is not None:
            query, args = query + " AND judgments.template = ?", [*args, template]
        with self._guard("read"):
            frame = pd.read_sql_query(query + " ORDER BY judgments.created_at, judgments.key", self._db, params=args)
        if keys is not None:
            position = {key: k for k, key in enumerate(dict.fromkeys(keys))}
            frame = frame[frame["key"].isin(position)]
            frame = frame.iloc[frame["key"].map(position).argsort(kind="stable")]
        return frame.reset_index(drop=True)

    def every_game(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`frame` (one row per stored judgment of this store: `judgment_rows`) with a row for each game that
        shares a judgment (shared_games), after the game that stored it (records.per_game)."""
        if not self.has_shared_games:
            return frame.assign(shared_call=False)
        with self._guard("read"):
            shared = pd.read_sql_query(f"SELECT {', '.join(GAME_KEYS)} FROM shared_games", self._db)
        shared = shared[shared["key"].isin(frame["key"])]
        if shared.empty:
            return frame.assign(shared_call=False)
        games = pd.concat([frame[GAME_KEYS], shared], ignore_index=True).drop_duplicates()
        position = pd.Series(range(len(frame)), index=frame["key"])
        return per_game(frame, games.iloc[games["key"].map(position).argsort(kind="stable")])

    def measurements(self) -> list[tuple[str, str]]:
        """The (judge, template) pairs that stored judgments have, of every status, sorted."""
        with self._guard("read"):
            rows = self._db.execute("SELECT DISTINCT judge, template FROM judgments ORDER BY judge, template")
            return [(str(judge), str(template)) for judge, template in rows.fetchall()]

    def games(self, judge: str | None = None, template: str | None = None) -> pd.DataFrame:
        """The ok games (question_id, first, second, p_first, weight) of one judge and template (its name), as
        `measured_games` takes them from `judgments`."""
        return measured_games(self.judgments(judge=judge, template=template), judge, template, self)


def measured_games(judgments: pd.DataFrame, judge: str | None, template: str | None, store: Store) -> pd.DataFrame:
    """The ok games (question_id, first, second, p_first, weight) of `judgments` (one judge and template's, of
    `store`: `Store.judgments`, or `datasets.sources.store_judgments` for a template file).

    When they hold several judges or templates and none is named, or versions of one template, that is an
    input error: mixing them would mix different measurements (`require_one_measurement`).
    """
    judgments = judgments[judgments["status"] == OK]
    require_one_measurement(judgments, judge, template, store)
    return judgments[GAME_FIELDS].reset_index(drop=True)

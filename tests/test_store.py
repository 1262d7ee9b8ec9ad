"""The store on real SQLite files: schema migration from every earlier version, refusal of unknown versions,
claims shared by several connections (as several processes hold them), provenance, and storage faults that can
be made without mounting anything (fast tier; the mounted-filesystem faults are in tests/test_run_e2e.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace

import pandas as pd
import pytest

from judgebench import store as store_module
from judgebench.config import JudgeConfig
from judgebench.errors import InputError, StorageError
from judgebench.present import ESTIMATED_COST
from judgebench.runner import plan_cost
from judgebench.store import SCHEMA_VERSION, JudgmentRow, Store
from tests.support.stores import keys_a_run_sends

# The first released schema, copied from the version-1 judgebench/store.py (git history), without `truncated`.
V1_SQL = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE judgments (
    key TEXT PRIMARY KEY, question_id TEXT NOT NULL, first TEXT NOT NULL, second TEXT NOT NULL,
    judge TEXT NOT NULL, template TEXT NOT NULL, status TEXT NOT NULL, label TEXT, p_first REAL, weight REAL,
    raw TEXT, logprobs TEXT, error TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, cost REAL,
    latency_s REAL, attempts INTEGER NOT NULL, request TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL
);
CREATE INDEX judgments_by_judge ON judgments (judge, template, status);
INSERT INTO meta VALUES ('schema_version', '1');
INSERT INTO judgments (key, question_id, first, second, judge, template, status, label, p_first, weight,
    attempts, created_at, updated_at)
VALUES ('k-old', 'q1', 'a', 'b', 'j', 'pairwise-5', 'ok', 'A>B', 0.75, 1.0, 1, 1.0, 1.0);
"""


def _old_store(path, *, with_truncated: bool = False):
    db = sqlite3.connect(path)
    db.executescript(V1_SQL)
    if with_truncated:  # the version-1 stores written after `truncated` was added without a new version
        db.execute("ALTER TABLE judgments ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0")
    db.commit()
    db.close()
    return path


def _row(key, status="ok", **extra):
    return JudgmentRow(key=key, question_id="q1", first="a", second="b", judge="j", template="pairwise-5",
                       status=status, label="A>B" if status == "ok" else None,
                       p_first=1.0 if status == "ok" else None, weight=1.0, **extra)


@pytest.mark.parametrize("with_truncated", [False, True])
def test_version_1_store_is_copied_then_migrated_in_place(tmp_path, with_truncated):
    path = _old_store(tmp_path / "old.sqlite", with_truncated=with_truncated)
    with Store(path) as store:
        frame = store.judgments()
        assert list(frame["key"]) == ["k-old"] and frame["truncated"].tolist() == [0]
        assert store.servers(["k-old"]) == {None: 1}  # made before servers were recorded
        assert keys_a_run_sends(store, ["k-old", "k-new"]) == {"k-new"}  # never paid for again
        store.put(replace(_row("k-new", server="http://127.0.0.1:1/v1", run_id="r1"), question_id="q2"))
        assert len(store.games()) == 2
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION) == "6"
    backup = sqlite3.connect(tmp_path / "old.sqlite.v1.bak")
    assert backup.execute("SELECT value FROM meta").fetchone()[0] == "1"
    assert backup.execute("SELECT key FROM judgments").fetchall() == [("k-old",)]
    Store(path).close()  # opening a current store again changes nothing and makes no further copy
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak" in p.name) == ["old.sqlite.v1.bak"]


def test_a_judgment_keeps_what_every_attempt_of_it_cost(tmp_path):
    """The store kept a judgment's last attempt's cost and the number of attempts, and a dollar budget's plan
    priced every attempt at the last one's: a rerun that sent nothing reported another plan cost, and a dear
    attempt before a cheap verdict was undercounted. Now `attempts_cost` keeps what every attempt cost in all: a
    failed one without a reply's usage nothing, an answer without token usage unknown (null), an ok row kept."""
    with Store(tmp_path / "s.sqlite") as store:
        store.put(_row("dear-then-cheap", status="unparsed", cost=0.5))
        store.put(_row("dear-then-cheap", cost=0.125))
        store.put(_row("dear-then-cheap", cost=9.0))  # an ok judgment is never replaced, nor its cost added to
        store.put(_row("failed-then-ok", status="failed", prompt_tokens=None, completion_tokens=None))
        store.put(_row("failed-then-ok", cost=0.25))
        store.put(_row("no-usage-then-ok", status="unparsed", prompt_tokens=None, completion_tokens=None))
        store.put(_row("no-usage-then-ok", cost=0.25))
        costs = store.judgments().set_index("key")
    assert costs.loc["dear-then-cheap", ["attempts", "attempts_cost"]].tolist() == [2, 0.625]
    assert costs.loc["failed-then-ok", ["attempts", "attempts_cost"]].tolist() == [2, 0.25]
    assert costs.loc["no-usage-then-ok", "attempts"] == 2 and pd.isna(costs.loc["no-usage-then-ok", "attempts_cost"])


def test_a_version_5_store_keeps_the_cost_of_judgments_asked_once_and_leaves_the_others_unknown(tmp_path):
    """A store written before `attempts_cost`: a judgment asked once cost what its attempt did (a failed one
    nothing); one asked more often paid for attempts whose cost was not kept (null: a plan estimates it). Read
    as it is where the user cannot write it, every one is unknown."""
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.put(_row("once", cost=0.25))
        store.put(_row("failed", status="failed", prompt_tokens=None, completion_tokens=None))
        store.put(_row("unpriced"))
        store.put(_row("twice", status="unparsed", cost=0.5))
        store.put(_row("twice", cost=0.25))
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE judgments DROP COLUMN attempts_cost")
    db.execute("UPDATE meta SET value = '5' WHERE name = 'schema_version'")
    db.commit()
    db.close()
    path.chmod(0o444)
    with Store(path, must_exist=True, reading=True) as store:
        assert store.judgments()["attempts_cost"].isna().all()
    path.chmod(0o644)
    with Store(path) as store:
        costs = store.judgments().set_index("key")["attempts_cost"]
    assert costs[["once", "failed"]].tolist() == [0.25, 0.0] and costs[["unpriced", "twice"]].isna().all()
    assert _version(path) == str(SCHEMA_VERSION) and _version(tmp_path / "s.sqlite.v5.bak") == "5"


def test_new_store_equals_a_migrated_one(tmp_path):
    Store(tmp_path / "new.sqlite").close()
    Store(_old_store(tmp_path / "old.sqlite")).close()

    def tables(path):
        db = sqlite3.connect(path)
        return {name: [row[1:3] for row in db.execute(f"PRAGMA table_info({name})")]
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    assert tables(tmp_path / "new.sqlite") == tables(tmp_path / "old.sqlite")
    assert {"meta", "judgments", "runs", "claims"} <= set(tables(tmp_path / "new.sqlite"))


@pytest.mark.parametrize(("version", "message"), [("99", "schema version 99 is not supported"),
                                                  ("banana", "'banana' is not a version number"),
                                                  ("0", "schema version 0 is not supported")])
def test_newer_or_garbage_versions_are_refused_with_one_message(tmp_path, version, message):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = ? WHERE name = 'schema_version'", (version,))
    db.commit()
    db.close()
    with pytest.raises(InputError, match=message) as caught:
        Store(path)
    assert caught.value.exit_code == 2 and str(path) in str(caught.value)
    assert not list(tmp_path.glob("*.bak"))


def test_other_databases_and_a_directory_are_refused(tmp_path):
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.commit()
    with pytest.raises(InputError, match="not a judgebench store"):
        Store(other)
    (tmp_path / "dir.sqlite").mkdir()
    with pytest.raises(StorageError, match="is a directory") as caught:
        Store(tmp_path / "dir.sqlite")
    assert caught.value.exit_code == 5


def test_claims_keep_a_game_with_one_owner_until_stored_or_expired(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as first, Store(path) as second:
        keys = ["k1", "k2", "k3"]
        assert first.claim(keys, "run-a", lease_s=60).claimed == keys
        taken = second.claim(keys, "run-b", lease_s=60)
        assert taken.busy == keys and not taken.claimed
        first.put_many([_row("k1"), _row("k2", "failed")], owner="run-a")  # stores and releases together
        again = second.claim(keys, "run-b", lease_s=60)
        assert again.done == ["k1"] and again.claimed == ["k2"] and again.busy == ["k3"]
        assert first.renew_claims("run-a", lease_s=0.0) == {"k3"}  # run-a's lease on k3 now expires at once
        time.sleep(0.01)
        assert second.claim(["k3"], "run-b", lease_s=60).claimed == ["k3"]
        second.release_claims("run-b")
        assert first.claim(["k2", "k3"], "run-a", lease_s=60).claimed == ["k2", "k3"]


def test_claims_of_a_process_that_no_longer_exists_are_taken_over_at_once(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: no process has this pid now (pids are not reused this quickly)
    with Store(tmp_path / "s.sqlite") as store:
        assert store.claim(["k1"], "dead-run", lease_s=3600, pid=gone.pid).claimed == ["k1"]
        assert store.claim(["k1"], "live-run", lease_s=60).claimed == ["k1"]


def test_claims_of_a_process_in_another_pid_namespace_wait_for_their_lease(tmp_path, monkeypatch):
    """A container that shares the store and the host's name (docker --network host) numbers its processes
    apart: its run's pid names no process here, or another one. Its claims are kept until their lease expires,
    not taken over at once as a dead process's are (that paid for its games twice). The one fake: the other
    namespace's claim is written with its host string set by hand, since creating a PID namespace (unshare -p)
    needs privileges a CI machine may not give; the pid it names is a real one that has ended here."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with Store(tmp_path / "s.sqlite") as store:
        assert store_module.HOST.startswith(socket.gethostname() + "/pidns:")  # Linux: this namespace's
        monkeypatch.setattr(store_module, "HOST", f"{socket.gethostname()}/pidns:1")  # the other container's
        assert store.claim(["k1"], "container-run", lease_s=3600, pid=gone.pid).claimed == ["k1"]
        monkeypatch.undo()
        assert store.claim(["k1"], "live-run", lease_s=60).busy == ["k1"]
        # a claim recorded by the host's name alone (by an earlier judgebench) is looked up here, as it was then
        monkeypatch.setattr(store_module, "HOST", socket.gethostname())
        assert store.claim(["k2"], "old-run", lease_s=3600, pid=gone.pid).claimed == ["k2"]
        monkeypatch.undo()
        assert store.claim(["k2"], "live-run", lease_s=60).claimed == ["k2"]


def test_runs_record_provenance_and_the_judgments_name_them(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.start_run("r1", {"judge": "j", "engine": "openai", "server": "http://h:1/v1", "model": "m",
                               "engine_settings": {"concurrency": 4}, "planned": 2})
        store.put(_row("k1", server="http://h:1/v1", run_id="r1"))
        store.finish_run("r1", "finished", {"sent": 1, "ok": 1, "cost": 0.5})
        store.start_run("r2", {"judge": "j", "server": "http://h:2/v1"})
        store.put(_row("k2", server="http://h:2/v1", run_id="r2"))
        runs = store.runs(["k1"])
        assert runs["id"].tolist() == ["r1"]
        run = runs.iloc[0]
        assert (run["status"], run["sent"], run["ok"], run["cost"]) == ("finished", 1, 1, 0.5)
        assert run["planned"] == 2  # recorded at the start, kept at the finish
        assert run["ended_at"] >= run["started_at"] and run["engine_settings"] == '{"concurrency": 4}'
        assert store.runs()["id"].tolist() == ["r1", "r2"]
        assert store.servers(["k1", "k2"]) == {"http://h:1/v1": 1, "http://h:2/v1": 1}


def test_a_plan_is_found_again_by_the_games_it_rated_and_only_by_them(tmp_path):
    """An adaptive run records its plan by the games it rated; reading the store finds it from the judgments of
    exactly those games (in any order, failed ones aside), warns when a plan chose only some of them, and finds
    nothing for another judge."""
    plan = {"adaptive": {"strategy": "adaptive", "calls": 2, "design_bias": {"elo": {"a": 1.5}, "replays": 20}},
            "method": "bt", "interval": "sandwich"}
    with Store(tmp_path / "s.sqlite") as store:
        store.put(_row("k1"))
        store.put(replace(_row("k2"), first="b", second="a", label="B>A", p_first=0.0))
        store.put(replace(_row("k3", status="failed"), question_id="q2"))
        store.put(replace(_row("k4"), second="c"))
        store.record_plan("j", "pairwise-5", store.games(), plan, "r1")
        judgments = store.judgments()
        assert store.plan_of(judgments.iloc[::-1]) == (plan, None)  # the failed game is not rated: no matter
        assert store.plan_of(judgments.assign(judge="other")) == (None, None)  # no plan of that judge
        store.record_plan("j", "pairwise-5", store.games(), plan, None)  # a rerun that sent nothing
        assert store._db.execute("SELECT run_id FROM plans").fetchall() == [("r1",)]  # keeps who judged them
        store.put(replace(_row("k5"), question_id="q3"))
        found, warning = store.plan_of(store.judgments())
        assert found is None and "plan of a run (2 calls) chose some of the 4 judgments rated here" in warning
        other = {**plan, "adaptive": {**plan["adaptive"], "strategy": "tournament", "calls": 4}}
        store.record_plan("j", "pairwise-5", store.games().iloc[1:], other, "r2")  # another run's, of other games
        assert store.plan_of(store.judgments())[1].startswith(
            "the adaptive or tournament plans of 2 runs (the latest: tournament, 4 calls) chose some of the 4")
        store._db.execute("DELETE FROM plans WHERE run_id = 'r2'")
        # every pair of a, b and c on q1 and q3: a complete design, which no plan shaped, needs no warning
        for key, question, first, second in (("k6", "q3", "a", "c"), ("k7", "q3", "b", "c"), ("k8", "q1", "b", "c")):
            store.put(replace(_row(key), question_id=question, first=first, second=second))
        assert store.plan_of(store.judgments()) == (None, None)


def _run_statuses(store: Store) -> dict[str, str]:
    runs = store.runs()
    return dict(zip(runs["id"], runs["status"], strict=True))


def test_a_run_whose_process_was_killed_reads_as_killed(tmp_path):
    """A run's row says 'running' until the run records its end; a process killed with SIGKILL never does, so
    reading the runs tells it from a live one by its process (same host, pid gone), without rewriting the row."""
    path = tmp_path / "s.sqlite"
    victim = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from judgebench.store import Store\n"
                               "with Store(sys.argv[1]) as store:\n"
                               "    store.start_run('victim', {'judge': 'j'})\n"
                               "print('started', flush=True)\n"
                               "time.sleep(600)\n", str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout is not None and victim.stdout.readline() == "started\n"
        with Store(path) as store:
            store.start_run("here", {"judge": "j"})  # this process's, still running
            store.start_run("elsewhere", {"judge": "j"})
            with sqlite3.connect(path) as db:  # a run of another host: whether it lives is not known here
                db.execute("UPDATE runs SET host = 'another-host', pid = ? WHERE id = 'elsewhere'", (victim.pid,))
            assert _run_statuses(store) == {"victim": "running", "here": "running", "elsewhere": "running"}
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)  # reaped, as the shell that started it would
            assert _run_statuses(store) == {"victim": "killed", "here": "running", "elsewhere": "running"}
        with sqlite3.connect(path) as db:  # derived when read: the row itself is left as the run wrote it
            assert db.execute("SELECT status FROM runs WHERE id = 'victim'").fetchone() == ("running",)
    finally:
        if victim.poll() is None:
            victim.kill()
        victim.wait(10)


def test_a_store_locked_too_long_is_a_storage_error(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path, busy_timeout_s=0.2) as store:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError, match="locked by another process for more than 0.2 s") as caught:
            store.put(_row("k1"))
        holder.execute("ROLLBACK")
        assert caught.value.exit_code == 5
        store.put(_row("k1"))
        assert keys_a_run_sends(store, ["k1"]) == set()


def test_judgments_of_given_keys_come_in_the_order_of_the_keys(tmp_path):
    """A run's judgments (judgments.jsonl) are in plan order, the order its online Elo rated the games, so that
    a refit from the file gives the run's ratings; stored in one commit, they would otherwise come by key."""
    with Store(tmp_path / "s.sqlite") as store:
        store.put_many([_row(key) for key in ("k1", "k2", "k3", "k4")], owner="run-a")
        assert list(store.judgments(["k3", "k1", "k4", "k2", "k3"])["key"]) == ["k3", "k1", "k4", "k2"]
        assert list(store.judgments()["key"]) == ["k1", "k2", "k3", "k4"]  # without keys: as stored


def test_a_template_file_reads_each_stored_reply_once_for_every_game_that_shares_it(tmp_path, monkeypatch):
    """`--store --template FILE` reads the stored replies with the file's verdicts (`store_judgments`: the
    store gives them as stored). Games with one request (identical answers) share one stored reply: it is read
    once, before each game gets its row, and every game gets what reading its own copy of the row gives."""
    from pathlib import Path

    import pandas as pd

    from judgebench import verdicts
    from judgebench.datasets.sources import store_judgments
    from judgebench.prompts import load_template

    text = (Path(__file__).resolve().parents[1] / "prompts" / "pairwise-5.toml").read_text()
    weighted = tmp_path / "weighted.toml"
    weighted.write_text(text[:text.index("[verdicts]")] + '[verdicts]\n"[[A>>B]]" = { p_first = 1.0, weight = 3 }\n'
                        '"[[A>B]]" = { p_first = 0.9 }\n"[[B>A]]" = { p_first = 0.1 }\n')
    with Store(tmp_path / "s.sqlite") as store:
        store.put_many([replace(_row(f"k{n}", raw=raw), question_id=f"q{n}")
                        for n, raw in enumerate(("Clearly [[A>>B]]", "[[A=B]]", "[[B>A]]"))])
        store.share_games([("k0", "q0", "b", "a"), ("k1", "q1", "b", "a"), ("k1", "q1", "c", "a")])
        parse = verdicts.parse_completion
        parsed = []
        monkeypatch.setattr(verdicts, "parse_completion", lambda *args: parsed.append(args) or parse(*args))
        read = store_judgments(store, None, str(weighted))
        assert len(parsed) == 3  # one per stored reply, not one per game (6)
        each_copy = verdicts.read_stored(store.judgments(template="pairwise-5"), load_template(weighted),
                                         store.path)
        pd.testing.assert_frame_equal(read, each_copy)
        shown = read[["question_id", "first", "status", "p_first", "weight", "shared_call"]].fillna({"p_first": -1})
        assert shown.values.tolist() == [  # the file's verdicts (p_first -1: none)
            ["q0", "a", "ok", 1.0, 3.0, False], ["q0", "b", "ok", 1.0, 3.0, True],
            ["q1", "a", "unparsed", -1, 1.0, False], ["q1", "b", "unparsed", -1, 1.0, True],
            ["q1", "c", "unparsed", -1, 1.0, True], ["q2", "a", "ok", 0.1, 1.0, False]]
        assert store.judgments(template=str(weighted)).empty  # the store filters by a template's name only


def _as_version_3(path):
    """A current store turned into a schema-3 one (the version before `shared_games`)."""
    db = sqlite3.connect(path)
    db.execute("DROP TABLE shared_games")
    db.execute("UPDATE meta SET value = '3' WHERE name = 'schema_version'")
    db.commit()
    db.close()
    return path


def _version(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]
    finally:
        db.close()


def test_a_store_the_user_cannot_write_is_read_as_it_is(tmp_path):
    """The reviewer's case: a schema-3 store with mode 444. Reading it (leaderboard) took the migration's write
    transaction: exit 5 for its owner's colleagues, and a .v3.bak left behind (root, whom modes do not stop,
    migrated it). It is opened read-only and read as it is, with its games; nothing is written."""
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.put(_row("k1"))
        store.put(JudgmentRow(key="k2", question_id="q1", first="b", second="a", judge="j", template="pairwise-5",
                              status="ok", label="B>A", p_first=0.0, weight=1.0))
    _as_version_3(path).chmod(0o444)
    old = _old_store(tmp_path / "v1.sqlite")
    old.chmod(0o444)
    done = subprocess.run([sys.executable, "-m", "judgebench.cli", "leaderboard", "--store", str(path), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _version(path) == "3" and not list(tmp_path.glob("*.bak"))
    with Store(path, must_exist=True, reading=True) as store:
        assert store.games()[["first", "p_first"]].values.tolist() == [["a", 1.0], ["b", 0.0]]
    with Store(old, must_exist=True, reading=True) as store:  # older still: read from a migrated copy in memory
        assert list(store.judgments()["key"]) == ["k-old"] and store.runs().empty
    assert (_version(path), _version(old)) == ("3", "1")
    assert not list(tmp_path.glob("*.bak"))


def test_a_store_in_a_folder_the_user_cannot_write_is_read(tmp_path):
    """Another user's store in a shared results folder: neither the folder nor the file writable here. Root is
    made such a user by dropping the capabilities that let it ignore file modes (setpriv, util-linux). SQLite
    reports the folder as SQLITE_READONLY_DIRECTORY, which was not taken for a folder it cannot write: exit 5,
    "make it writable". The store is read as immutable (no -wal file: everything is in the store file)."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.fail("setpriv is missing: it is part of util-linux, an essential package of every Debian")
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "s.sqlite"
    with Store(path) as store:
        store.put(_row("k1"))
        store.put(replace(_row("k2"), first="b", second="a", label="B>A", p_first=0.0))
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        # root drops the capabilities that let it ignore file modes; another user is stopped by the modes
        as_user = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*as_user, sys.executable, "-m", "judgebench.cli", "leaderboard", "--store", str(path),
                               "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    finally:
        folder.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]["n_outcomes"] == 1
    assert sorted(p.name for p in folder.iterdir()) == ["s.sqlite"]


def test_a_good_backup_is_kept_and_a_copy_of_another_version_is_not_installed(tmp_path):
    """The version is read, and the copy taken, outside any transaction: a process that opened an old store just
    after another migrated it copied a version-4 store over the version-1 backup. A backup that holds its
    version is kept (it may be another store's: this one's copy goes beside it, time-stamped); a copy that does
    not hold the version read is not installed."""
    path = _old_store(tmp_path / "old.sqlite")
    backup = tmp_path / "old.sqlite.v1.bak"
    shutil.copy(path, backup)
    db = sqlite3.connect(backup)
    db.execute("INSERT INTO meta VALUES ('taken_by', 'the first process')")
    db.commit()
    db.close()
    Store(path).close()
    assert _version(path) == str(SCHEMA_VERSION) and _version(backup) == "1"
    assert sqlite3.connect(backup).execute("SELECT value FROM meta WHERE name = 'taken_by'").fetchone()
    (beside,) = tmp_path.glob("old.sqlite.v1.*Z.*.bak")
    assert _version(beside) == "1"
    assert not sqlite3.connect(beside).execute("SELECT value FROM meta WHERE name = 'taken_by'").fetchone()
    backup.unlink()
    beside.unlink()
    with Store(path) as store:  # as a process that read version 1 before another migrated the store
        store._backup(1)
    assert not backup.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["old.sqlite"]


def test_one_game_under_two_requests_names_a_version_stored_before_runs_were_recorded(tmp_path):
    # one request's judgment stored by a recorded run, the other's by a judgebench that recorded no runs (an
    # upgraded old store): the refusal listed the one run alone, and the user could not see the other version
    with Store(tmp_path / "s.sqlite") as store:
        store.start_run("run-new", {"judgebench_version": "9.9", "template_hash": "abcdef0123456789"})
        store.put(_row("k-new", run_id="run-new"))
        store.put(_row("k-old"))  # the same game (q1: a before b), another request, no run
        with pytest.raises(InputError) as refused:
            store.games()
    said = str(refused.value)
    assert "run-new (started" in said and "judgebench 9.9, template abcdef012345" in said
    assert said.index("run-new") < said.index("stored before judgebench recorded its runs")


def test_a_plan_prices_an_old_stores_failed_call_at_nothing_and_names_why_each_cost_is_estimated(tmp_path):
    """A plan priced a failed judgment of a store older than `attempts_cost`, asked twice without a reply, as an
    answer: at the mean of the answered calls, twice, and labelled it "answered without token usage". A failed
    call without a reply is not billed (`runner.Tally`): it costs nothing, under its own reason. And a new store's
    judgment whose first attempt was answered without token usage was labelled as stored before the store kept
    every attempt's cost: its label now names the attempt of unknown cost, either way."""
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.put(_row("answered", cost=0.01, prompt_tokens=100, completion_tokens=10))
        for _ in range(2):
            store.put(_row("failed-twice", status="failed", prompt_tokens=None, completion_tokens=None))
    db = sqlite3.connect(path)
    db.execute("UPDATE judgments SET attempts_cost = NULL WHERE key = 'failed-twice'")  # as the migration left it
    db.commit()
    db.close()
    with Store(path) as store:
        cost = plan_cost(store.judgments(), JudgeConfig(model="m"))
    assert cost.usd == pytest.approx(0.01) and cost.estimated == {"failed": 1}
    assert "priced at nothing" in ESTIMATED_COST["failed"]
    with Store(tmp_path / "new.sqlite") as store:
        store.put(_row("no-usage-then-ok", status="unparsed", prompt_tokens=None, completion_tokens=None))
        store.put(_row("no-usage-then-ok", cost=0.25))
        cost = plan_cost(store.judgments(), JudgeConfig(model="m"))
    assert cost.usd == 0.5 and cost.estimated == {"attempts": 1}
    assert "answered without token usage" in ESTIMATED_COST["attempts"]

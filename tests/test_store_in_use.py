"""A store changed under a run that uses it: its games taken over by another run while it was suspended past its
lease (Ctrl-Z, `kill -STOP`, a laptop asleep), its file deleted or moved."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli_runs import judgebench, write_config

# `judgebench ARGS...` with a lease of 1.5 s (renewed every 0.5 s) instead of a minute.
SHORT_LEASE = "import judgebench.runner as runner\nrunner.LEASE_S = 1.5\nfrom judgebench import cli\ncli.main()\n"


def shared_store_run(folder: Path, base_url: str) -> None:
    """A run folder whose config judges the standard data into ../store.sqlite, waiting up to 30 s an answer."""
    folder.mkdir()
    config = write_config(folder, base_url)
    config.write_text(config.read_text().replace('store = "store.sqlite"', 'store = "../store.sqlite"')
                      .replace("timeout_s = 5", "timeout_s = 30"))


def test_a_run_suspended_past_its_lease_sends_none_of_the_games_another_run_took_over(judge_server, tmp_path):
    """Run A claims its whole plan (72 games, one batch) and is suspended with eight requests on the wire; its
    lease runs out, run B takes the games over and judges them all. Resumed, A finds it no longer holds its
    claims and sends none of the games left in its batch: only the eight it had sent were judged twice (it sent
    the rest of its batch anyway, about 56 games paid twice)."""
    judge_server.latency_s = 0.4
    for name in ("a", "b"):
        shared_store_run(tmp_path / name, judge_server.base_url)
    first = subprocess.Popen([sys.executable, "-c", SHORT_LEASE, "run", "--config", "run.toml"], cwd=tmp_path / "a",
                             env={**os.environ, "OPENAI_API_KEY": "sk-test"}, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        while len(judge_server.log) < 8:  # the server logs a request once answered: eight more are on the wire
            time.sleep(0.01)
        first.send_signal(signal.SIGSTOP)
        second = judgebench("run", "--config", "run.toml", cwd=tmp_path / "b")  # waits out A's lease, then judges
    finally:
        first.send_signal(signal.SIGCONT)
    _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr
    assert second.returncode == 0, second.stderr
    answered = judge_server.answered()
    assert len(answered) == 72
    assert sum(n - 1 for n in answered.values()) <= 8  # at most the requests A had on the wire when suspended


def started_run(folder: Path, judge_server) -> subprocess.Popen[str]:
    """`judgebench run` of `folder` started, once the server answered eight of its games (more are on the wire)."""
    run = subprocess.Popen([sys.executable, "-m", "judgebench.cli", "run", "--config", "run.toml"], cwd=folder,
                           env={**os.environ, "OPENAI_API_KEY": "sk-test"}, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    while len(judge_server.log) < 8 and run.poll() is None:
        time.sleep(0.01)
    return run


def ok_count(store: Path) -> int:
    """The verdicts `store` holds."""
    with sqlite3.connect(store) as db:
        return db.execute("SELECT count(*) FROM judgments WHERE status = 'ok'").fetchone()[0]


def test_a_store_deleted_while_a_run_uses_it_stops_the_run_with_what_was_lost(judge_server, tmp_path):
    """The store's folder removed mid-run: the run stops sending and exits 5 saying the judgments are lost (it
    wrote into the deleted file and exited 0 saying it stored them; the rerun paid for all again)."""
    judge_server.latency_s = 0.2
    shared_store_run(tmp_path / "a", judge_server.base_url)
    run = started_run(tmp_path / "a", judge_server)
    for file in tmp_path.glob("store.sqlite*"):
        file.unlink()
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 5, stderr
    assert f"the store {tmp_path / 'store.sqlite'} was deleted while this run used it" in stderr
    assert "are lost" in stderr and "Traceback" not in stderr


def test_a_store_moved_while_a_run_uses_it_stops_the_run_and_nothing_judged_is_lost(judge_server, tmp_path):
    """The store moved mid-run: the run stops sending and exits 5 saying where the judgments are (it wrote on
    into the moved file, which lacked them without the -wal left behind, and exited 0). Moved back, the store
    holds every game the run stored, and the next run asks only for the others."""
    judge_server.latency_s = 0.2
    shared_store_run(tmp_path / "a", judge_server.base_url)
    run = started_run(tmp_path / "a", judge_server)
    while ok_count(tmp_path / "store.sqlite") < 8:  # eight stored
        time.sleep(0.01)
    (tmp_path / "store.sqlite").rename(tmp_path / "moved.sqlite")
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 5, stderr
    assert "was moved or replaced while this run used it" in stderr and "Traceback" not in stderr
    (tmp_path / "moved.sqlite").rename(tmp_path / "store.sqlite")
    stored = ok_count(tmp_path / "store.sqlite")
    assert stored >= 8
    sent_before = len(judge_server.log)
    rerun = judgebench("run", "--config", "run.toml", cwd=tmp_path / "a")
    assert rerun.returncode == 0, rerun.stderr
    assert len(judge_server.log) - sent_before == 72 - stored


def damaged_store(folder: Path, tail_pages: int | None) -> Path:
    """A store of 50 verdicts whose last `tail_pages` pages (of 4 KiB: judgments' rows) are overwritten, or every
    page but the first when None (its tables too), as a -wal or -shm deleted while a run used it leaves one."""
    from judgebench.store import JudgmentRow, Store

    path = folder / "store.sqlite"
    with Store(path) as store:
        store.put_many([JudgmentRow(key=f"k{i}", question_id="q01", first="good", second="base", judge="test-judge",
                                    template="pairwise-5", status="ok", label="A>B", p_first=1.0, weight=1.0,
                                    raw="x" * 500) for i in range(50)])
    data = bytearray(path.read_bytes())
    start = 4096 if tail_pages is None else len(data) - 4096 * tail_pages
    data[start:] = b"\xff" * (len(data) - start)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("command", "tail_pages"), [(("leaderboard", "--store", "store.sqlite"), 6),
                                                     (("report", "--store", "store.sqlite", "--out", "r"), 6),
                                                     (("run", "--config", "run.toml"), None)],
                         ids=["leaderboard", "report", "run"])
def test_a_damaged_store_is_named_damaged_with_what_to_do(tmp_path, command, tail_pages):
    """'database disk image is malformed': exit 5 with how to recover (run said 'not a judgebench store', exit 2;
    leaderboard and report failed with an internal error, exit 70)."""
    write_config(tmp_path, "http://127.0.0.1:9/v1")
    damaged_store(tmp_path, tail_pages)
    result = judgebench(*command, cwd=tmp_path)
    assert result.returncode == 5, result.stderr
    assert re.search(r"^error: the store (\S*/)?store\.sqlite is damaged \(SQLite: database disk image is malformed\): "
                     r"recover what it holds into a new file with `sqlite3 (\S*/)?store\.sqlite \.recover \| sqlite3 "
                     r"recovered\.sqlite` and use that file as the --store", result.stderr,
                     flags=re.MULTILINE), result.stderr  # run: after the line of what it read


# `judgebench ARGS...` whose results folder `out` is replaced by a file once the run has judged its games.
OUT_REPLACED = """
import shutil
from pathlib import Path
from judgebench import cli, outputs
original = outputs.atomic_open
def atomic_open(path, *args, **kwargs):
    shutil.rmtree(Path(path).parent)
    Path(path).parent.write_text("a file in the folder's place")
    return original(path, *args, **kwargs)
outputs.atomic_open = atomic_open
cli.main()
"""


def test_results_that_cannot_be_written_say_the_judgments_are_stored(judge_server, tmp_path):
    """The results folder replaced by a file mid-run: one sentence that says what to do and that the judgments
    are stored (it read 'Not a directory, then run the same command again'), and the run is recorded 'failed'
    (it was 'finished', though the command failed, exit 5)."""
    write_config(tmp_path, judge_server.base_url)
    result = judgebench("run", "--config", "run.toml", cwd=tmp_path, script=OUT_REPLACED)
    assert result.returncode == 5, result.stderr
    assert result.stderr.splitlines(keepends=True)[-1] == (  # after the line of what the run read
        f"error: cannot write {tmp_path / 'out' / 'judgments.jsonl'}: part of its path is a file, not a directory (a "
        "file was put in a folder's place): remove or rename that file, then run the same command again; every "
        f"judgment is stored in {tmp_path / 'store.sqlite'}, so the same command again asks the judge for none of "
        "them\n")
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("failed",)]


def test_a_file_larger_than_the_process_may_write_is_named_with_its_limit(tmp_path):
    """`ulimit -f` too small for an output file: what to do (it read 'File too large, then run ...')."""
    script = ("import resource, sys\nfrom judgebench.outputs import atomic_open\nfrom judgebench.errors import "
              "StorageError\nresource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))\ntry:\n"
              "    with atomic_open(sys.argv[1]) as handle:\n        handle.write('x' * 4096)\n"
              "except StorageError as error:\n    print(error)\n")
    written = subprocess.run([sys.executable, "-c", script, str(tmp_path / "big.txt")], capture_output=True,
                             text=True, check=True)
    assert written.stdout == (f"cannot write {tmp_path / 'big.txt'}: the file would exceed the largest file this "
                              "process may write (`ulimit -f`) or the file system holds: raise that limit or choose "
                              "another directory, then run the same command again\n")


def test_a_store_that_fills_up_counts_every_answer_lost(judge_server, tmp_path):
    """The store's file reaches the size limit (`ulimit -f`, as a full disk) with eight requests in flight: the
    message counts the answers received and not stored and the requests abandoned on the wire, which together
    are every request sent and not stored (it counted the former only: '2 answers' when 8 were lost)."""
    import resource

    judge_server.latency_s = 0.3
    write_config(tmp_path, judge_server.base_url)

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))

    result = subprocess.run([sys.executable, "-m", "judgebench.cli", "run", "--config", "run.toml"], cwd=tmp_path,
                            env={**os.environ, "OPENAI_API_KEY": "sk-test"}, text=True, capture_output=True,
                            preexec_fn=limited, timeout=120)
    assert result.returncode == 5, result.stderr
    found = re.search(r"(\d+) answers? received by this run could not be stored: the next run asks for them again; "
                      r"(\d+) more requests? (was|were) abandoned in flight as the run stopped", result.stderr)
    assert found, result.stderr
    time.sleep(1.0)  # the server logs a request dropped on the wire when it would have answered it (0.3 s)
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        stored = db.execute("SELECT count(*) FROM judgments").fetchone()[0]
    assert int(found[1]) + int(found[2]) == len(judge_server.log) - stored

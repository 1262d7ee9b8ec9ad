"""A store changed under a run that uses it: its games taken over by another run while it was suspended past its
lease (Ctrl-Z, `kill -STOP`, a laptop asleep)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


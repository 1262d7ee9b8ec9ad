"""Several `judgebench run` processes on one store, killed at random and restarted: is any game paid twice or lost?

    .venv/bin/python benchmarks/bench_store_stress.py [--games 20000] [--processes 4] [--kills 6] [--seed 0]

First one process judges every game on a fresh store (the throughput reference). Then `--processes` processes
start together on another fresh store with the same inputs; whenever the store reaches one of `--kills` random
points of the work, one of them is killed with SIGKILL and started again at once (a resume); every process
then runs to the end.
Printed from the judge server's request log and the store: requests sent per game (target 1.000 plus the
games in flight in killed processes, at most kills x concurrency), games requested more than once, games lost
(planned but not stored; target 0), and the throughput of the shared runs against the single process.
Not a test: it takes minutes at the default size; use --games 2000 on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_harness import write_data  # noqa: E402  (same folder)

from tests.support.judge_server import spawn_server  # noqa: E402

MODELS = 10  # besides the baseline; each question gives 2 x MODELS games


def start_run(folder: Path, url: str, store: Path, concurrency: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "judgebench.cli", "run", "--questions", str(folder / "questions.jsonl"),
               "--answers", str(folder / "answers.jsonl"), "--baseline", "baseline", "--judge-model", "test-judge",
               "--base-url", url, "--concurrency", str(concurrency), "--store", str(store),
               "--out", str(store.with_suffix(f".{time.monotonic_ns()}.out")), "--rounds", "20", "--no-progress"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stored_ok(store: Path) -> int:
    with sqlite3.connect(store) as db:
        return db.execute("SELECT count(*) FROM judgments WHERE status = 'ok'").fetchone()[0]


def single_run(folder: Path, concurrency: int) -> float:
    """Wall seconds for one process to judge every game on a fresh store."""
    with spawn_server("--models", "*") as server:
        start = time.perf_counter()
        process = start_run(folder, server.base_url, folder / "single.sqlite", concurrency)
        _, stderr = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"the single run failed ({process.returncode}):\n{stderr.decode()[-2000:]}")
        return time.perf_counter() - start


def progress(store: Path) -> int:
    """Games stored so far (0 while the store does not exist yet or is being created)."""
    try:
        return stored_ok(store)
    except sqlite3.Error:
        return 0


def shared_runs(folder: Path, n_processes: int, kills: int, concurrency: int, games: int,
                rng: random.Random) -> tuple[float, Counter[str], int]:
    """Processes sharing one store, killed and restarted at random: (wall s, requests per game, kills done)."""
    store = folder / "shared.sqlite"
    log = folder / "shared_server.jsonl"
    with spawn_server("--models", "*", log_path=log) as server:
        start = time.perf_counter()
        running = [start_run(folder, server.base_url, store, concurrency) for _ in range(n_processes)]
        kill_points = sorted(int(rng.uniform(0.05, 0.9) * games) for _ in range(kills))
        done_kills = 0
        for point in kill_points:  # kill while judging: when the store reaches random points of the work
            while progress(store) < point and any(p.poll() is None for p in running):
                time.sleep(0.01)
            alive = [p for p in running if p.poll() is None]
            if not alive:
                break
            victim = rng.choice(alive)
            victim.send_signal(signal.SIGKILL)
            victim.communicate()
            running.remove(victim)
            running.append(start_run(folder, server.base_url, store, concurrency))
            done_kills += 1
        for process in running:
            _, stderr = process.communicate()
            if process.returncode != 0:
                raise SystemExit(f"a shared run failed ({process.returncode}):\n{stderr.decode()[-2000:]}")
        wall = time.perf_counter() - start
        requests = Counter(entry.key for entry in server.log())
    return wall, requests, done_kills


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--games", type=int, default=20000, help="rounded to a multiple of 20")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=32, help="per process")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    questions = max(1, args.games // (2 * MODELS))
    games = questions * 2 * MODELS
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_data(folder, questions, MODELS)
        single_s = single_run(folder, args.concurrency)
        wall, requests, kills = shared_runs(folder, args.processes, args.kills, args.concurrency, games,
                                            random.Random(args.seed))
        lost = games - stored_ok(folder / "shared.sqlite")
    twice = sum(1 for n in requests.values() if n > 1)
    print(f"games: {games:,}; {args.processes} processes on one store, {kills} SIGKILLs with restarts, "
          f"concurrency {args.concurrency} each")
    print(f"requests sent per game: {sum(requests.values()) / games:.4f} (target 1.000 plus in-flight losses, "
          f"at most {kills * args.concurrency / games:.4f})")
    print(f"games requested more than once: {twice} (at most {kills * args.concurrency}: in flight when killed)")
    print(f"games lost: {lost} (target 0)")
    print(f"throughput: shared {games / wall:,.0f} games/s, single process {games / single_s:,.0f} games/s "
          f"(ratio {single_s / wall:.2f}; whole processes, start-up included)")


if __name__ == "__main__":
    main()

"""The harness's own overhead: 20,000 games end to end against a judge server that answers instantly.

    .venv/bin/python benchmarks/bench_harness.py [--questions 1000] [--models 10] [--concurrency 64]

`judgebench run` (a subprocess, as a user meets it: load, plan, render, send, parse, store, rate) judges
every model against a baseline in both orders. In the same run, on the identical rendered requests, two
peers only send and decode: a bare aiohttp loop (the floor any Python harness pays) and the `openai`
package's AsyncOpenAI client with a semaphore (what a hand-written judging script usually does).
Printed: games/s of the judging phase (from the store's commit times), the whole process time, peak memory,
and the ratios. The server runs in its own process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_http_engine import bare_client  # noqa: E402  (same folder)

from judgebench.config import load_config  # noqa: E402
from judgebench.datasets import load_dataset  # noqa: E402
from judgebench.prompts import load_template  # noqa: E402
from judgebench.runner import plan_games  # noqa: E402
from tests.support.judge_server import spawn_server  # noqa: E402

WORDS = "the answer explains each step with care and checks the result against the question".split()


def write_data(folder: Path, n_questions: int, n_models: int) -> tuple[Path, Path]:
    """Questions and answers of realistic size (about 150 words per answer)."""
    questions, answers = folder / "questions.jsonl", folder / "answers.jsonl"
    models = ["baseline", *(f"model-{i:02d}" for i in range(n_models))]
    with questions.open("w") as q, answers.open("w") as a:
        for i in range(n_questions):
            q.write(json.dumps({"question_id": f"q{i:05d}", "turns": [f"Question {i}: " + " ".join(WORDS)]}) + "\n")
            for j, model in enumerate(models):
                text = " ".join(WORDS[(i + j + k) % len(WORDS)] for k in range(150))
                a.write(json.dumps({"question_id": f"q{i:05d}", "model": model,
                                    "turns": [f"{text} QUALITY={(i * 7 + j * 3) % 10}"]}) + "\n")
    return questions, answers


def judging_rate(store: Path) -> tuple[int, float]:
    """Games stored and games/s between the first and last commit."""
    with sqlite3.connect(store) as db:
        n, first, last = db.execute("SELECT count(*), min(created_at), max(created_at) FROM judgments").fetchone()
    return n, n / max(last - first, 1e-9)


def run_judgebench(folder: Path, questions: Path, answers: Path, url: str, concurrency: int) -> dict:
    command = [sys.executable, "-m", "judgebench.cli", "run", "--questions", str(questions),
               "--answers", str(answers), "--baseline", "baseline", "--judge-model", "test-judge",
               "--base-url", url, "--concurrency", str(concurrency), "--store", str(folder / "store.sqlite"),
               "--out", str(folder / "out"), "--rounds", "200"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench"}
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"judgebench run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    games, rate = judging_rate(folder / "store.sqlite")
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"games": games, "rate": rate, "wall": wall, "peak_mib": peak_mib}


async def openai_client(url: str, requests, concurrency: int) -> None:
    """A typical hand-written judging loop: AsyncOpenAI, a semaphore, no retries, no storage."""
    import openai

    client = openai.AsyncOpenAI(base_url=url, api_key="sk-bench", max_retries=0)
    gate = asyncio.Semaphore(concurrency)

    async def one(request) -> None:
        async with gate:
            await client.chat.completions.create(model=request.model, messages=list(request.messages),
                                                 **request.params)

    await asyncio.gather(*(one(r) for r in requests))
    await client.close()


def rendered_requests(questions: Path, answers: Path) -> list:
    config = load_config(None, {"questions": questions, "answers": [answers], "baseline": "baseline"},
                         {"engine": "openai", "model": "test-judge", "base_url": "http://127.0.0.1:1/v1"})
    dataset = load_dataset(questions, [answers])
    return [spec.request for spec in plan_games(dataset, config, load_template(config.template))]


def timed(run) -> float:
    start = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--models", type=int, default=10, help="models besides the baseline")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--openai-games", type=int, default=5000, help="games for the (slower) openai peer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, spawn_server("--models", "*") as server:
        folder = Path(tmp)
        questions, answers = write_data(folder, args.questions, args.models)
        ours = run_judgebench(folder, questions, answers, server.base_url, args.concurrency)
        requests = rendered_requests(questions, answers)
        bare_s = timed(lambda: bare_client(server.base_url, requests, args.concurrency))
        few = requests[:args.openai_games]
        openai_s = timed(lambda: openai_client(server.base_url, few, args.concurrency))
    bare_rate, openai_rate = len(requests) / bare_s, len(few) / openai_s
    print(f"games: {ours['games']:,} ({args.questions} questions x {args.models} models x 2 orders), "
          f"concurrency {args.concurrency}")
    print(f"judgebench run, judging phase (render, send, parse, store): {ours['rate']:8.0f} games/s")
    print(f"judgebench run, whole process (load ... leaderboard):       {ours['wall']:8.1f} s, "
          f"peak memory {ours['peak_mib']:.0f} MiB")
    print(f"peer: bare aiohttp loop (send and decode only):             {bare_rate:8.0f} games/s  "
          f"judgebench/peer = {ours['rate'] / bare_rate:.2f}")
    print(f"peer: AsyncOpenAI + semaphore (send and decode only):       {openai_rate:8.0f} games/s  "
          f"judgebench/peer = {ours['rate'] / openai_rate:.2f}")


if __name__ == "__main__":
    main()

"""Requests per second through the scripted judge server, from a bare client and from OpenAIEngine.

    .venv/bin/python benchmarks/bench_http_engine.py [--games 20000] [--concurrency 64]

The server runs in its own process (as in the harness benchmark) and answers instantly; this process is
the client. Printed per client: requests/s (wall clock) and client CPU microseconds per request, the
figure that decides how much of a core the harness leaves for rendering, parsing and storing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.support

from judgebench.engines.base import JudgeRequest  # noqa: E402
from judgebench.engines.openai_api import OpenAIEngine  # noqa: E402
from tests.support.judge_server import spawn_server  # noqa: E402

SYSTEM = "Compare the two answers; end with [[A>>B]], [[A>B]], [[A=B]], [[B>A]] or [[B>>A]]. " * 4


def make_requests(n: int) -> list[JudgeRequest]:
    """Games of a realistic size (about 3 KB of prompt each), all different."""
    requests = []
    for i in range(n):
        user = (f"Question {i}: " + "explain the idea. " * 30 + f"\nA: QUALITY={i % 10} " + "words " * 150
                + f"\nB: QUALITY={(i * 7) % 10} " + "other " * 150)
        messages = ({"role": "system", "content": SYSTEM}, {"role": "user", "content": user})
        requests.append(JudgeRequest(f"g{i}", "test-judge", messages, {"temperature": 0.0, "max_tokens": 64}))
    return requests


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed(label: str, n: int, server_pid: int, run: Callable[[], Awaitable[None]]) -> None:
    wall, cpu, server_cpu = time.perf_counter(), time.process_time(), process_cpu_s(server_pid)
    await run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    server_cpu = process_cpu_s(server_pid) - server_cpu
    print(f"{label:30s} {n / wall:7.0f} requests/s   CPU per request: client {cpu / n * 1e6:4.0f} us, "
          f"server {server_cpu / n * 1e6:4.0f} us")


async def bare_client(url: str, requests: list[JudgeRequest], concurrency: int) -> None:
    """The floor: aiohttp posting pre-encoded bodies, reading and decoding the replies."""
    import aiohttp

    bodies = iter([json.dumps({"model": r.model, "messages": r.messages, **r.params}).encode() for r in requests])
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            for body in bodies:
                async with session.post(f"{url}/chat/completions", data=body,
                                        headers={"Content-Type": "application/json"}) as response:
                    json.loads(await response.read())

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def engine_client(url: str, requests: list[JudgeRequest], concurrency: int, transport: str) -> None:
    engine = OpenAIEngine("test-judge", base_url=url, concurrency=concurrency, transport=transport)
    try:
        failed = sum([c.error is not None async for c in engine.stream(requests)])
    finally:
        await engine.aclose()
    if failed:
        raise SystemExit(f"{failed} games failed against an instant server")


async def measure(url: str, pid: int, games: int, concurrency: int, openai_games: int) -> None:
    requests = make_requests(games)
    await timed("bare aiohttp client", games, pid, lambda: bare_client(url, requests, concurrency))
    await timed("OpenAIEngine (aiohttp)", games, pid,
                lambda: engine_client(url, requests, concurrency, "aiohttp"))
    few = requests[:openai_games]
    await timed("OpenAIEngine (openai client)", len(few), pid,
                lambda: engine_client(url, few, concurrency, "openai"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--games", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--openai-games", type=int, default=5000, help="fewer: the openai client is slower")
    args = parser.parse_args()
    with spawn_server("--models", "*") as server:
        asyncio.run(measure(server.base_url, server.process.pid, args.games, args.concurrency, args.openai_games))


if __name__ == "__main__":
    main()

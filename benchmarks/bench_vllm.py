"""judgebench's vLLM engine against raw `vllm.LLM.chat` on identical judge prompts, in one process, one LLM.

    .venv/bin/python benchmarks/bench_vllm.py [--repeats 2] [--limit N] [--kv-cache-gib G]
                                              [--model PATH --dtype D]

The prompts are the quickstart's games (examples/quickstart: 20 questions, 4 models, every ordered pair:
240 games) rendered with the logprob template, as `judgebench run` renders them. Both sides use the same
`vllm.LLM` (the engine is handed the raw one), the same sampling parameters and the same prefix-grouped
order; the prefix cache is emptied before every timed run, and the runs alternate so that changes in
machine load hit both sides. Printed:

- throughput of raw `LLM.chat` (all prompts in one call) and of `VLLMEngine.stream` end to end
  (rendering, token counting, sorting, chunking, conversion), their ratio (target >= 0.95) and the
  share of the raw time the harness adds. Wall time on a shared machine is noisy, so the harness's
  cost is also given as the CPU time this process spends beyond the raw call's, next to the CPU time
  of vLLM's own engine processes (the same work for both);
- the speed-up from prefix-grouped ordering over a shuffled order (prefix caching on in both) and the
  share of prompt tokens served from the prefix cache in each. When the KV cache holds every prompt
  of the run, both orders reuse the same prefixes; `--kv-cache-gib` shrinks the cache to show runs
  larger than it.

Default model: the embedded judge on vLLM's CPU build. Best (and median) of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judgebench.datasets import load_dataset  # noqa: E402
from judgebench.engines.base import JudgeRequest  # noqa: E402
from judgebench.engines.embedded import embedded_engine_settings, embedded_model_dir, kv_cache_gib  # noqa: E402
from judgebench.engines.vllm_local import VLLMEngine, prefix_order  # noqa: E402
from judgebench.prompts import build_request, load_template  # noqa: E402

QUICKSTART = ROOT / "examples" / "quickstart"


def quickstart_requests(judge_model: str, limit: int | None) -> list[JudgeRequest]:
    """Every ordered pair of the quickstart's models on every question, logprob template."""
    dataset = load_dataset(QUICKSTART / "questions.jsonl", QUICKSTART / "answers.jsonl")
    template = load_template("logprob")
    params = template.sampling_params()
    requests = [
        build_request(template, judge_model, params, question,
                      dataset.answers[(question_id, first)], dataset.answers[(question_id, second)])
        for question_id, question in dataset.questions.items()
        for first, second in itertools.permutations(dataset.models, 2)
    ]
    return requests[:limit] if limit else requests


@dataclass
class Timings:
    """Wall and own-process CPU seconds of repeated runs, the load average around them, cache reuse."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    vllm_cpu: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    cached: list[float] = field(default_factory=list)

    def line(self, label: str, n: int) -> str:
        best, median = min(self.wall), statistics.median(self.wall)
        share = statistics.mean(self.cached) if self.cached else 0.0
        cache = f"; prompt tokens from the prefix cache {100 * share:.0f}%"
        return (f"  {label:9}{n / best:7.2f} games/s  (best {best:.1f} s, median {median:.1f} s; "
                f"runs {', '.join(f'{t:.1f}' for t in self.wall)}; load {max(self.load):.1f}{cache})")


class RecordingLLM:
    """The raw LLM, with each `chat` call's outputs kept (to read prefix-cache hits during engine runs)."""

    def __init__(self, llm):
        self.llm, self.outputs = llm, []

    def __getattr__(self, name):
        return getattr(self.llm, name)

    def chat(self, *args, **kwargs):
        outputs = self.llm.chat(*args, **kwargs)
        self.outputs.extend(outputs)
        return outputs


def cached_share(outputs) -> float:
    """Share of prompt tokens that vLLM served from its prefix cache."""
    prompt = sum(len(o.prompt_token_ids) for o in outputs)
    return sum(o.num_cached_tokens or 0 for o in outputs) / prompt if prompt else 0.0


def children_cpu_s() -> float:
    """CPU seconds used so far by this process's descendants (vLLM's engine and worker processes)."""
    import psutil  # a vLLM dependency

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def timed(timings: Timings, llm: RecordingLLM, work) -> object:
    """Run `work()` from an empty prefix cache, recording wall time, CPU times and cache hits."""
    llm.llm.reset_prefix_cache()
    llm.outputs = []
    wall, cpu, vllm_cpu = time.perf_counter(), time.process_time(), children_cpu_s()
    result = work()
    timings.wall.append(time.perf_counter() - wall)
    timings.cpu.append(time.process_time() - cpu)
    timings.vllm_cpu.append(children_cpu_s() - vllm_cpu)
    timings.load.append(os.getloadavg()[0])
    timings.cached.append(cached_share(llm.outputs))
    return result


def stream_all(engine: VLLMEngine, requests: list[JudgeRequest]) -> list:
    async def consume() -> list:
        return [c async for c in engine.stream(requests)]

    return asyncio.run(consume())


def compare_raw(engine, llm, ordered, conversations, sampling, prepare_s, repeats: int) -> None:
    """Raw `LLM.chat` against `VLLMEngine.stream`, alternating, on the same prompts in the same order."""
    n = len(ordered)
    raw, harness = Timings(), Timings()
    for _ in range(repeats):
        raw_outputs = timed(raw, llm, lambda: llm.chat(conversations, sampling, use_tqdm=False))
        completions = timed(harness, llm, lambda: stream_all(engine, ordered))
    by_key = {c.key: c for c in completions}
    same = sum(by_key[r.key].text == o.outputs[0].text for r, o in zip(ordered, raw_outputs, strict=True))
    raw_best, harness_best = min(raw.wall), min(harness.wall)
    extra_cpu = statistics.median(harness.cpu) - statistics.median(raw.cpu)
    print("\nraw LLM.chat vs VLLMEngine.stream (same LLM, same prompts, same order)")
    print(raw.line("raw", n))
    print(harness.line("harness", n))
    paired = [r / h for r, h in zip(raw.wall, harness.wall, strict=True)]  # each raw run, then its harness run
    print(f"  ratio harness/raw throughput: best runs {raw_best / harness_best:.3f}, median of the "
          f"{len(paired)} back-to-back pairs {statistics.median(paired):.3f} (target >= 0.95); "
          f"wall time added {100 * (harness_best - raw_best) / raw_best:+.1f}% of the raw time (best runs)")
    print(f"  harness CPU in this process beyond the raw call: {extra_cpu:.2f} s = "
          f"{100 * extra_cpu / raw_best:.1f}% of the raw time (rendering and counting alone: {prepare_s:.2f} s)")
    print(f"  vLLM's own processes' CPU time (median): raw {statistics.median(raw.vllm_cpu):.1f} s, "
          f"harness {statistics.median(harness.vllm_cpu):.1f} s (the same work; differences in wall time "
          "beyond these come from other load on the machine)")
    print(f"  identical generated text in {same}/{n} games")


def compare_orders(engine, llm, ordered, model, settings, args) -> None:
    """The engine on a shuffled input, with and without its prefix grouping, alternating."""
    n = len(ordered)
    shuffled = ordered[:]
    random.Random(args.seed).shuffle(shuffled)
    keep_order = VLLMEngine(model, llm=llm, chunk_size=args.chunk_size, group_by_prefix=False, **settings)
    grouped_t, shuffled_t = Timings(), Timings()
    for _ in range(args.repeats):
        timed(shuffled_t, llm, lambda: stream_all(keep_order, shuffled))
        timed(grouped_t, llm, lambda: stream_all(engine, shuffled))
    print("\nprefix-grouped vs shuffled order (VLLMEngine on the same shuffled input, prefix caching on in both)")
    print(grouped_t.line("grouped", n))
    print(shuffled_t.line("shuffled", n))
    pairs = [s / g for s, g in zip(shuffled_t.wall, grouped_t.wall, strict=True)]
    print(f"  speed-up from grouping: best runs {min(shuffled_t.wall) / min(grouped_t.wall):.2f}x, median of "
          f"the {len(pairs)} back-to-back pairs {statistics.median(pairs):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model path or name (default: the embedded judge)")
    parser.add_argument("--dtype", help="override the dtype")
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limit", type=int, help="use only the first N games")
    parser.add_argument("--kv-cache-gib", type=float, help="KV cache size (default: the embedded judge's sizing)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffled order")
    parser.add_argument("--part", choices=("all", "ratio", "grouping"), default="all", help="what to measure")
    args = parser.parse_args()

    from vllm import SamplingParams

    settings = embedded_engine_settings()
    model = args.model or str(embedded_model_dir())
    if args.model:
        settings["name"] = args.model
    if args.dtype:
        settings["dtype"] = args.dtype
    settings["kv_cache_gib"] = args.kv_cache_gib or kv_cache_gib(Path(model), settings["dtype"],
                                                                 settings["max_model_len"])
    requests = quickstart_requests(settings["name"], args.limit)
    started = time.perf_counter()
    engine = VLLMEngine(model, chunk_size=args.chunk_size, **settings)
    llm = RecordingLLM(engine.llm())
    engine = VLLMEngine(model, chunk_size=args.chunk_size, llm=llm, **settings)
    print(f"vLLM started in {time.perf_counter() - started:.1f} s ({engine.describe()['vllm']}, "
          f"model {engine.name}, dtype {settings['dtype']}, {os.cpu_count()} CPUs)")

    ordered = prefix_order(requests)  # the order the engine sends them in
    prepared = engine.prepare(ordered)
    assert all(item.error is None for item in prepared), "every game fits the context"
    assert all(item.sampling == prepared[0].sampling for item in prepared)
    conversations = [item.conversation for item in prepared]
    sampling = SamplingParams(**prepared[0].sampling)
    n, tokens = len(requests), sum(item.prompt_tokens for item in prepared)
    print(f"{n} games, {tokens} prompt tokens ({tokens / n:.0f} per game), sampling {prepared[0].sampling}, "
          f"chunk size {engine.chunk_size}, {args.repeats} runs each")

    llm.chat(conversations[:16], sampling, use_tqdm=False)  # warm-up: first-batch costs are nobody's overhead
    started = time.perf_counter()
    engine.prepare(ordered)
    prepare_s = time.perf_counter() - started

    if args.part in ("all", "ratio"):
        compare_raw(engine, llm, ordered, conversations, sampling, prepare_s, args.repeats)
    if args.part in ("all", "grouping"):
        compare_orders(engine, llm, ordered, model, settings, args)
    llm.llm.llm_engine.engine_core.shutdown()


if __name__ == "__main__":
    main()

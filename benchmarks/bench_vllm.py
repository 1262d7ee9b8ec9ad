"""judgebench's vLLM engine against raw `vllm.LLM.chat` on identical judge prompts, in one process, one LLM.

    .venv/bin/python benchmarks/bench_vllm.py [--repeats 2] [--model PATH --dtype D ...] [--limit N]

The prompts are the quickstart's games (examples/quickstart: 20 questions, 4 models, every ordered pair)
rendered with the logprob template, as `judgebench run` renders them. Both sides use the same `vllm.LLM`
(the engine is handed the raw one), the same sampling parameters and the same (prefix-grouped) order;
the prefix cache is emptied before every timed run, and raw and harness runs alternate so that drift
in machine load hits both. Printed:

- throughput of raw `LLM.chat` (all prompts in one call) and of `VLLMEngine.stream` end to end
  (rendering, token counting, sorting, chunking, conversion), their ratio (target >= 0.95) and the
  share of the raw time the harness adds;
- the speed-up from prefix-grouped ordering over a shuffled order (prefix caching on in both), with
  the share of prompt tokens served from the prefix cache in each order.

Default model: the embedded judge on vLLM's CPU build. Timings are the best of `--repeats` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from judgebench.datasets import load_dataset  # noqa: E402
from judgebench.engines.base import Completion, JudgeRequest  # noqa: E402
from judgebench.engines.embedded import embedded_engine_settings, embedded_model_dir  # noqa: E402
from judgebench.engines.vllm_local import VLLMEngine  # noqa: E402
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


def run_engine(engine: VLLMEngine, requests: list[JudgeRequest]) -> tuple[float, list[Completion]]:
    """Seconds for the engine's stream to deliver every completion, and the completions."""
    async def consume() -> list[Completion]:
        return [c async for c in engine.stream(requests)]

    engine.llm().reset_prefix_cache()
    started = time.perf_counter()
    completions = asyncio.run(consume())
    return time.perf_counter() - started, completions


def run_raw(llm, conversations: list[list[dict]], sampling) -> tuple[float, list]:
    """Seconds for one plain `LLM.chat` call over all conversations, and its outputs."""
    llm.reset_prefix_cache()
    started = time.perf_counter()
    outputs = llm.chat(conversations, sampling, use_tqdm=False)
    return time.perf_counter() - started, outputs


def cached_share(outputs) -> float:
    """Share of prompt tokens that vLLM served from its prefix cache."""
    prompt = sum(len(o.prompt_token_ids) for o in outputs)
    return sum(o.num_cached_tokens or 0 for o in outputs) / prompt if prompt else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model path or name (default: the embedded judge)")
    parser.add_argument("--dtype", help="override the dtype")
    parser.add_argument("--chunk-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--limit", type=int, help="use only the first N games")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffled order")
    args = parser.parse_args()

    from vllm import SamplingParams

    settings = embedded_engine_settings()
    model = args.model or str(embedded_model_dir())
    if args.model:
        settings["name"] = args.model
    if args.dtype:
        settings["dtype"] = args.dtype
    requests = quickstart_requests(settings["name"], args.limit)
    started = time.perf_counter()
    engine = VLLMEngine(model, chunk_size=args.chunk_size, **settings)
    llm = engine.llm()
    print(f"vLLM started in {time.perf_counter() - started:.1f} s ({engine.describe()['vllm']}, "
          f"model {engine.name}, dtype {settings['dtype']})")

    prepared = sorted(engine.prepare(requests), key=lambda item: item.prompt_text)  # the engine's order
    assert all(item.error is None for item in prepared), "every quickstart game fits the context"
    ordered = [item.request for item in prepared]
    conversations = [item.conversation for item in prepared]
    sampling = SamplingParams(**prepared[0].sampling)
    assert all(item.sampling == prepared[0].sampling for item in prepared)
    n = len(requests)
    tokens = sum(item.prompt_tokens for item in prepared)
    print(f"{n} games, {tokens} prompt tokens ({tokens / n:.0f} per game), sampling {prepared[0].sampling}, "
          f"chunk size {engine.chunk_size}, best of {args.repeats}")

    run_raw(llm, conversations[:16], sampling)  # warm-up: first-batch costs are nobody's overhead

    raw_times, engine_times = [], []
    for _ in range(args.repeats):
        raw_s, raw_outputs = run_raw(llm, conversations, sampling)
        engine_s, completions = run_engine(engine, ordered)
        raw_times.append(raw_s)
        engine_times.append(engine_s)
    by_key = {c.key: c for c in completions}
    same_text = sum(by_key[r.key].text == o.outputs[0].text for r, o in zip(ordered, raw_outputs, strict=True))
    raw_best, engine_best = min(raw_times), min(engine_times)
    print("\nraw LLM.chat vs VLLMEngine.stream (same LLM, same prompts, same order)")
    print(f"  raw      {n / raw_best:7.2f} games/s  ({raw_best:.2f} s; runs {_fmt(raw_times)})")
    print(f"  harness  {n / engine_best:7.2f} games/s  ({engine_best:.2f} s; runs {_fmt(engine_times)})")
    print(f"  ratio harness/raw throughput {raw_best / engine_best:.3f} (target >= 0.95); "
          f"harness adds {100 * (engine_best - raw_best) / raw_best:+.1f}% of the raw time "
          f"(medians: {statistics.median(raw_times) / statistics.median(engine_times):.3f})")
    print(f"  identical generated text in {same_text}/{n} games")

    shuffled = ordered[:]
    random.Random(args.seed).shuffle(shuffled)
    keep_order = VLLMEngine(model, llm=llm, chunk_size=args.chunk_size, group_by_prefix=False, **settings)
    grouped_times, shuffled_times = [], []
    for _ in range(args.repeats):
        grouped_times.append(run_engine(engine, shuffled)[0])
        shuffled_times.append(run_engine(keep_order, shuffled)[0])
    by_key = {r.key: item.conversation for r, item in zip(ordered, prepared, strict=True)}
    share_grouped = cached_share(run_raw(llm, conversations, sampling)[1])
    share_shuffled = cached_share(run_raw(llm, [by_key[r.key] for r in shuffled], sampling)[1])
    grouped_best, shuffled_best = min(grouped_times), min(shuffled_times)
    print("\nprefix-grouped vs shuffled order (VLLMEngine, prefix caching on in both)")
    print(f"  grouped   {n / grouped_best:7.2f} games/s  ({grouped_best:.2f} s; runs {_fmt(grouped_times)}); "
          f"prompt tokens from the prefix cache {100 * share_grouped:.0f}%")
    print(f"  shuffled  {n / shuffled_best:7.2f} games/s  ({shuffled_best:.2f} s; runs {_fmt(shuffled_times)}); "
          f"prompt tokens from the prefix cache {100 * share_shuffled:.0f}%")
    print(f"  speed-up from grouping {shuffled_best / grouped_best:.2f}x")
    engine.close()


def _fmt(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    main()

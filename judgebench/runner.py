"""Run an evaluation: plan games, send only what the store lacks, commit each result, combine outcomes.

This is the one module that does I/O with engines and the store. Everything it computes afterwards
(outcomes, position bias, the win-rate table) comes from plain functions in verdicts.py and ratings/.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from judgebench.config import JudgeConfig, RunConfig
from judgebench.engines.base import Completion, Engine, JudgeRequest
from judgebench.errors import ConfigError
from judgebench.pairing import plan_pairs, presentation_orders
from judgebench.prompts import Template, build_request, load_template
from judgebench.records import FAILED, OK, UNPARSED, Answer, Dataset, Pair
from judgebench.store import JudgmentRow, Store
from judgebench.verdicts import Combined, combine, parse_completion


@dataclass(frozen=True)
class GameSpec:
    """One planned game: a pair's presentation order and the request that judges it."""

    question_id: str
    first: str
    second: str
    request: JudgeRequest
    truncated: bool = False


@dataclass
class Tally:
    """Running totals shown by the progress bar and in the summary."""

    total: int = 0
    done: int = 0
    ok: int = 0
    unparsed: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)
    status: str = ""  # shown beside the progress bar by runs in rounds (adaptive: round, calls, top models)


@dataclass
class RunResult:
    """What a run produced; `games` are the ok games of this run's plan, `combined` their outcomes."""

    config: RunConfig
    planned: int
    reused: int
    tally: Tally
    games: pd.DataFrame
    combined: Combined
    judgments: pd.DataFrame
    interrupted: bool = False
    diagnostics: dict[str, Any] = field(default_factory=dict)

    @property
    def n_failed(self) -> int:
        return int((self.judgments["status"] == FAILED).sum())

    @property
    def n_unparsed(self) -> int:
        return int((self.judgments["status"] == UNPARSED).sum())


def plan_games(dataset: Dataset, config: RunConfig, template: Template,
               pairs: Sequence[Pair] | None = None) -> list[GameSpec]:
    """Every game of the run, in plan order: pairs from pairing.py (or the `pairs` given, as an adaptive
    run chooses them), orders from the swap policy."""
    params = template.sampling_params(config.max_tokens, config.temperature)
    judge_model = config.judge.name
    specs = []
    if pairs is None:
        pairs = plan_pairs(dataset, config.pairs, config.baseline, config.opponents, config.seed)
    for pair in pairs:
        question = dataset.questions[pair.question_id]
        for first, second in presentation_orders(pair, config.swap, config.seed):
            request = build_request(template, judge_model, params, question,
                                    dataset.answers[(pair.question_id, first)],
                                    dataset.answers[(pair.question_id, second)])
            specs.append(GameSpec(pair.question_id, first, second, request))
    return specs


TRUNCATION_MARK = "\n[... cut by judgebench to fit the judge's context ...]"


def fit_to_context(specs: list[GameSpec], dataset: Dataset, template: Template, engine: Any) -> list[GameSpec]:
    """With `truncate_answers`: shorten the two answers of each game whose prompt would overflow the judge's
    context (prompt plus max_tokens), and flag the game. Needs an engine that can count prompt tokens
    (the vLLM engine); games that still do not fit (a question too long by itself) go out unchanged and
    come back failed with the engine's reason. A shortened request is what is sent, so it has its own key.
    """
    if not hasattr(engine, "count_prompt_tokens"):
        raise ConfigError("truncate_answers needs a judge whose tokenizer judgebench can use: --engine vllm")
    fitted = []
    for spec in specs:
        budget = engine.max_model_len - int(spec.request.params.get("max_tokens") or 0)
        n_tokens = engine.count_prompt_tokens(spec.request.messages)
        if n_tokens <= budget:
            fitted.append(spec)
            continue
        question = dataset.questions[spec.question_id]
        first = dataset.answers[(spec.question_id, spec.first)]
        second = dataset.answers[(spec.question_id, spec.second)]
        request = spec.request
        for _ in range(6):  # shrink by the measured chars-per-token ratio until the prompt fits
            chars = sum(len(m["content"]) for m in request.messages)
            cut = int((n_tokens - budget) * chars / n_tokens * 1.1) + len(TRUNCATION_MARK) + 8
            first, second = _shorten_pair(first, second, cut)
            request = build_request(template, request.model, request.params, question, first, second)
            n_tokens = engine.count_prompt_tokens(request.messages)
            if n_tokens <= budget:
                break
        fitted.append(replace(spec, request=request, truncated=True))
    return fitted


def _shorten_pair(first: Answer, second: Answer, cut: int) -> tuple[Answer, Answer]:
    """Remove about `cut` characters from the two answers together: from the longer one until both are
    equally long, then evenly."""
    len_a, len_b = (sum(len(t.removesuffix(TRUNCATION_MARK)) for t in a.turns) for a in (first, second))
    cut_a = min(len_a, cut, max(0, (len_a - len_b + cut) // 2, cut - len_b))
    return _shorten(first, cut_a), _shorten(second, cut - cut_a)


def _shorten(answer: Answer, cut: int) -> Answer:
    """The answer with `cut` characters removed from the ends of its turns, in proportion to their lengths,
    each shortened turn ending with TRUNCATION_MARK."""
    turns = [turn.removesuffix(TRUNCATION_MARK) for turn in answer.turns]
    total = sum(len(turn) for turn in turns)
    if cut <= 0 or total == 0:
        return answer
    kept = [turn[: max(0, len(turn) - -(-cut * len(turn) // total))] for turn in turns]
    return replace(answer, turns=tuple(turn + TRUNCATION_MARK for turn in kept))


def game_cost(judge: JudgeConfig, prompt_tokens: int, completion_tokens: int) -> float | None:
    """Price of one completion in USD, when the judge's prices per million tokens are known."""
    if judge.price_in_per_mtok is None and judge.price_out_per_mtok is None:
        return None
    return (prompt_tokens * (judge.price_in_per_mtok or 0.0)
            + completion_tokens * (judge.price_out_per_mtok or 0.0)) / 1e6


def judgment_row(spec: GameSpec, completion: Completion, template: Template, judge: JudgeConfig) -> JudgmentRow:
    """The stored record of one completion, with its verdict parsed under the template."""
    parsed = parse_completion(template, completion.text, completion.top_logprobs, completion.error)
    error = completion.error
    if parsed.status == UNPARSED:
        error = f"no verdict of the template '{template.name}' in the judge's output"
    return JudgmentRow(
        key=spec.request.key, question_id=spec.question_id, first=spec.first, second=spec.second,
        judge=judge.name, template=template.name, status=parsed.status, label=parsed.label,
        p_first=parsed.p_first, weight=parsed.weight, raw=completion.text, logprobs=completion.top_logprobs,
        error=error, prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
        cost=game_cost(judge, completion.prompt_tokens, completion.completion_tokens),
        latency_s=completion.latency_s, truncated=spec.truncated,
        request={"model": spec.request.model, "params": spec.request.params,
                 "messages": list(spec.request.messages)},
    )


async def send_games(engine: Engine, specs: list[GameSpec], store: Store, template: Template, judge: JudgeConfig,
                     tally: Tally, on_progress: Callable[[Tally], None] | None = None) -> None:
    """Stream the requests through the engine, committing each judgment as it arrives."""
    by_key = {spec.request.key: spec for spec in specs}
    stream = engine.stream([spec.request for spec in specs])
    try:
        async for completion in stream:
            row = judgment_row(by_key[completion.key], completion, template, judge)
            store.put(row)
            tally.done += 1
            tally.ok += row.status == OK
            tally.unparsed += row.status == UNPARSED
            tally.failed += row.status == FAILED
            tally.prompt_tokens += completion.prompt_tokens
            tally.completion_tokens += completion.completion_tokens
            tally.cost += row.cost or 0.0
            if on_progress is not None:
                on_progress(tally)
    finally:
        await stream.aclose()


def build_engine(judge: JudgeConfig) -> Engine:
    """The engine a judge configuration asks for (heavy imports happen only here)."""
    if judge.engine == "openai":
        from judgebench.engines.openai_api import OpenAIEngine

        return OpenAIEngine(
            judge.model, base_url=judge.base_url, api_key=judge.api_key, api_key_env=judge.api_key_env,
            concurrency=judge.concurrency, timeout_s=judge.timeout_s, max_attempts=judge.max_attempts,
            price_in_per_mtok=judge.price_in_per_mtok, price_out_per_mtok=judge.price_out_per_mtok,
            max_retry_wait_s=judge.max_retry_wait_s, on_rate_limit=judge.on_rate_limit,
            adaptive_concurrency=judge.adaptive_concurrency, min_concurrency=judge.min_concurrency,
        )
    from judgebench.engines.vllm_local import engine_from_config

    return engine_from_config(judge)


def _games_frame(specs: list[GameSpec], judgments: pd.DataFrame) -> pd.DataFrame:
    """The ok games of this plan, with each game's verdict looked up by its key."""
    ok = judgments[judgments["status"] == OK].set_index("key")
    rows = [(s.question_id, s.first, s.second, s.request.key) for s in specs if s.request.key in ok.index]
    frame = pd.DataFrame(rows, columns=["question_id", "first", "second", "key"])
    frame["p_first"] = ok["p_first"].reindex(frame["key"]).to_numpy(dtype=float)
    frame["weight"] = ok["weight"].reindex(frame["key"]).fillna(1.0).to_numpy(dtype=float)
    return frame


async def run_async(config: RunConfig, dataset: Dataset, *, engine: Engine | None = None,
                    on_progress: Callable[[Tally], None] | None = None,
                    on_start: Callable[[Tally], None] | None = None,
                    pairs: Sequence[Pair] | None = None) -> RunResult:
    """Judge every planned game the store lacks; then combine all of the plan's stored verdicts.

    `pairs`: the pairs to judge instead of the settings' pairing plan (an adaptive run's rounds so far).

    Ctrl-C (SIGINT) or SIGTERM stops sending; what completed is already committed, and the result is
    marked `interrupted`.
    """
    template = load_template(config.template)
    specs = plan_games(dataset, config, template, pairs)
    own_engine = engine is None
    if config.truncate_answers:
        engine = engine or build_engine(config.judge)
        specs = fit_to_context(specs, dataset, template, engine)
    keys = list(dict.fromkeys(spec.request.key for spec in specs))  # identical requests are sent once
    interrupted = False
    with Store(config.store) as store:
        to_send = store.to_send(keys, config.max_unparsed_attempts)
        unique_specs = {spec.request.key: spec for spec in specs}
        pending = [unique_specs[key] for key in keys if key in to_send]
        tally = Tally(total=len(pending))
        if on_start is not None:
            on_start(tally)
        if pending:
            engine = engine or build_engine(config.judge)
            interrupted = await _send_until_stopped(engine, pending, store, template, config.judge, tally,
                                                    on_progress)
        if own_engine and engine is not None:
            await engine.aclose()
        judgments = store.judgments(keys)
    games = _games_frame(specs, judgments)
    combined = combine(games, swap=config.swap, seed=config.seed,
                       baseline=config.baseline if config.pairs == "baseline" else None)
    # Every planned pair without an outcome is incomplete, also those of which no game has a verdict yet.
    planned_pairs = len({(s.question_id, *sorted((s.first, s.second))) for s in specs})
    combined = replace(combined, n_incomplete=planned_pairs - len(combined.outcomes))
    diagnostics = {
        "n_inconsistent": combined.n_inconsistent,
        "n_incomplete": combined.n_incomplete,
        "skipped": dict(dataset.skipped),
    }
    return RunResult(config, planned=len(specs), reused=len(keys) - len(pending), tally=tally, games=games,
                     combined=combined, judgments=judgments, interrupted=interrupted, diagnostics=diagnostics)


async def _send_until_stopped(engine: Engine, pending: list[GameSpec], store: Store, template: Template,
                              judge: JudgeConfig, tally: Tally, on_progress) -> bool:
    """Run `send_games` as a task that SIGINT/SIGTERM cancel cleanly; True when it was stopped early."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(send_games(engine, pending, store, template, judge, tally, on_progress))
    stopped = False

    def stop() -> None:
        nonlocal stopped
        stopped = True
        task.cancel()

    installed = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop)
            installed.append(signum)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signal support
            pass
    try:
        await task
    except asyncio.CancelledError:
        if not stopped:
            raise
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
    return stopped


def run_coroutine(coroutine):
    """Run on uvloop's faster event loop where it is installed (it comes with vLLM), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


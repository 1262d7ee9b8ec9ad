"""Run an evaluation: plan games, send only what the store lacks, commit each result, combine outcomes.

This is the one module that does I/O with engines and the store. Everything it computes afterwards
(outcomes, position bias, the win-rate table) comes from plain functions in verdicts.py and ratings/.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import operator
import signal
import time
import uuid
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from judgebench.config import JudgeConfig, RunConfig, command_or_call, how_to_set, setting_name
from judgebench.engines.base import Completion, Engine, EngineEvent, EventHandler, JudgeRequest, fails_as_sent
from judgebench.engines.openai_api import server_address
from judgebench.engines.quiet import CallerOutput
from judgebench.errors import ConfigError, EngineError, StorageError, UnusableJudge, stopped_exit_code
from judgebench.pairing import plan_pairs, presentation_orders
from judgebench.present import abandoned_in_flight, counted, refused_remedy
from judgebench.prompts import Template, build_request, load_template, token_limit
from judgebench.records import (
    FAILED,
    GAME_KEYS,
    OK,
    UNPARSED,
    Answer,
    Dataset,
    Pair,
    count_calls_once,
    ok_games,
    per_game,
    refused_games,
)
from judgebench.store import JudgmentRow, Store, keys_to_send, rate_results, utc_time
from judgebench.verdicts import Combined, at_token_limit, combine, no_verdict, parse_completion, read_stored


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
    prompt_tokens: int = 0  # of the games whose server counted their tokens
    completion_tokens: int = 0
    cost: float | None = 0.0  # of the same games; None for a judge without prices (`JudgeConfig.priced`): unknown,
    # not $0, to a progress callback as in the CLI's "cost n/a"
    unmetered: int = 0  # answered games whose server reported no token usage: tokens and cost unknown, not 0
    elsewhere: int = 0  # games of this run's plan that another process judged meanwhile
    abandoned: int = 0  # requests sent and never answered to this run: cut off by a stop (`Engine.requests_abandoned`)
    started: float = field(default_factory=time.monotonic)
    status: str = ""  # shown beside the progress bar by runs in rounds (adaptive: round, calls, top models)

    def count(self, row: JudgmentRow) -> None:
        """Add one stored game."""
        self.done += 1
        self.ok += row.status == OK
        self.unparsed += row.status == UNPARSED
        self.failed += row.status == FAILED
        if row.prompt_tokens is None or row.completion_tokens is None:
            # an answer whose usage was not reported makes the totals unknown; a failed game without one (no
            # reply, or an error) adds nothing: one timeout made a whole run's cost unknown
            self.unmetered += row.status in (OK, UNPARSED)
            return
        self.prompt_tokens += row.prompt_tokens
        self.completion_tokens += row.completion_tokens
        if self.cost is not None:
            self.cost += row.cost or 0.0

    @property
    def calls(self) -> int:
        """Judge calls made: the games answered and stored, and the requests a stop abandoned in flight (the judge
        got them, did the work and may bill it, but nothing came back to be stored), as every count of calls made
        or sent says it (`present.abandoned_among` names the latter)."""
        return self.done + self.abandoned

    def add(self, other: Tally) -> None:
        """Add another tally's games, tokens and cost (a run in rounds sums its rounds')."""
        for name in ("total", "done", "ok", "unparsed", "failed", "prompt_tokens", "completion_tokens", "unmetered",
                     "abandoned"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.cost = added_cost(self.cost, other.cost)

    def snapshot(self) -> Tally:
        """A copy of the totals as they are now, what a progress callback is given: the running tally itself,
        handed to every call, left a caller who kept them with the final totals only (a copy costs a few
        microseconds a call, a judge call milliseconds or more)."""
        return replace(self)

    def run_counts(self, priced: bool) -> dict[str, Any]:
        """The counts recorded in the store's `runs` table; the cost is None when the judge has no prices
        (`JudgeConfig.priced`) or a game's tokens are unknown (`unmetered`), and so are the tokens in the latter
        case: unknown, not free."""
        return {"sent": self.done, "ok": self.ok, "unparsed": self.unparsed, "failed": self.failed,
                "prompt_tokens": self.known(self.prompt_tokens),
                "completion_tokens": self.known(self.completion_tokens),
                "cost": self.known(self.cost) if priced else None}

    def known(self, total: float | None) -> Any:
        """`total` (a sum of tokens or cost), or None when a game's tokens were not counted (`unmetered`)."""
        return None if self.unmetered else total


def added_cost(first: float | None, second: float | None) -> float | None:
    """The sum of two tallies' costs: None (a judge without prices) when either is."""
    return None if first is None or second is None else first + second


def new_tally(judge: JudgeConfig, **counts: Any) -> Tally:
    """A tally for games of `judge`: its cost None when the judge has no prices (`Tally.cost`)."""
    return Tally(**counts, cost=0.0 if judge.priced else None)


# Called with the running totals, a copy each call (`Tally.snapshot`, so that one kept is not changed later): as
# sending starts (on_start) and as judged games are stored (on_progress).
ProgressCallback = Callable[[Tally], None]


@dataclass
class RunRecording:
    """A run's row in the store's `runs` table: started when its first game is sent, finished once. A plain
    run has one per `run_async` call; the rounds of an adaptive run share one (`evaluation.judge_in_rounds`),
    so one command is one run in the store and in leaderboard.json's meta."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: bool = False
    refused_resent: set[str] = field(default_factory=set)  # games the judge refused as sent before, sent again

    def start(self, store: Store, provenance: dict[str, Any]) -> None:
        """Record the run's provenance, the first time only."""
        if not self.started:
            store.start_run(self.id, provenance)
            self.started = True

    def finish(self, store: Store, status: str, counts: dict[str, Any]) -> None:
        """Record how the run ended and its counts; nothing when it never sent a game, or when the store
        cannot be written any more (the run stays 'running' there, as store.finish_run says)."""
        if self.started:
            with suppress(StorageError):
                store.finish_run(self.id, status, counts)


@dataclass
class RunResult:
    """What a run produced; `judgments` has a row per game of this run's plan that has a stored judgment
    (records.per_game), `games` are the ok ones, `combined` their outcomes; `stopped_by` the signal that stopped it
    early (SIGINT: Ctrl-C, or SIGTERM), None when it was not stopped; `callback_error` the error of the caller's
    progress callback that stopped it as a signal does, for the API to raise once what was paid for is recorded
    (`raise_callback_error`)."""

    config: RunConfig
    planned: int
    reused: int
    tally: Tally
    games: pd.DataFrame
    combined: Combined
    judgments: pd.DataFrame
    stopped_by: signal.Signals | None = None
    run_id: str | None = None  # this run's row in the store's runs table (None when nothing was sent)
    notes: list[str] = field(default_factory=list)  # for the user: what was reused (`reuse`), and evaluate's notes
    reuse: Reuse | None = None  # what it reused from the store, counted (None: not judged by `run_async`)
    runs: list[dict[str, Any]] = field(default_factory=list)  # the store's runs that judged this plan's games
    asked_again: int = 0  # games to send that the store held without a verdict (failed, or unparsed)
    unreadable: int = 0  # judgments stored ok whose output has none of this template's verdicts (now unparsed)
    shared: int = 0  # games whose request another game of the plan sends too (identical answers): no call of their own
    callback_error: Exception | None = None
    stopped_after_judging: bool = False  # `stopped_by` came once judging had ended, while the results were computed

    @property
    def interrupted(self) -> bool:
        """Stopped early by Ctrl-C or SIGTERM, or by the caller's progress callback raising: what was judged is
        stored, the rest is not."""
        return self.stopped_by is not None or self.callback_error is not None

    def raise_callback_error(self) -> None:
        """Raise the error of the caller's progress callback that stopped the run, if one did: the caller's
        error reaches the caller, once the run is recorded as a stopped one."""
        if self.callback_error is not None:
            raise self.callback_error

    @property
    def stopped_exit_code(self) -> int:
        """The exit code of a stopped run, 128 + the signal's number as for a process the signal ended: 143 after
        SIGTERM (a service manager's stop), else 130 (Ctrl-C)."""
        return stopped_exit_code(self.stopped_by)

    @property
    def n_failed(self) -> int:
        return int((self.judgments["status"] == FAILED).sum())

    @property
    def n_unparsed(self) -> int:
        return int((self.judgments["status"] == UNPARSED).sum())

    @property
    def n_refused(self) -> int:
        """Failed games the judge refused as sent (`engines.base.fails_as_sent`: asking again sends the same
        request), which an adaptive plan goes on without; the other failed games may pass."""
        return refused_games(self.judgments)


def call_accounting(results: Sequence[RunResult], priced: bool) -> dict[str, Any]:
    """Judge calls made (over all `results`: a check's batches, or one run), calls of the final plan served from
    the store, tokens, cost (None without prices: `JudgeConfig.priced`), keyed by ACCOUNTING_KEYS.

    Calls made: `Tally.calls`, those a stop abandoned in flight among them (`judge_calls_abandoned`: their tokens
    and cost are not known and the next run sends them again). Served from the store: the calls that judged the
    final plan's stored games and that none of `results` made (stored before them, or by another process
    meanwhile), failed ones left out (they are asked again); never the games of a stopped check that nobody
    judged. Games whose requests are the same (identical answers) share one call, counted once
    (`records.per_game`'s `shared_call`), as `judge_calls` counts it."""
    total = Tally()
    for result in results:
        total.add(result.tally)
    ours = {r.run_id for r in results if r.run_id is not None}
    stored = results[-1].judgments
    served = int(((stored["status"] != FAILED) & ~stored["run_id"].isin(ours) & ~stored["shared_call"]).sum())
    return dict(zip(ACCOUNTING_KEYS, (total.calls, total.abandoned, served,
                                      total.known(total.prompt_tokens), total.known(total.completion_tokens),
                                      total.known(total.cost) if priced else None), strict=True))


ACCOUNTING_KEYS = ("judge_calls", "judge_calls_abandoned", "calls_from_store", "prompt_tokens", "completion_tokens",
                   "cost_usd")
"""The judge calls and their cost in a check's JSON and diagnostics.json after `diagnose --gold`
(`call_accounting`), null in that of a check without a report."""


def plan_games(dataset: Dataset, config: RunConfig, template: Template,
               pairs: Sequence[Pair] | None = None) -> list[GameSpec]:
    """Every game of the run, in plan order: pairs from pairing.py (or the `pairs` given, as an adaptive
    run chooses them), orders from the swap policy."""
    params = config.sampling(template)
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
        raise ConfigError("truncate_answers needs a judge whose tokenizer judgebench can use: "
                          f"{how_to_set('judge.engine', 'vllm')}")
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


def game_cost(judge: JudgeConfig, prompt_tokens: int | None, completion_tokens: int | None) -> float | None:
    """Price of one completion in USD, when the judge's prices per million tokens and the tokens are known."""
    if not judge.priced or prompt_tokens is None or completion_tokens is None:
        return None
    assert judge.price_in_per_mtok is not None and judge.price_out_per_mtok is not None  # `priced`
    return (prompt_tokens * judge.price_in_per_mtok + completion_tokens * judge.price_out_per_mtok) / 1e6


@dataclass(frozen=True)
class RoundCost:
    """What a round's calls cost in dollars (`usd`: every attempt of each call), how many were costed at an
    estimate, by why (`estimated`: `present.ESTIMATED_COST`'s reasons), and what its dearest pair cost (both orders'
    calls, every attempt: what a dollar budget plans the next pairs at)."""

    usd: float
    estimated: dict[str, int]
    dearest_pair: float


def plan_cost(judged: pd.DataFrame, judge: JudgeConfig) -> RoundCost:
    """What a round's calls cost (`judged`: its games, each call counted once; a game whose call another game
    made costs nothing): every attempt of each, as the store keeps it (`attempts_cost`; a failed attempt without
    a reply costs nothing), so that a rerun that replays the plan from the store counts what was paid. Where that
    is unknown (`present.ESTIMATED_COST`), every attempt is priced at the last one's cost, and the call is counted as an
    estimate: a reply without token usage is unknown, not free (README), priced at the mean of the round's
    recorded calls (no basis at all: 0); a call judged before the judge had prices from its token counts at the
    judge's prices; a call asked again with an attempt of unknown cost (answered without usage, or stored before
    `attempts_cost`) at its recorded last attempt; a failed call without a reply (asked again in a store older than
    `attempts_cost`) at nothing, as `Tally` counts a failed call: never as an answer."""
    paid = ~judged["shared_call"]
    recorded = judged["cost"].astype(float)
    fallback = float(recorded[paid].mean()) if recorded[paid].notna().any() else 0.0
    costs = judged["attempts_cost"].astype(float).where(paid, 0.0)
    unknown = costs.isna()
    estimated: dict[str, int] = {}
    for index, last, prompt, completion, attempts, status in zip(
            judged.index[unknown], recorded[unknown], judged.loc[unknown, "prompt_tokens"],
            judged.loc[unknown, "completion_tokens"], judged.loc[unknown, "attempts"], judged.loc[unknown, "status"],
            strict=True):
        if pd.notna(last):
            why = "attempts"
        elif status == FAILED and (pd.isna(prompt) or pd.isna(completion)):
            last, why = 0.0, "failed"  # no reply to bill (`JudgmentRow.attempt_cost`), nor a known earlier attempt
        elif pd.isna(prompt) or pd.isna(completion):
            last, why = fallback, "no_usage"
        else:
            last, why = game_cost(judge, int(prompt), int(completion)) or 0.0, "no_prices"
        costs[index] = last * max(int(attempts), 1)
        estimated[why] = estimated.get(why, 0) + 1
    pairs = [judged["question_id"], judged[["first", "second"]].min(axis=1), judged[["first", "second"]].max(axis=1)]
    dearest = float(costs.groupby(pairs).sum().max()) if len(costs) else 0.0
    return RoundCost(float(costs.sum()), estimated, dearest)


def judgment_row(spec: GameSpec, completion: Completion, template: Template, judge: JudgeConfig, *,
                 server: str | None = None, run_id: str | None = None) -> JudgmentRow:
    """The stored record of one completion, with its verdict parsed under the template."""
    parsed = parse_completion(template, completion.text, completion.top_logprobs, completion.error)
    error = completion.error
    if parsed.status == UNPARSED and completion.finish_reason == "length" and template.kind == "text":
        error = at_token_limit(token_limit(spec.request.params))  # reasoning, or a verdict not reached
    elif parsed.status == UNPARSED:
        said_nothing = not (completion.text and completion.text.strip())
        error = (f"the judge returned no text (finish_reason={completion.finish_reason})" if said_nothing
                 else no_verdict(template))
    return JudgmentRow(
        key=spec.request.key, question_id=spec.question_id, first=spec.first, second=spec.second,
        judge=judge.name, template=template.name, status=parsed.status, label=parsed.label,
        p_first=parsed.p_first, weight=parsed.weight, raw=completion.text, logprobs=completion.top_logprobs,
        error=error, prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
        cost=game_cost(judge, completion.prompt_tokens, completion.completion_tokens),
        latency_s=completion.latency_s, truncated=spec.truncated,
        request={"model": spec.request.model, "params": spec.request.params,
                 "messages": list(spec.request.messages)},
        server=server, run_id=run_id,
    )


LEASE_S = 60.0  # how long a claim holds without renewal: long against any pause of a running process


@dataclass(frozen=True)
class Sharing:
    """How a run shares its store with other processes (store.py explains the claims).

    `lease_s`: how long a claim holds without renewal (renewed every third of it while games are in
    flight; a process on another host that dies blocks its games this long). `poll_s`: how often a run
    waiting for games another process holds looks at the store. `batch_size`: games claimed at a time
    (0: chosen from the judge's concurrency or chunk size).
    """

    lease_s: float = field(default_factory=lambda: LEASE_S)
    poll_s: float = 0.5
    batch_size: int = 0

    def batch_for(self, judge: JudgeConfig) -> int:
        """Enough games per claim to keep the engine busy: 8 rounds of the HTTP concurrency, or a vLLM chunk
        (each engine's own setting: the other engine's is ignored, as `config.ENGINE_SETTINGS` says)."""
        if self.batch_size > 0:
            return self.batch_size
        return max(256, 8 * judge.concurrency if judge.engine == "openai" else judge.chunk_size)


class CallbackFailed(Exception):
    """The caller's progress callback raised `error`: the run stopped sending, as a signal stops it, and stored
    every answer received (`run_async` keeps `error` in `RunResult.callback_error`)."""

    def __init__(self, error: Exception):
        super().__init__(error)
        self.error = error


class ResultWriter:
    """Group commit: results are handed over as they arrive and committed together by one store thread.

    While one transaction commits, the results arriving meanwhile wait in a buffer and go in the next one,
    so a fast judge is not slowed down by a commit per game, and a slow one still has each answer committed
    within one commit's time of its arrival. A game counts as done (`on_stored`) only after its commit. The
    first failed commit is kept and raised by the next `add` or `flush`, so sending stops at once; `unstored`
    counts the answers it left unstored (the failed commit's, and those handed over after it), which a rerun
    asks for again. The first error of `on_stored` (a caller's progress callback) is kept in `callback_error`,
    for the sender to stop sending and let what is in flight arrive, while committing goes on; `flush` raises it
    (as `CallbackFailed`) once all is committed.
    """

    def __init__(self, store: Store, in_store: Callable[..., asyncio.Future], owner: str | None,
                 on_stored: Callable[[list[JudgmentRow]], None]):
        self._store, self._in_store, self._owner, self._on_stored = store, in_store, owner, on_stored
        self._buffer: list[JudgmentRow] = []
        self._commit: asyncio.Future | None = None
        self.error: BaseException | None = None  # a failed commit's: nothing more can be stored
        self.callback_error: Exception | None = None  # on_stored's first: sending stops, storing goes on
        self.unstored = 0

    def add(self, row: JudgmentRow) -> None:
        if self.error is not None:
            self.unstored += 1
            self._raise_failure()
        self._buffer.append(row)
        self._start()

    def _start(self) -> None:
        if self._commit is not None or not self._buffer or self.error is not None:
            return
        rows, self._buffer = self._buffer, []
        self._commit = self._in_store(self._store.put_many, rows, self._owner)
        self._commit.add_done_callback(lambda commit: self._committed(commit, rows))

    def _committed(self, commit: asyncio.Future, rows: list[JudgmentRow]) -> None:
        self._commit = None
        if commit.exception() is not None:
            self.error = commit.exception()
            self.unstored += len(rows) + len(self._buffer)
            self._buffer = []
            return
        try:
            self._on_stored(rows)
        except Exception as error:  # raised by flush, not lost in the event loop's exception handler
            self.callback_error = self.callback_error or error
        self._start()

    async def flush(self) -> None:
        """Wait until every result handed over is committed; raise the commit's error if one failed, else the
        first error of `on_stored` (`CallbackFailed`)."""
        while self._commit is not None:  # wait() yields to the loop even when the commit is done, so that
            await asyncio.wait([self._commit])  # _committed runs (and may start the next commit)
        if self.error is not None:
            self._raise_failure()
        if self.callback_error is not None:
            raise CallbackFailed(self.callback_error)

    def _raise_failure(self) -> NoReturn:
        """Raise the failed commit's error; a store's says how many answers it left unstored."""
        assert self.error is not None
        if isinstance(self.error, StorageError) and self.unstored:
            raise StorageError(f"{self.error}. {counted(self.unstored, 'answer')} received by this run could not "
                               "be stored: the next run asks for them again") from None
        raise self.error


async def send_games(engine: Engine, specs: list[GameSpec], store: Store, template: Template, judge: JudgeConfig,
                     tally: Tally, on_progress: ProgressCallback | None = None, *, run_id: str,
                     server: str | None = None, sharing: Sharing | None = None,
                     max_unparsed_attempts: int = 3, stop: asyncio.Event | None = None,
                     planned: Mapping[str, int] | None = None) -> None:
    """Claim, send and store the games of `specs`, sharing the work with other processes on the store.
    Once `stop` is set no further batch is claimed (`_send_until_stopped`).

    Games are claimed a batch at a time right before they are sent; games another live process holds are
    set aside and looked at again every `poll_s` until they are judged (or answered without a verdict since
    the store was read to choose them, `planned`: another process asked for them for this run too,
    `Store.claim`) or their lease runs out. Every answer received is stored before this returns or raises
    (unless the store itself fails).
    """
    by_key = {spec.request.key: spec for spec in specs}
    sharing = sharing or Sharing()
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1, thread_name_prefix="judgebench-store") as executor:

        def in_store(function: Callable[..., Any], *args: Any) -> asyncio.Future:
            # in the caller's context, as asyncio.to_thread runs a call: its messages name the command's flags
            return loop.run_in_executor(executor, contextvars.copy_context().run, function, *args)

        def stored(rows: list[JudgmentRow]) -> None:
            for row in rows:
                tally.count(row)
            if on_progress is not None:
                on_progress(tally.snapshot())

        writer = ResultWriter(store, in_store, run_id, stored)
        lease = Lease(sharing.lease_s)
        heartbeat = asyncio.ensure_future(_renew_leases(store, in_store, run_id, lease, engine))
        queue: deque[str] = deque(by_key)
        waiting: list[str] = []
        batch_size = sharing.batch_for(judge)
        finishing = False
        def stopping() -> bool:  # a signal, or the caller's progress callback failed
            return (stop is not None and stop.is_set()) or writer.callback_error is not None

        try:
            while (queue or waiting) and not stopping():
                if not queue:
                    await asyncio.sleep(sharing.poll_s)
                    queue.extend(waiting)
                    waiting.clear()
                batch = [queue.popleft() for _ in range(min(len(queue), batch_size))]
                claimed_at = time.time()
                claim = await in_store(store.claim, batch, run_id, sharing.lease_s, max_unparsed_attempts, None,
                                       planned)
                lease.taken(claim.claimed, claimed_at)
                waiting.extend(claim.busy)
                if claim.done:
                    tally.elsewhere += len(claim.done)
                    if on_progress is not None:
                        on_progress(tally.snapshot())
                if claim.claimed and not stopping():  # a stop while claiming: the claims are released below
                    stream = engine.stream(lease.gated([by_key[key].request for key in claim.claimed]))
                    try:
                        async for completion in stream:
                            lease.outstanding.discard(completion.key)
                            writer.add(judgment_row(by_key[completion.key], completion, template, judge,
                                                    server=server, run_id=run_id))
                            if writer.callback_error is not None and not finishing:
                                finishing = True  # as a Ctrl-C: the requests on the wire may be billed
                                if not engine.finish_in_flight():
                                    break
                    finally:
                        await stream.aclose()
                    if not stopping():  # games not sent while the lease had lapsed: claimed again
                        queue.extendleft(reversed([key for key in claim.claimed if key in lease.outstanding]))
                    await writer.flush()  # the batch is stored: fold it into the store file (`Store.checkpoint`)
                    await in_store(store.checkpoint)
                if heartbeat.done():
                    heartbeat.result()  # a failed renewal (StorageError) stops the run
        finally:
            heartbeat.cancel()
            try:
                await writer.flush()  # every answer received is stored
            finally:
                with suppress(asyncio.CancelledError, StorageError):
                    await heartbeat
                with suppress(StorageError):
                    await in_store(store.release_claims, run_id)


class Lease:
    """A run's hold on the games it claimed last (`outstanding`: claimed and not yet answered), until `expires`
    (wall-clock time, as other processes read the claims) unless renewed.

    A process suspended past its lease (Ctrl-Z, `kill -STOP`, a laptop asleep) may find on waking that another
    run took its games over and judged them. So no game is sent while the lease may have run out
    (`gated`), and a renewal that finds claims gone marks the lease `lost`: the run then stops its stream
    (the requests on the wire finish) and claims the games not sent again, which gives it those still free and
    the verdicts of those judged meanwhile (store.py, `Store.claim`)."""

    def __init__(self, lease_s: float):
        self.lease_s = lease_s
        self.expires = 0.0
        self.outstanding: set[str] = set()
        self.lost = False

    def taken(self, keys: Iterable[str], at: float) -> None:
        """Games claimed at `at` (the time before the claim: its lease runs out no sooner)."""
        self.outstanding, self.expires, self.lost = set(keys), at + self.lease_s, False

    def holds(self) -> bool:
        """The claims are this run's still: not lost, and the lease has not run out (with a tenth of it spare
        for clocks and the time a request takes to leave)."""
        return not self.lost and time.time() < self.expires - self.lease_s / 10

    def gated(self, requests: list[JudgeRequest]) -> Sequence[JudgeRequest]:
        """`requests` for `Engine.stream`, whose iteration ends at the first request taken once the lease no
        longer `holds`."""
        return _Gated(requests, self)


class _Gated(Sequence[JudgeRequest]):
    """The requests of `Lease.gated`."""

    def __init__(self, requests: list[JudgeRequest], lease: Lease):
        self._requests, self._lease = requests, lease

    def __len__(self) -> int:
        return len(self._requests)

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._requests[index]

    def __iter__(self) -> Iterator[JudgeRequest]:
        for request in self._requests:
            if not self._lease.holds():
                return
            yield request


async def _renew_leases(store: Store, in_store: Callable[..., asyncio.Future], owner: str, lease: Lease,
                        engine: Engine) -> None:
    """Keep `owner`'s claims alive while its games are in flight. Woken after the lease ran out (the process
    was suspended), or finding a game's claim gone (another run took it over meanwhile), it stops the engine's
    stream: the requests on the wire finish, no other is sent or retried, and `send_games` claims the games
    not sent again; a claim found gone also marks the lease lost."""
    while True:
        await asyncio.sleep(lease.lease_s / 3)
        if not lease.holds():  # woken after the lease ran out: no retry either until the games are claimed again
            engine.finish_in_flight()
        renewed_at = time.time()
        held = await in_store(store.renew_claims, owner, lease.lease_s)
        if lease.outstanding - held:
            lease.lost = True
            engine.finish_in_flight()
        else:
            lease.expires = renewed_at + lease.lease_s


def engine_log(settings: RunConfig, out: str | Path | None) -> Path | None:
    """Where a local vLLM judge's output (vLLM, torch, transformers) goes while it judges: engine.log in `out`, else
    beside the store; None for an HTTP judge, which prints nothing."""
    from judgebench.engines.quiet import ENGINE_LOG

    if settings.judge.engine != "vllm":
        return None
    return Path(out if out is not None else Path(settings.store).parent) / ENGINE_LOG


@contextmanager
def engine_output_logged(settings: RunConfig, out: str | Path | None) -> Iterator[CallerOutput]:
    """`evaluate`, `evaluate_gold` and `gate` print nothing: while they judge with a local vLLM judge, everything
    written to the process's stdout and stderr (and by the processes it starts) goes to `engine_log`
    (`quiet.capture_engine_output`, showing nothing), where an engine that fails to start is explained. Under a
    capture already on (the CLI's, which shows its progress and `--verbose` through it) it leaves that one be.
    Yields what the call wraps its caller's callbacks in, so that what they print still reaches the terminal
    (`quiet.CallerOutput`)."""
    from judgebench.engines.quiet import active_terminal, capture_engine_output

    log = engine_log(settings, out)
    if log is None or active_terminal() is not None:
        yield CallerOutput()
        return
    with capture_engine_output(log, shown=False) as terminal:
        yield CallerOutput(terminal)


def build_engine(judge: JudgeConfig, on_event: EventHandler | None = None) -> Engine:
    """The engine a judge configuration asks for (heavy imports happen only here); `on_event` receives its
    reports (rate-limit waits, concurrency changes)."""
    if judge.engine == "openai":
        from judgebench.engines.openai_api import OpenAIEngine

        assert judge.model is not None  # JudgeConfig requires a model for this engine
        return OpenAIEngine(
            judge.model, base_url=judge.base_url, api_key=judge.api_key, api_key_env=judge.api_key_env,
            concurrency=judge.concurrency, timeout_s=judge.timeout_s, max_attempts=judge.max_attempts,
            price_in_per_mtok=judge.price_in_per_mtok, price_out_per_mtok=judge.price_out_per_mtok,
            max_retry_wait_s=judge.max_retry_wait_s, on_rate_limit=judge.on_rate_limit,
            adaptive_concurrency=judge.adaptive_concurrency, min_concurrency=judge.min_concurrency,
            on_event=on_event,
        )
    from judgebench.engines.vllm_local import engine_from_config

    return engine_from_config(judge)


def server_identity(description: dict[str, Any]) -> str:
    """Who answers, from `engine.describe()`: the HTTP base URL (without credentials), or for the
    in-process vLLM engine `vllm:<model path>` (with `@<revision>` when known). Two servers both serving a
    model named `judge` are two judges, and this tells them apart."""
    if description.get("base_url"):
        return str(description["base_url"])
    where = description.get("model_path") or description.get("model") or "unknown"
    revision = description.get("revision") or description.get("model_revision")
    return f"{description.get('engine', 'engine')}:{where}" + (f"@{revision}" if revision else "")


def run_provenance(config: RunConfig, template: Template, description: dict[str, Any], server: str,
                   planned: int) -> dict[str, Any]:
    """The `runs` row of a run: what judged, with which template, under which versions."""
    from judgebench import __version__

    return {
        "judge": config.judge.name, "engine": description.get("engine", config.judge.engine), "server": server,
        "model": description.get("model"),
        "model_revision": description.get("model_revision") or description.get("revision"),
        "vllm_version": description.get("vllm"), "judgebench_version": __version__, "template": template.name,
        "template_hash": template.content_hash, "engine_settings": description, "planned": planned,
    }


def refuse_other_servers(store_path: Path, servers: dict[str | None, int], server: str | None, judge: str,
                         reuse_other_servers: bool) -> None:
    """Refuse to reuse judgments another server made for this judge model, unless allowed (`Reuse.notes` then
    says so). `servers` counts the reused judgments by the server that made them (Store.servers); `server` is None
    when this run has no engine to ask (nothing to send, and no stored judgment names a server)."""
    others = other_servers(servers, server)
    if others and not reuse_other_servers:
        raise ConfigError(
            f"the store {store_path} holds judgments of this plan for the judge '{judge}' made by another server "
            f"({_by_server(others)}); this run's judge is {server}, and two servers are two judges: use another "
            f"{setting_name('store')}, or set {how_to_set('reuse_other_servers')}"
            f"{command_or_call(' in a config file (--config FILE)', '')} to reuse them")  # no command has a flag


def other_servers(by_server: Mapping[str | None, int], server: str | None) -> dict[str, int]:
    """The servers of `by_server` (judgments counted by the server that made them, None where unknown) other than
    `server`, this run's, with their counts; one server under two spellings of its address is the same server
    (`server_address`)."""
    mine = server_address(server) if server is not None else None
    return {other: n for other, n in by_server.items() if other is not None and server_address(other) != mine}


def _by_server(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n} by {other}" for other, n in sorted(counts.items()))


@dataclass(frozen=True)
class Reuse:
    """What a run took from the store that its user should know of (its `notes`), counted, so that a run judged
    in rounds says it once with the plan's totals: each round's own notes said "32 by ..." and "31 by ..." where the
    plan had reused 159 judgments from that server."""

    template: str
    server: str | None = None  # this run's judge server (None: no engine was asked)
    by_server: Mapping[str | None, int] = field(default_factory=dict)  # reused judgments by the server that made
    # them (None: stored before judgebench recorded servers)
    read_as_verdicts: int = 0  # stored replies without a verdict read as verdicts of `template`, not asked again
    other_versions: int = 0  # games judged now that were judged before as other requests

    def __add__(self, other: Reuse) -> Reuse:
        by_server = dict(self.by_server)
        for name, n in other.by_server.items():
            by_server[name] = by_server.get(name, 0) + n
        return Reuse(self.template, self.server or other.server, by_server,
                     self.read_as_verdicts + other.read_as_verdicts, self.other_versions + other.other_versions)

    def notes(self, *, results: bool = True) -> list[str]:
        """One note for each thing reused that the user should know of; `results`: whether the command wrote a
        results folder this run can be rated from (`check` writes none, so its notes offer none)."""
        others = other_servers(self.by_server, self.server)
        notes = [f"reused judgments made by other servers ({_by_server(others)}); the judge asked now is "
                 f"{self.server}"] if others else []
        if self.by_server.get(None):
            notes.append(f"reused {self.by_server[None]} judgments stored before judgebench recorded which server "
                         "answered (unknown server)")
        if self.read_as_verdicts:
            n = self.read_as_verdicts
            notes.append(f"{n} stored {'reply' if n == 1 else 'replies'} without a verdict under the template that "
                         f"stored them read as verdicts of '{self.template}', and not asked again; the store keeps "
                         f"them as they were stored, so a leaderboard from {command_or_call('--store', 'the store')} "
                         "leaves them out"
                         + (f": rate this run from its results ({rate_results()})" if results else ""))
        if self.other_versions:
            n = self.other_versions
            notes.append(f"{counted(n, 'game')} judged now {'was' if n == 1 else 'were'} judged before with another "
                         "prompt (an answer, the template's text or the judge's settings changed); the store keeps "
                         "both versions, so " + command_or_call("`judgebench leaderboard --store` (and `report`, "
                                                                "`diagnose`)", "`judgebench.rate(STORE)` (and "
                                                                "`html_report`, `diagnose`)")
                         + f" asks which to use: {command_or_call('--latest', 'latest=True')} takes each game's "
                         "latest judgment" + (f", {rate_results()} this run's results" if results else "")
                         + f"; or judge each version in its own {setting_name('store')}")
        return notes


def read_statuses(store: Store, stored: dict[str, tuple[str, int]], template: Template,
                  max_unparsed_attempts: int) -> dict[str, tuple[str, int]]:
    """`stored` (Store.statuses: key -> status, attempts) with each unparsed judgment that would be asked again
    (`keys_to_send`) and in whose stored output `template` finds a verdict counted as ok. The run reads every
    stored judgment with its template (`verdicts.read_stored`), so such a judgment is a verdict of this run:
    asking for it again would pay for an answer the store holds. The stored row stays as it is (unparsed, under
    the template that stored it)."""
    unparsed = [key for key, (status, attempts) in stored.items()
                if status == UNPARSED and attempts < max_unparsed_attempts]
    if not unparsed:
        return stored
    read = read_stored(store.judgments(unparsed).drop_duplicates("key"), template, store.path)
    readable = set(read.loc[read["status"] == OK, "key"])
    return {key: (OK, attempts) if key in readable else (status, attempts)
            for key, (status, attempts) in stored.items()}


async def run_async(config: RunConfig, dataset: Dataset, *, engine: Engine | None = None,
                    on_progress: ProgressCallback | None = None,
                    on_start: ProgressCallback | None = None, on_event: EventHandler | None = None,
                    pairs: Sequence[Pair] | None = None, sharing: Sharing | None = None,
                    busy_timeout_s: float = 30.0, recording: RunRecording | None = None,
                    stop_signals: StopSignals | None = None, keep_refused: bool = False) -> RunResult:
    """Judge every planned game the store lacks; then combine all of the plan's stored verdicts.

    `pairs`: the pairs to judge instead of the settings' pairing plan (an adaptive run's new round).
    Other processes may judge on the same store at the same time: no game is sent by two of them (see
    store.py). Ctrl-C (SIGINT) or SIGTERM stops sending; what completed is committed, and the result is
    marked `interrupted`; so does an error of `on_start` or `on_progress`, which the result keeps for the caller
    to raise (`RunResult.raise_callback_error`). On every way out (done, stopped, engine error, store error) the answers
    already received are stored and an engine this function built is closed. `on_event` receives the engine's
    reports (rate-limit waits, concurrency changes) for the progress line. `recording`: the store's run row
    to record the games under, started here if need be and finished by the caller (an adaptive run's rounds
    share one); without it this call is a run of its own. `stop_signals`: the signal handling of a command that
    judges in steps (`StopSignals`): after a signal it kept, this call sends nothing, and a signal that comes
    while this call stores or reads marks its result stopped too. `keep_refused`: games stored failed because
    the judge refused their requests as sent (`engines.base.fails_as_sent`) are not sent again, as an adaptive
    plan goes on without them, but with `retry_refused` set those an earlier run stored are.
    """
    template = load_template(config.template)
    specs = plan_games(dataset, config, template, pairs)
    own_engine = engine is None
    try:
        if config.truncate_answers:
            engine = engine or build_engine(config.judge, on_event)
            specs = fit_to_context(specs, dataset, template, engine)
        keys = list(dict.fromkeys(spec.request.key for spec in specs))  # identical requests are sent once
        plan = pd.DataFrame([(s.request.key, s.question_id, s.first, s.second) for s in specs], columns=GAME_KEYS)
        stopped_by = stop_signals.signum if stop_signals is not None else None  # a signal before: send nothing
        callback_error: Exception | None = None
        reuse = Reuse(template.name)
        shared = recording is not None
        recording = recording or RunRecording()
        description: dict[str, Any] = {}
        with Store(config.store, busy_timeout_s=busy_timeout_s) as store:
            stored = store.statuses(keys)
            planned = {key: attempts for key, (_, attempts) in stored.items()}  # attempts when this run chose
            # Games whose request another game sends too (identical answers), in this plan or stored by an
            # earlier run under other models (with swap "random-one", (q, x, base) then (q, y, base)).
            same_request = plan[plan["key"].duplicated(keep=False) | plan["key"].isin(stored.keys())]
            if not same_request.empty:
                store.share_games(same_request.itertuples(index=False, name=None))
            statuses = read_statuses(store, stored, template, config.max_unparsed_attempts)
            read_now = sum(statuses[key][0] != stored[key][0] for key in stored)
            stored = statuses
            to_send = keys_to_send(keys, stored, config.max_unparsed_attempts, store.cut_off(keys))
            refused_before = {key: run for key, (error, run) in store.failures(to_send & stored.keys()).items()
                              if fails_as_sent(error)}  # asked again, the judge most likely refuses them again
            if keep_refused:
                to_send -= {key for key, run in refused_before.items()
                            if not (config.retry_refused and run != recording.id)}
            recording.refused_resent |= to_send & refused_before.keys()
            asked_again = len(to_send & stored.keys())  # stored without a verdict: failed, or unparsed
            reused = [key for key in keys if key not in to_send]
            unique_specs = {spec.request.key: spec for spec in specs}
            pending = [unique_specs[key] for key in keys if key in to_send]
            server, servers = None, store.servers(reused)
            if pending or any(known is not None for known in servers):
                engine = engine or build_engine(config.judge, on_event)
                description = engine.describe()
                server = server_identity(description)
            refuse_other_servers(store.path, servers, server, config.judge.name, config.reuse_other_servers)
            again = (store.other_versions(plan[plan["key"].isin(to_send)], config.judge.name, template.name)
                     if pending else 0)
            reuse = Reuse(template.name, server, servers, read_now, again)
            tally = new_tally(config.judge, total=len(pending))
            if on_start is not None:
                try:
                    on_start(tally.snapshot())
                except Exception as error:  # as an error of on_progress: nothing is sent, the caller raises it
                    callback_error = error
            if pending and stopped_by is None and callback_error is None:
                assert engine is not None and server is not None
                recording.start(store, run_provenance(config, template, description, server, len(specs)))
                status = "failed"
                abandoned_before = engine.requests_abandoned
                try:
                    stopped_by = await _send_until_stopped(
                        lambda stop: send_games(engine, pending, store, template, config.judge, tally, on_progress,
                                                run_id=recording.id, server=server, sharing=sharing,
                                                max_unparsed_attempts=config.max_unparsed_attempts, stop=stop,
                                                planned=planned),
                        engine, on_event, stop_signals)
                    status = "interrupted" if stopped_by is not None else "finished"
                except CallbackFailed as failed:  # stopped as by a signal; the caller raises the error
                    callback_error, status = failed.error, "interrupted"
                except UnusableJudge as error:  # the server answers, where it refused again games refused before
                    if not (error.refused_as_sent and error.keys <= recording.refused_resent):
                        raise
                    raise EngineError(refused_again(error, keep_refused)) from None
                except StorageError as error:  # the answers it left unstored, and the requests cut off with them
                    abandoned = engine.requests_abandoned - abandoned_before
                    if not abandoned:
                        raise
                    raise StorageError(f"{error}; {abandoned_in_flight(abandoned, 'as the run stopped')}") from None
                finally:
                    tally.abandoned = engine.requests_abandoned - abandoned_before
                    if not shared:
                        recording.finish(store, status, tally.run_counts(config.judge.priced))
            held = store.judgments(keys)
            if tally.elsewhere:  # judged by another process during this run: by this run's server too?
                judged = held[held["status"] == OK]
                if recording.started:  # not those this run sent
                    judged = judged[judged["run_id"] != recording.id]
                meanwhile = store.servers(sorted(set(judged["key"]) & {spec.request.key for spec in pending}))
                refuse_other_servers(store.path, meanwhile, server, config.judge.name, config.reuse_other_servers)
                reuse = reuse + Reuse(template.name, server, meanwhile)
            # and games whose request another process judged meanwhile under other models (identical answers)
            store.share_games(plan[plan["key"].isin(held["key"])].itertuples(index=False, name=None))
            runs = store.runs(keys)
    finally:
        if own_engine and engine is not None:
            await engine.aclose()
    if stopped_by is None and stop_signals is not None:
        stopped_by = stop_signals.signum  # kept while this call stored or read: it ends the command as well
    held = held.drop_duplicates("key")  # one row per judgment: this plan's games are given theirs below
    judgments = read_stored(held, template, config.store)  # the stored output read with this template's verdicts
    unreadable = int(((held["status"] == OK) & (judgments["status"] == UNPARSED)).sum())
    judgments = per_game(judgments, plan)
    games = ok_games(judgments).reset_index(drop=True)
    combined = combine(games, swap=config.swap, seed=config.seed,
                       baseline=config.baseline if config.pairs == "baseline" else None)
    # Every planned pair without an outcome is incomplete, also those of which no game has a verdict yet.
    planned_pairs = len({(s.question_id, *sorted((s.first, s.second))) for s in specs})
    combined = replace(combined, n_incomplete=planned_pairs - len(combined.outcomes))
    return RunResult(config, planned=len(specs), reused=len(reused) + tally.elsewhere, tally=tally, games=games,
                     combined=combined, judgments=judgments, stopped_by=stopped_by,
                     run_id=recording.id if recording.started else None, notes=reuse.notes(), reuse=reuse,
                     runs=run_records(runs), asked_again=asked_again, unreadable=unreadable,
                     shared=len(specs) - len(keys), callback_error=callback_error)


def refused_again(error: UnusableJudge, plan: bool) -> str:
    """Why a run stopped whose first games sent, each a game the judge had refused as sent before, the judge
    refused again (the engine's early check, `UnusableJudge`): not a server to check, as the engine says of
    games it knows nothing of, but requests it refuses as they are. `plan`: the games of an adaptive or
    tournament plan, asked again only with `retry_refused`, which goes on without them otherwise."""
    n = len(error.keys)
    go_on = (f"; a run without {how_to_set('retry_refused')} goes on without them" if plan else
             "; the next run sends them again, and the judge refuses them again")
    return (f"the judge refused again each of the first {n:,} games sent, games it had refused as sent before, with "
            f"{error.problem.rstrip('.')}: the server answers, but refuses those requests as they are, so the run "
            f"stopped. They stay stored, failed{go_on}. {refused_remedy()}")


def merge_rounds(rounds: Sequence[RunResult], tally: Tally, runs: pd.DataFrame) -> RunResult:
    """One result for a run judged in rounds (each round's `run_async` result covers only that round's new
    pairs, so no round renders or reads the games of the others): the rounds' games, judgments and outcomes
    together. Outcomes combine per pair, and every pair belongs to one round, so combining each round on its
    own and putting the outcomes together gives what combining all games at once would. `tally` counts
    the games sent in all rounds, `runs` the store's runs that judged them. A call is counted once
    (`records.count_calls_once`): a round's game whose request an earlier round sent (three or more models
    answering a question alike) is judged by the call of another game, not found in the store."""
    last = rounds[-1]
    outcomes = [r.combined.outcomes for r in rounds if not r.combined.outcomes.empty]
    combined = Combined(pd.concat(outcomes, ignore_index=True) if outcomes else last.combined.outcomes,
                        n_pairs=sum(r.combined.n_pairs for r in rounds),
                        n_incomplete=sum(r.combined.n_incomplete for r in rounds),
                        n_inconsistent=sum(r.combined.n_inconsistent for r in rounds))
    judgments = pd.concat([r.judgments for r in rounds], ignore_index=True).drop_duplicates(GAME_KEYS)
    shared_in_rounds = int(judgments["shared_call"].sum()) if "shared_call" in judgments else 0
    judgments = count_calls_once(judgments)
    across_rounds = int(judgments["shared_call"].sum()) - shared_in_rounds  # each read from the store by its round
    planned = sum(r.planned for r in rounds)
    reuses = [r.reuse for r in rounds if r.reuse is not None]
    reuse = functools.reduce(operator.add, reuses) if reuses else None
    return RunResult(last.config, planned=planned, reused=sum(r.reused for r in rounds) - across_rounds, tally=tally,
                     games=pd.concat([r.games for r in rounds], ignore_index=True), combined=combined,
                     judgments=judgments.reset_index(drop=True),
                     stopped_by=next((r.stopped_by for r in rounds if r.stopped_by is not None), None),
                     run_id=next((r.run_id for r in rounds if r.run_id), None),
                     notes=reuse.notes() if reuse else [], reuse=reuse, runs=run_records(runs),
                     asked_again=sum(r.asked_again for r in rounds), unreadable=sum(r.unreadable for r in rounds),
                     shared=sum(r.shared for r in rounds) + across_rounds,
                     callback_error=next((r.callback_error for r in rounds if r.callback_error is not None), None))


_RUN_FIELDS = ("id", "status", "started_at", "ended_at", "engine", "server", "model", "model_revision",
               "vllm_version", "judgebench_version", "template", "template_hash", "sent", "cost")


def run_records(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """The runs that judged a plan's games (or a store's judgments, which its report names: `report.inputs`), as
    leaderboard.json's meta names them (times in ISO 8601 UTC)."""
    records = []
    for run in runs.to_dict(orient="records"):
        record = {name: run.get(name) for name in _RUN_FIELDS}
        for name in ("started_at", "ended_at"):
            if isinstance(record[name], float) and record[name] == record[name]:
                record[name] = utc_time(record[name])
        if isinstance(record["sent"], float) and record["sent"] == record["sent"]:  # a count, whatever pandas made
            record["sent"] = int(record["sent"])  # of a column where a run still running has none (224.0)
        records.append({k: (None if isinstance(v, float) and v != v else v) for k, v in record.items()})
    return records


class Stopped(KeyboardInterrupt):
    """SIGINT (Ctrl-C) or SIGTERM, raised by `StopSignals.interruptible` in work that may be abandoned at any
    point. A KeyboardInterrupt, so that where it is not caught it ends the command as Ctrl-C does (the CLI
    exits 128 + `signum`), and asyncio and uvloop let it through as they let Ctrl-C through."""

    def __init__(self, signum: signal.Signals):
        super().__init__(signum.name)
        self.signum = signum


class StopSignals:
    """SIGINT (Ctrl-C) and SIGTERM for the whole of a command that judges in steps: an adaptive run (its rounds,
    the planner's choice between them, the design-bias replays after them) or a check (its batches).

    The runner handles both signals while games are sent (`_send_until_stopped`); between two rounds SIGTERM
    would otherwise have its default action (the process ends at once, unannounced, its run left 'running' in
    the store) and Ctrl-C would raise KeyboardInterrupt wherever the code is, a round's bookkeeping half done.
    As a context manager (in the main thread; elsewhere it installs nothing) this keeps the first signal in
    `signum`, the runner's included: `run_async` then sends nothing more and marks its result stopped, and the
    caller judges no further round or batch. Within `interruptible()` (the planner's choice, the replays: CPU
    work that can take a minute, longer than a service manager waits before SIGKILL) a signal raises `Stopped`
    at once instead. While games are sent the runner's handlers take over and give these back after.
    """

    def __init__(self) -> None:
        self.signum: signal.Signals | None = None
        self._raising = False
        self._previous: dict[signal.Signals, Any] = {}
        self._listeners: list[Callable[[signal.Signals], None]] = []

    def __enter__(self) -> StopSignals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._received)
            except ValueError:  # not the main thread: signals are not this thread's to handle
                break
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            if handler is None:  # a handler not installed from Python, which cannot be put back: Python's default
                handler = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
            signal.signal(signum, handler)
        self._previous.clear()

    def keep(self, signum: int) -> signal.Signals:
        """Record a signal; returns the first one, which is what stopped the command."""
        if self.signum is None:
            self.signum = signal.Signals(signum)
        return self.signum

    def _received(self, signum: int, frame: object) -> None:
        first = self.keep(signum)
        for listener in list(self._listeners):
            listener(signal.Signals(signum))
        if self._raising:
            raise Stopped(first)

    @contextmanager
    def listening(self, listener: Callable[[signal.Signals], None]) -> Iterator[None]:
        """Within the block each signal received is also given to `listener`: how games sent on an event loop
        in another thread (`run_coroutine` where a loop already runs: a notebook), which cannot handle
        signals, are stopped by the Ctrl-C this main thread receives."""
        self._listeners.append(listener)
        try:
            yield
        finally:
            self._listeners.remove(listener)

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """Within the block a signal raises `Stopped` at once; one kept before raises on entering."""
        if self.signum is not None:
            raise Stopped(self.signum)
        self._raising = True
        try:
            yield
        finally:
            self._raising = False


@contextmanager
def _signals_blocked(signums: Iterable[signal.Signals]) -> Iterator[None]:
    """Hold back `signums` (delivered when the block ends) while their handlers are swapped."""
    signums = set(signums)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, signums) if signums else None
    try:
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)


async def _send_until_stopped(sending: Callable[[asyncio.Event], Coroutine[Any, Any, None]], engine: Engine,
                              on_event: EventHandler | None = None,
                              stop_signals: StopSignals | None = None) -> signal.Signals | None:
    """Run `sending(stop)` as a task that SIGINT/SIGTERM stop cleanly; the signal that stopped it early (the
    first one received), None when none did.

    SIGINT (Ctrl-C) sets `stop` (no further batch is sent) and asks the engine to finish the requests
    already sent (`Engine.finish_in_flight`): a server may bill them, and a request abandoned would be sent
    and paid for again by the next run. A second SIGINT, an engine that cannot finish them (a local vLLM,
    which bills nothing), or SIGTERM cancels the task at once: a service manager's SIGTERM is followed by
    SIGKILL within seconds, sooner than a request may take. The handlers found before are put back after, not
    the defaults the event loop would leave (which would let a SIGTERM between an adaptive run's rounds end
    the process unannounced); `stop_signals` (`StopSignals`), when given, keeps the signal too, and one it
    kept before this call stops the task before anything is sent."""
    loop = asyncio.get_running_loop()
    stop_asked = asyncio.Event()
    task = asyncio.ensure_future(sending(stop_asked))
    stopped: signal.Signals | None = None

    def stop(signum: signal.Signals) -> None:
        nonlocal stopped
        stop_asked.set()
        if stopped is not None or signum != signal.SIGINT or not engine.finish_in_flight():
            task.cancel()
        elif on_event is not None:
            on_event(EngineEvent("stage", "stopping: waiting for the requests already sent, which the judge may "
                                          "bill (Ctrl-C again abandons them)"))
        if stopped is None:
            stopped = signum
        if stop_signals is not None:
            stop_signals.keep(signum)

    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            handler = signal.getsignal(signum)
            loop.add_signal_handler(signum, stop, signum)
            previous[signum] = handler
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signal support
            pass
    if stop_signals is not None and stop_signals.signum is not None:  # kept before these handlers came
        stopped = stop_signals.signum
        task.cancel()  # before it starts: nothing is claimed or sent
    relayed: AbstractContextManager[None] = nullcontext()
    if not previous and stop_signals is not None:  # a loop in another thread: the main thread's handlers relay
        def relay(signum: signal.Signals) -> None:
            loop.call_soon_threadsafe(stop, signum)

        relayed = stop_signals.listening(relay)
    try:
        with relayed:
            await task
    except asyncio.CancelledError:
        if stopped is None:
            raise
    finally:
        with _signals_blocked(previous):  # no signal meets the default handler the loop leaves in between
            for signum, handler in previous.items():
                loop.remove_signal_handler(signum)
                if handler is not None:
                    signal.signal(signum, handler)
    return stopped


def run_coroutine(coroutine):
    """Run on uvloop's faster event loop where it is installed (it comes with vLLM), else asyncio's.

    Called where an event loop already runs in this thread (a Jupyter notebook, an async application), the
    coroutine runs on a loop of its own in another thread, and this call waits for it, as it would here. A
    signal the caller's `StopSignals` receives (a notebook's "interrupt the kernel") stops its sending as in the
    main thread (`_send_until_stopped` listens); a KeyboardInterrupt while it waits otherwise cancels it, which
    stores every answer received, and is raised again. Progress callbacks are called in that thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # none runs here: run it here (outside this handler, so that its errors are not
        in_loop = False   # chained to "no running event loop")
    else:
        in_loop = True
    return _run_in_thread(coroutine) if in_loop else _run_on_new_loop(coroutine)


def _run_on_new_loop(coroutine):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def _run_in_thread(coroutine):
    """`_run_on_new_loop` in a thread of its own (`run_coroutine`), in this thread's context (the settings'
    names for messages: `config.named_by_flags`)."""
    import threading

    outcome: dict[str, Any] = {}
    started = threading.Event()

    async def tracked():
        outcome["loop"], outcome["task"] = asyncio.get_running_loop(), asyncio.current_task()
        started.set()
        return await coroutine

    def target() -> None:
        try:
            outcome["result"] = _run_on_new_loop(tracked())
        except BaseException as error:  # noqa: BLE001 - raised again in the waiting thread
            outcome["error"] = error
        finally:
            started.set()

    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,), name="judgebench-run")
    thread.start()
    try:
        thread.join()
    except KeyboardInterrupt:
        started.wait()
        if "task" in outcome:
            with suppress(RuntimeError):  # the loop has closed: the coroutine is over
                outcome["loop"].call_soon_threadsafe(outcome["task"].cancel)
        thread.join()
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]

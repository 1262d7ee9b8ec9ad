"""The engine contract: what the runner hands an engine and what it gets back.

An engine knows nothing about pairs or models under test: it turns rendered judge requests into
completions. Both engines stream completions back as they finish, so the runner can commit each one
to the store at once (a crash loses at most what is in flight). While they work, engines report what
the user should see on the progress line (a wait the server asked for, a change of pace) as `EngineEvent`s
to an `on_event` callback given to their constructor.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class JudgeRequest:
    """Exactly what reaches the judge for one game; `key` is the SHA-256 of its canonical JSON.

    `params` holds the sampling parameters: temperature, max_tokens, and for logprob templates
    logprobs=True with top_logprobs=N.
    """

    key: str
    model: str
    messages: tuple[dict[str, str], ...]
    params: dict[str, Any] = field(hash=False)


@dataclass
class Completion:
    """The judge's answer to one request, or why there is none.

    `top_logprobs` has one dict per generated position (token text -> logprob) when logprobs were asked
    for and returned. `error` is set (and `text` may be None) when the request failed for this game only;
    engine-wide problems raise `EngineError` instead. The token counts are None when the server reported none
    (unknown, not zero: the cost is unknown too).
    """

    key: str
    text: str | None
    top_logprobs: list[dict[str, float]] | None = None
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0
    latency_s: float = 0.0
    error: str | None = None
    finish_reason: str | None = None


# The end of a Completion's error when the judge cannot take the game's request as it is (`failing_as_sent`).
FAILS_AS_SENT = "(refused as sent: asking again sends the same request)"


def failing_as_sent(problem: str) -> str:
    """The error of a game whose request the judge refuses for what it holds, not for a passing state of the
    server: an HTTP error that asking again cannot change (400-class, such as a prompt over the judge's context
    length; 501, 505), a prompt vLLM counts as too long, renders with no chat template or rejects. A rerun asks
    again, with the same request, and fails it again; another answer, template or judge does not. Marked so that
    what tells the user how to go on (`fails_as_sent`) says so, not "run again"."""
    return f"{problem} {FAILS_AS_SENT}"


# Between a failure's reason and what the server sent, in a Completion's error (`with_reply`).
REPLY_SENT = " — the server sent: "


def with_reply(reason: str, sent: str) -> str:
    """The error of a game that failed on a reply body the judge cannot use: its `reason` (the kind of failure,
    worded alike for every game it ends), then the body itself, kept for the record. The body holds what differs
    per request (a reply's own id, its creation time), so the summary and the early stop count failures by
    `failure_reason` alone: 157 games failed by one empty "choices" were listed as three reasons, one game each."""
    return f"{reason}{REPLY_SENT}{sent}"


def failure_reason(error: str) -> str:
    """Why a game failed, without the reply body `with_reply` keeps: what failures are grouped and counted by."""
    return error.partition(REPLY_SENT)[0]


def fails_as_sent(error: object) -> bool:
    """Whether a stored error (`Completion.error`, as the store keeps it) is one `failing_as_sent` wrote."""
    return isinstance(error, str) and error.endswith(FAILS_AS_SENT)


EventKind = Literal["wait", "retry", "outage", "resumed", "concurrency", "stage", "inputs", "note"]


@dataclass(frozen=True)
class EngineEvent:
    """Something an engine does that the user should see while a run goes on; `message` is one line for
    the progress display, the other fields are for code that wants the numbers.

    Kinds:

    - `wait`: the engine waits `wait_s` seconds before retrying a game because the server said so
      (HTTP `status` 429, or a `Retry-After` header on a 5xx); `asked_s` is what the server asked for
      (None without `Retry-After`), which may exceed `wait_s` when the engine's cap applies;
    - `retry`: a request got an HTTP error worth retrying (`status` 5xx, 408 or 409, without `Retry-After`)
      and the engine retries it after `wait_s` seconds of backoff;
    - `outage`: the server, which had answered, refuses connections; the engine waits up to `wait_s` seconds
      for it (its waits are not reported one by one), and `resumed` says when it answers again;
    - `concurrency`: the engine changed how many requests it keeps in flight to `concurrency` (fewer when
      timeouts pile up on an overloaded server, slowly more again as answers come back in time; fewer from the
      start when the process's open-file limit cannot hold a connection per request);
    - `stage`: not the engine's but the run's: after judging, a step that takes a while began (an adaptive
      run's design-bias replays), so the display does not sit silent at 100%.
    - `inputs`: not the engine's but the run's: what it read (how many questions from which file, the format its
      files were read in, named or detected, and the models), said once the inputs are loaded and before the
      first judge call, so that files read in another format than meant are seen while the run can still be
      stopped.
    - `note`: not the engine's but the run's: something the user should know before the judge is paid (models
      whose names differ only in case, questions a reference-guided template judges without a reference, an
      adaptive plan that may judge every pair), said before the first judge call so that the run can still be
      stopped; the run's `notes` keep them.
    """

    kind: EventKind
    message: str
    wait_s: float | None = None
    asked_s: float | None = None
    status: int | None = None
    concurrency: int | None = None


EventHandler = Callable[[EngineEvent], None]
"""Called in the engine's event loop, once per event; it must return quickly (update a display)."""


class Engine(Protocol):
    """A judge backend. `describe()` names it for provenance (no secrets).

    `requests_abandoned` counts the requests it sent whose answers it never handed back: on the wire (or
    answered and not yet yielded) when their stream was cancelled (SIGTERM, a second Ctrl-C). The judge did the
    work and a server may bill it; nothing was stored, so the next run sends them again.
    """

    requests_abandoned: int

    def describe(self) -> dict[str, Any]: ...

    def stream(self, requests: Sequence[JudgeRequest]) -> AsyncGenerator[Completion, None]:
        """Yield one `Completion` per request, in completion order, as each finishes. An engine that sends
        requests one at a time takes each from `requests` as it sends it, so that an iteration of `requests`
        that ends early (a run whose lease on its games ran out: `runner.Lease.gated`) ends the stream once the
        requests taken are answered."""
        ...

    def finish_in_flight(self) -> bool:
        """Stop starting requests (new games and retries) and let the requests already sent finish, so that
        the streams end once their answers are in: a stop (Ctrl-C) then abandons no request a server may
        bill. False when the engine cannot, and the caller cancels its stream instead."""
        ...

    async def aclose(self) -> None: ...

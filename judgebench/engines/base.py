"""The engine contract: what the runner hands an engine and what it gets back.

An engine knows nothing about pairs or models under test: it turns rendered judge requests into
completions. Both engines stream completions back as they finish, so the runner can commit each one
to the store at once (a crash loses at most what is in flight).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


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
    engine-wide problems raise `EngineError` instead.
    """

    key: str
    text: str | None
    top_logprobs: list[dict[str, float]] | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    error: str | None = None
    finish_reason: str | None = None


class Engine(Protocol):
    """A judge backend. `describe()` names it for provenance (no secrets)."""

    def describe(self) -> dict[str, Any]: ...

    def stream(self, requests: Sequence[JudgeRequest]) -> AsyncIterator[Completion]:
        """Yield one `Completion` per request, in completion order, as each finishes."""
        ...

    async def aclose(self) -> None: ...

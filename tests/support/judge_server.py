"""A scripted OpenAI-compatible judge server for tests and benchmarks.

It answers `POST /v1/chat/completions` and `GET /v1/models` with OpenAI's JSON shapes. What the judge
says is decided by a *rule* the test sets (a callable receiving the parsed request); what goes wrong is
decided by *fault rules* (per request number, per matching request, for the first attempts of each game,
or with a seeded probability). Every request is logged (time, hash of the messages, status, fault, the
parameters sent) so a test can check, for example, that no game was judged twice.

Two ways to run it:

- in the test process: `JudgeServer().start()` serves from a background thread (the `judge_server`
  fixture in tests/support/fixtures.py does this and stops it afterwards);
- as its own process, so it outlives a client that is killed:
  `python -m tests.support.judge_server --port 0 --rule quality --fault 500:probability=0.05`
  prints `PORT <n>` on its first line of output (see `--help` and `spawn_server`).

Per-request work is kept small (one JSON parse, one regex scan, one hash, one JSON dump) so that a
single core answers several thousand requests a second.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web

DEFAULT_MODELS = ("test-judge",)
FAULT_KINDS = (
    "400", "401", "403", "404", "429", "500", "502", "503", "quota",
    "drop", "slow", "malformed", "html", "empty", "no_logprobs", "no_usage", "no_choices",
)
DROPPED = 0  # the status logged for a connection closed without a response
REASONING_TOKENS = 64  # what a reasoning model's hidden reasoning costs per answer (`JudgeServer.reasoning_models`)
# OpenAI's answers to a reasoning model's request with the parameters it refuses (HTTP 400).
MAX_TOKENS_REFUSED = ("Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                      "'max_completion_tokens' instead.")
TEMPERATURE_REFUSED = ("Unsupported value: 'temperature' does not support {value} with this model. Only the default "
                       "(1) value is supported.")


# ---------------------------------------------------------------------------------------------------
# What the rule sees and returns


@dataclass
class ChatRequest:
    """One parsed chat-completions request, as a rule or a fault predicate sees it.

    `number` counts requests from 0 in arrival order; `attempt` counts earlier requests carrying the
    same messages (0 for the first time a game is sent); `key` hashes the messages; `params` holds every other
    field of the request's body; `bearer` is the API key the client sent (a rule can echo it, as a hostile or
    careless judge might).
    """

    number: int
    model: str
    messages: list[dict[str, Any]]
    params: dict[str, Any]
    key: str
    attempt: int
    bearer: str = ""

    @property
    def text(self) -> str:
        """All message contents joined, in order (what a marker scan looks at)."""
        return "\n".join(str(m.get("content") or "") for m in self.messages)

    @property
    def wants_logprobs(self) -> bool:
        return bool(self.params.get("logprobs"))


@dataclass
class Reply:
    """What the judge says. `first_token_logprobs` (token -> logprob) fills the first position's
    top logprobs when the request asks for logprobs; `tokens` splits the text into the positions of
    the logprobs (default: word pieces); token counts default to a length estimate; `reasoning` is sent apart from
    the text, as vLLM's reasoning parsers send it (`message.reasoning_content`)."""

    text: str
    first_token_logprobs: dict[str, float] | None = None
    completion_tokens: int | None = None
    finish_reason: str = "stop"
    tokens: list[str] | None = None
    reasoning: str | None = None


Rule = Callable[[ChatRequest], "Reply | str"]


# ---------------------------------------------------------------------------------------------------
# Rules


QUALITY = re.compile(r"QUALITY=(-?\d+(?:\.\d+)?)")


def qualities(request: ChatRequest) -> tuple[float, float] | None:
    """The planted qualities of the answer shown first and second, or None without two markers.

    Tests write `QUALITY=<number>` into answers; the first marker in the prompt belongs to the answer
    shown first and the last marker to the answer shown second, whatever the template looks like.
    """
    found = QUALITY.findall(request.text)
    if len(found) < 2:
        return None
    return float(found[0]), float(found[-1])


def verdict_style(request: ChatRequest) -> str:
    """Which vocabulary the template asks for: `five` ([[A>>B]]...), `three` ([[A]]/[[B]]/[[C]]) or
    `token` (a bare A or B), read from the prompt itself."""
    instructions = "\n".join(str(m.get("content") or "") for m in request.messages if m.get("role") == "system")
    instructions = instructions or request.text
    if "[[A>>B]]" in instructions:
        return "five"
    if "[[C]]" in instructions:
        return "three"
    return "token"


def _label(style: str, diff: float, margin: float) -> str:
    if style == "five":
        if diff == 0:
            return "[[A=B]]"
        strong = abs(diff) >= margin
        if diff > 0:
            return "[[A>>B]]" if strong else "[[A>B]]"
        return "[[B>>A]]" if strong else "[[B>A]]"
    if style == "three":
        return "[[A]]" if diff > 0 else "[[B]]" if diff < 0 else "[[C]]"
    return "A" if diff >= 0 else "B"


def token_logprobs(p_first: float) -> dict[str, float]:
    """Top logprobs for a bare A/B verdict where A has probability `p_first`."""
    p = min(max(p_first, 1e-6), 1 - 1e-6)
    return {"A": math.log(p), "B": math.log1p(-p)}


# An answer's fenced block in judgebench's prompts (prompts._fence): its title names the slot, A or B.
ANSWER_BLOCK = re.compile(r"===== BEGIN (ANSWER ([AB])|CONVERSATION WITH ASSISTANT ([AB])) \(boundary (\w+)\) =====\n"
                          r"(.*?)\n===== END \1 \(boundary \4\) =====", re.DOTALL)


def answer_lengths(request: ChatRequest) -> tuple[int, int] | None:
    """The lengths in characters of the answers shown first (A) and second (B), or None without both blocks."""
    found = {(match.group(2) or match.group(3)): len(match.group(5)) for match in ANSWER_BLOCK.finditer(request.text)}
    return (found["A"], found["B"]) if {"A", "B"} <= found.keys() else None


def quality_rule(style: str = "auto", margin: float = 3.0, scale: float = 1.0, length_bonus: float = 0.0) -> Rule:
    """The default judge: the answer with the higher planted QUALITY wins.

    Five-level verdicts call a difference of at least `margin` "much better"; equal or missing
    markers are a tie (or A, for the bare-token style). With logprobs, P(A) = logistic(scale * diff).
    `length_bonus`: a length-biased judge, which counts the longer answer (more characters) that many
    quality points better than it is.
    """

    def rule(request: ChatRequest) -> Reply:
        q = qualities(request)
        diff = 0.0 if q is None else q[0] - q[1]
        lengths = answer_lengths(request) if length_bonus else None
        if lengths is not None:
            diff += length_bonus * ((lengths[0] > lengths[1]) - (lengths[0] < lengths[1]))
        chosen = verdict_style(request) if style == "auto" else style
        label = _label(chosen, diff, margin)
        if chosen == "token":
            return Reply(label, token_logprobs(1 / (1 + math.exp(-scale * diff))), completion_tokens=1)
        return Reply(f"Both answers were compared on correctness and helpfulness. Verdict: {label}")

    return rule


def constant_rule(text: str, first_token_logprobs: dict[str, float] | None = None) -> Rule:
    """A judge that always says `text` (for example "[[A>B]]", or "A" for a first-slot bias)."""
    reply = Reply(text, first_token_logprobs)
    return lambda request: reply


def echo_key_rule(request: ChatRequest) -> Reply:
    """A judge made to repeat the API key it was sent before a verdict ([[A>B]], or A for the bare-token
    style), its text split into 3-character tokens where the key is, as a real tokenizer would split it.
    The client must not store or show the key."""
    key = request.bearer
    verdict = "A" if verdict_style(request) == "token" else " [[A>B]]"
    tokens = ["My", " secret", " is", " "] + [key[i:i + 3] for i in range(0, len(key), 3)] + [".", verdict]
    return Reply("".join(tokens), {"My": -0.1, key[:12]: -2.5}, tokens=tokens)


RULES: dict[str, Callable[[], Rule]] = {
    "quality": quality_rule,
    "quality-longer": lambda: quality_rule(length_bonus=1.0),
    "first": lambda: constant_rule("I prefer the first answer. [[A>B]]"),
    "second": lambda: constant_rule("I prefer the second answer. [[B>A]]"),
    "tie": lambda: constant_rule("They are equally good. [[A=B]]"),
    "token-a": lambda: constant_rule("A", token_logprobs(0.9)),
    "echo-key": lambda: echo_key_rule,
}


# ---------------------------------------------------------------------------------------------------
# Faults


@dataclass
class FaultRule:
    """When to inject which fault. All given conditions must hold; the first rule that fires wins.

    - `requests`: request numbers (from 0, in arrival order) it applies to;
    - `match`: a predicate on the request;
    - `attempts`: only the first N attempts of each game (so a retry of the same messages succeeds);
    - `probability` with `seed`: a seeded coin flip per request that passes the other conditions;
    - `limit`: at most this many injections in all.
    `retry_after` (seconds, or an HTTP date string) is sent as `Retry-After` with 429/5xx replies and
    `retry_after_ms` as `retry-after-ms`; `delay_s` is how long a `slow` reply waits before answering.
    """

    kind: str
    requests: Collection[int] | None = None
    match: Callable[[ChatRequest], bool] | None = None
    attempts: int | None = None
    probability: float = 1.0
    seed: int = 0
    limit: int | None = None
    retry_after: float | str | None = None
    retry_after_ms: float | str | None = None
    delay_s: float = 30.0
    fired: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_KINDS)}")
        self._rng = random.Random(self.seed)

    def fires(self, request: ChatRequest) -> bool:
        """Whether this rule injects its fault into `request` (counts the injection)."""
        if self.limit is not None and self.fired >= self.limit:
            return False
        if self.requests is not None and request.number not in self.requests:
            return False
        if self.attempts is not None and request.attempt >= self.attempts:
            return False
        if self.match is not None and not self.match(request):
            return False
        if self.probability < 1.0 and self._rng.random() >= self.probability:
            return False
        self.fired += 1
        return True


def parse_fault(spec: str) -> FaultRule:
    """`KIND[:name=value,...]` from the command line, e.g. `429:attempts=1,retry_after=0.5`."""
    kind, _, rest = spec.partition(":")
    kwargs: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        name, _, value = item.partition("=")
        if name in ("attempts", "seed", "limit"):
            kwargs[name] = int(value)
        elif name in ("probability", "delay_s"):
            kwargs[name] = float(value)
        elif name in ("retry_after", "retry_after_ms"):
            kwargs[name] = value
        elif name == "requests":
            kwargs[name] = {int(v) for v in value.split("+")}
        else:
            raise ValueError(f"unknown fault option {name!r} in {spec!r}")
    return FaultRule(kind, **kwargs)


PRESETS: dict[str, tuple[str, ...]] = {
    # A judge that misbehaves now and then; every game succeeds within a few attempts.
    "flaky": ("500:probability=0.03,seed=1", "503:probability=0.02,seed=2,retry_after=0.05",
              "drop:probability=0.02,seed=3"),
    # Every game is refused once with a short Retry-After, then answered.
    "rate-limited": ("429:attempts=1,retry_after=0.1",),
    # Every game is refused once with a day-long Retry-After (a client must cap the wait and say so).
    "rate-limited-for-a-day": ("429:attempts=1,retry_after=86400",),
    # Some games never get a usable answer in this run (they end as failed, the next run retries them).
    "broken-bodies": ("malformed:probability=0.02,seed=4", "empty:probability=0.02,seed=5"),
}


# ---------------------------------------------------------------------------------------------------
# The log


@dataclass
class LogEntry:
    """One request as the server saw it. `status` is 0 when the connection was dropped; `fault` names
    the injected fault (None for a normal answer); `in_flight` counts the requests being answered
    when it arrived, itself included; `params`: the request's fields but its model and messages."""

    number: int
    time: float
    key: str
    model: str
    status: int
    fault: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    in_flight: int = 0
    params: dict[str, Any] = field(default_factory=dict)


def messages_key(messages: list[dict[str, Any]]) -> str:
    """A short stable hash of the messages (the game, as far as the server can tell)."""
    digest = hashlib.sha256()
    for message in messages:
        digest.update(f"{message.get('role')}\x00{message.get('content')}\x01".encode())
    return digest.hexdigest()[:32]


def read_log(path: str | Path) -> list[LogEntry]:
    """The entries a server process wrote to its JSONL log."""
    with open(path, encoding="utf-8") as f:
        return [LogEntry(**json.loads(line)) for line in f if line.strip()]


def answered(entries: list[LogEntry]) -> Counter[str]:
    """How many proper verdicts (HTTP 200, no fault) each game received."""
    return Counter(e.key for e in entries if e.status == 200 and e.fault is None)


# ---------------------------------------------------------------------------------------------------
# The server


def _error(status: int, message: str, kind: str, code: str | None = None, param: str | None = None) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


def _refused_by_reasoning(chat: ChatRequest) -> web.Response | None:
    """OpenAI's HTTP 400 for a request to a reasoning model that carries a parameter it refuses; None if none."""
    if "max_tokens" in chat.params:
        return _error(400, MAX_TOKENS_REFUSED, "invalid_request_error", "unsupported_parameter", "max_tokens")
    temperature = chat.params.get("temperature", 1)
    if temperature != 1:
        return _error(400, TEMPERATURE_REFUSED.format(value=f"{temperature:g}"), "invalid_request_error",
                      "unsupported_value", "temperature")
    return None


def _logprobs_block(text: str, first: dict[str, float] | None, top_n: int,
                    tokens: list[str] | None = None) -> dict[str, Any]:
    """OpenAI's `logprobs` object for `text`, split into `tokens` (default: word pieces); the first
    position's alternatives come from `first`, every other piece is certain (logprob 0)."""
    pieces = tokens or re.findall(r"\s*\S+", text) or [text]
    content = []
    for i, piece in enumerate(pieces):
        if i == 0 and first:
            ranked = sorted(first.items(), key=lambda kv: -kv[1])[: max(top_n, 1)]
            token, logprob = ranked[0]
            top = [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in ranked]
        else:
            token, logprob = piece, 0.0
            top = [{"token": piece, "logprob": 0.0, "bytes": list(piece.encode())}][:top_n]
        content.append({"token": token, "logprob": logprob, "bytes": list(token.encode()), "top_logprobs": top})
    return {"content": content, "refusal": None}


class JudgeServer:
    """The scripted server. Set `rule`, `faults`, `models` and `api_key` at any time (also while it
    runs); read `log`, `in_flight` and `max_in_flight`.

    `models=None` accepts any model name, else those and the `reasoning_models`; `api_key=None` accepts any key.
    `reasoning_models` are answered as OpenAI answers its reasoning models (o-series, gpt-5): a request carrying
    `max_tokens`, or a `temperature` other than 1, is refused with OpenAI's HTTP 400; an answer costs
    `REASONING_TOKENS` more completion tokens (reported as `completion_tokens_details.reasoning_tokens`), and one
    that does not fit in `max_completion_tokens` with them is cut there: no text, finish_reason "length".
    `latency_s` delays every answer (a judge that takes time, without counting as a fault); `load_latency_s` adds
    that much per request in flight when an answer arrives (an overloaded server of fixed throughput: at concurrency
    C each answer takes about C x load_latency_s). `log_path` also appends each log entry to a JSONL
    file (flushed per line, so another process can read it while this one runs).
    """

    def __init__(self, rule: Rule | None = None, *, faults: list[FaultRule] | None = None,
                 models: Collection[str] | None = DEFAULT_MODELS, api_key: str | None = None,
                 reasoning_models: Collection[str] = (), latency_s: float = 0.0, load_latency_s: float = 0.0,
                 log_path: str | Path | None = None, host: str = "127.0.0.1", port: int = 0):
        self.rule: Rule = rule or quality_rule()
        self.faults: list[FaultRule] = list(faults or [])
        self.models = models
        self.reasoning_models = reasoning_models
        self.api_key = api_key
        self.latency_s = latency_s
        self.load_latency_s = load_latency_s
        self.log: list[LogEntry] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.host, self.port = host, port
        self._attempts: Counter[str] = Counter()
        self._log_file: TextIO | None = open(log_path, "a", encoding="utf-8") if log_path else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- test-facing helpers ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The URL to give an OpenAI client (ends in /v1)."""
        return f"http://{self.host}:{self.port}/v1"

    def add_fault(self, kind: str, **conditions: Any) -> FaultRule:
        """Append a fault rule (see `FaultRule` for the conditions) and return it."""
        rule = FaultRule(kind, **conditions)
        self.faults.append(rule)
        return rule

    def answered(self) -> Counter[str]:
        """How many proper verdicts each game (messages hash) received."""
        return answered(self.log)

    def statuses(self) -> Counter[int]:
        return Counter(e.status for e in self.log)

    def reset(self) -> None:
        """Forget the log, the per-game attempt counts and the fault rules (the rule stays)."""
        self.log.clear()
        self._attempts.clear()
        self.faults.clear()
        self.max_in_flight = 0

    # -- HTTP handlers ------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        return app

    async def _models(self, request: web.Request) -> web.Response:
        names = sorted({*self.models, *self.reasoning_models}) if self.models is not None else ["test-judge"]
        data = [{"id": n, "object": "model", "created": 0, "owned_by": "judgebench-tests"} for n in names]
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        try:
            body = json.loads(await request.read())
            messages = body.pop("messages")
            model = body.pop("model")
        except (ValueError, KeyError, TypeError, AttributeError):
            return _error(400, "the request body is not a chat completion request", "invalid_request_error")
        key = messages_key(messages)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        chat = ChatRequest(len(self.log), model, messages, body, key, self._attempts[key], bearer)
        self._attempts[key] += 1
        entry = LogEntry(chat.number, time.time(), key, model, 200, None, in_flight=self.in_flight, params=body)
        self.log.append(entry)
        fault = next((f for f in self.faults if f.fires(chat)), None)
        try:
            return await self._respond(request, chat, fault, entry)
        except asyncio.CancelledError:
            entry.status = DROPPED  # the client went away first (a slow reply past its timeout)
            raise
        finally:
            self._write(entry)

    async def _respond(self, request: web.Request, chat: ChatRequest, fault: FaultRule | None,
                       entry: LogEntry) -> web.StreamResponse:
        """The response for one request, recording its status and fault in `entry`."""
        kind = fault.kind if fault else None
        entry.fault = kind
        if kind is None and self.api_key is not None:
            sent = request.headers.get("Authorization", "")
            if sent != f"Bearer {self.api_key}":
                kind = "401"
                entry.fault = None  # a real rejection, not a scripted one
        if kind is None and self.models is not None and chat.model not in {*self.models, *self.reasoning_models}:
            kind = "404"
            entry.fault = None
        if kind is None and chat.model in self.reasoning_models and (refused := _refused_by_reasoning(chat)):
            entry.status = 400
            return refused
        if kind in ("400", "401", "403", "404", "429", "500", "502", "503"):
            entry.status = int(kind)
            return self._status_fault(chat, kind, fault)
        if kind == "quota":  # OpenAI's answer to an account out of credit
            entry.status = 429
            return _error(429, "You exceeded your current quota, please check your plan and billing details.",
                          "insufficient_quota", "insufficient_quota")
        if kind == "drop":
            entry.status = DROPPED
            return self._drop(request)
        if kind == "slow":
            await asyncio.sleep(fault.delay_s)  # type: ignore[union-attr]
        elif self.latency_s > 0 or self.load_latency_s > 0:
            await asyncio.sleep(self.latency_s + self.load_latency_s * entry.in_flight)
        if kind == "malformed":
            return web.Response(body=b'{"id": "chatcmpl-x", "object": "chat.completion", "choices": [{"ind',
                                content_type="application/json")
        if kind == "html":  # a web UI's page, as a base URL pointing at it gets on every path
            return web.Response(body=b"<!doctype html><html><body>Sign in</body></html>", content_type="text/html")
        return self._completion(chat, kind, entry)

    def _status_fault(self, chat: ChatRequest, kind: str,
                      fault: FaultRule | None) -> web.Response:
        if kind == "401":
            # Like real providers, echo (part of) the key: the client must not pass this on.
            return _error(401, f"Incorrect API key provided: {chat.bearer}.", "invalid_request_error",
                          "invalid_api_key")
        if kind == "400":
            return _error(400, "This model's maximum context length is 8192 tokens.", "invalid_request_error",
                          "context_length_exceeded")
        if kind == "403":
            return _error(403, "This key may not use this model.", "invalid_request_error")
        if kind == "404":
            return _error(404, f"The model `{chat.model}` does not exist or you do not have access to it.",
                          "invalid_request_error", "model_not_found")
        response = _error(int(kind), f"scripted {kind}", "server_error" if kind != "429" else "rate_limit")
        if fault is not None and fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        if fault is not None and fault.retry_after_ms is not None:
            response.headers["retry-after-ms"] = str(fault.retry_after_ms)
        return response

    @staticmethod
    def _drop(request: web.Request) -> web.StreamResponse:
        """Close the connection without a response; the handler's return value is never sent."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=499)

    def _completion(self, chat: ChatRequest, kind: str | None, entry: LogEntry) -> web.Response:
        reply = self.rule(chat)
        if isinstance(reply, str):
            reply = Reply(reply)
        text = "" if kind == "empty" else reply.text
        finish_reason = reply.finish_reason
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in chat.messages) // 4 + 1
        completion_tokens = reply.completion_tokens if reply.completion_tokens is not None else len(text) // 4 + 1
        reasoning = chat.model in self.reasoning_models
        if reasoning:
            completion_tokens += REASONING_TOKENS
            limit = chat.params.get("max_completion_tokens")
            if isinstance(limit, int) and completion_tokens > limit:  # cut while reasoning: nothing to show
                text, finish_reason, completion_tokens = "", "length", limit
        entry.prompt_tokens, entry.completion_tokens = prompt_tokens, completion_tokens
        logprobs = None
        if chat.wants_logprobs and kind != "no_logprobs":
            logprobs = _logprobs_block(text, reply.first_token_logprobs, int(chat.params.get("top_logprobs") or 1),
                                       reply.tokens)
        body = {
            "id": f"chatcmpl-{chat.number}",
            "object": "chat.completion",
            "created": int(entry.time),
            "model": chat.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "finish_reason": finish_reason,
                "logprobs": logprobs,
            }],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }
        if reply.reasoning is not None:
            body["choices"][0]["message"]["reasoning_content"] = reply.reasoning
        if reasoning:
            body["usage"]["completion_tokens_details"] = {"reasoning_tokens": min(REASONING_TOKENS, completion_tokens)}
        if kind == "no_usage":  # servers that do not count tokens (some local ones) leave it out
            del body["usage"]
        if kind == "no_choices":  # a reply that billed the prompt and carries no answer
            body["choices"] = []
        return web.Response(body=json.dumps(body).encode(), content_type="application/json")

    def _write(self, entry: LogEntry) -> None:
        if self._log_file is not None:
            self._log_file.write(json.dumps(entry.__dict__) + "\n")
            self._log_file.flush()

    # -- lifecycle ----------------------------------------------------------------------------------

    async def serve(self, sock: socket.socket | None = None) -> None:
        """Start serving on this event loop (binds `host:port`, port 0 picks a free one)."""
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(self.app(), access_log=None, handler_cancellation=True,
                                     shutdown_timeout=0.2)
        await self._runner.setup()
        await web.SockSite(self._runner, sock, backlog=1024).start()

    async def shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> JudgeServer:
        """Serve from a background thread; returns once the port is bound."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(self.serve())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.shutdown())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="judge-server", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            raise RuntimeError(f"judge server did not start: {failure[0] if failure else 'timeout'}")
        return self

    def stop(self) -> None:
        """Stop the background thread (in-flight requests are cancelled) and close the log file."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> JudgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------------
# As a separate process


@dataclass
class ServerProcess:
    """A server running in a child process (see `spawn_server`)."""

    process: subprocess.Popen[str]
    port: int
    log_path: Path | None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def log(self) -> list[LogEntry]:
        return read_log(self.log_path) if self.log_path else []


@contextmanager
def spawn_server(*args: str, log_path: str | Path | None = None, timeout_s: float = 20.0) -> Iterator[ServerProcess]:
    """Run `python -m tests.support.judge_server --port 0 ARGS...` in a child process and stop it after.

    The child outlives clients that are killed, which is what kill-and-resume tests and the benchmark
    need. `log_path` makes it write its JSONL log there.
    """
    cmd = [sys.executable, "-m", "tests.support.judge_server", "--port", "0", *args]
    if log_path is not None:
        cmd += ["--log", str(log_path)]
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        port = _read_port(process, timeout_s)
        yield ServerProcess(process, port, Path(log_path) if log_path else None)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _read_port(process: subprocess.Popen[str], timeout_s: float) -> int:
    found: list[int] = []

    def read() -> None:
        line = process.stdout.readline() if process.stdout else ""
        if line.startswith("PORT "):
            found.append(int(line.split()[1]))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout_s)
    if not found:
        raise RuntimeError(f"judge server process did not report its port (exit code {process.poll()})")
    return found[0]


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.support.judge_server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port; printed as 'PORT <n>'")
    parser.add_argument("--rule", choices=sorted(RULES), default="quality")
    parser.add_argument("--fault", action="append", default=[], metavar="KIND[:opt=v,...]",
                        help=f"repeatable; kinds: {', '.join(FAULT_KINDS)}; options: requests=1+5, "
                             "attempts=N, probability=P, seed=S, limit=N, retry_after=S, retry_after_ms=MS, "
                             "delay_s=S")
    parser.add_argument("--preset", action="append", default=[], choices=sorted(PRESETS),
                        help="named fault scripts (repeatable): " + "; ".join(
                            f"{name} = {' '.join(specs)}" for name, specs in PRESETS.items()))
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay every answer by this much")
    parser.add_argument("--load-latency-ms", type=float, default=0.0,
                        help="delay every answer by this much per request in flight (an overloaded server)")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated; '*' accepts any")
    parser.add_argument("--api-key", default=None, help="require this bearer key (default: accept any)")
    parser.add_argument("--reasoning-model", action="append", default=[], metavar="NAME",
                        help="answer this model as OpenAI's reasoning models (repeatable)")
    parser.add_argument("--log", default=None, help="append a JSONL line per request to this file")
    return parser.parse_args(argv)


async def _serve_forever(server: JudgeServer) -> None:
    await server.serve()
    print(f"PORT {server.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.shutdown()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: serve until terminated."""
    import signal

    args = _arguments(argv)
    models = None if args.models == "*" else tuple(filter(None, args.models.split(",")))
    specs = [spec for name in args.preset for spec in PRESETS[name]] + args.fault
    server = JudgeServer(RULES[args.rule](), faults=[parse_fault(s) for s in specs], models=models,
                         api_key=args.api_key, reasoning_models=set(args.reasoning_model),
                         latency_s=args.latency_ms / 1000,
                         load_latency_s=args.load_latency_ms / 1000, log_path=args.log,
                         host=args.host, port=args.port)
    loop: asyncio.AbstractEventLoop
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    task = loop.create_task(_serve_forever(server))
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    finally:
        loop.close()
        server.stop()


if __name__ == "__main__":
    main()

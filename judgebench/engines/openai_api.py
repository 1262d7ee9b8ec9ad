"""A judge behind any OpenAI-compatible chat-completions API (OpenAI, vLLM, SGLang, llama.cpp, Ollama...).

The engine owns its retry loop (no client library retries underneath it) so that every attempt is
counted and the policy is the same for every server:

- 429, 408, 409 and 5xx replies, timeouts and dropped connections are retried with exponential backoff
  and full jitter, waiting at least what `Retry-After` asks (capped); after `max_attempts` the game's
  `Completion` carries the error, the runner stores it as failed and the next run retries it;
- a rejected key (401/403), an unknown model (404) and a server that cannot be reached stop the run at
  once with an `EngineError` that says what to check; other 4xx replies, malformed bodies and empty
  answers fail that game only.

Two interchangeable transports carry the requests: `aiohttp` (the default when installed; about six
times less CPU per request, which is what lets the harness sustain thousands of games a second) and the
`openai` package's `AsyncOpenAI` client. Both see the same server replies, so the policy above is
written once, over status codes.

The API key lives only inside the transport's headers: it never appears in `describe()`, errors or
logs, and text a server sends back is scrubbed of it before it is passed on.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import math
import os
import random
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from judgebench import __version__
from judgebench.engines.base import Completion, JudgeRequest
from judgebench.errors import EngineError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "not-needed"
RETRYABLE_STATUS = frozenset({408, 409, 429})
TRANSPORTS = ("auto", "aiohttp", "openai")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
ERROR_TEXT_LIMIT = 300
CONNECT_TIMEOUT_S = 10.0


# -- transports -------------------------------------------------------------------------------------


class ConnectFailed(Exception):
    """No connection could be opened (refused, unknown host, TLS failure, connect timeout)."""


class Dropped(Exception):
    """The connection closed before a full response arrived."""


@dataclass
class Reply:
    """An HTTP response of any status: what the retry policy decides on."""

    status: int
    headers: Mapping[str, str]
    content: bytes


class Transport(Protocol):
    """Sends chat-completion payloads; raises `ConnectFailed`, `Dropped` or `TimeoutError`."""

    def prepare(self, payload: dict[str, Any]) -> Any: ...

    async def post(self, prepared: Any) -> Reply: ...

    async def models(self) -> list[str]: ...

    async def aclose(self) -> None: ...


class AiohttpTransport:
    """Plain HTTP/1.1 with keep-alive through one aiohttp session: the low-overhead path."""

    def __init__(self, base_url: str, api_key: str, concurrency: int, timeout_s: float):
        import aiohttp

        self._aiohttp = aiohttp
        self._connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", aiohttp.ClientConnectorError)
        root = base_url.rstrip("/")
        self._chat_url, self._models_url = f"{root}/chat/completions", f"{root}/models"
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json",
                   "Accept": "application/json", "User-Agent": f"judgebench/{__version__}"}
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
        # The overall deadline is the engine's (asyncio.timeout per attempt); this bounds connecting only.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=min(timeout_s, CONNECT_TIMEOUT_S))
        # Proxy settings are read once here: aiohttp's trust_env would look them up in a thread per request.
        self._proxy = _env_proxy(root)
        self._session = aiohttp.ClientSession(headers=headers, connector=connector, timeout=timeout,
                                              raise_for_status=False)

    def prepare(self, payload: dict[str, Any]) -> bytes:
        return json.dumps(payload, ensure_ascii=False).encode()

    async def post(self, prepared: bytes) -> Reply:
        return await self._request("POST", self._chat_url, prepared)

    async def models(self) -> list[str]:
        reply = await self._request("GET", self._models_url, None)
        if reply.status != 200:
            return []
        return sorted(str(m["id"]) for m in json.loads(reply.content)["data"])

    async def _request(self, method: str, url: str, data: bytes | None) -> Reply:
        aiohttp = self._aiohttp
        try:
            async with self._session.request(method, url, data=data, proxy=self._proxy) as response:
                return Reply(response.status, response.headers, await response.read())
        except (aiohttp.ClientConnectorError, self._connect_timeout) as exc:
            raise ConnectFailed(type(exc).__name__) from exc
        except TimeoutError:
            raise
        except aiohttp.ClientError as exc:  # dropped connection, broken payload, protocol errors
            raise Dropped(type(exc).__name__) from exc

    async def aclose(self) -> None:
        await self._session.close()


class OpenAIClientTransport:
    """The `openai` package's `AsyncOpenAI` (its retries off): for setups that need its HTTP stack."""

    def __init__(self, base_url: str | None, api_key: str, concurrency: int, timeout_s: float):
        import openai

        try:  # the openai package moved from httpx to httpx2
            import httpx2 as httpx
        except ImportError:  # pragma: no cover - older openai releases
            import httpx  # type: ignore[no-redef]

        self._openai, self._httpx = openai, httpx
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S))
        local = urlsplit(base_url or DEFAULT_BASE_URL).hostname in LOOPBACK_HOSTS  # never through a proxy
        http_client = openai.DefaultAsyncHttpxClient(limits=limits, timeout=timeout, trust_env=not local)
        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=timeout,
                                          http_client=http_client)

    def prepare(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "messages": list(payload["messages"])}

    async def post(self, prepared: dict[str, Any]) -> Reply:
        openai = self._openai
        try:
            response = await self._client.post("/chat/completions", body=prepared, cast_to=self._httpx.Response)
        except openai.APIStatusError as err:
            return Reply(err.status_code, err.response.headers, err.response.content)
        except openai.APIConnectionError as err:
            if _caused_by(err, (self._httpx.ConnectError, self._httpx.ConnectTimeout, ConnectionRefusedError)):
                raise ConnectFailed(type(err.__cause__).__name__) from err
            if isinstance(err, openai.APITimeoutError):
                raise TimeoutError from err
            raise Dropped(type(err.__cause__).__name__) from err
        except openai.APIError as err:  # a body the client could not read
            raise Dropped(type(err).__name__) from err
        return Reply(response.status_code, response.headers, response.content)

    async def models(self) -> list[str]:
        page = await self._client.models.list()
        return sorted(m.id for m in page.data)

    async def aclose(self) -> None:
        await self._client.close()


def _env_proxy(url: str) -> str | None:
    """The proxy the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) sets for `url`, if any; never one
    for this machine's own addresses."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host or host in LOOPBACK_HOSTS or urllib.request.proxy_bypass(host):
        return None
    return urllib.request.getproxies().get(parts.scheme)


def _caused_by(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    seen = exc.__cause__ or exc.__context__
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, kinds):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _aiohttp_available() -> bool:
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


# -- the engine -------------------------------------------------------------------------------------


class OpenAIEngine:
    """Judge games through an OpenAI-compatible server.

    At most `concurrency` requests are in flight (one shared connection pool of that size). Running
    totals for a progress bar: `prompt_tokens`, `completion_tokens`, `total_tokens`, `cost_usd` (None
    without prices), `requests_sent` (HTTP attempts), `retries`, `games_failed`.
    `backoff_base_s`/`backoff_max_s` shape the retry waits, `retry_after_max_s` caps what a server may
    ask for, `transport` picks the HTTP stack (`auto`: aiohttp when installed, else the openai client),
    `seed` fixes the jitter.
    """

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 16, timeout_s: float = 120.0,
                 max_attempts: int = 6, price_in_per_mtok: float | None = None,
                 price_out_per_mtok: float | None = None, *, backoff_base_s: float = 1.0,
                 backoff_max_s: float = 60.0, retry_after_max_s: float = 300.0, transport: str = "auto",
                 seed: int | None = None):
        if concurrency < 1 or max_attempts < 1 or timeout_s <= 0:
            raise EngineError("the OpenAI engine needs concurrency >= 1, max_attempts >= 1 and timeout_s > 0")
        if base_url is not None and (urlsplit(base_url).scheme not in ("http", "https")
                                     or not urlsplit(base_url).hostname):
            raise EngineError("the judge base URL must look like http://HOST:PORT/v1 (the one given lacks "
                              "http:// or https:// or a host name): check --base-url or base_url in the config")
        if transport not in TRANSPORTS:
            raise EngineError(f"unknown transport {transport!r} for the OpenAI engine; use one of {TRANSPORTS}")
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.price_in_per_mtok = price_in_per_mtok
        self.price_out_per_mtok = price_out_per_mtok
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.retry_after_max_s = retry_after_max_s
        if transport == "auto":
            transport = "aiohttp" if _aiohttp_available() else "openai"
        self.transport = transport
        self._api_key, self.key_source = self._resolve_key(api_key)
        self._rng = random.Random(seed)
        self._http: Transport | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None
        self._last_contact = -math.inf  # monotonic time of the last HTTP response of any kind
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.requests_sent = 0
        self.retries = 0
        self.games_failed = 0

    # -- public surface ------------------------------------------------------------------------------

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_usd(self) -> float | None:
        """Cost so far from the prices per million tokens, or None when no price was given."""
        if self.price_in_per_mtok is None and self.price_out_per_mtok is None:
            return None
        return (self.prompt_tokens * (self.price_in_per_mtok or 0.0)
                + self.completion_tokens * (self.price_out_per_mtok or 0.0)) / 1e6

    def describe(self) -> dict[str, Any]:
        """Provenance for the store and results: which judge, where, how (never the key)."""
        return {
            "engine": "openai",
            "model": self.model,
            "base_url": self._shown_url,
            "api_key_source": self.key_source,
            "transport": self.transport,
            "concurrency": self.concurrency,
            "timeout_s": self.timeout_s,
            "max_attempts": self.max_attempts,
            "price_in_per_mtok": self.price_in_per_mtok,
            "price_out_per_mtok": self.price_out_per_mtok,
        }

    def __repr__(self) -> str:
        return f"OpenAIEngine(model={self.model!r}, base_url={self._shown_url!r}, key from {self.key_source})"

    async def stream(self, requests: Sequence[JudgeRequest]) -> AsyncIterator[Completion]:
        """Judge `requests` with at most `concurrency` in flight; yield each `Completion` as it finishes.

        An `EngineError` (bad key, unknown model, unreachable server) stops the remaining work and is
        raised from here; completions yielded before it stay valid.
        """
        if not requests:
            return
        http = self._transport_for_this_loop()
        done: asyncio.Queue[Completion | BaseException] = asyncio.Queue()
        pending = iter(requests)
        workers = [asyncio.create_task(self._work(http, pending, done))
                   for _ in range(min(self.concurrency, len(requests)))]
        try:
            for _ in range(len(requests)):
                item = await done.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._http is not None:
            http, self._http, self._http_loop = self._http, None, None
            await http.aclose()

    # -- key and transport ---------------------------------------------------------------------------

    def _resolve_key(self, api_key: str | None) -> tuple[str, str]:
        """The key to send and a description of where it came from (safe to show)."""
        if api_key:
            return api_key, "config setting api_key"
        from_env = os.environ.get(self.api_key_env)
        if from_env:
            return from_env, f"environment variable {self.api_key_env}"
        if self.base_url:
            return PLACEHOLDER_KEY, f"none (environment variable {self.api_key_env} is not set)"
        raise EngineError(
            f"no API key for the OpenAI judge: set the environment variable {self.api_key_env}, name another "
            "variable with --api-key-env (api_key_env in the config), or give --base-url for a local server")

    @property
    def _shown_url(self) -> str:
        """The base URL without any user:password part."""
        parts = urlsplit(self.base_url or DEFAULT_BASE_URL)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def _transport_for_this_loop(self) -> Transport:
        """One shared transport per event loop (connections cannot move between loops)."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop:
            if self.transport == "aiohttp":
                self._http = AiohttpTransport(self.base_url or DEFAULT_BASE_URL, self._api_key,
                                              self.concurrency, self.timeout_s)
            else:
                self._http = OpenAIClientTransport(self.base_url, self._api_key, self.concurrency, self.timeout_s)
            self._http_loop = loop
        return self._http

    # -- one game ------------------------------------------------------------------------------------

    async def _work(self, http: Transport, pending: Iterator[JudgeRequest],
                    done: asyncio.Queue[Completion | BaseException]) -> None:
        """Take requests from the shared iterator until none is left; report each result or a stop."""
        try:
            for request in pending:
                done.put_nowait(await self._judge(http, request))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # an EngineError, or a bug: the consumer re-raises it
            done.put_nowait(exc)

    async def _judge(self, http: Transport, request: JudgeRequest) -> Completion:
        """Send one game, retrying what is worth retrying; a per-game failure comes back as `error`."""
        prepared = http.prepare({"model": request.model, "messages": request.messages, **request.params})
        started = time.monotonic()
        refused_every_time = True
        for attempt in range(1, self.max_attempts + 1):
            outcome = await self._attempt(http, request, prepared, attempt, started)
            if isinstance(outcome, Completion):
                return outcome
            delay, problem, refused = outcome
            refused_every_time = refused_every_time and refused
            if delay is None or attempt == self.max_attempts:
                break
            self.retries += 1
            await asyncio.sleep(delay)
        if refused_every_time and self._last_contact < started:
            raise self._unreachable_error()
        self.games_failed += 1
        tries = f"{attempt} attempt{'s' if attempt > 1 else ''}"
        return Completion(request.key, None, error=f"{problem} (after {tries})")

    async def _attempt(self, http: Transport, request: JudgeRequest, prepared: Any, attempt: int,
                       started: float) -> Completion | tuple[float | None, str, bool]:
        """One HTTP attempt: the Completion, or (delay before retrying or None to give up, what went
        wrong, whether the connection was refused)."""
        sent = time.perf_counter()
        self.requests_sent += 1
        try:
            async with asyncio.timeout(self.timeout_s):
                reply = await http.post(prepared)
        except ConnectFailed:
            delay = self._backoff(attempt)
            if self._last_contact < started:
                delay = min(delay, 1.0)  # nothing has answered yet: find out quickly
            return delay, "could not connect to the judge server", True
        except Dropped:
            return self._backoff(attempt), "the connection dropped before a response", False
        except TimeoutError:
            return self._backoff(attempt), f"no response within {self.timeout_s:g} s", False
        self._last_contact = time.monotonic()
        if 200 <= reply.status < 300:
            return self._completion(request, reply, time.perf_counter() - sent)
        delay, problem = await self._status_problem(http, request, reply, attempt)
        return delay, problem, False

    async def _status_problem(self, http: Transport, request: JudgeRequest, reply: Reply,
                              attempt: int) -> tuple[float | None, str]:
        """Classify an HTTP error reply: raise for engine-wide ones, else (delay or None to give up, text)."""
        status = reply.status
        if status in (401, 403):
            raise self._key_error(status)
        if status == 404:
            raise await self._model_error(http, request.model)
        problem = f"HTTP {status} from the judge server: {self._scrub(_server_message(reply))}"
        if status in RETRYABLE_STATUS or status >= 500:
            asked = _retry_after(reply.headers)
            if asked is not None:
                return min(asked, self.retry_after_max_s) * (1 + 0.1 * self._rng.random()), problem
            return self._backoff(attempt), problem
        return None, problem

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)

    def _completion(self, request: JudgeRequest, reply: Reply, latency_s: float) -> Completion:
        """Turn a 2xx reply into a Completion; an unreadable or empty one fails this game only."""
        try:
            data = json.loads(reply.content)
            choice = data["choices"][0]
            text = choice["message"].get("content")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            self.games_failed += 1
            return Completion(request.key, None, latency_s=latency_s,
                              error=f"malformed response body from the judge server ({type(exc).__name__})")
        prompt_tokens, completion_tokens = _usage(data)
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        finish_reason = choice.get("finish_reason")
        error = None
        if not isinstance(text, str) or not text.strip():
            self.games_failed += 1
            text, error = None, f"the judge returned no text (finish_reason={finish_reason})"
        try:
            top = _top_logprobs(choice)
        except (KeyError, TypeError, ValueError, AttributeError):
            top = None  # unreadable logprobs: the label from the text still counts
        return Completion(request.key, text, top, prompt_tokens, completion_tokens, latency_s, error,
                          finish_reason)

    # -- engine-wide errors --------------------------------------------------------------------------

    def _key_error(self, status: int) -> EngineError:
        if self.key_source.startswith("none"):
            fix = f"set the environment variable {self.api_key_env} to a valid key"
        elif self.key_source.startswith("config"):
            fix = "check the api_key setting in the config"
        else:
            fix = f"check the key in the environment variable {self.api_key_env}"
        verb = "rejected the API key" if status == 401 else "refused access with this API key"
        return EngineError(f"the judge server at {self._shown_url} {verb} (HTTP {status}; key from "
                           f"{self.key_source}): {fix}")

    async def _model_error(self, http: Transport, model: str) -> EngineError:
        message = f"judge model '{model}' was not found at {self._shown_url} (HTTP 404)"
        available = await self._available_models(http)
        if available:
            shown = ", ".join(available[:20]) + (", ..." if len(available) > 20 else "")
            return EngineError(f"{message}; the server offers: {shown}. Check --judge-model.")
        return EngineError(f"{message}. Check --judge-model, and that --base-url is the API root "
                           "(usually ending in /v1).")

    async def _available_models(self, http: Transport) -> list[str]:
        """The model names the server lists, or [] if it will not say."""
        try:
            async with asyncio.timeout(min(self.timeout_s, CONNECT_TIMEOUT_S)):
                return await http.models()
        except Exception:  # listing is a courtesy; the 404 is the error to report
            return []

    def _unreachable_error(self) -> EngineError:
        return EngineError(
            f"could not connect to the judge server at {self._shown_url} ({self.max_attempts} attempts): "
            "check that the server is running and that --base-url (host, port, http/https) is right")

    def _scrub(self, text: str) -> str:
        """Server text with the API key (and any long piece of it) removed, shortened."""
        key = self._api_key
        if key and key != PLACEHOLDER_KEY:
            text = text.replace(key, "[key]")
            if len(key) >= 16:
                for piece in {key[:8], key[-8:]}:
                    text = text.replace(piece, "[key]")
        return text[:ERROR_TEXT_LIMIT]


# -- reading replies ---------------------------------------------------------------------------------


def _usage(data: dict[str, Any]) -> tuple[int, int]:
    usage = data.get("usage") or {}
    try:
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    except (TypeError, ValueError, AttributeError):
        return 0, 0


def _top_logprobs(choice: dict[str, Any]) -> list[dict[str, float]] | None:
    """One dict (token -> logprob) per generated position, or None when the reply has no logprobs."""
    block = choice.get("logprobs")
    positions = block.get("content") if isinstance(block, dict) else None
    if not positions:
        return None
    out = []
    for position in positions:
        alternatives = {alt["token"]: float(alt["logprob"]) for alt in position.get("top_logprobs") or ()}
        alternatives.setdefault(position["token"], float(position["logprob"]))
        out.append(alternatives)
    return out


def _server_message(reply: Reply) -> str:
    """The `error.message` of an OpenAI-style error body, else the start of the body."""
    text = reply.content.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip() or "(empty body)"
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return text.strip()


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), if given."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(seconds, 0.0) if math.isfinite(seconds) else None

"""A judge behind any OpenAI-compatible chat-completions API (OpenAI, vLLM, SGLang, llama.cpp, Ollama...).

The engine owns its retry loop (no client library retries underneath it) so that every attempt is
counted and the policy is the same for every server:

- 429, 408, 409 and 5xx replies, timeouts, dropped connections and reply bodies declared JSON that are not
  (cut short or garbled on the way: as transient as a dropped connection) are retried with exponential backoff
  and full jitter, waiting what `Retry-After` (or `retry-after-ms`) asks, at most `max_retry_wait_s`,
  plus a jitter of up to a tenth of it (at most 1 s), so that the requests it held back do not all return
  at once; every retry is reported as an `EngineEvent` (`wait` or `retry`), so it is never silent. A 429
  holds every request back for its wait, and one whose asked wait is honoured in full does not use up an
  attempt (`_judge`); with `on_rate_limit="stop"` a 429 stops the run instead, and so does an account out
  of quota (`insufficient_quota`) always. After `max_attempts` the game's `Completion` carries the error,
  the runner stores it as failed and the next run retries it;
- a server that refuses connections after it has answered in this run (a restart, an outage) is waited
  for without using up attempts, for as long as a rate limit may hold a game (`_outage`); it is announced
  when it goes down and when it is back (`outage` and `resumed` events);
- a rejected key (401/403), an unknown model (404) and a server that cannot be reached (from the start,
  or for longer than that patience) stop the run with an `EngineError` that says what to check; other 4xx
  replies (and 501, 505: the server cannot serve the request at all), JSON bodies without an answer and
  empty answers fail that game only, and are not retried;
- a judge that cannot be used as configured (a server that is not an OpenAI-compatible API, or rejects
  every request) stops the run once `UNUSABLE_AFTER` games failed and none was answered, with the most
  frequent reason, instead of failing (and retrying) every game of the plan;
- when most recent requests time out (an overloaded server), the number of requests in flight is
  halved, and grows back by one per window of timely answers (AIMD, see `AdaptiveLimit`), instead of
  timing out every request `max_attempts` times;
- each request in flight holds a connection, so a file descriptor: the process's open-file limit is raised
  as far as `concurrency` needs, and where its hard limit cannot hold that many, the concurrency is capped,
  saying why (`connection_room`); the last engine to close puts the limit back (`OpenFileLimit`). A connection
  that still cannot be opened for lack of descriptors (EMFILE, ENFILE) stops the run with an `EngineError`
  naming the limit and `concurrency`: it is a limit of this machine, which neither waiting for the server nor
  retrying helps.

Every exit from `stream` (the end, an engine-wide error, cancellation, a consumer that stops early)
closes the stream's connections; completions that had arrived before an engine-wide error are yielded
before the error is raised, so the runner can store them.

Two interchangeable transports carry the requests: `aiohttp` (the default when installed; about six
times less CPU per request, which is what lets the harness sustain thousands of games a second) and the
`openai` package's `AsyncOpenAI` client. Both see the same server replies, so the policy above is
written once, over status codes.

The API key lives only inside the transport's headers: it never appears in `describe()`, errors or
logs, and everything a server sends back (error texts, the judge's text and logprob tokens) is scrubbed
of it before it is passed on. A base URL is checked when the engine is built (`check_base_url`): a bad
port or credentials in the URL are a `ConfigError`, not hundreds of failed games.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import email.utils
import errno
import functools
import html
import json
import math
import os
import random
import re
import threading
import time
import urllib.request
from collections.abc import AsyncGenerator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from judgebench import __version__
from judgebench.config import how_to_set, setting_name
from judgebench.engines.base import (
    Completion,
    EngineEvent,
    EventHandler,
    JudgeRequest,
    failing_as_sent,
    failure_reason,
    with_reply,
)
from judgebench.errors import ConfigError, EngineError, UnusableJudge

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "not-needed"
RETRYABLE_STATUS = frozenset({408, 409, 429})
NEVER_RETRIED_STATUS = frozenset({501, 505})  # not implemented, HTTP version not supported: asking again cannot help
QUOTA_CODE = "insufficient_quota"  # OpenAI's 429 for an account out of credit: waiting cannot help
OUTAGE_POLL_S = 2.0  # at most this long between a worker's tries to reconnect to a judge server that went down
UNUSABLE_AFTER = 5  # games failed with none answered: the judge cannot be used as configured (`_unusable_error`)
TRANSPORTS = ("auto", "aiohttp", "openai")
RATE_LIMIT_POLICIES = ("wait", "stop")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
ERROR_TEXT_LIMIT = 300
CONNECT_TIMEOUT_S = 10.0
KEY_MARK = "[key]"

# -- transports -------------------------------------------------------------------------------------


class ConnectFailed(Exception):
    """No connection could be opened (refused, unknown host, TLS failure, connect timeout)."""


class Dropped(Exception):
    """The connection closed before a full response arrived."""


class OutOfDescriptors(Exception):
    """No connection could be opened because this process (EMFILE) or the system (ENFILE) has no file
    descriptor left: a local limit, not the server refusing."""

    def __init__(self, code: int):
        super().__init__(errno.errorcode.get(code, str(code)))
        self.errno = code


def _descriptors_ran_out(exc: BaseException) -> int | None:
    """EMFILE or ENFILE if that is what `exc` (or an exception it was raised from) is, else None: aiohttp and
    httpx report a socket that could not be created as a failed connection."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        code = getattr(getattr(seen, "os_error", seen), "errno", None)  # aiohttp keeps it in `os_error`
        if code in (errno.EMFILE, errno.ENFILE):
            return int(code)
        seen = seen.__cause__ or seen.__context__
    return None


@dataclass
class Reply:
    """An HTTP response of any status: what the retry policy decides on."""

    status: int
    headers: Mapping[str, str]
    content: bytes


def _header(reply: Reply, name: str) -> str:
    """A reply's header by name, whatever the case either side writes it in; "" without one."""
    return next((value for key, value in reply.headers.items() if key.lower() == name), "")


class Transport(Protocol):
    """Sends chat-completion payloads; raises `ConnectFailed`, `OutOfDescriptors`, `Dropped` or `TimeoutError`."""

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
            if (code := _descriptors_ran_out(exc)) is not None:
                raise OutOfDescriptors(code) from exc
            raise ConnectFailed(type(exc).__name__) from exc
        except TimeoutError:
            raise
        except aiohttp.ClientError as exc:  # dropped connection, broken payload, protocol errors
            if (code := _descriptors_ran_out(exc)) is not None:
                raise OutOfDescriptors(code) from exc
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
            if (code := _descriptors_ran_out(err)) is not None:
                raise OutOfDescriptors(code) from err
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


def server_address(server: str) -> str:
    """`server` (a base URL, or another engine's identity such as `vllm:<path>`, returned as it is) written one
    way for each server: a loopback host name (localhost, 127.0.0.1, ::1) as 127.0.0.1, the scheme's default port
    spelt out, no trailing slash. A judge reached once as localhost and once as 127.0.0.1 is one server, not two."""
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return server
    host = "127.0.0.1" if parts.hostname in LOOPBACK_HOSTS else parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # not a port number: no other spelling of it to match
        return server
    return f"{parts.scheme}://{host}:{port}{parts.path.rstrip('/')}"


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




# -- settings checked before any request ------------------------------------------------------------


def check_base_url(url: str) -> str:
    """The base URL of an OpenAI-compatible server, checked, without a trailing slash.

    Raises `ConfigError` (exit 2) for what would otherwise fail every game of a run: no http(s) scheme
    or host, a port that is not a number from 1 to 65535, a query or fragment (the engine appends
    `/chat/completions`), and credentials (`user:password@`), which are never sent from the URL: the key
    belongs in an environment variable named by `api_key_env`. The message never repeats a password.
    """
    parts = urlsplit(url.strip())
    host = parts.hostname
    hostport = parts.netloc.rpartition("@")[2]
    shown = urlunsplit((parts.scheme, hostport, parts.path, "", ""))
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"the judge base URL {shown!r} must look like http://HOST:PORT/v1 (it lacks http:// "
                          f"or https:// or a host name): check {setting_name('judge.base_url')}")
    if "@" in parts.netloc:
        raise ConfigError(f"the judge base URL {shown!r} contains a user name or password (user:password@), "
                          "which judgebench never sends: remove it, put the API key in an environment variable "
                          f"and name that variable with {setting_name('judge.api_key_env')}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        given = hostport.rpartition("]")[2].rpartition(":")[2]
        raise ConfigError(f"the judge base URL {shown!r} has port {given!r}, which is not a number from 1 to "
                          f"65535: check {setting_name('judge.base_url')}")
    if parts.query or parts.fragment:
        raise ConfigError(f"the judge base URL {url!r} must not contain '?' or '#' (the engine appends "
                          f"/chat/completions to it): check {setting_name('judge.base_url')}")
    return shown.rstrip("/")


VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # POSIX: letters, digits, underscores, no leading digit
NOT_A_VARIABLE = ("expects the NAME of an environment variable (like OPENAI_API_KEY: letters, digits and underscores, "
                  "not starting with a digit), not a key: put the key in a variable (export OPENAI_API_KEY=...) and "
                  "give its name")


def is_key_variable(name: str) -> bool:
    """Whether `name` can be what `api_key_env` takes: a variable that is set (any name the environment holds,
    `openai.api-key` in a container too), or one a shell could set (letters, digits and underscores, no leading
    digit). The key itself given there by mistake (`--api-key-env sk-proj-...`) is neither."""
    return name in os.environ or VARIABLE_NAME.fullmatch(name) is not None


def check_key_variable(name: str) -> str:
    """`name`, checked by `is_key_variable`: anything else is a `ConfigError` (exit 2) before any request, whose
    message never repeats the value."""
    if not is_key_variable(name):
        raise ConfigError(f"{setting_name('judge.api_key_env')}: {NOT_A_VARIABLE}")
    return name


SHOWN_VARIABLE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")  # the convention of variable names: OPENAI_API_KEY


def shown_variable(name: str) -> str:
    """How messages and the store name the variable `api_key_env` names: itself where it has the form of a variable
    name (capitals, digits, underscores), else as "the variable api_key_env names". Keys that are valid names
    (Groq's gsk_..., Hugging Face's hf_..., all letters and digits) pass `is_key_variable` when unset, and must not
    reach the 401 message or the run's provenance in the store."""
    return name if SHOWN_VARIABLE.fullmatch(name) else "the variable that api_key_env names"


# What OpenAI's reasoning models say of a request made for a judge that answers at once ("Unsupported parameter:
# 'max_tokens' ... Use 'max_completion_tokens' instead", "'temperature' does not support 0 with this model").
_REASONING_REFUSAL = re.compile(r"max_completion_tokens|'temperature' does not support", re.IGNORECASE)

# -- how many connections the process can hold -------------------------------------------------------

DESCRIPTOR_RESERVE = 64  # file descriptors kept for all but the judge's connections: store, WAL, logs, outputs


def connection_room(wanted: int) -> tuple[int, str | None]:
    """How many connections this process can hold open at once, up to `wanted`, and why fewer (None: all).

    Each request in flight holds a connection, and each connection a file descriptor; past the process's
    open-file limit (RLIMIT_NOFILE, `ulimit -n`: 256 on macOS and 1024 on many Linux systems by default) a new
    connection fails with EMFILE. So the soft limit is raised, towards the hard one, as far as `wanted`
    connections need beside the descriptors open now and `DESCRIPTOR_RESERVE` more; where even the hard limit
    cannot hold them, the connections are capped at what it can, and the reason says so. Without the limit
    (Windows): `wanted`.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return wanted, None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    kept = _open_descriptors() + DESCRIPTOR_RESERVE
    needed = kept + wanted
    if soft == resource.RLIM_INFINITY or needed <= soft:
        return wanted, None
    raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    with contextlib.suppress(ValueError, OSError):  # macOS refuses more than OPEN_MAX (10240): keep the soft limit
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        soft = raised
    if needed <= soft:
        return wanted, None
    room = max(1, soft - kept)
    return room, (f"lowering concurrency to {room} (of {wanted}): each request in flight holds a connection, and "
                  f"this process may open {soft} files at most (the open-file limit, ulimit -n; {kept} kept for the "
                  f"store, logs and Python itself); raise the limit (ulimit -n {needed}) or lower "
                  f"{setting_name('judge.concurrency')}")


class OpenFileLimit:
    """The open-file limit as the engines open in this process raised it (`connection_room`), put back when the
    last of them closes: a notebook or a service that evaluates goes on with the limit it had.

    Engines open at once share one raise: each holds it from its construction (`hold`) to its `aclose`
    (`release`), so that an engine closing does not lower the limit under one still judging. The last to release
    sets the soft limit back to what it was before the first raise, unless something else changed it since (then
    it stays as that set it: the limit is only given back while it is still the engines' own).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0  # engines open now
        self._before: int | None = None  # the soft limit before they raised it (None: they did not)
        self._raised_to: int | None = None  # the soft limit they set

    def hold(self, wanted: int) -> tuple[int, str | None]:
        """`connection_room(wanted)` for an engine opening now, which calls `release` once it closes."""
        with self._lock:
            before = _soft_open_file_limit()
            room = connection_room(wanted)
            after = _soft_open_file_limit()
            if after != before:
                if self._before is None or before != self._raised_to:  # the first raise, or the limit was set since
                    self._before = before
                self._raised_to = after
            self._holders += 1
            return room

    def release(self) -> None:
        """One engine closed: the last puts back the soft limit it found, if the limit is still the engines'."""
        with self._lock:
            self._holders -= 1
            if self._holders or self._before is None:
                return
            before, self._before = self._before, None
            import resource  # `_before` is only ever set where the limit exists

            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            if soft == self._raised_to:
                with contextlib.suppress(ValueError, OSError):
                    resource.setrlimit(resource.RLIMIT_NOFILE, (before, hard))


OPEN_FILE_LIMIT = OpenFileLimit()


def _soft_open_file_limit() -> int | None:
    """The process's soft open-file limit now (None without the limit: Windows)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _open_descriptors() -> int:
    """How many file descriptors this process holds now (0 where the system does not say)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return len(os.listdir(folder))
    return 0


# -- how many requests are in flight ----------------------------------------------------------------


class AdaptiveLimit:
    """How many requests may be in flight: additive increase, multiplicative decrease (AIMD).

    This is the rule TCP uses for its congestion window (V. Jacobson, "Congestion Avoidance and Control",
    SIGCOMM 1988; D. Chiu and R. Jain, "Analysis of the Increase and Decrease Algorithms for Congestion
    Avoidance", 1989, for why it converges): when most of the last `limit` requests sent under the
    current limit timed out (at least two), the limit is halved, never below `minimum`; after `limit`
    timely answers in a row under the current limit it grows by one, never above `maximum`. Outcomes of
    requests sent before the last decrease are not counted again: they reflect the old, higher limit.
    With `adaptive=False` the limit stays at `maximum`.

    `acquire` waits for a free slot and returns the epoch (the number of decreases so far) to hand back
    to `timed_out` or `answered` with the outcome; `release` frees the slot.
    """

    def __init__(self, maximum: int, minimum: int = 1, adaptive: bool = True):
        self.maximum, self.minimum, self.adaptive = maximum, minimum, adaptive
        self.limit = maximum
        self.in_flight = 0
        self.epoch = 0
        self._recent: collections.deque[bool] = collections.deque(maxlen=maximum)  # True = timed out
        self._answered_in_a_row = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def acquire(self) -> int:
        """Wait for a free slot; return the current epoch."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return self.epoch
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # `_hand_over` counts the slot as taken before waking us
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # woken and cancelled at once: pass the slot on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        return self.epoch

    def release(self) -> None:
        self.in_flight -= 1
        self._hand_over()

    def timed_out(self, epoch: int) -> int | None:
        """Record a timeout of a request sent in `epoch`; the new, lower limit if it changed."""
        self._answered_in_a_row = 0
        if not self.adaptive or epoch != self.epoch:
            return None
        self._recent.append(True)
        timeouts = sum(self._recent)
        if timeouts < 2 or timeouts * 2 <= self.limit or self.limit <= self.minimum:
            return None
        self.limit = max(self.minimum, self.limit // 2)
        self.epoch += 1
        self._recent = collections.deque(maxlen=self.limit)
        return self.limit

    def answered(self, epoch: int) -> int | None:
        """Record a timely answer to a request sent in `epoch`; the new, higher limit if it changed."""
        if not self.adaptive or epoch != self.epoch:
            return None
        self._recent.append(False)
        self._answered_in_a_row += 1
        if self._answered_in_a_row < self.limit or self.limit >= self.maximum:
            return None
        self._answered_in_a_row = 0
        self.limit += 1
        self._recent = collections.deque(self._recent, maxlen=self.limit)
        self._hand_over()
        return self.limit

    def _hand_over(self) -> None:
        """Wake waiters while slots are free (each woken waiter's slot is taken here, on its behalf)."""
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)


# -- the engine -------------------------------------------------------------------------------------


class OpenAIEngine:
    """Judge games through an OpenAI-compatible server.

    At most `concurrency` requests are in flight (one connection pool of that size per stream); with
    `adaptive_concurrency` the engine lowers that number, down to `min_concurrency`, while requests time
    out (see `AdaptiveLimit`). Running totals for a progress bar: `prompt_tokens`, `completion_tokens`,
    `total_tokens`, `unmetered` (replies without token usage), `cost_usd` (None without prices or with
    unmetered replies), `requests_sent` (HTTP attempts), `retries`,
    `games_failed`, `current_concurrency`.

    `max_retry_wait_s` caps the wait a server may ask for with `Retry-After` (the attempt still counts);
    `on_rate_limit` is `"wait"` (retry after the wait) or `"stop"` (a 429 raises `EngineError`);
    `on_event` receives an `EngineEvent` for every wait the server asked for and every change of
    concurrency. `backoff_base_s`/`backoff_max_s` shape the retry waits, `transport` picks the HTTP stack
    (`auto`: aiohttp when installed, else the openai client), `seed` fixes the jitter.
    Bad settings raise `ConfigError`. The process's open-file limit, raised for `concurrency` connections when
    the engine is built, is given back by `aclose` (`OpenFileLimit`).
    """

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 16, timeout_s: float = 120.0,
                 max_attempts: int = 6, price_in_per_mtok: float | None = None,
                 price_out_per_mtok: float | None = None, *, max_retry_wait_s: float = 60.0,
                 on_rate_limit: Literal["wait", "stop"] = "wait", adaptive_concurrency: bool = True,
                 min_concurrency: int = 1, on_event: EventHandler | None = None,
                 backoff_base_s: float = 1.0, backoff_max_s: float = 60.0, transport: str = "auto",
                 seed: int | None = None):
        if concurrency < 1 or max_attempts < 1 or timeout_s <= 0 or max_retry_wait_s < 0:
            raise ConfigError("the OpenAI engine needs concurrency >= 1, max_attempts >= 1, timeout_s > 0 and "
                              "max_retry_wait_s >= 0")
        if not 1 <= min_concurrency <= concurrency:
            raise ConfigError(f"min_concurrency must be between 1 and concurrency ({concurrency}); "
                              f"got {min_concurrency}")
        if on_rate_limit not in RATE_LIMIT_POLICIES:
            raise ConfigError(f"on_rate_limit must be one of {', '.join(RATE_LIMIT_POLICIES)}; "
                              f"got {on_rate_limit!r}")
        if transport not in TRANSPORTS:
            raise ConfigError(f"unknown transport {transport!r} for the OpenAI engine; use one of {TRANSPORTS}")
        self.model = model
        self.base_url = check_base_url(base_url) if base_url is not None else None
        self.api_key_env = check_key_variable(api_key_env)
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.price_in_per_mtok = price_in_per_mtok
        self.price_out_per_mtok = price_out_per_mtok
        self.max_retry_wait_s = max_retry_wait_s
        self.on_rate_limit = on_rate_limit
        self.on_event = on_event
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        if transport == "auto":
            transport = "aiohttp" if _aiohttp_available() else "openai"
        self.transport = transport
        self._api_key, self.key_source = self._resolve_key(api_key)
        self._secret = Secret(self._api_key if self._api_key != PLACEHOLDER_KEY else "")
        self._rng = random.Random(seed)
        # the note is shown when judging starts (`stream`); the limit raised is given back by `aclose`
        room, self._room_note = OPEN_FILE_LIMIT.hold(concurrency)
        self._holds_file_limit = True
        self._limit = AdaptiveLimit(room, min(min_concurrency, room), adaptive_concurrency)
        self._open: set[Transport] = set()  # the connection pools of streams still running
        self._streams: list[tuple[_StreamRun, list[asyncio.Task[None]]]] = []  # streams running, their workers
        self._last_contact = -math.inf  # monotonic time of the last HTTP response of any kind
        self._paused_until = -math.inf  # monotonic time until which a rate limit holds every request back
        self._down_since: float | None = None  # monotonic time the server, having answered, refused a connection
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.unmetered = 0  # replies that reported no token usage: the totals leave them out
        self.requests_sent = 0
        self.requests_abandoned = 0  # `Engine.requests_abandoned`
        self.retries = 0
        self.games_failed = 0
        self.games_answered = 0  # 2xx replies with a readable body (a verdict or not)
        self._problems: collections.Counter[str] = collections.Counter()  # why games failed, for the message
        self._failed_keys: list[str] = []  # the failed games' requests, and whether the judge refused each as sent
        self._all_refused_as_sent = True

    # -- public surface ------------------------------------------------------------------------------

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_usd(self) -> float | None:
        """Cost so far from the prices per million tokens, or None when no price was given or a reply counted no
        tokens (`unmetered`: unknown, not free)."""
        if self.price_in_per_mtok is None or self.price_out_per_mtok is None or self.unmetered:
            return None  # both prices or neither, as the settings give them (`JudgeConfig.priced`)
        return (self.prompt_tokens * self.price_in_per_mtok + self.completion_tokens * self.price_out_per_mtok) / 1e6

    @property
    def current_concurrency(self) -> int:
        """How many requests may be in flight now (below `concurrency` after timeouts piled up)."""
        return self._limit.limit

    def describe(self) -> dict[str, Any]:
        """Provenance for the store and results: which judge, where, how (never the key)."""
        return {
            "engine": "openai",
            "model": self.model,
            "base_url": self._shown_url,
            "api_key_source": self.key_source,
            "transport": self.transport,
            "concurrency": self.concurrency,
            "adaptive_concurrency": self._limit.adaptive,
            "timeout_s": self.timeout_s,
            "max_attempts": self.max_attempts,
            "max_retry_wait_s": self.max_retry_wait_s,
            "on_rate_limit": self.on_rate_limit,
            "price_in_per_mtok": self.price_in_per_mtok,
            "price_out_per_mtok": self.price_out_per_mtok,
        }

    def __repr__(self) -> str:
        return f"OpenAIEngine(model={self.model!r}, base_url={self._shown_url!r}, key from {self.key_source})"

    async def stream(self, requests: Sequence[JudgeRequest]) -> AsyncGenerator[Completion, None]:
        """Judge `requests`; yield each `Completion` as it finishes.

        An engine-wide error (bad key, unknown model, unreachable server, a 429 with
        `on_rate_limit="stop"`) stops sending: no new game and no retry starts, the requests already on
        the wire are waited for (the server may be charging for them), every completion that arrived is
        yielded, and then the error is raised. `finish_in_flight` (a first Ctrl-C) stops the same way and
        ends the stream without an error; cancelling the consumer instead abandons the requests in flight
        at once. Whichever way the stream ends, its connections are closed.
        """
        if not requests:
            return
        if not self._streams:
            self._down_since = None  # an outage that ended an earlier stream is not this one's
        if self._room_note is not None:
            self._emit(EngineEvent("concurrency", self._room_note, concurrency=self._limit.maximum))
            self._room_note = None
        run = _StreamRun(self._open_transport(), iter(requests), min(self._limit.maximum, len(requests)))
        workers = [asyncio.create_task(self._work(run)) for _ in range(run.workers)]
        run.alive = len(workers)
        for worker in workers:  # a done callback runs even for a task cancelled before its first step
            worker.add_done_callback(functools.partial(_worker_ended, run))
        self._streams.append((run, workers))
        try:
            while True:
                item = await run.done.get()
                if item is None:  # every worker has ended: each request taken is in
                    return
                if isinstance(item, BaseException):
                    run.stopping = True
                    await _cancel([w for w in workers if w not in run.sending])
                    await asyncio.gather(*workers, return_exceptions=True)  # the requests on the wire
                    for arrived in _drain(run.done):
                        if isinstance(arrived, Completion):
                            yield arrived
                    raise item
                yield item
        finally:
            self._streams.remove((run, workers))
            await _cancel(workers)
            # answers that arrived and were never yielded: the stream was closed (cancelled) before them
            self.requests_abandoned += sum(isinstance(item, Completion) for item in _drain(run.done))
            await self._close_run(run)

    def finish_in_flight(self) -> bool:
        """Stop starting requests and let those on the wire finish (`Engine.finish_in_flight`): every
        running stream stops as on an engine-wide error, then ends once its last request is in."""
        for run, workers in self._streams:
            run.stopping = True
            for worker in workers:
                if worker not in run.sending:  # waiting for a slot or for a retry: nothing billed yet
                    worker.cancel()
        return True

    async def aclose(self) -> None:
        """Close the connections of any stream that was left open (a stream closes its own when it ends), and give
        back the open-file limit raised for them (`OpenFileLimit`): the process goes on with the limit it had."""
        for http in list(self._open):
            await self._close_transport(http)
        if self._holds_file_limit:
            self._holds_file_limit = False
            OPEN_FILE_LIMIT.release()

    # -- key and transport ---------------------------------------------------------------------------

    def _resolve_key(self, api_key: str | None) -> tuple[str, str]:
        """The key to send and a description of where it came from (safe to show)."""
        if api_key:
            return api_key, "config setting api_key"
        from_env = os.environ.get(self.api_key_env)
        variable = shown_variable(self.api_key_env)
        if from_env:
            return from_env, f"environment variable {variable}"
        if self.base_url:
            return PLACEHOLDER_KEY, f"none (environment variable {variable} is not set)"
        raise EngineError(
            f"no API key for the OpenAI judge: set the environment variable {variable}, name another "
            f"variable with {setting_name('judge.api_key_env')}, or give {setting_name('judge.base_url')} for a local "
            "server")

    @property
    def _shown_url(self) -> str:
        """The base URL (checked: it carries no credentials)."""
        return self.base_url or DEFAULT_BASE_URL

    def _open_transport(self) -> Transport:
        """A connection pool for one stream (connections cannot move between event loops)."""
        http: Transport
        if self.transport == "aiohttp":
            http = AiohttpTransport(self._shown_url, self._api_key, self._limit.maximum, self.timeout_s)
        else:
            http = OpenAIClientTransport(self.base_url, self._api_key, self._limit.maximum, self.timeout_s)
        self._open.add(http)
        return http

    async def _close_transport(self, http: Transport) -> None:
        if http in self._open:
            self._open.discard(http)
            await http.aclose()

    async def _close_run(self, run: _StreamRun) -> None:
        """Close a stream's connections once, to the end: the closing runs as its own task, which
        cancelling the last worker (a stop) or the consumer cannot interrupt half-way."""
        if run.closing is None:
            run.closing = asyncio.ensure_future(self._close_transport(run.http))
        await asyncio.shield(run.closing)

    def _emit(self, event: EngineEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    # -- one game ------------------------------------------------------------------------------------

    async def _work(self, run: _StreamRun) -> None:
        """Take requests from the shared iterator until none is left or the stream stops; report each
        result or the error that stops the stream.

        The last worker to end closes the stream's connections, however the workers end: the consumer's
        own cleanup may never run (a consumer that drops the stream without closing it, then leaves
        the event loop, which cancels all tasks).
        """
        try:
            for request in run.pending:
                completion = await self._judge(run, request)
                if completion is not None:
                    run.done.put_nowait(completion)
                if run.stopping:
                    return
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # an EngineError, or a bug: the consumer re-raises it
            run.done.put_nowait(exc)
        finally:
            run.workers -= 1
            if run.workers == 0:
                await self._close_run(run)

    async def _judge(self, run: _StreamRun, request: JudgeRequest) -> Completion | None:
        """Send one game, retrying what is worth retrying; a per-game failure comes back as `error`,
        a game given up because the stream is stopping as None (not judged: the next run sends it).

        A 429 whose wait the server named is waited in full (up to `max_retry_wait_s`) without using up one of
        the game's `max_attempts`, as long as the game's rate-limit waits add up to at most `max_attempts` times
        `max_retry_wait_s`: a burst of rate limits delays games rather than failing them. Waiting for a server
        that went down (`_outage`) does not use up attempts either."""
        prepared = run.http.prepare({"model": request.model, "messages": request.messages, **request.params})
        started = time.monotonic()
        failures: set[str] = set()
        attempt, rate_limited_s = 1, 0.0
        while True:
            outcome = await self._attempt(run, request, prepared, attempt, started)
            if isinstance(outcome, Completion):
                if outcome.error is None:
                    self.games_answered += 1
                else:
                    self._failed(outcome.error, request.key)
                return outcome
            if run.stopping:
                return None
            failures.add(outcome.kind)
            rate_limited = (outcome.kind == "rate-limited" and outcome.delay is not None
                            and rate_limited_s + outcome.delay <= self.max_attempts * self.max_retry_wait_s)
            free = rate_limited or outcome.kind == "outage"
            if outcome.delay is None or (attempt == self.max_attempts and not free):
                break
            self._retrying(outcome)
            self.retries += 1
            rate_limited_s += outcome.delay if rate_limited else 0.0
            attempt += 0 if free else 1
            await asyncio.sleep(outcome.delay)
        if self._last_contact < started and failures == {"refused"}:
            raise self._unreachable_error()
        timed_out_every_time = failures == {"timeout"} and attempt == self.max_attempts and attempt >= 2
        if self._last_contact < started and timed_out_every_time:
            raise self._silent_error(time.monotonic() - started)  # nothing answered while this game was tried
        as_sent = outcome.delay is None and outcome.status is not None  # refused as sent (`_status_problem`)
        self._failed(outcome.problem, request.key, as_sent)
        if as_sent:
            return Completion(request.key, None, error=failing_as_sent(outcome.problem))
        tries = f"{attempt} attempt{'s' if attempt > 1 else ''}"
        return Completion(request.key, None, error=f"{outcome.problem} (after {tries})")

    def _failed(self, problem: str, key: str, as_sent: bool = False) -> None:
        """Count a failed game (`key` its request; `as_sent`: the judge refused it as sent); once `UNUSABLE_AFTER`
        games failed and the server answered none, stop the run (`_unusable_error`): every other game would fail
        the same way, each after its own retries."""
        self.games_failed += 1
        self._problems[failure_reason(problem)] += 1
        self._failed_keys.append(key)
        self._all_refused_as_sent = self._all_refused_as_sent and as_sent
        if self.games_answered == 0 and self.games_failed >= UNUSABLE_AFTER:
            raise self._unusable_error()

    def _retrying(self, miss: _Miss) -> None:
        """Report the wait before a retry, so that no retry is silent: a wait the server asked for (or a rate
        limit) as `wait`, any other as `retry`. A 429 also holds every request of the engine back for its
        wait (`_paused_until`): the others would only be rate-limited too. Waits for a server that went down
        are not reported one by one: its going down and coming back are (`_outage`)."""
        assert miss.delay is not None
        if miss.kind == "outage":
            return
        if miss.status == 429:
            self._paused_until = max(self._paused_until, time.monotonic() + miss.delay)
        status = miss.status
        if status is not None and (status == 429 or miss.asked is not None):
            self._emit(EngineEvent("wait", _wait_message(status, miss.asked, miss.delay), wait_s=miss.delay,
                                   asked_s=miss.asked, status=status))
        else:
            self._emit(EngineEvent("retry", f"{miss.problem}; retrying in {_seconds_text(miss.delay)}",
                                   wait_s=miss.delay, status=miss.status))

    async def _attempt(self, run: _StreamRun, request: JudgeRequest, prepared: Any, attempt: int,
                       started: float) -> Completion | _Miss:
        """One HTTP attempt, sent once a rate limit's pause is over: the Completion, or what went wrong."""
        while (pause := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(pause)
        epoch = await self._limit.acquire()
        sent, sent_at = time.perf_counter(), time.monotonic()
        self.requests_sent += 1
        task = asyncio.current_task()
        run.sending.add(task)
        try:
            async with asyncio.timeout(self.timeout_s):
                reply = await run.http.post(prepared)
        except asyncio.CancelledError:  # the stream was closed while this request was on the wire
            self.requests_abandoned += 1
            raise
        except OutOfDescriptors as exc:
            raise self._descriptors_error(exc.errno) from None
        except ConnectFailed:
            if self._last_contact > -math.inf:
                return self._outage(sent_at, run.stopping)
            wait = self._backoff(attempt)
            if self._last_contact < started:
                wait = min(wait, 1.0)  # nothing has answered yet: find out quickly
            return _Miss(wait, "could not connect to the judge server", "refused")
        except Dropped:
            return _Miss(self._backoff(attempt), "the connection dropped before a response")
        except TimeoutError:
            self._concurrency_changed(self._limit.timed_out(epoch), "requests time out")
            return _Miss(self._backoff(attempt), f"no response within {self.timeout_s:g} s", "timeout")
        finally:
            run.sending.discard(task)
            self._limit.release()
        self._last_contact = time.monotonic()
        if self._down_since is not None:
            self._emit(EngineEvent("resumed", f"the judge server at {self._shown_url} accepts connections again, "
                                              f"after {_seconds_text(self._last_contact - self._down_since)}: "
                                              "judging goes on"))
            self._down_since = None
        if 200 <= reply.status < 300:
            self._concurrency_changed(self._limit.answered(epoch), "answers come back in time")
            return self._completion(request, reply, time.perf_counter() - sent, attempt)
        return await self._status_problem(run.http, request, reply, attempt)

    @property
    def _outage_patience_s(self) -> float:
        """How long a judge server that went down is waited for: as long as rate limits may hold a game."""
        return self.max_attempts * self.max_retry_wait_s

    def _outage(self, sent_at: float, stopping: bool) -> _Miss:
        """A connection refused by a server that has answered in this run: it restarts, or is down. Its requests
        wait for it without using up their attempts (every worker tries again at most every `OUTAGE_POLL_S`),
        for `_outage_patience_s` (6 min by default; a vLLM server takes about 2 to restart), announced once
        when it goes down (an `outage` event) and once when it answers again (`resumed`); past that the run
        stops (`_outage_error`). The outage counts from `sent_at`, when the refused attempt was sent (a connect
        timeout is noticed up to CONNECT_TIMEOUT_S later). A refusal of an attempt sent before the server last
        answered belongs to an outage already over (or to a stream that is `stopping`: its games are given up):
        it is retried without a word."""
        now, patience = time.monotonic(), self._outage_patience_s
        poll = min(self.backoff_max_s, OUTAGE_POLL_S) * self._rng.uniform(0.5, 1.0)
        if stopping or sent_at < self._last_contact:
            return _Miss(poll, "could not connect to the judge server", "outage")
        if self._down_since is None:
            self._down_since = sent_at
            self._emit(EngineEvent("outage", f"the judge server at {self._shown_url} refuses connections: waiting "
                                             f"up to {_seconds_text(patience)} for it to come back (judgments "
                                             "received are stored; Ctrl-C stops)", wait_s=patience))
        down_for = now - self._down_since
        if down_for >= patience:
            raise self._outage_error(down_for)
        return _Miss(min(poll, patience - down_for), "could not connect to the judge server", "outage")

    async def _status_problem(self, http: Transport, request: JudgeRequest, reply: Reply, attempt: int) -> _Miss:
        """Classify an HTTP error reply: raise for engine-wide ones, else what went wrong and how long to wait."""
        status = reply.status
        if status in (401, 403):
            raise self._key_error(status)
        if status == 404:
            raise await self._model_error(http, request.model)
        said = _server_message(reply)
        if status == 429 and _error_code(reply) == QUOTA_CODE:
            raise self._quota_error(said)
        problem = f"HTTP {status} from the judge server: {self._error_text(said)}"
        if (status not in RETRYABLE_STATUS and status < 500) or status in NEVER_RETRIED_STATUS:
            return _Miss(None, problem, status=status)
        asked = _retry_after(reply.headers)
        if status == 429 and self.on_rate_limit == "stop":
            raise self._rate_limit_error(asked)
        if asked is None:
            return _Miss(self._backoff(attempt), problem, status=status)
        honoured = asked <= self.max_retry_wait_s
        wait = min(asked, self.max_retry_wait_s)
        delay = wait + self._rng.uniform(0.0, min(0.1 * wait, 1.0))  # the jitter
        return _Miss(delay, problem, "rate-limited" if status == 429 and honoured else "other", status, asked)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)

    def _concurrency_changed(self, limit: int | None, why: str) -> None:
        if limit is None:
            return
        verb = "lowering" if why == "requests time out" else "raising"
        self._emit(EngineEvent("concurrency", f"{why}: {verb} concurrency to {limit} (of {self._limit.maximum})",
                               concurrency=limit))

    def _completion(self, request: JudgeRequest, reply: Reply, latency_s: float, attempt: int) -> Completion | _Miss:
        """Turn a 2xx reply into a Completion (scrubbed of the key). A body declared JSON that is not (cut short,
        or garbled on the way) is retried as a dropped connection is: asking again usually brings it whole; one
        of another type (an HTML page) fails the game at once. JSON
        without an answer in it fails this game only (the server's answer, which asking again would repeat).
        An empty one (no text) is the judge's answer without a verdict: unparsed, as a text without one is,
        so that `max_unparsed_attempts` bounds how often later runs pay to ask again."""
        data: Any = None
        sent = self._error_text(_server_message(reply))
        try:
            data = json.loads(reply.content)
        except ValueError:  # JSONDecodeError, UnicodeDecodeError
            if "json" in _header(reply, "content-type").lower():  # JSON cut short on the way: ask again
                return _Miss(self._backoff(attempt), with_reply("a JSON reply cut short or garbled on the way", sent))
            # a page, not an API's reply (a base URL pointing at a web UI answers 200 with HTML on every path):
            # asking again would bring the same page, so the game fails now, and the first games' check ends
            # the run at once, as it did before such bodies were retried (14 s of retries for 40 games)
            kind = _header(reply, "content-type") or "no content type"
            return Completion(request.key, None, None, None, None, latency_s,
                              error=with_reply(f"a reply of type {kind}, not the JSON of an OpenAI-compatible API",
                                               sent))
        try:
            choice = data["choices"][0]
            text = choice["message"].get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            prompt_tokens, completion_tokens = self._count_usage(data)  # a body without choices may still bill
            return Completion(request.key, None, None, prompt_tokens, completion_tokens, latency_s,
                              error=with_reply(f"a JSON reply without an answer in it ({self._missing_answer(data)})",
                                               sent))
        prompt_tokens, completion_tokens = self._count_usage(data)
        finish_reason = choice.get("finish_reason")
        error = None
        if not isinstance(text, str):
            text = ""
        try:
            top = _top_logprobs(choice, self._secret)
        except (KeyError, TypeError, ValueError, AttributeError):
            top = None  # unreadable logprobs: the label from the text still counts
        return Completion(request.key, self._secret.scrub(text) if text is not None else None, top,
                          prompt_tokens, completion_tokens, latency_s, error, finish_reason)

    def _missing_answer(self, data: Any) -> str:
        """Where a JSON reply body lacks the answer, in words alike for every body of that shape: the server's
        own message when it sent one (an error in a 200 reply), else which part of an OpenAI reply is missing."""
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return f"the server says: {self._error_text(str(error['message']))}"
        choices = data.get("choices") if isinstance(data, dict) else None
        if choices == []:
            return '"choices" is empty'
        if not isinstance(choices, list):
            return 'no "choices" list'
        return 'no "message" in its first choice'

    def _count_usage(self, data: Any) -> tuple[int, int] | tuple[None, None]:
        """The prompt and completion tokens a reply body reports, added to the totals; (None, None) when it reports
        none (some local servers count no tokens): unknown, not zero, and counted in `unmetered`."""
        usage = _usage(data) if isinstance(data, dict) else None
        if usage is None:
            self.unmetered += 1
            return None, None
        self.prompt_tokens += usage[0]
        self.completion_tokens += usage[1]
        return usage

    # -- engine-wide errors --------------------------------------------------------------------------

    def _key_error(self, status: int) -> EngineError:
        if self.key_source.startswith("none"):
            fix = f"set the environment variable {shown_variable(self.api_key_env)} to a valid key"
        elif self.key_source.startswith("config"):
            fix = "check the api_key setting in the config"
        else:
            fix = f"check the key in the environment variable {shown_variable(self.api_key_env)}"
        verb = "rejected the API key" if status == 401 else "refused access with this API key"
        return EngineError(f"the judge server at {self._shown_url} {verb} (HTTP {status}; key from "
                           f"{self.key_source}): {fix}{self._kept()}")

    def _rate_limit_error(self, asked: float | None) -> EngineError:
        wait = f", asking to wait {_seconds_text(asked)}" if asked is not None else ""
        return EngineError(f"the judge server at {self._shown_url} is rate-limiting requests (HTTP 429{wait}) and "
                           "on_rate_limit is 'stop': the run stopped; judgments already received are stored. Run "
                           "the same command later to judge the rest, or use "
                           f"{how_to_set('judge.on_rate_limit', 'wait')}")

    async def _model_error(self, http: Transport, model: str) -> EngineError:
        message = f"judge model '{model}' was not found at {self._shown_url} (HTTP 404)"
        available = await self._available_models(http)
        if available:
            shown = ", ".join(available[:20]) + (", ..." if len(available) > 20 else "")
            return EngineError(f"{message}; the server offers: {self._secret.scrub(shown)}. Check "
                               f"{setting_name('judge.model')}{self._kept()}")
        return EngineError(f"{message}, and the server lists no models there: check first that "
                           f"{setting_name('judge.base_url')} is the API root (usually ending in /v1), then "
                           f"{setting_name('judge.model')}{self._kept()}")

    async def _available_models(self, http: Transport) -> list[str]:
        """The model names the server lists, or [] if it will not say."""
        try:
            async with asyncio.timeout(min(self.timeout_s, CONNECT_TIMEOUT_S)):
                return await http.models()
        except Exception:  # listing is a courtesy; the 404 is the error to report
            return []

    def _quota_error(self, said: str) -> EngineError:
        return EngineError(f"the judge server at {self._shown_url} refused the request: the account is out of quota "
                           f"(HTTP 429, {QUOTA_CODE}: {self._error_text(said)}): add credit or use another key (key "
                           f"from {self.key_source}){self._kept()}")

    def _unusable_error(self) -> UnusableJudge:
        """The judge cannot be used as configured: the first games all failed, none was answered."""
        problem, count = self._problems.most_common(1)[0]
        share = "each" if count == self.games_failed else f"{count} of them"
        if _REASONING_REFUSAL.search(problem):  # OpenAI's reasoning models refuse max_tokens and a temperature
            advice = (f"'{self.model}' refuses the token limit or temperature a judge that answers at once is sent: "
                      f"a reasoning model (OpenAI's o-series, gpt-5) needs {how_to_set('judge.reasoning')} (the "
                      f"presets gpt-5-mini and o4-mini set it)")
        else:
            advice = (f"Check that {setting_name('judge.base_url')} is the API root of an OpenAI-compatible server "
                      f"(usually ending in /v1), that it serves {setting_name('judge.model')} '{self.model}', and "
                      f"the judge's settings")
        return UnusableJudge(
            f"the judge server at {self._shown_url} answered none of the first {self.games_failed} games: {share} "
            f"failed with {problem.rstrip('.')}. {advice}; the games are sent again by the next run",
            keys=self._failed_keys, problem=problem, refused_as_sent=self._all_refused_as_sent)

    def _unreachable_error(self) -> EngineError:
        return EngineError(
            f"could not connect to the judge server at {self._shown_url} ({self.max_attempts} attempts): "
            f"check that the server is running and that {setting_name('judge.base_url')} (host, port, http/https) is "
            f"right{self._kept()}")

    def _outage_error(self, seconds: float) -> EngineError:
        return EngineError(
            f"the judge server at {self._shown_url} has refused connections for {_seconds_text(seconds)} (it had "
            f"answered earlier in this run): check that it is running; the run waits for a server that went down "
            f"up to {setting_name('judge.max_attempts')} x {setting_name('judge.max_retry_wait_s')}"
            f"{self._kept()}")

    def _silent_error(self, seconds: float) -> EngineError:
        """A server that accepts requests and never answers (hung, or overloaded far past `timeout_s`): after
        a game's every attempt timed out with no reply of any kind from the server meanwhile, the run stops
        rather than spend `max_attempts` timeouts on each game left."""
        return EngineError(
            f"the judge server at {self._shown_url} stopped answering: no reply to any request for "
            f"{_seconds_text(seconds)} ({self.max_attempts} attempts of one game, each timed out after "
            f"{self.timeout_s:g} s): check the server; if it is only slow or overloaded, raise "
            f"{setting_name('judge.timeout_s')} or lower "
            f"{setting_name('judge.concurrency')}{self._kept()}")

    def _descriptors_error(self, code: int) -> EngineError:
        """No connection could be opened for lack of file descriptors: a limit of this machine, not the server
        refusing (before, it was reported, and waited for, as such)."""
        if code == errno.ENFILE:
            what = "the system's table of open files is full (ENFILE): close other programs' files or"
        else:
            try:
                import resource

                limit = f", is {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}"
            except ImportError:  # pragma: no cover - Windows
                limit = ""
            what = (f"this process has opened as many files as it may (EMFILE: the open-file limit, ulimit -n{limit}), "
                    "some of them outside judgebench's reckoning: raise the limit or")
        return EngineError(
            f"could not open a connection to the judge server at {self._shown_url} with {self._limit.in_flight} "
            f"requests in flight: {what} lower {setting_name('judge.concurrency')} (now {self._limit.maximum})"
            f"{self._kept()}")

    def _kept(self) -> str:
        """What an engine-wide error mid-run leaves behind, once the server has answered a game in this run (an
        answer without a verdict, or a game that failed, is stored too, as such); nothing before that."""
        if not self.games_answered + self.games_failed:
            return ""
        return ". Judgments already received are stored: the same command sends only the rest"

    def _error_text(self, text: str) -> str:
        """Server text for an error message: scrubbed of the key, shortened."""
        return self._secret.scrub(text)[:ERROR_TEXT_LIMIT]


@dataclass(frozen=True)
class _Miss:
    """An attempt that brought no answer: the wait before retrying (None: give up), what went wrong, its kind
    ("refused": no connection; "outage": no connection to a server that answered earlier, and "rate-limited":
    a 429 whose asked wait is honoured in full, neither of which uses up an attempt; "timeout"; "other"), and
    the reply's status and asked wait (`Retry-After`) if any."""

    delay: float | None
    problem: str
    kind: str = "other"
    status: int | None = None
    asked: float | None = None


@dataclass(eq=False)
class _StreamRun:
    """What the workers of one `stream` call share: the connection pool, the requests not yet taken,
    how many workers still run, the results for the consumer, whether the stream is stopping, and the
    workers with a request on the wire (a stop lets those finish)."""

    http: Transport
    pending: Iterator[JudgeRequest]
    workers: int
    done: asyncio.Queue[Completion | BaseException | None] = field(default_factory=asyncio.Queue)  # None: ended
    stopping: bool = False
    sending: set[asyncio.Task[Any] | None] = field(default_factory=set)
    alive: int = 0  # worker tasks not yet done (`_worker_ended`)
    closing: asyncio.Future[None] | None = None


def _worker_ended(run: _StreamRun, _task: asyncio.Task[None]) -> None:
    """A worker task of `run` is done, however it ended; after the last one, the None that ends the consumer's
    wait (counted here rather than in the worker's `finally`, which a task cancelled before it ever ran never
    reaches)."""
    run.alive -= 1
    if run.alive == 0:
        run.done.put_nowait(None)


def _drain(queue: asyncio.Queue[Any]) -> list[Any]:
    """Everything `queue` holds now, taken out."""
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel `tasks` and wait until they have ended."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# -- the API key in what servers send back -----------------------------------------------------------


class Secret:
    """Removes an API key from text a server sends back: servers echo keys (or pieces of them, such as
    "sk-abc...wxyz") in error messages, and a judge may be made to repeat one.

    Every run of `PIECE` or more characters that also occurs in the key is replaced by `[key]`, so
    pieces are caught as well as the whole key. Keys shorter than `PIECE` (placeholders such as
    "EMPTY" that local servers accept) are not secrets worth cutting judge text apart for.
    """

    PIECE = 8

    def __init__(self, key: str):
        n = self.PIECE
        self._windows = frozenset(key[i:i + n] for i in range(len(key) - n + 1)) if len(key) >= n else frozenset()

    def __bool__(self) -> bool:
        return bool(self._windows)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) runs of `text` made of key pieces, merged, in order."""
        if not self._windows:
            return []
        n, found = self.PIECE, list[tuple[int, int]]()
        for i in range(len(text) - n + 1):
            if text[i:i + n] in self._windows:
                if found and i <= found[-1][1]:
                    found[-1] = (found[-1][0], i + n)
                else:
                    found.append((i, i + n))
        return found

    def scrub(self, text: str) -> str:
        spans = self.spans(text)
        if not spans:
            return text
        parts, end = [], 0
        for start, stop in spans:
            parts += [text[end:start], KEY_MARK]
            end = stop
        return "".join([*parts, text[end:]])


# -- reading replies ---------------------------------------------------------------------------------


def _usage(data: dict[str, Any]) -> tuple[int, int] | None:
    """The (prompt, completion) tokens of a reply body's `usage`, or None when it has none readable."""
    usage = data.get("usage")
    if not isinstance(usage, dict) or usage.get("prompt_tokens") is None and usage.get("completion_tokens") is None:
        return None
    try:
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    except (TypeError, ValueError):
        return None


def _top_logprobs(choice: dict[str, Any], secret: Secret) -> list[dict[str, float]] | None:
    """One dict (token -> logprob) per generated position, or None when the reply has no logprobs.

    A key the judge wrote is spread over several tokens, so it is looked for in the sampled tokens joined
    together: each position that spells part of it becomes `{"[key]": logprob}`; other tokens are
    scrubbed one by one.
    """
    block = choice.get("logprobs")
    positions = block.get("content") if isinstance(block, dict) else None
    if not positions:
        return None
    sampled = [str(position["token"]) for position in positions]
    hidden = _positions_in(sampled, secret.spans("".join(sampled))) if secret else set()
    out = []
    for i, position in enumerate(positions):
        if i in hidden:
            out.append({KEY_MARK: float(position["logprob"])})
            continue
        alternatives = {secret.scrub(alt["token"]): float(alt["logprob"]) for alt in position.get("top_logprobs") or ()}
        alternatives.setdefault(secret.scrub(sampled[i]), float(position["logprob"]))
        out.append(alternatives)
    return out


def _positions_in(tokens: list[str], spans: list[tuple[int, int]]) -> set[int]:
    """The indices of `tokens` that overlap any (start, end) span of their concatenation."""
    hit: set[int] = set()
    start = 0
    for i, token in enumerate(tokens):
        end = start + len(token)
        if any(s < end and start < e for s, e in spans):
            hit.add(i)
        start = end
    return hit


def _server_message(reply: Reply) -> str:
    """The `error.message` of an OpenAI-style error body, else the body's text on one line (an HTML page's
    text without its markup)."""
    text = reply.content.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except ValueError:
        if text.lstrip().startswith("<"):
            text = html.unescape(re.sub(r"<(head|script|style)\b.*?</\1>|<[^>]*>", " ", text, flags=re.S | re.I))
        return " ".join(text.split()) or "(empty body)"
    error = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return " ".join(text.split())


def _error_code(reply: Reply) -> str | None:
    """The `error.code` (else `error.type`) of an OpenAI-style error body, if it has one."""
    try:
        error = json.loads(reply.content).get("error")
        return str(error.get("code") or error.get("type") or "") or None
    except (ValueError, AttributeError):
        return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date, RFC 9110 10.2.3).

    None when neither is given or readable (then the engine's own backoff applies). Values that are not
    finite numbers are unreadable; a date in the past is 0; a huge value is returned as it is (the engine
    caps the wait and shows what was asked).
    """
    millis = _seconds(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(when.timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _seconds(value: str | None) -> float | None:
    """A non-negative finite number of seconds from a header value, or None."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return max(number, 0.0) if math.isfinite(number) else None


def _seconds_text(seconds: float) -> str:
    return f"{seconds:.3g} s" if seconds < 100 else f"{seconds:.0f} s" if seconds < 1e9 else f"{seconds:.2g} s"


def _wait_message(status: int, asked: float | None, wait_s: float) -> str:
    """What the progress line shows for a wait, e.g. 'server asked to wait 86400 s; waiting 60 s'."""
    if asked is None:
        return f"server is rate-limiting (HTTP {status}); waiting {_seconds_text(wait_s)}"
    return f"server asked to wait {_seconds_text(asked)} (HTTP {status}); waiting {_seconds_text(wait_s)}"

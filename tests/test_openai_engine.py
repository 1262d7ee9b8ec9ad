"""The OpenAI-compatible engine against the scripted judge server on 127.0.0.1.

Each test plants the truth (QUALITY markers, rules) and the faults on the server, runs the engine, and
checks both sides: what the engine returned and what the server saw (its request log).
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import socket
import time
from collections import Counter
from typing import Any

import pytest

from judgebench.engines.base import Completion, EngineEvent, JudgeRequest
from judgebench.engines.openai_api import OpenAIEngine, _retry_after, check_base_url
from judgebench.errors import ConfigError, EngineError
from tests.support.judge_server import JudgeServer, messages_key
from tests.support.judge_server import Reply as ServerReply

pytestmark = pytest.mark.integration

FIVE_LEVEL = "Compare the answers. End with one of [[A>>B]], [[A>B]], [[A=B]], [[B>A]], [[B>>A]]."
TOKEN = "Reply with A or B only."
FAST = {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 5.0}


@pytest.fixture(params=["aiohttp", "openai"])
def transport(request: pytest.FixtureRequest) -> str:
    """Every behaviour is checked through both HTTP stacks the engine can use."""
    return request.param


def game(i: int, first: int, second: int, system: str = FIVE_LEVEL, **params: Any) -> JudgeRequest:
    """A judge request whose answers carry planted qualities."""
    user = (f"Question {i}: explain recursion.\n\n<<A>>\nanswer text QUALITY={first}\n<</A>>\n\n"
            f"<<B>>\nother answer text QUALITY={second}\n<</B>>")
    messages = ({"role": "system", "content": system}, {"role": "user", "content": user})
    return JudgeRequest(key=f"game-{i}", model="test-judge", messages=messages,
                        params={"temperature": 0.0, "max_tokens": 64, **params})


def judge_all(engine: OpenAIEngine, requests: list[JudgeRequest]) -> list[Completion]:
    """Run the engine's stream to the end in a fresh event loop and close it."""

    async def run() -> list[Completion]:
        try:
            return [c async for c in engine.stream(requests)]
        finally:
            await engine.aclose()

    return asyncio.run(run())


def engine_for(server: JudgeServer, transport: str, **kwargs: Any) -> OpenAIEngine:
    options = {**FAST, "concurrency": 4, "max_attempts": 4, **kwargs}
    return OpenAIEngine(options.pop("model", "test-judge"), base_url=server.base_url, transport=transport,
                        seed=1, **options)


def by_key(completions: list[Completion]) -> dict[str, Completion]:
    return {c.key: c for c in completions}


def sent_per_game(server: JudgeServer) -> Counter[str]:
    return Counter(e.key for e in server.log)


# -- normal verdicts -----------------------------------------------------------------------------------


def test_verdicts_follow_the_planted_qualities(judge_server: JudgeServer, transport: str) -> None:
    requests = [game(0, 9, 1), game(1, 6, 5), game(2, 5, 5), game(3, 2, 4), game(4, 0, 9)]
    expected = ["[[A>>B]]", "[[A>B]]", "[[A=B]]", "[[B>A]]", "[[B>>A]]"]
    done = by_key(judge_all(engine_for(judge_server, transport), requests))
    assert len(done) == len(requests)
    for request, label in zip(requests, expected, strict=True):
        completion = done[request.key]
        assert completion.error is None
        assert completion.text is not None and completion.text.endswith(label)
        assert completion.finish_reason == "stop"
        assert completion.prompt_tokens > 0 and completion.completion_tokens > 0
        assert completion.latency_s > 0
        assert completion.top_logprobs is None  # not asked for
    assert len(judge_server.log) == len(requests)
    assert all(n == 1 for n in judge_server.answered().values())


def test_request_carries_model_messages_and_sampling_params(judge_server: JudgeServer, transport: str) -> None:
    seen: list[Any] = []

    def rule(request: Any) -> str:
        seen.append(request)
        return "[[A=B]]"

    judge_server.rule = rule
    request = game(0, 1, 2, temperature=0.3, max_tokens=17)
    judge_all(engine_for(judge_server, transport), [request])
    (got,) = seen
    assert got.model == "test-judge"
    assert got.messages == list(request.messages)
    assert got.params["temperature"] == 0.3 and got.params["max_tokens"] == 17
    assert got.key == messages_key(list(request.messages))


def test_empty_request_list_sends_nothing(judge_server: JudgeServer) -> None:
    assert judge_all(engine_for(judge_server, "aiohttp"), []) == []
    assert judge_server.log == []


# -- logprobs ------------------------------------------------------------------------------------------


def test_logprobs_are_requested_and_converted(judge_server: JudgeServer, transport: str) -> None:
    requests = [game(0, 7, 5, system=TOKEN, logprobs=True, top_logprobs=5),
                game(1, 3, 4, system=TOKEN, logprobs=True, top_logprobs=5)]
    done = by_key(judge_all(engine_for(judge_server, transport), requests))
    for key, diff in (("game-0", 2.0), ("game-1", -1.0)):
        completion = done[key]
        assert completion.error is None
        assert completion.text == ("A" if diff > 0 else "B")
        assert completion.top_logprobs is not None and len(completion.top_logprobs) == 1
        first = completion.top_logprobs[0]
        p_first = 1 / (1 + math.exp(-diff))
        assert set(first) == {"A", "B"}
        assert first["A"] == pytest.approx(math.log(p_first))
        assert first["B"] == pytest.approx(math.log(1 - p_first))


def test_every_generated_position_gets_a_dict(judge_server: JudgeServer) -> None:
    judge_server.rule = lambda request: ServerReply("I pick [[A>B]]", {" I": -0.1, " We": -2.5})
    (completion,) = judge_all(engine_for(judge_server, "aiohttp"),
                              [game(0, 1, 1, logprobs=True, top_logprobs=2)])
    assert completion.top_logprobs is not None
    assert len(completion.top_logprobs) == 3  # "I", " pick", " [[A>B]]" as the server splits it
    assert completion.top_logprobs[0] == {" I": -0.1, " We": -2.5}
    assert completion.top_logprobs[2] == {" [[A>B]]": 0.0}


def test_missing_logprobs_leave_the_text_usable(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("no_logprobs")
    (completion,) = judge_all(engine_for(judge_server, transport),
                              [game(0, 8, 2, system=TOKEN, logprobs=True, top_logprobs=5)])
    assert completion.error is None
    assert completion.text == "A"
    assert completion.top_logprobs is None
    assert judge_server.log[0].fault == "no_logprobs"


# -- retried faults ------------------------------------------------------------------------------------


def test_429_waits_at_least_retry_after(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("429", attempts=1, retry_after=1)
    events: list[EngineEvent] = []
    (completion,) = judge_all(engine_for(judge_server, transport, on_event=events.append), [game(0, 9, 1)])
    assert completion.error is None and completion.text is not None and completion.text.endswith("[[A>>B]]")
    assert [e.status for e in judge_server.log] == [429, 200]
    # The server saw the retry no sooner than it asked (backoff alone would wait <= 0.01 s).
    assert judge_server.log[1].time - judge_server.log[0].time >= 0.95
    assert events == [EngineEvent("wait", "server asked to wait 1 s (HTTP 429); waiting 1 s", wait_s=1.0,
                                  asked_s=1.0, status=429)]


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_server_errors_are_retried_until_success(judge_server: JudgeServer, transport: str, kind: str) -> None:
    judge_server.add_fault(kind, attempts=2)
    engine = engine_for(judge_server, transport)
    requests = [game(i, 9, 1) for i in range(3)]
    done = judge_all(engine, requests)
    assert all(c.error is None and c.text for c in done)
    assert engine.retries == 2 * len(requests)
    assert engine.requests_sent == 3 * len(requests)
    assert sorted(sent_per_game(judge_server).values()) == [3, 3, 3]
    assert judge_server.statuses() == Counter({int(kind): 6, 200: 3})


def test_server_errors_fail_the_game_after_max_attempts(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("503", match=lambda request: "Question 1:" in request.text)
    engine = engine_for(judge_server, transport, max_attempts=3)
    done = by_key(judge_all(engine, [game(0, 9, 1), game(1, 9, 1), game(2, 1, 9)]))
    failed = done["game-1"]
    assert failed.text is None
    assert failed.error is not None and "HTTP 503" in failed.error and "3 attempts" in failed.error
    assert done["game-0"].error is None and done["game-2"].error is None
    assert engine.games_failed == 1
    assert sorted(sent_per_game(judge_server).values()) == [1, 1, 3]


def test_dropped_connections_are_retried(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("drop", attempts=2)
    engine = engine_for(judge_server, transport)
    done = judge_all(engine, [game(i, 1, 9) for i in range(3)])
    assert all(c.error is None and c.text and c.text.endswith("[[B>>A]]") for c in done)
    assert judge_server.statuses() == Counter({0: 6, 200: 3})
    assert engine.retries == 6


def test_slow_replies_time_out_and_fail_after_max_attempts(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("slow", delay_s=10.0)
    engine = engine_for(judge_server, transport, timeout_s=0.3, max_attempts=2)
    (completion,) = judge_all(engine, [game(0, 9, 1)])
    assert completion.text is None
    assert completion.error is not None and "no response within 0.3 s" in completion.error
    assert "2 attempts" in completion.error
    assert len(judge_server.log) == 2
    assert judge_server.answered() == Counter()


def test_a_slow_first_attempt_is_retried_to_success(judge_server: JudgeServer) -> None:
    judge_server.add_fault("slow", delay_s=10.0, attempts=1)
    (completion,) = judge_all(engine_for(judge_server, "aiohttp", timeout_s=0.3), [game(0, 2, 8)])
    assert completion.error is None and completion.text is not None and completion.text.endswith("[[B>>A]]")
    assert len(judge_server.log) == 2


# -- per-game failures that are not retried --------------------------------------------------------------


@pytest.mark.parametrize("kind, message", [("malformed", "malformed response body"),
                                           ("empty", "no text")])
def test_bad_bodies_fail_only_that_game(judge_server: JudgeServer, transport: str, kind: str,
                                        message: str) -> None:
    judge_server.add_fault(kind, requests={0})
    engine = engine_for(judge_server, transport, concurrency=1)
    done = judge_all(engine, [game(i, 9, 1) for i in range(3)])
    assert [c.key for c in done] == ["game-0", "game-1", "game-2"]  # concurrency 1 keeps the order
    assert done[0].text is None and done[0].error is not None and message in done[0].error
    assert all(c.error is None and c.text for c in done[1:])
    assert len(judge_server.log) == 3  # not retried within the run: the next run retries it
    assert engine.games_failed == 1


def test_a_rejected_request_is_not_retried(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("400", requests={0})
    engine = engine_for(judge_server, transport, concurrency=1)
    done = judge_all(engine, [game(0, 9, 1), game(1, 9, 1)])
    assert done[0].error is not None and "HTTP 400" in done[0].error and "context length" in done[0].error
    assert "1 attempt)" in done[0].error
    assert done[1].error is None
    assert len(judge_server.log) == 2


# -- engine-wide errors ----------------------------------------------------------------------------------


def test_bad_key_stops_at_once_without_showing_the_key(judge_server: JudgeServer, transport: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-0123456789abcdefSECRET"
    judge_server.api_key = "sk-the-right-key"
    monkeypatch.setenv("JB_TEST_JUDGE_KEY", secret)
    engine = engine_for(judge_server, transport, api_key_env="JB_TEST_JUDGE_KEY", concurrency=2)
    with pytest.raises(EngineError) as caught:
        judge_all(engine, [game(i, 9, 1) for i in range(50)])
    message = str(caught.value)
    assert "JB_TEST_JUDGE_KEY" in message and "401" in message and judge_server.base_url in message
    assert secret not in message and secret[:8] not in message and secret[-8:] not in message
    assert len(judge_server.log) <= 2  # one per worker at most: no retries, no further games
    assert secret not in repr(engine) and secret not in str(engine.describe())
    assert engine.describe()["api_key_source"] == "environment variable JB_TEST_JUDGE_KEY"


def test_completions_before_an_engine_error_stay_valid(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("401", requests={3})  # say the key was revoked mid-run
    engine = engine_for(judge_server, transport, concurrency=1)
    received: list[Completion] = []

    async def run() -> None:
        try:
            async for completion in engine.stream([game(i, 9, 1) for i in range(10)]):
                received.append(completion)
        finally:
            await engine.aclose()

    with pytest.raises(EngineError, match="401"):
        asyncio.run(run())
    assert [c.key for c in received] == ["game-0", "game-1", "game-2"]
    assert all(c.error is None for c in received)
    assert len(judge_server.log) == 4  # nothing sent after the rejection


def test_bad_key_from_config_names_the_setting(judge_server: JudgeServer) -> None:
    judge_server.api_key = "sk-the-right-key"
    engine = engine_for(judge_server, "aiohttp", api_key="sk-config-key-wrong-123456")
    with pytest.raises(EngineError, match="api_key setting") as caught:
        judge_all(engine, [game(0, 9, 1)])
    assert "sk-config-key-wrong-123456" not in str(caught.value)


def test_forbidden_is_a_key_error(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("403")
    with pytest.raises(EngineError, match="403"):
        judge_all(engine_for(judge_server, transport), [game(0, 9, 1)])
    assert len(judge_server.log) == 1


def test_unknown_model_names_it_and_lists_the_available_ones(judge_server: JudgeServer, transport: str) -> None:
    judge_server.models = ("judge-large", "judge-small")
    engine = engine_for(judge_server, transport, model="judge-medium")
    requests = [JudgeRequest(f"k{i}", "judge-medium", game(i, 1, 2).messages, {}) for i in range(20)]
    with pytest.raises(EngineError) as caught:
        judge_all(engine, requests)
    message = str(caught.value)
    assert "'judge-medium'" in message and "404" in message
    assert "judge-large, judge-small" in message
    assert len(judge_server.log) <= engine.concurrency


def test_unreachable_server_names_the_url(transport: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    engine = OpenAIEngine("test-judge", base_url=url, max_attempts=3, transport=transport, **FAST)
    with pytest.raises(EngineError) as caught:
        judge_all(engine, [game(i, 1, 2) for i in range(10)])
    assert url in str(caught.value) and "could not connect" in str(caught.value)
    assert engine.requests_sent >= 3


def test_no_key_and_no_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JB_TEST_ABSENT_KEY", raising=False)
    with pytest.raises(EngineError, match="JB_TEST_ABSENT_KEY"):
        OpenAIEngine("gpt-4o-mini", api_key_env="JB_TEST_ABSENT_KEY")


@pytest.mark.parametrize("url, says", [
    ("localhost:8000/v1", "http://HOST:PORT/v1"),
    ("ftp://127.0.0.1/v1", "http://HOST:PORT/v1"),
    ("http:///v1", "http://HOST:PORT/v1"),
    ("http://127.0.0.1:99999/v1", "port '99999'"),
    ("http://127.0.0.1:80a/v1", "port '80a'"),
    ("http://127.0.0.1:0/v1", "port '0'"),
    ("http://[::1]:70000/v1", "port '70000'"),
    ("http://127.0.0.1:8000/v1?api-version=1", "'?' or '#'"),
])
def test_malformed_base_url_is_a_config_error(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match="--base-url") as caught:
        check_base_url(url)
    assert says in str(caught.value)
    with pytest.raises(ConfigError, match="--base-url"):
        OpenAIEngine("test-judge", base_url=url)


def test_credentials_in_the_base_url_are_refused_without_repeating_them() -> None:
    with pytest.raises(ConfigError) as caught:
        OpenAIEngine("test-judge", base_url="http://alice:hunter2-password@127.0.0.1:8000/v1")
    message = str(caught.value)
    assert "user:password@" in message and "--api-key-env" in message
    assert "hunter2" not in message and "alice" not in message
    assert "http://127.0.0.1:8000/v1" in message


@pytest.mark.parametrize("url, checked", [
    ("http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000/v1"),
    (" https://api.example.com/v1 ", "https://api.example.com/v1"),
    ("http://[::1]:8000/v1", "http://[::1]:8000/v1"),
    ("http://localhost/v1", "http://localhost/v1"),
])
def test_good_base_urls_are_kept(url: str, checked: str) -> None:
    assert check_base_url(url) == checked
    assert OpenAIEngine("test-judge", base_url=url).describe()["base_url"] == checked


def test_local_server_without_key_uses_a_placeholder(judge_server: JudgeServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JB_TEST_ABSENT_KEY", raising=False)
    engine = engine_for(judge_server, "aiohttp", api_key_env="JB_TEST_ABSENT_KEY")
    assert engine.describe()["api_key_source"].startswith("none")
    (completion,) = judge_all(engine, [game(0, 3, 3)])
    assert completion.error is None


# -- concurrency and totals ------------------------------------------------------------------------------


def test_requests_overlap_up_to_the_concurrency(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("slow", delay_s=0.15)  # answers, but late: requests pile up
    engine = engine_for(judge_server, transport, concurrency=4)
    done = judge_all(engine, [game(i, 5, 4) for i in range(12)])
    assert len(done) == 12 and all(c.error is None for c in done)
    assert judge_server.max_in_flight == 4


def test_token_and_cost_totals(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("500", requests={1})  # a retried attempt costs nothing
    engine = engine_for(judge_server, transport, price_in_per_mtok=2.5, price_out_per_mtok=10.0)
    assert engine.cost_usd == 0.0
    done = judge_all(engine, [game(i, i, 9 - i) for i in range(6)])
    prompt = sum(e.prompt_tokens for e in judge_server.log)
    completion = sum(e.completion_tokens for e in judge_server.log)
    assert prompt > 0 and completion > 0
    assert engine.prompt_tokens == prompt == sum(c.prompt_tokens for c in done)
    assert engine.completion_tokens == completion == sum(c.completion_tokens for c in done)
    assert engine.total_tokens == prompt + completion
    assert engine.cost_usd == pytest.approx((prompt * 2.5 + completion * 10.0) / 1e6)


def test_cost_is_unknown_without_prices(judge_server: JudgeServer) -> None:
    engine = engine_for(judge_server, "aiohttp")
    judge_all(engine, [game(0, 1, 2)])
    assert engine.total_tokens > 0 and engine.cost_usd is None


def test_engine_serves_a_second_event_loop(judge_server: JudgeServer) -> None:
    engine = engine_for(judge_server, "aiohttp")
    assert judge_all(engine, [game(0, 9, 1)])[0].error is None
    assert judge_all(engine, [game(1, 9, 1)])[0].error is None  # a new asyncio.run, a new session


# -- against a server in another process -----------------------------------------------------------------


def test_server_process_with_scripted_faults(judge_server_process: Any) -> None:
    server = judge_server_process("--fault", "drop:requests=3", "--fault", "429:attempts=1,retry_after=0")
    engine = OpenAIEngine("test-judge", base_url=server.base_url, seed=1, **FAST)
    requests = [game(0, 9, 1), game(1, 1, 9), game(2, 6, 5), game(3, 5, 5)]
    done = by_key(asyncio.run(_collect(engine, requests)))
    labels = {k: c.text.rsplit(" ", 1)[-1] for k, c in done.items() if c.text and c.error is None}
    assert labels == {"game-0": "[[A>>B]]", "game-1": "[[B>>A]]", "game-2": "[[A>B]]", "game-3": "[[A=B]]"}
    log = server.log()
    assert Counter(e.status for e in log) == Counter({429: 3, 0: 1, 200: 4})
    assert all(n == 1 for n in Counter(e.key for e in log if e.status == 200).values())


async def _collect(engine: OpenAIEngine, requests: list[JudgeRequest]) -> list[Completion]:
    try:
        return [c async for c in engine.stream(requests)]
    finally:
        await engine.aclose()


# -- Retry-After parsing ---------------------------------------------------------------------------------


def test_retry_after_forms() -> None:
    assert _retry_after({"retry-after": "2"}) == 2.0
    assert _retry_after({"retry-after": "0.5"}) == 0.5
    assert _retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert _retry_after({}) is None
    assert _retry_after({"retry-after": "soon"}) is None
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= _retry_after({"retry-after": future}) <= 31  # type: ignore[operator]
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert _retry_after({"retry-after": past}) == 0.0


def test_retry_after_absurd_and_unreadable_values() -> None:
    assert _retry_after({"retry-after-ms": "1e15"}) == 1e12  # shown as asked, waited only up to the cap
    assert _retry_after({"retry-after-ms": "-5"}) == 0.0
    for unreadable in ("nan", "inf", "-inf", "Fri, 31 Dec 99999 23:59:59 GMT", ""):
        assert _retry_after({"retry-after": unreadable}) is None, unreadable
        assert _retry_after({"retry-after-ms": unreadable}) is None, unreadable
    assert _retry_after({"retry-after-ms": "nan", "retry-after": "3"}) == 3.0  # the readable one counts
    far = _retry_after({"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"})
    assert far is not None and far > 7e10

"""The OpenAI-compatible engine against the scripted judge server on 127.0.0.1.

Each test plants the truth (QUALITY markers, rules) and the faults on the server, runs the engine, and
checks both sides: what the engine returned and what the server saw (its request log).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import errno
import functools
import gc
import http.server
import json
import math
import os
import random
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from judgebench.engines.base import Completion, EngineEvent, JudgeRequest
from judgebench.engines.openai_api import (
    AdaptiveLimit,
    OpenAIEngine,
    _descriptors_ran_out,
    _retry_after,
    check_base_url,
    server_address,
)
from judgebench.errors import ConfigError, EngineError
from tests.support.cli_runs import N_QUESTIONS, write_config
from tests.support.judge_server import JudgeServer, echo_key_rule, messages_key
from tests.support.judge_server import Reply as ServerReply

pytestmark = pytest.mark.integration

FIVE_LEVEL = "Compare the answers. End with one of [[A>>B]], [[A>B]], [[A=B]], [[B>A]], [[B>>A]]."
TOKEN = "Reply with A or B only."
FAST: dict[str, Any] = {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "timeout_s": 5.0}


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


def judge_into(engine: OpenAIEngine, requests: list[JudgeRequest], received: list[Completion]) -> None:
    """Like `judge_all`, but collecting completions into `received` as they come, so that a test can see what
    arrived before an engine-wide error."""

    async def run() -> None:
        try:
            async for completion in engine.stream(requests):
                received.append(completion)
        finally:
            await engine.aclose()

    asyncio.run(run())


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


def test_reasoning_a_server_returns_apart_from_the_answer_is_not_read_as_it(judge_server: JudgeServer,
                                                                            transport: str) -> None:
    """vLLM with a reasoning parser returns a thinking model's reasoning as `reasoning_content`: the text read for
    the verdict is the answer alone."""
    judge_server.rule = lambda request: ServerReply("[[B>A]]", reasoning="Maybe [[A>B]]... no.")
    (completion,) = judge_all(engine_for(judge_server, transport), [game(0, 1, 2)])
    assert completion.error is None and completion.text == "[[B>A]]"


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
    (event,) = events  # the wait asked for, and a jitter of up to a tenth of it on top
    assert (event.kind, event.asked_s, event.status) == ("wait", 1.0, 429) and 1.0 <= event.wait_s <= 1.1
    assert event.message == f"server asked to wait 1 s (HTTP 429); waiting {event.wait_s:.3g} s"


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
    # one game too slow for the timeout while the server answers the others (a server answering nothing at all
    # is test_a_server_that_stops_answering_ends_the_run_with_one_message)
    judge_server.add_fault("slow", delay_s=10.0, match=lambda request: "Question 0:" in request.text)
    engine = engine_for(judge_server, transport, timeout_s=0.3, max_attempts=2, concurrency=2)
    done = by_key(judge_all(engine, [game(0, 9, 1), game(1, 9, 1)]))
    slow, answered = done["game-0"], done["game-1"]
    assert slow.text is None
    assert slow.error is not None and "no response within 0.3 s" in slow.error
    assert "2 attempts" in slow.error
    assert answered.error is None
    assert len(judge_server.log) == 3  # two attempts of the slow game, one of the other


def test_a_slow_first_attempt_is_retried_to_success(judge_server: JudgeServer) -> None:
    judge_server.add_fault("slow", delay_s=10.0, attempts=1)
    (completion,) = judge_all(engine_for(judge_server, "aiohttp", timeout_s=0.3), [game(0, 2, 8)])
    assert completion.error is None and completion.text is not None and completion.text.endswith("[[B>>A]]")
    assert len(judge_server.log) == 2


# -- per-game failures that are not retried --------------------------------------------------------------


def test_a_malformed_body_is_retried_like_a_dropped_connection(judge_server: JudgeServer, transport: str) -> None:
    """A body cut short is transient: asked again, the game gets its verdict (before, it failed at once)."""
    judge_server.add_fault("malformed", attempts=2)
    events: list[EngineEvent] = []
    engine = engine_for(judge_server, transport, concurrency=1, on_event=events.append)
    done = judge_all(engine, [game(i, 9, 1) for i in range(3)])
    assert all(c.error is None and c.text and c.text.endswith("[[A>>B]]") for c in done)
    assert sorted(sent_per_game(judge_server).values()) == [3, 3, 3]
    assert engine.retries == 6 and engine.games_failed == 0
    assert sum("a JSON reply cut short or garbled on the way" in e.message for e in events) == 6


def test_a_body_malformed_at_every_attempt_fails_only_that_game(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("malformed", match=lambda request: "Question 0:" in request.text)
    engine = engine_for(judge_server, transport, concurrency=1)
    done = by_key(judge_all(engine, [game(i, 9, 1) for i in range(3)]))
    failed = done["game-0"]
    assert failed.text is None and failed.error is not None
    assert failed.error.startswith('a JSON reply cut short or garbled on the way — the server sent: {"id": "chatcmpl')
    assert failed.error.endswith("(after 4 attempts)")  # the same budget as a dropped connection
    assert all(done[f"game-{i}"].error is None for i in (1, 2))
    assert sorted(sent_per_game(judge_server).values()) == [1, 1, 4]
    assert engine.games_failed == 1


def test_a_page_instead_of_json_fails_the_game_at_once(judge_server: JudgeServer, transport: str) -> None:
    """A 200 with HTML (a base URL pointing at a web UI) is no JSON cut short: asking again brings the same page.
    Retried as a cut-short body, 40 such games took 14.5 s and 63 requests before the run stopped."""
    judge_server.add_fault("html", match=lambda request: "Question 0:" in request.text)
    engine = engine_for(judge_server, transport, concurrency=1)
    done = by_key(judge_all(engine, [game(i, 9, 1) for i in range(2)]))
    assert done["game-0"].error is not None and "text/html" in done["game-0"].error
    assert "not the JSON of an OpenAI-compatible API" in done["game-0"].error
    assert done["game-1"].error is None
    assert sorted(sent_per_game(judge_server).values()) == [1, 1] and engine.retries == 0


def test_a_reply_without_choices_fails_the_game_and_counts_its_tokens(judge_server: JudgeServer,
                                                                      transport: str) -> None:
    """No answer in it, but the server counted (and may bill) the prompt: the totals keep its tokens."""
    judge_server.add_fault("no_choices", requests={0})
    engine = engine_for(judge_server, transport, concurrency=1)
    done = judge_all(engine, [game(i, 9, 1) for i in range(2)])
    assert done[0].error is not None
    assert done[0].error.startswith('a JSON reply without an answer in it ("choices" is empty) — the server sent: ')
    assert done[0].prompt_tokens == judge_server.log[0].prompt_tokens > 0
    assert engine.prompt_tokens == sum(entry.prompt_tokens for entry in judge_server.log)


def test_an_empty_reply_is_an_answer_without_a_verdict(judge_server: JudgeServer, transport: str) -> None:
    # not a failure: stored as unparsed (runner.judgment_row says "the judge returned no text"), so that
    # max_unparsed_attempts bounds how often later runs pay to ask again
    judge_server.add_fault("empty", requests={0})
    engine = engine_for(judge_server, transport, concurrency=1)
    done = judge_all(engine, [game(i, 9, 1) for i in range(3)])
    assert done[0].text == "" and done[0].error is None and done[0].prompt_tokens > 0
    assert all(c.error is None and c.text for c in done[1:])
    assert len(judge_server.log) == 3 and engine.games_failed == 0


def test_a_rejected_request_is_not_retried(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("400", requests={0})
    engine = engine_for(judge_server, transport, concurrency=1)
    done = judge_all(engine, [game(0, 9, 1), game(1, 9, 1)])
    assert done[0].error is not None and "HTTP 400" in done[0].error and "context length" in done[0].error
    assert done[0].error.endswith("(refused as sent: asking again sends the same request)")  # `fails_as_sent`
    assert done[1].error is None
    assert len(judge_server.log) == 2


def test_games_failing_after_one_was_answered_fail_one_by_one(judge_server: JudgeServer, transport: str) -> None:
    """The judge works (it answered a game): later rejections are per-game failures, the run goes on."""
    judge_server.add_fault("400", match=lambda request: request.number > 0)
    engine = engine_for(judge_server, transport, concurrency=1)
    done = judge_all(engine, [game(i, 9, 1) for i in range(8)])
    assert done[0].error is None and all(c.error is not None and "HTTP 400" in c.error for c in done[1:])
    assert engine.games_failed == 7 and len(judge_server.log) == 8


def test_a_key_rejected_mid_run_says_what_was_kept(judge_server: JudgeServer, transport: str) -> None:
    """Games answered before the key was revoked are stored (the runner stores what the stream yielded): the
    message says so, as the unreachable-server one does; rejected at the first request, it does not."""
    judge_server.add_fault("401", match=lambda request: request.number >= 3)
    received: list[Completion] = []
    with pytest.raises(EngineError) as caught:
        judge_into(engine_for(judge_server, transport, concurrency=1), [game(i, 9, 1) for i in range(8)], received)
    assert len(received) == 3
    assert str(caught.value).endswith("Judgments already received are stored: the same command sends only the rest")
    judge_server.reset()
    judge_server.add_fault("401")
    with pytest.raises(EngineError) as caught:
        judge_all(engine_for(judge_server, transport, concurrency=1), [game(i, 9, 1) for i in range(8)])
    assert "already received" not in str(caught.value)


def test_a_model_not_found_where_no_models_are_listed_points_at_the_base_url_first(tmp_path: Path) -> None:
    """A base URL without /v1 (or some other path): the chat and the model list both 404. The model was named
    first; the URL is the likely mistake."""
    handler = functools.partial(_NotFound, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as web:
        threading.Thread(target=web.serve_forever, daemon=True).start()
        engine = OpenAIEngine("test-judge", base_url=f"http://127.0.0.1:{web.server_address[1]}", seed=1, **FAST)
        with pytest.raises(EngineError) as caught:
            judge_all(engine, [game(0, 9, 1)])
        web.shutdown()
    assert ("was not found at http://127.0.0.1:" in str(caught.value)
            and "and the server lists no models there: check first that [judge] base_url is the API root (usually "
                "ending in /v1), then [judge] model" in str(caught.value))


class _NotFound(http.server.SimpleHTTPRequestHandler):
    """A server where nothing is found (an OpenAI-compatible server asked at a path without /v1, say)."""

    def do_POST(self) -> None:
        self.send_error(404)

    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, *args: Any) -> None:
        pass


# -- a judge that cannot be used ---------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "reason"), [
    ("400", "HTTP 400 from the judge server: This model's maximum context length is 8192 tokens"),
    # each reply has an id and a time of its own: the stop counted its raw text, saying "1 of them failed with
    # malformed response body from the judge server (IndexError): {"id": "chatcmpl-2", ..." though all five
    # failed alike; now one reason, in README's words, without the body or a Python exception's name
    ("no_choices", 'a JSON reply without an answer in it ("choices" is empty)'),
])
def test_a_judge_that_answers_no_game_stops_the_run_with_the_reason(judge_server: JudgeServer, transport: str,
                                                                    fault: str, reason: str) -> None:
    """Every request rejected: the run stops after UNUSABLE_AFTER (5) games, saying why, instead of failing
    all 40 games (each stored as failed, the real reason only in judgments.jsonl)."""
    judge_server.add_fault(fault)
    engine = engine_for(judge_server, transport, concurrency=2)
    with pytest.raises(EngineError) as caught:
        judge_all(engine, [game(i, 9, 1) for i in range(40)])
    assert str(caught.value).startswith(
        f"the judge server at {judge_server.base_url} answered none of the first 5 games: each failed with {reason}. "
        "Check that [judge] base_url"), str(caught.value)
    assert "chatcmpl" not in str(caught.value)
    assert len(judge_server.log) <= 5 + 1  # and what was on the wire when the fifth failed; no retries


class _NotAnAPI(http.server.SimpleHTTPRequestHandler):
    """A plain web server (Python's own, serving files): a POST gets its HTML '501 Unsupported method' page."""

    posts = 0

    def do_POST(self) -> None:
        type(self).posts += 1
        super().send_error(501, f"Unsupported method ({self.command!r})")

    def log_message(self, *args: Any) -> None:
        pass


def test_a_server_that_is_not_an_openai_api_is_named_as_such_without_retries(tmp_path: Path) -> None:
    """501 (not implemented) is not retried, and the HTML page's text (not its markup) is the reason shown:
    before, each game was asked 6 times and every failure printed the raw page."""
    handler = functools.partial(_NotAnAPI, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as web:
        threading.Thread(target=web.serve_forever, daemon=True).start()
        engine = OpenAIEngine("test-judge", base_url=f"http://127.0.0.1:{web.server_address[1]}/v1", concurrency=1,
                              seed=1, **FAST)
        with pytest.raises(EngineError) as caught:
            judge_all(engine, [game(i, 9, 1) for i in range(20)])
        web.shutdown()
    message = str(caught.value)
    assert "answered none of the first 5 games: each failed with HTTP 501 from the judge server: " in message
    assert "Message: Unsupported method ('POST')" in message and "<" not in message and "\n" not in message
    assert _NotAnAPI.posts == 5 and engine.requests_sent == 5


def test_an_account_out_of_quota_stops_at_once(judge_server: JudgeServer, transport: str) -> None:
    """OpenAI's insufficient_quota is a 429 that waiting cannot mend: one message, no retries."""
    judge_server.add_fault("quota")
    events: list[EngineEvent] = []
    engine = engine_for(judge_server, transport, concurrency=1, on_event=events.append)
    with pytest.raises(EngineError) as caught:
        judge_all(engine, [game(i, 9, 1) for i in range(10)])
    assert str(caught.value).startswith(
        f"the judge server at {judge_server.base_url} refused the request: the account is out of quota (HTTP 429, "
        "insufficient_quota: You exceeded your current quota, please check your plan and billing details.)")
    assert len(judge_server.log) == 1 and events == []


@pytest.mark.parametrize("where", ["flag", "file"])
def test_cli_a_key_given_as_api_key_env_is_refused_and_shown_nowhere(judge_server: JudgeServer, tmp_path: Path,
                                                                     where: str) -> None:
    """The common mistake `--api-key-env sk-...`: before, the run went ahead keyless and the key was printed in the
    401 message and stored in the runs table's engine settings (api_key_source)."""
    judge_server.api_key = "sk-the-right-key"
    config = write_run(tmp_path, judge_server.base_url)
    given = ["--api-key-env", KEY]
    if where == "file":
        config.write_text(config.read_text().replace("[judge]\n", f'[judge]\napi_key_env = "{KEY}"\n'))
        given = []
    result = subprocess.run(console("run", "--config", str(config), *given, cwd=tmp_path), cwd=tmp_path,
                            env={**CLI_ENV, "OPENAI_API_KEY": ""}, text=True, capture_output=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "api_key_env" in result.stderr or "--api-key-env" in result.stderr
    assert "expects the NAME of an environment variable (like OPENAI_API_KEY" in result.stderr
    assert fragments_of_the_key(result.stdout + result.stderr, size=8) == []
    assert judge_server.log == [] and not (tmp_path / "store.sqlite").exists()  # refused before any call


def test_the_engine_refuses_a_key_given_as_api_key_env_without_repeating_it(judge_server: JudgeServer) -> None:
    with pytest.raises(ConfigError) as caught:
        engine_for(judge_server, "aiohttp", api_key_env=KEY)
    assert str(caught.value).startswith("[judge] api_key_env: expects the NAME of an environment variable")
    assert fragments_of_the_key(str(caught.value), size=8) == []


# -- the open-file limit ---------------------------------------------------------------------------------


def _open_file_limit(soft: int, hard: int) -> Callable[[], None]:
    """A child process's open-file limit (ulimit -n), set before it starts."""
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("hard", [128, 4096])
def test_cli_a_concurrency_past_the_open_file_limit_is_not_a_server_refusing(judge_server_process: Any,
                                                                             tmp_path: Path, hard: int) -> None:
    """--concurrency 2000 under `ulimit -n 128` (the auditor's case): before, connections failed with EMFILE and
    were reported as 'could not connect to the judge server' and as the server refusing connections. Now the soft
    limit is raised towards the hard one as far as needed (4096: silently), and where the hard limit cannot hold
    the connections (128) the concurrency is capped, with a line that says why."""
    if hard > resource.getrlimit(resource.RLIMIT_NOFILE)[1] != resource.RLIM_INFINITY:
        pytest.skip("this machine's hard open-file limit is lower than the test's")
    server = judge_server_process()
    quickstart = Path(__file__).resolve().parents[1] / "examples" / "quickstart"
    args = ["run", "--questions", str(quickstart / "questions.jsonl"), "--answers", str(quickstart / "answers.jsonl"),
            "--judge-model", "test-judge", "--base-url", server.base_url, "--pairs", "all", "--concurrency", "2000",
            "--store", "store.sqlite", "--out", "out", "--no-progress", "--rounds", "20"]
    result = subprocess.run(console(*args, cwd=tmp_path), cwd=tmp_path, env=CLI_ENV, text=True, capture_output=True,
                            timeout=120, preexec_fn=_open_file_limit(128, hard))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 0, output
    assert "could not connect" not in output and "refuses connections" not in output
    assert "Too many open files" not in output and "Traceback" not in output
    capped = re.search(r"lowering concurrency to (\d+) \(of 2000\): each request in flight holds a connection, and "
                       r"this process may open 128 files at most \(the open-file limit, ulimit -n; \d+ kept for the "
                       r"store, logs and Python itself\); raise the limit \(ulimit -n \d+\) or lower --concurrency",
                       output)
    assert (capped is not None) == (hard == 128), output
    assert ok_judgments(tmp_path / "store.sqlite") == 240 == len(server.log())  # every game, each sent once


def test_running_out_of_file_descriptors_mid_run_is_one_clear_error(judge_server: JudgeServer) -> None:
    """Descriptors taken outside the engine's reckoning (here: files opened once judging began) are a limit of this
    machine, reported as such at once: before, the failed connections were retried as the server refusing. (The
    openai transport opens files of its own to start a stream: `test_both_transports_tell_running_out_of_files`.)"""
    engine = engine_for(judge_server, "aiohttp", concurrency=2)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    taken: list[int] = []

    async def run() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 8, hard))
        try:
            with contextlib.suppress(OSError):
                while True:
                    taken.append(os.open(os.devnull, os.O_RDONLY))
            async for _ in engine.stream([game(i, 9, 1) for i in range(4)]):
                pass
        finally:
            for fd in taken:
                os.close(fd)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            await engine.aclose()

    with pytest.raises(EngineError) as caught:
        asyncio.run(run())
    message = str(caught.value)
    assert message.startswith(f"could not open a connection to the judge server at {judge_server.base_url} with ")
    assert "requests in flight: this process has opened as many files as it may (EMFILE: the open-file limit, " \
           "ulimit -n, is " in message
    assert message.endswith("raise the limit or lower [judge] concurrency (now 2)")
    assert judge_server.log == [] and engine.retries == 0  # not retried, not waited for


def test_both_transports_tell_running_out_of_files_from_a_server_refusing() -> None:
    """How each HTTP stack reports a socket it could not create: aiohttp's ClientConnectorError keeps the OSError in
    `os_error`, the openai client's APIConnectionError is raised from httpx's ConnectError, raised from it."""
    import aiohttp
    import openai

    try:  # the openai package's HTTP stack, as the engine imports it
        import httpx2 as httpx
    except ImportError:
        import httpx  # type: ignore[no-redef]

    for code in (errno.EMFILE, errno.ENFILE):
        aio = aiohttp.ClientConnectorError(mock_connection_key(), OSError(code, os.strerror(code)))
        try:
            try:
                raise httpx.ConnectError(os.strerror(code)) from OSError(code, os.strerror(code))
            except httpx.ConnectError as cause:
                raise openai.APIConnectionError(request=httpx.Request("POST", "http://x/v1")) from cause
        except openai.APIConnectionError as err:
            client = err
        assert _descriptors_ran_out(aio) == _descriptors_ran_out(client) == code
    refused = aiohttp.ClientConnectorError(mock_connection_key(), ConnectionRefusedError(errno.ECONNREFUSED, "no"))
    assert _descriptors_ran_out(refused) is None


def mock_connection_key() -> Any:
    """What aiohttp's ClientConnectorError reads from a connection key to name it."""

    class Key:
        host, port, ssl = "127.0.0.1", 9, False

    return Key()


def soft_limits_in_a_process(script: str, cwd: Path, soft: int = 256) -> dict[str, Any]:
    """Run `script` in a fresh Python process started under `ulimit -n soft` and return the JSON it prints last;
    `soft_limit()` in the script is the process's soft open-file limit at the time."""
    preamble = ("import asyncio, json, resource\n"
                "def soft_limit():\n    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]\n")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    result = subprocess.run([sys.executable, "-c", preamble + script], cwd=cwd, env=CLI_ENV, text=True,
                            capture_output=True, timeout=120, preexec_fn=_open_file_limit(soft, hard))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_evaluate_gives_back_the_open_file_limit_it_raised(judge_server: JudgeServer, tmp_path: Path) -> None:
    """A notebook or a service that calls evaluate() goes on with the open-file limit it had: before, the soft limit
    the engine raised for its connections (here to hold --concurrency 2000 under `ulimit -n 256`) stayed raised for
    the rest of the process."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 4096:
        pytest.skip("this machine's hard open-file limit cannot hold the test's concurrency")
    config = write_config(tmp_path, judge_server.base_url)
    config.write_text(config.read_text().replace("concurrency = 8", "concurrency = 2000"))
    seen = soft_limits_in_a_process(
        "import judgebench\nfrom judgebench.config import load_config\n"
        "before, during = soft_limit(), []\n"
        "evaluation = judgebench.evaluate(load_config('run.toml'),\n"
        "                                 on_start=lambda tally: during.append(soft_limit()))\n"
        "print(json.dumps({'before': before, 'during': during, 'after': soft_limit(),\n"
        "                  'exit': evaluation.exit_code}))\n",
        tmp_path)
    assert seen["exit"] == 0 and len(judge_server.answered()) == 2 * 3 * N_QUESTIONS
    assert seen["before"] == 256 and min(seen["during"]) > 2000, seen  # raised while it judged
    assert seen["after"] == 256, seen


def test_engines_open_at_once_share_the_raised_open_file_limit(judge_server: JudgeServer, tmp_path: Path) -> None:
    """Two engines open at once (nested or concurrent evaluate() calls): the first to close leaves the limit to the
    one still open, the last puts back the limit the process had; closing twice gives back nothing more; and a
    limit set by someone else while an engine was open is theirs, left as they set it."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 8192:
        pytest.skip("this machine's hard open-file limit cannot hold the test's concurrency")
    seen = soft_limits_in_a_process(
        "from judgebench.engines.openai_api import OpenAIEngine\n"
        f"def engine(concurrency):\n    return OpenAIEngine('test-judge', base_url='{judge_server.base_url}', "
        "concurrency=concurrency)\n"
        "seen = {'before': soft_limit()}\n"
        "first = engine(1000)\nseen['first open'] = soft_limit()\n"
        "second = engine(3000)\nseen['both open'] = soft_limit()\n"
        "asyncio.run(first.aclose())\nseen['first closed'] = soft_limit()\n"
        "asyncio.run(first.aclose())\nseen['first closed again'] = soft_limit()\n"
        "asyncio.run(second.aclose())\nseen['both closed'] = soft_limit()\n"
        "third = engine(1000)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (5000, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        "asyncio.run(third.aclose())\nseen['set by another'] = soft_limit()\n"
        "print(json.dumps(seen))\n", tmp_path)
    assert seen["before"] == 256 and 1000 < seen["first open"] < 3000 < seen["both open"], seen
    assert seen["first closed"] == seen["first closed again"] == seen["both open"], seen  # the second still judges
    assert seen["both closed"] == 256, seen
    assert seen["set by another"] == 5000, seen


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
    with pytest.raises(EngineError, match="401"):
        judge_into(engine, [game(i, 9, 1) for i in range(10)], received)
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


def test_a_server_that_stops_answering_ends_the_run_with_one_message(judge_server: JudgeServer,
                                                                     transport: str) -> None:
    # a hung server (as after SIGSTOP) accepts connections and never answers: every attempt of a game times out
    # with no reply of any kind meanwhile, so the run stops instead of spending max_attempts timeouts per game
    judge_server.add_fault("slow", delay_s=5.0, requests=range(3, 10_000))
    engine = engine_for(judge_server, transport, concurrency=1, max_attempts=2, timeout_s=0.3)
    received: list[Completion] = []
    with pytest.raises(EngineError) as caught:
        judge_into(engine, [game(i, 2, 8) for i in range(20)], received)
    message = str(caught.value)
    assert "stopped answering" in message and "timed out after 0.3 s" in message
    # the time without a reply as long as it was (two timeouts of 0.3 s and a retry's wait), not "for 1 s"
    silent = re.search(r"no reply to any request for (\d+\.\d+) s \(2 attempts", message)
    assert silent and 0.6 <= float(silent.group(1)) < 5, message
    assert "raise [judge] timeout_s or lower [judge] concurrency" in message  # the settings, from Python
    assert "Judgments already received are stored" in message  # it had answered three games
    assert [c.error for c in received] == [None, None, None]
    assert engine.requests_sent == 5  # three answered, then the two attempts of the fourth game


def test_a_judge_server_that_restarts_mid_run_is_waited_for(transport: str) -> None:
    # a vLLM server restarting refuses connections for a minute or two: its games wait for it without using up
    # their attempts (2 here), announced when it goes down and when it is back, instead of ending the run (and
    # failing the games on the wire) after a few seconds of retries
    first = JudgeServer(latency_s=0.02).start()
    second = JudgeServer(port=first.port)

    def restart() -> None:
        while len(first.log) < 6:
            time.sleep(0.005)
        first.stop()  # the requests on the wire are dropped, later ones refused
        time.sleep(1.5)
        second.start()

    events: list[EngineEvent] = []
    engine = OpenAIEngine("test-judge", base_url=first.base_url, transport=transport, seed=1, concurrency=2,
                          max_attempts=2, max_retry_wait_s=3.0, backoff_base_s=0.01, backoff_max_s=0.2,
                          timeout_s=5.0, on_event=events.append)
    restarter = threading.Thread(target=restart)
    restarter.start()
    try:
        completions = judge_all(engine, [game(i, 2, 8) for i in range(30)])
    finally:
        restarter.join()
        second.stop()
    assert len(completions) == 30 and [c.error for c in completions if c.error] == []
    outage = [e for e in events if e.kind in ("outage", "resumed")]
    assert [e.kind for e in outage] == ["outage", "resumed"]
    assert outage[0].wait_s == 6.0 and "refuses connections: waiting up to 6 s" in outage[0].message
    assert "accepts connections again, after 1." in outage[1].message
    assert [e for e in events if e.kind == "retry" and "could not connect" in e.message] == []  # not one by one
    assert len(second.log) >= 30 - len(first.log)


def test_a_judge_server_that_stays_down_ends_the_run_after_the_wait(judge_server: JudgeServer,
                                                                    transport: str) -> None:
    def stop() -> None:
        while len(judge_server.log) < 4:
            time.sleep(0.005)
        judge_server.stop()

    events: list[EngineEvent] = []
    engine = engine_for(judge_server, transport, concurrency=1, max_attempts=2, max_retry_wait_s=0.5,
                        on_event=events.append)
    stopper = threading.Thread(target=stop)
    stopper.start()
    received: list[Completion] = []
    try:
        with pytest.raises(EngineError) as caught:
            judge_into(engine, [game(i, 2, 8) for i in range(20)], received)
    finally:
        stopper.join()
    message = str(caught.value)
    assert "has refused connections for 1" in message and "it had answered earlier in this run" in message
    assert "[judge] max_attempts x [judge] max_retry_wait_s" in message
    assert "Judgments already received are stored" in message
    outage = [e for e in events if e.kind != "retry"]  # a retry: the request on the wire when it stopped
    assert [e.kind for e in outage] == ["outage"] and outage[0].wait_s == 1.0
    assert len(received) >= 3 and [c.error for c in received if c.error] == []


class _SlowToRefuse:
    """A transport whose server is down between two moments, each connection failing only after a connect timeout
    of up to 0.6 s. A fake at the transport, and only here: a server on 127.0.0.1 refuses at once, and a connect
    timeout needs a host that drops packets, which this machine cannot make."""

    def __init__(self, down: tuple[float, float]):
        self.start, self.down = time.monotonic(), down
        self.rng = random.Random(3)

    def prepare(self, payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    async def post(self, prepared: dict[str, Any]) -> Any:
        from judgebench.engines.openai_api import ConnectFailed, Reply

        if self.down[0] <= time.monotonic() - self.start < self.down[1]:
            await asyncio.sleep(self.rng.uniform(0.05, 0.6))
            raise ConnectFailed("connect timeout")
        await asyncio.sleep(0.02)
        body = {"choices": [{"message": {"role": "assistant", "content": "[[A>B]]"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1}}
        return Reply(200, {}, json.dumps(body).encode())

    async def aclose(self) -> None:
        return None


def test_refusals_noticed_late_are_one_outage_timed_from_the_first_refused_attempt() -> None:
    # connect timeouts noticed after the server came back started a new outage each ("refuses connections", then
    # "accepts connections again, after 0.008 s", four times over), and the outage was timed from when the first
    # failure was noticed (1.2 s of a 1.7 s outage)
    events: list[EngineEvent] = []
    engine = OpenAIEngine("test-judge", base_url="http://127.0.0.1:9/v1", concurrency=8, seed=1, backoff_max_s=0.2,
                          max_attempts=3, max_retry_wait_s=5.0, on_event=events.append)
    transport = _SlowToRefuse(down=(0.3, 2.0))
    engine._open_transport = lambda: transport  # type: ignore[method-assign]
    completions = judge_all(engine, [game(i, 2, 8) for i in range(200)])
    assert len(completions) == 200 and [c.error for c in completions if c.error] == []
    assert [e.kind for e in events] == ["outage", "resumed"]
    down_for = float(re.search(r"after ([0-9.]+) s", events[1].message).group(1))
    assert 1.4 <= down_for <= 2.4  # from the first attempt sent after the last answer and refused (0.3 s or so)


def test_a_stop_before_the_workers_started_ends_the_stream(judge_server: JudgeServer) -> None:
    # finish_in_flight (a first Ctrl-C) in the same loop step that created the stream's workers cancels them
    # before they ever run: the stream must still end (it used to wait forever for their results)
    engine = engine_for(judge_server, "aiohttp", concurrency=2)

    async def run() -> None:
        stream = engine.stream([game(i, 9, 1) for i in range(4)])
        first = asyncio.ensure_future(stream.__anext__())
        asyncio.get_running_loop().call_soon(engine.finish_in_flight)
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(first, 10)
        await stream.aclose()
        await engine.aclose()

    asyncio.run(run())
    assert not judge_server.log  # nothing was sent


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
    with pytest.raises(ConfigError, match=r"check \[judge\] base_url$") as caught:
        check_base_url(url)
    assert says in str(caught.value)
    with pytest.raises(ConfigError, match=r"check \[judge\] base_url$"):
        OpenAIEngine("test-judge", base_url=url)


def test_credentials_in_the_base_url_are_refused_without_repeating_them() -> None:
    with pytest.raises(ConfigError) as caught:
        OpenAIEngine("test-judge", base_url="http://alice:hunter2-password@127.0.0.1:8000/v1")
    message = str(caught.value)
    assert "user:password@" in message and "name that variable with [judge] api_key_env" in message
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


def test_tokens_a_server_does_not_report_are_unknown_not_zero(judge_server: JudgeServer) -> None:
    """A reply without `usage` (some local servers): its tokens are None, not 0, and the engine's cost is unknown."""
    judge_server.add_fault("no_usage", requests={1})
    engine = engine_for(judge_server, "aiohttp", concurrency=1, price_in_per_mtok=2.5,
                        price_out_per_mtok=0.0)
    done = judge_all(engine, [game(i, 9, 1) for i in range(3)])
    assert [(c.prompt_tokens is None, c.completion_tokens is None) for c in done] == [(False, False), (True, True),
                                                                                      (False, False)]
    assert engine.unmetered == 1 and engine.cost_usd is None
    assert engine.prompt_tokens == sum(e.prompt_tokens for e in judge_server.log if e.fault is None) > 0


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


# -- every exit path closes the connections ----------------------------------------------------------------


def run_and_collect_leaks(make_engine: Callable[[], OpenAIEngine],
                          consume: Callable[[OpenAIEngine], Awaitable[list[Completion]]]
                          ) -> tuple[list[Completion], str | None, list[str]]:
    """Run `consume(engine)` in a fresh event loop WITHOUT calling `engine.aclose()`, drop the engine, and
    collect the ResourceWarnings that garbage collection raises for connection pools left open (aiohttp's
    "Unclosed client session / connector"). Returns the completions received, the error text (None
    without error) and the warnings."""
    received: list[Completion] = []
    error: str | None = None

    async def run() -> None:
        nonlocal error
        engine = make_engine()
        try:
            received.extend(await consume(engine))
        except (EngineError, RuntimeError) as exc:
            error = f"{type(exc).__name__}: {exc}"  # text only: the traceback would keep the engine alive

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(run())
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    return received, error, leaks


async def read_all(engine: OpenAIEngine, requests: list[JudgeRequest], into: list[Completion]) -> list[Completion]:
    async for completion in engine.stream(requests):
        into.append(completion)
    return into


def test_an_engine_error_mid_run_yields_every_answer_on_the_wire(judge_server: JudgeServer, transport: str) -> None:
    judge_server.latency_s = 0.3  # answers take a while; the rejection comes back at once
    judge_server.add_fault("401", requests={0})  # say the key was revoked while 3 other games were sent
    requests = [game(i, 9, 1) for i in range(12)]
    seen: list[Completion] = []
    _, error, leaks = run_and_collect_leaks(lambda: engine_for(judge_server, transport, concurrency=4),
                                            lambda engine: read_all(engine, requests, seen))
    assert error is not None and "401" in error
    assert len(judge_server.log) == 4  # nothing sent after the rejection, no retries
    answered_keys = {e.key for e in judge_server.log if e.status == 200}
    assert len(answered_keys) == 3
    by_messages = {messages_key(list(r.messages)): r.key for r in requests}
    assert {c.key for c in seen} == {by_messages[k] for k in answered_keys}  # all paid-for answers came back
    assert all(c.error is None for c in seen)
    assert leaks == []


def test_a_consumer_that_stops_early_leaves_nothing_open(judge_server: JudgeServer, transport: str) -> None:
    async def first_two(engine: OpenAIEngine) -> list[Completion]:
        received = []
        async for completion in engine.stream([game(i, 9, 1) for i in range(20)]):
            received.append(completion)
            if len(received) == 2:
                break  # and never aclose() the stream: the event loop's shutdown finalises it
        return received

    received, error, leaks = run_and_collect_leaks(lambda: engine_for(judge_server, transport, concurrency=2),
                                                   first_two)
    assert error is None and len(received) == 2
    assert leaks == []


def test_cancelling_the_consumer_closes_the_connections(judge_server: JudgeServer, transport: str) -> None:
    judge_server.latency_s = 30.0  # nothing will come back before the cancellation

    async def cancelled(engine: OpenAIEngine) -> list[Completion]:
        task = asyncio.ensure_future(read_all(engine, [game(i, 9, 1) for i in range(8)], []))
        while judge_server.in_flight < 4:  # wait until the requests are on the wire
            await asyncio.sleep(0.01)
        task.cancel()  # what Ctrl-C does to the runner's task
        with pytest.raises(asyncio.CancelledError):
            await task
        return []

    _, error, leaks = run_and_collect_leaks(lambda: engine_for(judge_server, transport, concurrency=4), cancelled)
    assert error is None and leaks == []
    for _ in range(500):  # the server notices the closed connections and cancels its handlers
        if judge_server.in_flight == 0:
            break
        time.sleep(0.01)
    assert judge_server.in_flight == 0
    assert [e.status for e in judge_server.log] == [0, 0, 0, 0]  # dropped by the client, none answered


def test_a_crash_inside_the_engine_closes_the_connections(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("429", attempts=1, retry_after=0)

    def broken_display(event: EngineEvent) -> None:
        raise RuntimeError("the progress display broke")

    _, error, leaks = run_and_collect_leaks(
        lambda: engine_for(judge_server, transport, on_event=broken_display),
        lambda engine: read_all(engine, [game(i, 9, 1) for i in range(6)], []))
    assert error == "RuntimeError: the progress display broke"
    assert leaks == []


def test_the_leak_check_can_fail(judge_server: JudgeServer) -> None:
    """The check above sees a pool left open: a transport opened and never closed is reported."""

    async def leave_open(engine: OpenAIEngine) -> list[Completion]:
        engine._open_transport()
        return []

    _, _, leaks = run_and_collect_leaks(lambda: engine_for(judge_server, "aiohttp"), leave_open)
    assert any("Unclosed" in leak for leak in leaks)


# -- rate limits the user can see --------------------------------------------------------------------------


def test_a_day_long_retry_after_waits_the_cap_and_says_so(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("429", attempts=1, retry_after=86400)
    events: list[EngineEvent] = []
    engine = engine_for(judge_server, transport, max_retry_wait_s=0.2, on_event=events.append)
    (completion,) = judge_all(engine, [game(0, 9, 1)])
    assert completion.error is None and completion.text is not None
    assert [e.status for e in judge_server.log] == [429, 200]
    assert engine.retries == 1 and engine.requests_sent == 2  # the capped wait counts as an attempt
    (event,) = events  # the cap, and a jitter of up to a tenth of it on top
    assert (event.kind, event.asked_s, event.status) == ("wait", 86400.0, 429) and 0.2 <= event.wait_s <= 0.22
    assert event.message == f"server asked to wait 86400 s (HTTP 429); waiting {event.wait_s:.3g} s"


@pytest.mark.parametrize("header, asked_at_least, shown", [
    ({"retry_after": "DATE+3600"}, 3500.0, "server asked to wait 3"),
    ({"retry_after_ms": "1e15"}, 1e12, "server asked to wait 1e+12 s (HTTP 429); waiting 0.1"),
    ({"retry_after_ms": "250"}, 0.25, "server asked to wait 0.25 s (HTTP 429); waiting 0.1"),
])
def test_retry_after_forms_from_the_server(judge_server: JudgeServer, header: dict[str, str],
                                           asked_at_least: float, shown: str) -> None:
    if header.get("retry_after") == "DATE+3600":
        header = {"retry_after": email.utils.formatdate(time.time() + 3600, usegmt=True)}
    judge_server.add_fault("429", attempts=1, **header)
    events: list[EngineEvent] = []
    engine = engine_for(judge_server, "aiohttp", max_retry_wait_s=0.1, on_event=events.append)
    (completion,) = judge_all(engine, [game(0, 9, 1)])
    assert completion.error is None
    (event,) = events
    assert event.asked_s is not None and asked_at_least <= event.asked_s <= max(asked_at_least, 3600)
    assert 0.1 <= event.wait_s <= 0.11 and event.message.startswith(shown)  # the cap, and its jitter


def test_a_429_without_retry_after_is_still_reported(judge_server: JudgeServer) -> None:
    judge_server.add_fault("429", attempts=2)
    judge_server.add_fault("503", requests={2})  # a server error is reported as a retry (its own backoff)
    events: list[EngineEvent] = []
    (completion,) = judge_all(engine_for(judge_server, "aiohttp", on_event=events.append), [game(0, 9, 1)])
    assert completion.error is None
    assert [e.status for e in judge_server.log] == [429, 429, 503, 200]
    assert [(e.kind, e.status, e.asked_s) for e in events] == [("wait", 429, None)] * 2 + [("retry", 503, None)]
    assert all(e.message.startswith("server is rate-limiting (HTTP 429); waiting ") for e in events[:2])
    assert events[2].message.startswith("HTTP 503 from the judge server") and "; retrying in " in events[2].message
    assert all(e.wait_s is not None and 0 <= e.wait_s <= FAST["backoff_max_s"] for e in events)


def test_on_rate_limit_stop_ends_the_run_with_one_message(judge_server: JudgeServer, transport: str) -> None:
    judge_server.add_fault("429", requests={2}, retry_after=86400)
    events: list[EngineEvent] = []
    engine = engine_for(judge_server, transport, concurrency=1, on_rate_limit="stop", on_event=events.append)
    received: list[Completion] = []
    with pytest.raises(EngineError) as caught:
        asyncio.run(read_all(engine, [game(i, 9, 1) for i in range(6)], received))
    message = str(caught.value)
    assert "HTTP 429" in message and "86400 s" in message and '[judge] on_rate_limit = "wait"' in message
    assert [c.key for c in received] == ["game-0", "game-1"]
    assert len(judge_server.log) == 3 and events == []  # no retry, no wait


def test_a_burst_of_rate_limits_delays_games_without_failing_them(judge_server: JudgeServer,
                                                                  transport: str) -> None:
    """20 rate limits on 8 games, 4 at once, 3 attempts each: a wait the server named is honoured without
    using up an attempt, so no game fails (before, a game met 3 of the burst's 429s and failed)."""
    judge_server.add_fault("429", limit=20, retry_after=0.02)
    engine = engine_for(judge_server, transport, max_attempts=3)
    done = judge_all(engine, [game(i, 9, 1) for i in range(8)])
    assert all(c.error is None and c.text for c in done) and engine.games_failed == 0
    assert judge_server.statuses() == Counter({429: 20, 200: 8})


def test_a_rate_limit_holds_back_every_request_for_its_wait(judge_server: JudgeServer) -> None:
    """One request is rate-limited (wait 0.5 s) while another is answered: the worker that is free does not
    send its next game before the wait is over (it would only be rate-limited too)."""
    judge_server.add_fault("429", requests={0}, retry_after=0.5)
    judge_server.latency_s = 0.1  # the other request's answer comes after the 429
    done = judge_all(engine_for(judge_server, "aiohttp", concurrency=2), [game(i, 9, 1) for i in range(4)])
    assert all(c.error is None for c in done)
    first, *later = sorted(entry.time for entry in judge_server.log)
    assert len(later) == 4 and all(t - first >= 0.5 for t in later[1:])  # later[0]: sent with the first


def test_a_wait_is_only_announced_when_a_retry_follows(judge_server: JudgeServer) -> None:
    judge_server.add_fault("429")  # without Retry-After: each one uses up an attempt
    events: list[EngineEvent] = []
    engine = engine_for(judge_server, "aiohttp", max_attempts=2, on_event=events.append)
    (completion,) = judge_all(engine, [game(0, 9, 1)])
    assert completion.error is not None and "(after 2 attempts)" in completion.error
    assert [(e.kind, e.status) for e in events] == [("wait", 429)]  # before the 2nd attempt; none after it


def test_dropped_connections_and_timeouts_are_reported_when_retried(judge_server: JudgeServer) -> None:
    judge_server.add_fault("drop", requests={0})
    judge_server.add_fault("slow", requests={1}, delay_s=2.0)
    events: list[EngineEvent] = []
    engine = engine_for(judge_server, "aiohttp", concurrency=1, timeout_s=0.5, on_event=events.append)
    (completion,) = judge_all(engine, [game(0, 9, 1)])
    assert completion.error is None
    retries = [e.message for e in events if e.kind == "retry"]
    assert [m.split("; retrying in ")[0] for m in retries] == ["the connection dropped before a response",
                                                               "no response within 0.5 s"]


def test_bad_rate_limit_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="on_rate_limit"):
        OpenAIEngine("m", base_url="http://127.0.0.1:8000/v1", on_rate_limit="pause")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_retry_wait_s"):
        OpenAIEngine("m", base_url="http://127.0.0.1:8000/v1", max_retry_wait_s=-1)
    with pytest.raises(ConfigError, match="min_concurrency"):
        OpenAIEngine("m", base_url="http://127.0.0.1:8000/v1", concurrency=4, min_concurrency=5)


# -- the key never comes back ------------------------------------------------------------------------------


KEY = "sk-live-Zq81hT5mW0rXb2Lc9pVy"


def fragments_of_the_key(text: str, size: int = 3) -> list[str]:
    """Pieces of KEY of `size` characters found in `text`."""
    return [KEY[i:i + size] for i in range(len(KEY) - size + 1) if KEY[i:i + size] in text]


def test_a_judge_that_echoes_the_key_is_scrubbed(judge_server: JudgeServer, transport: str) -> None:
    judge_server.rule = echo_key_rule
    (completion,) = judge_all(engine_for(judge_server, transport, api_key=KEY),
                              [game(0, 9, 1, logprobs=True, top_logprobs=2)])
    assert completion.text == "My secret is [key]. [[A>B]]"
    assert completion.top_logprobs is not None
    tokens = [token for position in completion.top_logprobs for token in position]
    assert fragments_of_the_key("".join(tokens)) == []
    assert completion.top_logprobs[0] == {"My": -0.1, "[key]": -2.5}  # an alternative holding the key
    assert completion.top_logprobs[4:14] == [{"[key]": 0.0}] * 10  # the 10 positions that spelled it
    assert completion.top_logprobs[-2:] == [{".": 0.0}, {" [[A>B]]": 0.0}]


# -- an overloaded server: fewer requests at once -----------------------------------------------------------


def test_adaptive_limit_halves_on_a_timeout_burst_and_grows_back() -> None:
    limit = AdaptiveLimit(16, minimum=3)
    outcomes = [limit.timed_out(0) for _ in range(9)]
    assert outcomes == [None] * 8 + [8]  # 9 of the 16 in flight timed out: most of them
    assert limit.timed_out(0) is None and limit.limit == 8  # sent under the old limit: not counted again
    assert [limit.timed_out(1) for _ in range(5)] == [None, None, None, None, 4]
    assert [limit.timed_out(2) for _ in range(3)] == [None, None, 3]  # never below the minimum
    assert [limit.timed_out(3) for _ in range(3)] == [None, None, None]
    assert [limit.answered(3) for _ in range(3)] == [None, None, 4]  # +1 per `limit` answers in a row
    assert [limit.answered(3) for _ in range(4)] == [None, None, None, 5]
    fixed = AdaptiveLimit(16, adaptive=False)
    assert [fixed.timed_out(0) for _ in range(16)] == [None] * 16 and fixed.limit == 16


def test_adaptive_limit_holds_requests_back_while_full() -> None:
    async def scenario() -> list[int]:
        limit = AdaptiveLimit(8)
        assert [limit.timed_out(0) for _ in range(5)][-1] == 4
        for _ in range(4):
            await limit.acquire()
        waiting = [asyncio.ensure_future(limit.acquire()) for _ in range(3)]
        await asyncio.sleep(0)
        assert not any(w.done() for w in waiting)
        for _ in range(4):  # answered in a row: the limit grows to 5 and lets one waiter in
            limit.answered(1)
        await asyncio.sleep(0)
        admitted = [w.done() for w in waiting]
        waiting[1].cancel()  # a cancelled waiter does not hold a slot
        limit.release()
        await asyncio.sleep(0)
        return [sum(admitted), sum(w.done() and not w.cancelled() for w in waiting), limit.in_flight]

    assert asyncio.run(scenario()) == [1, 2, 5]


def test_an_overloaded_server_gets_fewer_requests_at_once(judge_server: JudgeServer) -> None:
    # A server of fixed throughput: each answer takes 0.05 s per request in flight, so 16 at once take
    # about 0.8 s (past the 0.5 s timeout) and 8 at once about 0.4 s.
    judge_server.load_latency_s = 0.05
    requests = [game(i, 9, 1) for i in range(40)]
    events: list[EngineEvent] = []
    adaptive = engine_for(judge_server, "aiohttp", concurrency=16, timeout_s=0.5, max_attempts=6,
                          on_event=events.append)
    done = judge_all(adaptive, requests)
    assert all(c.error is None for c in done) and len(done) == 40
    lowered = [e for e in events if e.kind == "concurrency" and "lowering" in e.message]
    assert lowered and lowered[0].concurrency == 8
    assert lowered[0].message == "requests time out: lowering concurrency to 8 (of 16)"
    timeouts = sum(1 for e in judge_server.log if e.status == 0)
    judge_server.reset()
    fixed = engine_for(judge_server, "aiohttp", concurrency=16, timeout_s=0.5, max_attempts=3,
                       adaptive_concurrency=False)
    with pytest.raises(EngineError, match=r"stopped answering.*raise \[judge\] timeout_s or lower \[judge\] concurren"):
        judge_all(fixed, requests)  # without it, every request times out: no answer ever comes back in time
    assert timeouts < sum(1 for e in judge_server.log if e.status == 0)


# -- through the real console script -------------------------------------------------------------------------


def write_run(folder: Path, base_url: str, template: str = "pairwise-5", concurrency: int = 4) -> Path:
    """A small run config (6 questions, 3 models against a baseline: 36 games) judged at `base_url`."""
    questions = folder / "questions.jsonl"
    questions.write_text("".join(json.dumps({"question_id": f"q{i}", "turns": [f"Question {i}?"]}) + "\n"
                                 for i in range(6)))
    answers = folder / "answers.jsonl"
    answers.write_text("".join(json.dumps({"question_id": f"q{i}", "model": m, "turns": [f"{m} says QUALITY={q}"]})
                               + "\n" for m, q in (("base", 5), ("up", 8), ("down", 2), ("same", 5))
                               for i in range(6)))
    config = folder / "run.toml"
    config.write_text(
        f'[data]\nquestions = "questions.jsonl"\nanswers = ["answers.jsonl"]\n'
        f'[judge]\nengine = "openai"\nmodel = "test-judge"\nbase_url = "{base_url}"\nconcurrency = {concurrency}\n'
        f'max_attempts = 2\ntimeout_s = 20\n'
        f'[judging]\ntemplate = "{template}"\nbaseline = "base"\n'
        f'[run]\nstore = "store.sqlite"\nout = "out"\nprogress = false\n[ratings]\nrounds = 50\n')
    return config


def console(*args: str, cwd: Path) -> list[str]:
    """The console script's command line, run with the key in the environment and every
    ResourceWarning shown (Python hides them by default)."""
    return [sys.executable, "-W", "always::ResourceWarning", "-m", "judgebench.cli", *args]


CLI_ENV = {**os.environ, "OPENAI_API_KEY": KEY}


def ok_judgments(store: Path) -> int:
    with sqlite3.connect(store) as db:
        return int(db.execute("SELECT count(*) FROM judgments WHERE status = 'ok'").fetchone()[0])


def test_cli_401_mid_run_stores_every_answer_and_leaves_nothing_open(judge_server_process: Any,
                                                                     tmp_path: Path) -> None:
    server = judge_server_process("--fault", "401:requests=6", "--latency-ms", "300")
    config = write_run(tmp_path, server.base_url)
    result = subprocess.run(console("run", "--config", str(config), cwd=tmp_path), cwd=tmp_path, env=CLI_ENV,
                            text=True, capture_output=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "rejected the API key (HTTP 401" in result.stderr
    assert "Unclosed" not in output and "ResourceWarning" not in output and "Traceback" not in output
    assert fragments_of_the_key(output, size=8) == []
    log = server.log()
    assert [e.status for e in log].count(401) == 1
    assert all(e.status != 0 for e in log)  # no request the server was answering was abandoned
    assert ok_judgments(tmp_path / "store.sqlite") == sum(e.status == 200 for e in log) >= 6


def test_cli_ctrl_c_leaves_nothing_open(judge_server_process: Any, tmp_path: Path) -> None:
    server = judge_server_process("--latency-ms", "300")
    config = write_run(tmp_path, server.base_url)
    run = subprocess.Popen(console("run", "--config", str(config), cwd=tmp_path), cwd=tmp_path, env=CLI_ENV,
                           text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while len(server.log()) < 6:  # judging is under way
            assert run.poll() is None, run.communicate()
            time.sleep(0.05)
        run.send_signal(signal.SIGINT)
        stdout, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, stderr
    assert "Unclosed" not in stdout + stderr and "Traceback" not in stdout + stderr
    assert 0 < ok_judgments(tmp_path / "store.sqlite") < 36


def test_cli_judge_that_echoes_the_key_leaves_it_nowhere(judge_server_process: Any, tmp_path: Path) -> None:
    server = judge_server_process("--rule", "echo-key")
    config = write_run(tmp_path, server.base_url, concurrency=8)
    result = subprocess.run(console("run", "--config", str(config), cwd=tmp_path), cwd=tmp_path, env=CLI_ENV,
                            text=True, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert ok_judgments(tmp_path / "store.sqlite") == 36  # every game judged ([[A>B]] after the key)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name not in ("questions.jsonl", "answers.jsonl")]
    assert {"judgments.jsonl", "store.sqlite", "leaderboard.json"} <= {p.name for p in written}
    for text in [result.stdout, result.stderr] + [p.read_bytes().decode("latin-1") for p in written]:
        assert fragments_of_the_key(text, size=8) == []
    assert "[key]" in (tmp_path / "out" / "judgments.jsonl").read_text()  # what the judge said, scrubbed


@pytest.mark.parametrize("url, shown", [("http://127.0.0.1:99999/v1", "port '99999'"),
                                        ("http://judge:pa55-secret@127.0.0.1:8000/v1", "user:password@")])
def test_cli_bad_base_url_is_a_usage_error(judge_server: JudgeServer, tmp_path: Path, url: str, shown: str) -> None:
    config = write_run(tmp_path, judge_server.base_url)
    result = subprocess.run(console("run", "--config", str(config), "--base-url", url, cwd=tmp_path), cwd=tmp_path,
                            env=CLI_ENV, text=True, capture_output=True, timeout=120)
    assert result.returncode == 2
    assert shown in result.stderr and "Traceback" not in result.stderr
    assert "pa55-secret" not in result.stdout + result.stderr
    assert judge_server.log == []  # stopped before any judge call


def test_server_address_writes_one_server_one_way():
    """Loopback names, default ports and a trailing slash are spellings of one address; other hosts, ports,
    paths and schemes are other servers; an in-process engine's identity is left as it is."""
    one = {server_address(url) for url in ("http://localhost:8000/v1", "http://127.0.0.1:8000/v1/",
                                            "http://[::1]:8000/v1")}
    assert one == {"http://127.0.0.1:8000/v1"}
    assert server_address("https://api.example.com/v1") == server_address("https://api.example.com:443/v1/")
    others = {server_address(url) for url in ("http://localhost:8001/v1", "http://localhost:8000/v2",
                                               "https://localhost:8000/v1", "http://10.0.0.2:8000/v1")}
    assert len(others) == 4 and "http://127.0.0.1:8000/v1" not in others
    assert server_address("vllm:/models/judge@abc") == "vllm:/models/judge@abc"

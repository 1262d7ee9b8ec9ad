"""The scripted judge server itself: its default rule, its fault script and its log.

The engine tests lean on these behaviours, so they are pinned here with a plain HTTP client.
"""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.support.judge_server import (
    PRESETS,
    ChatRequest,
    FaultRule,
    JudgeServer,
    answer_lengths,
    echo_key_rule,
    messages_key,
    parse_fault,
    quality_rule,
    read_log,
    verdict_style,
)


def chat(system: str, user: str, number: int = 0, attempt: int = 0, **params: Any) -> ChatRequest:
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return ChatRequest(number, "test-judge", messages, params, messages_key(messages), attempt)


NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(server: JudgeServer, body: dict[str, Any], key: str = "k") -> tuple[int, dict[str, Any], Any]:
    request = urllib.request.Request(f"{server.base_url}/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with NO_PROXY.open(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


@pytest.mark.parametrize("system, first, second, expected", [
    ("end with [[A>>B]], [[A>B]], [[A=B]], [[B>A]] or [[B>>A]]", 9, 2, "[[A>>B]]"),
    ("end with [[A>>B]], [[A>B]], [[A=B]], [[B>A]] or [[B>>A]]", 4, 5, "[[B>A]]"),
    ("end with [[A>>B]], [[A>B]], [[A=B]], [[B>A]] or [[B>>A]]", 5, 5, "[[A=B]]"),
    ("end with [[A]], [[B]] or [[C]] for a tie", 1, 2, "[[B]]"),
    ("end with [[A]], [[B]] or [[C]] for a tie", 3, 3, "[[C]]"),
    ("reply with A or B", 2, 1, "A"),
])
def test_quality_rule_follows_the_markers_in_the_templates_vocabulary(system: str, first: int, second: int,
                                                                      expected: str) -> None:
    request = chat(system, f"question\n---\nQUALITY={first} one\n---\nQUALITY={second} two")
    reply = quality_rule()(request)
    assert reply.text.endswith(expected)


def test_a_length_biased_quality_rule_counts_the_longer_answer_better() -> None:
    """The answers' lengths come from judgebench's own fenced blocks (a real prompt), the longer counting
    `length_bonus` quality points more: equal qualities go to the longer answer, and a bonus of 1 turns a
    one-point lead of the shorter answer into a tie."""
    from judgebench.prompts import load_template, render_messages
    from judgebench.records import Answer, Question

    template = load_template("pairwise-5")
    question = Question("q1", ("Which is it?",))

    def verdict(first: str, second: str, bonus: float) -> str:
        messages = list(render_messages(template, question, Answer("q1", "x", (first,)), Answer("q1", "y", (second,))))
        request = ChatRequest(0, "test-judge", messages, {}, messages_key(messages), 0)
        assert answer_lengths(request) == (len(first), len(second))
        return quality_rule(length_bonus=bonus)(request).text.split()[-1]

    assert verdict("short. QUALITY=5", "a much longer answer. QUALITY=5", 1.0) == "[[B>A]]"
    assert verdict("short. QUALITY=6", "a much longer answer. QUALITY=5", 1.0) == "[[A=B]]"
    assert verdict("short. QUALITY=6", "a much longer answer. QUALITY=5", 0.0) == "[[A>B]]"


def test_quality_rule_gives_token_logprobs() -> None:
    reply = quality_rule()(chat("reply with A or B", "QUALITY=3 ... QUALITY=1"))
    assert reply.text == "A" and reply.first_token_logprobs is not None
    assert math.exp(reply.first_token_logprobs["A"]) == pytest.approx(1 / (1 + math.exp(-2)))
    assert math.exp(reply.first_token_logprobs["B"]) == pytest.approx(1 / (1 + math.exp(2)))


def test_style_is_read_from_the_system_message_not_the_answers() -> None:
    request = chat("reply with A or B", "answer one says [[A>>B]] QUALITY=1 ... QUALITY=2")
    assert verdict_style(request) == "token"


def test_fault_conditions() -> None:
    first_tries = FaultRule("500", attempts=1)
    assert first_tries.fires(chat("s", "u", attempt=0)) and not first_tries.fires(chat("s", "u", attempt=1))
    numbered = FaultRule("drop", requests={2})
    assert [numbered.fires(chat("s", "u", number=n)) for n in range(4)] == [False, False, True, False]
    limited = FaultRule("429", limit=2)
    assert [limited.fires(chat("s", "u")) for _ in range(4)] == [True, True, False, False]
    matching = FaultRule("empty", match=lambda r: "needle" in r.text)
    assert matching.fires(chat("s", "a needle")) and not matching.fires(chat("s", "hay"))


def test_probability_faults_are_seeded() -> None:
    def pattern(seed: int) -> list[bool]:
        rule = FaultRule("503", probability=0.3, seed=seed)
        return [rule.fires(chat("s", "u", number=n)) for n in range(200)]

    assert pattern(7) == pattern(7)
    assert pattern(7) != pattern(8)
    assert 30 <= sum(pattern(7)) <= 90


def test_parse_fault_from_the_command_line() -> None:
    rule = parse_fault("429:attempts=1,retry_after=0.5,requests=1+4,probability=0.5,seed=3,limit=9")
    assert (rule.kind, rule.attempts, rule.retry_after, set(rule.requests or ()), rule.probability,
            rule.seed, rule.limit) == ("429", 1, "0.5", {1, 4}, 0.5, 3, 9)
    with pytest.raises(ValueError, match="unknown fault kind"):
        parse_fault("418")
    with pytest.raises(ValueError, match="unknown fault option"):
        parse_fault("500:often=1")


def test_openai_shapes_and_log(tmp_path: Path) -> None:
    log_path = tmp_path / "log.jsonl"
    with JudgeServer(log_path=log_path) as server:
        messages = [{"role": "system", "content": "reply with A or B"},
                    {"role": "user", "content": "QUALITY=1 / QUALITY=4"}]
        status, _, body = post(server, {"model": "test-judge", "messages": messages, "logprobs": True,
                                        "top_logprobs": 2})
        assert status == 200
        assert body["object"] == "chat.completion" and body["model"] == "test-judge"
        choice = body["choices"][0]
        assert choice["message"] == {"role": "assistant", "content": "B", "refusal": None}
        (position,) = choice["logprobs"]["content"]
        assert position["token"] == "B" and [t["token"] for t in position["top_logprobs"]] == ["B", "A"]
        assert position["bytes"] == list(b"B")
        usage = body["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0

        server.add_fault("429", retry_after=7, limit=1)
        status, headers, body = post(server, {"model": "test-judge", "messages": messages})
        assert status == 429 and headers["Retry-After"] == "7" and body["error"]["message"]

        status, _, body = post(server, {"model": "no-such-judge", "messages": messages})
        assert status == 404 and "no-such-judge" in body["error"]["message"]

        with NO_PROXY.open(f"{server.base_url}/models", timeout=5) as response:
            assert [m["id"] for m in json.loads(response.read())["data"]] == ["test-judge"]

    entries = read_log(log_path)
    assert [(e.number, e.status, e.fault, e.model) for e in entries] == [
        (0, 200, None, "test-judge"), (1, 429, "429", "test-judge"), (2, 404, None, "no-such-judge")]
    assert len({e.key for e in entries}) == 1 and entries == server.log


def test_reasoning_models_are_answered_as_openai_answers_them(tmp_path: Path) -> None:
    """OpenAI's 400s for max_tokens and a temperature other than 1, reasoning tokens in the usage, and an answer
    cut at max_completion_tokens while the model reasons: no text, finish_reason "length"; the log keeps what was
    sent besides the model and the messages."""
    messages = [{"role": "user", "content": "[[A>>B]] QUALITY=4 / QUALITY=1"}]
    with JudgeServer(reasoning_models={"o4-mini"}, models=None, log_path=tmp_path / "log.jsonl") as server:
        status, _, body = post(server, {"model": "o4-mini", "messages": messages, "max_tokens": 1024})
        assert status == 400 and body["error"] == {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
                       "'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens",
            "code": "unsupported_parameter"}
        status, _, body = post(server, {"model": "o4-mini", "messages": messages, "temperature": 0.0})
        assert status == 400 and body["error"] == {
            "message": "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) "
                       "value is supported.", "type": "invalid_request_error", "param": "temperature",
            "code": "unsupported_value"}
        status, _, body = post(server, {"model": "o4-mini", "messages": messages, "max_completion_tokens": 16000,
                                        "reasoning_effort": "low"})
        assert status == 200 and "[[A>>B]]" in body["choices"][0]["message"]["content"]
        usage = body["usage"]
        assert usage["completion_tokens_details"] == {"reasoning_tokens": 64} and usage["completion_tokens"] > 64
        status, _, body = post(server, {"model": "o4-mini", "messages": messages, "max_completion_tokens": 10})
        assert body["choices"][0]["message"]["content"] == "" and body["choices"][0]["finish_reason"] == "length"
        assert body["usage"]["completion_tokens"] == 10
        assert post(server, {"model": "gpt-4.1", "messages": messages, "max_tokens": 9, "temperature": 0})[0] == 200
    assert [entry.params for entry in read_log(tmp_path / "log.jsonl")] == [
        {"max_tokens": 1024}, {"temperature": 0.0}, {"max_completion_tokens": 16000, "reasoning_effort": "low"},
        {"max_completion_tokens": 10}, {"max_tokens": 9, "temperature": 0}]


def test_required_key_is_checked() -> None:
    with JudgeServer(api_key="right") as server:
        body = {"model": "test-judge", "messages": [{"role": "user", "content": "hi"}]}
        assert post(server, body, key="wrong")[0] == 401
        assert post(server, body, key="right")[0] == 200


def test_presets_parse() -> None:
    for specs in PRESETS.values():
        assert all(parse_fault(spec).kind for spec in specs)


def test_latency_delays_answers_without_a_fault() -> None:
    with JudgeServer(latency_s=0.2) as server:
        body = {"model": "test-judge", "messages": [{"role": "user", "content": "hi"}]}
        started = time.monotonic()
        assert post(server, body)[0] == 200
        assert time.monotonic() - started >= 0.2
        assert server.log[0].fault is None and server.answered() == {server.log[0].key: 1}


def test_retry_after_ms_header_and_option() -> None:
    assert parse_fault("429:retry_after_ms=1e15").retry_after_ms == "1e15"
    with JudgeServer() as server:
        server.add_fault("429", retry_after_ms=250, limit=1)
        status, headers, _ = post(server, {"model": "test-judge", "messages": [{"role": "user", "content": "hi"}]})
        assert status == 429 and headers["retry-after-ms"] == "250" and "Retry-After" not in headers


def test_echo_key_rule_repeats_the_bearer_key_in_tokens() -> None:
    with JudgeServer(rule=echo_key_rule) as server:
        messages = [{"role": "system", "content": "end with [[A>>B]] or [[B>>A]]"}, {"role": "user", "content": "q"}]
        status, _, body = post(server, {"model": "test-judge", "messages": messages, "logprobs": True,
                                        "top_logprobs": 2}, key="sk-abcdefghij")
    assert status == 200
    assert body["choices"][0]["message"]["content"] == "My secret is sk-abcdefghij. [[A>B]]"
    tokens = [p["token"] for p in body["choices"][0]["logprobs"]["content"]]
    assert tokens == ["My", " secret", " is", " ", "sk-", "abc", "def", "ghi", "j", ".", " [[A>B]]"]
    assert server.log[0].in_flight == 1


def test_load_latency_grows_with_the_requests_in_flight() -> None:
    """Requests arriving while others are answered wait longer: the log records how many were in flight."""
    with JudgeServer(load_latency_s=0.3) as server:
        body = {"model": "test-judge", "messages": [{"role": "user", "content": "hi"}]}
        alone = post(server, body)[0]  # a request on its own finds only itself in flight
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: post(server, body)[0], range(4)))
    assert [alone, *statuses] == [200] * 5
    assert server.log[0].in_flight == 1
    assert max(e.in_flight for e in server.log[1:]) >= 2  # concurrent arrivals found others being answered

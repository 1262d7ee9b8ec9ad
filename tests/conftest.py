"""Shared fixtures: where the published reference data lives, and temporary output folders."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, the published data sets the project must reproduce (never copied here)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"reference data not found at {SHARED_DATA}: tests need ../shared/data beside the repository")
    return SHARED_DATA


# The scripted OpenAI-compatible judge server (see tests/support/fixtures.py).
from tests.support.fixtures import judge_server, judge_server_process  # noqa: E402, F401

# The real vLLM CPU engine and vLLM's OpenAI-compatible server, once per session (see tests/support/vllm_fixtures.py).
from tests.support.vllm_fixtures import (  # noqa: E402, F401
    embedded_model_path,
    vllm_engine,
    vllm_server,
)

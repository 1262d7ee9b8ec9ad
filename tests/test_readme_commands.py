"""The two commands of README.md's "Set up" section, read from the README and run as written (issue 7.10).

Exercised: the quickstart command, literally (`bash scripts/setup.sh && .venv/bin/judgebench run ...`), in a
fresh copy of the repository's tracked files (`git ls-files`) with an empty model cache (JUDGEBENCH_CACHE in
a temporary directory, so the embedded model is converted again), through the real console script and
vLLM's CPU build. Its whole terminal output (stdout and stderr) is checked: exit 0, the status lines, a
leaderboard, and nothing from vLLM's, torch's or Python's logging and warnings machinery.

Not exercised: installing. The copy's `.venv` is a symlink to the environment running these tests, and
PYTHONPATH points at the copy, so `scripts/setup.sh` runs its real check (`scripts/setup_done.py`), finds
the copy's judgebench and every requirement installed, and skips pip. Running pip here would download and
install vLLM's CPU build (3.4 GB) on every test run and re-point the shared editable install at the
temporary copy. The install path runs in CI: `.ci/run` starts with `bash scripts/setup.sh --test` on a
fresh machine, and the test command is checked to be exactly what `.ci/run` runs (running it here would
run this suite inside itself).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from judgebench.engines.embedded import EMBEDDED_JUDGE_NOTE, EMBEDDED_MODEL_NAME

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART_MODELS = {"careful-7b", "baseline-3b", "sloppy-1b", "terse-0.5b"}

# Lines that only vLLM, torch, transformers, tqdm or Python's logging and warnings machinery print.
NOISE = re.compile(
    r"\b(INFO|WARNING|ERROR|DEBUG|CRITICAL) \d\d-\d\d \d\d:\d\d:\d\d"  # vLLM's log records
    r"|^(INFO|WARNING|ERROR|DEBUG|CRITICAL):"            # Python logging's basic format
    r"|\w*Warning: |warnings\.warn"                      # warnings.showwarning; torch's "Warning: ..."
    r"|^\[[WEIF]\d{4} "                                   # torch's C++ log lines: "[W1128 17:57:38 ...]"
    r"|Traceback \(most recent call last\)"
    r"|\((EngineCore|Worker|APIServer|MainProcess)\b"     # vLLM's process-tagged lines
    r"|\d+%\||it/s\]|s/it\]",                              # tqdm bars: " 50%|#####  | 1/2 [00:01<00:01, 1.2it/s]"
    flags=re.MULTILINE,
)


def setup_section_commands(readme: str) -> list[str]:
    """The fenced bash blocks of README.md's "## Set up" section, in order (backslash continuations joined)."""
    section = readme.split("\n## Set up\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return [block.replace("\\\n", " ").strip() for block in blocks]


@pytest.fixture(scope="module")
def readme_commands() -> tuple[str, str]:
    commands = setup_section_commands((ROOT / "README.md").read_text())
    assert len(commands) == 2, f"README's 'Set up' section must hold two bash blocks, found {commands}"
    return commands[0], commands[1]


def fresh_copy(destination: Path) -> Path:
    """The repository's tracked files (as `git ls-files` lists them, with uncommitted edits) in `destination`."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def test_the_test_command_is_what_ci_runs(readme_commands):
    ci_lines = {line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()}
    steps = [step.strip() for step in readme_commands[1].split("&&")]
    assert steps[0] == "bash scripts/setup.sh --test" and steps[0] + " || exit 1" in ci_lines
    assert steps[1:] == [".venv/bin/python -m pytest -q -p no:cacheprovider"] and steps[1] in ci_lines


def test_setup_check_names_what_is_missing(tmp_path):
    """scripts/setup_done.py, which lets setup.sh skip pip, says why a checkout is not set up (no pip run)."""
    copy = fresh_copy(tmp_path / "repo")
    check = [sys.executable, str(copy / "scripts" / "setup_done.py"), "cpu"]
    elsewhere = subprocess.run(check, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert elsewhere.returncode == 1 and f"judgebench is not imported from {copy}" in elsewhere.stdout
    here = {**os.environ, "PYTHONPATH": str(copy)}
    assert subprocess.run(check, capture_output=True, text=True, env=here).returncode == 0
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"numpy>=1.26"', '"numpy<1"'))
    stale = subprocess.run(check, capture_output=True, text=True, env=here)
    assert stale.returncode == 1 and re.search(r"numpy \S+ does not satisfy numpy<1", stale.stdout)


@pytest.mark.integration
def test_the_quickstart_command_runs_as_written(readme_commands, tmp_path):
    quickstart = readme_commands[0]
    assert quickstart == "bash scripts/setup.sh && .venv/bin/judgebench run --config examples/quickstart.toml"
    copy = fresh_copy(tmp_path / "repo")
    (copy / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    cache = tmp_path / "empty-cache"
    env = {**os.environ, "PYTHONPATH": str(copy), "JUDGEBENCH_CACHE": str(cache), "COLUMNS": "120"}
    for inherited in ("VLLM_CPU_OMP_THREADS_BIND", "VLLM_LOGGING_LEVEL"):  # as a user's shell has them: unset
        env.pop(inherited, None)

    started = time.perf_counter()
    done = subprocess.run(["bash", "-c", quickstart], cwd=copy, env=env, capture_output=True, text=True,
                          timeout=1200)
    print(f"\nthe README's quickstart command took {time.perf_counter() - started:.0f} s", file=sys.stderr)
    terminal = done.stdout + done.stderr
    assert done.returncode == 0, terminal[-4000:]

    noise = [line for line in terminal.splitlines() if NOISE.search(line)]
    assert noise == [], "engine output reached the terminal:\n" + "\n".join(noise[:20])
    assert "setting up:" not in terminal, "setup.sh must find everything installed (see the module docstring)"
    assert re.search(r"^judgebench \S+ \| vllm \S+$", done.stdout, flags=re.MULTILINE)
    assert re.search(r"converting the embedded judge \(once\) \.\.\. done in \d+ s", terminal)
    assert re.search(r"starting judge SmolLM2-135M-Instruct on vLLM \(CPU\) \.\.\. ready in \d+ s", terminal)
    assert "Leaderboard" in done.stdout and "Judge diagnostics" in done.stdout
    assert EMBEDDED_JUDGE_NOTE.split(",")[0] in done.stdout
    assert "position consistency" in done.stdout and "first-slot win rate" in done.stdout

    out = copy / "results" / "quickstart"
    board = json.loads((out / "leaderboard.json").read_text())
    assert {model["model"] for model in board["models"]} == QUICKSTART_MODELS
    assert board["meta"]["judge"] == EMBEDDED_MODEL_NAME and board["meta"]["template"] == "logprob"
    assert board["meta"]["first_slot_win_rate"] is not None
    assert any((cache / "models").iterdir()), "the model was converted into the empty cache"

    # What the engine printed went to engine.log, including vLLM's account of the two settings it was given.
    log = (out / "engine.log").read_text(errors="replace")
    leaked = {line.strip() for line in log.splitlines()} & {line.strip() for line in terminal.splitlines()} - {""}
    assert not leaked, f"lines of engine.log also reached the terminal: {sorted(leaked)[:10]}"
    cores = sorted(os.sched_getaffinity(0))
    assert f"core ids={cores}" in log, "the worker must be bound to every core this process may use"
    assert re.search(r"KV cache size: 16,384 tokens", log), "8 sequences of 2,048 tokens (embedded.kv_cache_gib)"


def test_the_check_examples_vllm_server_is_started_as_the_readmes():
    """examples/check/README.md started vLLM's server without the settings its CPU build needs (--max-model-len,
    --kv-cache-memory-bytes: it reserved 92% of NUMA node 0's memory and refused to start); README.md's command
    has them (the flags tests/support/vllm_fixtures.py starts the server with), so the example's is the same."""
    def server_command(path: Path) -> str:
        text = path.read_text()
        start = text.index("MODEL=$(")
        return text[start:text.index("\n# terminal 2", start)]

    example = server_command(ROOT / "examples" / "check" / "README.md")
    assert example == server_command(ROOT / "README.md")
    assert "--max-model-len 2048" in example and "--kv-cache-memory-bytes" in example

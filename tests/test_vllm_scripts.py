"""`judgebench.evaluate` from a user's script with the in-process vLLM judge (the embedded one, vLLM's CPU build).

vLLM starts its engine process with multiprocessing's "spawn" method, which runs the script again in that
process before the engine starts. A script that calls `evaluate` at its top level, without
`if __name__ == "__main__":`, then called it a second time there, where it waited for the store the script held
while the script waited for its engine: both hung, silently. Now the second call is refused at once and the
script's own call fails saying what to do. And `evaluate` prints nothing: vLLM's output (its log lines, torch's
warnings, the checkpoint bar) goes to engine.log beside the store, as `judgebench run` sends it to its log.

Each test runs a script in a process of its own (that is what the spawn re-runs), and each starts vLLM once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from judgebench.engines.vllm_local import RERUN_REMEDY

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"
# A failed vLLM start takes about 1 to 2 minutes on two busy cores, a start and 12 games 2 to 4.
REFUSED_WITHIN_S, JUDGED_WITHIN_S = 300, 600

SETTINGS = f"""\
import judgebench
from judgebench.config import RunConfig

settings = RunConfig(questions={str(QUICKSTART / "questions.jsonl")!r}, answers=[{str(QUICKSTART / "answers.jsonl")!r}],
                     baseline="baseline-3b", store="store/judgments.sqlite", first_n=2, template="logprob",
                     rounds=50, progress=False)
"""


def run_script(folder: Path, body: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run SETTINGS + `body` as a script in `folder` with this checkout's judgebench; a script still running after
    `timeout_s` fails the test, and it and every process it started (vLLM's engine) are killed."""
    script = folder / "judge.py"
    script.write_text(SETTINGS + body)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, str(script)], cwd=folder, env=environment, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"the script did not end within {timeout_s:.0f} s; its stderr:\n{stderr[-3000:]}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_a_script_calling_evaluate_at_its_top_level_fails_saying_to_guard_the_call(embedded_model_path, tmp_path):
    ended = run_script(tmp_path, "judgebench.evaluate(settings)\n", REFUSED_WITHIN_S)
    assert ended.returncode != 0
    assert ended.stdout == ""
    last = ended.stderr.strip().splitlines()[-1]
    assert last.startswith("judgebench.errors.EngineError: vLLM could not start the judge SmolLM2-135M-Instruct: its "
                           "engine process runs this script again")
    assert last.endswith(f"{RERUN_REMEDY}; the full engine log is store/engine.log")  # as the store is named
    assert "EngineCore" not in ended.stderr  # vLLM's own failure is in the log, not on the script's stderr
    log = (tmp_path / "store" / "engine.log").read_text()
    assert "ConfigError: judgebench.evaluate was called again in a new process this script started" in log


def test_a_guarded_script_prints_nothing_and_vllm_output_goes_to_the_log(embedded_model_path, tmp_path):
    """Only what the script's own callback prints reaches its stdout (under the capture a progress bar went to the
    log too)."""
    ended = run_script(tmp_path, 'if __name__ == "__main__":\n'
                                 "    shown = lambda tally: print('progress', flush=True)\n"
                                 "    raise SystemExit(judgebench.evaluate(settings, on_progress=shown).exit_code)\n",
                       JUDGED_WITHIN_S)
    assert (ended.returncode, ended.stderr) == (0, "")
    assert set(ended.stdout.splitlines()) == {"progress"}, ended.stdout
    log = (tmp_path / "store" / "engine.log").read_text()
    assert "Loading safetensors checkpoint shards" in log and "EngineCore" in log

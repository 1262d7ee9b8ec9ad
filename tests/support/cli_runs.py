"""`judgebench run` driven end to end, as several test modules do: the data and config of a run against the
scripted judge server (its verdicts follow the `QUALITY=<n>` markers planted in the answers, so the expected
leaderboard follows from the data), the CLI run to completion in a subprocess (`python -m judgebench.cli` or the
installed console script), and readers of the files a run wrote."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

QUALITIES = {"good": 8, "mid": 5, "base": 5, "bad": 2}
N_QUESTIONS = 12
CONSOLE_SCRIPT = Path(sys.executable).with_name("judgebench")


def write_data(folder: Path, qualities: dict[str, int] = QUALITIES, n: int = N_QUESTIONS) -> tuple[Path, Path]:
    questions = folder / "questions.jsonl"
    answers = folder / "answers.jsonl"
    questions.write_text("".join(json.dumps({"question_id": f"q{i:02d}", "turns": [f"Question number {i}?"]}) + "\n"
                                 for i in range(n)))
    rows = [{"question_id": f"q{i:02d}", "model": model, "turns": [f"Answer {i} by {model}. QUALITY={q}"]}
            for model, q in qualities.items() for i in range(n)]
    answers.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return questions, answers


def write_config(folder: Path, base_url: str, **judging: object) -> Path:
    questions, answers = write_data(folder)
    settings = {"template": "pairwise-5", "baseline": "base", **judging}
    judging_lines = "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
    config = folder / "run.toml"
    config.write_text(
        f'[data]\nquestions = "{questions.name}"\nanswers = ["{answers.name}"]\n'
        f'[judge]\nengine = "openai"\nmodel = "test-judge"\nbase_url = "{base_url}"\nconcurrency = 8\n'
        f'max_attempts = 2\ntimeout_s = 5\n'
        f"[judging]\n{judging_lines}"
        f'[run]\nstore = "store.sqlite"\nout = "out"\nprogress = false\n'
        f"[ratings]\nrounds = 200\n"
    )
    return config


def judgebench(*args: str, cwd: Path, timeout: float = 120, umask: int = -1,
               script: str | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess (with `umask` when given, else this process's); run by `script` when given (a
    `python -c` script that ends by calling the CLI, such as `tests.support.signals.signal_at`'s)."""
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key"}
    command = ["-m", "judgebench.cli"] if script is None else ["-c", script]
    return subprocess.run([sys.executable, *command, *args], cwd=cwd, env=env, text=True, capture_output=True,
                          timeout=timeout, umask=umask)


def console_script(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed `judgebench` command (PYTHONPATH, inherited, points it at this tree)."""
    environment = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key", **env}
    return subprocess.run([str(CONSOLE_SCRIPT), *args], cwd=cwd, env=environment, text=True, capture_output=True,
                          timeout=300)


def file_modes(folder: Path) -> dict[str, int]:
    """The permission bits of each file in `folder`, by name."""
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}


def leaderboard(folder: Path) -> dict:
    return json.loads((folder / "out" / "leaderboard.json").read_text())


def markdown_shown(path: Path) -> str:
    """A Markdown file's text as its reader sees it: the backslashes that escape punctuation dropped, and the
    <span>s that keep a `$` or a colon from GitHub's math and emoji (judgebench escapes every name and sentence it
    writes there, `present.markdown_text`)."""
    return re.sub(r"<span>([$:])</span>", r"\1", re.sub(r"\\(.)", r"\1", path.read_text()))


def rendered_text(tokens: list) -> str:
    """The text a Markdown renderer shows for an inline token's children (emphasis, links and code lose their
    marks, HTML tags are not shown: what a reader of the page sees)."""
    return "".join(child.content if child.type in ("text", "code_inline") else " " if child.type == "softbreak"
                   else "" for child in tokens)


def by_model(board: dict) -> dict[str, dict]:
    return {entry["model"]: entry for entry in board["models"]}


MEMORY_CAPPED_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2", "OPENBLAS_NUM_THREADS": "1",
                             "ARROW_DEFAULT_MEMORY_POOL": "system"}
"""For `memory_capped` runs: few malloc arenas and BLAS buffers, and pyarrow's allocations through malloc (its own
pool reserves address space ahead), so that none of them spends the headroom."""


def memory_capped(headroom_mb: int) -> str:
    """The script (for `judgebench(..., script=...)`, with MEMORY_CAPPED_ENVIRONMENT set) that runs `judgebench
    ARGS...` with its address space capped (RLIMIT_AS) at what it holds once everything a rating loads is loaded
    (the libraries it imports lazily, and BLAS's buffers, which a first matrix product maps) plus `headroom_mb`:
    a real MemoryError for whatever needs more, without filling the machine's memory."""
    return ("import re, resource\n"
            "import numpy, pyarrow.csv, scipy.sparse, scipy.stats\n"
            "import judgebench.cli, judgebench.evaluation, judgebench.leaderboard\n"
            "import judgebench.ratings.elo, judgebench.ratings.style, judgebench.ratings.winrate\n"
            "numpy.ones((64, 64)) @ numpy.ones((64, 64))\n"
            "status = open('/proc/self/status').read()\n"
            "size = int(re.search(r'VmSize:\\s+(\\d+) kB', status).group(1)) * 1024\n"
            f"limit = size + {headroom_mb} * 2 ** 20\n"
            "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
            "judgebench.cli.main()\n")


def available_memory_faked(available_mb: int) -> str:
    """The script (for `judgebench(..., script=...)`) that runs `judgebench ARGS...` as on a machine with
    `available_mb` MiB of memory available: a fake of the one figure a test cannot set for real (what the machine
    has free), at the function that reads it (`leaderboard.available_memory`)."""
    return ("import judgebench.leaderboard\n"
            f"judgebench.leaderboard.available_memory = lambda: {available_mb} * 2 ** 20\n"
            "import judgebench.cli\n"
            "judgebench.cli.main()\n")

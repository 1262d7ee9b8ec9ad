"""The package type-checks: mypy (configured in pyproject.toml) finds no error in judgebench/, nor in the
README's Python calls as a user writes them (tests/support/typed_usage.py).

judgebench ships `py.typed`, so its annotations are a promise to users' type checkers; this keeps it.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_error_in_the_package():
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "judgebench",
                           "tests/support/typed_usage.py"], cwd=ROOT, text=True,
                          capture_output=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout

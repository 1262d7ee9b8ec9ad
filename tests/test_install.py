"""judgebench installed from its wheel, outside the repository: the built-in templates travel with it.

The wheel ships prompts/ as data files, which an install puts under its scheme's data folder: sys.prefix only for an
install into the running environment. Installed with `--prefix` (as `--user` and Debian's system Python do, somewhere
else than sys.prefix) and with `--target`, every built-in template must be found (with `--prefix` none was: "built-in
templates are ;"). Built and installed with this environment's pip, offline; `--ignore-installed` keeps pip from
uninstalling the editable judgebench of the test environment, which an install with `--prefix` otherwise does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def pip(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "-q", *args, "--no-deps", "--no-index"], cwd=cwd, text=True,
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the files it is made of (a build writes build/ and egg-info into its source)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for name in ("judgebench", "prompts"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    pip("wheel", "--no-build-isolation", "-w", str(root / "dist"), "./source", cwd=root)
    [built] = (root / "dist").glob("judgebench-*.whl")
    return built


@pytest.mark.parametrize("scheme", ["--prefix", "--target"])
def test_an_installed_judgebench_finds_its_built_in_templates(wheel, tmp_path, scheme):
    pip("install", "--ignore-installed", scheme, str(tmp_path / "installed"), str(wheel), cwd=tmp_path)
    [package] = (tmp_path / "installed").rglob("judgebench/__init__.py")
    installed = str(tmp_path / "installed")
    script = (f"import judgebench.prompts as p; assert p.__file__.startswith({installed!r}), p.__file__; "
              "print(' '.join(p.builtin_templates())); print(p.load_template('pairwise-5').name)")
    env = {**os.environ, "PYTHONPATH": str(package.parents[1])}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, text=True, capture_output=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    found, loaded = done.stdout.splitlines()
    assert found.split() == sorted(path.stem for path in (REPO / "prompts").glob("*.toml"))
    assert loaded == "pairwise-5"

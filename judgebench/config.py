"""One `RunConfig` from a TOML file plus command-line overrides, validated with clear messages.

The file's tables ([data], [judge], [judging], [run], [ratings]) group the settings for readers; every
setting has one name, the same as its command-line flag (with '-' for '_'). Relative paths in the file are
relative to the file's own folder, so a config works from any working directory.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from judgebench.errors import ConfigError

ENGINES = ("openai", "vllm")
_PRESETS_FILE = Path(__file__).with_name("judges.toml")


@dataclass
class JudgeConfig:
    """Which judge answers, and how its engine is set up (a preset, or explicit settings)."""

    preset: str | None = None
    engine: str = "openai"
    model: str | None = None
    description: str = ""
    # OpenAI-compatible HTTP engine
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    api_key: str | None = None  # prefer api_key_env: a key in a file is easy to leak
    concurrency: int = 16
    timeout_s: float = 120.0
    max_attempts: int = 6
    price_in_per_mtok: float | None = None
    price_out_per_mtok: float | None = None
    # in-process vLLM engine (GPU-only settings are passed through unchanged)
    embedded: bool = False
    dtype: str = "auto"
    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    enforce_eager: bool | None = None
    chunk_size: int = 256

    @property
    def name(self) -> str:
        """How this judge is named in stores and outputs: the judge model."""
        if self.embedded:
            from judgebench.engines.embedded import EMBEDDED_MODEL_NAME

            return self.model or EMBEDDED_MODEL_NAME
        return self.model or "?"


@dataclass
class RunConfig:
    """Everything `judgebench run` needs. Defaults match DESIGN.md's interface."""

    # [data]
    questions: Path | None = None
    answers: list[Path] = field(default_factory=list)
    format: str | None = None
    references: Path | None = None
    models: list[str] | None = None
    allow_missing: bool = False
    # [judge]
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    judges_file: Path | None = None
    # [judging]
    template: str = "pairwise-5"
    pairs: str = "baseline"
    baseline: str | None = None
    opponents: int = 1
    swap: str = "both"
    max_tokens: int | None = None
    temperature: float | None = None
    max_unparsed_attempts: int = 3
    truncate_answers: bool = False
    # [run]
    store: Path = Path("results/judgebench.sqlite")
    out: Path = Path("results/latest")
    seed: int = 0
    progress: bool = True
    # [ratings]
    method: str = "bt"
    interval: str = "bootstrap"
    resample: str = "questions"
    confidence: float = 0.95
    rounds: int = 1000


_RUN_FIELDS = {f.name for f in fields(RunConfig)} - {"judge"}
_JUDGE_FIELDS = {f.name for f in fields(JudgeConfig)}
_PATH_FIELDS = {"questions", "references", "store", "out", "judges_file"}
_SECTIONS = ("data", "judge", "judging", "run", "ratings")
_CHOICES = {
    "pairs": ("baseline", "all", "sample"),
    "swap": ("both", "consistent", "random-one"),
    "method": ("bt", "elo", "winrate"),
    "interval": ("bootstrap", "sandwich"),
    "resample": ("questions", "judgments"),
}


def load_config(path: Path | None, overrides: dict[str, Any] | None = None,
                judge_overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read the TOML file (if any), apply command-line overrides (None values are ignored), validate."""
    settings: dict[str, Any] = {}
    judge_settings: dict[str, Any] = {}
    if path is not None:
        settings, judge_settings = _read_file(Path(path))
    settings.update({k: v for k, v in (overrides or {}).items() if v is not None})
    judge_settings.update({k: v for k, v in (judge_overrides or {}).items() if v is not None})
    config = RunConfig(**settings)
    config.judge = resolve_judge(judge_settings, config.judges_file)
    validate(config)
    return config


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file's contents; a missing or malformed file is one ConfigError naming it (`what`: its role)."""
    if not Path(path).is_file():
        raise ConfigError(f"{what} not found: {path}")
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _read_file(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    data = read_toml(path, "config file")
    base = path.resolve().parent
    settings: dict[str, Any] = {}
    judge: dict[str, Any] = {}
    for section, table in data.items():
        if section not in _SECTIONS or not isinstance(table, dict):
            raise ConfigError(f"{path}: unknown table [{section}]; the tables are {', '.join(_SECTIONS)}")
        for key, value in table.items():
            if section == "judge":
                if key not in _JUDGE_FIELDS:
                    raise ConfigError(f"{path}: unknown setting '{key}' in [judge]; "
                                      f"known: {', '.join(sorted(_JUDGE_FIELDS))}")
                judge[key] = value
            elif key in _RUN_FIELDS:
                settings[key] = _resolve_paths(key, value, base)
            else:
                raise ConfigError(f"{path}: unknown setting '{key}' in [{section}]")
    return settings, judge


def _resolve_paths(key: str, value: Any, base: Path) -> Any:
    if key == "answers":
        values = value if isinstance(value, list) else [value]
        return [base / str(v) for v in values]
    if key in _PATH_FIELDS and value is not None:
        return base / str(value)
    return value


def presets(judges_file: Path | None = None) -> dict[str, dict[str, Any]]:
    """Built-in judge presets, overridden and extended by the user's file (config or JUDGEBENCH_JUDGES)."""
    found = tomllib.loads(_PRESETS_FILE.read_text(encoding="utf-8"))
    user_file = judges_file or (Path(os.environ["JUDGEBENCH_JUDGES"]) if os.environ.get("JUDGEBENCH_JUDGES")
                                else None)
    if user_file is not None:
        found.update(read_toml(user_file, "judges file"))
    return found


def resolve_judge(settings: dict[str, Any], judges_file: Path | None = None) -> JudgeConfig:
    """A JudgeConfig from a preset name and/or explicit settings (explicit settings win).

    With neither a preset nor a judge model, the embedded judge is the default, so a fresh machine needs
    no server and no key.
    """
    settings = dict(settings)
    name = settings.pop("preset", None)
    if name is None and not settings.get("model") and not settings.get("embedded"):
        name = "embedded"
    merged: dict[str, Any] = {}
    if name is not None:
        known = presets(judges_file)
        if name not in known:
            raise ConfigError(f"unknown judge preset '{name}': presets are {', '.join(sorted(known))} "
                              "(see `judgebench judges`)")
        merged.update(known[name])
        merged["preset"] = name
    merged.update(settings)
    unknown = set(merged) - _JUDGE_FIELDS
    if unknown:
        raise ConfigError(f"judge preset '{name}': unknown settings {', '.join(sorted(unknown))}")
    return JudgeConfig(**merged)


def validate(config: RunConfig) -> None:
    """Check choices and required settings; each problem is one ConfigError naming the setting."""
    for key, choices in _CHOICES.items():
        value = getattr(config, key)
        if value not in choices:
            raise ConfigError(f"setting '{key}' is '{value}'; use one of: {', '.join(choices)}")
    if config.judge.engine not in ENGINES:
        raise ConfigError(f"judge setting 'engine' is '{config.judge.engine}'; use one of: {', '.join(ENGINES)}")
    if config.judge.engine == "openai" and not config.judge.model:
        raise ConfigError("the OpenAI-compatible engine needs a judge model: set --judge-model M "
                          "(and --base-url URL for a server other than OpenAI's), or --judge PRESET")
    if config.judge.engine == "vllm" and not (config.judge.model or config.judge.embedded):
        raise ConfigError("the vLLM engine needs a model path or name: set --judge-model")
    if config.questions is None or not config.answers:
        raise ConfigError("nothing to judge: set questions and answers (--questions PATH --answers PATH, "
                          "or [data] questions/answers in the config file)")
    if not 0.5 <= config.confidence < 1:
        raise ConfigError(f"setting 'confidence' is {config.confidence}; use a level in [0.5, 1), e.g. 0.95")
    for key in ("opponents", "rounds", "max_unparsed_attempts"):
        if getattr(config, key) < 1:
            raise ConfigError(f"setting '{key}' must be at least 1")
    if config.judge.concurrency < 1:
        raise ConfigError("judge setting 'concurrency' must be at least 1")


def with_overrides(config: RunConfig, **changes: Any) -> RunConfig:
    """A copy of `config` with some settings changed (for the Python API)."""
    return replace(config, **changes)

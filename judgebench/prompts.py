"""Judge templates: load them from prompts/ (or a user's file), render games into chat messages.

A template is a TOML file declaring its system and user text, its kind (`text`: the label is the last
verdict marker in the judge's output; `logprob`: the next token, scored from its probabilities), its
sampling defaults and its verdict vocabulary (label -> probability that the first-shown answer is better).

Answers are fenced between BEGIN/END lines, and anything inside an answer that looks like a verdict
marker or a fence line is defanged, so an answer cannot pass for the judge's verdict or break out of its
fence. Verdicts are parsed from the judge's output only (verdicts.py), never from the prompt.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from judgebench.config import SettingsModel, read_toml, validating
from judgebench.engines.base import JudgeRequest
from judgebench.errors import ConfigError
from judgebench.records import Answer, Question

_REPO_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
_INSTALLED_PROMPTS = Path(sys.prefix) / "share" / "judgebench" / "prompts"
_PLACEHOLDERS = ("question", "answer_a", "answer_b", "reference")


@dataclass(frozen=True)
class Verdict:
    """One entry of a template's vocabulary: its label and what it means for the first-shown answer."""

    label: str
    p_first: float
    weight: float = 1.0


@dataclass(frozen=True)
class Template:
    """A loaded judge template. `verdicts` maps each label to its meaning."""

    name: str
    kind: str
    system: str
    user: str
    verdicts: dict[str, Verdict]
    max_tokens: int
    temperature: float
    top_logprobs: int = 0
    description: str = ""

    @property
    def uses_reference(self) -> bool:
        return "{reference}" in self.user

    def sampling_params(self, max_tokens: int | None = None, temperature: float | None = None) -> dict[str, Any]:
        """The sampling parameters sent with every game of this template (part of the game key)."""
        params: dict[str, Any] = {
            "temperature": self.temperature if temperature is None else temperature,
            "max_tokens": self.max_tokens if max_tokens is None else max_tokens,
        }
        if self.kind == "logprob":
            params["logprobs"] = True
            params["top_logprobs"] = self.top_logprobs or 5
        return params


def template_dirs() -> list[Path]:
    """Where built-in templates are looked up: the repository's prompts/, then the installed copy."""
    return [d for d in (_REPO_PROMPTS, _INSTALLED_PROMPTS) if d.is_dir()]


def builtin_templates() -> list[str]:
    """Names of the built-in templates."""
    return sorted({p.stem for d in template_dirs() for p in d.glob("*.toml")})


def load_template(name_or_path: str | Path) -> Template:
    """Load a built-in template by name, or a user's template file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        for directory in template_dirs():
            candidate = directory / f"{name_or_path}.toml"
            if candidate.is_file():
                path = candidate
                break
        else:
            raise ConfigError(
                f"unknown template '{name_or_path}': built-in templates are {', '.join(builtin_templates())}; "
                "or give the path of a .toml template file"
            )
    return _template_from_dict(read_toml(path, "template file"), path)


class TemplateVerdict(SettingsModel):
    """One label of a template's verdict vocabulary ([verdicts] "label" = { p_first = ..., weight = ... })."""

    p_first: float = Field(ge=0, le=1)
    """Probability that the first-shown answer is better when the judge gives this label (a tie: 0.5)."""
    weight: float = Field(1.0, gt=0)
    """How much a game with this label counts."""


class TemplateFile(SettingsModel):
    """The keys of a template's TOML file, validated as settings are (strict types, no unknown keys)."""

    name: str | None = None
    """The template's name (default: the file name without .toml)."""
    description: str = ""
    """One line on what the template asks."""
    kind: Literal["text", "logprob"] = "text"
    """text: the label is the last verdict marker in the judge's output; logprob: the next token's probabilities."""
    system: str = ""
    """The system message."""
    user: str
    """The user message, with the placeholders {question}, {answer_a}, {answer_b} (and {reference})."""
    max_tokens: int | None = Field(None, ge=1)
    """The judge's token limit (default: 1 for logprob, 1024 for text)."""
    temperature: float = Field(0.0, ge=0, le=2)
    """The judge's sampling temperature."""
    top_logprobs: int | None = Field(None, ge=0, le=20)
    """Alternatives per token to score (logprob; default 5; the OpenAI API returns at most 20)."""
    verdicts: dict[str, TemplateVerdict] = Field(min_length=2)
    """The verdict vocabulary: label -> its meaning; at least two labels."""

    @field_validator("user")
    @classmethod
    def _has_placeholders(cls, user: str) -> str:
        for slot in ("{answer_a}", "{answer_b}", "{question}"):
            if slot not in user:
                raise ValueError(f"must contain the placeholder {slot}")
        for name in re.findall(r"\{(\w+)\}", user):
            if name not in _PLACEHOLDERS:
                raise ValueError(f"unknown placeholder {{{name}}}; use {', '.join(_PLACEHOLDERS)}")
        return user


def _template_from_dict(data: dict[str, Any], path: Path) -> Template:
    """Validate a template file's keys, naming the file and key of any problem."""
    with validating(TemplateFile, lambda location: f"{path}: {template_key(location)}" if location else str(path)):
        spec = TemplateFile.model_validate(data)
    logprob = spec.kind == "logprob"
    return Template(
        name=spec.name or path.stem,
        kind=spec.kind,
        system=spec.system.strip(),
        user=spec.user.strip(),
        verdicts={label: Verdict(label, meaning.p_first, meaning.weight) for label, meaning in spec.verdicts.items()},
        max_tokens=spec.max_tokens or (1 if logprob else 1024),
        temperature=spec.temperature,
        top_logprobs=spec.top_logprobs or (5 if logprob else 0),
        description=spec.description,
    )


def template_key(location: tuple[str | int, ...]) -> str:
    """A key of a template file as TOML shows it: `user`, `[verdicts] "[[A]]".p_first`."""
    if location[:1] == ("verdicts",) and len(location) > 1:
        return f'[verdicts] "{location[1]}"' + "".join(f".{part}" for part in location[2:])
    return ".".join(str(part) for part in location)


# -- rendering ------------------------------------------------------------------------------------------

_MARKER = re.compile(r"\[\[|\]\]")
_FENCE_LINE = re.compile(r"^(=+ *(?:BEGIN|END) )", re.MULTILINE)


def defang(text: str) -> str:
    """Neutralise text inside an answer that could be read as a verdict marker or a fence line."""
    text = _MARKER.sub(lambda m: m.group(0)[0] + " " + m.group(0)[1], text)
    return _FENCE_LINE.sub(lambda m: "> " + m.group(1), text)


def _fence(title: str, body: str) -> str:
    return f"===== BEGIN {title} =====\n{body}\n===== END {title} ====="


def render_question(question: Question) -> str:
    """The user's side of the conversation."""
    if len(question.turns) == 1:
        return _fence("USER QUESTION", defang(question.turns[0]))
    turns = "\n\n".join(f"[User, turn {i}]\n{defang(t)}" for i, t in enumerate(question.turns, 1))
    return _fence(f"USER CONVERSATION ({len(question.turns)} TURNS)", turns)


def render_answer(question: Question, answer: Answer, slot: str) -> str:
    """One assistant's answer, fenced; for multi-turn questions, its whole conversation."""
    if len(question.turns) == 1:
        return _fence(f"ANSWER {slot}", defang(answer.turns[0]))
    parts = []
    for i, (user_turn, reply) in enumerate(zip(question.turns, answer.turns, strict=True), 1):
        parts.append(f"[User, turn {i}]\n{defang(user_turn)}\n\n[Assistant {slot}, turn {i}]\n{defang(reply)}")
    return _fence(f"CONVERSATION WITH ASSISTANT {slot}", "\n\n".join(parts))


def render_reference(question: Question) -> str:
    """The reference answer(s), fenced, or a plain note that there is none."""
    if not question.reference:
        return "(No reference answer is available for this question.)"
    if len(question.reference) == 1:
        return _fence("REFERENCE ANSWER", defang(question.reference[0]))
    turns = "\n\n".join(f"[Reference, turn {i}]\n{defang(t)}" for i, t in enumerate(question.reference, 1))
    return _fence("REFERENCE ANSWERS", turns)


def render_messages(template: Template, question: Question, first: Answer, second: Answer) -> tuple[dict, ...]:
    """Chat messages for one game: `first` is shown as answer A, `second` as answer B."""
    values = {
        "question": render_question(question),
        "answer_a": render_answer(question, first, "A"),
        "answer_b": render_answer(question, second, "B"),
        "reference": render_reference(question) if template.uses_reference else "",
    }
    user = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template.user)
    messages = [{"role": "user", "content": user}]
    if template.system:
        messages.insert(0, {"role": "system", "content": template.system})
    return tuple(messages)


def game_key(model: str, params: dict[str, Any], messages: tuple[dict, ...]) -> str:
    """SHA-256 of the canonical JSON of exactly what is sent: judge model, sampling parameters, messages."""
    canonical = json.dumps(
        {"model": model, "params": params, "messages": list(messages)},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def build_request(template: Template, judge_model: str, params: dict[str, Any], question: Question,
                  first: Answer, second: Answer) -> JudgeRequest:
    """Render one game into the request the engine sends, keyed by its content."""
    messages = render_messages(template, question, first, second)
    return JudgeRequest(game_key(judge_model, params, messages), judge_model, messages, params)

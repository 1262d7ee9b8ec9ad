"""Judge templates: load them from prompts/ (or a user's file), render games into chat messages.

A template is a TOML file declaring its system and user text, its kind (`text`: the label is the last
verdict marker in the judge's output; `logprob`: the next token, scored from its probabilities), its
sampling defaults and its verdict vocabulary (label -> probability that the first-shown answer is better).

Questions, answers and references are fenced between BEGIN/END lines carrying a boundary code derived from
the block's content, and every line of theirs that could be read as a fence, a role header or a verdict
marker (after Unicode normalisation, whatever its line breaks, case, spacing or invisible characters) is
neutralised (`defang`), so a text cannot pass for the judge's verdict or break out of its fence. Verdicts are
parsed from the judge's output only (verdicts.py), never from the prompt.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
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

    @property
    def content_hash(self) -> str:
        """SHA-256 of what the template contributes to the judge's prompts and to reading its verdicts (not
        its file name): two runs whose templates hash alike measured the same way."""
        content = {"kind": self.kind, "system": self.system, "user": self.user, "top_logprobs": self.top_logprobs,
                   "verdicts": {label: [v.p_first, v.weight] for label, v in sorted(self.verdicts.items())}}
        return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

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


def template_file(value: str | Path | None) -> Template | None:
    """The template a `--template` value names when it is a file (it has a suffix: `load_template`'s rule), loaded;
    None for a template's name (or no value)."""
    return load_template(value) if value is not None and Path(value).suffix else None


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

# A line that, read loosely, opens or closes a fenced block ("===== END ANSWER A =====", "end of the answer")...
_FENCE_LIKE = re.compile(r"^[\W_]*(?:begin|end|start|stop)\b.*\b(?:question|answer|conversation|reference|user"
                         r"|assistant)")
# ... or heads a turn of a conversation ("[Assistant B, turn 2]", "user - turn 1").
_ROLE_HEADER_LIKE = re.compile(r"^[\W_]*(?:user|assistant|reference|system)\b.{0,40}?\bturn\b")
# Two brackets in a row: the shape of every built-in template's verdict marker ([[A>B]], [[C]]).
_DOUBLE_BRACKET = re.compile(r"(?<=\[)(?=\[)|(?<=\])(?=\])")
_WHITESPACE = re.compile(r"\s+")
# Invisible characters a line may hide inside a keyword: format (zero-width, bidi), combining marks, controls.
_INVISIBLE = frozenset(("Cf", "Mn", "Me", "Cc"))
# Every character `str.splitlines` breaks a line at (CR LF is one break).
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# A cheap screen run before `skeleton`, on text folded coarsely (`_fold`): the start of a line that could read as
# a fence or a role header, whatever follows the keyword.
_KEYWORDS = "begin|end|start|stop|user|assistant|reference|system"
_SUSPECT_LINE = re.compile(rf"[^a-z0-9]*(?:{_KEYWORDS})")
_SUSPECT_START = re.compile(rf"\n[^a-z0-9\n]*(?:{_KEYWORDS})")  # the same over many lines (a literal first: fast)
# Control characters (all line breaks but newline among them) and the non-ASCII line breaks: text with none of
# these, if ASCII, folds by lower() alone.
_UNUSUAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_BOUNDARY_DIGITS = 12
_QUOTE = "> "


def skeleton(line: str) -> str:
    """What a reader sees in a line, for comparison: compatibility forms folded (NFKD: fullwidth letters,
    ligatures), invisible characters dropped, case folded, whitespace runs as one space, ends stripped."""
    decomposed = unicodedata.normalize("NFKD", line)
    visible = "".join(c if unicodedata.category(c) not in _INVISIBLE or c.isspace() else "" for c in decomposed)
    return _WHITESPACE.sub(" ", visible.casefold()).strip()


def defang(text: str) -> str:
    """Make user or model text safe to show between fences, leaving it otherwise as written.

    Every Unicode line break (those of ``str.splitlines``: \\r\\n, \\n, \\r, \\v, \\f, \\x1c-\\x1e, \\x85, U+2028,
    U+2029) becomes "\\n", so the judge sees the lines this function checks. A line whose `skeleton` holds two
    brackets in a row gets a space between them (and bracket look-alikes such as fullwidth ones become ASCII), so
    it cannot pass for a verdict marker; a line whose skeleton could be read as a fence or a role header is
    quoted with "> ", so it cannot pass for the renderer's own lines. Verdicts are parsed from the judge's output only;
    this is about what the judge model reads.
    """
    unusual = _UNUSUAL.search(text) is not None
    if unusual:
        text = _LINE_BREAK.sub("\n", text)
    folded = _fold(text) if unusual or not text.isascii() else text.lower()
    if "[[" not in folded and "]]" not in folded and not _SUSPECT_START.search("\n" + folded):
        return text  # most text: nothing to do (beyond the line breaks)
    # `_fold` keeps every \\n, so its lines are those of `text`: only lines it flags need a closer look.
    return "\n".join(_defang_line(line) if "[[" in flag or "]]" in flag or _SUSPECT_LINE.match(flag) else line
                     for line, flag in zip(text.split("\n"), folded.split("\n"), strict=True))


def _fold(text: str) -> str:
    """`text` (whose only line break is \\n) compatibility-decomposed and case folded, with every non-ASCII and
    control character dropped, but \\n kept. Coarser than `skeleton` but computed in C: it only removes
    characters (some of which `skeleton` keeps as spaces), and the screens test keywords as prefixes, so every
    line whose skeleton could match `_FENCE_LIKE`, `_ROLE_HEADER_LIKE` or hold "[[" is flagged."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).casefold().encode("ascii", "ignore").decode("ascii")
    return _CONTROL.sub("", text).lower()


def _defang_line(line: str) -> str:
    shape = skeleton(line)
    if "[[" in shape or "]]" in shape:
        line = _DOUBLE_BRACKET.sub(" ", "".join(_bracket_or_visible(c) for c in line))
        shape = skeleton(line)
    if _FENCE_LIKE.match(shape) or _ROLE_HEADER_LIKE.match(shape):
        return _QUOTE + line
    return line


def _bracket_or_visible(char: str) -> str:
    """Bracket look-alikes as ASCII brackets; invisible characters (which could sit between two) dropped."""
    folded = unicodedata.normalize("NFKC", char)
    if folded in ("[", "]"):
        return folded
    return "" if unicodedata.category(char) in _INVISIBLE and not char.isspace() else char


def _fence(title: str, body: str) -> str:
    """`body` between BEGIN and END lines that carry a boundary code derived from the title and the body.

    Like a MIME multipart boundary, the code marks where the block really ends; derived from the content (the
    first hex digits of SHA-256), it is the same for the same block in every game, so identical games keep
    identical keys and a question's block is a prefix the engine can cache across all its games. A body cannot
    contain its own code (that would be a SHA-256 fixed point), and lines shaped like a fence were already
    quoted by `defang`.
    """
    code = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()[:_BOUNDARY_DIGITS]
    return f"===== BEGIN {title} (boundary {code}) =====\n{body}\n===== END {title} (boundary {code}) ====="


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

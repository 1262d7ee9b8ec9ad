"""Judge templates: load them from prompts/ (or a user's file), render games into chat messages.

A template is a TOML file declaring its system and user text, its kind (`text`: the label is read from the
judge's output, verdicts.parse_text; `logprob`: the next token, scored from its probabilities), its
sampling defaults and its verdict vocabulary (label -> probability that the first-shown answer is better).

Questions, answers and references are fenced between BEGIN/END lines carrying a boundary code derived from
the block's content; every line of theirs that could be read as a fence or a role header, and any text that
could be read as one of the template's bracketed verdict markers (after Unicode normalisation, whatever its line
breaks, case, spacing or invisible characters), is neutralised (`defang`), so a text cannot pass for the judge's
verdict or break out of its fence; everything else reaches the judge as written. Verdicts are parsed from the
judge's output only (verdicts.py), never from the prompt.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import re
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from judgebench.config import SettingsModel, home_expanded, read_toml, suggest, validating
from judgebench.engines.base import JudgeRequest
from judgebench.errors import ConfigError
from judgebench.records import Answer, Question

_REPO_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
_SHARED = Path("share") / "judgebench" / "prompts"  # where an installed wheel puts prompts/ (its data files)
_PLACEHOLDERS = ("question", "answer_a", "answer_b", "reference")
# A bracketed verdict marker as the judge's output is read (verdicts.parse_text): a label in double brackets on one
# line, spaces tolerated inside them ("[[ A > B ]]" reads as "[[A>B]]"), never a line break (`defang`, which
# keeps answers from carrying a verdict, reads them line by line).
BRACKETED = re.compile(r"\[\[[^\S\n]*([^\[\]\n]{1,64}?)[^\S\n]*\]\]")
REASONING_MAX_TOKENS = 16000
"""A reasoning judge's token limit unless [judging] max_tokens sets one: a ceiling (billed as used) above what its
reasoning and verdict take on a judge's prompt, where a template's 1,024 is spent reasoning."""


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
    plain: Template | None = None
    """The template that judges the questions a format shows no reference (`Question.judged_without_reference`), for
    a reference-guided one: pairwise-5 for pairwise-5-reference, as FastChat's judge uses pair-v2 beside
    pair-math-v1. Not part of `content_hash`: the requests it renders are its own, keyed by their content."""

    @property
    def uses_reference(self) -> bool:
        return "{reference}" in self.user

    @property
    def marker_insides(self) -> frozenset[str]:
        """What stands between the brackets of the template's bracketed labels ("[[A>B]]" -> "a>b"), folded as
        `defang` reads a line and without spaces: the text it neutralises. Empty for a template of plain labels
        ("A", "TIE"), which no rewriting of ordinary text could keep out of an answer."""
        return frozenset(_WHITESPACE.sub("", _visible(match.group(1))[0]) for label in self.verdicts
                         if (match := BRACKETED.fullmatch(label)))

    @property
    def bracketed_labels(self) -> dict[str, str]:
        """The template's bracketed labels by their form without spaces ("[[Response1]]" -> "[[Response 1]]"), as
        `verdicts.parse_text` finds them in the judge's output, spaces anywhere inside the brackets tolerated."""
        return {_WHITESPACE.sub("", label): label for label in self.verdicts if BRACKETED.fullmatch(label)}

    @property
    def content_hash(self) -> str:
        """SHA-256 of what the template contributes to the judge's prompts and to reading its verdicts (not
        its file name): two runs whose templates hash alike measured the same way."""
        content = {"kind": self.kind, "system": self.system, "user": self.user, "top_logprobs": self.top_logprobs,
                   "verdicts": {label: [v.p_first, v.weight] for label, v in sorted(self.verdicts.items())}}
        return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def sampling_params(self, max_tokens: int | None = None, temperature: float | None = None, *,
                        reasoning: bool = False, extra_body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The parameters sent with every game of this template (part of the game key): `max_tokens` and
        `temperature` (None: the template's), then the judge's `extra_body` fields.

        A `reasoning` judge (OpenAI's o-series and gpt-5, thinking models) gets its token limit as
        `max_completion_tokens` (OpenAI's reasoning models refuse `max_tokens`), `REASONING_MAX_TOKENS` unless
        `max_tokens` is given (its reasoning counts against the limit: a template's limit, sized for a judge that
        answers at once, is spent before the verdict), and no temperature (the model's own default: OpenAI's take
        only 1). Without `reasoning` and `extra_body` the parameters are those of every earlier version, so the
        games already stored keep their keys."""
        params: dict[str, Any]
        if reasoning:
            params = {"max_completion_tokens": REASONING_MAX_TOKENS if max_tokens is None else max_tokens}
        else:
            params = {"temperature": self.temperature if temperature is None else temperature,
                      "max_tokens": self.max_tokens if max_tokens is None else max_tokens}
        if self.kind == "logprob":
            params["logprobs"] = True
            params["top_logprobs"] = self.top_logprobs or 5
        return {**params, **(extra_body or {})}


def token_limit(params: Mapping[str, Any]) -> int | None:
    """The judge's token limit in the parameters `Template.sampling_params` made (None in none)."""
    limit = params.get("max_completion_tokens", params.get("max_tokens"))
    return limit if isinstance(limit, int) else None


@functools.cache
def template_dirs() -> list[Path]:
    """Where built-in templates are looked up: the repository's prompts/, then the copy installed with judgebench.

    A wheel installs prompts/ as data files under the install scheme's data folder, which is sys.prefix only for
    an install into the running environment: `pip install --user`, `--prefix`, Debian's system Python (/usr/local
    while sys.prefix is /usr) put it elsewhere. The installed distribution's file list says where (relative to its
    site-packages); `pip install --target` moves the files after writing that list, leaving `share/` beside the
    package, which is looked at too."""
    installed = [Path(sys.prefix) / _SHARED, Path(__file__).resolve().parents[1] / _SHARED]
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        listed = (importlib.metadata.distribution("judgebench").files or [])
        installed += [Path(str(file.locate())).parent for file in listed
                      if file.suffix == ".toml" and file.parent.parts[-3:] == _SHARED.parts]
    return list(dict.fromkeys(d.resolve() for d in (_REPO_PROMPTS, *installed) if d.is_dir()))


def builtin_templates() -> list[str]:
    """Names of the built-in templates."""
    return sorted({p.stem for d in template_dirs() for p in d.glob("*.toml")})


def load_template(name_or_path: str | Path) -> Template:
    """Load a built-in template by name, or a user's template file by path (`~` its home folder, as in every
    path the user gives: `leaderboard --template=~/mine.toml` read a folder named `~`)."""
    path = home_expanded(name_or_path)
    if not path.suffix:
        for directory in template_dirs():
            candidate = directory / f"{name_or_path}.toml"
            if candidate.is_file():
                path = candidate
                break
        else:
            names = builtin_templates()
            raise ConfigError(
                f"unknown template '{name_or_path}'{suggest(str(name_or_path), names)}; built-in templates are "
                f"{', '.join(names)}, or give the path of a .toml template file"
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
    """text: the label is read from the judge's text (the last bracketed marker, or a plain label closing it);
    logprob: the next token's probabilities."""
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
    plain: str | None = None
    """A reference-guided template's counterpart without {reference} (a name, or a path beside this file), with the
    same kind and verdicts: it judges the questions a format shows no reference (MT-Bench outside math, reasoning
    and coding, as FastChat's judge does with pair-v2), with this template's sampling settings."""

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

    @field_validator("verdicts")
    @classmethod
    def _labels_can_be_read(cls, verdicts: dict[str, TemplateVerdict],
                            info: ValidationInfo) -> dict[str, TemplateVerdict]:
        """Every label is text the judge can write: not empty and, in a logprob template, one token's text."""
        for label in verdicts:
            if not label.strip():
                raise ValueError(f"the label {label!r} is empty: name each verdict as the judge writes it")
            if info.data.get("kind") == "logprob" and (problem := _not_one_token(label)):
                raise ValueError(f"a logprob template reads the verdict from the judge's first token, and {label!r} "
                                 f"{problem}: use one-token labels such as \"A\" and \"B\", or kind = \"text\" to "
                                 "read the verdict from the judge's text")
        return verdicts


def _not_one_token(label: str) -> str | None:
    """Why `label` cannot be the text of one token, as `verdicts.parse_logprobs` compares tokens (without their
    surrounding spaces); None when it can be. A space inside: tokenizers split words at spaces. A bracketed
    marker around a letter or digit ("[[A]]"): byte-level BPE tokenizers (GPT's, Llama 3's, Qwen's) split runs of
    punctuation from letters and digits before merging, so it is always several tokens ("[[", "A", "]]")."""
    if any(char.isspace() for char in label):
        return "has a space (tokens are compared without the spaces around them, and hold none inside)"
    if (marker := BRACKETED.fullmatch(label)) and any(char.isalnum() for char in marker.group(1)):
        return "is several tokens (tokenizers split brackets from letters and digits)"
    return None


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
        plain=_plain_counterpart(spec, path),
    )


def _plain_counterpart(spec: TemplateFile, path: Path) -> Template | None:
    """The template a template file names as its `plain` counterpart, loaded (a path relative to the file), or None;
    refused, naming the file, unless it is a template without {reference} of the same kind and verdicts: its verdicts
    are read with this template's."""
    if spec.plain is None:
        return None
    plain = load_template(path.parent / spec.plain if Path(spec.plain).suffix else spec.plain)
    meanings = {label: (verdict.p_first, verdict.weight) for label, verdict in spec.verdicts.items()}
    if (plain.uses_reference or plain.kind != spec.kind
            or {label: (v.p_first, v.weight) for label, v in plain.verdicts.items()} != meanings):
        raise ConfigError(f"{path}: plain: template '{plain.name}' cannot judge this template's questions without a "
                          "reference: a plain counterpart shows no {reference} and has the same kind and verdicts")
    return plain


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
# Text a reader could take for a bracketed verdict marker, in a line as `_visible` shows it: two brackets, an inside
# without brackets, two brackets (`Template.marker_insides` says which insides are the template's).
_LOOSE_MARKER = re.compile(r"\[\[([^\[\]]*)\]\]")
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


def defang(text: str, markers: frozenset[str] = frozenset()) -> str:
    """Make user or model text safe to show between fences, leaving it otherwise as written.

    Every Unicode line break (those of ``str.splitlines``: \\r\\n, \\n, \\r, \\v, \\f, \\x1c-\\x1e, \\x85, U+2028,
    U+2029) becomes "\\n", so the judge sees the lines this function checks. Text that reads as one of the
    template's bracketed verdict markers (`markers`: `Template.marker_insides`), whatever its case, spacing inside
    the brackets, bracket look-alikes or invisible characters, gets its brackets split ("[[B>>A]]" becomes
    "[ [B>>A] ]"), so the judge's output cannot quote a verdict from an answer, nor an answer hand the judge one;
    other double brackets (code's `[[ -f "$f" ]]`, a wiki's `[[Main Page]]`, `a[b[i]]`) are left as written. A
    line whose skeleton could be read as a fence or a role header is quoted with "> ", so it cannot pass for the
    renderer's own lines. Verdicts are parsed from the judge's output only; this is about what the judge model reads.
    """
    unusual = _UNUSUAL.search(text) is not None
    if unusual:
        text = _LINE_BREAK.sub("\n", text)
    folded = _fold(text) if unusual or not text.isascii() else text.lower()
    bracketed = bool(markers) and "[[" in folded and "]]" in folded
    if not bracketed and not _SUSPECT_START.search("\n" + folded):
        return text  # most text: nothing to do (beyond the line breaks)
    # `_fold` keeps every \\n, so its lines are those of `text`: only lines it flags need a closer look.
    return "\n".join(_defang_line(line, markers) if (bracketed and "[[" in flag and "]]" in flag)
                     or _SUSPECT_LINE.match(flag) else line
                     for line, flag in zip(text.split("\n"), folded.split("\n"), strict=True))


def _fold(text: str) -> str:
    """`text` (whose only line break is \\n) compatibility-decomposed and case folded, with every non-ASCII and
    control character dropped, but \\n kept. Coarser than `skeleton` but computed in C: it only removes
    characters (some of which `skeleton` keeps as spaces), and the screens test keywords as prefixes, so every
    line whose skeleton could match `_FENCE_LIKE`, `_ROLE_HEADER_LIKE` or hold a marker is flagged."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).casefold().encode("ascii", "ignore").decode("ascii")
    return _CONTROL.sub("", text).lower()


def _defang_line(line: str, markers: frozenset[str]) -> str:
    line = _split_markers(line, markers)
    shape = skeleton(line)
    if _FENCE_LIKE.match(shape) or _ROLE_HEADER_LIKE.match(shape):
        return _QUOTE + line
    return line


def _split_markers(line: str, markers: frozenset[str]) -> str:
    """`line` with each text that reads as one of `markers` written "[ [inside] ]": its brackets as ASCII brackets
    split by spaces, what was between them kept. One pass finds them all: two such texts never overlap (their
    insides hold no bracket), and a split one cannot join a neighbouring bracket into a new one."""
    seen, origin = _visible(line)
    pieces, done = [], 0
    for marker in _LOOSE_MARKER.finditer(seen):
        if _WHITESPACE.sub("", marker.group(1)) in markers:
            inside = line[origin[marker.start(1) - 1] + 1:origin[marker.end(1)]]
            pieces += [line[done:origin[marker.start()]], "[ [", inside, "] ]"]
            done = origin[marker.end() - 1] + 1
    return "".join(pieces) + line[done:]


def _visible(line: str) -> tuple[str, list[int]]:
    """What a reader sees in `line`, as `skeleton` folds it (compatibility forms, invisible characters dropped, case
    folded) but with every space kept, and for each of its characters the index in `line` it came from (one more
    at the end: `len(line)`)."""
    if line.isascii() and not _CONTROL.search(line):
        return line.lower(), list(range(len(line) + 1))  # what the loop below gives, at C speed
    seen: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(line):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.category(part) not in _INVISIBLE or part.isspace():
                folded = part.casefold()
                seen.append(folded)
                origin.extend([index] * len(folded))
    origin.append(len(line))
    return "".join(seen), origin


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


def render_question(question: Question, markers: frozenset[str]) -> str:
    """The user's side of the conversation (`markers`: the template's, which `defang` neutralises)."""
    if len(question.turns) == 1:
        return _fence("USER QUESTION", defang(question.turns[0], markers))
    turns = "\n\n".join(f"[User, turn {i}]\n{defang(t, markers)}" for i, t in enumerate(question.turns, 1))
    return _fence(f"USER CONVERSATION ({len(question.turns)} TURNS)", turns)


def render_answer(question: Question, answer: Answer, slot: str, markers: frozenset[str]) -> str:
    """One assistant's answer, fenced; for multi-turn questions, its whole conversation."""
    if len(question.turns) == 1:
        return _fence(f"ANSWER {slot}", defang(answer.turns[0], markers))
    parts = []
    for i, (user_turn, reply) in enumerate(zip(question.turns, answer.turns, strict=True), 1):
        parts.append(f"[User, turn {i}]\n{defang(user_turn, markers)}\n\n"
                     f"[Assistant {slot}, turn {i}]\n{defang(reply, markers)}")
    return _fence(f"CONVERSATION WITH ASSISTANT {slot}", "\n\n".join(parts))


def render_reference(question: Question, markers: frozenset[str]) -> str:
    """The reference answer(s), fenced, or a plain note that there is none."""
    if not question.reference:
        return "(No reference answer is available for this question.)"
    if len(question.reference) == 1:
        return _fence("REFERENCE ANSWER", defang(question.reference[0], markers))
    turns = "\n\n".join(f"[Reference, turn {i}]\n{defang(t, markers)}" for i, t in enumerate(question.reference, 1))
    return _fence("REFERENCE ANSWERS", turns)


def render_messages(template: Template, question: Question, first: Answer, second: Answer) -> tuple[dict, ...]:
    """Chat messages for one game: `first` is shown as answer A, `second` as answer B; a question judged without a
    reference by its format's rule gets those of the template's plain counterpart, if it has one."""
    if question.judged_without_reference and template.plain is not None:
        template = template.plain
    markers = template.marker_insides
    values = {
        "question": render_question(question, markers),
        "answer_a": render_answer(question, first, "A", markers),
        "answer_b": render_answer(question, second, "B", markers),
        "reference": render_reference(question, markers) if template.uses_reference else "",
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

"""From the judge's output to verdicts, and from two games to one outcome.

- `parse_text`: a bracketed label ("[[A>B]]") is the *last* such marker of the template's vocabulary in the
  judge's own output (judges often restate the options before concluding); a plain label ("A", "TIE") is the one
  that closes the judge's output. Neither: unparsed.
- Reasoning is not a verdict: a thinking model served without a reasoning parser (DeepSeek-R1 or Qwen3 on vLLM
  without --reasoning-parser, Ollama) begins its output with `<think> ... </think>`, and what it weighs there
  ("maybe [[A>B]], but wait") is not what it concludes. `parse_text` reads what follows that reasoning
  (`beyond_reasoning`): a block that opens the output and is never closed (cut at the token limit while the judge
  reasoned) leaves nothing, and a `</think>` that no `<think>` opened ends reasoning that began with the output (chat
  templates that open the block in the prompt) where it ends its line, as thinking models write it; one with more
  text after it on its line is a quote. Other tags are ordinary text: a judge that mentions `<think>`
  (quoting an answer, or led to by one) keeps its verdict. `read_stored` reads stored outputs alike.
- `parse_logprobs`: the probability that the first answer is better is the template's verdict tokens'
  probability mass, normalised over those tokens only, at the first generated position.
- `read_stored`: stored judgments read again with the current template's verdict table.
- `combine`: the swap policy turning the games of a pair (one per presentation order) into an outcome,
  keeping the per-order probabilities so position bias stays measurable.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from judgebench.config import setting_name
from judgebench.errors import InputError
from judgebench.prompts import BRACKETED, Template
from judgebench.records import FAILED, OK, OUTCOME_COLUMNS, UNPARSED, Pair

SWAP_POLICIES = ("both", "consistent", "random-one")
# What may follow the plain label that closes a judge's output: spaces, a full stop, Markdown emphasis, a quote.
_CLOSING = re.compile(r"[\s.!*_`'\")\]]*")
# The tags of a thinking model's reasoning block, in any case, spaces tolerated inside the brackets.
_THINK_OPEN = re.compile(r"\s*<\s*think\s*>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"<\s*/\s*think\s*>", re.IGNORECASE)
# A closing tag that ends its line (nothing but spaces after it on the line), as thinking models write it.
_THINK_CLOSE_LINE = re.compile(r"<\s*/\s*think\s*>[^\S\n]*(?:\n|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    """The verdict read from one completion: status ok with label and p_first, or unparsed."""

    status: str
    label: str | None = None
    p_first: float | None = None
    weight: float = 1.0


def parse_text(template: Template, text: str | None) -> Parsed:
    """The verdict of the template's vocabulary in the judge's output.

    A bracketed label counts wherever it is on one line, spaces inside the brackets tolerated ("[[ A > B ]]",
    "[[Response1]]" for "[[Response 1]]"). A plain label counts where it closes the output, or else as a whole word
    of three characters or more (`_plain_label`), since a letter inside prose ("answer B is wrong") is not a
    verdict. Of those found, the one that ends last wins: "... this is not a TIE.\nA" reads A.
    """
    text = beyond_reasoning(text)
    if not text:
        return Parsed(UNPARSED)
    vocabulary, bracketed = template.verdicts, template.bracketed_labels
    found: list[tuple[int, str]] = []  # (end position, label)
    for match in BRACKETED.finditer(text):
        label = bracketed.get("[[" + re.sub(r"\s+", "", match.group(1)) + "]]")
        if label is not None:
            found.append((match.end(), label))
    if (plain := _plain_label(template, text)) is not None:
        found.append(plain)
    if not found:
        return Parsed(UNPARSED)
    label = max(found)[1]
    verdict = vocabulary[label]
    return Parsed(OK, label, verdict.p_first, verdict.weight)


def beyond_reasoning(text: str | None) -> str | None:
    """The judge's output after the reasoning that begins it: after the first `</think>` when the output opens with
    `<think>` (spaces before it aside), or after the first `</think>` that ends its line with no `<think>` before
    it (its block opened in the prompt); "" when the opening block is never closed. Any other output is returned
    as it is: reasoning does not begin an output anywhere but at its start, so a tag later in it (quoted, say) is
    text, and a verdict before or after it counts.

    A closing tag without an opening one is told apart by where it stands. Thinking models whose chat template
    opens the block in the prompt (DeepSeek-R1, QwQ, Qwen3's thinking models) end their reasoning with `</think>` and a
    line break (`</think>\n\n`), or with the output; a tag quoted in prose, code or backticks has more of its
    line after it. Read as the end of reasoning, such a quote dropped a verdict written before it ("[[A>B]] ...
    the tag </think> closes the block": unparsed). A quoted tag that happens to end its line still reads as the
    end of reasoning: no rule tells it from a real one, and reading a marker the judge only weighed would be
    worse than an unparsed game, which is retried."""
    if not text:
        return text
    if _THINK_OPEN.match(text):
        closing = _THINK_CLOSE.search(text)
        return "" if closing is None else text[closing.end():]
    closing = _THINK_CLOSE_LINE.search(text)
    if closing is None or _THINK_OPEN.search(text, 0, closing.start()):
        return text
    return text[closing.end():]


def _plain_label(template: Template, text: str) -> tuple[int, str] | None:
    """The plain label (not bracketed) the judge's output gives, with the position where it ends; None for none.

    The label that closes the output: the last label of its last non-empty line, as a whole word (not inside
    another word: "A" in "Answer" is none; case as written), followed by nothing but `_CLOSING`'s characters
    ("**A**."), and the only label of that line, or of the line's part after its last colon before the label:
    "A", "Verdict: TIE" and "Answer B is wrong, so: A" are verdicts. Else, unless that line names several labels
    ("A is right, B is wrong, not a TIE": no guess), the last label of three characters or more written anywhere as
    a whole word (`{"winner": "B_WINS"}`, a code fence, reasons after the verdict), a word that long being rarely
    prose.
    """
    plain = sorted((label for label in template.verdicts if not BRACKETED.fullmatch(label)), key=len, reverse=True)
    body = text.rstrip()
    if not plain or not body:
        return None
    words = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, plain))})(?!\w)")  # longest first: "A+" before "A"
    line = body.splitlines()[-1]
    on_line = [(match.start(), match.end(), match.group()) for match in words.finditer(line)]
    if on_line:
        start, end, label = on_line[-1]
        after_colon = line.rfind(":", 0, start) + 1
        if _CLOSING.fullmatch(line, end) and all(other == label for at, _, other in on_line if at >= after_colon):
            return len(body) - len(line) + end, label
        if len({other for _, _, other in on_line}) > 1:
            return None
    long = [(match.end(), match.group()) for match in words.finditer(body) if len(match.group()) >= 3]
    return long[-1] if long else None


def verdicts_sought(labels: tuple[str, ...]) -> str:
    """What `parse_text` looks for among a template's `labels`, in words, for a message about outputs holding none."""
    bracketed = [label for label in labels if BRACKETED.fullmatch(label)]
    plain = [label for label in labels if not BRACKETED.fullmatch(label)]
    sought = [f"one of the template's markers ({', '.join(bracketed)})"] if bracketed else []
    if plain:
        long = (" (one of three characters or more: anywhere, as a whole word, unless the last line names several)"
                if any(len(label) >= 3 for label in plain) else "")
        sought.append(f"a last line closing with one of the template's verdicts ({', '.join(plain)}), alone or "
                      f"after a colon, as a whole word{long}")
    return " or ".join(sought)


def parse_logprobs(template: Template, top_logprobs: list[dict[str, float]] | None,
                   text: str | None) -> Parsed:
    """Probability of the first answer from the first generated position's top logprobs.

    Token variants that differ only by surrounding whitespace (" A", "A") are pooled. If none of the
    verdict tokens is among the top alternatives, the generated text decides (probability 0 or 1);
    if that is not a verdict either, the game is unparsed.
    """
    if top_logprobs:
        mass = {label: 0.0 for label in template.verdicts}
        for token, logprob in top_logprobs[0].items():
            label = token.strip()
            if label in mass and logprob is not None and math.isfinite(logprob):
                mass[label] += math.exp(logprob)
        total = sum(mass.values())
        if total > 0:
            p_first = sum(m * template.verdicts[lab].p_first for lab, m in mass.items()) / total
            label = max(mass, key=lambda name: mass[name])
            return Parsed(OK, label, p_first, template.verdicts[label].weight)
    return parse_text(template, text)


def parse_completion(template: Template, text: str | None,
                     top_logprobs: list[dict[str, float]] | None, error: str | None) -> Parsed:
    """Verdict of one completion under its template; a completion with an error is failed."""
    if error is not None:
        return Parsed(FAILED)
    if template.kind == "logprob":
        return parse_logprobs(template, top_logprobs, text)
    return parse_text(template, text)


def no_verdict(template: Template) -> str:
    """The error recorded with a judge's output in which `template` finds no verdict."""
    return f"no verdict of the template '{template.name}' in the judge's output"


AT_TOKEN_LIMIT = "the judge stopped at its token limit"
"""How the error of a game the judge left without a verdict because its token limit ended its output begins
(`at_token_limit`)."""


def at_token_limit(limit: int | None) -> str:
    """The error of a game whose judge's output ended at its token limit (`limit`) without a verdict (of a
    text template: a logprob template's one token always ends there)."""
    return f"{AT_TOKEN_LIMIT} ({limit:,} tokens) before a verdict" if limit else f"{AT_TOKEN_LIMIT} before a verdict"


def is_token_limit_error(error: object) -> bool:
    """Whether an unparsed judgment's stored error is `at_token_limit`'s: the one rule of a game cut off at the
    judge's token limit, for a run's leaderboard (`ended_at_token_limit`) and for what a rerun sends again
    (`store.Store.cut_off`)."""
    return isinstance(error, str) and error.startswith(AT_TOKEN_LIMIT)


def ended_at_token_limit(unparsed: pd.DataFrame) -> pd.Series:
    """Of unparsed judgments (the store's column `error`, where present): which the judge's token limit ended before
    a verdict (`is_token_limit_error`), a boolean per row."""
    errors = unparsed["error"] if "error" in unparsed else pd.Series([None] * len(unparsed), index=unparsed.index)
    return errors.map(is_token_limit_error).astype(bool)


def without_verdict(unparsed: pd.DataFrame) -> tuple[int, str | None]:
    """Of unparsed judgments (the store's columns `error` and `raw`, where present): how many the judge's token limit
    ended (`ended_at_token_limit`), and what the judge wrote in one of them, from a game the limit did not end where
    there is one: an output cut at the limit says nothing of why a judge that finished gave no verdict."""
    at_limit = ended_at_token_limit(unparsed)
    if "raw" not in unparsed or not len(unparsed):
        return int(at_limit.sum()), None
    finished = unparsed.loc[~at_limit, "raw"]
    return int(at_limit.sum()), str(finished.iloc[0] if len(finished) else unparsed["raw"].iloc[0])


def read_stored(judgments: pd.DataFrame, template: Template, store: object | None = None) -> pd.DataFrame:
    """Stored judgments (Store.judgments' columns) read with `template`'s verdict table: the status, label,
    p_first and weight of every ok or unparsed judgment parsed again from the judge's stored output (its raw
    text, and its logprobs for a logprob template), exactly as `parse_completion` reads a new completion;
    `template` and `template_hash` then name this template. Failed judgments stay failed.

    This is the one place where a stored judgment meets a template, and it reads the output, never the stored
    verdict. A game's key hashes what is sent (prompts.game_key), not how the answer is read, so a template that
    differs only in its [verdicts] (arena-hard's weight 3 for `[[A>>B]]`, another p_first for a label) reuses
    the stored judgments without paying for them again; their stored p_first and weight are the reading of the
    template that stored them, which would give the old template's figures under the new one's name. An ok
    judgment whose output has none of this template's verdicts is unparsed now (with `no_verdict`'s error),
    as the same output received now would be; an unparsed one that now holds a verdict counts.

    Stored logprobs that are not a JSON list of token -> logprob tables (`stored_logprobs`) are a damaged store:
    an InputError naming `store` (the store's path, when known) and the judgment, as the store reports other
    damage.
    """
    readable = judgments["status"].isin((OK, UNPARSED)).to_numpy()
    if not readable.any():
        return judgments.assign(template=template.name, template_hash=template.content_hash)
    logprobs = judgments["logprobs"] if "logprobs" in judgments else pd.Series(None, index=judgments.index)
    rows = [parse_completion(template, raw if isinstance(raw, str) else None, stored_logprobs(top, key, store), None)
            for key, raw, top in zip(judgments["key"][readable], judgments["raw"][readable], logprobs[readable],
                                     strict=True)]
    stored_error = judgments["error"][readable]
    read = judgments.copy()
    read.loc[readable, "status"] = [row.status for row in rows]
    read.loc[readable, "label"] = [row.label for row in rows]
    read.loc[readable, "p_first"] = np.array([np.nan if row.p_first is None else row.p_first for row in rows])
    read.loc[readable, "weight"] = np.array([row.weight for row in rows])
    read.loc[readable, "error"] = [None if row.status == OK else error if status == UNPARSED else no_verdict(template)
                                   for row, status, error in zip(rows, judgments["status"][readable], stored_error,
                                                                 strict=True)]
    return read.assign(template=template.name, template_hash=template.content_hash)


def stored_logprobs(logprobs: object, key: object, store: object | None) -> list[dict[str, float]] | None:
    """Stored top logprobs (JSON text in a store, a list in judgments.jsonl) as `parse_logprobs` takes them.

    JSON text that is not a list of tables, or a binary value (SQLite keeps a blob written into the TEXT column
    as it is; judgebench writes text), is a damaged store: an InputError naming `store` and the key.
    """
    if isinstance(logprobs, bytes):
        problem = f"are not text (a binary value of {len(logprobs)} bytes)"
    elif not isinstance(logprobs, str):
        return logprobs if isinstance(logprobs, list) else None
    else:
        try:
            decoded = json.loads(logprobs)
        except json.JSONDecodeError as error:
            problem = f"are not JSON ({error})"
        else:
            if isinstance(decoded, list) and all(isinstance(table, dict) for table in decoded):
                return decoded
            problem = "are not a list of token -> logprob tables"
    raise InputError(f"the stored logprobs of the judgment {key} {problem}: the store is damaged", path=store,
                     hint=f"give another {setting_name('store', option=True)}")


def discrete(p: np.ndarray) -> np.ndarray:
    """1 where the first side wins, 0 where it loses, 0.5 for an exact tie."""
    return np.where(p > 0.5, 1.0, np.where(p < 0.5, 0.0, 0.5))


@dataclass
class Combined:
    """Outcomes of a swap policy, with the bookkeeping users need to judge the judge."""

    outcomes: pd.DataFrame  # canonical OUTCOME_COLUMNS
    n_pairs: int              # pairs with at least one ok game
    n_incomplete: int         # pairs left out because an order the policy needs is missing
    n_inconsistent: int       # complete pairs whose two orders disagree


def orient_games(games: pd.DataFrame, baseline: str | None = None) -> pd.DataFrame:
    """Add model_a/model_b to game rows: the baseline is always model_b, otherwise names in order."""
    first, second = games["first"].to_numpy(), games["second"].to_numpy()
    if baseline is not None:
        a_is_first = second == baseline
        a_is_first |= (first != baseline) & (first < second)
    else:
        a_is_first = first < second
    games = games.assign(model_a=np.where(a_is_first, first, second), model_b=np.where(a_is_first, second, first))
    # probability that model_a is better in this game
    return games.assign(p_a=np.where(a_is_first, games["p_first"], 1.0 - games["p_first"]), a_first=a_is_first)


def combine(games: pd.DataFrame, swap: str = "both", seed: int = 0,
            baseline: str | None = None) -> Combined:
    """Turn ok games (question_id, first, second, p_first, weight) into one outcome per pair.

    - `both`: score_a is the two orders' mean weighted by their verdicts' weights (ties count half), and the
      outcome's weight their mean; a pair needs both orders. With equal weights that is the plain mean; with a
      template that counts `[[A>>B]]` three times (arena-hard-auto's rule) a pair judged `[[A>>B]]` one way
      and `[[B>A]]` the other scores 3/4, as arena-hard-auto's three-plus-one games do, and a fit on such
      outcomes gives the weighted share of games each model won, which is arena-hard-auto's score;
    - `consistent`: each order's discrete verdict; if the orders disagree the pair is a tie (MT-Bench's
      rule), and how often that happens is counted in `n_inconsistent`;
    - `random-one`: the order that was judged; if both were, the one `pairing.shows_a_first` picks with
      `seed` (the other is ignored). A pair's one judged order is used as it is, so a refit needs neither the
      run's seed nor its orientation of pairs (the baseline as model_b) to find the run's outcomes.
    """
    from judgebench.pairing import shows_a_first

    if swap not in SWAP_POLICIES:
        raise ValueError(f"unknown swap policy {swap!r}")
    if games.empty:
        return Combined(pd.DataFrame(columns=OUTCOME_COLUMNS), 0, 0, 0)
    oriented = orient_games(games, baseline)
    keys = ["question_id", "model_a", "model_b"]
    ab = oriented[oriented["a_first"]].groupby(keys, sort=False)[["p_a", "weight"]].mean()
    ba = oriented[~oriented["a_first"]].groupby(keys, sort=False)[["p_a", "weight"]].mean()
    pairs = ab.add_suffix("_ab").join(ba.add_suffix("_ba"), how="outer").reset_index()
    pairs = pairs.rename(columns={"p_a_ab": "p_ab", "p_a_ba": "p_ba"})
    complete = pairs["p_ab"].notna() & pairs["p_ba"].notna()
    inconsistent = complete & (discrete(pairs["p_ab"].to_numpy()) != discrete(pairs["p_ba"].to_numpy()))

    if swap == "random-one":
        seeded = np.array([shows_a_first(Pair(q, a, b), seed) for q, a, b in
                           pairs[keys].itertuples(index=False, name=None)], dtype=bool)
        use_ab = np.where(complete, seeded, pairs["p_ab"].notna())
        score = np.where(use_ab, pairs["p_ab"], pairs["p_ba"])
        weight = np.where(use_ab, pairs["weight_ab"], pairs["weight_ba"])
        keep = ~np.isnan(score)
    elif swap == "both":
        total = (pairs["weight_ab"] + pairs["weight_ba"]).to_numpy()
        score = (pairs["weight_ab"] * pairs["p_ab"] + pairs["weight_ba"] * pairs["p_ba"]).to_numpy() / total
        weight = total / 2
        keep = complete.to_numpy()
    else:
        d_ab, d_ba = discrete(pairs["p_ab"].to_numpy()), discrete(pairs["p_ba"].to_numpy())
        score = np.where(d_ab == d_ba, d_ab, 0.5)
        weight = (pairs["weight_ab"] + pairs["weight_ba"]).to_numpy() / 2
        keep = complete.to_numpy()
    outcomes = pairs.assign(score_a=score, weight=weight)[keep][OUTCOME_COLUMNS].reset_index(drop=True)
    return Combined(outcomes, len(pairs), int((~keep).sum()), int(inconsistent.sum()))


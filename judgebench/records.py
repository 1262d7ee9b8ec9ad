"""The data model shared by every stage (DESIGN.md, "The data"): questions, answers, games, judgments.

Plain frozen dataclasses: loaders produce them, pairing and prompts consume them, the runner stores
judgments. Outcomes (after the swap policy) and everything downstream are pandas DataFrames with the
canonical columns listed in `OUTCOME_COLUMNS`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from judgebench.engines.base import FAILS_AS_SENT, fails_as_sent, failure_reason


@dataclass(frozen=True)
class Question:
    """One question: one or more user turns, an optional category and optional reference answers per turn.
    `judged_without_reference`: its format's rule shows it no reference (MT-Bench outside FastChat's reference
    categories), so a reference-guided template judges it with its plain counterpart (`Template.plain`), as
    FastChat's judge does with pair-v2."""

    question_id: str
    turns: tuple[str, ...]
    category: str | None = None
    reference: tuple[str, ...] | None = None
    judged_without_reference: bool = False


@dataclass(frozen=True)
class Answer:
    """One model's reply to each turn of a question, plus optional metadata (n_tokens, markdown counts...)."""

    question_id: str
    model: str
    turns: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Dataset:
    """Validated questions and answers, ready for pairing.

    `skipped` counts, per model, the questions left out because that model had no answer for them
    (only when the user allowed missing answers). `notes`: what the user should know about how the files were
    read (reference answers a references file replaced, folders of an answers directory left unread).
    `format` and `references_format`: the input formats (`datasets.FORMATS`) the questions and answers, and a
    references file, were read in, named or detected (None: not read from files, or no references file), so
    that a run can say how it read them. `questions_in_file`: how many questions the questions file holds, of
    which `questions` may be the first few (`first_n`), so that a trial's results say "20 of 80 questions".
    """

    questions: dict[str, Question]
    answers: dict[tuple[str, str], Answer]  # (question_id, model) -> answer
    models: list[str]
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    format: str | None = None
    references_format: str | None = None
    questions_in_file: int | None = None

    def answer(self, question_id: str, model: str) -> Answer | None:
        return self.answers.get((question_id, model))


@dataclass(frozen=True)
class Pair:
    """Two models to compare on one question; `model_a` is the candidate side of the outcome."""

    question_id: str
    model_a: str
    model_b: str


# Game and judgment statuses.
OK, UNPARSED, FAILED = "ok", "unparsed", "failed"


def ok_games(judgments: Any) -> Any:
    """The ok judgments of a frame of stored judgments, as the games `verdicts.combine` takes (question_id,
    first, second, p_first, weight)."""
    return judgments[judgments["status"] == OK][["question_id", "first", "second", "p_first", "weight"]]


GAME_KEYS = ["key", "question_id", "first", "second"]


def every_pair_judged(games: Any) -> bool:
    """Whether `games` (question_id, first, second) compare every pair of their models on every question: a
    complete design, which no adaptive choice shaped (one order of a pair is enough). A question some model
    did not answer makes it incomplete: the caller then errs on the side of saying that a plan chose."""
    models = set(games["first"]) | set(games["second"])
    pairs = {(q, *sorted((a, b))) for q, a, b in zip(games["question_id"], games["first"], games["second"],
                                                    strict=True)}
    questions = set(games["question_id"])
    return len(games) > 0 and len(pairs) == len(questions) * len(models) * (len(models) - 1) // 2


def games_sha256(games: Any) -> str:
    """A SHA-256 of the set of games in `games` (question_id, first, second): the same for the same games in
    any order or repetition, so that a plan recorded by a run is found again from the store's judgments."""
    lines = sorted({f"{q}\t{first}\t{second}" for q, first, second in
                    zip(games["question_id"], games["first"], games["second"], strict=True)})
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def per_game(judgments: Any, games: Any) -> Any:
    """One row per game: each of `games` (GAME_KEYS), in their order, with the judgment of its key from
    `judgments` (one row per key); a game whose key has no judgment is left out.

    Games whose requests are the same share one key: their answers are identical, as in both orders of a pair
    of models that answered alike (or several such models). One call judged them all (a judgment is never
    requested twice), and its verdict is each one's. Every game gets a row of its own, so that what rates or
    counts games (ok_games, the diagnostics, a refit from judgments.jsonl or from the store) sees all of them,
    as the run did; the call is counted once: the later games of a key have `shared_call` true and no tokens
    or cost of their own.
    """
    verdicts = judgments.drop(columns=GAME_KEYS[1:]).drop_duplicates("key")
    return count_calls_once(games[GAME_KEYS].merge(verdicts, on="key", how="inner", sort=False))


def count_calls_once(judgments: Any, counted: Any = ()) -> Any:
    """`judgments` (one row per game) with each call counted once: a game whose key came earlier in the frame,
    or is in `counted` (keys whose call is counted elsewhere: an earlier round of the same run), gets
    `shared_call` true and no tokens or cost of its own; one marked shared already stays so. An adaptive run
    judges in rounds, and games of two rounds can share a key (three or more models answering a question
    alike), so a round's first game of a key may repeat the call of an earlier round. That holds because a key
    is never sent again in a later round of a run: a round re-asks its unparsed games itself, failed games end
    the run, and games the judge refused as sent are not asked again by the run (evaluation.judge_in_rounds)."""
    shared = judgments["key"].duplicated() | judgments["key"].isin(list(counted))
    if "shared_call" in judgments:
        shared |= judgments["shared_call"].fillna(False).astype(bool)
    frame = judgments.copy()
    for column in ("prompt_tokens", "completion_tokens", "cost", "attempts_cost"):
        if column in frame:
            frame[column] = frame[column].where(~shared, frame[column] * 0)
    return frame.assign(shared_call=shared)


def failure_reasons(judgments: Any, shown: int = 3) -> list[str]:
    """Why games failed: the reasons (`failure_reason`: without the reply bodies their stored errors keep) of
    the failed games among `judgments`, the most frequent first (at most `shown`), each with how many games it
    ended."""
    errors = judgments.loc[judgments["status"] == FAILED, "error"].fillna("no error recorded")
    errors = errors.map(failure_reason).value_counts()
    return [f"{n} × {error}" for error, n in errors.head(shown).items()]


def refused_games(judgments: Any) -> int:
    """How many of `judgments` failed because the judge refused their requests as sent (`engines.base.fails_as_sent`:
    asking again sends the same request, and fails it again)."""
    return len(refusals(judgments))


def refusals(judgments: Any) -> list[str]:
    """The errors of the games among `judgments` that the judge refused as sent, without the mark that says so
    (`engines.base.FAILS_AS_SENT`): the judge's server's message."""
    errors = judgments.loc[judgments["status"] == FAILED, "error"]
    return [error.removesuffix(FAILS_AS_SENT).rstrip() for error in errors if fails_as_sent(error)]


def why_unrated(judgments: Any) -> str:
    """Why `judgments` give no outcome to rate, as a reader acts on it: how many of the games had no verdict
    (the judge's output held none: unparsed), how many failed, and, where some had one, that no pair got the
    verdicts of both its orders ("no pair was judged completely" said none of that)."""
    total = len(judgments)
    counts = judgments["status"].value_counts()
    parts = [f"{int(counts[status]):,} {what}" for status, what in (
        (UNPARSED, "had no verdict (the judge's output held none: unparsed)"), (FAILED, "failed"),
        (OK, "had a verdict, but no pair got verdicts in both its orders")) if counts.get(status)]
    if not parts:
        return "no game was judged"
    return f"{parts[0].replace(' ', f' of {total:,} games ', 1)}" + "".join(f"; {part}" for part in parts[1:])


# Canonical outcome columns (one row per pair after the swap policy).
# p_ab / p_ba: probability that model_a is better in the game where a was shown first / second
# (NaN when that order was not judged), kept so position bias stays measurable.
OUTCOME_COLUMNS = ["question_id", "model_a", "model_b", "score_a", "weight", "p_ab", "p_ba"]

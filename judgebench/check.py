"""`judgebench check`: a regression gate for CI that fails only when the candidate is shown worse.

Two forms (issue 10):

- head to head: the candidate's and the reference's answers to the same questions are judged against each other
  in the config's swap policy; a question's score is the candidate's outcome score in [0, 1], and the
  threshold is 0.5 - margin (the candidate's win rate against the reference);
- against an earlier run (`--against RESULTS_DIR`): the candidate is judged against that run's baseline, on its
  questions, with its judge, template and swap policy; a question's score is the candidate's score minus the
  reference model's (both against the baseline), in [-1, 1], and the threshold is -margin.

The effect is the mean score over questions (the question is the unit) and the decision is three-way:
pass when the interval lies above the threshold, regression when below, undecided otherwise
(ratings/sequential.py: a skewness-corrected t interval for a fixed sample, or an anytime-valid confidence sequence
with `sequential`, judged in seeded random batches and stopped once decided). Per category, the same decision
with Holm-adjusted p-values. The check's one decision (`gate_decision`) is the overall one, a regression when a
category regresses under --fail-on any-category, or an undecided one counted as --undecided says; the exit
code and every output follow it. Everything is computed by pure functions over a per-question frame; the one
place that judges is `judge_questions`, which calls the runner with the store, so nothing is judged twice.
"""

from __future__ import annotations

import functools
import json
import numbers
import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from judgebench.config import (
    PAIRING_SETTINGS,
    FailOn,
    RatingsSettings,
    RunConfig,
    Undecided,
    command_or_call,
    expands_paths,
    how_to_set,
    require_run_config,
    setting_label,
    setting_name,
    suggest,
)
from judgebench.diagnostics import agreeing_orders
from judgebench.engines.base import EventHandler
from judgebench.errors import (
    EXIT_FAILED_GAMES,
    EXIT_OK,
    EXIT_REGRESSION,
    EXIT_UNDECIDED,
    ConfigError,
    InputError,
    Interrupted,
    JudgebenchError,
    stopped_exit_code,
)
from judgebench.evaluation import (
    answers_sha256,
    check_reference_answers,
    input_notes,
    require_data,
    run_fingerprint,
    say_notes,
)
from judgebench.outputs import append_text, atomic_write_text, json_safe, prepare_appended
from judgebench.present import (
    RETRY,
    abandoned_among,
    counted,
    dollars,
    judge_output,
    markdown_code,
    markdown_text,
    no_verdict_remedy,
    refused_remedy,
    retry_advice,
)
from judgebench.prompts import load_template, token_limit
from judgebench.ratings.sequential import (
    HORIZON,
    Test,
    confidence_sequence,
    decide,
    holm,
    more_questions_to_decide,
    questions_to_decide,
    t_test,
)
from judgebench.records import FAILED, OK, UNPARSED, Dataset, failure_reasons, refused_games
from judgebench.runner import (
    ACCOUNTING_KEYS,
    ProgressCallback,
    RunResult,
    StopSignals,
    call_accounting,
    engine_output_logged,
)

# A check option (a `CheckOptions` field) as messages name it: check's flag on the command line, the field in Python.
option_name = functools.partial(setting_name, option=True)
set_option = functools.partial(how_to_set, option=True)

UNCATEGORISED = "(none)"
ORDER_FLIP_LIMIT = 0.5  # above this share of questions whose two orders disagree, a pass rests on position bias
MIN_QUESTIONS = 2  # the fewest question scores a decision is made on (overall, or per category)
SHORT = 160  # characters of an answer or a judge's reasoning shown in the summary
WORST_SHOWN = 5


@dataclass(frozen=True)
class CheckOptions:
    """The settings of one check (the `check` command's flags; the run settings come from the config)."""

    candidate: str
    reference: str | None = None
    against: Path | None = None
    margin: float = 0.05
    confidence: float | None = None  # None: the settings' ([ratings] confidence), see `level`
    sequential: bool = False
    batch_size: int = 50
    max_questions: int | None = None
    fail_on: FailOn = "overall"
    undecided: Undecided | None = None
    allow_failed: bool = False

    @property
    def level(self) -> float:
        """The confidence level of the decision: `confidence`, else the settings' default (`run_check` sets it
        from the config's [ratings] confidence first, so a check decides at the level the file states)."""
        return RatingsSettings.model_fields["confidence"].default if self.confidence is None else self.confidence

    def with_settings(self, config: RunConfig) -> CheckOptions:
        """These options with the config's [ratings] confidence when no confidence was given (--confidence wins)."""
        return self if self.confidence is not None else replace(self, confidence=config.confidence)

    def validate(self) -> None:
        """Refuse a bad option (ConfigError), naming it as `check`'s flag on the command line and as the
        field of this class from Python (`option_name`)."""
        for name, kind in _OPTION_KINDS.items():
            value = getattr(self, name)
            if value is not None and not _is_kind(value, kind):
                raise ConfigError(f"{option_name(name)} is {value!r}; use {_KIND_WORDS[kind]}")
        if not 0 < self.margin < 0.5:
            raise ConfigError(f"{option_name('margin')} is {self.margin}; use a win-rate margin in (0, 0.5), e.g. 0.05")
        if self.confidence is not None and not 0.5 <= self.confidence < 1:
            raise ConfigError(f"{option_name('confidence')} is {self.confidence}; use a level in [0.5, 1), e.g. 0.95")
        if self.max_questions is not None and self.max_questions < 2:
            raise ConfigError(f"{option_name('max_questions')} must be at least 2")
        if self.batch_size < 2:
            raise ConfigError(f"{option_name('batch_size')} must be at least 2")
        if self.against is None and self.reference is None:
            raise ConfigError(f"say what to compare with: {set_option('reference', 'MODEL')} (head to head) or "
                              f"{set_option('against', 'RESULTS_DIR')}")
        if self.fail_on not in ("overall", "any-category"):
            raise ConfigError(f"{option_name('fail_on')} is '{self.fail_on}'; use overall or any-category")
        if self.undecided not in (None, "pass", "fail"):
            raise ConfigError(f"{option_name('undecided')} is '{self.undecided}'; use pass or fail (or leave it out: "
                              "exit 4)")
        if self.reference == self.candidate:
            raise ConfigError(f"{option_name('candidate')} and {option_name('reference')} are both "
                              f"'{self.candidate}': compare two models")


def refuse_batch_size_alone(options: CheckOptions, given: bool) -> None:
    """Refuse a batch size `given` (on the command line, or as `gate`'s keyword) to a check that is not
    sequential, which judges all its questions at once: ignoring it said nothing of the batches never judged."""
    if given and not options.sequential:
        raise ConfigError(f"{option_name('batch_size')} applies to a sequential check only: add "
                          f"{set_option('sequential')}, or leave it out")


_OPTION_KINDS: dict[str, type] = {"candidate": str, "reference": str, "margin": float, "confidence": float,
                                  "sequential": bool, "batch_size": int, "max_questions": int, "allow_failed": bool}
"""The type of each `CheckOptions` field that Python callers give as a value (`gate`'s keywords): a string
"0.05" ended in a TypeError, 2.5 questions per batch only after the data had loaded, "no" counted as true."""
_KIND_WORDS = {str: "a name", float: "a number", bool: "True or False", int: "a whole number"}


def _is_kind(value: object, kind: type) -> bool:
    """Whether `value` is of `kind`, a whole number counting as a number (numpy's too) but True/False as
    neither."""
    if isinstance(value, bool):
        return kind is bool
    abstract: dict[type, type] = {int: numbers.Integral, float: numbers.Real}
    return isinstance(value, abstract.get(kind, kind))


@dataclass(frozen=True)
class Scale:
    """What a question's score means: its range, the threshold the mean is tested against, and the words."""

    low: float
    high: float
    threshold: float
    quantity: str  # what the mean is, in words

    @classmethod
    def head_to_head(cls, margin: float) -> Scale:
        return cls(0.0, 1.0, 0.5 - margin, "the candidate's win rate against the reference")

    @classmethod
    def against_run(cls, margin: float) -> Scale:
        return cls(-1.0, 1.0, -margin,
                   "the candidate's win rate against the baseline minus the reference's")


UNUSED_SETTINGS = ("models", "pairs", "baseline", *PAIRING_SETTINGS, "out", "judge_family",
                   *(name for name in RatingsSettings.model_fields if name not in ("confidence", "seed", "baseline")))
"""Run settings a check does not use: it judges --candidate against --reference (the run's baseline with
--against) on every question, and decides from its own interval (at --confidence, else [ratings] confidence)."""


def unused_settings(config: RunConfig) -> str | None:
    """A note naming the settings given (in the file, or from Python) that a check does not use, and what it
    uses instead; None when there are none. A note, not an error: one config often serves `run` and `check`."""
    given = [setting_label((name,)) for name in UNUSED_SETTINGS if name in config.model_fields_set]
    if not given:
        return None
    return (f"check does not use {', '.join(given)}: it judges --candidate against --reference (with --against, "
            "the run's baseline) on every question, and decides from its own interval (at --confidence, else at "
            "[ratings] confidence)")


# ---------------------------------------------------------------------------------------------------
# Pure: which questions, in which order


def stratified_sample(questions: pd.DataFrame, n: int | None, seed: int) -> list[str]:
    """Question ids to judge, in a seeded random order: all of them, or `n` drawn per category in proportion
    to its size (largest remainders; every category keeps at least one question when n allows).

    `questions`: columns question_id, category. The order is random so that the scores arrive as iid draws
    (a sequential check judges its prefixes in batches).
    """
    rng = np.random.default_rng(seed)
    ids = questions["question_id"].to_numpy()
    if n is None or n >= len(ids):
        return [str(q) for q in ids[rng.permutation(len(ids))]]
    groups = questions.groupby("category", sort=True)["question_id"].apply(list)
    sizes = groups.map(len).to_numpy(dtype=float)
    quota = sizes * n / sizes.sum()
    take = np.minimum(np.floor(quota).astype(int), sizes.astype(int))
    if n >= len(groups):
        take = np.maximum(take, 1)
    for index in np.argsort(-(quota - np.floor(quota)), kind="stable"):
        if take.sum() >= n:
            break
        take[index] += take[index] < sizes[index]
    while take.sum() > n:
        take[np.argmax(take)] -= 1
    chosen = [q for members, k in zip(groups, take, strict=True) for q in rng.choice(members, size=k, replace=False)]
    return [str(q) for q in rng.permutation(np.array(chosen, dtype=object))]


# ---------------------------------------------------------------------------------------------------
# Pure: the decision


@dataclass
class Judged:
    """A decision about one set of questions (all of them, or one category)."""

    name: str
    decision: str
    test: Test
    p_regression: float  # Holm-adjusted within categories; as is for the overall check
    p_pass: float
    questions_needed: int | None  # in all, counting those judged; when undecided

    @property
    def more_questions_needed(self) -> int | None:
        """`questions_needed` less those judged: the further questions that would likely decide it."""
        return None if self.questions_needed is None else self.questions_needed - self.test.n

    def figures(self) -> dict[str, Any]:
        """The JSON figures; `questions_needed` counts the questions judged, `more_questions_needed` does not."""
        return {"name": self.name, "decision": self.decision, "n_questions": self.test.n,
                "mean": float(self.test.mean), "lower": float(self.test.lower), "upper": float(self.test.upper),
                "p_pass": self.p_pass, "p_regression": self.p_regression, "questions_needed": self.questions_needed,
                "more_questions_needed": self.more_questions_needed}


def interval_for(scores: np.ndarray, scale: Scale, confidence: float, sequential: bool) -> Test:
    """The interval and p-values of one set of question scores (in judging order when sequential)."""
    if sequential:
        return confidence_sequence(scores, scale.threshold, confidence, scale.low, scale.high)
    return t_test(scores, scale.threshold, confidence, scale.low, scale.high)


def questions_needed(scores: np.ndarray, scale: Scale, options: CheckOptions, every: int) -> int | None:
    """About how many questions in all (at 80% power) would decide an undecided set of scores: for a fixed
    sample, from the measured mean and spread; for a sequential check, these questions and the further ones
    after which continued sequences decide (looking every `every` questions). Always more than `scores` holds;
    None when no number of questions up to HORIZON more would likely decide it."""
    args = (scores, scale.threshold, options.level, scale.low, scale.high)
    if not options.sequential:
        return questions_to_decide(*args)
    more = more_questions_to_decide(*args, every=every)
    return None if more is None else len(scores) + more


def judge_set(name: str, scores: np.ndarray, scale: Scale, options: CheckOptions, every: int) -> Judged:
    """The three-way decision on one set of question scores; when undecided, about how many questions in all
    would decide it (`questions_needed`)."""
    test = interval_for(scores, scale, options.level, options.sequential)
    decision = str(decide(test.p_above, test.p_below, options.level))
    needed = questions_needed(scores, scale, options, every) if decision == "undecided" else None
    return Judged(name, decision, test, float(test.p_below), float(test.p_above), needed)


def category_scores(frame: pd.DataFrame) -> tuple[list[tuple[str, np.ndarray]], dict[str, int]]:
    """The scores of each category that can be decided (at least MIN_QUESTIONS questions), and the question
    counts of those too small to decide. None of either when all questions share one category (its decision
    would be the overall one)."""
    groups = [(str(name), group["score"].to_numpy()) for name, group in frame.groupby("category", sort=True)]
    if len(groups) < 2:
        return [], {}
    return ([(name, scores) for name, scores in groups if len(scores) >= MIN_QUESTIONS],
            {name: len(scores) for name, scores in groups if len(scores) < MIN_QUESTIONS})


def judge_categories(frame: pd.DataFrame, scale: Scale, options: CheckOptions) -> list[Judged]:
    """The decision per category (`category_scores`: those large enough), with Holm's correction across them.

    Each side (pass, regression) is a family of one test per category, tested at (1 - confidence) / 2 on
    Holm-adjusted p-values, so the chance of naming any category falsely is at most that, whatever the
    dependence between categories. Intervals are shown unadjusted.
    """
    groups, _ = category_scores(frame)
    if not groups:
        return []
    # a category gets about its share of each batch, so a sequential check looks at it that often
    looks = [max(1, round(options.batch_size * len(scores) / len(frame))) for _, scores in groups]
    judged = [judge_set(name, scores, scale, options, every) for (name, scores), every in zip(groups, looks,
                                                                                               strict=True)]
    p_regression = holm(np.array([j.p_regression for j in judged]))
    p_pass = holm(np.array([j.p_pass for j in judged]))
    for item, (_, scores), every, p_r, p_p in zip(judged, groups, looks, p_regression, p_pass, strict=True):
        item.p_regression, item.p_pass = float(p_r), float(p_p)
        item.decision = str(decide(p_p, p_r, options.level))
        if item.decision != "undecided":
            item.questions_needed = None
        elif item.questions_needed is None:  # decided alone, not after Holm's correction: at its strictest level
            strictest = replace(options, confidence=1 - (1 - options.level) / len(groups))
            item.questions_needed = questions_needed(scores, scale, strictest, every)
    return judged


def count_flips(frame: pd.DataFrame) -> dict[str, int]:
    """Questions that changed sides. A question's side is won (score above 0.5), tied (0.5) or lost (below 0.5),
    so with a five-level template 1 and 0.75 are both won: a change is a move to another side, not a step within
    one. Against a run, each question's score against the baseline, the reference's then the candidate's:
    `worse` counts those the candidate moved down a side (won to tied, tied to lost, won to lost), `better` up
    one, and `win_to_loss` and `loss_to_win` the strong flips among them (won to lost, lost to won), so a
    candidate that turned wins into ties shows as worse without a strong flip. Head to head (each question's
    score against the reference) `worse` and `win_to_loss` both count the candidate's losses, `better` and
    `loss_to_win` its wins."""
    if "reference_score" not in frame:
        lost, won = int((frame["score"] < 0.5).sum()), int((frame["score"] > 0.5).sum())
        return {"win_to_loss": lost, "loss_to_win": won, "worse": lost, "better": won}
    ref, cand = np.sign(frame["reference_score"] - 0.5), np.sign(frame["candidate_score"] - 0.5)
    return {"win_to_loss": int(((ref > 0) & (cand < 0)).sum()), "loss_to_win": int(((ref < 0) & (cand > 0)).sum()),
            "worse": int((cand < ref).sum()), "better": int((cand > ref).sum())}


# ---------------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class Coverage:
    """The questions a check could use: of the `total` it compares on (the question set; with --against, the
    questions that run judged), `available` have answers from both sides; `skipped` counts, per model, those it
    has no answer for (left out under allow_missing, never judged)."""

    total: int
    available: int
    skipped: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, questions: list[str], usable: list[str], dataset: Dataset, models: list[str]) -> Coverage:
        """The coverage of `questions`, of which `usable` have answers from all `models`."""
        missing = {model: sum((q, model) not in dataset.answers for q in questions) for model in models}
        return cls(len(questions), len(usable), {model: n for model, n in missing.items() if n})

    def note(self) -> str | None:
        """The questions skipped and why, in words (None when none were)."""
        if not self.skipped:
            return None
        who = ", ".join(f"{model} to {counted(n, 'question')}" for model, n in sorted(self.skipped.items()))
        return (f"{self.total - self.available:,} of {self.total:,} questions skipped: no answer from {who} "
                f"({how_to_set('allow_missing')})")


@dataclass(frozen=True)
class Unscored:
    """The questions judged that got no score (a game of theirs without a verdict, or failed under allow_failed),
    of the `judged`; `unparsed`: the games the judge answered without a verdict, `example` the text of one;
    `failed`: the games whose request failed, `refused` those of them the judge refused as sent (asking again fails
    them again: `records.refused_games`); `at_token_limit`: those of the unparsed whose output the judge's
    token limit (`token_limit`) ended before a verdict (`verdicts.at_token_limit`)."""

    questions: int = 0
    judged: int = 0
    unparsed: int = 0
    failed: int = 0
    example: str | None = None
    refused: int = 0
    at_token_limit: int = 0
    token_limit: int | None = None

    @classmethod
    def of(cls, judgments: pd.DataFrame, frame: pd.DataFrame, token_limit: int | None = None) -> Unscored:
        """What the last batch's `judgments` (every game judged) left without a score in `frame`; `token_limit`:
        the judge's."""
        from judgebench.verdicts import without_verdict

        judged = questions_judged(judgments)
        unparsed = judgments[judgments["status"] == UNPARSED]
        at_limit, example = without_verdict(unparsed)
        failed = int((judgments["status"] == FAILED).sum())
        return cls(judged - len(frame), judged, len(unparsed), failed, example, refused_games(judgments), at_limit,
                   token_limit)

    def note(self) -> str | None:
        """The questions left without a score, and why, in words, each cause counted apart (None when none were):
        it said "(0 games without one) or failed" where every game without a verdict had failed."""
        if not self.questions:
            return None
        refused = ("" if not self.refused else ", refused by the judge as sent" if self.refused == self.failed else
                   f" ({self.refused:,} refused by the judge as sent)")
        causes = [f"{counted(n, 'game')} {what}" for n, what in ((self.unparsed, "got no verdict from the judge"),
                                                                   (self.failed, f"failed{refused}")) if n]
        return (f"{self.questions:,} of {self.judged:,} questions judged have no score, each for a game without a "
                f"verdict: {' and '.join(causes)}; {self._again()}")

    def _again(self) -> str:
        """What the next check does with the games without a verdict: it asks for them again, but sends the
        requests the judge refused as sent (`refused`) unchanged, which the judge refuses again (it said "the next
        check asks for them again" of those too, just after saying a rerun fails them again)."""
        if not self.refused:
            return "the next check asks for them again"
        sends = ("sends their requests unchanged" if self.refused == self.unparsed + self.failed else
                 "asks again for the others, but sends the refused requests unchanged")
        return f"the next check {sends}, and the judge refuses them again. {refused_remedy()}"

    def no_verdict(self) -> str:
        """Why there is no decision when the judge gave no verdict in (almost) every game, and what to change
        (`present.no_verdict_remedy`: the judge's token limit, named as the check's user sets it, where it ended the
        judge's output, else the judge or the template, named by check's --template, the judging template)."""
        others = self.unparsed - self.at_token_limit
        remedy = no_verdict_remedy(self.at_token_limit, self.token_limit, others)
        if self.at_token_limit and not others:  # what the judge wrote, cut at the limit, says nothing more
            return f"no decision: the judge gave no verdict in {counted(self.unparsed, 'game')}: {remedy}"
        said = judge_output(" ".join((self.example or "").split()))
        return (f"no decision: the judge gave no verdict in {counted(self.unparsed, 'game')} (its output has none "
                f"of the template's verdict markers; for example it wrote {said!r}): {remedy}")


def questions_judged(judgments: pd.DataFrame) -> int:
    """The questions of which the last batch's `judgments` hold a game: judged now or found in the store."""
    return int(judgments["question_id"].nunique())


@dataclass
class CheckReport:
    """Everything a check decided and measured. `decision` is the check's one decision, which every output
    shows and `exit_code` follows (DESIGN.md: 0, 1, 3, 4; 130 or 143 when a signal stopped it, `stopped_by`:
    then it decided nothing, and `overall` is None); `reason` says why it differs from the overall result
    when the options (--fail-on, --undecided) made it so. Both are set by `finish`."""

    options: CheckOptions
    scale: Scale
    reference: str
    baseline: str | None
    overall: Judged | None
    categories: list[Judged]
    flips: dict[str, int]
    worst: list[dict[str, Any]]
    accounting: dict[str, Any]
    n_failed: int
    exit_code: int = EXIT_OK
    decision: str = "failed"  # pass, regression, undecided, stopped, or failed (games failed: no decision)
    reason: str = ""
    small_categories: dict[str, int] = field(default_factory=dict)  # too few questions to decide: their counts
    coverage: Coverage | None = None  # None: not known (a report made from scores alone)
    stopped_by: signal.Signals | None = None  # SIGINT (Ctrl-C) or SIGTERM: stopped before a decision
    stopped_deciding: bool = False  # the signal came once judging had ended, while the check decided
    failures: list[str] = field(default_factory=list)  # why games failed (`failure_reasons`)
    retry: str = RETRY  # how to go on after them (`present.retry_advice`)
    orders: tuple[int, int] = (0, 0)  # questions whose two orders disagree, of those judged in both orders
    batches: int | None = None  # sequential: the batches judged (of `coverage.available` questions at most)
    unscored: Unscored = field(default_factory=Unscored)
    ties: tuple[int, int] = (0, 0)  # the candidate's games the judge called a tie, of those it judged
    tie_floor: float | None = None  # the mean had the candidate lost every question not tied in all its games
    notes: list[str] = field(default_factory=list)  # on the inputs and on what was reused from the store, as a
    # run's notes (`RunResult.notes`): said on the terminal

    @property
    def rests_on_ties(self) -> bool:
        """Whether a pass rests on the judge's ties: had the candidate lost every question the judge did not tie
        (`tie_floor`), its mean would still reach the threshold, so no answer the judge told apart carries the
        pass. Head to head at margin m that is ties on a share 1 - 2m of the questions (90% at 5%): a judge that
        calls every game a tie passes any candidate. Not a regression's concern: ties pull the scores away
        from one."""
        return self.overall is not None and self.overall.decision == "pass" and self.ties_reach_threshold

    @property
    def ties_reach_threshold(self) -> bool:
        """Whether the judge's ties alone reach the threshold (`tie_floor`): a pass would rest on them, so an
        undecided result says so beside its advice to judge more questions (with a judge that ties every game,
        more questions lead to a pass on ties alone)."""
        return self.tie_floor is not None and self.tie_floor >= self.scale.threshold

    def ties_note(self) -> str:
        """How many games the judge called a tie, in words."""
        tied, games = self.ties
        return f"the judge called {tied:,} of {games:,} games a tie ({tied / max(games, 1):.0%})"

    @property
    def position_bound(self) -> bool:
        """Whether the judge's verdict flipped with the order of the answers on more than ORDER_FLIP_LIMIT of the
        questions judged in both orders: each of those counts as a tie (0.5), whatever the answers, so a pass on
        them would rest on the judge's position bias (a judge that always prefers the first answer passes any
        candidate). Not a regression's concern: flips pull the scores toward a tie, away from one."""
        flipped, both = self.orders
        return both > 0 and flipped / both > ORDER_FLIP_LIMIT

    def orders_note(self) -> str | None:
        """How often the judge's verdict flipped with the order of the answers (None when it never did)."""
        flipped, both = self.orders
        if not flipped:
            return None
        return (f"the judge's verdict flipped with the order of the answers on {flipped:,} of {both:,} questions "
                f"({flipped / both:.0%}); each counts as a tie")

    @property
    def regressed_categories(self) -> list[str]:
        """The categories decided a regression, whether or not they fail the check."""
        return [c.name for c in self.categories if c.decision == "regression"]

    @property
    def failing_categories(self) -> list[str]:
        """The categories whose regression fails the check (only with --fail-on any-category)."""
        return [c.name for c in self.categories if self.fails(c)]

    def fails(self, item: Judged) -> bool:
        """Whether this result fails the check: the overall one when a regression (or undecided, with
        --undecided fail); a category's when a regression and --fail-on any-category. The one rule behind the
        decision, the exit code, the JUnit failures and the GitHub errors."""
        if item is self.overall:
            return item.decision == "regression" or (item.decision == "undecided" and self.options.undecided == "fail")
        return item.decision == "regression" and self.options.fail_on == "any-category"

    def rule(self) -> str:
        """The overall result and the rule it follows, in words."""
        if self.stopped_by is not None:
            return stopped_rule(self.stopped_by)
        if self.overall is None and not self.n_failed and self.unscored.unparsed:
            return self.unscored.no_verdict()
        if self.overall is None:
            why = f" ({'; '.join(self.failures)})" if self.failures else ""
            return (f"no decision: {counted(self.n_failed, 'game')} failed{why}; {self.retry} "
                    f"(or {set_option('allow_failed')} to decide on the complete questions)")
        o, level, t = self.overall, f"{self.options.level:.0%}", self.scale.threshold
        figures = (f"measured {_pct(o.test.mean)} [{_pct(o.test.lower)}, {_pct(o.test.upper)}], "
                   f"{o.test.n} questions")
        if o.decision == "pass":
            return f"pass: with {level} confidence {self.scale.quantity} is at least {_pct(t)}; {figures}"
        if o.decision == "regression":
            return f"regression: with {level} confidence {self.scale.quantity} is below {_pct(t)}; {figures}"
        more_needed = o.more_questions_needed
        if more_needed is not None:
            needed = o.test.n + more_needed
            more = (f"about {counted(more_needed, 'more question')} ({needed:,} in all) would likely decide "
                    f"it{self._how_to_judge_more(needed)}")
        elif self.options.sequential or o.test.mean != t:  # past the horizon (a fixed check's too)
            more = f"not even {HORIZON:,} more questions would likely decide it"
        else:
            more = "no number of questions would likely decide it"
        if self.ties_reach_threshold:
            more += (f"; but {self.ties_note()}: a pass would rest on ties, not on answers the judge told apart "
                     "(judgebench diagnose measures its ties)")
        return (f"undecided: the {level} interval of {self.scale.quantity} contains {_pct(t)} (the reference's level "
                f"minus the margin {self.options.margin:.1%}); {figures}; {more}")

    def _how_to_judge_more(self, needed: int) -> str:
        """How the further questions an undecided result needs can be judged validly: a sequential check goes on
        with its sequence (a larger --max-questions judges the same questions first, then more); a fixed one
        judged again on more questions, or with another margin, after its result was seen is no longer a test at
        its confidence (Johari et al. 2017: looking and continuing until it decides passes a worse candidate far
        more often), so the advice is a sequential check."""
        available = self.coverage.available if self.coverage is not None else None
        short = f", and the question set has {available:,}" if available is not None and needed > available else ""
        if not self.options.sequential:
            return (f"{short}; a check that may need more questions is a sequential one "
                    f"({option_name('sequential')}): running this fixed one again on more questions, or with another "
                    f"margin, after seeing its result is no longer a test at {self.options.level:.0%} confidence")
        limit = self.options.max_questions
        if limit is not None and (available is None or limit < available):
            return (f"{short}; raise {option_name('max_questions')} (the check judges the same questions first "
                    "and goes on with the same sequence)")
        return short

    def overall_reason(self) -> str:
        """`reason` when it is about the overall result (an undecided one counted by --undecided, a pass made
        undecided by the judge's position bias, or one resting on its ties), not about a category that fails
        the check."""
        return "" if self.failing_categories else self.reason

    def decided(self) -> str:
        """The decision, with the reason when the options made it differ from the overall result."""
        return f"{self.decision}: {self.reason}" if self.reason else self.decision

    def overall_rule(self) -> str:
        """The overall rule (`rule`), introduced as the overall result when the decision is another one."""
        return f"Overall, {self.rule()}" if self.reason else self.rule()

    def headline(self) -> str:
        """The decision and why, in one line: the overall rule, after the decision and its reason when they
        differ."""
        return f"{self.decided()}. {self.overall_rule()}" if self.reason else self.rule()

    def to_json(self) -> dict[str, Any]:
        coverage = self.coverage
        return {
            "decision": self.decision, "reason": self.reason or None, "exit_code": self.exit_code,
            "rule": self.rule(), "candidate": self.options.candidate, "reference": self.reference,
            "baseline": self.baseline, "margin": self.options.margin, "confidence": self.options.level,
            "fail_on": self.options.fail_on, "undecided": self.options.undecided,
            "threshold": self.scale.threshold, "score_range": [self.scale.low, self.scale.high],
            "method": ("confidence sequence (betting)" if self.options.sequential
                       else "t interval (skewness-corrected, Hall 1992) with Hoeffding's bound (1963)"),
            "overall": self.overall.figures() if self.overall else None,
            "categories": [c.figures() for c in self.categories], "multiplicity": "holm",
            "categories_too_small": self.small_categories, "regressed_categories": self.regressed_categories,
            "failing_categories": self.failing_categories,
            "questions_total": coverage.total if coverage else None,
            "questions_available": coverage.available if coverage else None,
            "skipped_questions": coverage.skipped if coverage else {},
            "flips": self.flips, "worst": self.worst, "games_failed": self.n_failed,
            "games_unparsed": self.unscored.unparsed, "questions_unscored": self.unscored.questions,
            "questions_orders_disagree": self.orders[0], "questions_both_orders": self.orders[1],
            "games_tied": self.ties[0], "games_judged": self.ties[1], "pass_rests_on_ties": self.rests_on_ties,
            "batches": self.batches, "questions_judged": self.unscored.judged, "notes": list(self.notes),
            **self.accounting,
        }


def stopped_rule(signum: signal.Signals) -> str:
    """What a check stopped by a signal says in every output."""
    return (f"stopped: interrupted by {signum.name}, no decision (what was judged is stored; run the same command "
            "again to go on)")


def _pct(value: Any) -> str:
    return f"{100 * float(value):.1f}%"


def gate_decision(report: CheckReport) -> tuple[str, str]:
    """The check's decision and, when the options made it differ from the overall result, why: a regression
    when a result fails the check (`CheckReport.fails`), else the overall result, an undecided one counted as
    a pass under --undecided pass."""
    if report.stopped_by is not None:
        return "stopped", ""
    if report.overall is None:
        return "failed", ""
    overall = report.overall.decision
    failing = report.failing_categories
    if failing and overall != "regression":
        return "regression", (f"{categories_named(failing)} regressed, which fails the check "
                              f"({set_option('fail_on', 'any-category')})")
    if overall == "pass" and report.position_bound:
        return "undecided", (f"{report.orders_note()}, so the pass rests on the judge's position bias, not on the "
                             "answers: use a judge that reads them (judgebench diagnose measures one)")
    if overall == "pass" and report.rests_on_ties:
        return "pass", (f"{report.ties_note()}, so the pass rests on ties: had the candidate lost every question "
                        f"the judge did not tie, it would measure {_pct(report.tie_floor)} and still pass; a judge "
                        "that calls (nearly) every game a tie cannot find a regression (judgebench diagnose "
                        "measures its ties)")
    return counted_undecided(report) or (overall, "")


def categories_named(names: list[str]) -> str:
    """Categories in words: "category math", "categories math, code"."""
    return f"categor{'y' if len(names) == 1 else 'ies'} {', '.join(names)}"


def counted_undecided(report: CheckReport) -> tuple[str, str] | None:
    """The decision --undecided makes of an undecided overall result (pass, or regression), and why in words;
    None when the overall result is not undecided or --undecided is not given."""
    if report.overall is None or report.overall.decision != "undecided" or report.options.undecided is None:
        return None
    decision = "regression" if report.fails(report.overall) else "pass"
    return decision, f"undecided, counted as a {decision} ({set_option('undecided', report.options.undecided)})"


EXIT_CODES = {"pass": EXIT_OK, "regression": EXIT_REGRESSION, "undecided": EXIT_UNDECIDED,
              "failed": EXIT_FAILED_GAMES}


def finish(report: CheckReport) -> CheckReport:
    """Set the decision and the exit code that follows it (`gate_decision`)."""
    report.decision, report.reason = gate_decision(report)
    report.exit_code = (stopped_exit_code(report.stopped_by) if report.stopped_by is not None
                        else EXIT_CODES[report.decision])
    return report


def summarise(frame: pd.DataFrame, games: pd.DataFrame, dataset: Dataset, options: CheckOptions, scale: Scale,
              reference: str, baseline: str | None, accounting: dict[str, Any], n_failed: int,
              coverage: Coverage | None = None, unscored: Unscored | None = None) -> CheckReport:
    """The report of a check from its per-question frame (columns question_id, category, score, and
    both_orders and orders_disagree when known; against a run, candidate_score and reference_score), in judging order;
    `coverage`: the questions the check could use (more judging could use those available) and those skipped;
    `unscored`: the questions judged that got no score. A judge that gave no verdict leaves no decision."""
    unscored = unscored or Unscored()
    decided = n_failed == 0 or options.allow_failed
    overall = categories = None
    if decided and len(frame) >= MIN_QUESTIONS:
        overall = judge_set("overall", frame["score"].to_numpy(), scale, options, options.batch_size)
        categories = judge_categories(frame, scale, options)
    elif decided and not unscored.unparsed:
        raise InputError(f"only {len(frame)} question(s) could be scored; a check needs at least two")
    orders, ties = ([int(frame[column].sum()) if column in frame else 0 for column in columns]
                    for columns in (("orders_disagree", "both_orders"), ("games_tied", "games")))
    report = CheckReport(options, scale, reference, baseline, overall, categories or [], count_flips(frame),
                         worst_questions(frame, games, dataset, options.candidate, reference, baseline),
                         accounting, n_failed, small_categories=category_scores(frame)[1] if overall else {},
                         coverage=coverage, orders=(orders[0], orders[1]),
                         unscored=unscored, ties=(ties[0], ties[1]), tie_floor=tie_floor(frame, scale))
    return finish(report)


def tie_floor(frame: pd.DataFrame, scale: Scale) -> float | None:
    """The mean score had the candidate lost every question the judge did not tie in all its games, the tied
    ones as scored (`CheckReport.rests_on_ties`): a lost question scores the scale's low end head to head, and
    minus the reference's score in the earlier run with --against (the scale's low end, -1, only where the
    reference had won it); None when the ties are not known or no question was scored."""
    if "games_tied" not in frame or frame.empty:
        return None
    tied = (frame["games"] > 0) & (frame["games_tied"] == frame["games"])
    lost = -frame["reference_score"] if "reference_score" in frame else pd.Series(scale.low, index=frame.index)
    return float((frame.loc[tied, "score"].sum() + lost[~tied].sum()) / len(frame))


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _answer_text(dataset: Dataset, question_id: str, model: str) -> str:
    answer = dataset.answer(question_id, model)
    return _short(" ".join(answer.turns)) if answer is not None else ""


def worst_questions(frame: pd.DataFrame, games: pd.DataFrame, dataset: Dataset, candidate: str, reference: str,
                    baseline: str | None) -> list[dict[str, Any]]:
    """The questions the candidate lost most clearly: id, category, both answers and the judge's reasoning
    in each order, shortened. `games`: the candidate's judged games (question_id, first, second, raw)."""
    lost = frame[frame["score"] < (0 if baseline else 0.5)].nsmallest(WORST_SHOWN, "score")
    shown = []
    for row in lost.itertuples(index=False):
        opponent = baseline or reference
        reasons = games[games["question_id"] == row.question_id]
        shown.append({
            "question_id": row.question_id, "category": row.category, "score": float(row.score),
            "candidate_answer": _answer_text(dataset, str(row.question_id), candidate),
            "opponent": opponent, "opponent_answer": _answer_text(dataset, str(row.question_id), opponent),
            "reasoning": [f"{r.first} shown first: {_short(r.raw)}" for r in reasons.itertuples(index=False)],
        })
    return shown


# ---------------------------------------------------------------------------------------------------
# Provenance of a run (what judged, and on what)


@dataclass(frozen=True)
class EarlierRun:
    """A results directory written by `run`: its meta, baseline, models and ok games."""

    path: Path
    meta: dict[str, Any]
    baseline: str
    models: list[str]
    games: pd.DataFrame  # ok games: question_id, first, second, p_first, weight, raw


def read_earlier_run(path: Path) -> EarlierRun:
    """Read leaderboard.json and judgments.jsonl of a results directory; errors name the file."""
    from judgebench.report.inputs import load_run, results_writer

    board_path, judgments_path = Path(path) / "leaderboard.json", Path(path) / "judgments.jsonl"
    for needed in (board_path, judgments_path):
        if not needed.is_file():
            raise InputError(f"not found; {option_name('against')} needs a results directory written by "
                             f"{results_writer()} (leaderboard.json and judgments.jsonl)", path=needed)

    earlier = load_run(results=path)  # judgments.jsonl with file:line errors, and leaderboard.json's meta
    meta, judgments = dict(earlier.meta), earlier.judgments
    baseline = meta.get("baseline")
    if not baseline:
        raise InputError(f"meta has no baseline: {option_name('against')} needs a run with a baseline, made with "
                         'pairs = "baseline" or "all"', path=board_path)
    recorded = {k: sorted(judgments[k].dropna().unique()) for k in ("judge", "template") if k in judgments}
    for key, values in recorded.items():
        if meta.get(key) is None and len(values) == 1:
            meta[key] = values[0]
    ok = judgments[judgments["status"] == OK].copy()
    models = sorted(set(ok["first"]) | set(ok["second"]))
    return EarlierRun(Path(path), meta, baseline, models, ok)


_FINGERPRINT_NAMES = {"template_sha256": "the template's text (SHA-256)",
                      "questions_sha256": "the questions' ids or wording (SHA-256)",
                      "baseline_answers_sha256": "the baseline's answers (SHA-256)",
                      "sampling": "the judge's sampling"}


def compare_provenance(run: EarlierRun, current: Mapping[str, Any]) -> None:
    """Raise a ConfigError naming every setting in which the earlier run and this check differ (a setting the run
    did not record, written by an older judgebench, is not compared); `baseline_answers_sha256` is the run's
    baseline's entry of its `answers_sha256`."""
    def shown(value: Any) -> str:
        return ", ".join(f"{k} = {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)

    hashes = run.meta.get("answers_sha256")
    recorded = {**run.meta, "baseline_answers_sha256": hashes.get(run.baseline) if isinstance(hashes, dict) else None}
    differences = [f"{_FINGERPRINT_NAMES.get(key, key)}: the run has '{shown(recorded[key])}', this check "
                   f"'{shown(value)}'"
                   for key, value in current.items() if recorded.get(key) is not None and recorded[key] != value]
    if differences:
        raise ConfigError(f"{set_option('against', str(run.path))} was judged differently, so the scores are not "
                          "comparable: "
                          + "; ".join(differences) + ". Use the run's settings ("
                          + command_or_call("in the config file, or as judge, template and store flags", "in the "
                                            "settings") + "), or make a new reference run")


# ---------------------------------------------------------------------------------------------------
# I/O: the one place that judges


def judge_questions(config: RunConfig, dataset: Dataset, question_ids: list[str], models: list[str],
                    baseline: str, signals: StopSignals | None = None, *,
                    on_start: ProgressCallback | None = None,
                    on_progress: ProgressCallback | None = None,
                    on_event: EventHandler | None = None) -> RunResult:
    """Judge `models` against `baseline` on these questions (only what the store lacks is sent; nothing after a
    signal `signals` kept, `runner.run_async`, which gets the progress callbacks `on_start`, `on_progress` and
    `on_event`)."""
    from judgebench.runner import run_async, run_coroutine

    chosen = set(question_ids)
    subset = Dataset({q: dataset.questions[q] for q in question_ids},
                     {k: a for k, a in dataset.answers.items() if k[0] in chosen and k[1] in models},
                     [m for m in dataset.models if m in models])
    settings = config.with_changes(pairs="baseline", baseline=baseline, models=models, progress=False,
                                   **dict.fromkeys(PAIRING_SETTINGS))
    result = run_coroutine(run_async(settings, subset, stop_signals=signals, on_start=on_start,
                                     on_progress=on_progress, on_event=on_event))
    result.raise_callback_error()  # the caller's: this batch's run is recorded as a stopped one
    return result


def _categories(dataset: Dataset, ids: list[str]) -> pd.Series:
    return pd.Series([dataset.questions[q].category or UNCATEGORISED for q in ids], index=ids)


def _frame(order: list[str], dataset: Dataset, outcomes: pd.DataFrame, candidate: str,
           earlier: pd.DataFrame | None) -> pd.DataFrame:
    """Per-question scores in judging order (questions without a complete outcome are left out), and whether the
    judge played the candidate's game in both orders (`both_orders`) and their verdicts disagreed
    (`orders_disagree`: the verdict flipped with the order); `games` and `games_tied`: the candidate's games of
    each question, and those the judge called a tie."""
    rows = outcomes[outcomes["model_a"] == candidate].set_index("question_id")
    both, agree = agreeing_orders(rows["p_ab"], rows["p_ba"])
    verdicts = rows[["p_ab", "p_ba"]].astype(float)
    frame = pd.DataFrame({"question_id": order})
    frame["category"] = _categories(dataset, order).to_numpy()
    frame["candidate_score"] = rows["score_a"].reindex(order).to_numpy(dtype=float)
    for column, values in (("both_orders", both), ("orders_disagree", both & ~agree)):
        frame[column] = pd.Series(values, index=rows.index).reindex(order, fill_value=False).to_numpy()
    for column, counts in (("games", verdicts.notna().sum(axis=1)), ("games_tied", (verdicts == 0.5).sum(axis=1))):
        frame[column] = counts.reindex(order, fill_value=0).to_numpy()
    if earlier is None:
        frame["score"] = frame["candidate_score"]
    else:
        reference = earlier.set_index("question_id")["score_a"]
        frame["reference_score"] = reference.reindex(order).to_numpy(dtype=float)
        frame["score"] = frame["candidate_score"] - frame["reference_score"]
    return frame.dropna(subset=["score"]).reset_index(drop=True)


@dataclass(frozen=True)
class Comparison:
    """What a check compares: the candidate is judged against `opponent` (the reference head to head, the
    earlier run's baseline with --against) on `pool`; `earlier` holds the reference's outcomes from that run."""

    reference: str
    opponent: str
    scale: Scale
    pool: list[str]
    earlier: pd.DataFrame | None = None


def head_to_head(options: CheckOptions, dataset: Dataset) -> Comparison:
    reference = str(options.reference)
    return Comparison(reference, reference, Scale.head_to_head(options.margin), list(dataset.questions))


def against_run(options: CheckOptions, config: RunConfig, dataset: Dataset, earlier: EarlierRun) -> Comparison:
    """The comparison with an earlier run, refused (ConfigError) when it was judged differently or on other
    questions, or when the reference model is ambiguous."""
    from judgebench.verdicts import combine

    others = [m for m in earlier.models if m != earlier.baseline]
    if not others:
        raise ConfigError(f"the run {options.against} holds no model besides its baseline {earlier.baseline}: "
                          "nothing to compare with; use a run of the reference model against that baseline")
    if options.reference is None and len(others) > 1:
        raise ConfigError(f"the run {options.against} holds several models; choose the reference with "
                          f"{set_option('reference', 'NAME')} (one of: {', '.join(others)})")
    reference = options.reference or others[0]
    if reference not in others:
        raise ConfigError(f"{option_name('reference')} is '{reference}', which the run {options.against} did not "
                          "judge against "
                          f"its baseline {earlier.baseline}; choose one of: {', '.join(others)}")
    recorded_seed = earlier.meta.get("seed")  # None in leaderboards written before it was always recorded
    combined = combine(earlier.games, swap=config.swap,
                       seed=int(recorded_seed) if recorded_seed is not None else config.seed, baseline=earlier.baseline)
    outcomes = combined.outcomes  # the reference's games against the baseline (pairs = "all" judged more)
    outcomes = outcomes[(outcomes["model_a"] == reference) & (outcomes["model_b"] == earlier.baseline)]
    missing = sorted(set(outcomes["question_id"]) - set(dataset.questions))
    template = load_template(config.template)
    fingerprint = run_fingerprint(config, dataset, template)
    if missing or earlier.meta.get("questions_sha256") not in (None, fingerprint["questions_sha256"]):
        _refuse_another_cut(earlier, config, len(dataset.questions))
    if missing:
        raise ConfigError(f"the question set differs: {len(missing)} question(s) of the run {options.against} "
                          f"are not in {config.questions} (first: {', '.join(missing[:3])})")
    compare_provenance(earlier, {**fingerprint,
                                 "baseline_answers_sha256": answers_sha256(dataset, earlier.baseline),
                                 "sampling": config.sampling(template)})
    return Comparison(reference, earlier.baseline, Scale.against_run(options.margin),
                      sorted(set(outcomes["question_id"])), outcomes)


def _refuse_another_cut(run: EarlierRun, config: RunConfig, questions: int) -> None:
    """Where the check's question set differs from the run's, a ConfigError when the two cut the questions file
    at different first_n (`questions`: how many the check reads): the run judged a trial of the first N questions
    (`--first-n`, recorded in its meta), so a check of the same files was told only that the questions' hash
    differed, as if they had been edited. It says which first_n each took and what to set to check on the run's
    questions (check has no --first-n: it is the config's `[data] first_n`)."""
    run_first, first = run.meta.get("first_n"), config.first_n
    if run_first == first:
        return
    where = command_or_call("in the config file", "in the settings")
    if run_first is None:
        raise ConfigError(f"this check judges only the first {first} questions ({how_to_set('first_n', str(first))}"
                          f"), the run {run.path} its whole questions file (it records no first_n): leave out "
                          f"{setting_name('first_n')} {where} to check on the run's questions")
    judged = f"all {questions}" if first is None else f"the first {first}"
    raise ConfigError(f"the run {run.path} judged only the first {run_first} questions of its questions file "
                      f"(first_n = {run_first}), this check {judged}: set "
                      f"{how_to_set('first_n', str(run_first))} {where} to check on the run's questions")


@expands_paths("against")
def gate(settings: RunConfig, candidate: str, reference: str | None = None, *,
         on_start: ProgressCallback | None = None, on_progress: ProgressCallback | None = None,
         on_event: EventHandler | None = None, **options: Any) -> CheckReport:
    """Check `candidate` against `reference` (or an earlier run, `against=RESULTS_DIR`) and decide: what
    `judgebench check` does, from Python (`judgebench.gate`).

    Parameters
    ----------
    settings:
        The run settings (`judgebench.config.RunConfig`; `load_config` reads a TOML file): data, judge,
        template, swap policy, store.
    candidate, reference:
        The model under test and the model it is compared with (with `against`: a model of that run, needed when
        it holds several).
    on_start, on_progress, on_event:
        Progress callbacks, as `evaluate` takes them.
    options:
        The rest of `check`'s flags as `CheckOptions` fields: against, margin, confidence, sequential,
        batch_size, max_questions, fail_on, undecided, allow_failed.

    Returns the `CheckReport`: `exit_code`, `rule()` (the result in words), `to_json()` (what --json writes),
    `notes` (what `check` notes on stderr: on the inputs, and judgments reused from another server, as a run's),
    and `markdown_summary(report)`, `junit_xml(report)` for the other files. Raises like `run_check`; a bad
    option is a ConfigError naming the field (`margin is 0.6; ...`); Ctrl-C or SIGTERM once judging has begun
    raises `errors.Interrupted`, whose `result` is the report, stopped with no decision.
    """
    from judgebench.engines.vllm_local import refuse_in_starting_process

    refuse_in_starting_process("gate")  # a script's top level run again in vLLM's engine process
    # candidate and reference are gate's own parameters (Python binds them, by position or by name), so
    # they are not among the keyword options it names
    keywords = [f.name for f in fields(CheckOptions) if f.name not in ("candidate", "reference")]
    unknown = sorted(set(options) - set(keywords))
    settings_given = [name for name in unknown if name in RunConfig.model_fields]
    if settings_given:  # allow_missing=True: a setting of the run, as `check` reads it from the config file
        name = settings_given[0]
        raise ConfigError(f"{name} is a run setting, not an option of judgebench.gate: set {setting_label((name,))} "
                          f"in the settings, or pass settings.with_changes({name}={options[name]!r})")
    if unknown:
        raise ConfigError(f"unknown option {', '.join(unknown)} for judgebench.gate"
                          f"{suggest(unknown[0], keywords)}; the options are {', '.join(keywords)}")
    chosen = CheckOptions(candidate=candidate, reference=reference, **options)
    refuse_batch_size_alone(chosen, given="batch_size" in options)
    report = run_check(require_run_config(settings, "gate"), chosen, on_start=on_start, on_progress=on_progress,
                       on_event=on_event)
    if report.stopped_by is not None:
        raise Interrupted(report, report.stopped_by)
    return report


def run_check(config: RunConfig, options: CheckOptions, *, on_start: ProgressCallback | None = None,
              on_progress: ProgressCallback | None = None,
              on_event: EventHandler | None = None) -> CheckReport:
    """Judge what is needed, decide, and return the report (what `gate` and `judgebench check` call).

    `on_start`/`on_progress` are called with the runner's running `Tally` as each batch starts and after each
    game, `on_event` with the engine's reports (a rate-limit wait, a retry), as `evaluate` calls them: the CLI
    shows the progress, waits and retries as `run` does.

    Everything that can be refused (options, inputs, models, an earlier run judged differently) is refused
    before the first judge call. Ctrl-C or SIGTERM while the data loads raises `runner.Stopped` (a
    KeyboardInterrupt carrying the signal) at once; while judging or deciding it stops the check: no further
    batch is judged and nothing is decided, the report says it was stopped (`stopped_by`, exit 130 or 143) and
    counts only the judge calls made. Either way the CLI writes its files marked stopped, with no pass or failure
    in them: a CI job that is cancelled or times out then shows why there is no decision, and a file left by an
    earlier check in the same place (a reused workspace, a cache) is not read as this check's result.
    """
    with StopSignals() as signals:
        with signals.interruptible():  # a signal while the data loads stops the check at once (`runner.Stopped`)
            prepared = prepare_check(config, options)
        options, dataset, comparison = prepared.options, prepared.dataset, prepared.comparison
        template = load_template(config.template)
        notes = input_notes(config, template, dataset)
        say_notes(notes, on_event)
        baseline = None if options.against is None else comparison.opponent
        with engine_output_logged(config, None) as shown:  # a local judge's output: to engine.log beside the
            # store, the callbacks' to the terminal
            frame, results = judge_in_batches(config, dataset, options, comparison, prepared.order, signals,
                                              on_start=shown(on_start), on_progress=shown(on_progress),
                                              on_event=shown(on_event))
        last = results[-1]
        games = last.judgments[last.judgments["status"] == OK][["question_id", "first", "second", "raw"]]
        accounting = call_accounting(results, config.judge.priced)
        judged = signals.signum is None  # judging ended without a signal (the runner keeps those it receives)
        decided = None if not judged else summarise(
            frame, games, dataset, options, comparison.scale, comparison.reference, baseline, accounting,
            last.n_failed, prepared.coverage,
            Unscored.of(last.judgments, frame, token_limit(config.sampling(template))))
    if decided is None or signals.signum is not None:  # a signal during `summarise` discards its decision too
        decided = finish(CheckReport(options, comparison.scale, comparison.reference, baseline, overall=None,
                                     categories=[], flips={}, worst=[], accounting=accounting,
                                     n_failed=last.n_failed, coverage=prepared.coverage,
                                     stopped_by=signals.signum, stopped_deciding=judged,
                                     unscored=Unscored(judged=questions_judged(
                                         last.judgments))))  # how many were judged; none is scored
    decided.failures, decided.retry = failure_reasons(last.judgments), retry_advice(last.judgments)
    decided.batches = len(results) if options.sequential else None
    decided.notes = [*notes, *reuse_notes(results)]
    return decided


def reuse_notes(results: list[RunResult]) -> list[str]:
    """What a check's batches reused from the store that its user should know of, as `run` says it
    (`runner.Reuse.notes`): the last batch's reuse, since each batch reads the questions of those before it from
    the store, with the games judged before with another prompt that each batch counted among those it sent."""
    last = results[-1].reuse
    if last is None:
        return []
    return replace(last, other_versions=sum(r.reuse.other_versions for r in results if r.reuse)).notes(results=False)


@dataclass(frozen=True)
class Prepared:
    """What a check judges, once everything it can refuse has been refused (`prepare_check`)."""

    options: CheckOptions  # with the config's [ratings] confidence when none was given
    dataset: Dataset
    comparison: Comparison
    coverage: Coverage
    order: list[str]  # the questions to judge, in judging order


def prepare_check(config: RunConfig, options: CheckOptions) -> Prepared:
    """Everything a check refuses before its first judge call (options, inputs, models, an earlier run judged
    differently), and what it judges."""
    from judgebench.datasets import load_dataset

    options.validate()
    options = options.with_settings(config)
    questions, answers = require_data(config, "check")
    earlier = None if options.against is None else read_earlier_run(Path(options.against))
    opponent = str(options.reference) if earlier is None else earlier.baseline
    if opponent == options.candidate:
        raise ConfigError(f"the candidate '{opponent}' is the baseline of the run {options.against}, so each of "
                          "its games there would be against itself: check another candidate, or make the "
                          "reference run with another baseline (the model the candidate is to replace, say)")
    # only the two models judged: another model's missing answers neither stop the check nor count as skipped
    dataset = load_dataset(questions, answers, format=config.format, models=[options.candidate, opponent],
                           allow_missing=config.allow_missing, references=config.references, first_n=config.first_n)
    check_reference_answers(load_template(config.template), dataset, config.references, config.first_n)
    comparison = (head_to_head(options, dataset) if earlier is None
                  else against_run(options, config, dataset, earlier))
    pool = [q for q in comparison.pool
            if (q, options.candidate) in dataset.answers and (q, comparison.opponent) in dataset.answers]
    coverage = Coverage.of(comparison.pool, pool, dataset, [options.candidate, comparison.opponent])
    questions = pd.DataFrame({"question_id": pool, "category": _categories(dataset, pool).to_numpy()})
    # a sequential check's --max-questions N is the first N of its seeded order: a larger N goes on with the same
    # sequence (a stratified sample of another size would be another sequence)
    order = (stratified_sample(questions, None, config.seed)[:options.max_questions] if options.sequential
             else stratified_sample(questions, options.max_questions, config.seed))
    if len(order) < 2:
        raise InputError(f"{len(order)} question(s) have answers from both {options.candidate} and "
                         f"{comparison.opponent}; a check needs at least two", path=config.questions)
    return Prepared(options, dataset, comparison, coverage, order)


def judge_in_batches(config: RunConfig, dataset: Dataset, options: CheckOptions, comparison: Comparison,
                     order: list[str], signals: StopSignals | None = None, *,
                     on_start: ProgressCallback | None = None,
                     on_progress: ProgressCallback | None = None,
                     on_event: EventHandler | None = None) -> tuple[pd.DataFrame, list[RunResult]]:
    """Judge the questions in `order`: all at once, or (sequential) growing prefixes of `batch_size` more
    questions until the confidence sequence decides; stops early when games failed (unless allowed), and
    after a signal `signals` (`runner.StopSignals`) kept. `on_start`, `on_progress`, `on_event`: the runner's
    progress callbacks (`run_async`'s). Returns the per-question scores of what was judged, and
    each batch's run result."""
    models = [options.candidate, comparison.opponent]
    stops = range(options.batch_size, len(order) + options.batch_size, options.batch_size) \
        if options.sequential else [len(order)]
    results: list[RunResult] = []
    for stop in stops:
        judged_ids = order[:stop]
        results.append(judge_questions(config, dataset, judged_ids, models, comparison.opponent, signals,
                                       on_start=on_start, on_progress=on_progress, on_event=on_event))
        frame = _frame(judged_ids, dataset, results[-1].combined.outcomes, options.candidate, comparison.earlier)
        if results[-1].interrupted or (results[-1].n_failed and not options.allow_failed):
            break
        if options.sequential and len(frame) >= MIN_QUESTIONS and sequence_decided(frame, comparison.scale, options):
            break
    return frame, results


def sequence_decided(frame: pd.DataFrame, scale: Scale, options: CheckOptions) -> bool:
    """Whether a sequential check may stop judging: its overall result is decided and, under --fail-on
    any-category, so is every category that can fail it (a category's regression fails the check at once).
    Stopping on the overall result alone passed a candidate that lost every question of one category, still
    undecided when the overall result passed. The confidence sequences are valid at any stop, so judging on
    until the categories decide costs judge calls, not validity."""
    test = interval_for(frame["score"].to_numpy(), scale, options.level, True)
    overall = str(decide(test.p_above, test.p_below, options.level))
    if options.fail_on != "any-category" or overall == "regression":
        return overall != "undecided"
    decisions = [c.decision for c in judge_categories(frame, scale, options)]
    return "regression" in decisions or (overall != "undecided" and "undecided" not in decisions)


# ---------------------------------------------------------------------------------------------------
# CI outputs


def not_gating() -> str:
    """Why a category's regression does not fail the check, in words."""
    return f"not failing the check: it fails on the overall result ({set_option('fail_on', 'overall')})"


def small_category(name: str, n: int) -> str:
    """A category too small to decide, in words."""
    return f"category {name}: not decided, {counted(n, 'question')} (a category needs at least {MIN_QUESTIONS})"


def undecided_categories(report: CheckReport, shown: Callable[[str], str] = str) -> list[str]:
    """Under --fail-on any-category, the categories judged but undecided, in words (each name as `shown` gives
    it): none of them can fail the check, although one may be a regression that its few questions cannot show (a
    candidate that lost all 6 questions of a category passed without a word)."""
    if report.options.fail_on != "any-category":
        return []
    return [f"category {shown(item.name)}: undecided, measured {_pct(item.test.mean)} [{_pct(item.test.lower)}, "
            f"{_pct(item.test.upper)}] on {counted(item.test.n, 'question')}, so it cannot fail the check; more of "
            "its questions would decide it" for item in report.categories if item.decision == "undecided"]


def markdown_summary(report: CheckReport) -> str:
    """The summary for a pull request or $GITHUB_STEP_SUMMARY: the check's decision (and why, when the options
    made it differ from the overall result) as its heading, then the overall rule, the questions skipped, the
    categories (those whose regression does not fail the check as a warning), flips, worst questions, cost, and
    the notes `check` says on stderr (its inputs; judgments reused from another server), which a job's summary
    page shows and its log may bury."""
    data = report.to_json()
    icon = {"pass": "✅", "regression": "❌", "undecided": "⚠️", "stopped": "⏹️"}.get(report.decision, "❌")
    opponent = markdown_text(report.reference) + (f" (against the run's baseline {markdown_text(report.baseline)})"
                                                  if report.baseline else "")
    lines = [f"## judgebench check: {icon} {report.decided()}", "",
             f"Candidate **{markdown_text(report.options.candidate)}** vs reference **{opponent}**, margin "
             f"{report.options.margin:.1%}, {data['method']}.", "", report.overall_rule(), ""]
    skipped = report.coverage.note() if report.coverage else None
    if skipped:
        lines += [f"⚠️ {skipped}.", ""]
    if report.batches is not None:
        lines += [f"Sequential: {sequence_progress(report)}.", ""]
    orders = report.orders_note()
    if orders:
        lines += [f"{'⚠️ ' if report.position_bound else ''}Order of the answers: {orders}.", ""]
    unscored = report.unscored.note()
    if unscored:
        lines += [f"⚠️ {unscored[0].upper()}{unscored[1:]}.", ""]
    if report.categories:
        lines += ["| category | decision | questions | mean | interval | Holm p (regression) |",
                  "|---|---|---:|---:|---|---:|"]
        lines += [f"| {markdown_text(c.name)} | {c.decision} | {c.test.n} | {_pct(c.test.mean)} | "
                  f"[{_pct(c.test.lower)}, {_pct(c.test.upper)}] | {c.p_regression:.3g} |" for c in report.categories]
        lines += ["", "Per-category decisions use Holm-adjusted p-values (family-wise error at most "
                      f"{(1 - report.options.level) / 2:.1%} per side); intervals are unadjusted.", ""]
    lines += [f"⚠️ {small_category(markdown_text(name), n)}." for name, n in report.small_categories.items()]
    lines += [f"⚠️ {text}." for text in undecided_categories(report, markdown_text)]
    lines += [""] if report.small_categories or undecided_categories(report) else []
    if report.failing_categories:
        lines += [f"Failing categories: **{markdown_text(', '.join(report.failing_categories))}** "
                  f"({set_option('fail_on', 'any-category')})", ""]
    regressed = [name for name in report.regressed_categories if name not in report.failing_categories]
    if regressed:
        lines += [f"⚠️ Categories that regressed: **{markdown_text(', '.join(regressed))}**, {not_gating()}.", ""]
    flips = report.flips  # none when stopped
    if flips and report.baseline:
        lines += [f"Flips against the baseline: the candidate did worse than the reference on {flips['worse']} "
                  f"questions (won to tied, tied to lost, or won to lost) and better on {flips['better']}; "
                  f"strong flips: {flips['win_to_loss']} won to lost, {flips['loss_to_win']} lost to won.", ""]
    elif flips:
        lines += [f"Flips against the reference: the candidate lost {flips['win_to_loss']} questions and won "
                  f"{flips['loss_to_win']}.", ""]
    if report.worst:
        lines += ["Questions the candidate lost most clearly:", ""]
        for item in report.worst:
            lines += [f"- {markdown_code(item['question_id'])} ({markdown_text(item['category'])}), "
                      f"score {item['score']:.2f}: candidate \"{markdown_text(item['candidate_answer'])}\" vs "
                      f"{markdown_text(item['opponent'])} \"{markdown_text(item['opponent_answer'])}\""]
            lines += [f"  - {markdown_text(reason)}" for reason in item["reasoning"]]
        lines.append("")
    cost = "n/a" if data["cost_usd"] is None else dollars(data["cost_usd"])
    tokens = "unknown" if data["prompt_tokens"] is None else f"{data['prompt_tokens'] + data['completion_tokens']:,}"
    abandoned = data["judge_calls_abandoned"]
    calls = f"{data['judge_calls']}{abandoned_among(abandoned)}"
    lines += [f"Judge calls made: {calls}; served from the store: {data['calls_from_store']}; "
              f"tokens: {tokens}; cost: {cost}; "
              f"failed games: {report.n_failed}.", ""]
    for note in report.notes:  # as `check` says them on stderr, each a paragraph
        lines += [f"Note: {markdown_text(note, commands=True)}.", ""]
    return "\n".join(lines)


def sequence_progress(report: CheckReport) -> str:
    """How far a sequential check judged: its batches, and where it stopped (early, and why: `early_stop`; or
    at --max-questions; or in which batch a signal stopped it, which may have judged some of its questions or
    none; or that a signal stopped it once its batches were judged, while it decided)."""
    judged, available = report.unscored.judged, report.coverage.available if report.coverage else None
    where = f"{judged:,} of {available:,} questions" if available is not None else f"{judged:,} questions"
    batches, size = report.batches or 0, report.options.batch_size
    if report.stopped_by is not None and not report.stopped_deciding:
        return f"stopped in batch {batches:,} ({size:,} questions a batch); {where} judged"
    limit = report.options.max_questions
    why = early_stop(report) if judged < (limit or available or 0) else None
    if report.stopped_by is not None:
        where += f"; judging had ended when {report.stopped_by.name} stopped the check as it decided"
    elif why:
        where += f"; {why}"
    elif limit is not None and judged >= limit:
        where += f"; {option_name('max_questions')} {limit:,} reached"
    each = f"{size:,}" if judged == batches * size else f"up to {size:,}"  # --max-questions or the set ended one
    return f"{counted(batches, 'batch')} of {each} questions judged, {where}"


def early_stop(report: CheckReport) -> str | None:
    """Why a sequential check stopped before its questions ran out, in words (`judge_in_batches`): the overall
    result decided, a category that fails the check regressed (--fail-on any-category) while the overall result
    was undecided, or games failed; None for none of these (a signal: the rule says so)."""
    if report.overall is None:
        return f"it stopped when {counted(report.n_failed, 'game')} failed" if report.n_failed else None
    if report.overall.decision != "undecided":
        return "it stopped once decided"
    failing = report.failing_categories
    if failing:
        return f"it stopped once {categories_named(failing)} regressed ({set_option('fail_on', 'any-category')})"
    return None


def junit_xml(report: CheckReport) -> str:
    """JUnit XML: one test case for the overall check and one per category, a failure exactly when that
    result fails the check (`CheckReport.fails`), so that the test report and the exit code agree.

    A result that does not fail the check passes, or is skipped with its reason: undecided, a category's
    regression under --fail-on overall, a category too small to decide. Skipped, not passed, because GitLab's
    test report and Jenkins' JUnit plugin both show a skipped case with its reason and neither counts it as a
    failure (a passed case would hide a regressed category); the reason is both the message attribute (what
    Jenkins shows) and the element's text (what GitLab shows). The overall case's system-out says which
    questions were skipped for want of an answer. A check without a result (stopped by a signal, games failed,
    a judge that gave no verdict) is one error: the check could not run to a result, which says nothing about the
    candidate (a failure would report a regression that was never found).
    """
    suite = ElementTree.Element("testsuite", name="judgebench check")
    classname = f"judgebench.check.{report.options.candidate}"
    cases = ([report.overall] if report.overall else []) + report.categories
    failures = skipped = errors = 0

    def skip(case: ElementTree.Element, reason: str) -> None:
        nonlocal skipped
        skipped += 1
        ElementTree.SubElement(case, "skipped", message=reason).text = reason

    for item in cases:
        case = ElementTree.SubElement(suite, "testcase", classname=classname, name=item.name)
        figures = (f"{item.decision}: mean {_pct(item.test.mean)} [{_pct(item.test.lower)}, "
                   f"{_pct(item.test.upper)}], threshold {_pct(report.scale.threshold)}, {item.test.n} questions")
        if report.fails(item):
            failures += 1
            ElementTree.SubElement(case, "failure", message=figures, type=item.decision).text = (
                f"{item.name}: {figures}; {report.scale.quantity}")
        elif item.decision == "undecided" or (item is report.overall and report.decision == "undecided"):
            # the overall case says why when --undecided or the judge's position bias made the decision
            reason = report.overall_reason() if item is report.overall else ""
            skip(case, f"{figures}; {reason}" if reason else figures)
        elif item.decision == "regression":
            skip(case, f"{figures}; {not_gating()}")
        skipped_questions = report.coverage.note() if report.coverage else None
        if item is report.overall and skipped_questions:
            ElementTree.SubElement(case, "system-out").text = skipped_questions
    for name, n in report.small_categories.items():
        skip(ElementTree.SubElement(suite, "testcase", classname=classname, name=name), small_category(name, n))
    if report.overall is None:  # no result: an error of the check's run (failed games, no verdict, a stop)
        case = ElementTree.SubElement(suite, "testcase", classname=classname, name="overall")
        errors += 1
        kind = "interrupted" if report.stopped_by is not None else "failed-games" if report.n_failed else "no-verdict"
        ElementTree.SubElement(case, "error", message=report.rule(), type=kind)
    suite.set("tests", str(max(len(cases) + len(report.small_categories), 1)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", str(errors))
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def github_annotations(report: CheckReport) -> list[str]:
    """`::error::` / `::warning::` workflow commands for GitHub Actions (line breaks escaped as it requires): the
    decision as an error when the job fails on it (undecided too: exit 4), a warning when a pass has a reason
    (an undecided result counted as a pass); each
    regressed category as an error when it fails the check, else a warning; the questions skipped for want of
    an answer, and under --fail-on any-category the categories too small to decide or undecided, as warnings."""
    lines = []
    kind = {"pass": "warning" if report.reason else None}.get(report.decision, "error")
    if kind is not None:
        lines.append(workflow_command(kind, report.headline()))
    for item in report.categories:
        if report.fails(item):
            lines.append(workflow_command("error", f"category {item.name}: regression "
                                                   f"({set_option('fail_on', 'any-category')})"))
        elif item.decision == "regression":
            lines.append(workflow_command("warning", f"category {item.name}: regression, {not_gating()}"))
    if report.options.fail_on == "any-category":
        lines += [workflow_command("warning", small_category(name, n)) for name, n in report.small_categories.items()]
        lines += [workflow_command("warning", text) for text in undecided_categories(report)]
    for note in (report.coverage.note() if report.coverage else None, report.unscored.note()):
        lines += [workflow_command("warning", note)] if note else []
    return lines


STEP_SUMMARY, STEP_OUTPUT = "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"
"""The environment variables naming the files GitHub Actions gives a step to append to: the job's summary, and
the step's outputs for the workflow's later steps."""


@dataclass(frozen=True)
class OutputPaths:
    """The files a check writes: the Markdown summary (--summary), JUnit XML (--junit), JSON (--json); the step
    files GitHub Actions names that can be written (`appended`: variable to path); whether to print annotations
    (under GitHub Actions); and the first path refused (`refused`), which ends the check before it begins."""

    summary: Path | None = None
    junit: Path | None = None
    json_path: Path | None = None
    appended: Mapping[str, str] = field(default_factory=dict)
    annotate: bool = False
    refused: ConfigError | None = None

    @classmethod
    def prepare(cls, summary: str | None = None, junit: str | None = None, json_path: str | None = None,
                environ: Mapping[str, str] | None = None) -> OutputPaths:
        """The paths as given (a trailing slash kept: it names a directory), each checked before any judge call,
        and $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT when set: a directory, or a folder that cannot be created or
        written, is a ConfigError (exit 2) naming the path and what to do, not a failure after the judging was
        paid for. Every path is checked, and the first refusal kept in `refused` with the paths that can be
        written, so that `outputs_until_decided` writes the error there before raising it: no file an earlier
        check left at a valid path outlives a refused one."""
        from judgebench.outputs import prepare_file

        environ = os.environ if environ is None else environ
        refusals: list[ConfigError] = []

        def checked(prepare: Callable[[], Path]) -> Path | None:
            try:
                return prepare()
            except ConfigError as error:
                refusals.append(error)
                return None

        appended = {variable: environ[variable] for variable in (STEP_SUMMARY, STEP_OUTPUT) if environ.get(variable)
                    and checked(functools.partial(prepare_appended, environ[variable], f"${variable}"))}
        files = ((summary, "--summary", "summary.md"), (junit, "--junit", "junit.xml"),
                 (json_path, "--json", "check.json"))
        summary_file, junit_file, json_file = (
            None if path is None else checked(functools.partial(prepare_file, path, flag, example))
            for path, flag, example in files)
        return cls(summary_file, junit_file, json_file, appended=appended,
                   annotate=environ.get("GITHUB_ACTIONS") == "true", refused=refusals[0] if refusals else None)

    def annotations(self, report: CheckReport) -> list[str]:
        """The workflow annotations to print: `github_annotations` under GitHub Actions, else none."""
        return github_annotations(report) if self.annotate else []


def no_decision_texts(candidate: str, reference: str | None, decision: str, rule: str,
                      exit_code: int | None) -> tuple[str, str, str]:
    """The Markdown summary, JUnit XML and JSON of a check without a report: `decision` is "running" (not done
    yet), "error" or "stopped" (before the judging began), `rule` says so in words. JUnit holds one test case in
    error, so that no test report reads it as passed."""
    opponent = f" vs reference **{reference}**" if reference else ""
    summary = "\n".join([f"## judgebench check: {decision}", "", f"Candidate **{candidate}**{opponent}.", "", rule, ""])
    suite = ElementTree.Element("testsuite", name="judgebench check", tests="1", failures="0", skipped="0",
                                errors="1")
    case = ElementTree.SubElement(suite, "testcase", classname=f"judgebench.check.{candidate}", name="overall")
    ElementTree.SubElement(case, "error", message=rule, type=decision)
    junit = ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
    data = dict.fromkeys(report_keys()) | {"decision": decision, "exit_code": exit_code, "rule": rule,
                                           "candidate": candidate, "reference": reference}
    return summary, junit, json.dumps(data, indent=2) + "\n"


def report_keys() -> list[str]:
    """The keys of a check's JSON (`CheckReport.to_json`): a check without a report writes each of them (null
    where not known), so that a script reading the JSON of a failed job finds the keys of a decided one."""
    placeholder = CheckReport(CheckOptions(candidate=""), Scale.head_to_head(0.05), "", None, None, [], {}, [],
                              dict.fromkeys(ACCOUNTING_KEYS), 0)
    return list(placeholder.to_json())


def write_no_decision(paths: OutputPaths, candidate: str, reference: str | None, decision: str, rule: str,
                      exit_code: int | None, appended: Mapping[str, str]) -> None:
    """Write the files of a check without a report (`no_decision_texts`) and append to the step files `appended`
    names (`write_each`); under GitHub Actions, print the `::error::` of one that ended (an error, a stop: an
    `exit_code`), as a decided check prints the decision the job fails on."""
    summary, junit, data = no_decision_texts(candidate, reference, decision, rule, exit_code)
    try:
        write_each(paths, (summary, junit, data), appended, step_output_lines(decision, exit_code, None))
    finally:  # shown even when a file cannot be written
        if paths.annotate and exit_code is not None:
            print(workflow_command("error", rule), flush=True)


def workflow_command(kind: str, text: str) -> str:
    """A GitHub Actions workflow command (`::error::`, `::warning::`) titled for the check, `text` escaped as
    @actions/core escapes a command's message: a lone carriage return (in a category's name) also ends a line for
    the runner, which then ran what followed as a command of its own."""
    return (f"::{kind} title=judgebench check::"
            + text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def write_each(paths: OutputPaths, texts: tuple[str, str, str], appended: Mapping[str, str], step_lines: str) -> None:
    """Write the summary, JUnit and JSON `texts` to `paths`' files (atomically), then append `step_lines` to
    $GITHUB_OUTPUT and the summary to $GITHUB_STEP_SUMMARY where `appended` names them. Every output is tried
    even when one before it failed, so that one that cannot be written (a full disk) leaves none of the others
    unwritten or stale; the first failure is raised after all of them (a StorageError, exit 5)."""
    files = (paths.summary, paths.junit, paths.json_path)
    writes: list[tuple[Callable[[Any, str], object], Path | str | None, str]] = [
        (atomic_write_text, path, text) for path, text in zip(files, texts, strict=True)]
    writes += [(append_text, appended.get(STEP_OUTPUT), step_lines),
               (append_text, appended.get(STEP_SUMMARY), texts[0] + "\n")]
    failures = []
    for write, path, text in writes:
        if path is not None:
            try:
                write(path, text)
            except JudgebenchError as error:
                failures.append(error)
    if failures:
        raise failures[0]


@contextmanager
def outputs_until_decided(paths: OutputPaths, candidate: str, reference: str | None) -> Iterator[None]:
    """While the block runs (a check, from reading its settings until its report is ready), its output files
    say that it has no decision, so that files an earlier check left at the same paths are never read as this
    one's result: at once "running" (what a check killed outright, SIGKILL, leaves), then, when the block ends
    with an error or a signal before the check's own handling took over, "error" or "stopped" with the message,
    also appended to $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT. A path `OutputPaths.prepare` refused is such an
    error, raised before the block runs. A signal while judging is the check's own: its report says stopped."""
    from judgebench.store import utc_time

    rule = (f"running: this check started at {utc_time(time.time())} and has not decided yet; if this file is "
            "still here when the job is over, the check ended without a decision (killed: its log says more)")
    write_no_decision(paths, candidate, reference, "running", rule, None, {})  # appended files: only at the end
    try:
        if paths.refused is not None:  # the paths that can be written say why this check did not run
            raise paths.refused
        yield
    except JudgebenchError as error:
        with suppress(JudgebenchError):  # the error that ended the check is the one to show
            write_no_decision(paths, candidate, reference, "error", f"error: {error}", error.exit_code,
                              paths.appended)
        raise
    except KeyboardInterrupt as interrupt:
        signum = signal.Signals(getattr(interrupt, "signum", signal.SIGINT))
        with suppress(JudgebenchError):
            write_no_decision(paths, candidate, reference, "stopped", stopped_rule(signum),
                              stopped_exit_code(signum), paths.appended)
        raise


def step_outputs(report: CheckReport) -> str:
    """The check's result as GitHub Actions step outputs (`name=value` lines for $GITHUB_OUTPUT), for a
    workflow's later steps: decision, exit_code, and the overall mean, its interval and question count, as
    fractions as in the JSON (empty when nothing was decided)."""
    return step_output_lines(report.decision, report.exit_code, report.overall.test if report.overall else None)


def step_output_lines(decision: str, exit_code: int | None, test: Test | None) -> str:
    """`step_outputs` of a decision, its exit code (empty when none yet) and the overall interval (None: none)."""
    values = {"decision": decision, "exit_code": "" if exit_code is None else exit_code,
              "mean": float(test.mean) if test else "", "lower": float(test.lower) if test else "",
              "upper": float(test.upper) if test else "", "n_questions": test.n if test else ""}
    return "".join(f"{name}={value}\n" for name, value in values.items())


def write_outputs(report: CheckReport, paths: OutputPaths) -> None:
    """Write the requested files (atomically) and, under GitHub Actions, append the step outputs to $GITHUB_OUTPUT
    (`step_outputs`) and the summary to $GITHUB_STEP_SUMMARY, each tried whatever became of the others
    (`write_each`): a file that cannot be written is a StorageError (exit 5) naming it, raised after all."""
    texts = (markdown_summary(report), junit_xml(report), json.dumps(json_safe(report.to_json()), indent=2) + "\n")
    write_each(paths, texts, paths.appended, step_outputs(report))

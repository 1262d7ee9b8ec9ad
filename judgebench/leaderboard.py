"""Leaderboards: ratings with intervals, ranks and per-model figures, as a table and as files in results/.

Assembles a `Leaderboard` from outcomes; `judgebench.rate` and `judgebench.evaluate` (evaluation.py) call
it for the `leaderboard` and `run` commands, with the same defaults:

    board = build(outcomes, games=None, method="bt", interval="bootstrap", resample="questions",
                  confidence=0.95, rounds=1000, seed=0, baseline=None, anchor=None, anchor_rating=1000.0,
                  ties="half", position_effect=False, regularization=None, meta=None)
    board.write("results/")           # leaderboard.json, leaderboard.csv, leaderboard.md
    board.table                       # pandas DataFrame, best model first
    board.meta                        # method, interval, confidence, rounds, seed, counts, ...

`outcomes` has the canonical outcome columns (judgebench.records.OUTCOME_COLUMNS; `winner` may replace
score_a) as a pandas DataFrame, a pyarrow Table or a mapping of arrays; `games` (question_id, first, second,
p_first, weight) is used for the first-position effect, which otherwise comes from the outcomes' per-order
verdicts p_ab / p_ba. Methods: "bt" (Bradley-Terry, `ratings.bradley_terry`), "elo" (online Elo in stored
order, `ratings.elo`) and "winrate" (AlpacaEval-style win rate against the baseline, `ratings.winrate`).

Each model entry has: model, rank, rating, lower, upper, win_rate (against the baseline: its outcomes' scores
against it averaged with their weights; else the pooled score: the weighted share of all its outcomes that it won,
ties half; not the mean over opponents of its win rate against each, evalica's average_win_rate), win_probability
(Bradley-Terry: predicted probability of beating the baseline, the anchor or a model of average rating; with ties
counted half it is also the expected score; under Davidson's tie model it is the probability of a win, with
tie_probability and expected_score = P(win) + P(tie) / 2 beside it; the meta's `win_probability_label` says which),
n_games (outcomes involving the model: pairs, the two orders of a pair being one; an outcomes table's rows, titled
"outcomes": `present.counted_unit`), n_wins, n_losses, n_ties (pairs
scored above, below and at 0.5 that are not split), n_split (pairs whose two orders picked opposite answers, whatever
the mean of their verdicts scores; None for a model with no pair judged in both orders, so n_wins + n_losses + n_ties
+ n_split = n_games where it is known),
position_consistency (diagnostics.model_position_consistency) and avg_length (mean answer length, when known);
against a baseline also win_rate_se, discrete_win_rate, n_draws and, with AlpacaEval's published GLM weights
(`lc_weights`, `instruction_difficulty`), lc_win_rate and lc_win_rate_se. The baseline's own row is the same under
every method: win rate (and discrete win rate) 0.5 against itself by definition, standard error 0, no n_draws, and
the games it really played against the other models as its counts (`_baseline_figures`). Rates are fractions in
[0, 1]; missing values are None.

Rank = 1 + the number of models significantly better, decided from the interval of each pairwise rating
difference (`ratings.intervals`), so ranks and the meta's separability do not depend on the anchor. A model
without a rating (no games against the baseline) has rank None and a `rank_note` saying why. Rows are best
first by rating; among equal ratings (identical records can rank apart) by rank (`_row_order`). The anchor's
(or baseline's) interval has zero width because its rating is fixed by definition (meta `anchor_interval`); the
meta's `rating_label` says what the Elo scale's ratings mean and where it is fixed (`_rating_label`).
With length-controlled win rates the models are ordered and ranked by them instead, as AlpacaEval 2.0 ranks
(meta `ranked_by`: "lc_win_rate", else "rating"; see `_length_controlled`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from judgebench import diagnostics
from judgebench.config import expands_paths, how_to_set, how_to_turn_off, setting_name
from judgebench.errors import ConfigError, InputError, first_few
from judgebench.outputs import json_safe
from judgebench.ratings import bradley_terry as bt
from judgebench.ratings import elo
from judgebench.ratings import intervals as iv
from judgebench.ratings.counts import (
    CodedOutcomes,
    PairCounts,
    encode_games,
    encode_outcomes,
    games_from_outcomes,
    pair_counts,
    row_pairs,
    subset,
)
from judgebench.verdicts import discrete

METHODS = ("bt", "elo", "winrate")
INTERVALS = ("bootstrap", "sandwich")
# Fields added later go last, so that leaderboard.csv's earlier columns keep their place.
MODEL_FIELDS = ("model", "rank", "rating", "lower", "upper", "win_rate", "win_probability", "tie_probability",
                "expected_score", "n_games", "n_wins", "n_losses", "n_ties", "position_consistency", "avg_length",
                "win_rate_se", "discrete_win_rate", "n_draws", "lc_win_rate", "lc_win_rate_se", "rank_note",
                "n_split", "win_probability_lower", "win_probability_upper")


# Fewer questions than this: clustered intervals (bootstrap or sandwich) may under-cover, and the meta says so.
FEW_QUESTIONS = 30


def few_questions_warning(n_questions: int) -> str:
    """The warning of figures with intervals clustered by question on fewer than FEW_QUESTIONS questions."""
    from judgebench.present import counted

    return (f"only {counted(n_questions, 'question')} (fewer than {FEW_QUESTIONS}): intervals clustered by question "
            "may under-cover; add questions for reliable intervals")


@dataclass
class Leaderboard:
    """A leaderboard: `models` (one dict per model, best first, keys from MODEL_FIELDS), `meta` (settings,
    counts and diagnostics) and `samples`, the (rounds, n_models) bootstrap ratings in the order of `models`
    (None for sandwich intervals), and `covariance`, the (n_models, n_models) covariance of the ratings in Elo
    points squared, in the same order, where the intervals come from one (a Bradley-Terry sandwich; else None)."""

    models: list[dict]
    meta: dict
    samples: np.ndarray | None = field(default=None, repr=False)
    covariance: np.ndarray | None = field(default=None, repr=False)

    @property
    def table(self):
        """The leaderboard as a pandas DataFrame (columns in MODEL_FIELDS order, absent fields left out)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.models, columns=_present_fields(self.models))

    def __repr__(self) -> str:
        """A line, not every model's dict (59 models made 20,000 characters in a notebook): the size, the method,
        the best few by the figure that orders the rows (meta `ranked_by`), written as the tables write it; `table`
        has the rest. (An AlpacaEval board ranked by LC win rate showed raw win rates in LC order, to 3 or 4
        digits: "X 0.705, gpt4_1106_preview 0.5, claude-2 0.1719".)"""
        from judgebench.present import column_title, format_cell, rating_format

        ranked_by = self.meta.get("ranked_by", "rating")
        if ranked_by == "rating":
            written, by = rating_format(self.meta), ""
        else:
            written, by = (lambda value: format_cell(ranked_by, value)), f" by {column_title(ranked_by, self.meta)}"
        best = ", ".join(f"{entry['model']} {written(entry.get(ranked_by))}" for entry in self.models[:3])
        more = ", ..." if len(self.models) > 3 else ""
        return (f"<Leaderboard: {len(self.models)} models, method {self.meta.get('method')}, "
                f"{self.meta.get('interval_label', 'no interval')}; best{by}: {best}{more}; .table has every column>")

    def _repr_html_(self) -> str:
        """The table, as a notebook shows a DataFrame, under its warnings (as the terminal, leaderboard.md and the
        report show them: a notebook showed every model rated 1000 by a judge that always chose the first answer,
        without the warning that says so) and what its interval is (IPython's rich display). The ratings and their
        intervals' ends read as the terminal's table writes them (`present.rating_format`: 1021.7, not 1022 to four
        figures, whose 1000 beside a baseline's 1000.1 seemed to touch it)."""
        from html import escape

        from judgebench.present import rating_format

        rating = rating_format(self.meta)
        warnings = "".join(f'<p style="color: #b35900"><strong>Warning:</strong> {escape(str(warning))}.</p>'
                           for warning in self.meta.get("warnings") or [])
        caption = escape(str(self.meta.get("interval_label", "")))
        return (f"{warnings}<p>{caption}</p>"
                + self.table.to_html(index=False, max_rows=100, float_format=lambda x: f"{x:.4g}",
                                     formatters=dict.fromkeys(("rating", "lower", "upper"), rating)))

    def to_json(self) -> dict:
        """The contents of leaderboard.json: {"meta": ..., "models": [...]}."""
        return {"meta": self.meta, "models": self.models}

    @expands_paths("out_dir")
    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write leaderboard.json, leaderboard.csv and leaderboard.md into `out_dir` (created if needed), each
        file atomically; returns their paths by suffix. These are exactly the files the CLI writes."""
        from judgebench.outputs import atomic_write_text, prepare_directory
        from judgebench.present import leaderboard_markdown

        paths = file_paths(prepare_directory(out_dir))
        atomic_write_text(paths["json"], json.dumps(self.to_json(), indent=2, allow_nan=False) + "\n")
        atomic_write_text(paths["csv"], self._csv())
        atomic_write_text(paths["md"], leaderboard_markdown(self))
        return paths

    def _csv(self) -> str:
        """leaderboard.csv: a row per model, missing values empty, text cells safe to open in a spreadsheet
        (`outputs.spreadsheet_cell`)."""
        from judgebench.outputs import spreadsheet_cell

        fields = _present_fields(self.models)
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for entry in self.models:
            writer.writerow({key: "" if entry.get(key) is None else spreadsheet_cell(entry[key]) for key in fields})
        return text.getvalue()


@dataclass(frozen=True)
class _Options:
    method: str
    interval: str
    resample: str
    confidence: float
    rounds: int
    seed: int
    baseline: str | None
    anchor: str | None
    anchor_rating: float
    scale: float
    ties: str
    position_effect: bool
    regularization: float | None  # None: plain maximum likelihood where it exists, else AUTO_RIDGE
    k: float
    style_control: bool = False
    rows_as_questions: bool = False  # the question ids number the outcomes' rows (`build`)


@dataclass
class _Ratings:
    """Point ratings, marginal intervals and `better` (M, M): (i, j) True when model i is significantly
    better than model j by the interval of their difference (`ratings.intervals`)."""

    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    samples: np.ndarray | None
    better: np.ndarray
    probabilities: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    covariance: np.ndarray | None = None  # of the ratings (Elo points squared), for sandwich intervals
    caveats: list[str] = field(default_factory=list)  # warnings about these ratings' intervals, for the meta


@dataclass(frozen=True)
class DesignBias:
    """How far choosing pairs from earlier verdicts moved each model's Bradley-Terry rating (an adaptive run's
    `schedule.design_bias`), in Elo points of the 400-point scale relative to the mean rating, estimated from
    `replays` replays of its plan. `build` subtracts it (on its own scale and reference) and widens the
    intervals by the estimate's Monte Carlo error: the variance of a median of `replays` replicate ratings adds
    ``pi / (2 replays)`` of the ratings' own variance (for normal replicates; a mean's would add ``1 /
    replays``). It was estimated for plain Bradley-Terry (ties as half a win, no position effect), and `build`
    refuses it for other fits."""

    shift: Mapping[str, float]
    replays: int

    @property
    def variance_factor(self) -> float:
        return 1.0 + math.pi / (2.0 * self.replays)

    @staticmethod
    def recorded(adaptive: Mapping[str, Any] | None) -> DesignBias | None:
        """The correction a leaderboard meta's `adaptive` entry records (`design_bias`), None without one."""
        recorded = (adaptive or {}).get("design_bias")
        return DesignBias(recorded["elo"], recorded["replays"]) if recorded else None

    @staticmethod
    def rated_entry(adaptive: Mapping[str, Any], applied: bool, why: str = "method") -> dict[str, Any]:
        """A plan's meta `adaptive` entry as ratings of its judgments record it: with its correction when they
        apply it, else without one and why (`uncorrected`: the plan's own reason, UNCORRECTED's keys, or `why`
        when the plan has a correction that these ratings are not the ones of: "method", a fit other than
        `applies_to`'s, or "swap", outcomes made with another swap policy than the run's)."""
        if applied:
            return dict(adaptive)
        reason = adaptive.get("uncorrected") if adaptive.get("design_bias") is None else why
        return {**adaptive, "design_bias": None, "uncorrected": reason}

    @staticmethod
    def applies_to(method: str, ties: str, position_effect: bool, style_control: bool) -> bool:
        """Whether a fit with these settings is the one the replays estimate the bias of: plain Bradley-Terry."""
        return method == "bt" and ties == "half" and not position_effect and not style_control


def build(outcomes: Any, games: Any = None, *, method: str = "bt", interval: str = "bootstrap",
          resample: str = "questions", confidence: float = 0.95, rounds: int = 1000, seed: int = 0,
          baseline: str | None = None, anchor: str | None = None, anchor_rating: float = 1000.0,
          scale: float = 400.0, ties: str = "half", position_effect: bool = False, regularization: float | None = None,
          k: float = 4.0, answer_lengths: Mapping[str, float] | None = None, meta: Mapping[str, Any] | None = None,
          source: str = "outcomes", lc_weights: Any = None, instruction_difficulty: Any = None,
          style_control: bool = False, design_bias: DesignBias | None = None,
          rows_as_questions: bool = False) -> Leaderboard:
    """Rate the models in `outcomes` and return a Leaderboard (see the module docstring for the columns).

    method: "bt" | "elo" | "winrate"; interval: "bootstrap" | "sandwich" (not for elo); resample: "questions"
    (clusters, default) | "judgments"; confidence: level of every interval; rounds, seed: bootstrap replicates
    and their seed (results are reproducible); baseline: the reference model (win rates against it; Elo-scale
    anchor at `anchor_rating` unless `anchor` names another model; without both the mean rating is
    `anchor_rating`); scale: Elo points per factor 10 of odds; ties: "half" | "davidson"; position_effect:
    fit the judge's first-position log-odds (from `games` or the per-order verdicts) and rate from the games;
    regularization: ridge penalty on Bradley-Terry strengths (0 = maximum likelihood; None = maximum
    likelihood where it exists, else the weak AUTO_RIDGE, recorded in the meta with its warning,
    `auto_ridge_warning`, and regularization_automatic true); k: online Elo K-factor;
    answer_lengths: average answer length per model (else taken from len_a/len_b columns when present);
    meta: extra provenance (judge, template, swap...) merged into the leaderboard's meta; lc_weights,
    instruction_difficulty: AlpacaEval's published length-controlled GLM weights (DataFrame indexed by model with
    columns length, difficulty, intercept: `datasets.judgments.load_alpaca_eval_lc_weights`) and per-question
    difficulties (Series indexed by question_id: `load_instruction_difficulty`); together, with a baseline, they
    give lc_win_rate and lc_win_rate_se for the models that have weights; style_control: Bradley-Terry with
    arena-hard-auto v2's length and markdown covariates (`ratings.style`; the outcomes need the style count
    columns tokens_a, headers_a, lists_a, bold_a and _b): ratings are style-adjusted and the meta's
    `style_coefficients` give each covariate's effect with its interval; design_bias: the bias an adaptive
    plan's choice of pairs put into the Bradley-Terry ratings (`DesignBias`), subtracted from them. A baseline or
    anchor that the plan in `meta["adaptive"]` never compared (a small budget) anchors nothing and gives no win
    rates, with a warning (`_unreached_references`); rows_as_questions: the question ids number the rows (an
    outcomes file without question_id, `datasets.judgments.rows_as_questions_warning`), so the interval's label
    says that it resamples rows, or clusters by them, not questions.
    """
    options = _check_options(method, interval, resample, confidence, rounds, seed, baseline, anchor, anchor_rating,
                             scale, ties, position_effect, regularization, k, style_control)
    if design_bias is not None and not DesignBias.applies_to(method, ties, position_effect, style_control):
        raise ConfigError("an adaptive plan's design-bias correction applies to plain Bradley-Terry ratings (method "
                          "bt, ties half, no position effect or style control): leave design_bias out for this fit")
    if (lc_weights is not None or instruction_difficulty is not None) and baseline is None:
        raise ConfigError("length-controlled win rates are against a baseline: give "
                          f"{setting_name('baseline', option=True)} with {setting_name('lc_weights', option=True)}")
    options = replace(options, rows_as_questions=rows_as_questions)
    coded, dropped = _encode(outcomes, source)
    options, one_question = _one_question(options, coded.n_questions)
    options, anchor, unreached = _unreached_references(coded, options, anchor, meta)
    baseline = options.baseline
    baseline_index = coded.index_of(baseline, what="baseline") if baseline is not None else None
    anchor_name = anchor if anchor is not None else baseline
    anchor_index = coded.index_of(anchor_name, what="anchor") if anchor_name is not None else None
    sparse_note = None
    if baseline_index is not None:
        options, baseline_index, sparse_note = _sparse_baseline(coded, baseline_index, options, meta)
    if method == "winrate" and baseline_index is None:
        _no_win_rates_of_a_plan(meta)
        raise ConfigError(f"{how_to_set('method', 'winrate')} needs a baseline model "
                          f"({how_to_set('baseline', 'MODEL')}): the win rates are against it")
    unvarying = _unvarying_win_rates(coded, baseline_index, options) if baseline_index is not None else {}
    with _enough_memory(coded, options):
        if method == "winrate":
            assert baseline_index is not None
            ratings = _win_rates(coded, baseline_index, options, unvarying)
        elif method == "elo":
            ratings = _online_elo(coded, anchor_index, options)
        elif style_control:
            ratings = _style_controlled(coded, anchor_index, baseline_index, options)
        else:
            game_rows = None
            if position_effect:
                game_rows = (encode_games(games, source="games", models=list(coded.models)) if games is not None
                             else games_from_outcomes(coded))
            try:
                # with the ridge off (0) the fit itself refuses games of several components, as it did
                within = (_position_effect_within_components(coded, game_rows, options)
                          if game_rows is not None and options.regularization != 0 else None)
                held = within["log_odds"] if within is not None else None
                ratings = _bradley_terry(coded, game_rows, anchor_index, baseline_index, options, design_bias, held)
                if within is not None:
                    ratings.extra["position_effect"] = within
            except bt.UnboundedPositionEffect as error:  # its remedies, named as the user sets them
                sandwich = (f"use the sandwich interval ({how_to_set('interval', 'sandwich')}), or "
                            if error.in_replicates else "")
                remedy = f"{sandwich}rate without it ({how_to_turn_off('position_effect')})"
                raise bt.UnboundedPositionEffect(error.in_replicates, remedy) from None
    figures = _model_figures(coded, baseline_index, answer_lengths)
    ranking, unvarying_warning, unweighted_warning = None, [], []
    if baseline_index is not None:
        figures.update(_baseline_figures(coded, baseline_index))
        figures["win_rate_se"][list(unvarying)] = np.nan  # 0 by AlpacaEval's formula, whatever their number
        unvarying_warning = _unvarying_warning(coded, baseline_index, unvarying, options)
        if lc_weights is not None or instruction_difficulty is not None:
            lc_figures, ranking = _length_controlled(coded, baseline_index, lc_weights, instruction_difficulty,
                                                     options.confidence)
            figures.update(lc_figures)
            unweighted_warning = _unweighted_models_warning(coded, lc_weights)
    board_meta = _meta(coded, options, ratings, dropped, anchor_name)
    board_meta["warnings"] += one_question + unreached
    if sparse_note is not None:
        board_meta["warnings"].append(sparse_note)
    board_meta["warnings"] += unvarying_warning + unweighted_warning
    board_meta["ranked_by"] = "rating" if ranking is None else ranking.name
    if baseline_index is not None:
        board_meta["length_control"] = (
            "AlpacaEval 2.0's published GLM weights" if lc_weights is not None else
            "none: length-controlled win rates need AlpacaEval's published GLM weights (--lc-weights, "
            "--instruction-difficulty), because a faithful refit needs its length-gamed baseline annotations; "
            "judgebench's own runs control length with style control")
    if meta:
        board_meta.update(json_safe(meta))
    unmeasured = (_one_question_models(coded, baseline_index if method == "winrate" else None)
                  if options.resample == "questions" and (coded.n_questions >= 2 or method != "winrate") else None)
    # (win rates of one question get Wilson's interval, `_unvarying_win_rates`, not a far too narrow one)
    if one_question:  # every model is judged on the one question: the warning says so once
        ratings = replace(ratings, lower=np.full(coded.n_models, np.nan), upper=np.full(coded.n_models, np.nan))
    elif unmeasured is not None and unmeasured.any():
        names = [coded.models[k] for k in np.flatnonzero(unmeasured)]
        board_meta["warnings"].append(
            f"judged on one question only: {first_few(names, 6)} (a question-clustered interval has nothing "
            "to resample there, so it is far too narrow): these models are not ranked apart from any other")
    return _assemble(coded, ratings, figures, board_meta, ranking, unmeasured)


def _one_question_models(coded: CodedOutcomes, baseline: int | None = None) -> np.ndarray:
    """Which models have outcomes on a single question (against `baseline` when given: win rates rest on those):
    with questions resampled (or clustered), their interval comes from one cluster, which has no spread (a model
    of 3 games on one question showed 66.7% to 66.7%). A model without any is not one of them."""
    q = coded.n_questions
    if baseline is None:
        model = np.concatenate([coded.model_a, coded.model_b])
        question = np.concatenate([coded.question, coded.question])
    else:
        model, _, question, _ = _against(coded, baseline)
    played = np.bincount(np.unique(model * q + question) // q, minlength=coded.n_models)
    return played == 1


def weighs_questions(method: str, interval: str, resample: str) -> bool:
    """Whether rating draws question bootstrap weights (`intervals.question_weights`), whose memory
    `check_bootstrap_memory` bounds: online Elo's bootstrap resamples sequences instead."""
    return interval == "bootstrap" and resample == "questions" and method != "elo"


def available_memory() -> int | None:
    """Bytes this process can still take: Linux's MemAvailable, lowered to what a cgroup (v2) limit leaves; None
    where it cannot tell. With memory overcommitted (Linux's default), an allocation beyond this is not refused
    but ends the process by the out-of-memory killer, without a message, which is why it is checked before."""
    try:
        meminfo = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    found = re.search(r"^MemAvailable:\s+(\d+) kB", meminfo, flags=re.MULTILINE)
    if found is None:
        return None
    available = int(found.group(1)) * 1024
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
    except OSError:
        return available
    return min(available, int(limit) - int(used)) if limit.isdigit() and used.isdigit() else available


def check_bootstrap_memory(rounds: int, n_questions: int) -> None:
    """Refuse a question bootstrap whose weights alone (`intervals.question_weights_bytes`) exceed the memory
    available now: with memory overcommitted, Linux does not refuse such an allocation but kills the process
    later, without a word. `judgebench run` checks before judging, so that nothing is paid for in vain."""
    available = available_memory()
    if available is not None and iv.question_weights_bytes(rounds, n_questions) > available:
        raise bootstrap_memory_error(rounds, n_questions, sandwich=True, available=available)


def bootstrap_memory_error(rounds: int, n_questions: int | None, *, sandwich: bool,
                           available: int | None = None) -> ConfigError:
    """The error of a bootstrap too large for the memory: how much its question weights take (when it resamples
    questions), and the settings to change, as the running command takes them (`config.how_to_set`); `sandwich`:
    whether sandwich intervals are an option (not for online Elo)."""
    size = ""
    if n_questions is not None:
        size = (f" over {n_questions:,} questions (a weight for each in every round: "
                f"{iv.question_weights_bytes(rounds, n_questions) / 2 ** 30:.1f} GiB")
        size += f", and {available / 2 ** 30:.1f} GiB are available)" if available is not None else ")"
    other = f" or sandwich intervals ({how_to_set('interval', 'sandwich')})" if sandwich else ""
    return ConfigError(f"not enough memory for {rounds:,} bootstrap rounds{size}: use fewer rounds "
                       f"({how_to_set('rounds', 'N')}; 1,000 is usual){other}")


@contextmanager
def _enough_memory(coded: CodedOutcomes, options: _Options) -> Iterator[None]:
    """Rating within the memory there is: a question bootstrap too large for it is refused before it starts
    (`check_bootstrap_memory`), and running out of memory while rating is a ConfigError naming the setting to
    lower (where the system refuses the allocation rather than killing the process)."""
    questions = weighs_questions(options.method, options.interval, options.resample)
    if questions:
        check_bootstrap_memory(options.rounds, coded.n_questions)
    try:
        yield
    except MemoryError:
        if options.interval == "bootstrap" or options.method == "elo":  # online Elo's interval is a bootstrap
            raise bootstrap_memory_error(options.rounds, coded.n_questions if questions else None,
                                         sandwich=options.method != "elo") from None
        raise ConfigError(f"not enough memory to rate {len(coded):,} outcomes of {coded.n_models} models on "
                          "this machine") from None


def _one_question(options: _Options, n_questions: int) -> tuple[_Options, list[str]]:
    """The options to rate with, and a warning, for outcomes of one question with intervals clustered by question.
    Bradley-Terry's get no intervals (`_one_cluster`). A sandwich needs at least two clusters
    (`intervals.sandwich_covariance`), so the question bootstrap fits the ratings (an adaptive run whose budget
    bought one pair ended in an error after paying for it); win rates keep its intervals, where a model's one
    score against the baseline gets Wilson's (`_unvarying_win_rates`)."""
    if _one_cluster(options, n_questions):
        return replace(options, interval="bootstrap"), [
            "one question judged: an interval clustered by question needs at least two (a bootstrap over one "
            "question has nothing to resample: its interval would have zero width, a certainty it does not "
            "measure), so there are no intervals and no model is ranked apart from another; add questions for "
            "intervals and ranks"]
    if options.interval != "sandwich" or options.resample != "questions" or n_questions >= 2:
        return options, []
    return replace(options, interval="bootstrap"), [
        "one question judged: a sandwich interval needs at least two, so the intervals are the question "
        "bootstrap's, which has nothing to resample (zero width: no measure of uncertainty)"]


ONE_QUESTION_LABEL = "none: one question judged, and an interval clustered by question needs at least two"


def _one_cluster(options: _Options, n_questions: int) -> bool:
    """Whether Bradley-Terry ratings have intervals clustered by question (a question bootstrap or a sandwich)
    over a single question: they have no spread, measure nothing and are left out. Online Elo's bootstrap also
    reorders the games, and win rates of one score get Wilson's interval, so theirs stay."""
    return options.method == "bt" and options.resample == "questions" and n_questions == 1


def _unreached_references(coded: CodedOutcomes, options: _Options, anchor: str | None,
                          meta: Mapping[str, Any] | None) -> tuple[_Options, str | None, list[str]]:
    """The options and anchor to rate with, and the warnings to give, when the baseline or the anchor is a model
    of the adaptive or tournament plan that chose these judgments (`meta["adaptive"]["models"]`) but has no
    outcome: the budget ended before the plan compared it. It then gives no win rates and anchors nothing (the
    ratings are centred on the average model), and a warning says why; --method winrate, whose every figure is
    against the baseline, is a ConfigError. A budget of 8 calls for 8 models ended in "anchor 'm00' does not
    appear in the outcomes" after paying, with nothing written. A model the plan does not name stays an error
    (`CodedOutcomes.index_of`): a misspelt name, or outcomes of other models."""
    plan = (meta or {}).get("adaptive")
    planned = (plan.get("models") or []) if isinstance(plan, Mapping) else []
    unreached = [name for name in dict.fromkeys([options.baseline, anchor])
                 if name is not None and name in planned and name not in coded.models]
    if not unreached:
        return options, anchor, []
    strategy = _strategy(plan)
    why = f"has no outcome in the {strategy} plan that chose these judgments (it was never compared)"
    if options.baseline in unreached and options.method == "winrate":
        raise ConfigError(f"{how_to_set('method', 'winrate')} rates every model by its games against the baseline, "
                          f"but the baseline {options.baseline} {why}: use {how_to_set('method', 'bt')} or elo")
    said = []
    anchor_name = anchor if anchor is not None else options.baseline
    for name in unreached:
        named, consequences = name, []
        if name == options.baseline:
            named, consequences = f"the baseline {name}", ["there are no win rates against it"]
        if name == anchor_name:
            consequences.append(f"it does not anchor the ratings: they are centred so that the average model is at "
                                f"{options.anchor_rating:g} instead")
        said.append(f"{named} {why}, so {' and '.join(consequences)}")
    options = replace(options, baseline=None if options.baseline in unreached else options.baseline)
    return options, None if anchor in unreached else anchor, said


def _sparse_baseline(coded: CodedOutcomes, baseline: int, options: _Options, meta: Mapping[str, Any] | None
                     ) -> tuple[_Options, int | None, str | None]:
    """The options and baseline to rate with, and the warning to give, when some model was not judged against the
    baseline on every question the baseline was judged on: a sparse design under the win rates against it.

    When an adaptive or tournament plan chose the pairs (`meta["adaptive"]`: a run's, or the plan a store's
    judgments are exactly those of, `Store.plan_of`), the win rates rest on pairs picked by the judge's earlier
    verdicts, and `judgebench run` gives none for such a plan (`evaluation._reference`: only pairs = "baseline"
    and "all" judge every model against the baseline on every question): the win-rate columns are left out, the baseline
    only anchors the ratings (unless `anchor` names another model), and the warning says why; --method winrate,
    which run refuses for such a plan, is a ConfigError. Otherwise (a sampled design, failed games, missing
    annotations) the win rates stay, with a warning naming the models and how few questions they rest on."""
    model, _, question, _ = _against(coded, baseline)
    n_questions = int(np.unique(coded.question[(coded.model_a == baseline) | (coded.model_b == baseline)]).size)
    met = np.bincount(np.unique(np.stack([model, question]), axis=1)[0], minlength=coded.n_models)
    short = sorted((int(met[k]), coded.models[k]) for k in range(coded.n_models) if k != baseline
                   and met[k] < n_questions)
    if not short:
        return options, baseline, None
    name = coded.models[baseline]
    listed = ", ".join(f"{model_name} on {count}" for count, model_name in short[:5])
    judged = (f"{listed}{f' and {len(short) - 5} more models' if len(short) > 5 else ''} of the {n_questions} "
              f"questions {name} was judged on")
    plan = (meta or {}).get("adaptive")
    if not plan:
        return options, baseline, (f"win rates against the baseline {name} rest on fewer questions for some models, "
                                   f"judged against it: {judged}; each such win rate averages only the questions "
                                   f"its model met {name} on")
    strategy = _strategy(plan)
    chosen = (f"the {strategy} plan that chose these judgments judged some models against {name} on some questions "
              f"only ({judged}), and win rates need every model judged against the baseline on every question "
              '(`judgebench run` gives them only for pairs = "baseline" or "all")')
    if options.method == "winrate":
        raise ConfigError(f"{how_to_set('method', 'winrate')} rates every model by its games against the baseline, "
                          f"but {chosen}: use {how_to_set('method', 'bt')} or elo ({name} then anchors the ratings)")
    return (replace(options, baseline=None), None,
            f"no win rates against the baseline {name}: {chosen}; {name} only anchors the ratings")


def _strategy(plan: Any) -> str:
    """The strategy of the plan a meta's "adaptive" entry records, for messages ("adaptive" where it names none)."""
    return str(plan.get("strategy", "adaptive")) if isinstance(plan, Mapping) else "adaptive"


def _no_win_rates_of_a_plan(meta: Mapping[str, Any] | None) -> None:
    """Refuse win rates, asked for without a baseline, of judgments an adaptive or tournament plan chose
    (`meta["adaptive"]`), saying why and what to use: asking for the baseline first only led to
    `_sparse_baseline`'s refusal, since such a plan compares each model with the baseline on some questions only
    (its meta records no baseline: it only anchored the ratings)."""
    plan = (meta or {}).get("adaptive")
    if not plan:
        return
    strategy = _strategy(plan)
    raise ConfigError(f"{how_to_set('method', 'winrate')} rates every model by its games against a baseline, on "
                      f"every question, and the {strategy} plan that chose these judgments chose the pairs from the "
                      "judge's verdicts, not every model against one baseline (`judgebench run` gives win rates only "
                      f'for pairs = "baseline" or "all"): use {how_to_set("method", "bt")} or elo, '
                      f"with {how_to_set('baseline', 'MODEL')} to anchor the ratings at a model")


def _check_options(method: str, interval: str, resample: str, confidence: float, rounds: int, seed: int,
                   baseline: str | None, anchor: str | None, anchor_rating: float, scale: float, ties: str,
                   position_effect: bool, regularization: float | None, k: float, style_control: bool) -> _Options:
    if method not in METHODS:
        raise ConfigError(f"unknown method '{method}' (expected one of {', '.join(METHODS)})")
    if interval not in INTERVALS:
        raise ConfigError(f"unknown interval '{interval}' (expected one of {', '.join(INTERVALS)})")
    iv.check_resample(resample)
    iv.check_confidence(confidence)
    if interval == "bootstrap":
        iv.check_rounds(rounds)
    if method == "elo" and interval == "sandwich":
        raise ConfigError(f"online Elo has no likelihood, so no sandwich interval: use "
                          f"{how_to_set('interval', 'bootstrap')} or {how_to_set('method', 'bt')}")
    if ties not in bt.TIES:
        raise ConfigError(f"unknown tie model '{ties}' (expected one of {', '.join(bt.TIES)})")
    if (ties != "half" or position_effect or regularization) and method != "bt":
        raise ConfigError(f"{how_to_set('ties', 'davidson')}, {how_to_set('position_effect')} and "
                          f"{setting_name('regularization')} apply to {how_to_set('method', 'bt')} only")
    if style_control and (method != "bt" or ties != "half" or position_effect or resample != "questions"):
        raise ConfigError(f"{how_to_set('style_control')} is a Bradley-Terry model with ties counted half, no "
                          f"first-position effect and intervals over questions: use it with "
                          f"{how_to_set('method', 'bt')}, {how_to_set('ties', 'half')}, "
                          f"{how_to_turn_off('position_effect')} and {how_to_set('resample', 'questions')}, or rate "
                          f"without it ({how_to_turn_off('style_control')})")
    if regularization is not None and regularization < 0:
        raise ConfigError(f"regularization must be >= 0, got {regularization}")
    if not (math.isfinite(scale) and scale > 0):
        raise ConfigError(f"the rating scale must be a positive number, got {scale}")
    if not (math.isfinite(k) and k > 0):
        raise ConfigError(f"the Elo K-factor must be a positive number, got {k}")
    if not math.isfinite(anchor_rating):
        raise ConfigError(f"the anchor rating must be a finite number, got {anchor_rating}")
    return _Options(method, interval, resample, float(confidence), int(rounds), int(seed), baseline, anchor,
                    float(anchor_rating), float(scale), ties, bool(position_effect),
                    None if regularization is None else float(regularization), float(k), bool(style_control))


def _encode(outcomes: Any, source: str) -> tuple[CodedOutcomes, int]:
    if isinstance(outcomes, CodedOutcomes):
        return outcomes, 0
    coded = encode_outcomes(outcomes, source=source, drop_self_pairs=True)
    dropped = coded.self_pairs_dropped
    if len(coded) == 0:
        raise InputError("no outcomes to rate", path=source)
    if coded.n_models < 2:
        raise InputError(f"only one model ({coded.models[0]}) in the outcomes: nothing to rank", path=source)
    return coded, dropped


# --- methods ---------------------------------------------------------------------------------------------


def _bradley_terry(coded: CodedOutcomes, games: CodedOutcomes | None, anchor: int | None, baseline: int | None,
                   options: _Options, design_bias: DesignBias | None = None,
                   held_position: float | None = None) -> _Ratings:
    """Bradley-Terry ratings of `games` (else of the outcomes) with the options' intervals. `held_position`: the
    first-position effect, held at this log-odds in the point fit, in every bootstrap replicate and in the
    sandwich instead of fitted (`_position_effect_within_components` says why and when)."""
    rows = games if games is not None else coded
    pairs = row_pairs(rows)
    counts = pair_counts(rows, pairs)
    fit = _fit(counts, options, held_position)
    design = bt.PairDesign.from_counts(counts)
    raw = fit.ratings(anchor, options.anchor_rating, options.scale)
    shift, inflation = _design_shift(coded, design_bias, anchor, options.scale)
    estimate = raw - shift
    factor = options.scale / math.log(10.0)
    extra: dict[str, Any] = {"log_likelihood": fit.log_likelihood, "iterations": fit.iterations,
                             "regularization": fit.regularization}
    reference = baseline if baseline is not None else anchor
    rating_covariance: np.ndarray | None = None
    caveats: list[str] = []
    if options.interval == "bootstrap":
        if _one_cluster(options, rows.n_questions):
            theta, ridged = _one_question_replicates(fit.params, counts, options.rounds)
        else:
            rng = np.random.default_rng(options.seed)
            if options.resample == "questions":
                weights = iv.question_weights(rows.n_questions, options.rounds, rng)
                stats = iv.question_replicate_stats(rows, pairs, fit.layout, weights, anchor)
            else:
                stats = iv.judgment_replicate_stats(rows, pairs, fit.layout, design, options.rounds, rng, anchor)
            theta, ridged = bt.fit_replicates(fit, design, stats)
            if stats.separation is not None and not fit.regularization:
                caveats += _separation_warning(stats.separation, counts.models, options,
                                               None if anchor is None else counts.models[anchor], fit.strengths)
        samples = bt.to_elo(theta[:, : counts.n_models], anchor, options.anchor_rating, options.scale)
        samples = estimate + (samples - raw) * math.sqrt(inflation)
        lower, upper = iv.percentile_interval(samples, options.confidence)
        better = iv.better_from_samples(samples, options.confidence)
        extra["replicates_regularised"] = ridged
        extra.update(_parameter_intervals(fit, theta, None, options, np.inf))
    else:
        clusters, n_clusters = ((rows.question, rows.n_questions) if options.resample == "questions"
                                else (np.arange(len(rows)), len(rows)))
        contributions = iv.score_contributions(rows, pairs, fit, design, clusters, n_clusters)
        covariance = iv.sandwich_covariance(fit.inverse, contributions)
        degrees_of_freedom = n_clusters - 1
        contrasts = bt.contrast_matrix(fit.layout, anchor)
        rating_covariance = inflation * factor ** 2 * (contrasts @ covariance @ contrasts.T)
        se = np.sqrt(np.maximum(np.diag(rating_covariance), 0.0))
        lower, upper = iv.normal_interval(estimate, se, options.confidence, degrees_of_freedom)
        better = iv.better_from_covariance(estimate, rating_covariance, options.confidence, degrees_of_freedom)
        samples = None
        extra["degrees_of_freedom"] = degrees_of_freedom
        extra.update(_parameter_intervals(fit, None, covariance, options, degrees_of_freedom))
    return _Ratings(estimate, lower, upper, samples, better, fit.outcome_probabilities(reference, shift / factor),
                    extra, rating_covariance, caveats)


def _position_effect_within_components(coded: CodedOutcomes, games: CodedOutcomes,
                                       options: _Options) -> dict[str, Any] | None:
    """The first-position effect measured on the games within the strongly connected components of their win
    graph, as `diagnostics.win_components` defines them, where some game lies between two components; None where
    none does (the fit beside the strengths stands).

    Between components the strengths need the weak ridge, and the effect fitted beside them took up the ridge's
    pull: on games whose verdicts follow the models' order alone, the stronger shown first in 3 games of 4, the
    leaderboard printed "Position effect fitted ... 0.409 [0.232, 0.608] log-odds" where the diagnostics said that
    no position effect can show. As the strengths of the components apart go to infinity, the likelihood of the
    games between them goes to 1 whatever the effect, so the effect's profile maximum likelihood is the fit within
    components (with the board's interval), which this reports, noting the outcomes (pairs) left out: none at all
    when every game is between components.

    `build` then fits the ratings on every game with the effect held at this estimate (`bt.fit`'s
    `held_position`), so that the board's strengths are the ones of the effect it reports: fitted beside the
    ridge-pulled effect, they had moved with it wherever a model was shown first more often than second. The
    bootstrap replicates and the sandwich hold it too, so the ratings' intervals take the effect as known (its
    own interval is this fit's): re-estimating it in each replicate would need each replicate's own components (a
    replicate in which a model happens to win all its drawn games splits one) and a fit per replicate outside the
    batched iterations that fit them all together (`bt.fit_replicates`), and the sandwich a two-step correction;
    while the strengths depend on the effect only through each model's balance of orders (the information's cross
    term: its games' curvature shown first less shown second), small where every pair is judged in both orders
    (swap "both", the default). With one order per pair the ratings' intervals leave out the effect's share of
    their uncertainty. Where no game is within a component, or the order separates those that are (a judge that
    picks the first answer unless the models' order decides), the effect has no estimate, noted, and the ratings
    are those of the fit beside it on every game (the second stopped the run, whose fit on every game had given
    the ridge's figure).
    """
    weight = games.weight
    group = bt.win_groups(games.model_a, games.model_b, games.score_a * weight, weight, games.n_models)
    within = group[games.model_a] == group[games.model_b]
    if within.all():
        return None
    if not within.any():
        return {"log_odds": None, "note": diagnostics.in_order_note("model", "position effect")}
    kept = subset(games, np.flatnonzero(within))
    left_out = int((group[coded.model_a] != group[coded.model_b]).sum())
    left_out_note = diagnostics.left_out_note("model", f"{left_out:,} pairs", "position")
    try:
        effect = dict(_bradley_terry(kept, kept, None, None, options).extra["position_effect"])
    except bt.UnboundedPositionEffect as error:  # the ratings, fitted on every game, stand: only the effect has none
        where, lacks = (" in some bootstrap replicates", "interval") if error.in_replicates else ("", "estimate")
        return {"log_odds": None, "note": f"{left_out_note}; within components the presentation order separates the "
                                          f"games{where}, so the effect has no finite {lacks}"}
    notes = [effect.get("note"), left_out_note]
    effect["note"] = "; ".join(note for note in notes if note)
    return effect


def _one_question_replicates(params: np.ndarray, counts: PairCounts, rounds: int) -> tuple[np.ndarray, int]:
    """The question bootstrap of one question, without drawing or fitting it: every replicate draws that question
    once, so each is the data and its fit the point estimate `params` (`bt.fit_replicates` and
    `style.fit_replicates` started there and stayed). Its intervals are left out (`_one_cluster`), but its
    replicates still give the report's rank shares and the parameters' intervals (`_parameter_intervals`, the
    style coefficients'). Returns them as `bt.fit_replicates` does, with the number of replicates without finite
    maximum-likelihood ratings: all of them when the data (`counts`) has none, else none."""
    groups = bt.win_groups(counts.first, counts.second, counts.score, counts.games, counts.n_models)
    return np.repeat(params[None, :], rounds, axis=0), rounds if np.ptp(groups) > 0 else 0


def _separation_warning(separation: bt.Separation, models: tuple[str, ...], options: _Options,
                        reference: str | None, strengths: np.ndarray) -> list[str]:
    """A warning (or none) for bootstrap replicates without finite maximum-likelihood ratings (`bt.Separation`).

    `bt.fit_replicates` fits them with the weak ridge AUTO_RIDGE, which then decides how far the models that won
    (or lost) all their comparisons are from the others. When that happens in more than the interval's tail share
    of the replicates ((1 - confidence) / 2), the end of those models' intervals lies among such replicates: it is
    set by the ridge, not by the data. Fewer leave the percentile interval to replicates whose ratings exist.

    Each model is named with the cause that is true of it (`bt._beyond`): measured from the anchor (`reference`),
    it never lost to (never beat) the anchor, directly or through others; with centred ratings (no anchor), it
    lost only to models it beat in turn (beat only models it lost to), so that the ridge sets its group's distance
    from the rest, which moves every model's centred rating, a large group's too. A model with no game in a
    replicate (none of its questions drawn: one judged on 3 of 30 questions misses all of them in (27/30)^30, 4%
    of the replicates) neither won nor lost there, and the ridge puts its rating at the others' average, so the end
    of its interval towards the average (`strengths`: the full data's, mean zero) is the ridge's. Such a model was
    counted as both never beaten and never winning, and the warning said it "lost to none of the rest" and "beat
    none of the rest" in shares that included those replicates. A replicate without a game of the anchor is said
    as such: the others are neither above nor below it there, the anchor's own interval (fixed) has no end the
    ridge sets, and the ridge measures the others from their own average, which moves them all towards where an
    anchor of that average would put them: up (their upper ends) from an anchor above it, down from one below.
    """
    tail = (1.0 - options.confidence) / 2.0
    by_question = options.resample == "questions" and not options.rows_as_questions  # else rows are drawn
    unit = "the questions it was judged on was" if by_question else "its outcomes was"
    causes = {"above": (f"never lost to {reference}", f"never lost to {reference}") if reference is not None
              else ("lost only to models it beat in turn", "lost only to models they beat in turn"),
              "below": (f"never beat {reference}", f"never beat {reference}") if reference is not None
              else ("beat only models it lost to in turn", "beat only models they lost to in turn")}
    found: dict[tuple[str, str], list[str]] = {}  # (cause, share) -> models
    ends: dict[str, set[str]] = {}  # model -> the ends of its interval the ridge sets
    for cause, mask in (("above", separation.above), ("below", separation.below), ("absent", separation.absent)):
        share = mask.mean(axis=0)
        for k in np.flatnonzero(share > tail):
            found.setdefault((cause, f"{share[k]:.0%}"), []).append(models[k])
            if models[k] == reference:  # fixed itself, it moves the others to their average's level
                for other in models:
                    if other != reference:
                        ends.setdefault(other, set()).add("upper" if strengths[k] > 0 else "lower")
                continue
            side = {"above": "upper", "below": "lower"}.get(cause, "lower" if strengths[k] > 0 else "upper")
            ends.setdefault(models[k], set()).add(side)
    if not found:
        return []
    said = []
    for (cause, share), names in found.items():
        if cause == "absent" and reference in names:
            said.append(f"the anchor {reference} had no game in {share} of them (none of {unit} drawn), where the "
                        "ridge, not the data, places the others' ratings measured from it")
            names = [name for name in names if name != reference]
        if not names:
            continue
        if cause == "absent":
            said.append(f"{first_few(names, 6)} had no game in {share} of them (none of {unit} drawn), where "
                        f"the ridge puts {'its rating' if len(names) == 1 else 'their ratings'} at the others' "
                        "average")
        else:
            said.append(f"{first_few(names, 6)} {causes[cause][len(names) > 1]}, directly or through other models, "
                        f"in {share} of them")
    by_end: dict[str, list[str]] = {}
    for name, sides in ends.items():
        by_end.setdefault("both" if len(sides) == 2 else sides.pop(), []).append(name)
    parts = []
    for end, names in by_end.items():
        which = "both ends" if end == "both" else f"the {end} end{'s' if len(names) > 1 else ''}"
        parts.append(f"{which} of {names[0]}'s interval" if len(names) == 1
                     else f"{which} of the intervals of {first_few(names, 6)}")
    singular = len(ends) == 1 and "both" not in by_end
    return [f"{int(separation.replicates.sum())} of {len(separation.replicates)} bootstrap replicates have no finite "
            f"maximum-likelihood ratings ({'; '.join(said)}), so they were fitted with the weak ridge "
            f"({AUTO_RIDGE:g}): {' and '.join(parts)} {'is' if singular else 'are'} set by the ridge, not by "
            f"the data; more {'outcomes' if options.rows_as_questions else 'questions'}, or opponents that beat (or "
            "lose to) these models, give data-driven intervals"]


def _design_shift(coded: CodedOutcomes, design_bias: DesignBias | None, anchor: int | None,
                  scale: float) -> tuple[np.ndarray, float]:
    """The design bias of each model's rating in `coded`'s order, on the ratings' `scale` and reference (the
    anchor's shift is 0; without an anchor the shifts average 0, as the ratings do), and the variance factor of
    its Monte Carlo error (no bias: zeros and 1)."""
    if design_bias is None:
        return np.zeros(coded.n_models), 1.0
    shift = np.array([float(design_bias.shift.get(name, 0.0)) for name in coded.models]) * scale / 400.0
    shift -= shift[anchor] if anchor is not None else shift.mean()
    return shift, design_bias.variance_factor


def _style_controlled(coded: CodedOutcomes, anchor: int | None, baseline: int | None,
                      options: _Options) -> _Ratings:
    """Style-adjusted Bradley-Terry ratings (`ratings.style`), with the style coefficients and their intervals
    in the meta (`style_features`: the features fitted; `style_features_dropped`: those the same in every
    outcome, such as the markdown of plain-text answers, left out); intervals and anchor-free ranks exactly as
    for plain Bradley-Terry. Outcomes of one question (`_one_cluster`) give no intervals: the P(win) and
    coefficient bounds are NaN, as the ratings' are."""
    from judgebench.ratings import style

    counts = pair_counts(coded)
    ridge = _ridge(counts, options)
    covariates = style.Covariates.of(coded)  # its own errors (no style counts) as they are
    with _style_fit_errors(counts, lambda: style.separating_features(coded, covariates, strengths=not ridge)):
        fit = style.fit(coded, covariates, regularization=ridge)
    m = coded.n_models
    estimate = bt.to_elo(fit.strengths[None, :], anchor, options.anchor_rating, options.scale)[0]
    extra: dict[str, Any] = {"log_likelihood": fit.log_likelihood, "iterations": fit.iterations,
                             "regularization": ridge, "style_features": list(fit.covariates.names),
                             "style_features_dropped": list(fit.covariates.dropped)}
    caveats: list[str] = []
    one_question = _one_cluster(options, coded.n_questions)
    if options.interval == "bootstrap":
        if one_question:
            theta, extra["replicates_regularised"] = _one_question_replicates(fit.params, counts, options.rounds)
        else:
            weights = iv.question_weights(coded.n_questions, options.rounds, np.random.default_rng(options.seed))
            separation = iv.question_separation(coded, weights, anchor)
            theta, unbounded = style.fit_replicates(fit, coded, weights, separated=separation.replicates)
            extra["replicates_regularised"] = int((separation.replicates | unbounded.any(axis=1)).sum())
            extra["replicates_style_unbounded"] = int(unbounded.any(axis=1).sum())
            caveats += style.unbounded_warning(unbounded, fit.covariates.names, options.confidence)
            if not ridge:
                caveats += _separation_warning(separation, coded.models, replace(options, resample="questions"),
                                               None if anchor is None else coded.models[anchor], fit.strengths)
        samples = bt.to_elo(theta[:, :m], anchor, options.anchor_rating, options.scale)
        lower, upper = iv.percentile_interval(samples, options.confidence)
        better = iv.better_from_samples(samples, options.confidence)
        coef_lower, coef_upper = (np.full((2, theta.shape[1] - m), np.nan) if one_question
                                  else iv.percentile_interval(theta[:, m:], options.confidence))
    else:
        covariance = style.sandwich_covariance(fit, coded)
        degrees_of_freedom = coded.n_questions - 1
        contrasts = bt.contrast_matrix(bt.Layout(m), anchor)
        factor = options.scale / math.log(10.0)
        rating_covariance = factor ** 2 * (contrasts @ covariance[:m, :m] @ contrasts.T)
        lower, upper = iv.normal_interval(estimate, np.sqrt(np.maximum(np.diag(rating_covariance), 0.0)),
                                          options.confidence, degrees_of_freedom)
        better = iv.better_from_covariance(estimate, rating_covariance, options.confidence, degrees_of_freedom)
        coef_lower, coef_upper = iv.normal_interval(fit.coefficients, np.sqrt(np.diag(covariance)[m:]),
                                                    options.confidence, degrees_of_freedom)
        samples = None
        extra["degrees_of_freedom"] = degrees_of_freedom
    extra["style_coefficients"] = style.coefficient_table(fit.covariates.names, fit.coefficients, coef_lower,
                                                          coef_upper)
    reference = baseline if baseline is not None else anchor
    contrasts = np.eye(m) - (np.eye(m)[reference] if reference is not None else 1.0 / m)  # beta_k - beta_reference
    probabilities = {"win_probability": bt.expected_score(contrasts @ fit.strengths)}
    if one_question:  # every replicate is the data: the bounds would be the estimate, a certainty not measured
        ends = (np.full(m, np.nan), np.full(m, np.nan))
    elif options.interval == "bootstrap":
        ends = iv.percentile_interval(theta[:, :m] @ contrasts.T, options.confidence)
    else:
        spread = np.sqrt(np.maximum(np.diag(contrasts @ covariance[:m, :m] @ contrasts.T), 0.0))
        ends = iv.normal_interval(contrasts @ fit.strengths, spread, options.confidence, degrees_of_freedom)
    # the reference's own P(win) is 1/2 by definition: no interval
    probabilities["win_probability_lower"], probabilities["win_probability_upper"] = (
        np.where(np.arange(m) == reference, np.nan, bt.expected_score(end)) for end in ends)
    return _Ratings(estimate, lower, upper, samples, better, probabilities, extra, caveats=caveats)


# The weak ridge `regularization=None` ("auto") falls back to when maximum-likelihood ratings do not exist
# (some model won, or lost, every comparison): ratings stay finite, far apart, and the meta says why.
AUTO_RIDGE = bt.AUTO_RIDGE


def auto_ridge_warning(ridge: float, unbounded: str) -> str:
    """The warning a leaderboard's meta carries when its ratings needed the automatic ridge (AUTO_RIDGE) that
    nobody asked for, naming the models concerned (`bt.unbounded_groups`): every output that shows the meta's
    warnings (terminal, leaderboard.md, the report) says it, the same from the CLI and from Python (so it names
    no flag). The distance between the groups is the ridge's: the likelihood keeps rising as they move apart, so
    another ridge moves them, intervals and all (with a tenth of the ridge, a model that won all 20 of its games
    rose by about 350 Elo points, its interval 15 points wide); ratings within a group are estimates."""
    return (f"maximum-likelihood ratings do not exist ({unbounded}); ratings use a weak ridge ({ridge:g}), which "
            "alone sets how far apart those groups stand: that distance is not an estimate (another regularization "
            "moves the ratings and intervals of the groups apart or together); a win across it gives finite ones")


@contextmanager
def _style_fit_errors(counts: PairCounts, separating: Callable[[], tuple[str, ...]]) -> Iterator[None]:
    """A style-controlled fit that has no finite solution, as one InputError. The ridge holds only the models'
    strengths; where some model won or lost every comparison, a style feature that tells the winners' answers
    from the losers' (the better models wrote longer ones) takes up what the ridge holds back and grows without
    bound, and the fit's information becomes singular (the plain fit of the same outcomes exists, ridged).
    Where every model won and lost, the features that separate the verdicts (`separating`, found when needed:
    `style.separating_features`) are named. Without a ridge (`regularization = 0`) the plain fit that starts it
    may not exist: that asks for a ridge, as a plain fit does (`_needs_a_ridge`)."""
    try:
        yield
    except bt.NoMaximumLikelihood as error:
        raise _needs_a_ridge(error) from None
    except (np.linalg.LinAlgError, bt.NotConverged) as error:  # the plain fit's own errors say what they are
        unbounded = bt.unbounded_groups(counts)
        if unbounded:
            why = (f"some models won or lost every comparison ({unbounded}), so a style feature can explain their "
                   "verdicts without limit")
            more = "judge more games so that every model wins and loses some"
        else:
            names = separating()
            which = (f"{first_few(names, 4)} {'tells' if len(names) == 1 else 'tell'} every winner's answer from "
                     f"the loser's where {'it is' if len(names) == 1 else 'they are'} not zero" if names
                     else "a feature that tells every winner's answer from the loser's")
            why = f"the style features explain the verdicts exactly ({which})"
            more = "judge more games" + (" with answers that have those features" if names else "")
        raise InputError(f"style control has no finite fit here: {why}; rate without style control "
                         f"({how_to_turn_off('style_control')}), or {more}") from error


def _ridge(counts: PairCounts, options: _Options) -> float:
    """The options' ridge penalty; `None` means plain maximum likelihood where it exists, else AUTO_RIDGE."""
    return options.regularization if options.regularization is not None else bt.automatic_ridge(counts)


def _fit(counts: PairCounts, options: _Options, held_position: float | None = None) -> bt.BradleyTerryFit:
    """Bradley-Terry fit with the options' ridge (`_ridge`), the first-position effect fitted as the options say
    or held at `held_position`; Davidson's tie model without both ties and decisive outcomes is refused naming
    the setting that counts ties half."""
    try:
        return bt.fit(counts, position_effect=options.position_effect and held_position is None, ties=options.ties,
                      regularization=_ridge(counts, options), held_position=held_position)
    except bt.TiesUnmodelled as error:
        raise InputError(f"{error}: count each tie as half a win instead ({how_to_set('ties', 'half')})") from None
    except bt.NoMaximumLikelihood as error:
        raise _needs_a_ridge(error) from None


def _needs_a_ridge(error: bt.NoMaximumLikelihood) -> InputError:
    """`error` (plain maximum likelihood asked where it does not exist) with its remedies, the ridge named as the
    user sets it: `--regularization` is `leaderboard`'s flag, `[ratings] regularization` a run's setting."""
    return InputError(f"{error}; set a ridge penalty ({how_to_set('regularization', '0.01')}) or add comparisons")


def _parameter_intervals(fit: bt.BradleyTerryFit, theta: np.ndarray | None, covariance: np.ndarray | None,
                         options: _Options, degrees_of_freedom: float) -> dict:
    """Position effect and tie ratio with their intervals, for the meta.

    The interval is the leaderboard's (bootstrap percentiles, or the clustered sandwich), except where that
    collapses to a point (`intervals.uncollapsed`), as it does for the position effect of a judge whose two
    orders always agree (each pair's two games cancel: the cluster scores are 0, and every bootstrap replicate
    fits 0): the entry then gives the model-based interval and a `note` saying so.
    """
    out: dict[str, Any] = {}
    layout = fit.layout
    for name, index, present in (("position_effect", layout.gamma, layout.position),
                                 ("tie_ratio", layout.log_nu, layout.davidson)):
        if not present:
            continue
        value = float(fit.params[index])
        if theta is not None:
            bounds = iv.percentile_interval(theta[:, index], options.confidence)
        else:
            assert covariance is not None  # one of the two is given
            bounds = iv.normal_interval(value, math.sqrt(max(covariance[index, index], 0.0)), options.confidence,
                                        degrees_of_freedom)
        lo, hi, replaced = iv.uncollapsed(float(bounds[0]), float(bounds[1]), value, float(fit.inverse[index, index]),
                                          options.confidence)
        note = None
        if replaced:
            note = (f"the {options.interval} interval over {options.resample} has zero width (each "
                    f"{'question' if options.resample == 'questions' else 'judgment'}'s games balance exactly, as "
                    "those of a judge whose two orders always agree do): shown is the model-based interval "
                    "(inverse information, games taken as independent)")
        if name == "position_effect":
            factor = options.scale / math.log(10.0)
            out[name] = {"log_odds": value, "lower": lo, "upper": hi,
                         "first_win_probability": float(bt.expected_score(np.array(value))),
                         "first_win_probability_lower": float(bt.expected_score(np.array(lo))),
                         "first_win_probability_upper": float(bt.expected_score(np.array(hi))),
                         "elo_points": factor * value}
        else:
            out[name] = {"nu": math.exp(value), "lower": math.exp(lo), "upper": math.exp(hi)}
        if note is not None:
            out[name]["note"] = note
    return out


def _online_elo(coded: CodedOutcomes, anchor: int | None, options: _Options) -> _Ratings:
    """Online Elo in stored order (FastChat's `compute_elo`); the interval is a bootstrap in which every replicate
    also takes its games in a random order (FastChat's arena notebook), which `_interval_label` states: it
    measures the order dependence of online Elo as well as sampling, so it is wider than Bradley-Terry's."""
    settings = dict(k=options.k, initial=options.anchor_rating, scale=options.scale)
    estimate = elo.online_elo(coded.model_a, coded.model_b, coded.score_a, coded.n_models, weight=coded.weight,
                              **settings)
    rng = np.random.default_rng(options.seed)
    sequences = elo.bootstrap_sequences(coded, options.rounds, rng, options.resample)
    samples = elo.online_elo_replicates(coded, sequences, **settings)
    if anchor is not None:
        estimate = estimate - estimate[anchor] + options.anchor_rating
        samples = samples - samples[:, [anchor]] + options.anchor_rating
    lower, upper = iv.percentile_interval(samples, options.confidence)
    return _Ratings(estimate, lower, upper, samples, iv.better_from_samples(samples, options.confidence),
                    extra={"k": options.k}, caveats=_outside_own_interval(coded.models, estimate, lower, upper)
                    + _unsettled(coded, anchor, options))


def _unsettled(coded: CodedOutcomes, anchor: int | None, options: _Options) -> list[str]:
    """A warning naming the models (the anchor, fixed by definition, left out) whose pairs are too few for
    online Elo to have settled on any board (`elo.settling_games`): their ratings, and the intervals of replicates
    with as few pairs, still lie between the starting rating and their level. With K = 4 and 60 pairs a model
    that beat the baseline 59% of the time rated below it, inside an interval as shrunk, and no other warning
    said why. Counted in pairs (outcomes, one update each), the table's unit: it said "88 games" of models that
    played 176, 88 pairs in both orders."""
    played = (np.bincount(coded.model_a, coded.weight, coded.n_models)
              + np.bincount(coded.model_b, coded.weight, coded.n_models))
    needed = elo.settling_games(options.k, scale=options.scale)
    few = [k for k in np.flatnonzero(played < needed) if k != anchor]
    if not few:
        return []
    fewest, most = f"{played[few].min():g}", f"{played[few].max():g}"
    counts = fewest if fewest == most else f"{fewest} to {most}"
    share = elo.settling_share(options.k, scale=options.scale)
    return [f"online Elo (K-factor {options.k:g}) had too few pairs to settle for "
            f"{first_few([coded.models[k] for k in few], 4)} ({counts} pairs, each one update whether judged in one "
            f"order or two, where no board closes three quarters of the gap between a rating's start and the "
            f"model's level in fewer than {needed}: a pair closes at most {share:.2%} of it): their ratings and "
            f"intervals lie between that start and their level; Bradley-Terry ({how_to_set('method', 'bt')}) "
            "takes every pair at its full weight, however few"]


def _outside_own_interval(models: tuple[str, ...], estimate: np.ndarray, lower: np.ndarray,
                          upper: np.ndarray) -> list[str]:
    """A warning naming the models whose online Elo (the games in stored order) lies outside their own interval
    (replicates in random orders): llmfao rated with --method elo put 7 of 59 there, as if a mistake."""
    slack = _rounding_slack(estimate)
    outside = [models[k] for k in np.flatnonzero((estimate < lower - slack) | (estimate > upper + slack))]
    if not outside:
        return []
    return [f"the online Elo ratings of {first_few(outside, 4)} lie outside their intervals: each rating takes the "
            "games in their stored order, while its interval spreads over random orders, and online Elo depends on "
            f"the order (Bradley-Terry, {how_to_set('method', 'bt')}, does not)"]


def _rounding_slack(estimate: np.ndarray) -> np.ndarray:
    """How far each rating may lie outside its interval by rounding alone (relative 1e-9 of its scale): a
    rating further out lies truly outside."""
    return 1e-9 * np.maximum(1.0, np.abs(estimate))


def _win_rates(coded: CodedOutcomes, baseline: int, options: _Options,
               unvarying: Mapping[int, tuple[float, int, float, float]]) -> _Ratings:
    """Rating = win rate against the baseline (fraction: the weighted mean of the scores, as a Bradley-Terry fit
    against the baseline alone gives it); interval from the question (or judgment) bootstrap, or the clustered
    sandwich with a t quantile, of that weighted mean (`ratings.winrate`), except for the models with the same
    score on every question (`unvarying`: `_unvarying_win_rates`), whose interval is Wilson's and whose
    differences from the others are significant only where the two intervals do not overlap (a zero-width
    interval made every such difference significant: two models that won every question of 4 and 3 of 4 ranked
    1 and 2)."""
    from judgebench.ratings import winrate

    model, score, question, weight = _against(coded, baseline)
    m = coded.n_models
    estimate = winrate.win_rates(model, score, m, weight)
    estimate[baseline] = 0.5
    extra: dict[str, Any] = {}
    if options.interval == "bootstrap":
        rng = np.random.default_rng(options.seed)
        samples = winrate.win_rate_samples(model, score, question, m, coded.n_questions, options.resample,
                                           options.rounds, rng, weight)
        samples[:, baseline] = 0.5
        with warnings.catch_warnings():  # a model without games against the baseline: all-NaN column
            warnings.simplefilter("ignore", RuntimeWarning)
            lower, upper = np.nanpercentile(samples, [50 - 50 * options.confidence, 50 + 50 * options.confidence],
                                            axis=0)
        better = iv.better_from_samples(samples, options.confidence)
    else:
        clusters = question if options.resample == "questions" else np.arange(len(model))
        n_clusters = int(clusters.max()) + 1
        covariance = winrate.win_rate_covariance(model, score, clusters, n_clusters, m, weight)
        covariance[baseline, :] = covariance[:, baseline] = 0.0
        se = np.sqrt(np.diag(covariance))
        # Each model's t has its own clusters' degrees of freedom, a pair's the fewer of the two (all questions'
        # made a model judged on 20 of 400 questions' interval too narrow: 92% coverage instead of 94%, measured
        # in tests/test_winrate.py).
        own = winrate.clusters_per_model(model, clusters, n_clusters, m, weight)
        own[baseline] = own.max()
        df = np.maximum(own - 1, 1).astype(float)
        lower, upper = (np.clip(end, 0.0, 1.0) for end in  # a rate's t interval can pass 0 or 1: its ends cannot
                        iv.normal_interval(estimate, se, options.confidence, df))
        better = iv.better_from_covariance(estimate, covariance, options.confidence, np.minimum.outer(df, df))
        samples = None
        judged = df[(own > 0) & (np.arange(m) != baseline)] if (own > 0).any() else df
        extra["degrees_of_freedom"] = int(judged.min())  # the fewest, as the one of a Bradley-Terry sandwich
        if judged.max() > judged.min():
            extra["degrees_of_freedom_most"] = int(judged.max())
    for k, (_, _, wilson_lower, wilson_upper) in unvarying.items():
        lower[k], upper[k] = wilson_lower, wilson_upper
    for k in unvarying:
        better[k, :] &= lower[k] > upper
        better[:, k] &= lower > upper[k]
    return _Ratings(estimate, lower, upper, samples, better, extra=extra)


def _unvarying_win_rates(coded: CodedOutcomes, baseline: int, options: _Options
                         ) -> dict[int, tuple[float, int, float, float]]:
    """The models with the same score on every outcome against the baseline (all won: win rate 1; all lost: 0;
    all tied, or one grade of a five-level template everywhere: 0.5, 0.75, ...), as {model: (win rate, n, lower,
    upper)}: n counts the questions they were judged on against it (the outcomes, when judgments are resampled),
    lower and upper are Wilson's score interval at that rate over those n (Wilson 1927, "Probable inference, the
    law of succession, and statistical inference", as
    `diagnostics.clustered_rate` gives it where the scores do not vary). Their scores' standard deviation is 0, so
    AlpacaEval's standard error, the bootstrap and the sandwich all give zero width, a certainty that n games do
    not give: the leaderboard leaves their SE out and, for method winrate, gives them Wilson's interval (91.2% to
    100% for 40 wins of 40). It takes each question as won or lost, the widest spread a score in [0, 1] with that
    mean can have, so for a score between 0 and 1 it errs wide."""
    model, score, question, weight = _against(coded, baseline)
    found = {}
    for k in np.unique(model[weight > 0]):
        scores = score[(model == k) & (weight > 0)]
        if np.all(scores == scores[0]):
            units = question[(model == k) & (weight > 0)]
            n = np.unique(units).size if options.resample == "questions" else units.size
            rate = diagnostics.clustered_rate(np.full(n, scores[0]), np.ones(n), np.arange(n), options.confidence)
            assert rate.lower is not None and rate.upper is not None  # n >= 1: a rate with data has its interval
            found[int(k)] = (float(scores[0]), n, rate.lower, rate.upper)
    return found


def _unvarying_warning(coded: CodedOutcomes, baseline: int, unvarying: dict[int, tuple[float, int, float, float]],
                       options: _Options) -> list[str]:
    """The warning that names the models with the same score on every outcome against the baseline, with
    Wilson's interval of each (`_unvarying_win_rates`)."""
    from judgebench.present import counted

    level = f"{100 * options.confidence:g}%"
    unit = "question" if options.resample == "questions" else "outcome"
    shown = [f"{coded.models[k]} {100 * rate:.0f}% of {counted(n, unit)}, {100 * lower:.1f}% to {100 * upper:.1f}%"
             for k, (rate, n, lower, upper) in unvarying.items()]
    if not shown:
        return []
    interval = "their interval" if options.method == "winrate" else "the interval of their win rate"
    return [f"the same score on every pair against the baseline {coded.models[baseline]}: {first_few(shown, 6)} "
            f"({interval}: Wilson's {level} score interval, where a bootstrap or sandwich interval has zero width; "
            "it counts each question as won or lost, so for a score between 0 and 1, such as a tie, it errs wide); "
            "their win rate SE is n/a, not 0: the standard deviation of identical scores is 0 however many there are"]


def _against(coded: CodedOutcomes, baseline: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows against the baseline seen from the other model: (model, score, question, weight)."""
    as_b = coded.model_b == baseline
    as_a = coded.model_a == baseline
    model = np.where(as_b, coded.model_a, coded.model_b)[as_a | as_b]
    score = np.where(as_b, coded.score_a, 1.0 - coded.score_a)[as_a | as_b]
    return model, score, coded.question[as_a | as_b], coded.weight[as_a | as_b]


# --- per-model figures ------------------------------------------------------------------------------------


def _model_figures(coded: CodedOutcomes, baseline: int | None,
                   answer_lengths: Mapping[str, float] | None) -> dict[str, np.ndarray]:
    m = coded.n_models
    a, b, s, w = coded.model_a, coded.model_b, coded.score_a, coded.weight
    n_games = np.bincount(a, minlength=m) + np.bincount(b, minlength=m)
    both, split = _split_pairs(coded)
    win_a, loss_a, tie = (s > 0.5) & ~split, (s < 0.5) & ~split, (s == 0.5) & ~split
    figures: dict[str, np.ndarray] = {
        "n_games": n_games,
        "n_wins": np.bincount(a, win_a, m) + np.bincount(b, loss_a, m),
        "n_losses": np.bincount(a, loss_a, m) + np.bincount(b, win_a, m),
        "n_ties": np.bincount(a, tie, m) + np.bincount(b, tie, m),
        "n_split": np.where(np.bincount(a, both, m) + np.bincount(b, both, m) > 0,
                            np.bincount(a, split, m) + np.bincount(b, split, m), np.nan),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        if baseline is not None:
            from judgebench.ratings.winrate import win_rates

            model, score, _, weight = _against(coded, baseline)
            rate = win_rates(model, score, m, weight)
            rate[baseline] = 0.5
        else:
            rate = (np.bincount(a, w * s, m) + np.bincount(b, w * (1 - s), m)) / (
                np.bincount(a, w, m) + np.bincount(b, w, m))
        figures["win_rate"] = rate
        figures["position_consistency"] = (
            np.full(m, np.nan) if coded.p_ab is None or coded.p_ba is None
            else diagnostics.model_position_consistency(coded.model_a, coded.model_b, coded.p_ab, coded.p_ba, m))
        figures["avg_length"] = _average_lengths(coded, answer_lengths)
    return figures


def _split_pairs(coded: CodedOutcomes) -> tuple[np.ndarray, np.ndarray]:
    """(judged in both orders, split) per outcome: a split pair's two orders picked opposite answers (the
    first-shown answer won both times, say), so the position decided it, not the answers: it is neither won, lost
    nor tied, whatever the mean of its verdicts scores (0.5 for two plain verdicts; 0.52 for probabilities 0.92 and
    0.12 of a logprob template, which counted it won: the quickstart showed 13 of 60 pairs split where its judge
    split all 60). Without per-order verdicts no pair is known to be split."""
    if coded.p_ab is None or coded.p_ba is None:
        nothing = np.zeros(len(coded), dtype=bool)
        return nothing, nothing
    both = np.isfinite(coded.p_ab) & np.isfinite(coded.p_ba)
    opposite = both & (np.abs(discrete(coded.p_ab) - discrete(coded.p_ba)) == 1.0)
    return both, opposite


def _average_lengths(coded: CodedOutcomes, answer_lengths: Mapping[str, float] | None) -> np.ndarray:
    m = coded.n_models
    if answer_lengths is not None:
        return np.array([float(answer_lengths.get(name, np.nan)) for name in coded.models])
    if coded.length_a is None and coded.length_b is None:
        return np.full(m, np.nan)
    total, count = np.zeros(m), np.zeros(m)
    for side, lengths in ((coded.model_a, coded.length_a), (coded.model_b, coded.length_b)):
        if lengths is None:
            continue
        known = np.isfinite(lengths)
        total += np.bincount(side[known], lengths[known], m)
        count += np.bincount(side[known], minlength=m)
    return total / count


def _baseline_figures(coded: CodedOutcomes, baseline: int) -> dict[str, np.ndarray]:
    """AlpacaEval's head-to-head figures against the baseline (`ratings.winrate`), per model, the outcomes
    weighted as the win rate weighs them (AlpacaEval's weights are all 1), the standard error clustered by
    question (AlpacaEval's own where each question has one outcome, as its annotations do).

    The baseline's own row is the same under every method: its win rate against itself is 0.5 by definition,
    with standard error 0 (the zero-width interval of the anchor), and so is its discrete win rate; it has no
    count of draws against itself (None), and its game counts (`_model_figures`) are the games it really played
    against the other models. AlpacaEval's leaderboard instead shows the baseline as drawing against itself on
    every instruction, counts that no judge produced.
    """
    from judgebench.ratings.winrate import win_rate_vs_baseline

    m = coded.n_models
    model, score, question, weight = _against(coded, baseline)
    keys = ("win_rate_se", "discrete_win_rate", "n_draws")
    figures = {key: np.full(m, np.nan) for key in keys}
    for k in np.unique(model):
        summary = win_rate_vs_baseline(score[model == k], weight[model == k], question[model == k])
        figures["win_rate_se"][k] = summary["standard_error"]
        figures["discrete_win_rate"][k] = summary["discrete_win_rate"]
        figures["n_draws"][k] = summary["n_draws"]
    figures["win_rate_se"][baseline] = 0.0
    figures["discrete_win_rate"][baseline] = 0.5
    return figures


def _length_controlled(coded: CodedOutcomes, baseline: int, lc_weights: Any, instruction_difficulty: Any,
                       confidence: float) -> tuple[dict[str, np.ndarray], _Ranking]:
    """AlpacaEval 2.0's length-controlled win rate and its standard error from the published GLM weights, and
    the ranking by it (AlpacaEval 2.0 ranks by it): model i is significantly better than model j when the t
    interval of lc_i - lc_j lies above 0, its standard error from the covariance over instructions of the
    GLM's per-instruction predictions (`winrate.win_rate_covariance`; its diagonal is AlpacaEval's LC SE
    squared), the weights taken as known, as AlpacaEval's LC SE takes them. A model without weights has no
    length-controlled win rate and no rank."""
    from judgebench.ratings.winrate import (
        length_controlled_predictions,
        length_controlled_standard_error,
        length_controlled_win_rate,
        win_rate_covariance,
    )

    if lc_weights is None or instruction_difficulty is None:
        raise ConfigError(f"length control needs both {how_to_set('lc_weights', 'FILE', option=True)} and "
                          f"{how_to_set('instruction_difficulty', 'FILE', option=True)} (AlpacaEval's published "
                          "lc_weights.csv and instruction_difficulty.csv)")
    base_name = coded.models[baseline]
    if base_name not in lc_weights.index:
        raise ConfigError(f"the length-control weights have no row for the baseline '{base_name}': use the weights "
                          "published for this baseline")
    m = coded.n_models
    figures = {"lc_win_rate": np.full(m, np.nan), "lc_win_rate_se": np.full(m, np.nan)}
    model, _, question, _ = _against(coded, baseline)
    question_ids = np.asarray(coded.questions, dtype=object).astype(str)
    predicted: list[tuple[int, np.ndarray, np.ndarray]] = []  # (model, its questions, the GLM's predictions)
    for k in [*np.unique(model), baseline]:
        name = coded.models[k]
        if name not in lc_weights.index:
            continue
        questions = np.unique(question[model == k]) if k != baseline else np.unique(question)
        ids = question_ids[questions]
        missing = [q for q in ids if q not in instruction_difficulty.index]
        if missing:
            raise InputError(f"no instruction difficulty for question '{missing[0]}' ({len(missing)} missing)",
                             hint="use the instruction_difficulty.csv of the same benchmark")
        difficulty = instruction_difficulty.loc[ids].to_numpy(dtype=float)
        weights, base = lc_weights.loc[name], lc_weights.loc[base_name]
        figures["lc_win_rate"][k] = length_controlled_win_rate(weights, difficulty, base)
        figures["lc_win_rate_se"][k] = length_controlled_standard_error(weights, difficulty, base)
        predicted.append((k, questions, length_controlled_predictions(weights, difficulty, base)))
    covariance = win_rate_covariance(np.concatenate([np.full(len(q), k) for k, q, _ in predicted]),
                                     np.concatenate([p for _, _, p in predicted]),
                                     np.concatenate([q for _, q, _ in predicted]), coded.n_questions, m)
    better = iv.better_from_covariance(figures["lc_win_rate"], covariance, confidence, coded.n_questions - 1)
    ranking = _Ranking("lc_win_rate", figures["lc_win_rate"], better,
                       "no rank: no length-controlled win rate (the LC weights have no row for this model)")
    return figures, ranking


def _unweighted_models_warning(coded: CodedOutcomes, lc_weights: Any) -> list[str]:
    """The models the length-control weights have no row for, which the table ranked by LC win rate lists after the
    others without a rank or an LC win rate: the terminal said nothing of why (the CSV's rank_note alone did)."""
    missing = [name for name in coded.models if name not in lc_weights.index]
    if not missing:
        return []
    names = ", ".join(missing)
    return [f"no length-controlled win rate for {names}: the LC weights have no row for "
            f"{'it' if len(missing) == 1 else 'them'}, so the table, ranked by LC win rate, lists "
            f"{'it' if len(missing) == 1 else 'them'} last, without a rank (AlpacaEval publishes weights for the "
            f"models of its leaderboard: rank by win rate without {setting_name('lc_weights', option=True)}, or give "
            "weights with a row for each model)"]


# --- assembling, meta, files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ranking:
    """What orders and ranks the models instead of their rating (the length-controlled win rate, as AlpacaEval
    2.0 ranks): `name`, the model field; `values` (M,), NaN for a model it does not rank (`missing` says why);
    `better` (M, M), as `_Ratings.better`."""

    name: str
    values: np.ndarray
    better: np.ndarray
    missing: str


def _assemble(coded: CodedOutcomes, ratings: _Ratings, figures: dict[str, np.ndarray], meta: dict,
              ranking: _Ranking | None = None, unmeasured: np.ndarray | None = None) -> Leaderboard:
    """The leaderboard: models best first by their rating, or by `ranking` (then by rating) when given; ranks and
    the meta's separability from the same one. `unmeasured` models (judged on one question) are ranked apart
    from none."""
    rated = np.isfinite(ratings.estimate)
    key, better = (ratings.estimate, ratings.better) if ranking is None else (ranking.values, ranking.better)
    group = bt.comparison_groups(pair_counts(coded))
    better = better & (group[:, None] == group[None, :])  # never compared, even through others: no order
    if unmeasured is not None:
        better = better & ~unmeasured[:, None] & ~unmeasured[None, :]
    defined = np.isfinite(key)
    rank = iv.ranks(better, defined)
    order = _row_order(coded.models, key, rank, ratings.estimate)
    note = np.array([None if ok else "no rating: no outcomes against the baseline" if not has_rating
                     else ranking.missing if ranking is not None else None
                     for ok, has_rating in zip(defined, rated, strict=True)], dtype=object)
    # Percentile ends of replicates that all fit one value (ratings held by the ridge) differ from the estimate by
    # rounding alone, on either side (rating 24.668194571036338, upper 24.66819457103611): such an end is moved
    # onto its rating. A real gap stays: online Elo's rating (stored order) can lie outside the percentiles of its
    # replicates (random orders), and an end moved there would be a percentile of nothing.
    estimate = ratings.estimate
    slack = _rounding_slack(estimate)
    lower = np.where((ratings.lower > estimate) & (ratings.lower <= estimate + slack), estimate, ratings.lower)
    upper = np.where((ratings.upper < estimate) & (ratings.upper >= estimate - slack), estimate, ratings.upper)
    columns = {"rating": estimate, "lower": lower, "upper": upper, "rank": rank,
               **ratings.probabilities, **figures, "rank_note": note}
    models = []
    for k in order:
        entry: dict[str, Any] = {"model": coded.models[k]}
        for name in MODEL_FIELDS[1:]:
            values = columns.get(name)
            if values is None or (name == "rank_note" and values[k] is None):
                continue
            entry[name] = _model_value(values[k], integer=name.startswith("n_") or name == "rank")
        models.append(entry)
    samples = ratings.samples[:, order] if ratings.samples is not None else None
    covariance = ratings.covariance[np.ix_(order, order)] if ratings.covariance is not None else None
    meta["separability"] = json_safe(iv.separability(better, defined))
    return Leaderboard(models=models, meta=meta, samples=samples, covariance=covariance)


def _row_order(models: tuple[str, ...], key: np.ndarray, rank: np.ndarray, estimate: np.ndarray) -> list[int]:
    """The board's rows, best first: by `key` (the rating, or what ranks instead), models whose keys are equal
    (within `intervals.rounding_noise`) by rank, then by rating, then by name. Models with identical records get
    equal ratings yet can rank apart (their wins fell on other questions, so their differences from a third model
    vary differently); ordered by name or by the last digit of float noise, a rank 2 was listed above the rank 1
    of the same rating."""
    level, rating = _settled(key), _settled(estimate)
    settled_rank = np.where(np.isfinite(rank), rank, math.inf)
    return sorted(range(len(models)), key=lambda k: (-level[k], settled_rank[k], -rating[k], models[k]))


def _settled(values: np.ndarray) -> np.ndarray:
    """`values` with each run of values equal within `intervals.rounding_noise` (in sorted order, each within the
    noise of the next) set to the run's largest; -inf where not finite."""
    values = np.asarray(values, dtype=float)
    settled = np.full(values.shape, -math.inf)
    finite = np.flatnonzero(np.isfinite(values))
    if not finite.size:
        return settled
    noise = iv.rounding_noise(values)
    descending = finite[np.argsort(-values[finite], kind="stable")]
    level = values[descending[0]]
    for position, k in enumerate(descending):
        if position and values[descending[position - 1]] - values[k] > noise:
            level = values[k]
        settled[k] = level
    return settled


def _meta(coded: CodedOutcomes, options: _Options, ratings: _Ratings, dropped: int, anchor: str | None) -> dict:
    from judgebench import __version__

    bootstrap = options.interval == "bootstrap"
    meta: dict[str, Any] = {
        "method": options.method,
        "interval": options.interval,
        "resample": options.resample,
        "confidence": options.confidence,
        "rounds": options.rounds if bootstrap else None,
        "seed": options.seed,  # the bootstrap's, and the run's (random-one orders) when a run wrote it
        "interval_label": ONE_QUESTION_LABEL if _one_cluster(options, coded.n_questions) else _interval_label(
            options, ratings.extra.get("degrees_of_freedom"), ratings.extra.get("degrees_of_freedom_most")),
        "baseline": options.baseline,
        "anchor": anchor if options.method != "winrate" else None,
        "anchor_rating": options.anchor_rating if options.method != "winrate" else None,
        "scale": options.scale if options.method != "winrate" else None,
        "ties": options.ties,
        "style_control": options.style_control,
        "regularization": options.regularization,
        "n_models": coded.n_models,
        "n_outcomes": len(coded),
        "n_questions": coded.n_questions,
        "self_pairs_dropped": dropped,
        "judgebench_version": __version__,
    }
    if options.method != "winrate":
        meta["anchor_interval"] = (f"{anchor}'s rating is fixed at {options.anchor_rating:g} by definition (zero-width "
                                   "interval); ranks and separability use rating differences and do not depend on it"
                                   if anchor is not None else None)
        meta["rating_label"] = _rating_label(options, anchor)
    if options.method == "bt":
        reference = _reference_name(options, anchor)
        meta["win_probability_label"] = ("style-adjusted " if options.style_control else "") + (
            f"P(win) and P(tie): Davidson's tie model's predicted probabilities of beating and of tying {reference}; "
            "expected score = P(win) + P(tie) / 2" if options.ties == "davidson"
            else f"P(win): the predicted probability of beating {reference}, ties counted half (so also the "
                 "expected score)") + (f", in brackets its {options.confidence:.0%} interval" if options.style_control
                                       and not _one_cluster(options, coded.n_questions) else "")

    warnings_list = []
    if options.resample == "questions" and coded.n_questions < FEW_QUESTIONS and not _one_cluster(
            options, coded.n_questions):  # one question: no intervals at all (`_one_question`)
        warnings_list.append(few_questions_warning(coded.n_questions))
    automatic_ridge = options.regularization is None and bool(ratings.extra.get("regularization"))
    unlinked = bt.unlinked_groups(pair_counts(coded))
    if unlinked:
        warnings_list.append(f"no comparison links these groups of models, directly or through others ({unlinked}): "
                             "ratings of different groups cannot be compared (their distance is set by the fit, not "
                             "the data), and ranks and separability count a model better than another of its own "
                             "group only")
    unbounded = bt.unbounded_groups(pair_counts(coded)) if automatic_ridge else ""
    if unbounded:  # else the ridge only holds apart groups no comparison links, which the warning above says
        warnings_list.append(auto_ridge_warning(ratings.extra["regularization"], unbounded))
    position_bound = diagnostics.position_bound_warning(coded.p_ab, coded.p_ba, coded.question)
    if position_bound:
        warnings_list.append(position_bound)
    meta["warnings"] = warnings_list + ratings.caveats
    meta["regularization_automatic"] = automatic_ridge
    meta.update(diagnostics.judge_figures(coded.p_ab, coded.p_ba))
    meta.update(json_safe(ratings.extra))
    return meta


def refit_options(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The `build` options a leaderboard's meta (leaderboard.json's, written by `_meta`) records, so that a refit
    of the same outcomes gives the same ratings (the HTML report refits for the bootstrap replicates): the
    rating settings, whether a position effect was fitted (its fitted value is in the meta), and an adaptive
    run's design-bias correction (meta.adaptive.design_bias). Settings the meta does not give keep `build`'s
    defaults. An anchor that is the baseline is `build`'s default, not a choice (the meta records the model the
    ratings were anchored at, whichever): it is left to `build`, so a refit with another baseline anchors there,
    while an anchor chosen apart from the baseline stays."""
    names = ("method", "interval", "resample", "confidence", "rounds", "seed", "baseline", "anchor", "anchor_rating",
             "scale", "ties", "regularization", "style_control")
    options: dict[str, Any] = {name: meta[name] for name in names if meta.get(name) is not None}
    if options.get("anchor") == options.get("baseline"):  # the baseline's anchoring, which `build` does anyway
        options.pop("anchor", None)
    if meta.get("regularization_automatic"):  # chosen by the fit, not asked for: the refit chooses it again
        options.pop("regularization", None)
    if meta.get("k") is not None:  # online Elo's K-factor
        options["k"] = meta["k"]
    options["position_effect"] = isinstance(meta.get("position_effect"), Mapping)
    recorded = DesignBias.recorded(meta.get("adaptive"))
    if recorded is not None:
        options["design_bias"] = recorded
    return options


def _reference_name(options: _Options, anchor: str | None) -> str:
    """The model the Bradley-Terry probabilities are against: the baseline, else the anchor, else the average."""
    if options.baseline is not None:
        return f"the baseline {options.baseline}"
    return anchor or f"a model of average rating ({options.anchor_rating:g})"


def _rating_label(options: _Options, anchor: str | None) -> str:
    """What a rating of the Elo scale means (meta `rating_label`): the odds its differences stand for, and where
    the scale is fixed: at the anchor (the baseline unless another was chosen), else at the mean rating, which
    both Bradley-Terry without an anchor and online Elo (its updates are zero-sum) hold at `anchor_rating`."""
    if anchor is None:
        where = (f"centred so that the average model is at {options.anchor_rating:g} (a rating compares a model with "
                 "the others here, not with models outside this leaderboard)")
    else:
        where = f"{'the baseline ' if anchor == options.baseline else ''}{anchor} fixed at {options.anchor_rating:g}"
    return f"Ratings on the Elo scale (a {options.scale:g}-point gap is 10:1 odds), {where}"


def _interval_label(options: _Options, degrees_of_freedom: int | None = None, most: int | None = None) -> str:
    """The interval's method in words; `degrees_of_freedom`: the sandwich t's, and `most`, where the models' own
    differ (win rates: each model's clusters against the baseline, less one), the most of them."""
    level = f"{100 * options.confidence:g}%"
    clusters = "rows" if options.rows_as_questions and options.resample == "questions" else options.resample
    unit = ("single judgments (ignores question clustering: too narrow when a question's games are correlated)"
            if options.resample != "questions" else
            "rows (the outcomes give no question ids)" if options.rows_as_questions else "questions")
    if options.interval == "sandwich":
        freedom = (f"{degrees_of_freedom} degrees of freedom" if most is None else
                   f"{degrees_of_freedom} to {most} degrees of freedom: each model's {clusters} against "
                   "the baseline, less one")
        return f"{level} t interval ({freedom}), sandwich covariance clustered by {unit}"
    if options.method == "elo":
        return (f"{level} percentile interval, bootstrap over {unit} with the games of each replicate in random "
                f"order (FastChat's arena notebook; includes online Elo's order dependence, point ratings in stored "
                f"order) ({options.rounds} rounds, seed {options.seed})")
    return f"{level} percentile interval, bootstrap over {unit} ({options.rounds} rounds, seed {options.seed})"


def _model_value(value: Any, *, integer: bool) -> Any:
    """A model entry's value made JSON-ready (`json_safe`); counts and ranks (`integer`) held as floats are
    rounded to int, so that leaderboard.json and the CSV show 12, not 12.0."""
    value = json_safe(value)
    return int(round(value)) if integer and isinstance(value, float) else value


def file_paths(out_dir: Path) -> dict[str, Path]:
    """Where `Leaderboard.write` puts its files in `out_dir`, by suffix: leaderboard.json, .csv and .md."""
    return {suffix: out_dir / f"leaderboard.{suffix}" for suffix in ("json", "csv", "md")}


def _present_fields(models: list[dict]) -> list[str]:
    present = {key for entry in models for key in entry}
    return [name for name in MODEL_FIELDS if name in present]

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

Each model entry has: model, rank, rating, lower, upper, win_rate (against the baseline, else the average
score over all its outcomes), win_probability (Bradley-Terry: predicted probability of beating the baseline,
the anchor or a model of average rating), n_games (outcomes involving the model), n_wins, n_losses, n_ties,
position_consistency (diagnostics.model_position_consistency) and avg_length
(mean answer length, when known); against a baseline also win_rate_se, discrete_win_rate, n_draws and,
when answer lengths are known, lc_win_rate. Rates are fractions in [0, 1]; missing values are None.
Rank = 1 + the number of models whose lower bound is above the model's upper bound.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from judgebench import diagnostics
from judgebench.errors import ConfigError, InputError
from judgebench.ratings import bradley_terry as bt
from judgebench.ratings import intervals as iv
from judgebench.ratings.counts import (
    CodedOutcomes,
    PairCounts,
    encode_games,
    encode_outcomes,
    games_from_outcomes,
    pair_counts,
    row_pairs,
)

METHODS = ("bt", "elo", "winrate")
INTERVALS = ("bootstrap", "sandwich")
MODEL_FIELDS = ("model", "rank", "rating", "lower", "upper", "win_rate", "win_probability", "n_games", "n_wins",
                "n_losses", "n_ties", "position_consistency", "avg_length", "win_rate_se", "discrete_win_rate",
                "n_draws", "lc_win_rate")


@dataclass
class Leaderboard:
    """A leaderboard: `models` (one dict per model, best first, keys from MODEL_FIELDS), `meta` (settings,
    counts and diagnostics) and `samples`, the (rounds, n_models) bootstrap ratings in the order of `models`
    (None for sandwich intervals)."""

    models: list[dict]
    meta: dict
    samples: np.ndarray | None = field(default=None, repr=False)

    @property
    def table(self):
        """The leaderboard as a pandas DataFrame (columns in MODEL_FIELDS order, absent fields left out)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.models, columns=_present_fields(self.models))

    def to_json(self) -> dict:
        """The contents of leaderboard.json: {"meta": ..., "models": [...]}."""
        return {"meta": self.meta, "models": self.models}

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
        fields = _present_fields(self.models)
        text = io.StringIO(newline="")
        writer = csv.DictWriter(text, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for entry in self.models:
            writer.writerow({key: "" if entry.get(key) is None else entry[key] for key in fields})
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


@dataclass
class _Ratings:
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    samples: np.ndarray | None
    win_probability: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def build(outcomes: Any, games: Any = None, *, method: str = "bt", interval: str = "bootstrap",
          resample: str = "questions", confidence: float = 0.95, rounds: int = 1000, seed: int = 0,
          baseline: str | None = None, anchor: str | None = None, anchor_rating: float = 1000.0,
          scale: float = 400.0, ties: str = "half", position_effect: bool = False, regularization: float | None = None,
          k: float = 4.0, answer_lengths: Mapping[str, float] | None = None, meta: Mapping[str, Any] | None = None,
          source: str = "outcomes") -> Leaderboard:
    """Rate the models in `outcomes` and return a Leaderboard (see the module docstring for the columns).

    method: "bt" | "elo" | "winrate"; interval: "bootstrap" | "sandwich" (not for elo); resample: "questions"
    (clusters, default) | "judgments"; confidence: level of every interval; rounds, seed: bootstrap replicates
    and their seed (results are reproducible); baseline: the reference model (win rates against it; Elo-scale
    anchor at `anchor_rating` unless `anchor` names another model; without both the mean rating is
    `anchor_rating`); scale: Elo points per factor 10 of odds; ties: "half" | "davidson"; position_effect:
    fit the judge's first-position log-odds (from `games` or the per-order verdicts) and rate from the games;
    regularization: ridge penalty on Bradley-Terry strengths (0 = maximum likelihood; None = maximum
    likelihood where it exists, else the weak AUTO_RIDGE, recorded in the meta); k: online Elo K-factor;
    answer_lengths: average answer length per model (else taken from len_a/len_b columns when present);
    meta: extra provenance (judge, template, swap...) merged into the leaderboard's meta.
    """
    options = _check_options(method, interval, resample, confidence, rounds, seed, baseline, anchor, anchor_rating,
                             scale, ties, position_effect, regularization, k)
    coded, dropped = _encode(outcomes, source)
    baseline_index = coded.index_of(baseline, what="baseline") if baseline is not None else None
    anchor_name = anchor if anchor is not None else baseline
    anchor_index = coded.index_of(anchor_name, what="anchor") if anchor_name is not None else None
    if method == "winrate":
        if baseline_index is None:
            raise ConfigError("--method winrate needs a --baseline model (the win rates are against it)")
        ratings = _win_rates(coded, baseline_index, options)
    elif method == "elo":
        ratings = _online_elo(coded, anchor_index, options)
    else:
        game_rows = None
        if position_effect:
            game_rows = (encode_games(games, source="games", models=list(coded.models)) if games is not None
                         else games_from_outcomes(coded))
        ratings = _bradley_terry(coded, game_rows, anchor_index, baseline_index, options)
    figures = _model_figures(coded, baseline_index, answer_lengths)
    if baseline_index is not None:
        figures.update(_baseline_figures(coded, baseline_index))
    board_meta = _meta(coded, options, ratings, dropped, anchor_name)
    if meta:
        board_meta.update({key: _plain(value) for key, value in meta.items()})
    return _assemble(coded, ratings, figures, board_meta)


def _check_options(method: str, interval: str, resample: str, confidence: float, rounds: int, seed: int,
                   baseline: str | None, anchor: str | None, anchor_rating: float, scale: float, ties: str,
                   position_effect: bool, regularization: float | None, k: float) -> _Options:
    if method not in METHODS:
        raise ConfigError(f"unknown method '{method}' (expected one of {', '.join(METHODS)})")
    if interval not in INTERVALS:
        raise ConfigError(f"unknown interval '{interval}' (expected one of {', '.join(INTERVALS)})")
    iv.check_resample(resample)
    iv.check_confidence(confidence)
    if interval == "bootstrap" and rounds < 2:
        raise ConfigError(f"a bootstrap needs at least 2 rounds (1000 is usual), got {rounds}")
    if method == "elo" and interval == "sandwich":
        raise ConfigError("online Elo has no likelihood, so no sandwich interval: use --interval bootstrap or "
                          "--method bt")
    if ties not in bt.TIES:
        raise ConfigError(f"unknown tie model '{ties}' (expected one of {', '.join(bt.TIES)})")
    if (ties != "half" or position_effect or regularization) and method != "bt":
        raise ConfigError("--ties davidson, --position-effect and --regularization apply to --method bt only")
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
                    None if regularization is None else float(regularization), float(k))


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
                   options: _Options) -> _Ratings:
    rows = games if games is not None else coded
    pairs = row_pairs(rows)
    counts = pair_counts(rows, pairs)
    fit = _fit(counts, options)
    design = bt.PairDesign.from_counts(counts)
    estimate = fit.ratings(anchor, options.anchor_rating, options.scale)
    factor = options.scale / math.log(10.0)
    extra: dict[str, Any] = {"log_likelihood": fit.log_likelihood, "iterations": fit.iterations,
                             "regularization": fit.regularization}
    reference = baseline if baseline is not None else anchor
    if options.interval == "bootstrap":
        rng = np.random.default_rng(options.seed)
        if options.resample == "questions":
            weights = iv.question_weights(rows.n_questions, options.rounds, rng)
            stats = iv.question_replicate_stats(rows, pairs, fit.layout, weights)
        else:
            stats = iv.judgment_replicate_stats(rows, pairs, fit.layout, design, options.rounds, rng)
        theta, ridged = bt.fit_replicates(fit, design, stats)
        samples = bt.to_elo(theta[:, : counts.n_models], anchor, options.anchor_rating, options.scale)
        lower, upper = iv.percentile_interval(samples, options.confidence)
        extra["replicates_regularised"] = ridged
        extra.update(_parameter_intervals(fit, theta, None, options))
    else:
        clusters, n_clusters = ((rows.question, rows.n_questions) if options.resample == "questions"
                                else (np.arange(len(rows)), len(rows)))
        covariance = iv.sandwich_covariance(fit, iv.score_contributions(rows, pairs, fit, design, clusters,
                                                                        n_clusters))
        contrasts = bt.contrast_matrix(fit.layout, anchor)
        se = np.sqrt(np.maximum(np.einsum("ik,kl,il->i", contrasts, covariance, contrasts), 0.0))
        lower, upper = iv.normal_interval(estimate, factor * se, options.confidence)
        samples = None
        extra.update(_parameter_intervals(fit, None, covariance, options))
    win_probability = fit.win_probability(reference)
    return _Ratings(estimate, lower, upper, samples, win_probability, extra)


# The weak ridge `regularization=None` ("auto") falls back to when maximum-likelihood ratings do not exist
# (some model won, or lost, every comparison): ratings stay finite, far apart, and the meta says why.
AUTO_RIDGE = 0.01


def _fit(counts: PairCounts, options: _Options) -> bt.BradleyTerryFit:
    """Bradley-Terry fit with the options' ridge; `None` means plain maximum likelihood where it exists."""
    ridge = options.regularization
    if ridge is None:
        try:
            bt.check_identifiable(counts)
            ridge = 0.0
        except InputError:
            ridge = AUTO_RIDGE
    return bt.fit(counts, position_effect=options.position_effect, ties=options.ties, regularization=ridge)


def _parameter_intervals(fit: bt.BradleyTerryFit, theta: np.ndarray | None, covariance: np.ndarray | None,
                         options: _Options) -> dict:
    """Position effect and tie ratio with their intervals, for the meta."""
    out: dict[str, Any] = {}
    layout = fit.layout
    for name, index, present in (("position_effect", layout.gamma, layout.position),
                                 ("tie_ratio", layout.log_nu, layout.davidson)):
        if not present:
            continue
        value = float(fit.params[index])
        if theta is not None:
            lo, hi = iv.percentile_interval(theta[:, index], options.confidence)
        else:
            lo, hi = iv.normal_interval(value, math.sqrt(max(covariance[index, index], 0.0)), options.confidence)
        lo, hi = float(lo), float(hi)
        if name == "position_effect":
            factor = options.scale / math.log(10.0)
            out[name] = {"log_odds": value, "lower": lo, "upper": hi,
                         "first_win_probability": float(bt.expected_score(np.array(value))),
                         "first_win_probability_lower": float(bt.expected_score(np.array(lo))),
                         "first_win_probability_upper": float(bt.expected_score(np.array(hi))),
                         "elo_points": factor * value}
        else:
            out[name] = {"nu": math.exp(value), "lower": math.exp(lo), "upper": math.exp(hi)}
    return out


def _online_elo(coded: CodedOutcomes, anchor: int | None, options: _Options) -> _Ratings:
    from judgebench.ratings import elo

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
    return _Ratings(estimate, lower, upper, samples, extra={"k": options.k})


def _win_rates(coded: CodedOutcomes, baseline: int, options: _Options) -> _Ratings:
    """Rating = win rate against the baseline (fraction); interval from the question (or judgment) bootstrap."""
    model, score, question = _against(coded, baseline)
    m = coded.n_models
    estimate = np.full(m, np.nan)
    totals = np.bincount(model, minlength=m)
    sums = np.bincount(model, score, m)
    seen = totals > 0
    estimate[seen] = sums[seen] / totals[seen]
    estimate[baseline] = 0.5
    if options.interval == "bootstrap":
        rng = np.random.default_rng(options.seed)
        if options.resample == "questions":
            weights = iv.question_weights(coded.n_questions, options.rounds, rng).astype(float)
            q = coded.n_questions
            design_sum = np.bincount(question * m + model, score, q * m).reshape(q, m)
            design_n = np.bincount(question * m + model, None, q * m).reshape(q, m).astype(float)
            num, den = weights @ design_sum, weights @ design_n
        else:
            # single outcomes drawn with replacement: a multinomial over the distinct (model, score) outcomes
            units, multiplicity = np.unique(np.column_stack([model, score]), axis=0, return_counts=True)
            draws = rng.multinomial(len(model), multiplicity / len(model), size=options.rounds).astype(float)
            onehot = np.zeros((len(units), m))
            onehot[np.arange(len(units)), units[:, 0].astype(int)] = 1.0
            num, den = draws @ (onehot * units[:, 1:2]), draws @ onehot
        with np.errstate(invalid="ignore", divide="ignore"):
            samples = num / den
        samples[:, baseline] = 0.5
        lower, upper = (np.nanpercentile(samples, [50 - 50 * options.confidence, 50 + 50 * options.confidence],
                                         axis=0) if seen.any() else (estimate, estimate))
    else:
        clusters = question if options.resample == "questions" else np.arange(len(model))
        n_clusters = int(clusters.max()) + 1
        residual = score - estimate[model]
        per_cluster = np.bincount(clusters * m + model, residual, n_clusters * m).reshape(n_clusters, m)
        variance = (per_cluster ** 2).sum(axis=0) * n_clusters / max(n_clusters - 1, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(variance) / totals
        se[baseline] = 0.0
        lower, upper = iv.normal_interval(estimate, se, options.confidence)
        samples = None
    return _Ratings(estimate, lower, upper, samples)


def _against(coded: CodedOutcomes, baseline: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows against the baseline seen from the other model: (model, score, question)."""
    as_b = coded.model_b == baseline
    as_a = coded.model_a == baseline
    model = np.where(as_b, coded.model_a, coded.model_b)[as_a | as_b]
    score = np.where(as_b, coded.score_a, 1.0 - coded.score_a)[as_a | as_b]
    return model, score, coded.question[as_a | as_b]


# --- per-model figures ------------------------------------------------------------------------------------


def _model_figures(coded: CodedOutcomes, baseline: int | None,
                   answer_lengths: Mapping[str, float] | None) -> dict[str, np.ndarray]:
    m = coded.n_models
    a, b, s, w = coded.model_a, coded.model_b, coded.score_a, coded.weight
    n_games = np.bincount(a, minlength=m) + np.bincount(b, minlength=m)
    win_a, tie = s > 0.5, s == 0.5
    loss_a = s < 0.5
    figures: dict[str, np.ndarray] = {
        "n_games": n_games,
        "n_wins": np.bincount(a, win_a, m) + np.bincount(b, loss_a, m),
        "n_losses": np.bincount(a, loss_a, m) + np.bincount(b, win_a, m),
        "n_ties": np.bincount(a, tie, m) + np.bincount(b, tie, m),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        if baseline is not None:
            model, score, _ = _against(coded, baseline)
            rate = np.bincount(model, score, m) / np.bincount(model, minlength=m)
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
    """AlpacaEval's head-to-head figures against the baseline (ratings.winrate), per model."""
    from judgebench.ratings.winrate import fit_length_controlled_win_rate, win_rate_vs_baseline

    m = coded.n_models
    model, score, _ = _against(coded, baseline)
    keys = ("win_rate_se", "discrete_win_rate", "n_draws", "lc_win_rate")
    figures = {key: np.full(m, np.nan) for key in keys}
    lengths = _lengths_against(coded, baseline)
    for k in np.unique(model):
        mine = model == k
        summary = win_rate_vs_baseline(score[mine])
        figures["win_rate_se"][k] = summary["standard_error"]
        figures["discrete_win_rate"][k] = summary["discrete_win_rate"]
        figures["n_draws"][k] = summary["n_draws"]
        if lengths is not None:
            own, base = lengths[0][mine], lengths[1][mine]
            if np.isfinite(own).any() and np.isfinite(base).any():
                try:
                    figures["lc_win_rate"][k] = fit_length_controlled_win_rate(score[mine], own, base).win_rate
                except ValueError:
                    pass
    return figures


def _lengths_against(coded: CodedOutcomes, baseline: int) -> tuple[np.ndarray, np.ndarray] | None:
    if coded.length_a is None or coded.length_b is None:
        return None
    as_b, as_a = coded.model_b == baseline, coded.model_a == baseline
    keep = as_a | as_b
    own = np.where(as_b, coded.length_a, coded.length_b)[keep]
    base = np.where(as_b, coded.length_b, coded.length_a)[keep]
    return own, base


# --- assembling, meta, files ------------------------------------------------------------------------------


def _assemble(coded: CodedOutcomes, ratings: _Ratings, figures: dict[str, np.ndarray], meta: dict) -> Leaderboard:
    rank = iv.ranks(ratings.lower, ratings.upper)
    order = sorted(range(coded.n_models), key=lambda k: (-_sort_key(ratings.estimate[k]), coded.models[k]))
    columns = {"rating": ratings.estimate, "lower": ratings.lower, "upper": ratings.upper, "rank": rank,
               "win_probability": ratings.win_probability, **figures}
    models = []
    for k in order:
        entry: dict[str, Any] = {"model": coded.models[k]}
        for name in MODEL_FIELDS[1:]:
            values = columns.get(name)
            if values is None:
                continue
            entry[name] = _plain(values[k], integer=name.startswith("n_") or name == "rank")
        models.append(entry)
    samples = ratings.samples[:, order] if ratings.samples is not None else None
    meta["separability"] = _plain(iv.separability(ratings.lower, ratings.upper))
    return Leaderboard(models=models, meta=meta, samples=samples)


def _sort_key(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def _meta(coded: CodedOutcomes, options: _Options, ratings: _Ratings, dropped: int, anchor: str | None) -> dict:
    from judgebench import __version__

    bootstrap = options.interval == "bootstrap"
    meta: dict[str, Any] = {
        "method": options.method,
        "interval": options.interval,
        "resample": options.resample,
        "confidence": options.confidence,
        "rounds": options.rounds if bootstrap else None,
        "seed": options.seed if bootstrap else None,
        "interval_label": _interval_label(options),
        "baseline": options.baseline,
        "anchor": anchor if options.method != "winrate" else None,
        "anchor_rating": options.anchor_rating if options.method != "winrate" else None,
        "scale": options.scale if options.method != "winrate" else None,
        "ties": options.ties,
        "regularization": options.regularization,
        "n_models": coded.n_models,
        "n_outcomes": len(coded),
        "n_questions": coded.n_questions,
        "self_pairs_dropped": dropped,
        "judgebench_version": __version__,
    }
    meta.update(diagnostics.judge_figures(coded.p_ab, coded.p_ba))
    meta.update({key: _plain(value) for key, value in ratings.extra.items()})
    return meta


def _interval_label(options: _Options) -> str:
    level = f"{100 * options.confidence:g}%"
    unit = "questions" if options.resample == "questions" else "single judgments"
    if options.interval == "sandwich":
        return f"{level} normal interval, sandwich covariance clustered by {unit}"
    return f"{level} percentile interval, bootstrap over {unit} ({options.rounds} rounds, seed {options.seed})"


def _plain(value: Any, *, integer: bool = False) -> Any:
    """JSON-ready scalars: numpy numbers to Python, NaN/inf to None, nested dicts converted."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(round(value)) if integer else value
    return value


def file_paths(out_dir: Path) -> dict[str, Path]:
    """Where `Leaderboard.write` puts its files in `out_dir`, by suffix: leaderboard.json, .csv and .md."""
    return {suffix: out_dir / f"leaderboard.{suffix}" for suffix in ("json", "csv", "md")}


def _present_fields(models: list[dict]) -> list[str]:
    present = {key for entry in models for key in entry}
    return [name for name in MODEL_FIELDS if name in present]

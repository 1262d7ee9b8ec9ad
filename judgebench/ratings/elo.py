"""Online Elo ratings: the classic sequential update, in stored order (Elo, The Rating of Chessplayers, 1978).

For each outcome, in the order given: ``expected_a = 1 / (1 + base ** ((r_b - r_a) / scale))``, then
``r_a += k * w * (score_a - expected_a)`` and ``r_b -= k * w * (score_a - expected_a)`` (w = the outcome's
weight, 1 by default; a tie scores 0.5). Unlike Bradley-Terry the result depends on the order, and
recent outcomes count more; it is kept for comparison with Elo-based leaderboards.

Bootstrap replicates of online Elo (random order per replicate, as in FastChat's original arena
notebook) are updated together: one pass over the sequence positions with vector operations across
replicates.
"""

from __future__ import annotations

import math

import numpy as np

from judgebench.errors import ConfigError
from judgebench.ratings.counts import CodedOutcomes

_MAX_SEQUENCE_CELLS = 60_000_000


def online_elo(model_a: np.ndarray, model_b: np.ndarray, score_a: np.ndarray, n_models: int, *,
               weight: np.ndarray | None = None, k: float = 4.0, initial: float = 1000.0, scale: float = 400.0,
               base: float = 10.0) -> np.ndarray:
    """Online Elo ratings after processing the outcomes in order; returns an array of n_models ratings."""
    ratings = [float(initial)] * n_models
    weights = [1.0] * len(score_a) if weight is None else np.asarray(weight, dtype=float).tolist()
    base, scale, k = float(base), float(scale), float(k)
    for a, b, s, w in zip(np.asarray(model_a).tolist(), np.asarray(model_b).tolist(),
                          np.asarray(score_a, dtype=float).tolist(), weights, strict=True):
        expected = 1.0 / (1.0 + base ** ((ratings[b] - ratings[a]) / scale))
        step = k * w * (s - expected)
        ratings[a] += step
        ratings[b] -= step
    return np.asarray(ratings)


def settling_share(k: float, *, scale: float = 400.0, base: float = 10.0) -> float:
    """The most of the gap between two models' online Elo difference and the difference of their levels that
    one game between them closes, in expectation. A game moves both ratings by k (s - e), in opposite
    directions, so their difference by 2 k (s - e); its expected move is 2 k times the slope of the expected
    score e in the difference, ln(base) p (1 - p) / scale at the win probability p, times the gap: at most
    k ln(base) / (2 scale) (at p = 1/2), 1.15% a game with K = 4 on the Elo scale. A model meeting a field whose
    ratings have settled closes its own gap half as fast, and far from even odds the slope is smaller: no
    board settles faster."""
    return k * math.log(base) / (2.0 * scale)


def settling_games(k: float, *, scale: float = 400.0, base: float = 10.0, remaining: float = 0.25) -> int:
    """The fewest games a model needs before online Elo can have closed all but `remaining` of the gap between
    its rating and its level (`settling_share` a game, whoever the opponents): with K = 4, 120 games leave a
    quarter, and a model with fewer has not settled on any board. 1 where one game can close the whole gap
    (K of 347 or more on the Elo scale)."""
    share = settling_share(k, scale=scale, base=base)
    return 1 if share >= 1.0 else max(1, math.ceil(math.log(remaining) / math.log1p(-share)))


def online_elo_replicates(coded: CodedOutcomes, sequences: np.ndarray, *, k: float = 4.0,
                          initial: float = 1000.0, scale: float = 400.0, base: float = 10.0) -> np.ndarray:
    """Online Elo for R sequences of row indices at once ((R, L), -1 = no outcome); returns (R, M) ratings."""
    rounds = len(sequences)
    ratings = np.full((rounds, coded.n_models), float(initial))
    replicate = np.arange(rounds)
    factor = np.log(base) / scale
    for column in sequences.T:
        live = column >= 0
        rows = column[live]
        who = replicate[live]
        a, b = coded.model_a[rows], coded.model_b[rows]
        expected = 1.0 / (1.0 + np.exp(factor * (ratings[who, b] - ratings[who, a])))
        step = k * coded.weight[rows] * (coded.score_a[rows] - expected)
        ratings[who, a] += step
        ratings[who, b] -= step
    return ratings


def bootstrap_sequences(coded: CodedOutcomes, rounds: int, rng: np.random.Generator,
                        resample: str = "questions") -> np.ndarray:
    """(R, L) row indices of resampled outcomes in random order, padded with -1.

    "judgments": n rows drawn with replacement; "questions": all rows of Q questions drawn with
    replacement, shuffled.
    """
    n = len(coded)
    if rounds * n > _MAX_SEQUENCE_CELLS:
        raise ConfigError(f"an online-Elo bootstrap of {rounds} rounds over {n} outcomes is too large; use "
                          "--method bt (same data, vectorised fit) or fewer --rounds")
    if resample == "judgments":
        return rng.integers(0, n, size=(rounds, n))
    order = np.argsort(coded.question, kind="stable")
    starts = np.searchsorted(coded.question[order], np.arange(coded.n_questions + 1))
    sizes = np.diff(starts)
    sequences = []
    for _ in range(rounds):
        drawn = rng.integers(0, coded.n_questions, coded.n_questions)
        lengths = sizes[drawn]
        offsets = np.repeat(starts[drawn] - np.cumsum(lengths) + lengths, lengths)
        rows = order[np.arange(lengths.sum()) + offsets]
        sequences.append(rng.permutation(rows))
    width = max(len(s) for s in sequences)
    padded = np.full((rounds, width), -1, dtype=np.int64)
    for r, rows in enumerate(sequences):
        padded[r, : len(rows)] = rows
    return padded

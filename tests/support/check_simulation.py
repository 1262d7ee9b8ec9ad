"""Judged games drawn from a model with known strengths, for calibrating `judgebench check` (no server).

Each question q has an effect u_q ~ Normal(0, question_sd) on the candidate's log-odds of beating the
reference (some questions suit it, some do not); the judge favours the answer shown first by
`position_bias` log-odds; a verdict is an ordered-logit win / tie / loss with a tie band of `tie_band`; and with
probability `label_noise` the judge answers at random. Both presentation orders are judged, so a question's
score is the candidate's mean over its two games, in {0, 1/4, 1/2, 3/4, 1}.

The true mean score for a strength difference `delta` is computed by Gauss-Hermite quadrature over u_q, so
`delta_for_mean` sets the candidate exactly at a chosen win rate (such as the margin) without Monte Carlo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq
from scipy.special import expit


@dataclass(frozen=True)
class Judge:
    """How the simulated judge behaves (defaults: a plausible, imperfect LLM judge)."""

    question_sd: float = 1.0
    position_bias: float = 0.6
    tie_band: float = 0.5
    label_noise: float = 0.1


def _order_score(eta: np.ndarray, judge: Judge) -> np.ndarray:
    """Expected candidate score of one game with latent log-odds `eta` (ties count half)."""
    win, loss = expit(eta - judge.tie_band), expit(-eta - judge.tie_band)
    return (1 - judge.label_noise) * (win + 0.5 * (1 - win - loss)) + judge.label_noise * 0.5


def expected_score(delta: float, judge: Judge = Judge()) -> float:
    """The population mean of the per-question score for candidate-minus-reference strength `delta`."""
    nodes, weights = hermegauss(80)
    eta = delta + judge.question_sd * nodes
    both = (_order_score(eta + judge.position_bias, judge) + _order_score(eta - judge.position_bias, judge)) / 2
    return float(np.sum(weights * both) / np.sum(weights))


def delta_for_mean(target: float, judge: Judge = Judge()) -> float:
    """The strength difference at which the candidate's expected score is exactly `target`."""
    return brentq(lambda d: expected_score(d, judge) - target, -10, 10, xtol=1e-12)


def _game(rng: np.random.Generator, eta: np.ndarray, judge: Judge) -> np.ndarray:
    uniform = rng.random(eta.shape)
    win, loss = expit(eta - judge.tie_band), expit(-eta - judge.tie_band)
    score = np.where(uniform < win, 1.0, np.where(uniform > 1 - loss, 0.0, 0.5))
    noisy = rng.random(eta.shape) < judge.label_noise
    return np.where(noisy, rng.integers(0, 3, eta.shape) / 2, score)


def simulate_scores(rng: np.random.Generator, n_checks: int, n_questions: int, target_mean: float,
                    judge: Judge = Judge()) -> np.ndarray:
    """Per-question candidate scores, shape (n_checks, n_questions), with population mean `target_mean`."""
    delta = delta_for_mean(target_mean, judge)
    eta = delta + judge.question_sd * rng.standard_normal((n_checks, n_questions))
    return (_game(rng, eta + judge.position_bias, judge) + _game(rng, eta - judge.position_bias, judge)) / 2


def questions_used(decisions: np.ndarray, checkpoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For decisions (checks, checkpoints), the first decided checkpoint of each check (else the last one):
    returns (final decision, questions judged)."""
    decided = decisions != "undecided"
    first = np.where(decided.any(axis=1), decided.argmax(axis=1), decisions.shape[1] - 1)
    rows = np.arange(decisions.shape[0])
    return decisions[rows, first], checkpoints[first]

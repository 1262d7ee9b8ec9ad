"""Judge diagnostics, each defined once: how far a judge's verdicts depend on where an answer is shown.

Every figure is computed from *discrete* verdicts (the side a game favours: p_first above, below or at 0.5),
never from averaged probabilities, so a judge that always leans towards the first answer with 60%
confidence shows a first-slot win rate of 1.0, not 0.6: the figure counts how often the position decided
the verdict. (FastChat's MT-Bench judge reports position consistency the same way, Zheng et al. 2023,
"Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena", section 3.3.)

The games behind these figures are those of the rated pairs: an outcome's per-order verdicts `p_ab`
(model_a shown first) and `p_ba` (model_a shown second). Games of pairs the swap policy left incomplete are
counted separately (`n_incomplete`), so the figures describe the verdicts the leaderboard rests on, and an
imported outcomes file gives the same figures as the store it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from judgebench.verdicts import discrete


def first_slot_verdicts(p_ab: ArrayLike, p_ba: ArrayLike) -> NDArray[np.float64]:
    """The probability that the answer shown first is better, for every judged order of every outcome.

    With model_a shown first that is `p_ab`; with model_a shown second the first answer is model_b's,
    so it is `1 - p_ba`. Orders not judged (NaN) are left out.
    """
    p_ab, p_ba = np.asarray(p_ab, dtype=float), np.asarray(p_ba, dtype=float)
    return np.concatenate([p_ab[np.isfinite(p_ab)], 1.0 - p_ba[np.isfinite(p_ba)]])


def first_slot_win_rate(p_first: ArrayLike) -> float:
    """Share of games won by the answer shown first, ties counting half (NaN without games).

    0.5 means no position bias; 1.0 means the first answer always won. `p_first` holds each game's
    probability that the first answer is better (`first_slot_verdicts` recovers it from outcomes).
    """
    verdicts = discrete(np.asarray(p_first, dtype=float))
    return float(verdicts.mean()) if verdicts.size else math.nan


def agreeing_orders(p_ab: ArrayLike, p_ba: ArrayLike) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(judged in both orders, the two orders' discrete verdicts agree) for each outcome."""
    p_ab, p_ba = np.asarray(p_ab, dtype=float), np.asarray(p_ba, dtype=float)
    both = np.isfinite(p_ab) & np.isfinite(p_ba)
    return both, both & (discrete(p_ab) == discrete(p_ba))


def position_consistency(p_ab: ArrayLike, p_ba: ArrayLike) -> float:
    """Share of pairs judged in both orders whose two discrete verdicts agree (NaN if none was).

    A pair whose verdict flips with the presentation order was decided by the position, not the answers.
    """
    both, agree = agreeing_orders(p_ab, p_ba)
    return float(agree.sum() / both.sum()) if both.any() else math.nan


def model_position_consistency(model_a: ArrayLike, model_b: ArrayLike, p_ab: ArrayLike, p_ba: ArrayLike,
                               n_models: int) -> NDArray[np.float64]:
    """`position_consistency` per model over the pairs it took part in; models are integer codes < n_models."""
    both, agree = agreeing_orders(p_ab, p_ba)
    a, b = np.asarray(model_a)[both], np.asarray(model_b)[both]
    agreed = agree[both].astype(float)
    judged = np.bincount(a, minlength=n_models) + np.bincount(b, minlength=n_models)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (np.bincount(a, agreed, n_models) + np.bincount(b, agreed, n_models)) / judged


def judge_figures(p_ab: ArrayLike | None, p_ba: ArrayLike | None) -> dict[str, float | None]:
    """The leaderboard meta's judge figures: position_consistency and first_slot_win_rate (None if unknown)."""
    if p_ab is None or p_ba is None:
        return {}
    return {"position_consistency": _finite(position_consistency(p_ab, p_ba)),
            "first_slot_win_rate": _finite(first_slot_win_rate(first_slot_verdicts(p_ab, p_ba)))}


@dataclass(frozen=True)
class RunDiagnostics:
    """How a run's judge behaved: position bias, and what did not become a verdict.

    `unparsed_example` is one output of the judge in which no verdict marker of the template was found
    (None when every answered game had one); `markers` are the template's verdict markers.
    """

    position_consistency: float | None
    first_slot_win_rate: float | None
    n_inconsistent: int
    n_incomplete: int
    n_ok: int
    n_failed: int
    n_unparsed: int
    skipped: dict[str, int] = field(default_factory=dict)
    unparsed_example: str | None = None
    markers: tuple[str, ...] = ()

    @property
    def no_verdict(self) -> bool:
        """True when games were judged but not one produced a verdict (the judge never wrote a marker)."""
        return self.n_ok == 0 and self.n_unparsed > 0

    def to_meta(self) -> dict[str, Any]:
        """The figures recorded in leaderboard.json's meta."""
        return {"games_failed": self.n_failed, "games_unparsed": self.n_unparsed,
                "pairs_incomplete": self.n_incomplete, "pairs_inconsistent": self.n_inconsistent,
                "position_consistency": self.position_consistency,
                "first_slot_win_rate": self.first_slot_win_rate, "skipped_questions": dict(self.skipped)}


def diagnose_run(outcomes: Any, judgments: Any, *, n_inconsistent: int, n_incomplete: int,
                 skipped: dict[str, int], markers: tuple[str, ...]) -> RunDiagnostics:
    """The diagnostics of a run from its outcomes (per-order verdicts) and all its judgments (with status)."""
    from judgebench.records import FAILED, OK, UNPARSED

    figures = judge_figures(outcomes["p_ab"].to_numpy(dtype=float), outcomes["p_ba"].to_numpy(dtype=float))
    status = judgments["status"]
    unparsed = judgments.loc[status == UNPARSED, "raw"]
    return RunDiagnostics(
        position_consistency=figures.get("position_consistency"),
        first_slot_win_rate=figures.get("first_slot_win_rate"),
        n_inconsistent=n_inconsistent, n_incomplete=n_incomplete,
        n_ok=int((status == OK).sum()), n_failed=int((status == FAILED).sum()),
        n_unparsed=int(unparsed.size), skipped=dict(skipped),
        unparsed_example=str(unparsed.iloc[0]) if unparsed.size else None, markers=markers,
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None

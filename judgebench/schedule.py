"""Adaptive plans and tournaments: which (question, pair) games to judge next, round after round.

An adaptive run (`pairs = "adaptive"` or `"tournament"`) is an ordinary run whose plan is chosen as it goes:
`Planner.next_round` looks at the outcomes judged so far and returns the next batch of pairs, each judged like
any planned pair (in both presentation orders; in one seeded order with swap = "random-one"). The choices are
pure, seeded functions of the outcomes, so a rerun with the same seed and store replays the same rounds from
the store and sends only new games.

- Adaptive (`choose_adaptive`): active ranking in the spirit of Chatbot Arena's active sampling and
  K-Sort Arena's exploration-exploitation matchmaking. Each pair of models is worth how likely the current
  ranking orders it wrongly, ``Phi(-|d| / sd_d)``, times how much one more comparison shrinks the variance
  of its difference, ``sd_d^4 I / (1 + sd_d^2 I)`` with ``I`` the Fisher information of a Bradley-Terry
  comparison (so pairs adjacent in rank whose intervals overlap get most of the budget). ``sd_d^2 = var_i +
  var_j - 2 cov_ij`` comes from the fit's full covariance: two models compared with the same opponents are
  correlated, and their difference is known better than their marginal intervals say. The batch is chosen
  greedily, one pair at a time, each time the pair worth most given the pairs already in the batch (after a
  pair is taken its variance drops to ``1 / (1 / sd_d^2 + I)``, as in batch-mode active learning's sequential
  greedy designs, Hoi et al. 2006), rather than drawn at random from the round's fixed weights. In
  benchmarks/bench_adaptive.py (20 models, 50 seeds) the two together brought the mean Kendall tau to 0.95
  with 2,816 calls instead of 3,328 (uniform: 5,888); neither helped measurably alone. Exploration: every
  model is first brought up to `FLOOR` times the average model's comparisons (against a neighbour in rank),
  and a share `EXPLORATION` of every batch is drawn uniformly over all pairs, so every model keeps being
  compared and the comparison graph stays connected. Each chosen pair gets the least-used question it has
  not been judged on, so no question is over-used.
- Tournament (`choose_tournament`): a single-elimination bracket per question, seeded, as Arena-Lite
  (Varco Arena) does, byes in the first bracket round only: a bracket round is judged once the round before
  it is decided. A batch takes the ready matches of the questions in a seeded order, question by question, at
  most one bracket round of each (a bracket of M
  models has ceil(log2 M) rounds, and one takes several batches when its ready matches outnumber a batch's
  pairs: output calls a tournament's steps batches, `step_noun`), so the first questions' brackets are
  finished first: a budget short of the whole tournament plays complete brackets, finals included, on fewer
  questions. Advancing all questions' first rounds before any second round instead spread such a budget over
  more questions but rarely reached the finals, where the top models meet: in benchmarks/bench_adaptive.py
  (50 models, 30,000 calls, 50 seeds) top-1 accuracy fell from 96% to 80% and top-5 from 86% to 68% (measured
  with the byes at the end of every bracket round; with them in the first: 96% and 82% question by question). It
  costs (M - 1) pairs per question instead of M (M - 1) / 2.
- Uniform (`choose_uniform`): pairs drawn uniformly among those not judged yet (the benchmark's reference,
  and the exploration share of adaptive batches).

Honest intervals. The ratings come from the same Bradley-Terry fit as any run. The likelihood of the
verdicts does not depend on how the pairs were chosen when the choice depends only on earlier verdicts
(the design is ignorable: Rubin 1976; for adaptive designs, Melfi & Page 2000), so maximum likelihood and
its information-based intervals stay valid for large samples. At the sizes runs have, sampling from
earlier verdicts biases estimates outwards (a pair that looks far apart is compared less, so its early luck
is not corrected; Nie et al. 2018 show the same for bandits' sample means): 20 models and 4,000 calls put
the ends off by about 50 Elo, more than a standard error. The floor keeps every model's comparisons from
depending much on its results, and `design_bias` estimates what is left by replaying the plan, which the
final leaderboard subtracts (tests/test_schedule_simulation.py checks coverage and bias). During a run,
the standing uses the fast question-clustered sandwich intervals, uncorrected; the final leaderboard uses
the run's interval settings.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy.special import ndtr

from judgebench.config import how_to_set
from judgebench.errors import ConfigError
from judgebench.pairing import stable_seed
from judgebench.ratings.bradley_terry import expected_score, win_groups
from judgebench.ratings.intervals import normal_quantile
from judgebench.records import Pair

if TYPE_CHECKING:
    import pandas as pd

    from judgebench.leaderboard import DesignBias
    from judgebench.records import Dataset

Strategy = Literal["adaptive", "tournament", "uniform"]
EXPLORATION = 0.1
"""Share of each adaptive batch drawn uniformly over all pairs (exploration)."""
FLOOR = 0.7
"""Every model is planned in at least this share of the average model's pairs (exploration). It also keeps the
intervals honest: with 0.3, simulated 6-model runs of 600 calls covered the truth 86.8% of the time even with
`design_bias` removed, against 96.5% with 0.7 (README, "Honest intervals")."""
INFORMATION_SHARE = 0.8
"""Fisher information of one pair judged in both orders, as a share of a Bradley-Terry comparison's
``p (1 - p)``: position bias splits some pairs' verdicts into ties, which carry less (as in the benchmark's
large-sample reference plan, tests/support/adaptive_simulation.py)."""
ELO_PER_LOG_ODDS = 400.0 / math.log(10.0)
BIAS_REPLAYS = 20
"""Replays of an adaptive plan behind `design_bias`: its Monte Carlo error (a median of 20) adds pi/40 to the
ratings' variance (sd +3.9%), which the final intervals include. Each round of each replay refits the standing;
measured on one core: 1.5 s for 20 models and 4,000 calls in rounds of 256 games (9 s in rounds of 40), 52 s
for 50 models and 30,000 calls in rounds of 256."""


# -- stopping rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StopRule:
    """A precision target: `separated` (every adjacent pair of the ranking has disjoint intervals) or
    `width` (every rating interval narrower than `width` Elo points)."""

    kind: Literal["separated", "width"]
    width: float | None = None

    def __str__(self) -> str:
        if self.kind == "separated":
            return "separated"
        assert self.width is not None
        return f"width={self.width:.0f}" if self.width.is_integer() else f"width={self.width:g}"


def parse_stop(text: str) -> StopRule:
    """`separated` or `width=W` (W > 0, Elo points) as a StopRule; anything else is a ConfigError."""
    text = text.strip()
    if text == "separated":
        return StopRule("separated")
    name, equals, value = text.partition("=")
    if name.strip() != "width" or not equals:
        raise ConfigError(f"unknown stopping rule '{text}': use 'separated' or 'width=W' with W the widest "
                          "rating interval allowed, in Elo points (for example width=50)")
    try:
        width = float(value)
    except ValueError:
        width = float("nan")
    if not width > 0 or math.isinf(width):
        raise ConfigError(f"stopping rule '{text}': W must be a positive number of Elo points, the widest rating "
                          "interval allowed (for example width=50)")
    return StopRule("width", width)


# -- the current standing ------------------------------------------------------------------------------


COLLAPSED_ELO = 1e-6
"""An interval narrower than this (Elo points) has no width: rounding's, not the data's (`Standing.measured`)."""


@dataclass(frozen=True)
class Standing:
    """Current Bradley-Terry ratings (Elo scale) with intervals at `confidence`, best model first, the
    ratings' covariance in log-odds squared, in the same order (None when not known), and each model's group
    of `win_groups` (None when not known: taken as one group)."""

    models: tuple[str, ...]
    rating: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    confidence: float
    covariance: np.ndarray | None = None
    groups: np.ndarray | None = None

    @property
    def ratings_exist(self) -> bool:
        """Whether the maximum-likelihood ratings exist (every model in one group). When they do not, the
        ratings and intervals are the automatic weak ridge's: far apart, with intervals that measure the ridge,
        not the data, so no stopping rule may trust them."""
        return self.groups is None or len(set(self.groups.tolist())) <= 1

    @property
    def sd(self) -> np.ndarray:
        """Standard errors in log-odds, from the intervals' widths."""
        z = normal_quantile(self.confidence)
        return (self.upper - self.lower) / (2 * z) / ELO_PER_LOG_ODDS

    def precision(self) -> dict[str, float | int]:
        """What a stopping rule looks at: the widest interval (Elo points) and the adjacent pairs separated (two
        intervals of width, disjoint: one of width 0 measures nothing, `measured`)."""
        wide = self.upper - self.lower > COLLAPSED_ELO
        separated = int(np.sum((self.lower[:-1] > self.upper[1:]) & wide[:-1] & wide[1:]))
        return {"widest_interval": float(np.max(self.upper - self.lower)), "adjacent_separated": separated,
                "adjacent_pairs": len(self.models) - 1}

    @property
    def measured(self) -> bool:
        """Whether every interval has a width. The sandwich of outcomes from one question, or of verdicts the fit
        predicts exactly (a judge that always ties, or always picks the first answer, in both orders), has none:
        it measures nothing, and an interval of width 0 would meet any stopping rule after the first round."""
        return bool(np.all(self.upper - self.lower > COLLAPSED_ELO))

    def reached(self, rule: StopRule) -> bool:
        """Whether the standing meets `rule`; never while the ratings do not exist (`ratings_exist`) or an
        interval has no width (`measured`)."""
        if not self.ratings_exist or not self.measured:
            return False
        found = self.precision()
        if rule.kind == "separated":
            return found["adjacent_separated"] == found["adjacent_pairs"]
        return found["widest_interval"] < (rule.width or 0.0)


def standing(outcomes: pd.DataFrame, models: Sequence[str], confidence: float = 0.95) -> Standing | None:
    """The standing of `models` from these outcomes; None while some model has no outcome yet.

    Ratings: plain Bradley-Terry maximum likelihood (a weak ridge when it does not exist), intervals: the
    question-clustered sandwich (fast enough to recompute after every round)."""
    from judgebench.leaderboard import build

    if outcomes.empty or set(models) - set(outcomes["model_a"]) - set(outcomes["model_b"]):
        return None
    board = build(outcomes, interval="sandwich", resample="questions", confidence=confidence)
    rows = board.models
    covariance = board.covariance / ELO_PER_LOG_ODDS ** 2 if board.covariance is not None else None
    ranked = tuple(r["model"] for r in rows)
    # outcomes of one question have no intervals (`leaderboard.build`): read as collapsed, which no rule counts
    lower, upper = (np.array([r["rating"] if r[end] is None else r[end] for r in rows]) for end in ("lower", "upper"))
    return Standing(ranked, np.array([r["rating"] for r in rows]), lower, upper, confidence, covariance,
                    _groups(outcomes, ranked))


def _groups(outcomes: pd.DataFrame, models: Sequence[str]) -> np.ndarray:
    """Each of `models`' group of `win_groups` in these outcomes."""
    code = {name: k for k, name in enumerate(models)}
    score = outcomes["score_a"].to_numpy(dtype=float)
    return win_groups(outcomes["model_a"].map(code).to_numpy(), outcomes["model_b"].map(code).to_numpy(),
                      score, np.ones_like(score), len(models))


# -- what can be judged --------------------------------------------------------------------------------


@dataclass
class Design:
    """The games available and those already planned: models, questions, which model answered which
    question, and which question each unordered pair has been planned on."""

    models: tuple[str, ...]
    questions: tuple[str, ...]
    answered: np.ndarray  # (questions, models) bool
    pairs: tuple[tuple[int, int], ...] = field(init=False)
    playable: np.ndarray = field(init=False)  # (pairs, questions) bool: both models answered
    planned: np.ndarray = field(init=False)  # (pairs, questions) bool
    question_use: np.ndarray = field(init=False)  # pairs planned per question

    def __post_init__(self) -> None:
        self.pairs = tuple(combinations(range(len(self.models)), 2))
        self.playable = np.array([self.answered[:, i] & self.answered[:, j] for i, j in self.pairs],
                                 dtype=bool).reshape(len(self.pairs), len(self.questions))
        self.planned = np.zeros((len(self.pairs), len(self.questions)), dtype=bool)
        self.question_use = np.zeros(len(self.questions), dtype=int)

    @classmethod
    def of(cls, dataset: Dataset, models: Sequence[str] | None = None) -> Design:
        names = tuple(sorted(models if models is not None else dataset.models))
        questions = tuple(dataset.questions)
        answered = np.array([[(q, m) in dataset.answers for m in names] for q in questions], dtype=bool)
        return cls(names, questions, answered.reshape(len(questions), len(names)))

    def anew(self) -> Design:
        """The same models, questions and answers, nothing planned yet."""
        return Design(self.models, self.questions, self.answered)

    def open_questions(self, pair: int) -> np.ndarray:
        """Questions both models of a pair answered and the pair has not been planned on."""
        return self.playable[pair] & ~self.planned[pair]

    def open_pairs(self) -> np.ndarray:
        """Indices of the pairs with at least one open question."""
        return np.flatnonzero((self.playable & ~self.planned).any(axis=1))

    def model_pairs(self) -> np.ndarray:
        """Pairs planned so far per model."""
        per_pair = self.planned.sum(axis=1)
        counts = np.zeros(len(self.models), dtype=float)
        for (i, j), n in zip(self.pairs, per_pair, strict=True):
            counts[i] += n
            counts[j] += n
        return counts

    def take(self, pair: int, rng: np.random.Generator) -> Pair | None:
        """Plan `pair` on its least-used open question (ties broken by `rng`); None when none is open."""
        candidates = np.flatnonzero(self.open_questions(pair))
        if candidates.size == 0:
            return None
        use = self.question_use[candidates]
        least = candidates[use == use.min()]
        question = int(least[rng.integers(least.size)])
        return self.add(pair, question)

    def add(self, pair: int, question: int) -> Pair:
        self.planned[pair, question] = True
        self.question_use[question] += 1
        i, j = self.pairs[pair]
        return Pair(self.questions[question], self.models[i], self.models[j])

    def release(self, pairs: Sequence[Pair]) -> None:
        """Undo `add` for planned pairs that will not be judged after all (a round cut by a budget)."""
        for pair in pairs:
            question = self.questions.index(pair.question_id)
            self.planned[self.pair_index(pair.model_a, pair.model_b), question] = False
            self.question_use[question] -= 1

    def pair_index(self, a: str, b: str) -> int:
        i, j = sorted((self.models.index(a), self.models.index(b)))
        n = len(self.models)
        return i * n - i * (i + 1) // 2 + (j - i - 1)


# -- choosing the next batch ---------------------------------------------------------------------------


def choose_uniform(design: Design, n_pairs: int, rng: np.random.Generator) -> list[Pair]:
    """Up to `n_pairs` pairs drawn uniformly (with replacement) among the pairs with an open question,
    each on its least-used open question."""
    chosen: list[Pair] = []
    while len(chosen) < n_pairs:
        open_pairs = design.open_pairs()
        if open_pairs.size == 0:
            break
        for pair in rng.choice(open_pairs, size=min(n_pairs - len(chosen), open_pairs.size)):
            taken = design.take(int(pair), rng)
            if taken is not None:
                chosen.append(taken)
    return chosen


def pair_differences(design: Design, current: Standing) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pair of `design.pairs`: the current rating difference (log-odds), its variance (``var_i +
    var_j - 2 cov_ij`` from the standing's covariance, ``var_i + var_j`` without one) and the information
    of one more comparison of the pair (`comparison_information`)."""
    where = {name: k for k, name in enumerate(current.models)}
    order = np.array([where[name] for name in design.models])
    beta = current.rating[order] / ELO_PER_LOG_ODDS
    first, second = (np.array(side) for side in zip(*design.pairs, strict=True))
    gap = beta[first] - beta[second]
    if current.covariance is not None:
        cov = current.covariance[np.ix_(order, order)]
        variance = cov[first, first] + cov[second, second] - 2 * cov[first, second]
    else:
        sd = current.sd[order]
        variance = sd[first] ** 2 + sd[second] ** 2
    return gap, np.maximum(variance, 1e-12), comparison_information(gap)


def comparison_information(gap: np.ndarray) -> np.ndarray:
    """Fisher information (log-odds^-2) of one pair judged in both orders whose ratings differ by `gap`
    log-odds: ``INFORMATION_SHARE p (1 - p)``, p the Bradley-Terry expected score."""
    p = expected_score(gap)
    return INFORMATION_SHARE * p * (1.0 - p)


def misordered(gap: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """The probability that the current ranking orders each pair wrongly, ``Phi(-|d| / sd_d)``."""
    return ndtr(-np.abs(gap) / np.sqrt(variance))  # Phi(-|d| / sd) = erfc(|d| / sqrt(2 var)) / 2


def pair_weights(wrong: np.ndarray, variance: np.ndarray, information: np.ndarray) -> np.ndarray:
    """How much judging each pair once more is worth for the ranking: its probability of being misordered
    (`misordered`) times the variance reduction of its difference by one comparison, ``sd_d^4 I / (1 +
    sd_d^2 I)`` (module docstring)."""
    return wrong * variance ** 2 * information / (1.0 + variance * information)


def choose_adaptive(design: Design, current: Standing | None, n_pairs: int,
                    rng: np.random.Generator) -> list[Pair]:
    """Up to `n_pairs` pairs where they are most informative for the ranking, plus uniform exploration.

    Until every model has an outcome (`current` is None) the whole batch explores: first a seeded random
    cycle through all models (every model compared, the comparison graph connected), then uniform pairs.
    Then, after the floor and the exploration share, pairs are taken greedily by `pair_weights`, each taken
    pair's difference variance updated as if it had been judged (its chance of being misordered is left as
    the standing says), so that a batch spreads over the pairs worth judging (module docstring).
    """
    if current is None:
        cycle = rng.permutation(len(design.models))
        links = list(zip(cycle, np.roll(cycle, -1), strict=True))[:n_pairs] if len(cycle) > 1 else []
        linked = (design.take(design.pair_index(design.models[a], design.models[b]), rng) for a, b in links)
        found = [pair for pair in linked if pair is not None]
        return found + choose_uniform(design, n_pairs - len(found), rng)
    chosen = _lift_to_floor(design, current, n_pairs, rng)
    chosen += choose_uniform(design, min(int(round(EXPLORATION * n_pairs)), n_pairs - len(chosen)), rng)
    gap, variance, information = pair_differences(design, current)
    available = np.zeros(len(design.pairs), dtype=bool)
    available[design.open_pairs()] = True
    across = _across_groups(design, current)
    wrong = np.where(across, 0.5, misordered(gap, variance))
    information = np.where(across, comparison_information(np.zeros(1)), information)
    while len(chosen) < n_pairs:
        weights = np.where(available, pair_weights(wrong, variance, information), 0.0)
        if weights.max() <= 0:
            return chosen + choose_uniform(design, n_pairs - len(chosen), rng)
        pair = int(np.argmax(weights))
        taken = design.take(pair, rng)
        if taken is None:
            available[pair] = False
            continue
        chosen.append(taken)
        variance[pair] = 1.0 / (1.0 / variance[pair] + information[pair])
    return chosen


def _across_groups(design: Design, current: Standing) -> np.ndarray:
    """For each pair of `design.pairs`, whether its models are in different groups of the standing's win graph
    (`Standing.groups`). While the maximum-likelihood ratings do not exist the ridge holds those pairs far apart,
    so that their chance of being misordered and the information of one more comparison both look small, though
    only their comparisons can make the ratings exist: `choose_adaptive` counts them as a coin flip (misordered
    with probability 1/2, the information of a comparison between equals), the ridge's gap not being evidence."""
    if current.ratings_exist or current.groups is None:
        return np.zeros(len(design.pairs), dtype=bool)
    group = dict(zip(current.models, current.groups.tolist(), strict=True))
    return np.array([group[design.models[a]] != group[design.models[b]] for a, b in design.pairs])


def _lift_to_floor(design: Design, current: Standing, n_pairs: int, rng: np.random.Generator) -> list[Pair]:
    """Pairs that bring every model up to FLOOR times the average model's planned pairs (after this round),
    each against a neighbour in the current ranking: models that look settled keep being compared, so
    that no model's rating rests on a few games chosen because of its early results. A neighbour whose pair
    has been planned on every question it can be is passed over for the nearest model in rank whose pair still
    has an open question (`_nearest_open`): two close models at the top soon use up their questions, and
    stopping there left the first of the ranking under the floor (6 models, 40 questions, 600 calls: 64 pairs
    against a floor of 70)."""
    chosen: list[Pair] = []
    counts = design.model_pairs()
    floor = FLOOR * (counts.sum() + 2 * n_pairs) / len(design.models)
    ranked = list(current.models)
    for model in np.argsort(counts, kind="stable"):
        place = ranked.index(design.models[model])
        while counts[model] < floor and len(chosen) < n_pairs:
            partners = _nearest_open(design, ranked, place)
            if not partners:
                break
            partner = partners[int(rng.integers(len(partners)))]
            taken = design.take(design.pair_index(design.models[model], partner), rng)
            assert taken is not None  # `_nearest_open` found it an open question
            chosen.append(taken)
            counts[model] += 1
            counts[design.models.index(partner)] += 1
    return chosen


def _nearest_open(design: Design, ranked: Sequence[str], place: int) -> list[str]:
    """The models nearest in rank to `ranked[place]` (one or two, at the same distance) whose pair with it has an
    open question; empty when none has: its neighbours first, then the next nearest."""
    model = ranked[place]
    for distance in range(1, len(ranked)):
        found = [ranked[k] for k in (place - distance, place + distance) if 0 <= k < len(ranked)
                 and design.open_questions(design.pair_index(model, ranked[k])).any()]
        if found:
            return found
    return []


def choose_tournament(design: Design, outcomes: pd.DataFrame, seed: int, n_pairs: int) -> list[Pair]:
    """The next matches of each question's single-elimination bracket, up to `n_pairs`, questions in a
    seeded order: of each question, the matches of the first bracket round not yet decided (`_ready_matches`)."""
    scores = {} if outcomes.empty else {
        (q, a, b): s for q, a, b, s in outcomes[["question_id", "model_a", "model_b", "score_a"]].itertuples(
            index=False, name=None)}
    rng = np.random.default_rng(stable_seed(seed, "tournament"))
    chosen: list[Pair] = []
    for question in rng.permutation(len(design.questions)):
        if len(chosen) >= n_pairs:
            break
        chosen.extend(_ready_matches(design, int(question), scores, seed, n_pairs - len(chosen)))
    return chosen


def _ready_matches(design: Design, question: int, scores: dict[tuple[str, str, str], float],
                   seed: int, limit: int) -> list[Pair]:
    """Plan up to `limit` matches of one question's bracket: the matches of its first bracket round not yet
    decided, when they are not planned yet. The bracket is a seeded random order of the models that answered the
    question, padded with byes to a power of two so that the byes fall in the first bracket round (each takes
    one entrant through): a bye given at the end of every round went to the same entrant round after round, who
    then reached the final without a match (M = 5, 9, 17). A match is decided by its verdict, a tie by a seeded
    coin, and a match judged without a verdict (unparsed after its attempts) by the same coin, so that its
    bracket goes on (each round of a plan is judged before the next is chosen: a planned match without an
    outcome has been judged)."""
    qid = design.questions[question]
    entrants = [design.models[k] for k in np.flatnonzero(design.answered[question])]
    bracket_rng = np.random.default_rng(stable_seed(seed, "bracket", qid))
    order = [entrants[k] for k in bracket_rng.permutation(len(entrants))]
    byes = (1 << max(len(order) - 1, 0).bit_length()) - len(order)
    alive: list[str | None] = [slot for k, entrant in enumerate(order)
                               for slot in ((entrant, _BYE) if k < byes else (entrant,))]
    ready: list[Pair] = []
    while len(alive) > 1:
        advanced: list[str | None] = []
        for first, second in zip(alive[::2], alive[1::2], strict=True):
            if second == _BYE:
                advanced.append(first)
                continue
            a, b = sorted((str(first), str(second)))
            pair = design.pair_index(a, b)
            if (qid, a, b) in scores or design.planned[pair, question]:
                score = scores.get((qid, a, b), 0.5)
                coin = stable_seed(seed, "tie", qid, a, b) % 2 == 0
                advanced.append(a if score > 0.5 or (score == 0.5 and coin) else b)
                continue
            if len(ready) < limit:
                ready.append(design.add(pair, question))
            advanced.append(None)  # not decided yet
        alive = advanced
        if None in alive:
            break
    return ready


_BYE = ""  # an empty slot of a bracket's first round: its entrant goes through


# -- the planner ---------------------------------------------------------------------------------------


API_ROUND_GAMES = 32
"""Games per round of an API judge when `round_games` is not set: twice the default API concurrency."""


def games_per_round(engine: str, n_models: int) -> int:
    """The default games per round for a kind of engine: a vLLM engine's default batch (`JudgeConfig.chunk_size`'s
    default, 256), else `API_ROUND_GAMES`; at least two per model.

    The round size is part of the plan (each round is chosen from the verdicts of the rounds before), so it
    depends on the kind of engine and the models only, not on settings a user changes for speed: a rerun that
    continues a plan with another concurrency, chunk size or kind of budget replays the same rounds and reuses
    every stored judgment (README, "Continuation"). An engine that takes more at once is kept busy by a larger
    `round_games`, which is a new plan. Larger rounds do not cost adaptivity: in benchmarks/bench_adaptive.py
    (20 models, 50 seeds) rounds of 40 games brought the mean tau to 0.95 after 2,840 calls, rounds of 256
    after 2,816."""
    from judgebench.config import JudgeConfig

    busy = JudgeConfig.model_fields["chunk_size"].default if engine == "vllm" else API_ROUND_GAMES
    return max(busy, 2 * n_models)


@dataclass
class Planner:
    """Chooses the rounds of an adaptive run and says why it stopped.

    `calls_per_pair` is 2 when both presentation orders are judged (1 for swap=random-one). Budgets count
    the judge calls of the whole plan, stored games included, so that a rerun with a larger budget replays
    the same rounds from the store and continues. `rounds` records every round's pairs.
    """

    design: Design
    strategy: Strategy
    games_per_round: int
    seed: int = 0
    calls_per_pair: int = 2
    budget_calls: int | None = None
    budget_usd: float | None = None
    stop: StopRule | None = None
    confidence: float = 0.95
    rounds: list[list[Pair]] = field(default_factory=list)  # the batches sent, in order
    round_numbers: list[int] = field(default_factory=list)  # of each batch, the chosen round it belongs to
    stopped_by: str | None = None
    last: Standing | None = None
    chosen: int = 0  # rounds chosen; more are sent (`rounds`) when a limit splits one
    cost_usd: float = 0.0  # what the plan cost, as the dollar budget was last compared with it
    calls_cost_estimated: dict[str, int] = field(default_factory=dict)  # of the plan's calls, those whose cost
    # was estimated, by why (`present.ESTIMATED_COST`)
    dearest_pair_usd: float = 0.0  # what the plan's dearest pair cost (both orders): what a dollar budget plans at
    pending: list[Pair] = field(default_factory=list)  # the rest of a chosen round a limit cut, sent next

    @property
    def chosen_rounds(self) -> list[list[Pair]]:
        """The pairs sent, by the round that chose them: a round that a limit cut (a dollar budget's first pair,
        sent alone to learn the price, or a budget near its end) is sent in parts and is still one round, as a
        budget of calls that does not cut it plans it."""
        chosen: list[list[Pair]] = [[] for _ in range(self.chosen)]
        for number, batch in zip(self.round_numbers, self.rounds, strict=True):
            chosen[number - 1] += batch
        return chosen

    @property
    def calls(self) -> int:
        return self.calls_per_pair * sum(len(batch) for batch in self.rounds)

    @property
    def calls_all_pairs(self) -> int:
        """Judge calls of judging every pair on every question both models answered."""
        answered = self.design.answered.sum(axis=1)
        return int(self.calls_per_pair * np.sum(answered * (answered - 1) // 2))

    @property
    def calls_at_most(self) -> int:
        """Judge calls of the largest plan: every pair on every question (`calls_all_pairs`), or for a tournament
        every question's whole bracket, (M - 1) pairs of a question M models answered."""
        if self.strategy != "tournament":
            return self.calls_all_pairs
        answered = self.design.answered.sum(axis=1)
        return int(self.calls_per_pair * np.sum(np.maximum(answered - 1, 0)))

    def calls_to_compare_all(self) -> int | None:
        """Judge calls of the first round's pairs up to the one that brings in the last model: the budget of calls
        that compares every model at least once (a budget that cuts the first round keeps its first pairs, and a
        model left out has no rating), None when the first round leaves one out. The first round depends on no
        verdict (an adaptive plan's seeded cycle through the models, a tournament's first bracket matches), so
        it is known before judging."""
        import pandas as pd

        from judgebench.records import OUTCOME_COLUMNS

        twin = Planner(self.design.anew(), self.strategy, self.games_per_round, seed=self.seed,
                       calls_per_pair=self.calls_per_pair)
        compared: set[str] = set()
        first_round = twin._choose(pd.DataFrame(columns=OUTCOME_COLUMNS), twin._pairs_left()["round"])
        for taken, pair in enumerate(first_round, start=1):
            compared.update((pair.model_a, pair.model_b))
            if len(compared) == len(self.design.models):
                return taken * self.calls_per_pair
        return None

    def paid(self, cost_usd: float, calls_cost_estimated: dict[str, int], dearest_pair_usd: float) -> None:
        """Record what the plan has cost so far (`calls_cost_estimated` of its calls at an estimate, by why) and its
        dearest pair: a dollar budget plans the next round with them, and the plan's report says them, also
        when a signal or failed games end the run in the round just paid for."""
        self.cost_usd, self.calls_cost_estimated = cost_usd, calls_cost_estimated
        self.dearest_pair_usd = max(self.dearest_pair_usd, dearest_pair_usd)

    def next_round(self, outcomes: pd.DataFrame) -> list[Pair]:
        """The next batch given every outcome judged so far (and what the plan cost, as last `paid`); an empty
        list when the run is over, with `stopped_by` set."""
        self.last = standing(outcomes, self.design.models, self.confidence)
        if not self.pending and self.stop is not None and self.last is not None and self.last.reached(self.stop):
            return self._finish(f"stop={self.stop}")
        limits = self._pairs_left()
        n_pairs = min(limits.values())
        if n_pairs <= 0:
            return self._finish(next(name for name, left in limits.items() if left <= 0))
        batch = self.pending or self._choose(outcomes, limits["round"])
        if not batch:
            return self._finish("tournament complete" if self.strategy == "tournament" else "all pairs judged")
        self.chosen += not self.pending
        self.pending = batch[n_pairs:]
        self.rounds.append(batch[:n_pairs])
        self.round_numbers.append(self.chosen)  # a round a limit cut is one round, sent in parts
        return batch[:n_pairs]

    def settle(self, outcomes: pd.DataFrame) -> None:
        """Take the standing of every outcome judged, as the plan's report and its bias correction read it: a run
        that failed games or a signal ended holds verdicts of a round `next_round` has not seen."""
        self.last = standing(outcomes, self.design.models, self.confidence)

    def _choose(self, outcomes: pd.DataFrame, n_pairs: int) -> list[Pair]:
        """A whole round's pairs, in the order the strategy chose them. A budget that cuts the round keeps
        its first pairs, which are then the first pairs of the same round with a larger budget: a rerun with
        more budget replays the cut round from the store and completes it."""
        if self.strategy == "tournament":  # its brackets draw their own seeded orders and coins
            return choose_tournament(self.design, outcomes, self.seed, n_pairs)
        rng = np.random.default_rng(stable_seed(self.seed, self.strategy, str(self.chosen)))
        if self.strategy == "adaptive":
            return choose_adaptive(self.design, self.last, n_pairs, rng)
        return choose_uniform(self.design, n_pairs, rng)

    def _pairs_left(self) -> dict[str, int]:
        """Pairs the next round may plan, under each limit: the round size and the budgets. A dollar budget
        buys pairs at the dearest pair's cost so far, not the mean's (stored calls without a recorded cost
        counted at an estimate: `runner.plan_cost`): rounds planned at the mean passed the budget whenever
        the last round's pairs cost more than the average, and at the dearest the plan stays within it unless a
        pair costs more than every pair before it. Near the end the rounds shrink, as each buys what the rest
        of the budget surely pays for."""
        limits = {"round": max(1, self.games_per_round // self.calls_per_pair)}
        if self.budget_calls is not None:
            limits["budget_calls"] = (self.budget_calls - self.calls) // self.calls_per_pair
        if self.budget_usd is not None:
            mean = self.cost_usd / self.calls * self.calls_per_pair if self.calls else 0.0
            per_pair = max(mean, self.dearest_pair_usd)
            if per_pair > 0:
                limits["budget_usd"] = int((self.budget_usd - self.cost_usd) // per_pair)
            elif self.calls:  # a budget nothing counts against would be no budget: refused, not ignored
                raise ConfigError(f"a dollar budget needs to know what the judge's calls cost, and the first "
                                  f"{self.calls:,} cost nothing: the judge's server reported no token usage (or the "
                                  "judge's prices are 0), so the budget cannot be kept; the calls made are stored: "
                                  f"give a budget of judge calls instead ({how_to_set('budget_calls', 'N')})")
            else:  # nothing paid for yet: one pair first, to learn what a pair costs
                limits["budget_usd"] = 1
        return limits

    def _finish(self, reason: str) -> list[Pair]:
        self.design.release(self.pending)
        self.pending = []
        self.stopped_by = reason
        return []

    @property
    def over_budget(self) -> str | None:
        """Why the plan cost more than its dollar budget: "first pair" when the pair sent alone to learn the price
        of a call cost more than the whole budget, "dearer pair" when a later pair cost more than every pair before
        it (the rounds are bought at the dearest so far); None within the budget, or without one."""
        if self.budget_usd is None or self.cost_usd <= self.budget_usd:
            return None
        return "first pair" if [len(batch) for batch in self.rounds] == [1] else "dearer pair"

    @property
    def bracket_rounds(self) -> int | None:
        """A tournament's bracket rounds: ceil(log2 M) for the question with the most models M (None for other
        strategies)."""
        if self.strategy != "tournament":
            return None
        most = int(self.design.answered.sum(axis=1).max(initial=0))
        return max(most - 1, 0).bit_length()

    def report(self) -> dict:
        """What the leaderboard's meta records about the plan: strategy, seed, games per round, its design (the
        models and how many questions: a later run of other data says it is a new plan), rounds (the
        planner's steps: a tournament's batches) and a tournament's bracket_rounds, calls against all pairs, the
        rule that stopped it, the stopping rule set (`stop`, None without one), the precision reached, whether the
        last standing's maximum-likelihood ratings existed (a stopping rule is never reached without them) and a
        SHA-256 of the chosen games; with a dollar budget, the budget, the plan's cost it was compared with and
        how many of its calls were costed at an estimate (and how many for each reason), and why it passed the
        budget (`over_budget`); when a budget of calls stopped it, the budget that compares every model
        (`calls_to_compare_all`), which the warning naming the models left out gives, a refit of the results
        folder's too."""
        bracket = {} if self.bracket_rounds is None else {"bracket_rounds": self.bracket_rounds}
        dollars = {} if self.budget_usd is None else {
            "budget_usd": self.budget_usd, "cost_usd": self.cost_usd,
            "calls_cost_estimated": sum(self.calls_cost_estimated.values()),
            "calls_cost_estimated_by": self.calls_cost_estimated, "over_budget": self.over_budget}
        cut = {"calls_to_compare_all": self.calls_to_compare_all()} if self.stopped_by == "budget_calls" else {}
        return {"strategy": self.strategy, "seed": self.seed, "games_per_round": self.games_per_round,
                "models": list(self.design.models), "questions": len(self.design.questions),
                "rounds": self.chosen, **bracket, **dollars, **cut,
                "calls": self.calls, "calls_all_pairs": self.calls_all_pairs, "stopped_by": self.stopped_by,
                "stop": None if self.stop is None else str(self.stop),
                "precision": self.last.precision() if self.last is not None else None,
                "ratings_exist": None if self.last is None else self.last.ratings_exist,
                "plan_sha256": plan_sha256(self.chosen_rounds)}


def plan_sha256(rounds: Sequence[Sequence[Pair]]) -> str:
    """A SHA-256 of a plan's pairs round by round, in the order chosen (meta.adaptive.plan_sha256): what a
    results folder's plan.jsonl is checked against, since the plan's design-bias correction is that plan's."""
    plan = "\n".join(f"{r}\t{p.question_id}\t{p.model_a}\t{p.model_b}" for r, batch in enumerate(rounds) for p in batch)
    return hashlib.sha256(plan.encode()).hexdigest()


def step_noun(strategy: str) -> str:
    """What output calls one step of a plan (one `Planner.next_round`): a round of an adaptive plan, a batch of a
    tournament, where a round is the bracket's (a user reads "3 rounds" of single elimination as the bracket's)."""
    return "batch" if strategy == "tournament" else "round"


# -- the bias of ratings from an adaptive plan -----------------------------------------------------------


def design_bias(planner: Planner, outcomes: pd.DataFrame, replays: int = BIAS_REPLAYS) -> DesignBias | None:
    """How far this plan's choice of pairs moved each model's Bradley-Terry rating: the median rating over
    `replays` replays of the same plan, against a judge that follows the plan's final ratings (`ReplayJudge`),
    minus those ratings. None when the plan ended before every model was rated.

    Why: the plan compares most the pairs that look close, so a pair whose early verdicts pushed it apart is
    compared less and keeps that luck, and every rating ends a little too far from the middle (20 models and
    4,000 calls in tests/test_schedule_simulation.py's setting: +55 and -47 Elo at the ends, coverage of 95%
    intervals 0.92). The estimate is the bootstrap's bias (Efron & Tibshirani 1993, ch. 10), as bias-adjusted
    estimates of sequential trials are computed (Whitehead 1986): the design is replayed, so whatever the plan
    does with verdicts (rounds, floor, exploration, stopping rule, tournament brackets) enters the estimate.
    Each replay has the plan's strategy, round size, stopping rule and seed-derived choices, and stops at the
    calls the plan made (a dollar budget is replayed as the calls it bought; the replays' first round is a
    whole one, not the single pair a dollar budget starts with to learn the price).

    The median, not the mean: a short plan's replays sometimes leave a model that won (or lost) every
    comparison, whose rating then runs off to where the weak ridge holds it, hundreds of Elo away; a mean of 20
    replays follows such outliers (5 models, 200 calls: corrections of 222 Elo that reversed a clear order,
    and that changed with the round size). The median's shift makes the ratings median-unbiased, as
    estimates after group sequential trials are made (Emerson & Fleming 1990), which is what the intervals'
    coverage needs; in large samples, where the replays scatter normally, it estimates the same shift."""
    import pandas as pd

    from judgebench.leaderboard import DesignBias
    from judgebench.records import OUTCOME_COLUMNS

    final = planner.last
    if final is None or outcomes.empty:
        return None
    judge = ReplayJudge.of(outcomes, dict(zip(final.models, final.rating, strict=True)))
    replayed = []
    for replay in range(replays):
        verdicts_seed = stable_seed(planner.seed, "design-bias", str(replay))
        twin = Planner(planner.design.anew(), planner.strategy, planner.games_per_round,
                       seed=stable_seed(planner.seed, "replay", str(replay)), calls_per_pair=planner.calls_per_pair,
                       budget_calls=planner.calls, stop=planner.stop, confidence=planner.confidence)
        outcomes_so_far = pd.DataFrame(columns=OUTCOME_COLUMNS)
        while batch := twin.next_round(outcomes_so_far):
            outcomes_so_far = pd.concat([outcomes_so_far, judge.outcomes(batch, verdicts_seed)], ignore_index=True)
        if twin.last is not None:
            replayed.append(dict(zip(twin.last.models, twin.last.rating, strict=True)))
    if not replayed:
        return None
    drift = {name: float(np.median([ratings[name] for ratings in replayed]) - judge.rating[name])
             for name in final.models}
    centre = float(np.mean(list(drift.values())))  # medians of centred ratings need not average 0
    return DesignBias({name: value - centre for name, value in drift.items()}, len(replayed))


@dataclass(frozen=True)
class ReplayJudge:
    """The judge of `design_bias`'s replays: each pair's outcome has the Bradley-Terry expected score p from
    `rating` (Elo) and scatters around it as the run's outcomes did, so that the replays' verdicts are as
    decisive as the judge's (a noisier replay would overstate the bias, a steadier one understate it).

    - Verdicts of wins, ties and losses (`graded` False): a tie with the run's share of ties as far as p
      allows (a pair expected to score p ties at most 2 min(p, 1 - p) of the time), else a win or a loss.
    - Graded verdicts (the logprob template's probabilities, five-level labels): a Beta(p c, (1 - p) c) score,
      mean p, with the concentration c that gives the run's mean squared residual, ``E[p (1 - p)] / (c + 1)``
      (moments; c near 0 is a win or a loss)."""

    rating: dict[str, float]
    tie_share: float
    concentration: float | None  # None: wins, ties and losses

    @classmethod
    def of(cls, outcomes: pd.DataFrame, rating: dict[str, float]) -> ReplayJudge:
        """The replay judge of a run with these outcomes and final ratings."""
        score = outcomes["score_a"].to_numpy(dtype=float)
        if np.all(np.isin(score, (0.0, 0.5, 1.0))):
            return cls(rating, float(np.mean(score == 0.5)), None)
        expected = cls._expected(rating, outcomes["model_a"], outcomes["model_b"])
        spread = float(np.mean(expected * (1 - expected)))
        residual = float(np.mean((score - expected) ** 2))
        return cls(rating, 0.0, max(spread / max(residual, 1e-12) - 1.0, 0.0))

    @staticmethod
    def _expected(rating: dict[str, float], first: Sequence[str], second: Sequence[str]) -> np.ndarray:
        gap = np.array([rating[a] - rating[b] for a, b in zip(first, second, strict=True)]) / ELO_PER_LOG_ODDS
        return expected_score(gap)

    def outcomes(self, pairs: Sequence[Pair], seed: int) -> pd.DataFrame:
        """One outcome row per pair (both orders judged, as the plan asks).

        A game's random draws are keyed by `seed`, its question and its models (`game_uniforms`), not taken
        from a stream: a game gets the same verdict whichever round or batch asks for it, so a tournament's
        replays (whose matches do not depend on the round size) are the same whatever the round size."""
        import pandas as pd
        from scipy.special import betaincinv

        from judgebench.records import OUTCOME_COLUMNS

        expected = self._expected(self.rating, [p.model_a for p in pairs], [p.model_b for p in pairs])
        first, second = game_uniforms(pairs, seed, "first"), game_uniforms(pairs, seed, "second")
        if self.concentration is not None and self.concentration > 1e-3:
            score = betaincinv(expected * self.concentration, (1 - expected) * self.concentration, first)
        else:
            tie = np.minimum(self.tie_share, 2 * np.minimum(expected, 1 - expected))
            win = (expected - tie / 2) / np.maximum(1 - tie, 1e-12)  # expected score: win + tie / 2
            score = np.where(first < tie, 0.5, (second < win).astype(float))
        return pd.DataFrame({"question_id": [p.question_id for p in pairs], "model_a": [p.model_a for p in pairs],
                             "model_b": [p.model_b for p in pairs], "score_a": score, "weight": 1.0, "p_ab": score,
                             "p_ba": score}, columns=OUTCOME_COLUMNS)


def game_uniforms(pairs: Sequence[Pair], seed: int, draw: str) -> np.ndarray:
    """One uniform number in [0, 1) per pair, a function of `seed`, `draw` and the pair's question and models
    only (`pairing.stable_seed`'s hash), so that a game's draw does not depend on what else is drawn with it."""
    return np.array([stable_seed(seed, draw, p.question_id, p.model_a, p.model_b) >> 11 for p in pairs],
                    dtype=float) / 2.0 ** 53

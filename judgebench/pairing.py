"""Match plans: which pairs of models are compared on which question, and in which presentation orders.

Plans are deterministic functions of the dataset, the mode and the seed: each question's random draws
come from a generator seeded by (seed, question_id), so adding a question or a model never reshuffles
the others, and a resumed run plans exactly the same games.
"""

from __future__ import annotations

import hashlib
from itertools import combinations

import numpy as np

from judgebench.config import how_to_set, setting_name
from judgebench.errors import ConfigError
from judgebench.records import Dataset, Pair

PAIRING_MODES = ("baseline", "all", "sample")


def stable_seed(seed: int, *parts: str) -> int:
    digest = hashlib.sha256(":".join([str(seed), *parts]).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def _models_answering(dataset: Dataset, question_id: str) -> list[str]:
    return [m for m in dataset.models if (question_id, m) in dataset.answers]


def plan_pairs(dataset: Dataset, mode: str = "baseline", baseline: str | None = None,
               opponents: int | None = None, seed: int = 0) -> list[Pair]:
    """The pairs to judge.

    - `baseline`: every other model against the baseline on each question (model_b = baseline);
    - `all`: every pair of models on each question (model_a < model_b by name);
    - `sample`: each model against `opponents` opponents (None: one) drawn per question without replacement
      (seeded); a pair drawn from both sides is judged once.
    """
    if mode not in PAIRING_MODES:
        raise ConfigError(f"unknown pairing mode '{mode}': use one of {', '.join(PAIRING_MODES)}")
    if mode == "baseline":
        return _baseline_pairs(dataset, baseline)
    if mode == "all":
        return [Pair(q, a, b) for q in dataset.questions
                for a, b in combinations(_models_answering(dataset, q), 2)]
    return _sampled_pairs(dataset, 1 if opponents is None else opponents, seed)


def _baseline_pairs(dataset: Dataset, baseline: str | None) -> list[Pair]:
    if baseline is None:
        raise ConfigError(f"pairing mode 'baseline' needs a baseline model: set {how_to_set('baseline', 'MODEL')} "
                          f"(models in the answers: {', '.join(dataset.models)})")
    if baseline not in dataset.models:
        raise ConfigError(f"baseline model '{baseline}' has no answers; models in the answers: "
                          f"{', '.join(dataset.models)}")
    pairs: list[Pair] = []
    for q in dataset.questions:
        if (q, baseline) not in dataset.answers:
            continue
        pairs.extend(Pair(q, m, baseline) for m in _models_answering(dataset, q) if m != baseline)
    return pairs


def _sampled_pairs(dataset: Dataset, opponents: int, seed: int) -> list[Pair]:
    if opponents < 1:
        raise ConfigError(f"pairing mode 'sample' needs {setting_name('opponents')} of at least 1")
    most = len(dataset.models) - 1
    if opponents > most:  # it judged every pair without a word, as pairs = "all" does
        meets = f"{most} other{'s' * (most != 1)}"
        raise ConfigError(f"opponents is {opponents}, but each model has {meets} to meet: set "
                          f"{how_to_set('opponents', str(most))} or fewer ({most} judges every pair), or "
                          f"{how_to_set('pairs', 'all')} to judge every pair")
    pairs: list[Pair] = []
    for q in dataset.questions:
        models = _models_answering(dataset, q)
        rng = np.random.default_rng(stable_seed(seed, q))
        chosen: set[tuple[str, str]] = set()
        for model in models:
            others = [m for m in models if m != model]
            k = min(opponents, len(others))
            for index in rng.choice(len(others), size=k, replace=False) if k else []:
                first, second = sorted((model, others[int(index)]))
                chosen.add((first, second))
        pairs.extend(Pair(q, a, b) for a, b in sorted(chosen))
    return pairs


def shows_a_first(pair: Pair, seed: int) -> bool:
    """The one presentation order judged for this pair under the `random-one` swap policy (seeded)."""
    return stable_seed(seed, "order", pair.question_id, pair.model_a, pair.model_b) % 2 == 0


def presentation_orders(pair: Pair, swap: str, seed: int = 0) -> list[tuple[str, str]]:
    """(first, second) model orders to judge for a pair: both orders, or one seeded order."""
    ab, ba = (pair.model_a, pair.model_b), (pair.model_b, pair.model_a)
    if swap == "random-one":
        return [ab if shows_a_first(pair, seed) else ba]
    return [ab, ba]

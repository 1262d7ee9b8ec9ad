"""Ratings from pairwise outcomes: pure functions over arrays, no I/O.

- `counts`: outcomes (DataFrame, Arrow table or arrays) -> coded rows and weighted pair counts;
- `bradley_terry`: maximum-likelihood Bradley-Terry (ties half or Davidson, optional first-position
  effect, optional ridge), Elo-scale ratings, and the vectorised fit of bootstrap replicates;
- `elo`: online Elo in stored order;
- `intervals`: question and per-judgment bootstrap, sandwich covariance, ranks and separability;
- `winrate`: AlpacaEval-style win rates against a baseline, length-controlled win rates;
- `style`: Bradley-Terry with answer-length and markdown covariates.

Submodules are imported on demand (`from judgebench.ratings import bradley_terry`) so that the command line
starts fast.
"""

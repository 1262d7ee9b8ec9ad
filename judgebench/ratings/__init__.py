"""Ratings from pairwise outcomes: pure functions over arrays, no I/O.

- `counts`: outcomes (DataFrame, Arrow table or arrays) -> coded rows and weighted pair counts;
- `bradley_terry`: maximum-likelihood Bradley-Terry (ties half or Davidson, optional first-position
  effect, optional ridge), Elo-scale ratings, and the vectorised fit of bootstrap replicates;
- `elo`: online Elo in stored order;
- `intervals`: question and per-judgment bootstrap, sandwich covariance, anchor-free ranks and
  separability from the intervals of pairwise rating differences, and the share of bootstrap replicates
  at each rank;
- `winrate`: AlpacaEval-style win rates against a baseline with their intervals, and AlpacaEval's
  length-controlled win rates from its published GLM weights;
- `style`: style control, Bradley-Terry with arena-hard-auto v2's length and markdown covariates, fitted by the
  same Newton driver (`bradley_terry.newton`) as every other Bradley-Terry variant.

Submodules are imported on demand (`from judgebench.ratings import bradley_terry`) so that the command line
starts fast.
"""

"""One table of weighted outcomes against a baseline, for the win rate's tests at two levels: the statistics
(tests/test_winrate.py, by hand per cluster) and the leaderboard built from outcomes (tests/test_leaderboard.py).

Each pair's weight is the mean of its two games' weights under a template that counts [[A>>B]] three times
(1, 2 or 3), so a weighted win rate differs from the plain mean of the scores.
"""

from __future__ import annotations

# (model, baseline, score of the model on q0, q1, ..., weight of each of those outcomes): y has no outcome on q7.
WEIGHTED = [("x", "base", [1, 0.75, 0, 0.5, 1, 0.25, 1, 0], [3, 2, 1, 2, 1, 3, 2, 1]),
            ("y", "base", [0, 0.5, 0.25, 1, 0, 0.75, 0.5], [1, 1, 3, 2, 3, 2, 1])]

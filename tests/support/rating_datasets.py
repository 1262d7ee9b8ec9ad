"""Readers of the published rating data sets in ../shared/data/ratings (../shared/data/README.md says where
each comes from): evalica's comparison files and golden scores, and Agresti's 1987 AL East baseball games.
Tests of Bradley-Terry, Elo and the leaderboard command check judgebench against these published figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from judgebench.datasets.judgments import load_outcomes


def evalica_outcomes(path) -> pd.DataFrame:
    """evalica's comparison files (left, right, winner) as `judgebench leaderboard --outcomes` reads them:
    every row its own question."""
    return load_outcomes(path)


def golden(path, algorithm: str) -> pd.Series:
    frame = pd.read_csv(path, dtype={"item": str})
    return frame[frame["algorithm"] == algorithm].set_index("item")["score"]


def baseball_games(shared_data) -> pd.DataFrame:
    table = pd.read_csv(shared_data / "ratings" / "baseball_1987_al_east.csv")
    rows = []
    for game in table.itertuples():
        rows += [(game.home_team, game.away_team, 1.0)] * game.home_wins
        rows += [(game.home_team, game.away_team, 0.0)] * game.away_wins
    frame = pd.DataFrame(rows, columns=["first", "second", "p_first"])
    frame["question_id"] = np.arange(len(frame))
    return frame

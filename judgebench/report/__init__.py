"""The HTML report and static plots of a run (`judgebench report`), and the run data they are drawn from.

Nothing here computes a statistic: ratings come from leaderboard.json (or `judgebench.rate` on a store) and
the judge's figures from `judgebench.diagnostics`; this package only reads, lays out and draws them.
"""

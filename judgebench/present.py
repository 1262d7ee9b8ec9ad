"""Presentation of results, and nothing else: terminal tables (rich), Markdown, status lines, the progress bar.

Every number shown here was computed elsewhere (leaderboard.py, diagnostics.py, runner.py); this module
only formats. Terminal tables never cut a cell: when the terminal is too narrow for every column, the
secondary columns are dropped in the order `SECONDARY_COLUMNS` lists them (last first), until the table
fits, but never what the rows are ranked by (`leaderboard_table`); the Markdown file always has every
column. Neither shows a column that is n/a for every model (position consistency of imported outcomes, which
have no per-order verdicts).
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column, Table
from rich.text import Text

if TYPE_CHECKING:
    from judgebench.config import RunConfig
    from judgebench.diagnostics import RunDiagnostics
    from judgebench.engines.base import EngineEvent
    from judgebench.evaluation import Evaluation
    from judgebench.leaderboard import Leaderboard
    from judgebench.records import Dataset
    from judgebench.runner import RunResult, Tally
    from judgebench.schedule import Planner

# Columns of the terminal leaderboard after rank, model, rating and interval, most important first: on a
# narrow terminal the last ones are dropped first (position consistency, then split pairs, ties, pairs, LC SE,
# LC win rate, P(win), win rate SE, win rate), except the one the rows are ranked by (`leaderboard_table`).
# P(win) is a style-controlled board's only (`_secondary_title`): elsewhere it is the rating again, as odds.
SECONDARY_COLUMNS = ("win_rate", "win_rate_se", "win_probability", "lc_win_rate", "lc_win_rate_se", "n_games",
                     "n_ties", "n_split", "position_consistency")
# Fields shown within another field's cell (`entry_cell`), never as columns of their own.
_WITHIN_CELLS = ("win_probability_lower", "win_probability_upper")
_RATE_FIELDS = {"win_rate", "win_probability", "tie_probability", "expected_score", "position_consistency",
                "discrete_win_rate", "lc_win_rate", "win_rate_se", "lc_win_rate_se"}
_MARKDOWN_COLUMNS = (("win_rate", "win rate"), ("win_rate_se", "win rate SE"), ("win_probability", "P(win)"),
                     ("tie_probability", "P(tie)"), ("expected_score", "expected score"),
                     ("lc_win_rate", "LC win rate"), ("lc_win_rate_se", "LC SE"),
                     ("n_games", "pairs"), ("n_ties", "ties"), ("n_split", "split"),
                     ("position_consistency", "position consistency"),
                     ("avg_length", "avg length"))
# Titles of the fields leaderboard.md leaves out, for the tables that show them (the HTML report).
_OTHER_TITLES = {"n_wins": "wins", "n_losses": "losses", "n_draws": "draws", "discrete_win_rate": "discrete win rate",
                 "rank_note": "rank note"}
_METHOD_NAMES = {"bt": "Bradley-Terry", "elo": "online Elo", "winrate": "win rate"}
_RANK_RULE = ("Rank = 1 + number of models significantly better, from the interval of each pairwise rating "
              "difference (independent of the anchor), so a model whose rating is less certain can rank above a "
              "higher-rated one (fewer models are significantly better than it), and models with equal ratings "
              "(the same record, won on other questions) can rank apart, listed by rank; a model without a rating "
              "has no rank.")
LC_RANKING = "ranked by length-controlled win rate, as AlpacaEval 2.0"
_LC_RANK_RULE = (f"{LC_RANKING[0].upper()}{LC_RANKING[1:]}: rank = 1 + number of models whose LC win rate is "
                 "significantly higher, from the standard error of each difference over the instructions (the GLM's "
                 "weights taken as known, as AlpacaEval's LC SE takes them); a model without LC weights has no rank.")


def display_fields(fields: Iterable[str]) -> list[str]:
    """`fields` (leaderboard fields, MODEL_FIELDS order) in the order a table showing them all (the HTML report)
    uses: leaderboard.md's columns in leaderboard.md's order (`_MARKDOWN_COLUMNS`; the terminal's are in the same
    order) where the first of them stands in MODEL_FIELDS, the fields leaderboard.md leaves out in their own
    places. MODEL_FIELDS itself keeps late fields last (n_split after position consistency) so that
    leaderboard.csv's columns keep their places."""
    fields = [key for key in fields if key not in _WITHIN_CELLS]
    shown = [key for key, _ in _MARKDOWN_COLUMNS if key in fields]
    at = next((i for i, key in enumerate(fields) if key in shown), len(fields))
    return [*fields[:at], *shown, *(key for key in fields[at:] if key not in shown)]


def column_title(key: str, meta: dict[str, Any]) -> str:
    """A leaderboard field's column title in tables people read (the terminal, Markdown, the HTML report):
    `n_games` is what the counts count (`counted_unit`), `rating` says what the ratings are (`rating_title`),
    `win_rate` what it is measured against (`win_rate_title`); fields without a title keep their name."""
    if key == "rating":
        return rating_title(meta)
    if key == "n_games":
        return counted_unit(meta)
    return win_rate_title(meta) if key == "win_rate" else {**dict(_MARKDOWN_COLUMNS), **_OTHER_TITLES}.get(key, key)


def counted_unit(meta: dict[str, Any]) -> str:
    """What a leaderboard's counts (n_games, n_ties) count: "pairs" for judgebench's judgments (a run's, a
    store's: a question's two answers, the two orders being one) and AlpacaEval's annotations (one order each),
    "outcomes" for an outcomes table, each of whose rows counts once, be it one order of a pair or both: the
    column titled "pairs" showed 80 for the 40 pairs of a file with a row per order."""
    return "outcomes" if meta.get("source") == "outcomes" else "pairs"


def rating_title(meta: dict[str, Any]) -> str:
    """The rating column's title: "win rate" when the ratings are win rates (method winrate), else "rating"."""
    return "win rate" if ratings_are_win_rates(meta) else "rating"


def method_title(meta: dict[str, Any]) -> str:
    """'Bradley-Terry vs base', 'win rate vs gpt-4', 'style-controlled Bradley-Terry', ...: what the ratings
    are."""
    title = ("style-controlled " if meta.get("style_control") else "") + _METHOD_NAMES.get(meta["method"],
                                                                                         str(meta["method"]))
    return title + (f" vs {meta['baseline']}" if meta.get("baseline") else "")


def fit_lines(meta: dict[str, Any]) -> list[str]:
    """What a Bradley-Terry fit adjusted for besides the models, one line each, with the leaderboard's
    intervals: the style coefficients of a style-controlled fit (and the features left out because they never
    vary), the fitted first-position effect; and, first, which of a store's judgments were rated when --latest
    chose among them (`store.latest_judgments`)."""
    level = f"{100 * meta.get('confidence', 0.95):g}%"
    latest = meta.get("latest")
    lines = [] if latest is None else [
        f"Latest judgments (--latest): {counted(latest['games'], 'game')} judged by more than one request (answers, "
        f"template text or judge settings changed between runs) rated by the judgment stored last; "
        f"{counted(latest['set_aside'], 'older judgment')} set aside."]
    coefficients = meta.get("style_coefficients")
    if coefficients:
        # bounds are null where there are no intervals (outcomes of one question)
        shown = "; ".join(f"{name} {c['coefficient']:.3f}" + (f" [{c['lower']:.3f}, {c['upper']:.3f}]"
                                                               if c["lower"] is not None else "")
                          for name, c in coefficients.items())
        bounded = any(c["lower"] is not None for c in coefficients.values())
        dropped = meta.get("style_features_dropped")
        lines.append(f"Style control: ratings net of answer style; coefficients in log-odds per root mean square of "
                     f"each style difference (0 = no effect), {f'{level} intervals' if bounded else 'no intervals'}: "
                     f"{shown}"
                     + (f"; not fitted, the same in every outcome: {', '.join(dropped)}" if dropped else "") + ".")
    effect = meta.get("position_effect")
    if isinstance(effect, dict) and effect.get("log_odds") is not None:
        lines.append(f"Position effect fitted (the first-shown answer's advantage, like home advantage in sports): "
                     f"{effect['log_odds']:.3f} [{effect['lower']:.3f}, {effect['upper']:.3f}] log-odds ({level} "
                     f"interval; 0 = none); P(first wins between equal models) {effect['first_win_probability']:.3f} "
                     f"[{effect['first_win_probability_lower']:.3f}, {effect['first_win_probability_upper']:.3f}]"
                     + (f"; {effect['note']}" if effect.get("note") else "") + ".")
    elif isinstance(effect, dict) and effect.get("note"):  # fitted, with no estimate: why
        lines.append(f"Position effect fitted, with no estimate: {effect['note']}.")
    return lines


def _board_title(meta: dict[str, Any]) -> str:
    """'Leaderboard (win rate vs gpt-4)', and what orders the rows when it is not the rating."""
    ranked = f", {LC_RANKING}" if meta.get("ranked_by") == "lc_win_rate" else ""
    return f"Leaderboard ({method_title(meta)}){ranked}"


def rank_rule(meta: dict[str, Any]) -> str:
    """How the ranks were decided: from rating differences, or (AlpacaEval imports) from LC win rates."""
    return _LC_RANK_RULE if meta.get("ranked_by") == "lc_win_rate" else _RANK_RULE


def win_rate_title(meta: dict[str, Any]) -> str:
    """The win_rate column's title: against the baseline, or without one the pooled score (all the model's
    outcomes together, ties half: not the mean over opponents, evalica's average_win_rate)."""
    return "win rate vs baseline" if meta.get("baseline") else "win rate (pooled)"


def written_files(paths: Iterable[Path]) -> str:
    """'wrote results/x/: a.json, b.csv': the files a command wrote, by folder, relative to the working
    directory when they are under it."""
    folders: dict[Path, list[str]] = {}
    for path in paths:
        folders.setdefault(Path(path).parent, []).append(Path(path).name)
    shown = []
    for folder, names in folders.items():
        try:
            where = folder.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            where = folder
        shown.append(f"{where}/: {', '.join(names)}")
    return "wrote " + "; ".join(shown)


def format_rank(rank: int | None) -> str:
    """A rank, or '-' for a model without a rating (its rank_note says why)."""
    return "-" if rank is None else str(rank)


def format_rating(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def format_rate(value: float | None) -> str:
    """A fraction in [0, 1] as a percentage."""
    return "n/a" if value is None else f"{100 * value:.1f}%"


def format_cell(key: str, value: Any) -> str:
    """One per-model figure of a leaderboard entry, as text."""
    if value is None:
        return "n/a"
    if key in _RATE_FIELDS:
        return format_rate(value)
    if key == "avg_length":
        return f"{value:.0f}"
    return str(value)


def entry_cell(key: str, entry: dict[str, Any]) -> str:
    """Field `key` of a leaderboard entry as every table shows it (the terminal, leaderboard.md, the report):
    `format_cell`, and the style-adjusted P(win) with its interval in brackets where the entry has one
    (`leaderboard._style_controlled`: arena-hard-auto's style-controlled score against the baseline)."""
    if key == "win_probability" and entry.get("win_probability_lower") is not None:
        return (f"{format_rate(entry[key])} [{format_rate(entry['win_probability_lower'])}, "
                f"{format_rate(entry.get('win_probability_upper'))}]")
    return format_cell(key, entry.get(key))


def ratings_are_win_rates(meta: dict[str, Any]) -> bool:
    """Whether a leaderboard's ratings are win rates against its baseline (method winrate: fractions, shown as
    percentages in tables and on the forest plot's axis), not Elo-scale points."""
    return bool(meta["method"] == "winrate")


def repeats_the_rating(key: str, meta: dict[str, Any]) -> bool:
    """Whether field `key` is the rating again, so a table showing the rating leaves it out: the win rate vs the
    baseline of a board whose ratings are those win rates (AlpacaEval's showed 70.5% under both titles)."""
    return key == "win_rate" and ratings_are_win_rates(meta)


def rating_format(meta: dict[str, Any]) -> Callable[[float | None], str]:
    """How a leaderboard's ratings and their intervals' ends are written: percentages when the ratings are
    win rates (method winrate), else Elo-scale points."""
    return format_rate if ratings_are_win_rates(meta) else format_rating


# --- Markdown --------------------------------------------------------------------------------------------

# CommonMark's marks, escaped with a backslash; and GitHub's own past CommonMark, which a backslash does not keep
# from it: `$...$` is math (GitHub's "Writing mathematical expressions" page writes a dollar sign that is not math
# as <span>$</span>) and `:name:` an emoji (found in the HTML's text after Markdown, within one text node, as
# html-pipeline's EmojiFilter does: `\:` is a plain colon by then). So a dollar sign, and a colon that a
# shortcode's name and colon follow, each stand alone in a <span>.
_MARKDOWN_MARKS = re.compile(r"([\\`*_\[\]|#~<&])|(\$|:(?=[\w+-]+:))")
# A judgebench command line in backticks in judgebench's own prose (`judgebench leaderboard --results DIR`).
_COMMAND = re.compile(r"`(judgebench [a-z]+(?: --?[a-z][a-z-]*(?: [A-Z]+)?)*)`")


def markdown_text(text: str, commands: bool = False) -> str:
    """`text` shown as it is in Markdown (GitHub's): its punctuation escaped and its line breaks made spaces, so
    that a model's name, its answer, a judge's reasoning or a category name can neither format a table or
    summary, nor hide text (`<!--`), nor name a character (`&lt;`), nor split a table's row (`|`, a line
    break), nor become math (`$x$`) or an emoji (`:smile:`). The one escape of every Markdown file judgebench
    writes, prose and table cells alike.

    With `commands`, for judgebench's own sentences (warnings, notes): the judgebench command lines they hold
    in backticks (`_COMMAND`) are shown as inline code, every other backtick as itself. The names these
    sentences hold are not marked, so only a command's shape opens code: a name with backticks in it stays text,
    unless it holds a whole judgebench command in backticks, which then shows as code like judgebench's own."""
    text = " ".join(str(text).split())
    parts = _COMMAND.split(text) if commands else [text]  # split: the commands at odd places
    return "".join(markdown_code(part) if k % 2 else _MARKDOWN_MARKS.sub(_escaped_mark, part)
                   for k, part in enumerate(parts))


def _escaped_mark(match: re.Match[str]) -> str:
    return f"\\{match[1]}" if match[1] else f"<span>{match[2]}</span>"


def markdown_code(text: str) -> str:
    """`text` as an inline code span, delimited by more backticks than it holds in a row (CommonMark 6.1)."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if "`" in text else f"`{text}`"


def leaderboard_markdown(board: Leaderboard) -> str:
    """The leaderboard as a Markdown table (leaderboard.md), with the method, the interval's level, the
    leaderboard's warnings and what its less obvious columns mean (`table_notes`) stated."""
    optional = [(key, column_title(key, board.meta)) for key, _ in _MARKDOWN_COLUMNS
                if not repeats_the_rating(key, board.meta)]
    shown = [(key, title) for key, title in optional if _known(board, key)]
    headers = ["rank", "model", column_title("rating", board.meta), "interval", *(title for _, title in shown)]
    value = rating_format(board.meta)
    plan = board.meta.get("adaptive")  # a plan chosen as it goes: how, and the correction of its bias
    notes = table_notes(board, [key for key, _ in shown])
    paragraphs = [f"Intervals: {board.meta['interval_label']}. {rank_rule(board.meta)}", provenance_line(board.meta),
                  *fit_lines(board.meta), *(f"Warning: {warning}." for warning in board.meta.get("warnings") or []),
                  *([f"Plan: {adaptive_summary(plan, board)}."] if plan else []),
                  *([" ".join(f"{note}." for note in notes)] if notes else [])]
    # Names in the prose (the baseline's, the judge's, those the warnings name) are text, as in the table; the
    # judgebench commands the warnings give are code.
    lines = [f"# {markdown_text(_board_title(board.meta))}", "",
             *(line for paragraph in paragraphs for line in (markdown_text(paragraph, commands=True), "")),
             "| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for entry in board.models:
        cells = [format_rank(entry["rank"]), markdown_text(entry["model"]), value(entry["rating"]),
                 interval_text(entry, value),
                 *(entry_cell(key, entry) for key, _ in shown)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def table_notes(board: Leaderboard, columns: Iterable[str]) -> list[str]:
    """What a table's figures mean where their titles cannot say it, one sentence each (no full stop), for the
    shown `columns` (leaderboard fields besides rank, model, rating and interval)."""
    meta, columns = board.meta, set(columns)
    notes = [meta["rating_label"]] if meta.get("rating_label") else []
    label = meta.get("win_probability_label")
    if "win_probability" in columns and label:  # "style-adjusted P(win): ..." starts a sentence here
        notes.append(f"{label[0].upper()}{label[1:]}")
    if "n_split" in columns:
        notes.append("Ties: pairs judged a tie; split: pairs whose two orders picked opposite answers (the answer "
                     "shown first won both times, or the one shown second did), neither won, lost nor tied; each "
                     "scores the mean of its two verdicts, 0.5 like a tie when they are plain and weigh the same")
    if "win_rate" in columns and not meta.get("baseline"):
        notes.append(f"{column_title('win_rate', meta).capitalize()}: the share of each model's own outcomes that it "
                     "won (ties half), against whichever opponents it met; where models met different opponents "
                     "(sampled or adaptive pairs), it can order them unlike the ratings, which allow for each "
                     "opponent's strength")
    if meta.get("baseline"):
        notes.append(f"The baseline {meta['baseline']} scores 50% against itself by definition; its counts "
                     "are its games against the other models")
        counts = [column_title(key, meta) for key in ("n_games", "n_ties", "n_split") if key in columns]
        if ("win_rate" in columns or meta["method"] == "winrate") and counts and _beyond_the_baseline(board):
            unit = counted_unit(meta)
            notes.append(f"The win rate counts each model's {unit} against {meta['baseline']} only; "
                         f"{_listed(counts)} count its {unit} against every opponent")
    return notes


def _listed(items: list[str]) -> str:
    """'pairs', 'pairs and ties', 'pairs, ties and split'."""
    return " and ".join(filter(None, (", ".join(items[:-1]), items[-1])))


def _beyond_the_baseline(board: Leaderboard) -> bool:
    """Whether models were also compared with one another, not only with the baseline: their pairs then outnumber
    the baseline's (each of its pairs is one of theirs)."""
    games = {entry["model"]: entry.get("n_games") or 0 for entry in board.models}
    baseline = games.pop(board.meta["baseline"], None)
    return baseline is not None and sum(games.values()) > baseline


def provenance_line(meta: dict[str, Any]) -> str:
    """Who judged and how, for the head of a results file: judge, template, swap policy, interval method and
    level, judgebench version ("unknown" where the source did not record it, e.g. imported outcomes)."""
    def known(key: str) -> str:
        value = meta.get(key)
        return "unknown" if value is None else str(value)
    return (f"Judge: {known('judge')}; template: {known('template')}; swap policy: {known('swap')}; "
            f"intervals: {known('interval')} at {100 * meta.get('confidence', 0.95):g}%; "
            f"judgebench {known('judgebench_version')}.")


# --- terminal tables ---------------------------------------------------------------------------------------


def table_room(console: Console) -> int:
    """How wide a table may be: the terminal's width, or COLUMNS where set; in a log or a pipe with neither, as
    wide as its columns need (rich's default there, 80 columns, left a CI log's leaderboard without its win rate,
    pairs, ties and split)."""
    if console.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return console.width
    return LOG_WIDTH


LOG_WIDTH = 10_000
"""`table_room` in a log: every column."""


def drawn_at(table: Table, width: int) -> Table:
    """`table` laid out at most `width` columns wide (`table_room`): as wide as its cells need where that fits, so
    that in a log or a pipe no cell is wrapped or folded (rich drew every table 80 columns wide there), else
    `width`, its cells wrapped or folded to fit. Print it with `crop=False`: a log's console is 80 columns."""
    table.width = min(table_width(table), width)
    return table


def leaderboard_table(board: Leaderboard, width: int) -> Table:
    """The leaderboard as a rich table at most `width` columns wide where possible, no cell ever cut.

    Rank, model and what the rows are ranked by always stay: the rating with its interval, or the LC win rate
    of AlpacaEval imports, ranked by it. The other columns go one by one, from the last of SECONDARY_COLUMNS,
    then the interval and the rating, until the table fits. A table that does not fit even
    then keeps its own width rather than being squeezed into `width` (print it with `crop=False`: a terminal
    wraps its lines, a log keeps them whole).
    """
    ranking = _ranking_columns(board)
    shown = [key for key in ("rating", "interval", *SECONDARY_COLUMNS)
             if key in ranking or (_secondary_title(board, key) is not None and _known(board, key))]
    optional = [key for key in shown if key not in ranking]
    while True:
        table = _leaderboard_table(board, [key for key in shown if key in ranking or key in optional])
        natural = table_width(table)
        if natural <= width or not optional:
            table.width = natural  # laid out whole: wider than `width` if it must be, or than a log's console
            return table
        optional.pop()


def _ranking_columns(board: Leaderboard) -> tuple[str, ...]:
    """The columns that say what orders the rows, which a narrow terminal never drops."""
    return ("lc_win_rate",) if board.meta.get("ranked_by") == "lc_win_rate" else ("rating", "interval")


def interval_text(entry: dict[str, Any], value: Callable[[float | None], str]) -> str:
    """A model's interval in a table, its ends formatted by `value`; "n/a" where it has none (Bradley-Terry
    ratings of one question, `leaderboard._one_cluster`)."""
    if entry.get("lower") is None and entry.get("upper") is None:
        return "n/a"
    return f"{value(entry.get('lower'))} to {value(entry.get('upper'))}"


def _known(board: Leaderboard, key: str) -> bool:
    """Whether some model has a value for `key` (the interval: its lower end): a column n/a for every model is not
    shown."""
    field = "lower" if key == "interval" else key
    return any(entry.get(field) is not None for entry in board.models)


def _secondary_title(board: Leaderboard, key: str) -> str | None:
    if repeats_the_rating(key, board.meta) or (key == "win_probability" and not board.meta.get("style_control")):
        return None
    return column_title(key, board.meta)


def _leaderboard_table(board: Leaderboard, columns: list[str]) -> Table:
    """The table with rank, model and `columns` (keys of SECONDARY_COLUMNS, "rating" and "interval")."""
    notes = "".join(f"\n{note}." for note in table_notes(board, columns))
    table = Table(title=Text(_board_title(board.meta)), caption=Text(board.meta["interval_label"] + notes),
                  box=box.SIMPLE_HEAD)
    longest = max((len(entry["model"]) for entry in board.models), default=5)
    table.add_column("rank", justify="right", no_wrap=True)
    table.add_column("model", no_wrap=True, min_width=longest)
    value = rating_format(board.meta)
    cells: dict[str, Callable[[dict[str, Any]], str]] = {
        "rating": lambda entry: value(entry["rating"]),
        "interval": lambda entry: interval_text(entry, value)}
    for key in columns:
        table.add_column(column_title(key, board.meta), justify="right", no_wrap=key in cells)
    for entry in board.models:
        table.add_row(format_rank(entry["rank"]), Text(entry["model"]),  # Text: a name is never read as markup
                      *(cells[key](entry) if key in cells else entry_cell(key, entry) for key in columns))
    return table


def table_width(table: Table) -> int:
    """The width `table` needs to show every cell on one line."""
    console = Console(width=100_000)
    return Measurement.get(console, console.options, table).maximum


def self_preference_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """The self-preference figure of diagnostics.json with its interval, and what it measures; none without it."""
    own = figures.get("self_preference")
    if not own:
        return []
    return [(f"self-preference: score of {', '.join(own['models'])} vs others", _rate_cell(own.get("own_score"))),
            ("  note: the models' strength and the judge's preference together: a strong model of the judge's "
             "family scores high without any bias", "")]


_ONE_ORDER = "- (one order per pair)"  # what swap "random-one" leaves unmeasured


def diagnostics_table(evaluation: Evaluation) -> Table:
    """The judge's reliability figures (position consistency, first-slot wins, length bias, failures) and the
    run's cost."""
    d = evaluation.diagnostics
    figures = evaluation.judge_diagnostics  # as `judgebench diagnose` and the report show them, with intervals
    one_order = evaluation.settings.swap == "random-one"
    title = f"Judge diagnostics ({diagnostics_intervals(figures)})" if figures else "Judge diagnostics"
    table = _figures_table(title)
    for key, name, bare in (("position_consistency", "position consistency (pairs whose two orders agree)",
                             d.position_consistency),
                            ("first_slot_win_rate", "first-slot win rate (0.5 = no position bias)",
                             d.first_slot_win_rate)):
        table.add_row(name, _ONE_ORDER if key == "position_consistency" and one_order else
                      _rate_cell(figures[key]) if figures.get(key) else format_rate(bare))
    if figures.get("tie_rate"):
        table.add_row("tie rate (games)", _rate_cell(figures["tie_rate"]))
    length = length_bias_rows(figures["length_bias"]) if "length_bias" in figures else []
    for name, value in [*length, *self_preference_rows(figures)]:
        table.add_row(name, value)
    table.add_row("pairs whose orders disagree", _ONE_ORDER if one_order else str(d.n_inconsistent))
    table.add_row("pairs left out: an order without a verdict", str(d.n_incomplete - d.n_without_verdict))
    table.add_row("pairs left out: no verdict in any order", str(d.n_without_verdict))
    table.add_row("failed games", str(d.n_failed))
    table.add_row("unparsed games", str(d.n_unparsed))
    if d.n_without_logprobs is not None:
        table.add_row("games read from text (no logprobs sent)", str(d.n_without_logprobs))
    for name, value in accounting_rows(evaluation.run.tally, evaluation.settings.judge.priced):
        table.add_row(name, value)
    return table


def accounting_rows(tally: Tally, priced: bool) -> list[tuple[str, str]]:
    """The tokens of the games sent now and, for a judge with prices (`priced`), their cost: the last rows of the
    judge diagnostics after `run` and `diagnose --gold`; unknown, not 0, where the server counted no tokens."""
    if tally.unmetered:
        return [("tokens sent now (prompt + completion)",
                 f"unknown: the server counted none for {counted(tally.unmetered, 'game')}"),
                *([("cost of this run", "unknown: the judge's server reported no token usage")] if priced else [])]
    return [("tokens sent now (prompt + completion)", f"{tally.prompt_tokens:,} + {tally.completion_tokens:,}"),
            *([("cost of this run", dollars(tally.cost or 0.0))] if priced else [])]  # priced: a cost, not None


def presets_table(presets: dict[str, dict[str, Any]]) -> Table:
    """The judge presets (`judgebench judges`)."""
    table = Table(title="Judge presets (--judge NAME)")
    for column in ("name", "engine", "model", "description"):
        table.add_column(column, no_wrap=column == "name", overflow="fold")  # a long model name whole, folded
    for name, preset in sorted(presets.items()):
        model = preset.get("model") or ("embedded SmolLM2-135M" if preset.get("embedded") else "")
        cells = (name, preset.get("engine", "openai"), model, preset.get("description", ""))
        # as written, never read as markup ("judgebench[vllm]" stays)
        table.add_row(*(Text(str(cell)) for cell in cells))
    return table


# --- status lines and progress ------------------------------------------------------------------------------


def counted(n: int, noun: str) -> str:
    """`n` and the noun, plural unless n is 1, with thousands separators: "1 game", "1,200 games", "2 batches"."""
    return f"{n:,} {noun if n == 1 else plural(noun)}"


# what requests abandoned in flight by a stop left, one wording (`abandoned_in_flight`, `abandoned_among`)
_ABANDONED = "not stored, sent again by the next run, tokens and cost not known"


def abandoned_in_flight(n: int, by: str) -> str:
    """That `n` requests were abandoned in flight `by` a stop (a signal, a store that failed): the server got them
    and a paid API may bill them."""
    return f"{n:,} more {'request was' if n == 1 else 'requests were'} abandoned in flight {by} ({_ABANDONED})"


def abandoned_among(n: int) -> str:
    """How many of the judge calls just counted (`Tally.calls`) were abandoned in flight by a stop, said after the
    count; empty for none."""
    return f" ({n:,} of them abandoned in flight by the stop: {_ABANDONED})" if n else ""


def stopped_after_judging(run: RunResult) -> str:
    """What a run stopped by a signal once judging had ended, while its results were computed (an adaptive plan's
    bias correction, a bootstrap), did and did not do (`RunResult.stopped_after_judging`): every game is stored,
    nothing was written (never a table without its correction), and the same command again writes the results,
    sending judge calls only for games stored without a verdict."""
    lacking = run.n_failed + run.n_unparsed
    again = (f"it sends judge calls only for games stored without a verdict, at most {counted(lacking, 'game')} "
             "(an unparsed game that has had its attempts is not asked again)" if lacking
             else "it sends no judge calls")
    return (f"stopped after judging had ended, while the results were computed: every game judged is stored "
            f"({counted(run.tally.calls, 'judge call')} sent now), and no results were written; run the same command "
            f"again to write them ({again})")


def plural(noun: str) -> str:
    """The plural of a regular noun: "games", "batches"."""
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def run_header(settings: RunConfig, gold: str | Path | None = None) -> str:
    """What is about to be judged, and by whom (shown before judging starts): the judge, asked as a reasoning
    model and with its extra request fields where it is (`reasoning_effort=low`: games of another effort are
    other games); its server too, which receives the API key (a key from OPENAI_API_KEY goes to whatever server
    --base-url names); the pairs of a run, or those of the gold set `gold` (`diagnose --gold`), judged in both
    orders."""
    judge = settings.judge
    asked = (["reasoning"] if judge.reasoning else []) + [
        f"{name}={value if isinstance(value, str) else json.dumps(value)}" for name, value in judge.extra_body.items()]
    shown = f"{judge.name} ({', '.join(asked)})" if asked else judge.name
    server = f" at {judge.base_url or 'api.openai.com'}" if judge.engine == "openai" else ""
    pairs = (f"pairs {settings.pairs}, swap {settings.swap}" if gold is None else f"gold pairs {gold}, both orders")
    return f"judge {shown} via {judge.engine}{server}, template {settings.template}, {pairs}"


def inputs_line(settings: RunConfig, dataset: Dataset) -> str:
    """What a run read: its questions, the file they came from and the input format it and the answers were read
    in, and the models. Said before the first judge call (an `inputs` event), so that files read otherwise than
    meant are seen before the judge is paid."""
    return (f"{counted(len(dataset.questions), 'question')} from {_read_as(settings, dataset)}, "
            f"{counted(len(dataset.models), 'model')} ({', '.join(dataset.models)})")


def run_summary(evaluation: Evaluation) -> Iterator[str]:
    """What was judged: the questions skipped, and how many games the store already held (what was read was said
    before judging: `inputs_line`)."""
    meta, run = evaluation.provenance, evaluation.run
    for model, count in sorted(evaluation.diagnostics.skipped.items()):
        yield f"{model}: {counted(count, 'question')} skipped (no answer, or an empty one; --allow-missing)"
    yield games_line(run, evaluation.settings)
    if run.unreadable:
        yield (f"{counted(run.unreadable, 'stored judgment')} with none of the verdicts of template "
               f"'{evaluation.provenance['template']}': counted as unparsed (the store holds the judge's answer, "
               "so it is not asked again)")
    adaptive = meta.get("adaptive")
    if adaptive:
        yield adaptive_summary(adaptive, evaluation.leaderboard)


def _read_as(settings: RunConfig, dataset: Dataset) -> str:
    """'question.jsonl (format mt-bench, detected)': the questions' file or folder and the input format it and the
    answers were read in, named (--format) or detected, so that files read otherwise than meant show it; and a
    references file's own, where it differs (FastChat's reference answers beside questions of another format)."""
    detected = ", detected" if settings.format is None else ""
    references = dataset.references_format
    other = (f"; references {Path(settings.references or 'references').name} as {references}"
             if references and references != dataset.format else "")
    return f"{Path(settings.questions or 'questions').name} (format {dataset.format}{detected}{other})"


def games_line(run: RunResult, settings: RunConfig) -> str:
    """The games of a run (`run` or `diagnose --gold`): planned, found in the store, judge calls sent now (those a
    stop abandoned in flight among them, as `check` counts its calls made)."""
    again = (f", {run.asked_again:,} of the games to send asked again (stored without a verdict: failed, or "
             f"unparsed, which is asked at most {settings.max_unparsed_attempts} times in all unless the judge's "
             "token limit cut it off)"
             if run.asked_again else "")
    shared = (f", {counted(run.shared, 'game')} judged by the call of another game with the same request (identical "
              "answers)" if run.shared else "")
    return (f"{run.planned:,} games planned, {run.reused:,} already in the store ({settings.store}), "
            f"{counted(run.tally.calls, 'judge call')} sent now{abandoned_among(run.tally.abandoned)}{shared}{again}")


# Why an adaptive or tournament plan's ratings are not corrected for its bias (meta adaptive.uncorrected).
UNCORRECTED = {
    "complete": "ratings not corrected: every pair was judged, so the plan chose nothing and has no bias",
    "method": "ratings not corrected for the plan's bias (it is estimated for plain Bradley-Terry only)",
    "swap": "ratings not corrected for the plan's bias (it is estimated for the outcomes of the run's swap policy, "
            "and these were made with another)",
    "unrated": "ratings not corrected for the plan's bias (it cannot be estimated before the plan has compared "
               "every model)",
    "interrupted": "ratings not corrected for the plan's bias (the run was interrupted before estimating it)",
    "no_ratings": "ratings not corrected for the plan's bias (while the maximum-likelihood ratings do not exist, "
                  "replays of the plan would measure the weak ridge)",
}


# Why a plan cost more than its dollar budget (meta adaptive.over_budget, `schedule.Planner.over_budget`).
OVER_BUDGET = {
    "first pair": "the first pair, sent to learn the price per call, cost more than the budget",
    "dearer pair": "its last pairs cost more than every pair before them, at whose price the budget bought them",
}


# Why a call's cost in a plan is an estimate (`runner.plan_cost`; meta.adaptive.calls_cost_estimated_by), and what the
# plan's summary says of such calls (`adaptive_summary`).
ESTIMATED_COST = {
    "no_usage": "answered without token usage, priced at the mean of the others",
    "no_prices": "judged before the judge had prices, priced from token counts at the judge's prices",
    "attempts": "asked more than once with an attempt of unknown cost (answered without token usage, or stored "
                "before the store kept what every attempt cost), each attempt priced at the last one's",
    "failed": "failed after more than one attempt, stored before the store kept what every attempt cost, priced at "
              "nothing (a failed call without a reply is not billed)",
}


def adaptive_summary(adaptive: dict, board: Leaderboard | None = None) -> str:
    """How an adaptive or tournament run went: its steps (an adaptive plan's rounds; a tournament's batches and
    its bracket's rounds), calls against all pairs, why it stopped, what the plan cost against a dollar budget,
    precision (the plan's last standing, which the stopping rule judges, and the widest interval of `board`, the
    leaderboard shown with it: `--stop width=300` was reached at 286 while the table showed one of 442, without a
    word), and the correction of the ratings for the plan's bias."""
    from judgebench.schedule import step_noun

    step = step_noun(adaptive["strategy"])
    steps = counted(adaptive["rounds"], step)
    if adaptive.get("bracket_rounds") is not None:
        steps = f"{counted(adaptive['bracket_rounds'], 'bracket round')} per question, judged in {steps}"
    share = adaptive["calls"] / max(adaptive["calls_all_pairs"], 1)
    over = OVER_BUDGET.get(adaptive.get("over_budget") or "")
    stopped = ("dollar budget exceeded (--budget-usd)" if over and adaptive["stopped_by"] == "budget_usd" else
               stop_reason(adaptive["stopped_by"], step))
    line = (f"{adaptive['strategy']}: {steps}, {counted(adaptive['calls'], 'judge call')} planned "
            f"({'under 1%' if 0 < share < 0.01 else f'{share:.0%}'} of all pairs' "
            f"{adaptive['calls_all_pairs']:,}); stopped: {stopped}{stop_not_reached(adaptive)}"
            f"{_refused_in_plan(adaptive)}")
    if adaptive.get("budget_usd") is not None:
        line += (f"; the plan cost {dollars(adaptive['cost_usd'])} "
                 + (f"of the {budget_dollars(adaptive['budget_usd'])} budget" if over is None else
                    f"and exceeded the {budget_dollars(adaptive['budget_usd'])} budget: {over}")
                 + _estimated_costs(adaptive))
    precision = adaptive.get("precision")
    if adaptive.get("uncorrected") == "no_ratings":  # no estimates to measure (nor to correct, below)
        line += f"; {no_ratings_yet(adaptive)}"
    elif precision:  # what the stopping rule measured: not the table's intervals (README, "Adaptive judging")
        widest = precision["widest_interval"]  # null in the file where some model had no interval
        line += (f"; the plan's last standing (what --stop judges: relative to the average model, uncorrected): "
                 f"widest interval {'not defined' if widest is None else f'{widest:.0f} Elo'}, "
                 f"{precision['adjacent_separated']} of {precision['adjacent_pairs']} adjacent pairs separated"
                 f"{_table_widest(adaptive, board)}")
    bias = adaptive.get("design_bias")
    if "design_bias" in adaptive and bias is None:
        line += "; " + UNCORRECTED[adaptive.get("uncorrected") or "method"]  # no reason: recorded before reasons
    if bias:
        line += (f"; ratings corrected for the plan's bias (up to {max(map(abs, bias['elo'].values())):.0f} Elo "
                 f"from the mean; {bias['replays']} replays of the plan, {bias['seconds']:.1f} s)")
    return line


def _estimated_costs(adaptive: dict) -> str:
    """The summary's word on the plan's calls whose cost is an estimate, by why (meta.adaptive's
    `calls_cost_estimated_by`: `ESTIMATED_COST`; a plan recorded before the reasons were kept has their count
    alone); empty when every call's cost is what was paid."""
    by_why = adaptive.get("calls_cost_estimated_by")
    if by_why is None:
        estimated = adaptive.get("calls_cost_estimated") or 0
        return f" ({counted(estimated, 'call')} at an estimated cost)" if estimated else ""
    parts = [f"{counted(n, 'call')} {ESTIMATED_COST.get(why, 'at an estimated cost')}"
             for why, n in by_why.items() if n]
    return f" (an estimate for {'; '.join(parts)})" if parts else ""


def _refused_in_plan(adaptive: dict) -> str:
    """The summary's word on the plan's games that the judge refused as sent (meta.adaptive's `games_refused`,
    `refused_because`): the plan went on without them, a rerun does not ask for them again, and what does, named
    for `run` (the running command, or a rerun of the run where a leaderboard or report shows it); empty when none
    was."""
    from judgebench.config import command_or_call, command_with, how_to_set

    refused = adaptive.get("games_refused")
    if not refused:
        return ""
    if command_with("--retry-refused"):  # the running command judged the plan: `run`
        again = f"the same command does not ask again; {how_to_set('retry_refused')} does"
    else:  # a leaderboard or report of the run's results asks the judge nothing
        again = (f"a rerun of the run does not ask again; "
                 f"{command_or_call('judgebench run ... --retry-refused', how_to_set('retry_refused'))} does")
    return (f"; {counted(refused, 'game')} the judge refused as sent, left out of the plan (it went on without "
            f"{'it' if refused == 1 else 'them'}, and {again}, once the judge takes "
            f"{'it' if refused == 1 else 'them'}): {str(adaptive['refused_because']).rstrip('.')}")


def _table_widest(adaptive: dict, board: Leaderboard | None) -> str:
    """The widest rating interval of the leaderboard `board`, in Elo points, for the plan's summary beside the
    standing's its stopping rule judged: the leaderboard's is after the correction of the plan's bias and
    relative to its anchor, where the standing's is uncorrected and relative to the average model, so it can be
    wider. Empty without a board or ratings on an Elo-like scale (win rates)."""
    meta = board.meta if board is not None else {}
    widths = [entry["upper"] - entry["lower"] for entry in board.models
              if entry.get("upper") is not None and entry.get("lower") is not None] if board is not None else []
    if not widths or not meta.get("scale"):
        return ""
    anchor = meta.get("anchor")
    where = f"relative to {anchor}" if anchor is not None else "relative to the average model"
    corrected = "corrected for the plan's bias, " if adaptive.get("design_bias") else ""
    return (f"; the leaderboard's widest interval ({corrected}{where}): {max(widths) * 400.0 / meta['scale']:.0f} "
            "Elo")


NO_RATINGS_YET = "maximum-likelihood ratings do not exist yet (some model won or lost every comparison)"
NO_WIDTH = ("the intervals have width 0, which measures nothing (outcomes of one question, or verdicts the fit "
            "predicts exactly, such as a judge's two orders always cancelling into ties)")


def no_ratings_yet(adaptive: dict) -> str:
    """The summary's word on a plan that stopped before its maximum-likelihood ratings existed (`meta.adaptive`'s
    uncorrected "no_ratings"): the leaderboard's numbers look like any other's, but the ridge set them, so it says
    so in place of the widest interval; what to do is the budget that stopped it, larger."""
    remedy = {"budget_calls": "a larger budget (--budget-calls)", "budget_usd": "a larger budget (--budget-usd)"}
    more = remedy.get(adaptive.get("stopped_by") or "", "judging more games")
    return (f"{NO_RATINGS_YET}: the weak ridge alone sets how far apart the models that never lost and those that "
            f"never won stand, so the ratings and intervals are its placeholders, not estimates; {more} goes on "
            "comparing the models until they exist")


def stop_not_reached(adaptive: dict) -> str:
    """The summary's note that a plan with a stopping rule ended before reaching it (a budget, a signal), and
    why when the ratings did not exist (a stopping rule never trusts the weak ridge's intervals); empty
    otherwise."""
    stop, stopped_by = adaptive.get("stop"), adaptive.get("stopped_by")
    if stop is None or stopped_by is None or stopped_by.startswith("stop="):
        return ""
    from judgebench.schedule import COLLAPSED_ELO

    widest = (adaptive.get("precision") or {}).get("widest_interval")
    why = ("" if adaptive.get("uncorrected") == "no_ratings" else  # `no_ratings_yet` says why, after it
           f": {NO_RATINGS_YET}" if adaptive.get("ratings_exist") is False else
           f": {NO_WIDTH}" if widest is not None and widest <= COLLAPSED_ELO else "")
    from judgebench.config import how_to_set

    return f"; {how_to_set('stop', str(stop))} not reached{why}"


def stop_reason(stopped_by: str | None, step: str = "round") -> str:
    """Why an adaptive plan stopped, in words: `Planner.stopped_by` (as leaderboard.json records it) with the
    setting behind it; `step` is what the plan's steps are called (`schedule.step_noun`)."""
    if stopped_by is None:
        return "not yet"
    if stopped_by.startswith("stop="):
        return f"precision target reached (--stop {stopped_by.removeprefix('stop=')})"
    return {"budget_calls": "budget of judge calls reached (--budget-calls)",
            "budget_usd": "dollar budget reached (--budget-usd)",
            "interrupted": "interrupted (run the same command again to continue)",
            "failed games": f"games of the last {step} failed (the next {step} waits for their verdicts: the same "
                            f"command retries them, then goes on choosing {plural(step)})"}.get(stopped_by, stopped_by)


def plan_budget(planner: Planner) -> str:
    """The budgets of a plan, as the progress line shows them after its calls planned: " of 4,000" for a budget of
    calls, " · plan $1.2000 of $2.00" for a dollar budget (what the whole plan cost before this round, stored calls
    included, as the budget counts it: the line's own cost is this run's); empty without a budget."""
    calls = f" of {planner.budget_calls:,}" if planner.budget_calls is not None else ""
    if planner.budget_usd is None:
        return calls
    return calls + f" · plan {dollars(planner.cost_usd, _budget_decimals(planner.budget_usd))} of " \
        f"{budget_dollars(planner.budget_usd)}"


def dollars(cost: float, decimals: int = 4) -> str:
    """A sum spent, as every output shows it: to the hundredth of a cent ($0.0024: a small judge's pair of calls
    costs less than a cent, which cents showed as $0.00 beside a summary's $0.0024), or to the `decimals` of a
    budget given with more."""
    return f"${cost:,.{max(4, decimals)}f}"


def budget_dollars(budget: float) -> str:
    """A dollar budget as the user gave it, with cents and as many more decimals as it has: a budget of $0.0001
    was shown as "$0.00 budget"."""
    return f"${budget:,.{_budget_decimals(budget)}f}"


def _budget_decimals(budget: float) -> int:
    """The decimals that show `budget` (at least 2, at most 10)."""
    return max(2, len(f"{budget:.10f}".rstrip("0").partition(".")[2]))


def judge_output(text: str | None, limit: int = 300) -> str:
    """What a judge wrote, as a message quotes it: at most `limit` characters, marked when cut."""
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + " [...]"


def no_verdict_message(diagnostics: RunDiagnostics) -> str:
    """Why a run produced no verdict at all, and what to change: the judge's token limit where it ended every output
    before a verdict (a reasoning judge's reasoning counts against it: what the judge wrote, "", says nothing then),
    else what the judge wrote and which verdicts were sought, and `no_verdict_remedy`."""
    from judgebench.verdicts import verdicts_sought

    others = diagnostics.n_unparsed - diagnostics.n_at_token_limit
    remedy = no_verdict_remedy(diagnostics.n_at_token_limit, diagnostics.token_limit, others)
    if diagnostics.n_at_token_limit and not others:
        return f"no game produced a verdict: {remedy}."
    example = judge_output(diagnostics.unparsed_example)
    return (f"no game produced a verdict: the judge never wrote {verdicts_sought(diagnostics.markers)}. "
            f"For example, it wrote:\n  {example!r}\n{remedy[0].upper()}{remedy[1:]}.")


def no_verdict_remedy(at_limit: int, limit: int | None, others: int, *, of_run: bool = False) -> str:
    """What to change for games the judge answered without a verdict (`run`, `check` and the report alike):
    `at_limit` of them ended at its token limit (`limit`, None where unknown), which `token_limit_message` says how
    to raise, and `others` did not, for which a stronger judge or a template it can follow, and a larger limit only
    where it is not known (a known limit no game reached did not cost a verdict). Settings are named as the running
    command sets them (`config.setting_name`); with `of_run`, they are the settings of a run that another command
    reads, named as the run's config file names them: the report's --template picks the judgments to show, not the
    template the judge was asked with."""
    from judgebench.config import named_by_flags, setting_name

    if of_run:
        with named_by_flags({}):
            return no_verdict_remedy(at_limit, limit, others)
    follow = f"a template it can follow ({setting_name('template')})"
    raise_it = token_limit_message(at_limit, limit)
    if raise_it is None:
        return (f"use a stronger judge or {follow}" if limit is not None
                else f"use a stronger judge, {follow}, or a larger {setting_name('max_tokens')}")
    return raise_it + (f"; for the other {counted(others, 'game')}, use a stronger judge or {follow}" if others else "")


def token_limit_message(n: int, limit: int | None) -> str | None:
    """That `n` games got no verdict because the judge's token limit (`limit`, None where unknown) ended its output,
    and the setting to raise (`run`, `check`, `diagnose --gold` and the report alike); None when none did. A
    reasoning judge spends tokens reasoning before it answers, and its limit counts them."""
    from judgebench.config import how_to_set, setting_name

    if not n:
        return None
    raise_it = (f"raise it: {how_to_set('max_tokens', str(2 * limit))}" if limit
                else f"raise {setting_name('max_tokens')}")
    return (f"{counted(n, 'game')} got no verdict because the judge hit its token limit"
            f"{f' ({limit:,} tokens)' if limit else ''} before giving one (a reasoning judge's reasoning counts "
            f"against it; the limit is a ceiling, billed as used): {raise_it}; {AT_LIMIT_RERUN}")


AT_LIMIT_RERUN = ("a rerun under the same limit does not ask them again (the same request is cut off again), and "
                  "under a new limit every game is a new request, judged again")
"""What a rerun does with games the judge's token limit cut off (`store.keys_to_send`), as messages say it."""


def unparsed_games_message(diagnostics: RunDiagnostics, judgments: Any, max_attempts: int) -> str | None:
    """That games got no verdict and are left out of the results (None when none), for `run` and `diagnose --gold`:
    those the judge's token limit cut off (`token_limit_message`: a rerun does not ask them again), and those whose
    output held no verdict of the template, with what the judge wrote in one and how many of them a rerun asks
    again (each game at most `max_attempts` times in all: `max_unparsed_attempts`). A run whose games some lacked a
    verdict ended with exit code 0 and no word of them but the diagnostics table's count."""
    from judgebench.config import how_to_set
    from judgebench.records import UNPARSED
    from judgebench.verdicts import ended_at_token_limit

    if not diagnostics.n_unparsed:
        return None
    unparsed = judgments[judgments["status"] == UNPARSED]
    finished = unparsed[~ended_at_token_limit(unparsed).to_numpy()]
    at_limit = token_limit_message(diagnostics.n_at_token_limit, diagnostics.token_limit)
    reasons = [at_limit] if at_limit is not None else []
    if len(finished):
        left = int((finished["attempts"].fillna(1) < max_attempts).sum()) if "attempts" in finished else len(finished)
        them = "them" if left == len(finished) else f"{left:,} of them"
        rerun = (f"a rerun asks {them} again (each game at most {max_attempts} times in all, "
                 f"{how_to_set('max_unparsed_attempts', str(max_attempts))})" if left else
                 f"a rerun does not ask them again: each was asked {max_attempts} times "
                 f"({how_to_set('max_unparsed_attempts', str(max_attempts))})")
        reasons.append(f"the judge's output of {counted(len(finished), 'game')} held none of the template's verdicts "
                       f"(for example, it wrote {judge_output(diagnostics.unparsed_example, 80)!r}): {rerun}")
    have, are = ("has", "is") if diagnostics.n_unparsed == 1 else ("have", "are")
    return (f"{counted(diagnostics.n_unparsed, 'game')} {have} no verdict and {are} left out of the results: "
            f"{'; '.join(reasons)}")


def failed_games_message(diagnostics: RunDiagnostics, judgments: Any, kept: str, plan: bool = False) -> str:
    """That games failed and why (`records.failure_reasons`), for `run` and `diagnose --gold` alike; `kept`:
    where each game's error is (judgments.jsonl, the store); `plan`: the games of a plan chosen as it goes
    (`retry_advice`)."""
    from judgebench.records import failure_reasons

    reasons = "".join(f"\n  {reason}" for reason in failure_reasons(judgments))
    return (f"{counted(diagnostics.n_failed, 'game')} failed; {retry_advice(judgments, plan)}. The most frequent "
            f"errors (each game's is in {kept}):{reasons}")


RETRY = "run again to retry them"  # how to go on after failed games a rerun can judge (`retry_advice`)


def retry_advice(judgments: Any, plan: bool = False) -> str:
    """How to go on after failed games: run again, which retries them, unless the judge refused their requests
    as sent (`engines.base.fails_as_sent`: a prompt over its context, say), which a rerun sends again unchanged,
    so it fails them again; those need shorter answers or another judge ("run again to retry them" sent a user of
    an adaptive plan round and round, each rerun stopping at the same games). `plan`: the games of an adaptive
    or tournament plan, which went on without those refused and whose rerun does not ask for them again, unless
    told to (`retry_refused`)."""
    from judgebench.records import FAILED, refused_games

    errors = judgments.loc[judgments["status"] == FAILED, "error"]
    refused = refused_games(judgments)
    if not refused:
        return RETRY
    what = (f"the judge refused {'its request' if refused == 1 else 'their requests'} as sent"
            if refused == len(errors) else
            f"the judge refused {refused:,} of their requests as sent, and a rerun retries the others")
    if plan:
        them = "it" if refused == 1 else "them"
        return (f"{what}: the plan goes on without {them}, and a rerun does not ask for {them} again. "
                f"{refused_remedy(plan)}")
    return f"{what}: a rerun sends such a request unchanged and fails it again. {refused_remedy()}"


def refused_remedy(plan: bool = False) -> str:
    """What to do about games the judge refused as sent (`retry_advice`), which asking again fails again: the one
    wording `run`, `check`, the report and a notebook's evaluation share. `plan`: the games of an adaptive or
    tournament plan, whose rerun judges shortened answers in their place but asks for the refused games again only
    when told to (`retry_refused`)."""
    from judgebench.config import how_to_set

    shortened = "; a rerun judges the shortened answers in their place" if plan else ""
    again = f" and ask again with {how_to_set('retry_refused')}" if plan else ""
    return ("Most often the prompt is over the judge's context length: shorten those answers (with the vLLM engine, "
            f"{how_to_set('truncate_answers')} does{shortened}), or use a judge with a longer context{again}")


def without_logprobs_message(diagnostics: RunDiagnostics) -> str | None:
    """That games of a logprob template got their verdicts from the judge's text (its server sent no logprobs),
    or None when none did."""
    if not diagnostics.n_without_logprobs:
        return None
    return (f"{counted(diagnostics.n_without_logprobs, 'game')} of the logprob template were read from the judge's "
            "text, 0 or 1 from its label: its server sent no logprobs for them (a server that supports them: "
            "vLLM's, OpenAI's)")


@dataclass
class ProgressHooks:
    """The callbacks `evaluate` takes to drive a progress display (None: no display)."""

    on_start: Callable[[Tally], None] | None = None
    on_progress: Callable[[Tally], None] | None = None
    on_event: Callable[[EngineEvent], None] | None = None


def progress_display(console: Console, priced: bool) -> AbstractContextManager[ProgressHooks]:
    """The progress display for `console`: a live bar on a terminal, plain lines elsewhere (a CI log, a
    pipe), where a live bar would only be drawn once, at the end, squeezed into 80 columns. A CI job is a log
    even on a terminal (some CI systems run jobs on one: Buildkite, GitLab's docker executor with tty): `CI`
    set (as every major CI system sets it) means plain lines, not a bar's cursor movements in the log."""
    interactive = console.is_interactive and console.file.isatty()  # FORCE_COLOR in a CI log is not a terminal
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false")
    return progress_callbacks(console, priced) if interactive and not in_ci else progress_lines(console, priced)


def _cost_text(tally: Tally, priced: bool) -> str:
    if not priced:
        return "cost n/a"
    return "cost unknown" if tally.unmetered else dollars(tally.cost or 0.0)  # priced: a cost, not None


def _tokens_text(tally: Tally) -> str:
    """The tokens of the games sent so far, or unknown where the server reported none for an answer (`unmetered`):
    the progress showed the others' sum, "0 tokens", beside "cost unknown"."""
    return "tokens unknown" if tally.unmetered else f"{tally.prompt_tokens + tally.completion_tokens:,} tokens"


def _games_per_second(tally: Tally) -> float:
    return tally.done / max(time.monotonic() - tally.started, 1e-9)


# About what the progress bar's columns before the status take: "judging", a short bar, "16/32", the rate, the
# time left, the tokens and the cost.
_PROGRESS_COUNTS_WIDTH = 78


@contextmanager
def progress_callbacks(console: Console, priced: bool) -> Iterator[ProgressHooks]:
    """A progress bar on `console` for the time of the `with`. The engine's reports (a rate-limit wait, a
    change of concurrency) are printed above the bar and the latest stays on the bar's line, so a wait is
    never silent."""
    # the counts and the cost whole, the status (an adaptive plan's round, a rate-limit report) cut to what is
    # left: on a 100-column terminal rich shrank every column alike, to "$3…" and no bar
    def whole() -> Column:
        return Column(no_wrap=True)

    status = Column(no_wrap=True, overflow="ellipsis", max_width=max(20, console.width - _PROGRESS_COUNTS_WIDTH))
    bar = Progress(TextColumn("[bold]judging", table_column=whole()), BarColumn(table_column=Column(min_width=10)),
                   MofNCompleteColumn(table_column=whole()),
                   TextColumn("{task.fields[rate]:>7.1f} games/s", table_column=whole()),
                   TimeRemainingColumn(table_column=whole()),
                   TextColumn("{task.fields[tokens]}", table_column=whole()),
                   TextColumn("{task.fields[cost]}", table_column=whole()),
                   TextColumn("{task.fields[status]}", table_column=status), console=console, transient=False,
                   redirect_stdout=False, redirect_stderr=False)  # engine output stays in engine.log

    with bar:
        task = bar.add_task("judging", total=None, rate=0.0, tokens="0 tokens", cost="", status="", visible=False)

        def started(tally: Tally) -> None:
            if len(tally.status) > (status.max_width or 0):  # cut on the bar: a plan's budget and top models
                bar.console.print(tally.status, markup=False, highlight=False)  # would never show
            bar.update(task, total=tally.total, completed=0, cost=_cost_text(tally, priced), status=tally.status,
                       visible=tally.total > 0)

        def advanced(tally: Tally) -> None:
            bar.update(task, completed=tally.done, rate=_games_per_second(tally),
                       tokens=_tokens_text(tally), cost=_cost_text(tally, priced))

        lines = EventLines()

        def reported(event: EngineEvent) -> None:
            line = lines.line(event)
            if line is not None:
                bar.console.print(line, style=None if event.kind in ("stage", "resumed", "inputs") else "yellow",
                                  markup=False, highlight=False)
            if event.kind not in ("note", "inputs"):  # said before judging: the games' status is the engine's
                bar.update(task, status=event.message)

        try:
            yield ProgressHooks(started, advanced, reported)
        finally:
            for line in lines.flush():
                bar.console.print(line, style="yellow", markup=False, highlight=False)


class EventLines:
    """Which engine reports to print: every one, except that a wait or retry report of the same kind and HTTP
    status as one printed less than `every_s` seconds ago is counted instead (a server rate-limiting 16 requests at
    once would otherwise print 16 lines a second); the next one printed says how many were not, and so does
    `flush` when the display closes, for those held back since."""

    def __init__(self, every_s: float = 10.0) -> None:
        self.every_s = every_s
        self._printed: dict[tuple[str, int | None], float] = {}
        self._held: dict[tuple[str, int | None], tuple[int, str]] = {}  # count, and the latest one's message

    def line(self, event: EngineEvent) -> str | None:
        """The line to print for `event`, or None to hold it back."""
        key, now = (event.kind, event.status), time.monotonic()
        if event.kind in ("wait", "retry") and now - self._printed.get(key, -math.inf) < self.every_s:
            self._held[key] = (self._held.get(key, (0, ""))[0] + 1, event.message)
            return None
        self._printed[key] = now
        if event.kind == "note":
            return f"note: {event.message}"
        return self._with_held(event.message, self._held.pop(key, (0, ""))[0])

    def flush(self) -> list[str]:
        """The lines of the reports still held back (the latest of each kind and status, saying how many more
        there were), to print when the display closes: without them the count of the last `every_s` seconds
        was lost."""
        lines = [self._with_held(message, count - 1) for count, message in self._held.values()]
        self._held.clear()
        return lines

    @staticmethod
    def _with_held(message: str, held: int) -> str:
        return message + (f" (and {held:,} more like it since the last shown)" if held else "")


PROGRESS_LINE_STEP = 0.1
"""Without a terminal, a progress line every time this share more of the games is judged."""


@contextmanager
def progress_lines(console: Console, priced: bool) -> Iterator[ProgressHooks]:
    """Progress as plain lines on `console`, for logs: one when judging starts (with an adaptive run's round,
    calls and current top models), one per `PROGRESS_LINE_STEP` of the games judged, and the engine's
    reports as they come."""
    step, shown = 1, 0  # games per line; lines shown (steps passed) in the current round

    def say(text: str) -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    def started(tally: Tally) -> None:
        nonlocal step, shown
        step, shown = max(1, math.ceil(PROGRESS_LINE_STEP * tally.total)), 0
        if tally.total > 0:
            say(f"judging {counted(tally.total, 'game')}" + (f" ({tally.status})" if tally.status else ""))

    def advanced(tally: Tally) -> None:
        nonlocal shown
        finished = tally.done + tally.elsewhere  # games another process judged meanwhile are done too
        passed = finished // step + (finished >= tally.total)  # the last game always gets its line
        if passed > shown:
            shown = passed
            by_others = f" ({tally.elsewhere:,} by another process)" if tally.elsewhere else ""
            failed = f" · {tally.failed:,} failed" if tally.failed else ""
            say(f"judged {finished:,} of {tally.total:,} games{by_others} ({finished / max(tally.total, 1):.0%})"
                f"{failed} · {_games_per_second(tally):.1f} games/s · "
                f"{_tokens_text(tally)} · {_cost_text(tally, priced)}")

    lines = EventLines()

    def reported(event: EngineEvent) -> None:
        line = lines.line(event)
        if line is not None:
            say(line)

    try:
        yield ProgressHooks(started, advanced, reported)
    finally:
        for line in lines.flush():
            say(line)


# --- judge diagnostics with intervals (`judgebench diagnose`) ----------------------------------------------


def _rate_cell(rate: dict[str, Any] | None) -> str:
    if not rate or rate.get("value") is None:
        return "-"
    return f"{_interval_cell(rate)}  n={rate['n']:g}"


def judge_diagnostics_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """(figure, value with its interval) for each judge diagnostic of diagnostics.json that is present."""
    rows = [("position consistency (pairs whose two orders agree)", _rate_cell(figures.get("position_consistency"))),
            ("first-slot win rate (0.5 = no position bias)", _rate_cell(figures.get("first_slot_win_rate")))]
    effect = figures.get("position_effect")
    if effect and effect.get("log_odds") is None:  # why, under the row, as the length bias's
        rows += [("fitted first-position effect", "-"), (f"  note: {effect.get('note', 'no estimate')}", "")]
    elif effect:
        rows.append(("fitted first-position effect (P first wins, equal models)",
                     f"{effect['first_win_probability']:.3f} [{effect['first_win_probability_lower']:.3f}, "
                     f"{effect['first_win_probability_upper']:.3f}]"))
        if effect.get("note"):  # its interval is not the usual one (leaderboard._parameter_intervals)
            rows.append((f"  note: {effect['note']}", ""))
    rows.append(("tie rate (games)", _rate_cell(figures.get("tie_rate"))))
    for key, title in (("unparsed_rate", "unparsed rate (games)"), ("failed_rate", "failed rate (games)")):
        if key in figures:
            rows.append((title, _rate_cell(figures[key])))
    rows += length_bias_rows(figures.get("length_bias") or {})
    rows += self_preference_rows(figures)
    cycle = figures.get("transitivity")
    if cycle and "gold" not in figures:  # a gold set's two pseudo-models (its columns A and B) form no triads
        rows.append(("cyclic triads (of triads with majorities)", _triads_cell(cycle)))
        if cycle.get("p_value") is not None:
            rows.append(("Bradley-Terry fit: deviance, df, p", f"{cycle['deviance']:.1f}, {cycle['df']}, "
                                                              f"{cycle['p_value']:.3g}"))
    return rows


def _triads_cell(cycle: dict[str, Any]) -> str:
    """The share of cyclic triads and their count ("0.250 (1/4)"), or a dash and why there are no triads with
    majorities ("0/0" told a reader nothing: a baseline-pairs run has none, every pair including the baseline)."""
    if not cycle.get("n_triads"):
        why = cycle.get("triads_note")
        return f"- (no triads with majorities{f': {why}' if why else ''})"
    return f"{cycle['cyclic_share']:.3f} ({cycle['n_cyclic']}/{cycle['n_triads']})"


def diagnostics_intervals(figures: dict[str, Any]) -> str:
    """'95% intervals, clustered by question': what the intervals of diagnostics.json are, at their own level,
    which need not be the ratings' (a run rated at 90% whose diagnostics were written at 95%)."""
    return f"{100 * figures.get('confidence', 0.95):g}% intervals, clustered by question"


# Why the raw share of pairs won by the longer answer is high without any length bias of the judge.
_RAW_LENGTH_CAVEAT = {"model strength": "also high when the better models write longer answers",
                      "the gold label": "also high when the better answers are the longer ones"}


def length_bias_rows(length: dict[str, Any]) -> list[tuple[str, str]]:
    """The length-bias rows of the diagnostics: the judge's preference for length net of model strength (or of
    the gold label), its verdict, and the raw share of pairs the longer answer won, labelled as what it is."""
    raw = length.get("longer_answer_win_rate")
    if not raw:
        return [("length bias", "- (answer lengths unknown: give --questions and --answers)")]
    effect = length.get("net_effect") or {}
    controls = effect.get("controls", "model strength")
    rows = []
    if "net_effect" not in length:
        rows.append(("length bias net of model strength",
                     "- (diagnostics.json of an older judgebench: diagnose again)"))
    elif effect.get("log_odds") is None:  # why, under the row: a value column that a note fills leaves no room
        rows += [(f"length bias net of {controls}", "-"), (f"  note: {effect.get('note', 'no estimate')}", "")]
    else:
        rows += [(f"length bias net of {controls}: log-odds per doubling of length (0 = none)",
                  f"{_interval_cell({'value': effect['log_odds'], **effect})}  n={effect['n']:g}"),
                 ("  P(an answer twice as long as its equal wins)",
                  f"{effect['twice_as_long_win_probability']:.3f} [{effect['twice_as_long_win_probability_lower']:.3f}"
                  f", {effect['twice_as_long_win_probability_upper']:.3f}]"),
                 ("  verdict (from this net figure)", effect["verdict"])]
        if effect.get("note"):
            rows.append((f"  note: {effect['note']}", ""))
    caveat = _RAW_LENGTH_CAVEAT.get(controls, _RAW_LENGTH_CAVEAT["the gold label"])  # an edited file's controls
    rows.append((f"longer answer wins, raw share of decisive pairs (not a bias measure: {caveat})", _rate_cell(raw)))
    return rows


# The widest value judge_diagnostics_table shows beside its label ("0.219 [0.161, 0.290]  n=1,600"): a longer one
# (words) goes under its label, so that the labels keep the room to be read on an 80-column terminal.
_FIGURE_WIDTH = 32
# The widest a label is drawn: a note under a figure runs to 250 characters, and in a log, where a table is as
# wide as its cells need (`drawn_at`), it pushed every figure 300 columns away from its label (a user's log).
_LABEL_WIDTH = 88


def _figures_table(title: str) -> Table:
    """An empty table of figures: a label (wrapped, at most _LABEL_WIDTH wide) and its value."""
    table = Table(title=title, show_header=False, box=box.SIMPLE)
    table.add_column("figure", no_wrap=False, max_width=_LABEL_WIDTH)
    table.add_column("value", justify="right", no_wrap=True)
    return table


def judge_diagnostics_table(figures: dict[str, Any], accounting: Iterable[tuple[str, str]] = ()) -> Table:
    """The judge diagnostics of diagnostics.json with their intervals (and the confidence level), then the rows
    `accounting` (after judging: `accounting_rows`)."""
    table = _figures_table(f"Judge diagnostics ({diagnostics_intervals(figures)})")
    for name, value in [*judge_diagnostics_rows(figures), *accounting]:  # model names as written, never read as markup
        if len(value) > _FIGURE_WIDTH:
            table.add_row(Text(name), Text(""))
            table.add_row(Text(f"  {value}"), Text(""))
        else:
            table.add_row(Text(name), Text(value))
    return table


# gold_table's figure columns (key in gold_agreement's figures, title), the last left out first where the terminal
# is too narrow for them all; the JudgeBench-rule accuracy always stays.
_GOLD_COLUMNS = (("accuracy_judgebench_rule", "accuracy\n(JudgeBench rule)"),
                 ("accuracy_averaged", "accuracy\n(orders averaged)"), ("position_consistency", "consistency"),
                 ("kappa", "kappa"))


def gold_table(gold: dict[str, Any], width: int) -> Table:
    """Agreement with gold labels (diagnostics.gold_agreement): overall, then per source and per category, at
    most `width` columns wide where possible, names never cut: the figure columns go from the last of
    `_GOLD_COLUMNS` until the table fits (the caption names them; diagnostics.json has them all)."""
    shown = [key for key, _ in _GOLD_COLUMNS]
    while True:
        table = _gold_table(gold, shown)
        if table_width(table) <= width or len(shown) == 1:
            return table
        shown.pop()


def _gold_table(gold: dict[str, Any], shown: list[str]) -> Table:
    """gold_table with the figure columns `shown`."""
    not_judged = gold.get("n_not_judged", 0)
    title = (f"Agreement with gold labels ({gold['n_pairs']} pairs judged in both orders, {gold['n_incomplete']} "
             "incomplete" + (f", of which {not_judged} not judged: every order failed" if not_judged else "") + ")")
    caption = ("accuracy (JudgeBench rule): over every pair the judge answered, an order without a verdict casting "
               "no vote (as a tie) and a pair without any verdict wrong; a pair whose every order failed (the "
               "server's fault, not the judge's) is left out; their count: pairs answered. The other figures: over "
               "the pairs judged in both orders (pairs both orders). kappa: Cohen's, of the two-order decision (a "
               "contradiction as a tie) against the labels, with a bootstrap interval over the pairs; none where the "
               "labels hold one value.")
    calibration = gold.get("calibration")
    if calibration:
        caption += f" Calibration: ECE {calibration['ece']:.3f}, Brier {calibration['brier']:.3f}."
    elif gold.get("calibration_note"):
        caption += f" Calibration: none, {gold['calibration_note']}."
    left_out = [heading.replace("\n", " ") for key, heading in _GOLD_COLUMNS if key not in shown]
    if left_out:
        caption += f" Not shown at this width (in diagnostics.json): {', '.join(left_out)}."
    groups = [(group, gold[key]) for key, group in (("by_source", "by source"), ("by_category", "by category"))
              if gold.get(key)]
    longest = max([3, *(len(name) for _, names in groups for name in names)])
    no_kappa: dict[str, list[str]] = {}  # why kappa has no interval: the rows it says so of
    for name, figures in [("all", gold), *(item for _, names in groups for item in names.items())]:
        note = figures["intervals"].get("kappa", {}).get("note")
        if note is not None and "kappa" in shown:
            no_kappa.setdefault(note, []).append(name)
    caption += "".join(f" kappa [n/a] ({', '.join(names)}): {note}." for note, names in no_kappa.items())
    table = Table(title=title, box=box.SIMPLE, caption=escape(caption))  # "[n/a]" as written, not as markup
    table.add_column("", overflow="fold", min_width=min(longest, 30))  # a name whole, folded only past 30
    # each count follows the figures it counts: the JudgeBench rule's pairs answered, the others' pairs both orders
    table.add_column(_GOLD_COLUMNS[0][1], justify="right")
    table.add_column("pairs\nanswered", justify="right")
    for key, heading in _GOLD_COLUMNS[1:]:
        if key in shown:
            table.add_column(heading, justify="right")
    if len(shown) > 1:
        table.add_column("pairs\nboth orders", justify="right")

    def row(name: str, figures: dict[str, Any]) -> None:
        intervals = figures["intervals"]
        cells = [_interval_cell(intervals.get(key, {})) for key in shown]
        answered = f"{intervals[_GOLD_COLUMNS[0][0]]['n']:,.0f}"
        both = [f"{figures['n_pairs']:,}"] if len(shown) > 1 else []
        table.add_row(Text(name), Text(cells[0]), answered, *map(Text, cells[1:]), *both)

    row("all", gold)
    for group, names in groups:
        table.add_section()
        table.add_row(Text(group, style="bold"))
        for name, figures in names.items():
            row(name, figures)
    return table


def _interval_cell(rate: dict[str, Any]) -> str:
    """A figure with its interval: "-" without a value, "[n/a]" for a value without an interval (its `note`
    says why)."""
    if rate.get("value") is None:
        return "-"
    if rate.get("lower") is None:
        return f"{rate['value']:.3f} [n/a]"
    return f"{rate['value']:.3f} [{rate['lower']:.3f}, {rate['upper']:.3f}]"

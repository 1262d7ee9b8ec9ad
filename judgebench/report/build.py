"""`judgebench report`: one self-contained HTML file (styles, script, plots and data inline; no request to any
network address when opened) and the static plots beside it as PNG and SVG.

The figures come from ratings/ (through `judgebench.rate`, re-rated from the judgments with the run's
settings so the bootstrap replicates exist for the rank distribution) and from diagnostics.py; this module
lays them out. The judgment browser shows a seeded sample of pairs (each with the orders judged, each order's
verdict under the answer it showed first); the page says how many of how many. A leaderboard rated from
imported judgments (no judgments.jsonl) gets its table and forest plot only.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from judgebench.errors import ConfigError
from judgebench.present import dollars
from judgebench.records import FAILED, OK, UNPARSED, why_unrated
from judgebench.report.inputs import RunData, judged_template, refit

if TYPE_CHECKING:
    from judgebench.leaderboard import Leaderboard

DEFAULT_SHOWN_PAIRS = 200
REPORT_FILE = "report.html"  # the report's name when `out` is a directory
TEXT_LIMIT = 1500  # characters of each question, answer and judge output shown in the browser
_NUMBER_CHARACTERS = 40  # a longer value of the diagnostics table is text, which wraps ("0.812 [0.70, 0.90]  n=24")


@dataclass
class Report:
    """What `write_report` wrote: the HTML file, the plots beside it (name -> (png, svg)), its size in
    bytes, how many pairs the judgment browser shows of how many, the warnings the page shows, the run it
    shows (`source`: its store or results folder; `imported`: a leaderboard without judgments), and how its
    ratings were computed (`meta`: the leaderboard's meta, the run's where there is no leaderboard), so that
    `judgebench report` can note rating flags the method or interval used leaves unused, as `leaderboard` does."""

    html: Path
    plots: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    size: int = 0
    pairs_shown: int = 0
    pairs_total: int = 0
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    imported: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


def write_report(data: RunData, out: str | Path, *, dataset: Any = None, diagnostics_figures: dict | None = None,
                 shown_pairs: int = DEFAULT_SHOWN_PAIRS, seed: int = 0,
                 ratings: dict[str, Any] | None = None) -> Report:
    """Write the report of a run's judgments to `out` (a file path such as report.html, or a directory: see
    `report_path`) and its plots beside it.

    `dataset` (questions and answers) lets the browser show the texts and the diagnostics measure length
    bias; `diagnostics_figures` (a diagnostics.json object) is used as given, else diagnosed here; `ratings`
    (`leaderboard.build` options, such as method and baseline) rate the judgments otherwise than the run did
    (`inputs.refit`'s overrides). A leaderboard of imported judgments (`RunData.imported`) has no judgments
    to rate again: its report shows the leaderboard and its ratings' plot, and says why there is no more.
    """
    from judgebench import diagnostics
    from judgebench.outputs import atomic_write_text, prepare_directory
    html_path = report_path(out)
    if data.imported and ratings:
        raise ConfigError(f"other ratings settings rate the judgments again, and {data.source} holds none (no "
                          "judgments.jsonl): rate the imported judgments with `judgebench leaderboard`")
    directory = prepare_directory(html_path.parent, named_like_a_file=True)  # report_path chose it a directory
    judged: dict[str, Any] = {}  # the sections and plots only judgments give
    drawn: dict[str, Any] = {}
    board: Leaderboard | None
    if data.imported:
        from judgebench.leaderboard import Leaderboard

        board = Leaderboard(list((data.leaderboard or {})["models"]), data.meta)
        judge = board.meta.get("judge") or board.meta.get("source")
    else:
        board, outcomes = refit(data, dataset, **(ratings or {}))
        if diagnostics_figures is None:
            lengths, categories = diagnostics.dataset_facts(dataset) if dataset is not None else (None, None)
            confidence = (board.meta if board is not None else {**data.meta, **(ratings or {})}).get("confidence")
            diagnostics_figures = diagnostics.diagnose_judgments(
                data.judgments, swap=data.swap, seed=data.seed, confidence=confidence or 0.95,
                lengths=lengths, categories=categories)
        judged, drawn = _judged(data, board, outcomes, dataset, diagnostics_figures, shown_pairs, seed)
        judge = diagnostics.provenance_value(data.judgments, "judge")
    if board is not None:
        drawn = {"forest": _forest(board), **drawn}
    files, images = _save(drawn, directory, html_path.stem)
    meta = board.meta if board is not None else data.meta
    context = {
        "title": f"judgebench report: {judge or 'judge'}", "imported": data.imported, "meta": meta,
        "source": _imported_source(meta),
        "unrated": None if board is not None else _unrated(data.judgments, data.planned),
        **_board_context(board),
        "images": images, "provenance": _provenance(data, meta, diagnostics_figures or {}), **judged,
    }
    html = _template().render(**context)
    atomic_write_text(html_path, html)
    # without ratings, the warnings about how they were rated (data.warnings) have nothing to say
    warnings = (list(meta.get("warnings") or []) if board is not None
                else [f"no leaderboard: {why_unrated(data.judgments)}"])
    return Report(html_path, files, len(html.encode("utf-8")), judged.get("pairs_shown", 0),
                  judged.get("pairs_total", 0), warnings, str(data.source), data.imported, dict(meta))


def _imported_source(meta: dict[str, Any]) -> str:
    """Where the judgments of a leaderboard without them came from, as its meta records it (`evaluation.rate`'s
    `source` and `source_path`): for a run's results folder rated again, the folder and the run (its id, from the
    `runs` the run recorded), which the report had called "source unknown"."""
    source = meta.get("source")
    if source != "results":
        return str(source or "source unknown")
    runs = [str(run["id"]) for run in meta.get("runs") or [] if run.get("id")]
    by = f" of judgebench run {', '.join(runs)}" if runs else " of a judgebench run"
    return f"the results folder {meta.get('source_path')}{by}"


def _board_context(board: Leaderboard | None) -> dict[str, Any]:
    """The leaderboard's part of the template's context: its table, what it means, and the names its plots
    shorten (nothing without a leaderboard: the page says why, `_unrated`)."""
    from judgebench.present import adaptive_summary, column_title, fit_lines, rank_rule
    from judgebench.report import plots

    if board is None:
        return {}
    columns = _columns(board.models, board.meta)
    return {"rows": _table_rows(board.models, columns, board.meta), "columns": columns,
            "titles": [column_title(key, board.meta) for key in columns], "rank_rule": rank_rule(board.meta),
            "notes": _leaderboard_notes(board, columns), "fit_lines": fit_lines(board.meta),
            "plan": adaptive_summary(board.meta["adaptive"], board) if board.meta.get("adaptive") else None,
            "plot_names": plots.shortened([entry["model"] for entry in board.models])}


def _unrated(judgments: pd.DataFrame, plan: bool) -> str:
    """The report's line in place of a leaderboard, when the judgments give no outcome to rate: why
    (`records.why_unrated`), and what to do (`present.no_verdict_remedy`; for failed games `present.retry_advice`,
    as `run` says it, `plan` saying whether an adaptive or tournament plan chose them). The rest of the report
    shows what the judge wrote: a run whose judge never gave a verdict was `error: outcomes: no outcomes to rate`,
    and no report."""
    from judgebench.present import no_verdict_remedy, retry_advice
    from judgebench.verdicts import without_verdict

    advice = []
    unparsed = judgments[judgments["status"] == UNPARSED]
    if len(unparsed):
        at_limit, _ = without_verdict(unparsed)
        # no judgment records the limit; the settings are the run's, not the report's (its --template picks judgments)
        remedy = no_verdict_remedy(at_limit, None, len(unparsed) - at_limit, of_run=True)
        advice.append(remedy if at_limit else f"for the games without a verdict, {remedy}")
    if (judgments["status"] == FAILED).any():
        advice.append(f"for the failed games, {retry_advice(judgments, plan)}")
    return (f"No leaderboard: {why_unrated(judgments)}, so no pair has an outcome to rate. The judge diagnostics "
            "and the judgment browser below show what the judge wrote" + "".join(f"; {what}" for what in advice)
            + ".")


def _judged(data: RunData, board: Leaderboard | None, outcomes: pd.DataFrame, dataset: Any,
            figures: dict[str, Any], shown_pairs: int, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """What only judgments give: the report's pairwise (with a leaderboard), diagnostics, cost and browser
    sections (template context) and their plots (name -> figure)."""
    from judgebench import diagnostics
    from judgebench.present import diagnostics_intervals
    from judgebench.ratings.intervals import rank_shares
    from judgebench.report import plots

    browser, total = _judgment_sample(data.judgments, dataset, shown_pairs, seed)
    context = {
        "diagnostic_rows": _diagnostic_rows(figures), "diagnostics": figures,
        "diagnostics_intervals": diagnostics_intervals(figures), "usage": _usage(data.judgments, data.meta),
        "length_plot_missing": _length_plot_missing(figures, data.judgments),
        "judgments_json": _script_json(browser),
        "pairs_shown": len(browser), "pairs_total": total,
    }
    drawn = {}
    if board is not None:  # the pairwise win rates and the ranks, of the outcomes rated
        names = [entry["model"] for entry in board.models]
        win_rate, counts = diagnostics.win_matrix(outcomes, names)
        context["heatmap"] = {"names": names, "rate": _plain(win_rate), "counts": _plain(counts)}
        drawn["heatmap"] = plots.win_rate_heatmap(names, win_rate, counts)
        if board.samples is not None:
            drawn["ranks"] = plots.rank_distribution(names, rank_shares(board.samples))
    return context, {**drawn, **_diagnostics_plots(figures)}


def _script_json(value: Any) -> str:
    """`value` as JSON to embed in a <script> element: every `<` written as the JSON escape \\u003c, so that no text
    of the data (`</script>`, `<!--` followed by `<script>`) can end the element or change how the browser reads
    it (HTML's script data states, WHATWG 13.2.5.4ff.); JSON.parse reads it back unchanged."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def report_path(out: str | Path) -> Path:
    """The HTML file `write_report` writes for `out`: `out` itself when it names a page (its suffix is .html or
    .htm, in any case, as browsers and servers take them), else `REPORT_FILE` inside the directory `out`, created
    if needed: an existing directory, a path ending in a slash (`rep/`), or one without a suffix (`rep`), so that
    a new folder never becomes a file. Any other suffix is a `ConfigError`: `--out leaderboard.json` overwrote the
    run's results with HTML."""
    text = str(out)
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)) or not path.suffix:
        return path / REPORT_FILE
    if path.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"{text}: a report is an HTML page; name a file ending in .html or .htm (such as "
                          f"report.html), or a directory to write {REPORT_FILE} into")
    return path


def _diagnostics_plots(figures: dict[str, Any]) -> dict[str, Any]:
    """The position plot, and the length and self-preference plot where there is a figure for it."""
    from judgebench.present import diagnostics_intervals
    from judgebench.report import plots

    drawn = {}
    effect = figures.get("position_effect") or {}
    fitted = ({"value": effect["first_win_probability"], "lower": effect["first_win_probability_lower"],
               "upper": effect["first_win_probability_upper"]} if effect.get("log_odds") is not None else None)
    level = diagnostics_intervals(figures)
    first_slot = [("first-slot win rate", figures.get("first_slot_win_rate")),
                  ("fitted P(first wins), equal models", fitted)]
    drawn["position"] = plots.rates_with_intervals(
        f"Position bias ({level})", [*first_slot, ("position consistency", figures.get("position_consistency")),
                                     ("tie rate", figures.get("tie_rate"))],
        0.5, "0.5: no first-slot preference", referenced=[name for name, _ in first_slot])
    length = figures.get("length_bias") or {}
    net = length.get("net_effect") or {}
    twice = ({"value": net["twice_as_long_win_probability"], "lower": net["twice_as_long_win_probability_lower"],
              "upper": net["twice_as_long_win_probability_upper"]} if net.get("log_odds") is not None else None)
    own = (figures.get("self_preference") or {}).get("own_score")
    # 0.5 marks no preference on the net length figure and self-preference, not on the raw share (no bias measure)
    measures = [(f"net of {net.get('controls', 'model strength')}:\nP(twice as long wins)", twice),
                ("self-preference: own models' score", own)]
    rates = [measures[0], ("longer answer wins, raw\n(not a bias measure)", length.get("longer_answer_win_rate")),
             measures[1]]
    if any(rate and rate.get("value") is not None for _, rate in rates):  # else no plot: the page says why
        drawn["length"] = plots.rates_with_intervals(f"Length bias and self-preference ({level})", rates, 0.5,
                                                     "0.5: no preference", referenced=[name for name, _ in measures])
    return drawn


def _length_plot_missing(figures: dict[str, Any], judgments: pd.DataFrame) -> str:
    """Why a report has no length-bias and self-preference plot (`_diagnostics_plots` draws none without a figure):
    no outcome at all (`records.why_unrated`: it said "no pair had a longer answer to measure" of a run whose judge
    never gave a verdict), answer lengths unknown, or no decisive pair between answers of different lengths."""
    if not figures.get("n_pairs"):
        return f"{why_unrated(judgments)}, so no pair has an outcome to measure them on"
    if not (figures.get("length_bias") or {}).get("longer_answer_win_rate"):
        return ("answer lengths unknown (give --questions and --answers)" + (
            "" if figures.get("self_preference") else ", and no model of the judge's family is rated"))
    return "no decisive pair had answers of known, different lengths, and no model of the judge's family is rated"


def _save(drawn: dict[str, Any], directory: Path, stem: str) -> tuple[dict[str, tuple[Path, Path]], dict[str, str]]:
    """Write each figure as `stem`-name.png and .svg in `directory`: their paths, and the PNGs as data URLs."""
    from judgebench.report import plots

    files, images = {}, {}
    for name, figure in drawn.items():
        png_path, svg_path, png = plots.save(figure, directory, f"{stem}-{name}")
        files[name] = (png_path, svg_path)
        images[name] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return files, images


def _judgment_sample(judgments: pd.DataFrame, dataset: Any, limit: int, seed: int) -> tuple[list[dict], int]:
    """A seeded sample of pairs (up to `limit`) with both orders' verdicts and the judge's output, and the
    question's reference answer where the judge saw one (its template shows them: `inputs.judged_template`)."""
    from judgebench.diagnostics import agreeing_orders

    template = judged_template(judgments)
    shows_reference = template is not None and template.uses_reference

    frame = judgments.assign(low=judgments[["first", "second"]].min(axis=1),
                             high=judgments[["first", "second"]].max(axis=1))
    keys = ["question_id", "low", "high"]
    group = frame.groupby(keys, sort=True).ngroup().to_numpy()
    total = int(group.max()) + 1 if group.size else 0
    rng = np.random.default_rng(seed)
    chosen = rng.choice(total, size=min(limit, total), replace=False)
    sample = []
    for (question_id, low, high), games in frame[np.isin(group, chosen)].groupby(keys, sort=True):
        orders = [_order(row, low) for row in games.to_dict(orient="records")]
        p_low = {order["first"] == low: order["p_low"] for order in orders if order["p_low"] is not None}
        both, agree = agreeing_orders([p_low.get(True, math.nan)], [p_low.get(False, math.nan)])
        sample.append({"question_id": str(question_id), "models": [low, high],
                       "question": _question_text(dataset, question_id),
                       "reference": _reference_text(dataset, question_id) if shows_reference else None,
                       "answers": {model: _answer_text(dataset, question_id, model) for model in (low, high)},
                       "orders": orders, "disagree": bool(both[0] and not agree[0])})
    return sample, total


def _order(row: dict[str, Any], low: str) -> dict[str, Any]:
    p_first = row.get("p_first")
    p_first = None if p_first is None or (isinstance(p_first, float) and math.isnan(p_first)) else float(p_first)
    p_low = None if p_first is None else (p_first if row["first"] == low else 1.0 - p_first)
    return {"first": row["first"], "second": row["second"], "status": row["status"], "label": row.get("label"),
            "p_first": p_first, "p_low": p_low, "raw": _cut(row.get("raw")), "error": _cut(row.get("error"))}


def _question_text(dataset: Any, question_id: str) -> str | None:
    question = dataset.questions.get(question_id) if dataset is not None else None
    return _cut("\n\n".join(question.turns)) if question is not None else None


def _reference_text(dataset: Any, question_id: str) -> str | None:
    question = dataset.questions.get(question_id) if dataset is not None else None
    return _cut("\n\n".join(question.reference)) if question is not None and question.reference else None


def _answer_text(dataset: Any, question_id: str, model: str) -> str | None:
    answer = dataset.answer(question_id, model) if dataset is not None else None
    return _cut("\n\n".join(answer.turns)) if answer is not None else None


def _cut(text: Any) -> str | None:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    text = str(text)
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + f" [... {len(text) - TEXT_LIMIT} more characters]"


def _columns(models: list[dict[str, Any]], meta: dict[str, Any]) -> list[str]:
    """The fields some model has, in the order of leaderboard.md's columns (`present.display_fields`), except
    that the figure the rows are ranked by when it is not the rating (AlpacaEval's LC win rate) comes right
    after the rating's interval, where it explains the order of the rows; a field that is the rating again (a
    win-rate board's win rate vs the baseline) is left out, as the terminal and leaderboard.md leave it."""
    from judgebench.leaderboard import MODEL_FIELDS
    from judgebench.present import display_fields, repeats_the_rating

    present = display_fields(key for key in MODEL_FIELDS if not repeats_the_rating(key, meta)
                             and any(entry.get(key) is not None for entry in models))
    ranked_by = meta.get("ranked_by")
    if ranked_by in present and ranked_by != "rating" and "upper" in present:
        present.remove(ranked_by)
        present.insert(present.index("upper") + 1, ranked_by)
    return present


def _table_rows(models: list[dict[str, Any]], columns: list[str], meta: dict[str, Any]) -> list[list[tuple[Any, str]]]:
    """Each model's cells: (its value, by which the column sorts; its text, as leaderboard.md writes it: rates
    as percentages, ratings as Elo-scale points or, when they are win rates, percentages)."""
    from judgebench.present import entry_cell, format_rank, rating_format

    rating = rating_format(meta)

    def text(key: str, entry: dict[str, Any]) -> str:
        if key == "rank":
            return format_rank(entry.get(key))
        return rating(entry.get(key)) if key in ("rating", "lower", "upper") else entry_cell(key, entry)

    return [[(entry.get(key), text(key, entry)) for key in columns] for entry in models]


def _leaderboard_notes(board: Leaderboard, columns: list[str]) -> list[str]:
    """What the leaderboard's less obvious columns mean, for the columns shown: the notes under the terminal's
    and leaderboard.md's table (`present.table_notes`), and what only the report shows."""
    from judgebench.present import table_notes

    meta = board.meta
    notes = [f"{note}." for note in table_notes(board, columns)]
    if meta.get("rating_label") is None and meta.get("baseline"):
        notes.insert(0, f"Win rates: against {meta['baseline']}, ties counted half.")
    return notes


def _forest(board: Leaderboard) -> Any:
    """The forest plot of the figure that orders the rows: the ratings with their intervals, or for a board
    ranked by length-controlled win rate (AlpacaEval 2.0's order) the LC win rates with ±z LC SE at the ratings'
    level (the raw win rates drawn in LC order looked out of order, and the axis did not say why)."""
    from judgebench.present import method_title, ratings_are_win_rates
    from judgebench.ratings.intervals import normal_quantile
    from judgebench.report import plots

    meta = board.meta
    if meta.get("ranked_by") != "lc_win_rate":
        return plots.forest(board.models, method_title(meta), meta["confidence"], _rating_scale(meta),
                            percent=ratings_are_win_rates(meta))
    z = normal_quantile(meta["confidence"])

    def end(entry: dict[str, Any], side: int) -> float | None:
        lc, se = entry.get("lc_win_rate"), entry.get("lc_win_rate_se")
        return None if lc is None or se is None else lc + side * z * se

    entries = [{"model": entry["model"], "rating": entry.get("lc_win_rate"), "lower": end(entry, -1),
                "upper": end(entry, 1)} for entry in board.models]
    return plots.forest(entries, f"length-controlled win rate vs {meta['baseline']}", meta["confidence"],
                        interval=f"\u00b1{z:.2f} LC SE", percent=True)


def _rating_scale(meta: dict[str, Any]) -> str | None:
    """'Elo scale, base at 1000' or 'Elo scale, the average model at 1000': what a rating's number is
    measured from (None for ratings that are win rates)."""
    if meta.get("scale") is None:
        return None
    return f"Elo scale, {meta.get('anchor') or 'the average model'} at {meta['anchor_rating']:g}"


def _diagnostic_rows(figures: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """The rows of the terminal's judge diagnostics (`present.judge_diagnostics_rows`) as (figure, value, whether
    the value is text to wrap), where a value that is a dash and why, "- (answer lengths unknown: give
    --questions and --answers)", is a dash with the why as a note under it (the value column, which does not wrap
    its numbers, took the page's width from the names of the figures)."""
    from judgebench.present import judge_diagnostics_rows

    rows = []
    for name, value in judge_diagnostics_rows(figures):
        if value.startswith("- (") and value.endswith(")"):
            rows += [(name, "-", False), (f"  note: {value[3:-1]}", "", False)]
        else:
            rows.append((name, value, len(value) > _NUMBER_CHARACTERS))
    return rows


def _usage(judgments: pd.DataFrame, meta: dict[str, Any]) -> dict[str, Any]:
    """The cost table: rows of (what, for the judgments rated here, sent by the run), as text.

    The first figures are what the judge's server reported for these judgments when they were judged, by
    whichever run judged them (a run that took every judgment from the store still shows them, and so does
    every report of one store); the second, when leaderboard.json records a run (`games_planned`), what
    that run itself sent. `runs` says whether there is that second column."""
    answered = judgments[judgments["status"].isin((OK, UNPARSED))]  # the judgments that had a reply to pay for

    def total(column: str) -> float | None:
        """The sum over the answered judgments; unknown (None) where any of them has none: a server that did not
        report a game's usage leaves the total unknown, not the known games' sum."""
        if column not in answered or answered.empty or answered[column].isna().any():
            return None
        return float(answered[column].sum())

    def tokens(value: float | None) -> str:
        return _count(None if value is None else int(round(value)))

    run = meta.get("games_planned") is not None
    rows = [(f"games {status}", _count(int(count)), "") for status, count in judgments["status"].value_counts().items()]
    if run:
        rows += [("games planned by the run", "", _count(meta["games_planned"])),
                 ("of which already in the store (not sent)", "", _count(meta.get("games_reused")))]
    for key, label in (("prompt_tokens", "prompt tokens (sent to the judge)"),
                       ("completion_tokens", "completion tokens (written by the judge)")):
        rows.append((label, tokens(total(key)), tokens(meta.get(key)) if run else ""))
    rows.append(("cost (USD)", _dollars(total("cost")), _dollars(meta.get("cost_usd")) if run else ""))
    return {"rows": rows, "run": run}


# What `rate` read, by its meta's `source` (`evaluation.rate`), for the judgments of a leaderboard without them.
_SOURCE_KINDS = {"alpaca-eval": "AlpacaEval annotations", "outcomes": "outcomes file", "store": "store",
                 "results": "results folder"}


def _provenance(data: RunData, meta: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    """The "Configuration and provenance" table: what was judged, when, by which judge and judgebench, with which
    settings, as leaderboard.json's meta records it (a store's, as its runs table does: `inputs.load_run`), then how
    it was rated and what wrote the page. A value not recorded is None, and the page leaves its row out."""
    from judgebench import __version__

    given = figures.get("provenance") or {}
    runs = meta.get("runs") or []

    def each(field: str) -> str | None:  # the runs' values, each once, in the order they judged
        return ", ".join(dict.fromkeys(str(run[field]) for run in runs if run.get(field))) or None

    sampling = meta.get("sampling") or {}
    return {"source": data.source, "rated from": _rated_from(meta) if data.imported else None,
            "judged": _judging_dates(runs), "results written": meta.get("created_at"),
            "judge": given.get("judge") or meta.get("judge"), "judge server": each("server"),
            "engine": meta.get("engine") or each("engine"),
            "template": given.get("template") or meta.get("template"),
            "swap": meta.get("swap") if data.imported else data.swap,
            "sampling": ", ".join(f"{name} {value}" for name, value in sampling.items()) or None,
            "questions": _questions(meta), "questions SHA-256": meta.get("questions_sha256"),
            "references": _references(meta), "models": ", ".join(meta.get("models") or []) or None,
            "pairing": meta.get("pairs"), "judged by judgebench": each("judgebench_version"),
            "method": meta.get("method"), "interval method": meta.get("interval_label") or meta.get("interval"),
            "confidence": meta.get("confidence"), "bootstrap rounds": meta.get("rounds"), "seed": meta.get("seed"),
            "judgebench": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "pandas": pd.__version__, "report written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def _rated_from(meta: dict[str, Any]) -> str | None:
    """The files a leaderboard without judgments was rated from, as they were named (AlpacaEval's annotations)."""
    path = meta.get("source_path")
    if not path:
        return None
    kind = meta.get("source")
    return f"{_SOURCE_KINDS.get(str(kind), str(kind))} {path}" if kind else str(path)


def _judging_dates(runs: list[dict[str, Any]]) -> str | None:
    """When the runs that judged the judgments judged them: from the first one's start to the last one's end."""
    started = sorted(str(run["started_at"]) for run in runs if run.get("started_at"))
    ended = sorted(str(run["ended_at"]) for run in runs if run.get("ended_at"))
    if not started:
        return None
    last = ended[-1] if ended and ended[-1] > started[-1] else started[-1]
    return started[0] if last == started[0] else f"{started[0]} to {last}"


def _questions(meta: dict[str, Any]) -> str | None:
    """How many questions were judged, of how many (a trial's `first_n`), in which format, from which file."""
    count = meta.get("questions")
    if count is None:
        return None
    of = meta.get("questions_in_file")
    if meta.get("first_n") is None:
        text = f"{count:,} questions"
    else:  # a trial's cut
        text = f"the first {count:,} of {of:,} questions" if of is not None else f"the first {count:,} questions"
    if meta.get("input_format"):
        text += f", format {meta['input_format']}"
    return text + (f", from {meta['questions_file']}" if meta.get("questions_file") else "")


def _references(meta: dict[str, Any]) -> str | None:
    """The references file the run was given, and the format it was read in."""
    path, form = meta.get("references_file"), meta.get("references_format")
    if path is None and form is None:
        return None
    return " ".join(filter(None, (str(path) if path else "a references file", f"(format {form})" if form else "")))


def _plain(matrix: np.ndarray) -> list[list[float | None]]:
    return [[None if not math.isfinite(v) else round(float(v), 4) for v in row] for row in matrix]


def _template() -> Any:
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("judgebench", "report"),
                                     autoescape=jinja2.select_autoescape(["html", "j2"]),
                                     undefined=jinja2.StrictUndefined)
    environment.filters["cell"] = _cell
    environment.filters["name"] = _name
    environment.filters["fraction"] = _fraction
    return environment.get_template("report.html.j2")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _name(model: str) -> Any:
    """A model's name as the leaderboard table shows it: escaped, with a line break allowed after each slash and
    underscore (meta-llama/ | Meta-Llama-3.1-70B, gpt4_ | 1106_ | preview), where browsers allow none, so that a
    narrow column wraps a long name between its parts before it has to break one of them."""
    import markupsafe

    return markupsafe.Markup(re.sub(r"([/_])", r"\1<wbr>", str(markupsafe.escape(model))))


def _dollars(value: float | None) -> str:
    """A cost as the terminal summary shows it ($18.8150): to the hundredth of a cent, not rounded to 18.8;
    "unknown" without one (no prices, or usage the server did not report): unknown, not free."""
    return "unknown" if value is None else dollars(value)


def _count(value: int | None) -> str:
    """A count with thousands separators (40,654), or nothing when not known."""
    return "" if value is None else f"{value:,}"


def _fraction(value: float | None) -> str:
    """A rate of the judge diagnostics, to three decimals as `diagnose` writes them (0.033, not 0.03333)."""
    return "" if value is None else f"{value:.3f}"

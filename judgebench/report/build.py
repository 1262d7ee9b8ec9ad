"""`judgebench report`: one self-contained HTML file (styles, script, plots and data inline; no request to any
network address when opened) and the static plots beside it as PNG and SVG.

The figures come from ratings/ (through `judgebench.rate`, re-rated from the judgments with the run's
settings so the bootstrap replicates exist for the rank distribution) and from diagnostics.py; this module
lays them out. The judgment browser shows a seeded sample of pairs (both orders each); the page says how
many of how many.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from judgebench.report.inputs import RunData, refit

DEFAULT_SHOWN_PAIRS = 200
REPORT_FILE = "report.html"  # the report's name when `out` is a directory
TEXT_LIMIT = 1500  # characters of each question, answer and judge output shown in the browser


@dataclass
class Report:
    """What `write_report` wrote: the HTML file, the plots beside it (name -> (png, svg)), its size in
    bytes, how many pairs the judgment browser shows of how many, and the warnings the page shows."""

    html: Path
    plots: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    size: int = 0
    pairs_shown: int = 0
    pairs_total: int = 0
    warnings: list[str] = field(default_factory=list)


def write_report(data: RunData, out: str | Path, *, dataset: Any = None, diagnostics_figures: dict | None = None,
                 shown_pairs: int = DEFAULT_SHOWN_PAIRS, seed: int = 0) -> Report:
    """Write the report of a run's judgments to `out` (a file path such as report.html, or a directory: see
    `report_path`) and its plots beside it.

    `dataset` (questions and answers) lets the browser show the texts and the diagnostics measure length
    bias; `diagnostics_figures` (a diagnostics.json object) is used as given, else diagnosed here.
    """
    from judgebench import diagnostics
    from judgebench.outputs import atomic_write_text, prepare_directory
    from judgebench.present import column_title, fit_lines

    html_path = report_path(out)
    directory = prepare_directory(html_path.parent)
    board, outcomes = refit(data, dataset)
    if diagnostics_figures is None:
        lengths, categories = diagnostics.dataset_facts(dataset) if dataset is not None else (None, None)
        diagnostics_figures = diagnostics.diagnose_judgments(data.judgments, swap=data.swap, seed=data.seed,
                                                             confidence=board.meta["confidence"], lengths=lengths,
                                                             categories=categories)
    names = [entry["model"] for entry in board.models]
    win_rate, counts = diagnostics.win_matrix(outcomes, names)
    plots, images = _plots(board, names, win_rate, counts, diagnostics_figures, directory, html_path.stem)
    browser, total = _judgment_sample(data.judgments, dataset, shown_pairs, seed)
    columns = _columns(board.models)
    context = {
        "title": f"judgebench report: {diagnostics.provenance_value(data.judgments, 'judge') or 'judge'}",
        "meta": board.meta, "fit_lines": fit_lines(board.meta), "models": board.models, "columns": columns,
        "titles": [column_title(key, board.meta) for key in columns],
        "images": images, "heatmap": {"names": names, "rate": _plain(win_rate), "counts": _plain(counts)},
        "diagnostic_rows": _diagnostic_rows(diagnostics_figures), "diagnostics": diagnostics_figures,
        "usage": _usage(data.judgments), "provenance": _provenance(data, board.meta, diagnostics_figures),
        "judgments_json": json.dumps(browser, ensure_ascii=False).replace("</", "<\\/"),
        "pairs_shown": len(browser), "pairs_total": total,
    }
    html = _template().render(**context)
    atomic_write_text(html_path, html)
    return Report(html_path, plots, len(html.encode("utf-8")), len(browser), total, list(board.meta["warnings"]))


def report_path(out: str | Path) -> Path:
    """The HTML file `write_report` writes for `out`: `out` itself when it names a file (it has a suffix, such as
    .html), else `REPORT_FILE` inside the directory `out`, created if needed: an existing directory, a path
    ending in a slash (`rep/`), or one without a suffix (`rep`), so that a new folder never becomes a file."""
    text = str(out)
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)) or not path.suffix:
        return path / REPORT_FILE
    return path


def _plots(board: Any, names: list[str], win_rate: np.ndarray, counts: np.ndarray, figures: dict[str, Any],
           directory: Path, stem: str) -> tuple[dict[str, tuple[Path, Path]], dict[str, str]]:
    from judgebench.present import method_title
    from judgebench.ratings.intervals import rank_shares
    from judgebench.report import plots

    confidence = board.meta["confidence"]
    drawn = {"forest": plots.forest(board.models, method_title(board.meta), confidence),
             "heatmap": plots.win_rate_heatmap(names, win_rate, counts)}
    if board.samples is not None:
        drawn["ranks"] = plots.rank_distribution(names, rank_shares(board.samples))
    effect = figures.get("position_effect") or {}
    fitted = ({"value": effect["first_win_probability"], "lower": effect["first_win_probability_lower"],
               "upper": effect["first_win_probability_upper"]} if effect.get("log_odds") is not None else None)
    drawn["position"] = plots.rates_with_intervals(
        "Position bias", [("first-slot win rate", figures.get("first_slot_win_rate")),
                          ("fitted P(first wins), equal models", fitted),
                          ("position consistency", figures.get("position_consistency")),
                          ("tie rate", figures.get("tie_rate"))], 0.5, "0.5: no first-slot preference")
    length = figures.get("length_bias") or {}
    net = length.get("net_effect") or {}
    twice = ({"value": net["twice_as_long_win_probability"], "lower": net["twice_as_long_win_probability_lower"],
              "upper": net["twice_as_long_win_probability_upper"]} if net.get("log_odds") is not None else None)
    own = (figures.get("self_preference") or {}).get("own_score")
    drawn["length"] = plots.rates_with_intervals(
        "Length bias and self-preference",
        [(f"net of {net.get('controls', 'model strength')}:\nP(twice as long wins)", twice),
         ("longer answer wins, raw\n(not a bias measure)", length.get("longer_answer_win_rate")),
         ("self-preference: own models' score", own)], 0.5, "0.5: no preference (net figure)")
    files, images = {}, {}
    for name, figure in drawn.items():
        png_path, svg_path, png = plots.save(figure, directory, f"{stem}-{name}")
        files[name] = (png_path, svg_path)
        images[name] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return files, images


def _judgment_sample(judgments: pd.DataFrame, dataset: Any, limit: int, seed: int) -> tuple[list[dict], int]:
    """A seeded sample of pairs (up to `limit`) with both orders' verdicts and the judge's output."""
    from judgebench.diagnostics import agreeing_orders

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


def _answer_text(dataset: Any, question_id: str, model: str) -> str | None:
    answer = dataset.answer(question_id, model) if dataset is not None else None
    return _cut("\n\n".join(answer.turns)) if answer is not None else None


def _cut(text: Any) -> str | None:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    text = str(text)
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + f" [... {len(text) - TEXT_LIMIT} more characters]"


def _columns(models: list[dict[str, Any]]) -> list[str]:
    from judgebench.leaderboard import MODEL_FIELDS

    return [key for key in MODEL_FIELDS if any(entry.get(key) is not None for entry in models)]


def _diagnostic_rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    from judgebench.present import judge_diagnostics_rows

    return judge_diagnostics_rows(figures)


def _usage(judgments: pd.DataFrame) -> dict[str, Any]:
    """Games by status, tokens (whole numbers) and cost of the stored judgments (what the judge was paid for);
    None where no judgment recorded the figure."""
    def total(column: str) -> float | None:
        return float(judgments[column].fillna(0).sum()) if column in judgments and judgments[column].notna().any() \
            else None
    tokens = {name: None if (value := total(name)) is None else int(round(value))
              for name in ("prompt_tokens", "completion_tokens")}
    return {"games": {str(k): int(v) for k, v in judgments["status"].value_counts().items()}, **tokens,
            "cost_usd": total("cost")}


def _provenance(data: RunData, meta: dict[str, Any], figures: dict[str, Any]) -> dict[str, Any]:
    from judgebench import __version__

    given = figures.get("provenance") or {}
    return {"source": data.source, "judge": given.get("judge") or meta.get("judge"),
            "template": given.get("template") or meta.get("template"), "swap": data.swap,
            "method": meta.get("method"), "interval method": meta.get("interval_label") or meta.get("interval"),
            "confidence": meta.get("confidence"), "bootstrap rounds": meta.get("rounds"), "seed": meta.get("seed"),
            "judgebench": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "pandas": pd.__version__, "report written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def _plain(matrix: np.ndarray) -> list[list[float | None]]:
    return [[None if not math.isfinite(v) else round(float(v), 4) for v in row] for row in matrix]


def _template() -> Any:
    import jinja2

    environment = jinja2.Environment(loader=jinja2.PackageLoader("judgebench", "report"),
                                     autoescape=jinja2.select_autoescape(["html", "j2"]),
                                     undefined=jinja2.StrictUndefined)
    environment.filters["cell"] = _cell
    environment.filters["count"] = _count
    return environment.get_template("report.html.j2")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _count(value: int | None) -> str:
    """A count with thousands separators (40,654), or nothing when not known."""
    return "" if value is None else f"{value:,}"

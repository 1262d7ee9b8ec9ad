"""`judgebench report` end to end: a real run against the scripted judge server, the report written by the CLI,
then opened in headless Debian chromium (driven by Playwright with executable_path=/usr/bin/chromium; no
browser download). Checked: no console error, no network request, one leaderboard row per model, every plot
present and not empty, sorting, the judgment browser's filters; a screenshot is written for review.

The scripted judge picks the higher planted QUALITY (good 8 > base 5 = mid 5 > bad 2) and, between equal
answers, the one shown first: so exactly the 12 mid-base pairs have orders that disagree.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape, unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from judgebench.config import LeaderboardSettings
from judgebench.errors import ConfigError, InputError
from judgebench.report.build import TEXT_LIMIT, report_path
from tests.support.cli_runs import N_QUESTIONS, QUALITIES, file_modes, judgebench, write_config, write_data
from tests.support.judge_server import ChatRequest, Reply, constant_rule, qualities, quality_rule

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
PLOTS = ("forest", "heatmap", "ranks", "position", "length")


@contextmanager
def opened_page(report: Path, width: int = 1280) -> Iterator[Any]:
    """The report loaded in Debian's chromium (headless), a desktop window `width` pixels wide."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(report.as_uri(), wait_until="load")
        yield page
        browser.close()


def first_slot_on_ties(request: ChatRequest) -> Reply:
    found = qualities(request)
    if found is not None and found[0] == found[1]:
        return Reply("Equal quality; the first reads better. Verdict: [[A>B]]")
    return quality_rule()(request)


@pytest.fixture
def report_file(judge_server, tmp_path) -> Path:
    judge_server.rule = first_slot_on_ties
    config = write_config(tmp_path, judge_server.base_url)
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    done = judgebench("report", "--results", "out", "--out", "report/index.html", "--questions", "questions.jsonl",
                      "--answers", "answers.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "36 of 36 pairs" in done.stdout
    return tmp_path / "report" / "index.html"


def test_report_opens_offline_in_chromium_and_its_browser_filters(report_file, tmp_path):
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: run scripts/setup.sh --test"
    for name in PLOTS:
        for suffix in ("png", "svg"):
            assert (report_file.parent / f"index-{name}.{suffix}").stat().st_size > 1000
    url = report_file.as_uri()
    requests, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url, wait_until="load")
        assert errors == []
        assert [r for r in requests if r != url and not r.startswith("data:")] == []

        board = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
        assert page.locator("#leaderboard-table tbody tr").count() == len(board["models"]) == 4
        headers = page.eval_on_selector_all("#leaderboard-table th", "ths => ths.map(th => th.textContent)")
        assert {"rating", "win rate vs baseline", "pairs"} <= set(headers) and "n_games" not in headers
        assert {"wins", "losses"} <= set(headers) and [h for h in headers if "_" in h] == []  # no field names
        for name in PLOTS:
            size = page.eval_on_selector(f"#plot-{name}", "img => [img.naturalWidth, img.naturalHeight]")
            assert size[0] > 100 and size[1] > 100, name

        # sorting by rating, ascending then descending
        page.click("#leaderboard-table th:text-is('rating')")
        ratings = [float(v) for v in page.eval_on_selector_all(
            "#leaderboard-table tbody tr td:nth-child(3)", "cells => cells.map(c => c.dataset.value)")]
        assert ratings == sorted(ratings)
        page.click("#leaderboard-table th:text-is('rating')")
        ratings = [float(v) for v in page.eval_on_selector_all(
            "#leaderboard-table tbody tr td:nth-child(3)", "cells => cells.map(c => c.dataset.value)")]
        assert ratings == sorted(ratings, reverse=True)

        pairs = page.locator("#browser .pair")
        assert pairs.count() == 3 * N_QUESTIONS
        page.check("#only-disagree")
        assert pairs.count() == N_QUESTIONS
        assert set(page.eval_on_selector_all("#browser .pair", "ps => ps.map(p => p.dataset.models)")) == {
            "base vs mid"}
        page.uncheck("#only-disagree")
        page.select_option("#pair-filter", "bad vs base")
        assert pairs.count() == N_QUESTIONS
        page.select_option("#pair-filter", "")
        page.fill("#search", "Answer 3 by good")
        assert pairs.count() == 1 and "good" in pairs.first.inner_text()
        page.fill("#search", "")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        browser.close()
    assert (tmp_path / "report.png").stat().st_size > 10_000
    keep = os.environ.get("JUDGEBENCH_SCREENSHOT_DIR")
    if keep:
        shutil.copy(tmp_path / "report.png", Path(keep) / "report.png")
    assert errors == []


def provenance_rows(page: Any) -> dict[str, str]:
    """The "Configuration and provenance" table of an opened report, as its rows read in the browser."""
    return dict(page.eval_on_selector_all("#provenance-table tr",
                                          "rows => rows.map(row => [row.cells[0].innerText, row.cells[1].innerText])"))


def test_the_provenance_says_what_was_judged_when_and_how(report_file, judge_server, tmp_path):
    """The table named the results folder, the judge, template and ratings' settings, and the versions and date of
    the report: not when the judgments were judged, by which server and judgebench, of which questions (a trial of
    the first 5 of 12 said so nowhere), which models, pairing or sampling. It says what leaderboard.json records,
    for a store what its runs table does, and leaves out what neither records (no row reads "None" or nothing)."""
    import judgebench as api

    meta = json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]
    (run,) = meta["runs"]
    trial = judgebench("run", "--config", "run.toml", "--first-n", "5", "--out", "trial", cwd=tmp_path)
    assert trial.returncode == 0, trial.stderr
    for source, out in (("--results", "trial"), ("--store", "store.sqlite")):
        done = judgebench("report", source, out, "--out", f"{Path(out).stem}.html", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    shown = {}
    for name, page_file in (("run", report_file), ("trial", tmp_path / "trial.html"),
                            ("store", tmp_path / "store.html")):
        with opened_page(page_file) as page:
            shown[name] = provenance_rows(page)
    judged = f"{run['started_at']} to {run['ended_at']}" if run["ended_at"] != run["started_at"] else run["started_at"]
    for rows in shown.values():
        assert rows["judged"] == judged and rows["judge server"] == judge_server.base_url == run["server"]
        assert rows["judged by judgebench"] == api.__version__ and rows["engine"] == "openai"
        assert all(value.strip() and value != "None" for value in rows.values()), rows
    full, cut = shown["run"], shown["trial"]
    assert full["source"] == "out" and full["results written"] == meta["created_at"]
    assert full["questions"] == (f"{N_QUESTIONS} questions, format {meta['input_format']}, from "
                                 f"{meta['questions_file']}") and meta["questions_file"].endswith("questions.jsonl")
    assert cut["questions"].startswith(f"the first 5 of {N_QUESTIONS} questions, format ")
    assert full["questions SHA-256"] == meta["questions_sha256"] != cut["questions SHA-256"]
    for rows in (full, cut):
        assert rows["models"] == ", ".join(sorted(QUALITIES)) and rows["pairing"] == meta["pairs"] == "baseline"
        assert rows["sampling"] == ", ".join(f"{name} {value}" for name, value in meta["sampling"].items())
        assert "references" not in rows and "rated from" not in rows  # none given; judgments, not imported
    # a store records no run's settings: its rows are what its runs table holds
    assert shown["store"]["source"] == "store.sqlite"
    assert not {"questions", "models", "sampling", "pairing", "results written"} & set(shown["store"])


# Where each card's answers and verdicts are drawn: per card its models, and for each answer (in page order) the
# model and its box, for each verdict the model shown first, its title and its box; boxes are [left, right, top,
# bottom] in page pixels.
CARD_LAYOUT = """cards => cards.map(card => {
    const box = element => { const r = element.getBoundingClientRect();
                             return [r.left, r.right, r.top + window.scrollY, r.bottom + window.scrollY]; };
    return {models: card.dataset.models.split(" vs "),
            answers: Array.from(card.querySelectorAll("pre.answer")).map(a => [a.dataset.model, box(a)]),
            verdicts: Array.from(card.querySelectorAll(".verdict")).map(v => [v.dataset.first,
                v.querySelector("b").textContent, box(v)])};
})"""


def assert_verdicts_under_their_answers(cards: list[dict]) -> None:
    """Each verdict lies below the answer it showed first, within that answer's column, with no other answer
    between the two: side by side on a desktop, and on a phone, where the columns stack, directly after it."""
    for card in cards:
        assert [model for model, _ in card["answers"]] == card["models"]
        answers = dict(card["answers"])
        assert {first for first, _, _ in card["verdicts"]} == set(card["models"])
        for first, title, (left, right, top, _) in card["verdicts"]:
            assert title.startswith(f"{first} shown first: ok, verdict"), (card["models"], title)
            a_left, a_right, _, a_bottom = answers[first]
            assert a_left - 0.5 <= left and right <= a_right + 0.5 and top >= a_bottom - 0.5, (card["models"], first)
            assert not any(a_bottom < other_top < top for model, (_, _, other_top, _) in card["answers"]
                           if model != first), (card["models"], first)


def test_each_verdict_is_shown_under_the_answer_shown_first(report_file):
    """A card's answers stand in name order; each order's verdict stands under the answer that order showed
    first, whatever the order of judgments.jsonl's rows (the browser drew them in row order: under `base` it
    showed "good shown first")."""

    with opened_page(report_file) as page:
        cards = page.eval_on_selector_all("#browser .pair", CARD_LAYOUT)
    assert len(cards) == 3 * N_QUESTIONS
    assert {tuple(card["models"]) for card in cards} == {("bad", "base"), ("base", "good"), ("base", "mid")}
    assert_verdicts_under_their_answers(cards)
    for card in cards:  # side by side on a desktop
        assert card["answers"][0][1][1] < card["answers"][1][1][0]


def test_plots_fit_their_frames_on_a_desktop(report_file):
    """Each plot scaled to its frame (max-width 100%) was 2 pixels wider than the frame, its border outside the
    100% (content-box sizing), so every plot frame had a horizontal scrollbar at any desktop width."""
    with opened_page(report_file, width=1440) as page:
        overflows = []
        for width in (1440, 1920):
            page.set_viewport_size({"width": width, "height": 900})
            overflows += page.eval_on_selector_all(".scroll:has(img.plot)", """frames => frames
                .filter(frame => frame.scrollWidth > frame.clientWidth)
                .map(frame => `${frame.firstElementChild.id}: ${frame.scrollWidth} > ${frame.clientWidth}`)""")
    assert overflows == []


def test_report_says_why_a_baseline_run_has_no_triads(report_file):
    """Every pair of a baseline-pairs run includes the baseline, so no three models have majorities in all their
    pairs: the diagnostics table showed "note: 0/0"."""
    rows = html_table(report_file.read_text(), "diagnostics-table")
    assert ["cyclic triads (of triads with majorities)", "-"] in rows
    assert ["note: no triads with majorities: every pair compared includes base", ""] in rows


LONG_CODE_LINE = ("```python\nresult = compute_the_total_of_every_value_in(records_by_identifier[question_identifier], "
                  "weights=normalised_weights_for_this_question)\n```")


def test_report_reads_on_a_phone(judge_server, tmp_path):
    """A 400 px wide phone (Chromium's mobile emulation): the page is laid out at the phone's width, not at a
    desktop's 980 px shrunk to fit (it had no viewport meta); nothing but the contents of a sideways-scrolling
    frame (tables, plots, a code line inside its answer) is wider than the screen, so an answer whose code has a
    long line no longer pushes the other answer out of its card; plots keep their drawn size (their labels as
    legible as on a desktop) inside their frames; each verdict comes directly after the answer it showed first.
    A screenshot is written for review."""
    from playwright.sync_api import sync_playwright

    config = write_config(tmp_path, judge_server.base_url)
    answers = tmp_path / "answers.jsonl"
    rows = [json.loads(line) for line in answers.read_text().splitlines()]
    for row in rows:
        if row["model"] == "base":  # answer A of "base vs mid" and "base vs good"
            row["turns"][0] += "\n\n" + LONG_CODE_LINE
    answers.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    done = judgebench("report", "--results", "out", "--out", "phone.html", "--questions", "questions.jsonl",
                      "--answers", "answers.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        phone = browser.new_context(viewport={"width": 400, "height": 800}, is_mobile=True, has_touch=True,
                                    device_scale_factor=2)
        page = phone.new_page()
        page.goto((tmp_path / "phone.html").as_uri(), wait_until="load")
        layout = page.evaluate("""() => ({
            viewport: document.querySelector('meta[name="viewport"]')?.content,
            width: window.innerWidth, page: document.documentElement.scrollWidth,
            wider: Array.from(document.body.querySelectorAll("*")).filter(element => {
                const box = element.getBoundingClientRect();
                return box.width > 0 && (box.left < -0.5 || box.right > window.innerWidth + 0.5) &&
                    !(element.parentElement && element.parentElement.closest(".scroll"));
            }).map(element => element.outerHTML.slice(0, 80)),
            plots: Array.from(document.querySelectorAll("img.plot")).map(image => [
                image.id, image.clientWidth, image.naturalWidth,
                (image.closest(".scroll") || image).getBoundingClientRect().right])})""")
        assert layout["viewport"] and "width=device-width" in layout["viewport"]
        assert layout["width"] == 400 and layout["page"] <= 400
        assert layout["wider"] == []
        assert {plot[0] for plot in layout["plots"]} == {f"plot-{name}" for name in PLOTS}
        for name, shown, drawn, frame_right in layout["plots"]:
            assert shown == pytest.approx(drawn, abs=1) and frame_right <= 400, name
        page.select_option("#pair-filter", "base vs mid")
        cards = page.eval_on_selector_all("#browser .pair", CARD_LAYOUT)
        assert len(cards) == N_QUESTIONS
        for card in cards:
            (name, (left, right, _, _)) = card["answers"][1]
            assert name == "mid" and 0 <= left and right <= 400 and right - left > 150
        # stacked, each answer followed by its own verdicts: base's answer, base shown first, mid's answer, ...
        assert_verdicts_under_their_answers(cards)
        page.locator("#browser .pair").first.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "phone.png"))
        browser.close()
    keep = os.environ.get("JUDGEBENCH_SCREENSHOT_DIR")
    if keep:
        shutil.copy(tmp_path / "phone.png", Path(keep) / "phone.png")


LONG_NAMES = ["meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo", "mistralai/Mixtral-8x22B-Instruct-v0.1",
              "claude_3_opus_20240229"]
PHONE_TABLE = """() => {
    const top = (node, at) => { const range = document.createRange(); range.setStart(node, at);
                                range.setEnd(node, at + 1); return range.getBoundingClientRect().top; };
    const frame = document.getElementById("leaderboard-table").closest(".scroll").getBoundingClientRect();
    const rows = Array.from(document.querySelectorAll("#leaderboard-table tr")).map(row => Array.from(row.cells).map(
        cell => { const box = cell.getBoundingClientRect();
                  return {text: cell.innerText, left: box.left, right: box.right, overflows: cell.scrollWidth >
                          cell.clientWidth, parts: Array.from(cell.childNodes).filter(node => node.data).map(
                              node => [node.data, top(node, 0), top(node, node.data.length - 1)])}; }));
    return {frame: [frame.left, frame.right], page: document.documentElement.scrollWidth, rows: rows};
}"""


def test_a_phone_shows_the_leaderboard_figures_beside_long_model_names(tmp_path):
    """At 390 px (a phone's width, chromium) the leaderboard's model column was as wide as its longest name kept on
    one line (meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo: 353 px), so that the rank, rating and interval began
    off screen. Long names wrap now, at their slashes and underscores first, in a column of at most a third of the
    screen; rank, rating and interval stand beside them within the table's frame; the columns that do not fit
    scroll sideways in the frame with the names kept in view, and the page itself never scrolls sideways."""
    import judgebench

    rng = np.random.default_rng(5)
    frame = pd.DataFrame([{"question_id": f"q{q}", "model_a": "gpt-4-0314", "model_b": model,
                           "winner": rng.choice(["model_a", "model_b", "tie"], p=[0.5, 0.4, 0.1])}
                          for q in range(40) for model in LONG_NAMES])
    judgebench.rate(frame, baseline="gpt-4-0314", rounds=50).write(tmp_path / "board")
    judgebench.html_report(tmp_path / "phone.html", results=tmp_path / "board")
    with opened_page(tmp_path / "phone.html", width=390) as page:
        page.locator("#leaderboard-table").scroll_into_view_if_needed()
        shown = page.evaluate(PHONE_TABLE)
        page.screenshot(path=str(tmp_path / "phone-leaderboard.png"))
        page.evaluate("() => { const frame = document.getElementById('leaderboard-table').closest('.scroll'); "
                      "frame.scrollLeft = frame.scrollWidth; }")
        scrolled = page.evaluate(PHONE_TABLE)
    (left, right), (titles, *rows) = shown["frame"], shown["rows"]
    assert shown["page"] <= 390 and 0 <= left < right <= 390
    assert [cell["text"] for cell in titles[:5]] == ["model", "rank", "rating", "lower", "upper"]
    assert len(titles) > 5 and titles[-1]["right"] > right  # more columns than a phone has room for: they scroll
    assert sorted(row[0]["text"] for row in rows) == sorted([*LONG_NAMES, "gpt-4-0314"])
    for row in rows:
        name, figures = row[0], row[1:5]
        assert not name["overflows"] and name["right"] - name["left"] <= 390 / 3, name
        assert all(left <= cell["left"] and cell["right"] <= right + 0.5 for cell in figures), row
    # each line of a text part at its top: meta-llama/ ends a line; claude_3_opus_20240229 breaks only between its parts
    parts = {"".join(part[0] for part in row[0]["parts"]): row[0]["parts"] for row in rows}
    (_, _, slash), (_, after, _) = parts[LONG_NAMES[0]][:2]
    assert after > slash, parts[LONG_NAMES[0]]
    claude = parts[LONG_NAMES[2]]
    assert len(claude) == 4 and all(first == last for _, first, last in claude) and claude[-1][1] > claude[0][1]
    # scrolled to its end: the last column in the frame, the names still at its left edge
    last = [row[-1] for row in scrolled["rows"]]
    assert all(left <= cell["left"] and cell["right"] <= right + 0.5 for cell in last), last
    assert all(row[0]["left"] == pytest.approx(left, abs=1) for row in scrolled["rows"]), scrolled["rows"]
    keep = os.environ.get("JUDGEBENCH_SCREENSHOT_DIR")
    if keep:
        shutil.copy(tmp_path / "phone-leaderboard.png", Path(keep) / "phone-leaderboard.png")


def test_report_says_the_level_of_each_kind_of_interval_once(judge_server, tmp_path):
    """Ratings at 90%, diagnostics.json rewritten by `diagnose` at its default 95%: the head names the ratings'
    level once (it said "... (200 rounds, seed 0) at 90%", the label already holding the level) and the
    diagnostics say theirs, as `diagnose` does (they were unlabelled under a head saying 90%)."""
    config = write_config(tmp_path, judge_server.base_url)
    config.write_text(config.read_text().replace("[ratings]\n", "[ratings]\nconfidence = 0.9\n"))
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / "out" / "diagnostics.json").read_text())["confidence"] == 0.9
    assert judgebench("diagnose", "--results", "out", "--out", "out", cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / "out" / "diagnostics.json").read_text())["confidence"] == 0.95
    done = judgebench("report", "--results", "out", "--out", "report.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "report.html").read_text()
    head = re.search(r'<p class="note">Judge (.*?)</p>', html, re.DOTALL).group(1)
    assert "intervals: 90% percentile interval, bootstrap over questions (200 rounds, seed 0)." in head
    assert head.count("%") == 1
    assert '<h2 id="diagnostics">Judge diagnostics (95% intervals, clustered by question)</h2>' in html


def all_pairs_run(judge_server, folder: Path) -> None:
    """A run of every pair without a baseline (ratings centred on the average model), its questions in two
    categories; on every fourth question the planted qualities are reversed, so that every model wins and
    loses some pairs (Bradley-Terry's maximum likelihood exists); the scripted judge gives equal answers to
    the one shown first."""
    judge_server.rule = first_slot_on_ties
    config = write_config(folder, judge_server.base_url, pairs="all")
    config.write_text(config.read_text().replace('baseline = "base"\n', ""))
    questions = folder / "questions.jsonl"
    rows = [json.loads(line) for line in questions.read_text().splitlines()]
    questions.write_text("".join(json.dumps({**row, "category": ["math", "writing"][i % 2]}) + "\n"
                                 for i, row in enumerate(rows)))
    answers = folder / "answers.jsonl"
    rows = [json.loads(line) for line in answers.read_text().splitlines()]
    for row in rows:
        if int(row["question_id"][1:]) % 4 == 0:
            quality = QUALITIES[row["model"]]
            row["turns"][0] = row["turns"][0].replace(f"QUALITY={quality}", f"QUALITY={10 - quality}")
    answers.write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = judgebench("run", "--config", str(config), cwd=folder)
    assert done.returncode == 0, done.stderr


def html_table(html: str, table_id: str) -> list[list[str]]:
    """The text of each cell of the report's table `table_id`, row by row (header cells included)."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.DOTALL).group(1)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)]


def reference_marks(figure, label: str) -> set[str]:
    """The bars of a `plots.rates_with_intervals` figure that the reference mark labelled `label` crosses: a
    line across the axes or segments, compared in display coordinates."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    names = {round(y): tick.get_text() for y, tick in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)}
    marks = []
    for artist in [*ax.lines, *ax.collections]:
        if artist.get_label() == label:
            pieces = artist.get_segments() if hasattr(artist, "get_segments") else [artist.get_xydata()]
            marks += [(ys.min(), ys.max()) for ys in (artist.get_transform().transform(piece)[:, 1]
                                                      for piece in pieces)]
    assert marks, label
    crossed = set()
    for bar in ax.patches:
        box = bar.get_window_extent(renderer)
        if any(low < box.y1 and box.y0 < high for low, high in marks):
            crossed.add(names[round(bar.get_y() + bar.get_height() / 2)])
    return crossed


def test_report_writes_figures_as_leaderboard_md_does_and_explains_them(judge_server, tmp_path, monkeypatch):
    """The leaderboard's cells read as leaderboard.md's (92.5%, not 0.925), per-category rates as `diagnose`
    writes rates (0.333, not 0.3333); the pooled win rate and the Bradley-Terry fit's deviance are explained
    where they are shown; the position plot's "0.5: no first-slot preference" mark crosses the first-slot
    bars only, not position consistency and the tie rate, for which 0.5 means nothing; the length plot's 0.5 mark
    crosses the net length figure, not the raw share of pairs the longer answer won (not a bias measure)."""
    from judgebench.report import plots
    from judgebench.report.build import write_report
    from judgebench.report.inputs import load_run

    all_pairs_run(judge_server, tmp_path)
    done = judgebench("report", "--results", "out", "--out", "report.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "report.html").read_text()

    shown = html_table(html, "leaderboard-table")
    markdown = [[cell.strip() for cell in line.strip("|").split("|")]
                for line in (tmp_path / "out" / "leaderboard.md").read_text().splitlines() if line.startswith("| ")]
    md_rows = {row[markdown[0].index("model")]: dict(zip(markdown[0], row, strict=True)) for row in markdown[1:]}
    common = [title for title in shown[0] if title in markdown[0] and title not in ("model", "rank")]
    assert {"rating", "win rate (pooled)", "P(win)", "pairs", "ties", "split", "position consistency"} <= set(common)
    assert common == [title for title in markdown[0] if title in common]  # in leaderboard.md's order
    for row in shown[1:]:
        cells = dict(zip(shown[0], row, strict=True))
        assert {title: cells[title] for title in common} == {title: md_rows[cells["model"]][title]
                                                             for title in common}
    assert any(cell.endswith("%") for row in shown[1:] for cell in row)

    by_category = re.search(r"<h3>By category</h3>(.*?)</table>", html, re.DOTALL).group(1)
    rates = re.findall(r'<td class="num">([0-9.]+)</td>', by_category)
    assert len(rates) == 2 * 4 and all(len(rate.split(".")[1]) == 3 for rate in rates if "." in rate)
    assert "Win rate (pooled): the share of each model's own outcomes that it won" in unescape(html)
    figures = json.loads((tmp_path / "out" / "diagnostics.json").read_text())
    assert figures["transitivity"]["p_value"] is not None
    assert "Bradley-Terry fit: the deviance of the ratings' model" in unescape(html)

    drawn = {}
    save = plots.save

    def keep(figure, directory, name):
        label = {"position": "0.5: no first-slot preference", "length": "0.5: no preference"}.get(name.split("-")[-1])
        drawn[name] = reference_marks(figure, label) if label else None
        return save(figure, directory, name)

    monkeypatch.setattr(plots, "save", keep)
    # every model writes answers of one length here, so its net length effect and self-preference are set by hand
    rate = {"value": 0.6, "lower": 0.5, "upper": 0.7, "n": 40}
    figures["length_bias"]["net_effect"] = {
        "log_odds": 0.4, "lower": 0.0, "upper": 0.8, "n": 40, "controls": "model strength", "verdict": "x",
        **{f"twice_as_long_win_probability{end}": rate[key] for end, key in (("", "value"), ("_lower", "lower"),
                                                                             ("_upper", "upper"))}}
    figures["self_preference"] = {"models": ["good"], "own_score": rate}
    write_report(load_run(results=tmp_path / "out"), tmp_path / "again.html", diagnostics_figures=figures)
    assert drawn["again-position"] == {"first-slot win rate", "fitted P(first wins), equal models"}
    assert drawn["again-length"] == {"net of model strength:\nP(twice as long wins)",
                                     "self-preference: own models' score"}


def test_report_says_what_a_rating_and_p_win_are_measured_against(report_file, judge_server, tmp_path,
                                                                  monkeypatch):
    """All pairs without a baseline: ratings centred so the average model is at 1000, P(win) against a model of
    average rating; a baseline run: the baseline at 1000, P(win) against it. The report said neither (the
    label was only in leaderboard.json's meta), and the forest plot's axis said only "Bradley-Terry (95%
    interval)"."""
    from judgebench.report import plots
    from judgebench.report.build import write_report
    from judgebench.report.inputs import load_run

    (tmp_path / "all").mkdir()
    all_pairs_run(judge_server, tmp_path / "all")
    axes = {}
    save = plots.save

    def keep(figure, directory, name):
        axes[name] = figure.axes[0].get_xlabel()
        return save(figure, directory, name)

    monkeypatch.setattr(plots, "save", keep)
    for folder, out in ((tmp_path / "all" / "out", "centred"), (tmp_path / "out", "baseline")):
        write_report(load_run(results=folder), tmp_path / f"{out}.html")
    centred, baseline = (unescape((tmp_path / f"{out}.html").read_text()) for out in ("centred", "baseline"))
    # the notes under the table are the terminal's and leaderboard.md's (leaderboard meta's labels)
    assert ("Ratings on the Elo scale (a 400-point gap is 10:1 odds), centred so that the average model is at 1000"
            in centred)
    assert "P(win): the predicted probability of beating a model of average rating (1000)" in centred
    assert axes["centred-forest"] == "Bradley-Terry rating (Elo scale, the average model at 1000; 95% interval)"
    assert "Ratings on the Elo scale (a 400-point gap is 10:1 odds), the baseline base fixed at 1000" in baseline
    assert "P(win): the predicted probability of beating the baseline base, ties counted half" in baseline
    assert axes["baseline-forest"] == "Bradley-Terry vs base rating (Elo scale, base at 1000; 95% interval)"


def test_report_of_a_run_that_took_every_judgment_from_the_store(judge_server, tmp_path):
    """A random-one baseline run after an all-pairs run on the same store sends nothing: the report says what
    its judgments cost when judged and that this run sent 0 tokens (it said "totals over the judgments shown
    here" with the earlier run's 200,000-odd tokens and nothing else), and that each pair was judged in one
    order (it said "each in both orders"), the card saying which order was not judged."""

    priced = "[judge]\nprice_in_per_mtok = 30.0\nprice_out_per_mtok = 0.0\n"
    config = write_config(tmp_path, judge_server.base_url, pairs="all")
    config.write_text(config.read_text().replace("[judge]\n", priced))
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    config = write_config(tmp_path, judge_server.base_url, swap="random-one")
    config.write_text(config.read_text().replace('out = "out"', 'out = "one"').replace("[judge]\n", priced))
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    board = json.loads((tmp_path / "one" / "leaderboard.json").read_text())
    assert board["meta"]["games_reused"] == board["meta"]["games_planned"] == 3 * N_QUESTIONS
    done = judgebench("report", "--results", "one", "--out", "one.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "one.html").read_text()

    usage = html_table(html, "usage-table")
    assert usage[0] == ["", "judgments rated here", "sent by this run"]
    rows = {row[0]: row[1:] for row in usage[1:]}
    judgments = [json.loads(line) for line in (tmp_path / "one" / "judgments.jsonl").read_text().splitlines()]
    tokens = sum(judgment["prompt_tokens"] for judgment in judgments)
    assert tokens > 1000
    assert rows["prompt tokens (sent to the judge)"] == [f"{tokens:,}", "0"]
    assert rows["completion tokens (written by the judge)"][1] == "0"
    # dollars as the terminal shows them (it rounded $18.8150 to 18.8)
    cost = sum(judgment["cost"] for judgment in judgments)
    assert cost > 0.01 and rows["cost (USD)"] == [f"${cost:,.4f}", "$0.0000"]
    assert rows["of which already in the store (not sent)"] == ["", f"{3 * N_QUESTIONS}"]
    assert "every report of one\nstore counts the same judgments" in html

    with opened_page(tmp_path / "one.html") as page:
        note = page.inner_text("#judgments + p")
        cards = page.eval_on_selector_all("#browser .pair", """cards => cards.map(card =>
            Array.from(card.querySelector(".texts").children).map(column => column.innerText))""")
    assert "each judged in one order (swap policy random-one)" in note and "both orders" not in note
    assert len(cards) == 3 * N_QUESTIONS
    for columns in cards:
        assert sorted("shown first:" in text for text in columns) == [False, True], columns
        assert any("\nnot judged with " in text for text in columns)


def assert_the_forest_plot_shows_lc_win_rates(folder: Path, board: dict[str, Any], monkeypatch) -> None:
    """The forest plot of a board ranked by LC win rate draws the LC win rates, in the rows' order, with
    ±1.96 LC SE at 95%, and its axis says so: it drew the raw win rates in LC order (claude-2's 17.2% above
    29.9%) under "win rate vs gpt4_1106_preview"."""
    from judgebench.report import plots
    from judgebench.report.build import write_report
    from judgebench.report.inputs import load_run

    drawn = {}
    save = plots.save

    def keep(figure, directory, name):
        bars = figure.axes[0].containers[0]
        figure.canvas.draw()
        drawn[name] = (figure.axes[0].get_xlabel(), bars.lines[0].get_xdata(),
                       [segment[:, 0] for segment in bars.lines[2][0].get_segments()],
                       [tick.get_text() for tick in figure.axes[0].get_xticklabels() if tick.get_text()])
        return save(figure, directory, name)

    monkeypatch.setattr(plots, "save", keep)
    write_report(load_run(results=folder, imported=True), folder / "again.html")
    label, dots, bars, ticks = drawn["again-forest"]
    assert " ".join(label.split("\n")) == "length-controlled win rate vs gpt4_1106_preview (95% interval: ±1.96 LC SE)"
    assert ticks and all(tick.endswith("%") for tick in ticks), ticks  # as the table shows them (0.1 to 0.7 before)
    models = board["models"]
    assert list(dots) == pytest.approx([entry["lc_win_rate"] for entry in models])
    assert list(dots) == sorted(dots, reverse=True)
    assert [tuple(ends) for ends in bars] == [pytest.approx((entry["lc_win_rate"] - 1.96 * entry["lc_win_rate_se"],
                                                             entry["lc_win_rate"] + 1.96 * entry["lc_win_rate_se"]),
                                                            abs=1e-4) for entry in models]


def test_report_of_a_leaderboard_rated_from_imported_judgments(shared_data, tmp_path, monkeypatch):
    """`leaderboard --alpaca-eval ... --out DIR` writes no judgments.jsonl; `report --results DIR` said "no
    judgments.jsonl here" (exit 2). Now: the leaderboard (ranked by LC win rate, that column beside the
    interval) and its forest plot, a warning saying why there is nothing more, no judgment browser, and a
    page that opens without a script error; another method or baseline is one clear error (nothing to rate
    again), as is a folder with neither file."""
    from playwright.sync_api import sync_playwright

    folder = shared_data / "alpaca_eval"
    rated = judgebench("leaderboard", "--alpaca-eval", str(folder / "annotations"), "--lc-weights",
                       str(folder / "lc_weights.csv"), "--instruction-difficulty",
                       str(folder / "instruction_difficulty.csv"), "--rounds", "50", "--out", "alpaca", "-q",
                       cwd=tmp_path)
    assert rated.returncode == 0, rated.stderr
    assert not (tmp_path / "alpaca" / "judgments.jsonl").exists()
    done = judgebench("report", "--results", "alpaca", "--out", "alpaca/", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no judgment browser: alpaca holds no judgments.jsonl" in done.stdout
    assert sorted(path.name for path in (tmp_path / "alpaca").glob("report*")) == [
        "report-forest.png", "report-forest.svg", "report.html"]
    html = (tmp_path / "alpaca" / "report.html").read_text()
    board = json.loads((tmp_path / "alpaca" / "leaderboard.json").read_text())
    assert board["meta"]["ranked_by"] == "lc_win_rate"
    shown = report_ratings(html)
    assert list(shown) == [entry["model"] for entry in board["models"]]
    for entry in board["models"]:
        assert shown[entry["model"]] == pytest.approx((entry["rating"], entry["lower"], entry["upper"]))
    titles = html_table(html, "leaderboard-table")[0]
    assert titles[titles.index("upper") + 1] == "LC win rate"
    assert "win rate vs baseline" not in titles  # the ratings are those win rates: shown once, as the terminal does
    assert 'id="no-judgments"' in html and "Ranked by length-controlled win rate" in html
    assert 'id="judgments-data"' not in html and 'id="plot-heatmap"' not in html

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto((tmp_path / "alpaca" / "report.html").as_uri(), wait_until="load")
        # the annotations as the command named them, not only the folder the leaderboard was written to
        rows = provenance_rows(page)
        assert rows["rated from"] == f"AlpacaEval annotations {folder / 'annotations'}" and rows["source"] == "alpaca"
        assert "judged" not in rows and "questions" not in rows  # not recorded by AlpacaEval's annotations
        page.click("#leaderboard-table th:text-is('rank')")
        assert page.locator("#leaderboard-table tbody tr").count() == len(board["models"])
        assert page.locator("#browser").count() == 0
        assert page.eval_on_selector("#plot-forest", "img => img.naturalWidth") > 100
        browser.close()
    assert errors == []

    assert_the_forest_plot_shows_lc_win_rates(tmp_path / "alpaca", board, monkeypatch)

    again = judgebench("report", "--results", "alpaca", "--out", "bt.html", "--method", "bt", cwd=tmp_path)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "holds none (no judgments.jsonl): rate the imported judgments with `judgebench leaderboard`" in again.stderr
    (tmp_path / "empty").mkdir()
    empty = judgebench("report", "--results", "empty", "--out", "e.html", cwd=tmp_path)
    assert empty.returncode == 2 and "Traceback" not in empty.stderr
    assert "no judgments.jsonl here" in empty.stderr and "or a leaderboard.json" in empty.stderr


def test_a_win_rate_board_shows_its_rates_as_percentages_and_the_win_rate_once(tmp_path, monkeypatch):
    """A board of win rates against a baseline (`leaderboard --method winrate`, AlpacaEval's import): the report's
    table showed 74.7% while the forest plot's axis ran 0.0 to 1.0, and it showed each rating twice, as "rating"
    and as "win rate vs baseline" (70.5% / 70.5%), where the terminal and leaderboard.md show it once. The axis is
    in percent now, and the table leaves the repeated column out; a Bradley-Terry board keeps both and its axis of
    Elo-scale points. The win rates' column was titled "rating" where the terminal and leaderboard.md say "win
    rate": it has their title now."""
    import judgebench
    from judgebench.present import LOG_WIDTH, leaderboard_markdown, leaderboard_table
    from judgebench.report import plots

    rng = np.random.default_rng(3)
    frame = pd.DataFrame([{"question_id": f"q{q}", "model_a": "base", "model_b": model,
                           "winner": rng.choice(["model_a", "model_b", "tie"], p=[1 - strength, strength, 0.0])}
                          for q in range(40) for model, strength in (("good", 0.75), ("fair", 0.5))])
    ticks = {}
    save = plots.save

    def keep(figure, directory, name):
        figure.canvas.draw()
        ticks[name] = [label.get_text() for label in figure.axes[0].get_xticklabels() if label.get_text()]
        return save(figure, directory, name)

    monkeypatch.setattr(plots, "save", keep)
    for method in ("winrate", "bt"):
        board = judgebench.rate(frame, baseline="base", method=method, rounds=50)
        board.write(tmp_path / method)
        judgebench.html_report(tmp_path / f"{method}.html", results=tmp_path / method)
    rates, points = ticks["winrate-forest"], ticks["bt-forest"]
    assert rates and all(re.fullmatch(r"\d+(\.\d+)?%", tick) for tick in rates), rates
    assert points and not any("%" in tick for tick in points), points
    titles = {method: html_table((tmp_path / f"{method}.html").read_text(), "leaderboard-table")[0]
              for method in ("winrate", "bt")}
    assert titles["winrate"][:5] == ["model", "rank", "win rate", "lower", "upper"], titles
    assert "win rate vs baseline" not in titles["winrate"] and "rating" not in titles["winrate"], titles
    assert {"rating", "win rate vs baseline"} <= set(titles["bt"]), titles
    # the terminal's and leaderboard.md's tables title it alike, and leave the repeated column out as well
    boards = {method: judgebench.rate(frame, baseline="base", method=method, rounds=50) for method in ("winrate", "bt")}
    terminal = {method: [column.header for column in leaderboard_table(board, LOG_WIDTH).columns]
                for method, board in boards.items()}
    for method, board in boards.items():
        rating = titles[method][2]
        assert f"| rank | model | {rating} | interval |" in leaderboard_markdown(board)
        assert terminal[method][:3] == ["rank", "model", rating], terminal
    assert "win rate vs baseline" not in leaderboard_markdown(boards["winrate"]) + " ".join(terminal["winrate"])


def test_report_of_a_run_whose_judge_never_gave_a_verdict(judge_server, tmp_path):
    """A judge that never wrote a verdict: the run has no leaderboard (exit 3), and `report` said only "error:
    outcomes: no outcomes to rate" (exit 2) and wrote nothing, when the judge's outputs are what the user needs.
    Now the report says why there is no leaderboard, and has the diagnostics and the judgment browser with the
    judge's outputs; `leaderboard --results` and the notebook's view of the evaluation say the cause too (the
    notebook said "no pair was judged completely"). The remedy names the run's template setting, not the report's
    --template (which picks the judgments to use from a store: the eighth review)."""
    import judgebench as api
    from judgebench.config import load_config

    said = "Both answers have merits; I would not pick either."
    judge_server.rule = constant_rule(said)
    evaluation = api.evaluate(load_config(write_config(tmp_path, judge_server.base_url)))
    evaluation.write(tmp_path / "out")
    games = 2 * 3 * N_QUESTIONS
    why = f"{games} of {games} games had no verdict (the judge's output held none: unparsed)"
    assert evaluation.exit_code == 3 and evaluation.leaderboard is None
    assert evaluation._repr_html_() == f"<p>Evaluation: no leaderboard ({escape(why)}).</p>"
    done = judgebench("report", "--results", "out", "--out", "report.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"warning: no leaderboard: {why}" in " ".join(done.stderr.split())
    assert f"{3 * N_QUESTIONS} of {3 * N_QUESTIONS} pairs in the judgment browser" in done.stdout
    html = (tmp_path / "report.html").read_text()
    assert 'id="leaderboard-table"' not in html and 'id="plot-forest"' not in html
    assert 'id="plot-position"' in html and 'id="judgments-data"' in html and "ratings' intervals" not in html
    assert ["unparsed rate (games)", "1.000 [0.949, 1.000]  n=72"] in html_table(html, "diagnostics-table")
    with opened_page(tmp_path / "report.html") as page:
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.reload(wait_until="load")
        line = page.inner_text("#no-leaderboard")
        cards = page.locator("#browser .pair")
        assert cards.count() == 3 * N_QUESTIONS and said in cards.first.inner_text()
    assert errors == []
    assert line == (f"No leaderboard: {why}, so no pair has an outcome to rate. The judge diagnostics and the "
                    "judgment browser below show what the judge wrote; for the games without a verdict, use a "
                    "stronger judge, a template it can follow ([judging] template), or a larger [judging] "
                    "max_tokens.")
    rated = judgebench("leaderboard", "--results", "out", cwd=tmp_path)
    assert rated.returncode == 2 and rated.stderr.count("\n") == 1 and "Traceback" not in rated.stderr
    assert f"no outcomes to rate: {why}" in rated.stderr


def test_report_without_verdicts_at_the_judges_token_limit_names_the_limit_to_raise(judge_server, tmp_path):
    """Games the judge's token limit ended before a verdict: the report's line in place of the leaderboard says so
    and names the setting to raise, as `run` and `check` do (one remedy, `present.no_verdict_remedy`); it advised
    a stronger judge, a template or "a larger max_tokens" for every game, as if the judge could not follow the
    template, and named no setting. The template is the run's setting, `[judging] template`: the report's
    --template, which picks the judgments to use from a store, was named (the eighth review)."""
    judge_server.rule = lambda request: (Reply("Both answers have merits.") if "Question number 3?" in request.text
                                         else Reply("<think>The first one, so maybe", finish_reason="length"))
    write_config(tmp_path, judge_server.base_url)
    assert judgebench("run", "--config", "run.toml", cwd=tmp_path).returncode == 3
    done = judgebench("report", "--results", "out", "--out", "report.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    line = re.search(r'id="no-leaderboard">(.*?)</p>', (tmp_path / "report.html").read_text(), re.S)
    assert line is not None
    others = 2 * 3  # the games of question 3: two orders of three pairs
    assert " ".join(unescape(line.group(1)).split()).endswith(
        f"show what the judge wrote; {2 * 3 * N_QUESTIONS - others} games got no verdict because the judge hit its "
        "token limit before giving one (a reasoning judge's reasoning counts against it; the limit is a ceiling, "
        "billed as used): raise [judging] max_tokens; a rerun under the same limit does not ask them again (the same "
        "request is cut off again), and under a new limit every game is a new request, judged again; for the other 6 "
        "games, use a stronger judge or a template it can follow ([judging] template)."), line.group(1)


def test_a_report_without_any_verdict_says_so_where_its_length_plot_would_be(judge_server, tmp_path):
    """A judge whose marker the template does not know (`[[A>B]]` under pairwise-3) gives no verdict in any game:
    the report's line in place of the length-bias and self-preference plot said "no pair had a longer answer to
    measure", as if the answers were the cause. It says that no game had a verdict."""
    judge_server.rule = constant_rule("I prefer the first answer. [[A>B]]")
    config = write_config(tmp_path, judge_server.base_url, template="pairwise-3")
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 3
    done = judgebench("report", "--results", "out", "--out", "report.html", "--questions", "questions.jsonl",
                      "--answers", "answers.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    games = 2 * 3 * N_QUESTIONS
    line = re.search(r'<p class="note" id="no-length-plot">(.*?)</p>', (tmp_path / "report.html").read_text())
    assert line is not None and unescape(line.group(1)) == (
        f"No length-bias and self-preference plot: {games} of {games} games had no verdict (the judge's output held "
        "none: unparsed), so no pair has an outcome to measure them on.")


def test_report_of_a_store_rates_against_a_baseline_as_leaderboard_does(judge_server, tmp_path):
    """`report --store` takes `leaderboard --store`'s --baseline (one definition of the flag), --method (the
    same setting, with report's own default), --interval, --confidence and --rounds, and shows the ratings
    `leaderboard --store` gives with them: win rates against the baseline, not a pooled Bradley-Terry fit;
    90% intervals of 60 replicates, not the defaults' 95% of 1,000; a bad value is click's usage error."""
    import typer.main

    from judgebench.cli import app

    config = write_config(tmp_path, judge_server.base_url, pairs="all")
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    for name, flags in (("winrate", ("--baseline", "base", "--method", "winrate")),
                        ("bt", ("--interval", "bootstrap", "--confidence", "0.9", "--rounds", "60"))):
        rated = judgebench("leaderboard", "--store", "store.sqlite", *flags, "--out", name, "-q", cwd=tmp_path)
        assert rated.returncode == 0, rated.stderr
        done = judgebench("report", "--store", "store.sqlite", *flags, "--out", f"{name}.html", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        board = json.loads((tmp_path / name / "leaderboard.json").read_text())
        expected = {entry["model"]: (entry["rating"], entry["lower"], entry["upper"]) for entry in board["models"]}
        html = (tmp_path / f"{name}.html").read_text()
        shown = report_ratings(html)
        assert shown.keys() == expected.keys()
        for model, values in expected.items():
            np.testing.assert_allclose(shown[model], values, rtol=1e-9, atol=1e-9, err_msg=model)
    assert board["meta"]["confidence"] == 0.9 and board["meta"]["rounds"] == 60
    assert "90% percentile interval, bootstrap over questions (60 rounds" in html
    winrate = json.loads((tmp_path / "winrate" / "leaderboard.json").read_text())["meta"]
    assert winrate["method"] == "winrate" and winrate["baseline"] == "base"
    assert report_ratings((tmp_path / "winrate.html").read_text())["base"] == (0.5, 0.5, 0.5)

    bad = judgebench("report", "--store", "store.sqlite", "--method", "best", "--out", "r.html", cwd=tmp_path)
    assert bad.returncode == 2 and "Invalid value for '--method'" in bad.stderr and "Traceback" not in bad.stderr
    commands = {command.name: {param.name: param for param in command.params}
                for command in typer.main.get_command(app).commands.values()}
    assert commands["report"]["baseline"].help == commands["leaderboard"]["baseline"].help
    # --method: the same setting's text, each with its own default (report reads no AlpacaEval annotations)
    described = LeaderboardSettings.model_fields["method"].description
    assert described and all(commands[c]["method"].help.startswith(described) for c in ("report", "leaderboard"))
    assert "AlpacaEval" in commands["leaderboard"]["method"].help and "AlpacaEval" not in commands["report"][
        "method"].help


def test_report_of_a_judge_that_is_always_position_consistent(judge_server, tmp_path):
    """A rate of 1 (position consistency) or 0 (no unparsed game) has an interval ending at the rate itself;
    the position plot drew it as a negative error bar and the report stopped with a traceback."""
    config = write_config(tmp_path, judge_server.base_url)  # quality_rule: both orders always agree
    write_data(tmp_path, n=11)  # 33 pairs and 66 games: Wilson's ends at 1 and 0 miss the rate by rounding there
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    figures = json.loads((tmp_path / "out" / "diagnostics.json").read_text())
    assert figures["position_consistency"]["value"] == 1.0 and figures["unparsed_rate"]["value"] == 0.0
    for name in ("position_consistency", "first_slot_win_rate", "tie_rate", "unparsed_rate", "failed_rate"):
        rate = figures[name]
        assert 0 <= rate["lower"] <= rate["value"] <= rate["upper"] <= 1, name
    done = judgebench("report", "--results", "out", "--out", "report.html", cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert (tmp_path / "report-position.png").stat().st_size > 1000
    # a diagnostics.json written before the fix, whose interval misses its rate by rounding, still plots
    figures["position_consistency"]["upper"] = 0.9999999999999998
    (tmp_path / "out" / "diagnostics.json").write_text(json.dumps(figures))
    done = judgebench("report", "--results", "out", "--out", "old.html", cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_report_into_an_existing_directory_writes_report_html_there(judge_server, tmp_path):
    config = write_config(tmp_path, judge_server.base_url)
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    done = judgebench("report", "--results", "out", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"wrote {Path('out') / 'report.html'}" in done.stdout
    assert "<html" in (tmp_path / "out" / "report.html").read_text()
    assert (tmp_path / "out" / "report-forest.png").stat().st_size > 1000
    assert not list(tmp_path.glob("out-*.png"))  # no plots beside the directory
    # a file that is not a page is not overwritten with one (the run's leaderboard.json was)
    results = (tmp_path / "out" / "leaderboard.json").read_text()
    refused = judgebench("report", "--results", "out", "--out", "out/leaderboard.json", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert ("out/leaderboard.json: a report is an HTML page; name a file ending in .html or .htm (such as "
            "report.html), or a directory to write report.html into") in refused.stderr
    assert (tmp_path / "out" / "leaderboard.json").read_text() == results
    # .htm and .HTML name the page too, as the README says (it said any suffix but .html was refused)
    done = judgebench("report", "--results", "out", "--out", "page.HTM", cwd=tmp_path)
    assert done.returncode == 0 and "<html" in (tmp_path / "page.HTM").read_text(), done.stderr


@pytest.mark.parametrize(("out", "page"), [("r.html", True), ("r.htm", True), ("r.HTML", True), ("r.Htm", True),
                                           ("r.json", False), ("r.html.bak", False), ("r.xhtml", False)])
def test_a_report_is_written_to_a_file_named_html_or_htm_in_any_case_and_to_no_other(tmp_path, out, page):
    path = tmp_path / out
    if page:
        assert report_path(path) == path
    else:
        with pytest.raises(ConfigError, match=r"a report is an HTML page; name a file ending in \.html or \.htm "):
            report_path(path)


@pytest.mark.parametrize("out", ["rep/", "rep"], ids=["trailing-slash", "no-suffix"])
def test_report_into_a_new_directory_writes_report_html_there(judge_server, tmp_path, out):
    """A new folder (a trailing slash, or no suffix) gets report.html and the plots, not a file named `rep`
    and `rep-forest.png`... in the working folder; the files are readable as `open()` would make them, the
    leaderboard's warnings and the token totals (whole numbers with separators) are shown."""
    config = write_config(tmp_path, judge_server.base_url)
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    done = judgebench("report", "--results", "out", "--out", out, cwd=tmp_path, umask=0o022)
    assert done.returncode == 0, done.stderr
    assert f"wrote {Path('rep') / 'report.html'}" in done.stdout
    assert file_modes(tmp_path / "rep") == {"report.html": 0o644, **{f"report-{name}.{suffix}": 0o644
                                                                     for name in PLOTS for suffix in ("png", "svg")}}
    assert not list(tmp_path.glob("rep-*"))
    html = (tmp_path / "rep" / "report.html").read_text()
    for warning in json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]["warnings"]:
        assert f'<p class="warning">Warning: {warning}.</p>' in unescape(html)  # an apostrophe is &#39; there
    assert "weak ridge" in html
    judgments = [json.loads(line) for line in (tmp_path / "out" / "judgments.jsonl").read_text().splitlines()]
    for name, label in (("prompt_tokens", "prompt tokens (sent to the judge)"),
                        ("completion_tokens", "completion tokens (written by the judge)")):
        total = sum(judgment[name] for judgment in judgments)
        assert total >= 1000
        assert f'<td>{escape(label)}</td><td class="num">{total:,}</td>' in html


class LeaderboardTable(HTMLParser):
    """The report's leaderboard table: one {column: data-value} per row."""

    def __init__(self) -> None:
        super().__init__()
        self.inside, self.columns, self.rows = False, [], []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "table":
            self.inside = found.get("id") == "leaderboard-table"
        elif self.inside and tag == "th":
            self.columns.append(None)
        elif self.inside and tag == "tr" and found.get("class") == "model-row":
            self.rows.append([])
        elif self.inside and tag == "td" and self.rows:
            self.rows[-1].append(found.get("data-value"))

    def handle_data(self, data: str) -> None:
        if self.inside and self.columns and self.columns[-1] is None:
            self.columns[-1] = data

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False


def report_ratings(html: str) -> dict[str, tuple[float, float, float]]:
    """Each model's rating and interval in the report's table, whose rating column is titled "rating", or "win rate"
    for ratings that are win rates."""
    table = LeaderboardTable()
    table.feed(html)
    rows = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    return {row["model"]: (float(row.get("rating", row.get("win rate"))), float(row["lower"]), float(row["upper"]))
            for row in rows}


@pytest.mark.parametrize("ratings", [{"anchor": "good"}, {"position_effect": True}, {"regularization": 0.5},
                                     {"method": "elo", "k_factor": 16}, {"style_control": True}],
                         ids=["anchor", "position-effect", "ridge", "elo-k", "style-control"])
def test_report_shows_the_runs_ratings_whatever_the_rating_settings(judge_server, tmp_path, ratings):
    """The report refits the judgments (for the bootstrap's rank distribution) with the settings the run's
    leaderboard.json records: every setting that changes the ratings must reach the refit."""
    judge_server.rule = first_slot_on_ties
    config = write_config(tmp_path, judge_server.base_url, pairs="all")
    settings = "".join(f"{key} = {json.dumps(value)}\n" for key, value in ratings.items())
    config.write_text(config.read_text().replace("[ratings]\n", "[ratings]\n" + settings))
    answers = tmp_path / "answers.jsonl"
    rows = [json.loads(line) for line in answers.read_text().splitlines()]
    for row in rows:  # style counts that vary across answers: tokens, headers, list items, bold
        k = int(row["question_id"][1:]) + len(row["model"])
        row["turns"][0] += "\n# Part\n" * (k % 2) + "- point\n" * (k % 3) + "**key**" * (k % 4 // 2)
        row["n_tokens"] = 40 + 7 * k
    answers.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    board = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
    plain = judgebench("report", "--results", "out", "--out", "plain/index.html", cwd=tmp_path)
    done = judgebench("report", "--results", "out", "--out", "report/index.html", "--questions", "questions.jsonl",
                      "--answers", "answers.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = report_ratings((tmp_path / "report" / "index.html").read_text())
    expected = {entry["model"]: (entry["rating"], entry["lower"], entry["upper"]) for entry in board["models"]}
    assert shown.keys() == expected.keys()
    for model, values in expected.items():
        np.testing.assert_allclose(shown[model], values, rtol=1e-9, atol=1e-6, err_msg=model)
    if ratings.get("style_control"):  # the style counts come with the answers only
        assert plain.returncode == 2 and "--answers" in plain.stderr and "Traceback" not in plain.stderr
    else:
        assert plain.returncode == 0, plain.stderr


def test_report_of_a_random_one_baseline_run_rates_every_pair(judge_server, tmp_path):
    """swap = random-one judges one order per pair, oriented with the baseline second; the refit (report,
    `leaderboard --results`) orients pairs by name and must still find each pair's one judged order."""
    config = write_config(tmp_path, judge_server.base_url, swap="random-one")  # pairs = baseline, base sorts 2nd
    config.write_text(config.read_text().replace("[run]\n", "[run]\nseed = 7\n"))
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    board = json.loads((tmp_path / "out" / "leaderboard.json").read_text())
    assert board["meta"]["n_outcomes"] == 3 * N_QUESTIONS
    refit = judgebench("leaderboard", "--results", "out", "--out", "refit", cwd=tmp_path)
    assert refit.returncode == 0, refit.stderr
    again = json.loads((tmp_path / "refit" / "leaderboard.json").read_text())
    assert again["meta"]["n_outcomes"] == 3 * N_QUESTIONS
    assert {m["model"]: m["rating"] for m in again["models"]} == pytest.approx(
        {m["model"]: m["rating"] for m in board["models"]}, abs=1e-6)


def large_run(n_models: int = 100, n_pairs: int = 50_000, seed: int = 0) -> pd.DataFrame:
    """Judgments of a 100-model run: 50,000 pairs on 1,000 questions, both orders (100,000 judgments), each
    with a judge output of about 600 characters; verdicts from Bradley-Terry strengths with a first-slot bias."""
    rng = np.random.default_rng(seed)
    strength = np.linspace(-2, 2, n_models)
    a = rng.integers(0, n_models, n_pairs)
    b = (a + rng.integers(1, n_models, n_pairs)) % n_models
    question = rng.integers(0, 1000, n_pairs)
    first = np.concatenate([a, b])
    second = np.concatenate([b, a])
    p = 1 / (1 + np.exp(-(strength[first] - strength[second] + 0.3)))
    verdict = (rng.random(first.size) < p).astype(float)
    names = np.array([f"model-{i:03d}" for i in range(n_models)])
    raw = "The first answer is more complete and cites its sources; the second misses a step. " * 7
    return pd.DataFrame({"question_id": np.concatenate([question, question]).astype(str), "first": names[first],
                         "second": names[second], "judge": "big-judge", "template": "pairwise-5", "status": "ok",
                         "label": np.where(verdict == 1, "[[A>B]]", "[[B>A]]"), "p_first": verdict, "weight": 1.0,
                         "raw": raw, "prompt_tokens": 900, "completion_tokens": 150, "cost": 0.001})


def test_a_100_model_100000_judgment_report_stays_under_5_mb(tmp_path):
    """The sample of judgments shown keeps the page small; the size is printed for the README."""
    from judgebench.report.build import write_report
    from judgebench.report.inputs import RunData

    judgments = large_run()
    written = write_report(RunData(judgments, "simulated", meta={"rounds": 20, "interval": "bootstrap"}),
                           tmp_path / "big.html")
    pairs = {(q, frozenset((f, s))) for q, f, s in zip(judgments["question_id"], judgments["first"],
                                                         judgments["second"], strict=True)}
    assert written.pairs_total == len(pairs)
    assert written.pairs_shown == 200
    print(f"100-model, 100,000-judgment report: {written.size / 1e6:.2f} MB")
    assert written.size == (tmp_path / "big.html").stat().st_size < 5_000_000
    assert all(png.stat().st_size > 0 and svg.stat().st_size > 0 for png, svg in written.plots.values())


def test_the_counts_of_pairs_shown_have_thousands_separators(tmp_path):
    """1,200 pairs (three models on 400 questions, both orders): the command's size line said "200 of 49995
    pairs" for a 100-model run, where every other count it prints has a separator; the page's note said it too."""
    from tests.support.stores import store_from_outcomes

    rows = [{"question_id": f"q{q}", "model_a": a, "model_b": b, "score_a": float(q % 3 != 0),
             "p_ab": float(q % 3 != 0), "p_ba": float(q % 3 != 0)}
            for q in range(400) for a, b in (("top", "mid"), ("top", "low"), ("mid", "low"))]
    store_from_outcomes(pd.DataFrame(rows), tmp_path / "judgments.sqlite")
    done = judgebench("report", "--store", "judgments.sqlite", "--out", "report.html", "--rounds", "20",
                      cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "; 200 of 1,200 pairs in the judgment browser)" in done.stdout, done.stdout
    note = " ".join(unescape(re.sub(r"<[^>]+>", "", (tmp_path / "report.html").read_text())).split())
    assert "A seeded sample of 200 of 1,200 judged pairs, each in both orders" in note


def test_rating_flags_the_interval_does_not_use_are_noted_as_leaderboard_notes_them(tmp_path):
    """`report --interval sandwich --rounds 20` drew no bootstrap rounds and said nothing, where `run` and
    `leaderboard` note rating flags their ratings do not use: the same note now; none where the flag is used."""
    from tests.support.stores import store_from_outcomes

    rows = [{"question_id": f"q{q}", "model_a": a, "model_b": b, "p_ab": float(q % 3 != 0), "p_ba": float(q % 4 != 0)}
            for q in range(30) for a, b in (("top", "mid"), ("top", "low"), ("mid", "low"))]
    store_from_outcomes(pd.DataFrame(rows), tmp_path / "judgments.sqlite")
    flags = ("--interval", "sandwich", "--rounds", "20")
    noted = judgebench("report", "--store", "judgments.sqlite", *flags, "--out", "report.html", cwd=tmp_path)
    assert noted.returncode == 0, noted.stderr
    board = judgebench("leaderboard", "--store", "judgments.sqlite", *flags, "-q", cwd=tmp_path)
    said = "note: --rounds: ignored: a sandwich interval draws no bootstrap rounds"
    assert [line for line in noted.stderr.splitlines() if line.startswith("note:")] == [said], noted.stderr
    assert board.stderr.splitlines() == [said], board.stderr
    used = judgebench("report", "--store", "judgments.sqlite", "--rounds", "20", "--out", "used.html", cwd=tmp_path)
    assert used.returncode == 0 and "note:" not in used.stderr, used.stderr


HOSTILE_MODELS = {"a|b <b>bold</b>": 8, "base": 5, "md *em* [link](http://evil.example)": 5, "<!-- x": 2}


def test_hostile_names_and_text_show_as_written_in_the_report_and_leaderboard_md(judge_server, tmp_path):
    """Names and texts that are markup: in the report's judgment browser, a question holding `<!--<script>` put
    the browser's HTML parser in a state where the page's own script became text (no pair was shown, the command
    said all were); in leaderboard.md a `|` in a model's name split its row and the other names rendered as
    HTML, emphasis and a link."""
    from markdown_it import MarkdownIt
    from playwright.sync_api import sync_playwright

    config = write_config(tmp_path, judge_server.base_url)
    write_data(tmp_path, HOSTILE_MODELS)
    questions = [json.loads(line) for line in (tmp_path / "questions.jsonl").read_text().splitlines()]
    questions[0]["turns"] = ["<!--<script> hello"]
    questions[1]["turns"] = ["</script><b>not bold</b>"]
    (tmp_path / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    assert judgebench("run", "--config", str(config), cwd=tmp_path).returncode == 0
    done = judgebench("report", "--results", "out", "--out", "report.html", "--questions", "questions.jsonl",
                      "--answers", "answers.jsonl", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((tmp_path / "report.html").as_uri(), wait_until="load")
        assert page.locator("#browser .pair").count() == 3 * N_QUESTIONS
        shown = page.eval_on_selector_all("#browser .pair", "ps => ps.map(p => p.innerText)")
        names = page.eval_on_selector_all("#leaderboard-table tbody tr td:nth-child(1)",
                                          "cells => cells.map(c => c.innerText.trim())")
        injected = page.eval_on_selector_all("#browser b, #leaderboard-table b", "bs => bs.map(b => b.innerText)")
        browser.close()
    assert errors == []
    assert any("<!--<script> hello" in text for text in shown) and any("</script><b>" in text for text in shown)
    assert sorted(names) == sorted(HOSTILE_MODELS) and "bold" not in injected and "not bold" not in injected

    rendered = MarkdownIt("commonmark").enable("table").render((tmp_path / "out" / "leaderboard.md").read_text())
    rows = re.findall(r"<tr>(.*?)</tr>", rendered, re.DOTALL)
    cells = [re.findall(r"<t[hd]>(.*?)</t[hd]>", row, re.DOTALL) for row in rows]
    assert len(cells) == 1 + len(HOSTILE_MODELS) and {len(row) for row in cells} == {len(cells[0])}
    model = cells[0].index("model")
    assert sorted(unescape(row[model]) for row in cells[1:]) == sorted(HOSTILE_MODELS)
    assert "<b>" not in rendered and "<em>" not in rendered and "<a " not in rendered


def test_plots_shorten_long_names_and_draw_any_name_without_warnings(tmp_path):
    """A 210-character model name squeezed every plot's axis (matplotlib: "Tight layout not applied") and cut the
    other names; a name in Chinese drew 18 warnings about the font per report. Axis labels keep at most 40
    characters (start and end of a long name), and nothing is warned."""
    import warnings

    from judgebench.report import plots

    long_name = "provider/" + "a-very-long-fine-tune-name-" * 7 + "final"
    names = [long_name, "模型甲", "base", "gpt-4o (2024)"]
    models = [{"model": name, "rating": 1000.0 + 10 * i, "lower": 990.0 + 10 * i, "upper": 1010.0 + 10 * i}
              for i, name in enumerate(names)]
    rates = np.full((4, 4), 0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures = [plots.forest(models, "Bradley-Terry", 0.95), plots.win_rate_heatmap(names, rates, np.ones((4, 4))),
                   plots.rank_distribution(names, np.eye(4))]
        labels = [[tick.get_text() for tick in figure.axes[0].get_yticklabels()] for figure in figures]
        for figure in figures:
            plots.save(figure, tmp_path, "plot")
    assert [str(warning.message) for warning in caught] == []
    for shown in labels:
        (short,) = [label for label in shown if label not in names]
        assert len(short) == 39 and short.startswith("provider/a-very-lon\u2026") and short.endswith("name-final")
        assert sorted(label for label in shown if label in names) == sorted(names[1:])
    # checkpoints that differ mid-name keep the part where they differ
    sweep = [f"my-org/llama-3-8b-instruct-sft-lr{rate}-ep3-dpo-beta0.1-final" for rate in ("1e-5", "2e-5")]
    labels = [tick.get_text() for tick in plots.forest(
        [{"model": name, "rating": 1000.0, "lower": 990.0, "upper": 1010.0} for name in sweep], "Bradley-Terry",
        0.95).axes[0].get_yticklabels()]
    assert len(set(labels)) == 2 and {"lr1e-5", "lr2e-5"} == {label.split("-sft-")[1][:6] for label in labels}
    assert max(map(len, labels)) <= 40


COLLIDING = [f"vendor-{vendor}/checkpoint-00{k}-very-long-descriptive-model-name-sft-dpo-merged-final"
             for vendor in "AB" for k in (1, 2)]


@pytest.mark.parametrize("names", [
    COLLIDING,
    [f"vendor-{k % 3}/checkpoint-{7 * k:03d}-very-long-descriptive-model-name-sft-dpo-merged-final"
     for k in range(60)],
    ["x" * 30 + a + "y" * 50 + b for a in "ab" for b in "cd"],  # differences too far apart for one window
    ["x" * 30 + a + "y" * 50 + b + "z" * 30 for a in "ab" for b in "cd"],
    ["same-start-" + "p" * 40, "same-start-" + "p" * 40 + "-v2", "\u2026start-" + "p" * 32 + "-v2"],
], ids=["vendors-and-checkpoints", "sixty", "apart", "apart-in-the-middle", "a-name-like-a-label"])
def test_plots_label_every_model_differently(names):
    """Shortened labels are never the same for two models: vendor-A/checkpoint-001-... and vendor-B/checkpoint-001-...
    were both drawn as ...point-001-very-long-descriptive-model-..., in every plot."""
    import matplotlib.pyplot as plt

    from judgebench.report import plots

    models = [{"model": name, "rating": 1000.0 + i, "lower": 990.0 + i, "upper": 1010.0 + i}
              for i, name in enumerate(names)]
    n = len(names)
    figures = [plots.forest(models, "Bradley-Terry", 0.95), plots.win_rate_heatmap(names, np.full((n, n), 0.5),
                                                                                   np.ones((n, n))),
               plots.rank_distribution(names, np.eye(n))]
    for figure in figures:
        for labels in ([tick.get_text() for tick in figure.axes[0].get_yticklabels()],
                       *([[tick.get_text() for tick in figure.axes[0].get_xticklabels()]] if figure is figures[1]
                         else [])):
            assert len(set(labels)) == n, labels
            assert max(map(len, labels)) <= 45
        plt.close(figure)
    assert len({label for label, _ in plots.shortened(names)}) == len(plots.shortened(names))


def test_report_keys_shortened_labels_to_the_names_in_its_table(tmp_path):
    """The report says which shortened label is which model, and its leaderboard table has the names whole."""
    from judgebench.report import plots
    from judgebench.report.build import write_report
    from judgebench.report.inputs import RunData

    judgments = large_run(n_models=4, n_pairs=200).replace(
        {column: {f"model-{i:03d}": name for i, name in enumerate(COLLIDING)} for column in ("first", "second")})
    write_report(RunData(judgments, "simulated", meta={"rounds": 20, "interval": "bootstrap"}),
                 tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    names = [row[html_table(html, "leaderboard-table")[0].index("model")]
             for row in html_table(html, "leaderboard-table")[1:]]
    assert sorted(names) == sorted(COLLIDING)
    key = html_table(html, "plot-names-table")[1:]
    assert sorted(name for _, name in key) == sorted(COLLIDING)
    assert len({unescape(label) for label, _ in key}) == 4
    assert [(unescape(label), name) for label, name in key] == plots.shortened(names)


def long_name_run(folder: Path, names: list[str] = COLLIDING, n_questions: int = 12, seed: int = 0):
    """Judgments of every pair of `names` in both orders on `n_questions` questions (verdicts at random, the
    later names stronger), and the questions and answers they were given (tests.support.cli_runs.write_data)."""
    from judgebench.datasets import load_dataset
    from judgebench.report.inputs import RunData

    questions, answers = write_data(folder, dict.fromkeys(names, 5), n_questions)
    rng = np.random.default_rng(seed)
    rows = [json.loads(line) for line in answers.read_text().splitlines()]
    for row in rows:  # answers of different lengths, for the length bias
        row["turns"][0] += " More." * int(rng.integers(0, 40))
    answers.write_text("".join(json.dumps(row) + "\n" for row in rows))
    rows = [{"question_id": f"q{q:02d}", "first": a, "second": b, "judge": "j", "template": "a-template-file",
             "status": "ok", "label": label, "p_first": 1.0 if label == "[[A>B]]" else 0.0, "weight": 1.0,
             "raw": label}
            for q in range(n_questions) for i, a in enumerate(names) for j, b in enumerate(names) if a != b
            for label in ["[[A>B]]" if rng.random() < 1 / (1 + np.exp(0.3 * (j - i))) else "[[B>A]]"]]
    return (RunData(pd.DataFrame(rows), str(folder), meta={"rounds": 20, "interval": "bootstrap"}),
            load_dataset(questions, answers))


def test_no_plot_text_runs_off_its_figure(tmp_path, monkeypatch):
    """Every text of every plot of a report is inside its figure: the forest plot's axis label, naming a long
    baseline, was cut at both ends, and the length plot's title "Length bias and self-preference (95% intervals,
    clustered by questic" in every report; a narrow rank plot or heatmap cut its axis and colorbar labels."""
    from judgebench.report import plots
    from judgebench.report.build import write_report

    outside: dict[str, list[float]] = {}
    save = plots.save

    def checked_save(figure, directory, name):
        drawn = figure.get_tightbbox(figure.canvas.get_renderer())
        width, height = figure.get_size_inches()
        outside[name.rsplit("-", 1)[1]] = [round(v, 2) for v in (-drawn.x0, -drawn.y0, drawn.x1 - width,
                                                                  drawn.y1 - height)]
        return save(figure, directory, name)

    monkeypatch.setattr(plots, "save", checked_save)
    for names in (COLLIDING[:3], COLLIDING):
        data, dataset = long_name_run(tmp_path, names)
        write_report(data, tmp_path / "report.html", dataset=dataset, ratings={"baseline": names[0]})
        assert set(outside) == set(PLOTS)
        assert {name: [v for v in sides if v > 0.01] for name, sides in outside.items()} == dict.fromkeys(PLOTS, [])
    # the texts are all there, broken into lines
    figure = plots.forest([{"model": name, "rating": 1000.0, "lower": 990.0, "upper": 1010.0} for name in COLLIDING],
                          "Bradley-Terry", 0.95, f"Elo scale, {COLLIDING[0]} at 1000")
    assert " ".join(figure.axes[0].get_xlabel().split("\n")).replace("- ", "-") == (
        f"Bradley-Terry rating (Elo scale, {COLLIDING[0]} at 1000; 95% interval)")


def test_report_without_answer_texts_leaves_the_length_plot_out_and_says_why(tmp_path):
    """A store's report without --questions and --answers drew a length plot saying only "no data"; its
    diagnostics table held "- (answer lengths unknown: give --questions and --answers)" unwrapped in the value
    column, squeezing the names of the figures. Now there is no such plot, one line says why, and the table's
    text wraps (checked in chromium at a desktop's width)."""

    from judgebench.report.build import write_report

    data, _ = long_name_run(tmp_path, ["base", "mid", "good"])
    written = write_report(data, tmp_path / "report.html")
    assert set(written.plots) == set(PLOTS) - {"length"} and not list(tmp_path.glob("*-length.*"))
    html = (tmp_path / "report.html").read_text()
    assert 'id="plot-length"' not in html
    rows = html_table(html, "diagnostics-table")
    assert ["length bias", "-"] in rows and ["note: answer lengths unknown: give --questions and --answers", ""] in rows
    with opened_page(tmp_path / "report.html") as page:
        note = page.inner_text("#no-length-plot")
        widths = page.eval_on_selector_all("#diagnostics-table tr", """rows => rows.map(row =>
            [row.cells[0].getBoundingClientRect().width, row.cells[1].getBoundingClientRect().width])""")
    assert note == ("No length-bias and self-preference plot: answer lengths unknown (give --questions and --answers), "
                    "and no model of the judge's family is rated.")
    label, value = widths[0]
    assert value < label and label > 250, widths


def test_report_of_many_models_gives_the_pairwise_numbers_and_a_legible_heatmap(tmp_path, monkeypatch):
    """Beyond 20 models the heatmap's title said "counts in the HTML table", and no table held them; its labels
    were 7-point text on an 18-inch figure shrunk to the page, 6 pixels tall. Now the pairwise table gives each
    pair's win rate and count, the title says where they are, and the heatmap is shown at its drawn size in a
    1200-pixel page (chromium), with labels of at least 11 pixels."""

    from judgebench import diagnostics
    from judgebench.report import plots
    from judgebench.report.build import write_report
    from judgebench.report.inputs import refit

    names = [f"vendor-{k % 3}/checkpoint-{7 * k:03d}-very-long-descriptive-model-name-sft-dpo-merged-final"
             for k in range(30)]
    data, dataset = long_name_run(tmp_path, names, n_questions=1)
    heatmap = {}
    save = plots.save

    def recording_save(figure, directory, name):
        if name.endswith("-heatmap"):
            ax = figure.axes[0]
            heatmap.update(title=ax.get_title().replace("\n", " "), dpi=110,
                           font={tick.get_fontsize() for tick in [*ax.get_xticklabels(), *ax.get_yticklabels()]})
        return save(figure, directory, name)

    monkeypatch.setattr(plots, "save", recording_save)
    write_report(data, tmp_path / "report.html", dataset=dataset)
    html = (tmp_path / "report.html").read_text()
    assert heatmap["title"] == "Pairwise win rates (numbers and counts: the report's pairwise table)"
    board, outcomes = refit(data, dataset)
    order = [entry["model"] for entry in board.models]
    rate, count = diagnostics.win_matrix(outcomes, order)
    table = html_table(html, "pairwise-table")
    assert table[0] == ["model", *map(str, range(1, 31))]
    assert [row[0] for row in table[1:]] == [f"{i}. {name}" for i, name in enumerate(order, 1)]
    assert [row[1:] for row in table[1:]] == [[f"{rate[i, j]:.2f} / {count[i, j]:g}" if count[i, j] else ""
                                               for j in range(30)] for i in range(30)]
    with opened_page(tmp_path / "report.html", width=1200) as page:
        shown, drawn = page.eval_on_selector("#plot-heatmap", "image => [image.clientWidth, image.naturalWidth]")
    assert shown == drawn
    assert min(heatmap["font"]) * heatmap["dpi"] / 72 * shown / drawn >= 11


def test_the_usage_table_says_unknown_where_a_judgment_has_no_reported_usage():
    """A server that reported no usage for one game left that game's cost null; the table added up the others and
    showed their sum as the judgments' cost (and a blank where no cost was known, which reads as free)."""
    from judgebench.report.build import _usage

    judgments = pd.DataFrame({"status": ["ok", "ok", "failed"], "prompt_tokens": [100.0, None, None],
                              "completion_tokens": [5.0, None, None], "cost": [0.25, None, None]})
    rows = {row[0]: row[1] for row in _usage(judgments, {})["rows"]}
    assert rows["cost (USD)"] == "unknown" and rows["prompt tokens (sent to the judge)"] == ""
    known = _usage(judgments.iloc[[0, 2]], {})["rows"]  # the failed game had no reply, so nothing to pay for
    assert {row[0]: row[1] for row in known}["cost (USD)"] == "$0.2500"


def test_a_heatmap_of_hundreds_of_models_stays_a_size_a_page_can_hold():
    """Cells of a fixed size grew without bound: 500 models drew a 79-inch figure, a 4 MB PNG inlined in the
    page. Past 160 models the cells shrink instead, and each label stays no taller than its cell."""
    from judgebench.report import plots

    n = 300
    names = [f"org-{k}/model-{k}-instruct" for k in range(n)]
    figure = plots.win_rate_heatmap(names, np.full((n, n), 0.5), np.ones((n, n)))
    assert max(figure.get_size_inches()) < 30
    label = figure.axes[0].get_yticklabels()[0]
    assert label.get_fontsize() <= 72 * 24.0 / n


def test_the_rate_plots_use_no_numpy_conversion_that_will_become_an_error():
    """matplotlib read the first of an array of error bars with a conversion NumPy deprecated in 1.25 ("will error
    in future"): every report warned, and would one day fail to draw its diagnostics."""
    import warnings

    from judgebench.report import plots

    rate = {"value": 0.5, "lower": 0.4, "upper": 0.6}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for rates in ([("a", rate)], [("a", rate), ("b", rate)]):
            plots.rates_with_intervals("rates", rates, 0.5, "no bias")


def test_report_of_a_leaderboard_rated_from_a_results_folder_names_its_source_and_run(judge_server, tmp_path):
    """`leaderboard --results R --out D` writes a leaderboard without judgments; its report said "rated ... from
    imported judgments (source unknown)": the meta had no source. It records the results folder, and the report
    names it and the run that judged them."""
    config = write_config(tmp_path, judge_server.base_url)
    run = judgebench("run", "--config", str(config), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    run_id = json.loads((tmp_path / "out" / "leaderboard.json").read_text())["meta"]["runs"][0]["id"]
    rated = judgebench("leaderboard", "--results", "out", "--interval", "sandwich", "--out", "again", "-q",
                       cwd=tmp_path)
    assert rated.returncode == 0, rated.stderr
    meta = json.loads((tmp_path / "again" / "leaderboard.json").read_text())["meta"]
    assert (meta["source"], meta["source_path"]) == ("results", "out")
    done = judgebench("report", "--results", "again", "--out", "again/report.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", (tmp_path / "again" / "report.html").read_text())).split())
    assert (f"A leaderboard rated by judgebench leaderboard from the judgments (the results folder out of judgebench "
            f"run {run_id}), judge test-judge") in text
    assert "source unknown" not in text


# The reference answer of each card of the judgment browser, by its question id (None: the card shows none).
CARD_REFERENCE = """cards => cards.map(card => [
    card.firstElementChild.textContent.split(":")[0].replace("question ", ""),
    card.querySelector("pre.reference") && card.querySelector("pre.reference").textContent])"""


def test_a_run_judged_with_a_references_file_is_checked_and_shown_with_its_reference_answers(judge_server, tmp_path,
                                                                                                shared_data):
    """MT-Bench's questions judged with FastChat's reference answers (`run --references`): `report`, `diagnose` and
    `leaderboard --results` given the run's very --questions and --answers warned that 60 of its 160 judged answers
    differed from the texts given (each question the references file gave a reference to), in leaderboard.md and
    the report too: the texts were rebuilt without the reference answers judged. The run records its references
    file (meta.references_file), which they read by default; `--references` gives it where it is now (a file moved
    is an error naming it), and a store's texts, which record no file, are checked with it (without it, the warning
    asks for it). The judgment browser shows the reference answer the judge saw (checked in chromium)."""
    judge_server.rule = quality_rule()
    questions = shared_data / "mt_bench" / "question.jsonl"
    ids = [json.loads(line)["question_id"] for line in questions.read_text().splitlines()]
    (tmp_path / "model_answer").mkdir()
    for model in ("alpha", "beta"):  # FastChat's model_answer layout; alpha the better, but not on every question
        (tmp_path / "model_answer" / f"{model}.jsonl").write_text("".join(
            json.dumps({"question_id": qid, "model_id": model, "choices": [{"index": 0, "turns": [
                f"{model} answers {qid}. QUALITY={7 if model == 'alpha' else 8 if k % 5 == 0 else 4}",
                f"{model} again."]}]}) + "\n" for k, qid in enumerate(ids)))
    shutil.copy(shared_data / "mt_bench" / "reference_answer_gpt-4.jsonl", tmp_path / "gpt-4.jsonl")
    texts = ("--questions", str(questions), "--answers", "model_answer")
    run = judgebench("run", *texts, "--baseline", "alpha", "--template", "pairwise-5-reference", "--references",
                     "gpt-4.jsonl", "--judge-model", "test-judge", "--base-url", judge_server.base_url, "--store",
                     "s.sqlite", "--out", "out", "--rounds", "50", "--no-progress", cwd=tmp_path)
    assert run.returncode == 0, run.stderr

    for command in (("report", "--results", "out", "--out", "report.html"), ("diagnose", "--results", "out"),
                    ("leaderboard", "--results", "out", "--out", "again", "-q"),
                    ("report", "--store", "s.sqlite", "--references", "gpt-4.jsonl", "--out", "store.html"),
                    ("leaderboard", "--store", "s.sqlite", "--references", "gpt-4.jsonl", "-q")):
        done = judgebench(*command, *texts, cwd=tmp_path)
        assert done.returncode == 0 and "judged answers" not in done.stderr, (command, done.stderr)
    assert "judged answers" not in (tmp_path / "again" / "leaderboard.md").read_text()
    assert leaderboard_meta(tmp_path / "out")["references_file"] == str(tmp_path / "gpt-4.jsonl")
    assert leaderboard_meta(tmp_path / "again")["references_file"] == str(tmp_path / "gpt-4.jsonl")  # kept
    unread_board = judgebench("leaderboard", "--store", "s.sqlite", *texts, "-q", cwd=tmp_path)
    assert unread_board.returncode == 0, unread_board.stderr
    assert "(--references)" in " ".join(unread_board.stderr.split()), unread_board.stderr
    unread = judgebench("report", "--store", "s.sqlite", *texts, "--out", "unread.html", cwd=tmp_path)
    assert ("60 of the 160 judged answers differ from the texts given (for example alpha's answer to question 101): "
            "lengths, style counts and texts shown for them are not those judged; give the files that were judged; the "
            "run's template showed the judge reference answers: give the references file it judged with "
            "(--references)") in " ".join(unread.stderr.split()), unread.stderr

    alone = judgebench("report", "--results", "out", "--references", "gpt-4.jsonl", "--out", "alone.html", cwd=tmp_path)
    assert alone.returncode == 2 and ("error: --references goes with --questions and --answers: the reference answers "
                                      "are read by their questions' ids") in " ".join(alone.stderr.split())

    (tmp_path / "gpt-4.jsonl").rename(tmp_path / "moved.jsonl")
    gone = judgebench("report", "--results", "out", *texts, "--out", "gone.html", cwd=tmp_path)
    assert gone.returncode == 2 and "Traceback" not in gone.stderr
    assert (f"error: {tmp_path / 'gpt-4.jsonl'}: the run judged with the reference answers of this file "
            "(leaderboard.json's meta.references_file), which is not there") in " ".join(gone.stderr.split())
    assert "give the file where it is now with --references FILE" in " ".join(gone.stderr.split())
    moved = judgebench("diagnose", "--results", "out", *texts, "--references", "moved.jsonl", cwd=tmp_path)
    assert moved.returncode == 0 and "judged answers" not in moved.stderr, moved.stderr
    import judgebench as api

    with pytest.raises(InputError, match="give the file where it is now with references=FILE"):  # Python's name
        api.rate(tmp_path / "out", questions=questions, answers=tmp_path / "model_answer")
    board = api.rate(tmp_path / "out", questions=questions, answers=tmp_path / "model_answer",
                     references=tmp_path / "moved.jsonl")
    assert not [text for text in board.meta["warnings"] if "judged answers" in text], board.meta["warnings"]

    references = {str(json.loads(line)["question_id"]): "\n\n".join(json.loads(line)["choices"][0]["turns"])
                  for line in (tmp_path / "moved.jsonl").read_text().splitlines()}
    with opened_page(tmp_path / "report.html") as page:
        cards = dict(page.eval_on_selector_all("#browser .pair", CARD_REFERENCE))
    assert len(cards) == 80
    for question_id in ("111", "130"):  # math and coding: from the references file, cut as answers are
        assert cards[question_id].split(" [... ")[0] == references[question_id][:TEXT_LIMIT], question_id
    assert cards["81"] is None  # a writing question, without a reference answer


def mt_bench_texts(shared_data: Path, folder: Path, ids: list[str]) -> tuple[str, ...]:
    """MT-Bench's questions of `ids` (questions.jsonl), two models' answers to them in FastChat's layout
    (model_answer/), and FastChat's reference answers to them (gpt-4.jsonl), in `folder`; returns the --questions
    and --answers."""
    for name, source in (("questions.jsonl", "question.jsonl"), ("gpt-4.jsonl", "reference_answer_gpt-4.jsonl")):
        rows = [line for line in (shared_data / "mt_bench" / source).read_text().splitlines()
                if str(json.loads(line)["question_id"]) in ids]
        (folder / name).write_text("".join(f"{row}\n" for row in rows))
    (folder / "model_answer").mkdir()
    for model in ("alpha", "beta"):
        (folder / "model_answer" / f"{model}.jsonl").write_text("".join(json.dumps(
            {"question_id": int(qid), "model_id": model, "choices": [{"index": 0, "turns": [
                f"{model} answers {qid}. QUALITY={7 if model == 'alpha' else 4}", f"{model} again."]}]}) + "\n"
            for qid in ids))
    return "--questions", "questions.jsonl", "--answers", "model_answer"


def test_an_unused_references_file_moved_does_not_stop_a_rating_again(judge_server, tmp_path, shared_data):
    """A run given --references with a template that shows none (pairwise-5: the run notes they are not used)
    recorded the file as judged with (meta.references_file), and once it was moved, `leaderboard --results` with
    the run's questions and answers stopped: "the run judged with the reference answers of this file ..., which is
    not there". The run records it only where its template shows references; and a run recorded so before (its
    meta names the file) is rated again without it, its template showing none."""
    judge_server.rule = quality_rule()
    texts = mt_bench_texts(shared_data, tmp_path, ["81", "82", "111", "112"])
    run = judgebench("run", *texts, "--baseline", "alpha", "--template", "pairwise-5", "--references", "gpt-4.jsonl",
                     "--judge-model", "test-judge", "--base-url", judge_server.base_url, "--out", "out",
                     "--no-progress", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "references_file" not in leaderboard_meta(tmp_path / "out")
    (tmp_path / "gpt-4.jsonl").unlink()
    leaderboard = tmp_path / "out" / "leaderboard.json"
    board = json.loads(leaderboard.read_text())
    board["meta"]["references_file"] = str(tmp_path / "gpt-4.jsonl")  # as runs recorded it before
    leaderboard.write_text(json.dumps(board))
    again = judgebench("leaderboard", "--results", "out", *texts, "-q", cwd=tmp_path)
    assert again.returncode == 0 and "judged answers" not in again.stderr, again.stderr


def test_a_reference_run_judged_before_the_formats_rule_is_not_warned_of_other_answers(judge_server, tmp_path,
                                                                                         shared_data):
    """Runs of MT-Bench with pairwise-5-reference made before its format's rule (writing questions judged with
    pairwise-5, its plain counterpart) judged every question with the reference prompt, and the template's hash is
    unchanged: `leaderboard --results` and `--store` rebuilt the writing games with pairwise-5's prompt and warned
    that "4 of the 8 judged answers differ". Such a run (made here with a copy of the template without its
    `plain`, which keeps its name and hash) is checked without a warning."""
    judge_server.rule = quality_rule()
    texts = mt_bench_texts(shared_data, tmp_path, ["81", "82", "111", "112"])
    template = (Path(__file__).resolve().parents[1] / "prompts" / "pairwise-5-reference.toml").read_text()
    assert 'plain = "pairwise-5"\n' in template
    (tmp_path / "before.toml").write_text(template.replace('plain = "pairwise-5"\n', ""))
    run = judgebench("run", *texts, "--baseline", "alpha", "--template", "before.toml", "--references", "gpt-4.jsonl",
                     "--judge-model", "test-judge", "--base-url", judge_server.base_url, "--store", "s.sqlite",
                     "--out", "out", "--no-progress", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    for source in (("--results", "out"), ("--store", "s.sqlite")):
        done = judgebench("leaderboard", *source, *texts, "--references", "gpt-4.jsonl", "-q", cwd=tmp_path)
        assert done.returncode == 0 and "judged answers" not in done.stderr, (source, done.stderr)
    beta = tmp_path / "model_answer" / "beta.jsonl"
    beta.write_text(beta.read_text().replace("beta answers 81.", "beta edited 81."))  # the check still finds it
    edited = judgebench("leaderboard", "--results", "out", *texts, "--references", "gpt-4.jsonl", "-q", cwd=tmp_path)
    assert ("2 of the 8 judged answers differ from the texts given (for example alpha's answer to question 81)"
            in " ".join(edited.stderr.split())), edited.stderr  # its games are beta's, whose answer differs


def leaderboard_meta(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "leaderboard.json").read_text())["meta"]

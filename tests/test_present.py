"""Terminal tables at 80 and 200 columns: model names are never cut, secondary columns go first.

Through the real console script (a `judgebench run` against the scripted judge server on 127.0.0.1, then
`judgebench leaderboard` on its store) with COLUMNS set as a terminal would, and through rich directly.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from judgebench import leaderboard, present
from tests.support.cli_runs import console_script, rendered_text, write_config, write_data

# 40-character model names; only the tail tells them apart, so a cut name is an unreadable name.
LONG_NAMES = {f"{'organisation/a-very-long-model-name-v':<37}{tag}".replace(" ", "-"): quality
              for tag, quality in (("001", 8), ("002", 5), ("003", 2))}
LONG_BASELINE = "organisation/the-baseline-model-20240101"
SECONDARY_HEADERS = ("win rate", "pairs", "ties", "split", "position consistency")  # SECONDARY_COLUMNS' titles
# The secondary columns each board shows at full width, in order: the win rate against the baseline has its
# standard error (AlpacaEval's); without a baseline the win rate is the pooled score.
SHOWN = {"": ["win rate (pooled)", "pairs", "ties", "split", "position consistency"],
         "baseline": ["win rate vs baseline", "win rate SE", "pairs", "ties", "split", "position consistency"],
         "winrate": ["win rate SE", "pairs", "ties", "split", "position consistency"]}


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def assert_names_whole(text: str, names: list[str]) -> None:
    for name in names:
        assert len(name) == 40
        assert any(name in line for line in text.splitlines()), f"{name} was cut:\n{text}"


@pytest.mark.integration
def test_run_and_leaderboard_tables_at_80_and_200_columns(judge_server, tmp_path):
    config = write_config(tmp_path, judge_server.base_url, baseline=LONG_BASELINE)
    write_data(tmp_path, {**LONG_NAMES, LONG_BASELINE: 5}, n=6)  # the same files, now with long names
    names = [*LONG_NAMES, LONG_BASELINE]

    narrow = console_script("run", "--config", str(config), cwd=tmp_path, COLUMNS="80")
    assert narrow.returncode == 0, narrow.stderr
    assert_names_whole(narrow.stdout, names)
    table = narrow.stdout[narrow.stdout.index("Leaderboard"):narrow.stdout.index("Judge diagnostics")]
    assert max(len(line) for line in lines_of(table)) <= 80
    assert "position consistency" not in table  # the first secondary column to go
    diagnostics = narrow.stdout[narrow.stdout.index("Judge diagnostics"):]
    assert "first-slot win rate" in diagnostics and max(len(line) for line in lines_of(diagnostics)) <= 80
    # with their intervals, as `judgebench diagnose` shows them (the run showed bare percentages)
    assert "95% intervals, clustered by question" in diagnostics
    first_slot = next(line for line in lines_of(diagnostics) if "first-slot win rate" in line)
    assert re.search(r"0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]  n=36", first_slot), first_slot

    store = str(tmp_path / "store.sqlite")
    wide = console_script("leaderboard", "--store", store, "--rounds", "50", cwd=tmp_path, COLUMNS="200")
    assert wide.returncode == 0, wide.stderr
    assert_names_whole(wide.stdout, names)
    assert all(header in wide.stdout for header in SECONDARY_HEADERS)
    assert max(len(line) for line in lines_of(wide.stdout)) <= 200
    # a log (a pipe, no COLUMNS): every column, on lines as long as they need (rich's 80 columns dropped four)
    logged = console_script("leaderboard", "--store", store, "--rounds", "50", cwd=tmp_path, COLUMNS="")
    assert logged.returncode == 0, logged.stderr
    assert_names_whole(logged.stdout, names)
    assert all(header in logged.stdout for header in SECONDARY_HEADERS), logged.stdout
    assert "…" not in logged.stdout and max(len(line) for line in lines_of(logged.stdout)) > 80



def test_the_run_header_says_how_the_judge_is_asked():
    """The run's first line was the same for reasoning effort low and high, and for a reasoning judge or not: it
    shows a reasoning judge and its extra request fields (values other than text as JSON)."""
    from judgebench.config import RunConfig

    def header(judge: dict[str, object]) -> str:
        return present.run_header(RunConfig(questions="q.jsonl", answers=["a.jsonl"], judge=judge))

    assert header({"model": "m"}) == ("judge m via openai at api.openai.com, template pairwise-5, pairs baseline, "
                                      "swap both")
    assert header({"preset": "o4-mini", "extra_body": {"reasoning_effort": "high"}}).startswith(
        "judge o4-mini (reasoning, reasoning_effort=high) via openai at api.openai.com, template pairwise-5")
    assert header({"model": "qwen3", "base_url": "http://127.0.0.1:8000/v1",
                   "extra_body": {"chat_template_kwargs": {"enable_thinking": False}, "top_p": 0.9}}).startswith(
        'judge qwen3 (chat_template_kwargs={"enable_thinking": false}, top_p=0.9) via openai at http://127.0.0.1')


def test_the_presets_table_in_a_log_keeps_every_cell_whole(tmp_path):
    """`judgebench judges | cat` drew the table 80 columns wide, folding a model name ("Qwen/Qwen2.5-7B-Instruc" /
    "t") and the descriptions, while the leaderboard is printed whole in a log; on an 80-column terminal it still
    fits 80 columns."""
    logged = console_script("judges", cwd=tmp_path, COLUMNS="")
    assert logged.returncode == 0, logged.stderr
    row = next(line for line in lines_of(logged.stdout) if "qwen2.5-7b-vllm" in line)
    assert "Qwen/Qwen2.5-7B-Instruct" in row and "(pip install 'judgebench[vllm]')" in row, logged.stdout
    narrow = console_script("judges", cwd=tmp_path, COLUMNS="80")
    assert max(len(line) for line in lines_of(narrow.stdout)) <= 80


def _board(n_questions: int = 12, **options: object) -> leaderboard.Leaderboard:
    rng = np.random.default_rng(1)
    names = [*LONG_NAMES, LONG_BASELINE]
    rows = [{"question_id": f"q{q}", "model_a": a, "model_b": b, "p_ab": float(rng.random() < 0.6),
             "p_ba": float(rng.random() < 0.4), "weight": 1.0}
            for q in range(n_questions) for i, a in enumerate(names) for b in names[i + 1:]]
    frame = pd.DataFrame(rows).assign(score_a=lambda f: (f["p_ab"] + f["p_ba"]) / 2)
    return leaderboard.build(frame, rounds=20, **options)


@pytest.mark.parametrize("options", [{}, {"baseline": LONG_BASELINE}, {"method": "winrate",
                                                                        "baseline": LONG_BASELINE}])
def test_secondary_columns_are_dropped_in_the_stated_order(options):
    board = _board(**options)
    shown_by_width = {}
    for width in (60, 70, *range(80, 221, 5)):
        table = present.leaderboard_table(board, width)
        console = Console(width=width, record=True)
        console.print(table)
        text = console.export_text()
        assert_names_whole(text, list(LONG_NAMES))  # even where the essential columns cannot fit
        if width < 80:
            continue
        assert max(len(line) for line in lines_of(text)) <= width
        shown_by_width[width] = [str(column.header) for column in table.columns[4:]]  # after rank ... interval
    expected = SHOWN[options.get("method") or ("baseline" if options else "")]
    assert shown_by_width[220] == expected
    for shown in shown_by_width.values():
        assert shown == expected[: len(shown)]  # a column goes only after every column listed after it
    assert sorted(shown_by_width.values(), key=len) == [shown_by_width[w] for w in sorted(shown_by_width)]


def test_adaptive_summary_counts_rounds_in_words():
    plan = {"strategy": "adaptive", "rounds": 1, "calls": 200, "calls_all_pairs": 240, "stopped_by": "budget_calls",
            "precision": {"widest_interval": 7.2, "adjacent_separated": 0, "adjacent_pairs": 3}}
    # 200 of 240 calls is 83%; 7.2 Elo shows as 7
    assert present.adaptive_summary(plan) == (
        "adaptive: 1 round, 200 judge calls planned (83% of all pairs' 240); stopped: budget of judge calls reached "
        "(--budget-calls); the plan's last standing (what --stop judges: relative to the average model, "
        "uncorrected): widest interval "
        "7 Elo, 0 of 3 adjacent pairs separated")
    two_rounds = present.adaptive_summary({**plan, "rounds": 2, "precision": None})
    assert two_rounds.startswith("adaptive: 2 rounds, 200 judge")
    # 6 of 1,200 calls is 0.5%, which rounded to "0%"
    assert "6 judge calls planned (under 1% of all pairs' 1,200)" in present.adaptive_summary(
        {**plan, "calls": 6, "calls_all_pairs": 1200})
    # why the ratings are not corrected, as the run or the rating records it
    for reason, said in [("unrated", "before the plan has compared every model"), ("interrupted", "interrupted"),
                         ("complete", "every pair was judged"), ("method", "plain Bradley-Terry only")]:
        assert said in present.adaptive_summary({**plan, "design_bias": None, "uncorrected": reason}).split(
            "; ratings not corrected")[1]


def test_a_plan_over_its_dollar_budget_says_it_was_exceeded_and_why():
    plan = {"strategy": "adaptive", "rounds": 4, "calls": 200, "calls_all_pairs": 240, "stopped_by": "budget_usd",
            "budget_usd": 2.0, "cost_usd": 2.1, "calls_cost_estimated": 0, "over_budget": "dearer pair"}
    assert ("stopped: dollar budget exceeded (--budget-usd); the plan cost $2.1000 and exceeded the $2.00 budget: its "
            "last pairs cost more than every pair before them, at whose price the budget bought them"
            in present.adaptive_summary(plan))
    kept = present.adaptive_summary({**plan, "cost_usd": 1.9, "over_budget": None})
    assert "stopped: dollar budget reached (--budget-usd); the plan cost $1.9000 of the $2.00 budget" in kept


def test_a_stopping_rule_not_reached_says_why():
    plan = {"strategy": "adaptive", "rounds": 3, "calls": 200, "calls_all_pairs": 240, "stopped_by": "budget_calls",
            "stop": "width=50", "ratings_exist": True,
            "precision": {"widest_interval": 0.0, "adjacent_separated": 0, "adjacent_pairs": 3}}
    assert present.adaptive_summary(plan).split("; ")[2].endswith(
        "width=50\" not reached: the intervals have width 0, which measures nothing (outcomes of one question, "
        "or verdicts the fit predicts exactly, such as a judge's two orders always cancelling into ties)")
    wide = {**plan, "precision": {**plan["precision"], "widest_interval": 80.0}}
    assert present.adaptive_summary(wide).split("; ")[2].endswith("width=50\" not reached")
    assert "do not exist yet" in present.adaptive_summary({**plan, "ratings_exist": False}).split("; ")[2]


def test_a_tournaments_summary_counts_bracket_rounds_and_batches():
    """A tournament's planner steps are batches of games, not the bracket's rounds: 8 models per question play
    3 bracket rounds, which 22 batches judged (it said 'tournament: 22 rounds')."""
    plan = {"strategy": "tournament", "rounds": 22, "bracket_rounds": 3, "calls": 700, "calls_all_pairs": 2800,
            "stopped_by": "failed games", "precision": None}
    assert present.adaptive_summary(plan) == (
        "tournament: 3 bracket rounds per question, judged in 22 batches, 700 judge calls planned (25% of all pairs' "
        "2,800); stopped: games of the last batch failed (the next batch waits for their verdicts: the same command "
        "retries them, then goes on choosing batches)")
    assert present.adaptive_summary({**plan, "rounds": 1, "bracket_rounds": 1}).startswith(
        "tournament: 1 bracket round per question, judged in 1 batch, ")


def test_repeated_engine_reports_are_counted_not_printed_each_time(monkeypatch):
    # a server rate-limiting every request at once: one line per kind and status every 10 s, the next one
    # saying how many were held back; other kinds and statuses are printed as they come
    from judgebench.engines.base import EngineEvent

    clock = iter([0.0, 1.0, 2.0, 3.0, 4.0, 12.0])
    monkeypatch.setattr(present.time, "monotonic", lambda: next(clock))
    lines = present.EventLines(every_s=10.0)
    wait = EngineEvent("wait", "server is rate-limiting (HTTP 429); waiting 1 s", status=429)
    shown = [lines.line(event) for event in (wait, wait, EngineEvent("retry", "HTTP 500 ...", status=500), wait,
                                             EngineEvent("concurrency", "lowering"), wait)]
    assert shown == [wait.message, None, "HTTP 500 ...", None, "lowering",
                     wait.message + " (and 2 more like it since the last shown)"]


def test_reports_held_back_at_the_end_are_counted_when_the_display_closes(monkeypatch):
    """Reports held back in the last 10 s were never printed, nor counted: `flush` gives the latest of each kind
    and status, saying how many more there were, once."""
    from judgebench.engines.base import EngineEvent

    clock = iter([0.0, 1.0, 2.0, 3.0, 4.0])
    monkeypatch.setattr(present.time, "monotonic", lambda: next(clock))
    lines = present.EventLines(every_s=10.0)
    waits = [EngineEvent("wait", f"server is rate-limiting (HTTP 429); waiting {n} s", status=429) for n in (1, 2, 3)]
    retry = EngineEvent("retry", "HTTP 500 ...", status=500)
    assert [lines.line(event) for event in (waits[0], retry, waits[1], retry, waits[2])] == [
        waits[0].message, retry.message, None, None, None]
    assert lines.flush() == [waits[2].message + " (and 1 more like it since the last shown)", retry.message]
    assert lines.flush() == []


@pytest.mark.parametrize("display", [present.progress_lines, present.progress_callbacks])
def test_a_progress_display_prints_the_held_count_when_it_closes(monkeypatch, display):
    """The plain lines of a log and the live bar of a terminal print what `EventLines.flush` gives as they
    close."""
    from judgebench.engines.base import EngineEvent

    clock = iter([0.0, 1.0, 2.0])
    monkeypatch.setattr(present.time, "monotonic", lambda: next(clock))
    console = Console(file=io.StringIO(), width=200)
    wait = EngineEvent("wait", "server is rate-limiting (HTTP 429); waiting 1 s", status=429)
    with display(console, priced=False) as hooks:
        for _ in range(3):
            hooks.on_event(wait)
    assert [line for line in console.file.getvalue().splitlines() if line] == [
        wait.message, wait.message + " (and 1 more like it since the last shown)"]



@pytest.mark.parametrize("width", [100, 140, 200])
def test_the_progress_bar_keeps_its_counts_and_cost_whole_and_cuts_the_status(width):
    """On a 100-column terminal rich shrank every column alike: the cost showed as "$3…", and the bar and the
    done/total count were gone, while an adaptive plan's long status kept its room."""
    from judgebench.runner import Tally

    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, color_system=None)
    status = "round 4 · 94 calls planned · plan $2.94 of $4.00 · top: alpha, bravo, charlie, delta, echo"
    with present.progress_callbacks(console, priced=True) as hooks:
        assert hooks.on_start is not None and hooks.on_progress is not None
        tally = Tally(total=32, status=status)
        hooks.on_start(tally)
        tally.done, tally.cost, tally.prompt_tokens = 16, 3.0202, 31_860
        hooks.on_progress(tally)
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", out.getvalue())  # the terminal's cursor codes out
    last = [line for line in drawn.splitlines() if line.startswith("judging")][-1]
    assert all(part in last for part in ("judging", "━", "16/32", "games/s", "31,860 tokens", "$3.0202", "round 4"))
    assert len(last) <= width
    # a status the bar cuts is printed whole above it once, as the round starts (an 80-column terminal showed
    # "round 5 · 150 calls p…": never the budget or the top models)
    alone = [line for line in drawn.splitlines() if line.strip() == status]
    assert len(alone) == (1 if len(status) > width - present._PROGRESS_COUNTS_WIDTH else 0)


def test_names_with_brackets_are_shown_as_written_not_read_as_markup():
    """rich reads "[...]" in a plain string as a style tag and drops it: `judgebench judges` showed
    "pip install 'judgebench'" for "pip install 'judgebench[vllm]'", and a model named so lost its tag."""
    names = ["mistral-7b[v0.3]", "[bold]loud", "base[x]"]
    frame = pd.DataFrame([{"question_id": f"q{q}", "model_a": a, "model_b": b, "score_a": float((q + i) % 3 > 0)}
                          for q in range(12) for i, (a, b) in enumerate([names[:2], names[1:], names[::2]])])
    console = Console(width=200, record=True)
    console.print(present.leaderboard_table(leaderboard.build(frame, rounds=20, baseline="base[x]"), 200))
    console.print(present.presets_table({"gpu": {"engine": "vllm", "model": "q[7b]",
                                                 "description": "pip install 'judgebench[vllm]'"}}))
    console.print(present.judge_diagnostics_table({"self_preference": {"models": ["mistral-7b[v0.3]"],
                                                                       "own_score": None}}))
    text = console.export_text()
    for shown in (*names, "Bradley-Terry vs base[x]", "the baseline base[x] fixed", "q[7b]",
                  "pip install 'judgebench[vllm]'", "self-preference: score of mistral-7b[v0.3] vs others"):
        assert shown in text, f"{shown!r} not in:\n{text}"


def test_the_pooled_win_rate_is_explained_under_every_table_that_shows_it(tmp_path):
    """Without a baseline `win_rate` is each model's share of its own outcomes, whatever opponents it met; only the
    HTML report said so, and an adaptive run's terminal table showed a model ranked 4th above one ranked 2nd by it
    without a word."""
    rows = [{"question_id": f"q{q}", "model_a": a, "model_b": b, "score_a": float((q + len(a + b)) % 3 != 0)}
            for q in range(12) for a, b in (("x", "y"), ("x", "z"), ("y", "z"))]
    pooled = leaderboard.build(pd.DataFrame(rows), rounds=20)
    against = leaderboard.build(pd.DataFrame(rows), rounds=20, baseline="z")
    note = "Win rate (pooled): the share of each model's own outcomes that it won (ties half)"
    assert any(line.startswith(note) for line in present.table_notes(pooled, ["win_rate"]))
    assert not any("pooled" in line for line in present.table_notes(against, ["win_rate"]))
    pooled.write(tmp_path)
    assert note in " ".join((tmp_path / "leaderboard.md").read_text().split())


def test_a_game_of_unknown_cost_makes_every_sum_unknown() -> None:
    """The run's counts (the runs table, meta.runs) say unknown, not the known games' sum (a dollar budget counts
    the unknown game at the mean of the known ones: `runner.plan_cost`)."""
    from judgebench.runner import Tally
    from judgebench.store import JudgmentRow

    def row(tokens: int | None, cost: float | None) -> JudgmentRow:
        return JudgmentRow(key="k", question_id="q", first="a", second="b", judge="j", template="t", status="ok",
                           prompt_tokens=tokens, completion_tokens=tokens, cost=cost)

    tally = Tally()
    for tokens, cost in ((100, 0.2), (300, 0.4)):
        tally.count(row(tokens, cost))
    assert tally.run_counts(priced=True)["cost"] == pytest.approx(0.6)
    tally.count(row(None, None))
    counts = tally.run_counts(priced=True)
    assert counts["cost"] is counts["prompt_tokens"] is counts["completion_tokens"] is None
    assert tally.unmetered == 1
    assert present._cost_text(tally, priced=True) == "cost unknown"


def test_a_plans_cost_is_every_attempt_paid_and_says_which_calls_it_estimated_and_why() -> None:
    """A plan's calls count at what every attempt cost (`attempts_cost`), where the store kept the last attempt's
    cost alone and the plan multiplied it by the attempts: a dear attempt before a cheap verdict was undercounted.
    A call whose cost is unknown is estimated, and the summary says what it is: it called a call of this run whose
    reply gave no token usage, priced at the mean of the others, "stored ... without a recorded cost, estimated
    from token counts at the judge's prices"."""
    import pandas as pd

    from judgebench.config import JudgeConfig
    from judgebench.runner import plan_cost

    nan = float("nan")
    judged = pd.DataFrame(
        [("dear-then-cheap", 0.2, 2, 0.8, 10, 10, False), ("once", 0.4, 1, 0.4, 10, 10, False),
         ("no usage", nan, 1, nan, nan, nan, False), ("before prices", nan, 1, nan, 1000, 500, False),
         ("old store, asked thrice", 0.1, 3, nan, 10, 10, False), ("shared", 0.0, 1, 0.0, 0, 0, True)],
        columns=["question_id", "cost", "attempts", "attempts_cost", "prompt_tokens", "completion_tokens",
                 "shared_call"]).assign(first="a", second="b", status="ok")
    judge = JudgeConfig(model="j", price_in_per_mtok=100.0, price_out_per_mtok=400.0)
    spent = plan_cost(judged, judge)
    mean = (0.2 + 0.4 + 0.1) / 3  # of the recorded calls: what a reply without usage is priced at
    assert spent.usd == pytest.approx(0.8 + 0.4 + mean + (1000 * 100 + 500 * 400) / 1e6 + 0.3)
    assert spent.estimated == {"no_usage": 1, "no_prices": 1, "attempts": 1}
    assert spent.dearest_pair == pytest.approx(0.8)
    plan = {"strategy": "adaptive", "rounds": 2, "calls": 6, "calls_all_pairs": 240, "stopped_by": "budget_usd",
            "budget_usd": 2.0, "cost_usd": spent.usd, "calls_cost_estimated": 3,
            "calls_cost_estimated_by": spent.estimated}
    assert (f"the plan cost {present.dollars(spent.usd)} of the $2.00 budget (an estimate for 1 call answered "
            "without token usage, priced at the mean of the others; 1 call judged before the judge had prices, "
            "priced from token counts at the judge's prices; 1 call asked more than once with an attempt of "
            "unknown cost (answered without token usage, or stored before the store kept what every attempt cost), "
            "each attempt priced at the last one's)") in present.adaptive_summary(plan)
    recorded_before = {key: value for key, value in plan.items() if key != "calls_cost_estimated_by"}
    assert "of the $2.00 budget (3 calls at an estimated cost)" in present.adaptive_summary(recorded_before)


def test_a_failed_game_without_usage_leaves_the_totals_known() -> None:
    """A timeout or an error body has no usage: it made the whole run's tokens and cost unknown (and lowered the
    mean a dollar budget prices unknown calls at, counted as a $0 call)."""
    from judgebench.runner import Tally
    from judgebench.store import JudgmentRow

    tally = Tally()
    for status, tokens, cost in (("ok", 100, 0.2), ("failed", None, None), ("ok", 300, 0.4), ("ok", None, None)):
        tally.count(JudgmentRow(key="k", question_id="q", first="a", second="b", judge="j", template="t",
                                status=status, prompt_tokens=tokens, completion_tokens=tokens, cost=cost))
    assert tally.unmetered == 1
    known = Tally()
    known.count(JudgmentRow(key="k", question_id="q", first="a", second="b", judge="j", template="t",
                            status="failed", prompt_tokens=None, completion_tokens=None, cost=None))
    assert known.run_counts(priced=True)["cost"] == 0.0


def test_leaderboard_md_shows_every_name_as_written(tmp_path):
    """A model named with `|` split its row of leaderboard.md; `*`, `_`, backticks, `[`, `\\`, `&lt;` and line
    breaks formatted names in the table or in the prose that names the baseline. Rendered by markdown-it-py
    (GitHub-flavoured tables), each row has the table's cells and each name reads as given (a line break as a
    space: a table cell is one line)."""
    from markdown_it import MarkdownIt

    names = ["a|b", "*bold* _it_", "`code`", "[link](http://x)", "back\\slash\\|", "&lt;tag&gt; <b>", "two\nlines",
             "~~gone~~ #1"]
    base = "base*|_`[x]&amp;"
    rows = [{"question_id": f"q{q}", "model_a": name, "model_b": base, "score_a": float((q + i) % 3 > 0)}
            for q in range(6) for i, name in enumerate(names)]
    leaderboard.build(pd.DataFrame(rows), rounds=20, baseline=base).write(tmp_path)
    renderer = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = renderer.parse((tmp_path / "leaderboard.md").read_text())

    header = next(k for k, token in enumerate(tokens) if token.type == "thead_open")
    n_columns = sum(token.type == "th_open" for token in tokens[header:])
    cells: list[list[str]] = []
    for k, token in enumerate(tokens):
        if token.type == "tr_open" and tokens[k + 1].type == "td_open":
            cells.append([])
        if token.type == "td_open":
            cells[-1].append(rendered_text(tokens[k + 1].children))
    assert len(cells) == len(names) + 1 and all(len(row) == n_columns for row in cells)
    assert sorted(row[1] for row in cells) == sorted([base, *(" ".join(name.split()) for name in names)])
    prose = [rendered_text(token.children) for token in tokens[:header] if token.type == "inline"]
    assert any(f"The baseline {base} scores 50%" in paragraph for paragraph in prose), prose
    assert rendered_text(tokens[1].children) == f"Leaderboard (Bradley-Terry vs {base})"


def test_a_note_under_a_figure_wraps_beside_the_figures_in_a_log():
    """In a log, where a table is drawn as wide as its cells need (`drawn_at`), a 250-character note under the
    length bias made its label column that wide and put every figure 300 columns from its label; the label
    column is at most _LABEL_WIDTH wide, the note wrapped within it."""
    from rich.console import Console

    from judgebench.present import drawn_at, judge_diagnostics_table

    rate = {"value": 0.5, "lower": 0.44, "upper": 0.56, "n": 240}
    note = "its interval reaches below 0.05 and above 0.95 " * 5
    figures = {"position_consistency": rate, "first_slot_win_rate": rate, "tie_rate": rate,
               "length_bias": {"longer_answer_win_rate": rate, "net_effect": {"log_odds": None, "note": note}}}
    console = Console(width=80, record=True, force_terminal=False)  # a log's console
    console.print(drawn_at(judge_diagnostics_table(figures), 100_000), crop=False)
    lines = console.export_text().splitlines()
    assert max(map(len, lines)) < 130 and " ".join(" ".join(lines).split()).count(" ".join(note.split())) == 1
    assert "position consistency (pairs whose two orders agree)" in next(line for line in lines if "n=240" in line)

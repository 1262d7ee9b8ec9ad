"""What `judgebench run` shows in a terminal: the plan, a progress bar, the leaderboard and the judge's
position-bias figures. Presentation only: the numbers come from runner.py, verdicts.py and leaderboard.py.
"""

from __future__ import annotations

import math
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from judgebench.config import RunConfig, presets
from judgebench.errors import EXIT_FAILED_GAMES, EXIT_OK
from judgebench.runner import RunResult, Tally, run_async, run_coroutine, write_judgments

EXIT_INTERRUPTED = 130


def _progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]judging"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>7.1f} games/s"), TimeRemainingColumn(),
        TextColumn("{task.fields[tokens]:,} tokens"), TextColumn("{task.fields[cost]}"),
        console=console, transient=False, redirect_stdout=False, redirect_stderr=False,
    )


def _cost_text(tally: Tally, priced: bool) -> str:
    return f"${tally.cost:,.4f}" if priced else "cost n/a"


async def _run_with_progress(config: RunConfig, dataset, console: Console) -> RunResult:
    priced = config.judge.price_in_per_mtok is not None or config.judge.price_out_per_mtok is not None
    if not config.progress:
        return await run_async(config, dataset)
    with _progress_bar(console) as bar:
        task = bar.add_task("judging", total=None, rate=0.0, tokens=0, cost="", visible=False)

        def started(tally: Tally) -> None:
            bar.update(task, total=tally.total, cost=_cost_text(tally, priced), visible=tally.total > 0)

        def advanced(tally: Tally) -> None:
            import time

            elapsed = max(time.monotonic() - tally.started, 1e-9)
            bar.update(task, completed=tally.done, rate=tally.done / elapsed,
                       tokens=tally.prompt_tokens + tally.completion_tokens, cost=_cost_text(tally, priced))

        return await run_async(config, dataset, on_progress=advanced, on_start=started)


def run_and_report(config: RunConfig, console: Console | None = None, verbose: bool = False) -> int:
    """Run the evaluation, print and write its results; returns the exit code (DESIGN.md).

    A local engine's output (vLLM, torch, transformers) goes to engine.log in the output directory, or
    also to the terminal with `verbose` (engines/quiet.py); the terminal shows judgebench's own output.
    """
    from judgebench.engines.quiet import ENGINE_LOG, capture_engine_output
    from judgebench.outputs import prepare_directory

    log = prepare_directory(config.out) / ENGINE_LOG if config.judge.engine == "vllm" else None
    with capture_engine_output(log, verbose) as terminal:
        return _run_and_report(config, console or terminal.out, terminal.err)


def _run_and_report(config: RunConfig, console: Console, errors: Console) -> int:
    from judgebench.datasets import load_dataset
    from judgebench.engines.embedded import EMBEDDED_JUDGE_NOTE

    dataset = load_dataset(config.questions, config.answers, format=config.format,
                           allow_missing=config.allow_missing, models=config.models, references=config.references)
    console.print(f"{len(dataset.questions)} questions, {len(dataset.models)} models "
                  f"({', '.join(dataset.models)}); judge [bold]{config.judge.name}[/] via {config.judge.engine}, "
                  f"template {config.template}, pairs {config.pairs}, swap {config.swap}")
    for model, count in sorted(dataset.skipped.items()):
        console.print(f"[yellow]{model}: {count} questions skipped (no answer; --allow-missing)")
    if config.judge.embedded:
        console.print(f"[yellow]{EMBEDDED_JUDGE_NOTE}")
    result = run_coroutine(_run_with_progress(config, dataset, errors))
    console.print(f"{result.planned} games planned, {result.reused} already in the store "
                  f"({config.store}), {result.tally.done} sent now")
    if result.interrupted:
        errors.print(f"[yellow]stopped: {result.tally.done} of {result.tally.total} games sent and stored; "
                     "run the same command again to finish (stored games are not sent again)")
        return EXIT_INTERRUPTED
    print_run_results(result, console)
    if result.n_failed:
        errors.print(f"[red]{result.n_failed} games failed (see error in judgments.jsonl); "
                     "run again to retry them")
        return EXIT_FAILED_GAMES
    return EXIT_OK


def print_run_results(result: RunResult, console: Console) -> None:
    """Leaderboard, position bias, failures and cost; writes the output directory."""
    from judgebench.leaderboard import build, print_leaderboard, write

    config = result.config
    out = Path(config.out)
    write_judgments(result, out)
    outcomes = result.combined.outcomes
    if outcomes.empty:
        console.print("[red]no complete pair was judged: nothing to rate")
        return
    board = build(outcomes, games=result.games, method=config.method, interval=config.interval,
                  resample=config.resample, confidence=config.confidence, rounds=config.rounds, seed=config.seed,
                  baseline=config.baseline if config.pairs == "baseline" else None,
                  regularization=None, meta=run_meta(result))
    write(board, out)
    print_leaderboard(board, console)
    if board.meta.get("regularization"):
        console.print(f"[yellow]some model won or lost every comparison, so maximum-likelihood ratings do not "
                      f"exist; ratings use a weak ridge ({board.meta['regularization']}) and are far apart")
    console.print(diagnostics_table(result))
    console.print(f"wrote {out}/leaderboard.json, leaderboard.csv, leaderboard.md, judgments.jsonl")


def run_meta(result: RunResult) -> dict:
    """Provenance and judge diagnostics recorded in leaderboard.json's meta."""
    config, d = result.config, result.diagnostics
    return {
        "judge": config.judge.name, "engine": config.judge.engine, "template": config.template,
        "swap": config.swap, "pairs": config.pairs, "games_planned": result.planned,
        "games_failed": result.n_failed, "games_unparsed": result.n_unparsed,
        "pairs_incomplete": d["n_incomplete"], "pairs_inconsistent": d["n_inconsistent"],
        "position_consistency": _finite(d["position_consistency"]),
        "first_slot_win_rate": _finite(d["first_slot_win_rate"]),
        "prompt_tokens": result.tally.prompt_tokens, "completion_tokens": result.tally.completion_tokens,
        "cost_usd": result.tally.cost if config.judge.price_in_per_mtok is not None else None,
        "skipped_questions": d["skipped"],
    }


def _finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def diagnostics_table(result: RunResult) -> Table:
    """The judge's reliability figures: position consistency, first-slot wins, failures."""
    d = result.diagnostics
    table = Table(title="Judge diagnostics", show_header=False)
    consistency = d["position_consistency"]
    table.add_row("position consistency (pairs whose two orders agree)",
                  "n/a" if math.isnan(consistency) else f"{consistency:.1%}")
    table.add_row("first-slot win rate (0.5 = no position bias)",
                  "n/a" if math.isnan(d["first_slot_win_rate"]) else f"{d['first_slot_win_rate']:.1%}")
    table.add_row("pairs whose orders disagree", str(d["n_inconsistent"]))
    table.add_row("pairs left out (an order missing)", str(d["n_incomplete"]))
    table.add_row("failed games", str(result.n_failed))
    table.add_row("unparsed games", str(result.n_unparsed))
    tally = result.tally
    table.add_row("tokens sent now (prompt + completion)", f"{tally.prompt_tokens:,} + {tally.completion_tokens:,}")
    if result.config.judge.price_in_per_mtok is not None:
        table.add_row("cost of this run", f"${tally.cost:,.4f}")
    return table


def print_presets(judges_file: Path | None = None, console: Console | None = None) -> None:
    """The judge presets, as a table."""
    console = console or Console()
    table = Table(title="Judge presets (--judge NAME)")
    for column in ("name", "engine", "model", "description"):
        table.add_column(column)
    for name, preset in sorted(presets(judges_file).items()):
        model = preset.get("model") or ("embedded SmolLM2-135M" if preset.get("embedded") else "")
        table.add_row(name, preset.get("engine", "openai"), model, preset.get("description", ""))
    console.print(table)

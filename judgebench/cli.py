"""The `judgebench` command line: typer commands that parse arguments and call the Python API.

No logic lives here. Every user-caused error is a `JudgebenchError`, printed as one line on stderr and
turned into its exit code; a traceback means a bug in judgebench.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from judgebench.config import RunConfig
    from judgebench.leaderboard import Leaderboard

app = typer.Typer(
    name="judgebench",
    help="Rank language models with an LLM judge: pairwise verdicts, Bradley-Terry/Elo ratings, intervals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_RUN_HELP = "Judge model answers pairwise in both orders and print a leaderboard (see README: Configuration)."


@app.command(help=_RUN_HELP)
def run(
    config: Path | None = typer.Option(None, "--config", "-c", help="TOML config file (examples/quickstart.toml)."),
    questions: Path | None = typer.Option(None, help="Questions file or directory."),
    answers: list[Path] | None = typer.Option(None, help="Answers file(s) or directories; repeat the flag."),
    format: str | None = typer.Option(None, help="Input format: generic, arena-hard, alpaca-eval, mt-bench."),
    references: Path | None = typer.Option(None, help="Reference answers (MT-Bench format)."),
    model: list[str] | None = typer.Option(None, "--model", help="Judge only these models; repeat the flag."),
    allow_missing: bool | None = typer.Option(None, "--allow-missing/--no-allow-missing",
                                              help="Skip (and count) questions a model did not answer."),
    engine: str | None = typer.Option(None, help="Judge engine: openai (any OpenAI-compatible API) or vllm."),
    judge: str | None = typer.Option(None, help="A judge preset (`judgebench judges` lists them)."),
    judge_model: str | None = typer.Option(None, help="Judge model name (or path, for --engine vllm)."),
    base_url: str | None = typer.Option(None, help="Base URL of an OpenAI-compatible server."),
    api_key_env: str | None = typer.Option(None, help="Name of the environment variable holding the API key."),
    concurrency: int | None = typer.Option(None, help="Requests in flight at once (OpenAI engine)."),
    template: str | None = typer.Option(None, help="Template name (pairwise-5, pairwise-3, logprob, ...) or file."),
    pairs: str | None = typer.Option(None, help="baseline, all or sample."),
    baseline: str | None = typer.Option(None, help="Baseline model (pairs=baseline)."),
    opponents: int | None = typer.Option(None, help="Opponents per model and question (pairs=sample)."),
    swap: str | None = typer.Option(None, help="both, consistent or random-one."),
    store: Path | None = typer.Option(None, help="SQLite store of judgments (resumable cache)."),
    out: Path | None = typer.Option(None, help="Output directory for leaderboard files and judgments.jsonl."),
    seed: int | None = typer.Option(None, help="Seed for sampling, random-one orders and bootstrap."),
    method: str | None = typer.Option(None, help="bt, elo or winrate."),
    interval: str | None = typer.Option(None, help="bootstrap or sandwich."),
    rounds: int | None = typer.Option(None, help="Bootstrap replicates."),
    confidence: float | None = typer.Option(None, help="Confidence level of intervals."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress", help="Show the progress bar."),
) -> None:
    from judgebench.config import load_config

    overrides = dict(questions=questions, answers=answers or None, format=format, references=references,
                     models=model or None, allow_missing=allow_missing, template=template, pairs=pairs,
                     baseline=baseline, opponents=opponents, swap=swap, store=store, out=out, seed=seed,
                     method=method, interval=interval, rounds=rounds, confidence=confidence, progress=progress)
    judge_overrides = dict(preset=judge, engine=engine, model=judge_model, base_url=base_url,
                           api_key_env=api_key_env, concurrency=concurrency)
    raise typer.Exit(_run_and_show(load_config(config, overrides, judge_overrides)))


def _run_and_show(settings: RunConfig) -> int:
    """`judgebench run`: evaluate with a progress bar, then show the leaderboard and the judge's diagnostics."""
    from contextlib import nullcontext

    from rich.console import Console

    from judgebench import present
    from judgebench.evaluation import evaluate

    console, errors = Console(), Console(stderr=True)
    console.print(present.run_header(settings), markup=False)
    if settings.judge.embedded:
        from judgebench.engines.embedded import EMBEDDED_JUDGE_NOTE

        console.print(EMBEDDED_JUDGE_NOTE, style="yellow", markup=False)
    priced = settings.judge.price_in_per_mtok is not None or settings.judge.price_out_per_mtok is not None
    with (present.progress_callbacks(errors, priced) if settings.progress else nullcontext((None, None))) as bar:
        evaluation = evaluate(settings, out=settings.out, on_start=bar[0], on_progress=bar[1])
    for line in present.run_summary(evaluation):
        console.print(line, markup=False)
    if evaluation.run.interrupted:
        tally = evaluation.run.tally
        typer.secho(f"stopped: {tally.done} of {tally.total} games sent and stored; run the same command again "
                    "to finish (stored games are not sent again)", fg="yellow", err=True)
        return evaluation.exit_code
    if evaluation.leaderboard is not None:
        _show_leaderboard(evaluation.leaderboard, console, ridge_asked=False)
    else:
        typer.secho("no complete pair was judged: nothing to rate", fg="red")
    console.print(present.diagnostics_table(evaluation))
    console.print(f"wrote {', '.join(str(path) for path in evaluation.files.values())}", markup=False)
    if evaluation.diagnostics.no_verdict:
        typer.secho(f"error: {present.no_verdict_message(evaluation.diagnostics)}", fg="red", err=True)
    elif evaluation.diagnostics.n_failed:
        typer.secho(f"{evaluation.diagnostics.n_failed} games failed (see error in judgments.jsonl); "
                    "run again to retry them", fg="red", err=True)
    return evaluation.exit_code


def _show_leaderboard(board: Leaderboard, console: Console | None, *, ridge_asked: bool) -> None:
    """The leaderboard table (unless `console` is None), and a note on stderr when the ratings needed the
    automatic weak ridge that the user did not ask for."""
    from judgebench import present

    if console is not None:
        console.print(present.leaderboard_table(board, console.width))
    if not ridge_asked and board.meta.get("regularization"):
        typer.secho(f"note: maximum-likelihood ratings do not exist (some model won or lost every comparison); "
                    f"ratings use a weak ridge ({board.meta['regularization']}) and are far apart",
                    fg="yellow", err=True)


@app.command(help="List the judge presets usable with --judge.")
def judges(judges_file: Path | None = typer.Option(None, help="Your own presets file (TOML).")) -> None:
    from rich.console import Console

    from judgebench.config import presets
    from judgebench.present import presets_table

    Console().print(presets_table(presets(judges_file)))


_LEADERBOARD_HELP = ("Rate models from stored or imported judgments: Bradley-Terry, online Elo or win rates, with "
                     "intervals (question bootstrap by default). Writes leaderboard.json/.csv/.md with --out.")


@app.command(help=_LEADERBOARD_HELP)
def leaderboard(
    extra_files: list[Path] | None = typer.Argument(None, metavar="[FILE...]",
                                                    help="More AlpacaEval annotation files (after --alpaca-eval)."),
    store: Path | None = typer.Option(None, help="A judgebench SQLite store written by `judgebench run`."),
    alpaca_eval: list[Path] | None = typer.Option(None, "--alpaca-eval",
                                                  help="AlpacaEval annotation file(s) or a directory of them."),
    outcomes: Path | None = typer.Option(None, help="Outcomes file (JSONL, CSV, Parquet): question_id, model_a, "
                                                    "model_b, and winner or score_a."),
    method: str | None = typer.Option(None, help="bt, elo or winrate (default: winrate for AlpacaEval, else bt)."),
    interval: str = typer.Option("bootstrap", help="bootstrap or sandwich."),
    resample: str = typer.Option("questions", help="Bootstrap/sandwich unit: questions (clusters) or judgments."),
    confidence: float = typer.Option(0.95, help="Confidence level of the intervals."),
    rounds: int = typer.Option(1000, help="Bootstrap replicates."),
    seed: int = typer.Option(0, help="Seed of the bootstrap (and of the store's random-one swap policy)."),
    baseline: str | None = typer.Option(None, help="Baseline model: win rates against it; rated at the anchor."),
    anchor: str | None = typer.Option(None, help="Model whose rating is fixed (default: the baseline, else mean)."),
    anchor_rating: float = typer.Option(1000.0, help="Rating of the anchor model (or of the mean)."),
    scale: float = typer.Option(400.0, help="Elo points per factor of 10 in the odds of winning."),
    k_factor: float = typer.Option(4.0, help="K-factor of online Elo (--method elo)."),
    ties: str = typer.Option("half", help="Tie model for bt: half (a tie is half a win) or davidson."),
    position_effect: bool = typer.Option(False, "--position-effect",
                                         help="Fit the judge's first-position effect from the per-order verdicts."),
    regularization: float | None = typer.Option(
        None, help="Ridge penalty on Bradley-Terry strengths. Default: plain maximum likelihood, or a weak ridge "
                   "(noted) when some model won or lost every comparison; 0 = always plain (an error then)."),
    judge: str | None = typer.Option(None, help="With --store: the judge whose games to use."),
    template: str | None = typer.Option(None, help="With --store: the template whose games to use."),
    swap: str = typer.Option("both", help="With --store: swap policy turning games into outcomes."),
    out: Path | None = typer.Option(None, help="Directory for leaderboard.json, leaderboard.csv, leaderboard.md."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print the table."),
) -> None:
    from rich.console import Console

    from judgebench.datasets.sources import one_source
    from judgebench.errors import ConfigError
    from judgebench.evaluation import rate

    if extra_files and not alpaca_eval:
        raise ConfigError(f"unexpected argument {extra_files[0]} (only --alpaca-eval takes several files)")
    kind, source = one_source(store=store, alpaca_eval=[*(alpaca_eval or []), *(extra_files or [])],
                              outcomes=outcomes)
    if out is not None:
        from judgebench.outputs import prepare_directory

        prepare_directory(out)
    board = rate(source, kind=kind, method=method, interval=interval, resample=resample, confidence=confidence,
                 rounds=rounds, seed=seed, baseline=baseline, anchor=anchor, anchor_rating=anchor_rating,
                 scale=scale, k_factor=k_factor, ties=ties, position_effect=position_effect,
                 regularization=regularization, judge=judge, template=template, swap=swap)
    if out is not None:
        board.write(out)
    _show_leaderboard(board, None if quiet else Console(), ridge_asked=regularization is not None)


_DIAGNOSE_HELP = ("Diagnose a judge. On stored judgments (--store DB or --results DIR): position consistency, "
                  "first-slot bias, ties, failures, length bias, self-preference, transitivity, with question-"
                  "clustered intervals. With --gold FILE (JudgeBench or generic labelled pairs) and the judge "
                  "flags of `run`: judge each pair in both orders and score the judge against the labels. "
                  "Writes diagnostics.json with --out.")


@app.command(help=_DIAGNOSE_HELP)
def diagnose(
    store: Path | None = typer.Option(None, help="A judgebench SQLite store (with --gold: where games are kept)."),
    results: Path | None = typer.Option(None, help="A results directory written by `judgebench run --out`."),
    gold: Path | None = typer.Option(None, help="Gold pairs: JudgeBench JSONL, or JSONL/CSV/Parquet with question, "
                                                "answer_a, answer_b, label (A, B or tie), optional category."),
    config: Path | None = typer.Option(None, "--config", "-c", help="TOML config file (the judge, for --gold)."),
    engine: str | None = typer.Option(None, help="With --gold: judge engine, openai or vllm."),
    judge: str | None = typer.Option(None, help="With --gold: a judge preset (`judgebench judges`)."),
    judge_model: str | None = typer.Option(None, help="The judge model (with --store: whose judgments to use)."),
    base_url: str | None = typer.Option(None, help="With --gold: base URL of an OpenAI-compatible server."),
    api_key_env: str | None = typer.Option(None, help="With --gold: environment variable holding the API key."),
    concurrency: int | None = typer.Option(None, help="With --gold: requests in flight at once."),
    template: str | None = typer.Option(None, help="Template (with --store: whose judgments to use)."),
    questions: Path | None = typer.Option(None, help="The questions (for per-category figures)."),
    answers: list[Path] | None = typer.Option(None, help="The answers (for the length bias); repeat the flag."),
    judge_family: str | None = typer.Option(None, help="Models whose name contains this count as the judge's own."),
    swap: str | None = typer.Option(None, help="Swap policy turning games into outcomes (default: the run's)."),
    seed: int | None = typer.Option(None, help="Seed (random-one swap policy)."),
    confidence: float = typer.Option(0.95, help="Confidence level of the intervals."),
    progress: bool = typer.Option(False, "--progress/--no-progress", help="With --gold: show a progress bar."),
    out: Path | None = typer.Option(None, help="Directory for diagnostics.json."),
) -> None:
    from rich.console import Console

    from judgebench import diagnostics, present

    if out is not None:
        from judgebench.outputs import prepare_directory

        prepare_directory(out)
    if gold is not None:
        from judgebench.config import load_config

        if results is not None:
            from judgebench.errors import ConfigError

            raise ConfigError("--gold judges anew: give --store (where games are kept), not --results")
        # the gold file holds the questions and both answers of each pair (evaluate_gold reads it)
        settings = load_config(config, dict(questions=gold, answers=[gold], template=template, store=store,
                                            seed=seed, confidence=confidence),
                               dict(preset=judge, engine=engine, model=judge_model, base_url=base_url,
                                    api_key_env=api_key_env, concurrency=concurrency))
        raise typer.Exit(_judge_gold(settings, gold, out, progress))
    from judgebench.report.inputs import load_run

    data = load_run(store=store, results=results, judge=judge_model, template=template)
    lengths, categories = None, None
    if questions is not None and answers:
        from judgebench.datasets import load_dataset

        lengths, categories = diagnostics.dataset_facts(load_dataset(questions, answers, allow_missing=True))
    models = sorted(set(data.judgments["first"]) | set(data.judgments["second"]))
    judge_name = diagnostics.provenance_value(data.judgments, "judge")
    figures = diagnostics.diagnose_judgments(
        data.judgments, swap=swap or data.swap, seed=data.seed if seed is None else seed, confidence=confidence,
        lengths=lengths, categories=categories,
        own_models=diagnostics.self_models(models, judge_name, judge_family), provenance={"source": data.source})
    Console().print(present.judge_diagnostics_table(figures))
    if out is not None:
        typer.echo(f"wrote {diagnostics.write_diagnostics(figures, out)}")


def _judge_gold(settings: RunConfig, gold: Path, out: Path | None, progress: bool) -> int:
    """`judgebench diagnose --gold`: judge the labelled pairs, print the agreement, write diagnostics.json."""
    from contextlib import nullcontext

    from rich.console import Console

    from judgebench import diagnostics, present
    from judgebench.evaluation import evaluate_gold

    console = Console()
    console.print(f"judge {settings.judge.name} via {settings.judge.engine}, template {settings.template}, "
                  f"gold pairs {gold}, both orders", markup=False)
    with present.progress_callbacks(Console(stderr=True), False) if progress else nullcontext((None, None)) as bar:
        evaluation = evaluate_gold(settings, gold, on_start=bar[0], on_progress=bar[1])
    console.print(present.gold_table(evaluation.figures["gold"]))
    console.print(present.judge_diagnostics_table(evaluation.figures))
    if out is not None:
        console.print(f"wrote {diagnostics.write_diagnostics(evaluation.figures, out)}", markup=False)
    if evaluation.run.n_failed:
        typer.secho(f"{evaluation.run.n_failed} games failed; run again to retry them", fg="red", err=True)
    return evaluation.exit_code

_REPORT_HELP = ("Write one self-contained HTML report (leaderboard, plots, judge diagnostics, cost, provenance, a "
                "searchable sample of judgments) and PNG/SVG plots beside it, from --results DIR or --store DB. "
                "No judge calls.")


@app.command(help=_REPORT_HELP)
def report(
    out: Path = typer.Option(..., help="The HTML file to write (plots go beside it)."),
    store: Path | None = typer.Option(None, help="A judgebench SQLite store."),
    results: Path | None = typer.Option(None, help="A results directory written by `judgebench run --out`."),
    judge_model: str | None = typer.Option(None, help="With --store: the judge whose judgments to use."),
    template: str | None = typer.Option(None, help="With --store: the template whose judgments to use."),
    questions: Path | None = typer.Option(None, help="The questions (texts in the judgment browser, categories)."),
    answers: list[Path] | None = typer.Option(None, help="The answers (texts, length bias); repeat the flag."),
    judgments_shown: int = typer.Option(200, help="Pairs shown in the judgment browser (a seeded sample)."),
    seed: int = typer.Option(0, help="Seed of the sample of judgments shown."),
) -> None:
    import json

    from judgebench.diagnostics import DIAGNOSTICS_FILE
    from judgebench.report.build import write_report
    from judgebench.report.inputs import load_run

    data = load_run(store=store, results=results, judge=judge_model, template=template)
    dataset = None
    if questions is not None and answers:
        from judgebench.datasets import load_dataset

        dataset = load_dataset(questions, answers, allow_missing=True)
    recorded = Path(results) / DIAGNOSTICS_FILE if results is not None else None
    figures = json.loads(recorded.read_text(encoding="utf-8")) if recorded and recorded.is_file() else None
    written = write_report(data, out, dataset=dataset, diagnostics_figures=figures, shown_pairs=judgments_shown,
                           seed=seed)
    typer.echo(f"wrote {written.html} ({written.size / 1e6:.2f} MB; {written.pairs_shown} of {written.pairs_total} "
               f"pairs in the judgment browser) and {2 * len(written.plots)} plots beside it")


def main() -> None:
    """Console-script entry point: run the app, mapping user errors to one message and an exit code."""
    from judgebench.errors import JudgebenchError

    try:
        exit_code = app(standalone_mode=False)  # click returns a command's typer.Exit code here
    except JudgebenchError as error:
        typer.secho(f"error: {error}", fg="red", err=True)
        sys.exit(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.secho("aborted", fg="red", err=True)
        sys.exit(130)
    except Exception as error:  # click's usage errors arrive here in non-standalone mode
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(2)
        raise
    sys.exit(exit_code if isinstance(exit_code, int) else 0)


if __name__ == "__main__":
    main()

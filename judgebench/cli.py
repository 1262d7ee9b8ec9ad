"""The `judgebench` command line: typer commands that parse arguments and call the Python API.

No logic lives here. Every user-caused error is a `JudgebenchError`, printed as one line on stderr and
turned into its exit code; a traceback means a bug in judgebench.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

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
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show the local engine's output (vLLM) live."),
) -> None:
    from judgebench.config import load_config
    from judgebench.console import run_and_report

    overrides = dict(questions=questions, answers=answers or None, format=format, references=references,
                     models=model or None, allow_missing=allow_missing, template=template, pairs=pairs,
                     baseline=baseline, opponents=opponents, swap=swap, store=store, out=out, seed=seed,
                     method=method, interval=interval, rounds=rounds, confidence=confidence, progress=progress)
    judge_overrides = dict(preset=judge, engine=engine, model=judge_model, base_url=base_url,
                           api_key_env=api_key_env, concurrency=concurrency)
    exit_code = run_and_report(load_config(config, overrides, judge_overrides), verbose=verbose)
    raise typer.Exit(exit_code)


@app.command(help="List the judge presets usable with --judge.")
def judges(judges_file: Path | None = typer.Option(None, help="Your own presets file (TOML).")) -> None:
    from judgebench.console import print_presets

    print_presets(judges_file)


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
    from judgebench.errors import ConfigError
    from judgebench.leaderboard import build, load_inputs, print_leaderboard, write

    if extra_files and not alpaca_eval:
        raise ConfigError(f"unexpected argument {extra_files[0]} (only --alpaca-eval takes several files)")
    inputs = load_inputs(store=store, alpaca_eval=[*(alpaca_eval or []), *(extra_files or [])], outcomes=outcomes,
                         swap=swap, seed=seed, baseline=baseline, judge=judge, template=template)
    chosen = method or ("winrate" if inputs.kind == "alpaca-eval" and inputs.baseline else "bt")
    board = build(inputs.outcomes, inputs.games, method=chosen, interval=interval, resample=resample,
                  confidence=confidence, rounds=rounds, seed=seed, baseline=inputs.baseline, anchor=anchor,
                  anchor_rating=anchor_rating, scale=scale, k=k_factor, ties=ties, position_effect=position_effect,
                  regularization=regularization, source=inputs.source,
                  meta={"source": inputs.kind, "judge": judge, "template": template,
                        "swap": swap if inputs.kind == "store" else None})
    if out is not None:
        write(board, out)
    if not quiet:
        print_leaderboard(board)
    if regularization is None and board.meta.get("regularization"):
        typer.secho(f"note: maximum-likelihood ratings do not exist (some model won or lost every comparison); "
                    f"ratings use a weak ridge ({board.meta['regularization']}) and are far apart", err=True)


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

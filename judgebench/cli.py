"""The `judgebench` command line: typer commands that parse arguments and call the Python API.

No logic lives here. Every user-caused error is a `JudgebenchError`, printed as one line on stderr and
turned into its exit code; a traceback means a bug in judgebench.
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="judgebench",
    help="Rank language models with an LLM judge: pairwise verdicts, Bradley-Terry/Elo ratings, intervals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console-script entry point: run the app, mapping user errors to one message and an exit code."""
    from judgebench.errors import JudgebenchError

    try:
        app(standalone_mode=False)
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


if __name__ == "__main__":
    main()

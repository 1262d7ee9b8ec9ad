"""judgebench: rank language models with an LLM judge, with honest uncertainty.

The Python API (what the `judgebench` command calls):

- `evaluate(settings) -> Evaluation`: judge what the store lacks, rate, diagnose the judge, account cost;
- `rate(source, settings=None, **options) -> Leaderboard`: rate a run's results folder (as `leaderboard
  --results`), a store, an outcomes file or table, or AlpacaEval annotations;
- `gate(settings, candidate, reference=None, **options) -> CheckReport`: the regression gate of `judgebench
  check` (its report's `to_json()` is what `check --json` writes; the name `check` is the module's);
- `html_report(out, results=... | store=...) -> Report`: the HTML report of `judgebench report`;
- `diagnose(results=... | store=...) -> dict`: the judge's diagnostics of stored judgments (`judgebench
  diagnose`), and `evaluate_gold(settings, gold)`: a judge scored on labelled pairs (`diagnose --gold`);
- `Evaluation` and `Leaderboard` expose DataFrames and `.write(dir)`, which writes the CLI's files.

Names are imported on first use (PEP 562's module `__getattr__`), so that `import judgebench` and
`judgebench --help` stay fast: pandas, numpy and the engines load only when something needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["CheckReport", "Evaluation", "Leaderboard", "diagnose", "evaluate", "evaluate_gold", "gate", "html_report",
           "rate", "__version__"]

if TYPE_CHECKING:
    from judgebench.check import CheckReport, gate
    from judgebench.evaluation import Evaluation, diagnose, evaluate, evaluate_gold, html_report, rate
    from judgebench.leaderboard import Leaderboard

_LAZY = {"Evaluation": "judgebench.evaluation", "evaluate": "judgebench.evaluation",
         "rate": "judgebench.evaluation", "html_report": "judgebench.evaluation", "diagnose": "judgebench.evaluation",
         "evaluate_gold": "judgebench.evaluation",
         "Leaderboard": "judgebench.leaderboard", "gate": "judgebench.check", "CheckReport": "judgebench.check"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'judgebench' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

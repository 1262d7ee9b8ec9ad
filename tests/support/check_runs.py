"""`judgebench check` as its end-to-end tests drive it: questions in two categories, models whose planted
`QUALITY=<n>` markers set how each fares against the reference (the scripted judge server picks the higher),
and the config of a check against that server. Kept here so that the API's tests build the same check as the
CLI's."""

from __future__ import annotations

import json
from pathlib import Path

N = 40  # questions: the first half "math", the second "writing"
MODELS = {
    "base": lambda i: 5,
    "ref": lambda i: 5,
    "same": lambda i: 5,                      # ties the reference everywhere
    "coin": lambda i: 4 if i % 2 else 6,      # beats the reference on half the questions, loses on the rest
    "bad": lambda i: 2,                       # loses everywhere
    "bad_writing": lambda i: 5 if i < N // 2 else 2,  # as good on math, worse on writing
    "mostly": lambda i: 4 if i % 4 == 0 else 6,  # beats the reference on three questions in four
}


def write_data(folder: Path) -> None:
    (folder / "questions.jsonl").write_text("".join(
        json.dumps({"question_id": f"q{i:02d}", "turns": [f"Question number {i}?"],
                    "category": "math" if i < N // 2 else "writing"}) + "\n" for i in range(N)))
    (folder / "answers.jsonl").write_text("".join(
        json.dumps({"question_id": f"q{i:02d}", "model": model, "turns": [f"Answer {i} by {model}. QUALITY={q(i)}"]})
        + "\n" for model, q in MODELS.items() for i in range(N)))


def write_config(folder: Path, base_url: str, name: str = "check.toml", judge: str = "test-judge",
                 template: str = "pairwise-5", models: list[str] | None = None,
                 questions: str = "questions.jsonl", answers: str = "answers.jsonl") -> Path:
    data_models = f"models = {json.dumps(models)}\n" if models else ""
    path = folder / name
    path.write_text(
        f'[data]\nquestions = "{questions}"\nanswers = ["{answers}"]\n{data_models}'
        f'[judge]\nengine = "openai"\nmodel = "{judge}"\nbase_url = "{base_url}"\nconcurrency = 8\n'
        f'max_attempts = 2\ntimeout_s = 5\nprice_in_per_mtok = 1.0\nprice_out_per_mtok = 2.0\n'
        f'[judging]\ntemplate = "{template}"\nbaseline = "base"\n'
        f'[run]\nstore = "store.sqlite"\nout = "reference-run"\nprogress = false\n[ratings]\nrounds = 50\n')
    return path

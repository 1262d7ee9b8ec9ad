"""Benchmark: `judgebench leaderboard` against its peers on one data set, in one run.

Data: 100 models, 1,000,000 outcomes over 2,000 questions (random pairs, Bradley-Terry outcomes with ties),
written as Parquet (question_id, model_a, model_b, winner) in a temporary directory.

Timed, each as a whole process a user would run (start-up, loading the file, fit, intervals):

- judgebench: `judgebench leaderboard --outcomes FILE.parquet --rounds 1000 --out DIR` (Bradley-Terry fit and
  1,000 question-bootstrap replicates; best and median of --repeats runs);
- FastChat's method, re-implemented here: deduplicated (model_a, model_b, outcome) rows with counts, a
  scipy L-BFGS-B fit of the weighted Bradley-Terry loss, and a multinomial bootstrap over battles fitted
  replicate by replicate in a process pool (lm-sys/FastChat, fastchat/serve/monitor/rating_systems.py);
- arena-rank: its Bradley-Terry fit with the sandwich interval (`compute_ratings_and_cis(ci_method="sandwich")`);
- evalica: `evalica.bootstrap(evalica.bradley_terry, ...)` on a few replicates, scaled to 1,000;
- choix: its fastest maximum-likelihood pairwise solver (`ilsr_pairwise_dense`) on the count matrix, for the
  fit alone, next to judgebench's fit alone on the same counts;
- Chatbot Arena's shape (`--part arena`): 200 models, 300,000 battles, each its own question, judgebench's
  1,000 question-bootstrap replicates against FastChat's method with as many;
- style control (`--part style`): the same sizes with answer token, header, list and bold counts and a judge that
  prefers longer answers: `judgebench leaderboard --style-control` with 100 and 1,000 question-bootstrap rounds,
  against arena-hard-auto v2's style control re-implemented here (its features, a dense one-hot design, torch
  L-BFGS per replicate, 100 row-bootstrap rounds; fewer with --arena-hard-rounds, the rest extrapolated).

Every time is printed with its ratio to judgebench's. Peers that are not installed are skipped with a note
(`pip install arena-rank evalica choix`). Run: `.venv/bin/python benchmarks/bench_ratings.py`.
The machine's load average is printed too: the timings are only comparable on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_MODELS = 100
N_OUTCOMES = 1_000_000
N_QUESTIONS = 2_000
ROUNDS = 1_000
TIE_SHARE = 0.25


def make_data(path: Path, seed: int = 0, n_models: int = N_MODELS, n_outcomes: int = N_OUTCOMES,
              n_questions: int | None = N_QUESTIONS) -> None:
    """Random pairs on random questions (None: each outcome its own question, as Chatbot Arena's battles);
    outcomes from Bradley-Terry strengths, a share of them ties."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    strengths = rng.normal(0.0, 0.6, n_models)
    a = rng.integers(0, n_models, n_outcomes)
    b = (a + rng.integers(1, n_models, n_outcomes)) % n_models
    p_a = 1.0 / (1.0 + np.exp(strengths[b] - strengths[a]))
    tie = rng.random(n_outcomes) < TIE_SHARE
    a_wins = rng.random(n_outcomes) < p_a
    winner = np.where(tie, 2, np.where(a_wins, 0, 1))
    names = np.array([f"model-{k:03d}" for k in range(n_models)], dtype=object)
    labels = np.array(["model_a", "model_b", "tie"], dtype=object)
    question = np.arange(n_outcomes) if n_questions is None else rng.integers(0, n_questions, n_outcomes)
    table = pa.table({
        "question_id": np.char.add("question-", question.astype(str)).astype(object),
        "model_a": names[a],
        "model_b": names[b],
        "winner": labels[winner],
    })
    pq.write_table(table, path)


ARENA_MODELS, ARENA_BATTLES = 200, 300_000  # Chatbot Arena's shape: many models, each battle its own question


def arena_benchmark(tmp: Path, judgebench: Path, repeats: int) -> None:
    """`judgebench leaderboard` on battles shaped like Chatbot Arena's (each its own question, so the question
    bootstrap is the battle bootstrap, and the per-question design is sparse), against FastChat's method on the
    same file, with the same number of replicates."""
    data = tmp / "battles.parquet"
    make_data(data, seed=2, n_models=ARENA_MODELS, n_outcomes=ARENA_BATTLES, n_questions=None)
    print(f"arena-shaped data: {ARENA_MODELS} models, {ARENA_BATTLES:,} battles, each its own question; "
          f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}")
    command = [str(judgebench), "leaderboard", "--outcomes", str(data), "--rounds", str(ROUNDS), "--seed", "0",
               "--out", str(tmp / "arena"), "--quiet"]
    times, _ = timed_process(command, repeats)
    ours = min(times)
    board = json.loads((tmp / "arena" / "leaderboard.json").read_text())
    seconds, result = run_peer(FASTCHAT_METHOD, data, tmp / "arena_fastchat.json", str(ROUNDS))
    gap = agreement({m["model"]: m["rating"] for m in board["models"]},
                    dict(zip(result["models"], result["rating"], strict=True)))
    print(f"judgebench leaderboard (fit + {ROUNDS} bootstrap replicates, whole process): best {ours:.1f} s of "
          f"{[round(t, 1) for t in times]}")
    print(f"FastChat's method (re-implemented), fit + {ROUNDS} multinomial replicates: {seconds:.1f} s "
          f"(ratio {seconds / ours:.1f}; ratings differ by at most {gap:.3f} Elo points)")


STYLE_ROUNDS = 100  # arena-hard-auto's default number of bootstrap rounds
STYLE_LENGTH_EFFECT = 0.8  # the simulated judge's preference for the longer answer (log-odds per unit of length)


def make_style_data(path: Path, seed: int = 1) -> None:
    """Like `make_data`, with each model's answer to each question given token, header, list and bold counts
    (columns tokens_a ... bold_b) and a judge that also prefers longer answers."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    strengths = rng.normal(0.0, 0.6, N_MODELS)
    tokens = rng.lognormal(6.0, 0.5, N_MODELS)[None, :] * rng.lognormal(0.0, 0.4, (N_QUESTIONS, N_MODELS))
    markdown = rng.poisson(rng.uniform(0.5, 8.0, (1, N_MODELS, 3)), (N_QUESTIONS, N_MODELS, 3))
    question = rng.integers(0, N_QUESTIONS, N_OUTCOMES)
    a = rng.integers(0, N_MODELS, N_OUTCOMES)
    b = (a + rng.integers(1, N_MODELS, N_OUTCOMES)) % N_MODELS
    length = (tokens[question, a] - tokens[question, b]) / (tokens[question, a] + tokens[question, b])
    p_a = 1.0 / (1.0 + np.exp(strengths[b] - strengths[a] - STYLE_LENGTH_EFFECT * length))
    tie = rng.random(N_OUTCOMES) < TIE_SHARE
    winner = np.where(tie, 2, np.where(rng.random(N_OUTCOMES) < p_a, 0, 1))
    names = np.array([f"model-{k:03d}" for k in range(N_MODELS)], dtype=object)
    labels = np.array(["model_a", "model_b", "tie"], dtype=object)
    questions = np.array([f"question-{k:04d}" for k in range(N_QUESTIONS)], dtype=object)
    columns = {"question_id": questions[question], "model_a": names[a], "model_b": names[b],
               "winner": labels[winner]}
    for side, model in (("a", a), ("b", b)):
        columns[f"tokens_{side}"] = tokens[question, model].round()
        for k, name in enumerate(("headers", "lists", "bold")):
            columns[f"{name}_{side}"] = markdown[question, model, k].astype(float)
    pq.write_table(pa.table(columns), path)


def timed_process(command: list[str], repeats: int = 1) -> tuple[list[float], str]:
    times, output = [], ""
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"{command[:3]} failed:\n{done.stderr[-2000:]}")
        output = done.stdout
    return times, output


# --- peers (each runs as its own process: python -c CODE PARQUET OUT.json) ------------------------------

FASTCHAT_METHOD = r'''
import json, math, os, sys, time
from functools import partial
from multiprocessing import Pool
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

ROUNDS = int(sys.argv[3])


def distinct_battles(frame):
    """Unique (model_a, model_b, outcome) rows and how often each occurs; outcome 1, 0.5 or 0 for model_a."""
    n = len(frame)
    codes, names = pd.factorize(pd.concat([frame["model_a"], frame["model_b"]]))
    table = np.ones((n, 3), dtype=np.int32)
    table[:, 0], table[:, 1] = codes[:n], codes[n:]
    table[frame["winner"].to_numpy() == "model_a", 2] = 2
    table[frame["winner"].to_numpy() == "model_b", 2] = 0
    rows, counts = np.unique(table, axis=0, return_counts=True)
    return rows[:, :2], rows[:, 2] / 2.0, counts.astype(float), list(names)


def loss_and_gradient(ratings, matchups, outcome, weight, alpha):
    logit = alpha * (ratings[matchups[:, 0]] - ratings[matchups[:, 1]])
    p = expit(logit)
    loss = -((outcome * np.log(p) + (1.0 - outcome) * np.log(1.0 - p)) * weight).sum()
    per_row = -alpha * (outcome - p) * weight
    gradient = np.zeros_like(ratings)
    np.add.at(gradient, matchups, per_row[:, None] * np.array([1.0, -1.0]))
    return loss, gradient


def fit(weight, matchups, outcome, n_models, alpha, tol=1e-6):
    result = minimize(loss_and_gradient, np.zeros(n_models), args=(matchups, outcome, weight, alpha), jac=True,
                      method="L-BFGS-B", options={"maxiter": 100, "gtol": tol})
    return result.x


if __name__ == "__main__":
    clock = [time.perf_counter()]
    frame = pd.read_parquet(sys.argv[1])
    clock.append(time.perf_counter())
    matchups, outcome, counts, names = distinct_battles(frame)
    clock.append(time.perf_counter())
    alpha = math.log(10.0)
    ratings = 400.0 * fit(counts, matchups, outcome, len(names), alpha) + 1000.0
    clock.append(time.perf_counter())
    draws = np.random.default_rng(0).multinomial(len(frame), counts / counts.sum(), size=ROUNDS)
    weights = draws.astype(float) / len(frame)
    with Pool(os.cpu_count()) as pool:
        replicates = np.array(list(pool.imap_unordered(
            partial(fit, matchups=matchups, outcome=outcome, n_models=len(names), alpha=alpha), weights)))
    clock.append(time.perf_counter())
    scaled = 400.0 * replicates + 1000.0
    lower, upper = np.percentile(scaled, [2.5, 97.5], axis=0)
    steps = dict(zip(["load", "deduplicate", "fit", "bootstrap"], np.diff(clock).tolist()))
    json.dump({"models": names, "rating": ratings.tolist(), "lower": lower.tolist(), "upper": upper.tolist(),
               "steps": steps}, open(sys.argv[2], "w"))
'''

ARENA_RANK = r'''
import json, sys
import numpy as np
import pandas as pd
from arena_rank.models.bradley_terry import BradleyTerry
from arena_rank.utils.data_utils import PairDataset

frame = pd.read_parquet(sys.argv[1])
dataset = PairDataset.from_pandas(frame)
model = BradleyTerry(n_competitors=len(dataset.competitors))
result = model.compute_ratings_and_cis(dataset, significance_level=0.05, ci_method="sandwich")
json.dump({"models": list(result["competitors"]), "rating": np.asarray(result["ratings"]).tolist(),
           "lower": np.asarray(result["rating_lower"]).tolist(), "upper": np.asarray(result["rating_upper"]).tolist()},
          open(sys.argv[2], "w"))
'''

EVALICA = r'''
import json, sys, time
start = time.perf_counter()
import evalica
import pandas as pd

frame = pd.read_parquet(sys.argv[1])
winners = frame["winner"].map({"model_a": evalica.Winner.X, "model_b": evalica.Winner.Y, "tie": evalica.Winner.Draw})
loaded = time.perf_counter()
evalica.bradley_terry(frame["model_a"], frame["model_b"], winners)
fitted = time.perf_counter()
k = int(sys.argv[3])
evalica.bootstrap(evalica.bradley_terry, frame["model_a"], frame["model_b"], winners, n_resamples=k,
                  bootstrap_method="percentile", random_state=0)
done = time.perf_counter()
json.dump({"load": loaded - start, "fit": fitted - loaded, "bootstrap": done - fitted, "resamples": k},
          open(sys.argv[2], "w"))
'''


ARENA_HARD_STYLE = r'''
# arena-hard-auto v2's style-controlled Bradley-Terry (show_result.py print_leaderboard_with_style_features and
# utils/math_utils.py), re-implemented: the same features, dense design, torch L-BFGS fit and bootstrap over rows.
import json, sys, time
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

start = time.perf_counter()
frame = pd.read_parquet(sys.argv[1])
rounds = int(sys.argv[3])
scores = torch.tensor(frame["winner"].map({"model_a": 1.0, "model_b": 0.0, "tie": 0.5}).to_numpy(),
                      dtype=torch.float32)
model_counts = torch.tensor(frame[["tokens_a", "headers_a", "lists_a", "bold_a"]].to_numpy(), dtype=torch.float32)
other_counts = torch.tensor(frame[["tokens_b", "headers_b", "lists_b", "bold_b"]].to_numpy(), dtype=torch.float32)
features = torch.zeros_like(model_counts)
features[:, 0] = (model_counts[:, 0] - other_counts[:, 0]) / (model_counts[:, 0] + other_counts[:, 0])
model_density = model_counts[:, 1:] / (model_counts[:, :1] + 1)
other_density = other_counts[:, 1:] / (other_counts[:, :1] + 1)
features[:, 1:] = (model_density - other_density) / (model_density + other_density + 1)
features = (features - features.mean(dim=0)) / features.std(dim=0)
names = sorted(set(frame["model_a"]) | set(frame["model_b"]))
index = {name: k for k, name in enumerate(names)}
one_hot = torch.zeros(len(frame), len(names))
rows = torch.arange(len(frame))
one_hot[rows, torch.tensor(frame["model_a"].map(index).to_numpy())] = 1.0
one_hot[rows, torch.tensor(frame["model_b"].map(index).to_numpy())] = -1.0
design = torch.cat([one_hot, features], dim=1)
prepared = time.perf_counter()


def fit(indices):
    x, y = design[indices], scores[indices]
    logits = torch.nn.Parameter(torch.full((design.shape[1],), 0.5))
    optimizer = torch.optim.LBFGS([logits], lr=0.1, max_iter=50, tolerance_grad=1e-9, tolerance_change=1e-9)

    def closure():
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(x @ logits, y, reduction="sum")
        loss.backward()
        return loss

    optimizer.step(closure)
    return logits.detach()


draws = np.random.randint(0, len(frame), size=(rounds, len(frame)))
coefs = torch.stack([fit(torch.from_numpy(draws[r])) for r in range(rounds)])
done = time.perf_counter()
median = coefs.quantile(0.5, dim=0)
json.dump({"models": names, "strengths": median[: len(names)].tolist(), "style": median[len(names):].tolist(),
           "prepare": prepared - start, "bootstrap": done - prepared, "rounds": rounds}, open(sys.argv[2], "w"))
'''


def style_control_benchmark(tmp: Path, judgebench: Path, arena_hard_rounds: int) -> None:
    """Style control with 100 bootstrap rounds: judgebench against arena-hard-auto v2's method, same data."""
    data = tmp / "style.parquet"
    make_style_data(data)
    rows = []
    for rounds in (STYLE_ROUNDS, ROUNDS):
        command = [str(judgebench), "leaderboard", "--outcomes", str(data), "--style-control", "--rounds",
                   str(rounds), "--seed", "0", "--out", str(tmp / f"style{rounds}"), "--quiet"]
        times, _ = timed_process(command)
        rows.append((rounds, times[0]))
        print(f"judgebench leaderboard --style-control --rounds {rounds} (whole process): {times[0]:.2f} s")
    ours = rows[0][1]
    board = json.loads((tmp / f"style{STYLE_ROUNDS}" / "leaderboard.json").read_text())
    if not installed("torch"):
        print("note: torch is not installed: arena-hard-auto's style control not timed")
        return
    k = min(arena_hard_rounds, STYLE_ROUNDS)
    seconds, result = run_peer(ARENA_HARD_STYLE, data, tmp / "arena_hard.json", str(k))
    per_round = result["bootstrap"] / k
    estimate = seconds + (STYLE_ROUNDS - k) * per_round
    how = "measured" if k == STYLE_ROUNDS else f"estimated from {k} rounds ({per_round:.1f} s each)"
    theirs = np.array(result["strengths"]) * 400 / np.log(10)
    mine = np.array([{m["model"]: m["rating"] for m in board["models"]}[name] for name in result["models"]])
    gap = np.max(np.abs((theirs - theirs.mean()) - (mine - mine.mean())))
    print(f"arena-hard-auto v2 style control (re-implemented), {STYLE_ROUNDS} rounds, whole process: "
          f"{estimate:.1f} s ({how}); ratio to judgebench {estimate / ours:.1f}x; length coefficient "
          f"{result['style'][0]:.4f} vs judgebench {board['meta']['style_coefficients']['length']['coefficient']:.4f}; "
          f"ratings differ by at most {gap:.1f} Elo points (theirs: median of {k} row-bootstrap fits)")


def run_peer(code: str, data: Path, out: Path, *extra: str) -> tuple[float, dict]:
    times, _ = timed_process([sys.executable, "-c", code, str(data), str(out), *extra])
    return times[0], json.loads(out.read_text())


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def centred(ratings: dict[str, float]) -> dict[str, float]:
    mean = statistics.fmean(ratings.values())
    return {name: value - mean for name, value in ratings.items()}


def agreement(reference: dict[str, float], other: dict[str, float]) -> float:
    a, b = centred(reference), centred(other)
    return max(abs(a[name] - b[name]) for name in a)


def judgebench_fit_alone(data: Path) -> tuple[float, object, object]:
    """judgebench's Bradley-Terry fit on the counts (no start-up, no file, no intervals), best of 5."""
    from judgebench.datasets.sources import read_outcomes
    from judgebench.ratings import bradley_terry as bt
    from judgebench.ratings.counts import encode_outcomes, pair_counts

    counts = pair_counts(encode_outcomes(read_outcomes(data)))
    best, fit = float("inf"), None
    for _ in range(5):
        start = time.perf_counter()
        fit = bt.fit(counts)
        best = min(best, time.perf_counter() - start)
    return best, counts, fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of the judgebench command (best and median)")
    parser.add_argument("--evalica-resamples", type=int, default=3, help="evalica replicates timed, then scaled")
    parser.add_argument("--part", choices=("all", "plain", "style", "arena"), default="all",
                        help="plain Bradley-Terry against its peers, style control, Chatbot Arena-shaped battles, "
                             "or all three")
    parser.add_argument("--arena-hard-rounds", type=int, default=STYLE_ROUNDS,
                        help="arena-hard-auto style-control rounds timed (fewer: the rest are extrapolated)")
    args = parser.parse_args()
    judgebench = Path(sys.executable).with_name("judgebench")
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if args.part in ("all", "arena"):
            arena_benchmark(tmp, judgebench, args.repeats)
            if args.part == "arena":
                return
        if args.part in ("all", "style"):
            style_control_benchmark(tmp, judgebench, args.arena_hard_rounds)
            if args.part == "style":
                return
        data = tmp / "outcomes.parquet"
        make_data(data)
        print(f"data: {N_MODELS} models, {N_OUTCOMES:,} outcomes, {N_QUESTIONS:,} questions "
              f"({data.stat().st_size / 1e6:.1f} MB Parquet); {os.cpu_count()} CPUs; "
              f"load average before: {os.getloadavg()[0]:.2f}")

        command = [str(judgebench), "leaderboard", "--outcomes", str(data), "--rounds", str(ROUNDS), "--seed", "0",
                   "--out", str(tmp / "judgebench"), "--quiet"]
        times, _ = timed_process(command, args.repeats)
        ours = min(times)
        board = json.loads((tmp / "judgebench" / "leaderboard.json").read_text())
        our_ratings = {m["model"]: m["rating"] for m in board["models"]}
        print(f"judgebench leaderboard (fit + {ROUNDS} question-bootstrap replicates, whole process): "
              f"best {ours:.2f} s, median {statistics.median(times):.2f} s of {len(times)} runs "
              f"{[round(t, 2) for t in times]}")
        rows.append(("judgebench leaderboard, whole process", ours, ""))

        seconds, result = run_peer(FASTCHAT_METHOD, data, tmp / "fastchat.json", str(ROUNDS))
        gap = agreement(our_ratings, dict(zip(result["models"], result["rating"], strict=True)))
        steps = ", ".join(f"{name} {value:.2f} s" for name, value in result["steps"].items())
        rows.append((f"FastChat's method (re-implemented), fit + {ROUNDS} multinomial replicates", seconds,
                     f"{steps}; ratings differ from judgebench's by at most {gap:.3f} Elo points"))
        fastchat_width = statistics.median(np.subtract(result["upper"], result["lower"]))
        command_judgments = [*command[:-2], str(tmp / "judgments"), "--quiet", "--resample", "judgments"]
        timed_process(command_judgments)
        per_judgment = json.loads((tmp / "judgments" / "leaderboard.json").read_text())
        print("median 95% interval width, Elo points: judgebench question bootstrap "
              f"{statistics.median(m['upper'] - m['lower'] for m in board['models']):.1f}, judgebench per-judgment "
              f"bootstrap {statistics.median(m['upper'] - m['lower'] for m in per_judgment['models']):.1f}, "
              f"FastChat's per-battle bootstrap {fastchat_width:.1f}")

        if installed("arena_rank"):
            seconds, result = run_peer(ARENA_RANK, data, tmp / "arena_rank.json")
            gap = agreement(our_ratings, dict(zip(result["models"], result["rating"], strict=True)))
            rows.append(("arena-rank fit + sandwich interval", seconds,
                         f"ratings differ from judgebench's by at most {gap:.3f} Elo points"))
        else:
            print("note: arena-rank is not installed (pip install arena-rank): skipped")

        if installed("evalica"):
            k = args.evalica_resamples
            seconds, result = run_peer(EVALICA, data, tmp / "evalica.json", str(k))
            per_replicate = (result["bootstrap"] - result["fit"]) / k
            estimate = result["load"] + result["fit"] + ROUNDS * per_replicate
            rows.append((f"evalica bootstrap, {ROUNDS} replicates (estimated from {k}: {per_replicate:.2f} s each)",
                         estimate, f"process of {k} replicates took {seconds:.1f} s"))
        else:
            print("note: evalica is not installed (pip install evalica): skipped")

        fit_seconds, counts, fit = judgebench_fit_alone(data)
        if installed("choix"):
            import choix

            matrix = counts.score_matrix()
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                estimate = choix.ilsr_pairwise_dense(matrix)
                best = min(best, time.perf_counter() - start)
            gap = np.max(np.abs((estimate - estimate.mean()) - fit.strengths)) * 400 / np.log(10)
            print(f"fit alone on the count matrix: judgebench {fit_seconds * 1000:.1f} ms, choix ilsr_pairwise_dense "
                  f"{best * 1000:.1f} ms (ratio {best / fit_seconds:.1f}; estimates differ by {gap:.2e} Elo points)")
        else:
            print("note: choix is not installed: fit-alone comparison skipped")

    print(f"\n{'':<4}{'seconds':>9}  {'ratio':>7}  what")
    for name, seconds, note in rows:
        print(f"{'':<4}{seconds:9.2f}  {seconds / ours:7.2f}  {name}" + (f"  ({note})" if note else ""))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Store (a real SQLite file), match plans and configuration (fast tier)."""

from __future__ import annotations

import sqlite3

import pytest

from judgebench.config import load_config, presets
from judgebench.errors import ConfigError, InputError
from judgebench.pairing import plan_pairs, presentation_orders
from judgebench.records import Answer, Dataset, Pair, Question
from judgebench.store import SCHEMA_VERSION, JudgmentRow, Store
from judgebench.verdicts import at_token_limit
from tests.support.stores import keys_a_run_sends


def _row(key, status="ok", p_first=1.0, **extra):
    return JudgmentRow(key=key, question_id="q1", first="a", second="b", judge="j", template="t",
                       status=status, label="[[A>B]]" if status == "ok" else None,
                       p_first=p_first if status == "ok" else None, weight=1.0, **extra)


def test_store_is_wal_versioned_and_keeps_ok_rows(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.put(_row("k1", "failed", error="HTTP 503"))
        store.put(_row("k2", "unparsed", raw="no verdict"))
        store.put(_row("k3"))
        assert keys_a_run_sends(store, ["k1", "k2", "k3", "k4"]) == {"k1", "k2", "k4"}
        store.put(_row("k1"))  # the retry succeeds
        store.put(_row("k3", p_first=0.0))  # an ok row is never overwritten
        store.put(_row("k2", "unparsed"))
        store.put(_row("k2", "unparsed"))
        assert keys_a_run_sends(store, ["k1", "k2", "k3"]) == set()  # k2 gave up after 3
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("SELECT value FROM meta WHERE name='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    rows = dict(raw.execute("SELECT key, attempts FROM judgments"))
    assert rows == {"k1": 2, "k2": 3, "k3": 1}
    assert raw.execute("SELECT p_first FROM judgments WHERE key='k3'").fetchone()[0] == 1.0


def test_a_game_cut_off_at_the_token_limit_is_not_sent_again(tmp_path):
    """An unparsed game whose output the judge's token limit ended is not asked again with the same request (it
    would be cut off again, billed in full); one whose finished output held no verdict is, and a failed one."""
    with Store(tmp_path / "s.sqlite") as store:
        store.put(_row("cut", "unparsed", raw="<think>so maybe", error=at_token_limit(1024)))
        store.put(_row("said", "unparsed", raw="Both are fine.", error="no verdict of the template 't'"))
        store.put(_row("failed", "failed", error="HTTP 503"))
        assert store.cut_off(["cut", "said", "failed", "new"]) == {"cut"}
        assert keys_a_run_sends(store, ["cut", "said", "failed", "new"]) == {"said", "failed", "new"}


def test_store_rejects_other_schema_and_non_sqlite(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE meta SET value='99' WHERE name='schema_version'")
    raw.commit()
    with pytest.raises(InputError, match="schema version 99"):
        Store(path)
    junk = tmp_path / "junk.sqlite"
    junk.write_text("this is not a database" * 100)
    with pytest.raises(InputError, match="not a judgebench store"):
        Store(junk)
    with pytest.raises(InputError, match="store not found"):
        Store(tmp_path / "missing.sqlite", must_exist=True)


def test_store_games_refuses_to_mix_judges(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        store.put(_row("k1"))
        store.put(JudgmentRow(key="k2", question_id="q1", first="b", second="a", judge="other", template="t",
                              status="ok", label="x", p_first=0.0, weight=1.0))
        with pytest.raises(InputError, match=r"several judges \(j, other\) \(choose one with --judge-model\)"):
            store.games()
        assert len(store.games(judge="j")) == 1


def _dataset(models=("a", "b", "c", "d"), questions=("q1", "q2", "q3")):
    qs = {q: Question(q, ("?",)) for q in questions}
    answers = {(q, m): Answer(q, m, ("x",)) for q in questions for m in models}
    return Dataset(qs, answers, sorted(models))


def test_pairing_modes():
    data = _dataset()
    baseline = plan_pairs(data, "baseline", baseline="a")
    assert len(baseline) == 9 and {p.model_b for p in baseline} == {"a"}
    assert len(plan_pairs(data, "all")) == 3 * 6
    sampled = plan_pairs(data, "sample", opponents=1, seed=7)
    assert sampled == plan_pairs(data, "sample", opponents=1, seed=7)  # deterministic
    assert any(plan_pairs(data, "sample", opponents=1, seed=s) != sampled for s in range(1, 6))
    for q in ("q1", "q2", "q3"):  # every model plays at least once per question
        played = {m for p in sampled if p.question_id == q for m in (p.model_a, p.model_b)}
        assert played == {"a", "b", "c", "d"}
    with pytest.raises(ConfigError, match="needs a baseline"):
        plan_pairs(data, "baseline")
    with pytest.raises(ConfigError, match="'zz' has no answers"):
        plan_pairs(data, "baseline", baseline="zz")
    assert len(plan_pairs(data, "sample", opponents=3)) == 3 * 6  # every other model: every pair
    # more opponents than there are models judged every pair without a word
    with pytest.raises(ConfigError, match=r"^opponents is 4, but each model has 3 others to meet: set \[judging\] "
                                          r"opponents = 3 or fewer \(3 judges every pair\), or \[judging\] pairs = "):
        plan_pairs(data, "sample", opponents=4)


def test_presentation_orders():
    pair = Pair("q1", "m", "base")
    assert presentation_orders(pair, "both") == [("m", "base"), ("base", "m")]
    singles = {presentation_orders(pair, "random-one", seed=s)[0] for s in range(30)}
    assert singles == {("m", "base"), ("base", "m")}


def test_config_file_overrides_and_errors(tmp_path):
    config_file = tmp_path / "run.toml"
    config_file.write_text('[data]\nquestions = "q.jsonl"\nanswers = ["a.jsonl"]\n'
                           '[judge]\nmodel = "gpt-x"\nbase_url = "http://127.0.0.1:1/v1"\n'
                           '[judging]\nbaseline = "b"\nswap = "consistent"\n')
    config = load_config(config_file, {"swap": "both", "seed": None})
    assert config.questions == tmp_path / "q.jsonl"  # relative to the config file
    assert config.swap == "both" and config.seed == 0
    assert config.judge.model == "gpt-x" and config.judge.engine == "openai"
    bad = tmp_path / "bad.toml"
    bad.write_text('[judging]\nswop = "both"\n')
    with pytest.raises(ConfigError, match=r"bad.toml: \[judging\] unknown setting 'swop'; did you mean 'swap'\?"):
        load_config(bad)
    with pytest.raises(ConfigError, match=r'\[judging\] swap: expected one of .*, got "sideways"'):
        load_config(config_file, {"swap": "sideways"})
    with pytest.raises(ConfigError, match="unknown judge preset 'nobody'"):
        load_config(config_file, judge_overrides={"preset": "nobody"})
    with pytest.raises(ConfigError, match="not valid TOML"):
        (tmp_path / "broken.toml").write_text("[data\n")
        load_config(tmp_path / "broken.toml")


def test_presets_default_embedded_and_user_file(tmp_path):
    assert presets()["embedded"]["embedded"] is True
    config = load_config(None, {"questions": tmp_path / "q", "answers": [tmp_path / "a"]})
    assert config.judge.preset == "embedded" and config.judge.engine == "vllm"
    mine = tmp_path / "judges.toml"
    mine.write_text('[house]\nengine = "openai"\nmodel = "house-judge"\nbase_url = "http://127.0.0.1:9/v1"\n')
    config = load_config(None, {"questions": tmp_path / "q", "answers": [tmp_path / "a"], "judges_file": mine},
                         {"preset": "house", "concurrency": 3})
    assert (config.judge.model, config.judge.concurrency) == ("house-judge", 3)


def test_shortening_cuts_the_longer_answer_first_and_marks_each_cut_turn():
    from judgebench.runner import TRUNCATION_MARK, _shorten_pair

    long, short = Answer("q", "a", ("x" * 1000,)), Answer("q", "b", ("y" * 100,))
    cut_long, cut_short = _shorten_pair(long, short, 500)
    assert cut_short == short  # the longer answer absorbs the whole cut
    assert cut_long.turns[0] == "x" * 500 + TRUNCATION_MARK
    both_a, both_b = _shorten_pair(long, short, 1000)  # past equal lengths, the rest is split evenly
    assert [len(t.removesuffix(TRUNCATION_MARK)) for t in both_a.turns + both_b.turns] == [50, 50]
    two_turns = Answer("q", "c", ("a" * 300, "b" * 100))
    shortened, _ = _shorten_pair(two_turns, Answer("q", "d", ("z",)), 200)
    assert [len(t.removesuffix(TRUNCATION_MARK)) for t in shortened.turns] == [150, 50]  # in proportion
    again, _ = _shorten_pair(shortened, Answer("q", "d", ("z",)), 100)  # a second cut replaces the mark
    assert [t.count(TRUNCATION_MARK) for t in again.turns] == [1, 1]

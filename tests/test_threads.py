"""The BLAS threads a run trains on: the rule by model size, and what wins over it."""
import os
import subprocess
import sys

import pytest
from helpers import run_cli

from rnncore import Embedding, Network, parse_layers, threads
from rnncore.replay import Replayer
from rnncore.threads import blas_threads, set_blas_threads, threads_for, use_threads
from rnnviz.__main__ import parse_args, threads_asked
from rnnviz.lab import Lab
from rnnviz.replaylab import ReplayLab
from rnnviz.session import Session


@pytest.fixture(autouse=True)
def restored_threads(monkeypatch):
    for name in threads.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    before = blas_threads()
    yield
    if before:
        set_blas_threads(before)


def net(layers: str) -> Network:
    return Network(10, [Embedding(4), *parse_layers(layers)])


@pytest.mark.parametrize("layers, expected", [
    ("rnn:64", 1), ("rnn:128", 1), ("rnn:256", 2), ("lstm:64", 1), ("lstm:128", 2), ("gru:128", 1),
    ("gru:148", 2), ("rnn:256,rnn:8", 2), ("dense:512,rnn:8", 1),
])
def test_two_threads_from_a_recurrence_of_256x256_weights(layers, expected):
    assert threads_for(net(layers)) == expected


def test_one_core_means_one_thread(monkeypatch):
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 1)
    assert threads_for(net("rnn:512")) == 1


def test_the_option_wins_over_the_rule_and_the_environment_over_both(monkeypatch):
    assert use_threads([net("rnn:256")]) == "2 BLAS thread(s), for this model's size" and blas_threads() == 2
    assert use_threads([net("rnn:8")]) == "1 BLAS thread(s), for this model's size" and blas_threads() == 1
    assert use_threads([net("rnn:8")], asked=2) == "2 BLAS thread(s), from --threads" and blas_threads() == 2
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert use_threads([net("rnn:256")]).endswith("from the environment") and blas_threads() == 2  # untouched


def test_rnncore_train_says_how_many_threads_it_trains_on(capsys):
    code, out, _ = run_cli(capsys, "train", "--steps", "1", "--layers", "rnn:8", "--threads", "2")
    assert code == 0 and "2 BLAS thread(s), from --threads" in out


def test_the_app_sizes_threads_for_its_largest_run_again_when_a_run_changes():
    lab = Lab(Session(data="xor", layers="rnn:8"))
    assert blas_threads() == 1 and lab.threads_note.endswith("for this model's size")
    lab.add(lab.built(lab.session.model.changed(layers="rnn:256"), seed=0))
    lab.step()  # the training thread sets them, between steps
    assert blas_threads() == 2
    lab.close()
    lab.step()
    assert blas_threads() == 1


def test_a_recording_lab_keeps_its_threads(tmp_path):
    lab = Lab(Session(data="xor", layers="rnn:8"))
    lab.record(tmp_path / "session.jsonl", blas_threads())
    lab.add(lab.built(lab.session.model.changed(layers="rnn:256"), seed=0))
    lab.step()
    assert blas_threads() == 1
    lab.end()


def test_a_replay_in_the_app_runs_on_the_threads_it_was_recorded_with(tmp_path):
    lab = Lab(Session(data="xor", layers="rnn:8"))
    lab.record(tmp_path / "session.jsonl", blas_threads=2)
    lab.step()
    lab.end()
    set_blas_threads(1)
    ReplayLab(Replayer(tmp_path / "session.jsonl"))
    assert blas_threads() == 2


def test_the_app_started_as_its_command_applies_the_rule_not_a_default_of_its_own():
    """rnnviz once put OPENBLAS_NUM_THREADS=1 in its environment on import: the rule then took it for the user's
    choice, and every model trained on one thread."""
    env = {k: v for k, v in os.environ.items() if k not in threads.ENVIRONMENT}
    code = ("import os; os.cpu_count = lambda: 2; "  # as on the 2-core machines the rule was measured on
            "import rnnviz.__main__ as m; from rnncore.threads import blas_threads; "
            "lab = m.lab_from_args(m.checked_args(['--data', 'xor', '--layers', 'rnn:256'])); "
            "print(lab.threads_note, blas_threads())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "2 BLAS thread(s), for this model's size 2"


def test_a_served_tab_trains_on_one_thread_unless_told_otherwise():
    app = ["--data", "xor", "--layers", "rnn:256"]
    assert threads_asked(parse_args(app)) is None  # the rule: two for this model
    assert threads_asked(parse_args([*app, "--served-from", "/srv/class"])) == 1
    assert threads_asked(parse_args([*app, "--threads", "2", "--served-from", "/srv/class"])) == 2

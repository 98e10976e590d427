"""Runs side by side, session records and their replay, the charts' data as CSV: no screen."""
import csv
import json

import numpy as np
import pytest
from helpers import run_cli, same_params

from rnncore.record import CHECKSUM_EVERY, RecordError, read
from rnncore.replay import Replayer, replay
from rnnviz.lab import MAX_RUNS, Lab
from rnnviz.replaylab import ReplayLab
from rnnviz.session import Session

pytestmark = pytest.mark.ui  # the app's own logic (rnnviz), with its other tests


def steps(lab, n):
    for _ in range(n):
        lab.step()


def small(**model):
    return Session(**{"data": "toy", "embed": 8, "layers": "rnn:16", **model})


def recorded_session(path, tmp_path) -> Lab:
    """Two runs with every kind of change a person makes, recorded."""
    lab = Lab(small())
    lab.record(path)
    steps(lab, 7)
    lab.session.configure("lr", "0.03")
    steps(lab, 5)
    lab.session.rollback()
    lab.fork()  # run 2 goes on from here
    lab.session.configure("batch_size", "1")
    lab.session.configure("schedule", "cosine")
    steps(lab, CHECKSUM_EVERY + 3)  # a checksum on the way
    lab.current = 0
    lab.session.reset_weights()
    steps(lab, 4)
    lab.session.save(tmp_path / "mid.npz")
    lab.current = 1
    lab.session.load(tmp_path / "mid.npz")
    steps(lab, 6)
    lab.end()
    return lab


def test_a_recorded_session_replays_to_the_same_weights_bit_for_bit(tmp_path):
    lab = recorded_session(tmp_path / "s.jsonl", tmp_path)
    header, events = read(tmp_path / "s.jsonl")
    kinds = [e["event"] for e in events]
    for kind in ("start", "configure", "rollback", "fork", "checksum", "reset", "load", "end"):
        assert kind in kinds, kind
    drifts = []
    replayed = replay(tmp_path / "s.jsonl", on_drift=lambda run, step: drifts.append((run, step)))
    assert drifts == []
    for session in lab.runs:
        trainer = replayed.trainers[session.run_id]
        assert trainer.step == session.trainer.step and trainer.config == session.config
        assert same_params(trainer.net.params, session.net.params)
        assert same_params(trainer.optimizer.state, session.trainer.optimizer.state)


def test_a_replay_that_drifts_says_where_and_goes_on(tmp_path, capsys):
    path = tmp_path / "s.jsonl"
    recorded_session(path, tmp_path)
    lines = path.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if '"checksum"' in line)
    lines[first] = lines[first].replace('"sha256": "', '"sha256": "0')[:-2] + '"}'
    path.write_text("\n".join(lines) + "\n")
    drifted, heard = json.loads(lines[first]), []
    replayed = replay(path, on_drift=lambda run, step: heard.append((run, step)))
    assert heard == [(drifted["run"], drifted["step"])]
    assert {run: t.step for run, t in replayed.trainers.items()} == {  # it went on to the end
        run: t.step for run, t in replay(path, on_drift=lambda *_: None).trainers.items()}
    code, out, err = run_cli(capsys, "replay", path)
    assert code == 1 and f"run {drifted['run']} drifted at step {drifted['step']}" in err


BAD_LINES = {  # what is done to a good record -> the words of the error
    "truncated": (lambda lines: lines[:-1] + [lines[-1][:len(lines[-1]) // 2]], "not a JSON object"),
    "unknown field": (lambda lines: [lines[0], lines[1][:-1] + ', "colour": "red"}', *lines[2:]],
                      "unknown field 'colour' in a start event"),
    "bad value": (lambda lines: [lines[0], lines[1].replace('"run": 0', '"run": "zero"'), *lines[2:]],
                  "field 'run' must be an integer"),
    "newer version": (lambda lines: [lines[0].replace('"version": 1', '"version": 2'), *lines[1:]],
                      "format version 2; this rnncore reads version 1"),
    "bad setting": (lambda lines: [*lines[:2], lines[2].replace('"lr": 0.03', '"lr": -1'), *lines[3:]],
                    "lr must be"),
}


@pytest.mark.parametrize("kind", BAD_LINES)
def test_a_bad_record_is_one_line_naming_its_line_and_the_last_checkpoint_survives(kind, tmp_path, capsys):
    path, kept = tmp_path / "s.jsonl", tmp_path / "kept.npz"
    lab = Lab(small())
    lab.record(path)
    steps(lab, 3)
    lab.session.configure("lr", "0.03")
    steps(lab, 2)
    lab.end()
    lab.session.save(kept)
    before = kept.read_bytes()
    edit, says = BAD_LINES[kind]
    path.write_text("\n".join(edit(path.read_text().splitlines())) + "\n")
    with pytest.raises(RecordError, match=says):
        replay(path)
    code, _, err = run_cli(capsys, "replay", path, "--save", kept)
    assert code == 2 and err.count("\n") == 1 and f"{path}:" in err and says.split(" (")[0] in err
    assert kept.read_bytes() == before


def test_a_record_whose_text_file_is_gone_says_so(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("the cat sat on the mat. " * 20)
    lab = Lab(small(data=str(text)))
    lab.record(tmp_path / "s.jsonl")
    steps(lab, 2)
    lab.end()
    text.unlink()
    with pytest.raises(RecordError, match=r"s.jsonl:2: cannot replay this start event: .*notes.txt: cannot read it"):
        replay(tmp_path / "s.jsonl")


def test_recording_a_run_that_has_trained_starts_it_from_a_checkpoint_beside_the_record(tmp_path):
    lab = Lab(small())
    steps(lab, 9)
    lab.record(tmp_path / "late.jsonl")
    steps(lab, 4)
    lab.end()
    assert (tmp_path / "late.run0.1.npz").is_file()
    assert same_params(replay(tmp_path / "late.jsonl").trainers[0].net.params, lab.session.net.params)


def test_a_replay_lab_shows_the_record_step_by_step_with_the_same_charts(tmp_path):
    lab = Lab(small())
    lab.record(tmp_path / "s.jsonl")
    steps(lab, 6)
    lab.session.configure("lr", "0.03")
    steps(lab, 4)
    lab.session.rollback()
    lab.fork()
    lab.session.configure("l2", "0")
    steps(lab, 5)
    lab.end()
    shown = ReplayLab(Replayer(tmp_path / "s.jsonl"))
    while shown.step():
        pass
    assert [s.run_id for s in shown.runs] == [s.run_id for s in lab.runs] and shown.drifts == []
    for mine, theirs in zip(shown.runs, lab.runs, strict=True):
        assert same_params(mine.net.params, theirs.net.params)
        ours, live = mine.history.snapshot(), theirs.history.snapshot()
        assert (ours.steps, ours.loss, ours.eval_accuracy) == (live.steps, live.loss, live.eval_accuracy)
        assert [label for _, label in ours.markers] == [label for _, label in live.markers]
    assert [label for _, label in shown.runs[1].history.snapshot().markers] == ["lr=0.03", "rollback to 0, l2=0"]


def test_runs_fork_part_and_are_told_apart(tmp_path):
    lab = Lab(small())
    steps(lab, 5)
    lab.fork()
    assert lab.labels() == ["run 1", "run 2"]  # as the header counts them
    lab.session.configure("lr", "0.003")
    steps(lab, 20)
    first, second = lab.runs
    assert first.trainer.step == second.trainer.step == 25
    assert not same_params(first.net.params, second.net.params)  # the curves part
    assert lab.labels() == ["lr=0.01", "lr=0.003"]
    assert second.history.snapshot().steps[:5] == first.history.snapshot().steps[:5]  # the shared past
    for _ in range(MAX_RUNS - 2):
        lab.fork()
    with pytest.raises(ValueError, match=f"at most {MAX_RUNS} runs"):
        lab.fork()
    lab.close()
    assert len(lab.runs) == MAX_RUNS - 1 and lab.current == MAX_RUNS - 2
    lab.new_run(lab.session.model.__class__("toy", 8, "gru:6"), seed=1)
    assert lab.labels()[-1].startswith("gru:6")


def test_the_charts_data_exports_as_csv_that_reads_back(tmp_path):
    lab = Lab(small())
    steps(lab, 12)
    lab.session.configure("lr", "0.02")
    lab.fork()
    steps(lab, 8)
    rows = lab.export_csv(tmp_path / "m.csv")
    with open(tmp_path / "m.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == rows and list(table[0]) == ["run", "step", "cost", "eval_cost", "accuracy", "memory_use",
                                                     "reach", "lr", "marker"]
    assert {row["run"] for row in table} == {"run 1", "run 2"}
    marked = [row for row in table if row["marker"]]
    assert [(row["run"], row["step"], row["marker"]) for row in marked] == [("run 1", "12", "lr=0.02"),
                                                                             ("run 2", "12", "lr=0.02")]
    evaluated = [row for row in table if row["accuracy"]]
    assert evaluated and all(0 <= float(row["accuracy"]) <= 1 and float(row["eval_cost"]) > 0 for row in evaluated)
    assert all(row["memory_use"] == "" for row in table)  # toy has no targets where memory matters
    assert all(float(row["lr"]) in (0.01, 0.02) for row in table if row["cost"])


def test_the_export_holds_each_reach_the_view_measured(tmp_path):
    lab = Lab(small(data="anbn:10", layers="lstm:8"))
    lab.new_run(lab.session.model, seed=1)
    steps(lab, 3)
    first = lab.reaches()
    steps(lab, 2)
    lab.reaches()
    lab.reaches()  # the same weights: measured once
    lab.export_csv(tmp_path / "m.csv")
    with open(tmp_path / "m.csv", newline="") as f:
        table = [row for row in csv.DictReader(f) if row["reach"]]
    assert [(row["run"], row["step"]) for row in table] == [("seed=0", "3"), ("seed=0", "5"), ("seed=1", "3"),
                                                            ("seed=1", "5")]
    assert table[2]["reach"] == str(first[0][2].largest)  # run 1 is current: first


def test_train_logs_every_step_as_csv(tmp_path, capsys):
    code, _, _ = run_cli(capsys, "train", "--data", "toy", "--embed", 4, "--layers", "rnn:4", "--steps", 12,
                         "--eval-every", 4, "--log", tmp_path / "m.csv", "--record", tmp_path / "s.jsonl",
                         "--save", tmp_path / "m.npz")
    with open(tmp_path / "m.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert code == 0 and [int(row["step"]) for row in table] == list(range(1, 13))
    assert [row["step"] for row in table if row["accuracy"]] == ["4", "8", "12"]
    code, out, _ = run_cli(capsys, "replay", tmp_path / "s.jsonl", "--save", tmp_path / "again.npz")
    from rnncore import load
    again, saved = load(tmp_path / "again.npz"), load(tmp_path / "m.npz")
    assert code == 0 and all(np.array_equal(again.net.params[k], saved.net.params[k]) for k in saved.net.params)

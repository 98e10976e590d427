"""Records that cannot be replayed say so in one line naming the line, before any training where that can be known
(issue 26: items 1, 2 and 3, the bounded steps, the BLAS threads, the messages)."""
import json
import os

import pytest
from helpers import run_cli

from rnncore import files
from rnncore.record import CHECKSUM_EVERY, MAX_RUN, read
from rnncore.threads import blas_threads, set_blas_threads
from rnnviz.__main__ import StartError, checked_args, lab_from_args
from rnnviz.lab import MAX_RUNS, Lab
from rnnviz.session import Session

pytestmark = pytest.mark.ui  # rnnviz's --replay beside rnncore's


@pytest.fixture(autouse=True)
def restored_threads():
    """A replay takes its record's BLAS threads; the tests after it in this process keep theirs."""
    before = blas_threads()
    yield
    if before:
        set_blas_threads(before)


@pytest.fixture
def record(tmp_path, capsys):
    """A good record of 12 steps of toy, as lines of JSON objects."""
    path = tmp_path / "s.jsonl"
    assert run_cli(capsys, "train", "--data", "toy", "--embed", 4, "--layers", "rnn:4", "--steps", 12,
                   "--record", path)[0] == 0
    return path


def lines_of(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path, lines: list[dict]):
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def refused_everywhere(capsys, path, says: str, line: int):
    """`rnncore replay` and `rnnviz --replay` both refuse `path` in one line naming `line`, before any training."""
    code, out, err = run_cli(capsys, "replay", path)
    assert code == 2 and err.count("\n") == 1 and f"{path}:{line}: " in err and says in err, err
    assert "run 0: step" not in out
    with pytest.raises(StartError, match=f"{path}:{line}: .*{says}"):
        lab_from_args(checked_args(["--replay", str(path)]))


# --- 1. an event that fails partway -----------------------------------------------------------------------
def test_a_configure_the_trainer_refuses_is_one_line(record, capsys):
    start, *rest = lines_of(record)[1:]
    configure = {"event": "configure", "run": 0, "step": 5, "changes": {"batch_size": 0}}
    write(record, [lines_of(record)[0], start, configure, *rest])
    refused_everywhere(capsys, record, "batch must be an integer from 1 to 4096, got 0", 3)


def test_a_fork_of_a_missing_run_is_one_line(record, capsys):
    header, start, *rest = lines_of(record)
    write(record, [header, start, {"event": "fork", "run": 1, "step": 4, "parent": 7}, *rest])
    refused_everywhere(capsys, record, "run 7 has no start event before it, or it has ended", 3)


def test_a_step_out_of_order_is_one_line(record, capsys):
    header, start, end = lines_of(record)
    write(record, [header, start, {"event": "pause", "run": 0, "step": 8}, {**end, "step": 6}])
    refused_everywhere(capsys, record, "run 0 is at step 8 already, past the event's step 6", 4)


# --- 2. the runs of a record are those alive at once ------------------------------------------------------
def test_forking_and_closing_many_times_while_recording_replays(tmp_path, capsys):
    lab = Lab(Session(data="toy", embed=4, layers="rnn:4"))
    lab.record(tmp_path / "s.jsonl")
    for _ in range(MAX_RUN + 1):
        lab.step()
        lab.fork()
        lab.step()
        lab.close()
    lab.end()
    _, events = read(tmp_path / "s.jsonl")
    assert max(event["run"] for event in events) < MAX_RUNS
    code, _, err = run_cli(capsys, "replay", tmp_path / "s.jsonl")
    assert code == 0 and err == ""


def test_a_record_of_more_runs_at_once_than_the_app_shows_is_refused_by_the_app_alone(record, capsys):
    header, start, end = lines_of(record)
    forks = [{"event": "fork", "run": run, "step": 0, "parent": 0} for run in range(1, MAX_RUNS + 1)]
    write(record, [header, start, *forks, end])
    assert run_cli(capsys, "replay", record)[0] == 0
    with pytest.raises(StartError, match=f"{MAX_RUNS + 1} runs at once; the app shows at most {MAX_RUNS}"):
        lab_from_args(checked_args(["--replay", str(record)]))


# --- 3. integers too large for a float --------------------------------------------------------------------
@pytest.mark.parametrize("setting", ["lr", "decay_steps", "clip"])  # clip: a range with no top
def test_an_integer_too_large_for_a_float_is_a_setting_refused(record, capsys, setting):
    header, start, *rest = lines_of(record)
    write(record, [header, start, {"event": "configure", "run": 0, "step": 1, "changes": {setting: 10**400}},
                   *rest])
    refused_everywhere(capsys, record, "must be", 3)
    write(record, [header, {**start, "config": {**start["config"], setting: 10**400}}, *rest])
    refused_everywhere(capsys, record, "must be", 2)


# --- steps bounded by the events, progress, threads -------------------------------------------------------
def test_a_record_asks_only_for_the_steps_its_events_need(record, capsys):
    header, start, end = lines_of(record)
    write(record, [header, start, {"event": "checksum", "run": 0, "step": 2**63 - 1, "sha256": "0" * 64}])
    refused_everywhere(capsys, record, f"without the checksum of step {CHECKSUM_EVERY}", 3)
    write(record, [header, start, {**end, "step": CHECKSUM_EVERY + 1}])
    refused_everywhere(capsys, record, f"from step 0 to {CHECKSUM_EVERY + 1} without the checksum", 3)


def test_replay_shows_its_progress_through_the_events(tmp_path, capsys):
    path = tmp_path / "s.jsonl"
    lab = Lab(Session(data="toy", embed=4, layers="rnn:4"))
    lab.record(path)
    for rate in range(1, 301):
        lab.session.configure("lr", f"{rate / 1000:g}")  # 300 configure events, one a step
        lab.step()
    lab.end()
    code, out, _ = run_cli(capsys, "replay", path)
    events = len(read(path)[1])
    assert code == 0 and f"event {events} of {events}" in out and "run 0 at step 300" in out


def test_more_blas_threads_than_the_machine_has_are_clamped_and_said(record, capsys):
    header, *rest = lines_of(record)
    write(record, [{**header, "blas_threads": 1024}, *rest])
    code, out, _ = run_cli(capsys, "replay", record)
    cores = len(os.sched_getaffinity(0))
    assert code == 0 and f"made on 1024 BLAS threads; this machine has {cores} core(s), so it replays on {cores}" in out
    lab = lab_from_args(checked_args(["--replay", str(record)]))  # the app says it at the replay's end
    assert f"made on 1024 BLAS threads; this machine has {cores} core(s)" in lab.fewer_threads
    assert (blas_threads() or 1) <= cores


# --- messages -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("edit, says", [
    (lambda start: {**start, "data": {}}, "field 'data.name' is missing"),
    (lambda start: {**start, "data": {"path": "x.txt"}}, "field 'data.sha256' is missing"),
    (lambda start: {**start, "model": {**start["model"], "embed": 0}}, "embed must be an integer from 1"),
])
def test_a_start_that_is_no_such_thing_is_named_by_its_field(record, capsys, edit, says):
    header, start, *rest = lines_of(record)
    write(record, [header, edit(start), *rest])
    refused_everywhere(capsys, record, says, 2)


def test_a_number_of_5000_digits_names_its_line(record, capsys):
    text = record.read_text().splitlines()
    text.insert(2, '{"event": "configure", "run": 0, "step": 1, "changes": {"lr": ' + "1" * 5000 + "}}")
    record.write_text("\n".join(text) + "\n")
    refused_everywhere(capsys, record, "holds a number of more than 4,300 digits", 3)


def test_a_record_is_a_bounded_regular_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(files.LIMITS, "record", 1000)
    write(tmp_path / "big.jsonl", [{"format": "rnncore-record", "version": 1, "pad": "x" * 1000}])
    code, _, err = run_cli(capsys, "replay", tmp_path / "big.jsonl")
    assert code == 2 and err.count("\n") == 1
    assert "big.jsonl: cannot read it (1.1 kB; a session record is at most 1.0 kB)" in err


# --- held (the end): every other malformed record is one line naming its line -----------------------
@pytest.mark.parametrize("edit, line, says", [
    (lambda header, start, end: [header, start, {**end, "step": 1e308}], 3, "field 'step' must be an integer"),
    (lambda header, start, end: [header, start, {**end, "step": 10**400}], 3, "field 'step' is out of range"),
    (lambda header, start, end: [header, start, {**end, "run": -1}], 3, "field 'run' is out of range"),
    (lambda header, start, end: [header, start, {**end, "run": MAX_RUN}], 3, "field 'run' is out of range"),
    (lambda header, start, end: [header, start, {"event": "explode", "run": 0, "step": 1}, end], 3,
     "field 'event' must be one of"),
    (lambda header, start, end: [header, start, end, end], 4, "run 0 has no start event before it, or it has ended"),
])
def test_every_other_malformed_record_is_still_one_line(record, capsys, edit, line, says):
    write(record, edit(*lines_of(record)))
    refused_everywhere(capsys, record, says, line)


def test_a_record_behind_a_byte_order_mark_is_one_line(record, capsys):
    record.write_bytes(b"\xef\xbb\xbf" + record.read_bytes())
    refused_everywhere(capsys, record, "not a JSON object", 1)

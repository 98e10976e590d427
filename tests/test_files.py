"""rnncore.files, the one door for files: what it reads (a regular file of a bounded size), how it writes (atomic,
never through a symlink, never over an input or another output), and the QA findings of issue 26 it closes on the
command line: /dev/zero by other routes (6) and the same file as input and output (10)."""
import hashlib
import json
import os
import resource
import subprocess
import sys

import numpy as np
import pytest
from helpers import run_cli

from rnncore import RNN, Embedding, Network, files, save
from rnncore.files import FileError
from rnnviz.__main__ import checked_args, lab_from_args

TEXT = "the cat sat on the mat. " * 20


def net():
    return Network(10, [Embedding(2), RNN(3)], seed=1)


# --- reading: a regular file of a bounded size, checked before a byte is read ------------------------------
@pytest.mark.parametrize("make, says", [
    (lambda p: p.mkdir(), "a directory, not a regular file"),
    (lambda p: os.mkfifo(p), "a FIFO, not a regular file"),  # opened without waiting for a writer
    (lambda p: p.symlink_to("/dev/zero"), "a character device, not a regular file"),
    (lambda p: None, "no such file"),
])
def test_only_a_regular_file_is_read(tmp_path, make, says):
    path = tmp_path / "in"
    make(path)
    for kind in ("checkpoint", "record", "text"):
        with pytest.raises(FileError, match=f"^{path}: cannot read it \\({says}"):
            files.read_input(path, kind)


def test_a_file_larger_than_its_kind_allows_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setitem(files.LIMITS, "record", 100)
    (tmp_path / "big.jsonl").write_bytes(b"x" * 101)
    (tmp_path / "small.jsonl").write_bytes(b"x" * 100)
    with pytest.raises(FileError, match=r"big.jsonl: cannot read it \(101 bytes; a session record is at most 100"):
        files.read_input(tmp_path / "big.jsonl", "record")
    assert files.read_input(tmp_path / "small.jsonl", "record") == b"x" * 100


def limited_run(*argv, cwd=None):
    """A command in a process that may take 2 GB and 60 s: reading /dev/zero through would fail it."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    return subprocess.run([sys.executable, "-m", *map(str, argv)], capture_output=True, text=True, timeout=60,
                          preexec_fn=limit, cwd=cwd)


def test_dev_zero_as_a_record_is_one_line_and_exit_2():
    done = limited_run("rnncore", "replay", "/dev/zero")
    assert done.returncode == 2
    assert done.stderr == "rnncore: error: /dev/zero: cannot read it (a character device, not a regular file)\n"


def test_dev_zero_as_a_records_data_is_one_line_and_exit_2(tmp_path):
    record = tmp_path / "s.jsonl"
    start = {"event": "start", "run": 0, "step": 0, "data": {"path": "/dev/zero", "sha256": "0" * 64},
             "model": {"data": "/dev/zero", "embed": 4, "layers": "rnn:4"}, "config": {}}
    record.write_text(json.dumps({"format": "rnncore-record", "version": 1, "blas_threads": None}) + "\n" +
                      json.dumps(start) + "\n")
    done = limited_run("rnncore", "replay", record)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert f"{record}:2: cannot replay this start event: /dev/zero: cannot read it (a character device" in done.stderr


def checkpoint_of_data(path, source):
    """A checkpoint whose header names `source` as the data it was trained on."""
    save(path, Network(2, [Embedding(2), RNN(3)], seed=1))
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(arrays["header"].tobytes())
    arrays["header"] = np.frombuffer(json.dumps({**header, "data": source}).encode(), np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def test_dev_zero_as_a_checkpoints_data_is_one_line_and_exit_2(tmp_path):
    path = checkpoint_of_data(tmp_path / "m.npz", {"path": "/dev/zero", "sha256": "0" * 64})
    done = limited_run("rnncore", "train", "--load", path, "--steps", 1)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "/dev/zero: cannot read it" in done.stderr
    with pytest.raises(ValueError, match="/dev/zero: cannot read it \\(a character device, not a regular file\\)"):
        lab_from_args(checked_args(["--load", str(path)]))  # what rnnviz --load does behind its loading screen


# --- writing: atomic, never through a symlink, never over what the program reads or another output ---------
def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path):
    (tmp_path / "out.csv").write_text("old")

    def half(f):
        f.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError) as failed:
        files.write_output(tmp_path / "out.csv", "csv", half)
    assert failed.value.filename == str(tmp_path / "out.csv") and failed.value.strerror == "No space left on device"
    assert (tmp_path / "out.csv").read_text() == "old" and os.listdir(tmp_path) == ["out.csv"]


def test_a_symlink_is_never_written_through(tmp_path):
    (tmp_path / "target.csv").write_text("kept")
    (tmp_path / "link.csv").symlink_to(tmp_path / "target.csv")
    for write in (lambda: files.write_output(tmp_path / "link.csv", "csv", lambda f: f.write(b"new")),
                  lambda: files.open_output(tmp_path / "link.csv", "csv")):
        with pytest.raises(FileError, match="link.csv: a symlink; a file is never written through one"):
            write()
    assert (tmp_path / "target.csv").read_text() == "kept" and (tmp_path / "link.csv").is_symlink()


def test_an_input_is_never_an_output_of_another_kind_even_by_another_name(tmp_path):
    (tmp_path / "t.txt").write_text(TEXT)
    os.link(tmp_path / "t.txt", tmp_path / "hard.txt")  # the same file, by inode
    files.read_input(tmp_path / "t.txt", "text")
    for name in ("t.txt", "hard.txt"):
        with pytest.raises(FileError, match=f"{name}: (already|the same file as .*t.txt,) read as a text data set"):
            files.open_output(tmp_path / name, "record")
    assert (tmp_path / "t.txt").read_text() == TEXT


def test_a_checkpoint_may_replace_the_one_it_resumed_from_and_its_own_last_save(tmp_path):
    save(tmp_path / "m.npz", net())
    files.read_input(tmp_path / "m.npz", "checkpoint")
    save(tmp_path / "m.npz", net())  # resumed and saved back
    save(tmp_path / "m.npz", net())  # saved again
    with pytest.raises(FileError, match="m.npz: already (read|written) as a checkpoint; choose another name"):
        files.write_output(tmp_path / "m.npz", "csv", lambda f: f.write(b"run,step\n"))


def test_a_file_being_written_is_no_other_output(tmp_path):
    stream = files.open_output(tmp_path / "r.jsonl", "record")
    for kind in ("csv", "record", "checkpoint"):
        with pytest.raises(FileError, match="r.jsonl: a session record is being written there"):
            files.plan_output(tmp_path / "r.jsonl", kind)
    stream.close()
    files.plan_output(tmp_path / "r.jsonl", "record")  # a record written again, once the first is closed


# --- 10. the same file as input and output, on the command line ------------------------------------------
def test_train_refuses_to_record_over_the_checkpoint_it_loads(tmp_path, capsys):
    save(tmp_path / "m.npz", net())
    before = (tmp_path / "m.npz").read_bytes()
    code, _, err = run_cli(capsys, "train", "--data", "digits", "--load", tmp_path / "m.npz", "--record",
                           tmp_path / "m.npz", "--steps", 2)
    assert code == 2 and err.count("\n") == 1
    assert f"--record {tmp_path / 'm.npz'}: already read as a checkpoint; choose another name" in err
    assert (tmp_path / "m.npz").read_bytes() == before


@pytest.mark.parametrize("outputs", [("--record", "--log"), ("--save", "--log"), ("--save", "--record")])
def test_train_refuses_two_outputs_in_one_file_before_the_first_step(tmp_path, capsys, outputs):
    first, second = outputs
    code, out, err = run_cli(capsys, "train", "--data", "toy", "--steps", 2, first, tmp_path / "r", second,
                             tmp_path / "r")
    assert code == 2 and err.count("\n") == 1 and f"{second} {tmp_path / 'r'}: already written as" in err
    assert "step" not in out and not (tmp_path / "r").exists()


@pytest.mark.parametrize("options", [["--data", "{t}"], ["--replay", "{s}"]])
def test_rnnviz_refuses_to_record_over_what_it_reads(tmp_path, capsys, options):
    (tmp_path / "t.txt").write_text(TEXT)
    code, _, _ = run_cli(capsys, "train", "--data", "toy", "--steps", 2, "--record", tmp_path / "s.jsonl")
    before = {name: (tmp_path / name).read_bytes() for name in ("t.txt", "s.jsonl")}
    given = [o.format(t=tmp_path / "t.txt", s=tmp_path / "s.jsonl") for o in options]
    with pytest.raises(SystemExit) as stopped:
        checked_args([*given, "--record", given[1]])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.count("\n") == 1 and err.startswith("rnnviz: ")
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


def test_replay_refuses_to_save_over_its_record(tmp_path, capsys):
    assert run_cli(capsys, "train", "--data", "toy", "--steps", 2, "--record", tmp_path / "s.jsonl")[0] == 0
    digest = hashlib.sha256((tmp_path / "s.jsonl").read_bytes()).hexdigest()
    code, _, err = run_cli(capsys, "replay", tmp_path / "s.jsonl", "--save", tmp_path / "s.jsonl")
    assert code == 2 and "already read as a session record" in err
    assert hashlib.sha256((tmp_path / "s.jsonl").read_bytes()).hexdigest() == digest


def test_record_to_dev_full_names_the_file(capsys):
    code, _, err = run_cli(capsys, "train", "--data", "toy", "--steps", 1, "--record", "/dev/full")
    assert code == 2 and err == "rnncore: error: --record /dev/full: a character device, not a regular file; it " \
                                "is never replaced\n"


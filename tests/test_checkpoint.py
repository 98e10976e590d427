"""Checkpoints: every kind of bad file, atomic saves, and no code execution on load (round trips and resuming:
test_checkpoint_resume.py)."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest
from helpers import Payload, arrays_of, trained

from rnncore import CheckpointError, Embedding, Network, load, save


def header_of(arrays):
    return json.loads(arrays["header"].tobytes())


def rewrite(path, arrays, header=None):
    if header is not None:
        arrays = {**arrays, "header": np.frombuffer(json.dumps(header).encode(), np.uint8)}
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def expect_error(path, match):
    with pytest.raises(CheckpointError, match=match):
        load(path)


def test_missing_and_empty_files(tmp_path):
    expect_error(tmp_path / "none.npz", "no such file")
    (tmp_path / "empty.npz").write_bytes(b"")
    expect_error(tmp_path / "empty.npz", "empty")


def test_a_truncated_file(saved):
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    expect_error(saved, "truncated|corrupt|not an .npz")


@pytest.mark.parametrize("where", [0.05, 0.3, 0.6, 0.9, 0.99])
def test_corrupted_bytes(saved, where):
    data = bytearray(saved.read_bytes())
    at = int(len(data) * where)
    data[at:at + 8] = bytes(b ^ 0xA5 for b in data[at:at + 8])
    saved.write_bytes(bytes(data))
    expect_error(saved, str(saved.name))


def test_a_random_file_and_a_text_file(tmp_path):
    (tmp_path / "r.npz").write_bytes(np.random.default_rng(0).bytes(5000))
    expect_error(tmp_path / "r.npz", "not an .npz")
    (tmp_path / "t.npz").write_text("hello, I am not a checkpoint\n")
    expect_error(tmp_path / "t.npz", "not an .npz")


def test_a_plain_npy_file(tmp_path):
    with open(tmp_path / "a.npz", "wb") as f:
        np.save(f, np.arange(5.0))
    expect_error(tmp_path / "a.npz", "not an .npz")


def test_a_foreign_npz_without_our_header(tmp_path):
    np.savez(tmp_path / "f.npz", weights=np.ones(3))
    expect_error(tmp_path / "f.npz", "no header")


def test_a_zip_holding_raw_members(tmp_path, saved):
    with zipfile.ZipFile(tmp_path / "z.npz", "w") as z:
        z.writestr("header", json.dumps(header_of(arrays_of(saved))))
    expect_error(tmp_path / "z.npz", "z.npz")


def test_a_foreign_header(saved):
    expect_error(rewrite(saved, arrays_of(saved), {"format": "something-else", "version": 1}), "not an rnncore")


def test_a_header_that_is_not_json(saved):
    arrays = arrays_of(saved)
    arrays["header"] = np.frombuffer(b"{not json", np.uint8)
    expect_error(rewrite(saved, arrays), "JSON")


def test_a_wrong_format_version(saved):
    arrays = arrays_of(saved)
    expect_error(rewrite(saved, arrays, {**header_of(arrays), "version": 99}), "version 99")


@pytest.mark.parametrize(("network", "field"), [
    ({"vocab_size": 10, "layers": [{"type": "rnn", "hidden": 4}], "dtype": "float32", "seed": 0}, "network.layers"),
    ({"vocab_size": 10, "layers": [{"type": "lstm", "dim": 4}], "dtype": "float32", "seed": 0}, r"network.layers\[0\]"),
    ({"vocab_size": 10, "layers": [{"type": "embed", "dim": -4}], "dtype": "float32", "seed": 0},
     r"network.layers\[0\] is not a valid embed layer"),
    ({"vocab_size": 10, "layers": [{"type": "embed", "dim": 4}], "dtype": "int8", "seed": 0}, "network.dtype"),
    ({"layers": []}, "network.vocab_size is missing"),
    ([1, 2], "network must be an object"),
])
def test_an_invalid_architecture(saved, network, field):
    arrays = arrays_of(saved)
    expect_error(rewrite(saved, arrays, {**header_of(arrays), "network": network}), "header field " + field)


def test_a_vocab_that_does_not_fit(saved):
    arrays = arrays_of(saved)
    expect_error(rewrite(saved, arrays, {**header_of(arrays), "vocab": list("abc")}), "3 symbols")


@pytest.mark.parametrize(("name", "value", "match"), [
    ("param/rnn0.Whh", np.zeros((6, 5), np.float32), "rnn0.Whh"),
    ("param/out.b", np.zeros(10, np.int64), "out.b"),
    ("param/out.b", np.full(10, np.nan, np.float32), "NaN"),
    ("param/rnn9.Whh", np.zeros((2, 2), np.float32), "rnn9"),
    ("trainer/optimizer/m/rnn0.Wxh", np.zeros((3, 3), np.float32), "rnn0.Wxh"),
    ("trainer/hidden/0", np.zeros((4, 7), np.float32), "hidden"),
    ("trainer/hidden/5", np.zeros((4, 3), np.float32), "hidden"),
    ("trainer/optimizer/v/out.b", np.array(["a"] * 10), "out.b"),
    ("trainer/optimizer/v/out.b", np.full(10, -1, np.float32), r"v/out.b holds values out of range .*< 0"),
    ("trainer/optimizer/m/out.b", np.full(10, np.inf, np.float32), "m/out.b holds values out of range"),
    ("trainer/optimizer/t", np.array([-1.0]), "optimizer state t holds values out of range"),
    ("trainer/optimizer/t", np.array(3.0), r"optimizer state t is float64\(\), expected \(1,\)"),
    ("trainer/optimizer/velocity/out.b", np.zeros(10, np.float32), "state velocity/out.b is not kept by adam"),
])
def test_wrong_arrays(saved, name, value, match):
    expect_error(rewrite(saved, {**arrays_of(saved), name: value}), match)


def test_a_missing_parameter(saved):
    arrays = arrays_of(saved)
    del arrays["param/dense0.W"]
    expect_error(rewrite(saved, arrays), "dense0.W is missing")


@pytest.mark.parametrize(("trainer", "field"), [
    ({"config": {"lr": -1}, "step": 1, "epoch": 0, "chunk": 0, "optimizer": "adam"}, "trainer.config is invalid: lr"),
    ({"config": {}, "step": "many", "epoch": 0, "chunk": 0, "optimizer": "adam"}, "trainer.step"),
    ({"config": {}, "step": -3, "epoch": 0, "chunk": 0, "optimizer": "adam"}, "trainer.step"),
    ({"config": {}, "step": 1, "epoch": 0, "chunk": 0, "optimizer": "nadam"}, "trainer.optimizer"),
    ({"config": "lr=1", "step": 1, "epoch": 0, "chunk": 0, "optimizer": "adam"}, "trainer.config must be an object"),
    ({"step": 1}, "trainer.config is missing"),
    ([3], "trainer must be an object"),
])
def test_an_invalid_training_state(saved, trainer, field):
    arrays = arrays_of(saved)
    expect_error(rewrite(saved, arrays, {**header_of(arrays), "trainer": trainer}), "header field " + field)


def test_the_pickle_payload_would_run_if_it_were_unpickled(tmp_path):
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(marker))).close()
    assert marker.exists()


def test_a_pickle_carrying_npz_is_refused_without_running_it(tmp_path, saved):
    marker = tmp_path / "ran"
    evil = np.empty(1, object)
    evil[0] = Payload(marker)
    expect_error(rewrite(saved, {**arrays_of(saved), "param/out.b": evil}), "pickle")
    assert not marker.exists()


def test_a_plain_pickle_file_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    (tmp_path / "p.npz").write_bytes(pickle.dumps(Payload(marker)))
    expect_error(tmp_path / "p.npz", "p.npz")
    assert not marker.exists()


def failing_save(path, monkeypatch, target, attribute):
    def boom(*args, **kwargs):
        if args and isinstance(args[0], io.IOBase):
            args[0].write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(target, attribute, boom)
    with pytest.raises(OSError, match="disk full"):
        save(path, Network(10, [Embedding(2)], seed=5))


@pytest.mark.parametrize(("target", "attribute"), [(np, "savez"), (os, "replace"), (os, "fsync")])
def test_a_failed_save_keeps_the_old_file_and_leaves_no_temp_files(saved, monkeypatch, target, attribute):
    before = saved.read_bytes()
    failing_save(saved, monkeypatch, target, attribute)
    monkeypatch.undo()
    assert saved.read_bytes() == before and sorted(p.name for p in saved.parent.iterdir()) == ["model.npz"]
    assert load(saved).net.spec()["seed"] == 2


def test_a_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    failing_save(tmp_path / "new.npz", monkeypatch, np, "savez")
    assert list(tmp_path.iterdir()) == []


def test_saving_over_an_old_checkpoint_replaces_it(saved):
    save(saved, Network(10, [Embedding(2)], seed=5))
    assert load(saved).net.describe() == "embed(2) -> softmax(10)"


def test_a_header_claiming_a_huge_network_is_refused_before_any_weight_is_drawn(saved, monkeypatch):
    arrays = arrays_of(saved)
    header = header_of(arrays)
    header["network"] = {**header["network"], "vocab_size": 65536,
                         "layers": [{"type": "embed", "dim": 4096}, {"type": "rnn", "hidden": 4096}]}
    drawn = []
    monkeypatch.setattr(Network, "__init__", lambda *a, **k: drawn.append(a))  # would build ~2 GB of weights
    expect_error(rewrite(saved, arrays, header), r"embed\.E is float32\(10, 4\), expected \(65536, 4096\)")
    assert drawn == []


def test_param_shapes_are_the_shapes_the_network_draws():
    net = trained(steps=0).net
    assert Network.param_shapes(net.spec()) == {name: p.shape for name, p in net.params.items()}

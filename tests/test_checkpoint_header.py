"""Malformed checkpoint headers: every field is checked and named in the error, and any JSON value in
any field gives a CheckpointError or a checkpoint that works, never another exception (Hypothesis)."""
import copy
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnncore import RNN, CheckpointError, Dense, Embedding, Network, TrainConfig, Trainer, datasets, load, save
from rnncore.cli import main
from rnncore.datasets import Dataset
from rnnviz.session import Session


@pytest.fixture(scope="module", params=["sgd", "adam"])
def valid(tmp_path_factory, request):
    """(arrays, header) of a checkpoint with every kind of layer and a trainer's state (SGD with momentum, or Adam)."""
    path = tmp_path_factory.mktemp("valid") / "m.npz"
    data = datasets.digits(count=30, seed=1)
    net = Network(10, [Embedding(4), RNN(6), Dense(5, "relu"), RNN(3, "uniform")], seed=2)
    config = TrainConfig(optimizer=request.param, momentum=0.5, batch_size=4, bptt=5, eval_every=0)
    trainer = Trainer(net, data, config)
    for _ in range(3):
        trainer.train_step()
    save(path, net, trainer)
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return arrays, json.loads(arrays.pop("header").tobytes())


def write(path, arrays, header):
    with open(path, "wb") as f:
        np.savez(f, **arrays, header=np.frombuffer(json.dumps(header).encode(), np.uint8))
    return path


def fields(value, path=()):
    """The path of every field of a header, containers and the header itself included."""
    yield path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        yield from fields(item, (*path, key))


def changed(header, path, value):
    header = copy.deepcopy(header)
    if not path:
        return value
    parent = header
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return header


def works(checkpoint):
    """What the app and the CLI do with a checkpoint: predict, generate, resume and step."""
    assert np.isfinite(checkpoint.net.predict_proba([0, 1, 2])).all()
    checkpoint.net.generate([1], 3, rng=np.random.default_rng(0))
    if checkpoint.trainer_state is not None:
        digits = datasets.digits(count=30, seed=1)
        data = Dataset("fuzz", checkpoint.vocab, digits.train, digits.eval)
        trainer = Trainer(checkpoint.net, data, checkpoint.config, state=checkpoint.trainer_state)
        for _ in range(2):
            trainer.train_step()


NAMES = ["float64", "sgd", "adam", "adamw", "adagrad", "rnn", "dense", "embed", "relu", "uniform", "cosine", "7"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6) | st.sampled_from(NAMES),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=6)


def near(value):
    """Values close to a valid one: they often load, so that what a loaded checkpoint does is tried too."""
    if isinstance(value, bool) or value is None:
        return st.none() | st.booleans()
    if isinstance(value, int):
        return st.integers(value - 3, value + 3) | st.sampled_from([2**63 - 1, 2**63])
    if isinstance(value, float):
        return st.floats(0, 2 * value + 1) | st.sampled_from([1e-300, 1e300])
    if isinstance(value, str):
        return st.sampled_from(NAMES)
    if not value:
        return st.just(value)
    if isinstance(value, dict):  # one field left out
        return st.sampled_from(sorted(value)).map(lambda gone: {k: v for k, v in value.items() if k != gone})
    return st.integers(0, len(value) - 1).map(lambda i: value[:i] + value[i + 1:])


def value_at(header, path):
    for key in path:
        header = header[key]
    return header


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_any_json_value_in_any_field_gives_a_checkpoint_error_or_a_working_checkpoint(valid, tmp_path_factory, data):
    arrays, header = valid
    path = data.draw(st.sampled_from(list(fields(header))), label="field")
    value = data.draw(near(value_at(header, path)) | json_values, label="value")
    file = write(tmp_path_factory.getbasetemp() / "fuzzed.npz", arrays, changed(header, path, value))
    try:
        checkpoint = load(file)
    except CheckpointError as e:
        assert str(e).startswith(f"{file}: ") and "\n" not in str(e)
        return
    works(checkpoint)


@pytest.mark.parametrize(("path", "value", "named"), [
    (("network", "seed"), -1, "network.seed must be an integer of at least 0, got -1"),
    (("network", "seed"), 1.5, "network.seed"),
    (("network", "vocab_size"), "10", "network.vocab_size must be an integer from 2 to 65536"),
    (("network", "dtype"), None, "network.dtype must be float32 or float64, got None"),
    (("network", "layers"), {}, "network.layers must be a list"),
    (("network", "layers", 0), "embed", r"network.layers\[0\] must be an object"),
    (("network", "layers", 1, "hidden"), -3, r"network.layers\[1\] is not a valid rnn layer: RNN size"),
    (("network", "layers", 1, "whh_init"), "zeros", r"network.layers\[1\] is not a valid rnn layer: whh_init"),
    (("network", "layers", 2, "activation"), ["relu"], r"network.layers\[2\] is not a valid dense layer"),
    (("network", "layers", 2, "colour"), "red", r"network.layers\[2\] is not a valid dense layer: .*colour"),
    (("vocab",), "0123456789", "vocab must be an object with symbols, separator, unknown"),
    (("vocab", "symbols"), "0123456789", "vocab.symbols must be a list of symbols"),
    (("vocab", "symbols", 3), 3, r"vocab.symbols\[3\] must be a non-empty string, got 3"),
    (("vocab", "symbols", 3), "", r"vocab.symbols\[3\] must be a non-empty string"),
    (("vocab", "symbols", 3), "0", "vocab is not a vocabulary: .*distinct"),
    (("vocab", "separator"), "\t", "vocab is not a vocabulary: the separator must be"),
    (("vocab", "unknown"), "x", "vocab is not a vocabulary: the unknown symbol 'x'"),
    (("trainer", "schedule_start"), 4, "trainer.schedule_start must be an integer from 0 to 3"),
    (("trainer", "config", "batch_size"), 0, "trainer.config is invalid: batch must be"),
    (("trainer", "config", "optimizer"), "nadam", "trainer.config is invalid: optimizer"),
    (("trainer", "optimizer"), ["sgd"], "trainer.optimizer must be sgd | adagrad | adam | adamw"),
    (("trainer", "step"), True, "trainer.step must be an integer of at least 0, got True"),
    (("trainer", "epoch"), -1, "trainer.epoch"),
    (("trainer", "chunk"), 2**64, "trainer.chunk"),
    (("trainer", "chunk"), 10**60, r"trainer.chunk must be an integer of at least 0, got 1000000.*…"),
])
def test_a_bad_field_is_named_in_one_error(valid, tmp_path, path, value, named):
    arrays, header = valid
    file = write(tmp_path / "bad.npz", arrays, changed(header, path, value))
    with pytest.raises(CheckpointError, match=f"^{file}: header field {named}"):
        load(file)


@pytest.mark.parametrize("text", ["1" * 5000, "[" * 100_000])
def test_json_that_python_refuses_to_parse_is_a_checkpoint_error(valid, tmp_path, text):
    arrays, _ = valid
    with open(tmp_path / "deep.npz", "wb") as f:
        np.savez(f, **arrays, header=np.frombuffer(text.encode(), np.uint8))
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load(tmp_path / "deep.npz")


def test_a_version_of_true_is_not_version_1(valid, tmp_path):
    arrays, header = valid
    with pytest.raises(CheckpointError, match="format version True"):
        load(write(tmp_path / "v.npz", arrays, {**header, "version": True}))


@pytest.mark.parametrize("command", [["predict"], ["generate", "-n", "3"]])
def test_the_cli_says_one_line_and_exits_2_on_a_negative_seed(valid, tmp_path, capsys, command):
    arrays, header = valid
    file = write(tmp_path / "seed.npz", arrays, changed(header, ("network", "seed"), -1))
    code = main([command[0], str(file), "13", *command[1:]])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == f"rnncore: error: {file}: header field network.seed must be an integer of at least 0, got -1\n"


@pytest.mark.ui
def test_the_apps_load_gives_a_checkpoint_error_on_a_negative_seed(valid, tmp_path):
    """Ctrl+O went through Session.load, and the seed's ValueError ended the app."""
    arrays, header = valid
    file = write(tmp_path / "seed.npz", arrays, changed(header, ("network", "seed"), -1))
    session = Session(data="digits", embed=4, layers="rnn:6,dense:5:relu,rnn:3:uniform")
    before = session.net
    with pytest.raises(CheckpointError, match="network.seed"):
        session.load(file)
    assert session.net is before

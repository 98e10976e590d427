"""Robustness without the screen: random configs, prefixes and data sets (the command line's limits and bad
text files: test_cli_limits.py); determinism across runs and processes; divergence; Ctrl+C during a save."""
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import finite, many_chars, same_params
from helpers import run_cli as run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limits import TRAINING, edges

import rnncore.checkpoint
from rnncore import RNN, Dense, Embedding, Network, TrainConfig, Trainer, Vocab, datasets, load
from rnncore.datasets import DIGITS, UNKNOWN
from rnnviz.inference import predict

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SMALL = ["--embed", "4", "--layers", "rnn:4"]


# --- 1. random configs, prefixes and data sets ---------------------------------------------
# Each field's values at and just past its documented limits (tests/limits.py), and some nonsense:
# the test does not ask TrainConfig which is which.
WRONG_KIND = [None, True, "0.1", [1]]  # never a value of any setting
FIELD_VALUES = {field: (edges(TRAINING, field)[0], edges(TRAINING, field)[1] + WRONG_KIND) for field in TRAINING}


@st.composite
def configs(draw):
    """(values, bad fields): some fields at a good or bad value, the others left at their default."""
    values, bad = {}, set()
    for field in draw(st.sets(st.sampled_from(sorted(FIELD_VALUES)), max_size=4)):
        is_bad = draw(st.booleans())
        values[field] = draw(st.sampled_from(FIELD_VALUES[field][is_bad]))
        if is_bad:
            bad.add(field)
    return values, bad


@FAST
@given(configs())
def test_any_config_either_trains_with_finite_weights_or_names_a_bad_field(drawn):
    values, bad = drawn
    net = Network(10, [Embedding(4), RNN(4)], seed=0)
    try:
        trainer = Trainer(net, datasets.toy(), TrainConfig(**values))
    except ValueError as e:
        assert bad and e.name in bad, (e, bad)
        return
    assert not bad, f"accepted {values}"
    for step in (1, 2, 3):
        event = trainer.train_step()
        assert event.step == step and (math.isfinite(event.loss) or event.skipped)
        assert finite(net)


@pytest.mark.parametrize("field", sorted(FIELD_VALUES))
def test_each_field_takes_its_limits_and_refuses_past_them_by_name(field):
    good, bad = FIELD_VALUES[field]
    for value in good:
        assert getattr(TrainConfig(**{field: value}), field) == value
    for value in bad:
        with pytest.raises(ValueError, match=f"^{TrainConfig.describe(field)['label']} must be"):
            TrainConfig(**{field: value})


DIGIT_NET = Network(10, [Embedding(4), RNN(5), Dense(3), RNN(2)], seed=1)
TEXT_VOCAB = Vocab(["a", "b", " ", ",", "\n", "é", UNKNOWN], separator="", unknown=UNKNOWN)
TEXT_NET = Network(len(TEXT_VOCAB), [Embedding(3), RNN(4)], seed=2)
prefixes = st.text(st.sampled_from("0123456789 ,ab\té\n\x00\ufffd🙂x-"), max_size=12) | st.text(max_size=6)


def check_prediction(net, vocab, text, expected):
    """`expected`: the symbols `text` stands for, or None if it holds one outside the vocabulary."""
    before = {k: v.copy() for k, v in net.params.items()}
    try:
        prediction = predict(net, vocab, text)
    except ValueError as e:
        assert expected is None and "not in the vocabulary" in str(e)
        return
    assert expected is not None and prediction.prefix == expected
    assert [h.shape for h in prediction.hidden] == [(len(expected), layer.dim) for _, layer in net.recurrent()]
    if expected:
        assert prediction.probs.shape == (len(vocab),) and abs(prediction.probs.sum() - 1) < 1e-9
        assert set(prediction.continuation) <= set(vocab.symbols)
    else:
        assert prediction.probs is None
    assert same_params(before, net.params)


@pytest.mark.ui
@FAST
@given(prefixes)
def test_any_typed_digit_prefix_predicts_or_says_which_symbol_is_unknown(text):
    symbols = list("".join(text.replace(",", " ").split()))
    check_prediction(DIGIT_NET, datasets.toy().vocab, text, symbols if set(symbols) <= set(DIGITS) else None)


@pytest.mark.ui
@FAST
@given(prefixes)
def test_any_typed_text_prefix_predicts_or_says_which_symbol_is_unknown(text):
    check_prediction(TEXT_NET, TEXT_VOCAB, text, [c if c in TEXT_VOCAB.symbols else UNKNOWN for c in text])


@st.composite
def sequence_sets(draw):
    seq = st.lists(st.integers(0, 9), min_size=2, max_size=9).map(np.array)
    return draw(st.lists(seq, min_size=1, max_size=7)), draw(st.integers(1, 5)), draw(st.integers(0, 4))


@FAST
@given(sequence_sets())
def test_random_sequence_lengths_train_every_target_once_per_epoch(drawn):
    train, batch_size, bptt = drawn
    data = datasets.Dataset("random", datasets.toy().vocab, train, train[:2])
    trainer = Trainer(Network(10, [Embedding(3), RNN(3)], seed=0), data,
                      TrainConfig(batch_size=batch_size, bptt=bptt, eval_every=1))
    tokens, event = 0, None
    while event is None or event.epoch < 1:
        event = trainer.train_step()
        tokens += event.tokens
        assert math.isfinite(event.loss) and 0 <= event.eval_accuracy <= 1 and event.eval_cost >= 0
    assert event.epoch == 1 and tokens == sum(len(s) - 1 for s in train)


# --- 6. determinism ------------------------------------------------------------------------------
RUNS = {
    "sgd-momentum-inverse": {"optimizer": "sgd", "momentum": 0.9, "schedule": "inverse", "decay_steps": 50, "lr": 0.05},
    "adagrad-cosine-float64": {"optimizer": "adagrad", "schedule": "cosine", "decay_steps": 150, "dtype": "float64"},
    "adam-exponential-l2-clip": {"schedule": "exponential", "decay_steps": 80, "l2": 0.001, "clip": 0.5},
}


@pytest.mark.parametrize("name", sorted(RUNS) + ["text-stream"])
def test_200_steps_repeat_bit_for_bit(tmp_path, name):
    if name == "text-stream":
        (tmp_path / "t.txt").write_text("the cat sat on the mat; the dog sat on the log.\n" * 20)
        data, config = datasets.text(tmp_path / "t.txt"), {"batch_size": 4, "bptt": 7, "eval_every": 25}
    else:
        data, config = datasets.digits(count=40, seed=5), {**RUNS[name], "batch_size": 4, "bptt": 5, "eval_every": 25}

    def run_once():
        net = Network(len(data.vocab), [Embedding(6), RNN(8), Dense(5), RNN(4)], seed=9)
        trainer = Trainer(net, data, TrainConfig(**config, seed=3))
        events = [trainer.train_step() for _ in range(200)]
        return [(e.loss, e.grad_norm, e.eval_accuracy, e.eval_cost) for e in events], net.params

    first, weights = run_once()
    again, weights_again = run_once()
    assert first == again and same_params(weights, weights_again)
    assert len({loss for loss, *_ in first}) > 100  # it really trained


def test_two_processes_with_different_hash_seeds_train_the_same_bits(tmp_path):
    path = many_chars(tmp_path / "many.txt", distinct=600, repeats=1)
    models = []
    for hash_seed in ("1", "2"):
        model = tmp_path / f"m{hash_seed}.npz"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "rnncore", "train", "--data", str(path), "--steps", "5", *SMALL,
                        "--save", str(model)], env=env, check=True, capture_output=True, timeout=120)
        models.append(load(model))
    a, b = models
    assert a.vocab.symbols == b.vocab.symbols and same_params(a.net.params, b.net.params)


# --- 3. divergence ---------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", TRAINING["optimizer"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_an_exploding_run_never_leaves_a_non_finite_weight_and_rolls_back_to_kept_ones(optimizer, dtype):
    # relu and identity layers put no ceiling on the activations: plain SGD at the largest rate blows up
    net = Network(10, [Embedding(8), RNN(16), Dense(16, "relu"), Dense(16, "identity")], seed=0)
    trainer = Trainer(net, datasets.digits(count=40), TrainConfig(lr=TRAINING['lr'][2], optimizer=optimizer, clip=0,
                                                                 batch_size=4, dtype=dtype, keep_every=5))
    diverged = 0
    with np.errstate(all="ignore"):
        for _ in range(40):
            event = trainer.train_step()
            diverged += event.diverged
            assert finite(net) and all(np.isfinite(v).all() for v in trainer.optimizer.state.values())
            kept_step, kept, _ = trainer.last_good
            assert kept_step % 5 == 0 and all(np.isfinite(v).all() for v in kept.values())
    assert diverged > 0
    assert trainer.rollback() == kept_step and same_params(kept, net.params)
    assert np.isfinite(net.predict_proba([1, 3, 5])).all()


# --- 8. Ctrl+C -----------------------------------------------------------------------------------
def test_ctrl_c_in_the_middle_of_a_save_keeps_the_previous_checkpoint(tmp_path, capsys, monkeypatch):
    path, saves, savez = tmp_path / "m.npz", [], np.savez

    def savez_then_interrupt(file, **arrays):
        saves.append(len(saves))
        if len(saves) == 1:
            return savez(file, **arrays)
        file.write(b"PK\x03\x04 the first bytes of a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(rnncore.checkpoint.np, "savez", savez_then_interrupt)
    code, _, err = run(capsys, "train", "--data", "toy", *SMALL, "--steps", 20, "--save", path, "--save-every", 5)
    monkeypatch.undo()
    assert code == 130 and len(saves) == 2
    assert f"interrupted at step 10; the last checkpoint is {path} (step 5)" in err
    assert load(path).trainer_state["step"] == 5
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_a_real_sigint_exits_130_and_names_a_whole_checkpoint(tmp_path):
    path = tmp_path / "m.npz"
    argv = [sys.executable, "-m", "rnncore", "train", "--data", "toy", *SMALL, "--steps", str(10**9),
            "--save", str(path), "--save-every", "50", "--eval-every", "0"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not path.exists():
            assert time.monotonic() < deadline and process.poll() is None, "no checkpoint appeared"
            time.sleep(0.02)
        time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    step = int(err.split("the last checkpoint is ")[1].split("(step ")[1].split(")")[0])
    assert step % 50 == 0 and load(path).trainer_state["step"] == step
    assert "Traceback" not in out + err and [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_sequences_without_targets_are_skipped_not_a_range_error():
    data = datasets.Dataset("short", datasets.toy().vocab, [np.array([3]), np.array([1, 2, 3])], [np.array([1, 2])])
    trainer = Trainer(Network(10, [Embedding(2), RNN(3)]), data, TrainConfig(batch_size=1, bptt=0))
    assert sum(trainer.train_step().tokens for _ in range(2)) == 4  # 2 targets a step, the 1-symbol row skipped

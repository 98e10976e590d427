"""Checkpoints: a round trip keeps everything, and a run resumed from one goes on exactly as it would have."""
from pathlib import Path

import numpy as np
import pytest
from helpers import trained

from rnncore import Embedding, Network, Trainer, datasets, load, save
from rnncore.cli import main


def test_round_trip_keeps_predictions_vocab_and_trainer_state(tmp_path):
    trainer = trained()
    save(tmp_path / "m.npz", trainer.net, trainer)
    ck = load(tmp_path / "m.npz")
    assert ck.net.spec() == trainer.net.spec() and ck.vocab.symbols == trainer.data.vocab.symbols
    assert np.array_equal(ck.net.predict_proba([1, 3, 5, 2]), trainer.net.predict_proba([1, 3, 5, 2]))
    expected = trainer.state_dict()
    assert {k: v for k, v in ck.trainer_state.items() if k != "arrays"} == {
        k: v for k, v in expected.items() if k != "arrays"}
    assert ck.trainer_state["arrays"].keys() == expected["arrays"].keys()
    assert all(np.array_equal(ck.trainer_state["arrays"][k], v) for k, v in expected["arrays"].items())
    assert ck.config == trainer.config


def test_resuming_from_a_checkpoint_continues_exactly(tmp_path):
    trainer = trained(steps=9, optimizer="adam")
    save(tmp_path / "m.npz", trainer.net, trainer)
    expected = [trainer.train_step().loss for _ in range(12)]
    ck = load(tmp_path / "m.npz")
    resumed = Trainer(ck.net, datasets.digits(count=30, seed=1), state=ck.trainer_state)
    assert [resumed.train_step().loss for _ in range(12)] == expected


@pytest.mark.parametrize("steps", [1, 2, 4])
def test_resuming_with_another_batch_size_starts_fresh_sequences_instead_of_failing(tmp_path, capsys, steps):
    """Found by the header fuzz: the carried (4, H) hidden state met a batch of 2 rows."""
    path, small = str(tmp_path / "m.npz"), ["--data", "digits", "--bptt", "5", "--eval-every", "0"]
    assert main(["train", *small, "--embed", "4", "--layers", "rnn:6", "--batch-size", "4", "--steps", str(steps),
                 "--save", path]) == 0
    assert main(["train", *small, "--load", path, "--batch-size", "2", "--steps", "3", "--save", path]) == 0, \
        capsys.readouterr().err
    assert load(path).trainer_state["step"] == steps + 3


OLD = Path(__file__).parent / "data"  # written by rnncore before it took PyTorch's optimizer conventions


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_a_checkpoint_from_before_the_torch_conventions_resumes_where_it_stopped(optimizer):
    """The files are one run (constant lr 0.05, sgd with momentum 0.9) saved after steps 5 and 6 by the old
    code. SGD's velocity then held the lr (v = mu*v - lr*g) under the parameter's name: it is converted."""
    old = load(OLD / f"before-torch-conventions-{optimizer}-step5.npz")
    trainer = Trainer(old.net, datasets.digits(count=30, seed=1), state=old.trainer_state)
    trainer.train_step()
    after = load(OLD / f"before-torch-conventions-{optimizer}-step6.npz")
    assert trainer.step == 6
    for name, param in after.net.params.items():
        assert np.allclose(trainer.net.params[name], param, rtol=1e-5, atol=1e-6), name
    saved = {k.split("/", 1)[1]: v for k, v in after.trainer_state["arrays"].items() if k.startswith("optimizer/")}
    assert saved.keys() == trainer.optimizer.state.keys()
    assert all(np.allclose(trainer.optimizer.state[k], v, rtol=1e-4, atol=1e-6) for k, v in saved.items())


def test_a_network_saved_alone_has_no_trainer_state(tmp_path):
    net = Network(12, [Embedding(3)], seed=1, dtype=np.float64)
    save(tmp_path / "m.npz", net)
    ck = load(tmp_path / "m.npz")
    assert ck.trainer_state is None and ck.config is None and len(ck.vocab) == 12
    assert ck.net.dtype == np.float64 and np.array_equal(ck.net.params["out.W"], net.params["out.W"])


def test_numpy_scalars_in_the_config_still_save(tmp_path):
    trainer = trained(steps=1)
    trainer.configure(batch_size=np.int64(8), lr=np.float32(0.02))
    save(tmp_path / "m.npz", trainer.net, trainer)
    assert load(tmp_path / "m.npz").config.batch_size == 8

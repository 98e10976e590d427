"""What several test modules share."""
import numpy as np

from rnncore import RNN, Dense, Embedding, Network, TrainConfig, Trainer, datasets
from rnncore.cli import main


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """The `rnncore` command in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def params_of(net) -> dict:
    return {k: v.copy() for k, v in net.params.items()}


def same_params(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def finite(net) -> bool:
    return all(np.isfinite(p).all() for p in net.params.values())


class Payload:
    """Unpickling this creates `marker`: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def many_chars(path, distinct=3000, repeats=2):
    """A UTF-8 text of `distinct` characters, most of them tied in count (the vocabulary must break ties the
    same way in every process); the first 300 are more common."""
    chars = [chr(0x4E00 + i) for i in range(distinct)]
    path.write_text("".join(chars[:300]) * 3 + "".join(chars) * repeats, encoding="utf-8")
    return path


def trained(steps=7, **config) -> Trainer:
    """A small stacked network trained a few steps on digits: what the checkpoint tests save."""
    data = datasets.digits(count=30, seed=1)
    net = Network(10, [Embedding(4), RNN(6), Dense(5, "relu"), RNN(3)], seed=2)
    trainer = Trainer(net, data, TrainConfig(**{"batch_size": 4, "bptt": 5, "eval_every": 0, **config}))
    for _ in range(steps):
        trainer.train_step()
    return trainer


def arrays_of(path) -> dict:
    """Every array of a checkpoint, by member name."""
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}

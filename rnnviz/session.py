"""Everything the app trains and asks about, with no Textual in sight.

A Session owns the network, its data, the trainer and the chart history. The
app's training thread calls `step()` while the screen calls `predict()`; both
take `lock`, so a prediction never sees weights half way through an update.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from rnncore import Embedding, Network, TrainConfig, Trainer, datasets, load, save
from rnncore.checkpoint import CheckpointError
from rnncore.spec import format_layers, parse_layers

from .history import History
from .inference import Prediction, predict

BUILTIN_DATASETS = ("digits", "toy")
DEFAULT_DATA = "digits"
DEFAULT_EMBED = 32
DEFAULT_LAYERS = "rnn:64"
DEFAULT_SEED = 0


def default_config() -> TrainConfig:
    """Adam at 0.01 on batches of 32: digits reaches ~95% eval accuracy within ~20 steps."""
    return TrainConfig(lr=0.01, optimizer="adam", batch_size=32, eval_every=5)


def load_dataset(name: str):
    """`digits`, `toy` or the path of a UTF-8 text file; ValueError says what is wrong with the file."""
    if name in BUILTIN_DATASETS:
        return datasets.by_name(name)
    if not Path(name).is_file():
        raise ValueError(f"{name}: no such file (the data is digits, toy or the path of a text file)")
    return datasets.text(name)


class Session:
    def __init__(self, data: str = DEFAULT_DATA, embed: int = DEFAULT_EMBED, layers: str = DEFAULT_LAYERS,
                 seed: int = DEFAULT_SEED, config: TrainConfig | None = None):
        self.lock = threading.Lock()
        self.history = History()
        self.last_event = None  # the latest StepEvent, None before the first step
        self.accuracy = None  # the latest eval accuracy
        self._build(data, embed, layers, seed, (config or default_config()).validate())

    # --- what the screen shows ----------------------------------------------
    @property
    def has_trained(self) -> bool:
        return self.trainer.step > 0

    @property
    def step_count(self) -> int:
        return self.trainer.step

    @property
    def config(self) -> TrainConfig:
        return self.trainer.config

    @property
    def architecture(self) -> str:
        return f"embed:{self.embed}" + (f",{self.layers}" if self.layers else "")

    # --- training -------------------------------------------------------------
    def step(self):
        """One optimizer step; the event also goes into the history."""
        with self.lock:
            event = self.trainer.train_step()
        self.history.add(event)
        self.last_event = event
        if event.eval_accuracy is not None:
            self.accuracy = event.eval_accuracy
        return event

    def set_config(self, field: str, value) -> None:
        """Change one training setting; it applies from the next step and is marked on the charts."""
        replace(self.trainer.config, **{field: value}).validate()
        with self.lock:
            setattr(self.trainer.config, field, value)
        self.history.mark(self.trainer.step, f"{field}={value:g}" if isinstance(value, float) else f"{field}={value}")

    def rollback(self) -> int:
        """Back to the last good weights after a divergence; returns the step they were kept at."""
        with self.lock:
            good = self.trainer.rollback()
        self.history.mark(self.trainer.step, f"rollback to {good}")
        return good

    def predict(self, text: str) -> Prediction:
        with self.lock:
            return predict(self.net, self.vocab, text)

    # --- building -------------------------------------------------------------
    def rebuild(self, data: str | None = None, embed: int | None = None, layers: str | None = None,
                seed: int | None = None) -> None:
        """A fresh network (and data if it changed); training settings are kept, the history is cleared."""
        data = self.data_name if data is None else data
        embed = self.embed if embed is None else embed
        layers = self.layers if layers is None else layers
        seed = self.seed if seed is None else seed
        with self.lock:
            self._build(data, embed, layers, seed, self.trainer.config)
        self._forget()

    def reset_weights(self) -> None:
        """The same architecture drawn again from its seed, back at step 0."""
        self.rebuild()

    def _build(self, data: str, embed: int, layers: str, seed: int, config: TrainConfig) -> None:
        stack = [Embedding(embed), *parse_layers(layers)]  # parse before loading data: the cheaper check first
        dataset = self.data if getattr(self, "data_name", None) == data else load_dataset(data)
        net = Network(len(dataset.vocab), stack, seed=seed)
        trainer = Trainer(net, dataset, replace(config, seed=seed))
        self.data_name, self.data, self.vocab = data, dataset, dataset.vocab
        self.embed, self.layers, self.seed = embed, format_layers(stack[1:]), seed
        self.net, self.trainer = net, trainer

    def _forget(self) -> None:
        self.history.clear()
        self.last_event = self.accuracy = None

    # --- checkpoints ----------------------------------------------------------
    def save(self, path) -> None:
        with self.lock:
            try:
                save(path, self.net, self.trainer, self.vocab)
            except OSError as e:
                raise CheckpointError(f"{path}: cannot write ({e.strerror})") from None

    def load(self, path) -> None:
        """Take the network and training state from a checkpoint; a CheckpointError leaves everything as it was."""
        checkpoint = load(path)
        if checkpoint.vocab.symbols != self.vocab.symbols:
            raise CheckpointError(f"{path}: its vocabulary ({len(checkpoint.vocab)} symbols) is not the one of "
                                  f"the data {self.data_name!r}; start rnnviz with the data it was trained on")
        embedding, *stack = [layer for _, layer in checkpoint.net.layers]
        try:
            trainer = Trainer(checkpoint.net, self.data, replace(self.trainer.config), state=checkpoint.trainer_state)
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"{path}: the saved training state does not fit ({e})") from None
        with self.lock:
            self.net, self.trainer = checkpoint.net, trainer
            self.embed, self.layers, self.seed = embedding.dim, format_layers(stack), checkpoint.net.seed
        self._forget()

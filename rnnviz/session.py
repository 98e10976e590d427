"""Everything the app trains and asks about, with no Textual in sight.

A Session owns the network, its data, the trainer and the chart history. The
app's training thread calls `step()` while the screen calls `predict()` and
`view()`; predictions take `lock`, so they never see weights half way
through an update. Settings go through `configure`, one door: the text the
user typed is parsed, and the trainer checks the new config once.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from rnncore import (
    CheckpointError,
    Embedding,
    ModelConfig,
    Network,
    SettingError,
    StepEvent,
    TrainConfig,
    Trainer,
    datasets,
    format_layers,
    load,
    parse_layers,
    save,
)

from .history import History, HistoryView
from .inference import Prediction, predict
from .insight import Insight, Lens

BUILTIN_DATASETS = ("digits", "toy")
EXAMPLE_LENGTH = 4  # symbols of an example prefix


@dataclass(frozen=True)
class SessionView:
    """What the screen shows of a session, copied at one moment."""

    model: ModelConfig
    config: TrainConfig
    step: int
    epoch: float
    loss: float | None  # of the latest step; None before the first
    accuracy: float | None  # of the latest evaluation
    next_lr: float
    last_good_step: int  # where a rollback would go
    history: HistoryView

    @property
    def architecture(self) -> str:
        return f"embed:{self.model.embed}" + (f",{self.model.layers}" if self.model.layers else "")


class Session:
    def __init__(self, config: TrainConfig | None = None, *, seed: int | None = None, **model):
        """`model`: ModelConfig's fields (data, embed, layers); `seed` overrides the config's."""
        self.lock = threading.Lock()
        self.history = History()
        config = config or TrainConfig()
        self._build(ModelConfig(**model), config if seed is None else config.changed(seed=seed))

    # --- what the screen shows ----------------------------------------------
    def view(self) -> SessionView:
        trainer, event = self.trainer, self.last_event
        return SessionView(self.model, trainer.config, trainer.step, event.epoch if event else float(trainer.epoch),
                           event.loss if event else None, self.accuracy, trainer.next_lr, trainer.last_good[0],
                           self.history.snapshot())

    @property
    def example(self) -> str:
        """The start of the first eval sequence: what a prefix looks like for this data."""
        return self.vocab.shown(self.data.eval[0][:EXAMPLE_LENGTH]) if self.data.eval else ""

    @property
    def has_trained(self) -> bool:
        return self.trainer.step > 0

    @property
    def config(self) -> TrainConfig:
        return self.trainer.config

    # --- training -------------------------------------------------------------
    def step(self) -> StepEvent:
        """One optimizer step; the event also goes into the history."""
        with self.lock:
            event = self.trainer.train_step()
        self.history.add(event)
        self.last_event = event
        if event.eval_accuracy is not None:
            self.accuracy = event.eval_accuracy
        return event

    def configure(self, name: str, text: str):
        """Set one training setting from the text a user typed; from the next step on, marked on the charts.
        SettingError says what is wrong, in the setting's label; returns the value as stored."""
        value = TrainConfig.parse(name, text)
        if value == getattr(self.config, name):
            return value
        config = self.trainer.configure(**{name: value})
        stored = getattr(config, name)
        self.history.mark(self.trainer.step, f"{name}={stored:g}" if isinstance(stored, float) else f"{name}={stored}")
        return stored

    def rollback(self) -> int:
        """Back to the last good weights after a divergence; returns the step they were kept at."""
        with self.lock:
            good = self.trainer.rollback()
        self.history.mark(self.trainer.step, f"rollback to {good}")
        return good

    def predict(self, text: str) -> Prediction:
        with self.lock:
            return predict(self.net, self.vocab, text)

    def look(self, text: str, lens: Lens) -> tuple[Prediction, object]:
        """The prediction after `text` and the numbers of the view `lens` opens, from the same weights."""
        with self.lock:
            prediction = predict(self.net, self.vocab, text)
            return prediction, self.insight.look(self.net, self.data, prediction, lens, self.trainer.step)

    # --- building -------------------------------------------------------------
    def rebuild(self, model: ModelConfig | None = None, seed: int | None = None) -> None:
        """A fresh network (and data if it changed); training settings are kept, the history is cleared."""
        config = self.config if seed is None else self.config.changed(seed=seed)
        with self.lock:
            self._build(model or self.model, config)

    def reset_weights(self) -> None:
        """The same architecture drawn again from its seed, back at step 0."""
        self.rebuild()

    def _build(self, model: ModelConfig, config: TrainConfig) -> None:
        stack = [Embedding(model.embed), *parse_layers(model.layers)]  # before the data: the cheaper check first
        data = self.data if getattr(self, "model", None) and self.model.data == model.data else load_data(model.data)
        net = Network(len(data.vocab), stack, seed=config.seed)
        self.trainer = Trainer(net, data, config)
        self.model, self.data, self.vocab, self.net = model, data, data.vocab, net
        self._forget()

    def _forget(self) -> None:
        self.history.clear()
        self.last_event = self.accuracy = None
        self.insight = Insight()  # the state map's axes belong to the network they were fitted on

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
                                  f"the data {self.model.data!r}; start rnnviz with the data it was trained on")
        embedding, *stack = [layer for _, layer in checkpoint.net.layers]
        try:
            trainer = Trainer(checkpoint.net, self.data, self.config, state=checkpoint.trainer_state)
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"{path}: the saved training state does not fit ({e})") from None
        with self.lock:
            self.net, self.trainer = checkpoint.net, trainer
            self.model = ModelConfig(self.model.data, embedding.dim, format_layers(stack))
        self._forget()


def read_model(data: str, embed: str, layers: str, seed: str) -> tuple[ModelConfig, int]:
    """A model and seed from typed texts (the Model panel's, the command line's); SettingError says why not."""
    model = ModelConfig(data, ModelConfig.parse("embed", embed), layers)
    if not any(layer.recurrent for layer in parse_layers(layers)):
        why = "add a recurrent layer: rnnviz shows recurrent networks"
        raise SettingError("layers", "layers", ModelConfig.describe("layers")["rule"], layers, why)
    return model, TrainConfig(seed=TrainConfig.parse("seed", seed)).seed


def load_data(name: str):
    """A built-in data set or a UTF-8 text file; ValueError says what is wrong."""
    if name not in BUILTIN_DATASETS and not Path(name).is_file():
        raise ValueError(f"{name}: no such file (the data is digits, toy or the path of a text file)")
    return datasets.by_name(name)

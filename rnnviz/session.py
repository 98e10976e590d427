"""Everything the app trains and asks about, with no Textual in sight.

A Session owns the network, its data, the trainer and the chart history. The
app's training thread calls `step()` while the app's other threads call `look()`
and `view()`; predictions take `lock`, so they never see weights half way
through an update, and a new network is built outside it, then put in place
under it. Settings go through `configure`, one door: the text the
user typed is parsed, and the trainer checks the new config once.
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass

from rnncore import (
    Dataset,
    Embedding,
    ModelConfig,
    Network,
    Optimum,
    Reach,
    StepEvent,
    TrainConfig,
    Trainer,
    parse_layers,
)

from .checkpoints import Checkpoints
from .history import History, HistoryView
from .inference import Prediction, predict
from .insight import Insight, Lens
from .models import load_data, model_of

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
    eval_cost: float | None  # of the latest evaluation
    next_lr: float
    last_good_step: int  # where a rollback would go
    history: HistoryView
    optimum: Optimum | None  # the best possible cost and accuracy on the eval set; None if unknown (a text file)
    weights_from: int | None = None  # after a rollback: the step whose weights the network has now
    memory_found_at: int | None = None  # the step whose eval cost first fell clearly below the best without memory

    @property
    def architecture(self) -> str:
        return f"embed:{self.model.embed}" + (f",{self.model.layers}" if self.model.layers else "")


class Session(Checkpoints):
    """One run: a network, its data, its trainer and its chart history. With a `recorder`, every change
    that moves its weights is written down under `run_id`, so that `rnncore replay` can redo it."""

    def __init__(self, config: TrainConfig | None = None, *, seed: int | None = None, **model):
        """`model`: ModelConfig's fields (data, embed, layers); `seed` overrides the config's."""
        self.lock = threading.Lock()
        self.history = History()
        self.recorder, self.run_id = None, 0
        self.color = 0  # its colour on the charts, one of the runs' own (Lab gives each run another)
        config = config or TrainConfig()
        self._build(ModelConfig(**model), config if seed is None else config.changed(seed=seed))

    @classmethod
    def around(cls, trainer: Trainer, run_id: int = 0) -> Session:
        """A session of a trainer made elsewhere (a replay's), with an empty history."""
        session = cls.__new__(cls)
        session.lock, session.history, session.recorder, session.run_id = threading.Lock(), History(), None, run_id
        session.color = 0
        session.trainer, session.net, session.data, session.wanted = trainer, trainer.net, trainer.data, trainer.config
        source = trainer.data.source or {}
        session.vocab, session.model = trainer.data.vocab, model_of(source.get("name") or source.get("path") or
                                                                    trainer.data.name, trainer.net)
        session._forget()
        return session

    # --- what the screen shows ----------------------------------------------
    def view(self) -> SessionView:
        trainer, event = self.trainer, self.last_event
        return SessionView(self.model, self.wanted, trainer.step, event.epoch if event else trainer.progress,
                           event.loss if event else None, self.accuracy, self.eval_cost, trainer.next_lr,
                           trainer.last_good[0],
                           self.history.snapshot(), self.data.optimum, self.weights_from, self.memory_found_at)

    @property
    def example(self) -> str:
        """The start of the first eval sequence: what a prefix looks like for this data."""
        return self.vocab.shown(self.data.eval[0][:EXAMPLE_LENGTH]) if self.data.eval else ""

    @property
    def has_trained(self) -> bool:
        return self.trainer.step > 0

    @property
    def unsaved(self) -> bool:
        """Trained since it was built, loaded or saved: quitting would lose those steps."""
        return self.trainer.step > self.saved_step

    def kept(self) -> Session:
        """This run as it is now, apart: a reset, a new network or a load replaces the network, the trainer and the
        data with new ones and clears the history in place, so a copy with its own history keeps the old run whole,
        for `Lab.undo` to bring back."""
        with self.lock:
            twin = copy.copy(self)
            twin.history = self.history.copy()
        twin.lock = threading.Lock()
        return twin

    @property
    def config(self) -> TrainConfig:
        """The settings as asked for: the trainer's, or the ones it takes at its next step."""
        return self.wanted

    # --- training -------------------------------------------------------------
    def step(self) -> StepEvent:
        """One optimizer step; the event also goes into the history."""
        with self.lock:
            self._use_wanted()
            event = self.trainer.train_step()
            if self.recorder:
                self.recorder.stepped(self.run_id, event.step, self.net.params)
        self.took(event)
        return event

    def took(self, event: StepEvent) -> None:
        """A step done (here, or by a replay's trainer): into the history and the figures; the step at which the
        eval cost first falls a clear margin below the best cost without memory is marked: the memory is found."""
        self.history.add(event)
        self.last_event, self.weights_from = event, None
        if event.eval_accuracy is not None:
            self.accuracy, self.eval_cost = event.eval_accuracy, event.eval_cost
            if self.memory_found_at is None and self.data.optimum and self.data.optimum.found_memory(event.eval_cost):
                self.memory_found_at = event.step
                self.history.mark(event.step, "memory found")

    def configure(self, name: str, text: str):
        """Set one training setting from the text a user typed; from the next step on, marked on the charts.
        SettingError says what is wrong, in the setting's label; returns the value as stored.

        The change reaches the trainer between two steps: now if none runs, else from the training thread
        before its next step, so that the record names the step it took effect at, exactly."""
        value = TrainConfig.parse(name, text)
        if value == getattr(self.config, name):
            return value
        wanted = self.config.changed(**{name: value})
        self.trainer.check_fits(wanted)  # here, not in the training thread, whose step would end the app
        self.wanted = wanted
        if self.lock.acquire(blocking=False):
            try:
                self._use_wanted()
            finally:
                self.lock.release()
        return getattr(self.wanted, name)

    def _use_wanted(self) -> None:
        """The settings asked for since the last step, applied, recorded and marked (with the lock held)."""
        wanted, old = self.wanted, self.trainer.config
        if wanted is old:
            return
        self.trainer.use(wanted)
        changes = {k: v for k, v in asdict(wanted).items() if getattr(old, k) != v}
        self.note("configure", changes=changes)
        self.history.mark(self.trainer.step, ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                                       for k, v in changes.items()))

    def rollback(self) -> int:
        """Back to the last good weights after a divergence; returns the step they were kept at."""
        with self.lock:
            self._use_wanted()
            good = self.trainer.rollback()
            self.note("rollback")
            self.accuracy, self.eval_cost = self.trainer.evaluate()  # of the weights now, not the diverged ones
        self.history.mark(self.trainer.step, f"rollback to {good}")
        self.last_event, self.weights_from = None, good
        return good

    def reach(self) -> Reach:
        """How far past its training lengths the network is right (`Dataset.reach`, to the task's default n),
        measured once for each weights and kept in the history; ValueError if the data has no reach."""
        with self.lock:
            weights = (self.net, self.trainer.step, self.weights_from)
            if self._reached is None or self._reached[0] != weights:
                self._reached = (weights, self.data.reach(self.net))
                self.history.add_reach(self.trainer.step, self._reached[1].largest)
            return self._reached[1]

    @property
    def last_reach(self) -> Reach | None:
        """The reach measured last (while the Reach view is open, at most a redraw old), or None: what a lesson's
        condition can read from any thread without measuring it."""
        return self._reached[1] if self._reached else None

    def predict(self, text: str) -> Prediction:
        with self.lock:
            return predict(self.net, self.vocab, text)

    def look(self, text: str, lens: Lens, stale: Callable[[], bool] = bool) -> tuple[Prediction, object] | None:
        """The prediction after `text` and the numbers of the view `lens` opens, from the same weights; None if
        `stale()` says, once the lock is free (a training step can hold it for seconds), that it is not wanted."""
        with self.lock:
            if stale():
                return None
            prediction = predict(self.net, self.vocab, text)
            return prediction, self.insight.look(self.net, self.data, prediction, lens, self.trainer.step)

    # --- building -------------------------------------------------------------
    def rebuild(self, model: ModelConfig | None = None, seed: int | None = None) -> None:
        """A fresh network (and data if it changed); training settings are kept, the history is cleared. The
        network is drawn outside the lock (seconds for a wide layer), so predictions go on meanwhile."""
        model, seed = model or self.model, self.config.seed if seed is None else seed
        data, net = self._network(model, seed, self.config.dtype)
        with self.lock:
            self._install(model, data, net, self.config.changed(seed=seed))  # settings changed meanwhile kept

    def reset_weights(self) -> None:
        """The same architecture drawn again from its seed, back at step 0."""
        data, net = self._network(self.model, self.config.seed, self.config.dtype)
        with self.lock:
            self._use_wanted()
            self.note("reset")
            self._install(self.model, data, net, self.trainer.config, noted=False)

    def fork(self, run_id: int) -> Session:
        """A new run that starts from this one's weights, training state and history."""
        fork = copy.copy(self)
        with self.lock:
            self._use_wanted()
            net = Network.from_spec(self.net.spec())
            for name, array in self.net.params.items():
                net.params[name][...] = array
            fork.trainer = Trainer(net, self.data, self.trainer.config, state=self.trainer.state_dict())
            fork.wanted = fork.trainer.config
        fork.lock, fork.net, fork.run_id, fork.history = threading.Lock(), net, run_id, self.history.copy()
        fork.insight = Insight()  # its own state map axes, fitted on its own weights
        fork.note("fork", parent=self.run_id)
        return fork

    def _build(self, model: ModelConfig, config: TrainConfig) -> None:
        self._install(model, *self._network(model, config.seed, config.dtype), config)

    def _network(self, model: ModelConfig, seed: int, dtype: str) -> tuple[Dataset, Network]:
        """The data and a new network for `model`; reads nothing of the session but its data."""
        stack = [Embedding(model.embed), *parse_layers(model.layers)]  # before the data: the cheaper check first
        data = self.data if getattr(self, "model", None) and self.model.data == model.data else load_data(model.data)
        return data, Network(len(data.vocab), stack, seed=seed, dtype=dtype)

    def _install(self, model: ModelConfig, data: Dataset, net: Network, config: TrainConfig,
                 noted: bool = True) -> None:
        """Put a new network in place, with a trainer for it (which may refuse the config: SettingError)."""
        self.trainer, self.wanted = Trainer(net, data, config), config
        self.model, self.data, self.vocab, self.net = model, data, data.vocab, net
        self._forget()
        if noted:
            self.note("start", **self.start())

    def start(self) -> dict:
        """What a record's start event holds: how to build this run again."""
        return {"data": self.data.source, "model": asdict(self.model), "config": asdict(self.config)}

    def note(self, kind: str, **fields) -> None:
        """Write an event of this run into the record, if there is one, at the trainer's step."""
        if self.recorder:
            step = 0 if kind == "start" else self.trainer.step
            self.recorder.event(kind, self.run_id, step, **fields)

    def _forget(self) -> None:
        """A new network or a loaded one: no figures of the old; the charts start at its step."""
        self.history.clear(self.trainer.step)
        self.last_event = self.accuracy = self.eval_cost = self.weights_from = self.memory_found_at = None
        self._reached = None  # (the weights, their Reach): measured once for each weights
        self.saved_step = self.trainer.step  # a new network has nothing to lose; a loaded one is in its file
        self.insight = Insight()  # the state map's axes belong to the network they were fitted on
        if self.trainer.step:  # a loaded network: its figures now, rather than a dash until the next evaluation
            self.accuracy, self.eval_cost = self.trainer.evaluate()

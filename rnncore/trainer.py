"""The trainer: a generator that does one optimizer step per `next()`.

A caller (the app, a script) may change the settings between two steps with
`trainer.configure(lr=...)`: checked once, they take effect at the next step.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from typing import NamedTuple

import numpy as np

from .budget import keep_freed_memory, refusal
from .config import SettingError, TrainConfig
from .optim import clip_by_global_norm, make_optimizer, scheduled_lr

DIVERGED_LOSS = 3.0  # times the loss of a uniform guess, ln(vocab): past it the run has diverged


@dataclass(frozen=True)
class StepEvent:
    step: int  # optimizer steps done, this one included
    epoch: float  # epochs done, with the fraction of the current one
    loss: float  # mean cross-entropy of this step's batch
    lr: float  # learning rate used by this step
    grad_norm: float  # global gradient norm before clipping
    clipped_norm: float  # ... and after
    tokens: int  # targets in this step's batch
    tokens_per_sec: float  # this step's targets over its compute time
    skipped: bool = False  # loss or gradients were not finite: no weight changed
    diverged: bool = False  # skipped, or the loss is far above a uniform guess
    eval_accuracy: float | None = None  # set every `eval_every` steps
    eval_cost: float | None = None  # mean cross-entropy per eval target
    eval_memory_use: float | None = None  # where memory matters, the share of its worth gained (Dataset.memory_use)


class Evaluation(NamedTuple):
    accuracy: float  # over every eval target
    cost: float  # mean cross-entropy per eval target
    memory_use: float | None  # Dataset.memory_use; None if the data has no targets where memory matters


class Trainer:
    def __init__(self, net, data, config: TrainConfig | None = None, state: dict | None = None):
        if len(data.vocab) != net.vocab_size:
            raise ValueError(f"the data has {len(data.vocab)} symbols but the network's vocabulary is {net.vocab_size}")
        self.net, self.data = net, data
        self.config = config or TrainConfig()
        self.check_fits(self.config)
        self.step = self.epoch = self.chunk = 0
        self.schedule_start = 0  # the step at which the current schedule was chosen
        self.hidden = None  # carried state between BPTT chunks
        self.optimizer = make_optimizer(self.config.optimizer, self.config.momentum)
        self._plan, self._plan_key, self._resume_chunk, self._saved_progress = [], None, 0, None
        if state:
            self.load_state(state)
        self.keep_good()

    def steps(self):
        """One optimizer step per `next()`, forever; stop by leaving the loop."""
        while True:
            yield self.train_step()

    def configure(self, **changes) -> TrainConfig:
        """New settings, checked together (SettingError names the bad one), for the next step on."""
        return self.use(replace(self.config, **changes))

    def use(self, config: TrainConfig) -> TrainConfig:
        """A whole config (valid, as every TrainConfig is) for the next step on; a new schedule starts then."""
        self.check_fits(config)
        if config.schedule != self.config.schedule:
            self.schedule_start = self.step
        self.config = config  # one assignment: a step running in another thread reads the old or the new whole
        return config

    def check_fits(self, config: TrainConfig) -> None:
        """SettingError (on batch) if a step with this config would take more memory than the machine can give."""
        batch, steps = self.data.chunk_shape(config.batch_size, config.bptt)
        needed = self.net.step_bytes(batch, steps) * (8 if config.dtype == "float64" else 4) // self.net.dtype.itemsize
        why = refusal(f"one step of batch {batch} x {steps} steps", needed)
        if why:
            raise SettingError("batch_size", "batch", TrainConfig.describe("batch_size")["rule"], batch,
                               why + ": lower the batch or BPTT")

    @property
    def progress(self) -> float:
        """Epochs done, with the fraction of the current one (as saved, before the first step after a load)."""
        if self._plan:
            return self.epoch + self.chunk / len(self._plan)
        return self._saved_progress if self._saved_progress is not None else float(self.epoch)

    @property
    def next_lr(self) -> float:
        """The learning rate the next step will use."""
        return self._lr(self.config)

    def _lr(self, cfg) -> float:
        return scheduled_lr(cfg.lr, cfg.schedule, self.step - self.schedule_start, cfg.decay_steps)

    def train_step(self) -> StepEvent:
        cfg = self.config  # read once: `configure` may swap it from another thread
        keep_freed_memory()  # once per process, in fact (the answer is cached)
        lr = self._lr(cfg)
        self._follow_config(cfg)
        x, y, mask, carry = self._next_chunk(cfg)
        carry = carry and self.hidden is not None and len(self.hidden[0]) == len(x)  # not if resumed at a new batch
        started = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below and reported in the event
            loss, grads, state = self.net.run_batch(x, y, mask, self.hidden if carry else None)
            norm, clipped = clip_by_global_norm(grads, cfg.clip)  # then decay, schedule: torch's order
            skipped = not (math.isfinite(loss) and math.isfinite(norm)) or not self._update(grads, lr, cfg.l2)
        self.hidden = None if skipped else state
        self.step += 1
        tokens = int(mask.sum())
        seconds = time.perf_counter() - started
        diverged = skipped or loss > DIVERGED_LOSS * math.log(self.net.vocab_size)
        if not diverged and self.step % cfg.keep_every == 0:
            self.keep_good()
        evaluation = self.evaluation() if cfg.eval_every and self.step % cfg.eval_every == 0 else (None,) * 3
        return StepEvent(self.step, self.epoch + self.chunk / max(len(self._plan), 1), loss, lr, norm, clipped,
                         tokens, tokens / max(seconds, 1e-9), skipped, diverged, *evaluation)

    def evaluate(self) -> tuple[float, float]:
        """(accuracy, mean cost) over every eval target."""
        return self.evaluation()[:2]

    def evaluation(self) -> Evaluation:
        """Accuracy and mean cost over every eval target, and the memory use (Dataset.memory_use)."""
        costs, rights = [np.zeros(0)], [np.zeros(0, bool)]
        for x, y, mask in self.data.eval_batches():
            logp, kept = self.net.log_probs(x), mask.astype(bool)
            costs.append(-np.take_along_axis(logp, y[..., None], -1)[..., 0][kept])
            rights.append((logp.argmax(-1) == y)[kept])
        cost, right, count = np.concatenate(costs), np.concatenate(rights), max(sum(map(len, costs)), 1)
        mean_cost = float(cost.sum(dtype=np.float64)) / count
        return Evaluation(float(right.sum()) / count, mean_cost, self.data.memory_use(mean_cost))

    # --- divergence --------------------------------------------------------
    def keep_good(self):
        params = {k: v.copy() for k, v in self.net.params.items()}
        opt = {k: v.copy() for k, v in self.optimizer.state.items()}
        self.last_good = (self.step, params, opt)  # (step, params, optimizer state)

    def rollback(self) -> int:
        """Go back to the last good weights (at worst, those the trainer started with); returns their step."""
        step, params, opt = self.last_good
        for k, v in params.items():
            self.net.params[k][...] = v
        self.optimizer.state = {k: v.copy() for k, v in opt.items()}
        self.hidden = None
        return step

    # --- resuming ----------------------------------------------------------
    def state_dict(self) -> dict:
        """A snapshot: copies, so the live optimizer's in-place updates don't reach it."""
        arrays = {f"optimizer/{k}": v.copy() for k, v in self.optimizer.state.items()}
        arrays.update({f"hidden/{i}": h.copy() for i, h in enumerate(self.hidden or [])})
        return {"config": asdict(self.config), "step": self.step, "epoch": self.epoch, "chunk": self.chunk,
                "schedule_start": self.schedule_start, "progress": self.progress, "optimizer": self.optimizer.name,
                "arrays": arrays}

    def load_state(self, state: dict):
        self.config = TrainConfig.from_dict(state["config"])
        self.step, self.epoch, self.chunk = int(state["step"]), int(state["epoch"]), int(state["chunk"])
        self.schedule_start = int(state.get("schedule_start", 0))
        self._saved_progress = state.get("progress")
        self.optimizer = make_optimizer(state["optimizer"], self.config.momentum)
        arrays = state.get("arrays", {})
        self.optimizer.state = {k.split("/", 1)[1]: v.copy() for k, v in arrays.items() if k.startswith("optimizer/")}
        hidden = sorted((int(k.split("/")[1]), v) for k, v in arrays.items() if k.startswith("hidden/"))
        self.hidden = [v.copy() for _, v in hidden] or None
        self._plan_key = None  # the plan is rebuilt, then `chunk` chunks skipped
        self._resume_chunk = self.chunk

    # --- plumbing ----------------------------------------------------------
    def _follow_config(self, cfg):
        if self.optimizer.name != cfg.optimizer:
            self.optimizer = make_optimizer(cfg.optimizer, cfg.momentum)
        if cfg.optimizer == "sgd":
            self.optimizer.momentum = cfg.momentum
        if self.net.dtype.name != cfg.dtype:
            self.net.astype(cfg.dtype)
            self.optimizer.state = {k: v.astype(cfg.dtype) for k, v in self.optimizer.state.items()}
            self.hidden = None

    def _next_chunk(self, cfg):
        key = (cfg.batch_size, cfg.bptt)
        if key != self._plan_key:
            self._plan = self._epoch_plan(cfg)
            self._plan_key = key
            self.chunk = self._resume_chunk
            self._resume_chunk = 0
        if self.chunk >= len(self._plan):
            self.epoch += 1
            self._plan = self._epoch_plan(cfg)
            self.chunk = 0
        chunk = self._plan[self.chunk]
        self.chunk += 1
        return chunk

    def _epoch_plan(self, cfg):
        plan = list(self.data.epoch(self.epoch, cfg.batch_size, cfg.bptt, cfg.seed))
        if not plan:
            raise ValueError(f"the data set {self.data.name!r} has no training targets")
        return plan

    def _update(self, grads, lr, l2) -> bool:
        """Apply the step; if it overflowed a weight, go back to the last good ones and report False."""
        self.optimizer.update(self.net.params, grads, lr, l2)
        if all(math.isfinite(float(p.sum())) for p in self.net.params.values()):
            return True
        self.rollback()
        return False

"""The trainer: a generator that does one optimizer step per `next()`.

Hyperparameters are read from `trainer.config` at every step, so a caller
(the app, a script) may change them between two steps.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, fields

import numpy as np

from .optim import OPTIMIZERS, SCHEDULES, clip_by_global_norm, make_optimizer, scheduled_lr

MAX_BATCH = 4096
MAX_BPTT = 10_000
MAX_LR = 10.0
DIVERGED_LOSS = 3.0  # times the loss of a uniform guess, ln(vocab): past it the run has diverged


@dataclass
class TrainConfig:
    lr: float = 0.01  # base learning rate, in (0, 10]
    schedule: str = "constant"  # constant | inverse (the original's lr*tau/max(t,tau)) | exponential | cosine
    decay_steps: int = 1500  # tau of inverse, half-life of exponential, length of cosine
    optimizer: str = "adam"  # sgd | adagrad | adam; switching starts the new one with fresh state
    momentum: float = 0.0  # sgd only, in [0, 1)
    batch_size: int = 32  # sequences (or text rows) per step, 1 to 4096
    bptt: int = 0  # truncated backprop length, state carried between chunks; 0 = whole sequences
    l2: float = 0.0  # weight decay on matrices (the original's lambda2), in [0, 1]
    clip: float = 5.0  # largest global gradient norm; 0 = no clipping
    eval_every: int = 50  # steps between evaluations on the eval set; 0 = never
    keep_every: int = 100  # steps between snapshots of good weights, for rolling back a divergence
    seed: int = 0  # order in which the training data is shuffled
    dtype: str = "float32"  # float32 | float64; the network is cast at the next step

    def validate(self) -> TrainConfig:
        for name, ok, rule in self._rules():
            if not ok:
                raise ValueError(f"{name} must be {rule}, got {getattr(self, name)!r}")
        return self

    def _rules(self):
        def whole(v, lo, hi):
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and lo <= v <= hi

        def real(v, lo, hi):
            return isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and lo <= v <= hi

        return [
            ("lr", real(self.lr, 0, MAX_LR) and self.lr > 0, f"a number in (0, {MAX_LR}]"),
            ("schedule", self.schedule in SCHEDULES, " | ".join(SCHEDULES)),
            ("decay_steps", whole(self.decay_steps, 1, 10**9), "an integer of at least 1"),
            ("optimizer", self.optimizer in tuple(OPTIMIZERS), " | ".join(OPTIMIZERS)),
            ("momentum", real(self.momentum, 0, 1) and self.momentum < 1, "a number in [0, 1)"),
            ("batch_size", whole(self.batch_size, 1, MAX_BATCH), f"an integer from 1 to {MAX_BATCH}"),
            ("bptt", whole(self.bptt, 0, MAX_BPTT), f"an integer from 0 (full) to {MAX_BPTT}"),
            ("l2", real(self.l2, 0, 1), "a number in [0, 1]"),
            ("clip", real(self.clip, 0, math.inf) and math.isfinite(self.clip), "0 (off) or a positive number"),
            ("eval_every", whole(self.eval_every, 0, 10**9), "an integer of at least 0"),
            ("keep_every", whole(self.keep_every, 1, 10**9), "an integer of at least 1"),
            ("seed", whole(self.seed, 0, 2**63 - 1), "a non-negative integer"),
            ("dtype", self.dtype in ("float32", "float64"), "float32 | float64"),
        ]

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known}).validate()


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


class Trainer:
    def __init__(self, net, data, config: TrainConfig | None = None, state: dict | None = None):
        if len(data.vocab) != net.vocab_size:
            raise ValueError(f"the data has {len(data.vocab)} symbols but the network's vocabulary is {net.vocab_size}")
        self.net, self.data = net, data
        self.config = (config or TrainConfig()).validate()
        self.step = self.epoch = self.chunk = 0
        self.hidden = None  # carried state between BPTT chunks
        self.optimizer = make_optimizer(self.config.optimizer, self.config.momentum)
        self._plan, self._plan_key, self._resume_chunk = [], None, 0
        if state:
            self.load_state(state)
        self.keep_good()

    def steps(self):
        """One optimizer step per `next()`, forever; stop by leaving the loop."""
        while True:
            yield self.train_step()

    def train_step(self) -> StepEvent:
        cfg = self.config.validate()
        self._follow_config(cfg)
        x, y, mask, carry = self._next_chunk(cfg)
        carry = carry and self.hidden is not None and len(self.hidden[0]) == len(x)  # not if resumed at a new batch
        started = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught below and reported in the event
            loss, grads, state = self.net.run_batch(x, y, mask, self.hidden if carry else None)
            norm, clipped = clip_by_global_norm(grads, cfg.clip)  # then decay, schedule: torch's order
            lr = scheduled_lr(cfg.lr, cfg.schedule, self.step, cfg.decay_steps)
            skipped = not (math.isfinite(loss) and math.isfinite(norm)) or not self._update(grads, lr, cfg.l2)
        self.hidden = None if skipped else state
        self.step += 1
        tokens = int(mask.sum())
        seconds = time.perf_counter() - started
        diverged = skipped or loss > DIVERGED_LOSS * math.log(self.net.vocab_size)
        if not diverged and self.step % cfg.keep_every == 0:
            self.keep_good()
        evaluation = self.evaluate() if cfg.eval_every and self.step % cfg.eval_every == 0 else (None, None)
        return StepEvent(self.step, self.epoch + self.chunk / max(len(self._plan), 1), loss, lr, norm, clipped,
                         tokens, tokens / max(seconds, 1e-9), skipped, diverged, *evaluation)

    def evaluate(self) -> tuple[float, float]:
        """(accuracy, mean cost) over every eval target."""
        cost = correct = total = 0
        for x, y, mask in self.data.eval_batches():
            c, k, n = self.net.evaluate(x, y, mask)
            cost, correct, total = cost + c, correct + k, total + n
        return correct / max(total, 1), cost / max(total, 1)

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
                "optimizer": self.optimizer.name, "arrays": arrays}

    def load_state(self, state: dict):
        self.config = TrainConfig.from_dict(state["config"])
        self.step, self.epoch, self.chunk = int(state["step"]), int(state["epoch"]), int(state["chunk"])
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

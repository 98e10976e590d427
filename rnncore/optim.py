"""Optimizers, weight decay, global-norm clipping and learning-rate schedules, as PyTorch computes them.

An optimizer updates the parameter arrays in place and keeps its state in a
dict of arrays under the parameters' names (so checkpoints can store it).
One training step is PyTorch's usual loop, in the same order:

    clip_by_global_norm(grads, clip)          # torch.nn.utils.clip_grad_norm_(params, clip)
    optimizer.update(params, grads, lr, l2)   # optimizer.step(), l2 being torch's weight_decay
    lr = scheduled_lr(..., steps_done, ...)   # scheduler.step(): the first step uses the base lr

SGD (momentum: v = mu*v + g, p -= lr*v), Adagrad, Adam (eps added after the bias
correction) and AdamW (decoupled decay, p -= lr*l2*p) compute what torch.optim's do;
tests/test_optim.py checks each against torch to 1e-12 in float64.

What still differs from PyTorch, on purpose:
- Weight decay (`l2`) acts on matrices only (the embedding included), never on biases:
  a bias adds little to overfitting, and decay would pull it off the offset the data
  needs (the output bias holds the symbols' frequencies). torch's `weight_decay` acts
  on every parameter of its group: put the 1-D parameters in a group with
  `weight_decay=0` to get ours.
- `l2` defaults to 0 for every optimizer; torch's AdamW defaults to weight_decay=0.01.
- No options beyond these: SGD has no dampening or Nesterov, Adam no amsgrad, Adagrad
  no lr_decay or initial accumulator value (at torch's defaults the numbers agree).
- Schedules are closed formulas of the steps done, so a new base lr or schedule applies
  at once; torch's schedulers are chained from the previous lr. exponential is given by
  its half-life: torch's ExponentialLR(gamma=0.5 ** (1 / decay_steps)). cosine stays at
  its floor after `decay_steps`, where CosineAnnealingLR (periodic) rises again. inverse,
  the original's, has no torch class: LambdaLR(lambda t: tau / max(t, tau)).
- The trainer skips a step whose loss or gradients are not finite; torch would apply it.
"""
from __future__ import annotations

import math

import numpy as np


def decays(param) -> bool:
    """Weight decay acts on matrices (embedding, weights), not on biases."""
    return param.ndim == 2


def add_l2(params, grads, l2):
    """torch's coupled `weight_decay`: g += l2 * p, in place, on matrices only."""
    if l2:
        for k, g in grads.items():
            if decays(params[k]):
                g += l2 * params[k]


class SGD:
    name = "sgd"

    def __init__(self, momentum: float = 0.0):
        self.momentum = momentum
        self.state = {}  # "velocity/<name>" -> v

    def update(self, params, grads, lr, l2=0.0):
        add_l2(params, grads, l2)
        for k, g in grads.items():
            if self.momentum:  # v holds no lr, so a schedule scales past steps' velocity and this one alike
                v = self.state.setdefault("velocity/" + k, np.zeros_like(g))
                v *= self.momentum
                v += g
                g = v
            params[k] -= lr * g

    def state_layout(self, shapes):
        """key -> (shape, least allowed value) of each array the state may hold."""
        return {"velocity/" + k: (shape, -math.inf) for k, shape in shapes.items()}


class Adagrad:
    name = "adagrad"

    def __init__(self, eps: float = 1e-10):
        self.eps = eps
        self.state = {}  # name -> sum of squared gradients

    def update(self, params, grads, lr, l2=0.0):
        add_l2(params, grads, l2)
        for k, g in grads.items():
            s = self.state.setdefault(k, np.zeros_like(g))
            s += g * g
            params[k] -= lr * g / (np.sqrt(s) + self.eps)

    def state_layout(self, shapes):
        return {k: (shape, 0.0) for k, shape in shapes.items()}


class Adam:
    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.state = {"t": np.zeros(1)}  # plus "m/<name>" and "v/<name>"

    def update(self, params, grads, lr, l2=0.0):
        add_l2(params, grads, l2)
        self._step(params, grads, lr)

    def _step(self, params, grads, lr):
        t = float(self.state["t"][0]) + 1
        self.state["t"][0] = t
        bias1, bias2 = 1 - self.beta1**t, 1 - self.beta2**t
        for k, g in grads.items():
            m = self.state.setdefault("m/" + k, np.zeros_like(g))
            v = self.state.setdefault("v/" + k, np.zeros_like(g))
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g * g - v)
            step = np.sqrt(v)  # becomes the update, in place
            step /= math.sqrt(bias2)
            step += self.eps  # after the bias correction, as torch adds it
            np.divide(m, step, out=step)
            step *= lr / bias1
            params[k] -= step

    def state_layout(self, shapes):
        layout = {"t": ((1,), 0.0)}
        for k, shape in shapes.items():
            layout["m/" + k], layout["v/" + k] = (shape, -math.inf), (shape, 0.0)
        return layout


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): the weights shrink by lr * l2
    before the step, and the decay never enters the moments."""

    name = "adamw"

    def update(self, params, grads, lr, l2=0.0):
        if l2:
            for k in grads:
                if decays(params[k]):
                    params[k] *= 1 - lr * l2
        self._step(params, grads, lr)


OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "adam": Adam, "adamw": AdamW}


def make_optimizer(name: str, momentum: float = 0.0):
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    if name == "sgd":
        return SGD(momentum)
    return OPTIMIZERS[name]()


def global_norm(grads) -> float:
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_by_global_norm(grads, max_norm):
    """Scale all gradients together so their joint norm is at most `max_norm` (0 = off), as
    torch's clip_grad_norm_ does (its 1e-6 included). Returns the norm before and after."""
    norm = global_norm(grads)
    scale = max_norm / (norm + 1e-6) if max_norm else 1.0
    if scale < 1:
        for g in grads.values():
            g *= scale
        return norm, norm * scale
    return norm, norm


SCHEDULES = ("constant", "inverse", "exponential", "cosine")


def scheduled_lr(base_lr, schedule, step, decay_steps, min_lr_ratio=0.0):
    """The learning rate after `step` steps done (0 for the first step), as torch's schedulers count.

    inverse: the original's `lr * tau / max(t, tau)`, held then decayed as 1/t.
    exponential: halves every `decay_steps` steps.
    cosine: falls from lr to lr * min_lr_ratio over `decay_steps` steps, then stays.
    """
    if schedule == "constant":
        return base_lr
    if schedule == "inverse":
        return base_lr * decay_steps / max(step, decay_steps)
    if schedule == "exponential":
        return base_lr * 0.5 ** (step / decay_steps)
    if schedule == "cosine":
        progress = min(step / decay_steps, 1.0)
        return base_lr * (min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))
    raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")

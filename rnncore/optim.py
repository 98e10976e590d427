"""Optimizers, L2, global-norm clipping and learning-rate schedules.

An optimizer updates the parameter arrays in place and keeps its state in a
dict of arrays under the parameters' names (so checkpoints can store it).
"""
from __future__ import annotations

import math

import numpy as np


class SGD:
    name = "sgd"

    def __init__(self, momentum: float = 0.0):
        self.momentum = momentum
        self.state = {}  # name -> velocity

    def update(self, params, grads, lr):
        for k, g in grads.items():
            if self.momentum:
                v = self.state.setdefault(k, np.zeros_like(g))
                v *= self.momentum
                v -= lr * g
                params[k] += v
            else:
                params[k] -= lr * g


class Adagrad:
    name = "adagrad"

    def __init__(self, eps: float = 1e-8):
        self.eps = eps
        self.state = {}  # name -> sum of squared gradients

    def update(self, params, grads, lr):
        for k, g in grads.items():
            s = self.state.setdefault(k, np.zeros_like(g))
            s += g * g
            params[k] -= lr * g / (np.sqrt(s) + self.eps)


class Adam:
    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.state = {"t": np.zeros(1)}  # plus "m/<name>" and "v/<name>"

    def update(self, params, grads, lr):
        t = self.state["t"][0] = self.state["t"][0] + 1
        step = lr * math.sqrt(1 - self.beta2**t) / (1 - self.beta1**t)
        for k, g in grads.items():
            m = self.state.setdefault("m/" + k, np.zeros_like(g))
            v = self.state.setdefault("v/" + k, np.zeros_like(g))
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g * g - v)
            params[k] -= step * m / (np.sqrt(v) + self.eps)


OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "adam": Adam}


def make_optimizer(name: str, momentum: float = 0.0):
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    if name == "sgd":
        return SGD(momentum)
    return OPTIMIZERS[name]()


def add_l2(params, grads, l2):
    """Weight decay on matrices only; biases are left free as is usual."""
    if l2:
        for k, g in grads.items():
            if params[k].ndim == 2:
                g += l2 * params[k]


def global_norm(grads) -> float:
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_by_global_norm(grads, max_norm):
    """Scale all gradients together so their joint norm is at most `max_norm` (0 = off).
    Returns the norm before and after."""
    norm = global_norm(grads)
    if max_norm and norm > max_norm:
        scale = max_norm / norm
        for g in grads.values():
            g *= scale
        return norm, max_norm
    return norm, norm


SCHEDULES = ("constant", "inverse", "exponential", "cosine")


def scheduled_lr(base_lr, schedule, step, decay_steps, min_lr_ratio=0.0):
    """The learning rate at `step` (counted from 1).

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

"""The original simpleRNN toy run, epoch by epoch, through the compat API.

Its network (embedding 32, one RNN of 64 with a uniform Whh), its data (the
toy task), its schedule (per-sequence SGD at lr 0.008 held for 1500 epochs,
then decayed as 1/t) and its L2 of 0.0002 on the embedding and the RNN.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import datasets
from .compat import EmbeddingLayer, InputLayer, NNetwork, RNNLayer, SoftmaxOutputLayer
from .optim import scheduled_lr

LR, TAU, L2 = 0.008, 1500, 0.0002
EMBED, HIDDEN, MAX_BPTT_STEPS = 32, 64, 15
CEILING = 70  # of the 71 eval targets: one of them cannot be predicted


@dataclass(frozen=True)
class ToyEpoch:
    epoch: int  # epochs trained; 0 is the evaluation before any training
    lr: float  # learning rate used by this epoch
    train_cost: float  # mean cost of this epoch's training sequences (nan at epoch 0)
    correct: int  # eval targets predicted right
    targets: int  # eval targets in all (71)
    eval_cost: float  # mean cross-entropy per eval target
    train_seconds: float  # time spent in training steps so far, evaluation excluded

    @property
    def accuracy(self) -> float:
        return self.correct / self.targets


def toy_network(seed: int = 0) -> NNetwork:
    """The network the original toy.py ran, built with the original's API."""
    data = datasets.toy()
    nn = NNetwork(seed=seed)
    nn.set_input(InputLayer("word sequence input", -1))
    nn.set_output(SoftmaxOutputLayer("word predict", len(data.vocab)))
    for layer in (EmbeddingLayer("embedding", len(data.vocab), EMBED), RNNLayer("rnn1", HIDDEN, MAX_BPTT_STEPS)):
        layer.set_lambda2(L2)
        nn.add_hidden_layer(layer)
    nn.connect_layers()
    return nn


def toy_epochs(nn: NNetwork, seed: int = 0):
    """Yield the evaluation before training, then one ToyEpoch per epoch, forever:
    every training sequence once, in a random order, one SGD step each."""
    data, rng = datasets.toy(), np.random.default_rng(seed)
    train_seconds = 0.0
    yield _evaluate(nn, data, 0, LR, float("nan"), train_seconds)
    epoch = 0
    while True:
        epoch += 1
        lr = scheduled_lr(LR, "inverse", epoch, TAU)
        started = time.perf_counter()
        costs = [nn.train(data.train[i][:-1], data.train[i][1:], lr) for i in rng.permutation(len(data.train))]
        train_seconds += time.perf_counter() - started
        yield _evaluate(nn, data, epoch, lr, float(np.mean(costs)), train_seconds)


def _evaluate(nn, data, epoch, lr, train_cost, train_seconds) -> ToyEpoch:
    results = [nn.evaluate(seq[:-1], seq[1:]) for seq in data.eval]
    targets = data.n_eval_targets()
    correct, cost = sum(r[0] for r in results), sum(r[1] for r in results)
    return ToyEpoch(epoch, lr, train_cost, correct, targets, cost / targets, train_seconds)

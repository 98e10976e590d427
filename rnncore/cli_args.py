"""What the `rnncore` command accepts: its parser, with no side effects (cli.py runs the commands)."""
from __future__ import annotations

import argparse
from dataclasses import fields

from .optim import OPTIMIZERS, SCHEDULES
from .trainer import TrainConfig

DEFAULT_EMBED, DEFAULT_LAYERS = 32, "rnn:64,rnn:32"
CONFIG_HELP = {  # every TrainConfig field is an option of `train`
    "lr": "base learning rate", "schedule": " | ".join(SCHEDULES), "decay_steps": "steps of the schedule",
    "optimizer": " | ".join(OPTIMIZERS), "momentum": "momentum, sgd only", "batch_size": "sequences per step",
    "bptt": "truncated backprop length, 0 = whole sequences", "l2": "weight decay on matrices",
    "clip": "largest global gradient norm, 0 = off", "eval_every": "steps between evaluations, 0 = never",
    "keep_every": "steps between snapshots for rolling back a divergence",
    "seed": "seed of the weights and of the data order", "dtype": "float32 | float64",
}


class UsageError(Exception):
    """A bad argument: main prints it as one line and returns 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def whole(low: int):
    def parse(text: str) -> int:
        if not text.strip().isdecimal() or int(text) < low:
            raise argparse.ArgumentTypeError(f"must be a whole number of at least {low}, got {text!r}")
        return int(text)
    return parse


def build_parser() -> Parser:
    parser = Parser(prog="rnncore", description="Train and query small recurrent networks.")
    commands = parser.add_subparsers(dest="command", metavar="{toy,train,predict,generate}")
    toy = commands.add_parser("toy", help="the original simpleRNN toy run, to its 70/71 ceiling")
    toy.add_argument("--epochs", type=whole(0), default=500, help="stop after this many epochs (default 500)")
    toy.add_argument("--seed", type=whole(0), default=0, help="seed of the weights and the data order (default 0)")
    add_train_parser(commands)
    for name, help_ in (("predict", "next-symbol probabilities after a prefix"), ("generate", "continue a prefix")):
        sub = commands.add_parser(name, help=help_)
        sub.add_argument("checkpoint", help="a checkpoint written by rnncore train --save")
        sub.add_argument("prefix", help="symbols to start from, e.g. 1357 or '1 3 5'")
    predict, generate = commands.choices["predict"], commands.choices["generate"]
    predict.add_argument("--top", type=whole(1), default=10, help="rows to show (default 10)")
    generate.add_argument("-n", type=whole(0), default=20, help="symbols to add (default 20)")
    generate.add_argument("--temperature", type=float, default=1.0, help="0 = greedy (default 1.0)")
    generate.add_argument("--seed", type=whole(0), default=None, help="seed of the sampling (default: random)")
    return parser


def add_train_parser(commands):
    train = commands.add_parser("train", help="train a network with a progress bar")
    train.add_argument("--data", default="digits", help="toy | digits | PATH of a UTF-8 text file (default digits)")
    train.add_argument("--embed", type=whole(1), help=f"embedding size (default {DEFAULT_EMBED})")
    train.add_argument("--layers", help=f"layer stack, e.g. rnn:64,dense:32:tanh (default {DEFAULT_LAYERS})")
    train.add_argument("--steps", type=whole(0), default=1000, help="optimizer steps to run now (default 1000)")
    train.add_argument("--save", metavar="PATH", help="write a checkpoint here at the end")
    train.add_argument("--save-every", type=whole(0), default=0, metavar="K", help="... and every K steps")
    train.add_argument("--load", metavar="PATH", help="resume from this checkpoint (weights and trainer state)")
    defaults = TrainConfig()
    for field in fields(TrainConfig):
        default = getattr(defaults, field.name)
        kind = float if isinstance(default, float) else int if isinstance(default, int) else str
        train.add_argument("--" + field.name.replace("_", "-"), type=kind, metavar=kind.__name__.upper(),
                           help=f"{CONFIG_HELP[field.name]} (default {default})")

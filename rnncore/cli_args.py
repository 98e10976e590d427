"""What the `rnncore` command accepts (its parser, with no side effects) and how it says things."""
from __future__ import annotations

import argparse
from dataclasses import fields

from rich.console import Console

from .config import ModelConfig, SettingError, Settings, TrainConfig
from .vocab import printable


def say(console: Console, line: str):
    """One plain line: no markup (log lines start with `[develop]`), no wrapping, nothing a terminal would act on
    (a file name or a symbol may hold an escape sequence)."""
    console.print(printable(line), markup=False, soft_wrap=True)


class UsageError(Exception):
    """A bad argument: main prints it as one line and returns 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see {self.prog} --help)")


def whole(low: int):
    def parse(text: str) -> int:
        if not (text.strip().isascii() and text.strip().isdigit()) or int(text) < low:
            raise argparse.ArgumentTypeError(f"must be a whole number of at least {low}, got {text!r}")
        return int(text)
    return parse


def build_parser() -> Parser:
    parser = Parser(prog="rnncore", description="Train and query small recurrent networks.")
    commands = parser.add_subparsers(dest="command", metavar="{toy,train,replay,predict,generate}")
    toy = commands.add_parser("toy", help="the original simpleRNN toy run, to its 70/71 ceiling")
    toy.add_argument("--epochs", type=whole(0), default=500, help="stop after this many epochs (default 500)")
    toy.add_argument("--seed", type=whole(0), default=0, help="seed of the weights and the data order (default 0)")
    add_train_parser(commands)
    replay = commands.add_parser("replay", help="redo a recorded session (rnnviz --record, rnncore train --record)")
    replay.add_argument("record", help="the session record, one JSON object per line")
    replay.add_argument("--save", metavar="PATH", help="write the final weights of a run here")
    replay.add_argument("--run", type=whole(0), metavar="N", help="the run to save (default: the last one named)")
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
    add_settings(train, ModelConfig)
    train.add_argument("--steps", type=whole(0), default=1000, help="optimizer steps to run now (default 1000)")
    train.add_argument("--save", metavar="PATH", help="write a checkpoint here at the end")
    train.add_argument("--save-every", type=whole(0), default=0, metavar="K", help="... and every K steps")
    train.add_argument("--load", metavar="PATH", help="resume from this checkpoint (weights, training state, and "
                       "its data unless --data names other data with the same symbols)")
    train.add_argument("--report-every", type=whole(1), default=50, metavar="N",
                       help="print the latest evaluation every N steps (default 50)")
    train.add_argument("--record", metavar="PATH", help="write a session record here (rnncore replay redoes it)")
    train.add_argument("--log", metavar="PATH", help="write every step's metrics here as CSV")
    train.add_argument("--reach", type=whole(1), metavar="N", help="measure the reach (anbn, parity) up to n = N "
                       "at each evaluation printed and at the end (default 100, or 3 times the training range)")
    add_threads(train)
    add_settings(train, TrainConfig)


def add_threads(parser) -> None:
    parser.add_argument("--threads", type=whole(1), metavar="N",
                        help="threads to train on: BLAS's, and with 2, a batch of 128x128 rows x units or more in "
                             "two halves side by side (default: 1, or 2 from a recurrence of 256x256 weights up; "
                             "OPENBLAS_NUM_THREADS also sets it)")


def add_settings(parser, config: type[Settings]):
    """One option per field of `config`, its help and default read from the field; left unset (None) when not
    given, so that a checkpoint's settings can stand."""
    for f in fields(config):
        about = config.describe(f.name)
        rule = about["rule"]
        allowed = "" if rule.kind is str and not rule.choices else f"; {rule.describe()}"
        parser.add_argument(option(f.name), type=parser_type(config, f.name),
                            metavar={int: "N", float: "X"}.get(rule.kind, f.name.upper()),
                            help=f"{about['help']}{allowed} (default {about['default']})")


def option(name: str) -> str:
    return "--" + name.replace("_", "-")


def parser_type(config: type[Settings], name: str):
    def parse(text: str):
        try:
            return config.parse(name, text)
        except SettingError as e:
            raise argparse.ArgumentTypeError(f"must be {e.rule.describe()}, got {text!r}") from None
    parse.__name__ = name  # argparse names the option's type in its messages
    return parse


def settings_error(e: SettingError) -> UsageError:
    """A setting's error named by its option, as argparse names a value it cannot read."""
    return UsageError(f"argument {option(e.name)}: {e.reason}")

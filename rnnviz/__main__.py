"""`rnnviz` on the command line: arguments checked before any screen is drawn."""
from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from functools import partial

from rnncore import CheckpointError, ModelConfig, SettingError, TrainConfig, files
from rnncore.cli_args import add_threads
from rnncore.replay import Replayer
from rnncore.threads import blas_threads
from rnncore.vocab import printable

from .fairshare import FairShare
from .lab import DEFAULT_SPEED, Lab, parse_speed
from .lesson import BUILT_IN, built_in, find
from .models import check_data, read_model
from .replaylab import REPLAY_IS_A_RECORD, ReplayLab
from .serve import add_serve_arguments, end_with_server, serve
from .session import Session


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        """One line, not argparse's usage block: the user sees at once what to fix."""
        self.exit(2, f"rnnviz: {message} (see rnnviz --help)\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = _Parser(prog="rnnviz", description="Watch a recurrent network learn, in your terminal.")
    for name, metavar in (("data", "NAME|PATH"), ("embed", "N"), ("layers", "SPEC")):
        about = ModelConfig.describe(name)
        parser.add_argument(f"--{name}", metavar=metavar, help=f"{about['help']} (default {about['default']})")
    seed = TrainConfig.describe("seed")
    parser.add_argument("--seed", metavar="N", help=f"{seed['help']} (default {seed['default']})")
    parser.add_argument("--load", metavar="model.npz",
                        help="start from a checkpoint: its network, training state and data (its architecture wins)")
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED, metavar="N",
                        help=f"training steps a second, 0 = as fast as it goes (default {DEFAULT_SPEED:g})")
    parser.add_argument("--record", metavar="PATH", help="record the session here (rnncore replay PATH redoes it)")
    parser.add_argument("--replay", metavar="PATH", help="show a recorded session again, at --speed steps a second")
    parser.add_argument("--lesson", metavar="NAME|PATH", help="follow a lesson: a built-in one (rnnviz --lessons) or "
                        "a lesson file; its start sets the task and the network unless --data, --layers... say")
    parser.add_argument("--lessons", action="store_true", help="list the built-in lessons and exit")
    add_threads(parser)
    add_serve_arguments(parser)
    return parser.parse_args(argv)


class StartError(ValueError):
    """A command line the app cannot start with; its message is the one line the user sees."""


def check_args(args: argparse.Namespace) -> None:
    """The quick checks, made before any screen: every option's form, the data's name or its file's start,
    the files to read there, and the record's place (never one of them). StartError if one fails; reading a big
    file through is left to `lab_from_args`."""
    try:
        parse_speed(str(args.speed))
        args.lesson = find(args.lesson) if args.lesson else None
        model, _ = _model(args)
        check_data(model.data)
        for option, kind in (("load", "checkpoint"), ("replay", "record")):
            if getattr(args, option):
                files.open_input(getattr(args, option), kind).close()
        if args.record and args.replay:
            raise StartError(REPLAY_IS_A_RECORD)
        if args.record:
            files.plan_output(args.record, "record")
    except SettingError as e:
        raise StartError(f"--{e.name}: {e.reason}") from None
    except ValueError as e:
        raise StartError(str(e)) from None
    except OSError as e:
        raise StartError(f"{e.filename}: {(e.strerror or str(e)).lower()}") from None


def checked_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The arguments, their quick checks passed; a bad one ends the program with one line on stderr, status 2.
    Served (`--served-from`), every file is confined to the served folder but those named here."""
    args = parse_args(argv)
    files.forget()  # a new program: it has read and written nothing yet
    if args.served_from:
        files.serve_from(args.served_from)
        files.allow(args.data, args.load, args.replay, args.record, args.lesson, BUILT_IN)  # the lessons' own data
    try:
        check_args(args)
    except StartError as e:
        _refuse(str(e))
    return args


def session_from_args(args: argparse.Namespace) -> Session:
    """The session the arguments describe: its data read, its network built, its checkpoint loaded. StartError
    (in one line) if one of them fails."""
    try:
        model, seed = _model(args)
        session = Session(seed=seed, **asdict(model))
        if args.load:
            session.load(args.load, keep_data=args.data is not None)
    except SettingError as e:
        raise StartError(f"--{e.name}: {e.reason}") from None
    except (ValueError, CheckpointError) as e:
        raise StartError(str(e)) from None
    return session


def threads_asked(args: argparse.Namespace) -> int | None:
    """--threads; in a served tab, one, as the other tabs of the class have: a second BLAS thread would take a core
    from another learner's tab. None: the rule decides (`rnncore.threads.threads_for`)."""
    return args.threads or (1 if args.served_from else None)


def lab_from_args(args: argparse.Namespace) -> Lab:
    """The runs to show: a replay's, or one new session; recorded if asked. StartError if that cannot be."""
    try:
        lab = ReplayLab(Replayer(args.replay)) if args.replay else Lab(session_from_args(args), threads_asked(args))
        if args.record:
            lab.record(args.record, blas_threads())
    except OSError as e:
        raise StartError(f"--record {args.record}: {e.strerror}") from None
    except ValueError as e:  # RecordError is one
        raise StartError(str(e)) from None
    return lab


def _model(args: argparse.Namespace):
    """The model and seed the options ask for; what they leave out, from the lesson's start, else the defaults."""
    start = {k: str(v) for k, v in (args.lesson.start if args.lesson else {}).items()}
    default = {**{k: str(v) for k, v in asdict(ModelConfig()).items()}, "seed": "0", **start}
    return read_model(args.data or default["data"], str(args.embed or default["embed"]),
                      default["layers"] if args.layers is None else args.layers,
                      default["seed"] if args.seed is None else args.seed)


def _starting(args: argparse.Namespace) -> str:
    """What the loading screen says it loads."""
    if args.replay or args.load:
        return args.replay or args.load
    return f"{_model(args)[0].data} and building the network"


def _refuse(message: str):
    print(printable(f"rnnviz: {message}"), file=sys.stderr)
    raise SystemExit(2) from None


def list_lessons() -> None:
    for lesson in built_in():
        print(f"{lesson.name:<12} {lesson.title}: {lesson.summary}")
    print("rnnviz --lesson NAME follows one; a lesson file of your own: rnnviz --lesson PATH (README: Lessons)")


def main(argv: list[str] | None = None) -> None:
    args = checked_args(argv)
    if args.lessons:
        list_lessons()
        return
    if args.serve:  # the options are checked: each browser tab builds its own session
        serve(args.host, args.port, args.max_tabs, sys.argv[1:] if argv is None else argv)
        return
    from .app import RnnvizApp  # after the arguments are checked: a bad one never waits for Textual to load

    app = RnnvizApp(start=partial(lab_from_args, args), starting=_starting(args), speed=args.speed,
                    checkpoint=args.load or "model.npz", root=args.served_from,
                    lesson=args.lesson)  # the lab is made behind a loading screen
    if args.served_from:  # one tab of a class: its app shares the machine with the others' (rnnviz/serve.py)
        end_with_server()
        app.loop.fair = FairShare()
    app.run()
    if app.refused:  # found once the data was read through: the same one line and status as before any screen
        _refuse(app.refused)
    if app.return_code:  # an unexpected exception ended the app: Textual printed it, the shell must see it failed
        raise SystemExit(app.return_code)


if __name__ == "__main__":
    main()

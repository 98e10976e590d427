"""`rnnviz` on the command line: arguments checked before any screen is drawn."""
from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from rnncore import CheckpointError, ModelConfig, SettingError, TrainConfig
from rnncore.replay import Replayer
from rnncore.threads import blas_threads

from .lab import DEFAULT_SPEED, Lab, ReplayLab, parse_speed
from .serve import add_serve_arguments, end_with_server, serve
from .session import Session, read_model


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
    parser.add_argument("--seed", default=str(seed["default"]), metavar="N", help=f"{seed['help']} (default 0)")
    parser.add_argument("--load", metavar="model.npz",
                        help="start from a checkpoint: its network, training state and data (its architecture wins)")
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED, metavar="N",
                        help=f"training steps a second, 0 = as fast as it goes (default {DEFAULT_SPEED:g})")
    parser.add_argument("--record", metavar="PATH", help="record the session here (rnncore replay PATH redoes it)")
    parser.add_argument("--replay", metavar="PATH", help="show a recorded session again, at --speed steps a second")
    add_serve_arguments(parser)
    return parser.parse_args(argv)


def session_from_args(args: argparse.Namespace) -> Session:
    """The session the arguments describe; a bad one ends the program with one line on stderr and status 2."""
    try:
        default = ModelConfig()
        model, seed = read_model(args.data or default.data, str(args.embed or default.embed),
                                 default.layers if args.layers is None else args.layers, args.seed)
        session = Session(seed=seed, **asdict(model))
        if args.load:
            session.load(args.load, keep_data=args.data is not None)
    except SettingError as e:
        _refuse(f"--{e.name}: {e.reason}")
    except (ValueError, CheckpointError) as e:
        _refuse(str(e))
    return session


def _refuse(message: str):
    print(f"rnnviz: {message}", file=sys.stderr)
    raise SystemExit(2) from None


def lab_from_args(args: argparse.Namespace) -> Lab:
    """The runs to show: a replay's, or one new session; recorded if asked. A bad argument ends the program."""
    try:
        parse_speed(str(args.speed))
        lab = ReplayLab(Replayer(args.replay)) if args.replay else Lab(session_from_args(args))
        if args.record:
            lab.record(args.record, blas_threads())
    except (ValueError, OSError) as e:  # RecordError is a ValueError
        _refuse(str(e) if not isinstance(e, OSError) else f"--record {args.record}: {e.strerror}")
    return lab


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    lab = lab_from_args(args)
    if args.serve:  # the session only checked the options: each browser tab builds its own
        serve(args.host, args.port, sys.argv[1:] if argv is None else argv)
        return
    from .app import RnnvizApp  # after the arguments are checked: a bad one never waits for Textual to load

    if args.served_from:
        end_with_server()
    app = RnnvizApp(lab=lab, speed=args.speed, checkpoint=args.load or "model.npz", root=args.served_from)
    app.run()
    if app.return_code:  # an unexpected exception ended the app: Textual printed it, the shell must see it failed
        raise SystemExit(app.return_code)


if __name__ == "__main__":
    main()

"""`rnnviz` on the command line: arguments checked before any screen is drawn."""
from __future__ import annotations

import argparse
import sys

from rnncore import CheckpointError

from .serve import add_serve_arguments, end_with_server, serve
from .session import DEFAULT_DATA, DEFAULT_EMBED, DEFAULT_LAYERS, DEFAULT_SEED, Session


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        """One line, not argparse's usage block: the user sees at once what to fix."""
        self.exit(2, f"rnnviz: {message} (see rnnviz --help)\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = _Parser(prog="rnnviz", description="Watch a recurrent network learn, in your terminal.")
    parser.add_argument("--data", default=DEFAULT_DATA, metavar="toy|digits|PATH",
                        help="the training data: digits (default), toy (the original's task) or a UTF-8 text file")
    parser.add_argument("--load", metavar="model.npz", help="start from a checkpoint (its architecture wins)")
    parser.add_argument("--embed", type=int, default=DEFAULT_EMBED, metavar="N", help="embedding size (default 32)")
    parser.add_argument("--layers", default=DEFAULT_LAYERS, metavar="SPEC",
                        help="layers after the embedding, e.g. rnn:64,rnn:32 or rnn:64,dense:32:relu (default rnn:64)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N", help="weights seed (default 0)")
    add_serve_arguments(parser)
    return parser.parse_args(argv)


def session_from_args(args: argparse.Namespace) -> Session:
    """The session the arguments describe; a bad one ends the program with one line on stderr and status 2."""
    try:
        if args.seed < 0:
            raise ValueError(f"--seed must be 0 or more, got {args.seed}")
        session = Session(args.data, args.embed, args.layers, args.seed)
        if args.load:
            session.load(args.load)
    except (ValueError, CheckpointError) as e:
        print(f"rnnviz: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    return session


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    session = session_from_args(args)
    if args.serve:  # the session only checked the options: each browser tab builds its own
        serve(args.host, args.port, sys.argv[1:] if argv is None else argv)
        return
    from .app import RnnvizApp  # after the arguments are checked: a bad one never waits for Textual to load

    if args.served_from:
        end_with_server()
    RnnvizApp(session, checkpoint=args.load or "model.npz", root=args.served_from).run()


if __name__ == "__main__":
    main()

"""Tabs' apps forked from one process that has imported them, for `rnnviz --serve`.

Starting an app is half importing it (about 0.5 s of a core of the 1 s to its first frame), and a class opens its
tabs together, each start waiting for the others. So the server runs one starter (`python -m rnnviz.starter
SOCKET`), which imports the app once, freezes what it imported out of the garbage collector's walks (so that those
pages stay shared with every app forked from it) and listens on a Unix socket in a folder only this user can
enter. Each tab's process is rnnviz/handover.py: it sends its standard streams, options, environment and folder
over the socket and ends; the starter forks, and the child runs rnnviz with them, as `python -m rnnviz` would.
A tab that finds no starter runs `python -m rnnviz` itself.

The starter says `ready` on its stdout once it listens. It ends when its stdin, a pipe from the server, hangs up
(the server has gone, however it went), or on SIGINT or SIGTERM. The apps it forks live and end as any tab's app
(serve.py): they are its children only so that it can reap them.
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import traceback

REQUEST_LIMIT = 1 << 20  # bytes: a tab's options and environment
ANSWER_WITHIN = 5.0  # seconds a tab has to send its request: the starter answers one tab at a time


def main(path: str) -> None:
    import textual.drivers.web_driver  # noqa: F401 (the driver each tab's app loads by name)

    import rnnviz.__main__  # noqa: F401
    import rnnviz.app  # noqa: F401 (what `rnnviz.__main__.main` imports once its arguments are checked)

    gc.freeze()
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(64)
        print("ready", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            _serve(listener)


def _serve(listener: socket.socket) -> None:
    """Fork a tab's app for each connection, until the server goes."""
    events = select.poll()
    events.register(sys.stdin.fileno(), 0)  # no events asked for: poll reports the pipe hanging up
    events.register(listener.fileno(), select.POLLIN)
    while True:
        ready = dict(events.poll())
        if ready.get(sys.stdin.fileno(), 0) & (select.POLLHUP | select.POLLERR):
            return
        if listener.fileno() in ready:
            connection, _ = listener.accept()
            with connection:
                connection.settimeout(ANSWER_WITHIN)
                _start(connection, listener)


def _start(connection: socket.socket, listener: socket.socket) -> None:
    """Read a tab's request (its streams come with the first bytes), fork its app, and answer with its pid."""
    streams = []
    try:
        data, streams, _, _ = socket.recv_fds(connection, REQUEST_LIMIT, 3)
        while len(data) < REQUEST_LIMIT and (more := connection.recv(REQUEST_LIMIT)):
            data += more
        request = json.loads(data)
        if len(streams) != 3:
            raise ValueError(f"a tab sent {len(streams)} streams, not 3")
        pid = os.fork()
        if pid == 0:
            _run_tab(request, streams, listener, connection)  # never returns
        connection.sendall(str(pid).encode())
    except (OSError, ValueError) as e:  # the tab then starts its app itself
        print(f"rnnviz: starter: {e}", file=sys.stderr, flush=True)
    finally:
        for stream in streams:
            os.close(stream)


def _run_tab(request: dict, streams: list[int], *starters: socket.socket) -> None:
    """In the forked child: become the tab's process, as `python -m rnnviz ARGV` started by it would be, and exit."""
    status = 1
    try:
        for starter in starters:
            starter.close()
        for number, handler in ((signal.SIGCHLD, signal.SIG_DFL), (signal.SIGTERM, signal.SIG_DFL),
                                (signal.SIGINT, signal.default_int_handler)):
            signal.signal(number, handler)
        for target, stream in enumerate(streams):
            os.dup2(stream, target)
            os.close(stream)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        import textual.constants

        importlib.reload(textual.constants)  # Textual's settings, read from the environment at import: the tab's
        from rnnviz.__main__ import main as rnnviz

        sys.argv = ["rnnviz", *request["argv"]]
        status = _exit_status(rnnviz, request["argv"])
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


def _exit_status(run, argv: list[str]) -> int:
    """Run `run(argv)` and return the status Python would exit with, its message or traceback on stderr."""
    try:
        run(argv)
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        print(e.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def _reap(signum, frame) -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


if __name__ == "__main__":
    main(sys.argv[1])

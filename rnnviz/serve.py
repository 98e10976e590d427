"""`rnnviz --serve`: the app in a web browser, one app process per tab, through textual-serve.

How a tab's process lives and ends:
- textual-serve runs `child_command` through the shell for every websocket (tab) and relays its terminal. The
  command starts with `exec`, so the shell gives way and each tab is exactly one rnnviz process.
- The child gets the server's own app options and the hidden `--served-from DIR` (DIR: the folder the server was
  started in). It means: every path the browser user types is confined to DIR (rnncore/files.py), and the process
  ends when its server goes (`end_with_server`), however the server went, SIGKILL included.
- A closed tab: textual-serve tells its app to quit and waits for its output to end.
- Ctrl+C in the server's terminal signals the apps too (they share its process group) and each exits on it. A
  SIGINT or SIGTERM sent to the server alone: textual-serve by itself leaves the apps running (aiohttp cancels its
  websocket handlers before they have told them to quit). `RnnvizServer.on_shutdown` (webserver.py) first ends
  every tab the way a closed tab ends, and `end_with_server` catches whatever is left.
"""
from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import select
import shlex
import signal
import socket
import sys
import threading
import time

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
EXIT_GRACE = 5.0  # seconds a served app whose server went has to exit cleanly before it is ended outright


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--serve", action="store_true",
                        help="serve the app to web browsers instead of running it here (one app per browser tab)")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"with --serve: the address to listen on (default {DEFAULT_HOST}, this machine only)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"with --serve: the port (default {DEFAULT_PORT})")
    parser.add_argument("--served-from", metavar="DIR", help=argparse.SUPPRESS)  # set by the server on each tab


def _port(text: str) -> int:
    if not (text.isdigit() and 1 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"a port is a whole number from 1 to 65535, got {text!r}")
    return int(text)


def serve(host: str, port: int, argv: list[str]) -> None:
    """Serve the app that `argv` (the command line, already checked) describes, until Ctrl+C."""
    addresses = check_address(host, port)
    if not all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses):
        print(f"rnnviz: warning: serving on {host}: anyone who can reach port {port} can use the app", file=sys.stderr)
    from .webserver import RnnvizServer  # textual-serve and aiohttp load only when rnnviz really serves

    server = RnnvizServer(child_command(argv, os.getcwd()), host, port)
    try:
        server.serve()
    except OSError as e:  # the port was taken between the check and the start
        _fail(f"cannot serve on {host}:{port} ({e.strerror or e})")


def check_address(host: str, port: int) -> list[str]:
    """The addresses of this machine that `host` names, each free on `port`; else one line on stderr and exit 2."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:  # UnicodeError: a name IDNA cannot encode, such as "a..b"
        _fail(f"--host {host!r} does not resolve ({e.strerror if isinstance(e, socket.gaierror) else e})")
    local = [address for family, kind, proto, _, address in found if _bindable(family, kind, proto, address, port)]
    if not local:
        _fail(f"--host {host!r} is not an address of this machine")
    return [address[0] for address in local]


def _bindable(family, kind, proto, address, port: int) -> bool:
    """Whether the server could listen on `address` (False: not this machine's); exit 2 if the port is taken."""
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is free
        if family == socket.AF_INET6:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRNOTAVAIL:  # skipped by asyncio too: IPv6 off, or another machine's address
                return False
            if e.errno == errno.EADDRINUSE:
                _fail(f"port {port} is in use on {address[0]}; choose another with --port")
            _fail(f"cannot listen on {address[0]} port {port} ({e.strerror})")
    return True


def _fail(message: str):
    print(f"rnnviz: {message}", file=sys.stderr)
    raise SystemExit(2)


def child_command(argv: list[str], root: str) -> str:
    """The shell command each tab runs: rnnviz with `argv`'s app options (not the serving ones), confined to `root`."""
    serving = argparse.ArgumentParser(add_help=False)
    add_serve_arguments(serving)  # a subset of rnnviz's options, so an abbreviation resolves here as it did there
    _, app_options = serving.parse_known_args(argv)
    return "exec " + shlex.join([sys.executable, "-m", "rnnviz", *app_options, "--served-from", root])


def end_with_server() -> None:
    """In a served app: exit when the server that started it goes, however it went (SIGKILL included).

    The server holds the only writing end of this process's stdin, so the kernel hangs the pipe up when the server
    ends; poll sees that without reading anything (Textual's web driver reads the input)."""
    if not hasattr(select, "poll"):  # not on Windows, where textual-serve is not used to serve rnnviz
        return

    def watch() -> None:
        hang_up = select.poll()
        hang_up.register(sys.stdin.fileno(), 0)  # no events asked for: poll returns when the pipe is hung up
        if any(event & (select.POLLHUP | select.POLLERR) for _, event in hang_up.poll()):
            os.kill(os.getpid(), signal.SIGTERM)  # Textual's web driver turns SIGTERM into a clean exit
            time.sleep(EXIT_GRACE)
            os._exit(1)  # the app did not manage to exit: leave nothing running all the same

    threading.Thread(target=watch, name="rnnviz-server-watch", daemon=True).start()

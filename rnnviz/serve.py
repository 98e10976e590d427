"""`rnnviz --serve`: the app in a web browser, one app process per tab, through textual-serve.

How a tab's process lives and ends:
- textual-serve runs `child_command` through the shell for every websocket (tab) and relays its terminal. The
  command starts with `exec`: the shell gives way to rnnviz/handover.py, which hands the tab's streams over to the
  starter (rnnviz/starter.py, started with the server), whose forked child becomes the tab's app, or else becomes
  rnnviz itself. Either way each tab is exactly one rnnviz process.
- The app gets the server's own app options and the hidden `--served-from DIR` (DIR: the folder the server was
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
import struct
import sys
import tempfile
import threading
import time

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
EXIT_GRACE = 5.0  # seconds a served app whose server went has to exit cleanly before it is ended outright
TABS_PER_CORE = 6  # learners a core holds at the default pace with the UI still quick (benchmarks/serve_load.py)
MB_PER_TAB = 150  # a tab's app: ~90 MB on the default task, room for a larger model
MAX_TABS = 10_000
SIOCGIFADDR = 0x8915  # Linux's ioctl that reads an interface's IPv4 address


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--serve", action="store_true",
                        help="serve the app to web browsers instead of running it here (one app per browser tab)")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"with --serve: the address to listen on (default {DEFAULT_HOST}, this machine only)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"with --serve: the port (default {DEFAULT_PORT})")
    parser.add_argument("--max-tabs", type=_tabs, metavar="N",
                        help="with --serve: the tabs served at once; one more is told the class is full and to retry "
                             f"(default: {TABS_PER_CORE} a core, fewer if memory is short; {default_max_tabs()} here)")
    parser.add_argument("--served-from", metavar="DIR", help=argparse.SUPPRESS)  # set by the server on each tab


def _port(text: str) -> int:
    if not (text.isdigit() and 1 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"a port is a whole number from 1 to 65535, got {text!r}")
    return int(text)


def _tabs(text: str) -> int:
    if not (text.isdigit() and 1 <= int(text) <= MAX_TABS):
        raise argparse.ArgumentTypeError(f"--max-tabs is a whole number from 1 to {MAX_TABS}, got {text!r}")
    return int(text)


def default_max_tabs() -> int:
    """The tabs this machine serves at once: TABS_PER_CORE on each core rnnviz may use, as many as the memory
    available now holds at MB_PER_TAB each, and at least one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores * TABS_PER_CORE, _available_mb() // MB_PER_TAB))


def _available_mb() -> int:
    """Memory available to new processes (Linux's estimate, caches it can drop included), in MB."""
    try:
        with open("/proc/meminfo") as info:
            return next(int(line.split()[1]) // 1024 for line in info if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20


def serve(host: str, port: int, max_tabs: int | None, argv: list[str]) -> None:
    """Serve the app that `argv` (the command line, already checked) describes, until Ctrl+C, to at most
    `max_tabs` tabs at once (None: as many as this machine holds)."""
    addresses = check_address(host, port)
    if not all(ipaddress.ip_address(address.split("%")[0]).is_loopback for address in addresses):
        print(f"rnnviz: warning: serving on {host}: anyone who can reach port {port} can use the app", file=sys.stderr)
    from .webserver import RnnvizServer  # textual-serve and aiohttp load only when rnnviz really serves

    with tempfile.TemporaryDirectory(prefix="rnnviz-") as private:  # only this user may enter it
        starter = os.path.join(private, "starter")
        server = RnnvizServer(child_command(argv, os.getcwd(), starter), host, port, max_tabs or default_max_tabs(),
                              starter)
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


def links(host: str, port: int) -> list[str]:
    """The addresses to open in a browser: `host`, or for an address meaning every interface (0.0.0.0, ::) the
    machine's own addresses of that family, other than loopback ones while there are others."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name
        return [f"http://{host}:{port}"]
    found = [address] if not address.is_unspecified else interface_addresses(address.version)
    shown = [a for a in found if not a.is_loopback] or found or [address]
    return [f"http://[{a}]:{port}" if a.version == 6 else f"http://{a}:{port}" for a in shown]


def interface_addresses(version: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """This machine's IPv4 (or IPv6) addresses, one per interface that has one (Linux; elsewhere none, and the
    link names the unspecified address as before)."""
    if version == 6:  # address, interface index, prefix length, scope (0x20: link-local), flags, name
        try:
            with open("/proc/net/if_inet6") as table:
                rows = [line.split() for line in table]
        except OSError:
            return []
        return [ipaddress.IPv6Address(int(row[0], 16)) for row in rows if int(row[3], 16) != 0x20]
    try:
        import fcntl
    except ImportError:  # Windows
        return []
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _, name in socket.if_nameindex():
            try:  # SIOCGIFADDR: the interface's address, in a struct ifreq (name, then a sockaddr_in)
                answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
            except OSError:  # an interface without an IPv4 address (or not Linux's ioctl)
                continue
            found.append(ipaddress.IPv4Address(answer[20:24]))
    return found


def _fail(message: str):
    print(f"rnnviz: {message}", file=sys.stderr)
    raise SystemExit(2)


def child_command(argv: list[str], root: str, starter: str) -> str:
    """The shell command each tab runs: rnnviz with `argv`'s app options (not the serving ones), confined to `root`,
    started by the starter listening at `starter` if it can (rnnviz/handover.py)."""
    serving = argparse.ArgumentParser(add_help=False)
    add_serve_arguments(serving)  # a subset of rnnviz's options, so an abbreviation resolves here as it did there
    _, app_options = serving.parse_known_args(argv)
    handover = os.path.join(os.path.dirname(os.path.abspath(__file__)), "handover.py")
    return "exec " + shlex.join([sys.executable, "-I", "-S", handover, starter, *app_options, "--served-from", root])


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

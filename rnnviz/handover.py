"""A served tab's process: hands the tab over to the starter (rnnviz/starter.py), or else becomes rnnviz itself.

Run as a script by the command each tab runs (serve.py), with Python's site and environment left out (`-I -S`):
it imports nothing but the standard library, so it starts in a few milliseconds.

    python -I -S handover.py SOCKET [RNNVIZ OPTIONS...]
"""
import json
import os
import socket
import sys

CONNECT_WITHIN = 10.0  # seconds: a starter that takes no new tab in that time is taken for stuck


def hand_over(path: str, argv: list[str]) -> bool:
    """Send this process's standard streams, `argv`, environment and folder to the starter at `path`; whether it
    started the app."""
    request = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as starter:
            starter.settimeout(CONNECT_WITHIN)
            starter.connect(path)
            starter.settimeout(None)  # no giving up once it has the streams: it may be forking the app with them
            socket.send_fds(starter, [request[:1]], [0, 1, 2])
            starter.sendall(request[1:])
            starter.shutdown(socket.SHUT_WR)
            return starter.recv(64).isdigit()  # the app's pid; nothing if the starter refused or ended
    except OSError:  # no starter: it failed, or it has ended
        return False


def main() -> None:
    path, argv = sys.argv[1], sys.argv[2:]
    if not hand_over(path, argv):
        os.execv(sys.executable, [sys.executable, "-m", "rnnviz", *argv])


if __name__ == "__main__":
    main()

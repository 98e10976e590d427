"""`rnnviz --serve` without a browser: bad addresses, the command each tab runs, a served app's confinement, and a
served app that outlives its server. (tests/test_browser.py drives the real thing in Chromium.)"""
import errno
import os
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from served import ServedApp, chromium, free_port, wait_until
from textual.widgets import Input

from rnnviz import serve
from rnnviz.app import RnnvizApp
from rnnviz.screens import PathScreen
from rnnviz.session import Session
from rnnviz.widgets.model import ModelPanel

pytestmark = pytest.mark.ui  # the app's own logic (rnnviz), with its other tests


def rnnviz(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "rnnviz", *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd, stdin=subprocess.DEVNULL)


def says_one_line(result, *words):
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("rnnviz: "), result.stderr
    for word in words:
        assert word in result.stderr


# --- bad input: one line, exit 2, nothing served -------------------------------------------------------------
def test_a_port_in_use_is_one_line_and_exit_2():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        says_one_line(rnnviz("--serve", "--port", str(port)), f"port {port} is in use", "--port")


@pytest.mark.parametrize("host", ["not a host", "a..b"])  # both refused here, with no name server asked
def test_a_host_that_does_not_resolve_is_one_line_and_exit_2(host):
    says_one_line(rnnviz("--serve", "--host", host, "--port", str(free_port())), repr(host), "does not resolve")


def test_a_host_that_is_not_this_machine_is_one_line_and_exit_2(monkeypatch, capsys):
    class Elsewhere(socket.socket):  # what bind says for another machine's address (tests bind loopback only)
        def bind(self, address):
            raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")

    port = free_port()
    monkeypatch.setattr(serve.socket, "socket", Elsewhere)
    with pytest.raises(SystemExit) as stop:
        serve.check_address("127.0.0.1", port)
    assert stop.value.code == 2
    assert capsys.readouterr().err == "rnnviz: --host '127.0.0.1' is not an address of this machine\n"


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1"])
def test_a_port_out_of_range_is_one_line_and_exit_2(port):
    says_one_line(rnnviz("--serve", "--port", port), "--port")


@pytest.mark.parametrize("tabs", ["0", "10001", "many", "-2", "1.5"])
def test_max_tabs_out_of_range_is_one_line_and_exit_2(tabs):
    says_one_line(rnnviz("--serve", "--max-tabs", tabs), "--max-tabs", "a whole number from 1 to 10000")


def test_bad_app_options_are_refused_before_serving():
    says_one_line(rnnviz("--serve", "--port", str(free_port()), "--data", "no-such-file.txt"), "no-such-file.txt")


def test_only_a_host_other_than_loopback_is_warned_about(monkeypatch, capsys):
    served = []
    monkeypatch.setattr("rnnviz.webserver.RnnvizServer.serve", lambda server: served.append(server.host))
    for addresses, warned in ((["127.0.0.1"], False), (["::1", "127.0.0.2"], False), (["0.0.0.0"], True),
                              (["127.0.0.1", "192.0.2.7"], True), (["fe80::1%eth0"], True)):
        monkeypatch.setattr(serve, "check_address", lambda host, port, found=addresses: found)
        serve.serve("the-host", 8123, None, [])
        warning = capsys.readouterr().err
        assert (warning == "rnnviz: warning: serving on the-host: anyone who can reach port 8123 can use the app\n"
                if warned else warning == ""), (addresses, warning)
    assert served == ["the-host"] * 5


def test_a_missing_chromium_fails_the_browser_tests_saying_how_to_install_it(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"chromium is not on the PATH.*apt-get install -y chromium"):
        chromium()


# --- the command each tab runs ----------------------------------------------------------------------------
def test_each_tab_runs_rnnviz_with_the_app_options_confined_to_the_folder():
    argv = ["--serve", "--data", "my text.txt", "--hos", "127.0.0.1", "--port=9000", "--layers", "rnn:16",
            "--served-from", "/", "--po", "9001", "--max-t", "5"]  # abbreviations as rnnviz's own parser takes them
    command = serve.child_command(argv, "/srv/the class", "/tmp/rnnviz-x/starter")
    assert command.startswith("exec ")  # the shell gives way: one process per tab
    handover = str(Path(serve.__file__).with_name("handover.py"))
    assert shlex.split(command)[1:] == [sys.executable, "-I", "-S", handover, "/tmp/rnnviz-x/starter", "--data",
                                        "my text.txt", "--layers", "rnn:16", "--served-from", "/srv/the class"]


# --- confinement in a served app --------------------------------------------------------------------------
@pytest.fixture
def served_app(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    return RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"), root=str(folder)), folder


async def enter_path(pilot, key, path):
    await pilot.press(key)
    field = pilot.app.screen.query_one("#path", Input)
    field.value = path
    await pilot.press("enter")
    await pilot.pause()


async def test_served_save_and_load_dialogs_refuse_paths_outside_the_folder(served_app, tmp_path):
    app, folder = served_app
    (tmp_path / "elsewhere.npz").write_bytes(b"not for you")
    os.symlink(tmp_path / "elsewhere.npz", folder / "door.npz")
    async with app.run_test() as pilot:
        for key, path in (("ctrl+s", "../out.npz"), ("ctrl+s", str(tmp_path / "out.npz")), ("ctrl+s", "door.npz"),
                          ("ctrl+o", "../elsewhere.npz"), ("ctrl+o", "door.npz"), ("ctrl+s", "nul\0.npz")):
            await enter_path(pilot, key, path)
            assert isinstance(app.screen, PathScreen), path
            error = str(app.screen.query_one("#path-error").content)
            assert "outside the folder rnnviz serves" in error or "NUL byte" in error, (path, error)
            await pilot.press("escape")
        assert not (tmp_path / "out.npz").exists() and (tmp_path / "elsewhere.npz").read_bytes() == b"not for you"
        await enter_path(pilot, "ctrl+s", "sub/../kept.npz")
        assert not isinstance(app.screen, PathScreen) and (folder / "kept.npz").is_file()
        await enter_path(pilot, "ctrl+o", "kept.npz")
        assert not isinstance(app.screen, PathScreen)


async def test_served_model_panel_refuses_a_data_file_outside_the_folder(served_app, tmp_path):
    app, folder = served_app
    (tmp_path / "secret.txt").write_text("the server's own file " * 20)
    (folder / "lesson.txt").write_text("a text for the class " * 20)
    async with app.run_test() as pilot:
        panel = app.query_one(ModelPanel)
        panel.post_message(ModelPanel.Apply("../secret.txt", "8", "rnn:16", "0"))
        await pilot.pause()
        assert "outside the folder rnnviz serves" in str(panel.query_one("#data-error").content)
        assert app.session.model.data == "toy"
        panel.post_message(ModelPanel.Apply("lesson.txt", "8", "rnn:16", "0"))
        await pilot.pause()
        assert app.session.model.data == str(folder / "lesson.txt")


async def test_the_terminal_app_is_not_confined(tmp_path):
    (tmp_path / "here").mkdir()
    app = RnnvizApp(Session(data="toy", embed=8, layers="rnn:16"))
    async with app.run_test() as pilot:
        await enter_path(pilot, "ctrl+s", str(tmp_path / "here" / ".." / "anywhere.npz"))
        assert not isinstance(app.screen, PathScreen) and (tmp_path / "anywhere.npz").is_file()


# --- a served app's life ----------------------------------------------------------------------------------
def test_a_served_app_ends_when_its_server_is_killed():
    """A stand-in server starts a process that calls end_with_server, then dies by SIGKILL, telling no one."""
    server = textwrap.dedent("""
        import subprocess, sys
        app = subprocess.Popen([sys.executable, "-c", "import rnnviz.serve, time; rnnviz.serve.end_with_server(); "
                                "time.sleep(60)"], stdin=subprocess.PIPE)
        print(app.pid, flush=True)
        app.wait()
    """)
    parent = subprocess.Popen([sys.executable, "-c", server], stdout=subprocess.PIPE, text=True)
    app = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    wait_until(lambda: not os.path.exists(f"/proc/{app}") or _zombie(app), 10, lambda: f"process {app} still runs")


def _zombie(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_websockets_from_another_site_are_refused_and_page_links_follow_the_address_used(tmp_path):
    server = ServedApp(tmp_path, "--data", "toy")
    try:
        handshake = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                     "Origin: http://evil.example\r\n\r\n")
        assert _ask(server.port, handshake).startswith("HTTP/1.1 403")
        page = _ask(server.port, "GET / HTTP/1.1\r\nHost: class-laptop:{port}\r\nConnection: close\r\n\r\n")
        assert 'data-session-websocket-url="ws://class-laptop:' in page
        assert server.app_processes() == []
    finally:
        assert server.stop() == 0


def _ask(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.format(port=port).encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and answer.startswith(b"HTTP/1.1 403"):
                break
        return answer.decode(errors="replace")


def test_every_tab_gets_the_lesson_the_server_was_started_with():
    command = serve.child_command(["--serve", "--lesson", "memory", "--port", "9000"], "/srv/class", "/tmp/starter")
    assert shlex.split(command)[-4:] == ["--lesson", "memory", "--served-from", "/srv/class"]

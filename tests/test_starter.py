"""Served tabs' apps forked from the starter (rnnviz/starter.py), handed over by each tab's process
(rnnviz/handover.py); a tab that finds no starter runs rnnviz itself."""
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from served import ServedApp, wait_until

from rnnviz import handover

pytestmark = pytest.mark.ui  # the app's own logic (rnnviz), with its other tests

HANDOVER = Path(handover.__file__)


@pytest.fixture
def starter(tmp_path):
    """A starter listening on a socket in `tmp_path`, ended by hanging its stdin up."""
    path = str(tmp_path / "starter")
    process = subprocess.Popen([sys.executable, "-m", "rnnviz.starter", path], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout.readline() == b"ready\n", process.stderr.read()
    yield path, process
    if process.poll() is None:
        process.kill()
    process.wait(10)


def tab(path, *argv, cwd, **env):
    """A tab's process as textual-serve runs it, with pipes for its streams; it ends once it has handed over."""
    command = [sys.executable, "-I", "-S", str(HANDOVER), path, *argv]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                            env={**os.environ, **env})


def test_the_starter_runs_rnnviz_with_the_tabs_streams_and_options(starter, tmp_path):
    path, process = starter
    shown = tab(path, "--data", "missing.txt", "--served-from", str(tmp_path), cwd=tmp_path)
    out, err = shown.communicate(timeout=60)  # its streams close once the forked app has exited
    assert shown.returncode == 0  # the tab's own process ended as soon as the starter had the tab
    assert err.decode().startswith("rnnviz: ") and "missing.txt" in err.decode() and err.count(b"\n") == 1
    assert process.poll() is None  # the starter goes on, for the next tab
    assert tab(path, "--help", cwd=tmp_path).communicate(timeout=60)[0].startswith(b"usage: rnnviz")


def test_the_app_is_the_starters_child_with_the_tabs_environment_and_folder(starter, tmp_path):
    path, process = starter
    (tmp_path / "here").mkdir()
    kept = tab(path, "--data", "toy", "--served-from", str(tmp_path), cwd=tmp_path / "here",
               TEXTUAL_DRIVER="textual.drivers.web_driver:WebDriver")  # the starter imported Textual without it
    assert kept.wait(30) == 0
    (app,) = wait_children(process.pid)
    assert kept.stdout.readline() == b"__GANGLION__\n"  # Textual's web driver, as the tab's environment asks
    assert Path(f"/proc/{app}/cwd").resolve() == (tmp_path / "here").resolve()
    kept.stdin.close()  # as when its server goes: the app ends by itself (serve.end_with_server)
    kept.stdout.read()
    wait_until(lambda: not wait_children(process.pid, 0), 30, lambda: "the app outlived its server's pipe")


def wait_children(pid, least=1):
    found = []

    def look():
        found[:] = [int(task) for task in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return len(found) >= least

    wait_until(look, 30, lambda: f"the starter has {len(found)} children")
    return found


def test_a_tab_without_a_starter_runs_rnnviz_itself(tmp_path):
    alone = tab(str(tmp_path / "no-starter"), "--help", cwd=tmp_path)
    out, _ = alone.communicate(timeout=60)
    assert alone.returncode == 0 and b"usage: rnnviz" in out


def test_a_bad_request_is_refused_and_the_starter_goes_on(starter, tmp_path):
    import socket

    path, process = starter
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(path)
        socket.send_fds(client, [b"{"], [0, 1, 2])
        client.shutdown(socket.SHUT_WR)
        assert client.recv(64) == b""  # no pid: the tab would start rnnviz itself
    assert tab(path, "--help", cwd=tmp_path).communicate(timeout=60)[0].startswith(b"usage: rnnviz")


def test_the_starter_ends_when_its_server_goes(starter):
    _, process = starter
    process.stdin.close()
    assert process.wait(10) == 0


async def test_a_served_tabs_app_is_forked_by_the_servers_starter(tmp_path):
    server = ServedApp(tmp_path, "--data", "toy", "--layers", "rnn:16")
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(server.url + "ws?width=80&height=24") as ws:
            wait_until(lambda: len(server.app_processes()) == 1, 30, lambda: "the tab's app did not start")
            (app,) = server.app_processes()
            parent = int(Path(f"/proc/{app}/stat").read_text().rsplit(")", 1)[1].split()[1])
            assert b"rnnviz.starter" in Path(f"/proc/{parent}/cmdline").read_bytes()
            await ws.close()
        wait_until(lambda: not server.app_processes(), 30, lambda: "the app outlived its tab")
    finally:
        assert server.stop() == 0
    assert "Traceback" not in server.output() and "warning" not in server.output()

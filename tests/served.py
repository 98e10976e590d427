"""`rnnviz --serve` driven in headless Chromium: the browser test's tools, also used by docs/screenshot.py.

The page draws the terminal with xterm.js on a canvas, so its text is not in the DOM. `TERMINAL_TRAP` catches the
xterm.js Terminal that textual-serve's page makes (it is stored as `this.terminal`, not in any global) and the page
then reads the screen through xterm's public buffer API, row by row, exactly as it is shown.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FOCUSED_BORDER = 0x0178D4  # Textual's default theme draws the border of the field that has the focus in this colour
HOW_TO_INSTALL = ("the browser test needs Debian's Chromium and the playwright package (no browser download): "
                  "apt-get install -y chromium && pip install -e '.[test]'")
TERMINAL_TRAP = """
Object.defineProperty(Object.prototype, "terminal", {configurable: true, set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    window.rnnvizTerminal = value;
    window.rnnvizWatch?.(value);  // a hook for benchmarks/serve_load.py, which times what the terminal shows
}});"""
READ_SCREEN = """() => {
    const terminal = window.rnnvizTerminal, buffer = terminal.buffer.active, rows = [];
    for (let y = 0; y < terminal.rows; y++) {  // a line keeps the cells past a narrowed terminal's edge: cut them
        rows.push(buffer.getLine(buffer.viewportY + y).translateToString(true, 0, terminal.cols));
    }
    return rows.join("\\n");
}"""
FIELD_BORDER = """(text) => {  // the colour of the left border of the field that shows `text`, or null
    const terminal = window.rnnvizTerminal, buffer = terminal.buffer.active;
    for (let y = 0; y < terminal.rows; y++) {
        const line = buffer.getLine(buffer.viewportY + y), at = line.translateToString(true).lastIndexOf(text);
        for (let x = at; x >= 0; x--) if (line.getCell(x).getChars() === "▊") return line.getCell(x).getFgColor();
    }
    return null;
}"""
APP_SHOWN = "() => window.rnnvizTerminal !== undefined && window.rnnvizTerminal.buffer.active.getLine(0)" \
            ".translateToString(true).includes('step')"


def chromium() -> tuple[object, str]:
    """Playwright's sync_playwright and the system Chromium; RuntimeError saying how to install what is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError(f"playwright is not installed: {HOW_TO_INSTALL}") from None
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError(f"chromium is not on the PATH: {HOW_TO_INSTALL}")
    return sync_playwright, executable


def launch(playwright, executable: str):
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServedApp:
    """`rnnviz --serve` on 127.0.0.1, started in `folder`, in its own process group (so that signals sent to it
    reach only it), with what it prints kept in `folder`/server.log."""

    def __init__(self, folder: Path, *options: str, timeout: float = 30.0) -> None:
        self.folder, self.port = Path(folder), free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = open(self.folder / "server.log", "wb")  # noqa: SIM115 (closed in stop)
        command = [sys.executable, "-m", "rnnviz", "--serve", "--port", str(self.port), *options]
        self.process = subprocess.Popen(command, cwd=self.folder, stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        wait_until(self._listening, timeout, lambda: f"rnnviz --serve did not start:\n{self.output()}")

    def _listening(self) -> bool:
        assert self.process.poll() is None, f"rnnviz --serve exited:\n{self.output()}"
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def output(self) -> str:
        return (self.folder / "server.log").read_text(errors="replace")

    def app_processes(self) -> list[int]:
        """The pids of the apps this server started: the children of its starter (rnnviz/starter.py), and any that
        a tab started itself (its command line names the served folder; the tab's handover.py, which names it too,
        is not an app yet)."""
        marker = f"--served-from\0{self.folder}\0".encode()
        table = {}  # pid: (parent, state, command line) of every process
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit():
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    table[int(entry.name)] = (int(stat[1]), stat[0], (entry / "cmdline").read_bytes())
            except OSError:  # a process that ended while we looked
                continue
        starters = {pid for pid, (parent, _, command) in table.items()
                    if parent == self.process.pid and b"rnnviz.starter" in command}
        return sorted(pid for pid, (parent, state, command) in table.items()
                      if state != "Z" and (parent in starters or marker in command and b"handover.py" not in command))

    def stop(self, sig: int = signal.SIGINT, group: bool = False, timeout: float = 30.0) -> int:
        """Send `sig` to the server alone, or to its whole process group as Ctrl+C in a terminal does, and wait
        for the server; its exit status."""
        if self.process.poll() is None:
            (os.killpg if group else os.kill)(self.process.pid, sig)
        try:
            return self.process.wait(timeout)
        finally:
            self.log.close()

    def kill(self) -> None:
        """Whatever is left, after a failed test: the server's group, and its apps."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        for pid in self.app_processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()


class Tab:
    """One browser tab on the served app: keys in, the terminal's text out."""

    def __init__(self, browser, url: str, width: int = 1400, height: int = 860, scale: float = 1,
                 timeout: float = 30.0) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
        self.page.add_init_script(TERMINAL_TRAP)
        self.page.goto(url)
        self.page.wait_for_function(APP_SHOWN, timeout=timeout * 1000)
        self.page.focus(".xterm-helper-textarea")  # where xterm.js takes the keyboard

    def screen(self) -> str:
        return self.page.evaluate(READ_SCREEN)

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)

    def press_to_focus(self, key: str, field: str, timeout: float = 20.0) -> None:
        """Press a key that puts the focus in the field showing `field`, and wait until it is there: Textual moves
        the focus after the key's action has run, so a key typed at once would still go to the app's bindings."""
        self.page.keyboard.press(key)
        wait_until(lambda: self.page.evaluate(FIELD_BORDER, field) == FOCUSED_BORDER, timeout,
                   lambda: f"the field showing {field!r} never took the focus:\n{self.screen()}")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match:
        """The first match of `pattern` on the screen, waiting for it to appear; fails with the screen shown."""
        found = None

        def shown() -> bool:
            nonlocal found
            found = re.search(pattern, self.screen(), re.MULTILINE)
            return found is not None

        wait_until(shown, timeout, lambda: f"{pattern!r} never appeared on the screen:\n{self.screen()}")
        return found

    def wait_until_gone(self, text: str, timeout: float = 20.0) -> None:
        wait_until(lambda: text not in self.screen(), timeout, lambda: f"{text!r} stayed on the screen")

    def step(self) -> int:
        """The step counter in the header (past 999 it has thousands separators: step 2,203)."""
        return int(self.wait_for(r"\bstep (\d[\d,]*)\b").group(1).replace(",", ""))

    def close(self) -> None:
        self.page.close()


def wait_until(condition, timeout: float, why) -> None:
    """Poll `condition` every 50 ms; AssertionError with `why()` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(why())
        time.sleep(0.05)

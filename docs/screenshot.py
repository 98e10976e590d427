"""Draw the README's picture: `python docs/screenshot.py` writes docs/rnnviz.png.

It serves rnnviz from a temporary folder and drives it in headless Chromium with the browser test's tools
(tests/served.py; Debian's chromium and the playwright package): it trains the default digits task for 300
steps, with the learning rate lowered half way (a marker on the charts), types `1 3 5`, and takes a picture of the
terminal as xterm.js draws it, at 140 x 44 cells.

The header's pause sign (U+23F8) needs a font that has it, as a terminal's would: on Debian, `apt-get install
fonts-symbola`; without one the picture shows an empty box there.
"""
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))
from served import ServedApp, Tab, chromium, launch, wait_until  # noqa: E402

COLUMNS, ROWS = 140, 44
FONT_SIZE = 24  # pixels (textual-serve's page takes it from the address); larger than its 16 for a sharp picture,
# since xterm.js's canvas does not draw at a device scale other than 1 here
STEPS, LR_CHANGE_AT, LOWER_LR = 300, 150, "0.003"
SETTLE = 1.0  # seconds for a click's focus to land: this script runs by hand, it can afford to wait
KEY_GAP = 0.2  # seconds between keys in a field: Textual runs a field's bound keys (end, backspace) after the
# typed characters that follow them closely, so a fast sequence comes out mixed up


def main() -> None:
    sync_playwright, executable = chromium()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        served = ServedApp(Path(folder))
        try:
            browser = launch(playwright, executable)
            url = f"{served.url}?fontsize={FONT_SIZE}"
            tab = Tab(browser, url, *page_size(browser, url, COLUMNS, ROWS))
            train_until(tab, LR_CHANGE_AT)
            set_field(tab, "lr", LOWER_LR)
            train_until(tab, STEPS)
            tab.press_to_focus("/", "type a prefix")
            tab.type("1 3 5")
            tab.press("Escape")
            tab.wait_for(r"│ 7 .*◀")
            time.sleep(SETTLE)  # the prediction's heatmaps draw after its bars
            tab.page.locator(".xterm-screen").screenshot(path=HERE / "rnnviz.png")
            browser.close()
        finally:
            served.stop()
    print(f"wrote {HERE / 'rnnviz.png'}")


def page_size(browser, url: str, columns: int, rows: int) -> tuple[int, int]:
    """The page's width and height in which the terminal is `columns` x `rows` cells, measured on a first tab (a
    tab resized later keeps the old lines in its buffer, wrapped)."""
    probe = Tab(browser, url)
    box = probe.page.locator(".xterm-screen").bounding_box()
    viewport = probe.page.viewport_size
    cells = probe.page.evaluate("() => [rnnvizTerminal.cols, rnnvizTerminal.rows]")
    probe.close()
    cell_width, cell_height = box["width"] / cells[0], box["height"] / cells[1]
    return (int(viewport["width"] + (columns - cells[0] + 0.5) * cell_width),
            int(viewport["height"] + (rows - cells[1] + 0.5) * cell_height))


def train_until(tab: Tab, step: int, timeout: float = 120.0) -> None:
    """Train to exactly `step`: run to a few steps short, then one step at a time."""
    tab.press(" ")
    wait_until(lambda: tab.step() >= step - 10, timeout, lambda: f"training stalled before step {step}")
    tab.press(" ")
    tab.wait_for("PAUSED")
    while (now := tab.step()) < step:
        tab.press("n")
        wait_until(lambda now=now: tab.step() > now, 10, lambda: "a step did not happen")


def set_field(tab: Tab, label: str, value: str) -> None:
    """Click the training field named `label`, replace its value, press enter and leave the field."""
    rows = tab.screen().splitlines()
    row = next(y for y, line in enumerate(rows) if re.search(rf"│ {label}\s+\S", line))
    found = re.search(rf"│ {label}\s+(\S+)", rows[row])
    box = tab.page.locator(".xterm-screen").bounding_box()
    cell_width, cell_height = box["width"] / COLUMNS, box["height"] / ROWS
    tab.page.mouse.click(box["x"] + (found.end(1) + 0.5) * cell_width, box["y"] + (row + 0.5) * cell_height)
    time.sleep(SETTLE)
    for key in ["End", *["Backspace"] * len(found.group(1)), *value, "Enter", "Escape"]:
        tab.press(key)
        time.sleep(KEY_GAP)
    tab.wait_for(rf"│ {label}\s+{re.escape(value)}\b")


if __name__ == "__main__":
    main()

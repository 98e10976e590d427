"""Draw the README's pictures: `python docs/screenshot.py [NAME ...]` writes docs/rnnviz.png and docs/view-*.png.

Each picture serves rnnviz from a temporary folder and drives it in headless Chromium with the browser test's tools
(tests/served.py; Debian's chromium and the playwright package), then takes a picture of the terminal as xterm.js
draws it. The names (all of them by default):
- rnnviz: the default task, parity:16, trained for 260 steps with the learning rate lowered at step 200 (a marker on
  the charts), `1 3 5 7 0 0` typed: the cost's plateau on the line without memory, its fall when the network finds
  its memory; after the zeros it expects a 0 or a 1, the parity it carried across them;
- cost: cost by position (o) on xor after 600 steps, for an eval sequence: Elman's figure, the XOR bit near zero;
- back: how far back (b) on parity after 600 steps, `1 3 5 7 0 0 0` typed: the digits before the zeros count;
- map: the state map (m) on letters after 600 steps, the path of `b a d i i g u u u` across it;
- unit: a unit on text (u, then v for the most varying unit), an rnn:128 trained 2,000 steps on the README;
- grad: the Gradient view (g) on parity:64, the default RNN beside an LSTM (the Model panel's New run) after 500
  steps each: the RNN's gradient fades below 1e-3 within ten steps, the LSTM's reaches back across the gap;
- lesson: the memory lesson (rnnviz --lesson memory) at its second step, after 200 steps: the memory found.

The header's pause sign (U+23F8) needs a font that has it, as a terminal's would: on Debian, `apt-get install
fonts-symbola`; without one the picture shows an empty box there.
"""
import argparse
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))
from served import ServedApp, Tab, chromium, launch, wait_until  # noqa: E402

FONT_SIZE = 24  # pixels (textual-serve's page takes it from the address); larger than its 16 for a sharp picture,
# since xterm.js's canvas does not draw at a device scale other than 1 here
SETTLE = 1.0  # seconds for a click's focus to land, or a view to draw: this script runs by hand, it can afford to wait
KEY_GAP = 0.2  # seconds between keys in a field: Textual runs a field's bound keys (end, backspace) after the
# typed characters that follow them closely, so a fast sequence comes out mixed up
LAYER_KINDS = ("rnn", "lstm", "gru", "dense")  # the Model panel's list, in its order
SHORT_OF = 0.5  # seconds of training left to do one step at a time, so that each picture stops at its exact step


@dataclass(frozen=True)
class Picture:
    file: str
    options: tuple = ()  # rnnviz's options; a --data path is copied from the repository into the served folder
    steps: int = 600
    prefix: str = ""
    keys: tuple = ()  # pressed once trained and typed: a view's key, and what it asks of the view
    lower_lr: tuple | None = None  # (at step, to lr)
    size: tuple = (130, 40)  # columns, rows
    speed: int = 60  # training steps a second
    new_run: str = ""  # a layer kind: a second run of it made with the Model panel's New run before training


PICTURES = {
    "rnnviz": Picture("rnnviz.png", steps=260, prefix="1 3 5 7 0 0", lower_lr=(200, "0.003"), size=(140, 44),
                      speed=20),
    "cost": Picture("view-cost.png", ("--data", "xor"), keys=("o",)),
    "back": Picture("view-back.png", ("--data", "parity"), prefix="1 3 5 7 0 0 0", keys=("b",)),
    "map": Picture("view-map.png", ("--data", "letters"), prefix="b a d i i g u u u", keys=("m",)),
    "unit": Picture("view-unit.png", ("--data", "README.md", "--layers", "rnn:128"), steps=2000, keys=("u", "v"),
                    speed=40),
    "grad": Picture("view-grad.png", ("--data", "parity:64"), steps=500, keys=("g",), new_run="lstm", speed=30),
    "reach": Picture("view-reach.png", ("--data", "anbn:10", "--layers", "lstm:32"), steps=800, keys=("e",), speed=40),
    "lesson": Picture("lesson.png", ("--lesson", "memory"), steps=200, keys=("]",), size=(140, 44), speed=20),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of {', '.join(PICTURES)} (default: all)")
    names = parser.parse_args().names or list(PICTURES)
    if unknown := [name for name in names if name not in PICTURES]:
        parser.error(f"no picture named {', '.join(unknown)}: the names are {', '.join(PICTURES)}")
    sync_playwright, executable = chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright, executable)
        for name in names:
            started = time.monotonic()
            draw(browser, PICTURES[name])
            print(f"wrote {HERE / PICTURES[name].file} in {time.monotonic() - started:.0f} s")
        browser.close()


def draw(browser, picture: Picture) -> None:
    with tempfile.TemporaryDirectory() as folder:
        options = [*picture.options, "--speed", str(picture.speed)]
        if "--data" in options and (source := HERE.parent / options[options.index("--data") + 1]).is_file():
            shutil.copy(source, folder)
        served = ServedApp(Path(folder), *options)
        try:
            url = f"{served.url}?fontsize={FONT_SIZE}"
            tab = Tab(browser, url, *page_size(browser, url, *picture.size))
            if picture.new_run:
                new_run(tab, picture.new_run, picture.size)
            if picture.lower_lr:
                train_until(tab, picture.lower_lr[0], picture.speed)
                set_field(tab, "lr", picture.lower_lr[1], picture.size)
            train_until(tab, picture.steps, picture.speed)
            if picture.prefix:
                tab.press_to_focus("/", "type a prefix")
                tab.type(picture.prefix)
                time.sleep(KEY_GAP)
                tab.press("Escape")
                tab.wait_for(r"keys: app")  # the bottom line says so: the field has let the focus go
            for key in picture.keys:
                tab.press(key)
                time.sleep(SETTLE)
            time.sleep(2 * SETTLE)  # the prediction's heatmaps and views draw after its bars
            tab.page.locator(".xterm-screen").screenshot(path=HERE / picture.file)
            tab.close()
        finally:
            served.stop()


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


def train_until(tab: Tab, step: int, speed: int, timeout: float = 300.0) -> None:
    """Train to exactly `step`: run to half a second's steps short, then one step at a time."""
    if tab.step() < step - speed * SHORT_OF:
        tab.press(" ")
        wait_until(lambda: tab.step() >= step - speed * SHORT_OF, timeout,
                   lambda: f"training stalled before step {step}")
        tab.press(" ")
        tab.wait_for("PAUSED")
    while (now := tab.step()) < step:
        tab.press("n")
        wait_until(lambda now=now: tab.step() > now, 10, lambda: "a step did not happen")


def set_field(tab: Tab, label: str, value: str, size: tuple) -> None:
    """Click the training field named `label`, replace its value, press enter and leave the field."""
    found = click(tab, rf"│ {label}\s+(\S+)", size)
    for key in ["End", *["Backspace"] * len(found.group(1)), *value, "Enter", "Escape"]:
        tab.press(key)
        time.sleep(KEY_GAP)
    tab.wait_for(rf"│ {label}\s+{re.escape(value)}\b")


def click(tab: Tab, pattern: str, size: tuple) -> re.Match:
    """Click the end of the first group of the first line `pattern` matches (the whole match without a group)."""
    rows = tab.screen().splitlines()
    row, found = next((y, found) for y, line in enumerate(rows) if (found := re.search(pattern, line)))
    box = tab.page.locator(".xterm-screen").bounding_box()
    cell_width, cell_height = box["width"] / size[0], box["height"] / size[1]
    column = found.end(1 if found.re.groups else 0)
    tab.page.mouse.click(box["x"] + (column - 0.5) * cell_width, box["y"] + (row + 0.5) * cell_height)
    time.sleep(SETTLE)
    return found


def new_run(tab: Tab, kind: str, size: tuple) -> None:
    """Pick `kind` for the Model panel's first layer (its list by keys: a click does not open it) and press New run:
    a second run beside the first."""
    for key in ["1", *["Tab"] * 3, "Enter", *["ArrowDown"] * LAYER_KINDS.index(kind), "Enter"]:  # data, ▼, embed
        tab.press(key)
        time.sleep(SETTLE)
    click(tab, r"(New run)", size)
    tab.wait_for(r"run 2/2")
    box = tab.page.locator(".xterm-screen").bounding_box()  # away from the button, whose tooltip would stay in
    tab.page.mouse.move(box["x"] + 2, box["y"] + box["height"] * 0.75)  # the picture: to the blank under Training
    tab.press("Escape")


if __name__ == "__main__":
    main()

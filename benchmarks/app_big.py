"""How the app holds up on big inputs (issue 16): what the user waits for, and the UI thread's longest stall.

The stall is measured by a timer that fires every 10 ms on the app's thread and notes how late it runs: the
longest delay is the longest time the thread was kept from its keys and its screen.

1. A big text (--text, default a 50 MB file of generated sentences): command start -> first screen (the loading
   screen) and -> main screen, RSS once idle; key -> prediction while training at full speed; q -> exit while
   training.
2. A wide layer (--width 4096, on toy): Apply of it, one n, one key at the end of a 200-symbol prefix (paused, then
   training): seconds until done, and the stall meanwhile.
3. BPTT 10000, then batch 1024, on the big text and on a 4.7 MB cut of it, paused: the time until the field
   answers (refused with the memory estimate, or accepted where the machine has room: no step is run).

    python benchmarks/app_big.py [--text PATH] [--width 4096]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual import events
from textual.widgets import Input

from rnncore import TrainConfig
from rnnviz.app import RnnvizApp
from rnnviz.session import Session
from rnnviz.widgets.model import ModelPanel
from rnnviz.widgets.prediction import PredictionPanel

SIZE = (120, 40)
TICK = 0.01  # seconds between the stall probe's ticks
WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "it", "was", "best", "of", "times")
STARTUP = """
import sys, time
started = float(sys.argv[1])
from functools import partial
from rnnviz.__main__ import checked_args, lab_from_args
from rnncore import TrainConfig
from rnnviz.app import RnnvizApp

class Timed(RnnvizApp):
    def on_ready(self):
        print("first", time.time() - started, flush=True)

    def ready(self):
        super().ready()
        print("main", time.time() - started, flush=True)
        self.set_timer(3, self.idle)

    def idle(self):
        rss = next(line for line in open("/proc/self/status") if line.startswith("VmRSS"))
        print("rss", int(rss.split()[1]) / 1024, flush=True)
        self.exit()

args = checked_args(sys.argv[2:])
Timed(start=partial(lab_from_args, args)).run(headless=True, size=(120, 40))
"""


class Stalls:
    """The app thread's longest delay since `reset`, as seen by a timer that should fire every TICK seconds."""

    def __init__(self, app: RnnvizApp):
        self.worst, self.last = 0.0, time.perf_counter()
        app.set_interval(TICK, self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst, self.last = max(self.worst, now - self.last - TICK), now

    def reset(self) -> None:
        self.worst, self.last = 0.0, time.perf_counter()


def sentences(path: Path, size: int) -> Path:
    rng, lines, written = random.Random(0), [], 0
    while written < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))).capitalize() + ".\n"
        lines.append(line)
        written += len(line)
    path.write_text("".join(lines)[:size])
    return path


def startup(text: Path) -> dict[str, float]:
    started = time.time()
    out = subprocess.run([sys.executable, "-c", STARTUP, str(started), "--data", str(text)], capture_output=True,
                         text=True, check=True).stdout
    return {name: float(value) for name, value in (line.split() for line in out.splitlines())}


async def until(condition, timeout: float = 120.0) -> float:
    """Seconds until `condition()` holds."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the app did not get there")
        await asyncio.sleep(0.002)
    return time.perf_counter() - start


def counting_shows(app: RnnvizApp) -> list:
    """A list that grows each time the prediction panel shows a prediction."""
    panel, shown = app.query_one(PredictionPanel), []
    original = panel.show
    panel.show = lambda *what: (original(*what), shown.append(time.perf_counter()))
    return shown


async def key_to_prediction(app: RnnvizApp, key: str, stalls: Stalls) -> tuple[float, float]:
    """(seconds from a key to the prediction it changes, the stall meanwhile)."""
    shown = counting_shows(app)
    await asyncio.sleep(0.3)
    count = len(shown)
    stalls.reset()
    app.post_message(events.Key(key, key if len(key) == 1 else None))
    seconds = await until(lambda: len(shown) > count)
    return seconds, stalls.worst


async def big_text(text: Path) -> list[tuple[str, str]]:
    rows = []
    app = RnnvizApp(Session(data=str(text)), speed=0)
    async with app.run_test(size=SIZE):
        stalls = Stalls(app)
        app.screen.set_focus(app.query_one("#prefix", Input))
        app.action_start()
        await asyncio.sleep(2.0)
        latencies = [await key_to_prediction(app, key, stalls) for key in "the quick"]
        rows.append(("key -> prediction while training (max, stall)",
                     f"{max(s for s, _ in latencies) * 1000:.0f} ms, {max(w for _, w in latencies) * 1000:.0f} ms"))
        app.screen.set_focus(None)
        start = time.perf_counter()
        app.post_message(events.Key("q", "q"))
        while app.return_code is None:
            await asyncio.sleep(0.002)
        rows.append(("q -> exit while training", f"{(time.perf_counter() - start) * 1000:.0f} ms"))
    return rows


async def wide_layer(width: int) -> list[tuple[str, str]]:
    rows = []
    app = RnnvizApp(Session(TrainConfig(lr=0.001), data="toy"), speed=0)  # wide layers diverge at 0.01
    async with app.run_test(size=SIZE) as pilot:
        stalls, panel = Stalls(app), app.query_one(ModelPanel)
        panel.rows[0].query_one(".size", Input).value = str(width)
        stalls.reset()
        panel.apply()
        seconds = await until(lambda: app.job is None and app.session.model.layers == f"rnn:{width}")
        rows.append((f"Apply rnn:{width} (done, stall)", f"{seconds:.1f} s, {stalls.worst * 1000:.0f} ms"))
        await pilot.pause(0.5)
        stalls.reset()
        app.post_message(events.Key("n", "n"))
        seconds = await until(lambda: app.session.trainer.step == 1 and not app.loop.running)
        rows.append(("one n (done, stall)", f"{seconds:.2f} s, {stalls.worst * 1000:.0f} ms"))
        prefix = app.query_one("#prefix", Input)
        prefix.value = " ".join("1357" * 50)[:-2]  # 199 symbols: the key makes 200
        prefix.select_on_focus = False
        app.screen.set_focus(prefix)
        prefix.cursor_position = len(prefix.value)
        await until(lambda: app._looking is None)
        for training in (False, True):
            if training:
                app.action_start()
                await asyncio.sleep(2.0)
            for key in ("7", "backspace"):
                seconds, stall = await key_to_prediction(app, key, stalls)
                rows.append((f"key in a 200-symbol prefix, {'training' if training else 'paused'} (shown, stall)",
                             f"{seconds:.2f} s, {stall * 1000:.0f} ms"))
        await app.stop_training()
    return rows


async def batch_refusal(text: Path) -> tuple[str, str]:
    app = RnnvizApp(Session(data=str(text)), speed=0)
    async with app.run_test(size=SIZE) as pilot:
        for name, value in (("bptt", "10000"), ("batch_size", "1024")):
            field = app.query_one(f"#{name}", Input)
            field.value = value
            start = time.perf_counter()
            field.post_message(Input.Submitted(field, value))
            await pilot.pause()
            seconds = time.perf_counter() - start
        error = str(app.query_one("#batch_size-error").render())
    answer = f"refused in {seconds * 1000:.0f} ms: {error}" if error else \
        f"accepted in {seconds * 1000:.0f} ms (this machine has room for it; not run)"
    return f"batch 1024 x BPTT 10000 on {text.name} ({text.stat().st_size / 1e6:.1f} MB)", answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", type=Path, help="a big text file (default: 50 MB of generated sentences)")
    parser.add_argument("--width", type=int, default=4096)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        text = args.text or sentences(Path(folder) / "big.txt", 50_000_000)
        cut = Path(folder) / "cut.txt"
        cut.write_bytes(text.read_bytes()[:4_700_000])
        times = startup(text)
        rows = [(f"start -> loading screen, -> main screen ({text.stat().st_size / 1e6:.0f} MB text)",
                 f"{times['first']:.2f} s, {times['main']:.2f} s"), ("RSS once idle", f"{times['rss']:.0f} MB")]
        rows += asyncio.run(big_text(text))
        rows += asyncio.run(wide_layer(args.width))
        rows += [asyncio.run(batch_refusal(cut)), asyncio.run(batch_refusal(text))]
    print(f"rnnviz on big inputs; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, value in rows:
        print(f"{name:<62} {value}")


if __name__ == "__main__":
    main()

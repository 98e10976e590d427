"""How fast the app is, next to its targets.

1. Training throughput inside the app (headless, the worker running at full speed) over Session.step() alone: with
   the bars open and no prefix (as the app starts), then with each insight view open over a 100-symbol prefix, so
   that every redraw (4 a second) computes it; and the forgetting lesson's two runs (rnn:64 and lstm:64 on
   parity:64, in turns) with the lesson judged at every redraw, over the same lab stepped alone.
2. Latency from a typed character to the prediction panel showing the new prefix, paused and while training; and
   from a typed character to the screen showing it, while two runs train on parity:64 (rnn:64 and lstm:64) at full
   speed with the Gradient view open, refreshing (the prediction itself waits there for a training step to end).
3. Time from starting the `rnnviz` command to its first drawn screen.

    python benchmarks/app_speed.py [--seconds 3] [--layers rnn:64] [--data digits] [--views cost,back,map,unit]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time

from textual import events
from textual.widgets import Input

from rnncore import ModelConfig
from rnncore.threads import use_threads
from rnnviz.__main__ import checked_args, lab_from_args
from rnnviz.app import RnnvizApp
from rnnviz.session import Session
from rnnviz.widgets.prediction import PredictionPanel

SIZE = (120, 40)
PREFIX = 100  # symbols typed for the insight views
STARTUP = """
import time
from rnnviz.__main__ import parse_args, session_from_args
from rnnviz.app import RnnvizApp

class FirstFrame(RnnvizApp):
    def on_ready(self):
        print(time.time())
        self.exit()

FirstFrame(session_from_args(parse_args([]))).run(headless=True, size=(120, 40))
"""


async def app_steps_per_second(data: str, layers: str, seconds: float, view: str | None = None) -> float:
    """Steps/s of the app's worker; with `view`, that insight view open over a typed prefix."""
    app = RnnvizApp(Session(data=data, layers=layers), speed=0)  # full speed: the worker as fast as it goes
    async with app.run_test(size=SIZE) as pilot:
        if view:
            eval_symbols = [int(i) for seq in app.session.data.eval for i in seq][:PREFIX]
            app.query_one("#prefix", Input).value = app.session.vocab.text(eval_symbols)
            app.query_one(PredictionPanel).action_open(view)
            await pilot.pause()
        app.action_start()
        await asyncio.sleep(1.0)  # past the first redraws and the JIT-free warm-up of NumPy's caches
        start, steps = time.perf_counter(), app.session.trainer.step
        await asyncio.sleep(seconds)
        rate = (app.session.trainer.step - steps) / (time.perf_counter() - start)
        await app.stop_training()
    return rate


def lesson_lab(name: str, beside: str):
    """The lab a lesson starts with, and a second run of `beside` (what the forgetting lesson's second step adds)."""
    args = checked_args(["--lesson", name])
    lab = lab_from_args(args)
    lab.new_run(ModelConfig(lab.session.model.data, lab.session.model.embed, beside), seed=0)
    return lab, args.lesson


async def lesson_turns_per_second(name: str, beside: str, seconds: float) -> float:
    """Turns/s (a step of every run) of the app's worker following lesson `name` with a run of `beside` added."""
    lab, lesson = lesson_lab(name, beside)
    app = RnnvizApp(lab=lab, speed=0, lesson=lesson)
    async with app.run_test(size=SIZE):
        app.set_speed(0)  # the lesson's start paces it at 20 steps/s: timed at full speed, as the lab alone is
        app.action_start()
        await asyncio.sleep(1.0)
        start, steps = time.perf_counter(), lab.runs[0].trainer.step
        await asyncio.sleep(seconds)
        rate = (lab.runs[0].trainer.step - steps) / (time.perf_counter() - start)
        await app.stop_training()
    return rate


def lab_turns_per_second(name: str, beside: str, seconds: float) -> float:
    return calls_per_second(lesson_lab(name, beside)[0].step, seconds, warm_up=5)


def session_steps_per_second(data: str, layers: str, seconds: float) -> float:
    session = Session(data=data, layers=layers)
    use_threads([session.net])  # the BLAS threads the app's lab gives it
    return calls_per_second(session.step, seconds, warm_up=20)


def calls_per_second(step, seconds: float, warm_up: int) -> float:
    """`step()` in a plain loop for `seconds`, after `warm_up` untimed calls."""
    for _ in range(warm_up):
        step()
    start, calls = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        step()
        calls += 1
    return calls / (time.perf_counter() - start)


async def keystroke_latencies(data: str, layers: str, training: bool, keys: str = "1 3 5 7 1 3 5 7 ") -> list[float]:
    """Seconds from a key event reaching the app to PredictionPanel.show() having run for it."""
    app = RnnvizApp(Session(data=data, layers=layers), speed=0)  # full speed: the worker as fast as it goes
    shown = []
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(PredictionPanel)
        original = panel.show
        panel.show = lambda *what: (original(*what), shown.append(time.perf_counter()))
        app.screen.set_focus(panel.query_one("#prefix", Input))
        if training:
            app.action_start()
            await asyncio.sleep(0.5)
        latencies = [await _one_key(pilot, key, shown) for key in keys]
        await app.stop_training()
    return latencies


async def _one_key(pilot, key: str, shown: list) -> float:
    count = len(shown)
    start = time.perf_counter()
    pilot.app.post_message(events.Key("space" if key == " " else key, key))
    while len(shown) == count:
        await asyncio.sleep(0.0005)
    latency = shown[-1] - start
    await asyncio.sleep(0.05)  # a person types a few characters a second, not a burst
    return latency


async def keystroke_to_screen(data: str, layers: str, beside: str, view: str, keys: str = "1 3 5 7 0 0 0 1 3 5 ",
                             seconds: float = 1.0) -> list[float]:
    """Seconds from a key event reaching the app to the screen update that shows it typed in the prefix, while a run
    of `layers` and one of `beside` train at full speed with `view` open; keys a person's pace apart."""
    app = RnnvizApp(Session(data=data, layers=layers), speed=0)
    app.lab.new_run(ModelConfig(data=data, layers=beside), seed=0)
    drawn, display = [], app._display
    app._display = lambda screen, update: (display(screen, update), update is not None and drawn.append(
        (time.perf_counter(), app.query_one("#prefix", Input).value)))
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(PredictionPanel).action_open(view)
        app.screen.set_focus(app.query_one("#prefix", Input))
        app.action_start()
        await asyncio.sleep(seconds)  # the view has refreshed by now, and goes on
        latencies, typed = [], ""
        for key in keys:
            typed += key
            start = time.perf_counter()
            pilot.app.post_message(events.Key("space" if key == " " else key, key))
            while not any(at > start and value == typed for at, value in drawn):
                await asyncio.sleep(0.0005)
            latencies.append(next(at for at, value in drawn if at > start and value == typed) - start)
            await asyncio.sleep(0.2)
        await app.stop_training()
    return latencies


def startup_seconds(runs: int = 3) -> float:
    """Best of `runs`: a fresh interpreter each time, imports included, until the first frame is drawn."""
    times = []
    for _ in range(runs):
        start = time.time()
        out = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True).stdout
        times.append(float(out.split()[-1]) - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--data", default="digits")
    parser.add_argument("--layers", default="rnn:64")
    parser.add_argument("--views", default="cost,back,map,unit", help="insight views to train with open ('' none)")
    args = parser.parse_args()
    in_app = asyncio.run(app_steps_per_second(args.data, args.layers, args.seconds))
    alone = session_steps_per_second(args.data, args.layers, args.seconds)
    views = [v for v in args.views.split(",") if v]
    with_views = {view: asyncio.run(app_steps_per_second(args.data, args.layers, args.seconds, view)) for view in views}
    lesson = asyncio.run(lesson_turns_per_second("forgetting", "lstm:64", args.seconds))
    lesson_alone = lab_turns_per_second("forgetting", "lstm:64", args.seconds)
    paused = asyncio.run(keystroke_latencies(args.data, args.layers, training=False))
    busy = asyncio.run(keystroke_latencies(args.data, args.layers, training=True))
    gradient = asyncio.run(keystroke_to_screen("parity:64", "rnn:64", "lstm:64", "grad"))
    startup = startup_seconds()
    rows = [
        ("training in the app / Session alone", f"{in_app:,.0f} / {alone:,.0f} steps/s", in_app / alone, ">= 0.70",
         in_app / alone >= 0.7),
        *((f"... with the {view} view open / alone", f"{rate:,.0f} / {alone:,.0f} steps/s", rate / alone, ">= 0.70",
           rate / alone >= 0.7) for view, rate in with_views.items()),
        ("forgetting lesson, 2 runs, in the app / alone", f"{lesson:,.1f} / {lesson_alone:,.1f} turns/s",
         lesson / lesson_alone, ">= 0.70", lesson / lesson_alone >= 0.7),
        ("keystroke -> prediction, paused (median, max)", _ms(paused), max(paused) * 1000, "<= 100 ms",
         max(paused) <= 0.1),
        ("keystroke -> prediction, training (median, max)", _ms(busy), max(busy) * 1000, "<= 100 ms",
         max(busy) <= 0.1),
        ("keystroke -> screen, 2 runs, Gradient view (med, max)", _ms(gradient), max(gradient) * 1000, "<= 100 ms",
         max(gradient) <= 0.1),
        ("command start -> first frame", f"{startup:.2f} s", startup, "<= 1.5 s", startup <= 1.5),
    ]
    print(f"rnnviz app speed: --data {args.data} --layers {args.layers}")
    print(f"{'measure':<48} {'value':<24} {'figure':>9}  {'target':<10} met")
    for name, value, figure, target, met in rows:
        print(f"{name:<48} {value:<24} {figure:>9.2f}  {target:<10} {'yes' if met else 'NO'}")


def _ms(latencies: list[float]) -> str:
    return f"{statistics.median(latencies) * 1000:.1f} ms, {max(latencies) * 1000:.1f} ms"


if __name__ == "__main__":
    main()

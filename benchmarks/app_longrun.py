"""A long run in the app: does memory stay flat, and does the screen stay as quick, over 100,000 steps?

    python benchmarks/app_longrun.py [--quick] [--steps N] [--every K] [--cycles C] [--tracemalloc] [--layers rnn:8]
                                     [--views cost,back,map,unit]

The real app runs headless (App.run_test at 120x40, a prefix typed so that every redraw also predicts, each
insight view of --views open in turn, one per sample interval, so that the redraws compute it too; each drawn
once before the run starts) and
trains a tiny network (embedding 8, one RNN of 8, batch 2) on the toy task with its worker at full speed, in
one run: the redraw timer and the worker's messages go on as in a terminal. Every K steps (10,000 by default),
without pausing, a sample:
- RSS now (/proc/self/statm) and at its peak (ru_maxrss, which never falls), in MB
- with --tracemalloc, the bytes Python has allocated and not freed (it slows training several times)
- one full redraw: app._render() (a history snapshot, both charts' data, the prediction) with the charts made
  to redraw, and both charts rendered as the screen renders them (plotext's build, decoded), in ms: the best
  of 15, as the training thread competes for the interpreter and the session's lock
- the points the history keeps and the cost chart plots
- the steps/s of the interval since the last sample
The run is flat when RSS now grows by less than 5 MB after the first sample (the warm-up), and quick when the
redraws of the last three samples take at most 1.5 times those of the first three (medians).

Then C run/pause cycles (200 by default; each starts training, does 20 steps and waits for the pause, as
space, space does) show what each costs in memory: the footer is composed again each time the bindings
change. Steady when RSS grows by less than 20 KB a cycle over the second half (the first warms caches) and
no footer key outlives the footer that showed it.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from _common import machine, print_table  # noqa: E402
from textual.widgets import Input  # noqa: E402
from textual_plotext import PlotextPlot  # noqa: E402

from rnnviz.app import RnnvizApp  # noqa: E402
from rnnviz.session import Session  # noqa: E402
from rnnviz.widgets.charts import TrainingCharts  # noqa: E402
from rnnviz.widgets.prediction import PredictionPanel  # noqa: E402

SIZE = (120, 40)
PREFIX = "1 3 5 7"
FLAT_MB = 5.0  # growth of RSS now allowed after the first sample
SLOWER = 1.5  # the last redraw may take this many times the first
CYCLE_KB = 20.0  # RSS a run/pause cycle may add
MB = 1 << 20


@dataclass
class Sample:
    step: int
    rss_mb: float
    peak_rss_mb: float
    traced_mb: float | None
    redraw_ms: float  # the app's full redraw (_render) with the charts redrawn, best of 15
    render_ms: float  # both charts rendered, best of 15
    kept: int  # cost points the history keeps
    plotted: int  # ... and the cost chart plots
    steps_per_sec: float


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


def peak_rss_mb() -> float:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / MB


def redraw_times(app: RnnvizApp, repeats: int = 15) -> tuple[float, float]:
    """Best ms of the app's full redraw (the charts made to redraw even if the history is unchanged) and of rendering
    both charts."""
    charts = app.query_one(TrainingCharts)
    plots = list(charts.query(PlotextPlot))
    redraws, renders = [], []
    for _ in range(repeats):
        charts.drawn = []  # forget what was drawn: the charts skip an unchanged history
        started = time.perf_counter()
        app._render()
        redraws.append(time.perf_counter() - started)
        started = time.perf_counter()
        for plot in plots:
            plot.render()
        renders.append(time.perf_counter() - started)
    return min(redraws) * 1000, min(renders) * 1000


async def long_run(app: RnnvizApp, steps: int, every: int, views: list[str]) -> list[Sample]:
    session, samples = app.session, []
    app.action_start()
    last_step, last_time = session.trainer.step, time.perf_counter()
    for number, target in enumerate(range(every, steps + 1, every)):
        if views:
            app.query_one(PredictionPanel).action_open(views[number % len(views)])
        while session.trainer.step < target:
            await asyncio.sleep(0.01)
        now, step = time.perf_counter(), session.trainer.step
        rate = (step - last_step) / (now - last_time)
        redraw_ms, render_ms = redraw_times(app)
        view = session.history.snapshot()
        traced = tracemalloc.get_traced_memory()[0] / MB if tracemalloc.is_tracing() else None
        samples.append(Sample(step, rss_mb(), peak_rss_mb(), traced, redraw_ms, render_ms, len(view.steps),
                              plotted(app), rate))
        print(f"  step {step:,}: {rate:,.0f} steps/s", file=sys.stderr)
        last_step, last_time = step, now  # the next interval includes this sample's redraws: ~1% of it
    await app.stop_training()
    return samples


def plotted(app: RnnvizApp) -> int:
    """Points of the cost chart's longest series, as plotext holds them."""
    return max(map(len, app.query_one("#cost-chart", PlotextPlot).plt.monitor.x), default=0)


async def run_pause_cycles(app: RnnvizApp, pilot, cycles: int, steps: int = 20) -> list[tuple[int, float, int]]:
    """(cycles done, RSS MB, footer keys alive, mounted or not) before the first cycle and every quarter."""

    def sample(done):
        gc.collect()
        return done, rss_mb(), sum(type(o).__name__ == "FooterKey" for o in gc.get_objects())

    samples = [sample(0)]
    for done in range(1, cycles + 1):
        target = app.session.trainer.step + steps
        app.action_start()
        while app.session.trainer.step < target:
            await asyncio.sleep(0.005)
        await app.stop_training()
        await pilot.pause()
        if done % max(cycles // 4, 1) == 0 or done == cycles:
            samples.append(sample(done))
    return samples


async def run(args):
    session = Session(data=args.data, embed=args.embed, layers=args.layers)
    session.configure("batch_size", str(args.batch_size))
    app = RnnvizApp(session, speed=0)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#prefix", Input).value = PREFIX
        await pilot.pause()
        views = [v for v in args.views.split(",") if v]
        for view in views:  # each drawn once before the run: its first drawing's allocations are no growth
            app.query_one(PredictionPanel).action_open(view)
            await pilot.pause(0.3)
        samples = await long_run(app, args.steps, args.every, views)
        await pilot.pause()
        cycles = await run_pause_cycles(app, pilot, args.cycles) if args.cycles else None
        mounted = len(app.query("FooterKey"))
    return samples, cycles, mounted


def report(samples: list[Sample], cycles, mounted: int, args) -> bool:
    traced = samples[0].traced_mb is not None
    headers = ["step", "RSS MB", "peak RSS MB", *(["traced MB"] if traced else []), "redraw ms", "render ms",
               "kept points", "plotted", "steps/s"]
    print_table(headers, [[f"{s.step:,}", f"{s.rss_mb:.1f}", f"{s.peak_rss_mb:.1f}",
                           *([f"{s.traced_mb:.2f}"] if traced else []), f"{s.redraw_ms:.2f}", f"{s.render_ms:.2f}",
                           s.kept, s.plotted, f"{s.steps_per_sec:,.0f}"] for s in samples])
    first, last = samples[0], samples[-1]
    growth = last.rss_mb - first.rss_mb
    traced_growth = last.traced_mb - first.traced_mb if traced else 0.0
    totals = [s.redraw_ms + s.render_ms for s in samples]
    start, end = statistics.median(totals[:3]), statistics.median(totals[-3:])
    slower = end / start
    flat = growth < FLAT_MB and traced_growth < FLAT_MB
    quick = slower <= SLOWER
    print(f"after step {first.step:,}: RSS now {growth:+.1f} MB, peak {last.peak_rss_mb - first.peak_rss_mb:+.1f} MB"
          + (f", traced {traced_growth:+.2f} MB" if traced else "")
          + (" -> flat" if flat else f" -> GROWING (more than {FLAT_MB:g} MB)"))
    print(f"redraw + render, median of the first and the last three samples: {start:.2f} ms, then {end:.2f} ms "
          f"({slower:.2f}x) -> "
          + ("as quick" if quick else f"SLOWER (more than {SLOWER:g}x)"))
    print(f"training in the app: {first.steps_per_sec:,.0f} steps/s in the first interval, "
          f"{last.steps_per_sec:,.0f} in the last")
    if not cycles:
        return flat and quick
    print()
    print_table(["run/pause cycles", "RSS MB", "footer keys alive"], [[f"{n:,}", f"{rss:.1f}", keys]
                                                                     for n, rss, keys in cycles])
    (half, half_rss, _), (done, end_rss, keys) = cycles[len(cycles) // 2], cycles[-1]
    per_cycle = (end_rss - half_rss) * 1024 / max(done - half, 1)
    steady = per_cycle < CYCLE_KB and keys == mounted
    print(f"cycles {half:,} to {done:,}: RSS {per_cycle:+.0f} KB per cycle; {keys} footer keys alive for {mounted} "
          "mounted -> " + ("flat" if steady else f"LEAKING (more than {CYCLE_KB:g} KB a cycle, or keys piling up)"))
    return flat and quick and steady


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 steps sampled every 1,000")
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--every", type=int, help="steps between samples (default: a tenth of --steps)")
    parser.add_argument("--cycles", type=int, default=200, help="run/pause cycles after the long run (0: none)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python's allocations (slow)")
    parser.add_argument("--data", default="toy")
    parser.add_argument("--embed", type=int, default=8)
    parser.add_argument("--layers", default="rnn:8")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--views", default="cost,back,map,unit",
                        help="insight views open in turn, one per sample interval ('' for the bars alone)")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps = 10_000
    args.every = args.every or max(1, args.steps // 10)
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    samples, cycles, mounted = asyncio.run(run(args))
    print(machine())
    print(f"rnnviz app, headless {SIZE[0]}x{SIZE[1]}, full speed: --data {args.data} --embed {args.embed} "
          f"--layers {args.layers} --batch-size {args.batch_size} --views {args.views!r}, {args.steps:,} steps in "
          f"{time.perf_counter() - started:.0f} s")
    return 0 if report(samples, cycles, mounted, args) else 1


if __name__ == "__main__":
    sys.exit(main())

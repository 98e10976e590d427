"""How fast the insight views recompute, next to their targets.

    python benchmarks/insight_speed.py [--quick] [--data digits] [--layers rnn:256] [--prefix 100]

1. Each view, recomputed as the app does it at every redraw while training: `Session.look` (the prediction's one
   pass over the prefix and the view's own numbers: the saliency's backward pass, the state map's batched pass over
   the eval states and its projection) and the view drawn (its widget rendered in a headless app at 120x40, as the
   screen renders it; for the map, plotext's build). Best and median of N, in ms. Target: under 30 ms each for a
   100-symbol prefix with rnn:256. The bars and heatmaps (`probs`) are the baseline the other views add to.
2. The state map's fit: its principal axes over 5,000 states of 256 units (`principal_axes`: the SVD of the
   Gram matrix), next to NumPy's SVD of the states themselves. Best of 7. Target: under 50 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import rnnviz  # noqa: E402, F401, I001  (first: like the app, one BLAS thread, set before NumPy loads)
import numpy as np  # noqa: E402
from _common import machine, print_table  # noqa: E402

from rnnviz.app import RnnvizApp  # noqa: E402
from rnnviz.insight import VIEWS  # noqa: E402
from rnnviz.measures import principal_axes  # noqa: E402
from rnnviz.session import Session  # noqa: E402
from rnnviz.widgets.plot import Plot  # noqa: E402
from rnnviz.widgets.prediction import PredictionPanel  # noqa: E402

SIZE = (120, 40)
TARGET_MS, PCA_TARGET_MS = 30.0, 50.0


def prefix_text(session: Session, length: int) -> str:
    """`length` symbols of the eval data, as typed."""
    ids = np.concatenate(session.data.eval)[:length]
    return session.vocab.text(ids)


def drawn(panel: PredictionPanel, view: str):
    """A function that renders the open view's widget as the screen would."""
    if view == "probs":
        heatmaps = list(panel.query("HiddenHeatmap"))
        return lambda: [h._build_lines(h.content_size.width) for h in heatmaps] + [panel.query_one("#bars").text]
    if view == "map":
        plot = panel.query_one(Plot)
        return plot.render
    widget = panel.query_one({"cost": "#cost-view", "back": "#back-view", "unit": "#unit-view"}[view])
    return lambda: widget.text


async def view_times(args) -> dict:
    session = Session(data=args.data, layers=args.layers)
    for _ in range(args.train):
        session.step()
    text = prefix_text(session, args.prefix)
    app = RnnvizApp(session)
    times = {}
    async with app.run_test(size=SIZE) as pilot:
        app.prefix = text
        panel = app.query_one(PredictionPanel)
        for view in [v for v in VIEWS if v != "reach"]:  # the reach's own time: benchmarks/reach.py --speed
            panel.action_open(view)
            await pilot.pause(0.2)
            draw = drawn(panel, view)
            look, render = [], []
            for _ in range(args.repeats):
                started = time.perf_counter()
                prediction, numbers = session.look(text, panel.lens)
                panel.show(prediction, numbers)
                looked = time.perf_counter()
                draw()
                look.append(looked - started)
                render.append(time.perf_counter() - looked)
            times[view] = (look, render)
    return times


def pca_times(repeats: int = 7) -> tuple[list[float], list[float]]:
    states = np.tanh(np.random.default_rng(0).standard_normal((5000, 256)) @ np.diag(np.linspace(2, 0.1, 256)))
    states = states.astype(np.float32)
    ours, direct = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        principal_axes(states)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        np.linalg.svd(states - states.mean(0), full_matrices=False)
        direct.append(time.perf_counter() - started)
    return ours, direct


def _ms(values) -> str:
    return f"{min(values) * 1000:.1f} / {statistics.median(values) * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 repeats instead of 25")
    parser.add_argument("--data", default="digits")
    parser.add_argument("--layers", default="rnn:256")
    parser.add_argument("--prefix", type=int, default=100, help="symbols in the prefix")
    parser.add_argument("--train", type=int, default=50, help="training steps before timing")
    args = parser.parse_args()
    args.repeats = 5 if args.quick else 25
    times = asyncio.run(view_times(args))
    print(machine())
    print(f"insight views: --data {args.data} --layers {args.layers}, a {args.prefix}-symbol prefix, "
          f"best / median of {args.repeats}, ms")
    rows = []
    for view, (look, render) in times.items():
        total = [a + b for a, b in zip(look, render, strict=True)]
        met = statistics.median(total) * 1000 <= TARGET_MS
        rows.append([view, _ms(look), _ms(render), _ms(total), f"<= {TARGET_MS:g}", "yes" if met else "NO"])
    print_table(["view", "Session.look", "drawn", "recompute", "target", "met"], rows)
    ours, direct = pca_times()
    print()
    print_table(["state map fit, 5,000 x 256", "best / median ms", "target", "met"],
                [["principal_axes (SVD of the Gram matrix)", _ms(ours), f"<= {PCA_TARGET_MS:g}",
                  "yes" if statistics.median(ours) * 1000 <= PCA_TARGET_MS else "NO"],
                 ["np.linalg.svd of the states (for reference)", _ms(direct), "", ""]])


if __name__ == "__main__":
    main()

"""How fast the insight views recompute, next to their targets.

    python benchmarks/insight_speed.py [--quick] [--data digits] [--layers rnn:256] [--prefix 100]

1. Each view, recomputed as the app does it at every redraw while training: `Session.look` (the prediction's one
   pass over the prefix and the view's own numbers: the saliency's backward pass, the state map's batched pass over
   the eval states and its projection) and the view drawn (its widget rendered in a headless app at 120x40, as the
   screen renders it; for the map, plotext's build). Best and median of N, in ms. Target: under 30 ms each for a
   100-symbol prefix with rnn:256. The bars and heatmaps (`probs`) are the baseline the other views add to.
2. The state map's fit: its principal axes over 5,000 states of 256 units (`principal_axes`: the SVD of the
   Gram matrix), next to NumPy's SVD of the states themselves. Best of 7. Target: under 50 ms.
3. The Gradient view, refreshed as the app does it while training, on the app's default data (parity:16) with its
   default layer (rnn:64) and with lstm:256: `Lab.across` (the run's numbers computed afresh on a copy of its
   weights, rnnviz/forgetting.py: the gradient through time, the Jacobians, the spectrum, the gates) and the view
   drawn (both plots built). Best and median of N. Target: under 50 ms at the default sizes; lstm:256 is measured
   on fewer positions (the view says which), within the same budget of work.
4. The gradient through time's backward sweep (rnncore/recurrence.py) against one backward pass per target position
   (the same code given one target at a time), on one parity:64 eval sequence (218 positions, every lag). Best of 3.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np  # noqa: E402
from _common import machine, print_table  # noqa: E402

from rnncore import Embedding, Network, datasets, parse_layers  # noqa: E402
from rnncore.recurrence import _Pass, _sweep  # noqa: E402
from rnncore.threads import use_threads  # noqa: E402
from rnnviz.app import RnnvizApp  # noqa: E402
from rnnviz.forgetting import GradientWatch  # noqa: E402
from rnnviz.insight import VIEWS  # noqa: E402
from rnnviz.measures import principal_axes  # noqa: E402
from rnnviz.session import Session  # noqa: E402
from rnnviz.widgets.gradient import GradientView  # noqa: E402
from rnnviz.widgets.plot import Plot  # noqa: E402
from rnnviz.widgets.prediction import PredictionPanel  # noqa: E402

SIZE = (120, 40)
TARGET_MS, PCA_TARGET_MS, GRADIENT_TARGET_MS = 30.0, 50.0, 50.0
GRADIENT_SIZES = ("rnn:64", "lstm:256")  # the app's default layer, and a wide gated one


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
        for view in [view for view in VIEWS if view not in ("grad", "reach")]:  # their own: gradient_times, reach.py
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


async def gradient_times(args) -> dict:
    """(Lab.across, drawn) seconds of each refresh of the Gradient view, for each of GRADIENT_SIZES."""
    times = {}
    for layers in GRADIENT_SIZES:
        session = Session(layers=layers)
        for _ in range(args.train):
            session.step()
        app = RnnvizApp(session)
        async with app.run_test(size=SIZE) as pilot:
            panel = app.query_one(PredictionPanel)
            panel.action_open("grad")
            await pilot.pause(0.5)
            view, look, render = app.query_one(GradientView), [], []
            for _ in range(args.repeats):
                app.lab.gradients = GradientWatch()  # nothing kept: computed afresh, as after a training step
                started = time.perf_counter()
                runs = app.lab.across("", panel.lens)
                looked = time.perf_counter()
                view.show(runs)
                for plot in view.query(Plot):
                    plot.render()
                look.append(looked - started)
                render.append(time.perf_counter() - looked)
            times[layers] = (look, render, runs[0].about)
    return times


def sweep_times(repeats: int = 3) -> list[list[str]]:
    """The sweep against a backward pass per target position, on one parity:64 eval sequence, every lag."""
    data, rows = datasets.load("parity:64"), []
    seq = np.asarray(data.eval[0])
    x, y = seq[None, :-1], seq[None, 1:]
    for layers in ("rnn:64", "lstm:64"):
        net = Network(len(data.vocab), [Embedding(32), *parse_layers(layers)], seed=0)
        use_threads([net])  # as the app would train it
        run = _Pass(net, x)
        top, targets, lags = run.top_gradients(y, np.ones(x.shape, net.dtype)), np.arange(x.shape[1]), x.shape[1] - 1
        sweep, each = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            together = _sweep(run, top, targets, lags)
            sweep.append(time.perf_counter() - started)
            started = time.perf_counter()
            apart = [_sweep(run, top, np.array([t]), lags) for t in targets]
            each.append(time.perf_counter() - started)
        name = net.recurrent()[0][0]
        assert np.allclose(sum(a[name] for a in apart), together[name], rtol=1e-4)  # the same sums
        rows.append([layers, f"{x.shape[1]}", _ms(sweep), _ms(each), f"{min(each) / min(sweep):.1f}x"])
    return rows


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
    print()
    print(f"Gradient view: --data parity:16, best / median of {args.repeats}, ms")
    rows = []
    for layers, (look, render, about) in asyncio.run(gradient_times(args)).items():
        total = [a + b for a, b in zip(look, render, strict=True)]
        met = statistics.median(total) * 1000 <= GRADIENT_TARGET_MS
        rows.append([layers, about, _ms(look), _ms(render), _ms(total), f"<= {GRADIENT_TARGET_MS:g}",
                     "yes" if met else "NO"])
    print_table(["layers", "measured on", "Lab.across", "drawn", "refresh", "target", "met"], rows)
    print()
    print_table(["gradient through time, parity:64", "positions", "one sweep ms", "a backward per position ms",
                 "faster"], sweep_times())


if __name__ == "__main__":
    main()

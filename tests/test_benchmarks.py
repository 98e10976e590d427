"""The benchmarks' bookkeeping (no timing is asserted): FLOP counts, the cells, the child process, the plateau."""
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from rnncore import Embedding, Network, Optimum, parse_layers

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import contenders  # noqa: E402
import learning  # noqa: E402
import reach  # noqa: E402
import throughput  # noqa: E402


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_flops_per_token_counts_every_matmul_of_forward_and_backward(cell):
    B, T, H = 4, 8, 16
    E, V, G = contenders.EMBED, contenders.VOCAB, contenders.GATES[cell] * H
    # each of the three weight matrices is used once forward and twice backward; the first step needs no dh
    expected = 6 * (E * G + H * G + H * V) - 2 * H * G / T
    assert contenders.flops_per_token(B, T, H, cell) == pytest.approx(expected)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_cell_rnncore_lacks_is_refused_in_one_line(cell, capsys, monkeypatch):
    import rnncore

    monkeypatch.delattr(rnncore, contenders.CLASS_NAMES[cell], raising=False)  # as before the cell lands
    with pytest.raises(SystemExit) as stop:
        throughput.main(["--cell", cell, "--quick"])
    assert stop.value.code == 2
    assert f"rnncore has no {contenders.CLASS_NAMES[cell]} yet" in capsys.readouterr().err


@pytest.mark.parametrize("contender", ["ours", "matmul"])
def test_the_child_process_prints_one_rate(contender):
    command = [sys.executable, str(BENCHMARKS / "throughput.py"), "--contender", contender, "--shape", "2,3,4",
               "--threads", "1", "--seconds", "0.01"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) > 0


def test_a_baseline_checkout_is_timed_beside_ours_and_a_folder_without_rnncore_is_refused(capsys, tmp_path):
    options = ["--contenders", "ours", "--threads", "1", "--shape", "2,3,4", "--rounds", "1", "--seconds", "0.01"]
    throughput.main([*options, "--baseline", str(BENCHMARKS.parent)])  # this checkout against itself
    table = capsys.readouterr().out
    assert "base tok/s 1t" in table and "ours/base 1t" in table and "| (2, 3, 4) |" in table
    with pytest.raises(SystemExit) as stop:
        throughput.main([*options, "--baseline", str(tmp_path)])
    assert stop.value.code == 2 and "--baseline needs a checkout of rnncore" in capsys.readouterr().err


def test_the_plateau_runs_from_the_cost_without_memory_to_clearly_below_it():
    run = learning.Run(Optimum(loss=0.4, accuracy=0.8, targets=100, memoryless_loss=0.5))
    for step, cost in [(5, 0.9), (10, 0.515), (15, 0.49), (20, 0.52), (25, 0.47), (30, 0.41)]:
        run.see(SimpleNamespace(step=step, eval_cost=cost, eval_accuracy=0.8), started=0.0)
    assert run.plateau == "10-25" and run.target_step == 30
    still = learning.Run(Optimum(0.4, 0.8, 100, 0.5))
    still.see(SimpleNamespace(step=5, eval_cost=0.505, eval_accuracy=0.7), started=0.0)
    assert still.plateau == "5-" and learning.Run(still.best).plateau == "-"


def test_the_forgetting_figures_are_the_networks_gradient_through_time_in_float64(capsys):
    import forgetting

    forgetting.main(["--task", "parity", "--cells", "rnn", "--seeds", "0", "--steps", "2", "--rows", "2"])
    out = capsys.readouterr().out
    assert "parity, 2 steps, seeds 0" in out and re.search(r"\|\s+rnn\s+\|\s+0\s+\|", out)
    net, data, _ = forgetting.trained("parity", "lstm", 0, 1)
    figures = forgetting.measure(net, data, rows=2, gap=3)
    x, y, mask = forgetting.eval_batch(data, 2)
    g = net.gradient_through_time(x, y, mask)["lstm0"]
    assert net.dtype == "float64" and figures["at gap"] == g[3] / g[0]
    assert figures["lag"] == next((k for k, value in enumerate(g) if value < 1e-3 * g[0]), None)
def test_the_holding_biases_go_to_the_lstm_forget_gates_and_the_gru_update_gates_only():
    net = Network(3, [Embedding(2), *parse_layers("lstm:4,rnn:3,gru:2,lstm:5")], seed=0)
    before = {name: array.copy() for name, array in net.params.items()}
    reach.hold_gates(net, 2.0, 3.0)
    changed = {name for name in net.params if not np.array_equal(net.params[name], before[name])}
    assert changed == {"lstm0.b", "gru0.bx", "lstm1.b"}
    assert np.array_equal(net.params["lstm1.b"] - before["lstm1.b"], np.repeat([0.0, 2.0, 0.0, 0.0], 5))
    assert np.array_equal(net.params["gru0.bx"] - before["gru0.bx"], np.repeat([0.0, 3.0, 0.0], 2))


def test_a_run_reports_the_reach_at_each_fifth_of_its_steps():
    recipe = reach.Recipe(embed=2, hidden=3, steps=10)
    reaches, trained = reach.one_run("anbn:4", "gru", 0, recipe, up_to=12)
    assert len(reaches) == reach.CHECKS and trained == 4 and all(0 <= r <= 12 for r in reaches)

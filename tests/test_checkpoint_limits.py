"""Checkpoints beyond their header (issue 26, items 3, 4 and 5) and the charts they may carry (issue 24)."""
import json
import zipfile

import numpy as np
import pytest
from helpers import arrays_of, run_cli, trained

from rnncore import CheckpointError, Trainer, datasets, load, save
from rnnviz.__main__ import StartError, checked_args, session_from_args


def rewrite(path, arrays, **header):
    old = json.loads(arrays["header"].tobytes())
    arrays = {**arrays, "header": np.frombuffer(json.dumps({**old, **header}).encode(), np.uint8)}
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


# --- 3. an integer too large for a float in the training config ----------------------------------------------
@pytest.mark.parametrize("setting", ["lr", "decay_steps", "clip"])  # clip: a range with no top
def test_an_integer_too_large_for_a_float_is_a_field_refused(saved, capsys, setting):
    arrays = arrays_of(saved)
    state = json.loads(arrays["header"].tobytes())["trainer"]
    rewrite(saved, arrays, trainer={**state, "config": {**state["config"], setting: 10**400}})
    with pytest.raises(CheckpointError, match="header field trainer.config is invalid"):
        load(saved)
    code, _, err = run_cli(capsys, "predict", saved, "1 3")
    assert code == 2 and err.count("\n") == 1 and "trainer.config is invalid" in err
    with pytest.raises(StartError, match="trainer.config is invalid"):
        session_from_args(checked_args(["--load", str(saved)]))


# --- 4. an optimizer state saved in part ------------------------------------------------------------------
@pytest.mark.parametrize("dropped, missing", [
    (["trainer/optimizer/t"], "t"),
    (lambda name: name.startswith("trainer/"), "t"),
    (["trainer/optimizer/v/out.b"], "v/out.b"),
])
def test_an_optimizer_state_saved_in_part_is_refused_on_load(saved, capsys, dropped, missing):
    gone = dropped if callable(dropped) else dropped.__contains__
    rewrite(saved, {k: v for k, v in arrays_of(saved).items() if not gone(k)})
    with pytest.raises(CheckpointError, match=f"optimizer state {missing} is missing; adam's state is saved whole"):
        load(saved)
    code, out, err = run_cli(capsys, "train", "--load", saved, "--data", "digits", "--steps", 1)
    assert code == 2 and err.count("\n") == 1 and "is missing" in err and "step 1" not in out
    with pytest.raises(StartError, match=f"optimizer state {missing} is missing"):  # rnnviz --load, before a screen
        session_from_args(checked_args(["--load", str(saved)]))


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "adam"])
def test_a_state_before_the_first_step_is_whole(tmp_path, optimizer):
    fresh = Trainer(trained(steps=0).net, datasets.digits(count=30, seed=1), trained(steps=0).config.changed(
        optimizer=optimizer))
    save(tmp_path / "m.npz", fresh.net, fresh)
    loaded = load(tmp_path / "m.npz")
    Trainer(loaded.net, datasets.digits(count=30, seed=1), state=loaded.trainer_state).train_step()


# --- 5. a zip bomb ----------------------------------------------------------------------------------------
BOMB = 10**7  # float64 zeros: 80 MB, deflated to a fraction of a megabyte (QA's held 8 GB: the same, bigger)


def bomb(path, arrays, name, size, method=zipfile.ZIP_DEFLATED):
    """`arrays` as np.savez writes them, and a member `name` of `size` float64 zeros, deflated to almost nothing."""
    rewrite(path, arrays)
    header = np.lib.format.header_data_from_array_1_0(np.zeros(0))
    header["shape"] = (size,)
    with zipfile.ZipFile(path, "a", compression=method, compresslevel=1) as z, \
            z.open(f"{name}.npy", "w", force_zip64=True) as f:
        np.lib.format.write_array_header_1_0(f, header)
        block, left = bytes(1 << 20), size * 8
        while left:
            f.write(block[:left])
            left -= min(left, len(block))
    return path


@pytest.fixture
def arrays_read(monkeypatch):
    """The arrays a load reads, in order, by their shapes."""
    shapes, read = [], np.lib.format.read_array

    def reading(fp, *args, **kwargs):
        array = read(fp, *args, **kwargs)
        shapes.append(array.shape)
        return array

    monkeypatch.setattr(np.lib.format, "read_array", reading)
    return shapes


def test_a_zip_bomb_is_refused_before_its_member_is_decompressed(saved, arrays_read):
    path = bomb(saved, arrays_of(saved), "extra", BOMB)
    assert path.stat().st_size < BOMB * 8 / 100  # the archive holds a hundred times its size
    arrays_read.clear()
    with pytest.raises(CheckpointError, match="member extra is not part of an rnncore checkpoint"):
        load(path)
    assert len(arrays_read) == 1  # the header alone


def test_a_member_declaring_more_than_its_shape_needs_is_refused_unread(saved, arrays_read):
    arrays = arrays_of(saved)
    del arrays["param/out.b"]
    path = bomb(saved, arrays, "param/out.b", BOMB)  # the right name, a shape of 1e7 where 10 are expected
    arrays_read.clear()
    with pytest.raises(CheckpointError, match=r"parameter out.b is float64\(10000000,\), expected \(10,\)"):
        load(path)
    assert len(arrays_read) == 1


def test_a_member_whose_size_is_not_its_shapes_is_refused(saved):
    arrays = arrays_of(saved)
    with zipfile.ZipFile(saved, "w") as z:
        for name, value in arrays.items():
            with z.open(f"{name}.npy", "w") as f:
                np.lib.format.write_array(f, value)
                if name == "param/out.b":
                    f.write(bytes(1000))  # trailing bytes the shape does not account for
    with pytest.raises(CheckpointError, match="member param/out.b.npy declares .* bytes; its float32"):
        load(saved)


# --- issue 24: the app's charts, carried by a checkpoint ----------------------------------------------------
def charts(n=5, m=2):
    cost = np.column_stack([np.arange(1.0, n + 1), np.linspace(2, 1, n), np.linspace(2, 1.5, n), np.full(n, 0.01)])
    evals = np.array([[2.0, 0.5, 1.9, 0.25], [4.0, 0.6, np.nan, np.nan]])[:m]
    return {"cost": cost, "eval": evals, "start": 0, "markers": [(2, "lr=0.01"), (4, "rollback to 0")]}


def test_the_charts_round_trip_bit_for_bit(tmp_path):
    save(tmp_path / "m.npz", trained().net, trained(), history=charts())
    history = load(tmp_path / "m.npz").history
    expected = charts()
    assert history["start"] == 0 and history["markers"] == expected["markers"]
    for key in ("cost", "eval"):
        assert history[key].dtype == np.float64
        np.testing.assert_array_equal(history[key], expected[key])
    save(tmp_path / "plain.npz", trained().net, trained())
    assert load(tmp_path / "plain.npz").history is None


def test_empty_charts_round_trip(tmp_path):
    save(tmp_path / "m.npz", trained().net, history={"cost": np.zeros((0, 4)), "eval": np.zeros((0, 4)),
                                                     "start": 7, "markers": []})
    history = load(tmp_path / "m.npz").history
    assert history["cost"].shape == (0, 4) and history["eval"].shape == (0, 4) and history["start"] == 7


BAD_FIELDS = [
    ({"cost": -1}, "history.cost must be an integer from 0 to 1000000"),
    ({"cost": 1_000_001}, "history.cost must be an integer from 0 to 1000000"),
    ({"eval": "2"}, "history.eval must be an integer"),
    ({"start": -5}, "history.start must be an integer of at least 0"),
    ({"start": 1.5}, "history.start must be an integer"),
    ({"markers": {"2": "x"}}, "history.markers must be a list of at most 200 markers"),
    ({"markers": [[1, "x"]] * 201}, "history.markers must be a list of at most 200 markers"),
    ({"markers": [[1, "x", 2]]}, r"history.markers\[0\] must be \[step, label\]"),
    ({"markers": [[-1, "x"]]}, r"history.markers\[0\]\[0\] must be an integer of at least 0"),
    ({"markers": [[1, "x" * 201]]}, r"history.markers\[0\]\[1\] must be a label of at most 200 characters"),
    ({"markers": [[1, 5]]}, r"history.markers\[0\]\[1\] must be a label"),
]


@pytest.mark.parametrize("change, says", BAD_FIELDS)
def test_each_bad_field_of_the_charts_is_refused_by_its_name(tmp_path, change, says):
    save(tmp_path / "m.npz", trained().net, history=charts())
    arrays = arrays_of(tmp_path / "m.npz")
    field = json.loads(arrays["header"].tobytes())["history"]
    rewrite(tmp_path / "m.npz", arrays, history={**field, **change})
    with pytest.raises(CheckpointError, match=f"header field {says}"):
        load(tmp_path / "m.npz")


@pytest.mark.parametrize("member, value, says", [
    ("history/cost", np.zeros((4, 4)), r"history/cost is float64\(4, 4\), expected \(5, 4\)"),
    ("history/eval", np.zeros((2, 3)), r"history/eval is float64\(2, 3\), expected \(2, 4\)"),
    ("history/cost", np.full((5, 4), np.inf), "history/cost holds a negative or non-finite step or figure"),
    ("history/cost", np.full((5, 4), -1.0), "history/cost holds a negative or non-finite step or figure"),
    ("history/eval", np.array([[1, 0.5, np.inf, 1], [2, 0.5, 1, 1]]), "history/eval holds a negative or non-finite"),
    ("history/eval", np.array([[1, 0.5, 1, 1], [2, 0.5, 1, -np.inf]]), "history/eval holds a negative or non-finite"),
    ("history/eval", np.array([[np.nan, 0.5, 1, 1], [2, 0.5, 1, 1]]), "history/eval holds a negative or non-finite"),
])
def test_charts_arrays_that_do_not_fit_their_field_are_refused(tmp_path, member, value, says):
    save(tmp_path / "m.npz", trained().net, history=charts())
    rewrite(tmp_path / "m.npz", {**arrays_of(tmp_path / "m.npz"), member: value})
    with pytest.raises(CheckpointError, match=says):
        load(tmp_path / "m.npz")


def test_charts_are_checked_before_they_are_saved(tmp_path):
    with pytest.raises(ValueError, match=r"history.markers\[0\]\[1\] must be a label of at most 200"):
        save(tmp_path / "m.npz", trained().net, history={**charts(), "markers": [(1, "x" * 201)]})
    assert not (tmp_path / "m.npz").exists()

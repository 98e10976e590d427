import re
import shutil
import subprocess
import sys
from dataclasses import asdict

import numpy as np
import pytest
from helpers import run_cli as run

from rnncore import cli_train, load
from rnncore.cli import main
from rnncore.trainer import Trainer

SMALL = ["--embed", "16", "--layers", "rnn:32"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A toy model trained once for the module, and files that are bad input."""
    tmp = tmp_path_factory.mktemp("cli")
    argv = ["train", "--data", "toy", *SMALL, "--steps", "30", "--eval-every", "30", "--save", str(tmp / "toy.npz")]
    assert main(argv) == 0
    (tmp / "latin1.txt").write_bytes("caf\xe9 au lait, s'il vous pla\xeet".encode("latin-1"))
    (tmp / "text.txt").write_text("abcdefghijklmnopqrstuvwxyz", encoding="utf-8")
    (tmp / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip")
    return tmp


@pytest.fixture
def toy_model(trained, tmp_path):
    """A copy each test may overwrite."""
    path = tmp_path / "toy.npz"
    shutil.copy(trained / "toy.npz", path)
    return path


# --- toy ---------------------------------------------------------------------
def test_toy_reaches_the_ceiling_in_the_originals_log_style(capsys):
    code, out, _ = run(capsys, "toy")
    develop = [line for line in out.splitlines() if line.startswith("[develop]")]
    assert code == 0
    assert "[32, 64],l2=0.00020, activation=[None], rnn1" in out
    assert float(re.search(r"accuracy=([\d.]+)", develop[0])[1]) < 0.5  # the evaluation before training
    assert re.fullmatch(r"\[develop\] accuracy=0\.9859, avg_cost=\d\.\d{4}", develop[-1])
    assert len(develop) - 1 == len([line for line in out.splitlines() if line.startswith("[train] epoch=")])
    seconds = float(re.search(r"reached the ceiling 70/71 after \d+ epochs: ([\d.]+)s of training", out)[1])
    assert seconds < 1.0


def test_toy_stops_at_the_epoch_limit(capsys):
    code, out, _ = run(capsys, "toy", "--epochs", 3)
    assert code == 0
    assert [line.split(",")[0] for line in out.splitlines() if line.startswith("[train]")] == [
        "[train] epoch=1", "[train] epoch=2", "[train] epoch=3"]
    assert "stopped at" in out and "after 3 epochs" in out


# --- train, predict, generate ------------------------------------------------
def test_train_logs_evaluations_and_a_summary(toy_model, capsys):
    code, out, _ = run(capsys, "train", "--data", "toy", *SMALL, "--steps", 30, "--eval-every", 10,
                       "--report-every", 10)
    assert code == 0
    assert [line.split(",")[0] for line in out.splitlines() if line.startswith("[develop]")] == [
        "[develop] step=10", "[develop] step=20", "[develop] step=30"]
    assert re.search(r"trained 30 steps \(now step 30, epoch [\d.]+\) in [\d.]+s: cost=[\d.]+, accuracy=0\.9718", out)
    assert load(toy_model).trainer_state["step"] == 30


def test_predict_shows_the_likely_next_digit_first(toy_model, capsys):
    code, out, _ = run(capsys, "predict", toy_model, "1, 3 5 7")
    rows = re.findall(r"│ (\d)\s+│\s+([\d.]+) │", out)
    assert code == 0
    assert "next symbol after 1 3 5 7" in out
    assert [symbol for symbol, _ in rows][0] == "1"
    assert len(rows) == 10 and sum(float(p) for _, p in rows) == pytest.approx(1, abs=0.01)
    assert [float(p) for _, p in rows] == sorted((float(p) for _, p in rows), reverse=True)


def test_predict_top_limits_the_rows(toy_model, capsys):
    _, out, _ = run(capsys, "predict", toy_model, "24", "--top", 3)
    assert len(re.findall(r"│ (\d)\s+│", out)) == 3


def test_generate_greedy_continues_the_cycle(toy_model, capsys):
    code, out, _ = run(capsys, "generate", toy_model, "13", "-n", 10, "--temperature", 0)
    assert code == 0
    assert out.strip() == "1 3 5 7 1 3 5 7 1 3 5 7"


def test_generate_with_a_seed_repeats(toy_model, capsys):
    first = run(capsys, "generate", toy_model, "2", "-n", 20, "--temperature", 2, "--seed", 7)[1]
    again = run(capsys, "generate", toy_model, "2", "-n", 20, "--temperature", 2, "--seed", 7)[1]
    assert first == again
    assert re.fullmatch(r"2( \d){20}\n", first)


def test_digits_and_text_data_train_save_and_generate(tmp_path, capsys):
    digits, text = tmp_path / "digits.npz", tmp_path / "text.npz"
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat. " * 20, encoding="utf-8")
    assert run(capsys, "train", "--data", "digits", *SMALL, "--steps", 3, "--save", digits)[0] == 0
    assert run(capsys, "train", "--data", corpus, *SMALL, "--steps", 3, "--save", text)[0] == 0
    code, out, _ = run(capsys, "generate", digits, "1 3", "-n", 5, "--seed", 0)
    assert code == 0 and re.fullmatch(r"1 3( \d){5}\n", out)
    code, out, _ = run(capsys, "generate", text, "the c", "-n", 8, "--seed", 0)
    assert code == 0 and out.startswith("the c") and len(out.rstrip("\n")) >= len("the c") + 8 - 1
    code, out, _ = run(capsys, "predict", text, "the ")
    assert code == 0 and "next symbol after the" in out


def test_every_train_config_field_is_an_option(tmp_path, capsys):
    path = tmp_path / "m.npz"
    wanted = {"lr": 0.02, "schedule": "cosine", "decay_steps": 7, "optimizer": "sgd", "momentum": 0.5,
              "batch_size": 3, "bptt": 4, "l2": 0.001, "clip": 2.5, "eval_every": 0, "keep_every": 9, "seed": 3,
              "dtype": "float64"}
    options = [x for k, v in wanted.items() for x in ("--" + k.replace("_", "-"), v)]
    assert run(capsys, "train", "--data", "toy", *SMALL, "--steps", 1, "--save", path, *options)[0] == 0
    saved = load(path)
    assert asdict(saved.config) == wanted
    assert saved.net.dtype == np.float64 and saved.net.seed == 3


def test_load_resumes_exactly_where_the_run_stopped(tmp_path, capsys):
    whole, part = tmp_path / "whole.npz", tmp_path / "part.npz"
    common = ["--data", "digits", *SMALL, "--batch-size", 64, "--eval-every", 0]
    assert run(capsys, "train", *common, "--steps", 7, "--save", whole)[0] == 0
    assert run(capsys, "train", *common, "--steps", 4, "--save", part)[0] == 0
    code, out, _ = run(capsys, "train", "--data", "digits", "--load", part, "--steps", 3, "--save", part)
    assert code == 0
    assert "starting at step 4" in out and "now step 7" in out
    a, b = load(whole), load(part)
    assert b.trainer_state["step"] == 7 and b.trainer_state["epoch"] == a.trainer_state["epoch"] == 1
    for name, value in a.net.params.items():
        np.testing.assert_array_equal(b.net.params[name], value, err_msg=name)


def test_options_given_with_load_override_the_saved_ones(toy_model, capsys):
    assert run(capsys, "train", "--data", "toy", "--load", toy_model, "--steps", 1, "--lr", 0.003,
               "--save", toy_model)[0] == 0
    config = load(toy_model).config
    assert config.lr == 0.003 and config.eval_every == 30  # the rest as saved


# --- bad arguments -----------------------------------------------------------
BAD = [
    (["train", "--bogus"], "unrecognized arguments: --bogus"),
    (["train", "--lr", "abc"], "argument --lr: must be a number in (0, 10], got 'abc'"),
    (["train", "--steps", "-3"], "argument --steps: must be a whole number"),
    (["train", "--batch-size", "0"], "argument --batch-size: must be an integer from 1 to 4096, got 0"),
    (["train", "--optimizer", "rmsprop"], "argument --optimizer: must be sgd | adagrad | adam | adamw, got 'rmsprop'"),
    (["train", "--lr", "nan"], "argument --lr: must be a number in (0, 10], got 'nan'"),
    (["train", "--layers", "rnn:64,foo:3"], "--layers: layer 2 'foo:3': kind must be one of rnn, lstm, gru, dense"),
    (["train", "--embed", "0"], "argument --embed: must be an integer from 1 to 4096, got 0"),
    (["train", "--data", "{tmp}/missing.txt"], "cannot read"),
    (["train", "--data", "parity:0"], "parity:GAP takes GAP, the longest run of zeros, an integer from 1 to 100"),
    (["train", "--data", "anbn:-3"], "anbn:N takes N"),
    (["train", "--data", "letters:x"], "letters takes no parameter"),
    (["train", "--data", "xor:1e9"], "xor takes no parameter"),
    (["train", "--data", "nosuchtask"], "not a built-in task (toy, digits, parity[:GAP], xor, letters, anbn[:N])"),
    (["train", "--data", "{tmp}/latin1.txt"], "is not UTF-8 text"),
    (["train", "--save-every", "5"], "--save-every needs --save PATH"),
    (["train", "--save", "{tmp}/no/dir/m.npz"], "does not exist"),
    (["train", "--save", "{tmp}"], "is a directory; give the path of a file"),
    (["train", "--load", "{tmp}/toy.npz", "--layers", "rnn:8"], "--embed and --layers come from the checkpoint"),
    (["train", "--load", "{tmp}/toy.npz", "--data", "{tmp}/text.txt"], "another vocabulary"),
    (["predict", "{tmp}/missing.npz", "13"], "missing.npz: cannot read it (no such file)"),
    (["predict", "{tmp}/corrupt.npz", "13"], "corrupt.npz: "),
    (["predict", "{tmp}/toy.npz", "1x3"], "prefix '1x3': not in the vocabulary: 'x'"),
    (["predict", "{tmp}/toy.npz", " "], "the prefix is empty"),
    (["predict", "{tmp}/toy.npz"], "the following arguments are required: prefix"),
    (["generate", "{tmp}/toy.npz", "13", "-n", "x"], "argument -n: must be a whole number"),
    (["generate", "{tmp}/toy.npz", "13", "--temperature", "-1"], "temperature must be 0 or more"),
    (["toy", "--epochs", "1.5"], "argument --epochs: must be a whole number"),
    (["fly"], "invalid choice: 'fly'"),
    ([], "choose a command"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a) or "none" for a, _ in BAD])
def test_bad_arguments_give_one_line_and_exit_2(argv, message, trained, capsys):
    code, out, err = run(capsys, *[a.replace("{tmp}", str(trained)) for a in argv])
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("rnncore: error: ")
    assert message in err
    assert "Traceback" not in out + err


def test_a_checkpoint_that_cannot_be_written_is_one_line(tmp_path, capsys, monkeypatch):
    def refuse(path, *args):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cli_train, "save", refuse)
    code, _, err = run(capsys, "train", "--data", "toy", *SMALL, "--steps", 1, "--save", tmp_path / "m.npz")
    assert code == 2
    assert err == f"rnncore: error: {tmp_path / 'm.npz'}: Permission denied\n"


def test_symbols_are_shown_as_they_are_not_as_markup(tmp_path, capsys):
    corpus, path = tmp_path / "markup.txt", tmp_path / "markup.npz"
    corpus.write_text("[bold]x[/bold] :x: " * 4, encoding="utf-8")
    assert run(capsys, "train", "--data", corpus, *SMALL, "--steps", 1, "--save", path)[0] == 0
    assert "next symbol after [bold]␣:x:" in run(capsys, "predict", path, "[bold] :x:")[1]
    assert run(capsys, "generate", path, "[bold]", "-n", 0)[1] == "[bold]\n"


def test_help_exits_0(capsys):
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0 and "--batch-size" in out and "--keep-every" in out


def test_the_real_entry_point_reports_a_bad_argument_in_one_line():
    done = subprocess.run([sys.executable, "-m", "rnncore", "predict", "nowhere.npz", "1"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "rnncore: error: nowhere.npz: cannot read it (no such file)\n"


# --- Ctrl+C ------------------------------------------------------------------
def interrupt_after(monkeypatch, steps):
    original = Trainer.train_step

    def train_step(self):
        if self.step >= steps:
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(Trainer, "train_step", train_step)


def test_ctrl_c_keeps_the_last_checkpoint_and_exits_130(tmp_path, capsys, monkeypatch):
    path = tmp_path / "m.npz"
    interrupt_after(monkeypatch, 12)
    code, out, err = run(capsys, "train", "--data", "toy", *SMALL, "--steps", 20, "--save", path, "--save-every", 5)
    assert code == 130
    assert f"interrupted at step 12; the last checkpoint is {path} (step 10)" in err
    assert "trained 12 steps" in out and "Traceback" not in out + err
    assert load(path).trainer_state["step"] == 10
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temporary file left behind


def test_ctrl_c_without_a_checkpoint_says_so(capsys, monkeypatch):
    interrupt_after(monkeypatch, 2)
    code, _, err = run(capsys, "train", "--data", "toy", *SMALL, "--steps", 5)
    assert code == 130
    assert "interrupted at step 2; no checkpoint was saved" in err


def test_an_exploding_run_stops_rolls_back_and_saves_the_good_weights(capsys, tmp_path):
    path = tmp_path / "model.npz"
    code, out, err = run(capsys, "train", "--data", "toy", "--layers", "rnn:16,dense:16:relu,dense:16:identity",
                         "--optimizer", "sgd", "--lr", "10", "--clip", "0", "--steps", "200", "--save", str(path))
    assert code == 1
    assert "exploded" in err and "rolled back to the weights of step 0" in err and str(path) in err
    probs = load(path).net.predict_proba([1, 3])
    assert np.isfinite(probs).all()


def test_a_bad_embedding_size_names_the_option(capsys):
    code, _, err = run(capsys, "train", "--embed", "5000", "--steps", "1")
    assert code == 2 and err.startswith("rnncore: error: argument --embed:") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("seed", range(5))
def test_the_defaults_take_the_toy_task_to_its_ceiling(seed, tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--data", "toy", "--seed", seed, "--steps", 400, "--report-every", 1)
    accuracies = [float(re.search(r"accuracy=([\d.]+)", line)[1]) for line in out.splitlines()
                  if line.startswith("[develop]")]
    assert code == 0 and max(accuracies) == pytest.approx(70 / 71, abs=1e-4)


def test_train_resumes_on_the_data_its_checkpoint_names(tmp_path, capsys):
    path = tmp_path / "letters.npz"
    assert run(capsys, "train", "--data", "letters", *SMALL, "--steps", 2, "--save", path)[0] == 0
    code, out, _ = run(capsys, "train", "--load", path, "--steps", 2, "--save", path)
    assert code == 0 and "data letters: vocabulary of 6" in out and load(path).trainer_state["step"] == 4

"""The command line against bad input: every written-down limit, at it and past it, and text files that
cannot be used."""
import math

import pytest
from helpers import finite, many_chars
from helpers import run_cli as run
from hypothesis import HealthCheck, settings
from limits import MAX_LAYERS, MAX_SIZE, TRAINING, edges, typed

from rnncore import load
from rnncore.datasets import UNKNOWN
from rnncore.textfile import MAX_TEXT_VOCAB
from rnnviz.__main__ import checked_args, parse_args, session_from_args
from rnnviz.session import Session

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SMALL = ["--embed", "4", "--layers", "rnn:4"]


# --- 2. the written-down limits at the command line -----------------------------------------
def stack(n, layer="rnn:2"):
    return ",".join([layer] * n)


def limit_options(taken: bool) -> list[tuple[str, str]]:
    """(option, typed value) for every value at (or just past) a limit of the table."""
    return [(f"--{field.replace('_', '-')}", typed(value)) for field in TRAINING
            for value in edges(TRAINING, field)[0 if taken else 1]]


@pytest.mark.parametrize("option, value", limit_options(taken=True))
def test_train_accepts_each_value_at_its_limit(tmp_path, capsys, option, value):
    path = tmp_path / "m.npz"
    code, _, err = run(capsys, "train", "--data", "toy", "--steps", 1, "--save", path, *SMALL, "--bptt", 3,
                       "--batch-size", 1, f"{option}={value}")
    assert code == 0, err
    assert finite(load(path).net)


@pytest.mark.parametrize("option, value", limit_options(taken=False))
def test_train_refuses_each_value_past_its_limit_in_one_line(tmp_path, capsys, option, value):
    path = tmp_path / "m.npz"
    code, out, err = run(capsys, "train", "--data", "toy", "--steps", 1, "--save", path, *SMALL, f"{option}={value}")
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"rnncore: error: argument {option}: must be ")
    assert "Traceback" not in out + err
    assert not path.exists()  # refused before anything ran


@pytest.mark.parametrize("options, says", [
    (["--embed", MAX_SIZE + 1], f"--embed: must be an integer from 1 to {MAX_SIZE}, got {MAX_SIZE + 1}"),
    (["--layers", f"rnn:{MAX_SIZE + 1}"], f"--layers: layer 1 'rnn:{MAX_SIZE + 1}': size must be an integer"),
    (["--layers", f"rnn:4,dense:{MAX_SIZE + 1}"], "--layers: layer 2"),
    (["--layers", stack(MAX_LAYERS + 1)], f"at most {MAX_LAYERS} layers, got {MAX_LAYERS + 1}"),
])
def test_train_refuses_sizes_and_stacks_past_their_limits(tmp_path, capsys, options, says):
    code, out, err = run(capsys, "train", "--data", "toy", "--steps", 1, *options)
    assert code == 2 and err.count("\n") == 1 and says in err and "Traceback" not in out + err


def test_train_takes_the_largest_sizes_and_stacks(tmp_path, capsys):
    for options in (["--embed", MAX_SIZE, "--layers", "rnn:2"], ["--embed", 2, "--layers", stack(MAX_LAYERS)],
                    ["--embed", 2, "--layers", f"dense:{MAX_SIZE}:tanh,rnn:2"]):
        code, _, err = run(capsys, "train", "--data", "toy", "--steps", 1, "--batch-size", 1, *options)
        assert code == 0, err


def rnnviz_refuses(capsys, *argv):
    with pytest.raises(SystemExit) as stopped:
        checked_args([str(a) for a in argv])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.startswith("rnnviz: ") and err.count("\n") == 1
    return err


@pytest.mark.ui
def test_rnnviz_refuses_sizes_and_stacks_past_their_limits(capsys):
    assert f"got {MAX_SIZE + 1}" in rnnviz_refuses(capsys, "--embed", MAX_SIZE + 1)
    assert f"layer 2 'rnn:{MAX_SIZE + 1}'" in rnnviz_refuses(capsys, "--layers", f"rnn:4,rnn:{MAX_SIZE + 1}")
    assert f"at most {MAX_LAYERS} layers" in rnnviz_refuses(capsys, "--layers", stack(MAX_LAYERS + 1))
    session = session_from_args(parse_args(["--data", "toy", "--embed", "3", "--layers", stack(MAX_LAYERS)]))
    assert len(session.net.layers) == MAX_LAYERS + 1


# --- 5. text data ------------------------------------------------------------------------------
BAD_TEXTS = {
    "empty.txt": (b"", "is empty"),
    "binary.bin": (bytes(range(256)) * 4, "looks binary"),
    "utf16.txt": ("a perfectly good text, in UTF-16".encode("utf-16"), "looks binary"),
    "latin1.txt": ("déjà vu, à la carte, crème brûlée".encode("latin-1"), "is not UTF-8 text"),
    "short.txt": (b"abc", "at least 20"),
}


def write_bad_texts(folder):
    for name, (data, _) in BAD_TEXTS.items():
        (folder / name).write_bytes(data)


@pytest.mark.parametrize("name", sorted(BAD_TEXTS))
def test_train_on_an_unusable_text_file_is_one_line_naming_it(tmp_path, capsys, name):
    write_bad_texts(tmp_path)
    code, out, err = run(capsys, "train", "--data", tmp_path / name, "--steps", 1, *SMALL)
    assert code == 2 and err.count("\n") == 1 and name in err and BAD_TEXTS[name][1] in err
    assert "Traceback" not in out + err


def test_a_directory_as_data_is_one_line(tmp_path, capsys):
    code, _, err = run(capsys, "train", "--data", tmp_path, "--steps", 1, *SMALL)
    assert code == 2 and err.count("\n") == 1 and "cannot read" in err


@pytest.mark.ui
@pytest.mark.parametrize("name", sorted(BAD_TEXTS))
def test_rnnviz_data_an_unusable_text_file_is_one_line_naming_it(tmp_path, capsys, name):
    write_bad_texts(tmp_path)
    err = rnnviz_refuses(capsys, "--data", tmp_path / name)
    assert name in err and BAD_TEXTS[name][1] in err


@pytest.mark.ui
def test_thousands_of_distinct_characters_train_with_the_rarest_as_one_unknown(tmp_path, capsys):
    path, model = many_chars(tmp_path / "many.txt"), tmp_path / "many.npz"
    code, out, err = run(capsys, "train", "--data", path, "--steps", 3, "--save", model, *SMALL)
    assert code == 0, err
    assert f"vocabulary of {MAX_TEXT_VOCAB}" in out
    saved = load(model)
    common = [chr(0x4E00 + i) for i in range(300)]
    assert len(saved.vocab) == MAX_TEXT_VOCAB and saved.vocab.symbols[-1] == UNKNOWN
    assert set(saved.vocab.symbols[:-1]) <= set(common)  # only the more common ones have a symbol of their own
    code, out, _ = run(capsys, "generate", model, common[0] + common[1], "-n", 5, "--seed", 0)
    assert code == 0 and len(out.strip()) == 7 and set(out.strip()) <= set(saved.vocab.symbols)
    rare = chr(0x4E00 + 2999)
    code, out, _ = run(capsys, "predict", model, rare)  # read as the unknown symbol, as in training
    assert code == 0 and f"after {UNKNOWN}" in out
    session = Session(data=str(path), embed=4, layers="rnn:4")
    assert len(session.vocab) == MAX_TEXT_VOCAB and math.isfinite(session.step().loss)
    assert session.predict(rare).prefix == [UNKNOWN]

"""rnnviz's command line: a bad argument is one line and status 2, good ones build the session."""
import subprocess
import sys

import pytest

from rnncore import ModelConfig
from rnnviz.__main__ import checked_args, parse_args, session_from_args
from rnnviz.session import Session

SIZE = (120, 40)


# --- the command line -------------------------------------------------------------


def cli_error(capsys, *argv):
    """The exit status and stderr of a bad command line, which must stop before any screen."""
    with pytest.raises(SystemExit) as stopped:
        checked_args(list(argv))
    return stopped.value.code, capsys.readouterr().err


@pytest.mark.parametrize("argv, says", [
    (["--layers", "rnn:8,foo:4"], "--layers: layer 2 'foo:4': kind must be one of rnn, lstm, gru, dense"),
    (["--layers", "dense:8"], "--layers: add a recurrent layer"),
    (["--layers", ""], "--layers: add a recurrent layer"),
    (["--data", "/no/such/file.txt"], "no such file"),
    (["--embed", "0"], "--embed: must be an integer from 1 to 4096, got 0"),
    (["--embed", "many"], "--embed: must be an integer from 1 to 4096, got 'many'"),
    (["--seed", "-1"], "--seed: must be an integer from 0 to"),
    (["--load", "/no/such/model.npz"], "no such file"),
    (["--colour", "red"], "unrecognized arguments: --colour red"),
])
def test_a_bad_argument_is_one_line_and_status_2(capsys, argv, says):
    code, err = cli_error(capsys, *argv)
    assert code == 2
    assert err.startswith("rnnviz: ") and says in err
    assert err.count("\n") == 1


def test_arguments_build_the_session(tmp_path):
    Session(data="toy", embed=4, layers="rnn:6").save(tmp_path / "m.npz")
    session = session_from_args(parse_args(["--data", "toy", "--embed", "5", "--layers", "rnn:8,dense:4:relu,rnn:3",
                                            "--seed", "7"]))
    assert session.model == ModelConfig("toy", 5, "rnn:8,dense:4:relu,rnn:3") and session.config.seed == 7
    loaded = session_from_args(parse_args(["--data", "toy", "--load", str(tmp_path / "m.npz")]))
    assert [layer.dim for _, layer in loaded.net.recurrent()] == [6]
    Session(data="xor", embed=4, layers="lstm:5").save(tmp_path / "xor.npz")
    alone = session_from_args(parse_args(["--load", str(tmp_path / "xor.npz")]))  # its data comes with it
    assert alone.model == ModelConfig("xor", 4, "lstm:5") and alone.vocab.symbols == ["0", "1"]


def test_the_command_exits_2_before_drawing_anything():
    result = subprocess.run([sys.executable, "-m", "rnnviz", "--layers", "rnn:0"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "rnnviz: --layers: layer 1 'rnn:0': size must be an integer from 1 to 4096\n"

"""Nothing the command line prints acts on the terminal (issue 26, item 7): generated text, a vocabulary's symbols,
file names and error messages show control characters as the app does (␛, ␇), by one function."""
import pytest
from helpers import run_cli

from rnncore import RNN, Embedding, Network, Vocab, save
from rnncore.vocab import glyph, printable
from rnnviz.__main__ import checked_args

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1bc\x1b[6n\x9b31m\u202e"  # a title, a clear, a reset, a query, a C1 CSI, an RLO
ACTING = [chr(c) for c in (*range(32), 127, *range(0x80, 0xA0))] + ["\u202e"]  # what a terminal acts on


def acts_on_a_terminal(text: str) -> bool:
    return any(c in text.replace("\n", "") for c in ACTING)


def test_printable_shows_each_control_character_as_the_app_does():
    assert printable(HOSTILE) == "␛]0;pwned␇␛[2J␛c␛[6n\\x9b31m\\u202e"
    assert all(printable(c) == glyph(c) for c in ACTING)
    assert printable("line one\nline two\t!", keep="\n") == "line one\nline two⇥!"
    assert printable("ordinary text, ünïcödé, 数字 ✓") == "ordinary text, ünïcödé, 数字 ✓"


def test_generate_on_a_text_of_escape_sequences_prints_them_as_symbols(tmp_path, capsys):
    (tmp_path / "t.txt").write_text((HOSTILE + "plain words ") * 30)
    assert run_cli(capsys, "train", "--data", tmp_path / "t.txt", "--embed", 4, "--layers", "rnn:8", "--steps", 30,
                   "--save", tmp_path / "m.npz")[0] == 0
    code, out, err = run_cli(capsys, "generate", tmp_path / "m.npz", "\x1b[2J", "-n", 300, "--seed", 1)
    assert code == 0 and err == ""
    assert out.startswith("␛[2J") and not acts_on_a_terminal(out)


def test_predict_on_a_forged_vocabulary_says_what_is_missing_without_acting_on_the_terminal(tmp_path, capsys):
    symbols = ["\x1b[2J", "\x07", *"abcd"]
    save(tmp_path / "m.npz", Network(6, [Embedding(2), RNN(3)]), vocab=Vocab(symbols, separator=" "))
    code, out, err = run_cli(capsys, "predict", tmp_path / "m.npz", "zz")
    assert code == 2 and err.count("\n") == 1 and "(the symbols are ␛[2J ␇ a b c d)" in err
    assert not acts_on_a_terminal(err)
    code, out, _ = run_cli(capsys, "predict", tmp_path / "m.npz", "a b")
    assert code == 0 and "␛[2J" in out and not acts_on_a_terminal(out)


def test_a_file_name_of_escape_sequences_is_shown_in_the_progress_and_the_errors(tmp_path, capsys):
    named = tmp_path / "a\x1b[2Jb.txt"
    named.write_text("the cat sat on the mat. " * 20)
    code, out, err = run_cli(capsys, "train", "--data", named, "--embed", 4, "--layers", "rnn:4", "--steps", 2)
    assert code == 0 and "a␛[2Jb.txt" in out and not acts_on_a_terminal(out + err)
    code, _, err = run_cli(capsys, "predict", tmp_path / "\x1b]0;x\x07.npz", "1")
    assert code == 2 and "␛]0;x␇.npz: cannot read it (no such file)" in err and not acts_on_a_terminal(err)


def test_rnnviz_says_its_one_line_without_acting_on_the_terminal(capsys):
    with pytest.raises(SystemExit):
        checked_args(["--data", "/no/such/\x1b[2J.txt"])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "␛[2J.txt" in err and not acts_on_a_terminal(err)

"""Data sets: the original toy task, generated digits, text files, vocabularies and epoch batching."""
import numpy as np
import pytest

from rnncore import Vocab, datasets
from rnncore.datasets import UNKNOWN, pad, sequence_chunks, stream_chunks

ODD_RUN = [1, 3, 5, 7] * 6
EVEN_RUN = [2, 4, 6, 8] * 6


def test_toy_is_the_originals_task_exactly():
    toy = datasets.toy()
    assert [s.tolist() for s in toy.train] == [ODD_RUN[:18], EVEN_RUN[:16]]
    assert [s.tolist() for s in toy.eval] == [
        ODD_RUN, [1, 3, 5, 7], [2, 4, 6, 8], EVEN_RUN, [1, 3, 5, 7, 1, 3, 5, 7] + [2, 4, 6, 8] * 3]
    assert toy.n_eval_targets() == 71 and toy.vocab.symbols == list("0123456789")


def test_toy_eval_batches_hold_71_masked_targets():
    x, y, mask = next(datasets.toy().eval_batches())
    assert x.shape == (5, 23) and mask.sum() == 71
    assert np.array_equal(y[4, :19], [3, 5, 7, 1, 3, 5, 7, 2, 4, 6, 8] + [2, 4, 6, 8] * 2)


def is_parity_step(a, b):
    return b == (a + 2 if a < 7 else a - 6)  # 1 3 5 7 1 ... and 2 4 6 8 2 ...


def is_switch(a, b):
    return b == (a + 1 if a < 8 else 1)


def test_digits_count_lengths_and_symbols():
    data = datasets.digits(count=50, min_len=5, max_len=9, seed=1)
    seqs = data.train + data.eval
    assert len(seqs) == 50 and len(data.eval) == 10
    assert all(5 <= len(s) <= 9 for s in seqs) and {len(s) for s in seqs} == set(range(5, 10))
    assert all(set(s.tolist()) <= set(range(1, 9)) for s in seqs)


def test_digits_is_deterministic_per_seed():
    a, b, c = datasets.digits(seed=3), datasets.digits(seed=3), datasets.digits(seed=4)
    assert all(np.array_equal(s, t) for s, t in zip(a.train + a.eval, b.train + b.eval, strict=True))
    assert any(len(s) != len(t) or not np.array_equal(s, t) for s, t in zip(a.train, c.train, strict=False))


def transitions(data):
    return [(int(a), int(b)) for s in data.train + data.eval for a, b in zip(s[:-1], s[1:], strict=True)]


def test_digits_without_switching_stay_in_their_parity_cycle():
    assert all(is_parity_step(a, b) for a, b in transitions(datasets.digits(count=40, switch_prob=0.0)))


def test_digits_always_switching_count_up_through_both_parities():
    assert all(is_switch(a, b) for a, b in transitions(datasets.digits(count=40, switch_prob=1.0)))


def test_digits_switch_at_about_the_given_rate():
    steps = transitions(datasets.digits(count=400, switch_prob=0.2, seed=5))
    assert all(is_parity_step(a, b) or is_switch(a, b) for a, b in steps)
    assert 0.17 < np.mean([is_switch(a, b) for a, b in steps]) < 0.23


@pytest.mark.parametrize("kwargs", [{"min_len": 1}, {"min_len": 9, "max_len": 8}, {"switch_prob": 1.5},
                                    {"eval_fraction": 0}, {"eval_fraction": 1}, {"count": 1}])
def test_digits_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="need"):
        datasets.digits(**kwargs)


def covered_targets(chunks):
    """Every (row-independent) unmasked (input, target) pair the chunks hold, as a sorted list."""
    return sorted((int(a), int(b)) for x, y, m, _ in chunks for a, b in zip(x[m > 0], y[m > 0], strict=True))


@pytest.mark.parametrize(("batch_size", "bptt"), [(1, 0), (3, 0), (4, 5), (64, 7), (2, 1)])
def test_an_epoch_covers_every_training_target_once(batch_size, bptt):
    data = datasets.digits(count=30, seed=2)
    chunks = list(data.epoch(0, batch_size, bptt, seed=0))
    expected = covered_targets([(s[None, :-1], s[None, 1:], np.ones((1, len(s) - 1)), 0) for s in data.train])
    assert covered_targets(chunks) == expected
    assert sum(m.sum() for _, _, m, _ in chunks) == sum(len(s) - 1 for s in data.train)
    assert all(x.shape == y.shape == m.shape and x.shape[0] <= batch_size for x, y, m, _ in chunks)
    assert all(x.shape[1] <= bptt for x, _, _, _ in chunks) if bptt else True


def test_epoch_order_is_shuffled_per_epoch_and_reproducible_per_seed():
    data = datasets.digits(count=30, seed=2)
    first = [x.tolist() for x, *_ in data.epoch(0, 4, 0, seed=1)]
    assert first == [x.tolist() for x, *_ in data.epoch(0, 4, 0, seed=1)]
    assert first != [x.tolist() for x, *_ in data.epoch(1, 4, 0, seed=1)]
    assert first != [x.tolist() for x, *_ in data.epoch(0, 4, 0, seed=2)]


def test_padding_is_masked_and_continuations_are_flagged():
    x, y, mask = pad([np.array([1, 2, 3, 4]), np.array([5, 6])])
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]] and x[0].tolist() == [1, 2, 3] and y[1, 0] == 6
    carries = [c for *_, c in sequence_chunks([np.arange(9), np.arange(5)], 2, 3)]
    assert carries == [False, True, True]


def test_stream_chunks_cut_rows_and_carry_state_across_chunks():
    stream = np.arange(41)
    chunks = list(stream_chunks(stream, 4, 3))
    assert [c for *_, c in chunks] == [False, True, True, True]
    x = np.concatenate([c[0] for c in chunks], 1)
    y = np.concatenate([c[1] for c in chunks], 1)
    assert np.array_equal(x, np.arange(40).reshape(4, 10)) and np.array_equal(y, x + 1)


def write(tmp_path, data, name="t.txt"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_text_builds_a_char_vocabulary_and_holds_out_the_tail(tmp_path):
    body = "hello world, this is a small text file.\n" * 10
    data = datasets.text(write(tmp_path, body.encode()), eval_fraction=0.1)
    assert data.vocab.symbols == sorted(set(body)) and data.stream
    assert "".join(data.vocab.decode(data.train[0])) == body[:360]
    held = "".join(data.vocab.decode(data.eval[0]))
    assert held == body[360:] and data.n_eval_targets() == 39


def test_text_eval_rows_cover_the_whole_tail(tmp_path):
    body = "".join(chr(97 + i % 26) for i in range(3000))
    data = datasets.text(write(tmp_path, body.encode()), eval_fraction=0.1)
    assert data.n_eval_targets() == 299
    assert "".join(data.vocab.decode(data.eval[0])) == body[2700:2801]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "is empty"),
    (b"short text", "at least 20"),
    (b"abc\x00def" * 10, "binary"),
    (b"caf\xe9 au lait, deux fois par jour", "not UTF-8"),
])
def test_unusable_text_files_raise_value_error_saying_why(tmp_path, data, message):
    with pytest.raises(ValueError, match=message):
        datasets.text(write(tmp_path, data))


def test_a_missing_text_file_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        datasets.text(tmp_path / "nope.txt")


def test_beyond_256_distinct_chars_the_rarest_become_unknown(tmp_path):
    common = "".join(chr(0x100 + i) for i in range(255)) * 3
    rare = "".join(chr(0x1000 + i) for i in range(40))
    data = datasets.text(write(tmp_path, (common + rare).encode()), eval_fraction=0.05)
    assert len(data.vocab) == 256 and data.vocab.symbols[-1] == UNKNOWN
    assert set(data.vocab.symbols[:-1]) == set(common)
    decoded = "".join(data.vocab.decode(np.concatenate([data.train[0]] + data.eval)))
    assert decoded.endswith(UNKNOWN * 30)


def test_a_text_holding_the_unknown_char_itself_still_builds(tmp_path):
    common = ("".join(chr(0x100 + i) for i in range(254)) + UNKNOWN) * 3
    rare = "".join(chr(0x1000 + i) for i in range(10))
    data = datasets.text(write(tmp_path, (common + rare).encode()))
    assert len(data.vocab) == 256 and data.vocab.symbols.count(UNKNOWN) == 1


def test_vocab_encode_decode_round_trip():
    vocab = Vocab("abc ", separator="")
    ids = vocab.encode("ab ca")
    assert ids == [0, 1, 3, 2, 0] and "".join(vocab.decode(ids)) == "ab ca"


def test_digit_vocab_parses_spaces_and_commas():
    vocab = datasets.toy().vocab
    assert vocab.parse("1 3, 5,7") == [1, 3, 5, 7] and vocab.parse("") == []


def test_text_vocab_parse_keeps_spaces():
    assert Vocab("ab ", separator="").parse("a b") == [0, 2, 1]


def test_outside_vocabulary_symbols_raise_value_error_naming_them():
    with pytest.raises(ValueError, match="'x'"):
        datasets.toy().vocab.parse("1 x 3")


@pytest.mark.parametrize("symbols", [["a"], ["a", "a"], []])
def test_a_vocab_needs_two_distinct_symbols(symbols):
    with pytest.raises(ValueError, match="two distinct"):
        Vocab(symbols)


def test_load_picks_the_builtins_and_paths(tmp_path):
    assert datasets.load("toy").name == "toy" and datasets.load("digits").name == "digits"
    assert datasets.load(str(write(tmp_path, b"abcdefghij" * 3))).name == "t.txt"


def test_a_text_of_one_repeated_char_raises_value_error(tmp_path):
    with pytest.raises(ValueError, match="two distinct"):
        datasets.text(write(tmp_path, b"a" * 50))


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1])
def test_text_rejects_an_eval_fraction_outside_zero_one(tmp_path, fraction):
    with pytest.raises(ValueError, match="eval_fraction"):
        datasets.text(write(tmp_path, b"abcdefghij" * 3), eval_fraction=fraction)


def test_text_refuses_a_split_that_leaves_nothing_to_train_on(tmp_path):
    with pytest.raises(ValueError, match="to train on"):
        datasets.text(write(tmp_path, b"abcdefghij" * 2), eval_fraction=0.95)

import pytest

from rnncore import RNN, Dense, Embedding, Network
from rnncore.layers import MAX_SIZE
from rnncore.spec import format_layers, parse_layers
from rnncore.stack import MAX_LAYERS


def test_parses_a_stack_in_order():
    layers = parse_layers("rnn:64,rnn:32,dense:32:tanh")
    assert [type(layer) for layer in layers] == [RNN, RNN, Dense]
    assert [layer.dim for layer in layers] == [64, 32, 32]
    assert layers[2].activation == "tanh"


def test_defaults_spaces_and_case():
    rnn, dense = parse_layers(" RNN:8 , dense:4 ")
    assert (rnn.hidden, rnn.whh_init) == (8, "orthogonal")
    assert (dense.units, dense.activation) == (4, "tanh")


@pytest.mark.parametrize("text", ["rnn:64,rnn:32,dense:32", "dense:3:relu,rnn:5:uniform", "rnn:1", ""])
def test_format_is_the_inverse_of_parse(text):
    assert format_layers(parse_layers(text)) == text


def test_parsed_layers_build_a_network():
    net = Network(10, [Embedding(4), *parse_layers("rnn:6,dense:5:sigmoid")])
    assert net.params["dense0.W"].shape == (6, 5)


@pytest.mark.parametrize("text, message", [
    ("rnn:64,foo:3", "layer 2 'foo:3': kind must be one of rnn, lstm, gru, dense"),
    ("rnn:x", "layer 1 'rnn:x': size must be an integer from 1"),
    ("rnn:0", "size must be an integer from 1"),
    (f"rnn:{MAX_SIZE + 1}", f"to {MAX_SIZE}"),
    ("rnn:-3", "size must be"),
    ("rnn", "layer 1 'rnn': write rnn:SIZE"),
    ("dense:4:tanh:x", r"write dense:SIZE\[:ACTIVATION\]"),
    ("dense:4:swish", "layer 1 'dense:4:swish': activation must be one of"),
    ("rnn:4:zeros", "whh_init must be one of orthogonal, uniform"),
    ("rnn:4,,rnn:4", "layer 2 '': kind must be"),
    (",".join(["rnn:2"] * (MAX_LAYERS + 1)), f"at most {MAX_LAYERS} layers"),
])
def test_bad_specs_name_the_bad_part(text, message):
    with pytest.raises(ValueError, match=message.replace("+", r"\+")):
        parse_layers(text)


def test_format_rejects_a_non_stack_layer():
    with pytest.raises(ValueError, match="only rnn, lstm, gru, dense layers have a spec"):
        format_layers([Embedding(3)])

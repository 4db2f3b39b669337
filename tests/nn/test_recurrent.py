"""RNN, LSTM, GRU and their cells against torch twins; gradcheck of the fused sequence ops."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.ops import recurrent as R

from .twin import assert_close, compare_module, copy_weights

LAYERS = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM), "GRU": (nn.GRU, torch.nn.GRU)}
CELLS = {"RNNCell": (nn.RNNCell, torch.nn.RNNCell), "LSTMCell": (nn.LSTMCell, torch.nn.LSTMCell),
         "GRUCell": (nn.GRUCell, torch.nn.GRUCell)}


def rng(seed=0):
    return np.random.default_rng(seed)


def flat(result):
    """(output, h_n) or (output, (h_n, c_n)) -> a flat tuple of tensors for compare_module."""
    output, state = result
    return (output,) + (tuple(state) if isinstance(state, tuple) else (state,))


def call(module, x, *states):
    if not states:
        return flat(module(x))
    return flat(module(x, tuple(states) if len(states) == 2 else states[0]))


def twins(kind, *args, **kwargs):
    ours, theirs = LAYERS[kind]
    torch.manual_seed(0)
    return ours(*args, **kwargs), theirs(*args, **kwargs)


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_layer_matches_torch(kind, dtype, batch_first):
    ours, theirs = twins(kind, 3, 5, batch_first=batch_first)
    x = rng().standard_normal((2, 4, 3) if batch_first else (4, 2, 3))
    compare_module(ours, theirs, [x], dtype=dtype, forward=call)


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_two_layers_bidirectional_with_initial_states(kind, dtype):
    ours, theirs = twins(kind, 3, 4, num_layers=2, bidirectional=True, batch_first=True)
    states = [rng(1).standard_normal((4, 2, 4))] * (2 if kind == "LSTM" else 1)
    compare_module(ours, theirs, [rng().standard_normal((2, 5, 3)), *states], dtype=dtype, forward=call)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_two_layers_given_states(kind):
    ours, theirs = twins(kind, 3, 4, num_layers=2)
    states = [rng(i + 1).standard_normal((2, 3, 4)) for i in range(2 if kind == "LSTM" else 1)]
    compare_module(ours, theirs, [rng().standard_normal((5, 3, 3)), *states], dtype="float64", forward=call)


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input(kind, batch_first):
    ours, theirs = twins(kind, 3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    states = [rng(1).standard_normal((4, 4))] * (2 if kind == "LSTM" else 1)
    compare_module(ours, theirs, [rng().standard_normal((5, 3))], forward=call)
    compare_module(ours, theirs, [rng().standard_normal((5, 3)), *states], forward=call)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_without_bias(kind):
    ours, theirs = twins(kind, 3, 4, bias=False)
    assert [n for n, _ in ours.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    compare_module(ours, theirs, [rng().standard_normal((4, 2, 3))], forward=call)


def test_relu_rnn():
    ours, theirs = twins("RNN", 3, 4, num_layers=2, nonlinearity="relu", bidirectional=True)
    compare_module(ours, theirs, [rng().standard_normal((6, 2, 3))], dtype="float64", forward=call)


@pytest.mark.parametrize("kind", list(LAYERS))
def test_dropout_between_layers_only_in_training(kind):
    ours, theirs = twins(kind, 3, 4, num_layers=2, dropout=0.5)
    x = rng().standard_normal((5, 2, 3))
    ours.eval(), theirs.eval()
    compare_module(ours, theirs, [x], forward=call)
    ours.train()
    eval_out = flat(ours.eval()(bp.tensor(x, dtype=bp.float32)))[0].detach().numpy()
    train_out = flat(ours.train()(bp.tensor(x, dtype=bp.float32)))[0].detach().numpy()
    assert not np.allclose(eval_out, train_out)
    # p = 1 zeroes the second layer's input: deterministic, so torch's twin agrees in training mode
    ours, theirs = twins(kind, 3, 4, num_layers=2, dropout=1.0)
    compare_module(ours.train(), theirs.train(), [x], forward=call)


def test_names_shapes_and_state_dict_match_torch():
    for kind in LAYERS:
        ours, theirs = twins(kind, 3, 5, num_layers=2, bidirectional=True)
        assert {n: p.shape for n, p in ours.named_parameters()} == {
            n: tuple(p.shape) for n, p in theirs.named_parameters()}
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kind", list(LAYERS) + list(CELLS))
def test_default_init_is_uniform_with_torchs_bound(kind):
    cls = {**LAYERS, **CELLS}[kind][0]
    module = cls(8, 64)
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.95 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cells_match_torch(kind, dtype):
    ours_cls, theirs_cls = CELLS[kind]
    torch.manual_seed(0)
    ours, theirs = ours_cls(3, 4), theirs_cls(3, 4)
    forward = lambda m, x, *s: m(x, tuple(s) if len(s) == 2 else s[0]) if s else m(x)  # noqa: E731
    states = [rng(i + 1).standard_normal((2, 4)) for i in range(2 if kind == "LSTMCell" else 1)]
    compare_module(ours, theirs, [rng().standard_normal((2, 3))], dtype=dtype, forward=forward)
    compare_module(ours, theirs, [rng().standard_normal((2, 3)), *states], dtype=dtype, forward=forward)
    compare_module(ours, theirs, [rng().standard_normal(3), *[s[0] for s in states]], dtype=dtype, forward=forward)


def test_relu_cell_matches_torch():
    torch.manual_seed(0)
    ours, theirs = nn.RNNCell(3, 4, nonlinearity="relu", bias=False), torch.nn.RNNCell(3, 4, False, "relu")
    compare_module(ours, theirs, [rng().standard_normal((5, 3)), rng(1).standard_normal((5, 4))])


@pytest.mark.parametrize("reverse", [False, True])
def test_gradcheck_fused_sequences(reverse):
    generator = rng(3)

    def r(*shape):
        return bp.tensor(generator.standard_normal(shape), dtype=bp.float64, requires_grad=True)

    t, b, i, h = 3, 2, 3, 2
    x, h0, c0 = r(t, b, i), r(b, h), r(b, h)
    assert bp.autograd.gradcheck(lambda *a: R.lstm_sequence(*a, reverse=reverse),
                                 (x, h0, c0, r(4 * h, i), r(4 * h, h), r(4 * h), r(4 * h)))
    assert bp.autograd.gradcheck(lambda *a: R.gru_sequence(*a, reverse=reverse),
                                 (x, h0, r(3 * h, i), r(3 * h, h), r(3 * h), r(3 * h)))
    assert bp.autograd.gradcheck(lambda *a: R.gru_sequence(*a, reverse=reverse), (x, h0, r(3 * h, i), r(3 * h, h)))
    assert bp.autograd.gradcheck(lambda *a: R.rnn_tanh_sequence(*a, reverse=reverse),
                                 (x, h0, r(h, i), r(h, h), r(h), r(h)))
    assert bp.autograd.gradcheck(lambda *a: R.rnn_relu_sequence(*a, reverse=reverse), (x, h0, r(h, i), r(h, h)))


def test_gradcheck_tiny_lstm_and_gru_modules():
    for cls in (nn.LSTM, nn.GRU):
        module = cls(2, 3, num_layers=2, bidirectional=True).double()
        x = bp.tensor(rng().standard_normal((3, 2, 2)), requires_grad=True)
        assert bp.autograd.gradcheck(lambda x: flat(module(x))[0], (x,))


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inference_without_a_graph_matches_torch(kind, dtype):
    """Under no_grad (and with nothing requiring grad) the LSTM keeps one step's gates instead of all."""
    ours, theirs = twins(kind, 3, 4, num_layers=2, bidirectional=True, batch_first=True)
    ours.to(getattr(bp, dtype)), theirs.to(getattr(torch, dtype))
    copy_weights(theirs, ours)
    x = rng().standard_normal((2, 5, 3)).astype(dtype)
    states = [rng(i + 1).standard_normal((4, 2, 4)).astype(dtype) for i in range(2 if kind == "LSTM" else 1)]
    with torch.no_grad():
        expected = call(theirs, torch.tensor(x), *[torch.tensor(s) for s in states])
    with bp.no_grad():
        got = call(ours, bp.tensor(x), *[bp.tensor(s) for s in states])
    for a, b in zip(got, expected):
        assert not a.requires_grad
        assert_close(a, b, dtype)
    for p in ours.parameters():
        p.requires_grad_(False)
    for a, b in zip(call(ours, bp.tensor(x), *[bp.tensor(s) for s in states]), expected):
        assert not a.requires_grad and a.grad_fn is None
        assert_close(a, b, dtype)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_sequence_same_values_with_and_without_a_graph(reverse):
    generator = rng(5)
    x, h0, c0 = (generator.standard_normal(shape) for shape in ((6, 3, 2), (3, 4), (3, 4)))
    weights = [generator.standard_normal(shape) for shape in ((16, 2), (16, 4), (16,), (16,))]
    tensors = [bp.tensor(a, dtype=bp.float32, requires_grad=True) for a in (x, h0, c0, *weights)]
    recorded = R.lstm_sequence(*tensors, reverse=reverse)
    assert recorded.requires_grad
    with bp.no_grad():
        plain = R.lstm_sequence(*tensors, reverse=reverse)
    assert not plain.requires_grad
    np.testing.assert_array_equal(plain.numpy(), recorded.detach().numpy())


@pytest.mark.parametrize("kind", list(LAYERS))
def test_wrong_input_size_names_the_layer(kind):
    module = LAYERS[kind][0](3, 5)
    with pytest.raises(RuntimeError, match=rf"{kind}\(input_size=3, hidden_size=5\).*\(4, 2, 7\).*\(L, N, 3\)"):
        module(bp.zeros(4, 2, 7))
    with pytest.raises(ValueError, match=rf"{kind}\(input_size=3.*\(3,\)"):
        module(bp.zeros(3))
    with pytest.raises(ValueError, match=rf"{kind}\(input_size=3.*\(0, 2, 3\).*length"):
        module(bp.zeros(0, 2, 3))


def test_wrong_state_shape_and_type():
    with pytest.raises(RuntimeError, match=r"h_0 of shape \(2, 2, 5\), got \(1, 2, 5\)"):
        nn.GRU(3, 5, num_layers=2)(bp.zeros(4, 2, 3), bp.zeros(1, 2, 5))
    with pytest.raises(RuntimeError, match=r"c_0 of shape \(1, 2, 5\), got \(1, 3, 5\)"):
        nn.LSTM(3, 5)(bp.zeros(4, 2, 3), (bp.zeros(1, 2, 5), bp.zeros(1, 3, 5)))
    with pytest.raises(ValueError, match="tuple"):
        nn.LSTM(3, 5)(bp.zeros(4, 2, 3), bp.zeros(1, 2, 5))
    with pytest.raises(RuntimeError, match=r"LSTMCell\(input_size=3.*\(2, 4\)"):
        nn.LSTMCell(3, 5)(bp.zeros(2, 4))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(3, 4, num_layers=2, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size"):
        nn.GRU(3, 0)
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.LSTM(3, 4, dropout=0.2)

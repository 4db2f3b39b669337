"""nn.utils.rnn (pad/pack/unpack, PackedSequence) against torch's, and RNN/LSTM/GRU on packed sequences of
unequal lengths: packed outputs, h_n/c_n and every gradient as torch's (sorted and enforce_sorted=False)."""
import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as torch_rnn

import backprop as bp
from backprop import nn
from backprop.nn.utils import rnn

from .twin import assert_close, compare_module

LAYERS = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM), "GRU": (nn.GRU, torch.nn.GRU)}
UNSORTED = [3, 5, 1, 4]  # distinct lengths: the packed order does not depend on how ties are sorted
SORTED = [5, 4, 2, 2]


def rng(seed=0):
    return np.random.default_rng(seed)


def twins(kind, *args, **kwargs):
    ours, theirs = LAYERS[kind]
    torch.manual_seed(0)
    return ours(*args, **kwargs), theirs(*args, **kwargs)


def packed_call(lengths, batch_first, enforce_sorted):
    """Pack the padded input, run the layer, unpack: (padded output, h_n[, c_n]) - all compared with torch."""
    def call(module, x, *states):
        lib = rnn if isinstance(x, bp.Tensor) else torch_rnn
        packed = lib.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        hx = None if not states else tuple(states) if len(states) == 2 else states[0]
        out, state = module(packed, hx)
        assert isinstance(out, lib.PackedSequence)
        padded, out_lengths = lib.pad_packed_sequence(out, batch_first=batch_first, padding_value=-0.5)
        assert out_lengths.tolist() == list(lengths)
        return (padded, out.data) + (tuple(state) if isinstance(state, tuple) else (state,))
    return call


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("lengths,enforce_sorted", [(SORTED, True), (UNSORTED, False)])
def test_packed_layer_matches_torch(kind, lengths, enforce_sorted):
    ours, theirs = twins(kind, 3, 4)
    x = rng().standard_normal((5, 4, 3))
    compare_module(ours, theirs, [x], dtype="float64", forward=packed_call(lengths, False, enforce_sorted))


@pytest.mark.parametrize("kind", list(LAYERS))
def test_packed_bidirectional_two_layers_with_states(kind):
    ours, theirs = twins(kind, 3, 4, num_layers=2, bidirectional=True, batch_first=True)
    states = [rng(i + 1).standard_normal((4, 4, 4)) for i in range(2 if kind == "LSTM" else 1)]
    compare_module(ours, theirs, [rng().standard_normal((4, 5, 3)), *states], dtype="float64",
                   forward=packed_call(UNSORTED, True, False))


def test_packed_lstm_projection_bidirectional():
    ours, theirs = twins("LSTM", 3, 5, num_layers=2, bidirectional=True, proj_size=2)
    compare_module(ours, theirs, [rng().standard_normal((5, 4, 3))], dtype="float64",
                   forward=packed_call(UNSORTED, False, False))


@pytest.mark.parametrize("batch_first", [False, True])
def test_lstm_projection_matches_torch(batch_first):
    ours, theirs = twins("LSTM", 3, 5, num_layers=2, proj_size=3, batch_first=batch_first)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    h0, c0 = rng(1).standard_normal((2, 2, 3)), rng(2).standard_normal((2, 2, 5))
    x = rng().standard_normal((2, 4, 3) if batch_first else (4, 2, 3))
    out = compare_module(ours, theirs, [x, h0, c0], dtype="float64",
                         forward=lambda m, x, h, c: (lambda o: (o[0],) + tuple(o[1]))(m(x, (h, c))))[0]
    assert out[1].shape == (2, 2, 3) and out[2].shape == (2, 2, 5)  # h of proj_size, c of hidden_size
    unbatched = compare_module(ours, theirs, [x[0]], dtype="float64",
                               forward=lambda m, x: (lambda o: (o[0],) + tuple(o[1]))(m(x)))[0]
    assert unbatched[0].shape == (x.shape[1], 3)  # x[0]: one unbatched sequence


def test_proj_size_errors_all_weights_and_flatten_parameters():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="proj_size should be a positive integer or zero"):
        nn.LSTM(3, 4, proj_size=-1)
    for layer in (nn.RNN, nn.GRU, torch.nn.RNN, torch.nn.GRU):
        with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM, not RNN or GRU"):
            layer(3, 4, proj_size=2)
    ours, theirs = twins("GRU", 3, 4, num_layers=2, bidirectional=True)
    assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in theirs.all_weights]
    assert ours.all_weights[3][0] is ours.weight_ih_l1_reverse
    assert ours.flatten_parameters() is None


def test_pad_sequence_matches_torch():
    arrays = [rng(i).standard_normal((n, 2)) for i, n in enumerate([3, 1, 4])]
    for kwargs in (dict(), dict(batch_first=True, padding_value=-1.0), dict(batch_first=True, padding_side="left")):
        ours = [bp.tensor(a, requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        y, t = rnn.pad_sequence(ours, **kwargs), torch_rnn.pad_sequence(theirs, **kwargs)
        assert_close(y, t, "float64")
        upstream = rng(7).standard_normal(tuple(t.shape))
        (y * bp.tensor(upstream)).sum().backward()
        (t * torch.tensor(upstream)).sum().backward()
        for a, b in zip(ours, theirs):
            assert_close(a.grad, b.grad, "float64", "grad")
    ints = rnn.pad_sequence([bp.tensor([1, 2, 3]), bp.tensor([4])], batch_first=True)
    assert ints.dtype == bp.int64 and ints.tolist() == [[1, 2, 3], [4, 0, 0]]
    with pytest.raises(RuntimeError, match="Expected padding_side to be one of left or right, but got middle"):
        rnn.pad_sequence(ours, padding_side="middle")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [(SORTED, True), (UNSORTED, False), ([3, 5, 3, 2], False)])
def test_pack_and_pad_packed_match_torch(batch_first, lengths, enforce_sorted):
    x = rng().standard_normal((4, 5, 2) if batch_first else (5, 4, 2))
    ours, theirs = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    p = rnn.pack_padded_sequence(ours, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    q = torch_rnn.pack_padded_sequence(theirs, torch.tensor(lengths), batch_first=batch_first,
                                       enforce_sorted=enforce_sorted)
    assert_close(p.data, q.data, "float64", "data")
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        a, b = getattr(p, name), getattr(q, name)
        assert (a is None) == (b is None) and (a is None or a.tolist() == b.tolist()), name
    assert p.batch_sizes.dtype == bp.int64
    y, y_lengths = rnn.pad_packed_sequence(p, batch_first=batch_first, padding_value=2.0, total_length=6)
    t, t_lengths = torch_rnn.pad_packed_sequence(q, batch_first=batch_first, padding_value=2.0, total_length=6)
    assert_close(y, t, "float64")
    assert y_lengths.tolist() == t_lengths.tolist() and y_lengths.dtype == bp.int64
    upstream = rng(3).standard_normal(tuple(t.shape))
    (y * bp.tensor(upstream)).sum().backward()
    (t * torch.tensor(upstream)).sum().backward()
    assert_close(ours.grad, theirs.grad, "float64", "grad through pack and pad")


def test_pack_sequence_unpack_and_unpad():
    arrays = [rng(i).standard_normal((n, 3)) for i, n in enumerate([2, 4, 1])]
    ours = rnn.pack_sequence([bp.tensor(a) for a in arrays], enforce_sorted=False)
    theirs = torch_rnn.pack_sequence([torch.tensor(a) for a in arrays], enforce_sorted=False)
    assert_close(ours.data, theirs.data, "float64")
    for a, b in zip(rnn.unpack_sequence(ours), arrays):
        np.testing.assert_array_equal(a.numpy(), b)
    padded = rnn.pad_sequence([bp.tensor(a) for a in arrays])
    for a, b in zip(rnn.unpad_sequence(padded, bp.tensor([2, 4, 1])), arrays):
        np.testing.assert_array_equal(a.numpy(), b)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order when `enforce_sorted` is True"):
        rnn.pack_sequence([bp.tensor(a) for a in arrays])


def test_packed_sequence_is_torchs_named_tuple():
    p = rnn.pack_padded_sequence(bp.randn(3, 2, 2), [3, 1])
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert batch_sizes.tolist() == [2, 1, 1] and sorted_indices is None and unsorted_indices is None
    assert p.double().data.dtype == bp.float64 and p.to(bp.float64).batch_sizes is batch_sizes
    q = rnn.PackedSequence(data, batch_sizes, bp.tensor([1, 0]))
    assert q.unsorted_indices.tolist() == [1, 0] and rnn.invert_permutation(bp.tensor([2, 0, 1])).tolist() == [1, 2, 0]
    assert not p.is_cuda and nn.utils.rnn.pad_sequence is rnn.pad_sequence
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        rnn.pack_padded_sequence(bp.randn(3, 2, 2), [3, 0])
    with pytest.raises(ValueError, match="Expected total_length to be at least .* total_length=2 and max sequence"):
        rnn.pad_packed_sequence(p, total_length=2)


def test_reprs_are_torchs():
    for args, kwargs in [((3, 4), dict(nonlinearity="relu", bias=False)), ((3, 4), dict())]:
        assert repr(nn.RNNCell(*args, **kwargs)) == repr(torch.nn.RNNCell(*args, **kwargs))
        assert repr(nn.RNN(*args, **kwargs)) == repr(torch.nn.RNN(*args, **kwargs))
    kwargs = dict(num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True, proj_size=2)
    assert repr(nn.LSTM(3, 4, **kwargs)) == repr(torch.nn.LSTM(3, 4, **kwargs))
    assert repr(nn.GRUCell(3, 4)) == repr(torch.nn.GRUCell(3, 4))

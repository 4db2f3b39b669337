"""The LSTM's inference path (no graph: one step's buffers, gates through exp) against torch under no_grad, and
the same layers with grad: a graph is recorded and backward matches torch. Saturated gates (pre-activations far
beyond exp's float range) give torch's values without a floating-point warning. The GRU's reset and update gates go
through exp too: the same checks for it (both modes against torch, saturated gates)."""
import warnings

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn.utils.rnn import pack_padded_sequence as bp_pack
from torch.nn.utils.rnn import pack_padded_sequence as torch_pack

from .twin import assert_close, compare_module, copy_weights

OPTIONS = [
    dict(),
    dict(batch_first=True),
    dict(bidirectional=True),
    dict(num_layers=2, dropout=0.5),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(proj_size=2),
    dict(bias=False),
]


def twins(dtype, scale=1.0, layer="LSTM", **options):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, layer)(3, 4, **options).to(getattr(torch, dtype))
    with torch.no_grad():
        for p in theirs.parameters():
            p.mul_(scale)
    ours = getattr(nn, layer)(3, 4, **options).to(getattr(bp, dtype))
    copy_weights(theirs, ours)
    return ours, theirs


def inputs(options, dtype, states, scale=1.0):
    generator = np.random.default_rng(1)
    x = (generator.standard_normal((2, 5, 3) if options.get("batch_first") else (5, 2, 3)) * scale).astype(dtype)
    if not states:
        return x, None
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    h0 = generator.standard_normal((layers, 2, options.get("proj_size") or 4)).astype(dtype)
    c0 = generator.standard_normal((layers, 2, 4)).astype(dtype)
    return x, (h0, c0)


def flat(result):
    output, (h_n, c_n) = result
    return output, h_n, c_n


def run(module, x, hx):
    """Every output of an LSTM or a GRU (which takes h0 alone) as one tuple."""
    return flat(module(x, hx)) if isinstance(module, (nn.LSTM, torch.nn.LSTM)) else module(x, hx[0])


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(o) or "plain")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("states", [False, True], ids=["zero_states", "given_states"])
def test_no_grad_matches_torch(options, dtype, states):
    ours, theirs = twins(dtype, **options)
    ours.eval(), theirs.eval()  # dropout acts only in training
    x, hx = inputs(options, dtype, states)
    with torch.no_grad():
        expected = flat(theirs(torch.tensor(x), None if hx is None else tuple(map(torch.tensor, hx))))
    with bp.no_grad():
        got = flat(ours(bp.tensor(x), None if hx is None else tuple(map(bp.tensor, hx))))
    for a, b in zip(got, expected):
        assert a.grad_fn is None and not a.requires_grad
        assert_close(a, b, dtype)


@pytest.mark.parametrize("options", OPTIONS[:5] + OPTIONS[6:], ids=lambda o: ",".join(o) or "plain")
def test_with_grad_records_and_backpropagates_like_torch(options):
    ours, theirs = twins("float32", **options)
    ours.eval(), theirs.eval()
    x, (h0, c0) = inputs(options, "float32", True)
    outputs, _ = compare_module(ours, theirs, [x, h0, c0], forward=lambda m, x, h, c: flat(m(x, (h, c))))
    assert all(o.grad_fn is not None for o in outputs)


def test_parameters_alone_requiring_grad_record_a_graph():
    """Grad mode on and only the weights requiring grad: the graph is kept and the weights get torch's grads."""
    ours, theirs = twins("float32")
    x, _ = inputs({}, "float32", False)
    out_ours, out_theirs = ours(bp.tensor(x))[0], theirs(torch.tensor(x))[0]
    assert out_ours.grad_fn is not None
    out_ours.sum().backward(), out_theirs.sum().backward()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p.grad, q.grad, "float32", name)


@pytest.mark.parametrize("layer", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("grad", [False, True])
def test_saturated_gates_match_torch_without_warnings(dtype, grad, layer):
    """Weights and inputs large enough that exp(-a) overflows (a << 0): sigma = 0 and tanh = -1 exactly."""
    ours, theirs = twins(dtype, scale=300.0, layer=layer, bidirectional=True)
    x, hx = inputs(dict(bidirectional=True), dtype, True, scale=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with bp.set_grad_enabled(grad):
            got = run(ours, bp.tensor(x), tuple(map(bp.tensor, hx)))
        if grad:
            sum(o.sum() for o in got).backward()
    with torch.set_grad_enabled(grad):
        expected = run(theirs, torch.tensor(x), tuple(map(torch.tensor, hx)))
    for a, b in zip(got, expected):
        assert_close(a, b, dtype)
    assert np.isfinite(got[0].detach().numpy()).all()
    if grad:
        sum(o.sum() for o in expected).backward()
        for p, q in zip(ours.parameters(), theirs.parameters()):
            assert np.isfinite(p.grad.numpy()).all()
            assert_close(p.grad, q.grad, dtype)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequence_under_no_grad_matches_torch(bidirectional):
    ours, theirs = twins("float32", bidirectional=bidirectional, batch_first=True)
    x = np.random.default_rng(2).standard_normal((3, 5, 3)).astype("float32")
    lengths = [3, 5, 2]
    with torch.no_grad():
        out_t, (h_t, c_t) = theirs(torch_pack(torch.tensor(x), lengths, batch_first=True, enforce_sorted=False))
    with bp.no_grad():
        out_b, (h_b, c_b) = ours(bp_pack(bp.tensor(x), lengths, batch_first=True, enforce_sorted=False))
    for a, b in ((out_b.data, out_t.data), (h_b, h_t), (c_b, c_t)):
        assert a.grad_fn is None
        assert_close(a, b, "float32")


GRU_OPTIONS = [o for o in OPTIONS if "proj_size" not in o]


@pytest.mark.parametrize("options", GRU_OPTIONS, ids=lambda o: ",".join(o) or "plain")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("states", [False, True], ids=["zero_states", "given_states"])
def test_gru_no_grad_matches_torch(options, dtype, states):
    ours, theirs = twins(dtype, layer="GRU", **options)
    ours.eval(), theirs.eval()
    x, hx = inputs(options, dtype, states)
    h0 = None if hx is None else hx[0]
    with torch.no_grad():
        expected = theirs(torch.tensor(x), None if h0 is None else torch.tensor(h0))
    with bp.no_grad():
        got = ours(bp.tensor(x), None if h0 is None else bp.tensor(h0))
    for a, b in zip(got, expected):
        assert a.grad_fn is None and not a.requires_grad
        assert_close(a, b, dtype)


@pytest.mark.parametrize("options", GRU_OPTIONS, ids=lambda o: ",".join(o) or "plain")
def test_gru_with_grad_backpropagates_like_torch(options):
    ours, theirs = twins("float32", layer="GRU", **options)
    ours.eval(), theirs.eval()
    x, (h0, _) = inputs(options, "float32", True)
    outputs, _ = compare_module(ours, theirs, [x, h0], forward=lambda m, x, h: m(x, h))
    assert all(o.grad_fn is not None for o in outputs)


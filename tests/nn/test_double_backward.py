"""Second derivatives (``create_graph=True``) of the nn.functional ops where the op registry cannot
reach: the recurrent layers (no functional form in torch: compared through nn.RNN/LSTM/GRU with
copied weights), dropout with its random mask, the decompositions against the fused forwards,
and a gradient penalty through a small network of layers, against torch.

The registry (tests/op_registry.py, section "nn.functional") covers every other op: values,
gradients, gradcheck, gradgradcheck and Hessian-vector products against torch.
"""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.autograd import Function
from backprop.ops import conv, loss, nn_activation, normalization, pooling
from backprop.ops import recurrent as R

from .twin import copy_weights

TOLERANCE = dict(rtol=1e-9, atol=1e-11)  # float64 throughout


def _array(t):
    return None if t is None else t.detach().numpy()


def _second_derivatives(lib, outputs, wrt, rng):
    """First gradients g = v . d outputs / d wrt (create_graph) and the gradients of sum <g, w> with respect
    to wrt and v, for random v and w drawn from ``rng`` (the same draws in both frameworks)."""
    v = [lib.tensor(rng.standard_normal(tuple(o.shape)), requires_grad=True) for o in outputs]
    first = lib.autograd.grad(outputs, wrt, v, create_graph=True, allow_unused=True)
    w = [rng.standard_normal(tuple(t.shape)) for t in wrt]
    total = sum((g * lib.tensor(wi)).sum() for g, wi in zip(first, w) if g is not None and g.requires_grad)
    second = lib.autograd.grad(total, list(wrt) + v, allow_unused=True)
    return [_array(g) for g in first], [_array(g) for g in second]


def _assert_same(ours, theirs, names):
    for a, b, name in zip(ours, theirs, names):
        if b is None:
            assert a is None or not np.any(a), f"{name}: torch has no gradient, backprop a non-zero one"
            continue
        assert a is not None or not np.any(b), f"{name}: backprop has no gradient, torch a non-zero one"
        np.testing.assert_allclose(np.zeros_like(b) if a is None else a, b, err_msg=name, **TOLERANCE)


def _compare_modules(ours, theirs, inputs, call, seed=0):
    """The same inputs (NumPy, float64, all differentiated) through both modules (torch's weights copied):
    first and second derivatives with respect to the inputs, the parameters and the upstream gradients."""
    theirs = theirs.double()
    ours.double()
    copy_weights(theirs, ours)
    xs_ours = [bp.tensor(a, requires_grad=True) for a in inputs]
    xs_theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    names = [name for name, _ in theirs.named_parameters()]
    params_ours, params_theirs = dict(ours.named_parameters()), dict(theirs.named_parameters())
    wrt_ours = xs_ours + [params_ours[n] for n in names]
    wrt_theirs = xs_theirs + [params_theirs[n] for n in names]
    found = []
    for lib, module, xs, wrt in ((bp, ours, xs_ours, wrt_ours), (torch, theirs, xs_theirs, wrt_theirs)):
        outputs = call(module, *xs)
        found.append(_second_derivatives(lib, outputs, wrt, np.random.default_rng(seed)))
    (first_ours, second_ours), (first_theirs, second_theirs) = found
    labels = [f"input {i}" for i in range(len(inputs))] + names
    _assert_same(first_ours, first_theirs, [f"first gradient of {n}" for n in labels])
    _assert_same(second_ours, second_theirs, [f"second gradient with respect to {n}" for n in labels]
                 + [f"second gradient with respect to upstream {k}" for k in range(len(second_ours) - len(labels))])


# ---------------------------------------------------------------- recurrent layers against torch
LAYERS = {"RNN": (nn.RNN, torch.nn.RNN), "LSTM": (nn.LSTM, torch.nn.LSTM), "GRU": (nn.GRU, torch.nn.GRU)}


def _recurrent_call(module, x, *states):
    output, state = module(x, (tuple(states) if len(states) == 2 else states[0]) if states else None)
    return [output] + (list(state) if isinstance(state, tuple) else [state])


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("options", [dict(num_layers=2, bidirectional=True), dict(bias=False, batch_first=True)],
                         ids=["2_layers_bidirectional", "no_bias_batch_first"])
def test_recurrent_layers_second_derivatives_match_torch(kind, options):
    torch.manual_seed(0)
    ours, theirs = LAYERS[kind][0](2, 2, **options), LAYERS[kind][1](2, 2, **options)
    rng = np.random.default_rng(1)
    layers = options.get("num_layers", 1) * (2 if options.get("bidirectional") else 1)
    x = rng.standard_normal((2, 3, 2))
    batch = x.shape[0 if options.get("batch_first") else 1]
    states = [rng.standard_normal((layers, batch, 2)) for _ in range(2 if kind == "LSTM" else 1)]
    _compare_modules(ours, theirs, [x] + states, _recurrent_call)


def test_relu_rnn_second_derivatives_match_torch():
    torch.manual_seed(0)
    options = dict(nonlinearity="relu", bidirectional=True)
    ours, theirs = nn.RNN(2, 3, **options), torch.nn.RNN(2, 3, **options)
    _compare_modules(ours, theirs, [np.random.default_rng(2).standard_normal((3, 2, 2))], _recurrent_call)


SEQUENCES = {  # name: (function, gates, with a cell state, with biases)
    "lstm": (R.lstm_sequence, 4, True, True), "gru": (R.gru_sequence, 3, False, True),
    "rnn_tanh": (R.rnn_tanh_sequence, 1, False, False), "rnn_relu": (R.rnn_relu_sequence, 1, False, True)}


@pytest.mark.parametrize("name", list(SEQUENCES))
@pytest.mark.parametrize("reverse", [False, True])
def test_gradgradcheck_fused_sequences(name, reverse):
    function, gates, cell, biases = SEQUENCES[name]
    steps, batch, features, hidden = 2, 2, 2, 2
    shapes = [(steps, batch, features), (batch, hidden)] + [(batch, hidden)] * cell
    shapes += [(gates * hidden, features), (gates * hidden, hidden)] + [(gates * hidden,)] * (2 * biases)
    generator = np.random.default_rng(3)
    inputs = [bp.tensor(generator.standard_normal(s) * 0.8, requires_grad=True) for s in shapes]
    assert bp.autograd.gradgradcheck(lambda *a: function(*a, reverse=reverse), inputs)


# ---------------------------------------------------------------- dropout with its fixed mask
@pytest.mark.parametrize("scale_at_test", [False, True])
def test_dropout_second_derivatives_with_a_fixed_mask(scale_at_test):
    """y = m x (m the mask, scaled by 1 / (1 - p) unless scale_at_test): dy/dx v = m v, linear in v and
    constant in x, whose own derivatives are m w (with respect to v) and 0 (with respect to x)."""
    p = 0.4
    rng = np.random.default_rng(4)
    x = bp.tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def fn(x):
        bp.manual_seed(7)  # the same mask at every call
        return nn.functional.dropout(x, p, training=True, scale_at_test=scale_at_test)

    mask = fn(bp.ones(3, 4, dtype=bp.float64)).numpy()
    kept = 1.0 if scale_at_test else 1 / (1 - p)
    assert set(np.unique(mask)) == {0.0, kept}
    v = bp.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    (g,) = bp.autograd.grad(fn(x), x, v, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), mask * v.detach().numpy(), rtol=1e-15)
    w = rng.standard_normal((3, 4))
    second_x, second_v = bp.autograd.grad((g * bp.tensor(w)).sum(), [x, v], allow_unused=True)
    assert second_x is None or not second_x.numpy().any()
    np.testing.assert_allclose(second_v.numpy(), mask * w, rtol=1e-15)
    assert bp.autograd.gradgradcheck(fn, (x,))
    assert bp.autograd.gradgradcheck(lambda x: fn(x) * fn(x), (x,))  # the mask squared: m^2 x^2


# ---------------------------------------------------------------- decompositions = fused forwards
DECOMPOSED = [conv.ConvNd, conv.LocallyConnected2d, pooling.MaxPoolNd, pooling.AvgPoolNd, normalization.BatchNorm,
              normalization.LayerNorm, nn_activation.GELU, loss.SoftmaxCrossEntropy, loss.CrossEntropy, loss.MSELoss,
              R.RNNSequence, R.LSTMSequence, R.GRUSequence]


def _run_recurrent_samples():
    rng = np.random.default_rng(5)

    def r(*shape):
        return bp.tensor(rng.standard_normal(shape), requires_grad=True)

    for reverse in (False, True):
        R.lstm_sequence(r(3, 2, 2), r(2, 3), r(2, 3), r(12, 2), r(12, 3), r(12), r(12), reverse=reverse)
        R.gru_sequence(r(3, 2, 2), r(2, 3), r(9, 2), r(9, 3), reverse=reverse)
        R.rnn_tanh_sequence(r(3, 2, 2), r(2, 3), r(3, 2), r(3, 3), r(3), r(3), reverse=reverse)
        R.rnn_relu_sequence(r(3, 2, 2), r(2, 3), r(3, 2), r(3, 3), reverse=reverse)


def test_every_decomposition_gives_the_fused_forwards_values(monkeypatch):
    """Each fused op's ``decompose`` (the readable reference its second derivatives come from) computes the
    values of its forward, on every nn.functional sample of the registry (float64) and the recurrent layers."""
    from helpers import Inputs
    from op_registry import REGISTRY

    assert all(cls.decompose is not None for cls in DECOMPOSED)
    calls = {cls: [] for cls in DECOMPOSED}
    apply = Function.apply.__func__

    def recording(cls, *inputs, **params):
        result = apply(cls, *inputs, **params)
        calls[cls].append((inputs, params, result))
        return result

    for cls in DECOMPOSED:
        monkeypatch.setattr(cls, "apply", classmethod(recording))
    for dtype in (np.float64, np.float32):
        for entry in REGISTRY:
            if entry.name.startswith("nn.functional."):
                for sample in entry.samples:
                    inputs = Inputs(sample.args, sample.kwargs, dtype=dtype, domain=entry.domain)
                    entry.bp_fn(*inputs.bp, **inputs.bp_kwargs)
    _run_recurrent_samples()
    monkeypatch.undo()
    for cls, seen in calls.items():
        assert seen, f"{cls.__name__}: no sample ran it"
        for inputs, params, result in seen:
            with bp.no_grad():
                expected = cls.decompose(*[bp.tensor(t.detach().numpy()) for t in inputs], **params)
            assert expected.dtype == result.dtype, f"{cls.__name__} {params}: {expected.dtype}, fused {result.dtype}"
            tolerance = dict(rtol=1e-12, atol=1e-12) if result.dtype == bp.float64 else dict(rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(expected.numpy(), result.detach().numpy(), err_msg=f"{cls.__name__} {params}",
                                       **tolerance)


# ---------------------------------------------------------------- a gradient penalty through layers
class _Net:
    """conv - batch norm - GELU - max pool - conv (groups) - avg pool - layer norm - linear - softplus - linear,
    built with ``lib.nn`` (the same code for both frameworks)."""

    def __init__(self, lib):
        n = lib.nn
        self.features = n.Sequential(n.Conv2d(2, 4, 3, padding=1), n.BatchNorm2d(4), n.GELU(), n.MaxPool2d(2),
                                     n.Conv2d(4, 4, 2, groups=2, padding=1), n.AvgPool2d(2), n.ELU())
        self.head = n.Sequential(n.Flatten(), n.LayerNorm(16), n.Linear(16, 5), n.Softplus(), n.Linear(5, 3))


def _penalised_loss(lib, net, x, target):
    """WGAN-GP / double backprop: the loss plus the squared norm of its gradient with respect to the input."""
    logits = net.head(net.features(x))
    loss_value = lib.nn.functional.cross_entropy(logits, target, label_smoothing=0.1)
    (g,) = lib.autograd.grad(loss_value, x, create_graph=True)
    return loss_value + (g * g).sum()


def test_gradient_penalty_through_a_network_matches_torch():
    torch.manual_seed(0)
    ours, theirs = _Net(bp), _Net(torch)
    for a, b in ((ours.features, theirs.features), (ours.head, theirs.head)):
        b.double()
        a.double()
        copy_weights(b, a)
    rng = np.random.default_rng(6)
    x, target = rng.standard_normal((3, 2, 8, 8)), np.array([0, 2, 1])
    results = []
    for lib, net in ((bp, ours), (torch, theirs)):
        total = _penalised_loss(lib, net, lib.tensor(x, requires_grad=True), lib.tensor(target))
        total.backward()
        grads = {f"features.{k}": p.grad for k, p in net.features.named_parameters()}
        grads.update({f"head.{k}": p.grad for k, p in net.head.named_parameters()})
        results.append((_array(total), {k: _array(g) for k, g in grads.items()}))
    (value_ours, grads_ours), (value_theirs, grads_theirs) = results
    np.testing.assert_allclose(value_ours, value_theirs, **TOLERANCE)
    assert grads_ours.keys() == grads_theirs.keys()
    for name in grads_theirs:
        np.testing.assert_allclose(grads_ours[name], grads_theirs[name], err_msg=name, **TOLERANCE)


# ---------------------------------------------------------------- an input that depends on another input
@pytest.mark.parametrize("name", ["conv1d", "layer_norm", "linear"])
def test_weights_shared_with_the_input(name):
    """f(f(x, W), W): the second application's input depends on its own weight (weight tying, recurrence)."""
    calls = {"conv1d": lambda F, x, w: F.conv1d(F.conv1d(x, w, padding=1), w, padding=1),
             "layer_norm": lambda F, x, w: F.layer_norm(F.layer_norm(x, (3,), w) * w, (3,), w),
             "linear": lambda F, x, w: F.linear(F.linear(x, w), w)}
    shapes = {"conv1d": ((1, 2, 4), (2, 2, 3)), "layer_norm": ((2, 3), (3,)), "linear": ((2, 2), (2, 2))}
    rng = np.random.default_rng(8)
    arrays = [rng.standard_normal(s) for s in shapes[name]]
    found = []
    for lib in (bp, torch):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        found.append(_second_derivatives(lib, [calls[name](lib.nn.functional, *xs)], xs, np.random.default_rng(9)))
    _assert_same(found[0][0], found[1][0], ["first gradient of x", "first gradient of W"])
    _assert_same(found[0][1], found[1][1], ["second gradient with respect to x", "... W", "... v"])


def test_the_registry_has_every_op_of_nn_functional():
    """Every function of backprop.nn.functional has its registry entry "nn.functional.<name>" (values, gradients,
    gradcheck, gradgradcheck and second derivatives against torch), but the recurrent sequences (above)."""
    import inspect

    from op_registry import REGISTRY

    names = {entry.name for entry in REGISTRY}
    functions = [name for name, value in vars(nn.functional).items() if inspect.isfunction(value) and name[0] != "_"]
    missing = [name for name in functions if f"nn.functional.{name}" not in names and not name.endswith("_sequence")]
    assert not missing, f"nn.functional ops without a registry entry: {missing}"
    assert {"rnn_tanh_sequence", "rnn_relu_sequence", "lstm_sequence", "gru_sequence"} <= set(functions)

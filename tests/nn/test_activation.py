"""Activation functions and modules against torch: values, input gradients, gradcheck."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import assert_close, compare_module

DTYPES = ["float32", "float64"]


def sample(shape=(3, 5), seed=0, scale=3.0):
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    x.reshape(-1)[:3] = [-1e-3, 1e-3, 0.5]
    return x


class TorchFn(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


MODULES = [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.LeakyReLU(), lambda: torch.nn.LeakyReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh")),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: nn.Softmax(dim=0), lambda: torch.nn.Softmax(dim=0)),
    (lambda: nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1)),
    (lambda: nn.Softplus(), lambda: torch.nn.Softplus()),
    (lambda: nn.Softplus(beta=2.0, threshold=3.0), lambda: torch.nn.Softplus(beta=2.0, threshold=3.0)),
    (lambda: nn.ELU(), lambda: torch.nn.ELU()),
    (lambda: nn.ELU(alpha=0.5), lambda: torch.nn.ELU(alpha=0.5)),
    (lambda: nn.Arctan(), lambda: TorchFn(torch.atan)),
]
IDS = ["relu", "leaky", "leaky0.2", "gelu", "gelu_tanh", "sigmoid", "tanh", "softmax1", "softmax0", "logsoftmax",
       "softplus", "softplus_beta", "elu", "elu0.5", "arctan"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make", MODULES, ids=IDS)
def test_module_matches_torch(make, dtype):
    ours, theirs = make[0](), make[1]()
    compare_module(ours, theirs, [sample()], dtype=dtype)
    compare_module(ours, theirs, [sample((2, 3, 4), seed=1)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_exact_over_a_wide_range(dtype):
    x = np.concatenate([np.linspace(-12, 12, 2001), [0.0, 0.46875 * math.sqrt(2), 4 * math.sqrt(2), 40, -40]])
    compare_module(nn.GELU(), torch.nn.GELU(), [x], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus_large_inputs_stay_finite(dtype):
    x = np.array([-1000.0, -50.0, -10.0, 0.0, 10.0, 19.9, 20.1, 50.0, 1000.0])
    compare_module(nn.Softplus(), torch.nn.Softplus(), [x], dtype=dtype)
    compare_module(nn.Softplus(beta=0.5, threshold=5), torch.nn.Softplus(beta=0.5, threshold=5), [x], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_forms_match_torch(dtype):
    x = sample()
    cases = [
        (lambda t: F.leaky_relu(t, 0.3), lambda t: torch.nn.functional.leaky_relu(t, 0.3)),
        (lambda t: F.gelu(t, approximate="tanh"), lambda t: torch.nn.functional.gelu(t, approximate="tanh")),
        (lambda t: F.softplus(t, beta=3, threshold=4), lambda t: torch.nn.functional.softplus(t, 3, 4)),
        (lambda t: F.elu(t, alpha=2.0), lambda t: torch.nn.functional.elu(t, alpha=2.0)),
        (F.arctan, torch.atan),
        (F.relu, torch.relu),
        (lambda t: F.softmax(t, 1), lambda t: torch.softmax(t, 1)),
    ]
    for ours, theirs in cases:
        compare_module(_Wrap(ours), TorchFn(theirs), [x], dtype=dtype)


class _Wrap(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_step_is_heaviside_with_zero_gradient(dtype):
    x = sample().astype(dtype)
    x[1, 1] = 0.0
    t = bp.tensor(x, requires_grad=True)
    y = nn.Step()(t)
    assert y.dtype == getattr(bp, dtype)
    expected = torch.heaviside(torch.tensor(x), torch.tensor(0.0, dtype=getattr(torch, dtype)))
    assert_close(y, expected, dtype)
    (y * bp.tensor(np.ones_like(x))).sum().backward()
    assert_close(t.grad, np.zeros_like(x), dtype)
    assert F.step(bp.tensor([-1, 0, 2])).tolist() == [0.0, 0.0, 1.0]


GRADCHECK = [
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1)),
    ("gelu", F.gelu),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh")),
    ("softplus", F.softplus),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0)),
    ("elu", lambda x: F.elu(x, alpha=0.7)),
    ("step", F.step),
    ("arctan", F.arctan),
]


@pytest.mark.parametrize("name,fn", GRADCHECK, ids=[g[0] for g in GRADCHECK])
def test_gradcheck(name, fn):
    x = np.random.default_rng(2).standard_normal((3, 4)) * 2
    x[np.abs(x) < 0.05] = 0.5  # away from the kinks at 0
    x[np.abs(np.abs(2 * x) - 3) < 0.05] = 0.7  # and from softplus's threshold
    x[0, :4] = [-6.0, -3.0, 0.3, 6.0]  # gelu's erf in all three of its intervals
    assert bp.autograd.gradcheck(fn, (bp.tensor(x, requires_grad=True),))


def test_erf_matches_math_erf():
    from backprop.ops.nn_activation import _erf_parts

    x = np.linspace(-8, 8, 4001)
    erf, erfc = _erf_parts(x)
    np.testing.assert_allclose(erf * np.sign(x), [math.erf(v) for v in x], rtol=0, atol=4e-16)
    np.testing.assert_allclose(erfc, [math.erfc(abs(v)) for v in x], rtol=2e-15, atol=0)


def test_reprs_match_torch():
    pairs = [
        (nn.ReLU(), torch.nn.ReLU()), (nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
        (nn.LeakyReLU(0.2, inplace=True), torch.nn.LeakyReLU(0.2, inplace=True)),
        (nn.GELU("tanh"), torch.nn.GELU("tanh")), (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)), (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0)),
        (nn.Softplus(beta=2, threshold=10), torch.nn.Softplus(beta=2, threshold=10)),
        (nn.ELU(alpha=0.5), torch.nn.ELU(alpha=0.5)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)


def test_softmax_without_dim_uses_torchs_implicit_dim():
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        x = np.random.default_rng(3).standard_normal(shape)
        with pytest.warns(UserWarning):
            expected = torch.nn.Softmax()(torch.tensor(x))
        assert_close(nn.Softmax()(bp.tensor(x)), expected, "float64")


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        F.gelu(bp.zeros(2), approximate="fast")
    with pytest.raises(TypeError, match="floating point"):
        F.gelu(bp.tensor([1, 2]))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_functional_softmax_without_dim_takes_torchs_implicit_dim(name, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = getattr(F, name)(bp.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(F.softmax(bp.tensor(x), -1, dtype=bp.float64).numpy(),
                               torch.nn.functional.softmax(torch.tensor(x), -1, dtype=torch.float64).numpy())

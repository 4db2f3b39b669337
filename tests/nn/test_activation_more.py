"""The activation modules of issue 20 against their torch twins: outputs, input and parameter gradients,
constructor arguments and repr, PReLU's weight, RReLU's random slopes, the in-place forms."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import assert_close, compare_module

DTYPES = ["float32", "float64"]


def sample(shape=(3, 5), seed=0, scale=3.0):
    """Normal values spread over the kinks (+-3, 0, 6 ...), with a few exactly at them."""
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    x.reshape(-1)[:6] = [-3.0, 3.0, 0.0, 0.5, -0.5, 6.0]
    return x


# (id, backprop module, torch module): the same constructor call in both
MODULES = [
    ("silu", lambda m: m.SiLU()), ("mish", lambda m: m.Mish()), ("hardswish", lambda m: m.Hardswish()),
    ("hardsigmoid", lambda m: m.Hardsigmoid()), ("selu", lambda m: m.SELU()), ("hardtanh", lambda m: m.Hardtanh()),
    ("hardtanh_bounds", lambda m: m.Hardtanh(-0.5, 3.0)), ("relu6", lambda m: m.ReLU6()),
    ("rrelu_eval", lambda m: m.RReLU(0.1, 0.4).eval()), ("celu", lambda m: m.CELU(0.5)), ("glu", lambda m: m.GLU()),
    ("glu_dim0", lambda m: m.GLU(0)), ("logsigmoid", lambda m: m.LogSigmoid()), ("softsign", lambda m: m.Softsign()),
    ("tanhshrink", lambda m: m.Tanhshrink()), ("softmin", lambda m: m.Softmin(dim=1)),
    ("softshrink", lambda m: m.Softshrink()), ("softshrink_1", lambda m: m.Softshrink(1.0)),
    ("hardshrink", lambda m: m.Hardshrink(0.3)), ("threshold", lambda m: m.Threshold(0.5, -2.0)),
    ("prelu", lambda m: m.PReLU()),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,make", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(name, make, dtype):
    shape = (4, 6) if name.startswith("glu") else (3, 6)
    compare_module(make(nn), make(torch.nn), [sample(shape)], dtype=dtype)
    compare_module(make(nn), make(torch.nn), [sample((2, 4, 6), seed=1)], dtype=dtype)


REPRS = [
    lambda m: m.SiLU(), lambda m: m.SiLU(inplace=True), lambda m: m.Mish(True), lambda m: m.Hardswish(),
    lambda m: m.Hardswish(inplace=True), lambda m: m.Hardsigmoid(True), lambda m: m.SELU(inplace=True),
    lambda m: m.Hardtanh(), lambda m: m.Hardtanh(-2, 2.5, True), lambda m: m.ReLU6(), lambda m: m.ReLU6(True),
    lambda m: m.PReLU(), lambda m: m.PReLU(3, 0.1), lambda m: m.RReLU(), lambda m: m.RReLU(0.2, 0.3, True),
    lambda m: m.CELU(), lambda m: m.CELU(2.0, True), lambda m: m.GLU(), lambda m: m.GLU(1), lambda m: m.LogSigmoid(),
    lambda m: m.Softsign(), lambda m: m.Tanhshrink(), lambda m: m.Softmin(), lambda m: m.Softmin(0),
    lambda m: m.Softmax2d(), lambda m: m.Softshrink(), lambda m: m.Hardshrink(0.25), lambda m: m.Threshold(0.1, 20),
    lambda m: m.Threshold(0.1, 20.0, True), lambda m: m.ReLU(True), lambda m: m.LeakyReLU(0.2, True),
    lambda m: m.ELU(inplace=True), lambda m: m.GELU("tanh"), lambda m: m.Softplus(2, 10),
]


@pytest.mark.parametrize("make", REPRS)
def test_repr_matches_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_prelu_weight_init_key_and_channel_gradients():
    ours, theirs = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    assert ours.weight.requires_grad and tuple(ours.weight.shape) == (3,)
    # per-channel slopes on (N, C, H, W) and (N, C): each channel's gradient sums its own negatives
    theirs.weight.data = torch.tensor([0.1, -0.3, 0.6])
    compare_module(ours, theirs, [sample((2, 3, 4, 4))], dtype="float64")
    compare_module(nn.PReLU(3), torch.nn.PReLU(3), [sample((5, 3))], dtype="float32")
    # the default single slope on any shape, a 0-d input included
    compare_module(nn.PReLU(), torch.nn.PReLU(), [np.array(-2.0)], dtype="float64")
    with pytest.raises(RuntimeError):
        nn.PReLU(3)(bp.randn(2, 4))


def test_prelu_reset_parameters_and_dtype():
    layer = nn.PReLU(2, init=0.7, dtype=bp.float64)
    assert layer.weight.dtype == bp.float64
    with bp.no_grad():
        layer.weight.fill_(0.0)
    layer.reset_parameters()
    assert layer.weight.tolist() == [0.7, 0.7]


def test_rrelu_eval_uses_the_mean_slope():
    x = sample((4, 5))
    layer = nn.RReLU(0.1, 0.5).eval()
    expected = np.where(x > 0, x, x * 0.3)
    np.testing.assert_allclose(layer(bp.tensor(x)).numpy(), expected, rtol=1e-12)
    compare_module(layer, torch.nn.RReLU(0.1, 0.5).eval(), [x], dtype="float64")
    # the functional form defaults to evaluation
    np.testing.assert_allclose(F.rrelu(bp.tensor(x)).numpy(), np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2))


def test_rrelu_training_slopes_are_uniform_in_range_and_are_the_gradient():
    bp.manual_seed(0)
    lower, upper = 0.1, 0.4
    x = bp.tensor(-np.abs(np.random.default_rng(3).standard_normal(20000)) - 0.1, requires_grad=True)
    layer = nn.RReLU(lower, upper).train()
    y = layer(x)
    slopes = (y / x).detach().numpy()
    assert slopes.min() >= lower and slopes.max() <= upper
    # U(lower, upper): mean (l + u) / 2, variance (u - l)^2 / 12; a fixed slope or U(0, 1) would fail
    assert abs(slopes.mean() - 0.25) < 0.003
    assert abs(slopes.var() - 0.3 ** 2 / 12) < 0.0005
    assert len(np.unique(slopes)) > 19000  # one draw per element
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)
    positive = bp.tensor([1.0, 2.5])
    assert layer(positive).tolist() == [1.0, 2.5]
    # seeded: the same draws again
    bp.manual_seed(0)
    np.testing.assert_array_equal(layer(x).detach().numpy(), y.detach().numpy())


def test_softmax2d_and_softmin():
    x = sample((2, 3, 4, 5))
    compare_module(nn.Softmax2d(), torch.nn.Softmax2d(), [x], dtype="float64")
    compare_module(nn.Softmax2d(), torch.nn.Softmax2d(), [x[0]], dtype="float64")
    with pytest.raises(ValueError):
        nn.Softmax2d()(bp.randn(3, 4))
    compare_module(nn.Softmin(), torch.nn.Softmin(), [sample((3, 4))], dtype="float64")  # the implicit dim 1
    with pytest.warns(UserWarning, match="Implicit dimension"):
        F.softmin(bp.randn(3, 4))


def test_argument_errors():
    with pytest.raises(AssertionError):  # torch's type
        nn.Hardtanh(1.0, 1.0)
    with pytest.raises(ValueError):
        F.hardtanh(bp.randn(3), 1.0, 0.0)
    assert F.hardtanh(bp.tensor([-2.0, 3.0]), 0.5, 0.5).tolist() == [0.5, 0.5]
    with pytest.raises(RuntimeError):
        F.glu(bp.randn(2, 3))
    with pytest.raises(RuntimeError):
        F.softshrink(bp.randn(3), -0.5)
    with pytest.raises(RuntimeError):
        F.celu(bp.randn(3), 0.0)
    with pytest.warns(FutureWarning):
        layer = nn.Hardtanh(min_value=-2.0)
    assert layer.min_val == -2.0
    integers = F.hardtanh(bp.tensor([-3, 0, 2]))  # integers stay integers, as torch's
    assert integers.tolist() == [-1, 0, 1] and integers.dtype == bp.int64
    with pytest.raises(TypeError):
        F.silu(bp.tensor([1, 2]))


IN_PLACE = [("relu_", ()), ("elu_", (0.4,)), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)),
            ("threshold_", (0.1, -1.0)), ("selu_", ()), ("celu_", (0.5,)), ("rrelu_", (0.1, 0.3))]


@pytest.mark.parametrize("name,args", IN_PLACE, ids=[n for n, _ in IN_PLACE])
def test_in_place_forms_change_their_input_and_backpropagate(name, args):
    x = sample((3, 4))
    ours_leaf, theirs_leaf = bp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = ours_leaf * 2, theirs_leaf * 2
    result = getattr(F, name)(ours, *args)
    getattr(torch.nn.functional, name)(theirs, *args)
    assert result is ours
    assert_close(ours, theirs, "float64")
    assert ours.grad_fn is not None
    upstream = np.random.default_rng(1).standard_normal(x.shape)
    (ours * bp.tensor(upstream)).sum().backward()
    (theirs * torch.tensor(upstream)).sum().backward()
    assert_close(ours_leaf.grad, theirs_leaf.grad, "float64", "grad")
    with pytest.raises(RuntimeError):  # a leaf that requires grad cannot change in place, as in torch
        getattr(F, name)(bp.tensor(x, requires_grad=True), *args)


def test_inplace_argument_leaves_the_input_unchanged():
    x = bp.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True).tolist() == [0.0, 2.0]
    np.testing.assert_allclose(nn.Hardswish(inplace=True)(x).numpy(), [-1 / 3, 2 * 5 / 6], rtol=1e-6)
    assert x.tolist() == [-1.0, 2.0]


def test_gumbel_softmax_samples_the_softmax_and_passes_the_soft_gradient():
    logits = np.array([1.0, 2.0, 0.5, -1.0])
    probabilities = np.exp(logits) / np.exp(logits).sum()
    x = bp.tensor(np.tile(logits, (20000, 1)), requires_grad=True)
    bp.manual_seed(3)
    hard = F.gumbel_softmax(x, tau=0.7, hard=True)
    values = hard.detach().numpy()
    assert set(np.unique(values)) == {0.0, 1.0} and (values.sum(1) == 1).all()
    # the Gumbel-max trick: argmax(logits + g) ~ softmax(logits), whatever tau (4 standard errors)
    np.testing.assert_allclose(values.mean(0), probabilities, atol=4 * np.sqrt(0.25 / 20000))
    upstream = bp.tensor(np.random.default_rng(0).standard_normal(values.shape))
    (hard * upstream).sum().backward()
    straight_through = x.grad.numpy().copy()
    x.grad = None
    bp.manual_seed(3)  # the same noise: the soft sample, whose gradient the hard one passes on
    soft = F.gumbel_softmax(x, tau=0.7)
    assert (soft.detach().numpy().argmax(1) == values.argmax(1)).all()
    np.testing.assert_allclose(soft.sum(1).detach().numpy(), 1.0, rtol=1e-6)
    (soft * upstream).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), straight_through, rtol=1e-12)
    # along another dim
    columns = F.gumbel_softmax(bp.tensor(np.tile(logits, (3, 1)).T), tau=0.5, dim=0)
    np.testing.assert_allclose(columns.sum(0).numpy(), 1.0, rtol=1e-12)
    one_hot = F.gumbel_softmax(bp.tensor(np.tile(logits, (3, 1)).T), hard=True, dim=0).numpy()
    assert (one_hot.sum(0) == 1).all() and (one_hot.max(0) == 1).all()


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax", "Softmin"])
def test_modules_without_dim_warn_as_torch(name):
    with pytest.warns(UserWarning, match="Implicit dimension"):
        getattr(nn, name)()(bp.randn(2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        getattr(torch.nn, name)()(torch.randn(2, 3))

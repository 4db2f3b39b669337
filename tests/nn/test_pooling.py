"""MaxPool / AvgPool / AdaptiveAvgPool (1-D and 2-D) against torch."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import compare_module

rng = np.random.default_rng(0)

MAX = [
    (2, {}, (2, 3, 8, 8)),
    (3, dict(stride=2, padding=1), (2, 3, 7, 8)),
    ((3, 2), dict(stride=(2, 1), padding=(1, 1), dilation=(1, 2)), (2, 2, 9, 8)),
    (2, dict(ceil_mode=True), (2, 3, 7, 5)),
    (3, dict(stride=2, padding=1, ceil_mode=True), (1, 2, 8, 9)),
    (2, {}, (3, 6, 6)),  # unbatched
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k,kwargs,shape", MAX)
def test_max_pool2d_matches_torch(k, kwargs, shape, dtype):
    compare_module(nn.MaxPool2d(k, **kwargs), torch.nn.MaxPool2d(k, **kwargs), [rng.standard_normal(shape)], dtype)


AVG = [
    (2, {}, (2, 3, 8, 8)),
    (3, dict(stride=2, padding=1), (2, 3, 7, 8)),
    (3, dict(stride=2, padding=1, count_include_pad=False), (2, 3, 7, 8)),
    ((3, 2), dict(stride=(2, 1), padding=(1, 0), ceil_mode=True), (2, 2, 8, 7)),
    (3, dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False), (1, 2, 8, 9)),
    (2, dict(divisor_override=3), (2, 2, 6, 6)),
    (2, {}, (3, 6, 6)),  # unbatched
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k,kwargs,shape", AVG)
def test_avg_pool2d_matches_torch(k, kwargs, shape, dtype):
    compare_module(nn.AvgPool2d(k, **kwargs), torch.nn.AvgPool2d(k, **kwargs), [rng.standard_normal(shape)], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size,shape", [(1, (2, 3, 7, 7)), ((3, 5), (2, 3, 7, 8)), ((None, 2), (3, 5, 6)),
                                        ((7, 6), (2, 2, 5, 4)), (4, (1, 2, 8, 8))])
def test_adaptive_avg_pool2d_matches_torch(size, shape, dtype):
    compare_module(nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size), [rng.standard_normal(shape)], dtype)


@pytest.mark.parametrize("ours,theirs,kwargs", [
    (nn.MaxPool1d, torch.nn.MaxPool1d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (nn.AvgPool1d, torch.nn.AvgPool1d, dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    (nn.AdaptiveAvgPool1d, torch.nn.AdaptiveAvgPool1d, dict(output_size=4)),
])
def test_1d_pools_match_torch(ours, theirs, kwargs):
    compare_module(ours(**kwargs), theirs(**kwargs), [rng.standard_normal((2, 3, 10))], "float64")


def test_max_pool_ties_go_to_the_first_as_torch():
    x = np.array([[[[1.0, 1.0, 0.0], [1.0, 0.0, 2.0], [2.0, 2.0, 2.0]]]])
    compare_module(nn.MaxPool2d(2, stride=1), torch.nn.MaxPool2d(2, stride=1), [x], "float64")


def test_max_pool_propagates_nan():
    x = bp.tensor([[[[1.0, float("nan")], [3.0, 2.0]]]])
    assert np.isnan(F.max_pool2d(x, 2).item())


@pytest.mark.parametrize("fn,kwargs", [
    (F.max_pool2d, dict(kernel_size=3, stride=2, padding=1)),
    (F.max_pool2d, dict(kernel_size=2, dilation=2, ceil_mode=True)),
    (F.avg_pool2d, dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True)),
    (F.avg_pool2d, dict(kernel_size=2)),
    (F.adaptive_avg_pool2d, dict(output_size=(2, 3))),
])
def test_gradcheck(fn, kwargs):
    x = bp.tensor(rng.standard_normal((2, 2, 5, 6)), requires_grad=True)
    assert bp.autograd.gradcheck(lambda x: fn(x, **kwargs), (x,))


def test_stride_defaults_to_kernel_size_and_repr_as_torch():
    for ours, theirs in [(nn.MaxPool2d(2), torch.nn.MaxPool2d(2)), (nn.AvgPool2d(3), torch.nn.AvgPool2d(3)),
                         (nn.AdaptiveAvgPool2d((1, 1)), torch.nn.AdaptiveAvgPool2d((1, 1)))]:
        assert repr(ours) == repr(theirs)
    assert F.max_pool2d(bp.zeros(1, 1, 6, 6), 3).shape == (1, 1, 2, 2)


def test_errors():
    with pytest.raises(ValueError, match="padding should be at most half of the kernel size"):
        F.max_pool2d(bp.zeros(1, 1, 6, 6), 2, padding=2)
    with pytest.raises(ValueError, match=r"expected input of 4 dims \(N, C, \*spatial\) or 3"):
        F.avg_pool2d(bp.zeros(6, 6), 2)
    with pytest.raises(ValueError, match="smaller than the"):
        F.max_pool2d(bp.zeros(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="output_size must be positive"):
        F.adaptive_avg_pool2d(bp.zeros(1, 1, 4, 4), 0)
    with pytest.raises(ValueError, match="kernel_size must be an int or a tuple of 2 ints"):
        F.max_pool2d(bp.zeros(1, 1, 4, 4), (2, 2, 2))


@pytest.mark.parametrize("k,kwargs", [(2, {}), (3, dict(stride=2, padding=1)), (2, dict(stride=1))])
def test_max_pool_after_relu_ties_match_torch(k, kwargs):
    # ReLU outputs many exact zeros: whole windows tie; the gradient goes to the first, as torch's
    x = np.maximum(rng.standard_normal((2, 4, 8, 8)), 0).round(1)
    compare_module(nn.MaxPool2d(k, **kwargs), torch.nn.MaxPool2d(k, **kwargs), [x], "float32")


def test_max_pool_gradient_goes_to_the_nan_of_a_window():
    data = rng.standard_normal((1, 2, 4, 4))
    data[0, 0, 1, 0] = data[0, 1, 2, 3] = np.nan
    x = bp.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    torch.nn.functional.max_pool2d(t, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("pool", [nn.MaxPool2d(3, stride=2, padding=1), nn.AvgPool2d(2), nn.MaxPool2d(2)])
def test_pooling_without_graph_gives_the_same_values(pool):
    x = bp.tensor(rng.standard_normal((2, 3, 9, 8)).astype(np.float32))
    with bp.no_grad():
        fast = pool(x)
    np.testing.assert_array_equal(fast.numpy(), pool(x.requires_grad_()).detach().numpy())

"""MaxPool with return_indices and MaxUnpool, AdaptiveMaxPool1d/2d, LPPool1d/2d, and the 1-d pools' options,
against torch twins (values, indices, input gradients, reprs; unbatched inputs)."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import compare_module


def distinct(shape, seed=0):
    """Values at least 0.1 apart: no tied windows."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.1 - n * 0.05).reshape(shape)


def same_indices(ours, theirs):
    assert ours.dtype == bp.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("pool,unpool,k,kwargs,shape", [
    ("MaxPool2d", "MaxUnpool2d", 2, {}, (2, 3, 6, 6)),
    ("MaxPool2d", "MaxUnpool2d", 3, dict(stride=3, padding=1), (2, 2, 7, 8)),
    ("MaxPool2d", "MaxUnpool2d", (2, 3), dict(stride=(2, 3)), (3, 6, 7)),  # unbatched
    ("MaxPool1d", "MaxUnpool1d", 2, {}, (2, 3, 8)),
    ("MaxPool1d", "MaxUnpool1d", 3, dict(stride=3, padding=1), (3, 10)),
    ("MaxPool3d", "MaxUnpool3d", 2, {}, (2, 2, 4, 4, 6)),
    ("MaxPool3d", "MaxUnpool3d", (1, 2, 3), dict(stride=(1, 2, 3), padding=(0, 1, 1)), (2, 3, 5, 7)),
])
def test_max_pool_indices_and_unpool_match_torch(pool, unpool, k, kwargs, shape, dtype):
    bp_pool, torch_pool = getattr(nn, pool)(k, return_indices=True, **kwargs), getattr(torch.nn, pool)(
        k, return_indices=True, **kwargs)
    bp_unpool, torch_unpool = getattr(nn, unpool)(k, **kwargs), getattr(torch.nn, unpool)(k, **kwargs)
    assert repr(bp_pool) == repr(torch_pool) and repr(bp_unpool) == repr(torch_unpool)
    dims = len(bp_unpool.kernel_size)

    def roundtrip(modules, x):
        pool_, unpool_ = modules
        y, indices = pool_(x)
        return y, indices, unpool_(y, indices, output_size=x.shape[-dims:])

    ours, theirs = compare_module(nn.ModuleList([bp_pool, bp_unpool]), torch.nn.ModuleList([torch_pool, torch_unpool]),
                                  [distinct(shape)], dtype, forward=roundtrip)
    same_indices(ours[1], theirs[1])


def test_max_unpool_default_size_and_errors():
    x = bp.tensor(distinct((1, 1, 4, 4)))
    y, i = nn.MaxPool2d(2, return_indices=True)(x)
    assert nn.MaxUnpool2d(2)(y, i).shape == (1, 1, 4, 4)
    with pytest.raises(ValueError, match="output_size"):
        nn.MaxUnpool2d(2)(y, i, output_size=(9, 9))
    with pytest.raises(ValueError, match="indices"):
        nn.MaxUnpool2d(2)(y, i[..., :1])
    with pytest.raises(RuntimeError, match="invalid max index"):
        nn.MaxUnpool2d(2)(y, i * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,size,shape", [
    ("AdaptiveMaxPool2d", (2, 3), (2, 3, 7, 9)), ("AdaptiveMaxPool2d", 1, (2, 4, 5, 5)),
    ("AdaptiveMaxPool2d", (None, 2), (3, 5, 6)), ("AdaptiveMaxPool2d", (7, 5), (1, 2, 5, 4)),
    ("AdaptiveMaxPool1d", 3, (2, 3, 7)), ("AdaptiveMaxPool1d", 4, (3, 10)), ("AdaptiveMaxPool1d", 5, (2, 2, 3)),
    ("AdaptiveMaxPool3d", (2, 3, 2), (1, 2, 4, 5, 6)), ("AdaptiveMaxPool3d", (None, 2, 1), (2, 3, 5, 4))])
@pytest.mark.parametrize("return_indices", [False, True])
def test_adaptive_max_pool_matches_torch(cls, size, shape, dtype, return_indices):
    ours, theirs = getattr(nn, cls)(size, return_indices), getattr(torch.nn, cls)(size, return_indices)
    assert repr(ours) == repr(theirs)
    a, b = compare_module(ours, theirs, [distinct(shape)], dtype)
    if return_indices:
        same_indices(a[1], b[1])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cls,args,kwargs,shape", [
    ("LPPool2d", (2, 2), {}, (2, 3, 6, 6)), ("LPPool2d", (1.5, (2, 3)), dict(stride=1), (2, 2, 5, 6)),
    ("LPPool2d", (3, 3), dict(stride=2, ceil_mode=True), (3, 6, 6)), ("LPPool1d", (2, 3), {}, (2, 3, 9)),
    ("LPPool1d", (1, 2), dict(stride=1), (3, 7)), ("LPPool3d", (2, 2), {}, (1, 2, 4, 4, 4)),
    ("LPPool3d", (3, (1, 2, 2)), dict(stride=1), (2, 3, 4, 4))])
def test_lp_pool_matches_torch(cls, args, kwargs, shape, dtype):
    ours, theirs = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(2).uniform(0.5, 2.0, shape)
    compare_module(ours, theirs, [x], dtype)


@pytest.mark.parametrize("cls,kwargs", [
    ("MaxPool1d", dict(kernel_size=3, stride=2, padding=1, dilation=2)),
    ("MaxPool1d", dict(kernel_size=2, ceil_mode=True)),
    ("AvgPool1d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("AvgPool1d", dict(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)),
    ("AdaptiveAvgPool1d", dict(output_size=3)),
])
def test_1d_pools_options_and_reprs_match_torch(cls, kwargs):
    ours, theirs = getattr(nn, cls)(**kwargs), getattr(torch.nn, cls)(**kwargs)
    assert repr(ours) == repr(theirs)
    compare_module(ours, theirs, [distinct((2, 3, 11))], "float64")
    compare_module(ours, theirs, [distinct((3, 11), 1)], "float64")  # unbatched

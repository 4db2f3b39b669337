"""Flatten and Unflatten against torch."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import compare_module


@pytest.mark.parametrize("dims", [(), (1, -1), (0, -1), (1, 2), (-3, -2), (2, 2)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_flatten_matches_torch(dims, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    compare_module(nn.Flatten(*dims), torch.nn.Flatten(*dims), [x], dtype=dtype)


@pytest.mark.parametrize("dim, sizes, shape", [(1, (3, 4), (2, 12)), (-1, (2, -1), (2, 3, 8)), (0, (2, 1), (2, 5))])
def test_unflatten_matches_torch(dim, sizes, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    compare_module(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), [x])


def test_in_a_network():
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    assert net(bp.zeros(5, 3, 2, 2)).shape == (5, 2)


def test_errors_and_repr():
    with pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        nn.Flatten(2, 1)(bp.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"Unflatten.*size 12.*\(2, 12\)"):
        nn.Unflatten(1, (5, 2))(bp.zeros(2, 12))
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())
    assert repr(nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))

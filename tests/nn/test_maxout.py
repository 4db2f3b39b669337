"""Maxout against an explicit torch computation: linear to out*pieces units, max over each group of pieces."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

from .twin import compare_module


class TorchMaxout(torch.nn.Module):
    """The explicit torch computation, with Maxout's parameter names."""

    def __init__(self, in_features, out_features, pieces, bias=True):
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        linear = torch.nn.Linear(in_features, out_features * pieces, bias=bias)
        self.weight, self.bias = linear.weight, linear.bias

    def forward(self, x):
        z = torch.nn.functional.linear(x, self.weight, self.bias)
        return z.view(*x.shape[:-1], self.out_features, self.pieces).max(dim=-1).values


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("pieces", [1, 3])
def test_matches_explicit_torch(dtype, shape, pieces):
    torch.manual_seed(0)
    x = np.random.default_rng(0).standard_normal(shape)
    compare_module(nn.Maxout(4, 3, pieces), TorchMaxout(4, 3, pieces), [x], dtype=dtype)


def test_without_bias():
    ours, theirs = nn.Maxout(4, 2, 2, bias=False), TorchMaxout(4, 2, 2, bias=False)
    assert [n for n, _ in ours.named_parameters()] == ["weight"]
    compare_module(ours, theirs, [np.random.default_rng(1).standard_normal((3, 4))], dtype="float64")


def test_parameters_shapes_and_init():
    bp.manual_seed(0)
    layer = nn.Maxout(50, 20, 4)
    assert layer.weight.shape == (80, 50) and layer.bias.shape == (80,)
    assert list(layer.state_dict()) == list(TorchMaxout(50, 20, 4).state_dict())
    bound = 1 / math.sqrt(50)
    for p in (layer.weight, layer.bias):
        values = p.detach().numpy()
        assert values.min() >= -bound and values.max() <= bound
    assert abs(layer.weight.detach().numpy().std() - bound / math.sqrt(3)) < 0.01


def test_gradient_reaches_only_the_winning_piece():
    layer = nn.Maxout(1, 1, 2)
    with bp.no_grad():
        layer.weight.copy_(bp.tensor([[1.0], [-1.0]]))
        layer.bias.zero_()
    x = bp.tensor([[2.0], [-3.0]], requires_grad=True)
    y = layer(x)  # |x|
    assert y.flatten().tolist() == [2.0, 3.0]
    y.sum().backward()
    assert x.grad.flatten().tolist() == [1.0, -1.0]
    assert layer.weight.grad.flatten().tolist() == [2.0, -3.0]  # piece k gets x where it wins


def test_errors():
    with pytest.raises(ValueError, match=r"Maxout\(in_features=4\).*\(2, 3\).*\(\*, 4\)"):
        nn.Maxout(4, 2, 2)(bp.zeros(2, 3))
    with pytest.raises(ValueError, match="pieces must be a positive integer, got 0"):
        nn.Maxout(4, 2, 0)
    assert "pieces=2" in repr(nn.Maxout(4, 2, 2))

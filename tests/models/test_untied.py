"""UntiedBiasConv2d: a shared kernel with one bias per output unit, against torch's conv2d plus a bias map."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.models import UntiedBiasConv2d
from nn.twin import compare_module

rng = np.random.default_rng(0)


class TorchUntied(torch.nn.Module):
    def __init__(self, cin, cout, out_size, kernel_size, stride, padding):
        super().__init__()
        self.stride, self.padding = stride, padding
        self.weight = torch.nn.Parameter(torch.randn(cout, cin, *kernel_size))
        self.bias = torch.nn.Parameter(torch.randn(cout, *out_size))

    def forward(self, x):
        return torch.nn.functional.conv2d(x, self.weight, None, self.stride, self.padding) + self.bias


CASES = [  # (in, out, input size, kernel, stride, padding, out size, input shape)
    (1, 2, 16, 3, 2, 1, (8, 8), (2, 1, 16, 16)),
    (2, 3, (7, 9), (3, 2), (2, 1), (1, 0), (4, 8), (3, 2, 7, 9)),
    (2, 4, 5, 3, 1, 1, (5, 5), (2, 5, 5)),  # unbatched
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cin,cout,size,k,stride,padding,out,shape", CASES)
def test_matches_torch(cin, cout, size, k, stride, padding, out, shape, dtype):
    layer = UntiedBiasConv2d(cin, cout, size, k, stride, padding)
    assert layer.output_size == out and layer.bias.shape == (cout, *out)
    k = k if isinstance(k, tuple) else (k, k)
    compare_module(layer, TorchUntied(cin, cout, out, k, stride, padding), [rng.standard_normal(shape)], dtype)


def test_init_bounds_and_names():
    layer = UntiedBiasConv2d(2, 4, 8, 5, stride=2, padding=2)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    bound = 1 / math.sqrt(2 * 25)
    for p in layer.parameters():
        values = p.detach().numpy()
        assert values.dtype == np.float32 and np.abs(values).max() <= bound and values.std() > bound / 3


def test_bias_is_per_unit():
    layer = UntiedBiasConv2d(1, 1, 4, 3, padding=1)
    with bp.no_grad():
        layer.weight.fill_(0.0)
        layer.bias.copy_(bp.arange(16.0).reshape(1, 4, 4))
    assert layer(bp.randn(2, 1, 4, 4)).tolist() == [[np.arange(16.0).reshape(4, 4).tolist()]] * 2


def test_errors():
    with pytest.raises(ValueError, match=r"UntiedBiasConv2d expects \(N, C, H, W\) with \(C, H, W\)=\(1, 16, 16\), "
                                         r"got \(2, 1, 8, 8\)"):
        UntiedBiasConv2d(1, 2, 16, 3)(bp.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="smaller than kernel_size"):
        UntiedBiasConv2d(1, 1, 2, 5)

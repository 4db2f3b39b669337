"""LocallyConnected2d against an explicit torch computation (unfold + einsum, same weights)."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import compare_module

rng = np.random.default_rng(0)


class TorchLocallyConnected2d(torch.nn.Module):
    """y[n, o, i, j] = b[o, i, j] + sum_{c, a, b} W[i, j, o, c, a, b] x_pad[n, c, i s + a, j s + b]."""

    def __init__(self, in_channels, out_channels, input_size, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        pair = torch.nn.modules.utils._pair
        self.kernel_size, self.stride, self.padding = pair(kernel_size), pair(stride), pair(padding)
        h, w = pair(input_size)
        self.out = ((h + 2 * self.padding[0] - self.kernel_size[0]) // self.stride[0] + 1,
                    (w + 2 * self.padding[1] - self.kernel_size[1]) // self.stride[1] + 1)
        self.weight = torch.nn.Parameter(torch.randn(*self.out, out_channels, in_channels, *self.kernel_size))
        self.bias = torch.nn.Parameter(torch.randn(out_channels, *self.out)) if bias else None

    def forward(self, x):
        unbatched = x.ndim == 3
        if unbatched:
            x = x[None]
        cols = torch.nn.functional.unfold(x, self.kernel_size, padding=self.padding, stride=self.stride)  # (N, CK, L)
        oh, ow, o = self.weight.shape[:3]
        y = torch.einsum("nkl,lok->nol", cols, self.weight.reshape(oh * ow, o, -1)).reshape(-1, o, oh, ow)
        if self.bias is not None:
            y = y + self.bias
        return y[0] if unbatched else y


CASES = [
    # (in, out, input_size, kernel, kwargs, input shape)
    (2, 3, 6, 3, {}, (2, 2, 6, 6)),
    (1, 4, (7, 8), (3, 2), dict(stride=(2, 1), padding=(1, 0)), (3, 1, 7, 8)),
    (3, 2, 5, 2, dict(stride=2, padding=1, bias=False), (2, 3, 5, 5)),
    (2, 2, 4, 3, dict(padding=1), (2, 4, 4)),  # unbatched
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cin,cout,size,k,kwargs,shape", CASES)
def test_matches_unfold_einsum_in_torch(cin, cout, size, k, kwargs, shape, dtype):
    compare_module(nn.LocallyConnected2d(cin, cout, size, k, **kwargs),
                   TorchLocallyConnected2d(cin, cout, size, k, **kwargs), [rng.standard_normal(shape)], dtype)


def test_equals_conv2d_with_tied_weights_and_positions_are_independent():
    conv = nn.Conv2d(2, 3, 3, padding=1)
    local = nn.LocallyConnected2d(2, 3, 5, 3, padding=1)
    with bp.no_grad():
        local.weight.copy_(conv.weight.reshape(1, 1, 3, 2, 3, 3).expand(5, 5, 3, 2, 3, 3))
        local.bias.copy_(conv.bias.reshape(3, 1, 1).expand(3, 5, 5))
    x = bp.randn(2, 2, 5, 5)
    before = local(x).detach().numpy()
    np.testing.assert_allclose(before, conv(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    with bp.no_grad():
        local.weight[1, 2].fill_(0.0)  # the filters of output position (1, 2) only
    changed = local(x).detach().numpy() != before
    assert changed[:, :, 1, 2].all() and changed.sum() == changed[:, :, 1, 2].size


def test_gradcheck():
    x = bp.tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    w = bp.tensor(rng.standard_normal((3, 2, 3, 2, 2, 3)), requires_grad=True)
    b = bp.tensor(rng.standard_normal((3, 3, 2)), requires_grad=True)
    assert bp.autograd.gradcheck(lambda x, w, b: F.locally_connected2d(x, w, b, stride=(2, 1), padding=(1, 0)),
                                 (x, w, b))


def test_shapes_and_init():
    layer = nn.LocallyConnected2d(3, 8, (10, 12), 3, stride=1, padding=0)
    assert layer.weight.shape == (8, 10, 8, 3, 3, 3) and layer.bias.shape == (8, 8, 10)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    bound = 1 / math.sqrt(3 * 9)
    values = layer.weight.detach().numpy()
    assert values.dtype == np.float32 and np.abs(values).max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * values.std()
    assert nn.LocallyConnected2d(1, 2, 4, 3, bias=False).bias is None


def test_wrong_input_shape():
    layer = nn.LocallyConnected2d(3, 8, 10, 3)
    with pytest.raises(ValueError, match=r"LocallyConnected2d expects \(N, C, H, W\) with \(C, H, W\)=\(3, 10, 10\), "
                                         r"got \(2, 3, 12, 12\)"):
        layer(bp.zeros(2, 3, 12, 12))
    with pytest.raises(ValueError, match="smaller than kernel_size"):
        nn.LocallyConnected2d(1, 1, 2, 3)


def test_a_frozen_weight_keeps_no_columns_and_the_input_gradient_is_right():
    x = bp.tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    w = bp.tensor(rng.standard_normal((3, 2, 3, 2, 2, 3)))
    y = F.locally_connected2d(x, w, stride=(2, 1), padding=(1, 0))
    assert y.grad_fn.cols is None  # the columns serve dL/dW only
    assert bp.autograd.gradcheck(lambda x: F.locally_connected2d(x, w, stride=(2, 1), padding=(1, 0)), (x,))

"""ConvTranspose1d/2d/3d and Conv3d against their torch twins: outputs, input and parameter gradients,
output_size, default initialisation, repr and errors."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import compare_module

rng = np.random.default_rng(0)

TRANSPOSE2D = [
    # (in, out, kernel, kwargs, input shape)
    (4, 3, 4, dict(stride=2, padding=1), (3, 4, 5, 5)),  # DCGAN's up-sampling layer
    (4, 2, 4, dict(stride=1, padding=0, bias=False), (2, 4, 1, 1)),  # DCGAN's first layer: a 1x1 latent
    (2, 3, (3, 2), dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 2)), (2, 2, 4, 3)),
    (4, 6, 3, dict(groups=2, stride=2, padding=1, output_padding=1), (2, 4, 3, 4)),
    (3, 2, 3, dict(padding=1), (3, 5, 4)),  # unbatched (C, H, W)
    (2, 2, 2, dict(padding=3), (1, 2, 6, 7)),  # padding larger than the kernel: the output is cut inside
    (2, 3, 3, {}, (0, 2, 3, 3)),  # empty batch
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cin,cout,k,kwargs,shape", TRANSPOSE2D)
def test_conv_transpose2d_matches_torch(cin, cout, k, kwargs, shape, dtype):
    compare_module(nn.ConvTranspose2d(cin, cout, k, **kwargs), torch.nn.ConvTranspose2d(cin, cout, k, **kwargs),
                   [rng.standard_normal(shape)], dtype=dtype)


@pytest.mark.parametrize("cin,cout,k,kwargs,shape", [
    (3, 4, 3, {}, (2, 3, 6)),
    (4, 2, 4, dict(stride=3, padding=2, output_padding=2, dilation=2, groups=2), (2, 4, 5)),
    (2, 3, 3, dict(stride=2, bias=False), (2, 7)),  # unbatched (C, L)
])
def test_conv_transpose1d_matches_torch(cin, cout, k, kwargs, shape):
    compare_module(nn.ConvTranspose1d(cin, cout, k, **kwargs), torch.nn.ConvTranspose1d(cin, cout, k, **kwargs),
                   [rng.standard_normal(shape)], dtype="float64")


@pytest.mark.parametrize("cls,kwargs,shape", [
    ("ConvTranspose3d", dict(stride=2, padding=1, output_padding=1), (2, 2, 2, 3, 2)),
    ("ConvTranspose3d", dict(stride=(1, 2, 1), groups=2), (2, 3, 2, 3)),  # unbatched
    ("Conv3d", dict(padding=1, stride=(1, 2, 2)), (2, 2, 4, 5, 4)),
    ("Conv3d", dict(padding="same", dilation=(2, 1, 1), groups=2, bias=False), (2, 4, 3, 4)),  # unbatched
])
def test_3d_layers_match_torch(cls, kwargs, shape):
    compare_module(getattr(nn, cls)(2, 4, 3, **kwargs), getattr(torch.nn, cls)(2, 4, 3, **kwargs),
                   [rng.standard_normal(shape)], dtype="float64")


@pytest.mark.parametrize("chunk_bytes", [1, 3000])  # one image per chunk; uneven chunks of a few images
def test_conv_transpose2d_in_chunks_of_the_batch_matches_torch(chunk_bytes, monkeypatch):
    from backprop.ops import conv as conv_ops

    monkeypatch.setattr(conv_ops, "_CHUNK_BYTES", chunk_bytes)
    kwargs = dict(stride=2, padding=1, output_padding=1, groups=2)
    compare_module(nn.ConvTranspose2d(4, 6, 3, **kwargs), torch.nn.ConvTranspose2d(4, 6, 3, **kwargs),
                   [rng.standard_normal((5, 4, 3, 4))], dtype="float64")


def test_output_size_picks_the_output_padding():
    ours, theirs = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1), torch.nn.ConvTranspose2d(2, 3, 3, stride=2,
                                                                                              padding=1)
    x = rng.standard_normal((1, 2, 4, 5))
    for size in [(7, 9), (8, 10), (7, 10), (1, 3, 8, 9)]:  # (N, C) may lead
        compare_module(ours, theirs, [x], dtype="float64", forward=lambda m, t, s=size: m(t, output_size=s))
    assert ours(bp.zeros(2, 4, 5), output_size=[8, 9]).shape == (3, 8, 9)  # unbatched
    with pytest.raises(ValueError, match=r"requested an output size of \(9, 9\), but valid sizes range from "
                                         r"\[7, 9\] to \[8, 10\]"):
        ours(bp.zeros(1, 2, 4, 5), output_size=(9, 9))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        ours(bp.zeros(1, 2, 4, 5), output_size=(8,))


def test_functional_matches_torch_with_positional_arguments():
    # torch's order: (input, weight, bias, stride, padding, output_padding, groups, dilation)
    x, w, b = rng.standard_normal((2, 4, 3, 3)), rng.standard_normal((4, 3, 2, 3)), rng.standard_normal(6)
    args = (2, 1, 1, 2, 2)
    ours = F.conv_transpose2d(bp.tensor(x), bp.tensor(w), bp.tensor(b), *args)
    theirs = torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), *args)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_is_the_input_gradient_of_the_convolution():
    """<conv(x, W), y> = <x, conv_transpose(y, W)> for any x, y: the two maps are each other's transpose."""
    w = bp.tensor(rng.standard_normal((3, 2, 3, 3)))
    x, y = bp.tensor(rng.standard_normal((2, 2, 7, 8))), bp.tensor(rng.standard_normal((2, 3, 4, 4)))
    conv = F.conv2d(x, w, stride=2, padding=1, dilation=1)
    back = F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=(0, 1))
    assert back.shape == x.shape
    assert abs((conv * y).sum().item() - (x * back).sum().item()) < 1e-9


@pytest.mark.parametrize("cls,args,groups", [(nn.ConvTranspose2d, (8, 6, 4), 2), (nn.ConvTranspose1d, (6, 4, 3), 1),
                                             (nn.ConvTranspose3d, (4, 6, 2), 2), (nn.Conv3d, (4, 6, 3), 2)])
def test_parameters_and_init_as_torch(cls, args, groups):
    ours, theirs = cls(*args, groups=groups), getattr(torch.nn, cls.__name__)(*args, groups=groups)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # kaiming_uniform_(a=sqrt(5)) over the weight's fan_in: weight.shape[1] * prod(kernel), i.e.
    # out_channels / groups for a transposed convolution (whose weight is (in, out / groups, *kernel))
    fan_in = theirs.weight.shape[1] * math.prod(ours.kernel_size)
    bound = 1 / math.sqrt(fan_in)
    for p in (ours.weight, ours.bias):
        values = p.detach().numpy()
        assert values.dtype == np.float32
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.5 * bound
    big = cls(16, 48, 3)  # the spread of U(-b, b): std b / sqrt(3), b from fan_in 48 * 9 (16 * 9 if not transposed)
    fan_in = big.weight.shape[1] * math.prod(big.kernel_size)
    std = big.weight.detach().numpy().std()
    assert abs(std - 1 / math.sqrt(fan_in) / math.sqrt(3)) < 0.05 * std


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1, output_padding=1),
                                    dict(padding=(1, 2), dilation=2, groups=2, bias=False, output_padding=1)])
def test_repr_as_torch(kwargs):
    assert repr(nn.ConvTranspose2d(4, 8, 3, **kwargs)) == repr(torch.nn.ConvTranspose2d(4, 8, 3, **kwargs))
    kwargs = {k: v[0] if isinstance(v, tuple) else v for k, v in kwargs.items()}
    assert repr(nn.ConvTranspose1d(4, 8, 3, **kwargs)) == repr(torch.nn.ConvTranspose1d(4, 8, 3, **kwargs))
    assert repr(nn.ConvTranspose3d(4, 8, 3, **kwargs)) == repr(torch.nn.ConvTranspose3d(4, 8, 3, **kwargs))
    assert repr(nn.Conv3d(4, 8, 3, padding=1)) == repr(torch.nn.Conv3d(4, 8, 3, padding=1))


def test_errors_are_one_clear_line():
    cases = [
        (lambda: F.conv_transpose2d(bp.zeros(1, 3, 4, 4), bp.zeros(2, 2, 3, 3)),
         RuntimeError, r"expects input with 2 channels, got input of shape \(1, 3, 4, 4\)"),
        (lambda: F.conv_transpose2d(bp.zeros(1, 2, 4, 4), bp.zeros(2, 2, 3, 3), output_padding=1),
         RuntimeError, "output_padding must be smaller than either stride or dilation"),
        (lambda: F.conv_transpose2d(bp.zeros(1, 2, 4, 4), bp.zeros(2, 2, 3, 3), padding=5),
         RuntimeError, r"gives an output of size \(-4, -4\), which is too small"),
        (lambda: F.conv_transpose2d(bp.zeros(2, 4), bp.zeros(2, 2, 3, 3)),
         RuntimeError, r"expected input of 4 dims \(N, C, \*spatial\) or 3 \(C, \*spatial\), got shape \(2, 4\)"),
        (lambda: F.conv_transpose1d(bp.zeros(1, 2, 4), bp.zeros(2, 2, 3), bp.zeros(3)),
         RuntimeError, r"expected a bias of shape \(2,\), got \(3,\)"),
        (lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
         ValueError, 'Only "zeros" padding mode is supported for ConvTranspose2d'),
        (lambda: nn.ConvTranspose2d(3, 2, 3)(bp.zeros(1, 2, 4, 4)),
         ValueError, r"ConvTranspose2d expects \(N, C, H, W\) with C=3, got \(1, 2, 4, 4\)"),
        (lambda: nn.Conv3d(2, 2, 3)(bp.zeros(1, 2, 4, 4)),
         ValueError, r"Conv3d expects \(N, C, D, H, W\) with C=2, got \(1, 2, 4, 4\)"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message) as info:
            call()
        assert "\n" not in str(info.value)


def test_dcgan_generator_shapes():
    net = nn.Sequential(nn.ConvTranspose2d(16, 8, 4, 1, 0, bias=False), nn.ConvTranspose2d(8, 4, 4, 2, 1, bias=False),
                        nn.ConvTranspose2d(4, 3, 4, 2, 1, bias=False))
    assert net(bp.zeros(2, 16, 1, 1)).shape == (2, 3, 16, 16)

"""Conv1d / Conv2d and F.conv1d / F.conv2d against torch."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import compare_module

rng = np.random.default_rng(0)

CONV2D = [
    # (in, out, kernel, kwargs, input shape)
    (3, 4, 3, {}, (2, 3, 7, 6)),
    (3, 4, 3, dict(padding=1), (2, 3, 6, 6)),
    (2, 3, (3, 2), dict(stride=(2, 1), padding=(1, 2)), (2, 2, 9, 7)),
    (2, 4, 3, dict(stride=2, dilation=2, padding=2, bias=False), (1, 2, 10, 9)),
    (4, 6, 3, dict(groups=2, padding=1), (2, 4, 5, 5)),
    (4, 4, 3, dict(groups=4), (2, 4, 5, 6)),  # depthwise
    (2, 3, 3, dict(padding="same", dilation=2), (2, 2, 7, 8)),
    (2, 3, (2, 4), dict(padding="same"), (2, 2, 5, 6)),  # even kernel: the extra pad goes on the right
    (2, 3, 3, dict(padding="valid"), (2, 2, 5, 5)),
    (3, 2, 3, dict(padding=1), (3, 6, 5)),  # unbatched (C, H, W)
    (2, 3, 3, dict(padding=1, padding_mode="reflect"), (2, 2, 5, 6)),
    (2, 3, 3, dict(padding=(1, 2), padding_mode="replicate"), (2, 2, 5, 6)),
    (2, 3, 3, dict(padding=1, padding_mode="circular", stride=2), (2, 2, 6, 5)),
    (2, 3, 1, {}, (0, 2, 4, 4)),  # empty batch
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cin,cout,k,kwargs,shape", CONV2D)
def test_conv2d_matches_torch(cin, cout, k, kwargs, shape, dtype):
    compare_module(nn.Conv2d(cin, cout, k, **kwargs), torch.nn.Conv2d(cin, cout, k, **kwargs),
                   [rng.standard_normal(shape)], dtype=dtype)


CONV1D = [
    (3, 4, 3, {}, (2, 3, 9)),
    (3, 4, 3, dict(stride=2, padding=1, dilation=2), (2, 3, 11)),
    (4, 6, 2, dict(groups=2, padding="same", bias=False), (2, 4, 7)),
    (3, 2, 3, dict(padding=1), (3, 8)),  # unbatched (C, L)
    (2, 2, 3, dict(padding=2, padding_mode="reflect"), (1, 2, 6)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cin,cout,k,kwargs,shape", CONV1D)
def test_conv1d_matches_torch(cin, cout, k, kwargs, shape, dtype):
    compare_module(nn.Conv1d(cin, cout, k, **kwargs), torch.nn.Conv1d(cin, cout, k, **kwargs),
                   [rng.standard_normal(shape)], dtype=dtype)


def test_functional_conv2d_matches_torch():
    x, w, b = rng.standard_normal((2, 4, 6, 7)), rng.standard_normal((6, 2, 2, 3)), rng.standard_normal(6)
    ours = F.conv2d(bp.tensor(x), bp.tensor(w), bp.tensor(b), stride=(1, 2), padding=(1, 0), dilation=(2, 1), groups=2)
    theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=(1, 2),
                                        padding=(1, 0), dilation=(2, 1), groups=2)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding="same"),
                                    dict(groups=2, stride=(2, 1), padding=(0, 1))])
def test_conv2d_gradcheck(kwargs):
    x = bp.tensor(rng.standard_normal((2, 4, 5, 5)), requires_grad=True)
    w = bp.tensor(rng.standard_normal((2, 4 // kwargs.get("groups", 1), 3, 2)), requires_grad=True)
    b = bp.tensor(rng.standard_normal(2), requires_grad=True)
    assert bp.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, **kwargs), (x, w, b))


def test_conv1d_gradcheck_unbatched():
    x = bp.tensor(rng.standard_normal((3, 7)), requires_grad=True)
    w = bp.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)
    assert bp.autograd.gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1), (x, w))


def test_only_the_needed_gradients():
    x = bp.tensor(rng.standard_normal((1, 2, 4, 4)))
    conv = nn.Conv2d(2, 3, 3)
    conv(x).sum().backward()
    assert x.grad is None and conv.weight.grad.shape == (3, 2, 3, 3) and conv.bias.grad.shape == (3,)
    y = bp.tensor(rng.standard_normal((1, 2, 4, 4)).astype("float32"), requires_grad=True)
    conv.requires_grad_(False)
    conv(y).sum().backward()
    assert y.grad.shape == (1, 2, 4, 4)


@pytest.mark.parametrize("cls,args", [(nn.Conv2d, (6, 16, 5)), (nn.Conv1d, (4, 8, 3)), (nn.Conv2d, (8, 4, (3, 2)))])
def test_parameters_and_init_as_torch(cls, args):
    ours, theirs = cls(*args, groups=2), getattr(torch.nn, cls.__name__)(*args, groups=2)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    fan_in = args[0] // 2 * math.prod(ours.kernel_size)
    bound = 1 / math.sqrt(fan_in)
    for p in (ours.weight, ours.bias):
        values = p.detach().numpy()
        assert values.dtype == np.float32
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.5 * bound
    big = cls(32, 32, 3)  # enough weights to check the spread: std of U(-b, b) is b / sqrt(3)
    std = big.weight.detach().numpy().std()
    assert abs(std - 1 / math.sqrt(32 * math.prod(big.kernel_size)) / math.sqrt(3)) < 0.05 * std


@pytest.mark.parametrize("kwargs", [dict(), dict(padding=1, dilation=2, groups=2, bias=False),
                                    dict(padding="same", padding_mode="reflect"), dict(padding="valid")])
def test_repr_as_torch(kwargs):
    assert repr(nn.Conv2d(4, 8, 3, **kwargs)) == repr(torch.nn.Conv2d(4, 8, 3, **kwargs))
    assert repr(nn.Conv1d(4, 8, 3, **kwargs)) == repr(torch.nn.Conv1d(4, 8, 3, **kwargs))


def test_float64_module():
    conv = nn.Conv2d(2, 3, 3).to(bp.float64)
    assert conv(bp.zeros(1, 2, 5, 5, dtype=bp.float64)).dtype == bp.float64


def test_wrong_channel_count():
    with pytest.raises(ValueError, match=r"Conv2d expects \(N, C, H, W\) with C=3, got \(1, 32, 32\)"):
        nn.Conv2d(3, 8, 3)(bp.zeros(1, 32, 32))
    with pytest.raises(ValueError, match=r"Conv2d expects \(N, C, H, W\) with C=3, got \(2, 32, 32\)"):
        nn.Conv2d(3, 8, 3)(bp.zeros(2, 32, 32))  # a (C, H, W) input with C=2
    with pytest.raises(ValueError, match=r"Conv1d expects \(N, C, L\) with C=2, got \(4, 3, 10\)"):
        nn.Conv1d(2, 8, 3)(bp.zeros(4, 3, 10))
    with pytest.raises(ValueError, match=r"expects input with 4 channels, got input of shape \(1, 3, 5, 5\)"):
        F.conv2d(bp.zeros(1, 3, 5, 5), bp.zeros(2, 2, 3, 3), groups=2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be an int, a tuple, 'valid' or 'same', got 'full'"):
        F.conv2d(bp.zeros(1, 1, 5, 5), bp.zeros(1, 1, 3, 3), padding="full")
    with pytest.raises(ValueError, match=r"divisible by groups \(2\)"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"smaller than the \(dilated\) kernel \(5, 5\)"):
        F.conv2d(bp.zeros(1, 1, 4, 4), bp.zeros(1, 1, 3, 3), dilation=2)
    with pytest.raises(ValueError, match="kernel_size must be an int or a tuple of 2 ints"):
        nn.Conv2d(1, 1, (3, 3, 3))
    with pytest.raises(ValueError, match=r"expected a bias of shape \(2,\), got \(3,\)"):
        F.conv2d(bp.zeros(1, 1, 4, 4), bp.zeros(2, 1, 3, 3), bp.zeros(3))
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")


def test_lenet_shapes():
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5))
    assert net(bp.zeros(4, 1, 28, 28)).shape == (4, 16, 24, 24)


@pytest.mark.parametrize("chunk_bytes", [1, 3000])  # one image per chunk; uneven chunks of a few images
@pytest.mark.parametrize("cin,cout,k,kwargs,shape", [CONV2D[2], CONV2D[4], CONV2D[9], (2, 3, 3, dict(padding=1), (5, 2, 6, 6))])
def test_conv2d_in_chunks_of_the_batch_matches_torch(cin, cout, k, kwargs, shape, chunk_bytes, monkeypatch):
    from backprop.ops import conv as conv_ops

    monkeypatch.setattr(conv_ops, "_CHUNK_BYTES", chunk_bytes)
    compare_module(nn.Conv2d(cin, cout, k, **kwargs), torch.nn.Conv2d(cin, cout, k, **kwargs),
                   [rng.standard_normal(shape)], dtype="float64")


def test_chunks_cover_the_batch_in_order():
    from backprop.ops.conv import _chunks

    assert _chunks(5, 1) == [slice(0, 5)]
    assert _chunks(7, (1 << 20) // 3) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    assert _chunks(0, 10) == []


def test_a_frozen_weight_keeps_no_columns_and_the_input_gradient_matches_torch():
    x64 = rng.standard_normal((3, 2, 6, 5))
    conv = nn.Conv2d(2, 4, 3, padding=1, stride=(2, 1)).double().requires_grad_(False)
    twin = torch.nn.Conv2d(2, 4, 3, padding=1, stride=(2, 1)).double().requires_grad_(False)
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in conv.state_dict().items()})
    x, tx = bp.tensor(x64, requires_grad=True), torch.tensor(x64, requires_grad=True)
    y, ty = conv(x), twin(tx)
    assert y.grad_fn.cols == []  # the columns serve dL/dW only
    g = rng.standard_normal(tuple(y.shape))
    y.backward(bp.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)

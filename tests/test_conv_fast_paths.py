"""The convolution and pooling forwards that keep no columns, against torch in every mode they run in.

ConvNd computes its output in one of three ways (src/backprop/ops/conv.py): the reference im2col path when the
weight needs a gradient (its columns are kept for dL/dW), and, when no dL/dW follows (under no_grad, or a frozen
weight with a backward to the input), ``_correlate_no_cols`` with "wide rows" (stride 1, C*K > O) or per-image
columns (otherwise). Average pooling whose windows tile the input (stride = kernel, no padding) sums them with
``_tile_sum``. Each case is compared with torch under no_grad, with the input's gradient only (frozen weight),
and with every gradient.
"""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop.ops import conv as conv_ops

CONV_CASES = [
    # (input shape, weight shape, keyword arguments); the comment names the no-cols layout it takes
    ((4, 1, 12, 12), (6, 1, 5, 5), dict(padding=2)),  # wide rows (LeNet's first layer)
    ((3, 6, 9, 9), (16, 6, 5, 5), dict()),  # wide rows, no padding (LeNet's second layer)
    ((2, 3, 8, 8), (32, 3, 3, 3), dict(padding=1)),  # per image: C*K = 27 <= O = 32
    ((2, 4, 9, 7), (6, 2, 3, 2), dict(padding=(1, 0), groups=2)),  # wide rows, groups, non-square
    ((2, 6, 9, 8), (12, 2, 1, 3), dict(padding=(0, 1), groups=3)),  # per image, groups
    ((2, 3, 11, 9), (4, 3, 3, 3), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))),  # per image: strided
    ((3, 5, 10, 7), (2, 5, 3, 2), dict(dilation=(2, 1), padding=(0, 1))),  # wide rows, dilated
    ((2, 3, 7, 6), (2, 3, 3, 2), dict(padding="same", dilation=2)),  # wide rows, odd 'same' padding
    ((1, 3, 6, 5), (4, 3, 2, 2), dict(stride=2)),  # batch 1, per image
    ((3, 6, 6), (5, 3, 3, 3), dict(padding=1)),  # unbatched
    ((2, 5, 12), (3, 5, 3), dict(padding=1)),  # conv1d, wide rows
    ((2, 2, 12), (8, 2, 3), dict(stride=3)),  # conv1d, per image
    ((2, 2, 5, 6, 4), (3, 2, 2, 3, 2), dict(padding=(1, 0, 1))),  # conv3d, wide rows
    ((1, 2, 4, 5, 4), (8, 2, 2, 2, 2), dict(stride=(1, 2, 1))),  # conv3d, per image
]
FUNCTIONS = {3: "conv1d", 4: "conv2d", 5: "conv3d"}


def _conv_pair(x_shape, w_shape, kwargs, dtype, seed, bias=True):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)]
    if bias:
        arrays.append(rng.standard_normal(w_shape[0]).astype(dtype))
    name = FUNCTIONS[len(w_shape)]
    return arrays, getattr(bp.nn.functional, name), getattr(torch.nn.functional, name)


def _tolerances(dtype):
    return dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", range(len(CONV_CASES)))
@pytest.mark.parametrize("mode", ["no_grad", "input_grad_only", "all_grads"])
def test_conv_forward_paths_match_torch(case, mode, dtype, monkeypatch):
    x_shape, w_shape, kwargs = CONV_CASES[case]
    calls = []
    no_cols = conv_ops._correlate_no_cols
    monkeypatch.setattr(conv_ops, "_correlate_no_cols", lambda *args, **kw: calls.append(1) or no_cols(*args, **kw))
    arrays, ours, theirs = _conv_pair(x_shape, w_shape, kwargs, dtype, seed=case, bias=case % 4 != 3)
    needs = {"no_grad": [], "input_grad_only": [0], "all_grads": list(range(len(arrays)))}[mode]
    ts = [torch.tensor(a, requires_grad=i in needs) for i, a in enumerate(arrays)]
    bs = [bp.tensor(a, requires_grad=i in needs) for i, a in enumerate(arrays)]
    expected = theirs(*ts, **kwargs)
    if mode == "no_grad":
        with bp.no_grad():
            got = ours(*bs, **kwargs)
        assert got.grad_fn is None
    else:
        got = ours(*bs, **kwargs)
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), **_tolerances(dtype))
    assert got.detach().numpy().flags.c_contiguous
    assert len(calls) == (0 if mode == "all_grads" else 1)  # the path under test was taken
    if needs:
        upstream = np.random.default_rng(100 + case).standard_normal(tuple(expected.shape)).astype(dtype)
        expected.backward(torch.tensor(upstream))
        got.backward(bp.tensor(upstream))
        for i in needs:
            np.testing.assert_allclose(bs[i].grad.numpy(), ts[i].grad.numpy(), **_tolerances(dtype),
                                       err_msg=f"gradient of argument {i}")


def test_both_no_cols_layouts_are_taken():
    """The cases above reach both layouts of ``_correlate_no_cols`` (the rule: stride 1 and C*K > O for wide rows)."""
    layouts = set()
    for x_shape, w_shape, kwargs in CONV_CASES:
        groups, stride = kwargs.get("groups", 1), kwargs.get("stride", 1)
        strided = any(s != 1 for s in (stride if isinstance(stride, tuple) else (stride,)))
        ck = w_shape[1] * groups * int(np.prod(w_shape[2:]))
        layouts.add("wide" if not strided and ck > w_shape[0] else "per image")
    assert layouts == {"wide", "per image"}


def test_conv_no_grad_on_a_non_contiguous_input_and_an_empty_batch():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 2, 9, 10))
    w = rng.standard_normal((4, 2, 3, 3))
    strided = x[:, :, ::2, 1:]  # a view with odd strides
    with bp.no_grad():
        got = bp.nn.functional.conv2d(bp.tensor(x)[:, :, ::2, 1:], bp.tensor(w), padding=1)
        empty = bp.nn.functional.conv2d(bp.zeros(0, 2, 9, 10, dtype=bp.float64), bp.tensor(w), padding=1)
    expected = torch.nn.functional.conv2d(torch.tensor(strided), torch.tensor(w), padding=1)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)
    assert tuple(empty.shape) == (0, 4, 9, 10)


def test_conv_layer_in_eval_under_no_grad_matches_training_forward():
    """A LeNet-like stack: the no_grad forward (no-cols paths) equals the forward that keeps columns, and torch's."""
    torch.manual_seed(0)
    twin = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.Tanh(), torch.nn.AvgPool2d(2),
                               torch.nn.Conv2d(6, 16, 5), torch.nn.Tanh(), torch.nn.AvgPool2d(2))
    ours = bp.nn.Sequential(bp.nn.Conv2d(1, 6, 5, padding=2), bp.nn.Tanh(), bp.nn.AvgPool2d(2),
                            bp.nn.Conv2d(6, 16, 5), bp.nn.Tanh(), bp.nn.AvgPool2d(2))
    ours.load_state_dict({k: bp.tensor(v.numpy()) for k, v in twin.state_dict().items()})
    x = np.random.default_rng(3).standard_normal((5, 1, 28, 28)).astype(np.float32)
    with bp.no_grad():
        inferred = ours(bp.tensor(x)).numpy()
    trained = ours(bp.tensor(x))
    assert trained.grad_fn is not None
    with torch.no_grad():
        expected = twin(torch.tensor(x)).numpy()
    np.testing.assert_allclose(inferred, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(trained.detach().numpy(), inferred, rtol=1e-5, atol=1e-6)


POOL_CASES = [
    # (input shape, avg_pool keyword arguments); the tiling ones take _tile_sum
    ((2, 3, 8, 8), dict(kernel_size=2)),  # tiles
    ((2, 3, 9, 7), dict(kernel_size=2)),  # tiles, the last row and column left out
    ((2, 3, 9, 12), dict(kernel_size=(3, 4))),  # tiles, non-square
    ((3, 10, 11), dict(kernel_size=(1, 3))),  # tiles, unbatched, a kernel of 1
    ((2, 3, 9, 7), dict(kernel_size=2, ceil_mode=True)),  # ceil_mode windows past the end: the offset loop
    ((2, 3, 9, 7), dict(kernel_size=2, ceil_mode=True, count_include_pad=False)),
    ((2, 3, 8, 8), dict(kernel_size=2, divisor_override=3)),  # tiles, the override divides
    ((2, 3, 8, 8), dict(kernel_size=3, stride=2, padding=1)),  # overlapping, padded: the offset loop
    ((2, 3, 8, 8), dict(kernel_size=2, padding=1, count_include_pad=False)),
    ((2, 3, 10, 9), dict(kernel_size=3, stride=2)),  # overlapping, no padding: one divisor for all
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", range(len(POOL_CASES)))
@pytest.mark.parametrize("grad", [False, True])
def test_avg_pool_paths_match_torch(case, grad, dtype):
    shape, kwargs = POOL_CASES[case]
    x = np.random.default_rng(case).standard_normal(shape).astype(dtype)
    tx, bx = torch.tensor(x, requires_grad=grad), bp.tensor(x, requires_grad=grad)
    expected = torch.nn.functional.avg_pool2d(tx, **kwargs)
    if grad:
        got = bp.nn.functional.avg_pool2d(bx, **kwargs)
    else:
        with bp.no_grad():
            got = bp.nn.functional.avg_pool2d(bx, **kwargs)
    assert tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), **_tolerances(dtype))
    assert not np.shares_memory(got.detach().numpy(), x)
    if grad:
        upstream = np.random.default_rng(50 + case).standard_normal(tuple(expected.shape)).astype(dtype)
        expected.backward(torch.tensor(upstream))
        got.backward(bp.tensor(upstream))
        np.testing.assert_allclose(bx.grad.numpy(), tx.grad.numpy(), **_tolerances(dtype))


@pytest.mark.parametrize("dims", [1, 3])
def test_avg_pool_1d_and_3d_tiles_match_torch(dims):
    shape = (2, 3, 9) if dims == 1 else (2, 3, 5, 6, 7)
    x = np.random.default_rng(dims).standard_normal(shape)
    name = f"avg_pool{dims}d"
    tx, bx = torch.tensor(x, requires_grad=True), bp.tensor(x, requires_grad=True)
    expected = getattr(torch.nn.functional, name)(tx, 2)
    got = getattr(bp.nn.functional, name)(bx, 2)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    expected.sum().backward()
    got.sum().backward()
    np.testing.assert_allclose(bx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_tile_sum_is_the_sum_over_each_window():
    """``_tile_sum`` against a direct sum over the windows of a small array (no torch involved)."""
    from backprop.ops.pooling import _tile_sum

    x = np.arange(2 * 7 * 8, dtype=np.float64).reshape(2, 7, 8) ** 1.5
    got = _tile_sum(np, x, (3, 2), (2, 4))
    expected = np.array([[[x[c, 3 * i:3 * i + 3, 2 * j:2 * j + 2].sum() for j in range(4)] for i in range(2)]
                         for c in range(2)])
    np.testing.assert_allclose(got, expected, rtol=1e-12)

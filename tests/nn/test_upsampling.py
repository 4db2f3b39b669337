"""Upsample / UpsamplingNearest2d / UpsamplingBilinear2d, PixelShuffle / PixelUnshuffle and Unfold / Fold
against their torch twins: values and input gradients, repr, torch's coordinate conventions, errors."""
import warnings

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.nn import functional as F

from .twin import compare_module

rng = np.random.default_rng(0)

UPSAMPLE = [
    (dict(scale_factor=2), (2, 3, 4)),
    (dict(scale_factor=2, mode="nearest"), (2, 3, 4, 5)),
    (dict(size=(7, 3)), (1, 2, 4, 5)),
    (dict(scale_factor=1.5, mode="nearest-exact"), (1, 2, 5, 4)),
    (dict(scale_factor=2, mode="linear"), (2, 3, 5)),
    (dict(scale_factor=2, mode="bilinear"), (2, 3, 4, 5)),
    (dict(size=(9, 6), mode="bilinear", align_corners=True), (1, 2, 4, 5)),
    (dict(scale_factor=(1.7, 0.6), mode="bilinear"), (1, 2, 5, 6)),
    (dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), (1, 2, 5, 6)),
    (dict(scale_factor=3, mode="bicubic"), (1, 2, 4, 3)),
    (dict(size=(6, 5), mode="bicubic", align_corners=True), (1, 2, 4, 3)),
    (dict(scale_factor=2, mode="trilinear"), (1, 2, 2, 3, 2)),
    (dict(size=(3, 2, 5)), (1, 2, 2, 3, 2)),
    (dict(size=(2, 3), mode="area"), (1, 2, 5, 7)),
]


@pytest.mark.parametrize("kwargs,shape", UPSAMPLE)
def test_upsample_matches_torch(kwargs, shape):
    for dtype in ("float32", "float64"):
        compare_module(nn.Upsample(**kwargs), torch.nn.Upsample(**kwargs), [rng.standard_normal(shape)], dtype=dtype)


def test_upsampling_2d_modules_match_torch():
    x = rng.standard_normal((2, 3, 4, 5))
    compare_module(nn.UpsamplingNearest2d(scale_factor=2), torch.nn.UpsamplingNearest2d(scale_factor=2), [x])
    compare_module(nn.UpsamplingBilinear2d(size=(7, 9)), torch.nn.UpsamplingBilinear2d(size=(7, 9)), [x])


def test_coordinate_conventions_by_hand():
    x = bp.tensor([[[0.0, 10.0, 20.0]]])
    # nearest: i = floor(j * 3 / 5)
    assert F.interpolate(x, size=5).tolist() == [[[0.0, 0.0, 10.0, 10.0, 20.0]]]
    # linear, half-pixel centres: u = (j + 1/2) * 3 / 6 - 1/2, clamped at 0
    assert F.interpolate(x, scale_factor=2, mode="linear").tolist() == [[[0.0, 2.5, 7.5, 12.5, 17.5, 20.0]]]
    # align_corners: u = j * (3 - 1) / (5 - 1)
    assert F.interpolate(x, size=5, mode="linear", align_corners=True).tolist() == [[[0.0, 5.0, 10.0, 15.0, 20.0]]]
    # bicubic, align_corners: u = j (5 - 1) / (9 - 1) = j / 2; a tap at distance 1/2 weighs
    # ((A + 2) / 2 - (A + 3)) / 4 + 1 = 0.59375 and one at 3/2 weighs -0.09375 (A = -0.75)
    delta = bp.tensor([[[[0.0, 0.0, 1.0, 0.0, 0.0]]]])
    y = F.interpolate(delta, size=(1, 9), mode="bicubic", align_corners=True)
    assert y.flatten().tolist() == [0.0, -0.09375, 0.0, 0.59375, 1.0, 0.59375, 0.0, -0.09375, 0.0]


def test_upsample_repr_as_torch():
    for kwargs in [dict(scale_factor=2), dict(size=(3, 4), mode="bilinear"), dict(scale_factor=(2, 3), mode="bicubic")]:
        assert repr(nn.Upsample(**kwargs)) == repr(torch.nn.Upsample(**kwargs))
    assert repr(nn.UpsamplingBilinear2d(scale_factor=2)) == repr(torch.nn.UpsamplingBilinear2d(scale_factor=2))


def test_interpolate_errors():
    x4 = bp.zeros(1, 1, 4, 4)
    cases = [
        (lambda: F.interpolate(x4, scale_factor=2, mode="linear"), NotImplementedError,
         "Got 4D input, but linear mode needs 3D input"),
        (lambda: F.interpolate(x4, scale_factor=2, align_corners=True), ValueError,
         "align_corners option can only be set with the interpolating modes"),
        (lambda: F.interpolate(x4, size=3, scale_factor=2), ValueError, "only one of size or scale_factor"),
        (lambda: F.interpolate(x4), ValueError, "either size or scale_factor should be defined"),
        (lambda: F.interpolate(x4, size=(3,)), ValueError,
         r"spatial dimensions of \[4, 4\] and output size of \[3\]"),
        (lambda: F.interpolate(x4, scale_factor=2, mode="cubic"), NotImplementedError, "mode must be one of"),
        (lambda: F.interpolate(bp.zeros(4, 4), scale_factor=2), ValueError, r"got shape \(4, 4\)"),
        (lambda: F.interpolate(x4, size=3, recompute_scale_factor=True), ValueError,
         "recompute_scale_factor is not meaningful with an explicit size"),
        (lambda: F.interpolate(x4, scale_factor=0.2), RuntimeError, r"got input \(4, 4\) and output \(0, 0\)"),
        (lambda: F.interpolate(bp.zeros(1, 1, 3, dtype=bp.int64), scale_factor=2, mode="linear"),
         NotImplementedError, "needs a floating point input, got"),
        (lambda: F.interpolate(x4, size=2, mode="nearest", antialias=True), ValueError,
         "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes"),
        (lambda: F.interpolate(x4, size=2, mode="lanczos"), ValueError, "Lanczos mode requires antialias=True"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message) as info:
            call()
        assert "\n" not in str(info.value)


def test_deprecated_aliases_warn_and_match_interpolate():
    x = bp.tensor(rng.standard_normal((1, 2, 3, 4)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        up = F.upsample(x, scale_factor=2, mode="bilinear")
        bilinear = F.upsample_bilinear(x, size=(5, 6))
        nearest = F.upsample_nearest(x, scale_factor=2)
    assert [str(w.message) for w in caught] == [
        f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead."
        for name in ("upsample", "upsample_bilinear", "upsample_nearest")]
    t = torch.tensor(x.numpy())
    np.testing.assert_allclose(up.numpy(), torch.nn.functional.interpolate(t, scale_factor=2, mode="bilinear"),
                               atol=1e-12)
    np.testing.assert_allclose(bilinear.numpy(), torch.nn.functional.interpolate(t, size=(5, 6), mode="bilinear",
                                                                                 align_corners=True), atol=1e-12)
    np.testing.assert_allclose(nearest.numpy(), torch.nn.functional.interpolate(t, scale_factor=2), atol=0)


@pytest.mark.parametrize("cls,factor,shape", [
    ("PixelShuffle", 2, (2, 8, 3, 4)), ("PixelShuffle", 3, (9, 2, 2)), ("PixelShuffle", 2, (2, 1, 4, 2, 3)),
    ("PixelUnshuffle", 2, (2, 3, 4, 6)), ("PixelUnshuffle", 3, (1, 6, 3)),
])
def test_pixel_shuffle_matches_torch(cls, factor, shape):
    ours, theirs = getattr(nn, cls)(factor), getattr(torch.nn, cls)(factor)
    compare_module(ours, theirs, [rng.standard_normal(shape)])
    assert repr(ours) == repr(theirs)


def test_pixel_unshuffle_inverts_pixel_shuffle():
    x = bp.tensor(rng.standard_normal((2, 12, 3, 5)))
    assert bp.equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2), x)


def test_pixel_shuffle_errors():
    with pytest.raises(RuntimeError, match=r"input.size\(-3\)=5 is not divisible by 4"):
        F.pixel_shuffle(bp.zeros(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match=r"height to be divisible by downscale_factor, but input.size\(-2\)=5"):
        F.pixel_unshuffle(bp.zeros(1, 1, 5, 4), 2)
    with pytest.raises(RuntimeError, match="expects input to have at least 3 dimensions"):
        F.pixel_shuffle(bp.zeros(4, 4), 2)


@pytest.mark.parametrize("kwargs,shape", [
    (dict(kernel_size=2), (2, 3, 4, 5)),
    (dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), (1, 2, 5, 6)),
    (dict(kernel_size=3, padding=1), (2, 4, 4)),  # unbatched
])
def test_unfold_matches_torch(kwargs, shape):
    ours, theirs = nn.Unfold(**kwargs), torch.nn.Unfold(**kwargs)
    compare_module(ours, theirs, [rng.standard_normal(shape)], dtype="float64")
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("kwargs,shape", [
    (dict(output_size=(4, 5), kernel_size=2), (2, 12, 12)),
    (dict(output_size=(5, 6), kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), (1, 12, 15)),
    (dict(output_size=4, kernel_size=3, padding=1), (18, 16)),  # unbatched
])
def test_fold_matches_torch(kwargs, shape):
    ours, theirs = nn.Fold(**kwargs), torch.nn.Fold(**kwargs)
    compare_module(ours, theirs, [rng.standard_normal(shape)], dtype="float64")
    assert repr(ours) == repr(theirs)


def test_fold_of_unfold_counts_the_windows_of_every_position():
    ones = bp.ones(1, 1, 3, 4)
    counts = F.fold(F.unfold(ones, 2), (3, 4), 2)
    assert counts.tolist() == [[[[1.0, 2.0, 2.0, 1.0], [2.0, 4.0, 4.0, 2.0], [1.0, 2.0, 2.0, 1.0]]]]


def test_fold_errors():
    with pytest.raises(RuntimeError, match=r"has 12 blocks, got input of shape \(12, 6\) \(6 blocks\)"):
        F.fold(bp.zeros(12, 6), (5, 5), (2, 3))
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(bp.zeros(1, 13, 6), (5, 4), (2, 3))
    with pytest.raises(RuntimeError, match=r"expected input of 4 dims \(N, C, H, W\) or 3"):
        F.unfold(bp.zeros(2, 5), 2)


@pytest.mark.parametrize("call,ndim", [
    (lambda lib, t: lib.nn.functional.interpolate(t, scale_factor=2, mode="bilinear"), 4),
    (lambda lib, t: lib.nn.functional.interpolate(t, scale_factor=2, mode="nearest-exact"), 3),
    (lambda lib, t: lib.nn.functional.interpolate(t, size=(2, 2, 2), mode="area"), 5),
    (lambda lib, t: lib.nn.functional.interpolate(t, size=(2, 3), mode="bicubic", antialias=True), 4),
    (lambda lib, t: lib.nn.functional.unfold(t, 2), 4),
    (lambda lib, t: lib.nn.functional.fold(t.reshape(1, 8, 4), (3, 3), 2), 4),
    (lambda lib, t: lib.nn.functional.conv_transpose2d(t, lib.ones(2, 1, 2, 2, dtype=t.dtype), stride=2), 4),
])
def test_node_names_as_torch(call, ndim):
    x = rng.standard_normal((1, 2) + (4,) * (ndim - 2))
    ours = call(bp, bp.tensor(x, requires_grad=True)).grad_fn.name()
    assert ours == call(torch, torch.tensor(x, requires_grad=True)).grad_fn.name()

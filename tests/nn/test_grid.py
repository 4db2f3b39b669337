"""Spatial transformer ops (F.affine_grid, F.grid_sample) and nn.AdaptiveAvgPool3d beyond the op registry
(tests/op_registry_grid.py): errors and warnings as torch's, a spatial-transformer-sized batch in float32,
and the module against its torch twin."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import backprop as bp
import backprop.nn.functional as F


def _pair(array, requires_grad=False):
    return bp.tensor(array, requires_grad=requires_grad), torch.tensor(array, requires_grad=requires_grad)


def _error(lib, call):
    with pytest.raises(Exception) as info:
        call(lib)
    return type(info.value), str(info.value)


def _same_error(call, length=40):
    (bp_type, bp_message), (torch_type, torch_message) = _error(bp, call), _error(torch, call)
    assert bp_type is torch_type, (bp_message, torch_message)
    assert bp_message[:length] == torch_message[:length], (bp_message, torch_message)


_x4 = np.zeros((1, 2, 3, 4), np.float32)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.grid_sample(lib.tensor(_x4), lib.zeros(1, 2, 2, 2), mode="linear"),
    lambda lib: lib.nn.functional.grid_sample(lib.tensor(_x4), lib.zeros(1, 2, 2, 2), padding_mode="wrap"),
    lambda lib: lib.nn.functional.grid_sample(lib.tensor(_x4), lib.zeros(1, 2, 2), align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(lib.tensor(_x4), lib.zeros(2, 2, 2, 2), align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(lib.tensor(_x4), lib.zeros(1, 2, 2, 3), align_corners=False),
    lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 1, 2, 2, 2), lib.zeros(1, 1, 1, 1, 3), mode="bicubic",
                                              align_corners=False),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 2, 3, dtype=lib.int64), (1, 1, 2, 2), align_corners=False),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 3, 4), (1, 1, 2, 2), align_corners=False),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), (1, 1, 2), align_corners=False),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), (1, 1, 0, 2), align_corners=False)])
def test_bad_arguments_raise_as_torch(call):
    _same_error(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.grid_sample(lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 1, 2)),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), (1, 1, 2, 2)),
    lambda lib: lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), (1, 1, 1, 2), align_corners=True)])
def test_warnings_as_torch(call):
    messages = []
    for lib in (bp, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(lib)
        messages.append([str(w.message) for w in caught if issubclass(w.category, UserWarning)])
    assert messages[0] == messages[1] and len(messages[0]) == 1


def test_identity_transform_reads_the_input_back():
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4)).astype(np.float32)
    theta = bp.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]] * 2)
    for align_corners in (False, True):
        grid = F.affine_grid(theta, (2, 3, 5, 4), align_corners=align_corners)
        y = F.grid_sample(bp.tensor(x), grid, align_corners=align_corners)
        np.testing.assert_allclose(y.numpy(), x, atol=1e-6)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_spatial_transformer_batch_as_torch(mode, dtype):
    """The STN tutorial's use: theta from a localisation net, a 28 x 28 batch warped, gradients to both."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2, 28, 28)).astype(dtype)
    theta = (np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]) + 0.2 * rng.standard_normal((4, 2, 3))).astype(dtype)
    weights = rng.standard_normal((4, 2, 28, 28)).astype(dtype)
    results = []
    for lib, functional in ((bp, F), (torch, TF)):
        xi, th = lib.tensor(x, requires_grad=True), lib.tensor(theta, requires_grad=True)
        grid = functional.affine_grid(th, (4, 2, 28, 28), align_corners=False)
        y = functional.grid_sample(xi, grid, mode=mode, padding_mode="zeros", align_corners=False)
        (y * lib.tensor(weights)).sum().backward()
        results.append([y.detach().numpy(), xi.grad.numpy(), th.grad.numpy()])
    tolerance = 1e-10 if dtype == "float64" else 1e-4
    for ours, theirs in zip(results[0][:2], results[1][:2]):
        np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance)
    # theta's gradient sums 2 * 28 * 28 terms of both signs (entries near 1e3 that cancel to 1e-1): in float32
    # the two summation orders differ by rounding of the terms' size, not of the result's
    scale = np.abs(results[1][2]).max()
    relative_to_scale = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=tolerance, atol=relative_to_scale * scale)


def test_adaptive_avg_pool3d_module_as_torch():
    rng = np.random.default_rng(2)
    for output_size, shape in [((2, None, 3), (2, 3, 5, 4, 7)), (1, (3, 4, 4, 4)), (3, (1, 2, 7, 5, 6))]:
        ours, theirs = bp.nn.AdaptiveAvgPool3d(output_size), torch.nn.AdaptiveAvgPool3d(output_size)
        assert repr(ours) == repr(theirs)
        xb, xt = _pair(rng.standard_normal(shape), requires_grad=True)
        yb, yt = ours(xb), theirs(xt)
        assert tuple(yb.shape) == tuple(yt.shape)
        np.testing.assert_allclose(yb.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
        (yb * yb).sum().backward()
        (yt * yt).sum().backward()
        np.testing.assert_allclose(xb.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert not isinstance(bp.nn.AdaptiveAvgPool3d(1), bp.nn.AdaptiveAvgPool2d)


def test_pdist_at_the_top_level_and_its_errors_as_torch():
    x = np.random.default_rng(3).standard_normal((5, 3))
    np.testing.assert_allclose(bp.pdist(bp.tensor(x), 1.5).numpy(), torch.pdist(torch.tensor(x), 1.5).numpy(),
                               rtol=1e-12)
    _same_error(lambda lib: lib.pdist(lib.zeros(2, 3, 4)))
    _same_error(lambda lib: lib.pdist(lib.zeros(3, 4), -1.0))


@pytest.mark.parametrize("input_shape,grid_shape,mode", [
    ((1, 2, 3, 3), (1, 0, 2, 2), "bilinear"), ((0, 2, 3, 3), (0, 1, 2, 2), "bilinear"),
    ((1, 0, 3, 3), (1, 1, 2, 2), "bicubic"), ((0, 2, 3, 3, 2), (0, 1, 2, 2, 3), "nearest")])
def test_empty_batches_channels_and_grids_as_torch(input_shape, grid_shape, mode):
    shapes = [tuple(lib.nn.functional.grid_sample(lib.zeros(*input_shape), lib.zeros(*grid_shape), mode=mode,
                                                  align_corners=False).shape) for lib in (bp, torch)]
    assert shapes[0] == shapes[1]

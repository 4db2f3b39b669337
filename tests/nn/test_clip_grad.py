"""nn.utils gradient clipping and flat parameter vectors against torch 2.13: the returned total norm, the clipped
gradients for every norm type, non-finite norms, single tensors and generators, get_total_norm and
clip_grads_with_norm_, clip_grad_value_, parameters_to_vector / vector_to_parameters."""
import math

import numpy as np
import pytest
import torch

import backprop as bp

RNG = np.random.default_rng(0)
GRADS = [RNG.standard_normal(shape).astype("float32") for shape in [(3, 4), (5,), (2, 2, 2)]]


def _params(lib, grads=GRADS, dtype="float32"):
    params = []
    for g in grads:
        p = lib.nn.Parameter(lib.zeros(*g.shape, dtype=getattr(lib, dtype)))
        p.grad = lib.tensor(g.astype(dtype))
        params.append(p)
    return params


def _grads(params):
    return [p.grad.numpy() for p in params]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", -math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_norm_as_torch(norm_type, max_norm, dtype):
    ours, theirs = _params(bp, dtype=dtype), _params(torch, dtype=dtype)
    total = bp.nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.dtype == getattr(bp, dtype) and total.shape == ()
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-6)
    for a, b in zip(_grads(ours), _grads(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_a_single_tensor_a_generator_and_no_gradients():
    ours, theirs = _params(bp), _params(torch)
    np.testing.assert_allclose(bp.nn.utils.clip_grad_norm_(ours[0], 0.1).numpy(),
                               torch.nn.utils.clip_grad_norm_(theirs[0], 0.1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(bp.nn.utils.clip_grad_norm_(iter(ours), 0.1, foreach=True).numpy(),
                               torch.nn.utils.clip_grad_norm_(iter(theirs), 0.1, foreach=True).numpy(), rtol=1e-6)
    np.testing.assert_allclose(_grads(ours)[2], _grads(theirs)[2], rtol=1e-6)
    empty = bp.nn.utils.clip_grad_norm_([bp.nn.Parameter(bp.zeros(2))], 1.0)
    assert empty.item() == torch.nn.utils.clip_grad_norm_([torch.nn.Parameter(torch.zeros(2))], 1.0).item() == 0.0


def test_non_finite_norms_as_torch():
    bad = [g.copy() for g in GRADS]
    bad[1][0] = np.nan
    with pytest.raises(RuntimeError) as ours:
        bp.nn.utils.clip_grad_norm_(_params(bp, bad), 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.utils.clip_grad_norm_(_params(torch, bad), 1.0, error_if_nonfinite=True)
    assert str(ours.value) == str(theirs.value)
    ours, theirs = _params(bp, bad), _params(torch, bad)
    assert math.isnan(bp.nn.utils.clip_grad_norm_(ours, 1.0).item())
    torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    for a, b in zip(_grads(ours), _grads(theirs)):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))  # torch scales by the NaN norm: all NaN


def test_get_total_norm_and_clip_grads_with_norm_as_torch():
    ours, theirs = _params(bp), _params(torch)
    total = bp.nn.utils.get_total_norm([p.grad for p in ours], norm_type=3.0)
    expected = torch.nn.utils.get_total_norm([p.grad for p in theirs], norm_type=3.0)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-6)
    bp.nn.utils.clip_grads_with_norm_(ours, 0.3, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.3, expected)
    for a, b in zip(_grads(ours), _grads(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_clip_grad_value_as_torch():
    ours, theirs = _params(bp), _params(torch)
    assert bp.nn.utils.clip_grad_value_(ours, 0.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.5, foreach=False)
    for a, b in zip(_grads(ours), _grads(theirs)):
        np.testing.assert_array_equal(a, b)


def test_deprecated_clip_grad_norm_warns_as_torch():
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        bp.nn.utils.clip_grad_norm(_params(bp), 1.0)


def test_parameter_vectors_as_torch():
    ours, theirs = _params(bp), _params(torch)
    vector = bp.nn.utils.parameters_to_vector(ours)
    assert vector.shape == torch.nn.utils.parameters_to_vector(theirs).shape
    values = np.arange(vector.numel() + 3, dtype="float32")  # the extra elements are ignored, as in torch
    bp.nn.utils.vector_to_parameters(bp.tensor(values), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(values), theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    with pytest.raises(TypeError) as error:
        bp.nn.utils.vector_to_parameters([1.0], ours)
    with pytest.raises(TypeError) as expected:
        torch.nn.utils.vector_to_parameters([1.0], theirs)
    assert str(error.value) == str(expected.value)

"""Shared helpers of the distribution tests: the same parameters in backprop and torch, and comparisons."""
import numpy as np
import torch

import backprop as bp
import backprop.distributions as D

# |bp - torch| <= atol + rtol |torch|: the op registry's tolerances (tests/helpers.py), float64 a little wider
# for the results of matrix solves and long sums of special functions (different algorithms, same maths)
TOLERANCE = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-9, atol=1e-11)}


def both(array, dtype, grad=True):
    """The same values as a backprop and a torch tensor (requiring grad when floating and ``grad``)."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        array = array.astype(dtype)
    grad = grad and array.dtype.kind == "f"
    return (bp.tensor(array, requires_grad=grad), torch.tensor(array, requires_grad=grad))


def close(ours, theirs, dtype, what="", **override):
    """Assert that a backprop result equals torch's: shape, dtype and values (nan where torch has nan)."""
    theirs = theirs.detach() if isinstance(theirs, torch.Tensor) else torch.as_tensor(theirs)
    ours_array = ours.detach().numpy() if isinstance(ours, bp.Tensor) else np.asarray(ours)
    assert tuple(ours_array.shape) == tuple(theirs.shape), f"{what}: shape {ours_array.shape} vs {tuple(theirs.shape)}"
    assert str(ours_array.dtype) == str(theirs.dtype).replace("torch.", ""), f"{what}: dtype {ours_array.dtype} vs {theirs.dtype}"
    tolerance = dict(TOLERANCE.get(str(ours_array.dtype), dict(rtol=0, atol=0)), **override)
    np.testing.assert_allclose(ours_array, theirs.numpy(), equal_nan=True, err_msg=what, **tolerance)


def grads_close(bp_tensors, torch_tensors, dtype, what="", **override):
    for i, (b, t) in enumerate(zip(bp_tensors, torch_tensors)):
        if t.grad is None:
            assert b.grad is None or not np.any(b.grad.numpy()), f"{what}: gradient {i} should be None"
            continue
        assert b.grad is not None, f"{what}: no gradient for input {i}"
        close(b.grad, t.grad, dtype, f"{what}: gradient of input {i}", **override)


def family(lib):
    """backprop.distributions or torch.distributions."""
    return D if lib is bp else torch.distributions

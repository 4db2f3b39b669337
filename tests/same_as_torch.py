"""Running one scenario on torch and on backprop and comparing what it returns (the in-place, custom Function
and graph tests): a scenario is a function of ``lib`` (the torch or the backprop module) returning a list of
tensors, numbers, flags, names or nested lists of them."""
import numpy as np
import pytest
import torch

import backprop as bp


def plain(value):
    """Tensors of either library as NumPy arrays, inside lists and tuples too."""
    if isinstance(value, (torch.Tensor, bp.Tensor)):
        return np.array(value.detach().numpy())
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def _same(e, g, rtol, atol):
    if isinstance(e, np.ndarray):
        return (isinstance(g, np.ndarray) and e.shape == g.shape and e.dtype == g.dtype
                and np.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True))
    if isinstance(e, (list, tuple)):
        return isinstance(g, (list, tuple)) and len(e) == len(g) and all(_same(a, b, rtol, atol) for a, b in zip(e, g))
    return e == g


def run(lib, scenario):
    return [plain(v) for v in scenario(lib)]


def assert_same(scenario, rtol=1e-5, atol=1e-6):
    """The scenario gives the same results on torch and on backprop (arrays: same shape, dtype and values)."""
    expected, got = run(torch, scenario), run(bp, scenario)
    assert len(expected) == len(got), f"torch gives {len(expected)} results, backprop {len(got)}"
    for i, (e, g) in enumerate(zip(expected, got)):
        assert _same(e, g, rtol, atol), f"result {i}: torch {e!r}, backprop {g!r}"


def assert_both_raise(scenario, error=RuntimeError, match=None):
    """The scenario raises ``error`` (its message matching ``match``) on torch and on backprop."""
    for lib in (torch, bp):
        with pytest.raises(error, match=match):
            scenario(lib)

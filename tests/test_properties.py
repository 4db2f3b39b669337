"""Property tests: random shapes, broadcast pairs, dims and keepdim; values and gradients agree with torch.

Hypothesis draws the shapes and the arguments; the values come from a NumPy
generator seeded by hypothesis (cheaper than drawing every element), and
``helpers.compare`` builds the same tensors in both frameworks.
"""
from functools import partial

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import backprop as bp
from helpers import DISTINCT, POSITIVE, AwayFrom, T, compare

SETTINGS = settings(max_examples=25, deadline=None)
DTYPES = st.sampled_from(["float32", "float64"])
SEEDS = st.integers(0, 2**32 - 1)
PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3)

BINARY = {
    "add": (lambda lib, a, b: a + b, None),
    "sub": (lambda lib, a, b: a - b, None),
    "mul": (lambda lib, a, b: a * b, None),
    "div": (lambda lib, a, b: a / b, AwayFrom(0, margin=0.5)),
    "maximum": (lambda lib, a, b: lib.maximum(a, b), DISTINCT),
    "minimum": (lambda lib, a, b: lib.minimum(a, b), DISTINCT),
    "pow": (lambda lib, a, b: a ** b, None),  # positive base (below)
}


class _Shifted:
    """A domain shifted by a constant (to keep two DISTINCT operands apart)."""

    def __init__(self, domain, shift):
        self.domain, self.shift = domain, shift

    def sample(self, rng, shape, dtype):
        return np.asarray(self.domain.floats(rng, shape) + self.shift).astype(dtype)


def _run(fn, args, kwargs=None, **options):
    """``fn(lib, ...)`` with lib = backprop and lib = torch, compared by ``helpers.compare``."""
    compare(partial(fn, bp), partial(fn, torch), args, kwargs, **options)


@pytest.mark.parametrize("name", sorted(BINARY))
@SETTINGS
@given(shapes=PAIRS, dtype=DTYPES, seed=SEEDS)
def test_binary_broadcasting(name, shapes, dtype, seed):
    fn, domain = BINARY[name]
    a, b = shapes.input_shapes
    if name == "pow":
        args = (T(a, domain=POSITIVE), T(b))
    elif domain is DISTINCT:
        # ties only within one operand are harmless; across operands the DISTINCT values of
        # a and b are drawn apart by offsetting b by half the spacing
        args = (T(a, domain=DISTINCT), T(b, domain=_Shifted(DISTINCT, 0.1)))
    else:
        args = (T(a, domain=domain), T(b, domain=domain))
    _run(fn, args, dtype=dtype, seed=seed)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3), number=st.sampled_from([-2.5, -1, 0.5, 2, 3.0]),
       left=st.booleans(), dtype=DTYPES, seed=SEEDS)
def test_binary_with_python_number(name, shape, number, left, dtype, seed):
    fn, domain = BINARY[name]
    if name == "pow":
        domain = POSITIVE
        if left:
            number = abs(number)
    elif name == "div" and not left and number == 0:
        return
    args = (number, T(shape)) if left else (T(shape), number)
    _run(fn, args, dtype=dtype, domain=domain, seed=seed)


@st.composite
def _reduction_args(draw, allow_empty=True, allow_tuple=True, allow_none=True):
    shape = draw(array_shapes(min_dims=0, max_dims=4, min_side=0 if allow_empty else 1, max_side=3))
    ndim = len(shape)
    options = []
    if allow_none:
        options.append(st.none())
    if ndim:
        options.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            options.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
                           .map(lambda dims: tuple(d - ndim if i % 2 else d for i, d in enumerate(dims))))
    else:
        options.append(st.sampled_from([0, -1]))
    dim = draw(st.one_of(*options))
    keepdim = draw(st.booleans())
    return shape, dim, keepdim


def _kwargs(dim, keepdim):
    return {} if dim is None else {"dim": dim, "keepdim": keepdim}


@pytest.mark.parametrize("name", ["sum", "mean"])
@SETTINGS
@given(args=_reduction_args(), dtype=DTYPES, seed=SEEDS)
def test_sum_mean(name, args, dtype, seed):
    shape, dim, keepdim = args
    _run(lambda lib, x, **k: getattr(lib, name)(x, **k), (T(shape),), _kwargs(dim, keepdim), dtype=dtype, seed=seed)


@SETTINGS
@given(args=_reduction_args(allow_empty=False), correction=st.sampled_from([None, 0, 1, 2]), dtype=DTYPES, seed=SEEDS)
def test_var(args, correction, dtype, seed):
    shape, dim, keepdim = args
    kwargs = _kwargs(dim, keepdim)
    reduced = range(len(shape)) if dim is None else [d % max(len(shape), 1) for d in np.atleast_1d(dim)]
    n = int(np.prod([shape[d] for d in reduced if len(shape)], dtype=np.int64))
    # Only N - correction > 0, where the variance is finite: at 0 the gradient is inf * 0 or
    # +-inf (torch's signs there do not even follow x - mean), and below 0 torch's forward divides
    # by max(0, N - correction) but its backward by N - correction, so its gradient does not
    # belong to its values. test_ops covers N = 1 with correction 1 (nan in both).
    assume(n - (1 if correction is None else correction) > 0)
    if correction is not None:
        kwargs["correction"] = correction
    _run(lambda lib, x, **k: lib.var(x, **k), (T(shape),), kwargs, dtype=dtype, seed=seed)


@pytest.mark.parametrize("name", ["max", "min"])
@SETTINGS
@given(args=_reduction_args(allow_empty=False, allow_tuple=False), dtype=DTYPES, seed=SEEDS)
def test_max_min(name, args, dtype, seed):
    """max/min over everything, or over one dim (values and indices); DISTINCT values: no ties."""
    shape, dim, keepdim = args
    _run(lambda lib, x, **k: getattr(lib, name)(x, **k), (T(shape, domain=DISTINCT),), _kwargs(dim, keepdim),
         dtype=dtype, seed=seed)


@SETTINGS
@given(args=_reduction_args(allow_tuple=False), dtype=DTYPES, seed=SEEDS)
def test_prod(args, dtype, seed):
    shape, dim, keepdim = args
    _run(lambda lib, x, **k: lib.prod(x, **k), (T(shape),), _kwargs(dim, keepdim), dtype=dtype, seed=seed)


@SETTINGS
@given(args=_reduction_args(allow_none=False), dtype=DTYPES, seed=SEEDS)
def test_logsumexp(args, dtype, seed):
    shape, dim, keepdim = args
    _run(lambda lib, x, **k: lib.logsumexp(x, **k), (T(shape),), {"dim": dim, "keepdim": keepdim},
         dtype=dtype, seed=seed)

"""What the op registry cannot express for the pointwise ops: the errors torch raises (integer division by
zero, dtypes an op refuses, out= with gradients, the ops without a derivative), out='s identity and
resizing, in-place methods returning the tensor itself, Python bool results, erfinv against mpmath."""
import math
import warnings

import numpy as np
import pytest
import torch

import backprop as bp


def _same_error(call):
    """``call(lib)`` raises in torch, and in backprop an error of the same type."""
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(type(expected.value)):
        call(bp)


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor([5, 3]) // lib.tensor([2, 0]) if lib is torch else lib.floor_divide(lib.tensor([5, 3]), 0),
    lambda lib: lib.remainder(lib.tensor([5, 3]), lib.tensor([0, 1])),
    lambda lib: lib.fmod(lib.tensor([5]), 0),
    lambda lib: lib.div(lib.tensor([5]), 0, rounding_mode="trunc"),
    lambda lib: lib.div(lib.tensor([5.0]), 2, rounding_mode="round"),
    lambda lib: lib.remainder(lib.tensor([True]), lib.tensor([True])),
    lambda lib: lib.frac(lib.tensor([1, 2])),
    lambda lib: lib.round(lib.tensor([15, 25]), decimals=-1),
    lambda lib: lib.floor(lib.tensor([True])),
    lambda lib: lib.hypot(lib.tensor([3]), lib.tensor([4])),
    lambda lib: lib.logaddexp(lib.tensor([3]), lib.tensor([4])),
    lambda lib: lib.lerp(lib.tensor([1.0]), lib.tensor([2.0], dtype=lib.float64), 0.5),
    lambda lib: lib.lerp(lib.tensor([1, 2]), lib.tensor([3, 4]), 0.5),
    lambda lib: lib.heaviside(lib.tensor([1.0]), lib.tensor([0.5], dtype=lib.float64)),
    lambda lib: lib.bitwise_and(lib.tensor([1.0]), lib.tensor([1.0])),
    lambda lib: lib.bitwise_not(lib.tensor([1.0])),
    lambda lib: lib.bitwise_left_shift(lib.tensor([True]), lib.tensor([True])),
    lambda lib: lib.isclose(lib.tensor([1, 2]), lib.tensor([1.0, 2.0])),
    lambda lib: lib.isclose(lib.tensor([1.0]), lib.tensor([1.0]), rtol=-1.0),
    lambda lib: lib.positive(lib.tensor([True])),
    lambda lib: lib.tensor([1, 2]).sqrt_(),
    lambda lib: lib.tensor([True, False]).bitwise_and_(lib.tensor([3, 1])),
    lambda lib: lib.eq(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0])),
    lambda lib: lib.atan2(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0, 3.0])),
])
def test_errors_as_torch(call):
    _same_error(call)


@pytest.mark.parametrize("name", ["floor_divide", "heaviside"])
def test_ops_without_a_derivative_raise_in_backward(name):
    """torch records them but has no derivative: backward through them raises (floor_divide's message points
    to div(rounding_mode='floor'), whose gradient is zero)."""
    for lib in (torch, bp):
        x = lib.tensor([1.5, -2.0, 0.0], requires_grad=True)
        y = getattr(lib, name)(x, lib.tensor([0.5, 0.5, 0.5]))
        assert y.requires_grad
        with pytest.raises(RuntimeError):
            y.sum().backward()


def test_out_writes_into_the_given_tensor_and_returns_it():
    x = bp.tensor([[0.25, -1.5], [2.5, 3.0]])
    out = bp.empty(2, 2)
    assert bp.floor(x, out=out) is out
    np.testing.assert_array_equal(out.numpy(), np.floor(x.numpy()))
    version = out._version[0]
    bp.atan2(x, 2.0, out=out)
    assert out._version[0] > version  # a change of its values, as any in-place change
    np.testing.assert_allclose(out.numpy(), np.arctan2(x.numpy(), 2.0).astype(np.float32))
    ints = bp.empty(0, dtype=bp.int64)
    bp.bitwise_xor(bp.tensor([1, 2, 3]), 6, out=ints)  # an empty out takes the result's shape
    assert ints.tolist() == [7, 4, 5]


def test_out_of_another_shape_is_resized_with_torch_values():
    for lib in (torch, bp):
        out = lib.zeros(5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns that resizing a non-empty out is deprecated
            lib.sin(lib.tensor([0.5, 1.0]), out=out)
        assert tuple(out.shape) == (2,)


def test_out_refuses_gradients_and_narrowing_casts():
    x = bp.tensor([0.5, 1.5], requires_grad=True)
    for lib, t in ((torch, torch.tensor([0.5, 1.5], requires_grad=True)), (bp, x)):
        with pytest.raises(RuntimeError, match="out="):
            lib.erf(t, out=lib.empty(2))
        with pytest.raises(RuntimeError):
            lib.sin(t.detach(), out=lib.empty(2, dtype=lib.int64))  # a float result into an int64 out
    with bp.no_grad():
        assert bp.erf(x, out=bp.empty(2)).requires_grad is False


def test_inplace_methods_return_the_tensor_itself():
    x = bp.tensor([0.5, -1.5, 2.5])
    assert x.round_() is x and x.tolist() == [0.0, -2.0, 2.0]
    b = bp.tensor([1.0, 0.0, 2.0])
    assert b.eq_(bp.tensor([1.0, 1.0, 2.0])) is b and b.dtype == bp.float32 and b.tolist() == [1.0, 0.0, 1.0]
    i = bp.tensor([12, 5])
    assert i.bitwise_right_shift_(2) is i and i.tolist() == [3, 1]


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    x = bp.tensor([0.5, 1.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.erfinv_()


def test_allclose_and_equal_give_python_bools():
    a = bp.tensor([1.0, 2.0])
    assert bp.allclose(a, a + 1e-9) is True
    assert bp.allclose(a, a + 1e-3) is False
    assert a.allclose(a) is True
    assert bp.equal(a, bp.tensor([1, 2])) is True
    assert bp.equal(a, bp.tensor([[1.0, 2.0]])) is False
    assert a.equal(bp.tensor([1.0, 2.5])) is False


def test_bitwise_functions_take_a_number_on_either_side():
    t = bp.tensor([1, 2, 12])
    for name in ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift",
                 "floor_divide", "remainder"]:
        for a, b in ((t, 5), (5, t)):
            args = (torch.tensor(v.tolist()) if isinstance(v, bp.Tensor) else v for v in (a, b))
            expected = getattr(torch, name)(*args)
            assert getattr(bp, name)(a, b).tolist() == expected.tolist(), (name, a, b)


def test_erfinv_is_accurate_to_float64_round_off():
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-1, 1, 200), 1 - 10.0 ** -rng.uniform(1, 16, 100),
                        10.0 ** -rng.uniform(1, 300, 20)])
    with mpmath.workdps(40):
        exact = np.array([float(mpmath.erfinv(mpmath.mpf(float(v)))) for v in x])
    ulps = np.abs(bp.erfinv(bp.tensor(x)).numpy() - exact) / np.spacing(np.abs(exact))
    assert ulps.max() <= 8


def test_sign_is_zero_at_nan_as_torch():
    values = [math.nan, -0.0, math.inf, -2.0]
    assert bp.sign(bp.tensor(values)).tolist() == torch.sign(torch.tensor(values)).tolist()

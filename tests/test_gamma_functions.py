"""lgamma, digamma and polygamma against mpmath (50 digits) where torch's own values are not accurate enough
to serve as the oracle (its trigamma, see tests/op_registry_special_more.py), and their errors as torch's."""
import mpmath
import numpy as np
import pytest

import backprop as bp

_X = [1e-8, 0.1, 0.5, 0.999, 1.0, 1.5, 2.0, 3.7, 6.2, 9.99, 10.0, 25.0, 1e3, -0.5, -1.7, -4.2, -9.9]


@pytest.mark.parametrize("name,reference", [
    ("lgamma", lambda x: mpmath.log(abs(mpmath.gamma(x)))),
    ("digamma", lambda x: mpmath.digamma(x)),
    ("trigamma", lambda x: mpmath.polygamma(1, x)),
    ("tetragamma", lambda x: mpmath.polygamma(2, x)),
    ("polygamma5", lambda x: mpmath.polygamma(5, x)),
])
def test_against_mpmath(name, reference):
    mpmath.mp.dps = 50
    x = bp.tensor(_X, dtype=bp.float64)
    ours = {"lgamma": bp.lgamma, "digamma": bp.digamma, "trigamma": lambda t: bp.polygamma(1, t),
            "tetragamma": lambda t: bp.polygamma(2, t), "polygamma5": lambda t: bp.polygamma(5, t)}[name](x)
    expected = np.array([float(reference(mpmath.mpf(v))) for v in _X])
    np.testing.assert_allclose(ours.numpy(), expected, rtol=2e-14, atol=1e-14)


def test_float32_inputs_stay_float32():
    assert bp.lgamma(bp.tensor([2.5])).dtype == bp.float32
    assert bp.polygamma(1, bp.tensor([2], dtype=bp.int64)).dtype == bp.float32


def test_polygamma_rejects_a_negative_order():
    with pytest.raises(RuntimeError, match="negative n"):
        bp.polygamma(-1, bp.tensor([1.0]))


def test_mvlgamma_domain_error():
    with pytest.raises(RuntimeError, match=r"All elements must be greater than \(p-1\)/2"):
        bp.mvlgamma(bp.tensor([0.4]), 2)

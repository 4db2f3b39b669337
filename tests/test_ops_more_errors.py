"""Bad calls of the ops of tests/op_registry_more.py: refused by backprop with the exception type torch raises
(or a subclass of it)."""
import pytest
import torch

import backprop as bp

BAD_CALLS = {
    "gcd of floats": lambda L: L.gcd(L.tensor([1.0]), L.tensor([2.0])),
    "lcm of bools": lambda L: L.lcm(L.tensor([True]), L.tensor([True])),
    "nextafter of integers": lambda L: L.nextafter(L.tensor([1]), L.tensor([2])),
    "frexp of integers": lambda L: L.frexp(L.tensor([1])),
    "diff of a 0-d tensor": lambda L: L.diff(L.tensor(1.0)),
    "diff with prepend of other dims": lambda L: L.diff(L.ones(2, 3), prepend=L.ones(3)),
    "diff with prepend of another shape": lambda L: L.diff(L.ones(2, 3), prepend=L.ones(3, 1)),
    "addcdiv of integers": lambda L: L.addcdiv(L.tensor([1]), L.tensor([1]), L.tensor([2])),
    "renorm of a 1-d tensor": lambda L: L.renorm(L.tensor([1.0, 2.0]), 2, 0, 1.0),
    "renorm with a negative maxnorm": lambda L: L.renorm(L.ones(2, 2), 2, 0, -1.0),
    "renorm with p = 0": lambda L: L.renorm(L.ones(2, 2), 0, 0, 1.0),
    "vander of a matrix": lambda L: L.vander(L.ones(2, 2)),
    "combinations of a matrix": lambda L: L.combinations(L.ones(2, 2)),
    "cartesian_prod of a matrix": lambda L: L.cartesian_prod(L.ones(2, 2), L.ones(2)),
    "cartesian_prod of two dtypes": lambda L: L.cartesian_prod(L.tensor([1, 2]), L.tensor([0.5])),
    "block_diag of a 3-d tensor": lambda L: L.block_diag(L.ones(2, 2, 2)),
    "histogram of integers": lambda L: L.histogram(L.tensor([1, 2]), 2),
    "histogram with a reversed range": lambda L: L.histogram(L.ones(3), 2, range=(2.0, 1.0)),
    "histogram of nan without a range": lambda L: L.histogram(L.tensor([1.0, float("nan")]), 2),
    "unravel_index of floats": lambda L: L.unravel_index(L.tensor([1.0]), (2, 3)),
    "unravel_index with a negative size": lambda L: L.unravel_index(L.tensor([0]), (2, -1)),
    "trapezoid of a 0-d tensor": lambda L: L.trapezoid(L.tensor(1.0)),
    "isin of two numbers": lambda L: L.isin(1, 2),
    "isin of bools": lambda L: L.isin(L.tensor([1, 0]), L.tensor([True])),
    "ldexp_ of an integer tensor": lambda L: L.tensor([1]).ldexp_(L.tensor([1])),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_refused_as_torch_refuses(name):
    call = BAD_CALLS[name]
    with pytest.raises(Exception) as expected:
        call(torch)
    with pytest.raises(Exception) as actual:
        call(bp)
    assert isinstance(actual.value, type(expected.value)), f"{name}: {actual.value!r}, torch: {expected.value!r}"
    assert str(actual.value), name

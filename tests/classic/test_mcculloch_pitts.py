"""McCulloch-Pitts units and networks on their truth tables."""
import itertools

import numpy as np
import pytest

import backprop as bp
from backprop.classic import (
    McCullochPitts, McCullochPittsNetwork, and_unit, not_unit, or_unit, parity_network, xor_network,
)


def bits(n):
    return [list(row) for row in itertools.product([0, 1], repeat=n)]


def test_and_or_not_truth_tables():
    pairs = bits(2)
    assert and_unit()(pairs).tolist() == [0, 0, 0, 1]
    assert or_unit()(pairs).tolist() == [0, 1, 1, 1]
    assert not_unit()([[0], [1]]).tolist() == [1, 0]
    assert and_unit(3)(bits(3)).tolist() == [float(all(r)) for r in bits(3)]
    assert or_unit(3)(bits(3)).tolist() == [float(any(r)) for r in bits(3)]


def test_threshold_is_inclusive_and_output_is_float_bits():
    unit = McCullochPitts([2.0, -1.0], 1)  # fires iff 2 x1 - x2 >= 1
    out = unit(bits(2))
    assert out.dtype == bp.float32 and out.tolist() == [0, 0, 1, 1]
    assert unit([1, 1]).shape == () and unit([1, 1]).item() == 1.0


def test_one_unit_cannot_compute_xor():
    # every unit with small integer weights and threshold misses at least one of XOR's four rows
    xor = [0, 1, 1, 0]
    for w1, w2, theta in itertools.product(range(-3, 4), repeat=3):
        assert McCullochPitts([w1, w2], theta)(bits(2)).tolist() != xor


def test_xor_network():
    net = xor_network()
    assert net(bits(2)).tolist() == [0, 1, 1, 0]
    assert (net.n_units, net.depth) == (3, 2)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_parity_networks_on_every_input(n):
    rows = bits(n)
    expected = [float(sum(r) % 2) for r in rows]
    deep, shallow = parity_network(n), parity_network(n, shallow=True)
    assert deep(rows).tolist() == expected
    assert shallow(rows).tolist() == expected
    if n > 1:
        assert (deep.n_units, deep.depth) == (3 * (n - 1), 2 * (n - 1))
        assert (shallow.n_units, shallow.depth) == (2 ** (n - 1) + 1, 2)


def test_inputs_as_tensor_numpy_bool_and_one_example():
    net = parity_network(3)
    x = np.array([[True, False, True], [True, True, True]])
    assert net(x).tolist() == [0, 1]
    assert net(bp.tensor([[1, 0, 0]])).tolist() == [1]
    assert net([0, 1, 1]).shape == ()


def test_a_network_wired_by_hand():
    net = McCullochPittsNetwork(2)
    either = net.add(or_unit(), [0, 1])
    assert either == 2
    net.add(not_unit(), [either])  # NOR
    assert net(bits(2)).tolist() == [1, 0, 0, 0]
    assert [k for k in net.state_dict()] == ["units.0.weight", "units.0.threshold", "units.1.weight",
                                             "units.1.threshold"]


def test_errors():
    with pytest.raises(ValueError, match=r"0/1 inputs, got values \[0.5\]"):
        and_unit()([0.5, 1])
    with pytest.raises(ValueError, match=r"0/1 inputs, got values \[-1.0, 2.0\]"):
        parity_network(2)([[2, -1]])
    with pytest.raises(ValueError, match=r"inputs of shape \(2,\) or \(N, 2\), got shape \(1, 3\)"):
        and_unit()([[0, 1, 1]])
    with pytest.raises(ValueError, match="1-D list of weights"):
        McCullochPitts([[1, 1]], 1)
    with pytest.raises(ValueError, match="one number as threshold"):
        McCullochPitts([1, 1], [1, 2])
    net = McCullochPittsNetwork(2)
    with pytest.raises(RuntimeError, match="no units"):
        net([0, 1])
    with pytest.raises(ValueError, match="needs 2 inputs"):
        net.add(and_unit(), [0])
    with pytest.raises(ValueError, match=r"existing signals 0..1, got \[0, 2\]"):
        net.add(and_unit(), [0, 2])
    with pytest.raises(ValueError, match="positive number of bits"):
        parity_network(0)

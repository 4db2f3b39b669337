"""Parity experiment: the -1/+1 patterns, the XOR chain, the three circuits, the shallow width search."""
import itertools

import numpy
import pytest

import backprop as bp
from backprop.experiments import parity


def test_patterns_are_all_inputs_with_their_parity():
    x, t = parity.patterns(3)
    x, t = x.numpy(), t.numpy()[:, 0]
    assert sorted(map(tuple, x.tolist())) == sorted(itertools.product([-1.0, 1.0], repeat=3))
    assert (t == numpy.where((x > 0).sum(axis=1) % 2 == 1, 1.0, -1.0)).all()


def _hand_xor(chain, k=5.0):
    """XOR in -1/+1 coding: h1 = [p and x], h2 = [not p and not x], y = [neither] = tanh(k (-h1 - h2 - 1))."""
    first, _, second, _ = chain.xor
    first.weight.data[...] = [[k, k], [-k, -k]]
    first.bias.data[...] = [-k, -k]
    second.weight.data[...] = [[-k, -k]]
    second.bias.data[...] = [-k]


def test_chain_of_one_hand_set_xor_module_computes_parity_for_any_d():
    chain = parity.XorChain()
    _hand_xor(chain)
    for d in (2, 3, 6, 9):
        x, t = parity.patterns(d)
        assert parity.accuracy(chain, x, t) == 1.0
        assert chain.units(d) == 3 * (d - 1)
    assert sum(p.numel() for p in chain.parameters()) == 9  # shared: the same 9 weights for every d


def test_chain_rejects_fewer_than_two_bits():
    with pytest.raises(ValueError, match=r"shape \(N, d\) with d >= 2, got \(4, 1\)"):
        parity.XorChain()(bp.zeros(4, 1))


@pytest.mark.parametrize("d", [1, 2, 3, 4, 6])
def test_counting_circuit_computes_parity_with_d_plus_1_units(d):
    bits, t = bp.data.parity(d).tensors
    net = parity.counting_network(d)
    assert net.n_units == d + 1 and net.depth == 2
    assert (net(bits).numpy() == t.numpy()[:, 0]).all()


def test_constructions_count_units_by_hand():
    circuits = parity.constructions(4)
    assert circuits["deep XOR chain"] == (9, 6, True)         # 3 XORs of 3 units, two layers each
    assert circuits["shallow AND-OR"] == (2 ** 3 + 1, 2, True)  # 8 odd patterns and an OR
    assert circuits["shallow counting"] == (5, 2, True)


def test_one_hidden_unit_cannot_learn_xor():
    # tanh(v tanh(w.x + b) + c) is monotone along w.x, and no direction separates XOR
    width, accuracy, index = parity.smallest_width(2, steps=400, restarts=2, seed=0)
    assert width is not None and width >= 2 and accuracy == 1.0 and parity.WIDTHS[index] == width


def test_learnt_chain_reaches_every_pattern_from_xor():
    rows, chain = parity.learn_deep([2, 3, 4], steps=600, restarts=3, seed=0)
    assert rows[2][0] is None and all(rows[d][1] == 1.0 for d in (2, 3, 4))
    x, t = parity.patterns(4)
    assert parity.accuracy(chain, x, t) == 1.0

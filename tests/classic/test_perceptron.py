"""Rosenblatt's perceptron: the rule by hand, Novikoff's bound, XOR, and the Mark I's random layer."""
import itertools

import numpy as np
import pytest

import backprop as bp
from backprop.classic import MarkI, Perceptron, mistake_bound

XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]]
XOR_T = [0, 1, 1, 0]


def separable(seed, n=60, gap=0.1):
    """Points of [-1, 1]^2 labelled by a random line w*^T x + b* > 0, those closer than ``gap`` to it dropped."""
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal(2), rng.uniform(-0.3, 0.3)
    x = rng.uniform(-1, 1, (4 * n, 2))
    score = (x @ w + b) / np.linalg.norm(w)
    keep = np.abs(score) > gap
    return x[keep][:n].astype(np.float32), (score[keep][:n] > 0).astype(np.float32), w, b


def test_the_rule_by_hand():
    p = Perceptron(2, lr=0.5)
    assert p.fit([[1.0, 2.0]], [1], epochs=1) == [1]  # y = step(0) = 0, t = 1: w += 0.5 (1 - 0) x
    assert p.weight.tolist() == [0.5, 1.0] and p.bias.item() == 0.5
    p.fit([[1.0, 1.0]], [0], epochs=1)  # y = step(2) = 1, t = 0: w -= 0.5 x
    assert p.weight.tolist() == [0.0, 0.5] and p.bias.item() == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_converges_on_separable_data_within_novikoffs_bound(seed):
    x, t, w, b = separable(seed)
    p = Perceptron(2)
    errors = p.fit(x, t, epochs=1000)
    assert p.converged and errors[-1] == 0
    assert sum(errors) == p.mistakes <= mistake_bound(x, t, w, b)
    assert (p.predict(x).numpy() == t).all()


def test_from_zero_the_mistakes_do_not_depend_on_the_learning_rate():
    x, t, _, _ = separable(7)
    slow, fast = Perceptron(2, lr=0.01), Perceptron(2, lr=10.0)
    assert slow.fit(x, t) == fast.fit(x, t)


def test_learns_and_or_but_not_xor():
    assert Perceptron(2).fit(XOR_X, [0, 0, 0, 1])[-1] == 0
    assert Perceptron(2).fit(XOR_X, [0, 1, 1, 1])[-1] == 0
    p = Perceptron(2)
    errors = p.fit(XOR_X, XOR_T, epochs=1000)
    assert len(errors) == 1000 and min(errors) > 0 and not p.converged
    assert (p.predict(XOR_X).numpy() != XOR_T).sum() >= 1


def test_mark_i_separates_xor_and_parity_with_enough_random_units():
    bp.manual_seed(0)
    machine = MarkI(2, n_associators=64)
    machine.fit(XOR_X, XOR_T, epochs=100)
    assert machine.converged and machine.predict(XOR_X).tolist() == XOR_T
    x = np.array(list(itertools.product([0, 1], repeat=3)), dtype=np.float32)
    parity = x.sum(axis=1) % 2
    assert not Perceptron(3).fit(x, parity, epochs=200)[-1] == 0
    bp.manual_seed(0)
    machine = MarkI(3, n_associators=512)
    machine.fit(x, parity, epochs=200)
    assert machine.converged and (machine.predict(x).numpy() == parity).all()


def test_mark_i_with_one_random_unit_never_learns_xor():
    # the response step(w a + b) of one bit a is constant, a or NOT a; a is a threshold function of x, never XOR
    for seed in range(10):
        bp.manual_seed(seed)
        machine = MarkI(2, n_associators=1)
        machine.fit(XOR_X, XOR_T, epochs=20)
        assert not machine.converged


def test_mark_i_random_layer_is_fixed_and_saved():
    bp.manual_seed(3)
    machine = MarkI(2, n_associators=16)
    fixed = machine.associator_weight.numpy().copy()
    machine.fit(XOR_X, XOR_T, epochs=50)
    assert (machine.associator_weight.numpy() == fixed).all()
    state = machine.state_dict()
    assert set(state) == {"weight", "bias", "associator_weight", "associator_threshold"}
    assert state["weight"].shape == (16,)
    copy = MarkI(2, n_associators=16)
    copy.load_state_dict(state)
    assert copy.predict(XOR_X).tolist() == machine.predict(XOR_X).tolist()


def test_mistake_bound_by_hand_and_refusal():
    # points (0, 0) -> 0, (2, 0) -> 1; separator x1 - 1 = 0: gamma = 1 / sqrt(2), R^2 = 5
    assert mistake_bound([[0, 0], [2, 0]], [0, 1], [1, 0], -1) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="does not separate"):
        mistake_bound(XOR_X, XOR_T, [1, 1], -1)


def test_errors():
    p = Perceptron(2)
    with pytest.raises(ValueError, match=r"targets in \{0, 1\}, got \[-1.0\]; .*\(t \+ 1\) / 2"):
        p.fit([[0, 0], [1, 1]], [-1, 1])
    with pytest.raises(ValueError, match=r"expects 2 targets"):
        p.fit([[0, 0], [1, 1]], [0, 1, 1])
    with pytest.raises(ValueError, match=r"inputs of shape \(2,\) or \(N, 2\), got shape \(4, 3\)"):
        p.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        Perceptron(0)
    with pytest.raises(ValueError, match="n_associators must be a positive int"):
        MarkI(2, n_associators=0)

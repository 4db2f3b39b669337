"""Hebb's, Oja's and Sanger's rules: steps by hand, divergence, and the principal components."""
import numpy as np
import pytest

import backprop as bp
from backprop.classic import HebbianNetwork

W0 = [[0.5, -1.0, 0.25], [0.0, 1.0, 2.0]]
X = [[1.0, 2.0, -1.0], [0.5, 0.0, 1.5]]


def by_hand(rule, w, xs, eta):
    """The rules written element by element, one example after the other."""
    w = [row[:] for row in w]
    for x in xs:
        y = [sum(w[i][j] * x[j] for j in range(len(x))) for i in range(len(w))]
        new = [row[:] for row in w]
        for i in range(len(w)):
            for j in range(len(x)):
                if rule == "hebb":
                    new[i][j] += eta * x[j] * y[i]
                elif rule == "oja":
                    new[i][j] += eta * y[i] * (x[j] - y[i] * w[i][j])
                else:  # sanger
                    new[i][j] += eta * y[i] * (x[j] - sum(y[k] * w[k][j] for k in range(i + 1)))
        w = new
    return w


@pytest.mark.parametrize("rule", ["hebb", "oja", "sanger"])
def test_two_steps_match_the_formula(rule):
    net = HebbianNetwork(3, 2, rule=rule, lr=0.1, weight=W0)
    y0 = net.update(X[0])
    assert np.allclose(y0.numpy(), [0.5 * 1 - 2 - 0.25, 2 - 2], atol=1e-6)  # y = W0 x, before the step
    net.update(X[1])
    assert np.allclose(net.weight.numpy(), by_hand(rule, W0, X, 0.1), atol=1e-6)


def test_first_hebb_step_written_out():
    net = HebbianNetwork(2, 1, lr=0.5, weight=[[1.0, -1.0]])
    net.update([3.0, 1.0])  # y = 2; w += 0.5 * 2 * (3, 1)
    assert net.weight.tolist() == [[4.0, 0.0]]


@pytest.mark.parametrize("rule", ["hebb", "oja", "sanger"])
def test_a_batch_step_is_the_mean_of_the_examples_steps_from_one_w(rule):
    batch = HebbianNetwork(3, 2, rule=rule, lr=0.1, weight=W0)
    batch.update(X)
    steps = [np.array(by_hand(rule, W0, [x], 0.1)) - np.array(W0) for x in X]
    assert np.allclose(batch.weight.numpy(), np.array(W0) + np.mean(steps, axis=0), atol=1e-6)


def correlated(n=2000, seed=0):
    """Zero-mean Gaussian inputs with covariance C = R diag(4, 1, 0.25) R^T, R a random rotation."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    cov = rotation @ np.diag([4.0, 1.0, 0.25]) @ rotation.T
    x = rng.multivariate_normal(np.zeros(3), cov, size=n)
    return (x - x.mean(axis=0)).astype(np.float32)


def test_oja_converges_to_the_first_principal_component_with_unit_norm():
    x = correlated()
    net = HebbianNetwork(3, 1, rule="oja", lr=0.005)
    norms = net.fit(x, epochs=10)
    _, vectors = np.linalg.eigh(np.cov(x.T))
    w = net.weight.numpy()[0]
    assert abs(w @ vectors[:, -1]) / np.linalg.norm(w) > 0.999
    assert abs(np.linalg.norm(w) - 1) < 0.02 and norms.shape == (10, 1)


def test_sanger_finds_the_first_two_components_in_order():
    x = correlated()
    net = HebbianNetwork(3, 2, rule="sanger", lr=0.005)
    net.fit(x, epochs=20)
    _, vectors = np.linalg.eigh(np.cov(x.T))
    w = net.weight.numpy()
    for i, component in enumerate([vectors[:, -1], vectors[:, -2]]):
        assert abs(w[i] @ component) / np.linalg.norm(w[i]) > 0.99
        assert abs(np.linalg.norm(w[i]) - 1) < 0.05


def test_plain_hebb_diverges():
    x = correlated(200)
    net = HebbianNetwork(3, 1, rule="hebb", lr=0.005)
    start = np.linalg.norm(net.weight.numpy())
    norms = net.fit(x, epochs=5).numpy()[:, 0]
    assert (np.diff(norms) > 0).all() and norms[-1] > 100 * start


def test_forward_is_a_linear_map_and_state_dict_holds_the_weight():
    net = HebbianNetwork(3, 2, weight=W0)
    assert np.allclose(net(X).numpy(), np.array(X) @ np.array(W0).T)
    assert net(bp.tensor(X[0])).shape == (2,)
    assert list(net.state_dict()) == ["weight"]


def test_errors():
    with pytest.raises(ValueError, match="rule must be one of hebb, oja, sanger, got 'ojas'"):
        HebbianNetwork(3, rule="ojas")
    with pytest.raises(ValueError, match=r"weight must have shape \(2, 3\), got \(3, 2\)"):
        HebbianNetwork(3, 2, weight=np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"inputs of shape \(3,\) or \(N, 3\), got shape \(2,\)"):
        HebbianNetwork(3).update([1.0, 2.0])
    with pytest.raises(ValueError, match="out_features must be a positive int"):
        HebbianNetwork(3, 0)

"""The max-margin classifier: the analytic solutions of small problems, its margin and support vectors."""
import numpy as np
import pytest

import backprop as bp
from backprop.classic import MaxMarginClassifier


def test_two_points_give_the_analytic_solution():
    # min ||w||^2 s.t. w^T x1 + b >= 1, w^T x2 + b <= -1: w = 2 (x1 - x2) / ||x1 - x2||^2,
    # and the boundary passes through the midpoint: b = -w^T (x1 + x2) / 2
    x1, x2 = np.array([1.0, 2.0]), np.array([0.0, 0.5])
    d = x1 - x2
    w = 2 * d / (d @ d)
    b = -w @ (x1 + x2) / 2
    svm = MaxMarginClassifier(2, lam=0.1)  # lam <= ||x1 - x2||^2 / 4 = 0.81: the hard margin is the optimum
    history = svm.fit([x1, x2], [1, -1], epochs=5000)
    assert np.allclose(svm.weight.numpy(), w, atol=1e-2) and svm.bias.item() == pytest.approx(b, abs=1e-2)
    assert svm.margin == pytest.approx(np.linalg.norm(d) / 2, rel=1e-2)
    assert svm.geometric_margin([x1, x2], [1, -1]) == pytest.approx(np.linalg.norm(d) / 2, rel=1e-2)
    assert svm.support_vectors([x1, x2], [1, -1]).tolist() == [0, 1]
    assert history[-1] == pytest.approx(0.1 / 2 * (w @ w), rel=1e-2)  # J at the optimum: no hinge left


def test_only_the_closest_points_are_support_vectors():
    # class +1 at y = 1, 2, 3 and class -1 at y = -1, -3: the boundary is y = 0, w = (0, 1), b = 0
    x = np.array([[0.0, 1.0], [1.0, 2.0], [-1.0, 3.0], [0.0, -1.0], [2.0, -3.0]], dtype=np.float32)
    t = np.array([1, 1, 1, -1, -1])
    svm = MaxMarginClassifier(2, lam=0.1)
    svm.fit(x, t, epochs=5000)
    assert np.allclose(svm.weight.numpy(), [0, 1], atol=2e-2) and abs(svm.bias.item()) < 2e-2
    assert svm.support_vectors(x, t, tol=0.05).tolist() == [0, 3]
    assert svm.predict(x).tolist() == t.tolist() and svm.predict(x).dtype == bp.int64
    assert svm.predict([0.0, 0.5]).item() == 1 and svm.predict([5.0, -0.5]).item() == -1


def test_forward_is_the_linear_score_and_the_objective_falls():
    x = np.array([[2.0, 0.0], [-2.0, 1.0], [1.0, 1.0], [-1.0, -2.0]])
    t = [1, -1, 1, -1]
    svm = MaxMarginClassifier(2, lam=0.05)
    assert svm.objective(x, t) == 1.0  # w = 0, b = 0: every hinge is 1
    history = svm.fit(x, t, epochs=500)
    assert history[-1] < 0.5 and svm.objective(x, t) == pytest.approx(history[-1])
    w, b = svm.weight.numpy(), svm.bias.item()
    assert np.allclose(svm(x).numpy(), x @ w + b, atol=1e-6)
    assert list(svm.state_dict()) == ["weight", "bias"]


def test_errors():
    svm = MaxMarginClassifier(2)
    with pytest.raises(ValueError, match=r"targets in \{-1, 1\}, got \[0.0\]; .*2 t - 1"):
        svm.fit([[0, 0], [1, 1]], [0, 1])
    with pytest.raises(ValueError, match=r"inputs of shape \(2,\) or \(N, 2\), got shape \(3,\)"):
        svm([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="lam must be > 0"):
        MaxMarginClassifier(2, lam=0)
    assert svm.margin == float("inf")

"""robust_accuracy: clean accuracy counted by hand, the attack's batches used, attacks only lower it."""
import functools

import numpy as np
import pytest

import backprop as bp
from backprop.attacks import fgsm, pgd, robust_accuracy
from tests.attacks import trained_digits_mlp


def _data(n=23, seed=0):
    rng = np.random.default_rng(seed)
    return bp.tensor(rng.uniform(0, 1, (n, 5))), bp.tensor(rng.integers(0, 3, n))


def _model():
    return bp.nn.Sequential(bp.nn.Linear(5, 8), bp.nn.ReLU(), bp.nn.Linear(8, 3)).double()


def _weights(model):
    return [(layer.weight.detach().numpy(), layer.bias.detach().numpy()) for layer in model[::2]]


def _hand_accuracy(model, x, y):
    """argmax_k z_k = y counted with NumPy on z = W2 relu(W1 x + b1) + b2."""
    (w1, b1), (w2, b2) = _weights(model)
    z = np.maximum(x.numpy() @ w1.T + b1, 0) @ w2.T + b2
    return float((z.argmax(axis=1) == y.numpy()).mean())


def test_without_an_attack_it_is_the_accuracy_counted_by_hand():
    model, (x, y) = _model(), _data()
    loader = bp.data.DataLoader(bp.data.TensorDataset(x, y), batch_size=7)  # 7 + 7 + 7 + 2
    assert robust_accuracy(model, loader) == pytest.approx(_hand_accuracy(model, x, y), abs=1e-12)


def test_the_attacked_batches_are_the_ones_scored():
    """An 'attack' that sends every input to 0: the model predicts the class of f(0) for all."""
    model, (x, y) = _model(), _data()
    loader = bp.data.DataLoader(bp.data.TensorDataset(x, y), batch_size=10)
    calls = []

    def to_zero(m, inputs, targets):
        calls.append((m, inputs.shape[0], targets.shape[0]))
        return bp.zeros_like(inputs)

    (_, b1), (w2, b2) = _weights(model)
    zeros_class = (np.maximum(b1, 0) @ w2.T + b2).argmax()  # f(0) = W2 relu(b1) + b2
    expected = float((y.numpy() == zeros_class).mean())
    assert robust_accuracy(model, loader, to_zero) == pytest.approx(expected)
    assert [(m is model, n, k) for m, n, k in calls] == [(True, 10, 10), (True, 10, 10), (True, 3, 3)]


def test_an_attack_lowers_the_accuracy_of_a_trained_model():
    model, x, y = trained_digits_mlp()
    loader = bp.data.DataLoader(bp.data.TensorDataset(x, y), batch_size=50)
    clean = robust_accuracy(model, loader)
    weak, strong = (robust_accuracy(model, loader, functools.partial(fgsm, eps=eps)) for eps in (0.02, 0.1))
    assert strong <= weak <= clean and strong < clean - 0.3
    bp.manual_seed(0)
    assert robust_accuracy(model, loader, functools.partial(pgd, eps=0.1, steps=5)) < clean - 0.3


def test_an_empty_loader_is_refused():
    with pytest.raises(ValueError, match="no examples"):
        robust_accuracy(_model(), [])

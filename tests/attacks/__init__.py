"""Shared by the attack tests: one small trained classifier."""
import functools

import backprop as bp
from backprop.experiments import common


@functools.lru_cache(maxsize=1)
def trained_digits_mlp():
    """(model, x_test, y_test): an MLP 64-32-10 trained on 300 digits (test accuracy > 0.8), 100 test digits.

    Shared, so tests must not change it (attacks do not)."""
    bp.manual_seed(1)
    x, y = common.digits(train=True, n=300)
    model = bp.nn.Sequential(bp.nn.Flatten(), bp.nn.Linear(64, 32), bp.nn.ReLU(), bp.nn.Linear(32, 10))
    common.fit(model, bp.optim.Adam(model.parameters(), lr=0.01), bp.nn.CrossEntropyLoss(), x, y, epochs=40,
               batch_size=100)
    x_test, y_test = common.digits(train=False, n=100)
    assert common.accuracy(model, x_test, y_test) > 0.8
    return model, x_test, y_test

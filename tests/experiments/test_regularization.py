"""The regularization experiment's parts: the validation split, the nets, the evaluation, each regulariser's effect."""

import numpy
import pytest

import backprop as bp
from backprop import nn
from backprop.experiments import common
from backprop.experiments import regularization as R


@pytest.fixture(scope="module")
def data():
    """60 training digits split 48 / 12, and 100 test digits."""
    return (*R.validation_split(*common.digits(n=60, seed=1)), *common.digits(train=False, n=100))


def test_validation_split_holds_out_every_fifth_of_each_class():
    x, y = common.digits(n=250, seed=3)
    x_train, y_train, x_val, y_val = R.validation_split(x, y, every=5)
    assert len(y_train) == 200 and len(y_val) == 50
    assert numpy.bincount(y_val.numpy(), minlength=10).tolist() == [5] * 10
    rows = {row.tobytes() for row in x.numpy().reshape(250, -1)}
    held = {row.tobytes() for row in x_val.numpy().reshape(50, -1)}
    kept = {row.tobytes() for row in x_train.numpy().reshape(200, -1)}
    assert not held & kept and held | kept <= rows


def test_dropout_sits_on_the_inputs_and_after_every_hidden_layer():
    kinds = [(type(m).__name__, getattr(m, "p", None)) for m in R.network(16, (0.2, 0.5)).children()]
    assert kinds == [("Flatten", None), ("Dropout", 0.2), ("Linear", None), ("ReLU", None), ("Dropout", 0.5),
                     ("Linear", None), ("ReLU", None), ("Dropout", 0.5), ("Linear", None)]
    assert not any(isinstance(m, nn.Dropout) for m in R.network(16).modules())


def test_in_eval_mode_the_dropout_net_is_the_plain_net():
    plain, with_dropout = R.network(16), R.network(16, (0.2, 0.5))
    for mine, theirs in zip(with_dropout.parameters(), plain.parameters(), strict=True):
        mine.data[...] = theirs.data
    x = bp.rand(5, 1, 8, 8)
    assert numpy.allclose(common.predict(plain, x), common.predict(with_dropout, x), atol=1e-6)


def test_max_norm_keeps_every_unit_within_alpha(data):
    model = R.train(data, seed=0, epochs=3, width=32, max_norm=0.5)["model"]
    for layer in (m for m in model.modules() if isinstance(m, nn.Linear)):
        assert numpy.linalg.norm(layer.weight.detach().numpy(), axis=1).max() <= 0.5 + 1e-5


def test_weight_decay_shrinks_the_weights(data):
    def size(run):
        return sum(float((p.detach().numpy() ** 2).sum()) for p in run["model"].parameters())
    plain, decayed = R.train(data, 0, 10, width=32), R.train(data, 0, 10, width=32, weight_decay=0.05)
    assert size(decayed) < size(plain)


def test_early_stopping_stops_and_keeps_the_best_epochs_weights(data):
    run = R.train(data, seed=0, epochs=300, width=32, patience=3)
    curves = run["curves"]
    assert run["epoch"] + 3 == len(curves["test_loss"]) < 300
    # the net ends with the weights of its kept epoch, not its last: the same test loss as recorded then
    assert run["test_loss"] == pytest.approx(curves["test_loss"][run["epoch"] - 1], rel=1e-6)
    assert run["test_loss"] != pytest.approx(curves["test_loss"][-1], rel=1e-6)

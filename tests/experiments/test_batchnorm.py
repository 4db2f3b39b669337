"""The batchnorm experiment's parts: where batch norm sits, what it computes, how epochs to target are counted."""
import numpy
import pytest

import backprop as bp
from backprop import nn
from backprop.experiments import batchnorm as B


def kinds(model):
    return [type(m).__name__ for m in model.children()]


def test_batch_norm_sits_before_or_after_the_nonlinearity():
    assert kinds(B.network(depth=2, activation="relu", batchnorm="before")) == [
        "Flatten", "Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert kinds(B.network(depth=2, activation="sigmoid", batchnorm="after")) == [
        "Flatten", "Linear", "Sigmoid", "BatchNorm1d", "Linear", "Sigmoid", "BatchNorm1d", "Linear"]
    assert kinds(B.network(depth=2, batchnorm="none")) == ["Flatten", "Linear", "Sigmoid", "Linear", "Sigmoid",
                                                           "Linear"]
    with pytest.raises(ValueError, match="batchnorm must be one of .* got 'middle'"):
        B.network(batchnorm="middle")


def test_he_initialisation_has_variance_two_over_fan_in():
    bp.manual_seed(0)
    layers = [m for m in B.network(depth=3, width=256, activation="relu", batchnorm="he").modules()
              if isinstance(m, nn.Linear)]
    for layer in layers[1:-1]:  # 256 x 256 weights: the sample std is within a few percent
        assert layer.weight.detach().numpy().std() == pytest.approx(numpy.sqrt(2 / 256), rel=0.05)
        assert not layer.bias.detach().numpy().any()


def test_in_training_bn_standardises_each_unit_over_the_mini_batch():
    bp.manual_seed(1)
    model = B.network(depth=1, width=5, batchnorm="before")
    x = bp.rand(16, 1, 8, 8)
    z = model[:2](x).detach().numpy()  # Flatten, Linear: the pre-activations
    expected = (z - z.mean(axis=0)) / numpy.sqrt(z.var(axis=0) + 1e-5)  # gamma = 1, beta = 0 at the start
    assert numpy.allclose(model[:3](x).detach().numpy(), expected, atol=1e-5)


def test_epochs_to_counts_from_one_and_gives_none_when_never():
    assert B.epochs_to([0.5, 0.89, 0.9, 0.95]) == 3
    assert B.epochs_to([0.95]) == 1
    assert B.epochs_to([0.1] * 5) is None
    assert B.epochs_to([0.5, 0.6], target=0.55) == 2


def test_median_counts_a_run_that_never_got_there_as_beyond_the_budget():
    assert B._median([2, None, 3], epochs=10) == "3"
    assert B._median([None, None, 2], epochs=10) == "> 10"
    assert B._median([1, 2], epochs=10) == "1.5"


def test_the_deep_sigmoid_net_loses_its_gradient_and_bn_restores_it():
    bp.manual_seed(0)
    x, y = bp.rand(32, 1, 8, 8), bp.randint(0, 10, (32,))
    plain = B.gradient_ratio(B.network(depth=8, activation="sigmoid"), x, y)
    normalised = B.gradient_ratio(B.network(depth=8, activation="sigmoid", batchnorm="before"), x, y)
    # each sigmoid layer multiplies the gradient by at most 1/4 times the weights: 8 layers, far below 1e-3
    assert plain < 1e-3 < 0.1 < normalised

"""stacked_pretrain: the layers have the sizes asked for, each was trained on the codes of the one below,
and the pretrained features are useful to a classifier trained on top of them."""
import numpy as np
import pytest

import backprop as bp
from backprop import nn
from backprop.experiments.common import accuracy, digits, fit
from backprop.pretrain import freeze, stacked_pretrain


def spread(codes):
    """Mean per-unit variance of ``codes``: the error of reconstructing them all by their mean."""
    codes = codes.detach().numpy()
    return float(((codes - codes.mean(axis=0)) ** 2).mean())


@pytest.fixture(scope="module")
def stack():
    bp.manual_seed(0)
    x, _ = digits()
    return stacked_pretrain([64, 32, 16], x, epochs=10, lr=1e-2), x


def test_layers_have_the_given_sizes(stack):
    net, x = stack
    assert [type(m).__name__ for m in net] == ["Flatten", "Linear", "Sigmoid", "Linear", "Sigmoid"]
    assert (net[1].in_features, net[1].out_features) == (64, 32)
    assert (net[3].in_features, net[3].out_features) == (32, 16)
    assert net(x).shape == (len(x), 16)
    # the network holds the autoencoders' encoders, not copies
    assert net[1] is net.autoencoders[0].encoder[0] and net[3] is net.autoencoders[1].encoder[0]
    assert [len(h) for h in net.histories] == [10, 10]


def test_the_second_layer_was_trained_on_the_first_layers_codes(stack):
    net, x = stack
    second = net.autoencoders[1]
    with bp.no_grad():
        codes = net[:3](x)                        # h_1 = sigmoid(W_1 x + b_1)
        other = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.Sigmoid())(x)   # codes of another layer 1
    # on the codes it was trained on it does far better than their mean ...
    assert second.reconstruction_error(codes) < 0.25 * spread(codes)
    # ... and on codes it never saw worse than their mean
    assert second.reconstruction_error(other) > spread(other)
    first = net.autoencoders[0]
    assert first.reconstruction_error(x) < 0.5 * spread(x.reshape(len(x), 64))


def test_a_classifier_on_the_frozen_pretrained_features_beats_chance_by_far(stack):
    net, x = stack
    _, labels = digits()
    test_x, test_labels = digits(train=False)
    top = nn.Linear(16, 10)
    classifier = nn.Sequential(freeze(net), top)
    fit(classifier, bp.optim.Adam(top.parameters(), lr=5e-2), nn.functional.cross_entropy, x, labels,
        epochs=15, batch_size=64)
    assert accuracy(classifier, test_x, test_labels) > 0.75     # chance: 0.1


def test_decoders_reconstruct_in_the_range_of_what_they_reconstruct():
    x = bp.rand(64, 10)
    relu = stacked_pretrain([10, 6, 3], x, epochs=1, activation="relu", noise=0.2)
    first, second = relu.autoencoders
    assert type(first.decoder[-1]).__name__ == "Sigmoid"    # pixels in [0, 1]
    assert type(second.decoder[-1]).__name__ == "Identity"  # ReLU codes are unbounded
    assert first.noise == second.noise == 0.2
    assert [type(m).__name__ for m in relu] == ["Flatten", "Linear", "ReLU", "Linear", "ReLU"]
    tanh = stacked_pretrain([10, 6, 3], x, epochs=1, activation="tanh")
    assert type(tanh.autoencoders[1].decoder[-1]).__name__ == "Identity"  # tanh codes can be negative
    scaled = stacked_pretrain([10, 6], 3 * x, epochs=1)
    assert type(scaled.autoencoders[0].decoder[-1]).__name__ == "Identity"


def test_training_is_reproducible_under_a_seed():
    x = bp.rand(50, 8)
    weights = []
    for _ in range(2):
        bp.manual_seed(3)
        weights.append(stacked_pretrain([8, 4, 2], x, epochs=2)[3].weight.detach().numpy())
    np.testing.assert_array_equal(*weights)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least two positive ints"):
        stacked_pretrain([64], bp.rand(4, 64))
    with pytest.raises(ValueError, match="expected 64 features per example"):
        stacked_pretrain([64, 8], bp.rand(4, 10))
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        stacked_pretrain([4, 2], bp.rand(4, 4), epochs=0)
    with pytest.raises(TypeError, match="takes 2 positional"):
        stacked_pretrain([4, 2], bp.rand(4, 4), 3)

"""The pretraining experiment's parts: the layout, Glorot's bound, the nets built from the stacks, one step."""
import math

import numpy
import pytest

import backprop as bp
from backprop import nn
from backprop.experiments import pretraining as P

SMALL = [64, 12, 8]


@pytest.fixture(scope="module")
def stacks():
    images = bp.rand(40, 1, 8, 8)
    found, seconds = P.pretrain(images, SMALL, epochs=1, seed=0)
    assert set(seconds) == {"autoencoders", "dbn"} and all(s >= 0 for s in seconds.values())
    return found


def test_the_random_net_has_the_layout_of_the_pretrained_stacks():
    net = P.classifier("random", None, SMALL, 10)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Flatten", "Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]
    assert [(m.in_features, m.out_features) for m in net if isinstance(m, nn.Linear)] == [(64, 12), (12, 8), (8, 10)]
    assert net(bp.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert isinstance(P.classifier(P.MODERN, None, SMALL, 10)[2], nn.ReLU)


def test_glorot_bound_and_zero_biases():
    bp.manual_seed(0)
    net = P.classifier("glorot", None, [64, 200, 100], 10)
    for layer in (m for m in net if isinstance(m, nn.Linear)):
        w = layer.weight.detach().numpy()
        bound = math.sqrt(6 / (layer.in_features + layer.out_features))
        assert numpy.abs(w).max() <= bound and numpy.abs(w).max() > 0.95 * bound
        assert w.var() == pytest.approx(bound ** 2 / 3, rel=0.1)  # the variance of U(-a, a) is a^2 / 3
        assert not layer.bias.detach().numpy().any()


def test_autoencoder_classifier_copies_the_encoders_and_adds_a_fresh_output_layer(stacks):
    net = P.classifier("autoencoders", stacks, SMALL, 10)
    encoders = [m for m in stacks["autoencoders"] if isinstance(m, nn.Linear)]
    layers = [m for m in net if isinstance(m, nn.Linear)]
    assert len(layers) == 3 and (layers[-1].in_features, layers[-1].out_features) == (8, 10)
    for copied, encoder in zip(layers, encoders):
        assert copied is not encoder
        assert numpy.array_equal(copied.weight.detach().numpy(), encoder.weight.detach().numpy())
    layers[0].weight.data[...] = 0.0  # fine-tuning one classifier leaves the stack (and the next classifier) alone
    assert encoders[0].weight.detach().numpy().any()


def test_dbn_classifier_starts_from_the_rbms(stacks):
    net = P.classifier("dbn", stacks, SMALL, 10)
    layers = [m for m in net if isinstance(m, nn.Linear)]
    for layer, rbm in zip(layers, stacks["dbn"].rbms):
        assert numpy.array_equal(layer.weight.detach().numpy(), rbm.weight.detach().numpy())
        assert numpy.array_equal(layer.bias.detach().numpy(), rbm.hidden_bias.detach().numpy())
    assert net(bp.zeros(2, 1, 8, 8)).shape == (2, 10)


def test_the_torch_default_and_pretrained_nets_start_from_the_same_output_layer_under_one_seed(stacks):
    outputs = {}
    for init in P.INITS + [P.MODERN]:
        bp.manual_seed(7)
        layer = P.classifier(init, stacks, SMALL, 10)[-1]
        outputs[init] = numpy.concatenate([layer.weight.detach().numpy().ravel(), layer.bias.detach().numpy()])
    for init in ("autoencoders", "dbn"):
        assert numpy.array_equal(outputs[init], outputs["random"])
    assert numpy.abs(outputs["random"]).max() <= 1 / math.sqrt(SMALL[-1])  # torch's U(+-1/sqrt(fan_in))
    for init in ("glorot", P.MODERN):  # their rules cover the output layer too: zero biases
        assert not outputs[init][-10:].any()


def test_random_inits_and_the_modern_baseline_and_a_wrong_name(stacks):
    assert isinstance(P.classifier("random", stacks, SMALL)[2], nn.Sigmoid)
    assert not P.classifier("glorot", stacks, SMALL)[1].bias.detach().numpy().any()
    assert isinstance(P.classifier(P.MODERN, stacks, SMALL)[2], nn.ReLU)
    with pytest.raises(ValueError, match="init must be one of .* got 'rbm'"):
        P.classifier("rbm", stacks, SMALL)


def test_one_epoch_of_ten_examples_is_one_sgd_step_by_hand():
    bp.manual_seed(3)
    net = P.classifier("random", None, [64, 5], 3)
    x, y = bp.rand(10, 1, 8, 8), bp.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    before = [p.detach().numpy().copy() for p in net.parameters()]
    nn.CrossEntropyLoss()(net(x), y).backward()
    gradients = [p.grad.numpy().copy() for p in net.parameters()]
    net.zero_grad()
    P.fine_tune(net, x, y, epochs=1, seed=0)
    for w0, g, p in zip(before, gradients, net.parameters()):  # the first momentum step is w - lr g
        assert numpy.allclose(p.detach().numpy(), w0 - 0.1 * g, atol=1e-6)


def test_the_modern_baseline_steps_by_adam():
    bp.manual_seed(4)
    net = P.classifier(P.MODERN, None, [64, 5], 3)
    x, y = bp.rand(10, 1, 8, 8), bp.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0])
    before = [p.detach().numpy().copy() for p in net.parameters()]
    nn.CrossEntropyLoss()(net(x), y).backward()
    gradients = [p.grad.numpy().copy() for p in net.parameters()]
    net.zero_grad()
    P.fine_tune(net, x, y, epochs=1, seed=0, modern=True)
    for w0, g, p in zip(before, gradients, net.parameters()):  # Adam's first step: lr g / (|g| + eps) ~ lr sign(g)
        moved = numpy.abs(g) > 1e-5
        assert numpy.allclose((w0 - p.detach().numpy())[moved], 1e-3 * numpy.sign(g[moved]), rtol=1e-2)

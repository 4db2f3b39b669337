"""Every factory of the zoo against a torch twin built layer by layer: same state-dict keys, same
parameter count, same outputs and gradients in eval mode; output shapes for every input shape."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import models
from nn.twin import compare_module

from . import twins

rng = np.random.default_rng(0)

TWINS = {
    "mlp": twins.mlp, "cnn": twins.cnn, "lenet5": twins.lenet5, "vgg": twins.vgg, "alexnet": twins.alexnet,
    "resnet": lambda shape: twins.ResNet(shape, depth=8), "lstm": twins.RowLSTM,
}
OPTIONS = {"resnet": dict(depth=8)}  # ResNet-20 is compared once below
CASES = [(name, shape) for name in TWINS for shape in models.input_shapes(name)]


def _randomize_batch_norm(module):
    """Running statistics and affine parameters away from 0 and 1, so eval mode tests them."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
    return module


def _compare(ours, theirs, shape, dtype, batch=2):
    _randomize_batch_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert models.count_parameters(ours) == sum(p.numel() for p in theirs.parameters())
    compare_module(ours.eval(), theirs.eval(), [rng.standard_normal((batch, *shape))], dtype)


@pytest.mark.parametrize("name,shape", CASES, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s in CASES])
def test_matches_torch_twin_in_float64(name, shape):
    _compare(models.get(name, shape, **OPTIONS.get(name, {})), TWINS[name](shape), shape, "float64")


@pytest.mark.parametrize("name", list(TWINS))
def test_matches_torch_twin_in_float32(name):
    shape = models.input_shapes(name)[0]
    _compare(models.get(name, **OPTIONS.get(name, {})), TWINS[name](shape), shape, "float32", batch=1)


def test_resnet20_matches_torch_twin():
    ours, theirs = models.resnet(), twins.ResNet((3, 32, 32), depth=20)
    assert models.count_parameters(ours) == 272474  # 269,722 of the paper's option A + 2,752 in two 1x1 shortcuts
    _compare(ours, theirs, (3, 32, 32), "float64", batch=1)


def test_resnet_train_mode_uses_batch_statistics_as_torch():
    ours, theirs = models.resnet((1, 8, 8), depth=8), twins.ResNet((1, 8, 8), depth=8)
    compare_module(ours.train(), theirs.train(), [rng.standard_normal((4, 1, 8, 8))], "float64")
    running = {k: v.numpy() for k, v in ours.state_dict().items() if "running" in k}
    for key, value in running.items():
        np.testing.assert_allclose(value, theirs.state_dict()[key].numpy(), rtol=1e-9, atol=1e-12, err_msg=key)


def test_mlp_options_match_torch_twin():
    shape = (1, 8, 8)
    ours = models.mlp(shape, 3, hidden=(32, 16), activation="tanh", dropout=0.5)
    theirs = twins.mlp(shape, 3, hidden=(32, 16), activation=torch.nn.Tanh, dropout=0.5)
    _compare(ours, theirs, shape, "float64")
    assert "4.weight" in ours.state_dict()  # Flatten, Linear, Tanh, Dropout, Linear


def test_lenet5_has_the_papers_layer_sizes():
    net = models.lenet5()
    sizes = [p.numel() for p in net.parameters()]
    # C1 6(25 + 1), C3 16(6 * 25 + 1), F5 120(16 * 5 * 5 + 1), F6 84(120 + 1), output 10(84 + 1)
    assert sizes == [150, 6, 2400, 16, 48000, 120, 10080, 84, 840, 10]
    assert models.count_parameters(net) == 61706
    assert models.count_parameters(models.lenet5((1, 32, 32))) == 61706  # 32x32 needs no padding
    assert models.count_parameters(models.lenet5(activation="relu", pool="max")) == 61706


ALL = [(name, shape) for name in models.names() for shape in models.input_shapes(name)]


@pytest.mark.parametrize("name,shape", ALL, ids=[f"{n}-{'x'.join(map(str, s))}" for n, s in ALL])
def test_output_shapes(name, shape):
    net = models.get(name, shape, num_classes=7, **OPTIONS.get(name, {}))
    out = net.train()(bp.tensor(rng.standard_normal((2, *shape)).astype("float32")))
    assert out.shape == (2, 7) and out.dtype == bp.float32
    net.eval()
    assert net(bp.tensor(rng.standard_normal((1, *shape)).astype("float32"))).shape == (1, 7)


def test_default_input_and_classes():
    for name in models.names():
        shape = models.input_shapes(name)[0]
        assert models.get(name, **OPTIONS.get(name, {})).eval()(bp.zeros(1, *shape)).shape == (1, 10), name


@pytest.mark.parametrize("build,match", [
    (lambda: models.lenet5((1, 8, 8)), r"lenet5: input_shape \(1, 8, 8\) is too small"),
    (lambda: models.vgg((3, 4, 4)), r"vgg: input_shape \(3, 4, 4\) is too small"),
    (lambda: models.cnn((1, 1, 8)), "too small for the 2x2 max pooling"),
    (lambda: models.resnet(depth=9), r"depth must be 6n \+ 2"),
    (lambda: models.mlp((28, 28)), r"mlp: input_shape must be \(C, H, W\) or \(D,\), got \(28, 28\)"),
    (lambda: models.cnn((2,)), r"cnn: input_shape must be \(C, H, W\), three positive ints, got \(2,\)"),
    (lambda: models.cnn(num_classes=0), "cnn: num_classes must be a positive int, got 0"),
    (lambda: models.mlp(activation="swish"), r"activation must be one of \['elu', 'gelu'"),
    (lambda: models.lenet5(pool="sum"), r"pool must be one of \['avg', 'max'\], got 'sum'"),
    (lambda: models.alexnet(channels=(8, 8)), "alexnet: channels must list 5 widths"),
])
def test_bad_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_lstm_rejects_images_of_another_width():
    with pytest.raises(ValueError, match=r"RowLSTM expects images \(N, 1, H, 28\), got \(2, 1, 28, 27\)"):
        models.lstm()(bp.zeros(2, 1, 28, 27))
    assert models.lstm()(bp.zeros(2, 1, 5, 28)).shape == (2, 10)  # any number of rows


def test_mlp_takes_feature_vectors():
    """(D,) is a vector of D features: the first layer has D inputs, and the net is the same as on (D, 1, 1)."""
    bp.manual_seed(0)
    on_vectors = models.mlp((2,), 3, hidden=(5,))
    bp.manual_seed(0)
    on_images = models.mlp((2, 1, 1), 3, hidden=(5,))
    assert on_vectors[1].in_features == 2
    x = bp.randn(4, 2)
    np.testing.assert_array_equal(on_vectors(x).detach().numpy(), on_images(x.reshape(4, 2, 1, 1)).detach().numpy())

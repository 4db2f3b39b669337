"""nn.utils and nn.init against torch."""
import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn


def _twins(seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (4,), (2, 3)]]
    ours = [nn.Parameter(bp.tensor(a)) for a in arrays]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in arrays]
    grads = [rng.standard_normal(a.shape).astype(np.float32) * 3 for a in arrays]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = bp.tensor(g)
        q.grad = torch.tensor(g)
    return ours, theirs


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.5, math.inf)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    ours, theirs = _twins()
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-5)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_value_matches_torch():
    ours, theirs = _twins(1)
    nn.utils.clip_grad_value_(ours, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_parameters_to_vector_and_back():
    ours, theirs = _twins(2)
    vec = nn.utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(vec.detach().numpy(), torch.nn.utils.parameters_to_vector(theirs).detach().numpy())
    nn.utils.vector_to_parameters(vec * 2, ours)
    assert ours[1].detach().numpy().tolist() == (theirs[1].detach().numpy() * 2).tolist()


def test_max_norm_rescales_only_the_rows_that_are_too_long():
    layer = nn.Linear(3, 2)
    with bp.no_grad():
        layer.weight.copy_(np.array([[3.0, 4.0, 0.0], [0.3, 0.4, 0.0]], dtype=np.float32))
    nn.utils.max_norm_(layer, 1.0)
    np.testing.assert_allclose(layer.weight.detach().numpy(), [[0.6, 0.8, 0.0], [0.3, 0.4, 0.0]], rtol=1e-6)


def _max_norm_by_hand(weight, unit_axes, alpha):
    """If ||w|| > alpha then w <- alpha w / ||w||, with w the entries of ``weight`` that share the indices on
    ``unit_axes`` (one unit), in float64 loops over the units."""
    weight = weight.astype(np.float64)
    out = weight.copy()
    for index in np.ndindex(*weight.shape[:len(unit_axes)]):
        norm = np.sqrt((weight[index] ** 2).sum())
        if norm > alpha:
            out[index] = alpha * weight[index] / norm
    return out


@pytest.mark.parametrize("make,unit_axes", [
    (lambda: nn.Linear(6, 5), (0,)),
    (lambda: nn.Maxout(6, 2, pieces=3), (0,)),
    (lambda: nn.Conv1d(3, 4, 3), (0,)),
    (lambda: nn.Conv2d(4, 6, 3, groups=2), (0,)),
    (lambda: nn.LocallyConnected2d(2, 3, input_size=5, kernel_size=3), (0, 1, 2)),
], ids=["Linear", "Maxout", "Conv1d", "Conv2d", "LocallyConnected2d"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_norm_constrains_each_unit_of_every_layer(make, unit_axes, dtype):
    layer = make().to(getattr(bp, dtype))
    with bp.no_grad():  # spread the norms so that some units are above alpha and some below
        scales = np.random.default_rng(0).uniform(0.2, 3.0, layer.weight.shape[:len(unit_axes)])
        layer.weight.copy_(layer.weight.detach().numpy() * scales.reshape(scales.shape + (1,) * (
            layer.weight.ndim - len(unit_axes))).astype(dtype) * 3)
    before = {k: v.detach().numpy().copy() for k, v in layer.state_dict().items()}
    alpha = float(np.median(np.sqrt((before["weight"].reshape(scales.size, -1).astype(np.float64) ** 2).sum(1))))
    assert nn.utils.max_norm_(layer, alpha) is layer
    expected = _max_norm_by_hand(before["weight"], unit_axes, alpha)
    assert not np.allclose(expected, before["weight"])  # some units were too long
    rtol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(layer.weight.detach().numpy(), expected, rtol=rtol, atol=rtol * 1e-2)
    assert layer.weight.dtype == getattr(bp, dtype)
    np.testing.assert_array_equal(layer.bias.detach().numpy(), before["bias"])  # biases are not constrained


def test_max_norm_reaches_nested_layers_and_leaves_other_weights_alone():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm((2, 2)), nn.Sequential(nn.Linear(4, 2)))
    with bp.no_grad():
        for p in model.parameters():
            p.copy_(p.detach().numpy() * 0 + 5.0)
    nn.utils.max_norm_(model, 1.0)
    np.testing.assert_allclose(model[0].weight.detach().numpy(), 1 / np.sqrt(3), rtol=1e-6)
    np.testing.assert_allclose(model[2][0].weight.detach().numpy(), 1 / 2, rtol=1e-6)
    assert model[1].weight.detach().numpy().tolist() == [[5.0, 5.0], [5.0, 5.0]]  # a LayerNorm has no units


def test_max_norm_checks_its_arguments():
    with pytest.raises(TypeError, match="max_norm_ expects a Module, got Parameter"):
        nn.utils.max_norm_(nn.Linear(2, 2).weight, 1.0)
    with pytest.raises(ValueError, match="max_norm must be a positive number, got -1"):
        nn.utils.max_norm_(nn.Linear(2, 2), -1)


@pytest.mark.parametrize("name,kwargs", [
    ("xavier_uniform_", {}), ("xavier_normal_", {}), ("kaiming_uniform_", {}), ("kaiming_normal_", {}),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}), ("xavier_uniform_", {"gain": 2.0}),
])
def test_init_has_torchs_distribution(name, kwargs):
    shape = (200, 50, 3, 3)
    ours = getattr(nn.init, name)(bp.zeros(*shape), **kwargs).numpy()
    theirs = getattr(torch.nn.init, name)(torch.zeros(*shape), **kwargs).numpy()
    assert abs(ours.std() / theirs.std() - 1) < 0.02
    assert abs(ours.mean()) < 0.02 * theirs.std()
    if "uniform" in name:
        assert abs(ours.max() / theirs.max() - 1) < 0.01


def test_init_gain_and_fans_match_torch():
    for nl in ["linear", "sigmoid", "tanh", "relu", "leaky_relu"]:
        assert nn.init.calculate_gain(nl) == pytest.approx(torch.nn.init.calculate_gain(nl))
    t = bp.zeros(5, 4, 3)
    ours = nn.init._calculate_fan_in_and_fan_out(t)
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(5, 4, 3))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):  # torch's message
        nn.init.xavier_uniform_(bp.zeros(3))

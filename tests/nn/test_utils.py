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
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(bp.zeros(3))

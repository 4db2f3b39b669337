"""saliency, gradient_x_input and integrated_gradients: a linear model by hand, a CNN against torch.autograd."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.explain import grad_cam, gradient_x_input, gradients, integrated_gradients, saliency

from . import cnn_twins, images


def torch_gradient(model, x, targets):
    """d y_c / d x by torch.autograd, in eval mode (the reference)."""
    model.eval()
    x = torch.tensor(x, requires_grad=True)
    model(x)[torch.arange(len(x)), torch.as_tensor(targets)].sum().backward()
    return x.grad.numpy()


def torch_predictions(model, x):
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(x)).argmax(dim=1).numpy()


def linear_model(d=5, k=3):
    model = nn.Linear(d, k).double()
    return model, model.weight.detach().numpy()


# ----------------------------------------------------------------------------- a linear model, by hand
def test_saliency_of_a_linear_model_is_its_weight_row_for_every_example():
    model, w = linear_model()
    x = np.random.default_rng(0).standard_normal((4, 5))
    np.testing.assert_allclose(saliency(model, x, target=2), np.tile(w[2], (4, 1)), rtol=1e-12)
    per_example = saliency(model, bp.tensor(x), target=[0, 1, 2, 1])
    np.testing.assert_allclose(per_example, w[[0, 1, 2, 1]], rtol=1e-12)
    np.testing.assert_allclose(saliency(model, x, target=1, squared=True), np.tile(w[1] ** 2, (4, 1)), rtol=1e-12)


def test_target_none_explains_the_predicted_class():
    model, w = linear_model()
    x = np.random.default_rng(1).standard_normal((6, 5))
    predicted = (x @ w.T + model.bias.detach().numpy()).argmax(axis=1)
    np.testing.assert_allclose(saliency(model, x), w[predicted], rtol=1e-12)


def test_gradient_x_input_of_a_linear_model_is_x_times_w():
    model, w = linear_model()
    x = np.random.default_rng(2).standard_normal((4, 5))
    np.testing.assert_allclose(gradient_x_input(model, x, target=1), x * w[1], rtol=1e-12)


def test_integrated_gradients_of_a_linear_model_is_x_minus_baseline_times_w():
    model, w = linear_model()
    rng = np.random.default_rng(3)
    x, baseline = rng.standard_normal((4, 5)), rng.standard_normal(5)  # one baseline for all, broadcast
    np.testing.assert_allclose(integrated_gradients(model, x, target=0, steps=7), x * w[0], rtol=1e-12)
    np.testing.assert_allclose(integrated_gradients(model, x, target=[2, 0, 1, 2], baseline=baseline, steps=3),
                               (x - baseline) * w[[2, 0, 1, 2]], rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- a CNN against torch
def test_saliency_and_gradient_x_input_of_a_cnn_equal_torch_autograd():
    ours, theirs = cnn_twins()
    x = images(4)
    targets = torch_predictions(theirs, x)
    assert len(set(targets.tolist())) > 1, "the test wants several predicted classes"
    expected = torch_gradient(theirs, x, targets)
    np.testing.assert_allclose(saliency(ours, x, keep_channels=True), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(saliency(ours, x), expected.sum(axis=1), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(saliency(ours, x, squared=True, keep_channels=True), expected ** 2,
                               rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(saliency(ours, x, squared=True), (expected ** 2).sum(axis=1), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(gradient_x_input(ours, x, keep_channels=True), x * expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gradient_x_input(ours, bp.tensor(x), target=3), (x * torch_gradient(theirs, x, [3] * 4))
                               .sum(axis=1), rtol=1e-9, atol=1e-12)


def torch_integrated_gradients(model, x, baseline, targets, steps):
    """The midpoint sum one step at a time in torch: (x - x') (1/m) sum_k grad(x' + (k - 1/2)/m (x - x'))."""
    total = sum(torch_gradient(model, baseline + (k + 0.5) / steps * (x - baseline), targets) for k in range(steps))
    return (x - baseline) * total / steps


@pytest.mark.parametrize("values_per_pass", [1 << 20, 300, 100])
def test_integrated_gradients_of_a_cnn_equal_torch_in_one_or_many_passes(monkeypatch, values_per_pass):
    # 1 << 20: every step of every example in one pass; 300: two examples (128 values each) a pass, one step
    # of them; 100: less than one example, one point a pass.
    monkeypatch.setattr(gradients, "_VALUES_PER_PASS", values_per_pass)
    ours, theirs = cnn_twins()
    x, baseline = images(3, seed=1), images(1, seed=2)[0] * 0.1
    targets = torch_predictions(theirs, x)  # the class predicted at x, not along the path
    expected = torch_integrated_gradients(theirs, x, baseline, targets, steps=5)
    np.testing.assert_allclose(integrated_gradients(ours, x, baseline=baseline, steps=5, keep_channels=True),
                               expected, rtol=1e-9, atol=1e-12)


def test_integrated_gradients_completeness_error_shrinks_with_the_steps():
    # A smooth net: the midpoint rule's error falls as 1/m^2, so 8x the steps must gain well over 10x.
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Softplus(), nn.Linear(16, 3)).double()
    x = 2 * np.random.default_rng(4).standard_normal((5, 6))
    with bp.no_grad():
        y = model(bp.tensor(x)).numpy()[:, 1] - model(bp.zeros(5, 6).double()).numpy()[:, 1]
    errors = [np.abs(integrated_gradients(model, x, target=1, steps=m).sum(axis=1) - y).max() for m in (4, 32, 256)]
    assert errors[0] > 1e-5, errors  # the test means something: few steps do miss
    assert errors[1] < errors[0] / 10 and errors[2] < errors[1] / 10, errors
    assert errors[2] < 1e-5 * np.abs(y).max(), errors


def test_integrated_gradients_of_a_relu_cnn_add_up_to_the_score_difference():
    ours, _ = cnn_twins()
    x = images(3, seed=5)
    maps = integrated_gradients(ours, x, target=2, steps=200)
    ours.eval()
    with bp.no_grad():
        y = ours(bp.tensor(x)).numpy()[:, 2] - ours(bp.zeros(3, *x.shape[1:]).double()).numpy()[:, 2]
    assert maps.shape == (3, 8, 8)
    np.testing.assert_allclose(maps.sum(axis=(1, 2)), y, atol=0.02 * np.abs(y).max())


# ----------------------------------------------------------------------------- shapes, modes, errors
@pytest.mark.parametrize("method", [saliency, gradient_x_input, integrated_gradients])
def test_maps_have_the_inputs_spatial_shape(method):
    ours, _ = cnn_twins()
    x = images(2)
    assert method(ours, x).shape == (2, 8, 8)
    assert method(ours, x, keep_channels=True).shape == (2, 2, 8, 8)
    assert method(linear_model()[0], np.ones((3, 5))).shape == (3, 5)
    assert isinstance(method(ours, x), np.ndarray)


@pytest.mark.parametrize("method", [saliency, gradient_x_input, integrated_gradients])
def test_the_model_runs_in_eval_mode_and_gets_its_mode_back(method):
    # In training mode the dropout would zero a random half of the gradient; in eval mode none of it.
    model = nn.Sequential(nn.Dropout(0.5), nn.Linear(5, 2, bias=False)).double()
    w = model[1].weight.detach().numpy()
    x = np.ones((3, 5))  # with x = 1 (and the baseline 0) all three maps are w_1
    np.testing.assert_allclose(method(model, x, target=1), np.tile(w[1], (3, 1)), rtol=1e-12)
    assert model.training and model[0].training
    model.eval()
    method(model, x, target=1)
    assert not model.training


@pytest.mark.parametrize("method", [saliency, gradient_x_input, integrated_gradients])
def test_bad_targets_are_refused(method):
    model, _ = linear_model(k=3)
    x = np.ones((2, 5))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        method(model, x, target=3)
    with pytest.raises(ValueError, match="one target per example"):
        method(model, x, target=[0, 1, 2])
    with pytest.raises(TypeError, match="int class index"):
        method(model, x, target=1.5)


def test_integrated_gradients_refuses_bad_steps_and_baselines():
    model, _ = linear_model()
    with pytest.raises(ValueError, match="steps"):
        integrated_gradients(model, np.ones((2, 5)), steps=0)
    with pytest.raises(ValueError, match="got 2.0"):
        integrated_gradients(model, np.ones((2, 5)), steps=2.0)
    with pytest.raises(ValueError, match="got True"):
        integrated_gradients(model, np.ones((2, 5)), steps=True)
    # a NumPy integer is an int (a step count read from an array, a grid of them)
    assert integrated_gradients(model, np.ones((2, 5)), target=0, steps=np.int64(3)).shape == (2, 5)
    with pytest.raises(ValueError, match=r"baseline of shape \(4,\)"):
        integrated_gradients(model, np.ones((2, 5)), baseline=np.zeros(4))


def test_explaining_leaves_the_parameters_gradients_and_flags_alone():
    model = bp.nn.Sequential(bp.nn.Conv2d(1, 2, 3, padding=1), bp.nn.ReLU(), bp.nn.Flatten(), bp.nn.Linear(32, 3))
    x = bp.randn(2, 1, 4, 4)
    model(x).sum().backward()  # a training step's gradients, waiting for the update
    before = [p.grad.numpy().copy() for p in model.parameters()]
    model[0].weight.requires_grad_(False)
    for method in (saliency, gradient_x_input, integrated_gradients, grad_cam):
        method(model, x, 1)
    assert [p.requires_grad for p in model.parameters()] == [False, True, True, True]
    for p, grad in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.grad.numpy(), grad)

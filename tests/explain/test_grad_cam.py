"""grad_cam against a torch reference computed with torch's hooks on the same weights; layer choice; errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import backprop as bp
from backprop import nn
from backprop.explain import grad_cam
from nn.twin import copy_weights

from . import CLASSES, cnn_twins, images


def torch_grad_cam(model, x, targets, layer):
    """Selvaraju et al.'s map in torch: A from a forward hook, alpha = mean_ij dy_c/dA, ReLU, bilinear resize."""
    model.eval()
    seen = []
    handle = layer.register_forward_hook(lambda module, args, output: seen.append(output))
    x = torch.tensor(x)
    scores = model(x)
    handle.remove()
    a = seen[-1]
    (gradient,) = torch.autograd.grad(scores[torch.arange(len(x)), torch.as_tensor(targets)].sum(), a)
    cam = torch.relu((gradient.mean(dim=(2, 3), keepdim=True) * a).sum(dim=1, keepdim=True))
    return F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)[:, 0].detach().numpy()


def predictions(model, x):
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(x)).argmax(dim=1).numpy()


@pytest.mark.parametrize("name", ["5", "4", "3", "2"])  # ReLU (the default), conv, max pool (4x4), ReLU (8x8)
def test_grad_cam_equals_torch_at_each_layer_by_name_and_by_module(name):
    ours, theirs = cnn_twins()
    x = images(4, seed=3)
    targets = [1, 4, 0, 2]
    expected = torch_grad_cam(theirs, x, targets, theirs[int(name)])
    assert expected.max() > 0, "the reference map should not be all zero"
    np.testing.assert_allclose(grad_cam(ours, x, targets, layer=name), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grad_cam(ours, bp.tensor(x), targets, layer=ours[int(name)]), expected,
                               rtol=1e-9, atol=1e-12)


def test_default_layer_is_the_last_with_4d_output_and_target_none_the_predicted_class():
    ours, theirs = cnn_twins()
    x = images(5, seed=4)
    expected = torch_grad_cam(theirs, x, predictions(theirs, x), theirs[5])
    maps = grad_cam(ours, x)
    np.testing.assert_allclose(maps, expected, rtol=1e-9, atol=1e-12)
    assert maps.shape == (5, 8, 8) and (maps >= 0).all() and isinstance(maps, np.ndarray)


class Net(nn.Module):
    """Nested modules and a layer reached by its dotted name; the last 4-D output comes from inside 'features'."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 2, 3), nn.Tanh())
        self.head = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def test_a_dotted_name_reaches_a_nested_layer_and_maps_are_non_negative_at_the_input_size():
    model = Net().double()
    x = np.random.default_rng(0).standard_normal((3, 1, 6, 6))
    by_name, by_module = grad_cam(model, x, 2, layer="features.2"), grad_cam(model, x, 2, layer=model.features[2])
    np.testing.assert_array_equal(by_name, by_module)
    assert by_name.shape == (3, 6, 6) and (by_name >= 0).all()
    default = grad_cam(model, x, 2)  # the features Sequential finishes last; its output is the Tanh's
    np.testing.assert_array_equal(default, grad_cam(model, x, 2, layer="features.3"))
    assert not np.array_equal(default, by_name)


def twice_used(nn):
    """A convolution applied twice (shared weights); Grad-CAM reads its feature maps at the last call."""
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.first, self.conv, self.head = nn.Conv2d(1, 2, 1), nn.Conv2d(2, 2, 3, padding=1), nn.Linear(32, 3)

        def forward(self, x):
            return self.head(self.conv(self.conv(self.first(x)).relu()).flatten(1))
    return Twice().double()


def test_a_layer_called_twice_is_read_at_its_last_call_as_with_torch_hooks():
    torch.manual_seed(0)
    theirs, ours = twice_used(torch.nn), twice_used(nn)
    copy_weights(theirs, ours)
    x = images(3, seed=6)[:, :1, :4, :4]
    expected = torch_grad_cam(theirs, x, [0, 1, 2], theirs.conv)  # torch_grad_cam takes the last call too
    assert expected.max() > 0
    np.testing.assert_allclose(grad_cam(ours, x, [0, 1, 2], layer="conv"), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grad_cam(ours, x, [0, 1, 2]), expected, rtol=1e-9, atol=1e-12)  # the last 4-D


def test_a_layer_the_scores_do_not_depend_on_is_refused():
    class SideBranch(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.aux, self.head = nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 1), nn.Linear(32, 3)

        def forward(self, x):
            features = self.conv(x)
            self.aux(features)  # computed, then dropped: the last 4-D output, but no gradient reaches it
            return self.head(features.flatten(1))
    model, x = SideBranch(), np.ones((2, 1, 4, 4))
    with pytest.raises(ValueError, match="do not depend on the output of layer 'aux'"):
        grad_cam(model, x)
    assert grad_cam(model, x, layer="conv").shape == (2, 4, 4)


def test_a_layer_with_one_position_spreads_its_value_over_the_whole_image():
    # A 1x1 feature map upsampled bilinearly is constant: ReLU(sum_k alpha_k A^k) everywhere.
    model = nn.Sequential(nn.Conv2d(1, 2, 4), nn.Flatten(), nn.Linear(2, 2)).double()
    x = np.random.default_rng(1).standard_normal((2, 1, 4, 4))
    maps = grad_cam(model, x, 0)
    a = model[0](bp.tensor(x)).detach().numpy()[:, :, 0, 0]
    expected = np.maximum(a @ model[2].weight.detach().numpy()[0], 0)  # alpha_k = w_0k: y_0 = sum_k w_0k A^k
    np.testing.assert_allclose(maps, np.broadcast_to(expected[:, None, None], (2, 4, 4)), rtol=1e-12)


def test_the_model_runs_in_eval_mode_gets_its_mode_back_and_hooks_are_removed():
    ours, theirs = cnn_twins()
    x = images(2)
    ours.train()
    maps = grad_cam(ours, x, 1)  # in training mode the batch norm would use the batch's statistics
    np.testing.assert_allclose(maps, torch_grad_cam(theirs, x, [1, 1], theirs[5]), rtol=1e-9, atol=1e-12)
    assert all(module.training for module in ours.modules())
    assert not any(module._forward_hooks for module in ours.modules())
    with pytest.raises(ValueError):
        grad_cam(ours, x, layer="6")
    assert not any(module._forward_hooks for module in ours.modules()) and ours.training


def test_bad_layers_are_refused_with_a_clear_message():
    ours, _ = cnn_twins()
    x = images(2)
    with pytest.raises(ValueError, match="no layer named 'conv'.*'0', '1'"):
        grad_cam(ours, x, layer="conv")
    with pytest.raises(ValueError, match="not a module of Sequential"):
        grad_cam(ours, x, layer=nn.Conv2d(3, 4, 3))
    with pytest.raises(ValueError, match=r"layer '7' outputs \(2, 5\)"):
        grad_cam(ours, x, layer="7")
    with pytest.raises(TypeError, match="layer must be"):
        grad_cam(ours, x, layer=4)
    unused = Net()
    unused.spare = nn.Conv2d(1, 1, 1)
    with pytest.raises(ValueError, match="'spare' was not called"):
        grad_cam(unused, np.ones((1, 1, 6, 6)), layer="spare")


def test_models_without_feature_maps_and_inputs_that_are_not_images_are_refused():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match="no module of the model outputs a 4-D"):
        grad_cam(mlp, np.ones((2, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"images \(N, C, H, W\), got an input of shape \(2, 4\)"):
        grad_cam(nn.Linear(4, 2), np.ones((2, 4)))


def test_bad_targets_are_refused():
    ours, _ = cnn_twins()
    x = images(2)
    with pytest.raises(ValueError, match=rf"\[0, {CLASSES}\)"):
        grad_cam(ours, x, CLASSES)
    with pytest.raises(ValueError, match="one target per example"):
        grad_cam(ours, x, [0, 1, 2])
    with pytest.raises(TypeError, match="int class index"):
        grad_cam(ours, x, "cat")

"""What every explanation method shares: one example alone gets its map from a batch, a float64 input into a
float32 model, a target given as a Tensor, an empty batch, a model that does not output class scores."""
import numpy as np
import pytest

import backprop as bp
from backprop import nn
from backprop.explain import grad_cam, gradient_x_input, integrated_gradients, lrp, saliency

from . import cnn_twins, images

METHODS = [saliency, gradient_x_input, integrated_gradients, lrp, grad_cam]


@pytest.mark.parametrize("method", METHODS)
def test_a_batch_of_one_gets_the_map_that_example_gets_in_a_batch(method):
    ours, _ = cnn_twins()
    x, targets = images(3, seed=7), [4, 0, 2]
    together = method(ours, x, targets)
    for i in range(3):
        alone = method(ours, x[i:i + 1], targets[i])
        assert alone.shape == (1, 8, 8)
        np.testing.assert_allclose(alone[0], together[i], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_a_float64_input_into_a_float32_model_gives_the_float32_inputs_map(method):
    ours, _ = cnn_twins()
    model = ours.float()
    x = images(2, seed=8)
    expected = method(model, x.astype(np.float32), 1)
    np.testing.assert_allclose(method(model, x, 1), expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize("method", METHODS)
def test_a_target_tensor_is_the_same_as_its_ints(method):
    ours, _ = cnn_twins()
    x = images(2, seed=9)
    np.testing.assert_array_equal(method(ours, x, bp.tensor([3, 1])), method(ours, x, [3, 1]))
    np.testing.assert_array_equal(method(ours, x, bp.tensor(2)), method(ours, x, 2))


@pytest.mark.parametrize("method", METHODS)
def test_an_empty_batch_gives_no_maps(method):
    ours, _ = cnn_twins()
    for target in (None, 1):
        assert method(ours, np.zeros((0, 2, 8, 8)), target).shape == (0, 8, 8)


@pytest.mark.parametrize("method", [saliency, gradient_x_input, integrated_gradients])
def test_a_model_without_class_scores_is_refused(method):
    class Scalar(nn.Module):  # one number per example, (N,): not class scores (N, K)
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 1)

        def forward(self, x):
            return self.linear(x).flatten()
    with pytest.raises(ValueError, match=r"class scores \(N, K\), got shape \(2,\)"):
        method(Scalar(), np.ones((2, 3)))


@pytest.mark.parametrize("method", METHODS)
def test_targets_of_another_shape_are_refused_with_their_shape(method):
    ours, _ = cnn_twins()
    x = images(3)
    with pytest.raises(ValueError, match=r"one target per example, shape \(3,\), got shape \(2,\)"):
        method(ours, x, [0, 1])
    with pytest.raises(ValueError, match=r"got shape \(3, 1\)"):  # a column of labels, as a loader may give
        method(ours, x, np.array([[0], [1], [2]]))

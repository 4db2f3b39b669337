"""deep_vs_shallow: parameter counts, the matched widths, the compositional target."""
import math

import numpy as np
import pytest

from backprop import models
from backprop.experiments import deep_vs_shallow as dvs


@pytest.mark.parametrize("depth, width, input_shape, outputs",
                         [(1, 5, (1, 1, 8), 1), (3, 32, (1, 1, 8), 1), (7, 64, (1, 8, 8), 10), (2, 3, (1, 2, 2), 1)])
def test_parameters_formula_counts_the_nets_weights_and_biases(depth, width, input_shape, outputs):
    model = dvs.net(input_shape, outputs, depth, width)
    assert dvs.parameters(depth, width, math.prod(input_shape), outputs) == models.count_parameters(model)


def test_parameters_by_hand():
    # 4 inputs -> 3 -> 3 -> 1: (4 + 1) 3 + (3 + 1) 3 + (3 + 1) 1 = 15 + 12 + 4
    assert dvs.parameters(2, 3, 4, 1) == 31
    with pytest.raises(ValueError, match="depth and width must be >= 1"):
        dvs.parameters(0, 3, 4, 1)


@pytest.mark.parametrize("inputs, outputs, width", [(8, 1, 32), (64, 10, 64), (64, 10, 2048)])
def test_matching_width_matches_every_lecture_depth_within_one_percent(inputs, outputs, width):
    for depth in (2, 3, 4, 5, 7):
        budget = dvs.parameters(depth, width, inputs, outputs)
        shallow = dvs.parameters(1, dvs.matching_width(budget, inputs, outputs), inputs, outputs)
        assert abs(shallow - budget) <= (inputs + 1 + outputs) / 2
        assert abs(shallow - budget) / budget < 0.01


def test_the_lectures_pairs_have_about_the_same_size():
    # Seide et al.: 5x2k and 1x3772, 7x2k and 1x4634 hold the same parameters (429 inputs, 9304 outputs)
    for depth, wide in ((5, 3772), (7, 4634)):
        assert abs(dvs.matching_width(dvs.parameters(depth, 2048, 429, 9304), 429, 9304) - wide) / wide < 0.01


def test_target_by_hand():
    x = np.zeros((3, 8))
    x[1, :2] = [0.5, -0.5]  # h(0.5, -0.5) = tanh(-0.5 + 1) = tanh(0.5); then h(t, 0) = tanh(t) twice
    x[2, 7] = 1.0  # h(0, 1) = tanh(-1); h(0, tanh(-1)) = tanh(-tanh(-1)) ...
    f = dvs.target(x)
    assert f.shape == (3, 1)
    assert f[0, 0] == 0.0
    assert f[1, 0] == pytest.approx(np.tanh(np.tanh(np.tanh(0.5))))
    assert f[2, 0] == pytest.approx(np.tanh(-np.tanh(-np.tanh(-1.0))))
    with pytest.raises(ValueError, match=r"shape \(n, 8\)"):
        dvs.target(np.zeros((2, 6)))


def test_compositional_draws_seeded_points_in_the_cube():
    x, y = dvs.compositional(50, seed=3)
    again, _ = dvs.compositional(50, seed=3)
    assert x.shape == (50, 1, 1, 8) and y.shape == (50, 1) and x.dtype == y.dtype == np.float32
    assert np.array_equal(x, again) and np.abs(x).max() <= 1
    np.testing.assert_allclose(y, dvs.target(x.reshape(50, 8)), rtol=1e-6)
    assert not np.array_equal(x, dvs.compositional(50, seed=4)[0])

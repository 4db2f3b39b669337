"""Universal approximation experiment: the target, the grid, the net, the error's slope, one small fit."""
import math

import numpy
import pytest

from backprop.experiments import universal_approximation as ua
from backprop.models import count_parameters


def test_target_at_hand_points():
    points = numpy.array([[0.5, 0.0], [0.0, 0.3], [0.5, 1.0], [-0.5, 0.0], [1 / 6, 1 / 3]])
    expected = [1.0, 0.0, -1.0, -1.0, 0.5 * 0.5]  # sin(pi/6) cos(pi/3) = 1/2 * 1/2
    numpy.testing.assert_allclose(ua.target(points)[:, 0], expected, atol=1e-12)
    with pytest.raises(ValueError, match=r"points of shape \(N, 2\), got \(4,\)"):
        ua.target(numpy.zeros(4))


def test_target_variance_over_the_square_is_a_quarter():
    # E[sin^2(pi x)] E[cos^2(pi y)] = 1/2 * 1/2 and the mean is 0, which the setup's 1e-3 threshold is judged against
    values = ua.target(ua.grid(401))
    assert values.mean() == pytest.approx(0, abs=1e-9) and values.var() == pytest.approx(0.25, rel=0.01)


def test_grid_runs_x_fastest_over_the_square():
    points = ua.grid(3)
    assert points.tolist() == [[-1, -1], [0, -1], [1, -1], [-1, 0], [0, 0], [1, 0], [-1, 1], [0, 1], [1, 1]]


def test_one_hidden_layer_has_4u_plus_1_parameters():
    for units in (1, 4, 256):
        assert count_parameters(ua.one_hidden_layer(units)) == 4 * units + 1
    with pytest.raises(ValueError, match="at least one hidden unit, got 0"):
        ua.one_hidden_layer(0)


def test_more_units_fit_better_on_points_not_trained_on():
    train = numpy.random.default_rng(0).uniform(-1, 1, size=(256, 2))
    test = ua.grid(21)
    one, _ = ua.fit_width(1, train, 300, 0, test)
    sixteen, output = ua.fit_width(16, train, 300, 0, test)
    assert output.shape == (21 * 21, 1)
    assert one > 0.15        # one ReLU unit is a ramp: it cannot follow two bumps of each sign
    assert sixteen < one / 5
    assert math.isfinite(sixteen)

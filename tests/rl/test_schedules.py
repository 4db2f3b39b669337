"""Epsilon schedules: their values by hand, and bad arguments refused."""
import numpy as np
import pytest

from backprop.rl.schedules import ExponentialDecay, LinearDecay


def test_linear_decay_is_a_straight_line_then_flat():
    schedule = LinearDecay(1.0, 0.1, steps=4)
    assert [schedule.value(t) for t in range(7)] == pytest.approx([1.0, 0.775, 0.55, 0.325, 0.1, 0.1, 0.1])
    assert LinearDecay(0.2, 0.6, steps=2).value(1) == pytest.approx(0.4)      # it may rise too
    assert LinearDecay(0.3, 0.3, steps=1).value(10**9) == 0.3                 # a constant
    assert LinearDecay(1.0, 0.0, steps=10).value(np.int64(5)) == pytest.approx(0.5)


def test_exponential_decay_multiplies_by_the_rate_down_to_the_floor():
    schedule = ExponentialDecay(1.0, 0.05, rate=0.5)
    assert [schedule.value(t) for t in range(7)] == pytest.approx([1.0, 0.5, 0.25, 0.125, 0.0625, 0.05, 0.05])
    assert ExponentialDecay(0.8, 0.0, rate=0.99).value(100) == pytest.approx(0.8 * 0.99 ** 100)
    assert ExponentialDecay(0.5, 0.1, rate=1.0).value(1000) == 0.5


@pytest.mark.parametrize("make", [
    lambda: LinearDecay(1.0, 0.1, steps=0),
    lambda: LinearDecay(1.0, 0.1, steps=2.5),
    lambda: LinearDecay(-1.0, 0.1, steps=10),
    lambda: LinearDecay(float("nan"), 0.1, steps=10),
    lambda: ExponentialDecay(1.0, 0.1, rate=0.0),
    lambda: ExponentialDecay(1.0, 0.1, rate=1.5),
    lambda: ExponentialDecay(1.0, "0.1", rate=0.5),
])
def test_bad_arguments_are_refused(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize("t", [-1, 1.5, True, "3"])
def test_value_needs_a_step_count(t):
    for schedule in (LinearDecay(1.0, 0.1, steps=5), ExponentialDecay(1.0, 0.1, rate=0.5)):
        with pytest.raises(ValueError, match="t"):
            schedule.value(t)

"""Schedules for the exploration rate epsilon: explore much at first, then less and less.

An epsilon-greedy agent takes a random action with probability epsilon_t and
its greedy action argmax_a Q(s, a) otherwise. Early on Q is a guess, so the
agent should explore; later it should mostly exploit what it has learnt. For
tabular Q-learning and Sarsa, t counts episodes; for DQN, environment steps.

- ``LinearDecay(start, end, steps)``: epsilon_t = start + (end - start) min(t, steps) / steps,
  a straight line from ``start`` to ``end`` in ``steps``, then ``end``.
- ``ExponentialDecay(start, end, rate)``: epsilon_t = max(end, start rate^t),
  a constant factor per step, never below ``end``.

>>> LinearDecay(1.0, 0.1, steps=10).value(5)
0.55
>>> ExponentialDecay(1.0, 0.1, rate=0.5).value(2)
0.25
"""
import math
import numbers

import numpy

from backprop.data.datasets.synthetic import check_count

__all__ = ["LinearDecay", "ExponentialDecay", "check_number", "check_flag", "check_widths"]


def check_number(owner, name, value, low=0.0, high=math.inf):
    """``value`` as a float if it is a finite number in [low, high] (bools, NaN and inf refused), else a ValueError."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
            or not low <= value <= high):
        within = f"in [{low:g}, {high:g}]" if high < math.inf else f">= {low:g} and finite"
        raise ValueError(f"{owner} {name} must be a number {within}, got {value!r}")
    return float(value)


def check_flag(owner, name, value):
    """``value`` if it is True or False (a string such as "maybe" or a number is refused, not read as true)."""
    if not isinstance(value, (bool, numpy.bool_)):
        raise ValueError(f"{owner} {name} must be true or false, got {value!r}")
    return bool(value)


def check_widths(owner, hidden):
    """The widths of the hidden layers as a list of ints >= 1: one int, or a list (empty: no hidden layer)."""
    widths = [hidden] if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool) else hidden
    if not isinstance(widths, (list, tuple)):
        raise ValueError(f"{owner} hidden must be a width or a list of widths (ints >= 1), got {hidden!r}")
    return [check_count(f"{owner} hidden width", width) for width in widths]


class LinearDecay:
    """epsilon_t = start + (end - start) min(t, steps) / steps: ``start`` at t = 0, ``end`` from t = ``steps`` on."""

    def __init__(self, start, end, steps):
        self.start = check_number("LinearDecay", "start", start)
        self.end = check_number("LinearDecay", "end", end)
        self.steps = check_count("LinearDecay steps", steps)

    def value(self, t):
        t = check_count("LinearDecay.value t", t, low=0)
        return self.start + (self.end - self.start) * min(t, self.steps) / self.steps

    def __repr__(self):
        return f"LinearDecay(start={self.start}, end={self.end}, steps={self.steps})"


class ExponentialDecay:
    """epsilon_t = max(end, start rate^t), 0 < rate <= 1: the value shrinks by the factor ``rate`` each step."""

    def __init__(self, start, end, rate):
        self.start = check_number("ExponentialDecay", "start", start)
        self.end = check_number("ExponentialDecay", "end", end)
        self.rate = check_number("ExponentialDecay", "rate", rate, high=1.0)
        if self.rate == 0.0:
            raise ValueError("ExponentialDecay rate must be in (0, 1], got 0")

    def value(self, t):
        t = check_count("ExponentialDecay.value t", t, low=0)
        return max(self.end, self.start * self.rate ** t)

    def __repr__(self):
        return f"ExponentialDecay(start={self.start}, end={self.end}, rate={self.rate})"

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
from backprop.checks import check_int, check_number

__all__ = ["LinearDecay", "ExponentialDecay"]


class LinearDecay:
    """epsilon_t = start + (end - start) min(t, steps) / steps: ``start`` at t = 0, ``end`` from t = ``steps`` on."""

    def __init__(self, start, end, steps):
        self.start = check_number("LinearDecay start", start, at_least=0)
        self.end = check_number("LinearDecay end", end, at_least=0)
        self.steps = check_int("LinearDecay steps", steps, at_least=1)

    def value(self, t):
        t = check_int("LinearDecay.value t", t, at_least=0)
        return self.start + (self.end - self.start) * min(t, self.steps) / self.steps

    def __repr__(self):
        return f"LinearDecay(start={self.start}, end={self.end}, steps={self.steps})"


class ExponentialDecay:
    """epsilon_t = max(end, start rate^t), 0 < rate <= 1: the value shrinks by the factor ``rate`` each step."""

    def __init__(self, start, end, rate):
        self.start = check_number("ExponentialDecay start", start, at_least=0)
        self.end = check_number("ExponentialDecay end", end, at_least=0)
        self.rate = check_number("ExponentialDecay rate", rate, above=0, at_most=1)

    def value(self, t):
        t = check_int("ExponentialDecay.value t", t, at_least=0)
        return max(self.end, self.start * self.rate ** t)

    def __repr__(self):
        return f"ExponentialDecay(start={self.start}, end={self.end}, rate={self.rate})"

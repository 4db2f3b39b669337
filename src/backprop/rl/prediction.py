"""TD(0) prediction: learn the value V^pi(s) of a fixed policy from its episodes, with a table, a linear function
or a network.

V^pi(s) is the expected return from s when following pi. TD(0) (Sutton 1988)
moves the estimate after every step (s, r, s') towards the one-step target
r + gamma V(s'), without waiting for the end of the episode:

    delta = r + gamma V(s') - V(s)        (V(s') = 0 when s' is terminal)
    V(s) <- V(s) + alpha delta            a table: one entry per state

When the states no longer fit in a table, a function V(s; w) with weights w
approximates it, and the step moves the weights along the gradient of V(s):

    w <- w + alpha delta grad_w V(s; w)   the semi-gradient TD(0) update
    linear: V(s; w) = w^T x(s), grad_w V = x(s), so w <- w + alpha delta x(s)

It is the gradient step on the loss (target - V(s; w))^2 / 2 with the target
held constant: "semi" because the target r + gamma V(s'; w) depends on w too
and that dependence is ignored. With one-hot features x(s) = e_s the linear
case is exactly the table. A network V(s; w) is trained the same way
(``NetworkValue``): the loss through backpropagation, then an optimiser step.

``RandomWalk`` is Sutton and Barto's test bed (Example 6.2): five states A..E
in a row, true values 1/6 .. 5/6.
"""
import numbers

import numpy

from backprop.autograd import no_grad
from backprop.checks import check_int, check_number
from backprop.creation import tensor

__all__ = ["td0", "TabularValue", "LinearValue", "NetworkValue", "RandomWalk"]


def td0(env, policy, value, episodes, *, alpha, gamma, seed=0, callback=None):
    """TD(0) prediction of V^pi for ``policy(observation) -> action`` on ``env``, in place in ``value`` (a
    ``TabularValue``, ``LinearValue`` or ``NetworkValue``). After each step, ``value.update(s, target, alpha)``
    with target r + gamma V(s') (r alone when s' is terminal; a time limit still bootstraps). The first reset is
    seeded with ``seed``. Returns the return of each episode; ``callback(episode, episode_return)`` may return
    True to stop."""
    episodes = check_int("td0 episodes", episodes, at_least=1)
    alpha = check_number("td0 alpha", alpha, at_least=0)
    gamma = check_number("td0 gamma", gamma, at_least=0, at_most=1)
    returns = []
    for episode in range(episodes):
        observation, _ = env.reset(seed=seed if episode == 0 else None)
        total = 0.0
        while True:
            next_observation, r, terminated, truncated, _ = env.step(policy(observation))
            target = float(r) if terminated else float(r) + gamma * value.predict(next_observation)
            value.update(observation, target, alpha)
            total += float(r)
            if terminated or truncated:
                break
            observation = next_observation
        returns.append(total)
        if callback is not None and callback(episode, total):
            break
    return returns


class TabularValue:
    """A table V of ``n_states`` entries, all 0 at first: V(s) <- V(s) + alpha (target - V(s))."""

    def __init__(self, n_states):
        self.v = numpy.zeros(check_int("TabularValue n_states", n_states, at_least=1))

    def _state(self, s):
        if isinstance(s, numbers.Integral) and not isinstance(s, bool) and 0 <= s < len(self.v):
            return int(s)
        raise ValueError(f"TabularValue expects a state index in 0..{len(self.v) - 1}, got {s!r}")

    def predict(self, s):
        return float(self.v[self._state(s)])

    def update(self, s, target, alpha):
        """One step towards ``target``; returns delta = target - V(s) before it."""
        s = self._state(s)
        delta = float(target) - self.v[s]
        self.v[s] += alpha * delta
        return float(delta)


class LinearValue:
    """V(s; w) = w^T x(s) with ``features(s)`` -> x(s), a vector of ``size`` numbers; w starts at 0.
    The update w <- w + alpha (target - w^T x(s)) x(s)."""

    def __init__(self, features, size):
        if not callable(features):
            raise ValueError(f"LinearValue expects features, a function state -> vector, got {features!r}")
        self.features = features
        self.w = numpy.zeros(check_int("LinearValue size", size, at_least=1))

    def _x(self, s):
        x = numpy.asarray(self.features(s), dtype=numpy.float64)
        if x.shape != self.w.shape:
            raise ValueError(f"LinearValue: features(s) must give a vector of shape {tuple(self.w.shape)}, got {tuple(x.shape)} "
                             f"for s = {s!r}")
        return x

    def predict(self, s):
        return float(self.w @ self._x(s))

    def update(self, s, target, alpha):
        x = self._x(s)
        delta = float(target) - float(self.w @ x)
        self.w += alpha * delta * x
        return delta


class NetworkValue:
    """V(s; w) = module(x(s)), a network with one output; ``features(s)`` -> x(s) (default: s itself as a vector).

    ``update(s, target, alpha)`` takes one step of ``optimizer`` on the loss (target - V(s; w))^2 / 2, the target a
    plain number (held constant), with the optimiser's learning rate set to alpha: with ``optim.SGD`` that is
    w <- w + alpha delta grad_w V(s; w), the semi-gradient TD(0) update."""

    def __init__(self, module, optimizer, features=None):
        self.module, self.optimizer = module, optimizer
        self.features = features if features is not None else (lambda s: s)

    def _output(self, s):
        x = numpy.atleast_1d(numpy.asarray(self.features(s), dtype=numpy.float32))
        output = self.module(tensor(x[None]))
        if output.numel() != 1:
            raise ValueError(f"NetworkValue expects a network with one output V(s), got an output of shape "
                             f"{tuple(output.shape)} for an input of shape {(1, *x.shape)}")
        return output.sum()

    def predict(self, s):
        with no_grad():
            return self._output(s).item()

    def update(self, s, target, alpha):
        for group in self.optimizer.param_groups:
            group["lr"] = alpha
        value = self._output(s)
        delta = float(target) - value.item()
        loss = (value - float(target)) ** 2 / 2
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return delta


class RandomWalk:
    """Sutton and Barto's random walk (Example 6.2), a gymnasium-like environment whose moves ignore the action.

    States 0 .. n + 1: 0 and n + 1 are the terminal ends, 1 .. n (A .. E for n = 5) the walk, which starts in the
    middle and steps left or right with probability 1/2 each. Reaching the right end gives reward 1, every other
    step 0, so with gamma = 1 the true value V(s) = P(ending on the right | s) = s / (n + 1).
    """

    def __init__(self, n=5):
        self.n = check_int("RandomWalk n", n, at_least=1)
        self.n_states = self.n + 2
        self.state = None
        self._rng = numpy.random.default_rng()

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = numpy.random.default_rng(seed)
        self.state = (self.n + 1) // 2
        return self.state, {}

    def step(self, action):
        if self.state is None or self.state in (0, self.n + 1):
            raise RuntimeError("RandomWalk.step: call reset() first (the episode has ended or not begun)")
        self.state += 1 if self._rng.random() < 0.5 else -1
        terminated = self.state in (0, self.n + 1)
        return self.state, float(self.state == self.n + 1), terminated, False, {}

"""Experience replay (Lin 1992; Mnih et al. 2015): remember transitions, learn from random batches of them.

An agent that learns only from the transition it just made sees strongly
correlated samples (s_t and s_{t+1} look alike) and forgets what it no longer
visits. A replay buffer keeps the last ``capacity`` transitions
(s, a, r, s', done) and draws each mini-batch uniformly from them, so one
batch mixes moments of many episodes and every transition is used for many
updates. It is a ring: once full, a new transition overwrites the oldest.

``done`` is 1 only when s' is terminal (the episode *terminated*): the target
r + gamma (1 - done) max_a' Q(s', a') then stops at r. A time limit
(*truncated*) is not a terminal state, so such a transition is stored with
done = 0 and the target still bootstraps from s'.

>>> buffer = ReplayBuffer(capacity=3, observation_size=2)
>>> for t in range(5):
...     buffer.add([t, t], 0, 1.0, [t + 1, t + 1], False)
>>> len(buffer)
3
>>> sorted(set(buffer.sample(100)["observations"][:, 0].tolist()))   # s = 0 and 1 were overwritten
[2.0, 3.0, 4.0]
"""
import numpy

from backprop.checks import check_int

__all__ = ["ReplayBuffer"]


class ReplayBuffer:
    """A ring of ``capacity`` transitions in NumPy arrays; ``sample`` draws uniformly (with replacement) from the
    filled slots with a generator seeded by ``seed``."""

    def __init__(self, capacity, observation_size, seed=0):
        self.capacity = check_int("ReplayBuffer capacity", capacity, at_least=1)
        self.observation_size = check_int("ReplayBuffer observation_size", observation_size, at_least=1)
        self.observations = numpy.zeros((self.capacity, self.observation_size), dtype=numpy.float32)
        self.next_observations = numpy.zeros_like(self.observations)
        self.actions = numpy.zeros(self.capacity, dtype=numpy.int64)
        self.rewards = numpy.zeros(self.capacity, dtype=numpy.float32)
        self.dones = numpy.zeros(self.capacity, dtype=numpy.float32)
        self.position = 0   # the slot the next transition goes to
        self.size = 0
        self.generator = numpy.random.default_rng(seed)

    def __len__(self):
        return self.size

    def _observation(self, name, value):
        array = numpy.asarray(value, dtype=numpy.float32).reshape(-1)
        if array.size != self.observation_size:
            raise ValueError(f"ReplayBuffer.add: {name} must have {self.observation_size} values, "
                             f"got shape {numpy.shape(value)}")
        return array

    def add(self, observation, action, reward, next_observation, done):
        """Store (s, a, r, s', done) in the next slot, overwriting the oldest transition when full; ``done``: s' is
        terminal (not a time limit)."""
        i = self.position
        self.observations[i] = self._observation("observation", observation)
        self.next_observations[i] = self._observation("next_observation", next_observation)
        self.actions[i] = int(action)
        self.rewards[i] = float(reward)
        self.dones[i] = float(bool(done))
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        """``batch_size`` transitions drawn uniformly with replacement: a dict of arrays ``observations`` (B, n),
        ``actions`` (B,) int64, ``rewards`` (B,), ``next_observations`` (B, n), ``dones`` (B,) of 0./1."""
        batch_size = check_int("ReplayBuffer.sample batch_size", batch_size, at_least=1)
        if self.size == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty; add transitions first")
        index = self.generator.integers(0, self.size, size=batch_size)
        return {"observations": self.observations[index], "actions": self.actions[index],
                "rewards": self.rewards[index], "next_observations": self.next_observations[index],
                "dones": self.dones[index]}

    def __repr__(self):
        return f"ReplayBuffer(capacity={self.capacity}, observation_size={self.observation_size}, size={self.size})"

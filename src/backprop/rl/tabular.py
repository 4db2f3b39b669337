"""Tabular Q-learning and Sarsa: one row per state, one entry per action.

The lectures' starting point, "one row per state-action entry": a table Q of
shape (S, A) holds for each state s and action a the expected discounted
return G = r_1 + gamma r_2 + gamma^2 r_3 + ... of taking a in s. Each step
(s, a, r, s') moves one entry towards a target, by a step size alpha:

    delta = target - Q(s, a)             (the TD error)
    Q(s, a) <- Q(s, a) + alpha delta

- Q-learning (Watkins 1989), off-policy: target = r + gamma max_a' Q(s', a').
  It learns the values Q* of the greedy (optimal) policy, whatever the agent
  does while it explores.
- Sarsa (Rummery and Niranjan 1994), on-policy: target = r + gamma Q(s', a')
  with a' the action the agent takes next (s, a, r, s', a': its name). It
  learns the values of the exploring policy itself, exploration included.

Beyond a terminal state no reward comes: there the target is r alone. An
episode cut by a time limit (gymnasium's ``truncated``) has not reached a
terminal state, so its last target still bootstraps from Q(s', .).

The agent acts epsilon-greedily: a random action with probability epsilon,
else argmax_a Q(s, a) with ties broken at random (every entry starts at 0, and
always taking the first of equal actions would never try the others).
epsilon decays per episode in a straight line from ``epsilon`` to
``epsilon_end`` over ``epsilon_decay_episodes`` episodes (``LinearDecay``).
"""
import numbers

import numpy

from backprop.creation import tensor
from backprop.checks import check_int, check_number
from backprop.rl.schedules import LinearDecay
from backprop.tensor import Tensor

__all__ = ["QLearning", "Sarsa"]


class _Tabular:
    """What Q-learning and Sarsa share: the table, epsilon-greedy actions, the update and the training loop.
    A subclass says which next value the target uses (``_next_value``) and whether a' is chosen before the update."""

    chooses_next_action = False     # Sarsa's target needs a' before the update; Q-learning picks a' afterwards

    def __init__(self, n_states, n_actions, *, alpha=0.1, gamma=0.99, epsilon=1.0, epsilon_end=0.01,
                 epsilon_decay_episodes=1000, seed=0):
        name = type(self).__name__
        self.n_states = check_int(f"{name} n_states", n_states, at_least=1)
        self.n_actions = check_int(f"{name} n_actions", n_actions, at_least=1)
        self.alpha = check_number(f"{name} alpha", alpha, above=0, at_most=1)   # 0: the table would never move
        self.gamma = check_number(f"{name} gamma", gamma, at_least=0, at_most=1)
        self.schedule = LinearDecay(check_number(f"{name} epsilon", epsilon, at_least=0, at_most=1),
                                    check_number(f"{name} epsilon_end", epsilon_end, at_least=0, at_most=1),
                                    check_int(f"{name} epsilon_decay_episodes", epsilon_decay_episodes, at_least=1))
        self.config = {"alpha": self.alpha, "gamma": self.gamma, "epsilon": self.schedule.start,
                       "epsilon_end": self.schedule.end, "epsilon_decay_episodes": self.schedule.steps,
                       "seed": check_int(f"{name} seed", seed, at_least=0)}
        self.q = numpy.zeros((self.n_states, self.n_actions))
        self.episodes = 0           # episodes trained so far: the schedule's t
        self.rng = numpy.random.default_rng(seed)

    @property
    def epsilon(self):
        """The exploration rate of the current episode."""
        return self.schedule.value(self.episodes)

    def _state(self, observation, what="state"):
        if (isinstance(observation, numbers.Integral) and not isinstance(observation, bool)
                and 0 <= observation < self.n_states):
            return int(observation)
        raise ValueError(f"{type(self).__name__} expects a {what} index in 0..{self.n_states - 1} (a Discrete "
                         f"observation; a table cannot hold continuous states: use DQN), got {observation!r}")

    def _action(self, action, what="action"):
        if isinstance(action, numbers.Integral) and not isinstance(action, bool) and 0 <= action < self.n_actions:
            return int(action)
        raise ValueError(f"{type(self).__name__} expects an {what} in 0..{self.n_actions - 1}, got {action!r}")

    def greedy_action(self, s):
        """argmax_a Q(s, a), a tie broken uniformly at random."""
        row = self.q[s]
        best = numpy.flatnonzero(row == row.max())
        return int(best[0]) if len(best) == 1 else int(best[self.rng.integers(len(best))])

    def act(self, observation, greedy=False):
        """A random action with probability epsilon (never when ``greedy``), else the greedy action."""
        s = self._state(observation)
        if not greedy and self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.n_actions))
        return self.greedy_action(s)

    def update(self, s, a, r, s2, done, a2=None):
        """Q(s, a) <- Q(s, a) + alpha (target - Q(s, a)); ``done`` means s2 is terminal (target r), not a time
        limit. Returns the TD error delta = target - Q(s, a) before the step."""
        s, a, s2 = self._state(s), self._action(a), self._state(s2, "next state")
        target = float(r) if done else float(r) + self.gamma * self._next_value(s2, a2)
        delta = target - self.q[s, a]
        self.q[s, a] += self.alpha * delta
        return float(delta)

    def train(self, env, episodes, *, seed=0, callback=None):
        """Learn from ``episodes`` episodes of ``env``; returns each episode's return (undiscounted sum of rewards).
        The agent's generator restarts from ``seed`` and so does the first reset, later resets continue the env's
        generator: the same seed gives the same returns. ``callback(episode, episode_return)``, episode counted
        from 0 in this call, may return True to stop early."""
        episodes = check_int(f"{type(self).__name__}.train episodes", episodes, at_least=1)
        self._check_env(env)
        self.rng = numpy.random.default_rng(seed)
        returns = []
        for episode in range(episodes):
            returns.append(self._episode(env, seed if episode == 0 else None))
            self.episodes += 1
            if callback is not None and callback(episode, returns[-1]):
                break
        return returns

    def _episode(self, env, seed):
        observation, _ = env.reset(seed=seed)
        s = self._state(observation)
        a = self.act(s)
        total = 0.0
        while True:
            observation, r, terminated, truncated, _ = env.step(a)
            total += float(r)
            s2 = self._state(observation, "next state")
            a2 = self.act(s2) if self.chooses_next_action and not terminated else None
            self.update(s, a, r, s2, terminated, a2)
            if terminated or truncated:
                return total
            s, a = s2, (a2 if a2 is not None else self.act(s2))

    def _check_env(self, env):
        sizes = (getattr(getattr(env, "observation_space", None), "n", None),
                 getattr(getattr(env, "action_space", None), "n", None))
        for size, mine, what in zip(sizes, (self.n_states, self.n_actions), ("states", "actions")):
            if size is not None and int(size) != mine:
                raise ValueError(f"{type(self).__name__} has a table for {self.n_states} states and {self.n_actions} "
                                 f"actions, the environment has {int(size)} {what}")

    def state_dict(self):
        """The table, the number of episodes trained (epsilon's t) and the generator's state: enough to resume."""
        return {"q": tensor(self.q.copy()), "episodes": self.episodes, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state):
        q = state["q"]
        q = q.numpy() if isinstance(q, Tensor) else numpy.asarray(q)
        if q.shape != self.q.shape:
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected a table of shape {tuple(self.q.shape)}, "
                             f"got {tuple(q.shape)}")
        self.q = q.astype(numpy.float64)
        self.episodes = check_int(f"{type(self).__name__}.load_state_dict episodes", state["episodes"], at_least=0)
        self.rng = numpy.random.default_rng()
        self.rng.bit_generator.state = state["rng"]


class QLearning(_Tabular):
    """Q-learning: target r + gamma max_a' Q(s', a') (0 beyond a terminal state); learns Q* off-policy.

    >>> agent = QLearning(2, 2, alpha=0.5, gamma=0.9)
    >>> agent.q[1] = [0.0, 2.0]
    >>> agent.update(0, 1, r=1.0, s2=1, done=False)     # target 1 + 0.9 * 2 = 2.8, delta = 2.8 - 0
    2.8
    >>> float(agent.q[0, 1])                             # 0 + 0.5 * 2.8
    1.4
    """

    def _next_value(self, s2, a2):
        return self.q[s2].max()


class Sarsa(_Tabular):
    """Sarsa: target r + gamma Q(s', a') with a' the action taken next (``a2``, needed unless ``done``);
    learns on-policy the values of the epsilon-greedy policy it follows."""

    chooses_next_action = True

    def _next_value(self, s2, a2):
        if a2 is None:
            raise ValueError("Sarsa.update needs a2, the next action a', unless done (its target is "
                             "r + gamma Q(s', a'))")
        return self.q[s2, self._action(a2, "next action a2")]

"""REINFORCE with a baseline (Williams 1992): follow the gradient of the expected return itself.

Q-learning and DQN learn values and act greedily on them; a policy-gradient
method learns the policy directly. A network maps a state s to one score per
action, and a softmax turns the scores into the policy pi(a|s). After an
episode s_0, a_0, r_1, s_1, a_1, r_2, ..., the return that followed step t is

    G_t = sum_k gamma^k r_{t+k+1} = r_{t+1} + gamma G_{t+1}

and sum_t grad log pi(a_t|s_t) G_t is an unbiased estimate of the gradient of
the expected return. Subtracting a baseline b(s_t) that does not depend on the
action keeps it unbiased (E[grad log pi(a|s)] = 0) and makes it much less
noisy; a second network learns b(s) ~ V(s) by the squared error to G_t. One
gradient step per episode on

    loss = -sum_t log pi(a_t|s_t) (G_t - b(s_t))  +  mean_t (b(s_t) - G_t)^2

where b(s_t) in the first term is a constant (detached): the policy term moves
only the policy, the squared error only the baseline.

>>> agent = Reinforce(4, 2, hidden=(16,))
>>> agent.act([0.0, 0.1, 0.0, -0.1]) in (0, 1)
True
>>> returns_to_go([1.0, 0.0, 2.0], gamma=0.5).tolist()  # 1 + 0.5 * 0 + 0.25 * 2, 0 + 0.5 * 2, 2
[1.5, 1.0, 2.0]
"""
import numpy

from backprop import creation, optim
from backprop.autograd import no_grad
from backprop.checks import check_flag, check_int, check_number, check_widths
from backprop.models.mlp import mlp
from backprop.nn import functional as F
from backprop.rl.env import one_hot
from backprop.tensor import Tensor

__all__ = ["Reinforce", "returns_to_go"]


def returns_to_go(rewards, gamma):
    """G_t = r_{t+1} + gamma G_{t+1} for every step t of an episode (rewards[t] is r_{t+1}), as a float64 array."""
    returns = numpy.zeros(len(rewards))
    following = 0.0
    for t in reversed(range(len(rewards))):
        following = rewards[t] + gamma * following
        returns[t] = following
    return returns


class Reinforce:
    """A softmax policy network (and, with ``baseline``, a value network b(s)), one update per episode.

    ``observation_size``: the length of an observation vector, or the number of
    states of a Discrete space (each state is then given as its one-hot vector).
    ``hidden``: the widths of the hidden ReLU layers of both networks; ``lr``:
    Adam's learning rate for both; ``seed`` draws the initial weights (without
    changing backprop's generator). The actions of ``train(seed=...)`` come
    from a NumPy generator seeded with that seed.
    """

    def __init__(self, observation_size, n_actions, *, hidden=(128,), lr=1e-3, gamma=0.99, baseline=True, seed=0):
        self.observation_size = check_int("Reinforce observation_size", observation_size, at_least=1)
        self.n_actions = check_int("Reinforce n_actions", n_actions, at_least=1)
        hidden = check_widths("Reinforce hidden", hidden, empty=True)
        self.config = {"hidden": list(hidden), "lr": check_number("Reinforce lr", lr, above=0),
                       "gamma": check_number("Reinforce gamma", gamma, at_least=0, at_most=1),
                       "baseline": check_flag("Reinforce baseline", baseline),
                       "seed": check_int("Reinforce seed", seed, at_least=0)}
        self.gamma = self.config["gamma"]
        with creation.fork_rng(seed):   # the initial weights, without moving backprop's generator
            self.policy = self._network(hidden, self.n_actions)
            self.value = self._network(hidden, 1) if baseline else None
        self.policy_optimizer = optim.Adam(self.policy.parameters(), lr=lr)
        self.value_optimizer = optim.Adam(self.value.parameters(), lr=lr) if baseline else None
        self.rng = None  # the generator of the exploring actions: set by train, backprop's until then

    def _network(self, hidden, outputs):
        # mlp flattens its input (B, ...) to (B, prod(input_shape)): here (B, observation_size) stays as it is
        return mlp((1, 1, self.observation_size), outputs, hidden=hidden)

    def features(self, observations):
        """A batch of observations as a float32 Tensor (T, observation_size); Discrete states one-hot."""
        array = numpy.asarray(observations)
        if numpy.issubdtype(array.dtype, numpy.integer) and array.ndim <= 1 and self.observation_size > 1:
            array = one_hot(array.reshape(-1), self.observation_size, "Reinforce")
        array = array.astype(numpy.float32).reshape(-1, self.observation_size)
        return Tensor._make(array)

    def probabilities(self, observation):
        """pi(.|s) for one observation, as a float64 array summing to 1."""
        with no_grad():
            p = F.softmax(self.policy(self.features(observation)), dim=1).numpy()[0].astype(numpy.float64)
        return p / p.sum()

    def act(self, observation, greedy=False):
        """An action drawn from pi(.|s), or with ``greedy`` the most probable one."""
        p = self.probabilities(observation)
        if greedy:
            return int(p.argmax())
        rng = self.rng if self.rng is not None else creation.generator()
        return int(rng.choice(self.n_actions, p=p))

    def play(self, env, seed=None):
        """One episode, its actions drawn from the policy: (observations, actions, rewards), rewards[t] = r_{t+1}."""
        observation, _ = env.reset(seed=seed)
        observations, actions, rewards = [], [], []
        done = False
        while not done:
            action = self.act(observation)
            observations.append(observation)
            actions.append(action)
            observation, reward, terminated, truncated, _ = env.step(action)
            rewards.append(float(reward))
            done = terminated or truncated
        return observations, actions, rewards

    def losses(self, observations, actions, rewards):
        """(policy loss -sum_t log pi(a_t|s_t) (G_t - b(s_t)) with b detached, baseline loss mean (b - G)^2 or
        None without a baseline), two scalar Tensors of one episode."""
        states = self.features(observations)
        returns = Tensor._make(returns_to_go(rewards, self.gamma).astype(numpy.float32))
        log_pi = F.log_softmax(self.policy(states), dim=1)[numpy.arange(len(actions)), numpy.asarray(actions)]
        if self.value is None:
            return -(log_pi * returns).sum(), None
        b = self.value(states).reshape(-1)
        return -(log_pi * (returns - b.detach())).sum(), F.mse_loss(b, returns)

    def update(self, observations, actions, rewards):
        """One gradient step of each network on one episode; returns the policy loss as a float."""
        policy_loss, value_loss = self.losses(observations, actions, rewards)
        self.policy_optimizer.zero_grad()
        policy_loss.backward()
        self.policy_optimizer.step()
        if value_loss is not None:
            self.value_optimizer.zero_grad()
            value_loss.backward()
            self.value_optimizer.step()
        return policy_loss.item()

    def train(self, env, episodes, *, seed=0, callback=None):
        """Play and learn from ``episodes`` episodes; the list of their returns G_0 (undiscounted: sum of rewards).

        The first reset is seeded with ``seed``, later ones continue the env's
        generator. ``callback(episode, episode_return)`` after each episode
        stops the training when it returns True.
        """
        episodes = check_int("Reinforce.train episodes", episodes, at_least=1)
        self.rng = numpy.random.default_rng(seed)
        returns = []
        for episode in range(episodes):
            observations, actions, rewards = self.play(env, seed=seed if episode == 0 else None)
            self.update(observations, actions, rewards)
            returns.append(sum(rewards))
            if callback is not None and callback(episode, returns[-1]):
                break
        return returns

    def state_dict(self):
        """The networks' weights and the optimisers' states."""
        state = {"policy": self.policy.state_dict(), "policy_optimizer": self.policy_optimizer.state_dict()}
        if self.value is not None:
            state.update(value=self.value.state_dict(), value_optimizer=self.value_optimizer.state_dict())
        return state

    def load_state_dict(self, state):
        expected = {"policy", "policy_optimizer"} | ({"value", "value_optimizer"} if self.value is not None else set())
        if set(state) != expected:
            raise ValueError(f"Reinforce.load_state_dict: expected the keys {sorted(expected)}, got {sorted(state)}")
        self.policy.load_state_dict(state["policy"])
        self.policy_optimizer.load_state_dict(state["policy_optimizer"])
        if self.value is not None:
            self.value.load_state_dict(state["value"])
            self.value_optimizer.load_state_dict(state["value_optimizer"])

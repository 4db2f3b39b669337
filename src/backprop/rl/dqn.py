"""Deep Q-network (Mnih et al. 2015): Q-learning with a network in place of the table.

When the states do not fit in a table (CartPole's are four real numbers), a
network with weights theta maps a state s to one value per action,
Q(s, .; theta), and Q-learning's update becomes a gradient step on

    L(theta) = mean_i huber(Q(s_i, a_i; theta) - y_i),
    y_i = r_i + gamma (1 - done_i) max_a' Q(s'_i, a'; theta^-),

over a mini-batch of transitions drawn from a replay buffer. Three things
make this stable enough to work:

- experience replay: the batch mixes old and new transitions (``ReplayBuffer``);
- a target network theta^-, a lagging copy of theta, so that the target y does
  not move with every step: copied every ``target_update`` gradient updates
  (theta^- <- theta, Mnih et al.'s C), or, when ``tau`` is given, averaged
  after every update (Polyak: theta^- <- tau theta + (1 - tau) theta^-);
- the Huber loss, huber(x) = x^2 / 2 for |x| <= 1 and |x| - 1/2 beyond: its
  gradient is the error x, but never larger than 1 (Mnih et al.'s "error
  clipping"), and the gradient norm clipped to ``clip_grad_norm``.

Double DQN (van Hasselt et al. 2016, ``double=True``): the max in y both
picks and scores a' with theta^-, so noise in Q pushes y up; choosing a' with
the online network and scoring it with the target network,
y_i = r_i + gamma (1 - done_i) Q(s'_i, argmax_a' Q(s'_i, a'; theta); theta^-),
removes most of that overestimation.

done_i is 1 only for a terminal s' (terminated); at a time limit (truncated)
the episode stops but y still bootstraps from s'. Actions are epsilon-greedy,
epsilon falling linearly from ``epsilon`` to ``epsilon_end`` over
``epsilon_decay_steps`` environment steps.

>>> agent = DQN(4, 2, hidden=(16,))
>>> agent.q_network(bp.zeros(3, 4)).shape      # Q(s, .) for a batch of 3 states
backprop.Size([3, 2])
>>> agent.act([0.0, 0.1, 0.0, -0.1], greedy=True) in (0, 1)
True
"""
import numpy

import backprop as bp
from backprop import creation, models, nn, optim
from backprop.checks import check_flag, check_int, check_number, check_widths
from backprop.rl.env import copy_env, evaluate, one_hot
from backprop.rl.replay import ReplayBuffer
from backprop.rl.schedules import LinearDecay

__all__ = ["DQN", "huber"]


def huber(error):
    """Huber loss (smooth L1 with beta 1), elementwise: x^2 / 2 for |x| <= 1, |x| - 1/2 beyond.

    With m = min(|x|, 1) it is m^2 / 2 + (|x| - m): one formula for both pieces, gradient x inside, sign(x) outside.

    >>> huber(bp.tensor([0.5, -3.0])).tolist()
    [0.125, 2.5]
    """
    size = error.abs()
    inside = size.clamp(max=1.0)
    return 0.5 * inside * inside + (size - inside)


COUNTS = {"buffer_size": 1, "batch_size": 1, "learning_starts": 0, "train_every": 1, "target_update": 1,
          "epsilon_decay_steps": 1, "eval_every": 0, "eval_episodes": 1, "seed": 0}   # name: the least value


def checked_config(config):
    """DQN's hyperparameters checked, as plain values (a TypeError or ValueError names a bad one): the counts ints
    >= their least value, gamma and the epsilons in [0, 1], lr > 0, tau in (0, 1] or None, clip_grad_norm > 0 or
    None."""
    config = dict(config)
    for name, low in COUNTS.items():
        config[name] = check_int(f"DQN {name}", config[name], at_least=low)
    for name in ("gamma", "epsilon", "epsilon_end"):
        config[name] = check_number(f"DQN {name}", config[name], at_least=0, at_most=1)
    config["lr"] = check_number("DQN lr", config["lr"], above=0)
    if config["tau"] is not None:
        config["tau"] = check_number("DQN tau", config["tau"], above=0, at_most=1)
    if config["clip_grad_norm"] is not None:
        config["clip_grad_norm"] = check_number("DQN clip_grad_norm", config["clip_grad_norm"], above=0)
    if config["batch_size"] > config["buffer_size"]:
        raise ValueError(f"DQN batch_size must be <= buffer_size ({config['buffer_size']}), "
                         f"got {config['batch_size']}")
    config["hidden"] = list(check_widths("DQN hidden", config["hidden"], empty=True))
    for name in ("double", "huber"):
        config[name] = check_flag(f"DQN {name}", config[name])
    return config


class DQN:
    """Deep Q-network agent: ``act``, ``train``, ``update`` (one gradient step on a batch), ``state_dict``.

    ``q_network`` and ``target_network`` are MLPs (``hidden`` widths, ReLU) from the observation (a Discrete state
    is one-hot encoded) to one Q-value per action; Adam with ``lr``; ``seed`` draws the initial weights.
    ``eval_every`` > 0: every that many environment steps (at the end of an episode) ``train`` plays
    ``eval_episodes`` greedy episodes and keeps the weights with the best mean return, which it loads at the end
    (``best_return`` holds that mean, ``evaluations`` every (steps, mean)).
    """

    def __init__(self, observation_size, n_actions, *, hidden=(128, 128), lr=1e-3, gamma=0.99, buffer_size=50_000,
                 batch_size=64, learning_starts=1000, train_every=1, target_update=500, tau=None, double=False,
                 huber=True, clip_grad_norm=10.0, epsilon=1.0, epsilon_end=0.05, epsilon_decay_steps=10_000,
                 eval_every=0, eval_episodes=10, seed=0):
        self.observation_size = check_int("DQN observation_size", observation_size, at_least=1)
        self.n_actions = check_int("DQN n_actions", n_actions, at_least=1)
        self.config = checked_config(dict(
            hidden=hidden, lr=lr, gamma=gamma, buffer_size=buffer_size, batch_size=batch_size,
            learning_starts=learning_starts, train_every=train_every, target_update=target_update, tau=tau,
            double=double, huber=huber, clip_grad_norm=clip_grad_norm, epsilon=epsilon, epsilon_end=epsilon_end,
            epsilon_decay_steps=epsilon_decay_steps, eval_every=eval_every, eval_episodes=eval_episodes, seed=seed))
        config = self.config
        hidden = tuple(config["hidden"])
        with creation.fork_rng(seed):   # the initial weights, without moving backprop's generator
            self.q_network, self.target_network = self._network(hidden), self._network(hidden)
        self.target_network.load_state_dict(self.q_network.state_dict())
        for parameter in self.target_network.parameters():
            parameter.requires_grad_(False)
        self.optimizer = optim.Adam(self.q_network.parameters(), lr=config["lr"])
        self.epsilon = LinearDecay(config["epsilon"], config["epsilon_end"], config["epsilon_decay_steps"])
        self.buffer = ReplayBuffer(config["buffer_size"], self.observation_size, seed=seed)
        self.generator = numpy.random.default_rng(seed)
        self.steps = 0      # environment steps taken in training (epsilon's t)
        self.updates = 0    # gradient steps taken (the target network's clock)
        self.evaluations = []   # (steps, mean greedy return) of each periodic evaluation
        self.best_return, self._best_weights = None, None

    def _network(self, hidden):
        return models.mlp((self.observation_size, 1, 1), self.n_actions, hidden=hidden)

    def features(self, observation):
        """The network's input for one observation: a float32 vector; an integer state of a Discrete space one-hot."""
        array = numpy.asarray(observation)
        if array.ndim == 0 and array.dtype.kind in "iu":
            return one_hot(array, self.observation_size, "DQN")
        if array.size != self.observation_size:
            raise ValueError(f"DQN: expected an observation of {self.observation_size} values, "
                             f"got shape {tuple(array.shape)}")
        return array.astype(numpy.float32).reshape(-1)

    def q_values(self, observation):
        """Q(s, .) for one observation as a NumPy array, without a graph."""
        with bp.no_grad():
            q = self.q_network(bp.from_numpy(self.features(observation)[None]))
        return q.numpy()[0]

    def act(self, observation, greedy=False):
        """argmax_a Q(s, a); unless ``greedy``, a uniformly random action with probability epsilon_t."""
        state = self.features(observation)
        if not greedy and self.generator.random() < self.epsilon.value(self.steps):
            return int(self.generator.integers(self.n_actions))
        return int(self.q_values(state).argmax())

    def targets(self, rewards, next_observations, dones):
        """y = r + gamma (1 - done) max_a' Q(s', a'; theta^-), or with ``double`` Q(s', argmax_a' Q(s', a'; theta);
        theta^-): a NumPy array, no graph (the target is a constant for the gradient)."""
        with bp.no_grad():
            next_q = self.target_network(bp.from_numpy(next_observations)).numpy()
            if self.config["double"]:
                chosen = self.q_network(bp.from_numpy(next_observations)).numpy().argmax(axis=1)
            else:
                chosen = next_q.argmax(axis=1)
        best = next_q[numpy.arange(len(chosen)), chosen]
        return (rewards + self.config["gamma"] * (1.0 - dones) * best).astype(numpy.float32)

    def update(self, batch):
        """One gradient step on a batch (the dict ``ReplayBuffer.sample`` gives); returns the loss before the step.
        Then the target network: a hard copy every ``target_update`` updates, or Polyak averaging with ``tau``."""
        y = bp.from_numpy(self.targets(numpy.asarray(batch["rewards"], dtype=numpy.float32),
                                       numpy.asarray(batch["next_observations"], dtype=numpy.float32),
                                       numpy.asarray(batch["dones"], dtype=numpy.float32)))
        q = self.q_network(bp.from_numpy(numpy.asarray(batch["observations"], dtype=numpy.float32)))
        actions = bp.from_numpy(numpy.asarray(batch["actions"], dtype=numpy.int64)[:, None])
        error = q.gather(1, actions).squeeze(1) - y       # Q(s_i, a_i; theta) - y_i
        loss = huber(error).mean() if self.config["huber"] else (error * error).mean()
        self.optimizer.zero_grad()
        loss.backward()
        if self.config["clip_grad_norm"] is not None:
            nn.utils.clip_grad_norm_(self.q_network.parameters(), self.config["clip_grad_norm"])
        self.optimizer.step()
        self.updates += 1
        if self.config["tau"] is not None:
            self.update_target(self.config["tau"])
        elif self.updates % self.config["target_update"] == 0:
            self.update_target(1.0)
        return loss.item()

    def update_target(self, tau=1.0):
        """theta^- <- tau theta + (1 - tau) theta^-; tau = 1 is the hard copy theta^- <- theta."""
        for target, online in zip(self.target_network.parameters(), self.q_network.parameters()):
            target.data = online.data.clone() if tau == 1.0 else tau * online.data + (1.0 - tau) * target.data

    def train(self, env, episodes, *, seed=0, callback=None):
        """Play ``episodes`` episodes, storing every transition and, from ``learning_starts`` steps on, taking one
        ``update`` every ``train_every`` steps. The first reset is seeded with ``seed``, which also seeds the
        exploration and the replay sampling. ``callback(episode, episode_return)`` may return True to stop.
        Returns the return of each episode."""
        episodes = check_int("DQN.train episodes", episodes, at_least=1)
        self.generator = numpy.random.default_rng(seed)
        self.buffer.generator = self.generator
        evaluation_env = copy_env(env) if self.config["eval_every"] else None
        last_evaluation, returns = self.steps, []
        for episode in range(episodes):
            returns.append(self._episode(env, seed if episode == 0 else None))
            if evaluation_env is not None and self.steps - last_evaluation >= self.config["eval_every"]:
                self._evaluate(evaluation_env)
                last_evaluation = self.steps
            if callback is not None and callback(episode, returns[-1]):
                break
        if self._best_weights is not None:
            self.q_network.load_state_dict(self._best_weights)
            self.update_target(1.0)
        return returns

    def _episode(self, env, seed):
        config = self.config
        observation, _ = env.reset(seed=seed)
        state, total, done = self.features(observation), 0.0, False
        while not done:
            action = self.act(state)
            observation, reward, terminated, truncated, _ = env.step(action)
            next_state = self.features(observation)
            self.buffer.add(state, action, reward, next_state, terminated)    # truncated: not terminal
            self.steps += 1
            if self.steps >= config["learning_starts"] and self.steps % config["train_every"] == 0:
                self.update(self.buffer.sample(config["batch_size"]))
            state, total, done = next_state, total + float(reward), terminated or truncated
        return total


    def _evaluate(self, env):
        """Greedy returns on ``eval_episodes`` fresh episodes (seeds from the agent's generator, so not the seeds
        0, 1, ... of a final ``evaluate``); keeps a copy of the weights when the mean is the best so far."""
        mean = float(evaluate(self, env, self.config["eval_episodes"], seed=int(self.generator.integers(2**31))).mean())
        self.evaluations.append((self.steps, mean))
        if self.best_return is None or mean >= self.best_return:
            self.best_return = mean
            self._best_weights = {k: v.detach().numpy().copy() for k, v in self.q_network.state_dict().items()}
        return mean

    def state_dict(self):
        """The networks, the optimiser, the clocks (steps for epsilon, updates for the target network) and the
        generator's state (the replay buffer's contents are not saved: a resumed run refills it)."""
        return {"q_network": self.q_network.state_dict(), "target_network": self.target_network.state_dict(),
                "optimizer": self.optimizer.state_dict(), "steps": self.steps, "updates": self.updates,
                "rng": self.generator.bit_generator.state}

    def load_state_dict(self, state):
        missing = {"q_network", "target_network", "optimizer", "steps", "updates"} - set(state)
        if missing:
            raise KeyError(f"DQN.load_state_dict: missing keys {sorted(missing)}")
        self.q_network.load_state_dict(state["q_network"])
        self.target_network.load_state_dict(state["target_network"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.steps = check_int("DQN.load_state_dict steps", state["steps"], at_least=0)
        self.updates = check_int("DQN.load_state_dict updates", state["updates"], at_least=0)
        if "rng" in state:
            self.generator.bit_generator.state = state["rng"]

    def __repr__(self):
        return f"DQN({self.observation_size}, {self.n_actions}, hidden={tuple(self.config['hidden'])})"

"""Environments: gymnasium's, made and seeded in one place, and the agents' common evaluation.

gymnasium is an optional extra (``pip install backprop[rl]``); it is imported
here only, with a clear message when missing. An environment gives an
observation s_t, takes an action a_t and returns the reward r_{t+1}, the next
observation and whether the episode ended (terminated: a terminal state;
truncated: a time limit). The return of an episode is G = sum_t r_{t+1}.
"""
import numpy

UNLIMITED_MAX_STEPS = 10_000  # evaluate's steps per episode where the environment has no time limit

__all__ = ["make", "copy_env", "evaluate", "run_episode", "space_sizes", "one_hot"]


def _gymnasium():
    try:
        import gymnasium
    except ImportError as error:
        raise ImportError("backprop.rl needs gymnasium for its environments: pip install gymnasium "
                          "(or 'backprop[rl]')") from error
    return gymnasium


def make(name, seed=None, **options):
    """``gymnasium.make(name, **options)``, its action space seeded with ``seed`` (the first reset is seeded by
    ``run_episode``), e.g. ``make("FrozenLake-v1", is_slippery=True)``.

    >>> env = make("CartPole-v1", seed=0)
    >>> space_sizes(env)
    (4, 2)
    """
    gymnasium = _gymnasium()
    try:
        env = gymnasium.make(name, **options)
    except gymnasium.error.Error as error:
        raise ValueError(f"unknown or unusable environment {name!r}: {error}") from error
    if seed is not None:
        env.action_space.seed(int(seed))
    return env


def copy_env(env):
    """A new environment like ``env`` (same name and options, its own generator), e.g. to evaluate an agent during
    training without disturbing the episodes it learns from."""
    if env.spec is None:
        raise ValueError("copy_env: expected an environment made by rl.make (one with a spec to copy), "
                         f"got {type(env).__name__} without a spec")
    return make(env.spec.id, **env.spec.kwargs)


def one_hot(states, n_states, owner):
    """e_s for each integer state s in [0, n_states): the float32 input of a network for a Discrete space's states
    (a state's index says nothing about its neighbours, so it is not fed as a number). An array of shape
    states.shape + (n_states,).

    >>> one_hot([2, 0], 3, "agent").tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    states = numpy.asarray(states)
    if states.dtype.kind not in "iu" or states.size and not (0 <= states.min() and states.max() < n_states):
        raise ValueError(f"{owner}: expected each state in [0, {n_states}), got {states.tolist()!r}")
    return numpy.eye(n_states, dtype=numpy.float32)[states]


def space_sizes(env):
    """(number of states or observation size, number of actions): a Discrete observation space has n states, a Box
    one a flat vector of its size; the actions must be Discrete (the agents here choose among n actions)."""
    gymnasium = _gymnasium()
    spaces = gymnasium.spaces
    if not isinstance(env.action_space, spaces.Discrete):
        raise ValueError(f"expected an environment with discrete actions, got action space {env.action_space}")
    observation = env.observation_space
    if isinstance(observation, spaces.Discrete):
        size = int(observation.n)
    elif isinstance(observation, spaces.Box):
        size = int(numpy.prod(observation.shape))
    else:
        raise ValueError(f"expected a Discrete or Box observation space, got {observation}")
    return size, int(env.action_space.n)


def run_episode(env, policy, seed=None, max_steps=None):
    """Play one episode with ``policy(observation) -> action``; returns (return G, number of steps).
    ``seed`` seeds the reset (gymnasium's way to make an episode repeatable)."""
    observation, _ = env.reset(seed=None if seed is None else int(seed))
    total, steps, done = 0.0, 0, False
    while not done and (max_steps is None or steps < max_steps):
        observation, reward, terminated, truncated, _ = env.step(policy(observation))
        total += float(reward)
        steps += 1
        done = terminated or truncated
    return total, steps


def evaluate(agent, env, episodes=100, seed=0, max_steps=None):
    """The returns of ``episodes`` greedy episodes of ``agent`` (``agent.act(observation, greedy=True)``), the
    i-th reset seeded with seed + i, as a NumPy array; its mean is the usual score (CartPole-v1: 500 at best).
    ``max_steps`` ends an episode early; by default an environment without a time limit (CliffWalking), where a
    greedy policy can walk in circles for ever, stops after ``UNLIMITED_MAX_STEPS`` steps."""
    if episodes < 1:
        raise ValueError(f"evaluate: episodes must be >= 1, got {episodes}")
    if max_steps is None and (env.spec is None or env.spec.max_episode_steps is None):
        max_steps = UNLIMITED_MAX_STEPS
    returns = [run_episode(env, lambda s: agent.act(s, greedy=True), seed=seed + i, max_steps=max_steps)[0]
               for i in range(episodes)]
    return numpy.array(returns)

"""Environments: gymnasium's, made and seeded in one place, and the agents' common evaluation.

gymnasium is an optional extra (``pip install backprop[rl]``); it is imported
here only, with a clear message when missing. An environment gives an
observation s_t, takes an action a_t and returns the reward r_{t+1}, the next
observation and whether the episode ended (terminated: a terminal state;
truncated: a time limit). The return of an episode is G = sum_t r_{t+1}.
"""
import inspect
import math
import numbers
import sys

import numpy

from backprop.checks import check_int

UNLIMITED_MAX_STEPS = 10_000  # evaluate's steps per episode where the environment has no time limit

__all__ = ["make", "check_options", "copy_env", "evaluate", "run_episode", "space_sizes", "one_hot"]

MAKE_OPTIONS = ("max_episode_steps", "disable_env_checker")   # gymnasium.make's own, for every environment
PROBABILITIES = ("success_rate", "rainy_probability", "fickle_probability")   # FrozenLake's and Taxi's


def _gymnasium():
    try:
        import gymnasium
    except ImportError as error:
        raise ImportError("backprop.rl needs gymnasium for its environments: pip install gymnasium "
                          "(or 'backprop[rl]')") from error
    return gymnasium


def make(name, seed=None, **options):
    """``gymnasium.make(name, **options)``, its action space seeded with ``seed`` (the first reset is seeded by
    ``run_episode``), e.g. ``make("FrozenLake-v1", is_slippery=True)``; the options are checked first
    (``check_options``), so that a bad one is a ValueError in one line before anything is built.

    >>> env = make("CartPole-v1", seed=0)
    >>> space_sizes(env)
    (4, 2)
    """
    gymnasium = _gymnasium()
    options = check_options(name, options)
    try:
        env = gymnasium.make(name, **options)
    except gymnasium.error.Error as error:
        raise ValueError(f"unknown or unusable environment {name!r}: {error}") from error
    except (TypeError, ValueError) as error:   # what the checks above could not foresee, said in one line
        given = ", ".join(f"{key}={value!r}" for key, value in options.items())
        raise ValueError(f"{name}({given}) could not be made: {_first_line(error)}") from error
    if seed is not None:
        env.action_space.seed(int(seed))
    return env


def _first_line(error):
    return (str(error).splitlines() or [type(error).__name__])[0]


def _creator(gymnasium, name):
    """The registered spec of ``name`` and the class (or function) that builds it, or a ValueError in one line."""
    try:
        spec = gymnasium.spec(name)
        creator = spec.entry_point
        if isinstance(creator, str):
            from gymnasium.envs.registration import load_env_creator

            creator = load_env_creator(creator)
    except (gymnasium.error.Error, ImportError, AttributeError) as error:
        raise ValueError(f"unknown or unusable environment {name!r}: {_first_line(error)}") from error
    return spec, creator


def check_options(name, options):
    """The ``options`` of environment ``name`` checked against its constructor's parameters before it is made, or a
    ValueError in one line naming the option: an unknown name; a value of the wrong kind for the default it
    replaces (true/false for a bool, a finite number for a number, a string for a string, a list of the same
    length for a tuple); a probability outside [0, 1]; FrozenLake's map_name among its maps, its desc a list of
    rows of S, F, H and G. Besides its constructor's, every environment takes gymnasium.make's max_episode_steps
    (an int >= 1) and disable_env_checker (true/false).

    >>> check_options("FrozenLake-v1", {"is_slippery": False})
    {'is_slippery': False}
    """
    gymnasium = _gymnasium()
    spec, creator = _creator(gymnasium, name)
    try:
        parameters = dict(inspect.signature(creator).parameters)
    except (TypeError, ValueError):     # a builder without a readable signature: gymnasium.make will judge
        return dict(options)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    known = {key: p for key, p in parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    checked = {}
    for key, value in options.items():
        if key in MAKE_OPTIONS:     # None: gymnasium's default
            like = {"max_episode_steps": 1, "disable_env_checker": True}[key]
            checked[key] = value if value is None else _check_kind(name, key, value, like, low=1, integer=True)
        elif key in known:
            default = spec.kwargs.get(key, known[key].default)
            checked[key] = _check_value(name, key, value, default, creator)
        elif not takes_any:
            listed = ", ".join(sorted(known) + list(MAKE_OPTIONS))
            raise ValueError(f"{name} has no option {key!r}; its options: {listed}")
        else:
            checked[key] = value
    if "desc" in options and "map_name" in options and options["desc"] is not None:
        raise ValueError(f"{name}: give desc or map_name, not both (desc replaces the map)")
    return checked


def _check_value(name, key, value, default, creator):
    where = f"{name} option {key}"
    if key == "render_mode":
        modes = list(getattr(creator, "metadata", {}).get("render_modes", []))
        if value is not None and value not in modes:
            raise ValueError(f"{where}: expected one of {', '.join(map(repr, modes))}, got {value!r}")
        return value
    if key == "map_name":
        maps = getattr(sys.modules.get(getattr(creator, "__module__", ""), None), "MAPS", None)
        if isinstance(maps, dict) and value not in maps:
            raise ValueError(f"{where}: expected one of {', '.join(map(repr, maps))} (or your own map as desc, a "
                             f"list of rows like [\"SFFF\",\"FHFH\",\"FFFH\",\"HFFG\"]), got {value!r}")
    if key == "desc" and value is not None:
        return _check_desc(where, value)
    if key in PROBABILITIES:
        return _check_kind(name, key, value, 0.0, low=0.0, high=1.0)
    if default is None or default is inspect.Parameter.empty:
        return value    # nothing to compare with: the environment judges
    if isinstance(default, (tuple, list)):
        if not isinstance(value, (tuple, list)) or len(value) != len(default):
            raise ValueError(f"{where}: expected a list of {len(default)} values like {list(default)}, "
                             f"got {value!r}")
        return [_check_kind(name, f"{key}[{i}]", item, like) for i, (item, like) in enumerate(zip(value, default))]
    return _check_kind(name, key, value, default)


def _check_kind(name, key, value, like, low=-math.inf, high=math.inf, integer=False):
    """``value`` if it is of the kind of ``like`` (a bool, a number, a string) within [low, high]."""
    where = f"{name} option {key}"
    if isinstance(like, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{where}: expected true or false, got {value!r}")
    elif isinstance(like, numbers.Real):
        wanted = "an integer" if integer else "a finite number"
        bounds = f" in [{low:g}, {high:g}]" if high < math.inf else f" >= {low:g}" if low > -math.inf else ""
        if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
                or integer and not isinstance(value, numbers.Integral) or not low <= value <= high):
            raise ValueError(f"{where}: expected {wanted}{bounds}, got {value!r}")
    elif isinstance(like, str) and not isinstance(value, str):
        raise ValueError(f"{where}: expected a string, got {value!r}")
    return value


def _check_desc(where, desc):
    """FrozenLake's own map: rows of equal length made of S (start), F (frozen), H (hole) and G (goal)."""
    # one character per row would make gymnasium's array of the map one-dimensional: at least two columns
    rows_ok = (isinstance(desc, (list, tuple)) and desc and all(isinstance(row, str) and len(row) > 1 for row in desc)
               and len({len(row) for row in desc}) == 1 and set("".join(desc)) <= set("SFHG"))
    if not rows_ok or "S" not in "".join(desc) or "G" not in "".join(desc):
        raise ValueError(f"{where}: expected a list of rows of equal length (2 or more) made of S, F, H and G "
                         f"with a start S and a goal G, like [\"SFFF\",\"FHFH\",\"FFFH\",\"HFFG\"], got {desc!r}")
    return list(desc)


def copy_env(env):
    """A new environment like ``env`` (same name and options, its own generator), e.g. to evaluate an agent during
    training without disturbing the episodes it learns from."""
    if env.spec is None:
        raise ValueError("copy_env: expected an environment made by rl.make (one with a spec to copy), "
                         f"got {type(env).__name__} without a spec")
    return make(env.spec.id, **env.spec.kwargs, max_episode_steps=env.spec.max_episode_steps,
                disable_env_checker=env.spec.disable_env_checker)


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
    episodes = check_int("evaluate episodes", episodes, at_least=1)
    seed = check_int("evaluate seed", seed, at_least=0)     # gymnasium's resets take no other
    if max_steps is None and (env.spec is None or env.spec.max_episode_steps is None):
        max_steps = UNLIMITED_MAX_STEPS
    returns = [run_episode(env, lambda s: agent.act(s, greedy=True), seed=seed + i, max_steps=max_steps)[0]
               for i in range(episodes)]
    return numpy.array(returns)

"""What ``backprop rl`` does: train an agent, chosen by name, on a gymnasium environment; save it; plot its returns;
evaluate a saved agent.

A run writes to its output directory:

- ``checkpoint.safetensors``: the agent's name, ``config`` and ``state_dict()``, the environment's name and
  options, the seed and the return of every episode so far; written atomically (``save_checkpoint``) every
  ``checkpoint_every`` episodes and at the end;
- ``returns.json``: the return G = sum_t r_{t+1} of each episode and their moving average;
- ``returns.png``: both as curves (needs matplotlib).

A run does not replace another: ``train`` refuses a directory that holds a run's files (``check_out``) unless
``overwrite=True``, which removes those files first (and only those: ``RUN_FILES`` and their temporary files).

The moving average over the last 100 episodes is the usual score of a run
(CartPole-v1 counts as solved when it reaches 475); ``evaluate`` plays greedy
episodes instead, the agent's exploration switched off.
"""
import inspect
import json
import os
import time

import numpy

from backprop.checks import check_int
from backprop.files import atomic_write, remove_files, temporary_pattern
from backprop.rl.dqn import DQN
from backprop.rl.env import evaluate as greedy_returns
from backprop.rl.env import make, space_sizes
from backprop.rl.reinforce import Reinforce
from backprop.rl.tabular import QLearning, Sarsa
from backprop.train import plots
from backprop.train.checkpoint import load_checkpoint, save_checkpoint

__all__ = ["AGENTS", "BadSetting", "Interrupted", "RUN_FILES", "train", "evaluate", "load_agent", "build_agent",
           "build_env", "output_directory", "check_out", "moving_average", "plot_returns", "EpisodeBar", "EpisodeLines"]

AGENTS = {"dqn": DQN, "q_learning": QLearning, "sarsa": Sarsa, "reinforce": Reinforce}
TABULAR = ("q_learning", "sarsa")     # one row per state: only a Discrete observation space has rows to give
DEFAULT_EPISODES = 500
WINDOW = 100                          # episodes in the moving average
CHECKPOINT = "checkpoint.safetensors"
RUN_FILES = (CHECKPOINT, "returns.json", "returns.png")    # what a run writes, and what overwrite=True removes
_TEMPORARY = tuple(map(temporary_pattern, RUN_FILES))  # backprop.files' temporary names, left by a kill


class BadSetting(ValueError):
    """A wrong argument: an unknown agent or environment, an option the agent refuses, a table for a continuous
    state. Raised before anything is trained or written."""


def moving_average(returns, window=WINDOW):
    """The mean of the last ``window`` returns (fewer at the start) after each episode.

    >>> moving_average([1, 2, 3, 4], window=2).tolist()
    [1.0, 1.5, 2.5, 3.5]
    """
    returns = numpy.asarray(returns, dtype=numpy.float64)
    sums = numpy.concatenate([[0.0], numpy.cumsum(returns)])
    ends = numpy.arange(1, len(returns) + 1)
    counts = numpy.minimum(ends, window)
    return (sums[ends] - sums[ends - counts]) / counts


def build_env(env_name, env_options=None, seed=None):
    """``rl.make(env_name, seed, **env_options)``, its errors as ``BadSetting``. A run trains without drawing: a
    render_mode other than None is refused (``human`` would open a window, or need pygame, for every step)."""
    env_options = dict(env_options or {})
    if env_options.get("render_mode") is not None:
        raise BadSetting(f"rl train does not render: drop render_mode={env_options['render_mode']} (the agent "
                         f"learns from the observations; `backprop rl evaluate` plays the saved agent)")
    try:
        return make(env_name, seed=seed, **env_options)
    except (ValueError, TypeError) as error:
        raise BadSetting((str(error).splitlines() or [type(error).__name__])[0]) from error


def build_agent(agent_name, env, options=None, seed=0):
    """``AGENTS[agent_name](states or observation size, actions, seed=seed, **options)`` for ``env``."""
    if agent_name not in AGENTS:
        raise BadSetting(f"unknown agent {agent_name!r}; known: {', '.join(AGENTS)}")
    options = dict(options or {})
    if "seed" in options:
        raise BadSetting("the seed is not an option: give it as the seed of the run (--seed)")
    try:
        check_int("the seed (--seed)", seed, at_least=0)
    except (TypeError, ValueError) as error:
        raise BadSetting(str(error)) from None
    known = _options_of(AGENTS[agent_name])
    unknown = [key for key in options if key not in known]
    if unknown:
        raise BadSetting(f"{agent_name} has no option {unknown[0]!r}; its options: {', '.join(known)}")
    try:
        size, n_actions = space_sizes(env)
    except ValueError as error:
        raise BadSetting(f"{agent_name}: {error}") from error
    if agent_name in TABULAR and not hasattr(env.observation_space, "n"):
        raise BadSetting(f"{agent_name} is tabular: it needs a Discrete observation space (a finite number of "
                         f"states), got a {type(env.observation_space).__name__} of shape "
                         f"{tuple(env.observation_space.shape)}; use dqn or reinforce")
    try:
        return AGENTS[agent_name](size, n_actions, seed=seed, **options)
    except (TypeError, ValueError) as error:
        raise BadSetting(f"{agent_name}: {error}") from error
    except MemoryError as error:    # a buffer or a layer of 10**12 entries
        raise BadSetting(f"{agent_name}: not enough memory for these options "
                         f"({', '.join(f'{k}={v}' for k, v in options.items())})") from error


def output_directory(agent_name, env_name, out=None):
    """Where ``train`` writes: ``out``, by default runs/rl/AGENT-ENV."""
    return out or os.path.join("runs", "rl", f"{agent_name}-{env_name}")


def check_out(out, overwrite=False):
    """Before a run writes to the directory ``out``: a run's files there (a checkpoint, returns.json, returns.png)
    are refused with a ``BadSetting`` that says how to go on, unless ``overwrite``, which removes them (and the
    temporary files a killed run leaves; other files stay). Returns the names removed."""
    held = _describe_run(out)
    if held is None:
        return []
    if not overwrite:
        raise BadSetting(f"{out} holds {held}; use --overwrite to replace it, or another --out")
    return remove_files(out, RUN_FILES, _TEMPORARY)


def _describe_run(out):
    """What ``out`` holds of a run, in words, or None when it holds none of RUN_FILES."""
    path = os.path.join(out, CHECKPOINT)
    if os.path.isfile(path):
        try:
            state = load_checkpoint(path)
            episodes = len(state["returns"])
            return (f"a run of {state['agent']} on {state['env']} (checkpoint after {episodes} "
                    f"episode{'s' * (episodes != 1)})")
        except (OSError, ValueError, KeyError, TypeError):
            return f"a checkpoint ({CHECKPOINT})"
    files = [name for name in RUN_FILES if os.path.isfile(os.path.join(out, name))]
    return f"the files of a run ({', '.join(files)})" if files else None


def _options_of(agent_class):
    """The hyperparameters an agent takes: the keyword-only parameters of its constructor, but the seed."""
    parameters = inspect.signature(agent_class).parameters.values()
    return [p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.name != "seed"]


def _checkpoint(agent_name, env_name, env_options, agent, returns, seed):
    return {"agent": agent_name, "env": env_name, "env_options": env_options, "config": agent.config,
            "state": agent.state_dict(), "returns": list(returns), "seed": seed}


def train(agent_name, env_name, *, episodes=None, minutes=None, seed=0, out=None, options=None, env_options=None,
          checkpoint_every=100, progress=(), overwrite=False):
    """Train ``agent_name`` on ``env_name`` for ``episodes`` episodes (default 500; with only ``minutes``, as many as
    fit in that time) or until ``minutes`` have passed, whichever comes first.

    ``seed`` draws the agent's initial weights, its exploration and the first
    reset of the environment. ``progress``: objects with ``episode(n, episode_return, average)`` and ``close()``
    (``EpisodeBar``, ``EpisodeLines``). Writes checkpoint.safetensors, returns.json and returns.png to ``out``
    (default runs/rl/AGENT-ENV); returns a dict of the agent, the returns, the seconds taken and the file paths.
    A directory that holds a run already is refused (``BadSetting``) unless ``overwrite``: see ``check_out``.
    Interrupted (Ctrl-C), it writes the three files first, with the returns of the episodes finished, then raises
    ``Interrupted``, a KeyboardInterrupt whose text says what it saved.
    """
    if episodes is None:
        episodes = DEFAULT_EPISODES if minutes is None else 10 ** 9
    env_options = dict(env_options or {})
    env = build_env(env_name, env_options, seed=seed)
    agent = build_agent(agent_name, env, options, seed=seed)
    out = output_directory(agent_name, env_name, out)
    check_out(out, overwrite)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, CHECKPOINT)
    returns, started = [], time.monotonic()

    def after_episode(episode, episode_return):
        returns.append(float(episode_return))
        for shown in progress:
            shown.episode(len(returns), returns[-1], float(numpy.mean(returns[-WINDOW:])))
        if checkpoint_every and len(returns) % checkpoint_every == 0:
            save_checkpoint(_checkpoint(agent_name, env_name, env_options, agent, returns, seed), path)
        return minutes is not None and time.monotonic() - started >= 60 * minutes

    try:
        agent.train(env, episodes, seed=seed, callback=after_episode)
    except KeyboardInterrupt:
        # Ctrl-C: what was learnt so far is kept (the weights as they are, the returns of the finished episodes)
        for shown in progress:
            shown.close()
        progress = ()
        saved = _write_run(agent_name, env_name, env_options, agent, returns, seed, out, started, interrupted=True)
        plot = f" and the plot {saved['figure']}" if saved["figure"] else ""
        raise Interrupted(f"after {len(returns)} episode{'' if len(returns) == 1 else 's'}; saved the checkpoint "
                          f"{path}, the returns {saved['returns_path']}{plot}", saved) from None
    finally:
        for shown in progress:
            shown.close()
    saved = _write_run(agent_name, env_name, env_options, agent, returns, seed, out, started)
    return {**saved, "agent": agent}


class Interrupted(KeyboardInterrupt):
    """``train`` stopped by Ctrl-C (KeyboardInterrupt) after it saved the run so far: its text says what it saved
    where; ``saved`` is the dict ``train`` would have returned, less the agent."""

    def __init__(self, message, saved):
        super().__init__(message)
        self.saved = saved


def _write_run(agent_name, env_name, env_options, agent, returns, seed, out, started, interrupted=False):
    """The checkpoint, returns.json and returns.png of a run that ended (or was interrupted) after ``returns``."""
    seconds = time.monotonic() - started
    path = os.path.join(out, CHECKPOINT)
    save_checkpoint(_checkpoint(agent_name, env_name, env_options, agent, returns, seed), path)
    average = moving_average(returns)
    summary = {"agent": agent_name, "env": env_name, "env_options": env_options, "seed": seed,
               "episodes": len(returns), "seconds": seconds,
               "last_100_mean": float(average[-1]) if len(returns) else None, "interrupted": interrupted,
               "returns": returns, "moving_average": average.tolist()}
    returns_path = os.path.join(out, "returns.json")
    with atomic_write(returns_path, "w") as handle:
        json.dump(summary, handle, indent=1)
    try:
        figure = plot_returns(returns, os.path.join(out, "returns.png"), title=f"{agent_name} on {env_name}")
    except ImportError:
        figure = None
    return {**summary, "checkpoint": path, "returns_path": returns_path, "figure": figure, "out": out}


def plot_returns(returns, path, window=WINDOW, title=None):
    """The return of each episode and the mean of the last ``window``, saved as a PNG at ``path``; the episodes
    on the x axis are whole numbers (one episode: one tick)."""
    from matplotlib.ticker import MaxNLocator

    figure, axis = plots._pyplot().subplots(figsize=(6, 3.5))
    episodes = numpy.arange(1, len(returns) + 1)
    axis.plot(episodes, returns, linewidth=0.8, alpha=0.4, label="return of the episode")
    axis.plot(episodes, moving_average(returns, window), linewidth=1.5, label=f"mean of the last {window}")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axis.set_xlabel("episode")
    axis.set_ylabel("return (sum of the rewards)")
    axis.grid(alpha=0.3)
    axis.legend()
    if title:
        axis.set_title(title)
    return plots._save(figure, path)


def load_agent(path):
    """The agent of a checkpoint written by ``train``, with its weights, its environment, and the checkpoint."""
    state = load_checkpoint(path)
    if not {"agent", "env", "config", "state"} <= set(state):
        raise ValueError(f"{path!r} is not a checkpoint of `backprop rl train` (expected the keys agent, env, "
                         f"config and state, got {', '.join(sorted(state))})")
    if state["agent"] not in AGENTS:
        raise ValueError(f"{path!r}: unknown agent {state['agent']!r}; known: {', '.join(AGENTS)}")
    env = make(state["env"], **state.get("env_options", {}))
    size, n_actions = space_sizes(env)
    agent = AGENTS[state["agent"]](size, n_actions, **state["config"])
    agent.load_state_dict(state["state"])
    return agent, env, state


def evaluate(checkpoint, episodes=100, seed=0):
    """The greedy returns of ``episodes`` episodes of a checkpoint's agent (reset i seeded with seed + i), their
    mean and standard deviation."""
    agent, env, state = load_agent(checkpoint)
    returns = greedy_returns(agent, env, episodes, seed=seed)
    return {"agent": state["agent"], "env": state["env"], "returns": returns, "mean": float(returns.mean()),
            "std": float(returns.std()), "episodes": episodes}


class EpisodeBar:
    """A tqdm bar of episodes with the last return and the moving average (needs ``tqdm``)."""

    def __init__(self, total=None, file=None):
        try:
            import tqdm
        except ImportError as error:
            raise ImportError("EpisodeBar needs tqdm: pip install tqdm (or 'backprop[progress]')") from error
        self.bar = tqdm.tqdm(total=total, file=file, desc="episodes", unit="ep", dynamic_ncols=True)

    def episode(self, n, episode_return, average):
        self.bar.set_postfix_str(f"return {episode_return:.1f}, mean of last {WINDOW} {average:.1f}", refresh=False)
        self.bar.update(1)

    def close(self):
        self.bar.close()


class EpisodeLines:
    """One line every ``every`` episodes: the episode, its return and the moving average."""

    def __init__(self, every=10, file=None):
        self.every, self.file = every, file

    def episode(self, n, episode_return, average):
        if n % self.every == 0:
            print(f"episode {n}: return {episode_return:.1f}, mean of the last {WINDOW} {average:.1f}",
                  file=self.file, flush=True)

    def close(self):
        pass

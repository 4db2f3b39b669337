"""rl.env: making gymnasium environments, their sizes, and greedy evaluation."""
import numpy as np
import pytest

pytest.importorskip("gymnasium")

from backprop.rl import evaluate, make, run_episode, space_sizes  # noqa: E402

# FrozenLake 4x4:  S F F F / F H F H / F F F H / H F F G; actions 0 left, 1 down, 2 right, 3 up.
SAFE_PATH = {0: 1, 4: 1, 8: 2, 9: 1, 13: 2, 14: 2}      # down, down, right, down, right, right: 6 steps to G


class FixedPolicy:
    """An 'agent' whose action is a fixed function of the state; counts how it was asked."""

    def __init__(self, actions):
        self.actions, self.greedy_calls = actions, 0

    def act(self, observation, greedy=False):
        self.greedy_calls += bool(greedy)
        return self.actions(int(observation))


def test_make_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="NoSuchEnvironment-v0"):
        make("NoSuchEnvironment-v0")


def test_space_sizes_of_frozen_lake_cart_pole_and_taxi():
    assert space_sizes(make("FrozenLake-v1")) == (16, 4)
    assert space_sizes(make("FrozenLake-v1", map_name="8x8")) == (64, 4)
    assert space_sizes(make("CartPole-v1", seed=0)) == (4, 2)
    assert space_sizes(make("Taxi-v4")) == (500, 6)


def test_space_sizes_refuses_continuous_actions():
    with pytest.raises(ValueError, match="discrete actions"):
        space_sizes(make("Pendulum-v1"))


def test_evaluate_a_fixed_policy_on_a_deterministic_lake():
    env = make("FrozenLake-v1", is_slippery=False)
    agent = FixedPolicy(lambda s: SAFE_PATH[s])
    returns = evaluate(agent, env, episodes=5)
    assert isinstance(returns, np.ndarray) and returns.tolist() == [1.0] * 5
    assert agent.greedy_calls == 5 * 6
    assert run_episode(env, lambda s: SAFE_PATH[s]) == (1.0, 6)


def test_a_policy_that_never_arrives_is_cut_by_the_time_limit():
    env = make("FrozenLake-v1", is_slippery=False)
    assert run_episode(env, lambda s: 0) == (0.0, 100)   # left into the wall until the 100-step limit
    assert run_episode(env, lambda s: 0, max_steps=7) == (0.0, 7)
    assert evaluate(FixedPolicy(lambda s: 0), env, episodes=3).tolist() == [0.0, 0.0, 0.0]


def test_evaluate_is_seeded_episode_by_episode():
    env = make("FrozenLake-v1", is_slippery=True)
    agent = FixedPolicy(lambda s: SAFE_PATH.get(s, 1))
    first, second = evaluate(agent, env, episodes=30, seed=5), evaluate(agent, env, episodes=30, seed=5)
    assert np.array_equal(first, second)
    assert np.array_equal(evaluate(agent, env, episodes=10, seed=7), first[2:12])   # episode i: seed + i
    with pytest.raises(ValueError, match="episodes"):
        evaluate(agent, env, episodes=0)


def test_evaluate_stops_a_greedy_policy_that_walks_in_circles_at_max_steps():
    from backprop import rl

    env = rl.make("CliffWalking-v1")  # no time limit: always moving up from the start never ends

    class Up:
        def act(self, observation, greedy=False):
            return 0

    returns = rl.evaluate(Up(), env, episodes=2, max_steps=25)
    assert returns.tolist() == [-25.0, -25.0]  # -1 per step
    # without max_steps an environment with no time limit still ends: the greedy evaluation of the CLI and of DQN's
    # eval_every never hangs
    assert rl.evaluate(Up(), env, episodes=1).tolist() == [-float(rl.env.UNLIMITED_MAX_STEPS)]


def test_one_hot_rows_and_refused_states():
    from backprop.rl.env import one_hot
    np.testing.assert_array_equal(one_hot(np.int64(1), 3, "x"), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(one_hot([2, 0], 3, "x"), [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    for bad in (-1, 3, [0, 3], 1.0):     # -1 must not wrap round to the last state
        with pytest.raises(ValueError, match=r"x: expected each state in \[0, 3\)"):
            one_hot(bad, 3, "x")


def test_copy_env_is_a_new_env_with_the_same_options():
    from backprop.rl.env import copy_env
    env = make("FrozenLake-v1", is_slippery=False)
    copy = copy_env(env)
    assert copy is not env and copy.spec.id == "FrozenLake-v1" and copy.spec.kwargs["is_slippery"] is False
    assert run_episode(copy, lambda s: SAFE_PATH[s], seed=0) == (1.0, 6)    # not slippery: the safe path reaches G

"""The function_approximation experiment's parts: the exact best and policy returns, boxes, the counting wrapper."""
import math

import numpy
import pytest

pytest.importorskip("gymnasium")

from backprop import rl  # noqa: E402
from backprop.experiments import function_approximation as F  # noqa: E402

# a 2-state problem in gymnasium's format P[s][a] = [(p, s', r, terminated)]: in state 0, action 0 earns 1 and
# stays; action 1 earns 5 and ends the episode with probability 1/2, else goes to state 1, where nothing is earned
TOY = {0: {0: [(1.0, 0, 1.0, False)], 1: [(0.5, 0, 5.0, True), (0.5, 1, 0.0, False)]},
       1: {0: [(1.0, 1, 0.0, False)], 1: [(1.0, 1, 0.0, False)]}}
START = [1.0, 0.0]


def test_model_arrays_leave_terminal_states_out_of_T():
    T, R = F.model_arrays(TOY, 2, 2)
    assert R.tolist() == [[1.0, 2.5], [0.0, 0.0]]
    assert T[0, 0].tolist() == [1.0, 0.0] and T[0, 1].tolist() == [0.0, 0.5]  # the terminal half is gone
    assert T[1].tolist() == [[0.0, 1.0], [0.0, 1.0]]


@pytest.mark.parametrize("horizon, best", [(0, 0.0), (1, 2.5), (2, 3.5), (10, 11.5)])
def test_best_return_by_hand(horizon, best):
    # earn 1 per step, and take the gamble (expected 2.5) at the last step: H - 1 + 2.5
    T, R = F.model_arrays(TOY, 2, 2)
    assert F.best_return(T, R, START, horizon) == pytest.approx(best)


def test_policy_return_by_hand():
    T, R = F.model_arrays(TOY, 2, 2)
    assert F.policy_return(T, R, START, 10, [[1.0, 0.0], [1.0, 0.0]]) == pytest.approx(10.0)
    assert F.policy_return(T, R, START, 10, [[0.0, 1.0], [1.0, 0.0]]) == pytest.approx(2.5)  # gamble once, then 0
    # half and half: expected reward 1/2 1 + 1/2 2.5, still in state 0 with probability 1/2:
    # V_k = 1.75 + 0.5 V_{k-1} -> 3.5 (1 - 0.5^k)
    assert F.policy_return(T, R, START, 3, [[0.5, 0.5], [1.0, 0.0]]) == pytest.approx(3.5 * (1 - 0.5 ** 3))
    assert F.policy_return(T, R, START, 5, F.greedy_policy([[2.0, 1.0], [0.0, 0.0]])) == pytest.approx(5.0)


def test_a_policy_that_is_not_one_is_refused():
    T, R = F.model_arrays(TOY, 2, 2)
    with pytest.raises(ValueError, match="rows are probabilities"):
        F.policy_return(T, R, START, 3, [[0.5, 0.6], [1.0, 0.0]])
    with pytest.raises(ValueError, match="horizon"):
        F.best_return(T, R, START, -1)


def test_the_known_optima_of_frozen_lake_and_taxi():
    T, R, start, horizon = F.environment_model(rl.make(F.FROZEN_LAKE, **F.OPTIONS[F.FROZEN_LAKE]))
    assert horizon == 100 and start.tolist() == [1.0] + [0.0] * 15
    assert 0.73 < F.best_return(T, R, start, horizon) < 0.75            # the 74% success rate quoted everywhere
    # the goal is 6 moves away: never reached in 5 steps; in 6 only if the ice lets every move go right
    assert F.best_return(T, R, start, 5) == 0.0 and 0.0 < F.best_return(T, R, start, 6) < 0.01
    T, R, start, horizon = F.environment_model(rl.make(F.FROZEN_LAKE, is_slippery=False))
    assert F.best_return(T, R, start, 6) == 1.0 and F.best_return(T, R, start, 5) == 0.0
    T, R, start, horizon = F.environment_model(rl.make(F.TAXI))
    assert horizon == 200 and start.sum() == pytest.approx(1.0)
    assert 7.5 < F.best_return(T, R, start, horizon) < 8.5               # 20 for the delivery minus about 12 steps


def test_greedy_policy_splits_ties():
    assert F.greedy_policy([[0.0, 0.0], [1.0, 2.0], [3.0, 3.0]]).tolist() == [[0.5, 0.5], [0.0, 1.0], [0.5, 0.5]]


def test_boxes_by_hand():
    boxes = F.Boxes([[0.0], [-1.0, 1.0]])
    assert boxes.shape == (2, 3) and boxes.n_states == 6
    assert boxes([-5.0, -5.0]) == 0 and boxes([-5.0, 0.0]) == 1 and boxes([1.0, 1.0]) == 5
    assert boxes(numpy.array([0.0, -1.0])) == 4  # a threshold belongs to the box above it
    with pytest.raises(ValueError, match="increasing"):
        F.Boxes([[1.0, 0.0]])
    with pytest.raises(ValueError, match="2 numbers, got shape \\(3,\\)"):
        boxes([0.0, 0.0, 0.0])


def test_observed_encodes_and_counts_steps():
    env = F.Observed(rl.make(F.CART_POLE, seed=0), F.Boxes([[0.0]] * 4))
    state, _ = env.reset(seed=0)
    assert 0 <= state < 16
    total, steps = rl.run_episode(env, lambda s: 0, seed=1)   # always push left: the pole falls soon
    assert env.lengths == [0, steps] and total == steps and steps < 20
    assert env.action_space.n == 2  # the rest is the environment's


def test_train_stops_once_the_steps_are_used_up():
    boxes = F.Boxes(F.BOXES)
    env = F.Observed(rl.make(F.CART_POLE, seed=0), boxes)
    rl.run_episode(env, lambda s: 0)   # an earlier episode is not counted
    table = rl.QLearning(boxes.n_states, 2, seed=0)
    returns, lengths, seconds = F.train(table, env, steps=300, seed=0)
    assert len(returns) == len(lengths) and returns == lengths   # CartPole: +1 a step
    assert sum(lengths) >= 300 > sum(lengths[:-1]) and seconds > 0
    returns, lengths, _ = F.train(table, env, episodes=3, seed=0)
    assert len(lengths) == 3


def test_mean_and_error_by_hand():
    assert F.mean_and_error([1.0, 3.0]) == pytest.approx((2.0, 1.0))   # s = sqrt(2), n = 2
    assert F.mean_and_error([4.0]) == (4.0, 0.0)
    with pytest.raises(ValueError, match="non-empty"):
        F.mean_and_error([])


def test_random_policy_seldom_crosses_the_lake():
    env = rl.make(F.FROZEN_LAKE, **F.OPTIONS[F.FROZEN_LAKE])
    returns = rl.evaluate(F.RandomPolicy(4, seed=0), env, episodes=400)
    assert set(returns.tolist()) <= {0.0, 1.0} and returns.mean() < 0.05   # about 1.5%


def test_network_q_values_are_the_agents_per_state():
    agent = rl.DQN(16, 4, hidden=(8,), seed=0)
    q = F.network_q_values(agent, 16)
    assert q.shape == (16, 4)
    assert numpy.allclose(q[5], agent.q_values(5), atol=1e-6) and not math.isclose(q[5, 0], q[6, 0])

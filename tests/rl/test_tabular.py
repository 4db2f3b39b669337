"""Tabular Q-learning and Sarsa: hand-computed updates and convergence to values known in closed form."""
import types

import numpy as np
import pytest

import backprop as bp
from backprop.rl import QLearning, Sarsa, make

GAMMA = 0.9
N = 5


class Chain:
    """States 0 .. n-1 in a row and a terminal state n beyond the last. Action 1 (right) moves on, action 0 (left)
    moves back (staying at 0). Right from n-1 ends the episode with reward 1; every other step gives 0. After
    ``time_limit`` steps the episode is truncated (not terminated)."""

    def __init__(self, n=N, time_limit=100, start=0):
        self.n, self.time_limit, self.start = n, time_limit, start
        self.observation_space = types.SimpleNamespace(n=n + 1)
        self.action_space = types.SimpleNamespace(n=2)

    def reset(self, seed=None, options=None):
        self.s, self.t = self.start, 0
        return self.s, {}

    def step(self, action):
        self.s = self.s + 1 if action == 1 else max(self.s - 1, 0)
        self.t += 1
        terminated = self.s == self.n
        return self.s, float(terminated), terminated, self.t >= self.time_limit and not terminated, {}


def optimal_q(n=N, gamma=GAMMA):
    """Q*(s, right) = gamma^(n-1-s) (n-1-s steps of 0, then 1); Q*(s, left) = gamma V*(max(s-1, 0))."""
    s = np.arange(n)
    right = gamma ** (n - 1 - s)
    left = gamma * gamma ** (n - 1 - np.maximum(s - 1, 0))
    return np.stack([left, right], axis=1)


def epsilon_greedy_q(epsilon, n=N, gamma=GAMMA, sweeps=2000):
    """Q^pi of the policy 'right, except a uniformly random action with probability epsilon' (Bellman equation
    Q(s, a) = r + gamma sum_a' pi(a'|s') Q(s', a'), iterated to its fixed point)."""
    pi = np.array([epsilon / 2, 1 - epsilon / 2])
    q = np.zeros((n + 1, 2))
    for _ in range(sweeps):
        v = q @ pi
        v[n] = 0.0
        for s in range(n):
            q[s, 1] = 1.0 if s == n - 1 else gamma * v[s + 1]
            q[s, 0] = gamma * v[max(s - 1, 0)]
    return q[:n]


def test_optimal_q_in_closed_form_solves_the_bellman_optimality_equation():
    q = optimal_q()
    for s in range(N):
        assert q[s, 1] == pytest.approx(1.0 if s == N - 1 else GAMMA * q[s + 1].max())
        assert q[s, 0] == pytest.approx(GAMMA * q[max(s - 1, 0)].max())


def test_q_learning_update_by_hand():
    agent = QLearning(3, 2, alpha=0.5, gamma=0.9)
    agent.q[:] = [[0.2, 0.4], [1.0, 3.0], [0.0, 0.0]]
    delta = agent.update(0, 1, 2.0, 1, False)           # target 2 + 0.9 * max(1, 3) = 4.7
    assert delta == pytest.approx(4.7 - 0.4)
    assert agent.q[0, 1] == pytest.approx(0.4 + 0.5 * 4.3)
    delta = agent.update(1, 0, 2.0, 2, True)            # terminal: target 2
    assert delta == pytest.approx(1.0) and agent.q[1, 0] == pytest.approx(1.5)
    assert agent.q[0, 0] == 0.2 and agent.q[1, 1] == 3.0  # nothing else moved


def test_sarsa_update_uses_the_next_action_not_the_max():
    agent = Sarsa(3, 2, alpha=0.5, gamma=0.9)
    agent.q[:] = [[0.2, 0.4], [1.0, 3.0], [0.0, 0.0]]
    delta = agent.update(0, 1, 2.0, 1, False, a2=0)     # target 2 + 0.9 * Q(1, 0) = 2.9
    assert delta == pytest.approx(2.5) and agent.q[0, 1] == pytest.approx(0.4 + 1.25)
    with pytest.raises(ValueError, match="a2"):
        agent.update(0, 1, 2.0, 1, False)
    assert agent.update(1, 1, 0.0, 2, True) == pytest.approx(-3.0)   # terminal: a2 not needed


def test_q_learning_converges_to_the_closed_form_q_star_on_a_chain():
    # Off-policy: even acting uniformly at random (epsilon = 1 throughout) it learns the greedy policy's values.
    agent = QLearning(N + 1, 2, alpha=0.5, gamma=GAMMA, epsilon=1.0, epsilon_end=1.0)
    agent.train(Chain(), 300, seed=0)
    np.testing.assert_allclose(agent.q[:N], optimal_q(), atol=1e-3)
    assert np.all(agent.q[N] == 0)                      # the terminal state's row is never updated
    assert np.all(agent.q[:N].argmax(axis=1) == 1)


def test_q_learning_with_decaying_epsilon_converges_and_then_solves_the_chain():
    agent = QLearning(N + 1, 2, alpha=0.5, gamma=GAMMA, epsilon=1.0, epsilon_end=0.0, epsilon_decay_episodes=200)
    returns = agent.train(Chain(), 300, seed=0)
    np.testing.assert_allclose(agent.q[:N], optimal_q(), atol=1e-3)
    assert returns[-50:] == [1.0] * 50                  # greedy at the end: straight to the goal


def test_sarsa_with_epsilon_decaying_to_zero_learns_the_optimal_path():
    # GLIE: exploration fades, so the values along the greedy path become Q*(s, right).
    agent = Sarsa(N + 1, 2, alpha=0.5, gamma=GAMMA, epsilon=1.0, epsilon_end=0.0, epsilon_decay_episodes=300)
    agent.train(Chain(), 400, seed=0)
    np.testing.assert_allclose(agent.q[:N, 1], optimal_q()[:, 1], atol=1e-3)
    assert np.all(agent.q[:N].argmax(axis=1) == 1)
    assert np.all(agent.q[:N, 0] <= optimal_q()[:, 0] + 1e-9)


def test_sarsa_learns_the_exploring_policys_values_and_q_learning_the_optimal_ones():
    epsilon = 0.3
    expected = epsilon_greedy_q(epsilon)
    gap = optimal_q() - expected                        # exploring costs: the two answers are far apart
    assert np.all(gap >= 0) and gap[0, 1] > 0.08
    sarsa = Sarsa(N + 1, 2, alpha=0.1, gamma=GAMMA, epsilon=epsilon, epsilon_end=epsilon)
    snapshots = []                                      # a constant alpha keeps Q moving: average its iterates
    sarsa.train(Chain(), 2000, seed=0, callback=lambda e, g: snapshots.append(sarsa.q[:N].copy()) if e >= 500 else None)
    np.testing.assert_allclose(np.mean(snapshots, axis=0), expected, atol=0.04)
    q_learning = QLearning(N + 1, 2, alpha=0.5, gamma=GAMMA, epsilon=epsilon, epsilon_end=epsilon)
    q_learning.train(Chain(), 300, seed=0)
    np.testing.assert_allclose(q_learning.q[:N], optimal_q(), atol=1e-3)


@pytest.mark.parametrize("agent_type", [QLearning, Sarsa])
def test_a_truncated_episode_still_bootstraps(agent_type):
    agent = agent_type(N + 1, 2, alpha=1.0, gamma=0.5, epsilon=0.0, epsilon_end=0.0)
    agent.q[0] = [0.0, 1.0]                             # greedy: right
    agent.q[1] = [0.0, 2.0]
    agent.train(Chain(time_limit=1), 1, seed=0)         # one step 0 -> 1, then the time limit
    assert agent.q[0, 1] == pytest.approx(0.5 * 2.0)    # r + gamma Q(1, right), not r alone


@pytest.mark.parametrize("agent_type", [QLearning, Sarsa])
def test_a_terminal_step_does_not_bootstrap(agent_type):
    agent = agent_type(N + 1, 2, alpha=1.0, gamma=0.5, epsilon=0.0, epsilon_end=0.0)
    agent.q[N - 1] = [0.0, 1.0]
    agent.q[N] = [7.0, 7.0]                             # never read: beyond a terminal state the value is 0
    agent.train(Chain(start=N - 1), 1, seed=0)
    assert agent.q[N - 1, 1] == pytest.approx(1.0)


def test_epsilon_decays_per_episode_in_a_straight_line():
    agent = QLearning(N + 1, 2, epsilon=1.0, epsilon_end=0.1, epsilon_decay_episodes=10)
    assert agent.epsilon == 1.0
    agent.train(Chain(), 5, seed=0)
    assert agent.epsilon == pytest.approx(0.55)
    agent.train(Chain(), 10, seed=0)                    # a second call continues the schedule
    assert agent.epsilon == pytest.approx(0.1) and agent.episodes == 15


def test_epsilon_greedy_frequencies_and_ties_broken_at_random():
    agent = QLearning(2, 2, epsilon=0.5, epsilon_end=0.5, seed=1)
    agent.q[0] = [0.0, 1.0]
    actions = np.array([agent.act(0) for _ in range(4000)])
    assert abs((actions == 0).mean() - 0.25) < 0.03     # random half of the time, then 1/2 of those
    assert all(agent.act(0, greedy=True) == 1 for _ in range(100))
    ties = np.array([agent.act(1, greedy=True) for _ in range(2000)])   # q[1] = [0, 0]
    assert abs(ties.mean() - 0.5) < 0.05


def test_same_seed_same_returns_and_another_seed_others():
    def run(seed):
        agent = QLearning(N + 1, 2, epsilon=1.0, epsilon_end=0.2, epsilon_decay_episodes=20)
        return agent.train(Chain(time_limit=8), 40, seed=seed), agent.q

    (first, q1), (second, q2), (other, _) = run(3), run(3), run(4)
    assert first == second and np.array_equal(q1, q2)
    assert first != other


def test_callback_sees_each_episode_and_can_stop():
    seen = []
    agent = Sarsa(N + 1, 2)
    returns = agent.train(Chain(), 10, seed=0, callback=lambda e, g: seen.append((e, g)) or e == 2)
    assert len(returns) == 3 and [e for e, _ in seen] == [0, 1, 2] and [g for _, g in seen] == returns
    assert agent.episodes == 3


def test_config_rebuilds_and_state_dict_resumes(tmp_path):
    pytest.importorskip("safetensors")
    agent = Sarsa(N + 1, 2, alpha=0.3, gamma=0.8, epsilon=0.9, epsilon_end=0.2, epsilon_decay_episodes=7, seed=5)
    agent.train(Chain(), 4, seed=1)
    bp.save(agent.state_dict(), tmp_path / "agent.safetensors")
    twin = type(agent)(N + 1, 2, **agent.config)
    twin.load_state_dict(bp.load(tmp_path / "agent.safetensors"))
    assert twin.config == agent.config and np.array_equal(twin.q, agent.q) and twin.epsilon == agent.epsilon
    assert [twin.act(s) for s in range(N) for _ in range(20)] == [agent.act(s) for s in range(N) for _ in range(20)]
    with pytest.raises(ValueError, match="shape"):
        QLearning(3, 2).load_state_dict(agent.state_dict())


def test_bad_arguments_and_environments_are_refused():
    with pytest.raises(ValueError, match="n_states"):
        QLearning(0, 2)
    with pytest.raises(ValueError, match="alpha"):
        QLearning(3, 2, alpha=1.5)
    with pytest.raises(ValueError, match="epsilon"):
        Sarsa(3, 2, epsilon=-0.1)
    with pytest.raises(ValueError, match="state index"):
        QLearning(3, 2).act(np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="action"):
        QLearning(3, 2).update(0, 2, 0.0, 1, False)
    with pytest.raises(ValueError, match="6 states"):
        QLearning(4, 2).train(Chain(), 1)


@pytest.mark.parametrize("agent_type", [QLearning, Sarsa])
def test_same_seed_same_returns_on_the_slippery_lake(agent_type):
    pytest.importorskip("gymnasium")

    def run(seed):
        agent = agent_type(16, 4, epsilon_decay_episodes=100)
        return agent.train(make("FrozenLake-v1", is_slippery=True), 150, seed=seed), agent.q

    (first, q1), (second, q2), (_, q_other) = run(0), run(0), run(1)
    assert first == second and np.array_equal(q1, q2)
    assert not np.array_equal(q1, q_other)

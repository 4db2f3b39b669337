"""TD(0) prediction: hand-computed updates, and Sutton and Barto's random walk (true values 1/6 .. 5/6) learnt by a
table, a linear function with one-hot features and a network."""
import numpy as np
import pytest

import backprop as bp
from backprop import nn, optim
from backprop.rl.prediction import LinearValue, NetworkValue, RandomWalk, TabularValue, td0

TRUE = np.arange(1, 6) / 6                              # V(A) .. V(E) with gamma = 1


def one_hot(s):
    return np.eye(7, dtype=np.float32)[s]


class TwoSteps:
    """0 -> 1 (reward 0) -> 2, terminal (reward 1), whatever the action."""

    def reset(self, seed=None, options=None):
        self.s = 0
        return 0, {}

    def step(self, action):
        self.s += 1
        return self.s, float(self.s == 2), self.s == 2, False, {}


def averaged_values(value, episodes, alpha, seed, start):
    """The estimates of V(A) .. V(E) averaged over the episodes from ``start`` on (a constant alpha keeps them
    moving around the answer)."""
    snapshots = []

    def remember(episode, episode_return):
        if episode >= start:
            snapshots.append([value.predict(s) for s in range(1, 6)])

    td0(RandomWalk(), lambda s: 0, value, episodes, alpha=alpha, gamma=1.0, seed=seed, callback=remember)
    return np.mean(snapshots, axis=0)


def rms(values):
    return float(np.sqrt(np.mean((np.asarray(values) - TRUE) ** 2)))


def test_td0_by_hand_on_two_steps():
    value = TabularValue(3)
    td0(TwoSteps(), lambda s: 0, value, 1, alpha=0.5, gamma=0.9)
    assert value.v.tolist() == [0.0, 0.5, 0.0]         # V(0) += 0.5 (0 + 0.9 * 0 - 0); V(1) += 0.5 (1 - 0)
    td0(TwoSteps(), lambda s: 0, value, 1, alpha=0.5, gamma=0.9)
    assert value.v.tolist() == pytest.approx([0.225, 0.75, 0.0])   # V(0) += 0.5 (0.9 * 0.5); V(1) += 0.5 (1 - 0.5)


def test_each_value_updates_by_hand():
    table = TabularValue(3)
    table.v[1] = 0.5
    assert table.update(1, 1.0, 0.1) == pytest.approx(0.5) and table.v[1] == pytest.approx(0.55)

    linear = LinearValue(lambda s: [1.0, s], 2)          # V(s) = w0 + w1 s
    linear.w[:] = [0.5, 0.25]
    assert linear.predict(2) == pytest.approx(1.0)
    assert linear.update(2, 3.0, 0.1) == pytest.approx(2.0)
    assert linear.w.tolist() == pytest.approx([0.5 + 0.2, 0.25 + 0.4])   # w += alpha delta x(s)

    layer = nn.Linear(2, 1)                              # a network: V(s) = w^T x(s) + b, grad_w V = x(s)
    layer.weight.data[...] = [[0.5, 0.25]]
    layer.bias.data[...] = [0.1]
    network = NetworkValue(layer, optim.SGD(layer.parameters(), lr=123.0), features=lambda s: [1.0, s])
    assert network.predict(2) == pytest.approx(1.1)
    assert network.update(2, 3.0, 0.1) == pytest.approx(1.9, rel=1e-6)
    np.testing.assert_allclose(layer.weight.data, [[0.5 + 0.19, 0.25 + 0.38]], rtol=1e-6)
    np.testing.assert_allclose(layer.bias.data, [0.1 + 0.19], rtol=1e-6)   # the lr became alpha = 0.1


def test_random_walk_moves_left_or_right_and_rewards_the_right_end():
    env = RandomWalk()
    ends = {0: 0, 6: 0}
    for seed in range(400):
        s, _ = env.reset(seed=seed)
        assert s == 3
        while True:
            s2, r, terminated, truncated, _ = env.step(0)
            assert abs(s2 - s) == 1 and not truncated and r == float(s2 == 6) and terminated == (s2 in (0, 6))
            s = s2
            if terminated:
                ends[s] += 1
                break
    assert abs(ends[6] / 400 - 0.5) < 0.1              # V(C) = 1/2
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_tabular_td0_learns_the_random_walks_true_values():
    values = averaged_values(TabularValue(7), 1000, alpha=0.05, seed=0, start=200)
    assert rms(values) < 0.05


def test_linear_td0_with_one_hot_features_is_the_table():
    table, linear = TabularValue(7), LinearValue(one_hot, 7)
    returns_table = td0(RandomWalk(), lambda s: 0, table, 300, alpha=0.05, gamma=1.0, seed=3)
    returns_linear = td0(RandomWalk(), lambda s: 0, linear, 300, alpha=0.05, gamma=1.0, seed=3)
    assert returns_table == returns_linear              # seeded: the same episodes
    np.testing.assert_allclose(linear.w, table.v, atol=1e-12)
    assert rms(linear.w[1:6]) < 0.15


def test_network_td0_learns_the_random_walks_true_values():
    bp.manual_seed(0)
    network = nn.Sequential(nn.Linear(7, 16), nn.Tanh(), nn.Linear(16, 1))
    value = NetworkValue(network, optim.SGD(network.parameters(), lr=0.1), features=one_hot)
    values = averaged_values(value, 500, alpha=0.03, seed=0, start=150)
    assert rms(values) < 0.06
    assert np.all(np.diff(values) > 0)                  # V increases from A to E


def test_same_seed_same_episodes():
    first, second, other = (td0(RandomWalk(), lambda s: 0, TabularValue(7), 50, alpha=0.1, gamma=1.0, seed=seed)
                            for seed in (1, 1, 2))
    assert first == second and first != other


def test_td0_stops_when_the_callback_says_so():
    returns = td0(RandomWalk(), lambda s: 0, TabularValue(7), 10, alpha=0.1, gamma=1.0,
                  callback=lambda episode, episode_return: episode == 3)
    assert len(returns) == 4


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="state index"):
        TabularValue(3).update(3, 1.0, 0.1)
    with pytest.raises(ValueError, match="shape"):
        LinearValue(lambda s: [1.0, s], 3).predict(1)
    with pytest.raises(ValueError, match="features"):
        LinearValue(3, 3)
    with pytest.raises(ValueError, match="one output"):
        NetworkValue(nn.Linear(7, 2), optim.SGD(nn.Linear(7, 2).parameters(), lr=0.1), one_hot).predict(1)
    with pytest.raises(ValueError, match="gamma"):
        td0(RandomWalk(), lambda s: 0, TabularValue(7), 1, alpha=0.1, gamma=1.5)
    with pytest.raises(ValueError, match="episodes"):
        td0(RandomWalk(), lambda s: 0, TabularValue(7), 0, alpha=0.1, gamma=1.0)

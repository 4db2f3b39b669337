"""DQN: one update against a hand computation (and against torch on the same weights), the double-DQN target,
the target network's lag, terminal vs truncated, epsilon-greedy, seeding, checkpoints, and a short CartPole run."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop import rl
from backprop.rl.dqn import DQN, huber

LR = 0.1

# A 2-state, 2-action problem with one-hot states and a linear Q-network Q(s) = W s + b (hidden=()):
W = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)          # W[a, s]
B = np.array([0.5, -0.5], dtype=np.float32)
W_TARGET = np.array([[0.0, 1.0], [2.0, 0.0]], dtype=np.float32)
B_TARGET = np.zeros(2, dtype=np.float32)
# Q(0) = (1.5, 2.5), Q(1) = (2.5, 3.5); Q'(0) = (0, 2), Q'(1) = (1, 0)
BATCH = {"observations": np.eye(2, dtype=np.float32),                 # s = 0, then s = 1
         "actions": np.array([0, 1]), "rewards": np.array([1.0, 0.0], dtype=np.float32),
         "next_observations": np.eye(2, dtype=np.float32)[[1, 0]],     # s' = 1, then s' = 0
         "dones": np.array([0.0, 1.0], dtype=np.float32)}              # the second s' is terminal


def two_state_agent(**options):
    options = {"hidden": (), "gamma": 0.9, "lr": LR, **options}
    agent = DQN(2, 2, **options)
    agent.q_network.load_state_dict({"1.weight": W, "1.bias": B})
    agent.target_network.load_state_dict({"1.weight": W_TARGET, "1.bias": B_TARGET})
    return agent


def weights(network):
    return {k: v.detach().numpy().copy() for k, v in network.state_dict().items()}


def test_huber_by_hand():
    x = bp.tensor([0.0, 0.5, -1.0, 3.0, -2.5], requires_grad=True)
    loss = huber(x)
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, 0.125, 0.5, 2.5, 2.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, -1.0, 1.0, -1.0])


def test_targets_by_hand():
    agent = two_state_agent()
    # y = r + gamma (1 - done) max_a' Q'(s', a'): 1 + 0.9 max(1, 0) = 1.9; terminal: 0
    np.testing.assert_allclose(agent.targets(BATCH["rewards"], BATCH["next_observations"], BATCH["dones"]),
                               [1.9, 0.0], rtol=1e-6)


def test_double_dqn_target_by_hand():
    agent = two_state_agent(double=True)
    # argmax_a' Q(1, a') = 1 (3.5 > 2.5), scored by the target network: Q'(1, 1) = 0, so y = 1 + 0.9 * 0 = 1
    np.testing.assert_allclose(agent.targets(BATCH["rewards"], BATCH["next_observations"], BATCH["dones"]),
                               [1.0, 0.0], rtol=1e-6)


@pytest.mark.parametrize("double, huber_loss, expected_loss", [
    (False, True, (0.08 + 3.0) / 2),      # errors Q(s, a) - y: 1.5 - 1.9 = -0.4 (inside), 3.5 - 0 = 3.5 (|x| - 1/2)
    (True, True, (0.125 + 3.0) / 2),      # double: 1.5 - 1.0 = 0.5
    (False, False, (0.16 + 12.25) / 2)])  # squared error
def test_one_update_by_hand(double, huber_loss, expected_loss):
    agent = two_state_agent(double=double, huber=huber_loss, target_update=100)
    loss = agent.update(BATCH)
    assert loss == pytest.approx(expected_loss, rel=1e-6)
    # dL/dQ(s_i, a_i) = loss'(x_i) / 2 (huber' = x clipped to [-1, 1], (x^2)' = 2x); one-hot s puts it on
    # W[a_i, s_i] and b[a_i]
    error = np.array([1.5 - (1.0 if double else 1.9), 3.5])
    grad_q = (np.clip(error, -1, 1) if huber_loss else 2 * error) / 2
    grad_w = np.array([[grad_q[0], 0.0], [0.0, grad_q[1]]])
    linear = agent.q_network[1]
    np.testing.assert_allclose(linear.weight.grad.numpy(), grad_w, rtol=1e-5)
    np.testing.assert_allclose(linear.bias.grad.numpy(), grad_q, rtol=1e-5)
    # Adam's first step is lr g / (|g| + eps) = lr sign(g) for every weight with a gradient, 0 for the others
    np.testing.assert_allclose(linear.weight.detach().numpy(), W - LR * np.sign(grad_w), atol=1e-6)
    np.testing.assert_allclose(linear.bias.detach().numpy(), B - LR * np.sign(grad_q), atol=1e-6)
    # the target network has not moved (the copy comes after 100 updates)
    np.testing.assert_array_equal(agent.target_network[1].weight.detach().numpy(), W_TARGET)


def test_the_gradient_is_clipped_to_its_norm():
    agent = two_state_agent(clip_grad_norm=0.5)
    agent.update(BATCH)
    grad_q = np.array([-0.4, 1.0]) / 2           # as in the unclipped case; total norm over W and b
    norm = np.sqrt(2 * (grad_q ** 2).sum())
    np.testing.assert_allclose(agent.q_network[1].bias.grad.numpy(), grad_q * 0.5 / norm, rtol=1e-4)


@pytest.mark.parametrize("double", [False, True])
def test_one_update_matches_torch_on_the_same_weights(double):
    rng = np.random.default_rng(3)
    agent = DQN(3, 2, hidden=(5,), gamma=0.95, lr=0.01, double=double, clip_grad_norm=1.0, seed=4)
    batch = {"observations": rng.standard_normal((8, 3)).astype(np.float32), "actions": rng.integers(0, 2, 8),
             "rewards": rng.standard_normal(8).astype(np.float32),
             "next_observations": rng.standard_normal((8, 3)).astype(np.float32),
             "dones": (rng.random(8) < 0.3).astype(np.float32)}
    agent.target_network.load_state_dict({k: v * 0.5 for k, v in weights(agent.q_network).items()})

    def net(state):
        module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
        module.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        return module

    online, target = net(weights(agent.q_network)), net(weights(agent.target_network))
    t = {k: torch.tensor(v) for k, v in batch.items()}
    with torch.no_grad():
        next_q = target(t["next_observations"])
        chosen = (online(t["next_observations"]) if double else next_q).argmax(1, keepdim=True)
        y = t["rewards"] + 0.95 * (1 - t["dones"]) * next_q.gather(1, chosen).squeeze(1)
    q = online(t["observations"]).gather(1, t["actions"][:, None]).squeeze(1)
    loss = torch.nn.functional.smooth_l1_loss(q, y)
    adam = torch.optim.Adam(online.parameters(), lr=0.01)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(online.parameters(), 1.0)
    adam.step()

    assert agent.update(batch) == pytest.approx(loss.item(), rel=1e-5)
    for key, value in weights(agent.q_network).items():
        np.testing.assert_allclose(value, online.state_dict()[key].numpy(), rtol=1e-5, atol=1e-6)


def random_batch(rng, n=16):
    return {"observations": rng.standard_normal((n, 2)).astype(np.float32), "actions": rng.integers(0, 2, n),
            "rewards": rng.standard_normal(n).astype(np.float32),
            "next_observations": rng.standard_normal((n, 2)).astype(np.float32), "dones": np.zeros(n, np.float32)}


def test_the_target_network_lags_and_is_copied_every_target_update_updates():
    rng = np.random.default_rng(0)
    agent = DQN(2, 2, hidden=(8,), lr=0.05, target_update=3)
    start = weights(agent.target_network)
    assert all(np.array_equal(v, weights(agent.q_network)[k]) for k, v in start.items())   # equal at the start
    for update in range(1, 8):
        agent.update(random_batch(rng))
        online, target = weights(agent.q_network), weights(agent.target_network)
        if update % 3 == 0:
            assert all(np.array_equal(target[k], online[k]) for k in online), update
            start = target
        else:
            assert all(np.array_equal(target[k], start[k]) for k in start), update       # unchanged between copies
            assert not all(np.array_equal(target[k], online[k]) for k in online), update


def test_polyak_averaging_by_hand():
    rng = np.random.default_rng(1)
    agent = DQN(2, 2, hidden=(8,), lr=0.05, tau=0.1)
    agent.target_network.load_state_dict({k: np.zeros_like(v) for k, v in weights(agent.q_network).items()})
    expected = {k: np.zeros_like(v) for k, v in weights(agent.q_network).items()}
    for _ in range(3):
        agent.update(random_batch(rng))
        online = weights(agent.q_network)
        expected = {k: 0.1 * online[k] + 0.9 * expected[k] for k in online}    # theta' <- tau theta + (1 - tau) theta'
        for key, value in weights(agent.target_network).items():
            np.testing.assert_allclose(value, expected[key], rtol=1e-5, atol=1e-7)


def test_truncation_bootstraps_and_termination_does_not():
    # CartPole cut at 5 steps: a random start does not fall that fast, so every episode is truncated (done = 0)
    agent = DQN(4, 2, hidden=(8,), learning_starts=10_000)
    agent.train(rl.make("CartPole-v1", max_episode_steps=5), 4, seed=0)
    assert len(agent.buffer) == 20 and agent.buffer.dones[:20].sum() == 0
    # uncut, random play ends when the pole falls: exactly the last transition of each episode is terminal
    agent = DQN(4, 2, hidden=(8,), learning_starts=10_000)
    returns = agent.train(rl.make("CartPole-v1"), 5, seed=0)
    ends = np.cumsum(returns).astype(int) - 1          # reward 1 per step: the index of each episode's last step
    np.testing.assert_array_equal(np.flatnonzero(agent.buffer.dones[:len(agent.buffer)]), ends)


def test_epsilon_greedy_explores_then_exploits():
    agent = DQN(2, 2, hidden=(), epsilon=1.0, epsilon_end=0.0, epsilon_decay_steps=100)
    agent.q_network.load_state_dict({"1.weight": W, "1.bias": B})    # action 1 is greedy in both states
    assert agent.act(0, greedy=True) == 1 and agent.act(1, greedy=True) == 1
    random_actions = [agent.act(0) for _ in range(2000)]               # epsilon = 1: uniform over both actions
    assert 0.45 < np.mean(random_actions) < 0.55
    agent.steps = 50                                                   # epsilon = 0.5: 1 with probability 0.75
    assert 0.7 < np.mean([agent.act(0) for _ in range(2000)]) < 0.8
    agent.steps = 100
    assert all(agent.act(0) == 1 for _ in range(200))


def test_the_same_seed_gives_the_same_returns():
    def run(seed):
        agent = DQN(4, 2, hidden=(16,), learning_starts=50, epsilon_decay_steps=200, seed=seed)
        return agent.train(rl.make("CartPole-v1"), 12, seed=seed)

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_a_checkpoint_rebuilds_the_agent(tmp_path):
    agent = DQN(4, 2, hidden=(16,), learning_starts=20, seed=3)
    agent.train(rl.make("CartPole-v1"), 3, seed=0)
    bp.save(agent.state_dict(), tmp_path / "dqn.safetensors")
    copy = DQN(4, 2, **agent.config)
    copy.load_state_dict(bp.load(tmp_path / "dqn.safetensors"))
    observation = np.array([0.01, -0.2, 0.03, 0.1], dtype=np.float32)
    np.testing.assert_array_equal(copy.q_values(observation), agent.q_values(observation))
    assert (copy.steps, copy.updates) == (agent.steps, agent.updates) and agent.updates > 0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="gamma"):
        DQN(4, 2, gamma=1.5)
    with pytest.raises(ValueError, match="tau"):
        DQN(4, 2, tau=0.0)
    with pytest.raises(ValueError, match="lr"):
        DQN(4, 2, lr=0)
    with pytest.raises(ValueError, match=r"DQN hidden must be a sequence of positive ints, got \(16, 0\)"):
        DQN(4, 2, hidden=(16, 0))
    for options, line in [({"lr": "0.1"}, "DQN lr must be a positive number, got '0.1' (a str)"),
                          ({"batch_size": 2.5}, "DQN batch_size must be a positive int, got 2.5 (a float)"),
                          ({"huber": "yes"}, "DQN huber must be true or false, got 'yes' (a str)")]:
        with pytest.raises(TypeError) as refused:
            DQN(4, 2, **options)
        assert str(refused.value) == line
    with pytest.raises(ValueError, match="4 values"):
        DQN(4, 2).act([0.0, 1.0])
    with pytest.raises(ValueError, match=r"state in \[0, 3\)"):
        DQN(3, 2).act(3)


def test_a_short_run_on_cartpole_beats_a_random_policy():
    """A random policy averages about 22 on CartPole-v1; about 4000 steps of DQN give a greedy policy far above."""
    env = rl.make("CartPole-v1")
    agent = DQN(4, 2, hidden=(64, 64), lr=1e-3, learning_starts=500, epsilon_decay_steps=2000, target_update=200,
                seed=0)
    agent.train(env, 1000, seed=0, callback=lambda episode, episode_return: agent.steps >= 4000)
    assert rl.evaluate(agent, env, episodes=20).mean() > 100


def test_training_keeps_the_best_evaluated_weights():
    agent = DQN(4, 2, hidden=(16,), learning_starts=50, epsilon_decay_steps=300, eval_every=100, eval_episodes=3)
    agent.train(rl.make("CartPole-v1"), 20, seed=0)
    means = [mean for _, mean in agent.evaluations]
    assert len(means) >= 2 and agent.best_return == max(means)
    online, target = weights(agent.q_network), weights(agent.target_network)
    for key, value in agent._best_weights.items():
        np.testing.assert_array_equal(online[key], value)
        np.testing.assert_array_equal(target[key], value)


@pytest.mark.parametrize("agent", [rl.DQN, rl.Reinforce])
def test_making_an_agent_leaves_backprops_generator_alone(agent):
    before = bp.get_rng_state()
    first = agent(4, 2, hidden=(8,), seed=3).state_dict()
    assert bp.get_rng_state() == before
    second = agent(4, 2, hidden=(8,), seed=3).state_dict()
    network = "q_network" if agent is rl.DQN else "policy"
    assert all(np.array_equal(first[network][k].numpy(), second[network][k].numpy()) for k in first[network])

"""REINFORCE: returns-to-go by hand, the gradient against torch, the baseline's variance reduction, CartPole."""
import numpy as np
import pytest
import torch

import backprop as bp
from backprop.nn.utils import parameters_to_vector
from backprop.rl import Reinforce, evaluate, make
from backprop.rl.reinforce import returns_to_go


def test_returns_to_go_by_hand():
    # G_2 = 4; G_1 = 0 + 0.5 * 4 = 2; G_0 = 1 + 0.5 * 2 = 2
    assert returns_to_go([1.0, 0.0, 4.0], gamma=0.5).tolist() == [2.0, 2.0, 4.0]
    assert returns_to_go([1.0, 1.0, 1.0], gamma=1.0).tolist() == [3.0, 2.0, 1.0]
    assert returns_to_go([5.0, 7.0], gamma=0.0).tolist() == [5.0, 7.0]
    assert returns_to_go([], gamma=0.9).tolist() == []


def _torch_net(module):
    """The same Linear-ReLU-...-Linear stack in torch, with the same weights."""
    layers = [m for m in module.modules() if type(m).__name__ in ("Linear", "ReLU")]
    net = torch.nn.Sequential(*[torch.nn.Linear(*m.weight.shape[::-1]) if type(m).__name__ == "Linear"
                                else torch.nn.ReLU() for m in layers]).double()
    for ours, theirs in zip(layers, net):
        if isinstance(theirs, torch.nn.Linear):
            theirs.weight.data = torch.tensor(ours.weight.detach().numpy(), dtype=torch.float64)
            theirs.bias.data = torch.tensor(ours.bias.detach().numpy(), dtype=torch.float64)
    return net


def _grads(module):
    return [p.grad.numpy() for p in module.parameters()]


@pytest.mark.parametrize("baseline", [True, False])
def test_one_episode_gradient_matches_torch(baseline):
    agent = Reinforce(3, 4, hidden=(5,), gamma=0.9, baseline=baseline)
    rng = np.random.default_rng(1)
    observations = rng.normal(size=(6, 3)).astype(np.float32)
    actions = [0, 3, 1, 1, 2, 0]
    rewards = [1.0, -0.5, 0.0, 2.0, 1.0, 0.5]
    policy_loss, value_loss = agent.losses(observations, actions, rewards)
    policy_loss.backward()
    if baseline:
        value_loss.backward()

    policy = _torch_net(agent.policy)
    s = torch.tensor(observations, dtype=torch.float64)
    G = torch.tensor([sum(0.9 ** k * r for k, r in enumerate(rewards[t:])) for t in range(6)], dtype=torch.float64)
    log_pi = torch.log_softmax(policy(s), dim=1)[torch.arange(6), torch.tensor(actions)]
    advantage = G
    if baseline:
        value = _torch_net(agent.value)
        b = value(s).squeeze(1)
        advantage = G - b.detach()
        torch_value_loss = ((b - G) ** 2).mean()
        torch_value_loss.backward()
        assert value_loss.item() == pytest.approx(torch_value_loss.item(), rel=1e-5)
        # the value net's gradient is the squared error's alone: the policy term does not reach it
        for ours, theirs in zip(_grads(agent.value), [p.grad for p in value.parameters()]):
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-6)
    torch_policy_loss = -(log_pi * advantage).sum()
    torch_policy_loss.backward()
    assert policy_loss.item() == pytest.approx(torch_policy_loss.item(), rel=1e-5)
    for ours, theirs in zip(_grads(agent.policy), [p.grad for p in policy.parameters()]):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-6)


def _policy_gradient(agent, episode):
    agent.policy.zero_grad()
    agent.losses(*episode)[0].backward()
    return parameters_to_vector([p.grad for p in agent.policy.parameters()]).numpy().astype(np.float64)


def test_the_baseline_reduces_the_variance_of_the_gradient_estimate():
    env = make("CartPole-v1", seed=0)
    agent = Reinforce(4, 2, hidden=(32,), lr=1e-2)
    plain = Reinforce(4, 2, hidden=(32,), baseline=False)  # the same policy: the same seed
    np.testing.assert_array_equal(plain.policy[1].weight.detach().numpy(), agent.policy[1].weight.detach().numpy())
    agent.rng = np.random.default_rng(0)
    env.reset(seed=0)
    for _ in range(400):  # fit b(s) to the returns of the fixed policy; the policy does not move
        _, value_loss = agent.losses(*agent.play(env))
        agent.value_optimizer.zero_grad()
        value_loss.backward()
        agent.value_optimizer.step()
    episodes = [agent.play(env) for _ in range(150)]
    with_baseline = np.array([_policy_gradient(agent, e) for e in episodes])
    without = np.array([_policy_gradient(plain, e) for e in episodes])
    variance_with, variance_without = with_baseline.var(axis=0).sum(), without.var(axis=0).sum()
    assert variance_with < 0.5 * variance_without  # measured: 0.32 to 0.37 over five seeds
    # and both estimate the same gradient: the mean of their difference, sum_t grad log pi(a_t|s_t) b(s_t), is 0
    # (E[grad log pi(a|s)] = 0) within its standard error
    difference = with_baseline - without
    error = np.linalg.norm(difference.mean(axis=0))
    assert error < 4 * np.sqrt(difference.var(axis=0).sum() / len(episodes))


def test_same_seed_same_returns():
    runs = []
    for draw in range(2):
        bp.manual_seed(draw)  # backprop's generator plays no part
        runs.append(Reinforce(4, 2, hidden=(8,), seed=3).train(make("CartPole-v1"), 5, seed=7))
    assert runs[0] == runs[1] and len(runs[0]) == 5
    other = Reinforce(4, 2, hidden=(8,), seed=4)
    assert not np.array_equal(other.policy[1].weight.detach().numpy(),
                              Reinforce(4, 2, hidden=(8,), seed=3).policy[1].weight.detach().numpy())


def test_callback_stops_and_state_dict_round_trips():
    env = make("CartPole-v1")
    agent = Reinforce(4, 2, hidden=(8,))
    seen = []
    returns = agent.train(env, 10, seed=0, callback=lambda episode, g: seen.append((episode, g)) or episode == 2)
    assert len(returns) == 3 and [g for _, g in seen] == returns
    copy = Reinforce(4, 2, **agent.config)
    copy.load_state_dict(agent.state_dict())
    for s in np.random.default_rng(0).normal(size=(5, 4)):
        np.testing.assert_array_equal(copy.probabilities(s), agent.probabilities(s))
    with pytest.raises(ValueError, match="expected the keys"):
        Reinforce(4, 2, hidden=(8,), baseline=False).load_state_dict(agent.state_dict())


def test_discrete_states_are_one_hot():
    agent = Reinforce(16, 4, hidden=(8,))
    np.testing.assert_array_equal(agent.features(np.int64(5)).numpy(), np.eye(16, dtype=np.float32)[[5]])
    np.testing.assert_array_equal(agent.features([2, 0]).numpy(), np.eye(16, dtype=np.float32)[[2, 0]])
    for bad in (-1, 16):       # -1 would otherwise index the last row of the identity
        with pytest.raises(ValueError, match=r"Reinforce: expected each state in \[0, 16\)"):
            agent.features(bad)
    returns = agent.train(make("FrozenLake-v1"), 3, seed=0)
    assert all(g in (0.0, 1.0) for g in returns)


@pytest.mark.parametrize("kwargs, message", [
    ({"observation_size": 0}, "observation_size must be a positive int"),
    ({"lr": -1.0}, "lr must be a positive number"),
    ({"gamma": 1.5}, "gamma must be a number in"),
    ({"seed": -1}, "seed must be an int >= 0"),
])
def test_bad_hyperparameters(kwargs, message):
    arguments = {"observation_size": 4, "n_actions": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        Reinforce(arguments.pop("observation_size"), arguments.pop("n_actions"), **arguments)


def test_a_short_cartpole_run_beats_a_random_policy():
    env = make("CartPole-v1", seed=0)
    agent = Reinforce(4, 2, hidden=(32,), lr=1e-2)
    agent.train(env, 100, seed=0)
    assert evaluate(agent, env, episodes=10, seed=100).mean() > 100  # a random policy lasts about 22 steps

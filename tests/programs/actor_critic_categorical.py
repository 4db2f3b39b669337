# Actor-critic on CartPole (gymnasium) as the reinforcement_learning example writes it: one shared hidden layer with
# an action head (softmax) and a value head, actions from torch.distributions.Categorical, the critic trained with
# F.smooth_l1_loss against the discounted return, the actor with the advantage. The environment is seeded; the
# actions come from each framework's own generator, so only the run's shape and its expectations are compared.
# compare: none
# expect: episodes == 8
# expect: smooth l1 check == 1
import argparse
from collections import namedtuple

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])


class Policy(nn.Module):
    """Implements both actor and critic in one model."""

    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 64)
        self.action_head = nn.Linear(64, 2)   # actor's layer
        self.value_head = nn.Linear(64, 1)    # critic's layer
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        action_prob = F.softmax(self.action_head(x), dim=-1)
        state_values = self.value_head(x)
        return action_prob, state_values


def select_action(model, state):
    state = torch.from_numpy(state).float()
    probs, state_value = model(state)
    m = Categorical(probs)
    action = m.sample()
    model.saved_actions.append(SavedAction(m.log_prob(action), state_value))
    return action.item()


def finish_episode(model, optimizer, gamma, eps):
    R = 0
    saved_actions = model.saved_actions
    policy_losses = []
    value_losses = []
    returns = []
    for r in model.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for (log_prob, value), R in zip(saved_actions, returns):
        advantage = R - value.item()
        policy_losses.append(-log_prob * advantage)
        value_losses.append(F.smooth_l1_loss(value, torch.tensor([R])))
    optimizer.zero_grad()
    loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
    loss.backward()
    optimizer.step()
    del model.rewards[:]
    del model.saved_actions[:]
    return loss.item()


def run_episode(env, model, max_steps=500):
    """Plays one episode with the current policy, keeping its rewards on the model; returns their sum."""
    state, _ = env.reset()
    ep_reward = 0
    for t in range(1, max_steps):
        action = select_action(model, state)
        state, reward, terminated, truncated, _ = env.step(action)
        model.rewards.append(reward)
        ep_reward += reward
        if terminated or truncated:
            break
    return ep_reward


def main():
    parser = argparse.ArgumentParser(description='PyTorch actor-critic example')
    parser.add_argument('--episodes', type=int, default=8, help='how many episodes to play')
    parser.add_argument('--gamma', type=float, default=0.99, metavar='G')
    parser.add_argument('--log-interval', type=int, default=2, metavar='N')
    parser.add_argument('--seed', type=int, default=543, metavar='N')
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    eps = np.finfo(np.float32).eps.item()
    env = gym.make('CartPole-v1')
    env.reset(seed=args.seed)

    x, y = torch.tensor([0.0, 0.5, 3.0]), torch.tensor([0.2, 2.0, 0.0])
    by_hand = torch.where((x - y).abs() < 1, 0.5 * (x - y) ** 2, (x - y).abs() - 0.5).mean()
    print("smooth l1 check:", int(torch.allclose(F.smooth_l1_loss(x, y), by_hand)),
          int(torch.allclose(nn.SmoothL1Loss(reduction='sum', beta=2.0)(x, y), torch.tensor(0.01 + 0.5625 + 2.0))))

    model = Policy()
    optimizer = optim.Adam(model.parameters(), lr=3e-2)
    running_reward = 10
    i_episode = 0
    while i_episode < args.episodes:
        i_episode += 1
        ep_reward = run_episode(env, model)
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        loss = finish_episode(model, optimizer, args.gamma, eps)
        if i_episode % args.log_interval == 0:
            print(f'Episode {i_episode}\tLast reward: {ep_reward:.2f}\tAverage reward: {running_reward:.2f}'
                  f'\tloss: {loss:.4f}')
        if running_reward > env.spec.reward_threshold:
            print(f"Solved! Running reward is now {running_reward}")
            break
    env.close()
    print("episodes:", i_episode)


if __name__ == "__main__":
    main()

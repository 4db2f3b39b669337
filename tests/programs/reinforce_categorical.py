# REINFORCE on CartPole (gymnasium) as the reinforcement_learning example writes it: a policy network with Dropout,
# actions sampled from torch.distributions.Categorical, log_prob kept per step, normalised discounted returns, Adam.
# The environment is seeded; the sampled actions come from each framework's own generator, so only the run's
# shape and its expectations are compared.
# compare: none
# expect: episodes == 10
# expect: entropy of a fair coin == 0.6931
# expect: log_prob checks == 1
import argparse
from itertools import count

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 64)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(64, 2)

        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


def select_action(policy, state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode(policy, optimizer, gamma, eps):
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


def main():
    parser = argparse.ArgumentParser(description='PyTorch REINFORCE example')
    parser.add_argument('--gamma', type=float, default=0.99, metavar='G', help='discount factor (default: 0.99)')
    parser.add_argument('--seed', type=int, default=543, metavar='N', help='random seed (default: 543)')
    parser.add_argument('--episodes', type=int, default=10)
    parser.add_argument('--log-interval', type=int, default=2, metavar='N')
    args = parser.parse_args()

    env = gym.make('CartPole-v1')
    env.reset(seed=args.seed)
    torch.manual_seed(args.seed)
    eps = np.finfo(np.float32).eps.item()

    # what a Categorical distribution gives, on fixed probabilities
    coin = Categorical(probs=torch.tensor([0.5, 0.5]))
    print(f"entropy of a fair coin: {coin.entropy().item():.4f}")
    dist = Categorical(logits=torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]]))
    expected = torch.log_softmax(torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]]), dim=1)[[0, 1], [2, 0]]
    print("log_prob checks:", int(torch.allclose(dist.log_prob(torch.tensor([2, 0])), expected)))
    print("batch shape:", tuple(dist.batch_shape), "sample shape:", tuple(dist.sample((4,)).shape))

    policy = Policy()
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    running_reward = 10
    episodes = 0
    for i_episode in count(1):
        state, _ = env.reset()
        ep_reward = 0
        for t in range(1, 500):
            action = select_action(policy, state)
            state, reward, terminated, truncated, _ = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if terminated or truncated:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        loss = finish_episode(policy, optimizer, args.gamma, eps)
        episodes += 1
        if i_episode % args.log_interval == 0:
            print('Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}\tloss: {:.4f}'.format(
                i_episode, ep_reward, running_reward, loss))
        if i_episode == args.episodes:
            break
    env.close()
    print("episodes:", episodes)


if __name__ == "__main__":
    main()

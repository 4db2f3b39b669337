# Actor-critic on CartPole (gymnasium): one network with an action head and a value head, smooth L1 written out as
# a Huber loss by hand, a few episodes. Actions drawn with torch.multinomial.
# compare: none
# expect: episodes == 5
import argparse
from collections import namedtuple

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

SavedAction = namedtuple("SavedAction", ["log_prob", "value"])


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 32)
        self.action_head = nn.Linear(32, 2)
        self.value_head = nn.Linear(32, 1)
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        return F.softmax(self.action_head(x), dim=-1), self.value_head(x)


def huber(x, y, delta=1.0):
    diff = (x - y).abs()
    return torch.where(diff < delta, 0.5 * diff ** 2, delta * (diff - 0.5 * delta)).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--gamma", type=float, default=0.99)
    args = parser.parse_args()
    torch.manual_seed(1)
    env = gym.make("CartPole-v1")
    model = Policy()
    optimizer = optim.Adam(model.parameters(), lr=3e-2)
    eps = np.finfo(np.float32).eps.item()
    lengths = []
    for episode in range(args.episodes):
        state, _ = env.reset(seed=episode)
        for t in range(1, 150):
            probs, value = model(torch.from_numpy(state).float())
            action = torch.multinomial(probs, 1).item()
            model.saved_actions.append(SavedAction(torch.log(probs[action]), value))
            state, reward, terminated, truncated, _ = env.step(action)
            model.rewards.append(reward)
            if terminated or truncated:
                break
        R, returns = 0, []
        for r in model.rewards[::-1]:
            R = r + args.gamma * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        policy_losses, value_losses = [], []
        for (log_prob, value), R in zip(model.saved_actions, returns):
            advantage = R - value.item()
            policy_losses.append(-log_prob * advantage)
            value_losses.append(huber(value, torch.tensor([R])))
        optimizer.zero_grad()
        loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
        loss.backward()
        optimizer.step()
        lengths.append(len(model.rewards))
        del model.rewards[:]
        del model.saved_actions[:]
    env.close()
    print("episode lengths:", lengths)
    print(f"episodes: {len(lengths)}")


if __name__ == "__main__":
    main()

# REINFORCE on CartPole (gymnasium): a small policy network, discounted normalised returns, Adam. Actions are drawn
# with NumPy from the policy's probabilities and the weights start from fixed values, so runs are comparable.
# compare: close rtol=1e-3 atol=1e-4
import argparse

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Policy(nn.Module):
    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(4, 16)
        self.affine2 = nn.Linear(16, 2)
        with torch.no_grad():
            for i, p in enumerate(self.parameters()):
                p.copy_(0.3 * torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 1.3 + i).reshape(p.shape))

    def forward(self, x):
        return F.softmax(self.affine2(F.relu(self.affine1(x))), dim=1)


def main():
    parser = argparse.ArgumentParser(description="REINFORCE")
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--episodes", type=int, default=8)
    parser.add_argument("--seed", type=int, default=543)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    env = gym.make("CartPole-v1")
    policy = Policy()
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    eps = np.finfo(np.float32).eps.item()
    running_reward = 10
    for episode in range(1, args.episodes + 1):
        state, _ = env.reset(seed=args.seed + episode)
        log_probs, rewards = [], []
        for t in range(1, 200):
            probs = policy(torch.from_numpy(state).float().unsqueeze(0))
            p = probs.detach().numpy()[0].astype(np.float64)
            action = int(rng.random() < p[1] / p.sum())
            log_probs.append(torch.log(probs[0, action]))
            state, reward, terminated, truncated, _ = env.step(action)
            rewards.append(reward)
            if terminated or truncated:
                break
        R, returns = 0.0, []
        for r in rewards[::-1]:
            R = r + args.gamma * R
            returns.insert(0, R)
        returns = torch.tensor(returns)
        returns = (returns - returns.mean()) / (returns.std() + eps)
        policy_loss = torch.stack([-lp * R for lp, R in zip(log_probs, returns)]).sum()
        optimizer.zero_grad()
        policy_loss.backward()
        optimizer.step()
        running_reward = 0.05 * sum(rewards) + (1 - 0.05) * running_reward
        print(f"Episode {episode}\tLast reward: {sum(rewards):.0f}\tAverage reward: {running_reward:.2f}\t"
              f"loss {policy_loss.item():.4f}")
    env.close()
    print("first layer sum:", round(policy.affine1.weight.sum().item(), 4))


if __name__ == "__main__":
    main()
